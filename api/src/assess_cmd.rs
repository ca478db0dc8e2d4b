//! CLI of assessment: `emkg assess`, `emkg risk`, `emkg eval report-fields`,
//! `emkg eval grading` and `emkg bench assess`. Glue only.

use crate::wire_assess;
use anyhow::{Context, Result};
use emkg_engine::assess::{Assessment, IncidentInput};
use emkg_engine::Engine;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// `TEXT`, `-` (stdin) or `--incident FILE.json` into an input.
pub fn read_input(text: Option<String>, incident: Option<PathBuf>) -> Result<IncidentInput> {
    if let Some(p) = incident {
        let raw =
            std::fs::read_to_string(&p).with_context(|| format!("无法读取 {}", p.display()))?;
        let v: serde_json::Value = serde_json::from_str(&raw)
            .with_context(|| format!("{} 不是有效的 JSON", p.display()))?;
        let inc = wire_assess::incident_from_json(&v).map_err(anyhow::Error::msg)?;
        return Ok(IncidentInput::Facts(Box::new(inc)));
    }
    let t = read_text(text)?;
    Ok(IncidentInput::Text(t))
}

/// A text argument; `-` reads standard input.
pub fn read_text(text: Option<String>) -> Result<String> {
    match text.as_deref() {
        None => anyhow::bail!("请提供事件描述（文本、- 表示标准输入，或 --incident 文件）"),
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("无法读取标准输入")?;
            Ok(s)
        }
        Some(t) => Ok(t.to_string()),
    }
}

pub fn assess(engine: &Engine, input: &IncidentInput, json: bool) -> Result<()> {
    let a = engine.assess(input)?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&wire_assess::assessment(&a))?
        )?;
        return Ok(());
    }
    print_assessment(&mut out, &a)?;
    Ok(())
}

fn print_assessment(out: &mut impl Write, a: &Assessment) -> Result<()> {
    let i = &a.incident;
    writeln!(out, "【事件要素】")?;
    let v = |f: Option<String>| f.unwrap_or_else(|| "（未说明）".into());
    writeln!(
        out,
        "  类型：{}",
        v(i.event_type.as_ref().map(|e| e.value.clone()))
    )?;
    writeln!(
        out,
        "  时间：{}{}",
        v(i.time.as_ref().map(|t| t.value.clone())),
        i.time
            .as_ref()
            .and_then(|t| t.normalized.as_ref())
            .map(|n| format!("（{n}）"))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "  地点：{}",
        v(i.location.as_ref().map(|x| x.value.clone()))
    )?;
    writeln!(
        out,
        "  单位：{}",
        v(i.unit.as_ref().map(|x| x.value.clone()))
    )?;
    let c = |x: &Option<emkg_engine::ingest::incident::Count>| {
        x.as_ref()
            .map(|c| format!("{}{}", c.value, if c.approximate { "（约数）" } else { "" }))
    };
    writeln!(
        out,
        "  死亡：{}　重伤：{}　受伤：{}　失踪：{}　被困：{}",
        v(c(&i.deaths)),
        v(c(&i.serious_injuries)),
        v(c(&i.injuries)),
        v(c(&i.missing)),
        v(c(&i.trapped))
    )?;
    writeln!(
        out,
        "  直接经济损失：{}",
        v(i.direct_loss_yuan
            .as_ref()
            .map(|x| format!("{}元", x.value)))
    )?;
    writeln!(
        out,
        "  原因：{}",
        v(i.cause.as_ref().map(|x| x.value.clone()))
    )?;
    writeln!(
        out,
        "【适用制度】{}：{}",
        a.regime.name,
        a.regime.reasons.join("；")
    )?;
    let g = &a.grade;
    writeln!(
        out,
        "【事故等级】{}（{}）",
        v(g.level.clone()),
        v(g.scheme.as_ref().map(|s| format!("依据《{s}》")))
    )?;
    for t in &g.triggered_by {
        writeln!(out, "  · {t}")?;
    }
    if let Some(n) = &g.next_level {
        for ch in &n.changes {
            writeln!(out, "  ↑ {ch}")?;
        }
    }
    for n in &g.notes {
        writeln!(out, "  注：{n}")?;
    }
    writeln!(
        out,
        "【首报时限】{}",
        a.report_deadline_hours
            .map(|h| format!("{h}小时"))
            .unwrap_or_else(|| "无小时时限规定".into())
    )?;
    for s in a.reporting.iter().chain(&a.followup) {
        let to = if s.recipients.is_empty() {
            String::new()
        } else {
            format!(" → {}", s.recipients.join("；"))
        };
        writeln!(
            out,
            "  · {}{to}（{}）{}",
            s.reporter.as_deref().unwrap_or("有关单位和部门"),
            s.time_limit,
            s.basis.citation
        )?;
        if !s.notify.is_empty() {
            writeln!(out, "    同时通知：{}", s.notify.join("、"))?;
        }
    }
    writeln!(out, "【预案推荐】")?;
    if a.plans.is_empty() {
        writeln!(out, "  知识库中没有适用的应急预案")?;
    }
    for p in &a.plans {
        writeln!(out, "  《{}》 {}", p.title, p.why.join("；"))?;
        if let Some(l) = &p.level {
            writeln!(
                out,
                "    响应级别：{}，条件：{}（{}）",
                l.label, l.condition, l.basis.citation
            )?;
            if let Some(cmd) = &l.command {
                writeln!(out, "    指挥：{cmd}")?;
            }
        }
    }
    if !a.actions.is_empty() {
        writeln!(out, "【处置措施】")?;
        for x in &a.actions {
            let who = if x.lead.is_empty() {
                String::new()
            } else {
                format!(
                    "（牵头：{}{}）",
                    x.lead.join("、"),
                    if x.support.is_empty() {
                        String::new()
                    } else {
                        format!("；配合：{}", x.support.join("、"))
                    }
                )
            };
            writeln!(
                out,
                "  · {}{} {}",
                x.title.as_deref().unwrap_or(&x.text),
                who,
                x.basis.citation
            )?;
        }
    }
    for w in &a.warnings {
        writeln!(out, "【提示】{w}")?;
    }
    Ok(())
}

pub fn risk(engine: &Engine, text: &str, json: bool) -> Result<()> {
    let r = engine.assess_risk(text)?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&wire_assess::risk(&r))?)?;
        return Ok(());
    }
    writeln!(
        out,
        "【风险因素】{}",
        r.factors
            .iter()
            .map(|f| f.label.as_str())
            .collect::<Vec<_>>()
            .join("、")
    )?;
    for f in &r.findings {
        writeln!(
            out,
            "  · {}{}",
            f.text,
            if f.violation {
                "（违规/缺失）"
            } else {
                ""
            }
        )?;
        for p in &f.provisions {
            writeln!(out, "      {} {}", p.basis.citation, p.quote)?;
            for x in &p.penalties {
                writeln!(
                    out,
                    "        罚则：{} {}",
                    x.basis.citation,
                    x.amounts.as_deref().unwrap_or("")
                )?;
            }
        }
    }
    writeln!(out, "【重大事故隐患】{}", r.major_hazard.note)?;
    let s = &r.score;
    writeln!(out, "【风险评分】{}", s.method)?;
    writeln!(out, "  L={}（{}）：{}", s.l.value, s.l.meaning, s.l.reason)?;
    writeln!(out, "  E={}（{}）：{}", s.e.value, s.e.meaning, s.e.reason)?;
    writeln!(out, "  C={}（{}）：{}", s.c.value, s.c.meaning, s.c.reason)?;
    writeln!(
        out,
        "  D={}：{}；风险矩阵：{}（{}）{}",
        s.d, s.class, s.matrix_level, s.matrix_colour, s.matrix_inputs
    )?;
    writeln!(out, "【相似案例】")?;
    for c in &r.cases {
        writeln!(out, "  · 《{}》{}", c.title, c.why)?;
    }
    Ok(())
}

pub fn eval_report_fields(gold: &Path) -> Result<()> {
    let results = emkg_eval::assessment::report_fields(gold)?;
    let mut out = std::io::stdout().lock();
    for r in &results {
        let bad: Vec<String> = r
            .fields
            .iter()
            .filter(|f| !f.ok)
            .map(|f| format!("{}: 应为 {} 得到 {}", f.field, f.expected, f.predicted))
            .collect();
        if bad.is_empty() {
            writeln!(out, "{}  全部正确", r.id)?;
        } else {
            writeln!(out, "{}  {}", r.id, bad.join("；"))?;
        }
    }
    writeln!(out, "字段准确率（{} 条）：", results.len())?;
    for (f, ok, n) in emkg_eval::assessment::field_accuracy(&results) {
        writeln!(
            out,
            "  {f:<11} {ok}/{n} = {:.3}",
            ok as f64 / n.max(1) as f64
        )?;
    }
    Ok(())
}

pub fn eval_grading(engine: &Engine, gold: &Path) -> Result<()> {
    let results = emkg_eval::assessment::grading(engine, gold)?;
    let mut out = std::io::stdout().lock();
    for r in &results {
        writeln!(
            out,
            "{}  {} {}（应为 {}）  首报时限 {} {}（应为 {}）  [{}；{}]",
            r.id,
            if r.grade_ok() { "✓" } else { "✗" },
            r.grade,
            r.expected_grade,
            if r.deadline_ok() { "✓" } else { "✗" },
            r.deadline
                .map(|h| format!("{h}小时"))
                .unwrap_or("无".into()),
            r.expected_deadline
                .map(|h| format!("{h}小时"))
                .unwrap_or("无".into()),
            r.regime,
            r.scheme
        )?;
    }
    let n = results.len().max(1) as f64;
    writeln!(
        out,
        "定级准确率 {}/{} = {:.3}；首报时限准确率 {}/{} = {:.3}",
        results.iter().filter(|r| r.grade_ok()).count(),
        results.len(),
        results.iter().filter(|r| r.grade_ok()).count() as f64 / n,
        results.iter().filter(|r| r.deadline_ok()).count(),
        results.len(),
        results.iter().filter(|r| r.deadline_ok()).count() as f64 / n,
    )?;
    Ok(())
}

/// Assessment latency without an LLM: every text of the given gold files
/// (grading `incident`, report-fields `text`) or lines of a text file,
/// `rounds` times, after one warm-up pass.
/// Incident texts of gold JSONL files (`incident` or `text`), or of plain
/// files with one incident per line.
pub fn incident_texts(inputs: &[PathBuf]) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for p in inputs {
        let raw =
            std::fs::read_to_string(p).with_context(|| format!("无法读取 {}", p.display()))?;
        for line in raw.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(v) => {
                    if let Some(t) = v
                        .get("incident")
                        .or_else(|| v.get("text"))
                        .and_then(|t| t.as_str())
                    {
                        texts.push(t.to_string());
                    }
                }
                Err(_) => texts.push(line.to_string()),
            }
        }
    }
    Ok(texts)
}

pub fn bench_assess(engine: &Engine, inputs: &[PathBuf], rounds: usize) -> Result<()> {
    let texts = incident_texts(inputs)?;
    anyhow::ensure!(!texts.is_empty(), "没有可用于基准测试的事件文本");
    let load = std::time::Instant::now();
    engine.rulebook()?;
    let load_ms = load.elapsed().as_secs_f64() * 1e3;
    for t in &texts {
        let _ = engine.assess(&IncidentInput::Text(t.clone()));
    }
    let mut ms = Vec::new();
    let mut extract_us = Vec::new();
    for _ in 0..rounds.max(1) {
        for t in &texts {
            let s = std::time::Instant::now();
            let _ = emkg_engine::ingest::incident::extract(t);
            extract_us.push(s.elapsed().as_secs_f64() * 1e6);
            let s = std::time::Instant::now();
            let _ = engine.assess(&IncidentInput::Text(t.clone()));
            ms.push(s.elapsed().as_secs_f64() * 1e3);
        }
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied().unwrap_or(0.0)
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "规则库加载（SPARQL，读一次）：{load_ms:.1} ms")?;
    writeln!(
        out,
        "事件评估（{} 条文本 × {} 轮，无 LLM）：p50 {:.2} ms，p95 {:.2} ms，最大 {:.2} ms",
        texts.len(),
        rounds.max(1),
        pct(&mut ms, 0.5),
        pct(&mut ms, 0.95),
        pct(&mut ms, 1.0)
    )?;
    writeln!(
        out,
        "其中事件要素抽取：p50 {:.0} µs，p95 {:.0} µs",
        pct(&mut extract_us, 0.5),
        pct(&mut extract_us, 0.95)
    )?;
    Ok(())
}
