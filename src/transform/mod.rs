//! The transform: a pure function from (input stream, settings, options) to
//! (output stream, plan, report), in three steps:
//!
//! 1. classify (`classify`): each document's owner (Workflow's or not), its
//!    role among the registry components, its registry-consuming containers;
//! 2. plan (`plan`): a plain list of steps (keep, remove, rewrite with these
//!    edits) and the documents to add, with the values they use;
//! 3. apply (here): splice each rewrite into its document, in parallel, and
//!    write untouched documents as the slices of the input they are.
//!
//! Every document is parsed once; the trees of those that may matter are kept
//! for the planner and the editor.

mod apply;
mod classify;
mod components;
mod facts;
mod generate;
mod inject;
pub mod namespace;
pub mod plan;
mod refresher;
mod report;
mod secret;
mod targets;

pub use components::{GENERATED_LABEL, REFRESHER, REGISTRY_SECRET};
pub use plan::{Edit, Plan, Step};
pub use report::Report;
pub use targets::{Selector, Target, Targeting, LOCATION_VAR, PREFIX_VAR};

use std::borrow::Cow;

use rayon::prelude::*;

use crate::config::Settings;
use crate::manifest::{scan_with, InputError, Scan, Summary};

/// How the transform runs, beyond the registry settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The Workflow namespace as the operator gave it; overrides the one
    /// found in the documents.
    pub namespace: Option<String>,
    /// Where `namespace` came from, for messages ("--namespace" when unset).
    pub namespace_origin: Option<String>,
    pub targeting: Targeting,
    /// `--keep-on-cluster-registry`: never remove the on-cluster registry.
    pub keep_on_cluster_registry: bool,
}

/// Why the transform refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input manifest is at fault (exit 1).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The configuration (settings, namespace, or the chart's own values
    /// that stand for them) cannot give a working platform (exit 2).
    #[error("{0}")]
    Config(String),
}

/// The transformed stream, as pieces: untouched documents are slices of the
/// input (never copied), edited and generated ones are owned. Write them in
/// order, or join them with [`Output::text`].
#[derive(Debug)]
pub struct Output<'a> {
    pub pieces: Vec<Cow<'a, str>>,
    pub plan: Plan,
    pub report: Report,
    /// The parsed documents, freed with the output: a caller about to exit
    /// can skip freeing them (see [`Output::leak`]).
    _parsed: Scan<'a>,
}

impl Output<'_> {
    /// The whole output stream.
    pub fn text(&self) -> String {
        self.pieces.concat()
    }

    /// Forget the output without freeing it: for a process about to exit,
    /// where freeing thousands of trees one node at a time, on one thread,
    /// is time the operator waits for and the exit does anyway.
    pub fn leak(self) {
        std::mem::forget(self);
    }

    /// Write the output stream.
    pub fn write_to<W: std::io::Write + ?Sized>(&self, out: &mut W) -> std::io::Result<()> {
        self.pieces.iter().try_for_each(|p| out.write_all(p.as_bytes()))
    }
}

/// Run a check on every document, in parallel (each walks a whole tree, and
/// on one thread they would leave the second core idle); the first failure
/// in stream order is the one reported, as it would be one after another.
fn check_each<'d, 'a: 'd>(
    docs: &[&'d Summary<'a>],
    check: impl Fn(&Summary<'a>) -> Result<(), InputError> + Sync,
) -> Result<(), InputError> {
    let results: Vec<Result<(), InputError>> = docs.par_iter().map(|d| check(d)).collect();
    results.into_iter().collect()
}

/// Apply `settings` to a manifest stream.
pub fn run<'a>(stream: &'a str, settings: &Settings, options: &Options) -> Result<Output<'a>, Error> {
    let targeting = &options.targeting;
    // A document may matter if it could hold a target, or names the secret,
    // is a Helm hook, or may name Workflow's namespace in a RoleBinding. The
    // searchers are built once: building one per document and word cost as
    // much as the search.
    let words: Option<Vec<memchr::memmem::Finder<'_>>> = targeting.words().map(|words| {
        words
            .into_iter()
            .chain([REGISTRY_SECRET, "helm.sh/hook", "RoleBinding"])
            .map(memchr::memmem::Finder::new)
            .collect()
    });
    let may_matter = |text: &str| {
        words
            .as_ref()
            .is_none_or(|words| words.iter().any(|w| w.find(text.as_bytes()).is_some()))
    };
    // What each document is, read as it is parsed (see `classify`).
    let (scan, read) = scan_with(stream, &may_matter, &|doc| classify::read(doc, targeting))?;
    let docs: Vec<&Summary<'a>> = scan.docs().collect();
    let given = options.namespace.as_ref().map(|name| namespace::Given {
        name: name.clone(),
        origin: options.namespace_origin.clone().unwrap_or_else(|| "--namespace".into()),
    });
    // Aliases and merge keys must not make the tree read another document
    // than Kubernetes decodes: its identity for every document, its
    // containers for every document the transform may change.
    check_each(&docs, |d| facts::check_identity(d))?;
    let namespace = namespace::discover(given.as_ref(), &docs)?;
    let classes = classify::classify_all(read, namespace.name.as_deref());
    let owned: Vec<&Summary<'a>> = docs
        .iter()
        .zip(&classes)
        .filter(|(_, class)| class.owner != classify::Owner::Foreign)
        .map(|(d, _)| *d)
        .collect();
    check_each(&owned, |d| facts::check_containers(d))?;
    let mut plan = plan::plan(&scan, &docs, &classes, settings, options, namespace)?;
    // Documents are told apart by `\n---` (here and in Kubernetes' stream
    // reader): generated ones never use a lone `\r`.
    let newline = if scan.crlf { "\r\n" } else { "\n" };
    let pieces = apply::apply(&scan, &docs, &classes, &mut plan, settings, newline)?;
    let report = Report::of(&docs, &plan, settings.location.name());
    drop(docs);
    Ok(Output {
        pieces,
        plan,
        report,
        _parsed: scan,
    })
}
