//! What the engine's integration tests share: the shared corpus and the
//! project's samples ingested once per test binary, the skip-if-absent
//! macro, and a scripted stand-in for the language model.

#![allow(dead_code, unused_macros)]

use emkg_engine::models::{ChatMessage, Generation, GenerationParams, Generator, StopReason};
use emkg_engine::Engine;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The shared corpus folder, if it holds the laws.
pub fn corpus() -> Option<PathBuf> {
    emkg_testkit::shared_corpus().filter(|p| p.join("laws").is_dir())
}

pub fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/samples")
}

struct Fixture {
    engine: Engine,
    _dir: tempfile::TempDir,
}

/// The shared corpus and the samples, ingested once for all tests of a
/// binary; `None` when the corpus is absent.
pub fn engine() -> Option<&'static Engine> {
    static E: OnceLock<Option<Fixture>> = OnceLock::new();
    E.get_or_init(|| {
        let corpus = corpus()?;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        {
            let mut e = Engine::open_for_write(&data).unwrap();
            let r = e
                .ingest_paths(&[corpus, samples()], &Default::default(), &mut |_| {})
                .unwrap();
            assert!(r.skipped().is_empty(), "{:?}", r.skipped());
        }
        Some(Fixture {
            engine: Engine::open(&data).unwrap(),
            _dir: dir,
        })
    })
    .as_ref()
    .map(|f| &f.engine)
}

/// `need!("test_name")`: the corpus engine, or a recorded skip and return.
macro_rules! need {
    ($name:expr) => {
        emkg_testkit::require!(common::engine(), $name, "../shared/corpus not present")
    };
}

/// Says a fixed text, whatever it is asked.
pub struct Scripted(pub String);

impl Generator for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn context_length(&self) -> usize {
        4096
    }
    fn generate(
        &mut self,
        _messages: &[ChatMessage],
        _params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> emkg_engine::models::Result<Generation> {
        on_text(&self.0);
        Ok(Generation {
            text: self.0.clone(),
            prompt_tokens: 1,
            generated_tokens: 1,
            stop: StopReason::Stop,
            reused_prompt_tokens: 0,
            prefill_secs: 0.0,
            decode_secs: 0.0,
        })
    }
}
