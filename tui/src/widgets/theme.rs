//! Colours and marks. With `NO_COLOR` set every style drops its colour but keeps its marks
//! (✗ for lost, ×N for duplicates, bold and reverse), so nothing is told by colour alone.

use mqlab_core::lesson::Lang;
use mqlab_core::view::TokenState;
use ratatui::style::{Color, Modifier, Style};

use crate::i18n::T;

/// How the lab is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    pub fn token(self, state: TokenState) -> Style {
        let style = self.fg(token_color(state));
        match state {
            TokenState::Lost => style.add_modifier(Modifier::BOLD),
            TokenState::Duplicated => style.add_modifier(Modifier::BOLD),
            _ => style,
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color { Style::new().fg(Color::DarkGray) } else { Style::new() }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }

    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn down(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn value(self) -> Style {
        self.fg(Color::White).add_modifier(Modifier::BOLD)
    }
}

fn token_color(state: TokenState) -> Color {
    match state {
        TokenState::ProducerMemory => Color::Yellow,
        TokenState::InFlight => Color::Cyan,
        TokenState::PageCache => Color::Magenta,
        TokenState::Flushed => Color::Blue,
        TokenState::Replicated => Color::LightBlue,
        TokenState::Processing => Color::LightYellow,
        TokenState::Processed => Color::Green,
        TokenState::Retrying => Color::LightMagenta,
        TokenState::Lost => Color::Red,
        TokenState::Duplicated => Color::LightRed,
        TokenState::Failed => Color::Gray,
        TokenState::DeadLettered => Color::DarkGray,
    }
}

/// Every token state, in legend order.
pub const TOKEN_STATES: [TokenState; 12] = TokenState::ALL;

/// A state's name in the legend.
pub fn token_name(state: TokenState, lang: Lang) -> &'static str {
    let (en, zh) = match state {
        TokenState::ProducerMemory => ("memory", "内存"),
        TokenState::InFlight => ("in flight", "传输中"),
        TokenState::PageCache => ("page cache", "页缓存"),
        TokenState::Flushed => ("flushed", "已刷盘"),
        TokenState::Replicated => ("replicated", "已复制"),
        TokenState::Processing => ("processing", "处理中"),
        TokenState::Processed => ("processed", "已处理"),
        TokenState::Retrying => ("retrying", "重试中"),
        TokenState::Lost => ("✗ lost", "✗ 丢失"),
        TokenState::Duplicated => ("×N dup", "×N 重复"),
        TokenState::Failed => ("failed", "失败"),
        TokenState::DeadLettered => ("DLQ", "死信"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// The legend's heading.
pub fn legend_title(lang: Lang) -> &'static str {
    T::Legend.get(lang)
}
