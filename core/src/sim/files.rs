//! The broker's and replica's files in a data directory: emptied for a new world, taken up
//! again (by the real recovery) when a session is resumed from its journal.

use std::path::Path;

use crate::command::{Command, CrashKind};
use crate::ids::Node;
use crate::journal;
use crate::log::{ClosedLog, CommitLog, LogConfig, RawSegments, StorageKind};
use crate::view::Cause;

use super::broker::cause_of;
use super::said::said;
use super::{World, bi};

/// Takes `dir` as a log directory (see [`journal::claim`]) and removes its segment files: only
/// files named like a segment, which the lab wrote there.
pub(crate) fn empty_log_dir(dir: &Path) -> Result<(), String> {
    journal::claim(dir, &|name, is_dir| !is_dir && crate::log::is_log_file_name(name))?;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: cannot list: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let segment = name.len() == 20 && name.bytes().all(|b| b.is_ascii_digit());
        if segment && entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| format!("{}: cannot remove: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// An input the session records because taking up the files changed the world.
#[derive(Debug, Clone)]
pub(crate) enum Taken {
    /// A command applied after `step` events.
    Command(u64, Command),
    /// [`World::files_cut`] after `step` events.
    FilesCut { step: u64, node: Node, end: u64, cause: Cause },
}

/// The first logical offset at which two sets of segments differ (absent bytes read as zero).
fn first_difference(a: &RawSegments, b: &RawSegments, size: u64) -> Option<u64> {
    let starts: std::collections::BTreeSet<u64> = a.iter().chain(b).map(|(s, _)| *s).collect();
    fn get(raw: &RawSegments, start: u64) -> Option<&[u8]> {
        raw.iter().find(|(s, _)| *s == start).map(|(_, b)| b.as_slice())
    }
    for start in starts {
        let (x, y) = (get(a, start).unwrap_or(&[]), get(b, start).unwrap_or(&[]));
        let n = x.len().max(y.len()).min(size as usize);
        if let Some(i) = (0..n).find(|&i| x.get(i).unwrap_or(&0) != y.get(i).unwrap_or(&0)) {
            return Some(start + i as u64);
        }
    }
    None
}

impl World {
    /// On replay of a journal: the files of `node` held its records only up to byte `end`; the
    /// rest is set aside and the next recovery cuts those records for `cause`.
    pub(crate) fn files_cut(&mut self, node: Node, end: u64, cause: Cause) -> Result<(), String> {
        let b = self.bm(node);
        if let Some(closed) = b.closed.as_mut() {
            closed.cut_to(end).map_err(|e| e.to_string())?;
        }
        b.cut_cause = Some(cause);
        Ok(())
    }

    /// After a world was replayed from its journal with its logs in memory, takes up the real
    /// files in `dir/broker` and `dir/replica` in their place: each is read and compared with
    /// what the replayed world wrote, then recovered by the real recovery (never recreated).
    /// Returns one line per log saying what was found, and the inputs the session must record
    /// when the files held less than the world wrote (the records they lack are lost).
    pub(crate) fn take_up_files(&mut self, dir: &Path) -> Result<(Vec<String>, Vec<Taken>), String> {
        let mut lines = Vec::new();
        let mut taken = Vec::new();
        let config = LogConfig::default();
        let size = config.segment_size_bytes;
        for node in [Node::BROKER, Node::REPLICA] {
            let path = dir.join(node.name());
            let b = &self.brokers[bi(node)];
            let expected = match (&b.open, &b.closed) {
                (Some(log), _) => log.raw_segments(),
                (None, Some(closed)) => closed.raw_segments(),
                (None, None) => Ok(Vec::new()),
            }
            .map_err(|e| e.to_string())?;
            let flushed = match (&b.open, &b.closed) {
                (None, Some(closed)) => closed.flushed_pos(),
                _ => b.flushed_pos,
            };
            let (written, records, up) = (b.written_pos, b.index.len(), b.open.is_some());
            let mut real = ClosedLog::from_files(&path, config, flushed).map_err(|e| e.to_string())?;
            let actual = real.raw_segments().map_err(|e| e.to_string())?;
            let shown = path.display();
            let diff = first_difference(&expected, &actual, size);
            // Where the bytes of the world's files end (past `written` on a log a power loss
            // left torn garbage in).
            let extent = expected
                .iter()
                .map(|(start, bytes)| start + bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i as u64 + 1))
                .filter(|end| *end > 0)
                .max()
                .unwrap_or(0)
                .max(written);
            if let Some(x) = diff.filter(|x| *x < extent) {
                // The files lack (or changed) bytes the world wrote: find where the world's
                // records still hold, and why the rest is gone.
                let (dry, _) =
                    CommitLog::open(StorageKind::Mem, Path::new(""), config).map_err(|e| e.to_string())?;
                let mut dry = dry.crash_process();
                dry.set_raw_segments(actual.clone()).map_err(|e| e.to_string())?;
                let (dry, report) = dry.recover().map_err(|e| e.to_string())?;
                let limit = x.min(dry.written_pos());
                let end = b.index.iter().map(|e| e.end).filter(|e| *e <= limit).max().unwrap_or(0);
                let cause = match report.cause.map(cause_of) {
                    Some(Cause::LostWithMissingSegment) => Cause::LostWithMissingSegment,
                    _ if x >= flushed => Cause::LostInPageCache,
                    _ => Cause::LostToCorruption,
                };
                let kept = b.index.iter().filter(|e| e.end <= end).count();
                let fate = if kept < records {
                    format!("the records it held are lost ({})", cause.name())
                } else {
                    "no record of the session's was there".to_owned()
                };
                lines.push(format!(
                    "{node}: {shown} differs from the session's journal from byte {x} on: the session wrote \
                     {records} records (bytes 0..{written}), the files hold {kept} of them (bytes 0..{end}); \
                     the rest is set aside and {fate}"
                ));
                if up {
                    let step = self.step;
                    let crash = Command::Crash(node, CrashKind::Process);
                    self.command(&crash)?.map_err(|s| s.en)?;
                    taken.push(Taken::Command(step, crash));
                }
                let step = self.step;
                real.cut_to(end).map_err(|e| e.to_string())?;
                let b = self.bm(node);
                b.closed = Some(real);
                b.cut_cause = Some(cause);
                taken.push(Taken::FilesCut { step, node, end, cause });
                if up {
                    let step = self.step;
                    let restart = Command::Restart(node);
                    self.command(&restart)?.map_err(|s| s.en)?;
                    taken.push(Taken::Command(step, restart));
                }
                continue;
            }
            let mut line = String::new();
            if diff.is_some() {
                // More than the world wrote: the lab stopped in the middle of a line of
                // commands, which the journal does not hold. The world's prefix stands.
                let aside = real.cut_to(extent).map_err(|e| e.to_string())?;
                line = format!(
                    "; bytes past {extent} belong to a line the lab did not finish: set aside as {}",
                    aside.join(", ")
                );
            }
            let b = self.bm(node);
            if up {
                let (mut log, report) = real.try_recover().map_err(|(_, e)| e.to_string())?;
                if report.bytes_kept != written {
                    return Err(format!(
                        "{node}: {shown}: recovery kept bytes 0..{} but the session wrote 0..{written}",
                        report.bytes_kept
                    ));
                }
                log.resume_flushed_pos(flushed);
                b.open = Some(log);
            } else {
                b.closed = Some(real);
            }
            let s = if records == 1 { "" } else { "s" };
            let state = if up { "recovery kept" } else { "its files hold" };
            let mut text = format!(
                "{node}: {shown}: {state} {records} record{s} (bytes 0..{written}), as the session left them"
            );
            if up && written > flushed {
                text.push_str(&format!(
                    "; bytes {flushed}..{written} had not been flushed: the page cache kept them when the lab stopped"
                ));
            }
            text.push_str(&line);
            lines.push(text);
        }
        for line in &lines {
            let z = self.zh;
            self.alert(said!(z, "{line}", "{line}"));
        }
        Ok((lines, taken))
    }
}
