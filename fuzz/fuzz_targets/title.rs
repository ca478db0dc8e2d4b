//! Title and metadata: title lines, kind, issuer, document number, dates.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let norm = emkg_ingest::normalize::normalize(text);
    let lines = emkg_ingest::structure::lines(&norm);
    let (title, next) = emkg_ingest::meta::title(&lines, "fallback");
    let _ = emkg_ingest::meta::body_start(&lines, next);
    let head: String = norm.chars().take(2000).collect();
    let _ = emkg_ingest::meta::kind(&title, &head, "fuzz.md");
    let issuer = emkg_ingest::meta::issuer(&title, &head);
    let _ = emkg_ingest::meta::doc_number(&head, issuer.as_deref());
    let _ = emkg_ingest::meta::dates(&head, &head);
});
