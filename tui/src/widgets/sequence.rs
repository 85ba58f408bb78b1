//! The sequence diagram view: the lanes of every node, the rows up to the current step, and
//! the selected message's arrows highlighted.
//!
//! `S` switches to it from the lab and back. It follows the timeline: each step adds its rows
//! at the bottom and `b` takes them away, since the rows come from the session's trace as it is
//! now; PgUp/PgDn look at earlier rows. The core lays the diagram out
//! ([`mqlab_core::diagram::layout`]); this module colours its spans and picks the rows that fit.
//! Building the rows reads only the last events of the trace, however long it is.

use mqlab_core::diagram::{self, Diagram, Role};
use mqlab_core::ids::MsgId;
use mqlab_core::view::{Event, TokenState, Topology};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::Ui;
use crate::i18n::T;
use crate::keymap::{self, Action, Scope};
use crate::widgets::theme::Theme;

/// Rows kept below the scroll position: enough for the tallest terminal.
pub const ROWS_KEPT: usize = 200;
/// Rows one PgUp/PgDn moves.
pub const PAGE: usize = 10;

/// The diagram the view shows, rebuilt after every change to the world.
#[derive(Debug, Clone, Default)]
pub struct Pane {
    pub diagram: Diagram,
    /// Rows scrolled back from the newest (0: the newest row is at the bottom).
    pub back: usize,
}

impl Pane {
    /// Rebuilds the rows from the trace's end (only the events those rows need are read).
    pub fn refresh(&mut self, trace: &[Event], topology: &Topology) {
        self.diagram = Diagram::last_rows(trace, topology, trace.len(), ROWS_KEPT + self.back);
        self.back = self.back.min(self.diagram.rows.len().saturating_sub(1));
    }

    /// Scrolls a page towards the older rows (`earlier`) or back towards the newest.
    pub fn scroll(&mut self, earlier: bool, trace: &[Event], topology: &Topology) {
        self.back = if earlier { self.back + PAGE } else { self.back.saturating_sub(PAGE) };
        self.refresh(trace, topology);
    }
}

fn style(theme: Theme, role: Role) -> Style {
    match role {
        Role::Header => theme.title(),
        Role::Time | Role::Lifeline => theme.dim(),
        Role::Arrow | Role::Blank => Style::new(),
        Role::Failed | Role::Note => theme.bad(),
        Role::InFlight => theme.token(TokenState::InFlight),
        Role::Mark => theme.key(),
    }
}

/// The block's title: the step, the message followed, how far back, and the way out.
fn title(ui: &Ui, pane: &Pane) -> String {
    let mut title = format!(" {} · {} {}", ui.t(T::SequenceTitle), ui.t(T::Step), ui.view.step);
    if let Some(id) = ui.selected {
        title.push_str(&format!(" · {} {id}", ui.t(T::SequenceFollowing)));
    }
    if pane.back > 0 {
        title.push_str(&format!(" · {} {}", pane.back, ui.t(T::SequenceRowsBack)));
    }
    let close = keymap::key_for(Scope::Main, Action::Sequence).unwrap_or_default();
    title.push_str(&format!(" · {close}: {} ", ui.t(T::HintLab)));
    title
}

/// Draws the diagram in `area`: the newest rows that fit (or those `back` rows earlier).
pub fn render(ui: &Ui, pane: &Pane, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(Span::styled(title(ui, pane), ui.theme.title()));
    let inner = block.inner(area);
    let fit = usize::from(inner.height).saturating_sub(1);
    let rows = &pane.diagram.rows;
    let end = rows.len().saturating_sub(pane.back);
    let shown =
        Diagram { lanes: pane.diagram.lanes.clone(), rows: rows[end.saturating_sub(fit)..end].to_vec() };
    let mut lines: Vec<Line> = diagram::layout(&shown, usize::from(inner.width), ui.lang)
        .into_iter()
        .map(|line| {
            let followed = line.row.is_some_and(|r| involves(&shown, r, ui.selected));
            let spans: Vec<Span> = line
                .spans
                .into_iter()
                .map(|span| {
                    let mut style = style(ui.theme, span.role);
                    if followed && !matches!(span.role, Role::Blank | Role::Lifeline | Role::Time) {
                        style = style.add_modifier(Modifier::REVERSED);
                    }
                    Span::styled(span.text, style)
                })
                .collect();
            Line::from(spans)
        })
        .collect();
    if shown.rows.is_empty() {
        lines.push(Line::styled(ui.t(T::SequenceEmpty), ui.theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn involves(diagram: &Diagram, row: usize, selected: Option<MsgId>) -> bool {
    selected.is_some_and(|id| diagram.rows[row].involves(id))
}
