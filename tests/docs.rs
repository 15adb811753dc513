//! The README and docs/ as a reader follows them: every relative link
//! resolves to a file in the repository, and every `#anchor` to a heading.

mod common;

use std::path::{Path, PathBuf};

/// The Markdown files a reader starts from: README.md and everything in docs/.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![common::root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(common::root().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The targets of inline links `[text](target)` outside code.
fn links(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Drop inline code spans so that `a[i](x)` in code is not a link.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].split_whitespace().next().unwrap_or("").to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, spaces to hyphens, most
/// punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    let mut in_fence = false;
    markdown
        .lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            !in_fence && l.starts_with('#')
        })
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

fn check(from: &Path, target: &str) -> Result<(), String> {
    if target.starts_with("http://") || target.starts_with("https://") || target.starts_with("mailto:") {
        return Ok(());
    }
    let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
    let file = if path.is_empty() {
        from.to_path_buf()
    } else {
        from.parent().unwrap().join(path)
    };
    let file = file
        .canonicalize()
        .map_err(|_| format!("{target}: no such file {}", file.display()))?;
    if !file.starts_with(common::root().canonicalize().unwrap()) {
        return Err(format!("{target}: leaves the repository"));
    }
    if !fragment.is_empty() {
        let text = common::read(&file);
        if !anchors(&text).iter().any(|a| a == fragment) {
            return Err(format!("{target}: no heading #{fragment} in {}", file.display()));
        }
    }
    Ok(())
}

#[test]
fn every_link_in_the_readme_and_docs_resolves_inside_the_repository() {
    let mut broken = Vec::new();
    let mut seen = 0;
    for doc in documents() {
        for target in links(&common::read(&doc)) {
            seen += 1;
            if let Err(e) = check(&doc, &target) {
                broken.push(format!("{}: {e}", doc.display()));
            }
        }
    }
    assert!(seen > 10, "the link extractor found only {seen} links");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_checker_catches_a_missing_file_a_missing_anchor_and_an_escape() {
    let readme = common::root().join("README.md");
    assert!(check(&readme, "docs/no-such-file.md").is_err());
    assert!(check(&readme, "#no-such-heading").is_err());
    assert!(check(&readme, "../outside.md").is_err());
    assert!(check(&readme, "docs/contract.md").is_ok());
    assert_eq!(anchor("Helm 4 (plugin)"), "helm-4-plugin");
    assert_eq!(
        links("see [a](x.md) and `[b](code)`\n```\n[c](fenced)\n```\n"),
        ["x.md"]
    );
}

#[test]
fn the_readme_points_operators_at_docs_not_at_internal_notes() {
    let readme = common::read(&common::root().join("README.md"));
    for section in [
        "## Install",
        "## Quick start",
        "## Configuration",
        "## Troubleshooting",
        "## Security",
    ] {
        assert!(readme.contains(&format!("\n{section}\n")), "README lacks {section}");
    }
    for internal in ["target ≤", "Missed:", "bench-table"] {
        assert!(
            !readme.contains(internal),
            "README still holds benchmark internals: {internal}"
        );
    }
    assert!(readme.contains("WORKFLOW_REGISTRY_LOG"));
    assert!(readme.contains("completions bash"));
}
