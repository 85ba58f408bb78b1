//! Recovery keeps exactly the valid prefix: a multi-record, multi-segment log is cut, and
//! separately garbled, at every byte offset; both backings must recover the same records, the
//! same bytes and the same report, and a second recovery must change nothing.

use std::path::Path;

use mqlab_core::ids::{MsgId, ProducerId};
use mqlab_core::log::{
    ClosedLog, CommitLog, LogConfig, MARKER_LEN, RECORD_OVERHEAD, RawSegments, Record, RecoveryReport,
    StorageKind, StoredRecord,
};

const SIZE: u64 = 256;
const CONFIG: LogConfig = LogConfig { segment_size_bytes: SIZE };

/// A record taking exactly `total` bytes.
fn rec(i: u64, total: usize) -> Record {
    Record {
        msg_id: MsgId(i),
        producer_id: ProducerId(i as u32 % 3),
        seq: i,
        reconsume_times: 0,
        queue_id: 0,
        topic: String::new(),
        key: "k".into(),
        timestamp_ms: 1000 + i,
        body: (0..total - RECORD_OVERHEAD - 1).map(|b| (b as u64 * 31 + i) as u8).collect(),
    }
}

/// Something recovery must find intact, in log order.
#[derive(Debug, Clone, Copy)]
enum Item {
    Record {
        offset: u64,
        end: u64,
    },
    /// The close of a segment at `at`: a marker when 8 bytes are left, otherwise nothing.
    Close {
        at: u64,
        marker: bool,
    },
}

/// The log under test: segment 0 ends with a marker, segment 1 is filled exactly, segment 2
/// ends with 6 bytes too few for a marker, segment 3 is partly written.
fn build() -> (RawSegments, Vec<StoredRecord>, Vec<Item>) {
    let sizes = [90, 90, 256, 100, 150, 100, 64, 64];
    let (mut log, _) = CommitLog::open(StorageKind::Mem, Path::new(""), CONFIG).unwrap();
    for (i, &s) in sizes.iter().enumerate() {
        log.append(&rec(i as u64, s)).unwrap();
    }
    let stored = log.read_from(0).unwrap();
    let mut items = Vec::new();
    let mut prev_end = 0;
    for s in &stored {
        if s.offset != prev_end {
            let left = SIZE - prev_end % SIZE;
            items.push(Item::Close { at: prev_end, marker: left >= MARKER_LEN as u64 });
        }
        items.push(Item::Record { offset: s.offset, end: s.next_offset });
        prev_end = s.next_offset;
    }
    let raw = log.close().unwrap().raw_segments().unwrap();
    assert_eq!(raw.len(), 4);
    assert_eq!(stored.iter().map(|s| s.offset).collect::<Vec<_>>(), [0, 90, 256, 512, 612, 768, 868, 932]);
    (raw, stored, items)
}

/// What must survive: the records before the first item `damaged` says is hit, and where the
/// valid prefix ends. `present(start)` says whether the segment at `start` is still there.
fn expected(items: &[Item], damaged: impl Fn(u64, u64) -> bool, present: impl Fn(u64) -> bool) -> (u64, u64) {
    let (mut records, mut end) = (0, 0);
    for item in items {
        match *item {
            Item::Record { offset, end: e } => {
                if damaged(offset, e) {
                    // Recovery stops at the bad record, if its segment is there to scan.
                    if present(offset / SIZE * SIZE) {
                        end = offset;
                    }
                    break;
                }
                records += 1;
                end = e;
            }
            Item::Close { at, marker: true } => {
                if damaged(at, at + MARKER_LEN as u64) {
                    break;
                }
                end = (at / SIZE + 1) * SIZE;
            }
            // A tail too short for a marker holds nothing: the log ends where the data does.
            Item::Close { marker: false, .. } => {}
        }
    }
    (records, end)
}

/// The stored bytes recovery must leave: the damaged files up to `end`, zeros after, full-size
/// segments, none starting past `end`.
fn expected_bytes(damaged: &RawSegments, end: u64) -> RawSegments {
    damaged
        .iter()
        .filter(|(start, _)| *start <= end)
        .map(|(start, bytes)| {
            let mut b = bytes.clone();
            b.resize(SIZE as usize, 0);
            let keep = (end - start).min(SIZE) as usize;
            b[keep..].fill(0);
            (*start, b)
        })
        .collect()
}

struct Backing {
    kind: StorageKind,
    closed: Option<ClosedLog>,
    _dir: tempfile::TempDir,
}

impl Backing {
    fn new(kind: StorageKind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = CommitLog::open(kind, dir.path(), CONFIG).unwrap();
        Self { kind, closed: Some(log.crash_process()), _dir: dir }
    }

    /// Stores `raw`, recovers twice; returns both reports, the records and the bytes.
    fn recover(
        &mut self,
        raw: RawSegments,
    ) -> (RecoveryReport, RecoveryReport, Vec<StoredRecord>, RawSegments) {
        let mut closed = self.closed.take().unwrap();
        closed.set_raw_segments(raw).unwrap();
        let (log, first) = closed.recover().unwrap();
        assert_eq!(log.written_pos(), first.bytes_kept);
        assert_eq!(log.flushed_pos(), first.bytes_kept);
        let records = log.read_from(0).unwrap();
        let closed = log.crash_process();
        let bytes = closed.raw_segments().unwrap();
        let (log, second) = closed.recover().unwrap();
        self.closed = Some(log.crash_process());
        (first, second, records, bytes)
    }
}

fn check_every_offset(
    what: &str,
    damage: impl Fn(&RawSegments, u64) -> RawSegments,
    hit: impl Fn(u64, u64, u64) -> bool,
) {
    let (raw, stored, items) = build();
    let mut mem = Backing::new(StorageKind::Mem);
    let mut mmap = Backing::new(StorageKind::Mmap);
    for b in 0..SIZE * 4 {
        let damaged = damage(&raw, b);
        let (records, end) =
            expected(&items, |from, to| hit(b, from, to), |start| damaged.iter().any(|(s, _)| *s == start));
        let want_bytes = expected_bytes(&damaged, end);
        let mut results = Vec::new();
        for backing in [&mut mem, &mut mmap] {
            let kind = backing.kind;
            let (first, second, got, bytes) = backing.recover(damaged.clone());
            let ctx = format!("{what} at byte {b} ({kind:?}): {first:?}");
            assert_eq!(first.records_kept, records, "{ctx}");
            assert_eq!(first.bytes_kept, end, "{ctx}");
            assert_eq!(got.len() as u64, records, "{ctx}");
            for (g, s) in got.iter().zip(&stored) {
                assert_eq!(g, s, "{ctx}");
            }
            assert_eq!(bytes, want_bytes, "{ctx}: stored bytes");
            assert_eq!(
                second,
                RecoveryReport::clean(records, end),
                "{ctx}: the second recovery must find a clean log"
            );
            if first.bytes_cut > 0 {
                assert!(first.reason.is_some(), "{ctx}: a cut needs a reason");
            }
            results.push((first, bytes));
        }
        assert_eq!(results[0], results[1], "{what} at byte {b}: Mem and Mmap differ");
    }
}

#[test]
fn cutting_at_every_byte_keeps_exactly_the_valid_prefix() {
    check_every_offset(
        "cut",
        |raw, b| {
            raw.iter()
                .filter(|(start, _)| *start < b)
                .map(|(start, bytes)| (*start, bytes[..(b - start).min(SIZE) as usize].to_vec()))
                .collect()
        },
        // An item survives a cut at b when all its bytes lie before b.
        |b, _from, to| to > b,
    );
}

#[test]
fn garbling_any_byte_keeps_exactly_the_valid_prefix() {
    check_every_offset(
        "garble",
        |raw, b| {
            let mut damaged = raw.to_vec();
            let seg = &mut damaged[(b / SIZE) as usize].1;
            seg[(b % SIZE) as usize] ^= (b * 37 % 255 + 1) as u8;
            damaged
        },
        |b, from, to| (from..to).contains(&b),
    );
}

#[test]
fn garbage_past_the_end_is_cut_and_reported() {
    let (mut raw, stored, _) = build();
    let end = stored.last().unwrap().next_offset;
    let at = (end % SIZE) as usize + 20;
    raw[3].1[at..at + 3].copy_from_slice(&[1, 2, 3]);
    for kind in [StorageKind::Mem, StorageKind::Mmap] {
        let (first, _, got, _) = Backing::new(kind).recover(raw.clone());
        assert_eq!(got.len(), stored.len());
        assert_eq!(first.bytes_kept, end);
        // From the end of the log to the last nonzero byte.
        assert_eq!(first.bytes_cut, 23);
        let reason = first.reason.unwrap();
        assert!(reason.contains("00000000000000000768") && reason.contains("nonzero"), "{reason}");
    }
}
