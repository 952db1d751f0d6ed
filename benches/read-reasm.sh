#!/usr/bin/env bash
# `read -T fields` with IP reassembly against tshark's (issue 23 item 1's speed line: at least
# 30x tshark on a 1M-frame file with 10% fragments).
#
# The file: N Ethernet frames (default 1,000,000), every tenth an IPv4 fragment: the datagrams
# are UDP, 1,000 bytes of payload in two fragments (offset 0 with MF, offset 504 without),
# their two frames ten frames apart, so reassembly keeps a few datagrams pending throughout;
# the other frames are 60-byte UDP frames, all different (IP id and source port count).
# Each round reads it with `vethbench read FILE -T fields -e frame.number -e ip.src -e ip.dst
# -e ip.id -e udp.srcport -e udp.dstport -e ip.fragment -e frame.len` and with tshark (same
# fields, its default reassembly, raw sequence numbers), output to /dev/null, in alternating
# order; it prints each round's wall times, then per tool the median and the spread (max/min)
# over the rounds, and the ratio of the medians. Both print the same lines (checked on the
# first 20,000 frames before timing).
#
# Usage: VETHBENCH=target/release/vethbench benches/read-reasm.sh [N]   (ROUNDS=3)
# Nothing is sent: no namespace or root needed.
set -euo pipefail

N=${1:-1000000}
ROUNDS=${ROUNDS:-3}
VB=${VETHBENCH:-target/release/vethbench}
[ -x "$VB" ] || { echo "no $VB (cargo build --release)" >&2; exit 2; }
command -v tshark >/dev/null || { echo "tshark is not installed" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 - "$TMP/f.pcap" "$N" <<'EOF'
import struct, sys
path, n = sys.argv[1], int(sys.argv[2])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
eth = bytes.fromhex("020000000002" "020000000001" "0800")
def ip(ident, flags_off, payload, proto=17):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags_off, 64, proto, 0,
                    bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload
big = bytes(range(256)) * 4
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    dgram = 0
    for i in range(n):
        if i % 10 == 0:
            # Fragment k of datagram i//20: first halves on even tens, second halves ten later.
            k = (i // 10) % 2
            ident = (i // 20) & 0xffff
            udp = struct.pack("!HHHH", 10000 + (i // 20) % 50000, 9, 8 + 1000, 0) + big[:1000]
            frame = eth + (ip(ident, 0x2000, udp[:504]) if k == 0 else ip(ident, 63, udp[504:]))
        else:
            udp = struct.pack("!HHHH", 1024 + i % 60000, 2222, 8 + 18, 0) + b"x" * 18
            frame = eth + ip(i & 0xffff, 0, udp)
        sec, usec = divmod(i, 1000000)
        f.write(struct.pack("<IIII", 1700000000 + sec, usec, len(frame), len(frame)))
        f.write(frame)
EOF

FIELDS=(-e frame.number -e ip.src -e ip.dst -e ip.id -e udp.srcport -e udp.dstport -e ip.fragment -e frame.len)
TSHARK=(tshark -r "$TMP/f.pcap" -o tcp.relative_sequence_numbers:FALSE -T fields "${FIELDS[@]}")
OURS=("$VB" read "$TMP/f.pcap" -T fields "${FIELDS[@]}")

# Same output first (the first 20,000 frames).
if ! cmp -s <("${OURS[@]}" -c 20000) <("${TSHARK[@]}" -c 20000 2>/dev/null); then
    echo "vethbench and tshark print different lines on the first 20000 frames" >&2
    exit 1
fi

ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
ours=(); theirs=()
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then
        a=$(ms "${OURS[@]}"); b=$(ms "${TSHARK[@]}")
    else
        b=$(ms "${TSHARK[@]}"); a=$(ms "${OURS[@]}")
    fi
    ours+=("$a"); theirs+=("$b")
    echo "round $r: vethbench $a ms, tshark $b ms ($(echo "scale=1; $b / $a" | bc)x)"
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { printf '%s\n' "$@" | sort -n | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.2f", hi/lo}'; }
ma=$(median "${ours[@]}"); mb=$(median "${theirs[@]}")
echo "vethbench: median $ma ms, spread $(spread "${ours[@]}") (max/min) over $ROUNDS rounds"
echo "tshark:    median $mb ms, spread $(spread "${theirs[@]}") (max/min) over $ROUNDS rounds"
echo "ratio of medians: $(echo "scale=1; $mb / $ma" | bc)x (goal: >= 30x); $N frames, 10% fragments"
