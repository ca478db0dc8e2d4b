//! The hard rule of every draft: each number, date, time, place, person or
//! organisation name it states comes from the input facts or from a cited
//! provision. Applied after generation to template and model text alike.
//!
//! A sentence that states something no source states is struck whole and
//! reported: a half-edited sentence with a hole where a figure was would
//! read as a different claim. Citations (《X》第N条) are left to the
//! citation checker, which verifies them against the stored units.
//!
//! What counts as stated:
//! - a figure (Arabic or Chinese numerals, with its unit: 人, 元/万元, 小时,
//!   年/月/日/时/分 …) when a source states the same value with the same
//!   unit, or either side gives the bare figure;
//! - a name — a span ending in a place or organisation word (省 市 区 县 镇
//!   村 路 街 号 大厦 小区 …, 公司 厂 局 中心 医院 学校 支队 …) or a person
//!   named with a title or 某 — when a source contains it verbatim.

use crate::answer::support::sentences;
use emkg_ingest::numerals::{is_chinese_numeral_char, quantity_at, to_ascii_digit};
use serde::{Deserialize, Serialize};

/// A text the draft may take facts from.
#[derive(Debug, Clone)]
pub struct Source {
    /// 输入事实 / 《生产安全事故报告和调查处理条例》第十二条 / 模板 …
    pub origin: String,
    pub text: String,
}

impl Source {
    pub fn new(origin: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            origin: origin.into(),
            text: text.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    Number,
    Date,
    Place,
    Organisation,
    Person,
    /// A citation the store does not hold.
    Citation,
}

impl FactKind {
    pub fn label(self) -> &'static str {
        match self {
            FactKind::Number => "数字",
            FactKind::Date => "日期时间",
            FactKind::Place => "地点",
            FactKind::Organisation => "单位名称",
            FactKind::Person => "人名",
            FactKind::Citation => "引用",
        }
    }
}

/// A fact a text states.
#[derive(Debug, Clone, PartialEq)]
pub struct Stated {
    pub kind: FactKind,
    pub raw: String,
    /// Figures: the value (万元 as 元) and the normalised unit.
    pub value: Option<f64>,
    pub unit: String,
}

/// What the check struck, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Struck {
    /// The sentence removed.
    pub sentence: String,
    /// The item no source states.
    pub item: String,
    pub kind: FactKind,
    /// 中文说明.
    pub reason: String,
}

/// Units a figure may carry, longest first where one is a prefix of another.
const UNITS: &[&str] = &[
    "个小时",
    "小时",
    "分钟",
    "个工作日",
    "工作日",
    "个月",
    "万元",
    "亿元",
    "元",
    "平方米",
    "立方米",
    "千米",
    "公里",
    "千克",
    "公斤",
    "万吨",
    "吨",
    "公顷",
    "米",
    "人",
    "名",
    "位",
    "次",
    "倍",
    "%",
    "级",
    "层",
    "岁",
    "项",
    "户",
    "台",
    "辆",
    "家",
    "间",
    "栋",
    "座",
    "处",
    "头",
    "周",
    "天",
    // Dates and times of day.
    "年",
    "月",
    "日",
    "号",
    "时",
    "点",
    "分",
    "秒",
];

/// The unit a figure is compared by (名 and 人 are one unit, 万元 is 元).
fn canonical(unit: &str, value: f64) -> (f64, &'static str) {
    match unit {
        "万元" => (value * 1e4, "元"),
        "亿元" => (value * 1e8, "元"),
        "万吨" => (value * 1e4, "吨"),
        "个小时" | "小时" => (value, "小时"),
        "个工作日" => (value, "工作日"),
        "天" => (value, "日"),
        "名" | "位" => (value, "人"),
        "公里" => (value, "千米"),
        "公斤" => (value, "千克"),
        "点" => (value, "时"),
        u => (
            value,
            UNITS.iter().find(|x| **x == u).copied().unwrap_or(""),
        ),
    }
}

/// The text without its citations: a 《title》 and the provision label right
/// after it (第九条第一款第（二）项, 之一, or a plan's 4.3.2). Only that: what
/// follows the label is checked like any text.
pub fn strip_citations(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < c.len() {
        if c[i] == '《' {
            if let Some(close) = c[i + 1..(i + 80).min(c.len())]
                .iter()
                .position(|x| *x == '》')
            {
                let mut j = i + 1 + close + 1;
                // The provision label.
                if c.get(j).is_some_and(|x| x.is_ascii_digit()) {
                    while j < c.len() && (c[j].is_ascii_digit() || c[j] == '.') {
                        j += 1;
                    }
                } else {
                    loop {
                        let start = j;
                        if c.get(j) == Some(&'第') {
                            let mut k = j + 1;
                            let paren = c.get(k) == Some(&'（');
                            if paren {
                                k += 1;
                            }
                            let digits = k;
                            while k < c.len()
                                && (is_chinese_numeral_char(c[k]) || c[k].is_ascii_digit())
                            {
                                k += 1;
                            }
                            if paren && c.get(k) == Some(&'）') {
                                k += 1;
                            }
                            if k > digits
                                && matches!(c.get(k), Some('条' | '款' | '项' | '目' | '章' | '节'))
                            {
                                j = k + 1;
                            }
                        } else if c.get(j) == Some(&'之')
                            && c.get(j + 1).is_some_and(|x| is_chinese_numeral_char(*x))
                        {
                            j += 2;
                        }
                        if j == start {
                            break;
                        }
                    }
                }
                out.push(' ');
                i = j;
                continue;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

fn is_date_unit(u: &str) -> bool {
    matches!(u, "年" | "月" | "日" | "号" | "时" | "点" | "分" | "秒")
}

/// Dates and clock times written with dashes and colons (2014-04-07
/// 03:45:00, a report's timestamp line) as the figures they state, each
/// with its unit: 2014年, 4月, 7日, 3时, 45分.
fn dashed_figures(text: &str) -> Vec<Stated> {
    let c: Vec<char> = text.chars().collect();
    let num = |from: usize| -> Option<(u32, usize)> {
        let mut k = from;
        while k < c.len() && to_ascii_digit(c[k]).is_some() && k - from < 4 {
            k += 1;
        }
        if k == from {
            return None;
        }
        let s: String = c[from..k]
            .iter()
            .map(|x| to_ascii_digit(*x).map_or('0', |d| char::from(b'0' + d as u8)))
            .collect();
        Some((s.parse().ok()?, k))
    };
    let mut out = Vec::new();
    let push = |out: &mut Vec<Stated>, v: u32, unit: &str| {
        out.push(Stated {
            kind: FactKind::Date,
            raw: format!("{v}{unit}"),
            value: Some(v as f64),
            unit: unit.to_string(),
        });
    };
    let mut i = 0;
    while i < c.len() {
        let starts =
            to_ascii_digit(c[i]).is_some() && (i == 0 || to_ascii_digit(c[i - 1]).is_none());
        if !starts {
            i += 1;
            continue;
        }
        let Some((a, k)) = num(i) else {
            i += 1;
            continue;
        };
        match c.get(k) {
            Some('-' | '/' | '－') if a >= 1900 => {
                if let Some((m, k2)) = num(k + 1) {
                    if matches!(c.get(k2), Some('-' | '/' | '－')) {
                        if let Some((d, k3)) = num(k2 + 1) {
                            push(&mut out, a, "年");
                            push(&mut out, m, "月");
                            push(&mut out, d, "日");
                            i = k3;
                            continue;
                        }
                    }
                }
            }
            Some(':' | '：') if a < 24 => {
                if let Some((m, k2)) = num(k + 1) {
                    push(&mut out, a, "时");
                    push(&mut out, m, "分");
                    i = k2;
                    continue;
                }
            }
            _ => {}
        }
        i = k;
    }
    out
}

/// The sources of a check, with what every sentence is compared against
/// computed once: their figures and their text as names are compared.
pub struct SourceSet {
    figures: Vec<Stated>,
    texts: Vec<String>,
}

impl SourceSet {
    pub fn new(sources: &[Source]) -> SourceSet {
        let mut figures = Vec::new();
        let mut texts = Vec::new();
        for s in sources {
            figures.extend(self::figures(&s.text));
            figures.extend(dashed_figures(&s.text));
            texts.push(squash(&s.text));
        }
        SourceSet { figures, texts }
    }

    fn states_figure(&self, f: &Stated) -> bool {
        let Some(v) = f.value else { return true };
        self.figures.iter().any(|s| {
            s.value.is_some_and(|sv| (sv - v).abs() < 1e-6 * v.abs().max(1.0))
                // A figure with a unit needs a source with that unit; a
                // bare figure in the draft claims no unit.
                && (s.unit == f.unit || f.unit.is_empty())
        })
    }

    fn states_name(&self, raw: &str) -> bool {
        let stated = |x: &str| {
            let needle = squash(x);
            self.texts.iter().any(|t| t.contains(&needle))
        };
        // 甘肃省兰州市张掖路泰生大厦 is stated when each of its parts is (the
        // input may write 张掖路的泰生大厦).
        stated(raw) || name_parts(raw).iter().all(|p| stated(p))
    }
}

/// The figures a text states. Citations are left out (the citation
/// checker owns them), as are ordinals (第一) and Chinese numerals with no
/// unit (一般, 统一), which are words, not figures.
pub fn figures(text: &str) -> Vec<Stated> {
    let c: Vec<char> = strip_citations(text).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let percent = c.get(i..i + 3).is_some_and(|w| w == ['百', '分', '之']);
        let start = if percent { i + 3 } else { i };
        let Some(&c0) = c.get(start) else { break };
        let arabic = to_ascii_digit(c0).is_some();
        let starts = arabic || (is_chinese_numeral_char(c0) && c0 != '万' && c0 != '千');
        if !starts {
            i += 1;
            continue;
        }
        let Some(q) = quantity_at(&c, start) else {
            i += 1;
            continue;
        };
        let ordinal = !percent && i > 0 && matches!(c[i - 1], '第' | '其' | '之');
        let rest: String = c[q.end..(q.end + 4).min(c.len())].iter().collect();
        let unit = if percent {
            Some("%")
        } else {
            UNITS.iter().find(|u| rest.starts_with(**u)).copied()
        };
        let end = match unit {
            Some(u) if !percent => q.end + u.chars().count(),
            _ => q.end,
        };
        let raw: String = c[i..end].iter().collect();
        match unit {
            _ if ordinal => {}
            Some(u) => {
                let (value, unit) = canonical(u, q.value);
                out.push(Stated {
                    kind: if is_date_unit(unit) {
                        FactKind::Date
                    } else {
                        FactKind::Number
                    },
                    raw,
                    value: Some(value),
                    unit: unit.to_string(),
                });
            }
            None if arabic => out.push(Stated {
                kind: FactKind::Number,
                raw,
                value: Some(q.value),
                unit: String::new(),
            }),
            None => {}
        }
        i = end.max(i + 1);
    }
    out
}

/// Words that end a place name.
const PLACE_SUFFIXES: &[&str] = &[
    "自治区",
    "自治州",
    "自治县",
    "街道",
    "社区",
    "小区",
    "大厦",
    "大楼",
    "广场",
    "公园",
    "园区",
    "工业园",
    "开发区",
    "新区",
    "景区",
    "古镇",
    "码头",
    "隧道",
    "大桥",
    "高速",
    "国道",
    "省道",
    "车站",
    "机场",
    "省",
    "市",
    "区",
    "县",
    "镇",
    "乡",
    "村",
    "路",
    "街",
    "巷",
    "弄",
    "号",
    "楼",
    "州",
    "港",
    "湾",
    "河",
    "江",
    "湖",
    "山",
];

/// Words that end an organisation name.
const ORG_SUFFIXES: &[&str] = &[
    "有限责任公司",
    "有限公司",
    "股份公司",
    "公司",
    "集团",
    "工厂",
    "厂",
    "煤矿",
    "矿业",
    "委员会",
    "人民政府",
    "政府",
    "管理局",
    "局",
    "中心",
    "医院",
    "学校",
    "大学",
    "学院",
    "中学",
    "小学",
    "幼儿园",
    "支队",
    "大队",
    "中队",
    "派出所",
    "检察院",
    "法院",
    "工会",
    "办事处",
    "协会",
    "银行",
    "酒店",
    "宾馆",
    "商场",
    "超市",
    "合作社",
    "研究所",
    "研究院",
];

/// Titles after a person's name.
const PERSON_TITLES: &[&str] = &[
    "先生",
    "女士",
    "同志",
    "师傅",
    "书记",
    "局长",
    "区长",
    "县长",
    "市长",
    "镇长",
    "主任",
    "经理",
    "厂长",
    "队长",
    "矿长",
    "董事长",
    "总经理",
    "负责人",
    "工人",
    "记者",
];

/// Common surnames (a name is a surname, one or two given chars, a title).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";

/// Words that start no name: a name span begins after them.
const BREAKS: &[&str] = &[
    "位于", "地处", "前往", "送往", "来自", "经过", "包括", "其中", "以及", "并", "在", "于", "的",
    "和", "与", "及", "向", "从", "至", "到", "对", "由", "经", "为", "是", "将", "把", "被", "已",
    "有", "等", "即", "或", "所", "个", "名", "处", "往", "赴", "送", "去", "据",
];

/// Leading words that make a span generic rather than a name (当地医院,
/// 有关部门, 该公司).
const GENERIC: &[&str] = &[
    "当地", "附近", "相关", "有关", "上级", "事发", "所在", "属地", "辖区", "本级", "同级", "各级",
    "县级", "市级", "省级", "区级", "乡级", "该", "本", "各", "其", "这", "此", "全", "周边",
    "邻近", "就近", "所属",
];

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// The name that ends at char `end` (exclusive) with a suffix of `suffix_len`
/// chars: Han chars back to a break word, at most 16 chars; `None` when the
/// span is generic or too short to be a name.
fn name_ending(c: &[char], end: usize, suffix_len: usize) -> Option<String> {
    let suffix_start = end - suffix_len;
    let mut s = suffix_start;
    while s > 0 && end - (s - 1) <= 16 {
        let ch = c[s - 1];
        if !(is_han(ch) || ch.is_ascii_alphanumeric() || to_ascii_digit(ch).is_some()) {
            break;
        }
        // Stop at a break word ending here.
        let before: String = c[s.saturating_sub(2)..s].iter().collect();
        if BREAKS.iter().any(|b| before.ends_with(b)) {
            break;
        }
        s -= 1;
    }
    let name: String = c[s..end].iter().collect();
    let stem: String = c[s..suffix_start].iter().collect();
    let han = stem.chars().filter(|c| is_han(*c)).count();
    if han < 2 || GENERIC.iter().any(|g| stem.starts_with(g)) {
        return None;
    }
    Some(name)
}

/// The names (places, organisations, persons) a text states.
pub fn names(text: &str) -> Vec<Stated> {
    let c: Vec<char> = strip_citations(text).chars().collect();
    let mut out: Vec<Stated> = Vec::new();
    let mut push = |kind: FactKind, raw: String| {
        if !out.iter().any(|o| o.raw == raw) {
            out.push(Stated {
                kind,
                raw,
                value: None,
                unit: String::new(),
            });
        }
    };
    let mut i = 0;
    while i < c.len() {
        let rest: String = c[i..(i + 6).min(c.len())].iter().collect();
        let next_is_han = |len: usize| c.get(i + len).is_some_and(|n| is_han(*n));
        let org = ORG_SUFFIXES.iter().find(|s| rest.starts_with(**s));
        let place = PLACE_SUFFIXES.iter().find(|s| rest.starts_with(**s));
        let mut advanced = false;
        for (kind, suffix) in [(FactKind::Organisation, org), (FactKind::Place, place)] {
            let Some(suffix) = suffix else { continue };
            let len = suffix.chars().count();
            // A one-char place word inside a longer word (市场, 区域, 路线)
            // is no suffix.
            if len == 1 && kind == FactKind::Place && next_is_han(1) && !ends_name(&c, i + 1) {
                continue;
            }
            if let Some(name) = name_ending(&c, i + len, len) {
                push(kind, name);
                i += len;
                advanced = true;
                break;
            }
        }
        if advanced {
            continue;
        }
        // 张某, 李某某; 王建国局长.
        // 关于某, 方向某: a surname char closing a word starts no name.
        let closes_word = i > 0 && is_han(c[i - 1]) && "于向".contains(c[i]);
        if SURNAMES.contains(c[i]) && i + 1 < c.len() && !closes_word {
            {
                if c[i + 1] == '某' {
                    let n = if c.get(i + 2) == Some(&'某') { 3 } else { 2 };
                    push(FactKind::Person, c[i..i + n].iter().collect());
                    i += n;
                    continue;
                }
                for given in [1usize, 2] {
                    let e = i + 1 + given;
                    if e > c.len() || !c[i + 1..e].iter().all(|x| is_han(*x)) {
                        break;
                    }
                    let after: String = c[e..(e + 3).min(c.len())].iter().collect();
                    if PERSON_TITLES.iter().any(|t| after.starts_with(t)) {
                        push(FactKind::Person, c[i..e].iter().collect());
                        break;
                    }
                }
            }
        }
        i += 1;
    }
    out
}

/// Whether a name plausibly ends at `i`: what follows is a particle or verb
/// that names are followed by, not more of the same word.
fn ends_name(c: &[char], i: usize) -> bool {
    const AFTER: &[&str] = &[
        "的", "发生", "境内", "一", "某", "内", "附近", "辖区", "境", "交界", "方向", "路段", "段",
        "东", "西", "南", "北", "至", "与", "和", "及", "、", "等",
    ];
    let rest: String = c[i..(i + 2).min(c.len())].iter().collect();
    AFTER.iter().any(|a| rest.starts_with(a))
}

/// Everything a text states, figures first.
pub fn stated(text: &str) -> Vec<Stated> {
    let mut v = figures(text);
    v.extend(names(text));
    v
}

/// The facts of `sentence` that no source states.
pub fn unsupported(sentence: &str, sources: &[Source]) -> Vec<Stated> {
    unsupported_in(sentence, &SourceSet::new(sources))
}

/// [`unsupported`] against sources prepared once.
pub fn unsupported_in(sentence: &str, set: &SourceSet) -> Vec<Stated> {
    stated(sentence)
        .into_iter()
        .filter(|f| match f.value {
            Some(_) => !set.states_figure(f),
            None => !set.states_name(&f.raw),
        })
        .collect()
}

/// A name cut after each place or organisation word inside it.
fn name_parts(name: &str) -> Vec<String> {
    let c: Vec<char> = name.chars().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < c.len() {
        let rest: String = c[i..].iter().collect();
        let hit = PLACE_SUFFIXES
            .iter()
            .chain(ORG_SUFFIXES)
            .filter(|s| rest.starts_with(**s))
            .map(|s| s.chars().count())
            .max();
        match hit {
            Some(n) if i + n - start >= 2 => {
                parts.push(c[start..i + n].iter().collect());
                i += n;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < c.len() {
        parts.push(c[start..].iter().collect());
    }
    parts
}

/// Full-width digits and letters as ASCII, spaces dropped: how a name is
/// compared.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match to_ascii_digit(c) {
            Some(d) if !c.is_ascii_digit() => char::from(b'0' + d as u8),
            _ => c,
        })
        .collect()
}

/// The result of checking one paragraph.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The paragraph without the struck sentences.
    pub text: String,
    pub removed: Vec<Struck>,
}

/// Checks a paragraph sentence by sentence: a sentence stating anything no
/// source states is removed and reported.
pub fn check(paragraph: &str, sources: &[Source]) -> Checked {
    check_in(paragraph, &SourceSet::new(sources))
}

/// [`check`] against sources prepared once.
pub fn check_in(paragraph: &str, set: &SourceSet) -> Checked {
    let mut out = Checked::default();
    for s in sentences(paragraph) {
        let bad = unsupported_in(&s, set);
        if bad.is_empty() {
            out.text.push_str(&s);
            continue;
        }
        for f in bad {
            out.removed.push(Struck {
                sentence: s.clone(),
                reason: format!(
                    "{}“{}”在输入事实和所引条文中均无出处，已删除该句",
                    f.kind.label(),
                    f.raw
                ),
                item: f.raw,
                kind: f.kind,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(t: &str) -> Vec<Source> {
        vec![Source::new("输入事实", t)]
    }

    #[test]
    fn an_invented_casualty_figure_is_struck() {
        let input = src("某化工厂3号车间发生爆炸，造成2人死亡、5人受伤。");
        let llm = "事故发生后，现场立即组织救援。事故共造成3人死亡、5人受伤。";
        let c = check(llm, &input);
        assert_eq!(c.text, "事故发生后，现场立即组织救援。");
        assert_eq!(c.removed.len(), 1);
        assert_eq!(c.removed[0].item, "3人");
        assert_eq!(c.removed[0].kind, FactKind::Number);
        assert!(c.removed[0].reason.contains("无出处"));
    }

    #[test]
    fn figures_match_across_numeral_forms_and_units() {
        let input = src("导致７人死亡，直接经济损失约1000万元，过火面积约1000平方米");
        assert!(unsupported("造成七人死亡。", &input).is_empty());
        assert!(unsupported("直接经济损失1000万元。", &input).is_empty());
        assert!(unsupported("7名人员遇难。", &input).is_empty());
        // Same figure, other unit: 1000人 is not 1000万元 or 1000平方米.
        let bad = unsupported("约1000人被疏散。", &input);
        assert_eq!(bad.len(), 1, "{bad:?}");
        // 10000000元 is 1000万元.
        assert!(unsupported("损失10000000元。", &input).is_empty());
    }

    #[test]
    fn dates_and_times_must_match_part_by_part() {
        let input = src("2014年1月2日14时20分许，泰生大厦顶部发生火灾。");
        assert!(unsupported("2014年1月2日14时20分，发生火灾。", &input).is_empty());
        let bad = unsupported("2014年1月3日14时20分，发生火灾。", &input);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].kind, FactKind::Date);
        assert_eq!(bad[0].raw, "3日");
        // 14时 is the same time as 14点.
        assert!(unsupported("14点20分发生火灾。", &input).is_empty());
    }

    #[test]
    fn names_must_occur_in_a_source() {
        let input = src("位于甘肃省兰州市张掖路的泰生大厦顶部发生火灾，某纸业公司派员救援");
        assert!(unsupported("甘肃省兰州市张掖路泰生大厦发生火灾。", &input).is_empty());
        let bad = unsupported("伤者被送往兰州大学第一医院救治。", &input);
        assert!(
            bad.iter()
                .any(|b| b.kind == FactKind::Organisation && b.raw.contains("医院")),
            "{bad:?}"
        );
        let bad = unsupported("火灾发生在城关区酒泉路。", &input);
        assert!(bad.iter().any(|b| b.kind == FactKind::Place), "{bad:?}");
        let bad = unsupported("现场负责人张建国经理已被控制。", &input);
        assert!(
            bad.iter()
                .any(|b| b.kind == FactKind::Person && b.raw == "张建国"),
            "{bad:?}"
        );
        assert!(unsupported("某纸业公司已组织救援。", &input).is_empty());
        // Generic words are not names.
        assert!(unsupported("伤者已送当地医院救治，有关部门正在核查。", &input).is_empty());
    }

    #[test]
    fn ordinals_words_and_citations_are_not_figures() {
        let none = src("");
        assert!(figures("第一时间开展一般性处置，统一指挥").is_empty());
        assert!(unsupported(
            "依据《生产安全事故报告和调查处理条例》第十二条报告。",
            &none
        )
        .is_empty());
    }

    #[test]
    fn a_citation_hides_nothing_after_its_label() {
        let input = src("某厂发生火灾，造成2人死亡。");
        let bad = unsupported(
            "按照《生产安全事故报告和调查处理条例》第九条于15时向某区应急管理局报告。",
            &input,
        );
        let items: Vec<&str> = bad.iter().map(|b| b.raw.as_str()).collect();
        assert!(items.contains(&"15时"), "{items:?}");
        assert!(items.iter().any(|i| i.contains("应急管理局")), "{items:?}");
        // An unclosed 《 hides nothing either.
        assert_eq!(unsupported("《某某规定 造成9人死亡。", &input).len(), 1);
    }

    #[test]
    fn a_bare_source_figure_supports_no_unit() {
        // `"article": 12` or a stray 12 in a source is not 12人.
        let input = src("页码12：某厂发生火灾，造成2人死亡。");
        assert_eq!(unsupported("造成12人死亡。", &input).len(), 1);
        // A bare figure in the draft claims no unit and matches any.
        assert!(unsupported("编号12。", &input).is_empty());
        // A timestamp line states a date and a time.
        let ts = src("2014-04-07 03:45:00\n据报道，某地发生火灾。");
        assert!(unsupported("2014年4月7日3时45分发生火灾。", &ts).is_empty());
        assert_eq!(unsupported("2014年4月8日发生火灾。", &ts).len(), 1);
        // 3号车间 states no date; 11月 no duration.
        let s = src("3号车间，2026年11月30日");
        assert_eq!(unsupported("3日发生火灾。", &s).len(), 1);
        assert_eq!(unsupported("持续11个月。", &s).len(), 1);
    }

    #[test]
    fn a_provision_is_a_source() {
        let sources = vec![
            Source::new("输入事实", "某厂发生火灾，造成2人死亡"),
            Source::new(
                "《生产安全事故报告和调查处理条例》第九条",
                "单位负责人接到报告后，应当于1小时内向事故发生地县级以上人民政府安全生产监督管理部门报告。",
            ),
        ];
        assert!(unsupported("应于1小时内报告。", &sources).is_empty());
        assert_eq!(unsupported("应于2小时内报告。", &sources).len(), 1);
    }
}
