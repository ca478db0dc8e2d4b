//! When an answer sentence is supported by a provision.
//!
//! The overlap rule: a sentence is supported by a provision when at least
//! [`SUPPORT_OVERLAP`] of its content character bigrams — the sentence
//! without its citations, punctuation and a few function words — occur in
//! the provision's text, or the sentence is mostly a verbatim quote of it
//! (what stands outside the quote must itself reach the overlap); every
//! number it states (time limits, amounts, counts, measures, percentages,
//! bare Arabic figures) occurs in that text, in Arabic or Chinese numerals,
//! and not with the opposite bound (5万元以下 against 5万元以上); and it does
//! not turn the provision's direction around (可以/无需 where the provision
//! says 不得/应当, or the reverse).

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
                // Skip the provision label that follows (第二十一条第一款,
                // or a plan's section number: 》3.2, 》4.3.2).
                let mut j = i + 1;
                if chars.get(j).is_some_and(|c| c.is_ascii_digit()) {
                    while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                        j += 1;
                    }
                } else if chars.get(j) == Some(&'第') {
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

/// A number a sentence states, with the unit that follows it and the bound
/// it is stated with (`≥` for 以上/不少于, `≤` for 以下/以内/不超过, or none).
#[derive(Debug, Clone, PartialEq)]
pub struct Stated {
    pub raw: String,
    pub value: f64,
    /// Empty for a bare Arabic figure (matched by value alone).
    pub unit: String,
    pub bound: &'static str,
}

/// Units a figure may carry, longest first where one is a prefix of another.
const UNITS: [&str; 36] = [
    "个小时",
    "小时",
    "分钟",
    "个工作日",
    "工作日",
    "日",
    "天",
    "周",
    "个月",
    "年",
    "万元",
    "亿元",
    "元",
    "人",
    "名",
    "次",
    "倍",
    "%",
    "平方米",
    "立方米",
    "千米",
    "公里",
    "米",
    "千克",
    "公斤",
    "万吨",
    "吨",
    "公顷",
    "级",
    "层",
    "岁",
    "项",
    "户",
    "台",
    "辆",
    "家",
];

const UPPER: [&str; 6] = ["以下", "以内", "之内", "内", "不超过", "不得超过"];
const LOWER: [&str; 4] = ["以上", "不少于", "不低于", "不得少于"];

fn bound_at(before: &str, after: &str) -> &'static str {
    if LOWER
        .iter()
        .any(|w| after.starts_with(w) || before.ends_with(w))
    {
        "≥"
    } else if UPPER
        .iter()
        .any(|w| after.starts_with(w) || before.ends_with(w))
    {
        "≤"
    } else {
        ""
    }
}

/// Numbers with their units in a text (1小时, 二十四小时, 5万元, 百分之四十,
/// 3米, and bare Arabic figures). A Chinese numeral with no unit is left
/// out: 一般, 三级 as words are too common to be figures.
pub fn numbers(text: &str) -> Vec<Stated> {
    let c: Vec<char> = strip_citations(text).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let window = |from: usize, to: usize| -> String {
        c[from.min(c.len())..to.min(c.len())].iter().collect()
    };
    while i < c.len() {
        // 百分之N: a percentage in words.
        let percent = window(i, i + 3) == "百分之";
        let start = if percent { i + 3 } else { i };
        if start >= c.len() {
            break;
        }
        let starts_num = to_ascii_digit(c[start]).is_some()
            || (is_chinese_numeral_char(c[start]) && c[start] != '万');
        let prev_num = !percent
            && i > 0
            && (to_ascii_digit(c[i - 1]).is_some() || is_chinese_numeral_char(c[i - 1]));
        if !starts_num || prev_num {
            i += 1;
            continue;
        }
        let Some(q) = quantity_at(&c, start) else {
            i += 1;
            continue;
        };
        let before = window(i.saturating_sub(4), i);
        let rest = window(q.end, q.end + 4);
        let unit = if percent {
            Some("%")
        } else {
            UNITS.iter().find(|u| rest.starts_with(*u)).copied()
        };
        let arabic = to_ascii_digit(c[start]).is_some();
        match unit {
            Some(u) => {
                let end = if percent {
                    q.end
                } else {
                    q.end + u.chars().count()
                };
                let (value, unit) = match u {
                    "万元" => (q.value * 1e4, "元"),
                    "亿元" => (q.value * 1e8, "元"),
                    "万吨" => (q.value * 1e4, "吨"),
                    "个小时" => (q.value, "小时"),
                    "个工作日" => (q.value, "工作日"),
                    "天" => (q.value, "日"),
                    "个月" => (q.value, "月"),
                    "名" => (q.value, "人"),
                    "公里" => (q.value, "千米"),
                    "公斤" => (q.value, "千克"),
                    u => (q.value, u),
                };
                // A lone 一 (一人, 一项) is an article, not a figure, unless
                // it is a period (一小时, 一日, 一年).
                let raw: String = c[i..end].iter().collect();
                let lone_one = q.value == 1.0
                    && c[start] == '一'
                    && !matches!(unit, "小时" | "日" | "工作日" | "周" | "月" | "年" | "分钟");
                if !lone_one {
                    out.push(Stated {
                        raw,
                        value,
                        unit: unit.to_string(),
                        bound: bound_at(&before, &window(end, end + 4)),
                    });
                }
                i = end;
            }
            None if arabic => {
                out.push(Stated {
                    raw: c[start..q.end].iter().collect(),
                    value: q.value,
                    unit: String::new(),
                    bound: bound_at(&before, &rest),
                });
                i = q.end.max(i + 1);
            }
            None => i = q.end.max(i + 1),
        }
    }
    out
}

/// The numbers of `sentence` that `text` does not state (same value and
/// unit — a bare figure matches any unit — and no opposite bound).
pub fn numbers_not_in(sentence: &str, text: &str) -> Vec<String> {
    let have = numbers(text);
    numbers(sentence)
        .into_iter()
        .filter(|n| {
            !have.iter().any(|h| {
                (h.unit == n.unit || n.unit.is_empty())
                    && (h.value - n.value).abs() < 1e-6
                    && (h.bound == n.bound || h.bound.is_empty() || n.bound.is_empty())
            })
        })
        .map(|n| n.raw)
        .collect()
}

/// The sentence with its quoted passages (“…”) left out.
pub fn strip_quotes(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '“' => depth += 1,
            '”' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Content characters (letters and digits) of a sentence, citations left out.
pub fn content_len(s: &str) -> usize {
    strip_citations(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .count()
}

const PROHIBIT: [&str; 6] = ["不得", "禁止", "严禁", "不准", "不许", "不应"];
const PERMIT: [&str; 6] = ["可以", "允许", "无需", "不必", "不需要", "不用"];
const DUTY: [&str; 2] = ["应当", "必须"];

/// Whether `sentence` reverses the direction of the clause of `text` it
/// matches best: it permits or waives what the clause forbids or requires,
/// or forbids what the clause permits.
pub fn polarity_conflict(sentence: &str, text: &str) -> bool {
    let s = strip_citations(sentence);
    let Some(clause) = text
        .split(['。', '；', '\n'])
        .filter(|c| !c.trim().is_empty())
        .max_by(|a, b| overlap(&s, a).total_cmp(&overlap(&s, b)))
    else {
        return false;
    };
    let has = |t: &str, ws: &[&str]| ws.iter().any(|w| t.contains(w));
    let s_prohibit = has(&s, &PROHIBIT);
    let s_permit = has(&s, &PERMIT) && !s_prohibit;
    let c_prohibit = has(clause, &PROHIBIT);
    let c_permit = has(clause, &PERMIT);
    let c_duty = has(clause, &DUTY);
    (s_permit && (c_prohibit || c_duty) && !c_permit)
        || (s_prohibit && c_permit && !c_prohibit && !c_duty)
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
    fn numbers_beyond_time_and_money_are_checked() {
        let law = "每班不少于2名安全员，作业高度超过3米的，安全生产许可证的有效期为3年，抽查比例不低于百分之十。";
        assert!(numbers_not_in("每班不少于2名安全员。", law).is_empty());
        assert_eq!(numbers_not_in("每班不少于1名安全员。", law), vec!["1名"]);
        assert_eq!(numbers_not_in("作业高度超过5米的。", law), vec!["5米"]);
        assert_eq!(numbers_not_in("有效期一年。", law), vec!["一年"]);
        assert_eq!(
            numbers_not_in("抽查比例百分之二十。", law),
            vec!["百分之二十"]
        );
        assert!(numbers_not_in("抽查比例不低于10%。", law).is_empty());
        assert_eq!(numbers_not_in("共计7处。", law), vec!["7"]);
        // The opposite bound is not the same figure.
        let fine = "处五万元以上十万元以下的罚款。";
        assert!(numbers_not_in("罚款5万元以上。", fine).is_empty());
        assert_eq!(numbers_not_in("罚款5万元以下。", fine), vec!["5万元"]);
    }

    #[test]
    fn reversing_a_provision_is_a_conflict() {
        let law = "生产经营单位不得关闭、破坏直接关系生产安全的监控、报警设备。";
        assert!(polarity_conflict("单位可以关闭误报的报警设备。", law));
        assert!(!polarity_conflict("单位不得关闭报警设备。", law));
        let duty = "生产经营单位应当制定本单位生产安全事故应急救援预案。";
        assert!(polarity_conflict(
            "生产经营单位无需制定应急救援预案。",
            duty
        ));
        assert!(!polarity_conflict(
            "生产经营单位应当制定应急救援预案。",
            duty
        ));
        let may = "县级以上人民政府可以组织有关部门进行检查。";
        assert!(polarity_conflict("县级以上人民政府不得组织检查。", may));
    }

    #[test]
    fn quotes_are_stripped() {
        assert_eq!(strip_quotes("依据“报警设备”，可以关掉"), "依据，可以关掉");
        assert_eq!(content_len("见《安全生产法》第五条，应当报告。"), 5);
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
        assert_eq!(
            strip_citations("启动响应（《某区预案》3.2）。"),
            "启动响应。"
        );
        assert!(numbers_not_in("启动响应（《某区预案》3.2）。", "启动响应").is_empty());
    }
}
