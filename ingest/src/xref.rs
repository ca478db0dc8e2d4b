//! Cross-references inside body text: 本法第十条, 第十条第二款, 《消防法》第十六条,
//! 第二十条、第二十一条, 前款, 本条第二款. They are recorded as links and
//! resolved to unit ids when the target is in the same document; references
//! to other documents are resolved by whoever holds the other documents.

use crate::model::{CrossRef, Unit};
use crate::numerals::{is_chinese_numeral_char, parse_number, to_ascii_digit};
use emkg_ontology::UnitKind;

const SELF_NAMES: [&str; 8] = [
    "本法",
    "本条例",
    "本规定",
    "本办法",
    "本细则",
    "本决定",
    "本预案",
    "本规则",
];

/// A parsed `第N条[之N][第N款][第（N）项]` at the start of `chars`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionRef {
    pub article: Option<u32>,
    pub suffix: Option<u32>,
    pub clause: Option<u32>,
    pub item: Option<u32>,
    /// Chars consumed.
    pub len: usize,
}

fn numeral_run(chars: &[char], from: usize) -> (String, usize) {
    let mut j = from;
    let mut s = String::new();
    while j < chars.len()
        && (is_chinese_numeral_char(chars[j]) || to_ascii_digit(chars[j]).is_some())
        && j - from < 12
    {
        s.push(chars[j]);
        j += 1;
    }
    (s, j)
}

/// Parses `第N<unit>` at `from`; returns the number and the index after it.
fn numbered(chars: &[char], from: usize, unit: char) -> Option<(u32, usize)> {
    if chars.get(from) != Some(&'第') {
        return None;
    }
    let (num, j) = numeral_run(chars, from + 1);
    if num.is_empty() || chars.get(j) != Some(&unit) {
        return None;
    }
    Some((parse_number(&num)?, j + 1))
}

/// Parses a provision reference starting at `from`: 第十条, 第十条之一第二款,
/// 第二款, 第（三）项.
/// 《X》第N条… starting at `i` (which holds 《): the title as written and the
/// provision, and the char index just past it. The one scanner of titled
/// citations, shared by cross-reference extraction and the citation checker.
pub fn titled_provision_at(chars: &[char], i: usize) -> Option<(String, usize, ProvisionRef)> {
    if chars.get(i) != Some(&'《') {
        return None;
    }
    let close = chars
        .get(i + 1..)?
        .iter()
        .take(60)
        .position(|c| *c == '》')?;
    let title: String = chars[i + 1..i + 1 + close].iter().collect();
    let after = i + 1 + close + 1;
    let r = provision_at(chars, after).filter(|r| r.article.is_some())?;
    Some((title, after + r.len, r))
}

pub fn provision_at(chars: &[char], from: usize) -> Option<ProvisionRef> {
    let mut r = ProvisionRef {
        article: None,
        suffix: None,
        clause: None,
        item: None,
        len: 0,
    };
    let mut j = from;
    if let Some((n, k)) = numbered(chars, j, '条') {
        r.article = Some(n);
        j = k;
        if chars.get(j) == Some(&'之') {
            let (num, k2) = numeral_run(chars, j + 1);
            if let Some(s) = parse_number(&num) {
                r.suffix = Some(s);
                j = k2;
            }
        }
    }
    if let Some((n, k)) = numbered(chars, j, '款') {
        r.clause = Some(n);
        j = k;
    }
    // 第（三）项 / 第三项
    if chars.get(j) == Some(&'第') {
        let mut k = j + 1;
        let paren = matches!(chars.get(k), Some('（' | '('));
        if paren {
            k += 1;
        }
        let (num, k2) = numeral_run(chars, k);
        let mut k3 = k2;
        if paren && matches!(chars.get(k3), Some('）' | ')')) {
            k3 += 1;
        }
        if !num.is_empty() && chars.get(k3) == Some(&'项') {
            r.item = parse_number(&num);
            j = k3 + 1;
        }
    }
    if r.article.is_none() && r.clause.is_none() && r.item.is_none() {
        return None;
    }
    r.len = j - from;
    Some(r)
}

fn starts_with(chars: &[char], at: usize, s: &str) -> bool {
    s.chars()
        .enumerate()
        .all(|(k, c)| chars.get(at + k) == Some(&c))
}

/// Finds cross-references in `text`, attributing each to the innermost unit
/// that contains it. Article labels themselves (a unit's own 第N条) are skipped.
pub fn find_refs(text: &str, units: &[Unit]) -> Vec<CrossRef> {
    let chars: Vec<char> = text.chars().collect();
    let label_starts: std::collections::HashSet<usize> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Article)
        .map(|u| u.span.0)
        .collect();
    let mut out: Vec<CrossRef> = Vec::new();
    // (end position, doc title) of the previous reference, so that lists such
    // as 《消防法》第十条、第十一条 inherit the title.
    let mut prev: Option<(usize, Option<String>)> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut found: Option<(usize, usize, Option<String>, ProvisionRef)> = None;
        if c == '《' {
            if let Some((title, end, r)) = titled_provision_at(&chars, i) {
                found = Some((i, end, Some(title), r));
            }
        } else if c == '本' {
            if let Some(name) = SELF_NAMES.iter().find(|n| starts_with(&chars, i, n)) {
                let after = i + name.chars().count();
                if let Some(r) = provision_at(&chars, after) {
                    found = Some((i, after + r.len, None, r));
                }
            } else if starts_with(&chars, i, "本条") {
                if let Some(r) = provision_at(&chars, i + 2).filter(|r| r.article.is_none()) {
                    found = Some((i, i + 2 + r.len, None, r));
                }
            }
        } else if c == '第' && !label_starts.contains(&i) {
            if let Some(r) = provision_at(&chars, i) {
                let title = match &prev {
                    Some((end, t)) if i >= *end && i - *end <= 1 => t.clone(),
                    Some((end, t))
                        if i >= *end && i - *end <= 2 && starts_with(&chars, *end, "和") =>
                    {
                        t.clone()
                    }
                    _ => None,
                };
                found = Some((i, i + r.len, title, r));
            }
        } else if c == '前' && starts_with(&chars, i, "前款") {
            let from = innermost(units, i);
            let clause = from
                .and_then(|u| u.clause)
                .filter(|c| *c > 1)
                .map(|c| c - 1);
            if let (Some(u), Some(cl)) = (from, clause) {
                out.push(CrossRef {
                    from: u.id.clone(),
                    span: (i, i + 2),
                    raw: "前款".into(),
                    doc_title: None,
                    article: u.article,
                    article_suffix: u.article_suffix,
                    clause: Some(cl),
                    item: None,
                    resolved: None,
                });
            }
            i += 2;
            continue;
        }
        match found {
            Some((start, end, title, r)) => {
                let end = end.min(chars.len());
                let raw: String = chars[start..end].iter().collect();
                if let Some(u) = innermost(units, start) {
                    // 第二款 alone inside an article refers to that article.
                    let article = r.article.or(if title.is_none() { u.article } else { None });
                    let suffix = if r.article.is_some() {
                        r.suffix
                    } else {
                        u.article_suffix
                    };
                    out.push(CrossRef {
                        from: u.id.clone(),
                        span: (start, end),
                        raw,
                        doc_title: title.clone(),
                        article,
                        article_suffix: suffix,
                        clause: r.clause,
                        item: r.item,
                        resolved: None,
                    });
                }
                prev = Some((end, title));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

fn innermost(units: &[Unit], pos: usize) -> Option<&Unit> {
    units
        .iter()
        .rev()
        .find(|u| u.span.0 <= pos && pos < u.span.1 && !u.kind.is_container())
}

/// Resolves references to this document against its own units: the most
/// specific existing unit (item, else clause, else article).
pub fn resolve_internal(doc_id: &str, refs: &mut [CrossRef], units: &[Unit]) {
    let ids: std::collections::HashSet<&str> = units.iter().map(|u| u.id.as_str()).collect();
    for r in refs.iter_mut().filter(|r| r.doc_title.is_none()) {
        r.resolved = target_id(doc_id, r, &ids);
    }
}

/// Most specific unit id in `ids` that `r` points to within document `doc_id`.
pub fn target_id(
    doc_id: &str,
    r: &CrossRef,
    ids: &std::collections::HashSet<&str>,
) -> Option<String> {
    let article = r.article?;
    let art = match r.article_suffix {
        Some(s) => format!("{doc_id}#art{article}-{s}"),
        None => format!("{doc_id}#art{article}"),
    };
    let mut best = ids.contains(art.as_str()).then(|| art.clone());
    if let Some(c) = r.clause {
        let cid = format!("{art}.c{c}");
        if ids.contains(cid.as_str()) {
            best = Some(cid.clone());
            if let Some(it) = r.item {
                let iid = format!("{cid}.i{it}");
                if ids.contains(iid.as_str()) {
                    best = Some(iid);
                }
            }
        }
    } else if let Some(it) = r.item {
        let iid = format!("{art}.c1.i{it}");
        if ids.contains(iid.as_str()) {
            best = Some(iid);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisions() {
        let c: Vec<char> = "第十条第二款第（三）项规定".chars().collect();
        let r = provision_at(&c, 0).unwrap();
        assert_eq!(
            (r.article, r.clause, r.item, r.len),
            (Some(10), Some(2), Some(3), 11)
        );
        let c: Vec<char> = "第十七条之一".chars().collect();
        let r = provision_at(&c, 0).unwrap();
        assert_eq!((r.article, r.suffix), (Some(17), Some(1)));
        let c: Vec<char> = "第二章".chars().collect();
        assert!(provision_at(&c, 0).is_none());
    }
}
