//! Rules that regulations state and the engine applies as data: accident
//! grade criteria (thresholds and qualitative conditions, 以上/以下 counting
//! rules with their scope), legal definitions (本条例所称特种设备，是指…),
//! and reporting duties (who reports to whom within what time, by grade).
//!
//! Nothing here is specific to one regulation: a modified copy of a
//! regulation with other numbers yields other rules.

use crate::extract::{Evidence, Threshold};
use crate::model::{Document, Unit};
use crate::numerals::{is_chinese_numeral_char, quantity_at, to_ascii_digit};
use emkg_ontology::vocab::GRADES;
use emkg_ontology::UnitKind;
use serde::{Deserialize, Serialize};

/// One way to reach a grade: all thresholds hold (min/max pairs of one
/// quantity bound it on both sides) and, if present, the condition matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeCriterion {
    pub ev: Evidence,
    pub thresholds: Vec<Threshold>,
    /// A qualitative condition (锅炉、压力容器、压力管道爆炸), as written.
    pub condition: Option<String>,
}

/// `本条例所称X，是指Y`: a term the document defines, and the members its
/// definition lists (锅炉、压力容器、压力管道 …) when it is a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub ev: Evidence,
    pub term: String,
    pub text: String,
    pub members: Vec<String>,
}

/// A duty to report: who reports, to whom, how fast, for which grades.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportingDuty {
    pub ev: Evidence,
    pub reporter: Option<String>,
    pub recipients: Vec<String>,
    /// Also to be notified (通知公安机关、劳动保障行政部门、工会和人民检察院).
    pub notify: Vec<String>,
    pub within_hours: Option<f64>,
    pub immediate: bool,
    /// Grade IRI local names the duty is limited to (empty: all).
    pub grades: Vec<String>,
    /// Each level's limit when reporting up level by level (每级…不得超过2小时).
    pub step_limit_hours: Option<f64>,
    /// A follow-up duty: casualty changes within N days of the accident.
    pub followup_days: Option<f64>,
    /// Events the duty is limited to (道路交通事故、火灾事故), as written.
    pub event_condition: Option<String>,
}

fn s(c: &[char]) -> String {
    c.iter().collect()
}

fn starts(c: &[char], i: usize, w: &str) -> bool {
    (i..).zip(w.chars()).all(|(k, ch)| c.get(k) == Some(&ch))
}

fn find(c: &[char], w: &str, from: usize) -> Option<usize> {
    let n = w.chars().count();
    if n == 0 || c.len() < n {
        return None;
    }
    (from..=c.len() - n).find(|&i| starts(c, i, w))
}

/// A measured quantity at `i`: (value in base units, end, unit name).
/// Units: yuan (元/万元/亿元), person (人), hour (小时), mw (兆瓦).
fn measure_at(c: &[char], i: usize) -> Option<(f64, usize, &'static str)> {
    let q = quantity_at(c, i)?;
    if q.approximate {
        return None;
    }
    let j = q.end;
    let rest = |w: &str| starts(c, j, w);
    if rest("万元") {
        Some((q.value * 1e4, j + 2, "yuan"))
    } else if rest("亿元") {
        Some((q.value * 1e8, j + 2, "yuan"))
    } else if rest("元") {
        Some((q.value, j + 1, "yuan"))
    } else if rest("人") || rest("名") {
        Some((q.value, j + 1, "person"))
    } else if rest("个小时") {
        Some((q.value, j + 3, "hour"))
    } else if rest("小时") {
        Some((q.value, j + 2, "hour"))
    } else if rest("兆瓦") {
        Some((q.value, j + 2, "mw"))
    } else {
        None
    }
}

/// `N人以上` / `N万元以下` / `N小时以上` thresholds in `c` with the quantity
/// they bound, named by the words after them (死亡, 重伤, 直接经济损失,
/// 转移) or before them (滞留). `unit_of` gives the evidence unit and the
/// absolute offset of `c[0]`.
pub fn thresholds_in(c: &[char], unit_id: &str, offset: usize) -> Vec<Threshold> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if i > 0
            && (to_ascii_digit(c[i - 1]).is_some()
                || is_chinese_numeral_char(c[i - 1])
                || c[i - 1] == '.')
        {
            i += 1;
            continue;
        }
        let Some((value, j, unit)) = measure_at(c, i) else {
            i += 1;
            continue;
        };
        let bound = if starts(c, j, "以上") {
            "min"
        } else if starts(c, j, "以下") {
            "max"
        } else {
            i = j;
            continue;
        };
        let end = j + 2;
        // The quantity is named after this bound, or after a paired 以下 bound.
        let mut look = end;
        if let Some((_, k, u2)) = measure_at(c, look) {
            if u2 == unit && starts(c, k, "以下") {
                look = k + 2;
            }
        }
        let tail = s(&c[look.min(c.len())..(look + 10).min(c.len())]);
        let lead_start = (0..i)
            .rev()
            .find(|&k| matches!(c[k], '，' | '。' | '；' | '、' | '）' | ')' | '：'))
            .map(|k| k + 1)
            .unwrap_or(0);
        let lead = s(&c[lead_start..i]);
        let quantity = match unit {
            "hour" => "duration_hours",
            "mw" => "capacity_mw",
            _ if tail.starts_with("死亡") || tail.starts_with("人死亡") => "deaths",
            _ if tail.starts_with("重伤") => "serious_injuries",
            _ if tail.starts_with("受伤") || tail.starts_with("轻伤") => "injuries",
            _ if tail.starts_with("直接经济损失") => "direct_loss",
            _ if tail.starts_with("转移")
                || tail.starts_with("疏散")
                || tail.starts_with("撤离") =>
            {
                "evacuated"
            }
            "person" if lead.contains("被困") => "trapped",
            "person" if lead.contains("滞留") => "stranded",
            "person" if lead.contains("疏散") || lead.contains("转移") || lead.contains("撤离") => {
                "evacuated"
            }
            "person" => "persons",
            _ => "amount",
        };
        out.push(Threshold {
            ev: Evidence {
                unit: unit_id.to_string(),
                span: (offset + i, offset + end),
                text: s(&c[i..end]),
            },
            quantity: quantity.into(),
            bound: bound.into(),
            value,
            unit: unit.into(),
            inclusive: None,
        });
        i = end;
    }
    out
}

/// Quantity words that a criterion's condition does not repeat.
const QUANTITY_WORDS: [&str; 9] = [
    "直接经济损失",
    "死亡",
    "重伤",
    "受伤",
    "转移",
    "疏散",
    "撤离",
    "人员",
    "并且时间在",
];

/// Splits a grade definition's text into its alternatives (，或者) and reads
/// each as a criterion. `c` is the text after the grade name and 是指, or an
/// item's text; `offset` its absolute char offset.
pub(crate) fn criteria_in(c: &[char], unit_id: &str, offset: usize) -> Vec<GradeCriterion> {
    // Alternatives are separated by ，或者 (a bare 或者 joins parts of one
    // condition: 结构件折断或者起升机构坠落).
    let mut parts = Vec::new();
    let mut a = 0;
    let mut k = 0;
    while k < c.len() {
        if (c[k] == '，' || c[k] == ',') && starts(c, k + 1, "或者") {
            parts.push((a, k));
            a = k + 3;
            k += 3;
            continue;
        }
        k += 1;
    }
    parts.push((a, c.len()));
    let mut out = Vec::new();
    for (x, y) in parts {
        let part = &c[x..y];
        let ths = thresholds_in(part, unit_id, offset + x);
        let cond = condition_of(part, &ths, offset + x);
        if ths.is_empty() && cond.is_none() {
            continue;
        }
        let text = s(part).trim_end_matches(['；', '。', ';']).to_string();
        out.push(GradeCriterion {
            ev: Evidence {
                unit: unit_id.to_string(),
                span: (offset + x, offset + y),
                text,
            },
            thresholds: ths,
            condition: cond,
        });
    }
    out
}

/// The words of a criterion that are not thresholds or the quantities they
/// bound: 压力容器、压力管道有毒介质泄漏 in
/// 压力容器、压力管道有毒介质泄漏，造成15万人以上转移的.
fn condition_of(part: &[char], ths: &[Threshold], offset: usize) -> Option<String> {
    let mut keep: Vec<bool> = vec![true; part.len()];
    for t in ths {
        let (a, b) = (t.ev.span.0 - offset, t.ev.span.1 - offset);
        keep[a.min(part.len())..b.min(part.len())]
            .iter_mut()
            .for_each(|k| *k = false);
    }
    // Parenthetical notes (包括急性工业中毒，下同) are not conditions.
    let mut depth = 0;
    for (i, ch) in part.iter().enumerate() {
        if matches!(ch, '（' | '(') {
            depth += 1;
        }
        if depth > 0 {
            keep[i] = false;
        }
        if matches!(ch, '）' | ')') && depth > 0 {
            depth -= 1;
        }
    }
    let mut text: String = part
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| *c)
        .collect();
    for w in QUANTITY_WORDS {
        text = text.replace(w, "");
    }
    // Generic framing: 是指造成…的事故, 特种设备事故造成…的.
    let mut t = text.trim().to_string();
    if let Some(p) = t.find("是指") {
        t = t[p + "是指".len()..].to_string();
    }
    if let Some(p) = t.find("事故造成") {
        t = t[p + "事故造成".len()..].to_string();
    }
    for w in ["造成", "，", ",", "、"] {
        t = t.replace(&format!("，{w}"), "，");
    }
    let t = t
        .replace("造成", "")
        .trim_matches(|c: char| c.is_whitespace() || "，,；;。、的".contains(c))
        .trim_end_matches("的事故")
        .trim_end_matches("事故")
        .trim_end_matches('的')
        .trim_matches(|c: char| "，,；;。、".contains(c))
        .to_string();
    (t.chars().count() >= 2).then_some(t)
}

/// The grade an article's lead assigns to its listed cases:
/// `有下列情形之一的，为较大事故：`.
pub(crate) fn listed_grade(lead: &str) -> Option<&'static str> {
    if !(lead.contains("下列情形") || lead.contains("下列情况")) {
        return None;
    }
    let p = lead.find('为')?;
    let rest = &lead[p + '为'.len_utf8()..];
    GRADES
        .iter()
        .find(|(zh, _)| rest.starts_with(zh))
        .map(|(_, local)| *local)
}

/// The scope a counting rule applies to: its article (本条), its chapter
/// (本章) or the whole document (本条例, 本规定, 本办法, 本法, 本表).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Article,
    Chapter,
    Document,
}

pub(crate) fn counting_scope(sentence: &str) -> Scope {
    if sentence.contains("本章") {
        Scope::Chapter
    } else if [
        "本条例",
        "本规定",
        "本办法",
        "本法",
        "本表",
        "本预案",
        "本标准",
        "本细则",
    ]
    .iter()
    .any(|w| sentence.contains(w))
    {
        Scope::Document
    } else {
        Scope::Article
    }
}

/// The chapter unit index a unit sits in (its nearest Chapter ancestor).
pub(crate) fn chapter_of(doc: &Document, unit_id: &str) -> Option<usize> {
    let mut i = doc.units.iter().position(|u| u.id == unit_id)?;
    loop {
        let u = &doc.units[i];
        if u.kind == UnitKind::Chapter {
            return Some(i);
        }
        i = u.parent?;
    }
}

/// Definitions: `本条例所称X，是指Y` / `本法所称X是指Y`.
pub(crate) fn definitions(unit: &Unit, start: usize, sent: &[char]) -> Option<Definition> {
    let p = find(sent, "所称", 0)?;
    let lead = s(&sent[..p]);
    if ![
        "本条例",
        "本法",
        "本规定",
        "本办法",
        "本细则",
        "本标准",
        "本预案",
    ]
    .iter()
    .any(|w| {
        lead.trim_start_matches(|c: char| !c.is_alphanumeric() || c.is_ascii_digit())
            .ends_with(w)
            || lead.ends_with(w)
    }) {
        return None;
    }
    let q = find(sent, "是指", p).or_else(|| find(sent, "包括", p))?;
    let mut term = s(&sent[p + 2..q]);
    term = term
        .trim_start_matches('的')
        .trim_end_matches(['，', ','])
        .trim_matches(|c: char| "“”\"".contains(c))
        .to_string();
    let n = term.chars().count();
    if !(2..=20).contains(&n) {
        return None;
    }
    let body_start = q + 2;
    let text = s(&sent[body_start..])
        .trim_end_matches(['。', '；'])
        .to_string();
    // A list definition: the members after the last 的 (…危险性较大的锅炉、压力容器…).
    let list_part = match text.rfind('的') {
        Some(b) => &text[b + '的'.len_utf8()..],
        None => text.as_str(),
    };
    let mut members = Vec::new();
    if list_part.contains('、') {
        let mut cleaned = String::new();
        let mut depth = 0;
        for ch in list_part.chars() {
            match ch {
                '（' | '(' => depth += 1,
                '）' | ')' => depth -= 1,
                _ if depth == 0 => cleaned.push(ch),
                _ => {}
            }
        }
        for m in cleaned.split(['、', '和', '及']) {
            let m = m.trim_end_matches("等").trim();
            if (2..=16).contains(&m.chars().count()) {
                members.push(m.to_string());
            }
        }
    }
    Some(Definition {
        ev: Evidence {
            unit: unit.id.clone(),
            span: (start, start + sent.len()),
            text: s(sent).trim().to_string(),
        },
        term,
        text,
        members,
    })
}

/// Grade names in a text, longest first, without overlaps.
pub(crate) fn grades_named(text: &str) -> Vec<String> {
    let c: Vec<char> = text.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < c.len() {
        // 较大涉险事故 is not a grade.
        let hit = GRADES.iter().find(|(zh, _)| starts(&c, i, zh)).or_else(|| {
            // 特别重大、重大事故: grade names sharing one 事故.
            GRADES.iter().find(|(zh, _)| {
                let short = zh.trim_end_matches("事故");
                starts(&c, i, short)
                    && matches!(c.get(i + short.chars().count()), Some('、' | '和' | '或'))
                    && find(&c, "事故", i).is_some_and(|p| p < i + 12)
            })
        });
        match hit {
            Some((zh, local)) => {
                if !out.iter().any(|o| o == local) {
                    out.push(local.to_string());
                }
                i += zh.trim_end_matches("事故").chars().count();
            }
            None => i += 1,
        }
    }
    out
}

fn is_government(s: &str) -> bool {
    [
        "政府",
        "部门",
        "国务院",
        "监察机构",
        "监管机构",
        "机关",
        "总局",
    ]
    .iter()
    .any(|w| s.contains(w))
}

/// Reads a sentence as a reporting duty. `lead` is the article lead when the
/// sentence is an item (its reporter and notify list carry over).
pub(crate) fn reporting_duty(
    unit: &Unit,
    start: usize,
    sent: &[char],
    lead: Option<&ReportingDuty>,
) -> Option<ReportingDuty> {
    let text = s(sent);
    if !["报告", "上报", "报送", "补报", "续报"]
        .iter()
        .any(|w| text.contains(w))
    {
        return None;
    }
    // Reports about something else (报告制度, 调查报告, 年度报告) are not duties to report an event.
    if [
        "调查报告",
        "报告制度",
        "年度报告",
        "书面报告其",
        "述职报告",
        "报告工作",
    ]
    .iter()
    .any(|w| text.contains(w))
    {
        return None;
    }
    let mut d = ReportingDuty {
        ev: Evidence {
            unit: unit.id.clone(),
            span: (start, start + sent.len()),
            text: text.trim().to_string(),
        },
        ..Default::default()
    };
    // Reporter: the phrase before 应当/接到/发现 in the first clause that has one.
    let stop = ["应当", "接到", "接报", "发现", "必须", "逐级", "应"]
        .iter()
        .filter_map(|w| find(sent, w, 0))
        .min();
    if let Some(p) = stop {
        let before = s(&sent[..p]);
        let phrase = before
            .rsplit(['，', '；', '：'])
            .find(|x| !x.trim().is_empty())
            .unwrap_or("");
        let phrase = crate::extract::strip_label_pub(phrase);
        let phrase = phrase
            .trim_start_matches("事故发生后")
            .trim_start_matches("特种设备发生事故后")
            .trim_matches(|c: char| "，、 ".contains(c))
            .to_string();
        // 事故发生后 is a time, …上报的 a condition, （二）较大事故 a grade:
        // none of them is a party.
        if (2..=40).contains(&phrase.chars().count())
            && !phrase.ends_with('后')
            && !phrase.ends_with('的')
            && !phrase.ends_with("时")
            && grades_named(&phrase).is_empty()
        {
            d.reporter = Some(phrase);
        }
    }
    // Recipients: 向X报告 / 上报至X / 报告X.
    let mut k = 0;
    while let Some(p) = find(sent, "向", k) {
        k = p + 1;
        let verbs = ["报告", "上报", "报送", "通报", "补报", "续报"];
        let end = verbs.iter().filter_map(|v| find(sent, v, p + 1)).min();
        if let Some(e) = end {
            let r = s(&sent[p + 1..e]);
            if (2..=60).contains(&r.chars().count()) && !r.contains('，') {
                d.recipients.push(r.trim().to_string());
            }
        }
    }
    for mark in ["上报至", "报告至", "直至"] {
        if let Some(p) = find(sent, mark, 0) {
            let from = p + mark.chars().count();
            let end = (from..sent.len())
                .find(|&e| matches!(sent[e], '；' | '。' | '，' | ';'))
                .unwrap_or(sent.len());
            let r = s(&sent[from..end]);
            if r.chars().count() >= 2 && !d.recipients.contains(&r) {
                d.recipients.push(r);
            }
        }
    }
    // Notify: 并通知X、Y和Z.
    if let Some(p) = find(sent, "通知", 0) {
        let from = p + 2;
        let end = (from..sent.len())
            .find(|&e| matches!(sent[e], '；' | '。' | '：' | ';' | ':' | '，'))
            .unwrap_or(sent.len());
        for n in s(&sent[from..end]).split(['、', '和']) {
            let n = n.trim();
            if (2..=20).contains(&n.chars().count()) {
                d.notify.push(n.to_string());
            }
        }
    }
    // Time limits.
    let mut i = 0;
    while i < sent.len() {
        if let Some((v, j, unit)) = measure_at(sent, i) {
            let after = s(&sent[j..(j + 2).min(sent.len())]);
            let before = s(&sent[i.saturating_sub(5)..i]);
            let within = after.starts_with('内')
                || before.ends_with("不得超过")
                || before.ends_with("不超过");
            if unit == "hour" && within {
                if before.contains("每级")
                    || (text.contains("每级")
                        && d.step_limit_hours.is_none()
                        && before.ends_with("超过"))
                {
                    d.step_limit_hours = Some(v);
                } else if d.within_hours.is_none() {
                    d.within_hours = Some(v);
                }
            }
            i = j;
            continue;
        }
        // N日内 for follow-ups.
        if let Some(q) = quantity_at(sent, i) {
            let j = q.end;
            if (starts(sent, j, "日内") || starts(sent, j, "天内"))
                && (text.contains("补报") || text.contains("续报") || text.contains("发生变化"))
                && d.followup_days.is_none()
            {
                d.followup_days = Some(q.value);
                // 道路交通事故、火灾事故自发生之日起7日内
                let lead_txt = s(&sent[..i]);
                if let Some(z) = lead_txt.rfind('自') {
                    let cond = lead_txt[..z]
                        .rsplit(['，', '。', '；'])
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    if cond.contains("事故") || cond.contains("事件") {
                        d.event_condition = Some(cond);
                    }
                }
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    if text.contains("每级") {
        if let (None, Some(h)) = (d.step_limit_hours, d.within_hours) {
            if text.contains("不得超过") {
                d.step_limit_hours = Some(h);
                d.within_hours = None;
            }
        }
    }
    d.immediate = text.contains("立即") && d.within_hours.is_none();
    d.grades = grades_named(&text);
    if let Some(l) = lead {
        if d.reporter.is_none() {
            d.reporter = l.reporter.clone();
        }
        if d.notify.is_empty() {
            d.notify = l.notify.clone();
        }
    }
    // An article's lead (…依照下列规定上报事故情况，并通知…：) is kept: its
    // items continue it and take its reporter and notify list.
    let is_lead = text.contains("下列") && (d.reporter.is_some() || !d.notify.is_empty());
    let meaningful = is_lead
        || d.within_hours.is_some()
        || d.immediate
        || d.step_limit_hours.is_some()
        || d.followup_days.is_some()
        // Escalation level by level (逐级报告…直至X) is a duty whatever the grade.
        || (!d.recipients.is_empty() && (!d.grades.is_empty() || lead.is_some() || text.contains("逐级")));
    meaningful.then_some(d)
}

impl ReportingDuty {
    /// Whether the reporter is the unit where it happened (its staff or head),
    /// not a government body passing the report on.
    pub fn by_unit(&self) -> bool {
        self.reporter
            .as_deref()
            .is_some_and(|r| !is_government(r) || r.contains("单位"))
            && !self
                .reporter
                .as_deref()
                .is_some_and(|r| r.starts_with("县级") || r.contains("人民政府"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn criteria_of_a_definition() {
        let c = chars("造成3人以上10人以下死亡，或者10人以上50人以下重伤，或者1000万元以上5000万元以下直接经济损失的事故；");
        let cr = criteria_in(&c, "x#art3", 0);
        assert_eq!(cr.len(), 3);
        assert_eq!(cr[0].thresholds.len(), 2);
        assert_eq!(cr[0].thresholds[0].quantity, "deaths");
        assert_eq!(cr[1].thresholds[1].quantity, "serious_injuries");
        assert_eq!(cr[2].thresholds[0].value, 1e7);
        assert!(cr.iter().all(|c| c.condition.is_none()), "{cr:#?}");
    }

    #[test]
    fn qualitative_and_mixed_criteria() {
        let cr = criteria_in(
            &chars("(三)压力容器、压力管道有毒介质泄漏，造成1万人以上5万人以下转移的；"),
            "u",
            0,
        );
        assert_eq!(cr.len(), 1);
        assert_eq!(
            cr[0].condition.as_deref(),
            Some("压力容器、压力管道有毒介质泄漏")
        );
        let t = &cr[0].thresholds;
        assert_eq!(
            (t[0].quantity.as_str(), t[0].value, t[1].value),
            ("evacuated", 1e4, 5e4)
        );
        let cr = criteria_in(&chars("锅炉、压力容器、压力管道爆炸的；"), "u", 0);
        assert_eq!(
            cr[0].condition.as_deref(),
            Some("锅炉、压力容器、压力管道爆炸")
        );
        assert!(cr[0].thresholds.is_empty());
        let cr = criteria_in(
            &chars("客运索道、大型游乐设施高空滞留100人以上并且时间在48小时以上的；"),
            "u",
            0,
        );
        let q: Vec<&str> = cr[0]
            .thresholds
            .iter()
            .map(|t| t.quantity.as_str())
            .collect();
        assert_eq!(q, vec!["stranded", "duration_hours"]);
        assert_eq!(
            cr[0].condition.as_deref(),
            Some("客运索道、大型游乐设施高空滞留")
        );
        let cr = criteria_in(
            &chars("起重机械主要受力结构件折断或者起升机构坠落的；"),
            "u",
            0,
        );
        assert_eq!(cr.len(), 1);
    }

    #[test]
    fn listed_grades_and_scopes() {
        assert_eq!(
            listed_grade("有下列情形之一的，为较大事故："),
            Some("Larger")
        );
        assert_eq!(
            listed_grade("有下列情形之一的，为特别重大事故："),
            Some("ExtraordinarilySerious")
        );
        assert_eq!(listed_grade("为较大事故"), None);
        assert_eq!(counting_scope("本章所称的“以上”包括本数"), Scope::Chapter);
        assert_eq!(
            counting_scope("本条第一款所称的“以上”包括本数"),
            Scope::Article
        );
        assert_eq!(counting_scope("本规定所称的“以上”含本数"), Scope::Document);
        assert_eq!(
            grades_named("特别重大事故、重大事故逐级上报"),
            vec!["ExtraordinarilySerious", "Serious"]
        );
        assert_eq!(
            grades_named("发生特别重大、重大事故的报告后"),
            vec!["ExtraordinarilySerious", "Serious"]
        );
        assert_eq!(grades_named("较大事故逐级上报"), vec!["Larger"]);
    }
}
