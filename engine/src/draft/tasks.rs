//! The work-plan view: a department's tasks, with their time limits and
//! sources, from the work plans ingested (工作要点, 工作计划); for each task,
//! its lead (or responsible) and cooperating departments. An argument that
//! names no department is read as words of a task instead.

use crate::{Engine, EngineError, Result};
use emkg_ontology::DocKind;
use serde::Serialize;

/// One task of a work plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// 电气焊作业管理
    pub task: String,
    pub text: String,
    /// lead | cooperating: the asked department's role (lead for a task
    /// found by its words).
    pub role: &'static str,
    /// 责任/牵头 departments.
    pub lead: Vec<String>,
    /// 配合 departments.
    pub cooperating: Vec<String>,
    /// The time limit the task states (年内, 汛前, 6月底前 …), with its clause.
    pub deadline: Option<String>,
    /// 《某区应急管理局2025年安全生产和应急管理工作要点》二、（二）
    pub source: String,
    pub unit_id: String,
}

impl Task {
    pub fn role_label(&self) -> &'static str {
        match self.role {
            "cooperating" => "配合",
            _ => "牵头/责任",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentTasks {
    pub department: String,
    /// Whether `department` was matched as a task's words, not a department.
    pub by_task: bool,
    pub tasks: Vec<Task>,
    /// Every department the work plans name (to help a query that matched none).
    pub departments: Vec<String>,
}

/// Words that state when a task is due, longest first.
const DUE: &[&str] = &[
    "年底前",
    "年内",
    "月底前",
    "月底",
    "日前",
    "日之前",
    "汛期前",
    "汛前",
    "节前",
    "上半年",
    "下半年",
    "前完成",
    "每季度",
    "每半年",
    "每月",
    "每年",
    "全年",
    "季度",
    "年底",
];

/// The clause of `text` that states a time limit.
pub fn deadline(text: &str) -> Option<String> {
    let (i, _) = DUE
        .iter()
        .filter_map(|w| text.find(w).map(|i| (i, *w)))
        .min_by_key(|(i, _)| *i)?;
    let start = text[..i]
        .rfind(['，', '。', '；', '（', '：'])
        .map(|j| j + text[j..].chars().next().map_or(0, char::len_utf8))
        .unwrap_or(0);
    let end = text[i..]
        .find(['，', '。', '；', '（'])
        .map(|j| i + j)
        .unwrap_or(text.len());
    let s = text[start..end].trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn matches(listed: &str, asked: &str) -> bool {
    listed == asked
        || (asked.chars().count() >= 2 && (listed.contains(asked) || asked.contains(listed)))
}

impl Engine {
    /// The tasks of `department` in the ingested work plans; when no
    /// department matches, the tasks whose words contain the argument.
    pub fn department_tasks(&self, department: &str) -> Result<DepartmentTasks> {
        let asked = department.trim();
        if asked.is_empty() || asked.chars().count() > 50 {
            return Err(EngineError::BadQuery(
                "请写明部门名称（如：协调科、减灾科）或任务关键词".into(),
            ));
        }
        let mut all: Vec<Task> = Vec::new();
        let mut departments: Vec<String> = Vec::new();
        let mut ids: Vec<&String> = self
            .visible_docs()
            .filter(|e| e.kind == DocKind::WorkPlan)
            .map(|e| &e.id)
            .collect();
        ids.sort();
        for id in ids {
            let doc = self.document(id)?;
            for u in &doc.units {
                let roles = emkg_ingest::department_roles(&u.text);
                // A container repeats its children's text: tasks are the
                // units that name departments and contain no such unit.
                let has_child_task = doc.units.iter().any(|c| {
                    c.id != u.id
                        && c.id.starts_with(&format!("{}.", u.id))
                        && !c.responsible.is_empty()
                });
                if roles.is_empty() || has_child_task {
                    continue;
                }
                for (d, _) in &roles {
                    if !departments.contains(d) {
                        departments.push(d.clone());
                    }
                }
                let mut path: Vec<String> = u
                    .heading_path
                    .iter()
                    .map(|h| h.split_whitespace().next().unwrap_or(h).to_string())
                    .collect();
                path.push(u.label.clone());
                let task = u
                    .heading
                    .clone()
                    .unwrap_or_else(|| u.text.chars().take(30).collect());
                all.push(Task {
                    task,
                    text: u.text.trim().to_string(),
                    role: "lead",
                    lead: roles.iter().filter(|r| r.1).map(|r| r.0.clone()).collect(),
                    cooperating: roles.iter().filter(|r| !r.1).map(|r| r.0.clone()).collect(),
                    deadline: deadline(&u.text),
                    source: format!("《{}》{}", doc.title, path.join("")),
                    unit_id: u.id.clone(),
                });
            }
        }
        let mut tasks: Vec<Task> = Vec::new();
        for t in &all {
            let role = if t.lead.iter().any(|d| matches(d, asked)) {
                "lead"
            } else if t.cooperating.iter().any(|d| matches(d, asked)) {
                "cooperating"
            } else {
                continue;
            };
            tasks.push(Task { role, ..t.clone() });
        }
        let by_task = tasks.is_empty();
        if by_task {
            tasks = all
                .into_iter()
                .filter(|t| t.task.contains(asked) || t.text.contains(asked))
                .collect();
        }
        Ok(DepartmentTasks {
            department: asked.to_string(),
            by_task,
            tasks,
            departments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines() {
        assert_eq!(
            deadline("修订职责清单，年内组织成员单位述职不少于1次。").as_deref(),
            Some("年内组织成员单位述职不少于1次")
        );
        assert_eq!(
            deadline("汛前完成防汛物资储备检查，做好准备。").as_deref(),
            Some("汛前完成防汛物资储备检查")
        );
        assert_eq!(deadline("开展专项检查。"), None);
    }

    #[test]
    fn department_names_match_whole_or_within() {
        assert!(matches("协调科", "协调科"));
        assert!(matches("区应急管理局协调科", "协调科"));
        assert!(!matches("减灾科", "协调科"));
        assert!(!matches("科", "协"));
    }
}
