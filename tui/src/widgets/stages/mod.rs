//! The three stages side by side — producers | brokers (page cache, disk, queues) | consumers —
//! each with its settings (and the key that toggles each) and the message tokens in it, and
//! between them the links with the envelopes in flight.
//!
//! Everything is drawn from the view's topology: which producers, brokers and consumers the
//! world has ([`panels`]), and which broker each link reaches now ([`links`]). After a failover
//! the produce and consume arrows point at the promoted broker's row, and the old master is
//! drawn as retired.

mod links;
mod panels;

use mqlab_core::ids::Node;
use mqlab_core::lesson::Lang;
use mqlab_core::view::{EnvelopeView, Fate, MessageView, NodeNote, NodeView, TokenState};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::Ui;
use crate::i18n::T;
use crate::keymap;

/// Width of a link column between two stages.
const LINK_WIDTH: u16 = 6;

/// The fewest rows the stages take: borders plus the default world's nine lines.
pub const MIN_HEIGHT: u16 = 11;

/// The five columns: producers, link, brokers, link, consumers.
fn columns(area: Rect) -> [Rect; 5] {
    Layout::horizontal([
        Constraint::Fill(5),
        Constraint::Length(LINK_WIDTH),
        Constraint::Fill(7),
        Constraint::Length(LINK_WIDTH),
        Constraint::Fill(6),
    ])
    .areas(area)
}

/// The rows the stages want in a screen `width` columns wide: their borders and the longest
/// panel's lines (a single queue adds none: the consumer's offset already says it), at least
/// [`MIN_HEIGHT`]. The caller caps it to what the screen can spare.
pub fn height(ui: &Ui, width: u16) -> u16 {
    let [_, _, brokers, _, _] = columns(Rect::new(0, 0, width, 1));
    let lines = [
        panels::producer_rows(&ui.view),
        panels::broker_rows(ui, brokers.width, false),
        panels::consumer_rows(&ui.view),
    ];
    let longest = lines.into_iter().max().unwrap_or(0);
    (u16::try_from(longest).unwrap_or(u16::MAX).saturating_add(2)).max(MIN_HEIGHT)
}

pub fn render(ui: &Ui, frame: &mut Frame, area: Rect) {
    let [producers, link1, brokers, link2, consumers] = columns(area);
    let view = &ui.view;
    let topology = &view.topology;
    let single = |nodes: &[Node]| match nodes {
        [one] => Some(view.node(*one)),
        _ => None,
    };
    let producer_panel = panels::producer_lines(ui, producers.width);
    let producer = single(&topology.producers);
    stage(ui, T::Producer, producer, producer, producer_panel, frame, producers);
    // Each broker's line says its state; the master's note goes on the border.
    let master = panels::master(view);
    let broker_panel = panels::broker_lines(ui, brokers.width, brokers.height);
    let heads = broker_panel.heads.clone();
    stage(ui, T::Broker, None, master.map(|m| view.node(m)), broker_panel.lines, frame, brokers);
    let consumer_panel = panels::consumer_lines(ui, consumers.width);
    let consumer = single(&topology.consumers);
    stage(ui, T::Consumer, consumer, consumer, consumer_panel, frame, consumers);
    links::render(ui, links::Side::Produce, &heads, frame, link1);
    links::render(ui, links::Side::Consume, &heads, frame, link2);
}

/// A bordered stage. The title says the state of `state` (a stage with one node of its kind;
/// with several, each node's row says its own), the bottom border the note of `note`.
fn stage(
    ui: &Ui,
    title: T,
    state: Option<&NodeView>,
    note: Option<&NodeView>,
    lines: Vec<Line<'static>>,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = ui.theme;
    let mut spans = vec![Span::styled(format!(" {} ", ui.t(title)), theme.title())];
    if let Some(node) = state {
        spans.push(node_state(ui, node));
    }
    let mut block = Block::bordered().title(Line::from(spans));
    if let Some(node) = note {
        // What the node is doing, or why it is down, on the bottom border: the short form when
        // the long one does not fit between the corners.
        let room = usize::from(area.width.saturating_sub(2));
        let note = fitting_note(ui, &node.note, room).unwrap_or_else(|| node.note.short_text(ui.lang));
        if !note.is_empty() {
            block = block.title_bottom(Span::styled(format!(" {note} "), theme.dim()));
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The note's long form, else its short one, whichever first fits in `room` columns after a
/// space; `None` when neither does or there is nothing to say.
fn fitting_note(ui: &Ui, note: &NodeNote, room: usize) -> Option<String> {
    [note.text(ui.lang), note.short_text(ui.lang)]
        .into_iter()
        .find(|text| !text.is_empty() && Span::raw(text.as_str()).width() < room)
}

/// `up`, `DOWN` or `partitioned`, coloured, with a trailing space.
fn node_state(ui: &Ui, node: &NodeView) -> Span<'static> {
    if !node.up {
        Span::styled(format!("{} ", ui.t(T::Down)), ui.theme.down())
    } else if node.partitioned {
        Span::styled(format!("{} ", ui.t(T::Partitioned)), ui.theme.down())
    } else {
        Span::styled(format!("{} ", ui.t(T::Up)), ui.theme.good())
    }
}

/// The node's name in the lab's language (`producer2`, `生产者2`).
pub fn node_name(lang: Lang, node: Node) -> &'static str {
    if lang == Lang::Zh { node.name_zh() } else { node.name() }
}

/// `k name value`: a setting with the key that toggles it.
fn setting(ui: &Ui, key: &str) -> Line<'static> {
    let value = ui.view.settings.get(key).unwrap_or_default();
    let short = match key.split_once('.').map_or(key, |(_, rest)| rest) {
        // The one name too long for a panel at 80 columns; help spells it out.
        "require_send_ok" => "require_ok",
        short => short,
    };
    let toggle = keymap::toggle_key(key).unwrap_or_else(|| " ".to_owned());
    Line::from(vec![
        Span::styled(format!("{toggle} "), ui.theme.key()),
        Span::raw(format!("{short:<7} ")),
        Span::styled(value, ui.theme.value()),
    ])
}

/// A panel this wide (inner columns and borders) writes each token with its queue when the
/// topic has more than one: `m3·q1`.
const QUEUE_TOKENS_FROM: u16 = 28;

/// The label padded to `label_width` columns, then as many tokens as fit, then `+N` for the rest.
fn tokens(ui: &Ui, label: &str, label_width: usize, messages: &[&MessageView], width: u16) -> Line<'static> {
    let pad = label_width.saturating_sub(Span::raw(label).width());
    let head = vec![Span::styled(format!("{label}{} ", " ".repeat(pad)), ui.theme.dim())];
    token_row(ui, head, messages, width)
}

/// The spans of `head`, then as many tokens as fit in a panel `width` wide, then `+N`.
fn token_row(ui: &Ui, head: Vec<Span<'static>>, messages: &[&MessageView], width: u16) -> Line<'static> {
    let with_queue = ui.view.topology.queues.len() > 1 && width >= QUEUE_TOKENS_FROM;
    let mut used: usize = head.iter().map(Span::width).sum();
    let room = usize::from(width.saturating_sub(2));
    let mut spans = head;
    for (i, m) in messages.iter().enumerate() {
        let mut text = token_text(m);
        if with_queue {
            text.push_str(&format!("·q{}", m.queue));
        }
        let w = Span::raw(text.as_str()).width() + 1;
        let rest = messages.len() - i;
        let more = format!("+{rest}");
        let reserve = if rest > 1 { more.len() + 1 } else { 0 };
        if used + w + reserve > room {
            spans.push(Span::styled(more, ui.theme.dim()));
            break;
        }
        used += w;
        let mut style = ui.theme.token(m.token);
        if ui.selected == Some(m.id) {
            style = style.patch(ui.theme.selected());
        }
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// How a message token is written: `m3`, `✗m3` when lost, `m3×2` when duplicated.
pub fn token_text(m: &MessageView) -> String {
    match m.fate {
        Fate::Lost => format!("✗{}", m.id),
        Fate::Duplicated => format!("{}×{}", m.id, m.effects),
        _ => m.id.to_string(),
    }
}

/// An envelope as a short label: `m5→` travelling right, `←m4` travelling left, `↯` when it
/// will be dropped. The link and the direction name the kind: rightwards a request, delivery or
/// replication; leftwards a response, commit or replica ack.
fn envelope_span(ui: &Ui, envelope: &EnvelopeView, rightward: bool) -> Span<'static> {
    let first = envelope.messages.first().map(ToString::to_string).unwrap_or_default();
    let more = envelope.messages.len().saturating_sub(1);
    let ids = if more > 0 { format!("{first}+{more}") } else { first };
    let arrow = if envelope.doomed {
        "↯"
    } else if rightward {
        "→"
    } else {
        "←"
    };
    let text = if rightward { format!("{ids}{arrow}") } else { format!("{arrow}{ids}") };
    let style = if envelope.doomed { ui.theme.bad() } else { ui.theme.token(TokenState::InFlight) };
    Span::styled(text, style)
}
