//! Step 3: carry out the plan. Rewrites are spliced into each document's own
//! text through its kept tree, documents in parallel; untouched documents are
//! borrowed from the input; generated ones are rendered in the stream's layout.

use std::borrow::Cow;

use rayon::prelude::*;

use super::classify::Class;
use super::components::Access;
use super::plan::{Addition, Edit, Effective, Plan, Step, NAMESPACE_REFRESH_VAR, TOKEN_REFRESH_VAR};
use super::targets::{LOCATION_VAR, PREFIX_VAR};
use super::{generate, inject, secret, Error};
use crate::config::Settings;
use crate::manifest::{containers, pod_spec, Container, Document, InputError, Piece, Scan, Summary};
use crate::yaml::edit::{EditError, Editor};
use crate::yaml::emit::{Layout, Value};
use crate::yaml::tree::Node;
use crate::yaml::yaml11;

/// A rewritten document, and which of its planned edits changed anything.
struct Rewritten {
    text: String,
    changed: Vec<bool>,
}

/// The output pieces, in order. Edits that turn out to change nothing (the
/// document already says what they would write) are taken out of the plan,
/// so that the plan and the report name real changes only.
pub fn apply<'a>(
    scan: &Scan<'a>,
    docs: &[&Summary<'a>],
    classes: &[Class],
    plan: &mut Plan,
    settings: &Settings,
    newline: &'static str,
) -> Result<Vec<Cow<'a, str>>, Error> {
    let rewrite = |(d, (c, step)): (&&Summary<'a>, (&Class, &Step))| -> Result<Option<Rewritten>, InputError> {
        match step {
            Step::Rewrite(edits) => {
                let doc = &d.doc;
                let layout = Layout {
                    seq_indent: c.seq_indent.unwrap_or(plan.effective.layout_seq_indent),
                    newline: crate::yaml::emit::detect_newline(d.chunk.text),
                };
                rewrite(doc, edits, settings, &plan.effective, layout).map(Some)
            }
            _ => Ok(None),
        }
    };
    let work = docs.iter().zip(classes.iter().zip(&plan.steps));
    let rewritten: Vec<Option<Rewritten>> = if docs.len() < 8 {
        work.map(rewrite).collect::<Result<_, _>>()?
    } else {
        // The first error in stream order, whichever thread met one first.
        let rewritten: Vec<Result<Option<Rewritten>, InputError>> = docs
            .par_iter()
            .zip(classes.par_iter().zip(plan.steps.par_iter()))
            .map(rewrite)
            .collect();
        rewritten.into_iter().collect::<Result<_, _>>()?
    };

    for (step, r) in plan.steps.iter_mut().zip(&rewritten) {
        if let (Step::Rewrite(edits), Some(r)) = (&mut *step, r) {
            let mut changed = r.changed.iter();
            edits.retain(|_| changed.next().copied().unwrap_or(true));
            if edits.is_empty() {
                *step = Step::Keep;
            }
        }
    }
    let plan = &*plan;
    let layout = Layout {
        seq_indent: plan.effective.layout_seq_indent,
        newline,
    };
    let mut pieces: Vec<Cow<'a, str>> = Vec::with_capacity(scan.pieces.len() + plan.additions.len());
    let add = |pieces: &mut Vec<Cow<'a, str>>, a: &Addition| {
        let body = generated(a, settings, &plan.effective, layout);
        let text = generated_document(pieces, &body, layout);
        pieces.push(Cow::Owned(text));
    };
    let mut planned = docs.iter().zip(&plan.steps).zip(rewritten);
    // Whether the last piece is a generated document that the input goes on after.
    let mut after_generated = false;
    let push_input = |pieces: &mut Vec<Cow<'a, str>>, text: Cow<'a, str>, after_generated: &mut bool| {
        if std::mem::take(after_generated) {
            start_new_document(pieces, text, layout);
        } else {
            pieces.push(text);
        }
    };
    for piece in &scan.pieces {
        let Piece::Doc(_) = piece else {
            if let Piece::Text { text, .. } = piece {
                push_input(&mut pieces, Cow::Borrowed(*text), &mut after_generated);
            }
            continue;
        };
        let Some(((d, step), text)) = planned.next() else {
            continue;
        };
        for a in plan.additions.iter().filter(|a| a.before == Some(d.index)) {
            add(&mut pieces, a);
            after_generated = true;
        }
        match (step, text) {
            (Step::Remove(_), _) => {}
            (Step::Rewrite(_), Some(r)) => push_input(&mut pieces, Cow::Owned(r.text), &mut after_generated),
            _ => push_input(&mut pieces, Cow::Borrowed(d.chunk.text), &mut after_generated),
        }
    }
    for a in plan.additions.iter().filter(|a| a.before.is_none()) {
        add(&mut pieces, a);
    }
    Ok(pieces)
}

/// The edited text of one document.
fn rewrite(
    doc: &Document<'_>,
    edits: &[Edit],
    settings: &Settings,
    effective: &Effective,
    layout: Layout,
) -> Result<Rewritten, InputError> {
    let located = |e: EditError| InputError::at(doc, e.line, format!("cannot configure it: {}", e.message));
    let mut editor = Editor::new(doc.chunk.text, layout);
    let all = containers(doc);
    for edit in edits {
        one_edit(&mut editor, doc, &all, edit, settings, effective).map_err(located)?;
    }
    let text = editor
        .apply_with(doc.root.as_ref().map(|r| (r, doc.features)))
        .map_err(located)?;
    // An edit may splice in what is already there: only real changes count.
    let changed = if text == doc.chunk.text {
        vec![false; edits.len()]
    } else if let [_] = edits {
        vec![true]
    } else {
        edits
            .iter()
            .map(|edit| {
                let mut alone = Editor::new(doc.chunk.text, layout);
                one_edit(&mut alone, doc, &all, edit, settings, effective).is_ok()
                    && alone
                        .apply_with(doc.root.as_ref().map(|r| (r, doc.features)))
                        .is_ok_and(|t| t != doc.chunk.text)
            })
            .collect()
    };
    Ok(Rewritten { text, changed })
}

/// Record one edit's splices.
fn one_edit(
    editor: &mut Editor<'_>,
    doc: &Document<'_>,
    all: &[Container<'_, '_>],
    edit: &Edit,
    settings: &Settings,
    effective: &Effective,
) -> Result<(), EditError> {
    {
        match edit {
            Edit::SetEnv { index, vars, .. } => {
                if let Some(c) = all.get(*index) {
                    inject::set_env(editor, c, vars)?;
                }
            }
            Edit::Refresher { index, image, .. } => {
                if let Some(c) = all.get(*index) {
                    inject::refresher_container(editor, c, image.as_deref())?;
                }
                if let Some(spec) = pod_spec(doc) {
                    inject::refresher_pod(editor, spec)?;
                }
            }
            Edit::RegistrySecret => secret::update(editor, doc, settings),
            Edit::Access(access) => {
                let Some(Node::Mapping(root)) = doc.root.as_ref() else {
                    return Ok(());
                };
                let namespace = effective.namespace.name.as_deref().unwrap_or_default();
                for (key, wanted) in inject::access_entries(*access, &settings.location, &effective.prefix, namespace) {
                    let have = root.get(key).map(yaml11::to_json);
                    if have.as_ref() == Some(&json(&wanted)) {
                        continue;
                    }
                    editor.set_entry(root, key, &wanted);
                }
            }
        }
    }
    Ok(())
}

/// A generated value as the decoder would read it back.
fn json(value: &Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Value::Str(s) => Json::String(s.clone()),
        Value::Int(i) => Json::from(*i),
        Value::Bool(b) => Json::Bool(*b),
        Value::Map(entries) => Json::Object(entries.iter().map(|(k, v)| (k.clone(), json(v))).collect()),
        Value::Seq(items) => Json::Array(items.iter().map(json).collect()),
    }
}

/// The body of a generated document.
fn generated(a: &Addition, settings: &Settings, effective: &Effective, layout: Layout) -> String {
    match (a.kind, Access::ALL.into_iter().find(|x| x.kind() == a.kind)) {
        ("Secret", _) => generate::registry_secret(settings, effective.namespace.name.as_deref(), layout),
        (_, Some(access)) => generate::refresher_access(access, settings, effective, layout),
        _ => generate::refresher_deployment(&refresher_vars(settings, effective), effective, layout),
    }
}

/// A new refresher's variables, as Workflow's chart set them.
fn refresher_vars(settings: &Settings, effective: &Effective) -> Vec<(String, String)> {
    vec![
        (LOCATION_VAR.into(), settings.location.name().into()),
        (PREFIX_VAR.into(), effective.prefix.clone()),
        (NAMESPACE_REFRESH_VAR.into(), "5".into()),
        (TOKEN_REFRESH_VAR.into(), effective.refresh_time.clone()),
    ]
}

/// Push an input document's text after generated ones, as a document of its
/// own. Only the stream's first document may lack a `---` line (and hold the
/// stream's byte order mark), and a later one may open with directives, which
/// must follow a `...` line: written as they are after a generated document,
/// either would run into it and make one document of the two.
fn start_new_document<'a>(pieces: &mut Vec<Cow<'a, str>>, text: Cow<'a, str>, layout: Layout) {
    const BOM: char = '\u{feff}';
    let (bom, rest) = match text.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, &*text),
    };
    let has_marker =
        rest.starts_with("---") && matches!(rest.as_bytes().get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
    let lead = if has_marker {
        ""
    } else if rest.starts_with('%') {
        "..."
    } else {
        "---"
    };
    if bom {
        // The byte order mark belongs at the start of the stream.
        match pieces.first_mut() {
            Some(first) => first.to_mut().insert(0, BOM),
            None => pieces.push(Cow::Owned(BOM.to_string())),
        }
    }
    if lead.is_empty() && !bom {
        pieces.push(text);
        return;
    }
    let mut owned = String::with_capacity(rest.len() + lead.len() + 2);
    if !lead.is_empty() {
        owned.push_str(lead);
        owned.push_str(layout.newline);
    }
    owned.push_str(rest);
    pieces.push(Cow::Owned(owned));
}

/// A generated document to follow `pieces`: its `---` line, preceded by a
/// line break when what came before did not end with one.
fn generated_document(pieces: &[Cow<'_, str>], body: &str, layout: Layout) -> String {
    let open_line = pieces
        .iter()
        .rev()
        .find(|p| !p.is_empty())
        .is_some_and(|p| !p.ends_with('\n'));
    let lead = if open_line { layout.newline } else { "" };
    format!("{lead}---{}{body}", layout.newline)
}
