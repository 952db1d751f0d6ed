//! What the tests that compare `read` with tshark and Scapy share: tshark's options, the kept
//! captures, running a tool for its stdout, and the Scapy-made capture of every layer.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// No reassembly, raw sequence numbers, and no dissector claiming the payload of the ports the
/// files use: the golden frames use UDP 2222 (EtherNet/IP I/O) and TCP 80, three-ifaces.pcapng
/// UDP 5353 (mDNS), and vethbench's `data` is the payload whatever the port (README), tshark's only when
/// no dissector claims it.
pub const TSHARK_OPTS: [&str; 18] = [
    "-o",
    "ip.defragment:FALSE",
    "-o",
    "ipv6.defragment:FALSE",
    "-o",
    "tcp.relative_sequence_numbers:FALSE",
    "-o",
    "tcp.analyze_sequence_numbers:FALSE",
    "--disable-protocol",
    "cipio",
    "--disable-protocol",
    "enip",
    "--disable-protocol",
    "http",
    "--disable-protocol",
    "find",
    "--disable-protocol",
    "mdns",
];

/// `read`'s options for no reassembly, as [`TSHARK_OPTS`] asks of tshark (`read` reassembles by
/// default, as tshark does).
pub const NO_DEFRAG: [&str; 4] = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"];

pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures")
}

pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// The command's stdout; it must succeed (its stderr, e.g. tshark's warning as root, is only
/// shown when it does not).
pub fn stdout(mut cmd: Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `if !common::tshark::with_root!() { return; }`: true when tshark is installed and the
/// calling test may use root (Scapy runs in a private network namespace); otherwise the test
/// skips, saying which (`skip!`, `require_root!`).
macro_rules! with_root {
    () => {
        if $crate::common::tshark::have("tshark") {
            $crate::common::require_root!()
        } else {
            $crate::common::skip!("tshark is not installed");
            false
        }
    };
}
pub(crate) use with_root;

/// `/usr/bin/python3 ARGS...` (a Scapy script) inside a private network namespace; it must
/// succeed.
pub fn python_unshared<S: AsRef<OsStr>>(args: &[S]) {
    let st = Command::new("unshare")
        .args(["-n", "/usr/bin/python3"])
        .args(args)
        .output()
        .expect("run unshare -n python3");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

/// Scapy writes the layers capture afresh (inside a private network namespace).
pub fn scapy_layers(dir: &Path) -> PathBuf {
    scapy_capture(dir, "make_layers.py", "layers-scapy.pcap")
}

/// Scapy writes a capture afresh with `fixtures/captures/SCRIPT` into `dir/NAME` (inside a
/// private network namespace).
pub fn scapy_capture(dir: &Path, script: &str, name: &str) -> PathBuf {
    let out = dir.join(name);
    python_unshared(&[captures_dir().join(script).as_os_str(), out.as_os_str()]);
    out
}
