//! The writer: pcapng (SHB, one IDB per interface, EPBs, closing ISBs) or classic pcap.
//!
//! EPB `epb_flags` we set (draft-ietf-opsawg-pcapng, "epb_flags"): bits 0-1 direction
//! (01 inbound, 10 outbound), bits 2-4 reception type (001 unicast, 010 multicast,
//! 011 broadcast, 100 promiscuous) from `sll_pkttype`; bit 9 "checksum not ready", bit 10
//! "checksum valid" and bit 11 "TCP segmentation offloaded", the draft's mapping of the ring's
//! TP_STATUS_CSUMNOTREADY, TP_STATUS_CSUM_VALID and TP_STATUS_GSO_TCP (added to the draft in
//! 2023, IETF-OPSAWG-WG/draft-ietf-opsawg-pcap#144). Readers older than that (Wireshark 4.0
//! among them) show bits 9-11 only as "reserved", so a frame whose checksum is not ready also
//! gets a constant `opt_comment` "csum-not-ready", which every Wireshark shows
//! (`frame.comment`).

use std::fs::File;
use std::io::Write;

use super::PcapngError;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Pcapng,
    /// Classic pcap with the nanosecond magic (0xa1b23c4d).
    Pcap,
}

/// What the IDB says about one capturing interface.
#[derive(Debug, Clone)]
pub struct IfaceDesc {
    pub name: String,
    pub snaplen: u32,
    /// The filter expression, written as `if_filter` (libpcap syntax).
    pub filter: Option<String>,
}

/// Per-interface counters for the closing ISB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IfaceStats {
    pub start_ns: u64,
    pub end_ns: u64,
    /// Frames the interface's socket saw (isb_ifrecv).
    pub received: u64,
    /// Frames the kernel dropped (isb_ifdrop).
    pub dropped: u64,
}

/// `epb_flags` bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EpbFlags(pub u32);

impl EpbFlags {
    pub const INBOUND: u32 = 0b01;
    pub const OUTBOUND: u32 = 0b10;
    /// Bit 9: the transport checksum is partial (offload), do not validate it.
    pub const CSUM_NOT_READY: u32 = 1 << 9;
    /// Bit 10: the checksum was already validated.
    pub const CSUM_VALID: u32 = 1 << 10;
    /// Bit 11: a TCP segmentation-offload (GSO/GRO) frame, larger than the MTU.
    pub const TCP_SEGMENTATION_OFFLOADED: u32 = 1 << 11;

    /// Direction and reception type from an AF_PACKET `sll_pkttype`.
    pub fn from_pkttype(pkttype: u8) -> Self {
        let (dir, rx) = match pkttype {
            libc::PACKET_HOST => (Self::INBOUND, 1),
            libc::PACKET_MULTICAST => (Self::INBOUND, 2),
            libc::PACKET_BROADCAST => (Self::INBOUND, 3),
            libc::PACKET_OTHERHOST => (Self::INBOUND, 4),
            libc::PACKET_OUTGOING => (Self::OUTBOUND, 0),
            _ => (0, 0),
        };
        EpbFlags(dir | (rx << 2))
    }
}

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const ISB: u32 = 5;
const EPB: u32 = 6;
const BOM: u32 = 0x1A2B_3C4D;
const LINKTYPE_ETHERNET: u16 = 1;
const BUF_CAP: usize = 1 << 20;
const CSUM_COMMENT: &[u8] = b"csum-not-ready";

fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// Append one option (code, length, value, padding) to a block being built.
fn opt(buf: &mut Vec<u8>, code: u16, val: &[u8]) {
    buf.extend_from_slice(&code.to_le_bytes());
    buf.extend_from_slice(&(val.len() as u16).to_le_bytes());
    buf.extend_from_slice(val);
    buf.resize(pad4(buf.len()), 0);
}

fn ts_words(ns: u64) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&((ns >> 32) as u32).to_le_bytes());
    b[4..].copy_from_slice(&(ns as u32).to_le_bytes());
    b
}

/// A capture file being written. Not for per-packet allocation: `write_frame` only copies.
#[derive(Debug)]
pub struct CaptureWriter<W: Write> {
    out: W,
    /// Our own 1 MiB buffer: one capacity check per frame, then plain copies.
    buf: Vec<u8>,
    path: String,
    format: Format,
    n_ifaces: u32,
    frames: u64,
}

impl CaptureWriter<File> {
    /// Create (truncate) `path` and write the headers: an unwritable path fails here, at once.
    pub fn create(path: &str, format: Format, ifaces: &[IfaceDesc]) -> Result<Self, PcapngError> {
        let f = File::create(path).map_err(|source| PcapngError::Io {
            path: path.to_string(),
            source,
        })?;
        CaptureWriter::new(f, path, format, ifaces)
    }
}

impl<W: Write> CaptureWriter<W> {
    /// Write the headers to `w`. `path` only labels errors.
    pub fn new(
        w: W,
        path: &str,
        format: Format,
        ifaces: &[IfaceDesc],
    ) -> Result<Self, PcapngError> {
        let mut me = CaptureWriter {
            out: w,
            buf: Vec::with_capacity(BUF_CAP),
            path: path.to_string(),
            format,
            n_ifaces: ifaces.len() as u32,
            frames: 0,
        };
        let mut hdr = Vec::with_capacity(512);
        match format {
            Format::Pcap => {
                let snap = ifaces.iter().map(|i| i.snaplen).max().unwrap_or(262144);
                hdr.extend_from_slice(&0xA1B2_3C4Du32.to_le_bytes());
                hdr.extend_from_slice(&2u16.to_le_bytes());
                hdr.extend_from_slice(&4u16.to_le_bytes());
                hdr.extend_from_slice(&0i32.to_le_bytes());
                hdr.extend_from_slice(&0u32.to_le_bytes());
                hdr.extend_from_slice(&snap.to_le_bytes());
                hdr.extend_from_slice(&(LINKTYPE_ETHERNET as u32).to_le_bytes());
            }
            Format::Pcapng => {
                let mut body = Vec::with_capacity(256);
                body.extend_from_slice(&BOM.to_le_bytes());
                body.extend_from_slice(&1u16.to_le_bytes());
                body.extend_from_slice(&0u16.to_le_bytes());
                body.extend_from_slice(&(-1i64).to_le_bytes());
                if let Ok(u) = nix::sys::utsname::uname() {
                    opt(&mut body, 2, u.machine().to_string_lossy().as_bytes());
                    let os = format!(
                        "{} {}",
                        u.sysname().to_string_lossy(),
                        u.release().to_string_lossy()
                    );
                    opt(&mut body, 3, os.as_bytes());
                }
                let app = concat!("vethbench ", env!("CARGO_PKG_VERSION"));
                opt(&mut body, 4, app.as_bytes());
                opt(&mut body, 0, &[]);
                block(&mut hdr, SHB, &body);
                for i in ifaces {
                    body.clear();
                    body.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
                    body.extend_from_slice(&0u16.to_le_bytes());
                    body.extend_from_slice(&i.snaplen.to_le_bytes());
                    opt(&mut body, 2, i.name.as_bytes());
                    opt(&mut body, 9, &[9]);
                    if let Some(f) = &i.filter {
                        // First byte 0: a libpcap filter string.
                        let mut v = Vec::with_capacity(f.len() + 1);
                        v.push(0);
                        v.extend_from_slice(f.as_bytes());
                        opt(&mut body, 11, &v);
                    }
                    opt(&mut body, 0, &[]);
                    block(&mut hdr, IDB, &body);
                }
            }
        }
        me.put(&hdr)?;
        // Write the headers now: a full disk or a bad device fails here, not minutes later.
        me.flush()?;
        Ok(me)
    }

    fn put(&mut self, b: &[u8]) -> Result<(), PcapngError> {
        self.room(b.len())?;
        self.buf.extend_from_slice(b);
        Ok(())
    }

    /// Make room for `n` more bytes, writing the buffer out when it would overflow.
    #[inline]
    fn room(&mut self, n: usize) -> Result<(), PcapngError> {
        if self.buf.len() + n > self.buf.capacity() {
            self.write_buf()?;
        }
        Ok(())
    }

    fn write_buf(&mut self) -> Result<(), PcapngError> {
        let r = self.out.write_all(&self.buf);
        self.buf.clear();
        r.map_err(|source| PcapngError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Append one frame. `data` may be shorter than `orig_len` (snaplen).
    pub fn write_frame(
        &mut self,
        iface: u32,
        ts_ns: u64,
        data: &[u8],
        orig_len: u32,
        flags: EpbFlags,
        csum_not_ready: bool,
    ) -> Result<(), PcapngError> {
        debug_assert!(iface < self.n_ifaces.max(1));
        let flags = if csum_not_ready {
            EpbFlags(flags.0 | EpbFlags::CSUM_NOT_READY)
        } else {
            flags
        };
        self.frames += 1;
        let cap = data.len();
        match self.format {
            Format::Pcap => {
                let mut h = [0u8; 16];
                h[0..4].copy_from_slice(&((ts_ns / 1_000_000_000) as u32).to_le_bytes());
                h[4..8].copy_from_slice(&((ts_ns % 1_000_000_000) as u32).to_le_bytes());
                h[8..12].copy_from_slice(&(cap as u32).to_le_bytes());
                h[12..16].copy_from_slice(&orig_len.to_le_bytes());
                self.room(16 + cap)?;
                self.buf.extend_from_slice(&h);
                self.buf.extend_from_slice(data);
                Ok(())
            }
            Format::Pcapng => {
                let padded = pad4(cap);
                let mut opts_len = 0;
                if flags.0 != 0 {
                    opts_len += 8;
                }
                if csum_not_ready {
                    opts_len += 4 + pad4(CSUM_COMMENT.len());
                }
                if opts_len != 0 {
                    opts_len += 4; // opt_endofopt
                }
                let total = (32 + padded + opts_len) as u32;
                let mut h = [0u8; 28];
                h[0..4].copy_from_slice(&EPB.to_le_bytes());
                h[4..8].copy_from_slice(&total.to_le_bytes());
                h[8..12].copy_from_slice(&iface.to_le_bytes());
                h[12..20].copy_from_slice(&ts_words(ts_ns));
                h[20..24].copy_from_slice(&(cap as u32).to_le_bytes());
                h[24..28].copy_from_slice(&orig_len.to_le_bytes());
                self.room(total as usize)?;
                self.buf.extend_from_slice(&h);
                self.buf.extend_from_slice(data);
                // Padding, options and trailer assembled on the stack.
                let mut t = [0u8; 3 + 8 + 4 + 16 + 4 + 4];
                let mut n = padded - cap;
                if flags.0 != 0 {
                    t[n..n + 2].copy_from_slice(&2u16.to_le_bytes());
                    t[n + 2..n + 4].copy_from_slice(&4u16.to_le_bytes());
                    t[n + 4..n + 8].copy_from_slice(&flags.0.to_le_bytes());
                    n += 8;
                }
                if csum_not_ready {
                    t[n..n + 2].copy_from_slice(&1u16.to_le_bytes());
                    t[n + 2..n + 4].copy_from_slice(&(CSUM_COMMENT.len() as u16).to_le_bytes());
                    t[n + 4..n + 4 + CSUM_COMMENT.len()].copy_from_slice(CSUM_COMMENT);
                    n += 4 + pad4(CSUM_COMMENT.len());
                }
                if opts_len != 0 {
                    n += 4; // opt_endofopt: already zero
                }
                t[n..n + 4].copy_from_slice(&total.to_le_bytes());
                n += 4;
                self.buf.extend_from_slice(&t[..n]);
                Ok(())
            }
        }
    }

    /// Push buffered frames to the file (for live readers of a growing file).
    pub fn flush(&mut self) -> Result<(), PcapngError> {
        self.write_buf()?;
        self.out.flush().map_err(|source| PcapngError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Write one ISB per interface (pcapng), flush, and return the inner writer.
    pub fn finish(mut self, stats: &[IfaceStats]) -> Result<W, PcapngError> {
        if self.format == Format::Pcapng {
            let mut buf = Vec::with_capacity(128);
            let mut body = Vec::with_capacity(96);
            for (i, s) in stats.iter().enumerate().take(self.n_ifaces as usize) {
                body.clear();
                body.extend_from_slice(&(i as u32).to_le_bytes());
                body.extend_from_slice(&ts_words(s.end_ns));
                opt(&mut body, 2, &ts_words(s.start_ns));
                opt(&mut body, 3, &ts_words(s.end_ns));
                opt(&mut body, 4, &s.received.to_le_bytes());
                opt(&mut body, 5, &s.dropped.to_le_bytes());
                opt(&mut body, 0, &[]);
                buf.clear();
                block(&mut buf, ISB, &body);
                self.put(&buf)?;
            }
        }
        self.flush()?;
        Ok(self.out)
    }
}

/// Frame a block: type, total length, body (already padded), total length.
fn block(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
    let total = (12 + body.len()) as u32;
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&total.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epb_golden_bytes() {
        let ifs = [IfaceDesc {
            name: "vethY".into(),
            snaplen: 262144,
            filter: None,
        }];
        let mut w = CaptureWriter::new(Vec::new(), "mem", Format::Pcapng, &ifs).unwrap();
        let hdr_len = w.out.len() + w.buf.len();
        w.write_frame(
            0,
            0x1_0000_0002,
            &[0xaa, 0xbb, 0xcc],
            60,
            EpbFlags(1),
            false,
        )
        .unwrap();
        let v = w.finish(&[IfaceStats::default()]).unwrap();
        let epb = &v[hdr_len..hdr_len + 48];
        #[rustfmt::skip]
        let want: [u8; 48] = [
            6, 0, 0, 0,             // block type EPB
            48, 0, 0, 0,            // total length
            0, 0, 0, 0,             // interface 0
            1, 0, 0, 0,             // timestamp high word
            2, 0, 0, 0,             // timestamp low word
            3, 0, 0, 0,             // captured length
            60, 0, 0, 0,            // original length
            0xaa, 0xbb, 0xcc, 0,    // data + padding
            2, 0, 4, 0, 1, 0, 0, 0, // epb_flags = inbound
            0, 0, 0, 0,             // opt_endofopt
            48, 0, 0, 0,            // total length again
        ];
        assert_eq!(epb, &want);
    }

    #[test]
    fn pcap_file_crate_reads_our_pcapng() {
        use pcap_file::pcapng::{Block, PcapNgReader};
        let ifs = [
            IfaceDesc {
                name: "a".into(),
                snaplen: 65535,
                filter: Some("tcp".into()),
            },
            IfaceDesc {
                name: "b".into(),
                snaplen: 65535,
                filter: None,
            },
        ];
        let mut w = CaptureWriter::new(Vec::new(), "mem", Format::Pcapng, &ifs).unwrap();
        w.write_frame(
            1,
            1_700_000_000_123_456_789,
            &[1; 61],
            61,
            EpbFlags(1),
            true,
        )
        .unwrap();
        let st = IfaceStats {
            start_ns: 5_000_000_001,
            end_ns: 1_700_000_000_999_999_999,
            received: 7,
            dropped: 3,
        };
        let v = w.finish(&[st, st]).unwrap();
        let mut r = PcapNgReader::new(&v[..]).unwrap();
        let mut epbs = 0;
        let mut isbs = 0;
        while let Some(b) = r.next_block() {
            match b.unwrap().0 {
                Block::EnhancedPacket(e) => {
                    epbs += 1;
                    assert_eq!(e.interface_id, 1);
                    assert_eq!(e.data.len(), 61);
                    assert_eq!(e.timestamp.as_nanos(), 1_700_000_000_123_456_789);
                }
                Block::InterfaceStatistics(_) => isbs += 1,
                _ => {}
            }
        }
        assert_eq!((epbs, isbs), (1, 2));
    }
}
