//! The interview cards window: "how do you guarantee that no message is lost?" with the answer
//! template stage by stage, then the follow-up questions. The cards are the core's lesson data
//! (`lessons/cards.toml`), in the lab's language; each names the lessons that show its answer
//! happening, and a click opens one.

use egui::RichText;
use mqlab_core::lesson::{self, CardKind};

use crate::app::{Intent, LabApp};
use crate::i18n::T;
use crate::shortcuts::Action;

pub fn show(ctx: &egui::Context, app: &LabApp, intents: &mut Vec<Intent>) {
    let lang = app.lang();
    let size = if app.prefs.presenter { 22.0 } else { 16.0 };
    let lessons = lesson::builtin();
    let mut open = true;
    super::window(
        "cards",
        T::Cards.get(lang),
        app.prefs.presenter,
        app.windows_area,
        egui::vec2(760.0, 640.0),
    )
    .open(&mut open)
    .vscroll(true)
    .show(ctx, |ui| {
        let cards = lesson::cards();
        if cards.is_empty() {
            ui.label(RichText::new(T::NoCards.get(lang)).weak());
        }
        for (i, card) in cards.iter().enumerate() {
            if i > 0 {
                ui.separator();
            }
            let mark = match card.kind {
                CardKind::Template => "◆",
                CardKind::FollowUp => "→",
            };
            ui.label(RichText::new(format!("{mark} {}", card.question.get(lang))).size(size * 1.1).strong());
            ui.label(RichText::new(card.answer.get(lang).trim_end()).size(size));
            if card.lessons.is_empty() {
                continue;
            }
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(T::SeeLessons.get(lang)).weak());
                for (i, id) in card.lessons.iter().enumerate() {
                    // Titles wrap: a separator keeps one link's end from reading as the next's start.
                    if i > 0 {
                        ui.label(RichText::new("·").weak());
                    }
                    let title =
                        lessons.iter().find(|l| &l.id == id).map_or(id.as_str(), |l| l.title.get(lang));
                    if ui.link(title).on_hover_text(T::OpenLessonHint.get(lang)).clicked() {
                        intents.push(Intent::OpenLesson(id.clone()));
                        intents.push(Intent::Action(Action::Cards));
                    }
                }
            });
        }
    });
    if !open {
        intents.push(Intent::Action(Action::Cards));
    }
}
