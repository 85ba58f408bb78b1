//! Scenario files for `mqlab run FILE`: a seed, starting settings and a list of commands, in
//! TOML. Errors name the file, line and column and say what is allowed.
//!
//! ```toml
//! seed = 7
//! [settings]
//! broker.flush = "sync"
//! producer.retries = 2
//! commands = ["send 3", "run", "crash broker power", "restart broker", "run"]
//! ```

use crate::settings::Settings;

/// A parsed scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    pub title: Option<String>,
    pub seed: Option<u64>,
    pub settings: Settings,
    /// Each entry is one line of `;`-separated commands, checked at parse time.
    pub commands: Vec<String>,
}

/// A scenario file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[allow(clippy::todo)]
impl Scenario {
    pub fn parse(_text: &str, _file: &str) -> Result<Scenario, ScenarioError> {
        todo!()
    }
}
