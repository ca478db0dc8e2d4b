//! Dense vectors of chunks behind the [`VectorIndex`] trait, with two
//! backends: [`FlatIndex`], embedded in the data directory (exact scan), and
//! `QdrantIndex` (see `qdrant.rs`) for a Qdrant cluster.
//!
//! Vectors are derived data: the documents in `docs/` stay the system of
//! record, and a document's vectors are replaced whole whenever it is
//! re-ingested. Each embedder has its own vector space (a folder or a
//! collection named after it), so switching models never mixes spaces.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use emkg_ontology::DocKind;

use crate::error::{EngineError, Result};
use crate::text_index::Filter;

/// One chunk's vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorRecord {
    pub unit_id: String,
    pub vector: Vec<f32>,
}

/// A dense index of chunk vectors, grouped by document. Writes may be
/// staged until [`VectorIndex::commit`].
pub trait VectorIndex: Send + Sync {
    /// `embedded` or `qdrant`.
    fn backend(&self) -> &'static str;
    fn dim(&self) -> usize;
    /// Number of vectors.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Documents that have vectors, with the content version (hash) the
    /// vectors were computed from.
    fn doc_versions(&self) -> Result<HashMap<String, String>>;
    /// Replaces every vector of `doc_id` by `records`.
    fn replace_document(
        &mut self,
        doc_id: &str,
        kind: DocKind,
        version: &str,
        records: Vec<VectorRecord>,
    ) -> Result<()>;
    fn delete_document(&mut self, doc_id: &str) -> Result<()>;
    /// The `k` nearest chunks by cosine similarity (vectors are unit
    /// length), best first, as (score, unit id).
    fn search(&self, query: &[f32], k: usize, filter: &Filter) -> Result<Vec<(f32, String)>>;
    /// Makes staged writes durable.
    fn commit(&mut self) -> Result<()>;
}

/// Refuses records whose vectors do not have the index's dimension.
pub(crate) fn check_dims(records: &[VectorRecord], dim: usize) -> Result<()> {
    match records.iter().find(|r| r.vector.len() != dim) {
        Some(r) => Err(EngineError::Vector(format!(
            "向量维度 {} 与索引维度 {dim} 不符",
            r.vector.len()
        ))),
        None => Ok(()),
    }
}

/// Exact nearest-neighbour search over f32 vectors held in memory and kept
/// on disk as one file per document (`<doc>.vec`), so re-ingesting a
/// document rewrites only its own file.
///
/// File layout (little-endian): `EMV1`, u32 dim, u32 count, u16 length +
/// UTF-8 content version, then per record u16 length + UTF-8 unit id, then
/// `count × dim` f32.
pub struct FlatIndex {
    dir: PathBuf,
    dim: usize,
    docs: BTreeMap<String, DocVectors>,
    /// Documents written or deleted since the last commit.
    dirty: HashSet<String>,
}

struct DocVectors {
    kind: DocKind,
    version: String,
    units: Vec<String>,
    data: Vec<f32>,
}

const MAGIC: &[u8; 4] = b"EMV1";

/// A unit id and its vector.
pub type UnitVector = (String, Vec<f32>);

impl FlatIndex {
    /// The stored vectors of one document, as (unit id, vector), with the
    /// content version they were computed from (benchmarks reuse them).
    pub fn vectors_of(&self, doc_id: &str) -> Option<(String, Vec<UnitVector>)> {
        let d = self.docs.get(doc_id)?;
        let rows = d
            .units
            .iter()
            .zip(d.data.chunks(self.dim.max(1)))
            .map(|(u, v)| (u.clone(), v.to_vec()))
            .collect();
        Some((d.version.clone(), rows))
    }

    /// Opens (or creates) the vector folder `dir` for vectors of `dim`.
    /// `kind_of` gives each stored document's kind (from the catalog).
    pub fn open(dir: &Path, dim: usize, kind_of: &dyn Fn(&str) -> Option<DocKind>) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
        let mut docs = BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(|e| EngineError::io(dir, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "vec") {
                continue;
            }
            let Some(doc_id) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            // Vectors of a document no longer stored are stale: skip them
            // (the next commit of a writer removes the file).
            let Some(kind) = kind_of(&doc_id) else {
                continue;
            };
            match read_vec_file(&path, dim) {
                Ok((version, units, data)) => {
                    docs.insert(
                        doc_id,
                        DocVectors {
                            kind,
                            version,
                            units,
                            data,
                        },
                    );
                }
                // A damaged file only costs that document its dense hits;
                // the writer re-embeds it (it is missing from doc_ids()).
                Err(e) => tracing::warn!("跳过损坏的向量文件 {}：{e}", path.display()),
            }
        }
        Ok(FlatIndex {
            dir: dir.to_path_buf(),
            dim,
            docs,
            dirty: HashSet::new(),
        })
    }

    fn file_of(&self, doc_id: &str) -> PathBuf {
        self.dir.join(format!("{doc_id}.vec"))
    }
}

type VecFile = (String, Vec<String>, Vec<f32>);

fn read_vec_file(path: &Path, dim: usize) -> std::result::Result<VecFile, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut pos = 0usize;
    let mut take = |n: usize| -> std::result::Result<&[u8], String> {
        let s = bytes.get(pos..pos + n).ok_or("文件被截断")?;
        pos += n;
        Ok(s)
    };
    if take(4)? != MAGIC {
        return Err("文件头不符".into());
    }
    let u32_at = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let file_dim = u32_at(take(4)?);
    if file_dim != dim {
        return Err(format!("维度 {file_dim} 与模型维度 {dim} 不符"));
    }
    let count = u32_at(take(4)?);
    let mut string = || -> std::result::Result<String, String> {
        let b = take(2)?;
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        let s = std::str::from_utf8(take(n)?).map_err(|_| "编号不是 UTF-8")?;
        Ok(s.to_string())
    };
    let version = string()?;
    let mut units = Vec::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        units.push(string()?);
    }
    let raw = take(count * dim * 4)?;
    let data = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok((version, units, data))
}

fn encode_vec_file(dim: usize, d: &DocVectors) -> Vec<u8> {
    let mut out = Vec::with_capacity(80 + d.units.len() * 40 + d.data.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(dim as u32).to_le_bytes());
    out.extend_from_slice(&(d.units.len() as u32).to_le_bytes());
    for u in std::iter::once(&d.version).chain(&d.units) {
        let b = u.as_bytes();
        let n = b.len().min(u16::MAX as usize);
        out.extend_from_slice(&(n as u16).to_le_bytes());
        out.extend_from_slice(&b[..n]);
    }
    let data = &d.data;
    for x in data {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

impl VectorIndex for FlatIndex {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn len(&self) -> usize {
        self.docs.values().map(|d| d.units.len()).sum()
    }

    fn doc_versions(&self) -> Result<HashMap<String, String>> {
        Ok(self
            .docs
            .iter()
            .map(|(k, d)| (k.clone(), d.version.clone()))
            .collect())
    }

    fn replace_document(
        &mut self,
        doc_id: &str,
        kind: DocKind,
        version: &str,
        records: Vec<VectorRecord>,
    ) -> Result<()> {
        check_dims(&records, self.dim)?;
        let mut units = Vec::with_capacity(records.len());
        let mut data = Vec::with_capacity(records.len() * self.dim);
        for r in records {
            units.push(r.unit_id);
            data.extend_from_slice(&r.vector);
        }
        let version = version.to_string();
        self.docs.insert(
            doc_id.to_string(),
            DocVectors {
                kind,
                version,
                units,
                data,
            },
        );
        self.dirty.insert(doc_id.to_string());
        Ok(())
    }

    fn delete_document(&mut self, doc_id: &str) -> Result<()> {
        self.docs.remove(doc_id);
        self.dirty.insert(doc_id.to_string());
        Ok(())
    }

    fn search(&self, query: &[f32], k: usize, filter: &Filter) -> Result<Vec<(f32, String)>> {
        if query.len() != self.dim || k == 0 {
            return Ok(Vec::new());
        }
        // A bounded min-heap of the best k.
        let mut heap: std::collections::BinaryHeap<std::cmp::Reverse<(Score, usize, usize)>> =
            std::collections::BinaryHeap::with_capacity(k + 1);
        let docs: Vec<(&String, &DocVectors)> = self.docs.iter().collect();
        for (di, (id, d)) in docs.iter().enumerate() {
            if !filter.kinds.is_empty() && !filter.kinds.contains(&d.kind) {
                continue;
            }
            if filter.exclude.iter().any(|x| x == *id) {
                continue;
            }
            if !filter.doc_ids.is_empty() && !filter.doc_ids.iter().any(|x| x == *id) {
                continue;
            }
            for (ui, row) in d.data.chunks_exact(self.dim).enumerate() {
                let s = dot(query, row);
                if heap.len() < k {
                    heap.push(std::cmp::Reverse((Score(s), di, ui)));
                } else if heap.peek().is_some_and(|m| s > m.0 .0 .0) {
                    heap.pop();
                    heap.push(std::cmp::Reverse((Score(s), di, ui)));
                }
            }
        }
        let mut out: Vec<(f32, String)> = heap
            .into_iter()
            .map(|std::cmp::Reverse((s, di, ui))| (s.0, docs[di].1.units[ui].clone()))
            .collect();
        out.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(out)
    }

    fn commit(&mut self) -> Result<()> {
        let dirty: Vec<String> = self.dirty.drain().collect();
        for doc_id in dirty {
            let path = self.file_of(&doc_id);
            match self.docs.get(&doc_id) {
                Some(d) => crate::store::write_atomic(&path, &encode_vec_file(self.dim, d))?,
                None => match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(EngineError::io(&path, e)),
                },
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Score(f32);
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Dot product in 8 independent lanes so the compiler vectorises it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Conformance suite every backend must pass.
#[cfg(test)]
pub(crate) mod conformance {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    fn rec(id: &str, v: &[f32]) -> VectorRecord {
        VectorRecord {
            unit_id: id.into(),
            vector: unit(v),
        }
    }

    pub(crate) fn run(idx: &mut dyn VectorIndex) {
        idx.replace_document(
            "law",
            DocKind::Law,
            "v1",
            vec![
                rec("law#art1", &[1.0, 0.0, 0.0]),
                rec("law#art2", &[0.7, 0.7, 0.0]),
            ],
        )
        .unwrap();
        idx.replace_document(
            "plan",
            DocKind::Plan,
            "p1",
            vec![rec("plan#sec1", &[0.0, 0.0, 1.0])],
        )
        .unwrap();
        idx.commit().unwrap();
        assert_eq!(idx.len(), 3);
        let q = unit(&[1.0, 0.1, 0.0]);
        let hits = idx.search(&q, 2, &Filter::default()).unwrap();
        assert_eq!(
            hits.iter().map(|h| h.1.as_str()).collect::<Vec<_>>(),
            ["law#art1", "law#art2"]
        );
        assert!(hits[0].0 > hits[1].0);
        let only_plans = Filter {
            kinds: vec![DocKind::Plan],
            ..Default::default()
        };
        let hits = idx.search(&q, 5, &only_plans).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].1, "plan#sec1");
        let only_doc = Filter {
            doc_ids: vec!["plan".into()],
            ..Default::default()
        };
        assert_eq!(idx.search(&q, 5, &only_doc).unwrap().len(), 1);

        // Re-ingest replaces the document's vectors whole.
        idx.replace_document(
            "law",
            DocKind::Law,
            "v2",
            vec![rec("law#art9", &[0.0, 1.0, 0.0])],
        )
        .unwrap();
        idx.commit().unwrap();
        assert_eq!(idx.len(), 2);
        let hits = idx.search(&q, 5, &Filter::default()).unwrap();
        assert!(hits.iter().all(|h| h.1 != "law#art1"));
        idx.delete_document("plan").unwrap();
        idx.commit().unwrap();
        assert_eq!(
            idx.doc_versions().unwrap(),
            HashMap::from([("law".to_string(), "v2".to_string())])
        );
        // Wrong dimensions are refused, not stored.
        assert!(idx
            .replace_document("bad", DocKind::Law, "b", vec![rec("bad#1", &[1.0, 0.0])])
            .is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(id: &str) -> Option<DocKind> {
        Some(if id == "plan" {
            DocKind::Plan
        } else {
            DocKind::Law
        })
    }

    #[test]
    fn flat_index_conforms_and_persists() {
        let t = tempfile::tempdir().unwrap();
        {
            let mut idx = FlatIndex::open(t.path(), 3, &kinds).unwrap();
            conformance::run(&mut idx);
        }
        let idx = FlatIndex::open(t.path(), 3, &kinds).unwrap();
        assert_eq!(idx.len(), 1);
        let hits = idx.search(&[0.0, 1.0, 0.0], 1, &Filter::default()).unwrap();
        assert_eq!(hits[0].1, "law#art9");
        // A different dimension skips the files rather than misreading them.
        let other = FlatIndex::open(t.path(), 4, &kinds).unwrap();
        assert_eq!(other.len(), 0);
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
    }
}
