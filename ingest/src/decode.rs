//! Turning raw bytes into text: encoding detection (UTF-8 with or without BOM,
//! UTF-16 LE/BE, GB18030/GBK), .docx paragraphs and HTML to plain text.

use crate::error::{IngestError, Result};
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};
use std::io::Read;
use std::path::Path;

/// Decoded text and the encoding it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Detects the encoding of `bytes` and decodes them. Binary data and bytes
/// that decode under no supported encoding are errors.
pub fn decode_text(path: &Path, bytes: &[u8]) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(IngestError::Empty(path.to_path_buf()));
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(IngestError::Undecodable(path.to_path_buf()));
        }
        return Ok(Decoded {
            text: text.into_owned(),
            encoding: enc.name(),
        });
    }
    if let Some(enc) = sniff_utf16(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(bytes);
        if !had_errors && !looks_binary(&text) {
            return Ok(Decoded {
                text: text.into_owned(),
                encoding: enc.name(),
            });
        }
    }
    if bytes.contains(&0) {
        return Err(IngestError::Binary(path.to_path_buf()));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        if looks_binary(s) {
            return Err(IngestError::Binary(path.to_path_buf()));
        }
        return Ok(Decoded {
            text: s.to_string(),
            encoding: "UTF-8",
        });
    }
    // GB18030 is a superset of GBK and GB2312, so one decoder covers all three.
    let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
    if had_errors || looks_binary(&text) || !mostly_cjk_or_ascii(&text) {
        return Err(IngestError::Undecodable(path.to_path_buf()));
    }
    Ok(Decoded {
        text: text.into_owned(),
        encoding: "GBK",
    })
}

/// UTF-16 without a BOM: ASCII-range code units leave every other byte zero.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let pairs = bytes.len() / 2;
    let even_zero = bytes.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_zero = bytes.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    // CJK text in UTF-16 has few zero bytes, so also accept a text whose
    // decoding is mostly CJK with newlines.
    if odd_zero * 3 > pairs && even_zero * 10 < pairs {
        return Some(UTF_16LE);
    }
    if even_zero * 3 > pairs && odd_zero * 10 < pairs {
        return Some(UTF_16BE);
    }
    None
}

/// Control characters other than whitespace mark binary data: more than 1%
/// of them, and more than a stray few (a text with one pasted BEL is still
/// a text; normalisation drops it).
fn looks_binary(s: &str) -> bool {
    let mut control = 0usize;
    let mut total = 0usize;
    for c in s.chars().take(20_000) {
        total += 1;
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}') {
            control += 1;
        }
    }
    total > 0 && control * 100 > total && (control > 8 || control * 10 > total)
}

fn mostly_cjk_or_ascii(s: &str) -> bool {
    let mut good = 0usize;
    let mut total = 0usize;
    for c in s.chars().take(20_000) {
        total += 1;
        if c.is_ascii()
            || ('\u{3000}'..='\u{9fff}').contains(&c)
            || ('\u{ff00}'..='\u{ffef}').contains(&c)
        {
            good += 1;
        }
    }
    total == 0 || good * 10 >= total * 9
}

/// Extracts the paragraphs of a .docx (word/document.xml), one per line.
/// The most `word/document.xml` may inflate to (a 2,000-page regulation is
/// well under 50 MB of XML).
pub const MAX_DOCX_XML_BYTES: u64 = 200 * 1024 * 1024;

pub fn docx_to_text(path: &Path, bytes: &[u8]) -> Result<String> {
    let bad = |reason: String| IngestError::BadDocx {
        path: path.to_path_buf(),
        reason,
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("无法作为 zip 打开：{e}")))?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|_| bad("缺少 word/document.xml".into()))?;
    // A zip bomb declares (or, lying, inflates to) far more than any real
    // document: refuse past the cap instead of filling memory.
    if entry.size() > MAX_DOCX_XML_BYTES {
        return Err(bad(format!(
            "word/document.xml 解压后为 {} 字节，超过上限 {MAX_DOCX_XML_BYTES}（疑似压缩炸弹）",
            entry.size()
        )));
    }
    // Bytes first: a lying header may cut the stream mid-character at the
    // cap, which must read as a bomb, not as bad UTF-8.
    let mut raw = Vec::new();
    entry
        .take(MAX_DOCX_XML_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| bad(format!("word/document.xml 无法读取：{e}")))?;
    if raw.len() as u64 > MAX_DOCX_XML_BYTES {
        return Err(bad(format!(
            "word/document.xml 解压后超过上限 {MAX_DOCX_XML_BYTES} 字节（疑似压缩炸弹）"
        )));
    }
    let xml =
        String::from_utf8(raw).map_err(|e| bad(format!("word/document.xml 不是 UTF-8：{e}")))?;

    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                b"t" => in_text = true,
                b"tab" => out.push('\t'),
                _ => {}
            },
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                b"tab" => out.push('\t'),
                b"br" | b"cr" => out.push('\n'),
                _ => {}
            },
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => out.push_str("\n\n"),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => {
                let s = t
                    .unescape()
                    .map_err(|e| bad(format!("XML 转义错误：{e}")))?;
                out.push_str(&s);
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(bad(format!("XML 解析错误：{e}"))),
            _ => {}
        }
    }
    Ok(out)
}

/// Plain text of an HTML page: block elements become line breaks, script and
/// style are dropped, common entities are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[..gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[gt + 1..];
        if !tag.starts_with('/') && (name == "script" || name == "style") {
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(i) => {
                    let r = &rest[i..];
                    r.find('>').map(|j| &r[j + 1..]).unwrap_or("")
                }
                None => "",
            };
            continue;
        }
        if matches!(
            name.as_str(),
            "p" | "div"
                | "br"
                | "li"
                | "tr"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "section"
                | "article"
                | "title"
                | "table"
        ) {
            out.push_str("\n\n");
        }
    }
    out.push_str(&decode_entities(rest));
    out
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let ent = &after[..e];
            let c = match ent {
                "nbsp" => Some(' '),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "ensp" | "emsp" => Some(' '),
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    u32::from_str_radix(&ent[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t")
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let d = decode_text(p(), "第一条 总则".as_bytes()).unwrap();
        assert_eq!(d.text, "第一条 总则");
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("第一条".as_bytes());
        let d = decode_text(p(), &b).unwrap();
        assert_eq!(d.text, "第一条");
    }

    #[test]
    fn gbk_and_utf16() {
        let (gbk, _, _) = GB18030.encode("第一条　为了加强安全生产工作，制定本法。");
        let d = decode_text(p(), &gbk).unwrap();
        assert_eq!(d.encoding, "GBK");
        assert!(d.text.starts_with("第一条"));

        let s = "第一条 安全生产\n";
        let le: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend_from_slice(&le);
        assert_eq!(decode_text(p(), &with_bom).unwrap().text, s);
        let be: Vec<u8> = "abc def 第一条\n"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(decode_text(p(), &be).unwrap().encoding, "UTF-16BE");
    }

    #[test]
    fn binary_and_empty() {
        assert!(matches!(decode_text(p(), b""), Err(IngestError::Empty(_))));
        let bin: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        assert!(decode_text(p(), &bin).is_err());
    }

    #[test]
    fn html() {
        let t = html_to_text("<html><head><style>p{}</style></head><body><p>第一条&nbsp;总则</p><p>A &amp; B &#20013;</p></body>");
        assert!(t.contains("第一条 总则"));
        assert!(t.contains("A & B 中"));
        assert!(!t.contains("p{}"));
    }

    #[test]
    fn not_a_zip() {
        let e = docx_to_text(p(), b"this is not a zip").unwrap_err();
        assert!(e.to_string().contains("不是有效的 .docx"));
    }
}
