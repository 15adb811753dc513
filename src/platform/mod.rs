//! The platform a manifest holds: which Workflow (by what its documents are, never how they are
//! spelled), where it runs, whose each object is, its role, which containers consume the registry.
//! The plan decides on it; the post-condition builds it again from the output to check the whole.

pub mod contract;
pub mod image;
mod namespace;

use std::fmt;

pub use contract::{Contract, Platform, Role};
pub use namespace::{Given, Namespace, Source, HELM_NAMESPACE, HOW_TO_PASS};

use crate::manifest::{Container, Doc, InputError, Pod, Resource};

/// Why a run is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input manifest is at fault (exit 1).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The configuration (settings, namespace, the chart's values for them) cannot work (exit 2).
    #[error("{0}")]
    Config(String),
}

/// Whose an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Without a namespace, or in Workflow's namespace.
    Workflow,
    /// In another explicit namespace (any, while Workflow's is unknown), or of no known platform:
    /// never touched.
    Foreign,
    /// A registry component this tool generated, in a namespace no longer Workflow's: removed.
    Orphan,
}

/// An object of the manifest, with what it is to the platform.
#[derive(Debug, Clone, Copy)]
pub struct Object<'m, 'a> {
    pub doc: &'m Doc<'a>,
    pub resource: &'m Resource,
    pub role: Role,
    pub owner: Owner,
}

impl Object<'_, '_> {
    pub fn is_workflows(&self) -> bool {
        self.owner == Owner::Workflow
    }

    /// Whether an earlier run generated the object: its label, on a kind and name this tool writes
    /// (the label alone is anyone's to copy).
    pub fn is_generated(&self) -> bool {
        self.role != Role::Other
            && self.resource.label(contract::GENERATED_LABEL.0) == Some(contract::GENERATED_LABEL.1)
    }

    /// "document 3 (Deployment/deis-builder, from ...)", naming the list item if it is one.
    pub fn describe(&self) -> String {
        let doc = self.doc.describe();
        if self.resource.path.is_empty() {
            doc
        } else {
            format!("{} in {doc}", crate::escape::escape_controls(&self.resource.id()))
        }
    }

    pub fn error(&self, path: &[crate::yaml::yaml11::Seg], message: impl Into<String>) -> Error {
        let message = format!("{}: {}", self.resource.id(), message.into());
        Error::Input(self.doc.error_at(path, message))
    }
}

/// Which containers the operator adds to the registry's consumers.
#[derive(Debug, Clone, Default)]
pub struct Targeting {
    pub targets: Vec<Target>,
    /// Whether `--select` was given (its queries ran as the manifest was read).
    pub selecting: bool,
}

/// `--target KIND/NAME[/CONTAINER]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: String,
    pub name: String,
    pub container: Option<String>,
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [kind, name] | [kind, name, _] if !kind.is_empty() && !name.is_empty() => Ok(Target {
                kind: (*kind).to_owned(),
                name: (*name).to_owned(),
                container: parts.get(2).filter(|c| !c.is_empty()).map(|c| (*c).to_owned()),
            }),
            _ => Err(format!(
                "{s:?} is not KIND/NAME or KIND/NAME/CONTAINER (e.g. Deployment/my-builder/builder)"
            )),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let container = self.container.as_ref().map(|c| format!("/{c}"));
        write!(f, "{}/{}{}", self.kind, self.name, container.unwrap_or_default())
    }
}

impl Target {
    pub fn matches(&self, r: &Resource, c: &Container) -> bool {
        r.kind.eq_ignore_ascii_case(&self.kind)
            && r.name == self.name
            && self.container.as_ref().is_none_or(|n| *n == c.name)
    }
}

/// The platform in a manifest.
#[derive(Debug)]
pub struct Model<'m, 'a> {
    /// `None`: no platform the tool knows (nothing is Workflow's).
    pub contract: Option<&'static Contract>,
    pub namespace: Namespace,
    /// Every object, in stream order.
    pub objects: Vec<Object<'m, 'a>>,
}

/// What the model is built from besides the documents.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub given: Option<Given>,
    /// `HELM_NAMESPACE`: Helm hands a post-renderer its own environment, not the namespace `-n`
    /// chose (docs/semantics.md): evidence only where the manifest has none.
    pub helm_namespace: Option<String>,
    /// `--platform`: the platform, when the documents cannot tell (or tell two).
    pub platform: Option<Platform>,
    pub targeting: Targeting,
    /// A workload that runs this image is the refresher, whatever its names (a second run must find it).
    pub refresher_image: Option<String>,
}

impl<'m, 'a> Model<'m, 'a> {
    pub fn build(docs: &[&'m Doc<'a>], context: &Context) -> Result<Model<'m, 'a>, Error> {
        let contract = recognise(docs, context.platform)?;
        let image = context.refresher_image.as_deref();
        let runs = |p: &Pod| image.is_some() && p.containers.iter().any(|c| c.image.as_deref() == image);
        let role = |resource: &Resource| match contract.map_or(Role::Other, |k| k.role_of(resource)) {
            Role::Other if contract.is_some() && resource.pod().is_some_and(runs) => Role::Refresher,
            role => role,
        };
        let mut objects: Vec<Object<'m, 'a>> = docs
            .iter()
            .flat_map(|doc| doc.resources.iter().map(move |resource| (*doc, resource)))
            .map(|(doc, resource)| Object {
                doc,
                resource,
                role: role(resource),
                owner: Owner::Foreign,
            })
            .collect();
        // Without a platform nothing is Workflow's.
        let mut namespace = Namespace::unknown(context.given.as_ref());
        if let Some(k) = contract {
            namespace = namespace::discover(context, &objects, k)?;
            for o in &mut objects {
                let in_namespace = o.resource.namespace.is_none() || o.resource.namespace == namespace.name;
                o.owner = match (in_namespace, o.is_generated()) {
                    (true, _) => Owner::Workflow,
                    (false, true) => Owner::Orphan,
                    (false, false) => Owner::Foreign,
                };
                // A workload of Workflow's with the signs of two components (the builder with a refresher's
                // container, say) would be configured or removed as one and lose the other: refused (exit 1).
                let Some(pod) = o.resource.pod().filter(|_| o.is_workflows()) else {
                    continue;
                };
                let mut roles = k.component_roles(o.resource, pod).map(Role::component_name);
                if let (Some(first), Some(second)) = (roles.next(), roles.next()) {
                    let message = format!(
                        "it shows the signs of two components, the {first} and the {second} (by its name, a \
                         container's name or image); a workload is one component: run the other in a workload \
                         of its own"
                    );
                    return Err(o.error(&o.resource.pod_path(), message));
                }
            }
        }
        Ok(Model {
            contract,
            namespace,
            objects,
        })
    }

    /// Workflow's objects of `role`.
    pub fn workflows(&self, role: Role) -> impl Iterator<Item = &Object<'m, 'a>> + '_ {
        self.objects.iter().filter(move |o| o.is_workflows() && o.role == role)
    }

    /// Whether the manifest holds Workflow: an object of Workflow's with a role.
    pub fn has_workflow(&self) -> bool {
        self.objects.iter().any(|o| o.is_workflows() && o.role != Role::Other)
    }

    /// The containers of Workflow's objects that consume the registry settings: those that declare
    /// the platform's variables, its components' own, and those the operator selects; not a
    /// scaled-down legacy ReplicationController that carries no variables.
    pub fn consumers<'s>(
        &'s self,
        targeting: &'s Targeting,
    ) -> impl Iterator<Item = (&'s Object<'m, 'a>, &'m Container)> + 's {
        let contract = self.contract;
        let carries = move |c: &Container| contract.is_some_and(|k| k.consumer_vars.iter().any(|v| c.declares(v)));
        // The builder's, controller's and refresher's own containers, by the name the chart gives
        // them, which kustomize's name transformers leave alone.
        let component = move |c: &Container| {
            let own = |k: &contract::Component| matches!(k.role, Role::Builder | Role::Controller | Role::Refresher);
            let named = |k: &contract::Component| own(k) && k.containers.contains(&c.name.as_str());
            contract.is_some_and(|k| k.component_containers_consume && k.components.iter().any(named))
        };
        self.objects
            .iter()
            .filter(|o| o.is_workflows())
            .filter_map(|o| Some((o, o.resource.pod()?)))
            .flat_map(move |(o, pod)| {
                let legacy = o.resource.kind == "ReplicationController"
                    && o.role != Role::Refresher
                    && pod.scaled_to_zero
                    && !pod.containers.iter().any(carries);
                pod.containers
                    .iter()
                    .filter(move |c| {
                        o.resource.selected
                            || targeting.targets.iter().any(|t| t.matches(o.resource, c))
                            || (!legacy && (carries(c) || component(c)))
                    })
                    .map(move |c| (o, c))
            })
    }
}

/// Whether an object may matter to any platform's rules: a workload, a selected, generated or
/// role-bearing object, a binding of ServiceAccounts without a namespace and the roles it may grant
/// (they may tell where Workflow runs), Drycc's policy and Secrets. Others stay text: a render has many.
pub fn may_matter(r: &Resource) -> bool {
    r.pod().is_some()
        || r.selected
        || r.label(contract::GENERATED_LABEL.0).is_some()
        || Platform::ALL.iter().any(|p| p.contract().role_of(r) != Role::Other)
        || matches!(&r.body, crate::manifest::Body::Binding(b)
            if r.namespace.is_none() && b.subjects.iter().any(|s| s.kind == "ServiceAccount"))
        || matches!(r.kind.as_str(), "Role" | "ClusterRole")
        || (r.kind == "NetworkPolicy" && r.name == contract::DRYCC_IMAGEBUILDER_POLICY)
        || (r.kind == "Secret" && contract::DRYCC_WRITTEN_SECRETS.iter().any(|n| r.name.contains(n)))
}

/// The platform the documents are: the one whose components they hold.
fn recognise(docs: &[&Doc<'_>], forced: Option<Platform>) -> Result<Option<&'static Contract>, Error> {
    if let Some(p) = forced {
        return Ok(Some(p.contract()));
    }
    let objects = || docs.iter().flat_map(|d| d.resources.iter().map(move |r| (*d, r)));
    let found: Vec<(&Contract, &Doc<'_>, &Resource)> = Platform::ALL
        .iter()
        .map(|p| p.contract())
        .filter_map(|k| objects().find(|(_, r)| k.is_evidence(r)).map(|(d, r)| (k, d, r)))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [(k, _, _)] => Ok(Some(k)),
        [(a, da, ra), (b, db, rb), ..] => {
            let (a_id, a_doc, b_id) = (ra.id(), da.describe(), rb.id());
            let message = format!(
                "the manifest holds {} ({a_id} in {a_doc}) and {} ({b_id}): render one platform at a time, or pass \
                 --platform {} or --platform {}",
                a.title, b.title, a.flag, b.flag
            );
            Err(Error::Input(db.error_at(&rb.path, message)))
        }
    }
}

impl Contract {
    /// Whether an object shows the manifest is this platform: a workload of one of its components, a
    /// container that reads its variables, or a registry secret with its location annotation.
    fn is_evidence(&self, r: &Resource) -> bool {
        let role = self.role_of(r);
        match r.pod() {
            // A workload's role is a component's or none.
            Some(pod) => role != Role::Other || pod.containers.iter().any(|c| c.declares(self.location_var)),
            None => {
                matches!(role, Role::RefresherRole | Role::RefresherBinding)
                    || (role == Role::Credentials
                        && self.platform == Platform::Deis
                        && r.annotation(contract::LOCATION_ANNOTATION).is_some())
            }
        }
    }
}
