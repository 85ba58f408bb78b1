//! A message's journey: who it is, where its copies are now, why it ended as it did (the core's
//! explanation, in the lab's language), and every event that touched it, with step and virtual time.

use mqlab_core::view::Journey;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::Ui;
use crate::i18n::T;
use crate::keymap::{self, Action, Scope};
use crate::widgets::stages::token_text;
use crate::widgets::wrap_line;

/// The journey as lines for a box `width` columns wide (also what the tests read).
pub fn lines(ui: &Ui, journey: &Journey, width: u16) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let m = &journey.message;
    let mut lines = Vec::new();
    let field = |name: T, value: String| {
        vec![
            Span::styled(format!("{}: ", ui.t(name)), theme.dim()),
            Span::styled(value, theme.value()),
            Span::raw("   "),
        ]
    };
    let mut head = vec![
        Span::styled(format!("{} ", token_text(m)), theme.token(m.token)),
        Span::styled(format!("{} #{} q{}   ", m.producer, m.seq, m.queue), theme.dim()),
    ];
    head.extend(field(T::Fate, ui.t(crate::i18n::fate(m.fate)).to_owned()));
    if let Some(cause) = m.cause {
        head.push(Span::styled(format!("{}: ", ui.t(T::Cause)), theme.dim()));
        head.push(Span::styled(cause.name().to_owned(), theme.bad()));
    }
    lines.push(Line::from(head));
    let mut facts = field(T::Status, m.status.map_or("—".to_owned(), |s| s.name().to_owned()));
    facts.extend(field(T::Attempts, m.attempts.to_string()));
    facts.extend(field(T::Deliveries, m.deliveries.to_string()));
    facts.extend(field(T::Effects, m.effects.to_string()));
    if m.detected {
        facts.push(Span::styled(format!("⚑ {}", ui.t(T::Detected)), theme.key()));
    }
    lines.push(Line::from(facts));
    let copies = if m.places.is_empty() {
        ui.t(T::Nowhere).to_owned()
    } else {
        m.places.iter().map(|p| p.describe(ui.lang)).collect::<Vec<_>>().join("; ")
    };
    lines.push(Line::from(field(T::Copies, copies)));
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(format!("{}: ", ui.t(T::Why)), theme.title()),
        Span::raw(journey.message.explain(ui.lang)),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::styled(ui.t(T::Events).to_owned(), theme.title()));
    let inner = usize::from(width.saturating_sub(2));
    for event in &journey.events {
        let head = format!("{:>4} {:>6}ms  ", event.step, event.at_ms);
        let indent = head.len();
        let line =
            Line::from(vec![Span::styled(head, theme.dim()), Span::raw(event.text_in(ui.lang).to_owned())]);
        lines.extend(wrap_line(&line, inner, indent));
    }
    lines
}

pub fn render(ui: &Ui, journey: &Journey, scroll: u16, frame: &mut Frame, area: Rect) {
    let close = keymap::key_for(Scope::Overlay, Action::Close).unwrap_or_default();
    let other = keymap::key_for(Scope::Journey, Action::ScrollUp).unwrap_or_default();
    let title = format!(
        " {} {} — {other}: {} · {close} ",
        ui.t(T::Journey),
        journey.message.id,
        ui.t(T::KeyOtherMessage)
    );
    crate::widgets::overlay_text(ui, title, lines(ui, journey, area.width), scroll, frame, area);
}
