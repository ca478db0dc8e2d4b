//! `emkg check`: does every store agree with the catalog? And `--repair`.
//!
//! The catalog and the document files it names are the system of record;
//! the full-text index, the graph and the vectors are derived. The check
//! compares each of them with the catalog (documents, chunk counts, named
//! graphs, vector content versions) and lists every disagreement; repair
//! rebuilds or trims the derived stores from the record. A document whose
//! own file is missing or unreadable cannot be rebuilt from anything: repair
//! drops it from the catalog and names it, so that its source can be
//! ingested again.

use crate::error::Result;
use crate::{chunks_of, Engine};
use std::collections::BTreeSet;

/// One disagreement between a store and the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `docs`, `index`, `graph` or `vectors`.
    pub store: &'static str,
    pub doc_id: Option<String>,
    /// What is wrong, in Chinese.
    pub problem: String,
}

/// What `check` found.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub generation: u64,
    pub documents: usize,
    pub chunks: u64,
    pub findings: Vec<Finding>,
    /// Stores not checked, with why (e.g. no embedder for the vectors).
    pub unchecked: Vec<(String, String)>,
    /// Document files no catalog names (a batch that never committed, or
    /// versions replaced): invisible to readers, removed by the next writer.
    pub pending_cleanup: usize,
    /// Derived stores the open that preceded this check had to rebuild
    /// (they lagged the catalog: an interrupted write).
    pub recovered_at_open: Vec<String>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
    fn add(&mut self, store: &'static str, doc_id: Option<&str>, problem: String) {
        self.findings.push(Finding {
            store,
            doc_id: doc_id.map(str::to_string),
            problem,
        });
    }
}

/// What `repair` did.
#[derive(Debug, Clone, Default)]
pub struct RepairReport {
    pub orphan_files_removed: usize,
    /// Documents dropped because their own file was lost (ingest again).
    pub documents_dropped: Vec<(String, String)>,
    pub index_rebuilt: bool,
    pub graph_rebuilt: bool,
    pub vectors_embedded: usize,
}

impl Engine {
    /// Compares every store with the catalog. Reads only.
    pub fn check(&self) -> Result<CheckReport> {
        let mut r = CheckReport {
            generation: self.catalog.generation,
            documents: self.catalog.docs.len(),
            ..Default::default()
        };

        // The record itself: each entry's file, whole and of that entry.
        for e in self.catalog.docs.values() {
            match self.dir.load_document(&e.id, e.rev) {
                Ok(d) => {
                    if d.id != e.id || d.content_hash != e.content_hash {
                        r.add(
                            "docs",
                            Some(&e.id),
                            format!(
                                "文档文件与目录记录不符（文件中编号 {}，内容版本 {}）",
                                d.id,
                                short(&d.content_hash)
                            ),
                        );
                    } else {
                        let n = chunks_of(&d).len();
                        if n != e.chunks {
                            r.add(
                                "docs",
                                Some(&e.id),
                                format!("文档分块数 {n} 与目录记录 {} 不符", e.chunks),
                            );
                        }
                    }
                }
                Err(err) => r.add(
                    "docs",
                    Some(&e.id),
                    format!("文档文件缺失或无法读取：{err}"),
                ),
            }
        }
        r.pending_cleanup = self.dir.orphan_files(&self.catalog)?.len();
        r.recovered_at_open = self.recovered().iter().map(|s| s.to_string()).collect();

        // Full-text index.
        let ig = self.index.generation()?.unwrap_or(0);
        if ig != self.catalog.generation {
            r.add(
                "index",
                None,
                format!(
                    "全文索引对应第 {ig} 代，目录为第 {} 代",
                    self.catalog.generation
                ),
            );
        }
        let counts = self.index.doc_counts()?;
        r.chunks = counts.values().sum();
        for e in self.catalog.docs.values() {
            let n = counts.get(&e.id).copied().unwrap_or(0);
            if n != e.chunks as u64 {
                r.add(
                    "index",
                    Some(&e.id),
                    format!("索引中有 {n} 个分块，目录记录 {} 个", e.chunks),
                );
            }
        }
        for id in counts.keys() {
            if !self.catalog.docs.contains_key(id) {
                r.add("index", Some(id), "索引中有目录没有记录的文档".to_string());
            }
        }

        // Knowledge graph.
        match &self.graph {
            Ok(g) => {
                let gg = g.generation()?.unwrap_or(0);
                if gg != self.catalog.generation {
                    r.add(
                        "graph",
                        None,
                        if gg == crate::GRAPH_DIRTY {
                            "知识图谱停留在未提交的写入中".to_string()
                        } else {
                            format!(
                                "知识图谱对应第 {gg} 代，目录为第 {} 代",
                                self.catalog.generation
                            )
                        },
                    );
                }
                let have = g.document_graphs()?;
                let want: BTreeSet<String> = self
                    .catalog
                    .docs
                    .keys()
                    .map(|id| emkg_ontology::vocab::graph_iri(id))
                    .collect();
                for id in self.catalog.docs.keys() {
                    if !have.contains(&emkg_ontology::vocab::graph_iri(id)) {
                        r.add("graph", Some(id), "知识图谱中缺少该文档的命名图".into());
                    }
                }
                for iri in have.difference(&want) {
                    r.add(
                        "graph",
                        None,
                        format!("知识图谱中有目录没有记录的命名图 {iri}"),
                    );
                }
            }
            Err(why) => r.unchecked.push(("graph".into(), why.clone())),
        }

        // Vectors, by content version.
        match &self.vectors {
            Some(v) => {
                let have = v.doc_versions()?;
                for e in self.catalog.docs.values() {
                    match have.get(&e.id) {
                        None if e.chunks > 0 => {
                            r.add("vectors", Some(&e.id), "缺少该文档的向量".into())
                        }
                        Some(ver) if *ver != e.content_hash => r.add(
                            "vectors",
                            Some(&e.id),
                            format!(
                                "向量对应内容版本 {}，文档为 {}（过期向量不会被检索使用）",
                                short(ver),
                                short(&e.content_hash)
                            ),
                        ),
                        _ => {}
                    }
                }
                for id in have.keys() {
                    if !self.catalog.docs.contains_key(id) {
                        r.add("vectors", Some(id), "向量属于目录没有记录的文档".into());
                    }
                }
            }
            None => r
                .unchecked
                .push(("vectors".into(), "未加载嵌入模型，未检查向量".into())),
        }
        Ok(r)
    }

    /// Brings every store into agreement with the catalog (write-opened
    /// engines only). Derived stores are rebuilt or trimmed; the record is
    /// never rewritten from them.
    pub fn repair(&mut self) -> Result<RepairReport> {
        let before = self.check()?;
        let mut out = RepairReport::default();
        let lost: Vec<(String, String)> = before
            .findings
            .iter()
            .filter(|f| f.store == "docs" && f.problem.starts_with("文档文件缺失"))
            .filter_map(|f| f.doc_id.clone().map(|id| (id, f.problem.clone())))
            .collect();
        let mismatched: Vec<String> = before
            .findings
            .iter()
            .filter(|f| f.store == "docs")
            .filter_map(|f| f.doc_id.clone())
            .collect();
        let mut catalog_changed = false;
        for id in mismatched {
            if let Some(e) = self.catalog.remove(&id) {
                // Its file (if any) is kept aside, not deleted: it may be
                // the only copy of what was stored.
                self.dir.quarantine(&e.id, e.rev)?;
                let why = lost
                    .iter()
                    .find(|(l, _)| *l == id)
                    .map(|(_, w)| w.clone())
                    .unwrap_or_else(|| "文档文件与目录记录不符".into());
                out.documents_dropped
                    .push((format!("{}（{}）", e.id, e.title), why));
                catalog_changed = true;
            }
        }
        if catalog_changed {
            self.catalog.generation += 1;
            self.dir.save_catalog(&self.catalog)?;
            self.links = crate::link_map(&self.catalog);
        }
        out.orphan_files_removed = self.dir.remove_orphans(&self.catalog)?;
        let wants = |s: &str| catalog_changed || before.findings.iter().any(|f| f.store == s);
        if wants("index") {
            self.rebuild_index()?;
            out.index_rebuilt = true;
        }
        if wants("graph") && self.graph.is_ok() {
            self.rebuild_graph()?;
            out.graph_rebuilt = true;
        }
        if self.vectors.is_some() {
            out.vectors_embedded = self.sync_vectors(&mut |_, _| {})?;
        }
        Ok(out)
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
