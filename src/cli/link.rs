//! `vethbench link show|set`: the interfaces of a namespace with their addresses (`ip -br
//! addr`), and their state and MTU set (`ip link set IFACE up|down|mtu N`), so a walkthrough
//! needs no `ip` (vethbench's own "interface is down" errors point here).

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use vethbench::link::iface::{self, LinkRow, LinkSet};
use vethbench::link::Netns;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// List interfaces with their state, MTU, MAC and addresses (like `ip -br addr`).
    #[command(visible_alias = "list")]
    Show {
        /// Only this interface.
        iface: Option<String>,
        #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
        netns: Option<String>,
        /// Print JSON (an array of objects; schema in docs/topology.md). -j as with `ip -j`.
        #[arg(short = 'j', long)]
        json: bool,
    },
    /// Bring an interface up or down and set its MTU (like `ip link set IFACE up mtu 9000`).
    #[command(
        after_help = "Examples:\n  vethbench link set veth1 up\n  vethbench link set -n net1 veth1 down\n  vethbench link set veth1 mtu 9000 up"
    )]
    Set {
        /// The interface.
        iface: String,
        /// What to change, in `ip link set`'s words: `up`, `down`, `mtu N` (any of them).
        #[arg(required = true, num_args = 1.., value_name = "up|down|mtu N")]
        changes: Vec<String>,
        #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
        netns: Option<String>,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Show { iface, netns, json } => {
            let ns = Netns::open_or_current(netns.as_deref())?;
            let mut rows = ns.run(iface::rows)?;
            if let Some(name) = &iface {
                rows.retain(|r| &r.name == name);
                if rows.is_empty() {
                    let e = vethbench::link::LinkError::NoSuchInterface(
                        vethbench::NoSuchInterface::new(name),
                    );
                    return Err(super::name_netns(e.into(), netns.as_deref()));
                }
            }
            if json {
                outln!("{}", serde_json::to_string_pretty(&rows)?)?;
            } else {
                print_table(&rows)?;
            }
        }
        Cmd::Set {
            iface,
            changes,
            netns,
        } => {
            let set = parse_changes(&changes)?;
            let ns = Netns::open_or_current(netns.as_deref())?;
            ns.run(|| iface::set(&iface, set))
                .map_err(|e| super::name_netns(e.into(), netns.as_deref()))
                .with_context(|| format!("link set {iface}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `up`, `down`, `mtu N`, as `ip link set` takes them; each at most once.
fn parse_changes(words: &[String]) -> anyhow::Result<LinkSet> {
    let mut set = LinkSet::default();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "up" | "down" => {
                if set.up.is_some() {
                    anyhow::bail!("up or down given twice: say one of them");
                }
                set.up = Some(w == "up");
            }
            "mtu" => {
                let Some(v) = it.next() else {
                    anyhow::bail!("mtu needs a value: mtu N (e.g. mtu 1500)");
                };
                let mtu = v.parse::<u32>().map_err(|_| {
                    anyhow::anyhow!("invalid MTU '{v}': a number of bytes, e.g. 1500")
                })?;
                if set.mtu.replace(mtu).is_some() {
                    anyhow::bail!("mtu given twice");
                }
            }
            other => anyhow::bail!("unknown change '{other}': expected up, down or mtu N"),
        }
    }
    Ok(set)
}

fn print_table(rows: &[LinkRow]) -> anyhow::Result<()> {
    let header = ["NAME", "STATE", "MTU", "MAC", "KIND", "ADDRESSES"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                // An interface set down has operstate DOWN; one up without carrier says so.
                r.state.clone(),
                r.mtu.to_string(),
                r.mac.clone(),
                r.kind.clone().unwrap_or_else(|| "-".into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn changes_as_ip_link_set_takes_them() {
        let s = parse_changes(&words("mtu 9000 up")).unwrap();
        assert_eq!((s.up, s.mtu), (Some(true), Some(9000)));
        assert_eq!(parse_changes(&words("down")).unwrap().up, Some(false));
        for (bad, says) in [
            ("up down", "twice"),
            ("mtu", "needs a value"),
            ("mtu big", "invalid MTU 'big'"),
            ("mtu 1500 mtu 1400", "twice"),
            ("sideways", "unknown change 'sideways'"),
        ] {
            let e = parse_changes(&words(bad)).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
