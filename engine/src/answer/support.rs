//! When an answer sentence is supported by a provision.
//!
//! The overlap rule: a sentence is supported by a provision when at least
//! [`SUPPORT_OVERLAP`] of its content character bigrams — the sentence
//! without its citations, punctuation and a few function words — occur in
//! the provision's text, or the sentence quotes the provision verbatim; and
//! every number it states (time limits, amounts, counts) occurs in that
//! text, in Arabic or Chinese numerals.

use emkg_ingest::numerals::{is_chinese_numeral_char, quantity_at, to_ascii_digit};
use std::collections::HashSet;

/// Share of a sentence's content bigrams a provision must contain.
pub const SUPPORT_OVERLAP: f32 = 0.4;

/// Splits an answer into sentences (at 。！？；and line ends). A piece that
/// is only a citation (…负责调查。（《条例》第十九条）) belongs to the sentence
/// before it.
pub fn sentences(text: &str) -> Vec<String> {
    let mut raw = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '。' | '！' | '？' | '；' | '\n') {
            raw.push(std::mem::take(&mut cur));
        }
    }
    raw.push(cur);
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let t = r.trim();
        if !t.chars().any(|c| c.is_alphanumeric()) {
            continue;
        }
        let content = strip_citations(t);
        if !content.chars().any(|c| c.is_alphanumeric()) {
            if let Some(prev) = out.last_mut() {
                prev.push_str(t);
                continue;
            }
        }
        out.push(t.to_string());
    }
    out
}

/// The sentence without its citations (《X》第N条, （…） after them).
pub fn strip_citations(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '《' {
            depth += 1;
        }
        if depth > 0 {
            if c == '》' {
                depth -= 1;
                // Skip the provision label that follows (第二十一条第一款).
                let mut j = i + 1;
                if chars.get(j) == Some(&'第') {
                    while j < chars.len()
                        && !matches!(
                            chars[j],
                            '，' | '。' | '）' | ')' | '、' | '；' | '“' | '和'
                        )
                    {
                        j += 1;
                    }
                }
                i = j;
                continue;
            }
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    // Empty brackets left behind: （）.
    out.replace("（）", "").replace("()", "")
}

const FUNCTION: &str = "的了是在和与或及也都就对把被将其之而等应当依据根据按照规定";

fn content_bigrams(s: &str) -> HashSet<(char, char)> {
    let c: Vec<char> = s
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
        .filter(|c| !"，。；：、！？（）“”《》「」【】—…".contains(*c))
        .collect();
    c.windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| !(FUNCTION.contains(*a) && FUNCTION.contains(*b)))
        .collect()
}

/// Share of `sentence`'s content bigrams found in `text`.
pub fn overlap(sentence: &str, text: &str) -> f32 {
    let s = content_bigrams(&strip_citations(sentence));
    if s.is_empty() {
        return 0.0;
    }
    let t = content_bigrams(text);
    s.intersection(&t).count() as f32 / s.len() as f32
}

/// A number a sentence states, with the unit that follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stated {
    pub raw: String,
    pub value: f64,
    pub unit: String,
}

const UNITS: [&str; 14] = [
    "个小时",
    "小时",
    "个工作日",
    "工作日",
    "日",
    "天",
    "个月",
    "年",
    "万元",
    "亿元",
    "元",
    "人",
    "倍",
    "%",
];

/// Numbers with their units in a text (1小时, 二十四小时, 5万元, 百分之四十
/// is left out: only digits and plain numerals followed by a unit).
pub fn numbers(text: &str) -> Vec<Stated> {
    let c: Vec<char> = strip_citations(text).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let starts_num =
            to_ascii_digit(c[i]).is_some() || (is_chinese_numeral_char(c[i]) && c[i] != '万');
        let prev_num =
            i > 0 && (to_ascii_digit(c[i - 1]).is_some() || is_chinese_numeral_char(c[i - 1]));
        if !starts_num || prev_num {
            i += 1;
            continue;
        }
        let Some(q) = quantity_at(&c, i) else {
            i += 1;
            continue;
        };
        let rest: String = c[q.end..(q.end + 4).min(c.len())].iter().collect();
        if let Some(u) = UNITS.iter().find(|u| rest.starts_with(*u)) {
            let end = q.end + u.chars().count();
            let (value, unit) = match *u {
                "万元" => (q.value * 1e4, "元"),
                "亿元" => (q.value * 1e8, "元"),
                "个小时" => (q.value, "小时"),
                "个工作日" => (q.value, "工作日"),
                "天" => (q.value, "日"),
                "个月" => (q.value, "月"),
                u => (q.value, u),
            };
            // A lone 一 (一人, 一日) is an article, not a figure, unless it is a time limit.
            let raw: String = c[i..end].iter().collect();
            if !(q.value == 1.0 && c[i] == '一' && !matches!(unit, "小时" | "日")) {
                out.push(Stated {
                    raw,
                    value,
                    unit: unit.to_string(),
                });
            }
            i = end;
        } else {
            i = q.end.max(i + 1);
        }
    }
    out
}

/// The numbers of `sentence` that `text` does not state.
pub fn numbers_not_in(sentence: &str, text: &str) -> Vec<String> {
    let have = numbers(text);
    numbers(sentence)
        .into_iter()
        .filter(|n| {
            !have
                .iter()
                .any(|h| h.unit == n.unit && (h.value - n.value).abs() < 1e-6)
        })
        .map(|n| n.raw)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_across_numeral_forms() {
        let law = "单位负责人接到报告后，应当于1小时内报告；每级上报的时间不得超过二小时；处五万元以上十万元以下的罚款。";
        assert!(numbers_not_in("单位负责人应在一小时内报告。", law).is_empty());
        assert!(numbers_not_in("每级不超过2小时，罚款5万元以上。", law).is_empty());
        assert_eq!(
            numbers_not_in("应当在3小时内报告。", law),
            vec!["3小时".to_string()]
        );
        assert_eq!(
            numbers_not_in("罚款20万元。", law),
            vec!["20万元".to_string()]
        );
    }

    #[test]
    fn overlap_ignores_citations() {
        let law =
            "生产经营单位的主要负责人是本单位安全生产第一责任人，对本单位的安全生产工作全面负责。";
        let s = "主要负责人对本单位安全生产工作全面负责（《中华人民共和国安全生产法》第五条）。";
        assert!(overlap(s, law) >= SUPPORT_OVERLAP, "{}", overlap(s, law));
        assert!(overlap("发生火灾应当立即拨打119报警。", law) < SUPPORT_OVERLAP);
        assert_eq!(
            strip_citations("见《安全生产法》第五条，应当报告。"),
            "见，应当报告。"
        );
    }
}
