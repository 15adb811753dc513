//! The transform: a pure function from (input stream, settings, options) to
//! (output stream, report). Each step decides what to do with one document
//! and records splices against its text; the output is written once.

mod components;
mod generate;
mod inject;
mod report;
mod secret;
mod targets;

pub use components::{REFRESHER, REGISTRY_SECRET};
pub use report::Report;
pub use targets::{Selector, Target, Targeting, LOCATION_VAR, PREFIX_VAR};

use components::Role;

use crate::config::{Location, Settings};
use std::borrow::Cow;

use crate::manifest::{containers, pod_spec, summarize, Container, InputError, Summary};
use crate::yaml::edit::{EditError, Editor};
use crate::yaml::emit::Layout;
use crate::yaml::split;

/// How the transform runs, beyond the registry settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--namespace`: overrides the namespace found in the documents.
    pub namespace: Option<String>,
    pub targeting: Targeting,
    /// `--keep-on-cluster-registry`: never remove the on-cluster registry.
    pub keep_on_cluster_registry: bool,
}

/// The transformed stream, as pieces: untouched documents are slices of the
/// input (never copied), edited and generated ones are owned. Write them in
/// order, or join them with [`Output::text`].
#[derive(Debug, Clone)]
pub struct Output<'a> {
    pub pieces: Vec<Cow<'a, str>>,
    pub report: Report,
}

impl Output<'_> {
    /// The whole output stream.
    pub fn text(&self) -> String {
        self.pieces.concat()
    }

    /// Write the output stream.
    pub fn write_to<W: std::io::Write + ?Sized>(&self, out: &mut W) -> std::io::Result<()> {
        self.pieces.iter().try_for_each(|p| out.write_all(p.as_bytes()))
    }
}

/// What happens to one input document.
enum Action {
    Keep,
    Remove,
    Rewrite(String),
}

/// Apply `settings` to a manifest stream.
pub fn run<'a>(stream: &'a str, settings: &Settings, options: &Options) -> Result<Output<'a>, InputError> {
    let docs = summarize(split::split(stream), &options.targeting)?;
    let namespace = options
        .namespace
        .as_deref()
        .or_else(|| components::detect_namespace(&docs))
        .map(str::to_owned);
    let plan = Planner {
        settings,
        options,
        namespace: namespace.as_deref(),
        layout: Layout {
            seq_indent: docs.iter().find_map(|d| d.seq_indent).unwrap_or(2),
            // Documents are told apart by `\n---` (here and in Kubernetes'
            // stream reader): generated ones never use a lone `\r`.
            newline: if stream.contains("\r\n") { "\r\n" } else { "\n" },
        },
    };
    let mut report = Report {
        location: settings.location.name().into(),
        namespace: namespace.clone(),
        ..Report::default()
    };
    let mut seen_secret = false;
    let mut refresher_at = None;
    let mut access_present = Vec::new();
    let mut actions = Vec::with_capacity(docs.len());
    for doc in &docs {
        let role = components::role(doc, plan.namespace);
        let action = match role {
            Role::OnClusterRegistry if plan.removes_on_cluster_registry() => Action::Remove,
            Role::RegistrySecret if settings.location == Location::OnCluster || seen_secret => Action::Remove,
            Role::RegistrySecret => {
                seen_secret = true;
                let parsed = doc.document()?;
                let mut editor = Editor::new(doc.chunk.text, plan.layout_of(doc));
                secret::update(&mut editor, &parsed, settings);
                if editor.is_empty() {
                    Action::Keep
                } else {
                    report.replaced.push(doc.describe());
                    let text = editor
                        .apply_with(parsed.root.as_ref())
                        .map_err(|e| InputError::at(&parsed, e.line, format!("cannot configure it: {}", e.message)))?;
                    Action::Rewrite(text)
                }
            }
            Role::Refresher | Role::RefresherAccess if !settings.location.needs_token_refresher() => Action::Remove,
            Role::Refresher => {
                refresher_at = Some(doc.index);
                plan.configure(doc, true, &mut report)?
            }
            Role::RefresherAccess => {
                access_present.push(doc.kind.clone().unwrap_or_default());
                Action::Keep
            }
            Role::OnClusterRegistry | Role::Other if doc.has_targets => plan.configure(doc, false, &mut report)?,
            Role::OnClusterRegistry | Role::Other => Action::Keep,
        };
        if matches!(action, Action::Remove) {
            report.removed.push(doc.describe());
        }
        if doc.kind.as_deref() == Some("List") {
            report.warnings.push(format!(
                "{} is a kind: List: its items are passed through unchanged; render them as separate documents to configure them",
                doc.describe()
            ));
        }

        actions.push(action);
    }

    // Helm 4's `separate` strategy runs the filter once on the hooks alone:
    // adding documents there as well would add them to the release twice.
    let additions_allowed = docs.iter().any(|d| d.has_content && !d.is_hook);
    let mut appended = Vec::new();
    let mut before_refresher = Vec::new();
    if additions_allowed && settings.location != Location::OnCluster && !seen_secret {
        appended.push((
            "Secret/registry-secret".to_owned(),
            generate::registry_secret(settings, plan.namespace, plan.layout),
        ));
    }
    if additions_allowed && settings.location.needs_token_refresher() {
        let subject_ns = plan.namespace.unwrap_or_else(|| {
            report.warnings.push(
                "the Workflow namespace is unknown (no namespace on deis-builder or deis-controller): the refresher's \
                 ClusterRoleBinding names namespace \"deis\"; pass --namespace if Workflow runs elsewhere"
                    .into(),
            );
            "deis"
        });
        for (kind, text) in generate::refresher_access(plan.namespace, subject_ns, plan.layout) {
            if !access_present.iter().any(|k| k == kind) {
                let name = if kind == "ServiceAccount" {
                    REFRESHER
                } else {
                    components::REFRESHER_RBAC
                };
                let entry = (format!("{kind}/{name}"), text);
                if refresher_at.is_some() {
                    before_refresher.push(entry)
                } else {
                    appended.push(entry)
                }
            }
        }
        if refresher_at.is_none() {
            let text = generate::refresher_deployment(settings, plan.namespace, plan.layout);
            appended.push((format!("Deployment/{REFRESHER}"), text));
        }
    }
    let is_workflow = docs.iter().any(|d| {
        d.name
            .as_deref()
            .is_some_and(|n| components::NAMESPACE_ANCHORS.contains(&n))
    });
    let has_registry = docs
        .iter()
        .any(|d| components::role(d, plan.namespace) == Role::OnClusterRegistry);
    if additions_allowed && settings.location == Location::OnCluster && is_workflow && !has_registry {
        report.warnings.push(
            "location on-cluster, but the input has no deis-registry or deis-registry-proxy: this tool cannot create \
             them; render the chart with its registry location set to on-cluster"
                .into(),
        );
    }
    for (i, target) in options.targeting.targets.iter().enumerate() {
        if !docs.iter().any(|d| d.matched_targets.contains(&i)) {
            report
                .warnings
                .push(format!("--target {target} matched no container in the input"));
        }
    }

    let mut pieces: Vec<Cow<'a, str>> = Vec::with_capacity(docs.len() + appended.len() + 4);
    for (doc, action) in docs.iter().zip(actions) {
        if Some(doc.index) == refresher_at {
            for (what, text) in &before_refresher {
                pieces.push(Cow::Owned(generated_document(&pieces, text, plan.layout)));
                report.added.push(what.clone());
            }
        }
        match action {
            Action::Remove => {}
            Action::Keep if is_empty_document(doc) => {}
            Action::Keep => pieces.push(Cow::Borrowed(doc.chunk.text)),
            Action::Rewrite(text) => pieces.push(Cow::Owned(text)),
        }
    }
    for (what, text) in &appended {
        pieces.push(Cow::Owned(generated_document(&pieces, text, plan.layout)));
        report.added.push(what.clone());
    }
    Ok(Output { pieces, report })
}

struct Planner<'p> {
    settings: &'p Settings,
    options: &'p Options,
    namespace: Option<&'p str>,
    /// The stream's own layout, for generated documents.
    layout: Layout,
}

impl Planner<'_> {
    fn removes_on_cluster_registry(&self) -> bool {
        self.settings.location != Location::OnCluster && !self.options.keep_on_cluster_registry
    }

    /// A document's own layout (sequence indentation, line ending).
    fn layout_of(&self, doc: &Summary<'_>) -> Layout {
        Layout {
            seq_indent: doc.seq_indent.unwrap_or(self.layout.seq_indent),
            newline: crate::yaml::emit::detect_newline(doc.chunk.text),
        }
    }

    /// Set the registry variables on the document's target containers, and
    /// for the refresher its mount, volume and service account too.
    fn configure(&self, summary: &Summary<'_>, is_refresher: bool, report: &mut Report) -> Result<Action, InputError> {
        let parsed = summary.document()?;
        let doc = &parsed;
        let targets = self.options.targeting.containers(doc);
        let refresher_container = is_refresher.then(|| {
            let all = containers(doc);
            all.iter()
                .find(|c| c.name == REFRESHER && !c.init)
                .or_else(|| all.iter().find(|c| !c.init))
                .copied()
        });
        let refresher_container = refresher_container.flatten();
        if targets.is_empty() && refresher_container.is_none() {
            return Ok(Action::Keep);
        }
        let located = |e: EditError| InputError::at(doc, e.line, format!("cannot configure it: {}", e.message));
        let mut editor = Editor::new(doc.chunk.text, self.layout_of(summary));
        let registry_vars = inject::registry_vars(self.settings);
        let is_refresher_container =
            |c: &Container<'_, '_>| refresher_container.is_some_and(|r| r.node.loc == c.node.loc);
        for container in targets.iter().filter(|c| !is_refresher_container(c)) {
            let before = editor.len();
            inject::set_env(&mut editor, container, &registry_vars).map_err(located)?;
            if editor.len() > before {
                report
                    .injected
                    .push(format!("{} container {}", doc.describe(), container.name));
            }
        }
        if let Some(container) = refresher_container {
            let before = editor.len();
            inject::set_env(&mut editor, &container, &inject::refresher_vars(self.settings)).map_err(located)?;
            inject::mount_credentials(&mut editor, &container).map_err(located)?;
            if let Some(spec) = pod_spec(doc) {
                inject::refresher_pod(&mut editor, spec).map_err(located)?;
            }
            if editor.len() > before {
                report
                    .injected
                    .push(format!("{} container {}", doc.describe(), container.name));
            }
        }
        Ok(if editor.is_empty() {
            Action::Keep
        } else {
            Action::Rewrite(editor.apply_with(doc.root.as_ref()).map_err(located)?)
        })
    }
}

/// A document with neither content nor comments (`---` alone, `...`): it
/// would be a `null` document, so it is not written.
fn is_empty_document(doc: &Summary<'_>) -> bool {
    !doc.has_content
        && doc.chunk.text.lines().all(|l| {
            let l = l.trim_start_matches('\u{feff}').trim();
            l.is_empty() || l == "---" || l == "..."
        })
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
