//! Simulator benchmarks: events per second on MemStorage, and rewinding a 1,000-step session.

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

criterion_group!(benches, events, rewind);
criterion_main!(benches);
