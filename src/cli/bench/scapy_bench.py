import sys, time, json, struct
from scapy.all import Ether, IP, UDP, Raw, AsyncSniffer, conf, sendp
tx, rx, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
nlat = max(200, n // 10)
MAGIC = b"VBSCAPY!"
base = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=49152, dport=9)
def frame(seq):
    pl = MAGIC + struct.pack("!Qd", seq, 0.0)
    return bytearray(bytes(base / Raw(pl + b"\0" * max(0, size - 42 - len(pl)))))
def ours(p):
    return bytes(p)[42:50] == MAGIC
def start_sniffer():
    s = AsyncSniffer(iface=rx, store=True, lfilter=ours)
    s.start()
    # sniff has no ready barrier: give its socket time to open.
    time.sleep(1.0)
    return s
frames = [bytes(frame(i)) for i in range(n)]
sn = start_sniffer()
t0 = time.time()
sendp(frames, iface=tx, verbose=0)
t_sent = time.time()
deadline = time.time() + 5
while len(sn.results or []) < n and time.time() < deadline:
    time.sleep(0.05)
got = sn.stop() or []
last = max((float(p.time) for p in got), default=t_sent)
fps = len(got) / max(last - t0, 1e-9)
sn = start_sniffer()
s = conf.L2socket(iface=tx)
buf = frame(0)
for i in range(nlat):
    struct.pack_into("!Qd", buf, 50, i, time.time())
    s.send(bytes(buf))
    time.sleep(0.001)
time.sleep(0.3)
got2 = sn.stop() or []
lat = sorted((float(p.time) - struct.unpack("!d", bytes(p)[58:66])[0]) * 1e6 for p in got2)
q = lambda f: lat[int(round((len(lat) - 1) * f))] if lat else float("nan")
print(json.dumps({"fps": fps, "sent": n, "received": len(got), "send_fps": n / max(t_sent - t0, 1e-9),
                  "lat_samples": len(lat), "p50_us": q(0.5), "p99_us": q(0.99)}))
