//! Painting helpers of the diagram: captions fitted to their boxes, the red ✗, the totals, the
//! legend and the textured disc every token is drawn with.

use egui::{Align2, Color32, FontId, Pos2, Rect, Stroke, Vec2, pos2, vec2};
use mqlab_core::lesson::Lang;
use mqlab_core::view::{TokenState, View};

use super::layout::Layout;
use super::scene::{TOKEN_STATES, color};
use crate::i18n::{self, T};

/// Text that stays within `max_width`: wrapped onto at most `rows` lines, then cut with "…"
/// (a caption must not run into the next area, box or lane).
#[allow(clippy::too_many_arguments)]
pub fn fitted_text(
    painter: &egui::Painter,
    at: Pos2,
    align: Align2,
    text: &str,
    font: &FontId,
    color: Color32,
    max_width: f32,
    rows: usize,
) {
    let mut job = egui::text::LayoutJob::simple(text.to_owned(), font.clone(), color, max_width.max(1.0));
    job.wrap.max_rows = rows;
    job.wrap.break_anywhere = rows == 1;
    job.halign = align.x();
    let galley = painter.layout_job(job);
    let rect = align.anchor_size(at, galley.size());
    // A centred job is laid out around x = 0: its galley's rect starts left of its origin.
    let origin = pos2(rect.left() - galley.rect.left(), rect.top());
    painter.galley(origin, galley, color);
}

/// The red ✗ of a destroyed message, drawn as two strokes (no font needed).
pub fn cross(painter: &egui::Painter, c: Pos2, r: f32, col: Color32, ring: Option<Color32>) {
    let d = r * 0.8;
    let w = (r * 0.35).max(2.0);
    painter.line_segment([c + vec2(-d, -d), c + vec2(d, d)], Stroke::new(w, col));
    painter.line_segment([c + vec2(-d, d), c + vec2(d, -d)], Stroke::new(w, col));
    if let Some(ring) = ring {
        painter.circle_stroke(c, r + 2.5, Stroke::new(2.5, ring));
    }
}

pub fn totals(
    painter: &egui::Painter,
    layout: &Layout,
    view: &View,
    lang: Lang,
    label: &FontId,
    big: &FontId,
    text: Color32,
) {
    let r = layout.totals;
    let t = view.totals;
    let rows = [
        (T::Sent, t.sent, text),
        (T::Acked, t.acked, text),
        (T::DoneList, t.processed, color(TokenState::Processed)),
        (T::Duplicated, t.duplicated, color(TokenState::Duplicated)),
        (T::Lost, t.lost, color(TokenState::Lost)),
        (T::FailedShort, t.failed, color(TokenState::Failed)),
        (T::DeadLetters, t.dead_lettered, color(TokenState::DeadLettered)),
        (T::Pending, t.pending, text),
    ];
    painter.text(
        r.left_top(),
        Align2::LEFT_TOP,
        T::Totals.get(lang),
        label.clone(),
        text.gamma_multiply(0.7),
    );
    // Four columns of a number over its name where the box is wide; else two columns, each
    // number beside its name.
    let cols = if r.width() / 4.0 >= 95.0 { 4 } else { 2 };
    let cell = vec2(r.width() / cols as f32, (r.height() - 30.0) / (8 / cols) as f32);
    let stacked = cols == 4;
    // A number over its name must fit in a cell: on a short diagram both shrink (whole points).
    let need = if stacked { big.size * 1.15 + label.size * 1.2 } else { label.size * 1.2 };
    let fit = |f: &FontId| {
        let size = if need > cell.y { (f.size * cell.y / need).floor().max(8.0) } else { f.size };
        FontId::new(size, f.family.clone())
    };
    let (big, label) = (&fit(big), &fit(label));
    for (i, (name, n, col)) in rows.iter().enumerate() {
        let at = pos2(r.left() + (i % cols) as f32 * cell.x, r.top() + 30.0 + (i / cols) as f32 * cell.y);
        // A fate's colour only once something has that fate: a red 0 would read as an alarm.
        let shade = if *n > 0 { *col } else { text.gamma_multiply(0.7) };
        if stacked {
            painter.text(at, Align2::LEFT_TOP, n.to_string(), big.clone(), shade);
            let below = at + vec2(0.0, big.size * 1.15);
            painter.text(below, Align2::LEFT_TOP, name.get(lang), label.clone(), text.gamma_multiply(0.7));
        } else {
            let number = painter.text(at, Align2::LEFT_TOP, n.to_string(), label.clone(), shade);
            let beside = pos2(number.right() + 6.0, at.y);
            let room = cell.x - (beside.x - at.x) - 4.0;
            fitted_text(
                painter,
                beside,
                Align2::LEFT_TOP,
                name.get(lang),
                label,
                text.gamma_multiply(0.7),
                room,
                1,
            );
        }
    }
    if let Some(alert) = view.alerts.last() {
        painter.text(
            r.left_bottom(),
            Align2::LEFT_BOTTOM,
            format!("⚠ {alert}"),
            label.clone(),
            color(TokenState::Retrying),
        );
    }
}

pub fn legend(painter: &egui::Painter, layout: &Layout, lang: Lang, font: &FontId, text: Color32) {
    let r = layout.legend;
    painter.text(r.left_top(), Align2::LEFT_TOP, T::Legend.get(lang), font.clone(), text.gamma_multiply(0.7));
    let cols = 3;
    let row_h = (r.height() - 24.0) / 4.0;
    for (i, state) in TOKEN_STATES.iter().enumerate() {
        let at = pos2(
            r.left() + (i % cols) as f32 * r.width() / cols as f32,
            r.top() + 24.0 + (i / cols) as f32 * row_h + row_h / 2.0,
        );
        let radius = (font.size * 0.45).max(5.0);
        if *state == TokenState::Lost {
            cross(painter, at + vec2(radius, 0.0), radius, color(*state), None);
        } else {
            painter.circle_filled(at + vec2(radius, 0.0), radius, color(*state));
        }
        // A narrow legend (a small window) shortens a label rather than run it into the next.
        let room = r.width() / cols as f32 - radius * 2.0 - 10.0;
        let label = fit_label(painter, i18n::token(*state, lang), room, font, text);
        painter.text(at + vec2(radius * 2.0 + 6.0, 0.0), Align2::LEFT_CENTER, label, font.clone(), text);
    }
}

/// `label` cut with `…` to fit `room` points in `font`.
fn fit_label(painter: &egui::Painter, label: &str, room: f32, font: &FontId, text: Color32) -> String {
    let width = |s: &str| painter.layout_no_wrap(s.to_owned(), font.clone(), text).size().x;
    if width(label) <= room {
        return label.to_owned();
    }
    let chars: Vec<char> = label.chars().collect();
    (1..chars.len())
        .rev()
        .map(|keep| chars[..keep].iter().collect::<String>() + "…")
        .find(|short| width(short) <= room)
        .unwrap_or_else(|| "…".to_owned())
}

/// A white anti-aliased disc, drawn tinted as every message token: two triangles a token instead
/// of the hundred-odd of a tessellated circle, which a software renderer feels with hundreds of
/// tokens on screen. Made once per context.
pub fn disc_texture(ctx: &egui::Context) -> egui::TextureId {
    const SIZE: usize = 128;
    let id = egui::Id::unique("mqlab-token-disc");
    if let Some(handle) = ctx.data(|d| d.get_temp::<egui::TextureHandle>(id)) {
        return handle.id();
    }
    let centre = SIZE as f32 / 2.0;
    let radius = centre - 1.0;
    let pixels = (0..SIZE * SIZE)
        .map(|i| {
            let (x, y) = ((i % SIZE) as f32 + 0.5 - centre, (i / SIZE) as f32 + 0.5 - centre);
            // Coverage over a two-texel ramp at the rim: smooth at every size the mipmaps give.
            let coverage = ((radius - (x * x + y * y).sqrt()) / 2.0 + 0.5).clamp(0.0, 1.0);
            Color32::from_white_alpha((coverage * 255.0).round() as u8)
        })
        .collect();
    let image = egui::ColorImage::new([SIZE, SIZE], pixels);
    let options = egui::TextureOptions {
        mipmap_mode: Some(egui::TextureFilter::Linear),
        ..egui::TextureOptions::LINEAR
    };
    let handle = ctx.load_texture("token-disc", image, options);
    let texture = handle.id();
    ctx.data_mut(|d| d.insert_temp(id, handle));
    texture
}

pub fn paint_disc(painter: &egui::Painter, disc: egui::TextureId, centre: Pos2, radius: f32, color: Color32) {
    let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
    painter.image(disc, Rect::from_center_size(centre, Vec2::splat(radius * 2.0)), uv, color);
}
