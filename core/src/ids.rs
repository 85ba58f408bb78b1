//! Newtypes for the identities that cross module boundaries.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A message's client-side unique id (RocketMQ's `UNIQ_KEY`): set once before the first send,
/// carried unchanged by every retry, so it is what an idempotent consumer dedupes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgId(pub u64);

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

/// The producer instance that created a message; sequence numbers are per producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProducerId(pub u32);

impl fmt::Display for ProducerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// A node of a world's topology: its kind and its index among the nodes of that kind.
///
/// Names are how commands, the trace and the labs refer to nodes: `producer` (also `producer1`),
/// `producer2` …; `broker` (the first broker, RocketMQ's master), `replica` (the second, its
/// slave), `replica2` …; `consumer` (also `consumer1`), `consumer2` …. Which brokers a world has
/// and what role each plays is the broker model's business (see `sim::topology`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Producer(u8),
    Broker(u8),
    Consumer(u8),
}

/// The most nodes of one kind a topology may hold (the names below are static).
pub const MAX_PER_KIND: usize = 8;

const PRODUCER_NAMES: [&str; MAX_PER_KIND] =
    ["producer", "producer2", "producer3", "producer4", "producer5", "producer6", "producer7", "producer8"];
const BROKER_NAMES: [&str; MAX_PER_KIND] =
    ["broker", "replica", "replica2", "replica3", "replica4", "replica5", "replica6", "replica7"];
const CONSUMER_NAMES: [&str; MAX_PER_KIND] =
    ["consumer", "consumer2", "consumer3", "consumer4", "consumer5", "consumer6", "consumer7", "consumer8"];
const PRODUCER_NAMES_ZH: [&str; MAX_PER_KIND] =
    ["生产者", "生产者2", "生产者3", "生产者4", "生产者5", "生产者6", "生产者7", "生产者8"];
const BROKER_NAMES_ZH: [&str; MAX_PER_KIND] =
    ["Broker", "从节点", "从节点2", "从节点3", "从节点4", "从节点5", "从节点6", "从节点7"];
const CONSUMER_NAMES_ZH: [&str; MAX_PER_KIND] =
    ["消费者", "消费者2", "消费者3", "消费者4", "消费者5", "消费者6", "消费者7", "消费者8"];

impl Node {
    /// The first producer.
    pub const PRODUCER: Node = Node::Producer(0);
    /// The first broker: RocketMQ's master as the world starts.
    pub const BROKER: Node = Node::Broker(0);
    /// The second broker: RocketMQ's slave as the world starts.
    pub const REPLICA: Node = Node::Broker(1);
    /// The first consumer of the group.
    pub const CONSUMER: Node = Node::Consumer(0);

    /// The default topology's nodes: one producer, master and slave, one consumer.
    pub const ALL: [Node; 4] = [Node::PRODUCER, Node::BROKER, Node::REPLICA, Node::CONSUMER];

    /// Its index among the nodes of its kind (0 for `producer`, 1 for `producer2`).
    pub fn index(self) -> usize {
        match self {
            Node::Producer(i) | Node::Broker(i) | Node::Consumer(i) => usize::from(i),
        }
    }

    /// The name commands use.
    pub fn name(self) -> &'static str {
        let i = self.index().min(MAX_PER_KIND - 1);
        match self {
            Node::Producer(_) => PRODUCER_NAMES[i],
            Node::Broker(_) => BROKER_NAMES[i],
            Node::Consumer(_) => CONSUMER_NAMES[i],
        }
    }

    /// The node as the Chinese lessons and labs call it.
    pub fn name_zh(self) -> &'static str {
        let i = self.index().min(MAX_PER_KIND - 1);
        match self {
            Node::Producer(_) => PRODUCER_NAMES_ZH[i],
            Node::Broker(_) => BROKER_NAMES_ZH[i],
            Node::Consumer(_) => CONSUMER_NAMES_ZH[i],
        }
    }

    /// The node a name means (`producer1` and `consumer1` are the first of their kind, as are
    /// `producer` and `consumer`). Whether the world has it is the topology's question.
    pub fn from_name(name: &str) -> Option<Node> {
        let find = |names: &[&str; MAX_PER_KIND]| names.iter().position(|n| *n == name);
        if let Some(i) = find(&PRODUCER_NAMES) {
            return Some(Node::Producer(i as u8));
        }
        if let Some(i) = find(&BROKER_NAMES) {
            return Some(Node::Broker(i as u8));
        }
        if let Some(i) = find(&CONSUMER_NAMES) {
            return Some(Node::Consumer(i as u8));
        }
        match name {
            "producer1" => Some(Node::PRODUCER),
            "consumer1" => Some(Node::CONSUMER),
            _ => None,
        }
    }

    /// Whether the node keeps a commit log (and so can lose power or its disk meaningfully).
    pub fn has_log(self) -> bool {
        matches!(self, Node::Broker(_))
    }

    pub fn is_producer(self) -> bool {
        matches!(self, Node::Producer(_))
    }

    pub fn is_consumer(self) -> bool {
        matches!(self, Node::Consumer(_))
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Node::from_name(&name).ok_or_else(|| serde::de::Error::custom(format!("no node is called `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::Node;

    #[test]
    fn every_name_reads_back_as_its_node() {
        for kind in [Node::Producer, Node::Broker, Node::Consumer] {
            for i in 0..super::MAX_PER_KIND as u8 {
                let node = kind(i);
                assert_eq!(Node::from_name(node.name()), Some(node));
            }
        }
        assert_eq!(Node::from_name("producer1"), Some(Node::PRODUCER));
        assert_eq!(Node::from_name("consumer1"), Some(Node::CONSUMER));
        assert_eq!(Node::from_name("replica"), Some(Node::REPLICA));
        assert_eq!(Node::from_name("consumer9"), None);
    }
}
