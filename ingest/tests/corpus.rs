//! Parses the real corpus in ../shared/corpus (present in CI) and checks the
//! structure: every law's articles are exactly 1..max, the national plan's
//! numbered sections and heading paths. Skips with a message when the corpus
//! is absent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use emkg_ingest::{load_file, IngestOptions};
use emkg_ontology::{DocKind, UnitKind};
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    emkg_testkit::shared_corpus().filter(|p| p.join("laws").is_dir())
}

#[test]
fn every_law_has_articles_one_to_max() {
    let root = emkg_testkit::require!(
        corpus(),
        "every_law_has_articles_one_to_max",
        "../shared/corpus not present"
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("laws"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 57, "expected the 57 law files");
    let mut failures = Vec::new();
    let mut sectioned = Vec::new();
    for f in &files {
        let loaded = load_file(f, &IngestOptions::default()).unwrap();
        let doc = &loaded.documents[0];
        let nums: Vec<u32> = doc
            .articles()
            .filter(|a| a.article_suffix.is_none())
            .map(|a| a.article.unwrap())
            .collect();
        if nums.is_empty() {
            // Policy documents (意见/通知) have no 条: they must parse into 一、（一） sections.
            let secs = doc
                .units
                .iter()
                .filter(|u| u.kind == UnitKind::Section)
                .count();
            assert!(secs >= 3, "{}: neither articles nor sections", f.display());
            assert!(
                matches!(doc.kind, DocKind::NormativeDoc),
                "{}: kind {:?} without articles",
                f.display(),
                doc.kind
            );
            sectioned.push(doc.title.clone());
            continue;
        }
        let max = *nums.iter().max().unwrap();
        let expected: Vec<u32> = (1..=max).collect();
        if nums != expected {
            failures.push(format!("{} ({}): {:?}", f.display(), doc.title, nums));
        }
        // Units have unique ids and their text is the text of their span.
        let mut ids = std::collections::HashSet::new();
        for u in &doc.units {
            assert!(ids.insert(u.id.clone()), "duplicate id {}", u.id);
            assert_eq!(doc.slice(u.span), u.text, "span of {}", u.id);
        }
    }
    assert!(
        failures.is_empty(),
        "article numbering broken:\n{}",
        failures.join("\n")
    );
    sectioned.sort();
    assert_eq!(
        sectioned,
        vec![
            "中共中央国务院关于推进安全生产领域改革发展的意见",
            "国务院关于全面加强应急管理工作的意见",
            "国务院办公厅关于加强基层应急队伍建设的意见",
            "国务院安委会关于进一步加强生产安全事故应急处置工作的通知",
        ]
    );
}

#[test]
fn titles_and_kinds_of_the_corpus() {
    let root = emkg_testkit::require!(
        corpus(),
        "titles_and_kinds_of_the_corpus",
        "../shared/corpus not present"
    );
    let check = |file: &str, title: &str, kind: DocKind| {
        let d = load_file(&root.join(file), &IngestOptions::default())
            .unwrap()
            .documents
            .remove(0);
        assert_eq!(d.title, title, "{file}");
        assert_eq!(d.kind, kind, "{file}");
        d
    };
    let d = check(
        "laws/anquan_shengchan_fa.md",
        "中华人民共和国安全生产法",
        DocKind::Law,
    );
    assert_eq!(d.version.as_deref(), Some("2021-06-10"));
    // The text itself only states the original 施行 date (第一百一十九条).
    assert_eq!(d.dates.effective.as_deref(), Some("2002-11-01"));
    let a21 = d.unit("anquan_shengchan_fa#art21").unwrap();
    assert_eq!(a21.heading_path, vec!["第二章 生产经营单位的安全生产保障"]);
    assert!(a21.text.starts_with("第二十一条"));
    check(
        "laws/gaoceng_minyong_jianzhu_xiaofang_anquan_guanli_guiding.md",
        "高层民用建筑消防安全管理规定",
        DocKind::DeptRule,
    );
    check(
        "laws/weixian_huaxuepin_anquan_guanli_tiaoli.md",
        "危险化学品安全管理条例",
        DocKind::AdminRegulation,
    );
    check(
        "laws/sh_xiaofang_tiaoli.md",
        "上海市消防条例",
        DocKind::LocalRegulation,
    );
    let d = check(
        "laws/tufa_shijian_yingji_yuan_guanli_banfa.md",
        "突发事件应急预案管理办法",
        DocKind::NormativeDoc,
    );
    assert_eq!(d.doc_number.as_deref(), Some("国办发〔2024〕5号"));
    check(
        "laws/jiguan_tuanti_qiye_shiye_danwei_xiaofang_anquan_guanli_guiding.md",
        "机关、团体、企业、事业单位消防安全管理规定",
        DocKind::DeptRule,
    );
    check(
        "laws/anquan_shengchan_weifa_xingwei_xingzheng_chufa_banfa.md",
        "安全生产违法行为行政处罚办法",
        DocKind::DeptRule,
    );
    check(
        "plans/guojia_tufa_shijian_zongti_yingji_yuan_2025.md",
        "国家突发事件总体应急预案",
        DocKind::Plan,
    );
}

#[test]
fn page_break_in_the_real_corpus_is_rejoined() {
    let root = emkg_testkit::require!(
        corpus(),
        "page_break_in_the_real_corpus_is_rejoined",
        "../shared/corpus not present"
    );
    let d = load_file(
        &root.join("laws/jiguan_tuanti_qiye_shiye_danwei_xiaofang_anquan_guanli_guiding.md"),
        &IngestOptions::default(),
    )
    .unwrap()
    .documents
    .remove(0);
    let a4 = d.articles().find(|a| a.article == Some(4)).unwrap();
    assert!(a4.text.contains("全面负责。"), "{}", a4.text);
    assert!(!d.text.contains("- 1 -"));
}

#[test]
fn national_plan_sections() {
    let root = emkg_testkit::require!(
        corpus(),
        "national_plan_sections",
        "../shared/corpus not present"
    );
    let d = load_file(
        &root.join("plans/guojia_tufa_shijian_zongti_yingji_yuan_2025.md"),
        &IngestOptions::default(),
    )
    .unwrap()
    .documents
    .remove(0);
    let secs: Vec<&str> = d
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Section)
        .filter_map(|u| u.section.as_deref())
        .filter(|s| !s.is_empty())
        .collect();
    for want in [
        "1", "1.1", "1.4", "2", "2.1", "3", "3.2", "3.2.2", "4", "5", "5.6",
    ] {
        assert!(secs.contains(&want), "section {want} missing: {secs:?}");
    }
    let s = d
        .units
        .iter()
        .find(|u| u.section.as_deref() == Some("3.2.2"))
        .unwrap();
    assert_eq!(s.id, format!("{}#sec3.2.2", d.id));
    assert_eq!(s.heading_path.len(), 2, "{:?}", s.heading_path);
    assert!(s.heading_path[0].starts_with("3 "), "{:?}", s.heading_path);
    assert!(
        s.heading_path[1].starts_with("3.2 "),
        "{:?}",
        s.heading_path
    );
    let s13 = d
        .units
        .iter()
        .find(|u| u.section.as_deref() == Some("1.3"))
        .unwrap();
    assert_eq!(s13.heading.as_deref(), Some("突发事件分类分级"));
    assert_eq!(s13.heading_path, vec!["1 总则"]);
    // (1)…(4) under 1.3 are its children, not chunks of their own.
    let kids: Vec<_> = d
        .units
        .iter()
        .filter(|u| u.section.as_deref().is_some_and(|s| s.starts_with("1.3.")))
        .collect();
    assert_eq!(kids.len(), 4);
    assert!(kids.iter().all(|k| !k.chunk));
    // Numbered sections are consecutive within each parent.
    let tops: Vec<&str> = secs.iter().copied().filter(|s| !s.contains('.')).collect();
    let expected: Vec<String> = (1..=tops.len()).map(|i| i.to_string()).collect();
    assert_eq!(tops, expected);
}

/// Every law of the corpus is titled by its own heading: the last bold
/// heading line(s) before its first article (a title split over lines is
/// joined), never a signature, a date or the order that published it.
#[test]
fn every_title_is_the_documents_own_heading() {
    let root = emkg_testkit::require!(
        corpus(),
        "every_title_is_the_documents_own_heading",
        "../shared/corpus not present"
    );
    let mut checked = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("laws"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    for f in &files {
        let raw = std::fs::read_to_string(f).unwrap();
        let d = load_file(f, &IngestOptions::default())
            .unwrap()
            .documents
            .remove(0);
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            emkg_ingest::meta::find_dates(&d.title).is_empty(),
            "{name}: a date in the title {}",
            d.title
        );
        // The heading right above the body, from the file itself.
        let mut groups: Vec<String> = Vec::new();
        let mut open = false;
        let mut reached_body = false;
        for line in raw.lines() {
            let t = line.trim();
            let clean: String = t.chars().filter(|c| *c != '*' && *c != '#').collect();
            let clean = clean.trim();
            if emkg_ingest::structure::article_start(clean).is_some_and(|a| a.number == 1) {
                reached_body = true;
                break;
            }
            if t.is_empty() {
                continue;
            }
            let bold = t.starts_with("**") && t.ends_with("**") || t.starts_with('#');
            let container = emkg_ingest::structure::container_heading(clean).is_some()
                || clean.replace([' ', '\u{3000}'], "") == "目录";
            if bold && !container {
                if open {
                    if let Some(g) = groups.last_mut() {
                        g.push_str(clean);
                    }
                } else {
                    groups.push(clean.to_string());
                }
                open = true;
            } else {
                open = false;
            }
        }
        // Only texts with articles have a heading right above their body.
        let Some(heading) = groups.last().filter(|_| reached_body) else {
            continue;
        };
        let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let (h, t) = (squash(heading), squash(&d.title));
        assert!(
            h == t || h.contains(&format!("《{t}》")),
            "{name}: title {:?}, own heading {heading:?}",
            d.title
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} laws had a bold heading");
}
