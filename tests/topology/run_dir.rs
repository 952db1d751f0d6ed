//! `/run/netns` hygiene, in a private mount namespace with a fresh tmpfs on `/run` (so the
//! host's `/run/netns` is never touched): created 0755 whatever the umask; a symlink or a
//! plain file planted there is neither listed nor followed nor unmounted.

use super::*;

/// Run `script` with `sh` in a private mount namespace whose `/run` is an empty tmpfs; `$VB`
/// is the vethbench binary. Returns (exit code, stdout, stderr).
fn in_private_run(script: &str) -> (i32, String, String) {
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(format!("set -e; mount -t tmpfs none /run; {script}"))
        .env("VB", common::bin_path())
        .output()
        .expect("run unshare -m");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_netns_is_0755_even_with_umask_0() {
    if !common::require_root!() {
        return;
    }
    let (code, out, err) = in_private_run(
        "umask 0; \"$VB\" netns add vbumask; stat -c %a /run/netns; \"$VB\" netns del vbumask",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "755", "{out}{err}");
}

#[test]
fn symlinks_and_plain_files_in_run_netns_are_refused() {
    if !common::require_root!() {
        return;
    }
    let (code, out, err) = in_private_run(
        "\"$VB\" netns add vbreal; ln -s /proc /run/netns/vbevil; touch /run/netns/vbplain; \
         \"$VB\" netns list; echo ---; \
         \"$VB\" netns del vbevil 2>&1 || echo \"exit $?\"; \
         \"$VB\" netns del vbplain 2>&1 || echo \"exit $?\"; \
         test -e /proc/self/stat && echo proc-still-mounted; \
         \"$VB\" netns del vbreal",
    );
    assert_eq!(code, 0, "{out}{err}");
    let (list, rest) = out.split_once("---\n").unwrap();
    assert_eq!(
        list.trim(),
        "vbreal",
        "netns list shows only the namespace: {list}"
    );
    let lines: Vec<&str> = rest.lines().collect();
    assert!(
        lines[0].contains("'/run/netns/vbevil' is not a network namespace (a symbolic link)"),
        "{rest}"
    );
    assert_eq!(lines[1], "exit 2", "{rest}");
    assert!(
        lines[2].contains("'/run/netns/vbplain' is not a network namespace (not a namespace file)"),
        "{rest}"
    );
    assert_eq!(lines[3], "exit 2", "{rest}");
    assert_eq!(lines[4], "proc-still-mounted", "{rest}");
}

/// Concurrent removals (issue 21): the losers of `netns del` say the namespace is gone already
/// (never "not a network namespace" or an unmount errno), and concurrent `down`s both exit 0,
/// each namespace removed by exactly one of them.
#[test]
fn concurrent_del_and_down_losers_say_gone() {
    if !common::require_root!() {
        return;
    }
    let (code, out, err) = in_private_run(
        "for r in $(seq 1 15); do \"$VB\" netns add vbrace; \
           for k in 1 2 3 4; do (\"$VB\" netns del vbrace >/tmp/d$k 2>&1; echo \"exit $?\" >>/tmp/d$k) & done; \
           wait; cat /tmp/d1 /tmp/d2 /tmp/d3 /tmp/d4; \
         done; echo ---; \
         printf 'nodes:\\n  a: {}\\n  b: {}\\n  c: {}\\n  d: {}\\n' > /tmp/race.yaml; \
         for r in $(seq 1 8); do \"$VB\" up /tmp/race.yaml --prefix vbr- >/dev/null; \
           for k in 1 2; do (\"$VB\" down /tmp/race.yaml --prefix vbr- >/tmp/u$k 2>&1; \
             echo \"exit $?\" >>/tmp/u$k) & done; wait; cat /tmp/u1 /tmp/u2; \
           echo round; done; ls /run/netns | wc -l",
    );
    assert_eq!(code, 0, "{out}{err}");
    let (dels, downs) = out.split_once("---\n").unwrap();
    let ok = dels.lines().filter(|l| *l == "exit 0").count();
    assert_eq!(ok, 15, "one winner per round:\n{dels}");
    for l in dels.lines().filter(|l| l.starts_with("vethbench")) {
        assert!(
            l.contains("is gone already") || l.contains("does not exist"),
            "a loser's line: {l}\n{dels}"
        );
    }
    let mut removed = Vec::new();
    for l in downs.lines() {
        match l {
            "exit 0" | "round" => {}
            l if l.starts_with("removed ") => removed.push(l),
            l if l.starts_with("nothing to remove: ") => {}
            l if l.trim() == "0" => {}
            l => panic!("unexpected line from concurrent down: {l}\n{downs}"),
        }
    }
    assert_eq!(
        removed.len(),
        8 * 4,
        "each namespace removed once:\n{downs}"
    );
    assert_eq!(downs.lines().last(), Some("0"), "{downs}");
}
