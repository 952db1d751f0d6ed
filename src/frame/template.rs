//! [`FrameTemplate`]: a frame built once, then patched in place for each copy sent.
//!
//! Only the IPv4 id and the TCP sequence number are patchable: enough to make every frame of a
//! burst distinct (order and duplicate checks) without rebuilding it. Where they sit is read
//! from the built frame (the packet view), so a frame from an expression varies as one from
//! the field flags does. Checksums are updated incrementally (RFC 1624, [`super::csum`]), so a
//! patch costs a few instructions and allocates nothing.

use super::wire::{at, ipv4, tcp, Value};
use super::{FrameError, FrameSpec};

/// What changes from one copy of a template to the next: copy `i` gets the spec's value plus `i`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Vary {
    /// Every copy is the same frame.
    #[default]
    Nothing,
    /// The IPv4 id (IPv4 only).
    IpId,
    /// The TCP sequence number (TCP only).
    TcpSeq,
}

/// A built frame and where its patchable header fields are (`vethbench send`'s copies). The
/// harness's frames carry a stamp in their payload instead: that is
/// `harness::stamp::StampedTemplate`.
#[derive(Debug, Clone)]
pub struct FrameTemplate {
    bytes: Vec<u8>,
    vary: Vary,
    /// The varied field's value in copy 0.
    base: u32,
    /// Offset of the IPv4 id and of the IPv4 header checksum (None for IPv6).
    ip_id: Option<(usize, usize)>,
    /// Offset of the TCP sequence number and of the TCP checksum (None unless TCP).
    tcp_seq: Option<(usize, usize)>,
}

impl FrameTemplate {
    /// Build `spec` once.
    pub fn new(spec: &FrameSpec) -> Result<Self, FrameError> {
        Self::with_vary(spec, Vary::Nothing)
    }

    /// Build `spec` once, to be sent as copies that differ by `vary`. Refuses a `vary` the
    /// frame has no field for (IP id of an IPv6 frame, sequence number of a UDP frame).
    pub fn with_vary(spec: &FrameSpec, vary: Vary) -> Result<Self, FrameError> {
        Self::from_frame(spec.build()?, vary)
    }

    /// A frame built by the expression engine (from an expression or a [`FrameSpec`]), to be
    /// sent as copies that differ by `vary`. Where the IPv4 id, the TCP sequence number and
    /// their checksums sit comes from the packet view of the frame itself (the outer IP stack);
    /// copy 0's value is the frame's own. Refuses a `vary` the frame has no field for.
    pub fn from_frame(bytes: Vec<u8>, vary: Vary) -> Result<Self, FrameError> {
        let l = super::view::layout(&bytes);
        let ip_id = l.l3_off.filter(|_| !l.ipv6).map(|o| {
            (
                at(o, ipv4::field::IDENT).start,
                at(o, ipv4::field::CHECKSUM).start,
            )
        });
        // A later fragment carries no TCP header; a first one does (the checksum covers the
        // whole datagram, which an incremental update keeps right).
        let tcp_seq = match l.l4 {
            Some((super::view::L4::Tcp, o)) if o + tcp::HEADER_LEN <= bytes.len() => Some((
                at(o, tcp::field::SEQ_NUM).start,
                at(o, tcp::field::CHECKSUM).start,
            )),
            _ => None,
        };
        let base = match vary {
            Vary::Nothing => 0,
            Vary::IpId => match ip_id {
                Some((id, _)) => u16::get(&bytes[id..id + 2]).into(),
                None => return Err(FrameError::CannotVary { vary }),
            },
            Vary::TcpSeq => match tcp_seq {
                Some((seq, _)) => u32::get(&bytes[seq..seq + 4]),
                None => return Err(FrameError::CannotVary { vary }),
            },
        };
        Ok(FrameTemplate {
            bytes,
            vary,
            base,
            ip_id,
            tcp_seq,
        })
    }

    /// Bytes built elsewhere, sent as identical copies (patchable all the same: see
    /// [`from_frame`](Self::from_frame)).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self::from_frame(bytes, Vary::Nothing).expect("Vary::Nothing is never refused")
    }

    /// The frame as built.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The frame's length.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: a frame has at least its headers.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// What changes between copies.
    pub fn vary(&self) -> Vary {
        self.vary
    }

    /// Make `frame` (any copy of this template) copy number `i`: the varied field becomes the
    /// spec's value plus `i` (wrapping). Does nothing for [`Vary::Nothing`].
    #[inline]
    pub fn make_copy(&self, frame: &mut [u8], i: u64) {
        match self.vary {
            Vary::Nothing => {}
            Vary::IpId => self.patch_ip_id(frame, (self.base as u16).wrapping_add(i as u16)),
            Vary::TcpSeq => self.patch_tcp_seq(frame, self.base.wrapping_add(i as u32)),
        }
    }

    /// True if [`patch_ip_id`](Self::patch_ip_id) applies (IPv4).
    pub fn has_ip_id(&self) -> bool {
        self.ip_id.is_some()
    }

    /// True if [`patch_tcp_seq`](Self::patch_tcp_seq) applies (TCP).
    pub fn has_tcp_seq(&self) -> bool {
        self.tcp_seq.is_some()
    }

    /// Set the IPv4 id of `frame` (a copy of this template, possibly already patched) to `id`,
    /// fixing the header checksum. Does nothing for IPv6.
    pub fn patch_ip_id(&self, frame: &mut [u8], id: u16) {
        if let Some((at, csum)) = self.ip_id {
            patch16(frame, at, csum, id);
        }
    }

    /// Set the TCP sequence number of `frame` to `seq`, fixing the TCP checksum. Does nothing
    /// unless the frame is TCP.
    pub fn patch_tcp_seq(&self, frame: &mut [u8], seq: u32) {
        if let Some((at, csum)) = self.tcp_seq {
            patch16(frame, at, csum, (seq >> 16) as u16);
            patch16(frame, at + 2, csum, seq as u16);
        }
    }
}

/// Replace the bytes at `at` by `new` (an even number of bytes at an even offset of the data
/// each checksum covers: ports, IPv4 addresses) and update each ones'-complement checksum at
/// the offsets `csums` incrementally (RFC 1624, eqn. 3). A UDP checksum of 0 ("none") is left
/// 0 when `udp_csum` names it; a computed 0 is sent as 0xffff there. The harness's flows
/// (`vethbench test --flows/--vary`) are built this way, once per flow. No allocation.
pub fn patch_field(
    frame: &mut [u8],
    at: usize,
    new: &[u8],
    csums: &[usize],
    udp_csum: Option<usize>,
) {
    for &c in csums {
        let hc = u16::get(&frame[c..c + 2]);
        if udp_csum == Some(c) && hc == 0 {
            continue;
        }
        let mut v = super::csum::csum_update(hc, &frame[at..at + new.len()], new, false);
        if udp_csum == Some(c) && v == 0 {
            v = 0xffff;
        }
        v.put(&mut frame[c..c + 2]);
    }
    frame[at..at + new.len()].copy_from_slice(new);
}

/// Replace the 16-bit word at `at` by `new` and update the ones'-complement checksum at `csum`
/// (RFC 1624, eqn. 3).
#[inline]
fn patch16(frame: &mut [u8], at: usize, csum: usize, new: u16) {
    let old = [frame[at], frame[at + 1]];
    let hc = u16::get(&frame[csum..csum + 2]);
    let new = new.to_be_bytes();
    // Both fields patched here sit at even offsets of the checksummed data.
    let hc = super::csum::csum_update(hc, &old, &new, false);
    frame[at..at + 2].copy_from_slice(&new);
    hc.put(&mut frame[csum..csum + 2]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::expr;
    use crate::frame::spec::tests::cases;
    use crate::frame::L4Spec;

    #[test]
    fn patching_matches_a_rebuild() {
        for (name, spec) in cases() {
            let t = FrameTemplate::new(&spec).unwrap();
            let mut frame = t.bytes().to_vec();
            for (id, seq) in [
                (0u16, 0u32),
                (0xffff, 0xffff_ffff),
                (7, 0x0001_0000),
                (4660, 305419896),
            ] {
                t.patch_ip_id(&mut frame, id);
                t.patch_tcp_seq(&mut frame, seq);
                let mut want = spec.clone();
                if t.has_ip_id() {
                    want.ip_id = id;
                }
                if let L4Spec::Tcp { seq: s, .. } = &mut want.l4 {
                    *s = seq;
                }
                assert_eq!(frame, want.build().unwrap(), "{name} id={id} seq={seq}");
            }
        }
    }

    #[test]
    fn patch_field_matches_a_rebuild() {
        let spec = FrameSpec {
            l4: L4Spec::Udp,
            payload: vec![1, 2, 3, 4, 5],
            ..FrameSpec::default()
        };
        let mut f = spec.build().unwrap();
        let (ip, l4) = (spec.ip_offset(), spec.l4_offset());
        patch_field(
            &mut f,
            ip + 12,
            &[198, 18, 3, 4],
            &[ip + 10, l4 + 6],
            Some(l4 + 6),
        );
        patch_field(&mut f, l4, &4321u16.to_be_bytes(), &[l4 + 6], Some(l4 + 6));
        let want = FrameSpec {
            src_ip: [198, 18, 3, 4].into(),
            sport: 4321,
            ..spec
        };
        assert_eq!(f, want.build().unwrap());
    }

    #[test]
    fn copies_vary_from_the_spec_value() {
        let (_, spec) = cases().remove(0);
        let t = FrameTemplate::with_vary(&spec, Vary::IpId).unwrap();
        let mut f = t.bytes().to_vec();
        t.make_copy(&mut f, 5);
        let want = FrameSpec {
            ip_id: spec.ip_id + 5,
            ..spec.clone()
        };
        assert_eq!(f, want.build().unwrap());
        let udp = FrameSpec {
            l4: L4Spec::Udp,
            ..spec
        };
        assert!(FrameTemplate::with_vary(&udp, Vary::TcpSeq).is_err());
    }

    #[test]
    fn an_expression_frame_varies_like_a_spec_frame() {
        // IP options and TCP options move the fields: the offsets come from the frame.
        let src = r#"Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(vlan=5)/IP(src="198.18.0.1", dst="198.18.0.2", id=7, options=[IPOption_Router_Alert()])/TCP(seq=100, options=[("MSS", 1460)])/"x""#;
        let build = |id: u16, seq: u32| {
            let s = src
                .replace("id=7", &format!("id={id}"))
                .replace("seq=100", &format!("seq={seq}"));
            expr::parse(&s).unwrap().build().unwrap().remove(0)
        };
        for (vary, want) in [
            (Vary::IpId, build(7 + 9, 100)),
            (Vary::TcpSeq, build(7, 109)),
        ] {
            let t = FrameTemplate::from_frame(build(7, 100), vary).unwrap();
            let mut f = t.bytes().to_vec();
            t.make_copy(&mut f, 9);
            assert_eq!(f, want, "{vary:?}");
        }
        let udp = expr::parse(r#"Ether()/IPv6()/UDP()"#)
            .unwrap()
            .build()
            .unwrap()
            .remove(0);
        assert!(FrameTemplate::from_frame(udp.clone(), Vary::IpId).is_err());
        assert!(FrameTemplate::from_frame(udp, Vary::TcpSeq).is_err());
    }
}
