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
        let expected = "terminal too small (need 80×24)";
        if w as usize >= expected.chars().count() {
            assert!(screen.contains(expected), "{w}x{h}:\n{screen}");
        }
        assert!(!screen.contains("Ledger"), "{w}x{h}:\n{screen}");
    }
    let zh = Ui::new(support::view(1), Lang::Zh, Theme { color: true });
    assert!(text(&draw(&zh, 60, 10)).contains("终端太小"));
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
    let broker = view.nodes.iter_mut().find(|n| n.node == mqlab_core::ids::Node::Broker).expect("broker");
    broker.up = false;
    broker.note = "power lost: page cache gone".to_owned();
    view.alerts = vec!["consumer: gap in p1 after seq 1".to_owned(), "outbox gave up on m3".to_owned()];
    let ui = Ui::new(view, Lang::En, Theme { color: true });
    let screen = text(&draw(&ui, 120, 40));
    assert!(screen.contains("Broker DOWN"), "{screen}");
    assert!(screen.contains("power lost: page cache gone"), "{screen}");
    assert!(screen.contains("⚑ outbox gave up on m3 (+1)"), "{screen}");
}
