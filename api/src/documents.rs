//! Document routes: list, read, delete, and upload (ingest through the
//! server, which holds the data directory as its one writer). Reads see
//! only what the caller's clearance allows; writes take the engine's write
//! lock, so no request reads a half-written store.

use crate::auth::Caller;
use crate::server::{bad_request, poisoned, too_large, ApiError, AppState, WriteFailed};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use emkg_engine::access::Access;
use emkg_engine::ontology::DocKind;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The largest upload accepted (bytes).
pub const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

/// One stored document, as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentJson {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub version: Option<String>,
    pub status: Option<String>,
    /// 公开 or 内部.
    pub access: String,
    pub units: usize,
    pub chunks: usize,
    pub bytes: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentList {
    pub total: usize,
    pub documents: Vec<DocumentJson>,
}

/// One unit of a document (编/章/节/条/款/项 or a numbered section).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitJson {
    pub id: String,
    pub kind: String,
    pub label: String,
    pub heading_path: Vec<String>,
    pub text: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentDetail {
    #[serde(flatten)]
    pub document: DocumentJson,
    pub issuer: Option<String>,
    pub doc_number: Option<String>,
    pub promulgated: Option<String>,
    pub effective: Option<String>,
    pub units_list: Vec<UnitJson>,
}

/// What an upload or a deletion did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeJson {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub units: usize,
    /// added, replaced, unchanged or removed.
    pub outcome: String,
    pub access: Option<String>,
}

fn entry_json(e: &emkg_engine::store::CatalogEntry) -> DocumentJson {
    DocumentJson {
        id: e.id.clone(),
        title: e.title.clone(),
        kind: e.kind.as_str().to_string(),
        version: e.version.clone(),
        status: e.status.clone(),
        access: e.access.label().to_string(),
        units: e.units,
        chunks: e.chunks,
        bytes: e.bytes,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Only this kind (law, regulation, plan, case, work_plan, memo …).
    kind: Option<String>,
    /// Only titles containing this text.
    q: Option<String>,
}

/// Documents the caller may read.
#[utoipa::path(get, path = "/v1/documents", params(ListParams), tag = "documents",
    responses((status = 200, body = DocumentList), (status = 400, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    p: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DocumentList>, ApiError> {
    let Query(p) = p.map_err(|_| bad_request("查询字符串格式错误"))?;
    let kind = match p.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => {
            Some(DocKind::parse(k).ok_or_else(|| bad_request(&format!("未知的文档类型：{k}")))?)
        }
        None => None,
    };
    let q = p.q.unwrap_or_default();
    state
        .read(&caller, move |_, e| {
            let documents: Vec<DocumentJson> = e
                .visible_docs()
                .filter(|d| kind.is_none_or(|k| d.kind == k))
                .filter(|d| q.is_empty() || d.title.contains(q.trim()))
                .map(entry_json)
                .collect();
            Ok(Json(DocumentList {
                total: documents.len(),
                documents,
            }))
        })
        .await
}

/// A document's metadata and units.
#[utoipa::path(get, path = "/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "文档编号")),
    responses((status = 200, body = DocumentDetail), (status = 404, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<DocumentDetail>, ApiError> {
    let Path(id) = id.map_err(|_| bad_request("路径中的文档编号无效"))?;
    state
        .read(&caller, move |_, e| {
            // Above the clearance reads as absent: not even its existence shows.
            let d = e.document(&id)?;
            let entry = e.catalog().docs.get(&id).ok_or_else(|| not_found(&id))?;
            Ok(Json(DocumentDetail {
                document: entry_json(entry),
                issuer: d.issuer.clone(),
                doc_number: d.doc_number.clone(),
                promulgated: d.dates.promulgated.clone(),
                effective: d.dates.effective.clone(),
                units_list: d
                    .units
                    .iter()
                    .map(|u| UnitJson {
                        id: u.id.clone(),
                        kind: format!("{:?}", u.kind),
                        label: u.label.clone(),
                        heading_path: u.heading_path.clone(),
                        text: u.text.clone(),
                    })
                    .collect(),
            }))
        })
        .await
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("没有编号为 {id} 的文档"),
    )
}

/// How long a write waits for the readers in flight (a long answer holds
/// the engine) before it answers 503.
const WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Runs a write on the engine off the async workers, under its write lock
/// (`AppState::write_engine`): no one reads a half-written store. Given up
/// after `WRITE_WAIT` with a 503.
async fn write<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&mut emkg_engine::Engine) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || match st.write_engine(Some(WRITE_WAIT), f) {
        Ok(r) => r,
        Err(WriteFailed::Busy) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "有问答或查询正在进行，暂时无法写入，请稍后重试",
        )),
        Err(WriteFailed::Poisoned) => Err(poisoned()),
        Err(WriteFailed::Panicked) => Err(crate::server::internal()),
    })
    .await
    .map_err(|err| {
        tracing::error!("写入任务失败：{err}");
        crate::server::internal()
    })?
}

/// Removes a document (administrators).
#[utoipa::path(delete, path = "/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "文档编号")),
    responses((status = 200, body = ChangeJson), (status = 404, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<ChangeJson>, ApiError> {
    let Path(id) = id.map_err(|_| bad_request("路径中的文档编号无效"))?;
    write(&state, move |e| {
        // Ids only: a path here must never reach the file system lookup
        // that `emkg remove` offers on the command line. A document above
        // the caller's clearance is absent to it, here as everywhere.
        let _scope = emkg_engine::access::scope(caller.clearance);
        if !e.catalog().docs.contains_key(&id) || !e.readable(&id) {
            return Err(not_found(&id));
        }
        let r = e.remove(std::slice::from_ref(&id))?;
        let d = r.into_iter().next().ok_or_else(|| not_found(&id))?;
        Ok(Json(ChangeJson {
            id: d.id,
            title: d.title,
            kind: d.kind.as_str().to_string(),
            units: d.units,
            outcome: "removed".into(),
            access: None,
        }))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UploadParams {
    /// File name with its extension (.md .txt .html .docx): the format, and
    /// the document's identity (the same name again replaces it).
    name: Option<String>,
    /// 公开 or 内部; absent: the label this name had before (公开 for a new one).
    access: Option<String>,
}

/// Ingests one file sent as the request body (administrators).
#[utoipa::path(post, path = "/v1/ingest", params(UploadParams), tag = "documents",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ChangeJson), (status = 400, body = crate::wire::ErrorJson),
        (status = 413, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<Arc<AppState>>,
    p: Result<Query<UploadParams>, axum::extract::rejection::QueryRejection>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ChangeJson>, ApiError> {
    let Query(p) = p.map_err(|_| bad_request("查询字符串格式错误"))?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(&format!(
                "文件过大（上限 {} MB）",
                UPLOAD_LIMIT / 1024 / 1024
            ))
        } else {
            bad_request("无法读取请求体")
        }
    })?;
    let name = p
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad_request("缺少参数 name（文件名，含扩展名，如 某预案.md）"))?;
    if name.contains(['/', '\\']) || name.starts_with('.') || name.chars().count() > 200 {
        return Err(bad_request(
            "文件名不能含路径分隔符、不能以点开头，且不超过 200 字",
        ));
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if !matches!(
        ext.as_deref(),
        Some("md" | "markdown" | "txt" | "html" | "htm" | "docx")
    ) {
        return Err(bad_request(
            "只接受 .md、.txt、.html、.docx 文件（数据库文件请用 emkg ingest 导入）",
        ));
    }
    let access = match p.access.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(
            Access::parse(a)
                .ok_or_else(|| bad_request(&format!("密级“{a}”无效，应为 公开 或 内部")))?,
        ),
    };
    if body.is_empty() {
        return Err(bad_request("文件为空"));
    }
    write(&state, move |e| {
        match e.ingest_upload(&name, &body, access)? {
            Ok(d) => Ok(Json(ChangeJson {
                access: e
                    .catalog()
                    .docs
                    .get(&d.id)
                    .map(|x| x.access.label().to_string()),
                id: d.id,
                title: d.title,
                kind: d.kind.as_str().to_string(),
                units: d.units,
                outcome: crate::wire::outcome_str(&d.outcome).into(),
            })),
            Err(msg) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_file",
                &msg,
            )),
        }
    })
    .await
}

/// A provision's graph links: references both ways, duty ↔ penalty, and
/// its time limits, penalties and bound parties.
#[utoipa::path(get, path = "/v1/units/{unit_id}/links", tag = "documents",
    params(("unit_id" = String, Path, description = "条文编号，如 anquan_shengchan_fa#art21（# 写作 %23）")),
    responses((status = 200, body = crate::wire::FreeForm), (status = 404, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
pub async fn unit_links(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Path(id) = id.map_err(|_| bad_request("路径中的条文编号无效"))?;
    state
        .read(&caller, move |_, e| {
            let l = e.unit_links(&id).map_err(|err| match err {
                emkg_engine::EngineError::NoSuchDocument(_) => ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    &format!("没有编号为 {id} 的条文"),
                ),
                other => other.into(),
            })?;
            let facts = |fs: &[emkg_engine::answer::facts::Fact]| {
                fs.iter()
                    .map(|f| serde_json::json!({"text": f.text, "unit_id": f.unit_id}))
                    .collect::<Vec<_>>()
            };
            Ok(Json(serde_json::json!({
                "unit_id": l.unit_id,
                "citation": l.citation,
                "text": l.text,
                "links": l.links.iter().map(|x| serde_json::json!({
                    "unit_id": x.unit_id, "citation": x.citation,
                    "relation": x.relation, "text": x.text,
                })).collect::<Vec<_>>(),
                "deadlines": facts(&l.related.deadlines),
                "penalties": facts(&l.related.penalties),
                "parties": facts(&l.related.parties),
            })))
        })
        .await
}

/// Who the token belongs to: name, role and the highest label it reads.
#[utoipa::path(get, path = "/v1/me", tag = "service",
    responses((status = 200, body = crate::wire::FreeForm)), security(("bearer" = [])))]
pub async fn me(axum::Extension(caller): axum::Extension<Caller>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": caller.name,
        "role": caller.role.as_str(),
        "role_label": caller.role.label(),
        "clearance": caller.clearance.label(),
    }))
}
