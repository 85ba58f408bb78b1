//! The help window: the shortcut table, rendered.

use crate::app::{Intent, LabApp};
use crate::i18n::T;
use crate::shortcuts::{self, Action, SHORTCUTS};

pub fn show(ctx: &egui::Context, app: &LabApp, intents: &mut Vec<Intent>) {
    let lang = app.lang();
    let mut open = true;
    super::window("help", T::Help.get(lang), app.prefs.presenter, app.windows_area, egui::vec2(720.0, 600.0))
        .open(&mut open)
        .resizable(false)
        .vscroll(true)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts").striped(true).num_columns(3).show(ui, |ui| {
                ui.strong(T::KeyColumn.get(lang));
                ui.strong(T::ActionColumn.get(lang));
                ui.label("");
                ui.end_row();
                for row in SHORTCUTS {
                    ui.monospace(shortcuts::keys_text(ctx, row.action));
                    ui.label(row.label.get(lang));
                    ui.label(egui::RichText::new(row.help.get(lang)).weak());
                    ui.end_row();
                }
            });
        });
    if !open {
        intents.push(Intent::Action(Action::Help));
    }
}
