//! mqlab-core: the deterministic heart of mqlab.
//!
//! It owns the commit log (real bytes, real crash semantics), the broker model, the simulator,
//! the ledger of every message's fate, the command language, scenarios and lessons. It never
//! reads the wall clock, never spawns threads and never uses unseeded randomness; the only I/O
//! is the storage backing of the log, behind [`log::Storage`].

pub mod command;
pub mod diagram;
pub mod ids;
pub mod journal;
pub mod lesson;
pub mod log;
pub mod scenario;
pub mod session;
pub mod settings;
pub mod sim;
pub mod text;
pub mod view;
