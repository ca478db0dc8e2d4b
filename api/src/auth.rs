//! Authentication, roles and the request audit, as one middleware: every
//! request but `/health` carries `Authorization: Bearer <token>`; the
//! token's account must hold the role the route needs (viewer: search, ask,
//! verify, read; operator: + assessments, reports, memos; admin: the rest);
//! every request is appended to the audit log with its caller and status.
//! Glue only: accounts and the log are `emkg_engine::{accounts, audit}`.

use crate::server::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use emkg_engine::accounts::{Accounts, Role};
use emkg_engine::audit::Event;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Who made a request (an extension handlers may read).
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// The highest document label it may read.
    pub clearance: emkg_engine::access::Access,
}

/// The account store as the server sees it: reread when the file changes
/// (`emkg users add|revoke` while the server runs), verified tokens cached
/// by their SHA-256 so Argon2 runs once per token, not once per request.
pub struct Gate {
    path: PathBuf,
    data_dir: PathBuf,
    state: Mutex<GateState>,
}

struct GateState {
    accounts: Arc<Accounts>,
    version: Option<Version>,
    verified: HashMap<[u8; 32], Caller>,
}

/// What tells a changed store: its time, length and inode (a rename by
/// `write_atomic` gives a new inode even within one timestamp tick).
#[derive(Debug, Clone, PartialEq)]
struct Version(Option<SystemTime>, u64, u64);

fn version(p: &Path) -> Option<Version> {
    let m = std::fs::metadata(p).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Some(Version(m.modified().ok(), m.len(), ino))
}

impl Gate {
    pub fn open(data_dir: &Path) -> anyhow::Result<Gate> {
        let accounts = Accounts::open(data_dir)?;
        let path = accounts.path().to_path_buf();
        Ok(Gate {
            state: Mutex::new(GateState {
                version: version(&path),
                accounts: Arc::new(accounts),
                verified: HashMap::new(),
            }),
            path,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// The caller a token belongs to, or `None`.
    pub fn check(&self, token: &str) -> Option<Caller> {
        let token = token.trim();
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let accounts = {
            let mut st = self.state.lock().ok()?;
            let now = version(&self.path);
            if now != st.version {
                // Accounts changed (a revocation among them): forget every
                // verified token and read the store again; a store that
                // cannot be read admits no one.
                st.accounts = Arc::new(Accounts::open(&self.data_dir).unwrap_or_else(|e| {
                    tracing::error!("账户存储无法读取，拒绝所有令牌：{e}");
                    Accounts::empty(&self.data_dir)
                }));
                st.version = now;
                st.verified.clear();
            }
            if let Some(c) = st.verified.get(&key) {
                return Some(c.clone());
            }
            st.accounts.clone()
        };
        // Argon2 runs outside the lock: a wrong secret slows no one else.
        let a = accounts.verify(token)?;
        let c = Caller {
            name: a.name.clone(),
            role: a.role,
            clearance: a.clearance(),
        };
        let mut st = self.state.lock().ok()?;
        if Arc::ptr_eq(&st.accounts, &accounts) {
            st.verified.insert(key, c.clone());
        }
        Some(c)
    }
}

/// The role a route needs (`None`: open to all).
pub fn required_role(method: &axum::http::Method, path: &str) -> Option<Role> {
    // Health, readiness, the API description and the console's static
    // page hold no data: open (the console sends the token on each call).
    if matches!(
        path,
        "/health" | "/ready" | "/openapi.json" | "/" | "/console"
    ) {
        return None;
    }
    let operator = [
        "/v1/incidents/assess",
        "/v1/risk/assess",
        "/v1/reports/draft",
        "/v1/memos",
    ];
    if operator.contains(&path) {
        return Some(Role::Operator);
    }
    let viewer = path == "/v1/search"
        || path == "/metrics"
        || path == "/v1/ask"
        || path == "/v1/verify"
        || path == "/v1/chat/completions"
        || path == "/v1/models"
        || path == "/v1/me"
        || (path.starts_with("/v1/units/") && method == axum::http::Method::GET)
        || path == "/sparql"
        || ((path.starts_with("/v1/departments/") || path.starts_with("/v1/documents"))
            && method == axum::http::Method::GET);
    if viewer {
        return Some(Role::Viewer);
    }
    // Anything else (documents, ingest, accounts …) is the administrator's.
    Some(Role::Admin)
}

fn refuse(status: StatusCode, code: &'static str, message: &str) -> Response {
    let mut r = ApiError::new(status, code, message).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    r
}

static REQUEST_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Every request: an id (`x-request-id`), authentication and the route's
/// role, a time limit (504 beyond it), an audit record and a log line.
pub async fn gate(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let id = REQUEST_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // The route pattern (/v1/departments/{name}/tasks), not the raw path:
    // metrics keep one series per route.
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req
        .uri()
        .query()
        .map(|q| q.chars().take(500).collect::<String>());
    let started = std::time::Instant::now();
    let need = required_role(&method, &path);
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let caller = match (need, token) {
        (None, _) | (_, None) => None,
        (Some(_), Some(t)) => {
            let gate = state.gate.clone();
            tokio::task::spawn_blocking(move || gate.check(&t))
                .await
                .ok()
                .flatten()
        }
    };
    let mut response = match (need, &caller) {
        (Some(_), None) => refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "未提供有效的访问令牌：请在请求头中加入 Authorization: Bearer <令牌>（令牌由管理员用 emkg users add 创建）",
        ),
        (Some(need), Some(c)) if c.role < need => refuse(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!(
                "账户“{}”（{}）无权使用该接口，需要{}权限",
                c.name,
                c.role.label(),
                need.label()
            ),
        ),
        _ => {
            if let Some(c) = &caller {
                req.extensions_mut().insert(c.clone());
            }
            match tokio::time::timeout(state.request_timeout, next.run(req)).await {
                Ok(r) => r,
                Err(_) => ApiError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "timeout",
                    &format!("请求处理超时（上限 {} 秒）", state.request_timeout.as_secs()),
                )
                .into_response(),
            }
        }
    };
    if let Ok(v) = header::HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert("x-request-id", v);
    }
    let status = response.status().as_u16();
    state
        .metrics
        .request(&route, status, started.elapsed().as_secs_f64());
    tracing::info!(
        request_id = id,
        %method,
        path,
        status,
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    if need.is_some() {
        let (user, role) = match &caller {
            Some(c) => (c.name.clone(), c.role.as_str().to_string()),
            None => ("-".to_string(), "-".to_string()),
        };
        let event = Event {
            user,
            role,
            action: "request".into(),
            target: format!("{method} {path}"),
            status,
            detail: match query {
                Some(q) => serde_json::json!({ "query": q, "request_id": id }),
                None => serde_json::json!({ "request_id": id }),
            },
        };
        // The append syncs to disk: off the async workers.
        let st = state.clone();
        let _ = tokio::task::spawn_blocking(move || audit(&st, event)).await;
    }
    response
}

/// Appends to the audit log; a failure is logged, not turned into the
/// caller's error (the answer was already given).
pub fn audit(state: &AppState, e: Event) {
    if let Err(err) = state.audit.append(e) {
        tracing::error!("审计日志写入失败：{err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn routes_and_roles() {
        assert_eq!(required_role(&Method::GET, "/health"), None);
        assert_eq!(
            required_role(&Method::GET, "/v1/search"),
            Some(Role::Viewer)
        );
        assert_eq!(required_role(&Method::POST, "/sparql"), Some(Role::Viewer));
        assert_eq!(
            required_role(&Method::POST, "/v1/reports/draft"),
            Some(Role::Operator)
        );
        assert_eq!(
            required_role(&Method::GET, "/v1/departments/协调科/tasks"),
            Some(Role::Viewer)
        );
        assert_eq!(
            required_role(&Method::POST, "/v1/ingest"),
            Some(Role::Admin)
        );
        assert_eq!(
            required_role(&Method::GET, "/v1/anything"),
            Some(Role::Admin)
        );
    }
}
