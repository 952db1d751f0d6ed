//! The latency reference of `bench test`: the simplest AF_PACKET ping-pong, one frame in
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
