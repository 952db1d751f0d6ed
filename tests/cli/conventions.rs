//! The conventions a user expects of a command-line tool, checked from the outside: a man page
//! per subcommand and completions that know every flag (both generated from the clap
//! definitions), clap's "did you mean", the usage when a subcommand is missing, the shell's
//! exit codes for a command that cannot run. None of these needs root.

use super::common;

/// The subcommand paths (`["veth", "add"]`), from the "Commands:" sections of `--help`.
fn subcommands(path: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for name in commands_in(&help(path)) {
        let mut p = path.to_vec();
        p.push(name);
        found.extend(subcommands(&p));
        found.push(p);
    }
    found
}

fn help(path: &[String]) -> String {
    let o = common::vethbench()
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{path:?} --help");
    String::from_utf8(o.stdout).unwrap()
}

fn commands_in(help: &str) -> Vec<String> {
    help.split("\n\n")
        .filter_map(|p| p.strip_prefix("Commands:\n"))
        .flat_map(|p| p.lines())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| *w != "help")
        .map(str::to_string)
        .collect()
}

/// Every `--long` flag and `-s` short flag a help text lists.
fn flags_in(help: &str) -> (Vec<String>, Vec<char>) {
    let long = regex::Regex::new(r"(?m)^\s+(?:-[[:alnum:]], )?--([[:alnum:]-]+)").unwrap();
    let short = regex::Regex::new(r"(?m)^\s+-([[:alnum:]])[ ,]").unwrap();
    (
        long.captures_iter(help).map(|c| c[1].to_string()).collect(),
        short
            .captures_iter(help)
            .map(|c| c[1].chars().next().unwrap())
            .collect(),
    )
}

#[test]
fn every_subcommand_has_a_man_page() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::vethbench()
        .arg("man")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let subs = subcommands(&[]);
    assert!(subs.len() > 20, "{subs:?}");
    for p in std::iter::once(vec![]).chain(subs) {
        let name = std::iter::once("vethbench".to_string())
            .chain(p.iter().cloned())
            .collect::<Vec<_>>()
            .join("-");
        let page = std::fs::read_to_string(dir.path().join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"));
        assert!(page.contains(".TH"), "{name}.1 is not a man page");
        // The page documents the flags the subcommand's --help lists.
        let (long, _) = flags_in(&help(&p));
        for f in long.iter().filter(|f| *f != "help" && *f != "version") {
            assert!(
                page.contains(&format!("\\-\\-{}", f.replace('-', "\\-"))),
                "{name}.1 lacks --{f}"
            );
        }
    }
}

#[test]
fn completions_mention_every_flag() {
    let script = |shell: &str| {
        let o = common::vethbench()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{shell}: {o:?}");
        String::from_utf8(o.stdout).unwrap()
    };
    let (bash, zsh, fish) = (script("bash"), script("zsh"), script("fish"));
    for p in subcommands(&[]) {
        // Every subcommand is completed by name.
        let last = p.last().unwrap();
        for (shell, s) in [("bash", &bash), ("zsh", &zsh), ("fish", &fish)] {
            assert!(
                s.contains(last.as_str()),
                "{shell} lacks the subcommand {p:?}"
            );
        }
        let (long, short) = flags_in(&help(&p));
        for f in &long {
            assert!(bash.contains(&format!("--{f}")), "bash lacks {p:?} --{f}");
            assert!(zsh.contains(&format!("--{f}")), "zsh lacks {p:?} --{f}");
            assert!(fish.contains(&format!("-l {f}")), "fish lacks {p:?} --{f}");
        }
        for c in &short {
            assert!(bash.contains(&format!(" -{c} ")), "bash lacks {p:?} -{c}");
            assert!(fish.contains(&format!("-s {c}")), "fish lacks {p:?} -{c}");
        }
    }
    assert_eq!(
        common::vethbench()
            .args(["completions", "tcsh"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let o = common::vethbench().args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn misspellings_get_a_suggestion() {
    let (code, _, err) = run(&["tset"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        "vethbench: unrecognized subcommand 'tset'; a similar subcommand exists: 'test' (see \
         --help)\n"
    );
    let (code, _, err) = run(&["send", "--dstmac", "02:00:00:00:00:01"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("a similar argument exists: '--dst-mac'"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_missing_subcommand_prints_the_usage_and_the_subcommands() {
    for (args, subs) in [
        (&[][..], &["send", "capture", "veth", "completions"][..]),
        (&["veth"][..], &["add", "del", "list", "peer"][..]),
        (&["netns"][..], &["add", "del", "list", "exec"][..]),
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains("Usage: vethbench"), "{args:?}: {err}");
        let listed = commands_in(&err);
        for s in subs {
            assert!(
                listed.iter().any(|l| l == s),
                "{args:?}: {s} missing in\n{err}"
            );
        }
    }
}

#[test]
fn down_has_its_own_help() {
    let (up, down) = (help(&["up".into()]), help(&["down".into()]));
    let args = |h: &str| {
        h.split("Arguments:")
            .nth(1)
            .and_then(|a| a.split("\n\n").next())
            .unwrap_or("")
            .to_string()
    };
    assert_ne!(args(&up), args(&down), "up:\n{up}\ndown:\n{down}");
    assert!(down.contains("removed"), "{down}");
}

#[test]
fn every_netns_flag_takes_a_name_a_path_or_a_pid() {
    for p in subcommands(&[]) {
        let h = help(&p);
        if let Some(l) = h.lines().find(|l| l.contains("--netns <")) {
            let text: String = h[h.find(l).unwrap()..]
                .split("\n  -")
                .next()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                text.contains("/run/netns") && text.contains("pid:PID") && text.contains("path"),
                "{p:?}: {text}"
            );
        }
    }
}

#[test]
fn a_zero_rate_names_the_minimum() {
    for args in [
        &["send", "--dry-run", "--rate", "0"][..],
        &["replay", "-i", "x", "--pps", "0", "f.pcap"][..],
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(err.contains("must be at least 0.001"), "{args:?}: {err}");
        assert!(
            !err.contains("expected frames per second"),
            "{args:?}: {err}"
        );
    }
}

/// As shells do: 127 for a command not found, 126 for one that is not executable.
#[test]
fn netns_exec_exits_as_a_shell_does() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "not a program").unwrap();
    for (cmd, code) in [
        ("vethbench-no-such-command", 127),
        (plain.to_str().unwrap(), 126),
        ("true", 0),
    ] {
        let o = common::in_private_netns({
            let cmd = cmd.to_string();
            move || {
                common::vethbench()
                    .args(["netns", "exec", "/proc/thread-self/ns/net", &cmd])
                    .output()
                    .unwrap()
            }
        });
        assert_eq!(o.status.code(), Some(code), "{cmd}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        if code != 0 {
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with("vethbench: "), "{err}");
        }
    }
}

/// `vethbench run FILE | head -1`: the reader going away ends the run quietly (exit 0, no
/// "Broken pipe"), as `read` and `test` do. The pipe is closed before the run writes.
#[test]
fn run_into_a_closed_pipe_ends_quietly() {
    if !common::require_root!() {
        return;
    }
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bridge.yaml");
    for report in [&[][..], &["--tap"][..], &["--json"][..]] {
        let o = common::in_private_netns({
            let file = file.clone();
            let report: Vec<String> = report.iter().map(|s| s.to_string()).collect();
            move || {
                let mut child = common::vethbench()
                    .arg("run")
                    .args(&report)
                    .arg(&file)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                drop(child.stdout.take());
                child.wait_with_output().unwrap()
            }
        });
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{report:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{report:?}: {err}");
    }
}

/// Output is written, not `println!`ed: a reader that went away ends the command quietly
/// (exit 0, nothing on stderr), a full disk is one error line naming stdout (exit 2), with no
/// panic caught on the way. `send --dry-run` prints `show()` and needs no root.
#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_one_line() {
    let expr = "Ether(src=\"02:00:00:00:00:01\", dst=\"02:00:00:00:00:02\")/\
                IP(src=\"198.18.0.1\", dst=\"198.18.0.2\")/UDP()/(\"x\"*3000)";
    let mut child = common::vethbench()
        .args(["send", "--dry-run", "--hex", expr])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err, "", "a closed pipe printed something");

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = common::vethbench()
        .args(["send", "--dry-run", expr])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim_end(),
        "vethbench: error: writing to stdout: No space left on device (os error 28)"
    );
}
