//! BERT encoder (multilingual-e5-small, MiniLM) for sentence embeddings.
//!
//! Same maths as candle-transformers' `bert` (post-norm layers, erf GELU,
//! additive padding mask), with two differences that matter on a small
//! machine: matrices stored as raw Q4_0 blocks (emkg's e5 import) stay
//! quantised — the word table, 82% of e5-small's parameters, dequantised a
//! row at a time on lookup, the layers through candle's quantised matmul (an
//! eighth of f32's memory traffic) — and the q/k/v projections run as one
//! matmul. Plain f32 safetensors (e.g. MiniLM) run as dense layers.

use std::collections::HashMap;

use candle_core::quantized::{ggml_file, GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{LayerNorm, Linear};
use candle_transformers::models::bert::{Config as BertConfig, HiddenAct, PositionEmbeddingType};

use crate::error::{ModelError, Result};

/// Name of the raw Q4_0 word table in an emkg import (U8, `[vocab, hidden
/// / 32 * 18]`), stored instead of the f32 `word_embeddings.weight`.
pub const WORD_Q4_0: &str = "embeddings.word_embeddings.q4_0";

/// Suffix of a linear layer's raw Q4_0 weight (U8, `[out, in / 32 * 18]`)
/// in an emkg import, stored instead of its f32 `.weight`.
pub const Q4_0_SUFFIX: &str = ".weight.q4_0";

const Q4_0_BLOCK: usize = 18;

/// A dense layer: f32 weights through gemm, or Q4_0 blocks through candle's
/// quantised matmul (an eighth of the memory traffic).
enum Lin {
    Dense(Linear),
    Quantised { w: QMatMul, b: Tensor },
}

impl Lin {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Lin::Dense(l) => l.forward(x)?,
            Lin::Quantised { w, b } => w.forward(x)?.broadcast_add(b)?,
        })
    }
}

/// Raw Q4_0 rows `[rows, cols]` as a quantised tensor.
fn q4_0(raw: &Tensor, rows: usize, cols: usize, name: &str) -> Result<QTensor> {
    let bytes: Vec<u8> = raw.flatten_all()?.to_vec1::<u8>()?;
    let want = rows * cols / 32 * Q4_0_BLOCK;
    if !cols.is_multiple_of(32) || bytes.len() != want {
        return Err(ModelError::Config(format!(
            "Q4_0 张量 {name} 为 {} 字节，应为 {want}",
            bytes.len()
        )));
    }
    Ok(ggml_file::qtensor_from_ggml(
        GgmlDType::Q4_0,
        &bytes,
        vec![rows, cols],
        &Device::Cpu,
    )?)
}

enum WordTable {
    Quantised(QTensor),
    Dense(Tensor),
}

struct Layer {
    qkv: Lin,
    out: Lin,
    ln1: LayerNorm,
    up: Lin,
    down: Lin,
    ln2: LayerNorm,
}

pub struct Bert {
    word: WordTable,
    pos: Tensor,
    type0: Tensor,
    ln: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
    act: HiddenAct,
}

/// Named tensors of a safetensors file, taken one by one.
struct Weights {
    map: HashMap<String, Tensor>,
    prefix: &'static str,
}

impl Weights {
    fn take(&mut self, name: &str) -> Result<Tensor> {
        let full = format!("{}{name}", self.prefix);
        self.map
            .remove(&full)
            .ok_or_else(|| ModelError::Config(format!("权重中缺少张量 {full}")))
    }

    fn f32(&mut self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let t = self.take(name)?;
        if t.dims() != shape {
            return Err(ModelError::Config(format!(
                "张量 {name} 形状 {:?} 与预期 {shape:?} 不符",
                t.dims()
            )));
        }
        Ok(t.to_dtype(DType::F32)?)
    }

    /// Layers `names` (same input) as one: their rows stacked.
    fn linear(&mut self, names: &[String], out: usize, inp: usize) -> Result<Lin> {
        let mut bias = Vec::new();
        for n in names {
            bias.push(self.f32(&format!("{n}.bias"), &[out])?);
        }
        let b = Tensor::cat(&bias, 0)?;
        let rows = out * names.len();
        let first = format!("{}{}{Q4_0_SUFFIX}", self.prefix, names[0]);
        if self.map.contains_key(&first) {
            let mut raw = Vec::new();
            for n in names {
                raw.push(self.take(&format!("{n}{Q4_0_SUFFIX}"))?.flatten_all()?);
            }
            let q = q4_0(&Tensor::cat(&raw, 0)?, rows, inp, &names[0])?;
            return Ok(Lin::Quantised {
                w: QMatMul::from_qtensor(q)?,
                b,
            });
        }
        let mut ws = Vec::new();
        for n in names {
            ws.push(self.f32(&format!("{n}.weight"), &[out, inp])?);
        }
        Ok(Lin::Dense(Linear::new(Tensor::cat(&ws, 0)?, Some(b))))
    }

    fn norm(&mut self, name: &str, h: usize, eps: f64) -> Result<LayerNorm> {
        let w = self.f32(&format!("{name}.weight"), &[h])?;
        let b = self.f32(&format!("{name}.bias"), &[h])?;
        Ok(LayerNorm::new(w, b, eps))
    }
}

impl Bert {
    /// Builds the encoder from a safetensors file's bytes (consumed: each
    /// tensor is moved out as it is used, so at most one full copy of the
    /// weights is held besides the bytes).
    pub fn from_safetensors(bytes: Vec<u8>, config: &BertConfig) -> Result<Self> {
        let map = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)?;
        drop(bytes);
        let prefix = if map.contains_key("bert.embeddings.position_embeddings.weight") {
            "bert."
        } else {
            ""
        };
        let mut w = Weights { map, prefix };
        let h = config.hidden_size;
        let heads = config.num_attention_heads;
        if heads == 0 || !h.is_multiple_of(heads) {
            return Err(ModelError::Config(format!(
                "注意力头数 {heads} 不能整除隐藏维度 {h}"
            )));
        }
        if !matches!(
            config.position_embedding_type,
            PositionEmbeddingType::Absolute
        ) {
            return Err(ModelError::Config("只支持绝对位置编码的 BERT".into()));
        }
        let eps = config.layer_norm_eps;
        let word = match w.take(WORD_Q4_0) {
            Ok(raw) => WordTable::Quantised(q4_0(&raw, config.vocab_size, h, WORD_Q4_0)?),
            Err(_) => WordTable::Dense(
                w.f32("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            ),
        };
        let pos = w.f32(
            "embeddings.position_embeddings.weight",
            &[config.max_position_embeddings, h],
        )?;
        let type0 = w
            .f32(
                "embeddings.token_type_embeddings.weight",
                &[config.type_vocab_size, h],
            )?
            .get(0)?;
        let ln = w.norm("embeddings.LayerNorm", h, eps)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        let inter = config.intermediate_size;
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let qkv = ["query", "key", "value"].map(|n| format!("{p}.attention.self.{n}"));
            let qkv = w.linear(&qkv, h, h)?;
            let out = w.linear(&[format!("{p}.attention.output.dense")], h, h)?;
            let ln1 = w.norm(&format!("{p}.attention.output.LayerNorm"), h, eps)?;
            let up = w.linear(&[format!("{p}.intermediate.dense")], inter, h)?;
            let down = w.linear(&[format!("{p}.output.dense")], h, inter)?;
            let ln2 = w.norm(&format!("{p}.output.LayerNorm"), h, eps)?;
            layers.push(Layer {
                qkv,
                out,
                ln1,
                up,
                down,
                ln2,
            });
        }
        Ok(Self {
            word,
            pos,
            type0,
            ln,
            layers,
            heads,
            hidden: h,
            act: config.hidden_act,
        })
    }

    /// Hidden states `(n, len, hidden)` of `ids` `(n, len)`; `mask` `(n,
    /// len)` is 1 for tokens, 0 for padding.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (n, len) = ids.dims2()?;
        let h = self.hidden;
        if len > self.pos.dim(0)? {
            return Err(ModelError::PromptTooLong {
                tokens: len,
                limit: self.pos.dim(0)?,
            });
        }
        let words = match &self.word {
            WordTable::Quantised(q) => q.embedding(ids)?,
            WordTable::Dense(t) => t
                .index_select(&ids.flatten_all()?, 0)?
                .reshape((n, len, h))?,
        };
        let x = words
            .broadcast_add(&self.pos.narrow(0, 0, len)?)?
            .broadcast_add(&self.type0)?;
        let mut x = self.ln.forward(&x)?;
        // Padding gets a large negative score before the softmax.
        let bias = ((1.0 - mask.to_dtype(DType::F32)?)? * -1e9f64)?.reshape((n, 1, 1, len))?;
        let hd = h / self.heads;
        let scale = 1.0 / (hd as f64).sqrt();
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?;
            let split = |i: usize| -> Result<Tensor> {
                Ok(qkv
                    .narrow(D::Minus1, i * h, h)?
                    .reshape((n, len, self.heads, hd))?
                    .transpose(1, 2)?
                    .contiguous()?)
            };
            let (q, k, v) = (split(0)?, split(1)?, split(2)?);
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((n, len, h))?;
            let a = layer.ln1.forward(&(layer.out.forward(&ctx)? + &x)?)?;
            let up = layer.up.forward(&a)?;
            let up = match self.act {
                HiddenAct::Gelu => up.gelu_erf()?,
                HiddenAct::GeluApproximate => up.gelu()?,
                HiddenAct::Relu => up.relu()?,
            };
            x = layer.ln2.forward(&(layer.down.forward(&up)? + a)?)?;
        }
        Ok(x)
    }
}
