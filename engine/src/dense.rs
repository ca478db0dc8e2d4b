//! Dense vectors: attaching an embedder and its vector index, keeping
//! vectors in step with document content versions, and which documents'
//! vectors may be served.

use super::*;

impl Engine {
    /// Attaches an embedder and the vector index of its space. On a
    /// writable engine, call [`Engine::sync_vectors`] (commit does) to embed
    /// documents that lack vectors; a read-only engine searches what exists.
    pub fn attach_embedder(
        &mut self,
        embedder: Arc<dyn Embedder>,
        backend: &VectorBackend,
    ) -> Result<()> {
        let space = vector_space_name(embedder.name());
        let index: Box<dyn VectorIndex> = match backend {
            VectorBackend::Embedded => {
                let kinds: BTreeMap<String, DocKind> = self
                    .catalog
                    .docs
                    .values()
                    .map(|e| (e.id.clone(), e.kind))
                    .collect();
                let dir = self.dir.root().join("vectors").join(&space);
                Box::new(FlatIndex::open(&dir, embedder.dim(), &|id| {
                    kinds.get(id).copied()
                })?)
            }
            VectorBackend::Qdrant {
                url,
                api_key,
                layout,
            } => Box::new(qdrant::QdrantIndex::connect(
                url,
                api_key.as_deref(),
                &qdrant::collection_name(self.dir.dir_id(), &space),
                embedder.dim(),
                *layout,
                // The manifest is named for its collection: a directory
                // that moves to another collection starts from nothing.
                &self.dir.root().join("vectors").join(format!(
                    "{}.json",
                    qdrant::collection_name(self.dir.dir_id(), &space)
                )),
            )?),
        };
        self.embedder = Some(embedder);
        self.vectors = Some(index);
        self.refresh_fresh_vectors()?;
        Ok(())
    }

    pub(crate) fn refresh_fresh_vectors(&mut self) -> Result<()> {
        self.fresh_vectors = match &self.vectors {
            Some(v) => {
                let have = v.doc_versions()?;
                self.catalog
                    .docs
                    .values()
                    .filter(|e| have.get(&e.id) == Some(&e.content_hash))
                    .map(|e| e.id.clone())
                    .collect()
            }
            None => HashSet::new(),
        };
        Ok(())
    }

    /// The attached embedder's name and vector backend, and how many
    /// documents and chunks have vectors.
    pub fn dense_status(&self) -> Option<DenseStatus> {
        let (e, v) = (self.embedder.as_ref()?, self.vectors.as_ref()?);
        let versions = v.doc_versions().ok()?;
        let current = self
            .catalog
            .docs
            .values()
            .filter(|d| versions.get(&d.id) == Some(&d.content_hash))
            .count();
        Some(DenseStatus {
            embedder: e.name().to_string(),
            backend: v.backend(),
            dim: v.dim(),
            vectors: v.len(),
            documents_embedded: current,
            documents: self.catalog.docs.len(),
        })
    }

    /// Documents whose vectors are missing or stale (id, chunks), in
    /// catalog order: the embedding still to do. Empty without an embedder.
    pub fn vector_backlog(&self) -> Result<Vec<(String, usize)>> {
        let Some(vectors) = self.vectors.as_ref() else {
            return Ok(Vec::new());
        };
        if self.embedder.is_none() {
            return Ok(Vec::new());
        }
        let have = vectors.doc_versions()?;
        Ok(self
            .catalog
            .docs
            .values()
            .filter(|e| have.get(&e.id) != Some(&e.content_hash))
            .map(|e| (e.id.clone(), e.chunks))
            .collect())
    }

    /// Whether an embedder and a vector index are attached.
    pub fn dense_enabled(&self) -> bool {
        self.embedder.is_some() && self.vectors.is_some()
    }

    /// Whether document `id` has vectors of its current content (hybrid
    /// search uses them; one without is found by BM25 and links only).
    pub fn has_vectors(&self, id: &str) -> bool {
        self.fresh_vectors.contains(id)
    }

    /// The embedder and the passages of documents `ids` to embed (a quick
    /// read of their files): a caller holding the engine behind a lock
    /// embeds them with [`embed_pending`] after letting go of it.
    /// Documents gone meanwhile are skipped.
    pub fn pending_embeddings(&self, ids: &[String]) -> Result<Option<PendingBatch>> {
        let Some(embedder) = self.embedder.clone() else {
            return Ok(None);
        };
        let mut docs = Vec::new();
        for id in ids {
            let Some(entry) = self.catalog.docs.get(id) else {
                continue;
            };
            let d = self.dir.load_document(id, entry.rev)?;
            let chunks = chunks_of(&d);
            docs.push(PendingDoc {
                id: entry.id.clone(),
                kind: entry.kind,
                content_hash: entry.content_hash.clone(),
                texts: chunks.iter().map(passage_text).collect(),
                unit_ids: chunks.into_iter().map(|c| c.unit_id).collect(),
            });
        }
        Ok(Some((embedder, docs)))
    }

    /// Embeds the chunks of documents `ids` (a read: no store changes), for
    /// [`Engine::store_vectors`].
    pub fn embed_documents(&self, ids: &[String]) -> Result<Vec<EmbeddedDoc>> {
        match self.pending_embeddings(ids)? {
            Some((embedder, docs)) => embed_pending(embedder.as_ref(), docs),
            None => Ok(Vec::new()),
        }
    }

    /// Stores embedded documents whose content is still the one embedded
    /// (a document replaced or removed meanwhile is skipped: its vectors
    /// would be stale) and commits them. Returns the chunks stored.
    pub fn store_vectors(&mut self, docs: Vec<EmbeddedDoc>) -> Result<usize> {
        self.require_write()?;
        let Some(vectors) = self.vectors.as_mut() else {
            return Ok(0);
        };
        let mut stored = 0;
        let mut ids = Vec::new();
        for d in docs {
            let current = self
                .catalog
                .docs
                .get(&d.id)
                .is_some_and(|e| e.content_hash == d.content_hash);
            if !current {
                continue;
            }
            stored += d.records.len();
            vectors.replace_document(&d.id, d.kind, &d.content_hash, d.records)?;
            ids.push(d.id);
        }
        // Durable per batch: an interrupted run keeps what it embedded.
        // Served only once committed.
        if let Err(e) = vectors.commit() {
            self.refresh_fresh_vectors()?;
            return Err(e);
        }
        self.fresh_vectors.extend(ids);
        Ok(stored)
    }

    /// Drops vectors of documents no longer stored (those a backend still
    /// lists: the embedded index forgets them when it opens).
    pub fn drop_stale_vectors(&mut self) -> Result<()> {
        self.require_write()?;
        let Some(vectors) = self.vectors.as_mut() else {
            return Ok(());
        };
        let have = vectors.doc_versions()?;
        for stale in have.keys() {
            if !self.catalog.docs.contains_key(stale) {
                vectors.delete_document(stale)?;
            }
        }
        vectors.commit()
    }

    /// Embeds every stored document whose vectors are missing or stale and
    /// drops vectors of documents no longer stored. Returns how many chunks
    /// were embedded; `progress(done, total)` counts chunks.
    pub fn sync_vectors(&mut self, progress: &mut dyn FnMut(usize, usize)) -> Result<usize> {
        if self.embedder.is_none() || self.vectors.is_none() {
            return Ok(0);
        }
        self.require_write()?;
        self.drop_stale_vectors()?;
        let due = self.vector_backlog()?;
        let total: usize = due.iter().map(|(_, n)| n).sum();
        let mut done = 0;
        progress(0, total);
        // Batches of whole documents, ~256 chunks each.
        for batch in vector_batches(&due, 256) {
            let embedded = self.embed_documents(&batch)?;
            done += self.store_vectors(embedded)?;
            progress(done.min(total), total);
        }
        self.refresh_fresh_vectors()?;
        Ok(done)
    }
}

/// The embedder and the documents to embed with it.
pub type PendingBatch = (Arc<dyn Embedder>, Vec<PendingDoc>);

/// A document's passages, to embed.
pub struct PendingDoc {
    id: String,
    kind: DocKind,
    content_hash: String,
    unit_ids: Vec<String>,
    texts: Vec<String>,
}

impl PendingDoc {
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Embeds pending documents (no engine needed: runs outside its lock).
/// One call for them all, so the embedder sorts by length across them.
pub fn embed_pending(embedder: &dyn Embedder, docs: Vec<PendingDoc>) -> Result<Vec<EmbeddedDoc>> {
    let refs: Vec<&str> = docs
        .iter()
        .flat_map(|d| d.texts.iter().map(String::as_str))
        .collect();
    let mut vecs = embedder.embed(&refs, Role::Passage)?.vectors.into_iter();
    Ok(docs
        .into_iter()
        .map(|d| EmbeddedDoc {
            records: d
                .unit_ids
                .into_iter()
                .zip(vecs.by_ref())
                .map(|(unit_id, vector)| VectorRecord { unit_id, vector })
                .collect(),
            id: d.id,
            kind: d.kind,
            content_hash: d.content_hash,
        })
        .collect())
}

/// A document's chunks, embedded, ready for [`Engine::store_vectors`].
pub struct EmbeddedDoc {
    id: String,
    kind: DocKind,
    content_hash: String,
    records: Vec<VectorRecord>,
}

/// Splits a backlog into batches of whole documents of about `chunks`
/// chunks each (a larger document is a batch of its own).
pub fn vector_batches(backlog: &[(String, usize)], chunks: usize) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut n = 0;
    for (id, c) in backlog {
        match out.last_mut() {
            Some(b) if n < chunks => b.push(id.clone()),
            _ => {
                out.push(vec![id.clone()]);
                n = 0;
            }
        }
        n += c;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn batches_hold_whole_documents_of_about_the_size() {
        let b: Vec<(String, usize)> = [("a", 100), ("b", 200), ("c", 10), ("d", 300), ("e", 1)]
            .iter()
            .map(|(i, n)| (i.to_string(), *n))
            .collect();
        let got = super::vector_batches(&b, 256);
        assert_eq!(got, vec![vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
        assert!(super::vector_batches(&[], 256).is_empty());
    }
}
