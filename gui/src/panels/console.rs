//! The command line under the diagram: any line of the command language, as in the terminal
//! lab and the lessons.

use crate::app::{Intent, LabApp};
use crate::i18n::T;

pub fn show(ui: &mut egui::Ui, app: &mut LabApp, intents: &mut Vec<Intent>) {
    let lang = app.lang();
    egui::Panel::bottom("console").show(ui, |ui| {
        ui.horizontal(|ui| {
            let label = ui.label(T::Command.get(lang));
            let edit = egui::TextEdit::singleline(&mut app.console)
                .hint_text(T::CommandHint.get(lang))
                .font(egui::TextStyle::Monospace)
                .desired_width((ui.available_width() - 90.0).max(100.0));
            let response = ui.add(edit).labelled_by(label.id);
            let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button(T::Run.get(lang)).clicked() || entered) && !app.console.trim().is_empty() {
                intents.push(Intent::Line(std::mem::take(&mut app.console)));
                response.request_focus();
            }
        });
    });
}
