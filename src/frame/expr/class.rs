//! What a layer implements ([`LayerClass`]) and what it reads its fields from ([`Fields`]).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::build::Layer;
use super::{ExprError, Value};
use crate::frame::MacAddr;

/// One Scapy layer class (`Ether`, `IP`, `TCP`...).
pub trait LayerClass: Sync + std::fmt::Debug {
    /// Scapy's class name.
    fn name(&self) -> &'static str;
    /// Scapy's field names, in Scapy's order: checked before anything is built, and offered as
    /// close names for a misspelt one.
    fn fields(&self) -> &'static [&'static str];
    /// Scapy's `aliastypes` after the class itself: the classes whose `bind_layers` rows also
    /// apply when this layer is the lower one (`Dot1Q` -> `Ether`, `IPv6ExtHdrRouting` ->
    /// `IPv6`), first match wins.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// Fill the defaults that other layers read (e.g. `IP.src`/`IP.dst` for a TCP checksum's
    /// pseudo-header), and check the types of the values given. Runs outermost first.
    fn resolve(&self, _f: &mut Fields, _env: &dyn super::Env) -> Result<(), ExprError> {
        Ok(())
    }
    /// Append this layer's own bytes (header, and trailer if any) to `out`. Its payload (the
    /// layers above it, already built, padding excluded) is `ctx.payload`, so lengths and
    /// checksums can cover it; the engine appends the payload after.
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError>;
}

/// What a layer's `build` sees around it.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The layers below (outer), fields resolved: `below.last()` is the one just under.
    pub below: &'a [Layer],
    /// The layers above (inner), fields resolved: `above.first()` is the payload's first layer.
    pub above: &'a [Layer],
    /// The bytes of the layers above, built (without trailing `Padding`).
    pub payload: &'a [u8],
}

/// A layer's fields: those given in the expression, those set by the layer above through
/// Scapy's `bind_layers` table, and those filled by [`LayerClass::resolve`]. A field absent here is
/// one the layer defaults or computes itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields {
    /// (name, value, 1-based column in the source; 0 for values not written by the user)
    items: Vec<(&'static str, Value, usize)>,
}

impl Fields {
    /// Set `name` (a name from [`LayerClass::fields`]); replaces an earlier value.
    pub fn set(&mut self, name: &'static str, value: Value, col: usize) {
        match self.items.iter_mut().find(|(n, _, _)| *n == name) {
            Some(slot) => *slot = (name, value, col),
            None => self.items.push((name, value, col)),
        }
    }

    /// Set `name` only if it is not set yet.
    pub fn set_default(&mut self, name: &'static str, value: Value) {
        if !self.has(name) {
            self.items.push((name, value, 0));
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.items.iter().any(|(n, _, _)| *n == name)
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.items
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, v, _)| v)
    }

    /// The column a field's value was written at (for errors), 1 when not written by the user.
    pub fn col(&self, name: &str) -> usize {
        self.items
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(1, |(_, _, c)| (*c).max(1))
    }

    /// Whether `name` was set by a binding or a default rather than written by the user.
    fn by_binding(&self, name: &str) -> bool {
        self.items.iter().any(|(n, _, c)| *n == name && *c == 0)
    }

    /// A length (or count) the layer computes for its `field` of `bits` bits, from what `at`
    /// holds: an error ("does not fit", pointing at `at`) when it is too large, never a wrapped
    /// value (Scapy raises a struct error, or would write wrong bytes).
    pub fn computed(
        &self,
        layer: &str,
        field: &str,
        at: &str,
        n: usize,
        bits: u32,
    ) -> Result<u64, ExprError> {
        let most = (1u64 << bits) - 1;
        match u64::try_from(n) {
            Ok(v) if v <= most => Ok(v),
            _ => Err(self.err(
                at,
                format!(
                    "{layer}: the computed {field} {n} does not fit its {bits}-bit field (at \
                     most {most}): {at} is too long"
                ),
            )),
        }
    }

    /// An error about field `name`, pointing at it.
    pub fn err(&self, name: &str, msg: impl Into<String>) -> ExprError {
        ExprError::new(self.col(name), msg)
    }

    /// An integer field that must fit in `bits` bits (`None`: not set). `None` as a value
    /// (Scapy's "compute it") is also `Ok(None)`.
    pub fn uint(&self, name: &str, bits: u32) -> Result<Option<u64>, ExprError> {
        match self.get(name) {
            None | Some(Value::None) => Ok(None),
            Some(Value::Int(i)) if *i >= 0 && (bits >= 64 || *i < (1i128 << bits)) => {
                Ok(Some(*i as u64))
            }
            Some(Value::Int(i)) => Err(self.err(
                name,
                format!("{name}={i} does not fit in {bits} bits (0..={})", max(bits)),
            )),
            Some(Value::Bool(b)) => Ok(Some(*b as u64)),
            Some(_) => Err(self.type_err(name, "an int")),
        }
    }

    /// An integer field with Scapy's default `default` when not given; an explicit `None`
    /// packs as 0, as Scapy's fields do.
    pub fn uint_or(&self, name: &str, bits: u32, default: u64) -> Result<u64, ExprError> {
        match self.get(name) {
            None => Ok(default),
            _ => Ok(self.uint(name, bits)?.unwrap_or(0)),
        }
    }

    /// A MAC address field (`"02:00:00:00:00:01"`).
    pub fn mac(&self, name: &str) -> Result<Option<MacAddr>, ExprError> {
        match self.get(name) {
            None | Some(Value::None) => Ok(None),
            Some(Value::Str(s)) => s
                .parse::<MacAddr>()
                .map(Some)
                .map_err(|e| self.err(name, format!("{name}: {e}"))),
            Some(_) => Err(self.type_err(name, "a MAC address string")),
        }
    }

    /// An IPv4 address field (`"198.18.0.1"`).
    pub fn ipv4(&self, name: &str) -> Result<Option<Ipv4Addr>, ExprError> {
        match self.get(name) {
            None | Some(Value::None) => Ok(None),
            Some(Value::Str(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| self.err(name, format!("{name}: '{s}' is not an IPv4 address"))),
            Some(_) => Err(self.type_err(name, "an IPv4 address string")),
        }
    }

    /// An IPv6 address field (`"2001:2::1"`).
    pub fn ipv6(&self, name: &str) -> Result<Option<Ipv6Addr>, ExprError> {
        match self.get(name) {
            None | Some(Value::None) => Ok(None),
            Some(Value::Str(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| self.err(name, format!("{name}: '{s}' is not an IPv6 address"))),
            // An address set by a binding row (which carries ints): `ICMPv6ND_NS` sets
            // `IPv6.dst` to ff02::1 as Scapy's overload_fields do.
            Some(Value::Int(i)) if self.by_binding(name) => Ok(Some(Ipv6Addr::from(*i as u128))),
            Some(_) => Err(self.type_err(name, "an IPv6 address string")),
        }
    }

    /// A bytes field: `b"..."`, or a `str` encoded as Scapy does (UTF-8).
    pub fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, ExprError> {
        match self.get(name) {
            None | Some(Value::None) => Ok(None),
            Some(Value::Bytes(b)) => Ok(Some(b.clone())),
            Some(Value::Str(s)) => Ok(Some(s.as_bytes().to_vec())),
            Some(_) => Err(self.type_err(name, "bytes or a str")),
        }
    }

    /// The error for a value of the wrong type: `what` says what the field takes.
    pub fn type_err(&self, name: &str, what: &str) -> ExprError {
        match self.get(name) {
            Some(Value::Call { name: f, .. }) => self.err(name, format!("unknown function '{f}'")),
            Some(v) => self.err(
                name,
                format!("{name} takes {what}, not {}", v.a_type_name()),
            ),
            None => self.err(name, format!("{name} takes {what}")),
        }
    }

    /// The names set, in the order they were set.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.items.iter().map(|(n, _, _)| *n)
    }
}

fn max(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}
