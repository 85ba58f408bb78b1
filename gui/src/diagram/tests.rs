//! The diagram's geometry: tokens inside their areas, areas inside their boxes and apart, lanes
//! that follow the topology.

use super::*;
use egui::Pos2;
use mqlab_core::session::{Session, SessionConfig};

fn session_after(lines: &[&str]) -> View {
    let config = SessionConfig { storage: mqlab_core::log::StorageKind::Mem, ..SessionConfig::default() };
    let mut session = Session::new(config).expect("a session");
    for line in lines {
        for c in mqlab_core::command::parse_line(line).expect("parses") {
            session.apply(c).expect("applies");
        }
    }
    session.view()
}

#[test]
fn a_grid_fits_every_token_inside_its_area() {
    let area = Rect::from_min_size(pos2(10.0, 10.0), vec2(300.0, 120.0));
    for n in [1, 7, 50, 200, 600] {
        let cells = scene::grid(area, n);
        assert_eq!(cells.len(), n);
        for (c, r) in cells {
            assert!(area.expand(0.5).contains(c), "{n}: {c:?} outside {area:?}");
            assert!(r > 0.5, "{n}: radius {r}");
        }
    }
}

#[test]
fn envelopes_sent_together_do_not_hide_each_other() {
    // Three requests leave in the same step, so they are at the same point of their lane.
    let view = session_after(&["send 3", "step 4"]);
    let requests = view.in_flight.iter().filter(|e| e.kind == EnvelopeKind::Request).count();
    assert!(requests >= 2, "{:?}", view.in_flight);
    let layout = Layout::new(Rect::from_min_size(Pos2::ZERO, vec2(1300.0, 530.0)), &view);
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
    let view = session_after(&["set broker.replication sync"]);
    for size in [vec2(1600.0, 900.0), vec2(970.0, 395.0)] {
        let layout = Layout::new(Rect::from_min_size(Pos2::ZERO, size), &view);
        for &(node, r) in layout.boxes() {
            let slots = layout.slots(node);
            for (i, a) in slots.iter().enumerate() {
                assert!(r.contains_rect(layout.area(*a)), "{size:?} {a:?}");
                for b in &slots[i + 1..] {
                    let overlap = layout.area(*a).intersect(layout.area(*b));
                    assert!(overlap.width() <= 0.0 || overlap.height() <= 0.0, "{a:?} overlaps {b:?}");
                }
            }
        }
    }
}

#[test]
fn the_network_buttons_leave_room_for_dropped_messages() {
    let view = session_after(&[]);
    // Full width, and narrowed by the lesson panel.
    for size in [vec2(1340.0, 530.0), vec2(880.0, 530.0), vec2(700.0, 420.0)] {
        let layout = Layout::new(Rect::from_min_size(Pos2::ZERO, size), &view);
        let controls = layout.network_controls();
        let dropped = layout.area(Slot::Lost);
        assert!(layout.network.contains_rect(controls), "{size:?}");
        assert!(layout.network.contains_rect(dropped), "{size:?}");
        assert!(dropped.top() > controls.bottom(), "{size:?}");
        // At least one row of tokens.
        assert!(dropped.height() >= 24.0, "{size:?}: {dropped:?}");
    }
}

#[test]
fn after_a_promotion_the_replica_takes_the_masters_place_and_the_lanes_go_to_it() {
    let before = session_after(&["set broker.replication sync", "send 2", "run"]);
    let after =
        session_after(&["set broker.replication sync", "send 2", "run", "crash broker", "promote replica"]);
    let rect = Rect::from_min_size(Pos2::ZERO, vec2(1300.0, 530.0));
    let (old, new) = (Layout::new(rect, &before), Layout::new(rect, &after));
    assert_eq!(old.master(), Node::BROKER);
    assert_eq!(new.master(), Node::REPLICA);
    assert_eq!(
        new.node(Node::REPLICA),
        old.node(Node::BROKER),
        "the promoted replica is drawn where the master was"
    );
    let (_, end) = new.lane(EnvelopeKind::Request, Node::PRODUCER, Node::REPLICA);
    assert!((end.x - new.node(Node::REPLICA).left()).abs() < 0.5, "a request ends on the new master's edge");
}
