//! The HTTP server: routes, wire conversion and the one place where engine
//! errors become HTTP statuses. No domain logic lives here.

use crate::wire;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use emkg_engine::models::Generator;
use emkg_engine::{Engine, EngineError, SearchRequest};
use serde::Deserialize;
use std::sync::Arc;

pub struct AppState {
    /// Opened for writing (the server is the data directory's one writer:
    /// uploads and deletions go through it); reads share the lock.
    pub engine: std::sync::RwLock<Engine>,
    /// Accounts: who may call what.
    pub gate: Arc<crate::auth::Gate>,
    pub audit: emkg_engine::audit::AuditLog,
    /// Questions (retrieval and the LLM): a bounded queue.
    pub ask_limit: Arc<crate::limit::Limiter>,
    /// Other expensive reads (SPARQL, citation checks).
    pub heavy_limit: Arc<crate::limit::Limiter>,
    /// Longest time a request may take before 504.
    pub request_timeout: std::time::Duration,
    pub metrics: crate::metrics::Metrics,
    /// Background embedding of documents that lack vectors.
    pub embedding: crate::embedding::Progress,
    pub sparql_limits: emkg_engine::QueryLimits,
    /// The local LLM (one request at a time) and its name.
    pub generator: Option<(std::sync::Mutex<Box<dyn Generator>>, String)>,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/openapi.json", get(openapi_json))
        .route("/metrics", get(metrics))
        .route("/v1/search", get(search))
        .route("/sparql", get(sparql_get).post(sparql_post))
        .route("/v1/verify", axum::routing::post(verify))
        .route("/v1/ask", axum::routing::post(ask))
        .route("/v1/incidents/assess", axum::routing::post(assess_incident))
        .route("/v1/risk/assess", axum::routing::post(assess_risk))
        .route("/v1/reports/draft", axum::routing::post(draft_report))
        .route("/v1/memos", axum::routing::post(draft_memo))
        .route("/v1/departments/{name}/tasks", get(department_tasks))
        .route("/v1/documents", get(crate::documents::list))
        .route(
            "/v1/chat/completions",
            axum::routing::post(crate::openai::chat_completions),
        )
        .route("/v1/models", get(crate::openai::models))
        .route(
            "/v1/units/{unit_id}/links",
            get(crate::documents::unit_links),
        )
        .route("/v1/me", get(crate::documents::me))
        .route("/", get(crate::console::page))
        .route("/console", get(crate::console::page))
        .route(
            "/v1/documents/{id}",
            get(crate::documents::get).delete(crate::documents::delete),
        )
        .route(
            "/v1/ingest",
            axum::routing::post(crate::documents::upload).layer(
                axum::extract::DefaultBodyLimit::max(crate::documents::UPLOAD_LIMIT),
            ),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::gate,
        ))
        // Bodies beyond 1 MiB are refused before any handler reads them
        // (the largest legitimate body is a 续报 carrying its previous report).
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The largest request body accepted (bytes).
pub const BODY_LIMIT: usize = 1024 * 1024;

impl AppState {
    /// Runs `f` on the engine off the async workers, as a reader of
    /// `caller`'s clearance: documents above it are out of every retrieval,
    /// lookup and query `f` makes (emkg_engine::access).
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        caller: &crate::auth::Caller,
        f: impl FnOnce(&AppState, &Engine) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let st = self.clone();
        let clearance = caller.clearance;
        tokio::task::spawn_blocking(move || {
            let _scope = emkg_engine::access::scope(clearance);
            let e = st.engine.read().map_err(|_| poisoned())?;
            f(&st, &e)
        })
        .await
        .map_err(|e| {
            tracing::error!("任务失败：{e}");
            internal()
        })?
    }
}

/// Why a write on the engine did not run.
pub(crate) enum WriteFailed {
    /// The lock stayed held past the wait.
    Busy,
    Poisoned,
    /// The write panicked (its staged work was rolled back).
    Panicked,
}

impl AppState {
    /// Runs `f` under the engine's write lock (blocking: call off the async
    /// workers). The lock is taken by polling, not by queueing for it — a
    /// queued writer would stop every new reader, search included, behind
    /// a long answer. `wait`: how long to poll (`None`: until it is free).
    /// A panic inside rolls staged work back and leaves the lock usable.
    pub(crate) fn write_engine<T>(
        &self,
        wait: Option<std::time::Duration>,
        f: impl FnOnce(&mut Engine) -> T,
    ) -> Result<T, WriteFailed> {
        let until = wait.map(|w| std::time::Instant::now() + w);
        let mut pause = std::time::Duration::from_millis(5);
        let mut e = loop {
            match self.engine.try_write() {
                Ok(e) => break e,
                Err(std::sync::TryLockError::Poisoned(_)) => return Err(WriteFailed::Poisoned),
                Err(std::sync::TryLockError::WouldBlock) => {
                    if until.is_some_and(|u| std::time::Instant::now() > u) {
                        return Err(WriteFailed::Busy);
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_millis(20));
                }
            }
        };
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut e))).map_err(|_| {
            if let Err(err) = e.rollback() {
                tracing::error!("写入失败后回滚出错：{err}");
            }
            tracing::error!("写入时发生内部错误，已回滚");
            WriteFailed::Panicked
        })
    }
}

/// A lock left poisoned by a panic during a write.
pub(crate) fn poisoned() -> ApiError {
    tracing::error!("引擎锁已失效（此前的写入发生内部错误）");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "服务状态异常，请重启服务",
    )
}

/// An error as the API reports it: a status and a Chinese message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn new(status: StatusCode, code: &'static str, message: &str) -> ApiError {
        ApiError {
            status,
            code,
            message: message.to_string(),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match &e {
            EngineError::BadQuery(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_query", &e.to_string())
            }
            EngineError::NoSuchDocument(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", &e.to_string())
            }
            // The details (paths among them) go to the log, not the caller.
            _ => {
                tracing::error!("内部错误：{e}");
                internal()
            }
        }
    }
}

/// A body the route cannot take: too large (413), or unreadable (400).
fn body_error(e: axum::extract::rejection::BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(&format!("请求体过大（上限 {} KB）", BODY_LIMIT / 1024))
    } else {
        bad_request("无法读取请求体")
    }
}

/// 413 with `message` (which names the route's limit).
pub(crate) fn too_large(message: &str) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "该接口不支持此请求方法",
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let busy = self.code == "busy";
        let body = wire::ErrorJson {
            error: wire::ErrorBody {
                code: self.code,
                message: self.message,
            },
        };
        let mut r = (self.status, Json(body)).into_response();
        if busy {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        r
    }
}

pub(crate) fn bad_request(message: &str) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "bad_request",
        message: message.to_string(),
    }
}

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        message: "接口不存在".into(),
    }
}

/// Prometheus text: requests and latency per route, queue depth, LLM tokens.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Prometheus 文本格式指标", content_type = "text/plain")),
    security(("bearer" = [])))]
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(state.ask_limit.depth()),
    )
        .into_response()
}

#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, description = "服务状态（无需令牌）", body = crate::wire::FreeForm)))]
async fn health(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    // Never waits on an ingest that holds the engine. Open to all: it
    // counts only 公开 documents.
    let documents = state.engine.try_read().ok().map(|e| {
        e.catalog()
            .docs
            .values()
            .filter(|d| d.access == emkg_engine::access::Access::Public)
            .count()
    });
    Json(serde_json::json!({
        "status": "ok",
        "documents": documents,
        "ingesting": documents.is_none(),
        "embedding": state.embedding.json(),
        "ask_queue": state.ask_limit.depth(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// 检索词
    q: Option<String>,
    k: Option<String>,
    kind: Option<String>,
    retrievers: Option<String>,
}

#[utoipa::path(get, path = "/v1/search", tag = "retrieval", params(SearchParams),
    responses((status = 200, body = wire::SearchResponse), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn search(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    p: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<wire::SearchResponse>, ApiError> {
    let Query(p) = p.map_err(|_| bad_request("查询字符串格式错误"))?;
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(bad_request("缺少查询参数 q"));
    }
    if q.chars().count() > 2000 {
        return Err(bad_request("查询过长（上限 2000 字）"));
    }
    let k = match p.k.as_deref() {
        None | Some("") => 10,
        Some(s) => match s.parse::<usize>() {
            Ok(k) if (1..=100).contains(&k) => k,
            _ => return Err(bad_request("参数 k 应为 1 到 100 之间的整数")),
        },
    };
    let mut req = SearchRequest::new(&q, k);
    if let Some(r) = p.retrievers.as_deref().filter(|s| !s.is_empty()) {
        req.retrievers = emkg_engine::Retrievers::parse(r)?;
    }
    if let Some(kinds) = p.kind.as_deref().filter(|s| !s.is_empty()) {
        for name in kinds.split(',') {
            match emkg_engine::ontology::DocKind::parse(name.trim()) {
                Some(kind) => req.filter.kinds.push(kind),
                None => return Err(bad_request(&format!("未知的文档类型：{name}"))),
            }
        }
    }
    let (hits, not_embedded) = state
        .read(&caller, move |_, e| {
            let hits = e.search(&req)?;
            // Documents found without their vectors (embedding still under
            // way): said, so a reader knows hybrid search did not see them.
            let mut pending: Vec<String> = Vec::new();
            if req.retrievers.dense && e.dense_enabled() {
                for h in &hits {
                    if !e.has_vectors(&h.chunk.doc_id) && !pending.contains(&h.chunk.doc_id) {
                        pending.push(h.chunk.doc_id.clone());
                    }
                }
            }
            Ok((hits, pending))
        })
        .await?;
    let mut resp = wire::search_response(&q, &hits);
    resp.not_embedded = not_embedded;
    Ok(Json(resp))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SparqlParams {
    query: Option<String>,
    update: Option<String>,
}

/// Picks JSON or CSV from the Accept header (JSON by default).
fn result_format(headers: &HeaderMap) -> emkg_engine::ResultFormat {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("text/csv") && !accept.contains("sparql-results+json") {
        emkg_engine::ResultFormat::Csv
    } else {
        emkg_engine::ResultFormat::Json
    }
}

#[utoipa::path(get, path = "/sparql", tag = "graph", params(SparqlParams),
    responses((status = 200, description = "SPARQL 结果（JSON 或 CSV）"), (status = 403, body = crate::wire::ErrorJson), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn sparql_get(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    headers: HeaderMap,
    p: Result<Query<SparqlParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = p.map_err(|_| bad_request("查询字符串格式错误"))?;
    run_sparql(state, &caller, &headers, p).await
}

/// SPARQL 1.1 Protocol POST: a form (`query=`) or a raw `application/sparql-query` body.
#[utoipa::path(post, path = "/sparql", tag = "graph",
    request_body(content = String, content_type = "application/sparql-query"),
    responses((status = 200, description = "SPARQL 结果（JSON 或 CSV）"), (status = 403, body = crate::wire::ErrorJson), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn sparql_post(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(body_error)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let p = if ct.starts_with("application/sparql-query") {
        SparqlParams {
            query: Some(String::from_utf8_lossy(&body).to_string()),
            update: None,
        }
    } else if ct.starts_with("application/sparql-update") {
        SparqlParams {
            query: None,
            update: Some(String::new()),
        }
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes(&body)
            .map_err(|e| bad_request(&format!("表单格式错误：{e}")))?
    } else {
        return Err(ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message:
                "请使用 application/sparql-query 或 application/x-www-form-urlencoded 提交查询"
                    .into(),
        });
    };
    run_sparql(state, &caller, &headers, p).await
}

async fn run_sparql(
    state: Arc<AppState>,
    caller: &crate::auth::Caller,
    headers: &HeaderMap,
    p: SparqlParams,
) -> Result<Response, ApiError> {
    if p.update.is_some() {
        return Err(ApiError {
            status: StatusCode::FORBIDDEN,
            code: "update_refused",
            message: "此端点只读，不接受 SPARQL 更新".into(),
        });
    }
    let Some(query) = p.query.filter(|q| !q.trim().is_empty()) else {
        return Err(bad_request("缺少参数 query"));
    };
    let format = result_format(headers);
    let ticket = state.heavy_limit.admit().await?;
    let out = state
        .read(caller, move |st, e| {
            let _ticket = ticket;
            Ok(e.sparql(&query, &st.sparql_limits, format)?)
        })
        .await?;
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, out.content_type)],
        out.body,
    )
        .into_response();
    if out.truncated {
        if let Ok(v) = axum::http::HeaderValue::from_str("true") {
            resp.headers_mut().insert("x-emkg-truncated", v);
        }
    }
    Ok(resp)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyRequest {
    text: String,
}

/// POST /v1/verify {"text": "…"}: every 《X》第N条 in the text, checked against the store.
#[utoipa::path(post, path = "/v1/verify", tag = "retrieval", request_body = VerifyRequest,
    responses((status = 200, body = wire::VerifyResponse), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn verify(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<wire::VerifyResponse>, ApiError> {
    let body = body.map_err(body_error)?;
    let req: VerifyRequest = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&format!("请求体应为 JSON：{{\"text\": \"…\"}}（{e}）")))?;
    if req.text.chars().count() > 100_000 {
        return Err(bad_request("文本过长（上限 10 万字）"));
    }
    let ticket = state.heavy_limit.admit().await?;
    let checks = state
        .read(&caller, move |_, e| {
            let _ticket = ticket;
            Ok(e.verify_citations(&req.text))
        })
        .await?;
    Ok(Json(wire::verify_response(&checks)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AskBody {
    question: String,
    evidence: Option<usize>,
    max_tokens: Option<usize>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    seed: Option<u64>,
}

/// POST /v1/ask: JSON answer, or a stream of server-sent events when the
/// client accepts `text/event-stream` (`token` events with text as it is
/// generated, then one `answer` event with the checked answer).
#[utoipa::path(post, path = "/v1/ask", tag = "answers", request_body = AskBody,
    responses((status = 200, description = "核验后的回答；Accept: text/event-stream 时为 token/answer 事件流", body = wire::AskResponse),
        (status = 400, body = crate::wire::ErrorJson), (status = 503, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn ask(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    headers: HeaderMap,
    body: Result<Json<AskBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let question = body.question.trim().to_string();
    if question.is_empty() {
        return Err(bad_request("缺少问题 question"));
    }
    if question.chars().count() > 2000 {
        return Err(bad_request("问题过长（上限 2000 字）"));
    }
    let evidence = body.evidence.unwrap_or(5);
    if !(1..=10).contains(&evidence) {
        return Err(bad_request("参数 evidence 应为 1 到 10 之间的整数"));
    }
    let opts = ask_options(
        evidence,
        body.max_tokens,
        body.temperature,
        body.top_p,
        body.seed,
    )?;
    let sse = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));

    let ticket = state.ask_limit.admit().await?;
    let cancelled = ticket.cancelled.clone();
    let cancel_flag = ticket.cancelled.clone();
    let state_timeout = state.request_timeout;
    let run = move |on_text: &mut dyn FnMut(&str) -> bool| -> Result<wire::AskResponse, ApiError> {
        // The turn is held while the work runs, even past a client's leaving.
        let _ticket = ticket;
        answer_question(
            &state,
            &caller,
            "POST /v1/ask",
            &question,
            &opts,
            &cancelled,
            on_text,
        )
    };

    if !sse {
        // A client that goes away drops this future: the flag stops the model.
        let _cancel = crate::limit::CancelOnDrop(cancel_flag);
        let resp = tokio::task::spawn_blocking(move || run(&mut |_| true))
            .await
            .map_err(|e| ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal",
                message: {
                    tracing::error!("问答任务失败：{e}");
                    "服务内部错误，详情已写入服务日志".into()
                },
            })??;
        return Ok(Json(resp).into_response());
    }

    use axum::response::sse::Event;
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
    let deadline = std::time::Instant::now() + state_timeout;
    tokio::task::spawn_blocking(move || {
        let token_tx = tx.clone();
        let result = run(&mut |t| {
            // A closed stream (client gone), a client that stops reading
            // for 30 s, or the request's time limit stops generation.
            let now = std::time::Instant::now();
            if now > deadline {
                return false;
            }
            let ev = Event::default()
                .event("token")
                .data(serde_json::json!({ "text": t }).to_string());
            send_until(&token_tx, ev, (now + STREAM_STALL).min(deadline))
        });
        let ev = match result {
            Ok(resp) => Event::default()
                .event("answer")
                .data(serde_json::to_string(&resp).unwrap_or_default()),
            Err(e) => Event::default().event("error").data(
                serde_json::json!({ "error": { "code": e.code, "message": e.message } })
                    .to_string(),
            ),
        };
        // The final event: waits for room, but not past the stall bound.
        let _ = send_until(&tx, ev, std::time::Instant::now() + STREAM_STALL);
    });
    Ok(sse_response(rx))
}

/// The longest a stream waits for its reader to take the next event.
pub(crate) const STREAM_STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// A server-sent-event response fed by `rx` (keep-alives between events).
pub(crate) fn sse_response(
    rx: tokio::sync::mpsc::Receiver<axum::response::sse::Event>,
) -> Response {
    use axum::response::sse::{KeepAlive, Sse};
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|ev| (Ok::<_, std::convert::Infallible>(ev), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// A JSON body the route could not take: too large (413) or not the
/// expected JSON (400).
pub(crate) fn json_rejection(e: axum::extract::rejection::JsonRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(&format!("请求体过大（上限 {} KB）", BODY_LIMIT / 1024))
    } else {
        bad_request(&format!("请求体应为 JSON：{}", e.body_text()))
    }
}

/// The generation settings of a question, checked (defaults: 160 new
/// tokens, greedy, a fixed seed).
pub(crate) fn ask_options(
    evidence: usize,
    max_tokens: Option<usize>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    seed: Option<u64>,
) -> Result<emkg_engine::answer::AskOptions, ApiError> {
    let max_tokens = max_tokens.unwrap_or(160);
    if !(1..=2048).contains(&max_tokens) {
        return Err(bad_request("参数 max_tokens 应为 1 到 2048 之间的整数"));
    }
    let temperature = temperature.unwrap_or(0.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(bad_request("参数 temperature 应在 0 到 2 之间"));
    }
    Ok(emkg_engine::answer::AskOptions {
        evidence,
        generation: emkg_engine::models::GenerationParams {
            max_new_tokens: max_tokens,
            temperature,
            top_p,
            seed: seed.unwrap_or(299_792_458),
        },
    })
}

/// Sends `ev` on a stream's channel, waiting for room until `until` (a
/// reader that stops reading must not hold the turn forever). False when
/// the client has gone or the time passed.
pub(crate) fn send_until<T>(
    tx: &tokio::sync::mpsc::Sender<T>,
    mut ev: T,
    until: std::time::Instant,
) -> bool {
    loop {
        match tx.try_send(ev) {
            Ok(()) => return true,
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return false,
            Err(tokio::sync::mpsc::error::TrySendError::Full(back)) => {
                if std::time::Instant::now() > until {
                    return false;
                }
                ev = back;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}

/// Answers `question` as `caller` (its clearance), with the model when
/// there is one; `cancelled` stops generation. Records metrics and the
/// audit entry. Blocking: call from a blocking task holding a queue turn.
pub(crate) fn answer_question(
    state: &AppState,
    caller: &crate::auth::Caller,
    route: &str,
    question: &str,
    opts: &emkg_engine::answer::AskOptions,
    cancelled: &std::sync::atomic::AtomicBool,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Result<wire::AskResponse, ApiError> {
    let _scope = emkg_engine::access::scope(caller.clearance);
    let engine = state.engine.read().map_err(|_| poisoned())?;
    let mut on_text = |t: &str| !cancelled.load(std::sync::atomic::Ordering::Acquire) && on_text(t);
    let on_text: &mut dyn FnMut(&str) -> bool = &mut on_text;
    let (answer, model) = match &state.generator {
        Some((g, name)) => {
            let mut g = g.lock().map_err(|_| ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal",
                message: "生成模型状态异常，请重启服务".into(),
            })?;
            let a = engine.ask(question, Some(g.as_mut()), opts, on_text)?;
            (a, name.clone())
        }
        None => (engine.ask(question, None, opts, on_text)?, String::new()),
    };
    let resp = wire::ask_response(question, &answer, &model);
    if let Some(g) = &resp.generation {
        state.metrics.generation(g.generated_tokens, g.decode_secs);
    }
    // What was asked, answered and cited.
    audit_detail(
        state,
        Some(caller),
        "answer",
        route,
        serde_json::json!({
            "question": question,
            "mode": resp.mode,
            "conclusion": resp.conclusion,
            "cited": resp.citations.iter().map(|c| c.raw.clone()).collect::<Vec<_>>(),
        }),
    );
    Ok(resp)
}

/// The incident of a request body: `{"text": "…"}` or `{"incident": {…}}`.
fn incident_input(v: &serde_json::Value) -> Result<emkg_engine::assess::IncidentInput, ApiError> {
    if let Some(t) = v.get("text") {
        let t = t.as_str().ok_or_else(|| bad_request("text 应为字符串"))?;
        Ok(emkg_engine::assess::IncidentInput::Text(t.to_string()))
    } else if v.get("incident").is_some() {
        let inc = crate::wire_assess::incident_from_json(v).map_err(|m| bad_request(&m))?;
        Ok(emkg_engine::assess::IncidentInput::Facts(Box::new(inc)))
    } else {
        Err(bad_request(
            "请求体应包含 text（事件描述）或 incident（结构化事件）",
        ))
    }
}

/// `{"text": "…"}` or `{"incident": {…}}`.
#[utoipa::path(post, path = "/v1/incidents/assess", tag = "assessment",
    request_body(content = crate::wire::FreeForm, description = "{\"text\": \"事件描述\"} 或 {\"incident\": {…}}"),
    responses((status = 200, description = "事实、分级、报送时限、预案与处置措施", body = crate::wire::FreeForm), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn assess_incident(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = body.map_err(body_error)?;
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| bad_request("请求体不是有效的 JSON"))?;
    let input = incident_input(&v)?;
    let a = state
        .read(&caller, move |_, e| Ok(e.assess(&input)?))
        .await?;
    Ok(Json(crate::wire_assess::assessment(&a)))
}

/// `{"text": "…"}`: a site description or hazard checklist.
#[utoipa::path(post, path = "/v1/risk/assess", tag = "assessment",
    request_body(content = crate::wire::FreeForm, description = "{\"text\": \"场所或隐患描述\"}"),
    responses((status = 200, body = crate::wire::FreeForm), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn assess_risk(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = body.map_err(body_error)?;
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| bad_request("请求体不是有效的 JSON"))?;
    let t = v
        .get("text")
        .and_then(|t| t.as_str())
        .ok_or_else(|| bad_request("请求体应包含 text（场所或隐患描述）"))?
        .to_string();
    let r = state
        .read(&caller, move |_, e| Ok(e.assess_risk(&t)?))
        .await?;
    Ok(Json(crate::wire_assess::risk(&r)))
}

/// The format a draft is asked for: `format` in the body, else the Accept
/// header, else JSON.
fn draft_format(v: &serde_json::Value, headers: &HeaderMap) -> Result<&'static str, ApiError> {
    if let Some(f) = v.get("format") {
        return match f.as_str() {
            Some("json") => Ok("json"),
            Some("md") | Some("markdown") => Ok("md"),
            Some("docx") => Ok("docx"),
            _ => Err(bad_request("format 应为 json、md 或 docx")),
        };
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(if accept.contains(DOCX_MIME) {
        "docx"
    } else if accept.contains("text/markdown") {
        "md"
    } else {
        "json"
    })
}

const DOCX_MIME: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn draft_response(
    d: &emkg_engine::draft::Draft,
    format: &str,
    name: &str,
) -> Result<Response, ApiError> {
    Ok(match format {
        "docx" => {
            let bytes = emkg_engine::draft::docx::render(d)?;
            (
                [
                    (header::CONTENT_TYPE, DOCX_MIME.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.docx\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        "md" => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            d.markdown(),
        )
            .into_response(),
        _ => Json(wire::draft_json(d)).into_response(),
    })
}

/// An optional string field of a request body.
fn opt_str(v: &serde_json::Value, k: &str) -> Result<Option<String>, ApiError> {
    match v.get(k) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad_request(&format!("{k} 应为字符串"))),
    }
}

/// Whether a request may use the local model (`"model": false` declines).
fn wants_model(v: &serde_json::Value) -> Result<bool, ApiError> {
    match v.get("model") {
        None | Some(serde_json::Value::Null) => Ok(true),
        Some(serde_json::Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad_request("model 应为 true 或 false")),
    }
}

/// A turn in the question queue for work that will use the model (drafts
/// with a narrative queue with the questions); none when it will not.
async fn model_ticket(
    state: &AppState,
    use_model: bool,
) -> Result<Option<crate::limit::Ticket>, ApiError> {
    if use_model && state.generator.is_some() {
        Ok(Some(state.ask_limit.admit().await?))
    } else {
        Ok(None)
    }
}

/// Runs `f` with the local model when there is one and the request wants it.
fn with_model<T>(
    state: &AppState,
    use_model: bool,
    f: impl FnOnce(Option<&mut dyn Generator>) -> Result<T, EngineError>,
) -> Result<T, ApiError> {
    match (&state.generator, use_model) {
        (Some((g, _)), true) => {
            let mut g = g.lock().map_err(|_| ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal",
                message: "生成模型状态异常，请重启服务".into(),
            })?;
            Ok(f(Some(g.as_mut()))?)
        }
        _ => Ok(f(None)?),
    }
}

/// `{"text": "…"}` or `{"incident": {…}}`, optionally `previous` (an
/// earlier draft's JSON: a 续报), `issuer`, `date`, `format`, `model`.
#[utoipa::path(post, path = "/v1/reports/draft", tag = "drafts",
    request_body(content = crate::wire::FreeForm, description = "text 或 incident；可选 previous、issuer、date、format（json/md/docx）、model"),
    responses((status = 200, description = "报告（JSON、Markdown 或 .docx）", body = crate::wire::FreeForm), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn draft_report(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(body_error)?;
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| bad_request("请求体不是有效的 JSON"))?;
    let input = incident_input(&v)?;
    let previous = match v.get("previous") {
        None | Some(serde_json::Value::Null) => None,
        Some(p) => Some(
            serde_json::from_value::<emkg_engine::draft::Draft>(p.clone())
                .map_err(|_| bad_request("previous 应为此前由本接口生成的报告 JSON"))?,
        ),
    };
    let format = draft_format(&v, &headers)?;
    let use_model = wants_model(&v)?;
    let req = emkg_engine::draft::report::ReportRequest {
        input,
        previous,
        issuer: opt_str(&v, "issuer")?,
        date: opt_str(&v, "date")?.unwrap_or_else(crate::draft_cmd::today),
    };
    let ticket = model_ticket(&state, use_model).await?;
    let d = state
        .read(&caller, move |st, e| {
            let _ticket = ticket;
            with_model(st, use_model, |g| {
                e.draft_report(
                    &req,
                    g,
                    &emkg_engine::draft::report::NarrativeOptions::default(),
                    &mut |_| {},
                )
            })
        })
        .await?;
    audit_draft(&state, Some(&caller), "POST /v1/reports/draft", &d);
    draft_response(&d, format, "report")
}

/// `{"topic": "…"}`, optionally `date`, `format`, `model`.
#[utoipa::path(post, path = "/v1/memos", tag = "drafts",
    request_body(content = crate::wire::FreeForm, description = "{\"topic\": \"…\"}；可选 date、format、model"),
    responses((status = 200, description = "法律备忘录（JSON、Markdown 或 .docx）", body = crate::wire::FreeForm), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn draft_memo(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(body_error)?;
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| bad_request("请求体不是有效的 JSON"))?;
    let topic = opt_str(&v, "topic")?
        .ok_or_else(|| bad_request("请求体应包含 topic（备忘录主题或情形）"))?;
    let format = draft_format(&v, &headers)?;
    let use_model = wants_model(&v)?;
    let date = opt_str(&v, "date")?.unwrap_or_else(crate::draft_cmd::today);
    let ticket = model_ticket(&state, use_model).await?;
    let d = state
        .read(&caller, move |st, e| {
            let _ticket = ticket;
            with_model(st, use_model, |g| e.draft_memo(&topic, &date, g))
        })
        .await?;
    audit_draft(&state, Some(&caller), "POST /v1/memos", &d);
    draft_response(&d, format, "memo")
}

#[utoipa::path(get, path = "/v1/departments/{name}/tasks", tag = "drafts",
    params(("name" = String, Path, description = "部门名称或任务关键词")),
    responses((status = 200, body = crate::wire::FreeForm), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
async fn department_tasks(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    name: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<emkg_engine::draft::tasks::DepartmentTasks>, ApiError> {
    let axum::extract::Path(name) = name.map_err(|_| bad_request("路径中的部门名称无效"))?;
    let t = state
        .read(&caller, move |_, e| Ok(e.department_tasks(&name)?))
        .await?;
    Ok(Json(t))
}

/// The audit record of a produced draft: which, and what it cites.
fn audit_draft(
    state: &AppState,
    caller: Option<&crate::auth::Caller>,
    target: &str,
    d: &emkg_engine::draft::Draft,
) {
    audit_detail(
        state,
        caller,
        "draft",
        target,
        serde_json::json!({
            "kind": d.kind,
            "title": d.title,
            "cited": d.citations.iter().map(|c| c.citation.clone()).collect::<Vec<_>>(),
            "removed": d.removed.len(),
            "missing": d.missing,
        }),
    );
}

/// An audit record of what a request produced.
fn audit_detail(
    state: &AppState,
    caller: Option<&crate::auth::Caller>,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) {
    crate::auth::audit(
        state,
        emkg_engine::audit::Event {
            user: caller.map_or("-".into(), |c| c.name.clone()),
            role: caller.map_or("-".into(), |c| c.role.as_str().to_string()),
            action: action.into(),
            target: target.into(),
            status: 200,
            detail,
        },
    );
}

pub(crate) fn internal() -> ApiError {
    ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        message: "服务内部错误，详情已写入服务日志".into(),
    }
}

/// The OpenAPI 3 document, generated from the handlers' annotations and
/// the wire types (served at /openapi.json).
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "emkg",
        description = "应急管理知识图谱与检索服务：检索、问答（条文级引用）、事件研判、报告与备忘录起草、文档管理。除 /health、/ready、/openapi.json 与控制台外，每个请求须带 Authorization: Bearer <令牌>。错误一律为 {\"error\":{\"code\":\"…\",\"message\":\"中文说明\"}}。"
    ),
    paths(
        health, ready, metrics, search, sparql_get, sparql_post, verify, ask,
        assess_incident, assess_risk, draft_report, draft_memo, department_tasks,
        crate::documents::list, crate::documents::get, crate::documents::delete,
        crate::documents::upload, crate::openai::chat_completions, crate::openai::models,
        crate::documents::unit_links, crate::documents::me,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "retrieval", description = "检索与引用核验"),
        (name = "answers", description = "问答"),
        (name = "assessment", description = "事件研判与风险研判"),
        (name = "drafts", description = "报告、备忘录与部门任务"),
        (name = "documents", description = "文档管理（导入与删除需管理员）"),
        (name = "graph", description = "知识图谱 SPARQL（只读）"),
        (name = "service", description = "服务状态"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi_json() -> Response {
    use utoipa::OpenApi;
    Json(ApiDoc::openapi()).into_response()
}

/// Ready to answer: the engine is not held by a write, and (when one is
/// configured) the model is loaded. 503 otherwise.
#[utoipa::path(get, path = "/ready", tag = "service",
    responses((status = 200, body = crate::wire::FreeForm), (status = 503, body = crate::wire::FreeForm)))]
async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let free = state.engine.try_read().is_ok();
    let body = serde_json::json!({
        "ready": free,
        "embedding": state.embedding.json(),
        "model": state.generator.as_ref().map(|(_, n)| n.clone()),
        "ask_queue": state.ask_limit.depth(),
    });
    let status = if free {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
