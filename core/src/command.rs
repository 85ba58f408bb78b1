//! The command language: one grammar for the TUI command line, the GUI console,
//! lessons, scenarios and the CLI.
//!
//! Parsing is all-or-nothing: a line of `;`-separated commands is parsed completely before any of
//! it is applied, so a bad command in the middle changes nothing.

use std::fmt;

use crate::ids::Node;
use crate::settings::{self, SettingError};

/// The most messages one `send` may create.
pub const MAX_SEND: u64 = 10_000;
/// Longest message key `send … key K` takes.
pub const MAX_KEY_CHARS: usize = 64;
/// The most messages one session may create, all its `send`s together.
pub const MAX_MESSAGES: u64 = 100_000;
/// The most events one `step` may process.
pub const MAX_STEP: u64 = 1_000_000;
/// The most virtual milliseconds one `run MS` may cover (7 days: beyond the whole retry ladder).
pub const MAX_RUN_MS: u64 = 7 * 24 * 3600 * 1000;
/// The most failures one `fail next` may arm.
pub const MAX_FAIL: u64 = 1_000;
/// The longest command (between two `;`), in characters; the longest valid one is far shorter.
pub const MAX_COMMAND_CHARS: usize = 200;
/// How much of the user's input an error message repeats, in characters.
pub const ECHO_CHARS: usize = 60;

/// An error message as shown: every `quoted` piece of the user's text in it cut after
/// [`ECHO_CHARS`] characters, and control characters escaped everywhere.
pub fn shown_message(message: &str) -> String {
    let mut out = String::new();
    for (i, piece) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd pieces are between backquotes (an unpaired last one is cut too: it is user text).
        out.push_str(&shown(piece, if i % 2 == 1 { ECHO_CHARS } else { usize::MAX }));
    }
    out
}

/// The user's text as an error message repeats it: control characters escaped (`\u{1b}`,
/// `\n`…), and cut after `max_chars` characters with `…` and how long it was.
pub fn shown(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push_str(&format!("… ({} characters)", text.chars().count()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// What a crash destroys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashKind {
    /// kill -9: process memory is gone, the page cache and the disk survive.
    Process,
    /// Power loss / machine crash: memory and the page cache are gone, the disk survives.
    Power,
    /// Disk failure: the node's files are gone (broker and replica only).
    Disk,
}

impl CrashKind {
    pub fn name(self) -> &'static str {
        match self {
            CrashKind::Process => "process",
            CrashKind::Power => "power",
            CrashKind::Disk => "disk",
        }
    }

    /// The kinds that apply to a node, in menu order.
    pub fn for_node(node: Node) -> &'static [CrashKind] {
        if node.has_log() {
            &[CrashKind::Process, CrashKind::Power, CrashKind::Disk]
        } else {
            &[CrashKind::Process, CrashKind::Power]
        }
    }
}

/// The kinds of envelope the network carries that a user can drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropKind {
    /// producer → broker: a send attempt.
    Request,
    /// broker → producer: the send result.
    Response,
    /// broker → consumer: a pulled message.
    Delivery,
    /// consumer → broker: an offset commit.
    Commit,
}

impl DropKind {
    pub const ALL: [DropKind; 4] =
        [DropKind::Request, DropKind::Response, DropKind::Delivery, DropKind::Commit];

    pub fn name(self) -> &'static str {
        match self {
            DropKind::Request => "request",
            DropKind::Response => "response",
            DropKind::Delivery => "delivery",
            DropKind::Commit => "commit",
        }
    }
}

/// One command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `send N`: N messages from `producer`, each to the next queue (round-robin).
    Send(u64),
    /// `send N from P key K`: from another producer, or to the queue a key picks (RocketMQ's
    /// `SelectMessageQueueByHash`), or both.
    SendAs {
        n: u64,
        from: Node,
        key: Option<String>,
    },
    Step(u64),
    /// Run until nothing is left to do (`None`) or for this many more virtual ms.
    Run(Option<u64>),
    Back(u64),
    Set {
        key: &'static str,
        value: String,
    },
    Crash(Node, CrashKind),
    Restart(Node),
    DropNext(DropKind),
    Partition(Node),
    Heal,
    FailNext(u64),
    PromoteReplica,
}

impl Command {
    /// Messages this command creates.
    pub fn sends(&self) -> u64 {
        match self {
            Command::Send(n) | Command::SendAs { n, .. } => *n,
            _ => 0,
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Send(n) => write!(f, "send {n}"),
            Command::SendAs { n, from, key } => {
                write!(f, "send {n}")?;
                if *from != Node::PRODUCER {
                    write!(f, " from {from}")?;
                }
                if let Some(key) = key {
                    write!(f, " key {key}")?;
                }
                Ok(())
            }
            Command::Step(n) => write!(f, "step {n}"),
            Command::Run(None) => write!(f, "run"),
            Command::Run(Some(ms)) => write!(f, "run {ms}"),
            Command::Back(n) => write!(f, "back {n}"),
            Command::Set { key, value } => write!(f, "set {key} {value}"),
            Command::Crash(node, kind) => write!(f, "crash {node} {}", kind.name()),
            Command::Restart(node) => write!(f, "restart {node}"),
            Command::DropNext(kind) => write!(f, "drop next {}", kind.name()),
            Command::Partition(node) => write!(f, "partition {node}"),
            Command::Heal => write!(f, "heal"),
            Command::FailNext(n) => write!(f, "fail next {n}"),
            Command::PromoteReplica => write!(f, "promote replica"),
        }
    }
}

/// The valid forms, one per line, for help screens and error messages.
pub const FORMS: &[(&str, &str)] = &[
    (
        "send [N] [from PRODUCER] [key K]",
        "send N messages (default 1), round-robin over the queues; from another producer; all to the queue key K picks",
    ),
    ("step [N]", "process N events (default 1)"),
    ("run [MS]", "run until nothing is left to do, or MS more virtual ms"),
    ("back [N]", "rewind N steps"),
    ("set KEY VALUE", "change a setting, effective from now"),
    ("crash NODE [process|power|disk]", "default process; disk only for broker/replica"),
    ("restart NODE", "restart a crashed node, with recovery"),
    ("drop next request|response|delivery|commit", "drop the next envelope of that kind"),
    ("partition NODE", "cut a node off the network"),
    ("heal", "reconnect everything"),
    ("fail next [N]", "the consumer's business logic fails for the next N deliveries"),
    ("promote replica", "fail over to the replica"),
];

/// Why a command was refused. Its text is the one line the user sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty command; commands are: {}", verbs())]
    Empty,
    #[error("`{got}`: a command is at most {max} characters", max = MAX_COMMAND_CHARS)]
    TooLong { got: String },
    #[error("unknown command `{verb}`; commands are: {}", verbs())]
    UnknownVerb { verb: String },
    #[error("`{got}`: expected `{form}`")]
    BadForm { got: String, form: &'static str },
    #[error("`{got}`: {what} must be an integer from {min} to {max}")]
    OutOfRange { got: String, what: &'static str, min: u64, max: u64 },
    #[error("unknown node `{0}`; nodes are: producer, producer2…4, broker, replica, consumer, consumer2…4")]
    UnknownNode(String),
    #[error("`{got}`: a key is 1 to {max} printable characters", max = MAX_KEY_CHARS)]
    BadKey { got: String },
    #[error("`send … from {node}`: only a producer sends")]
    NotAProducer { node: Node },
    #[error("`crash {node} disk`: only broker and replica have a disk to lose")]
    NoDisk { node: Node },
    #[error(transparent)]
    Setting(#[from] SettingError),
}

impl ParseError {
    /// The one line in `lang` (English is the `Display` text).
    pub fn text(&self, lang: crate::lesson::Lang) -> String {
        if lang == crate::lesson::Lang::En {
            return self.to_string();
        }
        match self {
            ParseError::Empty => format!("命令为空；可用的命令：{}", verbs()),
            ParseError::TooLong { got } => format!("`{got}`：一条命令最多 {MAX_COMMAND_CHARS} 个字符"),
            ParseError::UnknownVerb { verb } => format!("未知命令 `{verb}`；可用的命令：{}", verbs()),
            ParseError::BadForm { got, form } => format!("`{got}`：应写作 `{form}`"),
            ParseError::OutOfRange { got, what, min, max } => {
                format!("`{got}`：{what} 必须是 {min} 到 {max} 之间的整数")
            }
            ParseError::UnknownNode(node) => {
                format!(
                    "未知节点 `{node}`；节点有：producer、producer2…4、broker、replica、consumer、consumer2…4"
                )
            }
            ParseError::BadKey { got } => format!("`{got}`：key 是 1 到 {MAX_KEY_CHARS} 个可打印字符"),
            ParseError::NotAProducer { node } => format!("`send … from {node}`：只有 Producer 能发送"),
            ParseError::NoDisk { node } => format!("`crash {node} disk`：只有 broker 和 replica 有磁盘可丢"),
            ParseError::Setting(e) => e.text(lang),
        }
    }
}

fn verbs() -> String {
    FORMS.iter().map(|(form, _)| *form).collect::<Vec<_>>().join(", ")
}

fn form_of(verb: &str) -> &'static str {
    FORMS
        .iter()
        .find(|(form, _)| form.split_whitespace().next() == Some(verb))
        .map(|(form, _)| *form)
        .unwrap_or("")
}

/// Parses one line of `;`-separated commands; empty pieces between `;` are ignored, but a line
/// with no command at all is an error.
pub fn parse_line(line: &str) -> Result<Vec<Command>, ParseError> {
    let commands = line
        .split(';')
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(parse_command)
        .collect::<Result<Vec<_>, _>>()?;
    if commands.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(commands)
}

/// Parses a single command (no `;`).
pub fn parse_command(text: &str) -> Result<Command, ParseError> {
    if text.chars().nth(MAX_COMMAND_CHARS).is_some() {
        return Err(ParseError::TooLong { got: shown(text.trim(), ECHO_CHARS) });
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some((&verb, args)) = words.split_first() else {
        return Err(ParseError::Empty);
    };
    let got = shown(&words.join(" "), ECHO_CHARS);
    let bad_form = || ParseError::BadForm { got: got.clone(), form: form_of(verb) };
    let count = |arg: Option<&&str>, what: &'static str, default: u64, min: u64, max: u64| {
        let Some(arg) = arg else { return Ok(default) };
        let out_of_range = || ParseError::OutOfRange { got: got.clone(), what, min, max };
        let n: u64 = arg.parse().map_err(|_| out_of_range())?;
        if (min..=max).contains(&n) { Ok(n) } else { Err(out_of_range()) }
    };
    let node =
        |name: &str| Node::from_name(name).ok_or_else(|| ParseError::UnknownNode(shown(name, ECHO_CHARS)));

    let command = match (verb, args) {
        ("send", [] | [_]) => Command::Send(count(args.first(), "N", 1, 1, MAX_SEND)?),
        ("send", [_, rest @ ..]) if !rest.is_empty() => {
            let n = count(args.first(), "N", 1, 1, MAX_SEND)?;
            let (mut from, mut key) = (None, None);
            for pair in rest.chunks(2) {
                match pair {
                    ["from", name] if from.is_none() => {
                        let node = node(name)?;
                        if !node.is_producer() {
                            return Err(ParseError::NotAProducer { node });
                        }
                        from = Some(node);
                    }
                    ["key", k] if key.is_none() => {
                        let ok = !k.is_empty()
                            && k.chars().count() <= MAX_KEY_CHARS
                            && k.chars().all(|c| !c.is_control());
                        if !ok {
                            return Err(ParseError::BadKey { got: shown(k, ECHO_CHARS) });
                        }
                        key = Some((*k).to_owned());
                    }
                    _ => return Err(bad_form()),
                }
            }
            match (from.unwrap_or(Node::PRODUCER), key) {
                (Node::PRODUCER, None) => Command::Send(n),
                (from, key) => Command::SendAs { n, from, key },
            }
        }
        ("step", [] | [_]) => Command::Step(count(args.first(), "N", 1, 1, MAX_STEP)?),
        ("run", []) => Command::Run(None),
        ("run", [_]) => Command::Run(Some(count(args.first(), "MS", 0, 1, MAX_RUN_MS)?)),
        ("back", [] | [_]) => Command::Back(count(args.first(), "N", 1, 1, MAX_STEP)?),
        ("set", [key, value]) => {
            let spec = settings::spec(key)
                .ok_or_else(|| ParseError::from(SettingError::UnknownKey { key: shown(key, ECHO_CHARS) }))?;
            // Validate against a scratch copy so a bad value is refused at parse time. The value
            // is checked as an error would repeat it (escaped, cut): the same for every valid
            // value, and no control characters or long text in the message for a bad one.
            settings::Settings::default()
                .set(spec.key, &shown(value, ECHO_CHARS))
                .map_err(ParseError::from)?;
            Command::Set { key: spec.key, value: (*value).to_owned() }
        }
        ("crash", [name]) => Command::Crash(node(name)?, CrashKind::Process),
        ("crash", [name, kind]) => {
            let node = node(name)?;
            let kind = match *kind {
                "process" => CrashKind::Process,
                "power" => CrashKind::Power,
                "disk" => CrashKind::Disk,
                _ => return Err(bad_form()),
            };
            if kind == CrashKind::Disk && !node.has_log() {
                return Err(ParseError::NoDisk { node });
            }
            Command::Crash(node, kind)
        }
        ("restart", [name]) => Command::Restart(node(name)?),
        ("drop", ["next", kind]) => {
            Command::DropNext(DropKind::ALL.into_iter().find(|k| k.name() == *kind).ok_or_else(bad_form)?)
        }
        ("partition", [name]) => Command::Partition(node(name)?),
        ("heal", []) => Command::Heal,
        ("fail", ["next"]) => Command::FailNext(1),
        ("fail", ["next", _]) => Command::FailNext(count(args.get(1), "N", 1, 1, MAX_FAIL)?),
        ("promote", ["replica"]) => Command::PromoteReplica,
        (
            "send" | "step" | "run" | "back" | "set" | "crash" | "restart" | "drop" | "partition" | "heal"
            | "fail" | "promote",
            _,
        ) => return Err(bad_form()),
        _ => return Err(ParseError::UnknownVerb { verb: shown(verb, ECHO_CHARS) }),
    };
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses_and_prints_back() {
        for line in [
            "send 1",
            "step 1",
            "run",
            "run 500",
            "back 2",
            "set broker.flush sync",
            "crash broker power",
            "crash consumer process",
            "restart broker",
            "drop next response",
            "partition replica",
            "heal",
            "fail next 3",
            "promote replica",
        ] {
            let cmd = parse_command(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(cmd.to_string(), line);
        }
        assert_eq!(parse_command("send").unwrap(), Command::Send(1));
        assert_eq!(parse_command("crash broker").unwrap(), Command::Crash(Node::BROKER, CrashKind::Process));
        assert_eq!(parse_command("fail next").unwrap(), Command::FailNext(1));
    }

    #[test]
    fn a_line_is_all_or_nothing() {
        assert_eq!(parse_line("send 2; run").unwrap().len(), 2);
        let err = parse_line("send 2; explode; run").unwrap_err();
        assert!(err.to_string().starts_with("unknown command `explode`; commands are: send [N]"));
        assert_eq!(parse_line(" ; ").unwrap_err(), ParseError::Empty);
    }

    #[test]
    fn refusals_name_the_value_and_the_limit() {
        assert_eq!(
            parse_command("send 1000000000").unwrap_err().to_string(),
            "`send 1000000000`: N must be an integer from 1 to 10000"
        );
        assert_eq!(
            parse_command("crash consumer disk").unwrap_err().to_string(),
            "`crash consumer disk`: only broker and replica have a disk to lose"
        );
        assert_eq!(
            parse_command("crash mars").unwrap_err().to_string(),
            "unknown node `mars`; nodes are: producer, producer2…4, broker, replica, consumer, consumer2…4"
        );
        assert_eq!(
            parse_command("drop next letter").unwrap_err().to_string(),
            "`drop next letter`: expected `drop next request|response|delivery|commit`"
        );
        assert!(parse_command("set broker.flush maybe").unwrap_err().to_string().contains("sync|async"));
        assert_eq!(
            parse_command("send -1").unwrap_err().to_string(),
            "`send -1`: N must be an integer from 1 to 10000"
        );
    }

    #[test]
    fn refusals_escape_control_characters_and_cut_long_input() {
        assert_eq!(
            parse_command("crash \u{1b}[2Jbroker").unwrap_err().to_string(),
            "unknown node `\\u{1b}[2Jbroker`; nodes are: producer, producer2…4, broker, replica, consumer, consumer2…4"
        );
        assert!(
            parse_command("se\u{7}nd 1").unwrap_err().to_string().starts_with("unknown command `se\\u{7}nd`")
        );
        let long = format!("send {}", "1".repeat(1 << 20));
        let e = parse_line(&long).unwrap_err().to_string();
        assert!(e.len() < 200, "{e}");
        assert!(e.ends_with("… (1048581 characters)`: a command is at most 200 characters"), "{e}");
        let e = parse_command(&format!("{} 1", "x".repeat(150))).unwrap_err().to_string();
        assert!(e.contains("… (150 characters)"), "{e}");
    }
}
