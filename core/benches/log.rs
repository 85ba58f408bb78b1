//! Commit log benchmarks: what the durability choices cost on this machine.
//!
//! - `append`: 1 KiB records appended without flushing, against a plain copy of the same bytes
//!   into a fresh mapping, in one run (the ratio is the figure);
//! - `recovery`: the restart scan over 64 MiB of records (bytes per second);
//! - `sync`: one msync per record against group commit, one msync per 64 records (records per
//!   second of each), with 1 KiB records and with 256-byte ones.
//!
//! Run with `cargo bench -p mqlab-core --bench log`; figures go to `core/benches/RESULTS.md`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mqlab_core::ids::{MsgId, ProducerId};
use mqlab_core::log::{
    CommitLog, LogConfig, MmapStorage, RECORD_OVERHEAD, Record, Storage, StorageKind, TOPIC,
};

const RECORD_BYTES: usize = 1024;
/// Bytes appended per measured batch: 16 segments of the default size.
const BATCH_BYTES: usize = 16 << 20;
const RECOVERY_BYTES: usize = 64 << 20;
const GROUP: u64 = 64;

/// A record that takes exactly 1 KiB in the log.
fn record(i: u64) -> Record {
    record_of(i, RECORD_BYTES)
}

/// A record that takes exactly `bytes` in the log.
fn record_of(i: u64, bytes: usize) -> Record {
    let key = format!("k{:06}", i % 1_000_000);
    Record {
        msg_id: MsgId(i),
        producer_id: ProducerId(1),
        seq: i,
        reconsume_times: 0,
        queue_id: 0,
        topic: TOPIC.into(),
        body: vec![(i % 251) as u8; bytes - RECORD_OVERHEAD - TOPIC.len() - key.len()],
        key,
        timestamp_ms: i,
    }
}

fn open(kind: StorageKind, dir: &Path) -> CommitLog {
    CommitLog::open(kind, dir, LogConfig::default()).expect("open the log").0
}

fn append(c: &mut Criterion) {
    let records: Vec<Record> = (0..(BATCH_BYTES / RECORD_BYTES) as u64).map(record).collect();
    // The same bytes the log writes, for the copy baseline.
    let encoded: Vec<u8> = {
        let (mut log, _) = CommitLog::open(StorageKind::Mem, Path::new(""), LogConfig::default()).unwrap();
        let mut out = Vec::with_capacity(BATCH_BYTES);
        for r in &records {
            let at = log.append(r).unwrap();
            let seg = at / (1 << 20) * (1 << 20);
            let rel = (at - seg) as usize;
            out.extend_from_slice(&log.segment_bytes(seg).unwrap()[rel..rel + RECORD_BYTES]);
        }
        out
    };
    let mut group = c.benchmark_group("append");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(BATCH_BYTES as u64));
    group.bench_function("memcpy_1KiB_into_fresh_mapping", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let mut storage = MmapStorage::new(dir.path(), BATCH_BYTES as u64);
                storage.open_segments().unwrap();
                storage.create_segment(0).unwrap();
                (dir, storage)
            },
            |(dir, mut storage)| {
                let map = storage.segment_mut(0).unwrap();
                for (dst, src) in map.chunks_exact_mut(RECORD_BYTES).zip(encoded.chunks_exact(RECORD_BYTES)) {
                    dst.copy_from_slice(src);
                }
                (dir, storage)
            },
            BatchSize::PerIteration,
        )
    });
    for kind in [StorageKind::Mmap, StorageKind::Mem] {
        group.bench_function(format!("log_append_1KiB_no_flush_{kind:?}").to_lowercase(), |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let log = open(kind, dir.path());
                    (dir, log)
                },
                |(dir, mut log)| {
                    for r in &records {
                        black_box(log.append(r).unwrap());
                    }
                    (dir, log)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn recovery(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(StorageKind::Mmap, dir.path());
    for i in 0..(RECOVERY_BYTES / RECORD_BYTES) as u64 {
        log.append(&record(i)).unwrap();
    }
    let raw = log.close().unwrap().raw_segments().unwrap();
    let mut group = c.benchmark_group("recovery");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(RECOVERY_BYTES as u64));
    // A restart: the machine knows what was synced, so recovery only scans (and syncs
    // nothing, the log having been closed cleanly).
    group.bench_function("restart_64MiB_mmap", |b| {
        b.iter_batched(
            || open(StorageKind::Mmap, dir.path()).close().unwrap(),
            |closed| {
                let (log, report) = closed.recover().unwrap();
                assert_eq!(report.records_kept, (RECOVERY_BYTES / RECORD_BYTES) as u64);
                log
            },
            BatchSize::PerIteration,
        )
    });
    // Opening files another process left: nothing is known to be synced, so every segment is
    // synced once (a device flush each on a real disk).
    group.bench_function("cold_open_64MiB_mmap", |b| {
        b.iter_with_large_drop(|| {
            let (log, report) = CommitLog::open(StorageKind::Mmap, dir.path(), LogConfig::default()).unwrap();
            assert_eq!(report.records_kept, (RECOVERY_BYTES / RECORD_BYTES) as u64);
            log
        })
    });
    group.bench_function("restart_64MiB_mem", |b| {
        b.iter_batched(
            || {
                let mut closed = open(StorageKind::Mem, Path::new("")).crash_process();
                closed.set_raw_segments(raw.clone()).unwrap();
                closed
            },
            |closed| {
                let (log, report) = closed.recover().unwrap();
                assert_eq!(report.records_kept, (RECOVERY_BYTES / RECORD_BYTES) as u64);
                log
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Appends and syncs `batch` records per step on a real file log; returns the time spent in
/// `iters` steps. A fresh log replaces a full one outside the measured time.
fn sync_steps(iters: u64, batch: u64, record_bytes: usize) -> Duration {
    let mut dir = tempfile::tempdir().unwrap();
    let mut log = open(StorageKind::Mmap, dir.path());
    let mut total = Duration::ZERO;
    for i in 0..iters {
        if log.written_pos() > 32 << 20 {
            dir = tempfile::tempdir().unwrap();
            log = open(StorageKind::Mmap, dir.path());
        }
        let r = record_of(i, record_bytes);
        let start = Instant::now();
        for _ in 0..batch {
            log.append(&r).unwrap();
        }
        black_box(log.flush().unwrap());
        total += start.elapsed();
    }
    drop(log);
    drop(dir);
    total
}

fn sync(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(12));
    // 1 KiB records, as in `append`, and 256-byte records, the size of the lab's own messages:
    // an msync costs a fixed part plus a part per dirty page, so the gain of batching depends
    // on how many pages a batch dirties.
    for (bytes, name) in [(RECORD_BYTES, "1KiB"), (256, "256B")] {
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("msync_per_record_{name}"), |b| {
            b.iter_custom(|iters| sync_steps(iters, 1, bytes))
        });
        group.throughput(Throughput::Elements(GROUP));
        group.bench_function(format!("group_commit_64_records_{name}"), |b| {
            b.iter_custom(|iters| sync_steps(iters, GROUP, bytes))
        });
    }
    group.finish();
}

criterion_group!(benches, append, recovery, sync);
criterion_main!(benches);
