//! The three stages side by side — Producer | Broker (page cache, disk, replica) | Consumer — each
//! with its settings (and the key that toggles each) and the message tokens in it, and between
//! them the links with the envelopes in flight.

use mqlab_core::ids::Node;
use mqlab_core::view::{EnvelopeView, Fate, MessageView, NodeNote, NodeView, Place, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::Ui;
use crate::i18n::T;
use crate::keymap;

/// Width of a link column between two stages.
const LINK_WIDTH: u16 = 6;

pub fn render(ui: &Ui, frame: &mut Frame, area: Rect) {
    let [producer, link1, broker, link2, consumer] = Layout::horizontal([
        Constraint::Fill(5),
        Constraint::Length(LINK_WIDTH),
        Constraint::Fill(7),
        Constraint::Length(LINK_WIDTH),
        Constraint::Fill(6),
    ])
    .areas(area);
    let view = &ui.view;
    stage(ui, T::Producer, view.node(Node::PRODUCER), producer_lines(ui, producer.width), frame, producer);
    stage(ui, T::Broker, view.node(Node::BROKER), broker_lines(ui, broker.width), frame, broker);
    stage(ui, T::Consumer, view.node(Node::CONSUMER), consumer_lines(ui, consumer.width), frame, consumer);
    link(ui, Node::PRODUCER, Node::BROKER, frame, link1);
    link(ui, Node::BROKER, Node::CONSUMER, frame, link2);
}

fn stage(ui: &Ui, title: T, node: &NodeView, lines: Vec<Line<'static>>, frame: &mut Frame, area: Rect) {
    let theme = ui.theme;
    let mut spans = vec![Span::styled(format!(" {} ", ui.t(title)), theme.title())];
    spans.push(node_state(ui, node));
    let mut block = Block::bordered().title(Line::from(spans));
    // What the node is doing, or why it is down, on the bottom border: the short form when the
    // long one does not fit between the corners (the closing space may fall on the corner).
    let room = usize::from(area.width.saturating_sub(2));
    let note = fitting_note(ui, &node.note, room).unwrap_or_else(|| node.note.short_text(ui.lang));
    if !note.is_empty() {
        block = block.title_bottom(Span::styled(format!(" {note} "), theme.dim()));
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

fn node_state(ui: &Ui, node: &NodeView) -> Span<'static> {
    if !node.up {
        Span::styled(format!("{} ", ui.t(T::Down)), ui.theme.down())
    } else if node.partitioned {
        Span::styled(format!("{} ", ui.t(T::Partitioned)), ui.theme.down())
    } else {
        Span::styled(format!("{} ", ui.t(T::Up)), ui.theme.good())
    }
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

/// The label padded to `label_width` columns, then as many tokens as fit, then `+N` for the rest.
fn tokens(ui: &Ui, label: &str, label_width: usize, messages: &[&MessageView], width: u16) -> Line<'static> {
    let pad = label_width.saturating_sub(Span::raw(label).width());
    let label = format!("{label}{} ", " ".repeat(pad));
    let mut used = Span::raw(label.as_str()).width();
    let room = usize::from(width.saturating_sub(2));
    let mut spans = vec![Span::styled(label.clone(), ui.theme.dim())];
    for (i, m) in messages.iter().enumerate() {
        let text = token_text(m);
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

fn at(view: &View, place: Place) -> Vec<&MessageView> {
    view.messages.iter().filter(|m| m.places.contains(&place)).collect()
}

fn producer_lines(ui: &Ui, width: u16) -> Vec<Line<'static>> {
    let view = &ui.view;
    let w = label_width(ui, &[T::Memory, T::Outbox]);
    vec![
        setting(ui, "producer.send"),
        setting(ui, "producer.retries"),
        setting(ui, "producer.require_send_ok"),
        setting(ui, "producer.outbox"),
        Line::raw(""),
        tokens(ui, ui.t(T::Memory), w, &at(view, Place::ProducerMemory(Node::PRODUCER)), width),
        tokens(ui, ui.t(T::Outbox), w, &at(view, Place::Outbox(Node::PRODUCER)), width),
    ]
}

/// The widest of a panel's row labels, so its token columns line up.
fn label_width(ui: &Ui, labels: &[T]) -> usize {
    labels.iter().map(|t| Span::raw(ui.t(*t)).width()).max().unwrap_or(0)
}

/// A log's positions in bytes: written (page cache), flushed (disk), and on the master how far
/// the replica has acknowledged.
fn positions(node: &NodeView) -> String {
    let Some(log) = node.log else { return String::new() };
    match node.replicated_pos {
        Some(r) => format!("w{} f{} r{r}", log.written_pos, log.flushed_pos),
        None => format!("w{} f{}", log.written_pos, log.flushed_pos),
    }
}

fn broker_lines(ui: &Ui, width: u16) -> Vec<Line<'static>> {
    let view = &ui.view;
    let broker = view.node(Node::BROKER);
    let replica = view.node(Node::REPLICA);
    let theme = ui.theme;
    let w = label_width(ui, &[T::PageCache, T::Disk]);
    let mut replica_head = vec![
        Span::styled(format!("{} ", ui.t(T::Replica)), theme.title()),
        node_state(ui, replica),
        Span::styled(positions(replica), theme.dim()),
    ];
    for envelope in view.in_flight.iter().filter(|e| e.to == Node::REPLICA || e.from == Node::REPLICA) {
        replica_head.push(Span::raw(" "));
        replica_head.push(envelope_span(ui, envelope, envelope.to == Node::REPLICA));
    }
    // The note only when one of its forms fits whole: the state and positions already say the
    // essentials.
    let used: usize = replica_head.iter().map(Span::width).sum();
    let room = usize::from(width.saturating_sub(2)).saturating_sub(used);
    if let Some(note) = fitting_note(ui, &replica.note, room) {
        replica_head.push(Span::styled(format!(" {note}"), theme.dim()));
    }
    vec![
        Line::from(vec![
            Span::styled(format!("{} ", broker.role), theme.title()),
            Span::styled(positions(broker), theme.dim()),
        ]),
        setting(ui, "broker.flush"),
        tokens(ui, ui.t(T::PageCache), w, &at(view, Place::PageCache(Node::BROKER)), width),
        tokens(ui, ui.t(T::Disk), w, &at(view, Place::Disk(Node::BROKER)), width),
        Line::from(replica_head),
        setting(ui, "broker.replication"),
        setting(ui, "replica.flush"),
        tokens(ui, ui.t(T::PageCache), w, &at(view, Place::PageCache(Node::REPLICA)), width),
        tokens(ui, ui.t(T::Disk), w, &at(view, Place::Disk(Node::REPLICA)), width),
    ]
}

fn consumer_lines(ui: &Ui, width: u16) -> Vec<Line<'static>> {
    let view = &ui.view;
    let consumer = view.node(Node::CONSUMER);
    let offset = match (consumer.committed_offset, consumer.persisted_offset) {
        (Some(c), Some(p)) => format!("{} {c} ({} {p})", ui.t(T::Offset), ui.t(T::Disk)),
        (Some(c), None) => format!("{} {c}", ui.t(T::Offset)),
        _ => String::new(),
    };
    let processed: Vec<&MessageView> =
        view.messages.iter().filter(|m| matches!(m.fate, Fate::Processed | Fate::Duplicated)).collect();
    let lost: Vec<&MessageView> = view.messages.iter().filter(|m| m.fate == Fate::Lost).collect();
    let w = label_width(ui, &[T::Processing, T::Processed, T::LostRow]);
    let retry = at(view, Place::RetryQueue(Node::BROKER));
    let dlq = at(view, Place::DeadLetterQueue(Node::BROKER));
    let mut queues = tokens(ui, ui.t(T::Retry), w, &retry, width / 2);
    queues.spans.extend(tokens(ui, ui.t(T::DeadLetters), 0, &dlq, width - width / 2).spans);
    vec![
        setting(ui, "consumer.commit"),
        setting(ui, "consumer.mode"),
        setting(ui, "consumer.idempotent"),
        setting(ui, "consumer.check_seq"),
        Line::styled(offset, ui.theme.dim()),
        tokens(ui, ui.t(T::Processing), w, &at(view, Place::ConsumerProcessing(Node::CONSUMER)), width),
        tokens(ui, ui.t(T::Processed), w, &processed, width),
        tokens(ui, ui.t(T::LostRow), w, &lost, width),
        queues,
    ]
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
    let style =
        if envelope.doomed { ui.theme.bad() } else { ui.theme.token(mqlab_core::view::TokenState::InFlight) };
    Span::styled(text, style)
}

/// The link between two stages: one envelope per line, `+N` when they do not all fit.
fn link(ui: &Ui, left: Node, right: Node, frame: &mut Frame, area: Rect) {
    let envelopes: Vec<Line> = ui
        .view
        .in_flight
        .iter()
        .filter(|e| (e.from == left && e.to == right) || (e.from == right && e.to == left))
        .map(|e| Line::from(envelope_span(ui, e, e.from == left)).centered())
        .collect();
    // The first row lines up with the stages' top border.
    let room = usize::from(area.height.saturating_sub(1));
    let mut lines = vec![Line::raw("")];
    if envelopes.len() > room && room > 0 {
        let shown = room - 1;
        let rest = envelopes.len() - shown;
        lines.extend(envelopes.into_iter().take(shown));
        lines.push(Line::styled(format!("+{rest}"), Style::new()).centered());
    } else {
        lines.extend(envelopes);
    }
    frame.render_widget(Paragraph::new(lines), area);
}
