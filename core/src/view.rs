//! The view model: everything a front end may read about a world, as plain data.
//!
//! Front ends only ever see these types (through [`crate::session::Session`]); they never reach
//! into the simulator, so the TUI, the GUI, the CLI and the lessons cannot disagree.

use serde::{Deserialize, Serialize};

use crate::ids::{MsgId, Node, ProducerId};
use crate::lesson::Lang;
use crate::settings::Settings;
use crate::sim::ledger::msgs_text;

/// The result of a send as RocketMQ's producer sees it. All four mean the master stored it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SendStatus {
    /// Stored, and flushed/replicated as the broker's modes require.
    #[serde(rename = "SEND_OK")]
    SendOk,
    /// SYNC_FLUSH: stored in the page cache, but the flush did not finish in time.
    #[serde(rename = "FLUSH_DISK_TIMEOUT")]
    FlushDiskTimeout,
    /// SYNC_MASTER: stored on the master, the replica did not confirm in time.
    #[serde(rename = "FLUSH_SLAVE_TIMEOUT")]
    FlushSlaveTimeout,
    /// SYNC_MASTER: stored on the master, no replica connected: one copy only.
    #[serde(rename = "SLAVE_NOT_AVAILABLE")]
    SlaveNotAvailable,
}

impl SendStatus {
    /// Spelled as RocketMQ spells it.
    pub fn name(self) -> &'static str {
        match self {
            SendStatus::SendOk => "SEND_OK",
            SendStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            SendStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            SendStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
        }
    }
}

/// A message's fate at the end (or so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Exactly one business effect.
    Processed,
    /// More than one business effect.
    Duplicated,
    /// Silent loss: nobody learned of a failure, no copy remains, never processed.
    Lost,
    /// The producer (or its outbox) knows it failed and gave up: not silent.
    Failed,
    /// Retries exhausted; parked in the dead-letter queue.
    DeadLettered,
    /// Still somewhere, not yet processed.
    Pending,
}

/// What destroyed the last copy of a lost message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A one-way request (or an unretried one) was dropped by the network.
    DroppedInNetwork,
    /// The producer learned of a failure (error or non-OK status) and the app ignored it.
    ErrorIgnored,
    /// The only copies were in a page cache when the power went.
    LostInPageCache,
    /// The only copy was on a disk that failed.
    LostWithDisk,
    /// Recovery cut it: bytes that had been flushed no longer read back (length, magic or CRC
    /// fail), or a record before it on the same log did not.
    LostToCorruption,
    /// Recovery cut it: a segment file of the log is missing, so the log ends before it.
    LostWithMissingSegment,
    /// The new master after failover never had it.
    LostInFailover,
    /// The consumer committed the offset, then crashed before the work was done.
    CommittedBeforeProcessing,
    /// Async consumption reported success; the work then failed or died with the process.
    AsyncConsumeFailed,
    /// The producer crashed with the message only in its memory.
    ProducerCrashedUnsent,
}

impl Fate {
    pub const ALL: [Fate; 6] =
        [Fate::Processed, Fate::Duplicated, Fate::Lost, Fate::Failed, Fate::DeadLettered, Fate::Pending];

    pub fn name(self) -> &'static str {
        match self {
            Fate::Processed => "processed",
            Fate::Duplicated => "duplicated",
            Fate::Lost => "lost",
            Fate::Failed => "failed",
            Fate::DeadLettered => "dead_lettered",
            Fate::Pending => "pending",
        }
    }
}

impl Cause {
    pub const ALL: [Cause; 10] = [
        Cause::DroppedInNetwork,
        Cause::ErrorIgnored,
        Cause::LostInPageCache,
        Cause::LostWithDisk,
        Cause::LostToCorruption,
        Cause::LostWithMissingSegment,
        Cause::LostInFailover,
        Cause::CommittedBeforeProcessing,
        Cause::AsyncConsumeFailed,
        Cause::ProducerCrashedUnsent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cause::DroppedInNetwork => "dropped_in_network",
            Cause::ErrorIgnored => "error_ignored",
            Cause::LostInPageCache => "lost_in_page_cache",
            Cause::LostWithDisk => "lost_with_disk",
            Cause::LostToCorruption => "lost_to_corruption",
            Cause::LostWithMissingSegment => "lost_with_missing_segment",
            Cause::LostInFailover => "lost_in_failover",
            Cause::CommittedBeforeProcessing => "committed_before_processing",
            Cause::AsyncConsumeFailed => "async_consume_failed",
            Cause::ProducerCrashedUnsent => "producer_crashed_unsent",
        }
    }
}

impl Cause {
    /// What destroyed the message's last copy, as a sentence.
    pub fn describe(self, lang: Lang) -> &'static str {
        let (en, zh) = match self {
            Cause::DroppedInNetwork => (
                "The network dropped the request and nothing sent it again.",
                "请求在网络中被丢弃，之后没有任何重发。",
            ),
            Cause::ErrorIgnored => (
                "The producer was told the send failed (an error, or a status other than SEND_OK) and the \
                 application went on as if it had succeeded.",
                "Producer 已经得知发送失败（报错，或不是 SEND_OK 的状态），应用却当作成功继续执行。",
            ),
            Cause::LostInPageCache => (
                "Its only copies were in a page cache, not yet flushed, when the power went.",
                "断电时它唯一的副本还在页缓存里，尚未刷盘。",
            ),
            Cause::LostWithDisk => {
                ("Its only copy was on a disk that failed.", "它唯一的副本在一块损坏的磁盘上。")
            }
            Cause::LostToCorruption => (
                "Recovery cut it from the log: its bytes, or a record's before it, had been flushed and no \
                 longer passed the length, magic or CRC check.",
                "恢复时它被从日志中截掉：它的字节（或它之前某条记录的字节）已经刷盘，却没有通过长度、魔数或 CRC 校验。",
            ),
            Cause::LostWithMissingSegment => (
                "Recovery cut it from the log: a segment file was missing, so the log ends before it.",
                "恢复时它被从日志中截掉：缺了一个段文件，日志在它之前就结束了。",
            ),
            Cause::LostInFailover => {
                ("The replica promoted to master never received it.", "升为主节点的从节点从未收到它。")
            }
            Cause::CommittedBeforeProcessing => (
                "The consumer committed its offset first and crashed before the work was done, so it is \
                 never delivered again.",
                "消费者先提交了消费位点，处理完成前就崩溃了，所以它不会再被投递。",
            ),
            Cause::AsyncConsumeFailed => (
                "Async consumption reported success before the work ran; the work then failed or died \
                 with the process.",
                "异步消费在业务处理完成前就报告了成功，随后处理失败或随进程一起消失。",
            ),
            Cause::ProducerCrashedUnsent => (
                "The producer crashed while the message was only in its memory.",
                "Producer 崩溃时，这条消息只在它的内存里。",
            ),
        };
        if lang == Lang::Zh { zh } else { en }
    }
}

impl Place {
    /// One place of each kind, on the default topology's nodes.
    pub const ALL: [Place; 10] = [
        Place::ProducerMemory(Node::PRODUCER),
        Place::Outbox(Node::PRODUCER),
        Place::InFlight,
        Place::PageCache(Node::BROKER),
        Place::Disk(Node::BROKER),
        Place::PageCache(Node::REPLICA),
        Place::Disk(Node::REPLICA),
        Place::RetryQueue(Node::BROKER),
        Place::DeadLetterQueue(Node::BROKER),
        Place::ConsumerProcessing(Node::CONSUMER),
    ];

    /// The node that holds the copy (none while it is on the network).
    pub fn node(self) -> Option<Node> {
        match self {
            Place::InFlight => None,
            Place::ProducerMemory(n)
            | Place::Outbox(n)
            | Place::PageCache(n)
            | Place::Disk(n)
            | Place::RetryQueue(n)
            | Place::DeadLetterQueue(n)
            | Place::ConsumerProcessing(n) => Some(n),
        }
    }

    /// Where a copy is, in words: "replica page cache", "consumer2, processing".
    pub fn describe(self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let name = |n: Node| if zh { n.name_zh() } else { n.name() };
        match self {
            Place::InFlight if zh => "网络传输中".to_owned(),
            Place::InFlight => "in flight".to_owned(),
            Place::ProducerMemory(n) if zh => format!("{}内存", name(n)),
            Place::ProducerMemory(n) => format!("{} memory", name(n)),
            Place::Outbox(n) if zh => format!("{}本地消息表", name(n)),
            Place::Outbox(n) => format!("{} outbox (durable)", name(n)),
            Place::PageCache(n) if zh => crate::sim::said::spaced(&format!("{}页缓存", name(n))),
            Place::PageCache(n) => format!("{} page cache", name(n)),
            Place::Disk(n) if zh => crate::sim::said::spaced(&format!("{}磁盘", name(n))),
            Place::Disk(n) => format!("{} disk", name(n)),
            Place::RetryQueue(n) if zh => crate::sim::said::spaced(&format!("{}重试队列", name(n))),
            Place::RetryQueue(n) if n == Node::BROKER => "retry queue".to_owned(),
            Place::RetryQueue(n) => format!("{} retry queue", name(n)),
            Place::DeadLetterQueue(n) if zh => crate::sim::said::spaced(&format!("{}死信队列", name(n))),
            Place::DeadLetterQueue(n) if n == Node::BROKER => "dead-letter queue".to_owned(),
            Place::DeadLetterQueue(n) => format!("{} dead-letter queue", name(n)),
            Place::ConsumerProcessing(n) if zh => format!("{}处理中", name(n)),
            Place::ConsumerProcessing(n) => format!("{}, processing", name(n)),
        }
    }
}

impl MessageView {
    /// Why the message ended as it did, or where it is: one or two sentences.
    pub fn explain(&self, lang: Lang) -> String {
        let id = self.id;
        let zh = lang == Lang::Zh;
        match (self.fate, self.cause) {
            (Fate::Lost, cause) => {
                let mut text = if zh {
                    format!("{id} 丢失了：没有任何副本留下，也从未被处理。")
                } else {
                    format!("{id} is lost: no copy remains and it was never processed.")
                };
                if let Some(cause) = cause {
                    let (describe, name) = (cause.describe(lang), cause.name());
                    text.push_str(&if zh {
                        format!("{describe}（{name}）")
                    } else {
                        format!(" {describe} ({name})")
                    });
                }
                text
            }
            (Fate::Duplicated, _) if zh => {
                format!("{id} 被处理了 {} 次：不止一份副本到达了业务逻辑。", self.effects)
            }
            (Fate::Duplicated, _) => {
                format!(
                    "{id} was processed {} times: more than one copy reached the business logic.",
                    self.effects
                )
            }
            (Fate::Processed, _) if zh => format!("{id} 恰好被处理了一次。"),
            (Fate::Processed, _) => format!("{id} was processed exactly once."),
            (Fate::Failed, _) if zh => format!("{id} 发送失败，而且 Producer 知道：这不是悄无声息的丢失。"),
            (Fate::Failed, _) => format!("{id} failed, and the producer knows it: not a silent loss."),
            (Fate::DeadLettered, _) if zh => format!("{id} 用完了重试次数，进入了死信队列。"),
            (Fate::DeadLettered, _) => {
                format!("{id} exhausted its retries and sits in the dead-letter queue.")
            }
            (Fate::Pending, _) => {
                let places: Vec<String> = self.places.iter().map(|p| p.describe(lang)).collect();
                if zh {
                    format!("{id} 还在途中：副本在{}。", places.join("、"))
                } else {
                    format!("{id} is still on its way: copies in {}.", places.join(", "))
                }
            }
        }
    }
}

/// The counts the CLI's `--json` prints under `totals`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub sent: u64,
    /// Messages whose producer received SEND_OK.
    pub acked: u64,
    pub processed: u64,
    pub duplicated: u64,
    pub lost: u64,
    pub failed: u64,
    pub dead_lettered: u64,
    pub pending: u64,
}

/// Where one copy of a message is right now, and on which node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// Only in a producer's memory (not yet sent, or awaiting a result).
    ProducerMemory(Node),
    /// In a producer's durable local message table.
    Outbox(Node),
    /// In an envelope on the network.
    InFlight,
    /// Written into a broker's commit log, not yet flushed: in its OS page cache.
    PageCache(Node),
    /// Flushed to a broker's disk.
    Disk(Node),
    /// Waiting on a broker's retry delay ladder.
    RetryQueue(Node),
    /// In a broker's dead-letter queue.
    DeadLetterQueue(Node),
    /// In a consumer's memory, being processed.
    ConsumerProcessing(Node),
}

/// The one state a front end colours a message token by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    ProducerMemory,
    InFlight,
    PageCache,
    Flushed,
    Replicated,
    Processing,
    Processed,
    Retrying,
    Lost,
    Duplicated,
    Failed,
    DeadLettered,
}

impl TokenState {
    /// Every token state, in the order legends list them.
    pub const ALL: [TokenState; 12] = [
        TokenState::ProducerMemory,
        TokenState::InFlight,
        TokenState::PageCache,
        TokenState::Flushed,
        TokenState::Replicated,
        TokenState::Processing,
        TokenState::Processed,
        TokenState::Retrying,
        TokenState::Lost,
        TokenState::Duplicated,
        TokenState::Failed,
        TokenState::DeadLettered,
    ];
}

/// One message as the ledger sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MsgId,
    pub producer: ProducerId,
    pub seq: u64,
    /// The topic queue the producer chose for it (0-based).
    pub queue: u32,
    /// Every place a copy is now (empty for a lost message).
    pub places: Vec<Place>,
    pub token: TokenState,
    /// The last status the producer received, if any.
    pub status: Option<SendStatus>,
    pub fate: Fate,
    pub cause: Option<Cause>,
    /// Business effects so far (more than one = duplicate).
    pub effects: u32,
    /// Whether the consumer's sequence check flagged this message's absence.
    pub detected: bool,
    /// Send attempts so far (1 + retries used).
    pub attempts: u32,
    /// Deliveries to the consumer so far.
    pub deliveries: u32,
}

/// The kinds of envelope on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvelopeKind {
    Request,
    Response,
    Replicate,
    ReplicaAck,
    Delivery,
    Commit,
}

/// An envelope in flight between two nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeView {
    pub kind: EnvelopeKind,
    pub from: Node,
    pub to: Node,
    pub messages: Vec<MsgId>,
    pub sent_ms: u64,
    pub arrives_ms: u64,
    /// It will be dropped on arrival (a `drop next` or a partition).
    pub doomed: bool,
}

/// A commit log's positions, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogView {
    /// Appended into the mapping (the OS page cache).
    pub written_pos: u64,
    /// msync'd to disk.
    pub flushed_pos: u64,
    /// Records in the log.
    pub records: u64,
}

/// One node's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    pub node: Node,
    pub up: bool,
    pub partitioned: bool,
    /// `master`, `slave`, `master (promoted)`, `producer`, `consumer`.
    pub role: String,
    /// The commit log, for broker and replica.
    pub log: Option<LogView>,
    /// Master only: how far the replica has acknowledged (bytes).
    pub replicated_pos: Option<u64>,
    /// Consumer: the next message index the broker has committed for the group (in memory),
    /// and the last value persisted to the broker's disk.
    pub committed_offset: Option<u64>,
    pub persisted_offset: Option<u64>,
    /// Producer: messages in memory (unsent or awaiting a result); rows pending in the outbox.
    pub in_memory: usize,
    pub outbox_pending: usize,
    /// What the node is doing or why it is down: the short line under its box.
    pub note: NodeNote,
}

/// What a node is doing, or why it is down, as data; [`NodeNote::text`] says it in either
/// language, so both front ends show the same line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeNote {
    None,
    Down,
    /// A master replaced by its promoted replica.
    Retired,
    Producer {
        id: ProducerId,
        next_seq: u64,
        in_memory: usize,
    },
    /// The consumer's messages in the business logic, and how many of the next ones will fail.
    Consumer {
        processing: Vec<MsgId>,
        fails_next: u64,
    },
    /// A broker's commit log: records, and bytes written but not yet flushed.
    Log {
        records: u64,
        dirty_bytes: u64,
    },
}

impl NodeNote {
    pub fn text(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            NodeNote::None => String::new(),
            NodeNote::Down if zh => "已宕机".to_owned(),
            NodeNote::Down => "down: crashed".to_owned(),
            NodeNote::Retired if zh => "已退役：由升主的副本接替".to_owned(),
            NodeNote::Retired => "retired: replaced by the promoted replica".to_owned(),
            NodeNote::Producer { id, next_seq, in_memory } if zh => {
                format!("{id}，下一个序号 {next_seq}，内存中 {in_memory} 条")
            }
            NodeNote::Producer { id, next_seq, in_memory } => {
                format!("{id}, next seq {next_seq}, {in_memory} in memory")
            }
            NodeNote::Consumer { processing, fails_next } => {
                let mut line = match (processing.is_empty(), zh) {
                    (true, true) => "等待消息".to_owned(),
                    (true, false) => "waiting for messages".to_owned(),
                    (false, true) => format!("处理中：{}", msgs_text(processing)),
                    (false, false) => format!("processing {}", msgs_text(processing)),
                };
                match (*fails_next, zh) {
                    (0, _) => {}
                    (n, true) => line.push_str(&format!("；接下来 {n} 次处理会失败")),
                    (n, false) => line.push_str(&format!("; fails the next {n}")),
                }
                line
            }
            NodeNote::Log { records, dirty_bytes } if zh => {
                format!("{records} 条记录，{dirty_bytes} 字节未刷盘")
            }
            NodeNote::Log { records, dirty_bytes } => format!("{records} records, {dirty_bytes} dirty bytes"),
        }
    }

    /// The same note for a narrow panel: the numbers kept, the words cut to the fewest.
    pub fn short_text(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            NodeNote::None | NodeNote::Down => self.text(lang),
            NodeNote::Retired if zh => "已退役".to_owned(),
            NodeNote::Retired => "retired".to_owned(),
            NodeNote::Producer { id, next_seq, in_memory } if zh => {
                format!("{id} 序号 {next_seq} 内存 {in_memory}")
            }
            NodeNote::Producer { id, next_seq, in_memory } => format!("{id} seq {next_seq} mem {in_memory}"),
            NodeNote::Consumer { processing, fails_next } => {
                let mut line = match (processing.is_empty(), zh) {
                    (true, true) => "等待消息".to_owned(),
                    (true, false) => "waiting".to_owned(),
                    (false, _) => msgs_text(processing),
                };
                match (*fails_next, zh) {
                    (0, _) => {}
                    (n, true) => line.push_str(&format!("；{n} 次失败")),
                    (n, false) => line.push_str(&format!("; fail {n}")),
                }
                line
            }
            NodeNote::Log { records, dirty_bytes } if zh => format!("{records} 条，{dirty_bytes} 字节未刷盘"),
            NodeNote::Log { records, dirty_bytes } => format!("{records} rec, {dirty_bytes} B dirty"),
        }
    }
}

/// One processed event, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The step this event was (1-based; step 0 is the empty world).
    pub step: u64,
    pub at_ms: u64,
    pub node: Option<Node>,
    /// One line: "broker: flushed m1..m3 to disk (bytes 0..3120)".
    pub text: String,
    /// The same line in Chinese, when the session was asked for it ([`Event::text_in`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub zh: String,
    /// The messages it touched.
    pub messages: Vec<MsgId>,
    /// The envelopes it sent, received or dropped, in order: what a sequence diagram draws.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wire: Vec<Wire>,
    /// A change to a node's life (a crash, a restart, a partition, a promotion), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<Mark>,
}

/// One envelope as an event saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wire {
    /// The envelope's id: the same on its `sent` and on its arrival or drop.
    pub env: u64,
    pub kind: EnvelopeKind,
    pub from: Node,
    pub to: Node,
    /// The messages it carries or answers for.
    pub messages: Vec<MsgId>,
    pub what: WireWhat,
}

/// What happened to an envelope at this event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "what")]
pub enum WireWhat {
    /// It left `from`; it is due at `to` at `arrives_ms`.
    Sent { arrives_ms: u64 },
    /// It reached `to`, which handled it.
    Arrived,
    /// The network dropped it: a partition, or a `drop next`.
    Dropped { partitioned: bool },
    /// It reached `to`, which could not take it: down, or no longer the node it was meant for.
    Lost,
}

/// A change to a node's life, drawn on its lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mark")]
pub enum Mark {
    Crashed {
        node: Node,
        kind: crate::command::CrashKind,
    },
    Restarted {
        node: Node,
    },
    Partitioned {
        node: Node,
    },
    Healed,
    /// `node` became the master (its old master fenced off).
    Promoted {
        node: Node,
    },
}

impl Event {
    /// The line in `lang`; English when Chinese was not asked for
    /// ([`Session::set_language`](crate::session::Session::set_language)).
    pub fn text_in(&self, lang: Lang) -> &str {
        if lang == Lang::Zh && !self.zh.is_empty() { &self.zh } else { &self.text }
    }
}

/// A link a front end draws: who sends to whom, and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub from: Node,
    pub to: Node,
    pub kind: LinkKind,
}

/// What travels on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A producer's requests to the broker that serves its queues (responses come back).
    Produce,
    /// A master's shipments to a slave (acks come back).
    Replicate,
    /// A broker's deliveries to the consumer that owns a queue (commits come back).
    Consume,
}

/// One queue of the topic: the broker that serves it and the consumer that owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    /// 0-based, as RocketMQ numbers a topic's queues.
    pub id: u32,
    pub broker: Node,
    /// The consumer the group's last rebalance gave it to (none while no consumer is up).
    pub owner: Option<Node>,
    /// Messages stored in it (the consume queue's length).
    pub stored: u64,
    /// The group's committed offset in it, as the broker holds it.
    pub committed: u64,
}

/// The world's shape as a front end draws it: every node by kind, the queues, and the links
/// as they are now (after a promotion the producers' and consumers' links follow the new
/// master).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Topology {
    pub producers: Vec<Node>,
    pub brokers: Vec<Node>,
    pub consumers: Vec<Node>,
    pub queues: Vec<QueueView>,
    pub links: Vec<LinkView>,
}

/// Everything a front end shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub step: u64,
    pub virtual_ms: u64,
    /// Nothing is scheduled: stepping would do nothing.
    pub idle: bool,
    pub settings: Settings,
    /// The nodes, queues and links to draw.
    pub topology: Topology,
    pub nodes: Vec<NodeView>,
    pub messages: Vec<MessageView>,
    pub in_flight: Vec<EnvelopeView>,
    pub totals: Totals,
    /// The last events, oldest first.
    pub recent: Vec<Event>,
    /// Alarms raised so far: outbox gave up, gap detected, dead-lettered.
    pub alerts: Vec<String>,
}

impl View {
    /// The node's state; every node of [`View::topology`] has one.
    pub fn node(&self, node: Node) -> &NodeView {
        self.nodes.iter().find(|n| n.node == node).expect("every node of the topology has a view")
    }

    pub fn message(&self, id: MsgId) -> Option<&MessageView> {
        self.messages.iter().find(|m| m.id == id)
    }
}

/// A message's journey: every event that touched it, where its copies are, and why it ended as
/// it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    pub message: MessageView,
    pub events: Vec<Event>,
    /// One or two sentences: why it was lost or duplicated, or where it is (in English;
    /// [`MessageView::explain`] says it in either language).
    pub explanation: String,
}

/// One message in the CLI's `--json` report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMessage {
    pub id: MsgId,
    pub producer: ProducerId,
    pub seq: u64,
    /// The topic queue the producer chose for it (0-based).
    pub queue: u32,
    pub status: Option<SendStatus>,
    pub fate: Fate,
    pub cause: Option<Cause>,
    pub effects: u32,
    pub detected: bool,
}

/// The object `--json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub totals: Totals,
    pub messages: Vec<ReportMessage>,
    pub steps: u64,
    pub virtual_ms: u64,
    pub trace_digest: String,
}
