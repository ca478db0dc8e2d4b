//! The emkg engine: stores ingested documents, keeps the full-text index in
//! step with them, and answers searches and statistics.
//!
//! The engine is synchronous and knows nothing of HTTP; the CLI and the
//! server call the same functions. Storage sits behind the [`TextIndex`]
//! trait; the documents in the data directory ([`store`]) are the system of
//! record and every index is derived from them.
//!
//! ```no_run
//! use emkg_engine::{Engine, SearchRequest};
//! let mut engine = Engine::open_for_write(std::path::Path::new("data")).unwrap();
//! engine.ingest_paths(&["corpus".into()], &Default::default(), &mut |_| {}).unwrap();
//! let hits = engine.search(&SearchRequest::new("安全生产法第二十一条", 5)).unwrap();
//! assert_eq!(hits[0].chunk.article, Some(21));
//! ```

pub mod citations;
pub mod error;
pub mod graph;
pub mod search;
pub mod store;
pub mod text_index;

pub use emkg_ingest as ingest;
pub use emkg_ontology as ontology;
pub use error::{EngineError, Result};
pub use graph::{GraphStore, OxigraphGraph, QueryLimits, QueryOutput, ResultFormat};
pub use text_index::{Filter, IndexedChunk, TantivyIndex, TextIndex};

use emkg_ingest::{Document, IngestOptions};
use emkg_ontology::DocKind;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use store::{Catalog, DataDir};

/// A search request.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub k: usize,
    pub filter: Filter,
}

impl SearchRequest {
    pub fn new(query: &str, k: usize) -> Self {
        SearchRequest {
            query: query.to_string(),
            k,
            filter: Filter::default(),
        }
    }
}

/// How a hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retriever {
    /// The query named this provision.
    Lookup,
    Bm25,
}

impl Retriever {
    pub fn as_str(self) -> &'static str {
        match self {
            Retriever::Lookup => "lookup",
            Retriever::Bm25 => "bm25",
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub chunk: IndexedChunk,
    pub score: f32,
    pub retrievers: Vec<Retriever>,
}

/// What happened to one document during ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocOutcome {
    Added,
    Replaced,
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct DocReport {
    pub id: String,
    pub title: String,
    pub kind: DocKind,
    pub units: usize,
    pub outcome: DocOutcome,
}

/// What happened to one input file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    /// Documents the file produced (several for a law database).
    pub docs: Vec<DocReport>,
    /// Why the file was skipped, if it was (Chinese, for users).
    pub error: Option<String>,
    /// Parts of the file left out, with reasons (e.g. repealed laws in a database).
    pub skipped_parts: Vec<(String, String)>,
    pub bytes: u64,
}

/// Progress callback payload.
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub file: &'a FileReport,
}

/// Summary of an ingest run.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub files: Vec<FileReport>,
}

impl IngestReport {
    fn count(&self, o: DocOutcome) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.docs)
            .filter(|d| d.outcome == o)
            .count()
    }
    pub fn added(&self) -> usize {
        self.count(DocOutcome::Added)
    }
    pub fn replaced(&self) -> usize {
        self.count(DocOutcome::Replaced)
    }
    pub fn unchanged(&self) -> usize {
        self.count(DocOutcome::Unchanged)
    }
    pub fn units_written(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.docs)
            .filter(|d| d.outcome != DocOutcome::Unchanged)
            .map(|d| d.units)
            .sum()
    }
    pub fn skipped(&self) -> Vec<(&Path, &str)> {
        self.files
            .iter()
            .filter_map(|f| f.error.as_deref().map(|e| (f.path.as_path(), e)))
            .collect()
    }
}

/// Per-document statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct DocStats {
    pub id: String,
    pub title: String,
    pub kind: DocKind,
    pub units: usize,
    pub articles: usize,
    pub max_article: Option<u32>,
    pub missing_articles: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub documents: usize,
    pub units: usize,
    pub chunks: u64,
    pub per_kind: BTreeMap<DocKind, (usize, usize)>,
    pub docs: Vec<DocStats>,
}

/// The engine over one data directory.
pub struct Engine {
    dir: DataDir,
    catalog: Catalog,
    index: Box<dyn TextIndex>,
    /// The knowledge graph; `Err` holds why it could not be opened (read paths).
    graph: std::result::Result<Box<dyn GraphStore>, String>,
    /// Graphs of newly added documents, bulk-loaded at the next commit.
    staged_graphs: BTreeMap<String, graph::DocTriples>,
}

impl Engine {
    /// Opens (creating if needed) a data directory for ingest. If the index
    /// does not reflect the catalog (a crash between the two), it is rebuilt
    /// from the stored documents.
    pub fn open_for_write(root: &Path) -> Result<Engine> {
        let dir = DataDir::open(root, true)?;
        let catalog = dir.load_catalog()?;
        let index = Box::new(TantivyIndex::open_in_dir(&dir.index_dir())?);
        let graph: Box<dyn GraphStore> = Box::new(OxigraphGraph::open(&dir.graph_dir())?);
        let mut e = Engine {
            dir,
            catalog,
            index,
            graph: Ok(graph),
            staged_graphs: BTreeMap::new(),
        };
        if e.index.generation()?.unwrap_or(0) != e.catalog.generation {
            e.rebuild_index()?;
        }
        if e.graph()?.generation()?.unwrap_or(0) != e.catalog.generation {
            e.rebuild_graph()?;
        }
        Ok(e)
    }

    /// Opens an existing data directory for searching.
    pub fn open(root: &Path) -> Result<Engine> {
        let dir = DataDir::open(root, false)?;
        let catalog = dir.load_catalog()?;
        let index = Box::new(TantivyIndex::open_in_dir(&dir.index_dir())?);
        let graph_dir = dir.graph_dir();
        let graph: std::result::Result<Box<dyn GraphStore>, String> = if graph_dir.exists() {
            OxigraphGraph::open_read_only(&graph_dir)
                .map(|g| Box::new(g) as Box<dyn GraphStore>)
                .map_err(|e| e.to_string())
        } else {
            Err("数据目录中没有知识图谱，请重新运行 emkg ingest".into())
        };
        Ok(Engine {
            dir,
            catalog,
            index,
            graph,
            staged_graphs: BTreeMap::new(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.root()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Rebuilds the full-text index from the documents in the store.
    pub fn rebuild_index(&mut self) -> Result<()> {
        let ids: Vec<String> = self.catalog.docs.keys().cloned().collect();
        for stale in self.dir.stored_ids()? {
            if !self.catalog.docs.contains_key(&stale) {
                self.index.remove_document(&stale)?;
            }
        }
        for id in ids {
            let d = self.dir.load_document(&id)?;
            self.index.replace_document(&id, &chunks_of(&d))?;
        }
        self.index.commit(self.catalog.generation)
    }

    fn graph(&self) -> Result<&dyn GraphStore> {
        self.graph
            .as_deref()
            .map_err(|e| EngineError::Graph(e.clone()))
    }

    /// Rebuilds the knowledge graph from the documents in the store.
    pub fn rebuild_graph(&mut self) -> Result<()> {
        for stale in self.dir.stored_ids()? {
            if !self.catalog.docs.contains_key(&stale) {
                self.graph()?.remove_document(&stale)?;
            }
        }
        let ids: Vec<String> = self.catalog.docs.keys().cloned().collect();
        for id in ids {
            let d = self.dir.load_document(&id)?;
            self.graph()?
                .replace_document(&id, graph::document_triples(&d)?)?;
        }
        self.graph()?.set_generation(self.catalog.generation)
    }

    /// Runs a read-only SPARQL query over the knowledge graph.
    pub fn sparql(
        &self,
        query: &str,
        limits: &QueryLimits,
        format: ResultFormat,
    ) -> Result<QueryOutput> {
        self.graph()?.query(query, limits, format)
    }

    /// Number of quads in the knowledge graph.
    pub fn graph_len(&self) -> Result<usize> {
        self.graph()?.len()
    }

    /// Ingests files and folders. Per-file problems are reported in the
    /// result and do not stop the batch; stored data is only replaced by a
    /// complete new version of a document.
    pub fn ingest_paths(
        &mut self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        on_file: &mut dyn FnMut(Progress<'_>),
    ) -> Result<IngestReport> {
        let (files, missing) = emkg_ingest::discover(paths);
        let mut report = IngestReport::default();
        for e in missing {
            let path = match &e {
                emkg_ingest::IngestError::Io { path, .. } => path.clone(),
                _ => PathBuf::new(),
            };
            report.files.push(FileReport {
                path,
                docs: Vec::new(),
                error: Some(e.to_string()),
                skipped_parts: Vec::new(),
                bytes: 0,
            });
        }
        let total = files.len();
        for (i, path) in files.iter().enumerate() {
            let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            let mut fr = FileReport {
                path: path.clone(),
                docs: Vec::new(),
                error: None,
                skipped_parts: Vec::new(),
                bytes,
            };
            match emkg_ingest::load_file(path, opts) {
                Ok(loaded) => {
                    fr.skipped_parts = loaded.skipped;
                    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                    for doc in loaded.documents {
                        let key = match doc.source.path.rsplit_once('#') {
                            Some((_, part)) => format!("{}#{part}", canonical.display()),
                            None => canonical.display().to_string(),
                        };
                        fr.docs.push(self.put_document(doc, &key)?);
                    }
                }
                Err(e) => fr.error = Some(e.to_string()),
            }
            on_file(Progress {
                done: i + 1,
                total,
                file: &fr,
            });
            report.files.push(fr);
        }
        self.relink_pending()?;
        self.commit()?;
        Ok(report)
    }

    /// Stages one parsed document under `source_key`: unchanged content is a
    /// no-op; a changed source replaces its earlier version under the same id.
    /// Call [`Engine::commit`] to make staged documents searchable.
    pub fn put_document(&mut self, mut doc: Document, source_key: &str) -> Result<DocReport> {
        let existing = self.catalog.by_source(source_key).cloned();
        let outcome = match &existing {
            Some(e) if e.content_hash == doc.content_hash => {
                return Ok(DocReport {
                    id: e.id.clone(),
                    title: e.title.clone(),
                    kind: e.kind,
                    units: e.units,
                    outcome: DocOutcome::Unchanged,
                })
            }
            Some(e) => {
                if doc.id != e.id {
                    doc = with_id(doc, &e.id);
                }
                DocOutcome::Replaced
            }
            None => {
                let base = doc.id.clone();
                let mut id = base.clone();
                let mut n = 2;
                while self.catalog.docs.contains_key(&id) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                if id != doc.id {
                    doc = with_id(doc, &id);
                }
                DocOutcome::Added
            }
        };
        self.resolve_external_refs(&mut doc);
        self.dir.save_document(&doc)?;
        self.index.replace_document(&doc.id, &chunks_of(&doc))?;
        self.stage_graph(&doc, outcome == DocOutcome::Added)?;
        let mut entry = store::entry_for(&doc, source_key);
        entry.pending_titles.retain(|t| !self.has_title(t));
        let report = DocReport {
            id: doc.id.clone(),
            title: doc.title.clone(),
            kind: doc.kind,
            units: doc.units.len(),
            outcome,
        };
        self.catalog.docs.insert(doc.id.clone(), entry);
        Ok(report)
    }

    /// Parses in-memory bytes named `name` and stages the document under
    /// `source_key` (benchmarks, uploads). A file-level problem is returned
    /// as `Ok(Err(message))`.
    pub fn put_bytes(
        &mut self,
        name: &Path,
        bytes: &[u8],
        source_key: &str,
    ) -> Result<std::result::Result<DocReport, String>> {
        match emkg_ingest::load_bytes(name, bytes) {
            Ok(doc) => Ok(Ok(self.put_document(doc, source_key)?)),
            Err(e) => Ok(Err(e.to_string())),
        }
    }

    /// Makes staged documents searchable and records the new catalog generation.
    pub fn commit(&mut self) -> Result<()> {
        self.catalog.generation += 1;
        self.flush_graphs()?;
        self.index.commit(self.catalog.generation)?;
        self.graph()?.set_generation(self.catalog.generation)?;
        self.dir.save_catalog(&self.catalog)
    }

    /// Revisits stored documents whose 《X》第N条 references named a title that
    /// is now stored, so that cross-document links do not depend on ingest
    /// order. Returns how many documents were updated (staged until commit).
    pub fn relink_pending(&mut self) -> Result<usize> {
        let titles: HashSet<String> = self
            .catalog
            .docs
            .values()
            .map(|e| emkg_ontology::normalize_title(&e.title))
            .collect();
        let due: Vec<(String, String)> = self
            .catalog
            .docs
            .values()
            .filter(|e| e.pending_titles.iter().any(|t| titles.contains(t)))
            .map(|e| (e.id.clone(), e.source_key.clone()))
            .collect();
        for (id, key) in &due {
            let mut doc = self.dir.load_document(id)?;
            self.resolve_external_refs(&mut doc);
            self.dir.save_document(&doc)?;
            self.graph()?
                .replace_document(&doc.id, graph::document_triples(&doc)?)?;
            let mut entry = store::entry_for(&doc, key);
            entry.pending_titles.retain(|t| !titles.contains(t));
            self.catalog.docs.insert(doc.id.clone(), entry);
        }
        Ok(due.len())
    }

    /// A new document's graph waits for the bulk load at commit; a replaced
    /// one is swapped in one transaction now (its named graph replaced whole).
    fn stage_graph(&mut self, doc: &Document, new: bool) -> Result<()> {
        let triples = graph::document_triples(doc)?;
        if new {
            self.staged_graphs.insert(doc.id.clone(), triples);
            if self.staged_graphs.len() >= 500 {
                self.flush_graphs()?;
            }
            Ok(())
        } else {
            self.graph()?.replace_document(&doc.id, triples)
        }
    }

    fn flush_graphs(&mut self) -> Result<()> {
        let docs: Vec<(String, graph::DocTriples)> = std::mem::take(&mut self.staged_graphs)
            .into_iter()
            .collect();
        self.graph()?.load_new_documents(docs)
    }

    fn has_title(&self, normalized: &str) -> bool {
        self.catalog
            .docs
            .values()
            .any(|e| emkg_ontology::normalize_title(&e.title) == normalized)
    }

    /// Resolves 《X》第N条 references against the stored documents' titles.
    fn resolve_external_refs(&self, doc: &mut Document) {
        let mut by_title: BTreeMap<String, &store::CatalogEntry> = BTreeMap::new();
        for e in self.catalog.docs.values() {
            by_title
                .entry(emkg_ontology::normalize_title(&e.title))
                .or_insert(e);
        }
        let own_title = emkg_ontology::normalize_title(&doc.title);
        let own_articles: HashSet<u32> = doc.articles().filter_map(|u| u.article).collect();
        for r in doc.xrefs.iter_mut() {
            let Some(t) = &r.doc_title else { continue };
            if r.resolved.is_some() {
                continue;
            }
            let norm = emkg_ontology::normalize_title(t);
            // Only to an article the target actually has.
            let target = if norm == own_title {
                Some(doc.id.as_str())
                    .filter(|_| r.article.is_some_and(|a| own_articles.contains(&a)))
            } else {
                by_title
                    .get(&norm)
                    .filter(|e| r.article.is_some_and(|a| e.articles.contains(&a)))
                    .map(|e| e.id.as_str())
            };
            if let (Some(id), Some(a)) = (target, r.article) {
                let art = match r.article_suffix {
                    Some(s) => format!("{id}#art{a}-{s}"),
                    None => format!("{id}#art{a}"),
                };
                r.resolved = Some(art);
            }
        }
    }

    /// Searches: a provision the query names comes first, then BM25 hits;
    /// identical provision texts from different sources are merged.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>> {
        let k = req.k.clamp(1, 1000);
        let mut hits: Vec<Hit> = Vec::new();
        // Colloquial words (危化品, 老总) also search for their statutory terms.
        let expanded = {
            let extra = emkg_ontology::lexicon::expansions(&req.query);
            if extra.is_empty() {
                req.query.clone()
            } else {
                format!("{} {}", req.query, extra.join(" "))
            }
        };
        let bm25 = self.index.search(&expanded, &req.filter, k * 2 + 10)?;
        let top_score = bm25.first().map(|h| h.0).unwrap_or(0.0);
        for np in search::named_provisions(&req.query, &self.catalog) {
            for doc_id in &np.doc_ids {
                if !req.filter.doc_ids.is_empty() && !req.filter.doc_ids.contains(doc_id) {
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
                            score: top_score + 10.0,
                            retrievers: vec![Retriever::Lookup],
                        });
                    }
                }
            }
        }
        for (score, chunk) in bm25 {
            if let Some(h) = hits.iter_mut().find(|h| h.chunk.unit_id == chunk.unit_id) {
                h.retrievers.push(Retriever::Bm25);
                continue;
            }
            hits.push(Hit {
                chunk,
                score,
                retrievers: vec![Retriever::Bm25],
            });
        }
        let mut seen = HashSet::new();
        hits.retain(|h| {
            let c = &h.chunk;
            seen.insert(search::dedup_key(
                &c.doc_title,
                c.article,
                c.article_suffix,
                c.section.as_deref(),
                &c.unit_id,
            ))
        });
        hits.truncate(k);
        Ok(hits)
    }

    /// Lists every 《X》第N条 in `text` and whether it exists in the store.
    pub fn verify_citations(&self, text: &str) -> Vec<citations::CitationCheck> {
        citations::check(text, &self.catalog, &self.dir)
    }

    /// A stored document.
    pub fn document(&self, id: &str) -> Result<Document> {
        self.dir.load_document(id)
    }

    pub fn stats(&self) -> Stats {
        let mut per_kind: BTreeMap<DocKind, (usize, usize)> = BTreeMap::new();
        let mut docs = Vec::new();
        for e in self.catalog.docs.values() {
            let k = per_kind.entry(e.kind).or_default();
            k.0 += 1;
            k.1 += e.units;
            let max = e.articles.iter().max().copied();
            let present: HashSet<u32> = e.articles.iter().copied().collect();
            let missing = match max {
                Some(m) => (1..=m).filter(|n| !present.contains(n)).collect(),
                None => Vec::new(),
            };
            docs.push(DocStats {
                id: e.id.clone(),
                title: e.title.clone(),
                kind: e.kind,
                units: e.units,
                articles: e.articles.len(),
                max_article: max,
                missing_articles: missing,
            });
        }
        Stats {
            documents: self.catalog.docs.len(),
            units: self.catalog.docs.values().map(|e| e.units).sum(),
            chunks: self.index.len(),
            per_kind,
            docs,
        }
    }
}

/// The index chunks of a document.
pub fn chunks_of(d: &Document) -> Vec<IndexedChunk> {
    d.chunks()
        .into_iter()
        .map(|c| IndexedChunk {
            unit_id: c.unit.id.clone(),
            doc_id: d.id.clone(),
            doc_title: d.title.clone(),
            doc_kind: d.kind,
            heading_path: c.unit.heading_path.clone(),
            heading: match &c.unit.heading {
                Some(h) => format!("{} {}", c.unit.heading_path.join(" "), h),
                None => c.unit.heading_path.join(" "),
            },
            lead: c.text.lines().next().unwrap_or_default().to_string(),
            text: c.text,
            article: c.unit.article,
            article_suffix: c.unit.article_suffix,
            clause: None,
            section: c.unit.section.clone(),
        })
        .collect()
}

/// Renames a document, rewriting its unit ids and references.
fn with_id(mut d: Document, id: &str) -> Document {
    let old = format!("{}#", d.id);
    let new = format!("{id}#");
    let fix = |s: &mut String| {
        if let Some(rest) = s.strip_prefix(&old) {
            *s = format!("{new}{rest}");
        }
    };
    for u in d.units.iter_mut() {
        fix(&mut u.id);
    }
    for r in d.xrefs.iter_mut() {
        fix(&mut r.from);
        if let Some(t) = r.resolved.as_mut() {
            fix(t);
        }
    }
    d.id = id.to_string();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use emkg_ingest::{parse_text, Source};

    fn doc(id: &str, title: &str, body: &str) -> Document {
        let src = Source {
            path: format!("{id}.md"),
            format: "md".into(),
            encoding: "UTF-8".into(),
        };
        let text = format!("{title}\n\n第一条 {body}\n\n第二条 本法自公布之日起施行。");
        parse_text(id, &text, src, format!("hash-{body}"), "")
    }

    #[test]
    fn index_is_rebuilt_when_it_lags_the_catalog() {
        let t = tempfile::tempdir().unwrap();
        {
            let mut e = Engine::open_for_write(t.path()).unwrap();
            e.put_document(
                doc(
                    "a",
                    "示例防汛法",
                    "防汛抗洪工作实行各级人民政府行政首长负责制。",
                ),
                "k:a",
            )
            .unwrap();
            e.commit().unwrap();
        }
        // Simulate a crash that lost the index: remove it entirely.
        std::fs::remove_dir_all(t.path().join("index")).unwrap();
        let e = Engine::open_for_write(t.path()).unwrap();
        let hits = e
            .search(&SearchRequest::new("防汛抗洪 行政首长负责制", 3))
            .unwrap();
        assert_eq!(hits[0].chunk.unit_id, "a#art1");
    }

    #[test]
    fn cross_document_links_do_not_depend_on_ingest_order() {
        let t = tempfile::tempdir().unwrap();
        let mut e = Engine::open_for_write(t.path()).unwrap();
        e.put_document(
            doc(
                "a",
                "甲条例",
                "依照《乙法》第二条和《乙法》第九条的规定执行。",
            ),
            "k:a",
        )
        .unwrap();
        e.commit().unwrap();
        assert_eq!(
            e.catalog().docs["a"].pending_titles,
            vec!["乙法".to_string()]
        );
        assert!(e
            .document("a")
            .unwrap()
            .xrefs
            .iter()
            .all(|r| r.resolved.is_none()));
        // 乙法 arrives in a later batch: the earlier reference is linked then.
        e.put_document(doc("b", "中华人民共和国乙法", "内容。"), "k:b")
            .unwrap();
        assert_eq!(e.relink_pending().unwrap(), 1);
        e.commit().unwrap();
        let a = e.document("a").unwrap();
        let resolved: Vec<Option<&str>> = a.xrefs.iter().map(|r| r.resolved.as_deref()).collect();
        // 第二条 exists in 乙法; 第九条 does not, and stays unresolved.
        assert_eq!(resolved, vec![Some("b#art2"), None]);
        assert!(e.catalog().docs["a"].pending_titles.is_empty());
        let out = e
            .sparql(
                "ASK { <https://emkg.local/id/a#art1.c1> emkg:cites <https://emkg.local/id/b#art2> }",
                &QueryLimits::default(),
                ResultFormat::Json,
            )
            .unwrap();
        assert!(String::from_utf8_lossy(&out.body).contains("true"));
    }

    #[test]
    fn citation_checker_flags_fabricated_provisions() {
        let t = tempfile::tempdir().unwrap();
        let mut e = Engine::open_for_write(t.path()).unwrap();
        e.put_document(
            doc(
                "a",
                "中华人民共和国安全生产法",
                "生产经营单位应当遵守本法。",
            ),
            "k:a",
        )
        .unwrap();
        e.commit().unwrap();
        let checks = e.verify_citations(
            "依据《安全生产法》第一条、第二条，以及《安全生产法》第九百条和安全生产法第一条第三款，参照《消防法》第十六条。",
        );
        let got: Vec<(&str, bool)> = checks.iter().map(|c| (c.raw.as_str(), c.exists)).collect();
        assert_eq!(
            got,
            vec![
                ("《安全生产法》第一条", true),
                ("第二条", true),
                ("《安全生产法》第九百条", false),
                ("安全生产法第一条第三款", false),
                ("《消防法》第十六条", false),
            ]
        );
        assert_eq!(
            checks[0].doc_title.as_deref(),
            Some("中华人民共和国安全生产法")
        );
        assert!(checks[0]
            .text
            .as_deref()
            .unwrap()
            .contains("生产经营单位应当遵守本法"));
        assert!(checks[2]
            .problem
            .as_deref()
            .unwrap()
            .contains("没有第九百条"));
        assert!(checks[3]
            .problem
            .as_deref()
            .unwrap()
            .contains("没有所引的款或项"));
        assert!(checks[4]
            .problem
            .as_deref()
            .unwrap()
            .contains("库中没有《消防法》"));
    }

    #[test]
    fn ids_stay_unique_and_replacement_keeps_the_id() {
        let t = tempfile::tempdir().unwrap();
        let mut e = Engine::open_for_write(t.path()).unwrap();
        let r1 = e.put_document(doc("x", "甲法", "内容一。"), "k:1").unwrap();
        let r2 = e.put_document(doc("x", "乙法", "内容二。"), "k:2").unwrap();
        assert_eq!((r1.id.as_str(), r2.id.as_str()), ("x", "x-2"));
        e.commit().unwrap();
        assert!(e
            .document("x-2")
            .unwrap()
            .units
            .iter()
            .all(|u| u.id.starts_with("x-2#")));
        let r3 = e.put_document(doc("x", "乙法", "内容三。"), "k:2").unwrap();
        assert_eq!(
            (r3.id.as_str(), r3.outcome.clone()),
            ("x-2", DocOutcome::Replaced)
        );
        let r4 = e.put_document(doc("x", "乙法", "内容三。"), "k:2").unwrap();
        assert_eq!(r4.outcome, DocOutcome::Unchanged);
        e.commit().unwrap();
        let hits = e.search(&SearchRequest::new("乙法第一条", 5)).unwrap();
        assert_eq!(hits[0].chunk.unit_id, "x-2#art1");
        assert!(hits[0].chunk.text.contains("内容三"));
        assert_eq!(hits[0].retrievers[0], Retriever::Lookup);
    }
}
