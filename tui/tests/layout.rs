//! Screens drawn from hand-built view models: layout at the sizes the lab promises, the
//! too-small message, NO_COLOR, and the frame the benchmark times. They need no running world.

mod support;

use mqlab_core::ids::MsgId;
use mqlab_core::lesson::Lang;
use mqlab_tui::app::{Overlay, Ui};
use mqlab_tui::widgets::{self, theme::Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn draw(ui: &Ui, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| widgets::render(ui, f)).expect("draw");
    terminal
}

fn text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

#[test]
fn busy_world_at_120x40() {
    let mut ui = Ui::new(support::view(12), Lang::En, Theme { color: true });
    ui.selected = Some(MsgId(2));
    insta::assert_snapshot!(draw(&ui, 120, 40).backend());
}

#[test]
fn busy_world_at_80x24() {
    let mut ui = Ui::new(support::view(12), Lang::En, Theme { color: true });
    ui.selected = Some(MsgId(8));
    insta::assert_snapshot!(draw(&ui, 80, 24).backend());
}

#[test]
fn below_80x24_says_so_and_draws_nothing_else() {
    let ui = Ui::new(support::view(12), Lang::En, Theme { color: true });
    for (w, h) in [(79, 24), (80, 23), (40, 10), (1, 1)] {
        let screen = text(&draw(&ui, w, h));
        let expected = "terminal too small; it needs";
        if w as usize >= expected.chars().count() {
            assert!(screen.contains(expected) && screen.contains("80×24"), "{w}x{h}:\n{screen}");
        }
        assert!(!screen.contains("Ledger"), "{w}x{h}:\n{screen}");
    }
    let zh = Ui::new(support::view(1), Lang::Zh, Theme { color: true });
    assert!(text(&draw(&zh, 60, 10)).contains("终端太小"));
}

#[test]
fn the_too_small_notice_is_whole_at_10x5() {
    for (lang, words) in
        [(Lang::En, &["terminal", "too small;", "it needs"][..]), (Lang::Zh, &["终端太小", "需要"][..])]
    {
        let ui = Ui::new(support::view(1), lang, Theme { color: false });
        let screen = text(&draw(&ui, 10, 5));
        for word in words.iter().chain(&["80×24", "(10×5)"]) {
            assert!(screen.contains(word), "{lang:?}: `{word}` is not whole at 10×5:\n{screen}");
        }
    }
}

#[test]
fn two_hundred_messages_fit_and_the_selection_stays_in_sight() {
    let mut ui = Ui::new(support::view(200), Lang::En, Theme { color: true });
    ui.selected = Some(MsgId(137));
    let screen = text(&draw(&ui, 120, 40));
    assert!(screen.contains("▶m137"), "{screen}");
    assert!(screen.contains("sent 200"), "{screen}");
    assert!(screen.contains('+'), "overflowing token rows end in +N:\n{screen}");
}

#[test]
fn no_color_draws_no_colour_but_keeps_the_marks() {
    let ui = Ui::new(support::view(12), Lang::En, Theme { color: false });
    let terminal = draw(&ui, 120, 40);
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!(cell.fg, Color::Reset, "a coloured cell under NO_COLOR: {cell:?}");
        assert_eq!(cell.bg, Color::Reset, "a coloured cell under NO_COLOR: {cell:?}");
    }
    assert!(text(&terminal).contains("✗m2"));

    let coloured = Ui::new(support::view(12), Lang::En, Theme { color: true });
    let terminal = draw(&coloured, 120, 40);
    assert!(terminal.backend().buffer().content().iter().any(|c| c.fg == Color::Red));
}

#[test]
fn help_is_generated_from_the_keymap_and_the_command_forms() {
    let mut ui = Ui::new(support::view(3), Lang::En, Theme { color: true });
    ui.overlay = Some(Overlay::Help { scroll: 0 });
    let screen = text(&draw(&ui, 120, 40));
    for binding in
        mqlab_tui::keymap::KEYMAP.iter().filter(|b| b.scope == mqlab_tui::keymap::Scope::Main).take(20)
    {
        assert!(screen.contains(&binding.keys.label()), "{:?} missing from help:\n{screen}", binding.keys);
    }
    assert!(screen.contains("toggle producer.send"), "{screen}");
}

#[test]
fn chinese_ui_text() {
    let ui = Ui::new(support::view(3), Lang::Zh, Theme { color: true });
    let screen = text(&draw(&ui, 120, 40));
    assert!(screen.contains("生产者"), "{screen}");
    assert!(screen.contains("账本"), "{screen}");
}

#[test]
fn a_down_node_its_note_and_the_latest_alert_show() {
    let mut view = support::view(3);
    let broker = view.nodes.iter_mut().find(|n| n.node == mqlab_core::ids::Node::BROKER).expect("broker");
    broker.up = false;
    broker.note = mqlab_core::view::NodeNote::Down;
    view.alerts = vec!["consumer: gap in p1 after seq 1".to_owned(), "outbox gave up on m3".to_owned()];
    let ui = Ui::new(view, Lang::En, Theme { color: true });
    let screen = text(&draw(&ui, 120, 40));
    assert!(screen.contains("broker master DOWN"), "{screen}");
    assert!(screen.contains("down: crashed"), "{screen}");
    assert!(screen.contains("⚑ outbox gave up on m3 (+1)"), "{screen}");
}

fn text_of(en: &str, zh: &str) -> mqlab_core::lesson::Text {
    mqlab_core::lesson::Text { en: en.to_owned(), zh: zh.to_owned() }
}

fn lesson() -> mqlab_core::lesson::Lesson {
    use mqlab_core::lesson::{Lesson, LessonStep, Question};
    Lesson {
        id: "page-cache".to_owned(),
        title: text_of("Acked is not on disk", "确认不等于落盘"),
        summary: text_of("Flush before you answer.", "先刷盘再应答。"),
        seed: 1,
        settings: mqlab_core::settings::Settings::default(),
        steps: vec![
            LessonStep {
                narration: text_of("The broker answers from the page cache.", "Broker 从页缓存应答。"),
                commands: "send 1; run 20".to_owned(),
                question: None,
                expect: vec![],
            },
            LessonStep {
                narration: text_of("Now the power goes.", "现在断电。"),
                commands: "crash broker power".to_owned(),
                question: Some(Question {
                    prompt: text_of("Is m1 lost?", "m1 会丢吗？"),
                    choices: vec![text_of("yes", "会"), text_of("no", "不会")],
                    answer: 0,
                    explanation: text_of("It was only in the page cache.", "它只在页缓存里。"),
                }),
                expect: vec![],
            },
        ],
    }
}

#[test]
fn a_lesson_asks_before_it_runs_then_shows_the_verdict() {
    use mqlab_tui::lessons::{LessonRun, Phase};
    let view = support::view(1);
    let mut run = LessonRun::new(lesson());
    assert_eq!(run.phase, Phase::Read);
    assert_eq!(run.advance().as_deref(), Some("send 1; run 20"), "a narrated step runs on Tab");
    run.observed(&view, None);
    assert_eq!(run.advance(), None, "Tab after observing moves to the next step");
    assert!(run.awaiting_answer(), "the question comes before the commands");
    assert_eq!(run.advance(), None, "no skipping the question");
    assert_eq!(run.answer(3), None, "only offered choices count");
    assert_eq!(run.answer(2).as_deref(), Some("crash broker power"));
    run.observed(&view, None);

    let mut ui = Ui::new(view, Lang::En, Theme { color: false });
    ui.lesson = Some(run.clone());
    let screen = text(&draw(&ui, 120, 40));
    assert!(screen.contains("Is m1 lost?") && screen.contains("not quite"), "{screen}");
    assert!(screen.contains("It was only in the page cache."), "{screen}");
    insta::assert_snapshot!(screen);

    ui.lang = Lang::Zh;
    let screen = text(&draw(&ui, 120, 40));
    assert!(screen.contains("m1 会丢吗？") && screen.contains("不对"), "{screen}");
}

#[test]
fn four_producers_four_consumers_eight_queues_at_80x24() {
    let mut ui = Ui::new(support::topology_view(4, 4, 8, 500), Lang::En, Theme { color: true });
    ui.selected = Some(MsgId(497));
    insta::assert_snapshot!(draw(&ui, 80, 24).backend());
}

#[test]
fn four_producers_four_consumers_eight_queues_at_120x40() {
    let mut ui = Ui::new(support::topology_view(4, 4, 8, 500), Lang::En, Theme { color: true });
    ui.selected = Some(MsgId(497));
    insta::assert_snapshot!(draw(&ui, 120, 40).backend());
}

#[test]
fn every_node_queue_and_link_of_a_crowded_world_is_drawn() {
    let view = support::topology_view(4, 4, 8, 500);
    for lang in [Lang::En, Lang::Zh] {
        let ui = Ui::new(view.clone(), lang, Theme { color: false });
        let screen = text(&draw(&ui, 120, 40));
        for node in view.nodes.iter().map(|n| n.node) {
            let name = if lang == Lang::Zh { node.name_zh() } else { node.name() };
            assert!(screen.contains(name), "{lang:?}: {name} is not drawn:\n{screen}");
        }
        for q in 0..8 {
            assert!(screen.contains(&format!("q{q} ")), "{lang:?}: queue {q} is not drawn:\n{screen}");
        }
        // Both link columns have their arrow.
        assert_eq!(screen.matches('▶').count(), 2 + screen.matches("▶m").count(), "{screen}");
    }
}
