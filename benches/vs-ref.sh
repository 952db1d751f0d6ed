#!/usr/bin/env bash
# vethbench against another build of itself (a reference commit), in the same run: the speed
# lines of a refactoring (issue 22's "Speed": cold one-shot send ≤ 1.1×, send --count frames/s
# ≥ 1.0×, read -T fields on 1M frames ≥ 1.0×).
#
# Each round runs both builds, in alternating order (the machine's load drifts less within a
# round than between rounds), and measures:
#   oneshot  cold one-shot `send -q` of one UDP frame (process start included): RUNS runs,
#            median and p99 wall time in ms;
#   count    `send --count N` on the veth pair: frames/s as send reports it;
#   fields   `read -T fields -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e frame.len`
#            over a pcap of N frames (all different: the IP id counts) to /dev/null: wall ms.
# It prints every round, then per measure the median over the rounds, the spread (max/min)
# and the ratio NEW/REF (for frames/s, higher is better; for times, lower is better), and the
# machine's load average at the start and the end.
#
# Usage (root):  REF=path/to/ref/vethbench NEW=path/to/new/vethbench benches/vs-ref.sh [N]
# Env: ROUNDS=3, RUNS=30 (one-shot sends per round and build). N defaults to 1000000.
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
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-30}
: "${REF:?REF=path to the reference vethbench}" "${NEW:?NEW=path to the vethbench under test}"
for b in "$REF" "$NEW"; do [ -x "$b" ] || { echo "no $b" >&2; exit 2; }; done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# IPv6 off before the links go up (no RS/MLD/NS frames on the pair).
echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
ip link set lo up
ip link add vbvsA type veth peer name vbvsB
ip link set vbvsA address 02:00:00:00:00:01
ip link set vbvsB address 02:00:00:00:00:02
ip link set vbvsA up
ip link set vbvsB up

# N 60-byte UDP frames 02:..:01 -> 02:..:02, 198.18.0.1:1111 -> 198.18.0.2:2222, IP id = i.
python3 - "$TMP/n.pcap" "$N" <<'EOF'
import struct, sys
path, n = sys.argv[1], int(sys.argv[2])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
eth = bytes.fromhex("020000000002" "020000000001" "0800")
udp = struct.pack("!HHHH", 1111, 2222, 8 + 18, 0) + b"x" * 18
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                         bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        fr = eth + ip + udp
        f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(fr), len(fr)) + fr)
EOF

load() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD0=$(load)
now_ns() { date +%s%N; }

# oneshot BIN -> "median p99" (ms)
oneshot() {
    local t0 t1 i
    : > "$TMP/os"
    for ((i = 0; i < RUNS; i++)); do
        t0=$(now_ns)
        "$1" send -i vbvsA -q --udp --dst-mac 02:00:00:00:00:02 --msg x > /dev/null \
            || { echo "$1 send failed" >&2; exit 2; }
        t1=$(now_ns)
        echo $(( (t1 - t0) / 1000 )) >> "$TMP/os"
    done
    sort -n "$TMP/os" | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.99+0.999)]; printf "%.2f %.2f", m/1000, p/1000}'
}

# count BIN -> frames/s
count() {
    "$1" send -i vbvsA -q --udp --dst-mac 02:00:00:00:00:02 --msg x --count "$N" \
        | sed -n 's/.* s: \([0-9]*\) pps.*/\1/p'
}

# fields BIN -> ms
fields() {
    local t0 t1
    t0=$(now_ns)
    "$1" read "$TMP/n.pcap" -T fields -e ip.src -e ip.dst -e udp.srcport -e udp.dstport \
        -e frame.len > /dev/null || { echo "$1 read failed" >&2; exit 2; }
    t1=$(now_ns)
    awk -v d=$(( (t1 - t0) / 1000 )) 'BEGIN {printf "%.1f", d/1000}'
}

printf "%-5s %-4s %12s %12s %14s %12s\n" round build oneshot_ms oneshot_p99 count_fps fields_ms
: > "$TMP/rows"
for ((r = 1; r <= ROUNDS; r++)); do
    if (( r % 2 )); then order="REF NEW"; else order="NEW REF"; fi
    for which in $order; do
        bin=${!which}
        read -r om op <<< "$(oneshot "$bin")"
        c=$(count "$bin")
        f=$(fields "$bin")
        printf "%-5s %-4s %12s %12s %14s %12s\n" "$r" "$which" "$om" "$op" "$c" "$f"
        echo "$which $om $op $c $f" >> "$TMP/rows"
    done
done

echo
echo "over $ROUNDS rounds (median; spread = max/min over the rounds; ratio = NEW/REF of the medians):"
python3 - "$TMP/rows" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
cols = {"oneshot_ms": 1, "oneshot_p99_ms": 2, "count_fps": 3, "fields_ms": 4}
for name, k in cols.items():
    v = {w: [float(r[k]) for r in rows if r[0] == w] for w in ("REF", "NEW")}
    med = {w: statistics.median(x) for w, x in v.items()}
    spread = {w: max(x) / max(min(x), 1e-9) for w, x in v.items()}
    print(f"{name:15} REF {med['REF']:>12.2f} (spread {spread['REF']:.2f})   "
          f"NEW {med['NEW']:>12.2f} (spread {spread['NEW']:.2f})   "
          f"ratio {med['NEW'] / max(med['REF'], 1e-9):.3f}")
EOF
echo "load average: $LOAD0 at the start, $(load) at the end ($(nproc) CPUs)"
