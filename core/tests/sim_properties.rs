//! The lab never lies: thousands of seeded random fault sequences, with what the ledger says
//! checked after every single step.
//!
//! - every message that is lost names its cause; an acknowledged (SEND_OK) message is never a
//!   known failure;
//! - lost is final: once the ledger calls a message lost, nothing brings it back (if something
//!   did, a copy was still reachable when the lab said none was) — except a rollback of the
//!   consumer offsets on the broker (a crash before they were persisted, a failover), which
//!   delivers again what the main or the retry queue's offset had skipped, as RocketMQ does;
//! - at the end, with every node restarted and the network healed, nothing is left pending
//!   unless the world says why and names it.
//!
//! `MQLAB_SEED=n` replays one seed; `MQLAB_PROPERTY_SEEDS=n` changes how many run (CI runs
//! the default; `MQLAB_PROPERTY_SEEDS=200000` is a long night).

use std::collections::BTreeMap;

use mqlab_core::log::StorageKind;
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::settings::Settings;
use mqlab_core::view::{Fate, Place, SendStatus};

const DEFAULT_SEEDS: u64 = 1500;

fn seeds() -> Vec<u64> {
    if let Some(seed) = std::env::var("MQLAB_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let n = std::env::var("MQLAB_PROPERTY_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEEDS);
    (0..n).collect()
}

const NODES: [&str; 8] =
    ["producer", "producer2", "producer3", "broker", "replica", "consumer", "consumer2", "consumer3"];

/// The topology a seed starts from: odd seeds get several producers, consumers and queues.
fn random_topology(rng: &mut fastrand::Rng, seed: u64) -> Vec<String> {
    if seed.is_multiple_of(2) {
        return Vec::new();
    }
    vec![
        format!("set topic.queues {}", rng.u32(1..5)),
        format!("set cluster.producers {}", rng.u32(1..4)),
        format!("set cluster.consumers {}", rng.u32(1..4)),
    ]
}

/// One random command. Time moves by `step N` and short `run MS`, so the checks see every step.
/// Commands may name nodes the topology lacks: those are refused, which is part of the game.
fn random_command(rng: &mut fastrand::Rng) -> String {
    let node = NODES[rng.usize(..NODES.len())];
    match rng.u32(..100) {
        0..12 => format!("send {}", rng.u32(1..4)),
        12..15 => {
            format!("send {} from {}", rng.u32(1..4), ["producer", "producer2", "producer3"][rng.usize(..3)])
        }
        15..18 => format!("send {} key order-{}", rng.u32(1..4), rng.u32(..5)),
        18..40 => format!("step {}", rng.u32(1..15)),
        40..46 => format!("run {}", [5, 50, 600, 3_000, 12_000][rng.usize(..5)]),
        46..56 => {
            let kind = ["process", "power", "disk"][rng.usize(..3)];
            if matches!(node, "broker" | "replica") {
                format!("crash {node} {kind}")
            } else {
                format!("crash {node}")
            }
        }
        56..66 => format!("restart {node}"),
        66..71 => format!("drop next {}", ["request", "response", "delivery", "commit"][rng.usize(..4)]),
        71..74 => format!("partition {node}"),
        74..78 => "heal".to_owned(),
        78..82 => format!("fail next {}", rng.u32(1..4)),
        82..84 => "promote replica".to_owned(),
        84..86 => format!("set cluster.consumers {}", rng.u32(1..4)),
        _ => {
            let settings: [(&str, &[&str]); 13] = [
                ("producer.send", &["oneway", "sync", "async"]),
                ("producer.require_send_ok", &["on", "off"]),
                ("producer.outbox", &["on", "off"]),
                ("producer.attempt_timeout_ms", &["0", "500"]),
                ("broker.flush", &["sync", "async"]),
                ("broker.replication", &["none", "async", "sync"]),
                ("replica.flush", &["sync", "async"]),
                ("consumer.commit", &["before", "after"]),
                ("consumer.mode", &["sync", "async"]),
                ("consumer.idempotent", &["on", "off"]),
                ("consumer.max_retries", &["0", "1", "16"]),
                ("consumer.check_seq", &["on", "off"]),
                ("net.latency_ms", &["1", "5", "400"]),
            ];
            let (key, values) = settings[rng.usize(..settings.len())];
            format!("set {key} {}", values[rng.usize(..values.len())])
        }
    }
}

/// With `MQLAB_TRACE` set, prints the whole trace (for reading a failure).
fn dump(session: &Session) {
    if std::env::var("MQLAB_TRACE").is_ok() {
        for e in session.trace() {
            eprintln!("{:>5} {:>8} {}", e.step, e.at_ms, e.text);
        }
    }
}

/// Whether message `id` now has a copy on the retry ladder.
fn m_places_retry(session: &Session, id: u64) -> bool {
    session
        .view()
        .messages
        .iter()
        .any(|m| m.id.0 == id && m.places.iter().any(|p| matches!(p, Place::RetryQueue(_))))
}

struct Checker {
    seed: u64,
    line: Vec<String>,
    /// Messages called lost, with the master's consumer offset and the number of broker
    /// crashes, restarts and promotions when they were.
    lost: BTreeMap<u64, (u64, u32)>,
    broker_faults: u32,
}

/// The consumer offset the master holds now.
fn master_offset(session: &Session) -> u64 {
    let view = session.view();
    view.nodes.iter().find(|n| n.role.starts_with("master")).and_then(|n| n.committed_offset).unwrap_or(0)
}

impl Checker {
    fn fail(&self, what: String) -> ! {
        panic!(
            "{what}\ncommands: {}\nreproduce: MQLAB_SEED={} cargo test -p mqlab-core --test sim_properties",
            self.line.join("; "),
            self.seed
        )
    }

    /// The checks that hold after every step.
    fn check(&mut self, session: &Session) {
        if let Err(e) = session.check_invariants() {
            self.fail(format!("invariant: {e}"));
        }
        // Redelivery of what the offset had skipped, once the offset rolled back, is a new
        // event, not a lie.
        let offset = master_offset(session);
        self.lost.retain(|_, (at, _)| offset >= *at);
        for m in session.report().messages {
            let id = m.id.0;
            if m.fate == Fate::Lost {
                if m.cause.is_none() {
                    dump(session);
                    self.fail(format!("m{id} is lost with no cause, at step {}", session.step()));
                }
                self.lost.entry(id).or_insert((offset, self.broker_faults));
            } else if let Some((_, faults)) = self.lost.get(&id) {
                let retry_rolled_back = *faults < self.broker_faults && m_places_retry(session, id);
                if retry_rolled_back {
                    self.lost.remove(&id);
                    continue;
                }
                dump(session);
                self.fail(format!(
                    "m{id} was called lost, yet it is {:?} at step {}: a copy was still reachable",
                    m.fate,
                    session.step()
                ));
            }
            if m.status == Some(SendStatus::SendOk) && m.fate == Fate::Failed {
                self.fail(format!("m{id} was acknowledged SEND_OK yet counts as a known failure"));
            }
        }
    }

    /// Applies `command`, stepping one event at a time where it steps.
    fn apply(&mut self, session: &mut Session, command: &str) {
        self.line.push(command.to_owned());
        let words: Vec<&str> = command.split(' ').collect();
        if matches!(words[..], ["crash" | "restart", "broker" | "replica", ..] | ["promote", ..]) {
            self.broker_faults += 1;
        }
        if let Some(n) = command.strip_prefix("step ").and_then(|n| n.parse::<u32>().ok()) {
            for _ in 0..n {
                if session.is_idle() {
                    break;
                }
                if let Err(e) = session.perform("step 1") {
                    self.fail(format!("step failed: {e}"));
                }
                self.check(session);
            }
            return;
        }
        // Refusals are part of the game (restarting a node that is up…).
        let _ = session.perform(command);
        self.check(session);
    }
}

#[test]
fn the_ledger_never_lies_under_random_faults() {
    for seed in seeds() {
        let mut rng = fastrand::Rng::with_seed(seed);
        let config =
            SessionConfig { seed, storage: StorageKind::Mem, data_dir: None, settings: Settings::default() };
        let mut session = Session::new(config).expect("session");
        let mut checker = Checker { seed, line: Vec::new(), lost: BTreeMap::new(), broker_faults: 0 };
        for command in random_topology(&mut rng, seed) {
            checker.apply(&mut session, &command);
        }
        for _ in 0..rng.usize(10..40) {
            let command = random_command(&mut rng);
            checker.apply(&mut session, &command);
        }
        // Everything comes back: every node restarted, the network healed, and a run to idle.
        for command in ["heal", "restart broker", "restart replica"] {
            checker.apply(&mut session, command);
        }
        for node in NODES.iter().filter(|n| !matches!(**n, "broker" | "replica")) {
            checker.apply(&mut session, &format!("restart {node}"));
        }
        let before = session.trace().len();
        checker.line.push("run".to_owned());
        if let Err(e) = session.perform("run") {
            checker.fail(format!("run failed: {e}"));
        }
        checker.check(&session);
        let report = session.report();
        let pending: Vec<u64> =
            report.messages.iter().filter(|m| m.fate == Fate::Pending).map(|m| m.id.0).collect();
        if pending.is_empty() {
            continue;
        }
        let said = session.trace()[before..].last().map(|e| e.text.clone()).unwrap_or_default();
        let named = said.starts_with("run: idle with") && !said.contains("no node has work scheduled");
        if !named {
            dump(&session);
            checker
                .fail(format!("m{pending:?} left pending at idle and nothing says why (last event: {said})"));
        }
    }
}
