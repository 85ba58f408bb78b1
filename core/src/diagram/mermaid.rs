//! The diagram as a Mermaid `sequenceDiagram`, which GitHub Markdown draws in a ```` ```mermaid ````
//! block.
//!
//! ```text
//! sequenceDiagram
//!     participant producer
//!     participant broker
//!     producer->>broker: 5 ms · request m1
//!     broker-xconsumer: 10 ms · delivery m1 ✗ dropped: partitioned
//!     Note over broker: 20 ms · × broker crashed (power)
//! ```
//!
//! Participants come in lane order (their display names in the language asked for); an envelope
//! that arrived is `->>`, one dropped or lost is `-x` with the reason, one still in flight is
//! `-)`; life marks are notes over their lane (a heal over all of them). Every label starts with
//! the virtual time and names the messages. Mermaid reads `;` as the end of a statement and `#`
//! as the start of an entity, so both are written as entities (`#59;`, `#35;`), as are `<` and
//! `>`.

use std::fmt::Write;

use super::{
    Arrow, Diagram, End, RowKind, end_label, kind_label, mark_label, mark_node, mark_symbol, messages_label,
};
use crate::lesson::Lang;
use crate::view::Mark;

/// The Mermaid source of a diagram, ending with a newline.
pub fn render_mermaid(diagram: &Diagram, lang: Lang) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for node in &diagram.lanes {
        let name = if lang == Lang::Zh { node.name_zh() } else { node.name() };
        if name == node.name() {
            let _ = writeln!(out, "    participant {node}");
        } else {
            let _ = writeln!(out, "    participant {node} as {}", escape(name));
        }
    }
    for row in &diagram.rows {
        let time = format!("{} ms", row.at_ms);
        match &row.kind {
            RowKind::Arrow(arrow) => {
                let _ = writeln!(out, "    {}", arrow_line(arrow, &time, lang));
            }
            RowKind::Mark(mark) => {
                let _ = writeln!(out, "    {}", mark_line(diagram, *mark, &time, lang));
            }
        }
    }
    out
}

fn arrow_line(arrow: &Arrow, time: &str, lang: Lang) -> String {
    let sign = match arrow.end {
        End::Arrived => "->>",
        End::Dropped { .. } | End::Lost => "-x",
        End::InFlight { .. } => "-)",
    };
    let mut label = format!("{time} · {}", kind_label(arrow.kind, lang));
    let messages = messages_label(&arrow.messages);
    if !messages.is_empty() {
        label.push(' ');
        label.push_str(&messages);
    }
    if let Some(end) = end_label(arrow, lang) {
        let mark = if arrow.end.failed() { "✗ " } else { "" };
        label.push_str(&format!(" {mark}{end}"));
    }
    format!("{}{sign}{}: {}", arrow.from, arrow.to, escape(&label))
}

fn mark_line(diagram: &Diagram, mark: Mark, time: &str, lang: Lang) -> String {
    let over = match mark_node(mark) {
        Some(node) => node.to_string(),
        None => match (diagram.lanes.first(), diagram.lanes.last()) {
            (Some(first), Some(last)) if first != last => format!("{first},{last}"),
            (Some(only), _) => only.to_string(),
            _ => String::new(),
        },
    };
    let label = format!("{time} · {} {}", mark_symbol(mark), mark_label(mark, lang));
    format!("Note over {over}: {}", escape(&label))
}

/// Writes the characters Mermaid would misread as entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn statement_ends_and_entities_are_escaped() {
        assert_eq!(escape("a;b #1 <x>"), "a#59;b #35;1 #60;x#62;");
    }
}
