//! The sequence diagram view of the terminal lab, driven through the keymap against a real
//! (in-memory) session: `S` shows it, it follows step and back, PgUp looks earlier, the
//! selected message's arrows stand out, Esc or `S` go back to the lab.

use mqlab_core::ids::MsgId;
use mqlab_core::lesson::Lang;
use mqlab_core::log::StorageKind;
use mqlab_core::session::SessionConfig;
use mqlab_core::settings::Settings;
use mqlab_tui::TuiOptions;
use mqlab_tui::app::App;
use mqlab_tui::widgets::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;

fn app(lang: Lang) -> App {
    let session =
        SessionConfig { seed: 7, storage: StorageKind::Mem, data_dir: None, settings: Settings::default() };
    App::new(TuiOptions { session, lesson: None, lang }, Theme { color: false }).expect("the lab starts")
}

fn key(app: &mut App, code: KeyCode) {
    app.input(KeyEvent::new(code, KeyModifiers::NONE));
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, if c == '⏎' { KeyCode::Enter } else { KeyCode::Char(c) });
    }
}

fn terminal(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| app.render(f)).expect("draw");
    terminal
}

fn screen(app: &App, width: u16, height: u16) -> String {
    terminal(app, width, height).backend().to_string()
}

/// The consumer cut off, then the broker loses power: three messages lost in the page cache.
fn lose_three(app: &mut App) {
    keys(app, ":set broker.flush async; partition consumer; send 3; run 50; crash broker power⏎");
}

#[test]
fn the_diagram_view_at_80x24() {
    let mut app = app(Lang::En);
    lose_three(&mut app);
    keys(&mut app, "S");
    assert!(app.ui.sequence.is_some());
    insta::assert_snapshot!("sequence_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("sequence_120x40", screen(&app, 120, 40));
}

#[test]
fn the_diagram_view_in_chinese() {
    let mut app = app(Lang::Zh);
    lose_three(&mut app);
    keys(&mut app, "S");
    let text = screen(&app, 80, 24);
    assert!(text.contains("时序图") && text.contains("生产者") && text.contains("被丢弃"), "{text}");
    assert!(text.contains("Broker 崩溃（断电）"), "{text}");
}

#[test]
fn it_follows_step_and_back_and_scrolls() {
    let mut app = app(Lang::En);
    keys(&mut app, "S");
    assert!(screen(&app, 80, 24).contains("No envelope has crossed the network yet"));
    keys(&mut app, ":send 1; run⏎");
    let rows = app.ui.sequence.as_ref().map(|p| p.diagram.rows.len()).unwrap_or_default();
    assert!(rows >= 4, "request, response, delivery, commit");
    keys(&mut app, "b");
    let after_back = app.ui.sequence.as_ref().map(|p| p.diagram.rows.len()).unwrap_or_default();
    assert!(after_back < rows || app.ui.view.step > 0, "back takes the last step's rows away");
    keys(&mut app, ":send 30; run⏎");
    let newest = screen(&app, 80, 24);
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.ui.sequence.as_ref().map(|p| p.back), Some(10));
    let earlier = screen(&app, 80, 24);
    assert_ne!(newest, earlier);
    assert!(earlier.contains("10 rows back"), "{earlier}");
    key(&mut app, KeyCode::PageDown);
    assert_eq!(screen(&app, 80, 24), newest);
    key(&mut app, KeyCode::Esc);
    assert!(app.ui.sequence.is_none(), "Esc goes back to the lab");
    keys(&mut app, "SS");
    assert!(app.ui.sequence.is_none(), "S switches back too");
}

#[test]
fn the_selected_message_s_arrows_stand_out() {
    let mut app = app(Lang::En);
    keys(&mut app, ":send 2; run⏎S");
    app.ui.selected = Some(MsgId(2));
    let terminal = terminal(&app, 120, 40);
    let buffer = terminal.backend().buffer();
    let text = screen(&app, 120, 40);
    assert!(text.contains("following m2"), "{text}");
    let mut highlighted = Vec::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol().to_owned()).collect();
        let reversed = (0..buffer.area.width).any(|x| buffer[(x, y)].modifier.contains(Modifier::REVERSED));
        if reversed && line.starts_with('│') {
            highlighted.push(line);
        }
    }
    assert!(highlighted.len() >= 3, "{highlighted:#?}");
    assert!(highlighted.iter().all(|l| l.contains("m2")), "{highlighted:#?}");
}

#[test]
fn help_and_the_status_bar_name_the_key_in_both_languages() {
    for (lang, section, what) in [
        (Lang::En, "Sequence diagram", "sequence diagram: a lane per node"),
        (Lang::Zh, "时序图", "时序图：每个节点一条泳道"),
    ] {
        let app = app(lang);
        let help: Vec<String> = mqlab_tui::widgets::help::lines(&app.ui)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert!(help.iter().any(|l| l == section), "{lang:?}: no section {section}");
        assert!(
            help.iter().any(|l| l.trim_start().starts_with('S') && l.contains(what)),
            "{lang:?}: {help:#?}"
        );
        let hint = if lang == Lang::En { "S diagram" } else { "S 时序图" };
        // At 120 columns; at 80 the bar keeps the first hints (send, step, play, back, run).
        let bar = screen(&app, 120, 40);
        assert!(bar.contains(hint), "{lang:?}: the status bar offers {hint}:\n{bar}");
    }
}
