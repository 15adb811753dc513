//! The span-splicing editor: upsert named items into a list of an arbitrary
//! document, held to the meaning of the edit (see editor_oracle.rs, which
//! tests/fuzz_replay.rs also runs over the saved corpus).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("editor_oracle.rs");

fuzz_target!(|data: &[u8]| {
    check(data);
});
