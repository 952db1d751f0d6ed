#!/usr/bin/env bash
# `veth list --all-netns` with many process-held namespaces (issue 12: under 200 ms for 500).
#
# Makes N container-like namespaces (`unshare -n sleep`, as a runtime's init), each joined to
# the bench's own namespace by a veth pair (`ip link add vcI type veth peer name eth0 netns
# PID`, what a runtime does), then times `vethbench veth list --all-netns` (ROUNDS runs, the
# fastest and the median printed) and checks that every container's eth0 was found with its
# peer. Nothing is sent.
#
# Usage (root):   benches/netns-scan.sh [N]      (default 500)
# Env: VETHBENCH=path/to/vethbench (default target/release/vethbench), ROUNDS=5.
#
# Everything happens inside a fresh network namespace (`unshare -n`): the host-side ends are
# there, not in the host namespace; killing the sleepers (on exit, even on error) removes the
# containers' namespaces and so every pair.
set -euo pipefail

if [ "${VETHBENCH_IN_NETNS:-}" != 1 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)" >&2; exit 2; }
    export VETHBENCH_IN_NETNS=1
    exec unshare -n -- "$0" "$@"
fi

N=${1:-500}
ROUNDS=${ROUNDS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VB=${VETHBENCH:-$ROOT/target/release/vethbench}
[ -x "$VB" ] || { echo "no $VB: cargo build --release first (or set VETHBENCH)" >&2; exit 2; }
PIDS=()
cleanup() { [ ${#PIDS[@]} -eq 0 ] || kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

start=$(date +%s%N)
for i in $(seq 1 "$N"); do
    unshare -n sleep 600 &
    PIDS+=($!)
done
# Each sleeper in its own namespace before its pair is made.
for p in "${PIDS[@]}"; do
    until [ "$(readlink /proc/"$p"/ns/net 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] &&
          [ "$(cat /proc/"$p"/comm 2>/dev/null)" = sleep ]; do sleep 0.01; done
done
i=0
for p in "${PIDS[@]}"; do
    ip link add "vc$i" type veth peer name eth0 netns "$p"
    i=$((i + 1))
done
echo "made $N process-held namespaces with a veth each in $(( ($(date +%s%N) - start) / 1000000 )) ms"

times=()
for r in $(seq 1 "$ROUNDS"); do
    t0=$(date +%s%N)
    "$VB" veth list --all-netns --json > /tmp/netns-scan.$$.json
    times+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
found=$(python3 - "$N" /tmp/netns-scan.$$.json <<'PY'
import json, sys
n = int(sys.argv[1]); rows = json.load(open(sys.argv[2]))
eth0 = [r for r in rows if r["name"] == "eth0" and r["peer_name"] and r["peer_name"].startswith("vc")]
print(len(eth0))
PY
)
rm -f /tmp/netns-scan.$$.json
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "veth list --all-netns, $N process-held namespaces: fastest ${sorted[0]} ms, median ${sorted[$((ROUNDS / 2))]} ms (runs: ${times[*]}); $found of $N containers' eth0 found with their peer"
[ "$found" -eq "$N" ] || { echo "not every peer found" >&2; exit 1; }
