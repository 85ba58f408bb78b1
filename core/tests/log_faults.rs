//! Faults with their real meaning, checked against a model and across backings: random runs of
//! appends, flushes, process crashes, power losses (with and without a torn tail), clean
//! shutdowns and disk failures must leave MmapStorage and MemStorage with identical bytes and
//! identical recovery reports, and each must keep exactly what the fault spares.

use mqlab_core::ids::{MsgId, ProducerId};
use mqlab_core::log::{
    ClosedLog, CommitLog, LogConfig, RawSegments, Record, RecoveryReport, StorageKind, TornTail,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const CONFIG: LogConfig = LogConfig { segment_size_bytes: 512 };

#[derive(Debug, Clone)]
enum Op {
    /// Append a record whose body has this many bytes.
    Append(usize),
    Flush,
    CrashProcess,
    PowerLoss(Option<Vec<u8>>),
    Close,
    DiskFailure,
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (0usize..300).prop_map(Op::Append),
        3 => Just(Op::Flush),
        1 => Just(Op::CrashProcess),
        2 => prop::option::of(prop::collection::vec(any::<u8>(), 1..64)).prop_map(Op::PowerLoss),
        1 => Just(Op::Close),
        1 => Just(Op::DiskFailure),
    ]
}

fn rec(i: u64, body: usize) -> Record {
    Record {
        msg_id: MsgId(i),
        producer_id: ProducerId(7),
        seq: i,
        reconsume_times: 0,
        queue_id: 0,
        topic: String::new(),
        key: format!("key-{i}"),
        timestamp_ms: i * 10,
        body: (0..body).map(|b| (b as u64 ^ i) as u8).collect(),
    }
}

/// One backing running the ops.
struct Run {
    log: Option<CommitLog>,
    _dir: tempfile::TempDir,
}

impl Run {
    fn new(kind: StorageKind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = CommitLog::open(kind, dir.path(), CONFIG).unwrap();
        Self { log: Some(log), _dir: dir }
    }

    fn log(&mut self) -> &mut CommitLog {
        self.log.as_mut().unwrap()
    }

    /// Applies a fault to the closed log, records its bytes, restarts.
    fn restart(&mut self, fault: impl FnOnce(&mut ClosedLog)) -> (RecoveryReport, RawSegments) {
        let mut closed = self.log.take().unwrap().crash_process();
        fault(&mut closed);
        let bytes = closed.raw_segments().unwrap();
        let (log, report) = closed.recover().unwrap();
        self.log = Some(log);
        (report, bytes)
    }
}

/// The model: the records in the log, and how many of them are durable.
#[derive(Debug, Default)]
struct Model {
    records: Vec<(Record, u64)>,
    durable: usize,
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut mem = Run::new(StorageKind::Mem);
    let mut mmap = Run::new(StorageKind::Mmap);
    let mut model = Model::default();
    let mut next_id = 0;
    for (step, op) in ops.iter().enumerate() {
        let ctx = format!("step {step}: {op:?}");
        let restarted = match op {
            Op::Append(body) => {
                let r = rec(next_id, *body);
                next_id += 1;
                let a = mem.log().append(&r).unwrap();
                let b = mmap.log().append(&r).unwrap();
                prop_assert_eq!(a, b, "{}", ctx);
                model.records.push((r, mem.log().written_pos()));
                None
            }
            Op::Flush => {
                let a = mem.log().flush().unwrap();
                let b = mmap.log().flush().unwrap();
                prop_assert_eq!(a, b, "{}", ctx);
                prop_assert_eq!(a.to, mem.log().written_pos(), "{}", ctx);
                model.durable = model.records.len();
                None
            }
            Op::CrashProcess => Some((mem.restart(|_| {}), mmap.restart(|_| {}))),
            Op::Close => {
                let a = mem.log.take().unwrap().close().unwrap().recover().unwrap();
                let b = mmap.log.take().unwrap().close().unwrap().recover().unwrap();
                prop_assert_eq!(&a.1, &b.1, "{}", ctx);
                mem.log = Some(a.0);
                mmap.log = Some(b.0);
                model.durable = model.records.len();
                None
            }
            Op::PowerLoss(torn) => {
                let fault =
                    |c: &mut ClosedLog| c.power_loss(torn.clone().map(|bytes| TornTail { bytes })).unwrap();
                let flushed = mem.log().flushed_pos();
                let out = (mem.restart(fault), mmap.restart(fault));
                model.records.truncate(model.durable);
                let end = model.records.last().map_or(0, |(_, e)| *e);
                prop_assert_eq!(end, flushed, "{}: the durable records end at flushed_pos", ctx);
                let report = &out.0.0;
                if torn.is_none() {
                    prop_assert_eq!(report.bytes_cut, 0, "{}", ctx);
                    prop_assert_eq!(&report.reason, &None, "{}", ctx);
                } else {
                    prop_assert!(report.bytes_cut <= 64, "{}", ctx);
                }
                Some(out)
            }
            Op::DiskFailure => {
                let fault = |c: &mut ClosedLog| c.disk_failure().unwrap();
                let out = (mem.restart(fault), mmap.restart(fault));
                prop_assert!(out.1.1.is_empty(), "{}: files left after a disk failure", ctx);
                model.records.clear();
                Some(out)
            }
        };
        if let Some(((mem_report, mem_bytes), (mmap_report, mmap_bytes))) = restarted {
            prop_assert_eq!(&mem_bytes, &mmap_bytes, "{}: stored bytes differ", ctx);
            prop_assert_eq!(&mem_report, &mmap_report, "{}: reports differ", ctx);
            prop_assert_eq!(mem_report.records_kept, model.records.len() as u64, "{}", ctx);
            // A restart makes everything kept durable.
            model.durable = model.records.len();
        }
        for run in [&mut mem, &mut mmap] {
            let log = run.log();
            let got: Vec<Record> = log.read_from(0).unwrap().into_iter().map(|s| s.record).collect();
            let want: Vec<Record> = model.records.iter().map(|(r, _)| r.clone()).collect();
            prop_assert_eq!(got, want, "{}", ctx);
            let end = model.records.last().map_or(0, |(_, e)| *e);
            prop_assert_eq!(log.written_pos(), end, "{}", ctx);
        }
        prop_assert_eq!(mem.log().flushed_pos(), mmap.log().flushed_pos(), "{}", ctx);
    }
    // Finally the bytes themselves, on a clean shutdown.
    let a = mem.log.take().unwrap().close().unwrap().raw_segments().unwrap();
    let b = mmap.log.take().unwrap().close().unwrap().raw_segments().unwrap();
    prop_assert_eq!(a, b, "final bytes differ");
    Ok(())
}

#[test]
fn random_fault_runs_match_the_model_on_both_backings() {
    let seed = std::env::var("MQLAB_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x4d514c45);
    let config =
        Config { cases: 64, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..Config::default() };
    let result = TestRunner::new(config).run(&prop::collection::vec(op_strategy(), 1..60), |ops| run(&ops));
    if let Err(e) = result {
        panic!(
            "{e}\nreproduce: MQLAB_SEED={seed} cargo test -p mqlab-core --test log_faults \
             random_fault_runs_match_the_model_on_both_backings"
        );
    }
}

#[test]
fn power_loss_keeps_exactly_the_flushed_prefix() {
    for kind in [StorageKind::Mem, StorageKind::Mmap] {
        for torn in [None, Some(vec![0x5a; 40])] {
            let dir = tempfile::tempdir().unwrap();
            let (mut log, _) = CommitLog::open(kind, dir.path(), CONFIG).unwrap();
            for i in 0..7 {
                log.append(&rec(i, 100)).unwrap();
            }
            let flushed = log.flush().unwrap().to;
            let before = log.segment_bytes(flushed / 512 * 512).unwrap().to_vec();
            for i in 7..12 {
                log.append(&rec(i, 100)).unwrap();
            }
            let mut closed = log.crash_process();
            closed.power_loss(torn.clone().map(|bytes| TornTail { bytes })).unwrap();
            let raw = closed.raw_segments().unwrap();
            // Nothing past the segment holding flushed_pos survives; in it, the flushed bytes
            // and then the torn garbage, if any.
            assert_eq!(raw.last().unwrap().0, flushed / 512 * 512, "{kind:?}");
            let seg = &raw.last().unwrap().1;
            let at = (flushed % 512) as usize;
            assert_eq!(&seg[..at], &before[..at], "{kind:?}");
            let torn_len = torn.as_ref().map_or(0, Vec::len);
            assert!(seg[at..at + torn_len].iter().all(|&b| b == 0x5a), "{kind:?}");
            assert!(seg[at + torn_len..].iter().all(|&b| b == 0), "{kind:?}");
            let (log, report) = closed.recover().unwrap();
            assert_eq!(report.records_kept, 7, "{kind:?}");
            assert_eq!(report.bytes_kept, flushed, "{kind:?}");
            assert_eq!(report.bytes_cut, torn_len as u64, "{kind:?}");
            assert_eq!(report.reason.is_some(), torn.is_some(), "{kind:?}: {report:?}");
            let ids: Vec<u64> = log.read_from(0).unwrap().iter().map(|s| s.record.msg_id.0).collect();
            assert_eq!(ids, (0..7).collect::<Vec<_>>(), "{kind:?}");
        }
    }
}

#[test]
fn a_torn_tail_never_spills_into_the_next_segment() {
    for kind in [StorageKind::Mem, StorageKind::Mmap] {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = CommitLog::open(kind, dir.path(), CONFIG).unwrap();
        // 4 records of 122 bytes: 488 bytes, 24 left in segment 0.
        for i in 0..4 {
            log.append(&rec(i, 57)).unwrap();
        }
        assert_eq!(log.flush().unwrap().to, 488);
        log.append(&rec(4, 57)).unwrap();
        let mut closed = log.crash_process();
        closed.power_loss(Some(TornTail { bytes: vec![0xff; 100] })).unwrap();
        let raw = closed.raw_segments().unwrap();
        assert_eq!(raw.len(), 1, "{kind:?}");
        assert!(raw[0].1[488..].iter().all(|&b| b == 0xff), "{kind:?}");
        let (_, report) = closed.recover().unwrap();
        assert_eq!((report.records_kept, report.bytes_cut), (4, 24), "{kind:?}");
    }
}
