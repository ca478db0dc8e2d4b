//! A local chat LLM: Qwen2 GGUF weights run by our decoder ([`crate::qwen2`]),
//! with the tokenizer rebuilt from the GGUF's own metadata (tokens, merges,
//! token types), the ChatML template, greedy or temperature/top-p sampling
//! with a seed, stop tokens, a KV cache reused across calls for a shared
//! prompt prefix, and token streaming through a callback.

use std::path::Path;
use std::time::Instant;

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use serde::Serialize;

use crate::error::{ModelError, Result};
use crate::qwen2::Qwen2;

/// Qwen2's pre-tokenizer split (from its tokenizer.json).
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

#[derive(Debug, Clone, Serialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: "system".into(),
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: "user".into(),
            content: content.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct GenerationParams {
    pub max_new_tokens: usize,
    /// 0 means greedy decoding.
    pub temperature: f64,
    pub top_p: Option<f64>,
    pub seed: u64,
}

impl Default for GenerationParams {
    fn default() -> Self {
        Self {
            max_new_tokens: 512,
            temperature: 0.0,
            top_p: None,
            seed: 299_792_458,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model emitted an end-of-turn token.
    Stop,
    /// `max_new_tokens` or the context window was reached.
    Length,
    /// The streaming callback asked to stop.
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    pub stop: StopReason,
    /// Prompt tokens whose keys and values were reused from the previous
    /// call (a shared prefix such as the system prompt), not recomputed.
    pub reused_prompt_tokens: usize,
    /// Time to compute the prompt tokens not reused.
    pub prefill_secs: f64,
    pub decode_secs: f64,
}

/// Anything that answers a chat. `on_text` receives text as it is decoded
/// and returns `false` to stop early.
pub trait Generator: Send {
    fn name(&self) -> &str;
    fn context_length(&self) -> usize;
    fn generate(
        &mut self,
        messages: &[ChatMessage],
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation>;
    /// How strongly the model judges `passage` useful for `question`
    /// (log-odds of 是 over 否), for reranking. Not every generator can.
    fn relevance(&mut self, _question: &str, _passage: &str) -> Result<f32> {
        Err(ModelError::Config("该生成模型不支持相关性打分".into()))
    }
}

pub struct QwenGenerator {
    name: String,
    model: Qwen2,
    tokenizer: tokenizers::Tokenizer,
    stop_ids: Vec<u32>,
    /// `<|im_end|>`: a prompt's first one closes the system turn, the part
    /// of the prompt whose keys and values are kept for the next call.
    im_end: Option<u32>,
    /// Token ids that open a system turn.
    system_start: Vec<u32>,
    context_length: usize,
    device: Device,
}

impl QwenGenerator {
    /// Loads a qwen2 GGUF file. `max_context` caps the context window (the
    /// KV cache grows with it).
    pub fn load(path: &Path, max_context: usize) -> Result<Self> {
        let mut file = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
        let content = gguf_file::Content::read(&mut file)
            .map_err(|e| ModelError::format(path, format!("不是有效的 GGUF 文件：{e}")))?;
        let arch = meta_str(&content, "general.architecture").unwrap_or_default();
        if arch != "qwen2" {
            return Err(ModelError::format(
                path,
                format!("模型架构为 “{arch}”，目前只支持 qwen2"),
            ));
        }
        let tokenizer = tokenizer_from_gguf(&content).map_err(|r| ModelError::format(path, r))?;
        let mut stop_ids = Vec::new();
        if let Some(v) = content.metadata.get("tokenizer.ggml.eos_token_id") {
            if let Ok(id) = v.to_u32() {
                stop_ids.push(id);
            }
        }
        for t in ["<|im_end|>", "<|endoftext|>"] {
            if let Some(id) = tokenizer.token_to_id(t) {
                if !stop_ids.contains(&id) {
                    stop_ids.push(id);
                }
            }
        }
        let trained = content
            .metadata
            .get("qwen2.context_length")
            .and_then(|v| v.to_u32().ok())
            .map(|v| v as usize)
            .unwrap_or(4096);
        let name = meta_str(&content, "general.name").unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let device = Device::Cpu;
        let context_length = trained.min(max_context.max(64));
        let model = Qwen2::from_gguf(&content, &mut file, context_length)
            .map_err(|e| ModelError::format(path, format!("无法加载权重：{e}")))?;
        let im_end = tokenizer.token_to_id("<|im_end|>");
        let system_start = tokenizer
            .encode("<|im_start|>system", false)
            .map(|e| e.get_ids().to_vec())
            .unwrap_or_default();
        Ok(QwenGenerator {
            name,
            model,
            tokenizer,
            stop_ids,
            im_end,
            system_start,
            context_length,
            device,
        })
    }

    pub fn tokenizer(&self) -> &tokenizers::Tokenizer {
        &self.tokenizer
    }

    fn single_token(&self, s: &str) -> Option<u32> {
        match self.encode(s).ok()?.as_slice() {
            [id] => Some(*id),
            _ => None,
        }
    }

    /// The ChatML prompt for `messages`, ending with the assistant's turn.
    pub fn chat_prompt(messages: &[ChatMessage]) -> String {
        let mut p = String::new();
        for m in messages {
            p.push_str("<|im_start|>");
            p.push_str(&m.role);
            p.push('\n');
            p.push_str(&m.content);
            p.push_str("<|im_end|>\n");
        }
        p.push_str("<|im_start|>assistant\n");
        p
    }

    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))
    }

    /// Runs the model over the prompt `ids` and returns the logits of the
    /// last position. A leading system turn (up to the first `<|im_end|>`)
    /// the previous prompt shared is taken from the cache; the second value
    /// says how many tokens that was.
    pub fn prefill(&mut self, ids: &[u32]) -> Result<(Tensor, usize)> {
        let system = match self.im_end {
            Some(end) if !self.system_start.is_empty() && ids.starts_with(&self.system_start) => {
                ids.iter().position(|t| *t == end).map_or(0, |p| p + 1)
            }
            _ => 0,
        };
        let (logits, reused) = self.model.forward_prompt(ids, system)?;
        let n = logits.len();
        Ok((Tensor::from_vec(logits, n, &self.device)?, reused))
    }

    /// Logits after appending one token to the cache (one decode step).
    pub fn extend(&mut self, id: u32) -> Result<Tensor> {
        let logits = self.model.forward(&[id])?;
        let n = logits.len();
        Ok(Tensor::from_vec(logits, n, &self.device)?)
    }

    /// Forgets the KV cache, so the next prompt is computed in full
    /// (benchmarks time cold prefill this way).
    pub fn reset_cache(&mut self) {
        self.model.truncate(0);
    }
}

impl QwenGenerator {
    /// Timing for benchmarks: prefill `prompt`, then `steps` greedy decode
    /// steps that ignore stop tokens. Returns (prefill, decode) seconds.
    pub fn time_prefill_decode(&mut self, prompt: &[u32], steps: usize) -> Result<(f64, f64)> {
        if prompt.len() + steps > self.context_length {
            return Err(ModelError::PromptTooLong {
                tokens: prompt.len() + steps,
                limit: self.context_length,
            });
        }
        self.reset_cache();
        let t0 = Instant::now();
        let (logits, _) = self.prefill(prompt)?;
        let mut next = logits.argmax(0)?.to_scalar::<u32>()?;
        let prefill = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        for _ in 0..steps {
            next = self.extend(next)?.argmax(0)?.to_scalar::<u32>()?;
        }
        Ok((prefill, t1.elapsed().as_secs_f64()))
    }
}

impl Generator for QwenGenerator {
    fn name(&self) -> &str {
        &self.name
    }

    fn context_length(&self) -> usize {
        self.context_length
    }

    fn relevance(&mut self, question: &str, passage: &str) -> Result<f32> {
        let (Some(yes), Some(no)) = (self.single_token("是"), self.single_token("否")) else {
            return Err(ModelError::Config("分词器中没有“是/否”词元".into()));
        };
        let passage: String = passage.chars().take(400).collect();
        let messages = [
            ChatMessage::system("判断给出的条文能否回答用户的问题。只回答“是”或“否”。"),
            ChatMessage::user(format!(
                "问题：{question}\n条文：{passage}\n该条文能回答这个问题吗？"
            )),
        ];
        let ids = self.encode(&Self::chat_prompt(&messages))?;
        if ids.len() >= self.context_length {
            return Err(ModelError::PromptTooLong {
                tokens: ids.len(),
                limit: self.context_length,
            });
        }
        let logits = self.prefill(&ids)?.0.to_vec1::<f32>()?;
        let at = |i: u32| logits.get(i as usize).copied().unwrap_or(f32::MIN);
        Ok(at(yes) - at(no))
    }

    fn generate(
        &mut self,
        messages: &[ChatMessage],
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation> {
        let prompt = Self::chat_prompt(messages);
        let ids = self.encode(&prompt)?;
        // Leave room for at least a short answer.
        let limit = self.context_length.saturating_sub(16);
        if ids.len() > limit {
            return Err(ModelError::PromptTooLong {
                tokens: ids.len(),
                limit,
            });
        }
        let budget = params.max_new_tokens.min(self.context_length - ids.len());
        let sampling = if params.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            match params.top_p {
                Some(p) if p > 0.0 && p < 1.0 => Sampling::TopP {
                    p,
                    temperature: params.temperature,
                },
                _ => Sampling::All {
                    temperature: params.temperature,
                },
            }
        };
        let mut sampler = LogitsProcessor::from_sampling(params.seed, sampling);

        let t0 = Instant::now();
        let (logits, reused_prompt_tokens) = self.prefill(&ids)?;
        let mut next = sampler.sample(&logits)?;
        let prefill_secs = t0.elapsed().as_secs_f64();

        let t1 = Instant::now();
        let mut generated: Vec<u32> = Vec::new();
        let mut emitted = 0usize; // bytes of decoded text already streamed
        let mut stop = StopReason::Length;
        let mut text = String::new();
        while generated.len() < budget {
            if self.stop_ids.contains(&next) {
                stop = StopReason::Stop;
                break;
            }
            generated.push(next);
            text = self.decode(&generated)?;
            // Hold back a trailing partial UTF-8 character.
            if !text.ends_with('\u{FFFD}') && text.len() > emitted {
                let fresh = &text[emitted..];
                emitted = text.len();
                if !on_text(fresh) {
                    stop = StopReason::Cancelled;
                    break;
                }
            }
            if generated.len() >= budget {
                break;
            }
            next = sampler.sample(&self.extend(next)?)?;
        }
        if text.len() > emitted && stop != StopReason::Cancelled {
            on_text(&text[emitted..]);
        }
        Ok(Generation {
            text,
            prompt_tokens: ids.len(),
            generated_tokens: generated.len(),
            reused_prompt_tokens,
            stop,
            prefill_secs,
            decode_secs: t1.elapsed().as_secs_f64(),
        })
    }
}

fn meta_str(content: &gguf_file::Content, key: &str) -> Option<String> {
    content
        .metadata
        .get(key)
        .and_then(|v| v.to_string().ok())
        .cloned()
}

/// Rebuilds the byte-level BPE tokenizer from GGUF metadata.
fn tokenizer_from_gguf(
    content: &gguf_file::Content,
) -> std::result::Result<tokenizers::Tokenizer, String> {
    use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
    use tokenizers::models::bpe::BPE;
    use tokenizers::normalizers::unicode::NFC;
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::pre_tokenizers::sequence::Sequence;
    use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
    use tokenizers::{AddedToken, DecoderWrapper, PreTokenizerWrapper, SplitDelimiterBehavior};

    let strings = |key: &str| -> std::result::Result<Vec<String>, String> {
        let v = content
            .metadata
            .get(key)
            .ok_or_else(|| format!("缺少分词器元数据 {key}"))?;
        let arr = v.to_vec().map_err(|e| format!("{key}：{e}"))?;
        arr.iter()
            .map(|x| x.to_string().cloned().map_err(|e| format!("{key}：{e}")))
            .collect()
    };
    let model = meta_str(content, "tokenizer.ggml.model").unwrap_or_default();
    if model != "gpt2" {
        return Err(format!(
            "分词器类型 “{model}” 不受支持（需要 gpt2 字节级 BPE）"
        ));
    }
    let tokens = strings("tokenizer.ggml.tokens")?;
    let merges_raw = strings("tokenizer.ggml.merges")?;
    let types: Vec<i32> = match content.metadata.get("tokenizer.ggml.token_type") {
        Some(v) => v
            .to_vec()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|x| x.to_i32().unwrap_or(1))
            .collect(),
        None => vec![1; tokens.len()],
    };
    let vocab: tokenizers::models::bpe::Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let merges: Vec<(String, String)> = merges_raw
        .iter()
        .filter_map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| format!("无法构建 BPE：{e}"))?;
    let mut tok = tokenizers::Tokenizer::new(bpe);
    tok.with_normalizer(Some(NFC))
        .map_err(|e| format!("分词器：{e}"))?;
    let split = Split::new(
        SplitPattern::Regex(QWEN2_SPLIT.to_string()),
        SplitDelimiterBehavior::Isolated,
        false,
    )
    .map_err(|e| format!("分词正则无效：{e}"))?;
    tok.with_pre_tokenizer(Some(PreTokenizerWrapper::Sequence(Sequence::new(vec![
        PreTokenizerWrapper::Split(split),
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, false, false)),
    ]))));
    tok.with_decoder(Some(DecoderWrapper::ByteLevel(ByteLevelDecoder::default())));
    // Control (3) and user-defined (4) tokens are matched whole, never split.
    let added = |want: i32| -> Vec<AddedToken> {
        tokens
            .iter()
            .zip(types.iter())
            .filter(|(_, &t)| t == want)
            .map(|(s, _)| AddedToken::from(s.clone(), want == 3))
            .collect()
    };
    tok.add_special_tokens(added(3))
        .map_err(|e| format!("分词器：{e}"))?;
    tok.add_tokens(added(4))
        .map_err(|e| format!("分词器：{e}"))?;
    Ok(tok)
}
