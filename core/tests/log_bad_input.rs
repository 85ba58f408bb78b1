//! Bad log directories: whatever is in them, opening gives a clean recovery or one clear error
//! naming the file and the problem — never a panic, never a valid record lost before the damage.

use std::fs;
use std::path::Path;

use mqlab_core::ids::{MsgId, ProducerId};
use mqlab_core::log::{
    CommitLog, CutCause, LogConfig, LogError, Record, RecoveryReport, StorageKind, segment_name,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const SIZE: u64 = 512;
const CONFIG: LogConfig = LogConfig { segment_size_bytes: SIZE };

fn rec(i: u64) -> Record {
    Record {
        msg_id: MsgId(i),
        producer_id: ProducerId(1),
        seq: i,
        reconsume_times: 0,
        queue_id: 0,
        topic: String::new(),
        key: format!("k{i}"),
        timestamp_ms: i,
        body: vec![i as u8; 88],
    }
}

/// Writes `n` records (150 bytes each, 3 per segment) and closes the log cleanly.
fn write_log(dir: &Path, n: u64) {
    let (mut log, _) = CommitLog::open(StorageKind::Mmap, dir, CONFIG).unwrap();
    for i in 0..n {
        log.append(&rec(i)).unwrap();
    }
    log.close().unwrap();
}

fn open(dir: &Path) -> Result<(Vec<u64>, RecoveryReport), LogError> {
    let (log, report) = CommitLog::open(StorageKind::Mmap, dir, CONFIG)?;
    let ids = log.read_from(0)?.iter().map(|s| s.record.msg_id.0).collect();
    Ok((ids, report))
}

fn seg(dir: &Path, start: u64) -> std::path::PathBuf {
    dir.join(segment_name(start))
}

#[test]
fn files_with_other_names_are_ignored_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 5);
    let junk = [
        ("notes.txt", b"not a segment".to_vec()),
        ("empty", Vec::new()),
        ("00000000000000000000.bak", vec![0xff; 700]),
        ("0000000000000000512", vec![1; 10]),
        ("0000000000000000051x", vec![2; 10]),
    ];
    for (name, bytes) in &junk {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    let (ids, report) = open(dir.path()).unwrap();
    assert_eq!(ids, [0, 1, 2, 3, 4]);
    assert_eq!((report.bytes_cut, report.reason), (0, None));
    for (name, bytes) in &junk {
        assert_eq!(&fs::read(dir.path().join(name)).unwrap(), bytes, "{name} was touched");
    }
}

#[test]
fn a_segment_full_of_garbage_is_cut_after_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 5);
    // Segment 1 holds records 3 and 4; replace it with garbage.
    fs::write(seg(dir.path(), SIZE), (0..SIZE).map(|i| (i * 7 + 3) as u8).collect::<Vec<_>>()).unwrap();
    let (ids, report) = open(dir.path()).unwrap();
    assert_eq!(ids, [0, 1, 2]);
    assert_eq!(report.bytes_kept, SIZE);
    assert_eq!(report.bytes_cut, SIZE);
    let reason = report.reason.unwrap();
    assert!(reason.contains(&segment_name(SIZE)) && reason.contains("bad magic"), "{reason}");
    // Flushed bytes that no longer read back: corruption. The garbage is set aside first.
    assert_eq!(report.cause, Some(CutCause::Corrupt));
    let aside = fs::read(dir.path().join(format!("{}.cut-1", segment_name(SIZE)))).unwrap();
    assert_eq!(aside, (0..SIZE).map(|i| (i * 7 + 3) as u8).collect::<Vec<_>>());
    // And the log goes on from there.
    let (mut log, report) = CommitLog::open(StorageKind::Mmap, dir.path(), CONFIG).unwrap();
    assert_eq!((report.bytes_cut, report.reason), (0, None));
    assert_eq!(log.append(&rec(9)).unwrap(), SIZE);
}

#[test]
fn a_garbage_first_segment_leaves_an_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(seg(dir.path(), 0), b"GARBAGE GARBAGE GARBAGE").unwrap();
    let (ids, report) = open(dir.path()).unwrap();
    assert!(ids.is_empty());
    assert_eq!(report.bytes_cut, 23);
    let reason = report.reason.unwrap();
    assert!(reason.contains("segment 00000000000000000000, offset 0"), "{reason}");
    assert!(reason.contains("was 23 bytes"), "{reason}");
}

#[test]
fn zero_length_segments_are_empty_segments() {
    // Alone: an empty log.
    let dir = tempfile::tempdir().unwrap();
    fs::write(seg(dir.path(), 0), b"").unwrap();
    let (ids, report) = open(dir.path()).unwrap();
    assert!(ids.is_empty());
    assert_eq!((report.records_kept, report.bytes_cut), (0, 0));
    assert!(report.reason.unwrap().contains("was 0 bytes, shorter than the segment size 512"));
    assert_eq!(fs::metadata(seg(dir.path(), 0)).unwrap().len(), SIZE, "extended to a full segment");

    // After a segment closed by its marker (a crash right after creating the next file): the
    // log continues in the empty one.
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 7);
    fs::write(seg(dir.path(), 2 * SIZE), b"").unwrap();
    let (ids, report) = open(dir.path()).unwrap();
    assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
    assert_eq!((report.bytes_kept, report.bytes_cut), (2 * SIZE, 0));
    let (mut log, _) = CommitLog::open(StorageKind::Mmap, dir.path(), CONFIG).unwrap();
    assert_eq!(log.append(&rec(6)).unwrap(), 2 * SIZE);
}

#[test]
fn a_truncated_segment_keeps_the_records_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 5);
    // Segment 1 holds records 3 (512..662) and 4 (662..812); cut it inside record 4.
    let path = seg(dir.path(), SIZE);
    let bytes = fs::read(&path).unwrap();
    // The cut ends inside record 4's body, whose bytes are non-zero.
    fs::write(&path, &bytes[..213]).unwrap();
    let (ids, report) = open(dir.path()).unwrap();
    assert_eq!(ids, [0, 1, 2, 3]);
    assert_eq!(report.bytes_kept, SIZE + 150);
    assert_eq!(report.bytes_cut, 63);
    let reason = report.reason.unwrap();
    assert!(reason.contains(&format!("segment {}, offset 662", segment_name(SIZE))), "{reason}");
    assert!(reason.contains("was 213 bytes"), "{reason}");
}

#[test]
fn a_segment_of_the_wrong_size_is_one_clear_error_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 5);
    let path = seg(dir.path(), SIZE);
    let mut bytes = fs::read(&path).unwrap();
    bytes.resize(2 * SIZE as usize, 0);
    fs::write(&path, &bytes).unwrap();
    let err = CommitLog::open(StorageKind::Mmap, dir.path(), CONFIG).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, LogError::BadSegment { .. }), "{msg}");
    assert!(msg.contains(&path.display().to_string()) && msg.contains("1024 bytes, larger than"), "{msg}");
    assert_eq!(fs::read(&path).unwrap(), bytes, "a refused log is not touched");
    assert_eq!(fs::metadata(seg(dir.path(), 0)).unwrap().len(), SIZE);

    // Opened with the segment size it was written with, every record is there.
    fs::write(&path, &bytes[..SIZE as usize]).unwrap();
    assert_eq!(open(dir.path()).unwrap().0, [0, 1, 2, 3, 4]);
}

#[test]
fn segment_names_that_cannot_belong_to_the_log_are_errors_naming_the_file() {
    let cases: [(&str, &str); 3] = [
        ("00000000000000000100", "not a multiple of the segment size 512"),
        ("99999999999999999999", "not a 64-bit offset"),
        ("00000000000000001024", "not a regular file"),
    ];
    for (name, problem) in cases {
        let dir = tempfile::tempdir().unwrap();
        write_log(dir.path(), 2);
        let path = dir.path().join(name);
        if problem.contains("regular file") {
            fs::create_dir(&path).unwrap();
        } else {
            fs::write(&path, b"x").unwrap();
        }
        let err = CommitLog::open(StorageKind::Mmap, dir.path(), CONFIG).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with(&path.display().to_string()) && msg.contains(problem), "{name}: {msg}");
    }
}

#[test]
fn a_missing_segment_ends_the_log_there() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 9);
    fs::remove_file(seg(dir.path(), SIZE)).unwrap();
    let (ids, report) = open(dir.path()).unwrap();
    assert_eq!(ids, [0, 1, 2]);
    let reason = report.reason.unwrap();
    assert!(reason.contains(&format!("segment {} is missing", segment_name(SIZE))), "{reason}");
    assert!(reason.contains(&format!("set aside as {}.cut-1", segment_name(2 * SIZE))), "{reason}");
    assert_eq!(report.bytes_cut, 450);
    assert_eq!(report.cause, Some(CutCause::MissingSegment));
    // The intact later segment is set aside, not deleted.
    let aside = fs::read(dir.path().join(format!("{}.cut-1", segment_name(2 * SIZE)))).unwrap();
    assert_eq!(aside.len(), SIZE as usize);
}

#[test]
fn a_missing_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node").join("broker");
    let (ids, report) = open(&path).unwrap();
    assert!(ids.is_empty());
    assert_eq!(report, RecoveryReport::clean(0, 0));
    assert!(path.is_dir());
}

#[test]
fn a_directory_that_cannot_be_created_or_used_is_an_error_naming_it() {
    // A regular file where a parent directory should be: no permission bits involved, so this
    // fails for root too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, b"").unwrap();
    let under_file = file.join("log");
    let err = CommitLog::open(StorageKind::Mmap, &under_file, CONFIG).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, LogError::Io { .. }), "{msg}");
    assert!(msg.starts_with(&under_file.display().to_string()) && msg.contains("cannot create"), "{msg}");

    // The log directory itself is a regular file.
    let err = CommitLog::open(StorageKind::Mmap, &file, CONFIG).unwrap_err();
    assert!(err.to_string().starts_with(&file.display().to_string()), "{err}");
}

#[test]
fn random_files_never_panic_and_recovery_is_stable() {
    let seed = std::env::var("MQLAB_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xbad1);
    let config =
        Config { cases: 48, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..Config::default() };
    // Up to three segment files: each either a damaged copy of a real segment or random bytes.
    let file = (any::<bool>(), prop::collection::vec(any::<u8>(), 0..(SIZE as usize + 64)), any::<u16>());
    let strategy = prop::collection::vec(file, 1..4);
    let result = TestRunner::new(config).run(&strategy, |files| {
        let dir = tempfile::tempdir().unwrap();
        write_log(dir.path(), 9);
        let valid: Vec<Vec<u8>> = (0..3).map(|k| fs::read(seg(dir.path(), k * SIZE)).unwrap()).collect();
        for (k, (copy, random, at)) in files.iter().enumerate() {
            let bytes = if *copy {
                let mut b = valid[k].clone();
                let at = *at as usize % b.len();
                b[at] ^= 0x40;
                b.truncate(random.len().max(at + 1));
                b
            } else {
                random.clone()
            };
            fs::write(seg(dir.path(), k as u64 * SIZE), bytes).unwrap();
        }
        for k in files.len()..3 {
            fs::remove_file(seg(dir.path(), k as u64 * SIZE)).unwrap();
        }
        match open(dir.path()) {
            Ok((ids, _)) => {
                // Whatever survives is a prefix of what was written, and stays put.
                prop_assert!(ids.iter().enumerate().all(|(i, id)| i as u64 == *id), "{:?}", ids);
                let (again, report) = open(dir.path()).unwrap();
                prop_assert_eq!(again, ids);
                prop_assert_eq!((report.bytes_cut, report.reason), (0, None));
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(&dir.path().display().to_string()), "{}", msg);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!(
            "{e}\nreproduce: MQLAB_SEED={seed} cargo test -p mqlab-core --test log_bad_input \
             random_files_never_panic_and_recovery_is_stable"
        );
    }
}
