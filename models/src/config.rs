//! Which models to run and with how many threads: a TOML file (`[models]`)
//! plus command-line overrides, resolved against the model cache.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{ModelError, Result};

/// Folder name of the imported e5 model inside the model cache.
pub const E5_DIR: &str = "multilingual-e5-small";
/// The default generator (1.5B) and the small one used by tests.
pub const QWEN_1_5B: &str = "qwen2.5-1.5b-instruct-q4_k_m.gguf";
pub const QWEN_0_5B: &str = "qwen2.5-0.5b-instruct-q.gguf";

/// Where a model choice came from decides what a missing file means: an
/// explicit path that is missing is an error, a missing default just leaves
/// the feature off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Default,
    Off,
    Path(PathBuf),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsSection {
    /// Model folder, or "none".
    pub embedder: Option<String>,
    /// GGUF file, or "none".
    pub generator: Option<String>,
    pub threads: Option<usize>,
    /// Cap on the generator's context window (tokens).
    pub max_context: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    models: ModelsSection,
}

#[derive(Debug, Clone)]
pub struct ModelsConfig {
    pub embedder: Choice,
    pub generator: Choice,
    pub threads: Option<usize>,
    pub max_context: usize,
    pub cache_dir: PathBuf,
}

impl Default for ModelsConfig {
    fn default() -> Self {
        Self {
            embedder: Choice::Default,
            generator: Choice::Default,
            threads: None,
            max_context: 4096,
            cache_dir: model_cache_dir(),
        }
    }
}

fn choice(v: &str) -> Choice {
    match v.trim() {
        "" | "default" => Choice::Default,
        "none" | "off" => Choice::Off,
        p => Choice::Path(PathBuf::from(p)),
    }
}

impl ModelsConfig {
    /// Reads the `[models]` section of a TOML file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        let file: FileConfig = toml::from_str(&text)
            .map_err(|e| ModelError::Config(format!("{}：{e}", path.display())))?;
        let mut cfg = Self::default();
        cfg.apply(&file.models);
        Ok(cfg)
    }

    /// Overrides from flags (`None` leaves a setting as it is).
    pub fn apply(&mut self, s: &ModelsSection) {
        if let Some(e) = &s.embedder {
            self.embedder = choice(e);
        }
        if let Some(g) = &s.generator {
            self.generator = choice(g);
        }
        if s.threads.is_some() {
            self.threads = s.threads;
        }
        if let Some(c) = s.max_context {
            self.max_context = c;
        }
    }

    /// The embedder folder to load, if any. A missing default is not an
    /// error (the engine runs on BM25 alone); a missing explicit path is.
    pub fn embedder_path(&self) -> Result<Option<PathBuf>> {
        resolve(&self.embedder, self.cache_dir.join(E5_DIR))
    }

    pub fn generator_path(&self) -> Result<Option<PathBuf>> {
        resolve(&self.generator, self.cache_dir.join(QWEN_1_5B))
    }
}

fn resolve(c: &Choice, default: PathBuf) -> Result<Option<PathBuf>> {
    match c {
        Choice::Off => Ok(None),
        Choice::Default => Ok(default.exists().then_some(default)),
        Choice::Path(p) if p.exists() => Ok(Some(p.clone())),
        Choice::Path(p) => Err(ModelError::Missing(p.clone())),
    }
}

/// `EMKG_CACHE_DIR`, else `$XDG_CACHE_HOME/emkg`, else `~/.cache/emkg`,
/// followed by `models` — the same place `models/fetch.sh` writes to.
pub fn model_cache_dir() -> PathBuf {
    let base = std::env::var_os("EMKG_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|x| PathBuf::from(x).join("emkg")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/emkg")))
        .unwrap_or_else(|| PathBuf::from(".cache/emkg"));
    base.join("models")
}

/// Sets the worker-thread count of the CPU kernels (candle and gemm read
/// `RAYON_NUM_THREADS`). Call before the first model runs.
pub fn set_threads(n: usize) {
    let n = n.max(1);
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    // The global pool may already exist; then this is a no-op.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_flags_combine() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("emkg.toml");
        std::fs::write(
            &f,
            "[models]\nembedder = \"none\"\ngenerator = \"/nowhere/x.gguf\"\nthreads = 2\n",
        )
        .unwrap();
        let mut cfg = ModelsConfig::from_file(&f).unwrap();
        assert_eq!(cfg.embedder, Choice::Off);
        assert_eq!(cfg.threads, Some(2));
        assert!(cfg.embedder_path().unwrap().is_none());
        assert!(matches!(cfg.generator_path(), Err(ModelError::Missing(_))));
        cfg.apply(&ModelsSection {
            generator: Some("none".into()),
            ..Default::default()
        });
        assert!(cfg.generator_path().unwrap().is_none());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("emkg.toml");
        std::fs::write(&f, "[models]\nembeder = \"x\"\n").unwrap();
        assert!(matches!(
            ModelsConfig::from_file(&f),
            Err(ModelError::Config(_))
        ));
    }
}
