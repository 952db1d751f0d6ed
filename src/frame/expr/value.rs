//! The values of the Python subset Scapy users write.

/// A value in an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Decimal, hex (`0x..`), octal (`0o..`) or binary (`0b..`), with an optional `-`.
    Int(i128),
    /// `"..."` or `'...'`, escapes decoded.
    Str(String),
    /// `b"..."`, escapes decoded.
    Bytes(Vec<u8>),
    Bool(bool),
    None,
    Tuple(Vec<Value>),
    List(Vec<Value>),
    /// `name(args, key=value)` in a value: a function of the [`super::Env`] (e.g. a scenario's
    /// `mac("h1:eth0")`), resolved before building, or an object a layer reads itself (e.g.
    /// `IPOption_Router_Alert()` in `IP(options=[...])`).
    Call {
        name: String,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
    },
}

impl Value {
    /// The type's name with its article ("an int", "a str"), for "takes X, not an int".
    pub fn a_type_name(&self) -> String {
        let t = self.type_name();
        match t {
            "int" => "an int".to_string(),
            "None" => "None".to_string(),
            t => format!("a {t}"),
        }
    }

    /// How Python would name the value's type, for errors.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Bool(_) => "bool",
            Value::None => "None",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Call { .. } => "call",
        }
    }
}
