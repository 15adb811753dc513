//! Every configuration setting, defined once: its flag, environment
//! variable, key in each kind of config file, default, whether it is a
//! secret, and its help. The file readers, `--help` and `check` all read
//! this table; a setting or a chart's key is added here and nowhere else.

use std::fmt;

use crate::platform::contract::{self, LocationKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Setting {
    Location,
    Hostname,
    Organization,
    Username,
    Password,
    EcrAccessKey,
    EcrSecretKey,
    EcrRegion,
    EcrRegistryId,
    EcrHostname,
    GcrKeyJson,
    GcrHostname,
    TokenRefreshTime,
    SecretPrefix,
    RefresherImage,
}

/// How a setting is named in each source, and what it is when unset.
#[derive(Debug)]
pub struct Definition {
    pub setting: Setting,
    pub flag: Option<&'static str>,
    pub env: Option<&'static str>,
    /// Keys in Helm Classic's `generate_params.toml` (and the config object):
    /// Workflow's key, then other spellings read too. The refresher image is
    /// built from two, as Helm Classic's template builds it.
    pub params: &'static [&'static str],
    /// Keys in a Deis Workflow v2.5+ or Hephy chart's values file.
    pub values: &'static [&'static str],
    /// Keys in a Drycc chart's values file, which must agree where several
    /// are set; the three `registry.enabled` flags together give the location.
    pub drycc: &'static [&'static str],
    pub default: &'static str,
    /// What the default means: `check` shows it, `--help` when there is no default.
    pub note: &'static str,
    pub secret: bool,
    /// Whether a file may give it as a number (`tokenRefreshTime = 30`). Any
    /// other setting is text: an unquoted `0777`, `1e3` or `yes` is a number or
    /// boolean, which the chart refuses and we would write as other text (`511`).
    pub number: bool,
    pub help: &'static str,
}

const NONE: Definition = Definition {
    setting: Setting::Location,
    flag: None,
    env: None,
    params: &[],
    values: &[],
    drycc: &[],
    default: "",
    note: "",
    secret: false,
    number: false,
    help: "",
};

/// Every setting, in the order `--help` and `check` show them.
#[rustfmt::skip]
pub const DEFINITIONS: &[Definition] = &[
    Definition { setting: Setting::Location, flag: Some("--location"), env: Some("REGISTRY_LOCATION"),
        params: &["registry_location"], values: &["global.registry_location"],
        drycc: &["registry.enabled", "builder.registry.enabled", "controller.registry.enabled"],
        default: LocationKind::OnCluster.name(),
        help: "on-cluster, off-cluster, ecr or gcr (Drycc: all three registry.enabled false is off-cluster)", ..NONE },
    Definition { setting: Setting::Hostname, env: Some("REGISTRY_HOSTNAME"),
        params: &["off_cluster_registry.hostname"],
        values: &["registry-token-refresher.off_cluster_registry.hostname"],
        drycc: &["builder.registryHost", "controller.registryHost"], note: "empty = Docker Hub",
        help: "off-cluster registry host[:port], no scheme", ..NONE },
    Definition { setting: Setting::Organization, env: Some("REGISTRY_ORGANIZATION"),
        params: &["off_cluster_registry.organization"],
        values: &["registry-token-refresher.off_cluster_registry.organization"],
        drycc: &["builder.registryOrganization"], note: "empty",
        help: "off-cluster namespace (required for Docker Hub)", ..NONE },
    Definition { setting: Setting::Username, env: Some("REGISTRY_USERNAME"),
        params: &["off_cluster_registry.username"],
        values: &["registry-token-refresher.off_cluster_registry.username"],
        drycc: &["builder.registryUsername", "controller.registryUsername"], note: "required",
        help: "off-cluster registry user", ..NONE },
    Definition { setting: Setting::Password, env: Some("REGISTRY_PASSWORD"),
        params: &["off_cluster_registry.password"],
        values: &["registry-token-refresher.off_cluster_registry.password"],
        drycc: &["builder.registryPassword", "controller.registryPassword"], note: "required", secret: true,
        help: "off-cluster registry password or token", ..NONE },
    Definition { setting: Setting::EcrAccessKey, env: Some("ECR_ACCESS_KEY"), params: &["ecr.accesskey"],
        values: &["registry-token-refresher.ecr.accesskey"], note: "empty = IAM role", secret: true,
        help: "AWS access key id (long-lived, AKIA...)", ..NONE },
    Definition { setting: Setting::EcrSecretKey, env: Some("ECR_SECRET_KEY"), params: &["ecr.secretkey"],
        values: &["registry-token-refresher.ecr.secretkey"], note: "empty = IAM role", secret: true,
        help: "AWS secret access key", ..NONE },
    Definition { setting: Setting::EcrRegion, env: Some("ECR_REGION"), params: &["ecr.region"],
        values: &["registry-token-refresher.ecr.region"], default: "us-west-2",
        note: "not set: the registry must be in this region", help: "AWS region of the registry", ..NONE },
    Definition { setting: Setting::EcrRegistryId, env: Some("ECR_REGISTRY_ID"), params: &["ecr.registryid"],
        values: &["registry-token-refresher.ecr.registryid"], note: "empty = account default",
        help: "12-digit AWS account id", ..NONE },
    Definition { setting: Setting::EcrHostname, env: Some("ECR_HOSTNAME"), params: &["ecr.hostname"],
        values: &["registry-token-refresher.ecr.hostname"], note: "empty (recommended)",
        help: "ECR host; Workflow's docs say leave it empty", ..NONE },
    Definition { setting: Setting::GcrKeyJson, env: Some("GCR_KEY_JSON"), params: &["gcr.key_json"],
        values: &["registry-token-refresher.gcr.key_json"], note: "required", secret: true,
        help: "service-account key: raw JSON, base64 of it, or @path", ..NONE },
    Definition { setting: Setting::GcrHostname, env: Some("GCR_HOSTNAME"), params: &["gcr.hostname"],
        values: &["registry-token-refresher.gcr.hostname"], note: "empty = gcr.io",
        help: "gcr.io host or <location>-docker.pkg.dev", ..NONE },
    Definition { setting: Setting::TokenRefreshTime, env: Some("DEIS_TOKEN_REFRESH_TIME"),
        params: &["registry_token_refresher.tokenRefreshTime", "registry_token_refresher.token_refresh_time"],
        values: &["registry-token-refresher.token_refresh_time"], note: "empty = provider default", number: true,
        help: "minutes between token refreshes (ecr, gcr), below the token's lifetime; leave empty with stock \
               refresher images (Deis v1.0.0-v1.1.3, Hephy v1.2.0-v1.2.2 panic on it)", ..NONE },
    Definition { setting: Setting::SecretPrefix, flag: Some("--secret-prefix"),
        params: &["registry_token_refresher.secretPrefix", "registry_token_refresher.secret_prefix"],
        values: &["global.secret_prefix"], drycc: &["controller.registrySecretPrefix"],
        default: contract::DEFAULT_SECRET_PREFIX,
        help: "prefix of the pull secrets in app namespaces; unset, the chart's own stands", ..NONE },
    Definition { setting: Setting::RefresherImage, env: Some("REGISTRY_TOKEN_REFRESHER_IMAGE"),
        params: &["registry_token_refresher.org", "registry_token_refresher.dockerTag",
            "registry_token_refresher.docker_tag"],
        values: &["registry-token-refresher.org", "registry-token-refresher.docker_tag"],
        note: "the input's own refresher, else the published one beside Workflow's images",
        help: "token refresher image; params: quay.io/{org}/registry-token-refresher:{dockerTag}, both keys set; \
               a values file's org and docker_tag are left to the chart (Deis's prefixes quay.io/, Hephy's does \
               not)", ..NONE },
];

/// A kind of config file, and so which of a setting's keys it uses.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Helm Classic's `generate_params.toml` (`--params`).
    #[default]
    Params,
    /// A kustomize/kpt config object: the params layout.
    FunctionConfig,
    /// A Deis Workflow v2.5+ / Hephy chart's values file (`--values`).
    Values,
    /// A Drycc Workflow chart's values file (`--values`, told by its keys).
    DryccValues,
}

impl FileKind {
    pub fn keys(self, d: &Definition) -> &'static [&'static str] {
        match self {
            FileKind::Params | FileKind::FunctionConfig => d.params,
            FileKind::Values => d.values,
            FileKind::DryccValues => d.drycc,
        }
    }

    /// Whether every key of the mapping at `container` (dotted, `""` the top)
    /// must be this kind's: the layout is this tool's own or a sub-chart's it
    /// reads whole. Elsewhere only near misses are reported (charts hold much else).
    pub fn strict(self, container: &str) -> bool {
        match self {
            FileKind::Params => !container.is_empty(),
            FileKind::FunctionConfig => true,
            FileKind::Values => container.split('.').next() == Some("registry-token-refresher"),
            FileKind::DryccValues => false,
        }
    }

    /// Every key of this kind: the settings', then those of Workflow's that
    /// this tool does not use (known, so not typos).
    pub fn all_keys(self) -> impl Iterator<Item = &'static str> {
        let unused: &[&str] = match self {
            FileKind::Params | FileKind::FunctionConfig => &[
                "registry_token_refresher.pullPolicy",
                "registry_token_refresher.pull_policy",
                "registry_token_refresher.limits_cpu",
                "registry_token_refresher.limits_memory",
            ],
            FileKind::Values => &[
                "registry-token-refresher.pull_policy",
                "registry-token-refresher.limits_cpu",
                "registry-token-refresher.limits_memory",
            ],
            FileKind::DryccValues => &[],
        };
        let keys = DEFINITIONS.iter().flat_map(move |d| self.keys(d));
        keys.chain(unused).copied()
    }
}

impl Setting {
    pub fn definition(self) -> &'static Definition {
        let definition = DEFINITIONS.iter().find(|d| d.setting == self);
        definition.expect("every setting is defined")
    }

    /// The name an operator knows it by: its environment variable, else its flag.
    pub fn name(self) -> &'static str {
        let d = self.definition();
        d.env.or(d.flag).unwrap_or(d.params[0])
    }

    pub fn is_host(self) -> bool {
        matches!(self, Setting::Hostname | Setting::EcrHostname | Setting::GcrHostname)
    }

    /// Whether this setting means anything for the location named `location`
    /// (`check` shows only those; conflicts elsewhere do not matter).
    pub fn applies_to(self, location: &str) -> bool {
        use Setting::*;
        let location = LocationKind::named(location);
        let only = match self {
            Location | SecretPrefix => return true,
            TokenRefreshTime | RefresherImage => return location.is_some_and(LocationKind::needs_token_refresher),
            Hostname | Organization | Username | Password => LocationKind::OffCluster,
            EcrAccessKey | EcrSecretKey | EcrRegion | EcrRegistryId | EcrHostname => LocationKind::Ecr,
            GcrKeyJson | GcrHostname => LocationKind::Gcr,
        };
        location == Some(only)
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The refresher image is built from two keys.
        let n = if *self == Setting::RefresherImage { 2 } else { 1 };
        let keys = self.definition().params[..n].join(" + ");
        write!(f, "{} (params: {keys})", self.name())
    }
}

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    /// A config file of a kind, with the key (or keys) that set it.
    File(FileKind, String),
    Default,
}

impl Source {
    /// Whether the operator (or a config file) set the value, not the default.
    pub fn is_explicit(&self) -> bool {
        *self != Source::Default
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::File(FileKind::Params, key) => write!(f, "params file {key}"),
            Source::File(FileKind::FunctionConfig, key) => write!(f, "function config {key}"),
            Source::File(FileKind::Values | FileKind::DryccValues, key) => write!(f, "values file {key}"),
            Source::Default => f.write_str("default"),
        }
    }
}
