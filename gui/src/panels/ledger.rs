//! The ledger (every message: where it is, status, fate, cause, effects), the explained event
//! log and the journey of the selected or hovered message.

use egui::RichText;
use mqlab_core::lesson::Lang;
use mqlab_core::view::Fate;

use crate::app::{Intent, LabApp};
use crate::diagram;
use crate::i18n::{self, T};

pub fn show(ui: &mut egui::Ui, app: &LabApp, intents: &mut Vec<Intent>) {
    let lang = app.lang();
    let width = ui.available_width();
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(width * 0.56);
            ledger(ui, app, lang, intents);
        });
        ui.separator();
        ui.vertical(|ui| {
            ui.set_width(ui.available_width());
            journey_or_events(ui, app, lang);
        });
    });
}

fn ledger(ui: &mut egui::Ui, app: &LabApp, lang: Lang, intents: &mut Vec<Intent>) {
    let view = app.view();
    ui.heading(T::Ledger.get(lang));
    if view.messages.is_empty() {
        ui.label(T::NoMessages.get(lang));
        return;
    }
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let headers = [
        T::ColMessage,
        T::ColSeq,
        T::ColWhere,
        T::ColStatus,
        T::ColFate,
        T::ColCause,
        T::ColEffects,
        T::ColDetected,
    ];
    let widths = [0.06, 0.08, 0.15, 0.17, 0.12, 0.24, 0.09, 0.09];
    let total = ui.available_width();
    ui.horizontal(|ui| {
        for (h, w) in headers.iter().zip(widths) {
            ui.add_sized(
                [total * w, row_h],
                egui::Label::new(RichText::new(h.get(lang)).strong()).truncate(),
            );
        }
    });
    egui::ScrollArea::vertical().id_salt("ledger").auto_shrink([false; 2]).show_rows(
        ui,
        row_h,
        view.messages.len(),
        |ui, rows| {
            for m in &view.messages[rows] {
                ui.horizontal(|ui| {
                    let selected = app.selected == Some(m.id);
                    let r = ui.add_sized(
                        [total * widths[0], row_h],
                        egui::Button::selectable(selected, m.id.to_string()),
                    );
                    if r.clicked() {
                        intents.push(Intent::Select(m.id));
                    }
                    let cells = [
                        (format!("{}/{}", m.producer, m.seq), None),
                        (i18n::token(m.token, lang).to_owned(), Some(diagram::color(m.token))),
                        (m.status.map_or("—".to_owned(), |s| s.name().to_owned()), None),
                        (i18n::fate(m.fate, lang), fate_color(m.fate)),
                        (m.cause.map_or("—".to_owned(), |c| c.name().to_owned()), fate_color(m.fate)),
                        (m.effects.to_string(), None),
                        ((if m.detected { "✓" } else { "" }).to_owned(), None),
                    ];
                    for ((text, color), w) in cells.into_iter().zip(&widths[1..]) {
                        let mut rt = RichText::new(text);
                        if let Some(c) = color {
                            rt = rt.color(c);
                        }
                        ui.add_sized([total * w, row_h], egui::Label::new(rt).truncate());
                    }
                });
            }
        },
    );
}

fn fate_color(fate: Fate) -> Option<egui::Color32> {
    match fate {
        Fate::Lost => Some(diagram::color(mqlab_core::view::TokenState::Lost)),
        Fate::Duplicated => Some(diagram::color(mqlab_core::view::TokenState::Duplicated)),
        Fate::Processed => Some(diagram::color(mqlab_core::view::TokenState::Flushed)),
        _ => None,
    }
}

fn journey_or_events(ui: &mut egui::Ui, app: &LabApp, lang: Lang) {
    if let Some(journey) = app.journey() {
        ui.heading(format!("{} · {}", T::Journey.get(lang), journey.message.id));
        ui.label(RichText::new(&journey.explanation).strong());
        ui.add_space(4.0);
        egui::ScrollArea::vertical().id_salt("journey").auto_shrink([false; 2]).stick_to_bottom(true).show(
            ui,
            |ui| {
                for e in &journey.events {
                    event_row(ui, e);
                }
            },
        );
        return;
    }
    ui.heading(T::Events.get(lang));
    let trace = app.trace();
    if trace.is_empty() {
        ui.label(T::PickMessage.get(lang));
        return;
    }
    let row_h = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
    egui::ScrollArea::vertical().id_salt("events").auto_shrink([false; 2]).stick_to_bottom(true).show_rows(
        ui,
        row_h,
        trace.len(),
        |ui, rows| {
            for e in &trace[rows] {
                event_row(ui, e);
            }
        },
    );
}

fn event_row(ui: &mut egui::Ui, e: &mqlab_core::view::Event) {
    let text = format!("#{:<4} {:>6} ms  {}", e.step, e.at_ms, e.text);
    ui.add(egui::Label::new(RichText::new(text).monospace()).truncate());
}
