"""``vethbench.Topology``: a scenario's topology built in Python, for :class:`vethbench.Bench`.

It is lowered to the scenario file's form (the same keys as YAML: ``nodes``, ``links``,
``bridges``, ``addresses``, ``routes``, ``setup``) and checked by the same loader, so a
Topology and a file mean exactly the same; a problem names the key (``Topology: links:
...``). Nothing is created until a Bench is built from it.
"""


class Topology:
    """Nodes, veth links, bridges, addresses, routes, sysctls and setup commands.

    Every method returns the Topology, so calls chain::

        topo = (vethbench.Topology("router")
                .node("h1").node("h2").node("r1", sysctl={"net.ipv4.ip_forward": 1})
                .link("h1:eth0", "r1:eth0").link("h2:eth0", "r1:eth1")
                .address("h1:eth0", "198.18.1.2/24").address("r1:eth0", "198.18.1.1/24")
                .address("r1:eth1", "198.18.2.1/24").address("h2:eth0", "198.18.2.2/24")
                .route("h1", "default via 198.18.1.1").route("h2", "default via 198.18.2.1"))
        with vethbench.Bench(topo) as bench:
            ...

    A node is a private network namespace of the Bench (removed with it), or, with
    ``netns=``, an existing one (a name in ``/run/netns``, a path such as
    ``/proc/PID/ns/net``, or ``"pid:PID"``): never removed, only the links the topology
    made in it are.
    """

    def __init__(self, name=None):
        self.name = name
        self._nodes = {}
        self._links = []
        self._bridges = {}
        self._addresses = {}
        self._routes = {}
        self._setup = []

    def node(self, name, *, sysctl=None, ipv6=False, netns=None):
        """A node; ``sysctl``: ``{"net.ipv4.ip_forward": 1}`` set inside it; ``ipv6``: left on
        (off by default: no RS/MLD/DAD frames); ``netns``: an existing namespace."""
        n = {}
        if sysctl:
            n["sysctl"] = {str(k): _scalar(v) for k, v in dict(sysctl).items()}
        if ipv6:
            n["ipv6"] = True
        if netns is not None:
            n["netns"] = str(netns)
        self._nodes[str(name)] = n
        return self

    def link(self, a, b, *, mtu=None, macs=None):
        """A veth pair between ``"node:iface"`` ``a`` and ``b``; ``macs``: their two MACs."""
        link = {"ends": [str(a), str(b)]}
        if mtu is not None:
            link["mtu"] = int(mtu)
        if macs is not None:
            link["macs"] = [str(m) for m in macs]
        self._links.append(link)
        return self

    def bridge(self, bridge, ports, *, vlan_filtering=False, pvid=None, vids=()):
        """A Linux bridge ``"node:br0"`` over ``ports`` (``"node:iface"``, or
        ``{"port": "node:iface", "pvid": 10, "vids": [20]}`` when it filters VLANs)."""
        b = {"ports": [p if isinstance(p, dict) else str(p) for p in ports]}
        if vlan_filtering:
            b["vlan_filtering"] = True
        if pvid is not None:
            b["pvid"] = int(pvid)
        if vids:
            b["vids"] = [int(v) for v in vids]
        self._bridges[str(bridge)] = b
        return self

    def address(self, port, *cidrs):
        """Addresses of ``"node:iface"``: ``"198.18.1.2/24"``, ``"2001:db8::1/64"``."""
        self._addresses.setdefault(str(port), []).extend(str(c) for c in cidrs)
        return self

    def route(self, node, *routes):
        """Routes of a node: ``"default via 198.18.1.1"``, ``"198.18.9.0/24 via 198.18.1.1
        dev eth0"``."""
        self._routes.setdefault(str(node), []).extend(str(r) for r in routes)
        return self

    def setup(self, node, cmd):
        """A command run by ``sh -c`` in ``node`` once the topology is up."""
        self._setup.append({"node": str(node), "run": str(cmd)})
        return self

    def to_dict(self):
        """The scenario file's form (what a YAML file with these keys says)."""
        d = {}
        if self.name:
            d["name"] = str(self.name)
        for key, value in (
            ("nodes", self._nodes),
            ("links", self._links),
            ("bridges", self._bridges),
            ("addresses", self._addresses),
            ("routes", self._routes),
            ("setup", self._setup),
        ):
            if value:
                d[key] = value
        return d

    def _scenario_json(self):
        import json

        return json.dumps(self.to_dict(), indent=1)

    def __repr__(self):
        return "Topology(%s nodes, %s links)" % (len(self._nodes), len(self._links))


def _scalar(v):
    if isinstance(v, bool):
        return int(v)
    return v
