//! The data-directory lock: exclusive for writers (ingest, remove,
//! reindex, repair), shared for readers (serve, search, ask).
//!
//! An OS file lock on `DATA/emkg.lock` (released by the kernel when the
//! process dies, so a kill -9 never leaves the directory locked). Each holder
//! also leaves a note `DATA/.holders/<pid>.json` saying who it is, so that a
//! refused process can name the holder; notes of dead processes are ignored
//! and cleaned up.

use crate::error::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

const LOCK_FILE: &str = "emkg.lock";
const HOLDERS: &str = ".holders";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    Read,
    Write,
}

/// Who holds a lock (from its note).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub access: Access,
    pub command: String,
    /// Unix seconds.
    pub since: u64,
}

impl Holder {
    fn describe(&self) -> String {
        let what = match self.access {
            Access::Read => "读取",
            Access::Write => "写入",
        };
        format!(
            "进程 {}（{}，{}，自 {} 起）",
            self.pid,
            self.command,
            what,
            crate::lock::format_time(self.since)
        )
    }
}

/// A held lock; released on drop.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    note: PathBuf,
    pub access: Access,
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.note);
        let _ = self.file.unlock();
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Takes the lock of `root` (which must exist) without waiting; a held
/// conflicting lock is an error naming its holders.
pub fn acquire(root: &Path, access: Access) -> Result<DirLock> {
    let path = root.join(LOCK_FILE);
    let opened = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path);
    let file = match opened {
        Ok(f) => f,
        // A reader on a read-only volume: a shared lock needs no write
        // access (flock works on a read-only descriptor) if the file exists.
        Err(_) if access == Access::Read && path.exists() => {
            File::open(&path).map_err(io(&path))?
        }
        Err(e) => return Err(io(&path)(e)),
    };
    let res = match access {
        Access::Read => file.try_lock_shared(),
        Access::Write => file.try_lock(),
    };
    match res {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            // The holder writes its note just after taking the lock: give
            // it a moment so that the message can name it.
            let mut found = holders(root);
            for _ in 0..10 {
                if !found.is_empty() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
                found = holders(root);
            }
            let who = if found.is_empty() {
                "另一个 emkg 进程".to_string()
            } else {
                found
                    .iter()
                    .map(Holder::describe)
                    .collect::<Vec<_>>()
                    .join("；")
            };
            return Err(EngineError::Locked {
                path: root.to_path_buf(),
                wanted: access,
                holders: who,
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(&path)(e)),
    }
    let dir = root.join(HOLDERS);
    // The notes are advisory: a reader that cannot write one (read-only
    // volume) still reads.
    if let Err(e) = std::fs::create_dir_all(&dir) {
        if access == Access::Write {
            return Err(io(&dir)(e));
        }
    }
    if access == Access::Write {
        // Nobody else holds the lock: every note left is from a dead process.
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let me = Holder {
        pid: std::process::id(),
        access,
        command: std::env::args()
            .take(3)
            .map(|a| {
                Path::new(&a)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or(a)
            })
            .collect::<Vec<_>>()
            .join(" "),
        since: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    // Several locks in one process (tests) each get their own note.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let note = dir.join(format!("{}-{n}.json", me.pid));
    // The note is advisory: failing to write it must not fail the open.
    if let Ok(json) = serde_json::to_vec(&me) {
        let _ = std::fs::write(&note, json);
    }
    Ok(DirLock { file, note, access })
}

/// Notes of live holders (dead processes' notes are skipped).
pub fn holders(root: &Path) -> Vec<Holder> {
    let Ok(rd) = std::fs::read_dir(root.join(HOLDERS)) else {
        return Vec::new();
    };
    let mut out: Vec<Holder> = rd
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<Holder>(&b).ok())
        .filter(|h| alive(h.pid))
        .collect();
    out.sort_by_key(|h| (h.since, h.pid));
    out
}

fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.is_dir() {
        proc.join(pid.to_string()).exists()
    } else {
        true
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of Unix seconds, for messages.
pub(crate) fn format_time(secs: u64) -> String {
    let rem = secs % 86_400;
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        emkg_ingest::incident::iso_date_from_unix_days((secs / 86_400) as i64),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_exclude_everyone_and_readers_share() {
        let t = tempfile::tempdir().unwrap();
        let r1 = acquire(t.path(), Access::Read).unwrap();
        let r2 = acquire(t.path(), Access::Read).unwrap();
        let e = acquire(t.path(), Access::Write).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("正在被"), "{msg}");
        assert!(msg.contains(&std::process::id().to_string()), "{msg}");
        drop((r1, r2));
        let w = acquire(t.path(), Access::Write).unwrap();
        assert!(acquire(t.path(), Access::Read).is_err());
        assert!(acquire(t.path(), Access::Write).is_err());
        drop(w);
        assert!(acquire(t.path(), Access::Read).is_ok());
    }

    #[test]
    fn time_format() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_780_000_000), "2026-05-28 20:26:40 UTC");
    }
}
