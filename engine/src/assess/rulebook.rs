//! The rules assessment applies, read from the knowledge graph by SPARQL:
//! grade definitions with their criteria and thresholds, legal
//! definitions, reporting duties, and the plans' levels, conditions,
//! actions, roles and duties. Loaded once per catalog generation.

use crate::graph::{GraphStore, QueryLimits, ResultFormat};
use crate::{EngineError, Result};
use emkg_ontology::vocab::{ID, NS};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// A bound on a quantity, as the graph holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub quantity: String,
    /// `min` (以上) or `max` (以下).
    pub bound: String,
    pub value: f64,
    /// From the document's counting rule; `None` when it states none.
    pub inclusive: Option<bool>,
    pub text: String,
}

/// One criterion of a grade.
#[derive(Debug, Clone)]
pub struct Criterion {
    pub unit: String,
    pub text: String,
    pub condition: Option<String>,
    pub bounds: Vec<Bound>,
}

/// A grade definition of one document.
#[derive(Debug, Clone)]
pub struct GradeDef {
    pub doc: String,
    /// IRI local name (ExtraordinarilySerious …).
    pub grade: String,
    pub unit: String,
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone)]
pub struct DefinitionRule {
    pub doc: String,
    pub unit: String,
    pub term: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Duty {
    pub doc: String,
    pub unit: String,
    /// Position in the document (span start), for document order.
    pub pos: i64,
    pub text: String,
    pub reporter: Option<String>,
    pub recipients: Vec<String>,
    pub notify: Vec<String>,
    pub within_hours: Option<f64>,
    pub immediate: bool,
    pub grades: Vec<String>,
    pub step_limit_hours: Option<f64>,
    pub followup_days: Option<f64>,
    pub event_condition: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LevelCond {
    pub unit: String,
    pub text: String,
    pub grades: Vec<String>,
    pub or_above: bool,
    pub warnings: Vec<String>,
    pub bounds: Vec<Bound>,
}

#[derive(Debug, Clone)]
pub struct Level {
    pub unit: String,
    pub text: String,
    /// 1 (highest) … 4.
    pub level: u8,
    pub command: Option<String>,
    pub conditions: Vec<LevelCond>,
}

#[derive(Debug, Clone)]
pub struct ActionRule {
    pub unit: String,
    pub pos: i64,
    pub text: String,
    pub title: Option<String>,
    pub lead: Vec<String>,
    pub support: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RoleRule {
    pub unit: String,
    pub role: String,
    pub holder: String,
}

#[derive(Debug, Clone)]
pub struct MemberDutyRule {
    pub unit: String,
    pub org: String,
    pub duty: String,
}

/// What one plan says.
#[derive(Debug, Clone, Default)]
pub struct PlanRules {
    pub doc: String,
    /// GeneralPlan, SpecialPlan … (IRI local names).
    pub classes: Vec<String>,
    pub scope: Option<String>,
    pub scope_unit: Option<String>,
    pub levels: Vec<Level>,
    pub actions: Vec<ActionRule>,
    pub roles: Vec<RoleRule>,
    pub duties: Vec<MemberDutyRule>,
}

/// Everything assessment reads from the graph.
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    pub grades: Vec<GradeDef>,
    pub definitions: Vec<DefinitionRule>,
    pub duties: Vec<Duty>,
    pub plans: Vec<PlanRules>,
}

type Row = HashMap<String, String>;

fn local(iri: &str) -> String {
    iri.strip_prefix(NS).unwrap_or(iri).to_string()
}

fn unit_id(iri: &str) -> String {
    let s = iri.strip_prefix(ID).unwrap_or(iri);
    percent_decode(s)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The graph as one clearance sees it: every graph but the hidden documents'.
struct Visible<'a>(&'a dyn GraphStore, &'a [String]);

fn select(g: &Visible<'_>, q: &str) -> Result<Vec<Row>> {
    let limits = QueryLimits {
        timeout: Duration::from_secs(60),
        max_results: 2_000_000,
    };
    let out = g.0.query(q, &limits, ResultFormat::Json, g.1)?;
    let v: serde_json::Value = serde_json::from_slice(&out.body)
        .map_err(|e| EngineError::Graph(format!("SPARQL 结果无法解析：{e}")))?;
    let mut rows = Vec::new();
    if let Some(bs) = v.pointer("/results/bindings").and_then(|b| b.as_array()) {
        for b in bs {
            let mut row = Row::new();
            if let Some(obj) = b.as_object() {
                for (k, val) in obj {
                    if let Some(s) = val.get("value").and_then(|x| x.as_str()) {
                        row.insert(k.clone(), s.to_string());
                    }
                }
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

fn get<'a>(r: &'a Row, k: &str) -> &'a str {
    r.get(k).map(String::as_str).unwrap_or("")
}

fn num(r: &Row, k: &str) -> Option<f64> {
    r.get(k).and_then(|s| s.parse::<f64>().ok())
}

fn flag(r: &Row, k: &str) -> Option<bool> {
    r.get(k).map(|s| s == "true" || s == "1")
}

fn bound_of(r: &Row) -> Option<Bound> {
    Some(Bound {
        quantity: r.get("q")?.clone(),
        bound: r.get("bound")?.clone(),
        value: num(r, "value")?,
        inclusive: flag(r, "incl"),
        text: get(r, "ttext").to_string(),
    })
}

impl RuleBook {
    /// Reads the rule book from the graph, leaving out the `hidden`
    /// documents (above the caller's clearance).
    pub fn load(g: &dyn GraphStore, hidden: &[String]) -> Result<RuleBook> {
        let g = &Visible(g, hidden);
        let mut book = RuleBook::default();

        // Grade definitions, their criteria and thresholds.
        let rows = select(
            g,
            "SELECT ?g ?grade ?gunit ?doc ?c ?cunit ?ctext ?cond ?t ?q ?bound ?value ?incl ?ttext WHERE {
               ?g a emkg:GradeDefinition ; emkg:grade ?grade ; emkg:extractedFrom ?gunit ; emkg:hasCriterion ?c .
               ?gunit emkg:inDocument ?doc .
               ?c emkg:extractedFrom ?cunit ; emkg:text ?ctext .
               OPTIONAL { ?c emkg:condition ?cond }
               OPTIONAL { ?c emkg:hasThreshold ?t . ?t emkg:quantity ?q ; emkg:bound ?bound ; emkg:value ?value ; emkg:text ?ttext .
                          OPTIONAL { ?t emkg:inclusive ?incl } }
             }",
        )?;
        let mut defs: BTreeMap<String, GradeDef> = BTreeMap::new();
        let mut crit_index: HashMap<String, (String, usize)> = HashMap::new();
        let mut seen_t: std::collections::HashSet<String> = Default::default();
        for r in &rows {
            let gid = get(r, "g").to_string();
            let def = defs.entry(gid.clone()).or_insert_with(|| GradeDef {
                doc: unit_id(get(r, "doc")),
                grade: local(get(r, "grade")),
                unit: unit_id(get(r, "gunit")),
                criteria: Vec::new(),
            });
            let cid = get(r, "c").to_string();
            let idx = match crit_index.get(&cid) {
                Some((_, i)) => *i,
                None => {
                    def.criteria.push(Criterion {
                        unit: unit_id(get(r, "cunit")),
                        text: get(r, "ctext").to_string(),
                        condition: r.get("cond").cloned(),
                        bounds: Vec::new(),
                    });
                    let i = def.criteria.len() - 1;
                    crit_index.insert(cid.clone(), (gid.clone(), i));
                    i
                }
            };
            if let (Some(t), Some(b)) = (r.get("t"), bound_of(r)) {
                if seen_t.insert(t.clone()) {
                    def.criteria[idx].bounds.push(b);
                }
            }
        }
        book.grades = defs.into_values().collect();
        // Criteria in document order (ids sort as c0, c1 …, c10).
        for d in &mut book.grades {
            d.criteria.sort_by(|a, b| a.unit.cmp(&b.unit));
            for c in &mut d.criteria {
                c.bounds.sort_by(|a, b| a.text.cmp(&b.text));
            }
        }

        // Definitions with members.
        let rows = select(
            g,
            "SELECT ?d ?unit ?doc ?term ?m WHERE {
               ?d a emkg:Definition ; emkg:definedTerm ?term ; emkg:extractedFrom ?unit ; emkg:member ?m .
               ?unit emkg:inDocument ?doc .
             }",
        )?;
        let mut dmap: BTreeMap<String, DefinitionRule> = BTreeMap::new();
        for r in &rows {
            let e = dmap
                .entry(get(r, "d").to_string())
                .or_insert_with(|| DefinitionRule {
                    doc: unit_id(get(r, "doc")),
                    unit: unit_id(get(r, "unit")),
                    term: get(r, "term").to_string(),
                    members: Vec::new(),
                });
            let m = get(r, "m").to_string();
            if !e.members.contains(&m) {
                e.members.push(m);
            }
        }
        book.definitions = dmap.into_values().collect();

        // Reporting duties (one row per multi-valued property value).
        let rows = select(
            g,
            "SELECT ?d ?unit ?doc ?pos ?text ?reporter ?rec ?notify ?hours ?imm ?grade ?step ?days ?cond WHERE {
               ?d a emkg:ReportingDuty ; emkg:extractedFrom ?unit ; emkg:spanStart ?pos ; emkg:text ?text ; emkg:immediate ?imm .
               ?unit emkg:inDocument ?doc .
               OPTIONAL { ?d emkg:reporter ?reporter }
               OPTIONAL { ?d emkg:recipient ?rec }
               OPTIONAL { ?d emkg:notifies ?notify }
               OPTIONAL { ?d emkg:withinHours ?hours }
               OPTIONAL { ?d emkg:appliesToGrade ?grade }
               OPTIONAL { ?d emkg:stepLimitHours ?step }
               OPTIONAL { ?d emkg:followupDays ?days }
               OPTIONAL { ?d emkg:eventCondition ?cond }
             }",
        )?;
        let mut duties: BTreeMap<String, Duty> = BTreeMap::new();
        for r in &rows {
            let d = duties
                .entry(get(r, "d").to_string())
                .or_insert_with(|| Duty {
                    doc: unit_id(get(r, "doc")),
                    unit: unit_id(get(r, "unit")),
                    pos: num(r, "pos").unwrap_or(0.0) as i64,
                    text: get(r, "text").to_string(),
                    reporter: r.get("reporter").cloned(),
                    within_hours: num(r, "hours"),
                    immediate: flag(r, "imm").unwrap_or(false),
                    step_limit_hours: num(r, "step"),
                    followup_days: num(r, "days"),
                    event_condition: r.get("cond").cloned(),
                    ..Default::default()
                });
            for (k, list) in [("rec", &mut d.recipients), ("notify", &mut d.notify)] {
                if let Some(v) = r.get(k) {
                    if !list.contains(v) {
                        list.push(v.clone());
                    }
                }
            }
            if let Some(gr) = r.get("grade") {
                let gl = local(gr);
                if !d.grades.contains(&gl) {
                    d.grades.push(gl);
                }
            }
        }
        let mut duties: Vec<Duty> = duties.into_values().collect();
        duties.sort_by(|a, b| (a.doc.as_str(), a.pos).cmp(&(b.doc.as_str(), b.pos)));
        book.duties = duties;

        // Plans.
        let mut plans: BTreeMap<String, PlanRules> = BTreeMap::new();
        for r in select(
            g,
            "SELECT ?doc ?class ?scope ?sunit WHERE {
               ?doc a emkg:EmergencyPlan . ?doc a ?class .
               OPTIONAL { ?doc emkg:scopeText ?scope ; emkg:scopeUnit ?sunit }
             }",
        )? {
            let id = unit_id(get(&r, "doc"));
            let p = plans.entry(id.clone()).or_insert_with(|| PlanRules {
                doc: id,
                ..Default::default()
            });
            let c = local(get(&r, "class"));
            if !p.classes.contains(&c) {
                p.classes.push(c);
            }
            if p.scope.is_none() {
                p.scope = r.get("scope").cloned();
                p.scope_unit = r.get("sunit").map(|u| unit_id(u));
            }
        }
        let rows = select(
            g,
            "SELECT ?l ?doc ?lunit ?ltext ?level ?cmd ?c ?cunit ?ctext ?grade ?above ?warn ?t ?q ?bound ?value ?incl ?ttext WHERE {
               ?l a emkg:LevelRule ; emkg:inPlan ?doc ; emkg:extractedFrom ?lunit ; emkg:text ?ltext ; emkg:level ?level .
               OPTIONAL { ?l emkg:commandText ?cmd }
               OPTIONAL { ?l emkg:hasCondition ?c . ?c emkg:extractedFrom ?cunit ; emkg:text ?ctext ; emkg:orAbove ?above .
                 OPTIONAL { ?c emkg:appliesToGrade ?grade }
                 OPTIONAL { ?c emkg:warningLevel ?warn }
                 OPTIONAL { ?c emkg:hasThreshold ?t . ?t emkg:quantity ?q ; emkg:bound ?bound ; emkg:value ?value ; emkg:text ?ttext .
                            OPTIONAL { ?t emkg:inclusive ?incl } } }
             }",
        )?;
        let mut levels: BTreeMap<String, (String, Level)> = BTreeMap::new();
        let mut conds: BTreeMap<(String, String), LevelCond> = BTreeMap::new();
        let mut seen: std::collections::HashSet<(String, String)> = Default::default();
        for r in &rows {
            let lid = get(r, "l").to_string();
            levels.entry(lid.clone()).or_insert_with(|| {
                let lv = match local(get(r, "level")).as_str() {
                    "LevelI" => 1,
                    "LevelII" => 2,
                    "LevelIII" => 3,
                    _ => 4,
                };
                (
                    unit_id(get(r, "doc")),
                    Level {
                        unit: unit_id(get(r, "lunit")),
                        text: get(r, "ltext").to_string(),
                        level: lv,
                        command: r.get("cmd").cloned(),
                        conditions: Vec::new(),
                    },
                )
            });
            let Some(cid) = r.get("c") else { continue };
            let c = conds
                .entry((lid.clone(), cid.clone()))
                .or_insert_with(|| LevelCond {
                    unit: unit_id(get(r, "cunit")),
                    text: get(r, "ctext").to_string(),
                    grades: Vec::new(),
                    or_above: flag(r, "above").unwrap_or(false),
                    warnings: Vec::new(),
                    bounds: Vec::new(),
                });
            if let Some(gr) = r.get("grade") {
                let gl = local(gr);
                if !c.grades.contains(&gl) {
                    c.grades.push(gl);
                }
            }
            if let Some(w) = r.get("warn") {
                let wl = local(w);
                if !c.warnings.contains(&wl) {
                    c.warnings.push(wl);
                }
            }
            if let (Some(t), Some(b)) = (r.get("t"), bound_of(r)) {
                if seen.insert((cid.clone(), t.clone())) {
                    c.bounds.push(b);
                }
            }
        }
        for ((lid, _), c) in conds {
            if let Some((_, l)) = levels.get_mut(&lid) {
                l.conditions.push(c);
            }
        }
        for (_, (doc, l)) in levels {
            if let Some(p) = plans.get_mut(&doc) {
                p.levels.push(l);
            }
        }
        let rows = select(
            g,
            "SELECT ?a ?doc ?unit ?pos ?text ?title ?lead ?support WHERE {
               ?a a emkg:Action ; emkg:inPlan ?doc ; emkg:extractedFrom ?unit ; emkg:spanStart ?pos ; emkg:text ?text .
               OPTIONAL { ?a emkg:actionTitle ?title }
               OPTIONAL { ?a emkg:leadOrganisation/rdfs:label ?lead }
               OPTIONAL { ?a emkg:supportOrganisation/rdfs:label ?support }
             }",
        )?;
        let mut actions: BTreeMap<String, (String, ActionRule)> = BTreeMap::new();
        for r in &rows {
            let e = actions.entry(get(r, "a").to_string()).or_insert_with(|| {
                (
                    unit_id(get(r, "doc")),
                    ActionRule {
                        unit: unit_id(get(r, "unit")),
                        pos: num(r, "pos").unwrap_or(0.0) as i64,
                        text: get(r, "text").to_string(),
                        title: r.get("title").cloned(),
                        lead: Vec::new(),
                        support: Vec::new(),
                    },
                )
            });
            for (k, list) in [("lead", &mut e.1.lead), ("support", &mut e.1.support)] {
                if let Some(v) = r.get(k) {
                    if !list.contains(v) {
                        list.push(v.clone());
                    }
                }
            }
        }
        for (_, (doc, a)) in actions {
            if let Some(p) = plans.get_mut(&doc) {
                p.actions.push(a);
            }
        }
        for r in select(
            g,
            "SELECT ?doc ?unit ?role ?holder WHERE {
               ?x a emkg:RoleAssignment ; emkg:inPlan ?doc ; emkg:extractedFrom ?unit ; emkg:roleName ?role ; emkg:roleHolder ?holder .
             }",
        )? {
            if let Some(p) = plans.get_mut(&unit_id(get(&r, "doc"))) {
                p.roles.push(RoleRule {
                    unit: unit_id(get(&r, "unit")),
                    role: get(&r, "role").to_string(),
                    holder: get(&r, "holder").to_string(),
                });
            }
        }
        for r in select(
            g,
            "SELECT ?doc ?unit ?org ?duty WHERE {
               ?x a emkg:Responsibility ; emkg:inPlan ?doc ; emkg:extractedFrom ?unit ; emkg:organisation/rdfs:label ?org ; emkg:duty ?duty .
             }",
        )? {
            if let Some(p) = plans.get_mut(&unit_id(get(&r, "doc"))) {
                p.duties.push(MemberDutyRule {
                    unit: unit_id(get(&r, "unit")),
                    org: get(&r, "org").to_string(),
                    duty: get(&r, "duty").to_string(),
                });
            }
        }
        for p in plans.values_mut() {
            p.levels.sort_by_key(|l| l.level);
            p.actions.sort_by_key(|a| a.pos);
            p.roles.sort_by(|a, b| a.unit.cmp(&b.unit));
            p.duties.sort_by(|a, b| a.unit.cmp(&b.unit));
        }
        book.plans = plans.into_values().collect();
        Ok(book)
    }
}
