//! Scoring grounded answers over a gold file in the dev_retrieval format:
//! whether the 结论 cites a gold provision (verified, at most three cited),
//! refusals (and refusals with gold in the evidence), unsupported 结论
//! sentences, numbers not in the cited text, time to first token and total
//! time. The same measure for the generated and the extractive path.
//!
//! The numbers are counted by a check of the eval's own, not the answer
//! checker's: every run of Arabic digits in the 结论 (citations left out)
//! must occur in a cited provision's text, as digits or as the Chinese
//! numeral of its value. Attributed citations do not count as cited.

use crate::retrieval::{load_gold, matches, EvalError, GoldItem};
use emkg_engine::answer::{AskOptions, CitationRole};
use emkg_engine::models::Generator;
use emkg_engine::Engine;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct AnswerResult {
    pub id: String,
    pub kind: Option<String>,
    pub mode: &'static str,
    pub conclusion_source: &'static str,
    pub gold_in_evidence: bool,
    /// A gold provision is cited (verified) in the 结论.
    pub gold_cited: bool,
    /// Distinct provisions the 结论 cites.
    pub conclusion_cites: usize,
    pub sentences: usize,
    pub unsupported: usize,
    pub numbers_not_in_evidence: usize,
    pub verified: bool,
    pub fallback: Option<String>,
    pub ttft_secs: Option<f64>,
    pub total_secs: f64,
    pub conclusion: String,
}

fn cites_gold(c: &emkg_engine::answer::Citation, gold: &[GoldItem]) -> bool {
    let title = c.doc_title.as_deref().unwrap_or("");
    gold.iter().any(|g| {
        emkg_engine::ontology::normalize_title(title)
            == emkg_engine::ontology::normalize_title(&g.title)
            && match (&g.section, g.article) {
                (Some(s), _) => c.section.as_deref() == Some(s.as_str()),
                (None, Some(a)) => c.article == Some(a),
                _ => false,
            }
    })
}

/// Runs of Arabic digits in `conclusion` (outside 《…》 and the provision
/// label after it) that no text of `cited` states, as digits or in Chinese.
fn digits_not_in(conclusion: &str, cited: &[&str]) -> Vec<String> {
    let text = emkg_engine::answer::support::strip_citations(conclusion);
    let mut out = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || (c == '.' && !run.is_empty()) {
            run.push(c);
            continue;
        }
        let r = run.trim_end_matches('.').to_string();
        run.clear();
        if r.is_empty() {
            continue;
        }
        let chinese = r
            .parse::<u32>()
            .ok()
            .map(emkg_engine::ingest::numerals::to_chinese);
        let found = cited.iter().any(|t| {
            t.contains(&r)
                || chinese.as_ref().is_some_and(|z| t.contains(z.as_str()))
                || (r == "2" && t.contains('两'))
        });
        if !found {
            out.push(r);
        }
    }
    out
}

/// Asks every question of `gold` (the first `limit`).
pub fn answers(
    engine: &Engine,
    gold: &Path,
    mut generator: Option<&mut dyn Generator>,
    opts: &AskOptions,
    limit: Option<usize>,
    on_result: &mut dyn FnMut(&AnswerResult),
) -> Result<Vec<AnswerResult>, EvalError> {
    let qs = load_gold(gold)?;
    let mut out = Vec::new();
    for q in qs.into_iter().take(limit.unwrap_or(usize::MAX)) {
        let a = engine.ask(
            &q.query,
            generator.as_mut().map(|g| &mut **g as &mut dyn Generator),
            opts,
            &mut |_| true,
        )?;
        let concl: Vec<&emkg_engine::answer::Citation> = a
            .citations
            .iter()
            .filter(|c| c.role == CitationRole::Conclusion)
            .collect();
        let distinct: std::collections::HashSet<&Option<String>> =
            concl.iter().map(|c| &c.unit_id).collect();
        let cited_texts: Vec<&str> = concl
            .iter()
            .filter(|c| !c.attributed)
            .filter_map(|c| c.unit_id.as_deref())
            .filter_map(|u| a.evidence.iter().find(|h| h.chunk.unit_id == u))
            .map(|h| h.chunk.text.as_str())
            .collect();
        let r = AnswerResult {
            id: q.id.clone(),
            kind: q.kind.clone(),
            mode: a.mode,
            conclusion_source: a.conclusion_source,
            gold_in_evidence: a
                .evidence
                .iter()
                .any(|h| q.gold.iter().any(|g| matches(h, g))),
            gold_cited: concl
                .iter()
                .any(|c| c.verified && !c.attributed && cites_gold(c, &q.gold)),
            conclusion_cites: distinct.len(),
            sentences: a.sentences.len(),
            unsupported: a.sentences.iter().filter(|s| !s.supported).count(),
            numbers_not_in_evidence: if a.conclusion_source == "none" {
                0
            } else {
                digits_not_in(&a.conclusion, &cited_texts).len()
            },
            verified: a.verified,
            fallback: a.fallback.clone(),
            ttft_secs: a.ttft_secs,
            total_secs: a.total_secs,
            conclusion: a.conclusion.clone(),
        };
        on_result(&r);
        out.push(r);
    }
    Ok(out)
}

/// Totals over the results.
#[derive(Debug, Clone, Default)]
pub struct AnswerTotals {
    pub n: usize,
    pub gold_in_evidence: usize,
    /// Among questions with gold in evidence: gold cited in the 结论 with ≤ 3 cites.
    pub gold_cited_when_in_evidence: usize,
    pub refusals: usize,
    pub refusals_with_gold: usize,
    pub sentences: usize,
    pub unsupported: usize,
    pub numbers_not_in_evidence: usize,
    pub fallbacks: usize,
    pub ttft_p50: f64,
    pub ttft_p95: f64,
    pub total_p50: f64,
    pub total_p95: f64,
}

pub fn totals(rs: &[AnswerResult]) -> AnswerTotals {
    let pct = |mut v: Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        let i = ((v.len() as f64 - 1.0).max(0.0) * p).round() as usize;
        v.get(i).copied().unwrap_or(0.0)
    };
    let refused = |r: &AnswerResult| r.mode == "refused" || r.mode == "no_evidence";
    let ttft: Vec<f64> = rs.iter().filter_map(|r| r.ttft_secs).collect();
    let total: Vec<f64> = rs.iter().map(|r| r.total_secs).collect();
    AnswerTotals {
        n: rs.len(),
        gold_in_evidence: rs.iter().filter(|r| r.gold_in_evidence).count(),
        gold_cited_when_in_evidence: rs
            .iter()
            .filter(|r| r.gold_in_evidence && r.gold_cited && r.conclusion_cites <= 3)
            .count(),
        refusals: rs.iter().filter(|r| refused(r)).count(),
        refusals_with_gold: rs
            .iter()
            .filter(|r| refused(r) && r.gold_in_evidence)
            .count(),
        sentences: rs.iter().map(|r| r.sentences).sum(),
        unsupported: rs.iter().map(|r| r.unsupported).sum(),
        numbers_not_in_evidence: rs.iter().map(|r| r.numbers_not_in_evidence).sum(),
        fallbacks: rs
            .iter()
            .filter(|r| {
                r.conclusion_source == "extractive"
                    && r.fallback.as_deref() != Some("未启用生成模型")
            })
            .count(),
        ttft_p50: pct(ttft.clone(), 0.5),
        ttft_p95: pct(ttft, 0.95),
        total_p50: pct(total.clone(), 0.5),
        total_p95: pct(total, 0.95),
    }
}
