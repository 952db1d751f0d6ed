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
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        line.push_str(": ");
        line.push_str(&c.to_string());
        cause = c.source();
    }
    if line.contains('\n') {
        line = line.split('\n').map(str::trim_end).collect::<Vec<_>>().join(" ");
    }
    line
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
}

impl Capability {
    /// The name as `capsh`/`setcap` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::NetRaw => "CAP_NET_RAW",
            Capability::NetAdmin => "CAP_NET_ADMIN",
            Capability::SysAdmin => "CAP_SYS_ADMIN",
            Capability::SysNice => "CAP_SYS_NICE",
        }
    }

    /// One line telling how to get the capability.
    pub fn hint(self) -> String {
        format!(
            "run as root, or grant it: sudo setcap {}+ep $(command -v vethbench)",
            self.name().to_ascii_lowercase()
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
