//! Every ```sh and ```yaml block of README.md and docs/*.md runs as printed (issue 21): an sh
//! block with `bash -e`, a YAML block as a scenario file (`vethbench run`). Each block runs in
//! fresh network and mount namespaces of its own (`unshare -n -m`, a tmpfs on /run/netns, so
//! `netns add` stays inside), in a scratch directory holding `examples/` and `fixtures/`, with
//! the binary first on PATH, within 60 s. Blocks tagged `sh-norun` (they need an interface
//! or a host that is not there) are skipped, and must stay few.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// At most this many `sh-norun` blocks in all.
const MAX_NORUN: usize = 6;

/// Blocks that do not run as printed yet, by page and first line, with the reason: the
/// pages' owners turn them into examples that run (or `sh-norun`) and remove them here.
const NOT_YET: &[(&str, &str, &str)] = &[
    (
        "README.md",
        "cargo run --release -- test",
        "builds the crate: run by CI itself",
    ),
    ("README.md", "tests/run.sh", "the whole test suite"),
    (
        "docs/testing.md",
        "tests/run.sh --test capture",
        "the test suite",
    ),
    (
        "docs/testing.md",
        "cargo +nightly fuzz run pcapng_reader",
        "runs until stopped",
    ),
    (
        "docs/bench.md",
        "cargo run --release -- bench send",
        "minutes of benchmarks",
    ),
    (
        "docs/capture.md",
        "vethbench capture vethY",
        "needs vethX/vethY",
    ),
    (
        "docs/read.md",
        "vethbench read out.pcapng ",
        "needs out.pcapng",
    ),
    (
        "docs/replay.md",
        "vethbench replay -i vethX trace.pcapng",
        "needs vethX, trace.pcap",
    ),
    (
        "docs/scenarios.md",
        "vethbench run examples/*.yaml",
        "names router.yaml in .",
    ),
    (
        "docs/send.md",
        "# onepkt.py 22:11:11:11:11:11",
        "needs vethX",
    ),
    ("docs/send.md", "vethbench send -i va --dst-mac", "needs va"),
    ("docs/send.md", "vethbench send -i va 'Ether(", "needs va"),
    (
        "docs/test.md",
        "vethbench test ",
        "minutes; needs vethX, vlan.pcap",
    ),
    (
        "docs/topology.md",
        "vethbench netns add net1",
        "runs a web server until stopped",
    ),
    (
        "docs/topology.md",
        "vethbench veth peer vethab12cd",
        "needs a container",
    ),
];

struct Block {
    page: String,
    line: usize,
    tag: String,
    text: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> Vec<PathBuf> {
    let mut v = vec![root().join("README.md")];
    if let Ok(d) = std::fs::read_dir(root().join("docs")) {
        let mut docs: Vec<PathBuf> = d
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        docs.sort();
        v.extend(docs);
    }
    v
}

/// The fenced blocks of a Markdown page, with their tag (the word after the fence).
fn blocks(page: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(page).unwrap();
    let name = page.strip_prefix(root()).unwrap().display().to_string();
    let mut out = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (i, l) in text.lines().enumerate() {
        match (&mut open, l.trim_start().strip_prefix("```")) {
            (None, Some(tag)) => open = Some((i + 1, tag.trim().to_string(), String::new())),
            (Some(_), Some(_)) => {
                let (line, tag, text) = open.take().unwrap();
                out.push(Block {
                    page: name.clone(),
                    line,
                    tag,
                    text,
                });
            }
            (Some((_, _, body)), None) => {
                body.push_str(l);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

fn not_yet(b: &Block) -> Option<&'static str> {
    NOT_YET
        .iter()
        .find(|(p, first, _)| *p == b.page && b.text.trim_start().starts_with(first))
        .map(|(_, _, why)| *why)
}

/// Run `script` (bash) in fresh network and mount namespaces, in `dir`; its output, or why
/// it failed.
fn run_isolated(script: &str, dir: &Path) -> Result<String, String> {
    let bin_dir = common::bin_path().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let wrapper = "mkdir -p /run/netns && mount -t tmpfs docs-examples /run/netns && \
                   ip link set lo up && exec bash -e -o pipefail -c \"$1\"";
    let mut child = Command::new("unshare")
        .args([
            "-n",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            wrapper,
            "sh",
        ])
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            return Err("still running after 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    if o.status.success() {
        Ok(text)
    } else {
        Err(format!("{}: {text}", o.status))
    }
}

#[test]
fn every_example_in_the_docs_runs_as_printed() {
    if !common::require_root!() {
        return;
    }
    let all: Vec<Block> = pages().iter().flat_map(|p| blocks(p)).collect();
    let norun = all.iter().filter(|b| b.tag == "sh-norun").count();
    assert!(
        norun <= MAX_NORUN,
        "{norun} sh-norun blocks (at most {MAX_NORUN})"
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    for b in all.iter().filter(|b| b.tag == "sh" || b.tag == "yaml") {
        if not_yet(b).is_some() {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        for d in ["examples", "fixtures"] {
            std::os::unix::fs::symlink(root().join(d), dir.path().join(d)).unwrap();
        }
        let script = if b.tag == "yaml" {
            std::fs::write(dir.path().join("example.yaml"), &b.text).unwrap();
            "vethbench run example.yaml".to_string()
        } else {
            b.text.clone()
        };
        ran += 1;
        if let Err(e) = run_isolated(&script, dir.path()) {
            failures.push(format!("{}:{} ({}): {e}", b.page, b.line, b.tag));
        }
    }
    assert!(ran > 0, "no example ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Each NOT_YET entry still names a block (a stale entry would hide nothing).
#[test]
fn the_not_yet_list_names_real_blocks() {
    let all: Vec<Block> = pages().iter().flat_map(|p| blocks(p)).collect();
    for (page, first, _) in NOT_YET {
        assert!(
            all.iter()
                .any(|b| b.page == *page && b.text.trim_start().starts_with(first)),
            "{page}: no block starts with {first:?}"
        );
    }
}
