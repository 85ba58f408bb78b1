//! Simulator benchmarks: events per second on MemStorage, rewinding a 1,000-step session, and
//! going back one step at step 100,000 (which restores the nearest snapshot: its cost does not
//! grow with the length of the session).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mqlab_core::log::StorageKind;
use mqlab_core::session::{Session, SessionConfig};

fn mem_session() -> Session {
    Session::new(SessionConfig { storage: StorageKind::Mem, seed: 7, ..SessionConfig::default() })
        .expect("a MemStorage session")
}

fn events(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    let mut probe = mem_session();
    probe.perform("send 2000; run").expect("run");
    group.throughput(Throughput::Elements(probe.step()));
    // Building the world and freeing its trace happen outside the measurement: the figure is
    // the cost of processing events (handling, explaining, recording them in the trace).
    group.bench_function("events_mem_send_2000_run", |b| {
        b.iter_batched(
            mem_session,
            |mut s| {
                s.execute("send 2000; run").expect("run");
                s
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn rewind(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(20);
    for (name, storage) in
        [("rewind_1000_steps_mem", StorageKind::Mem), ("rewind_1000_steps_mmap", StorageKind::Mmap)]
    {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut s = Session::new(SessionConfig { storage, seed: 7, ..SessionConfig::default() })
                        .expect("session");
                    s.perform("set broker.flush sync; set broker.replication sync; send 150; step 400; crash broker process; restart broker; run")
                        .expect("run");
                    while s.step() < 1000 {
                        s.perform("send 10; run").expect("run");
                    }
                    s
                },
                |mut s| {
                    s.back(1).expect("back");
                    s
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// A session at step 100,000 or a little past it; without snapshots, `back` replays from step 0
/// (as every `back` did before snapshots), for comparison.
fn long_session(storage: StorageKind, snapshots: bool) -> Session {
    let mut s =
        Session::new(SessionConfig { storage, seed: 7, ..SessionConfig::default() }).expect("session");
    if !snapshots {
        s.set_snapshot_every(u64::MAX);
    }
    s.execute("set broker.flush sync; set broker.replication sync").expect("settings");
    while s.step() < 100_000 {
        s.execute("send 1000; run").expect("run");
    }
    s
}

fn back_at_100k(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(20);
    for (name, storage, snapshots) in [
        ("back_1_at_step_100000_mem", StorageKind::Mem, true),
        ("back_1_at_step_100000_mmap", StorageKind::Mmap, true),
        ("back_1_at_step_100000_mem_no_snapshots", StorageKind::Mem, false),
    ] {
        let mut s = long_session(storage, snapshots);
        // Back one step and forward again: the session stays at the same step, so every
        // iteration measures the same `back`.
        group.bench_function(name, |b| {
            b.iter(|| {
                s.back(1).expect("back");
                s.execute("step 1").expect("step");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, events, rewind, back_at_100k);
criterion_main!(benches);
