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
        .find(|u| u.section.as_deref() == Some("3.1"))
        .unwrap();
    assert_eq!(s.heading.as_deref(), Some("分级响应"));
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
