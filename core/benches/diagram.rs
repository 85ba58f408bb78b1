//! Sequence diagram benchmarks: what a lab pays per frame for the rows around the current step
//! of a long run (the newest 30 rows, and 30 rows in the middle), laid out as text, against
//! building the diagram of the whole trace.

use criterion::{Criterion, criterion_group, criterion_main};
use mqlab_core::diagram::{Diagram, render_text};
use mqlab_core::lesson::Lang;
use mqlab_core::log::StorageKind;
use mqlab_core::session::{Session, SessionConfig};

/// A run of more than 100,000 events, with a partition and a crash in it.
fn long_run() -> Session {
    let mut session =
        Session::new(SessionConfig { storage: StorageKind::Mem, seed: 7, ..SessionConfig::default() })
            .expect("a MemStorage session");
    session
        .execute("send 10000; run; send 10000; run; partition consumer; send 2000; run 100; crash broker process; restart broker; heal; run")
        .expect("run");
    assert!(session.step() > 100_000, "{} events", session.step());
    session
}

fn diagram(c: &mut Criterion) {
    let session = long_run();
    let (trace, topology) = (session.trace(), session.view().topology);
    let mut group = c.benchmark_group("diagram");
    group.bench_function("newest_30_rows_of_100k_events", |b| {
        b.iter(|| Diagram::last_rows(trace, &topology, trace.len(), 30))
    });
    let middle = trace.len() / 2;
    group.bench_function("30_rows_in_the_middle_of_100k_events", |b| {
        b.iter(|| Diagram::last_rows(trace, &topology, middle, 30))
    });
    let rows = Diagram::last_rows(trace, &topology, trace.len(), 30);
    group.bench_function("layout_30_rows_at_120_columns", |b| b.iter(|| render_text(&rows, 120, Lang::En)));
    group.sample_size(10);
    group.bench_function("whole_trace_of_100k_events", |b| b.iter(|| Diagram::build(trace, &topology)));
    group.finish();
}

criterion_group!(benches, diagram);
criterion_main!(benches);
