//! The record format as data: every field round-trips through the bytes of a segment, and
//! flipping any single bit of a stored record makes recovery cut it.

use std::path::Path;

use mqlab_core::ids::{MsgId, ProducerId};
use mqlab_core::log::{CommitLog, LogConfig, RECORD_MAGIC, RECORD_OVERHEAD, Record, StorageKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const SEGMENT: LogConfig = LogConfig { segment_size_bytes: 4096 };

/// A runner seeded from `MQLAB_SEED` (or a fixed default), so a failure can be replayed.
fn runner(cases: u32) -> (TestRunner, u64) {
    let seed = std::env::var("MQLAB_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x4d514c52);
    let config =
        Config { cases, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..Config::default() };
    (TestRunner::new(config), seed)
}

fn record_strategy() -> impl Strategy<Value = Record> {
    (
        any::<u64>(),
        any::<u32>(),
        any::<u64>(),
        ".{0,40}",
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(m, p, seq, key, ts, body)| Record {
            msg_id: MsgId(m),
            producer_id: ProducerId(p),
            seq,
            reconsume_times: (seq % 17) as u32,
            queue_id: (seq % 8) as u32,
            topic: if m % 2 == 0 { mqlab_core::log::TOPIC.into() } else { "%DLQ%lab".into() },
            key,
            timestamp_ms: ts,
            body,
        })
}

#[test]
fn every_field_round_trips_through_the_bytes() {
    let (mut runner, seed) = runner(256);
    let result = runner.run(&prop::collection::vec(record_strategy(), 1..12), |records| {
        for kind in [StorageKind::Mem, StorageKind::Mmap] {
            let dir = tempfile::tempdir().unwrap();
            let (mut log, _) = CommitLog::open(kind, dir.path(), SEGMENT).unwrap();
            for r in &records {
                log.append(r).unwrap();
            }
            // Read back both from the live log and from the bytes after a restart.
            let live: Vec<Record> = log.read_from(0).unwrap().into_iter().map(|s| s.record).collect();
            prop_assert_eq!(&live, &records);
            let (log, report) = log.crash_process().recover().unwrap();
            prop_assert_eq!(report.records_kept, records.len() as u64);
            let back: Vec<Record> = log.read_from(0).unwrap().into_iter().map(|s| s.record).collect();
            prop_assert_eq!(&back, &records);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!(
            "{e}\nreproduce: MQLAB_SEED={seed} cargo test -p mqlab-core --test log_format \
             every_field_round_trips_through_the_bytes"
        );
    }
}

#[test]
fn the_bytes_follow_the_documented_table() {
    let r = Record {
        msg_id: MsgId(0x0102030405060708),
        producer_id: ProducerId(0x0a0b0c0d),
        seq: 0x1112131415161718,
        reconsume_times: 0x31323334,
        queue_id: 0x35363738,
        topic: "top".into(),
        key: "key".into(),
        timestamp_ms: 0x2122232425262728,
        body: b"body!".to_vec(),
    };
    let (mut log, _) = CommitLog::open(StorageKind::Mem, Path::new(""), SEGMENT).unwrap();
    log.append(&r).unwrap();
    let second = log.append(&r).unwrap();
    let seg = log.segment_bytes(0).unwrap();
    // The CRC covers the record's log offset (8 bytes LE), then bytes 12..total_len.
    let crc = |offset: u64, bytes: &[u8]| {
        let mut h = crc32fast::Hasher::new();
        h.update(&offset.to_le_bytes());
        h.update(bytes);
        h.finalize()
    };
    let le32 = |at: usize| u32::from_le_bytes(seg[at..at + 4].try_into().unwrap());
    let le64 = |at: usize| u64::from_le_bytes(seg[at..at + 8].try_into().unwrap());
    let len = RECORD_OVERHEAD + 3 + 3 + 5;
    assert_eq!(le32(0) as usize, len);
    assert_eq!(le32(4), RECORD_MAGIC);
    assert_eq!(&seg[4..8], b"MQLR");
    assert_eq!(le32(8), crc(0, &seg[12..len]));
    assert_eq!(second as usize, len);
    assert_eq!(le32(len + 8), crc(second, &seg[len + 12..2 * len]), "the same record at another offset");
    assert_ne!(le32(8), le32(len + 8));
    assert_eq!(le64(12), r.msg_id.0);
    assert_eq!(le32(20), r.producer_id.0);
    assert_eq!(le64(24), r.seq);
    assert_eq!(le32(32), r.reconsume_times);
    assert_eq!(le32(36), r.queue_id);
    assert_eq!(le32(40), 3);
    assert_eq!(&seg[44..47], b"top");
    assert_eq!(le32(47), 3);
    assert_eq!(&seg[51..54], b"key");
    assert_eq!(le64(54), r.timestamp_ms);
    assert_eq!(le32(62), 5);
    assert_eq!(&seg[66..71], b"body!");
    assert!(seg[2 * len..].iter().all(|&b| b == 0), "the rest of a new segment is zero");
}

#[test]
fn flipping_any_single_bit_of_a_record_is_detected() {
    let records = [
        Record {
            msg_id: MsgId(1),
            producer_id: ProducerId(2),
            seq: 3,
            reconsume_times: 0,
            queue_id: 0,
            topic: mqlab_core::log::TOPIC.into(),
            key: "k".into(),
            timestamp_ms: 4,
            body: b"first".to_vec(),
        },
        Record {
            msg_id: MsgId(9),
            producer_id: ProducerId(8),
            seq: 7,
            reconsume_times: 0,
            queue_id: 0,
            topic: mqlab_core::log::TOPIC.into(),
            key: "ключ".into(),
            timestamp_ms: 6,
            body: (0..=255).collect(),
        },
    ];
    let (mut log, _) = CommitLog::open(StorageKind::Mem, Path::new(""), SEGMENT).unwrap();
    let first = log.append(&records[0]).unwrap();
    let second = log.append(&records[1]).unwrap();
    let end = log.written_pos();
    assert_eq!(first, 0);
    let mut closed = log.close().unwrap();
    let pristine = closed.raw_segments().unwrap();
    for bit in second * 8..end * 8 {
        let mut damaged = pristine.clone();
        damaged[0].1[(bit / 8) as usize] ^= 1 << (bit % 8);
        closed.set_raw_segments(damaged).unwrap();
        let (log, report) = closed.recover().unwrap();
        assert_eq!(report.records_kept, 1, "bit {bit} of the second record went unnoticed");
        assert_eq!(report.bytes_kept, second, "bit {bit}");
        assert!(report.reason.is_some(), "bit {bit}: a cut needs a reason");
        assert_eq!(log.read_from(0).unwrap()[0].record, records[0], "bit {bit}");
        closed = log.crash_process();
    }
    for bit in 0..second * 8 {
        let mut damaged = pristine.clone();
        damaged[0].1[(bit / 8) as usize] ^= 1 << (bit % 8);
        closed.set_raw_segments(damaged).unwrap();
        let (log, report) = closed.recover().unwrap();
        assert_eq!(report.records_kept, 0, "bit {bit} of the first record went unnoticed");
        assert_eq!(report.bytes_kept, 0, "bit {bit}");
        closed = log.crash_process();
    }
}
