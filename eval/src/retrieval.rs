//! Retrieval scoring. A hit matches a gold entry when the normalised titles
//! are equal (leading 中华人民共和国 and 《》 dropped) and the article number —
//! or, for plans, the section number — is equal.

use emkg_engine::ontology::normalize_title;
use emkg_engine::{Engine, Hit, SearchRequest};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("无法读取评测集 {path}：{source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("评测集第 {line} 行格式错误：{reason}")]
    Format { line: usize, reason: String },
    #[error(transparent)]
    Engine(#[from] emkg_engine::EngineError),
}

#[derive(Debug, Clone, Deserialize)]
pub struct GoldItem {
    #[serde(default)]
    pub file: Option<String>,
    pub title: String,
    #[serde(default)]
    pub article: Option<u32>,
    #[serde(default)]
    pub section: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GoldQuery {
    pub id: String,
    pub query: String,
    pub gold: Vec<GoldItem>,
    #[serde(default)]
    pub kind: Option<String>,
}

pub fn load_gold(path: &Path) -> Result<Vec<GoldQuery>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: GoldQuery = serde_json::from_str(line).map_err(|e| EvalError::Format {
            line: i + 1,
            reason: e.to_string(),
        })?;
        out.push(q);
    }
    Ok(out)
}

/// Whether `hit` answers `gold`.
pub fn matches(hit: &Hit, gold: &GoldItem) -> bool {
    if normalize_title(&hit.chunk.doc_title) != normalize_title(&gold.title) {
        return false;
    }
    match (&gold.section, gold.article) {
        (Some(s), _) => hit.chunk.section.as_deref() == Some(s.as_str()),
        (None, Some(a)) => hit.chunk.article == Some(a),
        (None, None) => false,
    }
}

#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub n: usize,
    pub recall5: f64,
    pub recall10: f64,
    pub mrr10: f64,
}

#[derive(Debug, Clone)]
pub struct Miss {
    pub id: String,
    pub query: String,
    pub gold: Vec<String>,
    pub top: Vec<String>,
    /// Rank of the first gold provision within the top 30, if there.
    pub rank: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub overall: Scores,
    pub per_kind: BTreeMap<String, Scores>,
    pub misses: Vec<Miss>,
    /// Every query's id with the rank of its first gold hit (top 30).
    pub ranks: Vec<(String, Option<usize>)>,
}

fn cite(title: &str, article: Option<u32>, section: Option<&str>) -> String {
    match (article, section) {
        (Some(a), _) => format!("《{title}》第{a}条"),
        (None, Some(s)) => format!("《{title}》{s}"),
        _ => format!("《{title}》"),
    }
}

/// Runs every query and scores the top 10.
pub fn evaluate(
    engine: &Engine,
    gold: &[GoldQuery],
    retrievers: emkg_engine::Retrievers,
    fusion: emkg_engine::Fusion,
    mut rerank: Option<(&mut dyn emkg_engine::models::Generator, usize)>,
) -> Result<Report, EvalError> {
    let mut report = Report::default();
    let add = |s: &mut Scores, rank: Option<usize>| {
        s.n += 1;
        if let Some(r) = rank {
            if r <= 5 {
                s.recall5 += 1.0;
            }
            if r <= 10 {
                s.recall10 += 1.0;
                s.mrr10 += 1.0 / r as f64;
            }
        }
    };
    for q in gold {
        // The top 30 (the clause rerank's pool, so the top 10 are the same
        // as a k=10 search): a miss then says how far the gold fell.
        let mut req = SearchRequest::new(&q.query, 30);
        req.retrievers = retrievers;
        req.fusion = fusion;
        let mut hits = engine.search(&req)?;
        if let Some((g, top)) = rerank.as_mut() {
            hits = engine.rerank(&q.query, hits, &mut **g, *top)?;
        }
        let rank = hits
            .iter()
            .position(|h| q.gold.iter().any(|g| matches(h, g)))
            .map(|p| p + 1);
        report.ranks.push((q.id.clone(), rank));
        add(&mut report.overall, rank);
        let kind = q.kind.clone().unwrap_or_else(|| "-".into());
        add(report.per_kind.entry(kind).or_default(), rank);
        if rank.is_none_or(|r| r > 10) {
            report.misses.push(Miss {
                id: q.id.clone(),
                query: q.query.clone(),
                gold: q
                    .gold
                    .iter()
                    .map(|g| cite(&g.title, g.article, g.section.as_deref()))
                    .collect(),
                top: hits
                    .iter()
                    .take(5)
                    .map(|h| {
                        cite(
                            &h.chunk.doc_title,
                            h.chunk.article,
                            h.chunk.section.as_deref(),
                        )
                    })
                    .collect(),
                rank,
            });
        }
    }
    let finish = |s: &mut Scores| {
        if s.n > 0 {
            let n = s.n as f64;
            s.recall5 /= n;
            s.recall10 /= n;
            s.mrr10 /= n;
        }
    };
    finish(&mut report.overall);
    report.per_kind.values_mut().for_each(finish);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use emkg_engine::{IndexedChunk, Retriever};

    fn hit(title: &str, article: Option<u32>, section: Option<&str>) -> Hit {
        Hit {
            chunk: IndexedChunk {
                unit_id: "u".into(),
                doc_id: "d".into(),
                doc_title: title.into(),
                doc_kind: emkg_engine::ontology::DocKind::Law,
                heading_path: vec![],
                heading: String::new(),
                text: String::new(),
                lead: String::new(),
                article,
                article_suffix: None,
                clause: None,
                section: section.map(String::from),
            },
            score: 1.0,
            retrievers: vec![Retriever::Bm25],
        }
    }

    #[test]
    fn gold_matching_normalises_titles() {
        let g = GoldItem {
            file: None,
            title: "中华人民共和国安全生产法".into(),
            article: Some(21),
            section: None,
        };
        assert!(matches(&hit("《安全生产法》", Some(21), None), &g));
        assert!(!matches(&hit("安全生产法", Some(22), None), &g));
        assert!(!matches(&hit("消防法", Some(21), None), &g));
        let p = GoldItem {
            file: None,
            title: "国家突发事件总体应急预案".into(),
            article: None,
            section: Some("1.4".into()),
        };
        assert!(matches(
            &hit("国家突发事件总体应急预案", None, Some("1.4")),
            &p
        ));
        assert!(!matches(
            &hit("国家突发事件总体应急预案", None, Some("1.3")),
            &p
        ));
    }
}
