//! Citations of units by id: `doc#art3.c1.i3` → 《标题》第三条第一款第（三）项,
//! `plan#sec4.3.2` → 《预案》4.3.2.

use super::Basis;
use crate::store::Catalog;
use emkg_ingest::numerals::to_chinese;

/// The provision label of a unit id's fragment (第三条第一款, 4.3.2).
pub fn provision_label(fragment: &str) -> String {
    if let Some(sec) = fragment.strip_prefix("sec") {
        return sec.split('~').next().unwrap_or(sec).to_string();
    }
    let Some(rest) = fragment.strip_prefix("art") else {
        return String::new();
    };
    let mut out = String::new();
    for (i, part) in rest.split('.').enumerate() {
        if i == 0 {
            let (n, suffix) = match part.split_once('-') {
                Some((n, s)) => (n, Some(s)),
                None => (part, None),
            };
            let Ok(n) = n.parse::<u32>() else {
                return out;
            };
            out.push_str(&format!("第{}条", to_chinese(n)));
            if let Some(s) = suffix.and_then(|s| s.parse::<u32>().ok()) {
                out.push_str(&format!("之{}", to_chinese(s)));
            }
        } else if let Some(c) = part.strip_prefix('c').and_then(|c| c.parse::<u32>().ok()) {
            out.push_str(&format!("第{}款", to_chinese(c)));
        } else if let Some(it) = part.strip_prefix('i').and_then(|c| c.parse::<u32>().ok()) {
            out.push_str(&format!("第（{}）项", to_chinese(it)));
        }
    }
    out
}

/// 《title》label for a unit id.
pub fn citation(catalog: &Catalog, unit_id: &str) -> String {
    let (doc, frag) = unit_id.split_once('#').unwrap_or((unit_id, ""));
    let title = catalog
        .docs
        .get(doc)
        .map(|e| e.title.as_str())
        .unwrap_or(doc);
    format!("《{title}》{}", provision_label(frag))
}

pub fn basis(catalog: &Catalog, unit_id: &str) -> Basis {
    Basis {
        unit_id: unit_id.to_string(),
        citation: citation(catalog, unit_id),
    }
}

/// The article-level unit id of a unit (`doc#art3.c1.i3` → `doc#art3`).
pub fn article_of(unit_id: &str) -> String {
    match unit_id.split_once('#') {
        Some((d, f)) if f.starts_with("art") => {
            format!("{d}#{}", f.split('.').next().unwrap_or(f))
        }
        _ => unit_id.to_string(),
    }
}

/// Documents whose normalised title is `title`.
pub fn docs_titled<'a>(
    catalog: &'a Catalog,
    title: &'a str,
) -> Vec<&'a crate::store::CatalogEntry> {
    let mut v: Vec<&crate::store::CatalogEntry> =
        crate::search::docs_titled(title, catalog).collect();
    // Newest version first.
    v.sort_by(|a, b| b.version.cmp(&a.version));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(provision_label("art3"), "第三条");
        assert_eq!(provision_label("art3.c1.i3"), "第三条第一款第（三）项");
        assert_eq!(provision_label("art17-1"), "第十七条之一");
        assert_eq!(provision_label("sec4.3.2"), "4.3.2");
        assert_eq!(article_of("x#art10.c1.i2"), "x#art10");
        assert_eq!(article_of("x#sec1.2"), "x#sec1.2");
    }
}
