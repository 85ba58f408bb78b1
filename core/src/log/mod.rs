//! The commit log: records appended into fixed-size segments, with the two positions that
//! decide what a crash destroys.
//!
//! API CONTRACT (skeleton; the bodies are being implemented — the signatures below are what the
//! simulator codes against and must stay as they are).

use std::path::{Path, PathBuf};

use crate::ids::{MsgId, ProducerId};

/// Default segment size: 1 MiB.
pub const DEFAULT_SEGMENT_SIZE_BYTES: u64 = 1 << 20;

/// One message as stored in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub msg_id: MsgId,
    pub producer_id: ProducerId,
    pub seq: u64,
    pub key: String,
    pub timestamp_ms: u64,
    pub body: Vec<u8>,
}

/// Settings of one log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogConfig {
    pub segment_size_bytes: u64,
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

/// What recovery kept and cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    pub records_kept: u64,
    pub bytes_kept: u64,
    pub bytes_cut: u64,
    pub reason: Option<String>,
}

/// Errors of the log: always name the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("record too large: {len} bytes, a segment holds at most {max}")]
    RecordTooLarge { len: u64, max: u64 },
}

/// Storage backing of a log (object safe; see MmapStorage and MemStorage).
pub trait Storage: std::fmt::Debug {}

/// A commit log over a storage backing.
#[derive(Debug)]
pub struct CommitLog {
    _private: (),
}

#[allow(clippy::todo)]
impl CommitLog {
    /// Opens (and recovers) the log in `dir` with the given backing. Mmap uses real files in
    /// `dir`; Mem keeps the bytes in memory and ignores `dir`.
    pub fn open(
        _kind: StorageKind,
        _dir: &Path,
        _config: LogConfig,
    ) -> Result<(Self, RecoveryReport), LogError> {
        todo!()
    }
    /// Appends a record into the mapping (the page cache); returns where it starts.
    pub fn append(&mut self, _record: &Record) -> Result<u64, LogError> {
        todo!()
    }
    pub fn written_pos(&self) -> u64 {
        todo!()
    }
    pub fn flushed_pos(&self) -> u64 {
        todo!()
    }
    /// Syncs the dirty range; afterwards `flushed_pos == written_pos`.
    pub fn flush(&mut self) -> Result<FlushReport, LogError> {
        todo!()
    }
    /// Every valid record from `offset` up to `written_pos`.
    pub fn read_from(&self, _offset: u64) -> Result<Vec<StoredRecord>, LogError> {
        todo!()
    }
    /// Clean shutdown: flush, then close.
    pub fn close(self) -> Result<ClosedLog, LogError> {
        todo!()
    }
    /// kill -9: in-memory state (positions, indexes) is gone; every written byte stays in the
    /// page cache, which the storage keeps. `ClosedLog::recover` reopens it.
    pub fn crash_process(self) -> ClosedLog {
        todo!()
    }
}

/// The files of a log whose process is not running. Power loss and disk failure can still
/// happen to them; `recover` is what a restart does.
#[derive(Debug)]
pub struct ClosedLog {
    _private: (),
}

#[allow(clippy::todo)]
impl ClosedLog {
    /// Power loss: everything not yet synced is gone; with `torn`, garbage is left right after
    /// the durable prefix, as a partial write would.
    pub fn power_loss(&mut self, _torn: Option<TornTail>) -> Result<(), LogError> {
        todo!()
    }
    /// Disk failure: the node's files are gone.
    pub fn disk_failure(&mut self) -> Result<(), LogError> {
        todo!()
    }
    /// Restart: scan, validate length, magic and CRC of each record, truncate at the first
    /// invalid one, and report what was kept and cut.
    pub fn recover(self) -> Result<(CommitLog, RecoveryReport), LogError> {
        todo!()
    }
}
