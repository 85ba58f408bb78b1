//! The settings panel: a control for every key of the settings registry, grouped by stage and
//! named as RocketMQ and interviews name them. A change is a `set KEY VALUE` command, so it lands on the timeline
//! and in the event log like any other input.

use mqlab_core::command::Command;
use mqlab_core::lesson::Lang;
use mqlab_core::settings::{Domain, SETTINGS, Stage};
use mqlab_core::view::View;

use crate::app::Intent;
use crate::i18n::{self, T};

pub fn show(ui: &mut egui::Ui, view: &View, lang: Lang, intents: &mut Vec<Intent>) {
    ui.add_space(4.0);
    ui.heading(T::Settings.get(lang));
    egui::ScrollArea::vertical().auto_shrink([false; 2]).show(ui, |ui| {
        for stage in [Stage::Produce, Stage::Store, Stage::Consume, Stage::Network] {
            ui.add_space(6.0);
            ui.label(egui::RichText::new(i18n::stage(stage).get(lang)).strong().size(18.0));
            ui.separator();
            for spec in SETTINGS.iter().filter(|s| s.stage == stage) {
                let current = view.settings.get(spec.key).unwrap_or_default();
                let title = i18n::setting_title(spec.key, lang);
                let help = format!(
                    "{}\n\n{} = {}\n{}",
                    i18n::setting_help(spec.key, lang),
                    spec.key,
                    current,
                    spec.real
                );
                let mut set = |value: String| {
                    if value != current {
                        intents.push(Intent::Command(Command::Set { key: spec.key, value }));
                    }
                };
                match spec.domain {
                    Domain::Choice(words) => {
                        ui.label(title).on_hover_text(&help);
                        ui.horizontal_wrapped(|ui| {
                            for word in words {
                                let text = i18n::choice_label(spec.key, word, lang);
                                let on = current == *word;
                                let r = ui.selectable_label(on, text).on_hover_text(&help);
                                // Two settings share SYNC_FLUSH/ASYNC_FLUSH: the accessible name
                                // says which.
                                let name = format!("{title}: {text}");
                                r.widget_info(|| {
                                    egui::WidgetInfo::selected(egui::Role::Button, true, on, &name)
                                });
                                if r.clicked() {
                                    set((*word).to_owned());
                                }
                            }
                        });
                    }
                    Domain::Switch => {
                        let mut on = current == "on";
                        if ui.checkbox(&mut on, title).on_hover_text(&help).changed() {
                            set(if on { "on" } else { "off" }.to_owned());
                        }
                    }
                    Domain::Number { min, max } => {
                        ui.horizontal(|ui| {
                            let label = ui.label(title).on_hover_text(&help);
                            // While dragging, the value lives in egui's memory and is applied
                            // on release: one `set`, not hundreds.
                            let id = ui.scope_id().with(spec.key);
                            let shown = current.parse().unwrap_or(min);
                            let mut n: u64 = ui.data(|d| d.get_temp(id)).unwrap_or(shown);
                            let r = ui
                                .add(egui::DragValue::new(&mut n).range(min..=max).speed(1.0))
                                .labelled_by(label.id);
                            if r.dragged() {
                                ui.data_mut(|d| d.insert_temp(id, n));
                            } else {
                                ui.data_mut(|d| d.remove::<u64>(id));
                                if r.changed() || r.drag_stopped() {
                                    set(n.to_string());
                                }
                            }
                        });
                    }
                }
                ui.add_space(2.0);
            }
        }
    });
}
