//! Scenario files for `mqlab run FILE`: a seed, starting settings and a list of commands, in
//! TOML. Everything is checked before anything runs: a bad key, value or command is one error
//! naming the file, line and column and saying what is allowed.
//!
//! ```toml
//! title = "async flush loses the page cache on power loss"
//! seed = 7
//! commands = ["send 3", "run", "crash broker power", "restart broker", "run"]
//!
//! [settings]
//! broker.flush = "async"
//! producer.retries = 2
//! ```
//!
//! Settings may be written as dotted keys (`broker.flush = "sync"`), as quoted keys
//! (`"broker.flush" = "sync"`) or as nested tables (`[settings.broker]` then `flush = "sync"`).

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::command::parse_line;
use crate::settings::{SETTINGS, Settings};

/// The top-level keys a scenario may have.
const FIELDS: &str = "title, seed, settings, commands";

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

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

struct Reader<'a> {
    text: &'a str,
    file: &'a str,
}

impl Reader<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_col(self.text, span.start);
        ScenarioError { file: self.file.to_owned(), line, column, message: message.into() }
    }

    fn string(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<String, ScenarioError> {
        value
            .get_ref()
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.error(value.span(), format!("`{key}` must be a string")))
    }

    fn seed(&self, value: &Spanned<DeValue<'_>>) -> Result<u64, ScenarioError> {
        let bad = || self.error(value.span(), "`seed` must be a whole number from 0 to 2^63-1");
        let int = value.get_ref().as_integer().ok_or_else(bad)?;
        let digits = int.as_str().replace('_', "");
        let n = i64::from_str_radix(&digits, int.radix()).map_err(|_| bad())?;
        u64::try_from(n).map_err(|_| bad())
    }

    /// Flattens `[settings]` (dotted keys, quoted keys or nested tables) and applies each entry.
    fn settings(
        &self,
        prefix: &str,
        table: &DeTable<'_>,
        settings: &mut Settings,
    ) -> Result<(), ScenarioError> {
        for (key, value) in table.iter() {
            let name = if prefix.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            let text = match value.get_ref() {
                DeValue::Table(inner) => {
                    self.settings(&name, inner, settings)?;
                    continue;
                }
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => i.as_str().replace('_', ""),
                DeValue::Boolean(b) => if *b { "on" } else { "off" }.to_owned(),
                other => {
                    return Err(self.error(
                        value.span(),
                        format!(
                            "setting `{name}` has a {}; write a string, number or true/false",
                            other.type_str()
                        ),
                    ));
                }
            };
            if crate::settings::spec(&name).is_none() {
                let keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
                return Err(self.error(
                    key.span(),
                    format!("unknown setting `{name}`; settings are: {}", keys.join(", ")),
                ));
            }
            settings.set(&name, &text).map_err(|e| self.error(value.span(), e.to_string()))?;
        }
        Ok(())
    }

    fn commands(&self, value: &Spanned<DeValue<'_>>) -> Result<Vec<String>, ScenarioError> {
        let not_list =
            || self.error(value.span(), "`commands` must be a list of strings, e.g. [\"send 3\", \"run\"]");
        let list = value.get_ref().as_array().ok_or_else(not_list)?;
        let mut lines = Vec::new();
        for item in list.iter() {
            let line = item.get_ref().as_str().ok_or_else(|| {
                self.error(item.span(), "each command must be a string, e.g. \"crash broker power\"")
            })?;
            parse_line(line).map_err(|e| self.error(item.span(), e.to_string()))?;
            lines.push(line.to_owned());
        }
        Ok(lines)
    }
}

impl Scenario {
    /// Parses a scenario file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let reader = Reader { text, file };
        let document = DeTable::parse(text).map_err(|e| {
            let at = e.span().map_or(0..0, |s| s);
            reader.error(at, e.message().trim().to_owned())
        })?;
        let mut scenario = Scenario::default();
        let mut has_commands = false;
        for (key, value) in document.get_ref().iter() {
            match key.get_ref().as_ref() {
                "title" => scenario.title = Some(reader.string("title", value)?),
                "seed" => scenario.seed = Some(reader.seed(value)?),
                "settings" => {
                    let table = value.get_ref().as_table().ok_or_else(|| {
                        reader.error(value.span(), "`settings` must be a table: [settings]")
                    })?;
                    reader.settings("", table, &mut scenario.settings)?;
                }
                "commands" => {
                    scenario.commands = reader.commands(value)?;
                    has_commands = true;
                }
                other => {
                    return Err(reader
                        .error(key.span(), format!("unknown field `{other}`; a scenario has: {FIELDS}")));
                }
            }
        }
        if !has_commands {
            return Err(reader.error(0..0, "missing `commands`: a list such as [\"send 3\", \"run\"]"));
        }
        Ok(scenario)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::FlushMode;

    #[test]
    fn every_settings_spelling_is_read() {
        let text = "seed = 7\ncommands = [\"send 2\", \"run\"]\n[settings]\nbroker.flush = \"sync\"\n\"producer.retries\" = 4\nconsumer.idempotent = true\n[settings.net]\nlatency_ms = 9\n";
        let s = Scenario::parse(text, "a.toml").unwrap();
        assert_eq!(s.seed, Some(7));
        assert_eq!(s.settings.broker_flush, FlushMode::Sync);
        assert_eq!(s.settings.producer_retries, 4);
        assert!(s.settings.consumer_idempotent);
        assert_eq!(s.settings.net_latency_ms, 9);
        assert_eq!(s.commands, ["send 2", "run"]);
    }

    fn error(text: &str) -> String {
        Scenario::parse(text, "s.toml").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_file_line_and_column() {
        assert!(error("commands = [\"send\"]\nseed = \"x\"\n").starts_with("s.toml:2:8: `seed` must be"));
        let e = error("commands = []\n[settings]\nbroker.flsh = \"sync\"\n");
        assert!(e.starts_with("s.toml:3:8: unknown setting `broker.flsh`"), "{e}");
        let e = error("commands = []\n[settings]\nbroker.flush = \"fast\"\n");
        assert!(e.starts_with("s.toml:3:16: bad value `fast` for broker.flush"), "{e}");
        let e = error("commands = [\"send 3\", \"crash brokr\"]\n");
        assert!(e.starts_with("s.toml:1:23: "), "{e}");
        let e = error("comands = []\n");
        assert!(e.starts_with("s.toml:1:1: unknown field `comands`"), "{e}");
        let e = error("seed = 1\n");
        assert!(e.contains("missing `commands`"), "{e}");
        let e = error("seed = = 1\n");
        assert!(e.starts_with("s.toml:1:"), "{e}");
        let e = error("seed = -1\ncommands = []\n");
        assert!(e.starts_with("s.toml:1:8:"), "{e}");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\n同步x", 9), (2, 3));
        assert_eq!(line_col("ab\n同步x", 7), (2, 2));
        assert_eq!(line_col("", 5), (1, 1));
    }
}
