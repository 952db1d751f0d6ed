//! The per-frame work of a stream run allocates nothing: counted with a global allocator that
//! counts this thread's allocations only.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use vethbench::harness::plan::default_frame;
use vethbench::harness::{Checker, LatencyHist, NoiseFilter, StampedTemplate};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: p was allocated by System with layout l.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Allocations made so far by the calling thread.
pub fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

#[test]
fn stamp_check_record_allocate_nothing() {
    let t = StampedTemplate::new(default_frame(256), 3).unwrap();
    let mut buf = t.bytes().to_vec();
    let mut checker = Checker::new(t.clone(), 1 << 40);
    let mut hist = LatencyHist::new();
    let nf = NoiseFilter::all();
    let other = default_frame(100);
    let before = ALLOCS.with(|c| c.get());
    for seq in 0..100_000u64 {
        t.stamp(&mut buf, seq, 1_000 + seq);
        let (class, st) = checker.check(&buf);
        assert!(class.is_first_intact());
        hist.record(st.unwrap().tx_ns, 5_000 + seq);
        assert!(!nf.is_noise(&other));
    }
    let after = ALLOCS.with(|c| c.get());
    assert_eq!(after - before, 0, "allocations in the per-frame path");
    // The counter does count: one allocation shows.
    drop(std::hint::black_box(vec![0u8; 16]));
    assert_eq!(ALLOCS.with(|c| c.get()) - after, 1);
    assert_eq!(checker.counts().intact, 100_000);
}

/// The sender's path on the real sink: frames stamped in place in the socket's sendmmsg
/// slots (`send_filled` + `StampedTemplate::fill_slot`) arrive intact and in order, with batch sizes
/// that change from call to call and a `send_batch` now and then that takes the slots over;
/// sending, receiving and checking allocate nothing per frame.
#[test]
fn sock_sink_lends_its_slots_without_allocating() {
    if !crate::common::require_root!() {
        return;
    }
    crate::common::in_private_netns(|| {
        use std::time::{Duration, Instant};
        use vethbench::harness::ends::{open_sink, open_source, rx_config};
        use vethbench::harness::{stamp, FrameSink, FrameSource};
        use vethbench::link::Netns;
        crate::common::veth_pair("vb0", "vb1");
        let ns = Netns::open_or_current(None).unwrap();
        let t = StampedTemplate::new(default_frame(128), 11).unwrap();
        let other = default_frame(100);
        let mut sink = open_sink(&ns, "vb0", 16, 256).unwrap();
        let mut src = open_source(&ns, "vb1", &rx_config(false)).unwrap();
        let mut checker = Checker::new(t.clone(), u64::MAX);
        let mut others = 0u64;
        // Read what is ready (waiting up to `wait`), check ours, count the others.
        let mut recv = |wait: Duration, checker: &mut Checker, others: &mut u64| {
            src.poll(wait, &mut |f, _| {
                if stamp::parse(f, t.stamp_off()).is_some_and(|s| s.stream_id == 11) {
                    checker.check(f);
                } else if f == &other[..] {
                    *others += 1;
                }
            })
            .unwrap();
        };
        let mut seq = 0u64;
        let send = |sink: &mut dyn FrameSink, n: usize, seq: &mut u64| {
            let first = *seq;
            let k = sink
                .send_filled(n, &mut |i, slot, fresh| {
                    t.fill_slot(slot, fresh, first + i as u64, 1_000 + first + i as u64)
                })
                .unwrap();
            // The socket retries internally: all it holds are taken.
            assert_eq!(k, n.min(16));
            *seq += k as u64;
        };
        // Warm up (first sendmmsg, first poll).
        send(&mut sink, 16, &mut seq);
        recv(Duration::from_millis(50), &mut checker, &mut others);
        let before = allocs();
        let mut batches = 0u64;
        for round in 0..3_000usize {
            send(&mut sink, [16, 1, 7, 16, 3, 40][round % 6], &mut seq);
            if round % 97 == 0 {
                assert_eq!(sink.send_batch(&[&other, &other]).unwrap(), 2);
                batches += 1;
            }
            recv(Duration::ZERO, &mut checker, &mut others);
        }
        let give_up = Instant::now() + Duration::from_secs(5);
        while checker.counts().intact < seq && Instant::now() < give_up {
            recv(Duration::from_millis(10), &mut checker, &mut others);
        }
        assert_eq!(allocs() - before, 0, "allocations per frame sent");
        let c = checker.counts();
        assert_eq!(c.intact, seq, "{c:?}");
        assert_eq!(
            (c.corrupted, c.unexpected, c.reordered, c.duplicated),
            (0, 0, 0, 0),
            "{c:?}"
        );
        assert_eq!(others, 2 * batches);
        assert_eq!(sink.tx_drops(), 0);
    });
}

/// A stream through a NAT: the receive end that verifies the rewritten frame's transport
/// checksum, latches the port the NAT chose (`any`) and gives the checker the sent bytes back
/// allocates nothing per frame either.
#[test]
fn the_nat_restore_allocates_nothing() {
    use std::time::Duration;
    use vethbench::frame::{csum, expr};
    use vethbench::harness::{FrameSource, HarnessError, RxMeta};
    use vethbench::scenario::stream::{any_variants, Restore};

    /// Frames handed over in order, built beforehand.
    struct Built(Vec<Vec<u8>>, usize);
    impl FrameSource for Built {
        fn poll(
            &mut self,
            _: Duration,
            f: &mut dyn FnMut(&[u8], &RxMeta),
        ) -> Result<usize, HarnessError> {
            let n = (self.0.len() - self.1).min(64);
            for fr in &self.0[self.1..self.1 + n] {
                f(fr, &RxMeta::default());
            }
            self.1 += n;
            Ok(n)
        }
        fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
            Ok(0)
        }
        fn name(&self) -> &str {
            "built"
        }
    }
    let build = |e: &str| expr::parse(e).unwrap().build().unwrap().remove(0);
    let load = "0123456789abcdef0123456789abcdef";
    let sent = build(&format!(
        r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.1.2", dst="198.18.2.2")/UDP(sport=40000, dport=9)/"{load}""#
    ));
    let declared = format!(
        r#"Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04")/IP(src="198.18.2.1", dst="198.18.2.2", ttl=63)/UDP(sport=any, dport=9)/"{load}""#
    );
    let (zero, one) = any_variants(&declared).unwrap();
    let t = StampedTemplate::new(sent.clone(), 5).unwrap();
    // What a masquerade that chose port 51234 delivers: its headers, the stamped payload,
    // the UDP checksum recomputed.
    let natted = build(&declared.replace("sport=any", "sport=51234"));
    let n = 20_000u64;
    let frames: Vec<Vec<u8>> = (0..n)
        .map(|seq| {
            let mut b = t.bytes().to_vec();
            t.stamp(&mut b, seq, 1_000 + seq);
            b[..42].copy_from_slice(&natted[..42]);
            b[40..42].copy_from_slice(&[0, 0]);
            let len = ((b.len() - 34) as u16).to_be_bytes();
            let c = csum::checksum(&[&b[26..34], &[0, 17], &len, &b[34..]]);
            b[40..42].copy_from_slice(&c.to_be_bytes());
            b
        })
        .collect();
    let mut r = Restore::new(
        Built(frames, 0),
        &sent,
        Some(&build(&zero)),
        Some(&build(&one)),
        &t,
        &[],
    )
    .unwrap();
    let mut checker = Checker::new(t.clone(), n);
    // The first poll latches the port.
    r.poll(Duration::ZERO, &mut |f, _| {
        checker.check(f);
    })
    .unwrap();
    let before = allocs();
    while r
        .poll(Duration::ZERO, &mut |f, _| {
            checker.check(f);
        })
        .unwrap()
        > 0
    {}
    assert_eq!(allocs() - before, 0, "allocations per NAT'd frame");
    let c = checker.counts();
    assert_eq!((c.intact, c.corrupted), (n, 0), "{c:?}");
}
