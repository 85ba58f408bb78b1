//! The commit log: records appended into fixed-size segments, with the two positions that
//! decide what a crash destroys.
//!
//! - `written_pos`: bytes appended into the mapping (the OS page cache). A process crash keeps
//!   them; a power loss does not.
//! - `flushed_pos`: bytes synced to disk (msync). A power loss keeps exactly these.
//!
//! Offsets are logical byte offsets across segments; the segment holding offset `o` starts at
//! `o / segment_size_bytes * segment_size_bytes` and its file is named by that start in 20
//! digits. The byte table of a record and of the end-of-segment marker is in `format.rs`; the
//! backings ([`MmapStorage`], [`MemStorage`]) in `storage.rs`; the restart scan in
//! `recovery.rs`. Nothing here panics on file content: bad bytes are cut by recovery, set aside
//! (never deleted) and reported with their cause.

mod format;
mod image;
mod recovery;
mod storage;

use std::path::{Path, PathBuf};

use crate::ids::{MsgId, ProducerId};

pub use format::{END_MAGIC, MARKER_LEN, RECORD_MAGIC, RECORD_OVERHEAD};
pub use image::{LogImage, Restored};
pub use storage::{MemStorage, MmapStorage, Opened, Storage, StorageImage, is_log_file_name, segment_name};

/// Default segment size: 1 MiB.
pub const DEFAULT_SEGMENT_SIZE_BYTES: u64 = 1 << 20;

/// One message as stored in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub msg_id: MsgId,
    pub producer_id: ProducerId,
    pub seq: u64,
    /// Deliveries that failed before this copy was stored (RocketMQ `RECONSUMETIMES`).
    pub reconsume_times: u32,
    /// The queue of its topic it belongs to (0-based).
    pub queue_id: u32,
    /// The topic the record belongs to: [`TOPIC`] for a message as sent, or a topic the broker
    /// re-stores a copy under (the retry schedule, the dead-letter queue).
    pub topic: String,
    pub key: String,
    pub timestamp_ms: u64,
    pub body: Vec<u8>,
}

/// The topic the lab's producer sends to.
pub const TOPIC: &str = "LabTopic";

impl Record {
    /// Bytes this record takes in a segment.
    pub fn encoded_len(&self) -> u64 {
        format::encoded_len(self)
    }
}

/// The stored bytes of every segment, by start offset (see [`ClosedLog::raw_segments`]).
pub type RawSegments = Vec<(u64, Vec<u8>)>;

/// Settings of one log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogConfig {
    pub segment_size_bytes: u64,
}

/// The smallest segment that holds a record with an empty key and body plus a marker.
pub const MIN_SEGMENT_SIZE_BYTES: u64 = 64;
/// The largest segment: lengths in the format are u32.
pub const MAX_SEGMENT_SIZE_BYTES: u64 = u32::MAX as u64;

impl LogConfig {
    fn validate(&self) -> Result<(), LogError> {
        let size = self.segment_size_bytes;
        if !(MIN_SEGMENT_SIZE_BYTES..=MAX_SEGMENT_SIZE_BYTES).contains(&size) {
            return Err(LogError::Config {
                message: format!(
                    "segment_size_bytes = {size}: allowed {MIN_SEGMENT_SIZE_BYTES}..={MAX_SEGMENT_SIZE_BYTES}"
                ),
            });
        }
        Ok(())
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { segment_size_bytes: DEFAULT_SEGMENT_SIZE_BYTES }
    }
}

/// Which backing a log uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageKind {
    /// Real files mapped with memmap2 and synced with msync.
    #[default]
    Mmap,
    /// The same bytes in memory.
    Mem,
}

/// A record read back, with where it lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub offset: u64,
    pub next_offset: u64,
    pub record: Record,
}

/// What a flush did: the byte range made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushReport {
    pub from: u64,
    pub to: u64,
}

/// Garbage left past `flushed_pos` by a power loss in the middle of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    pub bytes: Vec<u8>,
}

/// What happened to the bytes recovery cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CutCause {
    /// They lay past what the machine had synced: a power loss took the page cache.
    NotFlushed,
    /// Bytes that were synced (or whose fate is unknown) fail their length, magic or CRC.
    Corrupt,
    /// A segment file is missing, so the log ends before it.
    MissingSegment,
}

/// What recovery kept and cut.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecoveryReport {
    pub records_kept: u64,
    /// The end of the valid prefix: the recovered `written_pos` (and `flushed_pos`).
    pub bytes_kept: u64,
    /// Bytes of data recovery cut: from the end of the valid prefix to the last nonzero byte of
    /// its segment, plus the used part of every segment after it, plus nonzero bytes past the
    /// segment size of a segment that was too long.
    pub bytes_cut: u64,
    /// Why recovery cut (naming the segment and offset), and any segment it had to repair;
    /// `None` for a clean log.
    pub reason: Option<String>,
    /// What happened to the cut bytes; `None` when nothing was cut.
    pub cause: Option<CutCause>,
    /// Names of the files (in the log's directory) the cut bytes were set aside in.
    pub set_aside: Vec<String>,
}

impl RecoveryReport {
    /// The report of a log recovery found clean.
    pub fn clean(records_kept: u64, bytes_kept: u64) -> Self {
        Self { records_kept, bytes_kept, ..Self::default() }
    }
}

/// Errors of the log: always name the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    /// No space left for a segment (or a quota or file size limit was hit): nothing was written.
    #[error("disk full: {path}: {message}")]
    DiskFull { path: PathBuf, message: String },
    #[error("record too large: {len} bytes, a segment holds at most {max}")]
    RecordTooLarge { len: u64, max: u64 },
    /// A file with a segment's name that cannot belong to this log.
    #[error("{path}: {message}")]
    BadSegment { path: PathBuf, message: String },
    #[error("log settings: {message}")]
    Config { message: String },
    /// An offset that is not the start of a record of this log.
    #[error("offset {offset}: {message}")]
    BadOffset { offset: u64, message: String },
    /// Bytes below `written_pos` that are not a valid record (changed behind the log's back).
    #[error("{path}: offset {offset}: {message}")]
    Corrupt { path: PathBuf, offset: u64, message: String },
}

/// A commit log over a storage backing.
#[derive(Debug)]
pub struct CommitLog {
    storage: Box<dyn Storage>,
    config: LogConfig,
    written_pos: u64,
    flushed_pos: u64,
}

impl CommitLog {
    /// Opens (and recovers) the log in `dir` with the given backing. Mmap uses real files in
    /// `dir` (created if missing); Mem keeps the bytes in memory and ignores `dir`.
    pub fn open(
        kind: StorageKind,
        dir: &Path,
        config: LogConfig,
    ) -> Result<(Self, RecoveryReport), LogError> {
        config.validate()?;
        let storage: Box<dyn Storage> = match kind {
            StorageKind::Mmap => Box::new(MmapStorage::new(dir, config.segment_size_bytes)),
            StorageKind::Mem => Box::new(MemStorage::new(config.segment_size_bytes)),
        };
        Self::open_storage(storage, config)
    }

    /// Opens (and recovers) a log over any storage; its segment size must match `config`.
    pub fn open_storage(
        storage: Box<dyn Storage>,
        config: LogConfig,
    ) -> Result<(Self, RecoveryReport), LogError> {
        config.validate()?;
        if storage.segment_size_bytes() != config.segment_size_bytes {
            return Err(LogError::Config {
                message: format!(
                    "segment_size_bytes = {} but the storage has segments of {} bytes",
                    config.segment_size_bytes,
                    storage.segment_size_bytes()
                ),
            });
        }
        Self::recover_storage(storage, config, None).map_err(|(_, e)| e)
    }

    /// Recovery; on failure the storage is handed back, released, as it was.
    fn recover_storage(
        mut storage: Box<dyn Storage>,
        config: LogConfig,
        durable: Option<u64>,
    ) -> Result<(Self, RecoveryReport), (Box<dyn Storage>, LogError)> {
        match recovery::recover(storage.as_mut(), durable) {
            Ok((end, report)) => Ok((Self { storage, config, written_pos: end, flushed_pos: end }, report)),
            Err(e) => {
                storage.release();
                Err((storage, e))
            }
        }
    }

    /// A resumed session carries on with the positions it had when it stopped: recovery synced
    /// every kept byte, yet the model treats only `0..pos` as flushed, so that a simulated power
    /// loss later takes what the session's own world had not flushed.
    pub fn resume_flushed_pos(&mut self, pos: u64) {
        self.flushed_pos = pos.min(self.written_pos);
    }

    /// The bytes of every segment as stored, ascending by start offset.
    pub fn raw_segments(&self) -> Result<RawSegments, LogError> {
        self.storage.raw_segments()
    }

    pub fn config(&self) -> LogConfig {
        self.config
    }

    pub fn kind(&self) -> StorageKind {
        self.storage.kind()
    }

    /// The segment files, ascending (empty for the memory backing).
    pub fn segment_paths(&self) -> Vec<PathBuf> {
        self.storage.segment_paths()
    }

    /// The bytes of the segment starting at `start`, as the log sees them.
    pub fn segment_bytes(&self, start: u64) -> Option<&[u8]> {
        self.storage.segment(start)
    }

    fn segment_size(&self) -> u64 {
        self.config.segment_size_bytes
    }

    /// Appends a record into the mapping (the page cache); returns where it starts.
    pub fn append(&mut self, record: &Record) -> Result<u64, LogError> {
        let size = self.segment_size();
        let len = format::encoded_len(record);
        if len > size {
            return Err(LogError::RecordTooLarge { len, max: size });
        }
        let mut start = self.written_pos / size * size;
        let mut at = self.written_pos - start;
        if len > size - at {
            // Does not fit: close the segment (with a marker if there is room) and roll. The
            // next segment is made first, so a full disk leaves this one as it was.
            if self.storage.segment(start + size).is_none() {
                self.storage.create_segment(start + size)?;
            }
            if size - at >= MARKER_LEN as u64 {
                let Some(seg) = self.storage.segment_mut(start) else {
                    return Err(missing(self.storage.path_of(start)));
                };
                format::encode_marker(&mut seg[at as usize..]);
            }
            start += size;
            at = 0;
            self.written_pos = start;
        }
        if at == 0 && self.storage.segment(start).is_none() {
            self.storage.create_segment(start)?;
        }
        // The path is built only for an error: this is the hot path.
        let Some(seg) = self.storage.segment_mut(start) else {
            return Err(missing(self.storage.path_of(start)));
        };
        let offset = self.written_pos;
        let at = at as usize;
        format::encode_into(record, offset, &mut seg[at..at + len as usize]);
        self.written_pos += len;
        Ok(offset)
    }

    pub fn written_pos(&self) -> u64 {
        self.written_pos
    }

    pub fn flushed_pos(&self) -> u64 {
        self.flushed_pos
    }

    /// Syncs the dirty range; afterwards `flushed_pos == written_pos`.
    pub fn flush(&mut self) -> Result<FlushReport, LogError> {
        let (from, to) = (self.flushed_pos, self.written_pos);
        let size = self.segment_size();
        let mut start = from / size * size;
        while start < to {
            let lo = from.max(start) - start;
            let hi = to.min(start + size) - start;
            if hi > lo {
                self.storage.sync(start, lo as usize, hi as usize)?;
            }
            start += size;
        }
        self.flushed_pos = to;
        Ok(FlushReport { from, to })
    }

    /// Every valid record from `offset` up to `written_pos`.
    pub fn read_from(&self, offset: u64) -> Result<Vec<StoredRecord>, LogError> {
        let mut out = Vec::new();
        self.visit_from(offset, |offset, next_offset, view| {
            out.push(StoredRecord { offset, next_offset, record: view.to_record() });
        })?;
        Ok(out)
    }

    /// Walks the records from `offset` to `written_pos` without copying them.
    fn visit_from(
        &self,
        offset: u64,
        mut visit: impl FnMut(u64, u64, format::RecordView<'_>),
    ) -> Result<(), LogError> {
        if offset > self.written_pos {
            return Err(LogError::BadOffset {
                offset,
                message: format!("past the end of the log (written_pos {})", self.written_pos),
            });
        }
        let size = self.segment_size();
        let mut pos = offset;
        while pos < self.written_pos {
            let start = pos / size * size;
            let path = || self.storage.path_of(start);
            let seg = self.storage.segment(start).ok_or_else(|| missing(path()))?;
            let at = (pos - start) as usize;
            match format::entry_at(seg, start, at) {
                format::Entry::Record { len, view } => {
                    let next = pos + len as u64;
                    visit(pos, next, view);
                    pos = next;
                }
                format::Entry::EndOfSegment => pos = start + size,
                format::Entry::EndOfLog => {
                    return Err(LogError::Corrupt {
                        path: path(),
                        offset: pos,
                        message: format!(
                            "zeros where a record was expected (written_pos {})",
                            self.written_pos
                        ),
                    });
                }
                format::Entry::Invalid(why) => {
                    let message =
                        if pos == offset { format!("no record starts here: {why}") } else { why.to_string() };
                    return Err(LogError::Corrupt { path: path(), offset: pos, message });
                }
            }
        }
        Ok(())
    }

    /// Clean shutdown: flush, then close.
    pub fn close(mut self) -> Result<ClosedLog, LogError> {
        self.flush()?;
        Ok(self.crash_process())
    }

    /// kill -9: in-memory state (positions, indexes) is gone; every written byte stays in the
    /// page cache, which the storage keeps. `ClosedLog::recover` reopens it.
    pub fn crash_process(mut self) -> ClosedLog {
        self.storage.release();
        ClosedLog { storage: self.storage, config: self.config, flushed_pos: self.flushed_pos }
    }
}

fn missing(path: PathBuf) -> LogError {
    LogError::Io { path, message: "segment is not open".into() }
}

/// The files of a log whose process is not running. Power loss and disk failure can still
/// happen to them; `recover` is what a restart does.
#[derive(Debug)]
pub struct ClosedLog {
    storage: Box<dyn Storage>,
    config: LogConfig,
    /// What the disk holds: the machine (not the dead process) knows what was synced.
    flushed_pos: u64,
}

impl ClosedLog {
    /// The files a log left in `dir` (Mmap) when nothing is known of its process: not opened
    /// until [`ClosedLog::recover`]. `flushed_pos` is what is known to be on disk (0 if
    /// nothing): recovery puts a cut at or past it down to the page cache, one before it to
    /// corruption.
    pub fn from_files(dir: &Path, config: LogConfig, flushed_pos: u64) -> Result<Self, LogError> {
        config.validate()?;
        let storage = Box::new(MmapStorage::new(dir, config.segment_size_bytes));
        Ok(Self { storage, config, flushed_pos })
    }

    pub fn kind(&self) -> StorageKind {
        self.storage.kind()
    }

    pub fn flushed_pos(&self) -> u64 {
        self.flushed_pos
    }

    /// Power loss: everything not yet synced is gone; with `torn`, garbage is left right after
    /// the durable prefix, as a partial write would (cut at the end of that segment).
    pub fn power_loss(&mut self, torn: Option<TornTail>) -> Result<(), LogError> {
        self.storage.power_loss(self.flushed_pos, torn.as_ref().map(|t| &t.bytes[..]))
    }

    /// Disk failure: the node's files are gone.
    pub fn disk_failure(&mut self) -> Result<(), LogError> {
        self.flushed_pos = 0;
        self.storage.disk_failure()
    }

    /// The bytes of every segment as stored, ascending by start offset.
    pub fn raw_segments(&self) -> Result<RawSegments, LogError> {
        self.storage.raw_segments()
    }

    /// Replaces the stored segments with these bytes (of any length): fault injection for
    /// tests and tools. They count as durable.
    pub fn set_raw_segments(&mut self, segments: RawSegments) -> Result<(), LogError> {
        let end = segments.iter().map(|(s, b)| s + b.len() as u64).max().unwrap_or(0);
        self.flushed_pos = end;
        self.storage.set_raw_segments(segments)
    }

    /// The segment files, ascending (empty for the memory backing).
    pub fn segment_paths(&self) -> Vec<PathBuf> {
        self.storage.segment_paths()
    }

    /// Sets aside (never deletes) every byte from log offset `end` on: the rest of its segment
    /// is copied aside and zeroed, later segments are renamed. Returns the names of the files
    /// set aside. For a session resumed from its journal whose files hold bytes its world never
    /// wrote, or lack bytes it did.
    pub fn cut_to(&mut self, end: u64) -> Result<Vec<String>, LogError> {
        let opened = self.storage.open_segments();
        let result = opened.and_then(|opened| {
            let mut aside = opened.set_aside;
            let size = self.config.segment_size_bytes;
            for start in self.storage.starts() {
                if start + size <= end {
                    continue;
                }
                if start >= end {
                    aside.push(self.storage.move_aside(start)?);
                    continue;
                }
                let at = (end - start) as usize;
                let seg = self.storage.segment(start).unwrap_or_default();
                let used = format::used_len(seg);
                if used > at {
                    aside.push(self.storage.copy_aside(start)?);
                    if let Some(seg) = self.storage.segment_mut(start) {
                        seg[at..used].fill(0);
                    }
                    self.storage.sync(start, at, used)?;
                }
            }
            Ok(aside)
        });
        self.storage.release();
        self.flushed_pos = self.flushed_pos.min(end);
        result
    }

    /// Restart: scan, validate length, magic and CRC of each record, truncate at the first
    /// invalid one (setting the rest aside), and report what was kept and cut.
    pub fn recover(self) -> Result<(CommitLog, RecoveryReport), LogError> {
        self.try_recover().map_err(|(_, e)| e)
    }

    /// [`ClosedLog::recover`] that hands the closed log back, unchanged, when recovery fails
    /// (a file that cannot belong to the log, an unreadable one), so a restart can be tried
    /// again once it is fixed.
    pub fn try_recover(self) -> Result<(CommitLog, RecoveryReport), (ClosedLog, LogError)> {
        let (config, flushed_pos) = (self.config, self.flushed_pos);
        // The machine knows what it synced; only the rest needs syncing now.
        CommitLog::recover_storage(self.storage, config, Some(flushed_pos))
            .map_err(|(storage, e)| (ClosedLog { storage, config, flushed_pos }, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u64, body_len: usize) -> Record {
        Record {
            msg_id: MsgId(i),
            producer_id: ProducerId(1),
            seq: i,
            reconsume_times: 0,
            queue_id: 0,
            topic: String::new(),
            key: format!("k{i}"),
            timestamp_ms: 100 * i,
            body: vec![i as u8; body_len],
        }
    }

    fn small() -> LogConfig {
        LogConfig { segment_size_bytes: 256 }
    }

    fn each_kind(mut f: impl FnMut(StorageKind, &Path)) {
        for kind in [StorageKind::Mem, StorageKind::Mmap] {
            let dir = tempfile::tempdir().unwrap();
            f(kind, dir.path());
        }
    }

    #[test]
    fn appends_roll_over_segments_and_read_back() {
        each_kind(|kind, dir| {
            let (mut log, report) = CommitLog::open(kind, dir, small()).unwrap();
            assert_eq!(report.records_kept, 0);
            let records: Vec<Record> = (0..10).map(|i| rec(i, 40)).collect();
            let offsets: Vec<u64> = records.iter().map(|r| log.append(r).unwrap()).collect();
            // 102-byte records, 2 per 256-byte segment, then a marker and a roll.
            assert_eq!(offsets[..4], [0, 102, 256, 358]);
            let read = log.read_from(0).unwrap();
            assert_eq!(read.iter().map(|s| s.record.clone()).collect::<Vec<_>>(), records);
            assert_eq!(read[1].next_offset, 204);
            assert_eq!(log.read_from(offsets[3]).unwrap().len(), 7);
            assert_eq!(log.read_from(log.written_pos()).unwrap().len(), 0);
            assert!(log.read_from(log.written_pos() + 1).is_err());
            assert!(log.read_from(5).is_err());
        });
    }

    #[test]
    fn flush_syncs_the_dirty_range() {
        each_kind(|kind, dir| {
            let (mut log, _) = CommitLog::open(kind, dir, small()).unwrap();
            log.append(&rec(1, 10)).unwrap();
            assert_eq!((log.written_pos(), log.flushed_pos()), (72, 0));
            assert_eq!(log.flush().unwrap(), FlushReport { from: 0, to: 72 });
            log.append(&rec(2, 10)).unwrap();
            assert_eq!(log.flush().unwrap(), FlushReport { from: 72, to: 144 });
            assert_eq!(log.flush().unwrap(), FlushReport { from: 144, to: 144 });
        });
    }

    #[test]
    fn process_crash_keeps_written_bytes_power_loss_keeps_flushed_ones() {
        each_kind(|kind, dir| {
            let (mut log, _) = CommitLog::open(kind, dir, small()).unwrap();
            for i in 0..3 {
                log.append(&rec(i, 40)).unwrap();
            }
            log.flush().unwrap();
            for i in 3..6 {
                log.append(&rec(i, 40)).unwrap();
            }
            let (log, report) = log.crash_process().recover().unwrap();
            assert_eq!(report.records_kept, 6);
            assert_eq!(report.bytes_cut, 0);
            assert_eq!(log.flushed_pos(), log.written_pos());
            let flushed = log.flushed_pos();
            let mut log = log;
            log.append(&rec(6, 40)).unwrap();
            let mut closed = log.crash_process();
            closed.power_loss(None).unwrap();
            let (log, report) = closed.recover().unwrap();
            assert_eq!((report.records_kept, report.bytes_cut, report.reason), (6, 0, None));
            assert_eq!(log.written_pos(), flushed);
        });
    }

    #[test]
    fn torn_tail_is_cut_and_reported() {
        each_kind(|kind, dir| {
            let (mut log, _) = CommitLog::open(kind, dir, small()).unwrap();
            log.append(&rec(0, 40)).unwrap();
            log.flush().unwrap();
            log.append(&rec(1, 40)).unwrap();
            let mut closed = log.crash_process();
            closed.power_loss(Some(TornTail { bytes: vec![0xAB; 20] })).unwrap();
            let (log, report) = closed.recover().unwrap();
            assert_eq!(report.records_kept, 1);
            assert_eq!(report.bytes_kept, 102);
            assert_eq!(report.bytes_cut, 20);
            assert_eq!(report.cause, Some(CutCause::NotFlushed));
            assert!(report.reason.unwrap().contains("bad magic"));
            assert_eq!(log.read_from(0).unwrap().len(), 1);
        });
    }

    #[test]
    fn disk_failure_loses_everything_and_close_loses_nothing() {
        each_kind(|kind, dir| {
            let (mut log, _) = CommitLog::open(kind, dir, small()).unwrap();
            for i in 0..5 {
                log.append(&rec(i, 40)).unwrap();
            }
            let mut closed = log.close().unwrap();
            closed.power_loss(None).unwrap();
            let (log, report) = closed.recover().unwrap();
            assert_eq!(report.records_kept, 5);
            let mut closed = log.crash_process();
            closed.disk_failure().unwrap();
            let (log, report) = closed.recover().unwrap();
            assert_eq!((report.records_kept, log.written_pos()), (0, 0));
        });
    }

    #[test]
    fn record_larger_than_a_segment_is_refused() {
        let (mut log, _) = CommitLog::open(StorageKind::Mem, Path::new(""), small()).unwrap();
        let err = log.append(&rec(0, 300)).unwrap_err();
        assert!(matches!(err, LogError::RecordTooLarge { len: 362, max: 256 }), "{err}");
        // Exactly a segment fits.
        let exact = rec(0, 256 - RECORD_OVERHEAD - 2);
        assert_eq!(log.append(&exact).unwrap(), 0);
        assert_eq!(log.append(&exact).unwrap(), 256);
    }

    #[test]
    fn bad_segment_size_is_a_config_error() {
        let bad = LogConfig { segment_size_bytes: 10 };
        let err = CommitLog::open(StorageKind::Mem, Path::new(""), bad).unwrap_err();
        assert!(err.to_string().contains("segment_size_bytes = 10"), "{err}");
    }
}
