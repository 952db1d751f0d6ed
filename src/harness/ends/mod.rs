//! The seams between the harness and the kernel: [`FrameSink`] (transmit), [`FrameSource`]
//! (receive, with kernel timestamps) and [`Tap`] (a copy of every frame, e.g. to pcapng).
//!
//! The real implementations are the AF_PACKET sockets of `sock::tx` / `sock::ring` and the pcapng
//! writer; the in-memory ones under `mem` exist only for unit tests of the loop logic (they are
//! compiled in test builds only: the kernel tests use real veth pairs).
//!
//! Contract of a source: it is ready when constructed (socket bound and ring mapped), so a frame
//! sent after construction is never missed; frames are passed in arrival order with
//! `rx_ts_ns` in CLOCK_REALTIME ns; frames the source transmitted itself are not passed.

use std::time::Duration;

use super::HarnessError;
pub use crate::sock::RxMeta;

mod kernel;
mod netns;

pub(crate) use kernel::not_sendable;
pub use kernel::{
    open_recv, open_recv_with, open_sink, open_sink_with, open_source, private_pair, rx_config,
    PcapngTap, RecvSource, RingSource, SockSink,
};
pub use netns::{open_netns, split_end};

/// At most this many threads close sockets at once in [`drop_in_parallel`].
const CLOSERS: usize = 128;

/// Drop `items` (sockets, ends) on up to [`CLOSERS`] threads at once, returning when all are
/// gone. Closing a packet socket waits for an RCU grace period (af_packet's `synchronize_net()`,
/// 10 to 20 ms on a small VM), so sockets closed one after another cost that each (issue 21: a
/// 1000-node chain scenario took 40 s to exit); threads closing at the same time share one.
/// A thread that cannot be made drops its share on the caller's thread instead (the failed
/// spawn drops its closure).
pub fn drop_in_parallel<T: Send>(mut items: Vec<T>) {
    if items.len() < 2 {
        return;
    }
    let per = items.len().div_ceil(CLOSERS);
    std::thread::scope(|s| {
        while !items.is_empty() {
            let share = items.split_off(items.len().saturating_sub(per));
            let _ = std::thread::Builder::new()
                .name("vb-close".into())
                .stack_size(256 << 10)
                .spawn_scoped(s, move || drop(share));
        }
    });
}

/// Writes frame `i` of a [`FrameSink::send_filled`] call into a slot the sink lends:
/// `fill(i, slot, fresh)` gets the whole slot (its maximum frame size) and returns the length
/// of the frame it left at the start of it.
///
/// `fresh` false: the slot holds exactly what the previous `fill` of slot `i` left there (the
/// sink has not touched it since), so a filler sending copies of one template only updates what
/// differs (e.g. [`StampedTemplate::fill_slot`](super::stamp::StampedTemplate::fill_slot)).
/// `fresh` true: its contents are unspecified; write the whole frame. A returned length over `slot.len()` means
/// the frame does not fit: the sink sends nothing and returns an error.
pub type Fill<'a> = dyn FnMut(usize, &mut [u8], bool) -> usize + 'a;

/// Transmit side of an end.
pub trait FrameSink {
    /// Hand `frames` to the kernel, in order, in as few syscalls as possible. Returns how many
    /// were accepted: fewer than `frames.len()` (possibly 0) means the transmit queue is full
    /// right now and the caller retries the rest. Must not allocate.
    fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, HarnessError>;

    /// Send up to `n` frames written in place into the sink's own transmit slots, sparing the
    /// copy [`FrameSink::send_batch`] makes: for each slot `i` in `0..m` (`m` ≤ `n`: at most
    /// what the sink holds), [`Fill`] `fill(i, slot, fresh)` writes frame `i`; then the `m`
    /// frames are sent in order. Returns how many were accepted, counted from frame 0: the
    /// caller retries the rest in a later call, where they are filled again (into slots from 0).
    /// Must not allocate.
    ///
    /// Slots are lent to one filler: the sink marks `fresh` every slot it wrote itself
    /// ([`FrameSink::send_batch`]) or never lent; two fillers sharing a sink would see each
    /// other's frames as not fresh.
    fn send_filled(&mut self, n: usize, fill: &mut Fill<'_>) -> Result<usize, HarnessError>;

    /// The interface (for reports and errors).
    fn name(&self) -> &str;

    /// Frames counted as accepted by [`FrameSink::send_batch`] that the kernel in fact dropped
    /// on transmit (e.g. refused with ENOBUFS past the socket's patience: over the peer's MTU,
    /// or its backlog full). They reach no receiver; a report counts them as kernel drops.
    fn tx_drops(&self) -> u64 {
        0
    }

    /// Ready the sink to report the software transmit timestamp (the time the device took the
    /// frame) of the frames that ask for one with [`FrameSink::request_tx_stamp`]; false when
    /// this sink cannot have them. Latency mode's path figure. Frames that do not ask leave
    /// without the timestamp's cost.
    fn enable_tx_stamps(&mut self) -> bool {
        false
    }

    /// The next frame sent asks for its transmit timestamp (read it with
    /// [`FrameSink::last_tx_stamp`]); ignored where [`FrameSink::enable_tx_stamps`] was not
    /// true.
    fn request_tx_stamp(&mut self) {}

    /// The transmit timestamp of the latest frame sent, CLOCK_REALTIME ns (older ones are
    /// discarded); None when there is none (not enabled, or not yet there).
    fn last_tx_stamp(&mut self) -> Option<u64> {
        None
    }
}

/// Receive side of an end.
pub trait FrameSource {
    /// Wait up to `timeout` for frames (zero: do not wait), then call `f(frame, meta)` for
    /// every frame ready, in arrival order, and return how many there were; `meta.ts_ns` is
    /// the receive time. Must not allocate.
    fn poll(
        &mut self,
        timeout: Duration,
        f: &mut dyn FnMut(&[u8], &RxMeta),
    ) -> Result<usize, HarnessError>;

    /// Frames the kernel dropped for this source since it was opened (e.g. ring full).
    fn kernel_drops(&mut self) -> Result<u64, HarnessError>;

    /// The interface (for reports and errors).
    fn name(&self) -> &str;
}

/// A copy of every frame an end received, e.g. a pcapng writer; `end` numbers the interfaces.
pub trait Tap {
    /// Record `frame`, received by end `end` as `meta` says.
    fn record(&mut self, end: usize, frame: &[u8], meta: &RxMeta) -> Result<(), HarnessError>;
    /// Flush and close (e.g. write the closing statistics block).
    fn finish(&mut self) -> Result<(), HarnessError>;
}

impl<T: FrameSink + ?Sized> FrameSink for Box<T> {
    fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, HarnessError> {
        (**self).send_batch(frames)
    }
    fn send_filled(&mut self, n: usize, fill: &mut Fill<'_>) -> Result<usize, HarnessError> {
        (**self).send_filled(n, fill)
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn tx_drops(&self) -> u64 {
        (**self).tx_drops()
    }
    fn enable_tx_stamps(&mut self) -> bool {
        (**self).enable_tx_stamps()
    }
    fn request_tx_stamp(&mut self) {
        (**self).request_tx_stamp()
    }
    fn last_tx_stamp(&mut self) -> Option<u64> {
        (**self).last_tx_stamp()
    }
}

impl<T: FrameSource + ?Sized> FrameSource for Box<T> {
    fn poll(
        &mut self,
        timeout: Duration,
        f: &mut dyn FnMut(&[u8], &RxMeta),
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

/// The opened ends of a run. `guard` keeps the topology (namespaces, veth pair) alive.
pub struct Ends {
    /// Sends the stream.
    pub tx: Box<dyn FrameSink + Send>,
    /// Receives it (on the peer; in rtt mode, on the sender's own interface).
    pub rx: Box<dyn FrameSource + Send>,
    /// rtt mode: the peer's receive and transmit sides, for the reflector.
    pub reflect: Option<(Box<dyn FrameSource + Send>, Box<dyn FrameSink + Send>)>,
    pub tap: Option<Box<dyn Tap + Send>>,
    pub guard: Box<dyn std::any::Any + Send>,
    /// The CPU the receiving interface's NAPI thread was pinned to, if it was.
    pub napi_cpu: Option<usize>,
}

impl std::fmt::Debug for Ends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ends({} -> {})", self.tx.name(), self.rx.name())
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
        /// Lent slots ([`FrameSink::send_filled`]), grown on demand, of `slot_size` bytes.
        slots: Vec<Vec<u8>>,
        /// Slots `0..lent` hold what their last fill left; the others are fresh.
        lent: usize,
        pub slot_size: usize,
        /// Every this many `send_filled` calls (0: never), scribble over every slot first and
        /// lend them fresh (as a sink whose `send_batch` wrote them would).
        pub scribble_every: u64,
        filled_calls: u64,
    }

    /// What a fresh slot of a [`MemSink`] holds: a filler that does not rewrite it sends garbage.
    pub const SCRIBBLE: u8 = 0xa5;

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
                slots: Vec::new(),
                lent: 0,
                slot_size: 16 << 10,
                scribble_every: 0,
                filled_calls: 0,
            },
            MemSource {
                name: format!("{name}-rx"),
                wire: rx,
                drops: 0,
            },
        )
    }

    impl MemSink {
        /// Put one frame on the wire, through the fault if any.
        fn put(&mut self, f: &[u8]) {
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
    }

    impl FrameSink for MemSink {
        fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, HarnessError> {
            let k = frames.len().min(self.max_per_call);
            for f in &frames[..k] {
                self.put(f);
            }
            Ok(k)
        }

        fn send_filled(&mut self, n: usize, fill: &mut Fill<'_>) -> Result<usize, HarnessError> {
            let k = n.min(self.max_per_call);
            self.filled_calls += 1;
            if self.scribble_every > 0 && self.filled_calls.is_multiple_of(self.scribble_every) {
                for s in &mut self.slots {
                    s.fill(SCRIBBLE);
                }
                self.lent = 0;
            }
            while self.slots.len() < k {
                self.slots.push(vec![SCRIBBLE; self.slot_size]);
            }
            let mut lens = Vec::with_capacity(k);
            for i in 0..k {
                let len = fill(i, &mut self.slots[i], i >= self.lent);
                if len > self.slot_size {
                    self.lent = self.lent.min(i);
                    return Err(HarnessError::SlotTooSmall {
                        end: self.name.clone(),
                        len,
                        slot: self.slot_size,
                    });
                }
                lens.push(len);
            }
            self.lent = self.lent.max(k);
            for (i, len) in lens.into_iter().enumerate() {
                let f = self.slots[i][..len].to_vec();
                self.put(&f);
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
            f: &mut dyn FnMut(&[u8], &RxMeta),
        ) -> Result<usize, HarnessError> {
            let meta = |fr: &[u8]| RxMeta {
                ts_ns: now_realtime_ns(),
                wire_len: fr.len() as u32,
                pkttype: libc::PACKET_HOST,
                ..RxMeta::default()
            };
            let first = if timeout.is_zero() {
                self.wire.try_recv().ok()
            } else {
                self.wire.recv_timeout(timeout).ok()
            };
            let Some(first) = first else { return Ok(0) };
            f(&first, &meta(&first));
            let mut n = 1;
            while let Ok(fr) = self.wire.try_recv() {
                f(&fr, &meta(&fr));
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
