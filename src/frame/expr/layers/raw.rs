//! `Raw` and `Padding`: bytes as given.

use super::super::{Ctx, ExprError, Fields, LayerClass};
use super::Binding;

pub(super) const PROTOS: &[&dyn LayerClass] = &[&Raw, &Padding];
pub(super) const BINDINGS: &[Binding] = &[];

/// `Raw(load=b"...")`; a bare string or bytes in an expression is one.
#[derive(Debug)]
pub struct Raw;

impl LayerClass for Raw {
    fn name(&self) -> &'static str {
        "Raw"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["load"]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        out.extend_from_slice(&f.bytes("load")?.unwrap_or_default());
        Ok(())
    }
}

/// `Padding(load=...)`: bytes after the datagram, counted in no length.
#[derive(Debug)]
pub struct Padding;

impl LayerClass for Padding {
    fn name(&self) -> &'static str {
        "Padding"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["load"]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        out.extend_from_slice(&f.bytes("load")?.unwrap_or_default());
        Ok(())
    }
}
