//! Integrity under failure, through the real binary: ingest killed (SIGKILL)
//! at random moments must leave every document in exactly its old or its
//! new state with all stores agreeing (`emkg check` clean), and the
//! data-directory lock keeps a writer away from a reader (and back).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{emkg, run};

/// A regulation-like document of `n` articles; the first names its
/// version (本规定为乙版第3号), the others differ between versions too.
fn regulation(i: usize, version: &str, n: usize) -> String {
    let mut s = format!("# 示例安全管理规定第{i}号\n\n第1条 本规定为{version}版第{i}号。\n\n");
    for a in 2..=n {
        s.push_str(&format!(
            "第{a}条 生产经营单位应当落实第{i}号规定第{a}项{version}类安全措施，\
             发现事故隐患应当立即报告本单位负责人。\n\n"
        ));
    }
    s
}

/// Writes version `v` ("甲" or "乙") of the corpus: 24 documents in both
/// versions (the even ones change between them), and 8 only in 乙.
fn write_corpus(dir: &Path, v: &str) -> BTreeMap<String, String> {
    let mut hashes = BTreeMap::new();
    let total = if v == "甲" { 24 } else { 32 };
    for i in 0..total {
        let version = if i % 2 == 0 { v } else { "甲" };
        let text = regulation(i, version, 40);
        let name = format!("reg{i:02}.md");
        std::fs::write(dir.join(&name), &text).unwrap();
        hashes.insert(name, hex(&Sha256::digest(text.as_bytes())));
    }
    // Files of 乙 only disappear again when the corpus goes back to 甲
    // (they stay stored: ingest without --prune keeps them).
    if v == "甲" {
        for i in 24..32 {
            let _ = std::fs::remove_file(dir.join(format!("reg{i:02}.md")));
        }
    }
    hashes
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn catalog(data: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(data.join("catalog.json")).unwrap()).unwrap()
}

/// A tiny deterministic generator (no rand dependency); the seed is printed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// Whether a killed ingest left work for recovery: document files the
/// catalog does not name, or an index committed past the catalog.
fn torn_state(data: &Path) -> bool {
    let cat = catalog(data);
    let generation = cat["generation"].as_u64().unwrap_or(0);
    let named: BTreeSet<String> = cat["docs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, e)| match e["rev"].as_u64().unwrap_or(0) {
            0 => format!("{id}.json"),
            r => format!("{id}@{r}.json"),
        })
        .collect();
    let orphans = std::fs::read_dir(data.join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .any(|n| n.ends_with(".json") && !n.starts_with('.') && !named.contains(&n));
    let index_ahead = std::fs::read(data.join("index/meta.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|m| m["payload"].as_str().and_then(|p| p.parse::<u64>().ok()))
        .is_some_and(|g| g != generation);
    orphans || index_ahead
}

fn check_clean(data: &str, context: &str) {
    let out = run(&["check", "--data", data, "--json", "--embedder", "none"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{context}: check printed no JSON ({e}): {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        out.status.success() && v["check"]["clean"] == true,
        "{context}: {v:#}"
    );
}

#[test]
fn ingest_killed_at_random_points_leaves_old_or_new_state() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let data = t.path().join("data");
    let d = data.display().to_string();
    let s = src.display().to_string();
    let mut versions: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    versions.insert("甲", write_corpus(&src, "甲"));

    // A full ingest first, timed: kills land anywhere within such a run.
    let started = Instant::now();
    let out = run(&["ingest", &s, "--data", &d, "--embedder", "none"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let full = started.elapsed();
    check_clean(&d, "after the first ingest");

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}, full ingest {full:?}");
    let mut rng = Lcg(seed);
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut iterations = 0;
    let mut interrupted = 0;
    let mut torn = 0;
    while iterations < 30 && Instant::now() < deadline {
        let v = if iterations % 2 == 0 { "乙" } else { "甲" };
        let hashes = write_corpus(&src, v);
        versions.insert(v, hashes);
        let mut child = emkg()
            .args(["ingest", &s, "--data", &d, "--embedder", "none"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Anywhere from before the first write to after the last.
        let ms = rng.next() % (full.as_millis() as u64 * 12 / 10 + 20);
        std::thread::sleep(Duration::from_millis(ms));
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        iterations += 1;
        // Was the store left torn (before any open repairs it)? Files of the
        // uncommitted batch, or an index stamped ahead of the catalog.
        if torn_state(&data) {
            torn += 1;
        }

        // The next open recovers; then every store agrees with the catalog.
        check_clean(
            &d,
            &format!("iteration {iterations} (killed after {ms} ms)"),
        );
        // Each stored source is in one whole version: its catalog hash is
        // that of the 甲 or the 乙 bytes, its file holds that version, and
        // the index serves that version's text.
        let cat = catalog(&data);
        let docs = cat["docs"].as_object().unwrap();
        assert!(docs.len() >= 24, "documents lost: {}", docs.len());
        let mut in_b: BTreeSet<String> = BTreeSet::new();
        for (id, e) in docs {
            let key = e["source_key"].as_str().unwrap();
            let name = Path::new(key)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let hash = e["content_hash"].as_str().unwrap();
            let known: Vec<&str> = versions
                .iter()
                .filter(|(_, h)| h.get(&name).map(String::as_str) == Some(hash))
                .map(|(v, _)| *v)
                .collect();
            assert!(!known.is_empty(), "{id} ({name}) holds neither version");
            let rev = e["rev"].as_u64().unwrap_or(0);
            let file = if rev == 0 {
                data.join("docs").join(format!("{id}.json"))
            } else {
                data.join("docs").join(format!("{id}@{rev}.json"))
            };
            let stored: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            assert_eq!(stored["content_hash"].as_str(), Some(hash), "{id}");
            let text = stored["text"].as_str().unwrap();
            let i: usize = name[3..5].parse().unwrap();
            if text.contains(&format!("为乙版第{i}号")) {
                in_b.insert(id.clone());
            }
        }
        // The index agrees on content: the 乙 marker finds exactly the
        // documents whose stored version is 乙 (k covers every first article).
        let out = run(&[
            "search",
            "本规定为乙版",
            "--data",
            &d,
            "-k",
            "200",
            "--json",
            "--embedder",
            "none",
            "--retrievers",
            "bm25",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let hits: Value = serde_json::from_slice(&out.stdout).unwrap();
        let found: BTreeSet<String> = hits["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["text"].as_str().is_some_and(|t| t.contains("为乙版")))
            .map(|h| h["doc_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            found, in_b,
            "iteration {iterations}: index vs stored versions"
        );
    }
    assert!(
        iterations >= 20,
        "only {iterations} iterations in the time bound"
    );
    assert!(
        interrupted >= 5,
        "only {interrupted} kills landed mid-ingest"
    );
    eprintln!("{iterations} kills, {interrupted} mid-run, {torn} left a torn store");
    assert!(
        torn >= 3,
        "only {torn} kills left a torn store to recover from"
    );

    // Finally a run to completion: the newest version everywhere.
    let hashes = write_corpus(&src, "乙");
    let out = run(&["ingest", &s, "--data", &d, "--embedder", "none"]);
    assert!(out.status.success());
    check_clean(&d, "after the final ingest");
    let cat = catalog(&data);
    for e in cat["docs"].as_object().unwrap().values() {
        let key = e["source_key"].as_str().unwrap();
        let name = Path::new(key)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert_eq!(
            e["content_hash"].as_str(),
            hashes.get(&name).map(String::as_str)
        );
    }
}

#[test]
fn a_writer_is_refused_beside_a_reader_and_readers_beside_a_writer() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    write_corpus(&src, "甲");
    let d = t.path().join("data").display().to_string();
    let s = src.display().to_string();
    assert!(run(&["ingest", &s, "--data", &d, "--embedder", "none"])
        .status
        .success());

    // A server holds the directory as its one writer: ingest is refused,
    // naming it, and so is a reader (it would read under the server's
    // writes).
    let mut server = emkg()
        .args([
            "serve",
            "--data",
            &d,
            "--addr",
            "127.0.0.1:0",
            "--embedder",
            "none",
            "--generator",
            "none",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
        assert!(lines.next().is_some(), "server started");
        // Keep draining stdout so the server never writes to a closed pipe.
        std::thread::spawn(move || for _ in lines {});
    }
    write_corpus(&src, "乙");
    let out = run(&["ingest", &s, "--data", &d, "--embedder", "none"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("正在被"), "{err}");
    assert!(
        err.contains(&server.id().to_string()),
        "names the server: {err}"
    );
    assert!(err.contains("serve"), "{err}");
    let out = run(&["search", "安全措施", "--data", &d, "--embedder", "none"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&server.id().to_string()),
        "names the server: {err}"
    );
    let _ = server.kill();
    let _ = server.wait();

    // Readers share: a search beside a running reader (the MCP server holds
    // the directory open while its client is connected) works; a writer
    // beside it is refused.
    let mut mcp = emkg()
        .args([
            "mcp",
            "--data",
            &d,
            "--embedder",
            "none",
            "--generator",
            "none",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(mcp.stderr.take().unwrap()).lines();
        assert!(
            lines
                .next()
                .is_some_and(|l| l.is_ok_and(|l| l.contains("就绪"))),
            "mcp started"
        );
        std::thread::spawn(move || for _ in lines {});
    }
    assert!(
        run(&["search", "安全措施", "--data", &d, "--embedder", "none"])
            .status
            .success()
    );
    let out = run(&["ingest", &s, "--data", &d, "--embedder", "none"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&mcp.id().to_string()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(mcp.stdin.take());
    let _ = mcp.wait();

    // While a writer holds the lock, a reader is refused with the same
    // kind of message — or, if the writer finished first, served the
    // committed state. Either way never a half-written one.
    let mut writer = emkg()
        .args(["ingest", &s, "--data", &d, "--embedder", "none"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Readers start once the writer holds the lock (its holder note is
    // there), so that the writer is not itself refused beside a reader.
    let notes = t.path().join("data").join(".holders");
    while writer.try_wait().unwrap().is_none() {
        let held = std::fs::read_dir(&notes)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|s| s.contains("ingest")));
        if held {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut refused = 0;
    let mut served = 0;
    while writer.try_wait().unwrap().is_none() {
        let out = run(&[
            "search",
            "安全措施",
            "--data",
            &d,
            "--embedder",
            "none",
            "--json",
        ]);
        if out.status.success() {
            served += 1;
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("正在被") && err.contains("ingest"), "{err}");
            refused += 1;
        }
    }
    assert!(writer.wait().unwrap().success());
    eprintln!("beside the writer: {refused} refused, {served} served");
    assert!(
        refused >= 1,
        "no reader was refused while the writer held the lock"
    );
    check_clean(&d, "after the lock test");

    // A source deleted from the folder goes with --prune (and only then);
    // `remove` takes a document id or a source path.
    std::fs::remove_file(src.join("reg03.md")).unwrap();
    let before = catalog(&t.path().join("data"))["docs"]
        .as_object()
        .unwrap()
        .len();
    assert!(run(&["ingest", &s, "--data", &d, "--embedder", "none"])
        .status
        .success());
    assert_eq!(
        catalog(&t.path().join("data"))["docs"]
            .as_object()
            .unwrap()
            .len(),
        before
    );
    let out = run(&[
        "ingest",
        &s,
        "--data",
        &d,
        "--embedder",
        "none",
        "--prune",
        "--json",
    ]);
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["documents_removed"],
        serde_json::json!(["reg03"]),
        "{r:#}"
    );
    let docs = catalog(&t.path().join("data"))["docs"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(docs.len(), before - 1);
    assert!(!docs.contains_key("reg03"));
    let out = run(&[
        "remove",
        "reg05",
        &src.join("reg07.md").display().to_string(),
        "--data",
        &d,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = catalog(&t.path().join("data"))["docs"]
        .as_object()
        .unwrap()
        .clone();
    assert!(!docs.contains_key("reg05") && !docs.contains_key("reg07"));
    let out = run(&["remove", "no-such-document", "--data", &d]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("文档已被删除或从未导入"));
    assert_eq!(
        catalog(&t.path().join("data"))["docs"]
            .as_object()
            .unwrap()
            .len(),
        before - 3
    );
    check_clean(&d, "after prune and remove");
}

/// A minimal .docx holding `xml` as word/document.xml.
fn docx(xml_parts: &mut dyn FnMut(&mut dyn std::io::Write)) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("[Content_Types].xml", opts).unwrap();
        z.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
        z.start_file("word/document.xml", opts).unwrap();
        xml_parts(&mut z);
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn bad_inputs_get_their_own_errors_and_the_batch_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("data").display().to_string();
    // A document already stored, which nothing below may disturb.
    let keep = t.path().join("keep");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::write(keep.join("keep.md"), regulation(90, "甲", 5)).unwrap();
    assert!(run(&[
        "ingest",
        &keep.display().to_string(),
        "--data",
        &d,
        "--embedder",
        "none"
    ])
    .status
    .success());

    let bad = t.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("good.md"), regulation(91, "甲", 3)).unwrap();
    let body = "<w:document><w:body><w:p><w:r><w:t>某单位安全管理办法</w:t></w:r></w:p>\
                <w:p><w:r><w:t>第一条 为了加强安全管理，制定本办法。</w:t></w:r></w:p></w:body></w:document>";
    let whole = docx(&mut |w| w.write_all(body.as_bytes()).unwrap());
    std::fs::write(bad.join("truncated.docx"), &whole[..whole.len() / 2]).unwrap();
    // 210 MB of zeros inflate from a few hundred KB.
    let bomb = docx(&mut |w| {
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..210 {
            w.write_all(&zeros).unwrap();
        }
    });
    assert!(bomb.len() < 2 << 20, "bomb is {} bytes", bomb.len());
    std::fs::write(bad.join("bomb.docx"), &bomb).unwrap();
    // GBK bytes under a page that claims UTF-8.
    let (gbk, _, _) = encoding_rs::GBK.encode(
        "<html><head><meta charset=\"utf-8\"><title>某市危险化学品安全管理规定</title></head>\
         <body><h1>某市危险化学品安全管理规定</h1><p>第一条 为了加强危险化学品的安全管理，制定本规定。</p>\
         <p>第二条 危险化学品单位应当建立安全管理制度。</p></body></html>",
    );
    std::fs::write(bad.join("gbk_as_utf8.html"), &gbk).unwrap();
    // Deeply nested HTML.
    let mut nested = String::from("<html><body>");
    nested.push_str(&"<div>".repeat(100_000));
    nested.push_str("第一条 深层嵌套的条文内容。");
    nested.push_str(&"</div>".repeat(100_000));
    nested.push_str("</body></html>");
    std::fs::write(bad.join("nested.html"), nested).unwrap();
    // Zero-width and full-width characters inside article labels; control
    // characters in the text.
    std::fs::write(
        bad.join("odd_labels.md"),
        "# 某区有限空间作业安全规定\n\n第\u{200b}一条 为了规范有限空间作业，制定本规定。\n\n\
         第２条 作业前应当\u{0007}进行通风和气体检测。\n\n第三\u{200d}条 未经检测不得进入。\n",
    )
    .unwrap();
    // A 50 MB file of one line.
    std::fs::write(
        bad.join("one_line.txt"),
        "安全生产".repeat(50 * 1024 * 1024 / 12),
    )
    .unwrap();
    // A symlink loop.
    #[cfg(unix)]
    std::os::unix::fs::symlink(&bad, bad.join("loop")).unwrap();

    let started = Instant::now();
    let out = run(&[
        "ingest",
        &bad.display().to_string(),
        "--data",
        &d,
        "--json",
        "--embedder",
        "none",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("bad-input batch ingested in {:?}", started.elapsed());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = r["files"].as_array().unwrap();
    let file = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not reported: {r:#}"))
    };
    // The symlink loop was walked once: each file reported once.
    assert_eq!(
        files
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with("good.md"))
            .count(),
        1
    );
    assert_eq!(file("good.md")["status"], "ok");
    let err = |name: &str| file(name)["error"].as_str().unwrap_or("").to_string();
    assert_eq!(file("truncated.docx")["status"], "skipped");
    // The reader's own words (the path alone holds "docx").
    let t_err = err("truncated.docx");
    assert!(
        t_err.contains("zip") || t_err.contains("document.xml"),
        "{t_err}"
    );
    assert_eq!(file("bomb.docx")["status"], "skipped");
    assert!(
        err("bomb.docx").contains("压缩炸弹"),
        "{}",
        err("bomb.docx")
    );
    assert_eq!(
        file("gbk_as_utf8.html")["status"],
        "ok",
        "{}",
        err("gbk_as_utf8.html")
    );
    assert_eq!(
        file("gbk_as_utf8.html")["documents"][0]["title"],
        "某市危险化学品安全管理规定"
    );
    assert_eq!(
        file("nested.html")["status"],
        "ok",
        "{}",
        err("nested.html")
    );
    assert_eq!(file("odd_labels.md")["status"], "ok");
    // The one-line file: parsed or refused, but reported on its own.
    let one = file("one_line.txt");
    assert!(one["status"] == "ok" || !err("one_line.txt").is_empty());

    // The labels parsed despite the odd characters: articles 1, 2, 3.
    let out = run(&[
        "search",
        "有限空间作业 通风 检测",
        "--data",
        &d,
        "--json",
        "-k",
        "10",
        "--embedder",
        "none",
    ]);
    let hits: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arts: BTreeSet<u64> = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["doc_title"] == "某区有限空间作业安全规定")
        .filter_map(|h| h["article"].as_u64())
        .collect();
    assert_eq!(arts, BTreeSet::from([1, 2, 3]), "{hits:#}");
    assert!(hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| !h["text"].as_str().unwrap().contains('\u{7}')));
    // Nothing stored before was lost, and the stores agree.
    let out = run(&[
        "search",
        "本规定为甲版第90号",
        "--data",
        &d,
        "--json",
        "--embedder",
        "none",
    ]);
    let hits: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(hits["hits"][0]["text"]
        .as_str()
        .unwrap()
        .contains("甲版第90号"));
    check_clean(&d, "after the bad-input batch");
}
