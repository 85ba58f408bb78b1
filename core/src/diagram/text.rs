//! The diagram as text: lanes as columns, one line per row.
//!
//! ```text
//! step  time    producer      broker      replica      consumer
//!    2  0 ms       │            │            │            ⊘       ⊘ consumer partitioned
//!    5  5 ms       │─req m1────▶│            │            │
//!    6 10 ms       │◀─resp m1───│            │            │
//!    7 10 ms       │            │─delivery m1───✗         │       dropped: partitioned
//!    8 50 ms       │            ×            │            │       × broker crashed (power)
//!    9 50 ms       │            ↻            │            │       ↻ broker restarted
//!   10 50 ms       │┈┈┈┈┈┈┈┈┈┈┈┈│┈┈┈┈┈┈┈┈┈┈┈┈│┈┈┈┈┈┈┈┈┈┈┈┈│       ≈ network healed
//! ```
//!
//! The step and virtual time stand at the left (once per step), node names head their lanes,
//! arrows run between the lanes' lifelines with their head on the addressee's side (`▶` or `◀`),
//! a dropped or lost one stops short with `✗` and says why in the notes column at the right,
//! one still in flight is dotted (`┄┄▷`). A life mark puts its symbol on its lane (`×` crash,
//! `↻` restart, `⊘` partition, `▲` promotion; a heal `≈` runs across) and its words in the
//! notes. The layout fits the width given: lanes narrow first, then labels shorten (`request
//! m1..m3`, `req m1..m3`, `m1..m3`, `req`) rather than run into each other.
//!
//! [`layout`] gives the lines as spans with a [`Role`] each, which the terminal lab colours;
//! [`render_text`] joins them into plain text.

use unicode_width::UnicodeWidthChar;

use super::{
    Arrow, Diagram, End, Row, RowKind, end_label, end_short, kind_label, kind_short, mark_label, mark_node,
    mark_symbol, messages_label,
};
use crate::lesson::Lang;
use crate::view::Mark;

/// What a piece of a line draws, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Lane names and the column titles.
    Header,
    /// The step and virtual time.
    Time,
    /// A lane's vertical line.
    Lifeline,
    /// An envelope that arrived.
    Arrow,
    /// An envelope dropped or lost.
    Failed,
    /// An envelope still in flight.
    InFlight,
    /// A life mark's symbol and words.
    Mark,
    /// The notes column (why an envelope failed).
    Note,
    Blank,
}

/// A run of text with one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub role: Role,
}

/// One line of the text diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub spans: Vec<Span>,
    /// The diagram row it draws (an index into [`Diagram::rows`]); `None` for the header.
    pub row: Option<usize>,
}

impl Line {
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// The narrowest and widest a lane is drawn.
const LANE_MIN: usize = 5;
const LANE_MAX: usize = 22;
/// The width the notes column keeps before the lanes take the rest, whatever its notes need,
/// and the most it asks for.
const NOTES_MIN: usize = 12;
const NOTES_MAX: usize = 34;
/// The notes' width on a narrow screen: enough for `broker crashed (power)`.
const NOTES_NARROW: usize = 22;
/// The lane width below which the notes are narrowed.
const LANE_COMFORT: usize = 11;

/// Where things go across the width.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    width: usize,
    step_w: usize,
    time_w: usize,
    lane_w: usize,
    lanes: usize,
}

impl Geometry {
    fn new(diagram: &Diagram, width: usize, lang: Lang) -> Geometry {
        let (step_title, time_title) = titles(lang);
        let step_w =
            diagram.rows.iter().map(|r| digits(r.step)).max().unwrap_or(1).max(text_width(step_title));
        let time_w =
            diagram.rows.iter().map(|r| digits(r.at_ms) + 3).max().unwrap_or(1).max(text_width(time_title));
        let lanes = diagram.lanes.len().max(1);
        let gutter = step_w + 1 + time_w + 1;
        // The notes column asks for its longest note (within bounds) and the lanes share the
        // rest; on a narrow screen the notes give up their longest words first, so that the
        // lanes keep room for a label such as `resp m1`.
        let needed = diagram.rows.iter().map(|row| note_width(row, lang)).max().unwrap_or(0);
        let lane_for = |notes: usize| width.saturating_sub(gutter + notes + 1) / lanes;
        let mut lane_w = lane_for(needed.clamp(NOTES_MIN, NOTES_MAX));
        if lane_w < LANE_COMFORT {
            lane_w = lane_for(needed.clamp(NOTES_MIN, NOTES_NARROW));
        }
        let lane_w = lane_w.clamp(LANE_MIN, LANE_MAX);
        Geometry { width, step_w, time_w, lane_w, lanes }
    }

    fn gutter(&self) -> usize {
        self.step_w + 1 + self.time_w + 1
    }

    /// The column of lane `i`'s lifeline.
    fn center(&self, i: usize) -> usize {
        self.gutter() + i * self.lane_w + self.lane_w / 2
    }

    /// The first column of the notes.
    fn notes(&self) -> usize {
        self.gutter() + self.lanes * self.lane_w + 1
    }
}

/// The width of a row's note at its longest.
fn note_width(row: &Row, lang: Lang) -> usize {
    match &row.kind {
        RowKind::Arrow(arrow) => end_label(arrow, lang).map_or(0, |note| text_width(&note)),
        RowKind::Mark(mark) => text_width(&mark_label(*mark, lang)) + 2,
    }
}

fn titles(lang: Lang) -> (&'static str, &'static str) {
    if lang == Lang::Zh { ("步", "时间") } else { ("step", "time") }
}

fn digits(n: u64) -> usize {
    n.to_string().len()
}

fn text_width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// A line being drawn: one cell per terminal column; a wide character fills its cell and
/// leaves the next empty.
struct Canvas {
    cells: Vec<Option<(char, Role)>>,
}

impl Canvas {
    fn new(width: usize) -> Canvas {
        Canvas { cells: vec![Some((' ', Role::Blank)); width] }
    }

    /// Makes cell `col` a space; a wide character it was part of becomes a space too.
    fn clear(&mut self, col: usize) {
        match self.cells[col] {
            None if col > 0 => self.cells[col - 1] = Some((' ', Role::Blank)),
            Some((c, _)) if c.width() == Some(2) && col + 1 < self.cells.len() => {
                self.cells[col + 1] = Some((' ', Role::Blank));
            }
            _ => {}
        }
        self.cells[col] = Some((' ', Role::Blank));
    }

    fn put(&mut self, col: usize, c: char, role: Role) {
        let w = c.width().unwrap_or(0);
        if w == 0 || col + w > self.cells.len() {
            return;
        }
        for k in 0..w {
            self.clear(col + k);
        }
        self.cells[col] = Some((c, role));
        if w == 2 {
            self.cells[col + 1] = None;
        }
    }

    /// Writes `text` from `col`, stopping before `limit`; returns the column after it.
    fn write(&mut self, col: usize, text: &str, role: Role, limit: usize) -> usize {
        let mut at = col;
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if at + w > limit.min(self.cells.len()) {
                break;
            }
            self.put(at, c, role);
            at += w;
        }
        at
    }

    fn into_spans(self) -> Vec<Span> {
        let mut spans: Vec<Span> = Vec::new();
        for (c, role) in self.cells.into_iter().flatten() {
            match spans.last_mut() {
                Some(last) if last.role == role => last.text.push(c),
                _ => spans.push(Span { text: c.to_string(), role }),
            }
        }
        // Trailing blanks are not drawn.
        while let Some(last) = spans.last_mut() {
            if last.role != Role::Blank {
                break;
            }
            let kept = last.text.trim_end().len();
            if kept == 0 {
                spans.pop();
            } else {
                last.text.truncate(kept);
                break;
            }
        }
        spans
    }
}

/// Cuts `text` to at most `max` columns, ending with `…` when cut.
fn fit(text: &str, max: usize) -> String {
    if text_width(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// A node's name in at most `max` columns, keeping its number: `producer2` → `prod…2`, so two
/// producers' lanes stay told apart when names are cut.
fn fit_name(name: &str, max: usize) -> String {
    if text_width(name) <= max {
        return name.to_owned();
    }
    let digits = name.chars().rev().take_while(char::is_ascii_digit).count();
    let (stem, number) = name.split_at(name.len() - digits);
    if number.is_empty() || max <= number.len() + 1 {
        return fit(name, max);
    }
    format!("{}{number}", fit(stem, max - number.len()))
}

/// The diagram as lines of styled spans, `width` columns at most.
pub fn layout(diagram: &Diagram, width: usize, lang: Lang) -> Vec<Line> {
    let geo = Geometry::new(diagram, width, lang);
    let mut lines = vec![Line { spans: header(diagram, &geo, lang), row: None }];
    let mut last_step = None;
    for (index, row) in diagram.rows.iter().enumerate() {
        let mut canvas = Canvas::new(width);
        if last_step != Some(row.step) {
            let (step, time) = (row.step.to_string(), format!("{} ms", row.at_ms));
            let step_at = geo.step_w - step.len();
            canvas.write(step_at, &step, Role::Time, width);
            let time_at = geo.step_w + 1 + geo.time_w - text_width(&time);
            canvas.write(time_at, &time, Role::Time, width);
            last_step = Some(row.step);
        }
        for lane in 0..diagram.lanes.len() {
            canvas.put(geo.center(lane), '│', Role::Lifeline);
        }
        match &row.kind {
            RowKind::Arrow(arrow) => draw_arrow(&mut canvas, diagram, &geo, arrow, lang),
            RowKind::Mark(mark) => draw_mark(&mut canvas, diagram, &geo, *mark, lang),
        }
        lines.push(Line { spans: canvas.into_spans(), row: Some(index) });
    }
    lines
}

/// The diagram as plain text, `width` columns at most, one line per row after the header.
pub fn render_text(diagram: &Diagram, width: usize, lang: Lang) -> String {
    let mut out = String::new();
    for line in layout(diagram, width, lang) {
        out.push_str(&line.text());
        out.push('\n');
    }
    out
}

fn header(diagram: &Diagram, geo: &Geometry, lang: Lang) -> Vec<Span> {
    let mut canvas = Canvas::new(geo.width);
    let (step, time) = titles(lang);
    canvas.write(geo.step_w - text_width(step), step, Role::Header, geo.width);
    canvas.write(geo.step_w + 1 + geo.time_w - text_width(time), time, Role::Header, geo.width);
    for (i, node) in diagram.lanes.iter().enumerate() {
        let name = if lang == Lang::Zh { node.name_zh() } else { node.name() };
        let name = fit_name(name, geo.lane_w - 1);
        let start = (geo.center(i) + 1).saturating_sub(text_width(&name).div_ceil(2));
        let start = start.max(geo.gutter() + i * geo.lane_w);
        canvas.write(start, &name, Role::Header, geo.gutter() + (i + 1) * geo.lane_w);
    }
    canvas.into_spans()
}

/// The label of an arrow that fits `room` columns: the longest of the kind and messages, the
/// short kind and messages, the messages, the short kind, nothing.
fn arrow_label(arrow: &Arrow, room: usize, lang: Lang) -> String {
    let messages = messages_label(&arrow.messages);
    let join = |kind: &str| if messages.is_empty() { kind.to_owned() } else { format!("{kind} {messages}") };
    [
        join(kind_label(arrow.kind, lang)),
        join(kind_short(arrow.kind, lang)),
        messages,
        kind_short(arrow.kind, lang).to_owned(),
    ]
    .into_iter()
    .find(|label| !label.is_empty() && text_width(label) <= room)
    .unwrap_or_default()
}

fn draw_arrow(canvas: &mut Canvas, diagram: &Diagram, geo: &Geometry, arrow: &Arrow, lang: Lang) {
    let (Some(from), Some(to)) = (diagram.lane(arrow.from), diagram.lane(arrow.to)) else { return };
    let (a, b) = (geo.center(from), geo.center(to));
    let role = match arrow.end {
        End::Arrived => Role::Arrow,
        End::Dropped { .. } | End::Lost => Role::Failed,
        End::InFlight { .. } => Role::InFlight,
    };
    let shaft = if role == Role::InFlight { '┄' } else { '─' };
    let rightward = a < b;
    let (lo, hi) = if rightward { (a, b) } else { (b, a) };
    // The cells between the two lifelines.
    let inner = hi.saturating_sub(lo + 1);
    // Room for the label: a shaft cell either side and the head.
    let label = arrow_label(arrow, inner.saturating_sub(3), lang);
    let label_w = text_width(&label);
    // A failed arrow stops short of its addressee: it never got there.
    let length = if arrow.end.failed() { (label_w + 3).max(inner * 2 / 3).min(inner) } else { inner };
    let head = match (arrow.end, rightward) {
        (End::Dropped { .. } | End::Lost, _) => '✗',
        (End::InFlight { .. }, true) => '▷',
        (End::InFlight { .. }, false) => '◁',
        (End::Arrived, true) => '▶',
        (End::Arrived, false) => '◀',
    };
    if length == 0 {
        return;
    }
    let (start, head_at) = if rightward { (a + 1, a + length) } else { (a - length, a - length) };
    for col in start..start + length {
        canvas.put(col, shaft, role);
    }
    canvas.put(head_at, head, role);
    let label_at = if rightward { a + 2 } else { head_at + 2 };
    canvas.write(label_at, &label, role, label_at + label_w);
    if let Some(note) = end_label(arrow, lang) {
        let short = end_short(arrow, lang).unwrap_or_default();
        write_note(canvas, geo, &note, short, Role::Note);
    }
}

fn draw_mark(canvas: &mut Canvas, diagram: &Diagram, geo: &Geometry, mark: Mark, lang: Lang) {
    match mark_node(mark).and_then(|node| diagram.lane(node)) {
        Some(lane) => canvas.put(geo.center(lane), mark_symbol(mark), Role::Mark),
        None => {
            let (first, last) = (geo.center(0), geo.center(diagram.lanes.len().saturating_sub(1)));
            for col in first..=last {
                if !(0..diagram.lanes.len()).any(|i| geo.center(i) == col) {
                    canvas.put(col, '┈', Role::Mark);
                }
            }
        }
    }
    let label = mark_label(mark, lang);
    write_note(canvas, geo, &format!("{} {label}", mark_symbol(mark)), &label, Role::Mark);
}

/// Writes a note in the notes column: the full words if they fit, else the short ones, cut.
fn write_note(canvas: &mut Canvas, geo: &Geometry, note: &str, short: &str, role: Role) {
    let room = geo.width.saturating_sub(geo.notes());
    let text = if text_width(note) <= room { note.to_owned() } else { fit(short, room) };
    canvas.write(geo.notes(), &text, role, geo.width);
}

#[cfg(test)]
mod tests {
    #[test]
    fn cut_names_keep_their_number() {
        assert_eq!(super::fit_name("producer2", 6), "prod…2");
        assert_eq!(super::fit_name("consumer", 6), "consu…");
        assert_eq!(super::fit_name("broker", 6), "broker");
        assert_eq!(super::fit_name("生产者2", 5), "生…2");
    }
}
