//! Drawing: the screen layout and the small widgets it is made of. Everything here reads the
//! [`Ui`] (and through it the core's view model) and changes nothing.

pub mod events;
pub mod help;
pub mod ledger;
pub mod sequence;
pub mod stages;
pub mod status;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::app::{Overlay, Ui};
use crate::i18n::T;

/// The smallest terminal the lab draws itself in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// The rows kept below the stages for the ledger and the event log, however many nodes the
/// stages hold.
const MIN_BOTTOM: u16 = 8;

/// The notice shown instead of the lab in a terminal smaller than the minimum: wrapped to fit a
/// terminal as small as 10×5, and vertically centred.
fn too_small(ui: &Ui, frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::raw(ui.t(T::TooSmall)),
        Line::raw(format!("{MIN_WIDTH}×{MIN_HEIGHT}")),
        Line::raw(format!("({}×{})", area.width, area.height)),
    ];
    // Lines the wrapped text takes, about: each line's width over the area's, rounded up.
    let width = usize::from(area.width.max(1));
    let needed: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let top = area.height.saturating_sub(u16::try_from(needed).unwrap_or(u16::MAX)) / 2;
    let notice = Rect { y: area.y + top, height: area.height - top, ..area };
    let paragraph = Paragraph::new(lines).centered().wrap(Wrap { trim: true }).style(ui.theme.error());
    frame.render_widget(paragraph, notice);
}

/// Draws one frame.
pub fn render(ui: &Ui, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(ui, frame, area);
        return;
    }
    let legend = area.height >= MIN_HEIGHT + 6;
    // The stages grow with the topology (more producers, consumers, queues), up to what leaves
    // the ledger and the log their rows.
    let spare = area.height - u16::from(legend) - 2 - MIN_BOTTOM;
    let stages_height = stages::height(ui, area.width).min(spare).max(stages::MIN_HEIGHT);
    let [top, legend_area, bottom, message, status_area] = Layout::vertical([
        Constraint::Length(stages_height),
        Constraint::Length(u16::from(legend)),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    let main = Rect { height: top.height + legend_area.height + bottom.height, ..top };
    if let Some(drill) = &ui.drill {
        crate::drill::render(ui, drill, frame, main);
    } else if let Some(pane) = &ui.sequence {
        sequence::render(ui, pane, frame, main);
    } else {
        stages::render(ui, frame, top);
        if legend {
            status::legend(ui, frame, legend_area);
        }
        // A lesson's narration needs the width more than the ledger does on a narrow screen.
        let ledger_share = match (area.width >= 110, ui.lesson.is_some()) {
            (true, _) => 45,
            (false, true) => 40,
            (false, false) => 50,
        };
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(ledger_share), Constraint::Fill(1)]).areas(bottom);
        ledger::render(ui, frame, left);
        match &ui.lesson {
            Some(run) if right.height >= 16 => {
                let [pane, log] =
                    Layout::vertical([Constraint::Percentage(60), Constraint::Fill(1)]).areas(right);
                crate::lessons::render(ui, run, frame, pane);
                events::render(ui, frame, log);
            }
            Some(run) => crate::lessons::render(ui, run, frame, right),
            None => events::render(ui, frame, right),
        }
    }
    status::message_line(ui, frame, message);
    status::status_line(ui, frame, status_area);

    match &ui.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => help::render(ui, *scroll, frame, popup(area, 90, 90)),
        Some(Overlay::Journey { journey, scroll }) => {
            crate::journey::render(ui, journey, *scroll, frame, popup(area, 90, 85))
        }
        Some(Overlay::Cards { scroll }) => crate::cards::render(ui, *scroll, frame, popup(area, 90, 85)),
        Some(Overlay::Menu(menu)) => {
            // Display columns, not chars: a Chinese title is twice as wide as it is long.
            let width =
                menu.items.iter().map(|i| Span::raw(i.label.as_str()).width() + 8).max().unwrap_or(20);
            let width = u16::try_from(width).unwrap_or(u16::MAX);
            let height = u16::try_from(menu.items.len() + 2).unwrap_or(u16::MAX);
            let rect = centered(
                area,
                width.clamp(30, area.width.saturating_sub(4).max(30)),
                height.min(area.height.saturating_sub(2)),
            );
            let lines: Vec<Line> = menu
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    Line::from(vec![
                        Span::styled(format!(" {} ", i + 1), ui.theme.key()),
                        Span::raw(item.label.clone()),
                    ])
                })
                .collect();
            // Digits typed so far show beside the title while a two-digit choice is pending.
            let title = format!(" {} {}", ui.t(menu.title), menu.typed);
            let block = Block::bordered().title(Span::styled(title, ui.theme.title()));
            clear(frame, rect);
            frame.render_widget(Paragraph::new(lines).block(block), rect);
        }
    }
}

/// Clears the area an overlay is drawn in. A wide (Chinese) character just left of it would
/// spill its second half over the overlay's border, so it is blanked too.
fn clear(frame: &mut Frame, area: Rect) {
    frame.render_widget(Clear, area);
    if area.x == 0 {
        return;
    }
    let buf = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        if let Some(cell) = buf.cell_mut((area.x - 1, y))
            && Span::raw(cell.symbol()).width() > 1
        {
            cell.set_symbol(" ");
        }
    }
}

/// A rectangle of `percent_x` × `percent_y` of `area`, centred, cleared for an overlay.
fn popup(area: Rect, percent_x: u16, percent_y: u16) -> Rect {
    centered(area, area.width * percent_x / 100, area.height * percent_y / 100)
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width: width.min(area.width),
        height: height.min(area.height),
    }
}

/// A bordered, wrapped, scrolled text overlay. A list item's continuation lines hang under its
/// text, after the bullet or number.
pub fn overlay_text(ui: &Ui, title: String, lines: Vec<Line>, scroll: u16, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(Span::styled(title, ui.theme.title()));
    let width = usize::from(area.width.saturating_sub(2));
    let wrapped: Vec<Line> = lines.iter().flat_map(|line| wrap_line(line, width, hang_of(line))).collect();
    clear(frame, area);
    frame.render_widget(Paragraph::new(wrapped).block(block).scroll((scroll, 0)), area);
}

/// Where a line's continuation lines start: after its leading spaces and list marker (`- `,
/// `• `, `12. `), or at its second column when it is laid out as columns (`  t         toggle …`).
fn hang_of(line: &Line) -> usize {
    let text = line.to_string();
    let rest = text.trim_start_matches(' ');
    let indent = text.len() - rest.len();
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if rest.starts_with("- ") || rest.starts_with("• ") {
        return indent + 2;
    }
    if digits > 0 && rest[digits..].starts_with(". ") {
        return indent + digits + 2;
    }
    // A first word, then a run of two or more spaces, then the text.
    let word_end = rest.find(' ').unwrap_or(rest.len());
    let gap = rest[word_end..].len() - rest[word_end..].trim_start_matches(' ').len();
    if gap >= 2 && word_end + gap < rest.len() {
        return Span::raw(&text[..indent + word_end + gap]).width();
    }
    indent
}

/// Wraps a styled line to `width` columns. It breaks after spaces and beside Chinese characters
/// (never before closing punctuation such as `，。）` nor after an opening one), cuts a word only
/// when it is longer than a line, and keeps every span's style. A `\n` in the text breaks too.
/// Lines after the first are indented by `hang` columns (as under a numbered choice).
pub fn wrap_line(line: &Line, width: usize, hang: usize) -> Vec<Line<'static>> {
    let full = width.max(1);
    let hang = if hang < full { hang } else { 0 };
    let cells: Vec<(char, Style, usize)> = line
        .spans
        .iter()
        .flat_map(|span| {
            let style = line.style.patch(span.style);
            span.content.chars().map(move |c| (c, style, char_width(c)))
        })
        .collect();
    let mut lines = Vec::new();
    let mut start = 0;
    loop {
        let width = if lines.is_empty() { full } else { full - hang };
        let mut used = 0;
        let mut end = start;
        let mut last_break = None;
        while end < cells.len() && cells[end].0 != '\n' && used + cells[end].2 <= width {
            used += cells[end].2;
            end += 1;
            if end < cells.len() && can_break(cells[end - 1].0, cells[end].0) {
                last_break = Some(end);
            }
        }
        let cut = match cells.get(end) {
            None => end,
            Some(&(c, _, _)) if c == '\n' || c == ' ' => end,
            Some(_) => last_break.unwrap_or(end.max(start + 1)),
        };
        let mut line = cells_line(&cells[start..cut.min(cells.len())]);
        if !lines.is_empty() && hang > 0 {
            line.spans.insert(0, Span::raw(" ".repeat(hang)));
        }
        lines.push(line);
        if cut >= cells.len() {
            break;
        }
        start = cut;
        // A forced break is consumed; the spaces at a soft one are dropped.
        if cells[start].0 == '\n' {
            start += 1;
        } else {
            while start < cells.len() && cells[start].0 == ' ' {
                start += 1;
            }
        }
        if start >= cells.len() {
            break;
        }
    }
    lines
}

fn char_width(c: char) -> usize {
    let mut buf = [0; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

fn can_break(before: char, after: char) -> bool {
    const CLOSING: &str = "，。、；：？！）》」』】,.;:!?)";
    const OPENING: &str = "（《「『【(";
    if before == ' ' {
        return after != ' ';
    }
    let wide = char_width(before) > 1 || char_width(after) > 1;
    wide && after != ' ' && !CLOSING.contains(after) && !OPENING.contains(before)
}

/// A run of styled characters back into spans (one per change of style), trailing spaces cut.
fn cells_line(cells: &[(char, Style, usize)]) -> Line<'static> {
    let end = cells.iter().rposition(|c| c.0 != ' ').map_or(0, |i| i + 1);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = None;
    for &(c, s, _) in &cells[..end] {
        if style.is_some_and(|st| st != s) {
            spans.push(Span::styled(std::mem::take(&mut text), style.unwrap_or_default()));
        }
        style = Some(s);
        text.push(c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style.unwrap_or_default()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::wrap_line;
    use ratatui::style::{Style, Stylize};
    use ratatui::text::{Line, Span};

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn wrap_line_breaks_chinese_anywhere_but_before_closing_punctuation() {
        let line = Line::raw("有三种发消息的方式：同步发送（等待 Broker 的响应）、异步发送");
        let lines = wrap_line(&line, 10, 0);
        for l in &lines {
            assert!(l.width() <= 10, "{:?}", texts(&lines));
        }
        assert_eq!(
            texts(&lines),
            ["有三种发消", "息的方式：", "同步发送", "（等待", "Broker 的", "响应）、异", "步发送"]
        );
    }

    #[test]
    fn wrap_line_keeps_styles_and_breaks_english_at_spaces() {
        let line = Line::from(vec![Span::raw("Question: ").bold(), Span::raw("which one is lost first?")]);
        let lines = wrap_line(&line, 14, 0);
        assert_eq!(texts(&lines), ["Question:", "which one is", "lost first?"]);
        assert_eq!(lines[0].spans[0].style, Style::new().bold());
        assert_eq!(lines[1].spans[0].style, Style::new());
        assert_eq!(texts(&wrap_line(&Line::raw("abcdefghij"), 4, 0)), ["abcd", "efgh", "ij"]);
        assert_eq!(
            texts(&wrap_line(&Line::raw("broker: flushed m1 to disk"), 12, 0)),
            ["broker:", "flushed m1", "to disk"]
        );
        assert_eq!(texts(&wrap_line(&Line::from(Span::raw("one\ntwo")), 20, 0)), ["one", "two"]);
        assert_eq!(texts(&wrap_line(&Line::raw(""), 20, 0)), [""]);
        assert_eq!(texts(&wrap_line(&Line::raw("1. one two three"), 9, 3)), ["1. one", "   two", "   three"]);
        assert_eq!(super::hang_of(&Line::raw("  - item")), 4);
        assert_eq!(super::hang_of(&Line::raw("12. item")), 4);
        assert_eq!(super::hang_of(&Line::raw("  plain")), 2);
        assert_eq!(super::hang_of(&Line::raw("  t     toggle a setting")), 8);
    }
}
