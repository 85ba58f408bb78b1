//! The desktop lab's state and its one door for change.
//!
//! [`LabApp::ui`] draws every panel from the current [`View`] and collects what the user asked
//! for as [`Intent`]s; after the frame, [`LabApp::apply`] carries them out through the session,
//! records them on the timeline and starts the animation to the new view. Panels never touch the
//! session, so the GUI shows exactly what the core says. `ui` needs no window: the tests drive it
//! with egui_kittest and the benchmark renders it headless.

use mqlab_core::command::{self, Command};
use mqlab_core::ids::MsgId;
use mqlab_core::lesson::{self, Lang, Lesson};
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::view::{Journey, View};
use serde::{Deserialize, Serialize};

use crate::diagram::animation::Animator;
use crate::i18n::T;
use crate::shortcuts::Action;
use crate::{GuiOptions, diagram, panels};

/// Play speeds, in steps per second.
pub const SPEEDS: [f64; 8] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
const DEFAULT_SPEED: usize = 3;
/// Zoom limits for Ctrl +/-.
const ZOOM_MIN: f32 = 0.5;
const ZOOM_MAX: f32 = 3.0;
/// Presenter mode multiplies the zoom by this.
const PRESENTER_ZOOM: f32 = 1.5;

/// What the user chose about the window, remembered between runs (eframe persistence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub dark: bool,
    pub zoom: f32,
    pub presenter: bool,
    pub zh: bool,
    pub speed: usize,
    pub show_settings: bool,
    pub show_ledger: bool,
    /// The sequence diagram beside the topology.
    pub show_sequence: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            dark: true,
            zoom: 1.0,
            presenter: false,
            zh: false,
            speed: DEFAULT_SPEED,
            show_settings: true,
            show_ledger: true,
            show_sequence: false,
        }
    }
}

impl Prefs {
    pub fn lang(&self) -> Lang {
        if self.zh { Lang::Zh } else { Lang::En }
    }
}

/// Something a panel asks for; applied after the frame, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// A command of the command language.
    Command(Command),
    /// A line typed on the command line.
    Line(String),
    /// A shortcut or its button.
    Action(Action),
    /// Move the timeline to this step (rewind, or replay the recorded future).
    Scrub(u64),
    /// Show this message's journey.
    Select(MsgId),
    /// Open a lesson by id, or close the current one.
    OpenLesson(String),
    CloseLesson,
    /// Answer the current lesson question with this choice.
    Answer(usize),
    /// Run the current lesson step's commands.
    RunLessonStep,
}

/// A line under the toolbar: the last error, or what just happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// One recorded command: applied at step `at`, the world reached step `end` after it.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    at: u64,
    end: u64,
    command: Command,
}

/// Every command that changed the world, with the step it was applied at, so the scrubber can
/// replay the future after a rewind. The session itself forgets the future when rewinding.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    entries: Vec<Entry>,
    /// The furthest step reached since the last fork.
    pub high: u64,
    /// The session is at the end of the timeline (not rewound).
    pub live: bool,
}

impl Timeline {
    fn new() -> Self {
        Self { entries: Vec::new(), high: 0, live: true }
    }

    /// Forgets the future after `step`: a new input in the past forks history. A step or run
    /// that crossed `step` is cut there.
    fn fork(&mut self, step: u64) {
        self.entries.retain(|e| e.at < step);
        for e in &mut self.entries {
            if e.end > step {
                let cut = step - e.at;
                match e.command {
                    Command::Step(_) | Command::Run(_) => e.command = Command::Step(cut),
                    _ => {}
                }
                e.end = step;
            }
        }
        self.high = step;
        self.live = true;
    }
}

/// A lesson being followed.
#[derive(Debug, Clone)]
pub struct LessonRun {
    pub lesson: Lesson,
    /// The next step to run (== steps.len() at the end).
    pub next: usize,
    /// The choice made for the next step's question, if asked.
    pub answer: Option<usize>,
}

/// The desktop lab.
#[derive(Debug)]
pub struct LabApp {
    pub prefs: Prefs,
    /// The world as configured from the command line (storage, seed, data directory).
    config: SessionConfig,
    session: Session,
    view: View,
    pub timeline: Timeline,
    pub anim: Animator,
    pub playing: bool,
    next_tick: Option<f64>,
    pub selected: Option<MsgId>,
    pub hovered: Option<MsgId>,
    pub console: String,
    pub notice: Option<Notice>,
    pub lesson: Option<LessonRun>,
    pub show_help: bool,
    pub show_cards: bool,
    intents: Vec<Intent>,
    /// The window's area under the menu bar and the toolbar, where the help and the cards
    /// windows open (so they never cover the menus).
    pub windows_area: egui::Rect,
    /// Egui input time of the frame being drawn.
    now: f64,
    style_applied: Option<(bool, f32)>,
}

/// The window's background in a theme: the panels' usual fill, painted once by the renderer's
/// clear instead of by every panel.
pub fn background(dark: bool) -> egui::Color32 {
    if dark { egui::Visuals::dark().panel_fill } else { egui::Visuals::light().panel_fill }
}

impl LabApp {
    /// Builds the world, applies the start-up script and opens the lesson given on the command
    /// line. Errors are one line for the user.
    pub fn new(options: &GuiOptions) -> Result<Self, String> {
        let mut session = Session::new(options.session.clone()).map_err(|e| e.to_string())?;
        session.set_language(options.lang).map_err(|e| e.to_string())?;
        let view = session.view();
        let prefs = Prefs {
            zh: options.lang == Lang::Zh,
            presenter: options.presenter,
            show_sequence: options.sequence,
            ..Prefs::default()
        };
        let mut app = Self {
            prefs,
            config: options.session.clone(),
            session,
            view,
            timeline: Timeline::new(),
            anim: Animator::default(),
            playing: false,
            next_tick: None,
            selected: None,
            hovered: None,
            console: String::new(),
            notice: None,
            lesson: None,
            show_help: false,
            show_cards: false,
            intents: Vec::new(),
            windows_area: egui::Rect::EVERYTHING,
            now: 0.0,
            style_applied: None,
        };
        if let Some(lesson) = &options.lesson {
            app.start_lesson(lesson.clone())?;
        }
        if let Some(script) = &options.script {
            let commands = command::parse_line(script).map_err(|e| e.to_string())?;
            for c in commands {
                app.perform(c).map_err(|e| format!("--script `{script}`: {e}"))?;
            }
            app.anim.cut();
        }
        Ok(app)
    }

    /// Restores remembered preferences; what the command line asked for wins.
    pub fn restore(&mut self, mut prefs: Prefs, options: &GuiOptions) {
        if options.lang == Lang::Zh {
            prefs.zh = true;
        }
        if options.presenter {
            prefs.presenter = true;
        }
        if options.sequence {
            prefs.show_sequence = true;
        }
        prefs.zoom = prefs.zoom.clamp(ZOOM_MIN, ZOOM_MAX);
        prefs.speed = prefs.speed.min(SPEEDS.len() - 1);
        self.prefs = prefs;
    }

    pub fn view(&self) -> &View {
        &self.view
    }

    pub fn lang(&self) -> Lang {
        self.prefs.lang()
    }

    /// The journey of the selected (or hovered) message.
    pub fn journey(&self) -> Option<Journey> {
        self.hovered.or(self.selected).and_then(|id| self.session.journey(id))
    }

    /// Every event so far.
    pub fn trace(&self) -> &[mqlab_core::view::Event] {
        self.session.trace()
    }

    /// Whether anything is moving, flashing or playing (the window then keeps repainting).
    pub fn busy(&self) -> bool {
        self.anim.busy(self.now)
    }

    /// Draws the whole lab and then applies what the user asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.now = ui.input(|i| i.time);
        self.apply_style(&ctx);
        self.sync_language();
        for action in crate::shortcuts::pressed(&ctx) {
            self.intents.push(Intent::Action(action));
        }
        self.tick(&ctx);

        let lang = self.lang();
        let mut intents = std::mem::take(&mut self.intents);
        panels::menu::show(ui, self, &mut intents);
        panels::toolbar::show(ui, self, &mut intents);
        self.windows_area = ui.available_rect_before_wrap();
        if let Some(notice) = &self.notice {
            let notice = notice.clone();
            egui::Panel::bottom("notice").show(ui, |ui| {
                let color =
                    if notice.error { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
                ui.colored_label(color, notice.text);
            });
        }
        if !self.prefs.presenter {
            panels::console::show(ui, self, &mut intents);
        }
        // Side and bottom panels start smaller in a small window, so the diagram keeps room.
        let window = ui.available_rect_before_wrap().size();
        if self.prefs.show_settings && !self.prefs.presenter {
            egui::Panel::left("settings")
                .resizable(true)
                .default_size(300.0_f32.min(window.x * 0.24))
                .show(ui, |ui| panels::settings::show(ui, &self.view, lang, &mut intents));
        }
        if self.lesson.is_some() {
            let width = if self.prefs.presenter { 520.0 } else { 420.0 };
            egui::Panel::right("lesson")
                .resizable(true)
                .default_size(width)
                .show(ui, |ui| panels::lesson::show(ui, self, &mut intents));
        }
        if self.prefs.show_ledger && !self.prefs.presenter {
            egui::Panel::bottom("ledger")
                .resizable(true)
                .default_size(260.0_f32.min(window.y * 0.3))
                .show(ui, |ui| panels::ledger::show(ui, self, &mut intents));
        }
        if self.prefs.show_sequence {
            egui::Panel::right("sequence")
                .resizable(true)
                .default_size(560.0_f32.min(window.x * 0.45))
                .show(ui, |ui| crate::sequence::show(ui, self, &mut intents));
        }
        let mut hovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let outcome = diagram::show(ui, &self.view, &mut self.anim, lang, self.selected, &mut intents);
            hovered = outcome.hovered;
        });
        self.hovered = hovered;
        if self.show_help {
            panels::help::show(&ctx, self, &mut intents);
        }
        if self.show_cards {
            panels::cards::show(&ctx, self, &mut intents);
        }

        for intent in intents {
            self.handle(&ctx, intent);
        }
        if self.anim.busy(self.now) {
            ctx.request_repaint();
        }
    }

    /// Applies theme and zoom when they change (not every frame: setting the style is not free).
    fn apply_style(&mut self, ctx: &egui::Context) {
        let zoom = self.prefs.zoom * if self.prefs.presenter { PRESENTER_ZOOM } else { 1.0 };
        let want = (self.prefs.dark, zoom);
        if self.style_applied == Some(want) {
            return;
        }
        ctx.options_mut(|o| o.zoom_with_keyboard = false);
        ctx.set_theme(if self.prefs.dark { egui::Theme::Dark } else { egui::Theme::Light });
        ctx.set_zoom_factor(zoom);
        for theme in [egui::Theme::Dark, egui::Theme::Light] {
            ctx.style_mut_of(theme, |style| {
                use egui::{FontFamily, FontId, TextStyle};
                style.text_styles = [
                    (TextStyle::Small, FontId::new(13.0, FontFamily::Proportional)),
                    (TextStyle::Body, FontId::new(16.0, FontFamily::Proportional)),
                    (TextStyle::Button, FontId::new(16.0, FontFamily::Proportional)),
                    (TextStyle::Heading, FontId::new(22.0, FontFamily::Proportional)),
                    (TextStyle::Monospace, FontId::new(14.0, FontFamily::Monospace)),
                ]
                .into();
                style.spacing.button_padding = egui::vec2(8.0, 4.0);
                // The panels leave their fill to the window's clear colour (`background`): on a
                // software renderer every full-window fill is a frame's worth of pixels to shade.
                style.visuals.panel_fill = egui::Color32::TRANSPARENT;
            });
        }
        self.style_applied = Some(want);
    }

    /// Play mode: one step per tick at the chosen speed. Between ticks the window sleeps
    /// (`request_repaint_after`), so playing costs only the frames it needs.
    fn tick(&mut self, ctx: &egui::Context) {
        if !self.playing {
            self.next_tick = None;
            return;
        }
        let period = 1.0 / SPEEDS[self.prefs.speed];
        let due = *self.next_tick.get_or_insert(self.now);
        if self.now >= due {
            self.intents.push(Intent::Action(Action::Step));
            self.next_tick = Some(due.max(self.now - period) + period);
        }
        let wait = (self.next_tick.unwrap_or(self.now) - self.now).max(0.0);
        ctx.request_repaint_after(std::time::Duration::from_secs_f64(wait));
    }

    /// How long a transition between two steps takes at the current speed, in seconds.
    fn transition(&self) -> f64 {
        (0.8 / SPEEDS[self.prefs.speed]).clamp(0.08, 0.6)
    }

    /// Carries out one intent.
    pub fn handle(&mut self, ctx: &egui::Context, intent: Intent) {
        let result = match intent {
            Intent::Command(c) => self.perform(c),
            Intent::Line(line) => self.perform_line(&line),
            Intent::Action(a) => self.action(ctx, a),
            Intent::Scrub(step) => {
                let r = self.scrub(step);
                self.anim.cut();
                r
            }
            Intent::Select(id) => {
                self.selected = if self.selected == Some(id) { None } else { Some(id) };
                Ok(())
            }
            Intent::OpenLesson(id) => self.open_lesson(&id),
            Intent::CloseLesson => {
                self.lesson = None;
                self.reset()
            }
            Intent::Answer(choice) => {
                if let Some(run) = &mut self.lesson {
                    run.answer = Some(choice);
                }
                Ok(())
            }
            Intent::RunLessonStep => self.run_lesson_step(),
        };
        if let Err(e) = result {
            self.notice = Some(Notice { text: e, error: true });
            self.playing = false;
        }
    }

    fn action(&mut self, ctx: &egui::Context, action: Action) -> Result<(), String> {
        match action {
            Action::PlayPause => {
                self.playing = !self.playing;
                if self.playing && self.view.idle && self.timeline.live {
                    self.playing = false;
                    self.notice = Some(Notice { text: T::Idle.get(self.lang()).to_owned(), error: false });
                }
            }
            Action::Step => {
                if self.timeline.live && self.view.idle {
                    self.playing = false;
                    return Ok(());
                }
                self.perform(Command::Step(1))?;
            }
            Action::Back => {
                if self.view.step > 0 {
                    self.scrub(self.view.step - 1)?;
                    self.anim.begin(self.now, self.transition());
                }
            }
            Action::RunToEnd => {
                self.playing = false;
                self.perform(Command::Run(None))?;
            }
            Action::Reset => {
                self.playing = false;
                self.reset()?;
            }
            Action::Send => self.perform(Command::Send(1))?,
            Action::Faster => self.prefs.speed = (self.prefs.speed + 1).min(SPEEDS.len() - 1),
            Action::Slower => self.prefs.speed = self.prefs.speed.saturating_sub(1),
            Action::ZoomIn => self.prefs.zoom = (self.prefs.zoom * 1.1).min(ZOOM_MAX),
            Action::ZoomOut => self.prefs.zoom = (self.prefs.zoom / 1.1).max(ZOOM_MIN),
            Action::ZoomReset => self.prefs.zoom = 1.0,
            Action::FullScreen => {
                let full = ctx.input(|i| i.viewport().fullscreen.unwrap_or(false));
                ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(!full));
            }
            Action::Presenter => self.prefs.presenter = !self.prefs.presenter,
            Action::Theme => self.prefs.dark = !self.prefs.dark,
            Action::Language => self.prefs.zh = !self.prefs.zh,
            Action::ToggleSettings => self.prefs.show_settings = !self.prefs.show_settings,
            Action::ToggleLedger => self.prefs.show_ledger = !self.prefs.show_ledger,
            Action::ToggleSequence => self.prefs.show_sequence = !self.prefs.show_sequence,
            Action::Help => self.show_help = !self.show_help,
            Action::Cards => self.show_cards = !self.show_cards,
            Action::LessonNext => {
                let needs_answer = self.lesson.as_ref().is_some_and(|run| {
                    run.lesson.steps.get(run.next).is_some_and(|s| s.question.is_some())
                        && run.answer.is_none()
                });
                if self.lesson.is_some() && !needs_answer {
                    self.run_lesson_step()?;
                }
            }
            Action::LessonBack => self.lesson_back()?,
            Action::Clear => {
                self.show_help = false;
                self.show_cards = false;
                self.selected = None;
                self.notice = None;
            }
        }
        Ok(())
    }

    /// Applies one command through the session, records it on the timeline and starts the
    /// animation toward the new view.
    pub fn perform(&mut self, command: Command) -> Result<(), String> {
        match command {
            Command::Back(n) => {
                self.scrub(self.view.step.saturating_sub(n))?;
                self.anim.begin(self.now, self.transition());
                return Ok(());
            }
            Command::Step(n) if !self.timeline.live => {
                // Stepping after a rewind replays the recorded future.
                let target = (self.view.step + n).min(self.timeline.high);
                self.scrub(target)?;
                self.anim.begin(self.now, self.transition());
                return Ok(());
            }
            _ => {}
        }
        if !self.timeline.live {
            self.timeline.fork(self.view.step);
        }
        let before = self.view.step;
        let lang = self.lang();
        self.session.apply(command.clone()).map_err(|e| format!("`{command}`: {}", e.text(lang)))?;
        self.refresh(true);
        self.timeline.entries.push(Entry { at: before, end: self.view.step, command });
        self.timeline.high = self.view.step;
        if self.view.idle && self.playing {
            self.playing = false;
        }
        Ok(())
    }

    /// Parses a typed line (all or nothing) and applies its commands in order.
    pub fn perform_line(&mut self, line: &str) -> Result<(), String> {
        let commands = command::parse_line(line).map_err(|e| e.text(self.lang()))?;
        for c in commands {
            self.perform(c)?;
        }
        self.notice = None;
        Ok(())
    }

    /// Moves the world to `target` on the timeline: back through the session's rewind, forward
    /// by replaying the recorded commands from the start and rewinding to the target.
    pub fn scrub(&mut self, target: u64) -> Result<(), String> {
        let target = target.min(self.timeline.high);
        let now = self.session.step();
        if target == now {
            return Ok(());
        }
        let lang = self.lang();
        let err = |e: mqlab_core::session::SessionError| e.text(lang);
        if target < now {
            self.session.back(now - target).map_err(err)?;
        } else {
            self.session.back(now).map_err(err)?;
            for Entry { at, command, .. } in self.timeline.entries.clone() {
                while self.session.step() < at {
                    if self.session.apply(Command::Step(1)).map_err(err)?.is_empty() {
                        break;
                    }
                }
                self.session.apply(command).map_err(err)?;
            }
            while self.session.step() < self.timeline.high {
                if self.session.apply(Command::Step(1)).map_err(err)?.is_empty() {
                    break;
                }
            }
            let end = self.session.step();
            if target < end {
                self.session.back(end - target).map_err(err)?;
            }
        }
        self.timeline.live = self.session.step() >= self.timeline.high;
        self.refresh(false);
        Ok(())
    }

    /// A fresh world: the lesson's start when a lesson is open, else the sandbox.
    pub fn reset(&mut self) -> Result<(), String> {
        let config = match &self.lesson {
            // A lesson's world is not kept: the data directory holds the sandbox's session.
            Some(run) => SessionConfig {
                seed: run.lesson.seed,
                settings: run.lesson.settings.clone(),
                data_dir: None,
                ..self.config.clone()
            },
            None => self.config.clone(),
        };
        // The old world's files must be closed before a new one reuses the data directory, which
        // a reset starts over in.
        let fresh = |config: SessionConfig| Session::start_over(config).map_err(|e| e.to_string());
        let placeholder = Session::new(SessionConfig {
            storage: mqlab_core::log::StorageKind::Mem,
            data_dir: None,
            ..SessionConfig::default()
        })
        .map_err(|e| e.to_string())?;
        drop(std::mem::replace(&mut self.session, placeholder));
        self.session = fresh(config)?;
        self.session.set_language(self.lang()).map_err(|e| e.to_string())?;
        self.timeline = Timeline::new();
        self.selected = None;
        self.playing = false;
        self.anim.cut();
        self.refresh(false);
        Ok(())
    }

    /// The world says its events in the lab's language; a switch replays it (same steps, same
    /// view) so the events already shown are said again too.
    fn sync_language(&mut self) {
        let lang = self.lang();
        if self.session.language() == lang {
            return;
        }
        match self.session.set_language(lang) {
            Ok(()) => {
                self.view = self.session.view();
                self.anim.cut();
            }
            Err(e) => self.notice = Some(Notice { text: e.to_string(), error: true }),
        }
    }

    /// Reads the new view; with `animate`, tokens move to it and crashed nodes flash.
    fn refresh(&mut self, animate: bool) {
        let old = std::mem::replace(&mut self.view, self.session.view());
        if animate {
            for nv in &self.view.nodes {
                if old.nodes.iter().any(|o| o.node == nv.node && o.up) && !nv.up {
                    self.anim.flash(nv.node, self.now);
                }
            }
            self.anim.begin(self.now, self.transition());
        }
    }

    fn open_lesson(&mut self, id: &str) -> Result<(), String> {
        let lessons = lesson::builtin();
        let Some(lesson) = lessons.into_iter().find(|l| l.id == id) else {
            return Err(format!("unknown lesson `{id}`"));
        };
        self.start_lesson(lesson)
    }

    /// Starts a lesson, shipped or read from a file.
    fn start_lesson(&mut self, lesson: Lesson) -> Result<(), String> {
        self.lesson = Some(LessonRun { lesson, next: 0, answer: None });
        self.reset()
    }

    /// Runs the next lesson step's commands (after its question, if any, was answered).
    fn run_lesson_step(&mut self) -> Result<(), String> {
        let Some(run) = &self.lesson else { return Ok(()) };
        let Some(step) = run.lesson.steps.get(run.next) else { return Ok(()) };
        let commands = step.commands.clone();
        if !commands.trim().is_empty() {
            self.perform_line(&commands)?;
        }
        if let Some(run) = &mut self.lesson {
            run.next += 1;
            run.answer = None;
        }
        Ok(())
    }

    /// Goes back one lesson step: rebuilds the lesson's world and reruns the steps before it.
    fn lesson_back(&mut self) -> Result<(), String> {
        let Some(run) = &self.lesson else { return Ok(()) };
        let target = run.next.saturating_sub(1);
        let steps: Vec<String> = run.lesson.steps[..target].iter().map(|s| s.commands.clone()).collect();
        self.reset()?;
        for commands in steps.iter().filter(|c| !c.trim().is_empty()) {
            self.perform_line(commands)?;
        }
        self.anim.cut();
        if let Some(run) = &mut self.lesson {
            run.next = target;
            run.answer = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fork_cuts_steps_and_runs_that_cross_it() {
        let e = |at, end, command| Entry { at, end, command };
        let mut t = Timeline::new();
        t.entries = vec![
            e(0, 2, Command::Send(2)),
            e(2, 7, Command::Step(5)),
            e(7, 9, Command::Run(None)),
            e(9, 10, Command::Heal),
            e(10, 14, Command::Run(None)),
        ];
        t.high = 14;
        t.live = false;
        t.fork(12);
        assert_eq!(
            t.entries[..4],
            vec![
                e(0, 2, Command::Send(2)),
                e(2, 7, Command::Step(5)),
                e(7, 9, Command::Run(None)),
                e(9, 10, Command::Heal)
            ][..]
        );
        assert_eq!(t.entries[4], e(10, 12, Command::Step(2)));
        assert_eq!(t.high, 12);
        assert!(t.live);
        t.fork(4);
        assert_eq!(t.entries, vec![e(0, 2, Command::Send(2)), e(2, 4, Command::Step(2))]);
    }
}
