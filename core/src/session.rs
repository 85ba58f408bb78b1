//! The session: the one door through which front ends, lessons and the CLI change a world and
//! read it back.
//!
//! Every command goes through [`Session::apply`]. The session records the inputs that changed
//! the world (with the step at which each was applied), so `back` can rebuild any earlier step by
//! replaying them: same seed, same inputs, same trace. Replay starts from the nearest snapshot of
//! the world (one every [`SNAPSHOT_EVERY`] steps or more, [`MAX_SNAPSHOTS`] at most), so going
//! back costs about the same at step 10,000 and at step 100,000.
//!
//! A line of commands is all or nothing: when one of its commands is refused, the session is
//! put back exactly as it was before the line, whatever the line did before (a `back` included).

use std::path::{Path, PathBuf};

use crate::command::{Command, MAX_MESSAGES, ParseError};
use crate::ids::{MsgId, Node};
use crate::journal::{self, DataDir, Journal};
use crate::lesson::Lang;
use crate::log::StorageKind;
use crate::settings::Settings;
use crate::sim::{Snapshot, World};
use crate::view::{Cause, Event, Journey, Report, ReportMessage, View};

/// How to build a world.
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    pub seed: u64,
    pub storage: StorageKind,
    /// The directory the session lives in (its journal and the broker's and replica's files);
    /// `None` = a fresh temporary directory. A directory holding a session's journal resumes
    /// that session (its seed and settings win over these); see [`Session::new`].
    pub data_dir: Option<PathBuf>,
    pub settings: Settings,
}

/// A command that could not be carried out. Its text is the one line the user sees; nothing was
/// applied.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The command is well formed but impossible now ("restart broker: broker is up"); `zh`
    /// is the same line in Chinese when the session speaks it.
    #[error("{en}")]
    Refused { en: String, zh: String },
    /// The storage failed (unwritable data directory…).
    #[error("{0}")]
    Storage(String),
}

/// How many recent events a view carries.
pub const RECENT_EVENTS: usize = 50;

/// Steps between two snapshots of the world, at first (the spacing doubles when the snapshots
/// would exceed [`MAX_SNAPSHOTS`] or [`SNAPSHOT_BUDGET_BYTES`]).
pub const SNAPSHOT_EVERY: u64 = 10_000;
/// The most snapshots a session keeps.
pub const MAX_SNAPSHOTS: usize = 32;
/// The most bytes the snapshots of a session keep, roughly.
pub const SNAPSHOT_BUDGET_BYTES: usize = 256 << 20;

/// An input that changed the world, and the step it was applied after.
#[derive(Debug, Clone)]
enum Input {
    Command(Command),
    /// A `run MS` moved the clock past its last event.
    ClockTo(u64),
    /// A `run` stopped at its bound (the bound event is a step).
    Bound(u64),
    /// A `run` ended idle and named what is left pending (a step).
    Stranded,
    /// On reopening a data directory, the files of a node held its records only up to `end`.
    FilesCut {
        node: Node,
        end: u64,
        cause: Cause,
    },
}

/// The inputs of a session, remembering how far back they were cut since the journal last
/// recorded them.
#[derive(Debug, Default, Clone)]
struct Inputs {
    list: Vec<(u64, Input)>,
    /// The shortest the list was since the journal took its new entries.
    low: usize,
}

impl Inputs {
    fn push(&mut self, input: (u64, Input)) {
        self.list.push(input);
    }

    fn truncate(&mut self, len: usize) {
        self.list.truncate(len);
        self.low = self.low.min(len);
    }
}

impl std::ops::Deref for Inputs {
    type Target = [(u64, Input)];
    fn deref(&self) -> &Self::Target {
        &self.list
    }
}

impl<'a> IntoIterator for &'a Inputs {
    type Item = &'a (u64, Input);
    type IntoIter = std::slice::Iter<'a, (u64, Input)>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl Input {
    /// The journal's line for this input, applied after `step` events.
    fn entry(&self, step: u64) -> journal::Entry {
        match self {
            Input::Command(command) => journal::Entry::Command { step, command: command.to_string() },
            Input::ClockTo(ms) => journal::Entry::ClockTo { step, ms: *ms },
            Input::Bound(ms) => journal::Entry::Bound { step, ms: *ms },
            Input::Stranded => journal::Entry::Stranded { step },
            Input::FilesCut { node, end, cause } => {
                journal::Entry::FilesCut { step, node: node.name().into(), end: *end, cause: *cause }
            }
        }
    }

    /// Reads back a journal line (`at` names it in errors).
    fn from_entry(entry: journal::Entry, at: &str) -> Result<(u64, Input), SessionError> {
        let bad = |what: String| SessionError::Storage(format!("{at}: {what}"));
        Ok(match entry {
            journal::Entry::Command { step, command } => {
                let command =
                    crate::command::parse_command(&command).map_err(|e| bad(format!("`{command}`: {e}")))?;
                (step, Input::Command(command))
            }
            journal::Entry::ClockTo { step, ms } => (step, Input::ClockTo(ms)),
            journal::Entry::Bound { step, ms } => (step, Input::Bound(ms)),
            journal::Entry::Stranded { step } => (step, Input::Stranded),
            journal::Entry::FilesCut { step, node, end, cause } => {
                let node = match node.as_str() {
                    "broker" => Node::BROKER,
                    "replica" => Node::REPLICA,
                    other => return Err(bad(format!("files_cut of `{other}`: allowed broker, replica"))),
                };
                (step, Input::FilesCut { node, end, cause })
            }
            other => return Err(bad(format!("unexpected entry {other:?}"))),
        })
    }
}

/// A snapshot and how many of the inputs it had seen.
#[derive(Debug)]
struct Kept {
    snapshot: Snapshot,
    inputs: usize,
}

/// The snapshots of a session, oldest first, each of the current history: the first is the
/// world as it was built (step 0), never dropped.
#[derive(Debug)]
struct Snapshots {
    kept: Vec<Kept>,
    /// Steps between two snapshots now.
    every: u64,
}

impl Snapshots {
    fn new(world: &World) -> Result<Self, SessionError> {
        let first = Kept { snapshot: world.snapshot().map_err(storage_err)?, inputs: 0 };
        Ok(Snapshots { kept: vec![first], every: SNAPSHOT_EVERY })
    }

    /// Takes a snapshot if the last one is `every` steps behind; thins them out (every other
    /// one, the first and the newest kept) and doubles the spacing when there are too many.
    fn maybe_take(&mut self, world: &World, inputs: usize) -> Result<(), String> {
        let last = self.kept.last().map_or(0, |k| k.snapshot.step());
        if world.step() < last + self.every {
            return Ok(());
        }
        self.kept.push(Kept { snapshot: world.snapshot()?, inputs });
        while self.kept.len() > MAX_SNAPSHOTS
            || (self.kept.len() > 2
                && self.kept.iter().map(|k| k.snapshot.bytes()).sum::<usize>() > SNAPSHOT_BUDGET_BYTES)
        {
            let newest = self.kept.len() - 1;
            let mut index = 0;
            self.kept.retain(|_| {
                let keep = index == 0 || (newest - index).is_multiple_of(2);
                index += 1;
                keep
            });
            self.every *= 2;
        }
        Ok(())
    }

    /// Drops the snapshots past `step` or past the first `inputs` inputs (the first stays).
    fn forget_after(&mut self, step: u64, inputs: usize) {
        let mut first = true;
        self.kept.retain(|k| std::mem::take(&mut first) || (k.snapshot.step() <= step && k.inputs <= inputs));
    }

    /// The newest snapshot at or before `step` that had seen at most `inputs` inputs.
    fn nearest(&self, step: u64, inputs: usize) -> &Kept {
        self.kept
            .iter()
            .rev()
            .find(|k| k.snapshot.step() <= step && k.inputs <= inputs)
            .unwrap_or(&self.kept[0])
    }
}

/// An interactive world with its history.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    /// The temporary directory of the logs, removed when the session ends.
    _temp: Option<tempfile::TempDir>,
    dir: PathBuf,
    world: World,
    inputs: Inputs,
    snapshots: Snapshots,
    /// Messages the recorded inputs sent (at most [`MAX_MESSAGES`]).
    sent: u64,
    /// The language events and alerts are said in (English always; Chinese too when asked).
    lang: Lang,
    /// With a data directory: the lock on it and the journal, appended after every line.
    data: Option<(DataDir, Journal)>,
    /// What opening the data directory found, one line each (empty for a new session).
    opened: Vec<String>,
}

impl SessionError {
    fn refused(said: crate::sim::said::Said) -> SessionError {
        SessionError::Refused { en: said.en, zh: said.zh }
    }

    /// The one line in `lang` (English is the `Display` text).
    pub fn text(&self, lang: Lang) -> String {
        match self {
            SessionError::Parse(e) => e.text(lang),
            SessionError::Refused { zh, .. } if lang == Lang::Zh && !zh.is_empty() => zh.clone(),
            other => other.to_string(),
        }
    }
}

fn storage_err(e: String) -> SessionError {
    SessionError::Storage(e)
}

impl Session {
    /// A new session; or, when `config.data_dir` holds a session's journal, that session
    /// resumed: its world replayed from the journal, the broker's and replica's files taken up
    /// by the real recovery and compared with what the world wrote ([`Session::opened`] says
    /// what was found). The directory is locked while the session lives; one that holds files
    /// mqlab did not write is refused, untouched.
    pub fn new(config: SessionConfig) -> Result<Self, SessionError> {
        if let Some(dir) = &config.data_dir {
            let data = DataDir::open(dir).map_err(SessionError::Storage)?;
            if let Some(read) = data.read().map_err(SessionError::Storage)? {
                return Self::resume(config, data, read);
            }
            if data.has_logs() {
                return Err(SessionError::Storage(format!(
                    "{}: holds log files but no session journal; nothing was changed: --fresh starts over \
                     (removing them)",
                    dir.display()
                )));
            }
            let journal =
                data.start(config.seed, config.storage, &config.settings).map_err(SessionError::Storage)?;
            let world = Self::fresh(&config, dir, Lang::En)?;
            let snapshots = Snapshots::new(&world)?;
            let dir = dir.clone();
            return Ok(Self {
                config,
                _temp: None,
                dir,
                world,
                inputs: Inputs::default(),
                snapshots,
                sent: 0,
                lang: Lang::En,
                data: Some((data, journal)),
                opened: Vec::new(),
            });
        }
        let (temp, dir) = match &config.data_dir {
            Some(dir) => (None, dir.clone()),
            None if config.storage == StorageKind::Mem => (None, PathBuf::from("mem")),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("mqlab-")
                    .tempdir()
                    .map_err(|e| SessionError::Storage(format!("temporary directory: {e}")))?;
                let dir = temp.path().to_owned();
                (Some(temp), dir)
            }
        };
        let world = Self::fresh(&config, &dir, Lang::En)?;
        let snapshots = Snapshots::new(&world)?;
        Ok(Self {
            config,
            _temp: temp,
            dir,
            world,
            snapshots,
            inputs: Inputs::default(),
            sent: 0,
            lang: Lang::En,
            data: None,
            opened: Vec::new(),
        })
    }

    /// A new session even where `config.data_dir` holds one: that session's journal and log
    /// files (only files mqlab wrote) are removed first. Without a data directory, the same as
    /// [`Session::new`].
    pub fn start_over(config: SessionConfig) -> Result<Self, SessionError> {
        if let Some(dir) = &config.data_dir {
            DataDir::open(dir).and_then(|data| data.clear()).map_err(SessionError::Storage)?;
        }
        Self::new(config)
    }

    /// Resumes the session a data directory's journal holds.
    fn resume(config: SessionConfig, data: DataDir, read: journal::Read) -> Result<Self, SessionError> {
        let dir = data.path().to_owned();
        let at = dir.join(journal::JOURNAL).display().to_string();
        let mut inputs = Inputs::default();
        for entry in read.inputs {
            inputs.push(Input::from_entry(entry, &at)?);
        }
        inputs.low = inputs.len();
        let kept = inputs.len();
        let storage = read.storage;
        // The world is replayed with its logs in memory; the files are taken up after.
        let config = SessionConfig {
            seed: read.seed,
            storage: StorageKind::Mem,
            data_dir: config.data_dir,
            settings: read.settings,
        };
        let world = Self::fresh(&config, &dir, Lang::En)?;
        let journal = data.append(kept).map_err(SessionError::Storage)?;
        let snapshots = Snapshots::new(&world)?;
        let mut session = Self {
            config,
            _temp: None,
            dir,
            world,
            inputs,
            snapshots,
            sent: 0,
            lang: Lang::En,
            data: Some((data, journal)),
            opened: Vec::new(),
        };
        session.rebuild(read.step)?;
        session.config.storage = storage;
        let (s, n) = (if kept == 1 { "" } else { "s" }, session.world.step());
        session.opened.push(format!(
            "{}: resumed the session (seed {}, {kept} input{s}, step {n})",
            session.dir.display(),
            session.config.seed
        ));
        if storage == StorageKind::Mmap {
            let (lines, taken) = session.world.take_up_files(&session.dir).map_err(storage_err)?;
            session.opened.extend(lines);
            for t in taken {
                session.inputs.push(match t {
                    crate::sim::files::Taken::Command(step, command) => (step, Input::Command(command)),
                    crate::sim::files::Taken::FilesCut { step, node, end, cause } => {
                        (step, Input::FilesCut { node, end, cause })
                    }
                });
            }
            session.record()?;
        }
        Ok(session)
    }

    /// What opening the data directory found, one line each: empty for a new session.
    pub fn opened(&self) -> &[String] {
        &self.opened
    }

    /// Writes the inputs that changed since the journal last took them, and the step reached.
    fn record(&mut self) -> Result<(), SessionError> {
        let Some((_, journal)) = self.data.as_mut() else { return Ok(()) };
        let mut entries = Vec::new();
        let low = self.inputs.low.min(journal.kept);
        if low < journal.kept {
            entries.push(journal::Entry::Keep { inputs: low });
        }
        entries.extend(self.inputs[low..].iter().map(|(step, input)| input.entry(*step)));
        entries.push(journal::Entry::Reached { step: self.world.step() });
        journal.write(&entries).map_err(SessionError::Storage)?;
        journal.kept = self.inputs.len();
        self.inputs.low = self.inputs.len();
        Ok(())
    }

    fn fresh(config: &SessionConfig, dir: &Path, lang: Lang) -> Result<World, SessionError> {
        let mut world =
            World::new(config.seed, config.storage, dir, config.settings.clone()).map_err(storage_err)?;
        world.set_chinese(lang == Lang::Zh);
        Ok(world)
    }

    /// Says every event and alert in `lang` too ([`Event::text_in`]), including those already
    /// in the trace: the world is replayed to the current step, so nothing else changes.
    pub fn set_language(&mut self, lang: Lang) -> Result<(), SessionError> {
        if lang == self.lang {
            return Ok(());
        }
        self.lang = lang;
        // Every snapshot but the first (step 0, nothing said yet) speaks the old language.
        self.snapshots.forget_after(0, 0);
        self.rebuild_to(self.world.step(), self.inputs.len())
    }

    /// The language events and alerts are said in.
    pub fn language(&self) -> Lang {
        self.lang
    }

    /// Parses and applies one line of `;`-separated commands, all or nothing; returns the
    /// events it caused.
    pub fn perform(&mut self, line: &str) -> Result<Vec<Event>, SessionError> {
        let start = self.world.trace().len();
        self.execute(line)?;
        Ok(self.events_since(start))
    }

    /// [`Session::perform`] without copying the events out: returns how many there were. For
    /// headless runs, where the trace is read once at the end.
    pub fn execute(&mut self, line: &str) -> Result<u64, SessionError> {
        let result = self.execute_line(line);
        // The journal follows the world either way; the line's own error comes first.
        let recorded = self.record();
        let events = result?;
        recorded?;
        Ok(events)
    }

    fn execute_line(&mut self, line: &str) -> Result<u64, SessionError> {
        let commands = crate::command::parse_line(line)?;
        let (step, inputs) = (self.world.step(), self.inputs.len());
        let before = self.world.trace().len() as u64;
        // A `back` drops recorded inputs; they are kept here to be put back if the line fails.
        let saved = commands.iter().any(|c| matches!(c, Command::Back(_))).then(|| self.inputs.clone());
        // The earliest point of the history this line went back to: what is before it is shared
        // by the history before the line and the one the line started.
        let mut low = (step, inputs);
        for command in commands {
            if let Err(e) = self.apply_in_place(command) {
                self.undo_line(step, inputs, saved, low)?;
                return Err(e);
            }
            low = (low.0.min(self.world.step()), low.1.min(self.inputs.len()));
        }
        Ok((self.world.trace().len() as u64).saturating_sub(before))
    }

    /// Puts the session back at `step` with its first `inputs` inputs (all of `saved`, when the
    /// line went back), as it was before a line that failed.
    fn undo_line(
        &mut self,
        step: u64,
        inputs: usize,
        saved: Option<Inputs>,
        low: (u64, usize),
    ) -> Result<(), SessionError> {
        // Whether the line changed anything: every change is a step or a recorded input.
        let changed = saved.is_some() || self.world.step() != step || self.inputs.len() != inputs;
        match saved {
            Some(saved) => self.inputs = saved,
            None => self.inputs.truncate(inputs),
        }
        if changed {
            // Only snapshots of the shared history can be restored into the world as it is now.
            self.snapshots.forget_after(low.0, low.1);
            self.rebuild_to(step, inputs)?;
        }
        Ok(())
    }
    /// Applies one command; returns the events it caused.
    pub fn apply(&mut self, command: Command) -> Result<Vec<Event>, SessionError> {
        let start = self.world.trace().len();
        let result = self.apply_in_place(command);
        let recorded = self.record();
        result?;
        recorded?;
        Ok(self.events_since(start))
    }

    /// The events after the first `start` of the trace (none after a rewind below it).
    fn events_since(&self, start: usize) -> Vec<Event> {
        self.world.trace().get(start..).map(<[Event]>::to_vec).unwrap_or_default()
    }

    /// Applies one command, leaving its events in the trace.
    fn apply_in_place(&mut self, command: Command) -> Result<(), SessionError> {
        match command {
            Command::Step(n) => {
                for _ in 0..n {
                    if !self.world.step_one().map_err(storage_err)? {
                        break;
                    }
                    self.snapshots.maybe_take(&self.world, self.inputs.len()).map_err(storage_err)?;
                }
            }
            Command::Run(ms) => {
                let (snapshots, inputs) = (&mut self.snapshots, self.inputs.len());
                let (_, bound) = self
                    .world
                    .run_observed(ms, &mut |world| snapshots.maybe_take(world, inputs))
                    .map_err(storage_err)?;
                if bound {
                    let at = self.world.trace().last().map_or(self.world.now(), |e| e.at_ms);
                    self.inputs.push((self.world.step() - 1, Input::Bound(at)));
                } else if ms.is_some() {
                    self.inputs.push((self.world.step(), Input::ClockTo(self.world.now())));
                } else if self.world.say_stranded() {
                    self.inputs.push((self.world.step() - 1, Input::Stranded));
                }
            }
            Command::Back(n) => self.back(n)?,
            command => {
                let step = self.world.step();
                let sends = command.sends();
                if self.sent + sends > MAX_MESSAGES {
                    return Err(SessionError::Refused {
                        en: format!(
                            "`{command}`: a session holds at most {MAX_MESSAGES} messages and {} are sent; \
                             go back or start over",
                            self.sent
                        ),
                        zh: format!(
                            "`{command}`：一个会话最多 {MAX_MESSAGES} 条消息，已发送 {} 条；请后退或重新开始",
                            self.sent
                        ),
                    });
                }
                self.world.command(&command).map_err(storage_err)?.map_err(SessionError::refused)?;
                self.inputs.push((step, Input::Command(command)));
                self.sent += sends;
                self.snapshots.maybe_take(&self.world, self.inputs.len()).map_err(storage_err)?;
            }
        }
        Ok(())
    }

    /// Everything a front end shows, now.
    pub fn view(&self) -> View {
        let messages = self.world.messages();
        let totals = World::totals(&messages, self.world.acked());
        let trace = self.world.trace();
        View {
            step: self.world.step(),
            virtual_ms: self.world.now(),
            idle: self.world.is_idle(),
            settings: self.world.settings().clone(),
            topology: self.world.topology(),
            nodes: self.world.nodes(),
            in_flight: self.world.in_flight(),
            messages,
            totals,
            recent: trace[trace.len().saturating_sub(RECENT_EVENTS)..].to_vec(),
            alerts: self
                .world
                .alerts()
                .map(|a| if self.lang == Lang::Zh && !a.zh.is_empty() { a.zh.clone() } else { a.en.clone() })
                .collect(),
        }
    }

    /// Every event that touched one message, and why it ended as it did.
    pub fn journey(&self, id: MsgId) -> Option<Journey> {
        let message = self.world.messages().into_iter().find(|m| m.id == id)?;
        let events: Vec<Event> =
            self.world.trace().iter().filter(|e| e.messages.contains(&id)).cloned().collect();
        let explanation = message.explain(Lang::En);
        Some(Journey { message, events, explanation })
    }

    /// The `--json` object.
    pub fn report(&self) -> Report {
        let messages = self.world.messages();
        let totals = World::totals(&messages, self.world.acked());
        Report {
            totals,
            messages: messages
                .into_iter()
                .map(|m| ReportMessage {
                    id: m.id,
                    producer: m.producer,
                    seq: m.seq,
                    queue: m.queue,
                    status: m.status,
                    fate: m.fate,
                    cause: m.cause,
                    effects: m.effects,
                    detected: m.detected,
                })
                .collect(),
            steps: self.world.step(),
            virtual_ms: self.world.now(),
            trace_digest: digest(self.world.trace()),
        }
    }

    /// Every event so far, oldest first.
    pub fn trace(&self) -> &[Event] {
        self.world.trace()
    }

    /// Rewinds `steps` events (same as the `back` command): the world as it was right after
    /// that step, before any command given there. The future is discarded.
    pub fn back(&mut self, steps: u64) -> Result<(), SessionError> {
        let target = self.world.step().saturating_sub(steps);
        let result = self.rebuild(target);
        let recorded = self.record();
        result?;
        recorded
    }

    /// The world as it was right after step `target`, before any command given there; the
    /// later inputs are discarded.
    fn rebuild(&mut self, target: u64) -> Result<(), SessionError> {
        let keep = self
            .inputs
            .iter()
            .take_while(|(at, input)| *at < target || (*at == target && matches!(input, Input::ClockTo(_))))
            .count();
        self.snapshots.forget_after(target, keep);
        self.rebuild_to(target, keep)
    }

    /// Rebuilds the world from the nearest snapshot: the first `keep` inputs, then steps up to
    /// `target`. The later inputs are discarded.
    fn rebuild_to(&mut self, target: u64, keep: usize) -> Result<(), SessionError> {
        let base = self.snapshots.nearest(target, keep);
        let mut applied = base.inputs;
        self.world.restore(&base.snapshot).map_err(storage_err)?;
        self.world.set_chinese(self.lang == Lang::Zh);
        while applied < keep {
            let (at, input) = &self.inputs[applied];
            while self.world.step() < *at {
                if !self.world.step_one().map_err(storage_err)? {
                    break;
                }
                self.snapshots.maybe_take(&self.world, applied).map_err(storage_err)?;
            }
            match input {
                Input::ClockTo(ms) => self.world.clock_to(*ms),
                Input::Command(command) => {
                    self.world.command(command).map_err(storage_err)?.map_err(SessionError::refused)?;
                }
                Input::Bound(ms) => {
                    self.world.bound_event(*ms);
                }
                Input::Stranded => {
                    self.world.say_stranded();
                }
                Input::FilesCut { node, end, cause } => {
                    self.world.files_cut(*node, *end, *cause).map_err(storage_err)?
                }
            }
            applied += 1;
            self.snapshots.maybe_take(&self.world, applied).map_err(storage_err)?;
        }
        while self.world.step() < target {
            if !self.world.step_one().map_err(storage_err)? {
                break;
            }
            self.snapshots.maybe_take(&self.world, keep).map_err(storage_err)?;
        }
        self.inputs.truncate(keep);
        self.sent = self
            .inputs
            .iter()
            .map(|(_, input)| match input {
                Input::Command(command) => command.sends(),
                _ => 0,
            })
            .sum();
        Ok(())
    }

    /// Changes the spacing of the snapshots `back` starts from (`u64::MAX`: none after step 0,
    /// every `back` replays from the start). For tests and benchmarks that compare the two.
    #[doc(hidden)]
    pub fn set_snapshot_every(&mut self, steps: u64) {
        self.snapshots.every = steps.max(1);
    }

    /// How this session's world was built.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The temporary directory the session made for its files (removed when it ends), if any.
    pub fn temporary_dir(&self) -> Option<&Path> {
        self._temp.as_ref().map(tempfile::TempDir::path)
    }

    /// Where the broker's and replica's files live (`mem` for the memory backing).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The step number now (events processed so far).
    pub fn step(&self) -> u64 {
        self.world.step()
    }

    /// Whether nothing is scheduled (stepping would do nothing).
    pub fn is_idle(&self) -> bool {
        self.world.is_idle()
    }

    /// Virtual time now, in ms.
    pub fn virtual_ms(&self) -> u64 {
        self.world.now()
    }

    /// Checks the world's internal invariants (for tests and the randomized sweep).
    pub fn check_invariants(&self) -> Result<(), String> {
        self.world.check_invariants()
    }
}

/// SHA-256 over every event's step, time, node and text: equal digests mean equal traces.
pub fn digest(trace: &[Event]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for e in trace {
        let node = e.node.map_or("-", |n| n.name());
        hasher.update(format!("{} {} {} {}\n", e.step, e.at_ms, node, e.text).as_bytes());
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
