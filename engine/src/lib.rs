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

pub mod access;
pub mod accounts;
pub mod answer;
pub mod assess;
pub mod audit;
pub mod citations;
mod commit;
mod dense;
pub mod draft;
pub mod error;
pub mod graph;
pub mod hybrid;
pub mod integrity;
pub mod lock;
mod open;
pub mod qdrant;
pub mod search;
pub mod store;
pub mod text_index;
pub mod vector_index;

pub use dense::{embed_pending, vector_batches, EmbeddedDoc, PendingDoc};
pub use emkg_ingest as ingest;
pub use emkg_models as models;
pub use emkg_ontology as ontology;
pub use error::{EngineError, Result};
pub use graph::{GraphStore, OxigraphGraph, QueryLimits, QueryOutput, ResultFormat};
pub use text_index::{Filter, IndexedChunk, TantivyIndex, TextIndex};

use emkg_ingest::{Document, IngestOptions};
use emkg_models::{Embedder, Role};
use emkg_ontology::DocKind;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{Catalog, CatalogEntry, DataDir};
use vector_index::{FlatIndex, VectorIndex, VectorRecord};

/// A search request.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub k: usize,
    pub filter: Filter,
    /// Which retrievers may contribute (all by default; dense needs an
    /// embedder attached).
    pub retrievers: Retrievers,
    /// Leave out documents whose status says they are repealed or void.
    pub in_force_only: bool,
    pub fusion: Fusion,
}

impl SearchRequest {
    pub fn new(query: &str, k: usize) -> Self {
        SearchRequest {
            query: query.to_string(),
            k,
            filter: Filter::default(),
            retrievers: Retrievers::default(),
            in_force_only: false,
            fusion: Fusion::default(),
        }
    }
}

/// How hybrid search combines its retrievers. The defaults were tuned on
/// the dev gold set (`emkg eval retrieval --w-dense … --graph-decay …`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fusion {
    pub w_bm25: f32,
    pub w_dense: f32,
    /// Weight of the clause rerank (0: off).
    pub w_clause: f32,
    /// Candidates the clause rerank reorders.
    pub rerank_top: usize,
    /// Share of its score a provision keeps when its document is limited to
    /// a subject the question does not fall within (1.0 turns it off).
    pub scope_miss: f32,
    /// Reciprocal-rank constant.
    pub k0: f32,
    /// Fused hits whose links are followed.
    pub expand_top: usize,
    /// Share of its parent's score a linked provision gets.
    pub graph_decay: f32,
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion {
            w_bm25: W_BM25,
            w_dense: W_DENSE,
            w_clause: W_CLAUSE,
            rerank_top: RERANK_TOP,
            scope_miss: SCOPE_MISS,
            k0: RRF_K0,
            expand_top: EXPAND_TOP,
            graph_decay: GRAPH_DECAY,
        }
    }
}

/// The retrievers a search may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retrievers {
    pub bm25: bool,
    pub dense: bool,
    pub graph: bool,
}

impl Default for Retrievers {
    fn default() -> Self {
        Retrievers {
            bm25: true,
            dense: true,
            graph: true,
        }
    }
}

impl Retrievers {
    /// Parses `bm25,dense,graph` (any subset, any order).
    pub fn parse(s: &str) -> Result<Retrievers> {
        let mut r = Retrievers {
            bm25: false,
            dense: false,
            graph: false,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "bm25" => r.bm25 = true,
                "dense" => r.dense = true,
                "graph" => r.graph = true,
                other => {
                    return Err(EngineError::BadQuery(format!(
                        "未知的检索器 “{other}”（可选 bm25、dense、graph）"
                    )))
                }
            }
        }
        if !r.bm25 && !r.dense {
            return Err(EngineError::BadQuery(
                "至少需要 bm25 或 dense 之一（graph 只扩展已有结果）".into(),
            ));
        }
        Ok(r)
    }
}

/// How a hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retriever {
    /// The query named this provision.
    Lookup,
    Bm25,
    Dense,
    /// Linked to a retrieved provision (reference, duty ↔ penalty).
    Graph,
}

impl Retriever {
    pub fn as_str(self) -> &'static str {
        match self {
            Retriever::Lookup => "lookup",
            Retriever::Bm25 => "bm25",
            Retriever::Dense => "dense",
            Retriever::Graph => "graph",
        }
    }
}

/// Where dense vectors live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VectorBackend {
    /// Files in the data directory, exact search in memory.
    Embedded,
    /// A Qdrant server or cluster (gRPC URL, e.g. `http://localhost:6334`).
    Qdrant {
        url: String,
        api_key: Option<String>,
        /// Shards and replicas of a collection this data directory creates.
        layout: qdrant::Layout,
    },
}

/// Fusion weights and pool sizes of hybrid search (tuned on the dev gold
/// set; see eval/).
const RRF_K0: f32 = 60.0;
const W_BM25: f32 = 1.0;
const W_DENSE: f32 = 0.5;
/// Weight of the clause rerank, and how many fused candidates it reorders.
const W_CLAUSE: f32 = 1.0;
const RERANK_TOP: usize = 30;
const SCOPE_MISS: f32 = 0.85;
/// Candidates taken from each retriever.
const POOL: usize = 60;
/// Fused hits whose links are followed, and the share of the parent's
/// score a linked provision gets.
const EXPAND_TOP: usize = 5;
const GRAPH_DECAY: f32 = 0.5;
/// Share of its fused score a work plan, case or memo keeps in an
/// unfiltered search.
const NON_NORMATIVE_WEIGHT: f32 = 0.6;
/// Weight of a lexicon expansion term against the query's own terms.
const EXPANSION_WEIGHT: f32 = 0.5;
/// The domain prior: documents below DOMAIN_FULL safety words per thousand
/// chars keep between DOMAIN_FLOOR and all of their score.
const DOMAIN_FLOOR: f32 = 0.6;
const DOMAIN_FULL: f32 = 10.0;
/// Each step down the legal hierarchy keeps this share of the score.
const RANK_PRIOR_STEP: f32 = 0.9;

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
    Removed,
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
    /// Documents removed because their source disappeared (`--prune`).
    pub removed: Vec<DocReport>,
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

/// Dense retrieval coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseStatus {
    pub embedder: String,
    pub backend: &'static str,
    pub dim: usize,
    pub vectors: usize,
    pub documents_embedded: usize,
    pub documents: usize,
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
    embedder: Option<Arc<dyn Embedder>>,
    vectors: Option<Box<dyn VectorIndex>>,
    /// Links between chunks, for graph expansion (from the catalog).
    links: hybrid::LinkMap,
    /// Assessment rules read from the graph; cleared at every commit.
    rulebook: std::sync::Mutex<BTreeMap<access::Access, Arc<assess::rulebook::RuleBook>>>,
    /// Documents whose stored vectors are of their current content: dense
    /// hits of any other document are dropped (never served stale).
    fresh_vectors: HashSet<String>,
    /// Whether the graph has been written since the last commit (it then
    /// carries the dirty stamp until the commit stamps the new generation).
    graph_touched: bool,
    /// Ids handed out for documents of the batch being staged.
    reserved_ids: HashSet<String>,
    /// Stores rebuilt at open.
    recovered: Vec<&'static str>,
}

/// Graph generation stamp of a graph written by a batch that has not
/// committed: never equal to a catalog generation, so a crash in between
/// makes the next open rebuild the graph.
const GRAPH_DIRTY: u64 = u64::MAX;

impl Engine {
    pub fn data_dir(&self) -> &Path {
        self.dir.root()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub(crate) fn graph(&self) -> Result<&dyn GraphStore> {
        self.graph
            .as_deref()
            .map_err(|e| EngineError::Graph(e.clone()))
    }

    /// Runs a read-only SPARQL query over the knowledge graph.
    pub fn sparql(
        &self,
        query: &str,
        limits: &QueryLimits,
        format: ResultFormat,
    ) -> Result<QueryOutput> {
        self.graph()?
            .query(query, limits, format, &self.hidden_docs())
    }

    /// Number of quads in the knowledge graph.
    pub fn graph_len(&self) -> Result<usize> {
        self.graph()?.len()
    }

    /// Lists every 《X》第N条 in `text` and whether it exists in the store.
    pub fn verify_citations(&self, text: &str) -> Vec<citations::CitationCheck> {
        citations::check(text, &self.catalog, &self.dir)
    }

    /// A stored document the current clearance may read.
    pub fn document(&self, id: &str) -> Result<Document> {
        if !self.readable(id) {
            return Err(EngineError::NoSuchDocument(id.to_string()));
        }
        self.load(id)
    }

    /// Catalog entries the current clearance may read.
    pub fn visible_docs(&self) -> impl Iterator<Item = &CatalogEntry> + '_ {
        let c = access::clearance();
        self.catalog.docs.values().filter(move |e| e.access <= c)
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

/// The text a chunk is embedded as: where it sits, then what it says.
pub fn passage_text(c: &IndexedChunk) -> String {
    let mut s = String::with_capacity(c.text.len() + 64);
    s.push_str(&c.doc_title);
    if !c.heading.trim().is_empty() {
        s.push(' ');
        s.push_str(c.heading.trim());
    }
    s.push('\n');
    s.push_str(&c.text);
    s
}

/// A folder / collection name for an embedder's vector space.
/// The vector space (folder / collection suffix) of an embedder's name.
pub fn vector_space_name(model: &str) -> String {
    let s: String = model
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches('_').to_string();
    if s.is_empty() {
        "default".into()
    } else {
        s
    }
}

/// Share of its fused score a document keeps for its domain density: 1.0
/// from DOMAIN_FULL words per thousand chars, down to DOMAIN_FLOOR for none.
fn domain_prior(density: f32) -> f32 {
    DOMAIN_FLOOR + (1.0 - DOMAIN_FLOOR) * (density / DOMAIN_FULL).min(1.0)
}

/// Share of its fused score a source keeps for its place in the legal
/// hierarchy.
fn rank_prior(kind: DocKind) -> f32 {
    match kind {
        DocKind::Law | DocKind::AdminRegulation => 1.0,
        DocKind::DeptRule | DocKind::Plan => RANK_PRIOR_STEP,
        DocKind::NormativeDoc => RANK_PRIOR_STEP,
        DocKind::LocalRegulation => RANK_PRIOR_STEP * RANK_PRIOR_STEP,
        _ => 1.0,
    }
}

fn is_repealed(status: Option<&str>) -> bool {
    status.is_some_and(|s| s.contains("废止") || s.contains("失效") || s.contains("已修改"))
}

fn link_map(catalog: &Catalog) -> hybrid::LinkMap {
    let mut m = hybrid::LinkMap::default();
    for e in catalog.docs.values() {
        if let Some(l) = &e.links {
            m.add(l);
        }
    }
    m
}

/// Renames a document, rewriting its unit ids and references, and
/// re-extracts its facts so that none names the old id.
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
    d.facts = emkg_ingest::extract::extract(&d);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use access::Access;
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
    fn an_internal_document_is_invisible_below_its_clearance() {
        let t = tempfile::tempdir().unwrap();
        let mut e = Engine::open_for_write(t.path()).unwrap();
        e.put_document(
            doc(
                "a",
                "甲条例",
                "危险品仓库应当建立巡查制度，依照《乙办法》第一条执行。",
            ),
            "k:a",
        )
        .unwrap();
        let mut b = doc("b", "乙办法", "危险品仓库夜间巡查由值班班长负责签字。");
        b.access = Access::Internal;
        e.put_document(b, "k:b").unwrap();
        e.relink_pending().unwrap();
        e.commit().unwrap();
        let docs_of =
            |hits: &[Hit]| -> Vec<String> { hits.iter().map(|h| h.chunk.doc_id.clone()).collect() };
        let graphs = |e: &Engine| -> String {
            let out = e
                .sparql(
                    "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                    &QueryLimits::default(),
                    ResultFormat::Csv,
                )
                .unwrap();
            String::from_utf8(out.body).unwrap()
        };
        let b_graph = emkg_ontology::vocab::graph_iri("b");
        // What a's own graph says about b's provisions (its citation of b).
        let cites_b = |e: &Engine| -> usize {
            let q = format!(
                "SELECT ?o WHERE {{ GRAPH <{}> {{ ?s ?p ?o FILTER(STRSTARTS(STR(?o), \"{}\")) }} }}",
                emkg_ontology::vocab::graph_iri("a"),
                emkg_ontology::vocab::id_iri("b")
            );
            let out = e
                .sparql(&q, &QueryLimits::default(), ResultFormat::Json)
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
            v["results"]["bindings"].as_array().unwrap().len()
        };
        // No scope reads only 公开 (fails closed).
        assert!(e.document("b").is_err());
        let full = access::scope(Access::Internal);
        // Full clearance: both, and the link a → b.
        let all = e
            .search(&SearchRequest::new("危险品仓库 夜间巡查 值班班长", 5))
            .unwrap();
        assert!(
            docs_of(&all).contains(&"b".to_string()),
            "{:?}",
            docs_of(&all)
        );
        assert!(graphs(&e).contains(&b_graph));
        assert!(e.verify_citations("《乙办法》第一条")[0].exists);
        let rel = |e: &Engine, u: &str| -> Vec<(String, &'static str)> {
            e.unit_links(u)
                .unwrap()
                .links
                .into_iter()
                .map(|l| (l.unit_id, l.relation))
                .collect()
        };
        assert_eq!(rel(&e, "a#art1"), vec![("b#art1".to_string(), "引用")]);
        assert_eq!(rel(&e, "b#art1"), vec![("a#art1".to_string(), "被引用")]);
        assert!(e.verify_citations("依照乙办法第一条")[0].exists);
        assert!(cites_b(&e) >= 1);
        drop(full);
        {
            let _s = access::scope(Access::Public);
            // An unbracketed title of a hidden document is not recognised
            // as a citation at all (its existence does not show).
            assert!(e.verify_citations("依照乙办法第一条").is_empty());
            for q in [
                "危险品仓库 夜间巡查 值班班长",
                "乙办法第一条",
                "甲条例第一条",
            ] {
                let hits = e.search(&SearchRequest::new(q, 10)).unwrap();
                assert!(
                    !docs_of(&hits).contains(&"b".to_string()),
                    "{q}: {:?}",
                    docs_of(&hits)
                );
            }
            // a is still found, without its graph neighbour b.
            let hits = e
                .search(&SearchRequest::new("危险品仓库 巡查制度", 10))
                .unwrap();
            assert_eq!(docs_of(&hits), vec!["a".to_string()]);
            assert!(!e.verify_citations("《乙办法》第一条")[0].exists);
            assert!(matches!(
                e.document("b"),
                Err(EngineError::NoSuchDocument(_))
            ));
            assert!(e.document("a").is_ok());
            assert!(rel(&e, "a#art1").is_empty());
            assert!(e.unit_links("b#art1").is_err());
            let visible: Vec<&str> = e.visible_docs().map(|d| d.id.as_str()).collect();
            assert_eq!(visible, vec!["a"]);
            let g = graphs(&e);
            assert!(!g.contains(&b_graph), "{g}");
            // Nor does a public graph's citation of it show.
            assert_eq!(cites_b(&e), 0);
            assert!(g.contains(&emkg_ontology::vocab::graph_iri("a")), "{g}");
            let answer = e
                .ask(
                    "危险品仓库夜间巡查由谁负责？",
                    None,
                    &answer::AskOptions::default(),
                    &mut |_| true,
                )
                .unwrap();
            assert!(!docs_of(&answer.evidence).contains(&"b".to_string()));
            assert!(!answer.answer.contains("值班班长"), "{}", answer.answer);
        }
        // The same content under a new label is a new version.
        let mut b = doc("b", "乙办法", "危险品仓库夜间巡查由值班班长负责签字。");
        b.access = Access::Public;
        let r = e.put_document(b, "k:b").unwrap();
        assert_eq!(r.outcome, DocOutcome::Replaced);
        e.commit().unwrap();
        let _s = access::scope(Access::Public);
        assert!(e.document("b").is_ok());
    }

    #[test]
    fn a_re_ingest_without_a_label_keeps_the_stored_one() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("in");
        std::fs::create_dir_all(&src).unwrap();
        let file = src.join("zhishou.md");
        let write = |body: &str| {
            std::fs::write(
                &file,
                format!("值守办法\n\n第一条 {body}\n\n第二条 自印发之日起施行。\n"),
            )
            .unwrap()
        };
        let mut e = Engine::open_for_write(&t.path().join("data")).unwrap();
        let label = |e: &Engine| e.catalog().docs.values().next().map(|d| d.access);
        let ingest = |e: &mut Engine, access: Option<Access>| {
            let opts = IngestOptions {
                access,
                ..IngestOptions::default()
            };
            e.ingest_paths(std::slice::from_ref(&src), &opts, &mut |_| {})
                .unwrap();
        };
        write("夜间值守由值班组长负责。");
        ingest(&mut e, Some(Access::Internal));
        assert_eq!(label(&e), Some(Access::Internal));
        // Changed content, no label given: still 内部.
        write("夜间值守由值班组长负责，每两小时巡查一次。");
        ingest(&mut e, None);
        assert_eq!(label(&e), Some(Access::Internal));
        // Lowering it takes an explicit label.
        ingest(&mut e, Some(Access::Public));
        assert_eq!(label(&e), Some(Access::Public));
    }

    /// A model with a small context that refuses prompts beyond it, as the
    /// real one does (characters stand in for tokens).
    struct SmallContext(usize);

    impl emkg_models::Generator for SmallContext {
        fn name(&self) -> &str {
            "small"
        }
        fn context_length(&self) -> usize {
            self.0
        }
        fn generate(
            &mut self,
            messages: &[emkg_models::ChatMessage],
            _params: &emkg_models::GenerationParams,
            _on_text: &mut dyn FnMut(&str) -> bool,
        ) -> emkg_models::Result<emkg_models::Generation> {
            let tokens: usize = messages.iter().map(|m| m.content.chars().count()).sum();
            if tokens > self.0 - 16 {
                return Err(emkg_models::ModelError::PromptTooLong {
                    tokens,
                    limit: self.0,
                });
            }
            Ok(emkg_models::Generation {
                text: "生产经营单位应当建立巡查制度（《甲条例》第一条）。".into(),
                prompt_tokens: tokens,
                generated_tokens: 10,
                stop: emkg_models::StopReason::Stop,
                reused_prompt_tokens: 0,
                prefill_secs: 0.0,
                decode_secs: 0.0,
            })
        }
    }

    #[test]
    fn evidence_is_clipped_to_the_model_context() {
        let t = tempfile::tempdir().unwrap();
        let mut e = Engine::open_for_write(t.path()).unwrap();
        // One long sentence: the clause the model reads is all of it.
        let long = format!(
            "生产经营单位应当建立巡查制度{}。",
            "、交接班记录制度".repeat(60)
        );
        e.put_document(doc("a", "甲条例", &long), "k:a").unwrap();
        e.commit().unwrap();
        let opts = answer::AskOptions::default();
        // Whole provisions (220 characters) would not fit in 420; clipped
        // evidence does.
        let mut g = SmallContext(420);
        let a = e
            .ask(
                "生产经营单位应当建立什么制度？",
                Some(&mut g),
                &opts,
                &mut |_| true,
            )
            .unwrap();
        assert!(a.generation.is_some(), "{:?}", a.fallback);
        // A question longer than the context: the answer from the
        // provisions, not an error.
        let q = format!("{}生产经营单位应当建立什么制度？", "请问".repeat(400));
        let a = e.ask(&q, Some(&mut g), &opts, &mut |_| true).unwrap();
        assert!(a.generation.is_none());
        assert!(
            a.fallback.as_deref().unwrap_or("").contains("上下文"),
            "{:?}",
            a.fallback
        );
        assert!(a.answer.contains("《甲条例》第一条"), "{}", a.answer);
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

    /// Every string in a fact that names a unit (`<doc>#…`).
    fn fact_units(d: &Document) -> Vec<String> {
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) if s.contains("#art") || s.contains("#s") => {
                    out.push(s.clone())
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(&serde_json::to_value(&d.facts).unwrap(), &mut out);
        out
    }

    #[test]
    fn same_named_files_get_their_own_ids_and_facts() {
        let t = tempfile::tempdir().unwrap();
        let law = |n: &str| {
            format!(
                "某区{n}工作方案\n\n第一条 生产经营单位应当在{n}小时内报告事故情况。\n\n\
                 第二条 违反本方案第一条规定的，处一万元以上五万元以下的罚款。\n"
            )
        };
        for (dir, n) in [("a", "1"), ("b", "2")] {
            std::fs::create_dir_all(t.path().join(dir)).unwrap();
            std::fs::write(t.path().join(dir).join("工作方案.md"), law(n)).unwrap();
        }
        let mut e = Engine::open_for_write(&t.path().join("data")).unwrap();
        let r = e
            .ingest_paths(
                &[t.path().join("a"), t.path().join("b")],
                &Default::default(),
                &mut |_| {},
            )
            .unwrap();
        let ids: Vec<String> = r
            .files
            .iter()
            .flat_map(|f| &f.docs)
            .map(|d| d.id.clone())
            .collect();
        assert_eq!(ids.len(), 2);
        assert_ne!(ids[0], ids[1]);
        for id in &ids {
            let d = e.document(id).unwrap();
            let units = fact_units(&d);
            assert!(!units.is_empty(), "{id} has facts naming units");
            for u in units {
                assert!(u.starts_with(&format!("{id}#")), "{id}: fact names {u}");
                assert!(
                    d.unit(&u).is_some() || u.contains('.'),
                    "{u} is a unit of {id}"
                );
            }
            assert!(d.units.iter().all(|u| u.id.starts_with(&format!("{id}#"))));
        }
        assert!(e.check().unwrap().is_clean());
    }

    #[test]
    fn a_batch_that_never_commits_leaves_the_old_state() {
        let t = tempfile::tempdir().unwrap();
        {
            let mut e = Engine::open_for_write(t.path()).unwrap();
            e.put_document(doc("a", "示例防汛法", "旧版本内容甲。"), "k:a")
                .unwrap();
            e.commit().unwrap();
        }
        {
            // A crash mid-batch: a replaced version, a new document and a
            // graph already written, the catalog not.
            let mut e = Engine::open_for_write(t.path()).unwrap();
            e.put_document(doc("a", "示例防汛法", "新版本内容乙。"), "k:a")
                .unwrap();
            e.put_document(doc("b", "示例消防法", "新文档内容丙。"), "k:b")
                .unwrap();
            e.flush_graphs().unwrap();
            // Dropped without commit: what a killed process leaves (the
            // kill itself is exercised through the binary in tests/).
            drop(e);
        }
        let e = Engine::open(t.path()).unwrap();
        let report = e.check().unwrap();
        assert!(report.is_clean(), "{:?}", report.findings);
        assert_eq!(e.catalog().docs.len(), 1);
        assert!(e.document("a").unwrap().text.contains("旧版本内容甲"));
        let hits = e.search(&SearchRequest::new("新版本内容乙", 5)).unwrap();
        assert!(hits.iter().all(|h| !h.chunk.text.contains("新版本")));
        let hits = e.search(&SearchRequest::new("旧版本内容甲", 5)).unwrap();
        assert!(hits.iter().any(|h| h.chunk.text.contains("旧版本内容甲")));
    }

    #[test]
    fn check_finds_and_repair_fixes_each_kind_of_disagreement() {
        let t = tempfile::tempdir().unwrap();
        let mut e = Engine::open_for_write(t.path()).unwrap();
        e.put_document(doc("a", "示例防汛法", "内容甲。"), "k:a")
            .unwrap();
        e.put_document(doc("b", "示例消防法", "内容乙。"), "k:b")
            .unwrap();
        e.commit().unwrap();
        assert!(e.check().unwrap().is_clean());
        // An index entry of a document nobody committed, a graph of one, an
        // orphan document file, and an index missing a stored document.
        e.index
            .replace_document("ghost", &chunks_of(&doc("ghost", "幽灵法", "不存在。")))
            .unwrap();
        e.index.remove_document("b").unwrap();
        e.index.commit(e.catalog.generation).unwrap();
        e.graph()
            .unwrap()
            .replace_document(
                "ghost",
                graph::document_triples(&doc("ghost", "幽灵法", "不存在。")).unwrap(),
            )
            .unwrap();
        e.dir
            .save_document(&doc("ghost", "幽灵法", "不存在。"), 99)
            .unwrap();
        let r = e.check().unwrap();
        let stores: HashSet<&str> = r.findings.iter().map(|f| f.store).collect();
        assert_eq!(
            stores,
            HashSet::from(["index", "graph"]),
            "{:?}",
            r.findings
        );
        // The orphan file is garbage, not a disagreement: reported apart.
        assert_eq!(r.pending_cleanup, 1);
        assert!(r
            .findings
            .iter()
            .any(|f| f.doc_id.as_deref() == Some("b") && f.store == "index"));
        assert!(r
            .findings
            .iter()
            .any(|f| f.doc_id.as_deref() == Some("ghost") && f.store == "index"));
        let rep = e.repair().unwrap();
        assert!(rep.index_rebuilt && rep.graph_rebuilt);
        assert_eq!(rep.orphan_files_removed, 1);
        let after = e.check().unwrap();
        assert!(after.is_clean(), "{:?}", after.findings);
        // A lost document file cannot be rebuilt: repair drops and names it.
        let rev = e.catalog.docs["b"].rev;
        std::fs::remove_file(t.path().join("docs").join(format!("b@{rev}.json"))).unwrap();
        assert!(!e.check().unwrap().is_clean());
        let rep = e.repair().unwrap();
        assert_eq!(rep.documents_dropped.len(), 1);
        assert!(e.check().unwrap().is_clean());
        assert!(!e.catalog().docs.contains_key("b"));
    }

    #[test]
    fn removal_unlinks_citing_documents_and_goes_through_the_commit() {
        let t = tempfile::tempdir().unwrap();
        let mut e = Engine::open_for_write(t.path()).unwrap();
        e.put_document(doc("b", "乙法", "乙法的内容。"), "k:b")
            .unwrap();
        e.put_document(doc("a", "甲条例", "依照《乙法》第一条的规定执行。"), "k:a")
            .unwrap();
        e.commit().unwrap();
        assert!(e.catalog().docs["a"].pending_titles.is_empty());
        let removed = e.remove(&["b".to_string()]).unwrap();
        assert_eq!(removed.len(), 1);
        assert!(!e.catalog().docs.contains_key("b"));
        assert_eq!(
            e.catalog().docs["a"].pending_titles,
            vec!["乙法".to_string()]
        );
        assert!(e
            .document("a")
            .unwrap()
            .xrefs
            .iter()
            .all(|r| r.resolved.as_deref().is_none_or(|x| !x.starts_with("b#"))));
        assert!(e.check().unwrap().is_clean());
        assert!(matches!(
            e.remove(&["no-such-doc".to_string()]),
            Err(EngineError::NotStored(_))
        ));
        // Unknown targets change nothing.
        assert_eq!(e.catalog().docs.len(), 1);
    }
}
