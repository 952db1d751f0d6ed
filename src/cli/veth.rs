//! `vethbench veth add|del|list|peer`: veth pairs over netlink, like `ip link ... type veth`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use vethbench::link::{self, veth, Cidr, Netns, VethEnd, VethPairSpec};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create a veth pair (like `ip link add NAME netns NS type veth peer name PEER netns NS`).
    Add(AddArgs),
    /// Delete a veth pair (by either end).
    Del {
        /// Either end of the pair.
        name: String,
        /// The namespace the end is in (default: the current one): a name in /run/netns, a
        /// path (/proc/PID/ns/net) or pid:PID.
        #[arg(short = 'n', long = "netns", value_name = "NS")]
        netns: Option<String>,
    },
    /// List veth ends with their peers (name, ifindex, namespace) and addresses.
    List {
        /// Print JSON (one array of objects; schema in the README). -j as with `ip -j`.
        #[arg(short = 'j', long)]
        json: bool,
        /// List the ends in this namespace (default: the current one): a name in /run/netns, a
        /// path (/proc/PID/ns/net) or pid:PID.
        #[arg(
            short = 'n',
            long = "netns",
            value_name = "NS",
            conflicts_with = "all_netns"
        )]
        netns: Option<String>,
        /// List every network namespace on the host: the current one, named ones, those
        /// bind-mounted by container runtimes, and those held only by processes.
        #[arg(long)]
        all_netns: bool,
    },
    /// Show a veth's peer: name, ifindex, namespace (the `ethtool -S NAME | grep peer_ifindex` answer).
    Peer {
        /// The veth end whose peer to find.
        name: String,
        /// The namespace the end is in (default: the current one): a name in /run/netns, a
        /// path (/proc/PID/ns/net) or pid:PID.
        #[arg(short = 'n', long = "netns", value_name = "NS")]
        netns: Option<String>,
        /// Print the end's row as JSON (-j as with `ip -j`).
        #[arg(short = 'j', long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    /// Name of the first end (at most 15 bytes).
    name: String,
    /// Name of the peer end.
    #[arg(long, value_name = "PEER")]
    peer: String,
    /// Create the pair in this namespace (a name in /run/netns, a path or pid:PID), like
    /// `ip -n NS link add ...`: the first end there, and the peer too unless --peer-netns puts
    /// it elsewhere. (-n means --netns in every subcommand.)
    #[arg(short = 'n', long = "netns", value_name = "NS")]
    netns: Option<String>,
    /// Put the peer end in this namespace instead, e.g. a container's (same forms).
    #[arg(long, value_name = "NS")]
    peer_netns: Option<String>,
    /// Address of the first end, e.g. 198.18.0.10/16.
    #[arg(long, value_name = "CIDR")]
    addr: Option<String>,
    /// Address of the peer end.
    #[arg(long, value_name = "CIDR")]
    peer_addr: Option<String>,
    /// MTU of both ends.
    #[arg(long)]
    mtu: Option<u32>,
    /// MAC of the first end (default: random).
    #[arg(long, value_name = "MAC")]
    mac: Option<String>,
    /// MAC of the peer end.
    #[arg(long, value_name = "MAC")]
    peer_mac: Option<String>,
    /// Bring both ends up.
    #[arg(long)]
    up: bool,
    /// Disable IPv6 on both ends before they go up (no RS/MLD/DAD frames in captures).
    #[arg(long)]
    no_ipv6: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Add(a) => add(a),
        Cmd::Del { name, netns } => {
            let ns = Netns::open_or_current(netns.as_deref())?;
            veth::delete(&name, &ns)
                .map_err(|e| super::name_netns(e.into(), netns.as_deref()))
                .with_context(|| format!("veth del {name}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::List {
            json,
            netns,
            all_netns,
        } => {
            let rows = if all_netns {
                veth::list_all()?
            } else {
                veth::list(&Netns::open_or_current(netns.as_deref())?)?
            };
            if json {
                outln!("{}", serde_json::to_string_pretty(&rows)?)?;
            } else {
                print_table(&rows)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Peer { name, netns, json } => {
            let ns = Netns::open_or_current(netns.as_deref())?;
            let row = veth::peer(&name, &ns)
                .map_err(|e| super::name_netns(e.into(), netns.as_deref()))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&row)?)?;
            } else {
                outln!(
                    "{}: peer {} ifindex {} netns {}{}{}",
                    row.name,
                    row.peer_name.as_deref().unwrap_or("?"),
                    opt(row.peer_ifindex),
                    peer_netns(&row),
                    container(
                        row.peer_container_id.as_deref(),
                        row.peer_container_runtime.as_deref()
                    ),
                    row.peer_netnsid
                        .map(|id| format!(" (link-netnsid {id})"))
                        .unwrap_or_default()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn add(a: AddArgs) -> anyhow::Result<ExitCode> {
    // Check everything before touching the kernel.
    let parse_cidr = |s: &Option<String>| s.as_deref().map(Cidr::parse).transpose();
    let parse_mac = |s: &Option<String>| s.as_deref().map(link::parse_mac).transpose();
    link::check_ifname(&a.name)?;
    link::check_ifname(&a.peer)?;
    let spec = VethPairSpec {
        a: VethEnd {
            name: a.name.clone(),
            mac: parse_mac(&a.mac)?,
            addr: parse_cidr(&a.addr)?,
        },
        b: VethEnd {
            name: a.peer.clone(),
            mac: parse_mac(&a.peer_mac)?,
            addr: parse_cidr(&a.peer_addr)?,
        },
        mtu: a.mtu,
        up: a.up,
        disable_ipv6: a.no_ipv6,
    };
    let ns_a = Netns::open_or_current(a.netns.as_deref())?;
    let ns_b = Netns::open_or_current(a.peer_netns.as_deref().or(a.netns.as_deref()))?;
    // SIGINT/SIGTERM wait (blocked, read from a signalfd) until the pair is whole; one that came
    // meanwhile removes it again: the pair is made entirely, or not at all.
    let stop = super::stop_signals()?;
    let (ea, eb) = veth::create(&spec, &ns_a, &ns_b)?;
    if let Ok(Some(sig)) = stop.read_signal() {
        let removed = veth::delete(&ea.name, &ns_a);
        let signal = nix::sys::signal::Signal::try_from(sig.ssi_signo as i32)
            .map(|s| s.as_str())
            .unwrap_or("a signal");
        return match removed {
            Ok(()) => Err(anyhow::anyhow!(
                "interrupted by {signal}: the pair '{}'/'{}' was removed again",
                ea.name,
                eb.name
            )),
            Err(e) => Err(anyhow::anyhow!(
                "interrupted by {signal}, and removing the pair failed: {}",
                vethbench::error::chain(&e)
            )),
        };
    }
    outln!(
        "{} (ifindex {}, netns {}) <-> {} (ifindex {}, netns {})",
        ea.name,
        ea.ifindex,
        ns_a.name().unwrap_or("-"),
        eb.name,
        eb.ifindex,
        ns_b.name().unwrap_or("-")
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The peer's namespace: its name, else `pid 1234 (comm)` or a mount path; `-` when unknown
/// (or the caller's own unnamed namespace, as before).
fn peer_netns(r: &veth::VethRow) -> String {
    match (&r.peer_netns, r.peer_netnsid, &r.peer_netns_label) {
        (Some(n), _, _) => n.clone(),
        (None, Some(_), Some(label)) => label.clone(),
        _ => "-".to_string(),
    }
}

/// ` container 0123456789ab (docker)`, or nothing.
fn container(id: Option<&str>, runtime: Option<&str>) -> String {
    match (id, runtime) {
        (Some(id), Some(rt)) => format!(" container {} ({rt})", &id[..12.min(id.len())]),
        (Some(id), None) => format!(" container {}", &id[..12.min(id.len())]),
        _ => String::new(),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".to_string())
}

fn print_table(rows: &[veth::VethRow]) -> anyhow::Result<()> {
    let header = [
        "NAME",
        "IFINDEX",
        "NETNS",
        "STATE",
        "MAC",
        "MTU",
        "PEER",
        "PEER_IFINDEX",
        "PEER_NETNS",
        "PEER_CONTAINER",
        "ADDRESSES",
    ];
    let cells: Vec<[String; 11]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.ifindex.to_string(),
                match (&r.netns, &r.netns_label) {
                    (Some(n), _) => n.clone(),
                    (None, Some(l)) if r.netns_pid != Some(1) => l.clone(),
                    _ => "-".into(),
                },
                r.state.clone(),
                r.mac.clone(),
                r.mtu.to_string(),
                r.peer_name.clone().unwrap_or_else(|| "?".into()),
                opt(r.peer_ifindex),
                peer_netns(r),
                r.peer_container_id
                    .as_deref()
                    .map_or_else(|| "-".into(), |id| id[..12.min(id.len())].to_string()),
                if r.addresses.is_empty() {
                    "-".into()
                } else {
                    r.addresses.join(" ")
                },
            ]
        })
        .collect();
    super::write_columns(header, &cells)
}
