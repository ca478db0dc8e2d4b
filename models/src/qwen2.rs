//! Qwen2 decoder over GGUF weights, written for CPU decode speed.
//!
//! candle-transformers' `quantized_qwen2` is the reference (and the parity
//! test's oracle); this file keeps its maths and drops its per-token
//! overheads, which profiling showed dominate decode on a few cores:
//! - the KV cache is one growing buffer per layer (`[pos][kv_head][dim]`),
//!   appended in place — no `Tensor::cat` copy of the whole cache per token,
//!   no `repeat_kv` copy per query head;
//! - attention, RoPE and RMSNorm run as plain loops over slices
//!   (over query rows × heads on candle's worker pool), not as dozens of
//!   small tensor ops (SwiGLU stays in tensors: its activations are the
//!   layer's largest);
//! - decode projections that share an input run as one fused call (q/k/v,
//!   gate/up: one activation quantisation, one parallel region);
//! - the token embedding stays quantised (rows dequantised on lookup)
//!   instead of a ~1 GB f32 copy;
//! - Q5_0 weights (the 0.5B's), which candle has no SIMD kernel for, are
//!   re-encoded losslessly as Q8_0 blocks, which it has; Q4_0/Q5_0/Q8_0 rows
//!   are padded to a multiple of 256 columns, the width candle's repacked
//!   kernels need (the 0.5B's layers are 896 wide).
//!
//! The projections themselves are candle's quantised matmuls (its x86
//! repacked AVX512-VNNI / AMX kernels where the CPU has them).
//!
//! The cache keeps the token ids it holds, so a prompt opening with the
//! same system turn as the previous one only computes the rest: see
//! [`Qwen2::forward_prompt`] for why the split point is fixed.

use std::sync::Arc;

use candle_core::quantized::{gguf_file, GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};

use crate::error::{ModelError, Result};
use crate::quant::{as_padded_q8_0, Q4_0_BLOCK, Q5_0_BLOCK, Q8_0_BLOCK, QK_K};

#[derive(Debug, Clone)]
pub struct Qwen2Config {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub eps: f32,
    pub rope_base: f32,
    pub trained_context: usize,
}

struct Layer {
    attn_norm: Vec<f32>,
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    bq: Vec<f32>,
    bk: Vec<f32>,
    bv: Vec<f32>,
    wo: QMatMul,
    ffn_norm: Vec<f32>,
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
}

/// Keys and values of every position seen so far, per layer.
struct KvCache {
    k: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    /// The token ids the cache holds, in order.
    ids: Vec<u32>,
    /// Length of the first chunk computed into an empty cache (0: none).
    first_chunk: usize,
}

pub struct Qwen2 {
    cfg: Qwen2Config,
    embed: QTensor,
    layers: Vec<Layer>,
    norm: Vec<f32>,
    output: QMatMul,
    /// cos/sin of position × frequency, `[pos][head_dim / 2]`.
    cos: Vec<f32>,
    sin: Vec<f32>,
    max_context: usize,
    cache: KvCache,
}

impl Qwen2 {
    /// Reads the weights named by `content` from `reader`. `max_context`
    /// bounds positions (RoPE table, cache).
    pub fn from_gguf<R: std::io::Seek + std::io::Read>(
        content: &gguf_file::Content,
        reader: &mut R,
        max_context: usize,
    ) -> Result<Self> {
        let dev = Device::Cpu;
        let md = |k: &str| {
            content
                .metadata
                .get(k)
                .ok_or_else(|| ModelError::Config(format!("GGUF 元数据缺少 {k}")))
        };
        let u =
            |k: &str| -> Result<usize> { Ok(md(k)?.to_u32().map_err(ModelError::from)? as usize) };
        let heads = u("qwen2.attention.head_count")?;
        let kv_heads = u("qwen2.attention.head_count_kv")?;
        let hidden = u("qwen2.embedding_length")?;
        let layers_n = u("qwen2.block_count")?;
        let trained_context = u("qwen2.context_length").unwrap_or(4096);
        let eps = md("qwen2.attention.layer_norm_rms_epsilon")?
            .to_f32()
            .map_err(ModelError::from)?;
        let rope_base = md("qwen2.rope.freq_base")
            .and_then(|v| v.to_f32().map_err(ModelError::from))
            .unwrap_or(10_000.0);
        if heads == 0 || kv_heads == 0 || hidden % heads != 0 || heads % kv_heads != 0 {
            return Err(ModelError::Config(format!(
                "注意力头配置无效：{heads} 头 / {kv_heads} 键值头 / 维度 {hidden}"
            )));
        }
        let head_dim = hidden / heads;
        if head_dim == 0 || head_dim % 2 != 0 {
            return Err(ModelError::Config(format!("头维度 {head_dim} 无效")));
        }
        let cfg = Qwen2Config {
            hidden,
            layers: layers_n,
            heads,
            kv_heads,
            head_dim,
            eps,
            rope_base,
            trained_context,
        };
        let mut get = |name: &str| content.tensor(reader, name, &dev).map_err(ModelError::from);
        let vector = |t: QTensor, len: usize, name: &str| -> Result<Vec<f32>> {
            let v = t
                .dequantize(&dev)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(ModelError::from)?;
            if v.len() != len {
                return Err(ModelError::Config(format!(
                    "{name} 长度 {} 与预期 {len} 不符",
                    v.len()
                )));
            }
            Ok(v)
        };
        let kv_dim = kv_heads * head_dim;
        let ffn = content
            .tensor_infos
            .get("blk.0.ffn_gate.weight")
            .and_then(|t| t.shape.dims().first().copied())
            .filter(|n| *n > 0)
            .ok_or_else(|| ModelError::Config("缺少有效的 blk.0.ffn_gate.weight".into()))?;
        let mut layers = Vec::with_capacity(layers_n);
        for i in 0..layers_n {
            let p = format!("blk.{i}");
            let w = |t: QTensor, rows: usize, cols: usize| -> Result<QMatMul> {
                matrix(t, rows, cols, &format!("{p} 权重"))
            };
            layers.push(Layer {
                attn_norm: vector(get(&format!("{p}.attn_norm.weight"))?, hidden, "attn_norm")?,
                wq: w(get(&format!("{p}.attn_q.weight"))?, hidden, hidden)?,
                wk: w(get(&format!("{p}.attn_k.weight"))?, kv_dim, hidden)?,
                wv: w(get(&format!("{p}.attn_v.weight"))?, kv_dim, hidden)?,
                bq: vector(get(&format!("{p}.attn_q.bias"))?, hidden, "attn_q.bias")?,
                bk: vector(get(&format!("{p}.attn_k.bias"))?, kv_dim, "attn_k.bias")?,
                bv: vector(get(&format!("{p}.attn_v.bias"))?, kv_dim, "attn_v.bias")?,
                wo: w(get(&format!("{p}.attn_output.weight"))?, hidden, hidden)?,
                ffn_norm: vector(get(&format!("{p}.ffn_norm.weight"))?, hidden, "ffn_norm")?,
                gate: w(get(&format!("{p}.ffn_gate.weight"))?, ffn, hidden)?,
                up: w(get(&format!("{p}.ffn_up.weight"))?, ffn, hidden)?,
                down: w(get(&format!("{p}.ffn_down.weight"))?, hidden, ffn)?,
            });
        }
        let embed = get("token_embd.weight")?;
        let vocab = match embed.shape().dims() {
            [v, h] if *h == hidden => *v,
            d => {
                return Err(ModelError::Config(format!(
                    "token_embd 形状 {d:?} 与隐藏维度 {hidden} 不符"
                )))
            }
        };
        let norm = vector(get("output_norm.weight")?, hidden, "output_norm")?;
        let output = match content.tensor_infos.contains_key("output.weight") {
            true => matrix(get("output.weight")?, vocab, hidden, "output")?,
            // Tied embeddings: the output projection is the embedding table.
            false => matrix(get("token_embd.weight")?, vocab, hidden, "output")?,
        };
        let max_context = max_context.clamp(1, trained_context.max(1));
        let half = head_dim / 2;
        let mut cos = Vec::with_capacity(max_context * half);
        let mut sin = Vec::with_capacity(max_context * half);
        for pos in 0..max_context {
            for i in 0..half {
                let theta = 1f32 / rope_base.powf((2 * i) as f32 / head_dim as f32);
                let a = pos as f32 * theta;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        Ok(Self {
            cache: KvCache {
                k: vec![Vec::new(); layers_n],
                v: vec![Vec::new(); layers_n],
                ids: Vec::new(),
                first_chunk: 0,
            },
            cfg,
            embed,
            layers,
            norm,
            output,
            cos,
            sin,
            max_context,
        })
    }

    pub fn config(&self) -> &Qwen2Config {
        &self.cfg
    }

    /// Positions the cache can hold.
    pub fn max_context(&self) -> usize {
        self.max_context
    }

    /// Token ids whose keys and values are cached.
    pub fn cached_ids(&self) -> &[u32] {
        &self.cache.ids
    }

    /// Forgets the cache from position `len` on.
    pub fn truncate(&mut self, len: usize) {
        let len = len.min(self.cache.ids.len());
        let kv_dim = self.cfg.kv_heads * self.cfg.head_dim;
        for (k, v) in self.cache.k.iter_mut().zip(&mut self.cache.v) {
            k.truncate(len * kv_dim);
            v.truncate(len * kv_dim);
        }
        self.cache.ids.truncate(len);
        if len < self.cache.first_chunk {
            self.cache.first_chunk = 0;
        }
    }

    /// Logits of the last token of the prompt `ids`, computed in two
    /// chunks split at `prefix` (the system turn): the first chunk comes from
    /// the cache when the previous prompt computed the same one, the rest is
    /// computed now. The split is fixed, never "as much as matches": the
    /// int8 kernels round a chunk's activations per call, so a different
    /// split would move the logits slightly and make an answer depend on
    /// which question came before. Returns the logits and how many tokens
    /// were reused.
    pub fn forward_prompt(&mut self, ids: &[u32], prefix: usize) -> Result<(Vec<f32>, usize)> {
        let Some(last) = ids.len().checked_sub(1) else {
            return Err(ModelError::Config("提示为空".into()));
        };
        let prefix = prefix.min(last);
        let cached = prefix > 0
            && self.cache.first_chunk == prefix
            && self.cache.ids.get(..prefix) == ids.get(..prefix);
        if cached {
            self.truncate(prefix);
        } else {
            self.truncate(0);
            if prefix > 0 {
                self.forward(&ids[..prefix])?;
            }
        }
        let logits = self.forward(&ids[prefix..])?;
        Ok((logits, if cached { prefix } else { 0 }))
    }

    /// Runs `ids` after the cached positions and returns the last one's
    /// logits. On error the cache is cleared, never left half-appended.
    pub fn forward(&mut self, ids: &[u32]) -> Result<Vec<f32>> {
        let r = self.forward_inner(ids);
        if r.is_err() {
            self.truncate(0);
        }
        r
    }

    fn forward_inner(&mut self, ids: &[u32]) -> Result<Vec<f32>> {
        let m = ids.len();
        let pos0 = self.cache.ids.len();
        if m == 0 {
            return Err(ModelError::Config("没有要计算的词元".into()));
        }
        if pos0 + m > self.max_context {
            return Err(ModelError::PromptTooLong {
                tokens: pos0 + m,
                limit: self.max_context,
            });
        }
        let Qwen2Config {
            hidden,
            heads,
            kv_heads,
            head_dim,
            eps,
            ..
        } = self.cfg;
        let vocab = self.embed.shape().dims().first().copied().unwrap_or(0);
        if let Some(bad) = ids.iter().find(|&&i| i as usize >= vocab) {
            return Err(ModelError::Config(format!("词元编号 {bad} 超出词表")));
        }
        let idt = Tensor::new(ids, &Device::Cpu).map_err(ModelError::from)?;
        let mut x = to_vec(self.embed.embedding(&idt).map_err(ModelError::from)?)?;
        let (cos, sin) = (&self.cos[..], &self.sin[..]);
        for (l, layer) in self.layers.iter().enumerate() {
            let h = rms_norm(&x, &layer.attn_norm, eps);
            let mut qkv = project(&[&layer.wq, &layer.wk, &layer.wv], h, m)?.into_iter();
            let (Some(mut q), Some(mut k), Some(mut v)) = (qkv.next(), qkv.next(), qkv.next())
            else {
                return Err(ModelError::Config("注意力投影结果缺失".into()));
            };
            add_bias(&mut q, &layer.bq);
            add_bias(&mut k, &layer.bk);
            add_bias(&mut v, &layer.bv);
            rope(&mut q, heads, head_dim, pos0, cos, sin);
            rope(&mut k, kv_heads, head_dim, pos0, cos, sin);
            self.cache.k[l].extend_from_slice(&k);
            self.cache.v[l].extend_from_slice(&v);
            let att = attention(
                &q,
                &self.cache.k[l],
                &self.cache.v[l],
                pos0,
                (heads, kv_heads, head_dim),
            );
            let o = project(&[&layer.wo], att, m)?.pop().unwrap_or_default();
            add_into(&mut x, &o);
            let h = rms_norm(&x, &layer.ffn_norm, eps);
            // SwiGLU stays in tensors: the (m, ffn) activations are the
            // largest of the layer, not worth copying out and back.
            let ht = Tensor::from_vec(h, (m, hidden), &Device::Cpu).map_err(ModelError::from)?;
            let mut gu = project_t(&[&layer.gate, &layer.up], &ht)?.into_iter();
            let (Some(g), Some(u)) = (gu.next(), gu.next()) else {
                return Err(ModelError::Config("前馈投影结果缺失".into()));
            };
            let a = g.silu().and_then(|g| g * u).map_err(ModelError::from)?;
            let d = project_t(&[&layer.down], &a)?
                .pop()
                .map(to_vec)
                .transpose()?
                .unwrap_or_default();
            add_into(&mut x, &d);
        }
        if pos0 == 0 {
            self.cache.first_chunk = m;
        }
        self.cache.ids.extend_from_slice(ids);
        let last = x.get((m - 1) * hidden..).unwrap_or_default();
        let h = rms_norm(last, &self.norm, eps);
        project(&[&self.output], h, 1)?
            .pop()
            .ok_or_else(|| ModelError::Config("输出投影结果缺失".into()))
    }
}

/// A `rows × cols` weight as a quantised matmul. Q4_0, Q5_0 and Q8_0 rows
/// come out as Q8_0 padded with zero blocks to a multiple of 256 columns:
/// candle's repacked SIMD kernels (decode and prompt alike) need that width,
/// and the 0.5B's 896-wide layers miss it. [`project_t`] pads the input to
/// match.
fn matrix(t: QTensor, rows: usize, cols: usize, what: &str) -> Result<QMatMul> {
    if t.shape().dims() != [rows, cols] {
        return Err(ModelError::Config(format!(
            "{what} 形状 {:?} 与预期 [{rows}, {cols}] 不符",
            t.shape().dims()
        )));
    }
    let t = match t.dtype() {
        GgmlDType::Q5_0 => as_padded_q8_0(&t, rows, cols, Q5_0_BLOCK)?,
        GgmlDType::Q4_0 if !cols.is_multiple_of(QK_K) => {
            as_padded_q8_0(&t, rows, cols, Q4_0_BLOCK)?
        }
        GgmlDType::Q8_0 if !cols.is_multiple_of(QK_K) => {
            as_padded_q8_0(&t, rows, cols, Q8_0_BLOCK)?
        }
        _ => t,
    };
    QMatMul::from_arc(Arc::new(t)).map_err(ModelError::from)
}

fn to_vec(t: Tensor) -> Result<Vec<f32>> {
    t.flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(ModelError::from)
}

/// `x` (m rows of `k`) times each weight, as vectors.
fn project(ws: &[&QMatMul], x: Vec<f32>, m: usize) -> Result<Vec<Vec<f32>>> {
    let k = x.len() / m.max(1);
    let xt = Tensor::from_vec(x, (m, k), &Device::Cpu).map_err(ModelError::from)?;
    project_t(ws, &xt)?.into_iter().map(to_vec).collect()
}

/// `x` `(m, k)` times each weight. Weights of one kind sharing the input run
/// as one fused call when decoding a single row; a weight padded wider than
/// `k` (see [`matrix`]) gets the input padded with zeros.
fn project_t(ws: &[&QMatMul], xt: &Tensor) -> Result<Vec<Tensor>> {
    let (m, k) = xt.dims2().map_err(ModelError::from)?;
    let width = |w: &QMatMul| match w {
        QMatMul::QTensor(t) => t.shape().dims().get(1).copied().unwrap_or(k),
        QMatMul::Tensor(t) | QMatMul::TensorF16(t) => t.dims().get(1).copied().unwrap_or(k),
    };
    if ws.iter().any(|w| width(w) < k) {
        return Err(ModelError::Config("投影权重比输入窄".into()));
    }
    // The input at each width the weights need (usually just `xt`).
    let mut inputs: Vec<(usize, Tensor)> = Vec::new();
    for w in ws {
        let kw = width(w);
        if inputs.iter().all(|(n, _)| *n != kw) {
            let t = if kw == k {
                xt.clone()
            } else {
                xt.pad_with_zeros(1, 0, kw - k).map_err(ModelError::from)?
            };
            inputs.push((kw, t));
        }
    }
    let input = |w: &QMatMul| {
        inputs
            .iter()
            .find(|(n, _)| *n == width(w))
            .map(|(_, t)| t)
            .ok_or_else(|| ModelError::Config("投影输入缺失".into()))
    };
    if m == 1 && ws.len() > 1 && inputs.len() == 1 {
        let qs: Option<Vec<&QTensor>> = ws
            .iter()
            .map(|w| match w {
                QMatMul::QTensor(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        if let Some(qs) = qs {
            if qs.iter().all(|q| q.dtype() == qs[0].dtype()) {
                if let Some(outs) =
                    QTensor::gemv_fused_shared_lhs(&qs, &inputs[0].1).map_err(ModelError::from)?
                {
                    return Ok(outs);
                }
            }
        }
    }
    ws.iter()
        .map(|w| w.forward(input(w)?).map_err(ModelError::from))
        .collect()
}

fn rms_norm(x: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let n = w.len();
    let mut out = vec![0f32; x.len()];
    for (o, r) in out.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
        let ms = r.iter().map(|v| v * v).sum::<f32>() / n as f32;
        let s = 1.0 / (ms + eps).sqrt();
        for ((o, v), w) in o.iter_mut().zip(r).zip(w) {
            *o = v * s * w;
        }
    }
    out
}

fn add_bias(x: &mut [f32], b: &[f32]) {
    for row in x.chunks_exact_mut(b.len()) {
        add_into(row, b);
    }
}

fn add_into(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// Rotary embedding, rotating halves (GPT-NeoX layout, as Qwen2 uses).
fn rope(x: &mut [f32], heads: usize, hd: usize, pos0: usize, cos: &[f32], sin: &[f32]) {
    let half = hd / 2;
    for (t, row) in x.chunks_exact_mut(heads * hd).enumerate() {
        let at = (pos0 + t) * half;
        let (c, s) = (&cos[at..at + half], &sin[at..at + half]);
        for head in row.chunks_exact_mut(hd) {
            let (a, b) = head.split_at_mut(half);
            for i in 0..half {
                let (x1, x2) = (a[i], b[i]);
                a[i] = x1 * c[i] - x2 * s[i];
                b[i] = x2 * c[i] + x1 * s[i];
            }
        }
    }
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Sixteen lanes of partial sums: the compiler keeps them in one vector
    // register instead of a serial chain.
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Causal attention of the `m` new query rows (positions `pos0..pos0+m`)
/// over the cache, grouped-query: the query heads sharing a kv head are
/// done together, so each cached key and value row is read once for all.
fn attention(
    q: &[f32],
    kc: &[f32],
    vc: &[f32],
    pos0: usize,
    (heads, kv_heads, hd): (usize, usize, usize),
) -> Vec<f32> {
    let group = heads / kv_heads;
    let kv_dim = kv_heads * hd;
    let scale = 1.0 / (hd as f32).sqrt();
    let mut out = vec![0f32; q.len()];
    let span = group * hd;
    let items = q.len() / span;
    // Work in multiply-adds; a small step (a short decode) is not worth
    // waking the worker pool.
    let work = q.len() * (pos0 + items / kv_heads) * 2;
    // One (query row, kv head): `group` query heads against the cache.
    let one = |scores: &mut Vec<f32>, i: usize, o: &mut [f32], qg: &[f32]| {
        let (t, kvh) = (i / kv_heads, i % kv_heads);
        let visible = pos0 + t + 1;
        scores.clear();
        scores.resize(group * visible, 0.0);
        for p in 0..visible {
            let at = p * kv_dim + kvh * hd;
            let k = &kc[at..at + hd];
            for (g, qh) in qg.chunks_exact(hd).enumerate() {
                scores[g * visible + p] = dot(qh, k) * scale;
            }
        }
        for s in scores.chunks_exact_mut(visible) {
            let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for v in s.iter_mut() {
                *v = (*v - max).exp();
                sum += *v;
            }
            let inv = 1.0 / sum;
            for v in s.iter_mut() {
                *v *= inv;
            }
        }
        for p in 0..visible {
            let at = p * kv_dim + kvh * hd;
            let v = &vc[at..at + hd];
            for (g, oh) in o.chunks_exact_mut(hd).enumerate() {
                let w = scores[g * visible + p];
                for (o, v) in oh.iter_mut().zip(v) {
                    *o += w * v;
                }
            }
        }
    };
    if work < 1 << 20 {
        let mut scores = Vec::new();
        for (i, (o, qg)) in out.chunks_mut(span).zip(q.chunks(span)).enumerate() {
            one(&mut scores, i, o, qg);
        }
        return out;
    }
    // On candle's own worker pool, the one the matmuls use: a second pool's
    // threads would still be spinning when the next matmul starts.
    let parts = std::sync::Mutex::new(Vec::new());
    candle_core::utils::barrier_pool().execute_chunked(items, |range| {
        let mut part = vec![0f32; range.len() * span];
        let mut scores = Vec::new();
        for (j, o) in part.chunks_mut(span).enumerate() {
            let i = range.start + j;
            one(&mut scores, i, o, &q[i * span..(i + 1) * span]);
        }
        parts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((range.start, part));
    });
    for (start, part) in parts.into_inner().unwrap_or_else(|e| e.into_inner()) {
        out[start * span..start * span + part.len()].copy_from_slice(&part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q5_0_re_encodes_exactly_as_q8_0() {
        // Values on the Q5_0 grid (scale 0.25, levels -16..15) round-trip.
        let vals: Vec<f32> = (0..64)
            .map(|i| ((i * 7) % 32) as f32 * 0.25 - 4.0)
            .collect();
        let t = Tensor::from_vec(vals.clone(), (2, 32), &Device::Cpu).unwrap();
        let q5 = QTensor::quantize(&t, GgmlDType::Q5_0).unwrap();
        let q8 = as_padded_q8_0(&q5, 2, 32, Q5_0_BLOCK).unwrap();
        assert_eq!(q8.dtype(), GgmlDType::Q8_0);
        assert_eq!(q8.shape().dims(), [2, 256]);
        let a = to_vec(q5.dequantize(&Device::Cpu).unwrap()).unwrap();
        let b = to_vec(q8.dequantize(&Device::Cpu).unwrap()).unwrap();
        // Each row: the 32 values, then zeros up to 256 columns.
        for r in 0..2 {
            assert_eq!(a[r * 32..(r + 1) * 32], b[r * 256..r * 256 + 32]);
            assert!(b[r * 256 + 32..(r + 1) * 256].iter().all(|v| *v == 0.0));
        }
        // And arbitrary values too: whatever Q5_0 stored, Q8_0 holds.
        let noisy: Vec<f32> = (0..256).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect();
        let t = Tensor::from_vec(noisy, (1, 256), &Device::Cpu).unwrap();
        let q5 = QTensor::quantize(&t, GgmlDType::Q5_0).unwrap();
        let a = to_vec(q5.dequantize(&Device::Cpu).unwrap()).unwrap();
        let q8 = as_padded_q8_0(&q5, 1, 256, Q5_0_BLOCK).unwrap();
        assert_eq!(a, to_vec(q8.dequantize(&Device::Cpu).unwrap()).unwrap());
        assert!(a.iter().any(|v| *v != 0.0));
        // A padded layer gives the unpadded product.
        let x: Vec<f32> = (0..96).map(|i| (i as f32 * 0.1).cos()).collect();
        let w = Tensor::from_vec(
            (0..16 * 96)
                .map(|i| ((i % 17) as f32 - 8.0) * 0.125)
                .collect::<Vec<_>>(),
            (16, 96),
            &Device::Cpu,
        )
        .unwrap();
        let q = QTensor::quantize(&w, GgmlDType::Q8_0).unwrap();
        let want = to_vec(
            Tensor::from_vec(x.clone(), (1, 96), &Device::Cpu)
                .unwrap()
                .matmul(&q.dequantize(&Device::Cpu).unwrap().t().unwrap())
                .unwrap(),
        )
        .unwrap();
        let padded = matrix(q, 16, 96, "w").unwrap();
        let got = project(&[&padded], x, 1).unwrap().pop().unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() < 0.05 * w.abs().max(1.0),
                "{got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn attention_of_one_position_returns_its_value_and_is_causal() {
        // Two heads sharing one kv head, head dim 2, three positions.
        let k = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let q = [5.0, 0.0, 0.0, 5.0];
        // Query at position 0 sees only position 0.
        let o = attention(&q, &k[..2], &v[..2], 0, (2, 1, 2));
        assert_eq!(o, vec![1.0, 2.0, 1.0, 2.0]);
        // At position 2 the weights follow softmax(q·k / sqrt 2).
        let o = attention(&q, &k, &v, 2, (2, 1, 2));
        let s = [5.0f32, 0.0, 5.0].map(|x| (x / 2f32.sqrt()).exp());
        let z: f32 = s.iter().sum();
        let want0 = (s[0] * 1.0 + s[1] * 3.0 + s[2] * 5.0) / z;
        assert!((o[0] - want0).abs() < 1e-5, "{o:?}");
    }

    /// Attention computed the plain way: per query row and head.
    fn naive_attention(
        q: &[f32],
        kc: &[f32],
        vc: &[f32],
        pos0: usize,
        (heads, kv_heads, hd): (usize, usize, usize),
    ) -> Vec<f32> {
        let mut out = vec![0f32; q.len()];
        let rows = q.len() / (heads * hd);
        for t in 0..rows {
            for h in 0..heads {
                let kvh = h / (heads / kv_heads);
                let qh = &q[(t * heads + h) * hd..][..hd];
                let at = |p: usize| (p * kv_heads + kvh) * hd;
                let s: Vec<f32> = (0..=pos0 + t)
                    .map(|p| {
                        qh.iter()
                            .zip(&kc[at(p)..][..hd])
                            .map(|(a, b)| a * b)
                            .sum::<f32>()
                            / (hd as f32).sqrt()
                    })
                    .collect();
                let max = s.iter().copied().fold(f32::MIN, f32::max);
                let z: f32 = s.iter().map(|x| (x - max).exp()).sum();
                for (p, x) in s.iter().enumerate() {
                    let w = (x - max).exp() / z;
                    for d in 0..hd {
                        out[(t * heads + h) * hd + d] += w * vc[at(p) + d];
                    }
                }
            }
        }
        out
    }

    #[test]
    fn grouped_attention_matches_the_plain_computation() {
        let val = |i: usize, s: f32| (i as f32 * s).sin() * 2.0;
        // 4 heads on 2 kv heads, head dim 8, 3 new rows after 2 cached ones;
        // then a size that takes the worker pool.
        for (heads, kv, hd, pos0, m) in [(4, 2, 8, 2, 3), (12, 2, 64, 300, 4)] {
            let total = pos0 + m;
            let q: Vec<f32> = (0..m * heads * hd).map(|i| val(i, 0.37)).collect();
            let kc: Vec<f32> = (0..total * kv * hd).map(|i| val(i, 0.11)).collect();
            let vc: Vec<f32> = (0..total * kv * hd).map(|i| val(i, 0.23)).collect();
            let got = attention(&q, &kc, &vc, pos0, (heads, kv, hd));
            let want = naive_attention(&q, &kc, &vc, pos0, (heads, kv, hd));
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() < 1e-4,
                    "{heads}/{kv}: element {i}: {g} vs {w}"
                );
            }
            // Causal: changing a position after the first row's changes
            // that row's output not at all, the last row's it does.
            let mut kc2 = kc.clone();
            for x in &mut kc2[(pos0 + 1) * kv * hd..] {
                *x += 1.0;
            }
            let other = attention(&q, &kc2, &vc, pos0, (heads, kv, hd));
            let first = heads * hd;
            assert_eq!(got[..first], other[..first]);
            assert_ne!(got[got.len() - first..], other[other.len() - first..]);
        }
    }

    #[test]
    fn q4_0_re_encodes_exactly_as_q8_0() {
        let vals: Vec<f32> = (0..2 * 96)
            .map(|i| ((i as f32) * 0.29).cos() * 1.5)
            .collect();
        let t = Tensor::from_vec(vals, (2, 96), &Device::Cpu).unwrap();
        let q4 = QTensor::quantize(&t, GgmlDType::Q4_0).unwrap();
        let a = to_vec(q4.dequantize(&Device::Cpu).unwrap()).unwrap();
        let q8 = as_padded_q8_0(&q4, 2, 96, Q4_0_BLOCK).unwrap();
        assert_eq!(q8.shape().dims(), [2, 256]);
        let b = to_vec(q8.dequantize(&Device::Cpu).unwrap()).unwrap();
        for r in 0..2 {
            assert_eq!(a[r * 96..(r + 1) * 96], b[r * 256..r * 256 + 96]);
            assert!(b[r * 256 + 96..(r + 1) * 256].iter().all(|v| *v == 0.0));
        }
        assert!(a.iter().any(|v| *v != 0.0));
    }

    #[test]
    fn rope_rotates_halves_and_keeps_norm() {
        let mut x = vec![1.0, 2.0, 3.0, 4.0];
        let (cos, sin) = (vec![1.0, 1.0, 0.0, 0.5], vec![0.0, 0.0, 1.0, 0.5]);
        rope(&mut x, 1, 4, 1, &cos, &sin);
        // Position 1: pair (x0, x2) rotated by 90°, (x1, x3) by cos=sin=0.5.
        assert_eq!(
            x,
            vec![-3.0, 2.0 * 0.5 - 4.0 * 0.5, 1.0, 4.0 * 0.5 + 2.0 * 0.5]
        );
    }

    #[test]
    fn dot_handles_tails() {
        let a: Vec<f32> = (0..37).map(|i| i as f32).collect();
        let want: f32 = a.iter().map(|x| x * x).sum();
        assert_eq!(dot(&a, &a), want);
    }
}
