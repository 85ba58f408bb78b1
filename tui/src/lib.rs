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
use std::time::Instant;

use mqlab_core::lesson::Lang;
use mqlab_core::session::SessionConfig;
use ratatui::crossterm::event::{self, Event};

use crate::app::{App, Msg};
use crate::widgets::theme::Theme;

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    pub session: SessionConfig,
    /// A lesson to open at start.
    pub lesson: Option<String>,
    pub lang: Lang,
}

/// Runs the terminal lab until the user quits. The terminal is restored on return and after a
/// panic (`ratatui::run`). A frame is drawn only after input, a play tick or a resize: while
/// paused the loop sleeps in `event::read`.
pub fn run(options: TuiOptions) -> io::Result<()> {
    let mut app = App::new(options, Theme::from_env())?;
    ratatui::run(|terminal| {
        let mut next_tick: Option<Instant> = None;
        loop {
            terminal.draw(|frame| app.render(frame))?;
            let event = match app.tick_interval() {
                None => {
                    next_tick = None;
                    Some(event::read()?)
                }
                Some(interval) => {
                    let due = *next_tick.get_or_insert_with(|| Instant::now() + interval);
                    let wait = due.saturating_duration_since(Instant::now());
                    if event::poll(wait)? { Some(event::read()?) } else { None }
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
