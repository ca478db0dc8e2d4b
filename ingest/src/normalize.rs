//! Normalisation of decoded text before structure parsing: line endings,
//! Markdown residue (headings, bold, block quotes), HTML comments, and PDF
//! residue — page-number lines such as `- 1 -` are dropped and a sentence they
//! split is re-joined. All unit spans refer to the normalised text.

/// Normalises `raw` into lines separated by `\n`, one paragraph per line and a
/// blank line between paragraphs.
pub fn normalize(raw: &str) -> String {
    // Zero-width characters (第\u{200b}一条 copied from a web page) and
    // control characters carry nothing and would split labels and words.
    let text: String = raw
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}'
            ) && (!c.is_control() || matches!(c, '\n' | '\t'))
        })
        .collect();
    let lines: Vec<&str> = text.split('\n').collect();

    // A file that is one big Markdown block quote: strip the quote markers.
    let non_empty = lines.iter().filter(|l| !l.trim().is_empty()).count();
    let quoted = lines
        .iter()
        .filter(|l| l.trim_start().starts_with('>'))
        .count();
    let strip_quotes = non_empty > 0 && quoted * 10 >= non_empty * 6;

    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut page_break_pending = false;
    for line in lines {
        let mut l: &str = line;
        if strip_quotes {
            let t = l.trim_start();
            if let Some(rest) = t.strip_prefix('>') {
                l = rest.strip_prefix(' ').unwrap_or(rest);
            }
        }
        let cleaned = clean_line(l);
        if cleaned.is_empty() {
            if !page_break_pending {
                out.push(String::new());
            }
            continue;
        }
        if is_page_number(&cleaned) {
            page_break_pending = true;
            continue;
        }
        if page_break_pending {
            page_break_pending = false;
            // Re-join a sentence that a page break split: the last paragraph
            // has no closing punctuation and this line starts no new unit.
            while out.last().is_some_and(|l| l.is_empty()) {
                out.pop();
            }
            if let Some(prev) = out.last_mut() {
                if !ends_sentence(prev) && !starts_structure(&cleaned) {
                    prev.push_str(&cleaned);
                    continue;
                }
                out.push(String::new());
            }
        }
        // A hard-wrapped line (no blank line before it) continues the
        // previous one when that one breaks off mid-sentence.
        if let Some(prev) = out.last_mut() {
            if !prev.is_empty()
                && !ends_sentence(prev)
                && !starts_structure(&cleaned)
                && (prev.chars().count() >= 20 || prev.contains('，'))
            {
                prev.push_str(&cleaned);
                continue;
            }
        }
        out.push(cleaned);
    }

    // One blank line between paragraphs, none at the ends.
    let mut result = String::with_capacity(text.len());
    let mut blank = false;
    for l in out {
        if l.is_empty() {
            blank = true;
            continue;
        }
        if !result.is_empty() {
            result.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        result.push_str(&l);
    }
    result
}

fn clean_line(line: &str) -> String {
    let mut l = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    // Markdown heading marks.
    if l.starts_with('#') {
        let stripped = l.trim_start_matches('#');
        if stripped.starts_with(' ') || stripped.starts_with('\u{3000}') || stripped.is_empty() {
            l = stripped.trim_start_matches([' ', '\u{3000}']);
        }
    }
    // Whole-line HTML comments (LawRefBook's `<!-- INFO END -->`, source notes).
    if l.starts_with("<!--") && l.ends_with("-->") {
        return String::new();
    }
    // Table residue and rules.
    if l.chars()
        .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '*' | '_' | '='))
    {
        return String::new();
    }
    let s = l.replace("**", "");
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}')
        .to_string()
}

/// `- 1 -`, `—2—`, `第 3 页`, `第3页 共10页`, a bare number.
fn is_page_number(l: &str) -> bool {
    let t: String = l
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect();
    let inner = t.trim_matches(|c| matches!(c, '-' | '—' | '–' | '－'));
    if inner.len() != t.len() && !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    if let Some(rest) = t.strip_prefix('第') {
        let mut parts = rest.split('页');
        let first = parts.next().unwrap_or("");
        if !first.is_empty() && first.chars().all(|c| c.is_ascii_digit()) && t.contains('页') {
            let tail = parts.collect::<String>();
            return tail.is_empty()
                || tail
                    .strip_prefix('共')
                    .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()));
        }
    }
    !t.is_empty() && t.len() <= 3 && t.chars().all(|c| c.is_ascii_digit())
}

fn ends_sentence(l: &str) -> bool {
    l.chars().last().is_some_and(|c| {
        matches!(
            c,
            '。' | '；'
                | '：'
                | '！'
                | '？'
                | '…'
                | '”'
                | '」'
                | '』'
                | ';'
                | ':'
                | '!'
                | '?'
                | '.'
        )
    })
}

/// Whether a line starts a structural unit (article, chapter, item, section).
pub fn starts_structure(l: &str) -> bool {
    let mut chars = l.chars();
    match chars.next() {
        Some('第') => {
            let rest: String = chars.take(8).collect();
            rest.contains('条') || rest.contains('章') || rest.contains('节') || rest.contains('编')
        }
        Some('（' | '(') => true,
        Some(c) if crate::numerals::is_chinese_numeral_char(c) => {
            l.chars().take(5).any(|c| c == '、')
        }
        Some(c) if c.is_ascii_digit() => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_break_rejoins_sentence() {
        let raw = "第四条 单位的消防安全责任人，对本单位的消防安全工作全面负\n\n- 1 -\n\n责。\n\n第五条 下一条。";
        let n = normalize(raw);
        assert_eq!(
            n,
            "第四条 单位的消防安全责任人，对本单位的消防安全工作全面负责。\n\n第五条 下一条。"
        );
    }

    #[test]
    fn page_break_between_items_keeps_paragraphs() {
        let raw = "(六)建立义务消防队;\n\n- 2 -\n\n(七)组织演练。";
        assert_eq!(normalize(raw), "(六)建立义务消防队;\n\n(七)组织演练。");
    }

    #[test]
    fn markdown_residue() {
        let raw = "# 标题\n\n<!-- INFO END -->\n\n## 第一章　总则\n\n**第一条**　为了……\n";
        assert_eq!(normalize(raw), "标题\n\n第一章　总则\n\n第一条　为了……");
    }

    #[test]
    fn block_quote_file() {
        let raw = "> **令**\n>\n> 第一条　正文。\n>\n> 第二条　正文。\n";
        assert_eq!(normalize(raw), "令\n\n第一条　正文。\n\n第二条　正文。");
    }

    #[test]
    fn hard_wrap_joins_only_broken_sentences() {
        assert_eq!(
            normalize("（二）组织防火检查，及时消除火灾隐\n患。"),
            "（二）组织防火检查，及时消除火灾隐患。"
        );
        assert_eq!(
            normalize("1.1　总体要求\n坚持人民至上。"),
            "1.1　总体要求\n坚持人民至上。"
        );
        assert_eq!(
            normalize("第三条 内容。\n第四条 内容。"),
            "第三条 内容。\n第四条 内容。"
        );
    }

    #[test]
    fn page_numbers() {
        assert!(is_page_number("- 1 -"));
        assert!(is_page_number("—12—"));
        assert!(is_page_number("第3页"));
        assert!(is_page_number("第3页共10页"));
        assert!(!is_page_number("第三条"));
        assert!(!is_page_number("2024年"));
    }
}
