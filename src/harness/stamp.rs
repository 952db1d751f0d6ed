//! The test stamp every harness frame carries, written in place into a copy of a template frame.
//!
//! Layout, 24 bytes, big-endian, at a fixed offset (by default the start of the innermost payload:
//! after UDP/TCP/ICMP, or after the Ethernet/VLAN header when there is no IP):
//!
//! ```text
//! 0..4    magic      "VBT1" (0x56425431)
//! 4..8    stream id  u32, tells concurrent runs apart
//! 8..16   seq        u64, 0, 1, 2... per stream
//! 16..24  tx_ns      u64, CLOCK_REALTIME in ns, read just before the send syscall
//! ```
//!
//! Why CLOCK_REALTIME: AF_PACKET receive timestamps (`tp_sec`/`tp_nsec` in the ring, and
//! SO_TIMESTAMPNS) are `skb->tstamp`, taken with `ktime_get_real()`, unless hardware stamping
//! is asked for. Using the same clock on both sides makes `rx_ts - tx_ns` the one-way time.
//!
//! What stays true: stamping allocates nothing and touches 16 bytes plus the transport checksum,
//! which is fixed up incrementally (RFC 1624) from the template's value, so a template whose
//! checksum is deliberately wrong stays wrong by the same amount, and a UDP checksum of 0
//! ("none", IPv4) stays 0. The IPv4 header checksum does not cover the payload: untouched.

use super::HarnessError;
pub use crate::frame::csum::csum_update;
use crate::frame::csum::fold;
use crate::frame::view::{self, L4};

/// "VBT1".
pub const MAGIC: u32 = 0x5642_5431;
/// Bytes of the stamp.
pub const STAMP_LEN: usize = 24;

/// The fields of a stamp read back from a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub stream_id: u32,
    pub seq: u64,
    pub tx_ns: u64,
}

/// The current CLOCK_REALTIME in ns: the clock of AF_PACKET receive timestamps.
#[inline]
pub fn now_realtime_ns() -> u64 {
    // clock_gettime(CLOCK_REALTIME) cannot fail with a valid clock id; 0 would only show as a
    // huge latency, never as a crash.
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_REALTIME)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// Where the transport checksum is and how to treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CsumField {
    off: usize,
    /// The stamp starts at an odd distance from the start of the checksummed data.
    odd: bool,
    /// UDP: 0 means "no checksum" and a computed 0 is sent as 0xffff.
    udp: bool,
}

/// A frame built once, with a stamp slot: every frame of a stream is a copy of it with its own
/// sequence number and transmit time, in the payload (the harness's frames). Not to be confused
/// with [`frame::FrameTemplate`](crate::frame::FrameTemplate), whose copies differ in a header
/// field (IPv4 id, TCP seq) and carry no stamp (`vethbench send`'s frames).
#[derive(Debug, Clone)]
pub struct StampedTemplate {
    bytes: Vec<u8>,
    stamp_off: usize,
    stream_id: u32,
    csum: Option<CsumField>,
    /// The checksum field of `bytes` (seq = 0, tx_ns = 0).
    csum0: u16,
}

/// Why a template frame cannot carry the stamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The stamp would overwrite a header vethbench does not parse.
    #[error("{frame}: the {STAMP_LEN}-byte stamp would overwrite a header; use a UDP, TCP or ICMP frame")]
    HeaderInTheWay { frame: Unstampable },
    /// The frame ends before the stamp would.
    #[error(
        "a {len}-byte frame has no room for the {STAMP_LEN}-byte stamp at offset {stamp_off} \
         (it needs at least {} bytes: give it a payload of at least {STAMP_LEN} bytes)",
        .stamp_off + STAMP_LEN
    )]
    TooShort { len: usize, stamp_off: usize },
    /// The stamp would run past the transport payload into Ethernet padding.
    #[error(
        "the transport payload ends at byte {payload_end} of this {len}-byte frame, the rest is \
         padding: no room for the {STAMP_LEN}-byte stamp at offset {stamp_off} (give it a \
         payload of at least {STAMP_LEN} bytes)"
    )]
    IntoPadding {
        payload_end: usize,
        len: usize,
        stamp_off: usize,
    },
    /// The stamp would overlap the transport header (whose checksum it fixes up).
    #[error("stamp offset {stamp_off} overlaps the transport header at {l4_off}")]
    OverlapsHeader { stamp_off: usize, l4_off: usize },
}

/// A frame whose payload does not start where vethbench can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unstampable {
    #[error("an IGMP frame")]
    Igmp,
    #[error("an IP frame of protocol {0}")]
    IpProtocol(u8),
    #[error("an IP frame whose transport header is not in it")]
    NoTransportHeader,
    #[error("an ARP frame")]
    Arp,
}

impl StampedTemplate {
    /// Put a stamp slot for `stream_id` at the start of the transport payload of `frame`: a
    /// UDP, TCP, ICMP or ICMPv6 payload, or what follows the Ethernet header (and tags) of a
    /// non-IP frame. Refused where the stamp would overwrite a header vethbench does not parse
    /// (another IP protocol, ARP, a non-first fragment) or run into Ethernet padding.
    pub fn new(frame: Vec<u8>, stream_id: u32) -> Result<Self, HarnessError> {
        let lay = view::layout(&frame);
        let refuse = |frame: Unstampable| Err(TemplateError::HeaderInTheWay { frame }.into());
        match lay.l4 {
            Some((L4::Tcp | L4::Udp, _)) | Some((L4::Icmpv4 | L4::Icmpv6, _)) => {}
            Some((L4::Igmp, _)) => return refuse(Unstampable::Igmp),
            Some((L4::Other(p), _)) => return refuse(Unstampable::IpProtocol(p)),
            None if lay.l3_off.is_some() => return refuse(Unstampable::NoTransportHeader),
            None if lay.ether_type == 0x0806 => return refuse(Unstampable::Arp),
            None => {}
        }
        let off = lay.payload_off;
        Self::with_offset(frame, stream_id, off)
    }

    /// Put a stamp slot at byte `stamp_off` of `frame` (it must fit, and not overlap a header
    /// the checksum lives in).
    pub fn with_offset(
        mut frame: Vec<u8>,
        stream_id: u32,
        stamp_off: usize,
    ) -> Result<Self, HarnessError> {
        if stamp_off + STAMP_LEN > frame.len() {
            return Err(TemplateError::TooShort {
                len: frame.len(),
                stamp_off,
            }
            .into());
        }
        let lay = view::layout(&frame);
        if stamp_off >= lay.payload_off && stamp_off + STAMP_LEN > lay.payload_end {
            return Err(TemplateError::IntoPadding {
                payload_end: lay.payload_end,
                len: frame.len(),
                stamp_off,
            }
            .into());
        }
        let csum = match (lay.l4, lay.l4_csum_off) {
            (Some((l4, l4_off)), Some(off)) if stamp_off >= l4_off => {
                if stamp_off < off + 2 {
                    return Err(TemplateError::OverlapsHeader { stamp_off, l4_off }.into());
                }
                Some(CsumField {
                    off,
                    odd: (stamp_off - l4_off) % 2 == 1,
                    udp: l4 == L4::Udp,
                })
            }
            _ => None,
        };
        let mut new = [0u8; STAMP_LEN];
        new[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        new[4..8].copy_from_slice(&stream_id.to_be_bytes());
        let mut csum0 = 0;
        if let Some(c) = csum {
            let hc = u16::from_be_bytes([frame[c.off], frame[c.off + 1]]);
            csum0 = if c.udp && hc == 0 {
                0
            } else {
                let mut v = csum_update(hc, &frame[stamp_off..stamp_off + STAMP_LEN], &new, c.odd);
                if c.udp && v == 0 {
                    v = 0xffff;
                }
                v
            };
            frame[c.off..c.off + 2].copy_from_slice(&csum0.to_be_bytes());
        }
        frame[stamp_off..stamp_off + STAMP_LEN].copy_from_slice(&new);
        Ok(StampedTemplate {
            bytes: frame,
            stamp_off,
            stream_id,
            csum,
            csum0,
        })
    }

    /// The template bytes (seq 0, tx_ns 0).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Frame length.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: a template holds at least a stamp.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn stamp_off(&self) -> usize {
        self.stamp_off
    }

    pub fn stream_id(&self) -> u32 {
        self.stream_id
    }

    /// Offset of the transport checksum the stamp is folded into, if any.
    pub fn csum_off(&self) -> Option<usize> {
        self.csum.map(|c| c.off)
    }

    /// The transport checksum a frame stamped with `seq`/`tx_ns` carries (None: no checksum).
    #[inline]
    pub fn expected_csum(&self, seq: u64, tx_ns: u64) -> Option<u16> {
        let c = self.csum?;
        if c.udp && self.csum0 == 0 {
            return Some(0);
        }
        // The template's seq/tx_ns are zero, so the update only adds the new words.
        let mut n = fold(
            (seq >> 48)
                + ((seq >> 32) & 0xffff)
                + ((seq >> 16) & 0xffff)
                + (seq & 0xffff)
                + (tx_ns >> 48)
                + ((tx_ns >> 32) & 0xffff)
                + ((tx_ns >> 16) & 0xffff)
                + (tx_ns & 0xffff),
        );
        if c.odd {
            n = n.swap_bytes();
        }
        let mut v = !fold(!self.csum0 as u64 + n as u64);
        if c.udp && v == 0 {
            v = 0xffff;
        }
        Some(v)
    }

    /// Write `seq` and `tx_ns` into `buf`, a copy of [`StampedTemplate::bytes`] (possibly stamped
    /// before, with any seq), and set the checksum. Only the seq, tx_ns and checksum bytes are
    /// written, and the checksum is computed from the template's, not from `buf`'s: every other
    /// byte of `buf` must already be the template's. No allocation.
    #[inline]
    pub fn stamp(&self, buf: &mut [u8], seq: u64, tx_ns: u64) {
        let o = self.stamp_off;
        buf[o + 8..o + 16].copy_from_slice(&seq.to_be_bytes());
        buf[o + 16..o + 24].copy_from_slice(&tx_ns.to_be_bytes());
        if let (Some(c), Some(v)) = (self.csum, self.expected_csum(seq, tx_ns)) {
            buf[c.off..c.off + 2].copy_from_slice(&v.to_be_bytes());
        }
    }

    /// Write frame `seq` into a transmit slot lent by a sink (a
    /// [`Fill`](super::ends::Fill)): the whole template first when the slot is `fresh`,
    /// then the stamp; returns the frame length. A slot that is not fresh must hold what an
    /// earlier `fill_slot` of this template left (any seq). A slot shorter than the frame is
    /// left untouched, and the length returned is over `slot.len()`: the sink refuses it.
    /// No allocation.
    #[inline]
    pub fn fill_slot(&self, slot: &mut [u8], fresh: bool, seq: u64, tx_ns: u64) -> usize {
        if let Some(f) = slot.get_mut(..self.bytes.len()) {
            if fresh {
                f.copy_from_slice(&self.bytes);
            }
            self.stamp(f, seq, tx_ns);
        }
        self.bytes.len()
    }
}

/// Read a stamp at `off` in `frame`; None when the frame is too short or the magic differs.
#[inline]
pub fn parse(frame: &[u8], off: usize) -> Option<Stamp> {
    let s = frame.get(off..off + STAMP_LEN)?;
    if s[0..4] != MAGIC.to_be_bytes() {
        return None;
    }
    let u32_at = |i: usize| u32::from_be_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
    let u64_at = |i: usize| (u32_at(i) as u64) << 32 | u32_at(i + 4) as u64;
    Some(Stamp {
        stream_id: u32_at(4),
        seq: u64_at(8),
        tx_ns: u64_at(16),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use etherparse::{PacketBuilder, SlicedPacket, TransportSlice};

    pub(crate) fn udp4(payload_len: usize) -> Vec<u8> {
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
            .udp(1111, 2222);
        let mut v = Vec::new();
        let payload: Vec<u8> = (0..payload_len).map(|i| i as u8).collect();
        b.write(&mut v, &payload).unwrap();
        v
    }

    /// Where the stamp cannot go, StampedTemplate::new says so instead of writing over a header or
    /// into Ethernet padding (each of these was accepted, and sent with a bad checksum or a
    /// broken header, before).
    #[test]
    fn the_stamp_stays_inside_the_transport_payload() {
        let refused = |f: Vec<u8>, why: &str| match StampedTemplate::new(f, 1) {
            Err(HarnessError::Template(m)) => assert!(m.to_string().contains(why), "{m}"),
            other => panic!("{why}: {other:?}"),
        };
        // A 2-byte UDP payload padded to 84 bytes: the stamp would run into the padding.
        let mut f = udp4(2);
        f.resize(84, 0);
        refused(f, "the rest is padding");
        // UDP length 20 (a 12-byte payload) in a longer IP datagram.
        let mut f = udp4(40);
        f[38..40].copy_from_slice(&20u16.to_be_bytes());
        refused(f, "padding");
        // GRE (IP protocol 47): its header would be overwritten.
        let mut f = udp4(40);
        f[23] = 47;
        refused(f, "protocol 47");
        // A non-first fragment: no transport header in it.
        let mut f = udp4(40);
        f[20..22].copy_from_slice(&0x0010u16.to_be_bytes());
        refused(f, "transport header is not in it");
        // ARP.
        let mut f = vec![0u8; 14 + 28 + 40];
        f[12..14].copy_from_slice(&0x0806u16.to_be_bytes());
        refused(f, "ARP");
        // A non-IP ethertype of the user's: the stamp follows the Ethernet header.
        let mut f = vec![0u8; 14 + 60];
        f[12..14].copy_from_slice(&0x88b5u16.to_be_bytes());
        assert_eq!(StampedTemplate::new(f, 1).unwrap().stamp_off(), 14);
        // Exactly room: a 24-byte UDP payload, no padding.
        assert_eq!(StampedTemplate::new(udp4(24), 1).unwrap().stamp_off(), 42);
    }

    fn tcp6(payload_len: usize) -> Vec<u8> {
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv6([0xfd; 16], [0xfe; 16], 64)
            .tcp(1, 2, 3, 4);
        let mut v = Vec::new();
        b.write(&mut v, &vec![7u8; payload_len]).unwrap();
        v
    }

    /// Checksum validity as etherparse computes it from scratch.
    fn l4_csum_ok(f: &[u8]) -> bool {
        let p = SlicedPacket::from_ethernet(f).unwrap();
        let net = p.net.as_ref().unwrap();
        match (net, p.transport.as_ref().unwrap()) {
            (etherparse::NetSlice::Ipv4(ip), TransportSlice::Udp(u)) => {
                u.to_header()
                    .calc_checksum_ipv4(&ip.header().to_header(), u.payload())
                    .unwrap()
                    == u.checksum()
            }
            (etherparse::NetSlice::Ipv6(ip), TransportSlice::Tcp(t)) => {
                t.to_header()
                    .calc_checksum_ipv6(&ip.header().to_header(), t.payload())
                    .unwrap()
                    == t.checksum()
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn stamp_round_trip_and_checksum_stays_valid() {
        for f in [udp4(40), tcp6(64)] {
            let t = StampedTemplate::new(f, 7).unwrap();
            assert!(l4_csum_ok(t.bytes()));
            let mut buf = t.bytes().to_vec();
            for (seq, ts) in [
                (0, 0),
                (1, 2),
                (u64::MAX, u64::MAX),
                (0x1234_5678_9abc, 1_700_000_000_123_456_789),
            ] {
                t.stamp(&mut buf, seq, ts);
                assert!(l4_csum_ok(&buf), "seq {seq} ts {ts}");
                assert_eq!(
                    parse(&buf, t.stamp_off()),
                    Some(Stamp {
                        stream_id: 7,
                        seq,
                        tx_ns: ts
                    })
                );
            }
        }
    }

    #[test]
    fn odd_offset_checksum() {
        let f = udp4(41);
        let off = 42 + 1;
        let t = StampedTemplate::with_offset(f, 1, off).unwrap();
        let mut buf = t.bytes().to_vec();
        t.stamp(&mut buf, 99, 123_456_789_012);
        assert!(l4_csum_ok(&buf));
    }

    /// The TCP checksum a frame should carry, computed from scratch by etherparse.
    fn tcp6_csum(f: &[u8]) -> u16 {
        let p = SlicedPacket::from_ethernet(f).unwrap();
        match (p.net.as_ref().unwrap(), p.transport.as_ref().unwrap()) {
            (etherparse::NetSlice::Ipv6(ip), TransportSlice::Tcp(t)) => t
                .to_header()
                .calc_checksum_ipv6(&ip.header().to_header(), t.payload())
                .unwrap(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn wrong_checksum_stays_wrong_by_the_same_amount() {
        let mut f = tcp6(32);
        // TCP checksum at 14 + 40 + 16: make it wrong by +0x1234 (one's complement).
        let ok = tcp6_csum(&f);
        let wrong = fold(ok as u64 + 0x1234);
        f[70..72].copy_from_slice(&wrong.to_be_bytes());
        let t = StampedTemplate::new(f, 1).unwrap();
        assert!(!l4_csum_ok(t.bytes()));
        let mut buf = t.bytes().to_vec();
        for (seq, ts) in [(5, 6), (u64::MAX, 1 << 62)] {
            t.stamp(&mut buf, seq, ts);
            assert!(!l4_csum_ok(&buf));
            // Still off by exactly +0x1234 from the right value.
            let got = u16::from_be_bytes([buf[70], buf[71]]);
            assert_eq!(got, fold(tcp6_csum(&buf) as u64 + 0x1234));
        }
    }

    #[test]
    fn udp_zero_checksum_stays_zero() {
        let mut f = udp4(30);
        f[40] = 0;
        f[41] = 0;
        let t = StampedTemplate::new(f, 1).unwrap();
        let mut buf = t.bytes().to_vec();
        t.stamp(&mut buf, 77, 88);
        assert_eq!(&buf[40..42], &[0, 0]);
    }

    #[test]
    fn fill_slot_writes_the_template_only_when_fresh() {
        let t = StampedTemplate::new(udp4(40), 3).unwrap();
        let mut slot = vec![0xa5u8; 200];
        // Fresh: the whole frame; then reused with other seqs (lower, higher): only the stamp
        // changes, and the frame is the one a fresh slot would get.
        for (fresh, seq, ts) in [(true, 10, 1), (false, 3, 2), (false, u64::MAX, 3)] {
            assert_eq!(t.fill_slot(&mut slot, fresh, seq, ts), t.len());
            let mut want = t.bytes().to_vec();
            t.stamp(&mut want, seq, ts);
            assert_eq!(&slot[..t.len()], &want[..]);
            assert!(l4_csum_ok(&slot[..t.len()]));
            assert!(slot[t.len()..].iter().all(|&b| b == 0xa5));
        }
        // Not fresh: the rest of the slot is trusted as is.
        slot[0] ^= 1;
        t.fill_slot(&mut slot, false, 4, 4);
        assert_ne!(slot[0], t.bytes()[0]);
        // Too small: untouched, and the length says so.
        let mut small = vec![0u8; t.len() - 1];
        assert_eq!(t.fill_slot(&mut small, true, 1, 1), t.len());
        assert!(small.iter().all(|&b| b == 0));
    }

    #[test]
    fn too_small_is_an_error() {
        assert!(StampedTemplate::new(udp4(10), 1).is_err());
        assert!(parse(&udp4(10), 42).is_none());
    }
}
