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
                let _ = engine.put_bytes(&name, b, &key)?;
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
