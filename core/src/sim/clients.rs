//! The client nodes: a producer (memory, attempts, queue choice, the durable outbox), a consumer
//! of the group (its queues' pull sessions, work in progress, offsets), and what the group shares
//! in durable storage (the dedupe store and the sequence check).
//!
//! What survives a crash is explicit: a crash replaces a client's in-memory fields and keeps the
//! durable ones (`Producer::outbox`, everything in [`Group`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{MsgId, Node, ProducerId};

use super::net::Item;

/// A message the producer holds in memory: not yet sent, or awaiting its result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    /// The queue of the next (or current) attempt.
    pub queue: u32,
    /// A selector fixed the queue for every attempt (`send … key K`); else round-robin.
    pub keyed: bool,
    /// `queue` was already chosen for the next attempt (the send picked it to stamp the seq).
    pub chosen: bool,
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
    pub node: Node,
    pub up: bool,
    pub life: u32,
    /// This instance's id; a restarted producer is a new instance with a new id.
    pub id: ProducerId,
    /// Per queue, the next sequence number its interceptor stamps.
    pub next_seq: BTreeMap<u32, u64>,
    /// The round-robin position (RocketMQ `sendWhichQueue`): every attempt takes the next queue.
    pub next_queue: u32,
    pub pending: BTreeMap<MsgId, Pending>,
    /// Durable: survives crashes.
    pub outbox: BTreeMap<MsgId, OutboxRow>,
    pub scan_tick: bool,
}

impl Producer {
    pub fn new(node: Node, id: ProducerId) -> Self {
        Self {
            node,
            up: true,
            life: 0,
            id,
            next_seq: BTreeMap::new(),
            next_queue: 0,
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

    /// Takes the next sequence number of `queue`.
    pub fn take_seq(&mut self, queue: u32) -> u64 {
        let next = self.next_seq.entry(queue).or_insert(1);
        let seq = *next;
        *next += 1;
        seq
    }

    /// The next queue round-robin (RocketMQ `selectOneMessageQueue`: each call takes the next).
    pub fn next_round_robin(&mut self, queues: u32) -> u32 {
        let q = self.next_queue % queues.max(1);
        self.next_queue = (q + 1) % queues.max(1);
        q
    }

    /// Whether it holds nothing: no message in memory, no outbox row pending.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.pending_rows() == 0
    }
}

/// The queue RocketMQ's `SelectMessageQueueByHash` picks for `key`: Java's `String.hashCode`,
/// made non-negative, modulo the number of queues.
pub(crate) fn queue_by_key(key: &str, queues: u32) -> u32 {
    let hash = key.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)));
    hash.unsigned_abs() % queues.max(1)
}

/// One message being processed by the business logic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Work {
    pub msg: MsgId,
    pub item: Item,
    /// The pull session it came under: once the session is gone (a rebalance took the queue,
    /// or the consumer pulled again), finishing it moves no offset.
    pub epoch: u32,
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
    pub epoch: u32,
    /// Failed deliveries so far, this one included.
    pub reconsume: u32,
}

/// One pull session: a topic queue the consumer owns (or the retry queue) and where it is in it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pull {
    /// Deliveries must belong to this session; every re-pull starts a new one (epochs are unique
    /// in the world).
    pub epoch: u32,
    /// The next offset the consumer expects (None: whatever the broker serves).
    pub next_offset: Option<u64>,
    /// Offsets received and not yet done (RocketMQ's ProcessQueue).
    pub in_flight: BTreeSet<u64>,
    /// The pull timed out or the network cut it: pull again when possible.
    pub needs_repull: bool,
    /// The next pull must start from the broker's committed offset (after a restart of either
    /// side), not from the consumer's own position.
    pub from_committed: bool,
    /// A pull request is on its way: from the committed offset (None) or from an offset.
    pub pending: Option<Option<u64>>,
}

impl Pull {
    /// The offset to commit: the lowest still in flight, else the next expected (RocketMQ
    /// `ProcessQueue#removeMessage`: one slow message holds the offset for all later ones).
    pub fn commit_offset(&self) -> Option<u64> {
        self.in_flight.first().copied().or(self.next_offset)
    }
}

/// Which pull session something belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Session {
    /// A queue of the topic.
    Queue(u32),
    /// The group's retry queue (its one queue, owned by one consumer).
    Retry,
}

#[derive(Debug, Clone)]
pub(crate) struct Consumer {
    pub node: Node,
    pub up: bool,
    pub life: u32,
    /// Its pull sessions: the topic queues the last rebalance gave it, and the retry queue if
    /// it owns it.
    pub pulls: BTreeMap<Session, Pull>,
    pub work: BTreeMap<u64, Work>,
    pub next_work: u64,
    /// `sendMessageBack` calls awaiting an answer, by id.
    pub sendbacks: BTreeMap<u64, SendBack>,
    /// The offset store (RocketMQ `RemoteBrokerOffsetStore`) keeps the offsets in memory
    /// ([`Pull::commit_offset`]) and the retry copies finished; the 5 s timer sends them.
    pub retry_done: BTreeSet<(usize, MsgId)>,
    pub persist_tick: bool,
    /// The group as its last rebalance saw it.
    pub members: BTreeSet<Node>,
    /// The latest pull request's and rebalance notice's timers (older ones are stale).
    pub rejoin_token: u32,
    pub rebalance_token: u32,
}

impl Consumer {
    pub fn new(node: Node) -> Self {
        Self {
            node,
            up: true,
            life: 0,
            pulls: BTreeMap::new(),
            work: BTreeMap::new(),
            next_work: 0,
            sendbacks: BTreeMap::new(),
            retry_done: BTreeSet::new(),
            persist_tick: false,
            members: BTreeSet::new(),
            rejoin_token: 0,
            rebalance_token: 0,
        }
    }

    /// The session with epoch `epoch`, if it is still one of its own.
    pub fn session_of(&self, epoch: u32) -> Option<Session> {
        self.pulls.iter().find(|(_, p)| p.epoch == epoch).map(|(s, _)| *s)
    }

    /// The topic queues it owns.
    pub fn queues(&self) -> impl Iterator<Item = u32> + '_ {
        self.pulls.keys().filter_map(|s| match s {
            Session::Queue(q) => Some(*q),
            Session::Retry => None,
        })
    }
}

/// The share of `members` (sorted) that `consumer` gets: RocketMQ's
/// `AllocateMessageQueueAveragely` over the topic's `queues`, plus the group's one retry queue
/// (which the first consumer gets).
pub(crate) fn allocate(members: &BTreeSet<Node>, consumer: Node, queues: u32) -> BTreeSet<Session> {
    let Some(i) = members.iter().position(|m| *m == consumer) else {
        return BTreeSet::new();
    };
    let (n, q) = (members.len() as u32, queues);
    let i = i as u32;
    let rem = q % n;
    let size = if q <= n {
        1
    } else if rem > 0 && i < rem {
        q / n + 1
    } else {
        q / n
    };
    let start = if rem > 0 && i < rem { i * size } else { i * size + rem };
    let mut share: BTreeSet<Session> = (start..q.min(start + size)).map(Session::Queue).collect();
    if i == 0 {
        share.insert(Session::Retry);
    }
    share
}

/// What the consumer group keeps in shared durable storage: it outlives every consumer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Group {
    /// Ids whose effect was applied (the idempotent consumer's dedupe table).
    pub dedupe: BTreeSet<MsgId>,
    /// Per producer instance and queue, the next sequence number expected.
    pub seq_next: BTreeMap<(ProducerId, u32), u64>,
    /// The business logic fails for the next this many messages, whichever consumer runs it.
    pub fail_next: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_are_shared_averagely_in_order() {
        let members: BTreeSet<Node> = (0..3).map(Node::Consumer).collect();
        let share = |i: u8| -> Vec<u32> {
            allocate(&members, Node::Consumer(i), 8)
                .into_iter()
                .filter_map(|s| match s {
                    Session::Queue(q) => Some(q),
                    Session::Retry => None,
                })
                .collect()
        };
        assert_eq!(share(0), [0, 1, 2]);
        assert_eq!(share(1), [3, 4, 5]);
        assert_eq!(share(2), [6, 7]);
        assert!(allocate(&members, Node::Consumer(0), 8).contains(&Session::Retry));
        // More consumers than queues: the last ones get none.
        let two: BTreeSet<Node> = (0..3).map(Node::Consumer).collect();
        assert_eq!(allocate(&two, Node::Consumer(2), 2), BTreeSet::new());
    }

    #[test]
    fn keys_pick_queues_as_java_string_hash_code_does() {
        // "order-1".hashCode() == -1_207_111_310 in Java.
        assert_eq!(queue_by_key("order-1", 4), 1_207_111_310 % 4);
        assert_eq!(queue_by_key("", 8), 0);
        assert_eq!(queue_by_key("a", 8), 97 % 8);
    }
}
