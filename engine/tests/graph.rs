//! The knowledge graph over the real corpus (../shared/corpus) and the
//! project's samples: penalties, deadlines, references, tasks and grade
//! thresholds, all through SPARQL. Skips when the shared corpus is absent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use emkg_engine::{Engine, QueryLimits, ResultFormat};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[macro_use]
mod common;

/// Runs a SELECT and returns rows of variable → plain value.
fn select(e: &Engine, q: &str) -> Vec<BTreeMap<String, String>> {
    let out = e
        .sparql(q, &QueryLimits::default(), ResultFormat::Json)
        .unwrap();
    let v: Value = serde_json::from_slice(&out.body).unwrap();
    v["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            b.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v["value"].as_str().unwrap().to_string()))
                .collect()
        })
        .collect()
}

const ASF: &str = "https://emkg.local/id/anquan_shengchan_fa";

#[test]
fn every_class_and_property_used_is_declared() {
    let e = need!("every_class_and_property_used_is_declared");
    let declared: BTreeSet<String> = select(
        e,
        "SELECT ?t WHERE { GRAPH <https://emkg.local/graph/ontology> { ?t a ?k } }",
    )
    .into_iter()
    .map(|r| r["t"].clone())
    .collect();
    let props = select(
        e,
        "SELECT DISTINCT ?p WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <https://emkg.local/graph/ontology>) }",
    );
    let builtin = [
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "http://www.w3.org/2000/01/rdf-schema#label",
    ];
    let undeclared: Vec<String> = props
        .iter()
        .map(|r| r["p"].clone())
        .filter(|p| !builtin.contains(&p.as_str()) && !declared.contains(p))
        .collect();
    assert!(
        undeclared.is_empty(),
        "undeclared properties: {undeclared:?}"
    );
    let classes = select(
        e,
        "SELECT DISTINCT ?c WHERE { GRAPH ?g { ?s a ?c } FILTER(?g != <https://emkg.local/graph/ontology>) }",
    );
    assert!(classes.len() >= 20, "{classes:?}");
    let undeclared: Vec<String> = classes
        .iter()
        .map(|r| r["c"].clone())
        .filter(|c| !declared.contains(c))
        .collect();
    assert!(undeclared.is_empty(), "undeclared classes: {undeclared:?}");
    // Individuals used as objects (grades, levels, hazards) are declared too.
    let objs = select(
        e,
        "SELECT DISTINCT ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <https://emkg.local/graph/ontology> && isIRI(?o) && STRSTARTS(STR(?o), 'https://emkg.local/ont#')) }",
    );
    let undeclared: Vec<String> = objs
        .iter()
        .map(|r| r["o"].clone())
        .filter(|o| !declared.contains(o))
        .collect();
    assert!(
        undeclared.is_empty(),
        "undeclared individuals: {undeclared:?}"
    );
    // Every term has Chinese and English labels and a comment.
    let unlabeled = select(
        e,
        "SELECT ?t WHERE { GRAPH <https://emkg.local/graph/ontology> { ?t a ?k . FILTER(?t != <https://emkg.local/ont>)
           FILTER NOT EXISTS { ?t rdfs:label ?zh FILTER(LANG(?zh) = 'zh') }
           FILTER NOT EXISTS { ?t rdfs:label ?en FILTER(LANG(?en) = 'en') } } }",
    );
    assert!(unlabeled.is_empty(), "{unlabeled:?}");
    let uncommented = select(
        e,
        "SELECT ?t WHERE { GRAPH <https://emkg.local/graph/ontology> { ?t a ?k . FILTER(?t != <https://emkg.local/ont>) FILTER NOT EXISTS { ?t rdfs:comment ?c } } }",
    );
    assert!(uncommented.is_empty(), "{uncommented:?}");
}

#[test]
fn penalty_provisions_of_the_work_safety_law() {
    let e = need!("penalty_provisions_of_the_work_safety_law");
    let q = format!(
        "SELECT ?art ?kind ?min ?max ?pmin ?pmax ?target (GROUP_CONCAT(DISTINCT STR(?s); separator=' ') AS ?sanctions)
         WHERE {{ ?p a emkg:Penalty ; emkg:penaltyKind ?kind ; emkg:extractedFrom ?u .
                  ?u emkg:inDocument <{ASF}> ; emkg:articleNumber ?art .
                  OPTIONAL {{ ?p emkg:minAmount ?min }} OPTIONAL {{ ?p emkg:maxAmount ?max }}
                  OPTIONAL {{ ?p emkg:minPercent ?pmin }} OPTIONAL {{ ?p emkg:maxPercent ?pmax }}
                  OPTIONAL {{ ?p emkg:penaltyTarget/rdfs:label ?target }}
                  OPTIONAL {{ ?p emkg:sanctions/emkg:articleNumber ?s }} }}
         GROUP BY ?p ?art ?kind ?min ?max ?pmin ?pmax ?target"
    );
    let rows = select(e, &q);
    let fines = |art: &str| -> Vec<(Option<f64>, Option<f64>)> {
        let mut v: Vec<(Option<f64>, Option<f64>)> = rows
            .iter()
            .filter(|r| r["art"] == art && r["kind"] == "fine")
            .map(|r| {
                (
                    r.get("min").map(|x| x.parse().unwrap()),
                    r.get("max").map(|x| x.parse().unwrap()),
                )
            })
            .collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v
    };
    let sanctions = |art: &str| -> BTreeSet<u32> {
        rows.iter()
            .filter(|r| r["art"] == art)
            .flat_map(|r| {
                r.get("sanctions")
                    .map(|s| {
                        s.split(' ')
                            .filter_map(|x| x.parse().ok())
                            .collect::<Vec<u32>>()
                    })
                    .unwrap_or_default()
            })
            .collect()
    };
    // Spot checks against the text of 安全生产法 (2021).
    // 第九十二条: 处三万元以上十万元以下的罚款.
    assert!(
        fines("92").contains(&(Some(30_000.0), Some(100_000.0))),
        "{:?}",
        fines("92")
    );
    // 第九十三条: 对个人经营的投资人处二万元以上二十万元以下的罚款.
    assert_eq!(fines("93"), vec![(Some(20_000.0), Some(200_000.0))]);
    // 第九十六条: 处一万元以上三万元以下的罚款 and 百分之二十以上百分之五十以下.
    assert_eq!(fines("96"), vec![(Some(10_000.0), Some(30_000.0))]);
    assert!(rows.iter().any(|r| r["art"] == "96"
        && r.get("pmin").map(String::as_str) == Some("20")
        && r.get("pmax").map(String::as_str) == Some("50")));
    // 第九十五条: 百分之四十/六十/八十/一百 of the previous year's income.
    let pct: BTreeSet<String> = rows
        .iter()
        .filter(|r| r["art"] == "95")
        .filter_map(|r| r.get("pmin").cloned())
        .collect();
    assert_eq!(
        pct,
        ["100", "40", "60", "80"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    // 第九十七条: 处十万元以下; 逾期未改正 十万元以上二十万元以下; 对直接责任人员 二万元以上五万元以下.
    let f97 = fines("97");
    for want in [
        (None, Some(100_000.0)),
        (Some(100_000.0), Some(200_000.0)),
        (Some(20_000.0), Some(50_000.0)),
    ] {
        assert!(f97.contains(&want), "{want:?} not in {f97:?}");
    }
    // 第九十八条: 十万元以上五十万元以下; 逾期 五十万元以上一百万元以下.
    assert!(fines("98").contains(&(Some(100_000.0), Some(500_000.0))));
    assert!(fines("98").contains(&(Some(500_000.0), Some(1_000_000.0))));
    // 第一百一十四条: 三十万元…一百万元 / 一百万…二百万 / 二百万…一千万 / 一千万…二千万.
    assert_eq!(
        fines("114"),
        vec![
            (Some(300_000.0), Some(1_000_000.0)),
            (Some(1_000_000.0), Some(2_000_000.0)),
            (Some(2_000_000.0), Some(10_000_000.0)),
            (Some(10_000_000.0), Some(20_000_000.0)),
        ]
    );
    // Targets: 第九十七条 fines 直接负责的主管人员和其他直接责任人员 as well as the unit.
    assert!(rows.iter().any(|r| r["art"] == "97"
        && r.get("target").map(String::as_str) == Some("直接负责的主管人员和其他直接责任人员")));
    assert!(rows
        .iter()
        .any(|r| r["art"] == "97" && r.get("target").map(String::as_str) == Some("生产经营单位")));
    // The duties they sanction.
    assert!(sanctions("94").contains(&21), "{:?}", sanctions("94"));
    assert!(sanctions("95").contains(&21));
    let s97 = sanctions("97");
    for a in [24, 27, 28, 30, 41, 81] {
        assert!(s97.contains(&a), "97 should sanction {a}: {s97:?}");
    }
    let s98 = sanctions("98");
    for a in [32, 33, 34] {
        assert!(s98.contains(&a), "98 should sanction {a}: {s98:?}");
    }
    let s99 = sanctions("99");
    for a in [35, 36, 37, 45] {
        assert!(s99.contains(&a), "99 should sanction {a}: {s99:?}");
    }
    // Every penalty provision of the law is listed (第九十条 to 第一百一十四条 hold fines).
    let arts: BTreeSet<u32> = rows
        .iter()
        .filter(|r| r["kind"].ends_with("fine"))
        .map(|r| r["art"].parse().unwrap())
        .collect();
    for a in [
        92, 93, 94, 95, 96, 97, 98, 99, 101, 102, 103, 104, 105, 106, 108, 109, 110, 114,
    ] {
        assert!(
            arts.contains(&a),
            "article {a} missing from penalty provisions: {arts:?}"
        );
    }
}

#[test]
fn reporting_deadlines_in_hours() {
    let e = need!("reporting_deadlines_in_hours");
    let rows = select(
        e,
        "SELECT ?title ?art ?v WHERE { ?d a emkg:Deadline ; emkg:timeUnit 'hour' ; emkg:isReporting true ; emkg:value ?v ; emkg:extractedFrom ?u .
           ?u emkg:inDocument/emkg:title ?title ; emkg:articleNumber ?art }",
    );
    let has = |title: &str, art: &str, v: &str| {
        rows.iter()
            .any(|r| r["title"] == title && r["art"] == art && r["v"] == v)
    };
    // 生产安全事故报告和调查处理条例 第九条 (1 hour), 第十一条 (2 hours per level).
    assert!(has("生产安全事故报告和调查处理条例", "9", "1"), "{rows:?}");
    assert!(has("生产安全事故报告和调查处理条例", "11", "2"));
    // 突发公共卫生事件应急条例 第十九条 (1 hour), 第二十条 (2 hours).
    assert!(has("突发公共卫生事件应急条例", "19", "1"));
    assert!(has("突发公共卫生事件应急条例", "20", "2"));
    // 特种设备事故报告和调查处理规定 第七条 (1 hour).
    assert!(has("特种设备事故报告和调查处理规定", "7", "1"));
    assert!(has("生产安全事故信息报告和处置办法", "6", "1"));
    assert!(rows.iter().all(|r| r["v"].parse::<f64>().unwrap() > 0.0));
}

#[test]
fn references_resolve_to_existing_articles() {
    let e = need!("references_resolve_to_existing_articles");
    for doc in ["anquan_shengchan_fa", "tufa_shijian_yingdui_fa"] {
        // (本法第X条 only, every reference to an article of the same law).
        for (label, filter) in [
            ("本法第X条", "STRSTARTS(?raw, '本法第')"),
            ("same-law 第X条", "CONTAINS(?raw, '条') && !BOUND(?title)"),
        ] {
            let rows = select(
                e,
                &format!(
                    "SELECT ?raw ?ok WHERE {{ ?c a emkg:Citation ; emkg:text ?raw ; emkg:extractedFrom/emkg:inDocument <https://emkg.local/id/{doc}> .
                       OPTIONAL {{ ?c emkg:citedTitle ?title }}
                       FILTER({filter})
                       BIND(EXISTS {{ ?c emkg:target ?t . ?t emkg:articleNumber ?n }} AS ?ok) }}"
                ),
            );
            let total = rows.len();
            let ok = rows.iter().filter(|r| r["ok"] == "true").count();
            let rate = ok as f64 / total.max(1) as f64;
            eprintln!(
                "{doc}: {label}: {ok}/{total} resolve ({:.1}%)",
                rate * 100.0
            );
            assert!(total >= 2, "{doc}: only {total} {label} references found");
            assert!(rate >= 0.95, "{doc}: {label}: {ok}/{total}: {rows:?}");
        }
    }
    // Over the whole corpus: 本法/本条例/本规定/本办法第X条 references.
    let rows = select(
        e,
        "SELECT ?raw ?ok WHERE { ?c a emkg:Citation ; emkg:text ?raw . FILTER(REGEX(?raw, '^本(法|条例|规定|办法|细则)第'))
           BIND(EXISTS { ?c emkg:target ?t . ?t emkg:articleNumber ?n } AS ?ok) }",
    );
    let ok = rows.iter().filter(|r| r["ok"] == "true").count();
    eprintln!("corpus: {ok}/{} self-references resolve", rows.len());
    assert!(rows.len() >= 100);
    assert!(
        ok as f64 / rows.len() as f64 >= 0.95,
        "{:?}",
        rows.iter()
            .filter(|r| r["ok"] != "true")
            .collect::<Vec<_>>()
    );
}

#[test]
fn work_plan_tasks_by_department() {
    let e = need!("work_plan_tasks_by_department");
    let rows = select(
        e,
        "SELECT ?sec ?dept WHERE { ?t a emkg:Task ; emkg:sectionNumber ?sec ; emkg:responsibleDepartment/rdfs:label ?dept ;
           emkg:inDocument/emkg:title '某区应急管理局2025年安全生产和应急管理工作要点' }",
    );
    let mut by_task: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        by_task
            .entry(r["sec"].clone())
            .or_default()
            .insert(r["dept"].clone());
    }
    assert_eq!(by_task.len(), 15);
    assert_eq!(
        by_task["1.2"],
        ["安监科", "执法大队"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(
        by_task["3.3"],
        ["办公室", "应急科"].iter().map(|s| s.to_string()).collect()
    );
    let jianzai: Vec<String> = select(
        e,
        "SELECT ?sec WHERE { ?t emkg:responsibleDepartment ?d ; emkg:sectionNumber ?sec ; emkg:inDocument <https://emkg.local/id/work_plan_2025_sample> . ?d rdfs:label '减灾科' } ORDER BY ?sec",
    )
    .into_iter()
    .map(|r| r["sec"].clone())
    .collect();
    assert_eq!(jianzai, vec!["4.1", "4.2"]);
}

#[test]
fn accident_grade_thresholds_are_data() {
    let e = need!("accident_grade_thresholds_are_data");
    let rows = select(
        e,
        "SELECT ?grade ?q ?bound ?v ?incl WHERE { ?g a emkg:GradeDefinition ; emkg:grade ?gr ; emkg:hasThreshold ?t ;
           emkg:extractedFrom ?u . ?gr rdfs:label ?grade FILTER(LANG(?grade) = 'zh')
           ?u emkg:inDocument/emkg:title '生产安全事故报告和调查处理条例' ; emkg:articleNumber 3 .
           ?t emkg:quantity ?q ; emkg:bound ?bound ; emkg:value ?v . OPTIONAL { ?t emkg:inclusive ?incl } }",
    );
    let get = |g: &str, q: &str, b: &str| -> Option<(f64, String)> {
        rows.iter()
            .find(|r| r["grade"] == g && r["q"] == q && r["bound"] == b)
            .map(|r| {
                (
                    r["v"].parse().unwrap(),
                    r.get("incl").cloned().unwrap_or_default(),
                )
            })
    };
    let yes = "true".to_string();
    let no = "false".to_string();
    assert_eq!(
        get("特别重大事故", "deaths", "min"),
        Some((30.0, yes.clone()))
    );
    assert_eq!(
        get("特别重大事故", "serious_injuries", "min"),
        Some((100.0, yes.clone()))
    );
    assert_eq!(
        get("特别重大事故", "direct_loss", "min"),
        Some((100_000_000.0, yes.clone()))
    );
    assert_eq!(get("重大事故", "deaths", "min"), Some((10.0, yes.clone())));
    assert_eq!(get("重大事故", "deaths", "max"), Some((30.0, no.clone())));
    assert_eq!(
        get("较大事故", "serious_injuries", "min"),
        Some((10.0, yes.clone()))
    );
    assert_eq!(
        get("较大事故", "direct_loss", "max"),
        Some((50_000_000.0, no.clone()))
    );
    assert_eq!(get("一般事故", "deaths", "max"), Some((3.0, no.clone())));
    assert_eq!(
        get("一般事故", "direct_loss", "max"),
        Some((10_000_000.0, no))
    );
    assert_eq!(rows.len(), 3 + 6 + 6 + 3);
    // The counting rule itself is data with its provenance.
    let rule = select(
        e,
        "SELECT ?a ?b ?text WHERE { ?r a emkg:CountingRule ; emkg:aboveIncludesBound ?a ; emkg:belowIncludesBound ?b ; emkg:text ?text ;
           emkg:extractedFrom/emkg:inDocument/emkg:title '生产安全事故报告和调查处理条例' }",
    );
    assert_eq!(rule.len(), 1);
    assert_eq!(
        (rule[0]["a"].as_str(), rule[0]["b"].as_str()),
        ("true", "false")
    );
    assert!(rule[0]["text"].contains("包括本数"));
}

#[test]
fn facts_carry_provenance_spans() {
    let e = need!("facts_carry_provenance_spans");
    // Every statement points to a unit and a span inside that unit.
    let bad = select(
        e,
        "SELECT ?s WHERE { ?s emkg:extractedFrom ?u ; emkg:spanStart ?a ; emkg:spanEnd ?b . ?u emkg:spanStart ?ua ; emkg:spanEnd ?ub .
           FILTER(?a < ?ua || ?b > ?ub || ?a >= ?b) } LIMIT 5",
    );
    assert!(bad.is_empty(), "{bad:?}");
    let missing = select(
        e,
        "SELECT ?s WHERE { ?s a ?c . ?c rdfs:subClassOf* emkg:Statement . FILTER NOT EXISTS { ?s emkg:extractedFrom ?u } } LIMIT 5",
    );
    assert!(missing.is_empty(), "{missing:?}");
    // The case sample: casualties and its parts.
    let case = select(
        e,
        "SELECT ?d ?i ?loss ?grade WHERE { ?c a emkg:AccidentCase ; emkg:deaths ?d ; emkg:injuries ?i ; emkg:directLoss ?loss ; emkg:grade ?grade ;
           emkg:describedBy/emkg:title ?t FILTER(CONTAINS(?t, '6·18')) }",
    );
    assert_eq!(case.len(), 1, "{case:?}");
    assert_eq!(
        (
            case[0]["d"].as_str(),
            case[0]["i"].as_str(),
            case[0]["loss"].as_str()
        ),
        ("3", "2", "6200000")
    );
    assert_eq!(case[0]["grade"], "https://emkg.local/ont#Larger");
    // Hazards: the confined-space task of the work plan.
    let h = select(
        e,
        "SELECT ?u WHERE { ?u emkg:mentionsHazard emkg:ConfinedSpace ; emkg:sectionNumber '2.1' }",
    );
    assert!(!h.is_empty());
}
