//! The terminal lab's state and the only place it changes.
//!
//! `handle_key` turns a key into a [`Msg`] through the keymap; `update` applies a message by
//! calling the session (the one door to the world) and refreshing the view model; rendering only
//! reads [`Ui`]. The app never reaches into the world: everything it shows comes from
//! `Session::view` and `Session::journey`.

use std::io;
use std::time::Duration;

use mqlab_core::command::{CrashKind, DropKind};
use mqlab_core::ids::{MsgId, Node};
use mqlab_core::lesson::{self, Lang, Lesson};
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::settings;
use mqlab_core::view::{Fate, Journey, View};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use crate::TuiOptions;
use crate::drill::{Drill, DrillScore};
use crate::i18n::T;
use crate::keymap::{self, Action, Scope};
use crate::lessons::LessonRun;
use crate::widgets::{self, theme::Theme};

/// Play speeds, in events per second.
pub const SPEEDS: [u32; 6] = [1, 2, 4, 8, 16, 32];

/// What a key (or the play clock) asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    Act(Action),
    /// A digit key, in whatever scope wants it.
    Digit(u8),
    /// A character typed into the command line.
    Type(char),
    /// The play clock.
    Tick,
}

/// The command line after `:`.
#[derive(Debug, Clone, Default)]
pub struct CommandLine {
    pub active: bool,
    pub input: String,
    pub history: Vec<String>,
    /// Where ↑/↓ is in the history; `None` = editing a new line.
    pub recall: Option<usize>,
}

/// A numbered menu; item `i` is chosen by typing `i + 1`. With ten or more items a number is
/// chosen once no longer one starts with it, or with Enter.
#[derive(Debug, Clone)]
pub struct Menu {
    pub title: T,
    pub items: Vec<MenuItem>,
    /// Digits typed so far.
    pub typed: String,
}

impl Menu {
    pub fn new(title: T, items: Vec<MenuItem>) -> Menu {
        Menu { title, items, typed: String::new() }
    }
}

#[derive(Debug, Clone)]
pub struct MenuItem {
    pub label: String,
    pub then: Then,
}

#[derive(Debug, Clone)]
pub enum Then {
    /// Perform this command line.
    Perform(String),
    Open(Menu),
    /// Start the lesson at this index of the built-in lessons.
    Lesson(usize),
}

/// What covers the lab.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help { scroll: u16 },
    Journey { journey: Box<Journey>, scroll: u16 },
    Cards { scroll: u16 },
    Menu(Menu),
}

/// A line in the message row: information or a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// Everything rendering reads.
#[derive(Debug)]
pub struct Ui {
    pub view: View,
    pub lang: Lang,
    pub theme: Theme,
    pub command: CommandLine,
    pub overlay: Option<Overlay>,
    pub lesson: Option<LessonRun>,
    pub drill: Option<Drill>,
    pub score: DrillScore,
    pub selected: Option<MsgId>,
    /// Digits typed to pick a message by number.
    pub number: String,
    pub status: Option<Status>,
    pub playing: bool,
    pub speed: usize,
    /// The sequence diagram, while it is shown instead of the stages, ledger and events.
    pub sequence: Option<widgets::sequence::Pane>,
}

impl Ui {
    /// A UI over a view, with nothing open (also how tests and benchmarks build screens).
    pub fn new(view: View, lang: Lang, theme: Theme) -> Ui {
        Ui {
            view,
            lang,
            theme,
            command: CommandLine::default(),
            overlay: None,
            lesson: None,
            drill: None,
            score: DrillScore::default(),
            selected: None,
            number: String::new(),
            status: None,
            playing: false,
            speed: 2,
            sequence: None,
        }
    }

    /// The keymap scopes that answer keys now, in priority order.
    pub fn scopes(&self) -> Vec<Scope> {
        if self.command.active {
            return vec![Scope::Command];
        }
        match &self.overlay {
            Some(Overlay::Menu(_)) => return vec![Scope::Menu],
            Some(Overlay::Journey { .. }) => return vec![Scope::Journey, Scope::Overlay],
            Some(_) => return vec![Scope::Overlay],
            None => {}
        }
        if self.drill.is_some() {
            return vec![Scope::Drill];
        }
        let mut scopes = Vec::with_capacity(3);
        if self.sequence.is_some() {
            scopes.push(Scope::Sequence);
        }
        if self.lesson.is_some() {
            scopes.push(Scope::Lesson);
        }
        scopes.push(Scope::Main);
        scopes
    }

    pub fn t(&self, t: T) -> &'static str {
        t.get(self.lang)
    }
}

/// The terminal lab.
#[derive(Debug)]
pub struct App {
    session: Session,
    config: SessionConfig,
    lessons: Option<Vec<Lesson>>,
    pub ui: Ui,
    pub quit: bool,
}

/// A session whose events are said in the lab's language.
fn open_session(config: SessionConfig, lang: Lang) -> Result<Session, mqlab_core::session::SessionError> {
    let mut session = Session::new(config)?;
    session.set_language(lang)?;
    crate::track_temporary_dir(session.temporary_dir());
    Ok(session)
}

fn io_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl App {
    pub fn new(options: TuiOptions, theme: Theme) -> io::Result<App> {
        let session = open_session(options.session.clone(), options.lang).map_err(io_error)?;
        let view = session.view();
        let mut app = App {
            session,
            config: options.session,
            lessons: None,
            ui: Ui::new(view, options.lang, theme),
            quit: false,
        };
        if let Some(lesson) = options.lesson {
            app.start_lesson_run(lesson);
        }
        Ok(app)
    }

    /// The built-in lessons, read once when first needed.
    fn lessons(&mut self) -> &[Lesson] {
        self.lessons.get_or_insert_with(lesson::builtin)
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn render(&self, frame: &mut Frame) {
        widgets::render(&self.ui, frame);
    }

    /// How long until the next play tick; `None` when paused (the loop then sleeps until input).
    pub fn tick_interval(&self) -> Option<Duration> {
        let busy = self.ui.overlay.is_some() || self.ui.drill.is_some() || self.ui.command.active;
        (self.ui.playing && !busy).then(|| Duration::from_millis(1000 / u64::from(SPEEDS[self.ui.speed])))
    }

    /// Turns a key press into a message through the keymap.
    pub fn handle_key(&self, key: KeyEvent) -> Option<Msg> {
        if key.kind != KeyEventKind::Press {
            return None;
        }
        let scopes = self.ui.scopes();
        match keymap::lookup(&scopes, key) {
            Some(Action::Digit) => match key.code {
                KeyCode::Char(c) => c.to_digit(10).map(|d| Msg::Digit(d as u8)),
                _ => None,
            },
            Some(action) => Some(Msg::Act(action)),
            None if self.ui.command.active => match key.code {
                KeyCode::Char(c) => Some(Msg::Type(c)),
                _ => None,
            },
            None => None,
        }
    }

    /// Handles one key end to end (what the event loop and the tests call).
    pub fn input(&mut self, key: KeyEvent) {
        if let Some(msg) = self.handle_key(key) {
            self.update(msg);
        }
    }

    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Tick => self.tick(),
            Msg::Type(c) => {
                self.ui.command.input.push(c);
                self.ui.command.recall = None;
            }
            Msg::Digit(d) => self.digit(d),
            Msg::Act(action) => self.act(action),
        }
        if let Some(pane) = &mut self.ui.sequence {
            pane.refresh(self.session.trace(), &self.ui.view.topology);
        }
    }

    fn say(&mut self, text: impl Into<String>) {
        self.ui.status = Some(Status { text: text.into(), error: false });
    }

    fn refuse(&mut self, text: impl Into<String>) {
        self.ui.status = Some(Status { text: text.into(), error: true });
    }

    /// Performs one command line on the session. On success the view is refreshed and a new loss
    /// is announced and selected; on refusal one line says why and nothing changed.
    pub fn perform(&mut self, line: &str) -> bool {
        let lost_before: Vec<MsgId> = lost_ids(&self.ui.view);
        match self.session.perform(line) {
            Ok(events) => {
                self.ui.view = self.session.view();
                let newly_lost: Vec<MsgId> =
                    lost_ids(&self.ui.view).into_iter().filter(|id| !lost_before.contains(id)).collect();
                if let Some(&first) = newly_lost.first() {
                    self.ui.selected = Some(first);
                    self.say(self.loss_line(&newly_lost));
                } else if let Some(last) = events.last() {
                    self.say(last.text_in(self.ui.lang).to_owned());
                } else if self.ui.view.idle {
                    self.say(format!("{}: {}", line.trim(), self.ui.t(T::NothingLeft)));
                } else {
                    self.say(line.trim().to_owned());
                }
                true
            }
            Err(e) => {
                self.refuse(e.text(self.ui.lang));
                false
            }
        }
    }

    fn loss_line(&self, ids: &[MsgId]) -> String {
        let parts: Vec<String> = ids
            .iter()
            .filter_map(|id| self.ui.view.message(*id))
            .map(|m| match m.cause {
                Some(cause) => format!("✗ {} {}: {}", m.id, self.ui.t(T::NewLoss), cause.name()),
                None => format!("✗ {} {}", m.id, self.ui.t(T::NewLoss)),
            })
            .collect();
        let enter = keymap::key_for(Scope::Main, Action::Journey).unwrap_or_default();
        format!("{}  ({enter}: {})", parts.join(", "), self.ui.t(T::KeyJourney))
    }

    fn tick(&mut self) {
        if !self.ui.playing {
            return;
        }
        if self.session.is_idle() {
            self.ui.playing = false;
            self.say(self.ui.t(T::NothingLeft));
            return;
        }
        self.perform("step");
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Send => {
                self.perform("send 1");
            }
            Action::Step => {
                if self.session.is_idle() {
                    self.say(self.ui.t(T::NothingLeft));
                } else {
                    self.perform("step");
                }
            }
            Action::PlayPause => {
                self.ui.playing = !self.ui.playing;
                let state = if self.ui.playing { T::Playing } else { T::Paused };
                self.say(format!("{} ×{}", self.ui.t(state), SPEEDS[self.ui.speed]));
            }
            Action::Faster => {
                self.ui.speed = (self.ui.speed + 1).min(SPEEDS.len() - 1);
                self.say(format!("{} ×{}", self.ui.t(T::KeyFaster), SPEEDS[self.ui.speed]));
            }
            Action::Slower => {
                self.ui.speed = self.ui.speed.saturating_sub(1);
                self.say(format!("{} ×{}", self.ui.t(T::KeySlower), SPEEDS[self.ui.speed]));
            }
            Action::Back => match self.session.back(1) {
                Ok(()) => {
                    self.ui.view = self.session.view();
                    self.say(format!("{} {}", self.ui.t(T::Rewound), self.ui.view.step));
                }
                Err(e) => self.refuse(e.text(self.ui.lang)),
            },
            Action::RunToEnd => {
                self.ui.playing = false;
                self.perform("run");
            }
            Action::Toggle(key) => self.toggle(key),
            Action::CrashMenu => self.open_menu(crash_menu(&self.ui.view, self.ui.lang)),
            Action::RestartMenu => {
                self.open_menu(node_menu(&self.ui.view, self.ui.lang, T::RestartWhich, "restart"))
            }
            Action::PartitionMenu => {
                self.open_menu(node_menu(&self.ui.view, self.ui.lang, T::PartitionWhich, "partition"))
            }
            Action::DropMenu => self.open_menu(drop_menu(self.ui.lang)),
            Action::Heal => {
                self.perform("heal");
            }
            Action::FailNext => {
                self.perform("fail next 1");
            }
            Action::Promote => {
                self.perform("promote replica");
            }
            Action::SelectPrev => self.select(-1),
            Action::SelectNext => self.select(1),
            Action::Erase => {
                if self.ui.command.active {
                    self.ui.command.input.pop();
                } else if let Some(drill) = &mut self.ui.drill {
                    drill.erase();
                } else {
                    self.ui.number.pop();
                }
            }
            Action::Journey => self.open_journey(),
            Action::CommandLine => {
                self.ui.command.active = true;
                self.ui.command.input.clear();
                self.ui.command.recall = None;
            }
            Action::Help => self.ui.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::Cards => self.ui.overlay = Some(Overlay::Cards { scroll: 0 }),
            Action::Sequence => {
                let shown = self.ui.sequence.is_some();
                self.ui.sequence = (!shown).then(widgets::sequence::Pane::default);
            }
            Action::Lessons => {
                let lang = self.ui.lang;
                let items: Vec<MenuItem> = self
                    .lessons()
                    .iter()
                    .enumerate()
                    .map(|(i, l)| MenuItem { label: l.title.get(lang).to_owned(), then: Then::Lesson(i) })
                    .collect();
                if items.is_empty() {
                    self.say(self.ui.t(T::NoLessons));
                } else {
                    self.open_menu(Menu::new(T::Lessons, items));
                }
            }
            Action::Drill => {
                let number = self.ui.score.drills + 1;
                let seed = self.config.seed.wrapping_mul(1_000_003).wrapping_add(number);
                self.ui.drill = Some(Drill::new(seed, number));
                self.ui.playing = false;
            }
            Action::Close => self.close(),
            Action::Submit => self.submit(),
            Action::HistoryPrev => self.recall(-1),
            Action::HistoryNext => self.recall(1),
            Action::Next => {
                if let Some(drill) = &self.ui.drill {
                    if drill.is_scored() {
                        self.act(Action::Drill);
                    }
                } else {
                    self.lesson_next();
                }
            }
            Action::ScrollUp | Action::ScrollDown => self.scroll(action == Action::ScrollDown),
            Action::Digit => {}
        }
    }

    fn toggle(&mut self, key: &str) {
        let Some(value) = self.ui.view.settings.toggled(key) else { return };
        if self.perform(&format!("set {key} {value}")) {
            let help = settings::spec(key).map(|s| s.help_in(self.ui.lang)).unwrap_or_default();
            self.say(format!("{key} = {value} — {help}"));
        }
    }

    fn open_menu(&mut self, menu: Menu) {
        self.ui.overlay = Some(Overlay::Menu(menu));
    }

    fn close(&mut self) {
        if self.ui.command.active {
            self.ui.command.active = false;
        } else if self.ui.overlay.is_some() {
            self.ui.overlay = None;
        } else if self.ui.drill.is_some() {
            self.ui.drill = None;
        } else if self.ui.sequence.is_some() {
            self.ui.sequence = None;
        } else if self.ui.lesson.is_some() {
            self.ui.lesson = None;
        }
    }

    fn digit(&mut self, d: u8) {
        if let Some(Overlay::Menu(menu)) = &mut self.ui.overlay {
            menu.typed.push(char::from(b'0' + d));
            let n: usize = menu.typed.parse().unwrap_or(0);
            if n == 0 || n > menu.items.len() {
                menu.typed.clear();
            } else if n * 10 > menu.items.len() {
                self.choose(n);
            }
            return;
        }
        if let Some(drill) = &mut self.ui.drill {
            drill.digit(d);
            return;
        }
        if let Some(run) = &self.ui.lesson
            && run.awaiting_answer()
        {
            self.answer(usize::from(d));
            return;
        }
        if self.ui.number.len() < 6 {
            self.ui.number.push(char::from(b'0' + d));
        }
        let id = self.typed_id();
        self.say(match id {
            Some(id) if self.ui.view.message(id).is_some() => {
                let enter = keymap::key_for(Scope::Main, Action::Journey).unwrap_or_default();
                format!("{} {id}  ({enter}: {})", self.ui.t(T::TypeNumber), self.ui.t(T::KeyJourney))
            }
            _ => format!("{} m{}: {}", self.ui.t(T::TypeNumber), self.ui.number, self.ui.t(T::NoSuchMessage)),
        });
    }

    /// Carries out menu item `n` (1-based).
    fn choose(&mut self, n: usize) {
        let Some(Overlay::Menu(menu)) = &self.ui.overlay else { return };
        let Some(item) = n.checked_sub(1).and_then(|i| menu.items.get(i)) else { return };
        let then = item.then.clone();
        self.ui.overlay = None;
        match then {
            Then::Perform(line) => {
                self.perform(&line);
            }
            Then::Open(menu) => self.open_menu(menu),
            Then::Lesson(index) => self.start_lesson(index),
        }
    }

    fn typed_id(&self) -> Option<MsgId> {
        self.ui.number.parse::<u64>().ok().map(MsgId)
    }

    fn select(&mut self, delta: i64) {
        let messages = &self.ui.view.messages;
        if messages.is_empty() {
            return;
        }
        let at = self.ui.selected.and_then(|id| messages.iter().position(|m| m.id == id));
        let next = match at {
            Some(i) => (i as i64 + delta).clamp(0, messages.len() as i64 - 1) as usize,
            None if delta < 0 => messages.len() - 1,
            None => 0,
        };
        self.ui.selected = Some(messages[next].id);
        self.ui.number.clear();
    }

    fn open_journey(&mut self) {
        let id = self.typed_id().or(self.ui.selected);
        self.ui.number.clear();
        let Some(id) = id else {
            self.refuse(self.ui.t(T::NoSuchMessage));
            return;
        };
        match self.session.journey(id) {
            Some(journey) => {
                self.ui.selected = Some(id);
                self.ui.overlay = Some(Overlay::Journey { journey: Box::new(journey), scroll: 0 });
            }
            None => self.refuse(format!("{id}: {}", self.ui.t(T::NoSuchMessage))),
        }
    }

    fn scroll(&mut self, down: bool) {
        if self.ui.overlay.is_none() {
            if let Some(pane) = &mut self.ui.sequence {
                pane.scroll(!down, self.session.trace(), &self.ui.view.topology);
            } else if let Some(run) = &mut self.ui.lesson {
                run.scroll(if down { 3 } else { -3 });
            }
            return;
        }
        let journey_id = match &mut self.ui.overlay {
            Some(Overlay::Journey { journey, .. }) => Some(journey.message.id),
            Some(Overlay::Help { scroll } | Overlay::Cards { scroll }) => {
                *scroll = if down { scroll.saturating_add(3) } else { scroll.saturating_sub(3) };
                None
            }
            _ => None,
        };
        if let Some(id) = journey_id {
            // In a journey ↑/↓ walks to the neighbouring message.
            self.ui.selected = Some(id);
            self.select(if down { 1 } else { -1 });
            if self.ui.selected != Some(id) {
                self.open_journey();
            }
        }
    }

    fn submit(&mut self) {
        if let Some(Overlay::Menu(menu)) = &self.ui.overlay {
            let n = menu.typed.parse().unwrap_or(0);
            self.choose(n);
        } else if self.ui.command.active {
            let line = self.ui.command.input.trim().to_owned();
            self.ui.command.active = false;
            if line.is_empty() {
                return;
            }
            if self.ui.command.history.last() != Some(&line) {
                self.ui.command.history.push(line.clone());
            }
            self.perform(&line);
        } else if let Some(drill) = &mut self.ui.drill
            && let Some(scored) = drill.submit()
        {
            self.ui.score.add(scored);
        }
    }

    fn recall(&mut self, delta: i64) {
        let history = &self.ui.command.history;
        if history.is_empty() {
            return;
        }
        let next = match self.ui.command.recall {
            None if delta < 0 => Some(history.len() - 1),
            None => None,
            Some(i) if delta < 0 => Some(i.saturating_sub(1)),
            Some(i) if i + 1 < history.len() => Some(i + 1),
            Some(_) => None,
        };
        self.ui.command.recall = next;
        self.ui.command.input = next.map(|i| history[i].clone()).unwrap_or_default();
    }

    fn start_lesson(&mut self, index: usize) {
        let Some(lesson) = self.lessons().get(index).cloned() else { return };
        self.start_lesson_run(lesson);
    }

    /// Starts a lesson, shipped or read from a file.
    fn start_lesson_run(&mut self, lesson: Lesson) {
        // A lesson's world is not kept: the data directory holds the sandbox's session.
        let config = SessionConfig {
            seed: lesson.seed,
            settings: lesson.settings.clone(),
            data_dir: None,
            ..self.config.clone()
        };
        match open_session(config, self.ui.lang) {
            Ok(session) => {
                self.session = session;
                self.ui.view = self.session.view();
                self.ui.selected = None;
                self.ui.playing = false;
                self.ui.lesson = Some(LessonRun::new(lesson));
                self.say(format!("{}: {}", self.ui.t(T::Lessons), self.ui.lesson_title()));
            }
            Err(e) => self.refuse(e.text(self.ui.lang)),
        }
    }

    fn lesson_next(&mut self) {
        let Some(run) = &mut self.ui.lesson else { return };
        if run.awaiting_answer() {
            self.refuse(self.ui.t(T::AnswerFirst));
            return;
        }
        if let Some(commands) = run.advance() {
            self.run_lesson_commands(&commands);
        }
    }

    fn answer(&mut self, choice: usize) {
        let Some(run) = &mut self.ui.lesson else { return };
        if let Some(commands) = run.answer(choice) {
            self.run_lesson_commands(&commands);
        }
    }

    fn run_lesson_commands(&mut self, commands: &str) {
        let refused = !commands.trim().is_empty() && !self.perform(commands);
        let error = if refused { self.ui.status.as_ref().map(|s| s.text.clone()) } else { None };
        let view = &self.ui.view;
        if let Some(run) = &mut self.ui.lesson {
            run.observed(view, error);
        }
    }
}

impl Ui {
    fn lesson_title(&self) -> String {
        self.lesson.as_ref().map(|l| l.lesson.title.get(self.lang).to_owned()).unwrap_or_default()
    }
}

fn lost_ids(view: &View) -> Vec<MsgId> {
    view.messages.iter().filter(|m| m.fate == Fate::Lost).map(|m| m.id).collect()
}

fn node_state(view: &View, node: Node, lang: Lang) -> &'static str {
    let n = view.node(node);
    let state = if !n.up {
        T::Down
    } else if n.partitioned {
        T::Partitioned
    } else {
        T::Up
    };
    state.get(lang)
}

/// The world's nodes, in topology order: what the node pickers list.
fn topology_nodes(view: &View) -> impl Iterator<Item = Node> + '_ {
    let t = &view.topology;
    t.producers.iter().chain(&t.brokers).chain(&t.consumers).copied()
}

fn crash_menu(view: &View, lang: Lang) -> Menu {
    let items = topology_nodes(view)
        .map(|node| MenuItem {
            label: format!("{node} ({})", node_state(view, node, lang)),
            then: Then::Open(Menu::new(
                T::CrashHow,
                CrashKind::for_node(node)
                    .iter()
                    .map(|kind| MenuItem {
                        label: format!("{} — {}", kind.name(), crash_meaning(*kind).get(lang)),
                        then: Then::Perform(format!("crash {node} {}", kind.name())),
                    })
                    .collect(),
            )),
        })
        .collect();
    Menu::new(T::CrashWhich, items)
}

fn crash_meaning(kind: CrashKind) -> T {
    match kind {
        CrashKind::Process => T::CrashProcess,
        CrashKind::Power => T::CrashPower,
        CrashKind::Disk => T::CrashDisk,
    }
}

fn node_menu(view: &View, lang: Lang, title: T, verb: &str) -> Menu {
    let items = topology_nodes(view)
        .map(|node| MenuItem {
            label: format!("{node} ({})", node_state(view, node, lang)),
            then: Then::Perform(format!("{verb} {node}")),
        })
        .collect();
    Menu::new(title, items)
}

fn drop_menu(lang: Lang) -> Menu {
    let items = DropKind::ALL
        .into_iter()
        .map(|kind| {
            let what = match kind {
                DropKind::Request => T::DropRequest,
                DropKind::Response => T::DropResponse,
                DropKind::Delivery => T::DropDelivery,
                DropKind::Commit => T::DropCommit,
            };
            MenuItem {
                label: format!("{} — {}", kind.name(), what.get(lang)),
                then: Then::Perform(format!("drop next {}", kind.name())),
            }
        })
        .collect();
    Menu::new(T::DropWhich, items)
}
