//! The text form of a headless run: the ledger as a table and the trace with explanations.

use std::fmt::Write;

use crate::session::Session;

/// Renders the ledger table followed by the explained trace.
pub fn render(session: &Session) -> String {
    let report = session.report();
    let mut out = String::new();
    let _ = writeln!(out, "ledger");
    let _ = writeln!(
        out,
        "  {:<6} {:<4} {:>5} {:>4}  {:<20} {:<14} {:<28} {:>7}  detected",
        "id", "prod", "queue", "seq", "status", "fate", "cause", "effects"
    );
    for m in &report.messages {
        let _ = writeln!(
            out,
            "  {:<6} {:<4} {:>5} {:>4}  {:<20} {:<14} {:<28} {:>7}  {}",
            m.id.to_string(),
            m.producer.to_string(),
            m.queue,
            m.seq,
            m.status.map_or("-", |s| s.name()),
            m.fate.name(),
            m.cause.map_or("-", |c| c.name()),
            m.effects,
            if m.detected { "yes" } else { "no" }
        );
    }
    let t = report.totals;
    let _ = writeln!(
        out,
        "totals: sent {}, acked {}, processed {}, duplicated {}, lost {}, failed {}, dead_lettered {}, pending {}",
        t.sent, t.acked, t.processed, t.duplicated, t.lost, t.failed, t.dead_lettered, t.pending
    );
    let _ = writeln!(
        out,
        "{} steps, {} virtual ms, trace digest {}",
        report.steps, report.virtual_ms, report.trace_digest
    );
    let alerts = session.view().alerts;
    if !alerts.is_empty() {
        let _ = writeln!(out, "alerts");
        for a in alerts {
            let _ = writeln!(out, "  {a}");
        }
    }
    let _ = writeln!(out, "\ntrace");
    for e in session.trace() {
        let _ = writeln!(out, "  {:>5} {:>10} ms  {}", e.step, e.at_ms, e.text_in(session.language()));
    }
    out
}
