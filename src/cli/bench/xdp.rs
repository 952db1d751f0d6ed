//! `bench xdp`: an AF_XDP socket against vethbench's AF_PACKET paths on one private veth pair
//! (issue 24's item 4), both directions, frames/s and CPU per frame.
//!
//! Receive: `trafgen --cpus 1` blasts 64-byte frames from one end without end; on the other,
//! either vethbench's TPACKET_V3 ring (`capture`'s default geometry, 32 x 1 MiB) or an AF_XDP
//! socket (8 MiB UMEM: 4096 x 2 KiB frames, 2048-slot rings, copy mode) fed by an XDP program
//! (fixtures/bpf/xsk.c, built with clang here as the eBPF tests build theirs, loaded with aya)
//! that redirects the queue into an XSKMAP, attached natively (driver mode: veth runs XDP in
//! its own NAPI), or in generic mode when native attach fails (the row says which). The
//! receiver takes N frames and only counts them (the AF_XDP one, after a take of under 64
//! frames, sleeps 0.5 ms before it polls again: the ring's 4 ms block timeout batches the
//! AF_PACKET one alike; waking per frame costs ~10x the CPU); frames/s is N over the time from its first
//! frame to its N-th, CPU is the receiving thread's own (CLOCK_THREAD_CPUTIME_ID: user +
//! system). The kernel's copy into the ring runs in the sender's softirq for both paths, so it
//! is not in either figure.
//!
//! Transmit: N copies of the same 64-byte frame from one end, by vethbench's AF_PACKET path
//! (`send`'s: sendmmsg of 64-frame batches, ENOBUFS offered again) or by an AF_XDP tx ring
//! (copy mode: one sendto kick per batch, the kernel sends at most 32 per kick; it skips the
//! qdisc, so the AF_PACKET path also runs with PACKET_QDISC_BYPASS, `send --qdisc-bypass`, the
//! third tx row, in the AF_PACKET turn), counted at
//! the peer (its rx_packets); frames/s is what arrived over the sender's wall time, CPU the
//! sending thread's (which includes the peer's receive path: veth delivers in the sender's
//! context).
//!
//! What stays true: both paths of a direction run in the same round, first one alternating;
//! the pair, its namespace and the XDP program go when the bench ends (the program is attached
//! through a bpf link owned by this process, so it is detached even if the process is killed).

use std::io::Write;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use nix::time::{clock_gettime, ClockId};
use vethbench::bpf::{Hook, Object};
use vethbench::link::veth::{PrivatePair, VethPairSpec};
use vethbench::link::LinkError;
use vethbench::sock::ring::{RxConfig, RxRing};
use vethbench::sock::tx::{TxBatch, TxSocket};
use vethbench::sys::xsk::{Xsk, XskConfig};

use super::table::{self, Figure, Goal};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Frames per run (each path, each direction).
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Rounds (both paths in each, the first one alternating).
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
}

const SEND: &str = "vbxdps0";
const RECV: &str = "vbxdpr0";

/// The XDP program's source, built at bench time.
const XSK_C: &str = include_str!("../../../fixtures/bpf/xsk.c");

/// The 64-byte frame (60 + FCS) both directions send: UDP 198.18.0.1 -> 198.18.0.2.
const FRAME: [u8; 60] = {
    let mut f = [0xabu8; 60];
    let h: [u8; 42] = [
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, 0x45, 0, 0, 0x2e, 0, 1, 0, 0,
        0x40, 0x11, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2, 0x0f, 0xa0, 0x13, 0x88, 0, 0x1a, 0, 0,
    ];
    let mut i = 0;
    while i < 42 {
        f[i] = h[i];
        i += 1;
    }
    f
};

fn thread_cpu_ns() -> u64 {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// One path's run: frames that count, the seconds they took, the thread's CPU seconds.
#[derive(Debug, Clone, Copy)]
struct Run {
    frames: u64,
    secs: f64,
    cpu_s: f64,
}

impl Run {
    fn pps(&self) -> f64 {
        self.frames as f64 / self.secs.max(1e-9)
    }
    fn ns_per_frame(&self) -> f64 {
        self.cpu_s * 1e9 / (self.frames.max(1)) as f64
    }
}

/// trafgen, in its own process group (it forks a worker per CPU): killed with its workers and
/// reaped on drop, then the pair is let to drain (the next run counts the peer's frames).
struct Blast(Child);

impl Drop for Blast {
    fn drop(&mut self) {
        let pg = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::killpg(pg, nix::sys::signal::Signal::SIGKILL);
        let _ = self.0.wait();
        // The workers are gone when the counter stops moving.
        let mut last = super::rx_packets(RECV).unwrap_or(0);
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(20));
            let now = super::rx_packets(RECV).unwrap_or(0);
            if now == last {
                break;
            }
            last = now;
        }
    }
}

fn blast(conf: &std::path::Path) -> anyhow::Result<Blast> {
    let mut c = Command::new("trafgen");
    // Its own process group (killed whole on drop), and SIGKILLed if this thread dies.
    vethbench::sys::child::die_with_parent(&mut c);
    let c = c
        .args(["--dev", SEND, "--cpus", "1", "--no-sock-mem", "--conf"])
        .arg(conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("run trafgen (is it installed? netsniff-ng)")?;
    Ok(Blast(c))
}

/// How long a receiver waits for its N frames before it gives up.
fn patience(count: u64) -> Duration {
    Duration::from_secs(10 + count / 50_000)
}

/// Take `count` frames with `take` (the frames it took, or `None` when its wait of 100 ms saw
/// none; it calls `ready` once frames are there, before taking them), timed and CPU-counted
/// from the first frame on; `what` names the path in the error.
fn take_frames(
    count: u64,
    what: &str,
    mut take: impl FnMut(&mut dyn FnMut()) -> anyhow::Result<Option<u64>>,
) -> anyhow::Result<Run> {
    let t0 = Instant::now();
    let mut got = 0u64;
    let mut first: Option<(Instant, u64)> = None;
    while got < count {
        if t0.elapsed() > patience(count) {
            bail!(
                "{what}: {got} of {count} frames after {:?}",
                patience(count)
            );
        }
        let mut ready = || {
            if first.is_none() {
                first = Some((Instant::now(), thread_cpu_ns()));
            }
        };
        if let Some(k) = take(&mut ready)? {
            got += k;
        }
    }
    let (t, c) = first.context("no frame")?;
    Ok(Run {
        frames: count,
        secs: t.elapsed().as_secs_f64(),
        cpu_s: thread_cpu_ns().saturating_sub(c) as f64 / 1e9,
    })
}

/// Receive `count` frames of a blast on the AF_PACKET ring. Runs in the pair's namespace.
fn rx_packet(count: u64, conf: &std::path::Path) -> anyhow::Result<Run> {
    let mut ring = RxRing::open(RECV, &RxConfig::default())?;
    let _b = blast(conf)?;
    take_frames(count, "AF_PACKET", |ready| {
        if !ring.poll(Duration::from_millis(100))? {
            return Ok(None);
        }
        ready();
        let mut k = 0u64;
        ring.for_each(|_| k += 1);
        Ok(Some(k))
    })
}

/// Receive `count` frames of a blast on an AF_XDP socket behind the XDP program in `obj`.
fn rx_xdp(
    count: u64,
    conf: &std::path::Path,
    obj: &std::path::Path,
    hook: Hook,
) -> anyhow::Result<Run> {
    let mut o = Object::open(obj)?;
    let ifindex = vethbench::sock::ifindex(RECV)?;
    let mut xsk = Xsk::open(ifindex, 0, &XskConfig::default())
        .with_context(|| format!("AF_XDP socket on {RECV}"))?;
    o.xsk_set("xsks", 0, xsk.fd())?;
    let _att = o.attach("xsk_redirect", RECV, hook)?;
    let _b = blast(conf)?;
    take_frames(count, "AF_XDP", |ready| {
        if !xsk.wait_rx(100)? {
            return Ok(None);
        }
        ready();
        let k = xsk.recv(1024, |_| {});
        // Batch as the AF_PACKET ring does (a block per 4 ms at most): a short take means the
        // ring is nearly empty, so let it fill for 0.5 ms (2048 slots: room for 4M frames/s)
        // rather than wake once per frame.
        if k < 64 {
            std::thread::sleep(Duration::from_micros(500));
        }
        Ok(Some(k as u64))
    })
}

/// Send `count` frames with vethbench's AF_PACKET path (`bypass`: `send --qdisc-bypass`, the
/// qdisc skipped as AF_XDP's copy mode skips it); the peer's count.
fn tx_packet(count: u64, bypass: bool) -> anyhow::Result<Run> {
    let mut tx = TxSocket::open(SEND)?;
    if bypass {
        tx.set_qdisc_bypass(true)?;
    }
    let mut batch = TxBatch::new(64, FRAME.len());
    batch.fill(&FRAME);
    let before = super::rx_packets(RECV)?;
    let (t, c) = (Instant::now(), thread_cpu_ns());
    let mut left = count;
    while left > 0 {
        let k = left.min(64) as usize;
        tx.send_batch(&mut batch, k)?;
        left -= k as u64;
    }
    let cpu_s = thread_cpu_ns().saturating_sub(c) as f64 / 1e9;
    let secs = t.elapsed().as_secs_f64();
    Ok(Run {
        frames: super::rx_packets(RECV)? - before,
        secs,
        cpu_s,
    })
}

/// Send `count` frames on an AF_XDP tx ring; the peer's count.
fn tx_xdp(count: u64) -> anyhow::Result<Run> {
    let ifindex = vethbench::sock::ifindex(SEND)?;
    let cfg = XskConfig {
        rx: false,
        ..XskConfig::default()
    };
    let mut xsk =
        Xsk::open(ifindex, 0, &cfg).with_context(|| format!("AF_XDP socket on {SEND}"))?;
    xsk.fill_frames(&FRAME);
    let before = super::rx_packets(RECV)?;
    let (t, c) = (Instant::now(), thread_cpu_ns());
    let mut left = count;
    while left > 0 {
        let k = xsk.send(FRAME.len() as u32, left.min(64) as u32)?;
        left -= k as u64;
        if k == 0 {
            std::thread::yield_now();
        }
    }
    // The last frames, out of the ring.
    let end = Instant::now() + Duration::from_secs(2);
    while xsk.in_flight() > 0 && Instant::now() < end {
        xsk.send(FRAME.len() as u32, 0)?;
    }
    let cpu_s = thread_cpu_ns().saturating_sub(c) as f64 / 1e9;
    let secs = t.elapsed().as_secs_f64();
    Ok(Run {
        frames: super::rx_packets(RECV)? - before,
        secs,
        cpu_s,
    })
}

/// Build fixtures/bpf/xsk.c into `dir` with clang, as the eBPF tests do.
fn build_prog(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let src = dir.join("xsk.c");
    let obj = dir.join("xsk.o");
    std::fs::write(&src, XSK_C)?;
    let out = Command::new("clang")
        .args(["-O2", "-g", "-target", "bpf"])
        .arg(format!(
            "-I/usr/include/{}-linux-gnu",
            std::env::consts::ARCH
        ))
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .context("run clang (the XDP program is built at bench time: clang and libbpf-dev)")?;
    if !out.status.success() {
        bail!(
            "clang xsk.c: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(obj)
}

pub fn measure(a: &Args, out: &mut dyn Write) -> anyhow::Result<Vec<Figure>> {
    if a.count == 0 {
        bail!("--count 0: give at least 1 frame");
    }
    let rounds = a.rounds.max(1);
    let dir = super::tempdir()?;
    let conf = dir.join("frame.trafgen");
    let bytes: Vec<String> = FRAME.iter().map(|b| format!("{b:#04x}")).collect();
    std::fs::write(&conf, format!("{{ {} }}\n", bytes.join(", ")))?;
    let obj = build_prog(&dir)?;
    let pair = PrivatePair::same_netns(&VethPairSpec::new(SEND, RECV))?;
    // Native XDP on the receiving veth, else generic: try once.
    let hook = pair.run_a(|| -> Result<anyhow::Result<Hook>, LinkError> {
        Ok((|| {
            let mut o = Object::open(&obj)?;
            Ok(match o.attach("xsk_redirect", RECV, Hook::Xdp) {
                Ok(_) => Hook::Xdp,
                Err(_) => Hook::XdpGeneric,
            })
        })())
    })??;
    let mode = if hook == Hook::Xdp {
        "native"
    } else {
        "generic"
    };
    let n = a.count;
    writeln!(
        out,
        "AF_XDP (copy mode, XDP {mode}, UMEM 4096 x 2 KiB) against AF_PACKET, {n} 64-byte frames per run, {rounds} round(s):"
    )?;
    writeln!(
        out,
        "{:<6} {:<4} {:<16} {:>9} {:>11} {:>10} {:>6}",
        "round", "dir", "path", "frames", "frames/s", "cpu ns/fr", "load"
    )?;
    // (AF_XDP, AF_PACKET) per round: rx pps, rx cpu, tx pps, tx cpu.
    let (mut rxp, mut rxc, mut txp, mut txc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut txb = Vec::new();
    for round in 0..rounds {
        let mut rx = [None; 2];
        let mut tx = [None; 3];
        for k in 0..2 {
            let which = (k + round as usize) % 2;
            let (c, o) = (&conf, &obj);
            let r = pair.run_a(|| -> Result<anyhow::Result<Run>, LinkError> {
                Ok(if which == 0 {
                    rx_xdp(n, c, o, hook)
                } else {
                    rx_packet(n, c)
                })
            })??;
            rx[which] = Some(r);
            let t = pair.run_a(|| -> Result<anyhow::Result<Run>, LinkError> {
                Ok(if which == 0 {
                    tx_xdp(n)
                } else {
                    tx_packet(n, false)
                })
            })??;
            tx[which] = Some(t);
            let mut rows = vec![("rx", r, which), ("tx", t, which)];
            if which == 1 {
                let b = pair.run_a(|| -> Result<anyhow::Result<Run>, LinkError> {
                    Ok(tx_packet(n, true))
                })??;
                tx[2] = Some(b);
                rows.push(("tx", b, 2));
            }
            for (dir, run, path) in rows {
                writeln!(
                    out,
                    "{:<6} {:<4} {:<16} {:>9} {:>11.0} {:>10.1} {:>6.1}",
                    round + 1,
                    dir,
                    ["AF_XDP", "AF_PACKET", "AF_PACKET-bypass"][path],
                    run.frames,
                    run.pps(),
                    run.ns_per_frame(),
                    table::load_avg()
                )?;
            }
        }
        let (x, p) = (rx[0].expect("ran"), rx[1].expect("ran"));
        rxp.push((x.pps(), p.pps()));
        rxc.push((x.ns_per_frame(), p.ns_per_frame()));
        let (x, p) = (tx[0].expect("ran"), tx[1].expect("ran"));
        txp.push((x.pps(), p.pps()));
        txc.push((x.ns_per_frame(), p.ns_per_frame()));
        let b = tx[2].expect("ran");
        txb.push((x.pps(), b.pps()));
    }
    let rx_ref = format!("AF_PACKET ring (AF_XDP: XDP {mode})");
    Ok(vec![
        Figure::from_rounds(
            "AF_XDP receive (frames/s)",
            &rx_ref,
            &rxp,
            Goal::AtLeast(1.3),
            false,
        ),
        Figure::from_rounds(
            "AF_XDP receive CPU per frame (ns)",
            &rx_ref,
            &rxc,
            Goal::None,
            false,
        ),
        Figure::from_rounds(
            "AF_XDP transmit, at the peer (frames/s)",
            "AF_PACKET sendmmsg",
            &txp,
            Goal::AtLeast(1.3),
            false,
        ),
        Figure::from_rounds(
            "AF_XDP transmit, at the peer (frames/s)",
            "AF_PACKET sendmmsg --qdisc-bypass",
            &txb,
            Goal::AtLeast(1.3),
            false,
        ),
        Figure::from_rounds(
            "AF_XDP transmit CPU per frame (ns)",
            "AF_PACKET sendmmsg",
            &txc,
            Goal::None,
            false,
        ),
    ])
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    table::run_printed(|out| measure(&a, out))
}
