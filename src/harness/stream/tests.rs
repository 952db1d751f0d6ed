//! Unit tests of the stream loops over in-memory ends (loss, corruption, order, pacing...).

use super::*;
use crate::harness::ends::mem;
use crate::harness::report::Verdict;
use crate::harness::stamp::{self, tests::udp4};

fn template() -> StampedTemplate {
    StampedTemplate::new(udp4(64), 9).unwrap()
}

fn cfg(count: u64) -> StreamConfig {
    StreamConfig {
        count: Some(count),
        drain: Duration::from_millis(50),
        ..StreamConfig::default()
    }
}

fn run(cfg: StreamConfig, fault: Option<mem::Fault>) -> Report {
    let (tx, rx) = mem::wire("m", fault);
    start(cfg, template(), tx, rx, None)
        .unwrap()
        .wait()
        .unwrap()
}

#[test]
fn clean_throughput_run_passes() {
    let r = run(cfg(5000), None);
    assert_eq!(r.verdict, Verdict::Passed, "{r}");
    assert_eq!((r.sent, r.intact, r.lost), (5000, 5000, 0));
    assert_eq!(r.latency.unwrap().samples, 5000);
}

#[test]
fn short_sends_are_retried() {
    let (mut tx, rx) = mem::wire("m", None);
    tx.max_per_call = 3;
    let r = start(cfg(1000), template(), tx, rx, None)
        .unwrap()
        .wait()
        .unwrap();
    assert!(r.passed(), "{r}");
    assert_eq!(r.sent, 1000);
}

/// The sender stamps in the sink's slots: slots the sink lends fresh (never lent, or written
/// by the sink since) get the whole template again, whatever the batch size of the call
/// (short sends, paced runs) and whichever seq a slot held before.
#[test]
fn lent_slots_are_rewritten_when_fresh() {
    for (max_per_call, scribble_every, rate_pps) in [
        (usize::MAX, 1, None),
        (usize::MAX, 3, None),
        (5, 2, None),
        (7, 5, Some(50_000.0)),
    ] {
        let (mut tx, rx) = mem::wire("m", None);
        tx.max_per_call = max_per_call;
        tx.scribble_every = scribble_every;
        let c = StreamConfig {
            rate_pps,
            batch: 16,
            ..cfg(1000)
        };
        let r = start(c, template(), tx, rx, None).unwrap().wait().unwrap();
        assert!(
            r.passed(),
            "{max_per_call} {scribble_every} {rate_pps:?}: {r}"
        );
        assert_eq!((r.sent, r.intact), (1000, 1000));
    }
    // Latency mode: one frame per call, through the same slots.
    let (mut tx, rx) = mem::wire("m", None);
    tx.scribble_every = 4;
    let c = StreamConfig {
        mode: Mode::Latency,
        ..cfg(100)
    };
    let r = start(c, template(), tx, rx, None).unwrap().wait().unwrap();
    assert!(r.passed(), "{r}");
}

/// A filler that ignored `fresh` would send what a fresh slot holds: the test above would
/// see it (the mem sink's fresh slots are garbage, not a stale frame).
#[test]
fn mem_sink_fresh_slots_are_garbage() {
    let (mut tx, mut rx) = mem::wire("m", None);
    tx.scribble_every = 2;
    let t = template();
    let mut fresh_seen = Vec::new();
    for _ in 0..3 {
        let k = tx
            .send_filled(2, &mut |i, slot, fresh| {
                fresh_seen.push(fresh);
                t.stamp(&mut slot[..t.len()], i as u64, 1);
                t.len()
            })
            .unwrap();
        assert_eq!(k, 2);
    }
    assert_eq!(fresh_seen, [true, true, true, true, false, false]);
    let mut got = Vec::new();
    rx.poll(Duration::ZERO, &mut |f, _| got.push(f.to_vec()))
        .unwrap();
    assert_eq!(got.len(), 6);
    assert_eq!(got[0][0], mem::SCRIBBLE);
    assert_eq!(stamp::parse(&got[0], t.stamp_off()), None);
}

/// A template larger than the sink's slots stops the run with an error, nothing sent.
#[test]
fn a_frame_over_the_slot_size_is_an_error() {
    let (mut tx, rx) = mem::wire("m", None);
    tx.slot_size = template().len() - 1;
    let e = start(cfg(10), template(), tx, rx, None)
        .unwrap()
        .wait()
        .unwrap_err();
    assert!(e.to_string().contains("exceeds the"), "{e}");
}

#[test]
fn faults_are_reported() {
    // Drop 1 in 100, duplicate frame 5, corrupt frame 7, swap 10 and 11, inject garbage.
    let mut held: Option<Vec<u8>> = None;
    let fault: mem::Fault = Box::new(move |n, f| {
        let f = f.to_vec();
        match n {
            _ if n % 100 == 50 => vec![],
            5 => vec![f.clone(), f],
            7 => {
                let mut c = f;
                let last = c.len() - 1;
                c[last] ^= 1;
                vec![c]
            }
            10 => {
                held = Some(f);
                vec![]
            }
            11 => vec![f, held.take().unwrap()],
            12 => vec![f, vec![0xff; 60]],
            _ => vec![f],
        }
    });
    let r = run(cfg(1000), Some(fault));
    assert_eq!(r.verdict, Verdict::Failed);
    assert_eq!(r.sent, 1000);
    assert_eq!(r.lost, 10, "{r}");
    assert_eq!(r.duplicated, 1, "{r}");
    assert_eq!(r.corrupted, 1, "{r}");
    assert_eq!(r.reordered, 1, "{r}");
    assert_eq!(r.unexpected, 1, "{r}");
    assert_eq!(
        r.received,
        r.intact + r.duplicated + r.corrupted + r.unexpected
    );
    assert_eq!(r.sent, r.intact + r.corrupted + r.lost);
}

#[test]
fn noise_is_counted_apart() {
    let mut lldp = vec![0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc];
    lldp.extend([0; 46]);
    let fault: mem::Fault = Box::new(move |n, f| {
        if n == 3 {
            vec![lldp.clone(), f.to_vec()]
        } else {
            vec![f.to_vec()]
        }
    });
    let r = run(cfg(100), Some(fault));
    assert!(r.passed(), "{r}");
    assert_eq!(r.noise, 1);
}

#[test]
fn paced_run_takes_about_count_over_rate() {
    let c = StreamConfig {
        rate_pps: Some(20_000.0),
        ..cfg(2000)
    };
    let r = run(c, None);
    assert!(r.passed(), "{r}");
    // 2000 frames at 20 kpps: the last deadline is at 99.95 ms; never earlier.
    assert!(r.duration_s >= 0.0995, "{}", r.duration_s);
    assert!(r.tx_pps <= 20_100.0, "{}", r.tx_pps);
}

#[test]
fn duration_bounds_the_run() {
    let c = StreamConfig {
        count: None,
        duration: Some(Duration::from_millis(50)),
        rate_pps: Some(10_000.0),
        ..cfg(1)
    };
    let r = run(c, None);
    assert!(r.passed(), "{r}");
    assert!(r.sent > 0 && r.sent <= 501, "{}", r.sent);
}

#[test]
fn latency_mode_one_in_flight_and_loss_times_out() {
    let fault: mem::Fault = Box::new(|n, f| if n == 3 { vec![] } else { vec![f.to_vec()] });
    let c = StreamConfig {
        mode: Mode::Latency,
        inflight_timeout: Duration::from_millis(20),
        ..cfg(50)
    };
    let r = run(c, Some(fault));
    assert_eq!(r.sent, 50);
    assert_eq!(r.lost, 1, "{r}");
    assert_eq!(r.latency.unwrap().samples, 49);
}

#[test]
fn rtt_mode_through_a_reflector() {
    let (a_tx, b_rx) = mem::wire("ab", None);
    let (b_tx, a_rx) = mem::wire("ba", None);
    let refl = Reflector::start(b_rx, b_tx, None, false).unwrap();
    let c = StreamConfig {
        mode: Mode::Rtt,
        ..cfg(200)
    };
    let r = start(c, template(), a_tx, a_rx, None)
        .unwrap()
        .wait()
        .unwrap();
    assert!(r.passed(), "{r}");
    assert_eq!(r.latency_kind, "rtt");
    assert_eq!(refl.finish().unwrap(), 200);
}

#[test]
fn bad_configs_are_rejected() {
    for c in [
        StreamConfig {
            count: None,
            ..cfg(1)
        },
        StreamConfig {
            count: Some(0),
            ..cfg(1)
        },
        StreamConfig {
            rate_pps: Some(0.0),
            ..cfg(1)
        },
        StreamConfig { batch: 0, ..cfg(1) },
        StreamConfig {
            batch: MAX_STREAM_BATCH + 1,
            ..cfg(1)
        },
        StreamConfig {
            cpu_tx: Some(1 << 20),
            ..cfg(1)
        },
    ] {
        assert!(matches!(c.check(), Err(HarnessError::Config(_))), "{c:?}");
    }
}

struct CountTap(Arc<AtomicU64>);
impl Tap for CountTap {
    fn record(&mut self, _: usize, _: &[u8], _: &super::super::RxMeta) -> Result<(), HarnessError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    fn finish(&mut self) -> Result<(), HarnessError> {
        Ok(())
    }
}

#[test]
fn tap_sees_every_frame() {
    let n = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mem::wire("m", None);
    let r = start(
        cfg(300),
        template(),
        tx,
        rx,
        Some(Box::new(CountTap(n.clone()))),
    )
    .unwrap()
    .wait()
    .unwrap();
    assert!(r.passed());
    assert_eq!(n.load(Ordering::Relaxed), 300);
}
