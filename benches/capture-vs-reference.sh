#!/usr/bin/env bash
# Capture benchmark: vethbench capture vs tcpdump -w vs dumpcap -w, on a private veth pair.
#
# Blasts N 64-byte frames (60 + FCS) on vethX with the fastest sender available (trafgen's
# TX ring, else tcpreplay --topspeed) while one capturer writes vethY's frames to a file, and
# prints, for each capturer in the same run: frames sent, frames vethY received (link counter),
# frames in the file (capinfos), the capturer's own drop count, and its CPU time (user+sys
# from /proc/PID/stat, sampled just before it is stopped).
#
# Usage (root):   benches/capture-vs-reference.sh [FRAMES]      (default 1000000)
# Env: VETHBENCH=path/to/vethbench (default target/release/vethbench), ROUNDS=1.
#
# Everything happens inside a fresh network namespace (`unshare -n`), which the kernel removes,
# with its veth pair, when the script exits: nothing is created or sent in the host namespace.
set -euo pipefail

if [ "${VETHBENCH_IN_NETNS:-}" != 1 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN)" >&2; exit 2; }
    export VETHBENCH_IN_NETNS=1
    exec unshare -n -- "$0" "$@"
fi

N=${1:-1000000}
ROUNDS=${ROUNDS:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VB=${VETHBENCH:-$ROOT/target/release/vethbench}
[ -x "$VB" ] || { echo "no $VB: cargo build --release first (or set VETHBENCH)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ip link set lo up
ip link add vethX type veth peer name vethY
ip link set vethX up
ip link set vethY up
echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6

# One 60-byte UDP frame, 02:00:00:00:00:01 -> 02:00:00:00:00:02, 198.18.0.1 -> 198.18.0.2.
cat > "$TMP/frame.cfg" <<'EOF'
{ 0x02,0x00,0x00,0x00,0x00,0x02, 0x02,0x00,0x00,0x00,0x00,0x01, 0x08,0x00,
  0x45,0x00,0x00,0x2e, 0x00,0x01,0x00,0x00, 0x40,0x11,0x00,0x00,
  198,18,0,1, 198,18,0,2,
  0x0f,0xa0,0x13,0x88, 0x00,0x1a,0x00,0x00,
  fill(0xab, 18) }
EOF

rx_packets() { ip -s -j link show "$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
cpu_ms() { # user+sys of a live process, in ms
    local ticks; ticks=$(getconf CLK_TCK)
    awk -v t="$ticks" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / t) }' "/proc/$1/stat"
}

send() {
    if command -v trafgen >/dev/null; then
        trafgen -o vethX -i "$TMP/frame.cfg" -n "$N" -q -P 1 >/dev/null 2>&1
    else
        echo "trafgen missing" >&2; exit 2
    fi
}

printf '%-10s %9s %9s %9s %9s %8s %9s %10s %9s\n' \
    tool sent arrived in_file drops lost% cpu_ms ns/frame kpps_rx
run_one() { # name, command...
    local name=$1; shift
    local out="$TMP/$name.cap"
    rm -f "$out"
    local rx0; rx0=$(rx_packets vethY)
    "$@" > "$TMP/$name.stdout" 2> "$TMP/$name.stderr" &
    local pid=$!
    # Wait until the capturer is ready (its file exists, or vethbench says so), then a bit.
    for _ in $(seq 100); do
        if grep -q "Capturing on\|listening on\|File:" "$TMP/$name.stderr" 2>/dev/null || [ -s "$out" ]; then break; fi
        sleep 0.05
    done
    sleep 0.5
    local t0; t0=$(date +%s%N)
    send
    local t1; t1=$(date +%s%N)
    sleep 0.5
    local arrived=$(( $(rx_packets vethY) - rx0 ))
    local cpu; cpu=$(cpu_ms "$pid")
    kill -INT "$pid"; wait "$pid" || true
    local infile; infile=$(capinfos -M -c "$out" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    infile=${infile:-0}
    local drops
    drops=$(grep -Eo '[0-9]+ packets dropped by kernel' "$TMP/$name.stderr" | awk '{print $1}' | head -1 || true)
    [ -n "$drops" ] || drops=$(grep -Eo 'Packets received/dropped on interface .*: [0-9]+/[0-9]+' "$TMP/$name.stderr" | awk -F/ '{print $NF}' | head -1 || true)
    drops=${drops:-?}
    local lost; lost=$(awk -v s="$N" -v c="$infile" 'BEGIN { printf "%.2f", (s - c) * 100 / s }')
    local nspf; nspf=$(awk -v c="$cpu" -v n="$infile" 'BEGIN { if (n > 0) printf "%.0f", c * 1e6 / n; else print "-" }')
    local kpps; kpps=$(awk -v n="$arrived" -v t="$((t1 - t0))" 'BEGIN { printf "%.0f", n / (t / 1e9) / 1000 }')
    printf '%-10s %9d %9d %9d %9s %8s %9d %10s %9s\n' "$name" "$N" "$arrived" "$infile" "$drops" "$lost" "$cpu" "$nspf" "$kpps"
}

for _ in $(seq "$ROUNDS"); do
    run_one vethbench "$VB" capture vethY -w "$TMP/vethbench.cap"
    run_one tcpdump tcpdump -i vethY -w "$TMP/tcpdump.cap" -s 262144 -B 32768 -n
    run_one dumpcap dumpcap -i vethY -w "$TMP/dumpcap.cap" -B 32
done
echo "(64-byte frames; sender: trafgen -P 1; kernel $(uname -r); $(nproc) CPUs; ring/buffer 32 MiB for all three)"
