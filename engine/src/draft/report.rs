//! Incident information reports: the 初报 with the contents the applicable
//! regulation lists (条例第十二条: 单位概况; 时间、地点、现场情况; 简要经过;
//! 伤亡人数和直接经济损失; 已经采取的措施; 其他情况), grade, addressees and
//! time limit from the assessment; the 续报 with what changed since the last
//! report.
//!
//! The form is data (`emkg_ontology::templates::INCIDENT_REPORTS`), chosen
//! by the regime the assessment routes the incident to. Slots are filled
//! from the facts; what the facts lack is written 待核实 and listed. A model,
//! when given, may only rephrase the 简要经过 from the facts. The whole draft
//! then passes the citation checker and [`super::factcheck`].

use super::factcheck::{self, Source};
use super::{chinese_date, Draft, DraftCitation, DraftKind, Item, Part};
use crate::assess::{cite, IncidentInput, ReportStep};
use crate::{Engine, EngineError, Result};
use emkg_ingest::incident::{Count, Incident};
use emkg_models::{ChatMessage, GenerationParams, Generator};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
struct Templates {
    forms: Vec<Form>,
    initial: Heads,
    followup: FollowupHeads,
    pending: String,
}

#[derive(Debug, Deserialize)]
struct Form {
    /// Names the form for readers of the template (and the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    id: String,
    regimes: Vec<String>,
    basis: Option<FormBasis>,
    #[serde(default)]
    note: Option<String>,
    parts: Vec<FormPart>,
}

#[derive(Debug, Deserialize)]
struct FormBasis {
    title: String,
    article: u32,
}

#[derive(Debug, Deserialize)]
struct FormPart {
    heading: String,
    lines: Vec<FormLine>,
}

#[derive(Debug, Deserialize)]
struct FormLine {
    text: String,
    #[serde(default)]
    optional: bool,
}

#[derive(Debug, Deserialize)]
struct Heads {
    title: String,
    preamble: String,
}

#[derive(Debug, Deserialize)]
struct FollowupHeads {
    title: String,
    preamble: String,
    changes_heading: String,
    no_changes: String,
}

fn templates() -> Result<&'static Templates> {
    static T: OnceLock<std::result::Result<Templates, String>> = OnceLock::new();
    T.get_or_init(|| {
        serde_json::from_str(emkg_ontology::templates::INCIDENT_REPORTS).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| EngineError::Unavailable(format!("报告模板无法解析：{e}")))
}

/// What to draft.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub input: IncidentInput,
    /// The previous report (its JSON form): makes this a 续报.
    pub previous: Option<Draft>,
    /// 发文机关署名; 待核实 when not given.
    pub issuer: Option<String>,
    /// 成文日期, `YYYY-MM-DD`.
    pub date: String,
}

/// Options of the narrative model.
#[derive(Debug, Clone)]
pub struct NarrativeOptions {
    pub max_new_tokens: usize,
}

impl Default for NarrativeOptions {
    fn default() -> Self {
        NarrativeOptions {
            max_new_tokens: 200,
        }
    }
}

/// Human names of the slots, for the `missing` list.
fn slot_label(slot: &str) -> Option<&'static str> {
    Some(match slot {
        "unit" => "事故发生单位名称及概况",
        "unit_or_place" => "涉及单位或者场所",
        "time" => "发生时间",
        "location" => "发生地点",
        "event_type" => "事故类型",
        "scene" => "现场情况",
        "course" => "简要经过",
        "deaths" => "死亡人数",
        "injuries" => "受伤人数",
        "serious_injuries" => "重伤人数",
        "missing" => "下落不明人数",
        "trapped" => "被困人数",
        "evacuated" => "疏散转移人数",
        "loss" => "初步估计的直接经济损失",
        "measures" => "已经采取的措施",
        "cause" | "cause_or_pending" => "初步判断的原因",
        "reporter" => "报告人姓名、联系电话",
        "grade" => "事故等级（定级所需事实不足）",
        "reporting" => "报告程序",
        "grade_reasons" => "定级理由",
        "followup_duty" => "续报要求",
        "regime" | "regime_name" | "regime_reporting" => "适用制度",
        "subject" | "kind_name" | "basis_phrase" => "标题和开头语",
        _ => return None,
    })
}

/// Words of a sentence that describes the scene.
const SCENE_WORDS: &[&str] = &[
    "现场",
    "过火",
    "面积",
    "浓烟",
    "明火",
    "坍塌",
    "倒塌",
    "垮塌",
    "泄漏",
    "烧毁",
    "损毁",
    "塌方",
    "积水",
    "冲毁",
    "起火点",
    "火势",
    "着火",
    "爆炸声",
    "受损",
    "损坏",
];

/// The body of an incident text: no headings, comments, bare timestamp lines.
fn body_sentences(text: &str) -> Vec<String> {
    let mut body = String::new();
    let mut in_comment = false;
    for line in text.lines() {
        let t = line.trim();
        if in_comment {
            in_comment = !t.contains("-->");
            continue;
        }
        if t.starts_with("<!--") {
            in_comment = !t.contains("-->");
            continue;
        }
        if t.is_empty()
            || t.starts_with('#')
            || t.chars()
                .all(|c| c.is_ascii_digit() || " -:/年月日时分秒".contains(c) || c.is_whitespace())
        {
            continue;
        }
        body.push_str(t);
        body.push('\n');
    }
    crate::answer::support::sentences(&body)
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| s.chars().count() >= 4)
        .collect()
}

/// At most `max` chars of whole sentences.
fn take_sentences(s: &[String], max: usize) -> Option<String> {
    let mut out = String::new();
    for x in s {
        if !out.is_empty() && out.chars().count() + x.chars().count() > max {
            break;
        }
        out.push_str(x);
    }
    (!out.is_empty()).then_some(out)
}

/// `7人`, `10余人`, `约200人`; 0 is 无 (a figure the text never wrote).
fn count_zh(c: &Count) -> String {
    if c.value == 0 {
        return "无".into();
    }
    if c.approximate {
        if c.text.contains('余') {
            return format!("{}余人", c.value);
        }
        if c.text.contains('多') {
            return format!("{}多人", c.value);
        }
        return format!("约{}人", c.value);
    }
    format!("{}人", c.value)
}

/// `2014-01-02T14:20` → 2014年1月2日14时20分.
fn normalized_zh(n: &str) -> Option<String> {
    let (date, time) = match n.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (n, None),
    };
    let mut s = chinese_date(date)?;
    if let Some(t) = time {
        let (h, m) = t.split_once(':')?;
        let h: u32 = h.parse().ok()?;
        let m: u32 = m.parse().ok()?;
        s.push_str(&format!("{h}时"));
        if m > 0 {
            s.push_str(&format!("{m}分"));
        }
    }
    Some(s)
}

/// 事故发生地县级以上人民政府安全生产监督管理部门…（现为…应急管理部门…）: the
/// present name only.
fn present_name(r: &str) -> String {
    match r.split_once("（现为") {
        Some((_, now)) => now.trim_end_matches('）').to_string(),
        None => r.to_string(),
    }
}

fn step_sentence(s: &ReportStep) -> String {
    let who = s.reporter.as_deref().unwrap_or("有关单位");
    let to = if s.recipients.is_empty() {
        String::new()
    } else {
        format!(
            "向{}",
            s.recipients
                .iter()
                .map(|r| present_name(r))
                .collect::<Vec<_>>()
                .join("、")
        )
    };
    format!(
        "{}{}报告（{}，{}）",
        present_name(who),
        to,
        s.time_limit,
        s.basis.citation
    )
}

/// The incident facts as sentences: a source of the fact check and the
/// model's only material.
fn fact_lines(i: &Incident) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(e) = &i.event_type {
        v.push(format!("事故类型：{}", e.value));
    }
    if let Some(t) = &i.time {
        v.push(format!("时间：{}", t.value));
        if let Some(n) = t.normalized.as_deref().and_then(normalized_zh) {
            v.push(format!("时间（换算）：{n}"));
        }
    }
    if let Some(r) = &i.reference_date {
        if let Some(d) = chinese_date(r) {
            v.push(format!("报道日期：{d}"));
        }
    }
    for (k, f) in [("地点", &i.location), ("单位", &i.unit), ("原因", &i.cause)] {
        if let Some(f) = f {
            v.push(format!("{k}：{}", f.value));
        }
    }
    for (k, c) in [
        ("死亡", &i.deaths),
        ("受伤", &i.injuries),
        ("重伤", &i.serious_injuries),
        ("下落不明", &i.missing),
        ("被困", &i.trapped),
        ("疏散转移", &i.evacuated),
    ] {
        if let Some(c) = c {
            v.push(format!("{k}：{}；{k}人数：{}人", count_zh(c), c.value));
            if !c.text.is_empty() {
                v.push(format!("{k}（原文）：{}", c.text));
            }
        }
    }
    if let Some(a) = &i.direct_loss_yuan {
        v.push(format!(
            "直接经济损失：{}",
            crate::assess::grading::amount_zh("direct_loss", a.value)
        ));
        if !a.text.is_empty() {
            v.push(format!("直接经济损失（原文）：{}", a.text));
        }
    }
    for m in &i.measures {
        v.push(format!("措施：{}", m.value));
    }
    v
}

/// A later report's facts over the earlier one's: what the update states
/// wins, what it leaves out stays as reported.
fn merge(prev: &Incident, new: &Incident) -> Incident {
    Incident {
        event_type: new.event_type.clone().or_else(|| prev.event_type.clone()),
        time: prev.time.clone().or_else(|| new.time.clone()),
        location: new.location.clone().or_else(|| prev.location.clone()),
        unit: new.unit.clone().or_else(|| prev.unit.clone()),
        deaths: new.deaths.clone().or_else(|| prev.deaths.clone()),
        serious_injuries: new
            .serious_injuries
            .clone()
            .or_else(|| prev.serious_injuries.clone()),
        injuries: new.injuries.clone().or_else(|| prev.injuries.clone()),
        missing: new.missing.clone().or_else(|| prev.missing.clone()),
        trapped: new.trapped.clone().or_else(|| prev.trapped.clone()),
        evacuated: new.evacuated.clone().or_else(|| prev.evacuated.clone()),
        direct_loss_yuan: new
            .direct_loss_yuan
            .clone()
            .or_else(|| prev.direct_loss_yuan.clone()),
        cause: new.cause.clone().or_else(|| prev.cause.clone()),
        measures: {
            let mut m = prev.measures.clone();
            for x in &new.measures {
                if !m.iter().any(|y| y.value == x.value) {
                    m.push(x.clone());
                }
            }
            m
        },
        reference_date: prev
            .reference_date
            .clone()
            .or_else(|| new.reference_date.clone()),
        warnings: new.warnings.clone(),
    }
}

/// What changed between two reports, one sentence per fact.
fn changes(
    prev: &Incident,
    now: &Incident,
    prev_grade: Option<&str>,
    grade: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    let counts = [
        ("死亡人数", &prev.deaths, &now.deaths),
        ("受伤人数", &prev.injuries, &now.injuries),
        ("重伤人数", &prev.serious_injuries, &now.serious_injuries),
        ("下落不明人数", &prev.missing, &now.missing),
        ("被困人数", &prev.trapped, &now.trapped),
        ("疏散转移人数", &prev.evacuated, &now.evacuated),
    ];
    for (k, a, b) in counts {
        match (a, b) {
            (Some(a), Some(b)) if a.value != b.value => {
                out.push(format!("{k}：由{}变更为{}。", count_zh(a), count_zh(b)))
            }
            (None, Some(b)) => out.push(format!("{k}：新核实为{}。", count_zh(b))),
            _ => {}
        }
    }
    let money = |a: f64| crate::assess::grading::amount_zh("direct_loss", a);
    match (&prev.direct_loss_yuan, &now.direct_loss_yuan) {
        (Some(a), Some(b)) if (a.value - b.value).abs() > 0.5 => out.push(format!(
            "初步估计的直接经济损失：由{}变更为{}。",
            money(a.value),
            money(b.value)
        )),
        (None, Some(b)) => out.push(format!(
            "初步估计的直接经济损失：新核实为{}。",
            money(b.value)
        )),
        _ => {}
    }
    for (k, a, b) in [
        ("发生地点", &prev.location, &now.location),
        ("事故发生单位", &prev.unit, &now.unit),
        ("初步判断的原因", &prev.cause, &now.cause),
    ] {
        match (a, b) {
            (Some(a), Some(b)) if a.value != b.value => {
                out.push(format!("{k}：由“{}”更正为“{}”。", a.value, b.value))
            }
            (None, Some(b)) => out.push(format!("{k}：{}。", b.value)),
            _ => {}
        }
    }
    for m in &now.measures {
        if !prev.measures.iter().any(|p| p.value == m.value) {
            out.push(format!(
                "新采取的措施：{}。",
                m.value.trim_end_matches('。')
            ));
        }
    }
    match (prev_grade, grade) {
        (Some(a), Some(b)) if a != b => out.push(format!("事故等级：由{a}调整为{b}。")),
        (None, Some(b)) => out.push(format!("事故等级：初步判定为{b}。")),
        _ => {}
    }
    out
}

/// Replaces `{slot}` placeholders; `None` when a slot has no value.
fn fill(text: &str, slots: &BTreeMap<&str, Option<String>>) -> (String, Vec<&'static str>) {
    let mut out = String::new();
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let name = &rest[i + 1..i + j];
        match slots.get(name) {
            // Control characters (a stray NUL or U+000B in the input) would
            // break the .docx and the pending marker.
            Some(Some(v)) => out.extend(v.chars().filter(|c| !c.is_control())),
            _ => {
                missing.push(slot_label(name).unwrap_or("其他情况"));
                out.push('\u{0}');
            }
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    (out, missing)
}

impl Engine {
    /// Drafts an incident report (初报, or 续报 when `req.previous` is set).
    /// With a generator, the model rephrases the 简要经过; `on_text` sees
    /// its tokens as they come.
    pub fn draft_report(
        &self,
        req: &ReportRequest,
        generator: Option<&mut dyn Generator>,
        opts: &NarrativeOptions,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Draft> {
        let t = templates()?;
        let date = chinese_date(&req.date).ok_or_else(|| {
            EngineError::BadQuery(format!("成文日期“{}”无效，应为 YYYY-MM-DD", req.date))
        })?;
        let first_a = self.assess(&req.input)?;
        let first = first_a.incident.clone();
        let input_text = match &req.input {
            IncidentInput::Text(s) => Some(s.clone()),
            IncidentInput::Facts(_) => None,
        };
        let (a, kind) = match &req.previous {
            None => (first_a, DraftKind::Initial),
            Some(prev) => {
                if prev
                    .input_text
                    .as_ref()
                    .is_some_and(|t| t.chars().count() > crate::assess::MAX_TEXT_CHARS)
                    || prev.plain_text().chars().count() > 4 * crate::assess::MAX_TEXT_CHARS
                {
                    return Err(EngineError::BadQuery(
                        "上次报告过长，不像本系统生成的报告；请提供 emkg report draft --format json 生成的报告".into(),
                    ));
                }
                let Some(pi) = &prev.incident else {
                    return Err(EngineError::BadQuery(
                        "上次报告缺少事件要素（incident），无法续报；请提供 emkg report draft --format json 生成的报告".into(),
                    ));
                };
                let merged = merge(pi, &first);
                let a = self.assess(&IncidentInput::Facts(Box::new(merged)))?;
                (a, DraftKind::Followup)
            }
        };
        let inc = &a.incident;

        // The form of the regime; a regime whose form's regulation is not
        // stored falls back to the general form and says so.
        let mut notes = Vec::new();
        let stored = |b: &FormBasis| {
            cite::docs_titled(&self.catalog, &b.title)
                .first()
                .map(|e| format!("{}#art{}", e.id, b.article))
        };
        let mut form = t
            .forms
            .iter()
            .find(|f| f.regimes.iter().any(|r| r == a.regime.id));
        if let Some(f) = form {
            if let Some(b) = &f.basis {
                if stored(b).is_none() {
                    notes.push(format!(
                        "适用的《{}》未导入，改用突发事件信息报告的基本要素",
                        b.title
                    ));
                    form = None;
                }
            }
        }
        let form = match form {
            Some(f) => f,
            None => t
                .forms
                .iter()
                .find(|f| f.basis.is_none())
                .ok_or_else(|| EngineError::Unavailable("报告模板缺少通用格式".into()))?,
        };
        let basis_unit = form.basis.as_ref().and_then(stored);
        let basis_citation = basis_unit
            .as_deref()
            .map(|u| cite::citation(&self.catalog, u));

        // Slots.
        let body = input_text
            .as_deref()
            .map(body_sentences)
            .unwrap_or_default();
        let previous_body = req
            .previous
            .as_ref()
            .and_then(|p| p.input_text.as_deref())
            .map(body_sentences)
            .unwrap_or_default();
        let course_extractive =
            take_sentences(&body, 400).or_else(|| take_sentences(&previous_body, 400));
        let scene = take_sentences(
            &body
                .iter()
                .filter(|s| SCENE_WORDS.iter().any(|w| s.contains(w)))
                .cloned()
                .collect::<Vec<_>>(),
            240,
        );
        let mut slots: BTreeMap<&str, Option<String>> = BTreeMap::new();
        let val = |f: &Option<emkg_ingest::incident::Field>| f.as_ref().map(|x| x.value.clone());
        slots.insert("unit", val(&inc.unit));
        slots.insert(
            "unit_or_place",
            val(&inc.unit).or_else(|| val(&inc.location)),
        );
        slots.insert(
            "time",
            inc.time.as_ref().map(|t| {
                let n = t.normalized.as_deref().and_then(normalized_zh);
                match n {
                    Some(n) if !t.value.contains('年') => format!("{}（{n}）", t.value),
                    _ => t.value.clone(),
                }
            }),
        );
        slots.insert("location", val(&inc.location));
        slots.insert(
            "event_type",
            inc.event_type.as_ref().map(|e| e.value.clone()),
        );
        slots.insert("scene", scene);
        slots.insert("course", course_extractive.clone());
        for (k, c) in [
            ("deaths", &inc.deaths),
            ("injuries", &inc.injuries),
            ("serious_injuries", &inc.serious_injuries),
            ("missing", &inc.missing),
            ("trapped", &inc.trapped),
            ("evacuated", &inc.evacuated),
        ] {
            slots.insert(k, c.as_ref().map(count_zh));
        }
        // 无人员伤亡 says no one was hurt: serious injuries are none too.
        if inc.injuries.as_ref().is_some_and(|c| c.value == 0) && inc.serious_injuries.is_none() {
            slots.insert("serious_injuries", Some("无".into()));
        }
        slots.insert(
            "loss",
            inc.direct_loss_yuan.as_ref().map(|x| {
                let m = crate::assess::grading::amount_zh("direct_loss", x.value);
                if x.approximate {
                    format!("约{m}")
                } else {
                    m
                }
            }),
        );
        slots.insert(
            "measures",
            (!inc.measures.is_empty()).then(|| {
                let mut s = inc
                    .measures
                    .iter()
                    .map(|m| m.value.trim_end_matches(['。', '；']).to_string())
                    .collect::<Vec<_>>()
                    .join("；");
                s.push('。');
                s
            }),
        );
        slots.insert("cause", val(&inc.cause));
        slots.insert("cause_or_pending", val(&inc.cause));
        slots.insert("reporter", None);
        slots.insert(
            "regime",
            Some(format!(
                "适用制度：{}{}。",
                a.regime.name,
                if a.regime.reasons.is_empty() {
                    String::new()
                } else {
                    format!("（{}）", a.regime.reasons.join("；"))
                }
            )),
        );
        slots.insert("regime_name", Some(a.regime.name.to_string()));
        let reporting_docs: Vec<String> = emkg_ontology::regimes::regime(a.regime.id)
            .map(|r| {
                r.reporting
                    .iter()
                    .filter(|t| !cite::docs_titled(&self.catalog, t).is_empty())
                    .map(|t| format!("《{t}》"))
                    .collect()
            })
            .unwrap_or_default();
        slots.insert(
            "regime_reporting",
            Some(if reporting_docs.is_empty() {
                String::new()
            } else {
                format!("报送要求以{}为准；", reporting_docs.join("、"))
            }),
        );
        slots.insert(
            "grade",
            a.grade.level.as_ref().map(|l| {
                let mut s = if l == "不适用" {
                    "事故等级：本事件不按生产安全事故划分等级".to_string()
                } else {
                    format!("事故等级：初步判定为{l}")
                };
                let mut basis: Vec<&str> = Vec::new();
                for b in &a.grade.basis {
                    if !basis.contains(&b.citation.as_str()) {
                        basis.push(&b.citation);
                    }
                }
                if !basis.is_empty() {
                    s.push_str(&format!("（依据{}）", basis.join("、")));
                }
                s.push('。');
                s
            }),
        );
        // Why, one reason a sentence: a reason stating a figure the input
        // does not (a bound the grader assumed) is struck on its own.
        slots.insert(
            "grade_reasons",
            (!a.grade.triggered_by.is_empty()).then(|| {
                format!(
                    "定级理由：{}。",
                    a.grade
                        .triggered_by
                        .iter()
                        .map(|t| t.trim_end_matches('。'))
                        .collect::<Vec<_>>()
                        .join("；")
                )
            }),
        );
        let first_steps: Vec<&ReportStep> = a.reporting.iter().collect();
        slots.insert(
            "reporting",
            (!first_steps.is_empty()).then(|| {
                format!(
                    "报告程序：{}。",
                    first_steps
                        .iter()
                        .map(|s| step_sentence(s))
                        .collect::<Vec<_>>()
                        .join("；")
                )
            }),
        );
        slots.insert(
            "followup_duty",
            (!a.followup.is_empty()).then(|| {
                format!(
                    "续报要求：{}。",
                    a.followup
                        .iter()
                        .map(step_sentence)
                        .collect::<Vec<_>>()
                        .join("；")
                )
            }),
        );

        // Sources of the fact check: the input, the facts, the previous
        // report, the form itself, the request's own values.
        let mut sources = Vec::new();
        if let Some(s) = &input_text {
            sources.push(Source::new("输入文本", s.clone()));
        }
        sources.push(Source::new("输入事实", fact_lines(inc).join("\n")));
        sources.push(Source::new("输入事实", fact_lines(&first).join("\n")));
        if let Some(p) = &req.previous {
            if let Some(s) = &p.input_text {
                sources.push(Source::new("上次报告的输入", s.clone()));
            }
            if let Some(pi) = &p.incident {
                sources.push(Source::new("上次报告的事实", fact_lines(pi).join("\n")));
            }
            sources.push(Source::new("上次报告", p.plain_text()));
        }
        sources.push(Source::new(
            "报告模板",
            template_text(emkg_ontology::templates::INCIDENT_REPORTS),
        ));
        sources.push(Source::new("成文日期", date.clone()));
        if let Some(i) = &req.issuer {
            sources.push(Source::new("报告单位", i.clone()));
        }
        // The reporting steps' parties and limits were read from their
        // provisions (with the agency's present name).
        for s in a.reporting.iter().chain(&a.followup) {
            sources.push(Source::new(
                s.basis.citation.clone(),
                format!(
                    "{}\n{}\n{}\n{}",
                    s.text,
                    s.reporter.as_deref().unwrap_or(""),
                    s.recipients.join("\n"),
                    s.time_limit
                ),
            ));
        }

        // The model's 简要经过, checked like the rest (below).
        if let Some(g) = generator {
            let facts = fact_lines(inc).join("\n");
            let material = course_extractive.clone().unwrap_or_default();
            let messages = vec![
                ChatMessage::system(
                    "你是应急管理局值班员，负责起草事故信息报告中的“简要经过”。只能使用给定的事实，不得添加任何未给出的数字、日期、时间、地点、人名或单位名称；不写标题、不加评论、不作推测。",
                ),
                ChatMessage::user(format!(
                    "事实：\n{facts}\n\n原始信息：{material}\n\n请用二至四句话写出事故的简要经过。"
                )),
            ];
            let params = GenerationParams {
                max_new_tokens: opts.max_new_tokens,
                ..Default::default()
            };
            let mut cb = |s: &str| {
                on_text(s);
                true
            };
            match g.generate(&messages, &params, &mut cb) {
                Ok(out) => {
                    let text = out.text.trim().replace('\n', "");
                    if !text.is_empty() {
                        slots.insert("course", Some(text));
                        notes.push(format!(
                            "“简要经过”由本地模型（{}）根据输入事实改写，已逐句核对",
                            g.name()
                        ));
                    }
                }
                Err(e) => notes.push(format!("本地模型未能生成简要经过（{e}），已使用原始信息")),
            }
        }

        // Parts from the form.
        let mut missing: Vec<String> = Vec::new();
        let mut parts = Vec::new();
        if kind == DraftKind::Followup {
            let prev = req.previous.as_ref();
            // The previous grade is the previous report's word only when it
            // is a grade at all.
            const GRADES: [&str; 5] =
                ["特别重大事故", "重大事故", "较大事故", "一般事故", "不适用"];
            let prev_grade = prev
                .and_then(|p| p.grade.as_deref())
                .filter(|g| GRADES.contains(g));
            let ch = prev
                .and_then(|p| p.incident.as_ref())
                .map(|pi| changes(pi, inc, prev_grade, a.grade.level.as_deref()))
                .unwrap_or_default();
            parts.push(Part {
                heading: t.followup.changes_heading.clone(),
                items: if ch.is_empty() {
                    vec![Item::para(t.followup.no_changes.clone())]
                } else {
                    ch.into_iter().map(Item::para).collect()
                },
            });
        }
        for p in &form.parts {
            let mut items = Vec::new();
            for line in &p.lines {
                let (text, lacks) = fill(&line.text, &slots);
                if !lacks.is_empty() && line.optional {
                    continue;
                }
                for l in lacks {
                    if !missing.iter().any(|m| m == l) {
                        missing.push(l.to_string());
                    }
                }
                let text = text.replace('\u{0}', &t.pending);
                if text.trim().is_empty() {
                    continue;
                }
                items.push(Item::para(text));
            }
            if items.is_empty() {
                items.push(Item::para(t.pending.clone()));
            }
            parts.push(Part {
                heading: p.heading.clone(),
                items,
            });
        }

        // Title, addressees, preamble.
        let kind_name =
            if a.regime.id == emkg_ontology::regimes::WORK_SAFETY || form.basis.is_some() {
                "事故信息"
            } else {
                "突发事件信息"
            };
        let event = inc
            .event_type
            .as_ref()
            .map(|e| e.value.clone())
            .unwrap_or_else(|| "突发事件".into());
        let subject = match (&inc.unit, &inc.location) {
            (Some(u), _) => format!("{}{}", u.value, event),
            (None, Some(l)) => format!("{}{}", l.value, event),
            (None, None) => format!("一起{event}"),
        };
        let heads_title = match kind {
            DraftKind::Followup => &t.followup.title,
            _ => &t.initial.title,
        };
        let mut head_slots: BTreeMap<&str, Option<String>> = BTreeMap::new();
        head_slots.insert("subject", Some(subject.clone()));
        head_slots.insert("kind_name", Some(kind_name.into()));
        let basis_phrase = match (&basis_citation, &form.note) {
            (Some(c), _) => format!("根据{c}的规定，"),
            (None, Some(note)) => fill(note, &slots).0.replace('\u{0}', ""),
            (None, None) => String::new(),
        };
        head_slots.insert("basis_phrase", Some(basis_phrase));
        let title = fill(heads_title, &head_slots).0;
        let preamble = fill(
            match kind {
                DraftKind::Followup => &t.followup.preamble,
                _ => &t.initial.preamble,
            },
            &head_slots,
        )
        .0;
        // 主送机关: those the reporting unit reports to within the first
        // time limit.
        let addressees: Vec<String> = a
            .reporting
            .iter()
            .find(|s| {
                s.hours.is_some()
                    && s.hours == a.report_deadline_hours
                    && !s.recipients.is_empty()
                    && !s.reporter.as_deref().is_some_and(|r| r.contains("现场"))
            })
            .or_else(|| a.reporting.iter().find(|s| !s.recipients.is_empty()))
            .map(|s| s.recipients.iter().map(|r| present_name(r)).collect())
            .unwrap_or_else(|| {
                missing.push("主送机关（接收报告的部门）".into());
                vec![t.pending.clone()]
            });
        let issuer = req.issuer.clone().unwrap_or_else(|| {
            missing.push("报告单位（发文机关署名）".into());
            t.pending.clone()
        });

        let mut draft = Draft {
            kind,
            title,
            addressees,
            preamble: Some(preamble),
            parts,
            issuer,
            date,
            missing,
            removed: Vec::new(),
            citations: Vec::new(),
            notes,
            incident: Some(inc.clone()),
            input_text: input_text
                .or_else(|| req.previous.as_ref().and_then(|p| p.input_text.clone())),
            grade: a.grade.level.clone(),
        };
        self.check_draft(&mut draft, sources, &t.pending);
        Ok(draft)
    }

    /// The last step of every draft: citations verified against the store,
    /// then every paragraph through the fact check with the cited
    /// provisions' text as sources. A part left empty says 待核实.
    pub(crate) fn check_draft(&self, draft: &mut Draft, sources: Vec<Source>, pending: &str) {
        // A struck sentence may have carried the only citation of a
        // provision: the citations are read again from what is left, and the
        // check repeated without that provision's text, until nothing more
        // is struck.
        let mut cited: Vec<String> = Vec::new();
        for _ in 0..4 {
            let checks = self.verify_citations(&draft.plain_text());
            draft.citations.clear();
            let mut all = sources.clone();
            for c in &checks {
                if let Some(t) = &c.text {
                    all.push(Source::new(c.raw.clone(), t.clone()));
                }
                if !draft.citations.iter().any(|d| d.citation == c.raw) {
                    draft.citations.push(DraftCitation {
                        citation: c.raw.clone(),
                        unit_id: c.unit_id.clone(),
                        verified: c.problem.is_none() && c.exists,
                        problem: c.problem.clone(),
                    });
                }
            }
            let now: Vec<String> = draft.citations.iter().map(|c| c.citation.clone()).collect();
            if now == cited {
                break;
            }
            cited = now;
            let set = factcheck::SourceSet::new(&all);
            let mut removed = Vec::new();
            let mut check = |text: &mut String| -> bool {
                let c = factcheck::check_in(text, &set);
                if !c.removed.is_empty() {
                    *text = c.text;
                    removed.extend(c.removed);
                }
                text.trim().is_empty()
            };
            let mut emptied = check(&mut draft.title);
            if emptied {
                draft.title = pending.to_string();
            }
            if let Some(p) = &mut draft.preamble {
                if check(p) {
                    *p = pending.to_string();
                    emptied = true;
                }
            }
            for a in &mut draft.addressees {
                if check(a) {
                    *a = pending.to_string();
                    emptied = true;
                }
            }
            for part in &mut draft.parts {
                for item in &mut part.items {
                    if let Some(h) = &mut item.heading {
                        if check(h) {
                            *h = pending.to_string();
                            emptied = true;
                        }
                    }
                    if check(&mut item.text) {
                        item.text = pending.to_string();
                        emptied = true;
                    }
                }
            }
            if emptied && !draft.missing.iter().any(|m| m.contains("核对时删除")) {
                draft.missing.push("核对时删除的内容（见 removed）".into());
            }
            draft.removed.extend(removed);
        }
    }
}

/// The text of a template: its string values, not its keys or numbers
/// (`"article": 12` states no figure a draft may use).
pub(crate) fn template_text(json: &str) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(json) {
        walk(&v, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_parse_and_follow_their_articles() {
        let t = templates().unwrap();
        let ws = t.forms.iter().find(|f| f.id == "work_safety").unwrap();
        assert_eq!(ws.parts.len(), 6, "条例第十二条 lists six contents");
        assert_eq!(ws.basis.as_ref().unwrap().article, 12);
        // Every regime has a form.
        for r in emkg_ontology::regimes::REGIMES {
            assert!(
                t.forms.iter().any(|f| f.regimes.iter().any(|x| x == r.id)),
                "{} has no form",
                r.id
            );
        }
        // Every slot a form or a heading uses is one the code knows (a
        // misspelt slot would print 待核实 forever).
        let slots_in = |s: &str| -> Vec<String> {
            s.split('{')
                .skip(1)
                .filter_map(|x| x.split_once('}').map(|(n, _)| n.to_string()))
                .collect()
        };
        let mut texts: Vec<&str> = vec![
            &t.initial.title,
            &t.initial.preamble,
            &t.followup.title,
            &t.followup.preamble,
        ];
        for f in &t.forms {
            texts.extend(f.note.as_deref());
            for p in &f.parts {
                texts.extend(p.lines.iter().map(|l| l.text.as_str()));
            }
        }
        let mut seen = 0;
        for x in texts {
            for slot in slots_in(x) {
                assert!(
                    slot_label(&slot).is_some(),
                    "unknown slot {{{slot}}} in {x}"
                );
                seen += 1;
            }
        }
        assert!(seen > 30, "{seen} slots");
    }

    #[test]
    fn fill_marks_missing_slots() {
        let mut s = BTreeMap::new();
        s.insert("deaths", Some("2人".to_string()));
        s.insert("injuries", None);
        let (t, m) = fill("死亡：{deaths}；受伤：{injuries}。", &s);
        assert_eq!(t, "死亡：2人；受伤：\u{0}。");
        assert_eq!(m, vec!["受伤人数"]);
    }

    #[test]
    fn changes_between_reports() {
        let c = |v: u64| Count {
            value: v,
            span: None,
            text: String::new(),
            approximate: false,
            range: None,
            derived: false,
        };
        let prev = Incident {
            deaths: Some(c(2)),
            ..Default::default()
        };
        let now = Incident {
            deaths: Some(c(3)),
            injuries: Some(c(4)),
            ..Default::default()
        };
        let ch = changes(&prev, &now, Some("一般事故"), Some("较大事故"));
        assert_eq!(
            ch,
            vec![
                "死亡人数：由2人变更为3人。",
                "受伤人数：新核实为4人。",
                "事故等级：由一般事故调整为较大事故。"
            ]
        );
        let merged = merge(&prev, &Incident::default());
        assert_eq!(merged.deaths.map(|c| c.value), Some(2));
    }

    #[test]
    fn body_skips_headings_comments_and_timestamps() {
        let b = body_sentences(
            "# 标题\n\n<!-- 来源 -->\n\n2014-04-07 03:45:00\n某地发生火灾。现场浓烟滚滚。\n",
        );
        assert_eq!(b, vec!["某地发生火灾。", "现场浓烟滚滚。"]);
    }

    #[test]
    fn present_names() {
        assert_eq!(
            present_name(
                "县级以上人民政府安全生产监督管理部门（现为县级以上人民政府应急管理部门）"
            ),
            "县级以上人民政府应急管理部门"
        );
    }
}
