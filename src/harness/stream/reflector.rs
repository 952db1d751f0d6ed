//! The reflector of rtt mode: echoes every frame its source receives back out of its sink.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::pin_current_thread;
use crate::harness::ends::{FrameSink, FrameSource};
use crate::harness::HarnessError;

/// Echoes every frame its source receives back out of its sink (the peer side of rtt mode),
/// on its own thread, until dropped.
#[derive(Debug)]
pub struct Reflector {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Result<u64, HarnessError>>>,
}

impl Reflector {
    /// Start echoing. `cpu` pins the reflector thread.
    pub fn start<S, K>(
        mut source: S,
        mut sink: K,
        cpu: Option<usize>,
        busy_poll: bool,
    ) -> Result<Self, HarnessError>
    where
        S: FrameSource + Send + 'static,
        K: FrameSink + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let handle = thread::Builder::new()
            .name("vethbench-reflect".into())
            .spawn(move || {
                if let Some(c) = cpu {
                    pin_current_thread(c)?;
                }
                let tick = if busy_poll {
                    Duration::ZERO
                } else {
                    Duration::from_millis(5)
                };
                let mut echoed = 0u64;
                let mut err = None;
                while !s2.load(Ordering::Acquire) && err.is_none() {
                    source.poll(tick, &mut |frame, _| {
                        if err.is_some() {
                            return;
                        }
                        // One frame at a time: retry while the queue is full.
                        loop {
                            match sink.send_batch(&[frame]) {
                                Ok(0) => std::hint::spin_loop(),
                                Ok(_) => break,
                                Err(e) => {
                                    err = Some(e);
                                    break;
                                }
                            }
                        }
                        echoed += 1;
                    })?;
                }
                match err {
                    Some(e) => Err(e),
                    None => Ok(echoed),
                }
            })
            .map_err(|source| HarnessError::Spawn {
                thread: "reflector",
                source,
            })?;
        Ok(Reflector {
            stop,
            handle: Some(handle),
        })
    }

    /// Stop and return how many frames were echoed.
    pub fn finish(mut self) -> Result<u64, HarnessError> {
        self.stop.store(true, Ordering::Release);
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(r)) => r,
            _ => Err(HarnessError::Thread("reflector")),
        }
    }
}

impl Drop for Reflector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
