//! Drill mode: interview practice against the real simulator.
//!
//! A seed draws a scenario (a few settings plus one fault). The user predicts how many messages
//! will be lost and which one setting would have prevented it. The answer is never written down
//! anywhere: the scenario is run on its own headless session (in-memory storage), and then once
//! more for every candidate setting changed alone; the candidates after which nothing is lost are
//! the right answers. A drawn scenario where loss happens but no single candidate prevents it is
//! redrawn, so every drill has an answer.

use mqlab_core::ids::MsgId;
use mqlab_core::log::StorageKind;
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::settings::Settings;
use mqlab_core::view::{Cause, Fate, MessageView};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::Ui;
use crate::i18n::T;
use crate::keymap::{self, Action, Scope};
use crate::widgets::wrap_line;

/// The settings a drill may draw, each with its risky and safe values.
const DRAWN: &[(&str, &[&str])] = &[
    ("producer.send", &["oneway", "async", "sync"]),
    ("broker.flush", &["async", "sync"]),
    ("broker.replication", &["none", "async", "sync"]),
    ("consumer.commit", &["before", "after"]),
    ("consumer.mode", &["async", "sync"]),
];

/// The answers offered for "which one setting would have prevented it", in menu order; those
/// already in force are left out.
const CANDIDATES: &[(&str, &str)] = &[
    ("producer.send", "sync"),
    ("producer.outbox", "on"),
    ("broker.flush", "sync"),
    ("broker.replication", "sync"),
    ("consumer.commit", "after"),
    ("consumer.mode", "sync"),
    ("consumer.idempotent", "on"),
];

/// The faults a drill may draw: what happens, the commands (`{n}` messages, `{t}` virtual ms
/// before the fault), and the moments `{t}` is drawn from. Where the consumer would otherwise
/// drain the broker before the fault, it is offline, as a lagging consumer is.
const FAULTS: &[(Said, &str, &[u64])] = &[
    (
        Said("the consumer is offline; the broker loses power", "消费者离线；Broker 断电"),
        "partition consumer; send {n}; run {t}; crash broker power; restart broker; heal; run",
        &[20, 100, 300],
    ),
    (
        Said(
            "the consumer is offline; the broker's disk fails; the replica takes over",
            "消费者离线；Broker 磁盘损坏；从节点升主接替",
        ),
        "partition consumer; send {n}; run {t}; crash broker disk; promote replica; heal; run",
        &[20, 150, 300],
    ),
    (
        Said("the network drops the next request", "网络丢掉下一个请求"),
        "drop next request; send {n}; run",
        &[0],
    ),
    (
        Said("the consumer is killed in the middle of its work", "消费者在处理途中被 kill"),
        "send {n}; run {t}; crash consumer process; restart consumer; run",
        &[12, 15, 18],
    ),
    (Said("the business logic throws once", "业务逻辑抛出一次异常"), "fail next 1; send {n}; run", &[0]),
    (
        Said(
            "the producer process is killed right after send returns",
            "send 返回后 Producer 进程立刻被 kill",
        ),
        "send {n}; crash producer process; restart producer; run",
        &[0],
    ),
    (
        Said("the network drops the next response", "网络丢掉下一个响应"),
        "drop next response; send {n}; run",
        &[0],
    ),
];

/// A fault's description in English and Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Said(pub &'static str, pub &'static str);

impl Said {
    pub fn get(self, lang: mqlab_core::lesson::Lang) -> &'static str {
        match lang {
            mqlab_core::lesson::Lang::En => self.0,
            mqlab_core::lesson::Lang::Zh => self.1,
        }
    }
}

/// SplitMix64: a tiny seeded generator, so a drill number always draws the same scenario.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One drawn scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub settings: Settings,
    pub fault: Said,
    pub commands: String,
    pub messages: u64,
    /// The offered answers: `(key, value)`; digit `i + 1` picks `candidates[i]`, `0` = nothing lost.
    pub candidates: Vec<(&'static str, &'static str)>,
}

/// What running the scenario showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub lost: Vec<(MsgId, Option<Cause>)>,
    /// The first lost messages, whose explanations say why (in the lab's language).
    pub explained: Vec<MessageView>,
    /// Indices into `candidates` after which nothing is lost.
    pub preventers: Vec<usize>,
}

/// A scored drill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub outcome: Outcome,
    pub count_guess: u64,
    /// `None` = "nothing is lost".
    pub choice: Option<usize>,
    pub count_right: bool,
    pub choice_right: bool,
}

/// The running score of this session's drills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrillScore {
    pub drills: u64,
    pub points: u64,
    pub possible: u64,
}

impl DrillScore {
    pub fn add(&mut self, scored: &Scored) {
        self.drills += 1;
        self.points += u64::from(scored.count_right) + u64::from(scored.choice_right);
        self.possible += 2;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Typing the predicted loss count.
    Count,
    /// Picking the setting (a digit), then Enter.
    Choice,
    Scored(Box<Scored>),
}

#[derive(Debug, Clone)]
pub struct Drill {
    pub number: u64,
    pub seed: u64,
    /// `Err` when the simulator refused every draw (then the drill says so instead of asking).
    pub scenario: Result<(Scenario, Outcome), String>,
    pub count: String,
    pub choice: Option<Option<usize>>,
    pub phase: Phase,
}

impl Drill {
    pub fn new(seed: u64, number: u64) -> Drill {
        Drill { number, seed, scenario: draw(seed), count: String::new(), choice: None, phase: Phase::Count }
    }

    pub fn is_scored(&self) -> bool {
        matches!(self.phase, Phase::Scored(_))
    }

    pub fn digit(&mut self, d: u8) {
        match self.phase {
            Phase::Count if self.count.len() < 4 => self.count.push(char::from(b'0' + d)),
            Phase::Choice => {
                let n = self.scenario.as_ref().map(|(s, _)| s.candidates.len()).unwrap_or(0);
                let d = usize::from(d);
                if d == 0 {
                    self.choice = Some(None);
                } else if d <= n {
                    self.choice = Some(Some(d - 1));
                }
            }
            _ => {}
        }
    }

    pub fn erase(&mut self) {
        match self.phase {
            Phase::Count => {
                self.count.pop();
            }
            Phase::Choice if self.choice.is_some() => self.choice = None,
            Phase::Choice => self.phase = Phase::Count,
            Phase::Scored(_) => {}
        }
    }

    /// Enter: confirms the count, or runs and scores. Returns the result once scored.
    pub fn submit(&mut self) -> Option<&Scored> {
        match self.phase {
            Phase::Count if !self.count.is_empty() => self.phase = Phase::Choice,
            Phase::Choice => {
                let (choice, Ok((_, outcome))) = (self.choice?, &self.scenario) else { return None };
                let count_guess: u64 = self.count.parse().unwrap_or(0);
                let lost = outcome.lost.len() as u64;
                let choice_right = match choice {
                    None => lost == 0,
                    Some(i) => lost > 0 && outcome.preventers.contains(&i),
                };
                self.phase = Phase::Scored(Box::new(Scored {
                    outcome: outcome.clone(),
                    count_guess,
                    choice,
                    count_right: count_guess == lost,
                    choice_right,
                }));
                if let Phase::Scored(scored) = &self.phase {
                    return Some(scored);
                }
            }
            _ => {}
        }
        None
    }
}

/// Draws scenarios from `seed` until one has a definite answer (bounded).
fn draw(seed: u64) -> Result<(Scenario, Outcome), String> {
    let mut rng = Rng(seed);
    let mut last_error = String::from("no scenario drawn");
    for _ in 0..32 {
        let scenario = draw_once(&mut rng);
        match evaluate(&scenario) {
            Ok(outcome) if outcome.lost.is_empty() || !outcome.preventers.is_empty() => {
                return Ok((scenario, outcome));
            }
            Ok(_) => {}
            Err(e) => last_error = format!("`{}`: {e}", scenario.commands),
        }
    }
    Err(last_error)
}

fn draw_once(rng: &mut Rng) -> Scenario {
    let mut settings = Settings::default();
    for (key, values) in DRAWN {
        let value = values[rng.below(values.len())];
        settings.set(key, value).expect("drawn values are valid settings");
    }
    let (fault, template, times) = FAULTS[rng.below(FAULTS.len())];
    let messages = 1 + rng.below(4) as u64;
    let t = times[rng.below(times.len())];
    let commands = template.replace("{n}", &messages.to_string()).replace("{t}", &t.to_string());
    let candidates = CANDIDATES
        .iter()
        .copied()
        .filter(|(key, value)| settings.get(key).as_deref() != Some(*value))
        .collect();
    Scenario { settings, fault, commands, messages, candidates }
}

fn run(settings: &Settings, commands: &str) -> Result<Session, String> {
    let config =
        SessionConfig { seed: 1, storage: StorageKind::Mem, data_dir: None, settings: settings.clone() };
    let mut session = Session::new(config).map_err(|e| e.to_string())?;
    session.execute(commands).map_err(|e| e.to_string())?;
    Ok(session)
}

/// Runs the scenario, then each candidate alone, on fresh in-memory sessions.
pub fn evaluate(scenario: &Scenario) -> Result<Outcome, String> {
    let session = run(&scenario.settings, &scenario.commands)?;
    let view = session.view();
    let lost: Vec<(MsgId, Option<Cause>)> =
        view.messages.iter().filter(|m| m.fate == Fate::Lost).map(|m| (m.id, m.cause)).collect();
    let explained = view.messages.iter().filter(|m| m.fate == Fate::Lost).take(2).cloned().collect();
    let mut preventers = Vec::new();
    if !lost.is_empty() {
        for (i, (key, value)) in scenario.candidates.iter().enumerate() {
            let mut settings = scenario.settings.clone();
            settings.set(key, value).map_err(|e| e.to_string())?;
            // A change that makes a command impossible (promote with no replica) prevents nothing.
            if let Ok(session) = run(&settings, &scenario.commands)
                && session.view().totals.lost == 0
            {
                preventers.push(i);
            }
        }
    }
    Ok(Outcome { lost, explained, preventers })
}

/// The drill screen.
pub fn render(ui: &Ui, drill: &Drill, frame: &mut Frame, area: Rect) {
    let theme = ui.theme;
    let score = ui.score;
    let title = format!(
        " {} #{} · {} {}/{} ",
        ui.t(T::Drill),
        drill.number,
        ui.t(T::Score),
        score.points,
        score.possible
    );
    let mut lines: Vec<Line> = Vec::new();
    let (scenario, _) = match &drill.scenario {
        Ok(pair) => pair,
        Err(e) => {
            lines.push(Line::styled(e.clone(), theme.error()));
            let block = Block::bordered().title(Span::styled(title, theme.title()));
            frame.render_widget(Paragraph::new(lines).block(block), area);
            return;
        }
    };
    let defaults = Settings::default();
    let mut shown: Vec<Span> = vec![Span::styled(format!("{}: ", ui.t(T::DrillSettings)), theme.title())];
    for (key, value) in scenario.settings.pairs() {
        let drawn = DRAWN.iter().any(|(k, _)| *k == key);
        if drawn || defaults.get(key).as_deref() != Some(value.as_str()) {
            shown.push(Span::raw(format!("{key}=")));
            shown.push(Span::styled(format!("{value}  "), theme.value()));
        }
    }
    lines.push(Line::from(shown));
    lines.push(Line::from(vec![
        Span::styled(format!("{}: ", ui.t(T::DrillScenario)), theme.title()),
        Span::raw(format!("{} — ", scenario.fault.get(ui.lang))),
        Span::styled(format!(":{}", scenario.commands), theme.dim()),
    ]));
    lines.push(Line::raw(""));
    let cursor = |active: bool| if active { "▏" } else { "" };
    lines.push(Line::from(vec![
        Span::styled(format!("1) {} ", ui.t(T::DrillHowMany)), theme.title()),
        Span::styled(format!("{}{}", drill.count, cursor(drill.phase == Phase::Count)), theme.value()),
    ]));
    if drill.phase != Phase::Count {
        lines.push(Line::styled(format!("2) {}", ui.t(T::DrillWhich)), theme.title()));
        let preventers = match &drill.phase {
            Phase::Scored(s) => Some(&s.outcome.preventers),
            _ => None,
        };
        let mut option = |label: String, picked: bool, right: Option<bool>| {
            let mark = match right {
                Some(true) => "✓",
                _ if picked => "›",
                _ => " ",
            };
            let style = if picked { theme.selected() } else { ratatui::style::Style::new() };
            lines.push(Line::from(vec![Span::raw(format!(" {mark} ")), Span::styled(label, style)]));
        };
        for (i, (key, value)) in scenario.candidates.iter().enumerate() {
            let right = preventers.map(|p| p.contains(&i));
            option(format!("{}. {key} {value}", i + 1), drill.choice == Some(Some(i)), right);
        }
        let nothing_right = match &drill.phase {
            Phase::Scored(s) => Some(s.outcome.lost.is_empty()),
            _ => None,
        };
        option(format!("0. {}", ui.t(T::DrillNothingLost)), drill.choice == Some(None), nothing_right);
    }
    match &drill.phase {
        Phase::Scored(scored) => result_lines(ui, scenario, scored, &mut lines),
        _ => {
            let enter = keymap::key_for(Scope::Drill, Action::Submit).unwrap_or_default();
            lines.push(Line::raw(""));
            lines.push(Line::styled(format!("{enter}: {}", ui.t(T::DrillRunIt)), theme.key()));
        }
    }
    let width = usize::from(area.width.saturating_sub(2));
    let wrapped: Vec<Line> = lines.iter().flat_map(|line| wrap_line(line, width, 0)).collect();
    let paragraph =
        Paragraph::new(wrapped).block(Block::bordered().title(Span::styled(title, theme.title())));
    frame.render_widget(paragraph, area);
}

fn result_lines(ui: &Ui, scenario: &Scenario, scored: &Scored, lines: &mut Vec<Line>) {
    let theme = ui.theme;
    let verdict = |right: bool| {
        if right {
            Span::styled(format!("✓ {}", ui.t(T::Right)), theme.good())
        } else {
            Span::styled(format!("✗ {}", ui.t(T::Wrong)), theme.bad())
        }
    };
    let outcome = &scored.outcome;
    lines.push(Line::raw(""));
    let lost_list: Vec<String> = outcome
        .lost
        .iter()
        .map(|(id, cause)| match cause {
            Some(c) => format!("✗{id} {}", c.name()),
            None => format!("✗{id}"),
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled(
            format!("{}: {} / {}  ", ui.t(T::DrillActual), outcome.lost.len(), scenario.messages),
            theme.title(),
        ),
        Span::styled(lost_list.join("  "), theme.bad()),
    ]));
    lines.push(Line::from(vec![
        Span::raw(format!("{} {}  ", ui.t(T::DrillYouSaid), scored.count_guess)),
        verdict(scored.count_right),
    ]));
    let said = match scored.choice {
        Some(i) => scenario.candidates.get(i).map(|(k, v)| format!("{k} {v}")).unwrap_or_default(),
        None => ui.t(T::DrillNothingLost).to_owned(),
    };
    lines.push(Line::from(vec![
        Span::raw(format!("{} {said}  ", ui.t(T::DrillYouSaid))),
        verdict(scored.choice_right),
    ]));
    if outcome.lost.is_empty() {
        lines.push(Line::raw(ui.t(T::DrillNoneNeeded)));
    } else {
        let fixes: Vec<String> = outcome
            .preventers
            .iter()
            .filter_map(|i| scenario.candidates.get(*i))
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        lines.push(Line::raw(format!("{} {}", fixes.join(", "), ui.t(T::DrillPrevents))));
    }
    for message in &outcome.explained {
        lines.push(Line::styled(message.explain(ui.lang), theme.dim()));
    }
    let next = keymap::key_for(Scope::Drill, Action::Next).unwrap_or_default();
    lines.push(Line::styled(format!("{next}: {}", ui.t(T::DrillNext)), theme.key()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_scenario() {
        let mut a = Rng(42);
        let mut b = Rng(42);
        assert_eq!(draw_once(&mut a), draw_once(&mut b));
        let mut c = Rng(43);
        let differ = (0..8).any(|_| draw_once(&mut Rng(42)) != draw_once(&mut c));
        assert!(differ, "different seeds should draw different scenarios");
    }

    #[test]
    fn candidates_leave_out_what_is_already_set() {
        for seed in 0..50 {
            let s = draw_once(&mut Rng(seed));
            for (key, value) in &s.candidates {
                assert_ne!(s.settings.get(key).as_deref(), Some(*value), "seed {seed}");
            }
            assert!(s.candidates.len() <= 9, "seed {seed}: digits 1-9 must reach every candidate");
            assert!(!s.commands.contains('{'), "seed {seed}: {}", s.commands);
        }
    }
}
