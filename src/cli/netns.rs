//! `vethbench netns add|del|list|exec`: named network namespaces, compatible with `ip netns`.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Subcommand;
use vethbench::link::netns;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create a named namespace (bind mount under /run/netns) with `lo` up.
    Add {
        /// The new namespace's name (one path component: /run/netns/NAME).
        name: String,
    },
    /// Delete a named namespace (unmount and remove /run/netns/NAME). Anything in /run/netns
    /// that is not a namespace mount (a symlink, a plain file) is refused, never followed.
    Del {
        /// The namespace's name in /run/netns.
        name: String,
    },
    /// List the named namespaces (ours and `ip netns add`'s); with --all, every network
    /// namespace on the host, like `lsns -t net`.
    List {
        /// Every network namespace: inode, process count, lowest PID and its command, name or
        /// bind mount, container id (from the cgroup path: docker, podman, containerd, CRI-O,
        /// kubepods).
        #[arg(long)]
        all: bool,
        /// Print JSON, an array of objects (`ip -j netns list`'s `[{"name": ...}]`; with
        /// --all, every column).
        #[arg(long, short = 'j')]
        json: bool,
    },
    /// Run a command inside a namespace: `vethbench netns exec NS -- CMD ARGS...`.
    Exec {
        /// The namespace: a name in /run/netns, a path (/proc/PID/ns/net) or pid:PID.
        name: String,
        /// The command and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        cmd: Vec<OsString>,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Add { name } => {
            netns::add(&name)?;
        }
        Cmd::Del { name } => netns::del(&name)?,
        Cmd::List { all: false, json } => {
            let names = netns::list()?;
            if json {
                let objs: Vec<_> = names
                    .iter()
                    .map(|n| serde_json::json!({ "name": n.to_string() }))
                    .collect();
                outln!("{}", serde_json::to_string(&objs)?)?;
            } else {
                for n in names {
                    outln!("{n}")?;
                }
            }
        }
        Cmd::List { all: true, json } => {
            let entries = netns::scan()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&entries)?)?;
            } else {
                print_all(&entries)?;
            }
        }
        Cmd::Exec { name, cmd } => {
            // Returns only on failure; on success the process is the command.
            let e = netns::exec(&name, &cmd[0], &cmd[1..]);
            // The shell's codes when the command itself could not run: 127 not found, 126
            // not executable (entering the namespace failing is vethbench's error, exit 2).
            let code = match &e {
                vethbench::link::LinkError::Io { op, source: error } if op.starts_with("run '") => {
                    match error.kind() {
                        std::io::ErrorKind::NotFound => Some(127),
                        _ => Some(126),
                    }
                }
                _ => None,
            };
            if let Some(code) = code {
                eoutln!("vethbench: error: {}", crate::one_line(&e.into()))?;
                return Ok(ExitCode::from(code));
            }
            return Err(e.into());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `lsns -t net`'s columns, plus the name or bind mount and the container.
fn print_all(entries: &[netns::NetnsEntry]) -> anyhow::Result<()> {
    outln!(
        "{:<12} {:>6} {:>8} {:<16} {:<24} CONTAINER",
        "NS",
        "NPROCS",
        "PID",
        "COMMAND",
        "NAME"
    )?;
    for e in entries {
        let name = e
            .name
            .clone()
            .or_else(|| e.mounts.first().cloned())
            .unwrap_or_else(|| "-".to_string());
        let container = match &e.container {
            Some(c) => match c.runtime {
                Some(rt) => format!("{} ({rt})", &c.id[..12]),
                None => c.id[..12].to_string(),
            },
            None => "-".to_string(),
        };
        outln!(
            "{:<12} {:>6} {:>8} {:<16} {:<24} {}",
            e.inode,
            e.nprocs,
            e.pid.map_or_else(|| "-".to_string(), |p| p.to_string()),
            e.comm.as_deref().unwrap_or("-"),
            name,
            container
        )?;
    }
    Ok(())
}
