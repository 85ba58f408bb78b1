//! The diagram: the world's topology as the view gives it — every producer, the brokers (page
//! cache, disk, the topic's queues), every consumer — the links between them as they are now,
//! and every message as tokens where its copies are.
//!
//! [`Layout`] places the boxes from the topology (the master in the middle, so after a failover
//! the promoted replica is there and the links go to it); [`scene`] is a pure function from a
//! [`View`] and a layout to the places of all tokens; the [`animation::Animator`] moves tokens
//! between the places of successive views. Drawing reads the view only; the fault buttons on
//! each node ([`controls`]) push [`Intent`]s that the app applies after the frame, so the
//! diagram never changes the world itself. Every box, link, queue and token has an accessible
//! label, which is how the tests find them.

pub mod animation;
mod controls;
mod layout;
mod paint;
mod scene;

use egui::{Align2, Color32, FontId, Rect, Sense, Shape, Stroke, StrokeKind, Ui, Vec2, pos2, vec2};
use mqlab_core::ids::{MsgId, Node};
use mqlab_core::lesson::Lang;
use mqlab_core::settings::Replication;
use mqlab_core::view::{EnvelopeKind, Fate, LinkKind, NodeView, Place, TokenState, View};

use crate::app::Intent;
use crate::i18n::{self, T};
use animation::Animator;
use paint::{cross, disc_texture, fitted_text, paint_disc};

pub use layout::Layout;
pub use scene::{Slot, TOKEN_STATES, Target, TokenKey, color, scene};

/// What the diagram reports back to the app.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The message under the pointer.
    pub hovered: Option<MsgId>,
}

/// The fonts of one frame, scaled to the diagram's height.
struct Fonts {
    small: FontId,
    label: FontId,
    big: FontId,
}

/// A node's name in the lab's language.
pub fn node_name(node: Node, lang: Lang) -> &'static str {
    if lang == Lang::Zh { node.name_zh() } else { node.name() }
}

/// A node's role in words: master, slave, promoted, retired; producer or consumer.
fn role_words(nv: &NodeView) -> T {
    match (nv.node, nv.role.as_str()) {
        (Node::Producer(_), _) => T::Producer,
        (Node::Consumer(_), _) => T::Consumer,
        (_, "master (promoted)") => T::RolePromoted,
        (_, "retired") => T::RoleRetired,
        (_, "slave") => T::RoleSlave,
        _ => T::RoleMaster,
    }
}

fn state_words(nv: &NodeView) -> T {
    if !nv.up {
        T::Down
    } else if nv.partitioned {
        T::Partitioned
    } else {
        T::Up
    }
}

/// The accessible name of a node's box: "replica (master (promoted), up)".
pub fn node_label(nv: &NodeView, lang: Lang) -> String {
    format!("{} ({}, {})", node_name(nv.node, lang), role_words(nv).get(lang), state_words(nv).get(lang))
}

/// The accessible name of a link: "link producer → replica (produce)".
pub fn link_label(from: Node, to: Node, kind: LinkKind, lang: Lang) -> String {
    let what = match kind {
        LinkKind::Produce => T::LinkProduce,
        LinkKind::Replicate => T::LinkReplicate,
        LinkKind::Consume => T::LinkConsume,
    };
    format!("{} {} → {} ({})", T::Link.get(lang), node_name(from, lang), node_name(to, lang), what.get(lang))
}

/// The colour that marks a consumer and the queues it owns.
fn accent(consumer: Node) -> Color32 {
    const HUES: [Color32; 4] = [
        Color32::from_rgb(66, 133, 244),
        Color32::from_rgb(0, 172, 193),
        Color32::from_rgb(171, 71, 188),
        Color32::from_rgb(124, 179, 66),
    ];
    HUES[consumer.index() % HUES.len()]
}

/// The two lanes of a link: the way the work goes, and the way its answers come back.
fn lanes(kind: LinkKind, from: Node, to: Node) -> [(EnvelopeKind, Node, Node); 2] {
    match kind {
        LinkKind::Produce => [(EnvelopeKind::Request, from, to), (EnvelopeKind::Response, to, from)],
        LinkKind::Replicate => [(EnvelopeKind::Replicate, from, to), (EnvelopeKind::ReplicaAck, to, from)],
        LinkKind::Consume => [(EnvelopeKind::Delivery, from, to), (EnvelopeKind::Commit, to, from)],
    }
}

/// Draws the diagram into the remaining space of `ui`.
pub fn show(
    ui: &mut Ui,
    view: &View,
    anim: &mut Animator,
    lang: Lang,
    selected: Option<MsgId>,
    intents: &mut Vec<Intent>,
) -> Outcome {
    let rect = ui.available_rect_before_wrap();
    let layout = Layout::new(rect, view);
    let now = ui.input(|i| i.time);
    let painter = ui.painter_at(rect);
    let fonts = Fonts {
        small: FontId::proportional((rect.height() * 0.022).clamp(11.0, 20.0)),
        label: FontId::proportional((rect.height() * 0.028).clamp(13.0, 26.0)),
        big: FontId::proportional((rect.height() * 0.034).clamp(15.0, 32.0)),
    };
    for &(node, r) in layout.boxes() {
        node_box(ui, &painter, &layout, view, node, r, lang, &fonts);
    }
    queue_chips(ui, &painter, &layout, view, lang, &fonts);
    if let Some(done) = layout.done_box() {
        let weak = ui.visuals().weak_text_color();
        painter.rect(
            done,
            10.0,
            ui.visuals().faint_bg_color,
            Stroke::new(1.5, weak.gamma_multiply(0.6)),
            StrokeKind::Inside,
        );
        let at = done.left_top() + vec2(8.0, 4.0);
        fitted_text(
            &painter,
            at,
            Align2::LEFT_TOP,
            T::GroupDone.get(lang),
            &fonts.small,
            weak,
            done.width() - 16.0,
            1,
        );
    }
    network_box(&painter, &layout, ui.visuals().weak_text_color(), lang, &fonts);
    links(ui, &painter, &layout, view, lang);
    let outcome = tokens(ui, &painter, &layout, view, anim, (lang, selected, now), intents);
    // A crash is unmistakable: the node flashes, then stays grey with a red border.
    for &(node, r) in layout.boxes() {
        let level = anim.flash_level(node, now);
        if level > 0.0 {
            let r = r.expand(6.0 * level);
            painter.rect_filled(r, 12.0, color(TokenState::Lost).gamma_multiply(0.55 * level));
            painter.rect_stroke(r, 12.0, Stroke::new(6.0 * level, Color32::WHITE), StrokeKind::Outside);
        }
    }
    let text_color = ui.visuals().text_color();
    paint::totals(&painter, &layout, view, lang, &fonts.label, &fonts.big, text_color);
    paint::legend(&painter, &layout, lang, &fonts.small, text_color);
    controls::controls(ui, &layout, view, lang, intents);
    ui.allocate_rect(rect, Sense::hover());
    outcome
}

/// One node's box: border by state, name and role, state, its areas and their captions, the
/// note under it when there is room, and its accessible label.
#[allow(clippy::too_many_arguments)]
fn node_box(
    ui: &Ui,
    painter: &egui::Painter,
    layout: &Layout,
    view: &View,
    node: Node,
    r: Rect,
    lang: Lang,
    fonts: &Fonts,
) {
    let visuals = ui.visuals();
    let (text_color, weak) = (visuals.text_color(), visuals.weak_text_color());
    let nv = view.node(node);
    let fill =
        if nv.up { visuals.faint_bg_color } else { visuals.widgets.inactive.bg_fill.gamma_multiply(0.6) };
    let border = if !nv.up {
        Stroke::new(3.0, color(TokenState::Lost))
    } else if nv.partitioned {
        Stroke::new(3.0, color(TokenState::Retrying))
    } else {
        Stroke::new(1.5, visuals.widgets.noninteractive.bg_stroke.color)
    };
    painter.rect(r, 10.0, fill, border, StrokeKind::Inside);
    if node.is_consumer() && view.topology.consumers.len() > 1 {
        // The consumer's colour, which its queues' chips share.
        let bar = Rect::from_min_size(r.left_top() + vec2(3.0, 6.0), vec2(4.0, r.height() - 12.0));
        painter.rect_filled(bar, 2.0, accent(node));
    }
    let title_color = if nv.up { text_color } else { color(TokenState::Lost) };
    let compact = layout.compact(node);
    let state = state_words(nv).get(lang);
    painter.text(
        r.right_top() + vec2(-10.0, 8.0),
        Align2::RIGHT_TOP,
        state,
        fonts.small.clone(),
        title_color,
    );
    // A short box's name is its fault menu (drawn by `controls`); a roomy box's is a title,
    // and a broker's role stands beside it (a failover changes it).
    if !compact {
        let title = painter.text(
            r.left_top() + vec2(10.0, 6.0),
            Align2::LEFT_TOP,
            node_name(node, lang),
            fonts.big.clone(),
            title_color,
        );
        if node.has_log() {
            let at = pos2(title.right() + 8.0, title.bottom() - 2.0);
            painter.text(at, Align2::LEFT_BOTTOM, role_words(nv).get(lang), fonts.small.clone(), weak);
        }
    }
    let unused = nv.role == "slave" && view.settings.broker_replication == Replication::None;
    let header = layout.header(node);
    if unused {
        // Centred in the body, under the buttons, and wrapped to the box.
        let body = Rect::from_min_max(pos2(r.left() + 8.0, r.top() + header), r.max - vec2(8.0, 4.0));
        let text = T::NoReplication.get(lang);
        fitted_text(painter, body.center(), Align2::CENTER_CENTER, text, &fonts.small, weak, body.width(), 2);
    } else {
        for slot in layout.slots(node) {
            let area = layout.area(slot);
            painter.rect_stroke(area, 6.0, Stroke::new(1.0, weak.gamma_multiply(0.5)), StrokeKind::Inside);
            let label = area_label(slot, view, lang);
            let at = area.left_top() + vec2(6.0, 2.0);
            fitted_text(painter, at, Align2::LEFT_TOP, &label, &fonts.small, weak, area.width() - 12.0, 1);
        }
    }
    let note = nv.note.text(lang);
    // Under the box, wrapped to its width, where nothing else is drawn below it.
    let below = match node {
        Node::Producer(_) if layout.boxes().iter().any(|(n, b)| n.is_producer() && b.top() > r.top()) => {
            r.bottom()
        }
        Node::Producer(_) => layout.totals.top(),
        Node::Consumer(_) if layout.done_box().is_some() => r.bottom(),
        Node::Consumer(_) => layout.legend.top(),
        _ if node == layout.master() => layout
            .boxes()
            .iter()
            .filter(|(n, b)| n.has_log() && b.top() > r.bottom())
            .map(|(_, b)| b.top())
            .fold(layout.rect.bottom(), f32::min),
        _ => layout.rect.bottom(),
    };
    let at = r.left_bottom() + vec2(10.0, 4.0);
    let room = below - at.y;
    if !note.is_empty() && room >= fonts.small.size + 2.0 {
        // The master's stops short of the lanes to its slaves, which leave from its bottom edge.
        let lanes_left = view
            .topology
            .links
            .iter()
            .filter(|l| l.kind == LinkKind::Replicate && l.from == node)
            .map(|l| layout.lane(EnvelopeKind::Replicate, l.from, l.to).0.x - 6.0)
            .fold(r.right(), f32::min);
        let rows = if room >= 2.4 * fonts.small.size + 6.0 { 2 } else { 1 };
        fitted_text(painter, at, Align2::LEFT_TOP, &note, &fonts.small, weak, lanes_left - at.x, rows);
    }
    let response = ui.interact(r, ui.scope_id().with(("node", node)), Sense::hover());
    let label = node_label(nv, lang);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, &label));
    // A short box has no room for its note below it: the pointer shows it.
    if compact && !note.is_empty() {
        response.on_hover_text(format!("{label}\n{note}"));
    }
}

/// The topic's queues as chips in the box of the broker that serves them: id, stored /
/// committed, in the colour of the consumer that owns each.
fn queue_chips(ui: &Ui, painter: &egui::Painter, layout: &Layout, view: &View, lang: Lang, fonts: &Fonts) {
    let text = ui.visuals().text_color();
    for (i, chip) in layout.queue_chips() {
        let Some(q) = view.topology.queues.get(i) else { continue };
        let tint = q.owner.map_or(ui.visuals().weak_text_color(), accent);
        painter.rect(chip, 4.0, tint.gamma_multiply(0.25), Stroke::new(1.0, tint), StrokeKind::Inside);
        let short = format!("q{} {}/{}", q.id, q.stored, q.committed);
        fitted_text(
            painter,
            chip.center(),
            Align2::CENTER_CENTER,
            &short,
            &fonts.small,
            text,
            chip.width() - 6.0,
            1,
        );
        let owner = q.owner.map_or(T::NoOwner.get(lang), |o| node_name(o, lang));
        let label = match lang {
            Lang::Zh => format!(
                "{} {}：{} {}，{} {}，{owner}",
                T::Queue.get(lang),
                q.id,
                T::QueueStored.get(lang),
                q.stored,
                T::QueueCommitted.get(lang),
                q.committed
            ),
            Lang::En => format!(
                "{} {}: {} {}, {} {}, {owner}",
                T::Queue.get(lang),
                q.id,
                q.stored,
                T::QueueStored.get(lang),
                q.committed,
                T::QueueCommitted.get(lang)
            ),
        };
        let response = ui.interact(chip, ui.scope_id().with(("queue", q.id)), Sense::hover());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
        response.on_hover_text(label);
    }
}

/// The network box: its fault buttons (drawn by `controls`) and the messages it dropped.
fn network_box(painter: &egui::Painter, layout: &Layout, weak: Color32, lang: Lang, fonts: &Fonts) {
    let net = layout.network;
    painter.rect_stroke(net, 8.0, Stroke::new(1.0, weak.gamma_multiply(0.5)), StrokeKind::Inside);
    painter.text(
        net.left_top() + vec2(6.0, 4.0),
        Align2::LEFT_TOP,
        T::StageNetwork.get(lang),
        fonts.label.clone(),
        weak,
    );
    let dropped = layout.area(Slot::Lost);
    painter.text(
        dropped.left_top() + vec2(0.0, 2.0),
        Align2::LEFT_TOP,
        T::Dropped.get(lang),
        fonts.small.clone(),
        weak,
    );
}

/// The topology's links as they are now, one lane each way (dashed and red while either end is
/// cut off), and the envelopes that carry no message (commits, acks) as small rectangles.
fn links(ui: &Ui, painter: &egui::Painter, layout: &Layout, view: &View, lang: Lang) {
    let weak = ui.visuals().weak_text_color();
    for link in &view.topology.links {
        for (kind, from, to) in lanes(link.kind, link.from, link.to) {
            let (a, b) = layout.lane(kind, from, to);
            let cut = view.node(from).partitioned || view.node(to).partitioned;
            if cut {
                let stroke = Stroke::new(2.0, color(TokenState::Lost).gamma_multiply(0.6));
                painter.extend(Shape::dashed_line(&[a, b], stroke, 8.0, 6.0));
            } else {
                painter.arrow(a, b - a, Stroke::new(2.0, weak.gamma_multiply(0.7)));
            }
        }
        let (a, b) = layout.lane(lanes(link.kind, link.from, link.to)[0].0, link.from, link.to);
        let label = link_label(link.from, link.to, link.kind, lang);
        let hit = Rect::from_center_size(a + (b - a) * 0.5, Vec2::splat(10.0));
        let response = ui.interact(hit, ui.scope_id().with(("link", link.from, link.to)), Sense::hover());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
        response.on_hover_text(label);
    }
    for env in view.in_flight.iter().filter(|e| e.messages.is_empty()) {
        let (a, b) = layout.lane(env.kind, env.from, env.to);
        let span = env.arrives_ms.saturating_sub(env.sent_ms).max(1) as f32;
        let f = (view.virtual_ms.saturating_sub(env.sent_ms) as f32 / span).clamp(0.08, 0.92);
        let c = a + (b - a) * f;
        painter.rect_filled(Rect::from_center_size(c, vec2(16.0, 11.0)), 2.0, color(TokenState::InFlight));
    }
}

/// Every token, moved by the animator; each is a button (select it) with a tooltip. A token big
/// enough shows its message's number, and its queue when the topic has several.
#[allow(clippy::too_many_arguments)]
fn tokens(
    ui: &Ui,
    painter: &egui::Painter,
    layout: &Layout,
    view: &View,
    anim: &mut Animator,
    (lang, selected, now): (Lang, Option<MsgId>, f64),
    intents: &mut Vec<Intent>,
) -> Outcome {
    let targets = scene(view, layout);
    let tuples: Vec<_> = targets.iter().map(|t| (t.key, t.pos, t.radius, t.color)).collect();
    let (placed, leaving) = anim.place(layout.rect, now, &tuples);
    let disc = disc_texture(ui.ctx());
    for l in &leaving {
        paint_disc(painter, disc, l.pos, l.radius, l.color);
    }
    let mut outcome = Outcome::default();
    let ring = ui.visuals().strong_text_color();
    let queues = view.topology.queues.len() > 1;
    for (target, p) in targets.iter().zip(&placed) {
        let (id, slot) = target.key;
        let is_selected = selected == Some(id);
        let message = scene::message(view, id);
        if slot == Slot::Lost || message.is_some_and(|m| m.fate == Fate::Lost) {
            cross(painter, p.pos, p.radius, color(TokenState::Lost), is_selected.then_some(ring));
        } else {
            paint_disc(painter, disc, p.pos, p.radius, p.color);
            if is_selected {
                painter.circle_stroke(p.pos, p.radius + 2.5, Stroke::new(2.5, ring));
            }
            // Whole-point sizes: a radius that animates continuously would otherwise ask the
            // font atlas for new glyphs (and a texture upload) on every frame.
            match message {
                Some(m) if queues && p.radius >= 12.0 => {
                    let number = FontId::proportional((p.radius * 0.8).floor());
                    let queue = FontId::proportional((p.radius * 0.55).floor());
                    let up = p.pos - vec2(0.0, p.radius * 0.25);
                    painter.text(up, Align2::CENTER_CENTER, id.0.to_string(), number, Color32::WHITE);
                    let down = p.pos + vec2(0.0, p.radius * 0.45);
                    painter.text(down, Align2::CENTER_CENTER, format!("q{}", m.queue), queue, Color32::WHITE);
                }
                _ if p.radius >= 9.0 => {
                    let font = FontId::proportional((p.radius * 0.95).floor());
                    painter.text(p.pos, Align2::CENTER_CENTER, id.0.to_string(), font, Color32::WHITE);
                }
                _ => {}
            }
        }
        let hit = Rect::from_center_size(p.pos, Vec2::splat(p.radius * 2.0));
        let response = ui.interact(hit, ui.scope_id().with(("token", id.0, slot)), Sense::click());
        // The label is made only when asked for (a screen reader, a test, the tooltip): a frame
        // can hold a thousand tokens.
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Button, true, token_label(view, id, slot, lang))
        });
        if response.clicked() {
            intents.push(Intent::Select(id));
        }
        if response.hovered() {
            outcome.hovered = Some(id);
            response.on_hover_text(token_label(view, id, slot, lang));
        }
    }
    outcome
}

/// An area's caption, with the log positions where they apply.
fn area_label(slot: Slot, view: &View, lang: Lang) -> String {
    let node = |n: Node| view.node(n);
    match slot {
        Slot::ProducerMemory(n) => format!("{} · {}", T::Memory.get(lang), node(n).in_memory),
        Slot::Outbox(n) => format!("{} · {}", T::Outbox.get(lang), node(n).outbox_pending),
        Slot::Failed(_) => T::Failed.get(lang).to_owned(),
        Slot::Cache(n) => {
            let log = node(n).log.unwrap_or_default();
            format!("{} · {} {} B", T::PageCache.get(lang), T::Written.get(lang), log.written_pos)
        }
        Slot::Disk(n) => {
            let nv = node(n);
            let log = nv.log.unwrap_or_default();
            let mut s = format!("{} · {} {} B", T::Disk.get(lang), T::Flushed.get(lang), log.flushed_pos);
            if let Some(r) = nv.replicated_pos {
                s.push_str(&format!(" · {} {r} B", T::Replicated.get(lang)));
            }
            s
        }
        Slot::Retry(_) => T::RetryQueue.get(lang).to_owned(),
        Slot::DeadLetter(_) => T::DeadLetters.get(lang).to_owned(),
        Slot::Processing(n) if view.topology.consumers.len() > 1 => {
            let owned: Vec<String> = view
                .topology
                .queues
                .iter()
                .filter(|q| q.owner == Some(n))
                .map(|q| format!("q{}", q.id))
                .collect();
            format!("{} · {}", T::Processing.get(lang), owned.join(" "))
        }
        Slot::Processing(n) => match node(n).committed_offset {
            Some(c) => format!("{} · {} {c}", T::Processing.get(lang), T::Committed.get(lang)),
            None => T::Processing.get(lang).to_owned(),
        },
        Slot::Done => T::DoneList.get(lang).to_owned(),
        Slot::Lost | Slot::Link(_) => String::new(),
    }
}

/// The accessible name and tooltip of a token: "m3 · q1 · replica page cache · pending".
fn token_label(view: &View, id: MsgId, slot: Slot, lang: Lang) -> String {
    let Some(m) = scene::message(view, id) else { return id.to_string() };
    let place = |p: Place| p.describe(lang);
    let at = match slot {
        Slot::ProducerMemory(n) => place(Place::ProducerMemory(n)),
        Slot::Outbox(n) => place(Place::Outbox(n)),
        Slot::Cache(n) => place(Place::PageCache(n)),
        Slot::Disk(n) => place(Place::Disk(n)),
        Slot::Retry(n) => place(Place::RetryQueue(n)),
        Slot::DeadLetter(n) => place(Place::DeadLetterQueue(n)),
        Slot::Processing(n) => place(Place::ConsumerProcessing(n)),
        Slot::Link(_) => i18n::token(TokenState::InFlight, lang).to_owned(),
        Slot::Done => T::DoneList.get(lang).to_owned(),
        Slot::Lost => T::Lost.get(lang).to_owned(),
        Slot::Failed(_) => T::Failed.get(lang).to_owned(),
    };
    let mut s = format!("{id} · q{} · {at} · {}", m.queue, i18n::fate(m.fate, lang));
    if let Some(cause) = m.cause {
        s.push_str(&format!(" ({})", cause.name()));
    }
    s
}

#[cfg(test)]
mod tests;
