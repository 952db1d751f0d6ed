//! One synchronous rtnetlink socket: request/ack and dump with sequence numbers.
//!
//! The socket belongs to the network namespace of the thread that opened it, for its whole
//! life; that is how code here acts on another namespace (open it on a thread that entered
//! it, see [`super::netns::Netns::run`]). Errors come back as the kernel's errno
//! (`std::io::Error`); callers map them to [`LinkError`] with their own context (which name
//! already exists, which capability is missing).
//!
//! Why not `rtnetlink`: it carries the same message types but needs a tokio runtime; a veth
//! plus two namespaces costs a few milliseconds synchronously, and the CLI is single-shot.

use std::io;
use std::net::IpAddr;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use super::LinkError;
use crate::Capability;

/// An rtnetlink socket in the namespace of the thread that opened it.
#[derive(Debug)]
pub struct Netlink {
    sock: Socket,
    seq: u32,
    tx: Vec<u8>,
}

impl Netlink {
    /// Open a socket in the calling thread's network namespace.
    pub fn open() -> Result<Self, LinkError> {
        let op = "open rtnetlink socket";
        let mut sock = Socket::new(NETLINK_ROUTE)
            .map_err(|e| LinkError::from_errno(op, e, Capability::NetAdmin))?;
        sock.bind_auto()
            .map_err(|e| LinkError::from_errno(op, e, Capability::NetAdmin))?;
        // Strict checking makes the kernel honour filters in dump requests and reject junk.
        let _ = sock.set_netlink_get_strict_chk(true);
        Ok(Netlink {
            sock,
            seq: 0,
            tx: Vec::with_capacity(4096),
        })
    }

    fn send(&mut self, msg: RouteNetlinkMessage, flags: u16) -> io::Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = flags;
        header.sequence_number = self.seq;
        let mut nl = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(msg));
        nl.finalize();
        self.tx.clear();
        self.tx.resize(nl.buffer_len(), 0);
        nl.serialize(&mut self.tx);
        let kernel = SocketAddr::new(0, 0);
        self.sock.send_to(&self.tx, &kernel, 0)?;
        Ok(self.seq)
    }

    /// Receive replies to `seq` until the ack (or NLMSG_DONE for a dump); collect the inner
    /// messages. A NACK becomes its errno.
    fn collect(&mut self, seq: u32, dump: bool) -> io::Result<Vec<RouteNetlinkMessage>> {
        let mut out = Vec::new();
        loop {
            let (buf, _) = self.sock.recv_from_full()?;
            let mut off = 0;
            while off + 16 <= buf.len() {
                let len = u32::from_ne_bytes(buf[off..off + 4].try_into().unwrap()) as usize;
                if len < 16 || off + len > buf.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "truncated netlink message",
                    ));
                }
                let bytes = &buf[off..off + len];
                off += (len + 3) & !3;
                let msg = NetlinkMessage::<RouteNetlinkMessage>::deserialize(bytes)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                if msg.header.sequence_number != seq {
                    continue; // a stale reply to an earlier request
                }
                match msg.payload {
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            None => Ok(out),
                            Some(_) => Err(e.to_io()),
                        }
                    }
                    NetlinkPayload::Done(_) => return Ok(out),
                    NetlinkPayload::InnerMessage(m) => {
                        out.push(m);
                        if !dump {
                            // A reply to a GET without NLM_F_ACK is a single message.
                            if msg.header.flags & netlink_packet_core::NLM_F_MULTIPART == 0 {
                                return Ok(out);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// A request that changes something: NLM_F_ACK, wait for the ack.
    pub fn ack(&mut self, msg: RouteNetlinkMessage, extra_flags: u16) -> io::Result<()> {
        let seq = self.send(msg, NLM_F_REQUEST | NLM_F_ACK | extra_flags)?;
        self.collect(seq, true).map(drop)
    }

    /// A GET for one object: the single reply.
    pub fn get(&mut self, msg: RouteNetlinkMessage) -> io::Result<RouteNetlinkMessage> {
        let seq = self.send(msg, NLM_F_REQUEST)?;
        self.collect(seq, false)?
            .pop()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "empty reply"))
    }

    /// A dump: every message until NLMSG_DONE.
    pub fn dump(&mut self, msg: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
        let seq = self.send(msg, NLM_F_REQUEST | NLM_F_DUMP)?;
        self.collect(seq, true)
    }

    // ---- link requests ----

    /// RTM_GETLINK by name. ENODEV when it does not exist.
    pub fn link_by_name(&mut self, name: &str) -> io::Result<LinkMessage> {
        let mut req = LinkMessage::default();
        req.attributes.push(LinkAttribute::IfName(name.to_string()));
        match self.get(RouteNetlinkMessage::GetLink(req))? {
            RouteNetlinkMessage::NewLink(m) => Ok(m),
            other => Err(unexpected(&other)),
        }
    }

    /// RTM_GETLINK by index. ENODEV when it does not exist.
    pub fn link_by_index(&mut self, index: u32) -> io::Result<LinkMessage> {
        let mut req = LinkMessage::default();
        req.header.index = index;
        match self.get(RouteNetlinkMessage::GetLink(req))? {
            RouteNetlinkMessage::NewLink(m) => Ok(m),
            other => Err(unexpected(&other)),
        }
    }

    /// RTM_GETLINK dump: every link of the socket's namespace.
    pub fn links(&mut self) -> io::Result<Vec<LinkMessage>> {
        let msgs = self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(l),
                _ => None,
            })
            .collect())
    }

    /// RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL.
    pub fn create_link(&mut self, msg: LinkMessage) -> io::Result<()> {
        self.ack(RouteNetlinkMessage::NewLink(msg), NLM_F_CREATE | NLM_F_EXCL)
    }

    /// RTM_DELLINK by index.
    pub fn delete_link(&mut self, index: u32) -> io::Result<()> {
        let mut req = LinkMessage::default();
        req.header.index = index;
        self.ack(RouteNetlinkMessage::DelLink(req), 0)
    }

    /// Set IFF_UP (or clear it) on a link.
    pub fn set_up(&mut self, index: u32, up: bool) -> io::Result<()> {
        let mut req = LinkMessage::default();
        req.header.index = index;
        req.header.change_mask = LinkFlags::Up;
        if up {
            req.header.flags = LinkFlags::Up;
        }
        self.ack(RouteNetlinkMessage::NewLink(req), 0)
    }

    /// Set a link's MTU (IFLA_MTU).
    pub fn set_mtu(&mut self, index: u32, mtu: u32) -> io::Result<()> {
        let mut req = LinkMessage::default();
        req.header.index = index;
        req.attributes.push(LinkAttribute::Mtu(mtu));
        self.ack(RouteNetlinkMessage::NewLink(req), 0)
    }

    /// RTM_NEWADDR: `addr/prefix` on `index` (IFA_LOCAL and IFA_ADDRESS, like `ip addr add`).
    pub fn add_address(&mut self, index: u32, addr: IpAddr, prefix: u8) -> io::Result<()> {
        let mut req = AddressMessage::default();
        req.header.family = match addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        req.header.prefix_len = prefix;
        req.header.index = index;
        if addr.is_ipv4() {
            req.attributes.push(AddressAttribute::Local(addr));
        }
        req.attributes.push(AddressAttribute::Address(addr));
        self.ack(
            RouteNetlinkMessage::NewAddress(req),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    /// RTM_GETNSID: the id this socket's namespace gives the namespace behind `fd`
    /// (None when it has none: the kernel answers -1).
    pub fn nsid_of(&mut self, fd: std::os::fd::RawFd) -> io::Result<Option<i32>> {
        let mut req = NsidMessage::default();
        req.attributes.push(NsidAttribute::Fd(fd as u32));
        match self.get(RouteNetlinkMessage::GetNsId(req))? {
            RouteNetlinkMessage::NewNsId(m) => Ok(m.attributes.iter().find_map(|a| match a {
                NsidAttribute::Id(id) if *id >= 0 => Some(*id),
                _ => None,
            })),
            other => Err(unexpected(&other)),
        }
    }
}

fn unexpected(m: &RouteNetlinkMessage) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected reply type {}", m.message_type()),
    )
}
