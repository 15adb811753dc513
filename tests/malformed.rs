//! The malformed-input corpus (testdata/malformed/): each file gets either a
//! clear error naming the document and line (exit 1, nothing on stdout), or a
//! documented pass-through. See testdata/malformed/README.md.

mod common;

use common::{binary, location_env, text};

fn corpus(name: &str) -> String {
    let path = common::root().join("testdata/malformed").join(name);
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

fn filter(name: &str) -> std::process::Output {
    let path = common::root().join("testdata/malformed").join(name);
    binary(&location_env("gcr")).arg("-f").arg(path).output().unwrap()
}

/// Exit 1, nothing on stdout, and a message naming `what`.
fn assert_rejected(name: &str, what: &[&str]) {
    let out = filter(name);
    assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{name}: wrote to stdout on error");
    let err = text(&out.stderr);
    for w in what {
        assert!(err.contains(w), "{name}: {w:?} missing from: {err}");
    }
}

fn accepted(name: &str) -> String {
    let out = filter(name);
    assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn syntax_errors_name_the_document_and_line() {
    assert_rejected(
        "truncated.yaml",
        &["document 1 (ConfigMap/cut), line 21 column 6: invalid YAML"],
    );
    assert_rejected(
        "tab-indentation.yaml",
        &["document 1 (ConfigMap/tabs), line 19 column 2: invalid YAML: tabs"],
    );
    assert_rejected("unterminated-quote.yaml", &["document 1 (ConfigMap/q)", "invalid YAML"]);
    assert_rejected(
        "document-after-end-without-marker.yaml",
        &[
            "document 0 (Deployment/deis-builder), line 16 column 1",
            "without a `---` line",
        ],
    );
    assert_rejected(
        "non-utf8.yaml",
        &["not UTF-8 text: invalid byte at line 21 (byte offset 319)"],
    );
}

#[test]
fn duplicates_are_collapsed_where_we_edit_and_passed_through_elsewhere() {
    let out = accepted("duplicate-keys.yaml");
    let builder = &out[..out[4..].find("---\n").unwrap() + 4];
    assert_eq!(builder.matches("name: DEIS_REGISTRY_LOCATION").count(), 1, "{out}");
    assert!(
        builder.contains(
            "        - name: DEIS_REGISTRY_LOCATION\n          value: gcr\n        - name: DEIS_REGISTRY_SECRET_PREFIX"
        ),
        "{builder}"
    );
    assert!(
        out.contains("  a: \"1\"\n  a: \"2\"\n"),
        "a duplicate key we do not edit passes through: {out}"
    );
}

#[test]
fn anchors_and_aliases_pass_through_and_alias_bombs_are_refused_at_once() {
    let input = corpus("anchors-aliases.yaml");
    let out = accepted("anchors-aliases.yaml");
    let configmap = &input[..input.find("---\napiVersion: apps/v1").unwrap()];
    assert!(out.starts_with(configmap), "{out}");

    // Kubernetes refuses excessive aliasing too: it cannot be told whose
    // the document is, so the run stops there, in milliseconds.
    let started = std::time::Instant::now();
    assert_rejected(
        "alias-bomb.yaml",
        &["document 0 (ConfigMap/lol)", "Kubernetes cannot read"],
    );
    assert!(started.elapsed().as_secs() < 10, "aliases are expanded within a budget");
}

#[test]
fn the_items_of_a_kind_list_are_configured_where_they_stand() {
    let out = accepted("kind-list.yaml");
    let list_end = out.find("\n---\n").expect("the List, then what was added");
    let list = &out[..list_end];
    assert!(list.contains("kind: List") && list.contains("value: gcr"), "{out}");
    assert!(!list.contains("on-cluster"), "{out}");
    assert!(out[list_end..].contains("name: registry-secret"), "{out}");
}

#[test]
fn crlf_bom_comment_only_end_markers_and_empty_documents() {
    let out = accepted("crlf.yaml");
    assert!(out.contains("value: \"gcr\"\r\n"), "{out:?}");
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "no bare LF in a CRLF stream: {out:?}"
    );

    let out = accepted("bom.yaml");
    assert!(
        out.starts_with("\u{feff}---\napiVersion: apps/v1") && out.contains("value: \"gcr\""),
        "{out:?}"
    );

    let input = corpus("comment-only-documents.yaml");
    let out = accepted("comment-only-documents.yaml");
    assert!(out.starts_with("# Rendered by helm template --dry-run --hide-secret\n---\n# Source: wf/templates/secret.yaml\n# HIDDEN: The Secret output has been suppressed\n---\n"), "{out}");
    assert!(out.contains("---\n# only a comment\n"), "{out}");
    assert_ne!(input, out);

    let out = accepted("document-end-markers.yaml");
    assert!(out.contains("value: private-registry\n...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-end-marker\n...\n"), "{out}");

    let out = accepted("empty-documents.yaml");
    assert!(
        !out.contains("---\n---") && !out.contains("---\n\n---"),
        "no empty or null documents: {out}"
    );
}

/// A 100 MB scalar goes through the release binary with bounded memory.
#[test]
fn a_100_mb_scalar_passes_with_bounded_memory() {
    let release = common::root().join("target/release/workflow-registry");
    if !release.exists() {
        common::skip(
            "a_100_mb_scalar_passes_with_bounded_memory",
            &format!("{} is missing", release.display()),
            "build the release binary (scripts/test does)",
        );
        return;
    }
    let line = "x".repeat(99);
    let mut input = String::from("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  blob: |\n");
    let lines = 100 * 1024 * 1024 / (line.len() + 5);
    input.reserve(lines * (line.len() + 5));
    for _ in 0..lines {
        input.push_str("    ");
        input.push_str(&line);
        input.push('\n');
    }
    let (huge, time) = (common::scratch("huge"), common::scratch("huge-time"));
    let path = huge.join("huge.yaml");
    std::fs::write(&path, &input).unwrap();
    let measured = time.join("rss");
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&measured)
        .arg(&release)
        .arg("-f")
        .arg(&path)
        .env_clear()
        .envs(location_env("on-cluster"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout == input.as_bytes(), "untouched, byte for byte");
    let kib: f64 = std::fs::read_to_string(&measured)
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    let ratio = kib * 1024.0 / input.len() as f64;
    assert!(ratio < 3.0, "peak memory {ratio:.2}x the input");
    // 100 MB: not left behind in the temporary directory.
    std::fs::remove_dir_all(huge).unwrap();
    std::fs::remove_dir_all(time).unwrap();
}
