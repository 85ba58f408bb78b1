//! The diagram: producer, broker (page cache and disk), replica and consumer, the links between
//! them, and every message as tokens where its copies are.
//!
//! [`scene`] is a pure function from a [`View`] and a rectangle to the places of all tokens; the
//! [`animation::Animator`] moves tokens between the places of successive views. Drawing reads the
//! view only; the fault buttons on each node push [`Intent`]s that the app applies after the
//! frame, so the diagram never changes the world itself.

pub mod animation;

use egui::{
    Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, StrokeKind, Ui, UiBuilder, Vec2, pos2, vec2,
};
use mqlab_core::command::{Command, CrashKind, DropKind};
use mqlab_core::ids::{MsgId, Node};
use mqlab_core::lesson::Lang;
use mqlab_core::view::{Cause, EnvelopeKind, Fate, MessageView, Place, TokenState, View};

use crate::app::Intent;
use crate::i18n::{self, T};
use animation::Animator;

/// Where one token of a message sits: one per copy, so a message can show several at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    ProducerMemory,
    Outbox,
    Link(EnvelopeKind),
    BrokerCache,
    BrokerDisk,
    Retry,
    DeadLetter,
    ReplicaCache,
    ReplicaDisk,
    Processing,
    Done,
    /// A red cross where the last copy was destroyed.
    Lost,
    Failed,
}

impl Slot {
    pub const FIRST: Slot = Slot::ProducerMemory;
    pub const LAST: Slot = Slot::Failed;
}

/// A token's identity across frames.
pub type TokenKey = (MsgId, Slot);

/// Every token state, for the legend and the string table.
pub const TOKEN_STATES: [TokenState; 12] = [
    TokenState::ProducerMemory,
    TokenState::InFlight,
    TokenState::PageCache,
    TokenState::Flushed,
    TokenState::Replicated,
    TokenState::Processing,
    TokenState::Processed,
    TokenState::Retrying,
    TokenState::Lost,
    TokenState::Duplicated,
    TokenState::Failed,
    TokenState::DeadLettered,
];

/// The colour of a token state, the same in the diagram, the legend and the ledger.
pub fn color(state: TokenState) -> Color32 {
    match state {
        TokenState::ProducerMemory => Color32::from_rgb(120, 144, 156),
        TokenState::InFlight => Color32::from_rgb(240, 190, 40),
        TokenState::PageCache => Color32::from_rgb(245, 124, 0),
        TokenState::Flushed => Color32::from_rgb(46, 160, 67),
        TokenState::Replicated => Color32::from_rgb(0, 150, 170),
        TokenState::Processing => Color32::from_rgb(142, 84, 233),
        TokenState::Processed => Color32::from_rgb(30, 120, 50),
        TokenState::Retrying => Color32::from_rgb(200, 150, 0),
        TokenState::Lost => Color32::from_rgb(220, 38, 38),
        TokenState::Duplicated => Color32::from_rgb(214, 51, 132),
        TokenState::Failed => Color32::from_rgb(110, 110, 110),
        TokenState::DeadLettered => Color32::from_rgb(121, 85, 72),
    }
}

/// The colour of a copy in a slot: what that copy is (a page-cache copy is orange even if
/// another copy of the message is already on disk).
fn slot_color(slot: Slot, message: &MessageView) -> Color32 {
    let state = match slot {
        Slot::ProducerMemory | Slot::Outbox => TokenState::ProducerMemory,
        Slot::Link(_) => TokenState::InFlight,
        Slot::BrokerCache | Slot::ReplicaCache => TokenState::PageCache,
        Slot::BrokerDisk => TokenState::Flushed,
        Slot::ReplicaDisk => TokenState::Replicated,
        Slot::Retry => TokenState::Retrying,
        Slot::DeadLetter => TokenState::DeadLettered,
        Slot::Processing => TokenState::Processing,
        Slot::Done if message.fate == Fate::Duplicated => TokenState::Duplicated,
        Slot::Done => TokenState::Processed,
        Slot::Lost => TokenState::Lost,
        Slot::Failed => TokenState::Failed,
    };
    color(state)
}

/// The boxes of the diagram, in points.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub rect: Rect,
    pub producer: Rect,
    pub broker: Rect,
    pub replica: Rect,
    pub consumer: Rect,
    pub network: Rect,
    pub totals: Rect,
    pub legend: Rect,
}

impl Layout {
    pub fn new(rect: Rect) -> Self {
        let at = |x0: f32, y0: f32, x1: f32, y1: f32| {
            Rect::from_min_max(rect.lerp_inside(vec2(x0, y0)), rect.lerp_inside(vec2(x1, y1)))
        };
        Self {
            rect,
            producer: at(0.005, 0.02, 0.19, 0.64),
            broker: at(0.33, 0.02, 0.67, 0.60),
            replica: at(0.36, 0.72, 0.64, 0.995),
            consumer: at(0.81, 0.02, 0.995, 0.64),
            network: at(0.20, 0.28, 0.32, 0.64),
            totals: at(0.005, 0.70, 0.33, 0.995),
            legend: at(0.67, 0.70, 0.995, 0.995),
        }
    }

    /// The header height of a node box: its name, state and fault buttons.
    fn header(&self) -> f32 {
        (self.rect.height() * 0.11).clamp(48.0, 110.0)
    }

    /// The network's buttons (drop next, partition, heal), stacked under its title and above
    /// the area where dropped messages are marked.
    pub fn network_controls(&self) -> Rect {
        let net = self.network;
        Rect::from_min_max(
            pos2(net.left() + 6.0, net.top() + 28.0),
            pos2(net.right() - 6.0, net.top() + 108.0),
        )
    }

    /// The area of a slot inside its node.
    pub fn area(&self, slot: Slot) -> Rect {
        let h = self.header();
        let body = |r: Rect| {
            Rect::from_min_max(pos2(r.left() + 6.0, r.top() + h), pos2(r.right() - 6.0, r.bottom() - 6.0))
        };
        let split = |r: Rect, from: f32, to: f32| {
            Rect::from_min_max(
                pos2(r.left(), r.top() + r.height() * from),
                pos2(r.right(), r.top() + r.height() * to),
            )
        };
        let split_x = |r: Rect, from: f32, to: f32| {
            Rect::from_min_max(
                pos2(r.left() + r.width() * from, r.top()),
                pos2(r.left() + r.width() * to, r.bottom()),
            )
        };
        let gap = |r: Rect| r.shrink2(vec2(0.0, 3.0));
        match slot {
            Slot::ProducerMemory => gap(split(body(self.producer), 0.0, 0.5)),
            Slot::Outbox => gap(split(body(self.producer), 0.5, 0.75)),
            Slot::Failed => gap(split(body(self.producer), 0.75, 1.0)),
            Slot::BrokerCache => gap(split(body(self.broker), 0.0, 0.42)),
            Slot::BrokerDisk => gap(split(body(self.broker), 0.42, 0.84)),
            Slot::Retry => {
                gap(split_x(split(body(self.broker), 0.84, 1.0), 0.0, 0.5)).shrink2(vec2(2.0, 0.0))
            }
            Slot::DeadLetter => {
                gap(split_x(split(body(self.broker), 0.84, 1.0), 0.5, 1.0)).shrink2(vec2(2.0, 0.0))
            }
            Slot::ReplicaCache => split_x(body(self.replica), 0.0, 0.5).shrink2(vec2(3.0, 0.0)),
            Slot::ReplicaDisk => split_x(body(self.replica), 0.5, 1.0).shrink2(vec2(3.0, 0.0)),
            Slot::Processing => gap(split(body(self.consumer), 0.0, 0.3)),
            Slot::Done => gap(split(body(self.consumer), 0.3, 1.0)),
            Slot::Lost => Rect::from_min_max(
                pos2(self.network.left() + 6.0, self.network_controls().bottom() + 4.0),
                pos2(self.network.right() - 6.0, self.network.bottom() - 6.0),
            ),
            Slot::Link(_) => Rect::NOTHING,
        }
    }

    /// The two ends of an envelope's lane, sender first.
    fn lane(&self, kind: EnvelopeKind, from: Node, to: Node) -> (Pos2, Pos2) {
        let y = |r: Rect, f: f32| r.top() + r.height() * f;
        let upper = y(self.broker, 0.30);
        let lower = y(self.broker, 0.40);
        let ends = |a: Node, b: Node, lane: f32| -> (Pos2, Pos2) {
            let side = |n: Node, toward: Node| -> Pos2 {
                let r = self.node(n);
                match (n, toward) {
                    (Node::BROKER, Node::REPLICA) | (Node::REPLICA, Node::BROKER) => {
                        let x = if lane == upper { r.center().x - 14.0 } else { r.center().x + 14.0 };
                        if n == Node::BROKER { pos2(x, r.bottom()) } else { pos2(x, r.top()) }
                    }
                    _ if self.node(toward).center().x > r.center().x => pos2(r.right(), lane),
                    _ => pos2(r.left(), lane),
                }
            };
            (side(a, b), side(b, a))
        };
        let lane = match kind {
            EnvelopeKind::Request | EnvelopeKind::Delivery | EnvelopeKind::Replicate => upper,
            EnvelopeKind::Response | EnvelopeKind::Commit | EnvelopeKind::ReplicaAck => lower,
        };
        ends(from, to, lane)
    }

    pub fn node(&self, node: Node) -> Rect {
        match node {
            Node::Producer(_) => self.producer,
            Node::BROKER => self.broker,
            Node::Broker(_) => self.replica,
            Node::Consumer(_) => self.consumer,
        }
    }
}

/// Where a lost message's red cross goes: where its last copy was destroyed.
fn lost_slot(cause: Option<Cause>) -> Slot {
    match cause {
        Some(Cause::LostInPageCache) => Slot::BrokerCache,
        Some(Cause::LostWithDisk | Cause::LostToCorruption | Cause::LostWithMissingSegment) => {
            Slot::BrokerDisk
        }
        Some(Cause::LostInFailover) => Slot::ReplicaCache,
        Some(Cause::CommittedBeforeProcessing | Cause::AsyncConsumeFailed) => Slot::Processing,
        Some(Cause::ProducerCrashedUnsent | Cause::ErrorIgnored) => Slot::ProducerMemory,
        Some(Cause::DroppedInNetwork) | None => Slot::Lost,
    }
}

/// One token to draw: its identity, its target and how it looks.
#[derive(Debug, Clone)]
pub struct Target {
    pub key: TokenKey,
    pub pos: Pos2,
    pub radius: f32,
    pub color: Color32,
}

/// Where every token of a view belongs in a layout.
pub fn scene(view: &View, layout: &Layout) -> Vec<Target> {
    let mut per_slot: std::collections::BTreeMap<Slot, Vec<(MsgId, bool)>> = Default::default();
    let mut targets = Vec::new();
    for m in &view.messages {
        for place in &m.places {
            let slot = match place {
                Place::ProducerMemory(_) => Slot::ProducerMemory,
                Place::Outbox(_) => Slot::Outbox,
                Place::PageCache(Node::BROKER) => Slot::BrokerCache,
                Place::Disk(Node::BROKER) => Slot::BrokerDisk,
                Place::PageCache(_) => Slot::ReplicaCache,
                Place::Disk(_) => Slot::ReplicaDisk,
                Place::RetryQueue(_) => Slot::Retry,
                Place::DeadLetterQueue(_) => Slot::DeadLetter,
                Place::ConsumerProcessing(_) => Slot::Processing,
                // Drawn on its link below, from the envelope that carries it.
                Place::InFlight => continue,
            };
            per_slot.entry(slot).or_default().push((m.id, false));
        }
        match m.fate {
            Fate::Processed | Fate::Duplicated => per_slot.entry(Slot::Done).or_default().push((m.id, false)),
            Fate::Lost => per_slot.entry(lost_slot(m.cause)).or_default().push((m.id, true)),
            Fate::Failed => per_slot.entry(Slot::Failed).or_default().push((m.id, false)),
            Fate::DeadLettered | Fate::Pending => {}
        }
    }
    for (slot, ids) in &per_slot {
        let area = layout.area(*slot);
        let cells = grid(area, ids.len());
        for ((id, lost), (pos, radius)) in ids.iter().zip(cells) {
            let key = (*id, if *lost { Slot::Lost } else { *slot });
            let Some(m) = view.message(*id) else { continue };
            targets.push(Target { key, pos, radius, color: slot_color(key.1, m) });
        }
    }
    let token = (layout.rect.height() * 0.018).clamp(6.0, 14.0);
    let gap = token * 2.3;
    // Where each lane is already taken: envelopes sent at the same moment (three sends in one
    // step) would otherwise sit exactly on top of each other and show as one.
    let mut taken: std::collections::BTreeMap<(EnvelopeKind, Node, Node), Vec<f32>> = Default::default();
    for env in &view.in_flight {
        let (a, b) = layout.lane(env.kind, env.from, env.to);
        let span = env.arrives_ms.saturating_sub(env.sent_ms).max(1) as f32;
        let f = (view.virtual_ms.saturating_sub(env.sent_ms) as f32 / span).clamp(0.08, 0.92);
        let length = (b - a).length();
        let dir = (b - a).normalized();
        let used = taken.entry((env.kind, env.from, env.to)).or_default();
        // Distance from the sender; a token that would overlap one already placed queues behind it.
        let mut d = f * length;
        for id in &env.messages {
            while used.iter().any(|u| (u - d).abs() < gap * 0.99) && d > 0.0 {
                d -= gap;
            }
            used.push(d);
            let Some(m) = view.message(*id) else { continue };
            let pos = a + dir * d.max(0.0);
            let slot = Slot::Link(env.kind);
            targets.push(Target { key: (*id, slot), pos, radius: token, color: slot_color(slot, m) });
            d -= gap;
        }
    }
    targets
}

/// Cell centres and a radius for `n` tokens in an area, filling rows left to right.
fn grid(area: Rect, n: usize) -> Vec<(Pos2, f32)> {
    if n == 0 || area.width() <= 0.0 || area.height() <= 0.0 {
        return Vec::new();
    }
    let label_room = 18.0_f32.min(area.height() * 0.3);
    let inner = Rect::from_min_max(pos2(area.left(), area.top() + label_room), area.max).shrink(3.0);
    let max_cell = (inner.height() * 0.5).clamp(10.0, 34.0);
    // The largest cell size at which all n fit.
    let mut cell = max_cell;
    loop {
        let cols = (inner.width() / cell).floor().max(1.0);
        let rows = (inner.height() / cell).floor().max(1.0);
        if cols * rows >= n as f32 || cell <= 3.0 {
            break;
        }
        cell *= 0.92;
    }
    let cols = (inner.width() / cell).floor().max(1.0) as usize;
    (0..n)
        .map(|i| {
            let (row, col) = (i / cols, i % cols);
            let center =
                pos2(inner.left() + (col as f32 + 0.5) * cell, inner.top() + (row as f32 + 0.5) * cell);
            (center, cell * 0.42)
        })
        .collect()
}

/// What the diagram reports back to the app.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The message under the pointer.
    pub hovered: Option<MsgId>,
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
    let layout = Layout::new(rect);
    let now = ui.input(|i| i.time);
    let visuals = ui.visuals().clone();
    let painter = ui.painter_at(rect);
    let text_color = visuals.text_color();
    let weak = visuals.weak_text_color();
    let small = FontId::proportional((rect.height() * 0.022).clamp(11.0, 20.0));
    let label_font = FontId::proportional((rect.height() * 0.028).clamp(13.0, 26.0));
    let big = FontId::proportional((rect.height() * 0.034).clamp(15.0, 32.0));

    let replicated = view.settings.broker_replication != mqlab_core::settings::Replication::None;
    // Nodes and their areas.
    for node in Node::ALL {
        let nv = view.node(node);
        let r = layout.node(node);
        let unused = node == Node::REPLICA
            && view.settings.broker_replication == mqlab_core::settings::Replication::None;
        let fill = if !nv.up {
            visuals.widgets.inactive.bg_fill.gamma_multiply(0.6)
        } else {
            visuals.faint_bg_color
        };
        let border = if !nv.up {
            Stroke::new(3.0, color(TokenState::Lost))
        } else if nv.partitioned {
            Stroke::new(3.0, color(TokenState::Retrying))
        } else {
            Stroke::new(1.5, visuals.widgets.noninteractive.bg_stroke.color)
        };
        painter.rect(r, 10.0, fill, border, StrokeKind::Inside);
        // The broker and the replica are named by their role now: a failover swaps them.
        let name = match (node, nv.role.as_str()) {
            (Node::Producer(_), _) => T::Producer,
            (Node::BROKER, "retired") => T::BrokerRetired,
            (Node::BROKER, _) => T::Broker,
            (Node::REPLICA, "master (promoted)") => T::ReplicaPromoted,
            (Node::Broker(_), _) => T::Replica,
            (Node::Consumer(_), _) => T::Consumer,
        };
        let state = if !nv.up {
            T::Down
        } else if nv.partitioned {
            T::Partitioned
        } else {
            T::Up
        };
        let title_color = if nv.up { text_color } else { color(TokenState::Lost) };
        painter.text(
            r.left_top() + vec2(10.0, 6.0),
            Align2::LEFT_TOP,
            name.get(lang),
            big.clone(),
            title_color,
        );
        painter.text(
            r.right_top() + vec2(-10.0, 8.0),
            Align2::RIGHT_TOP,
            state.get(lang),
            small.clone(),
            title_color,
        );
        if unused {
            // Centred in the body, under the buttons, and wrapped to the box.
            let body =
                Rect::from_min_max(pos2(r.left() + 8.0, r.top() + layout.header()), r.max - vec2(8.0, 4.0));
            let text = T::NoReplication.get(lang);
            fitted_text(&painter, body.center(), Align2::CENTER_CENTER, text, &small, weak, body.width(), 2);
        } else {
            for &slot in node_slots(node) {
                let area = layout.area(slot);
                painter.rect_stroke(
                    area,
                    6.0,
                    Stroke::new(1.0, weak.gamma_multiply(0.5)),
                    StrokeKind::Inside,
                );
                let label = area_label(slot, view, node, lang);
                let at = area.left_top() + vec2(6.0, 2.0);
                fitted_text(&painter, at, Align2::LEFT_TOP, &label, &small, weak, area.width() - 12.0, 1);
            }
        }
        let note = nv.note.text(lang);
        if !note.is_empty() {
            // Under the box, wrapped to its width; the broker's stops short of the lanes to
            // the replica, which leave from its bottom edge.
            let right = if node == Node::BROKER && replicated {
                layout.lane(EnvelopeKind::Replicate, Node::BROKER, Node::REPLICA).0.x - 6.0
            } else {
                r.right()
            };
            let at = r.left_bottom() + vec2(10.0, 4.0);
            // Two lines where there is room before what lies below (totals, legend, replica).
            let below = match node {
                Node::Producer(_) => layout.totals.top(),
                Node::Consumer(_) => layout.legend.top(),
                Node::BROKER => layout.replica.top(),
                Node::Broker(_) => layout.rect.bottom(),
            };
            let rows = if below - at.y >= 2.4 * small.size + 6.0 { 2 } else { 1 };
            fitted_text(&painter, at, Align2::LEFT_TOP, &note, &small, weak, right - at.x, rows);
        }
    }
    // The network area under the producer–broker link: where dropped messages are marked.
    let net = layout.network;
    painter.rect_stroke(net, 8.0, Stroke::new(1.0, weak.gamma_multiply(0.5)), StrokeKind::Inside);
    painter.text(
        net.left_top() + vec2(6.0, 4.0),
        Align2::LEFT_TOP,
        T::StageNetwork.get(lang),
        label_font.clone(),
        weak,
    );
    let dropped = layout.area(Slot::Lost);
    painter.text(
        dropped.left_top() + vec2(0.0, 2.0),
        Align2::LEFT_TOP,
        T::Dropped.get(lang),
        small.clone(),
        weak,
    );

    // Links: one lane each way.
    for (kind, from, to) in [
        (EnvelopeKind::Request, Node::PRODUCER, Node::BROKER),
        (EnvelopeKind::Response, Node::BROKER, Node::PRODUCER),
        (EnvelopeKind::Delivery, Node::BROKER, Node::CONSUMER),
        (EnvelopeKind::Commit, Node::CONSUMER, Node::BROKER),
        (EnvelopeKind::Replicate, Node::BROKER, Node::REPLICA),
        (EnvelopeKind::ReplicaAck, Node::REPLICA, Node::BROKER),
    ] {
        if !replicated && (to == Node::REPLICA || from == Node::REPLICA) {
            continue;
        }
        let (a, b) = layout.lane(kind, from, to);
        let cut = view.node(from).partitioned || view.node(to).partitioned;
        let stroke = if cut {
            Stroke::new(2.0, color(TokenState::Lost).gamma_multiply(0.6))
        } else {
            Stroke::new(2.0, weak.gamma_multiply(0.7))
        };
        if cut {
            painter.extend(Shape::dashed_line(&[a, b], stroke, 8.0, 6.0));
        } else {
            painter.arrow(a, b - a, stroke);
        }
    }

    // Envelopes that carry no message (commits, acks, empty pulls): small rectangles.
    for env in view.in_flight.iter().filter(|e| e.messages.is_empty()) {
        let (a, b) = layout.lane(env.kind, env.from, env.to);
        let span = env.arrives_ms.saturating_sub(env.sent_ms).max(1) as f32;
        let f = (view.virtual_ms.saturating_sub(env.sent_ms) as f32 / span).clamp(0.08, 0.92);
        let c = a + (b - a) * f;
        painter.rect_filled(Rect::from_center_size(c, vec2(16.0, 11.0)), 2.0, color(TokenState::InFlight));
    }

    // Tokens.
    let targets = scene(view, &layout);
    let tuples: Vec<_> = targets.iter().map(|t| (t.key, t.pos, t.radius, t.color)).collect();
    let (placed, leaving) = anim.place(rect, now, &tuples);
    let disc = disc_texture(ui.ctx());
    for l in &leaving {
        paint_disc(&painter, disc, l.pos, l.radius, l.color);
    }
    let mut outcome = Outcome::default();
    let ring = visuals.strong_text_color();
    for (target, p) in targets.iter().zip(&placed) {
        let (id, slot) = target.key;
        let is_selected = selected == Some(id);
        if slot == Slot::Lost || view.message(id).is_some_and(|m| m.fate == Fate::Lost) {
            cross(&painter, p.pos, p.radius, color(TokenState::Lost), is_selected.then_some(ring));
        } else {
            paint_disc(&painter, disc, p.pos, p.radius, p.color);
            if is_selected {
                painter.circle_stroke(p.pos, p.radius + 2.5, Stroke::new(2.5, ring));
            }
            if p.radius >= 9.0 {
                // Whole-point sizes: a radius that animates continuously would otherwise ask the
                // font atlas for new glyphs (and a texture upload) on every frame.
                let font = FontId::proportional((p.radius * 0.95).floor());
                painter.text(p.pos, Align2::CENTER_CENTER, id.0.to_string(), font, Color32::WHITE);
            }
        }
        let hit = Rect::from_center_size(p.pos, Vec2::splat(p.radius * 2.0));
        let response = ui.interact(hit, ui.scope_id().with(("token", id.0, slot)), Sense::click());
        let label = token_label(view, id, slot, lang);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
        if response.hovered() {
            outcome.hovered = Some(id);
        }
        if response.clicked() {
            intents.push(Intent::Select(id));
        }
        response.on_hover_text(label);
    }

    // A crash is unmistakable: the node flashes, then stays grey with a red border.
    for node in Node::ALL {
        let level = anim.flash_level(node, now);
        if level > 0.0 {
            let r = layout.node(node).expand(6.0 * level);
            painter.rect_filled(r, 12.0, color(TokenState::Lost).gamma_multiply(0.55 * level));
            painter.rect_stroke(r, 12.0, Stroke::new(6.0 * level, Color32::WHITE), StrokeKind::Outside);
        }
    }

    totals(&painter, &layout, view, lang, &label_font, &big, text_color);
    legend(&painter, &layout, lang, &small, text_color);
    controls(ui, &layout, view, lang, intents);
    ui.allocate_rect(rect, Sense::hover());
    outcome
}

fn node_slots(node: Node) -> &'static [Slot] {
    match node {
        Node::Producer(_) => &[Slot::ProducerMemory, Slot::Outbox, Slot::Failed],
        Node::BROKER => &[Slot::BrokerCache, Slot::BrokerDisk, Slot::Retry, Slot::DeadLetter],
        Node::Broker(_) => &[Slot::ReplicaCache, Slot::ReplicaDisk],
        Node::Consumer(_) => &[Slot::Processing, Slot::Done],
    }
}

/// An area's caption, with the log positions where they apply.
fn area_label(slot: Slot, view: &View, node: Node, lang: Lang) -> String {
    let nv = view.node(node);
    let log = nv.log.unwrap_or_default();
    match slot {
        Slot::ProducerMemory => format!("{} · {}", T::Memory.get(lang), nv.in_memory),
        Slot::Outbox => format!("{} · {}", T::Outbox.get(lang), nv.outbox_pending),
        Slot::Failed => T::Failed.get(lang).to_owned(),
        Slot::BrokerCache | Slot::ReplicaCache => {
            format!("{} · {} {} B", T::PageCache.get(lang), T::Written.get(lang), log.written_pos)
        }
        Slot::BrokerDisk | Slot::ReplicaDisk => {
            let mut s = format!("{} · {} {} B", T::Disk.get(lang), T::Flushed.get(lang), log.flushed_pos);
            if let Some(r) = nv.replicated_pos {
                s.push_str(&format!(" · {} {r} B", T::Replicated.get(lang)));
            }
            s
        }
        Slot::Retry => T::RetryQueue.get(lang).to_owned(),
        Slot::DeadLetter => T::DeadLetters.get(lang).to_owned(),
        Slot::Processing => match nv.committed_offset {
            Some(c) => format!("{} · {} {c}", T::Processing.get(lang), T::Committed.get(lang)),
            None => T::Processing.get(lang).to_owned(),
        },
        Slot::Done => T::DoneList.get(lang).to_owned(),
        Slot::Lost | Slot::Link(_) => String::new(),
    }
}

/// The accessible name and tooltip of a token: "m3 · page cache · pending".
fn token_label(view: &View, id: MsgId, slot: Slot, lang: Lang) -> String {
    let Some(m) = view.message(id) else { return id.to_string() };
    let place = match slot {
        Slot::ProducerMemory => T::Memory.get(lang),
        Slot::Outbox => T::Outbox.get(lang),
        Slot::Link(_) => i18n::token(TokenState::InFlight, lang),
        Slot::BrokerCache => T::PageCache.get(lang),
        Slot::BrokerDisk => T::Disk.get(lang),
        Slot::Retry => T::RetryQueue.get(lang),
        Slot::DeadLetter => T::DeadLetters.get(lang),
        Slot::ReplicaCache => T::PageCache.get(lang),
        Slot::ReplicaDisk => T::Disk.get(lang),
        Slot::Processing => T::Processing.get(lang),
        Slot::Done => T::DoneList.get(lang),
        Slot::Lost => T::Lost.get(lang),
        Slot::Failed => T::Failed.get(lang),
    };
    let node = match slot {
        Slot::ReplicaCache | Slot::ReplicaDisk => format!("{} ", T::Replica.get(lang)),
        _ => String::new(),
    };
    let mut s = format!("{id} · {node}{place} · {}", i18n::fate(m.fate, lang));
    if let Some(cause) = m.cause {
        s.push_str(&format!(" ({})", cause.name()));
    }
    s
}

/// Text that stays within `max_width`: wrapped onto at most `rows` lines, then cut with "…"
/// (a caption must not run into the next area, box or lane).
#[allow(clippy::too_many_arguments)]
fn fitted_text(
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
fn cross(painter: &egui::Painter, c: Pos2, r: f32, col: Color32, ring: Option<Color32>) {
    let d = r * 0.8;
    let w = (r * 0.35).max(2.0);
    painter.line_segment([c + vec2(-d, -d), c + vec2(d, d)], Stroke::new(w, col));
    painter.line_segment([c + vec2(-d, d), c + vec2(d, -d)], Stroke::new(w, col));
    if let Some(ring) = ring {
        painter.circle_stroke(c, r + 2.5, Stroke::new(2.5, ring));
    }
}

fn totals(
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
    let cols = 4;
    let cell = vec2(r.width() / cols as f32, (r.height() - 30.0) / 2.0);
    // A number over its name must fit in a cell: on a short diagram both shrink (whole points).
    let need = big.size * 1.15 + label.size * 1.2;
    let fit = |f: &FontId| {
        let size = if need > cell.y { (f.size * cell.y / need).floor().max(8.0) } else { f.size };
        FontId::new(size, f.family.clone())
    };
    let (big, label) = (&fit(big), &fit(label));
    for (i, (name, n, col)) in rows.iter().enumerate() {
        let at = pos2(r.left() + (i % cols) as f32 * cell.x, r.top() + 30.0 + (i / cols) as f32 * cell.y);
        // A fate's colour only once something has that fate: a red 0 would read as an alarm.
        let shade = if *n > 0 { *col } else { text.gamma_multiply(0.7) };
        painter.text(at, Align2::LEFT_TOP, n.to_string(), big.clone(), shade);
        painter.text(
            at + vec2(0.0, big.size * 1.15),
            Align2::LEFT_TOP,
            name.get(lang),
            label.clone(),
            text.gamma_multiply(0.7),
        );
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

fn legend(painter: &egui::Painter, layout: &Layout, lang: Lang, font: &FontId, text: Color32) {
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
        painter.text(
            at + vec2(radius * 2.0 + 6.0, 0.0),
            Align2::LEFT_CENTER,
            i18n::token(*state, lang),
            font.clone(),
            text,
        );
    }
}

/// Below this width a button row switches to small type and tight padding, so every control of
/// a node stays inside its box when a lesson panel narrows the diagram (or the text is Chinese).
const COMPACT_BELOW: f32 = 250.0;

fn compact_when_narrow(ui: &mut Ui, width: f32) {
    if width < COMPACT_BELOW {
        ui.style_mut().override_text_style = Some(egui::TextStyle::Small);
        ui.spacing_mut().button_padding = vec2(3.0, 1.0);
        ui.spacing_mut().item_spacing.x = 4.0;
    }
}

/// What the node's third button does, for its tooltip.
fn extra_help(node: Node, lang: Lang) -> &'static str {
    match node {
        Node::CONSUMER => T::HelpFailNext.get(lang),
        _ => T::Promote.get(lang),
    }
}

/// The fault buttons on each node and on the network: crash, restart, drop, partition, heal,
/// fail next, promote. Each pushes a command; nothing here changes the world directly.
fn controls(ui: &mut Ui, layout: &Layout, view: &View, lang: Lang, intents: &mut Vec<Intent>) {
    let h = layout.header();
    for node in Node::ALL {
        let r = layout.node(node);
        let strip = Rect::from_min_max(
            pos2(r.left() + 8.0, r.top() + h * 0.52),
            pos2(r.right() - 8.0, r.top() + h - 2.0),
        );
        let nv = view.node(node);
        ui.scope_builder(UiBuilder::new().max_rect(strip), |ui| {
            compact_when_narrow(ui, strip.width());
            ui.horizontal(|ui| {
                let crash = ui.add_enabled_ui(nv.up, |ui| {
                    ui.menu_button(format!("{}…", T::Crash.get(lang)), |ui| {
                        for kind in CrashKind::for_node(node) {
                            let text = match kind {
                                CrashKind::Process => T::CrashProcess,
                                CrashKind::Power => T::CrashPower,
                                CrashKind::Disk => T::CrashDisk,
                            };
                            if ui.button(text.get(lang)).clicked() {
                                intents.push(Intent::Command(Command::Crash(node, *kind)));
                            }
                        }
                    })
                });
                let name = format!("{} {}", T::Crash.get(lang), node.name());
                crash
                    .inner
                    .response
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, nv.up, &name));
                let restart = format!("{} {}", T::Restart.get(lang), node.name());
                let b = ui.add_enabled(!nv.up, egui::Button::new(T::Restart.get(lang)));
                b.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, !nv.up, &restart));
                if b.clicked() {
                    intents.push(Intent::Command(Command::Restart(node)));
                }
                // Promotion only while the replica is a slave that is up: once promoted it is the
                // master, and a crashed one must restart first.
                let extra = match node {
                    Node::CONSUMER => Some((T::FailNext, Command::FailNext(1), true)),
                    Node::REPLICA => Some((T::Promote, Command::PromoteReplica, nv.up && nv.role == "slave")),
                    _ => None,
                };
                if let Some((label, command, enabled)) = extra
                    && ui
                        .add_enabled(enabled, egui::Button::new(label.get(lang)))
                        .on_hover_text(extra_help(node, lang))
                        .on_disabled_hover_text(extra_help(node, lang))
                        .clicked()
                {
                    intents.push(Intent::Command(command));
                }
            });
        });
    }
    // The network: drop the next envelope of a kind, cut a node off, heal.
    let strip = layout.network_controls();
    ui.scope_builder(UiBuilder::new().max_rect(strip), |ui| {
        compact_when_narrow(ui, strip.width() * 2.0);
        ui.vertical(|ui| {
            let drop = ui.menu_button(format!("{}…", T::DropNext.get(lang)), |ui| {
                for kind in DropKind::ALL {
                    if ui.button(kind.name()).clicked() {
                        intents.push(Intent::Command(Command::DropNext(kind)));
                    }
                }
            });
            drop.response.on_hover_text(T::HelpDropNext.get(lang));
            ui.menu_button(format!("{}…", T::Partition.get(lang)), |ui| {
                for node in Node::ALL {
                    if ui.button(node.name()).clicked() {
                        intents.push(Intent::Command(Command::Partition(node)));
                    }
                }
            });
            let any_cut = view.nodes.iter().any(|n| n.partitioned);
            if ui.add_enabled(any_cut, egui::Button::new(T::Heal.get(lang))).clicked() {
                intents.push(Intent::Command(Command::Heal));
            }
        });
    });
}

/// A white anti-aliased disc, drawn tinted as every message token: two triangles a token instead
/// of the hundred-odd of a tessellated circle, which a software renderer feels with hundreds of
/// tokens on screen. Made once per context.
fn disc_texture(ctx: &egui::Context) -> egui::TextureId {
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

fn paint_disc(painter: &egui::Painter, disc: egui::TextureId, centre: Pos2, radius: f32, color: Color32) {
    let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
    painter.image(disc, Rect::from_center_size(centre, Vec2::splat(radius * 2.0)), uv, color);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_fits_every_token_inside_its_area() {
        let area = Rect::from_min_size(pos2(10.0, 10.0), vec2(300.0, 120.0));
        for n in [1, 7, 50, 200, 600] {
            let cells = grid(area, n);
            assert_eq!(cells.len(), n);
            for (c, r) in cells {
                assert!(area.expand(0.5).contains(c), "{n}: {c:?} outside {area:?}");
                assert!(r > 0.5, "{n}: radius {r}");
            }
        }
    }

    #[test]
    fn envelopes_sent_together_do_not_hide_each_other() {
        use mqlab_core::session::{Session, SessionConfig};
        let config = SessionConfig { storage: mqlab_core::log::StorageKind::Mem, ..SessionConfig::default() };
        let mut session = Session::new(config).expect("a session");
        // Three requests leave in the same step, so they are at the same point of their lane.
        for line in ["send 3", "step 4"] {
            for c in mqlab_core::command::parse_line(line).expect("parses") {
                session.apply(c).expect("applies");
            }
        }
        let view = session.view();
        let requests = view.in_flight.iter().filter(|e| e.kind == EnvelopeKind::Request).count();
        assert!(requests >= 2, "{:?}", view.in_flight);
        let layout = Layout::new(Rect::from_min_size(Pos2::ZERO, vec2(1300.0, 530.0)));
        let on_links: Vec<Target> =
            scene(&view, &layout).into_iter().filter(|t| matches!(t.key.1, Slot::Link(_))).collect();
        for (i, a) in on_links.iter().enumerate() {
            for b in &on_links[i + 1..] {
                let apart = (a.pos - b.pos).length();
                assert!(apart >= a.radius + b.radius, "{:?} and {:?} overlap ({apart})", a.key, b.key);
            }
        }
    }

    #[test]
    fn areas_of_a_node_do_not_overlap() {
        let layout = Layout::new(Rect::from_min_size(Pos2::ZERO, vec2(1600.0, 900.0)));
        for node in Node::ALL {
            let slots = node_slots(node);
            for (i, a) in slots.iter().enumerate() {
                assert!(layout.node(node).contains_rect(layout.area(*a)), "{a:?}");
                for b in &slots[i + 1..] {
                    let overlap = layout.area(*a).intersect(layout.area(*b));
                    assert!(overlap.width() <= 0.0 || overlap.height() <= 0.0, "{a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn the_network_buttons_leave_room_for_dropped_messages() {
        // Full width, and narrowed by the lesson panel.
        for size in [vec2(1340.0, 530.0), vec2(880.0, 530.0), vec2(700.0, 420.0)] {
            let layout = Layout::new(Rect::from_min_size(Pos2::ZERO, size));
            let controls = layout.network_controls();
            let dropped = layout.area(Slot::Lost);
            assert!(layout.network.contains_rect(controls), "{size:?}");
            assert!(layout.network.contains_rect(dropped), "{size:?}");
            assert!(dropped.top() > controls.bottom(), "{size:?}");
            // At least one row of tokens.
            assert!(dropped.height() >= 24.0, "{size:?}: {dropped:?}");
        }
    }
}
