//! The sequence diagram on real sessions: every envelope paired with its end (arrived, dropped,
//! lost, still in flight), the life marks on their lanes, windows that agree with the whole, and
//! the text and Mermaid renderings.

use mqlab_core::diagram::{Diagram, End, RowKind, render_mermaid, render_text};
use mqlab_core::ids::{MsgId, Node};
use mqlab_core::lesson::Lang;
use mqlab_core::log::StorageKind;
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::view::{EnvelopeKind, Mark, WireWhat};

/// ASYNC_FLUSH, the consumer cut off, then the broker loses power: all three messages were
/// acknowledged and are lost in the page cache.
const LOST_IN_PAGE_CACHE: &str = "set broker.flush async; partition consumer; send 3; run 50; crash broker power; restart broker; heal; run";

/// The broker cut off: the producer's requests are dropped, and its retry after the heal lands.
const PARTITIONED_BROKER: &str =
    "set producer.attempt_timeout_ms 1000; partition broker; send 1; run 1500; heal; run";

fn played(line: &str) -> Session {
    let mut session =
        Session::new(SessionConfig { seed: 1, storage: StorageKind::Mem, ..SessionConfig::default() })
            .expect("session");
    session.set_language(Lang::Zh).expect("language");
    session.execute(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    session
}

fn diagram(session: &Session) -> Diagram {
    Diagram::build(session.trace(), &session.view().topology)
}

fn sends(session: &Session) -> usize {
    session.trace().iter().flat_map(|e| &e.wire).filter(|w| matches!(w.what, WireWhat::Sent { .. })).count()
}

#[test]
fn every_envelope_is_one_arrow_paired_with_its_send() {
    for line in
        [LOST_IN_PAGE_CACHE, PARTITIONED_BROKER, "send 2; crash consumer process; run; restart consumer; run"]
    {
        let session = played(line);
        let d = diagram(&session);
        assert_eq!(d.arrows().count(), sends(&session), "{line}");
        let mut envs: Vec<u64> = d.arrows().map(|a| a.env).collect();
        envs.sort_unstable();
        envs.dedup();
        assert_eq!(envs.len(), sends(&session), "{line}: an envelope drawn twice");
        for arrow in d.arrows() {
            let sent = arrow.sent.unwrap_or_else(|| panic!("{line}: env {} has no send", arrow.env));
            let row = d.rows.iter().find(|r| r.arrow().is_some_and(|a| a.env == arrow.env)).expect("row");
            assert!(
                sent.step <= row.step && sent.at_ms <= row.at_ms,
                "{line}: env {} ends before it left",
                arrow.env
            );
        }
    }
}

#[test]
fn a_partitioned_consumer_drops_the_deliveries_and_the_marks_sit_on_their_lanes() {
    let session = played(LOST_IN_PAGE_CACHE);
    let d = diagram(&session);
    assert_eq!(d.lanes, vec![Node::PRODUCER, Node::BROKER, Node::REPLICA, Node::CONSUMER]);
    let dropped: Vec<_> = d.arrows().filter(|a| a.end == End::Dropped { partitioned: true }).collect();
    assert!(!dropped.is_empty());
    assert!(dropped.iter().all(|a| a.kind == EnvelopeKind::Delivery && a.to == Node::CONSUMER));
    let requests = d.arrows().filter(|a| a.kind == EnvelopeKind::Request && a.end == End::Arrived).count();
    assert_eq!(requests, 3);
    let marks: Vec<Mark> = d
        .rows
        .iter()
        .filter_map(|r| match r.kind {
            RowKind::Mark(m) => Some(m),
            RowKind::Arrow(_) => None,
        })
        .collect();
    assert_eq!(
        marks,
        vec![
            Mark::Partitioned { node: Node::CONSUMER },
            Mark::Crashed { node: Node::BROKER, kind: mqlab_core::command::CrashKind::Power },
            Mark::Restarted { node: Node::BROKER },
            Mark::Healed,
        ]
    );
    let crash = d.rows.iter().find(|r| matches!(r.kind, RowKind::Mark(Mark::Crashed { .. }))).expect("crash");
    assert!(crash.involves(MsgId(1)), "the crash row names the messages it destroyed");
}

#[test]
fn an_envelope_to_a_crashed_node_is_lost_and_one_on_the_wire_is_in_flight() {
    let session = played("send 1; crash broker process; run");
    let lost: Vec<_> = diagram(&session).arrows().filter(|a| a.end == End::Lost).cloned().collect();
    assert!(lost.iter().any(|a| a.kind == EnvelopeKind::Request && a.to == Node::BROKER), "{lost:?}");

    let mut session = played("send 1");
    for _ in 0..10 {
        if diagram(&session).arrows().any(|a| matches!(a.end, End::InFlight { .. })) {
            break;
        }
        session.execute("step").expect("step");
    }
    let d = diagram(&session);
    let flying = d.arrows().find(|a| matches!(a.end, End::InFlight { .. })).expect("an envelope in flight");
    assert_eq!((flying.kind, flying.from, flying.to), (EnvelopeKind::Request, Node::PRODUCER, Node::BROKER));
    session.execute("run").expect("run");
    assert!(diagram(&session).arrows().all(|a| !matches!(a.end, End::InFlight { .. })), "all landed");
}

#[test]
fn windows_and_tails_agree_with_the_whole_trace() {
    let session = played(LOST_IN_PAGE_CACHE);
    let (trace, topology) = (session.trace(), session.view().topology);
    let whole = diagram(&session);
    for lo in 0..trace.len() {
        for hi in lo..=trace.len() {
            let window = Diagram::window(trace, &topology, lo..hi);
            let steps = trace[lo..hi].iter().map(|e| e.step);
            let (first, last) = (steps.clone().min().unwrap_or(1), steps.max().unwrap_or(0));
            let expected: Vec<_> =
                whole.rows.iter().filter(|r| (first..=last).contains(&r.step)).cloned().collect();
            assert_eq!(window.rows, expected, "window {lo}..{hi}");
        }
    }
    for count in 0..=whole.rows.len() + 2 {
        let tail = Diagram::last_rows(trace, &topology, trace.len(), count);
        assert_eq!(tail.rows, whole.rows[whole.rows.len().saturating_sub(count)..].to_vec(), "last {count}");
    }
}

#[test]
fn following_one_message_keeps_its_arrows_and_the_marks() {
    let session = played("send 2; run; drop next delivery; send 1; run");
    let d = diagram(&session).involving(MsgId(3));
    assert!(d.arrows().count() >= 2);
    assert!(d.arrows().all(|a| a.messages.contains(&MsgId(3))));
    assert!(d.arrows().any(|a| a.end == End::Dropped { partitioned: false }));
}

#[test]
fn text_of_a_message_lost_in_the_page_cache() {
    let session = played(LOST_IN_PAGE_CACHE);
    insta::assert_snapshot!("lost_in_page_cache_en", render_text(&diagram(&session), 100, Lang::En));
    insta::assert_snapshot!("lost_in_page_cache_zh_80", render_text(&diagram(&session), 80, Lang::Zh));
}

#[test]
fn text_of_a_partitioned_broker() {
    let session = played(PARTITIONED_BROKER);
    insta::assert_snapshot!("partitioned_broker", render_text(&diagram(&session), 90, Lang::En));
}

#[test]
fn text_fits_any_width_and_keeps_its_arrowheads() {
    let session = played(LOST_IN_PAGE_CACHE);
    let d = diagram(&session);
    for width in [40, 60, 80, 120, 200] {
        for lang in [Lang::En, Lang::Zh] {
            let text = render_text(&d, width, lang);
            for line in text.lines() {
                let w: usize =
                    line.chars().map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)).sum();
                assert!(w <= width, "{width} {lang:?}: {line:?} is {w} wide");
            }
            assert_eq!(text.lines().count(), d.rows.len() + 1);
            let heads = text.matches(['▶', '◀', '✗', '▷', '◁']).count();
            assert_eq!(heads, d.arrows().count(), "{width} {lang:?}: every arrow has its head\n{text}");
        }
    }
}

#[test]
fn mermaid_has_a_participant_per_lane_and_an_arrow_per_envelope() {
    for line in [LOST_IN_PAGE_CACHE, PARTITIONED_BROKER] {
        let session = played(line);
        let d = diagram(&session);
        for lang in [Lang::En, Lang::Zh] {
            let text = render_mermaid(&d, lang);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines[0], "sequenceDiagram");
            let participants: Vec<&str> =
                lines.iter().filter_map(|l| l.trim().strip_prefix("participant ")).collect();
            let names: Vec<&str> =
                participants.iter().map(|p| p.split(' ').next().unwrap_or_default()).collect();
            assert_eq!(names, d.lanes.iter().map(|n| n.name()).collect::<Vec<_>>());
            let arrows =
                lines.iter().filter(|l| l.contains("->>") || l.contains("-x") || l.contains("-)")).count();
            assert_eq!(arrows, sends(&session), "{line}");
            let failed = lines.iter().filter(|l| l.contains("-x")).count();
            assert_eq!(failed, d.arrows().filter(|a| a.end.failed()).count());
            assert!(failed > 0);
            assert!(lines.iter().filter(|l| l.contains("-x")).all(|l| l.contains('✗')));
            let notes = lines.iter().filter(|l| l.trim_start().starts_with("Note over ")).count();
            assert_eq!(notes, d.rows.len() - d.arrows().count());
            for l in &lines[1..] {
                let body = l.replace("#35;", "").replace("#59;", "").replace("#60;", "").replace("#62;", "");
                assert!(!body.contains([';', '#']), "unescaped: {l}");
                assert!(l.starts_with("    "), "indented: {l}");
            }
            assert!(text.contains("m1"), "labels name the messages");
        }
    }
}
