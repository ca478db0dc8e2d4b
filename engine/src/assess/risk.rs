//! Risk assessment (风险研判) of a site or a hazard checklist: the risk
//! factors named, the provisions each finding breaches with the penalties
//! that sanction them, a check against major-hidden-danger criteria held in
//! the store, an LEC score (D = L × E × C) and a risk-matrix level with
//! their inputs shown, and similar past cases.
//!
//! Every provision reported is a stored unit, cited by its document's title
//! and article (the citation checker confirms each before it is reported).

use super::{cite, validate_text, Basis};
use crate::graph::{QueryLimits, ResultFormat};
use crate::{Engine, Filter, Result, Retrievers, SearchRequest};
use emkg_ingest::incident;
use emkg_ontology::risk::{self as rk, Factor, Role};
use emkg_ontology::DocKind;
use std::collections::HashSet;

#[derive(Debug, Clone)]
pub struct RiskFactor {
    pub label: String,
    pub concept: Option<String>,
    /// The words in the input that name it, with their char span.
    pub evidence: String,
    pub span: (usize, usize),
}

/// One observation of the input (违规电气焊, 疏散通道堵塞).
#[derive(Debug, Clone)]
pub struct Finding {
    pub text: String,
    pub span: (usize, usize),
    pub factors: Vec<String>,
    /// Whether it states a breach or a missing control.
    pub violation: bool,
    /// Provisions that bind it (duties, prohibitions).
    pub provisions: Vec<Provision>,
}

#[derive(Debug, Clone)]
pub struct Provision {
    pub basis: Basis,
    /// obligation / prohibition.
    pub kind: String,
    pub bound_party: Option<String>,
    /// The sentence that states the duty.
    pub quote: String,
    pub penalties: Vec<PenaltyRef>,
    pub verified: bool,
}

#[derive(Debug, Clone)]
pub struct PenaltyRef {
    pub basis: Basis,
    pub quote: String,
    /// 处五万元以上十万元以下的罚款 → "5万元以上10万元以下".
    pub amounts: Option<String>,
    pub target: Option<String>,
    pub verified: bool,
}

/// One LEC input with its reason.
#[derive(Debug, Clone)]
pub struct LecInput {
    pub value: f64,
    pub meaning: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Score {
    pub method: String,
    pub l: LecInput,
    pub e: LecInput,
    pub c: LecInput,
    pub d: f64,
    pub class: String,
    /// Risk-matrix level (重大风险/较大风险/一般风险/低风险) and colour.
    pub matrix_level: String,
    pub matrix_colour: String,
    pub matrix_inputs: String,
}

#[derive(Debug, Clone)]
pub struct MajorHazardCheck {
    /// `Some(true)` judged a major hidden danger, `Some(false)` checked and
    /// not, `None` no criteria in the store.
    pub judged: Option<bool>,
    pub basis: Vec<Basis>,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct SimilarCase {
    pub doc_id: String,
    pub title: String,
    pub basis: Basis,
    pub why: String,
    pub deaths: Option<u64>,
    pub injuries: Option<u64>,
    pub event_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RiskAssessment {
    pub factors: Vec<RiskFactor>,
    pub findings: Vec<Finding>,
    pub major_hazard: MajorHazardCheck,
    pub score: Score,
    pub cases: Vec<SimilarCase>,
    pub warnings: Vec<String>,
}

/// Findings read from one description.
const MAX_FINDINGS: usize = 30;

fn factors_in(text: &str) -> Vec<(&'static Factor, String, (usize, usize))> {
    let mut out: Vec<(&'static Factor, String, (usize, usize))> = Vec::new();
    for f in rk::FACTORS {
        // Longest word first so that 电气焊 wins over 电焊.
        let mut words: Vec<&str> = f.words.to_vec();
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        if let Some(w) = words.iter().find(|w| text.contains(*w)) {
            if let Some(b) = text.find(w) {
                let a = text[..b].chars().count();
                out.push((f, w.to_string(), (a, a + w.chars().count())));
            }
        }
    }
    out
}

/// Splits the input into findings at 、，；。 and line ends.
fn split_findings(text: &str) -> Vec<(String, (usize, usize))> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<char> = text.chars().collect();
    for i in 0..=chars.len() {
        if i == chars.len() || matches!(chars[i], '、' | '，' | ',' | '；' | ';' | '。' | '\n')
        {
            let s: String = chars[start..i].iter().collect();
            let t = s.trim();
            if t.chars().count() >= 2 {
                let off = s.find(t).map(|b| s[..b].chars().count()).unwrap_or(0);
                out.push((
                    t.to_string(),
                    (start + off, start + off + t.chars().count()),
                ));
            }
            start = i + 1;
        }
    }
    out
}

fn step_of(scale: &[rk::Step], v: f64) -> String {
    scale
        .iter()
        .find(|(x, _)| (*x - v).abs() < 1e-9)
        .map(|(_, m)| m.to_string())
        .unwrap_or_default()
}

fn next_step(scale: &[rk::Step], v: f64) -> f64 {
    scale.iter().map(|(x, _)| *x).find(|x| *x > v).unwrap_or(v)
}

impl Engine {
    /// Assesses the risk of a site or checklist described in `text`.
    pub fn assess_risk(&self, text: &str) -> Result<RiskAssessment> {
        validate_text(text)?;
        let mut warnings = Vec::new();
        let factors = factors_in(text);
        // The same finding twice is one finding; a checklist has dozens at most.
        let mut findings_raw = split_findings(text);
        let mut seen = HashSet::new();
        findings_raw.retain(|(t, _)| seen.insert(t.clone()));
        if findings_raw.len() > MAX_FINDINGS {
            warnings.push(format!(
                "描述中有{}条情形，只研判前{MAX_FINDINGS}条",
                findings_raw.len()
            ));
            findings_raw.truncate(MAX_FINDINGS);
        }
        let mut findings = Vec::new();
        for (t, span) in &findings_raw {
            let fs = factors_in(t);
            let violation = rk::VIOLATION_CUES.iter().any(|c| t.contains(c));
            // A finding that names no factor is kept only when it states a
            // violation (未配备…); its provisions then come from its words.
            let labels: Vec<String> = fs.iter().map(|(f, _, _)| f.label.to_string()).collect();
            if labels.is_empty() && !violation {
                continue;
            }
            let provisions = self.provisions_for(t, &fs.iter().map(|x| x.0).collect::<Vec<_>>())?;
            findings.push(Finding {
                text: t.clone(),
                span: *span,
                factors: labels,
                violation,
                provisions,
            });
        }
        if factors.is_empty() && findings.is_empty() {
            return Err(crate::EngineError::BadQuery(
                "未能从描述中识别出风险因素，请描述场所、作业或隐患情况，例如“仓库内违规电气焊、无动火审批、存放易燃物、疏散通道堵塞”".into(),
            ));
        }
        let major_hazard = self.major_hazard_check(&findings)?;
        let score = score(text, &factors, &findings);
        let cases = self.similar_cases(text, &factors)?;
        if cases.is_empty() {
            warnings.push("知识库中没有找到相似事故案例".into());
        }
        Ok(RiskAssessment {
            factors: factors
                .into_iter()
                .map(|(f, w, span)| RiskFactor {
                    label: f.label.to_string(),
                    concept: f.concept.map(str::to_string),
                    evidence: w,
                    span,
                })
                .collect(),
            findings,
            major_hazard,
            score,
            cases,
            warnings,
        })
    }

    /// The duty and prohibition provisions a finding concerns, with the
    /// penalty provisions linked to them; only citations that verify.
    fn provisions_for(&self, finding: &str, factors: &[&'static Factor]) -> Result<Vec<Provision>> {
        let mut terms: Vec<&str> = factors
            .iter()
            .flat_map(|f| f.terms.iter().copied())
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        terms.dedup();
        let mut q = finding.to_string();
        for t in &terms {
            q.push(' ');
            q.push_str(t);
        }
        let mut req = SearchRequest::new(&q, 12);
        req.filter = Filter {
            kinds: DocKind::ALL
                .iter()
                .copied()
                .filter(|k| k.is_legal())
                .collect(),
            ..Default::default()
        };
        req.retrievers = Retrievers {
            bm25: true,
            dense: false,
            graph: false,
        };
        req.in_force_only = true;
        let hits = self.search(&req)?;
        let mut out: Vec<Provision> = Vec::new();
        for h in hits {
            if out.len() >= 3 {
                break;
            }
            let Some(unit) = h.chunk.article.map(|_| h.chunk.unit_id.clone()) else {
                continue;
            };
            // The provision must speak of the factor, and state a duty.
            let sentence = h.chunk.text.split(['。', '；', '\n']).find(|s| {
                terms.iter().any(|t| s.contains(t))
                    && (s.contains("不得")
                        || s.contains("禁止")
                        || s.contains("严禁")
                        || s.contains("应当")
                        || s.contains("必须"))
            });
            let Some(sentence) = sentence else { continue };
            // Penalty articles are reported as penalties, not as duties.
            if sentence.contains("罚款") || sentence.contains("处罚") {
                continue;
            }
            let kind = if ["不得", "禁止", "严禁"]
                .iter()
                .any(|w| sentence.contains(w))
            {
                "prohibition"
            } else {
                "obligation"
            };
            let catalog = self.catalog();
            let basis = cite::basis(catalog, &unit);
            let verified = self
                .verify_citations(&basis.citation)
                .first()
                .is_some_and(|c| c.exists);
            if !verified {
                continue;
            }
            let penalties = self.penalties_for(&unit)?;
            out.push(Provision {
                basis,
                kind: kind.into(),
                bound_party: bound_party(sentence),
                quote: sentence.trim().to_string(),
                penalties,
                verified,
            });
        }
        Ok(out)
    }

    /// Penalty provisions that sanction a duty (graph links, then the facts
    /// of each penalty article).
    fn penalties_for(&self, duty_unit: &str) -> Result<Vec<PenaltyRef>> {
        let q = format!(
            "SELECT ?unit ?text ?kind ?min ?max ?target WHERE {{
               ?p a emkg:Penalty ; emkg:sanctions <{}> ; emkg:extractedFrom ?unit ; emkg:text ?text ; emkg:penaltyKind ?kind .
               OPTIONAL {{ ?p emkg:minAmount ?min }} OPTIONAL {{ ?p emkg:maxAmount ?max }}
               OPTIONAL {{ ?p emkg:penaltyTarget/rdfs:label ?target }}
             }} LIMIT 20",
            emkg_ontology::vocab::id_iri(duty_unit)
        );
        let out = self.sparql(&q, &QueryLimits::default(), ResultFormat::Json)?;
        let v: serde_json::Value = serde_json::from_slice(&out.body).unwrap_or_default();
        let mut res: Vec<PenaltyRef> = Vec::new();
        let mut seen = HashSet::new();
        for b in v
            .pointer("/results/bindings")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            let get = |k: &str| {
                b.get(k)
                    .and_then(|x| x.get("value"))
                    .and_then(|x| x.as_str())
                    .map(str::to_string)
            };
            let Some(unit) = get("unit") else { continue };
            let art = cite::article_of(&emkg_ingest_unit(&unit));
            let amounts = match (
                get("min").and_then(|s| s.parse::<f64>().ok()),
                get("max").and_then(|s| s.parse::<f64>().ok()),
            ) {
                (Some(a), Some(b)) if a != b => Some(format!(
                    "{}以上{}以下",
                    super::grading::amount_zh("direct_loss", a),
                    super::grading::amount_zh("direct_loss", b)
                )),
                (Some(a), Some(_)) => Some(super::grading::amount_zh("direct_loss", a)),
                (Some(a), None) => Some(format!(
                    "{}以上",
                    super::grading::amount_zh("direct_loss", a)
                )),
                (None, Some(b)) => Some(format!(
                    "{}以下",
                    super::grading::amount_zh("direct_loss", b)
                )),
                _ => None,
            };
            let key = (art.clone(), amounts.clone(), get("target"));
            if !seen.insert(key) {
                continue;
            }
            let basis = cite::basis(self.catalog(), &art);
            let verified = self
                .verify_citations(&basis.citation)
                .first()
                .is_some_and(|c| c.exists);
            if !verified {
                continue;
            }
            res.push(PenaltyRef {
                basis,
                quote: get("text").unwrap_or_default(),
                amounts,
                target: get("target"),
                verified,
            });
            if res.len() >= 4 {
                break;
            }
        }
        Ok(res)
    }

    /// Checks findings against major-hidden-danger criteria in the store:
    /// the items of documents whose title names 重大事故隐患判定标准 or
    /// 重大火灾隐患判定.
    fn major_hazard_check(&self, findings: &[Finding]) -> Result<MajorHazardCheck> {
        let criteria_docs: Vec<&crate::store::CatalogEntry> = self
            .visible_docs()
            .filter(|e| {
                e.title.contains("隐患判定")
                    || (e.title.contains("重大事故隐患") && e.title.contains("标准"))
            })
            .collect();
        if criteria_docs.is_empty() {
            return Ok(MajorHazardCheck {
                judged: None,
                basis: Vec::new(),
                note: "知识库未收录重大事故隐患判定标准（如行业重大事故隐患判定标准、重大火灾隐患判定标准），无法判定是否构成重大事故隐患；下列违反禁止性、义务性规定的情形应当立即整改".into(),
            });
        }
        let mut basis = Vec::new();
        for e in &criteria_docs {
            let d = self.document(&e.id)?;
            for u in d.units.iter().filter(|u| {
                matches!(
                    u.kind,
                    emkg_ontology::UnitKind::Item | emkg_ontology::UnitKind::Section
                ) && u.text.chars().count() < 200
            }) {
                for f in findings.iter().filter(|f| f.violation) {
                    if overlap(&f.text, &u.text) >= 0.5 {
                        basis.push(cite::basis(&self.catalog, &u.id));
                    }
                }
            }
        }
        basis.dedup_by(|a, b| a.unit_id == b.unit_id);
        let judged = !basis.is_empty();
        Ok(MajorHazardCheck {
            judged: Some(judged),
            note: if judged {
                "符合重大事故隐患判定标准所列情形，判定为重大事故隐患".into()
            } else {
                "未发现与重大事故隐患判定标准所列情形相符的情况".into()
            },
            basis,
        })
    }

    fn similar_cases(
        &self,
        text: &str,
        factors: &[(&'static Factor, String, (usize, usize))],
    ) -> Result<Vec<SimilarCase>> {
        let mut q = text.to_string();
        for (f, _, _) in factors {
            q.push(' ');
            q.push_str(f.label);
        }
        // Fire is the consequence most factors lead to; name it.
        if factors.iter().any(|(f, _, _)| f.role == Role::Ignition) {
            q.push_str(" 火灾 起火");
        }
        let mut req = SearchRequest::new(&q, 20);
        req.filter = Filter {
            kinds: vec![DocKind::Case],
            ..Default::default()
        };
        req.retrievers = Retrievers {
            bm25: true,
            dense: false,
            graph: false,
        };
        let mut out: Vec<SimilarCase> = Vec::new();
        for h in self.search(&req)? {
            if out.len() >= 3 {
                break;
            }
            if out.iter().any(|c| c.doc_id == h.chunk.doc_id) {
                continue;
            }
            let inc = incident::extract(&h.chunk.text);
            let shared: Vec<&str> = factors
                .iter()
                .flat_map(|(f, _, _)| f.words.iter().copied())
                .filter(|w| h.chunk.text.contains(w))
                .collect();
            let why = if shared.is_empty() {
                "文本相似".to_string()
            } else {
                format!(
                    "同样涉及{}",
                    shared
                        .iter()
                        .take(3)
                        .copied()
                        .collect::<Vec<_>>()
                        .join("、")
                )
            };
            out.push(SimilarCase {
                doc_id: h.chunk.doc_id.clone(),
                title: h.chunk.doc_title.clone(),
                basis: cite::basis(self.catalog(), &h.chunk.unit_id),
                why,
                deaths: inc.deaths.map(|c| c.value),
                injuries: inc.injuries.map(|c| c.value),
                event_type: inc.event_type.map(|e| e.value),
            });
        }
        Ok(out)
    }
}

/// `https://emkg.local/id/doc#art3` → `doc#art3`.
fn emkg_ingest_unit(iri: &str) -> String {
    iri.strip_prefix(emkg_ontology::vocab::ID)
        .unwrap_or(iri)
        .to_string()
}

fn bound_party(sentence: &str) -> Option<String> {
    let p = ["不得", "禁止", "严禁", "应当", "必须"]
        .iter()
        .filter_map(|w| sentence.find(w))
        .min()?;
    let before = &sentence[..p];
    let phrase = before.rsplit(['，', '：']).next().unwrap_or(before).trim();
    let phrase = phrase
        .trim_start_matches(|c: char| {
            c == '第' || c.is_ascii_digit() || "一二三四五六七八九十百零条（）() 　".contains(c)
        })
        .trim();
    (2..=30)
        .contains(&phrase.chars().count())
        .then(|| phrase.to_string())
}

fn overlap(a: &str, b: &str) -> f64 {
    let bg = |s: &str| -> HashSet<(char, char)> {
        let c: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (x, y) = (bg(a), bg(b));
    if x.is_empty() {
        return 0.0;
    }
    x.intersection(&y).count() as f64 / x.len() as f64
}

/// LEC with its inputs, and the matrix level.
fn score(
    text: &str,
    factors: &[(&'static Factor, String, (usize, usize))],
    findings: &[Finding],
) -> Score {
    let violations = findings.iter().filter(|f| f.violation).count();
    let has = |r: Role| factors.iter().any(|(f, _, _)| f.role == r);
    // L: a hazard present is "可能，但不经常"; each breach or missing control
    // raises it one step; an ignition source beside fuel is at least "相当可能".
    let mut l = if factors.is_empty() { 1.0 } else { 3.0 };
    let mut l_reason = vec![format!("识别出{}类风险因素", factors.len())];
    for _ in 0..violations.min(2) {
        l = next_step(&rk::LIKELIHOOD, l);
    }
    if violations > 0 {
        l_reason.push(format!(
            "存在{violations}项违规或管控缺失，每项提高一档（至多两档）"
        ));
    }
    if has(Role::Ignition) && has(Role::Fuel) && l < 6.0 {
        l = 6.0;
        l_reason.push("点火源与可燃物同时存在，不低于“相当可能”".into());
    }
    // E: a workplace is exposed during working hours unless the text says otherwise.
    let (e, e_reason) = if ["24小时", "连续", "昼夜", "住人", "宿舍"]
        .iter()
        .any(|w| text.contains(w))
    {
        (10.0, "文中表明人员连续在场".to_string())
    } else if ["每周", "偶尔", "偶然", "临时"]
        .iter()
        .any(|w| text.contains(w))
    {
        (3.0, "文中表明每周或偶然作业".to_string())
    } else if ["每月"].iter().any(|w| text.contains(w)) {
        (2.0, "文中表明每月一次".to_string())
    } else {
        (6.0, "生产经营场所按每天工作时间内有人员暴露计".to_string())
    };
    // C: the worst credible consequence of the factors; blocked escape
    // routes make it one step worse.
    let mut c = factors
        .iter()
        .map(|(f, _, _)| f.consequence)
        .fold(1.0, f64::max);
    let mut c_reason = vec![factors
        .iter()
        .max_by(|a, b| a.0.consequence.total_cmp(&b.0.consequence))
        .map(|(f, _, _)| format!("最严重的风险因素为“{}”", f.label))
        .unwrap_or_else(|| "未识别出明确风险因素".into())];
    let escape_blocked = findings.iter().any(|f| {
        f.violation
            && factors_in(&f.text)
                .iter()
                .any(|(x, _, _)| x.role == Role::Escape)
    });
    if escape_blocked && c < 100.0 {
        c = next_step(&rk::CONSEQUENCE, c);
        c_reason.push("疏散通道或消防设施存在问题，后果提高一档".into());
    }
    let d = l * e * c;
    // Matrix grades 1–4 from L and C.
    let (lg, sg) = (rk::likelihood_grade(l), rk::severity_grade(c));
    let (ml, mc) = rk::matrix_level(lg, sg);
    Score {
        method: "作业条件危险性评价法（LEC）：D = L × E × C；风险矩阵：可能性等级 × 后果严重性等级"
            .into(),
        l: LecInput {
            value: l,
            meaning: step_of(&rk::LIKELIHOOD, l),
            reason: l_reason.join("；"),
        },
        e: LecInput {
            value: e,
            meaning: step_of(&rk::EXPOSURE, e),
            reason: e_reason,
        },
        c: LecInput {
            value: c,
            meaning: step_of(&rk::CONSEQUENCE, c),
            reason: c_reason.join("；"),
        },
        d,
        class: rk::danger_class(d).to_string(),
        matrix_level: ml.to_string(),
        matrix_colour: mc.to_string(),
        matrix_inputs: format!(
            "可能性等级{lg}（L={l}）× 后果严重性等级{sg}（C={c}）= {}",
            lg as u16 * sg as u16
        ),
    }
}
