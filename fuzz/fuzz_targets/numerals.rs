//! Chinese and mixed numerals and article numbering.
#![no_main]
use emkg_ingest::numerals;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = numerals::parse_number(text);
    let chars: Vec<char> = text.chars().collect();
    for i in 0..chars.len().min(64) {
        let _ = numerals::quantity_at(&chars, i);
    }
    if let Some(n) = numerals::parse_number(text) {
        let _ = numerals::to_chinese(n);
    }
    let _ = emkg_ingest::structure::article_start(text);
    let _ = emkg_ingest::structure::item_marker(text);
    let _ = emkg_ingest::structure::paren_arabic_marker(text);
});
