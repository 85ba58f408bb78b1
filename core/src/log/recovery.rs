//! Restart: walk the segments from the first, keep the longest valid prefix, set the rest aside,
//! make the kept bytes durable and say what was cut and why.
//!
//! Nothing is deleted: the bytes cut from the segment where the valid prefix ends are copied to
//! `<segment>.cut-N` before they are zeroed, and every later segment is renamed to
//! `<segment>.cut-N`, intact ones included (a log has no holes: a record after the cut would
//! sit at an offset the log no longer reaches). The cause of the cut says what happened to the
//! bytes: not flushed (power loss of the page cache), corrupt (bytes that were flushed, or whose
//! fate is unknown, fail their length, magic or CRC), or a missing segment file.
//!
//! The scan is allocation-free per record; it never panics on any content. Everything that can
//! refuse the log (a file that cannot belong to it) is checked before anything is changed.

use super::format::{self, ScanEnd};
use super::storage::segment_name;
use super::{CutCause, LogError, RecoveryReport, Storage};

/// Recovers `storage` in place; returns the end of the valid prefix (the new `written_pos`
/// and `flushed_pos`) and the report. Bytes below `durable` are known to be on disk (what the
/// machine synced); `None` when nothing is known, as after opening files a previous process
/// left: a cut is then put down to corruption.
pub(super) fn recover(
    storage: &mut dyn Storage,
    durable: Option<u64>,
) -> Result<(u64, RecoveryReport), LogError> {
    let opened = storage.open_segments()?;
    let size = storage.segment_size_bytes();
    let starts = storage.starts();
    let mut end = 0u64;
    // Where the log continues: the segment after the last one scanned in full.
    let mut next_start = 0u64;
    let mut records_kept = 0u64;
    let mut bytes_cut = opened.bytes_cut;
    let mut set_aside = opened.set_aside.clone();
    let mut cut_reason: Option<String> = None;
    let mut cause: Option<CutCause> = None;
    let mut first_cut = starts.len();
    // Bytes of the last scanned segment that recovery overwrote with zeros.
    let mut zeroed = 0..0;
    let lost_cause = |at: u64| match durable {
        Some(d) if at >= d => CutCause::NotFlushed,
        _ => CutCause::Corrupt,
    };
    for (i, &start) in starts.iter().enumerate() {
        if start != next_start {
            cut_reason = Some(format!(
                "segment {} is missing, so the log ends at offset {end}",
                segment_name(next_start)
            ));
            cause = Some(CutCause::MissingSegment);
            first_cut = i;
            break;
        }
        let Some(seg) = storage.segment(start) else {
            first_cut = i;
            break;
        };
        let scan = format::scan_segment(seg, start);
        records_kept += scan.records;
        end = start + scan.end as u64;
        if scan.how == ScanEnd::Full {
            next_start = start + size;
            continue;
        }
        let garbage = format::used_len(&seg[scan.end..]);
        if garbage > 0 {
            // Set the bytes aside before they are zeroed.
            set_aside.push(storage.copy_aside(start)?);
            let Some(seg) = storage.segment_mut(start) else {
                return Err(LogError::Io {
                    path: storage.path_of(start),
                    message: "segment is not open".into(),
                });
            };
            seg[scan.end..scan.end + garbage].fill(0);
            bytes_cut += garbage as u64;
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
        if garbage > 0 {
            cause = Some(lost_cause(end));
        }
        first_cut = i + 1;
        break;
    }
    let mut moved = Vec::new();
    for &start in &starts[first_cut..] {
        if let Some(seg) = storage.segment(start) {
            bytes_cut += format::used_len(seg) as u64;
        }
        moved.push(storage.move_aside(start)?);
    }
    if !moved.is_empty() {
        if cut_reason.is_none() {
            cut_reason = Some(format!("the log ends at offset {end}"));
        }
        cause.get_or_insert_with(|| lost_cause(end));
    }
    set_aside.extend(moved);
    if let Some(r) = cut_reason.as_mut().filter(|_| set_aside.len() > opened.set_aside.len()) {
        r.push_str(&format!("; set aside as {}", set_aside[opened.set_aside.len()..].join(", ")));
    }
    if opened.bytes_cut > 0 {
        cause.get_or_insert(CutCause::Corrupt);
    }
    // What the log keeps, and the zeros that replaced cut bytes, become durable before it
    // accepts writes, so that flushed_pos = written_pos holds. Bytes known to be on disk are
    // not synced again: on a real disk each sync costs a device flush.
    let durable_from = durable.unwrap_or(0);
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
    let reason: Vec<String> = cut_reason.into_iter().chain(opened.notes).collect();
    let report = RecoveryReport {
        records_kept,
        bytes_kept: end,
        bytes_cut,
        reason: (!reason.is_empty()).then(|| reason.join("; ")),
        cause: cause.filter(|_| bytes_cut > 0),
        set_aside,
    };
    Ok((end, report))
}
