//! Hybrid retrieval parts: reciprocal-rank fusion of ranked lists, and the
//! links between chunks (cross-references, duty ↔ penalty) that graph
//! expansion follows. Pure functions; the engine wires them to its stores.

use std::collections::HashMap;

use emkg_ingest::Document;
use serde::{Deserialize, Serialize};

/// A directed link between two retrieval chunks of stored documents.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    pub from: String,
    pub to: String,
    pub rel: LinkKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// `from` refers to `to` (本法第X条, 《X》第N条, 前款 …).
    Cites,
    /// The penalty provision `to` sanctions a breach of the duty `from`.
    SanctionedBy,
}

/// The document a unit or chunk id belongs to (`doc#art21` → `doc`).
pub fn doc_of(unit_id: &str) -> &str {
    unit_id.split_once('#').map_or(unit_id, |(d, _)| d)
}

/// The chunk a unit belongs to: articles are the chunks of legal texts, so
/// a clause or item id (`doc#art21.c2.i3`) maps to its article (`doc#art21`).
pub fn chunk_id(unit_id: &str) -> &str {
    match unit_id.split_once('#') {
        Some((_, frag)) if frag.starts_with("art") => match unit_id.rfind('#') {
            Some(h) => match unit_id[h..].find('.') {
                Some(dot) => &unit_id[..h + dot],
                None => unit_id,
            },
            None => unit_id,
        },
        _ => unit_id,
    }
}

/// The links a document contributes: its resolved references and the
/// duties its penalty provisions sanction (self-links dropped).
pub fn links_of(doc: &Document) -> Vec<Link> {
    let mut out = Vec::new();
    for r in &doc.xrefs {
        if let Some(to) = &r.resolved {
            let (f, t) = (chunk_id(&r.from), chunk_id(to));
            if f != t {
                out.push(Link {
                    from: f.to_string(),
                    to: t.to_string(),
                    rel: LinkKind::Cites,
                });
            }
        }
    }
    for p in &doc.facts.penalties {
        let penalty = chunk_id(&p.ev.unit);
        for (duty, _method) in &p.sanctions {
            let duty = chunk_id(duty);
            if duty != penalty {
                out.push(Link {
                    from: duty.to_string(),
                    to: penalty.to_string(),
                    rel: LinkKind::SanctionedBy,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    out.dedup();
    out
}

/// Neighbours of each chunk, both directions, for graph expansion.
#[derive(Debug, Default, Clone)]
pub struct LinkMap {
    next: HashMap<String, Vec<(String, LinkKind)>>,
}

impl LinkMap {
    pub fn add(&mut self, links: &[Link]) {
        for l in links {
            self.next
                .entry(l.from.clone())
                .or_default()
                .push((l.to.clone(), l.rel));
            self.next
                .entry(l.to.clone())
                .or_default()
                .push((l.from.clone(), l.rel));
        }
    }

    pub fn neighbours(&self, chunk: &str) -> &[(String, LinkKind)] {
        self.next.get(chunk).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.next.values().map(Vec::len).sum::<usize>() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.next.is_empty()
    }
}

/// Reciprocal-rank fusion: each list adds `weight / (k0 + rank)`, rank
/// counted from one, to its items. Returns items best first with their
/// fused score and the indices of the lists that found them.
pub fn rrf(lists: &[(Vec<String>, f32)], k0: f32) -> Vec<(String, f32, Vec<usize>)> {
    let mut acc: HashMap<&str, (f32, Vec<usize>, usize)> = HashMap::new();
    let mut order = 0usize;
    for (li, (items, weight)) in lists.iter().enumerate() {
        for (rank, id) in items.iter().enumerate() {
            let e = acc.entry(id.as_str()).or_insert_with(|| {
                order += 1;
                (0.0, Vec::new(), order)
            });
            if !e.1.contains(&li) {
                e.0 += weight / (k0 + rank as f32 + 1.0);
                e.1.push(li);
            }
        }
    }
    let mut out: Vec<(String, f32, Vec<usize>, usize)> = acc
        .into_iter()
        .map(|(id, (s, l, o))| (id.to_string(), s, l, o))
        .collect();
    // Ties keep first-seen order so results are deterministic.
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.3.cmp(&b.3)));
    out.into_iter().map(|(id, s, l, _)| (id, s, l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_ids_map_clauses_to_articles() {
        assert_eq!(chunk_id("aq#art21.c2.i3"), "aq#art21");
        assert_eq!(chunk_id("aq#art21"), "aq#art21");
        assert_eq!(chunk_id("aq#art21-1.c1"), "aq#art21-1");
        assert_eq!(chunk_id("plan#sec3.2"), "plan#sec3.2");
        assert_eq!(chunk_id("a.b#art5.c1"), "a.b#art5");
    }

    #[test]
    fn rrf_rewards_agreement() {
        let bm25 = vec!["a".to_string(), "b".into(), "c".into()];
        let dense = vec!["c".to_string(), "d".into(), "a".into()];
        let fused = rrf(&[(bm25, 1.0), (dense, 1.0)], 60.0);
        let ids: Vec<&str> = fused.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(ids[..2], ["a", "c"]);
        assert_eq!(fused[0].2, vec![0, 1]);
        assert_eq!(ids.len(), 4);
        // A heavier list wins ties of rank.
        let fused = rrf(&[(vec!["x".into()], 1.0), (vec!["y".into()], 2.0)], 60.0);
        assert_eq!(fused[0].0, "y");
    }

    #[test]
    fn link_map_is_bidirectional() {
        let mut m = LinkMap::default();
        m.add(&[Link {
            from: "d#art1".into(),
            to: "d#art9".into(),
            rel: LinkKind::SanctionedBy,
        }]);
        assert_eq!(m.neighbours("d#art9")[0].0, "d#art1");
        assert_eq!(m.neighbours("d#art1")[0].0, "d#art9");
        assert_eq!(m.len(), 1);
    }
}

/// One graph link of a provision, as a reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitLink {
    pub unit_id: String,
    pub citation: String,
    /// 引用 (it cites), 被引用 (cited by), 罚则 (the penalty for breaching
    /// it), 所罚义务 (the duty a penalty sanctions).
    pub relation: &'static str,
    /// The linked provision's text (its start).
    pub text: String,
}

/// A provision and what the graph links to it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitLinks {
    pub unit_id: String,
    pub citation: String,
    pub text: String,
    pub links: Vec<UnitLink>,
    /// Its time limits, penalties with amounts, and bound parties.
    pub related: crate::answer::facts::Related,
}

impl crate::Engine {
    /// The graph links of the provision `unit_id` (a clause or item reads
    /// as its article): references both ways, duty ↔ penalty, and its
    /// facts. Only what the current clearance may read.
    pub fn unit_links(&self, unit_id: &str) -> crate::Result<UnitLinks> {
        let chunk = chunk_id(unit_id.trim());
        let doc = doc_of(chunk);
        let missing = || crate::EngineError::NoSuchDocument(chunk.to_string());
        if !self.readable(doc) {
            return Err(missing());
        }
        let own = self.index.get(chunk)?.ok_or_else(missing)?;
        let outgoing: Vec<&Link> = self
            .catalog
            .docs
            .values()
            .filter_map(|e| e.links.as_ref())
            .flatten()
            .filter(|l| l.from == chunk)
            .collect();
        let mut links = Vec::new();
        for (next, rel) in self.links.neighbours(chunk) {
            if !self.readable(doc_of(next)) || links.iter().any(|l: &UnitLink| &l.unit_id == next) {
                continue;
            }
            let out = outgoing.iter().any(|l| &l.to == next && l.rel == *rel);
            let relation = match (rel, out) {
                (LinkKind::Cites, true) => "引用",
                (LinkKind::Cites, false) => "被引用",
                (LinkKind::SanctionedBy, true) => "罚则",
                (LinkKind::SanctionedBy, false) => "所罚义务",
            };
            let text = self
                .index
                .get(next)?
                .map(|c| c.text.chars().take(160).collect())
                .unwrap_or_default();
            links.push(UnitLink {
                unit_id: next.clone(),
                citation: crate::assess::cite::citation(&self.catalog, next),
                relation,
                text,
            });
        }
        Ok(UnitLinks {
            unit_id: chunk.to_string(),
            citation: crate::assess::cite::citation(&self.catalog, chunk),
            text: own.text,
            links,
            related: crate::answer::facts::related(self, &[chunk.to_string()]),
        })
    }
}
