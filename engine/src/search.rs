//! Query handling: recognising a named provision (安全生产法第二十一条,
//! 《消防法》第16条) so that it comes first, and merging duplicate texts.

use crate::store::{Catalog, CatalogEntry};
use emkg_ingest::numerals::{is_chinese_numeral_char, to_ascii_digit};
use emkg_ingest::xref::provision_at;
use emkg_ontology::{lexicon, normalize_title, regimes};

/// A provision named in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedProvision {
    /// Catalog ids of the documents the title matches (several when one law
    /// came from two sources).
    pub doc_ids: Vec<String>,
    pub article: u32,
    pub suffix: Option<u32>,
    pub clause: Option<u32>,
}

/// Finds `TITLE第N条` in `query`, where TITLE is a stored document's title
/// (full or without 中华人民共和国, with or without 《》).
pub fn named_provisions(query: &str, catalog: &Catalog) -> Vec<NamedProvision> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    for i in 0..chars.len() {
        if chars[i] != '第' {
            continue;
        }
        let Some(r) = provision_at(&chars, i) else {
            continue;
        };
        let Some(article) = r.article else { continue };
        let before: String = chars[..i].iter().collect();
        let ids: Vec<String> = title_ending(&before, catalog)
            .map(|t| docs_titled(&t, catalog).map(|e| e.id.clone()).collect())
            .unwrap_or_default();
        if !ids.is_empty() {
            out.push(NamedProvision {
                doc_ids: ids,
                article,
                suffix: r.suffix,
                clause: r.clause,
            });
        }
    }
    out
}

/// The longest stored title (normalised) that `before` ends with, whatever
/// its form: 《中华人民共和国安全生产法》, 安全生产法, with spaces.
pub fn title_ending(before: &str, catalog: &Catalog) -> Option<String> {
    catalog.title_suffix_of(&normalize_title(before))
}

/// Stored documents whose normalised title is `normalized` and that the
/// current clearance may read (a title lookup is how a query or a citation
/// reaches a document by name).
pub fn docs_titled<'a>(
    normalized: &'a str,
    catalog: &'a Catalog,
) -> impl Iterator<Item = &'a CatalogEntry> + 'a {
    let clearance = crate::access::clearance();
    catalog
        .ids_titled(normalized)
        .iter()
        .filter_map(|id| catalog.docs.get(id))
        .filter(move |e| e.access <= clearance)
}

/// The words of a title that limit its document to a narrower subject than
/// the domain (危险化学品 in 危险化学品安全法, 燃气 in 上海市燃气管理条例);
/// empty for a general one (安全生产法, 突发事件应对法).
pub fn scope_words(title: &str) -> Vec<String> {
    let mut t: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '|' })
        .collect();
    for g in lexicon::GENERIC_TITLE_WORDS {
        t = t.replace(g, "|");
    }
    let mut out: Vec<String> = Vec::new();
    for run in t.split('|').filter(|r| r.chars().count() >= 2) {
        for w in crate::answer::clauses::jieba().cut(run, false) {
            let w = w.word.trim();
            if w.chars().count() >= 2
                && !w.chars().all(|c| c.is_ascii_digit())
                && !out.iter().any(|o| o == w)
            {
                out.push(w.to_string());
            }
        }
    }
    out
}

/// Whether a question falls within a document's scope: the title names no
/// narrower subject, or the question (with its statutory expansions) names
/// it or something within it (a boiler is special equipment, a fire a
/// matter of 消防).
pub fn scope_fits(scope: &[String], query: &str) -> bool {
    if scope.is_empty() {
        return true;
    }
    let expanded: Vec<&str> = lexicon::expansions(query);
    let says = |w: &str| query.contains(w) || expanded.iter().any(|e| e.contains(w));
    scope.iter().any(|s| {
        says(s)
            || lexicon::SCOPE_IMPLIED
                .iter()
                .filter(|(key, _)| s.contains(key) || key.contains(s.as_str()))
                .any(|(_, cues)| cues.iter().any(|c| says(c)))
            || (s.contains("特种设备")
                && regimes::EQUIPMENT_SYNONYMS
                    .iter()
                    .any(|(word, member)| query.contains(word) || query.contains(member)))
    })
}

/// Whether `query` names the place a local instrument's title begins with
/// (上海 for 上海市安全生产条例).
pub fn names_locality(title: &str, query: &str) -> bool {
    let chars: Vec<char> = title.chars().collect();
    let Some(end) = chars
        .iter()
        .take(8)
        .position(|c| matches!(c, '省' | '市' | '区' | '县'))
    else {
        return false;
    };
    let place: String = chars[..end].iter().collect();
    place.chars().count() >= 2 && query.contains(place.as_str())
}

/// Whether a query mentions an article number at all (第N条 with digits or numerals).
pub fn mentions_article(query: &str) -> bool {
    let chars: Vec<char> = query.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        *c == '第'
            && chars
                .get(i + 1)
                .is_some_and(|n| is_chinese_numeral_char(*n) || to_ascii_digit(*n).is_some())
            && provision_at(&chars, i).is_some_and(|r| r.article.is_some())
    })
}

/// Key under which two hits count as the same provision: the same article
/// (or plan section) of the same title, whichever source or version it came
/// from; only the best-ranked one is shown. Units that are neither articles
/// nor sections are never merged.
pub fn dedup_key(
    title: &str,
    article: Option<u32>,
    suffix: Option<u32>,
    section: Option<&str>,
    unit_id: &str,
) -> String {
    match (article, section) {
        (None, None) => unit_id.to_string(),
        _ => format!(
            "{}|{:?}|{:?}|{:?}",
            normalize_title(title),
            article,
            suffix,
            section
        ),
    }
}

// ---------------------------------------------------------------------------
// The search pipeline: expand → lexical / dense / typed lists → named
// provisions → fuse → priors → clause rerank → graph expansion → merge.

use crate::*;

impl Engine {
    /// Hybrid search: a provision the query names comes first; then BM25
    /// and dense candidates fused by reciprocal rank, with provisions linked
    /// to the best of them (references, duty ↔ penalty) added after their
    /// parent. Identical provision texts from different sources are merged.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>> {
        let k = req.k.clamp(1, 1000);
        let pool = POOL.max(k * 2);
        let mut hits: Vec<Hit> = Vec::new();
        // Documents above the caller's clearance are excluded inside each
        // retriever, before fusion and ranking (crate::access).
        let filter = {
            let mut f = req.filter.clone();
            f.exclude.extend(self.hidden_docs());
            f
        };
        let readable =
            |doc: &str| filter.exclude.is_empty() || !filter.exclude.iter().any(|d| d == doc);
        // Colloquial words (危化品, 老总) also search for their statutory
        // terms, which weigh less than the question's own words.
        let extra = emkg_ontology::lexicon::expansions(&req.query);
        let bm25 = if req.retrievers.bm25 {
            self.index
                .search_expanded(&req.query, &extra, EXPANSION_WEIGHT, &filter, pool)?
        } else {
            Vec::new()
        };
        // A question asking what a term means or covers (突发事件包括哪几类)
        // is answered by the provision defining it (本法所称突发事件，是指…),
        // which plain BM25 drowns among every provision using the term: a
        // definition search keeps only hits that define a question term.
        // Likewise a question about the consequence of an act (能怎么处理他)
        // is answered by a provision that sets a penalty for it.
        let qt = answer::clauses::question_type(&req.query);
        let typed: Vec<(f32, IndexedChunk)> = match qt {
            answer::clauses::QuestionType::Definition | answer::clauses::QuestionType::Penalty
                if req.retrievers.bm25 =>
            {
                let ts = answer::clauses::terms(&req.query);
                let q = format!("{} {}", ts.join(" "), qt.search_words());
                self.index
                    .search_expanded(&q, &[], 0.0, &filter, pool)?
                    .into_iter()
                    .filter(|(_, c)| answer::clauses::states_answer(qt, &c.text, &ts))
                    .collect()
            }
            _ => Vec::new(),
        };
        let dense = match (&self.embedder, &self.vectors, req.retrievers.dense) {
            (Some(e), Some(v), true) => {
                let q = e.embed(&[req.query.as_str()], Role::Query)?;
                match q.vectors.first() {
                    // Vectors of a document whose content changed since they
                    // were embedded are never served.
                    Some(qv) => v
                        .search(qv, pool, &filter)?
                        .into_iter()
                        .filter(|(_, unit)| {
                            let doc = unit.split_once('#').map_or(unit.as_str(), |(d, _)| d);
                            self.fresh_vectors.contains(doc)
                        })
                        .collect(),
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        };

        for np in search::named_provisions(&req.query, &self.catalog) {
            for doc_id in &np.doc_ids {
                if !req.filter.doc_ids.is_empty() && !req.filter.doc_ids.contains(doc_id) {
                    continue;
                }
                if !readable(doc_id) {
                    continue;
                }
                let unit = match np.suffix {
                    Some(s) => format!("{doc_id}#art{}-{s}", np.article),
                    None => format!("{doc_id}#art{}", np.article),
                };
                if let Some(c) = self.index.get(&unit)? {
                    if req.filter.kinds.is_empty() || req.filter.kinds.contains(&c.doc_kind) {
                        hits.push(Hit {
                            chunk: c,
                            score: 1.0,
                            retrievers: vec![Retriever::Lookup],
                        });
                    }
                }
            }
        }

        let mut chunks: HashMap<String, IndexedChunk> = HashMap::new();
        let bm25_ids: Vec<String> = bm25
            .into_iter()
            .map(|(_, c)| {
                let id = c.unit_id.clone();
                chunks.insert(id.clone(), c);
                id
            })
            .collect();
        let dense_ids: Vec<String> = dense.into_iter().map(|(_, id)| id).collect();
        let typed_ids: Vec<String> = typed
            .into_iter()
            .map(|(_, c)| {
                let id = c.unit_id.clone();
                chunks.entry(id.clone()).or_insert(c);
                id
            })
            .collect();
        let f = req.fusion;
        let lists = [
            (bm25_ids, f.w_bm25),
            (dense_ids, f.w_dense),
            (typed_ids, f.w_bm25),
        ];
        let which = [Retriever::Bm25, Retriever::Dense, Retriever::Bm25];
        let fused = hybrid::rrf(&lists, f.k0);

        let mut ranked: Vec<(String, f32, Vec<Retriever>)> = fused
            .into_iter()
            .map(|(id, score, from)| (id, score, from.into_iter().map(|i| which[i]).collect()))
            .collect();
        if req.retrievers.graph {
            let parents: Vec<(String, f32)> = ranked
                .iter()
                .take(f.expand_top)
                .map(|r| (r.0.clone(), r.1))
                .collect();
            let mut extra: Vec<(String, f32, Vec<Retriever>)> = Vec::new();
            for (id, score) in parents {
                for (next, _rel) in self.links.neighbours(&id) {
                    if !readable(hybrid::doc_of(next)) {
                        continue;
                    }
                    if let Some(r) = ranked.iter_mut().find(|r| &r.0 == next) {
                        // Found directly and linked: say so, keep its rank.
                        if !r.2.contains(&Retriever::Graph) {
                            r.2.push(Retriever::Graph);
                        }
                    } else if !extra.iter().any(|e| &e.0 == next) {
                        extra.push((next.clone(), score * f.graph_decay, vec![Retriever::Graph]));
                    }
                }
            }
            ranked.extend(extra);
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        }
        // This is an emergency-management engine: a document about other
        // matters (a general civil or company law in the default corpus)
        // yields to one about safety and emergencies of similar score. The
        // prior comes from the document's own wording (domain-word density).
        // Between provisions of similar score, the higher-ranking source
        // first (法律 > 行政法规 > 部门规章 > 地方性法规, DOMAIN.md): a local or
        // departmental text restates or details the national one.
        // A document limited to a narrower subject (危险化学品安全法, 上海市
        // 燃气管理条例) yields to a general one when the question does not
        // fall within that subject: its provision often restates the general
        // rule for its own field only.
        let mut scopes: HashMap<&str, bool> = HashMap::new();
        for r in ranked.iter_mut() {
            let doc = r.0.split('#').next().unwrap_or("");
            if let Some(e) = self.catalog.docs.get(doc) {
                if let Some(d) = e.domain_density {
                    r.1 *= domain_prior(d);
                }
                // A question that names the place (上海的企业…) asks for its
                // local rules as much as the national ones.
                if !(e.kind == DocKind::LocalRegulation
                    && search::names_locality(&e.title, &req.query))
                {
                    r.1 *= rank_prior(e.kind);
                }
                let fits = *scopes.entry(doc).or_insert_with(|| {
                    search::scope_fits(&search::scope_words(&e.title), &req.query)
                });
                if !fits {
                    r.1 *= f.scope_miss;
                }
            }
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        // Work plans, case reports and memos say what was done, not what the
        // rules are: unless the request asks for them, they yield to legal
        // texts and plans of similar score.
        if req.filter.kinds.is_empty() {
            for r in ranked.iter_mut() {
                let doc = r.0.split('#').next().unwrap_or("");
                if self.catalog.docs.get(doc).is_some_and(|e| {
                    matches!(
                        e.kind,
                        DocKind::WorkPlan | DocKind::Case | DocKind::Memo | DocKind::Other
                    )
                }) {
                    r.1 *= NON_NORMATIVE_WEIGHT;
                }
            }
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        }

        // Fetch chunks lazily, filtering and merging duplicate provisions
        // as we go, and stop at k: most candidates are never loaded.
        let mut seen = HashSet::new();
        let keep = |c: &IndexedChunk, seen: &mut HashSet<_>| {
            if req.in_force_only
                && self
                    .catalog
                    .docs
                    .get(&c.doc_id)
                    .is_some_and(|e| is_repealed(e.status.as_deref()))
            {
                return false;
            }
            seen.insert(search::dedup_key(
                &c.doc_title,
                c.article,
                c.article_suffix,
                c.section.as_deref(),
                &c.unit_id,
            ))
        };
        hits.retain(|h| keep(&h.chunk, &mut seen));
        // Materialise enough candidates for the clause rerank, then keep k.
        let named = hits.len();
        let want = if f.w_clause > 0.0 {
            k.max(f.rerank_top)
        } else {
            k
        };
        for (id, score, retrievers) in ranked {
            if hits.len() >= want {
                break;
            }
            if let Some(h) = hits.iter_mut().find(|h| h.chunk.unit_id == id) {
                h.retrievers.extend(retrievers);
                continue;
            }
            let chunk = match chunks.remove(&id) {
                Some(c) => c,
                None => match self.index.get(&id)? {
                    Some(c) => c,
                    // Vectors of a chunk no longer indexed: skip.
                    None => continue,
                },
            };
            if !req.filter.kinds.is_empty() && !req.filter.kinds.contains(&chunk.doc_kind) {
                continue;
            }
            if !req.filter.doc_ids.is_empty() && !req.filter.doc_ids.contains(&chunk.doc_id) {
                continue;
            }
            if !readable(&chunk.doc_id) {
                continue;
            }
            if !keep(&chunk, &mut seen) {
                continue;
            }
            hits.push(Hit {
                chunk,
                score,
                retrievers,
            });
        }
        // Clause rerank: how well a candidate's best sentence answers the
        // question (its terms, the wording of its type, its numbers) moves it
        // among candidates of similar fused score. Named provisions stay first.
        if f.w_clause > 0.0 && hits.len() > named + 1 {
            let (first, rest) = hits.split_at_mut(named);
            let _ = first;
            let scores = answer::clauses::best_scores(&req.query, rest);
            let best = scores.iter().copied().fold(0.0f32, f32::max);
            if best > 0.0 {
                for (h, s) in rest.iter_mut().zip(scores) {
                    h.score += f.w_clause * (s.max(0.0) / best) / (f.k0 + 1.0);
                }
                rest.sort_by(|a, b| b.score.total_cmp(&a.score));
            }
        }
        hits.truncate(k);
        Ok(hits)
    }

    /// Optional rerank stage: the generator scores the first `top` hits for
    /// relevance to `query` (log-odds of 是/否) and they are reordered by
    /// that score; the rest keep their order. Slow on a CPU (one prefill
    /// per hit), hence behind a flag — `eval retrieval --rerank` measures
    /// whether it pays.
    pub fn rerank(
        &self,
        query: &str,
        mut hits: Vec<Hit>,
        generator: &mut dyn emkg_models::Generator,
        top: usize,
    ) -> Result<Vec<Hit>> {
        let n = top.min(hits.len());
        let mut scored: Vec<(f32, Hit)> = Vec::with_capacity(n);
        for h in hits.drain(..n) {
            let passage = format!("{}\n{}", answer::label(&h), h.chunk.text);
            let s = generator.relevance(query, &passage)?;
            scored.push((s, h));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut out: Vec<Hit> = scored.into_iter().map(|(_, h)| h).collect();
        out.extend(hits);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{scope_fits, scope_words};

    #[test]
    fn titles_name_their_scope() {
        assert!(scope_words("中华人民共和国安全生产法").is_empty());
        assert!(scope_words("生产安全事故报告和调查处理条例").is_empty());
        assert!(scope_words("中华人民共和国突发事件应对法").is_empty());
        let hc = scope_words("中华人民共和国危险化学品安全法");
        assert!(hc.iter().any(|w| w.contains("化学品")), "{hc:?}");
        let se = scope_words("特种设备事故报告和调查处理规定");
        assert!(se.iter().any(|w| w.contains("特种设备")), "{se:?}");
        let gas = scope_words("上海市燃气管理条例");
        assert_eq!(gas, vec!["燃气".to_string()]);
    }

    #[test]
    fn questions_fit_scopes_they_name_or_imply() {
        let hc = scope_words("中华人民共和国危险化学品安全法");
        assert!(scope_fits(&hc, "危化品仓库要配哪些设施"));
        assert!(!scope_fits(&hc, "新厂房的安全设施能不能投产以后再补"));
        let se = scope_words("中华人民共和国特种设备安全法");
        assert!(scope_fits(&se, "锅炉压力表乱跳还能用吗"));
        assert!(scope_fits(&se, "塔吊没验收就吊东西行不行"));
        assert!(!scope_fits(&se, "事故调查组由哪些部门组成"));
        let fire = scope_words("中华人民共和国消防法");
        assert!(scope_fits(&fire, "仓库着火了谁来调查"));
        assert!(scope_fits(&[], "任何问题"));
    }

    #[test]
    fn local_titles_name_their_place() {
        assert!(super::names_locality(
            "上海市安全生产条例",
            "上海的企业少配安全员"
        ));
        assert!(!super::names_locality(
            "上海市安全生产条例",
            "企业少配安全员"
        ));
        assert!(!super::names_locality("中华人民共和国消防法", "上海"));
    }
}
