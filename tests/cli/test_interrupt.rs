//! Ctrl-C ends a run early, as `--duration` would: the frames sent so far are checked and
//! reported, the pcapng is whole, the exit code is the verdict's.

use super::common;

#[test]
fn ctrl_c_stops_the_run_and_keeps_the_report_and_the_file() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.pcapng");
    let child = common::vethbench()
        .args(["test", "--duration", "60s", "--rate", "10k", "--json", "-w"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Under way: the file exists once the ends are open; then let frames flow a little.
    let t = std::time::Instant::now();
    while !path.exists() && t.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{err}{text}");
    assert!(err.contains("interrupted"), "{err}");
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let sent = v["sent"].as_u64().unwrap();
    // Stopped early (60 s at 10k/s is 600,000), and every frame sent was checked.
    assert!(sent > 0 && sent < 600_000, "{text}");
    assert_eq!(v["intact"].as_u64(), Some(sent), "{text}");
    assert_eq!(v["verdict"], "passed", "{text}");
    assert_eq!(v["interrupted"], true, "{text}");
    let caps = common::run_ok("capinfos", &["-c", "-M", &path.to_string_lossy()]);
    assert!(
        caps.contains(&format!(" {sent}\n")),
        "{sent} frames: {caps}"
    );
}
