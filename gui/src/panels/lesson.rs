//! The narration panel of a lesson: the step's text in large type, its question with the
//! choices before the step runs (predict, then observe), and Next / Previous.

use egui::RichText;
use mqlab_core::lesson::Lang;

use crate::app::{Intent, LabApp};
use crate::i18n::T;
use crate::shortcuts::{self, Action};

pub fn show(ui: &mut egui::Ui, app: &LabApp, intents: &mut Vec<Intent>) {
    let Some(run) = &app.lesson else { return };
    let lang = app.lang();
    let lesson = &run.lesson;
    let size = if app.prefs.presenter { 26.0 } else { 20.0 };
    ui.add_space(6.0);
    ui.label(RichText::new(lesson.title.get(lang)).heading().strong());
    ui.label(
        RichText::new({
            let (at, of) = (run.next.min(lesson.steps.len()), lesson.steps.len());
            match lang {
                Lang::En => format!("step {at} / {of}"),
                Lang::Zh => format!("第 {at} / {of} 步"),
            }
        })
        .weak(),
    );
    ui.separator();
    egui::ScrollArea::vertical().auto_shrink([false; 2]).max_height(ui.available_height() - 60.0).show(
        ui,
        |ui| {
            if run.next > 0 {
                // What the step just run was about, so the class can read it while watching.
                let done = &lesson.steps[run.next - 1];
                ui.label(RichText::new(done.narration.get(lang)).size(size * 0.8).weak());
                ui.add_space(10.0);
            } else {
                ui.label(RichText::new(lesson.summary.get(lang)).size(size * 0.8).weak());
                ui.add_space(10.0);
            }
            let Some(step) = lesson.steps.get(run.next) else {
                ui.label(RichText::new(T::LessonDone.get(lang)).size(size).strong());
                return;
            };
            ui.label(RichText::new(step.narration.get(lang)).size(size));
            if !step.commands.trim().is_empty() {
                ui.add_space(6.0);
                ui.label(RichText::new(&step.commands).monospace().weak());
            }
            if let Some(q) = &step.question {
                ui.add_space(10.0);
                ui.label(RichText::new(T::Question.get(lang)).size(size * 0.9).strong());
                ui.label(RichText::new(q.prompt.get(lang)).size(size));
                for (i, choice) in q.choices.iter().enumerate() {
                    let picked = run.answer == Some(i);
                    let text = RichText::new(format!("{}. {}", i + 1, choice.get(lang))).size(size * 0.9);
                    let enabled = run.answer.is_none();
                    if ui.add_enabled(enabled || picked, egui::Button::selectable(picked, text)).clicked()
                        && enabled
                    {
                        intents.push(Intent::Answer(i));
                    }
                }
                if let Some(a) = run.answer {
                    let verdict = if a == q.answer { T::Correct } else { T::NotQuite };
                    let color =
                        if a == q.answer { ui.visuals().text_color() } else { ui.visuals().warn_fg_color };
                    ui.add_space(6.0);
                    ui.label(RichText::new(verdict.get(lang)).size(size).color(color).strong());
                    ui.label(RichText::new(q.explanation.get(lang)).size(size * 0.9));
                }
            }
        },
    );
    ui.separator();
    ui.horizontal(|ui| {
        if shortcuts::button(ui, Action::LessonBack, T::LessonBack.get(lang), lang, run.next > 0) {
            intents.push(Intent::Action(Action::LessonBack));
        }
        let has_step = run.next < lesson.steps.len();
        let waiting =
            lesson.steps.get(run.next).is_some_and(|s| s.question.is_some()) && run.answer.is_none();
        let label = if has_step && !lesson.steps[run.next].commands.trim().is_empty() {
            T::RunStep
        } else {
            T::LessonNext
        };
        if shortcuts::button(ui, Action::LessonNext, label.get(lang), lang, has_step && !waiting) {
            intents.push(Intent::RunLessonStep);
        }
        if ui.button(T::CloseLesson.get(lang)).clicked() {
            intents.push(Intent::CloseLesson);
        }
    });
}
