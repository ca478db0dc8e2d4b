//! Incident assessment (信息报送 inputs, 定级, 预案推荐) and risk assessment
//! (风险研判), from rules held as data in the knowledge graph.
//!
//! The pipeline, one module per stage:
//! understand the text (`emkg_ingest::incident`) → route it to the legal
//! regime that applies ([`regime`]) → grade it under that regime's
//! definitions ([`grading`]) → list the reporting duties ([`reporting`]) →
//! rank the ingested plans and pick their response level ([`plans`]).
//! Numbers — thresholds, time limits, levels — come from the documents; no
//! language model is involved.

pub mod cite;
pub mod grading;
pub mod plans;
pub mod regime;
pub mod reporting;
pub mod risk;
pub mod rulebook;

use crate::{Engine, EngineError, Result};
use emkg_ingest::incident::{self, Incident};
use rulebook::RuleBook;
use std::sync::Arc;

/// A provision an output rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Basis {
    pub unit_id: String,
    /// 《生产安全事故报告和调查处理条例》第三条第一款第（三）项
    pub citation: String,
}

/// The regime an incident falls under and why.
#[derive(Debug, Clone)]
pub struct RegimeResult {
    pub id: &'static str,
    pub name: &'static str,
    pub reasons: Vec<String>,
    pub basis: Vec<Basis>,
}

/// What would raise the grade.
#[derive(Debug, Clone)]
pub struct NextLevel {
    pub level: String,
    /// 再有1人死亡 / 直接经济损失达到1000万元 …
    pub changes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct GradeResult {
    /// 特别重大事故 … 一般事故, 不适用, or `None` when the text lacks the numbers.
    pub level: Option<String>,
    /// The document whose grade definitions were applied (or that is 不适用).
    pub scheme: Option<String>,
    pub triggered_by: Vec<String>,
    pub basis: Vec<Basis>,
    pub next_level: Option<NextLevel>,
    pub notes: Vec<String>,
}

/// One reporting step.
#[derive(Debug, Clone)]
pub struct ReportStep {
    pub reporter: Option<String>,
    pub recipients: Vec<String>,
    /// 1小时内 / 立即 / 每级不超过2小时 / 30日内
    pub time_limit: String,
    pub hours: Option<f64>,
    pub notify: Vec<String>,
    pub basis: Basis,
    pub text: String,
}

/// The response level a plan prescribes for this incident.
#[derive(Debug, Clone)]
pub struct LevelMatch {
    pub level: u8,
    /// 三级 (Ⅲ级)
    pub label: String,
    pub condition: String,
    pub basis: Basis,
    pub command: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PlanAction {
    pub plan: String,
    pub title: Option<String>,
    pub text: String,
    pub lead: Vec<String>,
    pub support: Vec<String>,
    pub basis: Basis,
}

#[derive(Debug, Clone)]
pub struct PlanRole {
    pub role: String,
    pub holder: String,
    pub basis: Basis,
}

#[derive(Debug, Clone)]
pub struct PlanRecommendation {
    pub doc_id: String,
    pub title: String,
    pub score: f32,
    pub why: Vec<String>,
    pub level: Option<LevelMatch>,
    pub roles: Vec<PlanRole>,
    pub actions: Vec<PlanAction>,
}

/// The full assessment of one incident.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub incident: Incident,
    pub regime: RegimeResult,
    pub grade: GradeResult,
    /// The first statutory reporting time limit for the unit.
    pub report_deadline_hours: Option<f64>,
    pub reporting: Vec<ReportStep>,
    /// Follow-up reports (续报) when casualties change.
    pub followup: Vec<ReportStep>,
    pub plans: Vec<PlanRecommendation>,
    /// Immediate actions from the best plan, each with its section.
    pub actions: Vec<PlanAction>,
    pub warnings: Vec<String>,
}

/// What to assess: free text, or facts already structured (the JSON that
/// `emkg assess` prints, or a form).
#[derive(Debug, Clone)]
pub enum IncidentInput {
    Text(String),
    Facts(Box<Incident>),
}

/// Counts beyond any real incident (a typo, or a hostile input) are
/// refused rather than graded: whichever path the facts came by.
fn validate_counts(inc: &Incident) -> Result<()> {
    const MAX_PEOPLE: u64 = 1_000_000;
    for (name, c) in [
        ("死亡", &inc.deaths),
        ("重伤", &inc.serious_injuries),
        ("受伤", &inc.injuries),
        ("失踪", &inc.missing),
        ("被困", &inc.trapped),
        ("疏散", &inc.evacuated),
    ] {
        if c.as_ref().is_some_and(|c| c.value > MAX_PEOPLE) {
            return Err(EngineError::BadQuery(format!(
                "{name}人数超过一百万，明显不合理，请核实后重新输入"
            )));
        }
    }
    if let Some(a) = &inc.direct_loss_yuan {
        if !a.value.is_finite() || a.value < 0.0 || a.value > 1e12 {
            return Err(EngineError::BadQuery(
                "直接经济损失金额明显不合理（为负或超过一万亿元），请核实后重新输入".into(),
            ));
        }
    }
    Ok(())
}

/// The longest incident text accepted (chars).
pub const MAX_TEXT_CHARS: usize = 20_000;

impl Engine {
    /// The rule book as the current clearance sees it, loaded from the
    /// graph once per catalog generation and clearance.
    pub fn rulebook(&self) -> Result<Arc<RuleBook>> {
        let clearance = crate::access::clearance();
        let mut slot = self
            .rulebook
            .lock()
            .map_err(|_| EngineError::Unavailable("规则缓存不可用".into()))?;
        if let Some(b) = slot.get(&clearance) {
            return Ok(b.clone());
        }
        if self.catalog.facts_version < emkg_ingest::extract::VERSION
            && !self.catalog.docs.is_empty()
        {
            return Err(EngineError::Unavailable(
                "数据目录由旧版本导入，知识图谱中缺少研判规则；请停止服务后重新运行 emkg ingest（已导入的文件不会重复导入）以升级数据目录".into(),
            ));
        }
        let b = Arc::new(RuleBook::load(self.graph()?, &self.hidden_docs())?);
        slot.insert(clearance, b.clone());
        Ok(b)
    }

    /// Assesses an incident: facts, regime, grade, reporting duties, plans
    /// and actions. Bad input (empty, no Chinese, absurd numbers) is an
    /// error or a warning, never a silent grade.
    pub fn assess(&self, input: &IncidentInput) -> Result<Assessment> {
        let (inc, text) = match input {
            IncidentInput::Text(t) => {
                validate_text(t)?;
                (incident::extract(t), t.clone())
            }
            IncidentInput::Facts(f) => ((**f).clone(), facts_text(f)),
        };
        validate_counts(&inc)?;
        if inc.is_empty() {
            return Err(EngineError::BadQuery(
                "未能从输入中识别出事件信息（事件类型、伤亡、损失或地点），请补充描述，例如“某公司仓库发生火灾，造成2人死亡”".into(),
            ));
        }
        let book = self.rulebook()?;
        let catalog = self.catalog();
        let mut warnings = inc.warnings.clone();
        let regime = regime::route(&inc, &text, &book, catalog);
        let grade = grading::grade(&inc, &text, &regime, &book, catalog, &mut warnings);
        let rep = reporting::duties(&inc, &regime, &grade, &book, catalog);
        let plans = plans::recommend(self, &inc, &text, &regime, &grade, &book)?;
        let actions = plans.first().map(|p| p.actions.clone()).unwrap_or_default();
        Ok(Assessment {
            incident: inc,
            regime,
            grade,
            report_deadline_hours: rep.deadline_hours,
            reporting: rep.steps,
            followup: rep.followup,
            plans,
            actions,
            warnings,
        })
    }
}

/// Refuses what cannot be an incident report.
pub fn validate_text(raw: &str) -> Result<()> {
    // Padding counts: the extractor reads the text as given.
    if raw.chars().count() > MAX_TEXT_CHARS {
        return Err(EngineError::BadQuery(format!(
            "事件描述过长（超过{MAX_TEXT_CHARS}字），请只提交事件本身的描述"
        )));
    }
    let t = raw.trim();
    if t.is_empty() {
        return Err(EngineError::BadQuery("事件描述为空，请输入事件情况".into()));
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(EngineError::BadQuery(format!(
            "事件描述过长（超过{MAX_TEXT_CHARS}字），请只提交事件本身的描述"
        )));
    }
    let cjk = t
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    if cjk < 2 {
        return Err(EngineError::BadQuery(
            "事件描述中没有中文内容，目前只支持中文事件描述".into(),
        ));
    }
    Ok(())
}

/// A text made of structured facts, for the routing signals and condition
/// matching that read words.
fn facts_text(f: &Incident) -> String {
    let mut parts: Vec<String> = Vec::new();
    for x in [&f.location, &f.unit, &f.cause].into_iter().flatten() {
        parts.push(x.value.clone());
    }
    if let Some(e) = &f.event_type {
        parts.push(format!("发生{}", e.value));
    }
    for m in &f.measures {
        parts.push(m.value.clone());
    }
    parts.join("，")
}
