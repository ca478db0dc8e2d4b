//! The citation checker: finds every 《X》第N条 (and `X第N条` where X is a
//! stored title) in a text and says whether that provision exists in the
//! store, with its text. Titles match with or without 中华人民共和国 and 《》.

use crate::store::{Catalog, DataDir};
use emkg_ingest::numerals::to_chinese;
use emkg_ingest::xref::provision_at;
use emkg_ontology::normalize_title;

/// One citation found in a text and what the store says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CitationCheck {
    /// The citation as written.
    pub raw: String,
    /// Char span in the checked text.
    pub span: (usize, usize),
    /// The title as written (without 《》).
    pub cited_title: String,
    pub article: u32,
    pub article_suffix: Option<u32>,
    pub clause: Option<u32>,
    pub item: Option<u32>,
    /// The stored document the title matched, if any.
    pub doc_id: Option<String>,
    pub doc_title: Option<String>,
    /// Whether the cited provision exists in that document.
    pub exists: bool,
    pub unit_id: Option<String>,
    pub text: Option<String>,
    /// Why the citation does not verify (Chinese), when it does not.
    pub problem: Option<String>,
}

/// Finds and checks every citation in `text`.
pub fn check(text: &str, catalog: &Catalog, dir: &DataDir) -> Vec<CitationCheck> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut prev: Option<(usize, String)> = None;
    let mut i = 0;
    while i < chars.len() {
        let mut found: Option<(usize, usize, String, emkg_ingest::xref::ProvisionRef)> = None;
        if chars[i] == '《' {
            if let Some((title, end, r)) = emkg_ingest::xref::titled_provision_at(&chars, i) {
                found = Some((i, end, title, r));
            }
        } else if chars[i] == '第' {
            if let Some(r) = provision_at(&chars, i).filter(|r| r.article.is_some()) {
                // 第十条、第十一条 after a citation inherit its title.
                let inherited = prev
                    .as_ref()
                    .filter(|(end, _)| i >= *end && i - *end <= 1)
                    .map(|(_, t)| t.clone());
                let before: String = chars[i.saturating_sub(30)..i].iter().collect();
                let hit = match inherited {
                    Some(t) => Some((i, t)),
                    None => crate::search::title_ending(&before, catalog)
                        .map(|t| (i.saturating_sub(t.chars().count()), t)),
                };
                if let Some((start, title)) = hit {
                    found = Some((start, i + r.len, title, r));
                }
            }
        }
        match found {
            Some((start, end, title, r)) => {
                let raw: String = chars[start..end.min(chars.len())].iter().collect();
                out.push(verify(raw, (start, end), &title, &r, catalog, dir));
                prev = Some((end, title));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

fn verify(
    raw: String,
    span: (usize, usize),
    title: &str,
    r: &emkg_ingest::xref::ProvisionRef,
    catalog: &Catalog,
    dir: &DataDir,
) -> CitationCheck {
    let article = r.article.unwrap_or(0);
    let mut c = CitationCheck {
        raw,
        span,
        cited_title: title.to_string(),
        article,
        article_suffix: r.suffix,
        clause: r.clause,
        item: r.item,
        doc_id: None,
        doc_title: None,
        exists: false,
        unit_id: None,
        text: None,
        problem: None,
    };
    let norm = normalize_title(title);
    let docs: Vec<&crate::store::CatalogEntry> =
        crate::search::docs_titled(&norm, catalog).collect();
    if docs.is_empty() {
        c.problem = Some(format!("库中没有《{title}》"));
        return c;
    }
    // Prefer a version that has the article.
    let entry = docs
        .iter()
        .find(|e| e.articles.contains(&article))
        .unwrap_or(&docs[0]);
    c.doc_id = Some(entry.id.clone());
    c.doc_title = Some(entry.title.clone());
    let art = match r.suffix {
        Some(s) => format!("{}#art{article}-{s}", entry.id),
        None => format!("{}#art{article}", entry.id),
    };
    let mut want = art.clone();
    if let Some(cl) = r.clause {
        want = format!("{want}.c{cl}");
        if let Some(it) = r.item {
            want = format!("{want}.i{it}");
        }
    } else if let Some(it) = r.item {
        want = format!("{want}.c1.i{it}");
    }
    let doc = match dir.load_document(&entry.id, entry.rev) {
        Ok(d) => d,
        Err(e) => {
            c.problem = Some(format!("无法读取《{}》：{e}", entry.title));
            return c;
        }
    };
    match doc.unit(&want) {
        Some(u) => {
            c.exists = true;
            c.unit_id = Some(u.id.clone());
            c.text = Some(u.text.clone());
        }
        None => {
            let max = entry.articles.iter().max().copied().unwrap_or(0);
            c.problem = Some(if doc.unit(&art).is_none() {
                format!(
                    "《{}》没有第{}条（共{}条）",
                    entry.title,
                    to_chinese(article),
                    to_chinese(max)
                )
            } else {
                format!(
                    "《{}》第{}条没有所引的款或项",
                    entry.title,
                    to_chinese(article)
                )
            });
            if let Some(u) = doc.unit(&art) {
                c.unit_id = Some(u.id.clone());
                c.text = Some(u.text.clone());
            }
        }
    }
    c
}
