//! The closed vocabulary of lesson expectations: what a lesson may claim about the world after a
//! step, and how each claim is checked against a [`View`].
//!
//! Every key and value is checked when the lesson is loaded, so a typo is a load error with the
//! file and line, never a claim that silently checks nothing. The vocabulary only reads the view
//! model, the same data the front ends show.

use std::fmt;

use crate::ids::{MsgId, Node};
use crate::view::{Cause, Fate, SendStatus, View};

/// The `totals.*` keys, in the order the CLI prints them.
pub const TOTALS: &[&str] =
    &["sent", "acked", "processed", "duplicated", "lost", "failed", "dead_lettered", "pending"];

/// The `mN.*` fields.
pub const MESSAGE_FIELDS: &[&str] =
    &["fate", "cause", "status", "effects", "detected", "attempts", "deliveries", "queue"];

const STATUSES: &[SendStatus] = &[
    SendStatus::SendOk,
    SendStatus::FlushDiskTimeout,
    SendStatus::FlushSlaveTimeout,
    SendStatus::SlaveNotAvailable,
];

/// A field of a node, and which nodes have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeField {
    Up,
    Partitioned,
    Role,
    WrittenPos,
    FlushedPos,
    Records,
    ReplicatedPos,
    CommittedOffset,
    PersistedOffset,
    InMemory,
    OutboxPending,
}

impl NodeField {
    const ALL: [NodeField; 11] = [
        NodeField::Up,
        NodeField::Partitioned,
        NodeField::Role,
        NodeField::WrittenPos,
        NodeField::FlushedPos,
        NodeField::Records,
        NodeField::ReplicatedPos,
        NodeField::CommittedOffset,
        NodeField::PersistedOffset,
        NodeField::InMemory,
        NodeField::OutboxPending,
    ];

    fn name(self) -> &'static str {
        match self {
            NodeField::Up => "up",
            NodeField::Partitioned => "partitioned",
            NodeField::Role => "role",
            NodeField::WrittenPos => "written_pos",
            NodeField::FlushedPos => "flushed_pos",
            NodeField::Records => "records",
            NodeField::ReplicatedPos => "replicated_pos",
            NodeField::CommittedOffset => "committed_offset",
            NodeField::PersistedOffset => "persisted_offset",
            NodeField::InMemory => "in_memory",
            NodeField::OutboxPending => "outbox_pending",
        }
    }

    fn applies_to(self, node: Node) -> bool {
        match self {
            NodeField::Up | NodeField::Partitioned | NodeField::Role => true,
            NodeField::WrittenPos | NodeField::FlushedPos | NodeField::Records | NodeField::ReplicatedPos => {
                node.has_log()
            }
            NodeField::CommittedOffset | NodeField::PersistedOffset => node.is_consumer(),
            NodeField::InMemory | NodeField::OutboxPending => node.is_producer(),
        }
    }

    fn names_for(node: Node) -> Vec<&'static str> {
        NodeField::ALL.iter().filter(|f| f.applies_to(node)).map(|f| f.name()).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MessageField {
    Fate,
    Cause,
    Status,
    Effects,
    Detected,
    Attempts,
    Deliveries,
    /// The topic queue it was sent to.
    Queue,
}

/// What a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Total(&'static str),
    Message(MsgId, MessageField),
    Node(Node, NodeField),
    /// How many alerts have been raised.
    Alerts,
    VirtualMs,
    Idle,
}

/// The value a claim wants, already checked against the subject's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    Count(u64),
    /// A number that may be absent (`"none"`).
    MaybeCount(Option<u64>),
    Flag(bool),
    Word(String),
    Fate(Fate),
    Cause(Option<Cause>),
    Status(Option<SendStatus>),
}

impl fmt::Display for Wanted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let none = |f: &mut fmt::Formatter<'_>| f.write_str("none");
        match self {
            Wanted::Count(n) | Wanted::MaybeCount(Some(n)) => write!(f, "{n}"),
            Wanted::Flag(b) => write!(f, "{b}"),
            Wanted::Word(w) => f.write_str(w),
            Wanted::Fate(fate) => f.write_str(fate.name()),
            Wanted::Cause(Some(c)) => f.write_str(c.name()),
            Wanted::Status(Some(s)) => f.write_str(s.name()),
            Wanted::MaybeCount(None) | Wanted::Cause(None) | Wanted::Status(None) => none(f),
        }
    }
}

/// A value as the lesson file wrote it (a TOML integer, boolean or string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Raw {
    Int(i64),
    Bool(bool),
    Str(String),
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Int(n) => write!(f, "{n}"),
            Raw::Bool(b) => write!(f, "{b}"),
            Raw::Str(s) => write!(f, "\"{s}\""),
        }
    }
}

/// A checked claim: `subject = wanted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    subject: Subject,
    wanted: Wanted,
}

/// Where a key or value went wrong; the caller adds file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClaimError {
    Key(String),
    Value(String),
}

fn key_help() -> String {
    format!(
        "expectation keys are: totals.{{{}}}, mN.{{{}}}, NODE.FIELD (producer: {}; broker/replica: {}; consumer: {}), alerts, virtual_ms, idle",
        TOTALS.join(","),
        MESSAGE_FIELDS.join(","),
        NodeField::names_for(Node::PRODUCER).join(","),
        NodeField::names_for(Node::BROKER).join(","),
        NodeField::names_for(Node::CONSUMER).join(","),
    )
}

fn parse_subject(key: &str) -> Result<Subject, ClaimError> {
    let unknown = || ClaimError::Key(format!("unknown expectation key `{key}`; {}", key_help()));
    let parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        ["alerts"] => Ok(Subject::Alerts),
        ["virtual_ms"] => Ok(Subject::VirtualMs),
        ["idle"] => Ok(Subject::Idle),
        ["totals", name] => TOTALS.iter().find(|t| *t == name).map(|t| Subject::Total(t)).ok_or_else(|| {
            ClaimError::Key(format!("unknown total `{key}`; totals are: {}", TOTALS.join(", ")))
        }),
        [first, field] if first.starts_with('m') && first.len() > 1 => {
            let digits = &first[1..];
            let id = digits.parse::<u64>().ok().filter(|n| *n >= 1 && !digits.starts_with('0')).ok_or_else(
                || {
                    ClaimError::Key(format!(
                        "`{key}`: a message is written m1, m2, … (m and a number from 1)"
                    ))
                },
            )?;
            let field = match *field {
                "fate" => MessageField::Fate,
                "cause" => MessageField::Cause,
                "status" => MessageField::Status,
                "effects" => MessageField::Effects,
                "detected" => MessageField::Detected,
                "attempts" => MessageField::Attempts,
                "deliveries" => MessageField::Deliveries,
                "queue" => MessageField::Queue,
                _ => {
                    return Err(ClaimError::Key(format!(
                        "unknown message field `{key}`; a message has: {}",
                        MESSAGE_FIELDS.join(", ")
                    )));
                }
            };
            Ok(Subject::Message(MsgId(id), field))
        }
        [node, field] => {
            let node = Node::from_name(node).ok_or_else(unknown)?;
            let names = NodeField::names_for(node);
            let field =
                NodeField::ALL.into_iter().find(|f| f.name() == *field && f.applies_to(node)).ok_or_else(
                    || ClaimError::Key(format!("unknown field `{key}`; {node} has: {}", names.join(", "))),
                )?;
            Ok(Subject::Node(node, field))
        }
        _ => Err(unknown()),
    }
}

fn words<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|x| name(*x)).collect::<Vec<_>>().join(", ")
}

fn parse_wanted(subject: Subject, key: &str, raw: &Raw) -> Result<Wanted, ClaimError> {
    let bad = |allowed: String| ClaimError::Value(format!("bad value {raw} for `{key}`: expected {allowed}"));
    let count = || match raw {
        Raw::Int(n) if *n >= 0 => Ok(*n as u64),
        _ => Err(bad("a whole number from 0".into())),
    };
    let maybe_count = || match raw {
        Raw::Int(n) if *n >= 0 => Ok(Some(*n as u64)),
        Raw::Str(s) if s == "none" => Ok(None),
        _ => Err(bad("a whole number from 0, or \"none\"".into())),
    };
    let flag = || match raw {
        Raw::Bool(b) => Ok(*b),
        _ => Err(bad("true or false".into())),
    };
    let word = || match raw {
        Raw::Str(s) => Ok(s.as_str()),
        _ => Err(bad("a string".into())),
    };
    Ok(match subject {
        Subject::Total(_) | Subject::Alerts | Subject::VirtualMs => Wanted::Count(count()?),
        Subject::Idle => Wanted::Flag(flag()?),
        Subject::Message(_, field) => match field {
            MessageField::Effects
            | MessageField::Attempts
            | MessageField::Deliveries
            | MessageField::Queue => Wanted::Count(count()?),
            MessageField::Detected => Wanted::Flag(flag()?),
            MessageField::Fate => {
                let allowed = || bad(format!("one of {}", words(&Fate::ALL, Fate::name)));
                let w = word().map_err(|_| allowed())?;
                Wanted::Fate(Fate::ALL.iter().copied().find(|f| f.name() == w).ok_or_else(allowed)?)
            }
            MessageField::Cause => {
                let allowed = || bad(format!("none or one of {}", words(&Cause::ALL, Cause::name)));
                match word().map_err(|_| allowed())? {
                    "none" => Wanted::Cause(None),
                    w => Wanted::Cause(Some(
                        Cause::ALL.iter().copied().find(|c| c.name() == w).ok_or_else(allowed)?,
                    )),
                }
            }
            MessageField::Status => {
                let allowed = || bad(format!("none or one of {}", words(STATUSES, SendStatus::name)));
                match word().map_err(|_| allowed())? {
                    "none" => Wanted::Status(None),
                    w => Wanted::Status(Some(
                        STATUSES.iter().copied().find(|s| s.name() == w).ok_or_else(allowed)?,
                    )),
                }
            }
        },
        Subject::Node(_, field) => match field {
            NodeField::Up | NodeField::Partitioned => Wanted::Flag(flag()?),
            NodeField::Role => Wanted::Word(word()?.to_owned()),
            NodeField::WrittenPos | NodeField::FlushedPos | NodeField::Records => Wanted::Count(count()?),
            NodeField::InMemory | NodeField::OutboxPending => Wanted::Count(count()?),
            NodeField::ReplicatedPos | NodeField::CommittedOffset | NodeField::PersistedOffset => {
                Wanted::MaybeCount(maybe_count()?)
            }
        },
    })
}

impl Claim {
    /// Checks `key = raw` against the vocabulary.
    pub(crate) fn parse(key: &str, raw: &Raw) -> Result<Claim, ClaimError> {
        let subject = parse_subject(key)?;
        let wanted = parse_wanted(subject, key, raw)?;
        Ok(Claim { subject, wanted })
    }

    /// What the view shows for the subject, in the claim's own terms.
    fn found(&self, view: &View) -> Result<Wanted, String> {
        Ok(match self.subject {
            Subject::Total(name) => {
                let t = &view.totals;
                Wanted::Count(match name {
                    "sent" => t.sent,
                    "acked" => t.acked,
                    "processed" => t.processed,
                    "duplicated" => t.duplicated,
                    "lost" => t.lost,
                    "failed" => t.failed,
                    "dead_lettered" => t.dead_lettered,
                    _ => t.pending,
                })
            }
            Subject::Alerts => Wanted::Count(view.alerts.len() as u64),
            Subject::VirtualMs => Wanted::Count(view.virtual_ms),
            Subject::Idle => Wanted::Flag(view.idle),
            Subject::Message(id, field) => {
                let m = view
                    .message(id)
                    .ok_or_else(|| format!("no message {id} (the world has {})", view.messages.len()))?;
                match field {
                    MessageField::Fate => Wanted::Fate(m.fate),
                    MessageField::Cause => Wanted::Cause(m.cause),
                    MessageField::Status => Wanted::Status(m.status),
                    MessageField::Effects => Wanted::Count(u64::from(m.effects)),
                    MessageField::Detected => Wanted::Flag(m.detected),
                    MessageField::Attempts => Wanted::Count(u64::from(m.attempts)),
                    MessageField::Deliveries => Wanted::Count(u64::from(m.deliveries)),
                    MessageField::Queue => Wanted::Count(u64::from(m.queue)),
                }
            }
            Subject::Node(node, field) => {
                let n = view
                    .nodes
                    .iter()
                    .find(|n| n.node == node)
                    .ok_or_else(|| format!("no node {node} in the view"))?;
                let log = || n.log.unwrap_or_default();
                match field {
                    NodeField::Up => Wanted::Flag(n.up),
                    NodeField::Partitioned => Wanted::Flag(n.partitioned),
                    NodeField::Role => Wanted::Word(n.role.clone()),
                    NodeField::WrittenPos => Wanted::Count(log().written_pos),
                    NodeField::FlushedPos => Wanted::Count(log().flushed_pos),
                    NodeField::Records => Wanted::Count(log().records),
                    NodeField::ReplicatedPos => Wanted::MaybeCount(n.replicated_pos),
                    NodeField::CommittedOffset => Wanted::MaybeCount(n.committed_offset),
                    NodeField::PersistedOffset => Wanted::MaybeCount(n.persisted_offset),
                    NodeField::InMemory => Wanted::Count(n.in_memory as u64),
                    NodeField::OutboxPending => Wanted::Count(n.outbox_pending as u64),
                }
            }
        })
    }

    /// `Ok` when the view shows the wanted value, else what it shows instead.
    pub(crate) fn check(&self, view: &View) -> Result<(), String> {
        let found = self.found(view)?;
        if found == self.wanted { Ok(()) } else { Err(found.to_string()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_error(key: &str, raw: Raw) -> String {
        match Claim::parse(key, &raw) {
            Err(ClaimError::Key(e) | ClaimError::Value(e)) => e,
            Ok(c) => panic!("`{key}` was accepted as {c:?}"),
        }
    }

    #[test]
    fn every_documented_key_parses() {
        for t in TOTALS {
            Claim::parse(&format!("totals.{t}"), &Raw::Int(0)).unwrap();
        }
        Claim::parse("m12.fate", &Raw::Str("lost".into())).unwrap();
        Claim::parse("m1.cause", &Raw::Str("none".into())).unwrap();
        Claim::parse("m1.status", &Raw::Str("FLUSH_SLAVE_TIMEOUT".into())).unwrap();
        Claim::parse("m1.detected", &Raw::Bool(true)).unwrap();
        Claim::parse("replica.flushed_pos", &Raw::Int(312)).unwrap();
        Claim::parse("broker.replicated_pos", &Raw::Str("none".into())).unwrap();
        Claim::parse("consumer.committed_offset", &Raw::Int(3)).unwrap();
        Claim::parse("producer.outbox_pending", &Raw::Int(1)).unwrap();
        Claim::parse("broker.role", &Raw::Str("master".into())).unwrap();
        Claim::parse("alerts", &Raw::Int(1)).unwrap();
    }

    #[test]
    fn unknown_keys_and_bad_values_say_what_is_allowed() {
        assert!(key_error("totals.lots", Raw::Int(1)).contains("totals are: sent, acked"));
        assert!(key_error("m0.fate", Raw::Str("lost".into())).contains("m1, m2"));
        assert!(key_error("m01.fate", Raw::Str("lost".into())).contains("m1, m2"));
        assert!(key_error("m1.colour", Raw::Int(1)).contains("a message has: fate, cause"));
        assert!(key_error("consumer.written_pos", Raw::Int(1)).contains("consumer has: up"));
        assert!(key_error("toaster.up", Raw::Bool(true)).contains("expectation keys are"));
        let e = key_error("m1.fate", Raw::Str("gone".into()));
        assert!(e.contains("bad value \"gone\" for `m1.fate`: expected one of processed"), "{e}");
        let e = key_error("m1.cause", Raw::Str("lost_in_pagecache".into()));
        assert!(e.contains("lost_in_page_cache"), "{e}");
        assert!(key_error("m1.status", Raw::Str("OK".into())).contains("SEND_OK"));
        assert!(key_error("totals.lost", Raw::Int(-1)).contains("whole number"));
        assert!(key_error("totals.lost", Raw::Str("1".into())).contains("whole number"));
        assert!(key_error("broker.up", Raw::Str("yes".into())).contains("true or false"));
    }
}
