//! The session: the one door through which front ends, lessons and the CLI change a world and
//! read it back.
//!
//! Every command goes through [`Session::apply`]. The session records the inputs that changed
//! the world (with the step at which each was applied), so `back` can rebuild any earlier step by
//! replaying them into a fresh world: same seed, same inputs, same trace.

use std::path::{Path, PathBuf};

use crate::command::{Command, ParseError};
use crate::ids::{MsgId, Node};
use crate::journal::{self, DataDir, Journal};
use crate::lesson::Lang;
use crate::log::StorageKind;
use crate::settings::Settings;
use crate::sim::World;
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
#[derive(Debug, Default)]
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
                    "broker" => Node::Broker,
                    "replica" => Node::Replica,
                    other => return Err(bad(format!("files_cut of `{other}`: allowed broker, replica"))),
                };
                (step, Input::FilesCut { node, end, cause })
            }
            other => return Err(bad(format!("unexpected entry {other:?}"))),
        })
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
            let dir = dir.clone();
            return Ok(Self {
                config,
                _temp: None,
                dir,
                world,
                inputs: Inputs::default(),
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
        Ok(Self {
            config,
            _temp: temp,
            dir,
            world,
            inputs: Inputs::default(),
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
        let mut session = Self {
            config,
            _temp: None,
            dir,
            world,
            inputs,
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
        self.rebuild(self.world.step())
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
        for command in commands {
            if let Err(e) = self.apply_in_place(command) {
                // All or nothing: rebuild the world as it was before this line, if it changed.
                if self.world.step() != step || self.inputs.len() != inputs {
                    self.inputs.truncate(inputs);
                    self.rebuild(step)?;
                }
                return Err(e);
            }
        }
        Ok((self.world.trace().len() as u64).saturating_sub(before))
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
                }
            }
            Command::Run(ms) => {
                let (_, bound) = self.world.run(ms).map_err(storage_err)?;
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
                self.world.command(&command).map_err(storage_err)?.map_err(SessionError::refused)?;
                self.inputs.push((step, Input::Command(command)));
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

    /// Rewinds `steps` events (same as the `back` command): rebuilds the world from the recorded
    /// inputs up to the target step. The future is discarded.
    pub fn back(&mut self, steps: u64) -> Result<(), SessionError> {
        let target = self.world.step().saturating_sub(steps);
        let result = self.rebuild(target);
        let recorded = self.record();
        result?;
        recorded
    }

    fn rebuild(&mut self, target: u64) -> Result<(), SessionError> {
        // The old world's files must be closed before the new one recreates them.
        let placeholder =
            World::new(self.config.seed, StorageKind::Mem, Path::new("mem"), Settings::default())
                .map_err(storage_err)?;
        drop(std::mem::replace(&mut self.world, placeholder));
        let mut world = Self::fresh(&self.config, &self.dir, self.lang)?;
        let mut kept = 0;
        for (at, input) in &self.inputs {
            if *at > target {
                break;
            }
            while world.step() < *at {
                if !world.step_one().map_err(storage_err)? {
                    break;
                }
            }
            match input {
                Input::ClockTo(ms) => world.clock_to(*ms),
                _ if *at == target => break,
                Input::Command(command) => {
                    world.command(command).map_err(storage_err)?.map_err(SessionError::refused)?;
                }
                Input::Bound(ms) => {
                    world.bound_event(*ms);
                }
                Input::Stranded => {
                    world.say_stranded();
                }
                Input::FilesCut { node, end, cause } => {
                    world.files_cut(*node, *end, *cause).map_err(storage_err)?
                }
            }
            kept += 1;
        }
        while world.step() < target {
            if !world.step_one().map_err(storage_err)? {
                break;
            }
        }
        self.inputs.truncate(kept);
        self.world = world;
        Ok(())
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
