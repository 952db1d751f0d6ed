//! The Python subset Scapy users write, read into an [`Expr`].
//!
//! ```text
//! top    := chain | 'fragment' '(' chain [',' ['fragsize' '='] int] [','] ')'
//! chain  := item ('/' item)*
//! item   := term ['*' int] | int '*' term            (a str/bytes term becomes Raw(load=...))
//! term   := Name '(' args ')' | str | bytes | '(' chain ')'
//! args   := [arg (',' arg)* [',']]      arg := value | name '=' value
//! value  := atom ['*' atom] ; atom := int | str | bytes | True | False | None
//!         | '(' tuple ')' | '[' list ']' | name '(' args ')'
//! ```
//!
//! Columns are 1-based and count characters, not bytes. This file is the grammar; the
//! literals (`int`, `str`, `bytes`) are read in `literal.rs`.

use super::value::Value;
use super::{Expr, ExprError, FieldArg, LayerExpr};

mod literal;

/// Scapy's default `fragsize` for `fragment()`.
pub const DEFAULT_FRAGSIZE: usize = 1480;

/// Parse a Scapy expression (`Ether()/IP(dst="198.18.0.2")/UDP(dport=53)/"x"`).
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let mut p = Parser {
        s: src.chars().collect(),
        i: 0,
        depth: 0,
    };
    p.ws();
    let expr = if p.peek_ident() == Some("fragment".into()) && p.after_ident_is('(') {
        p.fragment()?
    } else {
        Expr {
            layers: p.chain()?,
            fragsize: None,
        }
    };
    p.ws();
    match p.peek() {
        None => Ok(expr),
        Some(')') => Err(p.err("unexpected ')' (no '(' is open)")),
        Some(c) => Err(p.err(format!(
            "unexpected character '{c}' (a '/' between layers?)"
        ))),
    }
}

/// How deep parentheses, brackets and calls may nest (CPython's parser stops at 200): deeper
/// is refused in one line, before the recursion could overflow the stack (the values built
/// are then as shallow, so everything that walks them recursively is safe too).
pub const MAX_NESTING: usize = 100;

struct Parser {
    s: Vec<char>,
    i: usize,
    /// How many `chain`s and `value`s are open.
    depth: usize,
}

/// A value with the column it starts at.
type Spanned = (Value, usize);

impl Parser {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn col(&self) -> usize {
        self.i + 1
    }

    fn err(&self, msg: impl Into<String>) -> ExprError {
        ExprError::new(self.col(), msg)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.i += 1;
        }
    }

    /// Skip whitespace, then consume `c` if it is next.
    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek_ident(&self) -> Option<String> {
        let mut j = self.i;
        if !matches!(self.s.get(j), Some(c) if c.is_alphabetic() || *c == '_') {
            return None;
        }
        while matches!(self.s.get(j), Some(c) if c.is_alphanumeric() || *c == '_') {
            j += 1;
        }
        Some(self.s[self.i..j].iter().collect())
    }

    fn ident(&mut self) -> Option<String> {
        let id = self.peek_ident()?;
        self.i += id.chars().count();
        Some(id)
    }

    /// Whether the identifier at the cursor is followed (after whitespace) by `c`.
    fn after_ident_is(&self, c: char) -> bool {
        let Some(id) = self.peek_ident() else {
            return false;
        };
        let mut j = self.i + id.chars().count();
        while matches!(self.s.get(j), Some(w) if w.is_whitespace()) {
            j += 1;
        }
        self.s.get(j) == Some(&c)
    }

    /// Whether a string or bytes literal starts at the cursor (with its prefix, if any).
    fn at_string(&self) -> bool {
        let mut j = self.i;
        while j < self.i + 2 && matches!(self.s.get(j), Some('b' | 'B' | 'r' | 'R')) {
            j += 1;
        }
        matches!(self.s.get(j), Some('"' | '\''))
    }

    fn fragment(&mut self) -> Result<Expr, ExprError> {
        let name_col = self.col();
        self.ident();
        self.eat('(');
        let open = self.i;
        let layers = self.chain()?;
        let mut fragsize = DEFAULT_FRAGSIZE;
        if self.eat(',') {
            self.ws();
            if self.peek() != Some(')') {
                let kw = self.peek_ident();
                if kw.is_some() && self.after_ident_is('=') {
                    let kw = kw.unwrap_or_default();
                    let kcol = self.col();
                    if kw != "fragsize" {
                        return Err(ExprError::new(
                            kcol,
                            format!("fragment() has no argument '{kw}' (it takes fragsize=N)"),
                        ));
                    }
                    self.ident();
                    self.eat('=');
                    self.ws();
                    if matches!(self.peek(), Some(',' | ')') | None) {
                        return Err(self.err("'=' without a value"));
                    }
                }
                self.ws();
                let (v, vcol) = self.value()?;
                fragsize = match v {
                    Value::Int(n) if (8..=65535).contains(&n) => n as usize,
                    other => return Err(ExprError::new(vcol, fragsize_rule(&describe(&other)))),
                };
                self.eat(',');
            }
        }
        if !self.eat(')') {
            return Err(self.missing_paren(open, name_col));
        }
        Ok(Expr {
            layers,
            fragsize: Some(fragsize),
        })
    }

    fn missing_paren(&mut self, _open: usize, opened_at: usize) -> ExprError {
        self.ws();
        match self.peek() {
            None => self.err(format!("missing ')' (for the '(' after column {opened_at})")),
            Some(c) => self.err(format!(
                "unexpected character '{c}': expected ',' or ')' (for the '(' after column {opened_at})"
            )),
        }
    }

    /// One level deeper, refused past [`MAX_NESTING`].
    fn nest<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ExprError>,
    ) -> Result<T, ExprError> {
        if self.depth >= MAX_NESTING {
            return Err(self.err(format!(
                "nested too deeply: at most {MAX_NESTING} levels of parentheses, brackets and \
                 calls"
            )));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn chain(&mut self) -> Result<Vec<LayerExpr>, ExprError> {
        self.nest(Self::chain_at)
    }

    fn chain_at(&mut self) -> Result<Vec<LayerExpr>, ExprError> {
        let mut out = Vec::new();
        self.ws();
        if self.peek() == Some('/') {
            return Err(self.err("stray '/': a layer must come before it"));
        }
        self.item(&mut out)?;
        loop {
            self.ws();
            if self.peek() != Some('/') {
                return Ok(out);
            }
            let slash = self.col();
            self.i += 1;
            self.ws();
            match self.peek() {
                Some('/') => return Err(self.err("stray '/': a layer must come between two '/'")),
                None | Some(')' | ',') => {
                    return Err(ExprError::new(
                        slash,
                        "trailing '/': a layer must come after it",
                    ))
                }
                _ => self.item(&mut out)?,
            }
        }
    }

    fn item(&mut self, out: &mut Vec<LayerExpr>) -> Result<(), ExprError> {
        self.ws();
        let col = self.col();
        // `100*"x"`
        if matches!(self.peek(), Some('0'..='9' | '-')) {
            let (v, _) = self.atom()?;
            if !matches!(v, Value::Int(_)) {
                return Err(ExprError::new(col, "expected a number"));
            }
            if !self.eat('*') {
                return Err(ExprError::new(
                    col,
                    "a number is not a layer (a str or bytes payload is written in quotes)",
                ));
            }
            self.ws();
            let (rhs, rcol) = self.atom()?;
            let load = repeat(rhs, v, rcol)?;
            return push_raw(out, load, col);
        }
        if self.at_string() {
            let (v, _) = self.string()?;
            let v = if self.eat('*') {
                self.ws();
                let (n, ncol) = self.atom()?;
                repeat(v, n, ncol)?
            } else {
                v
            };
            return push_raw(out, v, col);
        }
        if self.peek() == Some('(') {
            let open = self.col();
            self.i += 1;
            let inner = self.chain()?;
            if !self.eat(')') {
                return Err(self.missing_paren(self.i, open));
            }
            out.extend(inner);
            return Ok(());
        }
        let Some(name) = self.ident() else {
            return Err(match self.peek() {
                None => self.err("a layer is missing at the end"),
                Some(c) => self.err(format!("unexpected character '{c}': expected a layer")),
            });
        };
        if !self.eat('(') {
            return Err(match name.as_str() {
                "True" | "False" | "None" => ExprError::new(col, format!("{name} is not a layer")),
                _ => ExprError::new(col, format!("'{name}' needs parentheses: {name}()")),
            });
        }
        let (args, kwargs) = self.args(col)?;
        let mut fields: Vec<FieldArg> = Vec::new();
        for (i, (v, vcol)) in args.into_iter().enumerate() {
            match (name.as_str(), i) {
                ("Raw" | "Padding", 0) => fields.push(FieldArg {
                    name: "load".into(),
                    col: vcol,
                    value: v,
                }),
                _ if super::layers::lookup(&name).is_none() => {
                    return Err(super::build::unknown_layer(&name, col))
                }
                _ => {
                    return Err(ExprError::new(
                        vcol,
                        format!(
                            "{name}() takes field=value arguments (Scapy would read a positional \
                             argument as bytes to dissect)"
                        ),
                    ))
                }
            }
        }
        for (k, kcol, v) in kwargs {
            fields.push(FieldArg {
                name: k,
                col: kcol,
                value: v,
            });
        }
        out.push(LayerExpr { name, col, fields });
        Ok(())
    }

    /// After `(`: positional and keyword arguments up to the matching `)`.
    #[allow(clippy::type_complexity)]
    fn args(
        &mut self,
        opened_at: usize,
    ) -> Result<(Vec<Spanned>, Vec<(String, usize, Value)>), ExprError> {
        let mut args = Vec::new();
        let mut kwargs: Vec<(String, usize, Value)> = Vec::new();
        loop {
            self.ws();
            if self.eat(')') {
                return Ok((args, kwargs));
            }
            let col = self.col();
            if self.peek_ident().is_some() && self.after_ident_is('=') && !self.is_eq_eq() {
                let k = self.ident().unwrap_or_default();
                self.eat('=');
                self.ws();
                if matches!(self.peek(), Some(',' | ')') | None) {
                    return Err(self.err(format!("'=' without a value (after {k})")));
                }
                if kwargs.iter().any(|(n, _, _)| *n == k) {
                    return Err(ExprError::new(col, format!("{k} is given twice")));
                }
                let (v, _) = self.value()?;
                kwargs.push((k, col, v));
            } else {
                if self.peek() == Some(',') {
                    return Err(self.err("unexpected ',': an argument is missing before it"));
                }
                if !kwargs.is_empty() {
                    return Err(self.err("a positional argument after a keyword argument"));
                }
                if self.peek() == Some('=') {
                    return Err(self.err("'=' without a field name before it"));
                }
                args.push(self.value()?);
            }
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some(')') => {}
                Some('=') => return Err(self.err("'=' after something that is not a field name")),
                _ => return Err(self.missing_paren(self.i, opened_at)),
            }
        }
    }

    fn is_eq_eq(&self) -> bool {
        let mut j = self.i + self.peek_ident().map_or(0, |s| s.chars().count());
        while matches!(self.s.get(j), Some(w) if w.is_whitespace()) {
            j += 1;
        }
        self.s.get(j + 1) == Some(&'=')
    }

    /// A value, with `*` repetition (`"x"*100`, `100*b"\x00"`, `2*3`).
    fn value(&mut self) -> Result<Spanned, ExprError> {
        self.nest(Self::value_at)
    }

    fn value_at(&mut self) -> Result<Spanned, ExprError> {
        self.ws();
        let (v, col) = self.atom()?;
        if self.eat('*') {
            self.ws();
            let (rhs, rcol) = self.atom()?;
            let v = match (v, rhs) {
                (Value::Int(a), Value::Int(b)) => Value::Int(
                    a.checked_mul(b)
                        .ok_or_else(|| ExprError::new(col, "integer too large"))?,
                ),
                (n @ Value::Int(_), s) => repeat(s, n, col)?,
                (s, n) => repeat(s, n, rcol)?,
            };
            return Ok((v, col));
        }
        Ok((v, col))
    }

    fn atom(&mut self) -> Result<Spanned, ExprError> {
        self.ws();
        let col = self.col();
        let Some(c) = self.peek() else {
            return Err(self.err("a value is missing at the end"));
        };
        if self.at_string() {
            return self.string();
        }
        match c {
            '0'..='9' | '-' | '+' => self.int(),
            '(' => {
                self.i += 1;
                let (items, trailing) = self.seq(')', col)?;
                if items.len() == 1 && !trailing {
                    let (v, _) = items.into_iter().next().unwrap_or((Value::None, col));
                    Ok((v, col))
                } else {
                    Ok((
                        Value::Tuple(items.into_iter().map(|(v, _)| v).collect()),
                        col,
                    ))
                }
            }
            '[' => {
                self.i += 1;
                let (items, _) = self.seq(']', col)?;
                Ok((
                    Value::List(items.into_iter().map(|(v, _)| v).collect()),
                    col,
                ))
            }
            c if c.is_alphabetic() || c == '_' => {
                let name = self.ident().unwrap_or_default();
                match name.as_str() {
                    "True" => return Ok((Value::Bool(true), col)),
                    "False" => return Ok((Value::Bool(false), col)),
                    "None" => return Ok((Value::None, col)),
                    _ => {}
                }
                if !self.eat('(') {
                    return Err(ExprError::new(
                        col,
                        format!("unexpected name '{name}': a value is a number, a string in quotes, True, False, None, a tuple, a list or a call"),
                    ));
                }
                let (args, kwargs) = self.args(col)?;
                Ok((
                    Value::Call {
                        name,
                        args: args.into_iter().map(|(v, _)| v).collect(),
                        kwargs: kwargs.into_iter().map(|(k, _, v)| (k, v)).collect(),
                    },
                    col,
                ))
            }
            ',' | ')' | ']' => Err(self.err(format!("a value is missing before '{c}'"))),
            c => Err(self.err(format!("unexpected character '{c}': expected a value"))),
        }
    }

    /// After `(` or `[`: comma-separated values up to `close`; whether a trailing comma ended it.
    fn seq(&mut self, close: char, opened_at: usize) -> Result<(Vec<Spanned>, bool), ExprError> {
        let mut items = Vec::new();
        let mut trailing = false;
        loop {
            if self.eat(close) {
                return Ok((items, trailing));
            }
            self.ws();
            if self.peek().is_none() {
                return Err(self.err(format!(
                    "missing '{close}' (for the one opened at column {opened_at})"
                )));
            }
            items.push(self.value()?);
            trailing = false;
            self.ws();
            match self.peek() {
                Some(',') => {
                    self.i += 1;
                    trailing = true;
                }
                Some(c) if c == close => {}
                None => {
                    return Err(self.err(format!(
                        "missing '{close}' (for the one opened at column {opened_at})"
                    )))
                }
                Some(c) => {
                    return Err(self.err(format!(
                        "unexpected character '{c}': expected ',' or '{close}'"
                    )))
                }
            }
        }
    }
}

/// The largest value a repetition may build (a frame is at most 64 KiB; this leaves room).
const MAX_REPEAT: usize = 1 << 24;

/// `s * n` as Python does (a count below 1 gives an empty value).
fn repeat(s: Value, n: Value, col: usize) -> Result<Value, ExprError> {
    let count = match n {
        Value::Int(n) if n <= 1 << 20 => n.max(0) as usize,
        Value::Int(_) => return Err(ExprError::new(col, "repetition count too large")),
        other => {
            return Err(ExprError::new(
                col,
                format!(
                    "can only repeat a str or bytes by an int, not by {}",
                    describe(&other)
                ),
            ))
        }
    };
    let unit = match &s {
        Value::Str(t) => t.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        _ => 0,
    };
    if unit.saturating_mul(count) > MAX_REPEAT {
        return Err(ExprError::new(
            col,
            format!("repetition too large (over {MAX_REPEAT} bytes)"),
        ));
    }
    match s {
        Value::Str(s) => Ok(Value::Str(s.repeat(count))),
        Value::Bytes(b) => Ok(Value::Bytes(b.repeat(count))),
        Value::List(l) => Ok(Value::List(
            std::iter::repeat_n(l, count).flatten().collect(),
        )),
        other => Err(ExprError::new(
            col,
            format!("can only repeat a str or bytes, not {}", describe(&other)),
        )),
    }
}

fn push_raw(out: &mut Vec<LayerExpr>, load: Value, col: usize) -> Result<(), ExprError> {
    if !matches!(load, Value::Str(_) | Value::Bytes(_)) {
        return Err(ExprError::new(col, "a payload must be a str or bytes"));
    }
    out.push(LayerExpr {
        name: "Raw".into(),
        col,
        fields: vec![FieldArg {
            name: "load".into(),
            col,
            value: load,
        }],
    });
    Ok(())
}

/// The one wording of fragsize's range (Scapy divides by `fragsize - fragsize % 8`, so below 8
/// is refused), for the parser and for an [`Expr`] built without it.
pub(super) fn fragsize_rule(given: &str) -> String {
    format!(
        "fragsize takes an int in 8..=65535 (fragments carry multiples of 8 bytes), not {given}"
    )
}

fn describe(v: &Value) -> String {
    match v {
        Value::Int(i) => format!("the int {i}"),
        other => other.a_type_name(),
    }
}
