//! Drawing: the screen layout and the small widgets it is made of. Everything here reads the
//! [`Ui`] (and through it the core's view model) and changes nothing.

pub mod events;
pub mod help;
pub mod ledger;
pub mod stages;
pub mod status;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::app::{Overlay, Ui};
use crate::i18n::T;

/// The smallest terminal the lab draws itself in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Height of the stages row: borders plus the broker's nine lines.
const STAGES_HEIGHT: u16 = 11;

/// Draws one frame.
pub fn render(ui: &Ui, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = ui.t(T::TooSmall);
        let y = area.y + area.height / 2;
        let line = Rect { x: area.x, y, width: area.width, height: 1.min(area.height) };
        frame.render_widget(Paragraph::new(text).centered().style(ui.theme.error()), line);
        return;
    }
    let legend = area.height >= MIN_HEIGHT + 6;
    let [top, legend_area, bottom, message, status_area] = Layout::vertical([
        Constraint::Length(STAGES_HEIGHT),
        Constraint::Length(u16::from(legend)),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    if let Some(drill) = &ui.drill {
        let main = Rect { height: top.height + legend_area.height + bottom.height, ..top };
        crate::drill::render(ui, drill, frame, main);
    } else {
        stages::render(ui, frame, top);
        if legend {
            status::legend(ui, frame, legend_area);
        }
        let ledger_share = if area.width >= 110 { 45 } else { 50 };
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
            frame.render_widget(Clear, rect);
            frame.render_widget(Paragraph::new(lines).block(block), rect);
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

/// A bordered, wrapped, scrolled text overlay.
pub fn overlay_text(ui: &Ui, title: String, lines: Vec<Line>, scroll: u16, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(Span::styled(title, ui.theme.title()));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).scroll((scroll, 0)),
        area,
    );
}

/// Splits `text` into lines of at most `width` columns at spaces (a word longer than a line is
/// cut). Used where the newest lines must be known to fit, as in the event log.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_hanging(text, width, width)
}

/// Like [`wrap`], with a different width for the first line (which carries a heading).
pub fn wrap_hanging(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut width = first.max(1);
    let rest = rest.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for word in text.split(' ') {
        let w = Span::raw(word).width();
        if line_width > 0 && line_width + 1 + w > width {
            lines.push(std::mem::take(&mut line));
            line_width = 0;
            width = rest;
        }
        if line_width > 0 {
            line.push(' ');
            line_width += 1;
        }
        line.push_str(word);
        line_width += w;
        while line_width > width {
            // A single over-long word: cut it at the width.
            let cut: String = line.chars().take(width).collect();
            let tail: String = line.chars().skip(width).collect();
            lines.push(cut);
            line_width = Span::raw(tail.as_str()).width();
            line = tail;
            width = rest;
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("broker: flushed m1 to disk", 12), ["broker:", "flushed m1", "to disk"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(super::wrap_hanging("aa bb cc dd", 2, 5), ["aa", "bb cc", "dd"]);
    }
}
