//! The seams between the harness and the kernel: [`FrameSink`] (transmit), [`FrameSource`]
//! (receive, with kernel timestamps) and [`Tap`] (a copy of every frame, e.g. to pcapng).
//!
//! The real implementations are the AF_PACKET sockets of `sock::tx` / `sock::rx` and the pcapng
//! writer; the in-memory ones under `mem` exist only for unit tests of the loop logic (they are
//! compiled in test builds only: the kernel tests use real veth pairs).
//!
//! Contract of a source: it is ready when constructed (socket bound and ring mapped), so a frame
//! sent after construction is never missed; frames are passed in arrival order with
//! `rx_ts_ns` in CLOCK_REALTIME ns; frames the source transmitted itself are not passed.

use std::time::Duration;

use super::HarnessError;

/// Transmit side of an end.
pub trait FrameSink {
    /// Hand `frames` to the kernel, in order, in as few syscalls as possible. Returns how many
    /// were accepted: fewer than `frames.len()` (possibly 0) means the transmit queue is full
    /// right now and the caller retries the rest. Must not allocate.
    fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, HarnessError>;

    /// The interface (for reports and errors).
    fn name(&self) -> &str;

    /// Frames counted as accepted by [`FrameSink::send_batch`] that the kernel in fact dropped
    /// on transmit (e.g. refused with ENOBUFS past the socket's patience: over the peer's MTU,
    /// or its backlog full). They reach no receiver; a report counts them as kernel drops.
    fn tx_drops(&self) -> u64 {
        0
    }
}

/// Receive side of an end.
pub trait FrameSource {
    /// Wait up to `timeout` for frames (zero: do not wait), then call `f(frame, rx_ts_ns)` for
    /// every frame ready, in arrival order, and return how many there were. Must not allocate.
    fn poll(
        &mut self,
        timeout: Duration,
        f: &mut dyn FnMut(&[u8], u64),
    ) -> Result<usize, HarnessError>;

    /// Frames the kernel dropped for this source since it was opened (e.g. ring full).
    fn kernel_drops(&mut self) -> Result<u64, HarnessError>;

    /// The interface (for reports and errors).
    fn name(&self) -> &str;
}

/// A copy of every frame an end received, e.g. a pcapng writer; `end` numbers the interfaces.
pub trait Tap {
    fn record(&mut self, end: usize, frame: &[u8], rx_ts_ns: u64) -> Result<(), HarnessError>;
    /// Flush and close (e.g. write the closing statistics block).
    fn finish(&mut self) -> Result<(), HarnessError>;
}

impl<T: FrameSink + ?Sized> FrameSink for Box<T> {
    fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, HarnessError> {
        (**self).send_batch(frames)
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn tx_drops(&self) -> u64 {
        (**self).tx_drops()
    }
}

impl<T: FrameSource + ?Sized> FrameSource for Box<T> {
    fn poll(
        &mut self,
        timeout: Duration,
        f: &mut dyn FnMut(&[u8], u64),
    ) -> Result<usize, HarnessError> {
        (**self).poll(timeout, f)
    }
    fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
        (**self).kernel_drops()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
}

/// In-memory ends for unit tests of the loops: a "wire" is a channel; faults are injected by a
/// closure that sees each frame and decides what arrives. Allocates per frame: tests only.
#[cfg(test)]
pub(crate) mod mem {
    use super::*;
    use crate::harness::stamp::now_realtime_ns;
    use crossbeam_channel::{Receiver, Sender};

    /// Decides what the wire delivers for frame number `n`: nothing (loss), the frame, a changed
    /// frame (corruption), several (duplication). A closure may hold frames back (reordering).
    pub type Fault = Box<dyn FnMut(u64, &[u8]) -> Vec<Vec<u8>> + Send>;

    pub struct MemSink {
        name: String,
        wire: Sender<Vec<u8>>,
        n: u64,
        fault: Option<Fault>,
        /// Accept at most this many frames per call (exercises the caller's retry).
        pub max_per_call: usize,
    }

    pub struct MemSource {
        name: String,
        wire: Receiver<Vec<u8>>,
        pub drops: u64,
    }

    /// A one-way wire from a sink to a source.
    pub fn wire(name: &str, fault: Option<Fault>) -> (MemSink, MemSource) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (
            MemSink {
                name: format!("{name}-tx"),
                wire: tx,
                n: 0,
                fault,
                max_per_call: usize::MAX,
            },
            MemSource {
                name: format!("{name}-rx"),
                wire: rx,
                drops: 0,
            },
        )
    }

    impl FrameSink for MemSink {
        fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, HarnessError> {
            let k = frames.len().min(self.max_per_call);
            for f in &frames[..k] {
                let out = match &mut self.fault {
                    Some(fault) => fault(self.n, f),
                    None => vec![f.to_vec()],
                };
                self.n += 1;
                for o in out {
                    // The receiver may be gone at the end of a test: not an error here.
                    let _ = self.wire.send(o);
                }
            }
            Ok(k)
        }
        fn name(&self) -> &str {
            &self.name
        }
    }

    impl FrameSource for MemSource {
        fn poll(
            &mut self,
            timeout: Duration,
            f: &mut dyn FnMut(&[u8], u64),
        ) -> Result<usize, HarnessError> {
            let first = if timeout.is_zero() {
                self.wire.try_recv().ok()
            } else {
                self.wire.recv_timeout(timeout).ok()
            };
            let Some(first) = first else { return Ok(0) };
            f(&first, now_realtime_ns());
            let mut n = 1;
            while let Ok(fr) = self.wire.try_recv() {
                f(&fr, now_realtime_ns());
                n += 1;
            }
            Ok(n)
        }
        fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
            Ok(self.drops)
        }
        fn name(&self) -> &str {
            &self.name
        }
    }
}
