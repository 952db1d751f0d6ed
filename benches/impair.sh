#!/usr/bin/env bash
# The impairment relay against a plain veth pair, in a private namespace (as root): frames/s of
# `vethbench test` through the relay at 0% impairment over a plain pair's (goal >= 0.5), and
# the one-way latency through a 2 ms delay (latency mode: p50, p99 and p99 - 2 ms, the error;
# goal < 100 us); the frames each lost, and the relay's own counts (received, forwarded,
# overflow, ring_drops). ROUNDS rounds (default 3), COUNT frames each (default 300000).
# Usage: benches/impair.sh [ROUNDS] [COUNT]   (after cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"; count="${2:-300000}"
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/vethbench"
exec unshare -n bash -s "$bin" "$rounds" "$count" <<'SH'
set -euo pipefail
bin=$1 rounds=$2 count=$3
for k in all default; do echo 1 > /proc/sys/net/ipv6/conf/$k/disable_ipv6; done
ip link set lo up
ip link add pa type veth peer name pb; ip link add va type veth peer name ra; ip link add rb type veth peer name vb
for i in pa pb va ra rb vb; do ip link set $i up; done
sleep 0.5
field() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
for r in $(seq "$rounds"); do
  "$bin" test --tx pa --rx pb --count "$count" --json > /tmp/vb-plain.json || true
  "$bin" impair ra rb --json > /tmp/vb-impair.json 2>/dev/null & p=$!; sleep 0.3
  "$bin" test --tx va --rx vb --count "$count" --json > /tmp/vb-relay.json || true
  kill -INT $p; wait $p >/dev/null || true
  ring=$(field /tmp/vb-impair.json 'j["a_to_b"]["ring_drops"]'); over=$(field /tmp/vb-impair.json 'j["a_to_b"]["overflow"]')
  fwd=$(field /tmp/vb-impair.json 'j["a_to_b"]["forwarded"]'); recv=$(field /tmp/vb-impair.json 'j["a_to_b"]["received"]')
  "$bin" impair ra rb --delay 2ms >/dev/null 2>&1 & p=$!; sleep 0.3
  "$bin" test --tx va --rx vb --count 5000 --mode latency --json > /tmp/vb-delay.json || true
  kill -INT $p; wait $p >/dev/null || true
  plain=$(field /tmp/vb-plain.json 'round(j["pps"])'); relay=$(field /tmp/vb-relay.json 'round(j["pps"])')
  lost=$(field /tmp/vb-relay.json 'j["lost"]'); plost=$(field /tmp/vb-plain.json 'j["lost"]')
  p50=$(field /tmp/vb-delay.json 'j["latency"]["p50_us"]'); p99=$(field /tmp/vb-delay.json 'j["latency"]["p99_us"]')
  echo "round $r: plain $plain frames/s (lost $plost), relay $relay frames/s ($(python3 -c "print(f'{$relay/$plain:.2f}')")x, lost $lost; the relay received $recv, forwarded $fwd, overflow $over, its ring dropped $ring); 2 ms delay p50 $p50 us, p99 $p99 us (error $(python3 -c "print(f'{$p99-2000:.0f}')") us)"
done
SH
