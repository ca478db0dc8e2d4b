//! Evaluation and benchmarks of emkg, over the engine's public API only.
//!
//! - [`retrieval`]: Recall@5, Recall@10 and MRR@10 of search against a gold
//!   set (format and scoring as in `shared/eval/README.md`).
//! - [`bench`]: ingest throughput over a corpus repeated to a target size.
//!
//! Figures are printed, never asserted.

pub mod answers;
pub mod assessment;
pub mod bench;
pub mod models;
pub mod retrieval;
