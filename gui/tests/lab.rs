//! The desktop lab driven as a person would, through egui_kittest and the AccessKit labels of
//! its widgets (so every widget must have one: the harness checks it after every run). The world
//! behind it is the real session on in-memory storage.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqlab_core::log::StorageKind;
use mqlab_core::session::SessionConfig;
use mqlab_core::settings::FlushMode;
use mqlab_core::view::{Cause, Fate, Place};
use mqlab_gui::{GuiOptions, LabApp, fonts};

fn lab(options: GuiOptions) -> Harness<'static, LabApp> {
    lab_with_frame_time(options, 0.25)
}

/// A harness whose frames are `step_dt` seconds apart.
fn lab_with_frame_time(options: GuiOptions, step_dt: f32) -> Harness<'static, LabApp> {
    let options =
        GuiOptions { session: SessionConfig { storage: StorageKind::Mem, ..options.session }, ..options };
    let app = LabApp::new(&options).expect("the lab starts");
    Harness::builder()
        .with_size([1600.0, 1000.0])
        .with_max_steps(12)
        .with_step_dt(step_dt)
        .with_context_setup(fonts::install)
        .build_ui_state(|ui, app: &mut LabApp| app.ui(ui), app)
}

fn sandbox() -> Harness<'static, LabApp> {
    lab(GuiOptions::default())
}

/// Scrolls a widget into view, clicks it by its accessible label and lets the frame (and its
/// animation) settle.
fn click(h: &mut Harness<'static, LabApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).click();
    h.run();
}

#[test]
fn send_then_step_moves_a_message() {
    let mut h = sandbox();
    h.run();
    click(&mut h, "Send");
    let sent = h.state().view().message(mqlab_core::ids::MsgId(1)).expect("m1 exists").clone();
    assert_eq!(sent.places, vec![Place::ProducerMemory(mqlab_core::ids::Node::PRODUCER)]);
    click(&mut h, "Step →");
    let stepped = h.state().view().message(sent.id).expect("m1 exists").clone();
    assert_ne!(stepped.places, sent.places, "a step moves m1 on from the producer's memory");
    assert_eq!(h.state().view().step, 2);
}

#[test]
fn toggling_flush_mode_changes_the_setting() {
    let mut h = sandbox();
    h.run();
    assert_eq!(h.state().view().settings.broker_flush, FlushMode::Async);
    click(&mut h, "broker flush: SYNC_FLUSH");
    assert_eq!(h.state().view().settings.broker_flush, FlushMode::Sync);
    // The replica's flush has the same words but is a different setting.
    assert_eq!(h.state().view().settings.replica_flush, FlushMode::Async);
    click(&mut h, "broker flush: ASYNC_FLUSH");
    assert_eq!(h.state().view().settings.broker_flush, FlushMode::Async);
}

#[test]
fn a_power_crash_under_async_flush_puts_a_lost_message_in_the_ledger() {
    let mut h = sandbox();
    h.run();
    // Cut the consumer off, so m1 is still only on the broker when the power goes.
    click(&mut h, "Partition…");
    click(&mut h, "consumer");
    click(&mut h, "Send");
    // Step until the broker has m1 in its page cache only (acked, not yet flushed).
    for _ in 0..20 {
        let m = h.state().view().messages[0].clone();
        if m.places.contains(&Place::PageCache(mqlab_core::ids::Node::BROKER))
            && !m.places.contains(&Place::Disk(mqlab_core::ids::Node::BROKER))
        {
            break;
        }
        click(&mut h, "Step →");
    }
    let m = h.state().view().messages[0].clone();
    assert!(
        m.places.contains(&Place::PageCache(mqlab_core::ids::Node::BROKER)),
        "m1 reached the page cache: {m:?}"
    );
    click(&mut h, "Crash broker");
    click(&mut h, "power (machine)");
    click(&mut h, "Run");
    let m = h.state().view().messages[0].clone();
    assert_eq!((m.fate, m.cause), (Fate::Lost, Some(Cause::LostInPageCache)), "{m:?}");
    // The ledger says so, in the words of the JSON report.
    assert!(h.query_by_label("lost_in_page_cache").is_some(), "the ledger shows the cause");
    assert!(!h.state().view().node(mqlab_core::ids::Node::BROKER).up);
}

#[test]
fn rewinding_restores_the_previous_step_and_stepping_replays_the_future() {
    let mut h = sandbox();
    h.run();
    click(&mut h, "Send");
    click(&mut h, "Step →");
    let before = h.state().view().clone();
    click(&mut h, "Step →");
    click(&mut h, "Crash broker");
    click(&mut h, "process (kill -9)");
    let after = h.state().view().clone();
    assert_ne!(before, after);
    click(&mut h, "← Back");
    click(&mut h, "← Back");
    assert_eq!(h.state().view(), &before, "two steps back is the world as it was");
    // Forward again: the recorded crash happens again at the same step.
    click(&mut h, "Step →");
    click(&mut h, "Step →");
    assert_eq!(h.state().view(), &after);
}

#[test]
fn the_scrubber_rewinds_and_replays() {
    let mut h = lab(GuiOptions {
        script: Some("send 2; step 6; crash broker power; run".into()),
        ..Default::default()
    });
    h.run();
    let end = h.state().view().clone();
    assert!(end.step > 8);
    h.state_mut().handle(&egui::Context::default(), mqlab_gui::app::Intent::Scrub(3));
    h.run();
    assert_eq!(h.state().view().step, 3);
    assert_eq!(h.state().timeline.high, end.step, "the future is kept until a new input");
    h.state_mut().handle(&egui::Context::default(), mqlab_gui::app::Intent::Scrub(end.step));
    h.run();
    assert_eq!(h.state().view(), &end, "scrubbing to the end replays every recorded input");
}

#[test]
fn an_idle_window_asks_for_no_repaint() {
    let mut h = sandbox();
    h.run();
    let delay = h.output().viewport_output.values().map(|v| v.repaint_delay).min().expect("a viewport");
    assert!(delay > std::time::Duration::from_secs(3600), "idle repaint delay {delay:?}");
}

#[test]
fn playing_waits_between_steps_instead_of_busy_repainting() {
    // Frames 50 ms apart, so the pause between a step's animation and the next tick is seen.
    let mut h =
        lab_with_frame_time(GuiOptions { script: Some("send 20".into()), ..Default::default() }, 0.05);
    h.run();
    h.get_by_label("▶ Play").click();
    h.step();
    assert!(h.state().playing);
    let start = h.state().view().step;
    // Between one step's animation and the next tick the frame is scheduled, not immediate.
    let mut waited = false;
    for _ in 0..240 {
        h.step();
        let delay = h.output().viewport_output.values().map(|v| v.repaint_delay).min().expect("a viewport");
        waited |= delay > std::time::Duration::ZERO;
    }
    assert!(waited, "play mode never waited for its next tick: it repaints busily");
    assert!(h.state().view().step > start, "playing advances the world");
}

#[test]
fn the_whole_lab_renders_in_chinese_with_the_bundled_font() {
    // The harness panics on any character no font can draw.
    let mut h = lab(GuiOptions {
        lang: mqlab_core::lesson::Lang::Zh,
        script: Some("send 3; step 8; crash broker power".into()),
        ..Default::default()
    });
    h.run();
    assert!(h.query_by_label("台账").is_some(), "the ledger heading is in Chinese");
    click(&mut h, "课程");
    click(&mut h, "视图");
}

#[test]
fn presenter_mode_hides_the_secondary_panels_and_zoom_goes_through_the_table() {
    let mut h = sandbox();
    h.run();
    assert!(h.query_by_label("Settings").is_some());
    h.key_press(egui::Key::F5);
    h.run();
    assert!(h.state().prefs.presenter);
    assert!(h.query_by_label("Settings").is_none(), "presenter mode hides the settings");
    let zoom = h.state().prefs.zoom;
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Equals);
    h.run();
    assert!(h.state().prefs.zoom > zoom);
}

#[test]
fn a_lesson_asks_its_question_before_the_step_runs() {
    let lessons = mqlab_core::lesson::builtin();
    let Some((lesson, index)) =
        lessons.iter().find_map(|l| l.steps.iter().position(|s| s.question.is_some()).map(|i| (l, i)))
    else {
        panic!("some lesson has a question");
    };
    let mut h = lab(GuiOptions { lesson: Some(lesson.clone()), ..Default::default() });
    h.run();
    for _ in 0..index {
        h.key_press(egui::Key::PageDown);
        h.run();
    }
    assert_eq!(h.state().lesson.as_ref().map(|r| r.next), Some(index));
    let step_before = h.state().view().step;
    // Next does nothing until the question is answered.
    h.key_press(egui::Key::PageDown);
    h.run();
    assert_eq!(h.state().view().step, step_before);
    let question = lesson.steps[index].question.as_ref().expect("a question");
    click(&mut h, &format!("1. {}", question.choices[0].en));
    assert!(h.query_by_label(&question.explanation.en).is_some(), "the explanation is shown after answering");
    h.key_press(egui::Key::PageDown);
    h.run();
    assert_eq!(h.state().lesson.as_ref().map(|r| r.next), Some(index + 1));
}

/// Follows a lesson to its end as a teacher would (the right choice for each question, then
/// Next), checking every claim of each step against what the lab shows. Returns the problems.
fn walk_lesson(lesson: &mqlab_core::lesson::Lesson, lang: mqlab_core::lesson::Lang) -> Vec<String> {
    let mut h = lab(GuiOptions { lesson: Some(lesson.clone()), lang, ..Default::default() });
    h.run();
    let mut problems = Vec::new();
    for (i, step) in lesson.steps.iter().enumerate() {
        assert_eq!(h.state().lesson.as_ref().map(|r| r.next), Some(i), "{}: at step {}", lesson.id, i + 1);
        if let Some(q) = &step.question {
            click(&mut h, &format!("{}. {}", q.answer + 1, q.choices[q.answer].get(lang)));
        }
        h.key_press(egui::Key::PageDown);
        h.run();
        if let Some(notice) = h.state().notice.as_ref().filter(|n| n.error) {
            problems.push(format!("{} step {}: {}", lesson.id, i + 1, notice.text));
        }
        for e in &step.expect {
            if let Err(found) = e.check(h.state().view()) {
                problems.push(format!("{} step {}: {}: {found}", lesson.id, i + 1, e.source));
            }
        }
    }
    let done = h.state().lesson.as_ref().map(|r| r.next);
    assert_eq!(done, Some(lesson.steps.len()), "{}: did not reach the end", lesson.id);
    assert!(h.query_by_label(mqlab_gui::i18n::T::LessonDone.get(lang)).is_some(), "{}: no end", lesson.id);
    problems
}

#[test]
fn every_lesson_runs_to_its_end_in_both_languages() {
    use mqlab_core::lesson::Lang;
    let lessons = mqlab_core::lesson::builtin();
    assert!(lessons.len() >= 14);
    for lang in [Lang::En, Lang::Zh] {
        let problems: Vec<String> = lessons.iter().flat_map(|l| walk_lesson(l, lang)).collect();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

#[test]
fn the_interview_cards_open_from_the_help_menu_and_lead_to_a_lesson() {
    use mqlab_gui::i18n::T;
    let mut h = sandbox();
    h.run();
    click(&mut h, T::MenuHelp.en());
    // A menu entry's label ends with its key.
    click(&mut h, &format!("{} F4", T::Cards.en()));
    assert!(h.state().show_cards);
    assert!(h.query_by_label_contains("How do you guarantee that no message is lost?").is_some());
    let card = mqlab_core::lesson::cards()
        .into_iter()
        .find(|c| !c.lessons.is_empty())
        .expect("a card with a lesson");
    let lesson =
        mqlab_core::lesson::builtin().into_iter().find(|l| l.id == card.lessons[0]).expect("the lesson");
    // Several cards may point at the same lesson: any of its links opens it.
    h.get_all_by_label(lesson.title.en.as_str()).next().expect("a link to the lesson").click();
    h.run();
    assert_eq!(h.state().lesson.as_ref().map(|r| r.lesson.id.as_str()), Some(lesson.id.as_str()));
    assert!(!h.state().show_cards, "opening a lesson closes the cards");
    // The key opens them again, in Chinese too.
    h.key_press(egui::Key::L);
    h.key_press(egui::Key::F4);
    h.run();
    assert!(h.query_by_label_contains("如何保证消息不丢失").is_some());
}

#[test]
fn events_are_said_in_the_lab_language_and_a_switch_says_them_again() {
    use mqlab_core::lesson::Lang;
    let script = "set producer.send oneway; drop next request; send 2; run";
    let mut h = lab(GuiOptions { script: Some(script.into()), ..Default::default() });
    h.run();
    let step = h.state().view().step;
    assert!(h.query_all_by_label_contains("network: dropped request m1").next().is_some(), "English events");
    h.key_press(egui::Key::L);
    h.run();
    assert_eq!(h.state().lang(), Lang::Zh);
    assert_eq!(h.state().view().step, step, "the switch replays the same world");
    assert!(
        h.query_all_by_label_contains("网络：丢弃了请求 m1").next().is_some(),
        "the events already shown are said again in Chinese"
    );
    h.key_press(egui::Key::L);
    h.run();
    assert!(h.query_all_by_label_contains("network: dropped request m1").next().is_some(), "and back");
}
