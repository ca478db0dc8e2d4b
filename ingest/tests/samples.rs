//! The project's own samples in corpus/samples parse as intended.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use emkg_ingest::{load_file, Document, IngestOptions};
use emkg_ontology::{DocKind, UnitKind};
use std::path::PathBuf;

fn sample(name: &str) -> Document {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/samples")
        .join(name);
    load_file(&p, &IngestOptions::default())
        .unwrap()
        .documents
        .remove(0)
}

#[test]
fn work_plan_tasks_have_departments() {
    let d = sample("work_plan_2025_sample.md");
    assert_eq!(d.kind, DocKind::WorkPlan);
    assert_eq!(d.title, "某区应急管理局2025年安全生产和应急管理工作要点");
    let tasks: Vec<_> = d
        .units
        .iter()
        .filter(|u| {
            u.kind == UnitKind::Section && u.section.as_deref().is_some_and(|s| s.contains('.'))
        })
        .collect();
    assert_eq!(tasks.len(), 15);
    // Every task names at least one responsible department; the areas (一、) name none.
    for t in &tasks {
        assert!(!t.responsible.is_empty(), "{} has no department", t.id);
    }
    let t = d
        .units
        .iter()
        .find(|u| u.section.as_deref() == Some("1.3"))
        .unwrap();
    assert_eq!(t.heading.as_deref(), Some("强化街镇属地监管"));
    assert_eq!(t.responsible, vec!["协调科", "各街镇"]);
    assert_eq!(t.heading_path, vec!["一、 压实安全生产责任"]);
    let t = d
        .units
        .iter()
        .find(|u| u.section.as_deref() == Some("2.2"))
        .unwrap();
    assert_eq!(t.responsible, vec!["安监科", "执法大队", "各街镇"]);
    let area = d
        .units
        .iter()
        .find(|u| u.section.as_deref() == Some("2"))
        .unwrap();
    assert!(area.responsible.is_empty());
    // Tasks by department: 减灾科 owns exactly 4.1 and 4.2.
    let jianzai: Vec<&str> = tasks
        .iter()
        .filter(|t| t.responsible.iter().any(|r| r == "减灾科"))
        .filter_map(|t| t.section.as_deref())
        .collect();
    assert_eq!(jianzai, vec!["4.1", "4.2"]);
}

#[test]
fn case_file_has_the_six_parts() {
    let d = sample("case_youxian_kongjian_sample.md");
    assert_eq!(d.kind, DocKind::Case);
    let parts: Vec<String> = d
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Section && u.parent.is_none())
        .filter_map(|u| u.heading.clone())
        .collect();
    assert_eq!(
        parts,
        vec![
            "事故单位概况",
            "事故发生经过和救援情况",
            "人员伤亡和直接经济损失",
            "事故原因和性质",
            "责任认定及处理建议",
            "防范和整改措施"
        ]
    );
    // The summary paragraph before 一、 is a chunk too.
    assert!(d
        .unit(&format!("{}#preamble", d.id))
        .is_some_and(|u| u.chunk));
    // Citations in the case text are recorded as references to other documents.
    let r: Vec<_> = d.xrefs.iter().filter(|r| r.doc_title.is_some()).collect();
    assert!(r.iter().any(
        |r| r.doc_title.as_deref() == Some("中华人民共和国安全生产法") && r.article == Some(21)
    ));
    assert!(r.iter().any(
        |r| r.doc_title.as_deref() == Some("生产安全事故报告和调查处理条例")
            && r.article == Some(38)
    ));
}

#[test]
fn district_plan_sections() {
    let d = sample("district_plan_sample.md");
    assert_eq!(d.kind, DocKind::Plan);
    let s = d
        .units
        .iter()
        .find(|u| u.section.as_deref() == Some("4.3.2"))
        .unwrap();
    assert_eq!(s.heading.as_deref(), Some("三级响应"));
    // Its three listed conditions are its children.
    assert_eq!(
        d.units
            .iter()
            .filter(|u| u.parent == d.units.iter().position(|x| x.id == s.id))
            .count(),
        3
    );
    let s = d
        .units
        .iter()
        .find(|u| u.section.as_deref() == Some("2.2"))
        .unwrap();
    assert_eq!(s.responsible, vec!["应急科", "办公室"]);
}

#[test]
fn plan_facts_of_the_samples() {
    let d = sample("district_plan_sample.md");
    let p = d.facts.plan.as_ref().expect("plan facts");
    assert!(p.scope.as_ref().unwrap().text.contains("生产安全事故"));
    let levels: Vec<u8> = p.levels.iter().map(|l| l.level).collect();
    assert_eq!(levels, vec![4, 3, 2, 1]);
    let three = &p.levels[1];
    assert_eq!(three.conditions.len(), 4, "{:#?}", three.conditions);
    assert_eq!(three.conditions[0].grades, vec!["Larger".to_string()]);
    let deaths: Vec<(String, f64)> = three.conditions[1]
        .thresholds
        .iter()
        .map(|t| (t.bound.clone(), t.value))
        .collect();
    assert_eq!(deaths, vec![("min".into(), 3.0), ("max".into(), 10.0)]);
    assert_eq!(three.conditions[3].thresholds[0].quantity, "evacuated");
    assert!(three
        .command
        .as_ref()
        .unwrap()
        .text
        .contains("总指挥组织指挥"));
    assert!(p.levels[0]
        .conditions
        .iter()
        .any(|c| c.grades == vec!["Ordinary".to_string()]));
    // Actions with their lead and supporting units.
    let rescue = p
        .actions
        .iter()
        .find(|a| a.title.as_deref() == Some("抢救遇险人员"))
        .unwrap();
    assert_eq!(rescue.lead, vec!["区消防救援支队"]);
    assert_eq!(rescue.support, vec!["区卫生健康委", "事发地街镇"]);
    assert!(p
        .roles
        .iter()
        .any(|r| r.role == "总指挥" && r.holder == "分管副区长"));
    assert!(p
        .duties
        .iter()
        .any(|x| x.org == "区公安分局" && x.duty.contains("交通管制")));
    // Warning colours activate the flood plan's levels.
    let f = sample("fangxun_fangtai_plan_sample.md");
    let fp = f.facts.plan.as_ref().unwrap();
    let one = fp.levels.iter().find(|l| l.level == 1).unwrap();
    assert!(one
        .conditions
        .iter()
        .any(|c| c.warnings == vec!["Red".to_string()]));
    // Trapped people bound the fire plan's levels.
    let h = sample("gaoceng_huozai_plan_sample.md");
    let hp = h.facts.plan.as_ref().unwrap();
    assert!(hp.levels.iter().flat_map(|l| &l.conditions).any(|c| c
        .thresholds
        .iter()
        .any(|t| t.quantity == "trapped" && t.value == 10.0)));
}
