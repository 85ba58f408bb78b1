//! A broker node (the master, or the replica): its real commit log, the index of which message
//! each record holds, and the in-memory state a process crash wipes.
//!
//! Everything a broker stores goes through its commit log, as in RocketMQ: the messages as sent
//! (topic [`crate::log::TOPIC`]), the copies a consumer sent back for a later retry (`SCHEDULE_TOPIC_XXXX`)
//! and the dead letters (`%DLQ%…`). So a retry or a dead letter is flushed, replicated, cut by a
//! power loss and recovered exactly like the message it copies. The topic has several queues;
//! each [`BrokerQueue`] keeps its consume queue (the positions of its records in the log, in
//! order), the consumer group's offsets in it, and who pulls from it. Offsets count positions in
//! a consume queue.
//!
//! Methods here change only this broker and report what happened; the world decides what the
//! report means for other nodes and for the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::command::CrashKind;
use crate::ids::{MsgId, Node};
use crate::log::{ClosedLog, CommitLog, CutCause, LogConfig, Record, StorageKind, TornTail};
use crate::view::{Cause, SendStatus};

use super::said::{Said, said};

/// What a broker is in the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Master,
    Slave,
    /// An old master after the replica was promoted: fenced off, its copies abandoned.
    Retired,
}

/// RocketMQ's topic for delayed copies: a message sent back by the consumer waits here for its
/// delay level.
pub(crate) const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// The consumer group's dead-letter topic.
pub(crate) const DLQ_TOPIC: &str = "%DLQ%LabConsumerGroup";

/// What a record is, by its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A message as the producer sent it: in the consume queue of queue `queue`.
    Main { queue: u32 },
    /// A copy sent back for retry number `reconsume`, due at `due_ms`.
    Retry { reconsume: u32, due_ms: u64 },
    /// A copy parked in the dead-letter queue.
    Dead,
}

impl Kind {
    fn of(record: &Record) -> Kind {
        match record.topic.as_str() {
            SCHEDULE_TOPIC => Kind::Retry {
                reconsume: record.reconsume_times,
                due_ms: record.timestamp_ms + super::retry_delay_ms(record.reconsume_times),
            },
            DLQ_TOPIC => Kind::Dead,
            _ => Kind::Main { queue: record.queue_id },
        }
    }
}

/// One record of the log, as the broker's in-memory index knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub msg: MsgId,
    pub offset: u64,
    pub end: u64,
    pub kind: Kind,
}

/// How the flush wait of one send ended (RocketMQ GroupCommitService / FlushDiskWatcher).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlushOutcome {
    /// ASYNC_FLUSH: the answer does not wait for the disk.
    NotWaited,
    Flushed,
    TimedOut,
}

/// How the replication wait of one send ended (RocketMQ GroupTransferService / HAService).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplicaOutcome {
    /// No replication, or ASYNC_MASTER: the answer does not wait for the replica.
    NotWaited,
    Acked,
    TimedOut,
    /// SYNC_MASTER with no replica connected: answered at once.
    NotAvailable,
}

/// The one place flush and replication outcomes become a SendStatus (RocketMQ
/// `handleDiskFlushAndHA`): the flush status is set first and a replica failure overwrites it.
pub(crate) fn send_status(flush: FlushOutcome, replica: ReplicaOutcome) -> SendStatus {
    let mut status = match flush {
        FlushOutcome::NotWaited | FlushOutcome::Flushed => SendStatus::SendOk,
        FlushOutcome::TimedOut => SendStatus::FlushDiskTimeout,
    };
    match replica {
        ReplicaOutcome::NotWaited | ReplicaOutcome::Acked => {}
        ReplicaOutcome::TimedOut => status = SendStatus::FlushSlaveTimeout,
        ReplicaOutcome::NotAvailable => status = SendStatus::SlaveNotAvailable,
    }
    status
}

/// A send the master has stored and not yet answered.
#[derive(Debug, Clone)]
pub(crate) struct Waiter {
    pub msg: MsgId,
    pub attempt: u32,
    /// A one-way request gets no answer (RocketMQ `invokeOneway`).
    pub oneway: bool,
    /// End byte of the stored copy: the flush and the replica must reach it.
    pub end: u64,
    pub flush: Option<FlushOutcome>,
    pub replica: Option<ReplicaOutcome>,
}

impl Waiter {
    pub fn status(&self) -> Option<SendStatus> {
        Some(send_status(self.flush?, self.replica?))
    }
}

/// A message sent back by the consumer, waiting on the delay ladder (its copy is the
/// `SCHEDULE_TOPIC_XXXX` record it is keyed by).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryEntry {
    pub msg: MsgId,
    /// 1 for the first retry.
    pub reconsume: u32,
    pub due_ms: u64,
    pub delivered: bool,
}

/// One queue of the topic on this broker: its consume queue and the consumer group's state in
/// it (RocketMQ's ConsumeQueue, ConsumerOffsetManager and the pull session).
#[derive(Debug, Clone, Default)]
pub(crate) struct BrokerQueue {
    /// Positions in the broker's index of the queue's records, in order.
    pub cq: Vec<usize>,
    /// The group's offset: in memory, persisted to disk, and (on a slave) synced from the master.
    pub committed: u64,
    pub persisted: u64,
    pub synced: u64,
    /// The consumers pulling from it now (long polling), each with its own session. Usually
    /// one; two for a moment during a rebalance, when the new owner starts before the old one
    /// has let go (each gets every message: a rebalance duplicate).
    pub sessions: BTreeMap<Node, PullSession>,
}

/// One consumer's pull session on one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PullSession {
    /// The session deliveries belong to and commits must name.
    pub epoch: u32,
    /// The next consume-queue offset it serves.
    pub pos: u64,
}

impl BrokerQueue {
    pub fn len(&self) -> u64 {
        self.cq.len() as u64
    }

    /// The offset a commit of `offset` by `consumer` under session `epoch` moves this queue to,
    /// if it moves it. Never a session from before the broker started (`floor`): after a power
    /// loss the same offsets hold other messages, which a stale commit must not skip. Within its
    /// life a commit counts even if the session has ended (the consumer's last report as it died
    /// or gave the queue away), but never past what the session was served.
    pub fn advanced_by(&self, consumer: Node, epoch: u32, offset: u64, floor: u32) -> Option<u64> {
        if epoch < floor {
            return None;
        }
        let served = self.sessions.get(&consumer).filter(|s| s.epoch == epoch).map_or(self.len(), |s| s.pos);
        Some(offset.min(served)).filter(|v| *v > self.committed)
    }
}

/// Which copy of the group's offsets a broker takes up as it starts serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Held {
    /// Its own, as persisted to disk (a restart).
    Persisted,
    /// The master's, as synced to it (a promoted slave).
    Synced,
}

/// What a crash destroyed.
#[derive(Debug, Default)]
pub(crate) struct CrashReport {
    /// Messages whose records the crash took from the log (page cache on power loss,
    /// everything on disk loss), each once, ascending.
    pub cut: Vec<MsgId>,
    pub cut_bytes: (u64, u64),
    pub torn_bytes: usize,
}

#[derive(Debug)]
pub(crate) struct Broker {
    pub node: Node,
    pub open: Option<CommitLog>,
    pub closed: Option<ClosedLog>,
    /// Every record of the log, in order.
    pub index: Vec<Entry>,
    /// The topic's queues.
    pub queues: Vec<BrokerQueue>,
    /// Positions last seen (kept while the process is down, for the view).
    pub written_pos: u64,
    pub flushed_pos: u64,
    pub up: bool,
    pub role: Role,
    /// Bumped by every crash so timers of a previous life are recognised as stale.
    pub life: u32,
    pub waiters: BTreeMap<u64, Waiter>,
    pub next_waiter: u64,
    pub group_commit_at: Option<u64>,
    /// When the async flusher next looks at the page cache.
    pub flush_tick_at: Option<u64>,
    /// When the process last started: its async flusher's thorough wakes count from here.
    pub started_ms: u64,
    /// HA: whether the replica's connection is open, since when nothing has been heard on it,
    /// the byte position shipped to it and the one it reported (its max physical offset).
    pub ha_connected: bool,
    pub ha_silent_since: Option<u64>,
    pub shipped_pos: u64,
    pub replica_acked_pos: u64,
    /// The consumer offsets (in [`BrokerQueue`]) are persisted by a 5 s timer.
    pub persist_tick: bool,
    /// Retry copies the consumer reported done: in memory, persisted, synced (like offsets).
    pub retry_done: BTreeSet<usize>,
    pub retry_done_persisted: BTreeSet<usize>,
    pub synced_retry_done: BTreeSet<usize>,
    /// The consumers of the group registered with this broker (their heartbeats reach it).
    pub group: BTreeSet<Node>,
    /// The pull sessions of the group's retry queue, by consumer (epochs); retries go to the
    /// first.
    pub retry_sessions: BTreeMap<Node, u32>,
    /// The first pull-session epoch issued since this broker last started (or became master):
    /// commits under older sessions refer to offsets of a log it may no longer have.
    pub epoch_floor: u32,
    /// Consumers of the group gone silent (power loss, partition), each with the token of the
    /// expiry timer that silence set.
    pub silences: BTreeMap<Node, u32>,
    /// Retry copies on the delay ladder, by their record's position in `index`.
    pub retry: BTreeMap<usize, RetryEntry>,
    /// Why records the next recovery cuts are gone, when the log cannot tell (a session resumed
    /// from its journal whose files lacked records: the cause was found then).
    pub cut_cause: Option<Cause>,
}

/// The ledger's word for what recovery says happened to the bytes it cut.
pub(crate) fn cause_of(cut: CutCause) -> Cause {
    match cut {
        CutCause::NotFlushed => Cause::LostInPageCache,
        CutCause::Corrupt => Cause::LostToCorruption,
        CutCause::MissingSegment => Cause::LostWithMissingSegment,
    }
}

fn log_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Broker {
    pub fn open(node: Node, role: Role, kind: StorageKind, dir: &Path, queues: u32) -> Result<Self, String> {
        if kind == StorageKind::Mmap {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let (log, _) = CommitLog::open(kind, dir, LogConfig::default()).map_err(log_err)?;
        let mut broker = Broker {
            node,
            open: None,
            closed: None,
            index: Vec::new(),
            queues: vec![BrokerQueue::default(); queues as usize],
            written_pos: 0,
            flushed_pos: 0,
            up: true,
            role,
            life: 0,
            waiters: BTreeMap::new(),
            next_waiter: 0,
            group_commit_at: None,
            flush_tick_at: None,
            started_ms: 0,
            ha_connected: false,
            ha_silent_since: None,
            shipped_pos: 0,
            replica_acked_pos: 0,
            persist_tick: false,
            retry_done: BTreeSet::new(),
            retry_done_persisted: BTreeSet::new(),
            synced_retry_done: BTreeSet::new(),
            group: BTreeSet::new(),
            retry_sessions: BTreeMap::new(),
            epoch_floor: 0,
            silences: BTreeMap::new(),
            retry: BTreeMap::new(),
            cut_cause: None,
        };
        broker.set_index(index_of(&log)?);
        broker.open = Some(log);
        broker.sync_positions();
        Ok(broker)
    }

    fn sync_positions(&mut self) {
        if let Some(log) = &self.open {
            self.written_pos = log.written_pos();
            self.flushed_pos = log.flushed_pos();
        }
    }

    /// Records in the log.
    pub fn len(&self) -> u64 {
        self.index.len() as u64
    }

    /// Entries in queue `queue`'s consume queue.
    pub fn queue_len(&self, queue: u32) -> u64 {
        self.queues.get(queue as usize).map_or(0, BrokerQueue::len)
    }

    /// The record at position `offset` of queue `queue`'s consume queue.
    pub fn queued(&self, queue: u32, offset: u64) -> Option<&Entry> {
        let q = self.queues.get(queue as usize)?;
        self.index.get(*q.cq.get(offset as usize)?)
    }

    /// Queue `queue`'s state (created, empty, if recovery found a queue the topic did not have).
    pub fn queue_mut(&mut self, queue: u32) -> &mut BrokerQueue {
        let i = queue as usize;
        if self.queues.len() <= i {
            self.queues.resize(i + 1, BrokerQueue::default());
        }
        &mut self.queues[i]
    }

    fn push_entry(&mut self, entry: Entry) {
        if let Kind::Main { queue } = entry.kind {
            let at = self.index.len();
            self.queue_mut(queue).cq.push(at);
        }
        self.index.push(entry);
    }

    /// Replaces the index (after recovery) and the consume queues derived from it.
    fn set_index(&mut self, entries: Vec<Entry>) {
        self.index.clear();
        for q in &mut self.queues {
            q.cq.clear();
        }
        for e in entries {
            self.push_entry(e);
        }
    }

    /// Keeps the first `keep` records of the index (what a power loss left).
    fn truncate_index(&mut self, keep: usize) {
        self.index.truncate(keep);
        for q in &mut self.queues {
            q.cq.retain(|&i| i < keep);
        }
        self.retry.retain(|&i, _| i < keep);
    }

    /// Rebuilds the delay ladder from the log's retry copies, less those reported `done`.
    pub fn rebuild_retry(&mut self, done: &BTreeSet<usize>) {
        self.retry = self
            .index
            .iter()
            .enumerate()
            .filter(|(i, _)| !done.contains(i))
            .filter_map(|(i, e)| match e.kind {
                Kind::Retry { reconsume, due_ms } => {
                    Some((i, RetryEntry { msg: e.msg, reconsume, due_ms, delivered: false }))
                }
                _ => None,
            })
            .collect();
        self.retry_done = done.iter().copied().filter(|&i| i < self.index.len()).collect();
    }

    /// Takes up the consumer group's state as the broker starts serving: the offsets and the
    /// finished retry copies it `held` (its own persisted ones after a restart, the ones synced
    /// from the master when a slave is promoted), never past what its queues hold, and the
    /// delay ladder rebuilt from its log less the finished copies.
    pub fn settle_offsets(&mut self, held: Held) {
        for q in &mut self.queues {
            let from = match held {
                Held::Persisted => q.persisted,
                Held::Synced => q.synced,
            };
            q.committed = from.min(q.len());
            q.persisted = q.committed;
        }
        let done = match held {
            Held::Persisted => self.retry_done_persisted.clone(),
            Held::Synced => self.synced_retry_done.clone(),
        };
        self.rebuild_retry(&done);
        self.retry_done_persisted = self.retry_done.clone();
    }

    /// The retry copy at `entry` of `msg` was consumed: it leaves the delay ladder. False when
    /// the ladder holds no such copy (already done, or another message's after a recovery).
    pub fn finish_retry(&mut self, entry: usize, msg: MsgId) -> bool {
        if self.retry.get(&entry).is_none_or(|r| r.msg != msg) {
            return false;
        }
        self.retry.remove(&entry);
        self.retry_done.insert(entry);
        true
    }

    /// The dead letters in the log.
    pub fn dead_letters(&self) -> impl Iterator<Item = MsgId> + '_ {
        self.index.iter().filter(|e| e.kind == Kind::Dead).map(|e| e.msg)
    }

    /// Appends into the page cache; returns the record's place and its position in `index`.
    pub fn append(&mut self, record: &Record) -> Result<(Entry, usize), String> {
        let log = self.open.as_mut().ok_or_else(|| format!("{}: log is not open", self.node))?;
        let offset = log.append(record).map_err(log_err)?;
        let entry = Entry { msg: record.msg_id, offset, end: log.written_pos(), kind: Kind::of(record) };
        let at = self.index.len();
        self.push_entry(entry);
        self.sync_positions();
        Ok((entry, at))
    }

    /// msync: returns the byte range and the messages made durable, or None if nothing was dirty.
    pub fn flush(&mut self) -> Result<Option<(u64, u64, Vec<MsgId>)>, String> {
        let before = self.flushed_pos;
        let log = self.open.as_mut().ok_or_else(|| format!("{}: log is not open", self.node))?;
        if log.written_pos() == log.flushed_pos() {
            return Ok(None);
        }
        let report = log.flush().map_err(log_err)?;
        self.sync_positions();
        let msgs = unique(self.index.iter().filter(|e| e.end > before && e.end <= report.to).map(|e| e.msg));
        Ok(Some((report.from, report.to, msgs)))
    }

    /// The records from byte `pos` on, each with its offset (for shipping to the replica).
    pub fn records_from_pos(&self, pos: u64) -> Result<Vec<(u64, Record)>, String> {
        let first = self.index.partition_point(|e| e.offset < pos);
        let Some(entry) = self.index.get(first) else { return Ok(vec![]) };
        let log = self.open.as_ref().ok_or_else(|| format!("{}: log is not open", self.node))?;
        Ok(log.read_from(entry.offset).map_err(log_err)?.into_iter().map(|s| (s.offset, s.record)).collect())
    }

    /// Whether this broker's log is a prefix of `other`'s (same records at the same offsets).
    pub fn is_prefix_of(&self, other: &Broker) -> bool {
        self.index.len() <= other.index.len()
            && self.index.iter().zip(&other.index).all(|(a, b)| a.msg == b.msg && a.offset == b.offset)
    }

    /// Kills the node (or, when it is already down, takes what a later power loss or disk
    /// failure of its machine takes). The in-memory state goes; what the storage keeps depends
    /// on `kind`.
    pub fn crash(&mut self, kind: CrashKind, rng: &mut fastrand::Rng) -> Result<CrashReport, String> {
        let mut report = CrashReport::default();
        if let Some(log) = self.open.take() {
            self.closed = Some(log.crash_process());
        }
        self.up = false;
        self.life += 1;
        self.waiters.clear();
        self.group_commit_at = None;
        self.flush_tick_at = None;
        self.ha_connected = false;
        self.ha_silent_since = None;
        self.persist_tick = false;
        self.group.clear();
        self.silences.clear();
        // The consumers' pull sessions ended with the process: nothing sent under them counts.
        self.retry_sessions.clear();
        for q in &mut self.queues {
            q.sessions.clear();
            q.committed = q.persisted;
        }
        self.retry_done = self.retry_done_persisted.clone();
        let closed = self.closed.as_mut().ok_or_else(|| format!("{}: no log files", self.node))?;
        match kind {
            CrashKind::Process => {}
            CrashKind::Power => {
                let unflushed = self.written_pos - self.flushed_pos;
                // A power cut in the middle of a write may leave a partial record behind: bytes
                // that are not zero, so recovery cuts exactly as many as the crash left.
                let torn = (unflushed > 0 && rng.bool()).then(|| {
                    let len = rng.usize(1..=unflushed.min(48) as usize);
                    TornTail { bytes: (0..len).map(|_| rng.u8(1..)).collect() }
                });
                report.torn_bytes = torn.as_ref().map_or(0, |t| t.bytes.len());
                closed.power_loss(torn).map_err(log_err)?;
                let keep = self.index.iter().take_while(|e| e.end <= self.flushed_pos).count();
                report.cut = unique(self.index[keep..].iter().map(|e| e.msg));
                report.cut_bytes = (self.flushed_pos, self.written_pos);
                self.truncate_index(keep);
                self.written_pos = self.flushed_pos;
            }
            CrashKind::Disk => {
                closed.disk_failure().map_err(log_err)?;
                report.cut = unique(self.index.iter().map(|e| e.msg));
                report.cut_bytes = (0, self.written_pos);
                self.truncate_index(0);
                self.written_pos = 0;
                self.flushed_pos = 0;
                for q in &mut self.queues {
                    q.persisted = 0;
                    q.committed = 0;
                    q.synced = 0;
                }
                self.retry_done.clear();
                self.retry_done_persisted.clear();
                self.synced_retry_done.clear();
            }
        }
        Ok(report)
    }

    /// Restarts with recovery; returns the recovery line (in Chinese too when `zh`), any
    /// messages whose records recovery cut that the index still counted (their copies are gone)
    /// and, for each, the cause recovery found. A failed recovery changes nothing: the files
    /// stay closed as they were, and a later restart tries again.
    pub fn restart(&mut self, zh: bool, now_ms: u64) -> Result<(Said, Vec<MsgId>, Vec<Cause>), String> {
        let closed = self.closed.take().ok_or_else(|| format!("{}: no log files to recover", self.node))?;
        let durable_before = self.flushed_pos;
        let (log, report) = match closed.try_recover() {
            Ok(recovered) => recovered,
            Err((closed, e)) => {
                self.closed = Some(closed);
                return Err(format!("{}: recovery failed, the broker stays down: {e}", self.node));
            }
        };
        let recovered = match index_of(&log) {
            Ok(recovered) => recovered,
            Err(e) => {
                self.closed = Some(log.crash_process());
                return Err(e);
            }
        };
        let kept = recovered.len();
        let cut = unique(self.index.iter().skip(kept).map(|e| e.msg));
        let cause = self.cut_cause.take();
        let cause = report.cause.map(cause_of).or(cause).unwrap_or(Cause::LostToCorruption);
        let causes = vec![cause; cut.len()];
        self.set_index(recovered);
        self.open = Some(log);
        self.sync_positions();
        self.up = true;
        self.started_ms = now_ms;
        self.settle_offsets(Held::Persisted);
        self.shipped_pos = 0;
        self.replica_acked_pos = 0;
        let (records, bytes) = (report.records_kept, report.bytes_kept);
        let s = if records == 1 { "" } else { "s" };
        let mut line = said!(
            zh,
            "recovery kept {records} record{s} (bytes 0..{bytes})",
            "恢复保留了 {records} 条记录（字节 0..{bytes}）"
        );
        if bytes > durable_before {
            // What the page cache still held is synced before the broker serves again.
            line.push(said!(
                zh,
                ", synced bytes {durable_before}..{bytes} the page cache still held to disk",
                "，把页缓存里还留着的字节 {durable_before}..{bytes} 刷到了磁盘"
            ));
        }
        if report.bytes_cut > 0 {
            let cut_bytes = report.bytes_cut;
            line.push(said!(zh, ", cut {cut_bytes} bytes", "，截掉 {cut_bytes} 字节"));
            if let Some(reason) = &report.reason {
                // The log's own diagnosis stays as the log says it.
                line.push(said!(zh, " ({reason})", "（{reason}）"));
            }
        }
        Ok((line, cut, causes))
    }

    /// Queue `queue`'s entries at or above `from` hold messages still to be consumed.
    pub fn live_entries(&self, queue: usize, from: u64) -> impl Iterator<Item = &Entry> + '_ {
        let cq = self.queues.get(queue).map_or(&[][..], |q| &q.cq[..]);
        let from = (from as usize).min(cq.len());
        cq[from..].iter().map(|&i| &self.index[i])
    }
}

/// Each message once, ascending.
pub(crate) fn unique(ids: impl Iterator<Item = MsgId>) -> Vec<MsgId> {
    let set: BTreeSet<MsgId> = ids.collect();
    set.into_iter().collect()
}

fn index_of(log: &CommitLog) -> Result<Vec<Entry>, String> {
    Ok(log
        .read_from(0)
        .map_err(log_err)?
        .into_iter()
        .map(|s| Entry {
            msg: s.record.msg_id,
            offset: s.offset,
            end: s.next_offset,
            kind: Kind::of(&s.record),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replica_status_overwrites_the_flush_status() {
        use FlushOutcome as F;
        use ReplicaOutcome as R;
        assert_eq!(send_status(F::Flushed, R::Acked), SendStatus::SendOk);
        assert_eq!(send_status(F::NotWaited, R::NotWaited), SendStatus::SendOk);
        assert_eq!(send_status(F::TimedOut, R::Acked), SendStatus::FlushDiskTimeout);
        assert_eq!(send_status(F::Flushed, R::TimedOut), SendStatus::FlushSlaveTimeout);
        assert_eq!(send_status(F::TimedOut, R::TimedOut), SendStatus::FlushSlaveTimeout);
        assert_eq!(send_status(F::TimedOut, R::NotAvailable), SendStatus::SlaveNotAvailable);
    }
}
