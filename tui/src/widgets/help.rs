//! The help overlay, generated: every binding of the keymap by scope (toggles show the setting
//! they change and its meaning from the settings registry), the command language from
//! `command::FORMS`, and the colour legend.

use mqlab_core::command::FORMS;
use mqlab_core::settings;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::Ui;
use crate::i18n::T;
use crate::keymap::{Action, KEYMAP, Scope};
use crate::widgets::theme::{TOKEN_STATES, legend_title, token_name};

/// The help text, as lines (also what the tests read).
pub fn lines(ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let mut lines = Vec::new();
    for scope in Scope::ALL {
        lines.push(Line::styled(ui.t(scope.title()).to_owned(), theme.title()));
        for b in KEYMAP.iter().filter(|b| b.scope == scope) {
            let what = match b.action {
                Action::Toggle(key) => {
                    let help = settings::spec(key).map(|s| s.help_in(ui.lang)).unwrap_or_default();
                    format!("{} {key} — {help}", ui.t(T::KeyToggle))
                }
                _ => ui.t(b.label).to_owned(),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<10}", b.keys.label()), theme.key()),
                Span::raw(what),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(ui.t(T::Commands).to_owned(), theme.title()));
    for (form, what) in FORMS {
        lines.push(Line::from(vec![Span::styled(format!("  {form:<44}"), theme.key()), Span::raw(*what)]));
    }
    let keys: Vec<&str> = settings::SETTINGS.iter().map(|s| s.key).collect();
    lines.push(Line::raw(format!("  KEY: {}", keys.join(", "))));
    lines.push(Line::raw(""));
    lines.push(Line::styled(legend_title(ui.lang).to_owned(), theme.title()));
    let mut legend = vec![Span::raw("  ")];
    for state in TOKEN_STATES {
        legend.push(Span::styled(token_name(state, ui.lang), theme.token(state)));
        legend.push(Span::raw("  "));
    }
    lines.push(Line::from(legend));
    lines
}

pub fn render(ui: &Ui, scroll: u16, frame: &mut Frame, area: Rect) {
    let close = crate::keymap::key_for(Scope::Overlay, Action::Close).unwrap_or_default();
    let title = format!(" {} — {close} ", ui.t(T::Help));
    super::overlay_text(ui, title, lines(ui), scroll, frame, area);
}
