//! Carry out the plan. Each rewrite is spliced into its document's own text
//! (documents in parallel), at the places the plan names in the decoded
//! document, found again in a fresh parse of that document; the editor
//! checks that the result means exactly the edits. Untouched documents are
//! borrowed from the input; generated ones are rendered in its layout.

use std::borrow::Cow;

use super::plan::{Edit, Op, Plan, Step};
use super::{generate, Error};
use crate::config::Settings;
use crate::manifest::{Doc, InputError, Manifest, Piece, Reading, Resource};
use crate::par;
use crate::yaml::edit::{EditError, Editor};
use crate::yaml::emit::{self, Layout};
use crate::yaml::journal::locate;
use crate::yaml::yaml11::{self, key_name};
use crate::yaml::{split, tree};

/// The output stream as pieces, and what each rewritten or generated
/// document holds (for the post-condition).
pub struct Applied<'a> {
    pub pieces: Vec<Cow<'a, str>>,
    /// Each input document that was rewritten, holding the objects its
    /// edited text decodes to.
    pub rewritten: Vec<Doc<'a>>,
    pub generated: Vec<String>,
    pub warnings: Vec<String>,
    /// Whether the last piece is a generated document the input goes on after.
    pub after_generated: bool,
    pub layout: Layout,
}

pub fn apply<'a>(
    manifest: &Manifest<'a>,
    plan: &Plan,
    settings: &Settings,
    reading: Reading<'_>,
) -> Result<Applied<'a>, Error> {
    let layout_of = |d: &Doc<'_>| Layout {
        seq_indent: d.seq_indent.or(manifest.seq_indent).unwrap_or(2),
        newline: emit::detect_newline(d.chunk.text),
    };
    let mut rewrites: Vec<(&Doc<'a>, &[Edit])> = Vec::new();
    for d in manifest.docs() {
        if let Some(Step::Rewrite(edits)) = plan.step(d.index) {
            rewrites.push((d, edits));
        }
    }
    let layout = Layout {
        seq_indent: manifest.seq_indent.unwrap_or(2),
        newline: if manifest.crlf { "\r\n" } else { "\n" },
    };
    let mut out = Applied {
        pieces: Vec::with_capacity(manifest.pieces.len() + plan.additions.len()),
        rewritten: Vec::with_capacity(rewrites.len()),
        generated: Vec::new(),
        warnings: Vec::new(),
        after_generated: false,
        layout,
    };
    let mut texts = std::collections::BTreeMap::new();
    let done = par::try_map(&rewrites, |(d, edits)| rewrite(d, edits, layout_of(d), reading))?;
    for ((d, _), (text, json, doubled)) in rewrites.iter().zip(done) {
        out.rewritten.extend(json.map(|resources| Doc {
            resources,
            seq_indent: None,
            ..**d
        }));
        texts.insert(d.index, text);
        out.warnings.extend(doubled);
    }
    let add = |out: &mut Applied<'_>, before| {
        for a in plan.additions.iter().filter(|a| a.before == before) {
            out.add(generate::document(a.what, settings, &plan.effective, layout));
        }
    };
    for piece in &manifest.pieces {
        match piece {
            Piece::Text { text, .. } => out.push_input(Cow::Borrowed(text)),
            Piece::Doc(d) => {
                add(&mut out, Some(d.index));
                match (plan.step(d.index), texts.remove(&d.index)) {
                    (Some(Step::Remove(_)), _) => {}
                    (_, Some(pieces)) => out.push_pieces(pieces),
                    (_, None) => out.push_input(Cow::Borrowed(d.chunk.text)),
                }
            }
        }
    }
    if plan.additions.iter().any(|a| a.before.is_none()) {
        out.may_go_on(manifest)?;
    }
    add(&mut out, None);
    Ok(out)
}

type Rewritten<'a> = (Vec<Cow<'a, str>>, Option<Vec<Resource>>, Vec<String>);

/// A document's edited text as pieces, the objects it decodes to (`None`:
/// unchanged), and a warning for each edited key written twice. The decoded
/// value is read at once: thousands of them would outweigh the stream.
fn rewrite<'a>(
    doc: &Doc<'a>,
    edits: &[Edit],
    layout: Layout,
    reading: Reading<'_>,
) -> Result<Rewritten<'a>, InputError> {
    let located = |e: EditError| doc.error_at_line(e.line, format!("cannot configure it: {}", e.message));
    let Ok(Some((root, features))) = tree::parse_document(doc.chunk.text) else {
        return Err(doc.error_at_line(1, "cannot configure it: the document no longer parses"));
    };
    let mut editor = Editor::new(doc.chunk.text, layout);
    let mut doubled = Vec::new();
    for edit in edits {
        editor.edit(&root, &edit.op).map_err(located)?;
        if let Some((key, lines)) = doubled_key(&root, &edit.op) {
            let first = doc.chunk.first_line;
            let shown: Vec<String> = lines.iter().map(|l| (first + l - 1).to_string()).collect();
            let (count, shown) = (lines.len(), shown.join(", "));
            let message = format!(
                "`{key}` is written {count} times in one mapping (lines {shown}); Kubernetes reads the last, which is \
                 the one configured, and the others are left as written"
            );
            let last = lines.last().copied().unwrap_or(1);
            let warning = doc.error_at_line(last, message).to_string();
            // Two edits of one key (a variable and a mount in one `env`) warn once.
            if !doubled.contains(&warning) {
                doubled.push(warning);
            }
        }
    }
    let (text, decoded) = editor.apply_decoded(&root, features).map_err(located)?;
    let resources = decoded.map(|json| Resource::read_all(&json, reading)).transpose();
    let resources = resources.map_err(|e| doc.error_at_line(1, format!("cannot configure it: {}", e.message)))?;
    Ok((text, resources, doubled))
}

/// The key `op` edits, when its mapping writes it more than once, and the
/// (document) lines of each: charts render such keys (Drycc's CronJobs carry
/// `env` twice), Kubernetes reads the last one, and so does the editor.
fn doubled_key<'o>(root: &tree::Node<'_>, op: &'o Op) -> Option<(&'o str, Vec<usize>)> {
    let key = match op {
        Op::Set { key, .. } | Op::Unset { key, .. } => key,
        Op::Upsert { list, .. } | Op::Remove { list, .. } => list,
    };
    let map = locate(root, op.at()).ok()?.as_mapping()?;
    let named = |e: &&tree::Entry<'_>| key_name(&e.key).as_deref() == Some(key);
    let lines: Vec<usize> = map.entries.iter().filter(named).map(|e| e.key.loc().line).collect();
    (lines.len() > 1).then_some((key.as_str(), lines))
}

impl<'a> Applied<'a> {
    /// The last piece that holds text.
    fn last(&self) -> Option<&Cow<'a, str>> {
        self.pieces.iter().rev().find(|p| !p.is_empty())
    }

    /// Whether documents may be added after the output so far. A stream that
    /// ends without a line break needs one before the next `---`, and a
    /// block scalar ending the stream (`|`, `|+`) would take it as part of
    /// its value: checked, and refused (at the stream's last line) when the
    /// last document would read otherwise.
    fn may_go_on(&self, manifest: &Manifest<'_>) -> Result<(), InputError> {
        if self.last().is_none_or(|p| p.ends_with(['\n', '\r'])) {
            return Ok(());
        }
        let text = self.pieces.concat();
        let Some(last) = split::chunks(&text).last() else {
            return Ok(());
        };
        let read = |t: &str| match tree::parse_document(t) {
            Ok(Some((root, features))) => yaml11::decode_with(&root, features).ok(),
            _ => None,
        };
        if read(last.text) == read(&format!("{}{}", last.text, self.layout.newline)) {
            return Ok(());
        }
        let text = |p: &Piece<'_>| match p {
            Piece::Text { text, .. } => text.matches('\n').count(),
            Piece::Doc(d) => d.chunk.text.matches('\n').count(),
        };
        let input_lines: usize = manifest.pieces.iter().map(text).sum();
        Err(InputError {
            document: "the stream's last document".into(),
            line: input_lines + 1,
            col: None,
            message: "the stream ends inside a block scalar without a line break, and the line break the documents \
                      this tool adds need before them would become part of its value: end the stream with a line \
                      break"
                .into(),
        })
    }

    fn add(&mut self, body: String) {
        // Its `---` line, after a line break when what came before has none.
        let newline = self.layout.newline;
        let open_line = self.last().is_some_and(|p| !p.ends_with('\n'));
        let lead = if open_line { newline } else { "" };
        self.pieces.push(Cow::Owned(format!("{lead}---{newline}{body}")));
        self.generated.push(body);
        self.after_generated = true;
    }

    /// Push an edited input document, as pieces (its unchanged parts
    /// borrowed from the input).
    fn push_pieces(&mut self, pieces: Vec<Cow<'a, str>>) {
        if self.after_generated {
            self.push_input(Cow::Owned(pieces.concat()));
        } else {
            self.pieces.extend(pieces);
        }
    }

    /// Push an input document's text. After a generated document it must
    /// start a document of its own: only the stream's first document may
    /// lack a `---` line (and hold the stream's byte order mark), and a later
    /// one may open with directives, which must follow a `...` line; written
    /// as they are, either would run into the generated one.
    fn push_input(&mut self, text: Cow<'a, str>) {
        if !std::mem::take(&mut self.after_generated) {
            self.pieces.push(text);
            return;
        }
        const BOM: char = '\u{feff}';
        let rest = text.strip_prefix(BOM);
        if rest.is_some() {
            // The byte order mark belongs at the start of the stream.
            match self.pieces.first_mut() {
                Some(first) => first.to_mut().insert(0, BOM),
                None => self.pieces.push(Cow::Owned(BOM.to_string())),
            }
        }
        let (bom, rest) = (rest.is_some(), rest.unwrap_or(&text));
        let has_marker =
            rest.starts_with("---") && matches!(rest.as_bytes().get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
        let piece = match (has_marker, rest.starts_with('%')) {
            (true, _) if bom => Cow::Owned(rest.to_owned()),
            (true, _) => text,
            (false, true) => Cow::Owned(format!("...{}{rest}", self.layout.newline)),
            (false, false) => Cow::Owned(format!("---{}{rest}", self.layout.newline)),
        };
        self.pieces.push(piece);
    }
}
