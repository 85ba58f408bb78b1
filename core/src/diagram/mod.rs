//! Sequence diagrams of a trace: one lane per node, one arrow per envelope.
//!
//! This is the picture every distributed-systems tool draws (Stateright, FizzBee, Maelstrom,
//! ShiViz): time runs down the page, each node is a vertical lane, each envelope an arrow from
//! the lane that sent it to the lane it was addressed to, and the crashes, restarts, partitions
//! and promotions sit on the lanes where they happened.
//!
//! [`Diagram`] is the model, built from a slice of [`Event`]s (a session's trace) and the world's
//! [`Topology`]; the two renderers turn it into text ([`text::render_text`], also laid out as
//! styled spans for the terminal lab by [`text::layout`]) and into a Mermaid `sequenceDiagram`
//! ([`mermaid::render_mermaid`]) that GitHub Markdown draws.
//!
//! **Rows.** An arrow is one row, placed where its envelope's journey ended: at the event where
//! it arrived, was dropped by the network, or was lost because its addressee could not take it.
//! An envelope still in flight is drawn at the event that sent it. A life mark (crash, restart,
//! partition, heal, promotion) is one row at the event of its command. So reading down, every
//! row is something that has just happened, in the trace's order: a request dropped by a
//! partition comes after the partition, a delivery lost to a crash after the crash.
//!
//! **Pairing without walking the trace.** Each envelope's `Sent` and its end carry the same
//! envelope id ([`crate::view::Wire::env`]). Building the rows of a window of events takes one
//! pass over the window and two short passes outside it: back to the sends of the envelopes that
//! ended in the window (ids are handed out in send order, so it stops at the first older send),
//! and forward to the ends of those sent in it (an envelope ends exactly when it is due, so it
//! stops after the latest due time). The cost is the window plus about one network latency's
//! worth of events on either side, whether the trace holds a hundred events or a million:
//! [`Diagram::window`] and [`Diagram::last_rows`] are what the labs call on every frame.

pub mod mermaid;
pub mod text;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;

use crate::command::CrashKind;
use crate::ids::{MsgId, Node};
use crate::lesson::Lang;
use crate::sim::said::spaced;
use crate::view::{EnvelopeKind, Event, Mark, Topology, WireWhat};

pub use mermaid::render_mermaid;
pub use text::{Line, Role, Span, layout, render_text};

/// How an envelope's journey ended (or has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// It reached its addressee, which handled it.
    Arrived,
    /// The network dropped it: a partition, or a `drop next`.
    Dropped { partitioned: bool },
    /// It reached its addressee, which could not take it (down, or no longer the master).
    Lost,
    /// Still on the network, due at `arrives_ms`.
    InFlight { arrives_ms: u64 },
}

impl End {
    /// Whether the envelope never got where it was going.
    pub fn failed(self) -> bool {
        matches!(self, End::Dropped { .. } | End::Lost)
    }
}

/// Where and when an envelope left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Departure {
    pub step: u64,
    pub at_ms: u64,
}

/// One envelope, from its send to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrow {
    /// The envelope's id, as the trace's [`Wire::env`] gives it.
    pub env: u64,
    pub kind: EnvelopeKind,
    pub from: Node,
    pub to: Node,
    /// The messages it carries or answers for.
    pub messages: Vec<MsgId>,
    /// The event that sent it (`None` only if the trace given does not reach back to it).
    pub sent: Option<Departure>,
    pub end: End,
}

/// What one row of the diagram shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKind {
    Arrow(Arrow),
    Mark(Mark),
}

/// One row: an arrow or a life mark, at the step and virtual time it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub step: u64,
    pub at_ms: u64,
    pub kind: RowKind,
    /// The messages it involves: an arrow's messages, or those its mark's event touched (the
    /// messages a crash destroyed, say).
    pub messages: Vec<MsgId>,
}

impl Row {
    pub fn involves(&self, id: MsgId) -> bool {
        self.messages.contains(&id)
    }

    pub fn arrow(&self) -> Option<&Arrow> {
        match &self.kind {
            RowKind::Arrow(arrow) => Some(arrow),
            RowKind::Mark(_) => None,
        }
    }

    /// The nodes the row is drawn on.
    fn nodes(&self) -> Vec<Node> {
        match &self.kind {
            RowKind::Arrow(a) => vec![a.from, a.to],
            RowKind::Mark(mark) => mark_node(*mark).into_iter().collect(),
        }
    }
}

/// A sequence diagram: the lanes, left to right, and the rows, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagram {
    /// Producers, then brokers, then consumers: every node of the topology and any other node
    /// a row is drawn on.
    pub lanes: Vec<Node>,
    pub rows: Vec<Row>,
}

impl Diagram {
    /// The diagram of a whole trace.
    pub fn build(trace: &[Event], topology: &Topology) -> Diagram {
        Self::window(trace, topology, 0..trace.len())
    }

    /// The rows of the events at `events` (indices into `trace`); the rest of the trace is
    /// read only to pair envelopes that cross the window's edges.
    pub fn window(trace: &[Event], topology: &Topology, events: Range<usize>) -> Diagram {
        let end = events.end.min(trace.len());
        Self::with_lanes(rows_between(trace, events.start.min(end), end), topology)
    }

    /// The last `count` rows of the events before `until` (an index into `trace`; the trace's
    /// length for the newest): what a lab shows around its current step. It reads back only as
    /// many events as those rows need: a quick count of the rows each event may add picks the
    /// window, which grows only if some of them were not rows after all.
    pub fn last_rows(trace: &[Event], topology: &Topology, until: usize, count: usize) -> Diagram {
        let until = until.min(trace.len());
        // A send is a row only while in flight at the trace's end.
        let last_ms = trace.last().map_or(0, |e| e.at_ms);
        let may_add = |e: &Event| {
            usize::from(e.mark.is_some())
                + e.wire
                    .iter()
                    .filter(|w| !matches!(w.what, WireWhat::Sent { arrives_ms } if arrives_ms < last_ms))
                    .count()
        };
        let mut lo = until;
        let mut rows = Vec::new();
        let mut wanted = count;
        while lo > 0 {
            let mut found = 0;
            while lo > 0 && found < wanted {
                lo -= 1;
                found += may_add(&trace[lo]);
            }
            rows = rows_between(trace, lo, until);
            if rows.len() >= count {
                break;
            }
            wanted = count - rows.len();
        }
        rows.drain(..rows.len().saturating_sub(count));
        Self::with_lanes(rows, topology)
    }

    /// Only the rows that involve message `id`, with every life mark kept as their context (a
    /// crash that destroyed it, the restart after).
    pub fn involving(&self, id: MsgId) -> Diagram {
        let rows = self
            .rows
            .iter()
            .filter(|row| row.involves(id) || matches!(row.kind, RowKind::Mark(_)))
            .cloned()
            .collect();
        Diagram { lanes: self.lanes.clone(), rows }
    }

    /// The number of the lane a node is drawn in.
    pub fn lane(&self, node: Node) -> Option<usize> {
        self.lanes.iter().position(|n| *n == node)
    }

    /// The arrows, oldest first.
    pub fn arrows(&self) -> impl Iterator<Item = &Arrow> {
        self.rows.iter().filter_map(Row::arrow)
    }

    fn with_lanes(rows: Vec<Row>, topology: &Topology) -> Diagram {
        let mut lanes: BTreeSet<Node> =
            topology.producers.iter().chain(&topology.brokers).chain(&topology.consumers).copied().collect();
        lanes.extend(rows.iter().flat_map(Row::nodes));
        Diagram { lanes: lanes.into_iter().collect(), rows }
    }
}

/// The rows of the events at `lo..hi` of `trace`, in order: each event's life mark, then each
/// envelope that ended there, and each it sent that is still in flight at the trace's end.
///
/// Pairing takes one pass over the window and at most two short passes outside it: back from
/// `lo` to the sends of the envelopes that ended in the window (ids are handed out in send order,
/// so it stops at the first send older than all of them), and forward from `hi` to the ends of
/// those sent in the window (an envelope ends when it is due, so it stops after the latest due
/// time).
fn rows_between(trace: &[Event], lo: usize, hi: usize) -> Vec<Row> {
    // Rows in order; a send's row is kept only if its envelope turns out to be still in flight.
    let mut rows: Vec<Option<Row>> = Vec::new();
    // Envelopes sent in the window and not ended in it: their row, and when they are due.
    let mut open: HashMap<u64, (usize, u64)> = HashMap::new();
    // Envelopes sent in the window: where they left.
    let mut sent_here: HashMap<u64, Departure> = HashMap::new();
    // Rows of envelopes that ended in the window but left before it.
    let mut unsent: HashMap<u64, usize> = HashMap::new();
    for event in &trace[lo..hi] {
        let here = Departure { step: event.step, at_ms: event.at_ms };
        if let Some(mark) = event.mark {
            let kind = RowKind::Mark(mark);
            rows.push(Some(Row {
                step: event.step,
                at_ms: event.at_ms,
                kind,
                messages: event.messages.clone(),
            }));
        }
        for wire in &event.wire {
            let end = match wire.what {
                WireWhat::Sent { arrives_ms } => {
                    open.insert(wire.env, (rows.len(), arrives_ms));
                    sent_here.insert(wire.env, here);
                    End::InFlight { arrives_ms }
                }
                WireWhat::Arrived => End::Arrived,
                WireWhat::Dropped { partitioned } => End::Dropped { partitioned },
                WireWhat::Lost => End::Lost,
            };
            let sent = match end {
                End::InFlight { .. } => Some(here),
                _ => {
                    if let Some((row, _)) = open.remove(&wire.env) {
                        rows[row] = None;
                    }
                    let sent = sent_here.get(&wire.env).copied();
                    if sent.is_none() {
                        unsent.insert(wire.env, rows.len());
                    }
                    sent
                }
            };
            let arrow = Arrow {
                env: wire.env,
                kind: wire.kind,
                from: wire.from,
                to: wire.to,
                messages: wire.messages.clone(),
                sent,
                end,
            };
            let kind = RowKind::Arrow(arrow);
            rows.push(Some(Row {
                step: event.step,
                at_ms: event.at_ms,
                messages: wire.messages.clone(),
                kind,
            }));
        }
    }
    for (env, departure) in departures(&trace[..lo], unsent.keys().copied().collect()) {
        if let Some(Some(Row { kind: RowKind::Arrow(arrow), .. })) =
            unsent.get(&env).map(|&row| &mut rows[row])
        {
            arrow.sent = Some(departure);
        }
    }
    for env in ended(&trace[hi..], &open) {
        if let Some(&(row, _)) = open.get(&env) {
            rows[row] = None;
        }
    }
    rows.into_iter().flatten().collect()
}

/// Where the envelopes `wanted` left, searching `before` backwards: ids are handed out in send
/// order, so the search stops at the first send older than all of them.
fn departures(before: &[Event], mut wanted: HashSet<u64>) -> Vec<(u64, Departure)> {
    let mut found = Vec::new();
    let Some(&oldest) = wanted.iter().min() else { return found };
    for event in before.iter().rev() {
        for wire in event.wire.iter().rev() {
            if !matches!(wire.what, WireWhat::Sent { .. }) {
                continue;
            }
            if wanted.remove(&wire.env) {
                found.push((wire.env, Departure { step: event.step, at_ms: event.at_ms }));
            }
            if wire.env <= oldest || wanted.is_empty() {
                return found;
            }
        }
    }
    found
}

/// Which of the envelopes `open` (each with when it is due) end in `after`: the search stops
/// after the latest due time.
fn ended(after: &[Event], open: &HashMap<u64, (usize, u64)>) -> Vec<u64> {
    let mut found = Vec::new();
    let Some(latest) = open.values().map(|&(_, due)| due).max() else { return found };
    for event in after.iter().take_while(|e| e.at_ms <= latest) {
        for wire in &event.wire {
            if !matches!(wire.what, WireWhat::Sent { .. }) && open.contains_key(&wire.env) {
                found.push(wire.env);
            }
        }
        if found.len() == open.len() {
            break;
        }
    }
    found
}

/// The node a mark is drawn on (`None`: the whole network).
pub fn mark_node(mark: Mark) -> Option<Node> {
    match mark {
        Mark::Crashed { node, .. }
        | Mark::Restarted { node }
        | Mark::Partitioned { node }
        | Mark::Promoted { node } => Some(node),
        Mark::Healed => None,
    }
}

fn node_name(node: Node, lang: Lang) -> &'static str {
    if lang == Lang::Zh { node.name_zh() } else { node.name() }
}

/// An envelope kind as the diagram labels it: `request`, `请求`.
pub fn kind_label(kind: EnvelopeKind, lang: Lang) -> &'static str {
    let (en, zh) = match kind {
        EnvelopeKind::Request => ("request", "请求"),
        EnvelopeKind::Response => ("response", "响应"),
        EnvelopeKind::Replicate => ("replicate", "复制"),
        EnvelopeKind::ReplicaAck => ("replica_ack", "复制确认"),
        EnvelopeKind::Delivery => ("delivery", "投递"),
        EnvelopeKind::Commit => ("commit", "位点提交"),
    };
    if lang == Lang::Zh { zh } else { en }
}

/// The shortest name of an envelope kind, for narrow lanes: `req`, `请求`.
pub fn kind_short(kind: EnvelopeKind, lang: Lang) -> &'static str {
    let (en, zh) = match kind {
        EnvelopeKind::Request => ("req", "请求"),
        EnvelopeKind::Response => ("resp", "响应"),
        EnvelopeKind::Replicate => ("repl", "复制"),
        EnvelopeKind::ReplicaAck => ("ack", "确认"),
        EnvelopeKind::Delivery => ("dlv", "投递"),
        EnvelopeKind::Commit => ("cmt", "提交"),
    };
    if lang == Lang::Zh { zh } else { en }
}

/// What happened to an envelope that did not simply arrive: `dropped: partitioned`; `None`
/// for one that arrived.
pub fn end_label(arrow: &Arrow, lang: Lang) -> Option<String> {
    let zh = lang == Lang::Zh;
    Some(match arrow.end {
        End::Arrived => return None,
        End::Dropped { partitioned: true } if zh => "被丢弃：网络隔离".to_owned(),
        End::Dropped { partitioned: true } => "dropped: partitioned".to_owned(),
        End::Dropped { partitioned: false } if zh => "被丢弃：drop next 注入的丢包".to_owned(),
        End::Dropped { partitioned: false } => "dropped: drop next".to_owned(),
        End::Lost if zh => spaced(&format!("丢失：{}无法接收", node_name(arrow.to, lang))),
        End::Lost => format!("lost: {} could not take it", arrow.to),
        End::InFlight { arrives_ms } if zh => format!("传输中，预计 {arrives_ms} ms 到达"),
        End::InFlight { arrives_ms } => format!("in flight, due at {arrives_ms} ms"),
    })
}

/// The short form of [`end_label`], for narrow screens: `partitioned`, `lost`.
pub fn end_short(arrow: &Arrow, lang: Lang) -> Option<&'static str> {
    let zh = lang == Lang::Zh;
    Some(match arrow.end {
        End::Arrived => return None,
        End::Dropped { partitioned: true } if zh => "网络隔离",
        End::Dropped { partitioned: true } => "partitioned",
        End::Dropped { partitioned: false } if zh => "丢包",
        End::Dropped { partitioned: false } => "dropped",
        End::Lost if zh => "丢失",
        End::Lost => "lost",
        End::InFlight { .. } if zh => "传输中",
        End::InFlight { .. } => "in flight",
    })
}

fn crash_label(kind: CrashKind, lang: Lang) -> &'static str {
    let (en, zh) = match kind {
        CrashKind::Process => ("process", "进程被杀"),
        CrashKind::Power => ("power", "断电"),
        CrashKind::Disk => ("disk", "磁盘损坏"),
    };
    if lang == Lang::Zh { zh } else { en }
}

/// A life mark in words, naming its node: `broker crashed (power)`, `Broker 崩溃（断电）`.
pub fn mark_label(mark: Mark, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let text = match mark {
        Mark::Crashed { node, kind } if zh => {
            format!("{}崩溃（{}）", node.name_zh(), crash_label(kind, lang))
        }
        Mark::Crashed { node, kind } => format!("{node} crashed ({})", crash_label(kind, lang)),
        Mark::Restarted { node } if zh => format!("{}已重启", node.name_zh()),
        Mark::Restarted { node } => format!("{node} restarted"),
        Mark::Partitioned { node } if zh => format!("{}被网络隔离", node.name_zh()),
        Mark::Partitioned { node } => format!("{node} partitioned"),
        Mark::Healed if zh => "网络已恢复".to_owned(),
        Mark::Healed => "network healed".to_owned(),
        Mark::Promoted { node } if zh => format!("{}升为主节点", node.name_zh()),
        Mark::Promoted { node } => format!("{node} promoted to master"),
    };
    spaced(&text)
}

/// The symbol a mark puts on its lane.
pub fn mark_symbol(mark: Mark) -> char {
    match mark {
        Mark::Crashed { .. } => '×',
        Mark::Restarted { .. } => '↻',
        Mark::Partitioned { .. } => '⊘',
        Mark::Healed => '≈',
        Mark::Promoted { .. } => '▲',
    }
}

/// The messages an arrow carries, compactly: `m1..m3`, `m1, m4`.
pub fn messages_label(messages: &[MsgId]) -> String {
    if messages.is_empty() { String::new() } else { crate::sim::ledger::msgs_text(messages) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Wire;

    fn event(step: u64, at_ms: u64, wire: Vec<Wire>) -> Event {
        Event {
            step,
            at_ms,
            node: None,
            text: String::new(),
            zh: String::new(),
            messages: vec![],
            wire,
            mark: None,
        }
    }

    fn wire(env: u64, what: WireWhat) -> Wire {
        Wire {
            env,
            kind: EnvelopeKind::Request,
            from: Node::PRODUCER,
            to: Node::BROKER,
            messages: vec![MsgId(env)],
            what,
        }
    }

    #[test]
    fn pairs_across_a_window_edge_and_keeps_in_flight_at_its_send() {
        let trace = vec![
            event(
                1,
                0,
                vec![wire(1, WireWhat::Sent { arrives_ms: 5 }), wire(2, WireWhat::Sent { arrives_ms: 5 })],
            ),
            event(2, 1, vec![wire(3, WireWhat::Sent { arrives_ms: 6 })]),
            event(3, 5, vec![wire(1, WireWhat::Arrived)]),
            event(4, 5, vec![wire(2, WireWhat::Dropped { partitioned: true })]),
        ];
        let topology = Topology::default();
        let window = Diagram::window(&trace, &topology, 2..4);
        let ends: Vec<(u64, End, Option<u64>)> =
            window.arrows().map(|a| (a.env, a.end, a.sent.map(|s| s.step))).collect();
        assert_eq!(ends, vec![(1, End::Arrived, Some(1)), (2, End::Dropped { partitioned: true }, Some(1))]);
        let whole = Diagram::build(&trace, &topology);
        let in_flight: Vec<&Arrow> =
            whole.arrows().filter(|a| matches!(a.end, End::InFlight { .. })).collect();
        assert_eq!(in_flight.len(), 1);
        assert_eq!((in_flight[0].env, whole.rows[0].step), (3, 2));
        assert_eq!(whole.lanes, vec![Node::PRODUCER, Node::BROKER], "lanes come from the rows too");
        let last = Diagram::last_rows(&trace, &topology, trace.len(), 2);
        assert_eq!(last.rows, whole.rows[1..].to_vec());
    }
}
