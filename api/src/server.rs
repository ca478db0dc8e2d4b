//! The HTTP server: routes, wire conversion and the one place where engine
//! errors become HTTP statuses. No domain logic lives here.

use crate::wire;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use emkg_engine::{Engine, EngineError, SearchRequest};
use serde::Deserialize;
use std::sync::Arc;

pub struct AppState {
    pub engine: Engine,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/search", get(search))
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
