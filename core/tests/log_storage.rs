//! What the log does with files it did not expect: symbolic links are never followed, a segment
//! a little too long is cut, segments moved under another name are detected, cut bytes are set
//! aside and never deleted, and a full disk is an error, never a signal. Ends with a randomized
//! run of recovery over corrupted directories.
//!
//! `MQLAB_SEED=n` replays one run of the randomized test; `MQLAB_RECOVERY_CASES=n` runs n cases
//! (default 64) — e.g. `MQLAB_RECOVERY_CASES=20000 cargo test -p mqlab-core --test log_storage`.

use std::fs;
use std::path::{Path, PathBuf};

use mqlab_core::ids::{MsgId, ProducerId};
use mqlab_core::log::{
    CommitLog, CutCause, LogConfig, LogError, MemStorage, Opened, RawSegments, Record, Storage, StorageImage,
    StorageKind, segment_name,
};

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

fn ids(dir: &Path) -> Result<(Vec<u64>, mqlab_core::log::RecoveryReport), LogError> {
    let (log, report) = CommitLog::open(StorageKind::Mmap, dir, CONFIG)?;
    Ok((log.read_from(0)?.iter().map(|s| s.record.msg_id.0).collect(), report))
}

fn seg(dir: &Path, start: u64) -> PathBuf {
    dir.join(segment_name(start))
}

#[test]
fn a_symlink_named_like_a_segment_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious.txt");
    fs::write(&target, b"not a segment").unwrap();
    write_log(dir.path(), 5);
    for start in [SIZE, 2 * SIZE] {
        let link = seg(dir.path(), start);
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = ids(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&link.display().to_string()) && err.contains("symbolic link"), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"not a segment", "the target was touched");
        fs::remove_file(&link).unwrap();
    }
}

#[test]
fn a_segment_one_byte_too_long_is_cut_and_the_whole_file_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 5);
    let path = seg(dir.path(), SIZE);
    let mut bytes = fs::read(&path).unwrap();
    bytes.push(0x5a);
    fs::write(&path, &bytes).unwrap();
    let (got, report) = ids(dir.path()).unwrap();
    assert_eq!(got, [0, 1, 2, 3, 4]);
    assert_eq!(report.bytes_cut, 1);
    assert_eq!(report.cause, Some(CutCause::Corrupt));
    let aside = format!("{}.cut-1", segment_name(SIZE));
    assert_eq!(report.set_aside, std::slice::from_ref(&aside));
    assert!(report.reason.unwrap().contains("513 bytes, longer than the segment size 512"));
    assert_eq!(fs::read(dir.path().join(aside)).unwrap(), bytes, "the whole file is kept");
    assert_eq!(fs::metadata(&path).unwrap().len(), SIZE);
}

#[test]
fn segments_swapped_or_copied_under_another_name_are_cut_as_corruption() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 8);
    let (a, b) = (seg(dir.path(), SIZE), seg(dir.path(), 2 * SIZE));
    let tmp = dir.path().join("swap");
    fs::rename(&a, &tmp).unwrap();
    fs::rename(&b, &a).unwrap();
    fs::rename(&tmp, &b).unwrap();
    let (got, report) = ids(dir.path()).unwrap();
    assert_eq!(got, [0, 1, 2], "the records of the swapped segments are not served at the wrong offsets");
    assert_eq!(report.cause, Some(CutCause::Corrupt));
    let reason = report.reason.unwrap();
    assert!(reason.contains("CRC mismatch") && reason.contains("another offset"), "{reason}");

    // A copy of segment 0 under the name of segment 1: the same.
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 6);
    fs::copy(seg(dir.path(), 0), seg(dir.path(), SIZE)).unwrap();
    assert_eq!(ids(dir.path()).unwrap().0, [0, 1, 2]);
}

#[test]
fn intact_segments_after_a_damaged_one_are_set_aside_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 9);
    let originals: Vec<Vec<u8>> = (0..3).map(|k| fs::read(seg(dir.path(), k * SIZE)).unwrap()).collect();
    let path = seg(dir.path(), SIZE);
    let mut bytes = originals[1].clone();
    bytes[200] ^= 0xff; // inside record 4 (662..812)
    fs::write(&path, &bytes).unwrap();
    let (got, report) = ids(dir.path()).unwrap();
    assert_eq!(got, [0, 1, 2, 3]);
    let (one, two) = (format!("{}.cut-1", segment_name(SIZE)), format!("{}.cut-1", segment_name(2 * SIZE)));
    assert_eq!(report.set_aside, [one.clone(), two.clone()]);
    assert_eq!(fs::read(dir.path().join(&one)).unwrap(), bytes[..format_used(&bytes)].to_vec());
    assert_eq!(fs::read(dir.path().join(&two)).unwrap(), originals[2], "the intact segment is kept whole");
    assert!(!seg(dir.path(), 2 * SIZE).exists());
}

fn format_used(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)
}

/// A memory storage whose disk is full: no new segment can be allocated.
#[derive(Debug)]
struct FullDisk(MemStorage);

impl Storage for FullDisk {
    fn kind(&self) -> StorageKind {
        self.0.kind()
    }
    fn segment_size_bytes(&self) -> u64 {
        self.0.segment_size_bytes()
    }
    fn open_segments(&mut self) -> Result<Opened, LogError> {
        self.0.open_segments()
    }
    fn starts(&self) -> Vec<u64> {
        self.0.starts()
    }
    fn segment(&self, start: u64) -> Option<&[u8]> {
        self.0.segment(start)
    }
    fn segment_mut(&mut self, start: u64) -> Option<&mut [u8]> {
        self.0.segment_mut(start)
    }
    fn create_segment(&mut self, start: u64) -> Result<(), LogError> {
        if start >= SIZE {
            return Err(LogError::DiskFull {
                path: self.path_of(start),
                message: "cannot allocate 512 bytes: No space left on device (os error 28)".into(),
            });
        }
        self.0.create_segment(start)
    }
    fn copy_aside(&mut self, start: u64) -> Result<String, LogError> {
        self.0.copy_aside(start)
    }
    fn move_aside(&mut self, start: u64) -> Result<String, LogError> {
        self.0.move_aside(start)
    }
    fn sync(&mut self, start: u64, from: usize, to: usize) -> Result<(), LogError> {
        self.0.sync(start, from, to)
    }
    fn release(&mut self) {
        self.0.release()
    }
    fn power_loss(&mut self, flushed_pos: u64, torn: Option<&[u8]>) -> Result<(), LogError> {
        self.0.power_loss(flushed_pos, torn)
    }
    fn disk_failure(&mut self) -> Result<(), LogError> {
        self.0.disk_failure()
    }
    fn raw_segments(&self) -> Result<RawSegments, LogError> {
        self.0.raw_segments()
    }
    fn set_raw_segments(&mut self, segments: RawSegments) -> Result<(), LogError> {
        self.0.set_raw_segments(segments)
    }
    fn image(&self) -> Result<StorageImage, LogError> {
        self.0.image()
    }
    fn restore_image(&mut self, image: &StorageImage) -> Result<(), LogError> {
        self.0.restore_image(image)
    }
    fn path_of(&self, start: u64) -> PathBuf {
        self.0.path_of(start)
    }
    fn segment_paths(&self) -> Vec<PathBuf> {
        self.0.segment_paths()
    }
}

#[test]
fn a_full_disk_is_an_error_and_the_log_stays_usable() {
    let (mut log, _) = CommitLog::open_storage(Box::new(FullDisk(MemStorage::new(SIZE))), CONFIG).unwrap();
    for i in 0..3 {
        log.append(&rec(i)).unwrap();
    }
    let err = log.append(&rec(3)).unwrap_err();
    assert!(matches!(err, LogError::DiskFull { .. }), "{err}");
    assert!(err.to_string().starts_with("disk full: "), "{err}");
    // Nothing half-written: the records before are intact and readable.
    assert_eq!(log.read_from(0).unwrap().len(), 3);
    let (log, report) = log.crash_process().recover().unwrap();
    assert_eq!(report.records_kept, 3);
    assert_eq!(log.written_pos(), 3 * 150);
}

#[test]
fn a_real_full_disk_is_disk_full_not_sigbus() {
    // A small tmpfs needs root (CI runs as root); elsewhere this is skipped, saying so.
    let mnt = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(mnt.path())
        .stderr(std::process::Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let result = std::panic::catch_unwind(|| {
        let config = LogConfig { segment_size_bytes: 32 * 1024 };
        let (mut log, _) = CommitLog::open(StorageKind::Mmap, mnt.path(), config).unwrap();
        let mut err = None;
        for i in 0..2000 {
            if let Err(e) = log.append(&rec(i)) {
                err = Some(e);
                break;
            }
        }
        let err = err.expect("a 64 KiB disk fills up");
        assert!(matches!(err, LogError::DiskFull { .. }), "{err}");
        assert!(err.to_string().starts_with("disk full: "), "{err}");
        log.flush().unwrap();
    });
    let _ = std::process::Command::new("umount").arg(mnt.path()).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// One way to damage a log directory.
#[derive(Debug, Clone, Copy)]
enum Damage {
    FlipByte { seg: u64, at: usize, mask: u8 },
    Truncate { seg: u64, len: usize },
    Extend { seg: u64, by: usize, byte: u8 },
    Remove { seg: u64 },
    Swap { a: u64, b: u64 },
    CopyOver { from: u64, to: u64 },
    Symlink { seg: u64 },
    Directory { seg: u64 },
    Garbage { seg: u64, seed: u64 },
}

fn random_damage(rng: &mut fastrand::Rng) -> Damage {
    let seg = rng.u64(0..4);
    match rng.u32(0..9) {
        0 => Damage::FlipByte { seg, at: rng.usize(0..SIZE as usize), mask: rng.u8(1..) },
        1 => Damage::Truncate { seg, len: rng.usize(0..SIZE as usize) },
        2 => Damage::Extend { seg, by: rng.usize(1..SIZE as usize + 40), byte: rng.u8(..) },
        3 => Damage::Remove { seg },
        4 => Damage::Swap { a: seg, b: rng.u64(0..4) },
        5 => Damage::CopyOver { from: seg, to: rng.u64(0..5) },
        6 => Damage::Symlink { seg },
        7 => Damage::Directory { seg: rng.u64(0..5) },
        _ => Damage::Garbage { seg, seed: rng.u64(..) },
    }
}

fn apply(dir: &Path, outside: &Path, damage: Damage) {
    let path = |k: u64| seg(dir, k * SIZE);
    let is_file = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
    match damage {
        Damage::FlipByte { seg, at, mask } => {
            if let Some(mut b) = fs::read(path(seg)).ok().filter(|b| is_file(&path(seg)) && at < b.len()) {
                b[at] ^= mask;
                fs::write(path(seg), b).unwrap();
            }
        }
        Damage::Truncate { seg, len } => {
            if is_file(&path(seg)) {
                fs::OpenOptions::new().write(true).open(path(seg)).unwrap().set_len(len as u64).unwrap();
            }
        }
        Damage::Extend { seg, by, byte } => {
            if let Some(mut b) = fs::read(path(seg)).ok().filter(|_| is_file(&path(seg))) {
                b.extend(std::iter::repeat_n(byte, by));
                fs::write(path(seg), b).unwrap();
            }
        }
        Damage::Remove { seg } => {
            if is_file(&path(seg)) {
                fs::remove_file(path(seg)).unwrap();
            }
        }
        Damage::Swap { a, b } => {
            if a != b && is_file(&path(a)) && is_file(&path(b)) {
                let tmp = dir.join("swap.tmp");
                fs::rename(path(a), &tmp).unwrap();
                fs::rename(path(b), path(a)).unwrap();
                fs::rename(&tmp, path(b)).unwrap();
            }
        }
        Damage::CopyOver { from, to } => {
            if from != to
                && is_file(&path(from))
                && (is_file(&path(to)) || fs::symlink_metadata(path(to)).is_err())
            {
                fs::copy(path(from), path(to)).unwrap();
            }
        }
        Damage::Symlink { seg } => {
            if fs::symlink_metadata(path(seg)).is_ok_and(|m| m.is_file()) {
                fs::remove_file(path(seg)).unwrap();
            }
            if fs::symlink_metadata(path(seg)).is_err() {
                std::os::unix::fs::symlink(outside, path(seg)).unwrap();
            }
        }
        Damage::Directory { seg } => {
            if fs::symlink_metadata(path(seg)).is_err() {
                fs::create_dir(path(seg)).unwrap();
            }
        }
        Damage::Garbage { seg, seed } => {
            if fs::symlink_metadata(path(seg)).is_err() || is_file(&path(seg)) {
                let mut rng = fastrand::Rng::with_seed(seed);
                let len = rng.usize(0..SIZE as usize * 3 / 2);
                fs::write(path(seg), (0..len).map(|_| rng.u8(..)).collect::<Vec<u8>>()).unwrap();
            }
        }
    }
}

/// Every byte of every file in `dir`, by name.
fn snapshot(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut files: Vec<(String, Option<Vec<u8>>)> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = e.file_type().unwrap().is_file().then(|| fs::read(e.path()).unwrap());
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn recovery_over_corrupted_directories_keeps_a_prefix_deletes_nothing_and_touches_nothing_outside() {
    let seed: Option<u64> = std::env::var("MQLAB_SEED").ok().and_then(|s| s.parse().ok());
    let cases: u64 = std::env::var("MQLAB_RECOVERY_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64);
    let seeds: Vec<u64> = match seed {
        Some(seed) => vec![seed],
        None => (0..cases).collect(),
    };
    for seed in seeds {
        let reproduce = format!(
            "reproduce: MQLAB_SEED={seed} cargo test -p mqlab-core --test log_storage \
             recovery_over_corrupted_directories"
        );
        let result = std::panic::catch_unwind(|| one_case(seed));
        if let Err(panic) = result {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{what}\n{reproduce}");
        }
    }
}

fn one_case(seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious.txt");
    fs::write(&target, b"outside the log").unwrap();
    write_log(dir.path(), 10);
    for _ in 0..rng.usize(1..4) {
        apply(dir.path(), &target, random_damage(&mut rng));
    }
    let before = snapshot(dir.path());
    let opened = ids(dir.path());
    assert_eq!(fs::read(&target).unwrap(), b"outside the log", "a file outside the log was touched");
    let after = snapshot(dir.path());
    match opened {
        Ok((got, report)) => {
            // Whatever survives is a prefix of what was written.
            assert!(got.iter().enumerate().all(|(i, id)| i as u64 == *id), "not a prefix: {got:?}");
            // Nothing deleted: every file is still there, or set aside whole (a rename), and
            // the nonzero bytes of a cut file are in a set-aside copy.
            // Data compares up to its last nonzero byte (recovery extends short files with zeros).
            let data = |b: &Option<Vec<u8>>| b.as_ref().map(|b| b[..format_used(b)].to_vec());
            for (name, bytes) in &before {
                let now = after.iter().find(|(n, _)| n == name);
                let aside = after
                    .iter()
                    .any(|(n, b)| n.starts_with(&format!("{name}.cut-")) && data(b) == data(bytes));
                assert!(now.is_some() || aside, "{name} is gone: {report:?}");
                if let Some((_, new)) = now {
                    let new = data(new).unwrap_or_default();
                    let old = data(bytes).unwrap_or_default();
                    // Kept bytes are a prefix of the old ones; anything cut was copied aside.
                    assert!(old.starts_with(&new), "{name} was changed, not only cut: {report:?}");
                    assert!(new == old || aside, "{name} was cut without a copy set aside: {report:?}");
                }
            }
            let (again, second) = ids(dir.path()).unwrap();
            assert_eq!(again, got, "a second recovery changed the records");
            assert_eq!((second.bytes_cut, second.reason), (0, None), "the second recovery cut again");
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains(&dir.path().display().to_string()),
                "the error does not name the file: {msg}"
            );
            assert_eq!(before, after, "a refused log was changed");
        }
    }
}
