//! `bench read`: `vethbench read -Y` against `tshark -Y` with the same display filter on the
//! same file (issue 19's speed line: at least 20× tshark's frames/s).
//!
//! The file: `--count` frames (pcap), all different: UDP and TCP (two in three UDP), sources
//! in and outside 198.18.0.0/15, destination ports cycling over eight values, the IP id
//! counting. Each round runs both tools, the first one alternating, each as
//! `read FILE -Y FILTER -T fields -e frame.number` to a pipe (the lines counted, so both must
//! select the same frames: a different count is an error); the rate is the file's frames over
//! the tool's wall time, process start included. Nothing is sent: no root, no namespace.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use vethbench::frame::{FrameSpec, L4Spec, MacAddr, TcpFlags};
use vethbench::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc};

use super::table::{self, Figure, Goal};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Frames in the file.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Rounds (the tools take turns, the first one alternating).
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// The display filter both tools run.
    #[arg(long, default_value = DEFAULT_FILTER)]
    pub filter: String,
}

/// The filter `--filter` defaults to.
pub const DEFAULT_FILTER: &str = "ip.src == 198.18.0.0/15 && udp.dstport in {53, 8000..8080}";

/// The destination ports the frames cycle over.
const PORTS: [u16; 8] = [53, 80, 123, 443, 2222, 8000, 8080, 9000];

/// Write the bench file: `n` frames, each different, frame `i` with IP TTL `ttl(i)`.
pub(super) fn write_file(path: &str, n: u64, ttl: impl Fn(u64) -> u8) -> anyhow::Result<()> {
    let ifs = [IfaceDesc {
        name: "bench".into(),
        snaplen: 65535,
        filter: None,
    }];
    let mut w = CaptureWriter::create(path, Format::Pcap, &ifs)?;
    for i in 0..n {
        let src = if i % 5 == 0 {
            [10, 0, 0, 1]
        } else {
            [198, 18, (i % 4) as u8, 1]
        };
        let l4 = if i % 3 == 0 {
            L4Spec::Tcp {
                flags: TcpFlags::SYN,
                seq: i as u32,
                ack: 0,
                window: 8192,
                urgptr: 0,
            }
        } else {
            L4Spec::Udp
        };
        let f = FrameSpec {
            src_mac: MacAddr([2, 0, 0, 0, 0, 1]),
            dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
            src_ip: std::net::Ipv4Addr::from(src).into(),
            dst_ip: std::net::Ipv4Addr::new(198, 18, 9, 2).into(),
            sport: 1024 + (i % 60_000) as u16,
            dport: PORTS[(i % PORTS.len() as u64) as usize],
            ip_id: i as u16,
            ttl: ttl(i),
            l4,
            payload: b"vethbench-read".to_vec(),
            ..FrameSpec::default()
        }
        .build()
        .map_err(crate::cli::frame_flags)?;
        let ts = 1_700_000_000_000_000_000 + i * 10_000;
        w.write_frame(0, ts, &f, f.len() as u32, EpbFlags(0), false)?;
    }
    w.finish(&[Default::default()])?;
    Ok(())
}

/// Run `c`, its wall time in seconds and the lines it printed.
pub(super) fn timed(mut c: Command, what: &str) -> anyhow::Result<(f64, u64)> {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let t = Instant::now();
    let out = c.output().with_context(|| format!("run {what}"))?;
    let secs = t.elapsed().as_secs_f64();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").to_string();
        bail!("{what} failed ({}): {last}", out.status);
    }
    let lines = out.stdout.iter().filter(|b| **b == b'\n').count() as u64;
    Ok((secs, lines))
}

/// The rows and the figure of `bench read`.
pub fn measure(a: &Args, out: &mut dyn Write) -> anyhow::Result<Vec<Figure>> {
    if Command::new("tshark").arg("--version").output().is_err() {
        bail!("bench read needs tshark (the reference): not found");
    }
    let dir = super::tempdir()?;
    let file = dir.join("read.pcap");
    let file_s = file.to_str().context("temporary path")?.to_string();
    let t = Instant::now();
    write_file(&file_s, a.count, |_| 64)?;
    writeln!(
        out,
        "bench read: {} frames ({:.1} MB) written in {:.1} s; filter '{}'",
        a.count,
        std::fs::metadata(&file)?.len() as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        a.filter
    )?;
    let exe = std::env::current_exe().context("locate the vethbench binary")?;
    let cmd = |tool: &str| {
        let mut c = Command::new(if tool == "vethbench" {
            exe.as_os_str()
        } else {
            "tshark".as_ref()
        });
        if tool == "vethbench" {
            c.arg("read").arg(&file);
        } else {
            c.arg("-n").arg("-r").arg(&file);
        }
        c.args(["-Y", &a.filter, "-T", "fields", "-e", "frame.number"]);
        c
    };
    let mut rounds = Vec::new();
    for r in 0..a.rounds.max(1) {
        let order = if r % 2 == 0 {
            ["vethbench", "tshark"]
        } else {
            ["tshark", "vethbench"]
        };
        let mut got = [(0.0, 0u64); 2];
        for tool in order {
            let (secs, lines) = timed(cmd(tool), &format!("{tool} -Y"))?;
            got[usize::from(tool != "vethbench")] = (secs, lines);
        }
        let [(ours, n_ours), (theirs, n_theirs)] = got;
        if n_ours != n_theirs {
            bail!("vethbench read -Y selected {n_ours} frames, tshark -Y {n_theirs}");
        }
        writeln!(
            out,
            "round {}: vethbench {:.3} s, tshark {:.3} s ({:.1}x), {n_ours} frames selected, load {:.1}",
            r + 1,
            ours,
            theirs,
            theirs / ours.max(1e-9),
            table::load_avg()
        )?;
        let fps = |s: f64| a.count as f64 / s.max(1e-9);
        rounds.push((fps(ours), fps(theirs)));
    }
    Ok(vec![Figure::from_rounds(
        "read -Y (frames/s)",
        "tshark -Y",
        &rounds,
        Goal::AtLeast(20.0),
        false,
    )])
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    table::run_printed(|out| measure(&a, out))
}
