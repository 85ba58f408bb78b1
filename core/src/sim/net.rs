//! The network: envelopes in flight between nodes, partitions, and armed `drop next` faults.
//!
//! The network never changes a node; it only decides whether an envelope arrives. An envelope is
//! doomed when it is sent across a partition, when a `drop next` of its kind is armed, or when a
//! partition cuts it off in flight.

use std::collections::{BTreeMap, BTreeSet};

use crate::command::DropKind;
use crate::ids::{MsgId, Node};
use crate::log::Record;
use crate::view::{EnvelopeKind, EnvelopeView, SendStatus, Wire, WireWhat};

use super::clients::Session;

/// What a consumer is working on: a consume-queue offset or a retry copy (by its record's
/// position in the broker's log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item {
    /// A message at `offset` of topic queue `queue`.
    Main(u32, u64),
    Retry(usize),
}

#[derive(Debug, Clone)]
pub(crate) enum Payload {
    Request {
        msg: MsgId,
        attempt: u32,
        oneway: bool,
        queue: u32,
    },
    Response {
        msg: MsgId,
        attempt: u32,
        status: SendStatus,
    },
    /// `life` is the master's: a shipment from before its restart is stale. Records are
    /// shipped by byte position, as RocketMQ's HA service streams the CommitLog.
    Replicate {
        life: u32,
        from_pos: u64,
        records: Vec<(u64, Record)>,
        msgs: Vec<MsgId>,
    },
    /// The replica's max physical offset after it appended a shipment.
    ReplicaAck {
        life: u32,
        pos: u64,
    },
    Delivery {
        epoch: u32,
        item: Item,
        msg: MsgId,
        reconsume: u32,
    },
    /// The consumer's offset store reporting to the broker: the offset (lowest still in
    /// flight) and the retry copies it finished. `epoch` is the pull session it belongs to.
    /// The offset store's report: per queue it owns, the pull session and the offset; the
    /// retry copies finished, under the retry session.
    Commit {
        offsets: Vec<(u32, u32, u64)>,
        retry_epoch: Option<u32>,
        retry_done: Vec<(usize, MsgId)>,
        /// The consumer gave these sessions up in a rebalance: the master stops serving them.
        closing: Vec<Session>,
    },
    /// `sendMessageBack`: a failed message goes back for retry number `reconsume`.
    SendBack {
        epoch: u32,
        id: u64,
        item: Item,
        msg: MsgId,
        reconsume: u32,
    },
    /// The broker stored the sent-back copy.
    SendBackAck {
        id: u64,
        msg: MsgId,
    },
}

impl Payload {
    /// The messages this envelope carries a copy of (a response carries only news).
    pub fn copies(&self) -> Vec<MsgId> {
        match self {
            Payload::Request { msg, .. } | Payload::Delivery { msg, .. } => vec![*msg],
            Payload::Replicate { msgs, .. } => msgs.clone(),
            Payload::SendBack { msg, .. } => vec![*msg],
            _ => vec![],
        }
    }

    /// Every message it mentions.
    pub fn mentions(&self) -> Vec<MsgId> {
        match self {
            Payload::Response { msg, .. } | Payload::SendBackAck { msg, .. } => vec![*msg],
            _ => self.copies(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub kind: EnvelopeKind,
    pub from: Node,
    pub to: Node,
    pub sent_ms: u64,
    pub arrives_ms: u64,
    /// Why it will be dropped on arrival, if it will.
    pub doomed: Option<&'static str>,
    pub payload: Payload,
}

impl Envelope {
    /// The envelope as event `what` saw it.
    pub fn wire(&self, env: u64, what: WireWhat) -> Wire {
        Wire { env, kind: self.kind, from: self.from, to: self.to, messages: self.payload.mentions(), what }
    }

    pub fn view(&self) -> EnvelopeView {
        EnvelopeView {
            kind: self.kind,
            from: self.from,
            to: self.to,
            messages: self.payload.mentions(),
            sent_ms: self.sent_ms,
            arrives_ms: self.arrives_ms,
            doomed: self.doomed.is_some(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Net {
    pub envelopes: BTreeMap<u64, Envelope>,
    pub next_id: u64,
    /// When the last envelope on each link arrives: a link is a TCP connection, so envelopes
    /// on it arrive in the order they were sent, even when the latency changes in between.
    pub link_arrives_ms: BTreeMap<(Node, Node), u64>,
    pub partitioned: BTreeSet<Node>,
    pub armed: BTreeSet<DropKind>,
}

pub(crate) fn drop_kind(kind: EnvelopeKind) -> Option<DropKind> {
    match kind {
        EnvelopeKind::Request => Some(DropKind::Request),
        EnvelopeKind::Response => Some(DropKind::Response),
        EnvelopeKind::Delivery => Some(DropKind::Delivery),
        EnvelopeKind::Commit => Some(DropKind::Commit),
        EnvelopeKind::Replicate | EnvelopeKind::ReplicaAck => None,
    }
}

pub(crate) fn kind_name(kind: EnvelopeKind) -> &'static str {
    match kind {
        EnvelopeKind::Request => "request",
        EnvelopeKind::Response => "response",
        EnvelopeKind::Replicate => "replication",
        EnvelopeKind::ReplicaAck => "replica ack",
        EnvelopeKind::Delivery => "delivery",
        EnvelopeKind::Commit => "commit",
    }
}

pub(crate) fn kind_name_zh(kind: EnvelopeKind) -> &'static str {
    match kind {
        EnvelopeKind::Request => "请求",
        EnvelopeKind::Response => "响应",
        EnvelopeKind::Replicate => "复制数据",
        EnvelopeKind::ReplicaAck => "从节点确认",
        EnvelopeKind::Delivery => "投递",
        EnvelopeKind::Commit => "位点提交",
    }
}

/// Why an envelope was doomed, in Chinese.
pub(crate) fn doom_zh(reason: &str) -> &'static str {
    match reason {
        "partitioned" => "网络隔离",
        _ => "drop next 注入的丢包",
    }
}

impl Net {
    /// Puts an envelope on the wire, no earlier than the one before it on its link; returns its
    /// id.
    pub fn send(&mut self, mut env: Envelope) -> u64 {
        let last = self.link_arrives_ms.entry((env.from, env.to)).or_insert(0);
        env.arrives_ms = env.arrives_ms.max(*last);
        *last = env.arrives_ms;
        if self.partitioned.contains(&env.from) || self.partitioned.contains(&env.to) {
            env.doomed = Some("partitioned");
        } else if let Some(kind) = drop_kind(env.kind)
            && self.armed.remove(&kind)
        {
            env.doomed = Some("drop next");
        }
        let id = self.next_id;
        self.next_id += 1;
        self.envelopes.insert(id, env);
        id
    }

    /// Cuts a node off: everything in flight to or from it is doomed.
    pub fn partition(&mut self, node: Node) {
        self.partitioned.insert(node);
        for env in self.envelopes.values_mut() {
            if (env.from == node || env.to == node) && env.doomed.is_none() {
                env.doomed = Some("partitioned");
            }
        }
    }

    /// Whether two nodes can talk now.
    pub fn connected(&self, a: Node, b: Node) -> bool {
        !self.partitioned.contains(&a) && !self.partitioned.contains(&b)
    }
}
