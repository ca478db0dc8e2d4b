//! Helpers shared by the workspace's tests.
//!
//! A test whose data is missing (the shared corpus, model weights, a
//! Qdrant server) must not pass vacuously: it calls [`skip`], which says so
//! on stderr and appends a line to `$EMKG_SKIP_LOG`; `test.sh` counts those
//! lines as skipped and takes them off the passed count.

use std::path::PathBuf;

/// The workspace root. Cargo sets `CARGO_MANIFEST_DIR` when it runs a test
/// (the testing crate's folder, one level below the root); the path this
/// crate was compiled at is only the fallback, because a target dir shared
/// by clones at other paths (CI's) may hold this crate compiled elsewhere.
pub fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

/// The shared data folder (`$EMKG_SHARED`, else `../shared` beside the
/// repository), if it holds a corpus.
pub fn shared() -> Option<PathBuf> {
    let p = std::env::var_os("EMKG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    p.join("corpus").is_dir().then_some(p)
}

/// The shared corpus (`$EMKG_SHARED_CORPUS`, else `shared()/corpus`).
pub fn shared_corpus() -> Option<PathBuf> {
    match std::env::var_os("EMKG_SHARED_CORPUS") {
        Some(p) => Some(PathBuf::from(p)).filter(|p| p.is_dir()),
        None => shared().map(|s| s.join("corpus")),
    }
}

/// Records that `test` was skipped because `why`.
pub fn skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
    if let Some(log) = std::env::var_os("EMKG_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(f, "{test}: {why}");
        }
    }
}

/// `require!(option, "test_name", "why")`: the value, or a recorded skip
/// and `return` from the test.
#[macro_export]
macro_rules! require {
    ($opt:expr, $test:expr, $why:expr) => {
        match $opt {
            Some(v) => v,
            None => {
                $crate::skip($test, $why);
                return;
            }
        }
    };
}
