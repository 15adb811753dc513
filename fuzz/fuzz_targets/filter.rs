//! The whole filter against the reference model (tests/model, the same
//! oracle as the differential test): see filter_oracle.rs, which
//! tests/fuzz_replay.rs also runs over the saved corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod filter_oracle;

fuzz_target!(|data: &[u8]| {
    filter_oracle::check(data);
});
