"""vethbench.Bench on real veth pairs: every call, the errors, topologies from Python, the
examples' scenario files. Each test builds its own private namespaces (removed with the Bench)."""
import os
import re
import subprocess
import threading
import time

import pytest

import vethbench

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples")

FWD = 'Ether(dst=mac("r1:eth0"))/IP(src="198.18.1.2", dst="198.18.2.2")/UDP(dport=9)/"hi"'
# FWD as it leaves the router towards h2: r1's MAC, TTL 63.
ARRIVES = ('Ether(src=mac("r1:eth1"), dst=mac("h2:eth0"))'
           '/IP(src="198.18.1.2", dst="198.18.2.2", ttl=63)/UDP(dport=9)/"hi"')


def one(v):
    """A field's value whether fields() gives one value or every occurrence."""
    return v[0] if isinstance(v, list) else v


def test_send_and_expect_through_the_router(router):
    router.send("h1:eth0", FWD)
    rx = router.expect("h2:eth0", ARRIVES, ignore=["ip.chksum"])
    assert isinstance(rx, vethbench.Received)
    assert rx.port == "h2:eth0"
    assert rx.time_ns > 0
    assert isinstance(rx.data, bytes) and bytes(rx) == rx.data
    assert rx.data[0:6] == bytes.fromhex(router.mac("h2:eth0").replace(":", ""))
    assert str(one(rx.fields["ip.ttl"])) == "63"
    # Fields alone, with sender defaults: Ether.src and IP.src are h1's own.
    router.send("h1:eth0", 'Ether(dst=mac("r1:eth0"))/IP(dst="198.18.2.2")/UDP(dport=7)/"x"', count=3)
    for _ in range(3):
        rx = router.expect("h2:eth0", fields={"ip.ttl": 63, "udp.dstport": 7, "ip.src": "198.18.1.2"})
    # (h1 gets ICMP port-unreachable back: nothing listens on h2.)
    router.expect_none(["h2:eth0"], for_=0.05)


def test_mac_ip_ports(router):
    assert router.ports == ["h1:eth0", "r1:eth0", "h2:eth0", "r1:eth1"]
    assert router.ip("h2:eth0") == "198.18.2.2"
    mac = router.mac("r1:eth0")
    assert len(mac.split(":")) == 6
    with pytest.raises(ValueError, match="unknown port 'h9:eth0'"):
        router.mac("h9:eth0")


def test_a_failing_expect_says_what_the_cli_says(router):
    router.send("h1:eth0", FWD)
    with pytest.raises(vethbench.ExpectationFailed) as e:
        router.expect("h2:eth0", ARRIVES.replace("ttl=63", "ttl=64"), ignore=["ip.chksum"], within=0.3)
    msg = str(e.value)
    assert isinstance(e.value, AssertionError)
    assert "on h2:eth0: expected" in msg, msg
    assert "arrived instead (" in msg, msg
    assert "ip.ttl: expected 64, got 63" in msg, msg
    # Field conditions name the closest frame's values too.
    router.send("h1:eth0", FWD)
    with pytest.raises(vethbench.ExpectationFailed, match="ip.ttl"):
        router.expect("h2:eth0", fields={"ip.ttl": 62}, within=0.3)


def test_expect_none_fails_on_a_frame(router):
    router.send("h1:eth0", FWD)
    with pytest.raises(vethbench.ExpectationFailed, match="expected no frame"):
        router.expect_none("h2:eth0", for_=0.3)


def test_bad_expression_is_a_value_error_with_the_column(router):
    with pytest.raises(ValueError, match="column 52"):
        router.send("h1:eth0", 'Ether(dst=mac("r1:eth0"))/IP(src="198.18.1.2", dst=)')
    with pytest.raises(ValueError, match="unknown field 'ip.tll'"):
        router.expect("h2:eth0", fields={"ip.tll": 63})
    with pytest.raises(TypeError, match="a frame is"):
        router.send("h1:eth0", 42)


def test_sr_answers_arp(router):
    rx = router.sr("h1:eth0", 'Ether(dst="ff:ff:ff:ff:ff:ff")/ARP(psrc="198.18.1.2", pdst="198.18.1.1")',
                   fields={"arp.opcode": 2, "arp.src.proto_ipv4": "198.18.1.1"})
    assert rx.port == "h1:eth0"
    assert rx.data[6:12] == bytes.fromhex(router.mac("r1:eth0").replace(":", ""))


def test_bytes_frames_in_and_out(router):
    frame = vethbench.frame('Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01")'
                            '/IP(src="198.18.1.2", dst="198.18.1.1")/UDP(sport=5, dport=9)/"raw"')
    router.send("h1:eth0", frame)
    assert router.expect("r1:eth0", frame).data == frame
    router.send("h1:eth0", bytearray(frame))
    assert router.expect("r1:eth0", memoryview(frame)).data == frame
    # A Received is a frame argument too (it has __bytes__).
    router.send("h1:eth0", frame)
    rx = router.expect("r1:eth0")
    router.send("h1:eth0", rx)
    assert router.expect("r1:eth0", rx).data == frame


def test_exec(router):
    out = router.exec("r1", "ip route get 198.18.2.2")
    assert out.returncode == 0 and "dev eth1" in out.stdout
    out = router.exec("h1", "exit 3", check=False)
    assert out.returncode == 3
    with pytest.raises(vethbench.ExpectationFailed, match="'echo no >&2; exit 4' on h1 exited with 4"):
        router.exec("h1", "echo no >&2; exit 4")
    with pytest.raises(ValueError, match="unknown node 'h9'"):
        router.exec("h9", "true")


def test_daemon_ready_on_tcp(router):
    router.daemon("h2", "exec python3 -c 'import socket, time; s = socket.socket(); "
                        "s.bind((\"198.18.2.2\", 8080)); s.listen(); time.sleep(60)'",
                  ready="tcp:8080")
    out = router.exec("h2", "ss -ltn")
    assert ":8080" in out.stdout, out.stdout
    with pytest.raises(vethbench.ExpectationFailed, match="exited before it was ready"):
        router.daemon("h2", "exit 1", ready="tcp:8081", timeout=2)
    with pytest.raises(ValueError, match="expected tcp:PORT or file:PATH"):
        router.daemon("h2", "sleep 1", ready="udp:1")


def test_flush_empties_every_queue(router):
    router.send("h1:eth0", FWD, count=5)
    # Let the frames reach h2 before flushing: the router's ARP resolution takes a moment.
    router.expect("h2:eth0", ARRIVES, ignore=["ip.chksum"], strict=True)
    dropped = router.flush()
    assert dropped >= 0
    router.expect_none("h2:eth0", for_=0.2)


def test_capture_writes_a_pcapng(router, tmp_path):
    path = str(tmp_path / "all.pcapng")
    cap = router.capture("all", path)
    router.send("h1:eth0", FWD)
    router.expect("h2:eth0", ARRIVES, ignore=["ip.chksum"])
    assert cap.stop() == path
    data = open(path, "rb").read()
    assert data[:4] == b"\x0a\x0d\x0d\x0a"
    assert b'hi' in data
    # One port only: what h1 receives is not in h2's capture.
    one_port = str(tmp_path / "h1.pcapng")
    with router.capture("h1:eth0", one_port):
        router.send("h2:eth0", 'Ether(dst=mac("r1:eth1"))/IP(dst="198.18.1.2")/UDP(dport=9)/"back"')
        router.expect("h1:eth0", fields={"udp.dstport": 9})
    assert b"back" in open(one_port, "rb").read()
    out = subprocess.run(["tshark", "-r", one_port, "-T", "fields", "-e", "frame.interface_name"],
                         capture_output=True, text=True)
    if out.returncode == 0:
        assert set(out.stdout.split()) == {"h1:eth0"}, out.stdout


def test_stream_returns_the_test_json_figures(router):
    router.ping("h1", "198.18.2.2")
    frame = ('Ether(dst=mac("r1:eth0"))/IP(src="198.18.1.2", dst="198.18.2.2")'
             '/UDP(sport=4000, dport=9)/"0123456789abcdef0123456789abcdef0123456789abcdef"')
    arrives = ('Ether(src=mac("r1:eth1"), dst=mac("h2:eth0"))'
               '/IP(src="198.18.1.2", dst="198.18.2.2", ttl=63)'
               '/UDP(sport=4000, dport=9)/"0123456789abcdef0123456789abcdef0123456789abcdef"')
    rep = router.stream("h1:eth0", "h2:eth0", frame=frame, expect=arrives, count=500, rate=20000,
                        max_loss=0)
    assert rep["sent"] == 500, rep
    assert rep["intact"] + rep["lost"] == 500
    # Without `expect`, every rewritten frame counts as corrupted: the verdict fails.
    with pytest.raises(vethbench.ExpectationFailed, match="stream h1:eth0 -> h2:eth0"):
        router.stream("h1:eth0", "h2:eth0", frame=frame, count=50)
    rep = router.stream("h1:eth0", "h2:eth0", frame=frame, count=50, check=False)
    assert rep["corrupted"] == 50


def test_a_stream_on_one_link_runs_threaded_and_puts_the_offloads_back():
    """Between the two ends of one veth link a stream is received on a threaded NAPI instance,
    as on vethbench test's pair (GRO and threading on the receiving end, TSO off on the
    sending one); afterwards the new veth's defaults are back, and every frame was intact."""
    topo = (vethbench.Topology("stream pair").node("a").node("b")
            .link("a:eth0", "b:eth0", macs=["02:00:00:00:0d:01", "02:00:00:00:0d:02"]))

    def state(b):
        # A node's commands see the node's own /sys (docs/scenarios.md).
        rx = b.exec("b", "cat /sys/class/net/eth0/threaded; ethtool -k eth0").stdout
        tx = b.exec("a", "ethtool -k eth0").stdout
        gro = re.search(r"generic-receive-offload: (\w+)", rx).group(1)
        tso = re.search(r"tcp-segmentation-offload: (\w+)", tx).group(1)
        return rx.split()[0], gro, tso

    def napi():  # kernel threads are in no namespace: every napi/eth0-N on the machine
        out = set()
        for pid in os.listdir("/proc"):
            try:
                with open("/proc/%s/comm" % pid) as f:
                    if f.read().startswith("napi/eth0-"):
                        out.add(pid)
            except (OSError, ValueError):
                pass
        return out

    with vethbench.Bench(topo) as b:
        assert state(b) == ("0", "off", "on")
        before, seen, rep = napi(), set(), {}
        t = threading.Thread(target=lambda: rep.update(b.stream("a:eth0", "b:eth0", duration=1.0, rate=50000)))
        t.start()
        while t.is_alive():
            seen |= napi() - before
            time.sleep(0.02)
        t.join()
        assert seen, "no napi/eth0-N thread during the stream"
        assert rep["sent"] == rep["intact"] > 0, rep
        assert state(b) == ("0", "off", "on")


def test_topology_from_python():
    topo = (vethbench.Topology("pair")
            .node("a").node("b", sysctl={"net.ipv4.ip_forward": 1})
            .link("a:eth0", "b:eth0", macs=["02:00:00:00:0a:01", "02:00:00:00:0b:01"], mtu=1380)
            .address("a:eth0", "198.18.3.1/24").address("b:eth0", "198.18.3.2/24")
            .route("a", "198.18.4.0/24 via 198.18.3.2")
            .setup("b", "ip addr add 198.18.3.9/32 dev lo"))
    with vethbench.Bench(topo) as b:
        assert b.mac("a:eth0") == "02:00:00:00:0a:01"
        # The node's eth0 in /sys, not the host's (whose MTU may be anything, 1400 included).
        assert b.exec("a", "cat /sys/class/net/eth0/mtu").stdout.strip() == "1380"
        assert b.exec("a", "cat /sys/class/net/eth0/address").stdout.strip() == "02:00:00:00:0a:01"
        assert b.exec("a", "ls /sys/class/net").stdout.split() == ["eth0", "lo"]
        assert b.exec("b", "sysctl -n net.ipv4.ip_forward").stdout.strip() == "1"
        assert "198.18.3.9/32" in b.exec("b", "ip -br addr show dev lo").stdout
        assert "via 198.18.3.2" in b.exec("a", "ip route").stdout
        b.send("a:eth0", 'Ether(dst=mac("b:eth0"))/IP(dst=ip("b:eth0"))/UDP(dport=9)/"py"')
        rx = b.expect("b:eth0", fields={"ip.src": "198.18.3.1", "eth.src": "02:00:00:00:0a:01"})
        assert rx.data.endswith(b"py")
    assert b.closed
    with pytest.raises(RuntimeError, match="closed"):
        b.send("a:eth0", "Ether()")


def test_bridge_topology_from_python():
    topo = (vethbench.Topology()
            .node("h1").node("h2").node("sw")
            .link("h1:eth0", "sw:p1").link("h2:eth0", "sw:p2")
            .bridge("sw:br0", ["sw:p1", "sw:p2"]))
    with vethbench.Bench(topo) as b:
        b.send("h1:eth0", 'Ether(dst=mac("h2:eth0"))/IP(src="198.18.0.1", dst="198.18.0.2")/UDP()/"br"')
        b.expect("h2:eth0", fields={"ip.dst": "198.18.0.2"})


def test_topology_errors_name_the_key_and_files_the_line(tmp_path):
    bad = vethbench.Topology().node("a").link("a:eth0", "zz:eth0")
    with pytest.raises(ValueError, match="^Topology: .*zz"):
        vethbench.Bench(bad)
    f = tmp_path / "bad.yaml"
    f.write_text("nodes:\n  a: {}\nlinks:\n  - [a:eth0, zz:eth0]\n")
    with pytest.raises(ValueError, match=r"bad\.yaml:4"):
        vethbench.Bench(str(f))
    with pytest.raises(ValueError, match="missing.yaml"):
        vethbench.Bench(str(tmp_path / "missing.yaml"))
    with pytest.raises(TypeError):
        vethbench.Bench(42)


def test_node_attached_to_an_existing_namespace():
    name = "vbpy-attach-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        topo = (vethbench.Topology()
                .node("h1").node("ext", netns=name)
                .link("h1:eth0", "ext:vbpy0")
                .address("h1:eth0", "198.18.5.1/24").address("ext:vbpy0", "198.18.5.2/24"))
        with vethbench.Bench(topo) as b:
            links = subprocess.run(["ip", "-n", name, "-br", "addr"], capture_output=True, text=True).stdout
            assert "vbpy0" in links and "198.18.5.2/24" in links, links
            b.send("h1:eth0", 'Ether(dst=mac("ext:vbpy0"))/IP(dst="198.18.5.2")/UDP(dport=9)/"x"')
            b.expect("ext:vbpy0", fields={"ip.dst": "198.18.5.2"})
        links = subprocess.run(["ip", "-n", name, "-br", "link"], capture_output=True, text=True).stdout
        assert "vbpy0" not in links, links
    finally:
        subprocess.run(["ip", "netns", "del", name])


@pytest.mark.parametrize("example", sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".yaml")))
def test_examples_driven_from_python(example, tmp_path):
    path = os.path.join(EXAMPLES, example)
    if example == "bpf-xdp.yaml":
        # Its eBPF object is built beside a copy of the file, as tests/scenario_bpf.rs does.
        import platform
        import shutil

        path = str(tmp_path / example)
        shutil.copy(os.path.join(EXAMPLES, example), path)
        subprocess.run(
            ["clang", "-O2", "-g", "-target", "bpf", f"-I/usr/include/{platform.machine()}-linux-gnu",
             "-c", os.path.join(EXAMPLES, "bpf-xdp.c"), "-o", str(tmp_path / "bpf-xdp.o")],
            check=True,
        )
    with vethbench.Bench(path) as b:
        assert b.ports
        results = b.run()
        assert results and all(outcome == "passed" for _, outcome in results), results


def test_run_one_test_and_its_failure(tmp_path):
    f = tmp_path / "fails.yaml"
    f.write_text(
        "nodes: {a: {}, b: {}}\nlinks: [[a:eth0, b:eth0]]\n"
        "tests:\n  - name: nothing comes\n    steps:\n"
        "      - expect: {port: b:eth0, fields: {udp.dstport: 9}, within: 50ms}\n")
    with vethbench.Bench(str(f)) as b:
        assert b.tests == ["nothing comes"]
        with pytest.raises(vethbench.ExpectationFailed, match="test 'nothing comes' failed: line 6"):
            b.run("nothing comes")
        with pytest.raises(ValueError, match="no test named 'x'"):
            b.run("x")


def test_display_filters(router):
    router.send("h1:eth0", FWD)
    rx = router.expect("h2:eth0", filter="udp.dstport == 9 && ip.ttl == 63")
    assert rx.data.endswith(b"hi")
    # With a frame and fields too: all three must hold.
    router.send("h1:eth0", FWD)
    router.expect("h2:eth0", ARRIVES, ignore=["ip.chksum"], fields={"ip.ttl": 63},
                  filter='ip.src == 198.18.1.0/24 and frame contains "hi"')
    router.send("h1:eth0", FWD)
    with pytest.raises(vethbench.ExpectationFailed, match="passing 'ip.ttl == 64'"):
        router.expect("h2:eth0", filter="ip.ttl == 64", within=0.2)
    # expect_none with a filter: frames that do not pass are let be.
    router.send("h1:eth0", FWD)
    router.expect_none("h2:eth0", for_=0.2, filter="tcp")
    router.send("h1:eth0", FWD)
    with pytest.raises(vethbench.ExpectationFailed, match="expected no frame passing 'udp'"):
        router.expect_none("h2:eth0", for_=0.2, filter="udp")
    with pytest.raises(ValueError, match="filter 'ip.ttl ==': column"):
        router.expect("h2:eth0", filter="ip.ttl ==")
