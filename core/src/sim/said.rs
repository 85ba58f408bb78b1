//! An event's line in English and, when the world is asked for it, in Chinese.
//!
//! Every line is written once in each language at the place that knows what happened, so the two
//! always say the same thing. The Chinese line is only formatted when a front end shows Chinese
//! ([`World::set_chinese`](super::World::set_chinese)): a headless run pays for one language.

/// One line in both languages (`zh` empty when Chinese was not asked for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    pub en: String,
    pub zh: String,
}

impl Said {
    /// Appends `more` to both lines.
    pub fn push(&mut self, more: Said) {
        self.en.push_str(&more.en);
        self.zh.push_str(&more.zh);
    }

    /// The parts joined with `; ` (English) and `；` (Chinese).
    pub fn join(parts: Vec<Said>) -> Said {
        let en = parts.iter().map(|p| p.en.as_str()).collect::<Vec<_>>().join("; ");
        let zh = parts.iter().map(|p| p.zh.as_str()).collect::<Vec<_>>().join("；");
        Said { en, zh }
    }
}

/// `said!(zh, "English {x}", "中文 {x}", args…)`: the line in English, and in Chinese when `zh`;
/// `said!(zh, "English {}", "中文 {n}"; en: args…)` when only the English line takes the arguments.
macro_rules! said {
    // Arguments only the English line uses (an English plural, say).
    ($zh:expr, $en:literal, $cn:literal; en: $($arg:expr),+ $(,)?) => {
        $crate::sim::said::Said {
            en: format!($en, $($arg),+),
            zh: if $zh { format!($cn) } else { String::new() },
        }
    };
    ($zh:expr, $en:literal, $cn:literal $(, $arg:expr)* $(,)?) => {
        $crate::sim::said::Said {
            en: format!($en $(, $arg)*),
            zh: if $zh { format!($cn $(, $arg)*) } else { String::new() },
        }
    };
}
pub(crate) use said;
