//! Ethernet II and its 802.1Q / 802.1ad tags (0x8100, 0x88a8, 0x9100), any number of them.

use etherparse::{EtherType, Ethernet2HeaderSlice, SingleVlanHeaderSlice};

use super::{Emit, Layout};
use crate::frame::MacAddr;

/// The EtherTypes that announce a VLAN tag.
pub(crate) fn is_vlan(ether_type: u16) -> bool {
    matches!(
        EtherType(ether_type),
        EtherType::VLAN_TAGGED_FRAME
            | EtherType::PROVIDER_BRIDGING
            | EtherType::VLAN_DOUBLE_TAGGED_FRAME
    )
}

/// The Ethernet header and the tags after it: the innermost EtherType and where its layer
/// starts; None when the frame is not even an Ethernet header, or a tag is cut short.
pub(super) fn walk<E: Emit>(
    frame: &[u8],
    lay: &mut Layout,
    emit: &mut E,
) -> Option<(EtherType, usize)> {
    let eth = Ethernet2HeaderSlice::from_slice(frame).ok()?;
    lay.eth = true;
    emit("eth.dst", 0..6, &|| MacAddr(eth.destination()).to_string());
    emit("eth.src", 6..12, &|| MacAddr(eth.source()).to_string());
    emit("eth.type", 12..14, &|| {
        format!("0x{:04x}", eth.ether_type().0)
    });
    let mut off = 14;
    let mut et = eth.ether_type();
    lay.ether_type = et.0;
    lay.payload_off = off;
    while is_vlan(et.0) {
        let v = SingleVlanHeaderSlice::from_slice(&frame[off..]).ok()?;
        emit("vlan.prio", off..off + 1, &|| {
            v.priority_code_point().value().to_string()
        });
        emit("vlan.dei", off..off + 1, &|| {
            (v.drop_eligible_indicator() as u8).to_string()
        });
        emit("vlan.id", off..off + 2, &|| {
            v.vlan_identifier().value().to_string()
        });
        emit("vlan.etype", off + 2..off + 4, &|| {
            format!("0x{:04x}", v.ether_type().0)
        });
        et = v.ether_type();
        off += 4;
        lay.vlans += 1;
        lay.ether_type = et.0;
        lay.payload_off = off;
    }
    Some((et, off))
}
