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
# curl (scenario examples), clang + libbpf-dev (the eBPF fixtures of fixtures/bpf, built by tests/bpf.rs).
pkgs=(tshark tcpdump libpcap0.8 python3-scapy tcpreplay netsniff-ng iproute2 ethtool util-linux libcap2-bin strace nftables curl clang libbpf-dev)
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
