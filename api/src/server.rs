//! The HTTP server: routes, wire conversion and the one place where engine
//! errors become HTTP statuses. No domain logic lives here.

use crate::wire;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use emkg_engine::{Engine, EngineError, SearchRequest};
use serde::Deserialize;
use std::sync::Arc;

pub struct AppState {
    pub engine: Engine,
    pub sparql_limits: emkg_engine::QueryLimits,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/search", get(search))
        .route("/sparql", get(sparql_get).post(sparql_post))
        .route("/v1/verify", axum::routing::post(verify))
        .fallback(not_found)
        .with_state(state)
}

/// An error as the API reports it: a status and a Chinese message.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let (status, code) = match &e {
            EngineError::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_query"),
            EngineError::NoSuchDocument(_) => (StatusCode::NOT_FOUND, "not_found"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError {
            status,
            code,
            message: e.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = wire::ErrorJson {
            error: wire::ErrorBody {
                code: self.code,
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

fn bad_request(message: &str) -> ApiError {
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

async fn health(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let s = state.engine.catalog();
    Json(serde_json::json!({
        "status": "ok",
        "documents": s.docs.len(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    k: Option<String>,
    kind: Option<String>,
}

async fn search(
    State(state): State<Arc<AppState>>,
    Query(p): Query<SearchParams>,
) -> Result<Json<wire::SearchResponse>, ApiError> {
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
    if let Some(kinds) = p.kind.as_deref().filter(|s| !s.is_empty()) {
        for name in kinds.split(',') {
            match emkg_engine::ontology::DocKind::parse(name.trim()) {
                Some(kind) => req.filter.kinds.push(kind),
                None => return Err(bad_request(&format!("未知的文档类型：{name}"))),
            }
        }
    }
    let hits = tokio::task::spawn_blocking(move || state.engine.search(&req).map(|h| (q, h)))
        .await
        .map_err(|e| ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: format!("检索任务失败：{e}"),
        })??;
    Ok(Json(wire::search_response(&hits.0, &hits.1)))
}

#[derive(Deserialize)]
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

async fn sparql_get(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<SparqlParams>,
) -> Result<Response, ApiError> {
    run_sparql(state, &headers, p).await
}

/// SPARQL 1.1 Protocol POST: a form (`query=`) or a raw `application/sparql-query` body.
async fn sparql_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
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
    run_sparql(state, &headers, p).await
}

async fn run_sparql(
    state: Arc<AppState>,
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
    let out = tokio::task::spawn_blocking(move || {
        state.engine.sparql(&query, &state.sparql_limits, format)
    })
    .await
    .map_err(|e| ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        message: format!("查询任务失败：{e}"),
    })??;
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

#[derive(Deserialize)]
pub struct VerifyRequest {
    text: String,
}

/// POST /v1/verify {"text": "…"}: every 《X》第N条 in the text, checked against the store.
async fn verify(
    State(state): State<Arc<AppState>>,
    body: axum::body::Bytes,
) -> Result<Json<wire::VerifyResponse>, ApiError> {
    let req: VerifyRequest = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&format!("请求体应为 JSON：{{\"text\": \"…\"}}（{e}）")))?;
    if req.text.chars().count() > 100_000 {
        return Err(bad_request("文本过长（上限 10 万字）"));
    }
    let checks = tokio::task::spawn_blocking(move || state.engine.verify_citations(&req.text))
        .await
        .map_err(|e| ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: format!("核验任务失败：{e}"),
        })?;
    Ok(Json(wire::verify_response(&checks)))
}
