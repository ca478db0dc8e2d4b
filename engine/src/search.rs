//! Query handling: recognising a named provision (安全生产法第二十一条,
//! 《消防法》第16条) so that it comes first, and merging duplicate texts.

use crate::store::{Catalog, CatalogEntry};
use emkg_ingest::numerals::{is_chinese_numeral_char, to_ascii_digit};
use emkg_ingest::xref::provision_at;
use emkg_ontology::{lexicon, normalize_title, regimes};

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
    catalog.title_suffix_of(&normalize_title(before))
}

/// Stored documents whose normalised title is `normalized`.
pub fn docs_titled<'a>(
    normalized: &'a str,
    catalog: &'a Catalog,
) -> impl Iterator<Item = &'a CatalogEntry> + 'a {
    catalog
        .ids_titled(normalized)
        .iter()
        .filter_map(|id| catalog.docs.get(id))
}

/// The words of a title that limit its document to a narrower subject than
/// the domain (危险化学品 in 危险化学品安全法, 燃气 in 上海市燃气管理条例);
/// empty for a general one (安全生产法, 突发事件应对法).
pub fn scope_words(title: &str) -> Vec<String> {
    let mut t: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '|' })
        .collect();
    for g in lexicon::GENERIC_TITLE_WORDS {
        t = t.replace(g, "|");
    }
    let mut out: Vec<String> = Vec::new();
    for run in t.split('|').filter(|r| r.chars().count() >= 2) {
        for w in crate::answer::clauses::jieba().cut(run, false) {
            let w = w.word.trim();
            if w.chars().count() >= 2
                && !w.chars().all(|c| c.is_ascii_digit())
                && !out.iter().any(|o| o == w)
            {
                out.push(w.to_string());
            }
        }
    }
    out
}

/// Whether a question falls within a document's scope: the title names no
/// narrower subject, or the question (with its statutory expansions) names
/// it or something within it (a boiler is special equipment, a fire a
/// matter of 消防).
pub fn scope_fits(scope: &[String], query: &str) -> bool {
    if scope.is_empty() {
        return true;
    }
    let expanded: Vec<&str> = lexicon::expansions(query);
    let says = |w: &str| query.contains(w) || expanded.iter().any(|e| e.contains(w));
    scope.iter().any(|s| {
        says(s)
            || lexicon::SCOPE_IMPLIED
                .iter()
                .filter(|(key, _)| s.contains(key) || key.contains(s.as_str()))
                .any(|(_, cues)| cues.iter().any(|c| says(c)))
            || (s.contains("特种设备")
                && regimes::EQUIPMENT_SYNONYMS
                    .iter()
                    .any(|(word, member)| query.contains(word) || query.contains(member)))
    })
}

/// Whether `query` names the place a local instrument's title begins with
/// (上海 for 上海市安全生产条例).
pub fn names_locality(title: &str, query: &str) -> bool {
    let chars: Vec<char> = title.chars().collect();
    let Some(end) = chars
        .iter()
        .take(8)
        .position(|c| matches!(c, '省' | '市' | '区' | '县'))
    else {
        return false;
    };
    let place: String = chars[..end].iter().collect();
    place.chars().count() >= 2 && query.contains(place.as_str())
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

#[cfg(test)]
mod tests {
    use super::{scope_fits, scope_words};

    #[test]
    fn titles_name_their_scope() {
        assert!(scope_words("中华人民共和国安全生产法").is_empty());
        assert!(scope_words("生产安全事故报告和调查处理条例").is_empty());
        assert!(scope_words("中华人民共和国突发事件应对法").is_empty());
        let hc = scope_words("中华人民共和国危险化学品安全法");
        assert!(hc.iter().any(|w| w.contains("化学品")), "{hc:?}");
        let se = scope_words("特种设备事故报告和调查处理规定");
        assert!(se.iter().any(|w| w.contains("特种设备")), "{se:?}");
        let gas = scope_words("上海市燃气管理条例");
        assert_eq!(gas, vec!["燃气".to_string()]);
    }

    #[test]
    fn questions_fit_scopes_they_name_or_imply() {
        let hc = scope_words("中华人民共和国危险化学品安全法");
        assert!(scope_fits(&hc, "危化品仓库要配哪些设施"));
        assert!(!scope_fits(&hc, "新厂房的安全设施能不能投产以后再补"));
        let se = scope_words("中华人民共和国特种设备安全法");
        assert!(scope_fits(&se, "锅炉压力表乱跳还能用吗"));
        assert!(scope_fits(&se, "塔吊没验收就吊东西行不行"));
        assert!(!scope_fits(&se, "事故调查组由哪些部门组成"));
        let fire = scope_words("中华人民共和国消防法");
        assert!(scope_fits(&fire, "仓库着火了谁来调查"));
        assert!(scope_fits(&[], "任何问题"));
    }

    #[test]
    fn local_titles_name_their_place() {
        assert!(super::names_locality(
            "上海市安全生产条例",
            "上海的企业少配安全员"
        ));
        assert!(!super::names_locality(
            "上海市安全生产条例",
            "企业少配安全员"
        ));
        assert!(!super::names_locality("中华人民共和国消防法", "上海"));
    }
}
