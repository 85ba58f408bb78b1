//! The ledger (every message: its queue, where its copies are and on which node, status, fate,
//! cause, effects), the explained event log and the journey of the selected or hovered message.

use egui::RichText;
use mqlab_core::lesson::Lang;
use mqlab_core::view::Fate;

use crate::app::{Intent, LabApp};
use crate::diagram;
use crate::i18n::{self, T};

pub fn show(ui: &mut egui::Ui, app: &LabApp, intents: &mut Vec<Intent>) {
    let lang = app.lang();
    let width = ui.available_width();
    let mut table = Table::cached(ui, app, lang);
    // The ledger takes what its columns need (within bounds); the events get the rest, so on a
    // narrow window or beside a lesson the words that matter (SEND_OK, FLUSH_DISK_TIMEOUT,
    // lost_in_page_cache) are not the ones cut.
    let spacing = ui.spacing().item_spacing.x;
    let want = table.natural_width(spacing) + 4.0;
    let max = width * 0.7;
    let ledger_width = want.clamp(width * 0.35, max);
    // Too wide even so: the table's cells in small type (widths scale with the font size).
    let small = want > max;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(ledger_width);
            if small {
                let style = ui.style();
                let ratio =
                    egui::TextStyle::Small.resolve(style).size / egui::TextStyle::Body.resolve(style).size;
                ui.style_mut().override_text_style = Some(egui::TextStyle::Small);
                table.scale(ratio);
            }
            ledger(ui, app, &table, lang, intents);
        });
        ui.separator();
        ui.vertical(|ui| {
            ui.set_width(ui.available_width());
            journey_or_events(ui, app, lang);
        });
    });
}

/// The number of columns.
const COLUMNS: usize = 9;

const HEADERS: [T; COLUMNS] = [
    T::ColMessage,
    T::ColSeq,
    T::ColQueue,
    T::ColWhere,
    T::ColStatus,
    T::ColFate,
    T::ColCause,
    T::ColEffects,
    T::ColDetected,
];

/// One ledger row's cells as text, with their colour.
type Row = [(String, Option<egui::Color32>); COLUMNS];

/// The ledger's cells as text, and the width each column needs to show all of them whole.
#[derive(Clone)]
struct Table {
    rows: std::sync::Arc<Vec<Row>>,
    natural: [f32; COLUMNS],
}

impl Table {
    /// The table of the messages on screen, built (and its columns measured) only when a message,
    /// the language or the font changed since the last frame.
    fn cached(ui: &egui::Ui, app: &LabApp, lang: Lang) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (lang == Lang::Zh).hash(&mut hasher);
        egui::TextStyle::Body.resolve(ui.style()).size.to_bits().hash(&mut hasher);
        ui.spacing().button_padding.x.to_bits().hash(&mut hasher);
        for m in &app.view().messages {
            (m.id, m.producer, m.seq, m.queue, &m.places, m.token, m.fate, m.cause, m.effects, m.detected)
                .hash(&mut hasher);
            m.status.map(|s| s.name()).hash(&mut hasher);
        }
        let key = hasher.finish();
        let id = egui::Id::unique("mqlab-ledger-table");
        if let Some((k, table)) = ui.data(|d| d.get_temp::<(u64, Table)>(id))
            && k == key
        {
            return table;
        }
        let table = Table::new(ui, app, lang);
        ui.data_mut(|d| d.insert_temp(id, (key, table.clone())));
        table
    }

    fn new(ui: &egui::Ui, app: &LabApp, lang: Lang) -> Self {
        let rows: Vec<_> = app
            .view()
            .messages
            .iter()
            .map(|m| {
                [
                    (m.id.to_string(), None),
                    (format!("{}/{}", m.producer, m.seq), None),
                    (format!("q{}", m.queue), None),
                    (where_text(m, lang), Some(diagram::color(m.token))),
                    (m.status.map_or("—".to_owned(), |s| s.name().to_owned()), None),
                    (i18n::fate(m.fate, lang), fate_color(m.fate)),
                    (m.cause.map_or("—".to_owned(), |c| c.name().to_owned()), fate_color(m.fate)),
                    (m.effects.to_string(), None),
                    ((if m.detected { "✓" } else { "" }).to_owned(), None),
                ]
            })
            .collect();
        let body = egui::TextStyle::Body.resolve(ui.style());
        // The id column is a button: its text sits inside the button's padding.
        let padding = 2.0 * ui.spacing().button_padding.x;
        let mut natural = [0.0_f32; COLUMNS];
        ui.fonts_mut(|f| {
            let mut width = |text: &str| text.chars().map(|c| f.glyph_width(&body, c)).sum::<f32>();
            for (i, h) in HEADERS.iter().enumerate() {
                // Headers are strong: a little wider than body text.
                natural[i] = width(h.get(lang)) * 1.06;
            }
            let mut seen: Vec<std::collections::BTreeSet<&str>> = vec![Default::default(); COLUMNS];
            for row in &rows {
                for (i, (text, _)) in row.iter().enumerate() {
                    if seen[i].insert(text.as_str()) {
                        natural[i] = natural[i].max(width(text));
                    }
                }
            }
        });
        natural[0] += padding;
        for w in &mut natural {
            *w = w.ceil() + 2.0;
        }
        Self { rows: std::sync::Arc::new(rows), natural }
    }

    /// Widths for the table in a font `ratio` times the size measured.
    fn scale(&mut self, ratio: f32) {
        for w in &mut self.natural {
            *w = (*w * ratio).ceil();
        }
    }

    /// The width of the whole table with every cell whole.
    fn natural_width(&self, spacing: f32) -> f32 {
        self.natural.iter().sum::<f32>() + spacing * (self.natural.len() - 1) as f32
    }

    /// Column widths that fit `total`: when they do not all fit, only the widest columns are
    /// narrowed (to one common cap), so short columns such as the id and the counts stay whole.
    fn widths(&self, total: f32, spacing: f32) -> [f32; COLUMNS] {
        let room = total - spacing * (self.natural.len() - 1) as f32;
        let fits = |cap: f32| self.natural.iter().map(|w| w.min(cap)).sum::<f32>() <= room;
        let widest = self.natural.iter().copied().fold(0.0, f32::max);
        if fits(widest) {
            return self.natural;
        }
        let (mut lo, mut hi) = (0.0_f32, widest);
        for _ in 0..24 {
            let mid = (lo + hi) / 2.0;
            if fits(mid) { lo = mid } else { hi = mid }
        }
        self.natural.map(|w| w.min(lo).max(1.0))
    }
}

fn ledger(ui: &mut egui::Ui, app: &LabApp, table: &Table, lang: Lang, intents: &mut Vec<Intent>) {
    let view = app.view();
    ui.heading(T::Ledger.get(lang));
    if view.messages.is_empty() {
        ui.label(T::NoMessages.get(lang));
        return;
    }
    let style = ui.style().override_text_style.clone().unwrap_or(egui::TextStyle::Body);
    let row_h = ui.text_style_height(&style) + 6.0;
    let widths = table.widths(ui.available_width(), ui.spacing().item_spacing.x);
    ui.horizontal(|ui| {
        for (h, w) in HEADERS.iter().zip(widths) {
            ui.add_sized([w, row_h], egui::Label::new(RichText::new(h.get(lang)).strong()).truncate());
        }
    });
    egui::ScrollArea::vertical().id_salt("ledger").auto_shrink([false; 2]).show_rows(
        ui,
        row_h,
        view.messages.len(),
        |ui, rows| {
            for (m, cells) in view.messages[rows.clone()].iter().zip(&table.rows[rows]) {
                ui.horizontal(|ui| {
                    let selected = app.selected == Some(m.id);
                    let r = ui.add_sized([widths[0], row_h], egui::Button::selectable(selected, &cells[0].0));
                    if r.clicked() {
                        intents.push(Intent::Select(m.id));
                    }
                    for ((text, color), w) in cells[1..].iter().zip(&widths[1..]) {
                        let mut rt = RichText::new(text);
                        if let Some(c) = color {
                            rt = rt.color(*c);
                        }
                        ui.add_sized([*w, row_h], egui::Label::new(rt).truncate());
                    }
                });
            }
        },
    );
}

/// Where the message's copies are, naming the node that holds each ("replica disk; consumer2,
/// processing"); for a message with none left, its state (lost, processed).
fn where_text(m: &mqlab_core::view::MessageView, lang: Lang) -> String {
    if m.places.is_empty() {
        return i18n::token(m.token, lang).to_owned();
    }
    let separator = if lang == Lang::Zh { "；" } else { "; " };
    m.places.iter().map(|p| p.describe(lang)).collect::<Vec<_>>().join(separator)
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
        ui.label(RichText::new(journey.message.explain(lang)).strong());
        ui.add_space(4.0);
        egui::ScrollArea::vertical().id_salt("journey").auto_shrink([false; 2]).stick_to_bottom(true).show(
            ui,
            |ui| {
                // A journey has few events: each is shown whole.
                for e in &journey.events {
                    event_row(ui, e, lang, None);
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
    // Every row is as tall as the others (the log can be long, and only the rows in sight are
    // laid out): one line, or two in a narrow column, where one would say little.
    let lines = if ui.available_width() < NARROW_EVENTS { 2 } else { 1 };
    let line_h = ui.text_style_height(&egui::TextStyle::Monospace);
    let row_h = line_h * lines as f32 + 4.0;
    egui::ScrollArea::vertical().id_salt("events").auto_shrink([false; 2]).stick_to_bottom(true).show_rows(
        ui,
        row_h,
        trace.len(),
        |ui, rows| {
            for e in &trace[rows] {
                // Exactly one row's height, whatever the text fills of it.
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(ui.available_width(), row_h), egui::Sense::hover());
                let builder =
                    egui::UiBuilder::new().max_rect(rect).layout(egui::Layout::top_down(egui::Align::Min));
                ui.scope_builder(builder, |ui| event_row(ui, e, lang, Some(lines)));
            }
        },
    );
}

/// Below this width the event log gives each event two lines.
const NARROW_EVENTS: f32 = 560.0;

/// One event, wrapped: whole, or cut to `lines` with the whole on hover (the event log, whose
/// rows are all of one height).
fn event_row(ui: &mut egui::Ui, e: &mqlab_core::view::Event, lang: Lang, lines: Option<usize>) {
    let text = format!("#{:<4} {:>6} ms  {}", e.step, e.at_ms, e.text_in(lang));
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let mut job = egui::text::LayoutJob::simple(text, font, ui.visuals().text_color(), ui.available_width());
    if let Some(lines) = lines {
        job.wrap.max_rows = lines;
    }
    ui.add(egui::Label::new(job).wrap());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_ledger_cuts_only_its_widest_columns() {
        let table = Table {
            rows: Default::default(),
            natural: [40.0, 40.0, 30.0, 90.0, 160.0, 80.0, 200.0, 60.0, 30.0],
        };
        let spacing = 8.0;
        let whole = table.natural_width(spacing);
        assert_eq!(table.widths(whole + 50.0, spacing), table.natural, "room to spare: all whole");
        let widths = table.widths(whole - 100.0, spacing);
        let used = widths.iter().sum::<f32>() + spacing * 8.0;
        assert!(used <= whole - 100.0 + 0.01, "{used}");
        for i in [0, 1, 2, 3, 5, 7, 8] {
            assert_eq!(widths[i], table.natural[i], "column {i} stays whole");
        }
        assert!(widths[4] < 160.0 && widths[6] < 200.0 && (widths[4] - widths[6]).abs() < 0.01);
    }
}
