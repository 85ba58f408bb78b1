//! Reading the world for the view: where every copy of every message is, the fates the ledger
//! derives from that, the topology to draw, and each node's state.

use super::*;

impl World {
    /// Where every copy of every message is now, indexed like the ledger.
    pub(super) fn places(&self) -> Vec<Vec<Place>> {
        let mut places: Vec<BTreeSet<Place>> = vec![BTreeSet::new(); self.ledger.len()];
        let mut put = |id: MsgId, place: Place| {
            if let Some(set) = places.get_mut((id.0 - 1) as usize) {
                set.insert(place);
            }
        };
        for p in &self.producers {
            for id in p.pending.keys() {
                put(*id, Place::ProducerMemory(p.node));
            }
            for (id, row) in &p.outbox {
                if row.state == RowState::Pending {
                    put(*id, Place::Outbox(p.node));
                }
            }
        }
        for env in self.net.envelopes.values() {
            // A shipment to the replica is never the last copy that lands: its master still
            // holds the records, and a shipment from a master that crashed is discarded.
            if env.kind == EnvelopeKind::Replicate {
                continue;
            }
            for id in env.payload.copies() {
                put(id, Place::InFlight);
            }
        }
        let master = self.b(self.master);
        for b in &self.brokers {
            if b.role == Role::Retired {
                continue;
            }
            let (cache, disk) = (Place::PageCache(b.node), Place::Disk(b.node));
            for (q, bq) in b.queues.iter().enumerate() {
                let master_committed = master.queues.get(q).map_or(0, |m| m.committed);
                let from =
                    if b.role == Role::Master { bq.committed } else { bq.synced.max(master_committed) };
                // A consumer whose own position in the queue is behind the committed offset (it
                // was cut off while another took the queue) still reads from there.
                let from = self.reader_floor(q as u32).map_or(from, |f| f.min(from));
                for e in b.live_entries(q, from) {
                    put(e.msg, if e.end <= b.flushed_pos { disk } else { cache });
                }
            }
            if b.role == Role::Master {
                for r in b.retry.values() {
                    put(r.msg, Place::RetryQueue(b.node));
                }
            } else {
                // A slave's retry copies count until the master reports them consumed.
                for (i, e) in b.index.iter().enumerate() {
                    let done = master.retry_done.contains(&i) || b.synced_retry_done.contains(&i);
                    if matches!(e.kind, broker::Kind::Retry { .. }) && !done {
                        put(e.msg, Place::RetryQueue(b.node));
                    }
                }
            }
            for id in b.dead_letters() {
                put(id, Place::DeadLetterQueue(b.node));
            }
        }
        for c in &self.consumers {
            for w in c.work.values() {
                put(w.msg, Place::ConsumerProcessing(c.node));
            }
            // A message whose sendMessageBack is unanswered stays in the consumer's process queue.
            for sb in c.sendbacks.values() {
                put(sb.msg, Place::ConsumerProcessing(c.node));
            }
        }
        places.into_iter().map(|s| s.into_iter().collect()).collect()
    }

    /// The nodes, queues and links a front end draws, as they are now.
    pub fn topology(&self) -> Topology {
        let master = self.master;
        let mut links: Vec<LinkView> = self
            .producers
            .iter()
            .map(|p| LinkView { from: p.node, to: master, kind: LinkKind::Produce })
            .collect();
        if let Some(slave) = self.slave()
            && self.settings.broker_replication != Replication::None
        {
            links.push(LinkView { from: master, to: slave, kind: LinkKind::Replicate });
        }
        links.extend(self.consumers.iter().map(|c| LinkView {
            from: master,
            to: c.node,
            kind: LinkKind::Consume,
        }));
        let m = self.b(master);
        // A queue's owner is the consumer that holds it after its last rebalance.
        let owner = |q: u32| {
            self.consumers.iter().find(|c| c.up && c.pulls.contains_key(&Session::Queue(q))).map(|c| c.node)
        };
        let queues = (0..self.settings.topic_queues)
            .map(|q| {
                let bq = m.queues.get(q as usize);
                QueueView {
                    id: q,
                    broker: master,
                    owner: owner(q),
                    stored: bq.map_or(0, |b| b.len()),
                    committed: bq.map_or(0, |b| b.committed),
                }
            })
            .collect();
        Topology {
            producers: self.producers.iter().map(|p| p.node).collect(),
            brokers: self.brokers.iter().map(|b| b.node).collect(),
            consumers: self.consumers.iter().map(|c| c.node).collect(),
            queues,
            links,
        }
    }

    /// Every message with its copies, fate and cause.
    pub fn messages(&self) -> Vec<MessageView> {
        let places = self.places();
        self.ledger
            .iter()
            .zip(places)
            .map(|(info, places)| {
                let (fate, cause) = ledger::fate(info, &places);
                MessageView {
                    id: info.id,
                    producer: info.producer,
                    seq: info.seq,
                    queue: info.queue,
                    token: ledger::token(fate, &places),
                    places,
                    status: info.status,
                    fate,
                    cause,
                    effects: info.effects,
                    detected: info.detected,
                    attempts: info.attempts,
                    deliveries: info.deliveries,
                }
            })
            .collect()
    }

    pub fn totals(messages: &[MessageView], ledger_acked: u64) -> Totals {
        let count = |f: Fate| messages.iter().filter(|m| m.fate == f).count() as u64;
        Totals {
            sent: messages.len() as u64,
            acked: ledger_acked,
            processed: count(Fate::Processed),
            duplicated: count(Fate::Duplicated),
            lost: count(Fate::Lost),
            failed: count(Fate::Failed),
            dead_lettered: count(Fate::DeadLettered),
            pending: count(Fate::Pending),
        }
    }

    pub fn acked(&self) -> u64 {
        self.ledger.iter().filter(|m| m.acked).count() as u64
    }

    pub fn in_flight(&self) -> Vec<EnvelopeView> {
        self.net.envelopes.values().map(Envelope::view).collect()
    }

    pub fn nodes(&self) -> Vec<NodeView> {
        let master = self.b(self.master);
        self.all_nodes()
            .into_iter()
            .map(|node| {
                let partitioned = self.net.partitioned.contains(&node);
                let up = self.node_up(node);
                let mut view = NodeView {
                    node,
                    up,
                    partitioned,
                    role: String::new(),
                    log: None,
                    replicated_pos: None,
                    committed_offset: None,
                    persisted_offset: None,
                    in_memory: 0,
                    outbox_pending: 0,
                    note: NodeNote::None,
                };
                match node {
                    Node::Producer(_) => {
                        let p = self.p(node);
                        view.role = "producer".into();
                        view.in_memory = p.pending.len();
                        view.outbox_pending = p.pending_rows();
                        let queues = self.settings.topic_queues.max(1);
                        let next_seq = p.next_seq.get(&(p.next_queue % queues)).copied().unwrap_or(1);
                        view.note = if p.up {
                            NodeNote::Producer { id: p.id, next_seq, in_memory: p.pending.len() }
                        } else {
                            NodeNote::Down
                        };
                    }
                    Node::Consumer(_) => {
                        let c = self.c(node);
                        view.role = "consumer".into();
                        // The group's offsets (as the master holds them) in the queues it owns.
                        let owned: Vec<&broker::BrokerQueue> =
                            c.queues().filter_map(|q| master.queues.get(q as usize)).collect();
                        view.committed_offset = Some(owned.iter().map(|q| q.committed).sum());
                        view.persisted_offset = Some(owned.iter().map(|q| q.persisted).sum());
                        view.in_memory = c.work.len();
                        view.note = if c.up {
                            NodeNote::Consumer {
                                processing: c.work.values().map(|w| w.msg).collect(),
                                fails_next: self.group.fail_next,
                            }
                        } else {
                            NodeNote::Down
                        };
                    }
                    Node::Broker(_) => {
                        let b = self.b(node);
                        view.role = match (b.role, node) {
                            (Role::Master, Node::REPLICA) => "master (promoted)",
                            (Role::Master, _) => "master",
                            (Role::Slave, _) => "slave",
                            (Role::Retired, _) => "retired",
                        }
                        .into();
                        view.log = Some(LogView {
                            written_pos: b.written_pos,
                            flushed_pos: b.flushed_pos,
                            records: b.len(),
                        });
                        if b.role == Role::Master {
                            view.replicated_pos = Some(b.replica_acked_pos.min(b.written_pos));
                            view.committed_offset = Some(b.queues.iter().map(|q| q.committed).sum());
                            view.persisted_offset = Some(b.queues.iter().map(|q| q.persisted).sum());
                        }
                        view.note = if b.role == Role::Retired {
                            NodeNote::Retired
                        } else if !b.up {
                            NodeNote::Down
                        } else {
                            NodeNote::Log {
                                records: b.len(),
                                dirty_bytes: b.written_pos.saturating_sub(b.flushed_pos),
                            }
                        };
                    }
                }
                view
            })
            .collect()
    }

    /// Checks the invariants the randomized sweep relies on; returns the first broken one.
    pub fn check_invariants(&self) -> Result<(), String> {
        for b in &self.brokers {
            if b.flushed_pos > b.written_pos {
                return Err(format!(
                    "{}: flushed_pos {} > written_pos {}",
                    b.node, b.flushed_pos, b.written_pos
                ));
            }
            if let Some(log) = &b.open
                && (log.written_pos() != b.written_pos || log.flushed_pos() != b.flushed_pos)
            {
                return Err(format!("{}: positions out of sync with the log", b.node));
            }
        }
        Ok(())
    }

    /// Once a `run` ends idle: says which messages are still pending though nothing scheduled
    /// will move them, and why (a step of its own). Returns whether it said anything.
    pub fn say_stranded(&mut self) -> bool {
        match self.stranded() {
            Some(out) => {
                self.record(out);
                true
            }
            None => false,
        }
    }

    /// At idle, the messages still pending that nothing scheduled will move, and what would.
    pub(super) fn stranded(&self) -> Option<Out> {
        let pending: Vec<MsgId> =
            self.messages().into_iter().filter(|m| m.fate == Fate::Pending).map(|m| m.id).collect();
        if pending.is_empty() {
            return None;
        }
        let z = self.zh;
        let master = self.master;
        let mut why = Vec::new();
        if !self.node_up(master) {
            let master_zh = master.name_zh();
            why.push(said!(z, "{master} is down", "{master_zh}已宕机"));
        }
        for c in self.consumers.iter().filter(|c| !c.up) {
            let (node, node_zh) = (c.node, c.node.name_zh());
            if node == Node::CONSUMER && self.consumers.len() == 1 {
                why.push(said!(z, "the consumer is down", "消费者已宕机"));
            } else {
                why.push(said!(z, "{node} is down", "{node_zh}已宕机"));
            }
        }
        for p in self.producers.iter().filter(|p| !p.up && p.pending_rows() > 0) {
            let (node, node_zh) = (p.node, p.node.name_zh());
            if node == Node::PRODUCER && self.producers.len() == 1 {
                why.push(said!(
                    z,
                    "the producer is down with outbox rows",
                    "生产者已宕机，本地消息表里还有记录"
                ));
            } else {
                why.push(said!(
                    z,
                    "{node} is down with outbox rows",
                    "{node_zh}已宕机，本地消息表里还有记录"
                ));
            }
        }
        if !self.net.partitioned.is_empty() {
            why.push(said!(z, "the network is partitioned", "网络被隔离"));
        }
        if self.slave().is_some() && self.b(Node::REPLICA).up && !self.b(master).ha_connected {
            why.push(said!(
                z,
                "the replica holds records the master does not and refuses to sync",
                "从节点持有主节点没有的记录，拒绝同步"
            ));
        }
        if why.is_empty() {
            why.push(said!(z, "no node has work scheduled", "没有任何节点还有待执行的工作"));
        }
        let list = msgs_text(&pending);
        let mut text = said!(
            z,
            "run: idle with {list} still pending; nothing scheduled will move them: ",
            "run：已空闲，{list} 仍未完成；没有任何已安排的事件会推动它们："
        );
        text.push(Said::join(why));
        Some((None, text, pending))
    }

    /// The lowest position in queue `queue` that a consumer still up will read from next: its
    /// lowest offset in progress, else the next it expects. None when no consumer has one.
    fn reader_floor(&self, queue: u32) -> Option<u64> {
        self.consumers
            .iter()
            .filter(|c| c.up)
            .filter_map(|c| c.pulls.get(&Session::Queue(queue)))
            .filter(|p| !p.from_committed)
            .filter_map(clients::Pull::commit_offset)
            .min()
    }
}
