//! The multi-port [`Bench`]: a built [`Topology`] with a [`Testbench`] end on every veth end,
//! addressed by name (`"h1:eth0"`). The scenario runner drives it; a Rust regression test
//! uses the same calls, so both go through one code path.
//!
//! What stays true: every port's receive socket is bound when [`Bench::new`] returns (no frame
//! sent afterwards is missed), and [`Bench::reset`] empties every queue, so a test sees only
//! what it caused. Frames are Scapy expressions built with `mac("NODE:IFACE")` and
//! `ip("NODE:IFACE")` resolved from the topology; a sent frame's `Ether.src` and `IP.src`
//! default to the sending port's own.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::model::{PortRef, TopologySpec};
use super::topology::Topology;
use super::{proc, ScenarioError};
use crate::frame::expr::{self, Env, Expr, Value};
use crate::frame::MacAddr;
use crate::harness::{
    ends, EndId, HarnessError, Matcher, NoiseFilter, Received, RxMeta, Tap, Testbench,
};

/// A topology with a testbench end on each of its veth ends.
///
/// ```no_run
/// use std::time::Duration;
/// use vethbench::harness::Matcher;
/// use vethbench::scenario::{Bench, TopologySpec};
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // Two hosts on one link, in private namespaces removed when `bench` drops.
///     let topo = TopologySpec::new()
///         .node("h1")
///         .node("h2")
///         .link("h1:eth0", "h2:eth0")
///         .address("h1:eth0", "198.18.1.1/24")
///         .address("h2:eth0", "198.18.1.2/24");
///     let mut bench = Bench::new(&topo)?;
///     let f = bench.frame("h1:eth0", r#"Ether(dst=mac("h2:eth0"))/IP(dst=ip("h2:eth0"))/Raw(load=b"hi")"#)?;
///     bench.send("h1:eth0", &f)?;
///     bench.expect("h2:eth0", Matcher::exact(f), Duration::from_secs(1))?;
///     bench.expect_none("h2:eth0", Duration::from_millis(50))?;
///     Ok(())
/// }
/// ```
pub struct Bench {
    topo: Topology,
    tb: Testbench,
    ports: Vec<(PortRef, EndId)>,
    tap: SharedTap,
    daemons: Vec<proc::Daemon>,
    /// Values saved by the current test's steps (`save:`), emptied by [`Bench::reset`].
    pub vars: super::model::Vars,
    /// Set (by a signal handler) to stop: a running command is killed, the test ends.
    stop: Arc<AtomicBool>,
    /// `compare` steps write their golden files instead of comparing (`run --update-golden`).
    pub update_golden: bool,
    /// Where the current test's frames begin in the testbench's log (set by [`Bench::reset`]).
    log_mark: usize,
}

impl std::fmt::Debug for Bench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bench")
            .field(
                "ports",
                &self
                    .ports
                    .iter()
                    .map(|(p, _)| p.to_string())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// One tap on the testbench whose inner writer is swapped per test (a pcapng per test).
#[derive(Clone, Default)]
struct SharedTap(Arc<Mutex<Option<Box<dyn Tap + Send>>>>);

impl Tap for SharedTap {
    fn record(&mut self, end: usize, frame: &[u8], meta: &RxMeta) -> Result<(), HarnessError> {
        match self.0.lock().expect("tap lock").as_mut() {
            Some(t) => t.record(end, frame, meta),
            None => Ok(()),
        }
    }
    fn finish(&mut self) -> Result<(), HarnessError> {
        match self.0.lock().expect("tap lock").take() {
            Some(mut t) => t.finish(),
            None => Ok(()),
        }
    }
}

impl Bench {
    /// Build `spec` in private namespaces and open every port.
    pub fn new(spec: &TopologySpec) -> Result<Self, ScenarioError> {
        super::topology::reserve_files(spec, true)?;
        Self::on(Topology::build(spec)?)
    }

    /// Open every veth end of a built topology as a port, and the attached nodes' own
    /// interfaces that steps use.
    pub fn on(topo: Topology) -> Result<Self, ScenarioError> {
        let mut tb = Testbench::new();
        let mut ports = Vec::new();
        let existing = topo.spec.existing.iter().cloned();
        for p in topo.spec.ports().into_iter().chain(existing) {
            let ns = topo.netns(&p.node)?;
            // As Testbench::open_end, under the port's full name (`h2:eth0`) for messages.
            let max = crate::harness::plan::MAX_FRAME_LEN;
            let sink = if topo.spec.existing.contains(&p) {
                // An attached node's own interface, which Topology::build checked against
                // the physical-link guard (a bridge of veths passes; allow_physical).
                let policy = crate::link::policy::SendPolicy {
                    allow_physical: true,
                    ..crate::link::policy::SendPolicy::HARNESS
                };
                ends::open_sink_with(ns, &p.iface, 16, max, policy)?
            } else {
                ends::open_sink(ns, &p.iface, 16, max)?
            };
            let cfg = crate::sock::recvmsg::RecvConfig {
                max_frame: max + 4,
                rcvbuf: 16 << 20,
                ..Default::default()
            };
            let source = ends::open_recv_with(ns, &p.iface, &cfg)?;
            let id = tb.add_end(p.to_string(), Box::new(sink), Box::new(source));
            ports.push((p, id));
        }
        let tap = SharedTap::default();
        tb.set_tap(Box::new(tap.clone()));
        Ok(Bench {
            topo,
            tb,
            ports,
            tap,
            daemons: Vec::new(),
            vars: Default::default(),
            stop: Arc::new(AtomicBool::new(false)),
            update_golden: false,
            log_mark: 0,
        })
    }

    pub fn topology(&self) -> &Topology {
        &self.topo
    }

    /// The testbench underneath (its log of every frame received, its noise filter).
    pub fn testbench(&mut self) -> &mut Testbench {
        &mut self.tb
    }

    /// Every port, in declaration order.
    pub fn ports(&self) -> Vec<PortRef> {
        self.ports.iter().map(|(p, _)| p.clone()).collect()
    }

    /// The testbench end of `port` (`"h1:eth0"` or a [`PortRef`]).
    pub fn end(&self, port: impl Port) -> Result<EndId, ScenarioError> {
        let p = port.port()?;
        self.ports
            .iter()
            .find(|(q, _)| *q == *p)
            .map(|(_, id)| *id)
            .ok_or_else(|| ScenarioError::NoSuchPort(p.to_string()))
    }

    /// Build the frame(s) of a Scapy expression as sent from `port`.
    pub fn frames(&self, port: impl Port, expr: &Expr) -> Result<Vec<Vec<u8>>, ScenarioError> {
        let from = port.port().ok();
        let env = TopoEnv {
            topo: &self.topo,
            from: from.as_deref(),
        };
        expr.build_with(&env).map_err(|e| ScenarioError::Frame {
            text: format!("{expr:?}"),
            msg: e.to_string(),
        })
    }

    /// The one frame of a Scapy expression as sent from `port`.
    pub fn frame(&self, port: impl Port, text: &str) -> Result<Vec<u8>, ScenarioError> {
        let e = expr::parse(text).map_err(|e| ScenarioError::Frame {
            text: text.to_string(),
            msg: e.to_string(),
        })?;
        let mut v = self.frames(port, &e).map_err(|e| match e {
            ScenarioError::Frame { msg, .. } => ScenarioError::Frame {
                text: text.to_string(),
                msg,
            },
            e => e,
        })?;
        match v.len() {
            1 => Ok(v.remove(0)),
            n => Err(ScenarioError::Frame {
                text: text.to_string(),
                msg: format!("builds {n} frames, not one"),
            }),
        }
    }

    /// An expected frame: `mac()`/`ip()` resolved, no sender's defaults.
    pub fn expected(&self, expr: &Expr) -> Result<Vec<Vec<u8>>, ScenarioError> {
        let env = TopoEnv {
            topo: &self.topo,
            from: None,
        };
        expr.build_with(&env).map_err(|e| ScenarioError::Frame {
            text: format!("{expr:?}"),
            msg: e.to_string(),
        })
    }

    pub fn send(&mut self, port: impl Port, frame: &[u8]) -> Result<(), ScenarioError> {
        let e = self.end(port)?;
        Ok(self.tb.send(e, frame)?)
    }

    pub fn send_batch(&mut self, port: impl Port, frames: &[&[u8]]) -> Result<(), ScenarioError> {
        let e = self.end(port)?;
        Ok(self.tb.send_batch(e, frames)?)
    }

    /// Wait up to `within` for a frame on `port` that `m` matches; other frames are passed
    /// over and stay pending. A failure is [`HarnessError::Expectation`] with the diff.
    pub fn expect(
        &mut self,
        port: impl Port,
        m: impl Into<Matcher>,
        within: Duration,
    ) -> Result<Received, ScenarioError> {
        let e = self.end(port)?;
        Ok(self.tb.expect(e, m, within)?)
    }

    /// Wait `quiet`, then fail if anything but noise is pending on `port`.
    pub fn expect_none(&mut self, port: impl Port, quiet: Duration) -> Result<(), ScenarioError> {
        let e = self.end(port)?;
        Ok(self.tb.expect_no_other(e, quiet)?)
    }

    /// Wait `quiet`, then fail if a frame `m` matches is pending on `port` (other frames stay
    /// pending).
    pub fn expect_none_matching(
        &mut self,
        port: impl Port,
        m: &crate::frame::filter::Filter,
        quiet: Duration,
    ) -> Result<(), ScenarioError> {
        let e = self.end(port)?;
        let m = m.clone();
        let what = format!("filter '{}' matches", m.text());
        let m = Matcher::predicate(what, move |f| m.matches_frame(f));
        Ok(self.tb.expect_none_matching(e, &m, quiet)?)
    }

    /// Send `frame` on `port` and wait for the answer `m` on the same port (Scapy's `sr1`).
    pub fn sr(
        &mut self,
        port: impl Port,
        frame: &[u8],
        m: impl Into<Matcher>,
        within: Duration,
    ) -> Result<Received, ScenarioError> {
        let e = self.end(port)?;
        self.tb.send(e, frame)?;
        Ok(self.tb.expect(e, m, within)?)
    }

    /// Ignore background frames (true: the default) or count every frame.
    pub fn set_noise(&mut self, on: bool) {
        self.tb.set_noise_filter(if on {
            NoiseFilter::all()
        } else {
            NoiseFilter::none()
        });
    }

    /// Ignore exactly these background frames.
    pub fn set_noise_filter(&mut self, nf: NoiseFilter) {
        self.tb.set_noise_filter(nf);
    }

    /// Empty every port's queue and forget pending frames: the next step sees only what
    /// comes after. Stops the daemons of the previous test.
    pub fn reset(&mut self) -> Result<(), ScenarioError> {
        self.stop_daemons();
        self.vars.clear();
        if let Some((_, first)) = self.ports.first() {
            // One pass over every end without waiting; what it finds is set aside.
            let _ = self.tb.expect_no_other(*first, Duration::ZERO);
        }
        for (_, id) in &self.ports {
            self.tb.clear_pending(*id);
        }
        self.log_mark = self.tb.received().len();
        Ok(())
    }

    /// Every frame (noise excepted) `port` received since the test began ([`Bench::reset`]),
    /// in arrival order, after reading what arrives for `settle` more; none stays pending.
    pub fn received_in_test(
        &mut self,
        port: impl Port,
        settle: Duration,
    ) -> Result<Vec<Received>, ScenarioError> {
        let id = self.end(port)?;
        self.tb.settle(id, settle)?;
        self.tb.clear_pending(id);
        Ok(
            self.tb.received()[self.log_mark.min(self.tb.received().len())..]
                .iter()
                .filter(|r| r.end == id && !r.noise)
                .cloned()
                .collect(),
        )
    }

    /// Copy every frame received from now on to `tap` (e.g. a per-test pcapng), replacing
    /// (and finishing) the previous one.
    pub fn set_capture(&mut self, tap: Option<Box<dyn Tap + Send>>) -> Result<(), ScenarioError> {
        let old = std::mem::replace(&mut *self.tap.0.lock().expect("tap lock"), tap);
        if let Some(mut t) = old {
            t.finish()?;
        }
        Ok(())
    }

    /// Stop when `flag` is set: a command running then is killed (see [`Bench::stopped`]).
    pub fn set_stop(&mut self, flag: Arc<AtomicBool>) {
        self.stop = flag;
    }

    /// True once the stop flag is set (or the testbench's interrupt check says so).
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.tb.interrupted()
    }

    /// The saved values as environment variables of commands.
    fn env(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Run `line` by `sh -c` inside `node`, the saved values in its environment.
    pub fn exec(
        &self,
        node: &str,
        line: &str,
        timeout: Duration,
    ) -> Result<proc::Output, ScenarioError> {
        let ns = self.topo.netns(node)?;
        let how = proc::How {
            dir: self.topo.spec.dir.as_deref(),
            env: &self.env(),
            stop: Some(&self.stop),
        };
        proc::run(ns, line, &how, timeout).map_err(|e| ScenarioError::Io {
            what: format!("run '{line}' on {node}"),
            source: e,
        })
    }

    /// As [`Bench::exec`], but not killed by a stop (teardown runs to its end), 30 s at most.
    pub fn exec_always(&self, node: &str, line: &str) -> Result<proc::Output, ScenarioError> {
        let ns = self.topo.netns(node)?;
        let how = proc::How {
            dir: self.topo.spec.dir.as_deref(),
            env: &self.env(),
            stop: None,
        };
        proc::run(ns, line, &how, super::steps::EXEC_TIMEOUT).map_err(|e| ScenarioError::Io {
            what: format!("run '{line}' on {node}"),
            source: e,
        })
    }

    /// Start `line` in `node` until [`Bench::reset`] or drop.
    pub fn start_daemon(
        &mut self,
        node: &str,
        line: &str,
    ) -> Result<&mut proc::Daemon, ScenarioError> {
        let ns = self.topo.netns(node)?;
        let env = self.env();
        let how = proc::How {
            dir: self.topo.spec.dir.as_deref(),
            env: &env,
            stop: None,
        };
        let d = proc::Daemon::start(ns, node, line, &how).map_err(|e| ScenarioError::Io {
            what: format!("start '{line}' on {node}"),
            source: e,
        })?;
        self.daemons.push(d);
        Ok(self.daemons.last_mut().expect("pushed"))
    }

    /// True while the daemon started last runs.
    pub fn last_daemon_running(&mut self) -> bool {
        self.daemons.last_mut().is_some_and(|d| d.running())
    }

    /// Stop every daemon; returns each one's stderr.
    pub fn stop_daemons(&mut self) -> Vec<String> {
        self.daemons.drain(..).map(|d| d.stop()).collect()
    }
}

/// A port as the bench's calls take it: `"h1:eth0"` (parsed) or a [`PortRef`] (as is).
pub trait Port {
    fn port(&self) -> Result<std::borrow::Cow<'_, PortRef>, ScenarioError>;
}

impl Port for &str {
    fn port(&self) -> Result<std::borrow::Cow<'_, PortRef>, ScenarioError> {
        PortRef::parse(self)
            .map(std::borrow::Cow::Owned)
            .ok_or_else(|| ScenarioError::NoSuchPort(self.to_string()))
    }
}

impl Port for &PortRef {
    fn port(&self) -> Result<std::borrow::Cow<'_, PortRef>, ScenarioError> {
        Ok(std::borrow::Cow::Borrowed(self))
    }
}

/// `mac()`, `ip()` and the sender's defaults, from the topology.
struct TopoEnv<'a> {
    topo: &'a Topology,
    from: Option<&'a PortRef>,
}

impl Env for TopoEnv<'_> {
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if name != "mac" && name != "ip" {
            return None;
        }
        let [Value::Str(p)] = args else {
            return Some(Err(format!("{name}() takes one \"NODE:IFACE\" string")));
        };
        let Some(port) = PortRef::parse(p) else {
            return Some(Err(format!("{name}(\"{p}\"): not NODE:IFACE")));
        };
        Some(if name == "mac" {
            self.topo
                .mac(&port)
                .map(|m| Value::Str(m.to_string()))
                .ok_or_else(|| format!("mac(\"{p}\"): no such interface"))
        } else {
            self.topo
                .ip(&port, None)
                .map(|a| Value::Str(a.to_string()))
                .ok_or_else(|| format!("ip(\"{p}\"): the interface has no address"))
        })
    }

    fn default_src_mac(&self) -> Option<MacAddr> {
        self.topo.mac(self.from?)
    }

    fn default_src_ip(&self, dst: IpAddr) -> Option<IpAddr> {
        let from = self.from?;
        self.topo.ip(from, Some(dst.is_ipv6())).or_else(|| {
            // Another address of the node, as a route through another interface would pick.
            self.topo
                .spec
                .addresses
                .iter()
                .filter(|(p, _)| p.node == from.node)
                .flat_map(|(_, v)| v)
                .map(|c| c.addr)
                .find(|a| a.is_ipv6() == dst.is_ipv6())
        })
    }
}
