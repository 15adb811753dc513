//! The lemma the meaning check's shortcut rests on (`src/yaml/region.rs`):
//! whenever `region::reread` answers for an edited document, the whole
//! edited document parses, and decodes to the original with the answered
//! collection replaced by the answered value.
//!
//! The splices are hostile on purpose: random text made of YAML's indicators,
//! line breaks of every kind and indentation of every depth, dropped at line
//! starts, inside scalars, at the ends of collections and across lines, over
//! base documents in every layout the filter meets. The expectation is the
//! whole-document parse and decode, never the code under test; a run also
//! asserts that the shortcut answered often enough to have been tested.

use serde_json::Value as Json;
use workflow_registry::yaml::region;
use workflow_registry::yaml::tree;
use workflow_registry::yaml::yaml11::{self, Seg};

const BASES: &[&str] = &[
    // Block, indented sequences, quoted values, a comment at every depth.
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n        - name: deis-builder\n          # env follows\n          env:\n            - name: \"DEIS_REGISTRY_LOCATION\"\n              value: \"on-cluster\"\n            - name: POD_NAMESPACE\n              valueFrom:\n                fieldRef:\n                  fieldPath: metadata.namespace\n          volumeMounts:\n            - name: creds\n              mountPath: /var/run\n      volumes:\n        - name: creds\n",
    // Indentless sequences, plain values, no final line break.
    "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-controller\n        env:\n        - name: A\n          value: one\n        - name: B\n          value: two\n        ports:\n        - containerPort: 8000",
    // Block scalars, kept and stripped, and indentation indicators.
    "kind: Secret\ndata:\n  a: |\n    line one\n\n    line two\n\n  b: >-\n    folded\n    text\n  c: |2+\n      indented\n\n  d: plain\n",
    // Multi-line plain and quoted scalars, comments between lines.
    "a:\n  b: first\n    second\n  # between\n  c: \"quoted\n    over lines\"\n  d: 'single\n\n    quoted'\n  e:\n    - x\n    # c\n    - y\n",
    // CRLF and a lone CR.
    "a:\r\n  b:\r\n    - name: x\r\n      value: 1\r\n  c: 2\r\n",
    "a:\r  b:\r    - name: x\r      value: 1\r  c: 2\r",
    // Flow collections inside block ones, trailing commas.
    "a:\n  b: {x: 1, y: [1, 2,],}\n  c:\n    - {name: n, value: v}\n    - [p, q]\n  d: 3\n",
    // Nested entries on one line, and a document end marker.
    "x:\n- - a: 1\n    b: 2\n  - c\n- d: 4\n...\n",
    // Duplicate keys: the later one is what Kubernetes reads.
    "a:\n  b:\n    c: 1\na:\n  b:\n    c: 2\n    d: 3\n",
    // Comments everywhere, and blank lines with spaces.
    "# head\na: # after a\n  # in a\n  b:   # after b\n    c: 1 # after c\n     \n    d: 2\n  # end of a\nz: 0\n",
    // Entries, keys and tabs after the indentation.
    "l:\n  -   k: 1\n      m:\t2\n  -\tn\n",
    // Explicit keys, with and without a value, one a block scalar (found by
    // review: the empty value of a `? key` sits on the next token's line).
    "x:\n  a:\n    k: 1\n    ? z\n  c: 1\n  d:\n    - ? y\n  e: 2\n",
    "data:\n  a: 1\n  ? |\n    kb\n  stale: x\n    # note\n  ? q\n  : r\nz: 0\n",
    // A tag or an anchor before a collection's first key, on its line: not
    // indentation, so never turned into spaces.
    "l:\n- !!binary aGk=: 1\n  b: 2\n- &a k: 1\n  m: 2\n",
    // An anchor inside a collection, its alias outside: a change to the
    // anchored value changes the alias too.
    "b:\n  c: &x 1\n  d: 2\ne: *x\n",
];

/// Pieces the random splice text is made of.
const PIECES: &[&str] = &[
    "\n", "\r\n", "\r", " ", "  ", "    ", "      ", "\t", "- ", "-", "a", "b: ", "name: x", "value: 2", "c: 1", ": ",
    "#c", " # c", "|", "|-", "|+", ">", "|2", "\"", "'", "\\", "{", "}", "[", "]", ",", "---", "...", "? ", "&a ",
    "*a", "!!str ", "!t ", "%", "<<: ", "~", "null", "é", "\u{feff}",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, so a failure replays.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A position worth splicing at: a line start, the start of a value, an
/// end of line, or anywhere.
fn position(rng: &mut Rng, text: &str) -> usize {
    let boundaries: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
    let at = |pred: &dyn Fn(usize) -> bool, rng: &mut Rng| {
        let all: Vec<usize> = boundaries.iter().copied().filter(|i| pred(*i)).collect();
        all.get(rng.below(all.len())).copied().unwrap_or(0)
    };
    let bytes = text.as_bytes();
    match rng.below(4) {
        0 => at(&|i| i == 0 || matches!(bytes.get(i - 1), Some(b'\n' | b'\r')), rng),
        1 => at(&|i| i >= 2 && bytes.get(i - 2..i) == Some(b": "), rng),
        2 => at(&|i| matches!(bytes.get(i), Some(b'\n' | b'\r') | None), rng),
        _ => boundaries.get(rng.below(boundaries.len())).copied().unwrap_or(0),
    }
}

/// Random splice text: mostly indented lines of keys, entries and values,
/// sometimes pure noise.
fn splice_text(rng: &mut Rng) -> String {
    let mut out = String::new();
    if rng.below(3) == 0 {
        for _ in 0..rng.below(6) {
            out.push_str(PIECES[rng.below(PIECES.len())]);
        }
        return out;
    }
    for _ in 0..rng.below(3) + 1 {
        out.push_str(&" ".repeat(rng.below(16)));
        for _ in 0..rng.below(3) + 1 {
            out.push_str(PIECES[rng.below(PIECES.len())]);
        }
        out.push_str(["\n", "\r\n", "", "\n"][rng.below(4)]);
    }
    out
}

fn decode(text: &str) -> Option<Json> {
    let (root, features) = tree::parse_document(text).ok()??;
    yaml11::decode_with(&root, features).ok()
}

fn replace(json: &mut Json, path: &[Seg], value: Json) -> bool {
    let mut node = json;
    for seg in path {
        node = match (node, seg) {
            (Json::Object(o), Seg::Key(k)) => match o.get_mut(k) {
                Some(n) => n,
                None => return false,
            },
            (Json::Array(a), Seg::Index(i)) => match a.get_mut(*i) {
                Some(n) => n,
                None => return false,
            },
            _ => return false,
        };
    }
    *node = value;
    true
}

#[test]
fn whenever_the_region_answers_the_whole_edited_document_means_the_original_with_that_region_replaced() {
    // REGION_SEED and REGION_ROUNDS run a longer or another campaign.
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let mut rng = Rng(env("REGION_SEED", 0x9e37_79b9_7f4a_7c15) | 1);
    let mut answered = 0;
    let mut tried = 0;
    for round in 0..env("REGION_ROUNDS", 60_000) as usize {
        let base = BASES[round % BASES.len()];
        let Ok(Some((root, features))) = tree::parse_document(base) else {
            panic!("base {} does not parse", round % BASES.len());
        };
        let original = decode(base).expect("every base decodes");
        // One to three splices, kept apart and in order, as the editor makes them.
        let mut cuts: Vec<(usize, usize, String)> = Vec::new();
        for _ in 0..rng.below(3) + 1 {
            let start = position(&mut rng, base);
            let end = if rng.below(3) == 0 {
                let e = position(&mut rng, base);
                if e < start {
                    continue;
                }
                e
            } else {
                start
            };
            cuts.push((start, end, splice_text(&mut rng)));
        }
        cuts.sort_by_key(|c| (c.0, c.1));
        if cuts.windows(2).any(|w| w[1].0 < w[0].1) || cuts.is_empty() {
            continue;
        }
        let mut edited = String::new();
        let mut at = 0;
        for (start, end, text) in &cuts {
            edited.push_str(&base[at..*start]);
            edited.push_str(text);
            at = *end;
        }
        edited.push_str(&base[at..]);
        let changed = (cuts[0].0, cuts.last().map_or(0, |c| c.1));
        tried += 1;
        let Some(part) = region::reread(base, &root, features, changed, &edited) else {
            continue;
        };
        answered += 1;
        let whole = decode(&edited);
        let mut expected = original.clone();
        assert!(
            replace(&mut expected, &part.path, part.value.clone()),
            "the answered path is not in the original: {:?}",
            part.path
        );
        assert_eq!(
            whole.as_ref(),
            Some(&expected),
            "base {}:\n{base}\nedited:\n{edited}\nanswered {:?} = {}",
            round % BASES.len(),
            part.path,
            part.value
        );
    }
    // The shortcut must have been taken, and refused, often enough to test.
    eprintln!("the region answered {answered} of {tried} edits");
    assert!(answered > tried / 20, "answered {answered} of {tried}");
    assert!(answered < tried, "answered all {tried}");
}

#[test]
fn a_value_replaced_in_place_is_answered_in_the_smallest_collection() {
    for base in BASES {
        let (root, features) = tree::parse_document(base).unwrap().unwrap();
        // Each plain value `x: v` that is a scalar on its own line.
        for (i, _) in base.match_indices(": ") {
            let end = base[i + 2..].find(['\n', '\r']).map_or(base.len(), |e| i + 2 + e);
            let value = &base[i + 2..end];
            if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                continue;
            }
            let edited = format!("{}\"changed\"{}", &base[..i + 2], &base[end..]);
            if let Some(part) = region::reread(base, &root, features, (i + 2, end), &edited) {
                let mut expected = decode(base).unwrap();
                assert!(replace(&mut expected, &part.path, part.value));
                assert_eq!(decode(&edited), Some(expected), "{edited}");
            }
        }
    }
}

/// `reread` for the edit `original[..lo] + new + original[hi..]`, checked
/// against the whole edited document: `Err` describes a disagreement.
fn check_splice(original: &str, lo: usize, hi: usize, new: &str) -> Result<bool, String> {
    let (root, features) = tree::parse_document(original).unwrap().unwrap();
    let edited = format!("{}{new}{}", &original[..lo], &original[hi..]);
    let Some(part) = region::reread(original, &root, features, (lo, hi), &edited) else {
        return Ok(false);
    };
    let mut expected = decode(original).unwrap();
    if !replace(&mut expected, &part.path, part.value.clone()) {
        return Err(format!("path {:?} not in the original", part.path));
    }
    let whole = decode(&edited);
    if whole.as_ref() != Some(&expected) {
        return Err(format!(
            "original {original:?}\nedited {edited:?} (lo {lo}, hi {hi})\nreread answered {:?} = {}\nso expected {expected}\nwhole edited decodes to {whole:?}",
            part.path, part.value
        ));
    }
    Ok(true)
}

/// Asserts that no splice in `cases` (original, lo, hi, new text) makes
/// `reread` disagree with the whole edited document; reports them all.
fn assert_agrees(cases: &[(&str, usize, usize, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(original, lo, hi, new)| check_splice(original, *lo, *hi, new).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_explicit_key_without_value_last_in_a_collection_does_not_stretch_it_over_the_next_line() {
    // The empty value of `? z` is placed at the next token (`c`, in the middle
    // of the less indented line after it), so the collection ending with it
    // seems to own that line.
    let map = "x:\n  a:\n    k: 1\n    ? z\n  c: 1\n";
    let seq = "x:\n  a:\n    - ? z\n  c: 1\n";
    let at = |t: &str| t.find("  c: 1").unwrap();
    assert_agrees(&[
        // Deleting the key `x.c`.
        (map, at(map), map.len(), ""),
        // Moving `c` into `a`.
        (map, at(map), at(map), "  "),
        // The same with a sequence whose last item is such a mapping.
        (seq, at(seq), seq.len(), ""),
    ]);
}

#[test]
fn a_block_scalar_key_without_value_last_in_the_part_takes_in_what_follows() {
    // The part's last node is the empty value of `? |`, not a block scalar,
    // but the key's block scalar goes on over the comments and blank lines
    // after the part.
    let comment = "x:\n  a:\n    k: 1\n      # note\n  c: 1\n";
    let blank = "x:\n  a:\n    k: 1\n\n  c: 1\n";
    let at = |t: &str| t.find("k: 1").unwrap();
    assert_agrees(&[
        (comment, at(comment), at(comment) + 4, "? |\n      v"),
        (blank, at(blank), at(blank) + 4, "? |+\n      v"),
    ]);
}

#[test]
fn the_editor_removing_an_entry_after_a_block_scalar_key_writes_a_text_that_means_something_else() {
    // Through the editor and its meaning check: removing `stale` leaves the
    // valueless `? |` key last in `data`, and its block scalar takes in the
    // comment that followed `stale`. The region check accepts (the part read
    // alone has the key `kb\n`), the whole edited document has the key
    // `kb\n# note\n`. (In debug builds the check's assert_eq panics instead.)
    use workflow_registry::yaml::edit::Editor;
    use workflow_registry::yaml::emit::Layout;
    let original = "data:\n  a: 1\n  ? |\n    kb\n  stale: x\n    # note\nz: 0\n";
    let (root, _) = tree::parse_document(original).unwrap().unwrap();
    let data = root.path(&["data"]).and_then(|n| n.as_mapping()).unwrap();
    let mut editor = Editor::new(original, Layout::default());
    editor.remove_entry(data, data.entry("stale").unwrap());
    let Ok(text) = editor.apply() else {
        return; // refused: nothing wrong was written
    };
    let mut want = decode(original).unwrap();
    want["data"].as_object_mut().unwrap().remove("stale");
    assert_eq!(decode(&text), Some(want), "the editor wrote {text:?}");
}
