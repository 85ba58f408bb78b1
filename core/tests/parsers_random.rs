//! The command language and the scenario and lesson parsers under random input: random lines
//! from the language's own words (and junk), and shipped scenario and lesson files cut, spliced
//! and garbled. Nothing may panic; every refusal is one line that names where it is, without
//! control characters and without repeating a long input whole; whatever is accepted means
//! what it says (a command prints back as itself).
//!
//! A seeded loop: `MQLAB_SEED=n` replays one case; `MQLAB_CASES=n` runs n cases per parser
//! (CI runs a few hundred; run a million to search longer). A failure prints how to reproduce it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use mqlab_core::command::{self, parse_command, parse_line};
use mqlab_core::lesson::{self, Lesson};
use mqlab_core::scenario::Scenario;

fn cases(default: u64) -> Vec<u64> {
    if let Some(seed) = std::env::var("MQLAB_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let n = std::env::var("MQLAB_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    (0..n).collect()
}

/// Runs one case; a panic or a failed check is reported with the line that replays it.
fn case(test: &str, seed: u64, check: impl FnOnce(&mut fastrand::Rng) -> Result<(), String>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let outcome = catch_unwind(AssertUnwindSafe(|| check(&mut rng)));
    let problem = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(problem)) => problem,
        Err(panic) => format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        ),
    };
    panic!("{problem}\nreproduce: MQLAB_SEED={seed} cargo test -p mqlab-core --test parsers_random {test}");
}

/// A refusal as the user sees it: one line, no control characters, not the whole long input.
fn check_message(message: &str, input_len: usize) -> Result<(), String> {
    if message.contains('\n') || message.chars().any(char::is_control) {
        return Err(format!("the message is not one clean line: {message:?}"));
    }
    if message.chars().count() > 1_000 && message.len() > input_len / 2 {
        let head: String = message.chars().take(160).collect();
        return Err(format!(
            "the message repeats the long input ({} characters): {head}…",
            message.chars().count()
        ));
    }
    Ok(())
}

const WORDS: &[&str] = &[
    "send",
    "step",
    "run",
    "back",
    "set",
    "crash",
    "restart",
    "drop",
    "next",
    "partition",
    "heal",
    "fail",
    "promote",
    "replica",
    "broker",
    "producer",
    "consumer",
    "process",
    "power",
    "disk",
    "request",
    "response",
    "delivery",
    "commit",
    "broker.flush",
    "sync",
    "async",
    "producer.retries",
    "on",
    "off",
    "consumer.mode",
    "0",
    "1",
    "3",
    "10000",
    "10001",
    "-1",
    "18446744073709551616",
    "1e3",
    "0x10",
    ";",
    ";;",
    " ",
    "\t",
    "\u{1b}[2J",
    "\u{0}",
    "同步",
    "\u{202e}",
    "SEND",
    "Send",
];

fn random_line(rng: &mut fastrand::Rng) -> String {
    let mut line = String::new();
    for _ in 0..rng.usize(0..12) {
        match rng.u8(..10) {
            0 => line.push(char::from_u32(rng.u32(0..0x3000)).unwrap_or('?')),
            1 => line.push_str(&"9".repeat(rng.usize(1..400))),
            _ => line.push_str(WORDS[rng.usize(..WORDS.len())]),
        }
        if rng.bool() {
            line.push(' ');
        }
    }
    line
}

#[test]
fn random_command_lines_are_parsed_or_refused_cleanly() {
    for seed in cases(3_000) {
        case("random_command_lines_are_parsed_or_refused_cleanly", seed, |rng| {
            let line = random_line(rng);
            match parse_line(&line) {
                Ok(commands) => {
                    for c in commands {
                        let again = parse_command(&c.to_string())
                            .map_err(|e| format!("`{c}` does not parse back: {e}"))?;
                        if again != c {
                            return Err(format!("`{line}`: `{c}` prints as `{c}` but parses as `{again}`"));
                        }
                    }
                    Ok(())
                }
                Err(e) => {
                    check_message(&e.to_string(), line.len())?;
                    check_message(&e.text(lesson::Lang::Zh), line.len())
                }
            }
        });
    }
}

/// Cuts, splices and garbles a text: a mutation like the ones an editor or a disk makes.
fn mutate(rng: &mut fastrand::Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.usize(1..4) {
        let at = rng.usize(..=bytes.len());
        match rng.u8(..7) {
            0 => {
                let end = (at + rng.usize(..40)).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let word = WORDS[rng.usize(..WORDS.len())];
                bytes.splice(at..at, word.bytes());
            }
            2 => bytes.insert(at, b"=[]\"\n.#"[rng.usize(..7)]),
            3 => {
                // Duplicate a line (a setting given twice, a key twice).
                let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
                let line = lines[rng.usize(..lines.len())].to_vec();
                bytes.splice(at..at, line.into_iter().chain([b'\n']));
            }
            4 => {
                if let Some(b) = bytes.get_mut(at) {
                    *b = rng.u8(..);
                }
            }
            5 => {
                bytes.splice(at..at, std::iter::repeat_n(b'x', rng.usize(..3000)));
            }
            _ => bytes.truncate(at),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn scenario_texts() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| {
            let path = e.expect("entry").path();
            (path.display().to_string(), std::fs::read_to_string(&path).expect("a scenario"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn mutated_scenarios_are_parsed_or_refused_with_file_and_line() {
    let files = scenario_texts();
    for seed in cases(1_500) {
        case("mutated_scenarios_are_parsed_or_refused_with_file_and_line", seed, |rng| {
            let (name, text) = &files[rng.usize(..files.len())];
            let text = mutate(rng, text);
            match Scenario::parse(&text, "s.toml") {
                Ok(scenario) => {
                    for line in &scenario.commands {
                        parse_line(line).map_err(|e| format!("accepted a bad command line `{line}`: {e}"))?;
                    }
                    if scenario.commands.len() != scenario.command_lines.len() {
                        return Err("a command line without its line number".into());
                    }
                    Ok(())
                }
                Err(e) => {
                    let lines = text.lines().count() + 1;
                    if e.file != "s.toml" || e.line == 0 || e.line > lines {
                        return Err(format!(
                            "{name} mutated: the error names line {} of {lines}: {e}",
                            e.line
                        ));
                    }
                    check_message(&e.to_string(), text.len())
                }
            }
        });
    }
}

#[test]
fn mutated_lessons_are_parsed_or_refused_with_file_and_line() {
    for seed in cases(600) {
        case("mutated_lessons_are_parsed_or_refused_with_file_and_line", seed, |rng| {
            let (name, text) = lesson::FILES[rng.usize(..lesson::FILES.len())];
            let text = mutate(rng, text);
            match Lesson::parse(&text, "l.toml") {
                Ok(lesson) => {
                    // A lesson that still parses still runs: verifying it may fail, never panic.
                    if seed % 8 == 0 {
                        let _ = lesson.verify();
                    }
                    Ok(())
                }
                Err(e) => {
                    let lines = text.lines().count() + 1;
                    if e.file != "l.toml" || e.line == 0 || e.line > lines {
                        return Err(format!(
                            "{name} mutated: the error names line {} of {lines}: {e}",
                            e.line
                        ));
                    }
                    check_message(&e.to_string(), text.len())
                }
            }
        });
    }
}

#[test]
fn the_message_helper_cuts_and_escapes() {
    assert_eq!(command::shown("a\u{1b}b", 10), "a\\u{1b}b");
    assert_eq!(command::shown("abcdef", 3), "abc… (6 characters)");
}
