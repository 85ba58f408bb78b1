//! What the user does to the world: every command but `step`/`run`/`back` is one step here.
//! Crashes (process, power, disk), restarts with recovery, partitions and healing, `promote
//! replica`, `drop next`, `fail next`, and `set` (the cluster's shape is in `cluster`).

use super::*;

impl World {
    /// Applies one world-changing command (not step/run/back) as one step. A refusal changes
    /// nothing and says why.
    pub fn command(&mut self, command: &Command) -> Result<Result<Event, Said>, String> {
        let out = match command {
            Command::Send(n) => self.cmd_send(*n, Node::PRODUCER, None),
            Command::SendAs { n, from, key } => self.cmd_send(*n, *from, key.as_deref()),
            Command::Set { key, value } => self.cmd_set(key, value)?,
            Command::Crash(node, kind) => self.cmd_crash(*node, *kind)?,
            Command::Restart(node) => self.cmd_restart(*node)?,
            Command::DropNext(kind) => {
                self.net.armed.insert(*kind);
                let name = kind.name();
                let name_zh = match kind {
                    DropKind::Request => "请求",
                    DropKind::Response => "响应",
                    DropKind::Delivery => "投递",
                    DropKind::Commit => "位点提交",
                };
                let text = said!(
                    self.zh,
                    "network: the next {name} envelope will be dropped",
                    "网络：下一个{name_zh}（{name}）将被丢弃"
                );
                Ok((None, text, vec![]))
            }
            Command::Partition(node) => self.cmd_partition(*node),
            Command::Heal => self.cmd_heal()?,
            Command::FailNext(n) => {
                self.group.fail_next += n;
                let fails = self.group.fail_next;
                let text = said!(
                    self.zh,
                    "consumer: the business logic will fail for the next {}",
                    "消费者：接下来 {fails} 次业务处理会失败"; en:
                    plural(fails as usize, "delivery").replace("deliverys", "deliveries")
                );
                Ok((Some(Node::CONSUMER), text, vec![]))
            }
            Command::PromoteReplica => self.cmd_promote()?,
            Command::Step(_) | Command::Run(_) | Command::Back(_) => {
                Err(said!(self.zh, "`{command}` is not a world command", "`{command}` 不是改变世界的命令"))
            }
        };
        if out.is_ok() {
            self.mark = match command {
                Command::Crash(node, kind) => Some(Mark::Crashed { node: *node, kind: *kind }),
                Command::Restart(node) => Some(Mark::Restarted { node: *node }),
                Command::Partition(node) => Some(Mark::Partitioned { node: *node }),
                Command::Heal => Some(Mark::Healed),
                Command::PromoteReplica => Some(Mark::Promoted { node: self.master }),
                _ => None,
            };
        } else {
            self.wire.clear();
        }
        Ok(out.map(|out| self.emit(out)))
    }

    pub(super) fn cmd_set(&mut self, key: &str, value: &str) -> Result<Result<Out, Said>, String> {
        if let Some(refusal) = self.cluster_refusal(key, value) {
            return Ok(Err(refusal));
        }
        let before = self.settings.clone();
        if let Err(e) = self.settings.set(key, value) {
            let (en, zh) =
                (e.to_string(), if self.zh { e.text(crate::lesson::Lang::Zh) } else { String::new() });
            return Ok(Err(Said { en, zh }));
        }
        let (help, help_zh) = crate::settings::spec(key).map_or(("", ""), |s| (s.help, s.help_zh));
        let mut text =
            said!(self.zh, "settings: {key} = {value} ({help})", "设置：{key} = {value} —— {help_zh}");
        if key == "broker.replication" {
            text.push(self.reconnect_replica()?);
        }
        text.push(self.apply_cluster(key, &before));
        Ok(Ok((None, text, vec![])))
    }

    pub(super) fn cmd_crash(&mut self, node: Node, kind: CrashKind) -> Result<Result<Out, Said>, String> {
        // A broker's machine can still lose power or its disk while the process is down (killed,
        // then the machine rebooted before the restart).
        let machine_fault = node.has_log() && kind != CrashKind::Process;
        if !self.has_node(node) {
            return Ok(Err(self.no_such_node("crash", node)));
        }
        if !self.node_up(node) && !machine_fault {
            return Ok(Err(said!(
                self.zh,
                "crash {node}: {node} is already down",
                "crash {node}：{node} 已经宕机"
            )));
        }
        let z = self.zh;
        let (how, how_zh) = match kind {
            CrashKind::Process => ("killed (process crash)", "进程被 kill（进程崩溃）"),
            CrashKind::Power => ("lost power", "断电"),
            CrashKind::Disk => ("lost its disk", "磁盘损坏"),
        };
        let node_zh = node.name_zh();
        let out = match node {
            Node::Producer(_) => {
                let p = &mut self.producers[node.index()];
                p.up = false;
                p.life += 1;
                p.scan_tick = false;
                let lost: Vec<MsgId> = std::mem::take(&mut p.pending).into_keys().collect();
                let rows = p.pending_rows();
                self.lose(&lost, Cause::ProducerCrashedUnsent);
                let mut text =
                    said!(z, "{node}: {how}; its memory is gone", "{node_zh}：{how_zh}；内存中的数据没了");
                if !lost.is_empty() {
                    text.push(said!(
                        z,
                        " with {} (unsent or awaiting a result)",
                        "，包括 {}（未发送或在等结果）",
                        msgs_text(&lost)
                    ));
                }
                if rows > 0 {
                    text.push(said!(
                        z,
                        "; the outbox keeps {}",
                        "；本地消息表还保留着 {rows} 条待发送记录"; en:
                        plural(rows, "pending row")
                    ));
                }
                (Some(node), text, lost)
            }
            Node::Consumer(_) => {
                let c = self.cm(node);
                c.up = false;
                c.life += 1;
                c.pulls.clear();
                c.members.clear();
                c.retry_done.clear();
                c.sendbacks.clear();
                c.persist_tick = false;
                let work: Vec<Work> = std::mem::take(&mut c.work).into_values().collect();
                let master = self.master;
                // Its pulls stop at once. A killed process closes its sockets, so the master
                // drops it from the group now; a machine that lost power just goes silent, and
                // the master notices when the channel expires.
                self.close_sessions(master, node);
                let mut gone = false;
                if self.b(master).group.contains(&node) {
                    if kind == CrashKind::Process {
                        gone = self.unregister(node);
                    } else {
                        self.start_silence(node);
                    }
                }
                let mut lost = Vec::new();
                let mut text = said!(z, "{node}: {how}", "{node_zh}：{how_zh}");
                for w in &work {
                    if w.reported_early {
                        let cause = if w.async_mode {
                            Cause::AsyncConsumeFailed
                        } else {
                            Cause::CommittedBeforeProcessing
                        };
                        self.lose(&[w.msg], cause);
                        lost.push(w.msg);
                    }
                }
                let all: Vec<MsgId> = work.iter().map(|w| w.msg).collect();
                if !all.is_empty() {
                    text.push(said!(
                        z,
                        "; work in progress on {} is gone",
                        "；正在处理的 {} 没了",
                        msgs_text(&all)
                    ));
                }
                if !lost.is_empty() {
                    text.push(said!(
                        z,
                        " (already reported done: {})",
                        "（已报告完成的：{}）",
                        msgs_text(&lost)
                    ));
                }
                if gone {
                    let master_zh = master.name_zh();
                    text.push(said!(
                        z,
                        "; {master} sees its connection close and drops it from the group",
                        "；{master_zh}发现它的连接断开，把它移出消费者组"
                    ));
                    if !self.b(master).group.is_empty() {
                        text.push(self.group_said());
                    }
                }
                (Some(node), text, all)
            }
            Node::Broker(_) => {
                let written = self.b(node).written_pos;
                let flushed = self.b(node).flushed_pos;
                let was_up = self.b(node).up;
                let is_master = node == self.master;
                if node == Node::REPLICA && self.master == Node::BROKER {
                    // A killed process closes its sockets at once; a machine that lost power
                    // just goes silent.
                    if kind == CrashKind::Process {
                        self.bm(Node::BROKER).ha_connected = false;
                    } else {
                        self.ha_silent();
                    }
                }
                let report = self.brokers[bi(node)].crash(kind, &mut self.rng)?;
                let cause =
                    if kind == CrashKind::Disk { Cause::LostWithDisk } else { Cause::LostInPageCache };
                self.lose(&report.cut, cause);
                let mut text = if was_up {
                    said!(z, "{node}: {how}", "{node_zh}：{how_zh}")
                } else {
                    said!(
                        z,
                        "{node}: down, and now its machine {how}",
                        "{node_zh}：进程已停，现在它的机器又{how_zh}"
                    )
                };
                match kind {
                    CrashKind::Process => text.push(said!(
                        z,
                        "; its memory is gone, the page cache keeps bytes 0..{written} ({flushed} on disk)",
                        "；进程内存没了，页缓存仍保留字节 0..{written}（磁盘上 {flushed}）"
                    )),
                    CrashKind::Power => {
                        if report.cut.is_empty() {
                            text.push(said!(
                                z,
                                "; nothing was only in the page cache (bytes 0..{flushed} on disk)",
                                "；没有只在页缓存里的数据（字节 0..{flushed} 已在磁盘上）"
                            ));
                        } else {
                            let (from, to) = report.cut_bytes;
                            text.push(said!(
                                z,
                                "; the page cache is gone: {} (bytes {from}..{to}) never reached disk",
                                "；页缓存没了：{}（字节 {from}..{to}）没来得及落盘",
                                msgs_text(&report.cut)
                            ));
                        }
                        if report.torn_bytes > 0 {
                            let torn = report.torn_bytes;
                            text.push(said!(
                                z,
                                "; a torn write left {torn} garbage bytes",
                                "；写了一半的数据留下 {torn} 字节垃圾"
                            ));
                        }
                    }
                    CrashKind::Disk if report.cut.is_empty() => {
                        text.push(said!(
                            z,
                            "; its files are gone (they were empty)",
                            "；它的文件没了（本来就是空的）"
                        ));
                    }
                    CrashKind::Disk => {
                        text.push(said!(
                            z,
                            "; its files are gone with {}",
                            "；它的文件连同 {} 一起没了",
                            msgs_text(&report.cut)
                        ));
                    }
                }
                if is_master && was_up {
                    let Said { en: offsets, zh: offsets_zh } = self.offsets_said(node);
                    text.push(said!(
                        z,
                        "; consumer offset back to the persisted {offsets}",
                        "；消费位点退回到已持久化的 {offsets_zh}"
                    ));
                }
                (Some(node), text, report.cut)
            }
        };
        Ok(Ok(out))
    }

    pub(super) fn cmd_restart(&mut self, node: Node) -> Result<Result<Out, Said>, String> {
        if node.has_log() && self.b(node).role == Role::Retired {
            return Ok(Err(said!(
                self.zh,
                "restart {node}: it was replaced by the promoted replica",
                "restart {node}：它已被升主的从节点取代"
            )));
        }
        if !self.has_node(node) {
            return Ok(Err(self.no_such_node("restart", node)));
        }
        if self.node_up(node) {
            return Ok(Err(said!(
                self.zh,
                "restart {node}: {node} is up",
                "restart {node}：{node} 正在运行"
            )));
        }
        match node {
            Node::Producer(_) => {
                let id = crate::ids::ProducerId(self.next_producer_id);
                self.next_producer_id += 1;
                let p = &mut self.producers[node.index()];
                p.up = true;
                p.id = id;
                p.next_seq.clear();
                p.next_queue = 0;
                let rows = p.rows_to_scan().len();
                let (z, node_zh) = (self.zh, node.name_zh());
                let mut text = said!(
                    z,
                    "{node}: restarted as {id} (sequence numbers start again at 1)",
                    "{node_zh}：以 {id} 身份重启（序号重新从 1 开始）"
                );
                if rows > 0 {
                    self.arm_outbox_scan(node);
                    text.push(said!(
                        z,
                        "; the outbox scanner will resend {}",
                        "；本地消息表扫描任务会重发 {rows} 条待发送记录"; en:
                        plural(rows, "pending row")
                    ));
                }
                Ok(Ok((Some(node), text, vec![])))
            }
            Node::Consumer(_) => {
                self.cm(node).up = true;
                let (z, node_zh) = (self.zh, node.name_zh());
                let mut text = if self.consumers.len() == 1 {
                    said!(
                        z,
                        "{node}: restarted; asks the broker for its committed offset",
                        "{node_zh}：重启；向 Broker 查询已提交的消费位点"
                    )
                } else {
                    said!(
                        z,
                        "{node}: restarted; its heartbeat registers it with the master",
                        "{node_zh}：重启；心跳把它注册到主节点"
                    )
                };
                // It joins the group: a rebalance gives it its share, pulled from the committed
                // offsets.
                let joined = self.register(node);
                self.notify_group();
                if joined && self.consumers.len() > 1 {
                    text.push(self.group_said());
                } else if !self.b(self.master).group.contains(&node) {
                    text.push(said!(z, "; cannot reach the master yet", "；还连不上主节点"));
                }
                Ok(Ok((Some(node), text, vec![])))
            }
            Node::Broker(_) => {
                let z = self.zh;
                let now = self.now;
                let (line, cut, causes) = self.bm(node).restart(z, now)?;
                self.bm(node).epoch_floor = self.next_epoch + 1;
                for (id, cause) in cut.iter().zip(causes) {
                    self.lose(&[*id], cause);
                }
                let node_zh = node.name_zh();
                let mut text = said!(z, "{node}: restarted; ", "{node_zh}：重启；");
                text.push(line);
                let flush = if node == self.master {
                    self.settings.broker_flush
                } else {
                    self.settings.replica_flush
                };
                match flush {
                    FlushMode::Async => self.arm_flush_tick(node),
                    FlushMode::Sync if self.b(node).written_pos > self.b(node).flushed_pos => {
                        self.arm_group_commit(node);
                    }
                    FlushMode::Sync => {}
                }
                if node == self.master {
                    let Said { en: offsets, zh: offsets_zh } = self.offsets_said(node);
                    text.push(said!(z, "; consumer offset {offsets}", "；消费位点 {offsets_zh}"));
                    self.schedule_retries(node);
                }
                text.push(self.reconnect_replica()?);
                // The consumers re-register with the restarted master and start again from the
                // committed offsets: their own positions may point into records recovery cut.
                if node == self.master {
                    self.consumers_switch_to_master();
                }
                Ok(Ok((Some(node), text, cut)))
            }
        }
    }

    pub(super) fn cmd_partition(&mut self, node: Node) -> Result<Out, Said> {
        if self.net.partitioned.contains(&node) {
            return Err(said!(
                self.zh,
                "partition {node}: {node} is already cut off; `heal` reconnects it",
                "partition {node}：{node} 已经被隔离；`heal` 可以恢复"
            ));
        }
        if !self.has_node(node) {
            return Err(self.no_such_node("partition", node));
        }
        self.net.partition(node);
        if matches!(node, Node::BROKER | Node::REPLICA) {
            self.ha_silent();
        }
        // Consumers the master no longer hears from: their channels expire in 120 s unless
        // the partition heals first.
        let master = self.master;
        if self.node_up(master) {
            let silent: Vec<Node> = self
                .b(master)
                .group
                .iter()
                .copied()
                .filter(|c| !self.net.connected(*c, master) && !self.b(master).silences.contains_key(c))
                .collect();
            for consumer in silent {
                self.start_silence(consumer);
            }
        }
        let doomed = self.net.envelopes.values().filter(|e| e.doomed == Some("partitioned")).count();
        let (z, node_zh) = (self.zh, node.name_zh());
        let mut text =
            said!(z, "network: {node} is cut off from every other node", "网络：{node_zh}与其他所有节点断开");
        if doomed > 0 {
            text.push(said!(
                z,
                "; {} in flight will be lost",
                "；正在传输的 {doomed} 个网络包将会丢失"; en:
                plural(doomed, "envelope")
            ));
        }
        Ok((Some(node), text, vec![]))
    }

    pub(super) fn cmd_heal(&mut self) -> Result<Result<Out, Said>, String> {
        let was = std::mem::take(&mut self.net.partitioned);
        if was.is_empty() {
            return Ok(Err(said!(self.zh, "heal: nothing is partitioned", "heal：没有被隔离的节点")));
        }
        let names: Vec<&str> = was.iter().map(|n| n.name()).collect();
        let names_zh: Vec<&str> = was.iter().map(|n| n.name_zh()).collect();
        let z = self.zh;
        let (names, names_zh) = (names.join(", "), names_zh.join("、"));
        let mut text = said!(z, "network: healed; {names} reconnected", "网络：已恢复；{names_zh}重新连上");
        let master = self.master;
        let mut pulled = Vec::new();
        for i in 0..self.consumers.len() {
            let c = &self.consumers[i];
            let node = c.node;
            let stuck = c.pulls.values().any(|p| p.needs_repull);
            if !c.up || !(stuck || was.contains(&node) || was.contains(&master)) {
                continue;
            }
            // Its heartbeat gets through again: back in the group if the master had dropped it.
            self.register(node);
            let sessions: Vec<(Session, Option<u64>)> =
                self.c(node).pulls.iter().map(|(s, p)| (*s, p.next_offset)).collect();
            for (session, from) in sessions {
                self.repull(node, session, from);
            }
            pulled.push(node);
        }
        // Whoever's view of the group is stale rebalances.
        self.notify_group();
        match pulled.as_slice() {
            [] => {}
            [one] if *one == Node::CONSUMER && self.consumers.len() == 1 => {
                text.push(said!(z, "; the consumer pulls again", "；消费者重新拉取"));
            }
            many => {
                let names: Vec<&str> = many.iter().map(|n| n.name()).collect();
                let names_zh: Vec<&str> = many.iter().map(|n| n.name_zh()).collect();
                let (names, names_zh) = (names.join(", "), names_zh.join("、"));
                text.push(said!(z, "; {names} pull again", "；{names_zh}重新拉取"));
            }
        }
        if was.contains(&Node::REPLICA) || was.contains(&master) {
            // Healed before housekeeping dropped it, the HA connection carries on; either way
            // the replica reports its offset and the master streams from there.
            text.push(self.reconnect_replica()?);
        }
        Ok(Ok((None, text, vec![])))
    }

    pub(super) fn cmd_promote(&mut self) -> Result<Result<Out, Said>, String> {
        if self.master != Node::BROKER || self.b(Node::REPLICA).role != Role::Slave {
            return Ok(Err(said!(
                self.zh,
                "promote replica: the replica is already the master",
                "promote replica：从节点已经是主节点"
            )));
        }
        if !self.b(Node::REPLICA).up {
            return Ok(Err(said!(
                self.zh,
                "promote replica: the replica is down; restart it first",
                "promote replica：从节点已宕机；请先重启它"
            )));
        }
        let old_up = self.b(Node::BROKER).up;
        if old_up
            && self.net.connected(Node::BROKER, Node::REPLICA)
            && !self.net.partitioned.contains(&Node::BROKER)
        {
            return Ok(Err(said!(
                self.zh,
                "promote replica: the broker is up and reachable; crash or partition it first",
                "promote replica：Broker 仍在运行且连得上；请先让它崩溃或把它隔离"
            )));
        }
        // The old master is fenced off: what only it had is abandoned.
        let old = &self.brokers[0];
        let abandoned: BTreeSet<MsgId> = (0..old.queues.len())
            .flat_map(|q| old.live_entries(q, old.queues[q].committed))
            .map(|e| e.msg)
            .chain(old.retry.values().map(|r| r.msg))
            .chain(old.dead_letters())
            .collect();
        if old_up {
            self.brokers[0].crash(CrashKind::Process, &mut self.rng)?;
        }
        self.brokers[0].role = Role::Retired;
        let abandoned: Vec<MsgId> = abandoned.into_iter().collect();
        self.lose(&abandoned, Cause::LostInFailover);
        let r = &mut self.brokers[1];
        r.role = Role::Master;
        r.epoch_floor = self.next_epoch + 1;
        r.settle_offsets(broker::Held::Synced);
        let has: BTreeSet<MsgId> = r.index.iter().map(|e| e.msg).collect();
        let records = r.index.len();
        self.schedule_retries(Node::REPLICA);
        self.master = Node::REPLICA;
        let had_only_old: Vec<MsgId> = abandoned.iter().filter(|m| !has.contains(m)).copied().collect();
        let z = self.zh;
        let Said { en: offsets, zh: offsets_zh } = self.offsets_said(Node::REPLICA);
        let mut text = said!(
            z,
            "replica: promoted to master with {} (consumer offset {offsets})",
            "从节点：升为主节点，带着 {records} 条记录（消费位点 {offsets_zh}）"; en:
            plural(records, "record")
        );
        if old_up {
            text.push(said!(
                z,
                "; the old master broker, cut off but running, is fenced off and stopped",
                "；旧主节点 Broker 虽被隔离但仍在运行，现被隔离下线并停止"
            ));
        }
        if !had_only_old.is_empty() {
            text.push(said!(z, "; it never had {}", "；它从未收到 {}", msgs_text(&had_only_old)));
        }
        match self.settings.broker_flush {
            FlushMode::Async => self.arm_flush_tick(Node::REPLICA),
            FlushMode::Sync if self.b(Node::REPLICA).written_pos > self.b(Node::REPLICA).flushed_pos => {
                self.arm_group_commit(Node::REPLICA);
            }
            FlushMode::Sync => {}
        }
        if self.consumers_switch_to_master() {
            if self.consumers.len() == 1 {
                text.push(said!(z, "; the consumer switches to it", "；消费者切换到它"));
            } else {
                text.push(said!(z, "; the consumers switch to it", "；消费者们切换到它"));
            }
        }
        Ok(Ok((Some(Node::REPLICA), text, had_only_old)))
    }

    /// The consumers that are up register with the (new or restarted) master and pull all
    /// their queues again from its committed offsets; if the group they knew has changed, they
    /// rebalance. Returns whether any consumer was up.
    pub(super) fn consumers_switch_to_master(&mut self) -> bool {
        let up: Vec<Node> = self.consumers.iter().filter(|c| c.up).map(|c| c.node).collect();
        for node in &up {
            self.register(*node);
        }
        for node in &up {
            self.repull_all(*node);
        }
        self.notify_group();
        !up.is_empty()
    }

    /// "3" with one queue; "q0=3, q1=2" with several: the group's offsets on `node`.
    pub(super) fn offsets_said(&self, node: Node) -> Said {
        let b = self.b(node);
        let list = match b.queues.as_slice() {
            [one] => one.committed.to_string(),
            many => many
                .iter()
                .enumerate()
                .map(|(q, bq)| format!("q{q}={}", bq.committed))
                .collect::<Vec<_>>()
                .join(", "),
        };
        Said { zh: if self.zh { list.clone() } else { String::new() }, en: list }
    }

    /// A command named a node the world does not have.
    pub(super) fn no_such_node(&self, verb: &str, node: Node) -> Said {
        let names: Vec<&str> = self.all_nodes().into_iter().map(Node::name).collect();
        let names = names.join(", ");
        said!(
            self.zh,
            "{verb} {node}: there is no {node}; the nodes are {names} (set cluster.producers / cluster.consumers)",
            "{verb} {node}：没有 {node}；现有节点：{names}（set cluster.producers / cluster.consumers）"
        )
    }

    /// Every node of the topology, producers first, then brokers, then consumers.
    pub fn all_nodes(&self) -> Vec<Node> {
        let producers = self.producers.iter().map(|p| p.node);
        let brokers = self.brokers.iter().map(|b| b.node);
        let consumers = self.consumers.iter().map(|c| c.node);
        producers.chain(brokers).chain(consumers).collect()
    }
}
