//! `vethbench.Port`: one interface, optionally in another network namespace, opened for
//! sending and receiving whole frames from Python (what the PTF platform's port class and any
//! hand-rolled test loop build on).
//!
//! What stays true:
//! - **Ready barrier.** When `Port(...)` returns, the receive socket is bound: a frame sent
//!   after that is received.
//! - **Own frames are never seen.** PACKET_IGNORE_OUTGOING: what this port (or anything else in
//!   its namespace) transmits on the interface is not received on it.
//! - **Kernel timestamps.** Every frame comes with the kernel's receive time (CLOCK_REALTIME ns).
//! - **Waits release the GIL and can be interrupted.** A blocking `recv` sleeps in the kernel
//!   without the GIL, in slices of at most 50 ms between which Python's signal handlers run
//!   (Ctrl-C raises KeyboardInterrupt).
//! - **The traffic rule.** Only virtual links (veth, dummy, ...) are opened: frames cannot reach
//!   a physical network.
//! - **Nothing is allocated per frame** besides the `bytes` object handed to Python: frames are
//!   sent from the caller's buffers and received into the socket's one buffer.
//!
//! Receiving uses the per-frame `recvmsg` socket (`vethbench::sock::recvmsg`), not the
//! TPACKET_V3 ring: a V3 ring hands frames over when a block retires, on a timer of at least one
//! jiffy, which a test that sends and verifies one frame at a time would wait for on every frame.
//! The socket's 16 MiB receive buffer (by default) keeps tens of thousands of small frames
//! queued; drops are counted (`Port.drops`).
//!
//! Locking: the receive and transmit halves each sit behind a mutex that is only ever taken
//! with the GIL held (and never waited for without it), so one thread may block in `recv`
//! while another sends.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyOSError, PyPermissionError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::frames::with_frame;

use vethbench::link::netns::Netns;
use vethbench::link::policy::{self, SendPolicy};
use vethbench::sock::recvmsg::{RecvConfig, RecvSocket};
use vethbench::sock::tx::{TxBatch, TxSocket};
use vethbench::sock::SockError;

/// The longest a wait sleeps before Python's signal handlers get a chance to run.
const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// Frames of one `send_batch` system call.
const BATCH: usize = 64;

/// An interface opened for sending and receiving whole Ethernet frames.
///
/// ``Port("veth1")`` opens ``veth1`` of the caller's network namespace; ``Port("veth1",
/// netns="ns1")`` one in another namespace (a name in ``/run/netns``, a path such as
/// ``/proc/PID/ns/net``, or ``pid:PID``); ``Port("ns1:veth1")`` is the same. When the
/// constructor returns the port is ready: every frame sent to the interface afterwards is
/// received, with the kernel's timestamp. Frames the port sends itself are never received on
/// it. Only virtual interfaces (veth, dummy, ...) are accepted.
#[pyclass(frozen, module = "vethbench._native")]
pub struct Port {
    name: String,
    netns: Option<String>,
    ifindex: u32,
    mac: [u8; 6],
    mtu: u32,
    rx: Mutex<RecvSocket>,
    tx: Mutex<TxSide>,
    /// A duplicate of the receive socket's descriptor, to wait on without holding `rx`.
    wait_fd: OwnedFd,
}

struct TxSide {
    sock: TxSocket,
    batch: TxBatch,
}

fn sock_err(e: SockError) -> PyErr {
    match e {
        SockError::Permission { .. } => PyPermissionError::new_err(e.to_string()),
        SockError::NoSuchInterface(_) => PyValueError::new_err(e.to_string()),
        _ => PyOSError::new_err(e.to_string()),
    }
}

fn link_err(e: impl std::fmt::Display) -> PyErr {
    PyOSError::new_err(e.to_string())
}

impl Port {
    /// Wait (GIL released, signals checked every slice) until a frame is queued or `deadline`
    /// passes; true when one is. `None`: wait for ever.
    fn wait_readable(&self, py: Python<'_>, deadline: Option<Instant>) -> PyResult<bool> {
        loop {
            let slice = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    left.min(SIGNAL_SLICE)
                }
                None => SIGNAL_SLICE,
            };
            let fd = self.wait_fd.as_fd();
            let ready = py.detach(|| {
                use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
                let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
                let ms = slice.as_micros().div_ceil(1000) as u16;
                match poll(&mut fds, PollTimeout::from(ms)) {
                    Ok(n) => Ok(n > 0),
                    Err(nix::errno::Errno::EINTR) => Ok(false),
                    Err(e) => Err(e),
                }
            });
            match ready {
                Ok(true) => return Ok(true),
                Ok(false) => {}
                Err(e) => {
                    return Err(PyOSError::new_err(format!(
                        "poll on '{}': {}",
                        self.name,
                        e.desc()
                    )))
                }
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
        }
    }

    /// One queued frame, if any, without waiting: `(bytes, ts_ns)`.
    fn take(&self, py: Python<'_>) -> PyResult<Option<(Py<PyBytes>, u64)>> {
        let Ok(mut rx) = self.rx.try_lock() else {
            return Err(PyRuntimeError::new_err(format!(
                "port '{}' is being read by another thread",
                self.name
            )));
        };
        match rx.recv(Duration::ZERO).map_err(sock_err)? {
            Some(f) => Ok(Some((PyBytes::new(py, f.data()).unbind(), f.ts_ns()))),
            None => Ok(None),
        }
    }
}

#[pymethods]
impl Port {
    #[new]
    #[pyo3(signature = (iface, netns=None, rcvbuf=16 << 20, max_frame=9216 + 18))]
    fn new(
        py: Python<'_>,
        iface: &str,
        netns: Option<String>,
        rcvbuf: usize,
        max_frame: usize,
    ) -> PyResult<Self> {
        let (ns_ref, name) = match (netns, iface.rsplit_once(':')) {
            (Some(ns), _) => (Some(ns), iface.to_string()),
            (None, Some((ns, name))) => (Some(ns.to_string()), name.to_string()),
            (None, None) => (None, iface.to_string()),
        };
        if name.is_empty() {
            return Err(PyValueError::new_err("an interface name is needed"));
        }
        if rcvbuf == 0 || rcvbuf > 256 << 20 {
            return Err(PyValueError::new_err(format!(
                "rcvbuf {rcvbuf}: between 1 byte and 256 MiB"
            )));
        }
        if !(64..=65535 + 18).contains(&max_frame) {
            return Err(PyValueError::new_err(format!(
                "max_frame {max_frame}: between 64 and 65553 bytes"
            )));
        }
        let opened = py.detach(|| -> Result<_, String> {
            let ns = Netns::open_or_current(ns_ref.as_deref()).map_err(|e| e.to_string())?;
            let info = policy::check_sendable(&ns, &name, None, SendPolicy::HARNESS)
                .map_err(|e| e.to_string())?;
            let cfg = RecvConfig {
                max_frame,
                ignore_outgoing: true,
                rcvbuf,
                busy_poll_us: None,
            };
            let socks = ns
                .run(|| Ok((RecvSocket::open(&name, &cfg), TxSocket::open(&name))))
                .map_err(|e| e.to_string())?;
            Ok((info, socks))
        });
        let (info, (rx, tx)) = opened.map_err(link_err)?;
        let rx = rx.map_err(sock_err)?;
        let tx = tx.map_err(sock_err)?;
        let wait_fd = rx
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| PyOSError::new_err(format!("dup: {e}")))?;
        Ok(Port {
            name,
            netns: ns_ref,
            ifindex: info.ifindex,
            mac: info.mac,
            mtu: info.mtu,
            rx: Mutex::new(rx),
            tx: Mutex::new(TxSide {
                sock: tx,
                batch: TxBatch::new(BATCH, max_frame),
            }),
            wait_fd,
        })
    }

    /// The interface's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The namespace reference given (None: the caller's namespace).
    #[getter]
    fn netns(&self) -> Option<&str> {
        self.netns.as_deref()
    }

    #[getter]
    fn ifindex(&self) -> u32 {
        self.ifindex
    }

    #[getter]
    fn mtu(&self) -> u32 {
        self.mtu
    }

    /// The interface's MAC address, ``"02:00:00:00:00:01"``.
    fn mac(&self) -> String {
        vethbench::frame::MacAddr(self.mac).to_string()
    }

    /// The receive socket's descriptor: readable when a frame is queued (for select/poll).
    fn fileno(&self) -> i32 {
        self.wait_fd.as_raw_fd()
    }

    /// Send one frame (bytes, a Scapy packet, or a Scapy expression); returns its length.
    fn send(&self, frame: &Bound<'_, PyAny>) -> PyResult<usize> {
        with_frame(frame, |b| {
            let mut tx = self.tx.lock().map_err(|_| poisoned())?;
            tx.sock.send(b).map_err(sock_err)?;
            Ok(b.len())
        })
    }

    /// Send every frame of `frames` in order, in batches of one ``sendmmsg`` each; returns how
    /// many were sent.
    fn send_batch(&self, frames: &Bound<'_, PyAny>) -> PyResult<usize> {
        let mut tx = self.tx.lock().map_err(|_| poisoned())?;
        let TxSide { sock, batch } = &mut *tx;
        let mut n = 0;
        let mut sent = 0;
        for item in frames.try_iter()? {
            let item = item?;
            with_frame(&item, |b| {
                if b.len() > batch.slot_size() {
                    return Err(PyValueError::new_err(format!(
                        "a frame of {} bytes is longer than max_frame {}",
                        b.len(),
                        batch.slot_size()
                    )));
                }
                batch.set(n, b);
                Ok(())
            })?;
            n += 1;
            if n == batch.capacity() {
                sock.send_batch(batch, n).map_err(sock_err)?;
                sent += n;
                n = 0;
            }
        }
        if n > 0 {
            sock.send_batch(batch, n).map_err(sock_err)?;
            sent += n;
        }
        Ok(sent)
    }

    /// The next frame received, as ``(data, ts_ns)``, waiting up to `timeout` seconds
    /// (None: for ever; 0: not at all); None when none came. The wait releases the GIL and
    /// Ctrl-C interrupts it.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<(Py<PyBytes>, u64)>> {
        let deadline = match timeout {
            None => None,
            Some(t) if t.is_finite() && t >= 0.0 => {
                Some(Instant::now() + Duration::from_secs_f64(t.min(1e9)))
            }
            Some(t) => {
                return Err(PyValueError::new_err(format!(
                    "timeout {t}: a number of seconds >= 0, or None"
                )))
            }
        };
        loop {
            if let Some(f) = self.take(py)? {
                return Ok(Some(f));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            if !self.wait_readable(py, deadline)? {
                return Ok(None);
            }
        }
    }

    /// Drop every frame queued on the port; returns how many were dropped.
    fn flush(&self, py: Python<'_>) -> PyResult<usize> {
        let mut n = 0;
        while self.take(py)?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// Frames the kernel dropped because the port's queue was full, since it was opened.
    #[getter]
    fn drops(&self) -> PyResult<u64> {
        let mut rx = self.rx.lock().map_err(|_| poisoned())?;
        rx.drops().map_err(sock_err)
    }

    /// Frames sent so far.
    #[getter]
    fn sent(&self) -> PyResult<u64> {
        let tx = self.tx.lock().map_err(|_| poisoned())?;
        Ok(tx.sock.sent())
    }

    fn __repr__(&self) -> String {
        match &self.netns {
            Some(ns) => format!("Port('{}:{}')", ns, self.name),
            None => format!("Port('{}')", self.name),
        }
    }
}

fn poisoned() -> PyErr {
    PyRuntimeError::new_err("a port's lock was poisoned by an earlier panic")
}
