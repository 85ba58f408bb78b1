//! mqlab-tui: the terminal lab for interview practice.

use std::io;

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::widgets::{Block, Paragraph};
use mqlab_core::lesson::Lang;
use mqlab_core::session::SessionConfig;

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    pub session: SessionConfig,
    /// A lesson to open at start.
    pub lesson: Option<String>,
    pub lang: Lang,
}

/// Runs the terminal lab until the user quits.
pub fn run(_options: TuiOptions) -> io::Result<()> {
    ratatui::run(|terminal| {
        loop {
            terminal.draw(|frame| {
                let text = "mqlab — how a message queue loses messages, and what prevents it.\n\nPress q to quit.";
                frame.render_widget(Paragraph::new(text).block(Block::bordered().title(" mqlab ")), frame.area());
            })?;
            if let Event::Key(key) = event::read()?
                && key.kind == KeyEventKind::Press
                && key.code == KeyCode::Char('q')
            {
                return Ok(());
            }
        }
    })
}
