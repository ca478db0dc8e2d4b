//! What an emergency plan says, as data: its scope, its response levels and
//! the conditions that activate each, who commands at each level, the
//! actions to take with their lead and supporting organisations, the roles
//! of its command structure and the duties of its member units.
//!
//! Read from the plan's own numbered sections, so that a new plan ingested
//! changes recommendations without code changes.

use crate::extract::{Evidence, Threshold};
use crate::model::{Document, Unit};
use crate::rules::thresholds_in;
use emkg_ontology::vocab::WARNINGS;
use emkg_ontology::UnitKind;
use serde::{Deserialize, Serialize};

/// One condition under which a level is activated (any one suffices).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelCondition {
    pub ev: Evidence,
    /// Grades named (发生较大事故, 较大洪涝灾害): IRI local names.
    pub grades: Vec<String>,
    /// 较大及以上: the named grade or any higher one.
    pub or_above: bool,
    pub thresholds: Vec<Threshold>,
    /// Warning colours named (暴雨红色预警): IRI local names.
    pub warnings: Vec<String>,
}

/// A response level of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanLevel {
    /// The sentence that activates it (…启动三级应急响应).
    pub ev: Evidence,
    /// 1 (highest) to 4.
    pub level: u8,
    pub conditions: Vec<LevelCondition>,
    /// Who commands at this level (…由区指挥部总指挥组织指挥).
    pub command: Option<Evidence>,
}

/// An action the plan prescribes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanAction {
    pub ev: Evidence,
    /// The action's name (抢救遇险人员), when the item names one before ：.
    pub title: Option<String>,
    /// 牵头部门 / 责任部门.
    pub lead: Vec<String>,
    /// 配合部门.
    pub support: Vec<String>,
}

/// 总指挥由分管副区长担任.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRole {
    pub ev: Evidence,
    pub role: String,
    pub holder: String,
}

/// 区应急管理局：负责…
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDuty {
    pub ev: Evidence,
    pub org: String,
    pub duty: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanFacts {
    /// The 适用范围 section.
    pub scope: Option<Evidence>,
    pub levels: Vec<PlanLevel>,
    pub actions: Vec<PlanAction>,
    pub roles: Vec<PlanRole>,
    pub duties: Vec<MemberDuty>,
}

fn ev(u: &Unit, text: &str) -> Evidence {
    let t = text.trim();
    let off = u
        .text
        .find(t)
        .map(|b| u.text[..b].chars().count())
        .unwrap_or(0);
    Evidence {
        unit: u.id.clone(),
        span: (u.span.0 + off, u.span.0 + off + t.chars().count()),
        text: t.to_string(),
    }
}

fn first_line(u: &Unit) -> &str {
    u.text.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// Drops a leading （1） / 1. / 一、 label.
fn unlabel(s: &str) -> String {
    let t = s.trim();
    for f in [
        crate::structure::paren_arabic_marker,
        crate::structure::item_marker,
        crate::structure::arabic_marker,
        crate::structure::cn_enum_marker,
    ] {
        if let Some((_, n)) = f(t) {
            return t.chars().skip(n).collect::<String>().trim().to_string();
        }
    }
    t.to_string()
}

fn children(doc: &Document, i: usize) -> Vec<&Unit> {
    doc.units.iter().filter(|u| u.parent == Some(i)).collect()
}

/// The level a sentence activates: 启动三级应急响应 / 启动Ⅲ级响应.
pub fn activated_level(s: &str) -> Option<(usize, u8)> {
    let p = s.find("启动")?;
    let rest = &s[p + "启动".len()..];
    let (level, n) = match rest.chars().next()? {
        '一' | 'Ⅰ' => (1, 1),
        '二' | 'Ⅱ' => (2, 1),
        '三' | 'Ⅲ' => (3, 1),
        '四' | 'Ⅳ' => (4, 1),
        'I' if rest.starts_with("IV") => (4, 2),
        'I' if rest.starts_with("III") => (3, 3),
        'I' if rest.starts_with("II") => (2, 2),
        'I' => (1, 1),
        _ => return None,
    };
    let after: String = rest.chars().skip(n).collect();
    (after.starts_with("级应急响应") || after.starts_with("级响应")).then_some((p, level))
}

/// Grade adjectives before an event noun: 较大事故, 较大洪涝灾害, 重大及以上事故.
fn grades_in(s: &str) -> (Vec<String>, bool) {
    const ADJ: [(&str, &str); 4] = [
        ("特别重大", "ExtraordinarilySerious"),
        ("重大", "Serious"),
        ("较大", "Larger"),
        ("一般", "Ordinary"),
    ];
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut or_above = false;
    let mut i = 0;
    while i < c.len() {
        let hit = ADJ.iter().find(|(zh, _)| {
            let n = zh.chars().count();
            i + n <= c.len() && c[i..i + n].iter().copied().eq(zh.chars())
        });
        let Some((zh, local)) = hit else {
            i += 1;
            continue;
        };
        let n = zh.chars().count();
        let tail: String = c[i + n..(i + n + 8).min(c.len())].iter().collect();
        let tail = tail.trim_start_matches("及以上").trim_start_matches('、');
        // 重大危险源, 重大事故隐患 are not grades.
        let nounish = ["事故", "灾害", "事件", "火灾", "突发事件", "洪涝", "险情"]
            .iter()
            .any(|w| tail.contains(w))
            && !tail.starts_with("危险源")
            && !tail.starts_with("事故隐患")
            && !tail.starts_with("隐患");
        // 一般 is also an adverb (一般不…): only before an event noun.
        if nounish {
            if c[i + n..].iter().collect::<String>().starts_with("及以上") {
                or_above = true;
            }
            if !out.iter().any(|o| o == local) {
                out.push(local.to_string());
            }
        }
        i += n;
    }
    (out, or_above)
}

fn warnings_in(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (zh, local) in WARNINGS {
        let colour: String = zh.chars().take(2).collect();
        if s.contains(zh) || s.contains(&format!("{colour}预警")) {
            out.push(local.to_string());
        }
    }
    out
}

fn condition(u: &Unit, text: &str) -> Option<LevelCondition> {
    let t = text.trim().trim_end_matches(['；', '。', ';', '，']);
    if t.chars().count() < 2 {
        return None;
    }
    let e = ev(u, t);
    let chars: Vec<char> = e.text.chars().collect();
    let mut thresholds = thresholds_in(&chars, &u.id, e.span.0);
    // 未造成人员死亡: no deaths.
    for w in ["未造成人员死亡", "无人员死亡", "未造成死亡"] {
        if let Some(b) = e.text.find(w) {
            let a = e.span.0 + e.text[..b].chars().count();
            thresholds.push(Threshold {
                ev: Evidence {
                    unit: u.id.clone(),
                    span: (a, a + w.chars().count()),
                    text: w.to_string(),
                },
                quantity: "deaths".into(),
                bound: "max".into(),
                value: 1.0,
                unit: "person".into(),
                inclusive: Some(false),
            });
        }
    }
    let (grades, or_above) = grades_in(t);
    Some(LevelCondition {
        warnings: warnings_in(t),
        grades,
        or_above,
        thresholds,
        ev: e,
    })
}

/// Splits a condition sentence into alternatives (或者 between two events).
fn alternatives(u: &Unit, cond: &str) -> Vec<LevelCondition> {
    let parts: Vec<&str> = cond
        .split("，或者")
        .flat_map(|p| p.split("或者发生"))
        .collect();
    let mut out = Vec::new();
    for p in parts {
        // 暴雨蓝色预警或者台风蓝色预警: both colours, split on 或者 when each side names a warning.
        let sub: Vec<&str> = p.split("或者").collect();
        if sub.len() > 1 && sub.iter().all(|x| !warnings_in(x).is_empty()) {
            out.extend(sub.iter().filter_map(|x| condition(u, x)));
        } else if let Some(c) = condition(u, p) {
            out.push(c);
        }
    }
    out
}

/// Reads the plan facts of `doc` (a plan).
pub fn extract(doc: &Document) -> PlanFacts {
    let mut f = PlanFacts::default();
    for (i, u) in doc.units.iter().enumerate() {
        let heading = u.heading.as_deref().unwrap_or("");
        if f.scope.is_none() && heading.contains("适用范围") {
            let body = u
                .text
                .split_once('\n')
                .map(|x| x.1)
                .unwrap_or("")
                .trim()
                .to_string();
            if !body.is_empty() {
                f.scope = Some(ev(u, &body));
            }
        }
        // Response levels: sentences that activate one.
        if u.kind != UnitKind::Item {
            let own = own_text(doc, i);
            for sent in own.split(['。', '\n']) {
                let Some((p, level)) = activated_level(sent) else {
                    continue;
                };
                let cond = unlabel(&sent[..p])
                    .trim_end_matches(['，', '时'])
                    .to_string();
                let cond = cond.trim_end_matches('时').to_string();
                let conditions = if cond.contains("下列") {
                    children(doc, i)
                        .into_iter()
                        .flat_map(|c| {
                            let line = unlabel(first_line(c));
                            alternatives(c, &line)
                        })
                        .collect()
                } else {
                    alternatives(u, &cond)
                };
                let command = u
                    .text
                    .split(['。', '\n'])
                    .find(|s| {
                        s.contains("组织指挥") || s.contains("统一指挥") || s.contains("指挥下")
                    })
                    .map(|s| ev(u, s));
                f.levels.push(PlanLevel {
                    ev: ev(u, sent),
                    level,
                    conditions,
                    command,
                });
            }
        }
        // Actions: items of sections about measures.
        if heading.contains("处置措施")
            || heading.contains("应急处置")
            || heading.contains("先期处置")
        {
            let kids = children(doc, i);
            if kids.is_empty() {
                let body = u
                    .text
                    .split_once('\n')
                    .map(|x| x.1)
                    .unwrap_or("")
                    .trim()
                    .to_string();
                for s in body.split('。').filter(|s| s.chars().count() >= 6) {
                    f.actions.push(action(u, s));
                }
            } else {
                for k in kids {
                    f.actions.push(action(k, first_line(k)));
                }
            }
        }
        if heading.contains("职责") {
            for k in children(doc, i) {
                let line = unlabel(first_line(k));
                if let Some((org, duty)) = line.split_once('：') {
                    if (2..=20).contains(&org.chars().count()) {
                        f.duties.push(MemberDuty {
                            ev: ev(k, first_line(k)),
                            org: org.trim().to_string(),
                            duty: duty.trim().trim_end_matches('。').to_string(),
                        });
                    }
                }
            }
        }
        // Roles: X由Y担任.
        if u.kind != UnitKind::Item {
            for clause in own_text(doc, i).split(['，', '。', '；', '\n']) {
                let (Some(a), Some(b)) = (clause.find('由'), clause.find("担任")) else {
                    continue;
                };
                if a >= b {
                    continue;
                }
                let role = clause[..a].trim();
                let role = role.rsplit(['，', '（', '(']).next().unwrap_or(role).trim();
                let holder = clause[a + '由'.len_utf8()..b].trim();
                if (2..=10).contains(&role.chars().count())
                    && (role.ends_with("指挥") || role.ends_with("主任") || role.ends_with("组长"))
                    && (2..=30).contains(&holder.chars().count())
                {
                    f.roles.push(PlanRole {
                        ev: ev(u, clause),
                        role: role.to_string(),
                        holder: holder.to_string(),
                    });
                }
            }
        }
    }
    f
}

fn action(u: &Unit, line: &str) -> PlanAction {
    let text = unlabel(line);
    let title = text
        .split_once('：')
        .map(|(t, _)| t.trim().to_string())
        .filter(|t| (2..=16).contains(&t.chars().count()));
    let (lead, support) = department_roles(&text);
    PlanAction {
        ev: ev(u, line),
        title,
        lead,
        support,
    }
}

/// Lead and supporting organisations named in （牵头部门：X；配合部门：Y） or
/// （责任部门：X）.
pub fn department_roles(text: &str) -> (Vec<String>, Vec<String>) {
    let grab = |keys: &[&str]| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for key in keys {
            let mut rest = text;
            while let Some(i) = rest.find(key) {
                let after = rest[i + key.len()..].trim_start_matches(['：', ':', ' ', '\u{3000}']);
                let end = after
                    .find(['）', ')', '。', '\n', '；', ';'])
                    .unwrap_or(after.len());
                for name in after[..end].split(['、', '，', ',', '/', ' ']) {
                    let name = name.trim();
                    if !name.is_empty()
                        && name.chars().count() <= 20
                        && !out.iter().any(|o| o == name)
                    {
                        out.push(name.to_string());
                    }
                }
                rest = &after[end..];
            }
        }
        out
    };
    (
        grab(&[
            "牵头部门",
            "牵头单位",
            "责任部门",
            "责任单位",
            "责任科室",
            "承办部门",
        ]),
        grab(&["配合部门", "配合单位", "协办部门"]),
    )
}

/// A unit's own text: without the text of its child units.
fn own_text(doc: &Document, i: usize) -> String {
    let u = &doc.units[i];
    let kids: Vec<(usize, usize)> = doc
        .units
        .iter()
        .filter(|k| k.parent == Some(i))
        .map(|k| k.span)
        .collect();
    if kids.is_empty() {
        return u.text.clone();
    }
    u.text
        .chars()
        .enumerate()
        .filter(|(k, _)| {
            let pos = u.span.0 + k;
            !kids.iter().any(|(a, b)| pos >= *a && pos < *b)
        })
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_grades() {
        assert_eq!(
            activated_level("发生较大事故，启动三级响应"),
            Some(("发生较大事故，".len(), 3))
        );
        assert_eq!(activated_level("启动Ⅱ级应急响应").map(|x| x.1), Some(2));
        assert_eq!(activated_level("启动IV级响应").map(|x| x.1), Some(4));
        assert_eq!(activated_level("启动应急预案"), None);
        assert_eq!(
            grades_in("发生较大及以上事故"),
            (vec!["Larger".to_string()], true)
        );
        assert_eq!(grades_in("发生较大洪涝灾害").0, vec!["Larger".to_string()]);
        assert!(grades_in("存在重大事故隐患").0.is_empty());
        assert!(grades_in("一般不得").0.is_empty());
        assert_eq!(warnings_in("发布暴雨红色预警"), vec!["Red".to_string()]);
    }

    #[test]
    fn roles_of_departments() {
        let (l, s) =
            department_roles("（牵头部门：区消防救援支队；配合部门：区卫生健康委、事发地街镇）");
        assert_eq!(l, vec!["区消防救援支队"]);
        assert_eq!(s, vec!["区卫生健康委", "事发地街镇"]);
    }
}
