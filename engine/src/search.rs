//! Query handling: recognising a named provision (安全生产法第二十一条,
//! 《消防法》第16条) so that it comes first, and merging duplicate texts.

use crate::store::{Catalog, CatalogEntry};
use emkg_ingest::numerals::{is_chinese_numeral_char, to_ascii_digit};
use emkg_ingest::xref::provision_at;
use emkg_ontology::normalize_title;

/// A provision named in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedProvision {
    /// Catalog ids of the documents the title matches (several when one law
    /// came from two sources).
    pub doc_ids: Vec<String>,
    pub article: u32,
    pub suffix: Option<u32>,
    pub clause: Option<u32>,
}

/// Finds `TITLE第N条` in `query`, where TITLE is a stored document's title
/// (full or without 中华人民共和国, with or without 《》).
pub fn named_provisions(query: &str, catalog: &Catalog) -> Vec<NamedProvision> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    for i in 0..chars.len() {
        if chars[i] != '第' {
            continue;
        }
        let Some(r) = provision_at(&chars, i) else {
            continue;
        };
        let Some(article) = r.article else { continue };
        let before: String = chars[..i].iter().collect();
        let ids: Vec<String> = title_ending(&before, catalog)
            .map(|t| docs_titled(&t, catalog).map(|e| e.id.clone()).collect())
            .unwrap_or_default();
        if !ids.is_empty() {
            out.push(NamedProvision {
                doc_ids: ids,
                article,
                suffix: r.suffix,
                clause: r.clause,
            });
        }
    }
    out
}

/// The longest stored title (normalised) that `before` ends with, whatever
/// its form: 《中华人民共和国安全生产法》, 安全生产法, with spaces.
pub fn title_ending(before: &str, catalog: &Catalog) -> Option<String> {
    let norm = normalize_title(before);
    catalog
        .docs
        .values()
        .map(|e| normalize_title(&e.title))
        .filter(|t| !t.is_empty() && norm.ends_with(t.as_str()))
        .max_by_key(|t| t.chars().count())
}

/// Stored documents whose normalised title is `normalized`.
pub fn docs_titled<'a>(
    normalized: &'a str,
    catalog: &'a Catalog,
) -> impl Iterator<Item = &'a CatalogEntry> + 'a {
    catalog
        .docs
        .values()
        .filter(move |e| normalize_title(&e.title) == normalized)
}

/// Whether a query mentions an article number at all (第N条 with digits or numerals).
pub fn mentions_article(query: &str) -> bool {
    let chars: Vec<char> = query.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        *c == '第'
            && chars
                .get(i + 1)
                .is_some_and(|n| is_chinese_numeral_char(*n) || to_ascii_digit(*n).is_some())
            && provision_at(&chars, i).is_some_and(|r| r.article.is_some())
    })
}

/// Key under which two hits count as the same provision: the same article
/// (or plan section) of the same title, whichever source or version it came
/// from; only the best-ranked one is shown. Units that are neither articles
/// nor sections are never merged.
pub fn dedup_key(
    title: &str,
    article: Option<u32>,
    suffix: Option<u32>,
    section: Option<&str>,
    unit_id: &str,
) -> String {
    match (article, section) {
        (None, None) => unit_id.to_string(),
        _ => format!(
            "{}|{:?}|{:?}|{:?}",
            normalize_title(title),
            article,
            suffix,
            section
        ),
    }
}
