//! OpenAI-compatible chat completions over the same question answering as
//! /v1/ask: chat front ends can use emkg as a backend. The last user
//! message is the question (each question gets its own retrieval); the
//! reply is the checked answer with its citations. A stream carries the
//! answer once the checker has passed it, so a client never shows text
//! that the check would strike.

use crate::auth::Caller;
use crate::server::{answer_question, bad_request, ApiError, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChatMessage {
    pub role: String,
    /// A string, or a list of parts (`{"type": "text", "text": "…"}`).
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChatRequest {
    /// (`model` and other OpenAI fields are accepted and ignored: the
    /// answer always comes from emkg's own model.)
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub stream: bool,
    pub max_tokens: Option<usize>,
    pub max_completion_tokens: Option<usize>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub seed: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CitationRef {
    pub raw: String,
    pub verified: bool,
    pub unit_id: Option<String>,
}

/// What emkg adds to the OpenAI shape: whether every citation verified.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmkgExtra {
    pub verified: bool,
    pub mode: String,
    pub citations: Vec<CitationRef>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssistantMessage {
    pub role: &'static str,
    pub content: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub index: u32,
    pub message: AssistantMessage,
    pub finish_reason: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub total_tokens: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatCompletion {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Usage,
    pub emkg: EmkgExtra,
}

/// The text of a message's content (a string or text parts).
fn text_of(content: &serde_json::Value) -> Option<String> {
    match content {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(parts) => {
            let t: Vec<&str> = parts
                .iter()
                .filter(|p| p.get("type").and_then(|t| t.as_str()) == Some("text"))
                .filter_map(|p| p.get("text").and_then(|t| t.as_str()))
                .collect();
            (!t.is_empty()).then(|| t.join("\n"))
        }
        _ => None,
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// POST /v1/chat/completions
#[utoipa::path(post, path = "/v1/chat/completions", tag = "answers", request_body = ChatRequest,
    responses((status = 200, description = "chat.completion；stream=true 时为 chat.completion.chunk 事件流", body = ChatCompletion),
        (status = 400, body = crate::wire::ErrorJson), (status = 503, body = crate::wire::ErrorJson)),
    security(("bearer" = [])))]
pub async fn chat_completions(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    body: Result<Json<ChatRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(crate::server::json_rejection)?;
    let question = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .and_then(|m| text_of(&m.content))
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty())
        .ok_or_else(|| bad_request("messages 中缺少用户问题（role 为 user 的消息）"))?;
    if question.chars().count() > 2000 {
        return Err(bad_request("问题过长（上限 2000 字）"));
    }
    let opts = crate::server::ask_options(
        5,
        req.max_completion_tokens.or(req.max_tokens),
        req.temperature,
        req.top_p,
        req.seed,
    )?;
    let model = match &state.generator {
        Some((_, name)) => format!("emkg/{name}"),
        None => "emkg/extractive".to_string(),
    };
    let id = format!(
        "chatcmpl-emkg-{}-{}",
        now(),
        NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let created = now();
    let ticket = state.ask_limit.admit().await?;
    let cancelled = ticket.cancelled.clone();
    let deadline = std::time::Instant::now() + state.request_timeout;

    if !req.stream {
        let _cancel = crate::limit::CancelOnDrop(ticket.cancelled.clone());
        let st = state.clone();
        let resp = tokio::task::spawn_blocking(move || {
            let _ticket = ticket;
            answer_question(
                &st,
                &caller,
                "POST /v1/chat/completions",
                &question,
                &opts,
                &cancelled,
                &mut |_| std::time::Instant::now() < deadline,
            )
        })
        .await
        .map_err(|_| crate::server::internal())??;
        return Ok(Json(completion(id, created, model, &resp)).into_response());
    }

    use axum::response::sse::Event;
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(16);
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        let chunk = |delta: serde_json::Value, finish: Option<&str>| {
            serde_json::json!({
                "id": id, "object": "chat.completion.chunk", "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            })
        };
        // Every send waits for room at most STREAM_STALL: a reader that
        // stops reading must not hold the question queue's turn.
        let send = |data: String| {
            let until = std::time::Instant::now() + crate::server::STREAM_STALL;
            crate::server::send_until(&tx, Event::default().data(data), until)
        };
        if !send(chunk(serde_json::json!({"role": "assistant"}), None).to_string()) {
            return;
        }
        // Generation stops when the client has gone or time is up.
        let watch = tx.clone();
        let result = answer_question(
            &st,
            &caller,
            "POST /v1/chat/completions",
            &question,
            &opts,
            &cancelled,
            &mut |_| !watch.is_closed() && std::time::Instant::now() < deadline,
        );
        match result {
            Ok(resp) => {
                // The checked answer, a line at a time.
                for line in resp.answer.split_inclusive('\n') {
                    if !send(chunk(serde_json::json!({ "content": line }), None).to_string()) {
                        return;
                    }
                }
                // The last chunk carries what emkg adds: the citations checked.
                let mut last = chunk(serde_json::json!({}), Some("stop"));
                if let Ok(extra) = serde_json::to_value(extra(&resp)) {
                    last["emkg"] = extra;
                }
                send(last.to_string());
            }
            Err(e) => {
                send(
                    serde_json::json!({ "error": { "code": e.code(), "message": e.message() } })
                        .to_string(),
                );
            }
        }
        send("[DONE]".into());
    });
    Ok(crate::server::sse_response(rx))
}

fn extra(r: &crate::wire::AskResponse) -> EmkgExtra {
    EmkgExtra {
        verified: r.verified,
        mode: r.mode.to_string(),
        citations: r
            .citations
            .iter()
            .map(|c| CitationRef {
                raw: c.raw.clone(),
                verified: c.verified,
                unit_id: c.unit_id.clone(),
            })
            .collect(),
    }
}

fn completion(
    id: String,
    created: u64,
    model: String,
    r: &crate::wire::AskResponse,
) -> ChatCompletion {
    let (prompt, completion) = r
        .generation
        .as_ref()
        .map_or((0, 0), |g| (g.prompt_tokens, g.generated_tokens));
    ChatCompletion {
        id,
        object: "chat.completion",
        created,
        model,
        choices: vec![Choice {
            index: 0,
            message: AssistantMessage {
                role: "assistant",
                content: r.answer.clone(),
            },
            finish_reason: "stop",
        }],
        usage: Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
        },
        emkg: extra(r),
    }
}

/// GET /v1/models: the one model, for clients that list before they chat.
#[utoipa::path(get, path = "/v1/models", tag = "answers",
    responses((status = 200, description = "OpenAI 格式的模型列表", body = crate::wire::FreeForm)),
    security(("bearer" = [])))]
pub async fn models(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let id = match &state.generator {
        Some((_, name)) => format!("emkg/{name}"),
        None => "emkg/extractive".to_string(),
    };
    Json(serde_json::json!({
        "object": "list",
        "data": [{"id": id, "object": "model", "created": 0, "owned_by": "emkg"}],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_is_the_last_user_text() {
        assert_eq!(text_of(&serde_json::json!("问")).as_deref(), Some("问"));
        let parts = serde_json::json!([
            {"type": "text", "text": "甲"},
            {"type": "image_url", "image_url": {"url": "x"}},
            {"type": "text", "text": "乙"}
        ]);
        assert_eq!(text_of(&parts).as_deref(), Some("甲\n乙"));
        assert_eq!(text_of(&serde_json::json!(3)), None);
    }
}
