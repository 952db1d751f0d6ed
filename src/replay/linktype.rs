//! Link types a capture may hold, and how each becomes an Ethernet frame for a veth: Ethernet
//! as is; Linux cooked captures (SLL, SLL2) and raw IP get a 14-byte Ethernet header with the
//! given MACs and the ethertype the capture names. Other link types are refused.

use crate::frame::wire::{ethernet, ethernet::ethertype, ip, sll};
use crate::frame::MacAddr;

/// LINKTYPE_ETHERNET.
pub const ETHERNET: u16 = 1;
/// LINKTYPE_RAW (IPv4 or IPv6 by the version nibble).
pub const RAW: u16 = 101;
/// LINKTYPE_LINUX_SLL (`tcpdump -i any` before libpcap 1.10).
pub const SLL: u16 = 113;
/// LINKTYPE_IPV4.
pub const IPV4: u16 = 228;
/// LINKTYPE_IPV6.
pub const IPV6: u16 = 229;
/// LINKTYPE_LINUX_SLL2.
pub const SLL2: u16 = 276;

/// The link types replay takes, as messages list them.
pub const SUPPORTED: &str =
    "Ethernet (1), Linux cooked SLL (113) and SLL2 (276), raw IP (101, 228, 229)";

/// True for the link types [`to_ethernet`] converts.
pub fn supported(linktype: u16) -> bool {
    matches!(linktype, ETHERNET | RAW | SLL | IPV4 | IPV6 | SLL2)
}

/// Whether a frame of this link type is converted at all.
pub fn needs_header(linktype: u16) -> bool {
    linktype != ETHERNET && supported(linktype)
}

/// Write `data` (of a non-Ethernet link type) into `out` as an Ethernet frame from `src` to
/// `dst`; its length, or None when the frame names no ethertype (an SLL frame of an 802.2
/// protocol, a raw frame that is not IP, one shorter than its header) or does not fit `out`.
pub fn to_ethernet(
    linktype: u16,
    data: &[u8],
    src: MacAddr,
    dst: MacAddr,
    out: &mut [u8],
) -> Option<usize> {
    let (et, payload) = match linktype {
        SLL => (
            sll::Header::new_checked(data).ok()?.protocol(),
            &data[sll::HEADER_LEN..],
        ),
        SLL2 => (
            sll::v2::Header::new_checked(data).ok()?.protocol(),
            &data[sll::HEADER_LEN_V2..],
        ),
        RAW | IPV4 | IPV6 => match ip::version(*data.first()?) {
            4 => (ethertype::IPV4, data),
            6 => (ethertype::IPV6, data),
            _ => return None,
        },
        _ => return None,
    };
    // Below 0x0600 the field is a length or a Linux pseudo-protocol (ETH_P_802_2...).
    let len = ethernet::HEADER_LEN + payload.len();
    if et < 0x0600 || out.len() < len {
        return None;
    }
    let mut eth = ethernet::Header::new_unchecked(&mut out[..len]);
    eth.set_dst(dst);
    eth.set_src(src);
    eth.set_ethertype(et);
    out[ethernet::HEADER_LEN..len].copy_from_slice(payload);
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooked_and_raw_frames_get_an_ethernet_header() {
        let ip = [
            0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ];
        let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ];
        sll2.extend_from_slice(&ip);
        let (s, d) = (MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
        for (lt, data) in [
            (SLL, &sll[..]),
            (SLL2, &sll2[..]),
            (RAW, &ip[..]),
            (IPV4, &ip[..]),
        ] {
            let mut out = [0u8; 64];
            let n = to_ethernet(lt, data, s, d, &mut out).unwrap();
            assert_eq!(n, 34);
            assert_eq!(&out[..6], &d.0);
            assert_eq!(&out[6..12], &s.0);
            assert_eq!(&out[12..14], &[0x08, 0x00]);
            assert_eq!(&out[14..n], &ip);
        }
        let mut out = [0u8; 64];
        assert_eq!(to_ethernet(RAW, &[0x20, 1], s, d, &mut out), None);
        sll[14] = 0;
        sll[15] = 4; // ETH_P_802_2
        assert_eq!(to_ethernet(SLL, &sll, s, d, &mut out), None);
        assert_eq!(to_ethernet(SLL, &sll[..10], s, d, &mut out), None);
        assert!(!supported(105)); // 802.11
    }
}
