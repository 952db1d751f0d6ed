//! Ring metadata → pcapng EPB flags, and a [`Recorder`] that writes frames with them.
//!
//! The one place the kernel's view of a frame (packet type, direction, checksum status, GSO)
//! becomes EPB flags: the capture engine and the harness's pcapng tap both write through here.

use std::fs::File;

use crate::pcapng::{CaptureWriter, EpbFlags, IfaceStats, PcapngError};
use crate::sock::RxMeta;

/// Direction and reception type from `meta.pkttype`, plus the checksum and GSO bits.
pub fn epb_flags(meta: &RxMeta) -> EpbFlags {
    let mut flags = EpbFlags::from_pkttype(meta.pkttype);
    if meta.csum_valid {
        flags.0 |= EpbFlags::CSUM_VALID;
    }
    if meta.gso_tcp {
        flags.0 |= EpbFlags::TCP_SEGMENTATION_OFFLOADED;
    }
    flags
}

/// A capture file written frame by frame with the kernel's metadata.
#[derive(Debug)]
pub struct Recorder {
    w: CaptureWriter<File>,
}

impl Recorder {
    pub fn new(w: CaptureWriter<File>) -> Self {
        Recorder { w }
    }

    /// Append `data` (what was kept of the frame) as received on interface `iface`.
    pub fn record(&mut self, iface: u32, data: &[u8], meta: &RxMeta) -> Result<(), PcapngError> {
        self.w.write_frame(
            iface,
            meta.ts_ns,
            data,
            meta.wire_len,
            epb_flags(meta),
            meta.csum_not_ready,
        )
    }

    /// Push the buffer to the file.
    pub fn flush(&mut self) -> Result<(), PcapngError> {
        self.w.flush()
    }

    /// Write the closing statistics blocks and flush.
    pub fn finish(self, stats: &[IfaceStats]) -> Result<(), PcapngError> {
        self.w.finish(stats).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_metadata_becomes_the_flags() {
        let meta = |pkttype, csum_valid, gso_tcp| RxMeta {
            pkttype,
            csum_valid,
            gso_tcp,
            ..RxMeta::default()
        };
        // Inbound (bits 0-1 = 1), reception type in bits 2-4.
        assert_eq!(
            epb_flags(&meta(libc::PACKET_HOST, false, false)).0,
            1 | 1 << 2
        );
        assert_eq!(
            epb_flags(&meta(libc::PACKET_MULTICAST, false, false)).0,
            1 | 2 << 2
        );
        assert_eq!(
            epb_flags(&meta(libc::PACKET_BROADCAST, false, false)).0,
            1 | 3 << 2
        );
        assert_eq!(
            epb_flags(&meta(libc::PACKET_OTHERHOST, false, false)).0,
            1 | 4 << 2
        );
        assert_eq!(epb_flags(&meta(libc::PACKET_OUTGOING, false, false)).0, 2);
        assert_eq!(
            epb_flags(&meta(libc::PACKET_HOST, true, true)).0,
            1 | 1 << 2 | EpbFlags::CSUM_VALID | EpbFlags::TCP_SEGMENTATION_OFFLOADED
        );
    }
}
