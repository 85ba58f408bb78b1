//! The sequence diagram from the command line: `--diagram` after the ledger and trace,
//! `--mermaid` alone, `--message` following one message, and bad input refused with exit code 2.

use std::process::{Command, Output};

const LOST: &str = "set broker.flush async; partition consumer; send 3; run 50; crash broker power; restart broker; heal; run";

fn mqlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mqlab")).args(args).output().expect("run mqlab")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(args: &[&str]) -> String {
    let out = mqlab(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?} printed: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.lines().next().is_some_and(|l| l.starts_with("mqlab: ") || l.starts_with("error: ")),
        "{err}"
    );
    err
}

#[test]
fn diagram_follows_the_ledger_and_the_trace() {
    let text = stdout(&mqlab(&["--storage", "mem", "exec", LOST, "--diagram"]));
    let (before, diagram) = text.split_once("\nsequence diagram\n").expect("a titled diagram");
    assert!(before.starts_with("ledger") && before.contains("\ntrace\n"), "{before}");
    let lines: Vec<&str> = diagram.lines().collect();
    for lane in ["producer", "broker", "replica", "consumer"] {
        assert!(lines[0].contains(lane), "{}", lines[0]);
    }
    assert_eq!(diagram.matches("▶").count(), 3, "three requests arrived");
    assert_eq!(diagram.matches("◀").count(), 3, "three responses arrived");
    assert_eq!(diagram.matches("✗").count(), 3, "three deliveries dropped");
    assert!(diagram.contains("dropped: partitioned") && diagram.contains("broker crashed (power)"));
    assert!(lines.iter().all(|l| l.chars().count() <= 100));
}

#[test]
fn diagram_speaks_chinese_with_lang_zh() {
    let text =
        stdout(&mqlab(&["--storage", "mem", "--lang", "zh", "exec", LOST, "--diagram", "--width", "80"]));
    let diagram = text.split_once("\n时序图\n").expect("a titled diagram").1;
    assert!(diagram.contains("生产者") && diagram.contains("被丢弃：网络隔离"), "{diagram}");
    assert!(diagram.contains("Broker 崩溃（断电）"), "{diagram}");
}

#[test]
fn mermaid_is_printed_alone() {
    let text = stdout(&mqlab(&["--storage", "mem", "exec", LOST, "--mermaid"]));
    assert!(text.starts_with("sequenceDiagram\n    participant producer\n"), "{text}");
    assert!(!text.contains("ledger") && !text.contains("trace"), "only the diagram");
    assert_eq!(text.matches("->>").count(), 6);
    assert_eq!(text.matches("-x").count(), 3);
    assert!(text.contains("Note over broker: 50 ms · × broker crashed (power)"), "{text}");
}

#[test]
fn one_message_can_be_followed() {
    let text = stdout(&mqlab(&["--storage", "mem", "exec", LOST, "--mermaid", "--message", "m2"]));
    let arrows: Vec<&str> = text.lines().filter(|l| l.contains("->>") || l.contains("-x")).collect();
    assert_eq!(arrows.len(), 3, "{text}");
    assert!(arrows.iter().all(|l| l.contains("m2")), "{text}");
    let text = stdout(&mqlab(&["--storage", "mem", "exec", LOST, "--message", "2"]));
    assert!(text.contains("\nsequence diagram of m2\n"), "--message alone draws the text diagram");
}

#[test]
fn scenario_files_take_the_same_flags() {
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/05-async-flush-power-loss.toml");
    let text = stdout(&mqlab(&["--storage", "mem", "run", scenario, "--mermaid"]));
    assert!(text.starts_with("sequenceDiagram\n"), "{text}");
    assert!(text.contains("crashed (power)"), "{text}");
}

#[test]
fn bad_diagram_input_is_one_line_and_exit_2() {
    let err = refused(&["--storage", "mem", "exec", "send 3; run", "--diagram", "--message", "m9"]);
    assert_eq!(err.trim_end(), "mqlab: --message m9: this run has no message m9; it has m1..m3");
    let err = refused(&["--storage", "mem", "exec", "send 3; run", "--message", "nine"]);
    assert!(err.contains("`nine` is not a message id"), "{err}");
    let err = refused(&["--storage", "mem", "exec", "send 3", "--json", "--mermaid"]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = refused(&["--storage", "mem", "exec", "send 3", "--diagram", "--width", "10"]);
    assert!(err.contains("--width"), "{err}");
}
