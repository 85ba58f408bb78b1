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

/// The nodes of the default topology; names are how commands and the UI refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    Producer,
    /// The master broker.
    Broker,
    /// The slave broker, with its own log.
    Replica,
    Consumer,
}

impl Node {
    pub const ALL: [Node; 4] = [Node::Producer, Node::Broker, Node::Replica, Node::Consumer];

    /// The name commands use.
    pub fn name(self) -> &'static str {
        match self {
            Node::Producer => "producer",
            Node::Broker => "broker",
            Node::Replica => "replica",
            Node::Consumer => "consumer",
        }
    }

    /// The node as the Chinese lessons and labs call it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Node::Producer => "生产者",
            Node::Broker => "Broker",
            Node::Replica => "从节点",
            Node::Consumer => "消费者",
        }
    }

    pub fn from_name(name: &str) -> Option<Node> {
        Node::ALL.into_iter().find(|n| n.name() == name)
    }

    /// Whether the node keeps a commit log (and so can lose power or its disk meaningfully).
    pub fn has_log(self) -> bool {
        matches!(self, Node::Broker | Node::Replica)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
