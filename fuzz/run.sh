#!/usr/bin/env bash
# Run each cargo-fuzz target for a fixed number of inputs (default 50000; `fuzz/run.sh 1000000`
# for longer), seeded with the golden captures and frames of fixtures/. Needs the nightly
# toolchain (libFuzzer's instrumentation); installs cargo-fuzz from crates.io if it is missing.
# Without a nightly toolchain it says so and exits 0: the proptests of tests/fuzz_props.rs run
# the reader over arbitrary bytes in every `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-50000}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "SKIP fuzz: no nightly toolchain (cargo-fuzz needs one); tests/fuzz_props.rs still ran"
    exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz --version 0.13.2
fi
# The fuzz crate's own lock file must be current (cargo fuzz has no --locked).
cargo +nightly fetch -q --locked --manifest-path fuzz/Cargo.toml

seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$seeds/pcapng_reader" "$seeds/packet_view" "$seeds/expr" "$seeds/display_filter"
cp fixtures/captures/*.pcap fixtures/captures/*.pcapng "$seeds/pcapng_reader/"
# The golden frames' hex, comments dropped (python3, not xxd: a fresh machine may lack it).
python3 - "$seeds/packet_view" fixtures/frames/*.hex <<'PY'
import os, re, sys
for f in sys.argv[2:]:
    hexs = re.sub(r"#.*", "", open(f).read())
    name = os.path.basename(f)[: -len(".hex")]
    open(os.path.join(sys.argv[1], name), "wb").write(bytes.fromhex("".join(hexs.split())))
PY
# The golden expressions: the `# pkt = ...` line of each fixtures/frames/expr_*.hex.
python3 - "$seeds/expr" fixtures/frames/expr_*.hex <<'PY'
import os, sys
for f in sys.argv[2:]:
    for line in open(f):
        if line.startswith("# pkt = "):
            name = os.path.basename(f)[: -len(".hex")]
            open(os.path.join(sys.argv[1], name), "w").write(line[len("# pkt = "):].strip())
PY
# Nesting seeds (see fuzz_targets/expr.rs): 8000 parentheses around Ether(), the input of
# issue 21 that overflowed the stack, and 8000 levels alternating '(' and '['; libFuzzer
# mutates the depth and the openers from them.
printf '\xff\x00\x1f\x40Ether()' >"$seeds/expr/nesting"
printf '\xfe\x1f\x40\x02\x00\x01Ether()' >"$seeds/expr/nesting-mixed"
# Display filters: a few as docs/read.md writes them, and 8000 levels of '(', '!' and 'not '.
i=0
for f in 'ip.src == 198.18.0.1 && udp.dstport == 9' '!(tcp.flags.syn == 1) || frame.len > 60' \
    'ip.addr in {198.18.0.1 198.18.0.2} and not arp' 'eth.dst == 02:00:00:00:00:02' 'ip.ttl >= 1'; do
    printf '%s' "$f" >"$seeds/display_filter/f$i"
    i=$((i + 1))
done
printf '\xff\x1f\x40ip' >"$seeds/display_filter/nesting"

for target in pcapng_reader packet_view expr display_filter; do
    echo "fuzz $target: $runs runs"
    # The seeds dir comes first: libFuzzer adds the inputs it finds there (a temporary dir).
    log="$seeds/$target.log"
    dict=()
    [ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")
    if ! cargo +nightly fuzz run "$target" "$seeds/$target" -- \
        -runs="$runs" -max_len=65536 -timeout=10 "${dict[@]}" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz $target FAILED: the input is in fuzz/artifacts/$target/"
        exit 1
    fi
    grep '^Done' "$log"
done
