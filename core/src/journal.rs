//! A data directory: the place a session lives in (`--data-dir DIR`).
//!
//! ```text
//! DIR/.mqlab              marker: this directory was made by mqlab
//! DIR/lock                held (flock) by the one process using DIR; holds its pid
//! DIR/journal.jsonl       the session's journal: seed, settings, every applied input
//! DIR/broker/.mqlab       the broker's log: segments (20 digits), set-aside cuts (*.cut-N)
//! DIR/replica/.mqlab      the replica's log, the same way
//! ```
//!
//! The lab removes only files it can prove it created: files with the names it writes, in a
//! directory holding its marker. A directory it did not make (no marker) must be empty to be
//! taken; one holding anything else is refused, and nothing in it is touched. Set-aside cuts are
//! never removed except by an explicit `--fresh`.
//!
//! The journal is one JSON object per line, appended and synced (fsync) after each line of
//! commands, so it survives a `kill -9` and a power loss of the machine alike. Reopening the
//! directory replays it: same seed, same inputs, same world.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::log::{StorageKind, is_log_file_name};
use crate::settings::Settings;
use crate::view::Cause;

/// The marker file in every directory the lab made.
pub const MARKER: &str = ".mqlab";
/// The lock file of a data directory.
pub const LOCK: &str = "lock";
/// The session's journal.
pub const JOURNAL: &str = "journal.jsonl";
/// The log directories inside a data directory.
pub const LOG_DIRS: [&str; 2] = ["broker", "replica"];

const MARKER_TEXT: &str = "This directory was made by mqlab (--data-dir). mqlab removes only the files it \
                           wrote here: this marker, lock, journal.jsonl, and log segments.\n";
/// The journal's format version (the first line says it).
const FORMAT: u32 = 1;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Entry {
    /// The first line: how the world is built.
    Session { format: u32, seed: u64, storage: String, settings: Settings },
    /// A command applied after `step` events.
    Command { step: u64, command: String },
    /// A `run MS` moved the clock past its last event.
    ClockTo { step: u64, ms: u64 },
    /// A `run` stopped at its bound.
    Bound { step: u64, ms: u64 },
    /// A `run` ended idle and named what it left pending.
    Stranded { step: u64 },
    /// On reopening, the files of `node` held the world's records only up to byte `end`: the
    /// rest was set aside and its records are gone, for `cause`.
    FilesCut { step: u64, node: String, end: u64, cause: Cause },
    /// Only the first `inputs` inputs stand (`back`, or a line refused half way undid the rest).
    Keep { inputs: usize },
    /// The world stood at this step after the line.
    Reached { step: u64 },
}

/// What a journal holds once read: the header and the inputs that stand, and the step reached.
#[derive(Debug, Clone)]
pub(crate) struct Read {
    pub seed: u64,
    pub storage: StorageKind,
    pub settings: Settings,
    pub inputs: Vec<Entry>,
    pub step: u64,
}

fn storage_name(kind: StorageKind) -> &'static str {
    match kind {
        StorageKind::Mmap => "mmap",
        StorageKind::Mem => "mem",
    }
}

fn err(path: &Path, what: &str, e: impl std::fmt::Display) -> String {
    format!("{}: {what}: {e}", path.display())
}

/// Takes `dir` for the lab: creates it (and its marker) if missing, marks it if empty. A
/// directory with the marker may hold only entries `allowed` says the lab writes (given the name
/// and whether it is a directory; symbolic links never), and the marker; one without may hold
/// nothing. Anything else is refused, untouched.
pub fn claim(dir: &Path, allowed: &dyn Fn(&str, bool) -> bool) -> Result<(), String> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(|e| err(dir, "cannot create", e))?;
            return write_marker(dir);
        }
        Err(e) => return Err(err(dir, "cannot open", e)),
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(format!(
                "{}: is a symbolic link; give the directory it points to, so mqlab knows where it writes",
                dir.display()
            ));
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(format!(
                "{}: cannot create: a file with this name exists, not a directory",
                dir.display()
            ));
        }
        Ok(_) => {}
    }
    let entries = fs::read_dir(dir).map_err(|e| err(dir, "cannot list", e))?;
    let owned = dir.join(MARKER).is_file();
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(dir, "cannot list", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MARKER {
            continue;
        }
        let kind = entry.file_type().ok();
        let plain = kind.is_some_and(|t| t.is_file() || t.is_dir());
        let is_dir = kind.is_some_and(|t| t.is_dir());
        if !owned || !plain || !allowed(&name, is_dir) {
            names.push(name);
        }
    }
    if let Some(first) = names.iter().min() {
        let more = if names.len() > 1 { format!(" and {} more", names.len() - 1) } else { String::new() };
        let whose = if owned { "which mqlab did not write" } else { "and mqlab did not make this directory" };
        return Err(format!(
            "{}: holds `{first}`{more}, {whose}; refusing to use it (nothing was changed): give an empty or \
             new directory",
            dir.display()
        ));
    }
    if !owned { write_marker(dir) } else { Ok(()) }
}

fn write_marker(dir: &Path) -> Result<(), String> {
    let path = dir.join(MARKER);
    fs::write(&path, MARKER_TEXT).map_err(|e| err(&path, "cannot write", e))
}

/// What the lab writes at the top of a data directory: the lock and journal files, the log
/// directories.
fn top_level(name: &str, is_dir: bool) -> bool {
    if LOG_DIRS.contains(&name) { is_dir } else { !is_dir && (name == LOCK || name == JOURNAL) }
}

/// What the lab writes in a log directory: segments and set-aside cuts, all files.
fn log_file(name: &str, is_dir: bool) -> bool {
    !is_dir && is_log_file_name(name)
}

/// A data directory in use: claimed, and locked for this process while this value lives.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Claims and locks `path`. Another process holding it is an error naming its pid.
    pub fn open(path: &Path) -> Result<Self, String> {
        claim(path, &top_level)?;
        for name in LOG_DIRS {
            claim(&path.join(name), &log_file)?;
        }
        let lock_path = path.join(LOCK);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| err(&lock_path, "cannot open", e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let pid = fs::read_to_string(&lock_path).unwrap_or_default();
                let pid = pid.trim();
                let who = if pid.is_empty() {
                    String::from("another mqlab")
                } else {
                    format!("another mqlab (pid {pid})")
                };
                return Err(format!(
                    "{}: in use by {who}; one process at a time: close it, or give another --data-dir",
                    path.display()
                ));
            }
            Err(fs::TryLockError::Error(e)) => return Err(err(&lock_path, "cannot lock", e)),
        }
        lock.set_len(0).map_err(|e| err(&lock_path, "cannot write", e))?;
        writeln!(lock, "{}", std::process::id()).map_err(|e| err(&lock_path, "cannot write", e))?;
        Ok(Self { path: path.to_owned(), _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The files `--fresh` removes: the journal and every file in the log directories (segments
    /// and set-aside cuts), each a file the lab wrote.
    pub fn owned_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let journal = self.path.join(JOURNAL);
        if journal.is_file() {
            files.push(journal);
        }
        for name in LOG_DIRS {
            let dir = self.path.join(name);
            let Ok(entries) = fs::read_dir(&dir) else { continue };
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
                .filter(|e| is_log_file_name(&e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect();
            found.sort();
            files.extend(found);
        }
        files
    }

    /// Removes [`DataDir::owned_files`]; returns them.
    pub fn clear(&self) -> Result<Vec<PathBuf>, String> {
        let files = self.owned_files();
        for file in &files {
            fs::remove_file(file).map_err(|e| err(file, "cannot remove", e))?;
        }
        Ok(files)
    }

    /// Whether the directory holds log segments but no journal: written by something other than
    /// a session that kept one.
    pub(crate) fn has_logs(&self) -> bool {
        self.owned_files().iter().any(|f| f.parent() != Some(self.path.as_path()))
    }

    /// Reads the journal; `None` when there is none yet.
    pub(crate) fn read(&self) -> Result<Option<Read>, String> {
        let path = self.path.join(JOURNAL);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(&path, "cannot open", e)),
        };
        let mut read: Option<Read> = None;
        let mut lines = BufReader::new(file).lines().enumerate().peekable();
        while let Some((i, line)) = lines.next() {
            let at = |what: String| format!("{}:{}: {what}", path.display(), i + 1);
            let line = line.map_err(|e| at(format!("cannot read: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let entry: Entry = match serde_json::from_str(&line) {
                Ok(entry) => entry,
                // A last line cut short by a crash while it was written: the line never finished.
                Err(_) if lines.peek().is_none() && !line.ends_with('}') => break,
                Err(e) => return Err(at(format!("not a journal entry ({e})"))),
            };
            match (entry, read.as_mut()) {
                (Entry::Session { format, seed, storage, settings }, None) => {
                    if format != FORMAT {
                        return Err(at(format!("journal format {format}; this mqlab reads format {FORMAT}")));
                    }
                    let storage = match storage.as_str() {
                        "mmap" => StorageKind::Mmap,
                        "mem" => StorageKind::Mem,
                        other => return Err(at(format!("storage `{other}`: allowed mmap, mem"))),
                    };
                    read = Some(Read { seed, storage, settings, inputs: Vec::new(), step: 0 });
                }
                (_, None) | (Entry::Session { .. }, Some(_)) => {
                    return Err(at("the first line, and only it, says how the session was built".into()));
                }
                (Entry::Keep { inputs }, Some(r)) => r.inputs.truncate(inputs),
                (Entry::Reached { step }, Some(r)) => r.step = step,
                (entry, Some(r)) => r.inputs.push(entry),
            }
        }
        Ok(read)
    }

    /// Starts the journal of a new session.
    pub(crate) fn start(
        &self,
        seed: u64,
        storage: StorageKind,
        settings: &Settings,
    ) -> Result<Journal, String> {
        let path = self.path.join(JOURNAL);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| err(&path, "cannot create", e))?;
        let mut journal = Journal { path, file, kept: 0 };
        let header = Entry::Session {
            format: FORMAT,
            seed,
            storage: storage_name(storage).into(),
            settings: settings.clone(),
        };
        journal.write(&[header])?;
        Ok(journal)
    }

    /// Opens the journal to append to it; `kept` inputs stand in it now.
    pub(crate) fn append(&self, kept: usize) -> Result<Journal, String> {
        let path = self.path.join(JOURNAL);
        let mut file =
            OpenOptions::new().append(true).open(&path).map_err(|e| err(&path, "cannot open", e))?;
        // A last line a crash cut short is ended, so the next entry starts on a line of its own.
        let len = file.metadata().map_err(|e| err(&path, "cannot stat", e))?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            let reader = File::open(&path).map_err(|e| err(&path, "cannot open", e))?;
            std::os::unix::fs::FileExt::read_exact_at(&reader, &mut last, len - 1)
                .map_err(|e| err(&path, "cannot read", e))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(|e| err(&path, "cannot write", e))?;
            }
        }
        Ok(Journal { path, file, kept })
    }
}

/// The journal of a session, open for appending.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    /// How many inputs stand in the journal.
    pub kept: usize,
}

impl Journal {
    /// Appends the entries and syncs them to disk.
    pub fn write(&mut self, entries: &[Entry]) -> Result<(), String> {
        let mut text = String::new();
        for entry in entries {
            let line = serde_json::to_string(entry).map_err(|e| err(&self.path, "cannot write", e))?;
            text.push_str(&line);
            text.push('\n');
        }
        self.file.write_all(text.as_bytes()).map_err(|e| err(&self.path, "cannot write", e))?;
        self.file.sync_data().map_err(|e| err(&self.path, "cannot sync", e))
    }
}
