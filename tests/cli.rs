//! End-to-end tests of the `mqlab` binary's command line: help, bad input (one clear line, exit
//! code 2, nothing applied), and the headless `exec` / `run` output.

use std::path::Path;
use std::process::{Command, Output};

fn mqlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mqlab")).args(args).output().expect("run mqlab")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Bad input: exit code 2 and a short message on stderr, nothing on stdout.
fn refused(args: &[&str]) -> String {
    let out = mqlab(args);
    assert_eq!(out.status.code(), Some(2), "{args:?} should exit 2; stderr: {}", stderr(&out));
    assert!(stdout(&out).is_empty(), "{args:?} printed to stdout: {}", stdout(&out));
    stderr(&out)
}

#[test]
fn help_lists_every_subcommand() {
    let out = mqlab(&["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for sub in ["tui", "gui", "exec", "run", "lessons"] {
        assert!(help.contains(sub), "--help does not list `{sub}`:\n{help}");
    }
    let lessons = stdout(&mqlab(&["lessons", "--help"]));
    assert!(lessons.contains("list") && lessons.contains("verify"), "{lessons}");
}

#[test]
fn unknown_subcommands_and_flags_exit_2() {
    assert!(refused(&["frobnicate"]).contains("unrecognized subcommand 'frobnicate'"));
    assert!(refused(&["exec", "send", "--jsn"]).contains("unexpected argument '--jsn'"));
    assert!(refused(&["--storage", "tape", "exec", "send"]).contains("invalid value 'tape'"));
    assert!(refused(&["--lesson", "no-such-lesson"]).contains("unknown lesson `no-such-lesson`"));
}

#[test]
fn bad_commands_are_one_line_and_exit_2() {
    for (line, wanted) in [
        ("send 1000000000", "10000"),
        ("sned 3", "sned"),
        ("set broker.flush fast", "broker.flush"),
        ("set broker.flsh sync", "broker.flsh"),
        ("crash toaster", "toaster"),
        ("crash producer disk", "disk"),
        ("send 3; crash brokr", "brokr"),
    ] {
        let err = refused(&["exec", line, "--storage", "mem"]);
        assert_eq!(err.trim_end().lines().count(), 1, "`{line}` gave more than one line:\n{err}");
        assert!(err.starts_with("mqlab: "), "{err}");
        assert!(err.contains(wanted), "`{line}`: message does not mention `{wanted}`: {err}");
    }
}

#[test]
fn exec_json_has_exactly_the_documented_keys() {
    let out = mqlab(&["exec", "send 3; run", "--json", "--storage", "mem", "--seed", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["messages", "steps", "totals", "trace_digest", "virtual_ms"]);
    let mut totals: Vec<&str> = json["totals"].as_object().unwrap().keys().map(String::as_str).collect();
    totals.sort_unstable();
    assert_eq!(
        totals,
        ["acked", "dead_lettered", "duplicated", "failed", "lost", "pending", "processed", "sent"]
    );
    assert_eq!(json["totals"]["sent"], 3);
    assert_eq!(json["totals"]["processed"], 3);
    let first = &json["messages"][0];
    let mut fields: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["cause", "detected", "effects", "fate", "id", "producer", "queue", "seq", "status"]);
    assert_eq!(first["status"], "SEND_OK");
    assert_eq!(first["fate"], "processed");
    assert!(first["cause"].is_null());
}

#[test]
fn the_same_seed_gives_the_same_digest_on_both_storages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let line = "send 5; step 7; crash broker power; restart broker; run";
    let digest = |extra: &[&str]| {
        let mut args = vec!["exec", line, "--json", "--seed", "9"];
        args.extend_from_slice(extra);
        let out = mqlab(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["trace_digest"].as_str().unwrap().to_owned()
    };
    let mem = digest(&["--storage", "mem"]);
    assert_eq!(mem, digest(&["--storage", "mem"]));
    assert_eq!(mem, digest(&["--storage", "mmap", "--data-dir", data.to_str().unwrap()]));
    let kept = std::fs::read_dir(data.join("broker")).map(|d| d.count()).unwrap_or(0);
    assert!(kept > 0, "--data-dir keeps the broker's segment files");
}

#[test]
fn the_trace_is_said_in_chinese_with_lang_zh_and_the_json_is_unchanged() {
    let line = "set producer.send oneway; drop next request; send 2; run";
    let zh = mqlab(&["exec", line, "--storage", "mem", "--lang", "zh"]);
    assert!(zh.status.success(), "{}", stderr(&zh));
    let text = stdout(&zh);
    assert!(text.contains("网络：丢弃了请求 m1") && text.contains("生产者：以单向发送把 m2"), "{text}");
    let json = |extra: &[&str]| {
        let mut args = vec!["exec", line, "--storage", "mem", "--json"];
        args.extend_from_slice(extra);
        stdout(&mqlab(&args))
    };
    assert_eq!(json(&["--lang", "zh"]), json(&[]), "--json keeps one vocabulary and the same digest");
}

#[test]
fn an_unwritable_data_dir_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = refused(&["exec", "send", "--data-dir", file.to_str().unwrap()]);
    assert!(err.contains("not-a-dir"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn text_output_shows_the_ledger_and_the_trace() {
    let out = mqlab(&["exec", "send 2; step 3; crash broker power; restart broker; run", "--storage", "mem"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("m1") && text.contains("m2"), "{text}");
    assert!(text.contains("lost_in_page_cache"), "{text}");
    assert!(text.contains("power"), "{text}");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn scenario_files_run_and_bad_ones_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.toml",
        "seed = 3\ncommands = [\"send 2\", \"run\"]\n[settings]\nbroker.flush = \"sync\"\n",
    );
    let out = mqlab(&["run", &good, "--json", "--storage", "mem"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["totals"]["processed"], 2);

    let bad = write(dir.path(), "bad.toml", "commands = [\"send 2\"]\n[settings]\nbroker.flush = \"fast\"\n");
    let err = refused(&["run", &bad]);
    assert!(err.contains("bad.toml:3:16: bad value `fast` for broker.flush"), "{err}");
    let syntax = write(dir.path(), "syntax.toml", "commands = [\"send 2\"\n");
    assert!(refused(&["run", &syntax]).contains("syntax.toml:"));
    let unknown = write(dir.path(), "unknown.toml", "commands = []\nsede = 4\n");
    assert!(refused(&["run", &unknown]).contains("unknown.toml:2:1: unknown field `sede`"));
    let missing = dir.path().join("missing.toml");
    assert!(refused(&["run", missing.to_str().unwrap()]).contains("missing.toml: cannot read"));
}

#[test]
fn a_run_that_cannot_settle_stops_at_the_bound_and_says_so() {
    let out = mqlab(&["exec", "set consumer.max_retries 64; fail next 1000; send; run", "--storage", "mem"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("bound"), "{}", stdout(&out));
}

#[test]
fn every_shipped_scenario_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 10, "scenarios/ holds the seed scenarios");
    for file in files {
        let out = mqlab(&["run", file.to_str().unwrap(), "--json", "--storage", "mem"]);
        assert!(out.status.success(), "{}: {}", file.display(), stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(json["totals"]["sent"].as_u64().unwrap() > 0, "{}", file.display());
    }
}

#[test]
fn a_data_dir_holding_files_mqlab_did_not_write_is_refused_and_kept() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("D");
    std::fs::create_dir_all(d.join("broker/x")).unwrap();
    std::fs::write(d.join("broker/x/thesis.txt"), "precious\n").unwrap();
    let err = refused(&["exec", "send 1", "--data-dir", d.to_str().unwrap()]);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("holds `broker`") && err.contains("nothing was changed"), "{err}");
    assert_eq!(std::fs::read_to_string(d.join("broker/x/thesis.txt")).unwrap(), "precious\n");
}

fn json_of(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn exec_on_a_data_dir_resumes_the_session_and_appends_its_commands() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("lab");
    let d = d.to_str().unwrap();
    let first = json_of(&mqlab(&["exec", "send 2; step 3", "--json", "--data-dir", d]));
    assert_eq!(first["totals"]["sent"], 2);
    let out = mqlab(&["exec", "send 1; run", "--json", "--data-dir", d]);
    let second = json_of(&out);
    assert_eq!(second["totals"]["sent"], 3, "the session went on");
    let err = stderr(&out);
    assert!(
        err.contains("resumed the session (seed 1, ") && err.contains("as the session left them"),
        "{err}"
    );
    // The same as one session that ran both lines.
    let once = json_of(&mqlab(&["exec", "send 2; step 3; send 1; run", "--json", "--storage", "mem"]));
    assert_eq!(second["trace_digest"], once["trace_digest"]);

    // `run` needs a new session; --fresh starts one, after saying what it removes.
    let scenario = write(root.path(), "s.toml", "commands = [\"send 1\"]\n");
    let err = refused(&["run", &scenario, "--data-dir", d]);
    assert!(err.contains("holds a session already") && err.contains("--fresh"), "{err}");
    let out = mqlab(&["run", &scenario, "--json", "--data-dir", d, "--fresh"]);
    let err = stderr(&out);
    assert!(err.contains("--fresh: removing") && err.contains("journal.jsonl"), "{err}");
    assert_eq!(json_of(&out)["totals"]["sent"], 1);
}

#[test]
fn a_data_dir_in_use_is_refused_naming_the_process() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("lab");
    let held = mqlab_core::journal::DataDir::open(&d).unwrap();
    let err = refused(&["exec", "send 1", "--data-dir", d.to_str().unwrap()]);
    assert!(err.contains(&format!("in use by another mqlab (pid {})", std::process::id())), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    drop(held);
    assert!(mqlab(&["exec", "send 1", "--data-dir", d.to_str().unwrap()]).status.success());
}

#[test]
fn a_full_disk_is_one_line_and_exit_2_not_sigbus() {
    // A 64 KiB tmpfs needs root (CI runs as root); elsewhere this is skipped, saying so. The
    // core tests cover a full disk without root (log_storage).
    let mnt = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(mnt.path())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let d = mnt.path().join("d");
    let out = mqlab(&["exec", "set broker.flush sync; send 1000; run", "--data-dir", d.to_str().unwrap()]);
    let _ = Command::new("umount").arg(mnt.path()).status();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("disk full: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn a_session_resumed_line_by_line_gives_the_trace_of_one_run() {
    // Power loss with its torn tail, a bounded clock, a restart with recovery and a `back`: each
    // line resumes the session from its journal and its files.
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("lab");
    let lines = ["send 2; run 7", "crash broker power; restart broker; send 1; run 300", "back 4; run"];
    let mut last = serde_json::Value::Null;
    for line in lines {
        last = json_of(&mqlab(&["exec", line, "--json", "--seed", "3", "--data-dir", d.to_str().unwrap()]));
    }
    let once = json_of(&mqlab(&["exec", &lines.join("; "), "--json", "--seed", "3", "--storage", "mem"]));
    assert_eq!(last["trace_digest"], once["trace_digest"]);
}

/// Runs `mqlab ARGS` through `sh -c` with the given redirections (`| head -1`, `> /dev/full`…)
/// and returns the shell's output and the mqlab process's exit code (printed by the shell).
fn shell(args: &str, redirect: &str) -> (Option<i32>, String, String) {
    let binary = env!("CARGO_BIN_EXE_mqlab");
    let script = format!("'{binary}' {args} {redirect}; echo exit=${{PIPESTATUS[0]}}");
    let out = Command::new("bash").args(["-c", &script]).output().expect("bash runs");
    let text = stdout(&out);
    let code = text.lines().find_map(|l| l.strip_prefix("exit=")).and_then(|c| c.parse().ok());
    (code, text, stderr(&out))
}

#[test]
fn a_closed_pipe_ends_quietly() {
    for args in ["exec 'send 10000; run' --storage mem", "lessons verify", "lessons list"] {
        let (code, text, err) = shell(args, "| head -1");
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args}: {err}");
        assert!(matches!(code, Some(0 | 141)), "{args}: exit {code:?}; {text}{err}");
        assert_eq!(text.lines().count(), 2, "{args}: one line, then the exit code:\n{text}");
    }
}

#[test]
fn a_full_disk_under_stdout_or_stderr_is_an_exit_code_not_a_panic() {
    for (args, redirect) in [
        ("exec 'send 3; run' --storage mem", "> /dev/full"),
        ("exec 'send 3; run' --storage mem --json", "> /dev/full"),
        ("lessons list", "> /dev/full"),
        ("--help", "> /dev/full"),
        ("exec 'sned 3'", "2> /dev/full"),
        ("exec 'send 3; run' --storage mem", "> /dev/full 2> /dev/full"),
    ] {
        let (code, _, err) = shell(args, redirect);
        assert!(!err.contains("panicked"), "{args} {redirect}: {err}");
        assert!(matches!(code, Some(1 | 2)), "{args} {redirect}: exit {code:?}; {err}");
        if !redirect.contains("2>") {
            assert!(err.contains("mqlab: cannot write the output: No space left on device"), "{err}");
        }
    }
}

#[test]
fn the_terminal_lab_without_a_terminal_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_mqlab"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run mqlab");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("mqlab: the terminal lab needs a terminal"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn commands_are_never_options() {
    let err = refused(&["exec", "-h; send 1", "--storage", "mem"]);
    assert!(err.contains("unknown command `-h`"), "{err}");
    let err = refused(&["exec", "--json", "-x"]);
    assert!(err.contains("unknown command `-x`"), "{err}");
}

#[test]
fn seeds_have_one_range_on_the_command_line_and_in_files() {
    let max = i64::MAX.to_string();
    assert!(mqlab(&["exec", "send", "--storage", "mem", "--seed", &max]).status.success());
    let too_big = (i64::MAX as u64 + 1).to_string();
    let err = refused(&["exec", "send", "--storage", "mem", "--seed", &too_big]);
    assert!(err.contains(&format!("0..={max}")), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", &format!("seed = {max}\ncommands = [\"send\"]\n"));
    assert!(mqlab(&["run", &file, "--storage", "mem"]).status.success());
    let file = write(dir.path(), "t.toml", "seed = -1\ncommands = [\"send\"]\n");
    assert!(refused(&["run", &file]).contains(&format!("from 0 to {max}")));
}

#[test]
fn a_refusal_inside_a_scenario_names_its_file_and_line_and_cuts_the_echo() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", "commands = [\n  \"send 1\",\n  \"restart broker\",\n]\n");
    let err = refused(&["run", &file, "--storage", "mem"]);
    assert!(err.contains("s.toml:3: `restart broker`: "), "{err}");

    // A line of 900 kB whose 11th command is refused: 110,000 messages are too many.
    let long = format!("{}{}", "send 10000; ".repeat(11), "heal; ".repeat(150_000));
    let file = write(dir.path(), "long.toml", &format!("commands = [\n  \"{long}\",\n]\n"));
    let err = refused(&["run", &file, "--storage", "mem"]);
    assert!(err.len() < 400, "the echo is cut: {} bytes", err.len());
    assert!(
        err.contains("long.toml:2: `send 10000; send 10000;") && err.contains("… (900132 characters)`"),
        "{err}"
    );
    assert!(err.contains("at most 100000 messages"), "{err}");
}

#[test]
fn control_characters_and_bad_text_are_shown_escaped() {
    let err = refused(&["exec", "crash \u{1b}[31mbroker", "--storage", "mem"]);
    assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}[31mbroker"), "{err}");
    let err = refused(&["exec", "set broker.flush \u{7}", "--storage", "mem"]);
    assert!(!err.contains('\u{7}'), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.toml");
    std::fs::write(&file, b"commands = [\"send\"]\ntitle = \"caf\xe9\"\n").unwrap();
    let err = refused(&["run", file.to_str().unwrap()]);
    assert!(err.contains("latin1.toml:2: byte 13 of the line is not UTF-8"), "{err}");
}

#[test]
fn files_that_are_not_regular_files_are_refused_without_reading_them() {
    let err = refused(&["run", "/dev/zero"]);
    assert!(err.contains("/dev/zero: not a regular file"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // Opening a FIFO with no writer would block: the file kind is checked first.
    let err = refused(&["run", fifo.to_str().unwrap()]);
    assert!(err.contains("not a regular file"), "{err}");
    let err = refused(&["lessons", "verify", fifo.to_str().unwrap()]);
    assert!(err.contains("not a regular file"), "{err}");
    let big = write(dir.path(), "big.toml", &"#".repeat(2 << 20));
    assert!(refused(&["run", &big]).contains("at most 1048576 bytes"));
}

#[test]
fn a_data_dir_that_is_a_file_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "plain", "x");
    let err = refused(&["exec", "send", "--data-dir", &file]);
    assert!(err.contains("a file with this name exists, not a directory"), "{err}");
}
