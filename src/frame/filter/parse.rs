//! The display-filter grammar: text → [`Expr`], untyped (names and literals as written). A
//! hand-written recursive-descent parser over a small lexer; every node keeps the column
//! (1-based, in characters) where it starts, so the compiler's type errors point at it.
//! Nesting (parentheses, `not`) is bounded by [`MAX_DEPTH`] so no input overflows the stack.

use super::FilterError;

/// Parentheses and `not` inside each other, at most.
pub const MAX_DEPTH: usize = 64;

/// Field tests (comparisons, existence, sets) in one filter, at most.
pub const MAX_TERMS: usize = 128;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    /// tshark 3.6+: `a != b` is `!(a == b)`: true when every occurrence differs.
    Ne,
    /// `~=` / `!==`: some occurrence differs.
    AnyNe,
    /// `===`: every occurrence equals.
    AllEq,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Matches,
}

/// A literal as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lit {
    /// A bare word: a number, an address, bytes (`02:00:00`), a CIDR block.
    Word(String),
    /// A quoted string, escapes resolved.
    Str(Vec<u8>),
}

/// One element of an `in {...}` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetItem {
    One(Lit, usize),
    Range(Lit, usize, Lit, usize),
}

/// A byte slice of a field: `[start:len]`, `[start-end]`, `[i]`, `[start:]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// Negative counts from the end (tshark's `[-2:]`).
    pub start: i64,
    /// `None`: to the end.
    pub len: Option<u64>,
}

/// A field reference: a name, maybe sliced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    pub name: String,
    pub col: usize,
    pub slice: Option<Slice>,
}

/// The untyped tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// A bare field or protocol: it is present.
    Exists(FieldRef),
    Cmp(FieldRef, CmpOp, Lit, usize),
    In(FieldRef, Vec<SetItem>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Str(Vec<u8>),
    Op(&'static str),
    End,
}

struct Lexer<'a> {
    src: &'a str,
    /// Byte position.
    pos: usize,
}

/// Characters that make up a bare word: names, numbers, addresses, CIDR, byte strings.
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-' | '+')
}

impl Lexer<'_> {
    fn col(&self, pos: usize) -> usize {
        self.src[..pos].chars().count() + 1
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.src[self.pos..].chars().next() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// The next token and the column where it starts. `in_slice`: `:` and `-` separate.
    fn next(&mut self, in_slice: bool) -> Result<(Tok, usize), FilterError> {
        self.skip_ws();
        let start = self.pos;
        let col = self.col(start);
        let rest = &self.src[start..];
        let Some(c) = rest.chars().next() else {
            return Ok((Tok::End, col));
        };
        const OPS: [&str; 20] = [
            "===", "!==", "==", "!=", "~=", "<=", ">=", "&&", "||", "..", "<", ">", "!", "(", ")",
            "{", "}", ",", "[", "]",
        ];
        if in_slice {
            for op in [":", "-", "]"] {
                if rest.starts_with(op) {
                    self.pos += 1;
                    return Ok((Tok::Op(op), col));
                }
            }
        }
        if c == '"' {
            return self.string(col).map(|s| (Tok::Str(s), col));
        }
        if c == '~' && !rest.starts_with("~=") {
            self.pos += 1;
            return Ok((Tok::Op("matches"), col));
        }
        for op in OPS {
            if rest.starts_with(op) {
                self.pos += op.len();
                return Ok((Tok::Op(op), col));
            }
        }
        if word_char(c) {
            let mut end = start;
            for (i, ch) in rest.char_indices() {
                // `8000..8080`: a word stops before `..`.
                if !word_char(ch) || (in_slice && matches!(ch, ':' | '-')) {
                    break;
                }
                if ch == '.' && rest[i + 1..].starts_with('.') {
                    break;
                }
                end = start + i + ch.len_utf8();
            }
            self.pos = end;
            return Ok((Tok::Word(self.src[start..end].to_string()), col));
        }
        Err(FilterError::new(col, format!("unexpected character '{c}'")))
    }

    /// A `"..."` string with C escapes (`\\`, `\"`, `\n`, `\t`, `\xNN`, octal `\NNN`).
    fn string(&mut self, col: usize) -> Result<Vec<u8>, FilterError> {
        let b = self.src.as_bytes();
        let mut i = self.pos + 1;
        let mut out = Vec::new();
        while i < b.len() {
            match b[i] {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(out);
                }
                b'\\' if i + 1 < b.len() => {
                    i += 1;
                    let e = b[i];
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'0'..=b'7' => {
                            let n = b[i..]
                                .iter()
                                .take(3)
                                .take_while(|d| (b'0'..=b'7').contains(d));
                            let digits: Vec<u8> = n.copied().collect();
                            let v =
                                u32::from_str_radix(std::str::from_utf8(&digits).unwrap_or("0"), 8)
                                    .unwrap_or(0);
                            out.push(v.min(255) as u8);
                            i += digits.len() - 1;
                        }
                        b'x' => {
                            let hex = b
                                .get(i + 1..i + 3)
                                .and_then(|h| std::str::from_utf8(h).ok());
                            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                                Some(v) => out.push(v),
                                None => {
                                    return Err(FilterError::new(
                                        self.col(i - 1),
                                        "\\x needs two hex digits",
                                    ))
                                }
                            }
                            i += 2;
                        }
                        _ => out.push(e),
                    }
                    i += 1;
                }
                x => {
                    out.push(x);
                    i += 1;
                }
            }
        }
        Err(FilterError::new(col, "a string without its closing '\"'"))
    }
}

/// Parses a whole filter.
pub fn parse(src: &str) -> Result<Expr, FilterError> {
    let mut p = Parser {
        lx: Lexer { src, pos: 0 },
        peeked: None,
        depth: 0,
        terms: 0,
    };
    let (t, col) = p.peek()?;
    if t == Tok::End {
        return Err(FilterError::new(col, "an empty filter"));
    }
    let e = p.or()?;
    match p.next()? {
        (Tok::End, _) => Ok(e),
        (t, col) => Err(FilterError::new(
            col,
            format!("{} was unexpected here", show(&t)),
        )),
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("'{w}'"),
        Tok::Str(_) => "a string".into(),
        Tok::Op(o) => format!("'{o}'"),
        Tok::End => "the end of the filter".into(),
    }
}

struct Parser<'a> {
    lx: Lexer<'a>,
    peeked: Option<(Tok, usize)>,
    depth: usize,
    terms: usize,
}

impl Parser<'_> {
    fn peek(&mut self) -> Result<(Tok, usize), FilterError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lx.next(false)?);
        }
        Ok(self.peeked.clone().expect("just set"))
    }

    fn next(&mut self) -> Result<(Tok, usize), FilterError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lx.next(false),
        }
    }

    fn is(&mut self, ops: &[&str], words: &[&str]) -> Result<bool, FilterError> {
        Ok(match self.peek()?.0 {
            Tok::Op(o) => ops.contains(&o),
            Tok::Word(w) => words.contains(&w.as_str()),
            _ => false,
        })
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.and()?;
        while self.is(&["||"], &["or"])? {
            self.next()?;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.unary()?;
        while self.is(&["&&"], &["and"])? {
            self.next()?;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let (t, col) = self.peek()?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                col,
                format!("nested more than {MAX_DEPTH} deep"),
            ));
        }
        let e = match t {
            Tok::Op("!") => {
                self.next()?;
                Expr::Not(Box::new(self.unary()?))
            }
            Tok::Word(w) if w == "not" => {
                self.next()?;
                Expr::Not(Box::new(self.unary()?))
            }
            Tok::Op("(") => {
                self.next()?;
                let e = self.or()?;
                match self.next()? {
                    (Tok::Op(")"), _) => e,
                    (t, c) => {
                        return Err(FilterError::new(
                            c,
                            format!(
                                "expected ')' to close the '(' of column {col}, found {}",
                                show(&t)
                            ),
                        ))
                    }
                }
            }
            _ => self.relation()?,
        };
        self.depth -= 1;
        Ok(e)
    }

    fn relation(&mut self) -> Result<Expr, FilterError> {
        let f = self.field()?;
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(FilterError::new(
                f.col,
                format!("more than {MAX_TERMS} tests in one filter"),
            ));
        }
        let (t, col) = self.peek()?;
        let op = match &t {
            Tok::Op(o) => match *o {
                "==" => Some(CmpOp::Eq),
                "!=" => Some(CmpOp::Ne),
                "~=" | "!==" => Some(CmpOp::AnyNe),
                "===" => Some(CmpOp::AllEq),
                "<" => Some(CmpOp::Lt),
                "<=" => Some(CmpOp::Le),
                ">" => Some(CmpOp::Gt),
                ">=" => Some(CmpOp::Ge),
                "matches" => Some(CmpOp::Matches),
                _ => None,
            },
            Tok::Word(w) => match w.as_str() {
                "eq" | "any_eq" => Some(CmpOp::Eq),
                "ne" | "all_ne" => Some(CmpOp::Ne),
                "any_ne" => Some(CmpOp::AnyNe),
                "all_eq" => Some(CmpOp::AllEq),
                "lt" => Some(CmpOp::Lt),
                "le" => Some(CmpOp::Le),
                "gt" => Some(CmpOp::Gt),
                "ge" => Some(CmpOp::Ge),
                "contains" => Some(CmpOp::Contains),
                "matches" => Some(CmpOp::Matches),
                "in" => {
                    self.next()?;
                    return self.set(f, col);
                }
                "and" | "or" => None,
                _ => {
                    return Err(FilterError::new(
                        col,
                        format!("'{w}' is not an operator (== != < <= > >= contains matches in)"),
                    ))
                }
            },
            _ => None,
        };
        let Some(op) = op else {
            return Ok(Expr::Exists(f));
        };
        self.next()?;
        let (lit, lcol) = self.literal()?;
        Ok(Expr::Cmp(f, op, lit, lcol))
    }

    fn literal(&mut self) -> Result<(Lit, usize), FilterError> {
        match self.next()? {
            (Tok::Word(w), c) => Ok((Lit::Word(w), c)),
            (Tok::Str(s), c) => Ok((Lit::Str(s), c)),
            (t, c) => Err(FilterError::new(
                c,
                format!("expected a value, found {}", show(&t)),
            )),
        }
    }

    fn set(&mut self, f: FieldRef, col: usize) -> Result<Expr, FilterError> {
        match self.next()? {
            (Tok::Op("{"), _) => {}
            (t, c) => {
                return Err(FilterError::new(
                    c,
                    format!("expected '{{' after 'in', found {}", show(&t)),
                ))
            }
        }
        let mut items = Vec::new();
        loop {
            let (a, ac) = self.literal()?;
            if self.is(&[".."], &[])? {
                self.next()?;
                let (b, bc) = self.literal()?;
                items.push(SetItem::Range(a, ac, b, bc));
            } else {
                items.push(SetItem::One(a, ac));
            }
            match self.next()? {
                (Tok::Op(","), _) => {}
                (Tok::Op("}"), _) => break,
                (t, c) => {
                    return Err(FilterError::new(
                        c,
                        format!(
                            "expected ',' or '}}' in the set of column {col}, found {} (tshark 4.0's sets take commas)",
                            show(&t)
                        ),
                    ))
                }
            }
        }
        Ok(Expr::In(f, items))
    }

    fn field(&mut self) -> Result<FieldRef, FilterError> {
        let (name, col) = match self.next()? {
            (Tok::Word(w), c) if w.starts_with(|c: char| c.is_ascii_alphabetic()) => (w, c),
            (t, c) => {
                return Err(FilterError::new(
                    c,
                    format!("expected a field name, found {}", show(&t)),
                ))
            }
        };
        let mut f = FieldRef {
            name,
            col,
            slice: None,
        };
        if self.is(&["["], &[])? {
            self.next()?;
            f.slice = Some(self.slice()?);
        }
        Ok(f)
    }

    /// After `[`: `i`, `i:len`, `i-j`, `i:`, `:len`, up to `]`.
    fn slice(&mut self) -> Result<Slice, FilterError> {
        let num = |w: &str, c: usize| -> Result<i64, FilterError> {
            w.parse::<i64>()
                .map_err(|_| FilterError::new(c, format!("'{w}' is not a slice offset")))
        };
        let mut tok = self.lx.next(true)?;
        let mut start = 0;
        let mut neg = false;
        if tok.0 == Tok::Op("-") {
            neg = true;
            tok = self.lx.next(true)?;
        }
        if let (Tok::Word(w), c) = &tok {
            start = num(w, *c)?;
            if neg {
                start = -start;
            }
            tok = self.lx.next(true)?;
        }
        let len = match tok {
            (Tok::Op("]"), _) => {
                return Ok(Slice {
                    start,
                    len: Some(1),
                })
            }
            (Tok::Op(":"), _) => match self.lx.next(true)? {
                (Tok::Op("]"), _) => return Ok(Slice { start, len: None }),
                (Tok::Word(w), c) => Some(num(&w, c)?.max(0) as u64),
                (t, c) => return Err(FilterError::new(c, format!("{} in a slice", show(&t)))),
            },
            (Tok::Op("-"), _) => match self.lx.next(true)? {
                (Tok::Word(w), c) => {
                    let end = num(&w, c)?;
                    Some((end - start + 1).max(0) as u64)
                }
                (t, c) => return Err(FilterError::new(c, format!("{} in a slice", show(&t)))),
            },
            (t, c) => return Err(FilterError::new(c, format!("{} in a slice", show(&t)))),
        };
        match self.lx.next(true)? {
            (Tok::Op("]"), _) => Ok(Slice { start, len }),
            (t, c) => Err(FilterError::new(
                c,
                format!("expected ']', found {}", show(&t)),
            )),
        }
    }
}
