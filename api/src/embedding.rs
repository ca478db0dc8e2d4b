//! Background embedding: a server starts answering with BM25 and the graph
//! as soon as the text is ingested, and embeds the documents that lack
//! vectors in small batches meanwhile. Each batch is embedded under the
//! engine's read lock (searches go on) and stored under a brief write
//! lock; hybrid search uses each document's vectors from the moment they
//! are stored. Batches are durable, so a restart resumes where it stopped.

use crate::server::AppState;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Chunks per batch: a few seconds of e5 on two cores, so an upload
/// waiting for the lock is not kept long.
const BATCH_CHUNKS: usize = 48;

/// Progress, for /health, /ready and the console.
#[derive(Default)]
pub struct Progress {
    pub running: AtomicBool,
    pub total_chunks: AtomicUsize,
    pub done_chunks: AtomicUsize,
    pub pending_documents: AtomicUsize,
    pub error: Mutex<Option<String>>,
}

impl Progress {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "running": self.running.load(Ordering::Relaxed),
            "documents_pending": self.pending_documents.load(Ordering::Relaxed),
            "chunks_done": self.done_chunks.load(Ordering::Relaxed),
            "chunks_total": self.total_chunks.load(Ordering::Relaxed),
            "error": self.error.lock().ok().and_then(|e| e.clone()),
        })
    }
}

/// Starts the background embedding when there is an embedder and work;
/// returns at once.
pub fn start(state: Arc<AppState>) {
    let backlog = match state.engine.read() {
        Ok(e) => e.vector_backlog().unwrap_or_default(),
        Err(_) => return,
    };
    if backlog.is_empty() {
        return;
    }
    let p = &state.embedding;
    p.running.store(true, Ordering::Relaxed);
    p.pending_documents.store(backlog.len(), Ordering::Relaxed);
    p.total_chunks
        .store(backlog.iter().map(|(_, n)| n).sum(), Ordering::Relaxed);
    eprintln!(
        "后台向量化：{} 个文档（{} 个片段）待处理；在此期间检索使用 BM25 与图谱，已向量化的文档即时参与混合检索",
        backlog.len(),
        p.total_chunks.load(Ordering::Relaxed)
    );
    std::thread::spawn(move || {
        if let Err(e) = run(&state) {
            tracing::error!("后台向量化中止：{e}");
            if let Ok(mut slot) = state.embedding.error.lock() {
                *slot = Some(format!("后台向量化中止：{e}（重启服务将从中断处继续）"));
            }
        }
        state.embedding.running.store(false, Ordering::Relaxed);
    });
}

fn run(state: &AppState) -> Result<(), String> {
    let p = &state.embedding;
    // Vectors of documents removed while no embedder was attached.
    write(state, |e| e.drop_stale_vectors())?;
    loop {
        // The backlog is read afresh each round: uploads and deletions
        // during the run are taken into account.
        let backlog = state
            .engine
            .read()
            .map_err(|_| "引擎锁已失效".to_string())?
            .vector_backlog()
            .map_err(|e| e.to_string())?;
        p.pending_documents.store(backlog.len(), Ordering::Relaxed);
        let Some(batch) = emkg_engine::vector_batches(&backlog, BATCH_CHUNKS)
            .into_iter()
            .next()
        else {
            break;
        };
        let embedded = {
            let e = state
                .engine
                .read()
                .map_err(|_| "引擎锁已失效".to_string())?;
            e.embed_documents(&batch).map_err(|e| e.to_string())?
        };
        let stored = write(state, move |e| e.store_vectors(embedded))?;
        p.done_chunks.fetch_add(stored, Ordering::Relaxed);
        // A batch whose documents all changed meanwhile stores nothing;
        // the next round embeds their new content.
    }
    p.pending_documents.store(0, Ordering::Relaxed);
    eprintln!(
        "后台向量化完成：{} 个片段",
        p.done_chunks.load(Ordering::Relaxed)
    );
    Ok(())
}

/// A short write: polls for the lock for a while (queueing would stop new
/// searches behind a long answer), then waits for it.
fn write<T>(
    state: &AppState,
    f: impl FnOnce(&mut emkg_engine::Engine) -> emkg_engine::Result<T>,
) -> Result<T, String> {
    let until = std::time::Instant::now() + Duration::from_secs(2);
    let mut e = loop {
        match state.engine.try_write() {
            Ok(e) => break e,
            Err(std::sync::TryLockError::Poisoned(_)) => return Err("引擎锁已失效".into()),
            Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                break state
                    .engine
                    .write()
                    .map_err(|_| "引擎锁已失效".to_string())?
            }
        }
    };
    f(&mut e).map_err(|e| e.to_string())
}
