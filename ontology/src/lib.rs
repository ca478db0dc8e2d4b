//! Domain vocabulary of emkg.
//!
//! This crate names the kinds of things the engine talks about — document kinds
//! (法律, 行政法规 …) and unit kinds (编/章/节/条/款/项/目, numbered sections) —
//! with their wire names and Chinese labels. It does no I/O and names no
//! storage backend; every other crate may depend on it.

pub mod events;
pub mod lexicon;
pub mod regimes;
pub mod risk;
pub mod taxonomy;
pub mod vocab;

use serde::{Deserialize, Serialize};

/// The kind of a source document. Ordered roughly by legal rank, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// 法律 (NPC and its standing committee).
    Law,
    /// 行政法规 (State Council, usually 条例).
    AdminRegulation,
    /// 部门规章 (ministry orders, 令第N号).
    DeptRule,
    /// 地方性法规 (e.g. 上海市…条例).
    LocalRegulation,
    /// 规范性文件 (意见, 通知, 办法 issued as 国办发〔2024〕5号 …).
    NormativeDoc,
    /// 应急预案.
    Plan,
    /// Accident case file or news report of an incident.
    Case,
    /// A department's work plan (工作要点, 工作计划).
    WorkPlan,
    /// Legal memo (法律备忘).
    Memo,
    Other,
}

impl DocKind {
    pub const ALL: [DocKind; 10] = [
        DocKind::Law,
        DocKind::AdminRegulation,
        DocKind::DeptRule,
        DocKind::LocalRegulation,
        DocKind::NormativeDoc,
        DocKind::Plan,
        DocKind::Case,
        DocKind::WorkPlan,
        DocKind::Memo,
        DocKind::Other,
    ];

    /// The wire name used in JSON and in the index (`law`, `admin_regulation` …).
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Law => "law",
            DocKind::AdminRegulation => "admin_regulation",
            DocKind::DeptRule => "dept_rule",
            DocKind::LocalRegulation => "local_regulation",
            DocKind::NormativeDoc => "normative_doc",
            DocKind::Plan => "plan",
            DocKind::Case => "case",
            DocKind::WorkPlan => "work_plan",
            DocKind::Memo => "memo",
            DocKind::Other => "other",
        }
    }

    /// Chinese label for user-facing text.
    pub fn label_zh(self) -> &'static str {
        match self {
            DocKind::Law => "法律",
            DocKind::AdminRegulation => "行政法规",
            DocKind::DeptRule => "部门规章",
            DocKind::LocalRegulation => "地方性法规",
            DocKind::NormativeDoc => "规范性文件",
            DocKind::Plan => "应急预案",
            DocKind::Case => "事故案例",
            DocKind::WorkPlan => "工作计划",
            DocKind::Memo => "法律备忘",
            DocKind::Other => "其他",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether documents of this kind are structured as 条 (articles).
    pub fn is_legal(self) -> bool {
        matches!(
            self,
            DocKind::Law
                | DocKind::AdminRegulation
                | DocKind::DeptRule
                | DocKind::LocalRegulation
                | DocKind::NormativeDoc
        )
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a unit inside a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 编
    Part,
    /// 章
    Chapter,
    /// 节 (of a legal text)
    LegalSection,
    /// 条
    Article,
    /// 款 (unnumbered paragraph of an article)
    Clause,
    /// 项 （一）
    Item,
    /// 目 1.
    SubItem,
    /// A numbered section of a plan, work plan, case file or policy document:
    /// 一、 / （一） / 1. / （1） / 1.1 / 1.1.1.
    Section,
    /// The whole body of a document that has no numbered structure (news reports).
    Body,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Part => "part",
            UnitKind::Chapter => "chapter",
            UnitKind::LegalSection => "legal_section",
            UnitKind::Article => "article",
            UnitKind::Clause => "clause",
            UnitKind::Item => "item",
            UnitKind::SubItem => "sub_item",
            UnitKind::Section => "section",
            UnitKind::Body => "body",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::Part => "编",
            UnitKind::Chapter => "章",
            UnitKind::LegalSection => "节",
            UnitKind::Article => "条",
            UnitKind::Clause => "款",
            UnitKind::Item => "项",
            UnitKind::SubItem => "目",
            UnitKind::Section => "节段",
            UnitKind::Body => "正文",
        }
    }

    /// Structural containers whose text is only a heading (编/章/节).
    pub fn is_container(self) -> bool {
        matches!(
            self,
            UnitKind::Part | UnitKind::Chapter | UnitKind::LegalSection
        )
    }
}

/// Normalises a document title for matching citations: drops a leading
/// 中华人民共和国, book-title marks and whitespace.
/// `《中华人民共和国安全生产法》` and `安全生产法` normalise alike.
pub fn normalize_title(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .filter(|c| !matches!(c, '《' | '》' | '<' | '>') && !c.is_whitespace() && *c != '\u{3000}')
        .collect();
    cleaned
        .strip_prefix("中华人民共和国")
        .map(str::to_string)
        .unwrap_or(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in DocKind::ALL {
            assert_eq!(DocKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocKind::parse("nonsense"), None);
    }

    #[test]
    fn title_normalisation() {
        assert_eq!(
            normalize_title("《中华人民共和国安全生产法》"),
            "安全生产法"
        );
        assert_eq!(normalize_title("安全生产法"), "安全生产法");
        assert_eq!(normalize_title("上海市 消防条例"), "上海市消防条例");
    }
}

#[cfg(test)]
mod vocab_tests {
    use super::taxonomy::{TaxonomyClass, TERMS};
    use super::vocab::TTL;

    #[test]
    fn taxonomy_terms_are_declared_in_the_turtle() {
        assert_eq!(
            TERMS
                .iter()
                .filter(|t| t.class == TaxonomyClass::InjuryCategory)
                .count(),
            20
        );
        assert_eq!(
            TERMS
                .iter()
                .filter(|t| t.class == TaxonomyClass::RiskPlace)
                .count(),
            9
        );
        for t in TERMS {
            let class = match t.class {
                TaxonomyClass::EventClass => "EventClass",
                TaxonomyClass::InjuryCategory => "InjuryCategory",
                TaxonomyClass::RiskPlace => "RiskPlace",
            };
            let decl = format!(
                "emkg:{} a emkg:{class} ; rdfs:label \"{}\"@zh",
                t.local, t.zh
            );
            assert!(TTL.contains(&decl), "{decl}");
        }
    }
}

/// Document templates held as data (parsed where they are used).
pub mod templates {
    /// Incident report forms (初报/续报), one per reporting regime; see the
    /// file's own comment for the slot rules.
    pub const INCIDENT_REPORTS: &str = include_str!("../templates/incident_reports.json");
}
