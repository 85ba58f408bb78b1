//! Interview cards: the classic questions with the answer the lab has shown.
//!
//! The cards come from the core's lesson data; until it ships them the overlay says there are
//! none rather than inventing any here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::app::Ui;
use crate::i18n::T;

pub fn render(ui: &Ui, scroll: u16, frame: &mut Frame, area: Rect) {
    let lines = vec![Line::styled(ui.t(T::NoCards), ui.theme.dim())];
    let title = format!(" {} ", ui.t(T::Cards));
    crate::widgets::overlay_text(ui, title, lines, scroll, frame, area);
}
