//! Access labels at read time. A request's clearance is set for the thread
//! that runs its engine call ([`scope`]); every path that can reach a
//! document's text or facts — the retrievers (BM25, dense, named-provision
//! lookup, link expansion), [`Engine::document`], citation checks, SPARQL's
//! dataset and the catalog listing — reads it, so a document above the
//! clearance is left out before ranking and never reaches evidence,
//! citations or graph links.
//!
//! Fails closed: a thread with no scope reads only 公开 documents. The CLI
//! (run by whoever holds the data directory) sets full clearance on its
//! main thread; the server sets the caller's for every engine call.

use crate::Engine;
pub use emkg_ingest::Access;
use std::cell::Cell;

thread_local! {
    static CLEARANCE: Cell<Access> = const { Cell::new(Access::Public) };
}

/// The clearance of the current thread's request.
pub fn clearance() -> Access {
    CLEARANCE.with(|c| c.get())
}

/// Sets the clearance until the guard drops (the previous one comes back).
#[must_use = "the clearance holds only while the guard lives"]
pub fn scope(clearance: Access) -> Scope {
    let prev = CLEARANCE.with(|c| c.replace(clearance));
    Scope { prev }
}

/// Guard of [`scope`].
pub struct Scope {
    prev: Access,
}

impl Drop for Scope {
    fn drop(&mut self) {
        CLEARANCE.with(|c| c.set(self.prev));
    }
}

impl Engine {
    /// Whether the current clearance may read document `id` (an unknown
    /// document is not readable).
    pub fn readable(&self, id: &str) -> bool {
        let c = clearance();
        self.catalog.docs.get(id).is_some_and(|e| e.access <= c)
    }

    /// Documents the current clearance may not read (empty at full
    /// clearance, so an unrestricted search pays nothing).
    pub fn hidden_docs(&self) -> Vec<String> {
        let c = clearance();
        if c == Access::Internal {
            return Vec::new();
        }
        self.catalog
            .docs
            .values()
            .filter(|e| e.access > c)
            .map(|e| e.id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_restores_the_previous_clearance() {
        assert_eq!(clearance(), Access::Public);
        {
            let _s = scope(Access::Internal);
            assert_eq!(clearance(), Access::Internal);
            {
                let _t = scope(Access::Public);
                assert_eq!(clearance(), Access::Public);
            }
            assert_eq!(clearance(), Access::Internal);
        }
        assert_eq!(clearance(), Access::Public);
    }
}
