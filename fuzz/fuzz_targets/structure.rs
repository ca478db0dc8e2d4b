//! The legal-structure parser (编/章/节/条/款/项, plans' numbered sections),
//! with fact extraction and cross-references, on any text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = emkg_ingest::Source {
        path: "fuzz.md".into(),
        format: "md".into(),
        encoding: "UTF-8".into(),
    };
    let d = emkg_ingest::parse_text("fuzz", text, source, String::new(), "fuzz.md");
    let _ = emkg_ingest::extract::extract(&d);
});
