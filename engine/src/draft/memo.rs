//! Legal memos (法律备忘录) for a topic or scenario: the duties and
//! prohibitions that apply (with the party each binds), the penalties with
//! their amounts and the authority that imposes them, enforcement notes,
//! and similar cases — from retrieval and the graph's facts. Every
//! provision is cited by its stored unit and verified; a topic the store
//! does not cover gets a memo that says so, not one padded with whatever
//! ranked first. A model, when given, writes one summary paragraph only,
//! which passes the same fact check as the rest.

use super::factcheck::Source;
use super::{chinese_date, Draft, DraftKind, Item, Part};
use crate::answer::{article_id, clauses, facts, REFUSE_COVERAGE};
use crate::assess::cite;
use crate::{Engine, EngineError, Filter, Hit, Result, SearchRequest};
use emkg_models::{ChatMessage, GenerationParams, Generator};
use emkg_ontology::DocKind;

/// Provisions listed per section.
const MAX_DUTIES: usize = 6;
const MAX_PENALTIES: usize = 6;
const MAX_CASES: usize = 3;
const PER_DOCUMENT: usize = 2;
/// The share of the topic's words (weighted by length) the retrieved
/// provisions must contain for the topic to count as covered.
const TOPIC_SHARE: f32 = 0.6;
/// A case is similar when this share of the topic's concepts occurs in it.
const CASE_COVERAGE: f32 = 0.6;
/// Clause text shown per provision (chars).
const CLAUSE_CHARS: usize = 160;
const PENDING: &str = "待核实";
/// A provision is listed when its relevance reaches this share of the best.
const KEEP_SHARE: f32 = 0.6;
/// …and at least half the topic's concepts.
const MIN_RELEVANCE: f32 = 0.5;

fn is_legal(k: DocKind) -> bool {
    matches!(
        k,
        DocKind::Law
            | DocKind::AdminRegulation
            | DocKind::DeptRule
            | DocKind::LocalRegulation
            | DocKind::NormativeDoc
    )
}

/// Words of a provision that sets a penalty.
fn is_penalty_text(t: &str) -> bool {
    [
        "罚款",
        "拘留",
        "吊销",
        "责令停产停业",
        "没收违法所得",
        "警告",
    ]
    .iter()
    .any(|w| t.contains(w))
        && ["处", "给予", "予以", "并处"].iter().any(|w| t.contains(w))
}

/// Words of a provision that sets a duty or a prohibition.
fn is_duty_text(t: &str) -> bool {
    ["应当", "必须", "不得", "禁止", "严禁"]
        .iter()
        .any(|w| t.contains(w))
}

/// The authority a penalty provision names: 由X责令…/由X处….
fn imposer(t: &str) -> Option<String> {
    let c: Vec<char> = t.chars().collect();
    let mut i = 0;
    while i < c.len() {
        if c[i] == '由' {
            let rest: String = c[i + 1..(i + 32).min(c.len())].iter().collect();
            for end_word in ["责令", "处", "给予", "予以", "依照", "没收", "吊销", "按照"]
            {
                if let Some(j) = rest.find(end_word) {
                    let who = rest[..j].trim_end_matches(['依', '法']).trim();
                    let n = who.chars().count();
                    if (2..=30).contains(&n)
                        && !who.contains(['，', '。', '；'])
                        && (who.contains("部门")
                            || who.contains("机关")
                            || who.contains("机构")
                            || who.contains("政府")
                            || who.contains("局"))
                    {
                        return Some(who.to_string());
                    }
                }
            }
        }
        i += 1;
    }
    None
}

fn clip(s: &str, n: usize) -> String {
    // One paragraph: list items joined, the article's own label dropped.
    let s = s.replace(['\n', '\r'], "");
    let s = match s.trim_start().strip_prefix('第') {
        Some(rest) if rest.find('条').is_some_and(|i| i <= 15) => {
            let i = rest.find('条').unwrap_or(0);
            let label = &rest[..i];
            if label
                .chars()
                .all(|c| emkg_ingest::numerals::is_chinese_numeral_char(c) || c.is_ascii_digit())
            {
                rest[i + '条'.len_utf8()..].trim_start().to_string()
            } else {
                s.clone()
            }
        }
        _ => s.clone(),
    };
    let s = s.as_str();
    if s.chars().count() <= n {
        return s.to_string();
    }
    // End at a clause boundary within the limit where there is one.
    let head: String = s.chars().take(n).collect();
    match head.rfind(['。', '；']) {
        Some(i) if i > head.len() / 2 => head[..i + '。'.len_utf8()].to_string(),
        _ => format!("{head}……"),
    }
}

/// What the memo found for one provision.
struct Provision {
    unit: String,
    citation: String,
    clause: String,
    text: String,
    score: f32,
}

/// The topic's concepts: each of its words (a word inside a longer one
/// counts once, as the longer) with the statutory terms it stands for
/// (无证 → 未取得, 持证上岗 …). A concept is found where any variant is.
fn concepts(topic: &str) -> Vec<Vec<String>> {
    let mut words: Vec<String> = clauses::terms(topic)
        .into_iter()
        .filter(|t| topic.contains(t.as_str()))
        .collect();
    // A domain term the tokenizer splits (危险 化学品) is one concept.
    for w in emkg_ontology::lexicon::DOMAIN_WORDS {
        if topic.contains(w) && !words.iter().any(|x| x == w) {
            words.push(w.to_string());
        }
    }
    words
        .iter()
        .filter(|w| !words.iter().any(|o| o != *w && o.contains(w.as_str())))
        .map(|w| {
            let mut v = vec![w.clone()];
            for x in emkg_ontology::lexicon::expansions(w) {
                v.push(x.to_string());
            }
            v
        })
        .collect()
}

fn found(concept: &[String], text: &str) -> bool {
    concept.iter().any(|v| text.contains(v.as_str()))
}

/// Each concept's weight: equal. (Weighting by rarity among the
/// candidates let a rare party word — 物业 — outweigh the act itself —
/// 无证 电焊 — and dropped the provisions about the act.)
fn concept_weights(concepts: &[Vec<String>]) -> Vec<f32> {
    vec![1.0; concepts.len()]
}

/// The regulated subject a topic names by its statutory term (危险化学品,
/// 特种设备, 安全生产, 突发事件): a provision that does not speak of it is
/// not about the topic, however many of its other words it shares.
fn is_subject(concept: &[String]) -> bool {
    concept.iter().any(|v| {
        v.chars().count() >= 4 && emkg_ontology::lexicon::DOMAIN_WORDS.contains(&v.as_str())
    })
}

/// Share of the topic's weight a text contains (none without the topic's
/// regulated subject, when it names one).
fn relevance(concepts: &[Vec<String>], weights: &[f32], text: &str) -> f32 {
    let total: f32 = weights.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let subjects: Vec<&Vec<String>> = concepts.iter().filter(|c| is_subject(c)).collect();
    if !subjects.is_empty() && !subjects.iter().any(|c| found(c, text)) {
        return 0.0;
    }
    concepts
        .iter()
        .zip(weights)
        .filter(|(c, _)| found(c, text))
        .map(|(_, w)| *w)
        .sum::<f32>()
        / total
}

/// Keeps the provisions that speak to the topic nearly as well as the best
/// one (and at all), best first, at most `max` and at most
/// [`PER_DOCUMENT`] from one instrument (a memo surveys the law, not one
/// rule's every article).
fn keep_relevant(mut v: Vec<Provision>, max: usize) -> Vec<Provision> {
    let best = v.iter().map(|p| p.score).fold(0.0f32, f32::max);
    v.retain(|p| p.score >= (best * KEEP_SHARE).max(MIN_RELEVANCE));
    // Stable: equal scores keep retrieval order.
    v.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out: Vec<Provision> = Vec::new();
    for p in v {
        let doc = p.unit.split('#').next().unwrap_or("");
        let same = out
            .iter()
            .filter(|o| o.unit.split('#').next() == Some(doc))
            .count();
        if same < PER_DOCUMENT && out.len() < max {
            out.push(p);
        }
    }
    out
}

impl Engine {
    /// A legal memo for `topic`, dated `date` (`YYYY-MM-DD`).
    pub fn draft_memo(
        &self,
        topic: &str,
        date: &str,
        generator: Option<&mut dyn Generator>,
    ) -> Result<Draft> {
        let topic = topic.trim();
        if topic.is_empty()
            || !topic
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        {
            return Err(EngineError::BadQuery(
                "请用中文写明备忘录的主题或情形（例如：物业企业无证电焊作业）".into(),
            ));
        }
        if topic.chars().count() > 200 {
            return Err(EngineError::BadQuery(
                "主题过长（超过200字），请概括为一句话".into(),
            ));
        }
        let date = chinese_date(date).ok_or_else(|| {
            EngineError::BadQuery(format!("成文日期“{date}”无效，应为 YYYY-MM-DD"))
        })?;
        let terms = clauses::terms(topic);

        // Retrieval: the topic, then the topic asking for duties and for
        // penalties, legal documents only; merged in rank order.
        let mut legal: Vec<Hit> = Vec::new();
        for q in [
            topic.to_string(),
            format!("{topic} 应当 不得"),
            format!("{topic} 罚款 法律责任"),
        ] {
            let mut req = SearchRequest::new(&q, 15);
            req.in_force_only = true;
            for h in self.search(&req)? {
                if is_legal(h.chunk.doc_kind)
                    && !legal.iter().any(|x| x.chunk.unit_id == h.chunk.unit_id)
                {
                    legal.push(h);
                }
            }
        }
        let cover = legal
            .iter()
            .take(5)
            .map(|h| {
                clauses::coverage(
                    &terms,
                    &format!("{} {} {}", h.chunk.doc_title, h.chunk.heading, h.chunk.text),
                )
            })
            .fold(0.0f32, f32::max);

        let title = format!("关于{topic}的法律备忘录");
        let mut draft = Draft {
            kind: DraftKind::Memo,
            title,
            addressees: Vec::new(),
            preamble: None,
            parts: Vec::new(),
            issuer: PENDING.into(),
            date,
            missing: vec!["起草单位（发文机关署名）".into()],
            removed: Vec::new(),
            citations: Vec::new(),
            notes: Vec::new(),
            incident: None,
            input_text: None,
            grade: None,
        };
        let mut sources = vec![
            Source::new("备忘录主题", topic),
            Source::new("日期", draft.date.clone()),
        ];
        // Covered: the provisions speak to most of the topic's weight (a
        // longer word weighs more), not only to its generic words.
        let all = concepts(topic);
        let weight = |c: &Vec<String>| (c[0].chars().count() as f32).min(4.0);
        let total: f32 = all.iter().map(weight).sum();
        let spoken: f32 = all
            .iter()
            .filter(|c| {
                legal
                    .iter()
                    .any(|h| found(c, &format!("{} {}", h.chunk.heading, h.chunk.text)))
            })
            .map(weight)
            .sum();
        let concept_share = if total > 0.0 { spoken / total } else { 0.0 };
        if legal.is_empty() || cover < REFUSE_COVERAGE || concept_share < TOPIC_SHARE {
            draft.preamble = Some(format!(
                "经检索，本库已导入的法律法规中没有与“{topic}”直接相关的条文（与主题的相关程度不足），本备忘录不列适用条文和罚则。请补充导入相关法规后重新生成，或由法制人员人工检索。"
            ));
            draft
                .missing
                .push(format!("与“{topic}”相关的法律法规（库中未覆盖）"));
            draft.notes.push(format!(
                "主题词覆盖度{:.0}%（要求{:.0}%），检索覆盖度{:.0}%（要求{:.0}%）",
                concept_share * 100.0,
                TOPIC_SHARE * 100.0,
                cover * 100.0,
                REFUSE_COVERAGE * 100.0
            ));
            self.check_draft(&mut draft, sources, PENDING);
            return Ok(draft);
        }

        // Each hit's answering clause, and which kind of provision it is,
        // scored by how much of the topic it speaks to.
        let pool: Vec<String> = legal
            .iter()
            .map(|h| format!("{} {}", h.chunk.heading, h.chunk.text))
            .collect();
        // Concepts no candidate speaks of are reported, not scored: the
        // memo lists what the law says of the rest and says what it lacks.
        let (concepts, uncovered): (Vec<Vec<String>>, Vec<Vec<String>>) = concepts(topic)
            .into_iter()
            .partition(|c| pool.iter().any(|t| found(c, t)));
        let weights = concept_weights(&concepts);
        let picked = clauses::select(topic, &legal, 1);
        let mut duties: Vec<Provision> = Vec::new();
        let mut penalties: Vec<Provision> = Vec::new();
        for c in &picked {
            let h = &legal[c.hit];
            let p = Provision {
                citation: cite::citation(&self.catalog, &h.chunk.unit_id),
                unit: article_id(&h.chunk.unit_id),
                clause: c.text.clone(),
                text: h.chunk.text.clone(),
                score: relevance(&concepts, &weights, &pool[c.hit]),
            };
            let list = if is_penalty_text(&h.chunk.text) {
                &mut penalties
            } else if is_duty_text(&c.text) {
                &mut duties
            } else {
                continue;
            };
            if !list.iter().any(|x| x.unit == p.unit) {
                list.push(p);
            }
        }
        let duties = keep_relevant(duties, MAX_DUTIES);
        // The penalties that sanction the duties kept (graph links): as
        // relevant as the duty they sanction, even when their own wording
        // shares little with the topic.
        // Each duty's graph facts, read once: its penalties here, the
        // parties it binds below.
        let duty_facts: Vec<facts::Related> = duties
            .iter()
            .map(|d| facts::related(self, std::slice::from_ref(&d.unit)))
            .collect();
        // A law's penalties often sanction several duties: each stored
        // document is read once.
        let mut stored_docs: std::collections::HashMap<String, emkg_ingest::Document> =
            std::collections::HashMap::new();
        for (d, rel) in duties.iter().zip(&duty_facts) {
            for f in &rel.penalties {
                if f.unit_id == d.unit {
                    continue;
                }
                let Some(doc) = f.unit_id.split('#').next() else {
                    continue;
                };
                if !stored_docs.contains_key(doc) {
                    let Ok(read) = self.document(doc) else {
                        continue;
                    };
                    stored_docs.insert(doc.to_string(), read);
                }
                let Some(stored) = stored_docs.get(doc) else {
                    continue;
                };
                let Some(u) = stored.units.iter().find(|u| u.id == f.unit_id) else {
                    continue;
                };
                if !is_penalty_text(&u.text) {
                    continue;
                }
                let own = relevance(&concepts, &weights, &u.text);
                let score = own.max(d.score * 0.9);
                match penalties.iter_mut().find(|x| x.unit == f.unit_id) {
                    Some(x) => x.score = x.score.max(score),
                    None => penalties.push(Provision {
                        unit: f.unit_id.clone(),
                        citation: cite::citation(&self.catalog, &f.unit_id),
                        clause: u.text.clone(),
                        text: u.text.clone(),
                        score,
                    }),
                }
            }
        }
        let penalties = keep_relevant(penalties, MAX_PENALTIES);

        // 一、适用规定
        let mut parts = Vec::new();
        let mut duty_items = Vec::new();
        for (d, r) in duties.iter().zip(&duty_facts) {
            let parties: Vec<String> = r.parties.iter().map(|p| p.text.clone()).collect();
            let mut text = clip(&d.clause, CLAUSE_CHARS);
            if !parties.is_empty() {
                text.push_str(&format!("（约束对象：{}）", parties.join("、")));
            }
            duty_items.push(Item {
                heading: Some(format!("{}。", d.citation)),
                text,
            });
        }
        if duty_items.is_empty() {
            duty_items.push(Item::para(format!(
                "库中未检索到与“{topic}”直接相关的义务性或禁止性规定。"
            )));
        }
        parts.push(Part {
            heading: "适用规定（义务和禁止性规定）".into(),
            items: duty_items,
        });

        // 二、法律责任
        let mut pen_items = Vec::new();
        let mut imposers: Vec<String> = Vec::new();
        for p in &penalties {
            let own = facts::related(self, std::slice::from_ref(&p.unit));
            let amounts: Vec<String> = own
                .penalties
                .iter()
                .filter(|f| f.unit_id == p.unit)
                .map(|f| f.text.clone())
                .collect();
            let who = imposer(&p.text);
            if let Some(w) = &who {
                if !imposers.contains(w) {
                    imposers.push(w.clone());
                }
            }
            let mut text = clip(&p.clause, CLAUSE_CHARS);
            // No ；inside the brackets: the check splits sentences there.
            if !amounts.is_empty() {
                text.push_str(&format!("（处罚：{}", amounts.join("，")));
                match &who {
                    Some(w) => text.push_str(&format!("，实施机关：{w}）")),
                    None => text.push('）'),
                }
            } else if let Some(w) = &who {
                text.push_str(&format!("（实施机关：{w}）"));
            }
            pen_items.push(Item {
                heading: Some(format!("{}。", p.citation)),
                text,
            });
        }
        if pen_items.is_empty() {
            pen_items.push(Item::para(format!(
                "库中未检索到与“{topic}”直接相关的罚则。"
            )));
        }
        parts.push(Part {
            heading: "法律责任（罚则、处罚种类和幅度、实施机关）".into(),
            items: pen_items,
        });

        // 三、执法要点: what the penalty provisions themselves say about
        // how they are applied.
        let mut notes = Vec::new();
        let cites = |pred: &dyn Fn(&str) -> bool| -> Vec<String> {
            penalties
                .iter()
                .filter(|p| pred(&p.text))
                .map(|p| p.citation.clone())
                .collect()
        };
        if !imposers.is_empty() {
            notes.push(format!("实施处罚的机关：{}。", imposers.join("、")));
        }
        let c = cites(&|t| t.contains("责令限期改正") || t.contains("责令改正"));
        if !c.is_empty() {
            notes.push(format!(
                "先行责令改正：{}规定责令（限期）改正，执法时应当同时下达责令改正指令并跟踪复查。",
                c.join("、")
            ));
        }
        let c = cites(&|t| t.contains("逾期未改正") || t.contains("拒不改正"));
        if !c.is_empty() {
            notes.push(format!(
                "逾期未改正的加重处罚：{}对逾期未改正或者拒不改正的情形另行规定了处罚。",
                c.join("、")
            ));
        }
        let c = cites(&|t| t.contains("直接负责的主管人员"));
        if !c.is_empty() {
            notes.push(format!(
                "双罚：{}在处罚单位的同时，对其直接负责的主管人员和其他直接责任人员处罚。",
                c.join("、")
            ));
        }
        let c = cites(&|t| t.contains("构成犯罪"));
        if !c.is_empty() {
            notes.push(format!(
                "涉嫌犯罪的移送：{}规定构成犯罪的依法追究刑事责任，执法中发现涉嫌犯罪线索的应当依法移送司法机关。",
                c.join("、")
            ));
        }
        if notes.is_empty() {
            notes.push("所列罚则未载明特别的执法程序要求，按照行政处罚的一般程序办理。".into());
        }
        parts.push(Part {
            heading: "执法要点".into(),
            items: notes.into_iter().map(Item::para).collect(),
        });

        // 四、类似案例
        let mut req = SearchRequest::new(topic, 10);
        req.filter = Filter {
            kinds: vec![DocKind::Case],
            ..Default::default()
        };
        let mut case_items = Vec::new();
        let mut seen_docs: Vec<String> = Vec::new();
        for h in self.search(&req)? {
            if case_items.len() >= MAX_CASES || seen_docs.contains(&h.chunk.doc_id) {
                continue;
            }
            let full = format!("{} {}", h.chunk.doc_title, h.chunk.text);
            if relevance(&all, &vec![1.0; all.len()], &full) < CASE_COVERAGE {
                continue;
            }
            seen_docs.push(h.chunk.doc_id.clone());
            sources.push(Source::new(h.chunk.doc_title.clone(), full));
            case_items.push(Item {
                heading: Some(format!("{}。", h.chunk.doc_title)),
                text: clip(h.chunk.text.trim(), CLAUSE_CHARS),
            });
        }
        if case_items.is_empty() {
            case_items.push(Item::para("库中未检索到类似案例。"));
        }
        parts.push(Part {
            heading: "类似案例".into(),
            items: case_items,
        });
        draft.parts = parts;
        // The topic's words no listed provision speaks of.
        let listed: String = duties
            .iter()
            .chain(&penalties)
            .map(|p| p.text.as_str())
            .collect();
        let uncovered: Vec<&Vec<String>> = uncovered
            .iter()
            .chain(concepts.iter().filter(|c| !found(c, &listed)))
            .collect();
        let lacks = if uncovered.is_empty() {
            String::new()
        } else {
            let words: Vec<String> = uncovered.iter().map(|c| format!("“{}”", c[0])).collect();
            draft
                .missing
                .push(format!("专门针对{}的规定（库中未收录）", words.join("")));
            format!(
                "库中条文未专门涉及{}，以下所列为可适用的一般规定。",
                words.join("、")
            )
        };
        draft.preamble = Some(format!(
            "经检索本库已导入的法律法规、规章和案例，现将与“{topic}”有关的适用规定、法律责任、执法要点和类似案例整理如下。{lacks}"
        ));

        // The one paragraph a model may write: a summary of the above.
        if let Some(g) = generator {
            let material: String = duties
                .iter()
                .chain(&penalties)
                .map(|p| format!("{}：{}", p.citation, clip(&p.clause, CLAUSE_CHARS)))
                .collect::<Vec<_>>()
                .join("\n");
            let messages = vec![
                ChatMessage::system(
                    "你是应急管理局法制人员。只根据给出的条文写一段摘要，说明主要义务和相应罚则，引用时写明《法规名称》第N条。不得添加条文中没有的数字、单位名称或结论。",
                ),
                ChatMessage::user(format!("主题：{topic}\n条文：\n{material}\n\n请写一段不超过150字的摘要。")),
            ];
            let params = GenerationParams {
                max_new_tokens: 200,
                ..Default::default()
            };
            match g.generate(&messages, &params, &mut |_| true) {
                Ok(out) if !out.text.trim().is_empty() => {
                    draft.parts.insert(
                        0,
                        Part {
                            heading: "摘要".into(),
                            items: vec![Item::para(out.text.trim().replace('\n', ""))],
                        },
                    );
                    draft.notes.push(format!(
                        "“摘要”由本地模型（{}）根据所列条文撰写，已逐句核对",
                        g.name()
                    ));
                }
                Ok(_) => {}
                Err(e) => draft.notes.push(format!("本地模型未能生成摘要（{e}）")),
            }
        }
        self.check_draft(&mut draft, sources, PENDING);
        // A model citation that did not verify is struck with its sentence.
        if let Some(summary) = draft.parts.first_mut().filter(|p| p.heading == "摘要") {
            let bad: Vec<String> = draft
                .citations
                .iter()
                .filter(|c| !c.verified)
                .map(|c| c.citation.clone())
                .collect();
            let mut struck = Vec::new();
            for item in &mut summary.items {
                let mut kept = String::new();
                for s in crate::answer::support::sentences(&item.text) {
                    match bad.iter().find(|b| s.contains(b.as_str())) {
                        Some(b) => struck.push(super::factcheck::Struck {
                            sentence: s.clone(),
                            item: b.clone(),
                            kind: super::factcheck::FactKind::Citation,
                            reason: format!("引用“{b}”未能在库中核实，已删除该句"),
                        }),
                        None => kept.push_str(&s),
                    }
                }
                item.text = if kept.is_empty() {
                    PENDING.into()
                } else {
                    kept
                };
            }
            draft.removed.extend(struck);
            draft.citations.retain(|c| c.verified);
        }
        Ok(draft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalty_and_duty_words() {
        assert!(is_penalty_text(
            "违反本法规定，由应急管理部门责令限期改正，处十万元以下的罚款"
        ));
        assert!(!is_penalty_text("生产经营单位应当建立安全生产责任制"));
        assert!(is_duty_text(
            "特种作业人员必须按照国家有关规定经专门的安全作业培训"
        ));
    }

    #[test]
    fn the_imposing_authority() {
        assert_eq!(
            imposer("违反本法规定，由应急管理部门责令限期改正，处十万元以下的罚款").as_deref(),
            Some("应急管理部门")
        );
        assert_eq!(
            imposer("由住房和城乡建设主管部门依法责令停止施工").as_deref(),
            Some("住房和城乡建设主管部门")
        );
        assert_eq!(imposer("由此造成的损失"), None);
    }

    #[test]
    fn clipping_ends_at_a_clause() {
        let s = "第一句话说明了很长的一项义务内容。第二句话说明例外情形以及其他内容。";
        assert_eq!(clip(s, 20), "第一句话说明了很长的一项义务内容。");
        // A boundary early on is not worth the loss: cut and mark.
        let s = "短句。第二句话较长，说明例外情形以及其他很多很多内容。";
        assert_eq!(clip(s, 10), "短句。第二句话较长，……");
        // The article's own label goes.
        assert_eq!(
            clip("第四十七条 违反本规定的，处罚款。", 40),
            "违反本规定的，处罚款。"
        );
        assert_eq!(clip("短", 20), "短");
    }
}
