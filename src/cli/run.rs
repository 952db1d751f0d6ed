//! `vethbench run FILE...`: scenario files (topology + tests) with human, JUnit, TAP or JSON
//! reports; `vethbench up FILE` / `down FILE`: the topology alone, in named namespaces.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use vethbench::scenario::report::{self, Totals};
use vethbench::scenario::{self, RunOptions, ScenarioResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (YAML; JSON is YAML too).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write a JUnit XML report here (one testsuite per file, one testcase per test).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Print TAP instead of the human report.
    #[arg(long, conflicts_with = "json")]
    tap: bool,
    /// Print the JSON report instead of the human report.
    #[arg(short = 'j', long)]
    json: bool,
    /// Run only the tests whose name contains PATTERN (case-sensitive substring; files with
    /// none are not built; no test at all is an error, exit 2).
    #[arg(short = 'k', value_name = "PATTERN")]
    filter: Option<String>,
    /// Keep a pcapng of every port for each failed test in DIR.
    #[arg(short = 'w', value_name = "DIR")]
    capture_dir: Option<PathBuf>,
    /// With -w: keep the pcapng of passed tests too.
    #[arg(long, requires = "capture_dir")]
    keep_captures: bool,
    /// `compare` steps write what their port received as the new golden file (a pcapng)
    /// instead of comparing.
    #[arg(long)]
    update_golden: bool,
    /// List every step of passed tests too.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// The scenario file whose topology to build (its tests are not run).
    file: PathBuf,
    /// Namespace names are PREFIX + node name (default: the file's name and '-').
    #[arg(long, value_name = "P")]
    prefix: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// The scenario file `vethbench up` was given: its namespaces (and the links in them) are
    /// removed.
    file: PathBuf,
    /// The prefix `up` was given (default: the file's name and '-').
    #[arg(long, value_name = "P")]
    prefix: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Every file checks before anything is created.
    let mut scenarios = Vec::new();
    for f in &args.files {
        scenarios.push(scenario::load(f)?);
    }
    // -k: a substring of test names; a pattern that selects nothing is a mistake, not a pass.
    if let Some(k) = &args.filter {
        if scenarios
            .iter()
            .all(|s| scenario::runner::selected(s, Some(k)) == 0)
        {
            anyhow::bail!("-k '{k}': no test name contains it (case-sensitive substring)");
        }
        // Files without a selected test are not built at all.
        scenarios.retain(|s| scenario::runner::selected(s, Some(k)) > 0);
    }
    if let Some(d) = &args.capture_dir {
        std::fs::create_dir_all(d).with_context(|| format!("create {}", d.display()))?;
    }
    // Ctrl-C/SIGTERM: the current test ends (its command killed), teardown runs, and every
    // report is written, marked interrupted. A second signal abandons the run.
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(super::stop_signals()?, stop.clone());
    let opts = RunOptions {
        filter: args.filter.clone(),
        capture_dir: args.capture_dir.clone(),
        keep_captures: args.keep_captures,
        stop: Some(stop.clone()),
        update_golden: args.update_golden,
    };
    let human = !args.tap && !args.json;
    let mut out = std::io::stdout().lock();
    let mut results: Vec<ScenarioResult> = Vec::new();
    for s in &scenarios {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let file = s.path.display().to_string();
        let mut printed_header = false;
        let r = scenario::run_scenario(s, &opts, &mut |t| {
            if human {
                if !printed_header {
                    printed_header = true;
                    let _ = write!(out, "{}", report::human::file_header(&file, &s.name));
                }
                let _ = write!(out, "{}", report::human::test(t, args.verbose));
                let _ = out.flush();
            }
        });
        let r = match r {
            Ok(r) => {
                if human && printed_header {
                    let _ = write!(out, "{}", report::human::file_footer(&r));
                }
                r
            }
            Err(e) => ScenarioResult::not_run(&file, &s.name, vethbench::error::chain(&e)),
        };
        results.push(r);
    }
    if let Some(p) = &args.junit {
        std::fs::write(p, report::junit::to_xml(&results))
            .with_context(|| format!("write {}", p.display()))?;
    }
    if args.json {
        writeln!(out, "{}", report::json::to_json(&results)).context("stdout")?;
    } else if args.tap {
        write!(out, "{}", report::tap::to_tap(&results)).context("stdout")?;
    } else if !(results.len() == 1 && results[0].error.is_some()) {
        // One file that could not run: its error line (below) says all there is.
        write!(out, "{}", report::human::summary(&results)).context("stdout")?;
    }
    if let Err(e) = out.flush() {
        super::stdout_result(e)?;
    }
    let totals = Totals::of(&results);
    for r in &results {
        if let Some(e) = &r.error {
            eoutln!("vethbench: error: {}: {e}", r.file)?;
        }
        for t in r.teardown_failures() {
            eoutln!("vethbench: warning: {}:{}: {}", r.file, t.line, t.message)?;
        }
    }
    if stop.load(Ordering::Relaxed) {
        eoutln!(
            "vethbench: interrupted: {} test(s) run and reported; the rest were not run",
            results.iter().map(|r| r.tests.len()).sum::<usize>()
        )?;
        return Ok(ExitCode::from(totals.exit_code().max(1)));
    }
    Ok(ExitCode::from(totals.exit_code()))
}

/// Set `stop` on the first SIGINT/SIGTERM (read from `fd` by a thread); exit 2 on a second.
fn watch_signals(fd: nix::sys::signalfd::SignalFd, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || loop {
        if let Ok(Some(_)) = fd.read_signal() {
            if stop.swap(true, Ordering::Relaxed) {
                let _ = eoutln!("vethbench: error: interrupted twice: run abandoned, no report");
                std::process::exit(2);
            }
            let _ = eoutln!(
                "vethbench: interrupted: ending the current test, then teardown and reports"
            );
        }
        // The descriptor is non-blocking: a short nap between reads.
        std::thread::sleep(std::time::Duration::from_millis(20));
    });
}

fn prefix_of(file: &std::path::Path, prefix: Option<&str>) -> String {
    prefix.map(str::to_string).unwrap_or_else(|| {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{stem}-")
    })
}

/// `vethbench down FILE [--prefix P]` as the user would type it.
fn down_command(args_file: &std::path::Path, prefix: Option<&str>) -> String {
    let p = prefix.map(|p| format!(" --prefix {p}")).unwrap_or_default();
    format!("vethbench down {}{p}", args_file.display())
}

pub fn up(args: UpArgs) -> anyhow::Result<ExitCode> {
    let s = scenario::load(&args.file)?;
    let prefix = prefix_of(&args.file, args.prefix.as_deref());
    // A second `up` of the same file and prefix: the first one's namespaces stand.
    let named = vethbench::link::netns::list()?;
    let standing: Vec<String> = s
        .topology
        .nodes
        .iter()
        .filter(|n| n.netns.is_none())
        .map(|n| format!("{prefix}{}", n.name))
        .filter(|n| named.contains(n))
        .collect();
    if !standing.is_empty() {
        anyhow::bail!(
            "{} is already up (namespace {} exists): run `{}` first",
            args.file.display(),
            standing.join(", "),
            down_command(&args.file, args.prefix.as_deref())
        );
    }
    let topo = scenario::Topology::up(&s.topology, &prefix)?;
    for n in topo.nodes() {
        match &s.topology.find_node(&n.name).and_then(|x| x.netns.as_ref()) {
            Some(r) => outln!("{} (netns {r}, attached)", n.name)?,
            None => outln!("{prefix}{}", n.name)?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn down(args: DownArgs) -> anyhow::Result<ExitCode> {
    let s = scenario::load(&args.file)?;
    let prefix = prefix_of(&args.file, args.prefix.as_deref());
    let removed = scenario::topology::down(&s.topology, &prefix)?;
    for n in &removed {
        outln!("removed {n}")?;
    }
    if removed.is_empty() && s.topology.nodes.iter().any(|n| n.netns.is_none()) {
        outln!(
            "nothing to remove: {} is not up (no namespace {prefix}NODE)",
            args.file.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
