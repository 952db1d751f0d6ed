//! A stream between the two ends of one plain veth link receives as `vethbench test`'s private
//! pair does (`harness::plan::open_all`): for the stream only, the receiving end's work moves
//! to a threaded NAPI instance (GRO and threaded NAPI on the receiving end, TSO off on the
//! sending one: `link::offload::thread_rx`) pinned to another CPU than the caller's, so the
//! sender and the receive work do not share a CPU. Without it a stream step got about 0.8 of
//! `vethbench test`'s frames/s on the same frame (docs/python.md, "Speed of Bench").
//!
//! Only where nothing is under test on the way and nobody chose the settings: both ends are
//! ports the topology made (no attached node's interface), the link has no impairment relay,
//! no eBPF program is attached to either end, and the ends are at a new veth's defaults
//! (threaded NAPI and GRO off on the receiving end, TSO on on the sending end). Anything else
//! (a router in between, a setup command that ran `ethtool -K`) is measured as built.
//! [`Threaded::off`] puts the defaults back when the stream ends. Best effort, as in the
//! CLI: where a setting cannot be changed the stream runs on the default path, slower.

use super::super::model::PortRef;
use super::super::topology::Topology;
use crate::link::offload::{self, Offload};
use crate::sys::cpu;

/// The threaded receive path, switched on for one stream.
pub(super) struct Threaded {
    from: PortRef,
    to: PortRef,
    /// The NAPI threads' CPUs, put back on drop (the threads outlive the setting).
    _pinned: Option<cpu::PinnedThreads>,
}

/// Whether `from` -> `to` is one plain veth link of `topo`, at a new veth's defaults.
fn eligible(topo: &Topology, from: &PortRef, to: &PortRef) -> bool {
    let spec = &topo.spec;
    let direct = spec.links.iter().any(|l| {
        l.impair.is_none()
            && ((l.ends[0] == *from && l.ends[1] == *to)
                || (l.ends[0] == *to && l.ends[1] == *from))
    });
    let touched = |p: &PortRef| {
        spec.existing.contains(p)
            || spec
                .bpf
                .iter()
                .any(|b| b.node == p.node && b.iface == p.iface)
    };
    if !direct || touched(from) || touched(to) {
        return false;
    }
    let (Ok(ns_tx), Ok(ns_rx)) = (topo.netns(&from.node), topo.netns(&to.node)) else {
        return false;
    };
    let defaults = || -> Result<bool, crate::link::LinkError> {
        Ok(!offload::threaded(ns_rx, &to.iface)?
            && !ns_rx.run(|| offload::get(&to.iface, Offload::Gro))?
            && ns_tx.run(|| offload::get(&from.iface, Offload::Tso))?)
    };
    defaults().unwrap_or(false)
}

impl Threaded {
    /// Switch the threaded path on for `from` -> `to` when [`eligible`]; None otherwise, or
    /// when the kernel refused (what was switched is put back).
    pub(super) fn on(topo: &Topology, from: &PortRef, to: &PortRef) -> Option<Threaded> {
        if !eligible(topo, from, to) {
            return None;
        }
        let (ns_tx, ns_rx) = (topo.netns(&from.node).ok()?, topo.netns(&to.node).ok()?);
        let napi = match offload::thread_rx(ns_tx, &from.iface, ns_rx, &to.iface, true) {
            Ok(napi) => napi,
            Err(_) => {
                let _ = offload::thread_rx(ns_tx, &from.iface, ns_rx, &to.iface, false);
                return None;
            }
        };
        // Away from the CPU this thread runs on (the sender's, until the scheduler moves it),
        // as the CLI's pair does when nothing is pinned.
        let cpus = cpu::allowed();
        let pinned = match (cpus.len() >= 2, cpu::current()) {
            (true, here) => {
                let i = here
                    .and_then(|h| cpus.iter().position(|&c| c == h))
                    .unwrap_or(0);
                cpu::pin_threads_for_now(&napi, &[cpus[(i + 1) % cpus.len()]]).ok()
            }
            (false, _) => None,
        };
        Some(Threaded {
            from: from.clone(),
            to: to.clone(),
            _pinned: pinned,
        })
    }

    /// Put the new veth's defaults back (threaded NAPI and GRO off, TSO on).
    pub(super) fn off(self, topo: &Topology) {
        if let (Ok(ns_tx), Ok(ns_rx)) = (topo.netns(&self.from.node), topo.netns(&self.to.node)) {
            let _ = offload::thread_rx(ns_tx, &self.from.iface, ns_rx, &self.to.iface, false);
        }
    }
}
