//! The live half of `prog_run`'s `dual: true`: the frame sent on the link where the program
//! is attached, PROG_RUN's frame out looked for where its verdict says it goes, and a failure
//! saying how the two disagree.
//!
//! What stays true: a frame predicted to arrive is waited for up to [`DUAL_WITHIN`]; one
//! predicted to vanish is watched for [`DUAL_QUIET`] on every port.

use std::time::{Duration, Instant};

use super::spec::{peer, BpfProgSpec, ProgRunStep};
use crate::bpf::{self, Hook, Kind};
use crate::harness::Matcher;
use crate::scenario::bench::Bench;
use crate::scenario::model::{PortRef, TopologySpec};
use crate::scenario::steps::Fail;
use crate::scenario::ScenarioError;

/// How long `dual` waits for the frame on the live link when it should arrive.
pub const DUAL_WITHIN: Duration = Duration::from_secs(1);
/// How long `dual` watches for a frame that should not arrive.
pub const DUAL_QUIET: Duration = Duration::from_millis(100);

/// Where a frame goes for each verdict, as the live link shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Seen on the program's interface (XDP_PASS) or its peer (tc egress TC_ACT_OK).
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
    let t0 = Instant::now();
    bench.send(sender, frame)?;
    let out = r.frame.clone();
    let ports = bench.ports();
    // Wait where the verdict says it shows; otherwise watch every port for the quiet period.
    let look = |bench: &mut Bench, p: &PortRef, within: Duration| -> Result<bool, Fail> {
        match bench.expect(p, Matcher::exact(out.clone()), within) {
            Ok(_) => Ok(true),
            Err(ScenarioError::Harness(crate::harness::HarnessError::Expectation(_))) => Ok(false),
            Err(e) => Err(e.into()),
        }
    };
    let first = match predicted {
        Fate::Passed => Some(passed_at.clone()),
        Fate::Sent => Some(sender.clone()),
        _ => None,
    };
    if let Some(p) = &first {
        if look(bench, p, DUAL_WITHIN)? {
            return Ok(format!(
                "dual: the live link agrees: {} ({} arrived on {p} in {:.0} µs)",
                r.verdict,
                if out == frame {
                    "the frame"
                } else {
                    "the frame out"
                },
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
        Some(p) if p == sender => Fate::Sent,
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
        Some(p) => format!("the frame out arrived on {p}"),
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
            (Fate::Passed | Fate::Sent, Some(p)) => format!(", expected on {p}"),
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
