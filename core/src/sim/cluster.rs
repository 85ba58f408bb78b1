//! The cluster's shape as commands change it: which producer sends (`send N from P key K`),
//! producers and consumers joining and leaving (`set cluster.producers`, `set
//! cluster.consumers`), and the topic's queue count (`set topic.queues`, before the first send).

use super::clients::queue_by_key;
use super::*;

impl World {
    /// `send N [from P] [key K]`: N messages created in `from`'s memory, each stamped with the
    /// next sequence number of the queue it goes to.
    pub(super) fn cmd_send(&mut self, n: u64, from: Node, key: Option<&str>) -> Result<Out, Said> {
        let z = self.zh;
        let from_zh = from.name_zh();
        if !self.has_node(from) {
            let count = self.producers.len();
            return Err(said!(
                z,
                "send: there is no {from}; the cluster has {count} producer(s) (set cluster.producers)",
                "send：没有{from_zh}；集群里有 {count} 个 Producer（set cluster.producers）"
            ));
        }
        if !self.p(from).up {
            return Err(if from == Node::PRODUCER && self.producers.len() == 1 {
                said!(z, "send: the producer is down; restart it first", "send：生产者已宕机；请先重启它")
            } else {
                said!(z, "send: {from} is down; restart it first", "send：{from_zh}已宕机；请先重启它")
            });
        }
        let queues = self.settings.topic_queues;
        let pi = from.index();
        let producer = self.producers[pi].id;
        let life = self.producers[pi].life;
        let mut ids = Vec::new();
        let mut seqs: Vec<(u32, u64)> = Vec::new();
        for _ in 0..n {
            let id = MsgId(self.ledger.len() as u64 + 1);
            let queue = match key {
                Some(key) => queue_by_key(key, queues),
                None => self.producers[pi].next_round_robin(queues),
            };
            let seq = self.producers[pi].take_seq(queue);
            self.ledger.push(MsgInfo::new(id, from, producer, seq, queue));
            let pending = Pending {
                queue,
                keyed: key.is_some(),
                chosen: true,
                attempt: 0,
                first_ms: None,
                awaiting: false,
            };
            self.producers[pi].pending.insert(id, pending);
            if self.settings.producer_outbox {
                self.producers[pi].outbox.insert(id, OutboxRow { tries: 0, state: RowState::Pending });
            }
            self.schedule(self.now, Due::Transmit { msg: id, life });
            ids.push(id);
            seqs.push((queue, seq));
        }
        let seq_text = seqs_text(&seqs, queues > 1);
        let mut text = said!(
            z,
            "{from}: created {} ({producer} seq {seq_text}) in memory",
            "{from_zh}：在内存中创建了 {}（{producer} 序号 {seq_text}）",
            msgs_text(&ids)
        );
        if let Some(key) = key {
            let q = queue_by_key(key, queues);
            text.push(said!(
                z,
                "; key {key} picks queue {q} (hash of the key)",
                "；消息 Key {key} 选中队列 {q}（按 Key 的哈希）"
            ));
        }
        if self.settings.producer_outbox {
            let them = if n == 1 { "it" } else { "them" };
            text.push(said!(
                z,
                "; wrote {them} to the outbox (local message table) first",
                "；先写入了本地消息表（outbox）"
            ));
        }
        Ok((Some(from), text, ids))
    }

    /// Why `set key value` cannot change the cluster now, if it cannot (nothing is changed).
    pub(super) fn cluster_refusal(&self, key: &str, value: &str) -> Option<Said> {
        let z = self.zh;
        let n: usize = value.parse().ok()?;
        match key {
            "topic.queues" if !self.ledger.is_empty() => {
                let sent = self.ledger.len();
                Some(said!(
                    z,
                    "set topic.queues: set it before the first send ({sent} message(s) exist); start over to change it",
                    "set topic.queues：须在第一次发送之前设置（已有 {sent} 条消息）；要改它请重新开始"
                ))
            }
            "topic.queues" if !self.node_up(self.master) => Some(said!(
                z,
                "set topic.queues: the master is down; restart it first",
                "set topic.queues：主节点已宕机；请先重启它"
            )),
            "cluster.producers" if n < self.producers.len() => {
                let busy: Vec<&str> =
                    self.producers[n..].iter().filter(|p| !p.is_idle()).map(|p| p.node.name()).collect();
                if busy.is_empty() {
                    return None;
                }
                let busy = busy.join(", ");
                Some(said!(
                    z,
                    "set cluster.producers: {busy} still holds messages or outbox rows; wait until it is idle",
                    "set cluster.producers：{busy} 还持有消息或本地消息表记录；等它空闲后再减少"
                ))
            }
            _ => None,
        }
    }

    /// After `set key`, the cluster takes its new shape; says what changed (empty if nothing).
    pub(super) fn apply_cluster(&mut self, key: &str, before: &Settings) -> Said {
        match key {
            "topic.queues" if before.topic_queues != self.settings.topic_queues => self.reshape_queues(),
            "cluster.producers" => self.reshape_producers(),
            "cluster.consumers" => self.reshape_consumers(),
            _ => Said::default(),
        }
    }

    /// The topic gets its new queue count: no message exists yet, so every consumer's share is
    /// dealt again from offset 0.
    fn reshape_queues(&mut self) -> Said {
        let queues = self.settings.topic_queues as usize;
        for b in &mut self.brokers {
            b.queues.resize(queues, broker::BrokerQueue::default());
            for q in &mut b.queues {
                q.sessions.clear();
            }
            b.retry_sessions.clear();
        }
        let master = self.master;
        let group = self.b(master).group.clone();
        for consumer in group.iter().copied() {
            self.cm(consumer).pulls.clear();
            self.cm(consumer).members = group.clone();
            for session in clients::allocate(&group, consumer, queues as u32) {
                let epoch = self.new_epoch();
                let pull = clients::Pull { epoch, next_offset: Some(0), ..clients::Pull::default() };
                self.cm(consumer).pulls.insert(session, pull);
                self.open_session(master, consumer, session, epoch, 0);
            }
        }
        said!(
            self.zh,
            "; the consumers share the {queues} queues again",
            "；消费者重新平分这 {queues} 个队列"
        )
    }

    fn reshape_producers(&mut self) -> Said {
        let want = self.settings.cluster_producers as usize;
        let z = self.zh;
        let mut parts = Vec::new();
        while self.producers.len() < want {
            let node = Node::Producer(self.producers.len() as u8);
            let id = crate::ids::ProducerId(self.next_producer_id);
            self.next_producer_id += 1;
            self.producers.push(Producer::new(node, id));
            let node_zh = node.name_zh();
            parts.push(said!(z, "{node} starts as {id}", "{node_zh}以 {id} 身份启动"));
        }
        while self.producers.len() > want {
            let node = self.producers.pop().map(|p| p.node).expect("more than wanted");
            let node_zh = node.name_zh();
            parts.push(said!(z, "{node} shuts down", "{node_zh}关闭"));
        }
        lead_join(parts)
    }

    fn reshape_consumers(&mut self) -> Said {
        let want = self.settings.cluster_consumers as usize;
        let z = self.zh;
        let mut parts = Vec::new();
        let mut changed = false;
        while self.consumers.len() < want {
            let node = Node::Consumer(self.consumers.len() as u8);
            self.consumers.push(Consumer::new(node));
            let node_zh = node.name_zh();
            if self.register(node) {
                changed = true;
                parts.push(said!(z, "{node} joins the group", "{node_zh}加入消费者组"));
            } else {
                parts.push(said!(
                    z,
                    "{node} starts but cannot reach the master yet",
                    "{node_zh}启动了，但还连不上主节点"
                ));
            }
        }
        while self.consumers.len() > want {
            let node = self.consumers.last().map(|c| c.node).expect("more than wanted");
            let node_zh = node.name_zh();
            // A clean shutdown (RocketMQ `shutdown`): the offsets go to the broker first, then it
            // unregisters; work it had not finished is delivered again to the next owner.
            if self.c(node).up && self.node_up(self.master) && self.net.connected(node, self.master) {
                self.report_offsets(node);
            }
            // Work reported done before it finished dies with the process, as in a crash.
            let early: Vec<Work> = self.c(node).work.values().filter(|w| w.reported_early).copied().collect();
            for w in early {
                let cause =
                    if w.async_mode { Cause::AsyncConsumeFailed } else { Cause::CommittedBeforeProcessing };
                self.lose(&[w.msg], cause);
            }
            let master = self.master;
            self.close_sessions(master, node);
            if self.bm(master).group.remove(&node) {
                changed = true;
            }
            self.consumers.pop();
            parts.push(said!(
                z,
                "{node} shuts down: sends its offsets and leaves the group",
                "{node_zh}关闭：提交位点后离开消费者组"
            ));
        }
        if changed {
            self.notify_group();
            parts.push(said!(z, "the master tells the group to rebalance", "主节点通知消费者组重新分配队列"));
        }
        lead_join(parts)
    }
}

/// "; a; b" (empty when there are no parts).
fn lead_join(parts: Vec<Said>) -> Said {
    if parts.is_empty() {
        return Said::default();
    }
    let mut text = Said { en: "; ".to_owned(), zh: "；".to_owned() };
    text.push(Said::join(parts));
    text
}

/// `1..3`, or per queue `q0: 1..2, q1: 1` when the topic has several queues.
fn seqs_text(seqs: &[(u32, u64)], per_queue: bool) -> String {
    let range = |v: &[u64]| match (v.first(), v.last()) {
        (Some(a), Some(b)) if a == b => format!("{a}"),
        (Some(a), Some(b)) => format!("{a}..{b}"),
        _ => String::new(),
    };
    if !per_queue {
        let v: Vec<u64> = seqs.iter().map(|(_, s)| *s).collect();
        return range(&v);
    }
    let mut by_queue: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for (q, s) in seqs {
        by_queue.entry(*q).or_default().push(*s);
    }
    by_queue.iter().map(|(q, v)| format!("q{q}: {}", range(v))).collect::<Vec<_>>().join(", ")
}
