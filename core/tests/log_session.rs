//! A data directory is where a session lives: its journal and its logs are kept, opening it again
//! resumes the session with the files recovered (not recreated), one process at a time, and
//! the lab never removes a file it did not write. A failed restart changes nothing.

use std::fs;
use std::path::Path;

use mqlab_core::log::{StorageKind, segment_name};
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::view::{Cause, Fate};

fn config(dir: &Path) -> SessionConfig {
    SessionConfig {
        seed: 5,
        storage: StorageKind::Mmap,
        data_dir: Some(dir.to_owned()),
        ..SessionConfig::default()
    }
}

fn open(dir: &Path) -> Session {
    Session::new(config(dir)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_directory_holding_files_mqlab_did_not_write_is_refused_untouched() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("D");
    fs::create_dir_all(d.join("broker/x")).unwrap();
    fs::write(d.join("broker/x/thesis.txt"), "precious").unwrap();
    let err = Session::new(config(&d)).unwrap_err().to_string();
    assert!(err.contains("holds `broker`") && err.contains("refusing"), "{err}");
    assert_eq!(fs::read_to_string(d.join("broker/x/thesis.txt")).unwrap(), "precious");
    assert!(!d.join(".mqlab").exists(), "nothing was written");

    // Inside a directory the lab made, a file it did not write is refused the same way.
    let d = root.path().join("E");
    drop(open(&d));
    fs::write(d.join("broker/notes.txt"), "mine").unwrap();
    let err = Session::new(config(&d)).unwrap_err().to_string();
    assert!(err.contains("holds `notes.txt`") && err.contains("did not write"), "{err}");
    assert_eq!(fs::read_to_string(d.join("broker/notes.txt")).unwrap(), "mine");
}

#[test]
fn reopening_resumes_the_session_with_the_files_recovered_not_recreated() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("lab");
    let line = "send 5; step 6";
    let mut first = open(&d);
    first.execute(line).unwrap();
    let before = first.report();
    let segment = d.join("broker").join(segment_name(0));
    let bytes = fs::read(&segment).unwrap();
    let inode = std::os::unix::fs::MetadataExt::ino(&fs::metadata(&segment).unwrap());
    drop(first); // the process ends without a flush: the page cache keeps what was written

    let mut again = open(&d);
    assert_eq!(again.report().trace_digest, before.trace_digest, "the same world");
    let opened = again.opened().join("\n");
    assert!(opened.contains("resumed the session (seed 5"), "{opened}");
    assert!(opened.contains("broker: ") && opened.contains("as the session left them"), "{opened}");
    assert!(opened.contains("had not been flushed: the page cache kept them"), "{opened}");
    assert_eq!(std::os::unix::fs::MetadataExt::ino(&fs::metadata(&segment).unwrap()), inode, "not recreated");
    assert_eq!(fs::read(&segment).unwrap(), bytes);

    // Carrying on gives what a session that never stopped gives.
    again.execute("run").unwrap();
    let mut never =
        Session::new(SessionConfig { storage: StorageKind::Mem, seed: 5, ..SessionConfig::default() })
            .unwrap();
    never.execute(line).unwrap();
    never.execute("run").unwrap();
    assert_eq!(again.report().trace_digest, never.report().trace_digest);

    // `back` is journaled too: the next opening finds the rewound session.
    again.execute("back 3").unwrap();
    let step = again.step();
    drop(again);
    assert_eq!(open(&d).step(), step);
}

#[test]
fn one_process_at_a_time() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("lab");
    let session = open(&d);
    let err = Session::new(config(&d)).unwrap_err().to_string();
    assert!(err.contains(&format!("in use by another mqlab (pid {})", std::process::id())), "{err}");
    drop(session);
    open(&d);
}

#[test]
fn damaged_files_are_recovered_and_the_difference_reported() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("lab");
    let mut s = open(&d);
    s.execute("set broker.flush sync; send 5; run").unwrap();
    drop(s);
    // Flip a byte inside the third record: flushed bytes that no longer read back.
    let segment = d.join("broker").join(segment_name(0));
    let mut bytes = fs::read(&segment).unwrap();
    let third = {
        let mut pos = 0usize;
        for _ in 0..2 {
            pos += u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        }
        pos
    };
    bytes[third + 30] ^= 0x01;
    fs::write(&segment, &bytes).unwrap();

    let s = open(&d);
    let opened = s.opened().join("\n");
    assert!(
        opened.contains(&format!("differs from the session's journal from byte {}", third + 30)),
        "{opened}"
    );
    assert!(opened.contains("lost_to_corruption"), "{opened}");
    let aside = d.join("broker").join(format!("{}.cut-1", segment_name(0)));
    assert!(aside.is_file(), "the cut bytes are set aside");
    // m3..m5 were consumed before the damage, so only the log lost them; the ledger says why
    // the broker's copies went: the restart recovered 2 records.
    let last = s.trace().iter().rev().find(|e| e.text.contains("recovery kept")).unwrap();
    assert!(last.text.contains("recovery kept 2 records"), "{}", last.text);
    drop(s);
    // Reopened again: the journal holds the cut, so the world and the files agree.
    let s = open(&d);
    let opened = s.opened().join("\n");
    assert!(opened.contains("as the session left them") && !opened.contains("differs"), "{opened}");
}

#[test]
fn records_cut_by_recovery_carry_the_cause_it_found() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("lab");
    let mut s = open(&d);
    // Sync flush, no consumer progress past the crash: the log holds the only copies.
    s.execute("crash consumer; set broker.flush sync; send 3; run; crash broker process").unwrap();
    let segment = d.join("broker").join(segment_name(0));
    let mut bytes = fs::read(&segment).unwrap();
    bytes[20] ^= 0x01;
    fs::write(&segment, &bytes).unwrap();
    s.execute("restart broker").unwrap();
    let lost: Vec<_> = s.view().messages.into_iter().filter(|m| m.fate == Fate::Lost).collect();
    assert_eq!(lost.len(), 3, "{lost:?}");
    assert!(lost.iter().all(|m| m.cause == Some(Cause::LostToCorruption)), "{lost:?}");
}

#[test]
fn a_failed_restart_changes_nothing_and_a_later_one_succeeds() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("lab");
    let mut s = open(&d);
    s.execute("send 3; run; crash broker process").unwrap();
    let step = s.step();
    // Something that cannot belong to the log: a directory with a segment's name.
    let bad = d.join("broker").join(segment_name(1 << 20));
    fs::create_dir(&bad).unwrap();
    let err = s.execute("restart broker").unwrap_err().to_string();
    assert!(err.contains("recovery failed") && err.contains("not a regular file"), "{err}");
    assert_eq!(s.step(), step, "nothing applied");
    let err = s.execute("restart broker").unwrap_err().to_string();
    assert!(err.contains("recovery failed"), "still the same failure, not `no log files`: {err}");
    fs::remove_dir(&bad).unwrap();
    s.execute("restart broker").unwrap();
    let last = s.trace().last().unwrap();
    assert!(last.text.contains("recovery kept 3 records"), "{}", last.text);
}
