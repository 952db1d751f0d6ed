//! Replaying a capture file on an interface (tcpreplay's job): frames read from pcap or pcapng
//! ([`source`]), put on a schedule ([`schedule`]: the file's gaps, a multiplier, a packet or
//! bit rate, or top speed), rewritten ([`rewrite`]: MACs, IP maps, VLAN, checksums, MTU; with
//! [`layout`] and [`checksum`]), non-Ethernet link types given an Ethernet header
//! ([`linktype`]), sent with the crate's batched transmit path ([`crate::sock::tx`]) by
//! [`engine`] on time ([`wait`]: sleep, then spin a calibrated margin), and reported
//! ([`report`]) with the timing and gap errors against the schedule.
//!
//! What stays true: deadlines come from the start of the replay (no drift), moved back only by
//! the lateness of a late frame (re-anchoring, file timing, unless `catch_up`); sending allocates nothing per frame (one batch,
//! one scratch buffer, one histogram, all made before the first frame); a frame is either
//! rewritten as asked or sent as read and counted, never half-changed; a frame too long for
//! the MTU is skipped and counted, or cut when asked. It does not open the interface or check
//! the sending policy: the caller does, as `vethbench send` does.

pub mod checksum;
pub mod engine;
pub mod layout;
pub mod linktype;
pub mod report;
pub mod rewrite;
pub mod schedule;
pub mod source;
pub mod wait;

pub use engine::replay;
pub use report::{ReplayReport, TimingErrorSummary};
pub use rewrite::{IpMap, RewriteSpec, RewriteSpecError, VlanOp};
pub use schedule::{Timing, TimingError};
pub use source::Source;
pub use wait::Waiter;

use crate::frame::MacAddr;
use crate::pcapng::PcapngError;
use crate::sock::SockError;

/// What to replay and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayConfig {
    /// The file's name, for the report.
    pub file: String,
    pub timing: Timing,
    /// Passes over the file; 0 loops until stopped.
    pub loops: u64,
    /// Stop after this many frames read from the file (all passes).
    pub limit: Option<u64>,
    pub rewrite: RewriteSpec,
    /// The MACs of the Ethernet header given to SLL/SLL2/raw IP frames.
    pub header_src_mac: MacAddr,
    pub header_dst_mac: MacAddr,
    /// Cut frames over the MTU instead of skipping them.
    pub truncate_to_mtu: bool,
    /// The sending interface's MTU.
    pub mtu: u32,
    /// Frames per `sendmmsg(2)` at most.
    pub batch: usize,
    /// Keep the absolute schedule after a late frame (the frames made overdue leave at once)
    /// instead of moving the rest of the schedule back by its lateness.
    pub catch_up: bool,
}

/// Why a replay stopped before the end of the file.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file is corrupt or truncated (after the frames before the bad block were sent).
    #[error(transparent)]
    File(#[from] PcapngError),
    /// The socket failed (e.g. the interface went away).
    #[error(transparent)]
    Sock(#[from] SockError),
    /// A frame of a link type that cannot be sent on Ethernet.
    #[error(
        "{file}: link type {linktype} cannot be replayed on Ethernet: supported are {}",
        linktype::SUPPORTED
    )]
    LinkType { file: String, linktype: u16 },
}
