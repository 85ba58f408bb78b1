//! The session: the one door through which front ends, lessons and the CLI change a world and
//! read it back.
//!
//! API CONTRACT (skeleton; the bodies are being implemented — front ends code against these
//! signatures).

use std::path::PathBuf;

use crate::command::{Command, ParseError};
use crate::ids::MsgId;
use crate::log::StorageKind;
use crate::settings::Settings;
use crate::view::{Event, Journey, Report, View};

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
    /// The command is well formed but impossible now ("restart broker: broker is up").
    #[error("{0}")]
    Refused(String),
    /// The storage failed (unwritable data directory…).
    #[error("{0}")]
    Storage(String),
}

/// An interactive world with its history.
#[derive(Debug)]
pub struct Session {
    _private: (),
}

#[allow(clippy::todo)]
impl Session {
    pub fn new(_config: SessionConfig) -> Result<Self, SessionError> {
        todo!()
    }
    /// Parses and applies one line of `;`-separated commands, all or nothing; returns the
    /// events it caused.
    pub fn perform(&mut self, _line: &str) -> Result<Vec<Event>, SessionError> {
        todo!()
    }
    /// Applies one command; returns the events it caused.
    pub fn apply(&mut self, _command: Command) -> Result<Vec<Event>, SessionError> {
        todo!()
    }
    /// Everything a front end shows, now.
    pub fn view(&self) -> View {
        todo!()
    }
    /// Every event that touched one message, and why it ended as it did.
    pub fn journey(&self, _id: MsgId) -> Option<Journey> {
        todo!()
    }
    /// The `--json` object.
    pub fn report(&self) -> Report {
        todo!()
    }
    /// Every event so far, oldest first.
    pub fn trace(&self) -> &[Event] {
        todo!()
    }
    /// Rewinds `steps` events (same as the `back` command).
    pub fn back(&mut self, _steps: u64) -> Result<(), SessionError> {
        todo!()
    }
    /// The step number now (events processed so far).
    pub fn step(&self) -> u64 {
        todo!()
    }
    /// Whether nothing is scheduled (stepping would do nothing).
    pub fn is_idle(&self) -> bool {
        todo!()
    }
}
