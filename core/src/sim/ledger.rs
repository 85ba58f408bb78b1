//! The ledger: what is known about every message, and the rule that turns where its copies are
//! into a fate.
//!
//! A fate is never written by a scenario: it is computed from the places a message's copies are
//! now, the producer's belief, the business effects, and the reason recorded by whatever
//! destroyed a copy last (a drop, a power loss, a disk failure, a failover, a crash).

use std::collections::BTreeSet;

use crate::ids::{MsgId, Node, ProducerId};
use crate::view::{Cause, Fate, Place, SendStatus, TokenState};

/// What the world knows about one message.
#[derive(Debug, Clone)]
pub(crate) struct MsgInfo {
    pub id: MsgId,
    /// The producer node that sent it.
    pub sender: Node,
    pub producer: ProducerId,
    pub seq: u64,
    /// The topic queue it was sent to.
    pub queue: u32,
    /// The last status the producer accepted.
    pub status: Option<SendStatus>,
    /// The producer received SEND_OK at least once.
    pub acked: bool,
    /// The producer (or its outbox) gave up and said so: not silent.
    pub known_failed: bool,
    pub effects: u32,
    pub detected: bool,
    pub attempts: u32,
    pub deliveries: u32,
    /// Why the most recently destroyed copy went away.
    pub last_loss: Option<Cause>,
    /// The body every stored copy carries (drawn when the broker first stores it).
    pub body: Vec<u8>,
}

impl MsgInfo {
    pub fn new(id: MsgId, sender: Node, producer: ProducerId, seq: u64, queue: u32) -> Self {
        Self {
            id,
            sender,
            producer,
            seq,
            queue,
            status: None,
            acked: false,
            known_failed: false,
            effects: 0,
            detected: false,
            attempts: 0,
            deliveries: 0,
            last_loss: None,
            body: Vec::new(),
        }
    }
}

/// The fate of a message given where its copies are now (its `places`).
///
/// Effects decide first (one = processed, more = duplicated); then any copy that can still reach
/// the consumer makes it pending; then the dead-letter queue; then a failure the producer knows
/// about; otherwise it is a silent loss, named after what destroyed its last copy.
pub(crate) fn fate(info: &MsgInfo, places: &[Place]) -> (Fate, Option<Cause>) {
    match info.effects {
        0 => {}
        1 => return (Fate::Processed, None),
        _ => return (Fate::Duplicated, None),
    }
    if places.iter().any(|p| !matches!(p, Place::DeadLetterQueue(_))) {
        return (Fate::Pending, None);
    }
    if places.iter().any(|p| matches!(p, Place::DeadLetterQueue(_))) {
        return (Fate::DeadLettered, None);
    }
    if info.known_failed {
        return (Fate::Failed, None);
    }
    (Fate::Lost, info.last_loss)
}

/// The one state a token is coloured by: the fate once settled, else the most advanced place.
pub(crate) fn token(fate: Fate, places: &[Place]) -> TokenState {
    match fate {
        Fate::Processed => return TokenState::Processed,
        Fate::Duplicated => return TokenState::Duplicated,
        Fate::Lost => return TokenState::Lost,
        Fate::Failed => return TokenState::Failed,
        Fate::DeadLettered => return TokenState::DeadLettered,
        Fate::Pending => {}
    }
    let has = |f: fn(&Place) -> bool| places.iter().any(f);
    let stored_on = places
        .iter()
        .filter_map(|p| match p {
            Place::PageCache(n) | Place::Disk(n) => Some(*n),
            _ => None,
        })
        .collect::<BTreeSet<Node>>();
    if has(|p| matches!(p, Place::ConsumerProcessing(_))) {
        TokenState::Processing
    } else if has(|p| matches!(p, Place::RetryQueue(_))) {
        TokenState::Retrying
    } else if stored_on.len() > 1 {
        TokenState::Replicated
    } else if has(|p| matches!(p, Place::Disk(_))) {
        TokenState::Flushed
    } else if has(|p| matches!(p, Place::PageCache(_))) {
        TokenState::PageCache
    } else if has(|p| *p == Place::InFlight) {
        TokenState::InFlight
    } else {
        TokenState::ProducerMemory
    }
}

/// `m1..m3` for a run of consecutive ids, else a comma list; a long one is shortened to its
/// first four, the last and the count (`m2, m4, m6, m8, …, m30 (15)`), which reads the same in
/// either language.
pub(crate) fn msgs_text(ids: &[MsgId]) -> String {
    if ids.is_empty() {
        return "—".to_owned();
    }
    let contiguous = ids.windows(2).all(|w| w[1].0 == w[0].0 + 1);
    if ids.len() > 2 && contiguous {
        return format!("{}..{}", ids[0], ids[ids.len() - 1]);
    }
    if ids.len() > 6 {
        let head: Vec<String> = ids[..4].iter().map(|m| m.to_string()).collect();
        return format!("{}, …, {} ({})", head.join(", "), ids[ids.len() - 1], ids.len());
    }
    ids.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> MsgInfo {
        MsgInfo::new(MsgId(1), Node::PRODUCER, ProducerId(1), 1, 0)
    }

    #[test]
    fn fates_follow_effects_then_copies_then_belief() {
        let mut m = info();
        m.last_loss = Some(Cause::LostInPageCache);
        assert_eq!(fate(&m, &[]), (Fate::Lost, Some(Cause::LostInPageCache)));
        assert_eq!(fate(&m, &[Place::Disk(Node::REPLICA)]).0, Fate::Pending);
        assert_eq!(fate(&m, &[Place::DeadLetterQueue(Node::BROKER)]).0, Fate::DeadLettered);
        m.known_failed = true;
        assert_eq!(fate(&m, &[]), (Fate::Failed, None));
        m.effects = 2;
        assert_eq!(fate(&m, &[Place::Disk(Node::BROKER)]).0, Fate::Duplicated);
    }

    #[test]
    fn message_lists_are_short() {
        let ids: Vec<MsgId> = (1..=3).map(MsgId).collect();
        assert_eq!(msgs_text(&ids), "m1..m3");
        assert_eq!(msgs_text(&[MsgId(1), MsgId(3)]), "m1, m3");
        assert_eq!(msgs_text(&[]), "—");
        let evens: Vec<MsgId> = (1..=15).map(|i| MsgId(2 * i)).collect();
        assert_eq!(msgs_text(&evens), "m2, m4, m6, m8, …, m30 (15)");
    }
}
