//! Sentence embeddings with a BERT-family encoder ([`crate::bert`]) loaded
//! from a model folder: `config.json`, `tokenizer.json`, the weights
//! (`model.safetensors`, or emkg's e5 import `model.q4_0.safetensors` with
//! its matrices kept in Q4_0 blocks), and how to use it — pooling,
//! normalisation, prefixes — from `emkg-embedder.json` or, for a
//! sentence-transformers folder, from its `modules.json` / `1_Pooling`.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_transformers::models::bert::Config as BertConfig;
use serde::{Deserialize, Serialize};

use crate::bert::Bert;
use crate::error::{ModelError, Result};

/// Padded tokens per forward pass (measured on 2 cores: small batches keep
/// the activations in cache; see `emkg bench embed`).
const DEFAULT_BATCH_TOKENS: usize = 512;

/// How a folder says to use its model (written by the E5 importer).
pub const SPEC_FILE: &str = "emkg-embedder.json";

/// Weights file of an emkg import: safetensors whose matrices are raw Q4_0
/// blocks (see [`crate::bert::WORD_Q4_0`], [`crate::bert::Q4_0_SUFFIX`]).
pub const Q4_WEIGHTS_FILE: &str = "model.q4_0.safetensors";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Mean,
    Cls,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedderSpec {
    pub name: String,
    pub pooling: Pooling,
    pub normalize: bool,
    #[serde(default)]
    pub query_prefix: String,
    #[serde(default)]
    pub passage_prefix: String,
    /// Inputs longer than this (special tokens included) are truncated.
    pub max_tokens: usize,
    /// Layout version of an emkg import (0: not an import); an older
    /// import is redone.
    #[serde(default)]
    pub import_version: u32,
}

/// Whether a text is a search query or a stored passage (e5 embeds them
/// with different prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Passage,
}

/// Vectors in input order plus what it cost.
#[derive(Debug, Clone, Default)]
pub struct Embeddings {
    pub vectors: Vec<Vec<f32>>,
    /// Tokens fed to the model (special tokens included, padding excluded).
    pub tokens: usize,
    /// Inputs cut at the model's maximum length.
    pub truncated: usize,
}

/// Anything that turns texts into fixed-size vectors. The engine depends on
/// this trait only, so tests and other backends can stand in.
pub trait Embedder: Send + Sync {
    fn name(&self) -> &str;
    fn dim(&self) -> usize;
    fn embed(&self, texts: &[&str], role: Role) -> Result<Embeddings>;
}

/// A BERT encoder on the CPU.
pub struct BertEmbedder {
    model: Bert,
    tokenizer: tokenizers::Tokenizer,
    spec: EmbedderSpec,
    dim: usize,
    pad_id: u32,
    device: Device,
    /// Upper bound on padded tokens per forward pass; bounds memory.
    batch_tokens: usize,
}

impl BertEmbedder {
    /// Loads a model folder. Missing or corrupt files are errors that name
    /// the file.
    pub fn load(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(ModelError::Missing(dir.to_path_buf()));
        }
        let config_path = dir.join("config.json");
        let text =
            std::fs::read_to_string(&config_path).map_err(|e| ModelError::io(&config_path, e))?;
        let config: BertConfig = serde_json::from_str(&text)
            .map_err(|e| ModelError::format(&config_path, e.to_string()))?;
        let spec = read_spec(dir, &config)?;

        let tok_path = dir.join("tokenizer.json");
        if !tok_path.is_file() {
            return Err(ModelError::Missing(tok_path));
        }
        let mut tokenizer = tokenizers::Tokenizer::from_file(&tok_path)
            .map_err(|e| ModelError::format(&tok_path, e.to_string()))?;
        // Truncation and padding are done here, per batch.
        tokenizer
            .with_truncation(None)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(None);

        let weights = [Q4_WEIGHTS_FILE, "model.safetensors"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file())
            .ok_or_else(|| ModelError::Missing(dir.join("model.safetensors")))?;
        let device = Device::Cpu;
        // Read (not mmap) so a file replaced underneath cannot fault us.
        let bytes = std::fs::read(&weights).map_err(|e| ModelError::io(&weights, e))?;
        let model = Bert::from_safetensors(bytes, &config)
            .map_err(|e| ModelError::format(&weights, e.to_string()))?;
        Ok(BertEmbedder {
            model,
            tokenizer,
            dim: config.hidden_size,
            pad_id: config.pad_token_id as u32,
            spec,
            device,
            batch_tokens: std::env::var("EMKG_EMBED_BATCH_TOKENS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_BATCH_TOKENS),
        })
    }

    pub fn spec(&self) -> &EmbedderSpec {
        &self.spec
    }

    /// Token ids for one input (prefix and special tokens included,
    /// truncated to the model's maximum); `true` when truncated.
    pub fn token_ids(&self, text: &str, role: Role) -> Result<(Vec<u32>, bool)> {
        let prefix = match role {
            Role::Query => &self.spec.query_prefix,
            Role::Passage => &self.spec.passage_prefix,
        };
        let input = format!("{prefix}{text}");
        let enc = self
            .tokenizer
            .encode(input.as_str(), true)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        let mut ids = enc.get_ids().to_vec();
        let max = self.spec.max_tokens.max(2);
        if ids.len() > max {
            // Keep the closing special token so the input stays well formed.
            let last = ids[ids.len() - 1];
            ids.truncate(max - 1);
            ids.push(last);
            return Ok((ids, true));
        }
        Ok((ids, false))
    }

    fn forward(&self, batch: &[&Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let n = batch.len();
        let len = batch.iter().map(|ids| ids.len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for seq in batch {
            ids.extend_from_slice(seq);
            ids.extend(std::iter::repeat_n(self.pad_id, len - seq.len()));
            mask.extend(std::iter::repeat_n(1u32, seq.len()));
            mask.extend(std::iter::repeat_n(0u32, len - seq.len()));
        }
        let ids = Tensor::from_vec(ids, (n, len), &self.device)?;
        let mask = Tensor::from_vec(mask, (n, len), &self.device)?;
        let hidden = self.model.forward(&ids, &mask)?;
        let pooled = match self.spec.pooling {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => {
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let sum = hidden.broadcast_mul(&m)?.sum(1)?;
                sum.broadcast_div(&m.sum(1)?)?
            }
        };
        let pooled = if self.spec.normalize {
            let norm = pooled
                .sqr()?
                .sum_keepdim(1)?
                .sqrt()?
                .clamp(1e-12, f32::MAX)?;
            pooled.broadcast_div(&norm)?
        } else {
            pooled
        };
        Ok(pooled.to_vec2::<f32>()?)
    }
}

impl Embedder for BertEmbedder {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str], role: Role) -> Result<Embeddings> {
        let mut out = Embeddings {
            vectors: vec![Vec::new(); texts.len()],
            ..Default::default()
        };
        let mut seqs = Vec::with_capacity(texts.len());
        for t in texts {
            let (ids, truncated) = self.token_ids(t, role)?;
            out.tokens += ids.len();
            out.truncated += usize::from(truncated);
            seqs.push(ids);
        }
        // Length-sorted batches waste little on padding.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(seqs[i].len()));
        let mut start = 0;
        while start < order.len() {
            let longest = seqs[order[start]].len().max(1);
            let take = (self.batch_tokens / longest).clamp(1, 64);
            let end = (start + take).min(order.len());
            let batch: Vec<&Vec<u32>> = order[start..end].iter().map(|&i| &seqs[i]).collect();
            let vectors = self.forward(&batch)?;
            for (k, v) in vectors.into_iter().enumerate() {
                out.vectors[order[start + k]] = v;
            }
            start = end;
        }
        Ok(out)
    }
}

fn read_spec(dir: &Path, config: &BertConfig) -> Result<EmbedderSpec> {
    let spec_path = dir.join(SPEC_FILE);
    if spec_path.is_file() {
        let text =
            std::fs::read_to_string(&spec_path).map_err(|e| ModelError::io(&spec_path, e))?;
        return serde_json::from_str(&text)
            .map_err(|e| ModelError::format(&spec_path, e.to_string()));
    }
    // A sentence-transformers folder describes pooling and normalisation.
    let json = |p: PathBuf| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
    };
    let pooling = match json(dir.join("1_Pooling/config.json")) {
        Some(v) if v["pooling_mode_cls_token"] == true => Pooling::Cls,
        _ => Pooling::Mean,
    };
    let normalize = json(dir.join("modules.json"))
        .and_then(|v| v.as_array().cloned())
        .map(|mods| {
            mods.iter()
                .any(|m| m["type"].as_str().is_some_and(|t| t.ends_with("Normalize")))
        })
        .unwrap_or(true);
    let max_tokens = json(dir.join("sentence_bert_config.json"))
        .and_then(|v| v["max_seq_length"].as_u64())
        .map(|n| n as usize)
        .unwrap_or(config.max_position_embeddings)
        .min(config.max_position_embeddings);
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bert".into());
    Ok(EmbedderSpec {
        import_version: 0,
        name,
        pooling,
        normalize,
        query_prefix: String::new(),
        passage_prefix: String::new(),
        max_tokens,
    })
}
