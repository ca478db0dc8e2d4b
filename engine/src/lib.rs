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

pub mod answer;
pub mod assess;
pub mod citations;
pub mod error;
pub mod graph;
pub mod hybrid;
pub mod integrity;
pub mod lock;
pub mod qdrant;
pub mod search;
pub mod store;
pub mod text_index;
pub mod vector_index;

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
use store::{Catalog, DataDir};
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
    rulebook: std::sync::Mutex<Option<Arc<assess::rulebook::RuleBook>>>,
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
    /// Opens (creating if needed) a data directory for ingest. If the index
    /// does not reflect the catalog (a crash between the two), it is rebuilt
    /// from the stored documents.
    pub fn open_for_write(root: &Path) -> Result<Engine> {
        let dir = DataDir::open(root, store::Access::Write)?;
        let catalog = dir.load_catalog()?;
        // Files of a batch that never committed, and versions a committed
        // batch replaced.
        dir.remove_orphans(&catalog)?;
        let index = Box::new(TantivyIndex::open_in_dir(&dir.index_dir())?);
        let graph: Box<dyn GraphStore> = Box::new(OxigraphGraph::open(&dir.graph_dir())?);
        let mut e = Engine {
            dir,
            catalog,
            index,
            graph: Ok(graph),
            staged_graphs: BTreeMap::new(),
            embedder: None,
            vectors: None,
            links: hybrid::LinkMap::default(),
            rulebook: Default::default(),
            fresh_vectors: HashSet::new(),
            graph_touched: false,
            reserved_ids: HashSet::new(),
            recovered: Vec::new(),
        };
        // Stores that lag are rebuilt before anything moves the generation
        // (a refresh below bumps it: a stale store stamped with the next
        // number must not come to match).
        e.rebuild_lagging()?;
        e.fill_missing_links()?;
        e.refresh_facts()?;
        e.links = link_map(&e.catalog);
        e.rebuild_lagging()?;
        Ok(e)
    }

    /// Opens an existing data directory for searching, under a shared lock.
    /// Derived stores that lag the catalog (a crash during a write) are
    /// first rebuilt under the writer's lock, so that nothing stale is
    /// served.
    pub fn open(root: &Path) -> Result<Engine> {
        let e = Self::open_read(root)?;
        // Files of a batch that never committed are harmless to readers
        // (no catalog names them); the next writer removes them.
        if e.lagging_stores()?.is_empty() {
            return Ok(e);
        }
        drop(e);
        let w = Self::open_for_write(root).map_err(|err| match err {
            EngineError::Locked { holders, .. } => EngineError::Unavailable(format!(
                "数据目录 {} 的索引或图谱落后于文档目录（上次写入被中断），需要重建，\
                 但目录正在被{holders}使用。请待其结束后重试。",
                root.display()
            )),
            other => other,
        })?;
        let recovered = w.recovered.clone();
        drop(w);
        let mut e = Self::open_read(root)?;
        if !e.lagging_stores()?.is_empty() {
            return Err(EngineError::Unavailable(format!(
                "数据目录 {} 在重建后仍不一致，请运行 emkg check --repair",
                root.display()
            )));
        }
        e.recovered = recovered;
        Ok(e)
    }

    fn open_read(root: &Path) -> Result<Engine> {
        let dir = DataDir::open(root, store::Access::Read)?;
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
        let links = link_map(&catalog);
        Ok(Engine {
            dir,
            catalog,
            index,
            graph,
            staged_graphs: BTreeMap::new(),
            embedder: None,
            vectors: None,
            links,
            rulebook: Default::default(),
            fresh_vectors: HashSet::new(),
            graph_touched: false,
            reserved_ids: HashSet::new(),
            recovered: Vec::new(),
        })
    }

    /// Derived stores (index, graph) whose generation differs from the
    /// catalog's.
    pub fn lagging_stores(&self) -> Result<Vec<&'static str>> {
        let mut out = Vec::new();
        if self.index.generation()?.unwrap_or(0) != self.catalog.generation {
            out.push("index");
        }
        if let Ok(g) = &self.graph {
            if g.generation()?.unwrap_or(0) != self.catalog.generation {
                out.push("graph");
            }
        }
        Ok(out)
    }

    /// Rebuilds the derived stores whose generation differs from the
    /// catalog's (write-opened engines); records which, for `check`.
    fn rebuild_lagging(&mut self) -> Result<()> {
        for s in self.lagging_stores()? {
            match s {
                "index" => self.rebuild_index()?,
                _ => self.rebuild_graph()?,
            }
            if !self.recovered.contains(&s) {
                self.recovered.push(s);
            }
        }
        Ok(())
    }

    /// Derived stores rebuilt when this engine was opened (a crash had
    /// left them behind the catalog).
    pub fn recovered(&self) -> &[&'static str] {
        &self.recovered
    }

    /// Refuses writes on an engine opened for reading.
    fn require_write(&self) -> Result<()> {
        if self.dir.access() == store::Access::Write {
            Ok(())
        } else {
            Err(EngineError::Unavailable(
                "数据目录以只读方式打开，不能写入".into(),
            ))
        }
    }

    /// Loads the committed version of a stored document.
    fn load(&self, id: &str) -> Result<Document> {
        let rev = self
            .catalog
            .docs
            .get(id)
            .map(|e| e.rev)
            .ok_or_else(|| EngineError::NoSuchDocument(id.to_string()))?;
        self.dir.load_document(id, rev)
    }

    /// Stamps the graph dirty before the first write of a batch.
    fn touch_graph(&mut self) -> Result<()> {
        if !self.graph_touched {
            self.graph()?.set_generation(GRAPH_DIRTY)?;
            self.graph_touched = true;
        }
        Ok(())
    }

    /// Documents parsed by an older fact extractor get today's facts (and
    /// the graph is rebuilt from them): rules added since — grade criteria,
    /// reporting duties, plan levels — then reach the graph with no re-import.
    fn refresh_facts(&mut self) -> Result<()> {
        let current = emkg_ingest::extract::VERSION;
        if self.catalog.facts_version >= current {
            return Ok(());
        }
        let ids: Vec<String> = self.catalog.docs.keys().cloned().collect();
        let rev = self.catalog.generation + 1;
        for id in &ids {
            let Ok(mut d) = self.load(id) else { continue };
            d.facts = emkg_ingest::extract::extract(&d);
            self.dir.save_document(&d, rev)?;
            if let Some(e) = self.catalog.docs.get_mut(id) {
                e.links = Some(hybrid::links_of(&d));
                e.rev = rev;
            }
        }
        self.catalog.facts_version = current;
        if ids.is_empty() {
            return Ok(());
        }
        // The graph must follow: bump the generation so it is rebuilt.
        self.catalog.generation = rev;
        self.dir.save_catalog(&self.catalog)?;
        self.dir.remove_orphans(&self.catalog)?;
        Ok(())
    }

    /// Catalogs from before links existed: compute them from the documents.
    fn fill_missing_links(&mut self) -> Result<()> {
        let missing: Vec<String> = self
            .catalog
            .docs
            .values()
            .filter(|e| e.links.is_none() || e.domain_density.is_none())
            .map(|e| e.id.clone())
            .collect();
        for id in &missing {
            let Ok(d) = self.load(id) else { continue };
            if let Some(e) = self.catalog.docs.get_mut(id) {
                e.links = Some(hybrid::links_of(&d));
                e.domain_density = Some(emkg_ontology::lexicon::domain_density(&d.text));
            }
        }
        if !missing.is_empty() {
            self.dir.save_catalog(&self.catalog)?;
        }
        Ok(())
    }

    /// Attaches an embedder and the vector index of its space. On a
    /// writable engine, call [`Engine::sync_vectors`] (commit does) to embed
    /// documents that lack vectors; a read-only engine searches what exists.
    pub fn attach_embedder(
        &mut self,
        embedder: Arc<dyn Embedder>,
        backend: &VectorBackend,
    ) -> Result<()> {
        let space = vector_space_name(embedder.name());
        let index: Box<dyn VectorIndex> = match backend {
            VectorBackend::Embedded => {
                let kinds: BTreeMap<String, DocKind> = self
                    .catalog
                    .docs
                    .values()
                    .map(|e| (e.id.clone(), e.kind))
                    .collect();
                let dir = self.dir.root().join("vectors").join(&space);
                Box::new(FlatIndex::open(&dir, embedder.dim(), &|id| {
                    kinds.get(id).copied()
                })?)
            }
            VectorBackend::Qdrant {
                url,
                api_key,
                layout,
            } => Box::new(qdrant::QdrantIndex::connect(
                url,
                api_key.as_deref(),
                &qdrant::collection_name(self.dir.dir_id(), &space),
                embedder.dim(),
                *layout,
                // The manifest is named for its collection: a directory
                // that moves to another collection starts from nothing.
                &self.dir.root().join("vectors").join(format!(
                    "{}.json",
                    qdrant::collection_name(self.dir.dir_id(), &space)
                )),
            )?),
        };
        self.embedder = Some(embedder);
        self.vectors = Some(index);
        self.refresh_fresh_vectors()?;
        Ok(())
    }

    fn refresh_fresh_vectors(&mut self) -> Result<()> {
        self.fresh_vectors = match &self.vectors {
            Some(v) => {
                let have = v.doc_versions()?;
                self.catalog
                    .docs
                    .values()
                    .filter(|e| have.get(&e.id) == Some(&e.content_hash))
                    .map(|e| e.id.clone())
                    .collect()
            }
            None => HashSet::new(),
        };
        Ok(())
    }

    /// The attached embedder's name and vector backend, and how many
    /// documents and chunks have vectors.
    pub fn dense_status(&self) -> Option<DenseStatus> {
        let (e, v) = (self.embedder.as_ref()?, self.vectors.as_ref()?);
        let versions = v.doc_versions().ok()?;
        let current = self
            .catalog
            .docs
            .values()
            .filter(|d| versions.get(&d.id) == Some(&d.content_hash))
            .count();
        Some(DenseStatus {
            embedder: e.name().to_string(),
            backend: v.backend(),
            dim: v.dim(),
            vectors: v.len(),
            documents_embedded: current,
            documents: self.catalog.docs.len(),
        })
    }

    /// Embeds every stored document whose vectors are missing or stale and
    /// drops vectors of documents no longer stored. Returns how many chunks
    /// were embedded; `progress(done, total)` counts chunks.
    pub fn sync_vectors(&mut self, progress: &mut dyn FnMut(usize, usize)) -> Result<usize> {
        if self.embedder.is_none() || self.vectors.is_none() {
            return Ok(0);
        }
        self.require_write()?;
        let (Some(embedder), Some(vectors)) = (self.embedder.clone(), self.vectors.as_mut()) else {
            return Ok(0);
        };
        let have = vectors.doc_versions()?;
        for stale in have.keys() {
            if !self.catalog.docs.contains_key(stale) {
                vectors.delete_document(stale)?;
            }
        }
        let due: Vec<&store::CatalogEntry> = self
            .catalog
            .docs
            .values()
            .filter(|e| have.get(&e.id) != Some(&e.content_hash))
            .collect();
        let total: usize = due.iter().map(|e| e.chunks).sum();
        let mut done = 0;
        progress(0, total);
        // Batches of whole documents, ~256 chunks each, so the embedder
        // sorts by length across documents.
        let mut i = 0;
        while i < due.len() {
            let mut batch: Vec<(&store::CatalogEntry, Vec<IndexedChunk>)> = Vec::new();
            let mut n = 0;
            while i < due.len() && (batch.is_empty() || n < 256) {
                let d = self.dir.load_document(&due[i].id, due[i].rev)?;
                let chunks = chunks_of(&d);
                n += chunks.len();
                batch.push((due[i], chunks));
                i += 1;
            }
            let texts: Vec<String> = batch
                .iter()
                .flat_map(|(_, cs)| cs.iter().map(passage_text))
                .collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let mut vecs = embedder.embed(&refs, Role::Passage)?.vectors.into_iter();
            for (entry, chunks) in batch {
                let records = chunks
                    .into_iter()
                    .zip(vecs.by_ref())
                    .map(|(c, vector)| VectorRecord {
                        unit_id: c.unit_id,
                        vector,
                    })
                    .collect();
                vectors.replace_document(&entry.id, entry.kind, &entry.content_hash, records)?;
            }
            // Durable per batch: an interrupted run keeps what it embedded.
            vectors.commit()?;
            done += n;
            progress(done.min(total), total);
        }
        vectors.commit()?;
        self.refresh_fresh_vectors()?;
        Ok(done)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.root()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Rebuilds the full-text index from the documents in the store (from
    /// empty: entries of documents no catalog names cannot survive it).
    pub fn rebuild_index(&mut self) -> Result<()> {
        self.require_write()?;
        self.index.clear()?;
        let ids: Vec<String> = self.catalog.docs.keys().cloned().collect();
        for id in ids {
            let Ok(d) = self.load(&id) else { continue };
            self.index.replace_document(&id, &chunks_of(&d))?;
        }
        self.index.commit(self.catalog.generation)
    }

    pub(crate) fn graph(&self) -> Result<&dyn GraphStore> {
        self.graph
            .as_deref()
            .map_err(|e| EngineError::Graph(e.clone()))
    }

    /// Rebuilds the knowledge graph from the documents in the store, from
    /// empty (graphs of never-committed documents and stale shared triples
    /// go with it), in bulk loads of a few hundred documents.
    pub fn rebuild_graph(&mut self) -> Result<()> {
        self.require_write()?;
        // Dirty first: a crash during the rebuild is seen as one.
        self.graph()?.set_generation(GRAPH_DIRTY)?;
        self.graph()?.clear()?;
        let ids: Vec<String> = self.catalog.docs.keys().cloned().collect();
        for batch in ids.chunks(300) {
            let mut docs = Vec::with_capacity(batch.len());
            for id in batch {
                // A document whose file is lost is left out (check reports
                // it, repair drops it): it must not block the rebuild.
                let Ok(d) = self.load(id) else { continue };
                docs.push((id.clone(), graph::document_triples(&d)?));
            }
            self.graph()?.load_new_documents(docs)?;
        }
        self.graph_touched = false;
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
        self.ingest(paths, opts, false, on_file)
    }

    /// [`Engine::ingest_paths`]; with `prune`, documents whose source file
    /// lay under one of the given folders and is gone are removed in the
    /// same commit. A store error aborts the batch and rolls it back: the
    /// stored data stays as it was before the call.
    pub fn ingest(
        &mut self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        prune: bool,
        on_file: &mut dyn FnMut(Progress<'_>),
    ) -> Result<IngestReport> {
        let report = match self.ingest_staged(paths, opts, prune, on_file) {
            Ok(r) => r,
            Err(e) => {
                self.rollback()?;
                return Err(e);
            }
        };
        // Committed: a vector error now leaves work for the next sync and
        // is reported, but the batch stands.
        self.sync_vectors(&mut |_, _| {})?;
        Ok(report)
    }

    fn ingest_staged(
        &mut self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        prune: bool,
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
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            let key_of = |part: Option<&str>| match part {
                Some(part) => format!("{}#{part}", canonical.display()),
                None => canonical.display().to_string(),
            };
            // Ids are chosen before parsing, so that every unit, fact and
            // link is built under the document's final id. A parser panic
            // on a hostile file costs that file, not the batch.
            let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                emkg_ingest::load_file_with_ids(path, opts, &mut |candidate, part| {
                    self.assign_id(candidate, &key_of(part))
                })
            }));
            match loaded {
                Ok(Ok(loaded)) => {
                    fr.skipped_parts = loaded.skipped;
                    for doc in loaded.documents {
                        let key = match doc.source.path.rsplit_once('#') {
                            Some((_, part)) => key_of(Some(part)),
                            None => key_of(None),
                        };
                        fr.docs.push(self.put_document(doc, &key)?);
                    }
                }
                Ok(Err(e)) => fr.error = Some(e.to_string()),
                Err(_) => {
                    fr.error = Some(format!(
                        "解析 {} 时发生内部错误，已跳过该文件（其余文件不受影响）",
                        path.display()
                    ))
                }
            }
            on_file(Progress {
                done: i + 1,
                total,
                file: &fr,
            });
            report.files.push(fr);
        }
        if prune {
            let seen: HashSet<String> = files
                .iter()
                .map(|f| {
                    std::fs::canonicalize(f)
                        .unwrap_or_else(|_| f.clone())
                        .display()
                        .to_string()
                })
                .collect();
            // A folder with a part that could not be read is not pruned: its
            // unread files are not gone.
            let unread: Vec<String> = report
                .files
                .iter()
                .filter(|f| f.error.is_some() && f.docs.is_empty() && f.bytes == 0)
                .map(|f| {
                    std::fs::canonicalize(&f.path)
                        .unwrap_or_else(|_| f.path.clone())
                        .display()
                        .to_string()
                })
                .collect();
            let roots: Vec<String> = paths
                .iter()
                .filter(|p| p.is_dir())
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .map(|p| format!("{}/", p.display()))
                .filter(|r| !unread.iter().any(|u| u.starts_with(r.as_str())))
                .collect();
            let gone: Vec<String> = self
                .catalog
                .docs
                .values()
                .filter(|e| {
                    let file = e
                        .source_key
                        .rsplit_once('#')
                        .map(|(f, _)| f)
                        .filter(|f| seen.contains(*f))
                        .unwrap_or(&e.source_key);
                    roots.iter().any(|r| file.starts_with(r.as_str()))
                        && !seen.contains(file)
                        && !Path::new(file).exists()
                })
                .map(|e| e.id.clone())
                .collect();
            for id in gone {
                report.removed.push(self.stage_removal(&id)?);
            }
        }
        self.relink_pending()?;
        self.commit_record()?;
        Ok(report)
    }

    /// The id a document from `source_key` gets: its stored id when that
    /// source was ingested before, else `candidate`, made unique among the
    /// stored documents and those of the batch being staged.
    pub fn assign_id(&mut self, candidate: &str, source_key: &str) -> String {
        if let Some(e) = self.catalog.by_source(source_key) {
            return e.id.clone();
        }
        // Ids name files and IRIs: ASCII letters, digits, '-' and '_' only
        // (a law id from a database could hold '/' or '@').
        let clean: String = candidate
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let candidate = if clean.is_empty() {
            "doc".to_string()
        } else {
            clean
        };
        let candidate = candidate.as_str();
        let mut id = candidate.to_string();
        let mut n = 2;
        while self.catalog.docs.contains_key(&id) || self.reserved_ids.contains(&id) {
            id = format!("{candidate}-{n}");
            n += 1;
        }
        self.reserved_ids.insert(id.clone());
        id
    }

    /// Removes documents (by id, or every document from a source path or
    /// folder) in one commit. Returns what was removed.
    pub fn remove(&mut self, targets: &[String]) -> Result<Vec<DocReport>> {
        let mut ids: Vec<String> = Vec::new();
        for t in targets {
            if self.catalog.docs.contains_key(t) {
                ids.push(t.clone());
                continue;
            }
            let p = Path::new(t);
            let abs = std::fs::canonicalize(p)
                .or_else(|_| std::path::absolute(p))
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| t.clone());
            let found: Vec<String> = self
                .catalog
                .docs
                .values()
                .filter(|e| {
                    e.source_key == abs
                        || e.source_key.starts_with(&format!("{abs}#"))
                        || e.source_key.starts_with(&format!("{abs}/"))
                })
                .map(|e| e.id.clone())
                .collect();
            if found.is_empty() {
                return Err(EngineError::NotStored(t.clone()));
            }
            ids.extend(found);
        }
        ids.sort();
        ids.dedup();
        let staged = (|| {
            let mut out = Vec::new();
            for id in &ids {
                out.push(self.stage_removal(id)?);
            }
            self.commit_record()?;
            Ok(out)
        })();
        match staged {
            Ok(out) => {
                self.sync_vectors(&mut |_, _| {})?;
                Ok(out)
            }
            Err(e) => {
                self.rollback()?;
                Err(e)
            }
        }
    }

    /// Stages the removal of one document: its index entries and graph go,
    /// and documents whose references resolved into it lose those links
    /// (and wait for its title again).
    fn stage_removal(&mut self, id: &str) -> Result<DocReport> {
        let entry = self
            .catalog
            .remove(id)
            .ok_or_else(|| EngineError::NotStored(id.to_string()))?;
        self.index.remove_document(id)?;
        self.touch_graph()?;
        self.staged_graphs.remove(id);
        self.graph()?.remove_document(id)?;
        let prefix = format!("{id}#");
        let dependents: Vec<String> = self
            .catalog
            .docs
            .values()
            .filter(|e| {
                e.links
                    .as_ref()
                    .is_some_and(|ls| ls.iter().any(|l| l.to.starts_with(&prefix)))
            })
            .map(|e| e.id.clone())
            .collect();
        let rev = self.catalog.generation + 1;
        for d in dependents {
            let mut doc = self.load(&d)?;
            for r in doc.xrefs.iter_mut() {
                if r.resolved
                    .as_deref()
                    .is_some_and(|t| t.starts_with(&prefix))
                {
                    r.resolved = None;
                }
            }
            self.dir.save_document(&doc, rev)?;
            self.replace_graph_of(&doc)?;
            let key = self.catalog.docs[&d].source_key.clone();
            let mut e = store::entry_for(&doc, &key);
            e.rev = rev;
            self.catalog.insert(e);
        }
        Ok(DocReport {
            id: entry.id,
            title: entry.title,
            kind: entry.kind,
            units: entry.units,
            outcome: DocOutcome::Removed,
        })
    }

    /// Drops everything staged since the last commit: the catalog is read
    /// back, the index writer rolled back and a graph written by the batch
    /// rebuilt; files the batch wrote are removed.
    pub fn rollback(&mut self) -> Result<()> {
        self.catalog = self.dir.load_catalog()?;
        self.staged_graphs.clear();
        self.reserved_ids.clear();
        self.index.rollback()?;
        // A commit that failed after stamping a store (the catalog save
        // itself failed) left that store ahead: rebuild it now, so that
        // the next commit's number never stamps a stale store.
        if self.index.generation()?.unwrap_or(0) != self.catalog.generation {
            self.rebuild_index()?;
        }
        if self.graph_touched || self.graph()?.generation()?.unwrap_or(0) != self.catalog.generation
        {
            self.rebuild_graph()?;
        }
        self.dir.remove_orphans(&self.catalog)?;
        self.links = link_map(&self.catalog);
        Ok(())
    }

    /// Stages one parsed document under `source_key`: unchanged content is a
    /// no-op; a changed source replaces its earlier version under the same id.
    /// Call [`Engine::commit`] to make staged documents searchable.
    pub fn put_document(&mut self, mut doc: Document, source_key: &str) -> Result<DocReport> {
        self.require_write()?;
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
                // Ingest chose the id before parsing; a caller that did not
                // (or whose id is taken) gets a renamed, re-extracted copy.
                if self.catalog.docs.contains_key(&doc.id) {
                    let id = self.assign_id(&doc.id, source_key);
                    doc = with_id(doc, &id);
                }
                self.reserved_ids.insert(doc.id.clone());
                DocOutcome::Added
            }
        };
        self.resolve_external_refs(&mut doc);
        // A new revision: the committed version's file stays untouched
        // until the catalog naming this one is saved.
        let rev = self.catalog.generation + 1;
        self.dir.save_document(&doc, rev)?;
        self.index.replace_document(&doc.id, &chunks_of(&doc))?;
        self.touch_graph()?;
        self.stage_graph(&doc, outcome == DocOutcome::Added)?;
        let mut entry = store::entry_for(&doc, source_key);
        entry.rev = rev;
        entry.pending_titles.retain(|t| !self.has_title(t));
        let report = DocReport {
            id: doc.id.clone(),
            title: doc.title.clone(),
            kind: doc.kind,
            units: doc.units.len(),
            outcome,
        };
        self.catalog.insert(entry);
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
        let id = self.assign_id(&emkg_ingest::doc_id_for(name), source_key);
        match emkg_ingest::load_bytes_with_id(name, bytes, &id) {
            Ok(doc) => Ok(Ok(self.put_document(doc, source_key)?)),
            Err(e) => Ok(Err(e.to_string())),
        }
    }

    /// Makes staged documents searchable and records the new catalog
    /// generation. The derived stores are stamped first; saving the catalog
    /// is the commit point; files of replaced versions go after it.
    pub fn commit(&mut self) -> Result<()> {
        self.commit_record()?;
        // Vectors are derived and versioned per document: embedding after
        // the catalog is saved means a crash here only leaves work for the
        // next sync, never a wrong vector.
        self.sync_vectors(&mut |_, _| {})?;
        Ok(())
    }

    /// The commit up to and including the commit point (no vectors).
    fn commit_record(&mut self) -> Result<()> {
        self.require_write()?;
        self.catalog.generation += 1;
        // Every stored document now carries facts of this extractor (new
        // ones were parsed by it; older ones were refreshed at open).
        self.catalog.facts_version = emkg_ingest::extract::VERSION;
        self.flush_graphs()?;
        self.index.commit(self.catalog.generation)?;
        self.graph()?.set_generation(self.catalog.generation)?;
        self.dir.save_catalog(&self.catalog)?;
        self.graph_touched = false;
        self.reserved_ids.clear();
        self.dir.remove_orphans(&self.catalog)?;
        self.links = link_map(&self.catalog);
        self.rulebook = Default::default();
        Ok(())
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
        let rev = self.catalog.generation + 1;
        for (id, key) in &due {
            let mut doc = self.load(id)?;
            self.resolve_external_refs(&mut doc);
            self.dir.save_document(&doc, rev)?;
            self.touch_graph()?;
            self.replace_graph_of(&doc)?;
            let mut entry = store::entry_for(&doc, key);
            entry.rev = rev;
            entry.pending_titles.retain(|t| !titles.contains(t));
            self.catalog.insert(entry);
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

    /// A document's graph changed again before commit: a new document's
    /// staged triples are replaced (the bulk load at commit would otherwise
    /// put the stale ones back); a stored one's named graph is swapped.
    fn replace_graph_of(&mut self, doc: &Document) -> Result<()> {
        let triples = graph::document_triples(doc)?;
        if let Some(slot) = self.staged_graphs.get_mut(&doc.id) {
            *slot = triples;
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
        !self.catalog.ids_titled(normalized).is_empty()
    }

    /// Resolves 《X》第N条 references against the stored documents' titles.
    fn resolve_external_refs(&self, doc: &mut Document) {
        // The first stored document (by id) of a title, from the index.
        let by_title = |norm: &str| {
            self.catalog
                .ids_titled(norm)
                .first()
                .and_then(|id| self.catalog.docs.get(id))
        };
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
                by_title(&norm)
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

    /// Hybrid search: a provision the query names comes first; then BM25
    /// and dense candidates fused by reciprocal rank, with provisions linked
    /// to the best of them (references, duty ↔ penalty) added after their
    /// parent. Identical provision texts from different sources are merged.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>> {
        let k = req.k.clamp(1, 1000);
        let pool = POOL.max(k * 2);
        let mut hits: Vec<Hit> = Vec::new();
        // Colloquial words (危化品, 老总) also search for their statutory
        // terms, which weigh less than the question's own words.
        let extra = emkg_ontology::lexicon::expansions(&req.query);
        let bm25 = if req.retrievers.bm25 {
            self.index
                .search_expanded(&req.query, &extra, EXPANSION_WEIGHT, &req.filter, pool)?
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
                    .search_expanded(&q, &[], 0.0, &req.filter, pool)?
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
                        .search(qv, pool, &req.filter)?
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

    /// Lists every 《X》第N条 in `text` and whether it exists in the store.
    pub fn verify_citations(&self, text: &str) -> Vec<citations::CitationCheck> {
        citations::check(text, &self.catalog, &self.dir)
    }

    /// A stored document.
    pub fn document(&self, id: &str) -> Result<Document> {
        self.load(id)
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
