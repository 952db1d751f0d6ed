//! `vethbench completions SHELL` and `vethbench man DIR`: shell completions (clap_complete)
//! and man pages (clap_mangen), both generated from the clap definitions of this directory,
//! so they list every subcommand and flag the binary has.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell: bash, zsh, fish, elvish or powershell. E.g.
    /// `vethbench completions bash > /etc/bash_completion.d/vethbench`.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Directory to write the pages to (created if missing): vethbench.1 and one page per
    /// subcommand (vethbench-send.1, vethbench-veth-add.1, ...). E.g.
    /// `vethbench man /usr/local/share/man/man1`.
    dir: PathBuf,
}

pub fn completions(args: CompletionArgs, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "vethbench", &mut script);
    let mut out = std::io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => super::stdout_result(e),
    }
}

pub fn man(args: ManArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    clap_mangen::generate_to(cmd, &args.dir)
        .with_context(|| format!("writing man pages to {}", args.dir.display()))?;
    let n = std::fs::read_dir(&args.dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".1"))
                .count()
        })
        .unwrap_or(0);
    eoutln!("{n} man pages in {}", args.dir.display())?;
    Ok(ExitCode::SUCCESS)
}
