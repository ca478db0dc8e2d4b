//! Document metadata read from the head of a text: title (past order headers
//! such as 应急管理部令 第5号 and cover notices 关于印发《X》的通知), kind,
//! issuer, 文号 and dates (公布/施行/修正).

use crate::model::DocDates;
use crate::numerals::{is_chinese_numeral_char, parse_number, to_ascii_digit};
use crate::structure::{article_start, cn_enum_marker, container_heading, dotted_marker, Line};
use emkg_ontology::DocKind;

const TITLE_SUFFIXES: [&str; 22] = [
    "法",
    "条例",
    "规定",
    "办法",
    "意见",
    "通知",
    "决定",
    "预案",
    "细则",
    "规则",
    "方案",
    "要点",
    "计划",
    "报告",
    "制度",
    "纪要",
    "备忘录",
    "备忘",
    "办法（试行）",
    "规定（试行）",
    "案例",
    "通报",
];

fn looks_like_title_end(s: &str) -> bool {
    // A trailing note in brackets — （试行）, （样例）, （2025年版） — does not count.
    let mut s = s.trim();
    if s.ends_with('）') || s.ends_with(')') {
        if let Some(i) = s.rfind(['（', '(']) {
            if i > 0 {
                s = &s[..i];
            }
        }
    }
    TITLE_SUFFIXES.iter().any(|suf| s.ends_with(suf))
}

fn is_order_header(s: &str) -> bool {
    s.ends_with('令') || (s.starts_with('第') && s.ends_with('号') && s.chars().count() <= 8)
}

/// The signature line of an order (局长骆琳, 部长 倪虹): a post and a name.
fn is_signature(s: &str) -> bool {
    const POSTS: [&str; 15] = [
        "局长",
        "部长",
        "署长",
        "主任",
        "总理",
        "主席",
        "委员长",
        "省长",
        "市长",
        "区长",
        "县长",
        "院长",
        "厅长",
        "书记",
        "总局局长",
    ];
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let n = t.chars().count();
    (3..=10).contains(&n)
        && POSTS.iter().any(|p| {
            t.strip_prefix(p).is_some_and(|name| {
                (2..=4).contains(&name.chars().count())
                    && name
                        .chars()
                        .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || c == '·')
            })
        })
}

/// The title a 修改决定 amends (…关于修改《X》的决定 → X).
fn amended_title(s: &str) -> Option<&str> {
    let i = s.find("关于修改")?;
    let rest = &s[i + "关于修改".len()..];
    let rest = rest.strip_prefix(['《', '〈'])?;
    let end = rest.find(['》', '〉'])?;
    let tail = &rest[end + '》'.len_utf8()..];
    (tail.starts_with("的决定") || tail.starts_with("等")).then_some(&rest[..end])
}

/// Index of the first line that starts the body, after `from`: the first 第一条
/// and the 编/章/节 headings right above it. Headings further up (a table of
/// contents, 目录) stay in the head.
pub fn body_start(lines: &[Line<'_>], from: usize) -> usize {
    let first_article = lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, l)| article_start(l.text).is_some_and(|a| a.number == 1))
        .map(|(i, _)| i);
    match first_article {
        Some(mut i) => {
            // At most one heading of each rank (节, 章, 编) directly above.
            let mut seen = Vec::new();
            while i > from {
                match container_heading(lines[i - 1].text) {
                    Some((kind, _, _)) if !seen.contains(&kind) => {
                        seen.push(kind);
                        i -= 1;
                    }
                    _ => break,
                }
            }
            i
        }
        None => lines
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, l)| matches!(container_heading(l.text), Some((_, 1, _))))
            .map(|(i, _)| i)
            .unwrap_or(from),
    }
}

/// Finds the title and the index of the line after it.
pub fn title(lines: &[Line<'_>], fallback: &str) -> (String, usize) {
    let head: Vec<(usize, String)> = lines
        .iter()
        .enumerate()
        .take(30)
        .map(|(i, l)| (i, l.text.trim().to_string()))
        .take_while(|(_, t)| {
            article_start(t).is_none_or(|a| a.number != 1)
                && container_heading(t).is_none()
                && cn_enum_marker(t).is_none_or(|(n, _)| n != 1)
                && dotted_marker(t).is_none_or(|(p, _)| p != [1])
        })
        .collect();
    let mut candidates: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < head.len() {
        let (li, t) = &head[i];
        let t = t.as_str();
        if t.is_empty()
            || is_order_header(t)
            || is_signature(t)
            || t.chars().count() > 80
            || t.contains('。')
            || t.starts_with(['(', '（'])
            || !meta_dates_free(t)
        {
            i += 1;
            continue;
        }
        // A title split over lines: join while the next line completes it.
        let mut joined = t.to_string();
        let mut end = *li;
        let mut j = i + 1;
        while !looks_like_title_end(&joined) && j < head.len() && j <= i + 2 && !has_digits(t) {
            let next = &head[j].1;
            if next.chars().count() > 40
                || next.contains('。')
                || next.contains('〔')
                || is_order_header(next)
                || is_signature(next)
                || !meta_dates_free(next)
                || has_digits(next)
            {
                break;
            }
            joined.push_str(next);
            end = head[j].0;
            j += 1;
        }
        if looks_like_title_end(&joined) || candidates.is_empty() {
            candidates.push((unwrap_cover(&joined), end + 1));
            if looks_like_title_end(&joined) {
                break;
            }
        }
        i = j.max(i + 1);
    }
    // Prefer a candidate that ends like a title.
    let pick = candidates
        .iter()
        .rev()
        .find(|(t, _)| looks_like_title_end(t))
        .or(candidates.first())
        .cloned();
    // An order that publishes an amendment decision and then the amended
    // text whole: the document is the amended text, under its own heading.
    if let Some((t, next)) = &pick {
        if let Some(x) = amended_title(t) {
            let want: String = x.chars().filter(|c| !c.is_whitespace()).collect();
            let own = lines
                .iter()
                .enumerate()
                .skip(*next)
                .take_while(|(_, l)| article_start(l.text.trim()).is_none_or(|a| a.number != 1))
                .filter(|(_, l)| {
                    l.text
                        .chars()
                        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '#')
                        .collect::<String>()
                        == want
                })
                .last();
            if let Some((i, _)) = own {
                return (x.to_string(), i + 1);
            }
        }
    }
    match pick {
        Some((t, next)) if !t.is_empty() => (t, next),
        _ => (fallback.to_string(), 0),
    }
}

fn has_digits(s: &str) -> bool {
    s.chars().any(|c| to_ascii_digit(c).is_some())
}

/// A line holding a date (2021年6月21日) is a signature or 题注, not a title.
fn meta_dates_free(s: &str) -> bool {
    find_dates(s).is_empty()
}

/// `国务院办公厅关于印发《X》的通知` and `…印发《X》` → X; `…令(第15号)《X》` → X.
fn unwrap_cover(title: &str) -> String {
    let t = title.trim();
    // 》…《 (a malformed line) is no cover: the brackets must come in order.
    let brackets = match (t.find('《'), t.rfind('》')) {
        (Some(a), Some(b)) if b > a => Some((a, b)),
        _ => None,
    };
    if let Some((a, b)) = brackets {
        let before = &t[..a];
        let after = &t[b + '》'.len_utf8()..];
        let inner = &t[a + '《'.len_utf8()..b];
        let wrapper = before.contains("印发") || before.contains("公布") || before.contains('令');
        if wrapper
            && (after.is_empty() || after == "的通知" || after == "的决定")
            && looks_like_title_end(inner)
        {
            return inner.to_string();
        }
    }
    t.to_string()
}

/// Infers the document kind from title, head text and path.
pub fn kind(title: &str, head: &str, path: &str) -> DocKind {
    let path = path.replace('\\', "/");
    if path.contains("/cases/")
        || path.starts_with("cases/")
        || title.contains("事故调查报告")
        || title.contains("案例")
    {
        return DocKind::Case;
    }
    if [
        "工作要点",
        "工作计划",
        "工作方案",
        "工作安排",
        "任务清单",
        "任务分工",
    ]
    .iter()
    .any(|k| title.contains(k))
    {
        return DocKind::WorkPlan;
    }
    if title.contains("备忘") {
        return DocKind::Memo;
    }
    let local_prefix = ["上海市", "北京市", "天津市", "重庆市"]
        .iter()
        .any(|p| title.starts_with(p))
        || title.chars().take(8).collect::<String>().contains('省')
        || title.contains("自治区");
    if local_prefix
        && (title.ends_with("条例") || title.ends_with("办法") || title.ends_with("规定"))
    {
        return DocKind::LocalRegulation;
    }
    if title.ends_with('法') && !title.ends_with("办法") {
        return DocKind::Law;
    }
    if title.ends_with("条例") {
        return DocKind::AdminRegulation;
    }
    if head.contains("国务院令") || head.contains("国务院第") && head.contains("常务会议")
    {
        return DocKind::AdminRegulation;
    }
    let order = ["部令", "总局令", "委员会令", "局令"];
    if order.iter().any(|o| head.contains(o)) || head.contains("令第") {
        return DocKind::DeptRule;
    }
    if title.contains("预案")
        && !["办法", "规定", "通知", "意见", "决定"]
            .iter()
            .any(|s| title.ends_with(s))
    {
        return DocKind::Plan;
    }
    if [
        "意见", "通知", "决定", "办法", "规定", "方案", "纲要", "通报",
    ]
    .iter()
    .any(|s| title.ends_with(s))
    {
        return DocKind::NormativeDoc;
    }
    DocKind::Other
}

/// The issuing body, when the head names it.
pub fn issuer(title: &str, head: &str) -> Option<String> {
    for line in head.lines() {
        let l = line.trim();
        if l.ends_with('令') && l.chars().count() <= 30 {
            let s = l.trim_end_matches('令');
            return Some(s.strip_prefix("中华人民共和国").unwrap_or(s).to_string());
        }
    }
    if head.contains("全国人民代表大会常务委员会") {
        for prefix in ["上海市", "北京市", "天津市", "重庆市"] {
            if title.starts_with(prefix) {
                return Some(format!("{prefix}人民代表大会常务委员会"));
            }
        }
        return Some("全国人民代表大会常务委员会".into());
    }
    if head.contains("人民代表大会常务委员会") {
        for prefix in ["上海市", "北京市", "天津市", "重庆市"] {
            if title.starts_with(prefix) {
                return Some(format!("{prefix}人民代表大会常务委员会"));
            }
        }
    }
    if head.contains("国务院令") || head.contains("国务院第") {
        return Some("国务院".into());
    }
    if let Some(i) = head.find("令第") {
        let before: String = head[..i]
            .chars()
            .rev()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '日' | '（' | '(' | '　'))
            .collect();
        let before: String = before.chars().rev().collect();
        if !before.is_empty() {
            return Some(
                before
                    .strip_prefix("中华人民共和国")
                    .unwrap_or(&before)
                    .to_string(),
            );
        }
    }
    if let Some(i) = title.find("关于") {
        if i > 0 {
            return Some(title[..i].to_string());
        }
    }
    None
}

/// 文号: 国办发〔2024〕5号, or 令第N号 with its issuer.
pub fn doc_number(head: &str, issuer: Option<&str>) -> Option<String> {
    for line in head.lines() {
        if let Some(i) = line.find('〔') {
            let start = line[..i]
                .char_indices()
                .rev()
                .take_while(|(_, c)| !c.is_whitespace() && !matches!(c, '（' | '(' | '，' | '　'))
                .last()
                .map(|(j, _)| j)
                .unwrap_or(i);
            if let Some(end) = line[i..].find('号') {
                let s = &line[start..i + end + '号'.len_utf8()];
                if s.chars().count() <= 20 {
                    return Some(s.to_string());
                }
            }
        }
    }
    let lines: Vec<&str> = head
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for (k, l) in lines.iter().enumerate() {
        if l.ends_with('令') {
            if let Some(next) = lines.get(k + 1) {
                if next.starts_with('第') && next.ends_with('号') && next.chars().count() <= 8 {
                    return Some(format!("{l}{next}"));
                }
            }
        }
    }
    if let Some(i) = head.find("令第") {
        let rest = &head[i..];
        if let Some(end) = rest.find('号') {
            let org = issuer.unwrap_or("");
            let num = &rest[..end + '号'.len_utf8()];
            if num.chars().count() <= 10 {
                return Some(format!("{org}{num}"));
            }
        }
    }
    None
}

/// A date found in text, with its char position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    pub iso: String,
    pub byte_start: usize,
    pub byte_end: usize,
}

/// Finds dates written 2021年6月10日 or 二○○七年十一月三十日.
pub fn find_dates(s: &str) -> Vec<FoundDate> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let is_num = |c: char| {
            to_ascii_digit(c).is_some() || is_chinese_numeral_char(c) || c == '○' || c == 'O'
        };
        if !is_num(chars[i].1) {
            i += 1;
            continue;
        }
        let take = |from: usize, stop: char| -> Option<(String, usize)> {
            let mut j = from;
            let mut acc = String::new();
            while j < chars.len() && is_num(chars[j].1) {
                acc.push(if chars[j].1 == 'O' { '〇' } else { chars[j].1 });
                j += 1;
            }
            if j < chars.len() && chars[j].1 == stop && !acc.is_empty() {
                Some((acc, j + 1))
            } else {
                None
            }
        };
        let parsed = take(i, '年').and_then(|(y, j)| {
            let (m, k) = take(j, '月')?;
            let (d, l) = take(k, '日')?;
            let y = parse_number(&y)?;
            let m = parse_number(&m)?;
            let d = parse_number(&d)?;
            ((1900..2200).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
                .then(|| (format!("{y:04}-{m:02}-{d:02}"), l))
        });
        match parsed {
            Some((iso, l)) => {
                let byte_end = chars.get(l).map(|c| c.0).unwrap_or(s.len());
                out.push(FoundDate {
                    iso,
                    byte_start: chars[i].0,
                    byte_end,
                });
                i = l;
            }
            None => {
                // Skip the whole numeral run.
                while i < chars.len() && is_num(chars[i].1) {
                    i += 1;
                }
            }
        }
    }
    out
}

/// Reads 公布/施行/修正 dates from the head (and the 施行 date from the body's
/// last articles when the head lacks it).
pub fn dates(head: &str, body_tail: &str) -> DocDates {
    let mut d = DocDates::default();
    let found = find_dates(head);
    for (k, f) in found.iter().enumerate() {
        let seg_end = found.get(k + 1).map(|n| n.byte_start).unwrap_or(head.len());
        let seg = &head[f.byte_end..seg_end];
        if seg.contains("施行") {
            d.effective.get_or_insert(f.iso.clone());
        }
        if seg.contains("修正") || seg.contains("修订") || seg.contains("修改") {
            d.amended = Some(f.iso.clone());
        } else if ["通过", "公布", "发布", "印发"]
            .iter()
            .any(|k| seg.contains(k))
            && d.promulgated.is_none()
        {
            d.promulgated = Some(f.iso.clone());
        }
    }
    if d.promulgated.is_none() {
        // A signature date at the end of an order header or notice.
        if let Some(f) = found.first() {
            d.promulgated = Some(f.iso.clone());
        }
    }
    if d.effective.is_none() {
        for f in find_dates(body_tail) {
            let rest = &body_tail[f.byte_end..];
            if rest.starts_with("起施行") || rest.starts_with("起实施") {
                d.effective = Some(f.iso);
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::lines;

    #[test]
    fn titles() {
        let t = "中华人民共和国应急管理部令\n\n第5号\n\n《高层民用建筑消防安全管理规定》已经审议通过，现予公布。\n\n高层民用建筑消防安全管理规定\n\n第一章总则";
        assert_eq!(title(&lines(t), "x").0, "高层民用建筑消防安全管理规定");
        let t = "机关、团体、企业、事业单位\n\n消防安全管理规定\n\n第一条 为了";
        assert_eq!(
            title(&lines(t), "x").0,
            "机关、团体、企业、事业单位消防安全管理规定"
        );
        let t = "国务院办公厅关于印发\n《突发事件应急预案管理办法》的通知\n国办发〔2024〕5号";
        assert_eq!(title(&lines(t), "x").0, "突发事件应急预案管理办法");
        let t = "上海市实施《中华人民共和国突发事件应对法》办法\n\n第一章 总则";
        assert_eq!(
            title(&lines(t), "x").0,
            "上海市实施《中华人民共和国突发事件应对法》办法"
        );
        let t = "中共中央国务院印发《国家突发事件总体应急预案》\n\n新华社北京2月25日电近日。";
        assert_eq!(title(&lines(t), "x").0, "国家突发事件总体应急预案");
    }

    #[test]
    fn kinds() {
        assert_eq!(kind("中华人民共和国安全生产法", "", ""), DocKind::Law);
        assert_eq!(
            kind("危险化学品安全管理条例", "国务院令", ""),
            DocKind::AdminRegulation
        );
        assert_eq!(kind("上海市消防条例", "", ""), DocKind::LocalRegulation);
        assert_eq!(
            kind("高层民用建筑消防安全管理规定", "应急管理部令\n第5号", ""),
            DocKind::DeptRule
        );
        assert_eq!(
            kind(
                "国务院关于全面加强应急管理工作的意见",
                "国发〔2006〕24号",
                ""
            ),
            DocKind::NormativeDoc
        );
        assert_eq!(kind("国家突发事件总体应急预案", "", ""), DocKind::Plan);
        assert_eq!(
            kind("某区应急管理局2025年工作要点", "", ""),
            DocKind::WorkPlan
        );
        assert_eq!(kind("新闻", "", "x/cases/a.md"), DocKind::Case);
    }

    #[test]
    fn date_parsing() {
        let head = "2002年6月29日 第九届全国人民代表大会常务委员会第二十八次会议通过\n2021年6月10日 第十三届…第三次修正";
        let d = dates(head, "");
        assert_eq!(d.promulgated.as_deref(), Some("2002-06-29"));
        assert_eq!(d.amended.as_deref(), Some("2021-06-10"));
        let head = "(2003年11月19日国务院第29次常务会议通过　2003年11月24日中华人民共和国国务院令第394号公布　自2004年3月1日起施行)";
        let d = dates(head, "");
        assert_eq!(d.promulgated.as_deref(), Some("2003-11-19"));
        assert_eq!(d.effective.as_deref(), Some("2004-03-01"));
        assert_eq!(find_dates("二○○七年十一月三十日")[0].iso, "2007-11-30");
        assert!(is_signature("局长骆琳"));
        assert!(is_signature("部长 倪虹"));
        assert!(!is_signature("局长办公会议审议通过"));
        assert_eq!(
            amended_title("住房和城乡建设部关于修改《建设工程消防设计审查验收管理暂行规定》的决定"),
            Some("建设工程消防设计审查验收管理暂行规定")
        );
        assert_eq!(amended_title("关于印发《X规定》的通知"), None);
        let d = dates("", "第一百一十九条 本法自2021年9月1日起施行。");
        assert_eq!(d.effective.as_deref(), Some("2021-09-01"));
    }

    #[test]
    fn numbers_and_issuers() {
        let head = "中华人民共和国应急管理部令\n第5号\n";
        assert_eq!(issuer("高层", head).as_deref(), Some("应急管理部"));
        assert_eq!(
            doc_number(head, Some("应急管理部")).as_deref(),
            Some("中华人民共和国应急管理部令第5号")
        );
        assert_eq!(
            doc_number("国办发〔2024〕5号\n", None).as_deref(),
            Some("国办发〔2024〕5号")
        );
    }
}
