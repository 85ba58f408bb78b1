//! mqlab-gui: the desktop lab for classroom demos.
//!
//! It shows the session's view as an animated diagram (producer, broker with page cache and
//! disk, replica, consumer; messages as tokens moving along the links), with the controls,
//! settings, ledger, event log and lessons around it. It only calls the core's session API and
//! reads its view model; it never reaches into the simulator. Modules:
//! - [`app`]: the state, the intents and the one place they are applied;
//! - [`shortcuts`]: the one shortcut table (menus, tooltips and help are generated from it);
//! - [`diagram`]: layout, drawing and animation of the world;
//! - [`panels`]: toolbar, settings, ledger, lesson narration, help;
//! - [`i18n`]: every UI string in English and Chinese; [`fonts`]: the bundled CJK font.

pub mod app;
pub mod diagram;
pub mod fonts;
pub mod i18n;
pub mod panels;
pub mod sequence;
pub mod shortcuts;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use signal_hook::iterator::Signals;

use mqlab_core::lesson::{Lang, Lesson};
use mqlab_core::session::SessionConfig;

pub use app::LabApp;

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct GuiOptions {
    pub session: SessionConfig,
    /// A lesson to open at start (shipped, or read from a file).
    pub lesson: Option<Lesson>,
    pub lang: Lang,
    /// Start in presenter mode.
    pub presenter: bool,
    /// Open the sequence diagram panel at start.
    pub sequence: bool,
    /// Save a PNG of the window after the first frames, then quit.
    pub screenshot: Option<PathBuf>,
    /// Commands applied before the window opens.
    pub script: Option<String>,
}

/// The one line printed when there is no display to open a window on.
pub const NO_DISPLAY: &str = "no display found; `mqlab` runs the terminal lab";

/// The key of the remembered preferences in eframe's storage.
const PREFS_KEY: &str = "mqlab-prefs";

/// Frames to draw before a `--screenshot` is taken: fonts and layout settle in the first ones.
const SCREENSHOT_AFTER_FRAMES: u64 = 4;

/// The signals that end the lab from outside (`kill`, a closed session): the window closes as
/// if the user closed it, the temporary directory is removed, then the process dies of the
/// signal. A second one while the first is being handled ends the process at once.
const STOP_SIGNALS: [i32; 3] =
    [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT, signal_hook::consts::SIGHUP];

/// Watches the stop signals from now on; a thread started with the window wakes it when one
/// comes (see [`Window::ui`]).
fn watch_stop_signals() -> Result<Signals, String> {
    let cannot = |e: std::io::Error| format!("cannot watch for signals: {e}");
    for signal in STOP_SIGNALS {
        let signalled = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&signalled))
            .map_err(cannot)?;
        signal_hook::flag::register(signal, signalled).map_err(cannot)?;
    }
    Signals::new(STOP_SIGNALS).map_err(cannot)
}

/// Opens the window; returns one line for the user on failure (no display, bad script, an
/// unwritable screenshot path).
pub fn run(options: GuiOptions) -> Result<(), String> {
    if !has_display() {
        return Err(NO_DISPLAY.to_owned());
    }
    let mut signals = watch_stop_signals()?;
    let signals_handle = signals.handle();
    let stop = Arc::new(AtomicUsize::new(0));
    let app = LabApp::new(&options)?;
    let screenshot = options.screenshot.clone();
    let outcome: Arc<Mutex<Option<Result<(), String>>>> = Arc::new(Mutex::new(None));
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("mqlab")
            .with_inner_size([1600.0, 1000.0])
            .with_min_inner_size([900.0, 600.0]),
        // A screenshot run must look the same everywhere: no remembered window or preferences.
        persist_window: screenshot.is_none(),
        ..Default::default()
    };
    let shared = outcome.clone();
    let stopped = stop.clone();
    let result = eframe::run_native(
        "mqlab",
        native,
        Box::new(move |cc| {
            fonts::install(&cc.egui_ctx);
            let (ctx, flag) = (cc.egui_ctx.clone(), stopped.clone());
            std::thread::spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    flag.store(signal as usize, Ordering::SeqCst);
                    ctx.request_repaint();
                }
            });
            let mut app = app;
            if screenshot.is_none()
                && let Some(prefs) = cc.storage.and_then(|s| eframe::get_value::<app::Prefs>(s, PREFS_KEY))
            {
                app.restore(prefs, &options);
            }
            Ok(Box::new(Window {
                app,
                screenshot,
                frames: 0,
                requested: false,
                outcome: shared,
                stats: FrameStats::from_env(),
                stop: stopped,
            }))
        }),
    );
    signals_handle.close();
    // The window and the app (with its session and temporary directory) are gone.
    if let signal @ 1.. = stop.load(Ordering::SeqCst) {
        signal_hook::low_level::emulate_default_handler(signal as i32)
            .map_err(|e| format!("cannot end on signal {signal}: {e}"))?;
    }
    if let Err(e) = result {
        return Err(window_error(&e));
    }
    match outcome.lock().map(|mut o| o.take()) {
        Ok(Some(Err(e))) => Err(e),
        _ => Ok(()),
    }
}

/// Whether an X11 or Wayland display is named in the environment (checked before eframe
/// creates its event loop, which would otherwise fail deep inside winit).
fn has_display() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    set("DISPLAY") || set("WAYLAND_DISPLAY")
}

/// Eframe's error as one line: a failed event loop means no usable display.
fn window_error(e: &eframe::Error) -> String {
    let first = e.to_string().lines().next().unwrap_or_default().to_owned();
    match e {
        eframe::Error::Winit(_) | eframe::Error::WinitEventLoop(_) => format!("{NO_DISPLAY} ({first})"),
        _ => format!("cannot open a window: {first}"),
    }
}

/// The eframe side of the lab: the app plus the screenshot job and frame statistics.
struct Window {
    app: LabApp,
    screenshot: Option<PathBuf>,
    frames: u64,
    requested: bool,
    outcome: Arc<Mutex<Option<Result<(), String>>>>,
    stats: Option<FrameStats>,
    /// The stop signal that came (0: none): the window closes.
    stop: Arc<AtomicUsize>,
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if let Some(stats) = &mut self.stats {
            stats.frame(self.app.busy());
        }
        self.app.ui(ui);
        self.frames += 1;
        let ctx = ui.ctx().clone();
        if self.stop.load(Ordering::SeqCst) != 0 {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if let Some(path) = &self.screenshot {
            if !self.requested && self.frames >= SCREENSHOT_AFTER_FRAMES && !self.app.busy() {
                self.requested = true;
                let path = path.clone();
                let outcome = self.outcome.clone();
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    let saved = save_png(&path, &image);
                    if let Ok(mut o) = outcome.lock() {
                        *o = Some(saved);
                    }
                    repaint.request_repaint();
                });
            } else if !self.requested {
                ctx.request_repaint();
            }
            if self.outcome.lock().is_ok_and(|o| o.is_some()) {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        app::background(visuals.dark_mode).to_normalized_gamma_f32()
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            eframe::set_value(storage, PREFS_KEY, &self.app.prefs);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(stats) = &self.stats {
            eprintln!("{}", stats.summary());
        }
    }
}

fn save_png(path: &std::path::Path, image: &egui::ColorImage) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    image::save_buffer(path, &bytes, w as u32, h as u32, image::ExtendedColorType::Rgba8)
        .map_err(|e| format!("--screenshot {}: {e}", path.display()))
}

/// Frame intervals while something animates, printed when `MQLAB_GUI_STATS=1` each time the
/// animation comes to rest (and on exit): how the frame time with many tokens is measured on a
/// real (software) renderer, by `scripts/gui-measure.sh`.
#[derive(Debug)]
struct FrameStats {
    last: Option<std::time::Instant>,
    animating: Vec<f64>,
}

impl FrameStats {
    fn from_env() -> Option<Self> {
        (std::env::var("MQLAB_GUI_STATS").as_deref() == Ok("1"))
            .then(|| Self { last: None, animating: Vec::new() })
    }

    fn frame(&mut self, busy: bool) {
        let now = std::time::Instant::now();
        if let Some(last) = self.last
            && busy
        {
            self.animating.push((now - last).as_secs_f64() * 1000.0);
        }
        if !busy && self.animating.len() > 1 {
            eprintln!("{}", self.summary());
            self.animating.clear();
        }
        self.last = Some(now);
    }

    fn summary(&self) -> String {
        let mut v = self.animating.clone();
        if v.is_empty() {
            return "frame stats: no animated frames".to_owned();
        }
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let p = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
        format!(
            "frame stats: {} animated frames, mean {mean:.1} ms, median {:.1} ms, p95 {:.1} ms",
            v.len(),
            p(0.5),
            p(0.95)
        )
    }
}
