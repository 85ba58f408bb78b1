//! The fault buttons on each node of the topology and on the network: crash, restart, drop,
//! partition, heal, fail next, promote. Each pushes a command; nothing here changes the world
//! directly. A roomy box has a row of buttons under its name; in a short one (several producers
//! or consumers) the name itself is a menu with the same choices.

use egui::{Rect, Ui, UiBuilder, pos2, vec2};
use mqlab_core::command::{Command, CrashKind, DropKind};
use mqlab_core::ids::Node;
use mqlab_core::lesson::Lang;
use mqlab_core::view::{NodeView, View};

use super::layout::Layout;
use crate::app::Intent;
use crate::i18n::T;

/// Below this width a button row switches to small type and tight padding, so every control of
/// a node stays inside its box when a lesson panel narrows the diagram (or the text is Chinese).
const COMPACT_BELOW: f32 = 250.0;

fn compact_when_narrow(ui: &mut Ui, width: f32) {
    if width < COMPACT_BELOW {
        small_type(ui);
    }
}

fn small_type(ui: &mut Ui) {
    ui.style_mut().override_text_style = Some(egui::TextStyle::Small);
    ui.spacing_mut().button_padding = vec2(3.0, 1.0);
    ui.spacing_mut().item_spacing.x = 4.0;
}

/// The node's third action (fail the consumer's next message, promote the replica), its words
/// and whether it can be done now. Both commands name no node: they act on the first consumer
/// and on the replica, so only those boxes offer them.
fn extra(node: Node, nv: &NodeView) -> Option<(T, Command, bool, T)> {
    match node {
        Node::CONSUMER => Some((T::FailNext, Command::FailNext(1), true, T::HelpFailNext)),
        // Promotion only while the replica is a slave that is up: once promoted it is the
        // master, and a crashed one must restart first.
        Node::REPLICA => Some((T::Promote, Command::PromoteReplica, nv.up && nv.role == "slave", T::Promote)),
        _ => None,
    }
}

fn crash_words(kind: CrashKind) -> T {
    match kind {
        CrashKind::Process => T::CrashProcess,
        CrashKind::Power => T::CrashPower,
        CrashKind::Disk => T::CrashDisk,
    }
}

pub fn controls(ui: &mut Ui, layout: &Layout, view: &View, lang: Lang, intents: &mut Vec<Intent>) {
    for &(node, r) in layout.boxes() {
        let nv = view.node(node);
        if layout.compact(node) {
            menu_controls(ui, node, nv, r, lang, intents);
        } else {
            button_controls(ui, layout.header(node), node, nv, r, lang, intents);
        }
    }
    network_controls(ui, layout, view, intents, lang);
}

/// A roomy box: crash (a menu of kinds), restart, and the node's third action, in a row.
fn button_controls(
    ui: &mut Ui,
    h: f32,
    node: Node,
    nv: &NodeView,
    r: Rect,
    lang: Lang,
    intents: &mut Vec<Intent>,
) {
    let strip = Rect::from_min_max(
        pos2(r.left() + 8.0, r.top() + h * 0.52),
        pos2(r.right() - 8.0, r.top() + h - 2.0),
    );
    ui.scope_builder(UiBuilder::new().max_rect(strip), |ui| {
        compact_when_narrow(ui, strip.width());
        ui.horizontal(|ui| {
            let crash = ui.add_enabled_ui(nv.up, |ui| {
                ui.menu_button(format!("{}…", T::Crash.get(lang)), |ui| {
                    for kind in CrashKind::for_node(node) {
                        if ui.button(crash_words(*kind).get(lang)).clicked() {
                            intents.push(Intent::Command(Command::Crash(node, *kind)));
                        }
                    }
                })
            });
            let name = format!("{} {}", T::Crash.get(lang), node.name());
            crash.inner.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, nv.up, &name));
            let restart = format!("{} {}", T::Restart.get(lang), node.name());
            let b = ui.add_enabled(!nv.up, egui::Button::new(T::Restart.get(lang)));
            b.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, !nv.up, &restart));
            if b.clicked() {
                intents.push(Intent::Command(Command::Restart(node)));
            }
            if let Some((label, command, enabled, help)) = extra(node, nv)
                && ui
                    .add_enabled(enabled, egui::Button::new(label.get(lang)))
                    .on_hover_text(help.get(lang))
                    .on_disabled_hover_text(help.get(lang))
                    .clicked()
            {
                intents.push(Intent::Command(command));
            }
        });
    });
}

/// A short box: its name is a menu with every action of the node.
fn menu_controls(ui: &mut Ui, node: Node, nv: &NodeView, r: Rect, lang: Lang, intents: &mut Vec<Intent>) {
    let strip =
        Rect::from_min_max(pos2(r.left() + 6.0, r.top() + 2.0), pos2(r.right() - 40.0, r.top() + 22.0));
    ui.scope_builder(UiBuilder::new().max_rect(strip), |ui| {
        ui.spacing_mut().button_padding = vec2(4.0, 1.0);
        ui.horizontal(|ui| {
            let name = egui::RichText::new(format!("{} …", super::node_name(node, lang))).strong();
            let name =
                if nv.up { name } else { name.color(super::color(mqlab_core::view::TokenState::Lost)) };
            let menu = ui.menu_button(name, |ui| {
                for kind in CrashKind::for_node(node) {
                    let text = format!("{} · {}", T::Crash.get(lang), crash_words(*kind).get(lang));
                    if ui.add_enabled(nv.up, egui::Button::new(text)).clicked() {
                        intents.push(Intent::Command(Command::Crash(node, *kind)));
                    }
                }
                if ui.add_enabled(!nv.up, egui::Button::new(T::Restart.get(lang))).clicked() {
                    intents.push(Intent::Command(Command::Restart(node)));
                }
                if let Some((label, command, enabled, help)) = extra(node, nv)
                    && ui
                        .add_enabled(enabled, egui::Button::new(label.get(lang)))
                        .on_hover_text(help.get(lang))
                        .clicked()
                {
                    intents.push(Intent::Command(command));
                }
            });
            let label = format!("{} {}", T::Faults.get(lang), node.name());
            menu.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
            menu.response.on_hover_text(T::Faults.get(lang));
        });
    });
}

/// The network: drop the next envelope of a kind, cut a node off, heal.
fn network_controls(ui: &mut Ui, layout: &Layout, view: &View, intents: &mut Vec<Intent>, lang: Lang) {
    let strip = layout.network_controls();
    ui.scope_builder(UiBuilder::new().max_rect(strip), |ui| {
        small_type(ui);
        ui.horizontal_wrapped(|ui| {
            let drop = ui.menu_button(format!("{}…", T::DropNext.get(lang)), |ui| {
                for kind in DropKind::ALL {
                    if ui.button(kind.name()).clicked() {
                        intents.push(Intent::Command(Command::DropNext(kind)));
                    }
                }
            });
            drop.response.on_hover_text(T::HelpDropNext.get(lang));
            ui.menu_button(format!("{}…", T::Partition.get(lang)), |ui| {
                for &(node, _) in layout.boxes() {
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
