//! Grading under the regime's own definitions, read from the graph: the
//! highest grade any criterion reaches, the criteria that triggered it,
//! and what would raise it.
//!
//! A bound holds by the document's counting rule (“以上”包括本数); where a
//! document states no rule, the statutory convention (以上 includes, 以下
//! excludes) is assumed and said so.

use super::rulebook::{Bound, Criterion, GradeDef, RuleBook};
use super::{cite, GradeResult, NextLevel, RegimeResult};
use crate::store::Catalog;
use emkg_ingest::incident::Incident;
use emkg_ontology::regimes::{self as rg, CONDITION_SYNONYMS, EQUIPMENT_SYNONYMS};
use emkg_ontology::vocab::GRADES;

/// Grade local names, highest first.
const ORDER: [&str; 4] = ["ExtraordinarilySerious", "Serious", "Larger", "Ordinary"];

pub fn grade_zh(local: &str) -> &'static str {
    GRADES
        .iter()
        .find(|(_, l)| *l == local)
        .map(|(zh, _)| *zh)
        .unwrap_or("")
}

fn rank(local: &str) -> usize {
    ORDER
        .iter()
        .position(|g| *g == local)
        .unwrap_or(ORDER.len())
}

/// Whether `v` satisfies a bound.
pub fn holds(b: &Bound, v: f64) -> bool {
    let incl = b.inclusive.unwrap_or(b.bound == "min");
    match (b.bound.as_str(), incl) {
        ("min", true) => v >= b.value,
        ("min", false) => v > b.value,
        ("max", true) => v <= b.value,
        _ => v < b.value,
    }
}

/// The incident's value of a quantity: (value, upper end of its range,
/// phrase as written).
pub fn quantity(inc: &Incident, q: &str) -> Option<(f64, f64, String)> {
    let count = |c: &Option<emkg_ingest::incident::Count>| {
        c.as_ref().map(|c| {
            let lo = c.range.map(|r| r.0 as f64).unwrap_or(c.value as f64);
            let hi = c.range.map(|r| r.1 as f64).unwrap_or(c.value as f64);
            (lo, hi, c.text.clone())
        })
    };
    match q {
        "deaths" => count(&inc.deaths),
        "serious_injuries" => count(&inc.serious_injuries),
        "injuries" => count(&inc.injuries),
        "evacuated" => count(&inc.evacuated),
        "trapped" | "stranded" => count(&inc.trapped),
        "direct_loss" => inc
            .direct_loss_yuan
            .as_ref()
            .map(|a| (a.value, a.value, a.text.clone())),
        _ => None,
    }
}

pub fn quantity_zh(q: &str) -> &'static str {
    match q {
        "deaths" => "死亡人数",
        "serious_injuries" => "重伤人数（含急性工业中毒）",
        "injuries" => "受伤人数",
        "direct_loss" => "直接经济损失",
        "evacuated" => "转移疏散人数",
        "trapped" => "被困人数",
        "stranded" => "滞留人数",
        "duration_hours" => "持续时间",
        "capacity_mw" => "设备容量",
        _ => "数量",
    }
}

/// `1000万元`, `1亿元`, `3人`, `48小时`.
pub fn amount_zh(q: &str, v: f64) -> String {
    let n = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x}")
        }
    };
    match q {
        "direct_loss" => {
            if v >= 1e8 {
                format!("{}亿元", n(v / 1e8))
            } else if v >= 1e4 {
                format!("{}万元", n(v / 1e4))
            } else {
                format!("{}元", n(v))
            }
        }
        "duration_hours" => format!("{}小时", n(v)),
        "capacity_mw" => format!("{}兆瓦", n(v)),
        _ => format!("{}人", n(v)),
    }
}

/// Whether a qualitative condition (锅炉、压力容器、压力管道爆炸) matches the
/// incident text: one of the objects it lists is named (directly or by a
/// colloquial name), and the rest of its wording is there.
pub fn condition_matches(cond: &str, text: &str, members: &[String]) -> bool {
    let text = affirmed(text);
    let text = text.as_str();
    let mut aug = text.to_string();
    for (w, m) in EQUIPMENT_SYNONYMS.iter().chain(CONDITION_SYNONYMS) {
        if text.contains(w) {
            aug.push('，');
            aug.push_str(m);
        }
    }
    let mut objects: Vec<String> = members.to_vec();
    for (_, m) in EQUIPMENT_SYNONYMS {
        if !objects.iter().any(|o| o == m) {
            objects.push(m.to_string());
        }
    }
    objects.sort_by_key(|o| std::cmp::Reverse(o.chars().count()));
    cond.split("或者").any(|sub| {
        let mut pred = sub.to_string();
        let mut named = Vec::new();
        for o in &objects {
            if pred.contains(o.as_str()) {
                named.push(o.clone());
                pred = pred.replace(o.as_str(), "");
            }
        }
        let pred: String = pred
            .chars()
            .filter(|c| !"、和及与，,（）()".contains(*c))
            .collect();
        if !named.is_empty() && !named.iter().any(|o| aug.contains(o.as_str())) {
            return false;
        }
        let need = if named.is_empty() { 0.75 } else { 0.6 };
        coverage(&pred, &aug) >= need
    })
}

/// The text without its denied clauses (未发生爆炸, 没有人员被困): what a
/// criterion's condition may match.
pub fn affirmed(text: &str) -> String {
    text.split_inclusive(['，', '。', '；', ',', ';', '\n'])
        .filter(|c| {
            !["未", "没有", "并未", "并非", "不是", "无"]
                .iter()
                .any(|n| {
                    c.contains(&format!("{n}发生"))
                        || c.contains(&format!("{n}出现"))
                        || c.trim_start().starts_with(n)
                })
        })
        .collect()
}

/// Share of `pred`'s character bigrams (or its one char) found in `text`.
fn coverage(pred: &str, text: &str) -> f64 {
    let c: Vec<char> = pred.chars().collect();
    if c.is_empty() {
        return 1.0;
    }
    if c.len() == 1 {
        return if text.contains(c[0]) { 1.0 } else { 0.0 };
    }
    let total = c.len() - 1;
    let found = c
        .windows(2)
        .filter(|w| text.contains(&format!("{}{}", w[0], w[1])))
        .count();
    found as f64 / total as f64
}

enum Eval {
    Met(Vec<String>),
    NotMet,
    /// Needs a quantity the text does not state.
    Unknown(Vec<String>),
}

fn evaluate(c: &Criterion, inc: &Incident, text: &str, members: &[String], upper: bool) -> Eval {
    if c.bounds.is_empty() && c.condition.is_none() {
        return Eval::NotMet;
    }
    let mut why = Vec::new();
    if let Some(cond) = &c.condition {
        if !condition_matches(cond, text, members) {
            return Eval::NotMet;
        }
        why.push(format!("符合“{cond}”"));
    }
    let mut missing = Vec::new();
    // Bounds of one quantity bound it together (3人以上10人以下).
    let mut quantities: Vec<&str> = c.bounds.iter().map(|b| b.quantity.as_str()).collect();
    quantities.dedup();
    for q in quantities {
        let Some((lo, hi, phrase)) = quantity(inc, q) else {
            missing.push(quantity_zh(q).to_string());
            continue;
        };
        let v = if upper { hi } else { lo };
        let bs: Vec<&Bound> = c.bounds.iter().filter(|b| b.quantity == q).collect();
        if !bs.iter().all(|b| holds(b, v)) {
            return Eval::NotMet;
        }
        let range: Vec<&str> = bs.iter().map(|b| b.text.as_str()).collect();
        why.push(format!(
            "{}{}（“{}”），在“{}”范围内",
            quantity_zh(q),
            amount_zh(q, v),
            phrase,
            range.join("")
        ));
    }
    if !missing.is_empty() {
        return Eval::Unknown(missing);
    }
    Eval::Met(why)
}

/// The grade definitions of the regime's scheme: the first grading document
/// (by the regime's order) that is stored and has definitions.
fn scheme<'a>(
    r: &rg::Regime,
    book: &'a RuleBook,
    catalog: &Catalog,
) -> Option<(String, String, Vec<&'a GradeDef>)> {
    for title in r.grading {
        for e in cite::docs_titled(catalog, title) {
            let defs: Vec<&GradeDef> = book.grades.iter().filter(|g| g.doc == e.id).collect();
            if !defs.is_empty() {
                return Some((e.id.clone(), e.title.clone(), defs));
            }
        }
    }
    None
}

fn members_of(book: &RuleBook, doc: &str) -> Vec<String> {
    book.definitions
        .iter()
        .filter(|d| d.doc == doc)
        .flat_map(|d| d.members.clone())
        .collect()
}

/// The highest grade reached, with its triggering criteria.
fn highest(
    defs: &[&GradeDef],
    inc: &Incident,
    text: &str,
    members: &[String],
    upper: bool,
) -> (Option<String>, Vec<(String, String)>, Vec<String>) {
    let mut missing: Vec<String> = Vec::new();
    for g in ORDER {
        let mut hits = Vec::new();
        for d in defs.iter().filter(|d| d.grade == g) {
            for c in &d.criteria {
                match evaluate(c, inc, text, members, upper) {
                    Eval::Met(why) => hits.push((c.unit.clone(), why.join("；"))),
                    Eval::Unknown(m) => {
                        for x in m {
                            if !missing.contains(&x) {
                                missing.push(x);
                            }
                        }
                    }
                    Eval::NotMet => {}
                }
            }
        }
        if !hits.is_empty() {
            return (Some(g.to_string()), hits, missing);
        }
    }
    (None, Vec::new(), missing)
}

/// Grades the incident under its regime.
pub fn grade(
    inc: &Incident,
    text: &str,
    regime: &RegimeResult,
    book: &RuleBook,
    catalog: &Catalog,
    warnings: &mut Vec<String>,
) -> GradeResult {
    let r = rg::regime(regime.id).unwrap_or(&rg::REGIMES[0]);
    let ws = rg::regime(rg::WORK_SAFETY).unwrap_or(&rg::REGIMES[0]);
    if !r.production_safety {
        let scheme = cite::docs_titled(catalog, rg::WORK_SAFETY_REGULATION)
            .first()
            .map(|e| e.title.clone())
            .or(Some(rg::WORK_SAFETY_REGULATION.to_string()));
        let mut notes = vec![format!(
            "按{}的有关规定处置，不按《{}》定级",
            regime.name,
            rg::WORK_SAFETY_REGULATION
        )];
        if regime.id == rg::NATURAL_DISASTER {
            // Its grading standard is set by the State Council (the basis says where).
            if let Some(b) = regime
                .basis
                .iter()
                .find(|b| b.citation.contains("突发事件应对法"))
            {
                notes.push(format!(
                    "自然灾害按照国务院或者其确定的部门制定的分级标准分级（{}）",
                    b.citation
                ));
            }
        }
        return GradeResult {
            level: Some("不适用".into()),
            scheme,
            triggered_by: regime.reasons.clone(),
            basis: regime.basis.clone(),
            next_level: None,
            notes,
        };
    }
    let mut notes = Vec::new();
    let found = scheme(r, book, catalog).or_else(|| {
        // A regime whose own scheme is not stored (the power regulation's
        // table is not in the corpus) falls back to the production-safety one.
        if r.id != ws.id {
            notes.push(format!(
                "未找到{}的等级划分标准（库中未收录或未能解析），按《{}》定级",
                r.name,
                rg::WORK_SAFETY_REGULATION
            ));
        }
        scheme(ws, book, catalog)
    });
    let Some((doc, title, defs)) = found else {
        return GradeResult {
            level: None,
            scheme: None,
            triggered_by: Vec::new(),
            basis: Vec::new(),
            next_level: None,
            notes: vec![format!(
                "知识库中没有《{}》的事故等级划分规定，无法定级；请先导入该文件",
                rg::WORK_SAFETY_REGULATION
            )],
        };
    };
    let members = members_of(book, &doc);
    let (g, hits, missing) = highest(&defs, inc, text, &members, false);
    let Some(g) = g else {
        return GradeResult {
            level: None,
            scheme: Some(title),
            triggered_by: Vec::new(),
            basis: defs
                .iter()
                .map(|d| cite::basis(catalog, &cite::article_of(&d.unit)))
                .take(1)
                .collect(),
            next_level: None,
            notes: vec![format!(
                "缺少定级所需信息（{}），暂无法定级",
                if missing.is_empty() {
                    "伤亡人数、直接经济损失".to_string()
                } else {
                    missing.join("、")
                }
            )],
        };
    };
    // Missing people are not deaths, but may become deaths.
    if let Some(m) = inc.missing.as_ref().filter(|m| m.value > 0) {
        let mut with_missing = inc.clone();
        let d = inc.deaths.as_ref().map(|d| d.value).unwrap_or(0);
        with_missing.deaths = Some(emkg_ingest::incident::Count {
            value: d.saturating_add(m.value),
            span: None,
            text: String::new(),
            approximate: false,
            range: None,
            derived: true,
        });
        if let (Some(h), _, _) = highest(&defs, &with_missing, text, &members, false) {
            if rank(&h) < rank(&g) {
                warnings.push(format!(
                    "另有{}人失踪（下落不明）：失踪人员如确认死亡，等级将升为{}，请持续核实",
                    m.value,
                    grade_zh(&h)
                ));
            }
        }
    }
    // An approximate count (十余人) can reach a higher grade at its upper end.
    let (g_hi, _, _) = highest(&defs, inc, text, &members, true);
    if let Some(h) = &g_hi {
        if rank(h) < rank(&g) {
            warnings.push(format!(
                "伤亡或损失为约数：按下限定为{}，若按上限则为{}，请尽快核实",
                grade_zh(&g),
                grade_zh(h)
            ));
        }
    }
    if defs.iter().any(|d| {
        d.criteria
            .iter()
            .any(|c| c.bounds.iter().any(|b| b.inclusive.is_none()))
    }) {
        notes.push("该文件未规定“以上”“以下”是否含本数，按“以上含本数、以下不含本数”理解".into());
    }
    let mut basis: Vec<super::Basis> = Vec::new();
    let mut triggered = Vec::new();
    for (unit, why) in &hits {
        let b = cite::basis(catalog, unit);
        triggered.push(format!("{why}（{}）", b.citation));
        if !basis.iter().any(|x| x.unit_id == b.unit_id) {
            basis.push(b);
        }
    }
    // The counting rule is part of the basis when it decided a bound.
    if let Some(d) = defs.first() {
        let art = cite::article_of(&d.unit);
        let b = cite::basis(catalog, &art);
        if !basis.iter().any(|x| x.unit_id == b.unit_id) {
            basis.insert(0, b);
        }
    }
    let next_level = next(&g, &defs, inc, &missing);
    if !missing.is_empty() {
        notes.push(format!(
            "文中未说明{}，等级可能随核实结果提高",
            missing.join("、")
        ));
    }
    GradeResult {
        level: Some(grade_zh(&g).to_string()),
        scheme: Some(title),
        triggered_by: triggered,
        basis,
        next_level,
        notes,
    }
}

/// What raises the grade one step: for each criterion of the next grade up
/// with a lower bound on a quantity, how far the incident is from it.
fn next(g: &str, defs: &[&GradeDef], inc: &Incident, _missing: &[String]) -> Option<NextLevel> {
    let r = rank(g);
    if r == 0 {
        return None;
    }
    let up = ORDER[r - 1];
    let mut changes = Vec::new();
    for d in defs.iter().filter(|d| d.grade == up) {
        for c in &d.criteria {
            if c.condition.is_some() {
                continue;
            }
            let mins: Vec<&Bound> = c.bounds.iter().filter(|b| b.bound == "min").collect();
            if mins.len() != 1
                || c.bounds
                    .iter()
                    .map(|b| &b.quantity)
                    .collect::<std::collections::HashSet<_>>()
                    .len()
                    != 1
            {
                continue;
            }
            let b = mins[0];
            let need = if b.inclusive.unwrap_or(true) {
                b.value
            } else {
                b.value + 1.0
            };
            let q = b.quantity.as_str();
            let s = match quantity(inc, q) {
                Some((v, _, _)) if v < need => match q {
                    "deaths" => format!("再有{}人死亡", need - v),
                    "serious_injuries" => format!("重伤（含急性工业中毒）再增加{}人", need - v),
                    _ => format!("{}达到{}", quantity_zh(q), amount_zh(q, need)),
                },
                Some(_) => continue,
                None => format!("{}达到{}", quantity_zh(q), amount_zh(q, need)),
            };
            if !changes.contains(&s) {
                changes.push(s);
            }
        }
    }
    if changes.is_empty() {
        return None;
    }
    Some(NextLevel {
        level: grade_zh(up).to_string(),
        changes: changes
            .into_iter()
            .map(|c| format!("{c}即升为{}", grade_zh(up)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(q: &str, bound: &str, v: f64, incl: Option<bool>) -> Bound {
        Bound {
            quantity: q.into(),
            bound: bound.into(),
            value: v,
            inclusive: incl,
            text: String::new(),
        }
    }

    #[test]
    fn bounds_follow_the_counting_rule() {
        assert!(holds(&b("deaths", "min", 3.0, Some(true)), 3.0));
        assert!(!holds(&b("deaths", "max", 10.0, Some(false)), 10.0));
        assert!(holds(&b("deaths", "max", 10.0, Some(true)), 10.0));
        assert!(!holds(&b("deaths", "min", 3.0, Some(false)), 3.0));
        // No rule stated: 以上 includes, 以下 excludes.
        assert!(holds(&b("deaths", "min", 3.0, None), 3.0));
        assert!(!holds(&b("deaths", "max", 3.0, None), 3.0));
    }

    /// The four grades of the production-safety scheme, as the graph holds
    /// them (the numbers of DOMAIN.md's table; 以上 includes, 以下 excludes).
    fn scheme() -> Vec<GradeDef> {
        let c = |u: &str, bs: Vec<Bound>| Criterion {
            unit: u.into(),
            text: String::new(),
            condition: None,
            bounds: bs,
        };
        let min = |q: &str, v: f64| b(q, "min", v, Some(true));
        let max = |q: &str, v: f64| b(q, "max", v, Some(false));
        let def = |g: &str, cs: Vec<Criterion>| GradeDef {
            doc: "reg".into(),
            grade: g.into(),
            unit: "reg#art3".into(),
            criteria: cs,
        };
        vec![
            def(
                "ExtraordinarilySerious",
                vec![
                    c("reg#art3.c1.i1", vec![min("deaths", 30.0)]),
                    c("reg#art3.c1.i1", vec![min("serious_injuries", 100.0)]),
                    c("reg#art3.c1.i1", vec![min("direct_loss", 1e8)]),
                ],
            ),
            def(
                "Serious",
                vec![
                    c(
                        "reg#art3.c1.i2",
                        vec![min("deaths", 10.0), max("deaths", 30.0)],
                    ),
                    c(
                        "reg#art3.c1.i2",
                        vec![
                            min("serious_injuries", 50.0),
                            max("serious_injuries", 100.0),
                        ],
                    ),
                    c(
                        "reg#art3.c1.i2",
                        vec![min("direct_loss", 5e7), max("direct_loss", 1e8)],
                    ),
                ],
            ),
            def(
                "Larger",
                vec![
                    c(
                        "reg#art3.c1.i3",
                        vec![min("deaths", 3.0), max("deaths", 10.0)],
                    ),
                    c(
                        "reg#art3.c1.i3",
                        vec![min("serious_injuries", 10.0), max("serious_injuries", 50.0)],
                    ),
                    c(
                        "reg#art3.c1.i3",
                        vec![min("direct_loss", 1e7), max("direct_loss", 5e7)],
                    ),
                ],
            ),
            def(
                "Ordinary",
                vec![
                    c("reg#art3.c1.i4", vec![max("deaths", 3.0)]),
                    c("reg#art3.c1.i4", vec![max("serious_injuries", 10.0)]),
                    c("reg#art3.c1.i4", vec![max("direct_loss", 1e7)]),
                ],
            ),
        ]
    }

    fn graded(deaths: Option<u64>, serious: Option<u64>, loss: Option<f64>) -> Option<String> {
        let defs = scheme();
        let refs: Vec<&GradeDef> = defs.iter().collect();
        let cnt = |v: u64| emkg_ingest::incident::Count {
            value: v,
            span: None,
            text: String::new(),
            approximate: false,
            range: None,
            derived: false,
        };
        let inc = Incident {
            deaths: deaths.map(cnt),
            serious_injuries: serious.map(cnt),
            direct_loss_yuan: loss.map(|v| emkg_ingest::incident::Amount {
                value: v,
                span: None,
                text: String::new(),
                approximate: false,
            }),
            ..Default::default()
        };
        highest(&refs, &inc, "", &[], false)
            .0
            .map(|g| grade_zh(&g).to_string())
    }

    #[test]
    fn every_boundary_of_the_scheme() {
        let g = |d, s, l| graded(d, s, l).unwrap_or_default();
        // Deaths: 3, 10, 30 — 以上 includes the number.
        assert_eq!(g(Some(2), None, None), "一般事故");
        assert_eq!(g(Some(3), None, None), "较大事故");
        assert_eq!(g(Some(9), None, None), "较大事故");
        assert_eq!(g(Some(10), None, None), "重大事故");
        assert_eq!(g(Some(29), None, None), "重大事故");
        assert_eq!(g(Some(30), None, None), "特别重大事故");
        // Serious injuries: 10, 50, 100.
        assert_eq!(g(None, Some(9), None), "一般事故");
        assert_eq!(g(None, Some(10), None), "较大事故");
        assert_eq!(g(None, Some(49), None), "较大事故");
        assert_eq!(g(None, Some(50), None), "重大事故");
        assert_eq!(g(None, Some(99), None), "重大事故");
        assert_eq!(g(None, Some(100), None), "特别重大事故");
        // Direct loss: 1000万, 5000万, 1亿.
        assert_eq!(g(None, None, Some(9_999_999.0)), "一般事故");
        assert_eq!(g(None, None, Some(1e7)), "较大事故");
        assert_eq!(g(None, None, Some(5e7 - 1.0)), "较大事故");
        assert_eq!(g(None, None, Some(5e7)), "重大事故");
        assert_eq!(g(None, None, Some(1e8 - 1.0)), "重大事故");
        assert_eq!(g(None, None, Some(1e8)), "特别重大事故");
        // Mixed: the highest grade any criterion reaches.
        assert_eq!(g(Some(8), Some(51), None), "重大事故");
        assert_eq!(g(Some(1), None, Some(1.2e7)), "较大事故");
        assert_eq!(g(Some(0), Some(0), Some(9.99e6)), "一般事故");
        assert_eq!(g(Some(2), Some(100), Some(1e6)), "特别重大事故");
        // Nothing known: no grade.
        assert_eq!(graded(None, None, None), None);
    }

    #[test]
    fn what_raises_the_grade() {
        let defs = scheme();
        let refs: Vec<&GradeDef> = defs.iter().collect();
        let inc = Incident {
            deaths: Some(emkg_ingest::incident::Count {
                value: 2,
                span: None,
                text: String::new(),
                approximate: false,
                range: None,
                derived: false,
            }),
            ..Default::default()
        };
        let n = next("Ordinary", &refs, &inc, &[]).unwrap();
        assert_eq!(n.level, "较大事故");
        assert!(
            n.changes.contains(&"再有1人死亡即升为较大事故".to_string()),
            "{:?}",
            n.changes
        );
        assert!(n
            .changes
            .iter()
            .any(|c| c.contains("直接经济损失达到1000万元")));
        assert!(next("ExtraordinarilySerious", &refs, &inc, &[]).is_none());
    }

    #[test]
    fn conditions_match_objects_and_wording() {
        let members: Vec<String> = ["锅炉", "压力容器", "压力管道", "电梯", "起重机械"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(condition_matches(
            "压力容器、压力管道有毒介质泄漏",
            "某化工企业压力管道发生有毒介质泄漏，周边约2万名居民紧急转移",
            &members
        ));
        assert!(!condition_matches(
            "锅炉、压力容器、压力管道爆炸",
            "某化工企业压力管道发生有毒介质泄漏",
            &members
        ));
        assert!(condition_matches(
            "起重机械整体倾覆",
            "某工地塔吊整体倾覆",
            &members
        ));
        assert!(condition_matches(
            "电梯轿厢滞留人员",
            "某小区电梯困人，电梯轿厢内3人",
            &members
        ));
        assert!(!condition_matches(
            "起重机械整体倾覆",
            "某工地脚手架坍塌",
            &members
        ));
    }
}
