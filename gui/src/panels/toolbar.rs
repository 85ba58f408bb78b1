//! The toolbar: play/pause, step, back, run, send, speed and reset (buttons generated from the
//! shortcut table), and the timeline scrubber over every step so far.

use mqlab_core::lesson::Lang;

use crate::app::{Intent, LabApp, SPEEDS};
use crate::i18n::T;
use crate::shortcuts::{self, Action, Menu, SHORTCUTS};

pub fn show(ui: &mut egui::Ui, app: &LabApp, intents: &mut Vec<Intent>) {
    let lang = app.lang();
    let view = app.view();
    egui::Panel::top("toolbar").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            for row in SHORTCUTS.iter().filter(|r| r.menu == Menu::Lab) {
                let (label, enabled) = match row.action {
                    Action::PlayPause if app.playing => (format!("■ {}", T::Pause.get(lang)), true),
                    Action::PlayPause => (format!("▶ {}", T::Play.get(lang)), true),
                    Action::Step => (format!("{} →", T::Step.get(lang)), !(view.idle && app.timeline.live)),
                    Action::Back => (format!("← {}", T::Back.get(lang)), view.step > 0),
                    Action::Slower => ("«".to_owned(), app.prefs.speed > 0),
                    Action::Faster => ("»".to_owned(), app.prefs.speed + 1 < SPEEDS.len()),
                    action => (shortcuts::row(action).label.get(lang).to_owned(), true),
                };
                if row.action == Action::Slower {
                    ui.separator();
                    ui.label(T::Speed.get(lang));
                }
                if shortcuts::button(ui, row.action, &label, lang, enabled) {
                    intents.push(Intent::Action(row.action));
                }
                if row.action == Action::Slower {
                    ui.label(format!("{} {}", SPEEDS[app.prefs.speed], T::StepsPerSecond.get(lang)));
                }
                if row.action == Action::Faster {
                    ui.separator();
                }
            }
        });
        ui.horizontal(|ui| {
            ui.label(T::Timeline.get(lang));
            let high = app.timeline.high.max(1);
            let mut step = view.step;
            let state = if view.idle && app.timeline.live { T::Idle.get(lang) } else { "" };
            let (step_no, high_no, ms) = (view.step, app.timeline.high, view.virtual_ms);
            let status = match lang {
                Lang::En => format!("step {step_no} / {high_no} · {ms} ms  {state}"),
                Lang::Zh => format!("第 {step_no} / {high_no} 步 · {ms} ms  {state}"),
            };
            // The slider takes what the status after it and the slider's number box leave.
            let font = egui::TextStyle::Body.resolve(ui.style());
            let status_width =
                ui.painter().layout_no_wrap(status.clone(), font, egui::Color32::WHITE).size().x;
            let number_box = 60.0 + 2.0 * ui.spacing().item_spacing.x;
            let width =
                (ui.available_width() - status_width - number_box - ui.spacing().item_spacing.x).max(120.0);
            ui.spacing_mut().slider_width = width;
            let slider = egui::Slider::new(&mut step, 0..=high).integer().show_value(true);
            let response = ui.add_enabled(app.timeline.high > 0, slider);
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Slider, app.timeline.high > 0, T::Timeline.get(lang))
            });
            if response.changed() && step != view.step {
                intents.push(Intent::Scrub(step));
            }
            ui.label(status);
        });
        ui.add_space(2.0);
    });
}
