//! The audit log: who asked what, what was returned and cited, which drafts
//! were produced — append-only JSON lines in `audit.log` in the data
//! directory, each record carrying the SHA-256 of the one before it, so a
//! changed, removed or reordered record breaks the chain (`emkg audit
//! verify`).
//!
//! A record's hash is SHA-256 over the previous record's hash and the
//! record's own fields as canonical JSON (keys sorted, without `hash`); the
//! first record's `prev` is 64 zeros. Records are numbered from 1.

use crate::{EngineError, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const FILE: &str = "audit.log";
/// The last record's number and hash, rewritten after every append: a log
/// cut short (its last records removed) no longer reaches it.
pub const HEAD: &str = "audit.head";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audited event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    /// Unix milliseconds.
    pub ts: u64,
    /// Account name (`-` for an unauthenticated request).
    pub user: String,
    pub role: String,
    /// `request` (every request), `answer`, `draft`, `memo` …
    pub action: String,
    /// Method and path.
    pub target: String,
    pub status: u16,
    /// What was asked and what was returned or cited.
    #[serde(default)]
    pub detail: serde_json::Value,
    pub prev: String,
    pub hash: String,
}

/// What a caller records; the log numbers, chains and writes it.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub user: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub status: u16,
    pub detail: serde_json::Value,
}

fn hash_of(r: &Record) -> String {
    // Canonical: serde_json's Value keeps object keys sorted.
    let v = serde_json::json!({
        "seq": r.seq, "ts": r.ts, "user": r.user, "role": r.role, "action": r.action,
        "target": r.target, "status": r.status, "detail": r.detail, "prev": r.prev,
    });
    let mut h = Sha256::new();
    h.update(r.prev.as_bytes());
    h.update(v.to_string().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

struct Tail {
    seq: u64,
    hash: String,
}

/// An open audit log, appended to by one process: it holds an exclusive
/// lock on `audit.lock` while open (two servers on one data directory would
/// fork the chain).
pub struct AuditLog {
    path: PathBuf,
    tail: Mutex<Tail>,
    _lock: std::fs::File,
}

#[cfg(unix)]
fn private(o: &mut std::fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    o.mode(0o600);
}
#[cfg(not(unix))]
fn private(_: &mut std::fs::OpenOptions) {}

impl AuditLog {
    /// Opens (or creates) the log of `data_dir`; the chain is verified
    /// first, so a server never extends a broken chain silently.
    pub fn open(data_dir: &Path) -> Result<AuditLog> {
        let path = data_dir.join(FILE);
        let lock_path = data_dir.join("audit.lock");
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |source| EngineError::Io { path: p, source }
        };
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(EngineError::Unavailable(
                "审计日志正被另一个服务进程写入：同一数据目录只能运行一个服务".into(),
            ));
        }
        // A record cut short by a crash mid-write was never acknowledged:
        // drop the partial line so the chain continues from the last whole
        // record.
        if let Ok(bytes) = std::fs::read(&path) {
            if !bytes.is_empty() && !bytes.ends_with(b"\n") {
                let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io(&path))?;
                f.set_len(keep as u64).map_err(io(&path))?;
                f.sync_all().map_err(io(&path))?;
                tracing::warn!("审计日志末尾有一条未写完的记录（崩溃所致），已截去");
            }
        }
        let v = verify(&path)?;
        if let Some(p) = v.problem {
            return Err(EngineError::Corrupt {
                path,
                reason: format!("审计日志校验失败：{p}"),
            });
        }
        Ok(AuditLog {
            path,
            tail: Mutex::new(Tail {
                seq: v.records,
                hash: v.last_hash,
            }),
            _lock: lock,
        })
    }

    /// Appends one event (flushed and synced before returning).
    pub fn append(&self, e: Event) -> Result<()> {
        let mut tail = self
            .tail
            .lock()
            .map_err(|_| EngineError::Unavailable("审计日志状态异常".into()))?;
        let mut r = Record {
            seq: tail.seq + 1,
            ts: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            user: e.user,
            role: e.role,
            action: e.action,
            target: e.target,
            status: e.status,
            detail: e.detail,
            prev: tail.hash.clone(),
            hash: String::new(),
        };
        r.hash = hash_of(&r);
        let mut line = serde_json::to_string(&r)
            .map_err(|e| EngineError::Unavailable(format!("无法写入审计日志：{e}")))?;
        line.push('\n');
        let io = |source| EngineError::Io {
            path: self.path.clone(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        private(&mut opts);
        let mut f = opts.open(&self.path).map_err(io)?;
        f.write_all(line.as_bytes()).map_err(io)?;
        f.sync_data().map_err(io)?;
        // The record is in: the chain continues from it whatever the head
        // write does (a head one behind is accepted by `verify`).
        tail.seq = r.seq;
        tail.hash = r.hash.clone();
        crate::store::write_atomic(
            &self.path.with_file_name(HEAD),
            format!("{} {}\n", r.seq, r.hash).as_bytes(),
        )?;
        Ok(())
    }
}

/// The result of verifying a log.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub records: u64,
    pub last_hash: String,
    /// The first break in the chain (Chinese), if any.
    pub problem: Option<String>,
}

/// Verifies the chain of the log at `path` (a missing log is an empty one).
pub fn verify(path: &Path) -> Result<Verification> {
    let mut out = Verification {
        records: 0,
        last_hash: GENESIS.to_string(),
        problem: None,
    };
    // The head written after the last append (absent for an empty log).
    let head: Option<(u64, String)> = std::fs::read_to_string(path.with_file_name(HEAD))
        .ok()
        .and_then(|s| {
            let (n, h) = s.trim().split_once(' ')?;
            Some((n.parse().ok()?, h.to_string()))
        });
    let cut = |records: u64| match &head {
        Some((n, _)) if *n > records => Some(format!(
            "审计日志只有{records}条记录，而最后写入的是第{n}条：末尾的记录被删除"
        )),
        _ => None,
    };
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.problem = cut(0);
            return Ok(out);
        }
        Err(source) => {
            return Err(EngineError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|source| EngineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let r: Record = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(_) => {
                out.problem = Some(format!("第{n}行不是有效的审计记录"));
                return Ok(out);
            }
        };
        let problem = if r.seq != n {
            Some(format!("第{n}行的序号为{}，记录被删除或顺序被改变", r.seq))
        } else if r.prev != out.last_hash {
            Some(format!(
                "第{n}条记录与上一条记录的链接不符，记录被删除或顺序被改变"
            ))
        } else if hash_of(&r) != r.hash {
            Some(format!("第{n}条记录的内容被修改（摘要不符）"))
        } else {
            None
        };
        if problem.is_some() {
            out.problem = problem;
            return Ok(out);
        }
        if head
            .as_ref()
            .is_some_and(|(hn, hh)| *hn == n && *hh != r.hash)
        {
            out.problem = Some(format!("第{n}条记录与日志头记录的摘要不符"));
            return Ok(out);
        }
        out.records = n;
        out.last_hash = r.hash;
    }
    out.problem = cut(out.records);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn event(user: &str, q: &str) -> Event {
        Event {
            user: user.into(),
            role: "viewer".into(),
            action: "answer".into(),
            target: "POST /v1/ask".into(),
            status: 200,
            detail: serde_json::json!({ "question": q, "cited": ["《安全生产法》第二十一条"] }),
        }
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_chain_detects_changed_removed_and_reordered_records() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        for i in 0..4 {
            log.append(event("甲", &format!("问题{i}"))).unwrap();
        }
        drop(log);
        // Reopening continues the chain.
        let log = AuditLog::open(dir.path()).unwrap();
        log.append(event("乙", "问题4")).unwrap();
        let p = dir.path().join(FILE);
        let ok = verify(&p).unwrap();
        assert_eq!((ok.records, ok.problem), (5, None));
        let orig = lines(&p);
        let write = |l: &[String]| std::fs::write(&p, l.join("\n") + "\n").unwrap();

        // Changed: one character of a question.
        let mut l = orig.clone();
        l[2] = l[2].replace("问题2", "问题X");
        write(&l);
        let v = verify(&p).unwrap();
        assert!(v.problem.unwrap().contains("第3条记录的内容被修改"));
        // Removed.
        let mut l = orig.clone();
        l.remove(1);
        write(&l);
        assert!(verify(&p).unwrap().problem.unwrap().contains("第2行"));
        // Reordered.
        let mut l = orig.clone();
        l.swap(3, 4);
        write(&l);
        assert!(verify(&p).unwrap().problem.is_some());
        // The last record dropped: the chain is intact, the head is not met.
        let l = orig[..4].to_vec();
        write(&l);
        assert!(verify(&p)
            .unwrap()
            .problem
            .unwrap()
            .contains("末尾的记录被删除"));
        // A broken log is not extended.
        drop(log);
        let mut l = orig.clone();
        l[0] = l[0].replace("甲", "丙");
        write(&l);
        assert!(AuditLog::open(dir.path()).is_err());
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_a_second_writer_refused() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        log.append(event("甲", "问题0")).unwrap();
        // A second writer on the same directory is refused.
        assert!(AuditLog::open(dir.path()).is_err());
        drop(log);
        let p = dir.path().join(FILE);
        let mut s = std::fs::read_to_string(&p).unwrap();
        s.push_str("{\"seq\":2,\"ts\":1");
        std::fs::write(&p, s).unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        log.append(event("乙", "问题1")).unwrap();
        let v = verify(&p).unwrap();
        assert_eq!((v.records, v.problem), (2, None));
    }
}
