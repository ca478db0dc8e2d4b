//! Plan recommendation (预案推荐): rank the ingested plans for an incident by
//! their stated scope, the hazards both name and text similarity; for each,
//! the response level its conditions give and the actions, organisations
//! and roles it prescribes, every one with its section.

use super::grading::{holds, quantity};
use super::rulebook::{LevelCond, PlanRules, RuleBook};
use super::{
    cite, GradeResult, LevelMatch, PlanAction, PlanRecommendation, PlanRole, RegimeResult,
};
use crate::{Engine, Filter, Result, Retrievers, SearchRequest};
use emkg_ingest::incident::Incident;
use emkg_ontology::events::TRIGGERS;
use emkg_ontology::taxonomy::TERMS;
use emkg_ontology::vocab::{GRADES, WARNINGS};
use emkg_ontology::DocKind;
use std::collections::HashMap;

const ORDER: [&str; 4] = ["ExtraordinarilySerious", "Serious", "Larger", "Ordinary"];

fn rank(local: &str) -> usize {
    ORDER
        .iter()
        .position(|g| *g == local)
        .unwrap_or(ORDER.len())
}

fn level_zh(n: u8) -> String {
    let (zh, roman) = match n {
        1 => ("一级", "Ⅰ级"),
        2 => ("二级", "Ⅱ级"),
        3 => ("三级", "Ⅲ级"),
        _ => ("四级", "Ⅳ级"),
    };
    format!("{zh}（{roman}）")
}

/// Words of the incident's event in the trigger table (火灾, 起火, 着火 …
/// for a fire), to look for in a plan's scope.
fn event_words(inc: &Incident) -> Vec<&'static str> {
    let Some(e) = &inc.event_type else {
        return Vec::new();
    };
    let mut v: Vec<&'static str> = TRIGGERS
        .iter()
        .filter(|t| t.label == e.value && !t.verb)
        .map(|t| t.word)
        .collect();
    if let Some(t) = TRIGGERS.iter().find(|t| t.label == e.value) {
        if !v.contains(&t.label) {
            v.push(t.label);
        }
    }
    v
}

/// Does one level condition hold for the incident?
fn condition_holds(
    c: &LevelCond,
    grade: Option<&str>,
    inc: &Incident,
    text: &str,
) -> Option<String> {
    // A condition about another kind of event (…发生火灾…) does not hold,
    // whatever its numbers say.
    let label = inc.event_type.as_ref().map(|e| e.value.as_str());
    let named: Vec<&str> = TRIGGERS
        .iter()
        .filter(|t| c.text.contains(t.word))
        .map(|t| t.label)
        .collect();
    if !named.is_empty() && !label.is_some_and(|l| named.contains(&l)) {
        return None;
    }
    if let Some(g) = grade {
        for cg in &c.grades {
            if cg == g || (c.or_above && rank(g) <= rank(cg)) {
                return Some(c.text.clone());
            }
        }
    }
    if !c.bounds.is_empty() {
        let mut all = true;
        let mut qs: Vec<&str> = c.bounds.iter().map(|b| b.quantity.as_str()).collect();
        qs.dedup();
        for q in qs {
            match quantity(inc, q) {
                Some((v, _, _)) => {
                    if !c
                        .bounds
                        .iter()
                        .filter(|b| b.quantity == q)
                        .all(|b| holds(b, v))
                    {
                        all = false;
                    }
                }
                None => all = false,
            }
        }
        if all {
            return Some(c.text.clone());
        }
    }
    for w in &c.warnings {
        let Some((zh, _)) = WARNINGS.iter().find(|(_, l)| l == w) else {
            continue;
        };
        let colour: String = zh.chars().take(2).collect();
        let said = format!("{colour}预警");
        // The hazard the warning is for (暴雨红色预警) must match too.
        let hazard: String = c
            .text
            .find(&said)
            .map(|p| {
                c.text[..p]
                    .chars()
                    .rev()
                    .take(2)
                    .collect::<Vec<char>>()
                    .into_iter()
                    .rev()
                    .collect()
            })
            .unwrap_or_default();
        let hazard_ok = hazard.chars().count() < 2
            || !TRIGGERS.iter().any(|t| t.word == hazard)
            || text.contains(&hazard);
        if text.contains(&said) && hazard_ok {
            return Some(c.text.clone());
        }
    }
    None
}

fn level_for(
    p: &PlanRules,
    grade: Option<&str>,
    inc: &Incident,
    text: &str,
    catalog: &crate::store::Catalog,
) -> Option<LevelMatch> {
    for l in &p.levels {
        for c in &l.conditions {
            if let Some(why) = condition_holds(c, grade, inc, text) {
                return Some(LevelMatch {
                    level: l.level,
                    label: level_zh(l.level),
                    condition: why,
                    basis: cite::basis(catalog, &c.unit),
                    command: l.command.clone(),
                });
            }
        }
    }
    None
}

pub fn recommend(
    engine: &Engine,
    inc: &Incident,
    text: &str,
    _regime: &RegimeResult,
    grade: &GradeResult,
    book: &RuleBook,
) -> Result<Vec<PlanRecommendation>> {
    let catalog = engine.catalog();
    let g: Option<&str> = grade
        .level
        .as_deref()
        .and_then(|zh| GRADES.iter().find(|(z, _)| *z == zh))
        .map(|(_, l)| *l);
    // Text similarity over plan sections (BM25 only: fast, no model).
    let mut req = SearchRequest::new(&query_of(inc, text), 40);
    req.filter = Filter {
        kinds: vec![DocKind::Plan],
        ..Default::default()
    };
    req.retrievers = Retrievers {
        bm25: true,
        dense: false,
        graph: false,
    };
    let mut best_rank: HashMap<String, usize> = HashMap::new();
    if !req.query.trim().is_empty() {
        for (i, h) in engine.search(&req)?.into_iter().enumerate() {
            best_rank.entry(h.chunk.doc_id.clone()).or_insert(i);
        }
    }
    let words = event_words(inc);
    let mut out = Vec::new();
    for p in &book.plans {
        let Some(entry) = catalog.docs.get(&p.doc) else {
            continue;
        };
        let scope = p.scope.as_deref().unwrap_or("");
        let mut score = 0.0f32;
        let mut why = Vec::new();
        if let Some(w) = words.iter().find(|w| scope.contains(*w)) {
            score += 3.0;
            why.push(format!("适用范围包括“{w}”"));
        }
        let mut shared = 0;
        for t in TERMS {
            let names: Vec<&str> = t.zh.split('/').chain(t.aliases.iter().copied()).collect();
            if let Some(n) = names
                .iter()
                .find(|n| n.chars().count() >= 2 && text.contains(**n) && scope.contains(**n))
            {
                if shared < 2 && !why.iter().any(|w| w.contains(n)) {
                    score += 1.5;
                    shared += 1;
                    why.push(format!("事件与预案适用范围均涉及“{n}”"));
                }
            }
        }
        // A scope limited to kinds of places (…高层建筑、人员密集场所…发生的
        // 火灾): the incident must be at one of them.
        let places = scope_places(scope);
        if !places.is_empty() && !places.iter().any(|p| text.contains(p.as_str())) {
            score -= 2.5;
            why.push(format!("预案限于{}", places.join("、")));
        }
        // Events the plan hands over to other plans (…等按照相应专项应急预案处置).
        if let Some(topic) = handed_over(scope)
            .into_iter()
            .find(|t| topic_matches(t, text, &words))
        {
            score -= 3.0;
            why.push(format!("预案规定“{topic}”按相应专项预案处置"));
        }
        if scope.contains("生产安全事故")
            && grade.level.as_deref().is_some_and(|l| l.ends_with("事故"))
        {
            score += 1.0;
            why.push("预案适用于生产安全事故".into());
        }
        // A plan for the gravest events only (特别重大突发事件) does not fit a lesser one.
        let scope_grades: Vec<&str> = GRADES
            .iter()
            .filter(|(zh, _)| scope.contains(zh.trim_end_matches("事故")))
            .map(|(_, l)| *l)
            .collect();
        if !scope_grades.is_empty() {
            match g {
                Some(g) if scope_grades.iter().any(|s| rank(g) <= rank(s)) => {}
                _ => {
                    score -= 4.0;
                    why.push("预案仅适用于更高等级的事件".into());
                }
            }
        }
        // A plan is recommended for what its scope says; text similarity
        // only orders plans that qualify.
        if score <= 0.5 {
            continue;
        }
        if let Some(r) = best_rank.get(&p.doc) {
            score += 1.5 / (1.0 + *r as f32);
        }
        let level = if p.levels.is_empty() {
            None
        } else {
            level_for(p, g, inc, text, catalog)
        };
        if level.is_none() && !p.levels.is_empty() {
            why.push("未能据现有信息确定响应级别".into());
        }
        out.push(PlanRecommendation {
            doc_id: p.doc.clone(),
            title: entry.title.clone(),
            score,
            why,
            level,
            roles: p
                .roles
                .iter()
                .map(|r| PlanRole {
                    role: r.role.clone(),
                    holder: r.holder.clone(),
                    basis: cite::basis(catalog, &r.unit),
                })
                .collect(),
            actions: p
                .actions
                .iter()
                .map(|a| PlanAction {
                    plan: entry.title.clone(),
                    title: a.title.clone(),
                    text: a.text.clone(),
                    lead: a.lead.clone(),
                    support: a.support.clone(),
                    basis: cite::basis(catalog, &a.unit),
                })
                .collect(),
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out.truncate(3);
    Ok(out)
}

/// The kinds of places a scope is limited to: the list between 行政区域内
/// and 发生的 (高层建筑、人员密集场所和大型商业综合体), as the two-char stems
/// an incident text would use (高层, 人员密集, 商业综合体).
fn scope_places(scope: &str) -> Vec<String> {
    let Some(a) = scope.find("区域内") else {
        return Vec::new();
    };
    let rest = &scope[a + "区域内".len()..];
    let Some(b) = rest.find("发生的") else {
        return Vec::new();
    };
    let list = &rest[..b];
    if list.chars().count() > 40 || !list.contains(['、', '和']) {
        return Vec::new();
    }
    // Only a list of places limits the scope (not 危险化学品生产、储存、运输).
    const PLACES: [&str; 13] = [
        "建筑",
        "场所",
        "综合体",
        "小区",
        "楼",
        "市场",
        "商场",
        "学校",
        "医院",
        "工地",
        "区域",
        "设施",
        "村",
    ];
    let items: Vec<&str> = list.split(['、', '和', '及']).map(str::trim).collect();
    if !items.iter().all(|i| PLACES.iter().any(|p| i.ends_with(p))) {
        return Vec::new();
    }
    items
        .iter()
        .map(|p| {
            p.trim_start_matches("大型")
                .trim_end_matches("场所")
                .trim_end_matches("建筑")
        })
        .filter(|p| p.chars().count() >= 2)
        .map(|p| p.to_string())
        .collect()
}

/// Topics a scope hands over to other plans: the list before
/// 等按照相应专项应急预案 (高层建筑火灾、防汛防台、特种设备事故).
fn handed_over(scope: &str) -> Vec<String> {
    let mut out = Vec::new();
    for sent in scope.split(['。', '\n']) {
        let Some(p) = sent.find("按照相应") else {
            continue;
        };
        let list = sent[..p].trim_end_matches('等');
        for t in list.split(['、', '，']) {
            let t = t.trim().trim_end_matches('等');
            if t.chars().count() >= 2 {
                out.push(t.to_string());
            }
        }
    }
    out
}

/// Whether an incident is of a handed-over topic: every two-char stem of
/// the topic's words is in the text (高层建筑火灾 → 高层 and 火灾), or the
/// topic names the incident's event (防汛防台 for a typhoon).
fn topic_matches(topic: &str, text: &str, event_words: &[&str]) -> bool {
    let c: Vec<char> = topic.chars().collect();
    let stems: Vec<String> = c
        .chunks(2)
        .filter(|s| s.len() == 2)
        .map(|s| s.iter().collect())
        .collect();
    let all_stems = !stems.is_empty() && stems.iter().all(|s| text.contains(s.as_str()));
    all_stems
        || event_words
            .iter()
            .any(|w| w.chars().count() >= 2 && topic.contains(w))
}

/// A search query for plans: the event, the place words and the hazards.
fn query_of(inc: &Incident, text: &str) -> String {
    let mut q = String::new();
    if let Some(e) = &inc.event_type {
        q.push_str(&e.value);
        q.push(' ');
    }
    let head: String = text.chars().take(200).collect();
    q.push_str(&head);
    q
}
