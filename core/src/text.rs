//! The text form of a headless run: the ledger as a table and the trace with explanations.

use crate::session::Session;

/// Renders the ledger table followed by the explained trace.
#[allow(clippy::todo)]
pub fn render(_session: &Session) -> String {
    todo!()
}
