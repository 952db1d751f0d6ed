//! ICMP and ICMPv6 echo through the kernel's stack (the walkthrough's `ping` step).
//!
//! A SOCK_RAW ICMP socket (CAP_NET_RAW) sees the reply's IP header, so the TTL is known (for
//! ICMPv6, the hop limit comes as IPV6_HOPLIMIT ancillary data); when raw sockets are not
//! allowed it falls back to an unprivileged SOCK_DGRAM "ping" socket (needs the caller's group
//! in `net.ipv4.ping_group_range`, for both families; no TTL then). ICMPv4 echo requests and
//! replies are built and parsed with etherparse; an ICMPv6 echo is 8 bytes whose checksum the
//! kernel fills in (it always does on ICMPv6 sockets, RFC 3542). The socket belongs to the
//! calling thread's namespace.

use std::io::IoSliceMut;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use etherparse::{IcmpEchoHeader, Icmpv4Header, Icmpv4Slice, Icmpv4Type, Ipv4HeaderSlice};
use nix::errno::Errno;
use nix::sys::socket::{
    recvfrom, recvmsg, sendto, setsockopt, socket, sockopt, AddressFamily, ControlMessageOwned,
    MsgFlags, SockFlag, SockProtocol, SockType, SockaddrIn, SockaddrIn6,
};
use nix::sys::time::TimeVal;

use super::LinkError;
use crate::{Capability, NoSuchInterface};

/// ping(8)'s default payload: 56 bytes, 64 with the ICMP header, 84 with IPv4's.
pub const PAYLOAD_LEN: usize = 56;

/// One echo reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    pub seq: u16,
    /// ICMP bytes (header + payload), as ping prints them.
    pub bytes: usize,
    /// The TTL (IPv4) or hop limit (IPv6); None on a SOCK_DGRAM socket.
    pub ttl: Option<u8>,
    pub rtt: Duration,
    pub from: IpAddr,
}

/// The largest payload ping(8) accepts: 65535 minus the IPv4 and ICMP headers.
pub const MAX_PAYLOAD_LEN: usize = 65535 - 20 - 8;

/// An ICMP (or ICMPv6) echo socket aimed at one address.
#[derive(Debug)]
pub struct Pinger {
    fd: OwnedFd,
    dst: IpAddr,
    id: u16,
    raw: bool,
    /// The echo request: 8-byte ICMP header, then the payload (allocated once).
    tx: Vec<u8>,
    rx: Vec<u8>,
    /// Room for the IPV6_HOPLIMIT control message (IPv6 only).
    cmsg: Vec<u8>,
}

/// How to ping: ping(8)'s `-s` and `-I`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PingOptions {
    /// Payload bytes after the ICMP header (`-s`); None: [`PAYLOAD_LEN`].
    pub size: Option<usize>,
    /// Send from this interface (`-I IFACE`, SO_BINDTODEVICE).
    pub iface: Option<String>,
    /// Send from this address (`-I ADDR`), of the destination's family.
    pub source: Option<IpAddr>,
}

fn io(op: String, e: Errno) -> LinkError {
    LinkError::Io {
        op,
        source: std::io::Error::from_raw_os_error(e as i32),
    }
}

impl Pinger {
    /// Open the socket in the calling thread's namespace, with ping(8)'s defaults.
    pub fn new(dst: IpAddr) -> Result<Self, LinkError> {
        Self::with_options(dst, &PingOptions::default())
    }

    /// Open the socket in the calling thread's namespace.
    pub fn with_options(dst: IpAddr, opts: &PingOptions) -> Result<Self, LinkError> {
        let size = opts.size.unwrap_or(PAYLOAD_LEN);
        if size > MAX_PAYLOAD_LEN {
            return Err(LinkError::InvalidName {
                what: "ping size",
                name: size.to_string(),
                reason: "at most 65507 bytes (65535 minus the IPv4 and ICMP headers)",
            });
        }
        let (family, proto, what) = match dst {
            IpAddr::V4(_) => (AddressFamily::Inet, SockProtocol::Icmp, "ICMP"),
            IpAddr::V6(_) => (AddressFamily::Inet6, SockProtocol::IcmpV6, "ICMPv6"),
        };
        let open = |ty| socket(family, ty, SockFlag::SOCK_CLOEXEC, proto);
        let (fd, raw) = match open(SockType::Raw) {
            Ok(fd) => (fd, true),
            Err(Errno::EPERM) | Err(Errno::EACCES) => match open(SockType::Datagram) {
                Ok(fd) => (fd, false),
                Err(_) => {
                    return Err(LinkError::Permission {
                        op: format!("open {what} socket"),
                        cap: Capability::NetRaw,
                    })
                }
            },
            Err(e) => return Err(io(format!("open {what} socket"), e)),
        };
        if let Some(iface) = &opts.iface {
            super::check_ifname(iface)?;
            setsockopt(&fd, sockopt::BindToDevice, &std::ffi::OsString::from(iface)).map_err(
                |e| match e {
                    Errno::ENODEV => LinkError::NoSuchInterface(NoSuchInterface::new(iface)),
                    Errno::EPERM => LinkError::Permission {
                        op: format!("bind the {what} socket to {iface}"),
                        cap: Capability::NetRaw,
                    },
                    e => io(format!("bind the {what} socket to {iface}"), e),
                },
            )?;
        }
        match (opts.source, dst) {
            (None, _) => {}
            (Some(IpAddr::V4(src)), IpAddr::V4(_)) => {
                let at = SockaddrIn::from(std::net::SocketAddrV4::new(src, 0));
                nix::sys::socket::bind(fd.as_raw_fd(), &at)
                    .map_err(|e| io(format!("use {src} as the source address"), e))?;
            }
            (Some(IpAddr::V6(src)), IpAddr::V6(_)) => {
                let at = SockaddrIn6::from(std::net::SocketAddrV6::new(src, 0, 0, 0));
                nix::sys::socket::bind(fd.as_raw_fd(), &at)
                    .map_err(|e| io(format!("use {src} as the source address"), e))?;
            }
            (Some(src), _) => {
                return Err(LinkError::InvalidName {
                    what: "source address",
                    name: src.to_string(),
                    reason: "not of the destination's address family",
                })
            }
        }
        if dst.is_ipv6() && raw {
            setsockopt(&fd, sockopt::Ipv6RecvHopLimit, &true)
                .map_err(|e| io("ask for the hop limit (IPV6_RECVHOPLIMIT)".into(), e))?;
        }
        let mut tx = vec![0u8; 8 + size];
        // ping(8)'s pattern after its timestamp: 0x08, 0x09, ... so captures look familiar.
        for (i, b) in tx[8..].iter_mut().enumerate() {
            *b = i as u8;
        }
        Ok(Pinger {
            fd,
            dst,
            id: (std::process::id() as u16) ^ 0x5642,
            raw,
            tx,
            // The largest reply: a whole IP datagram.
            rx: vec![0; 65536],
            cmsg: nix::cmsg_space!(libc::c_int),
        })
    }

    /// The destination.
    pub fn dst(&self) -> IpAddr {
        self.dst
    }

    /// Send echo request `seq` and wait up to `timeout` for its reply (None: timed out).
    pub fn ping(&mut self, seq: u16, timeout: Duration) -> Result<Option<EchoReply>, LinkError> {
        let sent = Instant::now();
        let sent_ok = match self.dst {
            IpAddr::V4(dst) => {
                let hdr = Icmpv4Header::with_checksum(
                    Icmpv4Type::EchoRequest(IcmpEchoHeader { id: self.id, seq }),
                    &self.tx[8..],
                );
                self.tx[..8].copy_from_slice(&hdr.to_bytes());
                let to = SockaddrIn::from(std::net::SocketAddrV4::new(dst, 0));
                sendto(self.fd.as_raw_fd(), &self.tx, &to, MsgFlags::empty())
            }
            IpAddr::V6(dst) => {
                // Type 128 (echo request), code 0, checksum 0 (the kernel's), id, seq.
                let [i0, i1] = self.id.to_be_bytes();
                let [s0, s1] = seq.to_be_bytes();
                self.tx[..8].copy_from_slice(&[128, 0, 0, 0, i0, i1, s0, s1]);
                let to = SockaddrIn6::from(std::net::SocketAddrV6::new(dst, 0, 0, 0));
                sendto(self.fd.as_raw_fd(), &self.tx, &to, MsgFlags::empty())
            }
        };
        sent_ok.map_err(|e| io(format!("send ICMP echo to {}", self.dst), e))?;
        let deadline = sent + timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let left = (deadline - now).max(Duration::from_micros(1));
            let tv = TimeVal::new(left.as_secs() as _, left.subsec_micros() as _);
            let _ = setsockopt(&self.fd, sockopt::ReceiveTimeout, &tv);
            let got = match self.dst {
                IpAddr::V4(_) => recvfrom::<SockaddrIn>(self.fd.as_raw_fd(), &mut self.rx)
                    .map(|(n, _)| (n, None, None)),
                IpAddr::V6(_) => self.recv_v6(),
            };
            let (n, hops, from) = match got {
                Ok(v) => v,
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => continue,
                Err(e) => return Err(io(format!("receive ICMP from {}", self.dst), e)),
            };
            let rtt = sent.elapsed();
            let r = match self.dst {
                IpAddr::V4(_) => self.parse(&self.rx[..n], seq),
                IpAddr::V6(_) => self.parse_v6(&self.rx[..n], seq, hops, from),
            };
            if let Some(r) = r {
                return Ok(Some(EchoReply { rtt, ..r }));
            }
        }
    }

    /// One ICMPv6 message: its length, the hop limit it came with, its sender.
    fn recv_v6(&mut self) -> Result<(usize, Option<u8>, Option<IpAddr>), Errno> {
        let mut iov = [IoSliceMut::new(&mut self.rx)];
        let m = recvmsg::<SockaddrIn6>(
            self.fd.as_raw_fd(),
            &mut iov,
            Some(&mut self.cmsg),
            MsgFlags::empty(),
        )?;
        let hops = m.cmsgs().ok().and_then(|mut c| {
            c.find_map(|c| match c {
                ControlMessageOwned::Ipv6HopLimit(h) => u8::try_from(h).ok(),
                _ => None,
            })
        });
        let from = m.address.map(|a| IpAddr::V6(a.ip()));
        Ok((m.bytes, hops, from))
    }

    /// Our ICMPv6 echo reply to `seq`, or None for anything else the socket sees.
    fn parse_v6(
        &self,
        icmp: &[u8],
        seq: u16,
        hops: Option<u8>,
        from: Option<IpAddr>,
    ) -> Option<EchoReply> {
        if icmp.len() < 8 || icmp[0] != 129 || icmp[1] != 0 {
            return None;
        }
        let id = u16::from_be_bytes([icmp[4], icmp[5]]);
        let got_seq = u16::from_be_bytes([icmp[6], icmp[7]]);
        // A DGRAM ping socket rewrites the id to its port and filters for us.
        if got_seq != seq || (self.raw && id != self.id) {
            return None;
        }
        let from = from.unwrap_or(self.dst);
        if from != self.dst && !self.dst.is_unspecified() {
            return None;
        }
        Some(EchoReply {
            seq,
            bytes: icmp.len(),
            ttl: hops,
            rtt: Duration::ZERO,
            from,
        })
    }

    /// Our echo reply to `seq`, or None for anything else the raw socket sees.
    fn parse(&self, buf: &[u8], seq: u16) -> Option<EchoReply> {
        let (icmp, ttl, from) = if self.raw {
            let ip = Ipv4HeaderSlice::from_slice(buf).ok()?;
            let hl = usize::from(ip.ihl()) * 4;
            (&buf[hl..], Some(ip.ttl()), IpAddr::V4(ip.source_addr()))
        } else {
            (buf, None, self.dst)
        };
        let s = Icmpv4Slice::from_slice(icmp).ok()?;
        match s.icmp_type() {
            // A DGRAM ping socket rewrites the id to its port and filters for us.
            Icmpv4Type::EchoReply(e) if e.seq == seq && (e.id == self.id || !self.raw) => {
                // 0.0.0.0 means "this host" (Linux answers from 127.0.0.1, as ping(8) shows).
                if from != self.dst && !self.dst.is_unspecified() {
                    return None;
                }
                Some(EchoReply {
                    seq,
                    bytes: icmp.len(),
                    ttl,
                    rtt: Duration::ZERO,
                    from,
                })
            }
            _ => None,
        }
    }
}

/// ping(8)'s closing statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PingSummary {
    pub transmitted: u32,
    pub received: u32,
    pub elapsed: Duration,
    /// min, avg, max, mdev in milliseconds (None when nothing came back).
    pub rtt_ms: Option<(f64, f64, f64, f64)>,
}

impl PingSummary {
    /// From the RTTs of the replies received.
    pub fn new(transmitted: u32, rtts: &[Duration], elapsed: Duration) -> Self {
        let rtt_ms = if rtts.is_empty() {
            None
        } else {
            let ms: Vec<f64> = rtts.iter().map(|d| d.as_secs_f64() * 1e3).collect();
            let n = ms.len() as f64;
            let min = ms.iter().cloned().fold(f64::INFINITY, f64::min);
            let max = ms.iter().cloned().fold(0.0, f64::max);
            let avg = ms.iter().sum::<f64>() / n;
            // ping's mdev: sqrt(E[x^2] - E[x]^2).
            let sq = ms.iter().map(|x| x * x).sum::<f64>() / n;
            let mdev = (sq - avg * avg).max(0.0).sqrt();
            Some((min, avg, max, mdev))
        };
        PingSummary {
            transmitted,
            received: rtts.len() as u32,
            elapsed,
            rtt_ms,
        }
    }

    /// The lines ping(8) prints at the end.
    pub fn lines(&self, dst: impl std::fmt::Display) -> String {
        let loss = if self.transmitted == 0 {
            0.0
        } else {
            f64::from(self.transmitted - self.received) * 100.0 / f64::from(self.transmitted)
        };
        let loss = if loss.fract() == 0.0 {
            format!("{loss:.0}")
        } else {
            format!("{loss:.4}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        };
        let mut s = format!(
            "--- {dst} ping statistics ---\n{} packets transmitted, {} received, {loss}% packet loss, time {}ms\n",
            self.transmitted,
            self.received,
            self.elapsed.as_millis()
        );
        if let Some((min, avg, max, mdev)) = self.rtt_ms {
            s += &format!("rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms\n");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn summary_like_ping() {
        let rtts = [0.084, 0.029, 0.053, 0.030, 0.033].map(|ms| Duration::from_secs_f64(ms / 1e3));
        let s = PingSummary::new(5, &rtts, Duration::from_millis(4005));
        let text = s.lines(Ipv4Addr::new(198, 18, 0, 20));
        assert!(
            text.contains("5 packets transmitted, 5 received, 0% packet loss, time 4005ms"),
            "{text}"
        );
        // ping(8) printed min/avg/max = 0.029/0.045/0.084 for these; mdev by its formula.
        assert!(
            text.contains("rtt min/avg/max/mdev = 0.029/0.046/0.084/0.021 ms"),
            "{text}"
        );
    }

    #[test]
    fn summary_with_loss() {
        let s = PingSummary::new(3, &[Duration::from_millis(1)], Duration::from_millis(2002));
        let text = s.lines(Ipv4Addr::new(198, 18, 0, 20));
        assert!(
            text.contains("3 packets transmitted, 1 received, 66.6667% packet loss"),
            "{text}"
        );
        let none = PingSummary::new(2, &[], Duration::from_millis(1001)).lines(Ipv4Addr::LOCALHOST);
        assert!(
            none.contains("100% packet loss") && !none.contains("rtt"),
            "{none}"
        );
    }
}
