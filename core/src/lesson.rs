//! Scripted lessons: TOML files in `lessons/` (the format is in `lessons/README.md`), embedded
//! in the binary, run step by step by the front ends and verified headless by
//! `mqlab lessons verify`, so a lesson can never claim what the simulator does not do.
//!
//! API CONTRACT (skeleton; the bodies are being implemented — front ends code against these
//! signatures).

use crate::settings::Settings;
use crate::view::View;

/// The two languages every lesson is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
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
    _private: (),
}

#[allow(clippy::todo)]
impl Expectation {
    /// `Ok` when the view satisfies the claim, else one line saying what was found instead.
    pub fn check(&self, _view: &View) -> Result<(), String> {
        todo!()
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

#[allow(clippy::todo)]
impl Lesson {
    /// Parses one lesson file; `file` names it in errors.
    pub fn parse(_text: &str, _file: &str) -> Result<Lesson, LessonError> {
        todo!()
    }
    /// Runs every step headless (MemStorage) and checks every expectation.
    pub fn verify(&self) -> Vec<Failure> {
        todo!()
    }
}

/// The lessons shipped in the binary, in teaching order.
#[allow(clippy::todo)]
pub fn builtin() -> Vec<Lesson> {
    todo!()
}
