//! Background embedding: a server starts answering with BM25 and the graph
//! as soon as the text is ingested, and embeds the documents that lack
//! vectors meanwhile, a batch of whole documents at a time. The engine is
//! held only to read a batch's passages (read lock, milliseconds) and to
//! store its vectors (write lock, taken by polling so it never queues in
//! front of searches); the embedding itself runs outside the lock. Hybrid
//! search uses a document's vectors from the moment they are stored;
//! batches are durable, so a restart resumes where it stopped. A document
//! that cannot be embedded is set aside and named, not retried forever.

use crate::server::{AppState, WriteFailed};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Chunks per batch (whole documents; a larger one is a batch of its own).
const BATCH_CHUNKS: usize = 48;

/// Progress, for /health, /ready and the console.
#[derive(Default)]
pub struct Progress {
    pub running: AtomicBool,
    pub total_chunks: AtomicUsize,
    pub done_chunks: AtomicUsize,
    pub pending_documents: AtomicUsize,
    /// Pause between batches (ms): leaves CPU to searches and answers.
    pub pause_ms: AtomicU64,
    pub failed: Mutex<BTreeSet<String>>,
    pub error: Mutex<Option<String>>,
}

impl Progress {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "running": self.running.load(Ordering::Relaxed),
            "documents_pending": self.pending_documents.load(Ordering::Relaxed),
            "chunks_done": self.done_chunks.load(Ordering::Relaxed),
            "chunks_total": self.total_chunks.load(Ordering::Relaxed),
            "failed_documents": self.failed.lock().map(|f| f.iter().cloned().collect::<Vec<_>>()).unwrap_or_default(),
            "error": self.error.lock().ok().and_then(|e| e.clone()),
        })
    }

    fn set_error(&self, e: String) {
        tracing::error!("{e}");
        if let Ok(mut slot) = self.error.lock() {
            *slot = Some(e);
        }
    }
}

/// Marks the run over however the thread ends (a panic included).
struct Running<'a>(&'a Progress);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0
                .set_error("后台向量化因内部错误中止（重启服务将从中断处继续）".into());
        }
        self.0.running.store(false, Ordering::Relaxed);
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
        let _running = Running(&state.embedding);
        if let Err(e) = run(&state) {
            state
                .embedding
                .set_error(format!("后台向量化中止：{e}（重启服务将从中断处继续）"));
        }
    });
}

fn run(state: &AppState) -> Result<(), String> {
    let p = &state.embedding;
    write(state, |e| e.drop_stale_vectors())?;
    loop {
        // Read afresh each round: uploads and deletions during the run count.
        let failed = p.failed.lock().map(|f| f.clone()).unwrap_or_default();
        let backlog: Vec<(String, usize)> = state
            .engine
            .read()
            .map_err(|_| "引擎锁已失效".to_string())?
            .vector_backlog()
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|(id, _)| !failed.contains(id))
            .collect();
        p.pending_documents.store(backlog.len(), Ordering::Relaxed);
        let left: usize = backlog.iter().map(|(_, n)| n).sum();
        p.total_chunks.store(
            p.done_chunks.load(Ordering::Relaxed) + left,
            Ordering::Relaxed,
        );
        let Some(batch) = emkg_engine::vector_batches(&backlog, BATCH_CHUNKS)
            .into_iter()
            .next()
        else {
            break;
        };
        let stored = match embed_and_store(state, &batch) {
            Ok(n) => n,
            // A failing batch: its documents one by one, setting aside
            // those that fail alone.
            Err(_) if batch.len() > 1 => {
                let mut n = 0;
                for id in &batch {
                    match embed_and_store(state, std::slice::from_ref(id)) {
                        Ok(k) => n += k,
                        Err(e) => set_aside(p, id, &e),
                    }
                }
                n
            }
            Err(e) => {
                set_aside(p, &batch[0], &e);
                0
            }
        };
        p.done_chunks.fetch_add(stored, Ordering::Relaxed);
        let pause = p.pause_ms.load(Ordering::Relaxed);
        if pause > 0 {
            std::thread::sleep(Duration::from_millis(pause));
        }
    }
    p.pending_documents.store(0, Ordering::Relaxed);
    eprintln!(
        "后台向量化完成：{} 个片段",
        p.done_chunks.load(Ordering::Relaxed)
    );
    Ok(())
}

fn set_aside(p: &Progress, id: &str, e: &str) {
    tracing::error!("文档 {id} 无法向量化，已跳过：{e}");
    if let Ok(mut f) = p.failed.lock() {
        f.insert(id.to_string());
    }
}

/// Reads the batch's passages (read lock), embeds them (no lock), stores
/// the vectors (write lock). A panic is an error of this batch.
fn embed_and_store(state: &AppState, batch: &[String]) -> Result<usize, String> {
    let pending = state
        .engine
        .read()
        .map_err(|_| "引擎锁已失效".to_string())?
        .pending_embeddings(batch)
        .map_err(|e| e.to_string())?;
    let Some((embedder, docs)) = pending else {
        return Ok(0);
    };
    let embedded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        emkg_engine::embed_pending(embedder.as_ref(), docs)
    }))
    .map_err(|_| "嵌入模型内部错误".to_string())?
    .map_err(|e| e.to_string())?;
    write(state, move |e| e.store_vectors(embedded))
}

/// A short write, waiting its turn among the searches for as long as it
/// takes (`AppState::write_engine`).
fn write<T>(
    state: &AppState,
    f: impl FnOnce(&mut emkg_engine::Engine) -> emkg_engine::Result<T>,
) -> Result<T, String> {
    match state.write_engine(None, f) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(WriteFailed::Poisoned) => Err("引擎锁已失效".into()),
        Err(_) => Err("写入向量时发生内部错误".into()),
    }
}
