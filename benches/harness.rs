//! Harness hot-path benchmarks: the per-frame costs of a stream run that are ours (not the
//! kernel's): stamping a frame (into a copy of its own then copied into a send slot, as the
//! sender did, or in the send slot itself, as it does), checking a received frame, recording a
//! latency sample, and the noise test a non-stream frame goes through.
//!
//! Run: `cargo bench --bench harness` (short: `-- --warm-up-time 1 --measurement-time 2`).
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vethbench::harness::plan::default_frame;
use vethbench::harness::{Checker, LatencyHist, NoiseFilter, Template};

fn bench(c: &mut Criterion) {
    for len in [128usize, 1514] {
        let t = Template::new(default_frame(len), 1).expect("template");
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

criterion_group!(benches, bench);
criterion_main!(benches);
