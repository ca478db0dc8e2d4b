//! Clause-level evidence: what a question asks (its terms and its type —
//! deadline, penalty, duty …) and, in each retrieved provision, the
//! sentences that answer it. The model and the 依据 see those sentences,
//! not whole articles.

use crate::Hit;
use std::collections::HashSet;
use std::sync::OnceLock;

/// What kind of answer a question wants; each kind has the wording that
/// states it in legal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionType {
    Deadline,
    Penalty,
    Prohibition,
    Duty,
    Definition,
    Threshold,
    WhoDecides,
    Procedure,
    General,
}

impl QuestionType {
    /// Words in a provision sentence that state this kind of answer.
    fn cues(self) -> &'static [&'static str] {
        match self {
            QuestionType::Deadline => &["小时", "日内", "天内", "立即", "及时", "期限", "之日起"],
            QuestionType::Penalty => &["罚款", "处", "没收", "吊销", "责令", "拘留", "追究"],
            QuestionType::Prohibition => &["不得", "禁止", "严禁"],
            QuestionType::Duty => &["应当", "必须", "负责", "职责"],
            QuestionType::Definition => &["是指", "所称", "包括", "分为"],
            QuestionType::Threshold => &["以上", "以下", "不足", "超过"],
            QuestionType::WhoDecides => &["负责", "组织", "由", "决定", "批准", "主管"],
            QuestionType::Procedure => &["报告", "程序", "应当", "提交", "审查"],
            QuestionType::General => &[],
        }
    }
}

/// The question's type, from its wording.
pub fn question_type(q: &str) -> QuestionType {
    let has = |ws: &[&str]| ws.iter().any(|w| q.contains(w));
    if has(&[
        "多长时间",
        "多久",
        "几小时",
        "几个小时",
        "几天",
        "时限",
        "期限",
        "多少小时",
        "什么时候",
    ]) {
        QuestionType::Deadline
    } else if has(&["罚", "处罚", "怎么处理", "法律责任", "追究"]) {
        QuestionType::Penalty
    } else if has(&[
        "能不能",
        "可不可以",
        "可以吗",
        "行不行",
        "允许",
        "是否可以",
        "能否",
        "禁止",
    ]) {
        QuestionType::Prohibition
    } else if has(&[
        "是什么",
        "什么是",
        "指什么",
        "指哪些",
        "指的是",
        "什么叫",
        "含义",
        "定义",
        "哪些属于",
        "属于哪些",
        "哪几类",
        "哪些类",
        "包括哪些",
        "怎么分",
        "分为",
    ]) {
        QuestionType::Definition
    } else if has(&[
        "多少人",
        "多少万",
        "多少元",
        "以上",
        "达到",
        "标准",
        "算什么",
    ]) {
        QuestionType::Threshold
    } else if has(&[
        "谁",
        "哪个部门",
        "哪一级",
        "哪级",
        "由谁",
        "哪个单位",
        "找谁",
        "归谁",
    ]) {
        QuestionType::WhoDecides
    } else if has(&[
        "职责",
        "责任",
        "义务",
        "要做",
        "要求",
        "负什么",
        "应当",
        "要不要",
        "管不管",
        "干哪些",
    ]) {
        QuestionType::Duty
    } else if has(&["怎么办", "如何", "程序", "流程", "怎么报"]) {
        QuestionType::Procedure
    } else {
        QuestionType::General
    }
}

pub(crate) fn jieba() -> &'static jieba_rs::Jieba {
    static J: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    J.get_or_init(jieba_rs::Jieba::new)
}

/// Function words and question words that say nothing about the content.
const STOP: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "是",
    "在",
    "有",
    "和",
    "与",
    "或",
    "及",
    "要",
    "就",
    "都",
    "也",
    "还",
    "被",
    "把",
    "对",
    "给",
    "让",
    "会",
    "能",
    "可以",
    "什么",
    "怎么",
    "怎样",
    "如何",
    "哪些",
    "哪个",
    "哪",
    "多少",
    "多长",
    "时间",
    "是否",
    "到底",
    "平时",
    "这样",
    "那",
    "这",
    "我们",
    "我",
    "你",
    "他",
    "他们",
    "一个",
    "一些",
    "应该",
    "需要",
    "规定",
    "法律",
    "条例",
    "按照",
    "依据",
    "根据",
    "请问",
    "问",
    "行不行",
    "能不能",
    "可不可以",
    "不",
    "没",
    "没有",
    "吗？",
    "？",
    "，",
    "。",
    "、",
    "要不要",
    "谁",
    "由",
    "一下",
    "时候",
    "就是",
    "还是",
    "以后",
    "之后",
    "直接",
    "开始",
    "东西",
    "那些",
    "这些",
    "一场",
    "个",
];

/// Content terms of a question (jieba words that are not function words),
/// with the statutory terms its colloquial words stand for.
pub fn terms(q: &str) -> Vec<String> {
    let stop: HashSet<&str> = STOP.iter().copied().collect();
    let mut out: Vec<String> = Vec::new();
    for w in jieba().cut_for_search(q, true) {
        let w = w.word.trim();
        if w.is_empty()
            || stop.contains(w)
            || w.chars().all(|c| !c.is_alphanumeric())
            || (w.chars().count() == 1 && !w.chars().all(|c| c.is_ascii_digit()))
        {
            continue;
        }
        if !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    for t in emkg_ontology::lexicon::expansions(q) {
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// A sentence of a provision chosen as evidence.
#[derive(Debug, Clone)]
pub struct Clause {
    /// Index of the hit it comes from.
    pub hit: usize,
    pub text: String,
    pub score: f32,
}

/// Sentences of a provision's text: split at 。；and line ends, the
/// leading 第N条 label dropped, items kept whole.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '。' | '；' | '\n') {
            let t = cur.trim().to_string();
            if t.chars().count() >= 4 {
                out.push(t);
            }
            cur.clear();
        }
    }
    let t = cur.trim().to_string();
    if t.chars().count() >= 4 {
        out.push(t);
    }
    if let Some(first) = out.first_mut() {
        if let Some(a) = emkg_ingest::structure::article_start(first) {
            *first = first
                .chars()
                .skip(a.label_chars)
                .collect::<String>()
                .trim()
                .to_string();
        }
    }
    out.retain(|s| s.chars().count() >= 4);
    out
}

/// How well a sentence answers: the share of the question's terms it
/// contains (longer terms weigh more), plus the wording of the question's
/// type; shorter sentences win ties.
pub fn score(sentence: &str, terms: &[String], qt: QuestionType) -> f32 {
    let weights: Vec<f32> = terms.iter().map(|t| length_weight(t)).collect();
    score_weighted(sentence, terms, &weights, qt)
}

/// `score` with given term weights.
fn score_weighted(sentence: &str, terms: &[String], weights: &[f32], qt: QuestionType) -> f32 {
    let mut s = 10.0 * coverage_by(terms, weights, sentence);
    if qt.cues().iter().any(|c| sentence.contains(c)) {
        s += 2.0;
    }
    // The sentence that defines the asked-about term is the answer to a
    // definition question, whatever else other sentences share with it.
    if qt == QuestionType::Definition && defines(sentence, terms) {
        s += 4.0;
    }
    s - sentence.chars().count() as f32 / 400.0
}

/// Whether a sentence opens a list (…履行下列职责：).
fn opens_list(s: &str) -> bool {
    let t = s.trim_end();
    t.ends_with('：') || t.ends_with(':')
}

/// Whether a sentence is an item of a list (（一）…, 1.…).
fn is_item(s: &str) -> bool {
    emkg_ingest::structure::item_marker(s).is_some()
        || emkg_ingest::structure::paren_arabic_marker(s).is_some()
        || emkg_ingest::structure::arabic_marker(s).is_some()
}

/// The answering units of a provision: its sentences; a list's lead joined
/// to its items (a lead alone — 应当履行下列职责： — says nothing), and the
/// lead with each single item (which the question's numbers may single out).
pub fn units(text: &str) -> Vec<String> {
    let ss = sentences(text);
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ss.len() {
        if opens_list(&ss[i]) {
            let mut u = ss[i].clone();
            let mut j = i + 1;
            while j < ss.len() && is_item(&ss[j]) {
                u.push_str(&ss[j]);
                j += 1;
            }
            for item in &ss[i + 1..j] {
                out.push(format!("{}{}", ss[i], item));
            }
            out.push(u);
            i = j.max(i + 1);
        } else {
            out.push(ss[i].clone());
            i += 1;
        }
    }
    out
}

/// Quantities a question states (死了1个人, 损失500万元): (value, unit) with
/// units person, yuan, hour.
fn question_quantities(q: &str) -> Vec<(f64, &'static str, &'static str)> {
    let c: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let prev_num = i > 0
            && (c[i - 1].is_ascii_digit()
                || emkg_ingest::numerals::is_chinese_numeral_char(c[i - 1]));
        let Some(qn) = (!prev_num)
            .then(|| emkg_ingest::numerals::quantity_at(&c, i))
            .flatten()
        else {
            i += 1;
            continue;
        };
        let rest: String = c[qn.end..(qn.end + 3).min(c.len())].iter().collect();
        let unit = [
            ("个人", 1.0, "person"),
            ("人", 1.0, "person"),
            ("名", 1.0, "person"),
            ("万元", 1e4, "yuan"),
            ("亿元", 1e8, "yuan"),
            ("元", 1.0, "yuan"),
            ("个小时", 1.0, "hour"),
            ("小时", 1.0, "hour"),
        ]
        .into_iter()
        .find(|(u, _, _)| rest.starts_with(u));
        if let Some((_, mult, unit)) = unit {
            // What is counted: the words around the number (死了1个人, 重伤3人).
            let around: String = c[i.saturating_sub(4)..(qn.end + 5).min(c.len())]
                .iter()
                .collect();
            let kind = if unit == "yuan" {
                "direct_loss"
            } else if around.contains("重伤") {
                "serious_injuries"
            } else if around.contains('死') || around.contains('亡') || around.contains("遇难")
            {
                "deaths"
            } else if around.contains('伤') {
                "injuries"
            } else {
                ""
            };
            out.push((qn.value * mult, unit, kind));
        }
        i = qn.end.max(i + 1);
    }
    out
}

/// +3 when a question's quantity falls within a unit's thresholds for the
/// same thing (死亡一人以上 for 死了1个人), −3 when the unit bounds that
/// thing and the quantity falls outside (死亡十人以上).
fn threshold_fit(sentence: &str, quantities: &[(f64, &str, &str)]) -> f32 {
    if quantities.is_empty() {
        return 0.0;
    }
    let c: Vec<char> = sentence.chars().collect();
    let ths = emkg_ingest::rules::thresholds_in(&c, "", 0);
    let holds = |t: &emkg_ingest::extract::Threshold, v: f64| {
        let incl = t.inclusive.unwrap_or(t.bound == "min");
        match (t.bound.as_str(), incl) {
            ("min", true) => v >= t.value,
            ("min", false) => v > t.value,
            ("max", true) => v <= t.value,
            _ => v < t.value,
        }
    };
    let mut fit = 0.0f32;
    for (v, unit, kind) in quantities {
        let same: Vec<_> = ths
            .iter()
            .filter(|t| t.unit == *unit && (kind.is_empty() || t.quantity == *kind))
            .collect();
        if same.is_empty() {
            continue;
        }
        // Bounds of one quantity bind together (一人以上十人以下); the unit's
        // alternatives (…的，…的) are tried one by one.
        let ok = same.iter().any(|t| {
            holds(t, *v)
                && same
                    .iter()
                    .filter(|o| o.quantity == t.quantity && o.ev.span.0.abs_diff(t.ev.span.0) < 12)
                    .all(|o| holds(o, *v))
        });
        fit += if ok { 3.0 } else { -3.0 };
    }
    fit
}

/// For each hit, its best sentences (at most `per_hit`), best first; each
/// hit gets at least its best sentence.
pub fn select(question: &str, hits: &[Hit], per_hit: usize) -> Vec<Clause> {
    let ts = terms(question);
    let qt = question_type(question);
    let qq = question_quantities(question);
    let mut out = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        let mut scored: Vec<(f32, usize, String)> = units(&h.chunk.text)
            .into_iter()
            .enumerate()
            .map(|(k, s)| (score(&s, &ts, qt) + threshold_fit(&s, &qq), k, s))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let best = scored.first().map(|x| x.0).unwrap_or(0.0);
        // The best units that do not repeat each other (a lead with one item
        // inside the whole list).
        let mut picked: Vec<(f32, usize, String)> = Vec::new();
        for x in scored {
            if picked.len() >= per_hit {
                break;
            }
            if !picked.is_empty() && (x.0 <= 0.0 || x.0 < best * 0.6) {
                break;
            }
            if picked
                .iter()
                .any(|p| p.2.contains(&x.2) || x.2.contains(&p.2))
            {
                continue;
            }
            picked.push(x);
        }
        // In the provision's own order.
        picked.sort_by_key(|x| x.1);
        for (sc, _, text) in picked {
            out.push(Clause {
                hit: i,
                text,
                score: sc,
            });
        }
    }
    out
}

/// For each hit, the score of its best answering unit for `question`.
pub fn best_scores(question: &str, hits: &[Hit]) -> Vec<f32> {
    let ts = terms(question);
    let qt = question_type(question);
    let qq = question_quantities(question);
    // Among candidates that all share the question's topic, the terms only
    // a few of them contain tell them apart (工资 among provisions that all
    // say 抗洪): each term weighs by its rarity in this candidate pool.
    let n = hits.len() as f32;
    let weights: Vec<f32> = ts
        .iter()
        .map(|t| {
            let df = hits
                .iter()
                .filter(|h| h.chunk.text.contains(t.as_str()))
                .count() as f32;
            length_weight(t) * (1.0 + (n + 1.0) / (df + 1.0)).ln().sqrt()
        })
        .collect();
    hits.iter()
        .map(|h| {
            units(&h.chunk.text)
                .iter()
                .map(|u| score_weighted(u, &ts, &weights, qt) + threshold_fit(u, &qq))
                .fold(f32::MIN, f32::max)
                .max(0.0)
        })
        .collect()
}

impl QuestionType {
    /// Words a search adds to find the provisions that state this kind of
    /// answer (a definition, a penalty).
    pub fn search_words(self) -> &'static str {
        match self {
            QuestionType::Definition => "是指 所称",
            QuestionType::Penalty => "罚款 处分 追究 责任",
            _ => "",
        }
    }
}

/// Whether `text` states the kind of answer a question of type `qt` about
/// `terms` wants: a definition of one of the terms, a penalty. Other types
/// have no such test and always pass.
pub fn states_answer(qt: QuestionType, text: &str, terms: &[String]) -> bool {
    match qt {
        QuestionType::Definition => defines(text, terms),
        QuestionType::Penalty => ["罚款", "处分", "拘留", "追究刑事责任", "吊销", "警告"]
            .iter()
            .any(|w| text.contains(w)),
        _ => true,
    }
}

/// Whether `text` defines one of `terms` (本法所称X，是指…; （三）X，是指…;
/// X包括…; X分为…).
pub fn defines(text: &str, terms: &[String]) -> bool {
    terms.iter().filter(|t| t.chars().count() >= 2).any(|t| {
        let t = t.as_str();
        text.contains(&format!("所称{t}"))
            || ["，是指", "是指", "，包括", "包括", "分为", "，分为"]
                .iter()
                .any(|p| text.contains(&format!("{t}{p}")))
    })
}

/// Share of the question's terms (by weight) found in a text: how much of
/// the question the text speaks to.
pub fn coverage(terms: &[String], text: &str) -> f32 {
    let weights: Vec<f32> = terms.iter().map(|t| length_weight(t)).collect();
    coverage_by(terms, &weights, text)
}

/// A term's weight by its length: longer terms are more specific.
fn length_weight(t: &str) -> f32 {
    (t.chars().count() as f32).min(6.0)
}

/// Share of the weight of `terms` found in `text`.
fn coverage_by(terms: &[String], weights: &[f32], text: &str) -> f32 {
    let total: f32 = weights.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let found: f32 = terms
        .iter()
        .zip(weights)
        .filter(|(t, _)| text.contains(t.as_str()))
        .map(|(_, w)| *w)
        .sum();
    found / total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_types() {
        assert_eq!(
            question_type("较大事故应当在多长时间内报告？"),
            QuestionType::Deadline
        );
        assert_eq!(question_type("未配备安全员罚多少"), QuestionType::Penalty);
        assert_eq!(
            question_type("塔吊没验收就吊东西行不行"),
            QuestionType::Prohibition
        );
        assert_eq!(
            question_type("突发事件包括哪几类"),
            QuestionType::Definition
        );
        assert_eq!(
            question_type("一般事故由哪一级政府负责调查"),
            QuestionType::WhoDecides
        );
        assert_eq!(
            question_type("老板要对安全生产负什么责？"),
            QuestionType::Duty
        );
    }

    #[test]
    fn sentences_drop_the_article_label() {
        let s = sentences("第九条 事故发生后，有关人员应当立即报告；单位负责人应当于1小时内报告。\n情况紧急时，可以直接报告。");
        assert_eq!(s[0], "事故发生后，有关人员应当立即报告；");
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn terms_drop_function_words_and_expand_colloquial_ones() {
        let t = terms("老板要对安全生产负什么责？");
        assert!(t.iter().any(|x| x.contains("安全")), "{t:?}");
        assert!(t.contains(&"主要负责人".to_string()), "{t:?}");
        assert!(!t.iter().any(|x| x == "什么" || x == "要"));
    }
}
