//! `emkg mcp`: a Model Context Protocol server over stdio (JSON-RPC 2.0,
//! one message per line). Tools: search, ask, verify_citations,
//! assess_incident, assess_risk — the engine calls the CLI and HTTP server
//! make. Stdout carries protocol messages only; everything else goes to
//! stderr.

use crate::wire;
use emkg_engine::models::Generator;
use emkg_engine::Engine;
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};

/// Protocol versions this server speaks (the subset used — initialize,
/// tools/list, tools/call, ping — is the same in each).
/// The longest message line accepted (bytes).
const MAX_LINE: usize = 4 * 1024 * 1024;

const VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

pub struct McpServer {
    pub engine: Engine,
    pub generator: Option<Box<dyn Generator>>,
    pub clearance: emkg_engine::access::Access,
}

fn tools() -> Value {
    let text = |name: &str, desc: &str| json!({"type": "object", "properties": {name: {"type": "string", "description": desc}}, "required": [name]});
    json!([
        {
            "name": "search",
            "description": "检索法规条文、应急预案、案例与工作计划（BM25 + 向量 + 图谱），返回条文级引用与原文。",
            "inputSchema": {"type": "object", "properties": {
                "query": {"type": "string", "description": "检索词或问题，如：安全生产法第二十一条"},
                "k": {"type": "integer", "minimum": 1, "maximum": 50, "description": "返回条数（默认 5）"}
            }, "required": ["query"]}
        },
        {
            "name": "ask",
            "description": "依据库中条文回答问题，附条文级引用（《安全生产法》第二十一条），引用逐条核验。",
            "inputSchema": text("question", "问题")
        },
        {
            "name": "verify_citations",
            "description": "核验文本中每一处《法规》第N条引用是否存在于库中，并给出条文原文。",
            "inputSchema": text("text", "含引用的文本")
        },
        {
            "name": "assess_incident",
            "description": "事件研判：从事件描述中抽取事实，给出事故等级及依据、报送时限与对象、适用预案与处置措施。",
            "inputSchema": text("text", "事件描述")
        },
        {
            "name": "assess_risk",
            "description": "风险研判：对场所或隐患描述给出违反的条文、风险等级与整改要求。",
            "inputSchema": text("text", "场所或隐患描述")
        }
    ])
}

impl McpServer {
    /// Serves until stdin closes. A line that is not UTF-8 JSON, or longer
    /// than `MAX_LINE`, gets a JSON-RPC error; the session goes on.
    pub fn run(&mut self, mut input: impl BufRead, mut out: impl Write) -> std::io::Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = (&mut input)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            let reply = if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
                // Skip the rest of the line.
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    let m = (&mut input).take(1 << 16).read_until(b'\n', &mut rest)?;
                    if m == 0 || rest.ends_with(b"\n") {
                        break;
                    }
                }
                Some(error(Value::Null, -32600, "消息过长"))
            } else {
                let line = String::from_utf8_lossy(&buf);
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(&line) {
                    Ok(msg) => self.handle(&msg),
                    Err(e) => Some(error(Value::Null, -32700, &format!("JSON 解析失败：{e}"))),
                }
            };
            if let Some(r) = reply {
                writeln!(out, "{r}")?;
                out.flush()?;
            }
        }
        Ok(())
    }

    /// One message; `None` for notifications (no reply).
    pub fn handle(&mut self, msg: &Value) -> Option<Value> {
        let id = msg.get("id").cloned();
        let method = msg.get("method").and_then(|m| m.as_str()).unwrap_or("");
        let id = id?; // notifications (initialized, cancelled …) get no reply
        let params = msg.get("params").cloned().unwrap_or(json!({}));
        Some(match method {
            "initialize" => {
                let asked = params
                    .get("protocolVersion")
                    .and_then(|v| v.as_str())
                    .unwrap_or(VERSIONS[0]);
                let version = VERSIONS
                    .iter()
                    .find(|v| **v == asked)
                    .copied()
                    .unwrap_or(VERSIONS[0]);
                result(
                    id,
                    json!({
                        "protocolVersion": version,
                        "capabilities": {"tools": {"listChanged": false}},
                        "serverInfo": {"name": "emkg", "version": env!("CARGO_PKG_VERSION")},
                        "instructions": "应急管理知识库：检索条文、带引用问答、引用核验、事件与风险研判。"
                    }),
                )
            }
            "ping" => result(id, json!({})),
            "tools/list" => result(id, json!({ "tools": tools() })),
            "tools/call" => {
                let name = params.get("name").and_then(|n| n.as_str()).unwrap_or("");
                let args = params.get("arguments").cloned().unwrap_or(json!({}));
                match self.call(name, &args) {
                    Ok(text) => result(
                        id,
                        json!({"content": [{"type": "text", "text": text}], "isError": false}),
                    ),
                    Err(CallError::Unknown) => error(id, -32602, &format!("未知的工具：{name}")),
                    // A tool's own failure is a result the model can read.
                    Err(CallError::Failed(m)) => result(
                        id,
                        json!({"content": [{"type": "text", "text": m}], "isError": true}),
                    ),
                }
            }
            other => error(id, -32601, &format!("不支持的方法：{other}")),
        })
    }

    fn call(&mut self, name: &str, args: &Value) -> Result<String, CallError> {
        let _scope = emkg_engine::access::scope(self.clearance);
        let arg = |k: &str| -> Result<String, CallError> {
            args.get(k)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| CallError::Failed(format!("缺少参数 {k}")))
        };
        let failed = |e: emkg_engine::EngineError| CallError::Failed(e.to_string());
        match name {
            "search" => {
                let q = arg("query")?;
                let k = args
                    .get("k")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(5)
                    .clamp(1, 50) as usize;
                let hits = self
                    .engine
                    .search(&emkg_engine::SearchRequest::new(&q, k))
                    .map_err(failed)?;
                Ok(pretty(&wire::search_response(&q, &hits)))
            }
            "ask" => {
                let q = arg("question")?;
                let opts = emkg_engine::answer::AskOptions::default();
                let generator: Option<&mut dyn Generator> = match self.generator.as_mut() {
                    Some(g) => Some(g.as_mut()),
                    None => None,
                };
                let a = self
                    .engine
                    .ask(&q, generator, &opts, &mut |_| true)
                    .map_err(failed)?;
                Ok(a.answer)
            }
            "verify_citations" => {
                let t = arg("text")?;
                Ok(pretty(&wire::verify_response(
                    &self.engine.verify_citations(&t),
                )))
            }
            "assess_incident" => {
                let t = arg("text")?;
                let a = self
                    .engine
                    .assess(&emkg_engine::assess::IncidentInput::Text(t))
                    .map_err(failed)?;
                Ok(pretty(&crate::wire_assess::assessment(&a)))
            }
            "assess_risk" => {
                let t = arg("text")?;
                let r = self.engine.assess_risk(&t).map_err(failed)?;
                Ok(pretty(&crate::wire_assess::risk(&r)))
            }
            _ => Err(CallError::Unknown),
        }
    }
}

enum CallError {
    Unknown,
    Failed(String),
}

/// A wire value as pretty JSON text.
fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("结果无法序列化：{e}"))
}

fn result(id: Value, r: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": r})
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_get_errors_and_the_session_goes_on() {
        let mut input: Vec<u8> = b"\xff\xfe not json\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        input.extend(b"\n{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}\n");
        // No engine is needed for these messages: handle() is reached only
        // for the ping, which touches none.
        let replies = errors_and_pings(&input);
        assert_eq!(replies.len(), 3, "{replies:?}");
        assert_eq!(replies[0]["error"]["code"], -32700);
        assert_eq!(replies[1]["error"]["code"], -32600);
        assert_eq!(replies[2]["id"], 7);
        assert!(replies[2]["result"].is_object());
    }

    /// Runs `input` through a server over an empty data directory.
    fn errors_and_pings(input: &[u8]) -> Vec<Value> {
        let t = tempfile::tempdir().unwrap();
        let engine = Engine::open_for_write(t.path()).unwrap();
        let mut s = McpServer {
            engine,
            generator: None,
            clearance: emkg_engine::access::Access::Public,
        };
        let mut out = Vec::new();
        s.run(input, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn every_tool_declares_an_object_schema_with_its_required_fields() {
        let t = tools();
        let names: Vec<&str> = t
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "search",
                "ask",
                "verify_citations",
                "assess_incident",
                "assess_risk"
            ]
        );
        for x in t.as_array().unwrap() {
            assert_eq!(x["inputSchema"]["type"], "object");
            let req = x["inputSchema"]["required"].as_array().unwrap();
            for r in req {
                assert!(x["inputSchema"]["properties"][r.as_str().unwrap()].is_object());
            }
        }
    }
}
