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

    /// The line as it is kept: the Chinese one with a space between Chinese and Latin text.
    pub fn finished(self) -> Said {
        let zh = if self.zh.is_empty() { self.zh } else { spaced(&self.zh) };
        Said { en: self.en, zh }
    }

    /// The parts joined with `; ` (English) and `；` (Chinese).
    pub fn join(parts: Vec<Said>) -> Said {
        let en = parts.iter().map(|p| p.en.as_str()).collect::<Vec<_>>().join("; ");
        let zh = parts.iter().map(|p| p.zh.as_str()).collect::<Vec<_>>().join("；");
        Said { en, zh }
    }
}

/// A space between a Chinese character and a Latin letter or digit that touch (`发往Broker` →
/// `发往 Broker`), as Chinese technical writing spaces them; node names and ids are filled into
/// the Chinese lines without knowing what is beside them.
pub(crate) fn spaced(zh: &str) -> String {
    let ideograph = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    let latin = |c: char| c.is_ascii_alphanumeric();
    let mut out = String::with_capacity(zh.len() + 8);
    let mut prev: Option<char> = None;
    for c in zh.chars() {
        if let Some(p) = prev
            && ((ideograph(p) && latin(c)) || (latin(p) && ideograph(c)))
        {
            out.push(' ');
        }
        out.push(c);
        prev = Some(c);
    }
    out
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

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_and_latin_get_a_space_between() {
        assert_eq!(super::spaced("发往Broker，同步发送"), "发往 Broker，同步发送");
        assert_eq!(super::spaced("从节点已有 3 条记录"), "从节点已有 3 条记录");
        assert_eq!(super::spaced("m1已在去重表中"), "m1 已在去重表中");
        assert_eq!(super::spaced("（p1 序号 1）"), "（p1 序号 1）");
    }
}
