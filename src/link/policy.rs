//! The interface policy, written once: may frames of this length be sent on this interface?
//! Used by `vethbench send`, `vethbench test` and the harness's ends.
//!
//! The checks, in this order: the frame fits the MTU (plus the Ethernet header); the link is
//! virtual (its frames cannot reach a physical network) unless physical links are allowed;
//! and, when asked, the link is up and has carrier. The errors are typed and name no command
//! line flag: a CLI words them with its own flags.

use super::iface::{self, IfaceInfo};
use super::{LinkError, Netns};

/// The kinds of link [`IfaceInfo::is_virtual`] accepts, as messages list them.
pub const VIRTUAL_KINDS: &str = "veth, dummy, netkit, tun, vcan, lo";

/// What a sender allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendPolicy {
    /// Also links whose frames may reach a physical network (a NIC, a bridge...).
    pub allow_physical: bool,
    /// Refuse a link that is down or has no carrier (frames would be dropped).
    pub require_up: bool,
    /// Header bytes a frame may have beyond the MTU: 14 (Ethernet), 18 with an 802.1Q tag.
    pub l2_len: usize,
}

impl SendPolicy {
    /// The harness's: virtual links only, up or not (a link down shows as loss), 14-byte
    /// Ethernet headers.
    pub const HARNESS: SendPolicy = SendPolicy {
        allow_physical: false,
        require_up: false,
        l2_len: 14,
    };
}

/// Why frames may not be sent on an interface.
#[derive(Debug, thiserror::Error)]
pub enum NotSendable {
    /// The frame is longer than the MTU plus the Ethernet header.
    #[error(
        "frames of {frame_len} bytes are too large for '{iface}' (MTU {mtu} allows {max_len} \
         bytes with the Ethernet header)"
    )]
    TooLarge {
        iface: String,
        frame_len: usize,
        mtu: u32,
        max_len: usize,
    },
    /// A link whose frames may reach a physical network.
    #[error(
        "refusing to send on '{iface}' (kind {}): only links whose frames cannot reach a \
         physical network are allowed ({VIRTUAL_KINDS})",
        kind_name(kind)
    )]
    Physical { iface: String, kind: Option<String> },
    /// Administratively down.
    #[error("interface '{iface}' is down")]
    Down { iface: String },
    /// Up, without carrier.
    #[error(
        "interface '{iface}' has no carrier (a veth whose peer is down?): frames would be dropped"
    )]
    NoCarrier { iface: String },
    /// The interface could not be looked up (e.g. it does not exist).
    #[error(transparent)]
    Link(#[from] LinkError),
}

/// The kind as messages print it.
pub fn kind_name(kind: &Option<String>) -> &str {
    kind.as_deref().unwrap_or("none: a physical NIC?")
}

/// Look `iface` up in `ns` and [`check`] it; its [`IfaceInfo`] when frames may go.
pub fn check_sendable(
    ns: &Netns,
    iface: &str,
    frame_len: Option<usize>,
    policy: SendPolicy,
) -> Result<IfaceInfo, NotSendable> {
    let info = ns.run(|| iface::info(iface))?;
    check(&info, frame_len, policy)?;
    Ok(info)
}

/// The policy's checks on an interface already looked up; `frame_len` None skips the MTU.
pub fn check(
    info: &IfaceInfo,
    frame_len: Option<usize>,
    policy: SendPolicy,
) -> Result<(), NotSendable> {
    if let Some(len) = frame_len {
        check_fits(info, len, policy.l2_len)?;
    }
    if !policy.allow_physical && !info.is_virtual() {
        return Err(NotSendable::Physical {
            iface: info.name.clone(),
            kind: info.kind.clone(),
        });
    }
    if policy.require_up {
        if !info.admin_up {
            return Err(NotSendable::Down {
                iface: info.name.clone(),
            });
        }
        if !info.oper_up {
            return Err(NotSendable::NoCarrier {
                iface: info.name.clone(),
            });
        }
    }
    Ok(())
}

/// Only the MTU check: a frame of `frame_len` bytes, `l2_len` of them header, fits `info`.
pub fn check_fits(info: &IfaceInfo, frame_len: usize, l2_len: usize) -> Result<(), NotSendable> {
    let max_len = info.mtu as usize + l2_len;
    if frame_len > max_len {
        return Err(NotSendable::TooLarge {
            iface: info.name.clone(),
            frame_len,
            mtu: info.mtu,
            max_len,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(kind: Option<&str>, up: bool, carrier: bool) -> IfaceInfo {
        IfaceInfo {
            name: "x0".into(),
            ifindex: 2,
            mac: [2, 0, 0, 0, 0, 1],
            mtu: 1500,
            admin_up: up,
            oper_up: carrier,
            kind: kind.map(str::to_string),
        }
    }

    #[test]
    fn the_checks_in_order() {
        let send = SendPolicy {
            allow_physical: false,
            require_up: true,
            l2_len: 14,
        };
        let veth = info(Some("veth"), true, true);
        assert!(check(&veth, Some(1514), send).is_ok());
        assert!(matches!(
            check(&veth, Some(1515), send),
            Err(NotSendable::TooLarge { max_len: 1514, .. })
        ));
        // The MTU is checked before the kind, the kind before the link state.
        let bridge = info(Some("bridge"), false, false);
        assert!(matches!(
            check(&bridge, Some(9000), send),
            Err(NotSendable::TooLarge { .. })
        ));
        let e = check(&bridge, None, send).unwrap_err();
        assert_eq!(
            e.to_string(),
            "refusing to send on 'x0' (kind bridge): only links whose frames cannot reach a \
             physical network are allowed (veth, dummy, netkit, tun, vcan, lo)"
        );
        let allow = SendPolicy {
            allow_physical: true,
            ..send
        };
        assert!(matches!(
            check(&bridge, None, allow),
            Err(NotSendable::Down { .. })
        ));
        assert!(matches!(
            check(&info(Some("veth"), true, false), None, send),
            Err(NotSendable::NoCarrier { .. })
        ));
        assert!(check(&info(Some("veth"), false, false), None, SendPolicy::HARNESS).is_ok());
        assert!(check(&info(None, true, true), None, SendPolicy::HARNESS).is_err());
    }
}
