//! IRIs of the emkg vocabulary and of instance data, and the vocabulary
//! itself in Turtle ([`TTL`]).
//!
//! - vocabulary: `https://emkg.local/ont#Term`
//! - documents and units: `https://emkg.local/id/<unit id>` (`…/id/anquan_shengchan_fa#art21`)
//! - actors: `https://emkg.local/id/actor/<label, percent-encoded>`
//! - one named graph per document: `https://emkg.local/graph/<doc id>`

use crate::{DocKind, UnitKind};

pub const NS: &str = "https://emkg.local/ont#";
pub const ID: &str = "https://emkg.local/id/";
pub const GRAPH: &str = "https://emkg.local/graph/";
/// The named graph holding the vocabulary itself.
pub const ONTOLOGY_GRAPH: &str = "https://emkg.local/graph/ontology";
pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
pub const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// The vocabulary in Turtle.
pub const TTL: &str = include_str!("../ttl/emkg.ttl");

/// `emkg:<local>`.
pub fn term(local: &str) -> String {
    format!("{NS}{local}")
}

/// IRI of a document or unit id (`doc`, `doc#art21.c2`).
pub fn id_iri(id: &str) -> String {
    format!("{ID}{}", encode(id))
}

pub fn graph_iri(doc_id: &str) -> String {
    format!("{GRAPH}{}", encode(doc_id))
}

/// IRI of an actor (subject, department, role) by its label.
pub fn actor_iri(label: &str) -> String {
    format!("{ID}actor/{}", encode(label))
}

/// Percent-encodes what an IRI path may not hold; keeps `#`, `.`, `-`, `_`, `~`, `/`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'#' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The class of a document of `kind` (plans refined by title elsewhere).
pub fn doc_class(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Law => "Law",
        DocKind::AdminRegulation => "AdminRegulation",
        DocKind::DeptRule => "DeptRule",
        DocKind::LocalRegulation => "LocalRegulation",
        DocKind::NormativeDoc => "NormativeDoc",
        DocKind::Plan => "EmergencyPlan",
        DocKind::Case => "CaseDocument",
        DocKind::WorkPlan => "WorkPlan",
        DocKind::Memo => "LegalMemo",
        DocKind::Other => "OtherDocument",
    }
}

/// The plan sub-class a plan's title names (总体/专项/部门/基层/企业).
pub fn plan_class(title: &str) -> Option<&'static str> {
    [
        ("总体", "GeneralPlan"),
        ("专项", "SpecialPlan"),
        ("部门", "DepartmentPlan"),
        ("街道", "GrassrootsPlan"),
        ("社区", "GrassrootsPlan"),
        ("乡镇", "GrassrootsPlan"),
        ("基层", "GrassrootsPlan"),
        ("企业", "EnterprisePlan"),
        ("公司", "EnterprisePlan"),
    ]
    .iter()
    .find(|(k, _)| title.contains(k))
    .map(|(_, c)| *c)
}

pub fn unit_class(kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::Part => "Part",
        UnitKind::Chapter => "Chapter",
        UnitKind::LegalSection => "LegalSection",
        UnitKind::Article => "Article",
        UnitKind::Clause => "Clause",
        UnitKind::Item => "Item",
        UnitKind::SubItem => "SubItem",
        UnitKind::Section => "PlanSection",
        UnitKind::Body => "Body",
    }
}

/// Accident grades: (Chinese name, IRI local name), longest name first so
/// that 特别重大事故 is matched before 重大事故.
pub const GRADES: [(&str, &str); 4] = [
    ("特别重大事故", "ExtraordinarilySerious"),
    ("重大事故", "Serious"),
    ("较大事故", "Larger"),
    ("一般事故", "Ordinary"),
];

/// Response levels 1..=4 → IRI local name.
pub fn response_level(n: u8) -> Option<&'static str> {
    match n {
        1 => Some("LevelI"),
        2 => Some("LevelII"),
        3 => Some("LevelIII"),
        4 => Some("LevelIV"),
        _ => None,
    }
}

/// Warning colours → IRI local name.
pub const WARNINGS: [(&str, &str); 4] = [
    ("红色预警", "Red"),
    ("橙色预警", "Orange"),
    ("黄色预警", "Yellow"),
    ("蓝色预警", "Blue"),
];

/// Parties that legal provisions commonly bind, longest first when matching.
pub const SUBJECTS: &[&str] = &[
    "生产经营单位的主要负责人",
    "生产经营单位",
    "主要负责人",
    "安全生产管理人员",
    "从业人员",
    "县级以上地方各级人民政府",
    "县级以上地方人民政府",
    "县级以上人民政府",
    "乡、镇人民政府",
    "乡镇人民政府",
    "街道办事处",
    "国务院",
    "应急管理部门",
    "负有安全生产监督管理职责的部门",
    "安全生产监督管理部门",
    "消防救援机构",
    "公安机关",
    "居民委员会",
    "村民委员会",
    "施工单位",
    "建设单位",
    "监理单位",
    "勘察单位",
    "设计单位",
    "事故发生单位",
    "危险化学品单位",
    "特种设备使用单位",
    "特种设备生产单位",
    "医疗卫生机构",
    "物业服务企业",
    "机关、团体、企业、事业单位",
    "单位",
    "任何单位和个人",
    "公民",
    "个人",
];
