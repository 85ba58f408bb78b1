//! Snapshots of a world: everything it holds, the log bytes included, so a session can go back
//! to a step by restoring the nearest snapshot and replaying only from there.
//!
//! The trace is append-only, so a snapshot keeps only its length: a world restored from a
//! snapshot of its own past truncates its trace to that length.

use crate::log::{LogImage, Restored};

use super::World;
use super::broker::Broker;

/// A world as it was at one step (see [`World::snapshot`]).
#[derive(Debug)]
pub struct Snapshot {
    /// The world without its logs and with an empty trace.
    state: World,
    /// Every broker's log, in broker order.
    logs: Vec<LogImage>,
    trace_len: usize,
}

impl Snapshot {
    /// The step the world was at.
    pub fn step(&self) -> u64 {
        self.state.step
    }

    /// Roughly the bytes this snapshot keeps (the logs' bytes and the ledger).
    pub fn bytes(&self) -> usize {
        self.logs.iter().map(LogImage::bytes).sum::<usize>()
            + self.state.ledger.len() * size_of::<super::MsgInfo>()
    }
}

fn log_image(broker: &Broker) -> Result<LogImage, String> {
    let image = match (&broker.open, &broker.closed) {
        (Some(log), _) => log.image(),
        (None, Some(log)) => log.image(),
        (None, None) => return Err(format!("{}: the log is neither open nor closed", broker.node)),
    };
    image.map_err(|e| e.to_string())
}

/// Everything of a broker but its log.
fn without_log(broker: &Broker) -> Broker {
    let Broker {
        node,
        open: _,
        closed: _,
        index,
        queues,
        written_pos,
        flushed_pos,
        up,
        role,
        life,
        waiters,
        next_waiter,
        group_commit_at,
        flush_tick_at,
        started_ms,
        ha_connected,
        ha_silent_since,
        shipped_pos,
        replica_acked_pos,
        persist_tick,
        retry_done,
        retry_done_persisted,
        synced_retry_done,
        group,
        retry_sessions,
        epoch_floor,
        silences,
        retry,
        cut_cause,
    } = broker;
    Broker {
        node: *node,
        open: None,
        closed: None,
        index: index.clone(),
        queues: queues.clone(),
        written_pos: *written_pos,
        flushed_pos: *flushed_pos,
        up: *up,
        role: *role,
        life: *life,
        waiters: waiters.clone(),
        next_waiter: *next_waiter,
        group_commit_at: *group_commit_at,
        flush_tick_at: *flush_tick_at,
        started_ms: *started_ms,
        ha_connected: *ha_connected,
        ha_silent_since: *ha_silent_since,
        shipped_pos: *shipped_pos,
        replica_acked_pos: *replica_acked_pos,
        persist_tick: *persist_tick,
        retry_done: retry_done.clone(),
        retry_done_persisted: retry_done_persisted.clone(),
        synced_retry_done: synced_retry_done.clone(),
        group: group.clone(),
        retry_sessions: retry_sessions.clone(),
        epoch_floor: *epoch_floor,
        silences: silences.clone(),
        retry: retry.clone(),
        cut_cause: *cut_cause,
    }
}

/// Everything of a world but its logs and its trace.
fn without_logs(world: &World) -> World {
    let World {
        settings,
        now,
        step,
        seq,
        queue,
        net,
        producers,
        brokers,
        consumers,
        group,
        master,
        next_producer_id,
        next_epoch,
        ledger,
        trace: _,
        alerts,
        rng,
        zh,
        wire: _,
        mark: _,
    } = world;
    World {
        settings: settings.clone(),
        now: *now,
        step: *step,
        seq: *seq,
        queue: queue.clone(),
        net: net.clone(),
        producers: producers.clone(),
        brokers: brokers.iter().map(without_log).collect(),
        consumers: consumers.clone(),
        group: group.clone(),
        master: *master,
        next_producer_id: *next_producer_id,
        next_epoch: *next_epoch,
        ledger: ledger.clone(),
        trace: Vec::new(),
        alerts: alerts.clone(),
        rng: rng.clone(),
        zh: *zh,
        wire: Vec::new(),
        mark: None,
    }
}

impl World {
    /// A copy of the world as it is now, its log bytes included.
    pub fn snapshot(&self) -> Result<Snapshot, String> {
        Ok(Snapshot {
            state: without_logs(self),
            logs: self.brokers.iter().map(log_image).collect::<Result<_, _>>()?,
            trace_len: self.trace.len(),
        })
    }

    /// Puts the world back as it was when `snapshot` was taken. The snapshot must be of this
    /// world's own past (same seed and inputs up to its step): the trace is cut to its length,
    /// and the logs' bytes are written back into the same backings (files or memory).
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<(), String> {
        if snapshot.trace_len > self.trace.len() {
            return Err(format!(
                "cannot restore step {}: the trace has only {} events",
                snapshot.step(),
                self.trace.len()
            ));
        }
        let mut trace = std::mem::take(&mut self.trace);
        trace.truncate(snapshot.trace_len);
        let mut state = without_logs(&snapshot.state);
        for (i, image) in snapshot.logs.iter().enumerate() {
            let broker = &mut self.brokers[i];
            let storage = match (broker.open.take(), broker.closed.take()) {
                (Some(log), _) => log.into_storage(),
                (None, Some(log)) => log.into_storage(),
                (None, None) => return Err(format!("{}: the log is neither open nor closed", broker.node)),
            };
            match image.restore(storage).map_err(|e| e.to_string())? {
                Restored::Open(log) => state.brokers[i].open = Some(log),
                Restored::Closed(log) => state.brokers[i].closed = Some(log),
            }
        }
        state.trace = trace;
        *self = state;
        Ok(())
    }
}
