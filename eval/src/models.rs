//! Model-engine benchmarks: embedding throughput on real provisions and LLM
//! prefill/decode speed. The figures are printed by `emkg bench embed|llm`;
//! `eval/bench_models.sh` runs the reference engines on the same inputs.

use std::path::PathBuf;
use std::time::Instant;

use emkg_engine::ingest::{discover, load_bytes};
use emkg_engine::models::{Embedder, ModelError, QwenGenerator, Role};

/// Texts of the first `limit` provisions (articles or numbered sections) of
/// the documents under `paths`, in file order — what the index embeds.
pub fn corpus_chunks(paths: &[PathBuf], limit: usize) -> Vec<String> {
    let (files, _) = discover(paths);
    let mut out = Vec::new();
    for f in files {
        if f.extension().is_some_and(|e| e == "db") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let Ok(doc) = load_bytes(&f, &bytes) else {
            continue;
        };
        for c in doc.chunks() {
            let t = c.text.trim();
            if !t.is_empty() {
                out.push(t.to_string());
                if out.len() >= limit {
                    return out;
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
pub struct EmbedBench {
    pub texts: usize,
    pub tokens: usize,
    pub truncated: usize,
    pub secs: f64,
    /// Median latency of one short query, milliseconds.
    pub query_ms: f64,
}

impl EmbedBench {
    pub fn per_sec(&self) -> f64 {
        self.texts as f64 / self.secs
    }
    pub fn tokens_per_sec(&self) -> f64 {
        self.tokens as f64 / self.secs
    }
}

pub fn embed_bench(e: &dyn Embedder, texts: &[String]) -> Result<EmbedBench, ModelError> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // Warm-up: first calls touch every weight page.
    e.embed(&refs[..refs.len().min(8)], Role::Passage)?;
    let t = Instant::now();
    let out = e.embed(&refs, Role::Passage)?;
    let secs = t.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    for q in [
        "危险化学品泄漏事故应急处置措施",
        "生产经营单位主要负责人的职责",
        "较大事故报告时限",
    ]
    .iter()
    .cycle()
    .take(15)
    {
        let t = Instant::now();
        e.embed(&[q], Role::Query)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    Ok(EmbedBench {
        texts: texts.len(),
        tokens: out.tokens,
        truncated: out.truncated,
        secs,
        query_ms: lat[lat.len() / 2],
    })
}

#[derive(Debug, Clone)]
pub struct LlmBench {
    pub prompt_tokens: usize,
    pub prefill_secs: f64,
    pub decode_tokens: usize,
    pub decode_secs: f64,
}

impl LlmBench {
    pub fn prefill_tps(&self) -> f64 {
        self.prompt_tokens as f64 / self.prefill_secs
    }
    pub fn decode_tps(&self) -> f64 {
        self.decode_tokens as f64 / self.decode_secs
    }
}

/// A ChatML prompt of exactly `n` tokens built from provision texts.
pub fn llm_prompt(g: &QwenGenerator, texts: &[String], n: usize) -> Result<Vec<u32>, ModelError> {
    let mut body = String::new();
    for t in texts {
        body.push_str(t);
        body.push('\n');
        if g.encode(&body)?.len() > n + 64 {
            break;
        }
    }
    let msgs = [emkg_engine::models::ChatMessage::user(format!(
        "请概括以下条文的要点：\n{body}"
    ))];
    let mut ids = g.encode(&QwenGenerator::chat_prompt(&msgs))?;
    ids.truncate(n);
    Ok(ids)
}

/// Median of `runs` runs (prefill and decode taken separately).
pub fn llm_bench(
    g: &mut QwenGenerator,
    prompt: &[u32],
    decode: usize,
    runs: usize,
) -> Result<LlmBench, ModelError> {
    let mut pre = Vec::new();
    let mut dec = Vec::new();
    for _ in 0..runs.max(1) {
        let (p, d) = g.time_prefill_decode(prompt, decode)?;
        pre.push(p);
        dec.push(d);
    }
    pre.sort_by(f64::total_cmp);
    dec.sort_by(f64::total_cmp);
    Ok(LlmBench {
        prompt_tokens: prompt.len(),
        prefill_secs: pre[pre.len() / 2],
        decode_tokens: decode,
        decode_secs: dec[dec.len() / 2],
    })
}
