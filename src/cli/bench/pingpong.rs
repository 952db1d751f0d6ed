//! The latency references of `bench test`. The kernel's one-way floor ([`kernel_floor`]):
//! `send(2)` of a prebuilt frame on `TX` and a blocking `recvmsg(2)` on `RX`, both sockets in
//! this process, one frame in flight; the one-way time is `RX`'s kernel receive timestamp
//! minus CLOCK_REALTIME read just before the send (what `vethbench test --mode latency`
//! measures, without the tool around it). On veth without NAPI on the peer the frame is
//! received inside the sender's own `send(2)` (`netif_rx`, its backlog run as the call
//! leaves the softirq-disabled section) and stamped there, so the `recvmsg` finds it queued:
//! no reader is woken in the floor, and none in latency mode's figure either (its reader is
//! another thread; its wake-up comes after the stamp). Like with like: both are one send
//! system call from a clock read to the peer's kernel timestamp. And the simplest AF_PACKET ping-pong, one frame in
//! flight. This thread `send(2)`s a frame on `TX` and blocks in `recvmsg(2)` for the echo; the
//! harness's own [`Reflector`] (a `recvmsg` source and a one-slot sink on `RX`, no polling)
//! sends each frame back. The round trip is taken with the monotonic clock around send +
//! receive and recorded in the harness's [`LatencyHist`].

use std::time::{Duration, Instant};

use anyhow::bail;
use vethbench::harness::ends::{RecvSource, SockSink};
use vethbench::harness::stream::Reflector;
use vethbench::harness::{LatencyHist, LatencySummary};
use vethbench::link::veth::PrivatePair;
use vethbench::sock::recvmsg::{RecvConfig, RecvSocket};
use vethbench::sock::tx::TxSocket;
use vethbench::sys::clock::realtime_ns;

use super::test::{RX, TX};

/// Round trips of `count` frames; None when there were none.
pub(super) fn ping_pong(
    pair: &PrivatePair,
    frame: &[u8],
    count: u64,
) -> anyhow::Result<Option<LatencySummary>> {
    let cfg = RecvConfig {
        max_frame: frame.len() + 64,
        ..RecvConfig::default()
    };
    let (mut a_tx, mut a_rx, b_tx, b_rx) = pair.run_a(|| {
        Ok((|| -> anyhow::Result<_> {
            Ok((
                TxSocket::open(TX)?,
                RecvSocket::open(TX, &cfg)?,
                TxSocket::open(RX)?,
                RecvSocket::open(RX, &cfg)?,
            ))
        })())
    })??;
    let reflector = Reflector::start(
        RecvSource::new(b_rx),
        SockSink::new(b_tx, 1, frame.len() + 64),
        None,
        false,
    )?;
    let mut rtts = LatencyHist::new();
    for _ in 0..count {
        let t = Instant::now();
        a_tx.send(frame)?;
        match a_rx.recv(Duration::from_secs(1))? {
            Some(_) => rtts.record_ns(t.elapsed().as_nanos() as u64),
            None => bail!("ping-pong: no echo within 1 s"),
        }
    }
    reflector.finish()?;
    Ok(rtts.summary())
}

/// The kernel's one-way floor over `count` frames; None when none arrived.
pub(super) fn kernel_floor(
    pair: &PrivatePair,
    frame: &[u8],
    count: u64,
) -> anyhow::Result<Option<LatencySummary>> {
    let cfg = RecvConfig {
        max_frame: frame.len() + 64,
        ..RecvConfig::default()
    };
    let (mut tx, mut rx) = pair.run_a(|| {
        Ok((|| -> anyhow::Result<_> {
            Ok((TxSocket::open(TX)?, RecvSocket::open(RX, &cfg)?))
        })())
    })??;
    let mut lat = LatencyHist::new();
    for _ in 0..count {
        let t = realtime_ns();
        tx.send(frame)?;
        match rx.recv(Duration::from_secs(1))? {
            Some(f) if f.kernel_ts() => lat.record(t, f.ts_ns()),
            Some(_) => bail!("kernel floor: a frame without a kernel timestamp"),
            None => bail!("kernel floor: nothing received within 1 s"),
        }
    }
    Ok(lat.summary())
}
