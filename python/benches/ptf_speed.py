#!/usr/bin/env python3
"""PTF on the vethbench platform against PTF's default platform, in one run.

Two PTF tests (benches/ptf/speed.py) through a router namespace between two ports:
- OneAtATime: 10,000 frames, each sent then verified (Scapy build + PTF's mask match + the
  dataplane): the figure is the vethbench/default ratio of wall times, per round, rounds
  alternating the platforms so both see the same machine load;
- Burst: 2,000 frames sent back to back, then each verified: pass or fail on each platform with
  PTF's default options, and on the default platform with --qlen 100000.

Run as root (namespaces): ``python3 python/benches/ptf_speed.py [--rounds N]``. Prints one line
per run and a summary; exits 1 when a target is missed.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "ptf"))
from topo import Topology  # noqa: E402

PTF = os.path.join(os.path.dirname(sys.executable), "ptf")
TESTS = os.path.join(HERE, "ptf")


def run(topo, test, extra, logs):
    argv = topo.tester.cmd([PTF, "--test-dir", TESTS, "--log-dir", logs]
                           + extra + topo.interfaces([0, 1]) + ["speed." + test])
    t0 = time.perf_counter()
    res = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t0
    out = res.stdout + res.stderr
    m = re.search(r"Ran 1 test in ([0-9.]+)s", out)
    return res.returncode == 0, wall, float(m.group(1)) if m else float("nan"), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from vethbench.ptf_platform import DIR

    veth = ["--platform-dir", DIR, "--platform", "vethbench"]
    logs = tempfile.mkdtemp(prefix="vb-ptf-")
    ok = True
    with Topology() as topo:
        ratios, walls = [], {"default": [], "vethbench": []}
        for r in range(args.rounds):
            for name, extra in (("default", []), ("vethbench", veth)):
                passed, wall, test_s, out = run(topo, "OneAtATime", extra, logs)
                if not passed:
                    print(out[-3000:])
                    sys.exit("OneAtATime failed on the %s platform" % name)
                walls[name].append(test_s)
                print("round %d  OneAtATime  %-9s  test %.2f s  (ptf command %.2f s)"
                      % (r + 1, name, test_s, wall))
            ratios.append(walls["vethbench"][-1] / walls["default"][-1])
        print()
        print("OneAtATime, %s frames, %d rounds: default %s s, vethbench %s s"
              % (os.environ.get("VB_PTF_N_ONE", "10000"), args.rounds, " ".join("%.2f" % w for w in walls["default"]),
                 " ".join("%.2f" % w for w in walls["vethbench"])))
        print("  ratio vethbench/default per round: %s; median %.2f, spread %.2f-%.2f (target <= 0.75)"
              % (" ".join("%.2f" % x for x in ratios), statistics.median(ratios),
                 min(ratios), max(ratios)))
        ok &= statistics.median(ratios) <= 0.75
        print()
        for name, extra, want in (("default", [], False), ("default --qlen 100000", ["--qlen", "100000"], True),
                                  ("vethbench", veth, True)):
            passed, wall, test_s, out = run(topo, "Burst", extra, logs)
            print("Burst, 2000 frames back to back, %-22s %s in %.2f s" %
                  (name + ":", "passed" if passed else "FAILED", test_s))
            if passed != want:
                ok = False
                print("  unexpected: " + out[-2000:])
    print()
    print("(measured on a machine shared with other engineers' builds: ratios are from one run)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
