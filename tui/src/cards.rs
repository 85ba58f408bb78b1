//! Interview cards: the classic question with the answer template stage by stage, then the
//! follow-up questions, each naming the lessons that show the answer happening. The cards are
//! the core's lesson data (`lessons/cards.toml`), in the lab's language.

use mqlab_core::lesson::{self, CardKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::app::Ui;
use crate::i18n::T;

pub fn render(ui: &Ui, scroll: u16, frame: &mut Frame, area: Rect) {
    let cards = lesson::cards();
    let mut lines = Vec::new();
    if cards.is_empty() {
        lines.push(Line::styled(ui.t(T::NoCards), ui.theme.dim()));
    }
    for (i, card) in cards.iter().enumerate() {
        let mark = match card.kind {
            CardKind::Template => "★",
            CardKind::FollowUp => "→",
        };
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(format!("{mark} {}", card.question.get(ui.lang)), ui.theme.title()));
        lines.extend(card.answer.get(ui.lang).trim_end().lines().map(|l| Line::raw(format!("  {l}"))));
        if !card.lessons.is_empty() {
            lines.push(Line::styled(format!("  ▸ {}", card.lessons.join(", ")), ui.theme.dim()));
        }
    }
    let title = format!(" {} ", ui.t(T::Cards));
    crate::widgets::overlay_text(ui, title, lines, scroll, frame, area);
}
