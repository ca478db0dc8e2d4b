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

    /// Embeds every stored document whose vectors are missing or stale and
    /// drops vectors of documents no longer stored. Returns how many chunks
    /// were embedded; `progress(done, total)` counts chunks.
    pub fn sync_vectors(&mut self, progress: &mut dyn FnMut(usize, usize)) -> Result<usize> {
        if self.embedder.is_none() || self.vectors.is_none() {
            return Ok(0);
        }
        self.require_write()?;
        let (Some(embedder), Some(vectors)) = (self.embedder.clone(), self.vectors.as_mut()) else {
            return Ok(0);
        };
        let have = vectors.doc_versions()?;
        for stale in have.keys() {
            if !self.catalog.docs.contains_key(stale) {
                vectors.delete_document(stale)?;
            }
        }
        let due: Vec<&store::CatalogEntry> = self
            .catalog
            .docs
            .values()
            .filter(|e| have.get(&e.id) != Some(&e.content_hash))
            .collect();
        let total: usize = due.iter().map(|e| e.chunks).sum();
        let mut done = 0;
        progress(0, total);
        // Batches of whole documents, ~256 chunks each, so the embedder
        // sorts by length across documents.
        let mut i = 0;
        while i < due.len() {
            let mut batch: Vec<(&store::CatalogEntry, Vec<IndexedChunk>)> = Vec::new();
            let mut n = 0;
            while i < due.len() && (batch.is_empty() || n < 256) {
                let d = self.dir.load_document(&due[i].id, due[i].rev)?;
                let chunks = chunks_of(&d);
                n += chunks.len();
                batch.push((due[i], chunks));
                i += 1;
            }
            let texts: Vec<String> = batch
                .iter()
                .flat_map(|(_, cs)| cs.iter().map(passage_text))
                .collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let mut vecs = embedder.embed(&refs, Role::Passage)?.vectors.into_iter();
            for (entry, chunks) in batch {
                let records = chunks
                    .into_iter()
                    .zip(vecs.by_ref())
                    .map(|(c, vector)| VectorRecord {
                        unit_id: c.unit_id,
                        vector,
                    })
                    .collect();
                vectors.replace_document(&entry.id, entry.kind, &entry.content_hash, records)?;
            }
            // Durable per batch: an interrupted run keeps what it embedded.
            vectors.commit()?;
            done += n;
            progress(done.min(total), total);
        }
        vectors.commit()?;
        self.refresh_fresh_vectors()?;
        Ok(done)
    }
}
