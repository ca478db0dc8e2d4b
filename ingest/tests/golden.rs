//! Golden tests: each input under tests/data/golden/ is parsed and compared
//! with `<name>.expected.json` beside it (title, kind, encoding, units,
//! references — or the error). Set `UPDATE_GOLDEN=1` to rewrite the expected
//! files, then review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use emkg_ingest::{load_file, IngestOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden")
}

fn outline(path: &Path) -> Value {
    match load_file(path, &IngestOptions::default()) {
        Err(e) => json!({ "error": e.to_string().replace(&dir().display().to_string(), "<dir>") }),
        Ok(loaded) => {
            let d = &loaded.documents[0];
            json!({
                "title": d.title,
                "kind": d.kind.as_str(),
                "encoding": d.source.encoding,
                "units": d.units.iter().map(|u| json!({
                    "id": u.id,
                    "kind": u.kind.as_str(),
                    "label": u.label,
                    "heading": u.heading,
                    "heading_path": u.heading_path,
                    "article": u.article,
                    "clause": u.clause,
                    "item": u.item,
                    "section": u.section,
                    "chunk": u.chunk,
                    "text": u.text,
                })).collect::<Vec<_>>(),
                "xrefs": d.xrefs.iter().map(|r| json!({
                    "from": r.from, "raw": r.raw, "doc_title": r.doc_title,
                    "article": r.article, "clause": r.clause, "item": r.item, "resolved": r.resolved,
                })).collect::<Vec<_>>(),
            })
        }
    }
}

fn check(name: &str) -> Value {
    let input = dir().join(name);
    let expected_path = dir().join(format!("{name}.expected.json"));
    let got = outline(&input);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(
            &expected_path,
            serde_json::to_string_pretty(&got).unwrap() + "\n",
        )
        .unwrap();
    }
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display())),
    )
    .unwrap();
    assert_eq!(
        got, expected,
        "golden mismatch for {name}; rerun with UPDATE_GOLDEN=1 and review"
    );
    got
}

fn ids(v: &Value) -> Vec<String> {
    v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

fn unit<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .unwrap_or_else(|| panic!("no unit {id}"))
}

#[test]
fn page_break_rejoin() {
    let v = check("page_break.md");
    let a2 = unit(&v, "page_break#art2");
    assert!(a2["text"].as_str().unwrap().ends_with("全面负责。"));
    assert_eq!(
        unit(&v, "page_break#art3.c1.i1")["text"],
        "(一)制定消防安全制度;"
    );
    assert_eq!(
        unit(&v, "page_break#art3.c1.i2")["text"],
        "(二)组织防火检查，及时消除火灾隐患。"
    );
    assert_eq!(
        ids(&v)
            .iter()
            .filter(|i| i.contains("#art") && !i.contains('.'))
            .count(),
        4
    );
}

#[test]
fn cross_reference_inside_body_text() {
    let v = check("xref_in_body.md");
    // 第十条规定的情形除外 is a 款 of 第二条, not a new article.
    let arts: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| !i.contains('.') && i.contains("#art"))
        .collect();
    assert_eq!(
        arts,
        vec![
            "xref_in_body#art1",
            "xref_in_body#art2",
            "xref_in_body#art3",
            "xref_in_body#art4"
        ]
    );
    assert_eq!(
        unit(&v, "xref_in_body#art2.c2")["text"],
        "第十条规定的情形除外。"
    );
    let x = v["xrefs"].as_array().unwrap();
    let find = |raw: &str| {
        x.iter()
            .find(|r| r["raw"] == raw)
            .unwrap_or_else(|| panic!("no ref {raw}"))
    };
    assert_eq!(
        find("《中华人民共和国消防法》第十六条")["doc_title"],
        "中华人民共和国消防法"
    );
    assert_eq!(find("本条例第二条")["resolved"], "xref_in_body#art2");
    assert_eq!(find("第四条")["resolved"], "xref_in_body#art4");
    assert_eq!(find("前款")["resolved"], "xref_in_body#art3.c1");
    assert_eq!(find("本条第一款")["resolved"], "xref_in_body#art3.c1");
    let r = find("本条例第二条第一款第（一）项");
    assert_eq!(
        (
            r["article"].as_u64(),
            r["clause"].as_u64(),
            r["item"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(r["resolved"], "xref_in_body#art2.c1");
}

#[test]
fn article_and_text_on_one_line() {
    let v = check("same_line.md");
    assert_eq!(v["title"], "某市安全生产示例办法");
    assert_eq!(
        unit(&v, "same_line#art1.c1")["text"],
        "为了加强安全生产工作，制定本办法。"
    );
    assert_eq!(
        unit(&v, "same_line#art2.c1")["text"],
        "本办法适用于本市行政区域内的生产经营单位。"
    );
    assert_eq!(
        unit(&v, "same_line#art4")["text"],
        "第四条 本办法自2025年1月1日起施行。"
    );
    assert_eq!(
        unit(&v, "same_line#art1")["heading_path"],
        json!(["第一章 总则"])
    );
}

#[test]
fn zhiyi_articles() {
    let v = check("zhiyi.md");
    let arts: Vec<String> = ids(&v).into_iter().filter(|i| !i.contains('.')).collect();
    assert_eq!(
        arts,
        vec![
            "zhiyi#art16",
            "zhiyi#art17",
            "zhiyi#art17-1",
            "zhiyi#art17-2",
            "zhiyi#art18"
        ]
    );
    assert_eq!(unit(&v, "zhiyi#art17-1")["article"], 17);
}

#[test]
fn kuan_split() {
    let v = check("kuan_split.md");
    let a1: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.starts_with("kuan_split#art1."))
        .collect();
    assert_eq!(
        a1,
        vec![
            "kuan_split#art1.c1",
            "kuan_split#art1.c2",
            "kuan_split#art1.c2.i1",
            "kuan_split#art1.c2.i2",
            "kuan_split#art1.c2.i3",
            "kuan_split#art1.c2.i3.m1",
            "kuan_split#art1.c2.i3.m2",
            "kuan_split#art1.c3",
        ]
    );
    assert_eq!(
        unit(&v, "kuan_split#art1.c3")["text"],
        "乡镇人民政府、街道办事处应当明确应急管理工作人员。"
    );
}

#[test]
fn dotted_cross_reference_is_not_a_heading() {
    let v = check("plan_dotted_ref.md");
    let secs: Vec<String> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["section"].as_str().map(String::from))
        .collect();
    assert_eq!(secs, vec!["1", "1.1", "1.2", "2", "2.1", "2.1.1", "2.1.2"]);
    assert!(unit(&v, "plan_dotted_ref#sec1.2")["text"]
        .as_str()
        .unwrap()
        .contains("11.5.14.2 的试验"));
}

#[test]
fn gbk_file() {
    let v = check("gbk_law.txt");
    assert_eq!(v["encoding"], "GBK");
    assert_eq!(v["title"], "示例编码条例");
    assert_eq!(
        unit(&v, "gbk_law#art2")["text"],
        "第二条　消防工作贯彻预防为主、防消结合的方针。"
    );
}

#[test]
fn utf16_file() {
    let v = check("utf16_law.txt");
    assert_eq!(v["encoding"], "UTF-16LE");
    assert_eq!(v["title"], "示例双字节条例");
    assert_eq!(ids(&v).len(), 4);
}

#[test]
fn bad_docx() {
    let v = check("bad.docx");
    assert!(v["error"]
        .as_str()
        .unwrap()
        .contains("不是有效的 .docx 文件"));
}

#[test]
fn good_docx() {
    let v = check("good.docx");
    assert_eq!(v["title"], "示例Word规定");
    assert_eq!(
        unit(&v, "good#art2.c1")["text"],
        "本规定<试行>自印发之日起施行。"
    );
}
