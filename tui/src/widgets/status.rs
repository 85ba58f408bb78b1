//! The two bottom rows: the message line (the command line while typing, else the last result
//! or refusal) and the status line (virtual time, step, play state, and the key hints of the
//! active scopes, generated from the keymap). Also the colour legend.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{SPEEDS, Ui};
use crate::i18n::T;
use crate::keymap;
use crate::widgets::theme::{TOKEN_STATES, token_name};

pub fn message_line(ui: &Ui, frame: &mut Frame, area: Rect) {
    let theme = ui.theme;
    let line = if ui.command.active {
        Line::from(vec![Span::styled(":", theme.key()), Span::raw(ui.command.input.clone()), Span::raw("▏")])
    } else {
        match &ui.status {
            Some(status) if status.error => Line::styled(format!("✗ {}", status.text), theme.error()),
            Some(status) => Line::raw(status.text.clone()),
            None => Line::styled(ui.t(T::Title), theme.dim()),
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

pub fn status_line(ui: &Ui, frame: &mut Frame, area: Rect) {
    let theme = ui.theme;
    let view = &ui.view;
    let play = if view.idle {
        format!("■ {}", ui.t(T::Idle))
    } else if ui.playing {
        format!("▶ ×{}", SPEEDS[ui.speed])
    } else {
        format!("⏸ ×{}", SPEEDS[ui.speed])
    };
    let head = format!(" {}ms · {} {} · {play} ", view.virtual_ms, ui.t(T::Step), view.step);
    let mut used = Span::raw(head.as_str()).width();
    let mut spans = vec![Span::styled(head, theme.selected())];
    for (key, label) in keymap::hints(&ui.scopes()) {
        let label = label.get(ui.lang);
        let w = Span::raw(format!("  {key} {label}").as_str()).width();
        if used + w > usize::from(area.width) {
            break;
        }
        used += w;
        spans.push(Span::raw("  "));
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// One row: each token state in its colour.
pub fn legend(ui: &Ui, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::raw(" ")];
    for state in TOKEN_STATES {
        spans.push(Span::styled(token_name(state, ui.lang), ui.theme.token(state)));
        spans.push(Span::raw("  "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
