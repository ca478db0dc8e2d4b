//! [`VectorIndex`] on a Qdrant server or cluster through qdrant-client
//! (gRPC). One collection per vector space; each point carries the unit id,
//! document id, document kind and content version as payload, so kind and
//! document filters run inside Qdrant. Which document versions are in the
//! collection is also kept in a small manifest in the data directory, so
//! start-up does not have to scroll the collection.
//!
//! qdrant-client is async; the engine is synchronous. Each call runs on a
//! short-lived thread that owns no runtime context, driving this index's
//! own current-thread runtime — safe whether or not the caller is itself
//! inside a tokio runtime (the HTTP server's blocking pool).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use emkg_ontology::DocKind;
use qdrant_client::qdrant::value::Kind;
use qdrant_client::qdrant::{
    Condition, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder, DeletePointsBuilder,
    Distance, FieldType, Filter as QFilter, PointStruct, SearchPointsBuilder, UpsertPointsBuilder,
    Value, VectorParamsBuilder,
};
use qdrant_client::{Payload, Qdrant};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};
use crate::text_index::Filter;
use crate::vector_index::{VectorIndex, VectorRecord};

/// Shard and replica counts of a new collection (Qdrant's defaults when
/// `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    pub shards: Option<u32>,
    pub replicas: Option<u32>,
}

/// The collection of one data directory's vectors in one vector space:
/// two data directories on one cluster never touch each other's points.
pub fn collection_name(dir_id: &str, space: &str) -> String {
    format!("emkg_{dir_id}_{space}")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DocEntry {
    version: String,
    count: usize,
}

pub struct QdrantIndex {
    rt: tokio::runtime::Runtime,
    client: Qdrant,
    collection: String,
    dim: usize,
    manifest_path: PathBuf,
    manifest: BTreeMap<String, DocEntry>,
    staged: Vec<Staged>,
}

enum Staged {
    Replace {
        doc_id: String,
        kind: DocKind,
        version: String,
        records: Vec<VectorRecord>,
    },
    Delete(String),
}

fn qerr(e: impl std::fmt::Display) -> EngineError {
    EngineError::Vector(format!("Qdrant：{e}"))
}

/// A stable 64-bit point id for a unit id.
fn point_id(unit_id: &str) -> u64 {
    let d = Sha256::digest(unit_id.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

fn kind_str(k: DocKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl QdrantIndex {
    /// Connects, creating the collection (cosine distance, `dim`, with the
    /// given shard and replica counts) and its payload indexes when missing.
    pub fn connect(
        url: &str,
        api_key: Option<&str>,
        collection: &str,
        dim: usize,
        layout: Layout,
        manifest_path: &Path,
    ) -> Result<Self> {
        // A multi-thread runtime: concurrent searches (the server's blocking
        // pool) each drive their own request instead of queueing on one
        // thread.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| EngineError::io(manifest_path, e))?;
        let mut b = Qdrant::from_url(url);
        if let Some(k) = api_key {
            b = b.api_key(k.to_string());
        }
        let client = b.build().map_err(qerr)?;
        let manifest = match std::fs::read(manifest_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| EngineError::Corrupt {
                path: manifest_path.to_path_buf(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(EngineError::io(manifest_path, e)),
        };
        let idx = QdrantIndex {
            rt,
            client,
            collection: collection.to_string(),
            dim,
            manifest_path: manifest_path.to_path_buf(),
            manifest,
            staged: Vec::new(),
        };
        let (c, name) = (&idx.client, idx.collection.clone());
        idx.run(async move {
            if !c.collection_exists(name.as_str()).await.map_err(qerr)? {
                let mut b = CreateCollectionBuilder::new(name.as_str())
                    .vectors_config(VectorParamsBuilder::new(dim as u64, Distance::Cosine));
                if let Some(n) = layout.shards {
                    b = b.shard_number(n);
                }
                if let Some(n) = layout.replicas {
                    b = b.replication_factor(n);
                }
                c.create_collection(b).await.map_err(qerr)?;
                for field in ["doc_id", "kind"] {
                    c.create_field_index(
                        CreateFieldIndexCollectionBuilder::new(
                            name.as_str(),
                            field,
                            FieldType::Keyword,
                        )
                        .wait(true),
                    )
                    .await
                    .map_err(qerr)?;
                }
            }
            Ok(())
        })?;
        Ok(idx)
    }

    /// Runs an async client call to completion on a fresh thread.
    fn run<T: Send>(&self, fut: impl std::future::Future<Output = Result<T>> + Send) -> Result<T> {
        std::thread::scope(|s| {
            let h = s.spawn(|| self.rt.block_on(fut));
            h.join()
                .unwrap_or_else(|_| Err(EngineError::Vector("Qdrant 调用线程异常退出".into())))
        })
    }

    fn save_manifest(&self) -> Result<()> {
        let bytes = serde_json::to_vec(&self.manifest).map_err(|e| EngineError::Corrupt {
            path: self.manifest_path.clone(),
            reason: e.to_string(),
        })?;
        if let Some(dir) = self.manifest_path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
        }
        crate::store::write_atomic(&self.manifest_path, &bytes)
    }
}

impl VectorIndex for QdrantIndex {
    fn backend(&self) -> &'static str {
        "qdrant"
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn len(&self) -> usize {
        self.manifest.values().map(|d| d.count).sum()
    }

    fn doc_versions(&self) -> Result<HashMap<String, String>> {
        Ok(self
            .manifest
            .iter()
            .map(|(k, v)| (k.clone(), v.version.clone()))
            .collect())
    }

    fn replace_document(
        &mut self,
        doc_id: &str,
        kind: DocKind,
        version: &str,
        records: Vec<VectorRecord>,
    ) -> Result<()> {
        crate::vector_index::check_dims(&records, self.dim)?;
        self.staged.push(Staged::Replace {
            doc_id: doc_id.to_string(),
            kind,
            version: version.to_string(),
            records,
        });
        Ok(())
    }

    fn delete_document(&mut self, doc_id: &str) -> Result<()> {
        self.staged.push(Staged::Delete(doc_id.to_string()));
        Ok(())
    }

    fn search(&self, query: &[f32], k: usize, filter: &Filter) -> Result<Vec<(f32, String)>> {
        if query.len() != self.dim || k == 0 {
            return Ok(Vec::new());
        }
        let mut must = Vec::new();
        if !filter.kinds.is_empty() {
            must.push(Condition::matches(
                "kind",
                filter
                    .kinds
                    .iter()
                    .map(|k| kind_str(*k))
                    .collect::<Vec<_>>(),
            ));
        }
        if !filter.doc_ids.is_empty() {
            must.push(Condition::matches("doc_id", filter.doc_ids.clone()));
        }
        let must_not = if filter.exclude.is_empty() {
            Vec::new()
        } else {
            vec![Condition::matches("doc_id", filter.exclude.clone())]
        };
        let vector = query.to_vec();
        let (c, name) = (&self.client, self.collection.clone());
        let res = self.run(async move {
            let mut req = SearchPointsBuilder::new(name, vector, k as u64).with_payload(true);
            if !must.is_empty() || !must_not.is_empty() {
                req = req.filter(QFilter {
                    must,
                    must_not,
                    ..Default::default()
                });
            }
            c.search_points(req).await.map_err(qerr)
        })?;
        Ok(res
            .result
            .into_iter()
            .filter_map(|p| {
                let unit = match &p.payload.get("unit_id")?.kind {
                    Some(Kind::StringValue(s)) => s.clone(),
                    _ => return None,
                };
                Some((p.score, unit))
            })
            .collect())
    }

    fn commit(&mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        for op in staged {
            let doc_id = match &op {
                Staged::Replace { doc_id, .. } | Staged::Delete(doc_id) => doc_id.clone(),
            };
            // The manifest forgets the document before its points change:
            // a crash mid-way leaves it "without vectors" (re-embedded next
            // time, its points replaced), never listed at a version whose
            // points are not the ones in the collection.
            if self.manifest.remove(&doc_id).is_some() {
                self.save_manifest()?;
            }
            // Replacing = deleting the document's points, then upserting.
            let del = doc_id.clone();
            let (c, name) = (&self.client, self.collection.clone());
            self.run(async move {
                c.delete_points(
                    DeletePointsBuilder::new(name)
                        .points(QFilter::must([Condition::matches("doc_id", del)]))
                        .wait(true),
                )
                .await
                .map_err(qerr)
                .map(|_| ())
            })?;
            match op {
                Staged::Delete(_) => {
                    self.manifest.remove(&doc_id);
                }
                Staged::Replace {
                    kind,
                    version,
                    records,
                    ..
                } => {
                    let count = records.len();
                    let kind = kind_str(kind);
                    let points: Vec<PointStruct> = records
                        .into_iter()
                        .map(|r| {
                            let payload = Payload::from(HashMap::from([
                                ("unit_id", Value::from(r.unit_id.clone())),
                                ("doc_id", Value::from(doc_id.clone())),
                                ("kind", Value::from(kind.clone())),
                                ("version", Value::from(version.clone())),
                            ]));
                            PointStruct::new(point_id(&r.unit_id), r.vector, payload)
                        })
                        .collect();
                    for batch in points.chunks(256) {
                        let batch = batch.to_vec();
                        let (c, name) = (&self.client, self.collection.clone());
                        self.run(async move {
                            c.upsert_points(UpsertPointsBuilder::new(name, batch).wait(true))
                                .await
                                .map_err(qerr)
                                .map(|_| ())
                        })?;
                    }
                    self.manifest.insert(doc_id, DocEntry { version, count });
                }
            }
        }
        self.save_manifest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_ids_are_stable_and_distinct() {
        assert_eq!(point_id("a#art1"), point_id("a#art1"));
        assert_ne!(point_id("a#art1"), point_id("a#art2"));
        assert_eq!(kind_str(DocKind::Plan), "plan");
        assert_ne!(
            collection_name("a1b2c3", "e5-small"),
            collection_name("d4e5f6", "e5-small")
        );
    }

    /// Runs the shared conformance suite against a live Qdrant when
    /// `QDRANT_URL` is set (e.g. `http://localhost:6334`); reports itself
    /// skipped otherwise.
    #[test]
    fn qdrant_conforms_when_configured() {
        let Ok(url) = std::env::var("QDRANT_URL") else {
            emkg_testkit::skip("qdrant_conforms_when_configured", "QDRANT_URL not set");
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let name = format!("emkg_test_{}", std::process::id());
        let mut idx = QdrantIndex::connect(
            &url,
            std::env::var("QDRANT_API_KEY").ok().as_deref(),
            &name,
            3,
            Layout::default(),
            &t.path().join("manifest.json"),
        )
        .unwrap();
        crate::vector_index::conformance::run(&mut idx);
        let (c, name) = (&idx.client, idx.collection.clone());
        let _ = idx.run(async move { c.delete_collection(name).await.map_err(qerr).map(|_| ()) });
    }
}
