//! The master's store path: a request is appended to the commit log, then waits for the flush
//! (SYNC_FLUSH group commit, or the ASYNC_FLUSH flusher) and the replica (SYNC_MASTER) as the
//! settings ask, and is answered with the status RocketMQ's `handleDiskFlushAndHA` gives.
//! The flush timers, the offset persister and the retry ladder's timers are armed here too.

use super::*;

impl World {
    pub(super) fn on_request(
        &mut self,
        msg: MsgId,
        attempt: u32,
        oneway: bool,
        queue: u32,
    ) -> Result<Out, String> {
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
        let (at, at_zh) = if self.settings.topic_queues == 1 {
            (format!("at offset {queue_offset}"), format!("位点 {queue_offset}"))
        } else {
            (
                format!("in queue {queue} at offset {queue_offset}"),
                format!("队列 {queue} 的位点 {queue_offset}"),
            )
        };
        let mut text = said!(
            z,
            "{master}: stored {msg} {at}, bytes {from}..{to} (page cache)",
            "{master_zh}：把 {msg} 存在{at_zh}，字节 {from}..{to}（页缓存）"
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
        // Only the queue it went to has something new to serve.
        let delivered = self.dispatch_queue(master, queue);
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
    pub(super) fn respond_if_ready(&mut self, node: Node, waiter: u64) -> Option<SendStatus> {
        let w = self.b(node).waiters.get(&waiter)?;
        let status = w.status()?;
        let (msg, attempt, oneway) = (w.msg, w.attempt, w.oneway);
        self.bm(node).waiters.remove(&waiter);
        if oneway {
            return None;
        }
        let producer = self.sender(msg);
        self.send(EnvelopeKind::Response, node, producer, Payload::Response { msg, attempt, status });
        Some(status)
    }

    /// SYNC_FLUSH: the group commit service runs its next batch shortly; returns when.
    pub(super) fn arm_group_commit(&mut self, node: Node) -> u64 {
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
    pub(super) fn arm_flush_tick(&mut self, node: Node) {
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
    pub(super) fn next_thorough(&self, node: Node, from: u64) -> u64 {
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
    pub(super) fn schedule_retries(&mut self, node: Node) {
        let (life, now) = (self.b(node).life, self.now);
        let due: Vec<(usize, u64)> =
            self.b(node).retry.iter().map(|(i, r)| (*i, r.due_ms.max(now))).collect();
        for (entry, at) in due {
            self.schedule(at, Due::RetryReady { node, entry, life });
        }
    }

    pub(super) fn arm_persist(&mut self, node: Node) {
        if !self.b(node).persist_tick {
            self.bm(node).persist_tick = true;
            let life = self.b(node).life;
            self.schedule(next_grid(self.now, OFFSET_PERSIST_INTERVAL_MS), Due::OffsetPersist { node, life });
        }
    }

    pub(super) fn group_commit(&mut self, node: Node) -> Result<Out, String> {
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

    pub(super) fn flush_tick(&mut self, node: Node) -> Result<Out, String> {
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

    pub(super) fn flush_deadline(&mut self, node: Node, waiter: u64) -> Out {
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

    pub(super) fn slave_deadline(&mut self, node: Node, waiter: u64) -> Out {
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
}
