//! `vethbench bpf`: eBPF programs as devices under test. `run` puts one frame through a program
//! with the kernel's BPF_PROG_RUN (no interface needed); `attach`, `detach` and `list` manage
//! programs on an interface, kept attached by a link pinned under /sys/fs/bpf/vethbench/.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use vethbench::bpf::{self, Hook, Object};
use vethbench::link;

/// Where `attach` pins its links: one file per namespace, interface and hook.
const PIN_DIR: &str = "/sys/fs/bpf/vethbench";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run a program on one frame with BPF_PROG_RUN: its verdict, the frame it leaves, the kernel's time per run.
    Run(RunArgs),
    /// Attach a program to an interface (it stays attached until `bpf detach`).
    Attach(AttachArgs),
    /// Detach what `bpf attach` attached to an interface.
    Detach(DetachArgs),
    /// List the programs `bpf attach` attached (in this namespace, or -n NS).
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The ELF object (clang -target bpf -g: with BTF).
    #[arg(value_name = "OBJECT")]
    object: PathBuf,
    /// The program (its function name).
    #[arg(short, long, value_name = "NAME")]
    program: String,
    /// The frame, as a Scapy expression (as `send` takes it).
    #[arg(value_name = "FRAME")]
    frame: String,
    /// Run it N times; the time printed is the kernel's average per run.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    repeat: u32,
    /// Fail (exit 1) unless the program returns this verdict: XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT, TC_ACT_OK, TC_ACT_SHOT... or a number.
    #[arg(long, value_name = "VERDICT")]
    expect: Option<String>,
    /// Fail (exit 1) unless the frame the program leaves is this one (a Scapy expression), field by field.
    #[arg(long, value_name = "FRAME")]
    expect_frame: Option<String>,
    /// Fields left out of --expect-frame (tshark's names or protocols, comma-separated).
    #[arg(
        long,
        value_name = "FIELDS",
        value_delimiter = ',',
        requires = "expect_frame"
    )]
    ignore: Vec<String>,
    /// Fail (exit 1) unless the frame the program leaves passes this display filter (Wireshark's
    /// language, as `read -Y` takes it): `ip.ttl == 63 && udp.dstport == 9`.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Print the frame the program leaves layer by layer (Scapy's show()).
    #[arg(short = 'V', long)]
    verbose: bool,
    /// Print the result as JSON.
    #[arg(short = 'j', long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct AttachArgs {
    /// The interface.
    #[arg(value_name = "IFACE")]
    iface: String,
    /// The ELF object.
    #[arg(value_name = "OBJECT")]
    object: PathBuf,
    /// The program (its function name).
    #[arg(short, long, value_name = "NAME")]
    program: String,
    /// Where: xdp (native), xdp-generic, tc-ingress, tc-egress.
    #[arg(long, value_name = "HOOK", default_value = "xdp")]
    hook: String,
    #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
    netns: Option<String>,
    /// Allow attaching to an interface that is not virtual (a physical NIC).
    #[arg(long)]
    allow_physical: bool,
    /// Keep the program attached only while this command runs (until Ctrl-C or SIGTERM; also
    /// gone if the command is killed): nothing is pinned.
    #[arg(long)]
    hold: bool,
}

#[derive(Debug, clap::Args)]
struct DetachArgs {
    /// The interface.
    #[arg(value_name = "IFACE")]
    iface: String,
    /// Only this hook (default: every hook `bpf attach` used on the interface).
    #[arg(long, value_name = "HOOK")]
    hook: Option<String>,
    #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
    netns: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
    netns: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Run(a) => run_prog(a),
        Command::Attach(a) => attach(a),
        Command::Detach(a) => detach(a),
        Command::List(a) => list(a),
    }
}

fn build_frame(text: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let e = vethbench::frame::expr::parse(text).with_context(|| format!("{what} '{text}'"))?;
    let mut frames = e.build().with_context(|| format!("{what} '{text}'"))?;
    if frames.len() != 1 {
        anyhow::bail!("{what} builds {} frames: give one", frames.len());
    }
    Ok(frames.swap_remove(0))
}

fn run_prog(a: RunArgs) -> anyhow::Result<ExitCode> {
    let frame = build_frame(&a.frame, "frame")?;
    let want = match &a.expect {
        Some(v) => Some(bpf::verdict_code(v).with_context(|| {
            format!(
                "--expect '{v}': not a verdict (XDP_DROP, XDP_PASS, TC_ACT_SHOT... or a number)"
            )
        })?),
        None => None,
    };
    let want_frame = match &a.expect_frame {
        Some(t) => Some(build_frame(t, "--expect-frame")?),
        None => None,
    };
    let opts = vethbench::diff::DiffOptions::new(&a.ignore)?;
    let filter = a
        .display_filter
        .as_deref()
        .map(|y| {
            vethbench::frame::filter::Filter::parse(y).map_err(|e| anyhow::anyhow!("-Y '{y}': {e}"))
        })
        .transpose()?;
    let mut obj = Object::open(&a.object)?;
    let r = obj.run(&a.program, &frame, a.repeat)?;
    let mut failures = Vec::new();
    if let Some(w) = want {
        if w != r.ret {
            let kind = if r.verdict.starts_with("TC_") {
                bpf::Kind::Tc
            } else {
                bpf::Kind::Xdp
            };
            failures.push(format!(
                "expected {}, got {}",
                bpf::verdict_name(kind, w),
                r.verdict
            ));
        }
    }
    if let Some(wf) = &want_frame {
        let rep = vethbench::diff::diff(
            &vethbench::diff::Capture::from_frames(&[wf]),
            &vethbench::diff::Capture::from_frames(&[&r.frame]),
            &opts,
        );
        for d in &rep.differences {
            if let vethbench::diff::Difference::Changed { fields, .. } = d {
                for f in fields {
                    failures.push(format!(
                        "{}: expected {}, got {}",
                        f.field,
                        f.a.as_deref().unwrap_or("(absent)"),
                        f.b.as_deref().unwrap_or("(absent)")
                    ));
                }
            }
        }
    }
    if let Some(f) = filter.filter(|f| !f.matches_frame(&r.frame)) {
        failures.push(format!(
            "filter '{}' does not match the frame out",
            f.text()
        ));
    }
    let changed = r.frame != frame;
    let mut out = String::new();
    if a.json {
        let j = serde_json::json!({
            "program": a.program, "return": r.ret, "verdict": r.verdict,
            "repeat": a.repeat, "duration_ns_per_run": r.duration_ns,
            "frame_changed": changed, "frame_hex": vethbench::frame::view::hex(&r.frame),
            "passed": failures.is_empty(), "failures": failures,
        });
        out = format!("{j}\n");
    } else {
        out.push_str(&format!(
            "{}: {} ({} run{}, {} ns per run, the kernel's figure)\n",
            a.program,
            r.verdict,
            a.repeat,
            if a.repeat == 1 { "" } else { "s" },
            r.duration_ns
        ));
        out.push_str(if changed {
            "frame changed: "
        } else {
            "frame unchanged: "
        });
        out.push_str(&vethbench::frame::summary(&r.frame));
        out.push('\n');
        if a.verbose {
            out.push_str(&vethbench::frame::show(&r.frame));
        }
        for f in &failures {
            out.push_str(&format!("FAILED: {f}\n"));
        }
    }
    let mut so = std::io::stdout().lock();
    if let Err(e) = so.write_all(out.as_bytes()).and_then(|()| so.flush()) {
        return super::stdout_result(e);
    }
    Ok(ExitCode::from(u8::from(!failures.is_empty())))
}

/// The pin of a link for (namespace, interface, hook).
fn pin_path(ns_inode: u64, ifindex: u32, hook: Hook) -> PathBuf {
    Path::new(PIN_DIR).join(format!("ns{ns_inode}_if{ifindex}_{hook}"))
}

fn check_bpffs() -> anyhow::Result<()> {
    const BPF_FS_MAGIC: i64 = 0xcafe4a11;
    match nix::sys::statfs::statfs("/sys/fs/bpf") {
        Ok(s) if s.filesystem_type().0 == BPF_FS_MAGIC => Ok(()),
        _ => anyhow::bail!(
            "bpffs is not mounted at /sys/fs/bpf (needed to keep a program attached after this \
             command: mount -t bpf bpf /sys/fs/bpf)"
        ),
    }
}

fn attach(a: AttachArgs) -> anyhow::Result<ExitCode> {
    let hook: Hook = a.hook.parse()?;
    if !a.hold {
        check_bpffs()?;
    }
    // Blocked before anything is attached, so that a stop request is always seen.
    let signals = if a.hold {
        Some(super::stop_signals()?)
    } else {
        None
    };
    let ns = link::netns::Netns::open_or_current(a.netns.as_deref())?;
    let info = ns.run(|| link::iface::info(&a.iface))?;
    if !a.allow_physical && !info.is_virtual() {
        anyhow::bail!(
            "{} is not a virtual interface (kind: {}): attaching a program to a physical NIC \
             needs --allow-physical",
            a.iface,
            link::policy::kind_name(&info.kind)
        );
    }
    let pin = pin_path(ns.inode(), info.ifindex, hook);
    if !a.hold && pin.exists() {
        anyhow::bail!(
            "{} already has a program at {hook} from vethbench bpf attach: run vethbench bpf \
             detach {}{} first",
            a.iface,
            a.iface,
            a.netns
                .as_ref()
                .map(|n| format!(" -n {n}"))
                .unwrap_or_default()
        );
    }
    if !a.hold {
        std::fs::create_dir_all(PIN_DIR).with_context(|| format!("creating {PIN_DIR}"))?;
    }
    let mut obj = Object::open(&a.object)?;
    let iface = a.iface.clone();
    let program = a.program.clone();
    // aya finds the interface by name in the calling thread's namespace.
    let att = ns.run(move || Ok(obj.attach(&program, &iface, hook)))??;
    if let Some(sig) = signals {
        outln!("{}: {} attached at {hook} until Ctrl-C", a.iface, a.program)?;
        std::io::stdout().flush().ok();
        let fd = std::os::fd::AsFd::as_fd(&sig);
        let mut pfd = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
        loop {
            match nix::poll::poll(&mut pfd, nix::poll::PollTimeout::NONE) {
                Ok(_) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => anyhow::bail!("waiting for Ctrl-C: {e}"),
            }
        }
        drop(att);
        outln!("{}: detached from {hook}", a.iface)?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = att.pin(&pin)?;
    outln!(
        "{}: {} attached at {hook} (pinned at {})",
        a.iface,
        a.program,
        path.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Our pins in namespace `ns_inode`: (ifindex, hook, path).
fn pins(ns_inode: u64) -> Vec<(u32, String, PathBuf)> {
    let Ok(dir) = std::fs::read_dir(PIN_DIR) else {
        return Vec::new();
    };
    let prefix = format!("ns{ns_inode}_if");
    let mut v: Vec<_> = dir
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&prefix)?;
            let (ifx, hook) = rest.split_once('_')?;
            Some((ifx.parse().ok()?, hook.to_string(), e.path()))
        })
        .collect();
    v.sort();
    v
}

fn detach(a: DetachArgs) -> anyhow::Result<ExitCode> {
    let hook = a.hook.as_deref().map(str::parse::<Hook>).transpose()?;
    let ns = link::netns::Netns::open_or_current(a.netns.as_deref())?;
    let info = ns.run(|| link::iface::info(&a.iface))?;
    let mut n = 0;
    for (ifx, h, path) in pins(ns.inode()) {
        if ifx == info.ifindex && hook.is_none_or(|want| want.to_string() == h) {
            bpf::unpin(&path)?;
            outln!("{}: detached from {h}", a.iface)?;
            n += 1;
        }
    }
    if n == 0 {
        outln!("{}: nothing attached by vethbench bpf attach", a.iface)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn list(a: ListArgs) -> anyhow::Result<ExitCode> {
    let ns = link::netns::Netns::open_or_current(a.netns.as_deref())?;
    for (ifx, h, path) in pins(ns.inode()) {
        let name = ns
            .run(|| Ok(nix::net::if_::if_indextoname(ifx).ok()))
            .ok()
            .flatten()
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("ifindex {ifx} (gone)"));
        outln!("{name}\t{h}\t{}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
