//! Reporting duties of the regime, read from its reporting document's
//! duties in the graph: the unit's first report and its time limit, the
//! departments' escalation by grade with each level's limit, who is
//! notified, and follow-up reports when casualties change.

use super::rulebook::{Duty, RuleBook};
use super::{cite, GradeResult, RegimeResult, ReportStep};
use crate::store::Catalog;
use emkg_ingest::incident::Incident;
use emkg_ontology::regimes as rg;
use emkg_ontology::vocab::GRADES;

pub struct Reporting {
    pub deadline_hours: Option<f64>,
    pub steps: Vec<ReportStep>,
    pub followup: Vec<ReportStep>,
}

/// Bodies renamed since the regulations were written (2018 机构改革).
const RENAMED: [(&str, &str); 3] = [
    ("安全生产监督管理部门", "应急管理部门"),
    ("安全生产监督管理总局", "应急管理部"),
    ("质量技术监督部门", "市场监督管理部门"),
];

fn renamed(s: &str) -> String {
    for (old, new) in RENAMED {
        if s.contains(old) && !s.contains(new) {
            return format!("{s}（现为{}）", s.replace(old, new));
        }
    }
    s.to_string()
}

fn is_government(s: &str) -> bool {
    ["政府", "部门", "国务院", "监察机构", "监管机构", "总局"]
        .iter()
        .any(|w| s.contains(w))
}

/// Whether the unit itself (its staff or head) reports, not a department.
fn by_unit(d: &Duty) -> bool {
    d.reporter
        .as_deref()
        .is_some_and(|r| !is_government(r) || r.contains("单位"))
}

fn hours_zh(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}小时内")
    } else {
        format!("{h}小时内")
    }
}

fn step(d: &Duty, time_limit: String, hours: Option<f64>, catalog: &Catalog) -> ReportStep {
    ReportStep {
        reporter: d.reporter.as_deref().map(renamed),
        recipients: d.recipients.iter().map(|r| renamed(r)).collect(),
        time_limit,
        hours,
        notify: d.notify.clone(),
        basis: cite::basis(catalog, &cite::article_of(&d.unit)),
        text: d.text.clone(),
    }
}

/// Whether a duty limited to `cond` (道路交通事故、火灾事故) covers the event.
fn event_covered(cond: &str, inc: &Incident) -> bool {
    let Some(e) = &inc.event_type else {
        return false;
    };
    cond.split(['、', '和', '，'])
        .any(|c| c.contains(&e.value) || (e.value == "交通事故" && c.contains("交通")))
}

pub fn duties(
    inc: &Incident,
    regime: &RegimeResult,
    grade: &GradeResult,
    book: &RuleBook,
    catalog: &Catalog,
) -> Reporting {
    let mut out = Reporting {
        deadline_hours: None,
        steps: Vec::new(),
        followup: Vec::new(),
    };
    let Some(r) = rg::regime(regime.id) else {
        return out;
    };
    // The primary reporting document: the first of the regime's list that is
    // stored and states duties.
    let primary: Option<(String, Vec<&Duty>)> = r.reporting.iter().find_map(|t| {
        cite::docs_titled(catalog, t).into_iter().find_map(|e| {
            let ds: Vec<&Duty> = book.duties.iter().filter(|d| d.doc == e.id).collect();
            (!ds.is_empty()).then(|| (e.id.clone(), ds))
        })
    });
    let Some((_, ds)) = primary else {
        return out;
    };
    let g = grade
        .level
        .as_deref()
        .and_then(|zh| GRADES.iter().find(|(z, _)| *z == zh))
        .map(|(_, l)| *l);
    // 1. Immediate reports on site, before the unit's timed report.
    let first_timed = ds
        .iter()
        .position(|d| d.within_hours.is_some() && by_unit(d));
    for (i, d) in ds.iter().enumerate() {
        if d.immediate
            && by_unit(d)
            && d.grades.is_empty()
            && d.followup_days.is_none()
            && first_timed.is_none_or(|f| i < f)
        {
            out.steps.push(step(d, "立即".into(), None, catalog));
        }
    }
    // 2. The unit's timed report: the first statutory time limit.
    if let Some(f) = first_timed {
        let d = ds[f];
        out.deadline_hours = d.within_hours;
        out.steps.push(step(
            d,
            d.within_hours.map(hours_zh).unwrap_or_default(),
            d.within_hours,
            catalog,
        ));
    }
    // 3. Escalation by grade, each level within the step limit.
    let step_limit = ds.iter().find_map(|d| d.step_limit_hours);
    let lead_notify: Vec<String> = ds
        .iter()
        .find(|d| !d.notify.is_empty() && !by_unit(d))
        .map(|d| d.notify.clone())
        .unwrap_or_default();
    // A regime that escalates the same way for every grade (逐级…直至X).
    let graded: Vec<&&Duty> = match g {
        Some(g) => ds
            .iter()
            .filter(|d| d.grades.iter().any(|x| x == g))
            .collect(),
        None => Vec::new(),
    };
    let ungraded_escalation: Vec<&&Duty> = ds
        .iter()
        .filter(|d| {
            d.grades.is_empty()
                && !by_unit(d)
                && !d.recipients.is_empty()
                && d.text.contains("逐级")
        })
        .collect();
    if g.is_some() && graded.is_empty() {
        for d in &ungraded_escalation {
            let h = step_limit;
            out.steps.push(step(
                d,
                h.map(|h| format!("逐级上报，每级不超过{}", hours_zh(h).trim_end_matches('内')))
                    .unwrap_or_else(|| "逐级上报".into()),
                h,
                catalog,
            ));
        }
    }
    if g.is_some() {
        for d in graded {
            let (limit, hours) = if d.immediate {
                ("立即".to_string(), None)
            } else if let Some(h) = step_limit {
                (
                    format!("逐级上报，每级不超过{}", hours_zh(h).trim_end_matches('内')),
                    Some(h),
                )
            } else {
                ("及时".to_string(), None)
            };
            let mut s = step(d, limit, hours, catalog);
            if s.notify.is_empty() && !d.immediate {
                s.notify = lead_notify.clone();
            }
            out.steps.push(s);
        }
    } else if let Some(d) = ds.iter().find(|d| d.step_limit_hours.is_some()) {
        // No grade (其他制度): the step limit still applies to escalation.
        let h = d.step_limit_hours;
        out.steps.push(step(
            d,
            format!(
                "逐级上报，每级不超过{}",
                h.map(hours_zh).unwrap_or_default().trim_end_matches('内')
            ),
            h,
            catalog,
        ));
    }
    // The step limit's own provision, when escalation used it.
    if let Some(d) = ds.iter().find(|d| d.step_limit_hours.is_some()) {
        if g.is_some()
            && !out
                .steps
                .iter()
                .any(|s| s.basis.unit_id == cite::article_of(&d.unit))
        {
            let h = d.step_limit_hours;
            out.steps.push(step(
                d,
                format!(
                    "每级不超过{}",
                    h.map(hours_zh).unwrap_or_default().trim_end_matches('内')
                ),
                h,
                catalog,
            ));
        }
    }
    // 4. Follow-up reports: a duty limited to this kind of event wins over
    // the general one.
    let fus: Vec<&&Duty> = ds.iter().filter(|d| d.followup_days.is_some()).collect();
    let specific: Vec<&&Duty> = fus
        .iter()
        .copied()
        .filter(|d| {
            d.event_condition
                .as_deref()
                .is_some_and(|c| event_covered(c, inc))
        })
        .collect();
    let chosen: Vec<&&Duty> = if specific.is_empty() {
        fus.iter()
            .copied()
            .filter(|d| d.event_condition.is_none())
            .collect()
    } else {
        specific
    };
    for d in chosen {
        let days = d.followup_days.unwrap_or(0.0);
        let mut s = step(
            d,
            format!("事故发生之日起{days:.0}日内伤亡人数发生变化的，及时补报"),
            None,
            catalog,
        );
        s.hours = None;
        out.followup.push(s);
    }
    out
}
