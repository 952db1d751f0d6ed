//! The literals of the expression language, read as Python reads them: integers (`0x`, `0o`,
//! `0b`, `_` separators, a sign) and `str`/`bytes` literals (prefixes `b`, `r`, triple quotes,
//! Python's escapes, `\N{NAME}` included). The grammar around them is in `mod.rs`.

use super::{Parser, Spanned};
use crate::frame::expr::value::Value;
use crate::frame::expr::ExprError;

impl Parser {
    pub(super) fn int(&mut self) -> Result<Spanned, ExprError> {
        let col = self.col();
        let mut neg = false;
        while let Some(c @ ('-' | '+')) = self.peek() {
            neg ^= c == '-';
            self.i += 1;
            self.ws();
        }
        let start = self.i;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            self.i += 1;
        }
        let text: String = self.s[start..self.i].iter().collect();
        if text.is_empty() {
            return Err(self.err("a number is missing after the sign"));
        }
        let lower = text.to_ascii_lowercase();
        let (radix, digits) = match lower.get(..2) {
            Some("0x") => (16, &lower[2..]),
            Some("0o") => (8, &lower[2..]),
            Some("0b") => (2, &lower[2..]),
            _ => (10, lower.as_str()),
        };
        let bad = || ExprError::new(col, format!("'{text}' is not an integer"));
        if digits.is_empty()
            || digits.starts_with('_')
            || digits.ends_with('_')
            || digits.contains("__")
            || (radix == 10
                && digits.len() > 1
                && digits.starts_with('0')
                && !digits.trim_start_matches(['0', '_']).is_empty())
        {
            return Err(bad());
        }
        let clean: String = digits.chars().filter(|c| *c != '_').collect();
        let n = i128::from_str_radix(&clean, radix).map_err(|e| {
            if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) {
                ExprError::new(col, format!("'{text}' is too large"))
            } else {
                bad()
            }
        })?;
        Ok((Value::Int(if neg { -n } else { n }), col))
    }

    /// A `"..."`/`'...'` str or `b"..."` bytes literal (prefixes b, r, rb, br in any case).
    pub(super) fn string(&mut self) -> Result<Spanned, ExprError> {
        let col = self.col();
        let (mut bytes, mut raw) = (false, false);
        while let Some(c @ ('b' | 'B' | 'r' | 'R')) = self.peek() {
            bytes |= c.eq_ignore_ascii_case(&'b');
            raw |= c.eq_ignore_ascii_case(&'r');
            self.i += 1;
        }
        let q = self.peek().unwrap_or('"');
        let triple = self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..]);
        self.i += if triple { 3 } else { 1 };
        let unterminated = || {
            ExprError::new(
                col,
                format!("unterminated string: the {q} opened here is never closed"),
            )
        };
        let mut out: Vec<u8> = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(unterminated());
            };
            if c == q && (!triple || self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..])) {
                self.i += if triple { 3 } else { 1 };
                break;
            }
            if c == '\n' && !triple {
                return Err(unterminated());
            }
            let ccol = self.col();
            self.i += 1;
            if c != '\\' || raw {
                if raw && c == '\\' {
                    // In a raw string a backslash still protects the quote after it.
                    if let Some(n) = self.peek() {
                        self.push_char(bytes, &mut out, &mut text, '\\', ccol)?;
                        self.i += 1;
                        self.push_char(bytes, &mut out, &mut text, n, ccol + 1)?;
                        continue;
                    }
                }
                self.push_char(bytes, &mut out, &mut text, c, ccol)?;
                continue;
            }
            let Some(e) = self.peek() else {
                return Err(unterminated());
            };
            self.i += 1;
            let simple = match e {
                '\n' => Some(None),
                '\\' => Some(Some('\\')),
                '\'' => Some(Some('\'')),
                '"' => Some(Some('"')),
                'a' => Some(Some('\x07')),
                'b' => Some(Some('\x08')),
                'f' => Some(Some('\x0c')),
                'n' => Some(Some('\n')),
                'r' => Some(Some('\r')),
                't' => Some(Some('\t')),
                'v' => Some(Some('\x0b')),
                _ => None,
            };
            if let Some(ch) = simple {
                if let Some(ch) = ch {
                    self.push_char(bytes, &mut out, &mut text, ch, ccol)?;
                }
                continue;
            }
            match e {
                '0'..='7' => {
                    let mut n = e.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match self.peek().and_then(|d| d.to_digit(8)) {
                            Some(d) => {
                                n = n * 8 + d;
                                self.i += 1;
                            }
                            None => break,
                        }
                    }
                    if bytes {
                        out.push((n & 0xff) as u8);
                    } else {
                        text.push(char::from_u32(n).unwrap_or('\0'));
                    }
                }
                'x' => {
                    let n = self.hex_digits(2, ccol, "\\x")?;
                    if bytes {
                        out.push(n as u8);
                    } else {
                        text.push(char::from_u32(n).unwrap_or('\0'));
                    }
                }
                'N' if bytes => {
                    return Err(ExprError::new(
                        ccol,
                        "\\N{...} is not allowed in bytes (Python: only a str literal names \
                         characters; write the UTF-8 bytes as \\x escapes)",
                    ));
                }
                'N' => text.push(self.named_char(ccol)?),
                'u' | 'U' if !bytes => {
                    let n = self.hex_digits(if e == 'u' { 4 } else { 8 }, ccol, "\\u")?;
                    let ch = char::from_u32(n).ok_or_else(|| {
                        ExprError::new(ccol, format!("\\{e}{n:x} is not a Unicode character"))
                    })?;
                    text.push(ch);
                }
                other => {
                    // Python keeps an unknown escape as it is, backslash included.
                    self.push_char(bytes, &mut out, &mut text, '\\', ccol)?;
                    self.push_char(bytes, &mut out, &mut text, other, ccol + 1)?;
                }
            }
        }
        Ok((
            if bytes {
                Value::Bytes(out)
            } else {
                Value::Str(text)
            },
            col,
        ))
    }

    /// After `\N`: `{NAME}`, a Unicode character name as Python's `\N{...}` takes it (any
    /// case), looked up in `unicode_names2`'s table.
    fn named_char(&mut self, col: usize) -> Result<char, ExprError> {
        let malformed = || {
            ExprError::new(
                col,
                "malformed \\N character escape: expected \\N{NAME}, e.g. \\N{LATIN SMALL \
                 LETTER E WITH ACUTE}",
            )
        };
        if !self.eat('{') {
            return Err(malformed());
        }
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == '}' {
                break;
            }
            if !(c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
                return Err(malformed());
            }
            self.i += 1;
        }
        if self.peek() != Some('}') || self.i == start {
            return Err(malformed());
        }
        let name: String = self.s[start..self.i].iter().collect();
        self.i += 1;
        unicode_names2::character(&name.to_ascii_uppercase()).ok_or_else(|| {
            ExprError::new(
                col,
                format!("unknown Unicode character name '{name}' in \\N{{...}}"),
            )
        })
    }

    fn push_char(
        &self,
        bytes: bool,
        out: &mut Vec<u8>,
        text: &mut String,
        c: char,
        col: usize,
    ) -> Result<(), ExprError> {
        if !bytes {
            text.push(c);
        } else if c.is_ascii() {
            out.push(c as u8);
        } else {
            return Err(ExprError::new(
                col,
                format!("bytes can only contain ASCII characters ('{c}'; write it as \\x escapes)"),
            ));
        }
        Ok(())
    }

    fn hex_digits(&mut self, n: usize, col: usize, what: &str) -> Result<u32, ExprError> {
        let mut v = 0u32;
        for _ in 0..n {
            let d = self.peek().and_then(|c| c.to_digit(16)).ok_or_else(|| {
                ExprError::new(col, format!("{what} escape needs {n} hex digits"))
            })?;
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }
}
