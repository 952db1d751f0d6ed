//! What a run leaves: nothing on a YAML error (exit 2, file:line), nothing after SIGKILL;
//! `up` leaves named namespaces that `down` removes; the report files (`--junit`, `-w`).

use std::time::{Duration, Instant};

use super::common;
use super::{example, text, vethbench};

/// Namespaces under /run/netns starting with `prefix`.
fn named(prefix: &str) -> Vec<String> {
    std::fs::read_dir("/run/netns")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn yaml_error_names_file_line_and_key_and_creates_nothing() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    let src = std::fs::read_to_string(example("router.yaml")).unwrap();
    // An unknown key on line 10 (the second link).
    let bad = src.replacen("mtu: 9000}", "mtu: 9000, speed: 10}", 1);
    std::fs::write(&path, bad).unwrap();
    let p = path.to_str().unwrap();
    let prefix = common::unique_name("vbY");
    for args in [vec!["run", p], vec!["up", p, "--prefix", &prefix]] {
        let o = vethbench(&args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("{p}:10: speed: ")), "{}", text(&o));
        assert_eq!(err.lines().count(), 1, "{}", text(&o));
        assert!(o.stdout.is_empty(), "{}", text(&o));
    }
    assert!(
        named(&prefix).is_empty(),
        "up made namespaces for a bad file"
    );
    // A reference to a node that does not exist, with its line.
    let bad = src.replacen(
        "h2: [default via 198.18.2.1]",
        "h3: [default via 198.18.2.1]",
        1,
    );
    std::fs::write(&path, bad).unwrap();
    let o = vethbench(&["run", p]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(":18: routes: unknown node 'h3'"),
        "{}",
        text(&o)
    );
}

/// The pids whose parent is `ppid`.
fn children(ppid: u32) -> Vec<u32> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the command name in parentheses: state, then ppid.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        if rest.split(' ').nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(ppid) {
            v.push(pid);
        }
    }
    v
}

#[test]
fn sigkill_leaves_no_process_and_no_namespace() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("ready");
    let path = dir.path().join("kill.yaml");
    std::fs::write(
        &path,
        format!(
            "nodes: {{h1: {{}}, h2: {{}}}}\nlinks: [[h1:eth0, h2:eth0]]\ntests:\n  - name: long\n    steps:\n      - daemon: {{node: h1, run: 'touch {m}; exec sleep 1000', ready: 'file:{m}'}}\n      - exec: {{node: h2, run: 'sleep 30'}}\n",
            m = mark.display()
        ),
    )
    .unwrap();
    let mut child = common::vethbench()
        .args(["run", path.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let runner = child.id();
    // Both commands started: the daemon and the exec's shell.
    let deadline = Instant::now() + Duration::from_secs(20);
    let kids = loop {
        let k = children(runner);
        if mark.exists() && k.len() >= 2 {
            break k;
        }
        assert!(
            Instant::now() < deadline,
            "the scenario did not start its commands"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let netns: Vec<String> = kids
        .iter()
        .filter_map(|p| std::fs::read_link(format!("/proc/{p}/ns/net")).ok())
        .map(|l| l.to_string_lossy().into_owned())
        .collect();
    let own = std::fs::read_link("/proc/self/ns/net")
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        !netns.is_empty() && netns.iter().all(|n| *n != own),
        "children run inside the nodes: {netns:?}"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // PR_SET_PDEATHSIG: the children go too; then nothing holds the namespaces.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let alive: Vec<u32> = kids
            .iter()
            .copied()
            .filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
            .collect();
        if alive.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "children outlived the runner: {alive:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // No process anywhere is still in one of the nodes' namespaces (the kernel kills the
    // rest of each command's PID namespace once its PID 1 is gone: wait for it).
    let in_nodes = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                std::fs::read_link(e.path().join("ns/net"))
                    .is_ok_and(|l| netns.contains(&l.to_string_lossy().into_owned()))
            })
            .map(|e| e.path())
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = in_nodes();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{left:?} still in a node's namespace"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn up_and_down() {
    if !common::require_root!() {
        return;
    }
    let prefix = format!("{}-", common::unique_name("vbU"));
    let file = example("router.yaml");
    let f = file.to_str().unwrap();
    let o = vethbench(&["up", f, "--prefix", &prefix]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut made = named(&prefix);
    made.sort();
    let want: Vec<String> = ["h1", "h2", "r1"]
        .iter()
        .map(|n| format!("{prefix}{n}"))
        .collect();
    assert_eq!(made, want);
    // Left in place and working: h1 reaches h2 through r1 (iproute2 sees our namespaces).
    let ping = common::vethbench()
        .args(["ping", "-n", &want[0], "-c1", "-W2", "198.18.2.2"])
        .output()
        .unwrap();
    let o2 = vethbench(&["down", f, "--prefix", &prefix]);
    assert!(
        ping.status.success(),
        "{}",
        String::from_utf8_lossy(&ping.stdout)
    );
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    assert!(named(&prefix).is_empty());
    // A second up of the same prefix while the first stands is refused and removes its own.
    let o = vethbench(&["up", f, "--prefix", &prefix]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let again = vethbench(&["up", f, "--prefix", &prefix]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    // Issue 21 new-user 13: say what to do, not only that a namespace exists.
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("already up")
            && err.contains(&format!("run `vethbench down {f} --prefix {prefix}`")),
        "{err}"
    );
    assert_eq!(named(&prefix).len(), 3, "the first up's namespaces stay");
    vethbench(&["down", f, "--prefix", &prefix]);
    assert!(named(&prefix).is_empty());
    // down with nothing up says so, exit 0.
    let o = vethbench(&["down", f, "--prefix", &prefix]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("nothing to remove") && out.contains("not up"),
        "{out}"
    );
}

#[test]
fn reports_junit_tap_json_filter_and_captures() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(example("router.yaml")).unwrap();
    let path = dir.path().join("router.yaml");
    let from = "      - expect_none: {port: h2:eth0, for: 50ms}\n  - name: hosts";
    assert!(src.contains(from));
    let twin = src.replacen(
        from,
        "      - exec: {node: h2, run: 'false'}\n  - name: hosts",
        1,
    );
    let line = 1 + twin
        .lines()
        .position(|l| l.contains("run: 'false'"))
        .unwrap();
    std::fs::write(&path, twin).unwrap();
    let p = path.to_str().unwrap();
    let junit = dir.path().join("junit.xml");
    let caps = dir.path().join("caps");
    let o = vethbench(&[
        "run",
        p,
        "--junit",
        junit.to_str().unwrap(),
        "-w",
        caps.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"")
            && xml.contains("tests=\"3\"")
            && xml.contains("failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("step 3 (line {line}) exec on h2: false")),
        "{xml}"
    );
    // One capture, of the failed test, with every port in it.
    let files: Vec<_> = std::fs::read_dir(&caps)
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().to_string_lossy().into_owned();
    assert!(
        name.starts_with("router-02-ttl-1") && name.ends_with(".pcapng"),
        "{name}"
    );
    assert!(!common::frames_in(files[0].path()).is_empty());
    // -k: only the matching test; TAP.
    let o = vethbench(&["run", p, "-k", "TTL 1", "--tap"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let tap = String::from_utf8_lossy(&o.stdout);
    assert!(
        tap.starts_with("TAP version 13\n1..1\nnot ok 1 - "),
        "{tap}"
    );
    let o = vethbench(&["run", p, "-k", "forwarded", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (doc["passed"].as_u64(), doc["failed"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(doc["schema_version"], 1);
}
