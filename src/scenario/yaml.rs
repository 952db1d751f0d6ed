//! The scenario file as written: serde structs with every key checked (`deny_unknown_fields`)
//! and the source location of every value that a later check may refuse (references, frames,
//! durations), read by serde-saphyr. [`super::check`] turns them into the [`super::model`].
//!
//! Keys follow the example exactly: `name`, `nodes`, `links`, `bridges`, `addresses`,
//! `routes`, `setup`, `tests`; steps `send`, `expect`, `expect_none`, `sr`, `ping`, `exec`,
//! `stream`, `daemon`, `compare`; added: `netns` of a node, `fields` of `expect`/`sr`, `expect` and `ignore` of
//! `stream`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A value and where it was written.
pub type S<T> = Spanned<T>;

/// A map kept in file order, its keys with their locations.
#[derive(Debug)]
pub struct Entries<K, V>(pub Vec<(K, V)>);

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for V2<K, V> {
            type Value = Entries<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(kv) = m.next_entry()? {
                    v.push(kv);
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V2(PhantomData))
    }
}

/// A scalar of any type, as text: `1`, `true`, `"100ms"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(if v { "1" } else { "0" }.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileYaml {
    pub name: Option<String>,
    #[serde(default)]
    pub nodes: Entries<S<String>, Option<NodeYaml>>,
    #[serde(default)]
    pub links: Vec<S<LinkYaml>>,
    #[serde(default)]
    pub bridges: Entries<S<String>, BridgeYaml>,
    #[serde(default)]
    pub addresses: Entries<S<String>, Vec<S<String>>>,
    #[serde(default)]
    pub routes: Entries<S<String>, Vec<S<String>>>,
    #[serde(default)]
    pub setup: Vec<S<CmdYaml>>,
    #[serde(default)]
    pub tests: Vec<S<TestYaml>>,
    /// Commands run after the tests, whatever happened.
    #[serde(default)]
    pub teardown: Vec<S<CmdYaml>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeYaml {
    #[serde(default)]
    pub ipv6: bool,
    /// `NAME`, `/proc/PID/ns/net` or `pid:PID`: an existing namespace.
    pub netns: Option<S<String>>,
    /// Its own interfaces may be ports even where frames can reach a physical network.
    #[serde(default)]
    pub allow_physical: bool,
    #[serde(default)]
    pub sysctl: Entries<S<String>, Scalar>,
    /// `{eth0: [{object: prog.o, program: NAME, attach: xdp}]}`: eBPF programs on its interfaces.
    #[serde(default)]
    pub bpf: Entries<S<String>, Vec<S<super::bpf::BpfYaml>>>,
}

/// `[h1:eth0, r1:eth0]` or `{ends: [..], mtu: 9000, macs: [..]}`.
#[derive(Debug)]
pub struct LinkYaml {
    pub ends: Vec<S<String>>,
    pub mtu: Option<u32>,
    pub macs: Option<Vec<S<String>>>,
    /// Seeded impairments: both ways, or keyed by the sending end.
    pub impair: Option<S<super::impair::ImpairYaml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkMap {
    ends: Vec<S<String>>,
    mtu: Option<u32>,
    macs: Option<Vec<S<String>>>,
    impair: Option<S<super::impair::ImpairYaml>>,
}

impl<'de> Deserialize<'de> for LinkYaml {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LinkYaml;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("[NODE:IFACE, NODE:IFACE] or {ends: [...], mtu: N, macs: [...]}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<LinkYaml, A::Error> {
                let mut ends = Vec::new();
                while let Some(e) = s.next_element()? {
                    ends.push(e);
                }
                Ok(LinkYaml {
                    ends,
                    mtu: None,
                    macs: None,
                    impair: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<LinkYaml, A::Error> {
                let l = LinkMap::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(LinkYaml {
                    ends: l.ends,
                    mtu: l.mtu,
                    macs: l.macs,
                    impair: l.impair,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeYaml {
    #[serde(default)]
    pub ports: Vec<S<BridgePortYaml>>,
    #[serde(default)]
    pub vlan_filtering: bool,
    pub pvid: Option<u16>,
    #[serde(default)]
    pub vids: Vec<u16>,
}

/// `NODE:IFACE` or `{port: NODE:IFACE, pvid: 10, vids: [20, 30]}`.
#[derive(Debug)]
pub struct BridgePortYaml {
    pub port: S<String>,
    pub pvid: Option<u16>,
    pub vids: Vec<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BridgePortMap {
    port: S<String>,
    pvid: Option<u16>,
    #[serde(default)]
    vids: Vec<u16>,
}

impl<'de> Deserialize<'de> for BridgePortYaml {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BridgePortYaml;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("NODE:IFACE or {port: NODE:IFACE, pvid: N, vids: [...]}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BridgePortYaml, E> {
                Ok(BridgePortYaml {
                    // The outer Spanned carries the location of a bare string.
                    port: Spanned::new(
                        v.to_string(),
                        serde_saphyr::Location::UNKNOWN,
                        serde_saphyr::Location::UNKNOWN,
                    ),
                    pvid: None,
                    vids: Vec::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<BridgePortYaml, A::Error> {
                let p = BridgePortMap::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(BridgePortYaml {
                    port: p.port,
                    pvid: p.pvid,
                    vids: p.vids,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `{node, run}` (setup).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CmdYaml {
    pub node: S<String>,
    pub run: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestYaml {
    pub name: String,
    /// Ignore background frames: true (the default), false, or a list of categories
    /// (`ipv6`, `arp`, `lldp`, `stp`, `igmp`).
    pub noise: Option<S<NoiseYaml>>,
    /// Frames an `expect` passes over stay pending (default false: they are consumed).
    pub strict: Option<bool>,
    #[serde(default)]
    pub steps: Vec<S<StepYaml>>,
    #[serde(default)]
    pub teardown: Vec<S<CmdYaml>>,
}

/// `noise: true`, `noise: false` or `noise: [ipv6, arp]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum NoiseYaml {
    All(bool),
    Some(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepYaml {
    Send(SendYaml),
    Expect(ExpectYaml),
    ExpectNone(ExpectNoneYaml),
    Sr(SrYaml),
    Ping(PingYaml),
    Exec(ExecYaml),
    Stream(Box<StreamYaml>),
    Daemon(DaemonYaml),
    MapUpdate(super::bpf::MapStepYaml),
    MapExpect(super::bpf::MapStepYaml),
    ProgRun(Box<super::bpf::ProgRunYaml>),
    Compare(CompareYaml),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareYaml {
    pub port: S<String>,
    pub golden: S<String>,
    #[serde(default)]
    pub ignore: Vec<S<String>>,
    #[serde(rename = "match")]
    pub matching: Option<S<String>>,
    pub settle: Option<S<Scalar>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendYaml {
    pub port: S<String>,
    pub frame: S<String>,
    pub count: Option<u64>,
    pub rate: Option<S<Scalar>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectYaml {
    /// `{natport: udp.srcport}`: values of the matched frame kept for later steps.
    #[serde(default)]
    pub save: Entries<S<String>, S<String>>,
    pub strict: Option<bool>,
    pub port: S<String>,
    pub frame: Option<S<String>>,
    /// `{ip.ttl: 63, udp.dstport: 9}`: conditions on the packet view's fields.
    #[serde(default)]
    pub fields: Entries<S<String>, S<Scalar>>,
    #[serde(default)]
    pub ignore: Vec<S<String>>,
    pub within: Option<S<Scalar>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectNoneYaml {
    pub port: Option<S<String>>,
    pub ports: Option<Vec<S<String>>>,
    #[serde(rename = "for")]
    pub wait: Option<S<Scalar>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SrYaml {
    /// `{natport: udp.srcport}`: values of the matched frame kept for later steps.
    #[serde(default)]
    pub save: Entries<S<String>, S<String>>,
    pub strict: Option<bool>,
    pub port: S<String>,
    pub frame: S<String>,
    pub expect: Option<S<String>>,
    #[serde(default)]
    pub fields: Entries<S<String>, S<Scalar>>,
    #[serde(default)]
    pub ignore: Vec<S<String>>,
    pub within: Option<S<Scalar>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingYaml {
    pub node: S<String>,
    pub to: S<String>,
    pub count: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecYaml {
    pub node: S<String>,
    pub run: String,
    pub exit: Option<i32>,
    pub expect_output: Option<S<String>>,
    pub timeout: Option<S<Scalar>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamYaml {
    pub from: S<String>,
    pub to: S<String>,
    pub frame: Option<S<String>>,
    /// The frame as it arrives, when a device on the way rewrites headers (a router).
    pub expect: Option<S<String>>,
    #[serde(default)]
    pub ignore: Vec<S<String>>,
    pub size: Option<usize>,
    pub rate: Option<S<Scalar>>,
    pub count: Option<u64>,
    pub duration: Option<S<Scalar>>,
    pub flows: Option<S<u32>>,
    pub max_loss: Option<S<Scalar>>,
    pub min_loss: Option<S<Scalar>>,
    pub max_reorder: Option<S<Scalar>>,
    pub max_p99_us: Option<f64>,
    /// `{natport: udp.srcport}`: fields of the frame as it arrived, for later steps.
    #[serde(default)]
    pub save: Entries<S<String>, S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonYaml {
    pub node: S<String>,
    pub run: String,
    pub ready: Option<S<String>>,
    pub timeout: Option<S<Scalar>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanned_keys_and_links() {
        let y = "nodes:\n  h1: {}\n  r1:\n    sysctl: {net.ipv4.ip_forward: 1}\nlinks:\n  - [h1:eth0, r1:eth0]\n  - {ends: [h1:eth1, r1:eth1], mtu: 9000}\n";
        let f: FileYaml = serde_saphyr::from_str(y).unwrap();
        assert_eq!(f.nodes.0.len(), 2);
        assert_eq!(f.nodes.0[1].0.value, "r1");
        assert_eq!(f.nodes.0[1].0.referenced.line(), 3);
        assert_eq!(f.links[1].referenced.line(), 7);
        assert_eq!(f.links[1].value.mtu, Some(9000));
        assert_eq!(f.links[0].value.ends[1].referenced.line(), 6);
        let s = &f.nodes.0[1].1.as_ref().unwrap().sysctl.0[0];
        assert_eq!(
            (s.0.value.as_str(), s.1 .0.as_str()),
            ("net.ipv4.ip_forward", "1")
        );
    }

    #[test]
    fn unknown_keys_are_located() {
        let y = "nodes:\n  h1: {}\nlinks:\n  - {ends: [a:b, c:d], mut: 9000}\n";
        let e = serde_saphyr::from_str::<FileYaml>(y).unwrap_err();
        assert_eq!(e.location().unwrap().line(), 4, "{e}");
        let y = "tests:\n  - name: x\n    steps:\n      - sned: {port: a:b}\n";
        let e = serde_saphyr::from_str::<FileYaml>(y).unwrap_err();
        assert_eq!(e.location().unwrap().line(), 4, "{e}");
        let y = "tests:\n  - name: x\n    steps:\n      - expect_none: {port: a:b, fro: 1s}\n";
        let e = serde_saphyr::from_str::<FileYaml>(y).unwrap_err();
        assert_eq!(e.location().unwrap().line(), 4, "{e}");
        assert!(e.to_string().contains("fro"), "{e}");
    }
}
