//! Several producers, consumers and queues: per-queue order, per-producer sequence checks,
//! queue choice (round-robin and by key), the rebalance that shares the queues and the
//! duplicates it causes, and commands that name nodes the topology lacks.

use std::collections::BTreeMap;

use mqlab_core::ids::Node;
use mqlab_core::log::StorageKind;
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::settings::Settings;
use mqlab_core::view::{Fate, Report};

/// A 1 ms network and the lab's defaults otherwise.
fn session() -> Session {
    let config =
        SessionConfig { seed: 7, storage: StorageKind::Mem, data_dir: None, settings: Settings::default() };
    let mut session = Session::new(config).expect("session");
    session.perform("set net.latency_ms 1").expect("a setting");
    session
}

fn play(line: &str) -> Session {
    let mut s = session();
    s.perform(line).unwrap_or_else(|e| panic!("`{line}`: {e}"));
    s
}

fn fates(report: &Report) -> Vec<(u64, Fate, u32)> {
    report.messages.iter().map(|m| (m.id.0, m.fate, m.queue)).collect()
}

/// `(consumer, queue, offset)` of every delivery a consumer took, in trace order.
fn received(s: &Session) -> Vec<(String, u32, u64)> {
    s.trace()
        .iter()
        .filter_map(|e| {
            let (who, rest) = e.text.split_once(": received ")?;
            let inside = rest.split_once('(')?.1;
            let queue = inside.strip_prefix("queue ")?.split(',').next()?.parse().ok()?;
            let offset = inside.split("offset ").nth(1)?.split(',').next()?.parse().ok()?;
            Some((who.to_owned(), queue, offset))
        })
        .collect()
}

#[test]
fn each_queue_is_consumed_in_order_by_the_consumer_that_owns_it() {
    let s = play(
        "set topic.queues 4; set cluster.producers 2; set cluster.consumers 2; run; \
         send 6; send 6 from producer2; run",
    );
    let r = s.report();
    assert_eq!(r.totals.processed, 12, "{:?}", fates(&r));
    // Round-robin: each producer spreads its messages over the four queues.
    let per_queue = r.messages.iter().fold(BTreeMap::new(), |mut m: BTreeMap<u32, u32>, msg| {
        *m.entry(msg.queue).or_default() += 1;
        m
    });
    assert_eq!(per_queue.values().copied().collect::<Vec<_>>(), [4, 4, 2, 2]);
    let got = received(&s);
    assert_eq!(got.len(), 12);
    // Averagely: consumer owns queues 0 and 1, consumer2 queues 2 and 3.
    for (who, queue, _) in &got {
        let owner = if *queue < 2 { "consumer" } else { "consumer2" };
        assert_eq!(who, owner, "queue {queue}");
    }
    // Within a queue, offsets arrive in order.
    let mut last: BTreeMap<u32, u64> = BTreeMap::new();
    for (_, queue, offset) in got {
        if let Some(prev) = last.insert(queue, offset) {
            assert_eq!(offset, prev + 1, "queue {queue}");
        }
    }
    let view = s.view();
    assert_eq!(view.topology.producers, [Node::PRODUCER, Node::Producer(1)]);
    assert_eq!(view.topology.consumers, [Node::CONSUMER, Node::Consumer(1)]);
    let owners: Vec<Option<Node>> = view.topology.queues.iter().map(|q| q.owner).collect();
    assert_eq!(
        owners,
        [Some(Node::CONSUMER), Some(Node::CONSUMER), Some(Node::Consumer(1)), Some(Node::Consumer(1))]
    );
}

#[test]
fn a_key_keeps_its_messages_on_one_queue() {
    let s = play("set topic.queues 4; send 5 key order-1; send 3 key order-2; run");
    let r = s.report();
    let queue_of = |ids: std::ops::RangeInclusive<u64>| -> Vec<u32> {
        r.messages.iter().filter(|m| ids.contains(&m.id.0)).map(|m| m.queue).collect()
    };
    // Java's "order-1".hashCode() is -1207111310: |h| % 4 = 2; "order-2" is one more,
    // -1207111309: |h| % 4 = 1.
    assert_eq!(queue_of(1..=5), [2; 5]);
    assert_eq!(queue_of(6..=8), [1; 3]);
    // Sequence numbers count per queue.
    let seqs: Vec<u64> = r.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 1, 2, 3]);
    assert_eq!(r.totals.processed, 8);
}

#[test]
fn sequence_gaps_are_found_per_producer_and_per_queue() {
    // Oneway sends, two producers over two queues; one request of producer2 is dropped.
    let s = play(
        "set topic.queues 2; set cluster.producers 2; set consumer.check_seq on; set producer.send oneway; \
         run; send 2; send 2 from producer2; run; drop next request; send 2 from producer2; send 2; run; \
         send 2 from producer2; send 2; run",
    );
    let r = s.report();
    let lost: Vec<u64> = r.messages.iter().filter(|m| m.fate == Fate::Lost).map(|m| m.id.0).collect();
    assert_eq!(lost, [5], "{:?}", fates(&r));
    let m5 = &r.messages[4];
    assert!(m5.detected, "the gap in producer2's queue {} is found", m5.queue);
    // Nobody else is reported missing: the other producer's numbers and the other queue are whole.
    let detected: Vec<u64> = r.messages.iter().filter(|m| m.detected).map(|m| m.id.0).collect();
    assert_eq!(detected, [5]);
    let alerts = s.view().alerts;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].contains("p2 seq 2, queue 0 missing"), "{alerts:?}");
}

#[test]
fn a_crashed_consumer_queues_move_and_what_it_had_not_committed_is_processed_again() {
    let line = "set topic.queues 2; set cluster.consumers 2; run; send 4; run 100; crash consumer2; run";
    let s = play(line);
    let r = s.report();
    // consumer2 processed m2 and m4 (queue 1) but its offsets only go out every 5 s: the queue
    // moves to consumer, which starts from the committed offset 0.
    assert_eq!(
        fates(&r),
        [
            (1, Fate::Processed, 0),
            (2, Fate::Duplicated, 1),
            (3, Fate::Processed, 0),
            (4, Fate::Duplicated, 1)
        ]
    );
    assert!(s.trace().iter().any(|e| e.text.contains("consumer: rebalance: owns queues 0, 1")));
    // An idempotent consumer (a shared dedupe table) absorbs them.
    let s = play(&format!("set consumer.idempotent on; {line}"));
    assert_eq!(s.report().totals.duplicated, 0);
    assert_eq!(s.report().totals.processed, 4);
}

#[test]
fn work_in_progress_on_a_queue_given_away_is_done_twice() {
    // consumer takes both queues' messages; as they are processed (10 ms), consumer2 joins and
    // queue 1 moves. consumer finishes its work but its offset for queue 1 was the lowest in
    // flight: consumer2 gets those messages again.
    let s = play("set topic.queues 2; send 4; run 3; set cluster.consumers 2; run");
    let r = s.report();
    let dup: Vec<u64> = r.messages.iter().filter(|m| m.fate == Fate::Duplicated).map(|m| m.id.0).collect();
    assert_eq!(dup, [2, 4], "{:?}", fates(&r));
    assert!(s.trace().iter().any(|e| e.text.contains("its queue 1 was given away in a rebalance")));
}

#[test]
fn a_consumer_that_lost_power_keeps_its_queues_until_the_master_expires_it() {
    let s = play(
        "set topic.queues 2; set cluster.consumers 2; run; crash consumer2 power; run 60000; send 2; run 1000",
    );
    let r = s.report();
    // For two minutes nobody consumes queue 1: m2 waits.
    assert_eq!(fates(&r), [(1, Fate::Processed, 0), (2, Fate::Pending, 1)]);
    let mut s = s;
    s.perform("run").expect("run");
    let r = s.report();
    assert_eq!(r.totals.processed, 2);
    let expired = s.trace().iter().find(|e| e.text.contains("no heartbeat from consumer2")).expect("expired");
    assert_eq!(expired.at_ms, 120_000 + 10_000, "the first housekeeping scan after 120 s");
}

#[test]
fn a_consumer_that_leaves_hands_its_queues_over_without_loss() {
    let s = play(
        "set topic.queues 4; set cluster.consumers 3; run; send 8; run 12; set cluster.consumers 1; run",
    );
    let r = s.report();
    assert_eq!(r.totals.lost, 0, "{:?}", fates(&r));
    assert_eq!(r.totals.pending, 0, "{:?}", fates(&r));
    assert_eq!(s.view().topology.consumers, [Node::CONSUMER]);
    assert!(s.view().topology.queues.iter().all(|q| q.owner == Some(Node::CONSUMER)));
}

#[test]
fn nodes_the_topology_lacks_are_refused() {
    let mut s = session();
    for (line, says) in [
        ("crash consumer2", "there is no consumer2"),
        ("restart producer3", "there is no producer3"),
        ("send 1 from producer2", "there is no producer2"),
    ] {
        let err = s.perform(line).expect_err(line).to_string();
        assert!(err.contains(says), "{line}: {err}");
    }
    s.perform("send 1").expect("send");
    let err = s.perform("set topic.queues 4").expect_err("queues after a send").to_string();
    assert!(err.contains("before the first send"), "{err}");
    assert_eq!(s.view().settings.topic_queues, 1, "a refused setting changes nothing");
}

#[test]
fn after_a_promotion_producers_and_consumers_follow_the_new_master() {
    let s = play(
        "set cluster.producers 2; set cluster.consumers 2; set topic.queues 2; set broker.replication sync; run; \
         send 2; run; crash broker; promote replica; send 2 from producer2; run",
    );
    let r = s.report();
    assert_eq!(r.totals.processed, 4, "{:?}", fates(&r));
    let topology = s.view().topology;
    assert!(topology.links.iter().filter(|l| l.from.is_producer()).all(|l| l.to == Node::REPLICA));
    assert!(topology.links.iter().filter(|l| l.to.is_consumer()).all(|l| l.from == Node::REPLICA));
    assert!(topology.queues.iter().all(|q| q.broker == Node::REPLICA));
}

#[test]
fn each_answer_goes_to_the_producer_that_sent_the_message() {
    // producer is down; producer2's sends are answered to producer2, not lost on producer.
    let s = play("set cluster.producers 2; crash producer; send 2 from producer2; run");
    let r = s.report();
    assert_eq!(r.totals.acked, 2, "{:?}", fates(&r));
    assert!(s.view().messages.iter().all(|m| m.attempts == 1), "no retries: {:?}", fates(&r));
    let answers: Vec<_> = s
        .trace()
        .iter()
        .flat_map(|e| e.wire.iter())
        .filter(|w| w.kind == mqlab_core::view::EnvelopeKind::Response)
        .map(|w| w.to)
        .collect();
    assert!(!answers.is_empty() && answers.iter().all(|n| *n == Node::Producer(1)), "{answers:?}");
}
