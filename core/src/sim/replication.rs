//! Master/slave replication: the master streams its log to the slave by byte position (RocketMQ
//! HAService), the slave acknowledges its max physical offset, the HA connection and its
//! housekeeping, catching up after a restart (a master behind its slave copies back what only the
//! slave holds), and the consumer offsets the slave syncs.

use super::*;

impl World {
    /// Streams everything past what the replica was sent (RocketMQ's HA service pushes the
    /// CommitLog as it grows, by byte position).
    pub(super) fn ship(&mut self, master: Node) -> Result<Vec<MsgId>, String> {
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
    pub(super) fn reconnect_replica(&mut self) -> Result<Said, String> {
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
            let synced: Vec<u64> = self.b(slave).queues.iter().map(|q| q.synced).collect();
            let synced_done = self.b(slave).synced_retry_done.clone();
            let b = self.bm(master);
            for (q, synced) in synced.into_iter().enumerate() {
                let bq = b.queue_mut(q as u32);
                if synced > bq.committed {
                    bq.committed = synced.min(bq.len());
                    bq.persisted = bq.committed;
                }
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
    pub(super) fn ha_silent(&mut self) {
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

    pub(super) fn ha_drop(&mut self, node: Node) -> Out {
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

    pub(super) fn on_replicate(
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

    pub(super) fn on_replica_ack(&mut self, node: Node, life: u32, pos: u64) -> Result<Out, String> {
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

    pub(super) fn persist_offsets(&mut self, node: Node) -> Out {
        let b = self.bm(node);
        b.persist_tick = false;
        for q in &mut b.queues {
            q.persisted = q.committed;
        }
        b.retry_done_persisted = b.retry_done.clone();
        let persisted: Vec<u64> = b.queues.iter().map(|q| q.persisted).collect();
        let done = b.retry_done.clone();
        let (z, node_zh) = (self.zh, node.name_zh());
        let mut text = match persisted.as_slice() {
            [one] => said!(
                z,
                "{node}: persisted consumer offset {one} to disk (consumerOffset.json)",
                "{node_zh}：把消费位点 {one} 持久化到磁盘（consumerOffset.json）"
            ),
            many => {
                let list: Vec<String> = many.iter().enumerate().map(|(q, o)| format!("q{q}={o}")).collect();
                let list = list.join(", ");
                said!(
                    z,
                    "{node}: persisted consumer offsets {list} to disk (consumerOffset.json)",
                    "{node_zh}：把消费位点 {list} 持久化到磁盘（consumerOffset.json）"
                )
            }
        };
        if self.settings.broker_replication != Replication::None && self.slave_available() {
            let r = self.bm(Node::REPLICA);
            for (q, p) in persisted.into_iter().enumerate() {
                r.queue_mut(q as u32).synced = p;
            }
            r.synced_retry_done = done;
            text.push(said!(z, "; the replica syncs it", "；从节点同步了它"));
        }
        (Some(node), text, vec![])
    }
}
