//! Wire types of assessment: the JSON `emkg assess --json` prints and
//! `POST /v1/incidents/assess` returns (and reads back as structured
//! input), and the risk assessment's.

use emkg_engine::assess::risk::RiskAssessment;
use emkg_engine::assess::{Assessment, Basis, PlanAction, ReportStep};
use emkg_engine::ingest::incident::{Amount, Count, EventType, Field, Incident, TimeField};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Serialize)]
pub struct BasisJson {
    pub unit_id: String,
    pub citation: String,
}

pub fn basis(b: &Basis) -> BasisJson {
    BasisJson {
        unit_id: b.unit_id.clone(),
        citation: b.citation.clone(),
    }
}

fn span(s: Option<(usize, usize)>) -> Value {
    match s {
        Some((a, b)) => json!([a, b]),
        None => Value::Null,
    }
}

fn field(f: &Option<Field>) -> Value {
    f.as_ref()
        .map(|f| json!({"value": f.value, "span": span(f.span)}))
        .unwrap_or(Value::Null)
}

fn count(c: &Option<Count>) -> Value {
    c.as_ref()
        .map(|c| {
            json!({"value": c.value, "span": span(c.span), "text": c.text,
                   "approximate": c.approximate, "range": c.range.map(|(a, b)| json!([a, b])),
                   "derived": c.derived})
        })
        .unwrap_or(Value::Null)
}

fn amount(a: &Option<Amount>) -> Value {
    a.as_ref()
        .map(|a| json!({"value": a.value, "span": span(a.span), "text": a.text, "approximate": a.approximate}))
        .unwrap_or(Value::Null)
}

fn time(t: &Option<TimeField>) -> Value {
    t.as_ref()
        .map(|t| json!({"value": t.value, "span": span(t.span), "normalized": t.normalized}))
        .unwrap_or(Value::Null)
}

fn event(e: &Option<EventType>) -> Value {
    e.as_ref()
        .map(|e| json!({"value": e.value, "concept": e.concept, "span": span(e.span)}))
        .unwrap_or(Value::Null)
}

/// The incident as wire JSON: each fact `{"value", "span"}` or null.
pub fn incident(i: &Incident) -> Value {
    json!({
        "event_type": event(&i.event_type),
        "time": time(&i.time),
        "location": field(&i.location),
        "unit": field(&i.unit),
        "deaths": count(&i.deaths),
        "serious_injuries": count(&i.serious_injuries),
        "injuries": count(&i.injuries),
        "missing": count(&i.missing),
        "trapped": count(&i.trapped),
        "evacuated": count(&i.evacuated),
        "direct_loss_yuan": amount(&i.direct_loss_yuan),
        "cause": field(&i.cause),
        "measures": i.measures.iter().map(|m| json!({"value": m.value, "span": span(m.span)})).collect::<Vec<_>>(),
        "reference_date": i.reference_date,
    })
}

fn step(s: &ReportStep) -> Value {
    json!({
        "reporter": s.reporter,
        "recipients": s.recipients,
        "time_limit": s.time_limit,
        "hours": s.hours,
        "notify": s.notify,
        "basis": basis(&s.basis),
        "text": s.text,
    })
}

fn action(a: &PlanAction) -> Value {
    json!({
        "title": a.title,
        "text": a.text,
        "lead": a.lead,
        "support": a.support,
        "plan": a.plan,
        "basis": basis(&a.basis),
    })
}

/// The whole assessment as wire JSON.
pub fn assessment(a: &Assessment) -> Value {
    let g = &a.grade;
    json!({
        "incident": incident(&a.incident),
        "regime": {
            "id": a.regime.id,
            "name": a.regime.name,
            "reasons": a.regime.reasons,
            "basis": a.regime.basis.iter().map(basis).collect::<Vec<_>>(),
        },
        "grade": {
            "level": g.level,
            "scheme": g.scheme,
            "triggered_by": g.triggered_by,
            "basis": g.basis.iter().map(basis).collect::<Vec<_>>(),
            "next_level": g.next_level.as_ref().map(|n| json!({"level": n.level, "changes": n.changes})),
            "notes": g.notes,
        },
        "report_deadline_hours": a.report_deadline_hours,
        "reporting": a.reporting.iter().map(step).collect::<Vec<_>>(),
        "followup": a.followup.iter().map(step).collect::<Vec<_>>(),
        "plans": a.plans.iter().map(|p| json!({
            "doc_id": p.doc_id,
            "title": p.title,
            "score": p.score,
            "why": p.why,
            "level": p.level.as_ref().map(|l| json!({
                "level": l.level, "label": l.label, "condition": l.condition,
                "basis": basis(&l.basis), "command": l.command,
            })),
            "roles": p.roles.iter().map(|r| json!({"role": r.role, "holder": r.holder, "basis": basis(&r.basis)})).collect::<Vec<_>>(),
            "actions": p.actions.iter().map(action).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "actions": a.actions.iter().map(action).collect::<Vec<_>>(),
        "warnings": a.warnings,
    })
}

/// Reads an incident from JSON: the `incident` object of an assessment, or
/// the fields at the top level; each fact a plain value or `{"value": …}`.
pub fn incident_from_json(v: &Value) -> Result<Incident, String> {
    let obj = v.get("incident").unwrap_or(v);
    let Some(o) = obj.as_object() else {
        return Err("事件 JSON 应为对象".into());
    };
    let raw = |k: &str| -> Option<&Value> {
        let x = o.get(k)?;
        if x.is_null() {
            return None;
        }
        Some(x.get("value").unwrap_or(x))
    };
    let span_of = |k: &str| -> Option<(usize, usize)> {
        let s = o.get(k)?.get("span")?.as_array()?;
        Some((s.first()?.as_u64()? as usize, s.get(1)?.as_u64()? as usize))
    };
    let text = |k: &str| -> Result<Option<Field>, String> {
        match raw(k) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(Field {
                value: s.clone(),
                span: span_of(k),
            })),
            Some(Value::String(_)) => Ok(None),
            Some(_) => Err(format!("字段 {k} 应为文本")),
        }
    };
    let number = |k: &str| -> Result<Option<f64>, String> {
        match raw(k) {
            None => Ok(None),
            Some(x) => match x.as_f64() {
                Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
                Some(n) => Err(format!("字段 {k} 的数值无效（{n}），应为非负数")),
                None => Err(format!("字段 {k} 应为数字")),
            },
        }
    };
    let cnt = |k: &str| -> Result<Option<Count>, String> {
        Ok(number(k)?.map(|n| {
            let approx = o
                .get(k)
                .and_then(|x| x.get("approximate"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Count {
                value: n.round() as u64,
                span: span_of(k),
                text: String::new(),
                approximate: approx,
                range: None,
                derived: false,
            }
        }))
    };
    let mut inc = Incident::default();
    if let Some(e) = text("event_type")? {
        let concept = o
            .get("event_type")
            .and_then(|x| x.get("concept"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                // The trigger spelled as given (火灾 → FireAccident), else the
                // first of its label.
                let ts = emkg_engine::ontology::events::TRIGGERS;
                ts.iter()
                    .find(|t| t.word == e.value)
                    .or_else(|| ts.iter().find(|t| t.label == e.value))
                    .map(|t| t.concept.to_string())
            })
            .unwrap_or_default();
        let label = emkg_engine::ontology::events::TRIGGERS
            .iter()
            .find(|t| t.word == e.value)
            .map(|t| t.label.to_string())
            .unwrap_or(e.value.clone());
        inc.event_type = Some(EventType {
            value: label,
            concept,
            span: e.span,
        });
    }
    if let Some(t) = text("time")? {
        inc.time = Some(TimeField {
            value: t.value,
            span: t.span,
            normalized: o
                .get("time")
                .and_then(|x| x.get("normalized"))
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    inc.location = text("location")?;
    inc.unit = text("unit")?;
    inc.cause = text("cause")?;
    inc.deaths = cnt("deaths")?;
    inc.serious_injuries = cnt("serious_injuries")?;
    inc.injuries = cnt("injuries")?;
    inc.missing = cnt("missing")?;
    inc.trapped = cnt("trapped")?;
    inc.evacuated = cnt("evacuated")?;
    // Plausibility (absurd counts and amounts) is the engine's check, for
    // every input path: `Engine::assess` refuses them.
    if let Some(n) = number("direct_loss_yuan")? {
        inc.direct_loss_yuan = Some(Amount {
            value: n,
            span: span_of("direct_loss_yuan"),
            text: String::new(),
            approximate: false,
        });
    }
    if let Some(ms) = o.get("measures").and_then(Value::as_array) {
        for m in ms {
            let v = m.get("value").unwrap_or(m);
            if let Some(s) = v.as_str() {
                inc.measures.push(Field {
                    value: s.to_string(),
                    span: None,
                });
            }
        }
    }
    Ok(inc)
}

/// The risk assessment as wire JSON.
pub fn risk(r: &RiskAssessment) -> Value {
    let s = &r.score;
    json!({
        "factors": r.factors.iter().map(|f| json!({
            "label": f.label, "concept": f.concept, "evidence": f.evidence, "span": [f.span.0, f.span.1],
        })).collect::<Vec<_>>(),
        "findings": r.findings.iter().map(|f| json!({
            "text": f.text,
            "span": [f.span.0, f.span.1],
            "factors": f.factors,
            "violation": f.violation,
            "provisions": f.provisions.iter().map(|p| json!({
                "basis": basis(&p.basis),
                "kind": p.kind,
                "bound_party": p.bound_party,
                "quote": p.quote,
                "verified": p.verified,
                "penalties": p.penalties.iter().map(|x| json!({
                    "basis": basis(&x.basis), "quote": x.quote, "amounts": x.amounts,
                    "target": x.target, "verified": x.verified,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "major_hidden_danger": {
            "judged": r.major_hazard.judged,
            "basis": r.major_hazard.basis.iter().map(basis).collect::<Vec<_>>(),
            "note": r.major_hazard.note,
        },
        "score": {
            "method": s.method,
            "inputs": {
                "L": {"value": s.l.value, "meaning": s.l.meaning, "reason": s.l.reason},
                "E": {"value": s.e.value, "meaning": s.e.meaning, "reason": s.e.reason},
                "C": {"value": s.c.value, "meaning": s.c.meaning, "reason": s.c.reason},
            },
            "D": s.d,
            "class": s.class,
            "matrix": {"level": s.matrix_level, "colour": s.matrix_colour, "inputs": s.matrix_inputs},
        },
        "similar_cases": r.cases.iter().map(|c| json!({
            "doc_id": c.doc_id, "title": c.title, "basis": basis(&c.basis), "why": c.why,
            "event_type": c.event_type, "deaths": c.deaths, "injuries": c.injuries,
        })).collect::<Vec<_>>(),
        "warnings": r.warnings,
    })
}
