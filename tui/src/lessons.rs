//! A lesson being followed in the lab, and its pane.
//!
//! Each step waits for the user: its narration is shown first; a step with a question asks it
//! before its commands run (predict, then observe); after the commands the pane shows whether the
//! prediction was right, the explanation, and every expectation the lesson claims, checked
//! against the live view. The app runs the commands through the session; this module only keeps
//! the lesson's place.

use std::cell::Cell;

use mqlab_core::lesson::{Lang, Lesson, LessonStep};
use mqlab_core::view::View;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::Ui;
use crate::i18n::T;
use crate::keymap::{self, Action, Scope};
use crate::widgets::wrap_line;

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
    /// Lines scrolled by the user from where the pane puts itself (0 after every phase change).
    scroll: i32,
    /// How far `scroll` can go either way, as the last drawn pane found it.
    scroll_range: Cell<(i32, i32)>,
}

impl LessonRun {
    pub fn new(lesson: Lesson) -> LessonRun {
        let mut run = LessonRun {
            lesson,
            step: 0,
            phase: Phase::Done,
            answer: None,
            scroll: 0,
            scroll_range: Cell::default(),
        };
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
                self.scroll = 0;
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
        self.scroll = 0;
    }

    /// Scrolls the pane by `lines` (negative: up), within what the last drawn pane holds.
    pub fn scroll(&mut self, lines: i32) {
        let (up, down) = self.scroll_range.get();
        self.scroll = (self.scroll + lines).clamp(up, down);
    }
}

/// The lesson pane: narration, the question, and what was observed. When it holds more than
/// fits, it shows the part that matters now (the question, then what was observed) and PgUp/PgDn
/// scroll the rest.
pub fn render(ui: &Ui, run: &LessonRun, frame: &mut Frame, area: Rect) {
    let lang = ui.lang;
    let theme = ui.theme;
    let total = run.lesson.steps.len();
    // The step first: at 80 columns the title is what gets cut.
    let title = format!(
        " {} {}/{} · {} ",
        ui.t(T::Step),
        (run.step + 1).min(total),
        total,
        run.lesson.title.get(lang)
    );
    let next = keymap::key_for(Scope::Lesson, Action::Next).unwrap_or_default();
    // Each line with the indent of its continuation lines.
    let mut lines: Vec<(Line, usize)> = Vec::new();
    // The first line of the part that matters now.
    let mut focus = 0;
    match run.current() {
        None => {
            lines.push((Line::styled(ui.t(T::LessonDone), theme.good()), 0));
            lines.push((Line::raw(run.lesson.summary.get(lang).to_owned()), 0));
        }
        Some(step) => {
            lines.push((Line::raw(step.narration.get(lang).to_owned()), 0));
            if !step.commands.trim().is_empty() {
                lines.push((Line::styled(format!(":{}", step.commands), theme.dim()), 0));
            }
            match &run.phase {
                Phase::Read => {
                    lines.push((Line::styled(format!("{next}: {}", ui.t(T::KeyNext)), theme.key()), 0))
                }
                Phase::Ask => {
                    focus = lines.len();
                    question_lines(step, lang, ui, &mut lines, None);
                }
                Phase::Observed { answer, checks, error } => {
                    focus = lines.len();
                    if step.question.is_some() {
                        question_lines(step, lang, ui, &mut lines, *answer);
                        // The verdict and explanation first; the choices are above.
                        focus = lines.len() - usize::from(answer.is_some());
                    }
                    if let Some(error) = error {
                        lines.push((Line::styled(error.clone(), theme.error()), 0));
                    }
                    if !checks.is_empty() {
                        lines.push((Line::styled(ui.t(T::Expectations), theme.title()), 0));
                    }
                    for (source, result) in checks {
                        lines.push((
                            match result {
                                Ok(()) => Line::from(vec![
                                    Span::styled("✓ ", theme.good()),
                                    Span::raw(source.clone()),
                                ]),
                                Err(found) => Line::from(vec![
                                    Span::styled("✗ ", theme.bad()),
                                    Span::raw(format!("{source}: {found}")),
                                ]),
                            },
                            0,
                        ));
                    }
                    lines.push((Line::styled(format!("{next}: {}", ui.t(T::KeyNext)), theme.key()), 0));
                }
                Phase::Done => {}
            }
        }
    }
    let width = usize::from(area.width.saturating_sub(2));
    let mut wrapped = Vec::new();
    let mut focus_row = 0;
    for (i, (line, hang)) in lines.iter().enumerate() {
        if i == focus {
            focus_row = wrapped.len();
        }
        wrapped.extend(wrap_line(line, width, *hang));
    }
    let overflow = wrapped.len().saturating_sub(usize::from(area.height.saturating_sub(2)));
    let overflow = i32::try_from(overflow).unwrap_or(i32::MAX);
    let auto = i32::try_from(focus_row).unwrap_or(i32::MAX).min(overflow);
    run.scroll_range.set((-auto, overflow - auto));
    let offset = (auto + run.scroll).clamp(0, overflow);
    let mut block = Block::bordered().title(Span::styled(title, theme.title()));
    if overflow > 0 {
        let more = match (offset > 0, offset < overflow) {
            (true, true) => "↑↓ PgUp/PgDn",
            (true, false) => "↑ PgUp",
            _ => "↓ PgDn",
        };
        block = block.title_bottom(Line::styled(format!(" {more} "), theme.key()).right_aligned());
    }
    let paragraph =
        Paragraph::new(wrapped).scroll((u16::try_from(offset).unwrap_or(u16::MAX), 0)).block(block);
    frame.render_widget(paragraph, area);
}

fn question_lines<'a>(
    step: &'a LessonStep,
    lang: Lang,
    ui: &Ui,
    lines: &mut Vec<(Line<'a>, usize)>,
    answered: Option<usize>,
) {
    let Some(q) = &step.question else { return };
    let theme = ui.theme;
    lines.push((
        Line::from(vec![
            Span::styled(format!("{}: ", ui.t(T::Question)), theme.title()),
            Span::raw(q.prompt.get(lang)),
        ]),
        0,
    ));
    for (i, choice) in q.choices.iter().enumerate() {
        let mark = match answered {
            Some(_) if i == q.answer => "✓",
            Some(a) if a == i => "✗",
            _ => " ",
        };
        let style = if answered == Some(i) { theme.selected() } else { ratatui::style::Style::new() };
        let number = Span::styled(format!("{mark} {}. ", i + 1), theme.key());
        let hang = number.width();
        lines.push((Line::from(vec![number, Span::styled(choice.get(lang), style)]), hang));
    }
    if let Some(a) = answered {
        let (verdict, style) = if a == q.answer { (T::Right, theme.good()) } else { (T::Wrong, theme.bad()) };
        lines.push((
            Line::from(vec![
                Span::styled(format!("{}: ", ui.t(verdict)), style),
                Span::raw(q.explanation.get(lang)),
            ]),
            0,
        ));
    }
}
