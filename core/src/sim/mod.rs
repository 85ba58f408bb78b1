//! The deterministic world: producers, brokers and consumers, a network, a virtual clock in
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
//! language never changes a trace. Each event also carries what it did on the wire and to a
//! node's life ([`crate::view::Wire`], [`crate::view::Mark`]), which the sequence diagram reads.
//!
//! # Where things are
//!
//! This file is the map: the [`World`], the scheduled events (`Due`) and which handler each
//! goes to (`World::handle`), an envelope's arrival and to whom it is routed, and the run loop.
//! Each part of the world keeps its state in its own type and its handlers in its own module:
//!
//! | module        | what it holds and handles                                                      |
//! |---------------|--------------------------------------------------------------------------------|
//! | `clients`     | the producer and consumer state, the group's shared store, queue allocation    |
//! | `produce`     | a producer: queue choice, attempts, answers, retries, the outbox scanner        |
//! | `broker`      | a broker's commit log, index, consume queues and what a crash destroys          |
//! | `store`       | the master's store path: append, flush (sync/async), replica wait, the answer   |
//! | `replication` | master → slave streaming, acks, the HA connection, catching up after restarts   |
//! | `serve`       | the master serving pull sessions, commits, sendMessageBack, retries             |
//! | `group`       | the consumer group's membership and the rebalance                               |
//! | `consume`     | a consumer: deliveries, business work, offsets, the sequence check              |
//! | `faults`      | the user's commands: crash, restart, partition, heal, promote, set             |
//! | `cluster`     | the cluster's shape: `send … from/key`, producers and consumers joining/leaving |
//! | `net`         | envelopes in flight, partitions, `drop next`                                    |
//! | `ledger`      | what is known of every message, and the rule that turns places into fates       |
//! | `reading`     | the view: places, fates, topology, node states, stranded messages               |
//! | `snapshot`    | whole-world snapshots for `back`                                                |
//! | `files`       | taking up a data directory safely                                               |
//!
//! To add a node kind (a Kafka broker, a RabbitMQ queue), give it a state type and a handler
//! module, add its scheduled events to `Due` and its payloads to `net::Payload`, and route them
//! in `World::handle` and the arrival match.

pub(crate) mod broker;
mod clients;
mod cluster;
mod consume;
mod faults;
pub(crate) mod files;
mod group;
pub(crate) mod ledger;
mod net;
mod produce;
mod reading;
mod replication;
pub(crate) mod said;
mod serve;
mod snapshot;
mod store;

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
    /// Only the latest request's timer is live (`token`), so a timer once stale stays stale.
    Rejoin {
        consumer: Node,
        token: u32,
    },
    /// The broker told `consumer` the group changed (or it joined): it rebalances. Only the
    /// latest notice is live.
    Rebalance {
        consumer: Node,
        token: u32,
    },
    /// The master's housekeeping closes the channel of a consumer it has not heard from in
    /// [`CHANNEL_EXPIRED_MS`] (a consumer that lost power or was cut off), unless the silence
    /// that set it (`token`) ended first.
    ConsumerExpired {
        broker: Node,
        consumer: Node,
        token: u32,
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
    /// "offset 3", or "queue 1 offset 3" when the topic has several queues.
    fn at_offset(&self, queue: u32, offset: u64, zh: bool) -> String {
        match (self.settings.topic_queues, zh) {
            (1, false) => format!("offset {offset}"),
            (1, true) => format!("位点 {offset}"),
            (_, false) => format!("queue {queue} offset {offset}"),
            (_, true) => format!("队列 {queue} 位点 {offset}"),
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
            Due::Rejoin { consumer, token } => {
                self.has_node(consumer) && {
                    let c = self.c(consumer);
                    c.up && c.rejoin_token == token && c.pulls.values().any(|p| p.pending.is_some())
                }
            }
            Due::Rebalance { consumer, token } => {
                self.has_node(consumer)
                    && self.c(consumer).up
                    && self.c(consumer).rebalance_token == token
                    && self.rebalance_due(consumer)
            }
            Due::ConsumerExpired { broker, consumer, token } => {
                let b = self.b(broker);
                b.up && b.silences.get(&consumer) == Some(&token)
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
