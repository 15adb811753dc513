//! The floor for any YAML-aware filter, for the benchmarks: read stdin, split
//! it into documents exactly as the filter does, write every document back.
//! No parsing. `--scan` also runs the YAML parser over every document (on all
//! cores) without building anything: the floor for a filter that validates.

use std::io::{Read, Write};

use rayon::prelude::*;
use workflow_registry::yaml::split;

fn main() {
    let scan = std::env::args().any(|a| a == "--scan");
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("UTF-8 on stdin");
    let chunks = split::split(&input);
    if scan {
        let events: usize = chunks
            .par_iter()
            .map(|c| {
                granit_parser::Parser::new_from_str(c.text)
                    .try_fold(0usize, |n, e| e.map(|_| n + 1))
                    .expect("valid YAML")
            })
            .sum();
        eprintln!("{events} events");
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for chunk in &chunks {
        out.write_all(chunk.text.as_bytes()).unwrap();
    }
    out.flush().unwrap();
}
