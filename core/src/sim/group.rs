//! The consumer group: who is in it (the master's registry), and the rebalance that shares the
//! topic's queues among its members.
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
    pub(super) fn retry_puller(&self, master: Node) -> Option<(Node, u32)> {
        self.b(master).retry_sessions.iter().next().map(|(c, e)| (*c, *e))
    }

    /// `consumer`'s heartbeat reaches the master: it is in the group. Returns whether the group
    /// changed.
    pub(super) fn register(&mut self, consumer: Node) -> bool {
        let master = self.master;
        if !self.node_up(master) || !self.net.connected(consumer, master) {
            return false;
        }
        // Heard from again: whatever silence the master was timing has ended.
        self.bm(master).silences.remove(&consumer);
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
                let token = self.new_epoch();
                self.cm(consumer).rebalance_token = token;
                self.schedule(self.now + self.settings.net_latency_ms, Due::Rebalance { consumer, token });
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

    /// The master stops hearing from `consumer` (it lost power, or a partition cut it off):
    /// unless it is heard from again, its channel expires after [`CHANNEL_EXPIRED_MS`] (at the
    /// next housekeeping scan).
    pub(super) fn start_silence(&mut self, consumer: Node) {
        let master = self.master;
        if !self.node_up(master) || !self.b(master).group.contains(&consumer) {
            return;
        }
        let token = self.new_epoch();
        self.bm(master).silences.insert(consumer, token);
        let at = next_grid(self.now + CHANNEL_EXPIRED_MS, CLIENT_SCAN_MS);
        self.schedule(at, Due::ConsumerExpired { broker: master, consumer, token });
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
}

/// "queues 0, 1 and the retry queue" / "队列 0、1 和重试队列".
pub(super) fn sessions_text(sessions: &BTreeSet<Session>, zh: bool) -> Said {
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
