//! Fuzz `explain`'s input handling: arbitrary bytes (invalid UTF-8, huge
//! lines, escaped newlines) must always give a report, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = smtp_doctor::explain_bytes(data);
    let mut out = Vec::new();
    smtp_doctor::render::json::render(&report, &mut out).expect("JSON renders");
    smtp_doctor::render::text::render(&report, false, &mut out).expect("text renders");
});
