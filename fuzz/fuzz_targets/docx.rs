//! The .docx reader (zip + XML), zip bombs included, and the text/HTML
//! decoders.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = std::path::Path::new("fuzz.docx");
    let _ = emkg_ingest::decode::docx_to_text(p, data);
    if let Ok(d) = emkg_ingest::decode::decode_text(std::path::Path::new("fuzz.html"), data) {
        let _ = emkg_ingest::decode::html_to_text(&d.text);
    }
});
