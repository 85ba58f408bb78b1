//! The lab driven through its keymap against a real (in-memory) session: every key goes through
//! `App::input`, exactly as the terminal delivers it, and the screens are TestBackend buffers.

use mqlab_core::ids::MsgId;
use mqlab_core::lesson::Lang;
use mqlab_core::log::StorageKind;
use mqlab_core::session::SessionConfig;
use mqlab_core::settings::Settings;
use mqlab_core::view::Fate;
use mqlab_tui::TuiOptions;
use mqlab_tui::app::{App, Msg, Overlay};
use mqlab_tui::keymap::{Action, KEYMAP, Keys, Scope};
use mqlab_tui::widgets::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn app_seeded(seed: u64, settings: Settings, lang: Lang) -> App {
    let session = SessionConfig { seed, storage: StorageKind::Mem, data_dir: None, settings };
    App::new(TuiOptions { session, lesson: None, lang }, Theme { color: false }).expect("the lab starts")
}

fn app_with(settings: Settings, lang: Lang) -> App {
    app_seeded(7, settings, lang)
}

fn app() -> App {
    app_with(Settings::default(), Lang::En)
}

fn key(app: &mut App, code: KeyCode) {
    app.input(KeyEvent::new(code, KeyModifiers::NONE));
}

/// Types characters as keys; `⏎` is Enter, `⎋` is Esc.
fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        let code = match c {
            '⏎' => KeyCode::Enter,
            '⎋' => KeyCode::Esc,
            '↑' => KeyCode::Up,
            '↓' => KeyCode::Down,
            c => KeyCode::Char(c),
        };
        key(app, code);
    }
}

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| app.render(f)).expect("draw");
    terminal.backend().to_string()
}

/// The screen at the size the smoke test uses, for snapshots.
fn snapshot(app: &App) -> String {
    screen(app, 120, 40)
}

#[test]
fn start_screen() {
    let app = app();
    insta::assert_snapshot!(snapshot(&app));
}

#[test]
fn every_toggle_key_moves_its_setting_to_the_next_value() {
    let mut app = app();
    for b in KEYMAP.iter().filter(|b| b.scope == Scope::Main) {
        let (Action::Toggle(setting), Keys::One(code)) = (b.action, b.keys) else { continue };
        let expected = app.ui.view.settings.toggled(setting).expect("a registry key");
        key(&mut app, code);
        assert_eq!(app.ui.view.settings.get(setting), Some(expected.clone()), "{setting} after {code:?}");
        let status = app.ui.status.clone().expect("a toggle says what it did");
        assert!(!status.error && status.text.starts_with(&format!("{setting} = {expected}")), "{status:?}");
    }
}

#[test]
fn send_step_back_and_run_go_through_the_session() {
    let mut app = app();
    keys(&mut app, "s");
    assert_eq!(app.ui.view.totals.sent, 1);
    let before = app.ui.view.step;
    keys(&mut app, "n");
    assert_eq!(app.ui.view.step, before + 1);
    keys(&mut app, "b");
    assert_eq!(app.ui.view.step, before);
    keys(&mut app, "e");
    assert!(app.ui.view.idle, "e runs until nothing is left");
    assert_eq!(app.ui.view.message(MsgId(1)).map(|m| m.fate), Some(Fate::Processed));
}

#[test]
fn play_steps_on_each_tick_and_stops_when_idle() {
    let mut app = app();
    keys(&mut app, "s ");
    assert!(app.ui.playing);
    assert!(app.tick_interval().is_some());
    let before = app.ui.view.step;
    app.update(Msg::Tick);
    assert_eq!(app.ui.view.step, before + 1);
    for _ in 0..10_000 {
        if !app.ui.playing {
            break;
        }
        app.update(Msg::Tick);
    }
    assert!(!app.ui.playing && app.ui.view.idle, "play stops once nothing is left");
    assert!(app.tick_interval().is_none(), "no ticks while paused: the loop sleeps");
}

#[test]
fn bad_commands_say_one_line_and_change_nothing() {
    let mut app = app();
    keys(&mut app, "s");
    let before = app.ui.view.clone();
    for (line, says) in [
        ("explode", "unknown command `explode`"),
        ("send 1000000000", "N must be an integer from 1 to 10000"),
        ("set broker.flush maybe", "expected sync|async"),
        ("send 2; explode", "unknown command `explode`"),
    ] {
        keys(&mut app, &format!(":{line}⏎"));
        let status = app.ui.status.clone().expect("a refusal is shown");
        assert!(status.error && status.text.contains(says), "{line}: {status:?}");
        assert_eq!(app.ui.view, before, "{line} changed the world");
        assert!(screen(&app, 120, 40).contains(says));
    }
    // Impossible actions: restart a broker that is up (u, then broker = 2).
    keys(&mut app, "u2");
    let status = app.ui.status.clone().expect("a refusal is shown");
    assert!(status.error, "{status:?}");
    assert_eq!(app.ui.view, before);
}

#[test]
fn the_command_line_runs_commands_and_keeps_history() {
    let mut app = app();
    keys(&mut app, ":send 2⏎");
    assert_eq!(app.ui.view.totals.sent, 2);
    keys(&mut app, ":run⏎");
    assert!(app.ui.view.idle);
    keys(&mut app, ":↑↑");
    assert_eq!(app.ui.command.input, "send 2");
    keys(&mut app, "↓");
    assert_eq!(app.ui.command.input, "run");
    keys(&mut app, "⎋");
    assert!(!app.ui.command.active);
    assert_eq!(app.ui.view.totals.sent, 2, "Esc runs nothing");
}

#[test]
fn help_lists_the_keymap() {
    let mut app = app();
    keys(&mut app, "?");
    assert!(matches!(app.ui.overlay, Some(Overlay::Help { .. })));
    let help = screen(&app, 120, 40);
    insta::assert_snapshot!(help);
    keys(&mut app, "⎋");
    assert!(app.ui.overlay.is_none());
}

/// One-way send, the next request dropped: lost, and nobody knows.
fn lose_one_in_the_network(app: &mut App) {
    keys(app, ":set producer.send oneway; drop next request⏎s");
    keys(app, "e");
}

#[test]
fn a_dropped_one_way_send_is_lost_and_explained() {
    let mut app = app();
    lose_one_in_the_network(&mut app);
    let m1 = app.ui.view.message(MsgId(1)).expect("m1 exists").clone();
    assert_eq!(m1.fate, Fate::Lost);
    let text = screen(&app, 120, 40);
    assert!(text.contains("✗m1") && text.contains("dropped_in_network"), "{text}");
    keys(&mut app, "⏎");
    let Some(Overlay::Journey { journey, .. }) = &app.ui.overlay else { panic!("Enter opens the journey") };
    assert_eq!(journey.message.id, MsgId(1));
    assert!(screen(&app, 120, 40).contains(&journey.explanation.chars().take(40).collect::<String>()));
}

#[test]
fn after_a_crash_that_loses_a_message() {
    let mut app = app();
    // The consumer is cut off so the message waits on the broker; the broker's disk then fails
    // (x: crash menu, 2: broker, 3: disk) with no replica.
    keys(&mut app, ":partition consumer; send 1; run 50⏎");
    keys(&mut app, "x23");
    let lost: Vec<_> = app.ui.view.messages.iter().filter(|m| m.fate == Fate::Lost).collect();
    assert!(!lost.is_empty(), "{:#?}", app.ui.view.messages);
    insta::assert_snapshot!(snapshot(&app));
    keys(&mut app, "⏎");
    insta::assert_snapshot!("journey", snapshot(&app));
}

#[test]
fn an_envelope_to_the_replica_shows_on_its_line_at_80_and_120_columns() {
    let mut app = app();
    keys(&mut app, ":set broker.replication sync; send 1⏎");
    for _ in 0..20 {
        if app.ui.view.in_flight.iter().any(|e| e.to == mqlab_core::ids::Node::REPLICA) {
            break;
        }
        keys(&mut app, "n");
    }
    assert!(
        app.ui.view.in_flight.iter().any(|e| e.to == mqlab_core::ids::Node::REPLICA),
        "no replication yet"
    );
    for (width, height) in [(80, 24), (120, 40)] {
        let text = screen(&app, width, height);
        let line = text.lines().find(|l| l.contains("│replica ")).expect("the replica's line");
        assert!(line.contains("m1→"), "{width}x{height}: {line}");
    }
}

/// A failover: the replica is promoted after the master crashed, then one more message is sent.
fn promoted() -> App {
    let mut app = app();
    keys(
        &mut app,
        ":set broker.replication sync; send 2; run; crash broker; promote replica; send 1; run 3⏎",
    );
    app
}

#[test]
fn after_a_promotion_the_links_go_to_the_promoted_replica() {
    let app = promoted();
    let request = app.ui.view.in_flight.iter().find(|e| e.kind == mqlab_core::view::EnvelopeKind::Request);
    assert_eq!(request.map(|e| e.to), Some(mqlab_core::ids::Node::REPLICA), "{:?}", app.ui.view.in_flight);
    for (width, height) in [(80, 24), (120, 40)] {
        let text = screen(&app, width, height);
        let line = |name: &str| text.lines().find(|l| l.contains(name)).expect(name).to_owned();
        let (old, new) = (line("│broker "), line("│replica "));
        // Both link arrows end on the promoted replica's row, none on the retired broker's.
        assert_eq!(new.matches("─▶│").count(), 2, "{width}x{height}:\n{text}");
        assert!(!old.contains('▶'), "{width}x{height}:\n{text}");
        assert!(old.contains("retired"), "{width}x{height}:\n{text}");
        assert!(new.contains("new master"), "{width}x{height}:\n{text}");
        // The request of the new message is on its way to it.
        assert!(text.contains("m3→"), "{width}x{height}:\n{text}");
    }
}

#[test]
fn a_promotion_at_80x24() {
    insta::assert_snapshot!(screen(&promoted(), 80, 24));
}

#[test]
fn a_promotion_at_120x40() {
    insta::assert_snapshot!(screen(&promoted(), 120, 40));
}

/// A world of four producers, four consumers and eight queues, part-way through 40 messages.
fn crowded() -> App {
    let mut app = app();
    keys(
        &mut app,
        ":set cluster.producers 4; set cluster.consumers 4; set topic.queues 8; send 40; step 80⏎",
    );
    app
}

#[test]
fn a_crowded_world_draws_every_node_and_queue() {
    let app = crowded();
    let t = &app.ui.view.topology;
    assert_eq!((t.producers.len(), t.consumers.len(), t.queues.len()), (4, 4, 8));
    let text = screen(&app, 120, 40);
    for node in t.producers.iter().chain(&t.brokers).chain(&t.consumers) {
        assert!(text.contains(&format!("│{} ", node.name())), "{node} is not drawn:\n{text}");
    }
    for q in &t.queues {
        let owner = q.owner.map_or("—", |o| o.name());
        let entry = format!("q{} {}/{}→{owner}", q.id, q.stored, q.committed);
        assert!(text.contains(&entry), "{entry} is not drawn:\n{text}");
    }
    // Each consumer's row lists the queues it owns.
    for c in &t.consumers {
        let owned: Vec<String> =
            t.queues.iter().filter(|q| q.owner == Some(*c)).map(|q| q.id.to_string()).collect();
        let row = text.lines().find(|l| l.contains(&format!("│{} ", c.name()))).expect("its row");
        assert!(owned.is_empty() || row.contains(&format!("q{}", owned.join(","))), "{row}");
    }
}

#[test]
fn a_crowded_world_at_80x24() {
    insta::assert_snapshot!(screen(&crowded(), 80, 24));
}

#[test]
fn a_crowded_world_at_120x40() {
    insta::assert_snapshot!(screen(&crowded(), 120, 40));
}

#[test]
fn the_node_pickers_list_the_topology() {
    let mut app = app();
    keys(&mut app, ":set cluster.producers 2; set cluster.consumers 3⏎x");
    let Some(Overlay::Menu(menu)) = &app.ui.overlay else { panic!("the crash menu is open") };
    let labels: Vec<&str> = menu.items.iter().map(|i| i.label.as_str()).collect();
    let t = &app.ui.view.topology;
    let nodes: Vec<_> = t.producers.iter().chain(&t.brokers).chain(&t.consumers).collect();
    assert_eq!(labels.len(), 2 + 2 + 3, "{labels:?}");
    assert_eq!(labels.len(), nodes.len(), "{labels:?}");
    for (label, node) in labels.iter().zip(nodes) {
        assert!(label.starts_with(node.name()), "{label} for {node}");
    }
}

#[test]
fn a_message_is_picked_by_its_number() {
    let mut app = app();
    keys(&mut app, ":send 12; run⏎");
    keys(&mut app, "12⏎");
    let Some(Overlay::Journey { journey, .. }) = &app.ui.overlay else { panic!("12 Enter opens m12") };
    assert_eq!(journey.message.id, MsgId(12));
    keys(&mut app, "↑");
    let Some(Overlay::Journey { journey, .. }) = &app.ui.overlay else { panic!("still a journey") };
    assert_eq!(journey.message.id, MsgId(11), "↑ walks to the previous message");
    keys(&mut app, "⎋99⏎");
    assert!(app.ui.overlay.is_none());
    assert!(app.ui.status.as_ref().is_some_and(|s| s.error), "m99 does not exist");
}

#[test]
fn a_drill_is_predicted_run_scored_and_explained() {
    // Seed 48 draws, as drill #1, a power loss on a broker with asynchronous flush.
    let mut app = app_seeded(48, Settings::default(), Lang::En);
    keys(&mut app, "D");
    let drill = app.ui.drill.as_ref().expect("D opens a drill");
    let (scenario, outcome) = drill.scenario.clone().expect("a drill scenario is drawn");
    // Answer exactly right: the true count, and a preventing setting (or "nothing is lost").
    let lost = outcome.lost.len();
    let choice = outcome.preventers.first().map_or(0, |i| i + 1);
    keys(&mut app, &format!("{lost}⏎{choice}⏎"));
    let drill = app.ui.drill.as_ref().expect("still in the drill");
    assert!(drill.is_scored());
    assert_eq!((app.ui.score.points, app.ui.score.possible), (2, 2), "{scenario:#?}");
    insta::assert_snapshot!(snapshot(&app));
    // A wrong count scores 1 of 2 on the next drill; the running score keeps both.
    keys(&mut app, "n");
    let (_, outcome) = app.ui.drill.as_ref().unwrap().scenario.clone().unwrap();
    let wrong = outcome.lost.len() + 1;
    let choice = outcome.preventers.first().map_or(0, |i| i + 1);
    keys(&mut app, &format!("{wrong}⏎{choice}⏎"));
    assert_eq!((app.ui.score.points, app.ui.score.possible), (3, 4));
    keys(&mut app, "⎋");
    assert!(app.ui.drill.is_none());
}

#[test]
fn chinese_switches_the_ui_text() {
    let mut app = app_with(Settings::default(), Lang::Zh);
    let text = screen(&app, 120, 40);
    assert!(text.contains("生产者") && text.contains("账本") && text.contains("事件"), "{text}");
    // The totals and fates are words to read; the cause stays the word a command or lesson uses.
    lose_one_in_the_network(&mut app);
    for (width, height) in [(80, 24), (120, 40)] {
        let text = screen(&app, width, height);
        assert!(text.contains("已发送 1") && text.contains("丢失 1") && !text.contains("sent 1"), "{text}");
        let row =
            text.lines().find(|l| l.contains("✗m1") && l.contains("dropped_in_network")).expect("m1's row");
        assert!(row.contains("丢失"), "{row}");
        // The event log speaks Chinese too.
        assert!(text.contains("网络：丢弃了请求 m1"), "{text}");
    }
    // The journey says why in Chinese, naming the cause as a command would.
    keys(&mut app, "⏎");
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("m1 丢失了")
            && text.contains("请求在网络中被丢弃")
            && text.contains("（dropped_in_network）"),
        "{text}"
    );
    keys(&mut app, "⎋");
    // Refusals and typos are said in Chinese, naming the command as typed.
    keys(&mut app, ":restart broker⏎");
    assert!(screen(&app, 120, 40).contains("restart broker：broker 正在运行"));
    keys(&mut app, ":fly 3⏎");
    assert!(screen(&app, 120, 40).contains("未知命令 `fly`"));
    keys(&mut app, ":set broker.flush fast⏎");
    assert!(screen(&app, 120, 40).contains("broker.flush 的值 `fast` 不对：应为 sync|async"));
    // A toggle explains itself in Chinese.
    keys(&mut app, "f");
    assert!(screen(&app, 120, 40).contains("broker.flush = sync — SYNC_FLUSH（刷盘后再应答）"));
    // A drill says what happens in Chinese too.
    keys(&mut app, "D");
    let (scenario, _) = app.ui.drill.as_ref().expect("D opens a drill").scenario.clone().expect("a scenario");
    let text = screen(&app, 80, 24);
    assert!(text.contains(scenario.fault.1) && !text.contains(scenario.fault.0), "{text}");
}

#[test]
fn at_80x24_the_lab_fits_and_smaller_says_so() {
    let mut app = app();
    lose_one_in_the_network(&mut app);
    let text = screen(&app, 80, 24);
    assert!(text.contains("✗m1") && text.contains("dropped_in_network"), "{text}");
    // The notes under the boxes fit whole in their short forms.
    assert!(text.contains(" p1 seq 2 mem 0 ") && text.contains(" 0 rec, 0 B dirty "), "{text}");
    assert!(screen(&app, 79, 24).contains("terminal too small; it needs"));
}

/// A small seeded generator for the key storm.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *state >> 33
}

#[test]
fn no_key_sequence_panics() {
    let seed: u64 = std::env::var("MQLAB_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20240601);
    let mut codes: Vec<KeyCode> =
        "sn +-bextuwdhzvrkofRFcaigDI?:l0123456789q#@ ".chars().map(KeyCode::Char).collect();
    codes.extend([
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Backspace,
        KeyCode::Tab,
    ]);
    let result = std::panic::catch_unwind(|| {
        let mut app = app();
        let mut state = seed;
        for _ in 0..3000 {
            let code = codes[(next(&mut state) % codes.len() as u64) as usize];
            if code == KeyCode::Char('q') {
                // Quitting ends nothing in a test; keep the storm going.
                continue;
            }
            key(&mut app, code);
            if next(&mut state).is_multiple_of(7) {
                app.update(Msg::Tick);
            }
            if next(&mut state).is_multiple_of(50) {
                screen(&app, 80, 24);
            }
        }
    });
    if result.is_err() {
        panic!(
            "a key sequence panicked; reproduce: MQLAB_SEED={seed} cargo test -p mqlab-tui --test app no_key_sequence_panics"
        );
    }
}

#[test]
fn every_lesson_title_shows_whole_in_the_picker_at_80x24() {
    for lang in [Lang::En, Lang::Zh] {
        let mut app = app_with(Settings::default(), lang);
        keys(&mut app, "l");
        assert!(matches!(app.ui.overlay, Some(Overlay::Menu(_))), "l opens the lesson picker");
        let text = screen(&app, 80, 24);
        for lesson in mqlab_core::lesson::builtin() {
            let title = lesson.title.get(lang);
            assert!(text.contains(title), "{lang:?}: `{title}` is cut:\n{text}");
        }
    }
}

/// The first `n` characters of a text, which fit on one line of the narrowest lesson pane.
fn opening(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

#[test]
fn at_80x24_every_question_and_its_choices_are_in_sight_and_pgup_shows_the_narration() {
    use mqlab_tui::lessons::Phase;
    for lang in [Lang::En, Lang::Zh] {
        for lesson in mqlab_core::lesson::builtin() {
            let session = SessionConfig {
                seed: 7,
                storage: StorageKind::Mem,
                data_dir: None,
                settings: Settings::default(),
            };
            let options = TuiOptions { session, lesson: Some(lesson.clone()), lang };
            let mut app = App::new(options, Theme { color: false }).expect("the lab starts");
            for _ in 0..200 {
                let Some(run) = app.ui.lesson.clone() else { break };
                let here = format!("{lang:?} {} step {}", lesson.id, run.step + 1);
                match &run.phase {
                    Phase::Done => break,
                    Phase::Ask => {
                        let question = run.lesson.steps[run.step].question.as_ref().expect("a question");
                        let text = screen(&app, 80, 24);
                        assert!(text.contains(&opening(question.prompt.get(lang), 6)), "{here}:\n{text}");
                        for choice in &question.choices {
                            assert!(text.contains(&opening(choice.get(lang), 6)), "{here}:\n{text}");
                        }
                        // Scrolling up reaches the narration's first words, and back down.
                        let narration = opening(run.lesson.steps[run.step].narration.get(lang), 6);
                        for _ in 0..20 {
                            key(&mut app, KeyCode::PageUp);
                        }
                        assert!(screen(&app, 80, 24).contains(&narration), "{here}: PgUp");
                        for _ in 0..20 {
                            key(&mut app, KeyCode::PageDown);
                        }
                        assert_eq!(screen(&app, 80, 24), text, "{here}: PgDn goes back");
                        keys(&mut app, &(question.answer + 1).to_string());
                    }
                    Phase::Observed { answer, .. } => {
                        if answer.is_some() {
                            let text = screen(&app, 80, 24);
                            let verdict = if lang == Lang::Zh { "正确" } else { "right" };
                            assert!(text.contains(verdict), "{here}: no verdict:\n{text}");
                        }
                        key(&mut app, KeyCode::Tab);
                    }
                    Phase::Read => key(&mut app, KeyCode::Tab),
                }
            }
        }
    }
}

#[test]
fn no_chinese_character_spills_over_an_overlay_border() {
    let mut app = app_with(Settings::default(), Lang::Zh);
    lose_one_in_the_network(&mut app);
    for open in ["I", "?", "l", "⏎", "x"] {
        keys(&mut app, open);
        assert!(app.ui.overlay.is_some(), "{open} opens an overlay");
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
        // The frame as drawn, before the diff to the terminal hides what a wide character covers.
        let buffer = terminal.draw(|f| app.render(f)).expect("draw").buffer.clone();
        for y in 0..24 {
            for x in 0..79 {
                let (here, next) = (&buffer[(x, y)], &buffer[(x + 1, y)]);
                let wide = ratatui::text::Span::raw(here.symbol()).width() > 1;
                // The cell a wide character covers must be left empty, not drawn on.
                assert!(
                    !wide || next.symbol() == " " || next.symbol().is_empty(),
                    "after {open}: `{}` at ({x},{y}) spills over `{}`",
                    here.symbol(),
                    next.symbol()
                );
            }
        }
        keys(&mut app, "⎋");
    }
}

#[test]
fn menus_take_numbers_past_nine() {
    use mqlab_tui::app::{Menu, MenuItem, Then};
    let mut app = app();
    let items =
        (1..=12).map(|i| MenuItem { label: format!("send {i}"), then: Then::Perform(format!("send {i}")) });
    app.ui.overlay = Some(Overlay::Menu(Menu::new(mqlab_tui::i18n::T::Lessons, items.collect())));
    keys(&mut app, "1");
    assert!(
        matches!(&app.ui.overlay, Some(Overlay::Menu(m)) if m.typed == "1"),
        "1 could still become 10..12"
    );
    keys(&mut app, "2");
    assert!(app.ui.overlay.is_none());
    assert_eq!(app.ui.view.totals.sent, 12, "1 then 2 chose item 12");
    app.ui.overlay = Some(Overlay::Menu(Menu::new(mqlab_tui::i18n::T::Lessons, vec![])));
    keys(&mut app, "5⏎⎋");
    assert!(app.ui.overlay.is_none());
    // Enter takes a prefix as it stands; a digit past the end is forgotten.
    let items =
        (1..=12).map(|i| MenuItem { label: format!("send {i}"), then: Then::Perform(format!("send {i}")) });
    app.ui.overlay = Some(Overlay::Menu(Menu::new(mqlab_tui::i18n::T::Lessons, items.collect())));
    keys(&mut app, "1⏎");
    assert_eq!(app.ui.view.totals.sent, 13);
}

/// Walks a lesson to its end through the keymap, answering each question correctly; returns
/// every failed claim or refused command on the way.
fn walk_lesson(id: &str, lang: Lang) -> Vec<String> {
    use mqlab_tui::lessons::Phase;
    let session =
        SessionConfig { seed: 7, storage: StorageKind::Mem, data_dir: None, settings: Settings::default() };
    let lesson = mqlab_core::lesson::find(id).expect("a shipped lesson");
    let mut app = App::new(TuiOptions { session, lesson: Some(lesson), lang }, Theme { color: false })
        .expect("the lab starts");
    let steps = app.ui.lesson.as_ref().map(|r| r.lesson.steps.len()).expect("the lesson is open");
    let mut observed = 0;
    let mut problems = Vec::new();
    for _ in 0..200 {
        let Some(run) = app.ui.lesson.clone() else { break };
        match &run.phase {
            Phase::Done => break,
            Phase::Ask => {
                let answer = run.lesson.steps[run.step].question.as_ref().expect("a question").answer;
                keys(&mut app, &(answer + 1).to_string());
            }
            Phase::Observed { checks, error, .. } => {
                problems.extend(error.iter().map(|e| format!("{id} step {}: refused: {e}", run.step + 1)));
                for (claim, result) in checks {
                    if let Err(found) = result {
                        problems.push(format!("{id} step {}: {claim}: {found}", run.step + 1));
                    }
                }
                observed += 1;
                key(&mut app, KeyCode::Tab);
            }
            Phase::Read => key(&mut app, KeyCode::Tab),
        }
        // Every screen on the way renders.
        screen(&app, 80, 24);
    }
    assert!(app.ui.lesson.as_ref().is_some_and(|r| r.phase == Phase::Done), "{id}: did not reach the end");
    assert!(observed > 0 && observed <= steps, "{id}: observed {observed} of {steps} steps");
    problems
}

#[test]
fn every_lesson_runs_to_its_end_in_both_languages() {
    let lessons = mqlab_core::lesson::builtin();
    assert!(lessons.len() >= 14);
    for lang in [Lang::En, Lang::Zh] {
        let problems: Vec<String> = lessons.iter().flat_map(|l| walk_lesson(&l.id, lang)).collect();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

#[test]
fn the_interview_cards_open_from_their_key() {
    let mut app = app();
    let binding = KEYMAP.iter().find(|b| b.action == Action::Cards).expect("a key for the cards");
    let Keys::One(code) = binding.keys else { panic!("one key opens the cards") };
    key(&mut app, code);
    assert!(matches!(app.ui.overlay, Some(Overlay::Cards { .. })));
    let text = screen(&app, 120, 40);
    assert!(text.contains("How do you guarantee that no message is lost?"), "{text}");
    let mut zh = app_with(Settings::default(), Lang::Zh);
    key(&mut zh, code);
    assert!(screen(&zh, 120, 40).contains("如何保证消息不丢失"));
}
