//! The post-condition (docs/semantics.md, "The post-condition"): before
//! anything is written, the output is read again and checked as a platform
//! that can start. It reads the output, not the plan, so that a planning
//! mistake cannot hide from it.

use std::collections::BTreeSet;
use std::fmt;

use super::apply::Applied;
use super::plan::{Effective, Plan, Wanted};
use super::{deis, drycc, refresher, Error, Options};
use crate::config::{Location, Settings};
use crate::manifest::resource::{Secret, Volume};
use crate::manifest::{Body, Container, Doc, Manifest, Reading, Resource};
use crate::platform::contract::{self as k, Platform, Role, DEIS, DRYCC};
use crate::platform::{Model, Object};
use crate::yaml::split::Chunk;
use crate::yaml::{tree, yaml11};

/// Check the output of `plan` on `manifest` (the rewritten documents'
/// objects, the generated documents' texts).
pub fn check(
    manifest: &Manifest<'_>,
    plan: &Plan,
    applied: Applied<'_>,
    settings: &Settings,
    options: &Options,
    platform: Platform,
    reading: Reading<'_>,
) -> Result<(), Error> {
    // The documents the plan left alone are read as they were; the others
    // are read from what the editor's check decoded, or from their text.
    let mut changed = applied.rewritten;
    changed.extend(applied.generated.iter().map(|text| {
        let root = tree::parse(text).ok().flatten();
        let json = root.and_then(|root| yaml11::decode(&root).ok());
        let chunk = Chunk {
            text: "",
            offset: 0,
            first_line: 1,
        };
        let resources = json.and_then(|json| Resource::read_all(&json, reading).ok());
        Doc {
            index: usize::MAX,
            chunk,
            resources: resources.unwrap_or_default(),
            seq_indent: None,
        }
    }));
    let kept = manifest.docs().filter(|d| plan.step(d.index).is_none());
    let refs: Vec<&Doc<'_>> = kept.chain(&changed).collect();
    let mut context = options.context.clone();
    context.platform = Some(platform);
    let model = Model::build(&refs, &context)?;
    let c = Checker {
        model: &model,
        settings,
        options,
        effective: &plan.effective,
        wants_components: model.has_workflow() && !manifest.hooks_only,
    };
    match platform {
        Platform::Deis => c.deis(),
        Platform::Drycc => c.drycc(),
    }
}

struct Checker<'c, 'm, 'a> {
    model: &'c Model<'m, 'a>,
    settings: &'c Settings,
    options: &'c Options,
    effective: &'c Effective,
    wants_components: bool,
}

/// A violation: which object, and what is wrong with it.
fn violated(o: Option<&Object<'_, '_>>, message: impl fmt::Display) -> Error {
    let what = o.map_or_else(|| "the output".to_owned(), |o| o.describe());
    Error::Config(format!(
        "the configured platform would not start: {what}: {message}; nothing was written (fix the manifest or the \
         configuration as this says, or report it if the input is a plain render of the chart)"
    ))
}

/// `o` holds the rule when `right`, else it violates it as `message` says.
fn require(right: bool, o: &Object<'_, '_>, message: &str) -> Result<(), Error> {
    right.then_some(()).ok_or_else(|| violated(Some(o), message))
}

impl Checker<'_, '_, '_> {
    /// Exactly one of Workflow's objects of `role` when `wanted`, else none.
    fn one(&self, role: Role, wanted: bool) -> Result<Option<&Object<'_, '_>>, Error> {
        let all: Vec<&Object<'_, '_>> = self.model.workflows(role).collect();
        match (wanted, all.as_slice()) {
            (true, [one]) => Ok(Some(one)),
            (false, []) => Ok(None),
            (true, []) => Err(violated(None, format!("it has no {role:?} object"))),
            (_, [first, ..]) => {
                let (count, needed) = (all.len(), u8::from(wanted));
                let message = format!("it has {count} {role:?} objects where it needs {needed}");
                Err(violated(Some(first), message))
            }
        }
    }

    fn placed(&self, o: &Object<'_, '_>) -> Result<(), Error> {
        let message = "it does not stand in Workflow's namespace, where its readers are";
        require(self.model.namespace.holds(o.resource.namespace.as_deref()), o, message)
    }

    /// The credentials Secret, when `wanted`: one, where its readers are,
    /// holding what `right` says (else `wrong`). None when not wanted.
    fn credentials(&self, wanted: bool, right: impl Fn(&Secret) -> bool, wrong: &str) -> Result<(), Error> {
        let Some(o) = self.one(Role::Credentials, wanted)? else {
            return Ok(());
        };
        self.placed(o)?;
        require(matches!(&o.resource.body, Body::Secret(s) if right(s)), o, wrong)
    }

    /// Every consumer says each of `vars`, and no on-cluster registry is left
    /// that the location does not use.
    fn consumers(&self, vars: &[(&str, &str)]) -> Result<(), Error> {
        for (o, c) in self.model.consumers(&self.options.context.targeting) {
            let says = |(name, value): &&(&str, &str)| Wanted::Text((*value).to_owned()).holds(c, name);
            if let Some((name, value)) = vars.iter().find(|var| !says(var)) {
                let message = format!("container {:?} does not say {name}={value:?}", c.name);
                return Err(violated(Some(o), message));
            }
        }
        let removed = self.settings.location != Location::OnCluster && !self.options.keep_on_cluster_registry;
        let unused = "the on-cluster registry is not used by this location";
        match self.model.workflows(Role::Registry).next() {
            Some(o) if removed => Err(violated(Some(o), unused)),
            _ => Ok(()),
        }
    }

    fn deis(&self) -> Result<(), Error> {
        let (location, name) = (&self.settings.location, self.settings.location.name());
        self.consumers(&[(DEIS.location_var, name), (DEIS.prefix_var, &self.effective.prefix)])?;
        let data = deis::secret_data(self.settings).into_iter();
        let want: BTreeSet<_> = data.map(|(k, v)| (k, Some(v))).collect();
        let exact = |s: &Secret| {
            let have: BTreeSet<_> = s.data.iter().cloned().collect();
            s.secret_type == "Opaque" && s.string_data.is_none() && have == want
        };
        let wrong = "it is not an Opaque Secret with exactly the location's keys";
        self.credentials(*location != Location::OnCluster && self.wants_components, exact, wrong)?;
        let wanted = location.needs_token_refresher() && self.wants_components;
        let mut parts = Vec::new();
        for role in Role::REFRESHER_PARTS {
            parts.extend(self.one(role, wanted)?);
        }
        self.refresher(&parts)
    }

    /// The refresher (with its account, role and binding) can start and do
    /// exactly its job.
    fn refresher(&self, parts: &[&Object<'_, '_>]) -> Result<(), Error> {
        let [o, account, role, binding] = parts else {
            return Ok(());
        };
        self.placed(o)?;
        self.placed(account)?;
        let pod = o.resource.pod().ok_or_else(|| violated(Some(o), "not a workload"))?;
        let Ok(Some(c)) = refresher::container(pod) else {
            return Err(violated(Some(o), "its container cannot be told"));
        };
        let own_account = pod.service_account.as_deref() == Some(account.resource.name.as_str());
        require(own_account, o, "it does not run as its ServiceAccount")?;
        let token = refresher::gets_token(pod, Some(account));
        require(token, o, "it gets no ServiceAccount token, so it cannot reach the API")?;
        let creds = c.mounts.iter().find(|m| m.path == k::CREDS_PATH);
        let volume = creds.and_then(|m| pod.volumes.iter().find(|v| v.name == m.volume));
        let unique = c.mount_paths_unique && pod.volume_names_unique;
        require(unique, o, "two mounts share a path, or two volumes a name")?;
        let whole = |v: &Volume| v.sources == 1 && v.secret.as_deref() == Some(k::REGISTRY_SECRET) && !v.secret_items;
        let reads = creds.is_some_and(|m| m.read_only && !m.sub_path) && volume.is_some_and(whole);
        let wrong = "it does not read registry-secret, read-only, where it looks for its credentials";
        require(reads, o, wrong)?;
        let image = c.image.as_deref().unwrap_or_default();
        let minutes = c.env_text(k::TOKEN_REFRESH_VAR).unwrap_or_default();
        let seconds = c.env_text(k::NAMESPACE_REFRESH_VAR).unwrap_or_default();
        let lifetime = self.settings.location.kind().token_lifetime_minutes().unwrap_or(0);
        let minutes_ok = minutes.is_empty()
            || (!k::is_stock_refresher(image) && k::refresher_interval(minutes).is_some_and(|m| m < lifetime));
        let intervals = minutes_ok && k::refresher_interval(seconds).is_some();
        let wrong = "its refresh intervals are not ones its image can run with";
        require(intervals, o, wrong)?;
        let rules = refresher::rules(self.settings.location.name(), &self.effective.prefix);
        let exact = matches!(&role.resource.body, Body::ClusterRole(r) if !r.aggregated && r.rules == rules);
        let wrong = "its rules are not exactly the refresher's calls, or it aggregates others";
        require(exact, role, wrong)?;
        let ns = self.model.namespace.name.as_deref();
        let binds = matches!(&binding.resource.body, Body::Binding(b)
            if b.role_ref == Some(("ClusterRole".into(), role.resource.name.clone()))
                && matches!(b.subjects.as_slice(), [s] if s.kind == "ServiceAccount"
                    && s.name == account.resource.name && s.namespace.as_deref() == ns));
        let wrong = "it does not bind the refresher's role to its ServiceAccount in its namespace";
        require(binds, binding, wrong)
    }

    /// Each builder container that reads the location holds `right`, else
    /// it is named, with `wrong`.
    fn builders(&self, right: impl Fn(&Container) -> bool, wrong: &str) -> Result<(), Error> {
        for o in self.model.workflows(Role::Builder) {
            let Some(pod) = o.resource.pod() else { continue };
            let wrong_one = |c: &&Container| c.declares(DRYCC.location_var) && !right(c);
            if let Some(c) = pod.containers.iter().find(wrong_one) {
                return Err(violated(Some(o), format!("container {:?} {wrong}", c.name)));
            }
        }
        Ok(())
    }

    fn drycc(&self) -> Result<(), Error> {
        self.consumers(&[(DRYCC.location_var, self.settings.location.name())])?;
        let Location::OffCluster { .. } = &self.settings.location else {
            return self.drycc_on_cluster();
        };
        let reads = |c: &Container| {
            k::DRYCC_BUILDER_VARS
                .iter()
                .all(|(var, key)| Wanted::SecretKey(k::DRYCC_BUILDER_SECRET, key).holds(c, var))
                && !c.declares(k::DRYCC_PROXY_VAR)
        };
        self.builders(reads, "does not read the registry login from builder-secret")?;
        // builder-secret is the builder's: a render without it needs none.
        let builder = self.model.workflows(Role::Builder).next().is_some();
        if !(self.wants_components && builder) {
            return Ok(());
        }
        let login = drycc::builder_data(self.settings);
        let holds = |s: &Secret| {
            let overridden = |key: &String| s.string_data.iter().flatten().any(|k| k == key);
            login
                .iter()
                .all(|(key, v)| !overridden(key) && s.data.contains(&(key.clone(), Some(v.clone()))))
        };
        let wrong = "it does not hold the configured registry login under each key the builder reads";
        self.credentials(true, holds, wrong)
    }

    /// On-cluster, as the chart renders it: the builder reaches the registry
    /// by its Service and the node proxy, with the registry's own login, and
    /// no Secret holds an off-cluster login it could read.
    fn drycc_on_cluster(&self) -> Result<(), Error> {
        let [host, .., organization] = k::DRYCC_BUILDER_VARS.map(|(var, _)| var);
        let reads = |c: &Container| {
            Wanted::Text(k::DRYCC_REGISTRY_SERVICE.into()).holds(c, host)
                && c.env_text(k::DRYCC_PROXY_VAR).is_some()
                && k::DRYCC_ON_CLUSTER_LOGIN
                    .iter()
                    .all(|(var, key)| Wanted::SecretKey(k::REGISTRY_SECRET, key).holds(c, var))
                && !c.declares(organization)
        };
        let (proxy, secret) = (k::DRYCC_PROXY_VAR, k::REGISTRY_SECRET);
        let wrong = format!(
            "does not reach the on-cluster registry as the chart wires it ({host}, {proxy}, the login from {secret})"
        );
        self.builders(reads, &wrong)?;
        let secrets = [Role::Credentials, Role::ControllerCredentials].map(|role| self.model.workflows(role));
        for o in secrets.into_iter().flatten() {
            let Body::Secret(s) = &o.resource.body else { continue };
            let mut keys = s.data.iter().map(|(key, _)| key).chain(s.string_data.iter().flatten());
            if let Some(key) = keys.find(|key| k::DRYCC_BUILDER_VARS.iter().any(|(_, k)| k == key)) {
                return Err(violated(Some(o), format!("it still holds the off-cluster key {key:?}")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    /// What the post-condition says of `output` (read as if the transform
    /// had written it, planning nothing) for location `location`.
    fn violation(output: &str, location: &str) -> Option<String> {
        violation_on(Platform::Deis, output, location)
    }

    fn violation_on(platform: Platform, output: &str, location: &str) -> Option<String> {
        let settings = Settings {
            location: match location {
                "off-cluster" => Location::OffCluster {
                    hostname: "quay.io".into(),
                    organization: "o".into(),
                    username: "u".into(),
                    password: Secret::new("p"),
                },
                "ecr" => Location::Ecr {
                    access_key: Secret::new(""),
                    secret_key: Secret::new(""),
                    region: "eu-west-1".into(),
                    registry_id: String::new(),
                    hostname: String::new(),
                },
                _ => Location::OnCluster,
            },
            secret_prefix: None,
            token_refresh_time: String::new(),
            refresher_image: None,
            sources: Default::default(),
        };
        let reading = k::reading(&|_| false);
        let manifest = Manifest::read(output, reading).ok()?;
        let options = Options::in_namespace("deis");
        let docs: Vec<&Doc<'_>> = manifest.docs().collect();
        let model = Model::build(&docs, &options.context).ok()?;
        let plan = Plan {
            changes: vec![],
            additions: vec![],
            effective: Effective {
                namespace: model.namespace.clone(),
                prefix: "private-registry".into(),
                ..Effective::default()
            },
            warnings: vec![],
            notes: vec![],
        };
        let applied = Applied {
            pieces: vec![],
            rewritten: vec![],
            generated: vec![],
            warnings: vec![],
            after_generated: false,
            layout: crate::yaml::emit::Layout {
                seq_indent: 2,
                newline: "\n",
            },
        };
        check(&manifest, &plan, applied, &settings, &options, platform, reading)
            .err()
            .map(|e| e.to_string())
    }

    const BUILDER: &str = "kind: Deployment\nmetadata: {name: deis-builder, namespace: deis}\nspec: {template: {spec: \
        {containers: [{name: deis-builder, env: [{name: DEIS_REGISTRY_LOCATION, value: @LOCATION@}, \
        {name: DEIS_REGISTRY_SECRET_PREFIX, value: private-registry}]}]}}}\n";
    const SECRET: &str = "---\nkind: Secret\nmetadata: {name: registry-secret, namespace: deis}\ntype: Opaque\n\
        data: {hostname: cXVheS5pbw==, organization: bw==, username: dQ==, password: cA==}\n";

    fn builder(location: &str) -> String {
        BUILDER.replace("@LOCATION@", location)
    }

    #[test]
    fn a_right_output_passes_and_each_broken_rule_is_named() {
        assert_eq!(violation(&(builder("off-cluster") + SECRET), "off-cluster"), None);
        for (output, rule) in [
            (builder("on-cluster") + SECRET, "does not say DEIS_REGISTRY_LOCATION"),
            (builder("off-cluster"), "no Credentials"),
            (builder("off-cluster") + SECRET + SECRET, "2 Credentials"),
            (
                builder("off-cluster") + &SECRET.replace("cA==", "eA=="),
                "exactly the location's keys",
            ),
            (
                builder("off-cluster") + &SECRET.replace("Opaque", "kubernetes.io/basic-auth"),
                "Opaque",
            ),
            (
                builder("off-cluster")
                    + SECRET
                    + "---\nkind: Service\nmetadata: {name: deis-registry, namespace: deis}\n",
                "not used by this location",
            ),
            (builder("on-cluster") + SECRET, "on-cluster"),
        ] {
            let location = if rule == "on-cluster" {
                "on-cluster"
            } else {
                "off-cluster"
            };
            let found = violation(&output, location).unwrap_or_else(|| panic!("{rule}: passed\n{output}"));
            let rule = if rule == "on-cluster" { "Credentials" } else { rule };
            assert!(found.contains(rule), "{rule}: {found}");
        }
    }

    #[test]
    fn a_drycc_builder_secret_without_the_configured_login_is_named() {
        let builder = "kind: Deployment\nmetadata: {name: drycc-builder, namespace: drycc}\nspec: {template: {spec: \
            {containers: [{name: drycc-builder, env: [{name: DRYCC_REGISTRY_LOCATION, value: off-cluster}, \
            {name: DRYCC_REGISTRY_HOST, valueFrom: {secretKeyRef: {name: builder-secret, key: registry-host}}}, \
            {name: DRYCC_REGISTRY_USERNAME, valueFrom: {secretKeyRef: {name: builder-secret, key: registry-username}}}, \
            {name: DRYCC_REGISTRY_PASSWORD, valueFrom: {secretKeyRef: {name: builder-secret, key: registry-password}}}, \
            {name: DRYCC_REGISTRY_ORGANIZATION, valueFrom: {secretKeyRef: {name: builder-secret, key: \
            registry-organization}}}]}]}}}\n";
        let secret = "---\nkind: Secret\nmetadata: {name: builder-secret, namespace: drycc}\ndata: {registry-host: \
            cXVheS5pbw==, registry-username: dQ==, registry-password: cA==, registry-organization: bw==}\n";
        let with = |s: &str| builder.replace("namespace: drycc", "namespace: deis") + &s.replace("drycc}", "deis}");
        assert_eq!(violation_on(Platform::Drycc, &with(secret), "off-cluster"), None);
        for broken in [
            secret.replace("cXVheS5pbw==", "\"\""),
            secret.replace("cA==", "eA=="),
            secret.replace(", registry-organization: bw==", ""),
            secret.to_owned() + "stringData: {registry-password: x}\n",
        ] {
            let found = violation_on(Platform::Drycc, &with(&broken), "off-cluster");
            assert!(found.is_some_and(|f| f.contains("registry login")), "{broken}");
        }
    }

    #[test]
    fn a_drycc_builder_not_wired_to_the_on_cluster_registry_is_named() {
        let builder = |env: &str| {
            format!(
                "kind: Deployment\nmetadata: {{name: drycc-builder, namespace: deis}}\nspec: {{template: {{spec: \
                 {{containers: [{{name: drycc-builder, env: [{{name: DRYCC_REGISTRY_LOCATION, value: on-cluster}}, \
                 {env}]}}]}}}}}}\n"
            )
        };
        let login = |secret: &str, key: &str| {
            format!(
                "{{name: DRYCC_REGISTRY_USERNAME, valueFrom: {{secretKeyRef: {{name: {secret}, key: {key}}}}}}}, \
                 {{name: DRYCC_REGISTRY_PASSWORD, valueFrom: {{secretKeyRef: {{name: registry-secret, key: password}}}}}}"
            )
        };
        let right = format!(
            "{{name: DRYCC_REGISTRY_HOST, value: \"drycc-registry:5000\"}}, {{name: DRYCC_REGISTRY_PROXY_HOST, value: \
             \"127.0.0.1:5555\"}}, {}",
            login("registry-secret", "username")
        );
        let secret = |data: &str| {
            format!("---\nkind: Secret\nmetadata: {{name: builder-secret, namespace: deis}}\ndata: {{{data}}}\n")
        };
        assert_eq!(violation_on(Platform::Drycc, &builder(&right), "on-cluster"), None);
        assert_eq!(
            violation_on(Platform::Drycc, &(builder(&right) + &secret("")), "on-cluster"),
            None
        );
        for (output, rule) in [
            (
                builder(&right.replace("drycc-registry:5000", "quay.io")),
                "on-cluster registry",
            ),
            (
                builder(&right.replace("DRYCC_REGISTRY_PROXY_HOST", "X")),
                "on-cluster registry",
            ),
            (
                builder(&right.replace(
                    &login("registry-secret", "username"),
                    &login("builder-secret", "registry-username"),
                )),
                "on-cluster registry",
            ),
            (
                builder(&(right.clone() + ", {name: DRYCC_REGISTRY_ORGANIZATION, value: o}")),
                "on-cluster registry",
            ),
            (
                builder(&right) + &secret("registry-host: cXVheS5pbw=="),
                "\"registry-host\"",
            ),
        ] {
            let found = violation_on(Platform::Drycc, &output, "on-cluster");
            assert!(
                found.as_ref().is_some_and(|f| f.contains(rule)),
                "{rule}: {found:?}\n{output}"
            );
        }
    }

    #[test]
    fn a_refresher_that_cannot_start_is_named() {
        let refresher = |pod: &str, container: &str| {
            format!(
                "---\nkind: Deployment\nmetadata: {{name: deis-registry-token-refresher, namespace: deis}}\nspec: {{template: \
                 {{spec: {{serviceAccountName: deis-registry-token-refresher, {pod}containers: [{{name: \
                 deis-registry-token-refresher, image: quay.io/deis/registry-token-refresher:v1.1.3, env: [\
                 {{name: DEIS_REGISTRY_LOCATION, value: ecr}}, {{name: DEIS_REGISTRY_SECRET_PREFIX, value: private-registry}}, \
                 {{name: DEIS_NAMESPACE_REFRESH_TIME, value: \"5\"}}, {{name: DEIS_TOKEN_REFRESH_TIME, value: \"\"}}], \
                 {container}}}]}}}}}}\n"
            )
        };
        let mounts =
            "volumeMounts: [{name: registry-secret, mountPath: /var/run/secrets/deis/registry/creds, readOnly: true}]";
        let volumes = "volumes: [{name: registry-secret, secret: {secretName: registry-secret}}], ";
        let access = "---\nkind: ServiceAccount\nmetadata: {name: deis-registry-token-refresher, namespace: deis}\n---\n\
            kind: ClusterRole\nmetadata: {name: \"deis:deis-registry-token-refresher\"}\nrules: [\
            {apiGroups: [\"\"], resources: [namespaces], verbs: [list]}, {apiGroups: [\"\"], resources: [secrets], verbs: [create]}, \
            {apiGroups: [\"\"], resources: [secrets], resourceNames: [private-registry-ecr], verbs: [update]}]\n---\n\
            kind: ClusterRoleBinding\nmetadata: {name: \"deis:deis-registry-token-refresher\"}\nroleRef: {apiGroup: \
            rbac.authorization.k8s.io, kind: ClusterRole, name: \"deis:deis-registry-token-refresher\"}\nsubjects: [\
            {kind: ServiceAccount, name: deis-registry-token-refresher, namespace: deis}]\n";
        let secret = "---\nkind: Secret\nmetadata: {name: registry-secret, namespace: deis}\ntype: Opaque\n\
            data: {accesskey: \"\", secretkey: \"\", region: ZXUtd2VzdC0x, registryid: \"\", hostname: \"\"}\n";
        let platform =
            |pod: &str, container: &str, access: &str| builder("ecr") + &refresher(pod, container) + access + secret;
        assert_eq!(violation(&platform(volumes, mounts, access), "ecr"), None);
        for (output, rule) in [
            (platform(volumes, "", access), "does not read registry-secret"),
            (platform("", mounts, access), "does not read registry-secret"),
            (
                platform(
                    volumes,
                    &format!("{mounts}, volumeMounts: [{{name: x, mountPath: /a}}, {{name: y, mountPath: /a}}]"),
                    access,
                ),
                "two mounts share a path",
            ),
            (
                platform(
                    &format!("automountServiceAccountToken: false, {volumes}"),
                    mounts,
                    access,
                ),
                "no ServiceAccount token",
            ),
            (
                platform(
                    volumes,
                    mounts,
                    &access.replace("namespace: deis}]", "namespace: other}]"),
                ),
                "does not bind",
            ),
            (
                platform(volumes, mounts, &access.replace("verbs: [list]", "verbs: [list, get]")),
                "its rules",
            ),
            (
                platform(
                    volumes,
                    mounts,
                    &access.replace("rules: [", "aggregationRule: {}\nrules: ["),
                ),
                "its rules",
            ),
            (
                platform(volumes, mounts, access).replace("value: \"5\"", "value: \"5s\""),
                "intervals",
            ),
            (
                platform(volumes, mounts, access).replace(
                    "DEIS_TOKEN_REFRESH_TIME, value: \"\"",
                    "DEIS_TOKEN_REFRESH_TIME, value: \"30\"",
                ),
                "intervals",
            ),
            (
                platform(
                    volumes,
                    mounts,
                    &access.replace("kind: ServiceAccount\nmetadata", "kind: ConfigMap\nmetadata"),
                ),
                "RefresherAccount",
            ),
        ] {
            let found = violation(&output, "ecr").unwrap_or_else(|| panic!("{rule}: passed\n{output}"));
            assert!(found.contains(rule), "{rule}: {found}");
        }
    }
}
