//! Inputs the fuzzers (fuzz/) found crashing, kept as regression tests: each
//! must parse (through every stage the fuzz targets drive) without a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

#[test]
fn every_fuzz_finding_parses() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let norm = emkg_ingest::normalize::normalize(&text);
        let lines = emkg_ingest::structure::lines(&norm);
        let (title, _) = emkg_ingest::meta::title(&lines, "fallback");
        assert!(!title.is_empty(), "{}", f.display());
        let source = emkg_ingest::Source {
            path: f.display().to_string(),
            format: "md".into(),
            encoding: "UTF-8".into(),
        };
        let d = emkg_ingest::parse_text("fuzz", &text, source, String::new(), "");
        let _ = emkg_ingest::extract::extract(&d);
        let _ = emkg_ingest::incident::extract(&text);
        let _ = emkg_ingest::decode::docx_to_text(f, &bytes);
    }
}
