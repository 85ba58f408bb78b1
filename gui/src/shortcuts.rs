//! The one shortcut table of the desktop lab.
//!
//! Every keyboard shortcut is a row of [`SHORTCUTS`]. The toolbar buttons, the menus, the
//! tooltips and the help window are generated from it, so a key and its description can never
//! disagree. Egui's own Ctrl +/- zoom is switched off so that zoom, too, goes through this table.

use egui::{Key, KeyboardShortcut, Modifiers};
use mqlab_core::lesson::Lang;

use crate::i18n::T;

/// What a shortcut (or its button) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PlayPause,
    Step,
    Back,
    RunToEnd,
    Reset,
    Send,
    Faster,
    Slower,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    FullScreen,
    Presenter,
    Theme,
    Language,
    ToggleSettings,
    ToggleLedger,
    ToggleSequence,
    Help,
    Cards,
    LessonNext,
    LessonBack,
    Clear,
}

/// Which menu lists an action (the toolbar shows the [`Menu::Lab`] ones as buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Lab,
    View,
    Lesson,
    None,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Shortcut {
    pub action: Action,
    /// The keys, first one shown in labels.
    pub keys: &'static [KeyboardShortcut],
    /// The button / menu label.
    pub label: T,
    /// What it does, for tooltips and the help window.
    pub help: T,
    pub menu: Menu,
}

const fn key(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::NONE, key)
}

const fn ctrl(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::COMMAND, key)
}

/// The table.
pub const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        action: Action::PlayPause,
        keys: &[key(Key::Space)],
        label: T::Play,
        help: T::HelpPlay,
        menu: Menu::Lab,
    },
    Shortcut {
        action: Action::Step,
        keys: &[key(Key::S), key(Key::ArrowRight)],
        label: T::Step,
        help: T::HelpStep,
        menu: Menu::Lab,
    },
    Shortcut {
        action: Action::Back,
        keys: &[key(Key::B), key(Key::ArrowLeft)],
        label: T::Back,
        help: T::HelpBack,
        menu: Menu::Lab,
    },
    Shortcut {
        action: Action::RunToEnd,
        keys: &[key(Key::R)],
        label: T::RunToEnd,
        help: T::HelpRun,
        menu: Menu::Lab,
    },
    Shortcut {
        action: Action::Send,
        keys: &[key(Key::N)],
        label: T::Send,
        help: T::HelpSend,
        menu: Menu::Lab,
    },
    Shortcut {
        action: Action::Slower,
        keys: &[key(Key::OpenBracket)],
        label: T::Slower,
        help: T::HelpSlower,
        menu: Menu::Lab,
    },
    Shortcut {
        action: Action::Faster,
        keys: &[key(Key::CloseBracket)],
        label: T::Faster,
        help: T::HelpFaster,
        menu: Menu::Lab,
    },
    Shortcut {
        action: Action::Reset,
        keys: &[ctrl(Key::R)],
        label: T::Reset,
        help: T::HelpReset,
        menu: Menu::Lab,
    },
    Shortcut {
        action: Action::ZoomIn,
        keys: &[ctrl(Key::Equals), ctrl(Key::Plus)],
        label: T::ZoomIn,
        help: T::HelpZoomIn,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::ZoomOut,
        keys: &[ctrl(Key::Minus)],
        label: T::ZoomOut,
        help: T::HelpZoomOut,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::ZoomReset,
        keys: &[ctrl(Key::Num0)],
        label: T::ZoomReset,
        help: T::HelpZoomReset,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::FullScreen,
        keys: &[key(Key::F11)],
        label: T::FullScreen,
        help: T::HelpFullScreen,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::Presenter,
        keys: &[key(Key::F5)],
        label: T::Presenter,
        help: T::HelpPresenter,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::Theme,
        keys: &[key(Key::T)],
        label: T::Theme,
        help: T::HelpTheme,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::Language,
        keys: &[key(Key::L)],
        label: T::Language,
        help: T::HelpLanguage,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::ToggleSettings,
        keys: &[key(Key::F2)],
        label: T::ShowSettings,
        help: T::HelpSettings,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::ToggleLedger,
        keys: &[key(Key::F3)],
        label: T::ShowLedger,
        help: T::HelpLedger,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::ToggleSequence,
        keys: &[key(Key::F6)],
        label: T::ShowSequence,
        help: T::HelpSequence,
        menu: Menu::View,
    },
    Shortcut {
        action: Action::LessonNext,
        keys: &[key(Key::PageDown)],
        label: T::LessonNext,
        help: T::HelpLessonNext,
        menu: Menu::Lesson,
    },
    Shortcut {
        action: Action::LessonBack,
        keys: &[key(Key::PageUp)],
        label: T::LessonBack,
        help: T::HelpLessonBack,
        menu: Menu::Lesson,
    },
    Shortcut {
        action: Action::Help,
        keys: &[key(Key::F1), key(Key::Questionmark)],
        label: T::Help,
        help: T::HelpHelp,
        menu: Menu::None,
    },
    Shortcut {
        action: Action::Cards,
        keys: &[key(Key::F4), key(Key::I)],
        label: T::Cards,
        help: T::HelpCards,
        menu: Menu::None,
    },
    Shortcut {
        action: Action::Clear,
        keys: &[key(Key::Escape)],
        label: T::Clear,
        help: T::HelpClear,
        menu: Menu::None,
    },
];

/// The row of an action.
pub fn row(action: Action) -> &'static Shortcut {
    SHORTCUTS.iter().find(|s| s.action == action).expect("every action has a row in SHORTCUTS")
}

/// The keys of an action as people read them: "S / →".
pub fn keys_text(ctx: &egui::Context, action: Action) -> String {
    row(action).keys.iter().map(|k| key_text(ctx, k)).collect::<Vec<_>>().join(" / ")
}

/// One shortcut as printed on a keyboard: "[", "?", "Ctrl+=", "→". Egui's own formatting spells
/// keys by their enum names ("OpenBracket", "Questionmark") outside macOS.
pub fn key_text(ctx: &egui::Context, k: &KeyboardShortcut) -> String {
    let key = match k.logical_key {
        Key::ArrowLeft => "←",
        Key::ArrowRight => "→",
        Key::ArrowUp => "↑",
        Key::ArrowDown => "↓",
        Key::Minus => "-",
        other => other.symbol_or_name(),
    };
    if k.modifiers.is_none() {
        return key.to_owned();
    }
    let with_key = KeyboardShortcut::new(k.modifiers, Key::A);
    let formatted = ctx.format_shortcut(&with_key);
    // Egui puts the key last: swap its "A" for ours.
    format!("{}{key}", formatted.strip_suffix('A').unwrap_or(&formatted))
}

/// The tooltip of an action: what it does, then its keys.
pub fn tooltip(ctx: &egui::Context, action: Action, lang: Lang) -> String {
    format!("{} ({})", row(action).help.get(lang), keys_text(ctx, action))
}

/// A toolbar button for an action, labelled and explained from the table.
pub fn button(ui: &mut egui::Ui, action: Action, label: &str, lang: Lang, enabled: bool) -> bool {
    let tip = tooltip(ui.ctx(), action, lang);
    ui.add_enabled(enabled, egui::Button::new(label)).on_hover_text(tip).clicked()
}

/// A menu entry for an action, with its first key on the right.
pub fn menu_item(ui: &mut egui::Ui, action: Action, lang: Lang, checked: Option<bool>) -> bool {
    let row = row(action);
    let keys = row.keys.first().map(|k| key_text(ui.ctx(), k)).unwrap_or_default();
    let text = row.label.get(lang);
    let button = match checked {
        Some(on) => egui::Button::selectable(on, text),
        None => egui::Button::new(text),
    };
    ui.add(button.shortcut_text(keys)).on_hover_text(row.help.get(lang)).clicked()
}

/// The actions whose keys were pressed this frame. Plain-key shortcuts are skipped while a text
/// field has the keyboard, so typing a command never steps the world.
pub fn pressed(ctx: &egui::Context) -> Vec<Action> {
    let typing = ctx.egui_wants_keyboard_input();
    let mut out = Vec::new();
    ctx.input_mut(|input| {
        for row in SHORTCUTS {
            for k in row.keys {
                if typing && k.modifiers.is_none() && row.action != Action::Clear {
                    continue;
                }
                if input.consume_shortcut(k) {
                    out.push(row.action);
                    break;
                }
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for row in SHORTCUTS {
            for k in row.keys {
                assert!(!seen.contains(k), "{k:?} is bound twice");
                seen.push(*k);
            }
        }
    }

    #[test]
    fn keys_read_as_printed_on_the_keyboard() {
        let ctx = egui::Context::default();
        ctx.set_os(egui::os::OperatingSystem::Nix);
        assert_eq!(keys_text(&ctx, Action::Slower), "[");
        assert_eq!(keys_text(&ctx, Action::Help), "F1 / ?");
        assert_eq!(keys_text(&ctx, Action::Step), "S / →");
        assert_eq!(keys_text(&ctx, Action::ZoomIn), "Ctrl+= / Ctrl++");
        assert_eq!(keys_text(&ctx, Action::ZoomOut), "Ctrl+-");
        assert_eq!(keys_text(&ctx, Action::Reset), "Ctrl+R");
    }

    #[test]
    fn every_action_has_exactly_one_row() {
        for row in SHORTCUTS {
            assert_eq!(SHORTCUTS.iter().filter(|r| r.action == row.action).count(), 1);
        }
    }
}
