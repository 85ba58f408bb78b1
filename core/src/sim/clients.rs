//! The two client nodes: the producer (memory, attempts, the durable outbox) and the consumer
//! (pull position, work in progress, the durable dedupe store and sequence check).
//!
//! What survives a crash is explicit: a crash replaces the in-memory fields and keeps the
//! durable ones (`outbox`, `dedupe`, `seq_next`).

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{MsgId, ProducerId};

use super::net::Item;

/// A message the producer holds in memory: not yet sent, or awaiting its result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    pub attempt: u32,
    pub first_ms: Option<u64>,
    pub awaiting: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowState {
    Pending,
    Done,
    GaveUp,
}

/// A row of the local message table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutboxRow {
    /// Resends by the scanner so far.
    pub tries: u32,
    pub state: RowState,
}

#[derive(Debug, Clone)]
pub(crate) struct Producer {
    pub up: bool,
    pub life: u32,
    pub id: ProducerId,
    pub next_seq: u64,
    pub pending: BTreeMap<MsgId, Pending>,
    /// Durable: survives crashes.
    pub outbox: BTreeMap<MsgId, OutboxRow>,
    pub scan_tick: bool,
}

impl Producer {
    pub fn new() -> Self {
        Self {
            up: true,
            life: 0,
            id: ProducerId(1),
            next_seq: 1,
            pending: BTreeMap::new(),
            outbox: BTreeMap::new(),
            scan_tick: false,
        }
    }

    /// Rows the scanner should resend: pending, and not being sent right now.
    pub fn rows_to_scan(&self) -> Vec<MsgId> {
        self.outbox
            .iter()
            .filter(|(id, row)| row.state == RowState::Pending && !self.pending.contains_key(id))
            .map(|(id, _)| *id)
            .collect()
    }

    pub fn pending_rows(&self) -> usize {
        self.outbox.values().filter(|r| r.state == RowState::Pending).count()
    }
}

/// One message being processed by the business logic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Work {
    pub msg: MsgId,
    pub item: Item,
    pub reconsume: u32,
    /// Success was reported (offset committed) before the work finished.
    pub reported_early: bool,
    /// The work runs on a thread the consumer does not wait for.
    pub async_mode: bool,
}

/// A failed message whose `sendMessageBack` awaits the broker's answer; its offset stays held.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendBack {
    pub msg: MsgId,
    pub item: Item,
    /// Failed deliveries so far, this one included.
    pub reconsume: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Consumer {
    pub up: bool,
    pub life: u32,
    /// Which pull session deliveries must belong to; bumped by every re-pull.
    pub epoch: u32,
    /// The next main-queue offset the consumer expects (None: whatever the broker serves).
    pub next_offset: Option<u64>,
    /// Main-queue offsets received and not yet done (RocketMQ's ProcessQueue).
    pub in_flight: BTreeSet<u64>,
    pub work: BTreeMap<u64, Work>,
    pub next_work: u64,
    /// `sendMessageBack` calls awaiting an answer, by id.
    pub sendbacks: BTreeMap<u64, SendBack>,
    /// The offset store (RocketMQ `RemoteBrokerOffsetStore`) keeps the offset in memory
    /// ([`Consumer::commit_offset`]) and the retry copies finished; the 5 s timer sends them.
    pub retry_done: BTreeSet<(usize, MsgId)>,
    pub persist_tick: bool,
    pub fail_next: u64,
    /// The pull timed out or the network cut it: pull again when possible.
    pub needs_repull: bool,
    /// The next pull must start from the broker's committed offset (after a restart of either
    /// side), not from the consumer's own position.
    pub from_committed: bool,
    /// Durable: ids whose effect was applied (idempotent consumer).
    pub dedupe: BTreeSet<MsgId>,
    /// Durable: per producer, the next sequence number expected.
    pub seq_next: BTreeMap<ProducerId, u64>,
}

impl Consumer {
    pub fn new() -> Self {
        Self {
            up: true,
            life: 0,
            epoch: 0,
            next_offset: Some(0),
            in_flight: BTreeSet::new(),
            work: BTreeMap::new(),
            next_work: 0,
            sendbacks: BTreeMap::new(),
            retry_done: BTreeSet::new(),
            persist_tick: false,
            fail_next: 0,
            needs_repull: false,
            from_committed: false,
            dedupe: BTreeSet::new(),
            seq_next: BTreeMap::new(),
        }
    }

    /// The offset to commit: the lowest still in flight, else the next expected (RocketMQ
    /// `ProcessQueue#removeMessage`: one slow message holds the offset for all later ones).
    pub fn commit_offset(&self) -> Option<u64> {
        self.in_flight.first().copied().or(self.next_offset)
    }
}
