//! The explained event log, newest last: as many of the latest events as fit, each wrapped
//! under its step and virtual time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::Ui;
use crate::i18n::T;
use crate::widgets::wrap_line;

pub fn render(ui: &Ui, frame: &mut Frame, area: Rect) {
    let theme = ui.theme;
    let inner_width = usize::from(area.width.saturating_sub(2));
    let room = usize::from(area.height.saturating_sub(2));
    let mut lines: Vec<Line> = Vec::new();
    // Walk from the newest back until the panel is full, then show them oldest first.
    for event in ui.view.recent.iter().rev() {
        let head = format!("{:>3} {}ms ", event.step, event.at_ms);
        let touched = event.messages.iter().any(|id| Some(*id) == ui.selected);
        let style = if touched { theme.key() } else { ratatui::style::Style::new() };
        let line = Line::from(vec![
            Span::styled(head, theme.dim()),
            Span::styled(event.text_in(ui.lang).to_owned(), style),
        ]);
        // Continuation lines hang under the text, four columns in.
        let mut block = wrap_line(&line, inner_width, 4);
        if lines.len() + block.len() > room {
            break;
        }
        block.extend(lines);
        lines = block;
    }
    if ui.view.recent.is_empty() {
        lines.push(Line::styled(ui.t(T::NoEvents), theme.dim()));
    }
    let title = Span::styled(format!(" {} ", ui.t(T::Events)), theme.title());
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title)), area);
}
