//! What a headless run (`exec`, `run`) prints: the ledger and the trace, the `--json` report,
//! the sequence diagram (`--diagram`, after the ledger and trace) or only its Mermaid source
//! (`--mermaid`, ready for a ```` ```mermaid ```` block), for every message or one
//! (`--message m3`).

use clap::Args;
use mqlab_core::diagram::{Diagram, render_mermaid, render_text};
use mqlab_core::ids::MsgId;
use mqlab_core::lesson::Lang;
use mqlab_core::session::Session;
use mqlab_core::text;

/// The output options of `exec` and `run`.
#[derive(Debug, Args, Clone)]
pub struct Shown {
    /// Print one JSON object instead of the table and trace.
    #[arg(long, conflicts_with_all = ["diagram", "mermaid", "message"])]
    pub json: bool,
    /// After the ledger and trace, draw the run as a sequence diagram: a lane per node, an arrow
    /// per envelope (✗ where one was dropped or lost, and why), crashes, restarts and
    /// partitions on their lanes, step and virtual time at the left.
    #[arg(long)]
    pub diagram: bool,
    /// Print only the sequence diagram as Mermaid source (paste it into a ```mermaid block;
    /// GitHub draws it).
    #[arg(long, conflicts_with = "diagram")]
    pub mermaid: bool,
    /// Follow one message: the diagram keeps only the arrows that carry it (and the crashes,
    /// restarts and partitions around them). Implies --diagram unless --mermaid is given.
    #[arg(long, value_name = "mN", value_parser = parse_message)]
    pub message: Option<MsgId>,
    /// Width of the text diagram, in columns.
    #[arg(long, value_name = "COLUMNS", default_value_t = 100, value_parser = clap::value_parser!(u16).range(40..=1000))]
    pub width: u16,
}

/// `m3` or `3`.
fn parse_message(text: &str) -> Result<MsgId, String> {
    let digits = text.strip_prefix('m').unwrap_or(text);
    match digits.parse::<u64>() {
        Ok(n) if n > 0 => Ok(MsgId(n)),
        _ => Err(format!("`{text}` is not a message id: write it as the ledger does, m1, m2 …")),
    }
}

impl Shown {
    /// The text to print for a session that ran, or why it cannot be printed (a message the
    /// run never created).
    pub fn render(&self, session: &Session, lang: Lang) -> Result<String, String> {
        if self.json {
            let report = session.report();
            let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
            return Ok(format!("{text}\n"));
        }
        let diagram = self.diagram(session)?;
        match diagram {
            Some(diagram) if self.mermaid => Ok(render_mermaid(&diagram, lang)),
            Some(diagram) => {
                let title = match (self.message, lang) {
                    (Some(id), Lang::Zh) => format!("\n时序图（{id}）\n"),
                    (Some(id), Lang::En) => format!("\nsequence diagram of {id}\n"),
                    (None, Lang::Zh) => "\n时序图\n".to_owned(),
                    (None, Lang::En) => "\nsequence diagram\n".to_owned(),
                };
                let drawn = render_text(&diagram, usize::from(self.width), lang);
                Ok(format!("{}{title}{drawn}", text::render(session)))
            }
            None => Ok(text::render(session)),
        }
    }

    /// The diagram asked for, if any.
    fn diagram(&self, session: &Session) -> Result<Option<Diagram>, String> {
        if !(self.diagram || self.mermaid || self.message.is_some()) {
            return Ok(None);
        }
        let view = session.view();
        let diagram = Diagram::build(session.trace(), &view.topology);
        let Some(id) = self.message else { return Ok(Some(diagram)) };
        if view.message(id).is_none() {
            let known = match (view.messages.first(), view.messages.last()) {
                (Some(first), Some(last)) if first.id == last.id => format!("it has only {}", first.id),
                (Some(first), Some(last)) => format!("it has {}..{}", first.id, last.id),
                _ => "it sent no messages".to_owned(),
            };
            return Err(format!("--message {id}: this run has no message {id}; {known}"));
        }
        Ok(Some(diagram.involving(id)))
    }
}
