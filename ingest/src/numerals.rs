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

#[cfg(test)]
mod tests {
    use super::*;

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
