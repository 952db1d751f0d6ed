//! Harness hot-path benchmarks: the per-frame costs of a stream run that are ours (not the
//! kernel's): stamping a frame (into a copy of its own then copied into a send slot, as the
//! sender did, or in the send slot itself, as it does), checking a received frame, recording a
//! latency sample, and the noise test a non-stream frame goes through; and, as root, one
//! `Testbench` send + expect across a private pair, with the per-frame socket `Testbench`
//! opens against a ring end (what it used before) as the reference.
//!
//! Run: `cargo bench --bench harness` (short: `-- --warm-up-time 1 --measurement-time 2`).
use std::hint::black_box;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vethbench::harness::plan::default_frame;
use vethbench::harness::{ends, Checker, LatencyHist, NoiseFilter, StampedTemplate, Testbench};

fn bench(c: &mut Criterion) {
    for len in [128usize, 1514] {
        let t = StampedTemplate::new(default_frame(len), 1).expect("template");
        let mut g = c.benchmark_group(format!("harness/{len}B"));
        g.throughput(Throughput::Elements(1));

        let mut buf = t.bytes().to_vec();
        let mut seq = 0u64;
        g.bench_function("stamp", |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                t.stamp(black_box(&mut buf), seq, 1_700_000_000_000_000_000 + seq);
            })
        });

        // The sender's per-frame work before and after the sink lent its slots: stamp a copy
        // of its own, then copy it into the sendmmsg slot; or stamp in the slot itself.
        let mut own = t.bytes().to_vec();
        let mut slot = vec![0u8; len + 64];
        t.fill_slot(&mut slot, true, 0, 0);
        g.bench_function("stamp+copy_to_slot", |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                t.stamp(&mut own, seq, 1_700_000_000_000_000_000 + seq);
                slot[..own.len()].copy_from_slice(black_box(&own));
                black_box(&mut slot);
            })
        });
        g.bench_function("fill_slot", |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                black_box(t.fill_slot(
                    black_box(&mut slot),
                    false,
                    seq,
                    1_700_000_000_000_000_000 + seq,
                ));
            })
        });

        // A batch of stamped frames, checked in order over and over: the limit is u64::MAX and the
        // window slides with the seq, as in a long run.
        let frames: Vec<Vec<u8>> = (0..1024u64)
            .map(|s| {
                let mut b = t.bytes().to_vec();
                t.stamp(&mut b, s, 1_000 + s);
                b
            })
            .collect();
        let mut checker = Checker::new(t.clone(), u64::MAX);
        let mut i = 0usize;
        g.bench_function("check", |b| {
            b.iter(|| {
                // Seqs repeat every 1024 frames: the window sees them as duplicates after the first
                // lap, which costs the same as intact (same compare, one bitmap test).
                let f = &frames[i & 1023];
                i += 1;
                black_box(checker.check(black_box(f)));
            })
        });
        g.finish();
    }

    let mut h = LatencyHist::new();
    let mut x = 0u64;
    c.bench_function("harness/latency_record", |b| {
        b.iter(|| {
            x = x.wrapping_add(7919);
            h.record(black_box(1_000), black_box(1_000 + 5_000 + (x & 0xffff)));
        })
    });

    let nf = NoiseFilter::all();
    let f = default_frame(128);
    c.bench_function("harness/noise_check_udp", |b| {
        b.iter(|| black_box(nf.is_noise(black_box(&f))))
    });
}

/// One frame sent on one end and expected on the other, per iteration.
fn testbench(c: &mut Criterion) {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP testbench benches: need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN)");
        return;
    }
    let frame = default_frame(128);
    let mut g = c.benchmark_group("testbench");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    let (mut tb, a, b) = Testbench::private_pair().expect("private pair");
    g.bench_function("send_expect/socket", |bn| {
        bn.iter(|| {
            tb.send(a, &frame).unwrap();
            tb.expect(b, frame.as_slice(), Duration::from_secs(1))
                .unwrap();
        })
    });
    drop(tb);

    // The reference: the same, received through a TPACKET_V3 ring (1 ms block timer).
    let pair = ends::private_pair("vbr0", "vbr1", None).expect("private pair");
    let mut tb = Testbench::new();
    let ring = |ns, iface| {
        (
            Box::new(ends::open_sink(ns, iface, 16, 1514).unwrap()),
            Box::new(ends::open_source(ns, iface, &ends::rx_config(true)).unwrap()),
        )
    };
    let (sink, src) = ring(pair.netns_a(), "vbr0");
    let a = tb.add_end("vbr0", sink, src);
    let (sink, src) = ring(pair.netns_b(), "vbr1");
    let b = tb.add_end("vbr1", sink, src);
    g.bench_function("send_expect/ring", |bn| {
        bn.iter(|| {
            tb.send(a, &frame).unwrap();
            tb.expect(b, frame.as_slice(), Duration::from_secs(1))
                .unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, bench, testbench);
criterion_main!(benches);
