//! What a device between a stream's ports may rewrite, and the receive end that undoes it.
//!
//! Through a router, the frames arrive with other MACs and a lower TTL, and the harness's
//! checker, which compares each frame with the template it sent, would count every one as
//! corrupted. The step gives the checker the frame as sent instead: [`Restore`] wraps the
//! receive end and, when a frame's rewritten bytes are exactly what `expect` says (or are
//! named in `ignore`), puts the sent bytes back before the checker sees it; a frame rewritten
//! otherwise is left as it came, and counts as corrupted. Header fields outside the transport
//! checksum and the stamp can be rewritten so ([`REWRITABLE`]), and so can the addresses and
//! ports a NAT rewrites ([`NAT_REWRITABLE`]): then the transport checksum cannot be compared
//! with the sent one, so [`Restore`] verifies that the arriving frame's own is valid and gives
//! the checker the one it expects. A port a NAT chooses is written `any` in `expect`
//! ([`any_variants`]); it latches to the first frame that arrives as declared, and every later
//! frame must carry the same. The checker still verifies everything else, the payload
//! included. Nothing is allocated per frame.

use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::frame::wire::{self, ip::protocol, ipv4, ipv6};
use crate::frame::{csum, view};
use crate::harness::{stamp, FrameSource, HarnessError, RxMeta, StampedTemplate};

/// Fields a device may rewrite in a stream's frames (`expect`, `ignore`): none enters the
/// transport checksum or holds the stamp.
pub const REWRITABLE: &[&str] = &[
    "eth.dst",
    "eth.src",
    "vlan.prio",
    "vlan.dei",
    "ip.dsfield",
    "ip.id",
    "ip.flags",
    "ip.flags.rb",
    "ip.flags.df",
    "ip.ttl",
    "ip.chksum",
    "ipv6.tclass",
    "ipv6.flow",
    "ipv6.hlim",
];

/// Fields a NAT rewrites (SNAT, DNAT, masquerade) in `expect`: the transport checksum covers
/// them, so where one differs the arriving checksum is verified instead of compared.
pub const NAT_REWRITABLE: &[&str] = &[
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "tcp.srcport",
    "tcp.dstport",
];

/// The fields `any` may stand for in a stream's `expect`: the ports a NAT chooses.
pub const ANY_FIELDS: &[&str] = &["udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport"];

/// The transport checksums, verified rather than compared after a NAT.
const TRANSPORT_CSUM: &[&str] = &["udp.chksum", "tcp.chksum"];

/// What the receive side checks and restores: `check` byte ranges must equal the arriving
/// frame's, `latch` ranges the first arrived frame's (ports a NAT chose), then they and the
/// `ignore`d ranges get the sent frame's bytes back. With `verify`, the arriving transport
/// checksum must be valid, and the checker is given the sent frame's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewrite {
    pub check: Vec<Range<usize>>,
    pub ignore: Vec<Range<usize>>,
    pub latch: Vec<Range<usize>>,
    pub verify: Option<Segment>,
}

/// Where a TCP/UDP segment and its pseudo-header's addresses sit in the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Source then destination address.
    pub addrs: Range<usize>,
    pub proto: u8,
    /// The transport header and payload (up to the IP length).
    pub range: Range<usize>,
    /// The checksum field.
    pub csum: usize,
}

impl Segment {
    fn of(frame: &[u8]) -> Option<Segment> {
        let lay = view::layout(frame);
        let (l4, at) = lay.l4?;
        let proto = match l4 {
            view::L4::Tcp => protocol::TCP,
            view::L4::Udp => protocol::UDP,
            _ => return None,
        };
        let l3 = lay.l3_off?;
        // The source address and the destination right after it.
        let addrs = if lay.ipv6 {
            wire::at(l3, ipv6::field::SRC_ADDR.start..ipv6::field::DST_ADDR.end)
        } else {
            wire::at(l3, ipv4::field::SRC_ADDR.start..ipv4::field::DST_ADDR.end)
        };
        Some(Segment {
            addrs,
            proto,
            range: at..lay.ip_end,
            csum: lay.l4_csum_off?,
        })
    }

    /// The frame's own checksum is valid (IPv4 UDP without one: only if the sent had none).
    #[inline]
    fn valid(&self, frame: &[u8], sent_has_none: bool) -> bool {
        if self.proto == protocol::UDP && frame[self.csum..self.csum + 2] == [0, 0] {
            return sent_has_none;
        }
        csum::transport_valid(
            &frame[self.addrs.clone()],
            self.proto,
            &frame[self.range.clone()],
        )
    }
}

/// `text` (a stream's `expect`) with each `any` value (`sport=any`) replaced by `0`, and by
/// `1`: the bytes where the two frames differ are the ports a NAT chooses. None without
/// `any`. Quoted strings are left alone.
pub fn any_variants(text: &str) -> Option<(String, String)> {
    let b = text.as_bytes();
    let mut at = Vec::new();
    let mut quote = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'=' => {
                let mut j = i + 1;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                let word = |k: usize| {
                    b.get(k)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                };
                if b[j..].starts_with(b"any") && !word(j + 3) {
                    at.push(j);
                }
            }
            None => {}
        }
        i += 1;
    }
    if at.is_empty() {
        return None;
    }
    let with = |v: &str| {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for &j in &at {
            out.push_str(&text[last..j]);
            out.push_str(v);
            last = j + 3;
        }
        out.push_str(&text[last..]);
        out
    };
    Some((with("0"), with("1")))
}

/// How `arrives` differs from `sent`, when a stream can check it: same length, differences
/// only in [`REWRITABLE`] and [`NAT_REWRITABLE`] fields (and then in the transport checksum);
/// `any1`, the `expect` built with `1` for each `any` (`arrives` has `0`), says which ports a
/// NAT chooses; `ignore` names fields of the frame among [`REWRITABLE`].
pub fn rewritable(
    sent: &[u8],
    arrives: &[u8],
    any1: Option<&[u8]>,
    ignore: &[String],
) -> Result<Rewrite, String> {
    if sent.len() != arrives.len() || any1.is_some_and(|a| a.len() != arrives.len()) {
        return Err(format!(
            "expect builds {} bytes and frame {}: a stream cannot check a device that \
             changes the length (a tunnel, a VLAN tag pushed or popped)",
            arrives.len(),
            sent.len()
        ));
    }
    let fields = view::dissect(sent);
    let named = |i: usize, names: &[&str]| {
        fields
            .iter()
            .any(|f| f.range.contains(&i) && names.contains(&f.name))
    };
    let innermost = |i: usize| fields.iter().rev().find(|f| f.range.contains(&i));
    let mut rw = Rewrite::default();
    if let Some(any1) = any1 {
        for i in 0..arrives.len() {
            if arrives[i] == any1[i] || named(i, TRANSPORT_CSUM) || named(i, &["ip.chksum"]) {
                continue;
            }
            match innermost(i) {
                Some(f) if ANY_FIELDS.contains(&f.name) => {
                    if !rw.latch.contains(&f.range) {
                        rw.latch.push(f.range.clone());
                    }
                }
                f => {
                    return Err(format!(
                        "any stands for a port a NAT chooses ({}), not {}",
                        ANY_FIELDS.join(", "),
                        f.map_or("these bytes", |f| f.name)
                    ))
                }
            }
        }
    }
    let latched = |i: usize| rw.latch.iter().any(|r| r.contains(&i));
    let mut nat = !rw.latch.is_empty();
    let mut csum_differs = false;
    let mut check = Vec::new();
    for i in 0..sent.len() {
        if sent[i] == arrives[i] || latched(i) {
            continue;
        }
        if named(i, TRANSPORT_CSUM) {
            csum_differs = true;
            continue;
        }
        if named(i, NAT_REWRITABLE) {
            nat = true;
        } else if !named(i, REWRITABLE) {
            let name = innermost(i).map_or("the bytes", |f| f.name);
            return Err(format!(
                "expect differs from frame in {name} (byte {i}), which a stream cannot check \
                 (it holds the stamp or is covered by the transport checksum beyond what a \
                 NAT rewrites); it may differ in {}, and in {}",
                REWRITABLE.join(", "),
                NAT_REWRITABLE.join(", ")
            ));
        }
        push(&mut check, i);
    }
    rw.check = check;
    if nat {
        rw.verify = Some(Segment::of(sent).ok_or_else(|| {
            "a stream through a NAT needs a TCP or UDP frame (its checksum is verified)".to_string()
        })?);
    } else if csum_differs {
        return Err(
            "expect differs from frame in the transport checksum only: a device rewrote \
             nothing it covers, so it must be the same"
                .into(),
        );
    }
    for name in ignore {
        if !REWRITABLE.contains(&name.as_str()) {
            return Err(format!(
                "ignore: a stream can ignore only {}, not {name}",
                REWRITABLE.join(", ")
            ));
        }
        let found: Vec<_> = fields.iter().filter(|f| f.name == name).collect();
        if found.is_empty() {
            return Err(format!("ignore: the frame has no {name}"));
        }
        rw.ignore.extend(found.iter().map(|f| f.range.clone()));
    }
    Ok(rw)
}

fn push(v: &mut Vec<Range<usize>>, i: usize) {
    match v.last_mut() {
        Some(r) if r.end == i => r.end = i + 1,
        _ => v.push(i..i + 1),
    }
}

/// A receive end that gives the checker the sent bytes back where a device rewrote them as
/// expected. Allocation-free per frame: one buffer, made once.
pub struct Restore<S> {
    inner: S,
    rw: Rewrite,
    /// The arriving frame's bytes (where `check` looks; `latch` once latched).
    arrives: Vec<u8>,
    latched: bool,
    /// The stamped template (what goes back, and the checksum the checker expects).
    sent: StampedTemplate,
    buf: Vec<u8>,
    /// The declared frame with the latched ports in place, once a frame latched them.
    arrived: Arc<OnceLock<Vec<u8>>>,
}

impl<S> std::fmt::Debug for Restore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restore").field("rw", &self.rw).finish()
    }
}

impl<S: FrameSource> Restore<S> {
    /// `raw`: the frame as built, `arrives`: as it should arrive (None: as sent), `any1`: the
    /// same with `1` for each `any` (see [`rewritable`]), `template`: the stamped template.
    pub fn new(
        inner: S,
        raw: &[u8],
        arrives: Option<&[u8]>,
        any1: Option<&[u8]>,
        template: &StampedTemplate,
        ignore: &[String],
    ) -> Result<Self, String> {
        let arrives = arrives.unwrap_or(raw);
        let rw = rewritable(raw, arrives, any1, ignore)?;
        Ok(Restore {
            inner,
            rw,
            arrives: arrives.to_vec(),
            latched: false,
            sent: template.clone(),
            buf: vec![0; template.len()],
            arrived: Arc::default(),
        })
    }

    /// Where the frame as it arrived (as declared, the ports `any` stands for as the first
    /// such frame had them) shows once one latched them; empty without `any`.
    pub fn arrived(&self) -> Arc<OnceLock<Vec<u8>>> {
        self.arrived.clone()
    }

    fn is_identity(&self) -> bool {
        self.rw == Rewrite::default()
    }
}

impl<S: FrameSource> FrameSource for Restore<S> {
    fn poll(
        &mut self,
        timeout: Duration,
        f: &mut dyn FnMut(&[u8], &RxMeta),
    ) -> Result<usize, HarnessError> {
        if self.is_identity() {
            return self.inner.poll(timeout, f);
        }
        let Restore {
            inner,
            rw,
            arrives,
            latched,
            sent,
            buf,
            arrived,
        } = self;
        let tb = sent.bytes();
        let sent_has_none = sent.expected_csum(0, 0) == Some(0);
        inner.poll(timeout, &mut |frame, meta| {
            let same = |r: &Range<usize>| frame[r.clone()] == arrives[r.clone()];
            let as_declared = frame.len() == tb.len()
                && rw.check.iter().all(same)
                && (!*latched || rw.latch.iter().all(same));
            if !as_declared {
                return f(frame, meta);
            }
            let mut stamp = None;
            if let Some(seg) = &rw.verify {
                stamp = stamp::parse(frame, sent.stamp_off())
                    .filter(|s| s.stream_id == sent.stream_id());
                // A partial checksum (offload) is the kernel's to finish, not wrong.
                let valid = meta.csum_not_ready || seg.valid(frame, sent_has_none);
                if stamp.is_none() || !valid {
                    return f(frame, meta);
                }
            }
            if !*latched && !rw.latch.is_empty() {
                for r in &rw.latch {
                    arrives[r.clone()].copy_from_slice(&frame[r.clone()]);
                }
                *latched = true;
                // Once per stream, not per frame.
                let _ = arrived.set(arrives.clone());
            }
            buf.copy_from_slice(frame);
            for r in rw.check.iter().chain(&rw.ignore).chain(&rw.latch) {
                buf[r.clone()].copy_from_slice(&tb[r.clone()]);
            }
            if let (Some(seg), Some(st)) = (&rw.verify, stamp) {
                if let Some(v) = sent.expected_csum(st.seq, st.tx_ns) {
                    buf[seg.csum..seg.csum + 2].copy_from_slice(&v.to_be_bytes());
                }
            }
            f(buf, meta)
        })
    }

    fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
        self.inner.kernel_drops()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::expr;
    use crate::harness::{Checker, Class};

    fn frame(e: &str) -> Vec<u8> {
        expr::parse(e).unwrap().build().unwrap().remove(0)
    }

    const SENT: &str = r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.1.2", dst="198.18.2.2")/UDP(sport=7, dport=9)/Raw(load=b"0123456789012345678901234567890123456789")"#;

    /// SENT as a masquerading router forwards it: other MACs, TTL 63, source 198.18.2.1:`sport`.
    fn masqueraded(sport: &str) -> String {
        SENT.replace(
            r#"src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.1.2", dst="198.18.2.2")/UDP(sport=7"#,
            &format!(r#"src="02:00:00:00:00:03", dst="02:00:00:00:00:04")/IP(src="198.18.2.1", dst="198.18.2.2", ttl=63)/UDP(sport={sport}"#),
        )
    }

    #[test]
    fn a_routers_rewrite_is_checkable() {
        let sent = frame(SENT);
        let arrives = frame(&SENT.replace(
            r#"src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.1.2", dst="198.18.2.2")"#,
            r#"src="02:00:00:00:00:03", dst="02:00:00:00:00:04")/IP(src="198.18.1.2", dst="198.18.2.2", ttl=63)"#,
        ));
        let rw = rewritable(&sent, &arrives, None, &[]).unwrap();
        // The bytes that differ: the MACs' last bytes, the TTL, the IP checksum's first byte.
        assert_eq!(rw.check, vec![5..6, 11..12, 22..23, 24..25]);
        assert_eq!(rw.verify, None);
        let rw = rewritable(&sent, &sent, None, &["ip.ttl".into(), "ip.chksum".into()]).unwrap();
        assert_eq!(rw.ignore, vec![22..23, 24..26]);
    }

    #[test]
    fn a_nat_rewrite_is_checkable_with_the_checksum_verified() {
        let sent = frame(SENT);
        // DNAT: 198.18.2.2:9 becomes 198.18.2.3:8080.
        let natted = frame(
            &SENT
                .replace(r#"dst="198.18.2.2""#, r#"dst="198.18.2.3""#)
                .replace("dport=9", "dport=8080"),
        );
        let rw = rewritable(&sent, &natted, None, &[]).unwrap();
        // The IP checksum, the last byte of ip.dst, udp.dstport; not udp.chksum (40..42).
        assert_eq!(rw.check, vec![25..26, 33..34, 36..38]);
        assert_eq!(
            rw.verify,
            Some(Segment {
                addrs: 26..34,
                proto: 17,
                range: 34..sent.len(),
                csum: 40
            })
        );
        assert!(rw.latch.is_empty());
        // `any` for the port a masquerade chooses: latched, not checked.
        let (zero, one) = any_variants(&masqueraded("any")).unwrap();
        let rw = rewritable(&sent, &frame(&zero), Some(&frame(&one)), &[]).unwrap();
        assert_eq!(rw.latch, vec![34..36]);
        assert!(rw.verify.is_some());
        assert!(rw.check.iter().all(|r| r.end <= 34), "{rw:?}");
    }

    #[test]
    fn any_is_a_value_outside_quotes() {
        let (z, o) = any_variants(r#"IP(id= any)/UDP(sport=any, dport=9)/"x=any""#).unwrap();
        assert_eq!(z, r#"IP(id= 0)/UDP(sport=0, dport=9)/"x=any""#);
        assert_eq!(o, r#"IP(id= 1)/UDP(sport=1, dport=9)/"x=any""#);
        assert_eq!(any_variants(r#"UDP(sport=anyport)/'dport=any'"#), None);
    }

    #[test]
    fn what_a_stream_cannot_check_is_refused() {
        let sent = frame(SENT);
        let longer = frame(&SENT.replace("0123", "01234"));
        assert!(rewritable(&sent, &longer, None, &[])
            .unwrap_err()
            .contains("length"));
        let e = rewritable(&sent, &sent, None, &["udp.chksum".into()]).unwrap_err();
        assert!(e.contains("not udp.chksum"), "{e}");
        let payload = frame(&SENT.replace("0123", "9123"));
        let e = rewritable(&sent, &payload, None, &[]).unwrap_err();
        assert!(e.contains("data") || e.contains("load"), "{e}");
        let (zero, one) =
            any_variants(&SENT.replace(r#"dst="198.18.2.2")"#, r#"dst="198.18.2.2", ttl=any)"#))
                .unwrap();
        let e = rewritable(&sent, &frame(&zero), Some(&frame(&one)), &[]).unwrap_err();
        assert!(e.contains("not ip.ttl"), "{e}");
    }

    /// What arrives, in order, as a receive end would hand it over.
    struct Frames(std::collections::VecDeque<Vec<u8>>);

    impl FrameSource for Frames {
        fn poll(
            &mut self,
            _: Duration,
            f: &mut dyn FnMut(&[u8], &RxMeta),
        ) -> Result<usize, HarnessError> {
            let n = self.0.len();
            for fr in self.0.drain(..) {
                f(&fr, &RxMeta::default());
            }
            Ok(n)
        }
        fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
            Ok(0)
        }
        fn name(&self) -> &str {
            "test"
        }
    }

    /// Frame `seq` of `t` as a masquerading router forwards it with source port `sport`
    /// (checksums updated as the kernel's NAT does, incrementally).
    fn nat(t: &StampedTemplate, seq: u64, sport: u16) -> Vec<u8> {
        nat_of(t, seq, sport, |_| {})
    }

    /// The same, with `change` done to the sent frame first.
    fn nat_of(t: &StampedTemplate, seq: u64, sport: u16, change: impl Fn(&mut [u8])) -> Vec<u8> {
        let mut b = t.bytes().to_vec();
        t.stamp(&mut b, seq, 1_000 + seq);
        change(&mut b);
        let mut out = frame(&masqueraded(&sport.to_string()));
        out[42..].copy_from_slice(&b[42..]);
        out[40..42].copy_from_slice(&[0, 0]);
        let c = csum::checksum(&[
            &out[26..34],
            &[0, 17],
            &((out.len() - 34) as u16).to_be_bytes(),
            &out[34..],
        ]);
        out[40..42].copy_from_slice(&c.to_be_bytes());
        out
    }

    #[test]
    fn the_nat_port_latches_and_the_checksum_is_verified() {
        let sent = frame(SENT);
        let t = StampedTemplate::new(sent.clone(), 7).unwrap();
        let (zero, one) = any_variants(&masqueraded("any")).unwrap();
        let mut bad_csum = nat(&t, 3, 40001);
        bad_csum[41] ^= 1;
        // Its checksum valid, its payload not what was sent.
        let bad_payload = nat_of(&t, 4, 40001, |b| *b.last_mut().unwrap() ^= 1);
        let arriving = vec![
            nat(&t, 0, 40001),
            nat(&t, 1, 40001),
            nat(&t, 2, 40002), // another port than the one latched
            bad_csum,
            bad_payload,
            nat(&t, 5, 40001),
        ];
        let mut r = Restore::new(
            Frames(arriving.into()),
            &sent,
            Some(&frame(&zero)),
            Some(&frame(&one)),
            &t,
            &[],
        )
        .unwrap();
        let mut c = Checker::new(t.clone(), 6);
        let mut classes = Vec::new();
        r.poll(Duration::ZERO, &mut |f, _| classes.push(c.check(f).0))
            .unwrap();
        use Class::*;
        assert_eq!(
            classes,
            vec![Intact, Intact, Corrupted, Corrupted, Corrupted, Intact]
        );
    }
}
