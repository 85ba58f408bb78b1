//! The consume side: the master's consume queues and pull sessions, the consumers of the group
//! (deliveries, business work, offsets, sendMessageBack), the sequence check, and the rebalance
//! that shares the topic's queues among the consumers the master knows.
//!
//! A consumer owns some of the topic's queues (and maybe the group's one retry queue); each is
//! a pull session ([`Pull`]) with an epoch unique in the world, so a delivery, a commit or a
//! finished piece of work from a session that is gone (the consumer pulled again, or a
//! rebalance gave the queue away) is recognised and moves no offset. Who is in the group is the
//! master's registry (`Broker::group`): a consumer joins when its heartbeat reaches the master,
//! and leaves when it shuts down, when its process dies (the socket closes) or when the master
//! has not heard from it for [`CHANNEL_EXPIRED_MS`]. Every change makes the master tell the
//! members to rebalance (RocketMQ `NOTIFY_CONSUMER_IDS_CHANGED`); each then takes its share
//! ([`clients::allocate`]) and pulls the queues it gained from their committed offsets. What the
//! old owner processed but had not yet committed is delivered again: rebalance duplicates.

use super::broker::PullSession;
use super::clients::{Pull, allocate};
use super::*;

impl World {
    // ----- the group -------------------------------------------------------------------------

    /// The consumers as the world starts: registered with the master, each pulling its share
    /// from offset 0.
    pub(super) fn start_group(&mut self) {
        let master = self.master;
        let members: BTreeSet<Node> = self.consumers.iter().map(|c| c.node).collect();
        self.bm(master).group = members.clone();
        for consumer in members.clone() {
            self.cm(consumer).members = members.clone();
            for session in allocate(&members, consumer, self.settings.topic_queues) {
                let epoch = self.new_epoch();
                self.cm(consumer)
                    .pulls
                    .insert(session, Pull { epoch, next_offset: Some(0), ..Pull::default() });
                self.open_session(master, consumer, session, epoch, 0);
            }
        }
    }

    pub(super) fn new_epoch(&mut self) -> u32 {
        self.next_epoch += 1;
        self.next_epoch
    }

    /// The master serves `session` to `consumer` from `pos` under `epoch`.
    pub(super) fn open_session(
        &mut self,
        master: Node,
        consumer: Node,
        session: Session,
        epoch: u32,
        pos: u64,
    ) {
        let b = self.bm(master);
        match session {
            Session::Queue(q) => {
                b.queue_mut(q).sessions.insert(consumer, PullSession { epoch, pos });
            }
            Session::Retry => {
                b.retry_sessions.insert(consumer, epoch);
            }
        }
    }

    /// The master stops serving `consumer` (its process died, it left, or its channel expired).
    pub(super) fn close_sessions(&mut self, master: Node, consumer: Node) {
        let b = self.bm(master);
        for q in &mut b.queues {
            q.sessions.remove(&consumer);
        }
        b.retry_sessions.remove(&consumer);
    }

    /// The consumer the master sends due retries to: the first with a retry pull session.
    fn retry_puller(&self, master: Node) -> Option<(Node, u32)> {
        self.b(master).retry_sessions.iter().next().map(|(c, e)| (*c, *e))
    }

    /// `consumer`'s heartbeat reaches the master: it is in the group. Returns whether the group
    /// changed.
    pub(super) fn register(&mut self, consumer: Node) -> bool {
        let master = self.master;
        if !self.node_up(master) || !self.net.connected(consumer, master) {
            return false;
        }
        self.bm(master).group.insert(consumer)
    }

    /// `consumer` is out of the group: the master forgets it and tells the others.
    pub(super) fn unregister(&mut self, consumer: Node) -> bool {
        let master = self.master;
        self.close_sessions(master, consumer);
        let removed = self.bm(master).group.remove(&consumer);
        if removed {
            self.notify_group();
        }
        removed
    }

    /// The master tells every member whose view of the group is stale to rebalance.
    pub(super) fn notify_group(&mut self) {
        let master = self.master;
        if !self.node_up(master) {
            return;
        }
        let group = self.b(master).group.clone();
        for consumer in group.iter().copied() {
            if self.has_node(consumer) && self.c(consumer).up && self.c(consumer).members != group {
                let life = self.c(consumer).life;
                self.schedule(self.now + self.settings.net_latency_ms, Due::Rebalance { consumer, life });
            }
        }
    }

    /// Whether `consumer` has a rebalance to do: the master's group is not what it last saw.
    pub(super) fn rebalance_due(&self, consumer: Node) -> bool {
        let master = self.master;
        self.node_up(master)
            && self.net.connected(consumer, master)
            && self.b(master).group.contains(&consumer)
            && self.c(consumer).members != self.b(master).group
    }

    /// The master's housekeeping closed the channel of `consumer`, silent too long.
    pub(super) fn consumer_expired(&mut self, broker: Node, consumer: Node) -> Out {
        self.unregister(consumer);
        let z = self.zh;
        let (broker_zh, consumer_zh, secs) =
            (broker.name_zh(), consumer.name_zh(), CHANNEL_EXPIRED_MS / 1000);
        let mut text = said!(
            z,
            "{broker}: no heartbeat from {consumer} for {secs} s: closes its channel",
            "{broker_zh}：{secs} 秒没有收到{consumer_zh}的心跳：关闭它的连接"
        );
        text.push(self.group_said());
        (Some(broker), text, vec![])
    }

    /// "; the group is now consumer, consumer3; the others rebalance".
    pub(super) fn group_said(&self) -> Said {
        let group = &self.b(self.master).group;
        let names: Vec<&str> = group.iter().map(|n| n.name()).collect();
        let names_zh: Vec<&str> = group.iter().map(|n| n.name_zh()).collect();
        let (names, names_zh) = (names.join(", "), names_zh.join("、"));
        if group.is_empty() {
            said!(self.zh, "; the group has no consumer left", "；消费者组里已经没有消费者")
        } else {
            said!(
                self.zh,
                "; the group is now {names}, told to rebalance",
                "；消费者组现在是 {names_zh}，通知它们重新分配队列"
            )
        }
    }

    /// A consumer takes its share of the queues as the master's group now is: it gives up the
    /// queues it no longer owns (sending their offsets first, as RocketMQ's
    /// `removeUnnecessaryMessageQueue` does) and pulls the ones it gained from their committed
    /// offsets. Work in progress on a queue it gave up still finishes, but moves no offset.
    pub(super) fn rebalance(&mut self, consumer: Node) -> Out {
        let master = self.master;
        let group = self.b(master).group.clone();
        let want = allocate(&group, consumer, self.settings.topic_queues);
        let have: BTreeSet<Session> = self.c(consumer).pulls.keys().copied().collect();
        self.cm(consumer).members = group;
        let gave: Vec<Session> = have.difference(&want).copied().collect();
        let took: Vec<Session> = want.difference(&have).copied().collect();
        let mut offsets = Vec::new();
        let mut retry_epoch = None;
        let closing = gave.clone();
        for session in &gave {
            let Some(pull) = self.cm(consumer).pulls.remove(session) else { continue };
            match (session, pull.commit_offset()) {
                (Session::Queue(q), Some(o)) => offsets.push((*q, pull.epoch, o)),
                (Session::Retry, _) => retry_epoch = Some(pull.epoch),
                _ => {}
            }
        }
        if !closing.is_empty() {
            let retry_done = if retry_epoch.is_some() {
                std::mem::take(&mut self.cm(consumer).retry_done).into_iter().collect()
            } else {
                Vec::new()
            };
            let payload = Payload::Commit { offsets, retry_epoch, retry_done, closing };
            self.send(EnvelopeKind::Commit, consumer, master, payload);
        }
        for session in &took {
            let epoch = self.new_epoch();
            let pull = Pull { epoch, from_committed: true, ..Pull::default() };
            self.cm(consumer).pulls.insert(*session, pull);
            self.request_pull(consumer, *session, None);
        }
        let z = self.zh;
        let consumer_zh = consumer.name_zh();
        let Said { en: owned, zh: owned_zh } = sessions_text(&want, z);
        let mut text =
            said!(z, "{consumer}: rebalance: owns{owned}", "{consumer_zh}：重新分配队列：负责{owned_zh}");
        if !took.is_empty() {
            let Said { en: took, zh: took_zh } = sessions_text(&took.iter().copied().collect(), z);
            text.push(said!(
                z,
                "; takes{took}, pulling from the committed offsets",
                "；接手{took_zh}，从已提交的位点开始拉取"
            ));
        }
        if !gave.is_empty() {
            let Said { en: gave, zh: gave_zh } = sessions_text(&gave.iter().copied().collect(), z);
            text.push(said!(
                z,
                "; gives up{gave}, reporting its offsets first",
                "；交出{gave_zh}，先提交它的位点"
            ));
        }
        (Some(consumer), text, vec![])
    }

    // ----- broker: consume side --------------------------------------------------------------

    /// Sends every record past each queue's pull position to the consumer pulling it (long
    /// polling answers at once).
    pub(super) fn dispatch(&mut self) -> Vec<MsgId> {
        let master = self.master;
        if !self.b(master).up {
            return vec![];
        }
        let mut sent = Vec::new();
        for q in 0..self.b(master).queues.len() as u32 {
            sent.extend(self.dispatch_queue(master, q));
        }
        sent
    }

    fn dispatch_queue(&mut self, master: Node, q: u32) -> Vec<MsgId> {
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

    fn deliver_retry(&mut self, node: Node, entry: usize) -> Option<MsgId> {
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
            let Some(bq) = self.b(node).queues.get(q as usize) else { continue };
            // Never a session from before this broker started: after a power loss the same
            // offsets hold other messages, which a stale commit must not skip. Within its life
            // a commit counts even if the session has ended (the consumer's last report as it
            // died or gave the queue away), but never past what the session was served.
            if epoch < floor {
                continue;
            }
            let served = bq.sessions.get(&consumer).filter(|s| s.epoch == epoch).map_or(bq.len(), |s| s.pos);
            let v = v.min(served);
            if v > bq.committed {
                self.bm(node).queues[q as usize].committed = v;
                self.arm_persist(node);
                let (ql, ql_zh) = (self.queue_label(q, false), self.queue_label(q, true));
                parts.push(said!(
                    z,
                    "committed offset {v}{ql} (in memory)",
                    "提交了消费位点 {v}{ql_zh}（在内存中）"
                ));
            }
        }
        if retry_epoch.is_some_and(|e| e >= floor) {
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
    fn piggy_back(&mut self, consumer: Node, master: Node) {
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
            if bq.sessions.contains_key(&consumer) && o <= bq.len() && o > bq.committed {
                bq.committed = o;
                changed = true;
            }
        }
        for (entry, msg) in done {
            if b.retry.get(&entry).is_some_and(|r| r.msg == msg) {
                b.retry.remove(&entry);
                b.retry_done.insert(entry);
                changed = true;
            }
        }
        if changed || b.retry_done != b.retry_done_persisted {
            self.arm_persist(master);
        }
    }

    // ----- consumer --------------------------------------------------------------------------

    /// Starts a new pull session for `session` of `consumer`, from `from` or, without it, from
    /// the committed offset.
    pub(super) fn repull(&mut self, consumer: Node, session: Session, from: Option<u64>) {
        let epoch = self.new_epoch();
        let c = self.cm(consumer);
        let Some(pull) = c.pulls.get_mut(&session) else { return };
        if from.is_none() {
            // Re-registering starts from what the broker has: what the consumer finished and
            // never reported is delivered again.
            pull.from_committed = true;
            if session == Session::Retry {
                c.retry_done.clear();
            }
        }
        let pull = c.pulls.get_mut(&session).expect("checked above");
        let from = if pull.from_committed { None } else { from };
        pull.epoch = epoch;
        pull.needs_repull = false;
        self.request_pull(consumer, session, from);
    }

    /// Every session of `consumer` pulls again from its committed offset (a restart of the
    /// consumer or of the master, a promotion).
    pub(super) fn repull_all(&mut self, consumer: Node) {
        let sessions: Vec<Session> = self.c(consumer).pulls.keys().copied().collect();
        for session in sessions {
            if let Some(pull) = self.cm(consumer).pulls.get_mut(&session) {
                pull.in_flight.clear();
                pull.next_offset = None;
            }
            self.repull(consumer, session, None);
        }
    }

    fn request_pull(&mut self, consumer: Node, session: Session, from: Option<u64>) {
        if let Some(pull) = self.cm(consumer).pulls.get_mut(&session) {
            pull.pending = Some(from);
        }
        let life = self.c(consumer).life;
        self.schedule(self.now + self.settings.net_latency_ms, Due::Rejoin { consumer, life });
    }

    pub(super) fn pull_timeout(&mut self, consumer: Node, epoch: u32) -> Out {
        let node = Some(consumer);
        let (z, consumer_zh) = (self.zh, consumer.name_zh());
        let Some(session) = self.c(consumer).session_of(epoch) else {
            return (node, said!(z, "{consumer}: pull timed out", "{consumer_zh}：拉取超时"), vec![]);
        };
        if !self.net.connected(consumer, self.master) || !self.node_up(self.master) {
            if let Some(pull) = self.cm(consumer).pulls.get_mut(&session) {
                pull.needs_repull = true;
            }
            return (
                node,
                said!(
                    z,
                    "{consumer}: pull timed out; the broker is unreachable, will pull when it is",
                    "{consumer_zh}：拉取超时；Broker 连不上，能连上时再拉取"
                ),
                vec![],
            );
        }
        let from = self.c(consumer).pulls[&session].next_offset;
        self.repull(consumer, session, from);
        let text = match from {
            Some(o) => said!(
                z,
                "{consumer}: pull timed out (response lost); pulls again from offset {o}",
                "{consumer_zh}：拉取超时（响应丢失）；从位点 {o} 重新拉取"
            ),
            None => said!(
                z,
                "{consumer}: pull timed out (response lost); pulls again from its committed offset",
                "{consumer_zh}：拉取超时（响应丢失）；从已提交的位点重新拉取"
            ),
        };
        (node, text, vec![])
    }

    pub(super) fn on_delivery(
        &mut self,
        consumer: Node,
        epoch: u32,
        item: Item,
        msg: MsgId,
        reconsume: u32,
    ) -> Out {
        let node = Some(consumer);
        let (z, consumer_zh) = (self.zh, consumer.name_zh());
        let Some(session) = self.c(consumer).session_of(epoch) else {
            return (
                node,
                said!(
                    z,
                    "{consumer}: ignored {msg} from an earlier pull",
                    "{consumer_zh}：忽略了之前那次拉取的 {msg}"
                ),
                vec![msg],
            );
        };
        let label = match item {
            Item::Main(q, offset) => {
                let pull = self.cm(consumer).pulls.get_mut(&session).expect("a live session");
                if let Some(next) = pull.next_offset
                    && next != offset
                {
                    let text = said!(
                        z,
                        "{consumer}: ignored {msg} at offset {offset}: it pulls offset {next} first",
                        "{consumer_zh}：忽略了位点 {offset} 的 {msg}：它要先拉取位点 {next}"
                    );
                    return (node, text, vec![msg]);
                }
                pull.next_offset = Some(offset + 1);
                pull.in_flight.insert(offset);
                if self.settings.topic_queues == 1 {
                    said!(z, "offset {offset}", "位点 {offset}")
                } else {
                    said!(z, "queue {q}, offset {offset}", "队列 {q}，位点 {offset}")
                }
            }
            Item::Retry(_) => said!(z, "retry {reconsume}", "第 {reconsume} 次重试"),
        };
        let info = self.info(msg);
        info.deliveries += 1;
        let (producer, seq, n, queue) = (info.producer, info.seq, info.deliveries, info.queue);
        let (label, label_zh) = (label.en, label.zh);
        let mut text = said!(
            z,
            "{consumer}: received {msg} ({label}, delivery {n})",
            "{consumer_zh}：收到 {msg}（{label_zh}，第 {n} 次投递）"
        );
        if self.settings.consumer_check_seq {
            let queue = match item {
                Item::Main(q, _) => q,
                Item::Retry(_) => queue,
            };
            text.push(self.check_seq(msg, producer, seq, queue));
        }
        let async_mode = self.settings.consumer_mode == ConsumeMode::Async;
        let before = self.settings.consumer_commit == CommitTiming::Before;
        let early = async_mode || before;
        if early {
            self.release(consumer, item, msg);
            if before {
                // The application commits the offset itself, synchronously, before the work.
                self.report_offsets(consumer);
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
        let c = self.cm(consumer);
        let work = c.next_work;
        c.next_work += 1;
        c.work.insert(work, Work { msg, item, epoch, reconsume, reported_early: early, async_mode });
        let life = c.life;
        self.schedule(self.now + PROCESS_MS, Due::ProcessDone { consumer, work, life });
        text.push(said!(z, "; processing ({PROCESS_MS} ms)", "；处理中（{PROCESS_MS} ms）"));
        (node, text, vec![msg])
    }

    /// The sequence check, per producer instance and per queue (order holds only within a
    /// queue): a message past the next expected seq flags the ones between as a gap; a late one
    /// closes its part of a gap and withdraws the alert once the gap is whole. The expected
    /// numbers live in the group's shared store, so a queue that moves to another consumer is
    /// checked where it left off.
    fn check_seq(&mut self, msg: MsgId, producer: crate::ids::ProducerId, seq: u64, queue: u32) -> Said {
        let z = self.zh;
        let expected = *self.group.seq_next.get(&(producer, queue)).unwrap_or(&1);
        let (ql, ql_zh) = (self.queue_label(queue, false), self.queue_label(queue, true));
        if seq < expected {
            let mut closed = false;
            for (gap, _) in self.alerts.iter_mut() {
                if let Some(g) = gap
                    && g.producer == producer
                    && g.queue == queue
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
                "; sequence check: {producer} seq {seq}{ql} arrived late, its gap is closed",
                "；序号检查：{producer} 的序号 {seq}{ql_zh} 迟到了，缺口已补上"
            );
        }
        self.group.seq_next.insert((producer, queue), seq + 1);
        if seq == expected {
            return Said::default();
        }
        let missing: Vec<MsgId> = self
            .ledger
            .iter()
            .filter(|m| m.producer == producer && m.queue == queue && (expected..seq).contains(&m.seq))
            .map(|m| m.id)
            .collect();
        for id in &missing {
            self.info(*id).detected = true;
        }
        let gap =
            if seq - expected == 1 { format!("{expected}") } else { format!("{expected}..{}", seq - 1) };
        let alert = said!(
            z,
            "sequence gap: {producer} seq {gap}{ql} missing before seq {seq}",
            "序号缺口：{producer} 在序号 {seq} 之前缺少序号 {gap}{ql_zh}"
        );
        self.alerts.push((Some(Gap { producer, queue, seqs: (expected..seq).collect() }), alert.finished()));
        said!(
            z,
            "; sequence check: {producer} seq {gap}{ql} missing (gap detected)",
            "；序号检查：{producer} 缺少序号 {gap}{ql_zh}（发现缺口）"
        )
    }

    /// The work on `item` is over (or reported so): it leaves the process queue, so the offset
    /// can move past it (if the consumer still owns the queue).
    fn release(&mut self, consumer: Node, item: Item, msg: MsgId) {
        let c = self.cm(consumer);
        match item {
            Item::Main(q, offset) => {
                if let Some(pull) = c.pulls.get_mut(&Session::Queue(q)) {
                    pull.in_flight.remove(&offset);
                }
            }
            Item::Retry(entry) => {
                c.retry_done.insert((entry, msg));
            }
        }
        self.arm_consumer_persist(consumer);
    }

    /// Whether a consumer's offset store knows something the master does not, and can tell
    /// it. RocketMQ sends the offsets every 5 s whether or not they changed; the lab skips the
    /// sends that would change nothing, so an idle world stays idle.
    pub(super) fn consumer_has_news(&self, consumer: Node) -> bool {
        let c = self.c(consumer);
        let master = self.b(self.master);
        let reachable = self.node_up(self.master) && self.net.connected(consumer, self.master);
        let floor = master.epoch_floor;
        let ahead = c.pulls.iter().any(|(s, p)| match s {
            Session::Queue(q) => master.queues.get(*q as usize).is_some_and(|bq| {
                let served =
                    bq.sessions.get(&consumer).filter(|s| s.epoch == p.epoch).map_or(bq.len(), |s| s.pos);
                p.epoch >= floor && p.commit_offset().is_some_and(|o| o.min(served) > bq.committed)
            }),
            Session::Retry => false,
        });
        let retry_epoch = c.pulls.get(&Session::Retry).map(|p| p.epoch);
        let done = retry_epoch.is_some_and(|e| e >= floor)
            && c.retry_done.iter().any(|(e, m)| master.retry.get(e).is_some_and(|r| r.msg == *m));
        c.up && reachable && (ahead || done)
    }

    /// The offset store sends the broker its news every 5 s (RocketMQ
    /// `persistConsumerOffsetInterval`); real clients also piggy-back the offset on their next
    /// pull request, which the lab does when the consumer pulls again.
    fn arm_consumer_persist(&mut self, consumer: Node) {
        if !self.c(consumer).persist_tick && self.consumer_has_news(consumer) {
            self.cm(consumer).persist_tick = true;
            let life = self.c(consumer).life;
            let at = next_grid(self.now, CONSUMER_PERSIST_INTERVAL_MS);
            self.schedule(at, Due::ConsumerPersist { consumer, life });
        }
    }

    /// Sends the offset store's news to the master; returns the offsets and the retry copies
    /// sent.
    pub(super) fn report_offsets(&mut self, consumer: Node) -> Reported {
        let master = self.master;
        let still = &self.brokers[bi(master)].retry;
        let c = &mut self.consumers[consumer.index()];
        c.retry_done.retain(|(e, m)| still.get(e).is_some_and(|r| r.msg == *m));
        let retry_done: Vec<(usize, MsgId)> = c.retry_done.iter().copied().collect();
        let offsets: Vec<(u32, u32, u64)> = c
            .pulls
            .iter()
            .filter_map(|(s, p)| match s {
                Session::Queue(q) => p.commit_offset().map(|o| (*q, p.epoch, o)),
                Session::Retry => None,
            })
            .collect();
        let retry_epoch = c.pulls.get(&Session::Retry).map(|p| p.epoch);
        let said_offsets = offsets.iter().map(|(q, _, o)| (*q, *o)).collect();
        let payload =
            Payload::Commit { offsets, retry_epoch, retry_done: retry_done.clone(), closing: Vec::new() };
        self.send(EnvelopeKind::Commit, consumer, master, payload);
        (said_offsets, retry_done)
    }

    pub(super) fn consumer_persist(&mut self, consumer: Node) -> Out {
        self.cm(consumer).persist_tick = false;
        let (offsets, done) = self.report_offsets(consumer);
        // Sent one-way: if it does not arrive, the next tick sends it again.
        self.arm_consumer_persist(consumer);
        let (z, consumer_zh) = (self.zh, consumer.name_zh());
        let secs = CONSUMER_PERSIST_INTERVAL_MS / 1000;
        let mut text = match offsets.as_slice() {
            [] => said!(
                z,
                "{consumer}: offset store reports to the broker (every {secs} s)",
                "{consumer_zh}：位点存储向 Broker 汇报（每 {secs} 秒一次）"
            ),
            [(_, o)] if self.settings.topic_queues == 1 => said!(
                z,
                "{consumer}: offset store sends offset {o} to the broker (every {secs} s)",
                "{consumer_zh}：位点存储把位点 {o} 发给 Broker（每 {secs} 秒一次）"
            ),
            many => {
                let list: Vec<String> = many.iter().map(|(q, o)| format!("q{q}={o}")).collect();
                let list = list.join(", ");
                said!(
                    z,
                    "{consumer}: offset store sends offsets {list} to the broker (every {secs} s)",
                    "{consumer_zh}：位点存储把位点 {list} 发给 Broker（每 {secs} 秒一次）"
                )
            }
        };
        if !done.is_empty() {
            let n = done.len();
            text.push(said!(
                z,
                " with {} done",
                "，附带 {n} 个已完成的重试副本"; en: plural(n, "retry copy").replace("copys", "copies")
            ));
        }
        (Some(consumer), text, vec![])
    }

    pub(super) fn process_done(&mut self, consumer: Node, id: u64) -> Out {
        let node = Some(consumer);
        let (z, consumer_zh) = (self.zh, consumer.name_zh());
        let Some(w) = self.cm(consumer).work.remove(&id) else {
            return (
                node,
                said!(z, "{consumer}: nothing to finish", "{consumer_zh}：没有要完成的处理"),
                vec![],
            );
        };
        let msg = w.msg;
        if self.group.fail_next > 0 {
            self.group.fail_next -= 1;
            if w.reported_early {
                let cause =
                    if w.async_mode { Cause::AsyncConsumeFailed } else { Cause::CommittedBeforeProcessing };
                self.lose(&[msg], cause);
                let text = said!(
                    z,
                    "{consumer}: business logic failed on {msg}, but success was already reported; nobody will retry it",
                    "{consumer_zh}：{msg} 的业务处理失败了，但之前已经报告了成功；没有人会重试它"
                );
                return (node, text, vec![msg]);
            }
            // RECONSUME_LATER: send it back; its offset stays held until the broker has it.
            let reconsume = w.reconsume + 1;
            let c = self.cm(consumer);
            let sb = c.next_work;
            c.next_work += 1;
            c.sendbacks.insert(sb, SendBack { msg, item: w.item, epoch: w.epoch, reconsume });
            let life = c.life;
            let payload = Payload::SendBack { epoch: w.epoch, id: sb, item: w.item, msg, reconsume };
            let master = self.master;
            self.send(EnvelopeKind::Commit, consumer, master, payload);
            self.schedule(self.now + SENDBACK_TIMEOUT_MS, Due::SendBackTimeout { consumer, id: sb, life });
            let text = said!(
                z,
                "{consumer}: business logic failed on {msg}: RECONSUME_LATER, sends it back for retry (sendMessageBack)",
                "{consumer_zh}：{msg} 的业务处理失败：返回 RECONSUME_LATER，把它发回 Broker 等待重试（sendMessageBack）"
            );
            return (node, text, vec![msg]);
        }
        let idempotent = self.settings.consumer_idempotent;
        let mut text = if idempotent && self.group.dedupe.contains(&msg) {
            said!(
                z,
                "{consumer}: {msg} is already in the dedupe store; effect skipped",
                "{consumer_zh}：{msg} 已在去重表中；跳过业务处理"
            )
        } else {
            if idempotent {
                self.group.dedupe.insert(msg);
            }
            let info = self.info(msg);
            info.effects += 1;
            let effects = info.effects;
            if effects == 1 {
                said!(
                    z,
                    "{consumer}: processed {msg} (business effect applied)",
                    "{consumer_zh}：处理完 {msg}（业务效果已生效）"
                )
            } else {
                said!(
                    z,
                    "{consumer}: processed {msg} AGAIN (effect #{effects}: a duplicate)",
                    "{consumer_zh}：又一次处理了 {msg}（第 {effects} 次生效：重复消费）"
                )
            }
        };
        if !w.reported_early {
            let owned = match w.item {
                Item::Main(q, _) => self.c(consumer).pulls.get(&Session::Queue(q)).map(Pull::commit_offset),
                Item::Retry(_) => None,
            };
            self.release(consumer, w.item, msg);
            let offset = match w.item {
                Item::Main(q, _) => {
                    self.c(consumer).pulls.get(&Session::Queue(q)).and_then(Pull::commit_offset)
                }
                Item::Retry(_) => None,
            };
            text.push(match (w.item, owned, offset) {
                (Item::Main(q, _), Some(_), Some(o)) => {
                    let (ql, ql_zh) = (self.queue_label(q, false), self.queue_label(q, true));
                    said!(
                        z,
                        "; CONSUME_SUCCESS: offset {o}{ql} in the offset store (memory)",
                        "；CONSUME_SUCCESS：位点 {o}{ql_zh} 记入位点存储（内存）"
                    )
                }
                (Item::Main(q, _), None, _) => {
                    let (ql, ql_zh) = (format!(" {q}"), format!(" {q} "));
                    said!(
                        z,
                        "; CONSUME_SUCCESS, but its queue{ql} was given away in a rebalance: the offset is not moved",
                        "；CONSUME_SUCCESS，但它所在的队列{ql_zh}已在重新分配中交出：位点不再前进"
                    )
                }
                _ => said!(z, "; CONSUME_SUCCESS", "；CONSUME_SUCCESS"),
            });
        }
        (node, text, vec![msg])
    }

    pub(super) fn on_sendback_ack(&mut self, consumer: Node, id: u64, msg: MsgId) -> Out {
        let (z, consumer_zh) = (self.zh, consumer.name_zh());
        let Some(sb) = self.cm(consumer).sendbacks.remove(&id) else {
            let text = said!(
                z,
                "{consumer}: late answer to the sendMessageBack of {msg}; nobody is waiting for it",
                "{consumer_zh}：{msg} 的 sendMessageBack 应答迟到了；已经没有人在等它"
            );
            return (Some(consumer), text, vec![msg]);
        };
        self.release(consumer, sb.item, msg);
        let text = said!(
            z,
            "{consumer}: the broker took {msg} back; it leaves the process queue",
            "{consumer_zh}：Broker 收下了 {msg}；它离开处理队列"
        );
        (Some(consumer), text, vec![msg])
    }

    /// `sendMessageBack` failed: the consumer keeps the message, holds its offset and consumes it
    /// again itself a little later (RocketMQ `submitConsumeRequestLater`).
    pub(super) fn sendback_timeout(&mut self, consumer: Node, id: u64) -> Out {
        let (z, consumer_zh) = (self.zh, consumer.name_zh());
        let Some(sb) = self.cm(consumer).sendbacks.remove(&id) else {
            return (
                Some(consumer),
                said!(z, "{consumer}: nothing waiting", "{consumer_zh}：没有在等的请求"),
                vec![],
            );
        };
        let msg = sb.msg;
        let c = self.cm(consumer);
        let work = c.next_work;
        c.next_work += 1;
        let w = Work {
            msg,
            item: sb.item,
            epoch: sb.epoch,
            reconsume: sb.reconsume,
            reported_early: false,
            async_mode: false,
        };
        c.work.insert(work, w);
        let life = c.life;
        self.schedule(self.now + LOCAL_RETRY_MS, Due::ProcessDone { consumer, work, life });
        let (t, l) = (SENDBACK_TIMEOUT_MS / 1000, LOCAL_RETRY_MS / 1000);
        let text = said!(
            z,
            "{consumer}: sendMessageBack of {msg} got no answer in {t} s; keeps it (offset held) and consumes it again locally in {l} s",
            "{consumer_zh}：{msg} 的 sendMessageBack 在 {t} 秒内没有应答；自己留着它（位点不前进），{l} 秒后在本地重新消费"
        );
        (Some(consumer), text, vec![msg])
    }
}

/// What an offset report sent: per queue the offset, and the retry copies done.
pub(super) type Reported = (Vec<(u32, u64)>, Vec<(usize, MsgId)>);

/// "queues 0, 1 and the retry queue" / "队列 0、1 和重试队列".
fn sessions_text(sessions: &BTreeSet<Session>, zh: bool) -> Said {
    let queues: Vec<String> = sessions
        .iter()
        .filter_map(|s| match s {
            Session::Queue(q) => Some(q.to_string()),
            Session::Retry => None,
        })
        .collect();
    let retry = sessions.contains(&Session::Retry);
    let (list, list_zh) = (queues.join(", "), queues.join("、"));
    let n = queues.len();
    match (n, retry) {
        (0, false) => said!(zh, " no queue", "零个队列"),
        (0, true) => said!(zh, " the retry queue", "重试队列"),
        (1, false) => said!(zh, " queue {list}", "队列 {list_zh}"),
        (1, true) => said!(zh, " queue {list} and the retry queue", "队列 {list_zh} 和重试队列"),
        (_, false) => said!(zh, " queues {list}", "队列 {list_zh}"),
        (_, true) => said!(zh, " queues {list} and the retry queue", "队列 {list_zh} 和重试队列"),
    }
}
