//! Ingest orchestration and the commit protocol: ids chosen before
//! parsing, new revisions staged, removals, relinking of cross-document
//! references, then the commit (derived stores stamped, catalog saved — the
//! commit point — replaced files removed) or a rollback.

use super::*;

impl Engine {
    /// Ingests files and folders. Per-file problems are reported in the
    /// result and do not stop the batch; stored data is only replaced by a
    /// complete new version of a document.
    pub fn ingest_paths(
        &mut self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        on_file: &mut dyn FnMut(Progress<'_>),
    ) -> Result<IngestReport> {
        self.ingest(paths, opts, false, on_file)
    }

    /// [`Engine::ingest_paths`]; with `prune`, documents whose source file
    /// lay under one of the given folders and is gone are removed in the
    /// same commit. A store error aborts the batch and rolls it back: the
    /// stored data stays as it was before the call.
    pub fn ingest(
        &mut self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        prune: bool,
        on_file: &mut dyn FnMut(Progress<'_>),
    ) -> Result<IngestReport> {
        let report = match self.ingest_staged(paths, opts, prune, on_file) {
            Ok(r) => r,
            Err(e) => {
                self.rollback()?;
                return Err(e);
            }
        };
        // Committed: a vector error now leaves work for the next sync and
        // is reported, but the batch stands.
        self.sync_vectors(&mut |_, _| {})?;
        Ok(report)
    }

    pub(crate) fn ingest_staged(
        &mut self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        prune: bool,
        on_file: &mut dyn FnMut(Progress<'_>),
    ) -> Result<IngestReport> {
        let (files, missing) = emkg_ingest::discover(paths);
        let mut report = IngestReport::default();
        for e in missing {
            let path = match &e {
                emkg_ingest::IngestError::Io { path, .. } => path.clone(),
                _ => PathBuf::new(),
            };
            report.files.push(FileReport {
                path,
                docs: Vec::new(),
                error: Some(e.to_string()),
                skipped_parts: Vec::new(),
                bytes: 0,
            });
        }
        let total = files.len();
        // Every discovered file's canonical path (its source key), for --prune.
        let mut seen: HashSet<String> = HashSet::new();
        for (i, path) in files.iter().enumerate() {
            let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            let mut fr = FileReport {
                path: path.clone(),
                docs: Vec::new(),
                error: None,
                skipped_parts: Vec::new(),
                bytes,
            };
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            seen.insert(canonical.display().to_string());
            let key_of = |part: Option<&str>| match part {
                Some(part) => format!("{}#{part}", canonical.display()),
                None => canonical.display().to_string(),
            };
            // Ids are chosen before parsing, so that every unit, fact and
            // link is built under the document's final id. A parser panic
            // on a hostile file costs that file, not the batch.
            let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                emkg_ingest::load_file_with_ids(path, opts, &mut |candidate, part| {
                    self.assign_id(candidate, &key_of(part))
                })
            }));
            match loaded {
                Ok(Ok(loaded)) => {
                    fr.skipped_parts = loaded.skipped;
                    for mut doc in loaded.documents {
                        let key = match doc.source.path.rsplit_once('#') {
                            Some((_, part)) => key_of(Some(part)),
                            None => key_of(None),
                        };
                        // No label given: a stored document keeps its own,
                        // so a routine re-ingest never lowers one.
                        if opts.access.is_none() {
                            if let Some(e) = self.catalog.by_source(&key) {
                                doc.access = e.access;
                            }
                        }
                        fr.docs.push(self.put_document(doc, &key)?);
                    }
                }
                Ok(Err(e)) => fr.error = Some(e.to_string()),
                Err(_) => {
                    fr.error = Some(format!(
                        "解析 {} 时发生内部错误，已跳过该文件（其余文件不受影响）",
                        path.display()
                    ))
                }
            }
            on_file(Progress {
                done: i + 1,
                total,
                file: &fr,
            });
            report.files.push(fr);
        }
        if prune {
            // A folder with a part that could not be read is not pruned: its
            // unread files are not gone.
            let unread: Vec<String> = report
                .files
                .iter()
                .filter(|f| f.error.is_some() && f.docs.is_empty() && f.bytes == 0)
                .map(|f| {
                    std::fs::canonicalize(&f.path)
                        .unwrap_or_else(|_| f.path.clone())
                        .display()
                        .to_string()
                })
                .collect();
            let roots: Vec<String> = paths
                .iter()
                .filter(|p| p.is_dir())
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .map(|p| format!("{}/", p.display()))
                .filter(|r| !unread.iter().any(|u| u.starts_with(r.as_str())))
                .collect();
            let gone: Vec<String> = self
                .catalog
                .docs
                .values()
                .filter(|e| {
                    let file = e
                        .source_key
                        .rsplit_once('#')
                        .map(|(f, _)| f)
                        .filter(|f| seen.contains(*f))
                        .unwrap_or(&e.source_key);
                    roots.iter().any(|r| file.starts_with(r.as_str()))
                        && !seen.contains(file)
                        && !Path::new(file).exists()
                })
                .map(|e| e.id.clone())
                .collect();
            for id in gone {
                report.removed.push(self.stage_removal(&id)?);
            }
        }
        self.relink_pending()?;
        self.commit_record()?;
        Ok(report)
    }

    /// The id a document from `source_key` gets: its stored id when that
    /// source was ingested before, else `candidate`, made unique among the
    /// stored documents and those of the batch being staged.
    pub fn assign_id(&mut self, candidate: &str, source_key: &str) -> String {
        if let Some(e) = self.catalog.by_source(source_key) {
            return e.id.clone();
        }
        // Ids name files and IRIs: ASCII letters, digits, '-' and '_' only
        // (a law id from a database could hold '/' or '@').
        let clean: String = candidate
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let candidate = if clean.is_empty() {
            "doc".to_string()
        } else {
            clean
        };
        let candidate = candidate.as_str();
        let mut id = candidate.to_string();
        let mut n = 2;
        while self.catalog.docs.contains_key(&id) || self.reserved_ids.contains(&id) {
            id = format!("{candidate}-{n}");
            n += 1;
        }
        self.reserved_ids.insert(id.clone());
        id
    }

    /// Removes documents (by id, or every document from a source path or
    /// folder) in one commit. Returns what was removed.
    pub fn remove(&mut self, targets: &[String]) -> Result<Vec<DocReport>> {
        let mut ids: Vec<String> = Vec::new();
        for t in targets {
            if self.catalog.docs.contains_key(t) {
                ids.push(t.clone());
                continue;
            }
            let p = Path::new(t);
            let abs = std::fs::canonicalize(p)
                .or_else(|_| std::path::absolute(p))
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| t.clone());
            let found: Vec<String> = self
                .catalog
                .docs
                .values()
                .filter(|e| {
                    e.source_key == abs
                        || e.source_key.starts_with(&format!("{abs}#"))
                        || e.source_key.starts_with(&format!("{abs}/"))
                })
                .map(|e| e.id.clone())
                .collect();
            if found.is_empty() {
                return Err(EngineError::NotStored(t.clone()));
            }
            ids.extend(found);
        }
        ids.sort();
        ids.dedup();
        let staged = (|| {
            let mut out = Vec::new();
            for id in &ids {
                out.push(self.stage_removal(id)?);
            }
            self.commit_record()?;
            Ok(out)
        })();
        match staged {
            Ok(out) => {
                // Only the removed documents' vectors go: embedding other
                // documents' backlog is not a removal's job.
                self.drop_stale_vectors()?;
                Ok(out)
            }
            Err(e) => {
                self.rollback()?;
                Err(e)
            }
        }
    }

    /// Stages the removal of one document: its index entries and graph go,
    /// and documents whose references resolved into it lose those links
    /// (and wait for its title again).
    pub(crate) fn stage_removal(&mut self, id: &str) -> Result<DocReport> {
        let entry = self
            .catalog
            .remove(id)
            .ok_or_else(|| EngineError::NotStored(id.to_string()))?;
        self.index.remove_document(id)?;
        self.touch_graph()?;
        self.staged_graphs.remove(id);
        self.graph()?.remove_document(id)?;
        let prefix = format!("{id}#");
        let dependents: Vec<String> = self
            .catalog
            .docs
            .values()
            .filter(|e| {
                e.links
                    .as_ref()
                    .is_some_and(|ls| ls.iter().any(|l| l.to.starts_with(&prefix)))
            })
            .map(|e| e.id.clone())
            .collect();
        let rev = self.catalog.generation + 1;
        for d in dependents {
            let mut doc = self.load(&d)?;
            for r in doc.xrefs.iter_mut() {
                if r.resolved
                    .as_deref()
                    .is_some_and(|t| t.starts_with(&prefix))
                {
                    r.resolved = None;
                }
            }
            self.dir.save_document(&doc, rev)?;
            self.replace_graph_of(&doc)?;
            let key = self.catalog.docs[&d].source_key.clone();
            let mut e = store::entry_for(&doc, &key);
            e.rev = rev;
            self.catalog.insert(e);
        }
        Ok(DocReport {
            id: entry.id,
            title: entry.title,
            kind: entry.kind,
            units: entry.units,
            outcome: DocOutcome::Removed,
        })
    }

    /// Drops everything staged since the last commit: the catalog is read
    /// back, the index writer rolled back and a graph written by the batch
    /// rebuilt; files the batch wrote are removed.
    pub fn rollback(&mut self) -> Result<()> {
        self.catalog = self.dir.load_catalog()?;
        self.staged_graphs.clear();
        self.reserved_ids.clear();
        self.index.rollback()?;
        // A commit that failed after stamping a store (the catalog save
        // itself failed) left that store ahead: rebuild it now, so that
        // the next commit's number never stamps a stale store.
        if self.index.generation()?.unwrap_or(0) != self.catalog.generation {
            self.rebuild_index()?;
        }
        if self.graph_touched || self.graph()?.generation()?.unwrap_or(0) != self.catalog.generation
        {
            self.rebuild_graph()?;
        }
        self.dir.remove_orphans(&self.catalog)?;
        self.links = link_map(&self.catalog);
        Ok(())
    }

    /// Stages one parsed document under `source_key`: unchanged content is a
    /// no-op; a changed source replaces its earlier version under the same id.
    /// Call [`Engine::commit`] to make staged documents searchable.
    pub fn put_document(&mut self, mut doc: Document, source_key: &str) -> Result<DocReport> {
        self.require_write()?;
        let existing = self.catalog.by_source(source_key).cloned();
        let outcome = match &existing {
            // A new label alone makes a new version too (it is stored with
            // the document).
            Some(e) if e.content_hash == doc.content_hash && e.access == doc.access => {
                return Ok(DocReport {
                    id: e.id.clone(),
                    title: e.title.clone(),
                    kind: e.kind,
                    units: e.units,
                    outcome: DocOutcome::Unchanged,
                })
            }
            Some(e) => {
                if doc.id != e.id {
                    doc = with_id(doc, &e.id);
                }
                DocOutcome::Replaced
            }
            None => {
                // Ingest chose the id before parsing; a caller that did not
                // (or whose id is taken) gets a renamed, re-extracted copy.
                if self.catalog.docs.contains_key(&doc.id) {
                    let id = self.assign_id(&doc.id, source_key);
                    doc = with_id(doc, &id);
                }
                self.reserved_ids.insert(doc.id.clone());
                DocOutcome::Added
            }
        };
        self.resolve_external_refs(&mut doc);
        // A new revision: the committed version's file stays untouched
        // until the catalog naming this one is saved.
        let rev = self.catalog.generation + 1;
        self.dir.save_document(&doc, rev)?;
        self.index.replace_document(&doc.id, &chunks_of(&doc))?;
        self.touch_graph()?;
        self.stage_graph(&doc, outcome == DocOutcome::Added)?;
        let mut entry = store::entry_for(&doc, source_key);
        entry.rev = rev;
        entry.pending_titles.retain(|t| !self.has_title(t));
        let report = DocReport {
            id: doc.id.clone(),
            title: doc.title.clone(),
            kind: doc.kind,
            units: doc.units.len(),
            outcome,
        };
        self.catalog.insert(entry);
        Ok(report)
    }

    /// Parses in-memory bytes named `name` and stages the document under
    /// `source_key` (benchmarks, uploads). A file-level problem is returned
    /// as `Ok(Err(message))`.
    pub fn put_bytes(
        &mut self,
        name: &Path,
        bytes: &[u8],
        source_key: &str,
        access: emkg_ingest::Access,
    ) -> Result<std::result::Result<DocReport, String>> {
        let id = self.assign_id(&emkg_ingest::doc_id_for(name), source_key);
        // A parser panic on a hostile file costs that file, as in a batch.
        let loaded = std::panic::catch_unwind(|| emkg_ingest::load_bytes_with_id(name, bytes, &id));
        match loaded {
            Ok(Ok(mut doc)) => {
                doc.access = access;
                Ok(Ok(self.put_document(doc, source_key)?))
            }
            Ok(Err(e)) => Ok(Err(e.to_string())),
            Err(_) => Ok(Err(format!(
                "解析 {} 时发生内部错误，未导入（已有数据不受影响）",
                name.display()
            ))),
        }
    }

    /// Ingests one uploaded file (`name` is its file name, no folders) and
    /// commits: the same name again replaces it. `access`: its label; `None`
    /// keeps the label of the document this name uploaded before (公开 for
    /// a new one), so that a re-upload never lowers a label by omission.
    /// A file-level problem is `Ok(Err(message))` and changes nothing; a
    /// store error rolls back.
    pub fn ingest_upload(
        &mut self,
        name: &str,
        bytes: &[u8],
        access: Option<emkg_ingest::Access>,
    ) -> Result<std::result::Result<DocReport, String>> {
        self.require_write()?;
        let key = format!("upload:{name}");
        let access = access
            .or_else(|| self.catalog.by_source(&key).map(|e| e.access))
            .unwrap_or_default();
        let staged = (|| {
            let r = self.put_bytes(Path::new(name), bytes, &key, access)?;
            if r.as_ref().is_ok_and(|d| d.outcome != DocOutcome::Unchanged) {
                self.relink_pending()?;
                self.commit_record()?;
            }
            Ok(r)
        })();
        match staged {
            Ok(r) => {
                if let Some(d) = r
                    .as_ref()
                    .ok()
                    .filter(|d| d.outcome != DocOutcome::Unchanged)
                {
                    // Committed: this document's vectors only (not the
                    // whole backlog); an error leaves work for the next
                    // sync (`emkg check` shows it), and the document stands.
                    let id = [d.id.clone()];
                    if let Err(e) = self
                        .embed_documents(&id)
                        .and_then(|v| self.store_vectors(v))
                    {
                        tracing::warn!("向量同步失败，将在下次同步时补齐：{e}");
                    }
                }
                Ok(r)
            }
            Err(e) => {
                self.rollback()?;
                Err(e)
            }
        }
    }

    /// Makes staged documents searchable and records the new catalog
    /// generation. The derived stores are stamped first; saving the catalog
    /// is the commit point; files of replaced versions go after it.
    pub fn commit(&mut self) -> Result<()> {
        self.commit_record()?;
        // Vectors are derived and versioned per document: embedding after
        // the catalog is saved means a crash here only leaves work for the
        // next sync, never a wrong vector.
        self.sync_vectors(&mut |_, _| {})?;
        Ok(())
    }

    /// The commit up to and including the commit point (no vectors).
    pub(crate) fn commit_record(&mut self) -> Result<()> {
        self.require_write()?;
        self.catalog.generation += 1;
        // Every stored document now carries facts of this extractor (new
        // ones were parsed by it; older ones were refreshed at open).
        self.catalog.facts_version = emkg_ingest::extract::VERSION;
        self.flush_graphs()?;
        self.index.commit(self.catalog.generation)?;
        self.graph()?.set_generation(self.catalog.generation)?;
        self.dir.save_catalog(&self.catalog)?;
        self.graph_touched = false;
        self.reserved_ids.clear();
        self.dir.remove_orphans(&self.catalog)?;
        self.links = link_map(&self.catalog);
        self.rulebook = Default::default();
        // A replaced document's old vectors are never served.
        self.refresh_fresh_vectors()?;
        Ok(())
    }

    /// Revisits stored documents whose 《X》第N条 references named a title that
    /// is now stored, so that cross-document links do not depend on ingest
    /// order. Returns how many documents were updated (staged until commit).
    pub fn relink_pending(&mut self) -> Result<usize> {
        let due: Vec<(String, String)> = self
            .catalog
            .docs
            .values()
            .filter(|e| e.pending_titles.iter().any(|t| self.has_title(t)))
            .map(|e| (e.id.clone(), e.source_key.clone()))
            .collect();
        let rev = self.catalog.generation + 1;
        for (id, key) in &due {
            let mut doc = self.load(id)?;
            self.resolve_external_refs(&mut doc);
            self.dir.save_document(&doc, rev)?;
            self.touch_graph()?;
            self.replace_graph_of(&doc)?;
            let mut entry = store::entry_for(&doc, key);
            entry.rev = rev;
            entry.pending_titles.retain(|t| !self.has_title(t));
            self.catalog.insert(entry);
        }
        Ok(due.len())
    }

    /// A new document's graph waits for the bulk load at commit; a replaced
    /// one is swapped in one transaction now (its named graph replaced whole).
    pub(crate) fn stage_graph(&mut self, doc: &Document, new: bool) -> Result<()> {
        let triples = graph::document_triples(doc)?;
        if new {
            self.staged_graphs.insert(doc.id.clone(), triples);
            if self.staged_graphs.len() >= 500 {
                self.flush_graphs()?;
            }
            Ok(())
        } else {
            self.graph()?.replace_document(&doc.id, triples)
        }
    }

    /// A document's graph changed again before commit: a new document's
    /// staged triples are replaced (the bulk load at commit would otherwise
    /// put the stale ones back); a stored one's named graph is swapped.
    pub(crate) fn replace_graph_of(&mut self, doc: &Document) -> Result<()> {
        let triples = graph::document_triples(doc)?;
        if let Some(slot) = self.staged_graphs.get_mut(&doc.id) {
            *slot = triples;
            Ok(())
        } else {
            self.graph()?.replace_document(&doc.id, triples)
        }
    }

    pub(crate) fn flush_graphs(&mut self) -> Result<()> {
        let docs: Vec<(String, graph::DocTriples)> = std::mem::take(&mut self.staged_graphs)
            .into_iter()
            .collect();
        self.graph()?.load_new_documents(docs)
    }

    pub(crate) fn has_title(&self, normalized: &str) -> bool {
        !self.catalog.ids_titled(normalized).is_empty()
    }

    /// Resolves 《X》第N条 references against the stored documents' titles.
    pub(crate) fn resolve_external_refs(&self, doc: &mut Document) {
        // The first stored document (by id) of a title, from the index.
        let by_title = |norm: &str| {
            self.catalog
                .ids_titled(norm)
                .first()
                .and_then(|id| self.catalog.docs.get(id))
        };
        let own_title = emkg_ontology::normalize_title(&doc.title);
        let own_articles: HashSet<u32> = doc.articles().filter_map(|u| u.article).collect();
        for r in doc.xrefs.iter_mut() {
            let Some(t) = &r.doc_title else { continue };
            if r.resolved.is_some() {
                continue;
            }
            let norm = emkg_ontology::normalize_title(t);
            // Only to an article the target actually has.
            let target = if norm == own_title {
                Some(doc.id.as_str())
                    .filter(|_| r.article.is_some_and(|a| own_articles.contains(&a)))
            } else {
                by_title(&norm)
                    .filter(|e| r.article.is_some_and(|a| e.articles.contains(&a)))
                    .map(|e| e.id.as_str())
            };
            if let (Some(id), Some(a)) = (target, r.article) {
                let art = match r.article_suffix {
                    Some(s) => format!("{id}#art{a}-{s}"),
                    None => format!("{id}#art{a}"),
                };
                r.resolved = Some(art);
            }
        }
    }
}
