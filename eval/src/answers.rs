//! Scoring grounded answers over a gold file in the dev_retrieval format:
//! whether the 结论 cites a gold provision (verified, at most three cited),
//! refusals (and refusals with gold in the evidence), unsupported 结论
//! sentences, numbers not in the cited text, time to first token and total
//! time. The same measure for the generated and the extractive path.

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
        let mut distinct: Vec<&Option<String>> = concl.iter().map(|c| &c.unit_id).collect();
        distinct.dedup();
        let r = AnswerResult {
            id: q.id.clone(),
            kind: q.kind.clone(),
            mode: a.mode,
            conclusion_source: a.conclusion_source,
            gold_in_evidence: a
                .evidence
                .iter()
                .any(|h| q.gold.iter().any(|g| matches(h, g))),
            gold_cited: concl.iter().any(|c| c.verified && cites_gold(c, &q.gold)),
            conclusion_cites: distinct.len(),
            sentences: a.sentences.len(),
            unsupported: a.sentences.iter().filter(|s| !s.supported).count(),
            numbers_not_in_evidence: a
                .sentences
                .iter()
                .map(|s| s.numbers_not_in_evidence.len())
                .sum(),
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
