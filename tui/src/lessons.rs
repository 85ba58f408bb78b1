//! A lesson being followed in the lab, and its pane.
//!
//! Each step waits for the user: its narration is shown first; a step with a question asks it
//! before its commands run (predict, then observe); after the commands the pane shows whether the
//! prediction was right, the explanation, and every expectation the lesson claims, checked
//! against the live view. The app runs the commands through the session; this module only keeps
//! the lesson's place.

use mqlab_core::lesson::{Lang, Lesson, LessonStep};
use mqlab_core::view::View;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::Ui;
use crate::i18n::T;
use crate::keymap::{self, Action, Scope};

/// Where the user is within a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Narration shown; the commands have not run yet.
    Read,
    /// The question is asked; the commands run once it is answered.
    Ask,
    /// The commands ran: the answer given (if asked), each expectation's check, and a refusal
    /// from the session if the commands could not be carried out.
    Observed { answer: Option<usize>, checks: Vec<(String, Result<(), String>)>, error: Option<String> },
    /// Past the last step.
    Done,
}

#[derive(Debug, Clone)]
pub struct LessonRun {
    pub lesson: Lesson,
    pub step: usize,
    pub phase: Phase,
    answer: Option<usize>,
}

impl LessonRun {
    pub fn new(lesson: Lesson) -> LessonRun {
        let mut run = LessonRun { lesson, step: 0, phase: Phase::Done, answer: None };
        run.phase = run.entry_phase();
        run
    }

    fn current(&self) -> Option<&LessonStep> {
        self.lesson.steps.get(self.step)
    }

    fn entry_phase(&self) -> Phase {
        match self.current() {
            None => Phase::Done,
            Some(step) if step.question.is_some() => Phase::Ask,
            Some(_) => Phase::Read,
        }
    }

    pub fn awaiting_answer(&self) -> bool {
        self.phase == Phase::Ask
    }

    /// Records an answer (a 1-based choice); returns the step's commands to run now.
    pub fn answer(&mut self, choice: usize) -> Option<String> {
        let step = self.current()?;
        let question = step.question.as_ref()?;
        if self.phase != Phase::Ask || choice == 0 || choice > question.choices.len() {
            return None;
        }
        let commands = step.commands.clone();
        self.answer = Some(choice - 1);
        Some(commands)
    }

    /// Moves on: runs a narrated step's commands (returned), or goes to the next step.
    pub fn advance(&mut self) -> Option<String> {
        match self.phase {
            Phase::Read => self.current().map(|s| s.commands.clone()),
            Phase::Observed { .. } => {
                self.step += 1;
                self.answer = None;
                self.phase = self.entry_phase();
                None
            }
            Phase::Ask | Phase::Done => None,
        }
    }

    /// The step's commands ran (or were refused with `error`): check what the lesson claims.
    pub fn observed(&mut self, view: &View, error: Option<String>) {
        let checks = self
            .current()
            .map(|s| s.expect.iter().map(|e| (e.source.clone(), e.check(view))).collect())
            .unwrap_or_default();
        self.phase = Phase::Observed { answer: self.answer, checks, error };
    }
}

/// The lesson pane: narration, the question, and what was observed.
pub fn render(ui: &Ui, run: &LessonRun, frame: &mut Frame, area: Rect) {
    let lang = ui.lang;
    let theme = ui.theme;
    let total = run.lesson.steps.len();
    let title = format!(
        " {} · {} {}/{} ",
        run.lesson.title.get(lang),
        ui.t(T::Step),
        (run.step + 1).min(total),
        total
    );
    let next = keymap::key_for(Scope::Lesson, Action::Next).unwrap_or_default();
    let mut lines: Vec<Line> = Vec::new();
    match run.current() {
        None => {
            lines.push(Line::styled(ui.t(T::LessonDone), theme.good()));
            lines.push(Line::raw(run.lesson.summary.get(lang).to_owned()));
        }
        Some(step) => {
            lines.push(Line::raw(step.narration.get(lang).to_owned()));
            if !step.commands.trim().is_empty() {
                lines.push(Line::styled(format!(":{}", step.commands), theme.dim()));
            }
            match &run.phase {
                Phase::Read => lines.push(Line::styled(format!("{next}: {}", ui.t(T::KeyNext)), theme.key())),
                Phase::Ask => question_lines(run, step, lang, ui, &mut lines, None),
                Phase::Observed { answer, checks, error } => {
                    if step.question.is_some() {
                        question_lines(run, step, lang, ui, &mut lines, *answer);
                    }
                    if let Some(error) = error {
                        lines.push(Line::styled(error.clone(), theme.error()));
                    }
                    if !checks.is_empty() {
                        lines.push(Line::styled(ui.t(T::Expectations), theme.title()));
                    }
                    for (source, result) in checks {
                        lines.push(match result {
                            Ok(()) => {
                                Line::from(vec![Span::styled("✓ ", theme.good()), Span::raw(source.clone())])
                            }
                            Err(found) => Line::from(vec![
                                Span::styled("✗ ", theme.bad()),
                                Span::raw(format!("{source}: {found}")),
                            ]),
                        });
                    }
                    lines.push(Line::styled(format!("{next}: {}", ui.t(T::KeyNext)), theme.key()));
                }
                Phase::Done => {}
            }
        }
    }
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::bordered().title(Span::styled(title, theme.title())));
    frame.render_widget(paragraph, area);
}

fn question_lines<'a>(
    _run: &LessonRun,
    step: &'a LessonStep,
    lang: Lang,
    ui: &Ui,
    lines: &mut Vec<Line<'a>>,
    answered: Option<usize>,
) {
    let Some(q) = &step.question else { return };
    let theme = ui.theme;
    lines.push(Line::from(vec![
        Span::styled(format!("{}: ", ui.t(T::Question)), theme.title()),
        Span::raw(q.prompt.get(lang)),
    ]));
    for (i, choice) in q.choices.iter().enumerate() {
        let mark = match answered {
            Some(_) if i == q.answer => "✓",
            Some(a) if a == i => "✗",
            _ => " ",
        };
        let style = if answered == Some(i) { theme.selected() } else { ratatui::style::Style::new() };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} {}. ", i + 1), theme.key()),
            Span::styled(choice.get(lang), style),
        ]));
    }
    if let Some(a) = answered {
        let (verdict, style) = if a == q.answer { (T::Right, theme.good()) } else { (T::Wrong, theme.bad()) };
        lines.push(Line::from(vec![
            Span::styled(format!("{}: ", ui.t(verdict)), style),
            Span::raw(q.explanation.get(lang)),
        ]));
    }
}
