//! The live half of `prog_run`'s `dual: true`: the frame sent on the link where the program
//! is attached, PROG_RUN's frame out looked for where its verdict says it goes, and a failure
//! saying how the two disagree.
//!
//! Where each hook's verdict shows: XDP on `dut:eth0` runs before any packet socket, so a
//! frame it passes is seen by the port's receiver, one it drops by none, one it sends back
//! (XDP_TX) by the sender's. tc egress runs before the wire: a passed frame reaches the peer.
//! tc ingress runs after the all-protocol packet sockets (the port's receiver sees every frame
//! sent to it, dropped or not) but before the ones bound to an EtherType: so `dual` opens such
//! a socket on the port for the frame out's EtherType, and what it receives is what the
//! program let through.
//!
//! What stays true: a frame predicted to arrive is waited for up to [`DUAL_WITHIN`]; one
//! predicted to vanish is watched for [`DUAL_QUIET`] on every port; the frame the live run
//! leaves on a receiver is consumed, so later steps do not see it.

use std::time::{Duration, Instant};

use super::spec::{peer, BpfProgSpec, ProgRunStep};
use crate::bpf::{self, Hook, Kind};
use crate::harness::Matcher;
use crate::scenario::bench::Bench;
use crate::scenario::model::{PortRef, TopologySpec};
use crate::scenario::steps::Fail;
use crate::scenario::ScenarioError;
use crate::sock::recvmsg::{RecvConfig, RecvSocket};

/// How long `dual` waits for the frame on the live link when it should arrive.
pub const DUAL_WITHIN: Duration = Duration::from_secs(1);
/// How long `dual` watches for a frame that should not arrive.
pub const DUAL_QUIET: Duration = Duration::from_millis(100);

/// Where a frame goes for each verdict, as the live link shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Seen on the program's interface (XDP_PASS; TC_ACT_OK at tc ingress, past it) or its
    /// peer (TC_ACT_OK at tc egress).
    Passed,
    /// Back out of the interface it came in on (XDP_TX).
    Sent,
    Dropped,
    /// Elsewhere (a redirect).
    Redirected,
}

fn fate_of(kind: Kind, hook: Hook, ret: u32) -> Fate {
    let name = bpf::verdict_name(kind, ret);
    match (hook, name.as_str()) {
        (_, "XDP_PASS") | (_, "TC_ACT_OK") | (_, "TC_ACT_UNSPEC") | (_, "TC_ACT_PIPE") => {
            Fate::Passed
        }
        (_, "XDP_TX") => Fate::Sent,
        (_, "XDP_REDIRECT") | (_, "TC_ACT_REDIRECT") => Fate::Redirected,
        _ => Fate::Dropped,
    }
}

fn fate_text(f: Fate) -> &'static str {
    match f {
        Fate::Passed => "passed",
        Fate::Sent => "sent back out (XDP_TX)",
        Fate::Dropped => "dropped",
        Fate::Redirected => "redirected",
    }
}

/// The socket that sees what a tc-ingress program on `b` lets through: bound to `out`'s
/// EtherType on the program's interface, in its node's namespace, open before the frame is sent.
fn past_tc_ingress(bench: &Bench, b: &BpfProgSpec, out: &[u8]) -> Result<RecvSocket, Fail> {
    let cfg = RecvConfig {
        max_frame: crate::harness::plan::MAX_FRAME_LEN + 4,
        rcvbuf: 1 << 20,
        ..RecvConfig::default()
    };
    let ethertype = ethertype(out);
    let what = || format!("dual: a receiver past tc ingress on {}:{}", b.node, b.iface);
    bench
        .topology()
        .netns(&b.node)?
        .run(|| Ok(RecvSocket::open_protocol(&b.iface, &cfg, ethertype)))
        .map_err(|e| Fail::Error(format!("{}: {e}", what())))?
        .map_err(|e| Fail::Error(format!("{}: {}", what(), crate::error::chain(&e))))
}

/// The EtherType of a frame past its VLAN tags (the kernel delivers a tagged frame to the
/// sockets of its inner protocol); ETH_P_ALL when the frame is too short to have one.
fn ethertype(frame: &[u8]) -> u16 {
    let mut at = 12;
    while let Some(t) = frame.get(at..at + 2) {
        let t = u16::from_be_bytes([t[0], t[1]]);
        if t != 0x8100 && t != 0x88a8 {
            return t;
        }
        at += 4;
    }
    libc::ETH_P_ALL as u16
}

/// Whether `want` arrives on `sock` within `within` (zero: only what is queued); other frames
/// of the EtherType are passed over.
fn arrives(sock: &mut RecvSocket, want: &[u8], within: Duration) -> Result<bool, Fail> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match sock.recv(left) {
            Ok(Some(f)) if f.data() == want => return Ok(true),
            Ok(Some(_)) => continue,
            Ok(None) if left.is_zero() || Instant::now() >= deadline => return Ok(false),
            Ok(None) => continue,
            Err(e) => return Err(Fail::Error(format!("dual: {}", crate::error::chain(&e)))),
        }
    }
}

/// The live half of `dual`: send `frame` from `sender`, look for PROG_RUN's frame out where
/// its verdict says, and say how the two disagree.
#[allow(clippy::too_many_arguments)]
pub(super) fn dual(
    bench: &mut Bench,
    spec: &TopologySpec,
    s: &ProgRunStep,
    b: &BpfProgSpec,
    sender: &PortRef,
    kind: Kind,
    r: &bpf::RunResult,
    frame: &[u8],
) -> Result<String, Fail> {
    let port = PortRef::new(&b.node, &b.iface);
    // Where each fate shows: a passed frame on the program's side of the link.
    let passed_at = match b.hook {
        Hook::TcEgress => peer(spec, &port).expect("checked: a veth end"),
        _ => port.clone(),
    };
    let predicted = fate_of(kind, b.hook, r.ret);
    let out = r.frame.clone();
    let mut past_tc = match b.hook {
        Hook::TcIngress => Some(past_tc_ingress(bench, b, &out)?),
        _ => None,
    };
    let t0 = Instant::now();
    bench.send(sender, frame)?;
    let ports = bench.ports();
    let on_port = |bench: &mut Bench, p: &PortRef, f: &[u8], within: Duration| match bench.expect(
        p,
        Matcher::exact(f.to_vec()),
        within,
    ) {
        Ok(_) => Ok(true),
        Err(ScenarioError::Harness(crate::harness::HarnessError::Expectation(_))) => Ok(false),
        Err(e) => Err(Fail::from(e)),
    };
    if past_tc.is_some() && !on_port(bench, &port, frame, DUAL_WITHIN)? {
        // The port's receiver sees the frame before tc ingress, whatever the verdict.
        return Err(Fail::Failed(format!(
            "dual: the frame sent from {sender} never reached {port} (within {} ms)",
            DUAL_WITHIN.as_millis()
        )));
    }
    // Wait where the verdict says it shows; otherwise watch every port for the quiet period.
    // With tc ingress the program's port is looked at past the program.
    let mut look = |bench: &mut Bench, p: &PortRef, within: Duration| -> Result<bool, Fail> {
        match past_tc.as_mut() {
            Some(sock) if *p == port => arrives(sock, &out, within),
            _ => on_port(bench, p, &out, within),
        }
    };
    let shown = |p: &PortRef| match b.hook {
        Hook::TcIngress if *p == port => format!("{p} past tc ingress"),
        _ => p.to_string(),
    };
    let first = match predicted {
        Fate::Passed => Some(passed_at.clone()),
        Fate::Sent => Some(sender.clone()),
        _ => None,
    };
    if let Some(p) = &first {
        if look(bench, p, DUAL_WITHIN)? {
            return Ok(format!(
                "dual: the live link agrees: {} ({} arrived on {} in {:.0} µs)",
                r.verdict,
                if out == frame {
                    "the frame"
                } else {
                    "the frame out"
                },
                shown(p),
                t0.elapsed().as_secs_f64() * 1e6
            ));
        }
    }
    // Not where expected (or expected nowhere): where did it go?
    let wait = if first.is_some() {
        Duration::ZERO
    } else {
        DUAL_QUIET
    };
    let mut seen = None;
    let mut deadline_first = true;
    for p in &ports {
        let w = if deadline_first { wait } else { Duration::ZERO };
        deadline_first = false;
        if look(bench, p, w)? {
            seen = Some(p.clone());
            break;
        }
    }
    // The input frame unchanged somewhere, for a program that changed it in PROG_RUN.
    let live = match &seen {
        Some(p) if *p == passed_at => Fate::Passed,
        Some(p) if p == sender && kind == Kind::Xdp => Fate::Sent,
        Some(_) => Fate::Redirected,
        None => Fate::Dropped,
    };
    if live == predicted && predicted != Fate::Passed && predicted != Fate::Sent {
        return Ok(format!(
            "dual: the live link agrees: {} (the frame arrived on no port within {} ms)",
            r.verdict,
            DUAL_QUIET.as_millis()
        ));
    }
    if live == predicted {
        // Redirected to the same place: agreement.
        return Ok(format!("dual: the live link agrees: {}", r.verdict));
    }
    let where_ = match &seen {
        Some(p) => format!("the frame out arrived on {}", shown(p)),
        None => format!(
            "the frame out arrived on no port within {} ms",
            (if first.is_some() {
                DUAL_WITHIN
            } else {
                DUAL_QUIET
            })
            .as_millis()
        ),
    };
    Err(Fail::Failed(format!(
        "dual: BPF_PROG_RUN and the live link disagree: PROG_RUN of {} gave {} (the frame {}{}), but on the live link ({} at {}:{}, sent from {sender}) {where_}: {}",
        s.program,
        r.verdict,
        fate_text(predicted),
        match (predicted, &first) {
            (Fate::Passed | Fate::Sent, Some(p)) => format!(", expected on {}", shown(p)),
            _ => String::new(),
        },
        if b.program == s.program {
            b.hook.to_string()
        } else {
            format!("{} at {}", b.program, b.hook)
        },
        b.node,
        b.iface,
        fate_text(live)
    )))
}
