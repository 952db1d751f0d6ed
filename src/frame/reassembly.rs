//! IP reassembly, as tshark does it by default (`ip.defragment` and `ipv6.defragment` TRUE):
//! the fragments of an IPv4 or IPv6 datagram are kept until the datagram is whole, and the
//! frame that completes it carries the upper layer (UDP, TCP, ICMP...) of the reassembled
//! payload, with the list of its fragments (`ip.fragment`, `ip.fragment.count`,
//! `ip.reassembled.length`...); the other fragments are `Fragmented IP protocol` / `IPv6
//! fragment`, their payload `data` (the first fragment's transport header is not decoded, as
//! in tshark).
//!
//! Keyed as tshark 4.0 keys them (`epan/dissectors/packet-ip.c`, `packet-ipv6.c`): IPv4 on the
//! source, the destination and `protocol ^ id` (XOR-ed with the VLAN id when either address
//! is private or link-local); IPv6 on the source, the destination and the fragment header's
//! identification. What makes a fragment (tshark's conditions): IPv4 with MF set or an offset,
//! a total length above the header's and all of the payload captured (a frame the snap length
//! cut is left alone); IPv6 with a fragment header that is not atomic (offset 0 and M clear)
//! and all of its payload captured. Only the outer IP header of a frame is reassembled
//! (Ethernet, 802.1Q/802.1ad tags, raw IP and Linux cooked frames); fragments inside a tunnel
//! or behind MPLS are not (a known difference).
//!
//! Completion and overlaps follow tshark's `epan/reassemble.c` (`fragment_add_work`,
//! `fragment_defragment_and_free`): fragments are kept sorted by offset (a later one of equal
//! offset after the earlier); the datagram's length is set by the first fragment without MF;
//! the datagram is whole once the fragments cover 0..length without a hole; it is then built
//! in offset order, where fragments overlap the bytes already placed win (the earlier offset),
//! the overlapping fragment is marked `overlap`, and `conflict` when its bytes differ; a tail
//! of another length marks `multiple tails`, a fragment past the end `too long`. Once whole,
//! the datagram leaves the table: a fragment of it seen later starts a new one (tshark's
//! single pass prints it as a fragment without a note). A datagram that never completes
//! (a fragment missing) leaves all its frames as fragments.
//!
//! Memory is bounded: at most [`MAX_PENDING_DATAGRAMS`] datagrams and [`MAX_PENDING_BYTES`]
//! bytes of fragment payload are kept pending; past either, the datagram pending the longest
//! is dropped (its fragments stay fragments; tshark keeps everything until the end). A
//! datagram longer than [`MAX_DATAGRAM_LEN`] is not reassembled.
//!
//! What must stay true: a frame that is not a fragment costs a few header reads and allocates
//! nothing ([`Reassembler::add`] returns `None`); a fragment's readers get the frame
//! ([`Defrag::frame`]) and the bytes to walk (the frame, or for the completing frame its
//! headers up to the fragment's payload followed by the whole reassembled payload).

use std::collections::HashMap;

use super::view::Encap;
use super::wire::ethernet::{self, ethertype};
use super::wire::ip::protocol;
use super::wire::{ipv4, ipv6, sll, vlan, Value};

/// Datagrams kept pending at once, at most.
pub const MAX_PENDING_DATAGRAMS: usize = 4096;

/// Bytes of fragment payload kept pending at once, at most (64 MiB).
pub const MAX_PENDING_BYTES: usize = 64 << 20;

/// The longest datagram reassembled (IPv4's largest: offset 8191 × 8 plus a 65,515-byte
/// fragment, rounded up).
pub const MAX_DATAGRAM_LEN: usize = 1 << 17;

/// tshark's `-o ip.defragment` and `-o ipv6.defragment` (both TRUE by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefs {
    pub ipv4: bool,
    pub ipv6: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            ipv4: true,
            ipv6: true,
        }
    }
}

/// One fragment of a reassembled datagram, as tshark lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fragment {
    /// Its frame number.
    pub frame: u64,
    /// Its offset in the datagram, in bytes.
    pub offset: u32,
    /// Its payload length.
    pub len: u32,
    /// It overlaps bytes an earlier fragment placed (`ip.fragment.overlap`).
    pub overlap: bool,
    /// ... and its bytes there differ (`ip.fragment.overlap.conflict`).
    pub conflict: bool,
    /// A tail (no MF) with another end than the first tail (`ip.fragment.multipletails`).
    pub multiple_tails: bool,
    /// It reaches past the datagram's end (`ip.fragment.toolongfragment`).
    pub too_long: bool,
}

impl Fragment {
    /// tshark lists such a fragment as `ip.fragment.error`, not `ip.fragment`.
    pub fn is_error(&self) -> bool {
        self.conflict || self.multiple_tails || self.too_long
    }
}

/// Where a fragment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    /// Its datagram is not whole (yet, or ever).
    #[default]
    Pending,
    /// This frame completed its datagram.
    Reassembled,
}

/// What the readers of a fragment's frame need: where its IP header and payload are, and, for
/// the frame that completed a datagram, its fragments.
#[derive(Debug, Clone, Default)]
pub struct Defrag {
    pub state: State,
    /// IPv6 (else IPv4).
    pub ipv6: bool,
    /// The fragment's IP header in the frame (and in the bytes walked).
    pub l3_off: usize,
    /// Where the fragment's payload starts: after the IPv4 header, after the IPv6 fragment
    /// header. In the bytes walked of a completed datagram, the reassembled payload starts here.
    pub payload_off: usize,
    /// The protocol of the payload (IPv4's protocol, the fragment header's next header).
    pub proto: u8,
    /// The frame's own bytes.
    pub frame: Vec<u8>,
    /// Reassembled: the fragments in offset order.
    pub fragments: Vec<Fragment>,
    /// Reassembled: the datagram's length.
    pub len: usize,
    /// Pending, with two passes (`-2`): the frame that completes the datagram.
    pub reassembled_in: Option<u64>,
}

/// tshark's reassembly key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    V4 {
        src: [u8; 4],
        dst: [u8; 4],
        id: u32,
    },
    V6 {
        src: [u8; 16],
        dst: [u8; 16],
        id: u32,
    },
}

/// A fragment kept pending, with its bytes.
#[derive(Debug)]
struct Held {
    frag: Fragment,
    data: Vec<u8>,
}

#[derive(Debug, Default)]
struct Pending {
    /// Sorted by offset; a later fragment of equal offset after the earlier.
    frags: Vec<Held>,
    /// Set by the first tail (no MF).
    datalen: Option<u32>,
    /// When it was first seen (the oldest is dropped first).
    since: u64,
    bytes: usize,
}

/// A frame's fragment, as found in its headers.
#[derive(Debug, Clone, Copy)]
struct Found {
    key: Key,
    ipv6: bool,
    l3_off: usize,
    payload_off: usize,
    offset: u32,
    len: u32,
    more: bool,
    proto: u8,
}

/// The table of pending datagrams, fed every frame in order.
#[derive(Debug, Default)]
pub struct Reassembler {
    prefs: Prefs,
    pending: HashMap<Key, Pending>,
    bytes: usize,
    cur: Defrag,
    walk: Vec<u8>,
    /// `-2`: the frame that completes each fragment's datagram (from a first pass).
    known: Option<HashMap<u64, u64>>,
    /// First pass: what [`Reassembler::completions`] hands over.
    seen_in: HashMap<u64, u64>,
    record: bool,
}

impl Reassembler {
    pub fn new(prefs: Prefs) -> Self {
        Reassembler {
            prefs,
            ..Reassembler::default()
        }
    }

    /// True when neither IPv4 nor IPv6 is reassembled.
    pub fn is_off(&self) -> bool {
        !self.prefs.ipv4 && !self.prefs.ipv6
    }

    /// A first pass (tshark's `-2`): remember which frame completes each datagram, for
    /// [`Reassembler::completions`].
    pub fn recording(mut self) -> Self {
        self.record = true;
        self
    }

    /// After a recording pass: each fragment's frame number, and the frame that completed its
    /// datagram.
    pub fn completions(&mut self) -> HashMap<u64, u64> {
        std::mem::take(&mut self.seen_in)
    }

    /// A second pass: pending fragments name the frame that completes them (`[Reassembled in
    /// #N]`, `ip.reassembled_in`).
    pub fn with_completions(mut self, known: HashMap<u64, u64>) -> Self {
        self.known = Some(known);
        self
    }

    /// Frame number `number` (frames come in order): `None` when it is no fragment this
    /// table reassembles; else the bytes to walk (the frame, or, when it completes a datagram,
    /// its headers followed by the reassembled payload) and what its readers need.
    pub fn add(&mut self, number: u64, frame: &[u8], encap: Encap) -> Option<(&[u8], &Defrag)> {
        if self.is_off() {
            return None;
        }
        let found = find(frame, encap, self.prefs)?;
        let whole = self.insert(number, frame, &found);
        let cur = &mut self.cur;
        cur.ipv6 = found.ipv6;
        cur.l3_off = found.l3_off;
        cur.payload_off = found.payload_off;
        cur.proto = found.proto;
        cur.frame.clear();
        cur.frame.extend_from_slice(frame);
        cur.reassembled_in = None;
        self.walk.clear();
        match whole {
            Some(data) => {
                cur.state = State::Reassembled;
                cur.len = data.len();
                self.walk.extend_from_slice(&frame[..found.payload_off]);
                self.walk.extend_from_slice(&data);
            }
            None => {
                cur.state = State::Pending;
                cur.fragments.clear();
                cur.len = 0;
                cur.reassembled_in = self.known.as_ref().and_then(|k| k.get(&number).copied());
                self.walk.extend_from_slice(frame);
            }
        }
        Some((&self.walk, &self.cur))
    }

    /// Adds the fragment; when it completes its datagram, the datagram's bytes (and
    /// `self.cur.fragments` set).
    fn insert(&mut self, number: u64, frame: &[u8], f: &Found) -> Option<Vec<u8>> {
        let end = f.offset as usize + f.len as usize;
        if end > MAX_DATAGRAM_LEN {
            return None;
        }
        let p = self.pending.entry(f.key).or_insert_with(|| Pending {
            since: number,
            ..Pending::default()
        });
        let mut frag = Fragment {
            frame: number,
            offset: f.offset,
            len: f.len,
            ..Fragment::default()
        };
        if !f.more {
            match p.datalen {
                Some(d) if d as usize != end => frag.multiple_tails = true,
                Some(_) => {}
                None => p.datalen = Some(end as u32),
            }
        }
        let data = frame[f.payload_off..f.payload_off + f.len as usize].to_vec();
        let at = p.frags.partition_point(|h| h.frag.offset <= f.offset);
        p.bytes += data.len();
        self.bytes += data.len();
        p.frags.insert(at, Held { frag, data });
        let complete = p.datalen.is_some_and(|d| {
            let mut max = 0u32;
            for h in &p.frags {
                let e = h.frag.offset + h.frag.len;
                if h.frag.offset <= max && e > max {
                    max = e;
                }
            }
            max >= d
        });
        if !complete {
            self.bound(f.key);
            return None;
        }
        let p = self.pending.remove(&f.key)?;
        self.bytes -= p.bytes;
        Some(self.defragment(p, number))
    }

    /// Builds the datagram in offset order, marking overlaps as tshark does.
    fn defragment(&mut self, p: Pending, number: u64) -> Vec<u8> {
        let datalen = p.datalen.unwrap_or(0) as usize;
        let mut data = vec![0u8; datalen];
        let mut dfpos = 0usize;
        self.cur.fragments.clear();
        for mut h in p.frags {
            let off = h.frag.offset as usize;
            let mut len = h.frag.len as usize;
            if len > 0 {
                if off >= datalen {
                    h.frag.too_long = true;
                    len = 0;
                } else if off + len > datalen {
                    h.frag.too_long = true;
                    len = datalen - off;
                }
            }
            if len > 0 {
                if off < dfpos {
                    let cmp = len.min(dfpos - off);
                    h.frag.overlap = true;
                    if data[off..off + cmp] != h.data[..cmp] {
                        h.frag.conflict = true;
                    }
                }
                if off + len > dfpos {
                    let skip = dfpos.saturating_sub(off);
                    data[off + skip..off + len].copy_from_slice(&h.data[skip..len]);
                    dfpos = dfpos.max(off + len);
                }
            }
            self.cur.fragments.push(h.frag);
        }
        if self.record {
            for f in &self.cur.fragments {
                self.seen_in.insert(f.frame, number);
            }
        }
        data
    }

    /// Keeps the table within its caps: drops the datagram pending the longest (not `keep`,
    /// the one just added to, unless it is alone).
    fn bound(&mut self, keep: Key) {
        while self.pending.len() > MAX_PENDING_DATAGRAMS || self.bytes > MAX_PENDING_BYTES {
            let oldest = self
                .pending
                .iter()
                .filter(|(k, _)| **k != keep || self.pending.len() == 1)
                .min_by_key(|(_, p)| p.since)
                .map(|(k, _)| *k);
            let Some(k) = oldest else { break };
            if let Some(p) = self.pending.remove(&k) {
                self.bytes -= p.bytes;
            }
        }
    }

    /// How many datagrams are pending (for tests).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// The frame's outer IP header, when it is a fragment to reassemble. A few header reads.
fn find(frame: &[u8], encap: Encap, prefs: Prefs) -> Option<Found> {
    let (mut et, mut o) = match encap {
        Encap::Ethernet => {
            let e = ethernet::Header::new_checked(frame).ok()?;
            (e.ethertype(), ethernet::HEADER_LEN)
        }
        Encap::RawIp => match frame.first()? >> 4 {
            4 => (ethertype::IPV4, 0),
            6 => (ethertype::IPV6, 0),
            _ => return None,
        },
        Encap::Ipv4 => (ethertype::IPV4, 0),
        Encap::Ipv6 => (ethertype::IPV6, 0),
        Encap::Sll => (
            sll::Header::new_checked(frame).ok()?.protocol(),
            sll::HEADER_LEN,
        ),
        Encap::Sll2 => (
            sll::v2::Header::new_checked(frame).ok()?.protocol(),
            sll::HEADER_LEN_V2,
        ),
        Encap::Other(_) => return None,
    };
    let mut vid = 0u16;
    while ethertype::is_vlan(et) {
        let t = vlan::Header::new_checked(frame.get(o..)?).ok()?;
        vid = t.vid();
        et = t.ethertype();
        o += vlan::HEADER_LEN;
    }
    match et {
        ethertype::IPV4 if prefs.ipv4 => find_v4(frame, o, vid),
        ethertype::IPV6 if prefs.ipv6 => find_v6(frame, o),
        _ => None,
    }
}

fn find_v4(frame: &[u8], o: usize, vid: u16) -> Option<Found> {
    let b = frame.get(o..)?;
    let h = ipv4::Header::new_checked(b).ok()?;
    if h.version() != 4 || (!h.more_frags() && h.frag_offset() == 0) {
        return None;
    }
    let hl = h.header_len();
    let total = h.total_len() as usize;
    if total <= hl || b.len() < total {
        return None;
    }
    let (src, dst) = (h.src().octets(), h.dst().octets());
    let mut id = u32::from(h.protocol()) ^ u32::from(h.ident());
    // tshark XORs in the (innermost) VLAN id when either address is private or link-local.
    if [h.src(), h.dst()]
        .iter()
        .any(|a| a.is_private() || a.is_link_local())
    {
        id ^= u32::from(vid);
    }
    Some(Found {
        key: Key::V4 { src, dst, id },
        ipv6: false,
        l3_off: o,
        payload_off: o + hl,
        offset: u32::from(h.frag_offset()) * 8,
        len: (total - hl) as u32,
        more: h.more_frags(),
        proto: h.protocol(),
    })
}

fn find_v6(frame: &[u8], o: usize) -> Option<Found> {
    let b = frame.get(o..)?;
    let h = ipv6::Header::new_checked(b).ok()?;
    if h.version() != 6 {
        return None;
    }
    let mut nh = h.next_header();
    if !ipv6::is_ext_header(nh) {
        return None;
    }
    let end = ipv6::HEADER_LEN + h.payload_len() as usize;
    if h.payload_len() == 0 || b.len() < end {
        return None;
    }
    let mut off = ipv6::HEADER_LEN;
    while ipv6::is_ext_header(nh) && off + ipv6::EXT_HEADER_MIN_LEN <= end {
        let ext = &b[off..end];
        let len = ipv6::ext_header_len(nh, ext);
        if nh == protocol::IPV6_FRAG {
            let fo = u16::get(&ext[ipv6::field::FRAG_OFF_M]);
            let (offset, more) = (u32::from(fo >> 3) * 8, fo & 1 == 1);
            if offset == 0 && !more {
                // An atomic fragment: decoded as it is.
                return None;
            }
            let (src, dst) = (h.src().octets(), h.dst().octets());
            return Some(Found {
                key: Key::V6 {
                    src,
                    dst,
                    id: u32::get(&ext[ipv6::field::FRAG_IDENT]),
                },
                ipv6: true,
                l3_off: o,
                payload_off: o + off + len,
                offset,
                len: (end - off - len) as u32,
                more,
                proto: ext[ipv6::field::EXT_NXT_HDR.start],
            });
        }
        if off + len > end {
            return None;
        }
        nh = ext[ipv6::field::EXT_NXT_HDR.start];
        off += len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet + IPv4 fragment: id, MF, offset in bytes, payload.
    fn v4(id: u16, mf: bool, off: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
        let total = (20 + payload.len()) as u16;
        let fo = (off / 8) | if mf { 0x2000 } else { 0 };
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&id.to_be_bytes());
        f.extend_from_slice(&fo.to_be_bytes());
        f.extend_from_slice(&[64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2]);
        f.extend_from_slice(payload);
        f
    }

    fn add(r: &mut Reassembler, n: u64, f: &[u8]) -> Option<(Vec<u8>, Defrag)> {
        r.add(n, f, Encap::Ethernet)
            .map(|(b, d)| (b.to_vec(), d.clone()))
    }

    #[test]
    fn plain_frames_are_not_fragments() {
        let mut r = Reassembler::new(Prefs::default());
        let mut f = v4(1, false, 0, b"12345678");
        assert!(add(&mut r, 1, &f).is_none());
        f.truncate(20);
        assert!(add(&mut r, 2, &f).is_none());
        assert!(add(&mut r, 3, &[]).is_none());
    }

    #[test]
    fn in_order_reversed_and_missing() {
        let d: Vec<u8> = (0..40).collect();
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2]] {
            let mut r = Reassembler::new(Prefs::default());
            let fr = [
                v4(7, true, 0, &d[..16]),
                v4(7, true, 16, &d[16..32]),
                v4(7, false, 32, &d[32..]),
            ];
            for (k, &i) in order.iter().enumerate() {
                let (walk, de) = add(&mut r, k as u64 + 1, &fr[i]).unwrap();
                if k < 2 {
                    assert_eq!(de.state, State::Pending);
                    assert_eq!(walk, fr[i]);
                } else {
                    assert_eq!(de.state, State::Reassembled);
                    assert_eq!(&walk[34..], &d[..]);
                    assert_eq!(de.len, 40);
                    let offs: Vec<u32> = de.fragments.iter().map(|f| f.offset).collect();
                    assert_eq!(offs, [0, 16, 32]);
                    assert_eq!(de.frame, fr[i]);
                }
            }
            assert_eq!(r.pending(), 0);
        }
        let mut r = Reassembler::new(Prefs::default());
        add(&mut r, 1, &v4(8, true, 0, &d[..16])).unwrap();
        let (_, de) = add(&mut r, 2, &v4(8, false, 32, &d[32..])).unwrap();
        assert_eq!(de.state, State::Pending);
        assert_eq!(r.pending(), 1);
    }

    #[test]
    fn overlaps_keep_the_first_bytes_and_say_so() {
        let d: Vec<u8> = (0..40).collect();
        let mut other = d[8..24].to_vec();
        other[0] = 0xff;
        let mut r = Reassembler::new(Prefs::default());
        add(&mut r, 1, &v4(9, true, 0, &d[..16])).unwrap();
        add(&mut r, 2, &v4(9, true, 8, &other)).unwrap();
        let (walk, de) = add(&mut r, 3, &v4(9, false, 24, &d[24..])).unwrap();
        assert_eq!(&walk[34..], &d[..]);
        assert!(de.fragments[1].overlap && de.fragments[1].conflict);
        assert!(!de.fragments[0].overlap && !de.fragments[2].overlap);
    }

    #[test]
    fn keys_and_prefs() {
        let d: Vec<u8> = (0..16).collect();
        let mut r = Reassembler::new(Prefs::default());
        add(&mut r, 1, &v4(1, true, 0, &d[..8])).unwrap();
        // Another id: another datagram.
        let (_, de) = add(&mut r, 2, &v4(2, false, 8, &d[8..])).unwrap();
        assert_eq!(de.state, State::Pending);
        assert_eq!(r.pending(), 2);
        let mut off = Reassembler::new(Prefs {
            ipv4: false,
            ipv6: true,
        });
        assert!(add(&mut off, 1, &v4(1, true, 0, &d[..8])).is_none());
    }

    #[test]
    fn the_table_is_bounded() {
        let mut r = Reassembler::new(Prefs::default());
        for i in 0..(MAX_PENDING_DATAGRAMS as u64 + 10) {
            add(&mut r, i + 1, &v4(i as u16, true, 0, &[0; 8])).unwrap();
        }
        assert_eq!(r.pending(), MAX_PENDING_DATAGRAMS);
        // The oldest were dropped: id 0's tail does not complete it.
        let (_, de) = add(&mut r, 99_999, &v4(0, false, 8, &[0; 8])).unwrap();
        assert_eq!(de.state, State::Pending);
    }

    #[test]
    fn two_passes_name_the_completing_frame() {
        let d: Vec<u8> = (0..16).collect();
        let fr = [v4(3, true, 0, &d[..8]), v4(3, false, 8, &d[8..])];
        let mut first = Reassembler::new(Prefs::default()).recording();
        for (i, f) in fr.iter().enumerate() {
            first.add(i as u64 + 1, f, Encap::Ethernet);
        }
        let mut second = Reassembler::new(Prefs::default()).with_completions(first.completions());
        let (_, de) = add(&mut second, 1, &fr[0]).unwrap();
        assert_eq!(de.reassembled_in, Some(2));
    }
}
