//! A consumer of the group: its pull sessions, deliveries, the business work and its outcome
//! (processed, failed and sent back, duplicated), the offset store that reports to the master
//! every 5 s, and the per-producer, per-queue sequence check.

use super::clients::Pull;
use super::*;

impl World {
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

    pub(super) fn request_pull(&mut self, consumer: Node, session: Session, from: Option<u64>) {
        if let Some(pull) = self.cm(consumer).pulls.get_mut(&session) {
            pull.pending = Some(from);
        }
        let token = self.new_epoch();
        self.cm(consumer).rejoin_token = token;
        self.schedule(self.now + self.settings.net_latency_ms, Due::Rejoin { consumer, token });
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
    pub(super) fn check_seq(
        &mut self,
        msg: MsgId,
        producer: crate::ids::ProducerId,
        seq: u64,
        queue: u32,
    ) -> Said {
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
    pub(super) fn release(&mut self, consumer: Node, item: Item, msg: MsgId) {
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
                p.commit_offset().and_then(|o| bq.advanced_by(consumer, p.epoch, o, floor)).is_some()
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
    pub(super) fn arm_consumer_persist(&mut self, consumer: Node) {
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
                    let (at, at_zh) = (self.at_offset(q, o, false), self.at_offset(q, o, true));
                    said!(
                        z,
                        "; CONSUME_SUCCESS: {at} in the offset store (memory)",
                        "；CONSUME_SUCCESS：{at_zh} 记入位点存储（内存）"
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
