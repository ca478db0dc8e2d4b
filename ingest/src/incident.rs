//! Incident understanding: free Chinese text — a phone call, a duty-room
//! note, a news report — to the facts a command centre needs: what
//! happened, when, where, which unit, casualties, direct loss, cause and
//! measures taken.
//!
//! Rules and dictionaries only; no model. Every value carries the char span
//! (`[start, end)` in the input) it was read from, and a value the text does
//! not state stays `None` — never 0 unless the text says so (无人员伤亡).
//! Counts keep the text's own approximations (十余人 is a range, flagged).
//! Times keep the text's own expression and, where a reference date is
//! known (the report's timestamp line or its dateline), a normalised value.
//!
//! ```
//! let i = emkg_ingest::incident::extract("某纸业公司造纸车间发生有限空间中毒窒息事故，造成5人死亡");
//! assert_eq!(i.deaths.as_ref().map(|c| c.value), Some(5));
//! assert_eq!(i.event_type.as_ref().map(|e| e.value.as_str()), Some("中毒和窒息"));
//! assert_eq!(i.injuries, None);
//! ```

use crate::numerals::{is_chinese_numeral_char, quantity_at, to_ascii_digit, Quantity};
use emkg_ontology::events::{is_precursor, trigger_at, Trigger};
use serde::{Deserialize, Serialize};

/// A text value with the span it was read from (`None` for structured input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub value: String,
    pub span: Option<(usize, usize)>,
}

/// What happened: a short label (火灾, 交通事故 …) and its taxonomy concept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventType {
    pub value: String,
    /// IRI local name in the emkg taxonomy (`FireAccident`, `ForestGrasslandFire` …).
    pub concept: String,
    pub span: Option<(usize, usize)>,
}

/// A number of people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub value: u64,
    pub span: Option<(usize, usize)>,
    /// The phrase as written (`十余人受伤`).
    #[serde(default)]
    pub text: String,
    /// 约, 余, 多, 几: the value is not exact.
    #[serde(default)]
    pub approximate: bool,
    /// The range an approximate count implies (十余人 → 11–19).
    #[serde(default)]
    pub range: Option<(u64, u64)>,
    /// Summed from parts the text states (重伤3人、轻伤14人), not a stated total.
    #[serde(default)]
    pub derived: bool,
}

/// An amount of money in 元.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amount {
    pub value: f64,
    pub span: Option<(usize, usize)>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub approximate: bool,
}

/// When it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeField {
    /// The text's own expression; 当日/当天 are replaced by the date they
    /// refer to (2014年1月2日14时20分许 for 当日14时20分许), so `value` may
    /// differ from the text at `span`, which covers the expression as written.
    pub value: String,
    pub span: Option<(usize, usize)>,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` when a reference date resolves it.
    pub normalized: Option<String>,
}

/// The facts of one incident.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub event_type: Option<EventType>,
    pub time: Option<TimeField>,
    pub location: Option<Field>,
    /// The unit or enterprise where it happened.
    pub unit: Option<Field>,
    pub deaths: Option<Count>,
    /// Serious injuries, acute industrial poisoning included.
    pub serious_injuries: Option<Count>,
    /// All injured as stated (serious and light).
    pub injuries: Option<Count>,
    pub missing: Option<Count>,
    pub trapped: Option<Count>,
    /// People evacuated or relocated (转移, 疏散).
    pub evacuated: Option<Count>,
    pub direct_loss_yuan: Option<Amount>,
    pub cause: Option<Field>,
    pub measures: Vec<Field>,
    /// The date relative expressions were resolved against (`YYYY-MM-DD`).
    pub reference_date: Option<String>,
    /// Problems: implausible values, unresolved times, conflicting statements (Chinese).
    pub warnings: Vec<String>,
}

impl Incident {
    /// Whether anything at all was understood.
    pub fn is_empty(&self) -> bool {
        self.event_type.is_none()
            && self.deaths.is_none()
            && self.injuries.is_none()
            && self.serious_injuries.is_none()
            && self.direct_loss_yuan.is_none()
            && self.location.is_none()
            && self.missing.is_none()
            && self.evacuated.is_none()
    }
}

/// Reads an incident from free text.
pub fn extract(text: &str) -> Incident {
    let c: Vec<char> = text.chars().collect();
    let doc = Layout::of(&c);
    let mut inc = Incident::default();
    let triggers = find_triggers(&c, &doc);
    let event = choose_event(&triggers, &doc);
    if let Some((title_t, _)) = event.title {
        inc.event_type = Some(EventType {
            value: title_t.label.to_string(),
            concept: title_t.concept.to_string(),
            span: Some(event.title_span),
        });
    }
    if let Some(e) = &event.body {
        // A more specific concept from the body (森林火灾 under a 火灾 title).
        let body_t = EventType {
            value: e.trigger.label.to_string(),
            concept: e.trigger.concept.to_string(),
            span: Some((e.pos, e.pos + e.len)),
        };
        match &mut inc.event_type {
            None => inc.event_type = Some(body_t),
            // The body names the same event more precisely (森林火灾 under
            // a 火灾 headline).
            Some(t) if t.value == body_t.value => t.concept = body_t.concept,
            _ => {}
        }
    }
    let times = find_times(&c, &doc);
    inc.reference_date = doc.reference.map(|d| d.iso());
    if let Some(e) = &event.body {
        // The chosen event, then later statements of the same event.
        let mut events = vec![e.pos];
        events.extend(
            triggers
                .iter()
                .filter(|o| {
                    o.pos > e.pos
                        && o.predicate
                        && !o.negated
                        && !o.cause
                        && o.trigger.label == e.trigger.label
                })
                .map(|o| o.pos),
        );
        inc.time = choose_time(&c, &doc, &times, &events);
        inc.location = location(&c, &doc, &times, e);
    } else {
        // No event word: the time after 发生在/发生于, else the first dated one;
        // the place after 地点是/位于.
        let after_happened = times.iter().find(|t| {
            let lead: String = c[t.start.saturating_sub(3)..t.start].iter().collect();
            lead.ends_with("发生在") || lead.ends_with("发生于") || lead.ends_with("时间是")
        });
        if let Some(t) = after_happened.or_else(|| times.iter().find(|t| t.has_day())) {
            inc.time = Some(resolve_time(&c, &doc, &times, t));
        }
        for mark in ["地点是", "地点为", "地点在", "位于", "发生在"] {
            if let Some(p) = find_str(&c, mark, 0) {
                let start = p + mark.chars().count();
                let mut end = start;
                while end < c.len() && !matches!(c[end], '，' | '。' | '；' | '\n') {
                    end += 1;
                }
                if let Some(f) = place_in(&c, start, end) {
                    inc.location = Some(f);
                    break;
                }
            }
        }
    }
    inc.unit = unit(&c, &doc, event.body.as_ref().map(|e| e.pos));
    counts(&c, &doc, &mut inc);
    inc.direct_loss_yuan = loss(&c, &doc, &mut inc.warnings);
    inc.cause = cause(&c, &doc, event.body.as_ref(), &mut inc.warnings);
    inc.measures = measures(&c, &doc, event.body.as_ref().map(|e| e.pos));
    if inc.time.is_none() && event.body.is_some() {
        if let Some(p) = find_str(&c, "近日", 0) {
            inc.time = Some(TimeField {
                value: "近日".into(),
                span: Some((p, p + 2)),
                normalized: None,
            });
            inc.warnings.push("时间仅称“近日”，无法确定具体日期".into());
        }
    }
    inc
}

// ---------------------------------------------------------------------------
// Layout: title, comments, timestamp line, datelines.

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Date {
    y: i32,
    m: u32,
    d: u32,
}

/// `YYYY-MM-DD` of a count of days since 1970-01-01 (the civil calendar).
pub fn iso_date_from_unix_days(days: i64) -> String {
    Date::from_days(days).iso()
}

impl Date {
    fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
    fn days(self) -> i64 {
        // Days from civil (Howard Hinnant's algorithm).
        let y = if self.m <= 2 { self.y - 1 } else { self.y } as i64;
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = self.m as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }
    fn from_days(z: i64) -> Date {
        let z = z + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Date {
            y: (if m <= 2 { y + 1 } else { y }) as i32,
            m,
            d,
        }
    }
    fn plus(self, days: i64) -> Date {
        Date::from_days(self.days() + days)
    }
    fn valid(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 {
            return None;
        }
        let dm = days_in_month(y, m);
        (d <= dm).then_some(Date { y, m, d })
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

struct Layout {
    /// Char range of the `# title` line, if any.
    title: Option<(usize, usize)>,
    /// Chars to ignore for times and places: comments, the timestamp line,
    /// datelines (新华网莫斯科３月３１日电（记者…）), 本报讯.
    masked: Vec<bool>,
    /// The report's own date, for 昨日 / 6日.
    reference: Option<Date>,
    /// Sentence ranges (split at 。！？\n), title excluded.
    sentences: Vec<(usize, usize)>,
    /// Per char: inside a clause about statistics (see [`stat_flags`]).
    stat: Vec<bool>,
}

impl Layout {
    fn of(c: &[char]) -> Layout {
        let mut masked = vec![false; c.len()];
        let mut title = None;
        let mut reference = None;
        // HTML comments.
        let mut i = 0;
        while let Some(p) = find_str(c, "<!--", i) {
            let end = find_str(c, "-->", p).map(|e| e + 3).unwrap_or(c.len());
            masked[p..end].iter_mut().for_each(|m| *m = true);
            i = end;
        }
        // Lines: the first '#' line is the title; the first short line that
        // starts with a full date is the report's timestamp.
        let mut line_start = 0;
        let mut seen_body = false;
        for k in 0..=c.len() {
            if k < c.len() && c[k] != '\n' {
                continue;
            }
            let (a, b) = (line_start, k);
            line_start = k + 1;
            let line: String = c[a..b].iter().collect();
            let t = line.trim();
            if t.is_empty() || masked[a..b].iter().all(|m| *m) {
                continue;
            }
            if title.is_none() && !seen_body && t.starts_with('#') {
                title = Some((a, b));
                masked[a..b].iter_mut().for_each(|m| *m = true);
                continue;
            }
            if !seen_body && reference.is_none() {
                if let Some(d) = timestamp_line(&c[a..b]) {
                    reference = Some(d);
                    masked[a..b].iter_mut().for_each(|m| *m = true);
                    continue;
                }
            }
            seen_body = true;
        }
        // Datelines and 本报讯 at paragraph starts.
        let mut para = 0;
        for k in 0..=c.len() {
            if k == c.len() || c[k] == '\n' {
                if k > para {
                    mask_dateline(c, para, k, &mut masked, &mut reference);
                }
                para = k + 1;
            }
        }
        let mut sentences = Vec::new();
        let mut s = 0;
        for k in 0..=c.len() {
            if k == c.len() || matches!(c[k], '。' | '！' | '？' | '!' | '?' | '\n') {
                let end = (k + 1).min(c.len());
                if title.is_none_or(|(ta, tb)| !(s >= ta && s < tb))
                    && c[s..k].iter().any(|x| !x.is_whitespace())
                {
                    sentences.push((s, end));
                }
                s = end;
            }
        }
        Layout {
            title,
            masked,
            reference,
            sentences,
            stat: stat_flags(c),
        }
    }

    fn sentence_of(&self, pos: usize) -> (usize, usize) {
        self.sentences
            .iter()
            .copied()
            .find(|(a, b)| pos >= *a && pos < *b)
            .unwrap_or((pos, pos + 1))
    }

    fn in_title(&self, pos: usize) -> bool {
        self.title.is_some_and(|(a, b)| pos >= a && pos < b)
    }
}

/// `2014-04-07 03:45:00`, `2014年03月31日 14:22:00 星期一`, `2008/04/08`,
/// `2014-04-18 10:24环球网`: a line that starts with a full date and says
/// little else.
fn timestamp_line(line: &[char]) -> Option<Date> {
    let start = line.iter().position(|c| !c.is_whitespace())?;
    let (date, end) = full_date_at(line, start)?;
    let rest: String = line[end..].iter().collect();
    let rest = rest.trim();
    // A timestamp line is short; a body sentence that starts with a date
    // goes on to say what happened (，…发生).
    if rest.chars().count() > 30 || rest.contains('，') || rest.contains('。') {
        return None;
    }
    Some(date)
}

/// A full date `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYY年MM月DD日` at `i`.
fn full_date_at(c: &[char], i: usize) -> Option<(Date, usize)> {
    let (y, j) = digits_at(c, i)?;
    if !(1900..=2200).contains(&y) {
        return None;
    }
    let sep = *c.get(j)?;
    if !matches!(sep, '-' | '/' | '年' | '.') {
        return None;
    }
    let (m, k) = digits_at(c, j + 1)?;
    let sep2 = *c.get(k)?;
    let ok = match sep {
        '年' => sep2 == '月',
        s => sep2 == s,
    };
    if !ok {
        return None;
    }
    let (d, mut e) = digits_at(c, k + 1)?;
    if sep == '年' {
        if matches!(c.get(e), Some('日' | '号')) {
            e += 1;
        } else {
            return None;
        }
    }
    Some((Date::valid(y as i32, m, d)?, e))
}

fn digits_at(c: &[char], i: usize) -> Option<(u32, usize)> {
    let mut j = i;
    let mut v: u32 = 0;
    while let Some(d) = c.get(j).and_then(|x| to_ascii_digit(*x)) {
        v = v.checked_mul(10)?.checked_add(d)?;
        j += 1;
        if j - i > 4 {
            return None;
        }
    }
    (j > i).then_some((v, j))
}

fn mask_dateline(
    c: &[char],
    a: usize,
    b: usize,
    masked: &mut [bool],
    reference: &mut Option<Date>,
) {
    let mut start = a;
    while start < b && c[start].is_whitespace() {
        start += 1;
    }
    for lead in ["本报讯", "本报记者", "新华社电"] {
        if starts_with(c, start, lead) {
            let n = lead.chars().count();
            masked[start..start + n].iter_mut().for_each(|m| *m = true);
            start += n;
        }
    }
    // An outlet's lead (…快讯：, …讯：) within the first few chars.
    if let Some(k) = (start..(start + 12).min(b))
        .find(|&k| c[k] == '讯' && matches!(c.get(k + 1), Some('：' | ':')))
    {
        masked[start..k + 2].iter_mut().for_each(|m| *m = true);
        start = k + 2;
    }
    // …N月N日电 within the first 30 chars.
    let limit = (start + 30).min(b);
    let Some(k) = (start..limit).find(|&k| {
        c.get(k) == Some(&'日')
            && c.get(k + 1) == Some(&'电')
            && k > start
            && (to_ascii_digit(c[k - 1]).is_some() || is_chinese_numeral_char(c[k - 1]))
    }) else {
        return;
    };
    // The date of the dateline sets the reference when the header had none
    // (or had only a different day: the dateline is the report's own day).
    if let Some(t) = (start..k)
        .rev()
        .filter_map(|p| time_at(c, p))
        .find(|t| t.end == k + 1)
    {
        if let (Some(m), Some(d)) = (t.month, t.day) {
            let y = t
                .year
                .map(|y| y as i32)
                .or(reference.map(|r| r.y))
                .unwrap_or(0);
            if let Some(date) = Date::valid(y, m, d) {
                if reference.is_none() {
                    *reference = Some(date);
                }
            }
        }
    }
    let mut end = k + 2;
    if matches!(c.get(end), Some('（' | '(')) {
        let close = if c[end] == '（' { '）' } else { ')' };
        if let Some(e) = (end..b.min(end + 40)).find(|&e| c[e] == close) {
            end = e + 1;
        }
    }
    masked[start..end].iter_mut().for_each(|m| *m = true);
}

// ---------------------------------------------------------------------------
// Events.

#[derive(Debug, Clone)]
struct Occurrence {
    pos: usize,
    len: usize,
    trigger: &'static Trigger,
    /// Reads as the predicate (发生火灾, 起火), not a mention (处置火灾).
    predicate: bool,
    /// Inside a cause clause (因…爆炸而起火).
    cause: bool,
    negated: bool,
}

fn find_triggers(c: &[char], doc: &Layout) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if doc.masked[i] && !doc.in_title(i) {
            i += 1;
            continue;
        }
        let Some(t) = trigger_at(c, i) else {
            i += 1;
            continue;
        };
        let len = t.word.chars().count();
        let after: String = c[i + len..(i + len + 2).min(c.len())].iter().collect();
        // 起火点, 火灾原因, 爆炸声: a noun about the event, not the event.
        let nominal = [
            "原因", "点", "部位", "物", "声", "现场", "隐患", "防控", "防范", "处置", "调查",
        ]
        .iter()
        .any(|w| after.starts_with(w));
        let before = clause_before(c, i, 8);
        let predicate = !nominal
            && (t.verb
                || [
                    "发生", "突发", "突然", "引发", "燃起", "遭遇", "出现", "传出",
                ]
                .iter()
                .any(|w| before.contains(w))
                || after.starts_with("事故")
                || after.starts_with('，') && before.is_empty());
        let negated = ["未", "没有", "无", "未发生", "不是"]
            .iter()
            .any(|w| before.ends_with(w) || before.ends_with(&format!("{w}发生")));
        let clause = clause_range(c, i);
        let lead: String = c[clause.0..i].iter().collect();
        let tail: String = c[i + len..clause.1].iter().collect();
        let cause = (lead.contains('因') || lead.contains("由于") || lead.contains('由'))
            && (tail.starts_with('而')
                || tail.starts_with("引起")
                || tail.starts_with("引发")
                || tail.starts_with("导致")
                || tail.starts_with("所致"));
        out.push(Occurrence {
            pos: i,
            len,
            trigger: t,
            predicate,
            cause,
            negated,
        });
        i += len;
    }
    out
}

struct ChosenEvent {
    title: Option<(&'static Trigger, usize)>,
    title_span: (usize, usize),
    body: Option<Occurrence>,
}

fn choose_event(ts: &[Occurrence], doc: &Layout) -> ChosenEvent {
    let usable = |o: &&Occurrence| !o.negated && !o.cause;
    // The headline names the event best.
    let title: Vec<&Occurrence> = ts
        .iter()
        .filter(|o| doc.in_title(o.pos))
        .filter(usable)
        .collect();
    let title_pick = pick_in_run(&title);
    let body: Vec<&Occurrence> = ts
        .iter()
        .filter(|o| !doc.in_title(o.pos))
        .filter(usable)
        .collect();
    let pred: Vec<&Occurrence> = body.iter().copied().filter(|o| o.predicate).collect();
    // When the headline names the event, the body's event sentence is the
    // first that states an event of the same label.
    let same = |o: &&&Occurrence| title_pick.is_some_and(|t| t.trigger.label == o.trigger.label);
    let body_pick = pred
        .iter()
        .find(same)
        .copied()
        .or_else(|| pick_in_run(&pred))
        .or_else(|| body.iter().find(same).copied())
        .or_else(|| pick_in_run(&body));
    ChosenEvent {
        title: title_pick.map(|o| (o.trigger, o.pos)),
        title_span: title_pick.map(|o| (o.pos, o.pos + o.len)).unwrap_or((0, 0)),
        body: body_pick.cloned(),
    }
}

/// The first occurrence, but in a run of adjacent triggers (泄漏爆炸) the
/// last that is not a precursor: the leak led to the explosion.
fn pick_in_run<'a>(os: &[&'a Occurrence]) -> Option<&'a Occurrence> {
    let first = *os.first()?;
    let mut pick = first;
    let mut end = first.pos + first.len;
    for o in &os[1..] {
        if o.pos > end + 1 {
            break;
        }
        if !is_precursor(o.trigger.label) || is_precursor(pick.trigger.label) {
            pick = o;
        }
        end = o.pos + o.len;
    }
    Some(pick)
}

/// Char range of the clause (between ，；： and sentence ends) containing `pos`.
fn clause_range(c: &[char], pos: usize) -> (usize, usize) {
    let is_sep = |x: char| {
        matches!(
            x,
            '，' | ',' | '；' | ';' | '。' | '！' | '？' | '\n' | '：'
        )
    };
    let mut a = pos;
    while a > 0 && !is_sep(c[a - 1]) {
        a -= 1;
    }
    let mut b = pos;
    while b < c.len() && !is_sep(c[b]) {
        b += 1;
    }
    (a, b)
}

/// Up to `n` chars before `pos` in the same clause.
fn clause_before(c: &[char], pos: usize, n: usize) -> String {
    let (a, _) = clause_range(c, pos);
    c[a.max(pos.saturating_sub(n))..pos].iter().collect()
}

// ---------------------------------------------------------------------------
// Times.

#[derive(Debug, Clone)]
struct TimeExpr {
    start: usize,
    end: usize,
    year: Option<u32>,
    month: Option<u32>,
    day: Option<u32>,
    /// 今天 0, 昨日 -1, 前天 -2; 当日 is `same_day`.
    rel_day: Option<i64>,
    same_day: bool,
    /// 凌晨, 上午, 下午 …
    part: Option<&'static str>,
    hour: Option<u32>,
    minute: Option<u32>,
    vague: bool,
}

impl TimeExpr {
    fn has_day(&self) -> bool {
        self.day.is_some() || self.rel_day.is_some() || self.same_day
    }
    fn has_date(&self) -> bool {
        self.day.is_some() || self.rel_day.is_some()
    }
}

const PARTS: [&str; 20] = [
    "凌晨", "清晨", "早晨", "早上", "上午", "中午", "下午", "傍晚", "晚上", "晚间", "夜间", "深夜",
    "午夜", "夜里", "白天", "午后", "晚", "早", "晨", "夜",
];

const REL_DAYS: [(&str, i64, bool); 16] = [
    ("今天", 0, false),
    ("今日", 0, false),
    ("今晨", 0, false),
    ("今晚", 0, false),
    ("昨天", -1, false),
    ("昨日", -1, false),
    ("昨晨", -1, false),
    ("昨晚", -1, false),
    ("昨夜", -1, false),
    ("前天", -2, false),
    ("前日", -2, false),
    ("当日", 0, true),
    ("当天", 0, true),
    ("当晚", 0, true),
    ("当夜", 0, true),
    ("同日", 0, true),
];

fn small_number_at(c: &[char], i: usize) -> Option<(u32, usize)> {
    // Times are written in plain numerals; 陆 in 大陆号 is not a 6.
    if "壹贰叁肆伍陆柒捌玖拾佰仟".contains(*c.get(i)?) {
        return None;
    }
    let q = quantity_at(c, i)?;
    if q.approximate || q.value.fract() != 0.0 || q.value > 9999.0 {
        return None;
    }
    // Chinese numerals in times never carry 万/亿.
    if c[i..q.end].iter().any(|x| matches!(x, '万' | '亿' | '千')) {
        return None;
    }
    Some((q.value as u32, q.end))
}

/// A time expression starting at `i`: [年][月][日|号] or a relative day,
/// then a part of day, then a clock time, then 许/左右.
fn time_at(c: &[char], i: usize) -> Option<TimeExpr> {
    let mut t = TimeExpr {
        start: i,
        end: i,
        year: None,
        month: None,
        day: None,
        rel_day: None,
        same_day: false,
        part: None,
        hour: None,
        minute: None,
        vague: false,
    };
    let mut j = i;
    // Relative days.
    for (w, off, same) in REL_DAYS {
        if starts_with(c, j, w) {
            if same {
                t.same_day = true;
            } else {
                t.rel_day = Some(off);
            }
            j += w.chars().count();
            // 今晨 / 昨晚 carry their part of day.
            let last = w.chars().last().unwrap_or(' ');
            if matches!(last, '晨' | '晚' | '夜') {
                t.part = Some(match last {
                    '晨' => "清晨",
                    '晚' => "晚上",
                    _ => "夜间",
                });
            }
            break;
        }
    }
    if t.rel_day.is_none() && !t.same_day {
        // [YYYY年][M月][D日|号]
        if let Some((n, k)) = small_number_at(c, j) {
            if c.get(k) == Some(&'年') && n >= 1900 {
                t.year = Some(n);
                j = k + 1;
            }
        }
        if let Some((n, k)) = small_number_at(c, j) {
            if c.get(k) == Some(&'月') && (1..=12).contains(&n) {
                t.month = Some(n);
                j = k + 1;
            }
        }
        if let Some((n, k)) = small_number_at(c, j) {
            // A bare N号 is a day only where a time may follow it: 3号车间,
            // 5号楼 are names.
            const THINGS: [&str; 24] = [
                "车间", "楼", "线", "井", "库", "仓", "厂", "院", "门", "机", "台", "车", "船",
                "桥", "泊", "站", "房", "馆", "罐", "炉", "窑", "塔", "段", "宿舍",
            ];
            let names_a_thing = c.get(k) == Some(&'号')
                && t.month.is_none()
                && THINGS.iter().any(|w| starts_with(c, k + 1, w));
            if matches!(c.get(k), Some('日' | '号')) && (1..=31).contains(&n) && !names_a_thing {
                t.day = Some(n);
                j = k + 1;
            }
        }
        if t.year.is_some() && t.month.is_none() {
            // 2014年 alone is not an event time.
            return None;
        }
        if t.month.is_some() && t.day.is_none() && t.year.is_none() {
            return None;
        }
    }
    // Part of day (longest first: 凌晨 before 晨).
    if t.part.is_none() {
        if let Some(p) = PARTS.iter().find(|p| starts_with(c, j, p)) {
            // A single-char part (早, 晚, 晨, 夜) only right after a day.
            if p.chars().count() > 1 || t.has_day() {
                t.part = Some(p);
                j += p.chars().count();
            }
        }
    }
    // Clock: N时[N分] | N点[N分|半|多|过] | HH:MM
    if let Some((h, k)) = small_number_at(c, j) {
        match c.get(k) {
            Some('时' | '点')
                if h <= 24
                // Not 时间 / 点钟? 点钟 is fine; 时间 is not a clock.
                && !(c.get(k) == Some(&'时') && matches!(c.get(k + 1), Some('间' | '期' | '候'))) =>
            {
                t.hour = Some(h);
                j = k + 1;
                if let Some((m, k2)) = small_number_at(c, j) {
                    if c.get(k2) == Some(&'分') && m < 60 {
                        t.minute = Some(m);
                        j = k2 + 1;
                    } else if c[j..].first().is_some_and(|x| to_ascii_digit(*x).is_some())
                        && m < 60
                        && c.get(j - 1) == Some(&'点')
                    {
                        // 凌晨4点20
                        t.minute = Some(m);
                        j = k2;
                    }
                } else if matches!(c.get(j), Some('半')) {
                    t.minute = Some(30);
                    j += 1;
                }
                if starts_with(c, j, "钟") {
                    j += 1;
                }
            }
            Some(':' | '：') if h <= 24 => {
                if let Some((m, k2)) = small_number_at(c, k + 1) {
                    if k2 == k + 3 && m < 60 {
                        t.hour = Some(h);
                        t.minute = Some(m);
                        j = k2;
                    }
                }
            }
            _ => {}
        }
    }
    for w in ["许", "左右", "前后", "多", "过", "整"] {
        if j > i && starts_with(c, j, w) && (t.hour.is_some() || w == "许" || w == "左右") {
            t.vague = w != "整";
            j += w.chars().count();
            break;
        }
    }
    t.end = j;
    // Something must anchor it: a day, or a clock time.
    if j == i || !(t.has_day() || t.hour.is_some()) {
        return None;
    }
    // A bare day (6日) must not be part of a longer number or a duration (6日内).
    if t.month.is_none()
        && t.day.is_some()
        && t.hour.is_none()
        && t.part.is_none()
        && (starts_with(c, j, "内") || starts_with(c, j, "起"))
    {
        return None;
    }
    Some(t)
}

fn find_times(c: &[char], doc: &Layout) -> Vec<TimeExpr> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if doc.masked[i] {
            i += 1;
            continue;
        }
        // Start only at a token boundary: not inside a longer number.
        let prev_num = i > 0
            && (to_ascii_digit(c[i - 1]).is_some()
                || (is_chinese_numeral_char(c[i - 1]) && is_chinese_numeral_char(c[i])));
        if !prev_num {
            if let Some(t) = time_at(c, i) {
                // Durations (2个小时, 16个小时) and amounts are not times.
                let after: String = c[t.end..(t.end + 1).min(c.len())].iter().collect();
                if !(t.hour.is_some() && !t.has_day() && t.part.is_none() && after == "内") {
                    i = t.end.max(i + 1);
                    out.push(t);
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// The event time: the nearest time before the event word in its sentence
/// (or 发生于… after it); else the same for later sentences that state the
/// same event (…11时26分，一民房失火); else the last dated time of an earlier
/// sentence of the paragraph.
fn choose_time(
    c: &[char],
    doc: &Layout,
    times: &[TimeExpr],
    events: &[usize],
) -> Option<TimeField> {
    let in_sentence = |event: usize| -> Option<&TimeExpr> {
        let (sa, sb) = doc.sentence_of(event);
        let before: Vec<&TimeExpr> = times
            .iter()
            .filter(|t| t.start >= sa && t.end <= event)
            .collect();
        before.last().copied().or_else(|| {
            // 火灾发生于十四日凌晨一时四十五分左右 / 发生在…
            times.iter().find(|t| {
                t.start > event && t.start < sb && {
                    let lead: String = c[t.start.saturating_sub(3)..t.start].iter().collect();
                    lead.ends_with("于") || lead.ends_with("在") || lead.ends_with("是")
                }
            })
        })
    };
    let first = *events.first()?;
    let pick = events.iter().find_map(|e| in_sentence(*e)).or_else(|| {
        let (sa, _) = doc.sentence_of(first);
        let para_start = (0..sa)
            .rev()
            .find(|&k| c[k] == '\n')
            .map(|k| k + 1)
            .unwrap_or(0);
        times
            .iter()
            .rfind(|t| t.start >= para_start && t.end <= sa && t.has_day())
    })?;
    Some(resolve_time(c, doc, times, pick))
}

/// The text of `t`, with 当日/当天 replaced by the date it refers to, and its
/// normalised value.
fn resolve_time(c: &[char], doc: &Layout, times: &[TimeExpr], t: &TimeExpr) -> TimeField {
    let own: String = c[t.start..t.end].iter().collect();
    // The anchor: the last explicit date before it.
    let anchor = times.iter().rfind(|a| a.end <= t.start && a.has_date());
    let mut value = own.clone();
    if (t.same_day || !t.has_day()) && anchor.is_some() {
        if let Some(a) = anchor {
            let at: String = c[a.start..a.end].iter().collect();
            let date_part: String = strip_clock(&at);
            let rest = if t.same_day {
                let w = REL_DAYS
                    .iter()
                    .find(|(w, _, same)| *same && own.starts_with(w))
                    .map(|(w, _, _)| w.chars().count())
                    .unwrap_or(0);
                let tail: String = own.chars().skip(w).collect();
                // 当晚 → 晚上
                if own.starts_with("当晚") || own.starts_with("当夜") {
                    format!(
                        "{}{}",
                        if own.starts_with("当晚") {
                            "晚"
                        } else {
                            "夜"
                        },
                        tail
                    )
                } else {
                    tail
                }
            } else {
                own.clone()
            };
            value = format!("{date_part}{rest}");
        }
    }
    let date = resolve_date(t, anchor, doc.reference);
    let normalized = date.map(|d| match t.hour {
        Some(h) => {
            // 下午3时 is 15:00, 晚上8点 20:00; but 夜间2时 and 晚上12点 are
            // the small hours, and 24时 is midnight.
            let evening = matches!(
                t.part,
                Some("晚上" | "晚间" | "晚" | "夜间" | "夜" | "深夜" | "夜里" | "午夜")
            );
            let (h, next_day) = match (t.part, h) {
                (Some("下午" | "午后" | "傍晚"), h) if h < 12 => (h + 12, false),
                (_, h) if evening && (5..12).contains(&h) => (h + 12, false),
                (_, 12) if evening => (0, true),
                (Some("中午"), h) if h < 6 => (h + 12, false),
                (_, 24) => (0, true),
                (_, h) => (h, false),
            };
            let d = if next_day { d.plus(1) } else { d };
            format!("{}T{:02}:{:02}", d.iso(), h.min(23), t.minute.unwrap_or(0))
        }
        None => d.iso(),
    });
    TimeField {
        value,
        span: Some((t.start, t.end)),
        normalized,
    }
}

fn strip_clock(s: &str) -> String {
    // Keep up to the day (日/号) of an anchor like 2014年1月2日14时许.
    match s.char_indices().find(|(_, ch)| *ch == '日' || *ch == '号') {
        Some((p, ch)) => s[..p + ch.len_utf8()].to_string(),
        None => s.to_string(),
    }
}

fn resolve_date(t: &TimeExpr, anchor: Option<&TimeExpr>, reference: Option<Date>) -> Option<Date> {
    if t.same_day || !t.has_day() {
        let a = anchor?;
        return resolve_date(a, None, reference);
    }
    if let Some(off) = t.rel_day {
        return reference.map(|r| r.plus(off));
    }
    let day = t.day?;
    match (t.year, t.month) {
        (Some(y), Some(m)) => Date::valid(y as i32, m, day),
        (None, Some(m)) => {
            let r = reference?;
            let d = Date::valid(r.y, m, day)?;
            // A month after the report's: last year.
            if d > r.plus(31) {
                Date::valid(r.y - 1, m, day)
            } else {
                Some(d)
            }
        }
        (_, None) => {
            let r = reference?;
            if day <= r.d {
                Date::valid(r.y, r.m, day)
            } else {
                let prev = Date {
                    y: r.y,
                    m: r.m,
                    d: 1,
                }
                .plus(-1);
                Date::valid(prev.y, prev.m, day)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Place and unit.

const PLACE_MARKS: &[&str] = &[
    "省", "市", "县", "区", "镇", "乡", "村", "街", "路", "道", "巷", "号", "楼", "层", "厂", "店",
    "场", "馆", "院", "校", "园", "站", "港", "桥", "国道", "高速", "公路", "大厦", "小区", "住宅",
    "民宅", "公司", "仓库", "库房", "车间", "工地", "矿", "隧道", "山", "林", "江", "河", "湖",
    "家", "中心", "商城", "市场", "处", "段", "口", "屋", "房", "宅", "州", "旗", "所", "井", "内",
];

fn place_like(s: &str) -> bool {
    let n = s.chars().count();
    (2..=45).contains(&n) && PLACE_MARKS.iter().any(|m| s.contains(m))
}

/// Trims what is not part of a place from both ends.
fn trim_place(s: &str) -> String {
    let mut t = s.trim().to_string();
    for lead in ["据悉", "据了解", "位于", "地处", "在", "于", "从"] {
        if let Some(r) = t.strip_prefix(lead) {
            t = r.to_string();
        }
    }
    loop {
        let before = t.clone();
        for tail in [
            "、", "又", "再次", "的", "也", "已", "突然", "都", "里", "，", ",", "一起", "内一",
        ] {
            if let Some(r) = t.strip_suffix(tail) {
                t = r.to_string();
            }
        }
        if t == before {
            break;
        }
    }
    t.trim().to_string()
}

fn location(c: &[char], doc: &Layout, times: &[TimeExpr], e: &Occurrence) -> Option<Field> {
    let (ca, _) = clause_range(c, e.pos);
    // Skip masked chars (dateline) at the clause start.
    let mut a = ca;
    while a < e.pos && doc.masked[a] {
        a += 1;
    }
    let time_in = times.iter().rfind(|t| t.start >= a && t.end <= e.pos);
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    match time_in {
        Some(t) => {
            candidates.push((t.end, e.pos));
            candidates.push((a, t.start));
        }
        None => candidates.push((a, e.pos)),
    }
    // Earlier clauses of the sentence, back to the time expression
    // (…路段上，一辆货车与一辆客车相撞: the place precedes the vehicles).
    let (sa, _) = doc.sentence_of(e.pos);
    let mut k = a;
    while k > sa {
        let (pa, pb) = clause_range(c, k.saturating_sub(2));
        if pb >= k || pa < sa {
            break;
        }
        let mut x = pa;
        while x < pb && doc.masked[x] {
            x += 1;
        }
        let t_end = times
            .iter()
            .rfind(|t| t.start >= x && t.end <= pb)
            .map(|t| t.end);
        candidates.push((t_end.unwrap_or(x), pb));
        if t_end.is_some() {
            break;
        }
        k = pa;
    }
    for (x, y) in candidates {
        if let Some(f) = place_in(c, x, y) {
            return Some(f);
        }
    }
    // 发生在X的火灾 / 位于X
    let (sa, sb) = (sa, doc.sentence_of(e.pos).1);
    for mark in ["位于", "发生在"] {
        if let Some(p) = find_str(&c[..sb], mark, sa) {
            let start = p + mark.chars().count();
            let mut end = start;
            while end < sb && !matches!(c[end], '，' | '。' | '的' | '发') {
                end += 1;
            }
            if let Some(f) = place_in(c, start, end) {
                return Some(f);
            }
        }
    }
    None
}

/// The place phrase in `c[x..y]`: cut at the predicate (发生, 因 …), trimmed.
fn place_in(c: &[char], x: usize, y: usize) -> Option<Field> {
    if x >= y {
        return None;
    }
    let mut end = y;
    for stop in [
        "发生",
        "突发",
        "突然",
        "又发生",
        "再次",
        "引发",
        "出现",
        "传出",
        "因",
        "由于",
        "被",
        "遭",
        "与另",
        "与一",
    ] {
        if let Some(p) = find_str(&c[..y], stop, x) {
            end = end.min(p);
        }
    }
    let mut start = x;
    // 在X: the place follows 在 when what precedes it is a person, not a
    // place (一名工人在车间被…; but 园区在建的…工地 keeps its head).
    if let Some(p) = find_str(&c[..end], "在", x) {
        let before: String = c[x..p].iter().collect();
        let next = c.get(p + 1).copied().unwrap_or(' ');
        if p + 1 < end && !"建职岗用营线".contains(next) && (p == x || !place_like(&before)) {
            start = p + 1;
        }
    }
    let raw: String = c[start..end].iter().collect();
    let trimmed = trim_place(&raw);
    // Vehicles are not places (一辆开往承德的客车与一辆农用车).
    if !place_like(&trimmed) || trimmed.contains('辆') {
        return None;
    }
    let off = raw
        .find(&trimmed)
        .map(|b| raw[..b].chars().count())
        .unwrap_or(0);
    let s = start + off;
    Some(Field {
        span: Some((s, s + trimmed.chars().count())),
        value: trimmed,
    })
}

const ORG_SUFFIXES: &[&str] = &[
    "有限责任公司",
    "有限公司",
    "股份公司",
    "公司",
    "集团",
    "企业",
    "煤矿",
    "矿业",
    "化工厂",
    "工厂",
    "厂",
    "医院",
    "学校",
    "幼儿园",
    "酒店",
    "宾馆",
    "饭店",
    "商场",
    "超市",
    "作坊",
    "项目部",
    "合作社",
    "加油站",
    "仓库",
    // Any shop (面包店, 五金店) is a business.
    "店",
];

fn unit(c: &[char], doc: &Layout, event: Option<usize>) -> Option<Field> {
    // Where the event is stated (and the headline), not every hospital the
    // injured were taken to.
    let mut order: Vec<(usize, usize)> = Vec::new();
    if let Some(p) = event {
        let s = doc.sentence_of(p);
        order.push(s);
        if let Some(prev) = doc.sentences.iter().copied().rfind(|x| x.1 <= s.0) {
            order.push(prev);
        }
    } else {
        order.extend(doc.sentences.iter().copied().take(2));
    }
    if let Some(t) = doc.title {
        order.push(t);
    }
    for (a, b) in order {
        let mut i = a;
        while i < b {
            let Some(suf) = ORG_SUFFIXES.iter().find(|s| starts_with(c, i, s)) else {
                i += 1;
                continue;
            };
            let end = i + suf.chars().count();
            // Extend left over the name.
            let mut s = i;
            while s > a && s + 14 > i {
                let x = c[s - 1];
                if x.is_whitespace()
                    || "，。、；：（）()“”\"在于是的了和与及被从向对据位一间家座个处栋幢此该其往至到送".contains(x)
                    || to_ascii_digit(x).is_some()
                {
                    break;
                }
                s -= 1;
            }
            if s > a && c[s - 1] == '某' {
                s -= 1;
            }
            let name: String = c[s..end].iter().collect();
            let bare = name.chars().count() - suf.chars().count();
            // 送往…医院, 前往…: a destination.
            let lead: String = c[s.saturating_sub(3)..s].iter().collect();
            if ["往", "至", "到", "赴", "送", "进"]
                .iter()
                .any(|v| name.contains(v) || lead.ends_with(v))
            {
                i = end;
                continue;
            }
            // A bare suffix (公司, 厂) names nothing; government bodies are not units.
            if bare >= 1 && !name.contains("政府") && !name.contains("部门") {
                return Some(Field {
                    value: name,
                    span: Some((s, end)),
                });
            }
            i = end;
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Counts.

const MEASURES: &[char] = &['人', '名', '位', '具', '个', '例'];

/// Occurrences of one casualty word examined.
const MAX_HITS: usize = 64;

/// A number ending right before `end` (exclusive), with its approximate
/// prefix (约, 近, 逾, 超过); returns (start, quantity).
fn number_before(c: &[char], end: usize) -> Option<(usize, Quantity, bool)> {
    let mut k = end;
    while k > 0 {
        let x = c[k - 1];
        if to_ascii_digit(x).is_some()
            || is_chinese_numeral_char(x)
            || matches!(x, '.' | '．' | '余' | '多' | '几' | '亿')
        {
            k -= 1;
        } else {
            break;
        }
    }
    // 余/多 cannot start a number.
    while k < end && matches!(c[k], '余' | '多' | '几' | '.' | '．') {
        k += 1;
    }
    if k == end {
        return None;
    }
    // 数百人, 几十人: no number is stated; 10^12, 1e12, .5: not a plain count.
    if k > 0
        && (matches!(c[k - 1], '数' | '几' | '^' | '×' | '*' | '.' | '．')
            || c[k - 1].is_ascii_alphabetic())
    {
        return None;
    }
    let q = quantity_at(c, k)?;
    if q.end != end {
        return None;
    }
    let lead: String = c[k.saturating_sub(2)..k].iter().collect();
    let approx = ["约", "近", "逾", "超过", "大约", "将近", "接近"]
        .iter()
        .any(|w| lead.ends_with(w));
    let mut q = q;
    if q.range.is_none() && approx && q.value >= 1.0 {
        // 近10人: fewer than 10; 逾10人: more; 约10人: about.
        let v = q.value;
        q.range = Some(if lead.ends_with('近') {
            ((v * 0.8).floor().max(1.0), (v - 1.0).max(1.0))
        } else if lead.ends_with('逾') || lead.ends_with("超过") {
            (v + 1.0, (v * 1.2).ceil().max(v + 1.0))
        } else {
            ((v * 0.9).floor(), (v * 1.1).ceil())
        });
    }
    Some((k, q, approx || q.approximate))
}

/// A count phrase found next to a keyword.
#[derive(Debug, Clone)]
struct Hit {
    value: f64,
    span: (usize, usize),
    approximate: bool,
    range: Option<(f64, f64)>,
}

impl Hit {
    fn count(&self, c: &[char]) -> Count {
        Count {
            value: self.value.max(0.0) as u64,
            span: Some(self.span),
            text: c[self.span.0..self.span.1].iter().collect(),
            approximate: self.approximate,
            range: self.range.map(|(a, b)| (a as u64, b as u64)),
            derived: false,
        }
    }
}

/// Numbers of people tied to one of `keywords`: `N人死亡`, `N名矿工遇难`,
/// `死亡N人`, `死亡人数升至N人`.
fn counts_for(c: &[char], doc: &Layout, keywords: &[&str], blockers: &[&str]) -> Vec<Hit> {
    let mut out = Vec::new();
    for kw in keywords {
        let kn = kw.chars().count();
        let mut from = 0;
        let mut seen = 0;
        while let Some(p) = find_str(c, kw, from) {
            from = p + kn;
            // A report states its casualties a few times, not thousands.
            seen += 1;
            if seen > MAX_HITS {
                break;
            }
            if doc.masked[p] && !doc.in_title(p) {
                continue;
            }
            if statistical(c, doc, p) {
                continue;
            }
            // 亡 alone only in the headline form (12人亡), not in 伤亡 / 死亡.
            if *kw == "亡" && (p == 0 || !MEASURES.contains(&c[p - 1])) {
                continue;
            }
            // Backward: N(人|名…)[noun][adverbs]KEYWORD within the clause.
            let (ca, cb) = clause_range(c, p);
            let mut best: Option<Hit> = None;
            let mut k = p;
            while k > ca && p - k <= 16 {
                k -= 1;
                if MEASURES.contains(&c[k]) {
                    if let Some((s, q, approx)) = number_before(c, k) {
                        let between: String = c[k + 1..p].iter().collect();
                        if !blockers.iter().any(|b| between.contains(b)) {
                            // N名X及M名Y受伤: the groups of a list add up.
                            let (mut total, mut s0) = (q.value, s);
                            while s0 > ca + 1 && "及和与、".contains(c[s0 - 1]) {
                                let mut j = s0 - 1;
                                let mut group = None;
                                while j > ca && s0 - j <= 16 {
                                    j -= 1;
                                    if MEASURES.contains(&c[j]) {
                                        group = number_before(c, j).map(|g| (g, j));
                                        if group.is_some() {
                                            break;
                                        }
                                    }
                                    if matches!(c[j], '，' | '。' | '；') {
                                        break;
                                    }
                                }
                                // 2人死亡、49人重伤: the earlier group counts
                                // something else, not more of the same.
                                let Some(((gs, gq, _), gj)) = group else {
                                    break;
                                };
                                let between: String = c[gj + 1..s0 - 1].iter().collect();
                                if ALL_CASUALTY_WORDS.iter().any(|w| between.contains(w)) {
                                    break;
                                }
                                total += gq.value;
                                s0 = gs;
                            }
                            best = Some(Hit {
                                value: total,
                                span: (s0, p + kn),
                                approximate: approx,
                                range: if total == q.value { q.range } else { None },
                            });
                        }
                        break;
                    }
                }
                // Another casualty word between: stop (3人受伤1人死亡).
                let between: String = c[k..p].iter().collect();
                if blockers.iter().any(|b| between.starts_with(b)) {
                    break;
                }
            }
            // Forward: KEYWORD[了|人数…]N人.
            if best.is_none() {
                let mut j = p + kn;
                for skip in [
                    "人数",
                    "人员",
                    "了",
                    "已",
                    "升至",
                    "上升至",
                    "增至",
                    "增加到",
                    "达到",
                    "达",
                    "为",
                    "共",
                    "约",
                    "超过",
                ] {
                    if starts_with(c, j, skip) {
                        j += skip.chars().count();
                    }
                }
                for skip in ["升至", "上升至", "增至", "达到", "达", "为", "约"] {
                    if starts_with(c, j, skip) {
                        j += skip.chars().count();
                    }
                }
                // 疏散周边群众200余人: a short noun may come first.
                if quantity_at(c, j).is_none() {
                    if let Some(n) = (j..(j + 8).min(cb)).find(|&x| {
                        to_ascii_digit(c[x]).is_some()
                            || (is_chinese_numeral_char(c[x]) && c[x] != '万')
                    }) {
                        let gap: String = c[j..n].iter().collect();
                        if !gap.contains(['，', '。', '的']) || gap.ends_with('的') {
                            j = n;
                        }
                    }
                }
                if j < cb {
                    if let Some(q) = quantity_at(c, j) {
                        if q.end < c.len() && MEASURES.contains(&c[q.end]) {
                            let lead: String = c[p + kn..j].iter().collect();
                            best = Some(Hit {
                                value: q.value,
                                span: (p, q.end + 1),
                                approximate: q.approximate || lead.contains('约'),
                                range: q.range,
                            });
                        }
                    }
                }
            }
            if let Some(h) = best {
                out.push(h);
            }
        }
    }
    out
}

/// A count after a statistics word in its clause (近3年已有5名…, 去年…) is
/// about other incidents and does not count for this one.
fn statistical(_c: &[char], doc: &Layout, p: usize) -> bool {
    doc.stat.get(p).copied().unwrap_or(false)
}

/// Words that open a statement about other incidents or periods.
const STAT_WORDS: [&str; 12] = [
    "近几年",
    "近年来",
    "去年",
    "今年以来",
    "同比",
    "全年",
    "历年",
    "此前",
    "以往",
    "往年",
    "近两年",
    "多年来",
];

/// Per char: whether a statistics word precedes it in its sentence (until
/// 此次/本次/这次 brings the text back to this incident).
fn stat_flags(c: &[char]) -> Vec<bool> {
    let mut out = vec![false; c.len()];
    let mut on = false;
    for i in 0..c.len() {
        if matches!(c[i], '。' | '！' | '？' | '\n') {
            on = false;
            continue;
        }
        if ["此次", "本次", "这次", "该起"]
            .iter()
            .any(|w| starts_with(c, i, w))
        {
            on = false;
        }
        if !on {
            on = STAT_WORDS.iter().any(|w| starts_with(c, i, w))
                // 近3年, 近三年, 近10年
                || (c[i] == '近'
                    && quantity_at(c, i + 1).is_some_and(|q| c.get(q.end) == Some(&'年')));
        }
        out[i] = on;
    }
    out
}

/// `二死二伤`, `1死7伤`, `一死一伤`: (deaths, injuries).
fn compact_casualties(c: &[char], doc: &Layout) -> Vec<(Hit, Option<Hit>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = find_str(c, "死", from) {
        from = p + 1;
        if (doc.masked[p] && !doc.in_title(p)) || statistical(c, doc, p) {
            continue;
        }
        let Some((s, q, _)) = number_before(c, p) else {
            continue;
        };
        // 死 must be the compact form, not 死亡 / 死者.
        if matches!(c.get(p + 1), Some('亡' | '者' | '于')) {
            continue;
        }
        let d = Hit {
            value: q.value,
            span: (s, p + 1),
            approximate: q.approximate,
            range: q.range,
        };
        let inj = quantity_at(c, p + 1).and_then(|q2| {
            (c.get(q2.end) == Some(&'伤')).then(|| Hit {
                value: q2.value,
                span: (p + 1, q2.end + 1),
                approximate: q2.approximate,
                range: q2.range,
            })
        });
        out.push((d, inj));
    }
    out
}

/// Nouns for one person in news reports.
const PERSONS: &[&str] = &[
    "男子",
    "女子",
    "女孩",
    "男孩",
    "老人",
    "儿童",
    "司机",
    "驾驶员",
    "工人",
    "乘客",
    "行人",
    "妇女",
    "学生",
    "民工",
    "老太",
    "老汉",
    "孩子",
    "员工",
    "职工",
    "住户",
    "村民",
    "女士",
    "先生",
];

/// One person named before a casualty word: 一名工人…死亡 (same clause),
/// 致周某当场死亡, or 一骑自行车女孩…，女孩不幸身亡 (the person introduced
/// with 一 earlier in the sentence).
fn singular_before(c: &[char], doc: &Layout, p: usize) -> Option<(usize, usize)> {
    let (a, _) = clause_range(c, p);
    let lead: String = c[a..p].iter().collect();
    for w in ["一名", "一位", "一个", "1名", "1位"] {
        if let Some(b) = lead.find(w) {
            let s = a + lead[..b].chars().count();
            return Some((s, p));
        }
    }
    // X某 (周某, 张某) right before the verb phrase.
    let chars: Vec<char> = lead.chars().collect();
    if let Some(k) = chars.iter().rposition(|x| *x == '某') {
        if k > 0 && !matches!(chars[k - 1], '在' | '于' | '，') && chars.len() - k <= 6 {
            return Some((a + k - 1, p));
        }
    }
    let (sa, _) = doc.sentence_of(p);
    let sentence: String = c[sa..p].iter().collect();
    for person in PERSONS {
        if !lead.contains(person) {
            continue;
        }
        let first = sentence.find(person)?;
        let before: Vec<char> = sentence[..first].chars().collect();
        let window: String = before[before.len().saturating_sub(6)..].iter().collect();
        if window.contains('一')
            && !window.contains("一辆")
            && !window.contains("一些")
            && !window.contains("一批")
        {
            return Some((sa + before.len().saturating_sub(6), p));
        }
    }
    None
}

fn max_hit(hits: &[Hit]) -> Option<&Hit> {
    hits.iter().max_by(|a, b| a.value.total_cmp(&b.value))
}

const DEATH_WORDS: &[&str] = &[
    "死亡", "遇难", "丧生", "身亡", "罹难", "殒命", "丧命", "遇害", "死者", "尸体", "溺亡", "坠亡",
    "牺牲", "亡",
];
const INJURY_WORDS: &[&str] = &[
    "受伤",
    "伤员",
    "受伤人员",
    "不同程度受伤",
    "烧伤",
    "摔伤",
    "砸伤",
    "伤者",
    "坠伤",
    "跌伤",
    "烫伤",
];
const SERIOUS_WORDS: &[&str] = &["重伤", "受重伤", "急性工业中毒", "急性中毒", "重度烧伤"];
const LIGHT_WORDS: &[&str] = &["轻伤", "受轻伤", "轻微伤"];
/// Every word that names a casualty count.
const ALL_CASUALTY_WORDS: &[&str] = &[
    "死",
    "亡",
    "遇难",
    "丧生",
    "罹难",
    "殒命",
    "丧命",
    "遇害",
    "伤",
    "失踪",
    "下落不明",
    "失联",
    "被困",
    "中毒",
    "转移",
    "疏散",
];
const CASUALTY_BLOCKERS: &[&str] = &[
    "死亡", "遇难", "受伤", "失踪", "重伤", "轻伤", "被困", "转移", "疏散", "中毒", "，", "。",
];

fn counts(c: &[char], doc: &Layout, inc: &mut Incident) {
    let blockers = CASUALTY_BLOCKERS;
    let mut deaths = counts_for(c, doc, DEATH_WORDS, blockers);
    let serious = counts_for(c, doc, SERIOUS_WORDS, blockers);
    let light = counts_for(c, doc, LIGHT_WORDS, blockers);
    let mut injuries = counts_for(c, doc, INJURY_WORDS, blockers);
    for (d, i) in compact_casualties(c, doc) {
        deaths.push(d);
        if let Some(i) = i {
            injuries.push(i);
        }
    }
    let missing = counts_for(c, doc, &["失踪", "下落不明", "失联"], blockers);
    let trapped = counts_for(c, doc, &["被困", "被卡", "围困", "困在"], blockers);
    let evacuated = counts_for(c, doc, &["紧急转移", "转移", "疏散", "撤离"], blockers);

    // Negative and absurd values.
    for (name, hs) in [("死亡", &deaths), ("受伤", &injuries)] {
        for h in hs.iter() {
            let lead: String = c[h.span.0.saturating_sub(1)..h.span.0].iter().collect();
            if lead == "负" || lead == "-" {
                inc.warnings.push(format!(
                    "{name}人数为负数（“{}”），已忽略",
                    slice(c, h.span)
                ));
            }
        }
    }
    // Fractions and counts beyond any accident are refused, with a warning.
    for (name, hs) in [("死亡", &mut deaths), ("受伤", &mut injuries)] {
        hs.retain(|h| {
            let bad = h.value.fract() != 0.0 || !h.value.is_finite() || h.value > 1_000_000.0;
            if bad {
                inc.warnings.push(format!(
                    "{name}人数“{}”不合理（非整数或超过一百万），已忽略，请核实",
                    slice(c, h.span)
                ));
            }
            !bad
        });
    }
    let negative = |h: &Hit| {
        let lead: String = c[h.span.0.saturating_sub(1)..h.span.0].iter().collect();
        lead == "负" || lead == "-"
    };
    deaths.retain(|h| !negative(h));
    injuries.retain(|h| !negative(h));

    // One person (一名工人…死亡) when no number is stated.
    let singular = |words: &[&str]| -> Vec<Hit> {
        let mut out = Vec::new();
        for kw in words {
            let n = kw.chars().count();
            let mut from = 0;
            while let Some(p) = find_str(c, kw, from) {
                from = p + n;
                if (doc.masked[p] && !doc.in_title(p)) || statistical(c, doc, p) {
                    continue;
                }
                if let Some(span) = singular_before(c, doc, p) {
                    out.push(Hit {
                        value: 1.0,
                        span: (span.0, p + n),
                        approximate: false,
                        range: None,
                    });
                }
            }
        }
        out
    };
    if deaths.is_empty() {
        deaths = singular(&["死亡", "身亡", "遇难", "丧生"]);
    }
    if injuries.is_empty() && serious.is_empty() && light.is_empty() {
        injuries = singular(&["受伤", "坠伤", "摔伤", "烧伤", "烫伤", "砸伤", "跌伤"]);
    }
    inc.deaths = max_hit(&deaths).map(|h| h.count(c));
    inc.serious_injuries = max_hit(&serious).map(|h| h.count(c));
    let total = max_hit(&injuries).map(|h| h.count(c));
    inc.injuries = match total {
        Some(t) => Some(t),
        None => {
            let s = max_hit(&serious);
            let l = max_hit(&light);
            match (s, l) {
                (None, None) => None,
                (Some(x), None) | (None, Some(x)) => {
                    let mut cnt = x.count(c);
                    cnt.derived = true;
                    Some(cnt)
                }
                (Some(a), Some(b)) => Some(Count {
                    value: (a.value + b.value) as u64,
                    span: Some((a.span.0.min(b.span.0), a.span.1.max(b.span.1))),
                    text: format!("{}、{}", slice(c, a.span), slice(c, b.span)),
                    approximate: a.approximate || b.approximate,
                    range: None,
                    derived: true,
                }),
            }
        }
    };
    inc.missing = max_hit(&missing).map(|h| h.count(c));
    inc.trapped = max_hit(&trapped).map(|h| h.count(c));
    inc.evacuated = max_hit(&evacuated).map(|h| h.count(c));

    // Stated absence: 无人员伤亡, 无人死亡, 没有受到任何伤害.
    let none_both = [
        "无人员伤亡",
        "没有人员伤亡",
        "未造成人员伤亡",
        "没有造成人员伤亡",
        "未有人员伤亡",
        "无伤亡",
        "未造成伤亡",
        "没有造成伤亡",
        "人员无伤亡",
        "没有受到任何伤害",
        "未受到任何伤害",
        "均未受伤",
        "无人员死伤",
        "尚无人员伤亡",
        "没有人员伤亡的报道",
        "暂无人员伤亡",
    ];
    let none_deaths = [
        "无人死亡",
        "无人员死亡",
        "未造成人员死亡",
        "没有人员死亡",
        "未造成死亡",
    ];
    let none_injuries = ["无人受伤", "无人员受伤", "未造成人员受伤", "没有人员受伤"];
    let stated = |words: &[&str]| -> Option<(usize, usize)> {
        words.iter().find_map(|w| {
            let mut from = 0;
            while let Some(p) = find_str(c, w, from) {
                from = p + 1;
                if !doc.masked[p] || doc.in_title(p) {
                    // 无中方人员伤亡 is about some people only.
                    return Some((p, p + w.chars().count()));
                }
            }
            None
        })
    };
    let zero = |span: (usize, usize)| Count {
        value: 0,
        span: Some(span),
        text: slice(c, span),
        approximate: false,
        range: None,
        derived: false,
    };
    if let Some(sp) = stated(&none_both) {
        if inc.deaths.is_none() {
            inc.deaths = Some(zero(sp));
        } else if inc.deaths.as_ref().is_some_and(|d| d.value > 0) {
            inc.warnings
                .push(format!("文中既称“{}”又报有人员死亡，请核实", slice(c, sp)));
        }
        if inc.injuries.is_none() {
            inc.injuries = Some(zero(sp));
        }
    }
    if let Some(sp) = stated(&none_deaths) {
        if inc.deaths.is_none() {
            inc.deaths = Some(zero(sp));
        }
    }
    if let Some(sp) = stated(&none_injuries) {
        if inc.injuries.is_none() {
            inc.injuries = Some(zero(sp));
        }
    }
    for (name, v) in [
        ("死亡", &inc.deaths),
        ("受伤", &inc.injuries),
        ("失踪", &inc.missing),
    ] {
        if v.as_ref().is_some_and(|x| x.value > 1_000_000) {
            inc.warnings
                .push(format!("{name}人数超过一百万，明显不合理，请核实"));
        }
    }
}

// ---------------------------------------------------------------------------
// Loss, cause, measures.

fn loss(c: &[char], doc: &Layout, warnings: &mut Vec<String>) -> Option<Amount> {
    let mut found: Vec<(bool, Amount)> = Vec::new();
    let mut from = 0;
    while let Some(p) = find_str(c, "损失", from) {
        from = p + 2;
        if doc.masked[p] && !doc.in_title(p) {
            continue;
        }
        let direct = {
            let lead: String = c[p.saturating_sub(4)..p].iter().collect();
            lead.ends_with("直接经济") || lead.ends_with("直接")
        };
        // Forward: 损失(约|达|为…)N(万|亿)?元
        let (_, cb) = clause_range(c, p);
        let mut j = p + 2;
        while j < cb && j < p + 12 {
            if to_ascii_digit(c[j]).is_some() || is_chinese_numeral_char(c[j]) {
                if let Some(a) = money_at(c, j, p) {
                    found.push((direct, a));
                }
                break;
            }
            j += 1;
        }
        // Backward: N元(的)?(直接)?经济损失
        let lead_start = p.saturating_sub(14);
        let lead: String = c[lead_start..p].iter().collect();
        if let Some(yuan) = lead.rfind('元') {
            let k = lead_start + lead[..yuan].chars().count();
            let gap: String = c[k + 1..p].iter().collect();
            if gap.chars().count() <= 5 && !gap.contains('，') {
                if let Some(a) = money_ending(c, k) {
                    found.push((direct || gap.contains("直接"), a));
                }
            }
        }
    }
    if c.iter().any(|x| matches!(x, '^' | '×')) && found.is_empty() {
        warnings.push(
            "经济损失的数值写法（如科学记数法）无法识别，请以阿拉伯数字或“万元”“亿元”填写".into(),
        );
    }
    for (_, a) in &found {
        if a.value < 0.0 || a.value > 1e12 {
            warnings.push(format!("经济损失“{}”明显不合理，请核实", a.text));
        }
    }
    found.retain(|(_, a)| a.value >= 0.0 && a.value <= 1e12);
    found
        .iter()
        .find(|(d, _)| *d)
        .or_else(|| found.first())
        .map(|(_, a)| a.clone())
}

/// An amount in 元 starting at `j` (the number), searched from `from`.
fn money_at(c: &[char], j: usize, from: usize) -> Option<Amount> {
    let q = quantity_at(c, j)?;
    let mut e = q.end;
    let mut v = q.value;
    match c.get(e) {
        Some('万') => {
            v *= 1e4;
            e += 1;
        }
        Some('亿') => {
            v *= 1e8;
            e += 1;
        }
        _ => {}
    }
    if c.get(e) != Some(&'元') {
        return None;
    }
    // 欧元 / 美元 are not 元.
    if e > 0 && matches!(c[e - 1], '欧' | '美' | '日' | '港') {
        return None;
    }
    let lead: String = c[from..j].iter().collect();
    let approx = q.approximate
        || ["约", "近", "逾", "超过", "估计"]
            .iter()
            .any(|w| lead.contains(w));
    let mut end = e + 1;
    if c.get(end) == Some(&'钱') {
        end += 1;
    }
    Some(Amount {
        value: v,
        span: Some((from, end)),
        text: c[from..end].iter().collect(),
        approximate: approx,
    })
}

/// An amount whose 元 is at `k` (1200万元, 1.2亿元).
fn money_ending(c: &[char], k: usize) -> Option<Amount> {
    let (s, q, approx) = number_before(c, k)?;
    Some(Amount {
        value: q.value,
        span: Some((s, k + 1)),
        text: c[s..k + 1].iter().collect(),
        approximate: approx,
    })
}

fn cause(
    c: &[char],
    doc: &Layout,
    event: Option<&Occurrence>,
    warnings: &mut Vec<String>,
) -> Option<Field> {
    let body_text: String = c.iter().collect();
    for w in [
        "原因正在调查",
        "原因尚在调查",
        "原因仍在调查",
        "原因正在进一步",
        "原因还在调查",
        "原因正在核查",
    ] {
        if body_text.contains(w) {
            warnings.push("事故原因正在调查中".into());
            break;
        }
    }
    // 因X而起火 in the event clause.
    if let Some(e) = event {
        let (ca, _) = clause_range(c, e.pos);
        if let Some(p) = find_str(&c[..e.pos], "因", ca) {
            let end = trim_end_at(c, p + 1, e.pos, &["而", "引发", "引起", "导致", "造成"]);
            if end > p + 1 {
                return Some(field(c, p + 1, end));
            }
        }
        // An earlier cause trigger in the same clause (天然气罐爆炸).
    }
    // 原因为/是/系 X
    for mark in [
        "原因为",
        "原因是",
        "原因系",
        "起因是",
        "系因",
        "疑因",
        "初步认定",
        "初步判断",
    ] {
        let mut from = 0;
        while let Some(p) = find_str(c, mark, from) {
            from = p + 1;
            if doc.masked[p] && !doc.in_title(p) {
                continue;
            }
            let s = p + mark.chars().count();
            let mut e = s;
            while e < c.len() && !matches!(c[e], '。' | '；' | '\n') {
                e += 1;
            }
            let txt: String = c[s..e].iter().collect();
            if txt.contains("调查") || txt.starts_with('否') {
                continue;
            }
            if e > s + 1 {
                let e = trim_end_at(c, s, e, &["造成", "所致", "导致", "引起", "引发", "的"]);
                if e <= s {
                    continue;
                }
                // …可能与X有关: the cause is X.
                if let (Some(p), Some(q)) =
                    (find_str(&c[..e], "可能与", s), find_str(&c[..e], "有关", s))
                {
                    if q > p + 3 {
                        return Some(field(c, p + 3, q));
                    }
                }
                return Some(field(c, s, e));
            }
        }
    }
    // 可能与X有关
    let mut from = 0;
    while let Some(p) = find_str(c, "与", from) {
        from = p + 1;
        let Some(q) = find_str(c, "有关", p).filter(|q| q - p < 20) else {
            continue;
        };
        let lead: String = c[p.saturating_sub(4)..p].iter().collect();
        if (lead.contains("可能") || lead.contains('或') || lead.contains('疑'))
            && !lead.contains('否')
            && q > p + 1
        {
            return Some(field(c, p + 1, q));
        }
    }
    // 是由X引起的
    for mark in ["由"] {
        let mut from = 0;
        while let Some(p) = find_str(c, mark, from) {
            from = p + 1;
            let (_, cb) = clause_range(c, p);
            for end_w in ["引起", "引发", "所致", "造成"] {
                if let Some(q) = find_str(&c[..cb], end_w, p) {
                    if q > p + 1 && q - p < 25 {
                        return Some(field(c, p + 1, q));
                    }
                }
            }
        }
    }
    None
}

fn trim_end_at(c: &[char], s: usize, e: usize, words: &[&str]) -> usize {
    let mut end = e;
    for w in words {
        let txt: String = c[s..end].iter().collect();
        if let Some(t) = txt.strip_suffix(w) {
            end = s + t.chars().count();
        }
    }
    end
}

fn field(c: &[char], a: usize, b: usize) -> Field {
    let raw: String = c[a..b].iter().collect();
    let t = raw.trim_matches(|x: char| x.is_whitespace() || "，,、".contains(x));
    let off = raw.find(t).map(|x| raw[..x].chars().count()).unwrap_or(0);
    Field {
        value: t.to_string(),
        span: Some((a + off, a + off + t.chars().count())),
    }
}

const MEASURE_VERBS: &[&str] = &[
    "调集", "调派", "赶赴", "疏散", "转移", "救治", "送往", "送医", "抢救", "启动", "扑灭", "封锁",
    "管制", "成立", "搜救", "救援", "处置", "控制", "警戒", "撤离", "救出", "排查",
];

fn measures(c: &[char], doc: &Layout, event: Option<usize>) -> Vec<Field> {
    let from = event.map(|p| doc.sentence_of(p).0).unwrap_or(0);
    let mut out = Vec::new();
    for &(a, b) in &doc.sentences {
        if a < from || out.len() >= 6 {
            continue;
        }
        // Clause by clause, keep those that state an action taken.
        let mut s = a;
        for k in a..=b.min(c.len()) {
            let end = k == b.min(c.len()) || matches!(c.get(k), Some('，' | '；' | '。' | '\n'));
            if !end {
                continue;
            }
            if k > s {
                let txt: String = c[s..k].iter().collect();
                if MEASURE_VERBS.iter().any(|v| txt.contains(v))
                    && !txt.contains("原因")
                    && !doc.masked[s]
                    && txt.chars().count() >= 4
                {
                    let f = field(c, s, k);
                    if !f.value.is_empty() && out.len() < 6 {
                        out.push(f);
                    }
                }
            }
            s = k + 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------

fn starts_with(c: &[char], i: usize, w: &str) -> bool {
    (i..).zip(w.chars()).all(|(k, ch)| c.get(k) == Some(&ch))
}

fn find_str(c: &[char], w: &str, from: usize) -> Option<usize> {
    let n = w.chars().count();
    if n == 0 || c.len() < n {
        return None;
    }
    (from..=c.len() - n).find(|&i| starts_with(c, i, w))
}

fn slice(c: &[char], span: (usize, usize)) -> String {
    c[span.0.min(c.len())..span.1.min(c.len())].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deaths(t: &str) -> Option<u64> {
        extract(t).deaths.map(|c| c.value)
    }
    fn injuries(t: &str) -> Option<u64> {
        extract(t).injuries.map(|c| c.value)
    }

    #[test]
    fn a_numbered_workshop_is_no_date() {
        let i = extract("2024年5月8日10时许，某区某化工有限公司3号车间发生爆炸事故，造成2人死亡。");
        let t = i.time.unwrap();
        assert_eq!(t.value, "2024年5月8日10时许");
        let i = extract("5号凌晨，某小区3号楼发生火灾。");
        assert_eq!(i.time.unwrap().value, "5号凌晨");
        let i = extract("5号在某小区发生火灾。");
        assert_eq!(i.time.unwrap().value, "5号");
    }

    #[test]
    fn casualty_phrasings() {
        assert_eq!(deaths("某厂发生爆炸，3人死亡"), Some(3));
        assert_eq!(deaths("某矿发生透水事故，三人遇难"), Some(3));
        assert_eq!(deaths("煤矿瓦斯爆炸，10名矿工遇难"), Some(10));
        assert_eq!(deaths("截至今日，事故死亡人数升至10人"), Some(10));
        assert_eq!(deaths("造成了二死二伤"), Some(2));
        assert_eq!(injuries("造成了二死二伤"), Some(2));
        assert_eq!(deaths("两车追尾当场1死7伤"), Some(1));
        assert_eq!(injuries("两车追尾当场1死7伤"), Some(7));
        assert_eq!(deaths("面包车内８名乘客全部死亡"), Some(8));
        assert_eq!(deaths("一名工人在车间被机器卷入死亡，另有2人轻伤"), Some(1));
        assert_eq!(
            injuries("一名工人在车间被机器卷入死亡，另有2人轻伤"),
            Some(2)
        );
        assert_eq!(deaths("发现店内有5名死者"), Some(5));
        assert_eq!(deaths("火灾已造成12人死亡。又找到一名遇难群众"), Some(12));
        assert_eq!(deaths("某仓库起火，无人员伤亡"), Some(0));
        assert_eq!(injuries("某仓库起火，无人员伤亡"), Some(0));
        assert_eq!(deaths("某地发生火灾，火势已控制"), None);
        assert_eq!(injuries("某地发生火灾，火势已控制"), None);
        let i = extract("仓库起火，4名管理员及时撤出，没有受到任何伤害");
        assert_eq!(i.injuries.map(|c| c.value), Some(0));
        assert_eq!(i.deaths.map(|c| c.value), Some(0));
        let i = extract("某商场发生火灾，十余人受伤");
        let inj = i.injuries.unwrap();
        assert!(inj.approximate);
        assert_eq!(inj.range, Some((11, 19)));
        // A total stated with its parts.
        let i = extract("造成24人失踪，11人受伤，其中，造成重伤5人、轻伤6人");
        assert_eq!(i.injuries.as_ref().map(|c| c.value), Some(11));
        assert_eq!(i.serious_injuries.as_ref().map(|c| c.value), Some(5));
        assert_eq!(i.missing.as_ref().map(|c| c.value), Some(24));
        assert_eq!(i.deaths, None, "missing persons are not deaths");
        // Parts only: the total is derived.
        let i = extract("事故共造成6人死亡，3人重伤，14人轻微伤");
        let inj = i.injuries.unwrap();
        assert_eq!((inj.value, inj.derived), (17, true));
        // Acute industrial poisoning counts as serious injury.
        let i = extract("某化纤厂发生有毒气体泄漏，无人死亡，恰好100人急性工业中毒（按重伤统计）");
        assert_eq!(i.serious_injuries.map(|c| c.value), Some(100));
        assert_eq!(i.deaths.map(|c| c.value), Some(0));
        // Statistics about other incidents do not count.
        assert_eq!(
            deaths("近3年已有5名环卫工人死于交通事故，近三年共有9人死亡"),
            None
        );
        // Evacuation.
        let i = extract("某化工企业压力管道发生有毒介质泄漏，周边约2万名居民紧急转移，无人员伤亡");
        let e = i.evacuated.unwrap();
        assert_eq!((e.value, e.approximate), (20_000, true));
        let i = extract("另有3人被卡在驾驶室内无法出来");
        assert_eq!(i.trapped.map(|c| c.value), Some(3));
    }

    /// Held-out cases a review found wrong; each names what it guards.
    #[test]
    fn regressions_from_review() {
        // Groups of a list add up only when they count the same thing.
        let i = extract("某公司发生火灾，造成2人死亡、49人重伤");
        assert_eq!(i.serious_injuries.map(|c| c.value), Some(49));
        assert_eq!(i.deaths.map(|c| c.value), Some(2));
        assert_eq!(injuries("某厂爆炸，造成5人死亡、12人受伤"), Some(12));
        assert_eq!(injuries("车上6名乘客及1名司机受伤"), Some(7));
        // 近N is fewer than N.
        let d = extract("某公司发生火灾，近10人死亡").deaths.unwrap();
        assert_eq!(d.range, Some((8, 9)));
        // Fractions and absurd counts are refused with a warning.
        for t in [
            "某酒店发生火灾，0.5人死亡",
            "某厂发生爆炸，１０００００００００００００人死亡",
        ] {
            let i = extract(t);
            assert_eq!(i.deaths, None, "{t}");
            assert!(!i.warnings.is_empty(), "{t}");
        }
        assert_eq!(deaths("某酒店发生火灾，.5人死亡"), None);
        // Statistics about other periods do not count; this incident's do.
        assert_eq!(deaths("某工厂发生火灾，累计造成3人死亡"), Some(3));
        assert_eq!(
            deaths("某厂今年以来第二次发生火灾，此次造成3人死亡"),
            Some(3)
        );
        assert_eq!(deaths("某工厂发生爆炸，造成3人死亡，同比下降"), Some(3));
        assert_eq!(
            deaths("某公司仓库起火，1人受伤。去年该公司也曾发生火灾，造成5人死亡"),
            None
        );
        // Small hours are not afternoon.
        let t = extract("2014-04-07\n昨夜2时许，某厂发生火灾").time.unwrap();
        assert_eq!(t.normalized.as_deref(), Some("2014-04-06T02:00"));
        let t = extract("2014-04-07\n昨晚8点，某厂发生火灾").time.unwrap();
        assert_eq!(t.normalized.as_deref(), Some("2014-04-06T20:00"));
        // Firefighters who died in the line of duty are deaths.
        assert_eq!(deaths("某工厂发生火灾，3名消防员牺牲"), Some(3));
    }

    #[test]
    fn money() {
        let l = |t: &str| {
            extract(t)
                .direct_loss_yuan
                .map(|a| (a.value, a.approximate))
        };
        assert_eq!(l("直接经济损失约999万元"), Some((9_990_000.0, true)));
        assert_eq!(l("直接经济损失1.2亿元"), Some((1.2e8, false)));
        assert_eq!(l("造成直接经济损失约3000万元"), Some((3e7, true)));
        assert_eq!(l("直接经济损失2000余万元"), Some((2e7, true)));
        assert_eq!(l("火灾致使农户家损失两万元钱"), Some((2e4, false)));
        assert_eq!(l("造成1200万元直接经济损失"), Some((1.2e7, false)));
        assert_eq!(l("存放有价值１０多万欧元的货物，损失正在统计"), None);
        let i = extract("某厂爆炸，直接经济损失10000000000000元");
        assert!(i.direct_loss_yuan.is_none());
        assert!(!i.warnings.is_empty());
    }

    #[test]
    fn negative_counts_are_refused() {
        let i = extract("某厂发生爆炸，负3人死亡");
        assert_eq!(i.deaths, None);
        assert!(i.warnings.iter().any(|w| w.contains("负数")));
    }

    #[test]
    fn news_report_time_and_place() {
        let t = "# 俄西伯利亚一民宅火灾致7人死亡\n\n2014年03月31日 14:22:00\n\n新华网莫斯科３月３１日电（记者曹妍）俄罗斯西伯利亚西部秋明州一座私人住宅３月３１日因天然气罐爆炸而起火，导致７人死亡，其中包括５名儿童。\n\n此外，火灾还导致２名女性受伤。";
        let i = extract(t);
        assert_eq!(
            i.event_type.as_ref().map(|e| e.value.as_str()),
            Some("火灾")
        );
        assert_eq!(
            i.time.as_ref().map(|x| x.value.as_str()),
            Some("３月３１日")
        );
        assert_eq!(
            i.time.as_ref().and_then(|x| x.normalized.as_deref()),
            Some("2014-03-31")
        );
        assert_eq!(
            i.location.as_ref().map(|x| x.value.as_str()),
            Some("俄罗斯西伯利亚西部秋明州一座私人住宅")
        );
        assert_eq!(i.deaths.as_ref().map(|c| c.value), Some(7));
        assert_eq!(i.injuries.as_ref().map(|c| c.value), Some(2));
        assert_eq!(
            i.cause.as_ref().map(|x| x.value.as_str()),
            Some("天然气罐爆炸")
        );
        // Spans point at the text.
        let chars: Vec<char> = t.chars().collect();
        let (a, b) = i.deaths.unwrap().span.unwrap();
        assert!(slice(&chars, (a, b)).contains("７人死亡"));
    }

    #[test]
    fn same_day_is_resolved_against_its_anchor() {
        let t = "2014年1月2日，兰州消防官兵在紧急处置泰生大厦顶部火灾。当日14时20分许，位于甘肃省兰州市张掖路的泰生大厦顶部发生火灾。大火没有造成人员伤亡。";
        let i = extract(t);
        let time = i.time.unwrap();
        assert_eq!(time.value, "2014年1月2日14时20分许");
        assert_eq!(time.normalized.as_deref(), Some("2014-01-02T14:20"));
        assert_eq!(
            i.location.map(|l| l.value),
            Some("甘肃省兰州市张掖路的泰生大厦顶部".to_string())
        );
        assert_eq!(i.deaths.map(|c| c.value), Some(0));
    }

    #[test]
    fn relative_days_use_the_report_date() {
        let t = "2008-6-7\n\n昨日清晨７时许，新３１２国道锡沪路段发生一起交通事故，一辆卡车与一辆面包车发生追尾，事故共造成车内１人死亡，其余７人不同程度受伤。";
        let i = extract(t);
        let time = i.time.unwrap();
        assert_eq!(time.value, "昨日清晨７时许");
        assert_eq!(time.normalized.as_deref(), Some("2008-06-06T07:00"));
        assert_eq!(
            i.location.map(|l| l.value),
            Some("新３１２国道锡沪路段".into())
        );
        assert_eq!(i.event_type.map(|e| e.value), Some("交通事故".into()));
        assert_eq!(i.injuries.map(|c| c.value), Some(7));
        let i = extract("2014-04-07 03:45:00\n据中新社电据多名网友爆料，6日凌晨丽江束河古镇发生火灾，起火点位于四方街往完小方向。");
        assert_eq!(i.time.as_ref().map(|t| t.value.as_str()), Some("6日凌晨"));
        assert_eq!(i.time.and_then(|t| t.normalized), Some("2014-04-06".into()));
        assert_eq!(i.location.map(|l| l.value), Some("丽江束河古镇".into()));
        assert_eq!(i.deaths, None);
    }

    #[test]
    fn short_duty_notes() {
        let i = extract("某纸业公司造纸车间发生有限空间中毒窒息事故，造成5人死亡");
        assert_eq!(i.unit.map(|u| u.value), Some("某纸业公司".into()));
        assert_eq!(
            i.location.map(|u| u.value),
            Some("某纸业公司造纸车间".into())
        );
        let i = extract("某林区因雷击引发森林火灾，过火面积约300公顷，无人员伤亡");
        let e = i.event_type.unwrap();
        assert_eq!(
            (e.value.as_str(), e.concept.as_str()),
            ("火灾", "ForestGrasslandFire")
        );
        assert_eq!(i.cause.map(|c| c.value), Some("雷击".into()));
        let i = extract("某居民楼一户人家自用液化气罐泄漏爆炸，造成1名住户死亡");
        assert_eq!(i.event_type.map(|e| e.value), Some("爆炸".into()));
        assert_eq!(i.deaths.map(|c| c.value), Some(1));
        let i =
            extract("今天下午3点20分，某区一化工厂仓库发生火灾，3人被困，已疏散周边群众200余人。");
        assert_eq!(i.time.map(|t| t.value), Some("今天下午3点20分".into()));
        assert_eq!(i.trapped.map(|c| c.value), Some(3));
        assert_eq!(
            i.evacuated.map(|c| (c.value, c.approximate)),
            Some((200, true))
        );
        assert!(extract("").is_empty());
        assert!(extract("hello world").is_empty());
    }

    #[test]
    fn dates() {
        let d = Date {
            y: 2024,
            m: 3,
            d: 1,
        };
        assert_eq!(d.plus(-1).iso(), "2024-02-29");
        assert_eq!(
            Date {
                y: 2023,
                m: 12,
                d: 31
            }
            .plus(1)
            .iso(),
            "2024-01-01"
        );
        assert!(Date::valid(2023, 2, 29).is_none());
    }
}
