"""The topology of the PTF tests and benches, in namespaces of its own.

``Topology()`` makes three network namespaces, each held by a ``sleep`` child that dies with
this process (PR_SET_PDEATHSIG via ``setpriv``), so nothing outlives a test even if it is
SIGKILLed: ``tester`` (where ptf runs, holding the ports veth1, veth3, veth5, veth7, veth9),
``router`` (198.18.0.1/24 towards port 0, 198.18.1.1/24 towards port 1, forwarding on, static
neighbours for the hosts) and ``bridge`` (a Linux bridge over the peers of ports 2, 3, 4).
IPv6 is off everywhere before any link goes up, so the kernel sends nothing on its own.
"""
import os
import signal
import subprocess
import time

# Port number -> the tester's interface (PTF's usual veth1, veth3, ... names).
PORTS = {0: "veth1", 1: "veth3", 2: "veth5", 3: "veth7", 4: "veth9"}
HOST_MACS = {0: "02:00:00:00:01:00", 1: "02:00:00:00:01:01", 2: "02:00:00:00:01:02",
             3: "02:00:00:00:01:03", 4: "02:00:00:00:01:04"}
ROUTER_MACS = {0: "02:00:00:00:00:10", 1: "02:00:00:00:00:11"}


class Netns:
    """An anonymous network namespace held by a child process that dies with us."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["setpriv", "--pdeathsig", "KILL", "--", "unshare", "-n", "--", "sleep", "infinity"],
        )
        self.path = "/proc/%d/ns/net" % self.proc.pid
        # unshare has run once the namespace differs from ours.
        deadline = time.monotonic() + 10
        while os.stat(self.path).st_ino == os.stat("/proc/self/ns/net").st_ino:
            if time.monotonic() > deadline:
                raise RuntimeError("unshare -n did not start")
            time.sleep(0.005)
        self.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
                " && ip link set lo up")

    def cmd(self, argv):
        return ["nsenter", "--net=" + self.path, "--"] + list(argv)

    def sh(self, script):
        subprocess.run(self.cmd(["sh", "-ec", script]), check=True)

    def close(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


class Topology:
    def __init__(self):
        self.tester, self.router, self.bridge = Netns(), Netns(), Netns()
        r, b = self.router.proc.pid, self.bridge.proc.pid
        lines = []
        for port, ifname in PORTS.items():
            peer = "veth%d" % (2 * port)
            to = r if port < 2 else b
            lines += [
                "ip link add %s address %s type veth peer name %s" % (ifname, HOST_MACS[port], peer),
                "ip link set %s netns %d" % (peer, to),
                "ip link set %s up" % ifname,
            ]
        self.tester.sh("\n".join(lines))
        self.router.sh(
            "sysctl -qw net.ipv4.ip_forward=1\n"
            "ip link set veth0 address %s up\n"
            "ip link set veth2 address %s up\n"
            "ip addr add 198.18.0.1/24 dev veth0\n"
            "ip addr add 198.18.1.1/24 dev veth2\n"
            "ip neigh replace 198.18.0.2 lladdr %s dev veth0 nud permanent\n"
            "ip neigh replace 198.18.1.2 lladdr %s dev veth2 nud permanent\n"
            % (ROUTER_MACS[0], ROUTER_MACS[1], HOST_MACS[0], HOST_MACS[1])
        )
        self.bridge.sh(
            "ip link add br0 type bridge stp_state 0 mcast_snooping 0\n"
            "ip link set br0 up\n"
            "for i in veth4 veth6 veth8; do ip link set $i master br0 up; done\n"
        )
        self.wait_carrier()

    def wait_carrier(self):
        """Until every port has carrier (a fresh veth drops what it is handed before)."""
        deadline = time.monotonic() + 10
        # (/sys shows the namespace that mounted it: ask netlink.)
        script = "for i in %s; do ip link show dev $i | grep -q LOWER_UP || exit 1; done" % " ".join(
            PORTS.values())
        while subprocess.run(self.tester.cmd(["sh", "-c", script]), stderr=subprocess.DEVNULL).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("the ports did not come up")
            time.sleep(0.02)
        # The bridge forwards once its ports leave the listening state (STP off: at once).
        time.sleep(0.05)

    def interfaces(self, ports=None):
        """PTF's --interface arguments for these ports."""
        out = []
        for p in sorted(ports if ports is not None else PORTS):
            out += ["--interface", "%d@%s" % (p, PORTS[p])]
        return out

    def close(self):
        for ns in (self.tester, self.router, self.bridge):
            ns.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
