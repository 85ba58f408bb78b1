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

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::command::parse_line;
use crate::settings::Settings;

/// The top-level keys a scenario may have.
const FIELDS: &str = "title, seed, settings, commands";

/// The largest seed: a TOML integer (and `--seed`) goes up to 2^63-1.
pub const MAX_SEED: u64 = i64::MAX as u64;

/// The largest scenario or lesson file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Reads a scenario or lesson file: a regular file (not a device, a FIFO or a directory) of at
/// most [`MAX_FILE_BYTES`], in UTF-8. The error is one line naming the file (and the line, for
/// text that is not UTF-8).
pub fn read_source(path: &Path) -> Result<String, String> {
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{name}: not a regular file; give the path of a .toml file"));
    }
    let too_large = |len: u64| {
        format!("{name}: {len} bytes or more; a file here may have at most {MAX_FILE_BYTES} bytes")
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("{name}: cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let column = good.len() - good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
        format!("{name}:{line}: byte {column} of the line is not UTF-8; save the file as UTF-8")
    })
}

/// A parsed scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    pub title: Option<String>,
    pub seed: Option<u64>,
    pub settings: Settings,
    /// Each entry is one line of `;`-separated commands, checked at parse time.
    pub commands: Vec<String>,
    /// The line of the file each command line is written on.
    pub command_lines: Vec<usize>,
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
        // What the message repeats from the file is cut short, its control characters escaped.
        let message = crate::command::shown_message(&message.into());
        ScenarioError { file: self.file.to_owned(), line, column, message }
    }

    fn string(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<String, ScenarioError> {
        value
            .get_ref()
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.error(value.span(), format!("`{key}` must be a string")))
    }

    fn seed(&self, value: &Spanned<DeValue<'_>>) -> Result<u64, ScenarioError> {
        let bad = || self.error(value.span(), format!("`seed` must be a whole number from 0 to {MAX_SEED}"));
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
        seen: &mut BTreeMap<String, usize>,
    ) -> Result<(), ScenarioError> {
        for (key, value) in table.iter() {
            let name = if prefix.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            let text = match value.get_ref() {
                DeValue::Table(inner) => {
                    self.settings(&name, inner, settings, seen)?;
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
            let (line, _) = line_col(self.text, key.span().start);
            if let Some(problem) = crate::settings::entry_problem(&name, line, seen) {
                return Err(self.error(key.span(), problem));
            }
            settings.set(&name, &text).map_err(|e| self.error(value.span(), e.to_string()))?;
        }
        Ok(())
    }

    fn commands(&self, value: &Spanned<DeValue<'_>>) -> Result<Vec<(String, usize)>, ScenarioError> {
        let not_list =
            || self.error(value.span(), "`commands` must be a list of strings, e.g. [\"send 3\", \"run\"]");
        let list = value.get_ref().as_array().ok_or_else(not_list)?;
        let mut lines = Vec::new();
        for item in list.iter() {
            let line = item.get_ref().as_str().ok_or_else(|| {
                self.error(item.span(), "each command must be a string, e.g. \"crash broker power\"")
            })?;
            parse_line(line).map_err(|e| self.error(item.span(), e.to_string()))?;
            lines.push((line.to_owned(), line_col(self.text, item.span().start).0));
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
                    reader.settings("", table, &mut scenario.settings, &mut BTreeMap::new())?;
                }
                "commands" => {
                    (scenario.commands, scenario.command_lines) = reader.commands(value)?.into_iter().unzip();
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
    fn two_spellings_of_one_setting_are_an_error() {
        let e = error("commands = []\n[settings]\nbroker.flush = \"sync\"\n\"broker.flush\" = \"async\"\n");
        assert!(e.contains(": setting `broker.flush` is given twice, on lines 3 and 4"), "{e}");
        let e = error(
            "commands = []\n[settings]\n\"broker.flush\" = \"sync\"\n[settings.broker]\nflush = \"async\"\n",
        );
        assert!(e.contains(": setting `broker.flush` is given twice, on lines 3 and 5"), "{e}");
    }

    #[test]
    fn command_lines_are_kept_with_their_line() {
        let s = Scenario::parse("seed = 1\ncommands = [\n  \"send 1\",\n  \"run\",\n]\n", "a.toml").unwrap();
        assert_eq!(s.command_lines, [3, 4]);
    }

    #[test]
    fn only_regular_utf8_files_of_bounded_size_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_source(dir.path()).unwrap_err();
        assert!(e.ends_with("not a regular file; give the path of a .toml file"), "{e}");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, b"seed = 1\ntitle = \"ab\xff\"\n").unwrap();
        let e = read_source(&bad).unwrap_err();
        assert!(e.ends_with("bad.toml:2: byte 12 of the line is not UTF-8; save the file as UTF-8"), "{e}");
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert!(read_source(&big).unwrap_err().contains("a file here may have at most 1048576 bytes"));
        let e = read_source(Path::new("/dev/zero")).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\n同步x", 9), (2, 3));
        assert_eq!(line_col("ab\n同步x", 7), (2, 2));
        assert_eq!(line_col("", 5), (1, 1));
    }
}
