//! The menu bar: lab actions, the view menu and the lessons, all generated from the shortcut
//! table (and the lesson list), so a menu entry and its key never disagree.

use mqlab_core::lesson;

use crate::app::{Intent, LabApp};
use crate::i18n::T;
use crate::shortcuts::{self, Action, Menu, SHORTCUTS};

pub fn show(ui: &mut egui::Ui, app: &LabApp, intents: &mut Vec<Intent>) {
    let lang = app.lang();
    egui::Panel::top("menu").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            for (menu, title) in [(Menu::Lab, T::MenuLab), (Menu::View, T::MenuView)] {
                ui.menu_button(title.get(lang), |ui| {
                    for row in SHORTCUTS.iter().filter(|r| r.menu == menu) {
                        let checked = match row.action {
                            Action::Presenter => Some(app.prefs.presenter),
                            Action::ToggleSettings => Some(app.prefs.show_settings),
                            Action::ToggleLedger => Some(app.prefs.show_ledger),
                            Action::ToggleSequence => Some(app.prefs.show_sequence),
                            Action::Theme => Some(!app.prefs.dark),
                            _ => None,
                        };
                        if shortcuts::menu_item(ui, row.action, lang, checked) {
                            intents.push(Intent::Action(row.action));
                        }
                    }
                });
            }
            ui.menu_button(T::MenuLessons.get(lang), |ui| {
                let current = app.lesson.as_ref().map(|r| r.lesson.id.clone());
                if ui.add(egui::Button::selectable(current.is_none(), T::Sandbox.get(lang))).clicked() {
                    intents.push(Intent::CloseLesson);
                }
                ui.separator();
                for l in lesson::builtin() {
                    let selected = current.as_deref() == Some(l.id.as_str());
                    let title = l.title.get(lang).to_owned();
                    if ui
                        .add(egui::Button::selectable(selected, title))
                        .on_hover_text(l.summary.get(lang))
                        .clicked()
                    {
                        intents.push(Intent::OpenLesson(l.id.clone()));
                    }
                }
            });
            ui.menu_button(T::MenuHelp.get(lang), |ui| {
                if shortcuts::menu_item(ui, Action::Cards, lang, Some(app.show_cards)) {
                    intents.push(Intent::Action(Action::Cards));
                }
                if shortcuts::menu_item(ui, Action::Help, lang, Some(app.show_help)) {
                    intents.push(Intent::Action(Action::Help));
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(egui::RichText::new(T::Title.get(lang)).weak());
            });
        });
    });
}
