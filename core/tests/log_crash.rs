//! A real process crash: a child process (this test binary, re-executed) appends records
//! through MmapStorage, syncs only some of them, and dies with `abort`. The parent reopens the
//! files and must find every record, because the page cache outlives the process.

use std::process::Command;

use mqlab_core::ids::{MsgId, ProducerId};
use mqlab_core::log::{CommitLog, LogConfig, Record, StorageKind};

/// Set in the child's environment to the log directory it writes.
const CHILD_DIR: &str = "MQLAB_LOG_CRASH_CHILD_DIR";
const CONFIG: LogConfig = LogConfig { segment_size_bytes: 4096 };
const RECORDS: u64 = 100;
const FLUSHED: u64 = 30;

fn rec(i: u64) -> Record {
    Record {
        msg_id: MsgId(i),
        producer_id: ProducerId(1),
        seq: i,
        reconsume_times: 0,
        queue_id: 0,
        topic: mqlab_core::log::TOPIC.into(),
        key: format!("order-{i}"),
        timestamp_ms: i,
        body: vec![(i % 251) as u8; 100 + (i as usize * 7) % 200],
    }
}

/// The child: append, sync the first FLUSHED records only, append the rest, die.
fn child(dir: &str) -> ! {
    let (mut log, _) = CommitLog::open(StorageKind::Mmap, dir.as_ref(), CONFIG).expect("child opens the log");
    for i in 0..RECORDS {
        log.append(&rec(i)).expect("child appends");
        if i + 1 == FLUSHED {
            log.flush().expect("child flushes");
        }
    }
    assert!(log.flushed_pos() < log.written_pos());
    std::process::abort();
}

#[test]
fn records_written_before_an_abort_survive_it() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        child(&dir);
    }
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "records_written_before_an_abort_survive_it", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .status()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(6), "the child must die of SIGABRT, not exit: {status:?}");
    let (log, report) = CommitLog::open(StorageKind::Mmap, dir.path(), CONFIG).unwrap();
    assert_eq!(report.records_kept, RECORDS, "{report:?}");
    assert_eq!((report.bytes_cut, report.reason), (0, None));
    let got: Vec<Record> = log.read_from(0).unwrap().into_iter().map(|s| s.record).collect();
    assert_eq!(got, (0..RECORDS).map(rec).collect::<Vec<_>>());
    assert!(log.segment_paths().len() > 3, "the records span several segments");
}
