//! The one key table of the terminal lab.
//!
//! Every key the lab answers to is a row of [`KEYMAP`]; the help screen, the status bar hints and
//! the `[key]` marks beside each setting are generated from it, so they can never disagree with
//! what a key does. Keys are looked up per [`Scope`]: the app says which scopes are active, in
//! priority order.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::i18n::T;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The lab itself: stages, ledger, events.
    Main,
    /// Typing after `:`.
    Command,
    /// A numbered menu (crash, restart, drop, partition, lessons).
    Menu,
    /// A read-only overlay: help, a journey, interview cards.
    Overlay,
    /// A message's journey (checked before `Overlay`, so ↑/↓ walk the messages).
    Journey,
    /// A running lesson (checked before `Main`, so its keys win).
    Lesson,
    /// Drill mode.
    Drill,
    /// The sequence diagram (checked before `Lesson` and `Main`, so PgUp/PgDn and Esc are its).
    Sequence,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::Main,
        Scope::Sequence,
        Scope::Lesson,
        Scope::Drill,
        Scope::Command,
        Scope::Menu,
        Scope::Overlay,
        Scope::Journey,
    ];

    pub fn title(self) -> T {
        match self {
            Scope::Main => T::ScopeMain,
            Scope::Command => T::ScopeCommand,
            Scope::Menu => T::ScopeMenu,
            Scope::Overlay => T::ScopeOverlay,
            Scope::Journey => T::ScopeJourney,
            Scope::Lesson => T::ScopeLesson,
            Scope::Drill => T::ScopeDrill,
            Scope::Sequence => T::ScopeSequence,
        }
    }
}

/// What a key asks for. Digit-carrying actions take the digit from the key pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Send,
    Step,
    PlayPause,
    Faster,
    Slower,
    Back,
    RunToEnd,
    /// Move a setting to its next value (`Settings::toggled`).
    Toggle(&'static str),
    CrashMenu,
    RestartMenu,
    DropMenu,
    PartitionMenu,
    Heal,
    FailNext,
    Promote,
    SelectPrev,
    SelectNext,
    /// A digit: a message number in the lab, a choice in a menu, an answer in a lesson or drill.
    Digit,
    Erase,
    Journey,
    CommandLine,
    Help,
    Lessons,
    Drill,
    Cards,
    /// Switch between the lab and the sequence diagram.
    Sequence,
    Quit,
    Close,
    Submit,
    HistoryPrev,
    HistoryNext,
    Next,
    ScrollUp,
    ScrollDown,
}

/// The keys of one binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    One(KeyCode),
    Two(KeyCode, KeyCode),
    /// `0`..=`9`.
    Digits,
}

impl Keys {
    fn matches(self, code: KeyCode) -> bool {
        match self {
            Keys::One(a) => code == a,
            Keys::Two(a, b) => code == a || code == b,
            Keys::Digits => matches!(code, KeyCode::Char(c) if c.is_ascii_digit()),
        }
    }

    /// How the key is written in help and hints.
    pub fn label(self) -> String {
        match self {
            Keys::One(a) => key_name(a),
            Keys::Two(a, b) => format!("{} {}", key_name(a), key_name(b)),
            Keys::Digits => "0-9".to_owned(),
        }
    }
}

fn key_name(code: KeyCode) -> String {
    match code {
        KeyCode::Char(' ') => "space".to_owned(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".to_owned(),
        KeyCode::Esc => "Esc".to_owned(),
        KeyCode::Backspace => "⌫".to_owned(),
        KeyCode::Up => "↑".to_owned(),
        KeyCode::Down => "↓".to_owned(),
        KeyCode::PageUp => "PgUp".to_owned(),
        KeyCode::PageDown => "PgDn".to_owned(),
        KeyCode::Tab => "Tab".to_owned(),
        other => format!("{other:?}"),
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub scope: Scope,
    pub keys: Keys,
    pub action: Action,
    /// What it does, for help. Toggles show their setting key instead.
    pub label: T,
    /// The short word shown in the status bar while the scope is active, if any.
    pub hint: Option<T>,
}

const fn bind(scope: Scope, keys: Keys, action: Action, label: T, hint: Option<T>) -> Binding {
    Binding { scope, keys, action, label, hint }
}

const fn ch(c: char) -> KeyCode {
    KeyCode::Char(c)
}

use Scope::{
    Command as Cmd, Drill as Dr, Journey as Jn, Lesson as Le, Main as Lab, Menu as Mn, Overlay as Ov,
    Sequence as Sq,
};

/// The key table. Order within a scope is the order of help and hints.
pub const KEYMAP: &[Binding] = &[
    bind(Lab, Keys::One(ch('?')), Action::Help, T::KeyHelp, Some(T::HintHelp)),
    bind(Lab, Keys::One(ch('s')), Action::Send, T::KeySend, Some(T::HintSend)),
    bind(Lab, Keys::One(ch('n')), Action::Step, T::KeyStep, Some(T::HintStep)),
    bind(Lab, Keys::One(ch(' ')), Action::PlayPause, T::KeyPlay, Some(T::HintPlay)),
    bind(Lab, Keys::Two(ch('+'), ch('=')), Action::Faster, T::KeyFaster, None),
    bind(Lab, Keys::One(ch('-')), Action::Slower, T::KeySlower, None),
    bind(Lab, Keys::One(ch('b')), Action::Back, T::KeyBack, Some(T::HintBack)),
    bind(Lab, Keys::One(ch('e')), Action::RunToEnd, T::KeyRun, Some(T::HintRun)),
    bind(Lab, Keys::One(ch('S')), Action::Sequence, T::KeySequence, Some(T::HintSequence)),
    bind(Lab, Keys::One(ch('x')), Action::CrashMenu, T::KeyCrash, Some(T::HintCrash)),
    bind(Lab, Keys::One(ch('u')), Action::RestartMenu, T::KeyRestart, None),
    bind(Lab, Keys::One(ch('d')), Action::DropMenu, T::KeyDrop, None),
    bind(Lab, Keys::One(ch('w')), Action::PartitionMenu, T::KeyPartition, None),
    bind(Lab, Keys::One(ch('h')), Action::Heal, T::KeyHeal, None),
    bind(Lab, Keys::One(ch('z')), Action::FailNext, T::KeyFailNext, None),
    bind(Lab, Keys::One(ch('v')), Action::Promote, T::KeyPromote, None),
    bind(Lab, Keys::One(ch('t')), Action::Toggle("producer.send"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('r')), Action::Toggle("producer.retries"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('k')), Action::Toggle("producer.require_send_ok"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('o')), Action::Toggle("producer.outbox"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('f')), Action::Toggle("broker.flush"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('R')), Action::Toggle("broker.replication"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('F')), Action::Toggle("replica.flush"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('c')), Action::Toggle("consumer.commit"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('a')), Action::Toggle("consumer.mode"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('i')), Action::Toggle("consumer.idempotent"), T::KeyToggle, None),
    bind(Lab, Keys::One(ch('g')), Action::Toggle("consumer.check_seq"), T::KeyToggle, None),
    bind(Lab, Keys::Two(KeyCode::Up, KeyCode::Down), Action::SelectPrev, T::KeySelect, None),
    bind(Lab, Keys::Digits, Action::Digit, T::KeyNumber, None),
    bind(Lab, Keys::One(KeyCode::Backspace), Action::Erase, T::KeyErase, None),
    bind(Lab, Keys::One(KeyCode::Enter), Action::Journey, T::KeyJourney, Some(T::HintWhy)),
    bind(Lab, Keys::One(ch(':')), Action::CommandLine, T::KeyCommand, Some(T::HintCommand)),
    bind(Lab, Keys::One(ch('l')), Action::Lessons, T::KeyLessons, Some(T::HintLessons)),
    bind(Lab, Keys::One(ch('D')), Action::Drill, T::KeyDrill, Some(T::HintDrill)),
    bind(Lab, Keys::One(ch('I')), Action::Cards, T::KeyCards, None),
    bind(Lab, Keys::One(ch('q')), Action::Quit, T::KeyQuit, Some(T::HintQuit)),
    bind(
        Sq,
        Keys::Two(KeyCode::PageUp, KeyCode::PageDown),
        Action::ScrollDown,
        T::KeyScrollDiagram,
        Some(T::KeyScroll),
    ),
    bind(Sq, Keys::One(KeyCode::Esc), Action::Close, T::KeyCloseDiagram, Some(T::HintLab)),
    bind(Le, Keys::Digits, Action::Digit, T::KeyAnswer, Some(T::KeyAnswer)),
    bind(Le, Keys::One(KeyCode::Tab), Action::Next, T::KeyNext, Some(T::KeyNext)),
    bind(Le, Keys::One(KeyCode::Esc), Action::Close, T::KeyClose, Some(T::KeyClose)),
    bind(Le, Keys::Two(KeyCode::PageUp, KeyCode::PageDown), Action::ScrollDown, T::KeyScrollLesson, None),
    bind(Dr, Keys::Digits, Action::Digit, T::KeyAnswer, Some(T::KeyAnswer)),
    bind(Dr, Keys::One(KeyCode::Backspace), Action::Erase, T::KeyErase, None),
    bind(Dr, Keys::One(KeyCode::Enter), Action::Submit, T::DrillRunIt, Some(T::DrillRunIt)),
    bind(Dr, Keys::One(ch('n')), Action::Next, T::DrillNext, Some(T::DrillNext)),
    bind(Dr, Keys::One(KeyCode::Esc), Action::Close, T::KeyClose, Some(T::KeyClose)),
    bind(Dr, Keys::One(ch('q')), Action::Quit, T::KeyQuit, None),
    bind(Cmd, Keys::One(KeyCode::Enter), Action::Submit, T::KeySubmit, Some(T::KeySubmit)),
    bind(Cmd, Keys::Two(KeyCode::Up, KeyCode::Down), Action::HistoryPrev, T::KeyHistory, Some(T::KeyHistory)),
    bind(Cmd, Keys::One(KeyCode::Backspace), Action::Erase, T::KeyErase, None),
    bind(Cmd, Keys::One(KeyCode::Esc), Action::Close, T::KeyClose, Some(T::KeyClose)),
    bind(Mn, Keys::Digits, Action::Digit, T::KeyChoose, Some(T::KeyChoose)),
    bind(Mn, Keys::One(KeyCode::Enter), Action::Submit, T::KeyChoose, None),
    bind(Mn, Keys::One(KeyCode::Esc), Action::Close, T::KeyClose, Some(T::KeyClose)),
    bind(
        Jn,
        Keys::Two(KeyCode::Up, KeyCode::Down),
        Action::ScrollUp,
        T::KeyOtherMessage,
        Some(T::KeyOtherMessage),
    ),
    bind(Ov, Keys::Two(KeyCode::Up, KeyCode::Down), Action::ScrollUp, T::KeyScroll, None),
    bind(
        Ov,
        Keys::Two(KeyCode::PageUp, KeyCode::PageDown),
        Action::ScrollDown,
        T::KeyScroll,
        Some(T::KeyScroll),
    ),
    bind(Ov, Keys::Two(KeyCode::Esc, ch('q')), Action::Close, T::KeyClose, Some(T::KeyClose)),
    bind(Ov, Keys::One(ch('?')), Action::Close, T::KeyClose, None),
];

/// The action bound to `key` in the first of `scopes` that binds it. The pair bindings whose two
/// keys mean opposite directions (↑/↓, PgUp/PgDn) resolve to the matching direction here.
pub fn lookup(scopes: &[Scope], key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Ctrl-C always quits: the terminal is in raw mode, so it never becomes a signal.
        return (key.code == ch('c')).then_some(Action::Quit);
    }
    let binding = scopes
        .iter()
        .find_map(|scope| KEYMAP.iter().find(|b| b.scope == *scope && b.keys.matches(key.code)))?;
    Some(match (binding.action, key.code) {
        (Action::SelectPrev, KeyCode::Down) => Action::SelectNext,
        (Action::HistoryPrev, KeyCode::Down) => Action::HistoryNext,
        (Action::ScrollUp, KeyCode::Down) => Action::ScrollDown,
        (Action::ScrollDown, KeyCode::PageUp) => Action::ScrollUp,
        (Action::ScrollDown, KeyCode::PageDown) => Action::ScrollDown,
        (action, _) => action,
    })
}

/// The key that toggles a setting, as written beside it on screen.
pub fn toggle_key(setting: &str) -> Option<String> {
    KEYMAP
        .iter()
        .find(|b| b.scope == Scope::Main && matches!(b.action, Action::Toggle(k) if k == setting))
        .map(|b| b.keys.label())
}

/// The first key bound to an action in a scope, for messages such as "press ? for help".
pub fn key_for(scope: Scope, action: Action) -> Option<String> {
    KEYMAP.iter().find(|b| b.scope == scope && b.action == action).map(|b| b.keys.label())
}

/// The status-bar hints of the active scopes: `(key, label)` pairs.
pub fn hints(scopes: &[Scope]) -> Vec<(String, T)> {
    let mut seen: Vec<Keys> = Vec::new();
    let mut hints = Vec::new();
    for b in scopes.iter().flat_map(|scope| KEYMAP.iter().filter(move |b| b.scope == *scope)) {
        // A key an earlier scope took is not offered again.
        if seen.contains(&b.keys) {
            continue;
        }
        seen.push(b.keys);
        if let Some(hint) = b.hint {
            hints.push((b.keys.label(), hint));
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use mqlab_core::settings;

    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for scope in Scope::ALL {
            let rows: Vec<&Binding> = KEYMAP.iter().filter(|b| b.scope == scope).collect();
            let mut codes: Vec<KeyCode> = (0u8..128).map(|c| KeyCode::Char(c as char)).collect();
            codes.extend([
                KeyCode::Enter,
                KeyCode::Esc,
                KeyCode::Up,
                KeyCode::Down,
                KeyCode::Backspace,
                KeyCode::Tab,
                KeyCode::PageUp,
                KeyCode::PageDown,
            ]);
            for code in codes {
                let n = rows.iter().filter(|b| b.keys.matches(code)).count();
                assert!(n <= 1, "{code:?} is bound {n} times in {scope:?}");
            }
        }
    }

    #[test]
    fn every_toggle_names_a_registry_setting() {
        for b in KEYMAP {
            if let Action::Toggle(key) = b.action {
                assert!(settings::spec(key).is_some(), "{key} is not in SETTINGS");
            }
        }
        // The toggles the issue asks for all have a key.
        for key in [
            "producer.send",
            "broker.flush",
            "broker.replication",
            "consumer.commit",
            "consumer.mode",
            "consumer.idempotent",
            "producer.retries",
        ] {
            assert!(toggle_key(key).is_some(), "{key} has no toggle key");
        }
    }

    #[test]
    fn scopes_are_searched_in_order() {
        let digit = press(ch('3'));
        assert_eq!(lookup(&[Scope::Lesson, Scope::Main], digit), Some(Action::Digit));
        assert_eq!(lookup(&[Scope::Main], press(ch('s'))), Some(Action::Send));
        assert_eq!(lookup(&[Scope::Lesson, Scope::Main], press(ch('s'))), Some(Action::Send));
        assert_eq!(lookup(&[Scope::Command], press(ch('s'))), None);
        assert_eq!(lookup(&[Scope::Main], press(KeyCode::Down)), Some(Action::SelectNext));
        assert_eq!(lookup(&[Scope::Main], press(KeyCode::Up)), Some(Action::SelectPrev));
        let ctrl_c = KeyEvent::new(ch('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&[Scope::Command], ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn hints_come_from_the_table() {
        let hints = hints(&[Scope::Main]);
        assert!(hints.contains(&("s".to_owned(), T::HintSend)));
        assert!(hints.contains(&("?".to_owned(), T::HintHelp)));
        assert!(!hints.iter().any(|(key, _)| key == "t"), "toggles are marked beside their settings");
    }
}
