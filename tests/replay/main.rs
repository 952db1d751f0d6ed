//! `vethbench replay` against the real kernel: files made by the tests (known gaps, bursts,
//! rewrites, link types, two interfaces, nanosecond timestamps, truncation) replayed on a veth
//! pair in a private namespace and received on the peer with the kernel's timestamps. Checksums
//! are checked by tshark. One module per topic; the helpers below.

#[path = "../common/mod.rs"]
mod common;

mod files;
mod rewrite;
mod timing;

use std::process::Output;
use std::time::Duration;

use vethbench::frame::{FrameSpec, L4Spec, MacAddr};
use vethbench::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc};
use vethbench::sock::recvmsg::{RecvConfig, RecvSocket};

/// The timing tests (`timing`) run alone: any other replay beside a paced one (a top-speed
/// one above all) starves its sender on a 2-CPU machine. They take the lock for writing, the
/// other tests for reading (those still run side by side).
static TIMING: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn exclusive() -> std::sync::RwLockWriteGuard<'static, ()> {
    TIMING.write().unwrap_or_else(|e| e.into_inner())
}

fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    TIMING.read().unwrap_or_else(|e| e.into_inner())
}

/// The sender's and receiver's MACs on the test pairs.
const MAC_A: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xa]);
const MAC_B: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xb]);

/// A UDP frame 198.18.0.1 -> 198.18.0.2 numbered `i` (in its payload), padded to `size`.
fn udp(i: u32, size: Option<usize>) -> Vec<u8> {
    FrameSpec {
        src_mac: MAC_A,
        dst_mac: MAC_B,
        l4: L4Spec::Udp,
        payload: format!("frame {i:06}").into_bytes(),
        size,
        ..FrameSpec::default()
    }
    .build()
    .unwrap()
}

/// Write `frames` (timestamp ns, bytes) as pcapng (nanosecond IDB) or pcap (ns magic), all on
/// interface 0, or alternating between two interfaces.
fn write_capture(path: &str, format: Format, two_ifaces: bool, frames: &[(u64, Vec<u8>)]) {
    let desc = |n: &str| IfaceDesc {
        name: n.into(),
        snaplen: 262144,
        filter: None,
    };
    let ifaces = if two_ifaces {
        vec![desc("if0"), desc("if1")]
    } else {
        vec![desc("if0")]
    };
    let mut w = CaptureWriter::create(path, format, &ifaces).unwrap();
    for (k, (ts, f)) in frames.iter().enumerate() {
        let iface = if two_ifaces { (k % 2) as u32 } else { 0 };
        w.write_frame(iface, *ts, f, f.len() as u32, EpbFlags(0), false)
            .unwrap();
    }
    let stats = vec![Default::default(); ifaces.len()];
    w.finish(&stats).unwrap();
}

/// A classic pcap written by hand: any link type, either byte order, µs or ns timestamps.
fn write_pcap_raw(
    path: &str,
    linktype: u32,
    big_endian: bool,
    nanos: bool,
    frames: &[(u64, Vec<u8>)],
) {
    let w32 = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::new();
    out.extend_from_slice(&w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    out.extend_from_slice(&w16(2));
    out.extend_from_slice(&w16(4));
    out.extend_from_slice(&w32(0));
    out.extend_from_slice(&w32(0));
    out.extend_from_slice(&w32(262144));
    out.extend_from_slice(&w32(linktype));
    for (ts, f) in frames {
        let sub = if nanos {
            ts % 1_000_000_000
        } else {
            ts % 1_000_000_000 / 1000
        };
        out.extend_from_slice(&w32((ts / 1_000_000_000) as u32));
        out.extend_from_slice(&w32(sub as u32));
        out.extend_from_slice(&w32(f.len() as u32));
        out.extend_from_slice(&w32(f.len() as u32));
        out.extend_from_slice(f);
    }
    std::fs::write(path, out).unwrap();
}

/// Make the pair `a` (MAC_A) - `b` (MAC_B), up, in the current (private) namespace.
fn pair(a: &str, b: &str) {
    common::veth_pair(a, b);
    common::run_ok("ip", &["link", "set", a, "address", &MAC_A.to_string()]);
    common::run_ok("ip", &["link", "set", b, "address", &MAC_B.to_string()]);
}

/// A receiving socket on `iface` with a large queue: open it before replaying.
fn receiver(iface: &str) -> RecvSocket {
    let cfg = RecvConfig {
        rcvbuf: 64 << 20,
        ..RecvConfig::default()
    };
    RecvSocket::open(iface, &cfg).unwrap()
}

/// Every frame queued on `rx` (until 300 ms of silence): (kernel timestamp ns, bytes).
fn drain(rx: &mut RecvSocket) -> Vec<(u64, Vec<u8>)> {
    let mut v = Vec::new();
    while let Some(f) = rx.recv(Duration::from_millis(300)).unwrap() {
        assert!(f.kernel_ts(), "a kernel timestamp");
        v.push((f.ts_ns(), f.data().to_vec()));
    }
    v
}

/// Run `vethbench replay ARGS` (in the calling thread's namespace).
fn replay(args: &[&str]) -> Output {
    common::vethbench()
        .arg("replay")
        .args(args)
        .output()
        .unwrap()
}

/// Run it, expect success, and return the JSON report.
fn replay_json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = replay(&all);
    assert!(
        out.status.success(),
        "replay {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A fresh path in a temporary directory that lives as long as the returned guard.
fn tmp(name: &str) -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(name).to_string_lossy().into_owned();
    (d, p)
}

/// The median of `v` (sorted in place).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
