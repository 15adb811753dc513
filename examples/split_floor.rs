//! The floor for any YAML-aware filter, for the benchmarks: read stdin, split
//! it into documents exactly as the filter does, write every document back.
//! No parsing. `--scan` also runs the YAML parser over every document (on all
//! cores) without building anything: the floor for a filter that validates.
//! `--reread WORD,WORD...` (with `--scan`) runs the parser a second time over
//! every document whose text holds one of the words: given the documents a
//! filter edits, the floor for one that reads each edited document back to
//! check it (`scripts/bench.py --edit-heavy` names the builder and controller).

use std::io::{Read, Write};

use rayon::prelude::*;
use workflow_registry::yaml::split;

fn events(text: &str) -> usize {
    granit_parser::Parser::new_from_str(text)
        .try_fold(0usize, |n, e| e.map(|_| n + 1))
        .expect("valid YAML")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scan = args.iter().any(|a| a == "--scan");
    let reread: Vec<&str> = args
        .iter()
        .position(|a| a == "--reread")
        .and_then(|i| args.get(i + 1))
        .map(|words| words.split(',').collect())
        .unwrap_or_default();
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("UTF-8 on stdin");
    let chunks = split::split(&input);
    if scan {
        let events: usize = chunks
            .par_iter()
            .map(|c| {
                let again = reread.iter().any(|w| c.text.contains(w));
                events(c.text) + if again { events(c.text) } else { 0 }
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
