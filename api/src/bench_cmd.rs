//! The benchmark drivers (`emkg bench …`): each prints figures and asserts
//! nothing. Measurement lives in emkg-eval; this is argument handling and
//! printing.

use crate::{open, setup};
use anyhow::{Context, Result};
use std::path::PathBuf;

pub fn bench_ingest(paths: Vec<PathBuf>, target_mb: f64, scratch: Option<PathBuf>) -> Result<()> {
    let scratch = scratch.unwrap_or_else(std::env::temp_dir);
    let b = emkg_eval::bench::ingest_throughput(&paths, target_mb, &scratch)?;
    let mb = b.mb();
    let ps = b.parse_time.as_secs_f64();
    let fs = b.full_time.as_secs_f64();
    println!(
        "corpus: {} files x {} repeats = {:.1} MB, {} documents, {} units",
        b.files, b.repeats, mb, b.documents, b.units
    );
    println!(
        "parse only:            {:>8.2} s  {:>10.0} units/s  {:>7.2} MB/s",
        ps,
        b.units as f64 / ps,
        mb / ps
    );
    println!(
        "parse + store + index + graph: {:>8.2} s  {:>10.0} units/s  {:>7.2} MB/s",
        fs,
        b.units as f64 / fs,
        mb / fs
    );
    Ok(())
}

pub fn bench_embed(
    paths: Vec<PathBuf>,
    model: Option<PathBuf>,
    limit: usize,
    threads: Option<usize>,
    dump: Option<PathBuf>,
) -> Result<()> {
    use emkg_engine::models;
    if let Some(n) = threads {
        models::set_threads(n);
    }
    let dir = match model {
        Some(m) => m,
        None => models::ensure_e5_imported(&models::model_cache_dir())?,
    };
    let texts = emkg_eval::models::corpus_chunks(&paths, limit);
    anyhow::ensure!(!texts.is_empty(), "语料中没有可嵌入的条文");
    if let Some(d) = dump {
        let lines: Vec<String> = texts
            .iter()
            .map(|t| serde_json::to_string(t).unwrap_or_default())
            .collect();
        std::fs::write(&d, lines.join("\n") + "\n")
            .with_context(|| format!("无法写入 {}", d.display()))?;
    }
    let t = std::time::Instant::now();
    let e = models::BertEmbedder::load(&dir)?;
    let load = t.elapsed().as_secs_f64();
    let b = emkg_eval::models::embed_bench(&e, &texts)?;
    println!("model: {} (load {:.2} s)", dir.display(), load);
    println!(
        "embed {} provisions, {} tokens ({} truncated) in {:.2} s: {:.1} texts/s, {:.0} tokens/s; single query p50 {:.1} ms",
        b.texts,
        b.tokens,
        b.truncated,
        b.secs,
        b.per_sec(),
        b.tokens_per_sec(),
        b.query_ms
    );
    Ok(())
}

pub fn bench_llm(
    paths: Vec<PathBuf>,
    model: Option<PathBuf>,
    prompt_tokens: usize,
    decode_tokens: usize,
    runs: usize,
    threads: Option<usize>,
    dump: Option<PathBuf>,
) -> Result<()> {
    use emkg_engine::models;
    if let Some(n) = threads {
        models::set_threads(n);
    }
    let path = model.unwrap_or_else(|| models::model_cache_dir().join(models::config::QWEN_1_5B));
    let t = std::time::Instant::now();
    let mut g = models::QwenGenerator::load(&path, prompt_tokens + decode_tokens + 64)?;
    let load = t.elapsed().as_secs_f64();
    let texts = emkg_eval::models::corpus_chunks(&paths, 200);
    let prompt = emkg_eval::models::llm_prompt(&g, &texts, prompt_tokens)?;
    if let Some(d) = dump {
        std::fs::write(&d, serde_json::to_string(&prompt)?)
            .with_context(|| format!("无法写入 {}", d.display()))?;
    }
    let b = emkg_eval::models::llm_bench(&mut g, &prompt, decode_tokens, runs)?;
    println!("model: {} (load {:.2} s)", path.display(), load);
    println!(
        "prefill {} tokens: {:.2} s = {:.1} tokens/s; decode {} tokens: {:.2} s = {:.1} tokens/s (median of {})",
        b.prompt_tokens,
        b.prefill_secs,
        b.prefill_tps(),
        b.decode_tokens,
        b.decode_secs,
        b.decode_tps(),
        runs
    );
    Ok(())
}

pub fn read_queries(queries: &std::path::Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(queries)
        .with_context(|| format!("无法读取 {}", queries.display()))?;
    let qs: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v["query"].as_str().map(str::to_string))
                .unwrap_or_else(|| l.trim().to_string())
        })
        .collect();
    anyhow::ensure!(!qs.is_empty(), "没有查询");
    Ok(qs)
}

pub fn bench_scale(
    paths: Vec<PathBuf>,
    queries: PathBuf,
    factors: Vec<usize>,
    rounds: usize,
    scratch: Option<PathBuf>,
    seed_vectors: Option<PathBuf>,
    models: &setup::ModelArgs,
) -> Result<()> {
    let qs = read_queries(&queries)?;
    let cfg = models.config()?;
    let embedder = match models.embedder(&cfg)? {
        Some(e) => {
            let r = emkg_eval::bench::ReuseEmbedder::new(e);
            if let Some(d) = &seed_vectors {
                let n = r.seed_from(d)?;
                println!("reusing {n} stored vectors from {}", d.display());
            }
            Some(std::sync::Arc::new(r) as std::sync::Arc<dyn emkg_engine::models::Embedder>)
        }
        None => None,
    };
    let scratch = scratch.unwrap_or_else(std::env::temp_dir);
    println!(
        "{:>6} {:>7} {:>8} {:>7} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "factor",
        "docs",
        "chunks",
        "MB",
        "ingest s",
        "vector s",
        "docs MB",
        "index MB",
        "graph MB",
        "vec MB",
        "RSS MB",
        "bm25 p50",
        "bm25 p95",
        "hyb p50",
        "hyb p95"
    );
    let mb = |b: u64| b as f64 / 1_048_576.0;
    for f in factors.into_iter().filter(|f| *f > 0) {
        let p = emkg_eval::bench::scale_point(&paths, f, &qs, embedder.clone(), &scratch, rounds)?;
        let (hp50, hp95) = p
            .hybrid
            .as_ref()
            .map(|h| (format!("{:.1}", h.p50_ms), format!("{:.1}", h.p95_ms)))
            .unwrap_or(("-".into(), "-".into()));
        println!(
            "{:>6} {:>7} {:>8} {:>7.1} {:>9.1} {:>9} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8} {:>9.1} {:>9.1} {:>9} {:>9}",
            p.factor,
            p.documents,
            p.chunks,
            p.mb,
            p.ingest.as_secs_f64(),
            p.vectors
                .map(|d| format!("{:.1}", d.as_secs_f64()))
                .unwrap_or_else(|| "-".into()),
            mb(p.docs_bytes),
            mb(p.index_bytes),
            mb(p.graph_bytes),
            mb(p.vector_bytes),
            p.rss_mb
                .map(|r| format!("{r:.0}"))
                .unwrap_or_else(|| "-".into()),
            p.bm25.p50_ms,
            p.bm25.p95_ms,
            hp50,
            hp95
        );
    }
    println!("（search: ms per query, {} queries × {rounds} rounds; RSS: peak of the process so far; vectors of replicas reuse the 1× embeddings）", qs.len());
    Ok(())
}

pub fn bench_search(
    queries: PathBuf,
    data: PathBuf,
    rounds: usize,
    models: &setup::ModelArgs,
) -> Result<()> {
    let qs = read_queries(&queries)?;
    let cfg = models.config()?;
    let mut engine = open(&data)?;
    let s = engine.stats();
    println!("corpus: {} documents, {} chunks", s.documents, s.chunks);
    let bm25 = emkg_engine::Retrievers::parse("bm25,graph")?;
    let b = emkg_eval::bench::search_latency(&engine, &qs, bm25, rounds)?;
    println!(
        "bm25+graph:        {} searches  p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms",
        b.queries, b.p50_ms, b.p95_ms, b.max_ms
    );
    if models.attach(&mut engine, &cfg)? {
        if let Some(d) = engine.dense_status() {
            println!(
                "dense: {} ({}), {} vectors, {}/{} documents embedded",
                d.embedder, d.backend, d.vectors, d.documents_embedded, d.documents
            );
        }
        let h = emkg_eval::bench::search_latency(&engine, &qs, Default::default(), rounds)?;
        println!(
            "hybrid (bm25+dense+graph): {} searches  p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms",
            h.queries, h.p50_ms, h.p95_ms, h.max_ms
        );
    } else {
        println!("hybrid: 无嵌入模型，未测");
    }
    Ok(())
}

pub fn bench_graph(paths: Vec<PathBuf>, scratch: Option<PathBuf>) -> Result<()> {
    let scratch = scratch.unwrap_or_else(std::env::temp_dir);
    let b = emkg_eval::bench::graph_build(&paths, &scratch)?;
    let gs = b.graph_time.as_secs_f64();
    println!(
        "documents: {}, extracted facts: {}, triples: {}",
        b.documents, b.facts, b.triples
    );
    println!(
        "parse + extract:       {:>8.2} s",
        b.parse_time.as_secs_f64()
    );
    println!(
        "build graph (bulk):    {:>8.2} s  {:>10.0} triples/s",
        gs,
        b.triples as f64 / gs
    );
    let ts = b.transaction_time.as_secs_f64();
    println!(
        "per-document txns:     {:>8.2} s  {:>10.0} triples/s  (re-ingest path)",
        ts,
        b.triples as f64 / ts
    );
    println!(
        "total graph-build time {:>8.2} s",
        b.parse_time.as_secs_f64() + gs
    );
    Ok(())
}
