//! End-to-end tests of the desktop lab: the real binary. Without a display it must say so in one
//! line and exit 2; under Xvfb (when `xvfb-run` is installed; `.ci/run` installs it) it must open
//! a window, run a demo and save a real PNG of it.

use std::process::Command;

const NO_DISPLAY: &str = "mqlab: no display found; `mqlab` runs the terminal lab";

#[test]
fn without_a_display_the_gui_says_so_in_one_line_and_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_mqlab"))
        .args(["--storage", "mem", "gui"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("mqlab runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.trim_end(), NO_DISPLAY, "exactly one clear line");
    assert!(out.stdout.is_empty());
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let signature = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != signature || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((be(16), be(20)))
}

#[test]
fn under_xvfb_a_demo_ends_in_a_screenshot() {
    if Command::new("xvfb-run").arg("--help").output().is_err() {
        println!("note: xvfb-run is not installed; skipping the desktop smoke test (.ci/run installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let png = dir.path().join("out.png");
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x1000x24"])
        .arg(env!("CARGO_BIN_EXE_mqlab"))
        .args(["--storage", "mem", "gui", "--screenshot"])
        .arg(&png)
        .args(["--script", "send 3; crash broker power"])
        // No remembered preferences from the machine running the test.
        .env("XDG_DATA_HOME", dir.path())
        .output()
        .expect("xvfb-run runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mqlab gui under Xvfb failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let bytes = std::fs::read(&png)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}; stderr: {stderr}", png.display()));
    let (w, h) = png_size(&bytes).expect("a PNG file");
    assert!(w >= 900 && h >= 600, "the window is {w}x{h}");
    // A blank window compresses to almost nothing; the lab's diagram and text do not.
    assert!(bytes.len() > 40_000, "the screenshot is only {} bytes: is anything drawn?", bytes.len());
}

#[test]
fn under_xvfb_a_signal_closes_the_window_and_removes_the_temporary_directory() {
    if Command::new("xvfb-run").arg("--help").output().is_err() {
        println!("note: xvfb-run is not installed; skipping the desktop signal test (.ci/run installs it)");
        return;
    }
    let binary = env!("CARGO_BIN_EXE_mqlab");
    for (signal, code) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        let scratch = tempfile::tempdir().expect("temporary directory");
        let tmp = scratch.path().join("tmp");
        std::fs::create_dir(&tmp).expect("TMPDIR for the lab");
        let pid_file = scratch.path().join("pid");
        // The shell writes its pid and becomes the lab, so the pid is the lab's.
        // TMPDIR is the lab's alone (xvfb-run keeps its own files in the usual one).
        let script =
            format!("echo $$ > '{}'; TMPDIR='{}' exec '{binary}' gui", pid_file.display(), tmp.display());
        let lab = Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1600x1000x24", "sh", "-c", &script])
            .env("XDG_DATA_HOME", scratch.path())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("xvfb-run runs");
        // The session's temporary directory exists once the lab is built; the window follows.
        let started = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0) == 1
        });
        assert!(started, "SIG{signal}: the lab never made its temporary directory");
        let pid = std::fs::read_to_string(&pid_file).expect("the lab's pid");
        let killed = Command::new("kill").args([&format!("-{signal}"), pid.trim()]).status().expect("kill");
        assert!(killed.success(), "kill -{signal} {pid}");
        let out = lab.wait_with_output().expect("xvfb-run ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "SIG{signal}: {stderr}");
        // xvfb-run reports the lab's status as a shell does: 128 + the signal.
        assert_eq!(out.status.code(), Some(128 + code), "SIG{signal}: {stderr}");
        let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "SIG{signal}: the temporary directory is left behind");
    }
}
