#!/usr/bin/env bash
# Install what the tests need (Debian packages) and run the whole test suite, as root.
#
# The tests create their own network namespaces and veth pairs, so they need root
# (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN). VETHBENCH_REQUIRE_ROOT=1 turns any
# privilege skip into a failure: a green run means the kernel paths ran.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    exec sudo -E env "PATH=$PATH" "$0" "$@"
fi

# Wireshark's own tools, tcpdump/libpcap (filter compiler), Scapy (the reference), the
# reference senders (tcpreplay, trafgen), iproute2/ethtool for interop checks, setpriv,
# strace (counts the send syscalls), nftables (scenario examples, a dropped flow in `test --flows`),
# curl (scenario examples), clang + libbpf-dev (the eBPF fixtures of fixtures/bpf, built by tests/bpf.rs),
# bpftool (tests/scenario_bpf.rs looks at what is attached and pinned), perl (TAP::Parser reads the TAP report).
pkgs=(tshark tcpdump libpcap0.8 python3-scapy tcpreplay netsniff-ng iproute2 ethtool util-linux libcap2-bin strace nftables curl clang libbpf-dev bpftool perl)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export VETHBENCH_REQUIRE_ROOT=1
cargo test --locked "$@"

# Python: the package (python/, built by maturin into a venv over Debian's python3 and Scapy),
# then every test under python/tests: frames against Scapy and tshark, Testbench, the PTF
# platform (the real ptf command, PyPI 0.12.0), the pytest plugin.
venv="$PWD/${VETHBENCH_VENV:-target/python-venv}"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q "maturin>=1.7,<2" pytest==9.2.0 pytest-xdist==3.8.0 ptf==0.12.0
(cd python && VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop -q)
"$venv/bin/python" -m pytest -q -rs python/tests
