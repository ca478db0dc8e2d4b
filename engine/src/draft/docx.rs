//! A draft as a .docx laid out like an official document after GB/T 9704:
//! A4, margins 天头 37 mm / 订口 28 mm (text block 156 × 225 mm); title in
//! 2号 方正小标宋简体, centred; 主送机关 flush left; body in 3号 仿宋_GB2312
//! with a two-character first-line indent and 28.95 pt exact line pitch
//! (22 lines a page); 一、 headings in 黑体, （一） headings in 楷体_GB2312;
//! 发文机关署名 and 成文日期 as for an unsealed document (§7.3.5.2): the
//! signature two characters from the right, the date on the next line
//! starting two characters right of the signature's start (or, when the
//! date is the longer, the date two characters from the right and the
//! signature moved left to keep that offset); page numbers — 4号 半角
//! 宋体 Arabic digits between dashes — at the foot, one character in from the
//! right.
//!
//! Built with docx-rs; the text of every paragraph is exactly a line of
//! [`Draft::lines`], so what Word or LibreOffice reads back is the plain text.

use super::{Draft, Line};
use crate::{EngineError, Result};
use docx_rs::{
    AlignmentType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph, Run,
    RunFonts, SpecialIndentType,
};

/// Twips per millimetre (1 in = 25.4 mm = 1440 twips).
const TWIPS_PER_MM: f64 = 1440.0 / 25.4;
/// A4 in twips.
pub const PAGE_WIDTH: u32 = 11906;
pub const PAGE_HEIGHT: u32 = 16838;
/// 3号 is 16 pt: 32 half-points; a character is 320 twips wide.
const SIZE_3HAO: usize = 32;
/// 2号 is 22 pt.
const SIZE_2HAO: usize = 44;
const CHAR: i32 = 320;
/// 28.95 pt line pitch in twips (22 lines in 225 mm).
const LINE: i32 = 579;

pub const FONT_TITLE: &str = "方正小标宋简体";
pub const FONT_BODY: &str = "仿宋_GB2312";
pub const FONT_H1: &str = "黑体";
pub const FONT_H2: &str = "楷体_GB2312";
const FONT_LATIN: &str = "Times New Roman";

/// Width of a text in characters: Han and full-width one, ASCII half.
fn width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 0.5 } else { 1.0 })
        .sum()
}

/// Right indents (twips) of the signature and the date, §7.3.5.2.
pub fn signature_indents(signature: &str, date: &str) -> (i32, i32) {
    let (ls, ld) = (width(signature), width(date));
    let ch = CHAR as f64;
    // Signature 2 characters in; the date starts 2 characters right of it.
    let (rs, rd) = if ls - ld >= 2.0 {
        (2.0, ls - ld)
    } else {
        (4.0 + ld - ls, 2.0)
    };
    ((rs * ch).round() as i32, (rd * ch).round() as i32)
}

fn mm(v: f64) -> i32 {
    (v * TWIPS_PER_MM).round() as i32
}

/// Margins (top, bottom, left, right) in twips: 37, 35, 28, 26 mm.
pub fn margins() -> (i32, i32, i32, i32) {
    (mm(37.0), mm(35.0), mm(28.0), mm(26.0))
}

fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).size(size).fonts(
        RunFonts::new()
            .east_asia(font)
            .ascii(FONT_LATIN)
            .hi_ansi(FONT_LATIN),
    )
}

fn para() -> Paragraph {
    Paragraph::new().line_spacing(
        LineSpacing::new()
            .line(LINE)
            .line_rule(LineSpacingType::Exact),
    )
}

fn body_para() -> Paragraph {
    para().indent(
        None,
        Some(SpecialIndentType::FirstLine(2 * CHAR)),
        None,
        None,
    )
}

/// The draft as .docx bytes.
pub fn render(d: &Draft) -> Result<Vec<u8>> {
    let (top, bottom, left, right) = margins();
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(top)
                .bottom(bottom)
                .left(left)
                .right(right),
        )
        .default_fonts(
            RunFonts::new()
                .east_asia(FONT_BODY)
                .ascii(FONT_LATIN)
                .hi_ansi(FONT_LATIN),
        )
        .default_size(SIZE_3HAO);
    let (sig_indent, date_indent) = signature_indents(&d.issuer, &d.date);
    // 4号 (14 pt) 宋体 page numbers: — 1 —.
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Right)
            .indent(None, None, Some(CHAR), None)
            .add_run(run("— ", "宋体", 28))
            .add_page_num(PageNum::new())
            .add_run(run(" —", "宋体", 28)),
    );
    doc = doc.footer(footer);
    for line in d.lines() {
        let p = match &line {
            Line::Title(t) => para()
                .align(AlignmentType::Center)
                .add_run(run(t, FONT_TITLE, SIZE_2HAO)),
            Line::Addressees(t) => para().add_run(run(t, FONT_BODY, SIZE_3HAO)),
            Line::Body(t) => body_para().add_run(run(t, FONT_BODY, SIZE_3HAO)),
            Line::Heading1(t) => body_para().add_run(run(t, FONT_H1, SIZE_3HAO)),
            Line::Heading2(h, t) => body_para()
                .add_run(run(h, FONT_H2, SIZE_3HAO))
                .add_run(run(t, FONT_BODY, SIZE_3HAO)),
            Line::Signature(t) => para()
                .align(AlignmentType::Right)
                .indent(None, None, Some(sig_indent), None)
                .add_run(run(t, FONT_BODY, SIZE_3HAO)),
            Line::Date(t) => para()
                .align(AlignmentType::Right)
                .indent(None, None, Some(date_indent), None)
                .add_run(run(t, FONT_BODY, SIZE_3HAO)),
        };
        // GB/T 9704: one blank line between title and addressees, and
        // before the signature.
        if matches!(line, Line::Signature(_)) {
            doc = doc.add_paragraph(para());
        }
        doc = doc.add_paragraph(p);
        if matches!(line, Line::Title(_)) {
            doc = doc.add_paragraph(para());
        }
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.pack(&mut buf)
        .map_err(|e| EngineError::Unavailable(format!("无法生成 .docx 文件：{e}")))?;
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_follow_the_standard() {
        let (t, b, l, r) = margins();
        // Text block 156 × 225 mm on A4 (210 × 297 mm).
        let w = PAGE_WIDTH as f64 / TWIPS_PER_MM - (l + r) as f64 / TWIPS_PER_MM;
        let h = PAGE_HEIGHT as f64 / TWIPS_PER_MM - (t + b) as f64 / TWIPS_PER_MM;
        assert!((w - 156.0).abs() < 0.5, "{w}");
        assert!((h - 225.0).abs() < 0.5, "{h}");
        assert_eq!((t, b, l, r), (2098, 1984, 1587, 1474));
    }

    #[test]
    fn signature_and_date_keep_their_offset() {
        // 某区应急管理局 (7) over 2026年11月30日 (4 Han + 6 digits = 7):
        // the date is not shorter by two, so it sits 2 in and the signature
        // moves left: its start is 2 characters left of the date's.
        let (s, d) = signature_indents("某区应急管理局", "2026年11月30日");
        assert_eq!((s, d), (4 * CHAR, 2 * CHAR));
        // A long signature: 2 in, the date 2 right of its start.
        let (s, d) = signature_indents("某某市某某区应急管理局办公室", "2026年1月3日");
        let (ls, ld) = (14.0, 3.0 + 3.0);
        assert_eq!(s, 2 * CHAR);
        assert_eq!(d, ((ls - ld) * CHAR as f64) as i32);
    }
}
