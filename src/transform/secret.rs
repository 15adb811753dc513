//! Bringing an existing `registry-secret` in line with the configuration,
//! in place: its other labels, annotations, comments and layout stay.

use base64::Engine;

use super::generate::LOCATION_ANNOTATION;
use crate::config::Settings;
use crate::manifest::Document;
use crate::yaml::edit::Editor;
use crate::yaml::emit::Value;
use crate::yaml::tree::Node;

/// Edits that make `doc` the registry Secret for `settings`: the location
/// annotation, the `heritage` label, `type: Opaque`, and `data` with exactly
/// the location's keys. `stringData` is dropped: the API server would merge
/// it over `data`.
pub fn update(editor: &mut Editor<'_>, doc: &Document<'_>, settings: &Settings) {
    let Some(Node::Mapping(root)) = doc.root.as_ref() else {
        return;
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let data: Vec<(String, Value)> = settings
        .location
        .secret_data()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::Str(b64.encode(v))))
        .collect();
    let metadata = Value::map([
        ("labels", Value::map([("heritage", Value::str("deis"))])),
        (
            "annotations",
            Value::map([(LOCATION_ANNOTATION, Value::str(settings.location.name()))]),
        ),
    ]);
    editor.set_entry(root, "metadata", &metadata);
    editor.set_entry(root, "type", &Value::str("Opaque"));
    match root.get("data") {
        Some(Node::Mapping(existing)) => {
            for stale in existing
                .entries
                .iter()
                .filter(|e| !data.iter().any(|(k, _)| e.key.as_str() == Some(k)))
            {
                editor.remove_entry(existing, stale);
            }
            for (key, value) in &data {
                editor.set_entry(existing, key, value);
            }
        }
        _ => editor.set_entry(root, "data", &Value::Map(data)),
    }
    if let Some(string_data) = root.entry("stringData") {
        editor.remove_entry(root, string_data);
    }
}
