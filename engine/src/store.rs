//! The data directory and its system of record.
//!
//! Layout (format version [`FORMAT_VERSION`]):
//! ```text
//! DATA/emkg-data.json    format marker and version
//! DATA/catalog.json      one entry per document (id, source, hash, summary) + generation
//! DATA/docs/<id>@<rev>.json  each parsed document (rev: the generation that
//!                        wrote it; `<id>.json` in directories of format 1)
//! DATA/index/            tantivy full-text index, derived and rebuildable
//! DATA/graph/            oxigraph (RocksDB) knowledge graph, derived and rebuildable
//! DATA/vectors/          dense vectors, derived, versioned per document
//! DATA/emkg.lock         the directory lock (see [`crate::lock`])
//! ```
//! The catalog and the document files it names are the system of record,
//! and saving the catalog is the one commit point: a document file is never
//! overwritten (a new version gets a new revision), so until the new catalog
//! is renamed into place the old one still names complete old versions, and
//! files no catalog names are removed afterwards. The derived stores record
//! the catalog generation they reflect and are rebuilt when it differs.

use crate::error::{EngineError, Result};
pub use crate::lock::Access;
use emkg_ingest::Document;
use emkg_ontology::DocKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version of the on-disk layout. Bump on any incompatible change.
pub const FORMAT_VERSION: u32 = 2;
/// Older layouts this program opens (and upgrades on the first write).
const READABLE_VERSIONS: [u32; 2] = [1, 2];
const MARKER: &str = "emkg-data.json";

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: String,
    version: u32,
    created_by: String,
    /// This data directory's identity (names its Qdrant collections).
    #[serde(default)]
    id: Option<String>,
    /// Where the directory was when the id was given: a copy elsewhere
    /// gets its own id at its first write, so that two copies never share
    /// a collection.
    #[serde(default)]
    path: Option<String>,
}

/// Summary of one stored document, kept in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub id: String,
    pub title: String,
    pub kind: DocKind,
    pub version: Option<String>,
    pub status: Option<String>,
    /// Canonical source key (absolute path, or `db#law_id`).
    pub source_key: String,
    pub source_path: String,
    pub content_hash: String,
    pub units: usize,
    pub chunks: usize,
    /// Article numbers in document order (之一 articles excluded).
    pub articles: Vec<u32>,
    pub bytes: usize,
    /// Normalised titles of cited documents not stored yet (《X》第N条 left
    /// unresolved); revisited when a document with that title arrives.
    #[serde(default)]
    pub pending_titles: Vec<String>,
    /// Links from this document's chunks (references, duty → penalty) for
    /// graph expansion; `None` in catalogs written before links existed,
    /// then computed from the stored document on the next write-open.
    #[serde(default)]
    pub links: Option<Vec<crate::hybrid::Link>>,
    /// Safety and emergency words per thousand characters (the domain
    /// prior of search); `None` in catalogs written before it existed.
    #[serde(default)]
    pub domain_density: Option<f32>,
    /// Who may read it (公开 in catalogs written before labels existed).
    #[serde(default)]
    pub access: emkg_ingest::Access,
    /// Revision of the document file (`docs/<id>@<rev>.json`); 0 for the
    /// unversioned `docs/<id>.json` of format 1.
    #[serde(default)]
    pub rev: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    pub generation: u64,
    /// `emkg_ingest::extract::VERSION` of the stored documents' facts.
    #[serde(default)]
    pub facts_version: u32,
    /// Read freely; change through [`Catalog::insert`] and
    /// [`Catalog::remove`], which keep the lookups below in step.
    pub docs: BTreeMap<String, CatalogEntry>,
    /// Lookups by normalised title and by source key (derived, not saved):
    /// a query naming 《X》第N条 and every ingested file look documents up
    /// here instead of scanning every entry.
    #[serde(skip)]
    index: CatalogIndex,
}

#[derive(Debug, Clone, Default)]
struct CatalogIndex {
    by_title: std::collections::HashMap<String, Vec<String>>,
    by_source: std::collections::HashMap<String, String>,
    /// Longest normalised title, in chars (bounds suffix lookups).
    longest_title: usize,
}

impl Catalog {
    /// Rebuilds the lookups (after loading).
    pub(crate) fn reindex(&mut self) {
        self.index = CatalogIndex::default();
        let entries: Vec<(String, String, String)> = self
            .docs
            .values()
            .map(|e| (e.id.clone(), e.title.clone(), e.source_key.clone()))
            .collect();
        for (id, title, key) in entries {
            self.index_entry(&id, &title, &key);
        }
    }

    fn index_entry(&mut self, id: &str, title: &str, key: &str) {
        let t = emkg_ontology::normalize_title(title);
        self.index.longest_title = self.index.longest_title.max(t.chars().count());
        let ids = self.index.by_title.entry(t).or_default();
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
            ids.sort();
        }
        self.index.by_source.insert(key.to_string(), id.to_string());
    }

    fn unindex_entry(&mut self, e: &CatalogEntry) {
        let t = emkg_ontology::normalize_title(&e.title);
        if let Some(ids) = self.index.by_title.get_mut(&t) {
            ids.retain(|x| *x != e.id);
            if ids.is_empty() {
                self.index.by_title.remove(&t);
            }
        }
        if self.index.by_source.get(&e.source_key) == Some(&e.id) {
            self.index.by_source.remove(&e.source_key);
        }
    }

    /// Adds or replaces an entry.
    pub fn insert(&mut self, e: CatalogEntry) {
        if let Some(old) = self.docs.remove(&e.id) {
            self.unindex_entry(&old);
        }
        self.index_entry(&e.id, &e.title, &e.source_key);
        self.docs.insert(e.id.clone(), e);
    }

    pub fn remove(&mut self, id: &str) -> Option<CatalogEntry> {
        let e = self.docs.remove(id)?;
        self.unindex_entry(&e);
        Some(e)
    }

    pub fn by_source(&self, key: &str) -> Option<&CatalogEntry> {
        self.index
            .by_source
            .get(key)
            .and_then(|id| self.docs.get(id))
    }

    /// Ids of the documents whose normalised title is `normalized`.
    pub fn ids_titled(&self, normalized: &str) -> &[String] {
        self.index
            .by_title
            .get(normalized)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The longest stored normalised title that `normalized` ends with.
    ///
    /// Only titles of documents the current clearance may read count: a
    /// hidden title neither answers nor shadows a shorter visible one.
    pub fn title_suffix_of(&self, normalized: &str) -> Option<String> {
        let clearance = crate::access::clearance();
        let chars: Vec<char> = normalized.chars().collect();
        let max = self.index.longest_title.min(chars.len());
        (1..=max)
            .rev()
            .map(|n| chars[chars.len() - n..].iter().collect::<String>())
            .find(|t| {
                self.index.by_title.get(t).is_some_and(|ids| {
                    ids.iter()
                        .any(|id| self.docs.get(id).is_some_and(|e| e.access <= clearance))
                })
            })
    }
}

/// The data directory: marker, catalog and document files, held under its
/// lock for as long as the value lives.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    lock: crate::lock::DirLock,
    id: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl DataDir {
    /// Opens `root` under its lock; a writer creates it when missing.
    /// Refuses a folder written by another format version, and a non-empty
    /// folder that is not ours.
    pub fn open(root: &Path, access: Access) -> Result<DataDir> {
        let marker = root.join(MARKER);
        if marker.exists() {
            let text = std::fs::read_to_string(&marker).map_err(io(&marker))?;
            let m: Marker = serde_json::from_str(&text).map_err(|e| EngineError::Corrupt {
                path: marker.clone(),
                reason: e.to_string(),
            })?;
            if m.format != "emkg-data" || !READABLE_VERSIONS.contains(&m.version) {
                return Err(EngineError::IncompatibleVersion {
                    path: root.to_path_buf(),
                    found: format!("{} v{}", m.format, m.version),
                    supported: FORMAT_VERSION,
                });
            }
            let lock = crate::lock::acquire(root, access)?;
            let here = canonical(root);
            let moved = m.path.as_deref().is_some_and(|p| p != here);
            let id = match &m.id {
                Some(id) if !(moved && access == Access::Write) => id.clone(),
                Some(_) => new_dir_id(root, true),
                None => new_dir_id(root, false),
            };
            if access == Access::Write
                && (m.version != FORMAT_VERSION || m.id.is_none() || moved || m.path.is_none())
            {
                // Format 2 adds revisions and the id; format-1 files stay
                // readable. (A reader of an id-less format-1 directory uses
                // the same id, derived from its path, until a writer saves it.)
                write_marker(&marker, &id)?;
            }
            return Ok(DataDir {
                root: root.to_path_buf(),
                lock,
                id,
            });
        }
        if access == Access::Read {
            return Err(EngineError::NotInitialised(root.to_path_buf()));
        }
        if root.exists() {
            let mut entries = std::fs::read_dir(root).map_err(io(root))?;
            if entries.next().is_some() {
                return Err(EngineError::NotADataDir {
                    path: root.to_path_buf(),
                });
            }
        }
        std::fs::create_dir_all(root.join("docs")).map_err(io(root))?;
        let lock = crate::lock::acquire(root, access)?;
        let id = new_dir_id(root, true);
        write_marker(&marker, &id)?;
        Ok(DataDir {
            root: root.to_path_buf(),
            lock,
            id,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn access(&self) -> Access {
        self.lock.access
    }

    /// This directory's identity, stable across moves once saved.
    pub fn dir_id(&self) -> &str {
        &self.id
    }

    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }

    pub fn graph_dir(&self) -> PathBuf {
        self.root.join("graph")
    }

    fn doc_path(&self, id: &str, rev: u64) -> PathBuf {
        let name = if rev == 0 {
            format!("{id}.json")
        } else {
            format!("{id}@{rev}.json")
        };
        self.root.join("docs").join(name)
    }

    pub fn load_catalog(&self) -> Result<Catalog> {
        let p = self.root.join("catalog.json");
        if !p.exists() {
            return Ok(Catalog::default());
        }
        let text = std::fs::read_to_string(&p).map_err(io(&p))?;
        let mut c: Catalog = serde_json::from_str(&text).map_err(|e| EngineError::Corrupt {
            path: p,
            reason: e.to_string(),
        })?;
        c.reindex();
        Ok(c)
    }

    pub fn save_catalog(&self, c: &Catalog) -> Result<()> {
        let p = self.root.join("catalog.json");
        let json = serde_json::to_vec(c).map_err(|e| EngineError::Corrupt {
            path: p.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&p, &json)
    }

    /// Writes revision `rev` of a document (a new file: committed versions
    /// are never overwritten).
    pub fn save_document(&self, d: &Document, rev: u64) -> Result<()> {
        let p = self.doc_path(&d.id, rev);
        let json = serde_json::to_vec(d).map_err(|e| EngineError::Corrupt {
            path: p.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&p, &json)
    }

    pub fn load_document(&self, id: &str, rev: u64) -> Result<Document> {
        let p = self.doc_path(id, rev);
        if !p.exists() {
            return Err(EngineError::NoSuchDocument(id.to_string()));
        }
        let text = std::fs::read(&p).map_err(io(&p))?;
        serde_json::from_slice(&text).map_err(|e| EngineError::Corrupt {
            path: p,
            reason: e.to_string(),
        })
    }

    /// Every document file in `docs/` as (id, rev), whether the catalog
    /// names it or not.
    pub fn stored_files(&self) -> Result<Vec<(String, u64)>> {
        let dir = self.root.join("docs");
        let mut out = Vec::new();
        for e in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let e = e.map_err(io(&dir))?;
            let name = e.file_name().to_string_lossy().to_string();
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            if stem.starts_with('.') {
                continue;
            }
            match stem.rsplit_once('@') {
                Some((id, rev)) => match rev.parse::<u64>() {
                    Ok(r) => out.push((id.to_string(), r)),
                    Err(_) => continue,
                },
                None => out.push((stem.to_string(), 0)),
            }
        }
        out.sort();
        Ok(out)
    }

    /// Document files the catalog does not name: versions replaced by a
    /// committed batch, or written by a batch that never committed.
    pub fn orphan_files(&self, c: &Catalog) -> Result<Vec<(String, u64)>> {
        Ok(self
            .stored_files()?
            .into_iter()
            .filter(|(id, rev)| c.docs.get(id).is_none_or(|e| e.rev != *rev))
            .collect())
    }

    /// Moves a document file out of `docs/` into `quarantine/` (kept for
    /// inspection; nothing reads it).
    pub fn quarantine(&self, id: &str, rev: u64) -> Result<()> {
        let p = self.doc_path(id, rev);
        if !p.exists() {
            return Ok(());
        }
        let dir = self.root.join("quarantine");
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        let to = dir.join(name);
        std::fs::rename(&p, &to).map_err(io(&p))
    }

    /// Removes the document files the catalog does not name (and leftover
    /// temporary files). Returns how many were removed.
    pub fn remove_orphans(&self, c: &Catalog) -> Result<usize> {
        let orphans = self.orphan_files(c)?;
        for (id, rev) in &orphans {
            let p = self.doc_path(id, *rev);
            std::fs::remove_file(&p).map_err(io(&p))?;
        }
        let dir = self.root.join("docs");
        for e in std::fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            if e.file_name().to_string_lossy().starts_with('.') {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(orphans.len())
    }
}

/// A directory id: 12 hex digits of a hash of its path and, for a new
/// directory, the time and process (so that two directories never share
/// one, even at one path in turn). An older directory without an id gets
/// the one its path gives, the same for every reader until a writer saves it.
fn canonical(root: &Path) -> String {
    std::fs::canonicalize(root)
        .unwrap_or_else(|_| root.to_path_buf())
        .display()
        .to_string()
}

fn new_dir_id(root: &Path, fresh: bool) -> String {
    use sha2::{Digest, Sha256};
    let mut seed = canonical(root);
    if fresh {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        seed.push_str(&format!("|{nanos}|{}", std::process::id()));
    }
    let h = Sha256::digest(seed.as_bytes());
    h.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

fn write_marker(marker: &Path, id: &str) -> Result<()> {
    let m = Marker {
        format: "emkg-data".into(),
        version: FORMAT_VERSION,
        created_by: format!("emkg {}", env!("CARGO_PKG_VERSION")),
        id: Some(id.to_string()),
        path: marker.parent().map(canonical),
    };
    let json = serde_json::to_vec_pretty(&m).map_err(|e| EngineError::Corrupt {
        path: marker.to_path_buf(),
        reason: e.to_string(),
    })?;
    write_atomic(marker, &json)
}

/// Writes `bytes` to `path` atomically: temp file in the same folder, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    {
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io(path))?;
    // The rename itself must survive a power loss before anything that
    // depends on it (the catalog names the files written before it).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Builds the catalog entry of a document.
pub fn entry_for(d: &Document, source_key: &str) -> CatalogEntry {
    CatalogEntry {
        id: d.id.clone(),
        title: d.title.clone(),
        kind: d.kind,
        version: d.version.clone(),
        status: d.status.clone(),
        source_key: source_key.to_string(),
        source_path: d.source.path.clone(),
        content_hash: d.content_hash.clone(),
        units: d.units.len(),
        chunks: d.units.iter().filter(|u| u.chunk).count(),
        articles: d
            .articles()
            .filter(|a| a.article_suffix.is_none())
            .filter_map(|a| a.article)
            .collect(),
        bytes: d.text.len(),
        pending_titles: {
            let mut t: Vec<String> = d
                .xrefs
                .iter()
                .filter(|r| r.resolved.is_none())
                .filter_map(|r| r.doc_title.as_deref().map(emkg_ontology::normalize_title))
                .collect();
            t.sort();
            t.dedup();
            t
        },
        links: Some(crate::hybrid::links_of(d)),
        domain_density: Some(emkg_ontology::lexicon::domain_density(&d.text)),
        access: d.access,
        rev: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_foreign_and_incompatible_dirs() {
        let t = tempfile::tempdir().unwrap();
        let foreign = t.path().join("foreign");
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
        assert!(matches!(
            DataDir::open(&foreign, Access::Write),
            Err(EngineError::NotADataDir { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
            "mine"
        );

        let old = t.path().join("old");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(
            old.join(MARKER),
            r#"{"format":"emkg-data","version":0,"created_by":"x"}"#,
        )
        .unwrap();
        let e = DataDir::open(&old, Access::Write).unwrap_err();
        assert!(e.to_string().contains("不兼容"), "{e}");

        let fresh = t.path().join("fresh");
        let d = DataDir::open(&fresh, Access::Write).unwrap();
        assert!(d.load_catalog().unwrap().docs.is_empty());
        // The writer's lock keeps readers out until it is dropped.
        assert!(matches!(
            DataDir::open(&fresh, Access::Read),
            Err(EngineError::Locked { .. })
        ));
        drop(d);
        assert!(DataDir::open(&fresh, Access::Read).is_ok());
        assert!(matches!(
            DataDir::open(&t.path().join("none"), Access::Read),
            Err(EngineError::NotInitialised(_))
        ));
    }
}
