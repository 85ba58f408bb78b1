//! A line of commands is all or nothing, whatever it holds, and `back` through the snapshots
//! gives exactly the world that replaying from step 0 gives.
//!
//! The differential test plays random lines (with `back`, refusals and crashes) into two
//! sessions, one restoring from snapshots taken every few steps and one replaying from the
//! start, and compares them after every line. `MQLAB_SEED=n` runs one seed;
//! `MQLAB_CASES=n` runs n seeds (CI runs a few; run thousands to search longer).

use mqlab_core::command::MAX_MESSAGES;
use mqlab_core::log::StorageKind;
use mqlab_core::session::{Session, SessionConfig, digest};

fn session(seed: u64, storage: StorageKind) -> Session {
    Session::new(SessionConfig { seed, storage, ..SessionConfig::default() }).expect("session")
}

/// Everything a front end can see, as one comparable string.
fn state(s: &Session) -> String {
    let report = serde_json::to_string(&s.report()).expect("report");
    format!(
        "step {} at {} ms idle {}\n{}\n{report}",
        s.step(),
        s.virtual_ms(),
        s.is_idle(),
        digest(s.trace())
    )
}

#[test]
fn a_refused_line_with_back_changes_nothing() {
    for storage in [StorageKind::Mem, StorageKind::Mmap] {
        let mut s = session(1, storage);
        s.execute("send 3; run 2").expect("send 3; run 2");
        let before = state(&s);
        let err = s.execute("back 2; send 1; restart broker").expect_err("the broker is up");
        assert!(err.to_string().contains("restart broker"), "{err}");
        assert_eq!(state(&s), before, "{storage:?}: the refused line left a trace");
        // The session goes on from where it was.
        s.execute("run").expect("run");
        assert_eq!(s.report().totals.sent, 3);
    }
}

#[test]
fn a_refused_line_keeps_the_commands_of_the_step_it_started_at() {
    let mut s = session(1, StorageKind::Mem);
    s.execute("send 3").expect("send");
    let before = state(&s);
    s.execute("step 1; restart broker").expect_err("the broker is up");
    assert_eq!(state(&s), before);
    s.execute("run").expect("run");
    assert_eq!(s.report().totals.sent, 3, "the sends before the refused line are kept");
}

#[test]
fn a_refused_line_takes_back_the_clock_it_moved() {
    let mut s = session(1, StorageKind::Mem);
    s.execute("send 1; run").expect("run");
    let before = state(&s);
    s.execute("run 1260; restart broker").expect_err("the broker is up");
    assert_eq!(state(&s), before, "`run 1260` moved the clock of a refused line");
}

#[test]
fn a_session_holds_a_bounded_number_of_messages() {
    let mut s = session(1, StorageKind::Mem);
    let line = ["send 10000"; 10].join("; ");
    s.execute(&line).expect("100000 messages are allowed");
    let before = state(&s);
    let err = s.execute("send 1").expect_err("one more is not");
    assert_eq!(
        err.to_string(),
        format!(
            "`send 1`: a session holds at most {MAX_MESSAGES} messages and 100000 are sent; go back or start over"
        )
    );
    assert_eq!(state(&s), before);
    // Going back gives the budget back.
    s.execute("back 1").expect("back");
    s.execute("send 1").expect("room again");
}

/// A random line: mostly valid commands, `back` often, sometimes one that will be refused.
fn random_line(rng: &mut fastrand::Rng) -> String {
    let nodes = ["producer", "broker", "replica", "consumer"];
    let n = rng.usize(1..4);
    let commands: Vec<String> = (0..n)
        .map(|_| {
            let node = nodes[rng.usize(..nodes.len())];
            match rng.u32(..100) {
                0..20 => format!("send {}", rng.u32(1..30)),
                20..35 => format!("step {}", rng.u32(1..80)),
                35..45 => format!("run {}", rng.u32(1..5000)),
                45..50 => "run".to_owned(),
                50..65 => format!("back {}", rng.u32(1..120)),
                65..72 => format!("crash {node} {}", ["process", "power"][rng.usize(..2)]),
                72..80 => format!("restart {node}"),
                80..84 => {
                    format!("drop next {}", ["request", "response", "delivery", "commit"][rng.usize(..4)])
                }
                84..87 => format!("partition {node}"),
                87..90 => "heal".to_owned(),
                90..93 => "fail next 2".to_owned(),
                93..95 => "promote replica".to_owned(),
                _ => format!(
                    "set {}",
                    [
                        "broker.flush sync",
                        "broker.flush async",
                        "broker.replication sync",
                        "producer.send async"
                    ][rng.usize(..4)]
                ),
            }
        })
        .collect();
    commands.join("; ")
}

fn cases(default: u64) -> Vec<u64> {
    if let Some(seed) = std::env::var("MQLAB_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let n = std::env::var("MQLAB_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    (0..n).collect()
}

#[test]
fn back_from_snapshots_equals_replay_from_the_start() {
    for seed in cases(6) {
        let reproduce = format!(
            "reproduce: MQLAB_SEED={seed} cargo test -p mqlab-core --test session_lines \
             back_from_snapshots_equals_replay_from_the_start"
        );
        let storage = if seed % 3 == 0 { StorageKind::Mmap } else { StorageKind::Mem };
        let mut fast = session(seed, storage);
        fast.set_snapshot_every(1 + seed % 13);
        let mut slow = session(seed, StorageKind::Mem);
        slow.set_snapshot_every(u64::MAX);
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut lines = Vec::new();
        for _ in 0..60 {
            let line = random_line(&mut rng);
            lines.push(line.clone());
            let a = fast.execute(&line).map_err(|e| e.to_string());
            let b = slow.execute(&line).map_err(|e| e.to_string());
            let here =
                || format!("seed {seed}, {storage:?}, after the lines:\n{}\n{reproduce}", lines.join("\n"));
            assert_eq!(a.is_ok(), b.is_ok(), "{a:?} vs {b:?}; {}", here());
            assert_eq!(state(&fast), state(&slow), "{}", here());
            if let Err(e) = fast.check_invariants() {
                panic!("{e}; {}", here());
            }
        }
    }
}
