//! mqlab-tui: the terminal lab for interview practice.
//!
//! It draws the three stages, the ledger and the explained event log from the core's view model
//! and changes the world only through `Session`; it never reaches into the simulator. Keys are
//! defined once, in [`keymap`].

pub mod app;
pub mod cards;
pub mod drill;
pub mod i18n;
pub mod journey;
pub mod keymap;
pub mod lessons;
pub mod widgets;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mqlab_core::lesson::{Lang, Lesson};
use mqlab_core::session::SessionConfig;
use ratatui::crossterm::event::{self, Event};
use signal_hook::iterator::Signals;

use crate::app::{App, Msg};
use crate::widgets::theme::Theme;

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    pub session: SessionConfig,
    /// A lesson to open at start (shipped, or read from a file).
    pub lesson: Option<Lesson>,
    pub lang: Lang,
}

/// The signals that end the lab from outside (`kill`, a closed terminal): it stops at its next
/// turn, restores the terminal and removes its temporary directory, then dies of the signal.
const STOP_SIGNALS: [i32; 3] =
    [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT, signal_hook::consts::SIGHUP];

/// How often a paused lab looks whether a stop signal came (it otherwise waits for a key).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// How long the lab has to stop by itself after a stop signal before the watchdog ends it.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// The temporary directory of the session the lab shows now (opening a lesson makes a new
/// session), for the watchdog.
static TEMPORARY_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Records the temporary directory of the session now shown.
pub(crate) fn track_temporary_dir(dir: Option<&Path>) {
    if let Ok(mut tracked) = TEMPORARY_DIR.lock() {
        *tracked = dir.map(Path::to_owned);
    }
}

/// The watchdog: when a stop signal comes and the lab has not ended [`STOP_GRACE`] later (a
/// long command still running, or the terminal gone: crossterm then spins reading the closed
/// terminal and never returns), it restores the terminal, removes the temporary directory and
/// ends the process as the signal would.
fn start_watchdog() -> io::Result<()> {
    let mut signals = Signals::new(STOP_SIGNALS)?;
    std::thread::spawn(move || {
        let Some(signal) = signals.forever().next() else { return };
        std::thread::sleep(STOP_GRACE);
        let _ = ratatui::try_restore();
        if let Some(dir) = TEMPORARY_DIR.lock().ok().and_then(|d| d.clone()) {
            let _ = std::fs::remove_dir_all(dir);
        }
        let _ = signal_hook::low_level::emulate_default_handler(signal);
        signal_hook::low_level::exit(128 + signal);
    });
    Ok(())
}

/// Records which stop signal came (0: none). A second one while the first is being handled
/// ends the process at once.
fn watch_stop_signals() -> io::Result<Arc<AtomicUsize>> {
    let stop = Arc::new(AtomicUsize::new(0));
    for signal in STOP_SIGNALS {
        let signalled = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&signalled))?;
        signal_hook::flag::register(signal, signalled)?;
        signal_hook::flag::register_usize(signal, Arc::clone(&stop), signal as usize)?;
    }
    Ok(stop)
}

/// Runs the terminal lab until the user quits. The terminal is restored on return, after a
/// panic (`ratatui::run`) and after SIGTERM, SIGINT or SIGHUP, which end the process as the
/// signal would once the lab is cleaned up. A frame is drawn only after input, a play tick or a
/// resize: while paused the loop waits in `event::poll`.
pub fn run(options: TuiOptions) -> io::Result<()> {
    let stop = watch_stop_signals()?;
    start_watchdog()?;
    let app = App::new(options, Theme::from_env())?;
    let result = run_app(app, &stop);
    // The app (with its session and temporary directory) is gone and the terminal restored.
    match stop.load(Ordering::SeqCst) {
        0 => result,
        signal => {
            signal_hook::low_level::emulate_default_handler(signal as i32)?;
            result
        }
    }
}

fn run_app(mut app: App, stop: &AtomicUsize) -> io::Result<()> {
    ratatui::run(|terminal| {
        let mut next_tick: Option<Instant> = None;
        loop {
            if stop.load(Ordering::SeqCst) != 0 {
                return Ok(());
            }
            terminal.draw(|frame| app.render(frame))?;
            let event = loop {
                if stop.load(Ordering::SeqCst) != 0 {
                    return Ok(());
                }
                let due = app
                    .tick_interval()
                    .map(|interval| *next_tick.get_or_insert_with(|| Instant::now() + interval));
                if due.is_none() {
                    next_tick = None;
                }
                let wait = due.map_or(SIGNAL_CHECK, |due| due.saturating_duration_since(Instant::now()));
                if event::poll(wait.min(SIGNAL_CHECK))? {
                    break Some(event::read()?);
                }
                if due.is_some_and(|due| Instant::now() >= due) {
                    break None;
                }
            };
            match event {
                None => {
                    next_tick = None;
                    app.update(Msg::Tick);
                }
                Some(Event::Key(key)) => app.input(key),
                Some(Event::Resize(..)) => {}
                // Mouse, focus and paste events change nothing: no redraw.
                Some(_) => continue,
            }
            if app.quit {
                return Ok(());
            }
        }
    })
}
