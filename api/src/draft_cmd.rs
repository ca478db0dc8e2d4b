//! CLI of drafted documents: `emkg report draft`, `emkg memo`, `emkg tasks`
//! and `emkg bench draft`. Glue only.

use crate::assess_cmd;
use crate::setup::ModelArgs;
use anyhow::{Context, Result};
use clap::ValueEnum;
use emkg_engine::draft::report::{NarrativeOptions, ReportRequest};
use emkg_engine::draft::{docx, Draft};
use emkg_engine::Engine;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Md,
    Docx,
    Json,
}

/// Today in China (UTC+8), `YYYY-MM-DD`: the default 成文日期.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    emkg_engine::ingest::incident::iso_date_from_unix_days((secs + 8 * 3600).div_euclid(86_400))
}

/// Writes a draft in `format` to `out` (stdout for Markdown and JSON when
/// no file is given).
pub fn write_draft(d: &Draft, format: Format, out: Option<&Path>) -> Result<()> {
    let bytes = match format {
        Format::Md => d.markdown().into_bytes(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&crate::wire::draft_json(d))?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Docx => docx::render(d)?,
    };
    match out {
        Some(p) => {
            std::fs::write(p, &bytes).with_context(|| format!("无法写入 {}", p.display()))?;
            eprintln!("已写入 {}", p.display());
        }
        None if format == Format::Docx => {
            anyhow::bail!(".docx 格式须用 -o 指定输出文件")
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    for m in &d.missing {
        eprintln!("待核实：{m}");
    }
    for r in &d.removed {
        eprintln!("已删除：{}（{}）", r.sentence, r.reason);
    }
    Ok(())
}

pub struct ReportArgs {
    pub text: Option<String>,
    pub incident: Option<PathBuf>,
    pub followup: Option<PathBuf>,
    pub issuer: Option<String>,
    pub date: Option<String>,
    pub format: Format,
    pub out: Option<PathBuf>,
}

/// Reads a previous report (its JSON form).
pub fn read_previous(p: &Path) -> Result<Draft> {
    let raw = std::fs::read_to_string(p).with_context(|| format!("无法读取 {}", p.display()))?;
    serde_json::from_str(&raw).with_context(|| {
        format!(
            "{} 不是 emkg report draft --format json 生成的报告",
            p.display()
        )
    })
}

pub fn report_draft(engine: &Engine, a: ReportArgs, models: &ModelArgs) -> Result<()> {
    let input = assess_cmd::read_input(a.text, a.incident)?;
    let previous = a.followup.as_deref().map(read_previous).transpose()?;
    let cfg = models.config()?;
    let mut g = models.generator(&cfg)?;
    let req = ReportRequest {
        input,
        previous,
        issuer: a.issuer,
        date: a.date.unwrap_or_else(today),
    };
    let gen = g
        .as_mut()
        .map(|g| g as &mut dyn emkg_engine::models::Generator);
    let d = engine.draft_report(&req, gen, &NarrativeOptions::default(), &mut |_| {})?;
    write_draft(&d, a.format, a.out.as_deref())
}

pub fn memo(
    engine: &Engine,
    topic: &str,
    format: Format,
    out: Option<&Path>,
    date: Option<String>,
    models: &ModelArgs,
) -> Result<()> {
    let cfg = models.config()?;
    let mut g = models.generator(&cfg)?;
    let gen = g
        .as_mut()
        .map(|g| g as &mut dyn emkg_engine::models::Generator);
    let d = engine.draft_memo(topic, &date.unwrap_or_else(today), gen)?;
    write_draft(&d, format, out)
}

pub fn tasks(engine: &Engine, department: &str, json: bool) -> Result<()> {
    let v = engine.department_tasks(department)?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    if v.tasks.is_empty() {
        writeln!(out, "已导入的工作计划中没有“{department}”承担的任务。")?;
        if !v.departments.is_empty() {
            writeln!(out, "工作计划中出现的部门：{}", v.departments.join("、"))?;
        }
        return Ok(());
    }
    writeln!(out, "【{}的任务】共{}项", v.department, v.tasks.len())?;
    for t in &v.tasks {
        writeln!(out, "· {}（{}）", t.task, t.role_label())?;
        if let Some(d) = &t.deadline {
            writeln!(out, "  时限：{d}")?;
        }
        if !t.lead.is_empty() {
            writeln!(out, "  牵头/责任：{}", t.lead.join("、"))?;
        }
        if !t.cooperating.is_empty() {
            writeln!(out, "  配合：{}", t.cooperating.join("、"))?;
        }
        writeln!(out, "  来源：{}", t.source)?;
    }
    Ok(())
}

/// Draft time over the incidents of gold files, p50/p95; with a model, time
/// to the first narrative token and the total.
pub fn bench_draft(
    engine: &Engine,
    inputs: &[PathBuf],
    rounds: usize,
    models: &ModelArgs,
) -> Result<()> {
    let texts = assess_cmd::incident_texts(inputs)?;
    anyhow::ensure!(!texts.is_empty(), "没有可用的事件文本");
    let cfg = models.config()?;
    let mut g = models.generator(&cfg)?;
    let date = today();
    let mut times = Vec::new();
    let mut ttft = Vec::new();
    let mut docx_times = Vec::new();
    let rounds = if g.is_some() { 1 } else { rounds.max(1) };
    for _ in 0..rounds {
        for t in &texts {
            let req = ReportRequest {
                input: emkg_engine::assess::IncidentInput::Text(t.clone()),
                previous: None,
                issuer: None,
                date: date.clone(),
            };
            let start = Instant::now();
            let mut first: Option<f64> = None;
            let gen = g
                .as_mut()
                .map(|g| g as &mut dyn emkg_engine::models::Generator);
            let d = engine.draft_report(&req, gen, &NarrativeOptions::default(), &mut |_| {
                first.get_or_insert(start.elapsed().as_secs_f64());
            })?;
            times.push(start.elapsed().as_secs_f64());
            if let Some(f) = first {
                ttft.push(f);
            }
            let s = Instant::now();
            docx::render(&d)?;
            docx_times.push(s.elapsed().as_secs_f64());
        }
    }
    let pct = |v: &mut Vec<f64>, p: f64| -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    };
    let label = match &g {
        Some(g) => format!("生成模型 {}", emkg_engine::models::Generator::name(g)),
        None => "无生成模型（模板）".into(),
    };
    println!(
        "draft ({label}): {} drafts, p50 {:.1} ms, p95 {:.1} ms",
        times.len(),
        pct(&mut times, 0.5) * 1e3,
        pct(&mut times, 0.95) * 1e3
    );
    println!(
        "docx render: p50 {:.2} ms, p95 {:.2} ms",
        pct(&mut docx_times, 0.5) * 1e3,
        pct(&mut docx_times, 0.95) * 1e3
    );
    if !ttft.is_empty() {
        println!(
            "first narrative token: p50 {:.2} s, p95 {:.2} s",
            pct(&mut ttft, 0.5),
            pct(&mut ttft, 0.95)
        );
    }
    Ok(())
}
