//! End-to-end smoke tests of the terminal lab: the real binary in a real terminal (tmux, 120×40),
//! driven by keys until a message is lost, then the captured screen must show the lost message
//! and its cause; and killed from outside, after which the terminal must be as it was and the
//! temporary directory gone. Skipped, with a note, only where tmux is not installed (`.ci/run`
//! installs it).

use std::process::{Command, Output};
use std::thread::sleep;
use std::time::Duration;

/// Screen captures to try before giving up; with the pause below, about 20 s.
const ATTEMPTS: usize = 100;
const PAUSE: Duration = Duration::from_millis(200);

/// Runs tmux on its own server (socket `name`), so tests running side by side never share one
/// (a server exits with its last session).
fn tmux_on(name: &str, args: &[&str]) -> Output {
    Command::new("tmux").args(["-L", name]).args(args).output().expect("tmux runs")
}

/// Starts a detached 120×40 tmux session named `name`, on its own server, running `command`.
fn start(name: &str, command: &str) -> Session {
    let started = tmux_on(name, &["new-session", "-d", "-s", name, "-x", "120", "-y", "40", command]);
    assert!(started.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&started.stderr));
    Session(name.to_owned())
}

/// Kills the tmux session (and so its server) however the test ends.
struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

impl Session {
    fn tmux(&self, args: &[&str]) -> Output {
        tmux_on(&self.0, args)
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", &self.0]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.0.as_str()];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success(), "tmux send-keys {keys:?}");
    }

    /// Polls the screen until `done` holds; panics with the last screen if it never does.
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        for _ in 0..ATTEMPTS {
            screen = self.capture();
            if done(&screen) {
                return screen;
            }
            sleep(PAUSE);
        }
        panic!("the terminal lab never showed {what}; last screen:\n{screen}");
    }
}

#[test]
fn a_loss_and_its_cause_show_in_a_real_terminal() {
    if !have_tmux() {
        return;
    }
    let name = format!("mqlab-smoke-{}", std::process::id());
    let binary = env!("CARGO_BIN_EXE_mqlab");
    let data = tempfile::tempdir().expect("temporary directory");
    // The shell line outlives the lab, so a failure to start (or the exit code) stays readable.
    let command =
        format!("{binary} --data-dir {}; echo mqlab exited with $?; sleep 60", data.path().display());
    let session = start(&name, &command);

    // Keys are sent only once the lab is drawn, so none reach a terminal not yet in raw mode.
    session.wait_for("its first frame", |s| s.contains("Ledger") && s.contains("Producer"));

    // One-way send (t cycles sync → async → oneway), drop the next request (d, then 1), send one
    // message (s) and run until nothing is left (e): the request is dropped and nobody knows.
    session.keys(&["t", "t"]);
    session.wait_for("the one-way send mode", |s| s.contains("oneway"));
    session.keys(&["d"]);
    session.wait_for("the drop menu", |s| s.contains("request"));
    session.keys(&["1", "s", "e"]);
    let screen = session.wait_for("the lost message and its cause", |s| {
        s.contains("✗m1") && s.contains("dropped_in_network")
    });
    assert!(screen.contains("lost"), "{screen}");

    // Enter opens the journey: why it was lost, in words.
    session.keys(&["Enter"]);
    let journey = session.wait_for("the journey of m1", |s| s.contains("Journey m1"));
    println!("{journey}");

    // Esc and q go separately: sent together they read as Alt-q.
    session.keys(&["Escape"]);
    session.wait_for("the lab again", |s| !s.contains("Journey m1"));
    session.keys(&["q"]);
    session.wait_for("a clean exit", |s| s.contains("mqlab exited with 0"));
}

/// Whether tmux can run here; prints a note when it cannot.
fn have_tmux() -> bool {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("note: tmux is not installed; skipping the terminal smoke test (.ci/run installs it)");
        return false;
    }
    true
}

#[test]
fn a_signal_from_outside_restores_the_terminal_and_removes_the_temporary_directory() {
    if !have_tmux() {
        return;
    }
    let binary = env!("CARGO_BIN_EXE_mqlab");
    for signal in ["TERM", "INT", "HUP"] {
        let name = format!("mqlab-signal-{signal}-{}", std::process::id());
        let scratch = tempfile::tempdir().expect("temporary directory");
        let tmp = scratch.path().join("tmp");
        std::fs::create_dir(&tmp).expect("TMPDIR for the lab");
        let pid_file = scratch.path().join("pid");
        // The inner shell writes its pid and becomes the lab (exec), so the pid is the lab's; the
        // outer shell outlives it and shows the exit status and the terminal's modes.
        let command = format!(
            "TMPDIR={tmp} sh -c 'echo $$ > {pid}; exec {binary}'; echo mqlab exited with $?; \
             stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; \
             echo; echo end of report; sleep 60",
            tmp = tmp.display(),
            pid = pid_file.display(),
        );
        let session = start(&name, &command);
        session.wait_for("its first frame", |s| s.contains("Ledger") && s.contains("Producer"));
        let entries = || std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
        assert_eq!(entries(), 1, "SIG{signal}: the lab keeps its logs in one temporary directory");

        let pid = std::fs::read_to_string(&pid_file).expect("the lab's pid");
        let killed = Command::new("kill").args([&format!("-{signal}"), pid.trim()]).status().expect("kill");
        assert!(killed.success(), "kill -{signal} {pid}");
        let screen = session.wait_for("the shell after the lab", |s| s.contains("end of report"));

        let code = match signal {
            "TERM" => 143,
            "INT" => 130,
            _ => 129,
        };
        assert!(screen.contains(&format!("mqlab exited with {code}")), "SIG{signal}:\n{screen}");
        assert!(screen.contains("icanon echo"), "SIG{signal}: the terminal is still raw:\n{screen}");
        assert!(!screen.contains("Ledger"), "SIG{signal}: the lab's screen is still shown:\n{screen}");
        let format = |f: &str| {
            let out = session.tmux(&["display-message", "-p", "-t", &name, f]);
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        assert_eq!(format("#{alternate_on}"), "0", "SIG{signal}: still on the alternate screen");
        assert_eq!(format("#{cursor_flag}"), "1", "SIG{signal}: the cursor is still hidden");
        assert_eq!(entries(), 0, "SIG{signal}: the temporary directory is left behind");
    }
}

#[test]
fn a_closed_terminal_ends_the_lab_and_removes_the_temporary_directory() {
    if !have_tmux() {
        return;
    }
    let binary = env!("CARGO_BIN_EXE_mqlab");
    let name = format!("mqlab-hangup-{}", std::process::id());
    let scratch = tempfile::tempdir().expect("temporary directory");
    let tmp = scratch.path().join("tmp");
    std::fs::create_dir(&tmp).expect("TMPDIR for the lab");
    let pid_file = scratch.path().join("pid");
    let command = format!("TMPDIR={} sh -c 'echo $$ > {}; exec {binary}'", tmp.display(), pid_file.display());
    let session = start(&name, &command);
    session.wait_for("its first frame", |s| s.contains("Ledger") && s.contains("Producer"));
    let pid = std::fs::read_to_string(&pid_file).expect("the lab's pid").trim().to_owned();
    // Closing the terminal: SIGHUP, and every later read of the terminal ends at once.
    drop(session);
    let alive = || Command::new("kill").args(["-0", &pid]).output().is_ok_and(|o| o.status.success());
    let mut ended = false;
    for _ in 0..ATTEMPTS {
        if !alive() {
            ended = true;
            break;
        }
        sleep(PAUSE);
    }
    assert!(ended, "the lab (pid {pid}) still runs after its terminal closed");
    let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "the temporary directory is left behind");
}
