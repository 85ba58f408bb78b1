//! The master's side of consuming: it serves each pull session (long polling: every stored record
//! past the session's position is delivered at once), delivers due retries to the retry queue's
//! owner, takes commits (the offsets and the finished retry copies), stores what a consumer
//! sends back (`sendMessageBack`), and starts the pull sessions consumers ask for.

use super::broker::PullSession;
use super::group::sessions_text;
use super::*;

impl World {
    /// Sends every record of queue `q` past each of its pull sessions' positions to the consumer
    /// pulling it (long polling answers at once).
    pub(super) fn dispatch_queue(&mut self, master: Node, q: u32) -> Vec<MsgId> {
        let Some(bq) = self.b(master).queues.get(q as usize) else { return vec![] };
        let pullers: Vec<Node> = bq.sessions.keys().copied().collect();
        let mut sent = Vec::new();
        for consumer in pullers {
            loop {
                let PullSession { epoch, pos } = self.b(master).queues[q as usize].sessions[&consumer];
                let Some(entry) = self.b(master).queued(q, pos) else { break };
                let msg = entry.msg;
                if let Some(s) = self.bm(master).queues[q as usize].sessions.get_mut(&consumer) {
                    s.pos += 1;
                }
                let payload = Payload::Delivery { epoch, item: Item::Main(q, pos), msg, reconsume: 0 };
                self.send(EnvelopeKind::Delivery, master, consumer, payload);
                sent.push(msg);
            }
        }
        sent
    }

    pub(super) fn deliver_retry(&mut self, node: Node, entry: usize) -> Option<MsgId> {
        let (consumer, epoch) = self.retry_puller(node)?;
        let b = self.b(node);
        let r = *b.retry.get(&entry)?;
        self.bm(node).retry.get_mut(&entry)?.delivered = true;
        let payload =
            Payload::Delivery { epoch, item: Item::Retry(entry), msg: r.msg, reconsume: r.reconsume };
        self.send(EnvelopeKind::Delivery, node, consumer, payload);
        Some(r.msg)
    }

    pub(super) fn retry_due(&mut self, node: Node, entry: usize) -> Out {
        let (z, node_zh) = (self.zh, node.name_zh());
        let Some(r) = self.b(node).retry.get(&entry).copied() else {
            return (Some(node), said!(z, "{node}: retry entry gone", "{node_zh}：重试条目已不存在"), vec![]);
        };
        let (n, msg) = (r.reconsume, r.msg);
        if self.retry_puller(node).is_none() || node != self.master {
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

    /// A consumer's offset store reported: per queue, its session and offset; the retry copies
    /// it finished.
    pub(super) fn on_commit(
        &mut self,
        node: Node,
        consumer: Node,
        offsets: &[(u32, u32, u64)],
        retry_epoch: Option<u32>,
        retry_done: &[(usize, MsgId)],
        closing: &[Session],
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
        let floor = self.b(node).epoch_floor;
        for &(q, epoch, v) in offsets {
            let bq = self.b(node).queues.get(q as usize);
            if let Some(v) = bq.and_then(|bq| bq.advanced_by(consumer, epoch, v, floor)) {
                self.bm(node).queues[q as usize].committed = v;
                self.arm_persist(node);
                let (at, at_zh) = (self.at_offset(q, v, false), self.at_offset(q, v, true));
                parts.push(said!(z, "committed {at} (in memory)", "提交了消费{at_zh}（在内存中）"));
            }
        }
        if retry_epoch.is_some_and(|e| e >= floor) {
            let mut done = Vec::new();
            for (entry, msg) in retry_done {
                if self.bm(node).finish_retry(*entry, *msg) {
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
        // Sessions the consumer gave up in a rebalance end here.
        let mut ended = BTreeSet::new();
        for session in closing {
            let b = self.bm(node);
            let gone = match session {
                Session::Queue(q) => b.queue_mut(*q).sessions.remove(&consumer).is_some(),
                Session::Retry => b.retry_sessions.remove(&consumer).is_some(),
            };
            if gone {
                ended.insert(*session);
            }
        }
        if !ended.is_empty() {
            let Said { en: list, zh: list_zh } = sessions_text(&ended, z);
            let consumer_zh = consumer.name_zh();
            parts.push(said!(z, "{consumer} lets go of{list}", "{consumer_zh}放开了{list_zh}"));
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
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_sendback(
        &mut self,
        node: Node,
        consumer: Node,
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
            // The schedule topic has a queue per delay level; the dead-letter topic has one.
            queue_id: if dead { 0 } else { retry_level(reconsume) - 1 },
            topic: if dead { DLQ_TOPIC } else { SCHEDULE_TOPIC }.to_owned(),
            key: format!("{}-{}", info.producer, info.seq),
            timestamp_ms: self.now,
            body: info.body.clone(),
        };
        let (entry, at) = self.bm(node).append(&record)?;
        let (from, to) = (entry.offset, entry.end);
        if let Item::Retry(old) = item
            && epoch >= self.b(node).epoch_floor
            && self.bm(node).finish_retry(old, msg)
        {
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
        self.send(EnvelopeKind::Response, node, consumer, Payload::SendBackAck { id, msg });
        let consumer_zh = consumer.name_zh();
        if consumer == Node::CONSUMER {
            text.push(said!(z, "; answers the consumer", "；应答消费者"));
        } else {
            text.push(said!(z, "; answers {consumer}", "；应答{consumer_zh}"));
        }
        Ok((Some(node), text, vec![msg]))
    }

    /// The pull requests of `consumer` reach the master: each session waiting for one starts
    /// there (its heartbeat registers it too).
    pub(super) fn rejoin(&mut self, consumer: Node) -> Out {
        let master = self.master;
        let (z, master_zh) = (self.zh, master.name_zh());
        let pending: Vec<(Session, Option<u64>)> =
            self.c(consumer).pulls.iter().filter_map(|(s, p)| p.pending.map(|from| (*s, from))).collect();
        for (session, _) in &pending {
            if let Some(pull) = self.cm(consumer).pulls.get_mut(session) {
                pull.pending = None;
            }
        }
        let consumer_zh = consumer.name_zh();
        if !self.node_up(master) || !self.net.connected(master, consumer) {
            for (session, _) in &pending {
                if let Some(pull) = self.cm(consumer).pulls.get_mut(session) {
                    pull.needs_repull = true;
                }
            }
            return (
                Some(consumer),
                said!(
                    z,
                    "{consumer}: cannot reach {master}; will pull when it can",
                    "{consumer_zh}：连不上{master_zh}；能连上时再拉取"
                ),
                vec![],
            );
        }
        if self.register(consumer) {
            self.notify_group();
        }
        // A pull that carries on the consumer's session carries its offset store's news too
        // (RocketMQ piggy-backs the commit offset on every pull request).
        if pending.iter().any(|(_, from)| from.is_some()) {
            self.piggy_back(consumer, master);
        }
        let mut parts = Vec::new();
        let mut msgs = Vec::new();
        for (session, from) in pending {
            let epoch = self.c(consumer).pulls[&session].epoch;
            match session {
                Session::Queue(q) => {
                    let (len, committed) =
                        self.b(master).queues.get(q as usize).map_or((0, 0), |bq| (bq.len(), bq.committed));
                    let pos = from.unwrap_or(committed).min(len);
                    let pull = self.cm(consumer).pulls.get_mut(&session).expect("a pending session");
                    pull.from_committed = false;
                    // The pull response tells the consumer where this pull starts.
                    pull.next_offset = Some(pos);
                    self.open_session(master, consumer, session, epoch, pos);
                    let (ql, ql_zh) = (format!(" queue {q}"), format!("队列 {q}"));
                    let mut part = match from {
                        None if consumer == Node::CONSUMER && self.settings.topic_queues == 1 => said!(
                            z,
                            "consumer rejoined; pulls from its committed offset {pos}",
                            "消费者重新加入；从已提交的位点 {pos} 开始拉取"
                        ),
                        None => said!(
                            z,
                            "{consumer} pulls{ql} from its committed offset {pos}",
                            "{consumer_zh}从已提交的位点 {pos} 开始拉取{ql_zh}"
                        ),
                        Some(_) if consumer == Node::CONSUMER && self.settings.topic_queues == 1 => {
                            said!(z, "consumer pulls again from offset {pos}", "消费者从位点 {pos} 重新拉取")
                        }
                        Some(_) => said!(
                            z,
                            "{consumer} pulls{ql} again from offset {pos}",
                            "{consumer_zh}从位点 {pos} 重新拉取{ql_zh}"
                        ),
                    };
                    if from.is_some_and(|f| f > pos) {
                        part.push(said!(
                            z,
                            " (offset corrected to the end of the queue)",
                            "（位点被修正到队列末尾）"
                        ));
                    }
                    parts.push(part);
                    msgs.extend(self.dispatch_queue(master, q));
                }
                Session::Retry => {
                    self.open_session(master, consumer, session, epoch, 0);
                    let now = self.now;
                    let due: Vec<usize> = self
                        .b(master)
                        .retry
                        .iter()
                        .filter(|(_, r)| r.due_ms <= now)
                        .map(|(id, _)| *id)
                        .collect();
                    let mut again = Vec::new();
                    for entry in due {
                        again.extend(self.deliver_retry(master, entry));
                    }
                    if !again.is_empty() {
                        parts.push(said!(z, "{consumer} pulls the retry queue", "{consumer_zh}拉取重试队列"));
                        // Retries first, as before the topic's queues.
                        msgs.splice(0..0, again);
                    }
                }
            }
        }
        let mut text = said!(z, "{master}: ", "{master_zh}：");
        if parts.is_empty() {
            parts.push(said!(z, "{consumer} pulls", "{consumer_zh}拉取"));
        }
        text.push(Said::join(parts));
        if !msgs.is_empty() {
            text.push(said!(z, "; delivers {}", "；投递 {}", msgs_text(&msgs)));
        }
        (Some(master), text, msgs)
    }

    /// The offsets and finished retry copies a pull request carries to `master`.
    pub(super) fn piggy_back(&mut self, consumer: Node, master: Node) {
        let offsets: Vec<(u32, u64)> = self
            .c(consumer)
            .pulls
            .iter()
            .filter_map(|(s, p)| match s {
                Session::Queue(q) if p.pending.is_none() => p.commit_offset().map(|o| (*q, o)),
                _ => None,
            })
            .collect();
        let done: Vec<(usize, MsgId)> =
            std::mem::take(&mut self.cm(consumer).retry_done).into_iter().collect();
        let b = self.bm(master);
        let mut changed = false;
        for (q, o) in offsets {
            let bq = b.queue_mut(q);
            if o <= bq.len() && o > bq.committed {
                bq.committed = o;
                changed = true;
            }
        }
        for (entry, msg) in done {
            changed |= b.finish_retry(entry, msg);
        }
        if changed || b.retry_done != b.retry_done_persisted {
            self.arm_persist(master);
        }
    }
}
