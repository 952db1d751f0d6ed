//! `vethbench capture` and `vethbench read` against the real kernel and the reference tools
//! (tshark, capinfos, dumpcap, Scapy's rdpcap, tcpreplay). Every test runs in its own network
//! namespace with its own veth pair (see `common::in_private_netns`). One module per topic
//! (`files`, `load`, `options`); the helpers below.

#[path = "../common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vethbench::pcapng::{CaptureReader, CaptureWriter, EpbFlags, Format, IfaceDesc};

/// Scapy, from Debian's python3-scapy (plain `python3` may be a Python without it).
const PY: &str = "/usr/bin/python3";

/// onepkt.py's frame: its MACs, 1.1.1.1 -> 2.2.2.2, TCP 1111 -> 2222, payload "123".
const ONEPKT: &str = "Ether(dst='22:22:22:22:22:22', src='22:11:11:11:11:11')/\
                      IP(src='1.1.1.1', dst='2.2.2.2')/TCP(sport=1111, dport=2222)/'123'";

/// A capture running in the background; stderr is collected line by line.
struct Capture {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    done: mpsc::Receiver<()>,
}

impl Capture {
    /// Spawn `vethbench capture ARGS` and wait (at most 10 s) for "Capturing on".
    fn start(args: &[&str]) -> Capture {
        Capture::start_to(args, Stdio::piped())
    }

    /// Like [`Capture::start`], with standard output going to `stdout`.
    fn start_to(args: &[&str], stdout: Stdio) -> Capture {
        let mut child = common::vethbench()
            .arg("capture")
            .args(args)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vethbench capture");
        let err = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let l2 = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.starts_with("Capturing on") {
                    let _ = ready_tx.send(());
                }
                l2.lock().unwrap().push(line);
            }
            let _ = done_tx.send(());
        });
        if ready_rx.recv_timeout(Duration::from_secs(10)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("capture never became ready: {:?}", lines.lock().unwrap());
        }
        Capture {
            child,
            stderr: lines,
            done,
        }
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), sig)
            .expect("signal capture");
    }

    /// Wait for the exit (at most 20 s); returns (exit code, stdout, stderr lines).
    fn finish(mut self) -> (i32, String, Vec<String>) {
        for _ in 0..200 {
            if self.child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if self.child.try_wait().unwrap().is_none() {
            let _ = self.child.kill();
            panic!("capture did not stop: {:?}", self.stderr.lock().unwrap());
        }
        let out = self.child.wait_with_output().unwrap();
        let _ = self.done.recv_timeout(Duration::from_secs(5));
        let err = self.stderr.lock().unwrap().clone();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            err,
        )
    }
}

/// The number before `suffix` in the summary ("N packets captured").
fn summary_count(lines: &[String], suffix: &str) -> u64 {
    lines
        .iter()
        .find_map(|l| l.strip_suffix(suffix).and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no '{suffix}' in {lines:?}"))
}

/// Send Scapy frames (a Python list expression) on `iface`.
fn scapy_send(iface: &str, frames: &str) {
    let code = format!("from scapy.all import *\nsendp([{frames}], iface='{iface}', verbose=0)\n");
    common::run_ok(PY, &["-c", &code]);
}

/// Scapy's raw bytes of a frame expression, as hex.
fn scapy_hex(frame: &str) -> String {
    let code = format!("from scapy.all import *\nprint(bytes({frame}).hex())\n");
    common::run_ok(PY, &["-c", &code]).trim().to_string()
}

fn tshark_fields(file: &str, fields: &[&str]) -> String {
    let mut args = vec!["-r", file, "-T", "fields"];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    common::run_ok("tshark", &args)
}

fn vethbench_fields(file: &str, fields: &[&str]) -> String {
    let mut args = vec!["read", file, "-T", "fields"];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    let out = common::vethbench().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "vethbench {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Packet count according to capinfos (which fails on a file it does not accept).
fn capinfos_count(file: &str) -> u64 {
    let out = common::run_ok("capinfos", &["-M", "-c", file]);
    out.lines()
        .find_map(|l| l.strip_prefix("Number of packets:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("capinfos -c {file}: {out}"))
}

/// An interface's rx_packets, read inside the namespace (`/sys` is not per-netns).
fn rx_packets(iface: &str) -> u64 {
    let j = common::run_ok("ip", &["-s", "-j", "link", "show", iface]);
    let v: serde_json::Value = serde_json::from_str(&j).expect("ip -j output");
    v[0]["stats64"]["rx"]["packets"]
        .as_u64()
        .unwrap_or_else(|| panic!("no rx packets in {j}"))
}

/// A 60-byte UDP frame (64 on the wire with the FCS), 198.18.0.1 -> 198.18.0.2.
fn small_udp_frame() -> Vec<u8> {
    let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
        .udp(4000, 5000);
    let payload = [0xabu8; 18];
    let mut v = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut v, &payload).unwrap();
    assert_eq!(v.len(), 60);
    v
}

/// A one-frame pcap file for tcpreplay, written with our own writer.
fn one_frame_pcap(path: &str) {
    let ifs = [IfaceDesc {
        name: "x".into(),
        snaplen: 65535,
        filter: None,
    }];
    let mut w = CaptureWriter::create(path, Format::Pcap, &ifs).unwrap();
    let f = small_udp_frame();
    w.write_frame(0, 1_000_000_000, &f, f.len() as u32, EpbFlags(0), false)
        .unwrap();
    w.finish(&[]).unwrap();
}

/// (isb_ifrecv, isb_ifdrop) of the file's ISB, read with the pcap-file crate.
fn isb_counts(file: &str) -> (u64, u64) {
    use pcap_file::pcapng::blocks::interface_statistics::InterfaceStatisticsOption as O;
    use pcap_file::pcapng::{Block, PcapNgReader};
    let mut r = PcapNgReader::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut out = None;
    while let Some(b) = r.next_block() {
        if let Block::InterfaceStatistics(isb) = b.unwrap().0 {
            let (mut recv, mut drop) = (None, None);
            for o in &isb.options {
                match o {
                    O::IsbIfRecv(n) => recv = Some(*n),
                    O::IsbIfDrop(n) => drop = Some(*n),
                    _ => {}
                }
            }
            out = Some((recv.expect("isb_ifrecv"), drop.expect("isb_ifdrop")));
        }
    }
    out.expect("no ISB in the file")
}

fn tmp() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap().to_string();
    (d, s)
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

fn run_fail(args: &[&str]) -> (i32, String, String) {
    let out = common::vethbench().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_line_error(code: i32, err: &str, needle: &str) {
    assert_eq!(code, 2, "exit code, stderr: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.contains(needle), "'{needle}' not in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Deletes a named network namespace (`ip netns add`) on drop, even when the test panics.
struct NamedNetns(String);

impl Drop for NamedNetns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Kills (and reaps) a helper process on drop, even when the test panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

mod across;
mod files;
mod habits;
mod load;
mod options;
mod print_habits;
mod stats;
