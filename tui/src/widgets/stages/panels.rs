//! The lines inside each stage, built from the view's topology: the producers, the brokers (one
//! section each, then the topic's queues), the consumers.
//!
//! A stage with one node of its kind keeps the roomy layout (a row per place); with several,
//! each node gets one row: its name, its state when not up, and its tokens.

use mqlab_core::ids::Node;
use mqlab_core::view::{Fate, MessageView, NodeNote, NodeView, Place, QueueView, View};
use ratatui::text::{Line, Span};

use super::{fitting_note, node_name, node_state, setting, token_row, tokens};
use crate::app::Ui;
use crate::i18n::T;

/// The settings each stage lists first.
const PRODUCER_SETTINGS: [&str; 4] =
    ["producer.send", "producer.retries", "producer.require_send_ok", "producer.outbox"];
const CONSUMER_SETTINGS: [&str; 4] =
    ["consumer.commit", "consumer.mode", "consumer.idempotent", "consumer.check_seq"];

/// The messages with a copy at `place`.
fn at(view: &View, place: Place) -> Vec<&MessageView> {
    view.messages.iter().filter(|m| m.places.contains(&place)).collect()
}

/// The messages with a copy at any place `wanted` accepts (each message once).
fn at_any(view: &View, wanted: impl Fn(&Place) -> bool) -> Vec<&MessageView> {
    view.messages.iter().filter(|m| m.places.iter().any(&wanted)).collect()
}

/// The widest of a panel's row labels, so its token columns line up.
fn label_width(labels: &[&str]) -> usize {
    labels.iter().map(|t| Span::raw(*t).width()).max().unwrap_or(0)
}

/// A node's name padded to `width`, in its state's colour, and the state when it is not up:
/// the head of its row in a stage that holds several nodes.
fn node_head(ui: &Ui, node: &NodeView, width: usize) -> Vec<Span<'static>> {
    let name = node_name(ui.lang, node.node);
    let pad = " ".repeat(width.saturating_sub(Span::raw(name).width()));
    let (style, state) = if !node.up {
        (ui.theme.down(), Some(ui.t(T::Down)))
    } else if node.partitioned {
        (ui.theme.down(), Some(ui.t(T::CutOff)))
    } else {
        (ui.theme.title(), None)
    };
    let mut spans = vec![Span::styled(format!("{name}{pad} "), style)];
    if let Some(state) = state {
        spans.push(Span::styled(format!("{state} "), ui.theme.down()));
    }
    spans
}

fn names_width(ui: &Ui, nodes: &[Node]) -> usize {
    nodes.iter().map(|n| Span::raw(node_name(ui.lang, *n)).width()).max().unwrap_or(0)
}

/// Lines the producer stage takes.
pub fn producer_rows(view: &View) -> usize {
    PRODUCER_SETTINGS.len()
        + match view.topology.producers.len() {
            1 => 3,
            n => 1 + n,
        }
}

pub fn producer_lines(ui: &Ui, width: u16) -> Vec<Line<'static>> {
    let view = &ui.view;
    let mut lines: Vec<Line> = PRODUCER_SETTINGS.iter().map(|key| setting(ui, key)).collect();
    lines.push(Line::raw(""));
    match view.topology.producers.as_slice() {
        [one] => {
            let w = label_width(&[ui.t(T::Memory), ui.t(T::Outbox)]);
            lines.push(tokens(ui, ui.t(T::Memory), w, &at(view, Place::ProducerMemory(*one)), width));
            lines.push(tokens(ui, ui.t(T::Outbox), w, &at(view, Place::Outbox(*one)), width));
        }
        producers => {
            let w = names_width(ui, producers);
            for &p in producers {
                let held =
                    at_any(view, |place| *place == Place::ProducerMemory(p) || *place == Place::Outbox(p));
                lines.push(token_row(ui, node_head(ui, view.node(p), w), &held, width));
            }
        }
    }
    lines
}

/// The settings listed in a broker's section: the master's flush under the first broker, the
/// replication mode and the slave's flush under the second, the slave's flush under the rest.
fn broker_settings(node: Node) -> &'static [&'static str] {
    match node.index() {
        0 => &["broker.flush"],
        1 => &["broker.replication", "replica.flush"],
        _ => &["replica.flush"],
    }
}

/// Lines one broker's section takes: its head, its settings, page cache and disk.
fn section_rows(node: Node) -> usize {
    3 + broker_settings(node).len()
}

/// Lines the broker stage takes in a panel `width` wide: every section, then the queues (a
/// topic with one queue adds a line only when asked to, `single_queue`).
pub fn broker_rows(ui: &Ui, width: u16, single_queue: bool) -> usize {
    let sections: usize = ui.view.topology.brokers.iter().map(|b| section_rows(*b)).sum();
    let queues = &ui.view.topology.queues;
    if queues.len() > 1 || single_queue {
        sections + queue_lines(ui, queues, width, usize::MAX).len()
    } else {
        sections
    }
}

/// The broker stage: its lines and the row of each broker's head line (where links end).
pub struct BrokerPanel {
    pub lines: Vec<Line<'static>>,
    pub heads: Vec<(Node, usize)>,
}

/// The broker stage in a panel `width` wide and `height` rows tall (borders included): each
/// broker's section in topology order, then as many queue lines as the rest of the panel holds.
pub fn broker_lines(ui: &Ui, width: u16, height: u16) -> BrokerPanel {
    let view = &ui.view;
    let w = label_width(&[ui.t(T::PageCache), ui.t(T::Disk)]);
    let mut lines = Vec::new();
    let mut heads = Vec::new();
    for &b in &view.topology.brokers {
        heads.push((b, lines.len()));
        lines.push(broker_head(ui, view.node(b), width));
        lines.extend(broker_settings(b).iter().map(|key| setting(ui, key)));
        lines.push(tokens(ui, ui.t(T::PageCache), w, &at(view, Place::PageCache(b)), width));
        lines.push(tokens(ui, ui.t(T::Disk), w, &at(view, Place::Disk(b)), width));
    }
    let room = usize::from(height.saturating_sub(2)).saturating_sub(lines.len());
    lines.extend(queue_lines(ui, &view.topology.queues, width, room));
    BrokerPanel { lines, heads }
}

/// The broker that is master now (the promoted one after a failover), if any.
pub fn master(view: &View) -> Option<Node> {
    let brokers = &view.topology.brokers;
    brokers.iter().copied().find(|b| view.node(*b).role.starts_with("master")).or(brokers.first().copied())
}

/// The role as the lab says it.
fn role(ui: &Ui, role: &str) -> &'static str {
    match role {
        "master" => ui.t(T::RoleMaster),
        "slave" => ui.t(T::RoleSlave),
        "master (promoted)" => ui.t(T::RolePromoted),
        "retired" => ui.t(T::RoleRetired),
        _ => "",
    }
}

/// A log's positions in bytes: written (page cache), flushed (disk), and on the master how far
/// the slave has acknowledged.
fn positions(node: &NodeView) -> String {
    let Some(log) = node.log else { return String::new() };
    match node.replicated_pos {
        Some(r) => format!("w{} f{} r{r}", log.written_pos, log.flushed_pos),
        None => format!("w{} f{}", log.written_pos, log.flushed_pos),
    }
}

/// A broker's head line: name, role, state, log positions, the envelopes on its replication
/// link, and its note when that fits whole. When all of it does not fit, the role goes first
/// (the link arrows and the other broker's role still say who is master), unless it is the
/// news: retired or promoted.
fn broker_head(ui: &Ui, node: &NodeView, width: u16) -> Line<'static> {
    let theme = ui.theme;
    let room = usize::from(width.saturating_sub(2));
    let name_style = if node.up && !node.partitioned { theme.title() } else { theme.down() };
    let role = role(ui, &node.role);
    let build = |with_role: bool, with_positions: bool| {
        let mut spans = vec![Span::styled(format!("{} ", node_name(ui.lang, node.node)), name_style)];
        if with_role && !role.is_empty() {
            spans.push(Span::styled(format!("{role} "), theme.title()));
        }
        if !node.up || node.partitioned {
            spans.push(node_state(ui, node));
        }
        if with_positions {
            spans.push(Span::styled(positions(node), theme.dim()));
        }
        spans
    };
    let usual = matches!(node.role.as_str(), "master" | "slave");
    let fits = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>() <= room;
    let mut spans = build(true, true);
    if !fits(&spans) {
        spans = if usual { build(false, true) } else { build(true, false) };
    }
    // The envelopes of its replication link travel on the slave's line.
    for envelope in ui.view.in_flight.iter().filter(|e| {
        (e.to == node.node && e.from.has_log() && e.kind == mqlab_core::view::EnvelopeKind::Replicate)
            || (e.from == node.node && e.to.has_log() && e.kind == mqlab_core::view::EnvelopeKind::ReplicaAck)
    }) {
        spans.push(Span::raw(" "));
        spans.push(super::envelope_span(ui, envelope, envelope.to == node.node));
    }
    // A slave's note when it fits whole (the master's is on the border; down and retired are
    // said already).
    let said = matches!(node.note, NodeNote::Down | NodeNote::Retired);
    let used: usize = spans.iter().map(Span::width).sum();
    if !said
        && master(&ui.view) != Some(node.node)
        && let Some(note) = fitting_note(ui, &node.note, room.saturating_sub(used))
    {
        spans.push(Span::styled(format!(" {note}"), theme.dim()));
    }
    Line::from(spans)
}

/// The queues, as many to a line as fit and at most `max_lines` lines (the last entry then
/// `+N`): `q3 12/10` (stored / committed), with the owning consumer when the panel is wide.
fn queue_lines(ui: &Ui, queues: &[QueueView], width: u16, max_lines: usize) -> Vec<Line<'static>> {
    if max_lines == 0 || queues.is_empty() {
        return Vec::new();
    }
    let room = usize::from(width.saturating_sub(2));
    let wide = room >= 34;
    let entry = |q: &QueueView| {
        let mut text = format!("q{} {}/{}", q.id, q.stored, q.committed);
        if wide {
            let owner = q.owner.map_or("—", |o| node_name(ui.lang, o));
            text.push_str(&format!("→{owner}"));
        }
        text
    };
    let label = format!("{} ", ui.t(T::Queues));
    let mut lines = Vec::new();
    let mut spans = vec![Span::styled(label.clone(), ui.theme.dim())];
    let mut used = Span::raw(label.as_str()).width();
    for (i, q) in queues.iter().enumerate() {
        let text = entry(q);
        let w = Span::raw(text.as_str()).width() + 1;
        let last_line = lines.len() + 1 == max_lines;
        let rest = queues.len() - i;
        let reserve = if last_line && rest > 1 { format!("+{rest}").len() } else { 0 };
        if used + w + reserve > room && used > 0 {
            if last_line {
                spans.push(Span::styled(format!("+{rest}"), ui.theme.dim()));
                lines.push(Line::from(std::mem::take(&mut spans)));
                return lines;
            }
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        spans.push(Span::styled(text, ui.theme.value()));
        spans.push(Span::raw(" "));
        used += w;
    }
    lines.push(Line::from(spans));
    lines
}

/// Lines the consumer stage takes.
pub fn consumer_rows(view: &View) -> usize {
    CONSUMER_SETTINGS.len()
        + match view.topology.consumers.len() {
            1 => 2,
            n => n,
        }
        + 3
}

pub fn consumer_lines(ui: &Ui, width: u16) -> Vec<Line<'static>> {
    let view = &ui.view;
    let mut lines: Vec<Line> = CONSUMER_SETTINGS.iter().map(|key| setting(ui, key)).collect();
    let w = label_width(&[ui.t(T::Processing), ui.t(T::Processed), ui.t(T::LostRow)]);
    match view.topology.consumers.as_slice() {
        [one] => {
            let consumer = view.node(*one);
            let offset = match (consumer.committed_offset, consumer.persisted_offset) {
                (Some(c), Some(p)) => format!("{} {c} ({} {p})", ui.t(T::Offset), ui.t(T::Disk)),
                (Some(c), None) => format!("{} {c}", ui.t(T::Offset)),
                _ => String::new(),
            };
            lines.push(Line::styled(offset, ui.theme.dim()));
            let processing = at(view, Place::ConsumerProcessing(*one));
            lines.push(tokens(ui, ui.t(T::Processing), w, &processing, width));
        }
        consumers => {
            let names = names_width(ui, consumers);
            for &c in consumers {
                let mut head = node_head(ui, view.node(c), names);
                let owned: Vec<String> = view
                    .topology
                    .queues
                    .iter()
                    .filter(|q| q.owner == Some(c))
                    .map(|q| q.id.to_string())
                    .collect();
                if !owned.is_empty() {
                    head.push(Span::styled(format!("q{} ", owned.join(",")), ui.theme.value()));
                }
                let processing = at(view, Place::ConsumerProcessing(c));
                lines.push(token_row(ui, head, &processing, width));
            }
        }
    }
    let processed: Vec<&MessageView> =
        view.messages.iter().filter(|m| matches!(m.fate, Fate::Processed | Fate::Duplicated)).collect();
    let lost: Vec<&MessageView> = view.messages.iter().filter(|m| m.fate == Fate::Lost).collect();
    lines.push(tokens(ui, ui.t(T::Processed), w, &processed, width));
    lines.push(tokens(ui, ui.t(T::LostRow), w, &lost, width));
    // The retry ladder and the dead-letter queue of every broker: where the group's messages
    // wait to come back.
    let retry = at_any(view, |p| matches!(p, Place::RetryQueue(_)));
    let dlq = at_any(view, |p| matches!(p, Place::DeadLetterQueue(_)));
    let mut queues = tokens(ui, ui.t(T::Retry), w, &retry, width / 2);
    queues.spans.extend(tokens(ui, ui.t(T::DeadLetters), 0, &dlq, width - width / 2).spans);
    lines.push(queues);
    lines
}
