//! The GCR service-account key: raw JSON, base64 of it (what Workflow's Helm
//! v2 chart demanded), or `@path`. All three give the same raw JSON.

use base64::Engine;

use crate::files::{self, Base};

/// Workflow's own placeholders, left in by operators more than once.
const PLACEHOLDERS: &[&str] = &["Paste JSON data here.", "<base64-encoded JSON data>"];

/// The raw JSON of the configured value, checked to be a service-account key.
/// `@path` is read relative to `base` (confined to it for a config file's
/// value). Messages never contain the key.
pub fn decode(value: &str, base: &Base) -> Result<String, String> {
    if let Some(p) = PLACEHOLDERS.iter().find(|p| value.trim() == **p) {
        return Err(format!(
            "is still Workflow's placeholder `{p}`: paste the service-account key JSON"
        ));
    }
    let raw = if let Some(path) = value.strip_prefix('@') {
        // Errors name the file tried, but a key pasted after `@` by mistake must not be shown.
        let odd = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '{' | '}' | '"');
        let shown = path.len() <= 1024 && !path.contains(odd);
        files::read(path, base, files::Kind::KeyFile).map_err(|e| match shown {
            true => e.to_string(),
            false => format!(
                "starts with `@`, which names a key file, but what follows is not a path ({} characters, not shown: \
                 white space, quotes or braces, or too long): paste the key without `@`, or name its file",
                path.chars().count()
            ),
        })?
    } else {
        value.to_owned()
    };
    let raw = raw.trim();
    let json = if raw.starts_with('{') {
        raw.to_owned()
    } else {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| {
            let mut why = "is neither JSON nor base64 of JSON (expected a service-account key)".to_string();
            // `GCR_KEY_JSON=key.json` meant the file: say so (the name is never the key).
            let file_name =
                raw.len() < 256 && !raw.contains(char::is_whitespace) && (raw.ends_with(".json") || raw.contains('/'));
            if file_name && files::read(raw, base, files::Kind::KeyFile).is_ok() {
                why.push_str(&format!("; {raw:?} is a file: did you mean @{raw}?"));
            }
            why
        })?;
        let text = String::from_utf8(bytes).map_err(|_| "decodes from base64 to something that is not text")?;
        text.trim().to_owned()
    };
    check(&json).map(|()| json)
}

fn check(json: &str) -> Result<(), String> {
    // serde_json's messages name only a position, never the content.
    let key: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("is not valid JSON ({e})"))?;
    let field = |name: &str| key.get(name).and_then(|v| v.as_str()).filter(|s| !s.trim().is_empty());
    if field("type") != Some("service_account") {
        return Err("is not a service-account key: `type` must be \"service_account\"".into());
    }
    let fields = ["project_id", "client_email", "private_key", "private_key_id"];
    let missing: Vec<&str> = fields.into_iter().filter(|f| field(f).is_none()).collect();
    if !missing.is_empty() {
        let missing = missing.join(", ");
        return Err(format!("lacks {missing} (download a new key for the service account)"));
    }
    let pem = field("private_key").unwrap_or_default();
    if !(pem.contains("-----BEGIN") && pem.contains("PRIVATE KEY-----")) {
        return Err("has a private_key that is not a PEM private key".into());
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const KEY: &str = r#"{"type": "service_account", "project_id": "my-proj", "private_key_id": "abc123",
 "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEv-NOT-A-REAL-KEY\n-----END PRIVATE KEY-----\n",
 "client_email": "deis@my-proj.iam.gserviceaccount.com"}"#;

    #[test]
    fn raw_base64_and_file_give_the_same_json() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(KEY);
        let path = std::env::temp_dir().join(format!("wr-key-{}.json", std::process::id()));
        std::fs::write(&path, format!("{KEY}\n")).unwrap();
        let from_file = decode(&format!("@{}", path.display()), &Base::Anywhere);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(decode(KEY, &Base::Anywhere).unwrap(), KEY);
        assert_eq!(decode(&b64, &Base::Anywhere).unwrap(), KEY);
        assert_eq!(from_file.unwrap(), KEY);
    }

    #[test]
    fn placeholders_and_broken_keys_are_named_without_the_key() {
        assert!(decode("Paste JSON data here.", &Base::Anywhere)
            .unwrap_err()
            .contains("placeholder `Paste JSON data here.`"));
        assert!(decode("<base64-encoded JSON data>", &Base::Anywhere)
            .unwrap_err()
            .contains("placeholder"));
        let e = decode(
            &KEY.replace("\"type\": \"service_account\"", "\"type\": \"user\""),
            &Base::Anywhere,
        )
        .unwrap_err();
        assert!(e.contains("`type`") && !e.contains("NOT-A-REAL-KEY"), "{e}");
        let e = decode(&KEY.replace("\"client_email\"", "\"email\""), &Base::Anywhere).unwrap_err();
        assert!(e.contains("client_email"), "{e}");
        assert!(decode("{\"type\": ", &Base::Anywhere)
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(decode("%%%", &Base::Anywhere)
            .unwrap_err()
            .contains("neither JSON nor base64"));
    }
}
