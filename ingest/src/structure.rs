//! Structure parsing of normalised text into units.
//!
//! Legal texts: 编/章/节 containers, 第N条 articles (之一 too), unnumbered 款
//! paragraphs, （一） 项 items and 1. 目 sub-items. An article start is only
//! accepted at the start of a line, when its number follows the previous
//! article's and the label is not the head of a cross-reference
//! (第十条规定…, 第十条第二款…), so references are never taken for headings.
//!
//! Other documents: numbered sections 一、/（一）/1./（1）/1.1/1.1.1 whose nesting
//! follows the order in which marker styles first appear, each list checked
//! for consecutive numbering.

use crate::model::Unit;
use crate::numerals::{is_chinese_numeral_char, parse_number, to_ascii_digit};
use emkg_ontology::UnitKind;

/// One line of the normalised text with its char span.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

pub fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    for l in text.split('\n') {
        let n = l.chars().count();
        if !l.trim().is_empty() {
            out.push(Line {
                start: pos,
                end: pos + n,
                text: l,
            });
        }
        pos += n + 1;
    }
    out
}

/// An article label at the start of a line: 第二十一条, 第16条, 第十七条之一.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleStart {
    pub number: u32,
    pub suffix: Option<u32>,
    /// Label length in chars.
    pub label_chars: usize,
    /// Chars of whitespace after the label.
    pub space_chars: usize,
}

pub fn article_start(line: &str) -> Option<ArticleStart> {
    let rest = line.strip_prefix('第')?;
    let num: String = rest
        .chars()
        .take_while(|c| is_chinese_numeral_char(*c) || to_ascii_digit(*c).is_some())
        .collect();
    if num.is_empty() || num.chars().count() > 12 {
        return None;
    }
    let after_num = &rest[num.len()..];
    let after = after_num.strip_prefix('条')?;
    let number = parse_number(&num)?;
    let mut label_chars = 1 + num.chars().count() + 1;
    let mut suffix = None;
    let mut tail = after;
    if let Some(s) = after.strip_prefix('之') {
        let sn: String = s
            .chars()
            .take_while(|c| is_chinese_numeral_char(*c))
            .collect();
        if let Some(v) = parse_number(&sn) {
            suffix = Some(v);
            label_chars += 1 + sn.chars().count();
            tail = &s[sn.len()..];
        }
    }
    // The head of a cross-reference, not a heading.
    if let Some(c) = tail.chars().next() {
        if matches!(
            c,
            '规' | '第' | '的' | '、' | '至' | '款' | '项' | '〔' | '所' | '，' | ','
        ) {
            return None;
        }
    }
    let space_chars = tail
        .chars()
        .take_while(|c| c.is_whitespace() || *c == '\u{3000}')
        .count();
    Some(ArticleStart {
        number,
        suffix,
        label_chars,
        space_chars,
    })
}

/// 第一编 / 第二章 / 第三节 heading lines: (kind, number, heading text).
pub fn container_heading(line: &str) -> Option<(UnitKind, u32, String)> {
    let rest = line.strip_prefix('第')?;
    let num: String = rest
        .chars()
        .take_while(|c| is_chinese_numeral_char(*c) || to_ascii_digit(*c).is_some())
        .collect();
    if num.is_empty() {
        return None;
    }
    let after = &rest[num.len()..];
    let mut chars = after.chars();
    let kind = match chars.next()? {
        '编' => UnitKind::Part,
        '章' => UnitKind::Chapter,
        '节' => UnitKind::LegalSection,
        _ => return None,
    };
    let heading: String = chars
        .as_str()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect();
    // A heading line is short and is not a sentence.
    if heading.chars().count() > 40
        || heading.contains('。')
        || heading.contains('，')
        || heading.starts_with('第')
        || heading.starts_with("规定")
    {
        return None;
    }
    Some((kind, parse_number(&num)?, heading))
}

/// （一） / (一) at the start of a line.
pub fn item_marker(line: &str) -> Option<(u32, usize)> {
    paren_marker(line, |s| {
        s.chars()
            .all(is_chinese_numeral_char)
            .then(|| parse_number(s))
            .flatten()
    })
}

/// （1） / (1) at the start of a line.
pub fn paren_arabic_marker(line: &str) -> Option<(u32, usize)> {
    paren_marker(line, |s| {
        s.chars()
            .all(|c| to_ascii_digit(c).is_some())
            .then(|| parse_number(s))
            .flatten()
    })
}

fn paren_marker(line: &str, parse: impl Fn(&str) -> Option<u32>) -> Option<(u32, usize)> {
    let mut chars = line.chars();
    let open = chars.next()?;
    if open != '（' && open != '(' {
        return None;
    }
    let rest = chars.as_str();
    let close = rest.find(['）', ')'])?;
    let inner = &rest[..close];
    if inner.is_empty() || inner.chars().count() > 4 {
        return None;
    }
    let n = parse(inner)?;
    let label_chars = 1 + inner.chars().count() + 1;
    Some((n, label_chars))
}

/// 1. / 1、 / 1．at the start of a line (not 1.1).
pub fn arabic_marker(line: &str) -> Option<(u32, usize)> {
    let digits: String = line
        .chars()
        .take_while(|c| to_ascii_digit(*c).is_some())
        .collect();
    if digits.is_empty() || digits.chars().count() > 3 {
        return None;
    }
    let after = &line[digits.len()..];
    let mut chars = after.chars();
    let sep = chars.next()?;
    if !matches!(sep, '.' | '．' | '、') {
        return None;
    }
    if chars.next().is_some_and(|c| to_ascii_digit(c).is_some()) {
        return None;
    }
    Some((parse_number(&digits)?, digits.chars().count() + 1))
}

/// 一、 at the start of a line.
pub fn cn_enum_marker(line: &str) -> Option<(u32, usize)> {
    let num: String = line
        .chars()
        .take_while(|c| is_chinese_numeral_char(*c))
        .collect();
    if num.is_empty() || num.chars().count() > 4 {
        return None;
    }
    let after = &line[num.len()..];
    if !after.starts_with('、') {
        return None;
    }
    Some((parse_number(&num)?, num.chars().count() + 1))
}

/// Dotted section numbers: `1.1　总体要求`, `3.2.2 …`, and `1　总则` as a short heading line.
pub fn dotted_marker(line: &str) -> Option<(Vec<u32>, usize)> {
    let mut parts = Vec::new();
    let mut chars_used = 0usize;
    let mut cur = String::new();
    let mut it = line.chars().peekable();
    while let Some(&c) = it.peek() {
        if to_ascii_digit(c).is_some() {
            cur.push(c);
        } else if (c == '.' || c == '．') && !cur.is_empty() {
            parts.push(parse_number(&cur)?);
            cur.clear();
        } else {
            break;
        }
        chars_used += 1;
        it.next();
    }
    if cur.is_empty() {
        return None;
    }
    parts.push(parse_number(&cur)?);
    let rest: String = it.collect();
    let starts_space = rest.starts_with(|c: char| c.is_whitespace() || c == '\u{3000}');
    let rest_trim = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    if rest_trim.is_empty() {
        return None;
    }
    if parts.len() == 1 {
        // `1　总则`: a bare number is only a heading on a short, sentence-less line.
        if !starts_space || rest_trim.chars().count() > 30 || rest_trim.contains('。') {
            return None;
        }
        if parts[0] > 50 {
            return None;
        }
    } else if parts.iter().any(|p| *p > 99) {
        return None;
    }
    // Years and quantities such as `2024年` are not headings.
    if rest_trim.starts_with(['年', '月', '日', '%', '万', '元', '人', '个', '号']) {
        return None;
    }
    Some((parts, chars_used))
}

/// Splits a heading text from a section line: the text before the first
/// sentence break, when short.
fn section_heading(rest: &str) -> Option<String> {
    let t = rest.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    if t.is_empty() {
        return None;
    }
    let cut = t.find(['。', '：', ':']).map(|i| &t[..i]).unwrap_or(t);
    let cut = cut.trim_end_matches(['；', ';', '，']);
    if cut.chars().count() <= 40 {
        Some(cut.to_string())
    } else {
        None
    }
}

fn strip_spaces(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect()
}

/// Output of structure parsing: units and problems noticed.
pub struct Parsed {
    pub units: Vec<Unit>,
    pub diagnostics: Vec<String>,
}

fn new_unit(
    id: String,
    kind: UnitKind,
    parent: Option<usize>,
    label: String,
    start: usize,
) -> Unit {
    Unit {
        id,
        kind,
        parent,
        label,
        heading: None,
        heading_path: Vec::new(),
        article: None,
        article_suffix: None,
        clause: None,
        item: None,
        section: None,
        span: (start, start),
        text: String::new(),
        responsible: Vec::new(),
        chunk: false,
    }
}

/// Counts the article starts that a legal parse would accept; used to decide
/// whether a document is structured by 条.
pub fn count_articles(lines: &[Line<'_>]) -> usize {
    let mut last = 0u32;
    let mut n = 0usize;
    for l in lines {
        if let Some(a) = article_start(l.text) {
            if accept_article(&a, last, n == 0) {
                last = a.number;
                n += 1;
            }
        }
    }
    n
}

fn accept_article(a: &ArticleStart, last: u32, first: bool) -> bool {
    if first {
        return a.suffix.is_none() && (a.number == 1 || a.space_chars > 0);
    }
    if a.suffix.is_some() {
        return a.number == last;
    }
    a.number == last + 1 || (a.space_chars > 0 && a.number > last && a.number <= last + 5)
}

fn is_annex_line(l: &str) -> bool {
    let t = strip_spaces(l);
    (t.starts_with("附件") || t.starts_with("附表") || t.starts_with("附录"))
        && t.chars().count() <= 40
        && !t.contains('。')
}

/// Parses a legal text (条-structured). `body_from` is the first line index
/// that may hold structure (lines before it are title and 题注).
pub fn parse_legal(doc_id: &str, lines: &[Line<'_>], body_from: usize) -> Parsed {
    let mut units: Vec<Unit> = Vec::new();
    let mut diagnostics = Vec::new();
    // Open containers: (kind, unit index).
    let mut containers: Vec<(UnitKind, usize)> = Vec::new();
    let mut article: Option<usize> = None;
    let mut clause: Option<usize> = None;
    let mut item: Option<usize> = None;
    let mut last_article = 0u32;
    let mut n_articles = 0usize;
    let mut clause_no = 0u32;
    let mut last_item = 0u32;
    let mut last_sub = 0u32;
    let mut in_annex = false;
    let mut annex_no = 0u32;

    let extend = |units: &mut Vec<Unit>, open: &[Option<usize>], end: usize| {
        for i in open.iter().flatten() {
            units[*i].span.1 = end;
        }
    };

    for line in lines.iter().skip(body_from) {
        let text = line.text;
        if is_annex_line(text) && n_articles > 0 {
            annex_no += 1;
            in_annex = true;
            article = None;
            clause = None;
            item = None;
            containers.clear();
            let mut u = new_unit(
                format!("{doc_id}#annex{annex_no}"),
                UnitKind::Section,
                None,
                strip_spaces(text),
                line.start,
            );
            u.heading = Some(strip_spaces(text));
            u.chunk = true;
            u.span.1 = line.end;
            units.push(u);
            continue;
        }
        if in_annex {
            if let Some(last) = units.last_mut() {
                last.span.1 = line.end;
            }
            continue;
        }
        if let Some((kind, number, heading)) = container_heading(text) {
            // Close the article and any container at the same or a lower rank.
            article = None;
            clause = None;
            item = None;
            let rank = |k: UnitKind| match k {
                UnitKind::Part => 0,
                UnitKind::Chapter => 1,
                _ => 2,
            };
            while containers
                .last()
                .is_some_and(|(k, _)| rank(*k) >= rank(kind))
            {
                containers.pop();
            }
            let parent = containers.last().map(|(_, i)| *i);
            let prefix = match parent {
                Some(p) => units[p].id.clone(),
                None => format!("{doc_id}#"),
            };
            let sep = if parent.is_some() { "." } else { "" };
            let tag = match kind {
                UnitKind::Part => "part",
                UnitKind::Chapter => "ch",
                _ => "s",
            };
            let label_end = text.find(['编', '章', '节']).map(|i| i + 3).unwrap_or(0);
            let label = text[..label_end].to_string();
            let mut u = new_unit(
                format!("{prefix}{sep}{tag}{number}"),
                kind,
                parent,
                label.clone(),
                line.start,
            );
            u.heading = Some(heading.clone());
            u.heading_path = containers
                .iter()
                .map(|(_, i)| full_heading(&units[*i]))
                .collect();
            u.span.1 = line.end;
            let idx = units.len();
            units.push(u);
            containers.push((kind, idx));
            let open: Vec<Option<usize>> = containers.iter().map(|(_, i)| Some(*i)).collect();
            extend(&mut units, &open, line.end);
            continue;
        }
        if let Some(a) = article_start(text) {
            if accept_article(&a, last_article, n_articles == 0) {
                if n_articles > 0 && a.suffix.is_none() && a.number != last_article + 1 {
                    diagnostics.push(format!(
                        "条号不连续：第{}条之后是第{}条",
                        last_article, a.number
                    ));
                }
                last_article = a.number;
                n_articles += 1;
                let parent = containers.last().map(|(_, i)| *i);
                let num_id = match a.suffix {
                    Some(s) => format!("{}-{}", a.number, s),
                    None => a.number.to_string(),
                };
                let label: String = text.chars().take(a.label_chars).collect();
                let mut u = new_unit(
                    format!("{doc_id}#art{num_id}"),
                    UnitKind::Article,
                    parent,
                    label,
                    line.start,
                );
                u.article = Some(a.number);
                u.article_suffix = a.suffix;
                u.heading_path = containers
                    .iter()
                    .map(|(_, i)| full_heading(&units[*i]))
                    .collect();
                u.chunk = true;
                u.span.1 = line.end;
                let aidx = units.len();
                units.push(u);
                article = Some(aidx);
                clause = None;
                item = None;
                clause_no = 0;
                last_item = 0;
                last_sub = 0;
                let body_offset = a.label_chars + a.space_chars;
                if text.chars().count() > body_offset {
                    clause_no = 1;
                    let mut c = sub_unit(
                        &units[aidx],
                        format!("{}.c1", units[aidx].id),
                        UnitKind::Clause,
                        "第一款".into(),
                        line.start + body_offset,
                    );
                    c.clause = Some(1);
                    c.span.1 = line.end;
                    clause = Some(units.len());
                    c.parent = Some(aidx);
                    units.push(c);
                }
                let open: Vec<Option<usize>> = containers.iter().map(|(_, i)| Some(*i)).collect();
                extend(&mut units, &open, line.end);
                continue;
            }
        }
        let Some(aidx) = article else {
            // Text before the first article or between a heading and it.
            continue;
        };
        if let Some((n, label_chars)) = item_marker(text) {
            if clause.is_some() && (n == last_item + 1 || n == 1) {
                let cidx = clause.unwrap_or(aidx);
                last_item = n;
                last_sub = 0;
                let label: String = text.chars().take(label_chars).collect();
                let mut u = sub_unit(
                    &units[cidx],
                    format!("{}.i{}", units[cidx].id, n),
                    UnitKind::Item,
                    label,
                    line.start,
                );
                u.item = Some(n);
                u.parent = Some(cidx);
                item = Some(units.len());
                units.push(u);
                let open = open_set(&containers, article, clause, item, None);
                extend(&mut units, &open, line.end);
                continue;
            }
        }
        if let Some((n, label_chars)) = arabic_marker(text).or_else(|| paren_arabic_marker(text)) {
            let host = item.or(clause);
            if let Some(h) = host {
                if n == last_sub + 1 || n == 1 {
                    last_sub = n;
                    let label: String = text.chars().take(label_chars).collect();
                    let mut u = sub_unit(
                        &units[h],
                        format!("{}.m{}", units[h].id, n),
                        UnitKind::SubItem,
                        label,
                        line.start,
                    );
                    u.parent = Some(h);
                    let sub = Some(units.len());
                    units.push(u);
                    let open = open_set(&containers, article, clause, item, sub);
                    extend(&mut units, &open, line.end);
                    continue;
                }
            }
        }
        // A new 款.
        clause_no += 1;
        let mut c = sub_unit(
            &units[aidx],
            format!("{}.c{}", units[aidx].id, clause_no),
            UnitKind::Clause,
            format!("第{}款", crate::numerals::to_chinese(clause_no)),
            line.start,
        );
        c.clause = Some(clause_no);
        c.parent = Some(aidx);
        clause = Some(units.len());
        item = None;
        last_item = 0;
        last_sub = 0;
        units.push(c);
        let open = open_set(&containers, article, clause, item, None);
        extend(&mut units, &open, line.end);
    }
    Parsed { units, diagnostics }
}

fn open_set(
    containers: &[(UnitKind, usize)],
    article: Option<usize>,
    clause: Option<usize>,
    item: Option<usize>,
    sub: Option<usize>,
) -> Vec<Option<usize>> {
    let mut v: Vec<Option<usize>> = containers.iter().map(|(_, i)| Some(*i)).collect();
    v.extend([article, clause, item, sub]);
    v
}

/// A unit nested in an article: inherits the article's numbering and path.
fn sub_unit(parent: &Unit, id: String, kind: UnitKind, label: String, start: usize) -> Unit {
    let mut u = new_unit(id, kind, None, label, start);
    u.article = parent.article;
    u.article_suffix = parent.article_suffix;
    u.clause = parent.clause;
    u.item = parent.item;
    u.heading_path = parent.heading_path.clone();
    u.heading_path.push(match parent.kind {
        UnitKind::Article => parent.label.clone(),
        _ => parent.label.clone(),
    });
    u
}

fn full_heading(u: &Unit) -> String {
    match &u.heading {
        Some(h) if !h.is_empty() => format!("{} {}", strip_spaces(&u.label), h),
        _ => strip_spaces(&u.label),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Marker {
    CnEnum,
    ParenCn,
    Dotted(usize),
    Arabic,
    ParenArabic,
}

struct Open {
    marker: Marker,
    number: u32,
    dotted: Vec<u32>,
    unit: usize,
}

fn detect_marker(text: &str) -> Option<(Marker, u32, Vec<u32>, usize)> {
    if let Some((n, l)) = cn_enum_marker(text) {
        return Some((Marker::CnEnum, n, vec![], l));
    }
    if let Some((n, l)) = item_marker(text) {
        return Some((Marker::ParenCn, n, vec![], l));
    }
    if let Some((n, l)) = paren_arabic_marker(text) {
        return Some((Marker::ParenArabic, n, vec![], l));
    }
    if let Some((parts, l)) = dotted_marker(text) {
        if parts.len() >= 2 || arabic_marker(text).is_none() {
            let n = *parts.last().unwrap_or(&0);
            return Some((Marker::Dotted(parts.len()), n, parts, l));
        }
    }
    if let Some((n, l)) = arabic_marker(text) {
        return Some((Marker::Arabic, n, vec![], l));
    }
    None
}

/// Parses numbered sections (plans, work plans, case files, policy documents).
pub fn parse_sections(doc_id: &str, lines: &[Line<'_>], body_from: usize) -> Parsed {
    let mut units: Vec<Unit> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut first_unit_line: Option<usize> = None;

    for (li, line) in lines.iter().enumerate().skip(body_from) {
        let text = line.text;
        if let Some((marker, n, dotted, label_chars)) = detect_marker(text) {
            let pos = stack.iter().position(|o| o.marker == marker);
            let ok = match (&marker, pos) {
                (Marker::Dotted(d), _) => {
                    // 3.2.2 needs 3.2 open (or no dotted parent at all for depth 1),
                    // and numbering consecutive with its previous sibling.
                    let parent_ok = if *d == 1 {
                        true
                    } else {
                        stack.iter().any(|o| {
                            o.marker == Marker::Dotted(d - 1) && o.dotted == dotted[..d - 1]
                        })
                    };
                    let sibling = stack.iter().find(|o| o.marker == marker);
                    let seq_ok = match sibling {
                        Some(s) if s.dotted[..d - 1] == dotted[..d - 1] => n == s.number + 1,
                        _ => n == 1,
                    };
                    parent_ok && seq_ok
                }
                (_, Some(p)) => n == stack[p].number + 1,
                (_, None) => n == 1,
            };
            if ok {
                // Pop to the level of this marker (its sibling), or stay as child.
                match &marker {
                    Marker::Dotted(d) => {
                        if let Some(p) = stack.iter().position(|o| match o.marker {
                            Marker::Dotted(e) => e >= *d,
                            _ => false,
                        }) {
                            stack.truncate(p);
                        }
                    }
                    _ => {
                        if let Some(p) = pos {
                            stack.truncate(p);
                        }
                    }
                }
                let parent = stack.last().map(|o| o.unit);
                let section = match &marker {
                    Marker::Dotted(_) => dotted
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join("."),
                    _ => match parent.and_then(|p| units[p].section.clone()) {
                        Some(ps) => format!("{ps}.{n}"),
                        None => n.to_string(),
                    },
                };
                let label: String = text.chars().take(label_chars).collect();
                let rest: String = text.chars().skip(label_chars).collect();
                let mut u = new_unit(
                    format!("{doc_id}#sec{section}"),
                    UnitKind::Section,
                    parent,
                    strip_spaces(&label),
                    line.start,
                );
                u.heading = section_heading(&rest);
                u.heading_path = stack.iter().map(|o| full_heading(&units[o.unit])).collect();
                u.section = Some(section);
                let depth = stack.len();
                u.chunk = match marker {
                    Marker::CnEnum | Marker::ParenCn | Marker::Dotted(_) => true,
                    Marker::Arabic | Marker::ParenArabic => depth == 0,
                };
                let idx = units.len();
                units.push(u);
                stack.push(Open {
                    marker,
                    number: n,
                    dotted,
                    unit: idx,
                });
                first_unit_line.get_or_insert(li);
            }
        }
        for o in &stack {
            units[o.unit].span.1 = line.end;
        }
    }
    // Sections with the same id (a numbering restart the checks let through)
    // get a distinguishing suffix so ids stay unique.
    let mut seen = std::collections::HashMap::new();
    for u in units.iter_mut() {
        let count = seen.entry(u.id.clone()).or_insert(0u32);
        *count += 1;
        if *count > 1 {
            u.id = format!("{}~{}", u.id, count);
        }
    }
    Parsed {
        units,
        diagnostics: Vec::new(),
    }
}

/// Fills each unit's `text` from its span.
pub fn fill_text(text: &str, units: &mut [Unit]) {
    let chars: Vec<char> = text.chars().collect();
    for u in units.iter_mut() {
        let (a, b) = (u.span.0.min(chars.len()), u.span.1.min(chars.len()));
        u.text = chars[a..b.max(a)].iter().collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_labels() {
        let a = article_start("第二十一条 生产经营单位").unwrap();
        assert_eq!(
            (a.number, a.suffix, a.label_chars, a.space_chars),
            (21, None, 5, 1)
        );
        let a = article_start("第一条为了加强").unwrap();
        assert_eq!((a.number, a.space_chars), (1, 0));
        let a = article_start("第十七条之一　内容").unwrap();
        assert_eq!((a.number, a.suffix, a.label_chars), (17, Some(1), 6));
        assert_eq!(article_start("第16条 内容").map(|a| a.number), Some(16));
        assert!(article_start("第十条规定的情形").is_none());
        assert!(article_start("第十条第二款").is_none());
        assert!(article_start("第十条、第十一条").is_none());
        assert!(article_start("第三章 总则").is_none());
    }

    #[test]
    fn containers() {
        assert_eq!(
            container_heading("第一章　总　　则"),
            Some((UnitKind::Chapter, 1, "总则".into()))
        );
        assert_eq!(
            container_heading("第二节一般规定"),
            Some((UnitKind::LegalSection, 2, "一般规定".into()))
        );
        assert!(container_heading("第二章规定的事项，应当报告。").is_none());
    }

    #[test]
    fn markers() {
        assert_eq!(item_marker("（一）遵守"), Some((1, 3)));
        assert_eq!(item_marker("(十二)内容"), Some((12, 4)));
        assert_eq!(paren_arabic_marker("（3）内容"), Some((3, 3)));
        assert_eq!(arabic_marker("1. 内容"), Some((1, 2)));
        assert_eq!(arabic_marker("1.1 内容"), None);
        assert_eq!(cn_enum_marker("三、保障措施"), Some((3, 2)));
        assert_eq!(dotted_marker("3.2.2　分级响应"), Some((vec![3, 2, 2], 5)));
        assert_eq!(dotted_marker("1　总则"), Some((vec![1], 1)));
        assert_eq!(dotted_marker("2024年全年"), None);
        assert_eq!(dotted_marker("1 这是一句很长的句子，它不是标题。"), None);
    }
}
