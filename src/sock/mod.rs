//! AF_PACKET sockets: the safe API. Transmit (`sendmmsg` batches) lives in [`tx`], the
//! TPACKET_V3 receive ring in [`ring`], the per-frame `recvmsg` receive socket in [`recvmsg`],
//! in-kernel filters in [`filter`]; every `unsafe` block is in the crate's OS-glue room
//! (`crate::sys`).
//!
//! Sockets belong to the network namespace of the thread that opened them: enter the namespace
//! (see `link::netns`) before opening, not after.

pub mod burst;
pub mod filter;
pub mod recvmsg;
pub mod ring;
pub mod tx;

use crate::{Capability, NoSuchInterface};

/// What the kernel said about one received frame besides its bytes: the same for a ring
/// ([`ring::RxFrame::meta`]) and a per-frame socket ([`recvmsg::RecvFrame::meta`]), and what
/// a capture file records (`capture::epb_flags`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RxMeta {
    /// Kernel receive timestamp, CLOCK_REALTIME ns.
    pub ts_ns: u64,
    /// The frame's length on the wire (may exceed the bytes kept).
    pub wire_len: u32,
    /// `sll_pkttype`: PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST,
    /// PACKET_OUTGOING.
    pub pkttype: u8,
    /// TP_STATUS_CSUM_VALID: the transport checksum was already verified.
    pub csum_valid: bool,
    /// TP_STATUS_CSUMNOTREADY: the transport checksum is partial (offload), not wrong.
    pub csum_not_ready: bool,
    /// TP_STATUS_GSO_TCP: a TCP GSO/GRO frame larger than the MTU.
    pub gso_tcp: bool,
}

/// `TP_STATUS_GSO_TCP` (linux/if_packet.h since 6.4; not in the libc crate yet).
pub(crate) const TP_STATUS_GSO_TCP: u32 = 1 << 8;

impl RxMeta {
    /// The metadata of a frame from its `tp_status` bits and the rest.
    pub(crate) fn from_status(ts_ns: u64, wire_len: u32, pkttype: u8, status: u32) -> Self {
        RxMeta {
            ts_ns,
            wire_len,
            pkttype,
            csum_valid: status & libc::TP_STATUS_CSUM_VALID != 0,
            csum_not_ready: status & libc::TP_STATUS_CSUMNOTREADY != 0,
            gso_tcp: status & TP_STATUS_GSO_TCP != 0,
        }
    }
}

/// An error opening or using a packet socket.
#[derive(Debug, thiserror::Error)]
pub enum SockError {
    /// The named interface does not exist in this network namespace.
    #[error(transparent)]
    NoSuchInterface(NoSuchInterface),
    /// The kernel said EPERM/EACCES: a capability is missing.
    #[error("{op} on '{iface}': permission denied: needs {cap} ({hint})", hint = cap.hint())]
    Permission {
        op: &'static str,
        iface: String,
        cap: Capability,
    },
    /// Any other system call failure.
    #[error("{op} on '{iface}'")]
    Io {
        op: &'static str,
        iface: String,
        #[source]
        source: std::io::Error,
    },
    /// A filter expression that did not compile, or no compiler available.
    #[error("filter '{expr}': {why}")]
    Filter { expr: String, why: String },
    /// Rings larger than [`ring::ring_budget`] (a share of the machine's memory): the kernel
    /// does not charge ring memory to the process, so the OOM killer would pick others.
    #[error(
        "{} of {blocks} blocks × {block_size} bytes: {} in all, more than {}, \
         1/{} of this machine's {} of memory (ring memory is not charged to the process, so a \
         larger ring makes the kernel kill other processes first)",
        if *.rings == 1 { "a ring".to_string() } else { format!("{} rings", .rings) },
        ring::human_bytes(*.total),
        ring::human_bytes(*.limit),
        ring::RING_MEMORY_SHARE,
        ring::human_bytes(*.mem_total)
    )]
    RingTooLarge {
        rings: usize,
        blocks: u32,
        block_size: u32,
        total: u64,
        limit: u64,
        mem_total: u64,
    },
}

impl SockError {
    /// Build an error from an errno, mapping EPERM/EACCES to the capability `cap`.
    pub(crate) fn from_io(
        op: &'static str,
        iface: &str,
        source: std::io::Error,
        cap: Capability,
    ) -> Self {
        match source.raw_os_error() {
            Some(libc::EMFILE) | Some(libc::ENFILE) => SockError::Io {
                op,
                iface: iface.to_string(),
                source: crate::error::TooManyOpenFiles::explain(source),
            },
            Some(libc::EPERM) | Some(libc::EACCES) => SockError::Permission {
                op,
                iface: iface.to_string(),
                cap,
            },
            Some(libc::ENODEV) | Some(libc::ENXIO) => {
                SockError::NoSuchInterface(NoSuchInterface::new(iface))
            }
            _ => SockError::Io {
                op,
                iface: iface.to_string(),
                source,
            },
        }
    }
}

/// Resolve an interface name to its ifindex in the calling thread's network namespace.
pub fn ifindex(iface: &str) -> Result<u32, SockError> {
    nix::net::if_::if_nametoindex(iface).map_err(|e| match e {
        nix::errno::Errno::ENODEV => SockError::NoSuchInterface(NoSuchInterface::new(iface)),
        // if_nametoindex opens a socket for its ioctl; when it cannot, glibc 2.36 leaves
        // ENOENT, not EMFILE (issue 21: "interface 'l' does not exist" under `ulimit -n`).
        // Open one here to learn why.
        e => {
            let why = match nix::sys::socket::socket(
                nix::sys::socket::AddressFamily::Unix,
                nix::sys::socket::SockType::Datagram,
                nix::sys::socket::SockFlag::SOCK_CLOEXEC,
                None,
            ) {
                Err(open) => open,
                Ok(_probe) => e,
            };
            SockError::from_io(
                "look up",
                iface,
                std::io::Error::from(why),
                Capability::NetRaw,
            )
        }
    })
}
