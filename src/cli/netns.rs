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
        /// The namespace's name (a file name under /run/netns, as `ip netns` uses).
        name: String,
    },
    /// Delete a named namespace (unmount and remove /run/netns/NAME).
    Del {
        /// The namespace's name, as `netns list` shows it.
        name: String,
    },
    /// List the named namespaces (ours and `ip netns add`'s).
    List,
    /// Run a command inside a named namespace: `vethbench netns exec NAME -- CMD ARGS...`.
    Exec {
        /// The namespace's name.
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
        Cmd::List => {
            for n in netns::list()? {
                println!("{n}");
            }
        }
        Cmd::Exec { name, cmd } => {
            // Returns only on failure; on success the process is the command.
            return Err(netns::exec(&name, &cmd[0], &cmd[1..]).into());
        }
    }
    Ok(ExitCode::SUCCESS)
}
