//! Commands run inside a node: `sh -c LINE` in the node's network namespace, in the scenario's
//! directory, with `PR_SET_PDEATHSIG` and a process group of their own
//! ([`crate::sys::child`]), in a PID namespace of their own (see `spawn`), so they and
//! everything they start die with the runner and cannot keep a namespace alive; and in a mount
//! namespace of their own with the node's sysfs on `/sys`, bpffs and cgroups kept
//! ([`crate::sys::sysfs`]), so `/sys/class/net` is the node's and writes there never reach
//! the host's interfaces.
//!
//! The child is forked by the calling thread after it moved into the namespace for the time of
//! the fork ([`NetnsGuard`]); the death signal follows that thread, so the caller is the
//! thread that owns the bench for the whole run (the scenario runner's).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::link::netns::NetnsGuard;
use crate::link::Netns;

/// What a finished command left.
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit code; None when a signal ended it (or it timed out and was killed).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// Killed because the run was stopped (Ctrl-C, SIGTERM).
    pub interrupted: bool,
}

impl Output {
    /// `exited with 3`, `was killed by signal 9`, `timed out`.
    pub fn status_text(&self) -> String {
        if self.interrupted {
            return "was stopped (the run was interrupted)".into();
        }
        match (self.timed_out, self.code) {
            (true, _) => "timed out".into(),
            (false, Some(c)) => format!("exited with {c}"),
            (false, None) => "was ended by a signal".into(),
        }
    }
}

/// How a command runs: in `dir`, with `env` added, killed when `stop` is set.
#[derive(Debug, Clone, Copy, Default)]
pub struct How<'a> {
    pub dir: Option<&'a Path>,
    pub env: &'a [(String, String)],
    pub stop: Option<&'a std::sync::atomic::AtomicBool>,
}

/// `sh -c line` inside `ns`, with stdin closed and stdout/stderr piped as asked.
///
/// The shell runs as PID 1 of a PID namespace of its own (util-linux `unshare --pid --fork
/// --kill-child`): `PR_SET_PDEATHSIG` reaches only our direct child, so when we die the
/// `unshare` dies, its child (the shell, PID 1) gets SIGKILL from it, and the kernel kills
/// everything else in that PID namespace, whatever the command forked or daemonised.
fn spawn(ns: &Netns, line: &str, how: &How, piped: bool) -> std::io::Result<Child> {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--kill-child", "/bin/sh", "-c"])
        .arg(line)
        .stdin(Stdio::null());
    if piped {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    }
    if let Some(d) = how.dir {
        cmd.current_dir(d);
    }
    cmd.envs(how.env.iter().map(|(k, v)| (k, v)));
    crate::sys::child::die_with_parent(&mut cmd);
    // In the child, which is forked inside `ns` (below): the fresh sysfs is the node's.
    crate::sys::sysfs::own_sysfs(&mut cmd);
    let _in = NetnsGuard::enter(ns).map_err(std::io::Error::other)?;
    cmd.spawn()
}

fn reader(r: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut s);
        }
        String::from_utf8_lossy(&s).into_owned()
    })
}

/// Run `line` in `ns` to completion (killed after `timeout`).
pub fn run(ns: &Netns, line: &str, how: &How, timeout: Duration) -> std::io::Result<Output> {
    let mut child = spawn(ns, line, how, true)?;
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    let deadline = Instant::now()
        .checked_add(timeout)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
    let (status, timed_out) = wait_until(&mut child, deadline, how.stop)?;
    let stopped = how
        .stop
        .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed));
    Ok(Output {
        code: status.and_then(|s| s.code()),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        timed_out: timed_out && !stopped,
        interrupted: timed_out && stopped,
    })
}

/// Wait for `child` until `deadline` (or `stop`); past it, kill its group. (None, true): timed
/// out or stopped.
fn wait_until(
    child: &mut Child,
    deadline: Instant,
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> std::io::Result<(Option<ExitStatus>, bool)> {
    let mut nap = Duration::from_micros(200);
    loop {
        if let Some(s) = child.try_wait()? {
            return Ok((Some(s), false));
        }
        let stopped = stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed));
        if stopped || Instant::now() >= deadline {
            kill_group(child);
            let _ = child.wait();
            return Ok((None, true));
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(10));
    }
}

fn kill_group(child: &Child) {
    let pgid = nix::unistd::Pid::from_raw(-(child.id() as i32));
    let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGKILL);
}

/// A process started by a `daemon` step, stopped (its whole process group) on drop.
#[derive(Debug)]
pub struct Daemon {
    child: Child,
    pub node: String,
    pub run: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Daemon {
    /// Start `line` in `ns`; stdout is discarded, stderr kept for the report.
    pub fn start(ns: &Netns, node: &str, line: &str, how: &How) -> std::io::Result<Self> {
        let mut child = spawn(ns, line, how, false)?;
        let stderr = Some(reader(child.stderr.take()));
        Ok(Daemon {
            child,
            node: node.to_string(),
            run: line.to_string(),
            stderr,
        })
    }

    /// Still running?
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stop it and return what it wrote on stderr.
    pub fn stop(mut self) -> String {
        self.stop_now();
        self.stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }

    fn stop_now(&mut self) {
        if self.running() {
            let pgid = nix::unistd::Pid::from_raw(-(self.child.id() as i32));
            let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_millis(500);
            if let Ok((None, _)) | Err(_) = wait_until(&mut self.child, deadline, None) {
                kill_group(&self.child);
            }
        }
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// True when a TCP socket listens on `port` in `ns` (IPv4 or IPv6), read from
/// `/proc/thread-self/net/tcp{,6}` on a thread inside the namespace: no connection made.
pub fn tcp_listening(ns: &Netns, port: u16) -> bool {
    let want = format!(":{port:04X}");
    ns.run(|| {
        let mut found = false;
        for f in ["/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"] {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            found |= text.lines().skip(1).any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.len() > 3 && cols[1].ends_with(&want) && cols[3] == "0A"
            });
        }
        Ok(found)
    })
    .unwrap_or(false)
}

/// The listening TCP sockets and bound UDP sockets of `ns` (local address:port as the kernel
/// lists them), for a daemon without `ready`: it is ready when a new one appears.
pub fn listening(ns: &Netns) -> std::collections::BTreeSet<String> {
    ns.run(|| {
        let mut out = std::collections::BTreeSet::new();
        for (f, state) in [
            ("/proc/thread-self/net/tcp", "0A"),
            ("/proc/thread-self/net/tcp6", "0A"),
            ("/proc/thread-self/net/udp", "07"),
            ("/proc/thread-self/net/udp6", "07"),
        ] {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            for l in text.lines().skip(1) {
                let cols: Vec<&str> = l.split_whitespace().collect();
                if cols.len() > 3 && cols[3] == state {
                    out.insert(format!("{f}:{}", cols[1]));
                }
            }
        }
        Ok(out)
    })
    .unwrap_or_default()
}

/// `file:PATH`, relative to `dir`.
pub fn ready_path(dir: Option<&Path>, p: &Path) -> PathBuf {
    match dir {
        Some(d) if p.is_relative() => d.join(p),
        _ => p.to_path_buf(),
    }
}
