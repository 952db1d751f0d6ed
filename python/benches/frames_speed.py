#!/usr/bin/env python3
"""The Python package's own costs, in one run: ``import vethbench``, and the per-call cost of
the frame functions against Scapy's equivalents.

- import: ``python -c "import vethbench"`` against ``python -c "pass"`` (the interpreter's own
  start), alternating, ``--rounds`` of each: the median and p90 of the difference, and
  ``-X importtime``'s cumulative figure for ``vethbench`` (median over the rounds). Goal:
  under 50 ms.
- per call, each a median over ``--rounds`` rounds of ``--calls`` calls, with the spread
  (min..max of the rounds) and Scapy/vethbench ratios of the same round:
  ``frame(expr)`` vs Scapy's ``raw(Ether(...)/IP(...)/UDP(...)/payload)``;
  ``frame(pkt)`` (a Scapy packet in) vs ``raw(pkt)``;
  ``fields(frame)`` vs Scapy's dissection ``Ether(data)`` and every layer's fields;
  ``show(frame)`` vs ``Ether(data).show(dump=True)``.

Scapy reads the host's routes: the script re-runs itself inside ``unshare -n`` (root). Run
``python3 python/benches/frames_speed.py [--rounds 7] [--calls 2000]`` with the venv's python
(the package installed, e.g. by tests/run.sh, built with ``maturin develop --release`` for
figures that mean something).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def spread(xs, unit=1e6, fmt="%.2f"):
    return (fmt + " (" + fmt + ".." + fmt + ")") % (statistics.median(xs) * unit, min(xs) * unit, max(xs) * unit)


def bench_import(rounds):
    py = sys.executable
    base, pkg, cumulative = [], [], []
    for _ in range(rounds):
        for code, out in (("pass", base), ("import vethbench", pkg)):
            t0 = time.perf_counter()
            subprocess.run([py, "-c", code], check=True)
            out.append(time.perf_counter() - t0)
        res = subprocess.run([py, "-X", "importtime", "-c", "import vethbench"], capture_output=True, text=True, check=True)
        for line in res.stderr.splitlines():
            m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| vethbench$", line)
            if m:
                cumulative.append(int(m.group(1)) / 1e6)
    diff = [p - b for p, b in zip(pkg, base)]
    print("import vethbench, %d rounds:" % rounds)
    print("  python -c pass:              median %s ms" % spread(base, 1e3, "%.1f"))
    print("  python -c 'import vethbench': median %s ms" % spread(pkg, 1e3, "%.1f"))
    print("  difference: median %.1f ms, p90 %.1f ms" % (statistics.median(diff) * 1e3, pct(diff, 90) * 1e3))
    if cumulative:
        print("  -X importtime cumulative: median %s ms" % spread(cumulative, 1e3, "%.1f"))
    return statistics.median(cumulative or diff)


def per_call(fn, calls):
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def bench_calls(rounds, calls):
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("scapy").setLevel(logging.ERROR)
    from scapy.all import IP, UDP, Ether, raw

    import vethbench

    expr = ('Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2", ttl=9)'
            '/UDP(sport=1111, dport=2222)/"hello, world"')
    pkt = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.18.0.2", ttl=9) / UDP(sport=1111, dport=2222) / "hello, world"
    data = vethbench.frame(expr)
    assert data == raw(pkt)

    def scapy_build():
        return raw(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.18.0.2", ttl=9) / UDP(sport=1111, dport=2222) / "hello, world")

    def scapy_fields():
        p = Ether(bytes(data))
        out = {}
        while p:
            out.update(p.fields)
            p = p.payload
        return out

    cases = [
        ("frame(expr) vs raw(Ether()/IP()/UDP()/...)", lambda: vethbench.frame(expr), scapy_build),
        ("frame(pkt) vs raw(pkt)", lambda: vethbench.frame(pkt), lambda: raw(pkt)),
        ("fields(frame) vs Ether(data) + every layer's fields", lambda: vethbench.fields(data), scapy_fields),
        ("show(frame) vs Ether(data).show(dump=True)", lambda: vethbench.show(data), lambda: Ether(bytes(data)).show(dump=True)),
    ]
    print("per call, %d rounds of %d calls (µs: median (min..max of the rounds); ratio Scapy/vethbench per round):" % (rounds, calls))
    for name, ours, theirs in cases:
        a, b = [], []
        for _ in range(rounds):
            a.append(per_call(ours, calls))
            b.append(per_call(theirs, max(1, calls // 10)))
        ratios = [y / x for x, y in zip(a, b)]
        print("  %s:\n    vethbench %s µs, Scapy %s µs, ratio median %.0f× (%.0f..%.0f)"
              % (name, spread(a), spread(b), statistics.median(ratios), min(ratios), max(ratios)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=2000)
    a = ap.parse_args()
    if os.environ.get("VETHBENCH_BENCH_NETNS") != "1":
        env = dict(os.environ, VETHBENCH_BENCH_NETNS="1")
        os.execvpe("unshare", ["unshare", "-n", sys.executable] + sys.argv, env)
    load = os.getloadavg()
    print("load average %.2f %.2f %.2f, %d CPUs" % (load + (os.cpu_count(),)))
    imp = bench_import(a.rounds)
    bench_calls(a.rounds, a.calls)
    print("import goal < 50 ms: %s (%.1f ms)" % ("met" if imp < 0.05 else "MISSED", imp * 1e3))
    return 0 if imp < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
