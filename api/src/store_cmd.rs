//! `emkg remove`, `emkg check [--repair]`, `emkg reindex`: thin drivers of
//! the engine's store maintenance.

use crate::setup;
use anyhow::{Context, Result};
use emkg_engine::Engine;
use std::path::Path;

fn open_write(data: &Path) -> Result<Engine> {
    Engine::open_for_write(data).with_context(|| format!("无法打开数据目录 {}", data.display()))
}

pub fn remove(targets: &[String], data: &Path) -> Result<()> {
    let mut engine = open_write(data)?;
    let removed = engine.remove(targets)?;
    println!("已删除 {} 个文档：", removed.len());
    for d in &removed {
        println!("  {}《{}》", d.id, d.title);
    }
    Ok(())
}

pub fn check(data: &Path, repair: bool, json: bool, models: &setup::ModelArgs) -> Result<()> {
    let cfg = models.config()?;
    let mut engine = if repair {
        open_write(data)?
    } else {
        Engine::open(data).with_context(|| format!("无法打开数据目录 {}", data.display()))?
    };
    models.attach(&mut engine, &cfg)?;
    let report = engine.check()?;
    let repaired = if repair && !report.is_clean() {
        Some(engine.repair()?)
    } else {
        None
    };
    let after = match &repaired {
        Some(_) => Some(engine.check()?),
        None => None,
    };
    if json {
        let f = |r: &emkg_engine::integrity::CheckReport| {
            serde_json::json!({
                "clean": r.is_clean(),
                "generation": r.generation,
                "documents": r.documents,
                "chunks": r.chunks,
                "findings": r.findings.iter().map(|f| serde_json::json!({
                    "store": f.store, "doc_id": f.doc_id, "problem": f.problem,
                })).collect::<Vec<_>>(),
                "unchecked": r.unchecked.iter().map(|(s, w)| serde_json::json!({"store": s, "why": w})).collect::<Vec<_>>(),
                "pending_cleanup": r.pending_cleanup,
                "recovered_at_open": r.recovered_at_open,
            })
        };
        let mut v = serde_json::json!({ "check": f(&report) });
        if let (Some(rep), Some(a)) = (&repaired, &after) {
            v["repair"] = serde_json::json!({
                "orphan_files_removed": rep.orphan_files_removed,
                "documents_dropped": rep.documents_dropped,
                "index_rebuilt": rep.index_rebuilt,
                "graph_rebuilt": rep.graph_rebuilt,
                "vectors_embedded": rep.vectors_embedded,
            });
            v["after"] = f(a);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "第 {} 代：{} 个文档，索引中 {} 个检索块。",
            report.generation, report.documents, report.chunks
        );
        if !report.recovered_at_open.is_empty() {
            println!(
                "打开时发现上次写入被中断，已由文档重建：{}。",
                report.recovered_at_open.join("、")
            );
        }
        if report.pending_cleanup > 0 {
            println!(
                "另有 {} 个未提交的文档文件（读取时忽略，下次写入时清除）。",
                report.pending_cleanup
            );
        }
        if report.is_clean() {
            println!("各存储一致，未发现问题。");
        } else {
            println!("发现 {} 处不一致：", report.findings.len());
            for f in &report.findings {
                match &f.doc_id {
                    Some(id) => println!("  [{}] {id}：{}", f.store, f.problem),
                    None => println!("  [{}] {}", f.store, f.problem),
                }
            }
        }
        for (s, why) in &report.unchecked {
            println!("  （未检查 {s}：{why}）");
        }
        if let (Some(rep), Some(a)) = (&repaired, &after) {
            println!(
                "已修复：删除多余文档文件 {} 个；{}{}重新嵌入 {} 个检索块。",
                rep.orphan_files_removed,
                if rep.index_rebuilt {
                    "重建全文索引；"
                } else {
                    ""
                },
                if rep.graph_rebuilt {
                    "重建知识图谱；"
                } else {
                    ""
                },
                rep.vectors_embedded
            );
            for (d, why) in &rep.documents_dropped {
                println!("  已移除无法恢复的文档 {d}（{why}），请重新导入其源文件。");
            }
            println!(
                "修复后：{}",
                if a.is_clean() {
                    "各存储一致。".to_string()
                } else {
                    format!("仍有 {} 处不一致。", a.findings.len())
                }
            );
        } else if !report.is_clean() && !repair {
            println!("可运行 emkg check --repair 修复。");
        }
    }
    let clean = after.as_ref().unwrap_or(&report).is_clean();
    if !clean {
        std::process::exit(1);
    }
    Ok(())
}

pub fn reindex(data: &Path, models: &setup::ModelArgs) -> Result<()> {
    let cfg = models.config()?;
    let mut engine = open_write(data)?;
    let started = std::time::Instant::now();
    engine.rebuild_index()?;
    engine.rebuild_graph()?;
    let embedded = if models.attach(&mut engine, &cfg)? {
        engine.sync_vectors(&mut |_, _| {})?
    } else {
        0
    };
    println!(
        "已重建全文索引与知识图谱（{} 个文档，{:.1} 秒）；补齐向量 {embedded} 个检索块。",
        engine.catalog().docs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
