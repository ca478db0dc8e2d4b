//! Ingest throughput: a corpus read once into memory, then parsed, stored and
//! indexed repeatedly (each copy a distinct source) until a target size.

use emkg_engine::ingest::{discover, load_bytes};
use emkg_engine::{Engine, EngineError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct IngestBench {
    pub files: usize,
    pub repeats: usize,
    pub bytes: u64,
    pub documents: usize,
    pub units: usize,
    pub parse_time: Duration,
    pub full_time: Duration,
}

impl IngestBench {
    pub fn mb(&self) -> f64 {
        self.bytes as f64 / 1_048_576.0
    }
}

/// Runs the benchmark over `corpus`, repeated until at least `target_mb`,
/// storing into a fresh data directory under `scratch`.
pub fn ingest_throughput(
    corpus: &[PathBuf],
    target_mb: f64,
    scratch: &Path,
) -> Result<IngestBench, EngineError> {
    let (files, _) = discover(corpus);
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for f in files {
        // The benchmark measures text documents; databases are a different path.
        if f.extension().is_some_and(|e| e == "db") {
            continue;
        }
        if let Ok(b) = std::fs::read(&f) {
            inputs.push((f, b));
        }
    }
    let per_pass: u64 = inputs.iter().map(|(_, b)| b.len() as u64).sum();
    if per_pass == 0 {
        return Err(EngineError::BadQuery("基准测试语料为空".into()));
    }
    let repeats = ((target_mb * 1_048_576.0) / per_pass as f64)
        .ceil()
        .max(1.0) as usize;

    // Parse only.
    let t = Instant::now();
    let mut units = 0usize;
    let mut documents = 0usize;
    for _ in 0..repeats {
        for (p, b) in &inputs {
            if let Ok(d) = load_bytes(p, b) {
                units += d.units.len();
                documents += 1;
            }
        }
    }
    let parse_time = t.elapsed();

    // Parse + store + index, committed once per pass.
    let dir = scratch.join(format!("emkg-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    {
        let mut engine = Engine::open_for_write(&dir)?;
        for r in 0..repeats {
            for (p, b) in &inputs {
                let key = format!("bench:{r}:{}", p.display());
                let name = PathBuf::from(format!("rep{r}")).join(p.file_name().unwrap_or_default());
                let _ = engine.put_bytes(&name, b, &key, emkg_engine::access::Access::Public)?;
            }
            engine.commit()?;
        }
    }
    let full_time = t.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(IngestBench {
        files: inputs.len(),
        repeats,
        bytes: per_pass * repeats as u64,
        documents,
        units,
        parse_time,
        full_time,
    })
}

#[derive(Debug, Clone)]
pub struct GraphBench {
    pub documents: usize,
    pub facts: usize,
    pub triples: usize,
    /// Parsing and fact extraction.
    pub parse_time: Duration,
    /// Building triples and bulk-loading them (the path of a first ingest).
    pub graph_time: Duration,
    /// Building triples and writing them one transaction per document (re-ingest).
    pub transaction_time: Duration,
}

/// Builds the knowledge graph of `corpus` into a fresh store under `scratch`.
pub fn graph_build(corpus: &[PathBuf], scratch: &Path) -> Result<GraphBench, EngineError> {
    use emkg_engine::graph::{document_triples, GraphStore, OxigraphGraph};
    let (files, _) = discover(corpus);
    let t = Instant::now();
    let mut docs = Vec::new();
    for f in &files {
        if let Ok(loaded) = emkg_engine::ingest::load_file(f, &Default::default()) {
            docs.extend(loaded.documents);
        }
    }
    let parse_time = t.elapsed();
    let facts: usize = docs
        .iter()
        .map(|d| {
            let f = &d.facts;
            f.norms.len()
                + f.penalties.len()
                + f.deadlines.len()
                + f.thresholds.len()
                + f.counting_rules.len()
                + f.grades.len()
                + f.response_rules.len()
                + f.hazards.len()
                + f.warnings.len()
        })
        .sum();
    let dir = scratch.join(format!("emkg-graph-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    let mut triples = 0usize;
    {
        let g = OxigraphGraph::open(&dir)?;
        let mut all = Vec::with_capacity(docs.len());
        for d in &docs {
            let tr = document_triples(d)?;
            triples += tr.own.len() + tr.shared.len();
            all.push((d.id.clone(), tr));
        }
        g.load_new_documents(all)?;
    }
    let graph_time = t.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    {
        let g = OxigraphGraph::open(&dir)?;
        for d in &docs {
            g.replace_document(&d.id, document_triples(d)?)?;
        }
    }
    let transaction_time = t.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(GraphBench {
        documents: docs.len(),
        facts,
        triples,
        parse_time,
        graph_time,
        transaction_time,
    })
}

/// Latency percentiles of search over a list of queries.
#[derive(Debug, Clone)]
pub struct SearchLatency {
    pub queries: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

/// Runs every query `rounds` times (after one warm-up round) with the
/// given retrievers and reports latency percentiles.
pub fn search_latency(
    engine: &Engine,
    queries: &[String],
    retrievers: emkg_engine::Retrievers,
    rounds: usize,
) -> Result<SearchLatency, EngineError> {
    let mut lat = Vec::new();
    for round in 0..=rounds.max(1) {
        for q in queries {
            let mut req = emkg_engine::SearchRequest::new(q, 10);
            req.retrievers = retrievers;
            let t = Instant::now();
            engine.search(&req)?;
            if round > 0 {
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    Ok(SearchLatency {
        queries: lat.len(),
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        max_ms: lat.last().copied().unwrap_or(0.0),
    })
}

/// One size of the scale benchmark.
#[derive(Debug, Clone)]
pub struct ScalePoint {
    pub factor: usize,
    pub documents: usize,
    pub chunks: u64,
    pub mb: f64,
    pub ingest: Duration,
    /// Time to embed (or copy, for replicas) and store the vectors.
    pub vectors: Option<Duration>,
    pub index_bytes: u64,
    pub graph_bytes: u64,
    pub docs_bytes: u64,
    pub vector_bytes: u64,
    /// Resident set size of the process after the searches (high-water mark).
    pub rss_mb: Option<f64>,
    pub bm25: SearchLatency,
    pub hybrid: Option<SearchLatency>,
}

/// An embedder that embeds each distinct text once: replicas of the corpus
/// hold the same texts, so the scale benchmark pays the model at 1× only
/// and measures what grows — storage and search over N× vectors.
pub struct ReuseEmbedder {
    inner: std::sync::Arc<dyn emkg_engine::models::Embedder>,
    cache: std::sync::Mutex<std::collections::HashMap<String, Vec<f32>>>,
}

impl ReuseEmbedder {
    pub fn new(inner: std::sync::Arc<dyn emkg_engine::models::Embedder>) -> Self {
        ReuseEmbedder {
            inner,
            cache: Default::default(),
        }
    }
}

impl emkg_engine::models::Embedder for ReuseEmbedder {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn embed(
        &self,
        texts: &[&str],
        role: emkg_engine::models::Role,
    ) -> emkg_engine::models::Result<emkg_engine::models::Embeddings> {
        if matches!(role, emkg_engine::models::Role::Query) {
            return self.inner.embed(texts, role);
        }
        let missing: Vec<&str> = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let mut m: Vec<&str> = texts
                .iter()
                .copied()
                .filter(|t| !cache.contains_key(*t))
                .collect();
            m.sort_unstable();
            m.dedup();
            m
        };
        if !missing.is_empty() {
            let e = self.inner.embed(&missing, role)?;
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            for (t, v) in missing.iter().zip(e.vectors) {
                cache.insert((*t).to_string(), v);
            }
        }
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        Ok(emkg_engine::models::Embeddings {
            vectors: texts
                .iter()
                .map(|t| cache.get(*t).cloned().unwrap_or_default())
                .collect(),
            tokens: 0,
            truncated: 0,
        })
    }
}

impl ReuseEmbedder {
    /// Seeds the cache with the vectors a data directory already holds for
    /// this embedder (current content versions only). Returns how many.
    pub fn seed_from(&self, data: &Path) -> Result<usize, EngineError> {
        use emkg_engine::models::Embedder;
        let engine = Engine::open(data)?;
        let kinds: std::collections::BTreeMap<String, emkg_engine::ontology::DocKind> = engine
            .catalog()
            .docs
            .values()
            .map(|e| (e.id.clone(), e.kind))
            .collect();
        let dir = data
            .join("vectors")
            .join(emkg_engine::vector_space_name(self.name()));
        if !dir.is_dir() {
            return Ok(0);
        }
        let flat = emkg_engine::vector_index::FlatIndex::open(&dir, self.dim(), &|id| {
            kinds.get(id).copied()
        })?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        for e in engine.catalog().docs.values() {
            let Some((version, rows)) = flat.vectors_of(&e.id) else {
                continue;
            };
            if version != e.content_hash {
                continue;
            }
            let by_unit: std::collections::HashMap<String, Vec<f32>> = rows.into_iter().collect();
            let d = engine.document(&e.id)?;
            for c in emkg_engine::chunks_of(&d) {
                if let Some(v) = by_unit.get(&c.unit_id) {
                    cache.insert(emkg_engine::passage_text(&c), v.clone());
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}

fn dir_bytes(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Peak resident set size of this process, from /proc (Linux).
pub fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Ingests `corpus` replicated `factor` times (each copy a distinct source
/// and document id) into a fresh data directory under `scratch`, then
/// measures search over it: BM25 (with graph expansion) and, with an
/// embedder, hybrid. The data directory is removed afterwards.
pub fn scale_point(
    corpus: &[PathBuf],
    factor: usize,
    queries: &[String],
    embedder: Option<std::sync::Arc<dyn emkg_engine::models::Embedder>>,
    scratch: &Path,
    rounds: usize,
) -> Result<ScalePoint, EngineError> {
    let (files, _) = discover(corpus);
    let inputs: Vec<(PathBuf, Vec<u8>)> = files
        .into_iter()
        .filter(|f| f.extension().is_none_or(|e| e != "db"))
        .filter_map(|f| std::fs::read(&f).ok().map(|b| (f, b)))
        .collect();
    let per_pass: u64 = inputs.iter().map(|(_, b)| b.len() as u64).sum();
    if per_pass == 0 {
        return Err(EngineError::BadQuery("基准测试语料为空".into()));
    }
    let dir = scratch.join(format!("emkg-scale-{}-{factor}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    {
        let mut engine = Engine::open_for_write(&dir)?;
        for r in 0..factor {
            for (p, b) in &inputs {
                let key = format!("scale:{r}:{}", p.display());
                let name = PathBuf::from(format!("rep{r}")).join(p.file_name().unwrap_or_default());
                let _ = engine.put_bytes(&name, b, &key, emkg_engine::access::Access::Public)?;
            }
            engine.commit()?;
        }
    }
    let ingest = t.elapsed();
    let mut vectors = None;
    let mut engine = Engine::open_for_write(&dir)?;
    if let Some(e) = embedder.clone() {
        let t = Instant::now();
        engine.attach_embedder(e, &emkg_engine::VectorBackend::Embedded)?;
        engine.sync_vectors(&mut |_, _| {})?;
        vectors = Some(t.elapsed());
    }
    drop(engine);
    let mut engine = Engine::open(&dir)?;
    let stats = engine.stats();
    let bm25 = search_latency(
        &engine,
        queries,
        emkg_engine::Retrievers::parse("bm25,graph")?,
        rounds,
    )?;
    let hybrid = match embedder {
        Some(e) => {
            engine.attach_embedder(e, &emkg_engine::VectorBackend::Embedded)?;
            Some(search_latency(
                &engine,
                queries,
                Default::default(),
                rounds,
            )?)
        }
        None => None,
    };
    let point = ScalePoint {
        factor,
        documents: stats.documents,
        chunks: stats.chunks,
        mb: (per_pass * factor as u64) as f64 / 1_048_576.0,
        ingest,
        vectors,
        index_bytes: dir_bytes(&dir.join("index")),
        graph_bytes: dir_bytes(&dir.join("graph")),
        docs_bytes: dir_bytes(&dir.join("docs")),
        vector_bytes: dir_bytes(&dir.join("vectors")),
        rss_mb: peak_rss_mb(),
        bm25,
        hybrid,
    };
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(point)
}
