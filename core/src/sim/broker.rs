//! A broker node (the master, or the replica): its real commit log, the index of which message
//! each record holds, and the in-memory state a process crash wipes.
//!
//! Methods here change only this broker and report what happened; the world decides what the
//! report means for other nodes and for the ledger.

use std::collections::BTreeMap;
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

/// One record of the log, as the broker's in-memory index knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub msg: MsgId,
    pub offset: u64,
    pub end: u64,
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
    /// Record index (queue offset) and end byte of the stored copy.
    pub index: u64,
    pub end: u64,
    pub flush: Option<FlushOutcome>,
    pub replica: Option<ReplicaOutcome>,
}

impl Waiter {
    pub fn status(&self) -> Option<SendStatus> {
        Some(send_status(self.flush?, self.replica?))
    }
}

/// A message sent back by the consumer, waiting on the delay ladder.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryEntry {
    pub msg: MsgId,
    /// 1 for the first retry.
    pub reconsume: u32,
    pub due_ms: u64,
    pub delivered: bool,
}

/// What a crash destroyed.
#[derive(Debug, Default)]
pub(crate) struct CrashReport {
    /// Records the crash took from the log (page cache on power loss, everything on disk loss).
    pub cut: Vec<MsgId>,
    pub cut_bytes: (u64, u64),
    pub torn_bytes: usize,
    /// Retry entries and dead letters lost with the disk.
    pub retry_lost: Vec<MsgId>,
}

#[derive(Debug)]
pub(crate) struct Broker {
    pub node: Node,
    pub open: Option<CommitLog>,
    pub closed: Option<ClosedLog>,
    pub index: Vec<Entry>,
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
    pub flush_tick: bool,
    pub ship_tick: bool,
    /// Records shipped to / acknowledged by the replica.
    pub shipped: u64,
    pub replica_acked: u64,
    /// The consumer group's offset: in memory, persisted to disk, and (on a slave) synced
    /// from the master.
    pub committed: u64,
    pub persisted: u64,
    pub persist_tick: bool,
    pub synced_offset: u64,
    pub pull_pos: u64,
    pub pull_epoch: u32,
    pub consumer_online: bool,
    pub retry: BTreeMap<u64, RetryEntry>,
    pub next_retry: u64,
    pub dlq: Vec<MsgId>,
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
    pub fn open(node: Node, role: Role, kind: StorageKind, dir: &Path) -> Result<Self, String> {
        if kind == StorageKind::Mmap {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let (log, _) = CommitLog::open(kind, dir, LogConfig::default()).map_err(log_err)?;
        let mut broker = Broker {
            node,
            open: None,
            closed: None,
            index: Vec::new(),
            written_pos: 0,
            flushed_pos: 0,
            up: true,
            role,
            life: 0,
            waiters: BTreeMap::new(),
            next_waiter: 0,
            group_commit_at: None,
            flush_tick: false,
            ship_tick: false,
            shipped: 0,
            replica_acked: 0,
            committed: 0,
            persisted: 0,
            persist_tick: false,
            synced_offset: 0,
            pull_pos: 0,
            pull_epoch: 0,
            consumer_online: false,
            retry: BTreeMap::new(),
            next_retry: 0,
            dlq: Vec::new(),
            cut_cause: None,
        };
        broker.index = index_of(&log)?;
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

    pub fn len(&self) -> u64 {
        self.index.len() as u64
    }

    /// Appends into the page cache; returns the record's place.
    pub fn append(&mut self, record: &Record) -> Result<Entry, String> {
        let log = self.open.as_mut().ok_or_else(|| format!("{}: log is not open", self.node))?;
        let offset = log.append(record).map_err(log_err)?;
        let entry = Entry { msg: record.msg_id, offset, end: log.written_pos() };
        self.index.push(entry);
        self.sync_positions();
        Ok(entry)
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
        let msgs =
            self.index.iter().filter(|e| e.end > before && e.end <= report.to).map(|e| e.msg).collect();
        Ok(Some((report.from, report.to, msgs)))
    }

    /// The records from index `first` on, as stored (for shipping to the replica).
    pub fn records_from(&self, first: u64) -> Result<Vec<Record>, String> {
        let Some(entry) = self.index.get(first as usize) else { return Ok(vec![]) };
        let log = self.open.as_ref().ok_or_else(|| format!("{}: log is not open", self.node))?;
        Ok(log.read_from(entry.offset).map_err(log_err)?.into_iter().map(|s| s.record).collect())
    }

    /// Kills the node. The in-memory state goes; what the storage keeps depends on `kind`.
    pub fn crash(&mut self, kind: CrashKind, rng: &mut fastrand::Rng) -> Result<CrashReport, String> {
        let mut report = CrashReport::default();
        if let Some(log) = self.open.take() {
            self.closed = Some(log.crash_process());
        }
        self.up = false;
        self.life += 1;
        self.waiters.clear();
        self.group_commit_at = None;
        self.flush_tick = false;
        self.ship_tick = false;
        self.persist_tick = false;
        self.consumer_online = false;
        self.committed = self.persisted;
        let closed = self.closed.as_mut().ok_or_else(|| format!("{}: no log files", self.node))?;
        match kind {
            CrashKind::Process => {}
            CrashKind::Power => {
                let unflushed = self.written_pos - self.flushed_pos;
                // A power cut in the middle of a write may leave a partial record behind.
                let torn = (unflushed > 0 && rng.bool()).then(|| {
                    let len = rng.usize(1..=unflushed.min(48) as usize);
                    TornTail { bytes: (0..len).map(|_| rng.u8(..)).collect() }
                });
                report.torn_bytes = torn.as_ref().map_or(0, |t| t.bytes.len());
                closed.power_loss(torn).map_err(log_err)?;
                let keep = self.index.iter().take_while(|e| e.end <= self.flushed_pos).count();
                report.cut = self.index[keep..].iter().map(|e| e.msg).collect();
                report.cut_bytes = (self.flushed_pos, self.written_pos);
                self.index.truncate(keep);
                self.written_pos = self.flushed_pos;
            }
            CrashKind::Disk => {
                closed.disk_failure().map_err(log_err)?;
                report.cut = self.index.iter().map(|e| e.msg).collect();
                report.cut_bytes = (0, self.written_pos);
                report.retry_lost =
                    self.retry.values().map(|r| r.msg).chain(self.dlq.iter().copied()).collect();
                self.index.clear();
                self.retry.clear();
                self.dlq.clear();
                self.written_pos = 0;
                self.flushed_pos = 0;
                self.persisted = 0;
                self.committed = 0;
                self.synced_offset = 0;
            }
        }
        Ok(report)
    }

    /// Restarts with recovery; returns the recovery line (in Chinese too when `zh`), any
    /// records recovery cut that the index still counted (their copies are gone) and, for each,
    /// the cause recovery found. A failed recovery changes nothing: the files stay closed as
    /// they were, and a later restart tries again.
    pub fn restart(&mut self, zh: bool) -> Result<(Said, Vec<MsgId>, Vec<Cause>), String> {
        let closed = self.closed.take().ok_or_else(|| format!("{}: no log files to recover", self.node))?;
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
        let cut: Vec<MsgId> = self.index.iter().skip(kept).map(|e| e.msg).collect();
        let cause = self.cut_cause.take();
        let cause = report.cause.map(cause_of).or(cause).unwrap_or(Cause::LostToCorruption);
        let causes = vec![cause; cut.len()];
        self.index = recovered;
        self.open = Some(log);
        self.sync_positions();
        self.up = true;
        self.committed = self.persisted.min(self.len());
        self.persisted = self.committed;
        self.shipped = 0;
        self.replica_acked = 0;
        let (records, bytes) = (report.records_kept, report.bytes_kept);
        let s = if records == 1 { "" } else { "s" };
        let mut line = said!(
            zh,
            "recovery kept {records} record{s} (bytes 0..{bytes})",
            "恢复保留了 {records} 条记录（字节 0..{bytes}）"
        );
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

    /// Record indexes at or above `from` hold messages still to be consumed.
    pub fn live_entries(&self, from: u64) -> &[Entry] {
        let from = (from as usize).min(self.index.len());
        &self.index[from..]
    }
}

fn index_of(log: &CommitLog) -> Result<Vec<Entry>, String> {
    Ok(log
        .read_from(0)
        .map_err(log_err)?
        .into_iter()
        .map(|s| Entry { msg: s.record.msg_id, offset: s.offset, end: s.next_offset })
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
