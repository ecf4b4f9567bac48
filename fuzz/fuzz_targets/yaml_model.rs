//! Fuzzes the YAML → model → validation path: any bytes must give diagnostics, never a panic.
#![no_main]

use gantry_core::validate::{check_bytes, FileKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let kind = if data.first().is_some_and(|b| b & 1 == 1) { FileKind::Action } else { FileKind::Workflow };
    let checked = check_bytes(data, kind);
    for d in &checked.diagnostics {
        assert!(d.span.start.offset as usize <= data.len(), "diagnostic outside the input");
    }
});
