//! Deterministic extraction of facts from parsed documents: obligations,
//! prohibitions and permissions with their subjects; penalties with amounts
//! and the provisions they sanction; deadlines and thresholds as numbers;
//! counting rules (“以上”包括本数); accident-grade definitions; response
//! rules of plans; hazard mentions; the facts of a case file.
//!
//! Rules over Chinese legal language only — no model is required. Every fact
//! carries [`Evidence`]: the unit it was read from and the char span in the
//! document's normalised text.

use crate::model::{Document, Unit};
use crate::numerals::{is_chinese_numeral_char, parse_number, to_ascii_digit};
use emkg_ontology::taxonomy::TERMS;
use emkg_ontology::vocab::{GRADES, SUBJECTS, WARNINGS};
use emkg_ontology::{DocKind, UnitKind};
use serde::{Deserialize, Serialize};

/// Where a fact was read: unit id and char span in the document text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub unit: String,
    pub span: (usize, usize),
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormKind {
    Obligation,
    Prohibition,
    Permission,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Norm {
    pub ev: Evidence,
    pub kind: NormKind,
    pub modal: String,
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Penalty {
    pub ev: Evidence,
    /// fine, multiple_fine, percent_fine, detention, suspension, revocation, confiscation, warning, closure
    pub kind: String,
    pub min_amount: Option<f64>,
    pub max_amount: Option<f64>,
    pub min_multiple: Option<f64>,
    pub max_multiple: Option<f64>,
    pub min_percent: Option<f64>,
    pub max_percent: Option<f64>,
    pub base: Option<String>,
    pub target: Option<String>,
    /// (unit id, method: "reference" | "similarity")
    pub sanctions: Vec<(String, String)>,
}

impl Penalty {
    /// A penalty of `kind` with no amounts or links yet.
    fn new(ev: Evidence, kind: &str, target: Option<String>) -> Penalty {
        Penalty {
            ev,
            kind: kind.to_string(),
            min_amount: None,
            max_amount: None,
            min_multiple: None,
            max_multiple: None,
            min_percent: None,
            max_percent: None,
            base: None,
            target,
            sanctions: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadline {
    pub ev: Evidence,
    pub value: f64,
    /// hour, day, workday, month, year
    pub unit: String,
    pub reporting: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub ev: Evidence,
    /// deaths, serious_injuries, injuries, direct_loss, persons, amount
    pub quantity: String,
    /// min (以上) or max (以下)
    pub bound: String,
    pub value: f64,
    /// person or yuan
    pub unit: String,
    pub inclusive: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountingRule {
    pub ev: Evidence,
    pub above_inclusive: Option<bool>,
    pub below_inclusive: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeDefinition {
    pub ev: Evidence,
    /// IRI local name of the grade (ExtraordinarilySerious …).
    pub grade: String,
    /// All thresholds of the definition (its criteria's, flattened).
    pub thresholds: Vec<Threshold>,
    /// The alternative ways to reach the grade (any one suffices).
    #[serde(default)]
    pub criteria: Vec<crate::rules::GradeCriterion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRule {
    pub ev: Evidence,
    pub level: u8,
    pub condition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub unit: String,
    /// IRI local name of the concept.
    pub concept: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub deaths: Option<u32>,
    pub serious_injuries: Option<u32>,
    pub injuries: Option<u32>,
    pub direct_loss: Option<f64>,
    pub grade: Option<String>,
    pub evidence: Option<Evidence>,
    pub causes: Vec<Evidence>,
    pub findings: Vec<Evidence>,
    pub measures: Vec<Evidence>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub norms: Vec<Norm>,
    pub penalties: Vec<Penalty>,
    pub deadlines: Vec<Deadline>,
    pub thresholds: Vec<Threshold>,
    pub counting_rules: Vec<CountingRule>,
    pub grades: Vec<GradeDefinition>,
    pub response_rules: Vec<ResponseRule>,
    #[serde(default)]
    pub definitions: Vec<crate::rules::Definition>,
    #[serde(default)]
    pub reporting: Vec<crate::rules::ReportingDuty>,
    /// What a plan says: scope, levels, actions, roles (plans only).
    #[serde(default)]
    pub plan: Option<crate::plan::PlanFacts>,
    pub hazards: Vec<Mention>,
    pub warnings: Vec<Mention>,
    pub case: Option<CaseFacts>,
}

/// A piece of a unit's own text (its span minus its children's spans).
struct Segment<'a> {
    unit: &'a Unit,
    start: usize,
    chars: Vec<char>,
}

fn own_segments<'a>(doc: &'a Document, chars: &[char]) -> Vec<Segment<'a>> {
    let mut out = Vec::new();
    let mut children: Vec<Vec<(usize, usize)>> = vec![Vec::new(); doc.units.len()];
    for c in &doc.units {
        if let Some(p) = c.parent.filter(|p| *p < children.len()) {
            children[p].push(c.span);
        }
    }
    for (i, u) in doc.units.iter().enumerate() {
        if u.kind.is_container() {
            continue;
        }
        let mut kids = std::mem::take(&mut children[i]);
        kids.sort();
        let mut pos = u.span.0;
        let mut pieces = Vec::new();
        for (a, b) in kids {
            if a > pos {
                pieces.push((pos, a));
            }
            pos = pos.max(b);
        }
        if u.span.1 > pos {
            pieces.push((pos, u.span.1));
        }
        for (a, b) in pieces {
            let seg: Vec<char> = chars[a.min(chars.len())..b.min(chars.len())].to_vec();
            if seg.iter().any(|c| !c.is_whitespace()) {
                out.push(Segment {
                    unit: u,
                    start: a,
                    chars: seg,
                });
            }
        }
    }
    out
}

/// Sentences of a segment: (start offset in segment, chars), split at 。；\n.
fn sentences(seg: &[char]) -> Vec<(usize, &[char])> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in seg.iter().enumerate() {
        if matches!(c, '。' | '；' | ';' | '\n') {
            if i + 1 > start {
                out.push((start, &seg[start..=i]));
            }
            start = i + 1;
        }
    }
    if start < seg.len() {
        out.push((start, &seg[start..]));
    }
    out.into_iter()
        .filter(|(_, s)| s.iter().any(|c| !c.is_whitespace()))
        .collect()
}

fn s(chars: &[char]) -> String {
    chars.iter().collect()
}

fn find(chars: &[char], pat: &str, from: usize) -> Option<usize> {
    let p: Vec<char> = pat.chars().collect();
    if p.is_empty() || chars.len() < p.len() {
        return None;
    }
    (from..=chars.len() - p.len()).find(|&i| chars[i..i + p.len()] == p[..])
}

fn ev(seg: &Segment<'_>, a: usize, b: usize) -> Evidence {
    let b = b.min(seg.chars.len());
    Evidence {
        unit: seg.unit.id.clone(),
        span: (seg.start + a, seg.start + b),
        text: s(&seg.chars[a..b]).trim().to_string(),
    }
}

/// The party a phrase names: the phrase itself when it is a short noun phrase
/// ending like a party (…单位, …部门, …人员), else the earliest known subject
/// in it (the longest of those starting there).
fn subject_of(phrase: &str) -> Option<String> {
    const ENDINGS: [&str; 12] = [
        "单位",
        "部门",
        "政府",
        "人员",
        "机构",
        "企业",
        "委员会",
        "负责人",
        "个人",
        "公民",
        "机关",
        "办事处",
    ];
    let p = phrase.trim_matches(|c: char| c.is_whitespace() || "，、：（）()".contains(c));
    let n = p.chars().count();
    if (2..=15).contains(&n)
        && !p.contains(['，', '。', '的', '、'])
        && ENDINGS.iter().any(|e| p.ends_with(e))
    {
        return Some(p.to_string());
    }
    SUBJECTS
        .iter()
        .filter_map(|s| {
            phrase
                .find(s)
                .map(|pos| (pos, std::cmp::Reverse(s.len()), *s))
        })
        .min()
        .map(|(_, _, s)| s.to_string())
}

/// Parses a number written in Arabic or Chinese digits at `i`; returns (value, end).
fn number_at(chars: &[char], i: usize) -> Option<(f64, usize)> {
    let mut j = i;
    let mut txt = String::new();
    while j < chars.len()
        && (to_ascii_digit(chars[j]).is_some() || chars[j] == '.' || chars[j] == '．')
    {
        txt.push(if chars[j] == '．' { '.' } else { chars[j] });
        j += 1;
    }
    if !txt.is_empty() {
        let ascii: String = txt
            .chars()
            .map(|c| {
                to_ascii_digit(c)
                    .map(|d| char::from(b'0' + d as u8))
                    .unwrap_or(c)
            })
            .collect();
        return ascii.parse::<f64>().ok().map(|v| (v, j));
    }
    while j < chars.len() && is_chinese_numeral_char(chars[j]) && chars[j] != '万' {
        txt.push(chars[j]);
        j += 1;
    }
    if txt.is_empty() {
        return None;
    }
    parse_number(&txt).map(|v| (v as f64, j))
}

/// An amount of money at `i`: 十万元, 1万元, 五千元, 1亿元; returns (yuan, end).
fn money_at(chars: &[char], i: usize) -> Option<(f64, usize)> {
    let (v, j) = number_at(chars, i)?;
    let rest = &chars[j..];
    if rest.starts_with(&['万', '元']) {
        Some((v * 10_000.0, j + 2))
    } else if rest.starts_with(&['亿', '元']) {
        Some((v * 100_000_000.0, j + 2))
    } else if rest.starts_with(&['元']) {
        Some((v, j + 1))
    } else {
        None
    }
}

/// Version of the fact extraction. Stored documents carry the facts of the
/// version that parsed them; a data directory written by an older version
/// has its facts re-extracted (and its graph rebuilt) at the next write-open.
// 3–5: penalty words named by a procedure, a condition, a list of kinds,
// an appeal or an exemption are no penalty.
pub const VERSION: u32 = 5;

/// Extracts all facts of `doc`.
pub fn extract(doc: &Document) -> Facts {
    let chars: Vec<char> = doc.text.chars().collect();
    let segs = own_segments(doc, &chars);
    let mut f = Facts::default();
    // The reporting duty an article's lead states (…依照下列规定上报…：),
    // which its items continue.
    let mut lead_duty: Option<(Option<u32>, crate::rules::ReportingDuty)> = None;
    for seg in &segs {
        for (off, sent) in sentences(&seg.chars) {
            norms(seg, off, sent, &mut f.norms);
            deadlines(seg, off, sent, &mut f.deadlines);
            counting_rules(seg, off, sent, &mut f.counting_rules);
            response_rules(seg, off, sent, &mut f.response_rules);
            if let Some(d) = crate::rules::definitions(seg.unit, seg.start + off, sent) {
                f.definitions.push(d);
            }
            let lead = lead_duty
                .as_ref()
                .filter(|(a, _)| seg.unit.kind == UnitKind::Item && *a == seg.unit.article)
                .map(|(_, d)| d);
            if let Some(d) = crate::rules::reporting_duty(seg.unit, seg.start + off, sent, lead) {
                let t = s(sent);
                if seg.unit.kind != UnitKind::Item
                    && (t.trim_end().ends_with('：') || t.contains("下列"))
                {
                    lead_duty = Some((seg.unit.article, d.clone()));
                }
                f.reporting.push(d);
            } else if seg.unit.kind != UnitKind::Item {
                let t = s(sent);
                if !t.contains("下列") {
                    // Items that follow belong to another lead.
                    if lead_duty
                        .as_ref()
                        .is_some_and(|(a, _)| *a != seg.unit.article)
                    {
                        lead_duty = None;
                    }
                }
            }
        }
        penalties(doc, seg, &mut f.penalties);
        let ths = crate::rules::thresholds_in(&seg.chars, &seg.unit.id, seg.start);
        if let Some(g) = grade_definition(seg, &ths) {
            f.grades.push(g);
        }
        f.thresholds.extend(ths);
    }
    listed_grades(doc, &chars, &mut f);
    apply_counting_rules(doc, &mut f);
    link_sanctions(doc, &mut f);
    mentions(doc, &segs, &mut f);
    if doc.kind == DocKind::Case {
        f.case = Some(case_facts(doc));
    }
    if doc.kind == DocKind::Plan {
        f.plan = Some(crate::plan::extract(doc));
    }
    f
}

/// `有下列情形之一的，为较大事故：` followed by items: each item is one
/// criterion of the grade.
fn listed_grades(doc: &Document, chars: &[char], f: &mut Facts) {
    for (i, art) in doc.units.iter().enumerate() {
        if art.kind != UnitKind::Article {
            continue;
        }
        let lead_line = art.text.lines().next().unwrap_or("");
        let Some(grade) = crate::rules::listed_grade(&strip_label(lead_line)) else {
            continue;
        };
        let items: Vec<&Unit> = doc
            .units
            .iter()
            .filter(|u| {
                u.kind == UnitKind::Item
                    && u.article == art.article
                    && u.article_suffix == art.article_suffix
            })
            .filter(|u| {
                // Items of this article's first clause (or directly under it).
                u.parent.is_some_and(|p| {
                    p == i || doc.units[p].parent == Some(i) && doc.units[p].clause == Some(1)
                })
            })
            .collect();
        let mut criteria = Vec::new();
        for it in items {
            let c: Vec<char> =
                chars[it.span.0.min(chars.len())..it.span.1.min(chars.len())].to_vec();
            criteria.extend(crate::rules::criteria_in(&c, &it.id, it.span.0));
        }
        if criteria.is_empty() {
            continue;
        }
        let n = lead_line.chars().count();
        f.grades.push(GradeDefinition {
            ev: Evidence {
                unit: art.id.clone(),
                span: (art.span.0, art.span.0 + n),
                text: lead_line.trim().to_string(),
            },
            grade: grade.to_string(),
            thresholds: criteria.iter().flat_map(|c| c.thresholds.clone()).collect(),
            criteria,
        });
    }
}

fn norms(seg: &Segment<'_>, off: usize, sent: &[char], out: &mut Vec<Norm>) {
    const MODALS: [(&str, NormKind); 7] = [
        ("不得", NormKind::Prohibition),
        ("禁止", NormKind::Prohibition),
        ("严禁", NormKind::Prohibition),
        ("应当", NormKind::Obligation),
        ("必须", NormKind::Obligation),
        ("可以", NormKind::Permission),
        ("有权", NormKind::Permission),
    ];
    let first = MODALS
        .iter()
        .filter_map(|(m, k)| find(sent, m, 0).map(|p| (p, *m, *k)))
        .min_by_key(|(p, _, _)| *p);
    let first = first.or_else(|| {
        // 负有下列职责 / 履行下列职责: a duty stated without a modal word.
        let p = find(sent, "负有", 0).or_else(|| find(sent, "履行", 0))?;
        find(sent, "职责", p).map(|_| (p, "负有职责", NormKind::Obligation))
    });
    let Some((pos, modal, kind)) = first else {
        return;
    };
    // The subject is the phrase before the modal, after the last comma.
    let before = s(&sent[..pos]);
    let phrase = before
        .rsplit(['，', '：', ','])
        .next()
        .unwrap_or(&before)
        .to_string();
    let phrase = strip_label(&phrase);
    out.push(Norm {
        ev: ev(seg, off, off + sent.len()),
        kind,
        modal: modal.to_string(),
        subject: subject_of(&phrase).or_else(|| subject_of(&strip_label(&before))),
    });
}

/// Drops a leading 第N条 / （一） label (for other modules of this crate).
pub(crate) fn strip_label_pub(s: &str) -> String {
    strip_label(s)
}

/// Drops a leading 第N条 / （一） label.
fn strip_label(s: &str) -> String {
    let t = s.trim();
    if let Some(a) = crate::structure::article_start(t) {
        return t
            .chars()
            .skip(a.label_chars)
            .collect::<String>()
            .trim()
            .to_string();
    }
    if let Some((_, n)) = crate::structure::item_marker(t) {
        return t.chars().skip(n).collect::<String>().trim().to_string();
    }
    t.to_string()
}

fn deadlines(seg: &Segment<'_>, off: usize, sent: &[char], out: &mut Vec<Deadline>) {
    let text = s(sent);
    let reporting = ["报告", "上报", "报送", "通报", "报请", "报备", "报"]
        .iter()
        .any(|k| text.contains(k));
    let mut i = 0;
    while i < sent.len() {
        let Some((v, j)) = number_at(sent, i).filter(|_| {
            i == 0
                || !(to_ascii_digit(sent[i - 1]).is_some() || is_chinese_numeral_char(sent[i - 1]))
        }) else {
            i += 1;
            continue;
        };
        let rest = &sent[j..];
        let units: [(&str, &str); 7] = [
            ("个小时", "hour"),
            ("小时", "hour"),
            ("个工作日", "workday"),
            ("工作日", "workday"),
            ("日", "day"),
            ("天", "day"),
            ("个月", "month"),
        ];
        let mut matched = None;
        for (u, name) in units {
            let uc: Vec<char> = u.chars().collect();
            if rest.starts_with(&uc) {
                let after = &rest[uc.len()..];
                let within = after.starts_with(&['内'])
                    || after.starts_with(&['以', '内'])
                    || after.starts_with(&['之', '内']);
                let limit = i >= 3 && {
                    let lead = s(&sent[i.saturating_sub(4)..i]);
                    lead.contains("不得超过") || lead.contains("不超过") || lead.ends_with("超过")
                };
                if within || limit {
                    let end = j
                        + uc.len()
                        + if after.starts_with(&['内']) {
                            1
                        } else if within {
                            2
                        } else {
                            0
                        };
                    matched = Some((name, end));
                }
                break;
            }
        }
        match matched {
            Some((unit, end)) if v > 0.0 => {
                out.push(Deadline {
                    ev: ev(seg, off + i, off + end),
                    value: v,
                    unit: unit.to_string(),
                    reporting,
                });
                i = end;
            }
            _ => i = j.max(i + 1),
        }
    }
}

fn counting_rules(seg: &Segment<'_>, off: usize, sent: &[char], out: &mut Vec<CountingRule>) {
    let t: String = s(sent)
        .chars()
        .filter(|c| !matches!(c, '“' | '”' | '"' | '\'' | '‘' | '’'))
        .collect();
    let rule = |word: &str| -> Option<bool> {
        if t.contains(&format!("{word}不包括本数")) || t.contains(&format!("{word}不含本数"))
        {
            Some(false)
        } else if t.contains(&format!("{word}包括本数")) || t.contains(&format!("{word}含本数"))
        {
            Some(true)
        } else {
            None
        }
    };
    let (above, below) = (rule("以上"), rule("以下"));
    if above.is_some() || below.is_some() {
        out.push(CountingRule {
            ev: ev(seg, off, off + sent.len()),
            above_inclusive: above,
            below_inclusive: below,
        });
    }
}

fn response_rules(seg: &Segment<'_>, off: usize, sent: &[char], out: &mut Vec<ResponseRule>) {
    let Some(p) = find(sent, "启动", 0) else {
        return;
    };
    let after = &sent[p + 2..];
    let level = match after.first() {
        Some('一' | 'Ⅰ' | 'I') => 1,
        Some('二' | 'Ⅱ') => 2,
        Some('三' | 'Ⅲ') => 3,
        Some('四' | 'Ⅳ') => 4,
        _ => return,
    };
    let rest = s(&after[1..]);
    if !(rest.starts_with("级应急响应") || rest.starts_with("级响应")) {
        return;
    }
    let cond = strip_paren_label(&s(&sent[..p]));
    let cond = cond.trim_end_matches(['，', ',', '时']).trim().to_string();
    out.push(ResponseRule {
        ev: ev(seg, off, off + sent.len()),
        level,
        condition: cond,
    });
}

fn strip_paren_label(s: &str) -> String {
    let t = s.trim();
    if let Some((_, n)) =
        crate::structure::paren_arabic_marker(t).or_else(|| crate::structure::item_marker(t))
    {
        return t.chars().skip(n).collect();
    }
    t.to_string()
}

fn grade_definition(seg: &Segment<'_>, ths: &[Threshold]) -> Option<GradeDefinition> {
    let text = strip_label(&s(&seg.chars));
    let (_, local) = GRADES.iter().find(|(zh, _)| text.starts_with(zh))?;
    let rest: String = text
        .chars()
        .skip_while(|c| *c != '是' && *c != '，')
        .take(3)
        .collect();
    if !(rest.contains("是指") || text.contains("是指")) || ths.is_empty() {
        return None;
    }
    let p = find(&seg.chars, "是指", 0)?;
    let criteria = crate::rules::criteria_in(&seg.chars[p + 2..], &seg.unit.id, seg.start + p + 2);
    Some(GradeDefinition {
        ev: ev(seg, 0, seg.chars.len()),
        grade: (*local).to_string(),
        thresholds: ths.to_vec(),
        criteria,
    })
}

/// Applies each counting rule to the thresholds in its scope — its article
/// (本条), its chapter (本章) or the whole document (本条例) — rules as data.
fn apply_counting_rules(doc: &Document, f: &mut Facts) {
    use crate::rules::{chapter_of, counting_scope, Scope};
    let article_of = |unit_id: &str| doc.unit(unit_id).and_then(|u| u.article);
    /// (scope, article, chapter index, 以上 includes, 以下 includes)
    type Rule = (
        Scope,
        Option<u32>,
        Option<usize>,
        Option<bool>,
        Option<bool>,
    );
    let rules: Vec<Rule> = f
        .counting_rules
        .iter()
        .map(|r| {
            (
                counting_scope(&r.ev.text),
                article_of(&r.ev.unit),
                chapter_of(doc, &r.ev.unit),
                r.above_inclusive,
                r.below_inclusive,
            )
        })
        .collect();
    let apply = |t: &mut Threshold| {
        let a = article_of(&t.ev.unit);
        let ch = chapter_of(doc, &t.ev.unit);
        // The narrowest rule that covers the threshold.
        let hit = rules
            .iter()
            .find(|r| r.0 == Scope::Article && r.1.is_some() && r.1 == a)
            .or_else(|| {
                rules
                    .iter()
                    .find(|r| r.0 == Scope::Chapter && r.2.is_some() && r.2 == ch)
            })
            .or_else(|| rules.iter().find(|r| r.0 == Scope::Document));
        if let Some((_, _, _, above, below)) = hit {
            t.inclusive = if t.bound == "min" { *above } else { *below };
        }
    };
    f.thresholds.iter_mut().for_each(apply);
    for g in f.grades.iter_mut() {
        g.thresholds.iter_mut().for_each(apply);
        for c in g.criteria.iter_mut() {
            c.thresholds.iter_mut().for_each(apply);
        }
    }
}

fn penalties(doc: &Document, seg: &Segment<'_>, out: &mut Vec<Penalty>) {
    let c = &seg.chars;
    let text = s(c);
    // The default target: the party named before 有下列行为之一的 / 违反…的.
    let default_target = {
        let art = seg.unit.article.and_then(|a| {
            doc.articles()
                .find(|u| u.article == Some(a) && u.article_suffix == seg.unit.article_suffix)
        });
        let lead = art
            .map(|u| u.text.lines().next().unwrap_or("").to_string())
            .unwrap_or_default();
        let lead = strip_label(&lead);
        let head: String = lead
            .split(['，', '有', '违'])
            .next()
            .unwrap_or("")
            .to_string();
        subject_of(&head)
    };
    let is_item = seg.unit.item.is_some();
    if is_item {
        let lead = seg
            .unit
            .article
            .and_then(|a| {
                doc.articles()
                    .find(|u| u.article == Some(a) && u.article_suffix == seg.unit.article_suffix)
            })
            .map(|u| u.text.lines().next().unwrap_or("").to_string())
            .unwrap_or_default();
        if lists_penalties_as_things(&lead) {
            return;
        }
    }
    // Fines: each 罚款 with its 处… phrase.
    let mut from = 0;
    while let Some(p) = find(c, "罚款", from) {
        from = p + 2;
        let chu = (p.saturating_sub(40)..p).rev().find(|&k| c[k] == '处');
        let Some(chu) = chu else { continue };
        if !sanction_context(c, chu, p + 2) {
            continue;
        }
        let phrase = &c[chu + 1..p];
        // 依照下列规定处以罚款: an announcement, the amounts follow in the items.
        if !phrase
            .iter()
            .any(|ch| to_ascii_digit(*ch).is_some() || is_chinese_numeral_char(*ch))
        {
            continue;
        }
        let mut pen = Penalty::new(
            ev(seg, chu, p + 2),
            "fine",
            target_before(c, chu).or_else(|| default_target.clone()),
        );
        parse_fine(phrase, &mut pen);
        out.push(pen);
    }
    // Other sanctions, once per segment each.
    let kinds: [(&str, &str); 8] = [
        ("拘留", "detention"),
        ("责令停产停业", "suspension"),
        ("暂扣", "suspension"),
        ("吊销", "revocation"),
        ("没收", "confiscation"),
        ("警告", "warning"),
        ("予以关闭", "closure"),
        ("撤销", "revocation"),
    ];
    for (word, kind) in kinds {
        let mut at = find(c, word, 0);
        while let Some(p) = at {
            if sanction_context(c, p, p + word.chars().count()) {
                break;
            }
            at = find(c, word, p + 1);
        }
        if let Some(p) = at {
            // 警告 and 撤销 only count in a sanction context.
            if (kind == "warning" || word == "撤销")
                && !(text.contains("给予") || text.contains("处") || text.contains("责令"))
            {
                continue;
            }
            out.push(Penalty::new(
                ev(seg, p, p + word.chars().count()),
                kind,
                target_before(c, p).or_else(|| default_target.clone()),
            ));
        }
    }
}

/// Whether the penalty words at `[start, end)` impose a sanction, rather
/// than name one as the object of a procedure or a condition: a decision
/// to be filed or heard (县级部门处以5万元以上罚款…的行政处罚的，应当…备案;
/// 作出吊销许可证件…决定前，应当告知…听证), an authority's failure or duty
/// (不及时吊销许可证的; 依法应当没收的财物), a request (请求没收, 提请撤销缓刑),
/// or a wrong one undone (没收…错误的，应当返还).
fn sanction_context(c: &[char], start: usize, end: usize) -> bool {
    const BEFORE: [&str; 12] = [
        "不执行",
        "不应当予以",
        "应当予以",
        "依法应当",
        "不及时",
        "未及时",
        "不予",
        "请求",
        "提请",
        "作出",
        "收缴",
        "采取",
    ];
    const AFTER: [&str; 5] = ["错误", "的行政处罚", "的处罚决定", "决定前", "的决定"];
    let before: String = c[start.saturating_sub(8)..start].iter().collect();
    // The clause the words are in: back to the last clause break.
    let clause_start = c[..start]
        .iter()
        .rposition(|x| matches!(x, '，' | '；' | '。' | '：' | '\n'))
        .map_or(0, |i| i + 1);
    let clause: String = c[clause_start..start].iter().collect();
    if BEFORE
        .iter()
        .any(|w| before.ends_with(w) || clause.contains(w))
    {
        return false;
    }
    // 被吊销执业资格的…, 被吊销营业执照、责令关闭、撤销的: a penalty
    // suffered before, now a condition.
    // (对被检查单位处… is a sanction: only 被 with a penalty verb counts.)
    let passive = [
        "被吊销",
        "被撤销",
        "被没收",
        "被责令",
        "被处",
        "被依法",
        "被罚款",
        "被拘留",
        "被暂扣",
        "被关闭",
    ];
    if passive.iter().any(|w| clause.contains(w)) || before.ends_with('被') {
        return false;
    }
    // What follows, to the end of the sentence: the words listed as the
    // object of a procedure.
    let stop = c[end..]
        .iter()
        .position(|x| matches!(x, '。' | '；' | '\n'))
        .map_or(c.len(), |i| end + i);
    let after: String = c[end..stop].iter().collect();
    let near: String = c[end..(end + 8).min(stop)].iter().collect();
    !(AFTER.iter().any(|w| near.contains(w))
        || [
            "行政处罚的",
            "备案",
            "听证",
            "不服",
            "强制措施",
            "上缴",
            "国库",
            "不执行",
        ]
        .iter()
        .any(|w| after.contains(w)))
}

/// An article whose items list penalties as things — the kinds of
/// penalty, the decisions that need a hearing, what may be appealed — and
/// not as sanctions of a violation.
fn lists_penalties_as_things(lead: &str) -> bool {
    [
        "种类",
        "听证",
        "下列诉讼",
        "提起行政诉讼",
        "申请行政复议",
        "下列行政处罚决定",
    ]
    .iter()
    .any(|w| lead.contains(w))
}

/// `对X处` → X, the party penalised.
fn target_before(c: &[char], chu: usize) -> Option<String> {
    let start = chu.saturating_sub(30);
    let window = &c[start..chu];
    let dui = window.iter().rposition(|x| *x == '对')?;
    let phrase = s(&window[dui + 1..]);
    if phrase.contains(['。', '；']) {
        return None;
    }
    if phrase.contains(['，', ',']) {
        return None;
    }
    let phrase = phrase.trim_start_matches('其').to_string();
    subject_of(&phrase)
        .or(Some(phrase))
        .filter(|p| !p.is_empty() && p.chars().count() <= 25)
}

/// Amounts in a fine phrase: X元以上Y元以下, X万元以下, 一倍以上五倍以下, 百分之四十.
fn parse_fine(phrase: &[char], pen: &mut Penalty) {
    let text = s(phrase);
    if let Some(p) = find(phrase, "百分之", 0) {
        pen.kind = "percent_fine".into();
        pen.base = Some(s(&phrase[..p]).trim().to_string()).filter(|b| !b.is_empty());
        let mut k = p;
        while let Some(q) = find(phrase, "百分之", k) {
            let Some((v, j)) = number_at(phrase, q + 3) else {
                break;
            };
            let tail = s(&phrase[j..(j + 2).min(phrase.len())]);
            match tail.as_str() {
                "以上" => pen.min_percent = Some(v),
                "以下" => pen.max_percent = Some(v),
                _ => {
                    pen.min_percent = Some(v);
                    pen.max_percent = Some(v);
                }
            }
            k = j;
        }
        return;
    }
    if text.contains('倍') {
        pen.kind = "multiple_fine".into();
        let mut i = 0;
        let mut base_end = None;
        while i < phrase.len() {
            if let Some((v, j)) = number_at(phrase, i) {
                if phrase.get(j) == Some(&'倍') {
                    base_end.get_or_insert(i);
                    let tail = s(&phrase[j + 1..(j + 3).min(phrase.len())]);
                    if tail.starts_with("以上") {
                        pen.min_multiple = Some(v);
                    } else if tail.starts_with("以下") {
                        pen.max_multiple = Some(v);
                    } else {
                        pen.min_multiple = Some(v);
                        pen.max_multiple = Some(v);
                    }
                    i = j + 1;
                    continue;
                }
                i = j.max(i + 1);
            } else {
                i += 1;
            }
        }
        if let Some(b) = base_end {
            pen.base = Some(s(&phrase[..b]).trim().to_string()).filter(|b| !b.is_empty());
        }
        return;
    }
    let mut i = 0;
    while i < phrase.len() {
        if let Some((v, j)) = money_at(phrase, i) {
            let tail = s(&phrase[j..(j + 2).min(phrase.len())]);
            if tail == "以上" {
                pen.min_amount = Some(v);
            } else if tail == "以下" {
                pen.max_amount = Some(v);
            } else {
                pen.min_amount = Some(v);
                pen.max_amount = Some(v);
            }
            i = j;
        } else {
            i += 1;
        }
    }
}

/// Links each penalty to the provisions it sanctions: references in its article
/// (违反本法第X条), else the duty whose wording its violation describes best.
fn link_sanctions(doc: &Document, f: &mut Facts) {
    let index: std::collections::HashMap<&str, &Unit> =
        doc.units.iter().map(|u| (u.id.as_str(), u)).collect();
    let article_id = |unit_id: &str| -> Option<String> {
        let u = index.get(unit_id)?;
        let a = u.article?;
        Some(match u.article_suffix {
            Some(s) => format!("{}#art{a}-{s}", doc.id),
            None => format!("{}#art{a}", doc.id),
        })
    };
    // Duties: obligations and prohibitions outside penalty articles.
    let penalty_articles: std::collections::HashSet<String> = f
        .penalties
        .iter()
        .filter_map(|p| article_id(&p.ev.unit))
        .collect();
    // (bigrams of the duty sentence, its article), computed once.
    let duties: Vec<(Bigrams, String)> = f
        .norms
        .iter()
        .filter(|n| n.kind != NormKind::Permission)
        .filter_map(|n| article_id(&n.ev.unit).map(|a| (bigrams(&n.ev.text), a)))
        .filter(|(_, a)| !penalty_articles.contains(a))
        .collect();
    // Sanctioned provisions are a property of the penalty article: computed
    // once per article, shared by all of its penalties.
    let mut by_article: std::collections::HashMap<String, Vec<(String, String)>> =
        std::collections::HashMap::new();
    for p in f.penalties.iter_mut() {
        let Some(art) = article_id(&p.ev.unit) else {
            continue;
        };
        if let Some(s) = by_article.get(&art) {
            p.sanctions = s.clone();
            continue;
        }
        let sanctions = article_sanctions(doc, &art, &article_id, &penalty_articles, &duties);
        p.sanctions = sanctions.clone();
        by_article.insert(art, sanctions);
    }
}

type Bigrams = std::collections::HashSet<(char, char)>;

/// What the penalty article `art` sanctions: the provisions it references,
/// else the duties whose wording its listed violations (or its lead) match.
fn article_sanctions(
    doc: &Document,
    art: &str,
    article_id: &dyn Fn(&str) -> Option<String>,
    penalty_articles: &std::collections::HashSet<String>,
    duties: &[(Bigrams, String)],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let refs: Vec<String> = doc
        .xrefs
        .iter()
        .filter(|r| r.doc_title.is_none() && article_id(&r.from).as_deref() == Some(art))
        .filter_map(|r| r.resolved.clone())
        .filter(|t| article_id(t).is_some_and(|a| a != art && !penalty_articles.contains(&a)))
        .collect();
    if !refs.is_empty() {
        for r in refs {
            if !out.iter().any(|(u, _)| *u == r) {
                out.push((r, "reference".into()));
            }
        }
        return out;
    }
    let Some(art_unit) = doc.unit(art) else {
        return out;
    };
    let prefix = format!("{art}.");
    let item_texts: Vec<String> = doc
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Item && u.id.starts_with(&prefix))
        .map(|u| u.text.clone())
        .collect();
    let lead = art_unit.text.lines().next().unwrap_or("").to_string();
    // The listed violations first; the lead clause when they match nothing.
    for candidates in [item_texts, vec![lead]] {
        for v in candidates {
            let vb = bigrams(&strip_label(&v));
            let best = duties
                .iter()
                .map(|(b, a)| (dice(&vb, b), a))
                .max_by(|x, y| x.0.total_cmp(&y.0));
            if let Some((score, a)) = best {
                if score >= 0.3 && !out.iter().any(|(u, _)| u == a) {
                    out.push((a.clone(), "similarity".into()));
                }
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

fn bigrams(s: &str) -> std::collections::HashSet<(char, char)> {
    let c: Vec<char> = s
        .chars()
        .filter(|c| !c.is_whitespace() && !"，。；、：（）()".contains(*c))
        .collect();
    c.windows(2).map(|w| (w[0], w[1])).collect()
}

fn dice(
    a: &std::collections::HashSet<(char, char)>,
    b: &std::collections::HashSet<(char, char)>,
) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / (a.len() + b.len()) as f64
}

fn mentions(doc: &Document, segs: &[Segment<'_>], f: &mut Facts) {
    let mut seen = std::collections::HashSet::new();
    for seg in segs {
        let text = s(&seg.chars);
        let unit = chunk_of(doc, seg.unit);
        for t in TERMS {
            let hit = t.zh.split('/').any(|l| text.contains(l))
                || t.aliases.iter().any(|a| text.contains(a));
            if hit && seen.insert((unit.clone(), t.local)) {
                f.hazards.push(Mention {
                    unit: unit.clone(),
                    concept: t.local.to_string(),
                });
            }
        }
        for (zh, local) in WARNINGS {
            let short: String = zh.chars().take(2).collect();
            if (text.contains(zh) || text.contains(&format!("{short}预警")))
                && seen.insert((unit.clone(), local))
            {
                f.warnings.push(Mention {
                    unit: unit.clone(),
                    concept: local.to_string(),
                });
            }
        }
    }
}

/// The retrieval chunk (article, section) a unit belongs to.
fn chunk_of(doc: &Document, u: &Unit) -> String {
    let mut cur = u;
    loop {
        if cur.chunk {
            return cur.id.clone();
        }
        match cur.parent.and_then(|p| doc.units.get(p)) {
            Some(p) => cur = p,
            None => return u.id.clone(),
        }
    }
}

fn case_facts(doc: &Document) -> CaseFacts {
    let mut cf = CaseFacts::default();
    // Casualties and loss from the first unit that states them.
    for u in doc.units.iter().filter(|u| u.chunk) {
        let c: Vec<char> = u.text.chars().collect();
        let count_before = |word: &str| -> Option<u32> {
            let p = find(&c, word, 0)?;
            let mut k = p;
            while k > 0 && (to_ascii_digit(c[k - 1]).is_some() || is_chinese_numeral_char(c[k - 1]))
            {
                k -= 1;
            }
            (k < p)
                .then(|| number_at(&c, k).map(|(v, _)| v as u32))
                .flatten()
        };
        let deaths = count_before("人死亡");
        let serious = count_before("人重伤").or_else(|| {
            let p = find(&c, "其中", 0)?;
            let q = find(&c, "人重伤", p)?;
            number_at(
                &c,
                (p + 2..q)
                    .find(|&k| to_ascii_digit(c[k]).is_some() || is_chinese_numeral_char(c[k]))?,
            )
            .map(|(v, _)| v as u32)
        });
        let injuries = count_before("人受伤");
        let loss = find(&c, "直接经济损失", 0).and_then(|p| {
            let mut k = p + 6;
            while k < c.len() && matches!(c[k], '约' | '达' | '为' | '共' | '计') {
                k += 1;
            }
            money_at(&c, k).map(|(v, _)| v)
        });
        if deaths.is_some() || injuries.is_some() || loss.is_some() {
            cf.deaths = deaths;
            cf.serious_injuries = serious;
            cf.injuries = injuries;
            cf.direct_loss = loss;
            cf.evidence = Some(Evidence {
                unit: u.id.clone(),
                span: u.span,
                text: u.text.clone(),
            });
            break;
        }
    }
    // The grade the title names.
    for (zh, local) in GRADES {
        let short = zh.trim_end_matches("事故");
        if doc.title.contains(zh) || doc.title.contains(short) {
            cf.grade = Some(local.to_string());
            break;
        }
    }
    // Causes, responsibility findings and measures from the report's parts.
    for (i, u) in doc.units.iter().enumerate() {
        let Some(h) = u.heading.as_deref() else {
            continue;
        };
        if u.parent.is_some() {
            continue;
        }
        let target = if h.contains("原因") {
            &mut cf.causes
        } else if h.contains("责任") {
            &mut cf.findings
        } else if h.contains("措施") || h.contains("整改") {
            &mut cf.measures
        } else {
            continue;
        };
        let kids: Vec<&Unit> = doc.units.iter().filter(|k| k.parent == Some(i)).collect();
        let list: Vec<&Unit> = if kids.is_empty() { vec![u] } else { kids };
        for k in list {
            target.push(Evidence {
                unit: k.id.clone(),
                span: k.span,
                text: k.text.clone(),
            });
        }
    }
    cf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_text, Source};

    fn doc(text: &str) -> Document {
        let src = Source {
            path: "t.md".into(),
            format: "md".into(),
            encoding: "UTF-8".into(),
        };
        parse_text("t", text, src, String::new(), "")
    }

    #[test]
    fn fines_and_targets() {
        let d = doc("示例法\n\n第一条 生产经营单位应当配备安全生产管理人员。\n\n第二条 生产经营单位未配备安全生产管理人员的，责令限期改正，处十万元以下的罚款；逾期未改正的，处十万元以上二十万元以下的罚款，对其直接负责的主管人员处二万元以上五万元以下的罚款。\n\n第三条 违反本法第一条规定的，没收违法所得，并处违法所得一倍以上五倍以下的罚款。");
        let f = extract(&d);
        let fines: Vec<&Penalty> = f
            .penalties
            .iter()
            .filter(|p| p.kind.ends_with("fine"))
            .collect();
        assert_eq!(fines.len(), 4, "{fines:#?}");
        assert_eq!(
            (fines[0].min_amount, fines[0].max_amount),
            (None, Some(100_000.0))
        );
        assert_eq!(
            (fines[1].min_amount, fines[1].max_amount),
            (Some(100_000.0), Some(200_000.0))
        );
        assert_eq!(fines[2].target.as_deref(), Some("直接负责的主管人员"));
        assert_eq!(
            (fines[2].min_amount, fines[2].max_amount),
            (Some(20_000.0), Some(50_000.0))
        );
        assert_eq!(fines[0].target.as_deref(), Some("生产经营单位"));
        assert_eq!(
            (
                fines[3].kind.as_str(),
                fines[3].min_multiple,
                fines[3].max_multiple
            ),
            ("multiple_fine", Some(1.0), Some(5.0))
        );
        assert_eq!(fines[3].base.as_deref(), Some("违法所得"));
        assert_eq!(
            fines[3].sanctions,
            vec![("t#art1".to_string(), "reference".to_string())]
        );
        // Without a reference, the duty is found by its wording.
        assert_eq!(
            fines[0].sanctions,
            vec![("t#art1".to_string(), "similarity".to_string())]
        );
        assert!(f.penalties.iter().any(|p| p.kind == "confiscation"));
    }

    #[test]
    fn penalties_named_by_a_procedure_or_a_condition_are_none() {
        // Each article names penalties without imposing one (the cases of a
        // hand-checked sample of the corpus's penalties that were misread).
        for text in [
            "第一条 县级安全生产监督管理部门处以5万元以上罚款、没收违法所得、责令停产停业、吊销有关资格的行政处罚的，应当自作出行政处罚决定之日起10日内报设区的市级安全生产监督管理部门备案。",
            "第一条 公安机关作出吊销许可证件、处四千元以上罚款的治安管理处罚决定前，应当告知违反治安管理行为人有权要求举行听证。",
            "第一条 违法事实不成立，或者依法不应当予以没收、扣留、封存的，解除登记保存。",
            "第一条 没收、追缴财物错误的，应当依法予以返还、赔偿。",
            "第一条 对违法事实清楚，依法应当没收的非法财物予以没收。",
            "第一条 向外国请求没收、返还违法所得及其他涉案财物的，请求书应当载明下列事项。",
            "第一条 社区矫正对象违反监督管理规定的，依法提请撤销缓刑。",
            "第一条 发现取得经营许可的港口经营人不再具备法定许可条件而不及时吊销许可证的，依法给予处分。",
            "第一条 治安管理处罚的种类分为：\n\n（一）警告；\n\n（二）罚款；\n\n（三）行政拘留；\n\n（四）吊销公安机关发放的许可证件。",
            "第一条 人民法院受理公民提起的下列诉讼：\n\n（一）对行政拘留、暂扣或者吊销许可证和执照、责令停产停业、没收违法所得、罚款、警告等行政处罚不服的；",
            "第一条 经继续盘问，公安机关认为需要依法采取拘留或者其他强制措施的，应当作出决定。",
            "第一条 有下列情形之一的，不得担任：\n\n（一）因违法行为被吊销执业资格的专业人员；",
            "第一条 不按照规定将收缴的罚款及没收的违法所得上缴国库的，依法给予处分。",
            "第一条 有下列情形之一的，劳动合同终止：\n\n（一）用人单位被吊销营业执照、责令关闭、撤销或者决定提前解散的；",
            "第一条 违反治安管理行为人有下列情形之一，依照本法应当给予行政拘留处罚的，不执行行政拘留处罚。",
        ] {
            let f = extract(&doc(&format!(
                "示例办法\n\n{text}\n\n第二条 本办法自公布之日起施行。"
            )));
            let wrong: Vec<&str> = f
                .penalties
                .iter()
                .filter(|p| p.kind != "warning")
                .map(|p| p.ev.unit.as_str())
                .collect();
            assert!(wrong.is_empty(), "{text}: {wrong:?}");
        }
        // 对被检查单位处: a sanction on the inspected, not a passive condition.
        let f = extract(&doc("示例法\n\n第一条 拒绝检查的，对被检查单位处一万元以上五万元以下罚款。\n\n第二条 本法自公布之日起施行。"));
        assert!(
            f.penalties.iter().any(|p| p.kind == "fine"),
            "{:?}",
            f.penalties
        );
        // Real sanctions keep being read, a refusal clause included.
        let f = extract(&doc("示例法\n\n第一条 违反本法规定的，责令改正，给予警告，没收违法所得；拒不改正的，处一万元以上十万元以下罚款，并吊销许可证。"));
        let kinds: Vec<&str> = f.penalties.iter().map(|p| p.kind.as_str()).collect();
        for k in ["fine", "warning", "confiscation", "revocation"] {
            assert!(kinds.contains(&k), "{k} missing: {kinds:?}");
        }
    }

    #[test]
    fn norms_deadlines_thresholds() {
        let d = doc("示例条例\n\n第一条 事故发生后，单位负责人接到报告后，应当于1小时内向县级以上人民政府报告。\n\n第二条 任何单位和个人不得迟报、漏报事故。\n\n第三条 事故分为：\n\n（一）较大事故，是指造成3人以上10人以下死亡，或者1000万元以上5000万元以下直接经济损失的事故；\n\n本条所称的“以上”包括本数，所称的“以下”不包括本数。");
        let f = extract(&d);
        assert!(f
            .norms
            .iter()
            .any(|n| n.kind == NormKind::Obligation && n.modal == "应当"));
        let p = f
            .norms
            .iter()
            .find(|n| n.kind == NormKind::Prohibition)
            .unwrap();
        assert_eq!(p.subject.as_deref(), Some("任何单位和个人"));
        assert_eq!(f.deadlines.len(), 1);
        assert_eq!(
            (
                f.deadlines[0].value,
                f.deadlines[0].unit.as_str(),
                f.deadlines[0].reporting
            ),
            (1.0, "hour", true)
        );
        let g = &f.grades[0];
        assert_eq!(g.grade, "Larger");
        let got: Vec<(String, String, f64, Option<bool>)> = g
            .thresholds
            .iter()
            .map(|t| (t.quantity.clone(), t.bound.clone(), t.value, t.inclusive))
            .collect();
        assert_eq!(
            got,
            vec![
                ("deaths".into(), "min".into(), 3.0, Some(true)),
                ("deaths".into(), "max".into(), 10.0, Some(false)),
                ("direct_loss".into(), "min".into(), 10_000_000.0, Some(true)),
                (
                    "direct_loss".into(),
                    "max".into(),
                    50_000_000.0,
                    Some(false)
                ),
            ]
        );
    }

    #[test]
    fn response_rules_and_hazards() {
        let d = doc("示例预案\n\n1　应急响应\n\n（1）发生一般事故，启动四级响应。\n\n（2）发布红色预警时，启动一级应急响应。\n\n2　有限空间作业\n\n有限空间作业应当先通风、再检测、后作业。");
        let f = extract(&d);
        let r: Vec<(u8, String)> = f
            .response_rules
            .iter()
            .map(|r| (r.level, r.condition.clone()))
            .collect();
        assert_eq!(
            r,
            vec![(4, "发生一般事故".into()), (1, "发布红色预警".into())]
        );
        assert!(f
            .hazards
            .iter()
            .any(|m| m.concept == "ConfinedSpace" && m.unit == "t#sec2"));
        assert!(f.warnings.iter().any(|m| m.concept == "Red"));
    }
}
