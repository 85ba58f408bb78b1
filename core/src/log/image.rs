//! Images of a log: a copy of its bytes and positions, put back into the same backing later.
//! A session keeps them in its snapshots so `back` starts from a nearby step instead of step 0.

use super::{ClosedLog, CommitLog, LogConfig, LogError, Storage, StorageImage};

/// A copy of an open or a closed log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogImage {
    storage: StorageImage,
    config: LogConfig,
    /// `None` for a closed log (its process is down).
    written_pos: Option<u64>,
    flushed_pos: u64,
}

/// A log put back from an image: open or closed as it was.
#[derive(Debug)]
pub enum Restored {
    Open(CommitLog),
    Closed(ClosedLog),
}

impl LogImage {
    /// Bytes the image keeps in memory.
    pub fn bytes(&self) -> usize {
        self.storage.bytes()
    }

    /// Replaces what `storage` holds with this image and wraps it as the log was.
    pub fn restore(&self, mut storage: Box<dyn Storage>) -> Result<Restored, LogError> {
        storage.restore_image(&self.storage)?;
        Ok(match self.written_pos {
            Some(written_pos) => Restored::Open(CommitLog {
                storage,
                config: self.config,
                written_pos,
                flushed_pos: self.flushed_pos,
            }),
            None => {
                Restored::Closed(ClosedLog { storage, config: self.config, flushed_pos: self.flushed_pos })
            }
        })
    }
}

impl CommitLog {
    /// A copy of this log, for [`LogImage::restore`].
    pub fn image(&self) -> Result<LogImage, LogError> {
        Ok(LogImage {
            storage: self.storage.image()?,
            config: self.config,
            written_pos: Some(self.written_pos),
            flushed_pos: self.flushed_pos,
        })
    }

    /// Gives up the log, keeping its backing (to restore an image into it).
    pub fn into_storage(self) -> Box<dyn Storage> {
        self.storage
    }
}

impl ClosedLog {
    /// A copy of this log, for [`LogImage::restore`].
    pub fn image(&self) -> Result<LogImage, LogError> {
        Ok(LogImage {
            storage: self.storage.image()?,
            config: self.config,
            written_pos: None,
            flushed_pos: self.flushed_pos,
        })
    }

    /// Gives up the log, keeping its backing (to restore an image into it).
    pub fn into_storage(self) -> Box<dyn Storage> {
        self.storage
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{MsgId, ProducerId};
    use crate::log::{Record, StorageKind};

    fn rec(i: u64) -> Record {
        Record {
            msg_id: MsgId(i),
            producer_id: ProducerId(1),
            seq: i,
            reconsume_times: 0,
            queue_id: 0,
            topic: String::new(),
            key: format!("k{i}"),
            timestamp_ms: i,
            body: vec![7; 40],
        }
    }

    #[test]
    fn an_image_puts_back_the_bytes_the_positions_and_what_was_durable() {
        for kind in [StorageKind::Mem, StorageKind::Mmap] {
            let dir = tempfile::tempdir().unwrap();
            let config = LogConfig { segment_size_bytes: 256 };
            let (mut log, _) = CommitLog::open(kind, dir.path(), config).unwrap();
            for i in 1..=5 {
                log.append(&rec(i)).unwrap();
            }
            log.flush().unwrap();
            log.append(&rec(6)).unwrap();
            let image = log.image().unwrap();
            let before = (log.written_pos(), log.flushed_pos(), log.read_from(0).unwrap());

            // The story goes on (more records, a power loss), then the image is put back.
            for i in 7..=9 {
                log.append(&rec(i)).unwrap();
            }
            let mut closed = log.crash_process();
            closed.power_loss(None).unwrap();
            let Restored::Open(log) = image.restore(closed.into_storage()).unwrap() else {
                panic!("{kind:?}: an open log came back closed");
            };
            assert_eq!((log.written_pos(), log.flushed_pos(), log.read_from(0).unwrap()), before, "{kind:?}");

            // And a power loss now keeps exactly what was synced when the image was taken.
            let mut closed = log.crash_process();
            let closed_image = closed.image().unwrap();
            closed.power_loss(None).unwrap();
            let (log, _) = closed.recover().unwrap();
            assert_eq!(log.read_from(0).unwrap().len(), 5, "{kind:?}");
            let Restored::Closed(closed) = closed_image.restore(log.into_storage()).unwrap() else {
                panic!("{kind:?}: a closed log came back open");
            };
            let (log, _) = closed.recover().unwrap();
            assert_eq!(log.read_from(0).unwrap().len(), 6, "{kind:?}: the page cache was put back too");
        }
    }
}
