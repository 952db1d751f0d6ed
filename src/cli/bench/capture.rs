//! `bench capture`: the CPU time `vethbench capture -w FILE -c N` spends on N frames of a
//! trafgen blast, against `tcpdump -w FILE -c N` on the same pair in the same run (issue 24's
//! item 5: at most 0.8× tcpdump's), both with their defaults (vethbench: a 32 × 1 MiB ring,
//! pcapng; tcpdump: libpcap's 2 MiB ring, pcap).
//!
//! Each round runs both capturers, the first one alternating: the capturer starts on the
//! receiving end of a private pair and says it is ready ("Capturing on", "listening on"), then
//! `trafgen --cpus 1` sends 1.5 N 64-byte frames to the other end (more than N, so a capturer
//! that drops some still reaches N); the capturer's CPU time is its user + system time
//! (getrusage of the waited child: the precise run time, as time(1) reports it), taken when
//! it exits after its N frames; then trafgen is stopped. The file must hold N frames (else an
//! error). Figures: CPU per frame in ns, and the capture's wall time.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use vethbench::link::veth::{PrivatePair, VethPairSpec};
use vethbench::link::LinkError;
use vethbench::sys::clock::children_cpu_ns;

use super::table::{self, Figure, Goal};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Frames each capturer takes (`-c N`).
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Rounds (both capturers in each, the first one alternating).
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
}

const SEND: &str = "vbcaps0";
const RECV: &str = "vbcapr0";

/// One capturer's run.
struct Run {
    cpu_s: f64,
    secs: f64,
}

/// The 64-byte frame trafgen sends (60 bytes + FCS): UDP, 198.18.0.1 -> 198.18.0.2.
const TRAFGEN_CONF: &str =
    "{ 0x02,0x00,0x00,0x00,0x00,0x02, 0x02,0x00,0x00,0x00,0x00,0x01, 0x08,0x00,
  0x45,0x00,0x00,0x2e, 0x00,0x01,0x00,0x00, 0x40,0x11,0x00,0x00,
  198,18,0,1, 198,18,0,2, 0x0f,0xa0,0x13,0x88, 0x00,0x1a,0x00,0x00, fill(0xab, 18) }\n";

/// Kill and reap a child (trafgen, or a capturer after an error).
fn stop(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

/// Start `cap`, wait for its ready line on stderr, blast, wait for it to exit after `count`
/// frames: its CPU and wall time. Runs inside the pair's namespace.
fn run_one(
    mut cap: Command,
    name: &str,
    count: u64,
    conf: &std::path::Path,
) -> anyhow::Result<Run> {
    cap.stdout(Stdio::null()).stderr(Stdio::piped());
    // Neither tool outlives the bench (killed with it: SIGKILL included).
    vethbench::sys::child::die_with_parent(&mut cap);
    let cpu0 = children_cpu_ns();
    let mut child = cap
        .spawn()
        .with_context(|| format!("run {name} (is it installed?)"))?;
    let stderr = child.stderr.take().context("capturer stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let mut said = String::new();
    loop {
        match lines.next() {
            Some(Ok(l)) => {
                let ready = l.contains("Capturing on") || l.contains("listening on");
                said.push_str(&l);
                said.push('\n');
                if ready {
                    break;
                }
            }
            _ => {
                let st = child.wait()?;
                bail!("{name} ended before it was ready ({st}): {}", said.trim());
            }
        }
    }
    // The rest of stderr, drained so that the capturer never blocks on it.
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let mut blast = Command::new("trafgen");
    blast
        .args(["--dev", SEND, "--cpus", "1", "--num"])
        .arg((count + count / 2).to_string())
        .arg("--conf")
        .arg(conf)
        .arg("--no-sock-mem")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    vethbench::sys::child::die_with_parent(&mut blast);
    let blast = blast.spawn();
    let mut blast = match blast {
        Ok(b) => b,
        Err(e) => {
            stop(child);
            return Err(e).context("run trafgen (is it installed? netsniff-ng)");
        }
    };
    let t = Instant::now();
    // Until the capturer has its frames; a blast that ends first (trafgen failed, or sent
    // all it had with the capturer still short of N) would leave it waiting forever.
    let mut blast_end: Option<Instant> = None;
    let st = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if blast_end.is_none() && blast.try_wait()?.is_some() {
            blast_end = Some(Instant::now());
        }
        if blast_end.is_some_and(|e| e.elapsed() > std::time::Duration::from_secs(2)) {
            stop(child);
            bail!("trafgen ended and {name} has not taken {count} frames 2 s later");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let secs = t.elapsed().as_secs_f64();
    // Only the capturer was waited for since cpu0.
    let cpu_s = children_cpu_ns().saturating_sub(cpu0) as f64 / 1e9;
    stop(blast);
    let rest = rest.join().unwrap_or_default();
    if !st.success() {
        bail!("{name} failed ({st}): {}", rest.join(" / "));
    }
    Ok(Run { cpu_s, secs })
}

/// Frames in a capture file (pcap or pcapng), counted by the project's reader.
fn frames_in(path: &std::path::Path) -> anyhow::Result<u64> {
    let mut r = vethbench::pcapng::CaptureReader::open(&path.to_string_lossy())?;
    let mut n = 0;
    while let Some(f) = r.next() {
        f?;
        n += 1;
    }
    Ok(n)
}

pub fn measure(a: &Args, out: &mut dyn Write) -> anyhow::Result<Vec<Figure>> {
    if a.count == 0 {
        bail!("--count 0: give at least 1 frame");
    }
    let rounds = a.rounds.max(1);
    let dir = super::tempdir()?;
    let conf = dir.join("frame.trafgen");
    std::fs::write(&conf, TRAFGEN_CONF)?;
    let exe = std::env::current_exe().context("locate the vethbench binary")?;
    let pair = PrivatePair::same_netns(&VethPairSpec::new(SEND, RECV))?;
    let n = a.count.to_string();
    writeln!(
        out,
        "capture -c {n} of a trafgen blast (1.5x {n} 64-byte frames), CPU = user+sys of the capturer; {rounds} round(s):"
    )?;
    writeln!(
        out,
        "{:<6} {:<22} {:>9} {:>10} {:>9} {:>6}",
        "round", "capturer", "cpu_s", "ns/frame", "wall_s", "load"
    )?;
    // (vethbench, tcpdump) CPU per frame in ns, and wall times, per round.
    let mut cpu = Vec::new();
    let mut wall = Vec::new();
    for round in 0..rounds {
        let mut r = [0.0f64; 2];
        let mut w = [0.0f64; 2];
        for k in 0..2 {
            let which = (k + round as usize) % 2;
            let file = dir.join(format!("r{round}-{which}.cap"));
            let (name, c) = if which == 0 {
                let mut c = Command::new(&exe);
                c.args(["capture", "-i", RECV, "-c", &n, "-w"]).arg(&file);
                ("vethbench capture -w", c)
            } else {
                let mut c = Command::new("tcpdump");
                c.args(["-n", "-q", "-i", RECV, "-c", &n, "-w"]).arg(&file);
                ("tcpdump -w", c)
            };
            let run = pair.run_a(|| -> Result<anyhow::Result<Run>, LinkError> {
                Ok(run_one(c, name, a.count, &conf))
            })??;
            let got = frames_in(&file)?;
            if got != a.count {
                bail!("{name} wrote {got} frames, not {}", a.count);
            }
            let _ = std::fs::remove_file(&file);
            let per = run.cpu_s * 1e9 / a.count as f64;
            writeln!(
                out,
                "{:<6} {:<22} {:>9.3} {:>10.1} {:>9.2} {:>6.1}",
                round + 1,
                name,
                run.cpu_s,
                per,
                run.secs,
                table::load_avg()
            )?;
            r[which] = per;
            w[which] = run.secs;
        }
        cpu.push((r[0], r[1]));
        wall.push((w[0], w[1]));
    }
    Ok(vec![
        Figure::from_rounds(
            "capture -c N CPU per frame (ns)",
            "tcpdump -w -c N",
            &cpu,
            Goal::AtMost(0.8),
            false,
        ),
        Figure::from_rounds(
            "capture -c N wall time (s)",
            "tcpdump -w -c N",
            &wall,
            Goal::None,
            false,
        ),
    ])
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    table::run_printed(|out| measure(&a, out))
}
