//! Grounded answers with a fixed shape: 结论 (one to three sentences that
//! answer), 依据 (each provision with the clause that answers, quoted),
//! and where the graph has them 相关时限 / 罚则 / 责任主体, plus 适用范围提示.
//!
//! The pipeline: retrieve → decide whether the evidence speaks to the
//! question at all (a calibrated coverage rule; refuse only below it) →
//! pick the clauses that answer ([`clauses`]) → the LLM writes the 结论
//! from those clauses only → every sentence of it must be supported by a
//! provision it cites, with every number found there ([`support`]); when
//! the model refuses, drifts or cites nothing usable, the 结论 is built
//! from the best clauses instead and the answer says so.

pub mod clauses;
pub mod facts;
pub mod support;

use std::time::Instant;

use emkg_ingest::numerals::to_chinese;
use emkg_models::{ChatMessage, GenerationParams, Generator};
use emkg_ontology::{normalize_title, DocKind};

use crate::{Engine, Hit, Result, SearchRequest};
use clauses::Clause;

/// What a refusal says; also how one is recognised.
pub const NO_ANSWER: &str = "根据现有资料无法回答该问题。";
const UNVERIFIED_MARK: &str = "〔引用未核实〕";
/// Clause text shown to the model per provision (chars).
const CLAUSE_CHARS: usize = 220;
/// Provisions shown to the model.
const MODEL_PROVISIONS: usize = 3;
/// Below this share of the question's terms found in the best evidence, and
/// with no provision named by the question, the answer is a refusal.
/// Set below the lowest coverage of the dev questions (all answerable:
/// 0.33, printed per question by `emkg eval answers`), and above that of
/// questions outside the corpus's domain (足球比赛的越位规则: the refusal
/// test in engine/tests/hybrid.rs). A small negative set, not a fitted one.
pub const REFUSE_COVERAGE: f32 = 0.25;
/// An uncited sentence needs this overlap with a provision to be taken
/// from it (stricter than for a cited one).
const ATTRIBUTION_OVERLAP: f32 = 0.5;

#[derive(Debug, Clone)]
pub struct AskOptions {
    /// Evidence provisions retrieved.
    pub evidence: usize,
    pub generation: GenerationParams,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            evidence: 5,
            generation: GenerationParams {
                max_new_tokens: 160,
                ..Default::default()
            },
        }
    }
}

/// Where a citation stands in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitationRole {
    Conclusion,
    Basis,
}

impl CitationRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CitationRole::Conclusion => "conclusion",
            CitationRole::Basis => "basis",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Citation {
    /// As written in the answer.
    pub raw: String,
    pub unit_id: Option<String>,
    pub doc_title: Option<String>,
    /// Article number, as in search hits.
    pub article: Option<u32>,
    pub article_suffix: Option<u32>,
    /// 第二十一条 / 第十七条之一.
    pub article_label: Option<String>,
    pub section: Option<String>,
    pub quote: Option<String>,
    pub verified: bool,
    /// Why it does not verify (Chinese).
    pub problem: Option<String>,
    pub role: CitationRole,
    /// The model did not cite it; a sentence was attributed to it by wording.
    pub attributed: bool,
}

/// How one sentence of the 结论 fared.
#[derive(Debug, Clone)]
pub struct SentenceCheck {
    pub text: String,
    /// The provision that supports it.
    pub supported_by: Option<String>,
    pub overlap: f32,
    /// Numbers it states that the cited text does not.
    pub numbers_not_in_evidence: Vec<String>,
    pub attributed: bool,
    pub supported: bool,
}

/// One provision of the 依据 with the clause that answers.
#[derive(Debug, Clone)]
pub struct BasisItem {
    pub unit_id: String,
    pub citation: String,
    pub quote: String,
}

#[derive(Debug, Clone)]
pub struct Answer {
    /// The whole answer as shown: 结论, 依据, related facts, notes.
    pub answer: String,
    pub conclusion: String,
    /// generated or extractive: who wrote the 结论.
    pub conclusion_source: &'static str,
    /// Why the model's 结论 was replaced by the extractive one.
    pub fallback: Option<String>,
    /// The model's own 结论 when it was replaced, failed citations marked 〔引用未核实〕.
    pub model_text: Option<String>,
    pub basis: Vec<BasisItem>,
    pub related: facts::Related,
    pub scope_notes: Vec<String>,
    pub citations: Vec<Citation>,
    pub sentences: Vec<SentenceCheck>,
    pub evidence: Vec<Hit>,
    /// Every 结论 sentence supported and every citation verified; never for a refusal.
    pub verified: bool,
    /// generated, extractive, refused or no_evidence
    pub mode: &'static str,
    pub generation: Option<emkg_models::Generation>,
    /// Some 结论 citation was attributed by wording, not made by the model.
    pub attributed: bool,
    pub ttft_secs: Option<f64>,
    pub total_secs: f64,
    /// Share of the question's terms the best evidence contains (the
    /// refusal rule's input).
    pub coverage: f32,
}

/// 《中华人民共和国安全生产法》第二十一条 / 《国家突发事件总体应急预案》3.2.2
pub fn label(h: &Hit) -> String {
    let c = &h.chunk;
    match (c.article, &c.section) {
        (Some(a), _) => match c.article_suffix {
            Some(s) => format!(
                "《{}》第{}条之{}",
                c.doc_title,
                to_chinese(a),
                to_chinese(s)
            ),
            None => format!("《{}》第{}条", c.doc_title, to_chinese(a)),
        },
        (None, Some(s)) => format!("《{}》{}", c.doc_title, s),
        (None, None) => format!("《{}》", c.doc_title),
    }
}

/// The article-level id of a unit id (`doc#art21.c2` → `doc#art21`).
pub fn article_id(unit: &str) -> String {
    crate::hybrid::chunk_id(unit).to_string()
}

/// The model's standing instructions for a 结论 (the system turn).
const ANSWER_INSTRUCTIONS: &str = "你是应急管理法规助手，根据给出的条文回答问题，回答准确、简短。\
    请用一到三句话直接回答问题，句中使用条文的原话说明谁应当做什么、不得做什么或者期限、金额是多少。\
    每句话末尾用括号注明所依据的条文，照抄条文的书名号标题和条号。数字、时限、金额必须与条文一致。\
    不要复述问题，不要加入条文没有写的推断或评价。";

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '“' | '”' | '"' | '「' | '」'))
        .collect()
}

/// The quote right after a citation (“…”, "…" or 「…」 within a few chars).
fn quote_after(chars: &[char], end: usize) -> Option<String> {
    let mut i = end;
    while i < chars.len() && i < end + 4 && !matches!(chars[i], '“' | '"' | '「') {
        if matches!(chars[i], '。' | '\n' | '《') {
            return None;
        }
        i += 1;
    }
    let open = *chars.get(i)?;
    if !matches!(open, '“' | '"' | '「') {
        return None;
    }
    let close = match open {
        '“' => '”',
        '「' => '」',
        _ => '"',
    };
    let body: String = chars[i + 1..]
        .iter()
        .take(300)
        .take_while(|c| **c != close)
        .collect();
    (!body.trim().is_empty() && chars.len() > i + 1 + body.chars().count())
        .then(|| body.trim().to_string())
}

/// The text of a clause as the 结论 states it: no item label, no trailing ；.
fn as_statement(s: &str) -> String {
    let mut t = s
        .trim()
        .trim_end_matches(['；', '。', '，', '：', ';'])
        .to_string();
    for f in [
        emkg_ingest::structure::item_marker,
        emkg_ingest::structure::paren_arabic_marker,
    ] {
        if let Some((_, n)) = f(&t) {
            t = t.chars().skip(n).collect();
            break;
        }
    }
    // A list (lead and items) is stated in part; the 依据 quotes it whole.
    clip(t.trim(), 180)
}

/// The extractive 结论: the best clause of the top-ranked provision (search
/// has weighed scope, source rank and clause fit together), then the best
/// clauses of other provisions that answer about as well (at most three
/// provisions), each followed by its citation.
fn extractive_conclusion(
    question: &str,
    evidence: &[Hit],
    clauses: &[Clause],
) -> (String, Vec<usize>) {
    let best = clauses.iter().map(|c| c.score).fold(0.0f32, f32::max);
    // A local regulation binds only where it was made: when the question
    // names no such place and a national provision answers about as well,
    // the national one comes first (the local one may still follow).
    let elsewhere = |c: &Clause| {
        let h = &evidence[c.hit].chunk;
        h.doc_kind == DocKind::LocalRegulation
            && !crate::search::names_locality(&h.doc_title, question)
    };
    let national_best = clauses
        .iter()
        .filter(|c| !elsewhere(c))
        .map(|c| c.score)
        .fold(0.0f32, f32::max);
    let demote = national_best > 0.0 && national_best >= best * 0.85;
    let mut ranked: Vec<&Clause> = clauses.iter().collect();
    ranked.sort_by(|a, b| {
        (demote && elsewhere(a))
            .cmp(&(demote && elsewhere(b)))
            .then((b.hit == 0).cmp(&(a.hit == 0)))
            .then(b.score.total_cmp(&a.score))
            .then(a.hit.cmp(&b.hit))
    });
    let mut used: Vec<usize> = Vec::new();
    let mut out = String::new();
    for c in ranked {
        if used.len() >= 3 || used.contains(&c.hit) {
            continue;
        }
        // Further provisions only when they answer about as well.
        if !used.is_empty() && (c.score <= 0.0 || c.score < best * 0.85) {
            break;
        }
        used.push(c.hit);
        out.push_str(&format!(
            "{}（{}）。",
            as_statement(&c.text),
            label(&evidence[c.hit])
        ));
    }
    (out, used)
}

/// Local regulations apply only where they were made; samples are samples.
fn scope_notes(evidence: &[Hit], cited: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    for &i in cited {
        let c = &evidence[i].chunk;
        if c.doc_kind == DocKind::LocalRegulation {
            let n = format!("《{}》为地方性法规，仅在其制定地区适用。", c.doc_title);
            if !out.contains(&n) {
                out.push(n);
            }
        }
        if c.doc_title.contains("样例") {
            let n = format!("《{}》为项目编写的样例文档，不是正式文件。", c.doc_title);
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

impl Engine {
    /// Answers `question` from retrieved evidence. With a generator the 结论
    /// streams through `on_text` as the model writes it; the returned
    /// answer is the checked one.
    pub fn ask(
        &self,
        question: &str,
        generator: Option<&mut dyn Generator>,
        opts: &AskOptions,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Answer> {
        let started = Instant::now();
        let mut req = SearchRequest::new(question, opts.evidence.max(1));
        req.in_force_only = true;
        let evidence = self.search(&req)?;
        let terms = clauses::terms(question);
        let mut ttft: Option<f64> = None;
        if evidence.is_empty() {
            let text = format!(
                "{NO_ANSWER}（检索词：{}；库中没有相关条文。）",
                terms.join("、")
            );
            on_text(&text);
            return Ok(self.refusal(text, evidence, "no_evidence", started, 0.0));
        }
        // Refuse only for a reason: the evidence does not speak to the question.
        let named = evidence
            .iter()
            .any(|h| h.retrievers.contains(&crate::Retriever::Lookup));
        let cover = evidence
            .iter()
            .take(3)
            .map(|h| {
                clauses::coverage(
                    &terms,
                    &format!("{} {} {}", h.chunk.doc_title, h.chunk.heading, h.chunk.text),
                )
            })
            .fold(0.0f32, f32::max);
        if !named && cover < REFUSE_COVERAGE {
            let mut text = format!(
                "{NO_ANSWER}检索了“{}”，库中条文与问题的相关程度不足（{:.0}%）。最接近的条文：",
                terms.join("、"),
                cover * 100.0
            );
            for h in evidence.iter().take(3) {
                text.push_str(&format!("\n· {}", label(h)));
            }
            on_text(&text);
            return Ok(self.refusal(text, evidence, "refused", started, cover));
        }
        let picked = clauses::select(question, &evidence, 2);
        let (extractive, answering) = extractive_conclusion(question, &evidence, &picked);

        let mut generation = None;
        let mut fallback: Option<String> = None;
        let mut conclusion: Option<Checked> = None;
        let mut model_text: Option<String> = None;
        match generator {
            None => fallback = Some("未启用生成模型".into()),
            Some(g) => {
                // The model reads the provisions the extractive 结论 would
                // state — the top-ranked one and those whose clauses answer
                // about as well (at most MODEL_PROVISIONS) — so that it words
                // the answer rather than picks among distractors; a short
                // prompt, a fast first token.
                let order: Vec<usize> = answering.iter().copied().take(MODEL_PROVISIONS).collect();
                // Evidence is clipped to the model's context: what is left
                // after the question, the instructions (~250 tokens) and
                // room for the answer, shared among the provisions (one
                // token per character at most for Chinese text).
                let ctx = g.context_length();
                let room = opts.generation.max_new_tokens.max(32).min(ctx / 4);
                let fixed = 250 + question.chars().count() + room;
                let per = (ctx.saturating_sub(fixed) / order.len().max(1)).min(CLAUSE_CHARS);
                let mut material = String::new();
                for (n, i) in order.iter().enumerate() {
                    let text: Vec<&str> = picked
                        .iter()
                        .filter(|c| c.hit == *i)
                        .map(|c| c.text.as_str())
                        .collect();
                    material.push_str(&format!(
                        "{}. {}：{}\n",
                        n + 1,
                        label(&evidence[*i]),
                        clip(&text.join(""), per)
                    ));
                }
                let example = order
                    .first()
                    .map(|i| label(&evidence[*i]))
                    .unwrap_or_else(|| label(&evidence[0]));
                // Whether to answer at all was decided above (the coverage
                // rule): the model is asked to answer, not to judge. The
                // fixed instructions lead, in the system turn, so the model's
                // cache holds them across questions (only the question and
                // its provisions are computed per ask); a short reminder
                // with this question's citation example closes the prompt.
                let system = ANSWER_INSTRUCTIONS;
                let user = format!(
                    "问题：{question}\n\n相关条文：\n{material}\n\
                     请直接回答上面的问题，每句话末尾用括号注明依据，例如（{example}）。"
                );
                let messages = [ChatMessage::system(system), ChatMessage::user(user)];
                let mut first = true;
                let gen = if per < 40 {
                    Err(emkg_models::ModelError::PromptTooLong {
                        tokens: fixed,
                        limit: ctx,
                    })
                } else {
                    g.generate(&messages, &opts.generation, &mut |t| {
                        if first && !t.trim().is_empty() {
                            ttft = Some(started.elapsed().as_secs_f64());
                            first = false;
                        }
                        on_text(t)
                    })
                };
                // A question too long for the model's context still gets
                // the answer taken from the provisions, not an error.
                let gen = match gen {
                    Err(emkg_models::ModelError::PromptTooLong { .. }) => None,
                    other => Some(other?),
                };
                if gen.is_none() {
                    fallback = Some("问题过长，超出生成模型的上下文".into());
                }
                if let Some(gen) = gen {
                    // A question the model echoes back is not a claim: drop it
                    // rather than let it sink an otherwise sound 结论.
                    let text = drop_questions(gen.text.trim());
                    generation = Some(gen);
                    let checked = self.check_conclusion(&text, &evidence);
                    match unacceptable(&text, &checked) {
                        None => conclusion = Some(checked),
                        Some(why) => {
                            fallback = Some(why);
                            model_text = Some(if checked.text.is_empty() {
                                text
                            } else {
                                checked.text
                            });
                        }
                    }
                }
            }
        }
        let (conclusion, sentences, mut citations, source) = match conclusion {
            Some(c) => (c.text, c.sentences, c.citations, "generated"),
            None => {
                if ttft.is_none() {
                    ttft = Some(started.elapsed().as_secs_f64());
                    on_text(&extractive);
                }
                let c = self.check_conclusion(&extractive, &evidence);
                (c.text, c.sentences, c.citations, "extractive")
            }
        };
        // 依据: the provisions the 结论 cites, then the next best evidence
        // whose clauses speak to the question.
        let cited_hits: Vec<usize> = {
            let mut v: Vec<usize> = Vec::new();
            for c in citations.iter().filter(|c| c.verified) {
                if let Some(i) = evidence
                    .iter()
                    .position(|h| Some(&h.chunk.unit_id) == c.unit_id.as_ref())
                {
                    if !v.contains(&i) {
                        v.push(i);
                    }
                }
            }
            v
        };
        let mut basis_hits = cited_hits.clone();
        for c in &picked {
            if basis_hits.len() >= 3.max(cited_hits.len()) {
                break;
            }
            if c.score > 0.0 && !basis_hits.contains(&c.hit) {
                basis_hits.push(c.hit);
            }
        }
        let basis: Vec<BasisItem> = basis_hits
            .iter()
            .map(|&i| {
                let h = &evidence[i];
                let quote: Vec<&str> = picked
                    .iter()
                    .filter(|c| c.hit == i)
                    .map(|c| c.text.as_str())
                    .collect();
                BasisItem {
                    unit_id: h.chunk.unit_id.clone(),
                    citation: label(h),
                    quote: clip(&quote.join(""), 400),
                }
            })
            .collect();
        let related = facts::related(
            self,
            &cited_hits
                .iter()
                .map(|&i| article_id(&evidence[i].chunk.unit_id))
                .collect::<Vec<_>>(),
        );
        let notes = scope_notes(&evidence, &basis_hits);
        // The answer as shown, and the 依据 citations after the 结论's.
        let mut answer = format!("【结论】{conclusion}");
        if let Some(f) = &fallback {
            if source == "extractive" {
                answer.push_str(&format!("\n（结论摘自条文原文：{f}）"));
            }
        }
        answer.push_str("\n【依据】");
        for (n, b) in basis.iter().enumerate() {
            answer.push_str(&format!("\n{}. {}：“{}”", n + 1, b.citation, b.quote));
            if !citations
                .iter()
                .any(|c| c.unit_id.as_deref() == Some(b.unit_id.as_str()))
            {
                let h = &evidence[basis_hits[n]];
                citations.push(Citation {
                    raw: b.citation.clone(),
                    unit_id: Some(b.unit_id.clone()),
                    doc_title: Some(h.chunk.doc_title.clone()),
                    article: h.chunk.article,
                    article_suffix: h.chunk.article_suffix,
                    article_label: h
                        .chunk
                        .article
                        .map(|a| article_label(a, h.chunk.article_suffix)),
                    section: h.chunk.section.clone(),
                    quote: Some(b.quote.clone()),
                    verified: true,
                    problem: None,
                    role: CitationRole::Basis,
                    attributed: false,
                });
            }
        }
        let cite_of = |u: &str| crate::assess::cite::citation(self.catalog(), u);
        for (title, list) in [
            ("相关时限", &related.deadlines),
            ("罚则", &related.penalties),
            ("责任主体", &related.parties),
        ] {
            if list.is_empty() {
                continue;
            }
            let items: Vec<String> = list
                .iter()
                .map(|f| format!("{}（{}）", f.text, cite_of(&f.unit_id)))
                .collect();
            answer.push_str(&format!("\n【{title}】{}", items.join("；")));
        }
        if !notes.is_empty() {
            answer.push_str(&format!("\n【适用范围提示】{}", notes.join("")));
        }
        let conclusion_cites: Vec<&Citation> = citations
            .iter()
            .filter(|c| c.role == CitationRole::Conclusion)
            .collect();
        // Attribution by wording reports where a sentence probably comes
        // from; it never makes the answer verified.
        let verified = !sentences.is_empty()
            && sentences.iter().all(|s| s.supported && !s.attributed)
            && conclusion_cites.iter().all(|c| c.verified)
            && conclusion_cites.iter().any(|c| c.verified);
        let attributed = conclusion_cites.iter().any(|c| c.attributed);
        Ok(Answer {
            answer,
            conclusion,
            conclusion_source: source,
            fallback,
            model_text,
            basis,
            related,
            scope_notes: notes,
            citations,
            sentences,
            evidence,
            verified,
            mode: source,
            generation,
            attributed,
            ttft_secs: ttft,
            total_secs: started.elapsed().as_secs_f64(),
            coverage: cover,
        })
    }

    fn refusal(
        &self,
        text: String,
        evidence: Vec<Hit>,
        mode: &'static str,
        started: Instant,
        coverage: f32,
    ) -> Answer {
        Answer {
            answer: text.clone(),
            conclusion: text,
            conclusion_source: "none",
            fallback: None,
            model_text: None,
            basis: Vec::new(),
            related: Default::default(),
            scope_notes: Vec::new(),
            citations: Vec::new(),
            sentences: Vec::new(),
            evidence,
            verified: false,
            mode,
            generation: None,
            attributed: false,
            ttft_secs: Some(started.elapsed().as_secs_f64()),
            total_secs: started.elapsed().as_secs_f64(),
            coverage,
        }
    }

    /// Checks a 结论: its citations (exist, were evidence, quotes match),
    /// and each sentence's support.
    fn check_conclusion(&self, text: &str, evidence: &[Hit]) -> Checked {
        let t = text.trim();
        let checks = self.verify_citations(t);
        let chars: Vec<char> = t.chars().collect();
        let mut cites: Vec<Citation> = Vec::new();
        for c in checks {
            let quote = quote_after(&chars, c.span.1);
            let title = c.doc_title.clone().unwrap_or_else(|| c.cited_title.clone());
            let hit = evidence.iter().position(|h| {
                normalize_title(&h.chunk.doc_title) == normalize_title(&title)
                    && h.chunk.article == Some(c.article)
                    && h.chunk.article_suffix == c.article_suffix
            });
            let mut problem = c.problem.clone();
            if problem.is_none() && hit.is_none() {
                problem = Some("所引条文不在检索到的证据中".into());
            }
            if problem.is_none() {
                if let (Some(q), Some(tx)) = (&quote, &c.text) {
                    if !squash(tx).contains(&squash(q)) {
                        problem = Some("引号内文字与条文原文不符".into());
                    }
                }
            }
            cites.push(Citation {
                raw: c.raw,
                unit_id: hit.map(|i| evidence[i].chunk.unit_id.clone()).or(c.unit_id),
                doc_title: Some(title),
                article: Some(c.article),
                article_suffix: c.article_suffix,
                article_label: Some(article_label(c.article, c.article_suffix)),
                section: None,
                quote,
                verified: problem.is_none(),
                problem,
                role: CitationRole::Conclusion,
                attributed: false,
            });
        }
        // Plan sections are cited by their label (《预案》3.2).
        for h in evidence.iter().filter(|h| h.chunk.article.is_none()) {
            if h.chunk.section.is_some() && cites_label(t, &label(h)) {
                cites.push(Citation {
                    raw: label(h),
                    unit_id: Some(h.chunk.unit_id.clone()),
                    doc_title: Some(h.chunk.doc_title.clone()),
                    article: None,
                    article_suffix: None,
                    article_label: None,
                    section: h.chunk.section.clone(),
                    quote: None,
                    verified: true,
                    problem: None,
                    role: CitationRole::Conclusion,
                    attributed: false,
                });
            }
        }
        // Sentence by sentence.
        let mut sents = Vec::new();
        for s in support::sentences(t) {
            let own: Vec<&Citation> = cites
                .iter()
                .filter(|c| c.verified && s.contains(&c.raw))
                .collect();
            let texts: Vec<(String, &str)> = own
                .iter()
                .filter_map(|c| {
                    let u = c.unit_id.as_deref()?;
                    evidence
                        .iter()
                        .find(|h| h.chunk.unit_id == u)
                        .map(|h| (u.to_string(), h.chunk.text.as_str()))
                })
                .collect();
            // A sentence with no citation of its own may rest on a provision
            // the 结论 cites elsewhere (…负责。其中…（《X》第N条）), at the
            // stricter attribution overlap; failing that it is attributed by
            // wording to the closest evidence, which never verifies it.
            let cited_elsewhere = || {
                cites
                    .iter()
                    .filter(|c| c.verified && !c.attributed)
                    .filter_map(|c| {
                        let u = c.unit_id.as_deref()?;
                        let h = evidence.iter().find(|h| h.chunk.unit_id == u)?;
                        Some((h, support::overlap(&s, &h.chunk.text)))
                    })
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .filter(|(h, ov)| {
                        *ov >= ATTRIBUTION_OVERLAP
                            && support::numbers_not_in(&s, &h.chunk.text).is_empty()
                            && !support::polarity_conflict(&s, &h.chunk.text)
                    })
            };
            let check = if let (true, Some((h, ov))) = (texts.is_empty(), cited_elsewhere()) {
                SentenceCheck {
                    text: s.clone(),
                    supported_by: Some(h.chunk.unit_id.clone()),
                    overlap: ov,
                    supported: true,
                    numbers_not_in_evidence: Vec::new(),
                    attributed: false,
                }
            } else if texts.is_empty() {
                let best = evidence
                    .iter()
                    .map(|h| (h, support::overlap(&s, &h.chunk.text)))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                match best {
                    Some((h, ov)) if ov >= ATTRIBUTION_OVERLAP => {
                        let missing = support::numbers_not_in(&s, &h.chunk.text);
                        SentenceCheck {
                            text: s.clone(),
                            supported_by: Some(h.chunk.unit_id.clone()),
                            overlap: ov,
                            supported: missing.is_empty()
                                && !support::polarity_conflict(&s, &h.chunk.text),
                            numbers_not_in_evidence: missing,
                            attributed: true,
                        }
                    }
                    other => SentenceCheck {
                        text: s.clone(),
                        supported_by: None,
                        overlap: other.map(|x| x.1).unwrap_or(0.0),
                        numbers_not_in_evidence: Vec::new(),
                        attributed: false,
                        supported: false,
                    },
                }
            } else {
                let joined: String = texts.iter().map(|x| x.1).collect::<Vec<_>>().join("\n");
                let ov = support::overlap(&s, &joined);
                // A (verified) quote carries the sentence only when the
                // sentence is mostly that quote, or what stands outside it
                // is supported too: a short quote does not vouch for a
                // claim wrapped around it.
                let quoted = own.iter().any(|c| c.quote.is_some()) && {
                    let outside = support::strip_quotes(&s);
                    support::content_len(&outside) * 10 <= support::content_len(&s) * 4
                        || support::overlap(&outside, &joined) >= support::SUPPORT_OVERLAP
                };
                let missing = support::numbers_not_in(&s, &joined);
                SentenceCheck {
                    text: s.clone(),
                    supported_by: texts.first().map(|x| x.0.clone()),
                    overlap: ov,
                    supported: (ov >= support::SUPPORT_OVERLAP || quoted)
                        && missing.is_empty()
                        && !support::polarity_conflict(&s, &joined),
                    numbers_not_in_evidence: missing,
                    attributed: false,
                }
            };
            sents.push(check);
        }
        // Attributed sentences get their citation, marked as attributed.
        for s in sents.iter().filter(|s| s.attributed && s.supported) {
            let Some(u) = &s.supported_by else { continue };
            if cites.iter().any(|c| c.unit_id.as_ref() == Some(u)) {
                continue;
            }
            if let Some(h) = evidence.iter().find(|h| &h.chunk.unit_id == u) {
                cites.push(Citation {
                    raw: label(h),
                    unit_id: Some(u.clone()),
                    doc_title: Some(h.chunk.doc_title.clone()),
                    article: h.chunk.article,
                    article_suffix: h.chunk.article_suffix,
                    article_label: h
                        .chunk
                        .article
                        .map(|a| article_label(a, h.chunk.article_suffix)),
                    section: h.chunk.section.clone(),
                    quote: None,
                    verified: true,
                    problem: None,
                    role: CitationRole::Conclusion,
                    attributed: true,
                });
            }
        }
        Checked {
            text: mark_unverified(t, &cites),
            sentences: sents,
            citations: cites,
        }
    }
}

/// Why a model's 结论 cannot stand (then the extractive one is used).
fn unacceptable(raw: &str, c: &Checked) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return Some("模型未生成内容".into());
    }
    if t.contains("无法回答") {
        return Some("模型拒绝回答，但检索到的条文可以回答".into());
    }
    if c.sentences.is_empty() {
        return Some("模型结论为空".into());
    }
    // Citations with nothing said (职责包括：（《…》）（《…》）) are no answer.
    let said: usize = c
        .sentences
        .iter()
        .map(|s| {
            support::strip_citations(&s.text)
                .chars()
                .filter(|ch| ch.is_alphanumeric())
                .count()
        })
        .sum();
    let dangling = c.sentences.iter().any(|s| {
        support::strip_citations(&s.text)
            .trim_end_matches(['。', ' ', '；'])
            .ends_with(['：', ':'])
    });
    if said < 8 || dangling {
        return Some("模型结论只列出条文而没有回答内容".into());
    }
    // One to three sentences (a 结论, not the provisions copied out).
    let full_stops = c
        .sentences
        .iter()
        .filter(|s| !s.text.ends_with('；'))
        .count();
    if full_stops > 3 || said > 250 {
        return Some("模型结论过长（超过三句），未采用".into());
    }
    let distinct: std::collections::HashSet<&Option<String>> =
        c.citations.iter().map(|x| &x.unit_id).collect();
    if distinct.len() > 3 {
        return Some(format!("模型结论引用了{}条条文，超过三条", distinct.len()));
    }
    if c.citations.iter().any(|x| !x.verified) {
        return Some("模型结论中有未通过核验的引用".into());
    }
    if let Some(bad) = c.sentences.iter().find(|s| !s.supported) {
        return Some(if !bad.numbers_not_in_evidence.is_empty() {
            format!(
                "模型结论中的数字“{}”不见于所引条文",
                bad.numbers_not_in_evidence.join("、")
            )
        } else {
            format!("模型结论中的“{}”没有条文支持", clip(&bad.text, 30))
        });
    }

    if !c.citations.iter().any(|x| x.verified && !x.attributed) {
        return Some("模型结论没有引用可核实的条文".into());
    }
    if let Some(s) = c.sentences.iter().find(|s| s.attributed) {
        return Some(format!(
            "模型结论中的“{}”没有注明所依据的条文",
            clip(&s.text, 30)
        ));
    }
    None
}

/// A checked 结论.
#[derive(Debug, Clone)]
struct Checked {
    text: String,
    sentences: Vec<SentenceCheck>,
    citations: Vec<Citation>,
}

fn article_label(a: u32, suffix: Option<u32>) -> String {
    match suffix {
        Some(s) => format!("第{}条之{}", to_chinese(a), to_chinese(s)),
        None => format!("第{}条", to_chinese(a)),
    }
}

/// Marks failed citations where they stand: the k-th citation written
/// `raw` is the k-th occurrence of `raw` (citations are in text order).
fn mark_unverified(text: &str, cites: &[Citation]) -> String {
    let mut ends: Vec<usize> = Vec::new();
    for (i, c) in cites.iter().enumerate() {
        if c.verified || c.attributed {
            continue;
        }
        let k = cites[..i]
            .iter()
            .filter(|x| !x.attributed && x.raw == c.raw)
            .count();
        if let Some((p, _)) = text.match_indices(c.raw.as_str()).nth(k) {
            ends.push(p + c.raw.len());
        }
    }
    ends.sort_unstable();
    ends.dedup();
    let mut out = text.to_string();
    for end in ends.into_iter().rev() {
        out.insert_str(end, UNVERIFIED_MARK);
    }
    out
}

/// The text without its sentences that are questions (end in ？ or ?).
fn drop_questions(text: &str) -> String {
    let mut out = String::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '。' | '！' | '；' | '\n' | '？' | '?') {
            if !matches!(c, '？' | '?') {
                out.push_str(&cur);
            }
            cur.clear();
        }
    }
    out.push_str(&cur);
    out.trim().to_string()
}

/// Whether `text` cites the plan section `label` (《预案》1.4), and not only a
/// subsection of it (《预案》1.4.2).
fn cites_label(text: &str, label: &str) -> bool {
    text.match_indices(label).any(|(p, _)| {
        !text[p + label.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == '．')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_found_right_after_citations() {
        let s: Vec<char> = "依据《安全生产法》第二十一条“建立健全并落实”。"
            .chars()
            .collect();
        let end = "依据《安全生产法》第二十一条".chars().count();
        assert_eq!(quote_after(&s, end).as_deref(), Some("建立健全并落实"));
        let s: Vec<char> = "见第二十一条。另“无关”".chars().collect();
        assert_eq!(quote_after(&s, 6), None);
        // Text that merely follows a citation is not a quote.
        let s: Vec<char> = "根据《安全生产法》第九十三条，生产经营单位的决策机构应当保证资金投入。"
            .chars()
            .collect();
        let end = "根据《安全生产法》第九十三条".chars().count();
        assert_eq!(quote_after(&s, end), None);
    }

    #[test]
    fn list_leads_are_stated_with_their_items() {
        let s = as_statement("生产经营单位的主要负责人对本单位安全生产工作负有下列职责：（一）建立健全并落实本单位全员安全生产责任制；");
        assert!(s.starts_with("生产经营单位的主要负责人"), "{s}");
    }
}
