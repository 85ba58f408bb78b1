//! The ledger: the totals, then every message with its queue, send status, fate, and then its
//! cause or where its copies are (on which node). The selected message is highlighted and kept
//! in sight; with no selection the newest are shown.

use mqlab_core::view::{Fate, MessageView, Totals};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::Ui;
use crate::i18n::{self, T};
use crate::keymap::{self, Action, Scope};
use crate::widgets::stages::token_text;

pub fn render(ui: &Ui, frame: &mut Frame, area: Rect) {
    let theme = ui.theme;
    let view = &ui.view;
    let mut lines = totals(ui, &view.totals, area.width.saturating_sub(2));
    // The latest alarm (outbox gave up, gap detected, dead-lettered) stays in sight.
    if let Some(alert) = view.alerts.last() {
        let more = view.alerts.len() - 1;
        let text = if more > 0 { format!("⚑ {alert} (+{more})") } else { format!("⚑ {alert}") };
        lines.push(Line::styled(text, theme.key()));
    }
    let room = usize::from(area.height.saturating_sub(2)).saturating_sub(lines.len());
    if view.messages.is_empty() {
        let send = keymap::key_for(Scope::Main, Action::Send).unwrap_or_default();
        lines.push(Line::styled(format!("{} {send}", ui.t(T::NoMessages)), theme.dim()));
    }
    let status_width =
        view.messages.iter().map(|m| m.status.map_or(1, |s| s.name().len())).max().unwrap_or(1);
    let fate_width =
        view.messages.iter().map(|m| Span::raw(ui.t(i18n::fate(m.fate))).width()).max().unwrap_or(1);
    // The sequence number is the first thing to go on a narrow screen, then the queue: the
    // cause matters more.
    let show_seq = area.width >= 60;
    let show_queue = area.width >= 44 || view.topology.queues.len() > 1;
    let token_width =
        view.messages.iter().map(|m| Span::raw(token_text(m)).width()).max().unwrap_or(0).max(5);
    let widths = Widths {
        token: token_width,
        status: status_width,
        fate: fate_width,
        seq: show_seq,
        queue: show_queue,
    };
    let selected = ui.selected.and_then(|id| view.messages.iter().position(|m| m.id == id));
    let count = view.messages.len();
    let inner = usize::from(area.width.saturating_sub(2));
    // Keep the selection in the middle of the window when it can be; else show the newest.
    let start = match selected {
        Some(i) => i.saturating_sub(room / 2).min(count.saturating_sub(room)),
        None => count.saturating_sub(room),
    };
    let mut rows: Vec<Line> = Vec::new();
    for (i, m) in view.messages.iter().enumerate().skip(start) {
        let block = row(ui, m, widths, selected == Some(i), inner);
        if rows.len() + block.len() > room {
            // Rows of two lines can push the selection out: drop from the top instead.
            if selected.is_some_and(|s| s >= i) {
                rows.drain(..block.len().min(rows.len()));
            } else {
                break;
            }
        }
        rows.extend(block);
    }
    lines.extend(rows);
    let title = Span::styled(format!(" {} ", ui.t(T::Ledger)), theme.title());
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title)), area);
}

/// The totals as `name n` pairs, wrapped to the width; lost and duplicated stand out when not 0.
fn totals(ui: &Ui, t: &Totals, width: u16) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let pairs = [
        (T::Sent, t.sent, Style::new()),
        (T::Acked, t.acked, Style::new()),
        (T::Processed, t.processed, Style::new()),
        (T::Duplicated, t.duplicated, if t.duplicated > 0 { theme.bad() } else { Style::new() }),
        (T::Lost, t.lost, if t.lost > 0 { theme.bad() } else { Style::new() }),
        (T::Failed, t.failed, Style::new()),
        (T::DeadLettered, t.dead_lettered, Style::new()),
        (T::Pending, t.pending, Style::new()),
    ];
    let mut lines = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0;
    for (name, n, style) in pairs {
        let text = format!("{} {n}", ui.t(name));
        let w = Span::raw(text.as_str()).width() + 2;
        if used + w > usize::from(width) && !spans.is_empty() {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        spans.push(Span::styled(text, style.add_modifier(ratatui::style::Modifier::BOLD)));
        spans.push(Span::raw("  "));
        used += w;
    }
    lines.push(Line::from(spans));
    lines
}

#[derive(Debug, Clone, Copy)]
struct Widths {
    token: usize,
    status: usize,
    fate: usize,
    seq: bool,
    queue: bool,
}

/// One message: a line, or two when its cause does not fit beside it.
fn row(ui: &Ui, m: &MessageView, widths: Widths, selected: bool, inner: usize) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let status = m.status.map_or("—", |s| s.name());
    let mut spans = vec![
        Span::raw(if selected { "▶" } else { " " }),
        Span::styled(pad(&token_text(m), widths.token + 1), theme.token(m.token)),
    ];
    if widths.queue {
        spans.push(Span::styled(format!("q{:<2} ", m.queue), theme.dim()));
    }
    if widths.seq {
        spans.push(Span::styled(format!("#{:<3} ", m.seq), theme.dim()));
    }
    spans.extend([
        Span::raw(format!("{status:<0$} ", widths.status)),
        Span::styled(
            pad(ui.t(i18n::fate(m.fate)), widths.fate),
            match m.fate {
                Fate::Lost | Fate::Duplicated => theme.bad(),
                Fate::Processed => theme.good(),
                _ => Style::new(),
            },
        ),
    ]);
    let mut tail = Vec::new();
    if let Some(cause) = m.cause {
        tail.push(Span::styled(format!(" {}", cause.name()), theme.bad()));
    }
    if m.detected {
        tail.push(Span::styled(format!(" ⚑ {}", ui.t(T::Detected)), theme.key()));
    }
    let head_width = Line::from(spans.clone()).width();
    // Where its copies are, when nothing more urgent is said: on the line if it fits (cut
    // short otherwise), on a line of its own for the selected message.
    if tail.is_empty() && !m.places.is_empty() {
        let places = where_text(ui, m);
        let room = inner.saturating_sub(head_width + 1);
        if selected && Span::raw(places.as_str()).width() > room {
            tail.push(Span::styled(format!(" {places}"), theme.dim()));
        } else if room >= 8 {
            spans.push(Span::styled(format!(" {}", cut(&places, room)), theme.dim()));
        }
    }
    let head_width = Line::from(spans.clone()).width();
    let tail_width = Line::from(tail.clone()).width();
    let mut lines = if head_width + tail_width <= inner || tail.is_empty() {
        spans.extend(tail);
        vec![Line::from(spans)]
    } else {
        let mut second = vec![Span::styled("    ↳", theme.dim())];
        second.extend(tail);
        vec![Line::from(spans), Line::from(second)]
    };
    if selected {
        for line in &mut lines {
            *line = std::mem::take(line).style(theme.selected());
        }
    }
    lines
}

/// Every place a copy of the message is, naming the node: "replica disk, consumer2, processing".
fn where_text(ui: &Ui, m: &MessageView) -> String {
    let separator = if ui.lang == mqlab_core::lesson::Lang::Zh { "；" } else { "; " };
    m.places.iter().map(|p| p.describe(ui.lang)).collect::<Vec<_>>().join(separator)
}

/// The text cut to `width` display columns, ending in `…` when it was cut.
fn cut(text: &str, width: usize) -> String {
    if Span::raw(text).width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = Span::raw(c.encode_utf8(&mut [0; 4]).to_owned()).width();
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// The text followed by spaces to `width` display columns (a Chinese character takes two).
fn pad(text: &str, width: usize) -> String {
    let used = Span::raw(text).width();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}
