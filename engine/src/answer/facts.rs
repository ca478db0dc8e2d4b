//! Facts the graph holds about the provisions an answer rests on: their
//! time limits, the penalties that sanction them (with amounts and who is
//! penalised) and the parties they bind. Each fact names its provision.

use crate::graph::{QueryLimits, ResultFormat};
use crate::Engine;
use emkg_ontology::vocab::{id_iri, ID};
use std::time::Duration;

/// One related fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// What it says, for people: “1小时内”, “处5万元以上10万元以下的罚款（对生产经营单位）”.
    pub text: String,
    /// The provision it was read from.
    pub unit_id: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Related {
    pub deadlines: Vec<Fact>,
    pub penalties: Vec<Fact>,
    pub parties: Vec<Fact>,
}

fn rows(e: &Engine, q: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let limits = QueryLimits {
        timeout: Duration::from_secs(5),
        max_results: 200,
    };
    let Ok(out) = e.sparql(q, &limits, ResultFormat::Json) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_slice(&out.body).unwrap_or_default();
    v.pointer("/results/bindings")
        .and_then(|b| b.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_object().cloned()).collect())
        .unwrap_or_default()
}

fn val(r: &serde_json::Map<String, serde_json::Value>, k: &str) -> Option<String> {
    r.get(k)?.get("value")?.as_str().map(str::to_string)
}

fn unit_of(iri: &str) -> String {
    let s = iri.strip_prefix(ID).unwrap_or(iri);
    // Unit ids are percent-encoded only outside ASCII letters and digits,
    // which stored ids never contain; decode what may appear.
    s.replace("%23", "#")
}

/// An amount in 元 as the law writes it (5万元, 1亿元): the assessment's
/// formatter, so both speak of money alike.
fn yuan(v: f64) -> String {
    crate::assess::grading::amount_zh("direct_loss", v)
}

/// The facts of the article units `units` (`doc#art21`).
/// The article and the units inside it (clauses, items, sub-items) as a
/// SPARQL `VALUES` list, found by walking down from the article (fast,
/// unlike a `partOf*` path joined with the facts).
fn within(e: &Engine, art: &str) -> String {
    let q = format!(
        "SELECT ?unit WHERE {{ {{ BIND(<{art}> AS ?unit) }} UNION {{ ?unit emkg:partOf <{art}> }} \
         UNION {{ ?unit emkg:partOf/emkg:partOf <{art}> }} \
         UNION {{ ?unit emkg:partOf/emkg:partOf/emkg:partOf <{art}> }} }}"
    );
    let mut v: Vec<String> = rows(e, &q)
        .iter()
        .filter_map(|r| val(r, "unit"))
        .map(|u| format!("<{u}>"))
        .collect();
    if v.is_empty() {
        v.push(format!("<{art}>"));
    }
    format!("VALUES ?unit {{ {} }}", v.join(" "))
}

pub fn related(e: &Engine, units: &[String]) -> Related {
    let mut out = Related::default();
    for u in units {
        let art = id_iri(u);
        let inside = within(e, &art); // Time limits stated in the article (any of its clauses or items).
        for r in rows(
            e,
            &format!(
                "SELECT ?text ?unit WHERE {{ {inside} ?d emkg:extractedFrom ?unit . ?d a emkg:Deadline . ?d emkg:text ?text }} LIMIT 10"
            ),
        ) {
            if let (Some(t), Some(unit)) = (val(&r, "text"), val(&r, "unit")) {
                let f = Fact {
                    text: t,
                    unit_id: super::article_id(&unit_of(&unit)),
                };
                if !out.deadlines.contains(&f) {
                    out.deadlines.push(f);
                }
            }
        }
        // Penalties that sanction the article, and its own when it is a
        // penalty article (two simple queries: a UNION plans badly).
        let tail = "?p emkg:extractedFrom ?unit . ?p emkg:penaltyKind ?kind . ?p emkg:text ?text .
                    OPTIONAL { ?p emkg:minAmount ?min } OPTIONAL { ?p emkg:maxAmount ?max }
                    OPTIONAL { ?p emkg:penaltyTarget/rdfs:label ?target }";
        let mut prs = rows(
            e,
            &format!("SELECT ?unit ?kind ?min ?max ?target ?text WHERE {{ ?p emkg:sanctions <{art}> . {tail} }} LIMIT 20"),
        );
        prs.extend(rows(
            e,
            &format!(
                "SELECT ?unit ?kind ?min ?max ?target ?text WHERE {{ {inside} {tail} }} LIMIT 20"
            ),
        ));
        for r in prs {
            let Some(unit) = val(&r, "unit") else {
                continue;
            };
            let kind = val(&r, "kind").unwrap_or_default();
            let num = |k: &str| val(&r, k).and_then(|s| s.parse::<f64>().ok());
            let what = match (kind.as_str(), num("min"), num("max")) {
                ("fine", Some(a), Some(b)) if a != b => {
                    format!("罚款{}以上{}以下", yuan(a), yuan(b))
                }
                ("fine", Some(a), Some(_)) => format!("罚款{}", yuan(a)),
                ("fine", Some(a), None) => format!("罚款{}以上", yuan(a)),
                ("fine", None, Some(b)) => format!("罚款{}以下", yuan(b)),
                _ => val(&r, "text").unwrap_or_default(),
            };
            if what.is_empty() {
                continue;
            }
            let text = match val(&r, "target") {
                Some(t) => format!("{what}（对{t}）"),
                None => what,
            };
            let f = Fact {
                text,
                unit_id: super::article_id(&unit_of(&unit)),
            };
            if !out.penalties.contains(&f) && out.penalties.len() < 8 {
                out.penalties.push(f);
            }
        }
        // Parties the article binds.
        for r in rows(
            e,
            &format!(
                "SELECT DISTINCT ?party WHERE {{ {inside} ?n emkg:extractedFrom ?unit . ?n emkg:binds ?a . ?n a ?t .
                   ?a rdfs:label ?party . FILTER(?t = emkg:Obligation || ?t = emkg:Prohibition) }} LIMIT 10"
            ),
        ) {
            if let Some(p) = val(&r, "party") {
                let f = Fact {
                    text: p,
                    unit_id: u.clone(),
                };
                if !out.parties.iter().any(|x| x.text == f.text) {
                    out.parties.push(f);
                }
            }
        }
    }
    out
}
