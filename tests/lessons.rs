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

/// The complete example lesson of `lessons/README.md`, as a teacher would copy it.
fn readme_example() -> String {
    let readme = include_str!("../lessons/README.md");
    let at = readme.find("<!-- the example lesson").expect("the README marks its example lesson");
    let block = readme[at..].split_once("```toml\n").expect("a toml block after the marker").1;
    block.split_once("```").expect("the block ends").0.to_owned()
}

fn mqlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mqlab")).args(args).output().unwrap()
}

#[test]
fn the_readme_example_lesson_verifies_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oneway.toml");
    std::fs::write(&file, readme_example()).unwrap();
    let path = file.to_str().unwrap();
    let out = mqlab(&["lessons", "verify", path]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.trim_end(), "ok    oneway-lost              2 steps, 7 expectations");

    // Both labs take the file: what stops them here is the missing terminal or display.
    let tui = mqlab(&["--storage", "mem", "--lesson", path]);
    assert!(String::from_utf8_lossy(&tui.stderr).contains("needs a terminal"));
    let gui = Command::new(env!("CARGO_BIN_EXE_mqlab"))
        .args(["--storage", "mem", "gui", "--lesson", path])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&gui.stderr).contains("no display found"), "{gui:?}");
}

#[test]
fn a_lesson_file_with_a_mistake_is_refused_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, readme_example().replace("explanation.en", "explantion.en")).unwrap();
    let path = typo.to_str().unwrap();
    for args in [&["lessons", "verify", path][..], &["--lesson", path], &["gui", "--lesson", path]] {
        let out = mqlab(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("mqlab: {path}:25: unknown key `explantion` in a question")),
            "{args:?}: {stderr}"
        );
    }
    // A claim the simulator does not make fails the verification, naming the step and line.
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(&wrong, readme_example().replace("m2.attempts = 2", "m2.attempts = 3")).unwrap();
    let out = mqlab(&["lessons", "verify", wrong.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("step 2: expected m2.attempts = 3 (line "), "{stdout}");
}
