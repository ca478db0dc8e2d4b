//! Chinese and Arabic numerals as used in legal numbering (第一千二百五十四条, 第16条).

/// Parses a Chinese numeral (一 … 九千九百九十九, with 零/〇 and 两) or a run of
/// ASCII / full-width digits. Returns `None` for anything else.
pub fn parse_number(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.chars().all(|c| to_ascii_digit(c).is_some()) {
        let mut n: u32 = 0;
        for c in s.chars() {
            n = n.checked_mul(10)?.checked_add(to_ascii_digit(c)?)?;
        }
        return Some(n);
    }
    parse_chinese(s)
}

/// Maps '0'..'9' and '０'..'９' to their value.
pub fn to_ascii_digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' | 'Ｏ' | '○' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn unit(c: char) -> Option<u32> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        '万' => 10000,
        _ => return None,
    })
}

/// Whether `c` can appear in a Chinese numeral.
pub fn is_chinese_numeral_char(c: char) -> bool {
    digit(c).is_some() || unit(c).is_some()
}

fn parse_chinese(s: &str) -> Option<u32> {
    let chars: Vec<char> = s.chars().collect();
    // A positional form such as 二〇二四 (year) has no units.
    if chars.iter().all(|c| digit(*c).is_some()) {
        if chars.len() == 1 {
            return digit(chars[0]);
        }
        let mut n: u32 = 0;
        for c in &chars {
            n = n.checked_mul(10)?.checked_add(digit(*c)?)?;
        }
        return Some(n);
    }
    let mut total: u32 = 0;
    let mut section: u32 = 0;
    let mut pending: Option<u32> = None;
    for c in chars {
        if let Some(d) = digit(c) {
            if pending.is_some() && d != 0 {
                // Two digits in a row without a unit (一一) is not a numeral here.
                return None;
            }
            pending = if d == 0 { None } else { Some(d) };
        } else if let Some(u) = unit(c) {
            if u == 10000 {
                section += pending.take().unwrap_or(0);
                total = total.checked_add(section.checked_mul(u)?)?;
                section = 0;
            } else {
                // 十 alone means 10 (十一 = 11).
                let d = pending.take().unwrap_or(1);
                section = section.checked_add(d.checked_mul(u)?)?;
            }
        } else {
            return None;
        }
    }
    section += pending.unwrap_or(0);
    total.checked_add(section)
}

/// Writes `n` as a Chinese numeral the way statutes number articles (二十一, 一百零五).
pub fn to_chinese(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    if n == 0 {
        return "零".into();
    }
    if n >= 10000 {
        let hi = to_chinese(n / 10000);
        let lo = n % 10000;
        if lo == 0 {
            return format!("{hi}万");
        }
        let sep = if lo < 1000 { "零" } else { "" };
        return format!("{hi}万{sep}{}", to_chinese(lo));
    }
    let digits = [n / 1000, (n / 100) % 10, (n / 10) % 10, n % 10];
    let units = ["千", "百", "十", ""];
    let mut out = String::new();
    let mut zero_pending = false;
    for (i, d) in digits.iter().enumerate() {
        if *d == 0 {
            if !out.is_empty() {
                zero_pending = true;
            }
            continue;
        }
        if zero_pending {
            out.push('零');
            zero_pending = false;
        }
        // 十一 not 一十一 when the number starts with the tens.
        if !(i == 2 && *d == 1 && out.is_empty()) {
            out.push_str(D[*d as usize]);
        }
        out.push_str(units[i]);
    }
    out
}

/// A quantity as news and duty-room notes write it: `3`, `１２`, `1.2亿`,
/// `3000万`, `十余`, `两万`, `370余`, `二十几`, `１．５`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    /// The stated value; for `十余` / `30多` the base (10, 30).
    pub value: f64,
    /// Char index just past the quantity (and its 余/多/几 suffix).
    pub end: usize,
    /// `余`, `多`, `几` or a vague Chinese form: the true value is above `value`.
    pub approximate: bool,
    /// For approximate quantities, the range they imply (`十余` → 11..=19).
    pub range: Option<(f64, f64)>,
}

fn is_digit_char(c: char) -> bool {
    to_ascii_digit(c).is_some()
}

/// Parses a quantity starting exactly at `i` in `chars`. Arabic digits may
/// carry a decimal point and a 万/亿/千 multiplier; Chinese numerals may use
/// 万 and 亿. A trailing 余/多/几 marks the value as approximate. Returns
/// `None` when no number starts at `i` or it would overflow.
pub fn quantity_at(chars: &[char], i: usize) -> Option<Quantity> {
    let c0 = *chars.get(i)?;
    let mut j = i;
    let mut value: f64;
    if is_digit_char(c0) {
        let mut txt = String::new();
        while j < chars.len() {
            let c = chars[j];
            if let Some(d) = to_ascii_digit(c) {
                txt.push(char::from(b'0' + d as u8));
            } else if (c == '.' || c == '．')
                && !txt.contains('.')
                && chars.get(j + 1).is_some_and(|n| is_digit_char(*n))
            {
                txt.push('.');
            } else if c == ','
                && chars
                    .get(j + 1..j + 4)
                    .is_some_and(|n| n.iter().all(|d| is_digit_char(*d)))
            {
                // 1,200 — a thousands separator.
            } else {
                break;
            }
            j += 1;
        }
        if txt.len() > 20 {
            return None;
        }
        value = txt.parse::<f64>().ok()?;
        // 3000万, 1.2亿, 5千
        loop {
            match chars.get(j) {
                Some('万') => value *= 1e4,
                Some('亿') => value *= 1e8,
                Some('千') if value.fract() == 0.0 || value < 1000.0 => value *= 1e3,
                _ => break,
            }
            j += 1;
        }
    } else {
        // Chinese numerals, including 万 and 亿 sections.
        let start = j;
        while j < chars.len() && (is_chinese_numeral_char(chars[j]) || chars[j] == '亿') {
            j += 1;
        }
        if j == start {
            return None;
        }
        // 一 alone before a measure word is fine; but a run ending in a
        // digit-less unit like 万 needs something before it.
        let run: String = chars[start..j].iter().collect();
        value = parse_cn_large(&run)?;
        if value == 0.0 && !run.chars().all(|c| matches!(c, '零' | '〇')) {
            return None;
        }
    }
    let mut approximate = false;
    let mut range = None;
    if let Some(c) = chars.get(j) {
        if matches!(c, '余' | '多' | '几') {
            approximate = true;
            // 十余 → 11..19, 30多 → 31..39, 370余 → 371..379 (by the last
            // significant place: 十余 has tens, so the ones are unknown).
            let step = if value >= 10.0 {
                let mut p = 1.0;
                while value % (p * 10.0) == 0.0 && p * 10.0 <= value {
                    p *= 10.0;
                }
                p
            } else {
                1.0
            };
            range = Some(if step == 1.0 {
                (value, value + 1.0)
            } else {
                (value + 1.0, value + step - 1.0)
            });
            j += 1;
            // 十几万: the multiplier may follow the vague suffix.
            match chars.get(j) {
                Some('万') => {
                    value *= 1e4;
                    range = range.map(|(a, b)| (a * 1e4, b * 1e4));
                    j += 1;
                }
                Some('亿') => {
                    value *= 1e8;
                    range = range.map(|(a, b)| (a * 1e8, b * 1e8));
                    j += 1;
                }
                _ => {}
            }
        }
    }
    Some(Quantity {
        value,
        end: j,
        approximate,
        range,
    })
}

/// Chinese numerals with 万 and 亿 sections (三千五百万, 一亿二千万, 两万).
fn parse_cn_large(s: &str) -> Option<f64> {
    let (hi, lo) = match s.split_once('亿') {
        Some((h, l)) => (Some(h), l),
        None => (None, s),
    };
    let hi_v = match hi {
        Some("") => 1.0,
        Some(h) => parse_number(h)? as f64,
        None => 0.0,
    };
    let lo_v = if lo.is_empty() {
        0.0
    } else if lo == "万" {
        1e4
    } else if let Some(w) = lo.strip_suffix('万') {
        parse_number(w)? as f64 * 1e4
    } else {
        parse_number(lo)? as f64
    };
    Some(hi_v * 1e8 + lo_v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        let q = |s: &str| {
            let c: Vec<char> = s.chars().collect();
            quantity_at(&c, 0).map(|q| (q.value, q.end, q.approximate, q.range))
        };
        assert_eq!(q("3人"), Some((3.0, 1, false, None)));
        assert_eq!(q("１２人"), Some((12.0, 2, false, None)));
        assert_eq!(q("1.2亿元"), Some((1.2e8, 4, false, None)));
        assert_eq!(q("3000万元"), Some((3e7, 5, false, None)));
        assert_eq!(q("两万元"), Some((2e4, 2, false, None)));
        assert_eq!(q("三人"), Some((3.0, 1, false, None)));
        assert_eq!(q("十余人"), Some((10.0, 2, true, Some((11.0, 19.0)))));
        assert_eq!(
            q("2000余万元"),
            Some((2e7, 6, true, Some((2001e4, 2999e4))))
        );
        assert_eq!(q("370余人").map(|x| x.3), Some(Some((371.0, 379.0))));
        assert_eq!(q("5多"), Some((5.0, 2, true, Some((5.0, 6.0)))));
        assert_eq!(q("１．５公里").map(|x| x.0), Some(1.5));
        assert_eq!(q("一亿二千万").map(|x| x.0), Some(1.2e8));
        assert_eq!(q("人"), None);
        assert_eq!(q("999999999999999999999999"), None);
    }

    #[test]
    fn chinese_numerals() {
        let cases = [
            ("一", 1),
            ("十", 10),
            ("十一", 11),
            ("二十", 20),
            ("二十一", 21),
            ("一百", 100),
            ("一百零五", 105),
            ("一百一十", 110),
            ("一百二十三", 123),
            ("九百九十九", 999),
            ("一千", 1000),
            ("一千零一", 1001),
            ("一千二百五十四", 1254),
            ("两百", 200),
            ("二〇二四", 2024),
            ("16", 16),
            ("１６", 16),
        ];
        for (s, n) in cases {
            assert_eq!(parse_number(s), Some(n), "{s}");
        }
        assert_eq!(parse_number("条"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("一五"), Some(15), "positional form");
    }

    #[test]
    fn round_trip_up_to_1300() {
        for n in 1..=1300 {
            assert_eq!(
                parse_number(&to_chinese(n)),
                Some(n),
                "{n} {}",
                to_chinese(n)
            );
        }
        assert_eq!(to_chinese(21), "二十一");
        assert_eq!(to_chinese(105), "一百零五");
        assert_eq!(to_chinese(1254), "一千二百五十四");
        assert_eq!(to_chinese(110), "一百一十");
    }
}
