//! Drafted documents: incident information reports (初报/续报), legal memos
//! (法律备忘录), and a department's work-plan tasks.
//!
//! A draft is data ([`Draft`]: title, addressees, parts with 一、/（一）
//! levels, signature, date) rendered to Markdown, plain text or .docx
//! ([`docx`]). Structure comes from templates held as data
//! (`emkg_ontology::templates`); facts come from the input and from the
//! graph; a language model may phrase narrative sentences only. Every draft
//! passes [`factcheck`] last: a sentence stating a number, date, place or
//! name that neither the input nor a cited provision states is struck and
//! reported in [`Draft::removed`].

pub mod docx;
pub mod factcheck;
pub mod memo;
pub mod report;
pub mod tasks;

use serde::{Deserialize, Serialize};

/// What a draft is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftKind {
    /// 初报.
    Initial,
    /// 续报.
    Followup,
    /// 法律备忘录.
    Memo,
}

/// One entry of a part: a paragraph, or a numbered item (（一）heading + text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The item's own heading (written after （一）), if it has one.
    #[serde(default)]
    pub heading: Option<String>,
    pub text: String,
}

impl Item {
    pub fn para(text: impl Into<String>) -> Item {
        Item {
            heading: None,
            text: text.into(),
        }
    }
}

/// A part of the body, numbered 一、二、… in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub heading: String,
    pub items: Vec<Item>,
}

/// A citation in a draft and whether it verified against the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftCitation {
    pub citation: String,
    pub unit_id: Option<String>,
    pub verified: bool,
    #[serde(default)]
    pub problem: Option<String>,
}

/// A drafted document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub kind: DraftKind,
    pub title: String,
    /// 主送机关.
    pub addressees: Vec<String>,
    /// The opening paragraph before part 一.
    #[serde(default)]
    pub preamble: Option<String>,
    pub parts: Vec<Part>,
    /// 发文机关署名.
    pub issuer: String,
    /// 成文日期 (2026年11月30日).
    pub date: String,
    /// Facts the input lacks, written as 待核实 in the draft.
    pub missing: Vec<String>,
    /// What the fact check struck, and why.
    pub removed: Vec<factcheck::Struck>,
    pub citations: Vec<DraftCitation>,
    /// Remarks for the drafter (which regime's form, what the model did).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Incident reports: the facts the draft was written from, so a 续报
    /// can say what changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<emkg_ingest::incident::Incident>,
    /// Incident reports: the input text, when the input was text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_text: Option<String>,
    /// Incident reports: the grade the draft states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
}

/// 一, 二, … for part numbers.
pub fn part_number(i: usize) -> String {
    emkg_ingest::numerals::to_chinese(i as u32 + 1)
}

impl Draft {
    /// The body as lines of plain text, in reading order: title, addressees,
    /// preamble, parts, signature, date. Markdown and .docx carry exactly
    /// these lines (the test of the .docx reads them back).
    pub fn lines(&self) -> Vec<Line> {
        let mut out = vec![Line::Title(self.title.clone())];
        if !self.addressees.is_empty() {
            out.push(Line::Addressees(format!(
                "{}：",
                self.addressees.join("、")
            )));
        }
        if let Some(p) = &self.preamble {
            out.push(Line::Body(p.clone()));
        }
        for (i, part) in self.parts.iter().enumerate() {
            out.push(Line::Heading1(format!(
                "{}、{}",
                part_number(i),
                part.heading
            )));
            let mut n = 0;
            for item in &part.items {
                match &item.heading {
                    Some(h) => {
                        out.push(Line::Heading2(
                            format!("（{}）{}", part_number(n), h),
                            item.text.clone(),
                        ));
                        n += 1;
                    }
                    None => out.push(Line::Body(item.text.clone())),
                }
            }
        }
        out.push(Line::Signature(self.issuer.clone()));
        out.push(Line::Date(self.date.clone()));
        // A paragraph is one line in every format.
        // Control characters are not allowed in a .docx paragraph either.
        let one = |s: &mut String| {
            if s.chars().any(char::is_control) {
                *s = s.chars().filter(|c| !c.is_control()).collect();
            }
        };
        for l in &mut out {
            match l {
                Line::Heading2(h, t) => {
                    one(h);
                    one(t);
                }
                Line::Title(t)
                | Line::Addressees(t)
                | Line::Body(t)
                | Line::Heading1(t)
                | Line::Signature(t)
                | Line::Date(t) => one(t),
            }
        }
        out
    }

    /// Plain text, one paragraph per line.
    pub fn plain_text(&self) -> String {
        let mut s = String::new();
        for l in self.lines() {
            s.push_str(&l.plain());
            s.push('\n');
        }
        s
    }

    /// Markdown: the plain text with `#`/`##` headings and bold item heads.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        for l in self.lines() {
            match &l {
                Line::Title(t) => s.push_str(&format!("# {t}\n\n")),
                Line::Heading1(t) => s.push_str(&format!("## {t}\n\n")),
                Line::Heading2(h, t) => s.push_str(&format!("**{h}**{t}\n\n")),
                Line::Signature(t) | Line::Date(t) => s.push_str(&format!("{t}\n\n")),
                Line::Addressees(t) | Line::Body(t) => s.push_str(&format!("{t}\n\n")),
            }
        }
        if !self.missing.is_empty() {
            s.push_str(&format!(
                "<!-- 待核实：{} -->\n",
                self.missing.join("；").replace("--", "—")
            ));
        }
        s
    }
}

/// A line of a draft with its role in the layout.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Title(String),
    Addressees(String),
    Body(String),
    /// 一、heading
    Heading1(String),
    /// （一）heading, then the item's text in the same paragraph.
    Heading2(String, String),
    Signature(String),
    Date(String),
}

impl Line {
    pub fn plain(&self) -> String {
        match self {
            Line::Heading2(h, t) => format!("{h}{t}"),
            Line::Title(t)
            | Line::Addressees(t)
            | Line::Body(t)
            | Line::Heading1(t)
            | Line::Signature(t)
            | Line::Date(t) => t.clone(),
        }
    }
}

/// 2026-11-30 → 2026年11月30日 (the 成文日期 form). `None` for a malformed date.
pub fn chinese_date(iso: &str) -> Option<String> {
    let mut it = iso.trim().split('-');
    let y: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if it.next().is_some() || !(1..=days).contains(&d) || !(1900..=9999).contains(&y) {
        return None;
    }
    Some(format!("{y}年{m}月{d}日"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Draft {
        Draft {
            kind: DraftKind::Initial,
            title: "关于某厂火灾的事故信息初报".into(),
            addressees: vec!["区应急管理局".into()],
            preamble: Some("现将有关情况报告如下：".into()),
            parts: vec![
                Part {
                    heading: "事故发生单位概况".into(),
                    items: vec![Item::para("事故发生单位：某厂。")],
                },
                Part {
                    heading: "适用规定".into(),
                    items: vec![Item {
                        heading: Some("报告时限。".into()),
                        text: "1小时内。".into(),
                    }],
                },
            ],
            issuer: "某街道办事处".into(),
            date: "2026年11月30日".into(),
            missing: vec!["直接经济损失".into()],
            removed: vec![],
            citations: vec![],
            notes: vec![],
            incident: None,
            input_text: None,
            grade: None,
        }
    }

    #[test]
    fn markdown_is_the_plain_text_with_markup() {
        let d = sample();
        let md = d.markdown();
        assert!(md.starts_with("# 关于某厂火灾的事故信息初报\n"));
        assert!(md.contains("## 一、事故发生单位概况"));
        assert!(md.contains("**（一）报告时限。**1小时内。"));
        // Stripping the markup gives the plain text's lines.
        let stripped: Vec<String> = md
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("<!--"))
            .map(|l| {
                l.trim_start_matches("## ")
                    .trim_start_matches("# ")
                    .replace("**", "")
            })
            .collect();
        let plain: Vec<String> = d.plain_text().lines().map(String::from).collect();
        assert_eq!(stripped, plain);
    }

    #[test]
    fn dates() {
        assert_eq!(
            chinese_date("2026-11-30").as_deref(),
            Some("2026年11月30日")
        );
        assert_eq!(chinese_date("2026-13-01"), None);
        assert_eq!(chinese_date("2026-02-29"), None);
        assert_eq!(chinese_date("2024-02-29").as_deref(), Some("2024年2月29日"));
        assert_eq!(chinese_date("2026-04-31"), None);
        assert_eq!(chinese_date("昨天"), None);
    }

    #[test]
    fn json_round_trip() {
        let d = sample();
        let v = serde_json::to_string(&d).unwrap();
        let back: Draft = serde_json::from_str(&v).unwrap();
        assert_eq!(back, d);
    }
}
