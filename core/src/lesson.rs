//! Scripted lessons: TOML files in `lessons/` (the format is in `lessons/README.md`), embedded
//! in the binary, run step by step by the front ends and verified headless by
//! `mqlab lessons verify`, so a lesson can never claim what the simulator does not do.
//!
//! The interview cards (`lessons/cards.toml`) live here too: they are lesson data, written from
//! the same seeds, and each points at the lessons that show its answer.
//!
//! Loading checks everything (keys, values, commands, expectations) and names the file, line and
//! key of the first problem; running a lesson only goes through [`Session`], like a front end.

mod expect;
mod parse;

use std::sync::OnceLock;

use crate::log::StorageKind;
use crate::session::{Session, SessionConfig};
use crate::settings::Settings;
use crate::view::View;

pub use expect::{MESSAGE_FIELDS, TOTALS};
pub use parse::MAX_CHOICES;

/// The two languages every lesson is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// `en` or `zh`.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// Predict, then observe: asked before a step's commands run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub prompt: Text,
    pub choices: Vec<Text>,
    /// Index into `choices`.
    pub answer: usize,
    pub explanation: Text,
}

/// One claim about the world after a step (closed vocabulary; see `lessons/README.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// As written in the file, e.g. `totals.lost = 1`, `m2.cause = "lost_in_page_cache"`.
    pub source: String,
    /// Line in the lesson file, for error messages.
    pub line: usize,
    claim: expect::Claim,
}

impl Expectation {
    /// `Ok` when the view satisfies the claim, else what was found instead (one short value).
    pub fn check(&self, view: &View) -> Result<(), String> {
        self.claim.check(view)
    }
}

/// One step of a lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonStep {
    pub narration: Text,
    /// One line of `;`-separated commands (may be empty: a step that only narrates).
    pub commands: String,
    pub question: Option<Question>,
    pub expect: Vec<Expectation>,
}

/// A whole lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub id: String,
    pub title: Text,
    pub summary: Text,
    pub seed: u64,
    /// The settings the lesson starts from.
    pub settings: Settings,
    pub steps: Vec<LessonStep>,
}

/// A lesson file that could not be read: file, line and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LessonError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// One failed expectation found by `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub lesson: String,
    pub step: usize,
    pub expectation: String,
    pub found: String,
}

impl Lesson {
    /// Parses one lesson file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Lesson, LessonError> {
        parse::Reader::new(text, file).lesson()
    }

    /// How a front end starts this lesson's world (its own storage and data directory aside).
    pub fn config(&self, storage: StorageKind) -> SessionConfig {
        SessionConfig { seed: self.seed, storage, data_dir: None, settings: self.settings.clone() }
    }

    /// Runs every step headless (MemStorage) and checks every expectation. A step whose
    /// commands are refused is one failure and ends the run: later claims would be about a
    /// different story.
    pub fn verify(&self) -> Vec<Failure> {
        let failure = |step: usize, expectation: String, found: String| Failure {
            lesson: self.id.clone(),
            step,
            expectation,
            found,
        };
        let mut session = match Session::new(self.config(StorageKind::Mem)) {
            Ok(session) => session,
            Err(e) => return vec![failure(0, "the world to start".into(), e.to_string())],
        };
        let mut failures = Vec::new();
        for (index, step) in self.steps.iter().enumerate() {
            let number = index + 1;
            if !step.commands.is_empty()
                && let Err(e) = session.execute(&step.commands)
            {
                failures.push(failure(number, format!("`{}` to run", step.commands), e.to_string()));
                break;
            }
            let view = session.view();
            for e in &step.expect {
                if let Err(found) = e.check(&view) {
                    failures.push(failure(number, format!("{} (line {})", e.source, e.line), found));
                }
            }
        }
        failures
    }
}

/// Whether a card is the model answer or a follow-up question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    /// The answer template, stage by stage.
    Template,
    /// A follow-up question an interviewer asks next, with a short answer.
    FollowUp,
}

/// An interview card: a question, a short answer, and the lessons that show it happening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub id: String,
    pub kind: CardKind,
    pub question: Text,
    pub answer: Text,
    /// Ids of lessons that demonstrate the answer.
    pub lessons: Vec<String>,
}

impl Card {
    /// Parses a cards file; `file` names it in errors, and every lesson a card points to must be
    /// one of `lesson_ids`.
    pub fn parse_all(text: &str, file: &str, lesson_ids: &[&str]) -> Result<Vec<Card>, LessonError> {
        parse::Reader::new(text, file).cards(lesson_ids)
    }
}

/// Embeds each lesson file by name; `core/tests/lessons.rs` checks this list against the
/// `lessons/` directory, so a new file cannot be forgotten.
macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../lessons/", $name)))),*]
    };
}

/// The lesson files shipped in the binary, `(file name, text)`, in teaching order.
pub const FILES: &[(&str, &str)] = embed!(
    "01-three-stages.toml",
    "02-oneway-vs-sync.toml",
    "03-send-status.toml",
    "04-retries-duplicate.toml",
    "05-flush-crash-vs-power.toml",
    "06-group-commit.toml",
    "07-replication-failover.toml",
    "08-four-combinations.toml",
    "09-commit-timing.toml",
    "10-async-consume.toml",
    "11-retry-dead-letter.toml",
    "12-sequence-check.toml",
    "13-local-message-table.toml",
    "14-no-hundred-percent.toml",
    "15-rebalance.toml",
);

/// The interview cards file, as shipped.
pub const CARDS_FILE: (&str, &str) = ("cards.toml", include_str!("../../lessons/cards.toml"));

/// Parses every shipped lesson and checks that ids are unique.
pub fn load_builtin() -> Result<Vec<Lesson>, LessonError> {
    let mut lessons: Vec<Lesson> = Vec::new();
    for (name, text) in FILES {
        let file = format!("lessons/{name}");
        let lesson = Lesson::parse(text, &file)?;
        if let Some(other) = lessons.iter().position(|l| l.id == lesson.id) {
            return Err(LessonError {
                file,
                line: 1,
                message: format!("lesson id `{}` is already used by lessons/{}", lesson.id, FILES[other].0),
            });
        }
        lessons.push(lesson);
    }
    Ok(lessons)
}

/// Parses the shipped interview cards; every lesson they point to must exist.
pub fn load_cards() -> Result<Vec<Card>, LessonError> {
    let lessons = load_builtin()?;
    let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
    Card::parse_all(CARDS_FILE.1, &format!("lessons/{}", CARDS_FILE.0), &ids)
}

/// Reads and checks a lesson file a user wrote (see `lessons/README.md`); errors name the file,
/// the line and the key, as for the shipped lessons.
pub fn load_file(path: &std::path::Path) -> Result<Lesson, String> {
    let text = crate::scenario::read_source(path)?;
    Lesson::parse(&text, &path.display().to_string()).map_err(|e| e.to_string())
}

/// Whether `arg` names a lesson file rather than a shipped lesson: it ends in `.toml` or is a
/// path (a lesson id has neither dots nor slashes).
pub fn is_file_arg(arg: &str) -> bool {
    arg.ends_with(".toml") || arg.contains('/') || arg.contains('.')
}

/// The lesson `arg` names: a shipped lesson by id, or a lesson file by path.
pub fn find(arg: &str) -> Result<Lesson, String> {
    if is_file_arg(arg) {
        return load_file(std::path::Path::new(arg));
    }
    let lessons = builtin();
    if let Some(lesson) = lessons.iter().find(|l| l.id == arg) {
        return Ok(lesson.clone());
    }
    let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
    Err(format!(
        "unknown lesson `{}`; lessons are: {}; or give the path of a lesson file (FILE.toml)",
        crate::command::shown(arg, crate::command::ECHO_CHARS),
        ids.join(", ")
    ))
}

/// The lessons shipped in the binary, in teaching order.
///
/// The files are compiled in and every one is parsed by the tests, so a failure here is a bug in
/// the build, not bad input; it panics with the file and line.
pub fn builtin() -> Vec<Lesson> {
    static LESSONS: OnceLock<Vec<Lesson>> = OnceLock::new();
    LESSONS
        .get_or_init(|| load_builtin().unwrap_or_else(|e| panic!("a shipped lesson is invalid: {e}")))
        .clone()
}

/// The interview cards shipped in the binary (template first, then the follow-ups, as written).
///
/// Like [`builtin`], the data is compiled in and tested; a failure here is a bug in the build.
pub fn cards() -> Vec<Card> {
    static CARDS: OnceLock<Vec<Card>> = OnceLock::new();
    CARDS
        .get_or_init(|| load_cards().unwrap_or_else(|e| panic!("the shipped cards are invalid: {e}")))
        .clone()
}
