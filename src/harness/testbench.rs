//! The [`Testbench`] API for Rust regression tests: ends (an interface's transmit and receive
//! side), `send`, `expect(matcher, timeout)`, `expect_no_other(timeout)`, and every received
//! frame with its kernel timestamp.
//!
//! Semantics:
//! - Every frame any end receives is logged ([`Testbench::received`]) in arrival order, noise
//!   included (flagged), and copied to the tap (pcapng) if one is set.
//! - `expect` takes the first *pending* (not yet matched) frame on that end that matches; other
//!   pending frames stay pending, so `expect_no_other` still sees them.
//! - `expect_no_other` waits the whole timeout (a quiet period), then fails if any pending
//!   frame on the end is not noise. Noise is what the [`NoiseFilter`] says (switchable).
//! - A failed expectation is [`HarnessError::Expectation`], whose message shows what was
//!   expected, what arrived instead and a field-level diff against the closest frame.
//!
//! - Waits (`expect`, `expect_no_other`) ask the interrupt check, when one is set
//!   ([`Testbench::set_interrupt`]), between slices of at most 5 ms, and end with
//!   [`HarnessError::Interrupted`] when it says so (a Python binding runs its signal handlers
//!   there: Ctrl-C stops a wait at once).
//!
//! Not a hot path: frames are copied into the log. Use [`super::stream`] for volume.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ends;
use super::ends::{FrameSink, FrameSource, Tap};
use super::matcher::{Matcher, Mismatch};
use super::noise::NoiseFilter;
use super::{ConfigError, HarnessError};

/// Which end of the testbench (returned by [`Testbench::add_end`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndId(pub usize);

/// One received frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub end: EndId,
    /// Kernel receive timestamp, CLOCK_REALTIME ns.
    pub rx_ts_ns: u64,
    pub frame: Vec<u8>,
    /// The noise filter said so when it arrived.
    pub noise: bool,
}

struct End {
    name: String,
    sink: Box<dyn FrameSink + Send>,
    source: Box<dyn FrameSource + Send>,
    /// Indices into the log of frames not matched yet.
    pending: Vec<usize>,
}

/// A set of ends under test. See the module doc.
///
/// A regression test (needs root: CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN):
///
/// ```no_run
/// use std::time::Duration;
/// use vethbench::frame::{FrameSpec, MacAddr};
/// use vethbench::harness::{Matcher, Testbench};
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // Scapy's Ether()/IP()/TCP()/"hello", addressed to the peer.
///     let frame = FrameSpec {
///         dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
///         payload: b"hello".to_vec(),
///         ..FrameSpec::default()
///     }
///     .build()?;
///     // Two anonymous namespaces joined by a veth pair, up, IPv6 off; both ends' receive
///     // sockets are bound before this returns, so no frame sent afterwards is missed.
///     let (mut tb, a, b) = Testbench::private_pair()?;
///     tb.send(a, &frame)?;
///     let m = Matcher::masked(frame.clone(), &["ip.ttl", "ip.chksum"])?;
///     let got = tb.expect(b, m, Duration::from_secs(1))?;
///     println!("arrived at {} ns", got.rx_ts_ns);
///     // Nothing else arrived (IPv6 ND/MLD, LLDP... are ignored unless switched off).
///     tb.expect_no_other(b, Duration::from_millis(100))?;
///     Ok(())
/// }
/// ```
pub struct Testbench {
    ends: Vec<End>,
    log: Vec<Received>,
    noise: NoiseFilter,
    tap: Option<Box<dyn Tap + Send>>,
    /// Whatever must live as long as the testbench (namespaces, veth pairs).
    guards: Vec<Box<dyn std::any::Any + Send>>,
    interrupt: Option<Interrupt>,
}

/// Asked between the slices of every wait: true stops it with [`HarnessError::Interrupted`].
pub type Interrupt = Arc<dyn Fn() -> bool + Send + Sync>;

impl fmt::Debug for Testbench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Testbench")
            .field(
                "ends",
                &self.ends.iter().map(|e| &e.name).collect::<Vec<_>>(),
            )
            .field("received", &self.log.len())
            .field("noise", &self.noise)
            .finish()
    }
}

/// Why an expectation failed, printed as a multi-line explanation.
#[derive(Debug, Clone)]
pub struct ExpectFailure {
    pub end: String,
    pub what: String,
    pub timeout: Duration,
    /// `show()` of the expected frame, when the matcher has bytes.
    pub expected: Option<String>,
    /// One-line summaries of the non-noise frames that arrived instead.
    pub arrived: Vec<String>,
    /// The diff against the closest frame (fewest differing fields), with its index in `arrived`.
    pub closest: Option<(usize, Mismatch)>,
    /// An "and nothing else" check: no frame was wanted, `arrived` is what came.
    pub none_wanted: bool,
}

impl fmt::Display for ExpectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.none_wanted {
            write!(
                f,
                "on {}: expected {} within {:?}; {} arrived:",
                self.end,
                self.what,
                self.timeout,
                self.arrived.len()
            )?;
            for (i, a) in self.arrived.iter().enumerate() {
                write!(f, "\n  #{} {a}", i + 1)?;
            }
            return Ok(());
        }
        write!(
            f,
            "on {}: expected {} within {:?}",
            self.end, self.what, self.timeout
        )?;
        if let Some(e) = &self.expected {
            write!(f, "\nexpected:\n{}", indent(e))?;
        }
        if self.arrived.is_empty() {
            write!(f, "\nnothing else arrived")?;
        } else {
            write!(f, "\narrived instead ({}):", self.arrived.len())?;
            for (i, a) in self.arrived.iter().enumerate() {
                write!(f, "\n  #{} {a}", i + 1)?;
            }
        }
        if let Some((i, m)) = &self.closest {
            write!(
                f,
                "\nclosest (#{}) differs in:\n{}",
                i + 1,
                indent(&m.to_string())
            )?;
        }
        Ok(())
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}\n"))
        .collect::<String>()
        .trim_end()
        .to_string()
}

impl Drop for Testbench {
    /// The ends' sockets close on many threads at once ([`ends::drop_in_parallel`]): one after
    /// another, the 4,000 of a 1000-node chain scenario took 40 s to close.
    fn drop(&mut self) {
        let socks: Vec<Box<dyn Send>> = std::mem::take(&mut self.ends)
            .into_iter()
            .flat_map(|e| [Box::new(e.sink) as Box<dyn Send>, Box::new(e.source)])
            .collect();
        ends::drop_in_parallel(socks);
    }
}

impl Default for Testbench {
    fn default() -> Self {
        Self::new()
    }
}

impl Testbench {
    /// An empty testbench: add ends with [`Testbench::add_end`].
    pub fn new() -> Self {
        Testbench {
            ends: Vec::new(),
            log: Vec::new(),
            noise: NoiseFilter::all(),
            tap: None,
            guards: Vec::new(),
            interrupt: None,
        }
    }

    /// Ask `check` between the slices of every wait (every 5 ms at most); when it returns
    /// true the wait ends with [`HarnessError::Interrupted`]. None: waits run to their end.
    pub fn set_interrupt(&mut self, check: Option<Interrupt>) {
        self.interrupt = check;
    }

    /// What the interrupt check says now (false without one).
    pub fn interrupted(&self) -> bool {
        self.interrupt.as_ref().is_some_and(|f| f())
    }

    /// A veth pair `vb0`/`vb1` across two private namespaces, up, IPv6 off; the ends, in that
    /// order. The namespaces (and the pair) go when the testbench drops, or with the process.
    pub fn private_pair() -> Result<(Self, EndId, EndId), HarnessError> {
        Self::private_pair_mtu(None)
    }

    /// [`Testbench::private_pair`] with both ends' MTU set (e.g. 9000 for jumbo frames).
    pub fn private_pair_mtu(mtu: Option<u32>) -> Result<(Self, EndId, EndId), HarnessError> {
        let pair = ends::private_pair("vb0", "vb1", mtu)?;
        let mut tb = Testbench::new();
        let a = tb.open_end(pair.netns_a(), "vb0")?;
        let b = tb.open_end(pair.netns_b(), "vb1")?;
        tb.keep_alive(Box::new(pair));
        Ok((tb, a, b))
    }

    /// Ends on existing interfaces, each in its own namespace or (None) the caller's: a name
    /// in `/run/netns`, a path to a namespace file (`/proc/PID/ns/net`) or `pid:PID` (see
    /// [`crate::link::netns::NetnsRef`]). The ends may be in different namespaces, e.g.
    /// `[("veth1", Some("net1")), ("veth2", Some("net2"))]`; an interface may also be written
    /// `NS:IFACE` with None.
    pub fn attach(ifaces: &[(&str, Option<&str>)]) -> Result<(Self, Vec<EndId>), HarnessError> {
        for (i, &(end, ns)) in ifaces.iter().enumerate() {
            let key = ends::split_end(end, ns);
            if ifaces[..i]
                .iter()
                .any(|&(e, n)| ends::split_end(e, n) == key)
            {
                return Err(ConfigError::DuplicateInterface {
                    iface: end.to_string(),
                }
                .into());
            }
        }
        let mut tb = Testbench::new();
        let mut ids = Vec::with_capacity(ifaces.len());
        for &(end, ns) in ifaces {
            let (ns, iface) = ends::split_end(end, ns);
            let netns = ends::open_netns(ns)?;
            ids.push(tb.open_end(&netns, iface)?);
        }
        Ok((tb, ids))
    }

    /// Open a send socket and a receive socket on `iface` in `ns` and add them as an end (for
    /// topologies built by hand, e.g. hosts behind a bridge).
    ///
    /// The receive side is a plain socket read with one `recvmsg` per frame, not a ring: a
    /// ring hands frames over a block at a time (a block retires after 1 ms at best), so every
    /// `expect` would wait for the timer; a socket wakes for each frame. Its 16 MiB buffer
    /// queues some 20,000 small frames sent before they are expected; beyond, the kernel
    /// drops and counts them.
    pub fn open_end(
        &mut self,
        ns: &crate::link::Netns,
        iface: &str,
    ) -> Result<EndId, HarnessError> {
        // 16 slots of the largest frame a veth carries.
        let sink = ends::open_sink(ns, iface, 16, super::plan::MAX_FRAME_LEN)?;
        let cfg = crate::sock::recvmsg::RecvConfig {
            max_frame: super::plan::MAX_FRAME_LEN + 4,
            rcvbuf: 16 << 20,
            ..Default::default()
        };
        let source = ends::open_recv_with(ns, iface, &cfg)?;
        Ok(self.add_end(iface, Box::new(sink), Box::new(source)))
    }

    /// Add an end; its source must already be ready (bound and mapped).
    pub fn add_end(
        &mut self,
        name: impl Into<String>,
        sink: Box<dyn FrameSink + Send>,
        source: Box<dyn FrameSource + Send>,
    ) -> EndId {
        self.ends.push(End {
            name: name.into(),
            sink,
            source,
            pending: Vec::new(),
        });
        EndId(self.ends.len() - 1)
    }

    /// Keep `guard` (a topology guard) alive as long as the testbench.
    pub fn keep_alive(&mut self, guard: Box<dyn std::any::Any + Send>) {
        self.guards.push(guard);
    }

    pub fn set_noise_filter(&mut self, nf: NoiseFilter) {
        self.noise = nf;
    }

    pub fn noise_filter(&self) -> NoiseFilter {
        self.noise
    }

    /// Copy every received frame to `tap` (e.g. a pcapng writer) from now on.
    pub fn set_tap(&mut self, tap: Box<dyn Tap + Send>) {
        self.tap = Some(tap);
    }

    /// The name given to `end`.
    pub fn end_name(&self, end: EndId) -> &str {
        &self.ends[end.0].name
    }

    /// Every frame received so far on any end, in arrival order.
    pub fn received(&self) -> &[Received] {
        &self.log
    }

    /// Forget the pending frames of `end` that arrived no later than `rx_ts_ns` (the frames an
    /// `expect` passed over before its match, as PTF consumes them); returns how many.
    pub fn consume_pending_until(&mut self, end: EndId, rx_ts_ns: u64) -> usize {
        let log = &self.log;
        let p = &mut self.ends[end.0].pending;
        let before = p.len();
        p.retain(|&i| log[i].rx_ts_ns > rx_ts_ns);
        before - p.len()
    }

    /// Forget the pending frames of `end` (they stay in the log).
    pub fn clear_pending(&mut self, end: EndId) {
        self.ends[end.0].pending.clear();
    }

    /// Send one frame on `end`.
    pub fn send(&mut self, end: EndId, frame: &[u8]) -> Result<(), HarnessError> {
        self.send_batch(end, &[frame])
    }

    /// Send frames on `end`, in order, retrying while the transmit queue is full (up to 1 s).
    pub fn send_batch(&mut self, end: EndId, frames: &[&[u8]]) -> Result<(), HarnessError> {
        let e = &mut self.ends[end.0];
        let give_up = Instant::now() + Duration::from_secs(1);
        let mut off = 0;
        while off < frames.len() {
            let k = e.sink.send_batch(&frames[off..])?;
            off += k;
            if k == 0 {
                if Instant::now() >= give_up {
                    return Err(HarnessError::TxQueueFull {
                        end: e.name.clone(),
                        sent: off,
                        total: frames.len(),
                    });
                }
                std::thread::yield_now();
            }
        }
        Ok(())
    }

    /// Read what is ready on every end; wait up to `timeout` on `wait_on`.
    fn pump(&mut self, wait_on: EndId, timeout: Duration) -> Result<usize, HarnessError> {
        let mut n = 0;
        for i in 0..self.ends.len() {
            let t = if i == wait_on.0 {
                timeout
            } else {
                Duration::ZERO
            };
            let Testbench {
                ends,
                log,
                noise,
                tap,
                ..
            } = self;
            let e = &mut ends[i];
            let mut tap_err = None;
            n += e.source.poll(t, &mut |frame, meta| {
                if let Some(tp) = tap.as_mut() {
                    if let Err(err) = tp.record(i, frame, meta) {
                        tap_err.get_or_insert(err);
                    }
                }
                let is_noise = noise.is_noise(frame);
                if !is_noise {
                    e.pending.push(log.len());
                }
                log.push(Received {
                    end: EndId(i),
                    rx_ts_ns: meta.ts_ns,
                    frame: frame.to_vec(),
                    noise: is_noise,
                });
            })?;
            if let Some(err) = tap_err {
                return Err(err);
            }
        }
        Ok(n)
    }

    /// Wait up to `timeout` for a frame on `end` that `m` matches, and take it.
    pub fn expect(
        &mut self,
        end: EndId,
        m: impl Into<Matcher>,
        timeout: Duration,
    ) -> Result<Received, HarnessError> {
        let m = m.into();
        let deadline = ConfigError::deadline(timeout)?;
        loop {
            let e = &mut self.ends[end.0];
            if let Some(pos) = e
                .pending
                .iter()
                .position(|&i| m.matches(&self.log[i].frame))
            {
                let i = e.pending.remove(pos);
                return Ok(self.log[i].clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(self.failure(end, &m, timeout));
            }
            if self.interrupted() {
                return Err(HarnessError::Interrupted);
            }
            // Slices keep the other ends' logs current while waiting on this one.
            self.pump(end, (deadline - now).min(Duration::from_millis(5)))?;
        }
    }

    /// Read every end for `timeout` (waiting on `end`): what arrives is logged and pending.
    pub fn settle(&mut self, end: EndId, timeout: Duration) -> Result<(), HarnessError> {
        let deadline = ConfigError::deadline(timeout)?;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if self.interrupted() {
                return Err(HarnessError::Interrupted);
            }
            self.pump(end, (deadline - now).min(Duration::from_millis(5)))?;
        }
        self.pump(end, Duration::ZERO)?;
        Ok(())
    }

    /// Wait `timeout`, then fail if anything other than noise is pending on `end`.
    pub fn expect_no_other(&mut self, end: EndId, timeout: Duration) -> Result<(), HarnessError> {
        self.settle(end, timeout)?;
        if self.ends[end.0].pending.is_empty() {
            return Ok(());
        }
        let m = Matcher::predicate("no frame (noise excepted)", |_| false);
        let mut f = self.failure(end, &m, timeout);
        if let HarnessError::Expectation(x) = &mut f {
            x.what = "no frame (noise excepted)".to_string();
            x.closest = None;
            x.none_wanted = true;
        }
        Err(f)
    }

    /// Wait `timeout`, then fail if a pending frame of `end` (noise excepted) matches `m`;
    /// the others stay pending. The failure lists the frames that match.
    pub fn expect_none_matching(
        &mut self,
        end: EndId,
        m: &Matcher,
        timeout: Duration,
    ) -> Result<(), HarnessError> {
        self.settle(end, timeout)?;
        let e = &self.ends[end.0];
        let hits: Vec<String> = e
            .pending
            .iter()
            .map(|&i| &self.log[i].frame[..])
            .filter(|f| m.matches(f))
            .map(crate::frame::summary)
            .collect();
        if hits.is_empty() {
            return Ok(());
        }
        // "a frame where X" wanted absent: "no frame where X".
        let what = m.describe();
        let what = match what.strip_prefix("a frame where ") {
            Some(w) => format!("no frame where {w}"),
            None => format!("no frame matching {what}"),
        };
        Err(HarnessError::Expectation(Box::new(ExpectFailure {
            end: e.name.clone(),
            what,
            timeout,
            expected: None,
            arrived: hits,
            closest: None,
            none_wanted: true,
        })))
    }

    fn failure(&self, end: EndId, m: &Matcher, timeout: Duration) -> HarnessError {
        let e = &self.ends[end.0];
        let frames: Vec<&[u8]> = e.pending.iter().map(|&i| &self.log[i].frame[..]).collect();
        let closest = m.expected().and_then(|_| {
            frames
                .iter()
                .enumerate()
                .filter_map(|(i, f)| m.mismatch(f).map(|mm| (i, mm)))
                .min_by_key(|(_, mm)| mm.diffs.len())
        });
        HarnessError::Expectation(Box::new(ExpectFailure {
            end: e.name.clone(),
            what: m.describe(),
            timeout,
            expected: m.expected().map(crate::frame::show),
            arrived: frames.iter().map(|f| crate::frame::summary(f)).collect(),
            closest,
            none_wanted: false,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::ends::mem;
    use crate::harness::stamp::tests::udp4;

    /// Two ends joined like a veth pair: what a sends, b receives, and back.
    fn pair() -> (Testbench, EndId, EndId) {
        let (a_tx, b_rx) = mem::wire("a", None);
        let (b_tx, a_rx) = mem::wire("b", None);
        let mut tb = Testbench::new();
        let a = tb.add_end("a", Box::new(a_tx), Box::new(a_rx));
        let b = tb.add_end("b", Box::new(b_tx), Box::new(b_rx));
        (tb, a, b)
    }

    const T: Duration = Duration::from_millis(50);

    #[test]
    fn send_expect_and_log() {
        let (mut tb, a, b) = pair();
        let f = udp4(30);
        tb.send(a, &f).unwrap();
        let r = tb.expect(b, f.clone(), T).unwrap();
        assert_eq!(r.frame, f);
        assert_eq!(r.end, b);
        tb.expect_no_other(b, T).unwrap();
        tb.expect_no_other(a, T).unwrap();
        assert_eq!(tb.received().len(), 1);
        assert!(tb.received()[0].rx_ts_ns > 0);
    }

    #[test]
    fn failed_expect_shows_a_field_diff() {
        let (mut tb, a, b) = pair();
        let mut sent = udp4(30);
        sent[22] = 63; // TTL
        tb.send(a, &sent).unwrap();
        let err = tb.expect(b, udp4(30), T).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, HarnessError::Expectation(_)));
        assert!(text.contains("ip.ttl: expected 64, got 63"), "{text}");
        assert!(text.contains("arrived instead (1)"), "{text}");
        // The masked matcher accepts it, and then nothing else is left.
        let m = Matcher::masked(udp4(30), &["ip.ttl"]).unwrap();
        tb.expect(b, m, T).unwrap();
        tb.expect_no_other(b, T).unwrap();
    }

    #[test]
    fn unmatched_frames_stay_pending_for_no_other() {
        let (mut tb, a, b) = pair();
        let (x, y) = (udp4(30), udp4(31));
        tb.send_batch(a, &[&y, &x]).unwrap();
        tb.expect(b, x, T).unwrap();
        let err = tb.expect_no_other(b, T).unwrap_err().to_string();
        assert!(
            err.contains("expected no frame (noise excepted) within")
                && err.contains("; 1 arrived:"),
            "{err}"
        );
    }

    #[test]
    fn noise_filter_switch() {
        let (mut tb, a, b) = pair();
        let mut lldp = vec![0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc];
        lldp.extend([0; 46]);
        tb.send(a, &lldp).unwrap();
        tb.expect_no_other(b, T).unwrap();
        assert!(tb.received()[0].noise);
        tb.set_noise_filter(NoiseFilter::none());
        tb.send(a, &lldp).unwrap();
        assert!(tb.expect_no_other(b, T).is_err());
    }

    #[test]
    fn an_interrupt_ends_a_wait() {
        let (mut tb, _a, b) = pair();
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let n = asked.clone();
        tb.set_interrupt(Some(Arc::new(move || {
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 2
        })));
        let t0 = Instant::now();
        let e = tb.expect(b, udp4(30), Duration::from_secs(10)).unwrap_err();
        assert!(matches!(e, HarnessError::Interrupted), "{e}");
        let e = tb.expect_no_other(b, Duration::from_secs(10)).unwrap_err();
        assert!(matches!(e, HarnessError::Interrupted), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(5));
        tb.set_interrupt(None);
        tb.expect_no_other(b, Duration::ZERO).unwrap();
    }

    #[test]
    fn nothing_arrived_says_so() {
        let (mut tb, _a, b) = pair();
        let text = tb
            .expect(b, udp4(30), Duration::from_millis(10))
            .unwrap_err()
            .to_string();
        assert!(text.contains("nothing else arrived"), "{text}");
    }
}
