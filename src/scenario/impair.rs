//! Seeded impairments declared on a link: `links: [{ends: [a:eth0, b:eth0], impair: {loss: 1%,
//! delay: 2ms, seed: 7}}]` (both directions), or per direction keyed by the sending end
//! (`impair: {a:eth0: {loss: 1%}, b:eth0: {delay: 1ms}}`).
//!
//! Built on [`crate::impair`]: the link becomes two veth pairs with a [`Relay`] between them in
//! a private namespace of its own (`a:eth0` ⇄ relay ⇄ `b:eth0`), held by the topology, so it
//! goes with the runner, SIGKILL included. Each frame's fate comes from the seed, the direction
//! and the frame's index alone: the same seed and frames replay the same fates.
//!
//! What stays true: the two ends keep their names, MACs and addresses; the relay's own
//! interfaces are invisible to the nodes (only the nodes' ends are ports), and it forwards
//! every frame byte for byte except those the impairments change.

use serde::Deserialize;

use super::check::{at, err, Problem};
use super::model::{PortRef, TopologySpec};
use super::yaml::{Entries, Scalar, S};
use super::ScenarioError;
use crate::impair::{ImpairSpec, Relay};
use crate::link::{veth, PrivateNetns, VethEnd, VethPairSpec};

/// The relay's interfaces in its namespace: towards the link's first end, and its second.
pub const RELAY_IFACES: [&str; 2] = ["ra", "rb"];

/// One entry of `impair:`: a value (`loss: 1%`) or a direction (`a:eth0: {loss: 1%}`).
#[derive(Debug)]
pub enum ImpairEntry {
    Value(Scalar),
    Dir(Entries<S<String>, Scalar>),
}

impl<'de> Deserialize<'de> for ImpairEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ImpairEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value (loss: 1%) or, keyed by a sending end, a mapping of them")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ImpairEntry, E> {
                Ok(ImpairEntry::Value(Scalar(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ImpairEntry, E> {
                Ok(ImpairEntry::Value(Scalar(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ImpairEntry, E> {
                Ok(ImpairEntry::Value(Scalar(v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ImpairEntry, E> {
                Ok(ImpairEntry::Value(Scalar(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<ImpairEntry, A::Error> {
                Entries::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(ImpairEntry::Dir)
            }
        }
        d.deserialize_any(V)
    }
}

/// `impair:` as written.
pub type ImpairYaml = Entries<S<String>, ImpairEntry>;

/// A link's impairments, checked: frames sent by its first end (`ab`) and by its second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkImpair {
    pub ab: ImpairSpec,
    pub ba: ImpairSpec,
}

// The shares and delays are finite (the parsers refuse NaN), so equality is total.
impl Eq for LinkImpair {}

fn spec_of(line: usize, list: &[(S<String>, Scalar)]) -> Result<ImpairSpec, Problem> {
    let mut s = ImpairSpec::default();
    for (k, v) in list {
        s.set(k.value.trim(), v.0.trim())
            .map_err(|e| (at(k), "impair".to_string(), e.to_string()))?;
    }
    s.check()
        .map_err(|e| (line, "impair".to_string(), e.to_string()))?;
    Ok(s)
}

/// `impair:` of the link `a` - `b`.
pub(super) fn check(i: &S<ImpairYaml>, a: &PortRef, b: &PortRef) -> Result<LinkImpair, Problem> {
    let line = at(i);
    let entries = &i.value.0;
    let dirs = entries
        .iter()
        .filter(|(_, v)| matches!(v, ImpairEntry::Dir(_)))
        .count();
    if dirs == 0 {
        let list: Vec<(S<String>, Scalar)> = entries
            .iter()
            .map(|(k, v)| match v {
                ImpairEntry::Value(s) => (k.clone(), s.clone()),
                ImpairEntry::Dir(_) => unreachable!("no directions"),
            })
            .collect();
        let s = spec_of(line, &list)?;
        return Ok(LinkImpair { ab: s, ba: s });
    }
    if dirs != entries.len() {
        return err(
            line,
            "impair",
            "give the impairments for both ways ({loss: 1%}) or per sending end ({a:eth0: {...}}), not both",
        );
    }
    let mut out = LinkImpair {
        ab: ImpairSpec::default(),
        ba: ImpairSpec::default(),
    };
    for (k, v) in entries {
        let ImpairEntry::Dir(d) = v else {
            unreachable!("all directions")
        };
        let s = spec_of(at(k), &d.0)?;
        match PortRef::parse(k.value.trim()) {
            Some(p) if p == *a => out.ab = s,
            Some(p) if p == *b => out.ba = s,
            _ => {
                return err(
                    at(k),
                    "impair",
                    format!(
                        "'{}' is not an end of this link ({a} or {b}: the end that sends)",
                        k.value
                    ),
                )
            }
        }
    }
    Ok(out)
}

/// A relay and its namespace (the relay stops first).
struct RelayNs {
    relay: Relay,
    _ns: PrivateNetns,
}

/// The relays of a topology's impaired links.
#[derive(Default)]
pub struct Held {
    relays: Vec<RelayNs>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "impair::Held({} relays)", self.relays.len())
    }
}

impl Held {
    /// True without impaired links.
    pub fn is_empty(&self) -> bool {
        self.relays.is_empty()
    }

    /// Make link `l` of `spec` as two pairs with a relay between them; the two ends are in
    /// `ns_a` and `ns_b`. Returns the ends' interface information.
    pub(super) fn link(
        &mut self,
        spec: &TopologySpec,
        l: usize,
        ns_a: &crate::link::Netns,
        ns_b: &crate::link::Netns,
    ) -> Result<(crate::link::IfaceInfo, crate::link::IfaceInfo), ScenarioError> {
        let link = &spec.links[l];
        let imp = link.impair.expect("an impaired link");
        let [a, b] = &link.ends;
        let what = || format!("link {a} - {b} (impaired)");
        let ns = PrivateNetns::with_ipv6(false).map_err(|e| ScenarioError::link(what(), e))?;
        let mut infos = Vec::new();
        for (i, (end, node_ns)) in [(a, ns_a), (b, ns_b)].into_iter().enumerate() {
            let pair = VethPairSpec {
                a: VethEnd {
                    mac: link.macs[i].map(|m| m.0),
                    ..VethEnd::new(&end.iface)
                },
                b: VethEnd::new(RELAY_IFACES[i]),
                mtu: link.mtu,
                up: false,
                disable_ipv6: false,
            };
            let (ie, _) = veth::create(&pair, node_ns, ns.netns())
                .map_err(|e| ScenarioError::link(what(), e))?;
            infos.push(ie);
        }
        ns.netns()
            .run(|| {
                let mut nl = crate::link::nl::Netlink::open()?;
                for r in RELAY_IFACES {
                    let info = crate::link::iface::info_with(&mut nl, r)?;
                    nl.set_up(info.ifindex, true).map_err(|e| {
                        crate::link::LinkError::from_errno(
                            format!("bring {r} up"),
                            e,
                            crate::Capability::NetAdmin,
                        )
                    })?;
                }
                Ok(())
            })
            .map_err(|e| ScenarioError::link(what(), e))?;
        let relay = Relay::start(ns.netns(), RELAY_IFACES[0], RELAY_IFACES[1], imp.ab, imp.ba)
            .map_err(|e| ScenarioError::Impair {
                what: what(),
                source: e,
            })?;
        self.relays.push(RelayNs { relay, _ns: ns });
        let ib = infos.pop().expect("two");
        let ia = infos.pop().expect("two");
        Ok((ia, ib))
    }

    /// What each relay did so far is only known when it stops: stop them all (a → b first).
    pub fn stop(
        &mut self,
    ) -> Vec<Result<[crate::impair::DirStats; 2], crate::impair::ImpairError>> {
        self.relays.drain(..).map(|r| r.relay.stop()).collect()
    }
}
