//! Where every token of a view belongs: one per copy, in the area of the node that holds it, or
//! on the lane of the envelope that carries it. [`scene`] is a pure function of a [`View`] and a
//! [`Layout`]; the animator moves tokens between the scenes of successive views.

use std::collections::BTreeMap;

use egui::{Color32, Pos2, Rect, pos2};
use mqlab_core::ids::{MsgId, Node};
use mqlab_core::view::{Cause, EnvelopeKind, Fate, MessageView, NodeNote, Place, TokenState, View};

use super::layout::Layout;

/// Where one token of a message sits: one per copy, so a message can show several at once. The
/// places of a node name it, so a copy on the replica and one on the master are two tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    ProducerMemory(Node),
    Outbox(Node),
    /// Known failures, at the producer that gave up.
    Failed(Node),
    Link(EnvelopeKind),
    Cache(Node),
    Disk(Node),
    Retry(Node),
    DeadLetter(Node),
    Processing(Node),
    /// Processed by the group.
    Done,
    /// A red cross where the last copy was destroyed.
    Lost,
}

impl Slot {
    pub const FIRST: Slot = Slot::ProducerMemory(Node::Producer(0));
    pub const LAST: Slot = Slot::Lost;
}

/// A token's identity across frames.
pub type TokenKey = (MsgId, Slot);

/// Every token state, for the legend and the string table.
pub const TOKEN_STATES: [TokenState; 12] = TokenState::ALL;

/// The colour of a token state, the same in the diagram, the legend and the ledger.
pub fn color(state: TokenState) -> Color32 {
    match state {
        TokenState::ProducerMemory => Color32::from_rgb(120, 144, 156),
        TokenState::InFlight => Color32::from_rgb(240, 190, 40),
        TokenState::PageCache => Color32::from_rgb(245, 124, 0),
        TokenState::Flushed => Color32::from_rgb(46, 160, 67),
        TokenState::Replicated => Color32::from_rgb(0, 150, 170),
        TokenState::Processing => Color32::from_rgb(142, 84, 233),
        TokenState::Processed => Color32::from_rgb(30, 120, 50),
        TokenState::Retrying => Color32::from_rgb(200, 150, 0),
        TokenState::Lost => Color32::from_rgb(220, 38, 38),
        TokenState::Duplicated => Color32::from_rgb(214, 51, 132),
        TokenState::Failed => Color32::from_rgb(110, 110, 110),
        TokenState::DeadLettered => Color32::from_rgb(121, 85, 72),
    }
}

/// The colour of a copy in a slot: what that copy is (a page-cache copy is orange even if
/// another copy of the message is already on disk; a copy on a slave's disk is a replica).
fn slot_color(slot: Slot, message: &MessageView, view: &View) -> Color32 {
    let state = match slot {
        Slot::ProducerMemory(_) | Slot::Outbox(_) => TokenState::ProducerMemory,
        Slot::Link(_) => TokenState::InFlight,
        Slot::Cache(_) => TokenState::PageCache,
        Slot::Disk(node) if view.node(node).role == "slave" => TokenState::Replicated,
        Slot::Disk(_) => TokenState::Flushed,
        Slot::Retry(_) => TokenState::Retrying,
        Slot::DeadLetter(_) => TokenState::DeadLettered,
        Slot::Processing(_) => TokenState::Processing,
        Slot::Done if message.fate == Fate::Duplicated => TokenState::Duplicated,
        Slot::Done => TokenState::Processed,
        Slot::Lost => TokenState::Lost,
        Slot::Failed(_) => TokenState::Failed,
    };
    color(state)
}

/// The slot of a copy at a place; `None` on the network (drawn from its envelope).
pub fn slot_of(place: Place) -> Option<Slot> {
    Some(match place {
        Place::ProducerMemory(n) => Slot::ProducerMemory(n),
        Place::Outbox(n) => Slot::Outbox(n),
        Place::PageCache(n) => Slot::Cache(n),
        Place::Disk(n) => Slot::Disk(n),
        Place::RetryQueue(n) => Slot::Retry(n),
        Place::DeadLetterQueue(n) => Slot::DeadLetter(n),
        Place::ConsumerProcessing(n) => Slot::Processing(n),
        Place::InFlight => return None,
    })
}

/// The producer node that created a message: the one whose current producer id it carries, or
/// the first producer (a restarted producer takes a new id).
pub fn producer_of(view: &View, message: &MessageView) -> Node {
    let producers = &view.topology.producers;
    producers
        .iter()
        .copied()
        .find(|p| matches!(view.node(*p).note, NodeNote::Producer { id, .. } if id == message.producer))
        .or(producers.first().copied())
        .unwrap_or(Node::PRODUCER)
}

/// The consumer that owns the message's queue now, else the first of the group.
fn consumer_of(view: &View, message: &MessageView) -> Node {
    let t = &view.topology;
    t.queues
        .iter()
        .find(|q| q.id == message.queue)
        .and_then(|q| q.owner)
        .or(t.consumers.first().copied())
        .unwrap_or(Node::CONSUMER)
}

/// The broker that is master now: the promoted one after a failover.
pub fn master(view: &View) -> Node {
    let brokers = &view.topology.brokers;
    brokers
        .iter()
        .copied()
        .find(|b| view.node(*b).role.starts_with("master"))
        .or(brokers.first().copied())
        .unwrap_or(Node::BROKER)
}

/// Where a lost message's red cross goes: where its last copy was destroyed.
fn lost_slot(view: &View, message: &MessageView) -> Slot {
    match message.cause {
        Some(Cause::LostInPageCache) => Slot::Cache(Node::BROKER),
        Some(Cause::LostWithDisk | Cause::LostToCorruption | Cause::LostWithMissingSegment) => {
            Slot::Disk(Node::BROKER)
        }
        Some(Cause::LostInFailover) => Slot::Cache(master(view)),
        Some(Cause::CommittedBeforeProcessing | Cause::AsyncConsumeFailed) => {
            Slot::Processing(consumer_of(view, message))
        }
        Some(Cause::ProducerCrashedUnsent | Cause::ErrorIgnored) => {
            Slot::ProducerMemory(producer_of(view, message))
        }
        Some(Cause::DroppedInNetwork) | None => Slot::Lost,
    }
}

/// A message of the view by its id, found at once where the ids run 1, 2, 3 … (as the ledger
/// numbers them) and searched for otherwise: the diagram looks one up per token per frame.
pub fn message(view: &View, id: MsgId) -> Option<&MessageView> {
    let at = usize::try_from(id.0).ok().and_then(|i| i.checked_sub(1)).and_then(|i| view.messages.get(i));
    match at {
        Some(m) if m.id == id => Some(m),
        _ => view.message(id),
    }
}

/// One token to draw: its identity, its target and how it looks.
#[derive(Debug, Clone)]
pub struct Target {
    pub key: TokenKey,
    pub pos: Pos2,
    pub radius: f32,
    pub color: Color32,
}

/// Where every token of a view belongs in a layout.
pub fn scene(view: &View, layout: &Layout) -> Vec<Target> {
    let mut per_slot: BTreeMap<Slot, Vec<(MsgId, bool)>> = BTreeMap::new();
    let mut targets = Vec::new();
    for m in &view.messages {
        for slot in m.places.iter().filter_map(|p| slot_of(*p)) {
            per_slot.entry(slot).or_default().push((m.id, false));
        }
        match m.fate {
            Fate::Processed | Fate::Duplicated => per_slot.entry(Slot::Done).or_default().push((m.id, false)),
            Fate::Lost => per_slot.entry(lost_slot(view, m)).or_default().push((m.id, true)),
            Fate::Failed => {
                per_slot.entry(Slot::Failed(producer_of(view, m))).or_default().push((m.id, false))
            }
            Fate::DeadLettered | Fate::Pending => {}
        }
    }
    for (slot, ids) in &per_slot {
        let area = layout.area(*slot);
        let cells = grid(area, ids.len());
        for ((id, lost), (pos, radius)) in ids.iter().zip(cells) {
            let key = (*id, if *lost { Slot::Lost } else { *slot });
            let Some(m) = message(view, *id) else { continue };
            targets.push(Target { key, pos, radius, color: slot_color(key.1, m, view) });
        }
    }
    let token = (layout.rect.height() * 0.018).clamp(6.0, 14.0);
    let gap = token * 2.3;
    // Where each lane is already taken: envelopes sent at the same moment (three sends in one
    // step) would otherwise sit exactly on top of each other and show as one.
    let mut taken: BTreeMap<(EnvelopeKind, Node, Node), Vec<f32>> = BTreeMap::new();
    for env in &view.in_flight {
        let (a, b) = layout.lane(env.kind, env.from, env.to);
        let span = env.arrives_ms.saturating_sub(env.sent_ms).max(1) as f32;
        let f = (view.virtual_ms.saturating_sub(env.sent_ms) as f32 / span).clamp(0.08, 0.92);
        let length = (b - a).length();
        let dir = (b - a).normalized();
        let used = taken.entry((env.kind, env.from, env.to)).or_default();
        // Distance from the sender; a token that would overlap one already placed queues behind it.
        let mut d = f * length;
        for id in &env.messages {
            while used.iter().any(|u| (u - d).abs() < gap * 0.99) && d > 0.0 {
                d -= gap;
            }
            used.push(d);
            let Some(m) = message(view, *id) else { continue };
            let pos = a + dir * d.max(0.0);
            let slot = Slot::Link(env.kind);
            targets.push(Target { key: (*id, slot), pos, radius: token, color: slot_color(slot, m, view) });
            d -= gap;
        }
    }
    targets
}

/// Cell centres and a radius for `n` tokens in an area, filling rows left to right.
pub fn grid(area: Rect, n: usize) -> Vec<(Pos2, f32)> {
    if n == 0 || area.width() <= 0.0 || area.height() <= 0.0 {
        return Vec::new();
    }
    let label_room = 18.0_f32.min(area.height() * 0.3);
    let inner = Rect::from_min_max(pos2(area.left(), area.top() + label_room), area.max).shrink(3.0);
    let max_cell = (inner.height() * 0.5).clamp(10.0, 34.0);
    // The largest cell size at which all n fit.
    let mut cell = max_cell;
    loop {
        let cols = (inner.width() / cell).floor().max(1.0);
        let rows = (inner.height() / cell).floor().max(1.0);
        if cols * rows >= n as f32 || cell <= 3.0 {
            break;
        }
        cell *= 0.92;
    }
    let cols = (inner.width() / cell).floor().max(1.0) as usize;
    (0..n)
        .map(|i| {
            let (row, col) = (i / cols, i % cols);
            let center =
                pos2(inner.left() + (col as f32 + 0.5) * cell, inner.top() + (row as f32 + 0.5) * cell);
            (center, cell * 0.42)
        })
        .collect()
}
