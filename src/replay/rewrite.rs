//! Rewriting a captured frame before it is replayed: MAC addresses, IP address maps
//! (`OLD_CIDR:NEW_CIDR`), the VLAN tag (add, strip, set), the checksums, and the MTU.
//!
//! What stays true: a rewrite either applies whole or not at all. A frame that cannot be
//! rewritten as asked (shorter than its headers, a tag added to a frame already tagged) is left
//! as read and the reason is returned, never half-changed. Addresses are changed with an
//! incremental checksum update, so a map never breaks a checksum that was right; a full
//! recomputation is only done when asked, and only over a whole packet. Nothing allocates.

use std::net::IpAddr;

use super::checksum;
use super::layout::{self, IpVersion, Layout, NotIp};
use crate::frame::wire::{at, ethernet, ipv4, ipv6, vlan};
use crate::frame::MacAddr;

/// An error in a rewrite specification (names no flag).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} '{input}': {why}")]
pub struct RewriteSpecError {
    pub what: &'static str,
    pub input: String,
    pub why: String,
}

fn spec_err(what: &'static str, input: &str, why: impl Into<String>) -> RewriteSpecError {
    RewriteSpecError {
        what,
        input: input.to_string(),
        why: why.into(),
    }
}

/// An IP prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    fn bits(&self) -> u8 {
        if self.addr.is_ipv4() {
            32
        } else {
            128
        }
    }

    fn mask(&self) -> u128 {
        let host = self.bits() - self.prefix;
        if host >= 128 {
            0
        } else {
            (!0u128 << host) & (!0u128 >> (128 - self.bits() as u32))
        }
    }

    fn value(a: IpAddr) -> u128 {
        match a {
            IpAddr::V4(v) => u32::from(v) as u128,
            IpAddr::V6(v) => u128::from(v),
        }
    }

    fn contains(&self, a: u128) -> bool {
        a & self.mask() == Self::value(self.addr) & self.mask()
    }
}

impl std::str::FromStr for Cidr {
    type Err = RewriteSpecError;
    fn from_str(s: &str) -> Result<Cidr, RewriteSpecError> {
        let (a, p) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a
            .parse()
            .map_err(|_| spec_err("prefix", s, "not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| spec_err("prefix", s, format!("prefix length must be 0..={max}")))?
        };
        Ok(Cidr { addr, prefix })
    }
}

/// `OLD_CIDR:NEW_CIDR`: an address inside OLD gets NEW's network bits and keeps its own host
/// bits (under NEW's mask), like tcprewrite's `--srcipmap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpMap {
    pub old: Cidr,
    pub new: Cidr,
}

impl IpMap {
    /// Parse a comma-separated list of `OLD_CIDR:NEW_CIDR` (IPv6 colons are fine: the old
    /// prefix length ends the first part).
    pub fn parse_list(s: &str) -> Result<Vec<IpMap>, RewriteSpecError> {
        s.split(',').map(|one| one.trim().parse()).collect()
    }

    /// Apply to the address bytes `a` (4 or 16); true when changed.
    fn apply(&self, a: &mut [u8]) -> bool {
        let v4 = a.len() == 4;
        if v4 != self.old.addr.is_ipv4() {
            return false;
        }
        let mut buf = [0u8; 16];
        buf[16 - a.len()..].copy_from_slice(a);
        let v = u128::from_be_bytes(buf);
        if !self.old.contains(v) {
            return false;
        }
        let m = self.new.mask();
        let n = (Cidr::value(self.new.addr) & m) | (v & !m);
        let out = n.to_be_bytes();
        a.copy_from_slice(&out[16 - a.len()..]);
        true
    }
}

impl std::str::FromStr for IpMap {
    type Err = RewriteSpecError;
    fn from_str(s: &str) -> Result<IpMap, RewriteSpecError> {
        let bad = || {
            spec_err(
                "address map",
                s,
                "expected OLD_CIDR:NEW_CIDR, e.g. 10.0.0.0/8:198.18.0.0/15",
            )
        };
        let slash = s.find('/').ok_or_else(bad)?;
        let colon = s[slash..].find(':').ok_or_else(bad)? + slash;
        let old: Cidr = s[..colon].parse()?;
        let new: Cidr = s[colon + 1..].parse()?;
        if old.addr.is_ipv4() != new.addr.is_ipv4() {
            return Err(spec_err(
                "address map",
                s,
                "both prefixes must be IPv4 or both IPv6",
            ));
        }
        Ok(IpMap { old, new })
    }
}

/// What to do with the VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VlanOp {
    /// Insert an 802.1Q tag with this id (the frame must be untagged).
    Add(u16),
    /// Remove the outer tag (an untagged frame is left as it is).
    Strip,
    /// Set the outer tag's id, keeping its priority; add a tag to an untagged frame.
    Set(u16),
}

impl std::str::FromStr for VlanOp {
    type Err = RewriteSpecError;
    fn from_str(s: &str) -> Result<VlanOp, RewriteSpecError> {
        let id = |v: &str| {
            v.parse::<u16>()
                .ok()
                .filter(|v| *v <= 4095)
                .ok_or_else(|| spec_err("VLAN operation", s, "the id must be 0..=4095"))
        };
        match s.split_once(':') {
            None if s == "strip" => Ok(VlanOp::Strip),
            Some(("add", v)) => Ok(VlanOp::Add(id(v)?)),
            Some(("set", v)) => Ok(VlanOp::Set(id(v)?)),
            _ => Err(spec_err(
                "VLAN operation",
                s,
                "expected add:ID, strip or set:ID",
            )),
        }
    }
}

/// Every rewrite asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RewriteSpec {
    pub src_mac: Option<MacAddr>,
    pub dst_mac: Option<MacAddr>,
    pub src_ip_map: Vec<IpMap>,
    pub dst_ip_map: Vec<IpMap>,
    pub vlan: Option<VlanOp>,
    pub fix_checksums: bool,
}

impl RewriteSpec {
    /// Nothing to rewrite.
    pub fn is_empty(&self) -> bool {
        *self == RewriteSpec::default()
    }
}

/// Why a frame was sent as read although a rewrite was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchanged {
    /// Shorter than its Ethernet header, or says IP with a cut or malformed IP header.
    Malformed,
    /// `add` on a frame that already has a tag.
    AlreadyTagged,
}

/// What happened to one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Some bytes changed (`checksums_partial`: `fix_checksums` was asked but the packet is not
    /// whole, so only the incremental updates and the IPv4 header's were done).
    Rewritten { checksums_partial: bool },
    /// Nothing asked applied to this frame (e.g. an address outside every map).
    Untouched,
    /// Left as read: a rewrite asked could not be done.
    Unchanged(Unchanged),
}

/// Rewrite `buf[..len]` in place (`buf` has room for 4 more bytes than `len` when a tag may be
/// added); returns the new length and what happened. On [`Outcome::Unchanged`] the caller
/// restores the frame as read.
pub fn apply(spec: &RewriteSpec, buf: &mut [u8], len: usize) -> (usize, Outcome) {
    if spec.is_empty() {
        return (len, Outcome::Untouched);
    }
    if len < ethernet::HEADER_LEN {
        return (len, Outcome::Unchanged(Unchanged::Malformed));
    }
    // Check everything before changing anything.
    let (tags, _) = layout::ethertype(&buf[..len]).unwrap_or((0, 0));
    if matches!(spec.vlan, Some(VlanOp::Add(_))) && tags > 0 {
        return (len, Outcome::Unchanged(Unchanged::AlreadyTagged));
    }
    let wants_ip = !spec.src_ip_map.is_empty() || !spec.dst_ip_map.is_empty() || spec.fix_checksums;
    if wants_ip && layout::parse(&buf[..len]) == Err(NotIp::Malformed) {
        return (len, Outcome::Unchanged(Unchanged::Malformed));
    }
    let mut changed = false;
    {
        let mut eth = ethernet::Header::new_unchecked(&mut buf[..len]);
        if let Some(m) = spec.dst_mac {
            changed |= eth.dst() != m;
            eth.set_dst(m);
        }
        if let Some(m) = spec.src_mac {
            changed |= eth.src() != m;
            eth.set_src(m);
        }
    }
    // The first tag sits where the untagged frame's EtherType was.
    let tag = ethernet::field::ETHERTYPE.start;
    let after_tag = tag + vlan::HEADER_LEN;
    let mut len = len;
    match spec.vlan {
        Some(VlanOp::Add(id)) | Some(VlanOp::Set(id)) if tags == 0 => {
            buf.copy_within(tag..len, after_tag);
            len += vlan::HEADER_LEN;
            ethernet::Header::new_unchecked(&mut buf[..len])
                .set_ethertype(ethernet::ethertype::VLAN);
            vlan::Header::new_unchecked(&mut buf[ethernet::HEADER_LEN..len]).set_tci(id);
            changed = true;
        }
        Some(VlanOp::Set(id)) => {
            let mut t = vlan::Header::new_unchecked(&mut buf[ethernet::HEADER_LEN..len]);
            changed |= t.vid() != id;
            t.set_vid(id);
        }
        Some(VlanOp::Strip) if tags > 0 => {
            buf.copy_within(after_tag..len, tag);
            len -= vlan::HEADER_LEN;
            changed = true;
        }
        _ => {}
    }
    let mut partial = false;
    if wants_ip {
        if let Ok(l) = layout::parse(&buf[..len]) {
            let (src, dst, n) = match l.version {
                IpVersion::V4 => (
                    at(l.l3, ipv4::field::SRC_ADDR).start,
                    at(l.l3, ipv4::field::DST_ADDR).start,
                    4,
                ),
                IpVersion::V6 => (
                    at(l.l3, ipv6::field::SRC_ADDR).start,
                    at(l.l3, ipv6::field::DST_ADDR).start,
                    16,
                ),
            };
            for (at, maps) in [(src, &spec.src_ip_map), (dst, &spec.dst_ip_map)] {
                changed |= map_address(&mut buf[..len], &l, at, n, maps);
            }
            if spec.fix_checksums {
                let before = checksum::words(&buf[..len], &l);
                partial = !checksum::fix_all(&mut buf[..len], &l);
                changed |= before != checksum::words(&buf[..len], &l);
            }
        }
    }
    let outcome = if changed {
        Outcome::Rewritten {
            checksums_partial: partial,
        }
    } else if partial {
        Outcome::Rewritten {
            checksums_partial: true,
        }
    } else {
        Outcome::Untouched
    };
    (len, outcome)
}

/// Map the address at `at` by the first map that contains it, fixing checksums incrementally.
fn map_address(b: &mut [u8], l: &Layout, at: usize, n: usize, maps: &[IpMap]) -> bool {
    let mut old = [0u8; 16];
    old[..n].copy_from_slice(&b[at..at + n]);
    for m in maps {
        if m.apply(&mut b[at..at + n]) {
            if b[at..at + n] != old[..n] {
                checksum::after_address_change(b, l, at, &old[..n]);
                return true;
            }
            return false;
        }
    }
    false
}

/// Cut a frame over the MTU to `max_len` bytes, setting the IP length fields to what is left
/// (and the IPv4 header checksum); the transport checksum is then no longer right.
pub fn truncate(buf: &mut [u8], max_len: usize) -> usize {
    if let Ok(l) = layout::parse(&buf[..max_len]) {
        if l.ip_end > max_len {
            let left = max_len - l.l3;
            match l.version {
                IpVersion::V4 => {
                    ipv4::Header::new_unchecked(&mut buf[l.l3..max_len]).set_total_len(left as u16);
                    checksum::fix_ipv4_header(buf, &l);
                }
                IpVersion::V6 => {
                    let p = (left - ipv6::HEADER_LEN) as u16;
                    ipv6::Header::new_unchecked(&mut buf[l.l3..max_len]).set_payload_len(p);
                }
            }
        }
    }
    max_len
}

#[cfg(test)]
mod tests;
