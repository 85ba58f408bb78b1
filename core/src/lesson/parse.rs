//! Reading lesson and card files: TOML with spans, checked completely before anything is built.
//!
//! Every error names the file, the line and the key, and says what is allowed. Unknown keys are
//! errors everywhere (a misspelt `explantion` must not silently vanish), commands are parsed with
//! the command language at load time, and expectations are checked against the closed vocabulary
//! of [`super::expect`].

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::expect::{Claim, ClaimError, Raw};
use super::{Card, CardKind, Expectation, Lesson, LessonError, LessonStep, Question, Text};
use crate::command::parse_line;
use crate::scenario::line_col;
use crate::settings::Settings;

/// The most choices a question may offer (the front ends number them 1–6).
pub const MAX_CHOICES: usize = 6;

pub(crate) struct Reader<'a> {
    text: &'a str,
    file: &'a str,
}

type Value<'i> = Spanned<DeValue<'i>>;

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str, file: &'a str) -> Self {
        Reader { text, file }
    }

    fn error(&self, span: Range<usize>, message: impl Into<String>) -> LessonError {
        let (line, _) = line_col(self.text, span.start);
        // What the message repeats from the file is cut short, its control characters escaped.
        let message = crate::command::shown_message(&message.into());
        LessonError { file: self.file.to_owned(), line, message }
    }

    pub(crate) fn document(&self) -> Result<Spanned<DeTable<'a>>, LessonError> {
        DeTable::parse(self.text).map_err(|e| {
            let at = e.span().unwrap_or(0..0);
            self.error(at, e.message().trim().to_owned())
        })
    }

    /// Rejects any key of `table` not in `allowed`.
    fn only(&self, table: &DeTable<'_>, allowed: &[&str], what: &str) -> Result<(), LessonError> {
        for (key, _) in table.iter() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                return Err(self.error(
                    key.span(),
                    format!("unknown key `{}` in {what}; {what} has: {}", key.get_ref(), allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn get<'t>(&self, table: &'t DeTable<'a>, key: &str) -> Option<&'t Value<'a>> {
        table.iter().find(|(k, _)| k.get_ref().as_ref() == key).map(|(_, v)| v)
    }

    fn require<'t>(
        &self,
        table: &'t DeTable<'a>,
        at: Range<usize>,
        key: &str,
        what: &str,
        example: &str,
    ) -> Result<&'t Value<'a>, LessonError> {
        self.get(table, key)
            .ok_or_else(|| self.error(at, format!("{what} is missing `{key}`, e.g. {example}")))
    }

    fn table<'t>(
        &self,
        value: &'t Value<'a>,
        key: &str,
        example: &str,
    ) -> Result<&'t DeTable<'a>, LessonError> {
        value
            .get_ref()
            .as_table()
            .ok_or_else(|| self.error(value.span(), format!("`{key}` must be a table, e.g. {example}")))
    }

    fn string(&self, value: &Value<'_>, key: &str) -> Result<String, LessonError> {
        value
            .get_ref()
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.error(value.span(), format!("`{key}` must be a string")))
    }

    fn integer(&self, value: &Value<'_>, key: &str, min: u64, max: u64) -> Result<u64, LessonError> {
        let bad = || self.error(value.span(), format!("`{key}` must be a whole number from {min} to {max}"));
        let int = value.get_ref().as_integer().ok_or_else(bad)?;
        let digits = int.as_str().replace('_', "");
        let n = i64::from_str_radix(&digits, int.radix()).map_err(|_| bad())?;
        u64::try_from(n).ok().filter(|n| (min..=max).contains(n)).ok_or_else(bad)
    }

    /// A text in both languages: a table with exactly `en` and `zh`, neither empty.
    pub(crate) fn text(&self, value: &Value<'a>, key: &str) -> Result<Text, LessonError> {
        let example = format!("{key}.en = \"…\" and {key}.zh = \"…\"");
        let table = self.table(value, key, &example)?;
        self.only(table, &["en", "zh"], &format!("`{key}`"))?;
        let mut out = Text::default();
        for (lang, slot) in [("en", &mut out.en), ("zh", &mut out.zh)] {
            let full = format!("{key}.{lang}");
            let v = self.get(table, lang).ok_or_else(|| {
                self.error(
                    value.span(),
                    format!("`{key}` is missing `{lang}`: every text is written in en and zh"),
                )
            })?;
            let s = self.string(v, &full)?;
            if s.trim().is_empty() {
                return Err(self.error(v.span(), format!("`{full}` is empty")));
            }
            *slot = s.trim().to_owned();
        }
        Ok(out)
    }

    fn id(&self, value: &Value<'_>, key: &str) -> Result<String, LessonError> {
        let id = self.string(value, key)?;
        let ok = !id.is_empty()
            && id.len() <= 40
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !id.starts_with('-')
            && !id.ends_with('-');
        if ok {
            Ok(id)
        } else {
            Err(self.error(
                value.span(),
                format!("bad {key} `{id}`: use 1–40 lowercase letters, digits and inner hyphens, e.g. \"async-flush\""),
            ))
        }
    }

    /// Flattens `[settings]` (dotted keys, quoted keys or nested tables) and applies each entry.
    fn settings(
        &self,
        prefix: &str,
        table: &DeTable<'_>,
        settings: &mut Settings,
        seen: &mut BTreeMap<String, usize>,
    ) -> Result<(), LessonError> {
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

    /// Flattens `[steps.expect]` into claims, in file order.
    fn expectations(
        &self,
        prefix: &str,
        table: &DeTable<'_>,
        out: &mut Vec<Expectation>,
    ) -> Result<(), LessonError> {
        for (key, value) in table.iter() {
            let name = if prefix.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            let raw = match value.get_ref() {
                DeValue::Table(inner) => {
                    self.expectations(&name, inner, out)?;
                    continue;
                }
                DeValue::String(s) => Raw::Str(s.to_string()),
                DeValue::Boolean(b) => Raw::Bool(*b),
                DeValue::Integer(_) => Raw::Int(self.integer(value, &name, 0, i64::MAX as u64)? as i64),
                other => {
                    return Err(self.error(
                        value.span(),
                        format!(
                            "expectation `{name}` has a {}; write a number, true/false or a string",
                            other.type_str()
                        ),
                    ));
                }
            };
            let claim = Claim::parse(&name, &raw).map_err(|e| match e {
                ClaimError::Key(m) => self.error(key.span(), m),
                ClaimError::Value(m) => self.error(value.span(), m),
            })?;
            let (line, _) = line_col(self.text, value.span().start);
            out.push(Expectation { source: format!("{name} = {raw}"), line, claim });
        }
        Ok(())
    }

    fn question(&self, value: &Value<'a>) -> Result<Question, LessonError> {
        let table = self.table(value, "question", "[steps.question]")?;
        self.only(table, &["prompt", "choices", "answer", "explanation"], "a question")?;
        let at = value.span();
        let prompt = self
            .text(self.require(table, at.clone(), "prompt", "a question", "prompt.en = \"…\"")?, "prompt")?;
        let list = self.require(
            table,
            at.clone(),
            "choices",
            "a question",
            "choices = [{ en = \"…\", zh = \"…\" }, …]",
        )?;
        let items: &DeArray<'_> = list.get_ref().as_array().ok_or_else(|| {
            self.error(
                list.span(),
                "`choices` must be a list of texts, e.g. [{ en = \"lost\", zh = \"丢失\" }, …]",
            )
        })?;
        if !(2..=MAX_CHOICES).contains(&items.len()) {
            return Err(self.error(
                list.span(),
                format!("a question has 2 to {MAX_CHOICES} choices, not {}", items.len()),
            ));
        }
        let choices = items.iter().map(|c| self.text(c, "choice")).collect::<Result<Vec<_>, _>>()?;
        let answer_value =
            self.require(table, at.clone(), "answer", "a question", "answer = 2 (the second choice)")?;
        let answer = self.integer(answer_value, "answer", 1, choices.len() as u64)? as usize - 1;
        let explanation = self.text(
            self.require(table, at, "explanation", "a question", "explanation.en = \"…\"")?,
            "explanation",
        )?;
        Ok(Question { prompt, choices, answer, explanation })
    }

    fn step(&self, value: &Value<'a>, number: usize) -> Result<LessonStep, LessonError> {
        let what = format!("step {number}");
        let table = self.table(value, "steps", "[[steps]]")?;
        self.only(table, &["narration", "commands", "question", "expect"], "a step")?;
        let at = value.span();
        let narration = self.text(
            self.require(table, at.clone(), "narration", &what, "narration.en = \"…\"")?,
            "narration",
        )?;
        let commands = match self.get(table, "commands") {
            None => String::new(),
            Some(v) => {
                let line = self.string(v, "commands")?;
                parse_line(&line)
                    .map_err(|e| self.error(v.span(), format!("bad command in `{line}`: {e}")))?;
                line.trim().to_owned()
            }
        };
        let question = self.get(table, "question").map(|q| self.question(q)).transpose()?;
        if question.is_some() && commands.is_empty() {
            return Err(self.error(at, format!("{what} asks a question but has no `commands` to answer it")));
        }
        let mut expect = Vec::new();
        if let Some(v) = self.get(table, "expect") {
            let t = self.table(v, "expect", "[steps.expect] then totals.lost = 1")?;
            self.expectations("", t, &mut expect)?;
        }
        expect.sort_by_key(|e| e.line);
        if !expect.is_empty() && commands.is_empty() {
            return Err(self.error(at, format!("{what} expects results but has no `commands`")));
        }
        Ok(LessonStep { narration, commands, question, expect })
    }

    pub(crate) fn lesson(&self) -> Result<Lesson, LessonError> {
        let document = self.document()?;
        let top = document.get_ref();
        self.only(top, &["id", "seed", "title", "summary", "settings", "steps"], "a lesson")?;
        let start = 0..0;
        let id =
            self.id(self.require(top, start.clone(), "id", "the lesson", "id = \"async-flush\"")?, "id")?;
        let seed = match self.get(top, "seed") {
            Some(v) => self.integer(v, "seed", 0, crate::scenario::MAX_SEED)?,
            None => 1,
        };
        let title =
            self.text(self.require(top, start.clone(), "title", "the lesson", "title.en = \"…\"")?, "title")?;
        let summary = self.text(
            self.require(top, start.clone(), "summary", "the lesson", "summary.en = \"…\"")?,
            "summary",
        )?;
        let mut settings = Settings::default();
        if let Some(v) = self.get(top, "settings") {
            let t = self.table(v, "settings", "[settings] then broker.flush = \"sync\"")?;
            self.settings("", t, &mut settings, &mut BTreeMap::new())?;
        }
        let steps_value = self.require(top, start, "steps", "the lesson", "[[steps]]")?;
        let items = steps_value
            .get_ref()
            .as_array()
            .ok_or_else(|| self.error(steps_value.span(), "`steps` must be a list of tables: [[steps]]"))?;
        if items.is_empty() {
            return Err(self.error(steps_value.span(), "a lesson needs at least one step"));
        }
        let steps =
            items.iter().enumerate().map(|(i, s)| self.step(s, i + 1)).collect::<Result<Vec<_>, _>>()?;
        Ok(Lesson { id, title, summary, seed, settings, steps })
    }

    /// Reads the interview cards; every lesson a card points to must be one of `lesson_ids`.
    pub(crate) fn cards(&self, lesson_ids: &[&str]) -> Result<Vec<Card>, LessonError> {
        let document = self.document()?;
        let top = document.get_ref();
        self.only(top, &["cards"], "the cards file")?;
        let list = self.require(top, 0..0, "cards", "the cards file", "[[cards]]")?;
        let items = list
            .get_ref()
            .as_array()
            .ok_or_else(|| self.error(list.span(), "`cards` must be a list of tables: [[cards]]"))?;
        let mut cards: Vec<Card> = Vec::new();
        for value in items.iter() {
            let table = self.table(value, "cards", "[[cards]]")?;
            self.only(table, &["id", "kind", "question", "answer", "lessons"], "a card")?;
            let at = value.span();
            let id =
                self.id(self.require(table, at.clone(), "id", "a card", "id = \"flush-cost\"")?, "card id")?;
            if cards.iter().any(|c| c.id == id) {
                return Err(self.error(at, format!("card id `{id}` is used twice")));
            }
            let kind_value = self.require(table, at.clone(), "kind", "a card", "kind = \"follow_up\"")?;
            let kind = match self.string(kind_value, "kind")?.as_str() {
                "template" => CardKind::Template,
                "follow_up" => CardKind::FollowUp,
                other => {
                    return Err(self.error(
                        kind_value.span(),
                        format!("bad kind `{other}`: expected template or follow_up"),
                    ));
                }
            };
            let question = self.text(
                self.require(table, at.clone(), "question", "a card", "question.en = \"…\"")?,
                "question",
            )?;
            let answer =
                self.text(self.require(table, at, "answer", "a card", "answer.en = \"…\"")?, "answer")?;
            let mut lessons = Vec::new();
            if let Some(v) = self.get(table, "lessons") {
                let bad = || self.error(v.span(), "`lessons` must be a list of lesson ids");
                for item in v.get_ref().as_array().ok_or_else(bad)?.iter() {
                    let lesson = self.id(item, "lesson id")?;
                    if !lesson_ids.contains(&lesson.as_str()) {
                        return Err(self.error(
                            item.span(),
                            format!("unknown lesson `{lesson}`; lessons are: {}", lesson_ids.join(", ")),
                        ));
                    }
                    lessons.push(lesson);
                }
            }
            cards.push(Card { id, kind, question, answer, lessons });
        }
        Ok(cards)
    }
}
