//! Grounded answers: retrieve evidence, let the local LLM answer from it
//! (or, without one, answer extractively), then check every citation in the
//! answer — it must name a provision that exists, that was among the
//! evidence, and any text quoted after it must appear in that provision.
//! Failed citations are flagged in the answer text and in the result.

use std::collections::HashSet;

use emkg_ingest::numerals::to_chinese;
use emkg_models::{ChatMessage, GenerationParams, Generator};
use emkg_ontology::normalize_title;

use crate::{Engine, Hit, Result, SearchRequest};

/// What a refusal says; also how one is recognised.
pub const NO_ANSWER: &str = "根据现有资料无法回答该问题。";
const UNVERIFIED_MARK: &str = "〔引用未核实〕";
/// Evidence text shown to the model per provision (chars).
const EVIDENCE_CHARS: usize = 700;

#[derive(Debug, Clone)]
pub struct AskOptions {
    /// Evidence provisions given to the model.
    pub evidence: usize,
    pub generation: GenerationParams,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            evidence: 5,
            generation: GenerationParams {
                max_new_tokens: 384,
                ..Default::default()
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Citation {
    /// As written in the answer.
    pub raw: String,
    pub unit_id: Option<String>,
    pub doc_title: Option<String>,
    pub article: Option<String>,
    pub section: Option<String>,
    pub quote: Option<String>,
    pub verified: bool,
    /// Why it does not verify (Chinese).
    pub problem: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub answer: String,
    pub citations: Vec<Citation>,
    pub evidence: Vec<Hit>,
    /// Every citation verified (and the answer is not a bare guess).
    pub verified: bool,
    /// `generated`, `extractive` or `no_evidence`.
    pub mode: &'static str,
    pub generation: Option<emkg_models::Generation>,
    /// The model cited nothing; citations were added to the sentences
    /// that repeat an evidence provision's wording.
    pub attributed: bool,
}

/// 《title》第N条 (之M) or 《title》section — how evidence is labelled and
/// how the model is told to cite it.
pub fn label(h: &Hit) -> String {
    let c = &h.chunk;
    match (c.article, &c.section) {
        (Some(a), _) => match c.article_suffix {
            Some(s) => format!(
                "《{}》第{}条之{}",
                c.doc_title,
                to_chinese(a),
                to_chinese(s)
            ),
            None => format!("《{}》第{}条", c.doc_title, to_chinese(a)),
        },
        (None, Some(s)) => format!("《{}》{}", c.doc_title, s),
        (None, None) => format!("《{}》", c.doc_title),
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '“' | '”' | '"' | '「' | '」'))
        .collect()
}

/// The quote right after a citation (“…”, "…" or 「…」 within a few chars).
fn quote_after(chars: &[char], end: usize) -> Option<String> {
    let mut i = end;
    while i < chars.len() && i < end + 4 && !matches!(chars[i], '“' | '"' | '「') {
        if matches!(chars[i], '。' | '\n' | '《') {
            return None;
        }
        i += 1;
    }
    let open = *chars.get(i)?;
    let close = match open {
        '“' => '”',
        '「' => '」',
        _ => '"',
    };
    let body: String = chars[i + 1..]
        .iter()
        .take(300)
        .take_while(|c| **c != close)
        .collect();
    (!body.trim().is_empty() && chars.len() > i + 1 + body.chars().count())
        .then(|| body.trim().to_string())
}

impl Engine {
    /// Answers `question` from retrieved evidence. With a generator the
    /// answer streams through `on_text`; without one it is extractive.
    pub fn ask(
        &self,
        question: &str,
        generator: Option<&mut dyn Generator>,
        opts: &AskOptions,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Answer> {
        let mut req = SearchRequest::new(question, opts.evidence.max(1));
        req.in_force_only = true;
        let evidence = self.search(&req)?;
        if evidence.is_empty() {
            on_text(NO_ANSWER);
            return Ok(Answer {
                answer: NO_ANSWER.to_string(),
                citations: Vec::new(),
                evidence,
                verified: true,
                mode: "no_evidence",
                generation: None,
                attributed: false,
            });
        }
        let Some(generator) = generator else {
            let answer = extractive(&evidence);
            on_text(&answer);
            return Ok(self.checked(answer, evidence, "extractive", None));
        };

        let mut material = String::new();
        for (i, h) in evidence.iter().enumerate() {
            material.push_str(&format!(
                "[{}] {}\n{}\n\n",
                i + 1,
                label(h),
                clip(h.chunk.text.trim(), EVIDENCE_CHARS)
            ));
        }
        let system = format!(
            "你是区应急管理局的法规与预案助手。只依据用户给出的资料，用中文简明准确地回答。\
             每个要点都要注明出处，出处照抄资料标题行中的写法，例如{}。\
             不得引用资料以外的法规或条文，不要编造条文内容。\
             如果资料不足以回答，只回答：{NO_ANSWER}",
            label(&evidence[0])
        );
        let user = format!(
            "资料：\n{material}问题：{question}\n请根据资料作答，每一要点后用括号注明出处，如（{}）。",
            label(&evidence[0])
        );
        let messages = [ChatMessage::system(system), ChatMessage::user(user)];
        let g = generator.generate(&messages, &opts.generation, on_text)?;
        let mut text = g.text.trim().to_string();
        if text.is_empty() {
            text = NO_ANSWER.to_string();
        }
        let a = self.checked(text.clone(), evidence, "generated", Some(g));
        // Small models often answer from the evidence without saying where
        // from: attribute each sentence to the provision it was taken from
        // (by wording overlap), so the answer still carries checkable cites.
        let cites_articles = a.citations.iter().any(|c| c.article.is_some());
        if !cites_articles && !text.contains("无法回答") {
            let (with, n) = attribute(&text, &a.evidence);
            if n > 0 {
                let mut a = self.checked(with, a.evidence, "generated", a.generation);
                a.attributed = true;
                return Ok(a);
            }
        }
        Ok(a)
    }

    /// Checks every citation of `answer` against the store and `evidence`;
    /// marks the ones that fail in the text.
    fn checked(
        &self,
        answer: String,
        evidence: Vec<Hit>,
        mode: &'static str,
        generation: Option<emkg_models::Generation>,
    ) -> Answer {
        let checks = self.verify_citations(&answer);
        let chars: Vec<char> = answer.chars().collect();
        let in_evidence: HashSet<(String, Option<u32>, Option<u32>)> = evidence
            .iter()
            .map(|h| {
                (
                    normalize_title(&h.chunk.doc_title),
                    h.chunk.article,
                    h.chunk.article_suffix,
                )
            })
            .collect();
        let mut citations = Vec::new();
        let mut marks: Vec<usize> = Vec::new();
        for c in checks {
            let quote = quote_after(&chars, c.span.1);
            let title = c.doc_title.clone().unwrap_or_else(|| c.cited_title.clone());
            let mut problem = c.problem.clone();
            if problem.is_none() {
                let key = (normalize_title(&title), Some(c.article), c.article_suffix);
                if !in_evidence.contains(&key) {
                    problem = Some("所引条文不在检索到的证据中".into());
                }
            }
            if problem.is_none() {
                if let (Some(q), Some(t)) = (&quote, &c.text) {
                    if !squash(t).contains(&squash(q)) {
                        problem = Some("引号内文字与条文原文不符".into());
                    }
                }
            }
            if problem.is_some() {
                marks.push(c.span.1);
            }
            let article = Some(match c.article_suffix {
                Some(s) => format!("第{}条之{}", to_chinese(c.article), to_chinese(s)),
                None => format!("第{}条", to_chinese(c.article)),
            });
            citations.push(Citation {
                raw: c.raw,
                unit_id: c.unit_id,
                doc_title: Some(title),
                article,
                section: None,
                quote,
                verified: problem.is_none(),
                problem,
            });
        }
        // Numbered sections of plans (《预案》3.2) are cited by label; such
        // a label can only name evidence, so it verifies if its quote does.
        for h in evidence.iter().filter(|h| h.chunk.article.is_none()) {
            let Some(section) = &h.chunk.section else {
                continue;
            };
            let raw = label(h);
            let raw_chars: Vec<char> = raw.chars().collect();
            let Some(start) = chars
                .windows(raw_chars.len())
                .position(|w| w == raw_chars.as_slice())
            else {
                continue;
            };
            let end = start + raw_chars.len();
            let quote = quote_after(&chars, end);
            let ok = quote
                .as_ref()
                .is_none_or(|q| squash(&h.chunk.text).contains(&squash(q)));
            if !ok {
                marks.push(end);
            }
            citations.push(Citation {
                raw,
                unit_id: Some(h.chunk.unit_id.clone()),
                doc_title: Some(h.chunk.doc_title.clone()),
                article: None,
                section: Some(section.clone()),
                quote,
                verified: ok,
                problem: (!ok).then(|| "引号内文字与条文原文不符".to_string()),
            });
        }
        // Flag failures where they stand, back to front so spans hold.
        let mut out = chars;
        marks.sort_unstable();
        for end in marks.into_iter().rev() {
            let at = end.min(out.len());
            out.splice(at..at, UNVERIFIED_MARK.chars());
        }
        let answer: String = out.into_iter().collect();
        let refused = answer.contains("无法回答");
        let verified = citations.iter().all(|c| c.verified) && (!citations.is_empty() || refused);
        Answer {
            answer,
            citations,
            evidence,
            verified,
            mode,
            generation,
            attributed: false,
        }
    }
}

/// Share of a sentence's character bigrams found in an evidence text above
/// which the sentence is taken to come from it.
const ATTRIBUTION_OVERLAP: f32 = 0.5;

fn bigrams(s: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = s
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !c.is_ascii_punctuation() && !"，。；：、！？（）“”".contains(*c)
        })
        .collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Appends （《title》第N条） to each sentence of `text` whose wording comes
/// from an evidence provision. Returns the new text and how many were added.
fn attribute(text: &str, evidence: &[Hit]) -> (String, usize) {
    let ev: Vec<HashSet<(char, char)>> = evidence.iter().map(|h| bigrams(&h.chunk.text)).collect();
    let mut out = String::with_capacity(text.len() + 64);
    let mut added = 0;
    let mut sentence = String::new();
    let flush = |sentence: &mut String, end: Option<char>, out: &mut String, added: &mut usize| {
        let grams = bigrams(sentence);
        if grams.len() >= 6 {
            let best = ev
                .iter()
                .enumerate()
                .map(|(i, e)| (i, grams.intersection(e).count() as f32 / grams.len() as f32))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, _)) = best.filter(|b| b.1 >= ATTRIBUTION_OVERLAP) {
                sentence.push_str(&format!("（{}）", label(&evidence[i])));
                *added += 1;
            }
        }
        out.push_str(sentence);
        if let Some(c) = end {
            out.push(c);
        }
        sentence.clear();
    };
    for c in text.chars() {
        if matches!(c, '。' | '；' | '！' | '？' | '\n') {
            flush(&mut sentence, Some(c), &mut out, &mut added);
        } else {
            sentence.push(c);
        }
    }
    flush(&mut sentence, None, &mut out, &mut added);
    (out, added)
}

/// Without a generator: the top provisions themselves, labelled.
fn extractive(evidence: &[Hit]) -> String {
    let mut s = String::from("未启用生成模型，以下为最相关的条文原文：\n");
    for h in evidence.iter().take(3) {
        s.push_str(&format!(
            "\n{}：“{}”\n",
            label(h),
            clip(h.chunk.text.trim(), 300).trim_end_matches('…')
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_found_right_after_citations() {
        let s: Vec<char> = "依据《安全生产法》第二十一条“建立健全并落实”。"
            .chars()
            .collect();
        let end = "依据《安全生产法》第二十一条".chars().count();
        assert_eq!(quote_after(&s, end).as_deref(), Some("建立健全并落实"));
        let s: Vec<char> = "见第二十一条。另“无关”".chars().collect();
        assert_eq!(quote_after(&s, 6), None);
    }

    #[test]
    fn attribution_cites_the_provision_a_sentence_repeats() {
        let chunk = |id: &str, art: u32, text: &str| Hit {
            chunk: crate::IndexedChunk {
                unit_id: id.into(),
                doc_id: "d".into(),
                doc_title: "示例法".into(),
                doc_kind: emkg_ontology::DocKind::Law,
                heading_path: vec![],
                heading: String::new(),
                text: text.into(),
                lead: String::new(),
                article: Some(art),
                article_suffix: None,
                clause: None,
                section: None,
            },
            score: 1.0,
            retrievers: vec![],
        };
        let ev = [
            chunk("d#art2", 2, "仓库管理人员应当每日巡查库房温度和通风情况。"),
            chunk("d#art3", 3, "发生火灾应当立即拨打火警电话报警。"),
        ];
        let (t, n) = attribute(
            "管理人员应当每日巡查库房的温度和通风。今天天气很好，适合出门散步游玩。",
            &ev,
        );
        assert_eq!(n, 1);
        assert!(
            t.starts_with("管理人员应当每日巡查库房的温度和通风（《示例法》第二条）。"),
            "{t}"
        );
    }

    #[test]
    fn squash_ignores_spacing_and_quote_marks() {
        assert_eq!(squash("应当 立即\n报告"), "应当立即报告");
    }
}
