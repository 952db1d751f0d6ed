//! `vethbench send` for real: the built binary sends on one end of a veth pair inside a private
//! network namespace, and an independent AF_PACKET socket (nix, not the library) on the peer
//! checks the bytes that arrive against Scapy's golden frames. One module per topic
//! (`golden`, `pacing`, `refusals`, `bench`); the helpers below.

#[path = "../common/mod.rs"]
mod common;

use std::os::fd::{AsRawFd, OwnedFd};
use std::process::Output;
use std::time::{Duration, Instant};

use nix::sys::socket::{self, sockopt, AddressFamily, LinkAddr, SockFlag, SockProtocol, SockType};
use vethbench::frame::{FrameSpec, L4Spec};

/// Tests that time frames (`pacing`) and the benches (`bench`, which load both CPUs for tens
/// of seconds) run one at a time: a bench beside a pacing test starves its sender.
static EXCLUSIVE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    EXCLUSIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A golden frame from fixtures/frames.
fn fixture(name: &str) -> Vec<u8> {
    common::golden_frame(name)
}

/// A raw socket that sees every frame of the namespace; `recv` keeps those received on `iface`.
/// Opened before the sender runs, with a buffer large enough to hold a whole burst.
struct Receiver {
    fd: OwnedFd,
    ifindex: usize,
}

impl Receiver {
    fn open(iface: &str) -> Receiver {
        let fd = socket::socket(
            AddressFamily::Packet,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::EthAll,
        )
        .expect("AF_PACKET receiver");
        socket::setsockopt(&fd, sockopt::RcvBufForce, &(64 << 20)).unwrap();
        socket::setsockopt(
            &fd,
            sockopt::ReceiveTimeout,
            &nix::sys::time::TimeVal::new(0, 200_000),
        )
        .unwrap();
        let ifindex = nix::net::if_::if_nametoindex(iface).unwrap() as usize;
        Receiver { fd, ifindex }
    }

    /// The next frame received on the interface, or None after `timeout` of silence.
    fn recv(&self, buf: &mut [u8], timeout: Duration) -> Option<usize> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            match socket::recvfrom::<LinkAddr>(self.fd.as_raw_fd(), buf) {
                Ok((n, Some(addr)))
                    if addr.ifindex() == self.ifindex
                        && addr.pkttype() != libc::PACKET_OUTGOING =>
                {
                    return Some(n)
                }
                Ok(_) => {}
                Err(nix::errno::Errno::EAGAIN) => {}
                Err(e) => panic!("recvfrom: {e}"),
            }
        }
        None
    }
}

fn run(args: &[&str]) -> Output {
    common::vethbench().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Run `send` with `args` and check it fails with exit code 2 and one line naming `needle`.
fn refused(args: &[&str], needle: &str) {
    let out = run(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("WARNING")).collect();
    assert_eq!(lines.len(), 1, "{args:?}: not one line: {err}");
    assert!(
        lines[0].contains(needle),
        "{args:?}: '{needle}' not in: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// `tcpdump -c 1` on `iface` (inside the named namespace `netns`, if given), ready once it
/// says it is listening; [`OneFrame::assert_only_frame`] waits for it and checks the frame it wrote.
/// tcpdump, unlike a plain raw socket, puts back an 802.1Q tag the kernel moved out of band.
struct OneFrame {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    pcap: std::path::PathBuf,
}

impl OneFrame {
    fn start(netns: Option<&str>, iface: &str, filter: &str) -> OneFrame {
        Self::spawn(netns, iface, filter, 1, false)
    }

    fn spawn(netns: Option<&str>, iface: &str, filter: &str, count: usize, nano: bool) -> OneFrame {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().unwrap();
        let pcap = dir.path().join("one.pcap");
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "tcpdump"]);
                c
            }
            None => Command::new("tcpdump"),
        };
        let mut child = cmd
            .args(["-i", iface, "--immediate-mode", "-U", "-B", "16384"])
            .args(if count > 0 {
                vec!["-c".to_string(), count.to_string()]
            } else {
                vec![]
            })
            .args(if nano {
                &["--time-stamp-precision=nano"][..]
            } else {
                &[][..]
            })
            .arg("-w")
            .arg(&pcap)
            .arg(filter)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump is needed: apt-get install tcpdump");
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if !line.contains("listening on") {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tcpdump did not start: {line}");
        }
        OneFrame {
            child,
            _dir: dir,
            pcap,
        }
    }

    /// Like `OneFrame::start`, for every frame until [`OneFrame::frames`], with nanosecond
    /// timestamps.
    fn start_many(iface: &str, filter: &str) -> OneFrame {
        Self::spawn(None, iface, filter, 0, true)
    }

    /// Stop tcpdump (SIGINT, once what was sent has had time to arrive) and return every
    /// (timestamp in ns, frame) it wrote.
    fn frames(mut self) -> Vec<(u64, Vec<u8>)> {
        std::thread::sleep(Duration::from_millis(300));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        self.wait();
        let bytes = std::fs::read(&self.pcap).unwrap();
        let nano = u32::from_le_bytes(bytes[0..4].try_into().unwrap()) == 0xa1b2_3c4d;
        let mut off = 24;
        let mut out = Vec::new();
        while off + 16 <= bytes.len() {
            let word = |i: usize| {
                u32::from_le_bytes(bytes[off + i..off + i + 4].try_into().unwrap()) as u64
            };
            let ts = word(0) * 1_000_000_000 + if nano { word(4) } else { word(4) * 1000 };
            let incl = word(8) as usize;
            out.push((ts, bytes[off + 16..off + 16 + incl].to_vec()));
            off += 16 + incl;
        }
        out
    }

    fn wait(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("tcpdump did not see the frames or stop in 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait for tcpdump to exit after its one frame, then check that frame is `want`.
    fn assert_only_frame(mut self, want: &[u8]) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("tcpdump saw no frame in 5 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        common::assert_only_frame(&self.pcap, want);
    }
}

/// Removes a named namespace on drop (with iproute2, independent of the code under test).
struct NamedNetns(String);

impl Drop for NamedNetns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .status();
    }
}

mod bench;
mod expr;
mod golden;
mod pacing;
mod refusals;
mod threads;
