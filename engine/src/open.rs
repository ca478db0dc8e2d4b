//! Opening a data directory, and recovery: a write-open removes files of
//! batches that never committed and rebuilds derived stores whose
//! generation differs from the catalog's; a read-open has a lagging store
//! rebuilt under the writer's lock first. Facts of an older extractor are
//! refreshed.

use super::*;

impl Engine {
    /// Opens (creating if needed) a data directory for ingest. If the index
    /// does not reflect the catalog (a crash between the two), it is rebuilt
    /// from the stored documents.
    pub fn open_for_write(root: &Path) -> Result<Engine> {
        let dir = DataDir::open(root, store::Access::Write)?;
        let catalog = dir.load_catalog()?;
        // Files of a batch that never committed, and versions a committed
        // batch replaced.
        dir.remove_orphans(&catalog)?;
        let index = Box::new(TantivyIndex::open_in_dir(&dir.index_dir())?);
        let graph: Box<dyn GraphStore> = Box::new(OxigraphGraph::open(&dir.graph_dir())?);
        let mut e = Engine {
            dir,
            catalog,
            index,
            graph: Ok(graph),
            staged_graphs: BTreeMap::new(),
            embedder: None,
            vectors: None,
            links: hybrid::LinkMap::default(),
            rulebook: Default::default(),
            fresh_vectors: HashSet::new(),
            graph_touched: false,
            reserved_ids: HashSet::new(),
            recovered: Vec::new(),
        };
        // Stores that lag are rebuilt before anything moves the generation
        // (a refresh below bumps it: a stale store stamped with the next
        // number must not come to match).
        e.rebuild_lagging()?;
        e.fill_missing_links()?;
        e.refresh_facts()?;
        e.links = link_map(&e.catalog);
        e.rebuild_lagging()?;
        Ok(e)
    }

    /// Opens an existing data directory for searching, under a shared lock.
    /// Derived stores that lag the catalog (a crash during a write) are
    /// first rebuilt under the writer's lock, so that nothing stale is
    /// served.
    pub fn open(root: &Path) -> Result<Engine> {
        let e = Self::open_read(root)?;
        // Files of a batch that never committed are harmless to readers
        // (no catalog names them); the next writer removes them.
        if e.lagging_stores()?.is_empty() {
            return Ok(e);
        }
        drop(e);
        let w = Self::open_for_write(root).map_err(|err| match err {
            EngineError::Locked { holders, .. } => EngineError::Unavailable(format!(
                "数据目录 {} 的索引或图谱落后于文档目录（上次写入被中断），需要重建，\
                 但目录正在被{holders}使用。请待其结束后重试。",
                root.display()
            )),
            other => other,
        })?;
        let recovered = w.recovered.clone();
        drop(w);
        let mut e = Self::open_read(root)?;
        if !e.lagging_stores()?.is_empty() {
            return Err(EngineError::Unavailable(format!(
                "数据目录 {} 在重建后仍不一致，请运行 emkg check --repair",
                root.display()
            )));
        }
        e.recovered = recovered;
        Ok(e)
    }

    pub(crate) fn open_read(root: &Path) -> Result<Engine> {
        let dir = DataDir::open(root, store::Access::Read)?;
        let catalog = dir.load_catalog()?;
        let index = Box::new(TantivyIndex::open_in_dir(&dir.index_dir())?);
        let graph_dir = dir.graph_dir();
        let graph: std::result::Result<Box<dyn GraphStore>, String> = if graph_dir.exists() {
            OxigraphGraph::open_read_only(&graph_dir)
                .map(|g| Box::new(g) as Box<dyn GraphStore>)
                .map_err(|e| e.to_string())
        } else {
            Err("数据目录中没有知识图谱，请重新运行 emkg ingest".into())
        };
        let links = link_map(&catalog);
        Ok(Engine {
            dir,
            catalog,
            index,
            graph,
            staged_graphs: BTreeMap::new(),
            embedder: None,
            vectors: None,
            links,
            rulebook: Default::default(),
            fresh_vectors: HashSet::new(),
            graph_touched: false,
            reserved_ids: HashSet::new(),
            recovered: Vec::new(),
        })
    }

    /// Derived stores (index, graph) whose generation differs from the
    /// catalog's.
    pub fn lagging_stores(&self) -> Result<Vec<&'static str>> {
        let mut out = Vec::new();
        if self.index.generation()?.unwrap_or(0) != self.catalog.generation {
            out.push("index");
        }
        if let Ok(g) = &self.graph {
            if g.generation()?.unwrap_or(0) != self.catalog.generation {
                out.push("graph");
            }
        }
        Ok(out)
    }

    /// Rebuilds the derived stores whose generation differs from the
    /// catalog's (write-opened engines); records which, for `check`.
    pub(crate) fn rebuild_lagging(&mut self) -> Result<()> {
        for s in self.lagging_stores()? {
            match s {
                "index" => self.rebuild_index()?,
                _ => self.rebuild_graph()?,
            }
            if !self.recovered.contains(&s) {
                self.recovered.push(s);
            }
        }
        Ok(())
    }

    /// Derived stores rebuilt when this engine was opened (a crash had
    /// left them behind the catalog).
    pub fn recovered(&self) -> &[&'static str] {
        &self.recovered
    }

    /// Refuses writes on an engine opened for reading.
    pub(crate) fn require_write(&self) -> Result<()> {
        if self.dir.access() == store::Access::Write {
            Ok(())
        } else {
            Err(EngineError::Unavailable(
                "数据目录以只读方式打开，不能写入".into(),
            ))
        }
    }

    /// Loads the committed version of a stored document.
    pub(crate) fn load(&self, id: &str) -> Result<Document> {
        let rev = self
            .catalog
            .docs
            .get(id)
            .map(|e| e.rev)
            .ok_or_else(|| EngineError::NoSuchDocument(id.to_string()))?;
        self.dir.load_document(id, rev)
    }

    /// Stamps the graph dirty before the first write of a batch.
    pub(crate) fn touch_graph(&mut self) -> Result<()> {
        if !self.graph_touched {
            self.graph()?.set_generation(GRAPH_DIRTY)?;
            self.graph_touched = true;
        }
        Ok(())
    }

    /// Documents parsed by an older fact extractor get today's facts (and
    /// the graph is rebuilt from them): rules added since — grade criteria,
    /// reporting duties, plan levels — then reach the graph with no re-import.
    pub(crate) fn refresh_facts(&mut self) -> Result<()> {
        let current = emkg_ingest::extract::VERSION;
        if self.catalog.facts_version >= current {
            return Ok(());
        }
        let ids: Vec<String> = self.catalog.docs.keys().cloned().collect();
        let rev = self.catalog.generation + 1;
        for id in &ids {
            let Ok(mut d) = self.load(id) else { continue };
            d.facts = emkg_ingest::extract::extract(&d);
            self.dir.save_document(&d, rev)?;
            if let Some(e) = self.catalog.docs.get_mut(id) {
                e.links = Some(hybrid::links_of(&d));
                e.rev = rev;
            }
        }
        self.catalog.facts_version = current;
        if ids.is_empty() {
            return Ok(());
        }
        // The graph must follow: bump the generation so it is rebuilt.
        self.catalog.generation = rev;
        self.dir.save_catalog(&self.catalog)?;
        self.dir.remove_orphans(&self.catalog)?;
        Ok(())
    }

    /// Catalogs from before links existed: compute them from the documents.
    pub(crate) fn fill_missing_links(&mut self) -> Result<()> {
        let missing: Vec<String> = self
            .catalog
            .docs
            .values()
            .filter(|e| e.links.is_none() || e.domain_density.is_none())
            .map(|e| e.id.clone())
            .collect();
        for id in &missing {
            let Ok(d) = self.load(id) else { continue };
            if let Some(e) = self.catalog.docs.get_mut(id) {
                e.links = Some(hybrid::links_of(&d));
                e.domain_density = Some(emkg_ontology::lexicon::domain_density(&d.text));
            }
        }
        if !missing.is_empty() {
            self.dir.save_catalog(&self.catalog)?;
        }
        Ok(())
    }

    /// Rebuilds the full-text index from the documents in the store (from
    /// empty: entries of documents no catalog names cannot survive it).
    pub fn rebuild_index(&mut self) -> Result<()> {
        self.require_write()?;
        self.index.clear()?;
        let ids: Vec<String> = self.catalog.docs.keys().cloned().collect();
        for id in ids {
            let Ok(d) = self.load(&id) else { continue };
            self.index.replace_document(&id, &chunks_of(&d))?;
        }
        self.index.commit(self.catalog.generation)
    }

    /// Rebuilds the knowledge graph from the documents in the store, from
    /// empty (graphs of never-committed documents and stale shared triples
    /// go with it), in bulk loads of a few hundred documents.
    pub fn rebuild_graph(&mut self) -> Result<()> {
        self.require_write()?;
        // Dirty first: a crash during the rebuild is seen as one.
        self.graph()?.set_generation(GRAPH_DIRTY)?;
        self.graph()?.clear()?;
        let ids: Vec<String> = self.catalog.docs.keys().cloned().collect();
        for batch in ids.chunks(300) {
            let mut docs = Vec::with_capacity(batch.len());
            for id in batch {
                // A document whose file is lost is left out (check reports
                // it, repair drops it): it must not block the rebuild.
                let Ok(d) = self.load(id) else { continue };
                docs.push((id.clone(), graph::document_triples(&d)?));
            }
            self.graph()?.load_new_documents(docs)?;
        }
        self.graph_touched = false;
        self.graph()?.set_generation(self.catalog.generation)
    }
}
