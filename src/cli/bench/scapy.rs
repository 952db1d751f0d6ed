//! The Scapy reference of `bench test`: `scapy_bench.py` (beside this file) runs with
//! `/usr/bin/python3` in the pair's namespace: an `AsyncSniffer` on the receiving end, `sendp`
//! of N prebuilt frames, then frames sent one at a time carrying `time.time()` for latency.
//! Every Ether and IP address is given (02:00:00:00:00:01/02, 198.18.0.1/2).

use std::process::Command;

use anyhow::Context;
use vethbench::link::veth::PrivatePair;

use super::tempdir;
use super::test::{timed, RX, TX};

/// The script, JSON on its last line.
const SCAPY_SCRIPT: &str = include_str!("scapy_bench.py");

/// Scapy's figures (JSON from the script above).
pub(super) fn scapy(
    pair: &PrivatePair,
    size: usize,
    count: u64,
) -> anyhow::Result<serde_json::Value> {
    let dir = tempdir()?;
    let script = dir.join("scapy_bench.py");
    std::fs::write(&script, SCAPY_SCRIPT)?;
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(&script)
        .args([TX, RX, &count.to_string(), &size.to_string()]);
    let (_, out) = timed(pair, &mut cmd, "/usr/bin/python3 (Scapy)")?;
    let _ = std::fs::remove_dir_all(&dir);
    let line = String::from_utf8_lossy(&out);
    serde_json::from_str(line.lines().last().unwrap_or(""))
        .with_context(|| format!("scapy output: {line}"))
}
