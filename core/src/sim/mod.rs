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
pub(crate) mod files;
pub(crate) mod ledger;
mod net;
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
use clients::{Consumer, OutboxRow, Pending, Producer, RowState, SendBack, Work};
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
pub fn retry_delay_ms(n: u32) -> u64 {
    let level = (n as usize + 2).clamp(1, DELAY_LEVELS_MS.len());
    DELAY_LEVELS_MS[level - 1]
}

/// Something scheduled to happen at a virtual time.
#[derive(Debug, Clone, Copy)]
enum Due {
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
        life: u32,
    },
    SendBackTimeout {
        id: u64,
        life: u32,
    },
    OutboxScan {
        life: u32,
    },
    ProcessDone {
        work: u64,
        life: u32,
    },
    PullTimeout {
        epoch: u32,
    },
    Rejoin {
        epoch: u32,
        from: Option<u64>,
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
    producer: Producer,
    brokers: [Broker; 2],
    consumer: Consumer,
    master: Node,
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
    seqs: BTreeSet<u64>,
}

fn bi(node: Node) -> usize {
    match node {
        Node::REPLICA => 1,
        _ => 0,
    }
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
        let broker = Broker::open(Node::BROKER, Role::Master, storage, &broker_dir)?;
        let replica = Broker::open(Node::REPLICA, Role::Slave, storage, &replica_dir)?;
        let mut world = World {
            settings,
            now: 0,
            step: 0,
            seq: 0,
            queue: BTreeMap::new(),
            net: Net::default(),
            producer: Producer::new(),
            brokers: [broker, replica],
            consumer: Consumer::new(),
            master: Node::BROKER,
            ledger: Vec::new(),
            trace: Vec::new(),
            alerts: Vec::new(),
            rng: fastrand::Rng::with_seed(seed),
            zh: false,
            wire: Vec::new(),
            mark: None,
        };
        world.brokers[0].consumer_online = true;
        // The replica's HA connection is open from the start; it ships only when replication is on.
        world.brokers[0].ha_connected = true;
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
    fn lose(&mut self, ids: &[MsgId], cause: Cause) {
        for id in ids {
            self.info(*id).last_loss = Some(cause);
        }
    }

    /// Whether a scheduled event still has a reason to happen.
    fn is_live(&self, due: &Due) -> bool {
        match *due {
            Due::Transmit { msg, life } => {
                self.producer.up
                    && self.producer.life == life
                    && self.producer.pending.get(&msg).is_some_and(|p| p.attempt == 0)
            }
            Due::Arrive { .. } => true,
            Due::AttemptTimeout { msg, attempt, life } => {
                self.producer.life == life
                    && self.producer.pending.get(&msg).is_some_and(|p| p.attempt == attempt && p.awaiting)
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
                    && (b.committed != b.persisted || b.retry_done != b.retry_done_persisted)
            }
            Due::ConsumerPersist { life } => self.consumer.life == life && self.consumer_has_news(),
            Due::SendBackTimeout { id, life } => {
                self.consumer.life == life && self.consumer.sendbacks.contains_key(&id)
            }
            Due::OutboxScan { life } => {
                self.producer.up && self.producer.life == life && !self.producer.rows_to_scan().is_empty()
            }
            Due::ProcessDone { work, life } => {
                self.consumer.life == life && self.consumer.work.contains_key(&work)
            }
            Due::PullTimeout { epoch } | Due::Rejoin { epoch, .. } => {
                self.consumer.up && self.consumer.epoch == epoch
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
            Due::ConsumerPersist { life } if self.consumer.life == life => self.consumer.persist_tick = false,
            Due::OutboxScan { life } if self.producer.life == life => self.producer.scan_tick = false,
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
        if !self.consumer.up {
            why.push(said!(z, "the consumer is down", "消费者已宕机"));
        }
        if !self.producer.up && self.producer.pending_rows() > 0 {
            why.push(said!(z, "the producer is down with outbox rows", "生产者已宕机，本地消息表里还有记录"));
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

    fn node_up(&self, node: Node) -> bool {
        match node {
            Node::Producer(_) => self.producer.up,
            Node::Consumer(_) => self.consumer.up,
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
                Payload::Commit { offset: Some(offset), .. } if mentions.is_empty() => {
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
            let text = if self.b(Node::BROKER).role == Role::Retired && env.to == Node::BROKER {
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
            Payload::Request { msg, attempt, oneway } => {
                if env.to != self.master {
                    let text = said!(
                        z,
                        "network: request {msg} to {to} lost: it is not the master",
                        "网络：发往{to_zh}的请求 {msg} 丢失：它不是主节点"
                    );
                    self.lose(&[msg], Cause::DroppedInNetwork);
                    return Ok((Some(env.to), text, vec![msg]));
                }
                self.on_request(msg, attempt, oneway)
            }
            Payload::Response { msg, attempt, status } => Ok(self.on_response(msg, attempt, status)),
            Payload::Replicate { life, from_pos, records, msgs } => {
                self.on_replicate(env.to, life, from_pos, &records, msgs)
            }
            Payload::ReplicaAck { life, pos } => self.on_replica_ack(env.to, life, pos),
            Payload::Delivery { epoch, item, msg, reconsume } => {
                Ok(self.on_delivery(epoch, item, msg, reconsume))
            }
            Payload::Commit { epoch, offset, retry_done } => {
                Ok(self.on_commit(env.to, epoch, offset, &retry_done))
            }
            Payload::SendBack { epoch, id, item, msg, reconsume } => {
                self.on_sendback(env.to, epoch, id, item, msg, reconsume)
            }
            Payload::SendBackAck { id, msg } => Ok(self.on_sendback_ack(id, msg)),
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
            && self.consumer.up
        {
            self.schedule(self.now + PULL_TIMEOUT_MS, Due::PullTimeout { epoch });
        }
        (None, text, env.payload.mentions())
    }

    // ----- dispatch --------------------------------------------------------------------------

    fn handle(&mut self, due: Due) -> Result<Out, String> {
        match due {
            Due::Transmit { msg, .. } => {
                let mut text = said!(self.zh, "producer: ", "生产者：");
                text.push(self.transmit(msg));
                Ok((Some(Node::PRODUCER), text, vec![msg]))
            }
            Due::Arrive { env } => self.arrive(env),
            Due::AttemptTimeout { msg, attempt, .. } => Ok(self.attempt_timeout(msg, attempt)),
            Due::GroupCommit { node, .. } => self.group_commit(node),
            Due::FlushTick { node, .. } => self.flush_tick(node),
            Due::FlushDeadline { node, waiter, .. } => Ok(self.flush_deadline(node, waiter)),
            Due::SlaveDeadline { node, waiter, .. } => Ok(self.slave_deadline(node, waiter)),
            Due::HaDrop { node, .. } => Ok(self.ha_drop(node)),
            Due::OffsetPersist { node, .. } => Ok(self.persist_offsets(node)),
            Due::ConsumerPersist { .. } => Ok(self.consumer_persist()),
            Due::SendBackTimeout { id, .. } => Ok(self.sendback_timeout(id)),
            Due::OutboxScan { .. } => Ok(self.outbox_scan()),
            Due::ProcessDone { work, .. } => Ok(self.process_done(work)),
            Due::PullTimeout { .. } => Ok(self.pull_timeout()),
            Due::Rejoin { epoch, from } => Ok(self.rejoin(epoch, from)),
            Due::RetryReady { node, entry, .. } => Ok(self.retry_due(node, entry)),
        }
    }

    // ----- producer --------------------------------------------------------------------------

    /// How long attempt of `msg` started now may wait: what is left of `producer.timeout_ms`
    /// since the first attempt (RocketMQ `sendDefaultImpl`), capped by
    /// `producer.attempt_timeout_ms` when set (`sendMsgMaxTimeoutPerRequest`).
    fn attempt_budget_ms(&self, first_ms: u64) -> u64 {
        let left = self.settings.producer_timeout_ms.saturating_sub(self.now - first_ms).max(1);
        match self.settings.producer_attempt_timeout_ms {
            0 => left,
            cap => left.min(cap),
        }
    }

    /// Sends one attempt of `msg`, which the producer holds in memory; says what it sent (the
    /// caller says who).
    fn transmit(&mut self, msg: MsgId) -> Said {
        let z = self.zh;
        let now = self.now;
        let mode = self.settings.producer_send;
        let total = 1 + self.settings.producer_retries;
        let Some(p) = self.producer.pending.get_mut(&msg) else {
            return said!(z, "{msg} is no longer in memory", "{msg} 已不在内存中");
        };
        p.attempt += 1;
        let attempt = p.attempt;
        let first_ms = *p.first_ms.get_or_insert(now);
        let per_attempt = self.attempt_budget_ms(first_ms);
        let info = self.info(msg);
        info.attempts += 1;
        let (producer, seq) = (info.producer, info.seq);
        let master = self.master;
        self.send(
            EnvelopeKind::Request,
            Node::PRODUCER,
            master,
            Payload::Request { msg, attempt, oneway: mode == SendMode::Oneway },
        );
        match mode {
            SendMode::Oneway => {
                self.producer.pending.remove(&msg);
                if let Some(row) = self.producer.outbox.get_mut(&msg) {
                    row.state = RowState::Done;
                }
                let master_zh = master.name_zh();
                said!(
                    z,
                    "sent {msg} ({producer} seq {seq}) one-way to {master}; no answer will come",
                    "以单向发送把 {msg}（{producer} 序号 {seq}）发往{master_zh}；不会有任何响应"
                )
            }
            SendMode::Sync | SendMode::Async => {
                if let Some(p) = self.producer.pending.get_mut(&msg) {
                    p.awaiting = true;
                }
                let life = self.producer.life;
                self.schedule(now + per_attempt, Due::AttemptTimeout { msg, attempt, life });
                let (how, how_zh) =
                    if mode == SendMode::Sync { ("sync", "同步") } else { ("async", "异步") };
                let master_zh = master.name_zh();
                said!(
                    z,
                    "sent {msg} ({producer} seq {seq}) to {master}, {how} attempt {attempt} of {total}, waits up to {per_attempt} ms",
                    "把 {msg}（{producer} 序号 {seq}）发往{master_zh}，{how_zh}发送第 {attempt}/{total} 次，最多等 {per_attempt} ms"
                )
            }
        }
    }

    /// A send's budget is spent or the answer was a failure: what the app does now.
    /// `why` is what went wrong with `msg`, said without the node ("got no answer …").
    fn give_up(&mut self, msg: MsgId, why: Said) -> Said {
        self.give_up_in(msg, why, "onException")
    }

    /// [`World::give_up`], saying which async callback saw the failure.
    fn give_up_in(&mut self, msg: MsgId, why: Said, callback: &str) -> Said {
        let z = self.zh;
        self.producer.pending.remove(&msg);
        let (why, why_zh) = (why.en, why.zh);
        if self.producer.outbox.get(&msg).is_some_and(|r| r.state == RowState::Pending) {
            self.arm_outbox_scan();
            return said!(
                z,
                "producer: {msg} {why}; its outbox row stays pending for the scanner",
                "生产者：{msg} {why_zh}；它在本地消息表中的记录保持待发送，交给扫描任务"
            );
        }
        match self.settings.producer_send {
            SendMode::Async => {
                self.lose(&[msg], Cause::ErrorIgnored);
                said!(
                    z,
                    "producer: {msg} {why}; the async callback's {callback} only logs it",
                    "生产者：{msg} {why_zh}；异步回调的 {callback} 只打了一行日志"
                )
            }
            _ => {
                self.info(msg).known_failed = true;
                said!(
                    z,
                    "producer: {msg} {why}; the exception reaches the caller (the send failed)",
                    "生产者：{msg} {why_zh}；异常抛给了调用方（发送失败）"
                )
            }
        }
    }

    fn retry_or_give_up(&mut self, msg: MsgId, why: Said) -> Said {
        let z = self.zh;
        let Some(p) = self.producer.pending.get(&msg).copied() else {
            let (why, why_zh) = (why.en, why.zh);
            return said!(z, "producer: {msg} {why}", "生产者：{msg} {why_zh}");
        };
        let elapsed = self.now - p.first_ms.unwrap_or(self.now);
        let total = 1 + self.settings.producer_retries;
        if elapsed < self.settings.producer_timeout_ms && p.attempt < total {
            let sent = self.transmit(msg);
            let (why, why_zh) = (why.en, why.zh);
            let mut text = said!(z, "producer: {msg} {why}; resends. ", "生产者：{msg} {why_zh}；重发。");
            text.push(sent);
            text
        } else {
            let used = p.attempt;
            let mut why = why;
            why.push(said!(
                z,
                "; no attempts or time left ({used} of {total} used, {elapsed} ms)",
                "；次数或时间已用完（已用 {used}/{total} 次，{elapsed} ms）"
            ));
            self.give_up(msg, why)
        }
    }

    fn attempt_timeout(&mut self, msg: MsgId, attempt: u32) -> Out {
        let why = said!(
            self.zh,
            "got no answer to attempt {attempt} in time",
            "第 {attempt} 次发送没有在时限内收到响应"
        );
        (Some(Node::PRODUCER), self.retry_or_give_up(msg, why), vec![msg])
    }

    fn on_response(&mut self, msg: MsgId, attempt: u32, status: SendStatus) -> Out {
        let z = self.zh;
        let node = Some(Node::PRODUCER);
        let name = status.name();
        let current = self.producer.pending.get(&msg).is_some_and(|p| p.attempt == attempt && p.awaiting);
        if !current {
            let text = said!(
                z,
                "producer: late {name} for {msg} attempt {attempt}; nobody is waiting for it",
                "生产者：{msg} 第 {attempt} 次发送的 {name} 迟到了；已经没有人在等它"
            );
            return (node, text, vec![msg]);
        }
        let info = self.info(msg);
        info.status = Some(status);
        if status == SendStatus::SendOk {
            info.acked = true;
        }
        let is_async = self.settings.producer_send == SendMode::Async;
        let callback = if is_async { "callback onSuccess: " } else { "" };
        let callback_zh = if callback.is_empty() { "" } else { "回调 onSuccess：" };
        if status == SendStatus::SendOk || !self.settings.producer_require_send_ok {
            self.producer.pending.remove(&msg);
            let mut text = said!(
                z,
                "producer: {callback}{msg} {name} (attempt {attempt})",
                "生产者：{callback_zh}{msg} {name}（第 {attempt} 次发送）"
            );
            if status != SendStatus::SendOk {
                text.push(said!(
                    z,
                    "; treated as success (require_send_ok is off)",
                    "；被当作成功（require_send_ok 未开启）"
                ));
            }
            if let Some(row) = self.producer.outbox.get_mut(&msg) {
                row.state = RowState::Done;
                text.push(said!(z, "; outbox row marked done", "；本地消息表记录标记为已完成"));
            }
            return (node, text, vec![msg]);
        }
        if let Some(p) = self.producer.pending.get_mut(&msg) {
            p.awaiting = false;
        }
        let why = said!(
            z,
            "{callback}got {name} (require_send_ok treats it as a failure)",
            "{callback_zh}收到 {name}（require_send_ok 把它当作失败）"
        );
        // An async send retries network failures only: a status is an answer, handed to
        // onSuccess (RocketMQ `retryTimesWhenSendAsyncFailed`).
        let text =
            if is_async { self.give_up_in(msg, why, "onSuccess") } else { self.retry_or_give_up(msg, why) };
        (node, text, vec![msg])
    }

    fn arm_outbox_scan(&mut self) {
        if !self.producer.scan_tick {
            self.producer.scan_tick = true;
            let life = self.producer.life;
            self.schedule(next_grid(self.now, OUTBOX_SCAN_INTERVAL_MS), Due::OutboxScan { life });
        }
    }

    fn outbox_scan(&mut self) -> Out {
        self.producer.scan_tick = false;
        let mut resent = Vec::new();
        let mut gave_up = Vec::new();
        for msg in self.producer.rows_to_scan() {
            let Some(row) = self.producer.outbox.get_mut(&msg) else { continue };
            if row.tries >= OUTBOX_MAX_TRIES {
                row.state = RowState::GaveUp;
                gave_up.push(msg);
                continue;
            }
            row.tries += 1;
            self.producer.pending.insert(msg, Pending { attempt: 0, first_ms: None, awaiting: false });
            self.transmit(msg);
            resent.push(msg);
        }
        let z = self.zh;
        let mut parts = Vec::new();
        if !resent.is_empty() {
            parts.push(said!(z, "resends pending rows {}", "重发待发送的记录 {}", msgs_text(&resent)));
        }
        for msg in &gave_up {
            self.info(*msg).known_failed = true;
            let alert = said!(
                z,
                "outbox gave up on {msg} after {OUTBOX_MAX_TRIES} resends",
                "本地消息表重发 {msg} {OUTBOX_MAX_TRIES} 次后放弃"
            );
            self.alert(alert);
        }
        if !gave_up.is_empty() {
            parts.push(said!(
                z,
                "gives up on {} after {OUTBOX_MAX_TRIES} resends and raises an alert",
                "重发 {OUTBOX_MAX_TRIES} 次后放弃 {}，并发出告警",
                msgs_text(&gave_up)
            ));
        }
        let all = resent.iter().chain(&gave_up).copied().collect();
        let mut text = said!(z, "producer: outbox scanner ", "生产者：本地消息表扫描任务");
        text.push(Said::join(parts));
        (Some(Node::PRODUCER), text, all)
    }

    // ----- broker: store ---------------------------------------------------------------------

    fn on_request(&mut self, msg: MsgId, attempt: u32, oneway: bool) -> Result<Out, String> {
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
            topic: crate::log::TOPIC.to_owned(),
            key: format!("{}-{}", info.producer, info.seq),
            timestamp_ms: self.now,
            body,
        };
        let (entry, _) = self.bm(master).append(&record)?;
        let queue_offset = self.b(master).queue_len() - 1;
        let z = self.zh;
        let (from, to, master_zh) = (entry.offset, entry.end, master.name_zh());
        let mut text = said!(
            z,
            "{master}: stored {msg} at offset {queue_offset}, bytes {from}..{to} (page cache)",
            "{master_zh}：把 {msg} 存在位点 {queue_offset}，字节 {from}..{to}（页缓存）"
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
            text.push(said!(z, "; delivers it to the consumer", "；投递给消费者"));
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
            let (synced, synced_done) =
                (self.b(slave).synced_offset, self.b(slave).synced_retry_done.clone());
            let b = self.bm(master);
            if synced > b.committed {
                b.committed = synced.min(b.queue_len());
                b.persisted = b.committed;
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
        b.persisted = b.committed;
        b.retry_done_persisted = b.retry_done.clone();
        let persisted = b.persisted;
        let done = b.retry_done.clone();
        let (z, node_zh) = (self.zh, node.name_zh());
        let mut text = said!(
            z,
            "{node}: persisted consumer offset {persisted} to disk (consumerOffset.json)",
            "{node_zh}：把消费位点 {persisted} 持久化到磁盘（consumerOffset.json）"
        );
        if self.settings.broker_replication != Replication::None && self.slave_available() {
            let r = self.bm(Node::REPLICA);
            r.synced_offset = persisted;
            r.synced_retry_done = done;
            text.push(said!(z, "; the replica syncs it", "；从节点同步了它"));
        }
        (Some(node), text, vec![])
    }

    // ----- broker: consume side --------------------------------------------------------------

    /// Sends every record past the consumer's pull position (long polling answers at once).
    fn dispatch(&mut self) -> Vec<MsgId> {
        let master = self.master;
        let b = self.b(master);
        if !b.up || !b.consumer_online {
            return vec![];
        }
        let epoch = b.pull_epoch;
        let mut sent = Vec::new();
        while let Some(entry) = self.b(master).queued(self.b(master).pull_pos) {
            let (offset, msg) = (self.b(master).pull_pos, entry.msg);
            self.bm(master).pull_pos += 1;
            let payload = Payload::Delivery { epoch, item: Item::Main(offset), msg, reconsume: 0 };
            self.send(EnvelopeKind::Delivery, master, Node::CONSUMER, payload);
            sent.push(msg);
        }
        sent
    }

    fn deliver_retry(&mut self, node: Node, entry: usize) -> Option<MsgId> {
        let b = self.b(node);
        let epoch = b.pull_epoch;
        let r = *b.retry.get(&entry)?;
        self.bm(node).retry.get_mut(&entry)?.delivered = true;
        let payload =
            Payload::Delivery { epoch, item: Item::Retry(entry), msg: r.msg, reconsume: r.reconsume };
        self.send(EnvelopeKind::Delivery, node, Node::CONSUMER, payload);
        Some(r.msg)
    }

    fn retry_due(&mut self, node: Node, entry: usize) -> Out {
        let (z, node_zh) = (self.zh, node.name_zh());
        let Some(r) = self.b(node).retry.get(&entry).copied() else {
            return (Some(node), said!(z, "{node}: retry entry gone", "{node_zh}：重试条目已不存在"), vec![]);
        };
        let (n, msg) = (r.reconsume, r.msg);
        if !self.b(node).consumer_online || node != self.master {
            let text = said!(
                z,
                "{node}: retry {n} of {msg} is due; the consumer is offline",
                "{node_zh}：{msg} 的第 {n} 次重试到期；消费者不在线"
            );
            return (Some(node), text, vec![msg]);
        }
        self.deliver_retry(node, entry);
        (
            Some(node),
            said!(
                z,
                "{node}: {msg}'s delay level is due; delivers it again (retry {n})",
                "{node_zh}：{msg} 的延迟等级到期；再次投递（第 {n} 次重试）"
            ),
            vec![msg],
        )
    }

    /// The consumer's offset store reported: its offset and the retry copies it finished.
    fn on_commit(
        &mut self,
        node: Node,
        epoch: u32,
        offset: Option<u64>,
        retry_done: &[(usize, MsgId)],
    ) -> Out {
        let (z, node_zh) = (self.zh, node.name_zh());
        if node != self.master {
            return (
                Some(node),
                said!(
                    z,
                    "{node}: ignored a commit (not the master)",
                    "{node_zh}：忽略了一次位点提交（不是主节点）"
                ),
                vec![],
            );
        }
        let mut parts = Vec::new();
        let mut msgs = Vec::new();
        if epoch == self.b(node).pull_epoch {
            if let Some(v) = offset {
                // Never past what this broker delivered since it started: after a power loss the
                // same offsets hold other messages, which a stale commit must not skip.
                let v = v.min(self.b(node).pull_pos);
                if v > self.b(node).committed {
                    self.bm(node).committed = v;
                    self.arm_persist(node);
                    parts.push(said!(
                        z,
                        "committed offset {v} (in memory)",
                        "提交了消费位点 {v}（在内存中）"
                    ));
                }
            }
            let mut done = Vec::new();
            for (entry, msg) in retry_done {
                if self.b(node).retry.get(entry).is_some_and(|r| r.msg == *msg) {
                    self.bm(node).retry.remove(entry);
                    self.bm(node).retry_done.insert(*entry);
                    done.push(*msg);
                }
            }
            if !done.is_empty() {
                self.arm_persist(node);
                parts.push(said!(
                    z,
                    "retry copies of {} are done",
                    "{} 的重试副本已消费完成",
                    msgs_text(&unique(done.iter().copied()))
                ));
                msgs.extend(done);
            }
        }
        if parts.is_empty() {
            parts.push(said!(z, "commit changes nothing", "这次提交没有改变什么"));
        }
        let mut text = said!(z, "{node}: ", "{node_zh}：");
        text.push(Said::join(parts));
        (Some(node), text, msgs)
    }

    /// `sendMessageBack`: the broker stores the failed message again, for its next delay level
    /// (`SCHEDULE_TOPIC_XXXX`) or, after the last retry, in the dead-letter queue. The copy is
    /// a commit-log record like any other (stored without waiting for the flush or the
    /// replica, as RocketMQ stores it with `waitStoreMsgOK=false`).
    fn on_sendback(
        &mut self,
        node: Node,
        epoch: u32,
        id: u64,
        item: Item,
        msg: MsgId,
        reconsume: u32,
    ) -> Result<Out, String> {
        let (z, node_zh) = (self.zh, node.name_zh());
        if node != self.master {
            let text = said!(
                z,
                "{node}: ignored a sendMessageBack of {msg} (not the master)",
                "{node_zh}：忽略了 {msg} 的 sendMessageBack（不是主节点）"
            );
            return Ok((Some(node), text, vec![msg]));
        }
        let info = &self.ledger[(msg.0 - 1) as usize];
        let dead = reconsume > self.settings.consumer_max_retries;
        let record = Record {
            msg_id: msg,
            producer_id: info.producer,
            seq: info.seq,
            reconsume_times: reconsume,
            topic: if dead { DLQ_TOPIC } else { SCHEDULE_TOPIC }.to_owned(),
            key: format!("{}-{}", info.producer, info.seq),
            timestamp_ms: self.now,
            body: info.body.clone(),
        };
        let (entry, at) = self.bm(node).append(&record)?;
        let (from, to) = (entry.offset, entry.end);
        if let Item::Retry(old) = item
            && epoch == self.b(node).pull_epoch
            && self.b(node).retry.get(&old).is_some_and(|r| r.msg == msg)
        {
            self.bm(node).retry.remove(&old);
            self.bm(node).retry_done.insert(old);
            self.arm_persist(node);
        }
        let mut text = if dead {
            let retries = reconsume - 1;
            self.alert(said!(
                z,
                "{msg} dead-lettered after {retries} retries",
                "{msg} 重试 {retries} 次后进入死信队列"
            ));
            said!(
                z,
                "{node}: {msg} failed after {retries} retries: stored in {DLQ_TOPIC} (bytes {from}..{to}, page cache)",
                "{node_zh}：{msg} 重试 {retries} 次后仍失败：存入 {DLQ_TOPIC}（字节 {from}..{to}，页缓存）"
            )
        } else {
            let delay = retry_delay_ms(reconsume);
            let due_ms = self.now + delay;
            let life = self.b(node).life;
            self.bm(node).retry.insert(at, broker::RetryEntry { msg, reconsume, due_ms, delivered: false });
            self.schedule(due_ms, Due::RetryReady { node, entry: at, life });
            said!(
                z,
                "{node}: stored {msg} for retry {reconsume} in {} ({SCHEDULE_TOPIC}, bytes {from}..{to}, page cache)",
                "{node_zh}：把 {msg} 存入 {SCHEDULE_TOPIC}，{} 后第 {reconsume} 次重试（字节 {from}..{to}，页缓存）",
                duration_text(delay)
            )
        };
        match self.settings.broker_flush {
            FlushMode::Async => self.arm_flush_tick(node),
            FlushMode::Sync => {
                self.arm_group_commit(node);
            }
        }
        let shipped = self.ship(node)?;
        if !shipped.is_empty() {
            text.push(said!(z, "; streams it to the replica", "；推送给从节点"));
        }
        self.send(EnvelopeKind::Response, node, Node::CONSUMER, Payload::SendBackAck { id, msg });
        text.push(said!(z, "; answers the consumer", "；应答消费者"));
        Ok((Some(node), text, vec![msg]))
    }

    fn rejoin(&mut self, epoch: u32, from: Option<u64>) -> Out {
        let master = self.master;
        let (z, master_zh) = (self.zh, master.name_zh());
        if !self.node_up(master) || !self.net.connected(master, Node::CONSUMER) {
            self.consumer.needs_repull = true;
            return (
                Some(Node::CONSUMER),
                said!(
                    z,
                    "consumer: cannot reach {master}; will pull when it can",
                    "消费者：连不上{master_zh}；能连上时再拉取"
                ),
                vec![],
            );
        }
        let len = self.b(master).queue_len();
        if from.is_some() {
            // A pull that carries on the consumer's session carries its offset store's news too
            // (RocketMQ piggy-backs the commit offset on every pull request).
            let offset = self.consumer.commit_offset().filter(|o| *o <= len);
            let done: Vec<(usize, MsgId)> =
                std::mem::take(&mut self.consumer.retry_done).into_iter().collect();
            let b = self.bm(master);
            if let Some(o) = offset.filter(|o| *o > b.committed) {
                b.committed = o;
            }
            for (entry, msg) in done {
                if b.retry.get(&entry).is_some_and(|r| r.msg == msg) {
                    b.retry.remove(&entry);
                    b.retry_done.insert(entry);
                }
            }
            if b.committed != b.persisted || b.retry_done != b.retry_done_persisted {
                self.arm_persist(master);
            }
        }
        let committed = self.b(master).committed;
        let pos = from.unwrap_or(committed).min(len);
        self.consumer.from_committed = false;
        let b = self.bm(master);
        b.pull_epoch = epoch;
        b.consumer_online = true;
        b.pull_pos = pos;
        let mut text = match from {
            None => said!(
                z,
                "{master}: consumer rejoined; pulls from its committed offset {pos}",
                "{master_zh}：消费者重新加入；从已提交的位点 {pos} 开始拉取"
            ),
            Some(_) => said!(
                z,
                "{master}: consumer pulls again from offset {pos}",
                "{master_zh}：消费者从位点 {pos} 重新拉取"
            ),
        };
        if from.is_some_and(|f| f > pos) {
            text.push(said!(z, " (offset corrected to the end of the queue)", "（位点被修正到队列末尾）"));
        }
        // The pull response tells the consumer where this pull starts.
        self.consumer.next_offset = Some(pos);
        let redeliver: Vec<usize> =
            self.b(master).retry.iter().filter(|(_, r)| r.due_ms <= self.now).map(|(id, _)| *id).collect();
        let mut msgs = Vec::new();
        for entry in redeliver {
            msgs.extend(self.deliver_retry(master, entry));
        }
        let sent = self.dispatch();
        if !sent.is_empty() || !msgs.is_empty() {
            text.push(said!(
                z,
                "; delivers {}",
                "；投递 {}",
                msgs_text(&[msgs.clone(), sent.clone()].concat())
            ));
        }
        msgs.extend(sent);
        (Some(master), text, msgs)
    }

    // ----- consumer --------------------------------------------------------------------------

    fn repull(&mut self, from: Option<u64>) {
        if from.is_none() {
            // Re-registering starts from what the broker has: what the consumer finished and
            // never reported is delivered again.
            self.consumer.from_committed = true;
            self.consumer.retry_done.clear();
        }
        let from = if self.consumer.from_committed { None } else { from };
        self.consumer.epoch += 1;
        self.consumer.needs_repull = false;
        let epoch = self.consumer.epoch;
        self.schedule(self.now + self.settings.net_latency_ms, Due::Rejoin { epoch, from });
    }

    fn pull_timeout(&mut self) -> Out {
        let node = Some(Node::CONSUMER);
        let z = self.zh;
        if !self.net.connected(Node::CONSUMER, self.master) || !self.node_up(self.master) {
            self.consumer.needs_repull = true;
            return (
                node,
                said!(
                    z,
                    "consumer: pull timed out; the broker is unreachable, will pull when it is",
                    "消费者：拉取超时；Broker 连不上，能连上时再拉取"
                ),
                vec![],
            );
        }
        let from = self.consumer.next_offset;
        self.repull(from);
        let text = match from {
            Some(o) => said!(
                z,
                "consumer: pull timed out (response lost); pulls again from offset {o}",
                "消费者：拉取超时（响应丢失）；从位点 {o} 重新拉取"
            ),
            None => said!(
                z,
                "consumer: pull timed out (response lost); pulls again from its committed offset",
                "消费者：拉取超时（响应丢失）；从已提交的位点重新拉取"
            ),
        };
        (node, text, vec![])
    }

    fn on_delivery(&mut self, epoch: u32, item: Item, msg: MsgId, reconsume: u32) -> Out {
        let node = Some(Node::CONSUMER);
        let z = self.zh;
        if epoch != self.consumer.epoch {
            return (
                node,
                said!(
                    z,
                    "consumer: ignored {msg} from an earlier pull",
                    "消费者：忽略了之前那次拉取的 {msg}"
                ),
                vec![msg],
            );
        }
        let label = match item {
            Item::Main(offset) => {
                if let Some(next) = self.consumer.next_offset
                    && next != offset
                {
                    let text = said!(
                        z,
                        "consumer: ignored {msg} at offset {offset}: it pulls offset {next} first",
                        "消费者：忽略了位点 {offset} 的 {msg}：它要先拉取位点 {next}"
                    );
                    return (node, text, vec![msg]);
                }
                self.consumer.next_offset = Some(offset + 1);
                self.consumer.in_flight.insert(offset);
                said!(z, "offset {offset}", "位点 {offset}")
            }
            Item::Retry(_) => said!(z, "retry {reconsume}", "第 {reconsume} 次重试"),
        };
        let info = self.info(msg);
        info.deliveries += 1;
        let (producer, seq, n) = (info.producer, info.seq, info.deliveries);
        let (label, label_zh) = (label.en, label.zh);
        let mut text = said!(
            z,
            "consumer: received {msg} ({label}, delivery {n})",
            "消费者：收到 {msg}（{label_zh}，第 {n} 次投递）"
        );
        if self.settings.consumer_check_seq {
            text.push(self.check_seq(msg, producer, seq));
        }
        let async_mode = self.settings.consumer_mode == ConsumeMode::Async;
        let before = self.settings.consumer_commit == CommitTiming::Before;
        let early = async_mode || before;
        if early {
            self.release(item, msg);
            if before {
                // The application commits the offset itself, synchronously, before the work.
                self.report_offsets();
            }
            text.push(if async_mode {
                said!(
                    z,
                    "; async mode: reports CONSUME_SUCCESS now and hands the work to a thread",
                    "；异步模式：立刻返回 CONSUME_SUCCESS，把业务处理交给另一个线程"
                )
            } else {
                said!(z, "; commits its offset before processing", "；先向 Broker 提交位点再处理")
            });
        }
        let work = self.consumer.next_work;
        self.consumer.next_work += 1;
        self.consumer.work.insert(work, Work { msg, item, reconsume, reported_early: early, async_mode });
        let life = self.consumer.life;
        self.schedule(self.now + PROCESS_MS, Due::ProcessDone { work, life });
        text.push(said!(z, "; processing ({PROCESS_MS} ms)", "；处理中（{PROCESS_MS} ms）"));
        (node, text, vec![msg])
    }

    /// The sequence check: a message past the next expected seq flags the ones between as a
    /// gap; a late one closes its part of a gap and withdraws the alert once the gap is whole.
    fn check_seq(&mut self, msg: MsgId, producer: crate::ids::ProducerId, seq: u64) -> Said {
        let z = self.zh;
        let expected = *self.consumer.seq_next.get(&producer).unwrap_or(&1);
        if seq < expected {
            let mut closed = false;
            for (gap, _) in self.alerts.iter_mut() {
                if let Some(g) = gap
                    && g.producer == producer
                    && g.seqs.remove(&seq)
                {
                    closed = true;
                }
            }
            if !closed {
                return Said::default();
            }
            self.info(msg).detected = false;
            self.alerts.retain(|(gap, _)| gap.as_ref().is_none_or(|g| !g.seqs.is_empty()));
            return said!(
                z,
                "; sequence check: {producer} seq {seq} arrived late, its gap is closed",
                "；序号检查：{producer} 的序号 {seq} 迟到了，缺口已补上"
            );
        }
        self.consumer.seq_next.insert(producer, seq + 1);
        if seq == expected {
            return Said::default();
        }
        let missing: Vec<MsgId> = self
            .ledger
            .iter()
            .filter(|m| m.producer == producer && (expected..seq).contains(&m.seq))
            .map(|m| m.id)
            .collect();
        for id in &missing {
            self.info(*id).detected = true;
        }
        let gap =
            if seq - expected == 1 { format!("{expected}") } else { format!("{expected}..{}", seq - 1) };
        let alert = said!(
            z,
            "sequence gap: {producer} seq {gap} missing before seq {seq}",
            "序号缺口：{producer} 在序号 {seq} 之前缺少序号 {gap}"
        );
        self.alerts.push((Some(Gap { producer, seqs: (expected..seq).collect() }), alert.finished()));
        said!(
            z,
            "; sequence check: {producer} seq {gap} missing (gap detected)",
            "；序号检查：{producer} 缺少序号 {gap}（发现缺口）"
        )
    }

    /// The work on `item` is over (or reported so): it leaves the process queue, so the offset
    /// can move past it.
    fn release(&mut self, item: Item, msg: MsgId) {
        match item {
            Item::Main(offset) => {
                self.consumer.in_flight.remove(&offset);
            }
            Item::Retry(entry) => {
                self.consumer.retry_done.insert((entry, msg));
            }
        }
        self.arm_consumer_persist();
    }

    /// Whether the consumer's offset store knows something the master does not, and can tell
    /// it. RocketMQ sends the offsets every 5 s whether or not they changed; the lab skips the
    /// sends that would change nothing, so an idle world stays idle.
    fn consumer_has_news(&self) -> bool {
        let c = &self.consumer;
        let master = self.b(self.master);
        let reachable = self.node_up(self.master) && self.net.connected(Node::CONSUMER, self.master);
        let ahead = c.commit_offset().is_some_and(|o| o.min(master.pull_pos) > master.committed);
        let done = c.retry_done.iter().any(|(e, m)| master.retry.get(e).is_some_and(|r| r.msg == *m));
        c.up && reachable && (ahead || done)
    }

    /// The offset store sends the broker its news every 5 s (RocketMQ
    /// `persistConsumerOffsetInterval`); real clients also piggy-back the offset on their next
    /// pull request, which the lab does when the consumer pulls again.
    fn arm_consumer_persist(&mut self) {
        if !self.consumer.persist_tick && self.consumer_has_news() {
            self.consumer.persist_tick = true;
            let life = self.consumer.life;
            self.schedule(next_grid(self.now, CONSUMER_PERSIST_INTERVAL_MS), Due::ConsumerPersist { life });
        }
    }

    /// Sends the offset store's news to the master; returns what was sent.
    fn report_offsets(&mut self) -> (Option<u64>, Vec<(usize, MsgId)>) {
        let offset = self.consumer.commit_offset();
        let master = self.master;
        let still = &self.brokers[bi(master)].retry;
        self.consumer.retry_done.retain(|(e, m)| still.get(e).is_some_and(|r| r.msg == *m));
        let retry_done: Vec<(usize, MsgId)> = self.consumer.retry_done.iter().copied().collect();
        let payload = Payload::Commit { epoch: self.consumer.epoch, offset, retry_done: retry_done.clone() };
        let master = self.master;
        self.send(EnvelopeKind::Commit, Node::CONSUMER, master, payload);
        (offset, retry_done)
    }

    fn consumer_persist(&mut self) -> Out {
        self.consumer.persist_tick = false;
        let (offset, done) = self.report_offsets();
        // Sent one-way: if it does not arrive, the next tick sends it again.
        self.arm_consumer_persist();
        let z = self.zh;
        let mut text = match offset {
            Some(o) => said!(
                z,
                "consumer: offset store sends offset {o} to the broker (every {} s)",
                "消费者：位点存储把位点 {o} 发给 Broker（每 {} 秒一次）",
                CONSUMER_PERSIST_INTERVAL_MS / 1000
            ),
            None => said!(
                z,
                "consumer: offset store reports to the broker (every {} s)",
                "消费者：位点存储向 Broker 汇报（每 {} 秒一次）",
                CONSUMER_PERSIST_INTERVAL_MS / 1000
            ),
        };
        if !done.is_empty() {
            let n = done.len();
            text.push(said!(
                z,
                " with {} done",
                "，附带 {n} 个已完成的重试副本"; en: plural(n, "retry copy").replace("copys", "copies")
            ));
        }
        (Some(Node::CONSUMER), text, vec![])
    }

    fn process_done(&mut self, id: u64) -> Out {
        let node = Some(Node::CONSUMER);
        let z = self.zh;
        let Some(w) = self.consumer.work.remove(&id) else {
            return (node, said!(z, "consumer: nothing to finish", "消费者：没有要完成的处理"), vec![]);
        };
        let msg = w.msg;
        if self.consumer.fail_next > 0 {
            self.consumer.fail_next -= 1;
            if w.reported_early {
                let cause =
                    if w.async_mode { Cause::AsyncConsumeFailed } else { Cause::CommittedBeforeProcessing };
                self.lose(&[msg], cause);
                let text = said!(
                    z,
                    "consumer: business logic failed on {msg}, but success was already reported; nobody will retry it",
                    "消费者：{msg} 的业务处理失败了，但之前已经报告了成功；没有人会重试它"
                );
                return (node, text, vec![msg]);
            }
            // RECONSUME_LATER: send it back; its offset stays held until the broker has it.
            let reconsume = w.reconsume + 1;
            let sb = self.consumer.next_work;
            self.consumer.next_work += 1;
            self.consumer.sendbacks.insert(sb, SendBack { msg, item: w.item, reconsume });
            let payload =
                Payload::SendBack { epoch: self.consumer.epoch, id: sb, item: w.item, msg, reconsume };
            let master = self.master;
            self.send(EnvelopeKind::Commit, Node::CONSUMER, master, payload);
            let life = self.consumer.life;
            self.schedule(self.now + SENDBACK_TIMEOUT_MS, Due::SendBackTimeout { id: sb, life });
            let text = said!(
                z,
                "consumer: business logic failed on {msg}: RECONSUME_LATER, sends it back for retry (sendMessageBack)",
                "消费者：{msg} 的业务处理失败：返回 RECONSUME_LATER，把它发回 Broker 等待重试（sendMessageBack）"
            );
            return (node, text, vec![msg]);
        }
        let idempotent = self.settings.consumer_idempotent;
        let mut text = if idempotent && self.consumer.dedupe.contains(&msg) {
            said!(
                z,
                "consumer: {msg} is already in the dedupe store; effect skipped",
                "消费者：{msg} 已在去重表中；跳过业务处理"
            )
        } else {
            if idempotent {
                self.consumer.dedupe.insert(msg);
            }
            let info = self.info(msg);
            info.effects += 1;
            let effects = info.effects;
            if effects == 1 {
                said!(
                    z,
                    "consumer: processed {msg} (business effect applied)",
                    "消费者：处理完 {msg}（业务效果已生效）"
                )
            } else {
                said!(
                    z,
                    "consumer: processed {msg} AGAIN (effect #{effects}: a duplicate)",
                    "消费者：又一次处理了 {msg}（第 {effects} 次生效：重复消费）"
                )
            }
        };
        if !w.reported_early {
            self.release(w.item, msg);
            text.push(match (w.item, self.consumer.commit_offset()) {
                (Item::Main(_), Some(o)) => said!(
                    z,
                    "; CONSUME_SUCCESS: offset {o} in the offset store (memory)",
                    "；CONSUME_SUCCESS：位点 {o} 记入位点存储（内存）"
                ),
                _ => said!(z, "; CONSUME_SUCCESS", "；CONSUME_SUCCESS"),
            });
        }
        (node, text, vec![msg])
    }

    fn on_sendback_ack(&mut self, id: u64, msg: MsgId) -> Out {
        let z = self.zh;
        let Some(sb) = self.consumer.sendbacks.remove(&id) else {
            let text = said!(
                z,
                "consumer: late answer to the sendMessageBack of {msg}; nobody is waiting for it",
                "消费者：{msg} 的 sendMessageBack 应答迟到了；已经没有人在等它"
            );
            return (Some(Node::CONSUMER), text, vec![msg]);
        };
        self.release(sb.item, msg);
        let text = said!(
            z,
            "consumer: the broker took {msg} back; it leaves the process queue",
            "消费者：Broker 收下了 {msg}；它离开处理队列"
        );
        (Some(Node::CONSUMER), text, vec![msg])
    }

    /// `sendMessageBack` failed: the consumer keeps the message, holds its offset and consumes it
    /// again itself a little later (RocketMQ `submitConsumeRequestLater`).
    fn sendback_timeout(&mut self, id: u64) -> Out {
        let z = self.zh;
        let Some(sb) = self.consumer.sendbacks.remove(&id) else {
            return (
                Some(Node::CONSUMER),
                said!(z, "consumer: nothing waiting", "消费者：没有在等的请求"),
                vec![],
            );
        };
        let msg = sb.msg;
        let work = self.consumer.next_work;
        self.consumer.next_work += 1;
        let w =
            Work { msg, item: sb.item, reconsume: sb.reconsume, reported_early: false, async_mode: false };
        self.consumer.work.insert(work, w);
        let life = self.consumer.life;
        self.schedule(self.now + LOCAL_RETRY_MS, Due::ProcessDone { work, life });
        let (t, l) = (SENDBACK_TIMEOUT_MS / 1000, LOCAL_RETRY_MS / 1000);
        let text = said!(
            z,
            "consumer: sendMessageBack of {msg} got no answer in {t} s; keeps it (offset held) and consumes it again locally in {l} s",
            "消费者：{msg} 的 sendMessageBack 在 {t} 秒内没有应答；自己留着它（位点不前进），{l} 秒后在本地重新消费"
        );
        (Some(Node::CONSUMER), text, vec![msg])
    }

    // ----- commands --------------------------------------------------------------------------

    /// Applies one world-changing command (not step/run/back) as one step. A refusal changes
    /// nothing and says why.
    pub fn command(&mut self, command: &Command) -> Result<Result<Event, Said>, String> {
        let out = match command {
            Command::Send(n) => self.cmd_send(*n),
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
                self.consumer.fail_next += n;
                let fails = self.consumer.fail_next;
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

    fn cmd_send(&mut self, n: u64) -> Result<Out, Said> {
        if !self.producer.up {
            return Err(said!(
                self.zh,
                "send: the producer is down; restart it first",
                "send：生产者已宕机；请先重启它"
            ));
        }
        let mut ids = Vec::new();
        let producer = self.producer.id;
        let first_seq = self.producer.next_seq;
        let life = self.producer.life;
        for _ in 0..n {
            let id = MsgId(self.ledger.len() as u64 + 1);
            let seq = self.producer.next_seq;
            self.producer.next_seq += 1;
            self.ledger.push(MsgInfo::new(id, producer, seq, 0));
            self.producer.pending.insert(id, Pending { attempt: 0, first_ms: None, awaiting: false });
            if self.settings.producer_outbox {
                self.producer.outbox.insert(id, OutboxRow { tries: 0, state: RowState::Pending });
            }
            self.schedule(self.now, Due::Transmit { msg: id, life });
            ids.push(id);
        }
        let last_seq = first_seq + n - 1;
        let seqs = if n == 1 { format!("{first_seq}") } else { format!("{first_seq}..{last_seq}") };
        let z = self.zh;
        let mut text = said!(
            z,
            "producer: created {} ({producer} seq {seqs}) in memory",
            "生产者：在内存中创建了 {}（{producer} 序号 {seqs}）",
            msgs_text(&ids)
        );
        if self.settings.producer_outbox {
            let them = if n == 1 { "it" } else { "them" };
            text.push(said!(
                z,
                "; wrote {them} to the outbox (local message table) first",
                "；先写入了本地消息表（outbox）"
            ));
        }
        Ok((Some(Node::PRODUCER), text, ids))
    }

    fn cmd_set(&mut self, key: &str, value: &str) -> Result<Result<Out, Said>, String> {
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
        Ok(Ok((None, text, vec![])))
    }

    fn cmd_crash(&mut self, node: Node, kind: CrashKind) -> Result<Result<Out, Said>, String> {
        // A broker's machine can still lose power or its disk while the process is down (killed,
        // then the machine rebooted before the restart).
        let machine_fault = node.has_log() && kind != CrashKind::Process;
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
                let p = &mut self.producer;
                p.up = false;
                p.life += 1;
                p.scan_tick = false;
                let lost: Vec<MsgId> = std::mem::take(&mut p.pending).into_keys().collect();
                let rows = p.pending_rows();
                self.lose(&lost, Cause::ProducerCrashedUnsent);
                let mut text =
                    said!(z, "producer: {how}; its memory is gone", "生产者：{how_zh}；内存中的数据没了");
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
                let c = &mut self.consumer;
                c.up = false;
                c.life += 1;
                c.in_flight.clear();
                c.next_offset = None;
                c.retry_done.clear();
                c.sendbacks.clear();
                c.persist_tick = false;
                let work: Vec<Work> = std::mem::take(&mut c.work).into_values().collect();
                let master = self.master;
                self.bm(master).consumer_online = false;
                let mut lost = Vec::new();
                let mut text = said!(z, "consumer: {how}", "消费者：{how_zh}");
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
                    let committed = self.b(node).committed;
                    text.push(said!(
                        z,
                        "; consumer offset back to the persisted {committed}",
                        "；消费位点退回到已持久化的 {committed}"
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
        if self.node_up(node) {
            return Ok(Err(said!(
                self.zh,
                "restart {node}: {node} is up",
                "restart {node}：{node} 正在运行"
            )));
        }
        match node {
            Node::Producer(_) => {
                let p = &mut self.producer;
                p.up = true;
                p.id = crate::ids::ProducerId(p.id.0 + 1);
                p.next_seq = 1;
                let rows = p.rows_to_scan().len();
                let (z, id) = (self.zh, p.id);
                let mut text = said!(
                    z,
                    "producer: restarted as {id} (sequence numbers start again at 1)",
                    "生产者：以 {id} 身份重启（序号重新从 1 开始）"
                );
                if rows > 0 {
                    self.arm_outbox_scan();
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
                self.consumer.up = true;
                self.repull(None);
                let text = said!(
                    self.zh,
                    "consumer: restarted; asks the broker for its committed offset",
                    "消费者：重启；向 Broker 查询已提交的消费位点"
                );
                Ok(Ok((Some(node), text, vec![])))
            }
            Node::Broker(_) => {
                let z = self.zh;
                let now = self.now;
                let (line, cut, causes) = self.bm(node).restart(z, now)?;
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
                    let committed = self.b(node).committed;
                    text.push(said!(z, "; consumer offset {committed}", "；消费位点 {committed}"));
                    self.schedule_retries(node);
                }
                text.push(self.reconnect_replica()?);
                // The consumer re-registers with the restarted master and starts again from the
                // committed offset: its own position may point into records recovery cut.
                if node == self.master && self.consumer.up {
                    self.consumer.in_flight.clear();
                    self.repull(None);
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
        if self.consumer.up
            && (self.consumer.needs_repull || was.contains(&Node::CONSUMER) || was.contains(&master))
        {
            let from = self.consumer.next_offset;
            self.repull(from);
            text.push(said!(z, "; the consumer pulls again", "；消费者重新拉取"));
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
        let abandoned: BTreeSet<MsgId> = old
            .live_entries(old.committed)
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
        r.committed = r.synced_offset.min(r.queue_len());
        r.persisted = r.committed;
        let done = r.synced_retry_done.clone();
        r.rebuild_retry(&done);
        r.retry_done_persisted = r.retry_done.clone();
        r.consumer_online = false;
        let has: BTreeSet<MsgId> = r.index.iter().map(|e| e.msg).collect();
        let (committed, records) = (r.committed, r.index.len());
        self.schedule_retries(Node::REPLICA);
        self.master = Node::REPLICA;
        let had_only_old: Vec<MsgId> = abandoned.iter().filter(|m| !has.contains(m)).copied().collect();
        let z = self.zh;
        let mut text = said!(
            z,
            "replica: promoted to master with {} (consumer offset {committed})",
            "从节点：升为主节点，带着 {records} 条记录（消费位点 {committed}）"; en:
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
        if self.consumer.up {
            self.repull(None);
            self.consumer.next_offset = None;
            self.consumer.in_flight.clear();
            text.push(said!(z, "; the consumer switches to it", "；消费者切换到它"));
        }
        Ok(Ok((Some(Node::REPLICA), text, had_only_old)))
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
        for id in self.producer.pending.keys() {
            put(*id, Place::ProducerMemory(Node::PRODUCER));
        }
        for (id, row) in &self.producer.outbox {
            if row.state == RowState::Pending {
                put(*id, Place::Outbox(Node::PRODUCER));
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
            let from =
                if b.role == Role::Master { b.committed } else { b.synced_offset.max(master.committed) };
            let (cache, disk) = (Place::PageCache(b.node), Place::Disk(b.node));
            for e in b.live_entries(from) {
                put(e.msg, if e.end <= b.flushed_pos { disk } else { cache });
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
        for w in self.consumer.work.values() {
            put(w.msg, Place::ConsumerProcessing(Node::CONSUMER));
        }
        // A message whose sendMessageBack is unanswered stays in the consumer's process queue.
        for sb in self.consumer.sendbacks.values() {
            put(sb.msg, Place::ConsumerProcessing(Node::CONSUMER));
        }
        places.into_iter().map(|s| s.into_iter().collect()).collect()
    }

    /// The nodes, queues and links a front end draws, as they are now.
    pub fn topology(&self) -> Topology {
        let master = self.master;
        let mut links = vec![LinkView { from: Node::PRODUCER, to: master, kind: LinkKind::Produce }];
        if let Some(slave) = self.slave()
            && self.settings.broker_replication != Replication::None
        {
            links.push(LinkView { from: master, to: slave, kind: LinkKind::Replicate });
        }
        links.push(LinkView { from: master, to: Node::CONSUMER, kind: LinkKind::Consume });
        let m = self.b(master);
        let queues = vec![QueueView {
            id: 0,
            broker: master,
            owner: self.consumer.up.then_some(Node::CONSUMER),
            stored: m.queue_len(),
            committed: m.committed,
        }];
        Topology {
            producers: vec![Node::PRODUCER],
            brokers: vec![Node::BROKER, Node::REPLICA],
            consumers: vec![Node::CONSUMER],
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
        Node::ALL
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
                        let p = &self.producer;
                        view.role = "producer".into();
                        view.in_memory = p.pending.len();
                        view.outbox_pending = p.pending_rows();
                        view.note = if p.up {
                            NodeNote::Producer { id: p.id, next_seq: p.next_seq, in_memory: p.pending.len() }
                        } else {
                            NodeNote::Down
                        };
                    }
                    Node::Consumer(_) => {
                        let c = &self.consumer;
                        view.role = "consumer".into();
                        view.committed_offset = Some(master.committed);
                        view.persisted_offset = Some(master.persisted);
                        view.in_memory = c.work.len();
                        view.note = if c.up {
                            NodeNote::Consumer {
                                processing: c.work.values().map(|w| w.msg).collect(),
                                fails_next: c.fail_next,
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
                            view.committed_offset = Some(b.committed);
                            view.persisted_offset = Some(b.persisted);
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
