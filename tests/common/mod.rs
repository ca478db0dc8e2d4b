//! What the binary-driving test files share: the `emkg` binary with no
//! models (tests that want one name it), and running it.

#![allow(dead_code)]

use std::process::{Command, Output};

/// The binary with no models: tests that want one name it explicitly, so
/// BM25-only tests never pay for loading a model.
pub fn emkg() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_emkg"));
    c.env(
        "EMKG_CACHE_DIR",
        std::env::temp_dir().join("emkg-e2e-no-models"),
    )
    .env_remove("EMKG_CONFIG");
    c
}

pub fn run(args: &[&str]) -> Output {
    emkg().args(args).output().expect("run emkg")
}
