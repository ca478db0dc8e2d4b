//! The document model: a [`Document`] is an ordered list of [`Unit`]s, each
//! with a stable id, its heading path, its exact text and its char span in the
//! document's normalised text.

use emkg_ontology::{DocKind, UnitKind};
use serde::{Deserialize, Serialize};

/// Dates as ISO strings (`2021-06-10`), as far as the source states them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocDates {
    /// 公布 / 发布 / 印发 / 通过.
    pub promulgated: Option<String>,
    /// 施行.
    pub effective: Option<String>,
    /// Latest 修正 / 修订.
    pub amended: Option<String>,
}

/// Where a document came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Path as given to ingest, or `db-path#law_id` for database imports.
    pub path: String,
    /// `md`, `txt`, `html`, `docx`, `china-law-db`.
    pub format: String,
    /// Detected encoding (`UTF-8`, `GBK`, `UTF-16LE` …).
    pub encoding: String,
}

/// Who may read a document, set at ingest: 公开 (every account) or 内部
/// (accounts cleared for internal documents). Ordered: a clearance reads
/// its own label and every lower one.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    #[default]
    Public,
    Internal,
}

impl Access {
    /// The label as users write it.
    pub fn label(self) -> &'static str {
        match self {
            Access::Public => "公开",
            Access::Internal => "内部",
        }
    }

    /// Reads a label (公开/内部, or public/internal).
    pub fn parse(s: &str) -> Option<Access> {
        match s.trim() {
            "公开" | "public" => Some(Access::Public),
            "内部" | "internal" => Some(Access::Internal),
            _ => None,
        }
    }
}

/// A parsed document. `text` is the normalised source; all spans index it in chars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub kind: DocKind,
    pub issuer: Option<String>,
    /// 文号: 国办发〔2024〕5号, 应急管理部令第5号 …
    pub doc_number: Option<String>,
    pub dates: DocDates,
    /// The version this text is: the latest amendment date, else promulgation.
    pub version: Option<String>,
    /// 现行有效 / 已废止 … when the source says so.
    pub status: Option<String>,
    pub source: Source,
    /// sha256 of the raw source bytes (hex).
    pub content_hash: String,
    pub text: String,
    pub units: Vec<Unit>,
    pub xrefs: Vec<CrossRef>,
    /// Problems noticed while parsing; the document is still usable.
    pub diagnostics: Vec<String>,
    /// Facts extracted from the text, each with its evidence span.
    #[serde(default)]
    pub facts: crate::extract::Facts,
    /// Who may read it (公开 unless ingest was told otherwise).
    #[serde(default)]
    pub access: Access,
}

/// One structural unit: 编/章/节/条/款/项/目 or a numbered section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Stable id: `<doc>#art21`, `<doc>#art21.c2`, `<doc>#art7.c1.i3`, `<doc>#sec3.2.2`.
    pub id: String,
    pub kind: UnitKind,
    /// Index of the parent unit in `Document::units`.
    pub parent: Option<usize>,
    /// The numbering as written: 第二十一条, （二）, 3.2.2, 一、
    pub label: String,
    /// Heading text of containers and sections (总则, 总体要求).
    pub heading: Option<String>,
    /// Headings of the enclosing containers, outermost first (第二章 生产经营单位的安全生产保障).
    pub heading_path: Vec<String>,
    /// 条 number of the article this unit is or belongs to.
    pub article: Option<u32>,
    /// N of 第X条之N.
    pub article_suffix: Option<u32>,
    /// 款 number (1-based) of the clause this unit is or belongs to.
    pub clause: Option<u32>,
    /// 项 number.
    pub item: Option<u32>,
    /// Dotted section number of a plan or policy document ("3.2.2", "2.1").
    pub section: Option<String>,
    /// Char span `[start, end)` in `Document::text`.
    pub span: (usize, usize),
    pub text: String,
    /// Departments named as responsible (责任部门：协调科、减灾科).
    pub responsible: Vec<String>,
    /// Whether this unit is a retrieval chunk (an article, a section, a body).
    pub chunk: bool,
}

/// A reference to a provision found inside body text (本法第十条, 《消防法》第十六条, 前款).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossRef {
    /// Unit the reference occurs in.
    pub from: String,
    /// Char span of the reference in `Document::text`.
    pub span: (usize, usize),
    pub raw: String,
    /// Title of the cited document; `None` means this document.
    pub doc_title: Option<String>,
    pub article: Option<u32>,
    pub article_suffix: Option<u32>,
    pub clause: Option<u32>,
    pub item: Option<u32>,
    /// Unit id of the target when known.
    pub resolved: Option<String>,
}

/// A retrieval chunk: a unit and the text that represents it in an index
/// (its own text without the text of nested chunks).
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk<'a> {
    pub unit: &'a Unit,
    pub text: String,
}

impl Document {
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// Articles in document order.
    pub fn articles(&self) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(|u| u.kind == UnitKind::Article)
    }

    /// The text of `span` (char offsets) in the normalised text.
    pub fn slice(&self, span: (usize, usize)) -> String {
        self.text
            .chars()
            .skip(span.0)
            .take(span.1.saturating_sub(span.0))
            .collect()
    }

    /// Retrieval chunks: every unit marked `chunk`, with the text of chunk
    /// descendants cut out so that no text is indexed twice.
    pub fn chunks(&self) -> Vec<Chunk<'_>> {
        // For each unit, the nearest chunk ancestor (a chunk nested in it).
        let nearest_chunk = |mut i: usize| -> Option<usize> {
            while let Some(p) = self.units.get(i).and_then(|u| u.parent) {
                if self.units.get(p).is_some_and(|u| u.chunk) {
                    return Some(p);
                }
                i = p;
            }
            None
        };
        let mut nested: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.units.len()];
        for (j, u) in self.units.iter().enumerate() {
            if u.chunk {
                if let Some(a) = nearest_chunk(j) {
                    nested[a].push(u.span);
                }
            }
        }
        let mut out = Vec::new();
        for (idx, unit) in self.units.iter().enumerate() {
            if !unit.chunk {
                continue;
            }
            let nested = &nested[idx];
            let text = if nested.is_empty() {
                unit.text.clone()
            } else {
                let mut s = String::new();
                for (i, c) in unit.text.chars().enumerate() {
                    let pos = unit.span.0 + i;
                    if !nested.iter().any(|(a, b)| pos >= *a && pos < *b) {
                        s.push(c);
                    }
                }
                s.trim().to_string()
            };
            out.push(Chunk { unit, text });
        }
        out
    }
}
