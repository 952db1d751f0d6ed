//! eBPF figures (issue 20's speed section), printed as a table; needs root and clang, says so
//! and measures nothing without them. Not timed tests: nothing here fails on a slow machine.
//!
//! Each round, in one run:
//! 1. The kernel's own time per run of `xdp_pass` over BPF_PROG_RUN with `repeat` 1,000,000
//!    (what `vethbench bpf run --repeat 1000000` prints).
//! 2. A bare BPF_PROG_RUN call from Rust (`Object::run`, repeat 1, the frame prebuilt): wall
//!    time per call, the reference.
//! 3. A scenario's `prog_run` step (200 of them in one test, the frame an expression with
//!    `mac()`, a verdict and a frame out checked): each step's duration minus the kernel's
//!    time per run it reports, i.e. what the step costs beyond the program, and its ratio to
//!    the bare call of (2).
//!
//! Medians, p90 and p99 per round, then the spread over the rounds and the load average
//! before and after. `cargo bench --bench scenario_bpf` (`-- N` sets the rounds, default 5).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use vethbench::bpf::Object;
use vethbench::scenario::{self, RunOptions};

const STEPS: usize = 200;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn scenario_text(frame: &str) -> String {
    let step = format!(
        "      - prog_run: {{node: dut, program: xdp_pass, frame: '{frame}', verdict: XDP_PASS, fields: {{udp.dstport: 9}}}}\n"
    );
    format!(
        "name: prog_run cost\nnodes:\n  h1: {{}}\n  dut:\n    bpf:\n      eth0:\n        - {{object: progs.o, program: xdp_pass, attach: xdp}}\nlinks:\n  - [h1:eth0, dut:eth0]\ntests:\n  - name: steps\n    steps:\n{}",
        step.repeat(STEPS)
    )
}

/// The kernel's ns per run in a prog_run note (`..., 49 ns per run, ...`).
fn kernel_ns(note: &str) -> f64 {
    let end = note.find(" ns per run").expect("a prog_run note");
    let start = note[..end].rfind(' ').map_or(0, |i| i + 1);
    note[start..end].parse().expect("a number")
}

fn main() {
    if !nix::unistd::geteuid().is_root() {
        println!("scenario_bpf bench: needs root (BPF_PROG_RUN, namespaces): nothing measured");
        return;
    }
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("temp dir");
    let obj_path = dir.path().join("progs.o");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bpf/progs.c");
    let built = Command::new("clang")
        .args(["-O2", "-g", "-target", "bpf"])
        .arg(format!(
            "-I/usr/include/{}-linux-gnu",
            std::env::consts::ARCH
        ))
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj_path)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        println!(
            "scenario_bpf bench: clang could not build {}: nothing measured",
            src.display()
        );
        return;
    }
    let frame = r#"Ether(dst=mac("dut:eth0"))/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1000, dport=9)/("x"*32)"#;
    let s = scenario::parse_str(&scenario_text(frame), Some(dir.path().to_path_buf()))
        .expect("the bench's scenario");
    let raw = vethbench::frame::expr::parse(
        r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1000, dport=9)/("x"*32)"#,
    )
    .unwrap()
    .build()
    .unwrap()
    .remove(0);
    let mut obj = Object::open(&obj_path).expect("progs.o");
    println!("load average before: {}", load());
    println!(
        "{:>5}  {:>14}  {:>18}  {:>30}  {:>8}",
        "round",
        "kernel ns/run",
        "bare call p50/p99",
        "step beyond kernel p50/p90/p99",
        "p50 ratio"
    );
    let mut kernel = Vec::new();
    let mut bare50 = Vec::new();
    let mut step50 = Vec::new();
    let mut step99 = Vec::new();
    for r in 0..rounds {
        let k = obj.run("xdp_pass", &raw, 1_000_000).expect("BPF_PROG_RUN");
        kernel.push(k.duration_ns as f64);
        let mut bare: Vec<f64> = (0..2000)
            .map(|_| {
                let t = Instant::now();
                obj.run("xdp_pass", &raw, 1).expect("BPF_PROG_RUN");
                t.elapsed().as_secs_f64() * 1e9
            })
            .collect();
        let res = scenario::run_scenario(&s, &RunOptions::default(), &mut |_| {})
            .expect("the scenario runs");
        let t = &res.tests[0];
        assert!(
            res.passed(),
            "the bench's scenario failed: {:?}",
            t.failing_step()
        );
        let mut beyond: Vec<f64> = t
            .steps
            .iter()
            .map(|st| st.duration_s * 1e9 - kernel_ns(&st.notes[0]))
            .collect();
        let (b50, b99) = (pct(&mut bare, 0.5), pct(&mut bare, 0.99));
        let (s50, s90, s99) = (
            pct(&mut beyond, 0.5),
            pct(&mut beyond, 0.9),
            pct(&mut beyond, 0.99),
        );
        println!(
            "{:>5}  {:>14}  {:>18}  {:>30}  {:>8.1}",
            r + 1,
            k.duration_ns,
            format!("{:.1}/{:.1} µs", b50 / 1e3, b99 / 1e3),
            format!("{:.1}/{:.1}/{:.1} µs", s50 / 1e3, s90 / 1e3, s99 / 1e3),
            s50 / b50
        );
        bare50.push(b50);
        step50.push(s50);
        step99.push(s99);
        std::thread::sleep(Duration::from_millis(50));
    }
    let spread = |v: &[f64]| {
        let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = v.iter().cloned().fold(0.0, f64::max);
        (lo, hi)
    };
    let (klo, khi) = spread(&kernel);
    let (blo, bhi) = spread(&bare50);
    let (slo, shi) = spread(&step50);
    let (qlo, qhi) = spread(&step99);
    println!(
        "over {rounds} rounds: kernel {klo:.0}-{khi:.0} ns/run; bare call p50 {:.1}-{:.1} µs; prog_run step beyond the kernel p50 {:.1}-{:.1} µs, p99 {:.1}-{:.1} µs (target: under 50 µs)",
        blo / 1e3,
        bhi / 1e3,
        slo / 1e3,
        shi / 1e3,
        qlo / 1e3,
        qhi / 1e3
    );
    println!("load average after: {}", load());
}
