//! Hybrid retrieval and grounded answers over a small store, with stand-in
//! models: a character-bigram embedder and a scripted generator, so the
//! fusion, expansion and citation checks are tested exactly and fast.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use emkg_engine::answer::AskOptions;
use emkg_engine::models::{Embedder, Embeddings, Role};
use emkg_engine::{Engine, Retriever, Retrievers, SearchRequest, VectorBackend};

/// Hashed character bigrams, L2-normalised: texts sharing wording are near.
struct BigramEmbedder;

impl Embedder for BigramEmbedder {
    fn name(&self) -> &str {
        "bigram-test"
    }
    fn dim(&self) -> usize {
        64
    }
    fn embed(&self, texts: &[&str], _role: Role) -> emkg_engine::models::Result<Embeddings> {
        let vectors = texts
            .iter()
            .map(|t| {
                let chars: Vec<char> = t.chars().filter(|c| !c.is_whitespace()).collect();
                let mut v = vec![0f32; 64];
                for w in chars.windows(2) {
                    let h = (w[0] as u32).wrapping_mul(31).wrapping_add(w[1] as u32);
                    v[(h % 64) as usize] += 1.0;
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                v.iter().map(|x| x / n).collect()
            })
            .collect();
        Ok(Embeddings {
            vectors,
            tokens: 0,
            truncated: 0,
        })
    }
}

mod common;
use common::Scripted;

const LAW: &str = "示例危险物品安全法

第一条 为了加强危险物品安全管理，制定本法。

第二条 危险化学品生产单位应当建立泄漏应急处置制度，配备吸附、堵漏和洗消器材。

第三条 仓库管理人员应当每日巡查库房温度和通风情况。

第四条 违反本法第二条规定，未建立泄漏应急处置制度的，责令限期改正，处五万元以下的罚款。
";

const FLOOD: &str = "示例防汛条例

第一条 防汛工作实行行政首长负责制。

第二条 汛期水库管理单位应当二十四小时值班，及时报告水情。
";

fn store(dir: &Path) -> Engine {
    std::fs::write(dir.join("law.md"), LAW).unwrap();
    std::fs::write(dir.join("flood.md"), FLOOD).unwrap();
    let data = dir.join("data");
    let mut e = Engine::open_for_write(&data).unwrap();
    e.ingest_paths(
        &[dir.join("law.md"), dir.join("flood.md")],
        &Default::default(),
        &mut |_| {},
    )
    .unwrap();
    e.attach_embedder(Arc::new(BigramEmbedder), &VectorBackend::Embedded)
        .unwrap();
    let n = e.sync_vectors(&mut |_, _| {}).unwrap();
    assert!(n >= 6, "embedded {n} chunks");
    e
}

fn ids(hits: &[emkg_engine::Hit]) -> Vec<String> {
    hits.iter().map(|h| h.chunk.unit_id.clone()).collect()
}

#[test]
fn dense_retrieval_finds_paraphrase_and_fuses_with_bm25() {
    let t = tempfile::tempdir().unwrap();
    let e = store(t.path());
    let status = e.dense_status().unwrap();
    assert_eq!(status.documents_embedded, 2);
    assert_eq!(status.backend, "embedded");

    let mut req = SearchRequest::new("化学品生产单位泄漏应急处置制度", 3);
    req.retrievers = Retrievers::parse("dense").unwrap();
    let hits = e.search(&req).unwrap();
    assert!(ids(&hits)[0].ends_with("#art2"), "{:?}", ids(&hits));
    assert!(hits[0].retrievers.contains(&Retriever::Dense));

    // Hybrid: found by both, marked as such.
    let hits = e
        .search(&SearchRequest::new("化学品生产单位泄漏应急处置制度", 5))
        .unwrap();
    let top = &hits[0];
    assert!(top.chunk.unit_id.ends_with("#art2"));
    assert!(
        top.retrievers.contains(&Retriever::Bm25) && top.retrievers.contains(&Retriever::Dense)
    );
}

#[test]
fn graph_expansion_brings_the_penalty_for_a_duty() {
    let t = tempfile::tempdir().unwrap();
    let e = store(t.path());
    let mut req = SearchRequest::new("泄漏应急处置制度 吸附 堵漏 洗消器材", 5);
    req.retrievers = Retrievers::parse("bm25,graph").unwrap();
    let hits = e.search(&req).unwrap();
    let penalty = hits
        .iter()
        .find(|h| h.chunk.unit_id.ends_with("#art4"))
        .expect("penalty article reached");
    assert!(
        penalty.retrievers.contains(&Retriever::Graph),
        "{:?}",
        penalty.retrievers
    );
    // Without graph expansion the retrievers never say graph.
    req.retrievers = Retrievers::parse("bm25").unwrap();
    let hits = e.search(&req).unwrap();
    assert!(!hits.is_empty());
    assert!(hits
        .iter()
        .all(|h| !h.retrievers.contains(&Retriever::Graph)));
}

#[test]
fn vectors_follow_reingest_and_survive_reopen() {
    let t = tempfile::tempdir().unwrap();
    let mut e = store(t.path());
    // Re-ingest unchanged: nothing to embed.
    assert_eq!(e.sync_vectors(&mut |_, _| {}).unwrap(), 0);
    std::fs::write(
        t.path().join("flood.md"),
        FLOOD.replace("二十四小时值班", "实行汛期值班值守制度"),
    )
    .unwrap();
    e.ingest_paths(
        &[t.path().join("flood.md")],
        &Default::default(),
        &mut |_| {},
    )
    .unwrap();
    // commit() re-embedded the changed document: its vectors are of the
    // new content (not merely "nothing left to do"), and every store agrees.
    let s = e.dense_status().unwrap();
    assert_eq!((s.documents_embedded, s.documents), (2, 2));
    let check = e.check().unwrap();
    assert!(check.is_clean(), "{:?}", check.findings);
    assert_eq!(e.sync_vectors(&mut |_, _| {}).unwrap(), 0);
    drop(e);
    let mut r = Engine::open(&t.path().join("data")).unwrap();
    r.attach_embedder(Arc::new(BigramEmbedder), &VectorBackend::Embedded)
        .unwrap();
    let s = r.dense_status().unwrap();
    assert_eq!(s.documents_embedded, 2);
    let mut req = SearchRequest::new("汛期值班值守制度", 3);
    req.retrievers = Retrievers::parse("dense").unwrap();
    let hits = r.search(&req).unwrap();
    assert!(hits[0].chunk.text.contains("值班值守"), "{:?}", ids(&hits));
}

#[test]
fn retriever_lists_are_validated() {
    assert!(Retrievers::parse("bm25,dense,graph").is_ok());
    assert!(Retrievers::parse("graph").is_err());
    let err = Retrievers::parse("bm25,magic").unwrap_err().to_string();
    assert!(err.contains("magic"), "{err}");
}

#[test]
fn answers_flag_fabricated_and_misquoted_citations() {
    let t = tempfile::tempdir().unwrap();
    let e = store(t.path());
    let q = "危险化学品生产单位要建立什么泄漏应急制度";
    let text = "依据《示例危险物品安全法》第二条“配备吸附、堵漏和洗消器材”，\
                另见《示例危险物品安全法》第九百条，以及《示例危险物品安全法》第二条“每年演练十次”。";
    let mut g = Scripted(text.into());
    let a = e
        .ask(q, Some(&mut g), &AskOptions::default(), &mut |_| true)
        .unwrap();
    // The model's 结论 cannot stand: its bad citations are marked in it and
    // the 结论 is built from the provision's own clause instead.
    let model = a.model_text.as_deref().expect("the model's text is kept");
    assert_eq!(model.matches("〔引用未核实〕").count(), 2, "{model}");
    // Each mark stands after the citation that failed, not after an earlier
    // citation of the same provision.
    assert!(model.contains("第九百条〔引用未核实〕"), "{model}");
    assert!(
        model.contains("第二条〔引用未核实〕“每年演练十次”"),
        "{model}"
    );
    assert!(model.contains("第二条“配备"), "{model}");
    assert_eq!(a.mode, "extractive");
    assert!(
        a.fallback.as_deref().unwrap().contains("核验"),
        "{:?}",
        a.fallback
    );
    assert!(
        a.conclusion.contains("《示例危险物品安全法》第二条"),
        "{}",
        a.conclusion
    );
    assert!(a.verified, "the extractive 结论 is supported");
    assert!(!a.answer.contains("第九百条"));

    // A real provision that was not among the evidence is flagged too.
    let mut g = Scripted("见《示例防汛条例》第一条。".into());
    let a = e
        .ask(
            q,
            Some(&mut g),
            &AskOptions {
                evidence: 1,
                ..Default::default()
            },
            &mut |_| true,
        )
        .unwrap();
    assert_eq!(a.mode, "extractive");
    assert!(a.model_text.unwrap().contains("〔引用未核实〕"));
    assert!(!a.conclusion.contains("示例防汛条例"), "{}", a.conclusion);
}

#[test]
fn extractive_answer_without_generator_verifies() {
    let t = tempfile::tempdir().unwrap();
    let e = store(t.path());
    let mut streamed = String::new();
    let a = e
        .ask(
            "水库汛期值班",
            None,
            &AskOptions::default(),
            &mut |s| {
                streamed.push_str(s);
                true
            },
        )
        .unwrap();
    assert_eq!(a.mode, "extractive");
    assert!(!a.citations.is_empty());
    assert!(a.verified, "{:?}", a.citations);
    assert_eq!(streamed, a.conclusion);
    assert!(a.answer.contains("《示例防汛条例》第二条"));
}

#[test]
fn verified_means_supported() {
    let t = tempfile::tempdir().unwrap();
    let e = store(t.path());
    let q = "危险化学品生产单位要建立什么泄漏应急制度";
    let ask = |text: &str| {
        let mut g = Scripted(text.into());
        e.ask(q, Some(&mut g), &AskOptions::default(), &mut |_| true)
            .unwrap()
    };
    // A supported sentence with its citation stands as the model wrote it.
    let a = ask("危险化学品生产单位应当建立泄漏应急处置制度，配备吸附、堵漏和洗消器材（《示例危险物品安全法》第二条）。");
    assert_eq!(a.mode, "generated", "{:?}", a.fallback);
    assert!(a.verified);
    assert!(a.sentences.iter().all(|s| s.supported));
    // An invented number is flagged and the sentence cannot stand.
    let a = ask(
        "危险化学品生产单位应当在3小时内建立泄漏应急处置制度（《示例危险物品安全法》第二条）。",
    );
    assert_eq!(a.mode, "extractive");
    assert!(
        a.fallback.as_deref().unwrap().contains("3小时"),
        "{:?}",
        a.fallback
    );
    // A sentence that no provision supports is not made supported by the
    // citation another sentence carries.
    let a = ask("今天天气很好，适合出门散步游玩。危险化学品生产单位应当建立泄漏应急处置制度（《示例危险物品安全法》第二条）。");
    assert_eq!(a.mode, "extractive");
    assert!(
        a.fallback.as_deref().unwrap().contains("没有条文支持"),
        "{:?}",
        a.fallback
    );
    // A cited sentence does not lend its citation to a sentence taken
    // word for word from another provision that the 结论 never cites: that
    // sentence is attributed, and an attributed sentence never verifies.
    let a = ask(
        "危险化学品生产单位应当建立泄漏应急处置制度（《示例危险物品安全法》第二条）。\
                 违反规定未建立泄漏应急处置制度的，责令限期改正，处五万元以下的罚款。",
    );
    assert_eq!(a.mode, "extractive", "{:?}", a.fallback);
    assert!(
        a.fallback
            .as_deref()
            .unwrap()
            .contains("没有注明所依据的条文"),
        "{:?}",
        a.fallback
    );
    let model = a.model_text.as_deref().unwrap_or("");
    assert!(model.contains("五万元以下"), "{model}");
    // A quote that covers little of its sentence vouches for nothing, and a
    // sentence that turns a duty into a permission is not supported.
    let a = ask("依据《示例危险物品安全法》第二条“配备吸附”，单位可以不建立泄漏应急处置制度。");
    assert_eq!(a.mode, "extractive", "{:?}", a.fallback);
    assert!(!a.sentences.iter().any(|s| s.text.contains("可以不建立")));
    // An uncited sentence taken from a provision is attributed, and marked so.
    let a = ask("仓库管理人员应当每日巡查库房温度和通风情况。");
    assert_eq!(
        a.mode, "extractive",
        "the model cited nothing itself: {:?}",
        a.fallback
    );
    assert!(a.fallback.as_deref().unwrap().contains("没有引用"));
}

#[test]
fn a_refusal_is_never_verified() {
    let t = tempfile::tempdir().unwrap();
    let e = store(t.path());
    let mut g = Scripted("根据现有资料无法回答该问题。".into());
    // The store speaks of hazardous goods and floods, not of football.
    let a = e
        .ask(
            "足球比赛的越位规则是什么",
            Some(&mut g),
            &AskOptions::default(),
            &mut |_| true,
        )
        .unwrap();
    assert!(a.mode == "refused" || a.mode == "no_evidence", "{}", a.mode);
    assert!(!a.verified);
    // A model that refuses although a provision answers is overruled.
    let a = e
        .ask(
            "水库汛期要不要值班",
            Some(&mut g),
            &AskOptions::default(),
            &mut |_| true,
        )
        .unwrap();
    assert_eq!(a.mode, "extractive");
    assert!(a.fallback.as_deref().unwrap().contains("拒绝回答"));
    assert!(a.conclusion.contains("《示例防汛条例》第二条"));
}
