//! The transform: a pure function from (input stream, settings, options) to
//! the output stream and the plan it carried out:
//!
//! 1. read (`manifest`): every document decoded once, as Kubernetes decodes
//!    it, into the objects it holds;
//! 2. model (`platform`): which platform, where it runs, whose each object
//!    is and what role it plays;
//! 3. plan (`plan`, with `deis` and `drycc`): what to change, on the model;
//! 4. apply (`apply`): the edits spliced into each document's own text;
//! 5. check (`check`): the output, read again, as a platform that can start.

mod apply;
mod check;
mod deis;
mod drycc;
mod generate;
pub mod plan;
mod refresher;
mod report;

pub use plan::{Change, Plan, Step};
pub use report::Report;

pub use crate::platform::{Error, Target, Targeting};

use std::borrow::Cow;
use std::str::FromStr;

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::query::js_path_process;
use serde_json::Value as Json;

use crate::config::Settings;
use crate::manifest::{Manifest, Pod};
use crate::platform::{contract, Context, Given, Model, Object, Platform, Source};

/// `--select JSONPATH`, parsed once: every container of each object the
/// query selects. It runs on a one-element array holding the object as
/// Kubernetes decodes it, so `$[?@.metadata.labels.app == 'my-builder']`
/// selects whole objects.
#[derive(Debug, Clone)]
pub struct Selector(JpQuery);

impl FromStr for Selector {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        jsonpath_rust::parser::parse_json_path(s)
            .map(Selector)
            .map_err(|e| format!("{s:?} is not a JSONPath query (RFC 9535): {e}"))
    }
}

impl Selector {
    fn selects(&self, doc: &Json) -> bool {
        let wrapped = Json::Array(vec![doc.clone()]);
        js_path_process(&self.0, &wrapped).is_ok_and(|hits| !hits.is_empty())
    }
}

/// How the transform runs, beyond the registry settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The namespace the operator gave, `--platform`, `--target`.
    pub context: Context,
    pub selectors: Vec<Selector>,
    /// `--keep-on-cluster-registry`: never remove the on-cluster registry.
    pub keep_on_cluster_registry: bool,
}

impl Options {
    /// Options naming Workflow's namespace as `--namespace` does.
    pub fn in_namespace(name: &str) -> Options {
        let (name, origin) = (name.to_owned(), "--namespace".into());
        let mut options = Options::default();
        options.context.given = Some(Given { name, origin });
        options
    }
}

/// The transformed stream, as pieces: untouched documents are slices of the
/// input, edited and generated ones are owned.
#[derive(Debug)]
pub struct Output<'a> {
    pub pieces: Vec<Cow<'a, str>>,
    pub plan: Plan,
    pub location: &'static str,
}

impl Output<'_> {
    pub fn text(&self) -> String {
        self.pieces.concat()
    }

    pub fn report(&self) -> Report {
        Report::of(&self.plan, self.location)
    }

    pub fn write_to<W: std::io::Write + ?Sized>(&self, out: &mut W) -> std::io::Result<()> {
        self.pieces.iter().try_for_each(|p| out.write_all(p.as_bytes()))
    }
}

/// Apply `settings` to a manifest stream.
pub fn run<'a>(stream: &'a str, settings: &Settings, options: &Options) -> Result<Output<'a>, Error> {
    let mut options = options.clone();
    options.context.targeting.selecting = !options.selectors.is_empty();
    options.context.refresher_image = settings.refresher_image.clone();
    let options = &options;
    let selects = |doc: &Json| options.selectors.iter().any(|s| s.selects(doc));
    let reading = contract::reading(&selects);
    let manifest = Manifest::read(stream, reading)?;
    let docs: Vec<_> = manifest.docs().collect();
    let model = Model::build(&docs, &options.context)?;
    let mut planner = plan::Planner::new(&model, settings, options, manifest.hooks_only);
    let platform = model.contract.map(|k| k.platform);
    let effective = match platform {
        Some(Platform::Deis) => deis::plan(&mut planner)?,
        Some(Platform::Drycc) => drycc::plan(&mut planner)?,
        None => plan::Effective::default(),
    };
    warn(&mut planner, &manifest);
    let mut plan = planner.finish(effective);
    // The model is the input's: the check builds the output's own.
    drop((model, docs));
    let mut applied = apply::apply(&manifest, &plan, settings, reading)?;
    plan.warnings.append(&mut applied.warnings);
    let pieces = std::mem::take(&mut applied.pieces);
    if let Some(platform) = platform {
        check::check(&manifest, &plan, applied, settings, options, platform, reading)?;
    }
    Ok(Output {
        pieces,
        plan,
        location: settings.location.name(),
    })
}

/// What the operator should know about the input as a whole.
fn warn(p: &mut plan::Planner<'_, '_, '_>, manifest: &Manifest<'_>) {
    let (model, settings, targeting) = (p.model, p.settings, &p.options.context.targeting);
    let (hooks_only, warnings) = (p.hooks_only, &mut p.warnings);
    if !manifest.has_content {
        warnings.push("the input was empty (no document with content): nothing to configure, nothing added".into());
    } else if !model.has_workflow() && !hooks_only {
        warnings.push(
            "the input holds no platform this tool knows (no Deis, Hephy or Drycc Workflow builder, controller, \
             registry or refresher in Workflow's namespace): nothing was changed or added; is this the rendered \
             Workflow chart? (--platform names it when its documents cannot)"
                .into(),
        );
    }
    for target in &targeting.targets {
        let holds = |o: &Object<'_, '_>, pod: &Pod| pod.containers.iter().any(|c| target.matches(o.resource, c));
        let mut pods = model.objects.iter().filter(|o| o.is_workflows());
        if !pods.any(|o| o.resource.pod().is_some_and(|pod| holds(o, pod))) {
            let warning = format!("--target {target} matched no container in Workflow's namespace");
            warnings.push(warning);
        }
    }
    let (found, refreshed) = (&model.namespace, settings.location.needs_token_refresher());
    if let (Source::Helm, Some(name), true) = (&found.source, &found.name, refreshed) {
        warnings.push(format!(
            "the refresher's ClusterRoleBinding names the namespace {name:?} from HELM_NAMESPACE (the manifest names \
             none), which Helm's --namespace overrides without telling a post-renderer: if the release goes \
             elsewhere, pass --namespace"
        ));
    }
    if targeting.selecting && !model.objects.iter().any(|o| o.is_workflows() && o.resource.selected) {
        warnings.push("--select matched no object in Workflow's namespace".into());
    }
}
