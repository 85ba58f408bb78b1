//! Every setting of the lab, its allowed values and its default, in one registry.
//!
//! The TUI's toggles, the GUI's settings panel, the command parser and the lesson format all read
//! [`SETTINGS`]; nothing else lists the keys. A mode is an enum whose variant docs state the
//! guarantee it gives.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How the producer sends (RocketMQ's three send modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendMode {
    /// Fire and forget: no response is read, no retry; a failure is invisible to the caller.
    Oneway,
    /// Wait for the response; retry on timeout or network failure within the total timeout.
    Sync,
    /// Return at once; a callback gets the result later and decides what a failure means.
    Async,
}

/// When the broker answers a send relative to the disk (RocketMQ `flushDiskType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlushMode {
    /// SYNC_FLUSH: answer only after the record is msync'd (group commit); survives power loss.
    Sync,
    /// ASYNC_FLUSH: answer once in the page cache; a flusher syncs every interval. Survives a
    /// process crash, not a power loss.
    Async,
}

/// Whether the master waits for the replica (RocketMQ `brokerRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replication {
    /// A single copy: losing the master's disk loses the message.
    None,
    /// ASYNC_MASTER: answer at once, ship to the replica later; the lag is lost on failover.
    Async,
    /// SYNC_MASTER: answer after the replica has the record in its page cache.
    Sync,
}

/// When the consumer commits its offset relative to the business work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitTiming {
    /// At-most-once: commit first; a crash during processing loses the message.
    Before,
    /// At-least-once: commit after the work; a crash before the commit redelivers it.
    After,
}

/// How the consumer runs its business logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsumeMode {
    /// Do the work, then report success: a failure is retried.
    Sync,
    /// Hand the work to a thread and report success at once: a failure later is never retried.
    Async,
}

/// All the settings of a world. Defaults follow RocketMQ's, except that the replication default
/// is `none` (one broker, as the first diagram of the three stages draws it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub producer_send: SendMode,
    pub producer_retries: u32,
    pub producer_timeout_ms: u64,
    /// 0 = off: each attempt may use what is left of `producer_timeout_ms`.
    pub producer_attempt_timeout_ms: u64,
    pub producer_require_send_ok: bool,
    pub producer_outbox: bool,
    pub broker_flush: FlushMode,
    pub broker_flush_interval_ms: u64,
    pub broker_flush_timeout_ms: u64,
    pub broker_replication: Replication,
    pub replica_flush: FlushMode,
    pub consumer_commit: CommitTiming,
    pub consumer_mode: ConsumeMode,
    pub consumer_idempotent: bool,
    pub consumer_max_retries: u32,
    pub consumer_check_seq: bool,
    pub net_latency_ms: u64,
    /// Producer instances (`producer`, `producer2`, …).
    pub cluster_producers: u32,
    /// Consumers of the group (`consumer`, `consumer2`, …).
    pub cluster_consumers: u32,
    /// Queues of the topic.
    pub topic_queues: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            producer_send: SendMode::Sync,
            producer_retries: 2,
            producer_timeout_ms: 3000,
            producer_attempt_timeout_ms: 0,
            producer_require_send_ok: false,
            producer_outbox: false,
            broker_flush: FlushMode::Async,
            broker_flush_interval_ms: 500,
            broker_flush_timeout_ms: 5000,
            broker_replication: Replication::None,
            replica_flush: FlushMode::Async,
            consumer_commit: CommitTiming::After,
            consumer_mode: ConsumeMode::Sync,
            consumer_idempotent: false,
            consumer_max_retries: 16,
            consumer_check_seq: false,
            net_latency_ms: 5,
            cluster_producers: 1,
            cluster_consumers: 1,
            topic_queues: 1,
        }
    }
}

/// Which stage a setting belongs to (how front ends group them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Produce,
    Store,
    Consume,
    Network,
}

/// The values a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// One of these words; the first is what a toggle cycles to from the last.
    Choice(&'static [&'static str]),
    /// `on` or `off`.
    Switch,
    /// An integer in `min..=max`, with the unit last in the key's name.
    Number { min: u64, max: u64 },
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Domain::Choice(words) => write!(f, "{}", words.join("|")),
            Domain::Switch => write!(f, "on|off"),
            Domain::Number { min, max } => write!(f, "an integer from {min} to {max}"),
        }
    }
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    /// The key as commands spell it: `broker.flush`.
    pub key: &'static str,
    pub stage: Stage,
    pub domain: Domain,
    /// One line in RocketMQ's and interviews' terms, for help and tooltips.
    pub help: &'static str,
    /// The same line in Chinese.
    pub help_zh: &'static str,
    /// The real-world setting it models, for explanations.
    pub real: &'static str,
}

const ON_OFF: Domain = Domain::Switch;

/// The registry: every setting key, in display order.
pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        key: "producer.send",
        stage: Stage::Produce,
        domain: Domain::Choice(&["oneway", "sync", "async"]),
        help: "one-way (fire and forget), sync (wait for the result) or async (callback) send",
        help_zh: "单向（发完不管）、同步（等待结果）或异步（回调）发送",
        real: "RocketMQ sendOneway / send / send(msg, SendCallback)",
    },
    SettingSpec {
        key: "producer.retries",
        stage: Stage::Produce,
        domain: Domain::Number { min: 0, max: 16 },
        help: "resends after a network failure, within timeout_ms (an async send never resends on a status)",
        help_zh: "网络失败后的重发次数，在 timeout_ms 之内（异步发送收到状态不会重发）",
        real: "RocketMQ retryTimesWhenSendFailed = 2",
    },
    SettingSpec {
        key: "producer.timeout_ms",
        stage: Stage::Produce,
        domain: Domain::Number { min: 1, max: 600_000 },
        help: "budget for all attempts of one send; each attempt may wait for what is left, so a timeout leaves no time to retry",
        help_zh: "一次发送所有尝试的总时限；每次尝试可以等完剩下的时间，所以超时一次就没有时间重试了",
        real: "RocketMQ sendMsgTimeout = 3000 ms",
    },
    SettingSpec {
        key: "producer.attempt_timeout_ms",
        stage: Stage::Produce,
        domain: Domain::Number { min: 0, max: 600_000 },
        help: "cap on one attempt's wait, so a timeout leaves time to retry (0 = off, the default)",
        help_zh: "单次尝试最多等待的时间，让超时后还有时间重试（0 = 关闭，默认）",
        real: "RocketMQ sendMsgMaxTimeoutPerRequest = -1 (off)",
    },
    SettingSpec {
        key: "producer.require_send_ok",
        stage: Stage::Produce,
        domain: ON_OFF,
        help: "treat FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT and SLAVE_NOT_AVAILABLE as failures",
        help_zh: "把 FLUSH_DISK_TIMEOUT、FLUSH_SLAVE_TIMEOUT、SLAVE_NOT_AVAILABLE 当作失败",
        real: "checking SendResult.getSendStatus() == SEND_OK",
    },
    SettingSpec {
        key: "producer.outbox",
        stage: Stage::Produce,
        domain: ON_OFF,
        help: "local message table: record the message durably before sending, resend until done",
        help_zh: "本地消息表：发送前先持久化记录，直到成功才标记完成",
        real: "本地消息表 (transactional outbox)",
    },
    SettingSpec {
        key: "broker.flush",
        stage: Stage::Store,
        domain: Domain::Choice(&["sync", "async"]),
        help: "SYNC_FLUSH (answer after msync) or ASYNC_FLUSH (answer from the page cache)",
        help_zh: "SYNC_FLUSH（刷盘后再应答）或 ASYNC_FLUSH（写入页缓存即应答）",
        real: "RocketMQ flushDiskType = ASYNC_FLUSH",
    },
    SettingSpec {
        key: "broker.flush_interval_ms",
        stage: Stage::Store,
        domain: Domain::Number { min: 1, max: 600_000 },
        help: "how often the async flusher wakes; it syncs only when 4 pages (16 KiB) are dirty, or every 10 s",
        help_zh: "异步刷盘线程醒来的间隔；脏页满 4 页（16 KiB）或每隔 10 秒才真正刷盘",
        real: "RocketMQ flushIntervalCommitLog = 500 ms",
    },
    SettingSpec {
        key: "broker.flush_timeout_ms",
        stage: Stage::Store,
        domain: Domain::Number { min: 1, max: 600_000 },
        help: "how long a sync flush may take before FLUSH_DISK_TIMEOUT",
        help_zh: "同步刷盘超过这个时间就返回 FLUSH_DISK_TIMEOUT",
        real: "RocketMQ syncFlushTimeout = 5000 ms",
    },
    SettingSpec {
        key: "broker.replication",
        stage: Stage::Store,
        domain: Domain::Choice(&["none", "async", "sync"]),
        help: "no replica, ASYNC_MASTER (stream to it, do not wait) or SYNC_MASTER (wait up to 3 s for its ack)",
        help_zh: "无副本、ASYNC_MASTER（推送给从节点，不等待）或 SYNC_MASTER（最多等 3 秒从节点确认）",
        real: "RocketMQ brokerRole = ASYNC_MASTER",
    },
    SettingSpec {
        key: "replica.flush",
        stage: Stage::Store,
        domain: Domain::Choice(&["sync", "async"]),
        help: "the replica's own flush mode",
        help_zh: "副本自己的刷盘方式",
        real: "the slave's flushDiskType",
    },
    SettingSpec {
        key: "consumer.commit",
        stage: Stage::Consume,
        domain: Domain::Choice(&["before", "after"]),
        help: "commit the offset to the broker before processing (at-most-once) or report success after it (at-least-once; the offset reaches the broker within 5 s)",
        help_zh: "处理前向 Broker 提交位点（至多一次），或处理后再报告成功（至少一次；位点 5 秒内到达 Broker）",
        real: "Kafka commit before/after processing; RabbitMQ autoAck vs manual ack",
    },
    SettingSpec {
        key: "consumer.mode",
        stage: Stage::Consume,
        domain: Domain::Choice(&["sync", "async"]),
        help: "process then report, or hand to a thread and report success at once (the trap)",
        help_zh: "处理完再汇报，或交给线程并立即汇报成功（陷阱）",
        real: "returning CONSUME_SUCCESS before the work is done",
    },
    SettingSpec {
        key: "consumer.idempotent",
        stage: Stage::Consume,
        domain: ON_OFF,
        help: "skip a message whose id the durable dedupe store has already seen",
        help_zh: "持久化的去重表里已有的消息 ID 直接跳过",
        real: "dedupe on msgId / business key",
    },
    SettingSpec {
        key: "consumer.max_retries",
        stage: Stage::Consume,
        domain: Domain::Number { min: 0, max: 64 },
        help: "failed deliveries retried on the delay ladder before the dead-letter queue",
        help_zh: "失败的投递按延迟等级重试，超过次数进入死信队列",
        real: "RocketMQ maxReconsumeTimes = 16",
    },
    SettingSpec {
        key: "consumer.check_seq",
        stage: Stage::Consume,
        domain: ON_OFF,
        help: "check per-producer sequence numbers and flag gaps (detect loss)",
        help_zh: "按生产者检查序号连续性，发现缺口（检测丢失）",
        real: "producer/consumer interceptors with sequence numbers",
    },
    SettingSpec {
        key: "cluster.producers",
        stage: Stage::Produce,
        domain: Domain::Number { min: 1, max: 4 },
        help: "producer instances, each with its own id and sequence numbers; more can join at any time, an idle one can leave",
        help_zh: "Producer 实例数，每个实例有自己的 ID 和序号；随时可以增加，空闲的实例可以离开",
        real: "several DefaultMQProducer instances of one producer group",
    },
    SettingSpec {
        key: "topic.queues",
        stage: Stage::Store,
        domain: Domain::Number { min: 1, max: 8 },
        help: "queues of the topic on the master; producers spread messages over them round-robin (`send N key K` picks one by key); order holds only within a queue. Set before the first send",
        help_zh: "主题在主节点上的队列数；Producer 轮询地把消息分到各个队列（`send N key K` 按 key 选队列）；只有队列内有序。须在第一次发送之前设置",
        real: "RocketMQ writeQueueNums/readQueueNums (defaultTopicQueueNums = 4)",
    },
    SettingSpec {
        key: "cluster.consumers",
        stage: Stage::Consume,
        domain: Domain::Number { min: 1, max: 4 },
        help: "consumers of the group; they share the queues (allocate averagely), and a join, a crash or a leave moves queues between them (a rebalance)",
        help_zh: "消费者组里的消费者数；它们平分队列（平均分配），有消费者加入、崩溃或离开时队列会在它们之间重新分配（Rebalance）",
        real: "RocketMQ clustering consumers, AllocateMessageQueueAveragely",
    },
    SettingSpec {
        key: "net.latency_ms",
        stage: Stage::Network,
        domain: Domain::Number { min: 0, max: 60_000 },
        help: "one-way latency of every network hop",
        help_zh: "每一跳网络的单向延迟",
        real: "network round trips",
    },
];

/// A setting that could not be applied: what was wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting `{key}`; settings are: {}", SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>().join(", "))]
    UnknownKey { key: String },
    #[error("bad value `{value}` for {key}: expected {domain}")]
    BadValue { key: &'static str, value: String, domain: Domain },
}

impl SettingError {
    /// The one line in `lang` (English is the `Display` text).
    pub fn text(&self, lang: crate::lesson::Lang) -> String {
        if lang == crate::lesson::Lang::En {
            return self.to_string();
        }
        match self {
            SettingError::UnknownKey { key } => format!(
                "未知设置 `{key}`；可用的设置：{}",
                SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>().join(", ")
            ),
            SettingError::BadValue { key, value, domain } => {
                let expected = match domain {
                    Domain::Number { min, max } => format!("{min} 到 {max} 之间的整数"),
                    other => other.to_string(),
                };
                format!("{key} 的值 `{value}` 不对：应为 {expected}")
            }
        }
    }
}

impl SettingSpec {
    /// The one-line help in `lang`.
    pub fn help_in(&self, lang: crate::lesson::Lang) -> &'static str {
        match lang {
            crate::lesson::Lang::En => self.help,
            crate::lesson::Lang::Zh => self.help_zh,
        }
    }
}

/// What is wrong with a setting named in a file at `line`, if anything: an unknown key, or one
/// already given on another line (`seen` records each key's line). Scenario and lesson files
/// share it, so they refuse the same things in the same words.
pub(crate) fn entry_problem(
    name: &str,
    line: usize,
    seen: &mut std::collections::BTreeMap<String, usize>,
) -> Option<String> {
    if spec(name).is_none() {
        let keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        return Some(format!("unknown setting `{name}`; settings are: {}", keys.join(", ")));
    }
    let other = seen.insert(name.to_owned(), line)?;
    let (a, b) = (other.min(line), other.max(line));
    Some(format!("setting `{name}` is given twice, on lines {a} and {b}; keep one of the two"))
}

/// Finds a setting's registry entry.
pub fn spec(key: &str) -> Option<&'static SettingSpec> {
    SETTINGS.iter().find(|s| s.key == key)
}

fn parse_switch(value: &str) -> Option<bool> {
    match value {
        "on" | "true" => Some(true),
        "off" | "false" => Some(false),
        _ => None,
    }
}

impl Settings {
    /// Applies `key = value`, or changes nothing and says why.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        let spec = spec(key).ok_or_else(|| SettingError::UnknownKey { key: key.to_owned() })?;
        let bad = || SettingError::BadValue { key: spec.key, value: value.to_owned(), domain: spec.domain };
        let number = || -> Result<u64, SettingError> {
            let Domain::Number { min, max } = spec.domain else { return Err(bad()) };
            value.parse::<u64>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(bad)
        };
        let switch = || parse_switch(value).ok_or_else(bad);
        match spec.key {
            "producer.send" => {
                self.producer_send = match value {
                    "oneway" => SendMode::Oneway,
                    "sync" => SendMode::Sync,
                    "async" => SendMode::Async,
                    _ => return Err(bad()),
                }
            }
            "producer.retries" => self.producer_retries = number()? as u32,
            "producer.timeout_ms" => self.producer_timeout_ms = number()?,
            "producer.attempt_timeout_ms" => self.producer_attempt_timeout_ms = number()?,
            "producer.require_send_ok" => self.producer_require_send_ok = switch()?,
            "producer.outbox" => self.producer_outbox = switch()?,
            "broker.flush" => self.broker_flush = parse_flush(value).ok_or_else(bad)?,
            "broker.flush_interval_ms" => self.broker_flush_interval_ms = number()?,
            "broker.flush_timeout_ms" => self.broker_flush_timeout_ms = number()?,
            "broker.replication" => {
                self.broker_replication = match value {
                    "none" => Replication::None,
                    "async" => Replication::Async,
                    "sync" => Replication::Sync,
                    _ => return Err(bad()),
                }
            }
            "replica.flush" => self.replica_flush = parse_flush(value).ok_or_else(bad)?,
            "consumer.commit" => {
                self.consumer_commit = match value {
                    "before" => CommitTiming::Before,
                    "after" => CommitTiming::After,
                    _ => return Err(bad()),
                }
            }
            "consumer.mode" => {
                self.consumer_mode = match value {
                    "sync" => ConsumeMode::Sync,
                    "async" => ConsumeMode::Async,
                    _ => return Err(bad()),
                }
            }
            "consumer.idempotent" => self.consumer_idempotent = switch()?,
            "consumer.max_retries" => self.consumer_max_retries = number()? as u32,
            "consumer.check_seq" => self.consumer_check_seq = switch()?,
            "net.latency_ms" => self.net_latency_ms = number()?,
            "cluster.producers" => self.cluster_producers = number()? as u32,
            "cluster.consumers" => self.cluster_consumers = number()? as u32,
            "topic.queues" => self.topic_queues = number()? as u32,
            other => unreachable!("registry key {other} has no field"),
        }
        Ok(())
    }

    /// The current value of a setting, spelled as commands spell it.
    pub fn get(&self, key: &str) -> Option<String> {
        let word = |b: bool| if b { "on" } else { "off" }.to_owned();
        Some(match spec(key)?.key {
            "producer.send" => self.producer_send.to_string(),
            "producer.retries" => self.producer_retries.to_string(),
            "producer.timeout_ms" => self.producer_timeout_ms.to_string(),
            "producer.attempt_timeout_ms" => self.producer_attempt_timeout_ms.to_string(),
            "producer.require_send_ok" => word(self.producer_require_send_ok),
            "producer.outbox" => word(self.producer_outbox),
            "broker.flush" => self.broker_flush.to_string(),
            "broker.flush_interval_ms" => self.broker_flush_interval_ms.to_string(),
            "broker.flush_timeout_ms" => self.broker_flush_timeout_ms.to_string(),
            "broker.replication" => self.broker_replication.to_string(),
            "replica.flush" => self.replica_flush.to_string(),
            "consumer.commit" => self.consumer_commit.to_string(),
            "consumer.mode" => self.consumer_mode.to_string(),
            "consumer.idempotent" => word(self.consumer_idempotent),
            "consumer.max_retries" => self.consumer_max_retries.to_string(),
            "consumer.check_seq" => word(self.consumer_check_seq),
            "net.latency_ms" => self.net_latency_ms.to_string(),
            "cluster.producers" => self.cluster_producers.to_string(),
            "cluster.consumers" => self.cluster_consumers.to_string(),
            "topic.queues" => self.topic_queues.to_string(),
            _ => return None,
        })
    }

    /// The value a one-key toggle moves to: the next choice, the other switch position, or for
    /// a number the next of a few useful values. `None` for an unknown key.
    pub fn toggled(&self, key: &str) -> Option<String> {
        let spec = spec(key)?;
        let current = self.get(key)?;
        Some(match spec.domain {
            Domain::Choice(words) => {
                let at = words.iter().position(|w| *w == current).unwrap_or(0);
                words[(at + 1) % words.len()].to_owned()
            }
            Domain::Switch => if current == "on" { "off" } else { "on" }.to_owned(),
            Domain::Number { min, max } => {
                let n: u64 = current.parse().unwrap_or(min);
                let stops = [0u64, 2, 5, 16];
                stops
                    .iter()
                    .copied()
                    .filter(|s| (min..=max).contains(s))
                    .find(|s| *s > n)
                    .unwrap_or(min)
                    .to_string()
            }
        })
    }

    /// Every `(key, value)` pair, in registry order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        SETTINGS.iter().map(|s| (s.key, self.get(s.key).unwrap_or_default())).collect()
    }
}

fn parse_flush(value: &str) -> Option<FlushMode> {
    match value {
        "sync" => Some(FlushMode::Sync),
        "async" => Some(FlushMode::Async),
        _ => None,
    }
}

macro_rules! display_as_serde_word {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let word = serde_json::to_value(self).ok();
                f.write_str(word.as_ref().and_then(|w| w.as_str()).unwrap_or("?"))
            }
        }
    )*};
}
display_as_serde_word!(SendMode, FlushMode, Replication, CommitTiming, ConsumeMode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_round_trips_through_get_and_set() {
        let defaults = Settings::default();
        for spec in SETTINGS {
            let mut s = defaults.clone();
            let value = s.get(spec.key).expect("every registry key has a value");
            s.set(spec.key, &value).expect("the current value is always valid");
            assert_eq!(s, defaults, "{}", spec.key);
            let next = s.toggled(spec.key).expect("every key toggles");
            s.set(spec.key, &next).expect("a toggled value is valid");
            assert_eq!(s.get(spec.key), Some(next), "{}", spec.key);
        }
    }

    #[test]
    fn bad_values_change_nothing_and_say_what_is_allowed() {
        let mut s = Settings::default();
        let err = s.set("broker.flush", "sometimes").unwrap_err();
        assert_eq!(err.to_string(), "bad value `sometimes` for broker.flush: expected sync|async");
        let err = s.set("producer.retries", "99").unwrap_err();
        assert_eq!(err.to_string(), "bad value `99` for producer.retries: expected an integer from 0 to 16");
        assert!(s.set("broker.colour", "red").unwrap_err().to_string().contains("broker.flush"));
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn toggles_cycle_through_choices() {
        let mut s = Settings::default();
        let mut seen = vec![];
        for _ in 0..3 {
            let next = s.toggled("producer.send").unwrap();
            s.set("producer.send", &next).unwrap();
            seen.push(next);
        }
        assert_eq!(seen, ["async", "oneway", "sync"]);
    }
}
