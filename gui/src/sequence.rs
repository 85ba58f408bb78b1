//! The sequence diagram panel: a lane per node, an arrow per envelope, crashes and restarts on
//! the lanes, virtual time down the side.
//!
//! F6 (or View ▸ Sequence diagram) shows it beside the topology. It follows the timeline: play,
//! step, back and the scrubber all change the session's trace, and the panel draws the newest
//! rows that fit from it (reading only the events those rows need, so a long run costs what a
//! short one does). The selected message's arrows are drawn bold on a highlight; a click on an
//! arrow selects its message. The model and its labels come from [`mqlab_core::diagram`], so
//! the panel, the terminal lab and `mqlab exec --diagram` draw the same rows.

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, Vec2};
use mqlab_core::diagram::{self, Arrow, Diagram, End, RowKind};
use mqlab_core::ids::MsgId;
use mqlab_core::lesson::Lang;
use mqlab_core::view::Mark;

use crate::app::{Intent, LabApp};
use crate::i18n::T;

/// Height of one row, in points.
const ROW: f32 = 24.0;
/// Height of the lane names.
const HEADER: f32 = 26.0;
/// Width of the step and time column.
const GUTTER: f32 = 92.0;
/// Width kept at the right for notes (why an arrow failed, what a mark did).
const NOTES: f32 = 150.0;

/// The colours of one frame.
struct Palette {
    text: Color32,
    dim: Color32,
    failed: Color32,
    in_flight: Color32,
    mark: Color32,
    highlight: Color32,
    background: Color32,
}

impl Palette {
    fn of(ui: &egui::Ui) -> Palette {
        let v = ui.visuals();
        Palette {
            text: v.text_color(),
            dim: v.weak_text_color(),
            failed: v.error_fg_color,
            in_flight: if v.dark_mode {
                Color32::from_rgb(90, 200, 230)
            } else {
                Color32::from_rgb(0, 120, 160)
            },
            mark: v.warn_fg_color,
            highlight: v.selection.bg_fill.gamma_multiply(0.45),
            background: v.panel_fill,
        }
    }
}

/// Where things go in the panel.
struct Frame {
    rect: Rect,
    lanes: usize,
}

impl Frame {
    fn lane_x(&self, lane: usize) -> f32 {
        let width = (self.rect.width() - GUTTER - NOTES).max(40.0);
        self.rect.left() + GUTTER + width * (lane as f32 + 0.5) / self.lanes.max(1) as f32
    }

    fn row_y(&self, row: usize) -> f32 {
        self.rect.top() + HEADER + ROW * (row as f32 + 0.5)
    }

    fn notes_x(&self) -> f32 {
        self.rect.right() - NOTES + 6.0
    }
}

/// The panel's heading: the step and the message followed.
fn heading(app: &LabApp, lang: Lang) -> String {
    let step = app.view().step;
    let mut text = match lang {
        Lang::En => format!("{} · step {step}", T::ShowSequence.get(lang)),
        Lang::Zh => format!("{} · 第 {step} 步", T::ShowSequence.get(lang)),
    };
    if let Some(id) = app.selected {
        text.push_str(&format!(" · {} {id}", T::SequenceFollowing.get(lang)));
    }
    text
}

/// Draws the panel's content.
pub fn show(ui: &mut egui::Ui, app: &LabApp, intents: &mut Vec<Intent>) {
    let lang = app.lang();
    ui.heading(heading(app, lang));
    ui.label(egui::RichText::new(T::SequenceHint.get(lang)).small().weak());
    let rect = ui.available_rect_before_wrap();
    let fit = ((rect.height() - HEADER) / ROW).floor().max(0.0) as usize;
    let trace = app.trace();
    let diagram = Diagram::last_rows(trace, &app.view().topology, trace.len(), fit);
    let canvas = ui.allocate_rect(rect, Sense::hover());
    canvas.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, T::SequenceCanvas.get(lang)));
    let _ = canvas.on_hover_text(T::SequenceCanvas.get(lang));
    let painter = ui.painter_at(rect);
    let palette = Palette::of(ui);
    let frame = Frame { rect, lanes: diagram.lanes.len() };
    lanes(&painter, &frame, &diagram, &palette, lang);
    if diagram.rows.is_empty() {
        let at = Pos2::new(rect.center().x, rect.top() + HEADER + ROW);
        painter.text(
            at,
            Align2::CENTER_CENTER,
            T::SequenceEmpty.get(lang),
            FontId::proportional(14.0),
            palette.dim,
        );
    }
    let mut last_step = None;
    for (i, row) in diagram.rows.iter().enumerate() {
        let y = frame.row_y(i);
        let followed = app.selected.is_some_and(|id| row.involves(id));
        if followed {
            let band = Rect::from_x_y_ranges(rect.x_range(), (y - ROW / 2.0)..=(y + ROW / 2.0));
            painter.rect_filled(band, 2.0, palette.highlight);
        }
        if last_step != Some(row.step) {
            let time = format!("{:>5}  {} ms", row.step, row.at_ms);
            let at = Pos2::new(rect.left() + 4.0, y);
            painter.text(at, Align2::LEFT_CENTER, time, FontId::monospace(11.0), palette.dim);
            last_step = Some(row.step);
        }
        match &row.kind {
            RowKind::Arrow(arrow) => {
                if let Some(id) =
                    draw_arrow(ui, &painter, &frame, &diagram, arrow, y, followed, &palette, lang)
                {
                    intents.push(Intent::Select(id));
                }
            }
            RowKind::Mark(mark) => draw_mark(&painter, &frame, &diagram, *mark, y, &palette, lang),
        }
    }
}

/// The lane names and lifelines.
fn lanes(painter: &egui::Painter, frame: &Frame, diagram: &Diagram, palette: &Palette, lang: Lang) {
    // Names that do not fit between two lanes get a smaller font, then lose their tail.
    let room = (frame.lane_x(1) - frame.lane_x(0)).abs().max(1.0) - 4.0;
    for (i, node) in diagram.lanes.iter().enumerate() {
        let x = frame.lane_x(i);
        let name = if lang == Lang::Zh { node.name_zh() } else { node.name() };
        let (label, font) = fitted_name(painter, name, room, palette);
        painter.text(
            Pos2::new(x, frame.rect.top() + HEADER / 2.0),
            Align2::CENTER_CENTER,
            label,
            font,
            palette.text,
        );
        let top = frame.rect.top() + HEADER;
        painter.line_segment(
            [Pos2::new(x, top), Pos2::new(x, frame.rect.bottom())],
            Stroke::new(1.0, palette.dim),
        );
    }
}

/// A lane's name in the largest font (13, 11 or 9 points) it fits `room` points in, shortened
/// with `…` when even the smallest does not fit.
fn fitted_name(painter: &egui::Painter, name: &str, room: f32, palette: &Palette) -> (String, FontId) {
    let width = |text: &str, font: &FontId| {
        painter.layout_no_wrap(text.to_owned(), font.clone(), palette.text).size().x
    };
    for size in [13.0, 11.0, 9.0] {
        let font = FontId::proportional(size);
        if width(name, &font) <= room {
            return (name.to_owned(), font);
        }
    }
    let font = FontId::proportional(9.0);
    let chars: Vec<char> = name.chars().collect();
    for keep in (1..chars.len()).rev() {
        let short: String = chars[..keep].iter().collect::<String>() + "…";
        if width(&short, &font) <= room {
            return (short, font);
        }
    }
    (name.to_owned(), font)
}

/// The label that fits `room` points: kind and messages, short kind and messages, messages,
/// short kind.
fn arrow_label(painter: &egui::Painter, arrow: &Arrow, room: f32, font: &FontId, lang: Lang) -> String {
    let messages = diagram::messages_label(&arrow.messages);
    let join = |kind: &str| if messages.is_empty() { kind.to_owned() } else { format!("{kind} {messages}") };
    let short = diagram::kind_short(arrow.kind, lang);
    [join(diagram::kind_label(arrow.kind, lang)), join(short), messages.clone(), short.to_owned()]
        .into_iter()
        .find(|label| {
            !label.is_empty()
                && painter.layout_no_wrap(label.clone(), font.clone(), Color32::WHITE).size().x <= room
        })
        .unwrap_or_default()
}

/// Draws one arrow; returns the message to select when it was clicked.
#[allow(clippy::too_many_arguments)]
fn draw_arrow(
    ui: &egui::Ui,
    painter: &egui::Painter,
    frame: &Frame,
    diagram: &Diagram,
    arrow: &Arrow,
    y: f32,
    followed: bool,
    palette: &Palette,
    lang: Lang,
) -> Option<MsgId> {
    let (from, to) = (diagram.lane(arrow.from)?, diagram.lane(arrow.to)?);
    let (x0, x1) = (frame.lane_x(from), frame.lane_x(to));
    let color = match arrow.end {
        End::Arrived => palette.text,
        End::Dropped { .. } | End::Lost => palette.failed,
        End::InFlight { .. } => palette.in_flight,
    };
    let stroke = Stroke::new(if followed { 3.0 } else { 1.5 }, color);
    // A failed arrow stops two thirds of the way: it never got there.
    let end_x = if arrow.end.failed() { x0 + (x1 - x0) * 0.66 } else { x1 };
    let (start, end) = (Pos2::new(x0, y + 4.0), Pos2::new(end_x, y + 4.0));
    match arrow.end {
        End::InFlight { .. } => painter.extend(Shape::dashed_line(&[start, end], stroke, 5.0, 4.0)),
        _ => {
            painter.line_segment([start, end], stroke);
        }
    }
    let dir = (x1 - x0).signum();
    if arrow.end.failed() {
        let s = 5.0;
        painter.line_segment([end + Vec2::new(-s, -s), end + Vec2::new(s, s)], Stroke::new(2.5, color));
        painter.line_segment([end + Vec2::new(-s, s), end + Vec2::new(s, -s)], Stroke::new(2.5, color));
    } else {
        let tip = end - Vec2::new(dir * 1.0, 0.0);
        let back = tip - Vec2::new(dir * 9.0, 0.0);
        painter.add(Shape::convex_polygon(
            vec![tip, back + Vec2::new(0.0, -4.5), back + Vec2::new(0.0, 4.5)],
            color,
            Stroke::NONE,
        ));
    }
    let font = FontId::proportional(if followed { 12.5 } else { 12.0 });
    let label = arrow_label(painter, arrow, (x1 - x0).abs() - 16.0, &font, lang);
    let mid = Pos2::new((x0 + end_x) / 2.0, y - 5.0);
    painter.text(mid, Align2::CENTER_CENTER, &label, font, color);
    if let Some(note) = diagram::end_label(arrow, lang) {
        let at = Pos2::new(frame.notes_x(), y);
        painter.text(at, Align2::LEFT_CENTER, note, FontId::proportional(11.0), color);
    }
    let hit = Rect::from_two_pos(Pos2::new(x0.min(x1), y - ROW / 2.0), Pos2::new(x0.max(x1), y + ROW / 2.0));
    let response = ui.interact(hit, ui.scope_id().with(("sequence arrow", arrow.env)), Sense::click());
    let name = accessible_name(arrow, lang);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    let clicked = response.clicked();
    let _ = response.on_hover_text(diagram::end_label(arrow, lang).unwrap_or(name));
    if clicked { arrow.messages.first().copied() } else { None }
}

/// What a screen reader says for an arrow: `delivery m1 broker→consumer: dropped: partitioned`.
pub fn accessible_name(arrow: &Arrow, lang: Lang) -> String {
    let messages = diagram::messages_label(&arrow.messages);
    let mut name =
        format!("{} {messages} {}→{}", diagram::kind_label(arrow.kind, lang), arrow.from, arrow.to);
    if let Some(end) = diagram::end_label(arrow, lang) {
        name.push_str(&format!(": {end}"));
    }
    name
}

/// A mark's symbol as shapes (the bundled fonts need not have `×`, `↻`, `⊘` or `▲`): a cross
/// for a crash, a ring for a restart, a barred ring for a partition, a triangle for a promotion.
fn symbol(painter: &egui::Painter, mark: Mark, at: Pos2, color: Color32) {
    let stroke = Stroke::new(2.5, color);
    let r = 6.0;
    match mark {
        Mark::Crashed { .. } => {
            painter.line_segment([at + Vec2::new(-r, -r), at + Vec2::new(r, r)], stroke);
            painter.line_segment([at + Vec2::new(-r, r), at + Vec2::new(r, -r)], stroke);
        }
        Mark::Restarted { .. } => {
            painter.circle_stroke(at, r, stroke);
        }
        Mark::Partitioned { .. } => {
            painter.circle_stroke(at, r, stroke);
            painter.line_segment([at + Vec2::new(-r, r), at + Vec2::new(r, -r)], stroke);
        }
        Mark::Promoted { .. } => {
            let points = vec![at + Vec2::new(0.0, -r), at + Vec2::new(r, r), at + Vec2::new(-r, r)];
            painter.add(Shape::convex_polygon(points, color, Stroke::NONE));
        }
        Mark::Healed => {}
    }
}

/// Draws a life mark: its symbol on its lane (a heal across every lane), its words in the notes.
fn draw_mark(
    painter: &egui::Painter,
    frame: &Frame,
    diagram: &Diagram,
    mark: Mark,
    y: f32,
    palette: &Palette,
    lang: Lang,
) {
    match diagram::mark_node(mark).and_then(|node| diagram.lane(node)) {
        Some(lane) => {
            let at = Pos2::new(frame.lane_x(lane), y);
            painter.circle_filled(at, 9.0, palette.background);
            symbol(painter, mark, at, palette.mark);
        }
        None => {
            let (a, b) = (frame.lane_x(0), frame.lane_x(diagram.lanes.len().saturating_sub(1)));
            painter.extend(Shape::dashed_line(
                &[Pos2::new(a, y), Pos2::new(b, y)],
                Stroke::new(1.5, palette.mark),
                3.0,
                3.0,
            ));
        }
    }
    let at = Pos2::new(frame.notes_x(), y);
    painter.text(
        at,
        Align2::LEFT_CENTER,
        diagram::mark_label(mark, lang),
        FontId::proportional(11.0),
        palette.mark,
    );
}
