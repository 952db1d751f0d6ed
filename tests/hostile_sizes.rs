//! Hostile sizes and paths: exit 2, exactly one `vethbench:` line, no backtrace, no file left,
//! within 5 s. None of these needs root: each is refused before anything is opened (no test
//! here asks the kernel for a ring).

mod common;

use std::time::{Duration, Instant};

fn refused(args: &[&str], want: &str, out_file: Option<&std::path::Path>) {
    let t0 = Instant::now();
    let out = common::vethbench()
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let took = t0.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: {err}");
    assert!(lines[0].starts_with("vethbench: "), "{args:?}: {err}");
    assert!(lines[0].contains(want), "{args:?}: want {want:?} in {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "{args:?} took {took:?}");
    if let Some(f) = out_file {
        assert!(!f.exists(), "{args:?} left {}", f.display());
    }
}

/// The repro of the fault hunt: 100000 × 1 MiB blocks (97.7 GiB) on a 24 GiB machine.
#[test]
fn capture_refuses_a_ring_beyond_its_share_of_memory() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("x.pcapng");
    let f = file.to_str().unwrap();
    for args in [
        &[
            "capture",
            "vb-none0",
            "--blocks",
            "100000",
            "--block-size",
            "1048576",
            "-c",
            "1",
        ][..],
        &[
            "capture",
            "vb-none0",
            "--blocks",
            "4294967295",
            "--block-size",
            "4294963200",
            "-w",
            f,
        ],
        &[
            "capture", "-i", "vb-none0", "-i", "vb-none1", "--blocks", "100000", "-w", f,
        ],
    ] {
        refused(args, "of this machine's", Some(&file));
    }
}

/// A FIFO given as a namespace: open(2) of it would wait for a writer forever.
#[test]
fn a_fifo_or_directory_as_a_namespace_is_refused_without_blocking() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("f");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let fifo = fifo.to_str().unwrap();
    let dir = d.path().to_str().unwrap();
    let on_fifo = format!("{fifo}:lo");
    for (args, want) in [
        (
            vec!["capture", "-n", fifo, "-D"],
            "a FIFO, not a namespace file",
        ),
        (
            vec!["capture", "-i", &on_fifo, "-c", "1"],
            "a FIFO, not a namespace file",
        ),
        (
            vec!["capture", "-n", dir, "-D"],
            "a directory, not a namespace file",
        ),
        (
            vec!["capture", "-n", "/dev/null", "-D"],
            "a character device",
        ),
    ] {
        refused(&args, want, None);
    }
}
