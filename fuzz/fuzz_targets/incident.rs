//! The incident-text extractor (event type, time, place, casualties, loss).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = emkg_ingest::incident::extract(text);
});
