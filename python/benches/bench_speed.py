#!/usr/bin/env python3
"""vethbench.Bench speed against its references, as ratios in one run (issue 18, Speed).

1. A ``send`` + ``expect`` step through a router namespace (tester port a -> r1 -> tester
   port b, MACs and TTL rewritten, checked byte for byte but the IP checksum):
   - from Python (``Bench.send`` + ``Bench.expect``, bytes; and with Scapy expressions);
   - through the Rust scenario steps alone, on the same bench and sockets
     (``Bench._rust_steps``: the same ``steps::send_frames`` + ``steps::expect_built``,
     no Python between them);
   - with Scapy (``sendp`` + ``AsyncSniffer(started_callback=...)``, the sniffer started
     per step as a test does), run inside the tester node by ``Bench.exec``.
   Targets: Python p50 <= 2x Rust p50; Scapy p50 >= 1000x Python p50.
2. ``Bench.stream`` of 1M frames (a pair of nodes) against ``vethbench test --count 1000000
   --json`` (its own private pair), the same frame (``vethbench test``'s default): frames/s,
   target >= 0.95x.

Rounds alternate the contenders (and, for the stream, which goes first), so each sees the same
machine load. Prints each round and a
summary (median of the rounds' ratios, their spread, p99s). Run as root with the package built
in release mode (``maturin develop --release``) and the CLI built (``cargo build --release``):

    python3 python/benches/bench_speed.py [--rounds 5] [--steps 2000] [--vethbench PATH]
        [--skip-step | --skip-stream]

Exits 1 when a target is missed. Load: note what else runs (``uptime`` is printed).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import vethbench

A, RA = "02:00:00:00:0a:01", "02:00:00:00:0a:02"
B, RB = "02:00:00:00:0b:01", "02:00:00:00:0b:02"
# To 198.18.2.3, which r1 sends to b's MAC (a static neighbour) and the tester's stack drops
# (not its address, no forwarding): no ARP, no ICMP back, nothing else on the ports.
SENT = ('Ether(src="%s", dst="%s")/IP(src="198.18.1.2", dst="198.18.2.3")'
        '/UDP(sport=7, dport=9)/"bench"' % (A, RA))
WANT = ('Ether(src="%s", dst="%s")/IP(src="198.18.1.2", dst="198.18.2.3", ttl=63)'
        '/UDP(sport=7, dport=9)/"bench"' % (RB, B))

SCAPY_STEP = r'''
import json, sys, threading, time
from scapy.all import AsyncSniffer, Ether, conf, sendp
n = int(sys.argv[1]); frame = bytes.fromhex(sys.argv[2])
conf.verb = 0
ts = []
for i in range(n):
    t0 = time.perf_counter()
    ready = threading.Event()
    sn = AsyncSniffer(iface="b", count=1, started_callback=ready.set,
                      lfilter=lambda p: bytes(p)[-5:] == b"bench")
    sn.start()
    ready.wait(5)
    sendp(Ether(frame), iface="a")
    sn.join(5)
    ts.append(time.perf_counter() - t0)
print(json.dumps(ts))
'''


def pct(v, p):
    v = sorted(v)
    return v[int(round((len(v) - 1) * p))]


def spread(v):
    return "%.2f..%.2f" % (min(v), max(v))


def router():
    return (vethbench.Topology("bench router")
            .node("t").node("r1", sysctl={"net.ipv4.ip_forward": 1})
            .link("t:a", "r1:eth0", macs=[A, RA]).link("t:b", "r1:eth1", macs=[B, RB])
            .address("t:a", "198.18.1.2/24").address("r1:eth0", "198.18.1.1/24")
            .address("r1:eth1", "198.18.2.1/24").address("t:b", "198.18.2.2/24")
            .setup("r1", "ip neigh replace 198.18.2.3 lladdr %s dev eth1 nud permanent" % B))


def python_steps(b, sent, want, n):
    """``n`` steps from Python; ``sent``/``want``: bytes, or Scapy expressions."""
    ts = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        b.send("t:a", sent)
        b.expect("t:b", want, ignore=["ip.chksum"])
        ts.append(clock() - t0)
    return ts


def scapy_steps(b, sent, n, script):
    out = b.exec("t", "/usr/bin/python3 %s %d %s" % (script, n, sent.hex()), timeout=300)
    return [t * 1e9 for t in json.loads(out.stdout.strip().splitlines()[-1])]


def step_bench(rounds, steps, scapy_n):
    sent, want = vethbench.frame(SENT), vethbench.frame(WANT)
    fails = []
    script = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
    script.write(SCAPY_STEP)
    script.close()
    rows = []
    with vethbench.Bench(router()) as b:
        # Warm-up: caches, the router's first forward.
        python_steps(b, sent, want, 200)
        b._rust_steps("t:a", sent, "t:b", want, ["ip.chksum"], 200)
        for r in range(rounds):
            rust = b._rust_steps("t:a", sent, "t:b", want, ["ip.chksum"], steps)
            py = python_steps(b, sent, want, steps)
            expr = python_steps(b, SENT, WANT, steps)
            sc = scapy_steps(b, sent, scapy_n, script.name)
            row = {k: (pct(v, 0.5), pct(v, 0.99)) for k, v in
                   (("rust", rust), ("python", py), ("python_expr", expr), ("scapy", sc))}
            rows.append(row)
            print("round %d  p50/p99 µs: rust %.1f/%.1f  python %.1f/%.1f  python (expressions) "
                  "%.1f/%.1f  scapy %.0f/%.0f   python/rust %.2fx  scapy/python %.0fx"
                  % (r + 1, *(x / 1e3 for k in ("rust", "python", "python_expr", "scapy")
                              for x in row[k]),
                     row["python"][0] / row["rust"][0], row["scapy"][0] / row["python"][0]),
                  flush=True)
    os.unlink(script.name)
    ratio = [row["python"][0] / row["rust"][0] for row in rows]
    scapy = [row["scapy"][0] / row["python"][0] for row in rows]
    print("step: python/rust p50 median %.2fx (rounds %s); scapy/python p50 median %.0fx "
          "(rounds %s); python p99 median %.1f µs, rust p99 median %.1f µs"
          % (statistics.median(ratio), spread(ratio), statistics.median(scapy), spread(scapy),
             statistics.median(row["python"][1] for row in rows) / 1e3,
             statistics.median(row["rust"][1] for row in rows) / 1e3))
    if statistics.median(ratio) > 2.0:
        fails.append("python step p50 over 2x the Rust step's")
    if statistics.median(scapy) < 1000:
        fails.append("python step p50 under 1000x faster than Scapy's")
    return fails


# vethbench test's own default frame (harness::plan::default_frame(128)): addressed to a MAC the
# receiving end does not own, so its IP stack drops it at once. Bench.stream's default frame is
# addressed to the peer port (so a bridge forwards it), which makes the receiving node's IP stack
# route and drop every frame: measured 15% slower (docs/python.md, "Speed of Bench").
CLI_FRAME = ('Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")'
             '/IP(src="198.18.0.1", dst="198.18.0.2", flags="DF", id=0, ttl=64)'
             '/UDP(sport=49152, dport=9)/Raw(load=%r)' % bytes(i % 251 for i in range(86)))


def stream_bench(rounds, count, vb):
    """The same frame over the same kind of pair (one veth link, its receive work on a
    threaded NAPI instance as on vethbench test's private pair): what differs is the face."""
    pair = (vethbench.Topology("stream pair").node("a").node("b")
            .link("a:eth0", "b:eth0", macs=[A, B]))
    frame = vethbench.frame(CLI_FRAME)
    assert len(frame) == 128, len(frame)
    py, cli = [], []
    with vethbench.Bench(pair) as b:
        def run_cli():
            out = subprocess.run([vb, "test", "--count", str(count), "--json"],
                                 capture_output=True, text=True, timeout=600)
            if out.returncode not in (0, 1):
                sys.exit("vethbench test failed: %s" % out.stderr)
            return json.loads(out.stdout)

        for r in range(rounds):
            # Who goes first takes turns, so neither always follows the other's aftermath.
            if r % 2:
                ref = run_cli()
                rep = b.stream("a:eth0", "b:eth0", frame=frame, count=count, check=False)
            else:
                rep = b.stream("a:eth0", "b:eth0", frame=frame, count=count, check=False)
                ref = run_cli()
            py.append(rep["pps"])
            cli.append(ref["pps"])
            print("round %d  stream %d frames: Bench.stream %.0f fps (lost %d)  vethbench test "
                  "%.0f fps (lost %d)  ratio %.3f" % (r + 1, count, rep["pps"], rep["lost"],
                                                     ref["pps"], ref["lost"], rep["pps"] / ref["pps"]),
                  flush=True)
    ratio = [p / c for p, c in zip(py, cli)]
    print("stream: Bench.stream / vethbench test frames/s median %.3f (rounds %s)"
          % (statistics.median(ratio), spread(ratio)))
    return [] if statistics.median(ratio) >= 0.95 else ["Bench.stream under 0.95x vethbench test"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--scapy-steps", type=int, default=20)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--vethbench", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "release", "vethbench"))
    ap.add_argument("--skip-stream", action="store_true")
    ap.add_argument("--skip-step", action="store_true", help="part 2 (the stream) only")
    args = ap.parse_args()
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    fails = [] if args.skip_step else step_bench(args.rounds, args.steps, args.scapy_steps)
    if not args.skip_stream:
        fails += stream_bench(args.rounds, args.count, args.vethbench)
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    for f in fails:
        print("MISSED:", f)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
