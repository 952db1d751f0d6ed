//! tcpdump filter syntax, compiled to classic BPF by libpcap (loaded at run time) and attached
//! in the kernel with SO_ATTACH_FILTER, so rejected frames never reach the ring.
//!
//! VLAN: the kernel strips a received 802.1Q tag before the socket filter runs, so a filter
//! sees the frame *without* its tag: `tcp port 2222` matches a tagged TCP frame too. libpcap
//! rewrites `vlan` tests into ancillary loads only for its own live handles, not for the
//! offline compiler used here, so a `vlan` primitive could never match: it is refused with a
//! clear message rather than silently capturing nothing.

use super::SockError;
use crate::sys::filter as sys;

/// A compiled classic BPF program.
#[derive(Debug, Clone)]
pub struct BpfProgram {
    expr: String,
    insns: Vec<libc::sock_filter>,
}

impl BpfProgram {
    /// The expression it was compiled from (written to the pcapng IDB's `if_filter`).
    pub fn expr(&self) -> &str {
        &self.expr
    }
    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.insns.len()
    }
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }
    pub(crate) fn insns(&self) -> &[libc::sock_filter] {
        &self.insns
    }
}

/// Compile a tcpdump-syntax expression for Ethernet frames of at most `snaplen` bytes.
/// Errors carry libpcap's own message (e.g. "syntax error").
pub fn compile(expr: &str, snaplen: u32) -> Result<BpfProgram, SockError> {
    let refuse = |why: &str| SockError::Filter {
        expr: expr.to_string(),
        why: why.to_string(),
    };
    if expr
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "vlan" || w == "mpls")
    {
        return Err(refuse(
            "'vlan'/'mpls' primitives are not supported: the kernel strips the tag before \
             the socket filter runs (filter on the inner fields; -T fields -e vlan.id shows tags)",
        ));
    }
    let insns = sys::compile(expr, snaplen).map_err(|why| refuse(&why))?;
    Ok(BpfProgram {
        expr: expr.to_string(),
        insns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn have_libpcap() -> bool {
        ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"]
            .iter()
            .any(|p| {
                std::path::Path::new("/usr/lib/x86_64-linux-gnu")
                    .join(p)
                    .exists()
            })
    }

    #[test]
    fn compiles_and_refuses() {
        if !have_libpcap() {
            eprintln!("SKIP: libpcap not installed");
            return;
        }
        let p = compile("tcp port 2222", 262144).unwrap();
        assert!(p.len() > 5, "a port filter is more than a few instructions");
        // The last instruction accepts snaplen bytes or rejects.
        let e = compile("tcp prot 2222", 262144).unwrap_err().to_string();
        assert!(e.contains("syntax error"), "{e}");
        assert!(compile("vlan 10", 100).is_err());
    }
}
