//! Lessons are tests: the binary's `mqlab lessons verify` runs every lesson headless and checks
//! every claim it makes, so CI fails the day a lesson says something the simulator does not do.

use std::process::Command;

#[test]
fn every_lesson_verifies() {
    let out = Command::new(env!("CARGO_BIN_EXE_mqlab")).args(["lessons", "verify"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "lessons verify failed:\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let ok = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(ok >= 14, "at least 14 lessons verified:\n{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

#[test]
fn lessons_list_shows_both_languages() {
    let out = Command::new(env!("CARGO_BIN_EXE_mqlab")).args(["lessons", "list"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("three-stages") && stdout.contains("刷盘"), "{stdout}");
}

#[test]
fn an_unknown_lesson_is_refused_with_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_mqlab")).args(["lessons", "verify", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown lesson `nope`"));
}
