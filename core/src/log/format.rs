//! The bytes of a segment: how a record and the end-of-segment marker are laid out, and the
//! scan that decides where the valid prefix of a segment ends.
//!
//! Everything here works on plain byte slices and never allocates on the scan path; it must
//! never panic on any content (a slice index is only taken after its bounds were checked).
//!
//! Record (all integers little-endian):
//!
//! | offset      | size | field             | meaning                                          |
//! |-------------|------|-------------------|--------------------------------------------------|
//! | 0           | 4    | `total_len`       | bytes of the whole record, this header included  |
//! | 4           | 4    | `magic`           | `MQLR` (`4D 51 4C 52`)                           |
//! | 8           | 4    | `crc32`           | CRC32 (crc32fast) of the record's log offset (8 bytes, little-endian), then of bytes `12..total_len` |
//! | 12          | 8    | `msg_id`          | the message's client-side unique id              |
//! | 20          | 4    | `producer_id`     | the producer that created it                     |
//! | 24          | 8    | `seq`             | the producer's sequence number                   |
//! | 32          | 4    | `reconsume_times` | deliveries that failed before this copy          |
//! | 36          | 4    | `queue_id`        | the topic queue it belongs to (RocketMQ `QUEUEID`) |
//! | 40          | 4    | `topic_len`       | `t`, bytes of the topic                          |
//! | 44          | t    | `topic`           | UTF-8: the topic, or `SCHEDULE_TOPIC_XXXX`, `%DLQ%…` for a copy the broker re-stored |
//! | 44+t        | 4    | `key_len`         | `k`, bytes of the key                            |
//! | 48+t        | k    | `key`             | UTF-8                                            |
//! | 48+t+k      | 8    | `timestamp_ms`    | virtual time of the append                       |
//! | 56+t+k      | 4    | `body_len`        | `b`, bytes of the body                           |
//! | 60+t+k      | b    | `body`            | opaque                                           |
//!
//! So `total_len = 60 + t + k + b`. Recovery rebuilds every queue's consume queue from the
//! records' topics and queue ids, as RocketMQ's reput service does. A record never spans two segments.
//!
//! The record's own log offset (where its `total_len` field lies: the segment's start plus the
//! position in it) is part of what its CRC covers, without taking bytes of its own: a record is
//! valid only where it was written. A segment file renamed, swapped with another or copied under
//! another segment's name fails the CRC at its first record, so recovery cuts it instead of
//! serving its records at offsets they were never written at.
//!
//! End-of-segment marker, written where the next record does not fit (RocketMQ's blank
//! message):
//!
//! | offset | size | field       | meaning                                                  |
//! |--------|------|-------------|----------------------------------------------------------|
//! | 0      | 4    | `total_len` | bytes left in the segment from the marker on             |
//! | 4      | 4    | `magic`     | `MQLE` (`4D 51 4C 45`)                                   |
//!
//! When fewer than 8 bytes are left there is no room for a marker and the segment simply ends.
//! A segment is zero-filled when created, so a header of eight zero bytes is the end of the log.

use crate::ids::{MsgId, ProducerId};

use super::Record;

/// `MQLR` as it reads in a hex viewer.
pub const RECORD_MAGIC: u32 = u32::from_le_bytes(*b"MQLR");
/// `MQLE` as it reads in a hex viewer.
pub const END_MAGIC: u32 = u32::from_le_bytes(*b"MQLE");
/// Bytes of a record without key and body.
pub const RECORD_OVERHEAD: usize = 60;
/// Bytes of the end-of-segment marker (also the smallest tail that can hold one).
pub const MARKER_LEN: usize = 8;
/// Where the CRC'd part of a record starts.
const CRC_FROM: usize = 12;

/// Bytes `record` takes in a segment.
pub fn encoded_len(record: &Record) -> u64 {
    (RECORD_OVERHEAD + record.topic.len() + record.key.len() + record.body.len()) as u64
}

/// The CRC of a record lying at log offset `offset`: over the offset, then `rest`, its bytes
/// from [`CRC_FROM`] on.
fn record_crc(offset: u64, rest: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&offset.to_le_bytes());
    hasher.update(rest);
    hasher.finalize()
}

/// Writes `record`, which lies at log offset `offset`, into `dst`, which must be exactly
/// `encoded_len(record)` bytes (the caller checked it fits a segment, so every length fits a
/// u32).
pub fn encode_into(record: &Record, offset: u64, dst: &mut [u8]) {
    let t = record.topic.len();
    let k = record.key.len();
    let b = record.body.len();
    let total = dst.len() as u32;
    debug_assert_eq!(dst.len(), RECORD_OVERHEAD + t + k + b);
    dst[0..4].copy_from_slice(&total.to_le_bytes());
    dst[4..8].copy_from_slice(&RECORD_MAGIC.to_le_bytes());
    dst[12..20].copy_from_slice(&record.msg_id.0.to_le_bytes());
    dst[20..24].copy_from_slice(&record.producer_id.0.to_le_bytes());
    dst[24..32].copy_from_slice(&record.seq.to_le_bytes());
    dst[32..36].copy_from_slice(&record.reconsume_times.to_le_bytes());
    dst[36..40].copy_from_slice(&record.queue_id.to_le_bytes());
    dst[40..44].copy_from_slice(&(t as u32).to_le_bytes());
    dst[44..44 + t].copy_from_slice(record.topic.as_bytes());
    let at = 44 + t;
    dst[at..at + 4].copy_from_slice(&(k as u32).to_le_bytes());
    dst[at + 4..at + 4 + k].copy_from_slice(record.key.as_bytes());
    let at = at + 4 + k;
    dst[at..at + 8].copy_from_slice(&record.timestamp_ms.to_le_bytes());
    dst[at + 8..at + 12].copy_from_slice(&(b as u32).to_le_bytes());
    dst[at + 12..].copy_from_slice(&record.body);
    let crc = record_crc(offset, &dst[CRC_FROM..]);
    dst[8..12].copy_from_slice(&crc.to_le_bytes());
}

/// Writes the end-of-segment marker at the start of `dst`, the rest of the segment.
pub fn encode_marker(dst: &mut [u8]) {
    let left = dst.len() as u32;
    dst[0..4].copy_from_slice(&left.to_le_bytes());
    dst[4..8].copy_from_slice(&END_MAGIC.to_le_bytes());
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// What lies at one position of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A valid record of `len` bytes.
    Record { len: usize, view: RecordView<'a> },
    /// The segment is used up from here (a marker, or too few bytes left for one).
    EndOfSegment,
    /// Eight zero bytes: nothing was written here.
    EndOfLog,
    /// Not a valid record; the text says why.
    Invalid(Invalid),
}

/// Why the bytes at a position are not a valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    BadMagic { magic: u32 },
    BadMarker { len: u32, left: usize },
    BadLength { len: u32, left: usize },
    BadCrc { stored: u32, computed: u32 },
    BadLayout { topic_len: u32, key_len: u32, body_len: u32, len: u32 },
    KeyNotUtf8,
    TopicNotUtf8,
    ZeroLengthMagic { magic: u32 },
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Invalid::BadMagic { magic } => write!(
                f,
                "bad magic {magic:#010x} (a record has {RECORD_MAGIC:#010x}, an end-of-segment \
                 marker {END_MAGIC:#010x})"
            ),
            Invalid::BadMarker { len, left } => {
                write!(f, "end-of-segment marker says {len} bytes but {left} are left in the segment")
            }
            Invalid::BadLength { len, left } => write!(
                f,
                "record length {len} is outside {RECORD_OVERHEAD}..={left} (the bytes left in \
                 the segment)"
            ),
            Invalid::BadCrc { stored, computed } => write!(
                f,
                "CRC mismatch: stored {stored:#010x}, computed {computed:#010x} (the bytes changed, \
                 or they were written at another offset: a segment renamed or copied)"
            ),
            Invalid::BadLayout { topic_len, key_len, body_len, len } => write!(
                f,
                "topic length {topic_len}, key length {key_len} and body length {body_len} do not \
                 add up to record length {len}"
            ),
            Invalid::KeyNotUtf8 => f.write_str("key is not UTF-8"),
            Invalid::TopicNotUtf8 => f.write_str("topic is not UTF-8"),
            Invalid::ZeroLengthMagic { magic } => {
                write!(f, "record length 0 with magic {magic:#010x}")
            }
        }
    }
}

/// A valid record, borrowed from the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    pub msg_id: u64,
    pub producer_id: u32,
    pub seq: u64,
    pub reconsume_times: u32,
    pub queue_id: u32,
    pub topic: &'a str,
    pub key: &'a str,
    pub timestamp_ms: u64,
    pub body: &'a [u8],
}

impl RecordView<'_> {
    pub fn to_record(self) -> Record {
        Record {
            msg_id: MsgId(self.msg_id),
            producer_id: ProducerId(self.producer_id),
            seq: self.seq,
            reconsume_times: self.reconsume_times,
            queue_id: self.queue_id,
            topic: self.topic.to_owned(),
            key: self.key.to_owned(),
            timestamp_ms: self.timestamp_ms,
            body: self.body.to_vec(),
        }
    }
}

/// Reads what starts at `pos` of `segment` (a whole segment; its length is the segment size),
/// the segment that starts at log offset `start`.
pub fn entry_at(segment: &[u8], start: u64, pos: usize) -> Entry<'_> {
    let left = segment.len().saturating_sub(pos);
    if left < MARKER_LEN {
        return Entry::EndOfSegment;
    }
    let (Some(len), Some(magic)) = (u32_at(segment, pos), u32_at(segment, pos + 4)) else {
        return Entry::EndOfSegment;
    };
    if magic == END_MAGIC {
        return if len as usize == left {
            Entry::EndOfSegment
        } else {
            Entry::Invalid(Invalid::BadMarker { len, left })
        };
    }
    if len == 0 {
        return if magic == 0 { Entry::EndOfLog } else { Entry::Invalid(Invalid::ZeroLengthMagic { magic }) };
    }
    if magic != RECORD_MAGIC {
        return Entry::Invalid(Invalid::BadMagic { magic });
    }
    let n = len as usize;
    if n < RECORD_OVERHEAD || n > left {
        return Entry::Invalid(Invalid::BadLength { len, left });
    }
    let rec = &segment[pos..pos + n];
    let stored = u32_at(rec, 8).unwrap_or(0);
    let computed = record_crc(start + pos as u64, &rec[CRC_FROM..]);
    if stored != computed {
        return Entry::Invalid(Invalid::BadCrc { stored, computed });
    }
    match view(rec) {
        Ok(view) => Entry::Record { len: n, view },
        Err(e) => Entry::Invalid(e),
    }
}

/// Decodes the fields of a record whose length, magic and CRC were checked.
fn view(rec: &[u8]) -> Result<RecordView<'_>, Invalid> {
    let len = rec.len() as u32;
    let room = rec.len() - RECORD_OVERHEAD;
    let topic_len = u32_at(rec, 40).unwrap_or(u32::MAX);
    let t = topic_len as usize;
    let layout = |key_len, body_len| Invalid::BadLayout { topic_len, key_len, body_len, len };
    if t > room {
        return Err(layout(0, 0));
    }
    let key_len = u32_at(rec, 44 + t).unwrap_or(u32::MAX);
    let k = key_len as usize;
    if k > room - t {
        return Err(layout(key_len, 0));
    }
    let at = 48 + t + k;
    let body_len = u32_at(rec, at + 8).ok_or(layout(key_len, 0))?;
    if RECORD_OVERHEAD + t + k + body_len as usize != rec.len() {
        return Err(layout(key_len, body_len));
    }
    let bad = layout(key_len, body_len);
    let topic = std::str::from_utf8(&rec[44..44 + t]).map_err(|_| Invalid::TopicNotUtf8)?;
    let key = std::str::from_utf8(&rec[48 + t..at]).map_err(|_| Invalid::KeyNotUtf8)?;
    Ok(RecordView {
        msg_id: u64_at(rec, 12).ok_or(bad)?,
        producer_id: u32_at(rec, 20).ok_or(bad)?,
        seq: u64_at(rec, 24).ok_or(bad)?,
        reconsume_times: u32_at(rec, 32).ok_or(bad)?,
        queue_id: u32_at(rec, 36).ok_or(bad)?,
        topic,
        key,
        timestamp_ms: u64_at(rec, at).ok_or(bad)?,
        body: &rec[at + 12..],
    })
}

/// How the scan of one segment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanEnd {
    /// Valid up to the end of the segment: the log may continue in the next one.
    Full,
    /// The log ends at `end` (zeros follow).
    EndOfLog,
    /// The bytes at `end` are not a valid record.
    Invalid(Invalid),
}

/// The valid prefix of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentScan {
    pub records: u64,
    /// Position in the segment where the valid data ends (after a marker: the segment size).
    pub end: usize,
    pub how: ScanEnd,
}

/// Walks a segment (starting at log offset `start`) from its beginning, checking each record;
/// allocation-free.
pub fn scan_segment(segment: &[u8], start: u64) -> SegmentScan {
    let mut pos = 0;
    let mut records = 0;
    loop {
        match entry_at(segment, start, pos) {
            Entry::Record { len, .. } => {
                records += 1;
                pos += len;
            }
            Entry::EndOfSegment => {
                // A marker's bytes belong to the log; a tail too short for one does not.
                let end = if segment.len() - pos < MARKER_LEN { pos } else { segment.len() };
                return SegmentScan { records, end, how: ScanEnd::Full };
            }
            Entry::EndOfLog => return SegmentScan { records, end: pos, how: ScanEnd::EndOfLog },
            Entry::Invalid(why) => {
                return SegmentScan { records, end: pos, how: ScanEnd::Invalid(why) };
            }
        }
    }
}

/// Bytes from the start of `bytes` up to and including its last nonzero byte.
pub fn used_len(bytes: &[u8]) -> usize {
    // Word-wise from the back: a healthy log's tail is long runs of zeros.
    let chunks = bytes.len() / 16;
    let (head, tail) = bytes.split_at(chunks * 16);
    if let Some(i) = tail.iter().rposition(|&b| b != 0) {
        return head.len() + i + 1;
    }
    for (ci, chunk) in head.chunks_exact(16).enumerate().rev() {
        let mut w = [0u8; 16];
        w.copy_from_slice(chunk);
        if u128::from_ne_bytes(w) != 0 {
            let i = chunk.iter().rposition(|&b| b != 0).unwrap_or(0);
            return ci * 16 + i + 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            msg_id: MsgId(7),
            producer_id: ProducerId(3),
            seq: 42,
            reconsume_times: 2,
            queue_id: 3,
            topic: "%DLQ%lab".into(),
            key: "order-1".into(),
            timestamp_ms: 1_000,
            body: b"hello".to_vec(),
        }
    }

    #[test]
    fn record_round_trips_through_the_byte_table() {
        let r = sample();
        let mut buf = vec![0u8; encoded_len(&r) as usize + 16];
        let n = encoded_len(&r) as usize;
        encode_into(&r, 4096, &mut buf[..n]);
        assert_eq!(&buf[4..8], b"MQLR");
        assert_eq!(u32::from_le_bytes(buf[0..4].try_into().unwrap()) as usize, n);
        match entry_at(&buf, 4096, 0) {
            Entry::Record { len, view } => {
                assert_eq!(len, n);
                assert_eq!(view.to_record(), r);
            }
            other => panic!("expected a record, got {other:?}"),
        }
        assert_eq!(entry_at(&buf, 4096, n), Entry::EndOfLog);
    }

    #[test]
    fn a_record_is_valid_only_at_the_offset_it_was_written_at() {
        let r = sample();
        let n = encoded_len(&r) as usize;
        let mut seg = vec![0u8; 256];
        encode_into(&r, 512, &mut seg[..n]);
        assert!(matches!(entry_at(&seg, 512, 0), Entry::Record { .. }));
        // The same bytes in the segment of another offset, or moved within one, are not a record.
        for (start, pos) in [(0, 0), (1024, 0)] {
            let e = entry_at(&seg, start, pos);
            assert!(matches!(e, Entry::Invalid(Invalid::BadCrc { .. })), "{e:?}");
        }
        let mut moved = vec![0u8; 256];
        moved[8..8 + n].copy_from_slice(&seg[..n]);
        assert!(matches!(entry_at(&moved, 504, 8), Entry::Record { .. }), "504 + 8 is offset 512");
        assert!(matches!(entry_at(&moved, 512, 8), Entry::Invalid(Invalid::BadCrc { .. })));
    }

    #[test]
    fn marker_ends_the_segment() {
        let mut seg = vec![0u8; 64];
        encode_marker(&mut seg[20..]);
        assert_eq!(&seg[24..28], b"MQLE");
        assert_eq!(entry_at(&seg, 0, 20), Entry::EndOfSegment);
        assert_eq!(entry_at(&seg, 0, 60), Entry::EndOfSegment);
    }

    #[test]
    fn used_len_finds_the_last_nonzero_byte() {
        let mut b = vec![0u8; 100];
        assert_eq!(used_len(&b), 0);
        b[0] = 1;
        assert_eq!(used_len(&b), 1);
        b[37] = 1;
        assert_eq!(used_len(&b), 38);
        b[99] = 1;
        assert_eq!(used_len(&b), 100);
    }
}
