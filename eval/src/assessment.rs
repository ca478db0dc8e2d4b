//! Scoring incident understanding and grading against the dev gold sets
//! (`shared/eval/dev_report_fields.jsonl`, `dev_grading.jsonl`), as
//! `shared/eval/README.md` defines: report fields exact per field (time and
//! location by containment after removing whitespace), grades and
//! first-report deadlines exact.

use crate::retrieval::EvalError;
use emkg_engine::assess::IncidentInput;
use emkg_engine::ingest::incident::{self, Incident};
use emkg_engine::Engine;
use serde::Deserialize;
use std::path::Path;
use std::time::Instant;

fn lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(line).map_err(|e| EvalError::Format {
            line: i + 1,
            reason: e.to_string(),
        })?);
    }
    Ok(out)
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldsExpected {
    pub time: Option<String>,
    pub location: Option<String>,
    pub deaths: Option<u64>,
    pub injuries: Option<u64>,
    pub event_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldsItem {
    pub id: String,
    pub text: String,
    pub expected: FieldsExpected,
}

pub const FIELDS: [&str; 5] = ["time", "location", "deaths", "injuries", "event_type"];

/// One field of one item: what was expected, what was predicted, whether it scores.
#[derive(Debug, Clone)]
pub struct FieldResult {
    pub field: &'static str,
    pub expected: String,
    pub predicted: String,
    pub ok: bool,
}

#[derive(Debug, Clone)]
pub struct ItemResult {
    pub id: String,
    pub fields: Vec<FieldResult>,
    pub micros: u128,
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect()
}

fn contains_either(expected: Option<&str>, predicted: Option<&str>) -> bool {
    match (expected, predicted) {
        (None, None) => true,
        (Some(e), Some(p)) => {
            let (e, p) = (squash(e), squash(p));
            !e.is_empty() && !p.is_empty() && (p.contains(&e) || e.contains(&p))
        }
        _ => false,
    }
}

fn show<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "null".into())
}

/// Scores one incident against its expected fields.
pub fn score_fields(id: &str, inc: &Incident, exp: &FieldsExpected, micros: u128) -> ItemResult {
    let time = inc.time.as_ref().map(|t| t.value.as_str());
    let loc = inc.location.as_ref().map(|l| l.value.as_str());
    let deaths = inc.deaths.as_ref().map(|c| c.value);
    let injuries = inc.injuries.as_ref().map(|c| c.value);
    let event = inc.event_type.as_ref().map(|e| e.value.as_str());
    ItemResult {
        id: id.to_string(),
        micros,
        fields: vec![
            FieldResult {
                field: "time",
                expected: show(exp.time.as_deref()),
                predicted: show(time),
                ok: contains_either(exp.time.as_deref(), time),
            },
            FieldResult {
                field: "location",
                expected: show(exp.location.as_deref()),
                predicted: show(loc),
                ok: contains_either(exp.location.as_deref(), loc),
            },
            FieldResult {
                field: "deaths",
                expected: show(exp.deaths),
                predicted: show(deaths),
                ok: exp.deaths == deaths,
            },
            FieldResult {
                field: "injuries",
                expected: show(exp.injuries),
                predicted: show(injuries),
                ok: exp.injuries == injuries,
            },
            FieldResult {
                field: "event_type",
                expected: show(exp.event_type.as_deref()),
                predicted: show(event),
                ok: exp.event_type.as_deref() == event,
            },
        ],
    }
}

/// Reads every item's text as an incident and scores its fields.
pub fn report_fields(gold: &Path) -> Result<Vec<ItemResult>, EvalError> {
    let items: Vec<FieldsItem> = lines(gold)?;
    Ok(items
        .iter()
        .map(|it| {
            let t = Instant::now();
            let inc = incident::extract(&it.text);
            score_fields(&it.id, &inc, &it.expected, t.elapsed().as_micros())
        })
        .collect())
}

/// Accuracy per field over the results.
pub fn field_accuracy(results: &[ItemResult]) -> Vec<(&'static str, usize, usize)> {
    FIELDS
        .iter()
        .map(|f| {
            let ok = results
                .iter()
                .filter(|r| r.fields.iter().any(|x| x.field == *f && x.ok))
                .count();
            (*f, ok, results.len())
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
pub struct GradingItem {
    pub id: String,
    pub incident: String,
    pub expected_grade: String,
    pub report_deadline_hours: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct GradingResult {
    pub id: String,
    pub expected_grade: String,
    pub grade: String,
    pub expected_deadline: Option<f64>,
    pub deadline: Option<f64>,
    pub scheme: String,
    pub regime: String,
    pub micros: u128,
}

impl GradingResult {
    pub fn grade_ok(&self) -> bool {
        self.grade == self.expected_grade
    }
    pub fn deadline_ok(&self) -> bool {
        self.deadline == self.expected_deadline
    }
}

/// Assesses every incident of a grading gold set.
pub fn grading(engine: &Engine, gold: &Path) -> Result<Vec<GradingResult>, EvalError> {
    let items: Vec<GradingItem> = lines(gold)?;
    let mut out = Vec::new();
    for it in items {
        let t = Instant::now();
        let a = engine.assess(&IncidentInput::Text(it.incident.clone()))?;
        out.push(GradingResult {
            id: it.id,
            expected_grade: it.expected_grade,
            grade: a
                .grade
                .level
                .clone()
                .unwrap_or_else(|| "（无法定级）".into()),
            expected_deadline: it.report_deadline_hours,
            deadline: a.report_deadline_hours,
            scheme: a.grade.scheme.clone().unwrap_or_default(),
            regime: a.regime.name.to_string(),
            micros: t.elapsed().as_micros(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_scoring_ignores_whitespace_both_ways() {
        assert!(contains_either(Some("３月３１日"), Some("３月 ３１日")));
        assert!(contains_either(
            Some("2014年1月2日"),
            Some("2014年1月2日14时20分许")
        ));
        assert!(contains_either(Some("丽江束河古镇"), Some("古镇")));
        assert!(!contains_either(Some("丽江束河古镇"), Some("")));
        assert!(!contains_either(Some("丽江"), None));
        assert!(contains_either(None, None));
    }
}
