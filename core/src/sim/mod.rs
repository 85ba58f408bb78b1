//! The deterministic world: four nodes, a network, a virtual clock in
//! milliseconds and an event queue ordered by (time, insertion).
//!
//! One door for change: a command is applied by [`World::command`], a scheduled event by
//! [`World::step_one`]; each produces exactly one explained [`Event`] (one step). Nothing else
//! changes the world, and nothing here reads the wall clock or unseeded randomness, so the same
//! seed and inputs give the same trace with either storage backing.
//!
//! Timers are scheduled only when they have work (a dirty page cache, an offset to persist, a
//! pending outbox row, a send awaiting its answer), so a world with nothing to do is idle and
//! `run` ends. A timer whose reason went away (a crash, an answer that arrived) is recognised as
//! stale when it comes due and is skipped without being a step.
//!
//! Every event's line is written where it happens, in English and (when a front end speaks it)
//! Chinese, with `said!` (module `said`): the trace digest covers the English line only, so the
//! language never changes a trace.

pub(crate) mod broker;
mod clients;
mod cluster;
mod consume;
pub(crate) mod files;
pub(crate) mod ledger;
mod net;
mod produce;
pub(crate) mod said;
mod snapshot;

pub use snapshot::Snapshot;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::command::{Command, CrashKind, DropKind};
use crate::ids::{MsgId, Node};
use crate::log::{Record, StorageKind};
use crate::settings::{CommitTiming, ConsumeMode, FlushMode, Replication, SendMode, Settings};
use crate::view::{
    Cause, EnvelopeKind, EnvelopeView, Event, Fate, LinkKind, LinkView, LogView, Mark, MessageView, NodeNote,
    NodeView, Place, QueueView, SendStatus, Topology, Totals, Wire, WireWhat,
};

use broker::{Broker, DLQ_TOPIC, FlushOutcome, ReplicaOutcome, Role, SCHEDULE_TOPIC, Waiter, unique};
use clients::{Consumer, Group, OutboxRow, Pending, Producer, RowState, SendBack, Session, Work};
use ledger::{MsgInfo, msgs_text};
use net::{Envelope, Item, Net, Payload, doom_zh, kind_name, kind_name_zh};
use said::{Said, said};

/// One msync of the page cache to the device (a consumer NVMe drive syncs in 1–5 ms).
pub const DISK_SYNC_MS: u64 = 2;
/// How long the consumer's business logic takes per message.
pub const PROCESS_MS: u64 = 10;
/// SYNC_MASTER: how long the master waits for the replica (RocketMQ `slaveTimeout`).
pub const SLAVE_TIMEOUT_MS: u64 = 3000;
/// The master drops an HA connection it has heard nothing on for this long
/// (`haHousekeepingInterval`); until then SYNC_MASTER waits for the replica.
pub const HA_HOUSEKEEPING_MS: u64 = 20_000;
/// ASYNC_FLUSH flushes only when at least this many pages are dirty
/// (`flushCommitLogLeastPages`)…
pub const FLUSH_LEAST_PAGES: u64 = 4;
/// …of this size (an OS page)…
pub const PAGE_BYTES: u64 = 4096;
/// …or when this long has passed since it last flushed whatever was dirty
/// (`flushCommitLogThoroughInterval`).
pub const FLUSH_THOROUGH_INTERVAL_MS: u64 = 10_000;
/// The broker persists consumer offsets this often (`flushConsumerOffsetInterval`).
pub const OFFSET_PERSIST_INTERVAL_MS: u64 = 5000;
/// The consumer sends its offsets to the broker this often (`persistConsumerOffsetInterval`).
pub const CONSUMER_PERSIST_INTERVAL_MS: u64 = 5000;
/// How long the consumer waits for the broker to take a message back (`sendMessageBack`).
pub const SENDBACK_TIMEOUT_MS: u64 = 5000;
/// The outbox scanner looks for pending rows this often.
pub const OUTBOX_SCAN_INTERVAL_MS: u64 = 5000;
/// The outbox scanner gives up on a row after this many resends, and raises an alert.
pub const OUTBOX_MAX_TRIES: u32 = 5;
/// A pull whose response never came is retried after this long.
pub const PULL_TIMEOUT_MS: u64 = 1000;
/// A message whose sendMessageBack failed is consumed again locally after this long.
pub const LOCAL_RETRY_MS: u64 = 5000;
/// The broker closes a consumer's channel it has not heard from in this long (RocketMQ
/// `channelExpiredTimeout`, 120 s, checked by `ClientHousekeepingService` every 10 s).
pub const CHANNEL_EXPIRED_MS: u64 = 120_000;
/// How often the broker's client housekeeping looks for expired channels.
pub const CLIENT_SCAN_MS: u64 = 10_000;
/// `run` without MS stops after this much virtual time even if work remains (the whole retry
/// ladder of 16 retries, about 4 h 46 min, fits well inside).
pub const RUN_BOUND_MS: u64 = 24 * 3600 * 1000;
/// `run` without MS also stops after this many events.
pub const RUN_MAX_EVENTS: u64 = 5_000_000;
/// RocketMQ `messageDelayLevel`, levels 1..18.
pub const DELAY_LEVELS_MS: [u64; 18] = [
    1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000,
    540_000, 600_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000,
];

/// The delay before retry `n` (1-based): delay level `2 + n` (10 s for the first), capped at 2 h.
/// The delay level (1-based) of retry `n`: RocketMQ's broker uses level `3 + reconsumeTimes`.
pub fn retry_level(n: u32) -> u32 {
    (n + 2).clamp(1, DELAY_LEVELS_MS.len() as u32)
}

pub fn retry_delay_ms(n: u32) -> u64 {
    let level = (n as usize + 2).clamp(1, DELAY_LEVELS_MS.len());
    DELAY_LEVELS_MS[level - 1]
}

/// Something scheduled to happen at a virtual time.
#[derive(Debug, Clone, Copy)]
enum Due {
    /// A producer's first attempt of `msg` (the producer is the message's sender).
    Transmit {
        msg: MsgId,
        life: u32,
    },
    Arrive {
        env: u64,
    },
    AttemptTimeout {
        msg: MsgId,
        attempt: u32,
        life: u32,
    },
    GroupCommit {
        node: Node,
        life: u32,
    },
    FlushTick {
        node: Node,
        life: u32,
        at: u64,
    },
    FlushDeadline {
        node: Node,
        life: u32,
        waiter: u64,
    },
    SlaveDeadline {
        node: Node,
        life: u32,
        waiter: u64,
    },
    /// HA housekeeping: the master drops a connection silent since `since`.
    HaDrop {
        node: Node,
        life: u32,
        since: u64,
    },
    OffsetPersist {
        node: Node,
        life: u32,
    },
    ConsumerPersist {
        consumer: Node,
        life: u32,
    },
    SendBackTimeout {
        consumer: Node,
        id: u64,
        life: u32,
    },
    OutboxScan {
        producer: Node,
        life: u32,
    },
    ProcessDone {
        consumer: Node,
        work: u64,
        life: u32,
    },
    PullTimeout {
        consumer: Node,
        epoch: u32,
    },
    /// The pull requests `consumer` sent (its sessions with a pull pending) reach the master.
    Rejoin {
        consumer: Node,
        life: u32,
    },
    /// The broker told `consumer` the group changed (or it joined): it rebalances.
    Rebalance {
        consumer: Node,
        life: u32,
    },
    /// The master's housekeeping closes the channel of a consumer it has not heard from in
    /// [`CHANNEL_EXPIRED_MS`] (a consumer that lost power or was cut off).
    ConsumerExpired {
        broker: Node,
        broker_life: u32,
        consumer: Node,
        life: u32,
    },
    RetryReady {
        node: Node,
        entry: usize,
        life: u32,
    },
}

/// What one step produced: the node it happened at, the line, the messages it touched.
type Out = (Option<Node>, Said, Vec<MsgId>);

/// A world: the nodes, the network, the clock, the queue, the ledger and the trace.
#[derive(Debug)]
pub struct World {
    settings: Settings,
    now: u64,
    step: u64,
    seq: u64,
    queue: BTreeMap<(u64, u64), Due>,
    net: Net,
    producers: Vec<Producer>,
    brokers: Vec<Broker>,
    consumers: Vec<Consumer>,
    /// What the consumer group keeps in shared durable storage.
    group: Group,
    master: Node,
    /// The next producer instance id, and the next pull session epoch (unique in the world).
    next_producer_id: u32,
    next_epoch: u32,
    ledger: Vec<MsgInfo>,
    trace: Vec<Event>,
    /// Alerts raised, each with the sequence gap it reports (so a late arrival withdraws it).
    alerts: Vec<(Option<Gap>, Said)>,
    rng: fastrand::Rng,
    /// Events (and alerts) are also said in Chinese.
    zh: bool,
    /// What the event being handled did on the wire, and to a node's life; taken by the trace.
    wire: Vec<Wire>,
    mark: Option<Mark>,
}

/// A sequence gap the consumer flagged: these seqs of this producer were missing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Gap {
    producer: crate::ids::ProducerId,
    queue: u32,
    seqs: BTreeSet<u64>,
}

fn bi(node: Node) -> usize {
    node.index()
}

fn next_grid(now: u64, interval: u64) -> u64 {
    let interval = interval.max(1);
    (now / interval + 1) * interval
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

impl World {
    /// Builds the default topology; the broker's and replica's logs live in `dir/broker` and
    /// `dir/replica` with MmapStorage, or in memory with MemStorage. Their files start empty: a
    /// log directory is taken only if mqlab made it or it is empty, and only its segment files
    /// are removed (set-aside cuts stay); anything else in it is refused, untouched.
    pub fn new(seed: u64, storage: StorageKind, dir: &Path, settings: Settings) -> Result<Self, String> {
        let broker_dir = dir.join("broker");
        let replica_dir = dir.join("replica");
        if storage == StorageKind::Mmap {
            for d in [&broker_dir, &replica_dir] {
                files::empty_log_dir(d)?;
            }
        }
        let queues = settings.topic_queues;
        let broker = Broker::open(Node::BROKER, Role::Master, storage, &broker_dir, queues)?;
        let replica = Broker::open(Node::REPLICA, Role::Slave, storage, &replica_dir, queues)?;
        let producers = (0..settings.cluster_producers)
            .map(|i| Producer::new(Node::Producer(i as u8), crate::ids::ProducerId(i + 1)))
            .collect();
        let consumers =
            (0..settings.cluster_consumers).map(|i| Consumer::new(Node::Consumer(i as u8))).collect();
        let next_producer_id = settings.cluster_producers + 1;
        let mut world = World {
            settings,
            now: 0,
            step: 0,
            seq: 0,
            queue: BTreeMap::new(),
            net: Net::default(),
            producers,
            brokers: vec![broker, replica],
            consumers,
            group: Group::default(),
            master: Node::BROKER,
            next_producer_id,
            next_epoch: 0,
            ledger: Vec::new(),
            trace: Vec::new(),
            alerts: Vec::new(),
            rng: fastrand::Rng::with_seed(seed),
            zh: false,
            wire: Vec::new(),
            mark: None,
        };
        // The replica's HA connection is open from the start; it ships only when replication is on.
        world.brokers[0].ha_connected = true;
        // The consumers start registered and pulling: the first rebalance has happened.
        world.start_group();
        Ok(world)
    }

    pub fn now(&self) -> u64 {
        self.now
    }
    pub fn step(&self) -> u64 {
        self.step
    }
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    pub fn trace(&self) -> &[Event] {
        &self.trace
    }
    /// The alerts still standing (a gap alert is withdrawn when the missing message arrives).
    pub fn alerts(&self) -> impl Iterator<Item = &Said> + '_ {
        self.alerts.iter().map(|(_, said)| said)
    }
    /// From now on, every event and alert is also said in Chinese.
    pub fn set_chinese(&mut self, on: bool) {
        self.zh = on;
    }

    // ----- the queue -------------------------------------------------------------------------

    fn schedule(&mut self, at_ms: u64, due: Due) {
        self.seq += 1;
        self.queue.insert((at_ms, self.seq), due);
    }

    fn b(&self, node: Node) -> &Broker {
        &self.brokers[bi(node)]
    }
    fn bm(&mut self, node: Node) -> &mut Broker {
        &mut self.brokers[bi(node)]
    }
    fn info(&mut self, id: MsgId) -> &mut MsgInfo {
        &mut self.ledger[(id.0 - 1) as usize]
    }
    /// The producer that sent `id`.
    fn sender(&self, id: MsgId) -> Node {
        self.ledger[(id.0 - 1) as usize].sender
    }
    fn p(&self, node: Node) -> &Producer {
        &self.producers[node.index()]
    }
    fn c(&self, node: Node) -> &Consumer {
        &self.consumers[node.index()]
    }
    fn cm(&mut self, node: Node) -> &mut Consumer {
        &mut self.consumers[node.index()]
    }
    /// Whether the world has this node.
    pub fn has_node(&self, node: Node) -> bool {
        match node {
            Node::Producer(i) => usize::from(i) < self.producers.len(),
            Node::Broker(i) => usize::from(i) < self.brokers.len(),
            Node::Consumer(i) => usize::from(i) < self.consumers.len(),
        }
    }
    /// ", queue 2" when the topic has several queues (nothing when it has one).
    fn queue_label(&self, queue: u32, zh: bool) -> String {
        match (self.settings.topic_queues, zh) {
            (1, _) => String::new(),
            (_, false) => format!(", queue {queue}"),
            (_, true) => format!("，队列 {queue}"),
        }
    }
    fn lose(&mut self, ids: &[MsgId], cause: Cause) {
        for id in ids {
            self.info(*id).last_loss = Some(cause);
        }
    }

    /// Whether a scheduled event still has a reason to happen.
    fn is_live(&self, due: &Due) -> bool {
        match *due {
            Due::Transmit { msg, life } => {
                let p = self.p(self.sender(msg));
                p.up && p.life == life && p.pending.get(&msg).is_some_and(|p| p.attempt == 0)
            }
            Due::Arrive { .. } => true,
            Due::AttemptTimeout { msg, attempt, life } => {
                let p = self.p(self.sender(msg));
                p.life == life && p.pending.get(&msg).is_some_and(|p| p.attempt == attempt && p.awaiting)
            }
            Due::GroupCommit { node, life } => self.b(node).life == life && self.b(node).up,
            Due::FlushTick { node, life, at } => {
                let b = self.b(node);
                b.life == life && b.up && b.flush_tick_at == Some(at) && b.written_pos > b.flushed_pos
            }
            Due::FlushDeadline { node, life, waiter } => {
                let b = self.b(node);
                b.life == life && b.waiters.get(&waiter).is_some_and(|w| w.flush.is_none())
            }
            Due::SlaveDeadline { node, life, waiter } => {
                let b = self.b(node);
                b.life == life && b.waiters.get(&waiter).is_some_and(|w| w.replica.is_none())
            }
            Due::HaDrop { node, life, since } => {
                let b = self.b(node);
                b.life == life && b.up && b.ha_connected && b.ha_silent_since == Some(since)
            }
            Due::OffsetPersist { node, life } => {
                let b = self.b(node);
                b.life == life
                    && b.up
                    && (b.queues.iter().any(|q| q.committed != q.persisted)
                        || b.retry_done != b.retry_done_persisted)
            }
            Due::ConsumerPersist { consumer, life } => {
                self.has_node(consumer) && self.c(consumer).life == life && self.consumer_has_news(consumer)
            }
            Due::SendBackTimeout { consumer, id, life } => {
                self.has_node(consumer) && {
                    let c = self.c(consumer);
                    c.life == life && c.sendbacks.contains_key(&id)
                }
            }
            Due::OutboxScan { producer, life } => {
                self.has_node(producer) && {
                    let p = self.p(producer);
                    p.up && p.life == life && !p.rows_to_scan().is_empty()
                }
            }
            Due::ProcessDone { consumer, work, life } => {
                self.has_node(consumer) && {
                    let c = self.c(consumer);
                    c.life == life && c.work.contains_key(&work)
                }
            }
            Due::PullTimeout { consumer, epoch } => {
                self.has_node(consumer) && self.c(consumer).up && self.c(consumer).session_of(epoch).is_some()
            }
            Due::Rejoin { consumer, life } => {
                self.has_node(consumer) && {
                    let c = self.c(consumer);
                    c.up && c.life == life && c.pulls.values().any(|p| p.pending.is_some())
                }
            }
            Due::Rebalance { consumer, life } => {
                self.has_node(consumer)
                    && self.c(consumer).up
                    && self.c(consumer).life == life
                    && self.rebalance_due(consumer)
            }
            Due::ConsumerExpired { broker, broker_life, consumer, life } => {
                let b = self.b(broker);
                let _ = life;
                b.up && b.life == broker_life
                    && b.group.contains(&consumer)
                    && (!self.has_node(consumer)
                        || !self.c(consumer).up
                        || !self.net.connected(consumer, broker))
            }
            Due::RetryReady { node, entry, life } => {
                let b = self.b(node);
                b.life == life && b.up && b.retry.get(&entry).is_some_and(|r| !r.delivered)
            }
        }
    }

    /// A stale timer leaves the queue: clear the flag that kept it from being scheduled twice.
    fn discard(&mut self, due: &Due) {
        match *due {
            Due::FlushTick { node, life, at }
                if self.b(node).life == life && self.b(node).flush_tick_at == Some(at) =>
            {
                self.bm(node).flush_tick_at = None;
            }
            Due::OffsetPersist { node, life } if self.b(node).life == life => {
                self.bm(node).persist_tick = false
            }
            Due::ConsumerPersist { consumer, life }
                if self.has_node(consumer) && self.c(consumer).life == life =>
            {
                self.cm(consumer).persist_tick = false
            }
            Due::OutboxScan { producer, life }
                if self.has_node(producer) && self.p(producer).life == life =>
            {
                self.producers[producer.index()].scan_tick = false
            }
            _ => {}
        }
    }

    /// Nothing live is scheduled.
    pub fn is_idle(&self) -> bool {
        self.next_live_ms().is_none()
    }

    /// The time of the next live event. It only looks: stale timers leave the queue in
    /// [`World::step_one`] alone, so a replay of the same steps drops exactly the same ones.
    fn next_live_ms(&self) -> Option<u64> {
        self.queue.iter().find(|((at, _), due)| *at >= self.now && self.is_live(due)).map(|((at, _), _)| *at)
    }

    fn emit(&mut self, (node, said, messages): Out) -> Event {
        let Said { en: text, zh } = said.finished();
        self.step += 1;
        let (wire, mark) = (std::mem::take(&mut self.wire), self.mark.take());
        let event = Event { step: self.step, at_ms: self.now, node, text, zh, messages, wire, mark };
        self.trace.push(event.clone());
        event
    }

    /// Raises an alert (kept as its event lines are).
    fn alert(&mut self, said: Said) {
        self.alerts.push((None, said.finished()));
    }

    /// Appends an event to the trace without handing out a copy (the hot path of `run`).
    fn record(&mut self, (node, said, messages): Out) {
        let Said { en: text, zh } = said.finished();
        self.step += 1;
        let (wire, mark) = (std::mem::take(&mut self.wire), self.mark.take());
        self.trace.push(Event { step: self.step, at_ms: self.now, node, text, zh, messages, wire, mark });
    }

    /// Processes the next live event, which becomes the last of [`World::trace`]; `false` when
    /// idle.
    pub fn step_one(&mut self) -> Result<bool, String> {
        while let Some(((at, _), due)) = self.queue.pop_first() {
            // A timer whose reason went away may look live again later; once its time has
            // passed it is stale for good.
            if at < self.now || !self.is_live(&due) {
                self.discard(&due);
                continue;
            }
            self.now = at;
            let out = self.handle(due)?;
            self.record(out);
            return Ok(true);
        }
        Ok(false)
    }

    /// Runs until idle or until `ms` more virtual ms have passed (the clock then moves there).
    /// Without `ms`, stops at [`RUN_BOUND_MS`] or [`RUN_MAX_EVENTS`] and says so in an event.
    /// Returns how many events it added to the trace and whether the bound was hit.
    pub fn run(&mut self, ms: Option<u64>) -> Result<(u64, bool), String> {
        self.run_observed(ms, &mut |_| Ok(()))
    }

    /// [`World::run`], calling `observe` after each event (a session takes its snapshots there).
    pub fn run_observed(
        &mut self,
        ms: Option<u64>,
        observe: &mut dyn FnMut(&World) -> Result<(), String>,
    ) -> Result<(u64, bool), String> {
        let start = self.now;
        let mut count = 0u64;
        match ms {
            Some(ms) => {
                let target = start + ms;
                while self.next_live_ms().is_some_and(|t| t <= target) {
                    count += u64::from(self.step_one()?);
                    observe(self)?;
                }
                self.now = self.now.max(target);
                Ok((count, false))
            }
            None => {
                let bound = start + RUN_BOUND_MS;
                while let Some(t) = self.next_live_ms() {
                    if t > bound || count >= RUN_MAX_EVENTS {
                        let at = if t > bound { bound } else { self.now };
                        self.bound_event(at);
                        return Ok((count + 1, true));
                    }
                    count += u64::from(self.step_one()?);
                    observe(self)?;
                }
                Ok((count, false))
            }
        }
    }

    /// Once a `run` ends idle: says which messages are still pending though nothing scheduled
    /// will move them, and why (a step of its own). Returns whether it said anything.
    pub fn say_stranded(&mut self) -> bool {
        match self.stranded() {
            Some(out) => {
                self.record(out);
                true
            }
            None => false,
        }
    }

    /// At idle, the messages still pending that nothing scheduled will move, and what would.
    fn stranded(&self) -> Option<Out> {
        let pending: Vec<MsgId> =
            self.messages().into_iter().filter(|m| m.fate == Fate::Pending).map(|m| m.id).collect();
        if pending.is_empty() {
            return None;
        }
        let z = self.zh;
        let master = self.master;
        let mut why = Vec::new();
        if !self.node_up(master) {
            let master_zh = master.name_zh();
            why.push(said!(z, "{master} is down", "{master_zh}已宕机"));
        }
        for c in self.consumers.iter().filter(|c| !c.up) {
            let (node, node_zh) = (c.node, c.node.name_zh());
            if node == Node::CONSUMER && self.consumers.len() == 1 {
                why.push(said!(z, "the consumer is down", "消费者已宕机"));
            } else {
                why.push(said!(z, "{node} is down", "{node_zh}已宕机"));
            }
        }
        for p in self.producers.iter().filter(|p| !p.up && p.pending_rows() > 0) {
            let (node, node_zh) = (p.node, p.node.name_zh());
            if node == Node::PRODUCER && self.producers.len() == 1 {
                why.push(said!(
                    z,
                    "the producer is down with outbox rows",
                    "生产者已宕机，本地消息表里还有记录"
                ));
            } else {
                why.push(said!(
                    z,
                    "{node} is down with outbox rows",
                    "{node_zh}已宕机，本地消息表里还有记录"
                ));
            }
        }
        if !self.net.partitioned.is_empty() {
            why.push(said!(z, "the network is partitioned", "网络被隔离"));
        }
        if self.slave().is_some() && self.b(Node::REPLICA).up && !self.b(master).ha_connected {
            why.push(said!(
                z,
                "the replica holds records the master does not and refuses to sync",
                "从节点持有主节点没有的记录，拒绝同步"
            ));
        }
        if why.is_empty() {
            why.push(said!(z, "no node has work scheduled", "没有任何节点还有待执行的工作"));
        }
        let list = msgs_text(&pending);
        let mut text = said!(
            z,
            "run: idle with {list} still pending; nothing scheduled will move them: ",
            "run：已空闲，{list} 仍未完成；没有任何已安排的事件会推动它们："
        );
        text.push(Said::join(why));
        Some((None, text, pending))
    }

    /// The event a `run` emits when it stops at its bound (also replayed by `back`).
    pub fn bound_event(&mut self, at_ms: u64) -> Event {
        self.now = self.now.max(at_ms);
        let pending = self.queue.values().filter(|d| self.is_live(d)).count();
        let (hours, events) = (RUN_BOUND_MS / 3_600_000, RUN_MAX_EVENTS);
        let text = said!(
            self.zh,
            "run: stopped at the bound of {hours} h virtual time or {events} events; {} still scheduled",
            "run：到达上限（虚拟时间 {hours} 小时或 {events} 个事件）后停止；还有 {pending} 个事件待执行"; en:
            plural(pending, "event")
        );
        self.emit((None, text, vec![]))
    }

    /// Moves the clock forward (a `run MS` that ended before MS).
    pub fn clock_to(&mut self, ms: u64) {
        self.now = self.now.max(ms);
    }

    // ----- the network -----------------------------------------------------------------------

    fn send(&mut self, kind: EnvelopeKind, from: Node, to: Node, payload: Payload) {
        let arrives_ms = self.now + self.settings.net_latency_ms;
        let env = Envelope { kind, from, to, sent_ms: self.now, arrives_ms, doomed: None, payload };
        let id = self.net.send(env);
        let env = &self.net.envelopes[&id];
        let arrives_ms = env.arrives_ms;
        self.wire.push(env.wire(id, WireWhat::Sent { arrives_ms }));
        self.schedule(arrives_ms, Due::Arrive { env: id });
    }

    /// Whether the node exists and is up (a retired master is not).
    fn node_up(&self, node: Node) -> bool {
        if !self.has_node(node) {
            return false;
        }
        match node {
            Node::Producer(_) => self.p(node).up,
            Node::Consumer(_) => self.c(node).up,
            Node::Broker(_) => self.b(node).up && self.b(node).role != Role::Retired,
        }
    }

    fn slave(&self) -> Option<Node> {
        (self.master == Node::BROKER && self.brokers[1].role == Role::Slave).then_some(Node::REPLICA)
    }

    /// SYNC_MASTER can wait for a replica while its HA connection is open: a replica that
    /// lost power or was cut off keeps it open until housekeeping drops it.
    fn slave_available(&self) -> bool {
        self.slave().is_some() && self.node_up(self.master) && self.b(self.master).ha_connected
    }

    fn arrive(&mut self, id: u64) -> Result<Out, String> {
        let z = self.zh;
        let Some(env) = self.net.envelopes.remove(&id) else {
            return Ok((None, said!(z, "network: nothing arrived", "网络：没有东西到达"), vec![]));
        };
        let what = |env: &Envelope| {
            let mentions = env.payload.mentions();
            let (kind, kind_zh) = (kind_name(env.kind), kind_name_zh(env.kind));
            match &env.payload {
                Payload::Commit { offsets, .. } if mentions.is_empty() && offsets.len() == 1 => {
                    let offset = offsets[0].2;
                    said!(z, "commit of offset {offset}", "位点 {offset} 的提交")
                }
                _ if mentions.is_empty() => said!(z, "{kind}", "{kind_zh}"),
                _ => said!(z, "{kind} {}", "{kind_zh} {}", msgs_text(&mentions)),
            }
        };
        let (from, to, to_zh) = (env.from, env.to, env.to.name_zh());
        let what_now = match env.doomed {
            Some(reason) => WireWhat::Dropped { partitioned: reason == "partitioned" },
            None if !self.node_up(env.to) => WireWhat::Lost,
            None if matches!(env.payload, Payload::Request { .. }) && env.to != self.master => WireWhat::Lost,
            None => WireWhat::Arrived,
        };
        self.wire.push(env.wire(id, what_now));
        if let Some(reason) = env.doomed {
            let what = what(&env);
            let (what, what_zh) = (what.en, what.zh);
            let (from_zh, reason_zh) = (from.name_zh(), doom_zh(reason));
            let text = said!(
                z,
                "network: dropped {what} {from}→{to} ({reason})",
                "网络：丢弃了{what_zh}，{from_zh}→{to_zh}（{reason_zh}）"
            );
            return Ok(self.lost_envelope(env, text));
        }
        if !self.node_up(env.to) {
            let what = what(&env);
            let (what, what_zh) = (what.en, what.zh);
            let text = if env.to.has_log() && self.b(env.to).role == Role::Retired {
                said!(
                    z,
                    "network: {what} to {to} lost: {to} was replaced by the promoted replica",
                    "网络：发往{to_zh}的{what_zh}丢失：{to_zh}已被升主的从节点取代"
                )
            } else {
                said!(
                    z,
                    "network: {what} to {to} lost: {to} is down",
                    "网络：发往{to_zh}的{what_zh}丢失：{to_zh}已宕机"
                )
            };
            return Ok(self.lost_envelope(env, text));
        }
        match env.payload {
            Payload::Request { msg, attempt, oneway, queue } => {
                if env.to != self.master {
                    let text = said!(
                        z,
                        "network: request {msg} to {to} lost: it is not the master",
                        "网络：发往{to_zh}的请求 {msg} 丢失：它不是主节点"
                    );
                    self.lose(&[msg], Cause::DroppedInNetwork);
                    return Ok((Some(env.to), text, vec![msg]));
                }
                self.on_request(msg, attempt, oneway, queue)
            }
            Payload::Response { msg, attempt, status } => Ok(self.on_response(msg, attempt, status)),
            Payload::Replicate { life, from_pos, records, msgs } => {
                self.on_replicate(env.to, life, from_pos, &records, msgs)
            }
            Payload::ReplicaAck { life, pos } => self.on_replica_ack(env.to, life, pos),
            Payload::Delivery { epoch, item, msg, reconsume } => {
                Ok(self.on_delivery(env.to, epoch, item, msg, reconsume))
            }
            Payload::Commit { offsets, retry_epoch, retry_done, closing } => {
                Ok(self.on_commit(env.to, env.from, &offsets, retry_epoch, &retry_done, &closing))
            }
            Payload::SendBack { epoch, id, item, msg, reconsume } => {
                self.on_sendback(env.to, env.from, epoch, id, item, msg, reconsume)
            }
            Payload::SendBackAck { id, msg } => Ok(self.on_sendback_ack(env.to, id, msg)),
        }
    }

    fn lost_envelope(&mut self, env: Envelope, text: Said) -> Out {
        // Only a request carries a copy nothing else holds; a delivery or a shipment is a read
        // of a stored copy, whose own fate decides the message's. A lost sendMessageBack is
        // found out by its time-out; a lost pull response by the pull's.
        if let Payload::Request { msg, .. } = env.payload {
            self.lose(&[msg], Cause::DroppedInNetwork);
        }
        if let Payload::Delivery { epoch, .. } = env.payload
            && self.node_up(env.to)
        {
            self.schedule(self.now + PULL_TIMEOUT_MS, Due::PullTimeout { consumer: env.to, epoch });
        }
        (None, text, env.payload.mentions())
    }

    // ----- dispatch --------------------------------------------------------------------------

    fn handle(&mut self, due: Due) -> Result<Out, String> {
        match due {
            Due::Transmit { msg, .. } => {
                let producer = self.sender(msg);
                let producer_zh = producer.name_zh();
                let mut text = said!(self.zh, "{producer}: ", "{producer_zh}：");
                text.push(self.transmit(msg));
                Ok((Some(producer), text, vec![msg]))
            }
            Due::Arrive { env } => self.arrive(env),
            Due::AttemptTimeout { msg, attempt, .. } => Ok(self.attempt_timeout(msg, attempt)),
            Due::GroupCommit { node, .. } => self.group_commit(node),
            Due::FlushTick { node, .. } => self.flush_tick(node),
            Due::FlushDeadline { node, waiter, .. } => Ok(self.flush_deadline(node, waiter)),
            Due::SlaveDeadline { node, waiter, .. } => Ok(self.slave_deadline(node, waiter)),
            Due::HaDrop { node, .. } => Ok(self.ha_drop(node)),
            Due::OffsetPersist { node, .. } => Ok(self.persist_offsets(node)),
            Due::ConsumerPersist { consumer, .. } => Ok(self.consumer_persist(consumer)),
            Due::SendBackTimeout { consumer, id, .. } => Ok(self.sendback_timeout(consumer, id)),
            Due::OutboxScan { producer, .. } => Ok(self.outbox_scan(producer)),
            Due::ProcessDone { consumer, work, .. } => Ok(self.process_done(consumer, work)),
            Due::PullTimeout { consumer, epoch } => Ok(self.pull_timeout(consumer, epoch)),
            Due::Rejoin { consumer, .. } => Ok(self.rejoin(consumer)),
            Due::Rebalance { consumer, .. } => Ok(self.rebalance(consumer)),
            Due::ConsumerExpired { broker, consumer, .. } => Ok(self.consumer_expired(broker, consumer)),
            Due::RetryReady { node, entry, .. } => Ok(self.retry_due(node, entry)),
        }
    }

    // ----- broker: store ---------------------------------------------------------------------

    fn on_request(&mut self, msg: MsgId, attempt: u32, oneway: bool, queue: u32) -> Result<Out, String> {
        let master = self.master;
        if self.ledger[(msg.0 - 1) as usize].body.is_empty() {
            let len = self.rng.usize(64..=256);
            let body = (0..len).map(|_| self.rng.u8(..)).collect();
            self.info(msg).body = body;
        }
        let info = &self.ledger[(msg.0 - 1) as usize];
        let body = info.body.clone();
        let record = Record {
            msg_id: msg,
            producer_id: info.producer,
            seq: info.seq,
            reconsume_times: 0,
            queue_id: queue,
            topic: crate::log::TOPIC.to_owned(),
            key: format!("{}-{}", info.producer, info.seq),
            timestamp_ms: self.now,
            body,
        };
        let (entry, _) = self.bm(master).append(&record)?;
        let queue_offset = self.b(master).queue_len(queue) - 1;
        let z = self.zh;
        let (from, to, master_zh) = (entry.offset, entry.end, master.name_zh());
        let (ql, ql_zh) = (self.queue_label(queue, false), self.queue_label(queue, true));
        let mut text = said!(
            z,
            "{master}: stored {msg} at offset {queue_offset}{ql}, bytes {from}..{to} (page cache)",
            "{master_zh}：把 {msg} 存在位点 {queue_offset}{ql_zh}，字节 {from}..{to}（页缓存）"
        );
        let flush = match self.settings.broker_flush {
            FlushMode::Async => {
                self.arm_flush_tick(master);
                Some(FlushOutcome::NotWaited)
            }
            FlushMode::Sync => None,
        };
        let slave_ok = self.slave_available();
        let replica = match self.settings.broker_replication {
            Replication::None | Replication::Async => Some(ReplicaOutcome::NotWaited),
            Replication::Sync if slave_ok => None,
            Replication::Sync => Some(ReplicaOutcome::NotAvailable),
        };
        let b = self.bm(master);
        let waiter = b.next_waiter;
        b.next_waiter += 1;
        b.waiters.insert(waiter, Waiter { msg, attempt, oneway, end: entry.end, flush, replica });
        let life = b.life;
        if flush.is_none() {
            let at = self.arm_group_commit(master);
            let deadline = self.now + self.settings.broker_flush_timeout_ms;
            if deadline < at {
                self.schedule(deadline, Due::FlushDeadline { node: master, life, waiter });
            }
            text.push(said!(
                z,
                "; SYNC_FLUSH: waits for the group commit at {at} ms",
                "；SYNC_FLUSH：等待 {at} ms 的组提交"
            ));
        }
        let shipped = self.ship(master)?;
        match replica {
            None => {
                self.schedule(self.now + SLAVE_TIMEOUT_MS, Due::SlaveDeadline { node: master, life, waiter });
                text.push(if shipped.is_empty() {
                    said!(z, "; SYNC_MASTER: waits for the replica's ack", "；SYNC_MASTER：等待从节点确认")
                } else {
                    said!(
                        z,
                        "; SYNC_MASTER: shipped to the replica, waits for its ack",
                        "；SYNC_MASTER：已发给从节点，等待它的确认"
                    )
                });
            }
            Some(ReplicaOutcome::NotAvailable) => {
                text.push(said!(z, "; SYNC_MASTER: no replica connected", "；SYNC_MASTER：没有从节点连着"));
            }
            _ if !shipped.is_empty() => {
                text.push(said!(
                    z,
                    "; ASYNC_MASTER: streams it to the replica",
                    "；ASYNC_MASTER：把它推送给从节点"
                ));
            }
            _ => {}
        }
        if let Some(status) = self.respond_if_ready(master, waiter) {
            text.push(answers(z, status));
        }
        let delivered = self.dispatch();
        if !delivered.is_empty() {
            let to: Vec<Node> = self.b(master).queues[queue as usize].sessions.keys().copied().collect();
            match to.as_slice() {
                [one] if *one != Node::CONSUMER || self.consumers.len() > 1 => {
                    let (one, one_zh) = (one.name(), one.name_zh());
                    text.push(said!(z, "; delivers it to {one}", "；投递给{one_zh}"));
                }
                _ => text.push(said!(z, "; delivers it to the consumer", "；投递给消费者")),
            }
        }
        Ok((Some(master), text, vec![msg]))
    }

    /// Answers a waiting send once both its flush and replication outcomes are known.
    fn respond_if_ready(&mut self, node: Node, waiter: u64) -> Option<SendStatus> {
        let w = self.b(node).waiters.get(&waiter)?;
        let status = w.status()?;
        let (msg, attempt, oneway) = (w.msg, w.attempt, w.oneway);
        self.bm(node).waiters.remove(&waiter);
        if oneway {
            return None;
        }
        self.send(EnvelopeKind::Response, node, Node::PRODUCER, Payload::Response { msg, attempt, status });
        Some(status)
    }

    /// SYNC_FLUSH: the group commit service runs its next batch shortly; returns when.
    fn arm_group_commit(&mut self, node: Node) -> u64 {
        if let Some(at) = self.b(node).group_commit_at {
            return at;
        }
        let at = self.now + DISK_SYNC_MS;
        let life = self.b(node).life;
        self.bm(node).group_commit_at = Some(at);
        self.schedule(at, Due::GroupCommit { node, life });
        at
    }

    /// ASYNC_FLUSH: when the flusher will next flush what is dirty now. It wakes every
    /// `broker.flush_interval_ms` but flushes only when at least [`FLUSH_LEAST_PAGES`] pages are
    /// dirty, or on a thorough wake: the first after the broker started, then one every
    /// [`FLUSH_THOROUGH_INTERVAL_MS`]. Wakes that would find too little are not scheduled.
    fn arm_flush_tick(&mut self, node: Node) {
        let interval = self.settings.broker_flush_interval_ms;
        let b = self.b(node);
        let dirty = b.written_pos - b.flushed_pos;
        if dirty == 0 {
            return;
        }
        let next = next_grid(self.now, interval);
        let at = if dirty >= FLUSH_LEAST_PAGES * PAGE_BYTES { next } else { self.next_thorough(node, next) };
        if b.flush_tick_at.is_some_and(|armed| armed <= at) {
            return;
        }
        let life = b.life;
        self.bm(node).flush_tick_at = Some(at);
        self.schedule(at, Due::FlushTick { node, life, at });
    }

    /// The first thorough wake of `node`'s flusher at or after `from` (RocketMQ's
    /// `FlushRealTimeService` flushes whatever is dirty when `flushCommitLogThoroughInterval`
    /// has passed since its last thorough flush; its first wake after a start is one).
    fn next_thorough(&self, node: Node, from: u64) -> u64 {
        let interval = self.settings.broker_flush_interval_ms.max(1);
        let first = next_grid(self.b(node).started_ms, interval);
        let every = FLUSH_THOROUGH_INTERVAL_MS.div_ceil(interval) * interval;
        if from <= first {
            return first;
        }
        first + (from - first).div_ceil(every) * every
    }

    /// Schedules every copy on `node`'s delay ladder for its due time (or now, if overdue):
    /// after a restart, a catch-up from the replica or a promotion rebuilt the ladder.
    fn schedule_retries(&mut self, node: Node) {
        let (life, now) = (self.b(node).life, self.now);
        let due: Vec<(usize, u64)> =
            self.b(node).retry.iter().map(|(i, r)| (*i, r.due_ms.max(now))).collect();
        for (entry, at) in due {
            self.schedule(at, Due::RetryReady { node, entry, life });
        }
    }

    fn arm_persist(&mut self, node: Node) {
        if !self.b(node).persist_tick {
            self.bm(node).persist_tick = true;
            let life = self.b(node).life;
            self.schedule(next_grid(self.now, OFFSET_PERSIST_INTERVAL_MS), Due::OffsetPersist { node, life });
        }
    }

    fn group_commit(&mut self, node: Node) -> Result<Out, String> {
        self.bm(node).group_commit_at = None;
        let flushed = self.bm(node).flush()?;
        let flushed_pos = self.b(node).flushed_pos;
        let ready: Vec<u64> = self
            .b(node)
            .waiters
            .iter()
            .filter(|(_, w)| w.flush.is_none() && w.end <= flushed_pos)
            .map(|(id, _)| *id)
            .collect();
        let mut answered = Vec::new();
        for id in ready {
            if let Some(w) = self.bm(node).waiters.get_mut(&id) {
                w.flush = Some(FlushOutcome::Flushed);
                let msg = w.msg;
                if let Some(status) = self.respond_if_ready(node, id) {
                    answered.push((msg, status));
                }
            }
        }
        let (z, node_zh) = (self.zh, node.name_zh());
        let (mut text, msgs) = match flushed {
            Some((from, to, msgs)) => (
                said!(
                    z,
                    "{node}: group commit: one msync made {} durable (bytes {from}..{to})",
                    "{node_zh}：组提交：一次 msync 让 {} 落盘（字节 {from}..{to}）",
                    msgs_text(&msgs)
                ),
                msgs,
            ),
            None => (
                said!(
                    z,
                    "{node}: group commit: nothing left to flush",
                    "{node_zh}：组提交：已没有要刷的数据"
                ),
                vec![],
            ),
        };
        text.push(answers_text(z, &answered));
        Ok((Some(node), text, msgs))
    }

    fn flush_tick(&mut self, node: Node) -> Result<Out, String> {
        let now = self.now;
        let thorough = self.next_thorough(node, now) == now;
        let b = self.bm(node);
        b.flush_tick_at = None;
        let dirty = b.written_pos - b.flushed_pos;
        let interval = self.settings.broker_flush_interval_ms;
        let (z, node_zh) = (self.zh, node.name_zh());
        let why = if dirty >= FLUSH_LEAST_PAGES * PAGE_BYTES || !thorough {
            let pages = dirty.div_ceil(PAGE_BYTES);
            said!(z, "{pages} pages dirty", "{pages} 页脏数据")
        } else {
            said!(z, "thorough flush", "定期全量刷盘")
        };
        let (why, why_zh) = (why.en, why.zh);
        let flushed = self.bm(node).flush()?;
        // Appends since the flush: wait for enough of them, or the next thorough flush.
        self.arm_flush_tick(node);
        Ok(match flushed {
            Some((from, to, msgs)) => (
                Some(node),
                said!(
                    z,
                    "{node}: async flusher ({interval} ms tick, {why}) synced {} to disk (bytes {from}..{to})",
                    "{node_zh}：异步刷盘线程（每 {interval} ms，{why_zh}）把 {} 刷到磁盘（字节 {from}..{to}）",
                    msgs_text(&msgs)
                ),
                msgs,
            ),
            None => (
                Some(node),
                said!(z, "{node}: async flusher: nothing dirty", "{node_zh}：异步刷盘线程：没有脏数据"),
                vec![],
            ),
        })
    }

    fn flush_deadline(&mut self, node: Node, waiter: u64) -> Out {
        let timeout = self.settings.broker_flush_timeout_ms;
        let (z, node_zh) = (self.zh, node.name_zh());
        let Some(w) = self.bm(node).waiters.get_mut(&waiter) else {
            return (
                Some(node),
                said!(z, "{node}: flush watcher: nothing waiting", "{node_zh}：刷盘监视：没有在等的请求"),
                vec![],
            );
        };
        w.flush = Some(FlushOutcome::TimedOut);
        let msg = w.msg;
        let mut text = said!(
            z,
            "{node}: {msg} not flushed within {timeout} ms (FlushDiskWatcher)",
            "{node_zh}：{msg} 在 {timeout} ms 内没有刷盘（FlushDiskWatcher）"
        );
        if let Some(status) = self.respond_if_ready(node, waiter) {
            text.push(answers(z, status));
        }
        (Some(node), text, vec![msg])
    }

    fn slave_deadline(&mut self, node: Node, waiter: u64) -> Out {
        let (z, node_zh) = (self.zh, node.name_zh());
        let Some(w) = self.bm(node).waiters.get_mut(&waiter) else {
            return (
                Some(node),
                said!(z, "{node}: replica watcher: nothing waiting", "{node_zh}：从节点监视：没有在等的请求"),
                vec![],
            );
        };
        w.replica = Some(ReplicaOutcome::TimedOut);
        let msg = w.msg;
        let mut text = said!(
            z,
            "{node}: the replica did not ack {msg} within {SLAVE_TIMEOUT_MS} ms",
            "{node_zh}：从节点没有在 {SLAVE_TIMEOUT_MS} ms 内确认 {msg}"
        );
        if let Some(status) = self.respond_if_ready(node, waiter) {
            text.push(answers(z, status));
        }
        (Some(node), text, vec![msg])
    }

    // ----- replication -----------------------------------------------------------------------

    /// Streams everything past what the replica was sent (RocketMQ's HA service pushes the
    /// CommitLog as it grows, by byte position).
    fn ship(&mut self, master: Node) -> Result<Vec<MsgId>, String> {
        if self.settings.broker_replication == Replication::None || !self.slave_available() {
            return Ok(vec![]);
        }
        let Some(slave) = self.slave() else { return Ok(vec![]) };
        let from_pos = self.b(master).shipped_pos;
        if from_pos >= self.b(master).written_pos {
            return Ok(vec![]);
        }
        let records = self.b(master).records_from_pos(from_pos)?;
        let msgs = unique(records.iter().map(|(_, r)| r.msg_id));
        let written = self.b(master).written_pos;
        self.bm(master).shipped_pos = written;
        let life = self.b(master).life;
        let payload = Payload::Replicate { life, from_pos, records, msgs: msgs.clone() };
        self.send(EnvelopeKind::Replicate, master, slave, payload);
        Ok(msgs)
    }

    /// The replica (re)connects to the master (either restarted, a heal, replication switched
    /// on): it reports its max physical offset, and the master streams from there. A master
    /// that recovered shorter than its replica first copies back what only the replica holds:
    /// no broker throws away the last good copy. A replica whose log does not match the
    /// master's refuses the connection (RocketMQ's HAClient does the same on an offset
    /// mismatch) and keeps its records for `promote replica`.
    fn reconnect_replica(&mut self) -> Result<Said, String> {
        let master = self.master;
        let Some(slave) = self.slave() else { return Ok(Said::default()) };
        if self.settings.broker_replication == Replication::None
            || !self.node_up(master)
            || !self.b(slave).up
            || !self.net.connected(master, slave)
        {
            return Ok(Said::default());
        }
        let z = self.zh;
        let master_zh = master.name_zh();
        let mut text = Said::default();
        let (m, r) = (self.b(master), self.b(slave));
        if r.written_pos > m.written_pos && m.is_prefix_of(r) {
            let from = m.written_pos;
            let records = self.b(slave).records_from_pos(from)?;
            let mut copied = Vec::new();
            for (_, record) in &records {
                self.bm(master).append(record)?;
                copied.push(record.msg_id);
            }
            let to = self.b(master).written_pos;
            let copied = unique(copied.into_iter());
            text.push(said!(
                z,
                "; the replica is ahead: {master} copies back {} (bytes {from}..{to}) before serving",
                "；从节点更新：{master_zh}先从它取回 {}（字节 {from}..{to}）再提供服务",
                msgs_text(&copied)
            ));
            let flush = self.settings.broker_flush;
            match flush {
                FlushMode::Async => self.arm_flush_tick(master),
                FlushMode::Sync => {
                    self.arm_group_commit(master);
                }
            }
            // The replica's synced copy of the consumer offsets comes back too, where the
            // master's own was lost or is older.
            let synced: Vec<u64> = self.b(slave).queues.iter().map(|q| q.synced).collect();
            let synced_done = self.b(slave).synced_retry_done.clone();
            let b = self.bm(master);
            for (q, synced) in synced.into_iter().enumerate() {
                let bq = b.queue_mut(q as u32);
                if synced > bq.committed {
                    bq.committed = synced.min(bq.len());
                    bq.persisted = bq.committed;
                }
            }
            let done: BTreeSet<usize> = b.retry_done.union(&synced_done).copied().collect();
            b.rebuild_retry(&done);
            b.retry_done_persisted = b.retry_done.clone();
            self.schedule_retries(master);
        } else if !self.b(slave).is_prefix_of(self.b(master)) {
            let (m, r) = (self.b(master), self.b(slave));
            let common = m
                .index
                .iter()
                .zip(&r.index)
                .take_while(|(a, b)| a.msg == b.msg && a.offset == b.offset)
                .count();
            let only = unique(r.index[common..].iter().map(|e| e.msg));
            self.bm(master).ha_connected = false;
            text.push(said!(
                z,
                "; the replica's log does not match {master}'s past record {common}: it refuses to sync and keeps {} (`promote replica` would bring them back)",
                "；从节点的日志在第 {common} 条记录之后与{master_zh}不一致：它拒绝同步，保留 {}（`promote replica` 可以把它们找回）",
                msgs_text(&only)
            ));
            return Ok(text);
        }
        let replica_pos = self.b(slave).written_pos;
        let b = self.bm(master);
        b.ha_connected = true;
        b.ha_silent_since = None;
        b.shipped_pos = replica_pos;
        b.replica_acked_pos = replica_pos;
        let msgs = self.ship(master)?;
        if !msgs.is_empty() {
            text.push(said!(
                z,
                "; {master} ships {} to the replica to catch it up",
                "；{master_zh}把 {} 发给从节点，让它追上",
                msgs_text(&msgs)
            ));
        }
        Ok(text)
    }

    /// The replica went silent (power loss, partition): the master keeps the connection until
    /// housekeeping drops it.
    fn ha_silent(&mut self) {
        let master = self.master;
        if self.settings.broker_replication == Replication::None
            || self.slave().is_none()
            || !self.b(master).ha_connected
            || self.b(master).ha_silent_since.is_some()
        {
            return;
        }
        let (now, life) = (self.now, self.b(master).life);
        self.bm(master).ha_silent_since = Some(now);
        self.schedule(now + HA_HOUSEKEEPING_MS, Due::HaDrop { node: master, life, since: now });
    }

    fn ha_drop(&mut self, node: Node) -> Out {
        self.bm(node).ha_connected = false;
        self.bm(node).ha_silent_since = None;
        let (z, node_zh) = (self.zh, node.name_zh());
        let s = HA_HOUSEKEEPING_MS / 1000;
        let mut text = said!(
            z,
            "{node}: HA housekeeping: nothing heard from the replica for {s} s, drops its connection",
            "{node_zh}：HA 连接清理：{s} 秒没有收到从节点的消息，断开与它的连接"
        );
        if self.settings.broker_replication == Replication::Sync {
            text.push(said!(
                z,
                "; SYNC_MASTER now answers SLAVE_NOT_AVAILABLE at once",
                "；SYNC_MASTER 此后会立即返回 SLAVE_NOT_AVAILABLE"
            ));
        }
        (Some(node), text, vec![])
    }

    fn on_replicate(
        &mut self,
        node: Node,
        life: u32,
        from_pos: u64,
        records: &[(u64, Record)],
        msgs: Vec<MsgId>,
    ) -> Result<Out, String> {
        let (z, node_zh) = (self.zh, node.name_zh());
        if self.b(node).role != Role::Slave || life != self.b(self.master).life {
            return Ok((
                Some(node),
                said!(
                    z,
                    "{node}: ignored a stale shipment of {}",
                    "{node_zh}：忽略了过期的复制数据 {}",
                    msgs_text(&msgs)
                ),
                msgs,
            ));
        }
        let mut appended = Vec::new();
        let start = self.b(node).written_pos;
        if from_pos <= start {
            for (offset, record) in records {
                // The next record, or the first of the next segment when the rest of this one
                // is too short for it (the replica rolls over just as the master did).
                let at = self.b(node).written_pos;
                let segment = crate::log::DEFAULT_SEGMENT_SIZE_BYTES;
                let rolls = *offset > at && offset % segment == 0 && *offset - at < segment;
                if *offset == at || rolls {
                    let (entry, _) = self.bm(node).append(record)?;
                    if entry.offset != *offset {
                        return Err(format!(
                            "{node}: a shipped record of offset {offset} landed at {}",
                            entry.offset
                        ));
                    }
                    appended.push(record.msg_id);
                }
            }
        }
        let end = self.b(node).written_pos;
        let appended = unique(appended.into_iter());
        let mut text = if appended.is_empty() {
            said!(
                z,
                "{node}: nothing new at byte {start} in a shipment of {}",
                "{node_zh}：在字节 {start} 处没有新数据（复制数据 {}）",
                msgs_text(&msgs)
            )
        } else {
            said!(
                z,
                "{node}: appended {} (bytes {start}..{end}, page cache)",
                "{node_zh}：追加了 {}（字节 {start}..{end}，页缓存）",
                msgs_text(&appended)
            )
        };
        if !appended.is_empty() {
            match self.settings.replica_flush {
                FlushMode::Async => self.arm_flush_tick(node),
                FlushMode::Sync => {
                    self.arm_group_commit(node);
                    text.push(said!(z, "; its SYNC_FLUSH will msync it", "；它的 SYNC_FLUSH 会 msync"));
                }
            }
        }
        let master = self.master;
        self.send(EnvelopeKind::ReplicaAck, node, master, Payload::ReplicaAck { life, pos: end });
        text.push(said!(z, "; reports max offset {end}", "；报告最大偏移 {end}"));
        Ok((Some(node), text, msgs))
    }

    fn on_replica_ack(&mut self, node: Node, life: u32, pos: u64) -> Result<Out, String> {
        let (z, node_zh) = (self.zh, node.name_zh());
        if node != self.master || life != self.b(node).life || !self.b(node).ha_connected {
            return Ok((
                Some(node),
                said!(z, "{node}: ignored a stale replica ack", "{node_zh}：忽略了过期的从节点确认"),
                vec![],
            ));
        }
        let b = self.bm(node);
        b.replica_acked_pos = pos;
        b.ha_silent_since = None;
        let ready: Vec<u64> = b
            .waiters
            .iter()
            .filter(|(_, w)| w.replica.is_none() && w.end <= pos)
            .map(|(id, _)| *id)
            .collect();
        let mut answered = Vec::new();
        for id in ready {
            if let Some(w) = self.bm(node).waiters.get_mut(&id) {
                w.replica = Some(ReplicaOutcome::Acked);
                let msg = w.msg;
                if let Some(status) = self.respond_if_ready(node, id) {
                    answered.push((msg, status));
                }
            }
        }
        let mut text = said!(z, "{node}: replica has bytes 0..{pos}", "{node_zh}：从节点已有字节 0..{pos}");
        // A shipment was lost: stream again from what the replica has (once nothing else is on
        // its way between the two).
        let in_flight = self
            .net
            .envelopes
            .values()
            .any(|e| matches!(e.kind, EnvelopeKind::Replicate | EnvelopeKind::ReplicaAck));
        if pos < self.b(node).shipped_pos && !in_flight {
            self.bm(node).shipped_pos = pos;
            let msgs = self.ship(node)?;
            if !msgs.is_empty() {
                text.push(said!(z, "; reships {}", "；重新发送 {}", msgs_text(&msgs)));
            }
        }
        let msgs = answered.iter().map(|(m, _)| *m).collect();
        text.push(answers_text(z, &answered));
        Ok((Some(node), text, msgs))
    }

    fn persist_offsets(&mut self, node: Node) -> Out {
        let b = self.bm(node);
        b.persist_tick = false;
        for q in &mut b.queues {
            q.persisted = q.committed;
        }
        b.retry_done_persisted = b.retry_done.clone();
        let persisted: Vec<u64> = b.queues.iter().map(|q| q.persisted).collect();
        let done = b.retry_done.clone();
        let (z, node_zh) = (self.zh, node.name_zh());
        let mut text = match persisted.as_slice() {
            [one] => said!(
                z,
                "{node}: persisted consumer offset {one} to disk (consumerOffset.json)",
                "{node_zh}：把消费位点 {one} 持久化到磁盘（consumerOffset.json）"
            ),
            many => {
                let list: Vec<String> = many.iter().enumerate().map(|(q, o)| format!("q{q}={o}")).collect();
                let list = list.join(", ");
                said!(
                    z,
                    "{node}: persisted consumer offsets {list} to disk (consumerOffset.json)",
                    "{node_zh}：把消费位点 {list} 持久化到磁盘（consumerOffset.json）"
                )
            }
        };
        if self.settings.broker_replication != Replication::None && self.slave_available() {
            let r = self.bm(Node::REPLICA);
            for (q, p) in persisted.into_iter().enumerate() {
                r.queue_mut(q as u32).synced = p;
            }
            r.synced_retry_done = done;
            text.push(said!(z, "; the replica syncs it", "；从节点同步了它"));
        }
        (Some(node), text, vec![])
    }

    // ----- commands --------------------------------------------------------------------------

    /// Applies one world-changing command (not step/run/back) as one step. A refusal changes
    /// nothing and says why.
    pub fn command(&mut self, command: &Command) -> Result<Result<Event, Said>, String> {
        let out = match command {
            Command::Send(n) => self.cmd_send(*n, Node::PRODUCER, None),
            Command::SendAs { n, from, key } => self.cmd_send(*n, *from, key.as_deref()),
            Command::Set { key, value } => self.cmd_set(key, value)?,
            Command::Crash(node, kind) => self.cmd_crash(*node, *kind)?,
            Command::Restart(node) => self.cmd_restart(*node)?,
            Command::DropNext(kind) => {
                self.net.armed.insert(*kind);
                let name = kind.name();
                let name_zh = match kind {
                    DropKind::Request => "请求",
                    DropKind::Response => "响应",
                    DropKind::Delivery => "投递",
                    DropKind::Commit => "位点提交",
                };
                let text = said!(
                    self.zh,
                    "network: the next {name} envelope will be dropped",
                    "网络：下一个{name_zh}（{name}）将被丢弃"
                );
                Ok((None, text, vec![]))
            }
            Command::Partition(node) => self.cmd_partition(*node),
            Command::Heal => self.cmd_heal()?,
            Command::FailNext(n) => {
                self.group.fail_next += n;
                let fails = self.group.fail_next;
                let text = said!(
                    self.zh,
                    "consumer: the business logic will fail for the next {}",
                    "消费者：接下来 {fails} 次业务处理会失败"; en:
                    plural(fails as usize, "delivery").replace("deliverys", "deliveries")
                );
                Ok((Some(Node::CONSUMER), text, vec![]))
            }
            Command::PromoteReplica => self.cmd_promote()?,
            Command::Step(_) | Command::Run(_) | Command::Back(_) => {
                Err(said!(self.zh, "`{command}` is not a world command", "`{command}` 不是改变世界的命令"))
            }
        };
        if out.is_ok() {
            self.mark = match command {
                Command::Crash(node, kind) => Some(Mark::Crashed { node: *node, kind: *kind }),
                Command::Restart(node) => Some(Mark::Restarted { node: *node }),
                Command::Partition(node) => Some(Mark::Partitioned { node: *node }),
                Command::Heal => Some(Mark::Healed),
                Command::PromoteReplica => Some(Mark::Promoted { node: self.master }),
                _ => None,
            };
        } else {
            self.wire.clear();
        }
        Ok(out.map(|out| self.emit(out)))
    }

    fn cmd_set(&mut self, key: &str, value: &str) -> Result<Result<Out, Said>, String> {
        if let Some(refusal) = self.cluster_refusal(key, value) {
            return Ok(Err(refusal));
        }
        let before = self.settings.clone();
        if let Err(e) = self.settings.set(key, value) {
            let (en, zh) =
                (e.to_string(), if self.zh { e.text(crate::lesson::Lang::Zh) } else { String::new() });
            return Ok(Err(Said { en, zh }));
        }
        let (help, help_zh) = crate::settings::spec(key).map_or(("", ""), |s| (s.help, s.help_zh));
        let mut text =
            said!(self.zh, "settings: {key} = {value} ({help})", "设置：{key} = {value} —— {help_zh}");
        if key == "broker.replication" {
            text.push(self.reconnect_replica()?);
        }
        text.push(self.apply_cluster(key, &before));
        Ok(Ok((None, text, vec![])))
    }

    fn cmd_crash(&mut self, node: Node, kind: CrashKind) -> Result<Result<Out, Said>, String> {
        // A broker's machine can still lose power or its disk while the process is down (killed,
        // then the machine rebooted before the restart).
        let machine_fault = node.has_log() && kind != CrashKind::Process;
        if !self.has_node(node) {
            return Ok(Err(self.no_such_node("crash", node)));
        }
        if !self.node_up(node) && !machine_fault {
            return Ok(Err(said!(
                self.zh,
                "crash {node}: {node} is already down",
                "crash {node}：{node} 已经宕机"
            )));
        }
        let z = self.zh;
        let (how, how_zh) = match kind {
            CrashKind::Process => ("killed (process crash)", "进程被 kill（进程崩溃）"),
            CrashKind::Power => ("lost power", "断电"),
            CrashKind::Disk => ("lost its disk", "磁盘损坏"),
        };
        let node_zh = node.name_zh();
        let out = match node {
            Node::Producer(_) => {
                let p = &mut self.producers[node.index()];
                p.up = false;
                p.life += 1;
                p.scan_tick = false;
                let lost: Vec<MsgId> = std::mem::take(&mut p.pending).into_keys().collect();
                let rows = p.pending_rows();
                self.lose(&lost, Cause::ProducerCrashedUnsent);
                let mut text =
                    said!(z, "{node}: {how}; its memory is gone", "{node_zh}：{how_zh}；内存中的数据没了");
                if !lost.is_empty() {
                    text.push(said!(
                        z,
                        " with {} (unsent or awaiting a result)",
                        "，包括 {}（未发送或在等结果）",
                        msgs_text(&lost)
                    ));
                }
                if rows > 0 {
                    text.push(said!(
                        z,
                        "; the outbox keeps {}",
                        "；本地消息表还保留着 {rows} 条待发送记录"; en:
                        plural(rows, "pending row")
                    ));
                }
                (Some(node), text, lost)
            }
            Node::Consumer(_) => {
                let c = self.cm(node);
                c.up = false;
                c.life += 1;
                c.pulls.clear();
                c.members.clear();
                c.retry_done.clear();
                c.sendbacks.clear();
                c.persist_tick = false;
                let life = c.life;
                let work: Vec<Work> = std::mem::take(&mut c.work).into_values().collect();
                let master = self.master;
                // Its pulls stop at once. A killed process closes its sockets, so the master
                // drops it from the group now; a machine that lost power just goes silent, and
                // the master notices when the channel expires.
                self.close_sessions(master, node);
                let mut gone = false;
                if self.b(master).group.contains(&node) {
                    if kind == CrashKind::Process {
                        gone = self.unregister(node);
                    } else {
                        let at = next_grid(self.now + CHANNEL_EXPIRED_MS, CLIENT_SCAN_MS);
                        let broker_life = self.b(master).life;
                        self.schedule(
                            at,
                            Due::ConsumerExpired { broker: master, broker_life, consumer: node, life },
                        );
                    }
                }
                let mut lost = Vec::new();
                let mut text = said!(z, "{node}: {how}", "{node_zh}：{how_zh}");
                for w in &work {
                    if w.reported_early {
                        let cause = if w.async_mode {
                            Cause::AsyncConsumeFailed
                        } else {
                            Cause::CommittedBeforeProcessing
                        };
                        self.lose(&[w.msg], cause);
                        lost.push(w.msg);
                    }
                }
                let all: Vec<MsgId> = work.iter().map(|w| w.msg).collect();
                if !all.is_empty() {
                    text.push(said!(
                        z,
                        "; work in progress on {} is gone",
                        "；正在处理的 {} 没了",
                        msgs_text(&all)
                    ));
                }
                if !lost.is_empty() {
                    text.push(said!(
                        z,
                        " (already reported done: {})",
                        "（已报告完成的：{}）",
                        msgs_text(&lost)
                    ));
                }
                if gone {
                    let master_zh = master.name_zh();
                    text.push(said!(
                        z,
                        "; {master} sees its connection close and drops it from the group",
                        "；{master_zh}发现它的连接断开，把它移出消费者组"
                    ));
                    if !self.b(master).group.is_empty() {
                        text.push(self.group_said());
                    }
                }
                (Some(node), text, all)
            }
            Node::Broker(_) => {
                let written = self.b(node).written_pos;
                let flushed = self.b(node).flushed_pos;
                let was_up = self.b(node).up;
                let is_master = node == self.master;
                if node == Node::REPLICA && self.master == Node::BROKER {
                    // A killed process closes its sockets at once; a machine that lost power
                    // just goes silent.
                    if kind == CrashKind::Process {
                        self.bm(Node::BROKER).ha_connected = false;
                    } else {
                        self.ha_silent();
                    }
                }
                let report = self.brokers[bi(node)].crash(kind, &mut self.rng)?;
                let cause =
                    if kind == CrashKind::Disk { Cause::LostWithDisk } else { Cause::LostInPageCache };
                self.lose(&report.cut, cause);
                let mut text = if was_up {
                    said!(z, "{node}: {how}", "{node_zh}：{how_zh}")
                } else {
                    said!(
                        z,
                        "{node}: down, and now its machine {how}",
                        "{node_zh}：进程已停，现在它的机器又{how_zh}"
                    )
                };
                match kind {
                    CrashKind::Process => text.push(said!(
                        z,
                        "; its memory is gone, the page cache keeps bytes 0..{written} ({flushed} on disk)",
                        "；进程内存没了，页缓存仍保留字节 0..{written}（磁盘上 {flushed}）"
                    )),
                    CrashKind::Power => {
                        if report.cut.is_empty() {
                            text.push(said!(
                                z,
                                "; nothing was only in the page cache (bytes 0..{flushed} on disk)",
                                "；没有只在页缓存里的数据（字节 0..{flushed} 已在磁盘上）"
                            ));
                        } else {
                            let (from, to) = report.cut_bytes;
                            text.push(said!(
                                z,
                                "; the page cache is gone: {} (bytes {from}..{to}) never reached disk",
                                "；页缓存没了：{}（字节 {from}..{to}）没来得及落盘",
                                msgs_text(&report.cut)
                            ));
                        }
                        if report.torn_bytes > 0 {
                            let torn = report.torn_bytes;
                            text.push(said!(
                                z,
                                "; a torn write left {torn} garbage bytes",
                                "；写了一半的数据留下 {torn} 字节垃圾"
                            ));
                        }
                    }
                    CrashKind::Disk if report.cut.is_empty() => {
                        text.push(said!(
                            z,
                            "; its files are gone (they were empty)",
                            "；它的文件没了（本来就是空的）"
                        ));
                    }
                    CrashKind::Disk => {
                        text.push(said!(
                            z,
                            "; its files are gone with {}",
                            "；它的文件连同 {} 一起没了",
                            msgs_text(&report.cut)
                        ));
                    }
                }
                if is_master && was_up {
                    let Said { en: offsets, zh: offsets_zh } = self.offsets_said(node);
                    text.push(said!(
                        z,
                        "; consumer offset back to the persisted {offsets}",
                        "；消费位点退回到已持久化的 {offsets_zh}"
                    ));
                }
                (Some(node), text, report.cut)
            }
        };
        Ok(Ok(out))
    }

    fn cmd_restart(&mut self, node: Node) -> Result<Result<Out, Said>, String> {
        if node.has_log() && self.b(node).role == Role::Retired {
            return Ok(Err(said!(
                self.zh,
                "restart {node}: it was replaced by the promoted replica",
                "restart {node}：它已被升主的从节点取代"
            )));
        }
        if !self.has_node(node) {
            return Ok(Err(self.no_such_node("restart", node)));
        }
        if self.node_up(node) {
            return Ok(Err(said!(
                self.zh,
                "restart {node}: {node} is up",
                "restart {node}：{node} 正在运行"
            )));
        }
        match node {
            Node::Producer(_) => {
                let id = crate::ids::ProducerId(self.next_producer_id);
                self.next_producer_id += 1;
                let p = &mut self.producers[node.index()];
                p.up = true;
                p.id = id;
                p.next_seq.clear();
                p.next_queue = 0;
                let rows = p.rows_to_scan().len();
                let (z, node_zh) = (self.zh, node.name_zh());
                let mut text = said!(
                    z,
                    "{node}: restarted as {id} (sequence numbers start again at 1)",
                    "{node_zh}：以 {id} 身份重启（序号重新从 1 开始）"
                );
                if rows > 0 {
                    self.arm_outbox_scan(node);
                    text.push(said!(
                        z,
                        "; the outbox scanner will resend {}",
                        "；本地消息表扫描任务会重发 {rows} 条待发送记录"; en:
                        plural(rows, "pending row")
                    ));
                }
                Ok(Ok((Some(node), text, vec![])))
            }
            Node::Consumer(_) => {
                self.cm(node).up = true;
                let (z, node_zh) = (self.zh, node.name_zh());
                let mut text = if self.consumers.len() == 1 {
                    said!(
                        z,
                        "{node}: restarted; asks the broker for its committed offset",
                        "{node_zh}：重启；向 Broker 查询已提交的消费位点"
                    )
                } else {
                    said!(
                        z,
                        "{node}: restarted; its heartbeat registers it with the master",
                        "{node_zh}：重启；心跳把它注册到主节点"
                    )
                };
                // It joins the group: a rebalance gives it its share, pulled from the committed
                // offsets.
                let joined = self.register(node);
                self.notify_group();
                if joined && self.consumers.len() > 1 {
                    text.push(self.group_said());
                } else if !self.b(self.master).group.contains(&node) {
                    text.push(said!(z, "; cannot reach the master yet", "；还连不上主节点"));
                }
                Ok(Ok((Some(node), text, vec![])))
            }
            Node::Broker(_) => {
                let z = self.zh;
                let now = self.now;
                let (line, cut, causes) = self.bm(node).restart(z, now)?;
                self.bm(node).epoch_floor = self.next_epoch + 1;
                for (id, cause) in cut.iter().zip(causes) {
                    self.lose(&[*id], cause);
                }
                let node_zh = node.name_zh();
                let mut text = said!(z, "{node}: restarted; ", "{node_zh}：重启；");
                text.push(line);
                let flush = if node == self.master {
                    self.settings.broker_flush
                } else {
                    self.settings.replica_flush
                };
                match flush {
                    FlushMode::Async => self.arm_flush_tick(node),
                    FlushMode::Sync if self.b(node).written_pos > self.b(node).flushed_pos => {
                        self.arm_group_commit(node);
                    }
                    FlushMode::Sync => {}
                }
                if node == self.master {
                    let Said { en: offsets, zh: offsets_zh } = self.offsets_said(node);
                    text.push(said!(z, "; consumer offset {offsets}", "；消费位点 {offsets_zh}"));
                    self.schedule_retries(node);
                }
                text.push(self.reconnect_replica()?);
                // The consumers re-register with the restarted master and start again from the
                // committed offsets: their own positions may point into records recovery cut.
                if node == self.master {
                    self.consumers_switch_to_master();
                }
                Ok(Ok((Some(node), text, cut)))
            }
        }
    }

    fn cmd_partition(&mut self, node: Node) -> Result<Out, Said> {
        if self.net.partitioned.contains(&node) {
            return Err(said!(
                self.zh,
                "partition {node}: {node} is already cut off; `heal` reconnects it",
                "partition {node}：{node} 已经被隔离；`heal` 可以恢复"
            ));
        }
        self.net.partition(node);
        if matches!(node, Node::BROKER | Node::REPLICA) {
            self.ha_silent();
        }
        let doomed = self.net.envelopes.values().filter(|e| e.doomed == Some("partitioned")).count();
        let (z, node_zh) = (self.zh, node.name_zh());
        let mut text =
            said!(z, "network: {node} is cut off from every other node", "网络：{node_zh}与其他所有节点断开");
        if doomed > 0 {
            text.push(said!(
                z,
                "; {} in flight will be lost",
                "；正在传输的 {doomed} 个网络包将会丢失"; en:
                plural(doomed, "envelope")
            ));
        }
        Ok((Some(node), text, vec![]))
    }

    fn cmd_heal(&mut self) -> Result<Result<Out, Said>, String> {
        let was = std::mem::take(&mut self.net.partitioned);
        if was.is_empty() {
            return Ok(Err(said!(self.zh, "heal: nothing is partitioned", "heal：没有被隔离的节点")));
        }
        let names: Vec<&str> = was.iter().map(|n| n.name()).collect();
        let names_zh: Vec<&str> = was.iter().map(|n| n.name_zh()).collect();
        let z = self.zh;
        let (names, names_zh) = (names.join(", "), names_zh.join("、"));
        let mut text = said!(z, "network: healed; {names} reconnected", "网络：已恢复；{names_zh}重新连上");
        let master = self.master;
        let mut pulled = Vec::new();
        for i in 0..self.consumers.len() {
            let c = &self.consumers[i];
            let node = c.node;
            let stuck = c.pulls.values().any(|p| p.needs_repull);
            if !c.up || !(stuck || was.contains(&node) || was.contains(&master)) {
                continue;
            }
            // Its heartbeat gets through again: back in the group if the master had dropped it.
            self.register(node);
            let sessions: Vec<(Session, Option<u64>)> =
                self.c(node).pulls.iter().map(|(s, p)| (*s, p.next_offset)).collect();
            for (session, from) in sessions {
                self.repull(node, session, from);
            }
            pulled.push(node);
        }
        // Whoever's view of the group is stale rebalances.
        self.notify_group();
        match pulled.as_slice() {
            [] => {}
            [one] if *one == Node::CONSUMER && self.consumers.len() == 1 => {
                text.push(said!(z, "; the consumer pulls again", "；消费者重新拉取"));
            }
            many => {
                let names: Vec<&str> = many.iter().map(|n| n.name()).collect();
                let names_zh: Vec<&str> = many.iter().map(|n| n.name_zh()).collect();
                let (names, names_zh) = (names.join(", "), names_zh.join("、"));
                text.push(said!(z, "; {names} pull again", "；{names_zh}重新拉取"));
            }
        }
        if was.contains(&Node::REPLICA) || was.contains(&master) {
            // Healed before housekeeping dropped it, the HA connection carries on; either way
            // the replica reports its offset and the master streams from there.
            text.push(self.reconnect_replica()?);
        }
        Ok(Ok((None, text, vec![])))
    }

    fn cmd_promote(&mut self) -> Result<Result<Out, Said>, String> {
        if self.master != Node::BROKER || self.b(Node::REPLICA).role != Role::Slave {
            return Ok(Err(said!(
                self.zh,
                "promote replica: the replica is already the master",
                "promote replica：从节点已经是主节点"
            )));
        }
        if !self.b(Node::REPLICA).up {
            return Ok(Err(said!(
                self.zh,
                "promote replica: the replica is down; restart it first",
                "promote replica：从节点已宕机；请先重启它"
            )));
        }
        let old_up = self.b(Node::BROKER).up;
        if old_up
            && self.net.connected(Node::BROKER, Node::REPLICA)
            && !self.net.partitioned.contains(&Node::BROKER)
        {
            return Ok(Err(said!(
                self.zh,
                "promote replica: the broker is up and reachable; crash or partition it first",
                "promote replica：Broker 仍在运行且连得上；请先让它崩溃或把它隔离"
            )));
        }
        // The old master is fenced off: what only it had is abandoned.
        let old = &self.brokers[0];
        let abandoned: BTreeSet<MsgId> = (0..old.queues.len())
            .flat_map(|q| old.live_entries(q, old.queues[q].committed))
            .map(|e| e.msg)
            .chain(old.retry.values().map(|r| r.msg))
            .chain(old.dead_letters())
            .collect();
        if old_up {
            self.brokers[0].crash(CrashKind::Process, &mut self.rng)?;
        }
        self.brokers[0].role = Role::Retired;
        let abandoned: Vec<MsgId> = abandoned.into_iter().collect();
        self.lose(&abandoned, Cause::LostInFailover);
        let r = &mut self.brokers[1];
        r.role = Role::Master;
        r.epoch_floor = self.next_epoch + 1;
        for q in &mut r.queues {
            q.committed = q.synced.min(q.len());
            q.persisted = q.committed;
        }
        let done = r.synced_retry_done.clone();
        r.rebuild_retry(&done);
        r.retry_done_persisted = r.retry_done.clone();
        let has: BTreeSet<MsgId> = r.index.iter().map(|e| e.msg).collect();
        let records = r.index.len();
        self.schedule_retries(Node::REPLICA);
        self.master = Node::REPLICA;
        let had_only_old: Vec<MsgId> = abandoned.iter().filter(|m| !has.contains(m)).copied().collect();
        let z = self.zh;
        let Said { en: offsets, zh: offsets_zh } = self.offsets_said(Node::REPLICA);
        let mut text = said!(
            z,
            "replica: promoted to master with {} (consumer offset {offsets})",
            "从节点：升为主节点，带着 {records} 条记录（消费位点 {offsets_zh}）"; en:
            plural(records, "record")
        );
        if old_up {
            text.push(said!(
                z,
                "; the old master broker, cut off but running, is fenced off and stopped",
                "；旧主节点 Broker 虽被隔离但仍在运行，现被隔离下线并停止"
            ));
        }
        if !had_only_old.is_empty() {
            text.push(said!(z, "; it never had {}", "；它从未收到 {}", msgs_text(&had_only_old)));
        }
        match self.settings.broker_flush {
            FlushMode::Async => self.arm_flush_tick(Node::REPLICA),
            FlushMode::Sync if self.b(Node::REPLICA).written_pos > self.b(Node::REPLICA).flushed_pos => {
                self.arm_group_commit(Node::REPLICA);
            }
            FlushMode::Sync => {}
        }
        if self.consumers_switch_to_master() {
            if self.consumers.len() == 1 {
                text.push(said!(z, "; the consumer switches to it", "；消费者切换到它"));
            } else {
                text.push(said!(z, "; the consumers switch to it", "；消费者们切换到它"));
            }
        }
        Ok(Ok((Some(Node::REPLICA), text, had_only_old)))
    }

    /// The consumers that are up register with the (new or restarted) master and pull all
    /// their queues again from its committed offsets; if the group they knew has changed, they
    /// rebalance. Returns whether any consumer was up.
    fn consumers_switch_to_master(&mut self) -> bool {
        let up: Vec<Node> = self.consumers.iter().filter(|c| c.up).map(|c| c.node).collect();
        for node in &up {
            self.register(*node);
        }
        for node in &up {
            self.repull_all(*node);
        }
        self.notify_group();
        !up.is_empty()
    }

    /// "3" with one queue; "q0=3, q1=2" with several: the group's offsets on `node`.
    fn offsets_said(&self, node: Node) -> Said {
        let b = self.b(node);
        let list = match b.queues.as_slice() {
            [one] => one.committed.to_string(),
            many => many
                .iter()
                .enumerate()
                .map(|(q, bq)| format!("q{q}={}", bq.committed))
                .collect::<Vec<_>>()
                .join(", "),
        };
        Said { zh: if self.zh { list.clone() } else { String::new() }, en: list }
    }

    /// A command named a node the world does not have.
    fn no_such_node(&self, verb: &str, node: Node) -> Said {
        let names: Vec<&str> = self.all_nodes().into_iter().map(Node::name).collect();
        let names = names.join(", ");
        said!(
            self.zh,
            "{verb} {node}: there is no {node}; the nodes are {names} (set cluster.producers / cluster.consumers)",
            "{verb} {node}：没有 {node}；现有节点：{names}（set cluster.producers / cluster.consumers）"
        )
    }

    /// Every node of the topology, producers first, then brokers, then consumers.
    pub fn all_nodes(&self) -> Vec<Node> {
        let producers = self.producers.iter().map(|p| p.node);
        let brokers = self.brokers.iter().map(|b| b.node);
        let consumers = self.consumers.iter().map(|c| c.node);
        producers.chain(brokers).chain(consumers).collect()
    }

    // ----- reading the world -----------------------------------------------------------------

    /// Where every copy of every message is now, indexed like the ledger.
    fn places(&self) -> Vec<Vec<Place>> {
        let mut places: Vec<BTreeSet<Place>> = vec![BTreeSet::new(); self.ledger.len()];
        let mut put = |id: MsgId, place: Place| {
            if let Some(set) = places.get_mut((id.0 - 1) as usize) {
                set.insert(place);
            }
        };
        for p in &self.producers {
            for id in p.pending.keys() {
                put(*id, Place::ProducerMemory(p.node));
            }
            for (id, row) in &p.outbox {
                if row.state == RowState::Pending {
                    put(*id, Place::Outbox(p.node));
                }
            }
        }
        for env in self.net.envelopes.values() {
            // A shipment to the replica is never the last copy that lands: its master still
            // holds the records, and a shipment from a master that crashed is discarded.
            if env.kind == EnvelopeKind::Replicate {
                continue;
            }
            for id in env.payload.copies() {
                put(id, Place::InFlight);
            }
        }
        let master = self.b(self.master);
        for b in &self.brokers {
            if b.role == Role::Retired {
                continue;
            }
            let (cache, disk) = (Place::PageCache(b.node), Place::Disk(b.node));
            for (q, bq) in b.queues.iter().enumerate() {
                let master_committed = master.queues.get(q).map_or(0, |m| m.committed);
                let from =
                    if b.role == Role::Master { bq.committed } else { bq.synced.max(master_committed) };
                for e in b.live_entries(q, from) {
                    put(e.msg, if e.end <= b.flushed_pos { disk } else { cache });
                }
            }
            if b.role == Role::Master {
                for r in b.retry.values() {
                    put(r.msg, Place::RetryQueue(b.node));
                }
            } else {
                // A slave's retry copies count until the master reports them consumed.
                for (i, e) in b.index.iter().enumerate() {
                    let done = master.retry_done.contains(&i) || b.synced_retry_done.contains(&i);
                    if matches!(e.kind, broker::Kind::Retry { .. }) && !done {
                        put(e.msg, Place::RetryQueue(b.node));
                    }
                }
            }
            for id in b.dead_letters() {
                put(id, Place::DeadLetterQueue(b.node));
            }
        }
        for c in &self.consumers {
            for w in c.work.values() {
                put(w.msg, Place::ConsumerProcessing(c.node));
            }
            // A message whose sendMessageBack is unanswered stays in the consumer's process queue.
            for sb in c.sendbacks.values() {
                put(sb.msg, Place::ConsumerProcessing(c.node));
            }
        }
        places.into_iter().map(|s| s.into_iter().collect()).collect()
    }

    /// The nodes, queues and links a front end draws, as they are now.
    pub fn topology(&self) -> Topology {
        let master = self.master;
        let mut links: Vec<LinkView> = self
            .producers
            .iter()
            .map(|p| LinkView { from: p.node, to: master, kind: LinkKind::Produce })
            .collect();
        if let Some(slave) = self.slave()
            && self.settings.broker_replication != Replication::None
        {
            links.push(LinkView { from: master, to: slave, kind: LinkKind::Replicate });
        }
        links.extend(self.consumers.iter().map(|c| LinkView {
            from: master,
            to: c.node,
            kind: LinkKind::Consume,
        }));
        let m = self.b(master);
        // A queue's owner is the consumer that holds it after its last rebalance.
        let owner = |q: u32| {
            self.consumers.iter().find(|c| c.up && c.pulls.contains_key(&Session::Queue(q))).map(|c| c.node)
        };
        let queues = (0..self.settings.topic_queues)
            .map(|q| {
                let bq = m.queues.get(q as usize);
                QueueView {
                    id: q,
                    broker: master,
                    owner: owner(q),
                    stored: bq.map_or(0, |b| b.len()),
                    committed: bq.map_or(0, |b| b.committed),
                }
            })
            .collect();
        Topology {
            producers: self.producers.iter().map(|p| p.node).collect(),
            brokers: self.brokers.iter().map(|b| b.node).collect(),
            consumers: self.consumers.iter().map(|c| c.node).collect(),
            queues,
            links,
        }
    }

    /// Every message with its copies, fate and cause.
    pub fn messages(&self) -> Vec<MessageView> {
        let places = self.places();
        self.ledger
            .iter()
            .zip(places)
            .map(|(info, places)| {
                let (fate, cause) = ledger::fate(info, &places);
                MessageView {
                    id: info.id,
                    producer: info.producer,
                    seq: info.seq,
                    queue: info.queue,
                    token: ledger::token(fate, &places),
                    places,
                    status: info.status,
                    fate,
                    cause,
                    effects: info.effects,
                    detected: info.detected,
                    attempts: info.attempts,
                    deliveries: info.deliveries,
                }
            })
            .collect()
    }

    pub fn totals(messages: &[MessageView], ledger_acked: u64) -> Totals {
        let count = |f: Fate| messages.iter().filter(|m| m.fate == f).count() as u64;
        Totals {
            sent: messages.len() as u64,
            acked: ledger_acked,
            processed: count(Fate::Processed),
            duplicated: count(Fate::Duplicated),
            lost: count(Fate::Lost),
            failed: count(Fate::Failed),
            dead_lettered: count(Fate::DeadLettered),
            pending: count(Fate::Pending),
        }
    }

    pub fn acked(&self) -> u64 {
        self.ledger.iter().filter(|m| m.acked).count() as u64
    }

    pub fn in_flight(&self) -> Vec<EnvelopeView> {
        self.net.envelopes.values().map(Envelope::view).collect()
    }

    pub fn nodes(&self) -> Vec<NodeView> {
        let master = self.b(self.master);
        self.all_nodes()
            .into_iter()
            .map(|node| {
                let partitioned = self.net.partitioned.contains(&node);
                let up = self.node_up(node);
                let mut view = NodeView {
                    node,
                    up,
                    partitioned,
                    role: String::new(),
                    log: None,
                    replicated_pos: None,
                    committed_offset: None,
                    persisted_offset: None,
                    in_memory: 0,
                    outbox_pending: 0,
                    note: NodeNote::None,
                };
                match node {
                    Node::Producer(_) => {
                        let p = self.p(node);
                        view.role = "producer".into();
                        view.in_memory = p.pending.len();
                        view.outbox_pending = p.pending_rows();
                        let queues = self.settings.topic_queues.max(1);
                        let next_seq = p.next_seq.get(&(p.next_queue % queues)).copied().unwrap_or(1);
                        view.note = if p.up {
                            NodeNote::Producer { id: p.id, next_seq, in_memory: p.pending.len() }
                        } else {
                            NodeNote::Down
                        };
                    }
                    Node::Consumer(_) => {
                        let c = self.c(node);
                        view.role = "consumer".into();
                        // The group's offsets (as the master holds them) in the queues it owns.
                        let owned: Vec<&broker::BrokerQueue> =
                            c.queues().filter_map(|q| master.queues.get(q as usize)).collect();
                        view.committed_offset = Some(owned.iter().map(|q| q.committed).sum());
                        view.persisted_offset = Some(owned.iter().map(|q| q.persisted).sum());
                        view.in_memory = c.work.len();
                        view.note = if c.up {
                            NodeNote::Consumer {
                                processing: c.work.values().map(|w| w.msg).collect(),
                                fails_next: self.group.fail_next,
                            }
                        } else {
                            NodeNote::Down
                        };
                    }
                    Node::Broker(_) => {
                        let b = self.b(node);
                        view.role = match (b.role, node) {
                            (Role::Master, Node::REPLICA) => "master (promoted)",
                            (Role::Master, _) => "master",
                            (Role::Slave, _) => "slave",
                            (Role::Retired, _) => "retired",
                        }
                        .into();
                        view.log = Some(LogView {
                            written_pos: b.written_pos,
                            flushed_pos: b.flushed_pos,
                            records: b.len(),
                        });
                        if b.role == Role::Master {
                            view.replicated_pos = Some(b.replica_acked_pos.min(b.written_pos));
                            view.committed_offset = Some(b.queues.iter().map(|q| q.committed).sum());
                            view.persisted_offset = Some(b.queues.iter().map(|q| q.persisted).sum());
                        }
                        view.note = if b.role == Role::Retired {
                            NodeNote::Retired
                        } else if !b.up {
                            NodeNote::Down
                        } else {
                            NodeNote::Log {
                                records: b.len(),
                                dirty_bytes: b.written_pos.saturating_sub(b.flushed_pos),
                            }
                        };
                    }
                }
                view
            })
            .collect()
    }

    /// Checks the invariants the randomized sweep relies on; returns the first broken one.
    pub fn check_invariants(&self) -> Result<(), String> {
        for b in &self.brokers {
            if b.flushed_pos > b.written_pos {
                return Err(format!(
                    "{}: flushed_pos {} > written_pos {}",
                    b.node, b.flushed_pos, b.written_pos
                ));
            }
            if let Some(log) = &b.open
                && (log.written_pos() != b.written_pos || log.flushed_pos() != b.flushed_pos)
            {
                return Err(format!("{}: positions out of sync with the log", b.node));
            }
        }
        Ok(())
    }
}

/// `; answers SEND_OK to m1, m2, answers FLUSH_DISK_TIMEOUT to m3`, or nothing.
fn answers_text(zh: bool, answered: &[(MsgId, SendStatus)]) -> Said {
    if answered.is_empty() {
        return Said::default();
    }
    let mut by_status: BTreeMap<&'static str, Vec<MsgId>> = BTreeMap::new();
    for (msg, status) in answered {
        by_status.entry(status.name()).or_default().push(*msg);
    }
    let mut text = said!(zh, "; ", "；");
    for (i, (status, ids)) in by_status.into_iter().enumerate() {
        if i > 0 {
            text.push(said!(zh, ", ", "，"));
        }
        text.push(said!(zh, "answers {status} to {}", "向 {} 返回 {status}", msgs_text(&ids)));
    }
    text
}

/// `; answers SEND_OK`: the one status a waiting send got.
fn answers(zh: bool, status: SendStatus) -> Said {
    let name = status.name();
    said!(zh, "; answers {name}", "；返回 {name}")
}

fn duration_text(ms: u64) -> String {
    match ms {
        ms if ms >= 3_600_000 && ms % 3_600_000 == 0 => format!("{} h", ms / 3_600_000),
        ms if ms >= 60_000 && ms % 60_000 == 0 => format!("{} min", ms / 60_000),
        ms if ms >= 1000 && ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_ladder_matches_rocketmq() {
        let ladder: Vec<u64> = (1..=16).map(retry_delay_ms).collect();
        assert_eq!(ladder[0], 10_000);
        assert_eq!(ladder[1], 30_000);
        assert_eq!(ladder[15], 7_200_000);
        assert_eq!(retry_delay_ms(40), 7_200_000);
        let total: u64 = ladder.iter().sum();
        // 4 h 45 min 40 s: the "about 4 h 46 min" RocketMQ's docs give.
        assert_eq!(total, ((4 * 60 + 45) * 60 + 40) * 1000);
        assert!(total < RUN_BOUND_MS);
    }
}
