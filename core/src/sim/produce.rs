//! The producers' side: choosing a queue, attempts and their time budget, answers, retries,
//! and the durable outbox with its scanner. Every handler takes the producer it runs on.

use super::*;

impl World {
    /// How long attempt of `msg` started now may wait: what is left of `producer.timeout_ms`
    /// since the first attempt (RocketMQ `sendDefaultImpl`), capped by
    /// `producer.attempt_timeout_ms` when set (`sendMsgMaxTimeoutPerRequest`).
    pub(super) fn attempt_budget_ms(&self, first_ms: u64) -> u64 {
        let left = self.settings.producer_timeout_ms.saturating_sub(self.now - first_ms).max(1);
        match self.settings.producer_attempt_timeout_ms {
            0 => left,
            cap => left.min(cap),
        }
    }

    /// Sends one attempt of `msg`, which the producer holds in memory; says what it sent (the
    /// caller says who).
    pub(super) fn transmit(&mut self, msg: MsgId) -> Said {
        let pn = self.sender(msg);
        let pi = pn.index();
        let z = self.zh;
        let now = self.now;
        let mode = self.settings.producer_send;
        let total = 1 + self.settings.producer_retries;
        let Some(p) = self.producers[pi].pending.get_mut(&msg) else {
            return said!(z, "{msg} is no longer in memory", "{msg} 已不在内存中");
        };
        p.attempt += 1;
        let attempt = p.attempt;
        let first_ms = *p.first_ms.get_or_insert(now);
        // Every attempt but the one the send already chose a queue for takes the next queue
        // (a retry lands on another queue); a keyed send keeps its queue.
        let queue = if p.chosen || p.keyed {
            p.queue
        } else {
            let queues = self.settings.topic_queues;
            self.producers[pi].next_round_robin(queues)
        };
        if let Some(p) = self.producers[pi].pending.get_mut(&msg) {
            p.queue = queue;
            p.chosen = false;
        }
        let per_attempt = self.attempt_budget_ms(first_ms);
        let info = self.info(msg);
        info.attempts += 1;
        info.queue = queue;
        let (producer, seq) = (info.producer, info.seq);
        let master = self.master;
        let (ql, ql_zh) = (self.queue_label(queue, false), self.queue_label(queue, true));
        self.send(
            EnvelopeKind::Request,
            pn,
            master,
            Payload::Request { msg, attempt, oneway: mode == SendMode::Oneway, queue },
        );
        match mode {
            SendMode::Oneway => {
                self.producers[pi].pending.remove(&msg);
                if let Some(row) = self.producers[pi].outbox.get_mut(&msg) {
                    row.state = RowState::Done;
                }
                let master_zh = master.name_zh();
                said!(
                    z,
                    "sent {msg} ({producer} seq {seq}{ql}) one-way to {master}; no answer will come",
                    "以单向发送把 {msg}（{producer} 序号 {seq}{ql_zh}）发往{master_zh}；不会有任何响应"
                )
            }
            SendMode::Sync | SendMode::Async => {
                if let Some(p) = self.producers[pi].pending.get_mut(&msg) {
                    p.awaiting = true;
                }
                let life = self.producers[pi].life;
                self.schedule(now + per_attempt, Due::AttemptTimeout { msg, attempt, life });
                let (how, how_zh) =
                    if mode == SendMode::Sync { ("sync", "同步") } else { ("async", "异步") };
                let master_zh = master.name_zh();
                said!(
                    z,
                    "sent {msg} ({producer} seq {seq}{ql}) to {master}, {how} attempt {attempt} of {total}, waits up to {per_attempt} ms",
                    "把 {msg}（{producer} 序号 {seq}{ql_zh}）发往{master_zh}，{how_zh}发送第 {attempt}/{total} 次，最多等 {per_attempt} ms"
                )
            }
        }
    }

    /// A send's budget is spent or the answer was a failure: what the app does now.
    /// `why` is what went wrong with `msg`, said without the node ("got no answer …").
    pub(super) fn give_up(&mut self, msg: MsgId, why: Said) -> Said {
        self.give_up_in(msg, why, "onException")
    }

    /// [`World::give_up`], saying which async callback saw the failure.
    pub(super) fn give_up_in(&mut self, msg: MsgId, why: Said, callback: &str) -> Said {
        let pn = self.sender(msg);
        let (pi, pn_zh) = (pn.index(), pn.name_zh());
        let z = self.zh;
        self.producers[pi].pending.remove(&msg);
        let (why, why_zh) = (why.en, why.zh);
        if self.producers[pi].outbox.get(&msg).is_some_and(|r| r.state == RowState::Pending) {
            self.arm_outbox_scan(pn);
            return said!(
                z,
                "{pn}: {msg} {why}; its outbox row stays pending for the scanner",
                "{pn_zh}：{msg} {why_zh}；它在本地消息表中的记录保持待发送，交给扫描任务"
            );
        }
        match self.settings.producer_send {
            SendMode::Async => {
                self.lose(&[msg], Cause::ErrorIgnored);
                said!(
                    z,
                    "{pn}: {msg} {why}; the async callback's {callback} only logs it",
                    "{pn_zh}：{msg} {why_zh}；异步回调的 {callback} 只打了一行日志"
                )
            }
            _ => {
                self.info(msg).known_failed = true;
                said!(
                    z,
                    "{pn}: {msg} {why}; the exception reaches the caller (the send failed)",
                    "{pn_zh}：{msg} {why_zh}；异常抛给了调用方（发送失败）"
                )
            }
        }
    }

    pub(super) fn retry_or_give_up(&mut self, msg: MsgId, why: Said) -> Said {
        let pn = self.sender(msg);
        let (pi, pn_zh) = (pn.index(), pn.name_zh());
        let z = self.zh;
        let Some(p) = self.producers[pi].pending.get(&msg).copied() else {
            let (why, why_zh) = (why.en, why.zh);
            return said!(z, "{pn}: {msg} {why}", "{pn_zh}：{msg} {why_zh}");
        };
        let elapsed = self.now - p.first_ms.unwrap_or(self.now);
        let total = 1 + self.settings.producer_retries;
        if elapsed < self.settings.producer_timeout_ms && p.attempt < total {
            let sent = self.transmit(msg);
            let (why, why_zh) = (why.en, why.zh);
            let mut text = said!(z, "{pn}: {msg} {why}; resends. ", "{pn_zh}：{msg} {why_zh}；重发。");
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

    pub(super) fn attempt_timeout(&mut self, msg: MsgId, attempt: u32) -> Out {
        let pn = self.sender(msg);
        let why = said!(
            self.zh,
            "got no answer to attempt {attempt} in time",
            "第 {attempt} 次发送没有在时限内收到响应"
        );
        (Some(pn), self.retry_or_give_up(msg, why), vec![msg])
    }

    pub(super) fn on_response(&mut self, msg: MsgId, attempt: u32, status: SendStatus) -> Out {
        let pn = self.sender(msg);
        let (pi, pn_zh) = (pn.index(), pn.name_zh());
        let z = self.zh;
        let node = Some(pn);
        let name = status.name();
        let current =
            self.producers[pi].pending.get(&msg).is_some_and(|p| p.attempt == attempt && p.awaiting);
        if !current {
            let text = said!(
                z,
                "{pn}: late {name} for {msg} attempt {attempt}; nobody is waiting for it",
                "{pn_zh}：{msg} 第 {attempt} 次发送的 {name} 迟到了；已经没有人在等它"
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
            self.producers[pi].pending.remove(&msg);
            let mut text = said!(
                z,
                "{pn}: {callback}{msg} {name} (attempt {attempt})",
                "{pn_zh}：{callback_zh}{msg} {name}（第 {attempt} 次发送）"
            );
            if status != SendStatus::SendOk {
                text.push(said!(
                    z,
                    "; treated as success (require_send_ok is off)",
                    "；被当作成功（require_send_ok 未开启）"
                ));
            }
            if let Some(row) = self.producers[pi].outbox.get_mut(&msg) {
                row.state = RowState::Done;
                text.push(said!(z, "; outbox row marked done", "；本地消息表记录标记为已完成"));
            }
            return (node, text, vec![msg]);
        }
        if let Some(p) = self.producers[pi].pending.get_mut(&msg) {
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

    pub(super) fn arm_outbox_scan(&mut self, pn: Node) {
        let pi = pn.index();
        if !self.producers[pi].scan_tick {
            self.producers[pi].scan_tick = true;
            let life = self.producers[pi].life;
            self.schedule(
                next_grid(self.now, OUTBOX_SCAN_INTERVAL_MS),
                Due::OutboxScan { producer: pn, life },
            );
        }
    }

    pub(super) fn outbox_scan(&mut self, pn: Node) -> Out {
        let (pi, pn_zh) = (pn.index(), pn.name_zh());
        self.producers[pi].scan_tick = false;
        let mut resent = Vec::new();
        let mut gave_up = Vec::new();
        for msg in self.producers[pi].rows_to_scan() {
            let Some(row) = self.producers[pi].outbox.get_mut(&msg) else { continue };
            if row.tries >= OUTBOX_MAX_TRIES {
                row.state = RowState::GaveUp;
                gave_up.push(msg);
                continue;
            }
            row.tries += 1;
            self.producers[pi].pending.insert(
                msg,
                Pending {
                    queue: 0,
                    keyed: false,
                    chosen: false,
                    attempt: 0,
                    first_ms: None,
                    awaiting: false,
                },
            );
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
        let mut text = said!(z, "{pn}: outbox scanner ", "{pn_zh}：本地消息表扫描任务");
        text.push(Said::join(parts));
        (Some(pn), text, all)
    }
}
