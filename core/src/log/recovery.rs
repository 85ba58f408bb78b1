//! Restart: walk the segments from the first, keep the longest valid prefix, cut the rest, make
//! the kept bytes durable and say what was cut and why.
//!
//! The scan is allocation-free per record; it never panics on any content.

use super::format::{self, ScanEnd};
use super::storage::segment_name;
use super::{LogError, RecoveryReport, Storage};

/// Recovers `storage` in place; returns the end of the valid prefix (the new `written_pos`
/// and `flushed_pos`) and the report. Bytes below `durable_from` are known to be on disk
/// already (0 when nothing is known, as after opening files a previous process left).
pub(super) fn recover(
    storage: &mut dyn Storage,
    durable_from: u64,
) -> Result<(u64, RecoveryReport), LogError> {
    let notes = storage.open_segments()?;
    let size = storage.segment_size_bytes();
    let starts = storage.starts();
    let mut end = 0u64;
    // Where the log continues: the segment after the last one scanned in full.
    let mut next_start = 0u64;
    let mut records_kept = 0u64;
    let mut bytes_cut = 0u64;
    let mut cut_reason: Option<String> = None;
    let mut first_cut = starts.len();
    // Bytes of the last scanned segment that recovery overwrote with zeros.
    let mut zeroed = 0..0;
    for (i, &start) in starts.iter().enumerate() {
        if start != next_start {
            cut_reason = Some(format!(
                "segment {} is missing, so the log ends at offset {end}",
                segment_name(next_start)
            ));
            first_cut = i;
            break;
        }
        let Some(seg) = storage.segment_mut(start) else {
            first_cut = i;
            break;
        };
        let scan = format::scan_segment(seg);
        records_kept += scan.records;
        end = start + scan.end as u64;
        if scan.how == ScanEnd::Full {
            next_start = start + size;
            continue;
        }
        let tail = &mut seg[scan.end..];
        let garbage = format::used_len(tail);
        if garbage > 0 {
            bytes_cut += garbage as u64;
            tail[..garbage].fill(0);
            zeroed = scan.end..scan.end + garbage;
        }
        cut_reason = match scan.how {
            ScanEnd::Invalid(why) => Some(format!("segment {}, offset {end}: {why}", segment_name(start))),
            _ if garbage > 0 => Some(format!(
                "segment {}, offset {end}: {garbage} nonzero bytes after the end of the log",
                segment_name(start)
            )),
            _ => None,
        };
        first_cut = i + 1;
        break;
    }
    let mut removed = Vec::new();
    for &start in &starts[first_cut..] {
        if let Some(seg) = storage.segment(start) {
            bytes_cut += format::used_len(seg) as u64;
        }
        storage.remove_segment(start)?;
        removed.push(segment_name(start));
    }
    if !removed.is_empty() && cut_reason.is_none() {
        cut_reason = Some(format!("the log ends at offset {end}"));
    }
    if let Some(r) = cut_reason.as_mut().filter(|_| !removed.is_empty()) {
        r.push_str(&format!("; removed segment{} {}", plural(removed.len()), removed.join(", ")));
    }
    // What the log keeps, and the zeros that replaced cut bytes, become durable before it
    // accepts writes, so that flushed_pos = written_pos holds. Bytes known to be on disk are
    // not synced again: on a real disk each sync costs a device flush.
    for (i, &start) in starts[..first_cut].iter().enumerate() {
        let from = durable_from.clamp(start, start + size) - start;
        let to = end.clamp(start, start + size) - start;
        let (mut from, mut to) = (from as usize, to as usize);
        if i + 1 == first_cut && !zeroed.is_empty() {
            from = from.min(zeroed.start);
            to = to.max(zeroed.end);
        }
        if from < to {
            storage.sync(start, from, to)?;
        }
    }
    let reason: Vec<String> = cut_reason.into_iter().chain(notes).collect();
    let report = RecoveryReport {
        records_kept,
        bytes_kept: end,
        bytes_cut,
        reason: (!reason.is_empty()).then(|| reason.join("; ")),
    };
    Ok((end, report))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
