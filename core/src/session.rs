//! The session: the one door through which front ends, lessons and the CLI change a world and
//! read it back.
//!
//! Every command goes through [`Session::apply`]. The session records the inputs that changed
//! the world (with the step at which each was applied), so `back` can rebuild any earlier step by
//! replaying them into a fresh world: same seed, same inputs, same trace.

use std::path::{Path, PathBuf};

use crate::command::{Command, ParseError};
use crate::ids::MsgId;
use crate::lesson::Lang;
use crate::log::StorageKind;
use crate::settings::Settings;
use crate::sim::World;
use crate::view::{Event, Journey, Report, ReportMessage, View};

/// How to build a world.
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    pub seed: u64,
    pub storage: StorageKind,
    /// Keep the broker's and replica's files here; `None` = a fresh temporary directory.
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
}

/// An interactive world with its history.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    /// The temporary directory of the logs, removed when the session ends.
    _temp: Option<tempfile::TempDir>,
    dir: PathBuf,
    world: World,
    inputs: Vec<(u64, Input)>,
    /// The language events and alerts are said in (English always; Chinese too when asked).
    lang: Lang,
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
    pub fn new(config: SessionConfig) -> Result<Self, SessionError> {
        let (temp, dir) = match &config.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| SessionError::Storage(format!("{}: cannot create: {e}", dir.display())))?;
                (None, dir.clone())
            }
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
        Ok(Self { config, _temp: temp, dir, world, inputs: Vec::new(), lang: Lang::En })
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
        self.apply_in_place(command)?;
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
        self.rebuild(target)
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
