//! Display-filter conditions of `expect`, `sr`, `expect_none` and `prog_run` (`filter:
//! 'udp.srcport != 40000 && ip.src == 198.18.0.0/15'`): Wireshark's language, the engine of
//! [`crate::frame::filter`], checked when the file loads (a filter that does not compile is a
//! load error naming the line and the column in the filter).
//!
//! A filter may use values saved by earlier steps (`udp.dstport == ${natport}`): it is then
//! checked at load with a stand-in of the saved field's type in each `${name}` (so a saved
//! port compared with an address is a load error), and compiled again with the values when the
//! step runs. `prog_run` checks the frame its program leaves with [`FilterCond::holds`].

use std::borrow::Cow;

use super::check_steps::{substitute, var_names};
use super::model::Vars;
use crate::frame::filter::{sample_literal, Filter};

/// A checked filter condition.
#[derive(Debug, Clone)]
pub struct FilterCond {
    /// As written.
    pub text: String,
    /// Compiled at load; `None` when it uses saved values (compiled when the step runs).
    compiled: Option<Filter>,
}

impl FilterCond {
    /// Check `text`; `saved_field` gives the field a saved name was saved from (for the
    /// stand-in value of `${name}`). The error is one line: `column C: what is wrong`.
    pub fn new(
        text: &str,
        saved_field: &dyn Fn(&str) -> Option<&'static str>,
    ) -> Result<FilterCond, String> {
        let names = var_names(text);
        if names.is_empty() {
            let f = Filter::parse(text).map_err(|e| e.to_string())?;
            return Ok(FilterCond {
                text: text.to_string(),
                compiled: Some(f),
            });
        }
        let stand_ins: Vars = names
            .iter()
            .map(|n| {
                let lit = saved_field(n).and_then(sample_literal).unwrap_or("0");
                (n.to_string(), lit.to_string())
            })
            .collect();
        let checked = substitute(text, &stand_ins);
        Filter::parse(&checked).map_err(|e| {
            format!("{e} (with a stand-in of each saved value's type: '{checked}')")
        })?;
        Ok(FilterCond {
            text: text.to_string(),
            compiled: None,
        })
    }

    /// The filter with the saved values in place.
    pub fn resolve(&self, vars: &Vars) -> Result<Cow<'_, Filter>, String> {
        match &self.compiled {
            Some(f) => Ok(Cow::Borrowed(f)),
            None => {
                let text = substitute(&self.text, vars);
                Filter::parse(&text)
                    .map(Cow::Owned)
                    .map_err(|e| format!("filter '{text}': {e}"))
            }
        }
    }

    /// Whether `frame` passes (saved values from `vars`); an error when the values make the
    /// filter invalid (a saved value not of the field's type).
    pub fn holds(&self, frame: &[u8], vars: &Vars) -> Result<bool, String> {
        Ok(self.resolve(vars)?.matches_frame(frame))
    }
}

impl PartialEq for FilterCond {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl std::fmt::Display for FilterCond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_at_load_with_stand_ins() {
        let none = |_: &str| None;
        assert!(FilterCond::new("udp.port == 9", &none).is_ok());
        let e = FilterCond::new("udp.prot == 9", &none).unwrap_err();
        assert!(e.starts_with("column 1: "), "{e}");
        let port = |_: &str| Some("udp.srcport");
        let c = FilterCond::new("udp.dstport == ${p}", &port).unwrap();
        let e = FilterCond::new("ip.src == ${p}", &port).unwrap_err();
        assert!(e.contains("column 11"), "{e}");
        let mut vars = Vars::new();
        vars.insert("p".into(), "9".into());
        assert_eq!(c.resolve(&vars).unwrap().text(), "udp.dstport == 9");
        vars.insert("p".into(), "x".into());
        assert!(c.resolve(&vars).is_err());
    }
}
