//! The leaf errors every layer shares: the [`Capability`] an operation needs, and
//! [`NoSuchInterface`].
//!
//! There is no crate-wide error type: each module has its own typed error, and a layer's error
//! wraps only the errors of the layers below it (`harness` → `capture` / `sock` / `link` /
//! `pcapng` → `frame`). Errors say what was being done and to what (interface, path,
//! namespace) and, for a permission failure, which capability was missing; they print on one
//! line and name no command-line flag. What stays true: this module imports nothing from the
//! crate.
//!
//! Each cause is printed once. A variant that wraps a cause either prints only its own words
//! ("opening the ring on 'vb0'") and returns the cause from `source()`, or is
//! `#[error(transparent)]` (it adds nothing, and prints and chains as its cause does). A message
//! never contains the text of its own `source()`. The whole story is [`chain`]: each error of the
//! chain, joined by ": " (what `anyhow`'s `{:#}` prints).

use std::fmt;

/// An error and its causes on one line: each `source()` in turn, joined by ": ", newlines
/// flattened to spaces. Report a library error with this (or `anyhow`'s `{:#}`), not with its
/// `Display` alone, which is only the outermost layer's words.
///
/// ```
/// let e = vethbench::pcapng::PcapngError::Io {
///     path: "out.pcapng".into(),
///     source: std::io::Error::from_raw_os_error(28),
/// };
/// assert_eq!(
///     vethbench::error::chain(&e),
///     "out.pcapng: No space left on device (os error 28)"
/// );
/// ```
///
/// An `io::Error` or errno of EMFILE/ENFILE in the chain prints as [`TooManyOpenFiles`] (the
/// limit and how to raise it), wherever it came from.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = text(err);
    let mut cause = err.source();
    while let Some(c) = cause {
        line.push_str(": ");
        line.push_str(&text(c));
        cause = c.source();
    }
    if line.contains('\n') {
        line = line
            .split('\n')
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join(" ");
    }
    line
}

/// One error's own words; EMFILE and ENFILE with the limit.
fn text(e: &(dyn std::error::Error + 'static)) -> String {
    let errno = e
        .downcast_ref::<std::io::Error>()
        .filter(|io| io.get_ref().is_none())
        .and_then(std::io::Error::raw_os_error)
        .or_else(|| e.downcast_ref::<nix::errno::Errno>().map(|n| *n as i32));
    match errno {
        Some(libc::EMFILE) => TooManyOpenFiles::now(false).to_string(),
        Some(libc::ENFILE) => TooManyOpenFiles::now(true).to_string(),
        _ => e.to_string(),
    }
}

/// A Linux capability an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Open AF_PACKET sockets (send, capture).
    NetRaw,
    /// Create and change links, addresses, namespaces' links.
    NetAdmin,
    /// Create, enter and bind-mount network namespaces.
    SysAdmin,
    /// Set another process's CPU affinity (a NAPI kernel thread's).
    SysNice,
    /// Load eBPF programs and create maps.
    Bpf,
}

impl Capability {
    /// The name as `capsh`/`setcap` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::NetRaw => "CAP_NET_RAW",
            Capability::NetAdmin => "CAP_NET_ADMIN",
            Capability::SysAdmin => "CAP_SYS_ADMIN",
            Capability::SysNice => "CAP_SYS_NICE",
            Capability::Bpf => "CAP_BPF",
        }
    }

    /// One line telling how to get the capability.
    pub fn hint(self) -> String {
        Capability::hint_all(&[self])
    }

    /// One line telling how to get all of `caps` at once (`setcap cap_bpf,cap_net_admin+ep`).
    pub fn hint_all(caps: &[Capability]) -> String {
        let names: Vec<String> = caps.iter().map(|c| c.name().to_ascii_lowercase()).collect();
        format!(
            "run as root, or grant {}: sudo setcap {}+ep $(command -v vethbench)",
            if caps.len() == 1 { "it" } else { "them" },
            names.join(",")
        )
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The named interface does not exist (in the network namespace it was looked up in).
///
/// `SockError::NoSuchInterface` and `LinkError::NoSuchInterface` hold it (transparently: they
/// print as it does), so a caller finds it in an error chain by matching those two variants or
/// this type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("interface '{iface}' does not exist")]
pub struct NoSuchInterface {
    pub iface: String,
}

impl NoSuchInterface {
    pub fn new(iface: impl Into<String>) -> Self {
        NoSuchInterface {
            iface: iface.into(),
        }
    }
}

/// EMFILE or ENFILE, with the limit and how to raise it (a large topology opens a namespace,
/// sockets and netlink handles per node).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", too_many_files(self))]
pub struct TooManyOpenFiles {
    /// ENFILE: the whole system's table is full, not this process's limit.
    pub system: bool,
    /// This process's limits (`ulimit -Sn`, `ulimit -Hn`), when getrlimit says.
    pub soft: Option<u64>,
    pub hard: Option<u64>,
    /// Refused before opening anything ([`reserve_open_files`]): about this many are needed.
    pub need: Option<u64>,
}

fn too_many_files(e: &TooManyOpenFiles) -> String {
    let TooManyOpenFiles {
        system,
        soft,
        hard,
        need,
    } = *e;
    if system {
        return "too many open files in the system (ENFILE): raise fs.file-max, or close \
                other programs' files"
            .to_string();
    }
    let limit = soft.map_or("unknown".to_string(), |s| s.to_string());
    let hard_s = hard.map_or("unknown".to_string(), |h| h.to_string());
    let want = soft
        .map_or(65536, |s| (s.saturating_mul(4)).max(4096))
        .max(need.unwrap_or(0).saturating_mul(2));
    let what = match need {
        Some(n) => format!("too many open files (EMFILE): about {n} are needed and "),
        None => "too many open files (EMFILE): ".to_string(),
    };
    match hard {
        Some(h) if soft.is_some_and(|s| s >= h) => format!(
            "{what}this process may open {limit}, its hard limit; raise the hard limit as root \
             (`ulimit -Hn {want}`, limits.conf, or systemd's LimitNOFILE=)"
        ),
        _ => format!(
            "{what}this process may open {limit} (hard limit {hard_s}); raise it, e.g. \
             `ulimit -n {}` in the shell that runs vethbench",
            hard.map_or(want, |h| want.min(h))
        ),
    }
}

/// The soft limit on open files before [`reserve_open_files`] raised it, plus one (0: never
/// raised): what child processes get back (`sys::child::die_with_parent`), as a program
/// that uses select() expects.
static SOFT_BEFORE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The soft limit on open files to give child processes: `Some` when this process raised its
/// own ([`reserve_open_files`]).
pub fn open_files_for_children() -> Option<u64> {
    match SOFT_BEFORE.load(std::sync::atomic::Ordering::Relaxed) {
        0 => None,
        n => Some(n - 1),
    }
}

/// Make room for about `need` open files before opening them: a soft limit below `need` is
/// raised to the hard limit (as systemd advises programs that need many; child processes get
/// the old one back). When the hard limit is below `need` too, the error says so, with the
/// limit and how to raise it, before anything was made.
pub fn reserve_open_files(need: u64) -> Result<(), TooManyOpenFiles> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return Ok(());
    };
    if soft >= need {
        return Ok(());
    }
    if hard >= need && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        let _ = SOFT_BEFORE.compare_exchange(
            0,
            soft.saturating_add(1),
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
        );
        return Ok(());
    }
    Err(TooManyOpenFiles {
        need: Some(need),
        ..TooManyOpenFiles::now(false)
    })
}

impl TooManyOpenFiles {
    /// This process's limits now (getrlimit: no file to open, which EMFILE would refuse).
    pub fn now(system: bool) -> Self {
        use nix::sys::resource::{getrlimit, Resource};
        let known = |v: u64| (v != libc::RLIM_INFINITY).then_some(v);
        let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
            Ok((s, h)) => (known(s), known(h)),
            Err(_) => (None, None),
        };
        TooManyOpenFiles {
            system,
            soft,
            hard,
            need: None,
        }
    }

    /// `e`, or for EMFILE/ENFILE the same kind of error carrying a [`TooManyOpenFiles`]
    /// (so its text says the limit and how to raise it).
    pub fn explain(e: std::io::Error) -> std::io::Error {
        match e.raw_os_error() {
            Some(libc::EMFILE) => std::io::Error::other(TooManyOpenFiles::now(false)),
            Some(libc::ENFILE) => std::io::Error::other(TooManyOpenFiles::now(true)),
            _ => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EMFILE says the limit and how to raise it; other errors pass through unchanged.
    #[test]
    fn too_many_open_files_names_the_limit() {
        let e = TooManyOpenFiles::explain(std::io::Error::from_raw_os_error(libc::EMFILE));
        let text = e.to_string();
        assert!(text.contains("too many open files (EMFILE)"), "{text}");
        assert!(text.contains("ulimit"), "{text}");
        let mine = TooManyOpenFiles::now(false);
        let soft = mine.soft.expect("/proc/self/limits has Max open files");
        assert!(text.contains(&soft.to_string()), "{text}");
        let other = TooManyOpenFiles::explain(std::io::Error::from_raw_os_error(libc::ENODEV));
        assert_eq!(other.raw_os_error(), Some(libc::ENODEV));
        let at_hard = TooManyOpenFiles {
            system: false,
            soft: Some(1024),
            hard: Some(1024),
            need: None,
        };
        assert!(
            at_hard.to_string().contains("hard limit as root"),
            "{at_hard}"
        );
    }
}
