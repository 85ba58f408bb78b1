//! The link columns between the stages. Each link of the topology is an arrow on the row of the
//! broker it reaches (produce) or leaves from (consume), so after a failover the arrows move to
//! the promoted broker's row; the envelopes in flight fill the other rows, one per line.

use mqlab_core::ids::Node;
use mqlab_core::view::{EnvelopeView, LinkKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::envelope_span;
use crate::app::Ui;

/// Which link column: producers ↔ brokers, or brokers ↔ consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Produce,
    Consume,
}

impl Side {
    /// The broker end of a link on this side, if the link is on this side.
    fn broker_end(self, kind: LinkKind, from: Node, to: Node) -> Option<Node> {
        match (self, kind) {
            (Side::Produce, LinkKind::Produce) => Some(to),
            (Side::Consume, LinkKind::Consume) => Some(from),
            _ => None,
        }
    }

    /// Whether an envelope travels on this side, and if so whether rightwards.
    fn carries(self, e: &EnvelopeView) -> Option<bool> {
        let left = |n: Node| match self {
            Side::Produce => n.is_producer(),
            Side::Consume => n.has_log(),
        };
        let right = |n: Node| match self {
            Side::Produce => n.has_log(),
            Side::Consume => n.is_consumer(),
        };
        if left(e.from) && right(e.to) {
            Some(true)
        } else if right(e.from) && left(e.to) {
            Some(false)
        } else {
            None
        }
    }
}

/// Draws one link column. `heads` are the rows of the brokers' head lines inside their panel.
pub fn render(ui: &Ui, side: Side, heads: &[(Node, usize)], frame: &mut Frame, area: Rect) {
    let rows = usize::from(area.height);
    let mut lines: Vec<Option<Line>> = vec![None; rows];
    let width = usize::from(area.width);
    for link in &ui.view.topology.links {
        let Some(broker) = side.broker_end(link.kind, link.from, link.to) else { continue };
        // The panel's first line is the area's second row (the first is its top border).
        let Some(row) = heads.iter().find(|(n, _)| *n == broker).map(|(_, r)| r + 1) else { continue };
        if row >= rows {
            continue;
        }
        let node = ui.view.node(broker);
        let (shaft, style) =
            if node.up && !node.partitioned { ("─", ui.theme.dim()) } else { ("╌", ui.theme.bad()) };
        let arrow = format!("{}▶", shaft.repeat(width.saturating_sub(1)));
        lines[row] = Some(Line::from(Span::styled(arrow, style)));
    }
    let envelopes: Vec<Line> = ui
        .view
        .in_flight
        .iter()
        .filter_map(|e| {
            side.carries(e).map(|rightward| Line::from(envelope_span(ui, e, rightward)).centered())
        })
        .collect();
    // The free rows below the one level with the stages' top border, top to bottom; the last
    // one says `+N` when they do not all fit.
    let free: Vec<usize> = (1..rows).filter(|r| lines[*r].is_none()).collect();
    let count = envelopes.len();
    for (i, (row, envelope)) in free.iter().zip(envelopes).enumerate() {
        if count > free.len() && i + 1 == free.len() {
            let rest = count - i;
            lines[*row] = Some(Line::styled(format!("+{rest}"), Style::new()).centered());
            break;
        }
        lines[*row] = Some(envelope);
    }
    let lines: Vec<Line> = lines.into_iter().map(Option::unwrap_or_default).collect();
    frame.render_widget(Paragraph::new(lines), area);
}
