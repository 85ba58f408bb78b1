//! The diagram draws the world's topology from the view: every node's box, every link as it is
//! now (after a failover, to the promoted replica), found through their accessible labels.
//! Hand-built views stand in for worlds with several producers, consumers and queues; the
//! promotion is a real session on in-memory storage.

#[path = "../../tui/tests/support/mod.rs"]
mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqlab_core::ids::Node;
use mqlab_core::lesson::Lang;
use mqlab_core::log::StorageKind;
use mqlab_core::session::SessionConfig;
use mqlab_core::view::{LinkKind, View};
use mqlab_gui::diagram::{self, animation::Animator};
use mqlab_gui::{GuiOptions, LabApp, fonts};

/// A harness that draws only the diagram of `view`.
fn diagram_of(view: View, lang: Lang, size: [f32; 2]) -> Harness<'static> {
    let mut anim = Animator::default();
    let mut harness =
        Harness::builder().with_size(size).with_context_setup(fonts::install).build_ui(move |ui| {
            let mut intents = Vec::new();
            diagram::show(ui, &view, &mut anim, lang, None, &mut intents);
        });
    harness.run();
    harness
}

#[test]
fn every_node_of_a_two_producer_two_consumer_world_has_its_box() {
    let view = support::topology_view(2, 2, 4, 40);
    for lang in [Lang::En, Lang::Zh] {
        for size in [[1280.0, 720.0], [1024.0, 768.0], [1600.0, 1000.0]] {
            let harness = diagram_of(view.clone(), lang, size);
            for nv in &view.nodes {
                harness.get_by_label(&diagram::node_label(nv, lang));
            }
            for link in &view.topology.links {
                harness.get_by_label(&diagram::link_label(link.from, link.to, link.kind, lang));
            }
        }
    }
}

#[test]
fn a_crowded_world_draws_every_box_queue_and_link() {
    let view = support::topology_view(4, 4, 8, 500);
    let harness = diagram_of(view.clone(), Lang::En, [1280.0, 720.0]);
    for nv in &view.nodes {
        harness.get_by_label(&diagram::node_label(nv, Lang::En));
    }
    for q in &view.topology.queues {
        let owner = q.owner.map_or("no consumer", Node::name);
        harness.get_by_label(&format!(
            "queue {}: {} stored, {} committed, {owner}",
            q.id, q.stored, q.committed
        ));
    }
    assert_eq!(view.topology.links.len(), 4 + 1 + 4);
    for link in &view.topology.links {
        harness.get_by_label(&diagram::link_label(link.from, link.to, link.kind, Lang::En));
    }
}

/// The whole lab after `script`, on in-memory storage.
fn lab_after(script: &str, size: [f32; 2]) -> Harness<'static, LabApp> {
    let options = GuiOptions {
        session: SessionConfig { storage: StorageKind::Mem, ..SessionConfig::default() },
        script: Some(script.to_owned()),
        ..GuiOptions::default()
    };
    let app = LabApp::new(&options).expect("the lab starts");
    let mut harness = Harness::builder()
        .with_size(size)
        .with_context_setup(fonts::install)
        .build_ui_state(|ui, app: &mut LabApp| app.ui(ui), app);
    harness.run();
    harness
}

#[test]
fn a_session_with_two_producers_and_two_consumers_draws_a_box_per_node() {
    for size in [[1280.0, 720.0], [1024.0, 768.0]] {
        let harness = lab_after("set cluster.producers 2; set cluster.consumers 2; send 4; step 12", size);
        let view = harness.state().view().clone();
        let t = &view.topology;
        assert_eq!((t.producers.len(), t.brokers.len(), t.consumers.len()), (2, 2, 2));
        for nv in &view.nodes {
            harness.get_by_label(&diagram::node_label(nv, Lang::En));
        }
        for link in &t.links {
            harness.get_by_label(&diagram::link_label(link.from, link.to, link.kind, Lang::En));
        }
        // Each node's faults are offered in its box: a row of buttons, or one menu in a short box.
        for node in t.producers.iter().chain(&t.brokers).chain(&t.consumers) {
            let offered = ["Crash", "Faults"]
                .iter()
                .any(|verb| harness.query_by_label(&format!("{verb} {node}")).is_some());
            assert!(offered, "no faults offered for {node} at {size:?}");
        }
    }
}

#[test]
fn after_a_promotion_the_produce_link_targets_the_promoted_replica() {
    let script = "set broker.replication sync; send 2; run; crash broker; promote replica; send 1; run 3";
    let harness = lab_after(script, [1280.0, 720.0]);
    harness.get_by_label("link producer → replica (produce)");
    harness.get_by_label("link replica → consumer (consume)");
    assert!(
        harness.query_by_label("link producer → broker (produce)").is_none(),
        "no link to the retired broker"
    );
    let view = harness.state().view().clone();
    harness.get_by_label(&diagram::node_label(view.node(Node::REPLICA), Lang::En));
    assert_eq!(diagram::node_label(view.node(Node::REPLICA), Lang::En), "replica (master (promoted), up)");
    assert_eq!(diagram::node_label(view.node(Node::BROKER), Lang::En), "broker (retired, DOWN)");
    let produce: Vec<_> = view.topology.links.iter().filter(|l| l.kind == LinkKind::Produce).collect();
    assert!(produce.iter().all(|l| l.to == Node::REPLICA), "{produce:?}");
}

#[test]
fn a_crowded_world_left_alone_asks_for_no_repaint() {
    let mut harness = lab_after(
        "set cluster.producers 4; set cluster.consumers 4; set topic.queues 8; send 500; step 700",
        [1600.0, 1000.0],
    );
    harness.run();
    let delay = harness.output().viewport_output.values().map(|v| v.repaint_delay).min().expect("a viewport");
    assert!(delay > std::time::Duration::from_secs(3600), "idle repaint delay {delay:?}");
}
