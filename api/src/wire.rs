//! Wire types: the JSON the CLI prints and the server returns. Engine types
//! are converted here; nothing inside the engine is serialised directly.

use emkg_engine::{Hit, IngestReport, Stats};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HitJson {
    pub unit_id: String,
    pub doc_id: String,
    pub doc_title: String,
    pub doc_kind: String,
    pub article: Option<u32>,
    pub article_suffix: Option<u32>,
    pub clause: Option<u32>,
    pub section: Option<String>,
    pub heading_path: Vec<String>,
    pub citation: String,
    pub text: String,
    pub score: f32,
    pub retrievers: Vec<&'static str>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    pub query: String,
    pub hits: Vec<HitJson>,
    /// Documents among the hits that have no vectors yet (background
    /// embedding under way): found by BM25 and links only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_embedded: Vec<String>,
}

/// 《中华人民共和国安全生产法》第二十一条 / 《国家突发事件总体应急预案》3.2.2
pub fn citation(h: &Hit) -> String {
    emkg_engine::answer::label(h)
}

pub fn search_response(query: &str, hits: &[Hit]) -> SearchResponse {
    SearchResponse {
        not_embedded: Vec::new(),
        query: query.to_string(),
        hits: hits
            .iter()
            .map(|h| HitJson {
                unit_id: h.chunk.unit_id.clone(),
                doc_id: h.chunk.doc_id.clone(),
                doc_title: h.chunk.doc_title.clone(),
                doc_kind: h.chunk.doc_kind.as_str().to_string(),
                article: h.chunk.article,
                article_suffix: h.chunk.article_suffix,
                clause: h.chunk.clause,
                section: h.chunk.section.clone(),
                heading_path: h.chunk.heading_path.clone(),
                citation: citation(h),
                text: h.chunk.text.clone(),
                score: h.score,
                retrievers: h.retrievers.iter().map(|r| r.as_str()).collect(),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KindCount {
    pub documents: usize,
    pub units: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocStatsJson {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub units: usize,
    pub articles: usize,
    pub max_article: Option<u32>,
    pub missing_articles: Vec<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatsJson {
    pub documents: usize,
    pub units: usize,
    pub chunks: u64,
    pub per_kind: std::collections::BTreeMap<String, KindCount>,
    pub docs: Vec<DocStatsJson>,
}

pub fn stats(s: &Stats) -> StatsJson {
    StatsJson {
        documents: s.documents,
        units: s.units,
        chunks: s.chunks,
        per_kind: s
            .per_kind
            .iter()
            .map(|(k, (d, u))| {
                (
                    k.as_str().to_string(),
                    KindCount {
                        documents: *d,
                        units: *u,
                    },
                )
            })
            .collect(),
        docs: s
            .docs
            .iter()
            .map(|d| DocStatsJson {
                id: d.id.clone(),
                title: d.title.clone(),
                kind: d.kind.as_str().to_string(),
                units: d.units,
                articles: d.articles,
                max_article: d.max_article,
                missing_articles: d.missing_articles.clone(),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestFileJson {
    pub path: String,
    pub status: &'static str,
    pub error: Option<String>,
    pub documents: Vec<IngestDocJson>,
    #[schema(value_type = Vec<Vec<String>>)]
    pub skipped_parts: Vec<[String; 2]>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestDocJson {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub units: usize,
    pub outcome: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestSummaryJson {
    pub documents_added: usize,
    pub documents_replaced: usize,
    pub documents_unchanged: usize,
    pub units_written: usize,
    pub files_skipped: usize,
    pub files: Vec<IngestFileJson>,
    /// Ids of documents removed because their source disappeared (--prune).
    pub documents_removed: Vec<String>,
}

pub fn outcome_str(o: &emkg_engine::DocOutcome) -> &'static str {
    match o {
        emkg_engine::DocOutcome::Added => "added",
        emkg_engine::DocOutcome::Replaced => "replaced",
        emkg_engine::DocOutcome::Unchanged => "unchanged",
        emkg_engine::DocOutcome::Removed => "removed",
    }
}

pub fn ingest_summary(r: &IngestReport) -> IngestSummaryJson {
    IngestSummaryJson {
        documents_added: r.added(),
        documents_replaced: r.replaced(),
        documents_unchanged: r.unchanged(),
        units_written: r.units_written(),
        files_skipped: r.skipped().len(),
        documents_removed: r.removed.iter().map(|d| d.id.clone()).collect(),
        files: r
            .files
            .iter()
            .map(|f| IngestFileJson {
                path: f.path.display().to_string(),
                status: if f.error.is_some() { "skipped" } else { "ok" },
                error: f.error.clone(),
                documents: f
                    .docs
                    .iter()
                    .map(|d| IngestDocJson {
                        id: d.id.clone(),
                        title: d.title.clone(),
                        kind: d.kind.as_str().to_string(),
                        units: d.units,
                        outcome: outcome_str(&d.outcome),
                    })
                    .collect(),
                skipped_parts: f
                    .skipped_parts
                    .iter()
                    .map(|(a, b)| [a.clone(), b.clone()])
                    .collect(),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorJson {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CitationJson {
    pub raw: String,
    #[schema(value_type = Vec<usize>)]
    pub span: [usize; 2],
    pub cited_title: String,
    pub doc_id: Option<String>,
    pub doc_title: Option<String>,
    pub article: u32,
    pub article_suffix: Option<u32>,
    pub clause: Option<u32>,
    pub item: Option<u32>,
    pub exists: bool,
    pub unit_id: Option<String>,
    pub text: Option<String>,
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifyResponse {
    pub citations: Vec<CitationJson>,
    /// Every citation found exists in the store.
    pub all_verified: bool,
}

pub fn verify_response(checks: &[emkg_engine::citations::CitationCheck]) -> VerifyResponse {
    VerifyResponse {
        all_verified: checks.iter().all(|c| c.exists),
        citations: checks
            .iter()
            .map(|c| CitationJson {
                raw: c.raw.clone(),
                span: [c.span.0, c.span.1],
                cited_title: c.cited_title.clone(),
                doc_id: c.doc_id.clone(),
                doc_title: c.doc_title.clone(),
                article: c.article,
                article_suffix: c.article_suffix,
                clause: c.clause,
                item: c.item,
                exists: c.exists,
                unit_id: c.unit_id.clone(),
                text: c.text.clone(),
                problem: c.problem.clone(),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AskCitationJson {
    pub raw: String,
    /// conclusion or basis, in order of first appearance.
    pub role: &'static str,
    pub unit_id: Option<String>,
    pub doc_title: Option<String>,
    /// The article number, as in search hits.
    pub article: Option<u32>,
    pub article_suffix: Option<u32>,
    /// 第二十一条
    pub article_label: Option<String>,
    pub section: Option<String>,
    pub quote: Option<String>,
    pub verified: bool,
    /// Attributed to the provision by wording; the model did not cite it.
    pub attributed: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GenerationJson {
    pub model: String,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    #[schema(value_type = String)]
    pub stop: emkg_engine::models::StopReason,
    /// Prompt tokens taken from the model's cache (the shared system turn).
    pub reused_prompt_tokens: usize,
    /// Time to compute the prompt tokens not reused.
    pub prefill_secs: f64,
    pub decode_secs: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SentenceJson {
    pub text: String,
    pub supported: bool,
    pub supported_by: Option<String>,
    pub overlap: f32,
    pub attributed: bool,
    pub numbers_not_in_evidence: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BasisJson {
    pub unit_id: String,
    pub citation: String,
    pub quote: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FactJson {
    pub text: String,
    pub unit_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RelatedJson {
    pub deadlines: Vec<FactJson>,
    pub penalties: Vec<FactJson>,
    pub parties: Vec<FactJson>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AskResponse {
    pub question: String,
    /// The whole answer: 结论, 依据, related facts, notes.
    pub answer: String,
    pub conclusion: String,
    /// generated or extractive (who wrote the 结论); none for refusals.
    pub conclusion_source: &'static str,
    /// Why the model's 结论 was replaced by the extractive one.
    pub fallback: Option<String>,
    /// The model's own 结论 when it was replaced.
    pub model_text: Option<String>,
    pub basis: Vec<BasisJson>,
    pub related: RelatedJson,
    pub scope_notes: Vec<String>,
    pub citations: Vec<AskCitationJson>,
    pub sentences: Vec<SentenceJson>,
    pub evidence: Vec<HitJson>,
    pub verified: bool,
    /// generated, extractive, refused or no_evidence
    pub mode: &'static str,
    /// A 结论 citation was attributed by wording overlap.
    pub attributed: bool,
    pub generation: Option<GenerationJson>,
    pub ttft_secs: Option<f64>,
    pub total_secs: f64,
    /// Share of the question's terms found in the best evidence.
    pub coverage: f32,
}

fn facts(list: &[emkg_engine::answer::facts::Fact]) -> Vec<FactJson> {
    list.iter()
        .map(|f| FactJson {
            text: f.text.clone(),
            unit_id: f.unit_id.clone(),
        })
        .collect()
}

pub fn ask_response(question: &str, a: &emkg_engine::answer::Answer, model: &str) -> AskResponse {
    AskResponse {
        question: question.to_string(),
        answer: a.answer.clone(),
        conclusion: a.conclusion.clone(),
        conclusion_source: a.conclusion_source,
        fallback: a.fallback.clone(),
        model_text: a.model_text.clone(),
        basis: a
            .basis
            .iter()
            .map(|b| BasisJson {
                unit_id: b.unit_id.clone(),
                citation: b.citation.clone(),
                quote: b.quote.clone(),
            })
            .collect(),
        related: RelatedJson {
            deadlines: facts(&a.related.deadlines),
            penalties: facts(&a.related.penalties),
            parties: facts(&a.related.parties),
        },
        scope_notes: a.scope_notes.clone(),
        citations: a
            .citations
            .iter()
            .map(|c| AskCitationJson {
                raw: c.raw.clone(),
                role: c.role.as_str(),
                unit_id: c.unit_id.clone(),
                doc_title: c.doc_title.clone(),
                article: c.article,
                article_suffix: c.article_suffix,
                article_label: c.article_label.clone(),
                section: c.section.clone(),
                quote: c.quote.clone(),
                verified: c.verified,
                attributed: c.attributed,
                problem: c.problem.clone(),
            })
            .collect(),
        sentences: a
            .sentences
            .iter()
            .map(|s| SentenceJson {
                text: s.text.clone(),
                supported: s.supported,
                supported_by: s.supported_by.clone(),
                overlap: s.overlap,
                attributed: s.attributed,
                numbers_not_in_evidence: s.numbers_not_in_evidence.clone(),
            })
            .collect(),
        evidence: search_response(question, &a.evidence).hits,
        verified: a.verified,
        mode: a.mode,
        attributed: a.attributed,
        generation: a.generation.as_ref().map(|g| GenerationJson {
            model: model.to_string(),
            prompt_tokens: g.prompt_tokens,
            generated_tokens: g.generated_tokens,
            stop: g.stop,
            reused_prompt_tokens: g.reused_prompt_tokens,
            prefill_secs: g.prefill_secs,
            decode_secs: g.decode_secs,
        }),
        ttft_secs: a.ttft_secs,
        total_secs: a.total_secs,
        coverage: a.coverage,
    }
}

/// The JSON form of a draft: the draft's fields (`missing`, `removed`,
/// `citations` among them) plus its Markdown.
pub fn draft_json(d: &emkg_engine::draft::Draft) -> serde_json::Value {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("markdown".into(), serde_json::Value::String(d.markdown()));
    }
    v
}

/// Free-form JSON in the OpenAPI document (assessments, drafts: their
/// fields are documented in README).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(value_type = Object)]
pub struct FreeForm(pub serde_json::Value);
