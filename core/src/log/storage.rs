//! Where a log's segments live: real files mapped into memory ([`MmapStorage`]) or plain byte
//! vectors ([`MemStorage`]), behaving byte for byte the same, faults included.
//!
//! Both model two layers: what the process wrote (the page cache, which survives a process
//! death) and what was synced (the disk, which survives a power loss). This is the only module
//! that does I/O and the only one with `unsafe` (the mapping itself).
//!
//! What the file backing opens: only regular files named like a segment, in its own directory,
//! never through a symbolic link (a symlink with a segment's name is an error naming it, and
//! every open uses `O_NOFOLLOW`). Space for a segment is allocated for real
//! (`posix_fallocate`) before it is mapped, so a full disk is an error ("disk full: …") and
//! never a SIGBUS on a write into the mapping. Bytes recovery cuts are set aside under the
//! segment's name with `.cut-N` appended, never deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt as _;
use memmap2::MmapMut;

use super::{LogError, RawSegments, StorageKind};

/// The file name of the segment starting at `start`: 20 digits, RocketMQ style.
pub fn segment_name(start: u64) -> String {
    format!("{start:020}")
}

/// The name bytes cut from the segment starting at `start` are set aside under: the segment's
/// name and `.cut-N`, with the first N not taken.
fn aside_name(start: u64, n: u32) -> String {
    format!("{}.cut-{n}", segment_name(start))
}

/// Whether `name` is one the log writes: a segment or a set-aside copy of one.
pub fn is_log_file_name(name: &str) -> bool {
    if parse_segment_name(name).is_some() {
        return true;
    }
    name.split_once(".cut-").is_some_and(|(seg, n)| {
        parse_segment_name(seg).is_some() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// What opening the segments found and did, for the recovery report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Segments that were extended or shortened to the segment size, in words.
    pub notes: Vec<String>,
    /// Bytes past the segment size that were cut (nonzero ones).
    pub bytes_cut: u64,
    /// Names of the files the cut bytes were set aside in.
    pub set_aside: Vec<String>,
}

/// Parses a segment file name; `None` for names that are not 20 ASCII digits.
fn parse_segment_name(name: &str) -> Option<Result<u64, std::num::ParseIntError>> {
    (name.len() == 20 && name.bytes().all(|b| b.is_ascii_digit())).then(|| name.parse::<u64>())
}

/// The storage backing of a log: a set of fixed-size segments keyed by their start offset.
///
/// Object safe, so a log holds a `Box<dyn Storage>`. A storage is either open (segments are
/// accessible) or released (the process that used it is gone; only fault operations, raw
/// access and [`Storage::open_segments`] are meaningful).
pub trait Storage: std::fmt::Debug {
    fn kind(&self) -> StorageKind;
    fn segment_size_bytes(&self) -> u64;
    /// Makes the segments accessible (maps the files). Segments shorter than the segment size
    /// are extended with zeros; one longer, but by less than a whole segment, is cut to the
    /// segment size with the whole file set aside first. A segment that cannot belong to this
    /// log (wrong name, twice the segment size or more, not a regular file, a symbolic link) is
    /// an error naming it, and then nothing was changed.
    fn open_segments(&mut self) -> Result<Opened, LogError>;
    /// Start offsets of the open segments, ascending.
    fn starts(&self) -> Vec<u64>;
    fn segment(&self, start: u64) -> Option<&[u8]>;
    fn segment_mut(&mut self, start: u64) -> Option<&mut [u8]>;
    /// Creates a zero-filled segment of the segment size, its space allocated.
    fn create_segment(&mut self, start: u64) -> Result<(), LogError>;
    /// Copies the used part of an open segment (up to its last nonzero byte) to a new file
    /// beside it; returns that file's name.
    fn copy_aside(&mut self, start: u64) -> Result<String, LogError>;
    /// Closes a segment and renames it out of the log; returns its new name.
    fn move_aside(&mut self, start: u64) -> Result<String, LogError>;
    /// Makes bytes `from..to` of a segment durable (msync).
    fn sync(&mut self, start: u64, from: usize, to: usize) -> Result<(), LogError>;
    /// The process is gone: drops its view without syncing. Written bytes stay in the page cache.
    fn release(&mut self);
    /// Power loss on a released storage: only the durable bytes remain (the first
    /// `flushed_pos` bytes of the log); `torn` garbage is left right after them, cut at the end
    /// of its segment.
    fn power_loss(&mut self, flushed_pos: u64, torn: Option<&[u8]>) -> Result<(), LogError>;
    /// Disk failure on a released storage: every segment is gone.
    fn disk_failure(&mut self) -> Result<(), LogError>;
    /// The bytes of every segment as the files hold them (released storage).
    fn raw_segments(&self) -> Result<RawSegments, LogError>;
    /// Replaces every segment with the given bytes, of any length (released storage); they
    /// count as durable. For fault injection in tests and tools.
    fn set_raw_segments(&mut self, segments: RawSegments) -> Result<(), LogError>;
    /// Where a segment lives, for error messages.
    fn path_of(&self, start: u64) -> PathBuf;
    /// The segment files, ascending (empty for memory).
    fn segment_paths(&self) -> Vec<PathBuf>;
    /// A copy of everything this storage holds (written bytes, what is durable, whether it is
    /// open), to put back later with [`Storage::restore_image`]: snapshots of a world.
    fn image(&self) -> Result<StorageImage, LogError>;
    /// Puts back exactly what [`Storage::image`] copied; the segments it holds now are replaced.
    fn restore_image(&mut self, image: &StorageImage) -> Result<(), LogError>;
}

/// The bytes of one segment with its trailing zeros left out (most of a segment is zeros).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Trimmed {
    len: usize,
    bytes: Vec<u8>,
}

impl Trimmed {
    fn of(bytes: &[u8]) -> Self {
        // Whole blocks first (an OR over a block vectorizes), then the last block byte by byte.
        const BLOCK: usize = 64;
        let used = match bytes.chunks(BLOCK).rposition(|block| block.iter().fold(0, |a, b| a | b) != 0) {
            None => 0,
            Some(last) => {
                let start = last * BLOCK;
                start + bytes[start..].iter().rposition(|b| *b != 0).map_or(0, |i| i + 1)
            }
        };
        Trimmed { len: bytes.len(), bytes: bytes[..used].to_vec() }
    }

    fn full(&self) -> Vec<u8> {
        let mut bytes = self.bytes.clone();
        bytes.resize(self.len, 0);
        bytes
    }
}

/// What a storage holds, copied by [`Storage::image`]. Belongs to the backing it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorageImage {
    /// What the process wrote (the page cache), by segment start.
    written: BTreeMap<u64, Trimmed>,
    /// What was synced: the bytes for memory; for files only which segments (`durable`).
    disk: BTreeMap<u64, Trimmed>,
    durable: BTreeSet<u64>,
    open: bool,
    /// Memory only: the bytes recovery had set aside, so a restored memory disk holds exactly
    /// what it held then (and names its next set-aside copy the same way). Files set aside on a
    /// real disk are never removed: they stay, whatever a restore goes back to.
    aside: BTreeMap<String, Vec<u8>>,
}

impl StorageImage {
    /// Bytes the image keeps in memory.
    pub fn bytes(&self) -> usize {
        let segments: usize = self.written.values().chain(self.disk.values()).map(|t| t.bytes.len()).sum();
        segments + self.aside.values().map(Vec::len).sum::<usize>()
    }
}

fn io_err(path: &Path, what: &str, e: std::io::Error) -> LogError {
    LogError::Io { path: path.to_owned(), message: format!("{what}: {e}") }
}

/// A full disk (or quota, or file size limit) is its own error: the lab says "disk full".
fn space_err(path: &Path, what: &str, e: std::io::Error) -> LogError {
    use std::io::ErrorKind::{FileTooLarge, QuotaExceeded, StorageFull};
    if matches!(e.kind(), StorageFull | QuotaExceeded | FileTooLarge) {
        LogError::DiskFull { path: path.to_owned(), message: format!("{what}: {e}") }
    } else {
        io_err(path, what, e)
    }
}

/// A segment file twice the segment size or more was written with another segment size: it is
/// refused whole. A shorter excess is cut.
fn check_len(path: &Path, len: u64, size: u64) -> Result<(), LogError> {
    if len >= size.saturating_mul(2) {
        return Err(LogError::BadSegment {
            path: path.to_owned(),
            message: format!(
                "is {len} bytes, larger than the segment size {size} (a log has one segment \
                 size; was it written with another segment_size_bytes?)"
            ),
        });
    }
    Ok(())
}

fn long_note(start: u64, len: u64, size: u64, aside: &str) -> String {
    format!(
        "segment {} was {len} bytes, longer than the segment size {size}; cut to {size} bytes \
         (the whole file set aside as {aside})",
        segment_name(start)
    )
}

fn missing_segment(path: PathBuf) -> LogError {
    LogError::Io { path, message: "segment is not open".into() }
}

fn short_note(start: u64, len: u64, size: u64) -> String {
    format!(
        "segment {} was {len} bytes, shorter than the segment size {size}; extended with zeros",
        segment_name(start)
    )
}

/// Segments of a log as real files in one directory, mapped with memmap2 and synced with msync.
#[derive(Debug)]
pub struct MmapStorage {
    dir: PathBuf,
    segment_size_bytes: u64,
    maps: BTreeMap<u64, MmapMut>,
    /// Segments whose file is known to be on disk (synced at least once).
    durable: BTreeSet<u64>,
}

impl MmapStorage {
    /// A storage over `dir` (created if missing when the segments are opened).
    pub fn new(dir: &Path, segment_size_bytes: u64) -> Self {
        Self { dir: dir.to_owned(), segment_size_bytes, maps: BTreeMap::new(), durable: BTreeSet::new() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The segment files in the directory, validated; other names are ignored.
    fn list(&self) -> Result<BTreeMap<u64, (PathBuf, u64)>, LogError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| io_err(&self.dir, "cannot list", e))?;
        let mut found = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&self.dir, "cannot list", e))?;
            let name = entry.file_name();
            let Some(parsed) = name.to_str().and_then(parse_segment_name) else { continue };
            let path = entry.path();
            let bad = |message: String| LogError::BadSegment { path: path.clone(), message };
            let start = parsed.map_err(|_| bad("the name is not a 64-bit offset".into()))?;
            if start % self.segment_size_bytes != 0 {
                return Err(bad(format!(
                    "starts at offset {start}, not a multiple of the segment size {}",
                    self.segment_size_bytes
                )));
            }
            // Never through a link: its target is not this log's to open, zero-fill or cut.
            let meta = fs::symlink_metadata(&path).map_err(|e| io_err(&path, "cannot stat", e))?;
            if meta.file_type().is_symlink() {
                return Err(bad(
                    "has a segment's name but is a symbolic link; a log opens only regular files in \
                     its own directory"
                        .into(),
                ));
            }
            if !meta.is_file() {
                return Err(bad("has a segment's name but is not a regular file".into()));
            }
            found.insert(start, (path, meta.len()));
        }
        Ok(found)
    }

    fn open_rw(path: &Path) -> Result<File, LogError> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| io_err(path, "cannot open", e))
    }

    /// Reserves the blocks of the whole segment, so writes into the mapping cannot fail.
    fn allocate(path: &Path, file: &File, size: u64) -> Result<(), LogError> {
        file.allocate(size).map_err(|e| space_err(path, &format!("cannot allocate {size} bytes"), e))
    }

    /// The first `<segment>.cut-N` not taken.
    fn free_aside(&self, start: u64) -> (String, PathBuf) {
        let mut n = 1;
        loop {
            let name = aside_name(start, n);
            let path = self.dir.join(&name);
            if fs::symlink_metadata(&path).is_err() {
                return (name, path);
            }
            n += 1;
        }
    }

    /// Writes `bytes` to a new set-aside file for the segment at `start`; returns its name.
    fn write_aside(&self, start: u64, bytes: &[u8]) -> Result<String, LogError> {
        let (name, path) = self.free_aside(start);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| space_err(&path, "cannot set aside cut bytes", e))?;
        file.write_all(bytes).map_err(|e| space_err(&path, "cannot set aside cut bytes", e))?;
        file.sync_all().map_err(|e| space_err(&path, "cannot set aside cut bytes", e))?;
        Ok(name)
    }

    fn map(path: &Path, file: &File) -> Result<MmapMut, LogError> {
        // SAFETY: the mapping is of a segment file in this log's own directory, which only this
        // log writes while it is open; memmap2 requires `unsafe` because another process could
        // truncate or change the file under the mapping, which would be outside this program's
        // model. Every access goes through slices bounded by the mapping's length.
        #[allow(unsafe_code)]
        let map = unsafe { MmapMut::map_mut(file) };
        map.map_err(|e| io_err(path, "cannot map", e))
    }
}

impl Storage for MmapStorage {
    fn kind(&self) -> StorageKind {
        StorageKind::Mmap
    }

    fn segment_size_bytes(&self) -> u64 {
        self.segment_size_bytes
    }

    fn open_segments(&mut self) -> Result<Opened, LogError> {
        fs::create_dir_all(&self.dir).map_err(|e| io_err(&self.dir, "cannot create the log directory", e))?;
        let size = self.segment_size_bytes;
        let found = self.list()?;
        for (path, len) in found.values() {
            check_len(path, *len, size)?;
        }
        let mut opened = Opened::default();
        let mut files = BTreeMap::new();
        for (start, (path, _)) in &found {
            files.insert(*start, Self::open_rw(path)?);
        }
        let mut maps = BTreeMap::new();
        for (start, (path, len)) in found {
            let file = &files[&start];
            if len > size {
                let mut bytes = Vec::new();
                let mut reader: &File = file;
                std::io::Read::read_to_end(&mut reader, &mut bytes)
                    .map_err(|e| io_err(&path, "cannot read", e))?;
                let aside = self.write_aside(start, &bytes)?;
                file.set_len(size).map_err(|e| io_err(&path, "cannot cut", e))?;
                opened.bytes_cut += super::format::used_len(&bytes[size as usize..]) as u64;
                opened.notes.push(long_note(start, len, size, &aside));
                opened.set_aside.push(aside);
            } else if len < size {
                file.set_len(size).map_err(|e| io_err(&path, "cannot extend", e))?;
                opened.notes.push(short_note(start, len, size));
            }
            Self::allocate(&path, file, size)?;
            maps.insert(start, Self::map(&path, file)?);
        }
        self.maps = maps;
        Ok(opened)
    }

    fn starts(&self) -> Vec<u64> {
        self.maps.keys().copied().collect()
    }

    fn segment(&self, start: u64) -> Option<&[u8]> {
        self.maps.get(&start).map(|m| &m[..])
    }

    fn segment_mut(&mut self, start: u64) -> Option<&mut [u8]> {
        self.maps.get_mut(&start).map(|m| &mut m[..])
    }

    fn create_segment(&mut self, start: u64) -> Result<(), LogError> {
        let path = self.path_of(start);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| space_err(&path, "cannot create segment", e))?;
        let sized = file
            .set_len(self.segment_size_bytes)
            .map_err(|e| space_err(&path, "cannot size segment", e))
            .and_then(|()| Self::allocate(&path, &file, self.segment_size_bytes));
        if let Err(e) = sized {
            // The file is this log's own, just created and still empty: nothing is lost.
            drop(file);
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        self.maps.insert(start, Self::map(&path, &file)?);
        Ok(())
    }

    fn copy_aside(&mut self, start: u64) -> Result<String, LogError> {
        let map = self.maps.get(&start).ok_or_else(|| missing_segment(self.path_of(start)))?;
        let used = super::format::used_len(map);
        let bytes = map[..used].to_vec();
        self.write_aside(start, &bytes)
    }

    fn move_aside(&mut self, start: u64) -> Result<String, LogError> {
        self.maps.remove(&start);
        self.durable.remove(&start);
        let path = self.path_of(start);
        let (name, to) = self.free_aside(start);
        fs::rename(&path, &to).map_err(|e| io_err(&path, &format!("cannot rename to {name}"), e))?;
        Ok(name)
    }

    fn sync(&mut self, start: u64, from: usize, to: usize) -> Result<(), LogError> {
        let path = || self.path_of(start);
        let map = self.maps.get(&start).ok_or_else(|| LogError::Io {
            path: path(),
            message: "cannot sync: segment is not open".into(),
        })?;
        map.flush_range(from, to.saturating_sub(from)).map_err(|e| io_err(&path(), "msync failed", e))?;
        self.durable.insert(start);
        Ok(())
    }

    fn release(&mut self) {
        // munmap without msync: dirty pages stay in the kernel's page cache.
        self.maps.clear();
    }

    fn power_loss(&mut self, flushed_pos: u64, torn: Option<&[u8]>) -> Result<(), LogError> {
        self.maps.clear();
        let size = self.segment_size_bytes;
        for (start, (path, len)) in self.list()? {
            if start + size <= flushed_pos {
                continue;
            }
            if start < flushed_pos || (start == flushed_pos && self.durable.contains(&start)) {
                // The disk holds this file as it was at the last sync: zeros past flushed_pos.
                let keep = flushed_pos - start;
                if keep < len {
                    let file = Self::open_rw(&path)?;
                    file.set_len(keep).map_err(|e| io_err(&path, "cannot cut", e))?;
                    file.set_len(len).map_err(|e| io_err(&path, "cannot cut", e))?;
                }
            } else {
                fs::remove_file(&path).map_err(|e| io_err(&path, "cannot remove", e))?;
                self.durable.remove(&start);
            }
        }
        if let Some(torn) = torn.filter(|t| !t.is_empty()) {
            let start = flushed_pos / size * size;
            let at = flushed_pos - start;
            let n = torn.len().min((size - at) as usize);
            let path = self.path_of(start);
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .map_err(|e| io_err(&path, "cannot open", e))?;
            if file.metadata().map_err(|e| io_err(&path, "cannot stat", e))?.len() < size {
                file.set_len(size).map_err(|e| io_err(&path, "cannot size", e))?;
            }
            file.write_all_at(&torn[..n], at).map_err(|e| io_err(&path, "cannot write", e))?;
            self.durable.insert(start);
        }
        Ok(())
    }

    fn disk_failure(&mut self) -> Result<(), LogError> {
        self.maps.clear();
        self.durable.clear();
        if !self.dir.exists() {
            return Ok(());
        }
        for (path, _) in self.list()?.into_values() {
            fs::remove_file(&path).map_err(|e| io_err(&path, "cannot remove", e))?;
        }
        Ok(())
    }

    fn raw_segments(&self) -> Result<RawSegments, LogError> {
        if !self.dir.exists() {
            return Ok(Vec::new());
        }
        self.list()?
            .into_iter()
            .map(|(start, (path, _))| {
                let mut bytes = Vec::new();
                let mut file = OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&path)
                    .map_err(|e| io_err(&path, "cannot open", e))?;
                std::io::Read::read_to_end(&mut file, &mut bytes)
                    .map_err(|e| io_err(&path, "cannot read", e))?;
                Ok((start, bytes))
            })
            .collect()
    }

    fn set_raw_segments(&mut self, segments: RawSegments) -> Result<(), LogError> {
        self.maps.clear();
        self.durable.clear();
        fs::create_dir_all(&self.dir).map_err(|e| io_err(&self.dir, "cannot create", e))?;
        for (path, _) in self.list()?.into_values() {
            fs::remove_file(&path).map_err(|e| io_err(&path, "cannot remove", e))?;
        }
        for (start, bytes) in segments {
            let path = self.path_of(start);
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .map_err(|e| io_err(&path, "cannot create", e))?;
            file.write_all(&bytes).map_err(|e| io_err(&path, "cannot write", e))?;
            self.durable.insert(start);
        }
        Ok(())
    }

    fn path_of(&self, start: u64) -> PathBuf {
        self.dir.join(segment_name(start))
    }

    fn segment_paths(&self) -> Vec<PathBuf> {
        match self.list() {
            Ok(found) => found.into_values().map(|(p, _)| p).collect(),
            Err(_) => Vec::new(),
        }
    }

    fn image(&self) -> Result<StorageImage, LogError> {
        let written = if !self.maps.is_empty() {
            self.maps.iter().map(|(start, map)| (*start, Trimmed::of(map))).collect()
        } else if self.dir.exists() {
            let mut written = BTreeMap::new();
            for (start, (path, _)) in self.list()? {
                let bytes = fs::read(&path).map_err(|e| io_err(&path, "cannot read", e))?;
                written.insert(start, Trimmed::of(&bytes));
            }
            written
        } else {
            BTreeMap::new()
        };
        Ok(StorageImage {
            written,
            disk: BTreeMap::new(),
            durable: self.durable.clone(),
            open: !self.maps.is_empty(),
            aside: BTreeMap::new(),
        })
    }

    fn restore_image(&mut self, image: &StorageImage) -> Result<(), LogError> {
        self.maps.clear();
        fs::create_dir_all(&self.dir).map_err(|e| io_err(&self.dir, "cannot create", e))?;
        for (path, _) in self.list()?.into_values() {
            fs::remove_file(&path).map_err(|e| io_err(&path, "cannot remove", e))?;
        }
        let mut maps = BTreeMap::new();
        for (start, segment) in &image.written {
            let path = self.path_of(*start);
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| io_err(&path, "cannot create segment", e))?;
            file.write_all_at(&segment.bytes, 0).map_err(|e| io_err(&path, "cannot write", e))?;
            file.set_len(segment.len as u64).map_err(|e| io_err(&path, "cannot size segment", e))?;
            if image.open {
                maps.insert(*start, Self::map(&path, &file)?);
            }
        }
        self.maps = maps;
        self.durable = image.durable.clone();
        Ok(())
    }
}

/// Segments of a log in memory: `cache` is what the process wrote (the page cache), `disk` what
/// was synced. Same bytes and same fault behaviour as [`MmapStorage`].
#[derive(Debug, Clone)]
pub struct MemStorage {
    segment_size_bytes: u64,
    cache: BTreeMap<u64, Vec<u8>>,
    disk: BTreeMap<u64, Vec<u8>>,
    /// Bytes set aside by recovery, by file name.
    aside: BTreeMap<String, Vec<u8>>,
    /// Whether the process's view is open (mirrors the mappings of the file backing).
    open: bool,
}

impl MemStorage {
    pub fn new(segment_size_bytes: u64) -> Self {
        Self {
            segment_size_bytes,
            cache: BTreeMap::new(),
            disk: BTreeMap::new(),
            aside: BTreeMap::new(),
            open: false,
        }
    }

    /// The bytes set aside by recovery, by file name.
    pub fn set_aside(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.aside
    }

    fn put_aside(&mut self, start: u64, bytes: Vec<u8>) -> String {
        let name =
            (1..).map(|n| aside_name(start, n)).find(|n| !self.aside.contains_key(n)).unwrap_or_default();
        self.aside.insert(name.clone(), bytes);
        name
    }
}

impl Storage for MemStorage {
    fn kind(&self) -> StorageKind {
        StorageKind::Mem
    }

    fn segment_size_bytes(&self) -> u64 {
        self.segment_size_bytes
    }

    fn open_segments(&mut self) -> Result<Opened, LogError> {
        let size = self.segment_size_bytes;
        for (start, bytes) in &self.cache {
            check_len(&self.path_of(*start), bytes.len() as u64, size)?;
        }
        let mut opened = Opened::default();
        let starts: Vec<u64> = self.cache.keys().copied().collect();
        for start in starts {
            let len = self.cache[&start].len() as u64;
            if len > size {
                let whole = self.cache[&start].clone();
                opened.bytes_cut += super::format::used_len(&whole[size as usize..]) as u64;
                let aside = self.put_aside(start, whole);
                opened.notes.push(long_note(start, len, size, &aside));
                opened.set_aside.push(aside);
            } else if len < size {
                opened.notes.push(short_note(start, len, size));
            }
            if let Some(bytes) = self.cache.get_mut(&start) {
                bytes.resize(size as usize, 0);
            }
        }
        // The file backing changes the file itself, so the disk sees the new length too.
        for bytes in self.disk.values_mut() {
            bytes.resize(size as usize, 0);
        }
        self.open = true;
        Ok(opened)
    }

    fn starts(&self) -> Vec<u64> {
        if self.open { self.cache.keys().copied().collect() } else { Vec::new() }
    }

    fn segment(&self, start: u64) -> Option<&[u8]> {
        self.cache.get(&start).filter(|_| self.open).map(|v| &v[..])
    }

    fn segment_mut(&mut self, start: u64) -> Option<&mut [u8]> {
        if !self.open {
            return None;
        }
        self.cache.get_mut(&start).map(|v| &mut v[..])
    }

    fn create_segment(&mut self, start: u64) -> Result<(), LogError> {
        if self.cache.contains_key(&start) {
            return Err(LogError::Io {
                path: self.path_of(start),
                message: "cannot create segment: it exists".into(),
            });
        }
        self.cache.insert(start, vec![0; self.segment_size_bytes as usize]);
        Ok(())
    }

    fn copy_aside(&mut self, start: u64) -> Result<String, LogError> {
        let seg = self.cache.get(&start).ok_or_else(|| missing_segment(self.path_of(start)))?;
        let used = super::format::used_len(seg);
        let bytes = seg[..used].to_vec();
        Ok(self.put_aside(start, bytes))
    }

    fn move_aside(&mut self, start: u64) -> Result<String, LogError> {
        let bytes = self.cache.remove(&start).unwrap_or_default();
        self.disk.remove(&start);
        Ok(self.put_aside(start, bytes))
    }

    fn sync(&mut self, start: u64, from: usize, to: usize) -> Result<(), LogError> {
        let path = || self.path_of(start);
        let src = self.cache.get(&start).ok_or_else(|| LogError::Io {
            path: path(),
            message: "cannot sync: segment is not open".into(),
        })?;
        let range = src.get(from..to).ok_or_else(|| LogError::Io {
            path: path(),
            message: format!("cannot sync bytes {from}..{to}: the segment has {}", src.len()),
        })?;
        let dst = self.disk.entry(start).or_insert_with(|| vec![0; src.len()]);
        dst.resize(src.len(), 0);
        dst[from..to].copy_from_slice(range);
        Ok(())
    }

    fn release(&mut self) {
        self.open = false;
    }

    fn power_loss(&mut self, flushed_pos: u64, torn: Option<&[u8]>) -> Result<(), LogError> {
        self.open = false;
        let size = self.segment_size_bytes;
        if let Some(torn) = torn.filter(|t| !t.is_empty()) {
            let start = flushed_pos / size * size;
            let at = (flushed_pos - start) as usize;
            let seg = self.disk.entry(start).or_default();
            if seg.len() < size as usize {
                seg.resize(size as usize, 0);
            }
            let n = torn.len().min(size as usize - at);
            seg[at..at + n].copy_from_slice(&torn[..n]);
        }
        self.cache = self.disk.clone();
        Ok(())
    }

    fn disk_failure(&mut self) -> Result<(), LogError> {
        self.open = false;
        self.cache.clear();
        self.disk.clear();
        Ok(())
    }

    fn raw_segments(&self) -> Result<RawSegments, LogError> {
        Ok(self.cache.iter().map(|(s, b)| (*s, b.clone())).collect())
    }

    fn set_raw_segments(&mut self, segments: RawSegments) -> Result<(), LogError> {
        self.open = false;
        self.cache = segments.into_iter().collect();
        self.disk = self.cache.clone();
        Ok(())
    }

    fn path_of(&self, start: u64) -> PathBuf {
        Path::new("<memory>").join(segment_name(start))
    }

    fn segment_paths(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    fn image(&self) -> Result<StorageImage, LogError> {
        let trim = |map: &BTreeMap<u64, Vec<u8>>| map.iter().map(|(s, b)| (*s, Trimmed::of(b))).collect();
        Ok(StorageImage {
            written: trim(&self.cache),
            disk: trim(&self.disk),
            durable: BTreeSet::new(),
            open: self.open,
            aside: self.aside.clone(),
        })
    }

    fn restore_image(&mut self, image: &StorageImage) -> Result<(), LogError> {
        let full = |map: &BTreeMap<u64, Trimmed>| map.iter().map(|(s, t)| (*s, t.full())).collect();
        self.cache = full(&image.written);
        self.disk = full(&image.disk);
        self.open = image.open;
        self.aside = image.aside.clone();
        Ok(())
    }
}
