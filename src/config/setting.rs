//! Every configuration setting, defined once: its environment variable,
//! params-file key, flag and default. `--help`, `check` and the resolver all
//! read this table, so they cannot disagree.

use std::fmt;

/// A configuration setting.
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

/// How a setting is named in each source.
#[derive(Debug)]
pub struct Definition {
    pub setting: Setting,
    pub env: Option<&'static str>,
    /// Dotted key in Workflow's `tpl/generate_params.toml` layout.
    pub params_key: &'static str,
    pub flag: Option<&'static str>,
    pub default: &'static str,
    /// What the default means, for `--help`.
    pub default_note: &'static str,
    pub secret: bool,
    pub help: &'static str,
}

pub const DEFAULT_REFRESHER_IMAGE: &str = "quay.io/deis/registry-token-refresher:v1.1.3";

pub const DEFINITIONS: &[Definition] = &[
    Definition {
        setting: Setting::Location,
        env: Some("REGISTRY_LOCATION"),
        params_key: "registry_location",
        flag: Some("--location"),
        default: "on-cluster",
        default_note: "",
        secret: false,
        help: "on-cluster, off-cluster, ecr or gcr",
    },
    Definition {
        setting: Setting::Hostname,
        env: Some("REGISTRY_HOSTNAME"),
        params_key: "off_cluster_registry.hostname",
        flag: None,
        default: "",
        default_note: "empty = Docker Hub",
        secret: false,
        help: "off-cluster registry host[:port], no scheme",
    },
    Definition {
        setting: Setting::Organization,
        env: Some("REGISTRY_ORGANIZATION"),
        params_key: "off_cluster_registry.organization",
        flag: None,
        default: "",
        default_note: "empty",
        secret: false,
        help: "off-cluster namespace (required for Docker Hub)",
    },
    Definition {
        setting: Setting::Username,
        env: Some("REGISTRY_USERNAME"),
        params_key: "off_cluster_registry.username",
        flag: None,
        default: "",
        default_note: "required",
        secret: false,
        help: "off-cluster registry user",
    },
    Definition {
        setting: Setting::Password,
        env: Some("REGISTRY_PASSWORD"),
        params_key: "off_cluster_registry.password",
        flag: None,
        default: "",
        default_note: "required",
        secret: true,
        help: "off-cluster registry password or token",
    },
    Definition {
        setting: Setting::EcrAccessKey,
        env: Some("ECR_ACCESS_KEY"),
        params_key: "ecr.accesskey",
        flag: None,
        default: "",
        default_note: "empty = IAM role",
        secret: true,
        help: "AWS access key id (long-lived, AKIA...)",
    },
    Definition {
        setting: Setting::EcrSecretKey,
        env: Some("ECR_SECRET_KEY"),
        params_key: "ecr.secretkey",
        flag: None,
        default: "",
        default_note: "empty = IAM role",
        secret: true,
        help: "AWS secret access key",
    },
    Definition {
        setting: Setting::EcrRegion,
        env: Some("ECR_REGION"),
        params_key: "ecr.region",
        flag: None,
        default: "us-west-2",
        default_note: "",
        secret: false,
        help: "AWS region of the registry",
    },
    Definition {
        setting: Setting::EcrRegistryId,
        env: Some("ECR_REGISTRY_ID"),
        params_key: "ecr.registryid",
        flag: None,
        default: "",
        default_note: "empty = account default",
        secret: false,
        help: "12-digit AWS account id",
    },
    Definition {
        setting: Setting::EcrHostname,
        env: Some("ECR_HOSTNAME"),
        params_key: "ecr.hostname",
        flag: None,
        default: "",
        default_note: "empty (recommended)",
        secret: false,
        help: "ECR host; Workflow's docs say leave it empty",
    },
    Definition {
        setting: Setting::GcrKeyJson,
        env: Some("GCR_KEY_JSON"),
        params_key: "gcr.key_json",
        flag: None,
        default: "",
        default_note: "required",
        secret: true,
        help: "service-account key: raw JSON, base64 of it, or @path",
    },
    Definition {
        setting: Setting::GcrHostname,
        env: Some("GCR_HOSTNAME"),
        params_key: "gcr.hostname",
        flag: None,
        default: "",
        default_note: "empty = gcr.io",
        secret: false,
        help: "gcr.io host or <location>-docker.pkg.dev",
    },
    Definition {
        setting: Setting::TokenRefreshTime,
        env: Some("DEIS_TOKEN_REFRESH_TIME"),
        params_key: "registry_token_refresher.tokenRefreshTime",
        flag: None,
        default: "",
        default_note: "empty = provider default",
        secret: false,
        help: "minutes between token refreshes (ecr, gcr); leave empty with stock refresher images (Deis v1.0.0-v1.1.3, Hephy v1.2.0-v1.2.2 panic on it)",
    },
    Definition {
        setting: Setting::SecretPrefix,
        env: None,
        params_key: "registry_token_refresher.secretPrefix",
        flag: Some("--secret-prefix"),
        default: "private-registry",
        default_note: "",
        secret: false,
        help: "prefix of the pull secrets in app namespaces; unset, the chart's own stands",
    },
    Definition {
        setting: Setting::RefresherImage,
        env: Some("REGISTRY_TOKEN_REFRESHER_IMAGE"),
        params_key: "registry_token_refresher.{org,dockerTag}",
        flag: None,
        default: DEFAULT_REFRESHER_IMAGE,
        default_note: "",
        secret: false,
        help: "token refresher image; unset: the input's own, else hephy/registry-token-refresher:v1.2.2 when Workflow's images are Hephy's, else the default",
    },
];

impl Setting {
    pub fn definition(self) -> &'static Definition {
        DEFINITIONS
            .iter()
            .find(|d| d.setting == self)
            .expect("every setting is defined")
    }

    /// The name an operator knows it by: the environment variable when there
    /// is one, else the flag.
    pub fn name(self) -> &'static str {
        let d = self.definition();
        d.env.or(d.flag).unwrap_or(d.params_key)
    }

    pub fn is_secret(self) -> bool {
        self.definition().secret
    }

    /// Whether this setting means anything for the location named `location`
    /// (`check` shows only those; conflicts elsewhere do not matter).
    pub fn applies_to(self, location: &str) -> bool {
        match self {
            Setting::Location | Setting::SecretPrefix => true,
            Setting::Hostname | Setting::Organization | Setting::Username | Setting::Password => {
                location == "off-cluster"
            }
            Setting::EcrAccessKey
            | Setting::EcrSecretKey
            | Setting::EcrRegion
            | Setting::EcrRegistryId
            | Setting::EcrHostname => location == "ecr",
            Setting::GcrKeyJson | Setting::GcrHostname => location == "gcr",
            Setting::TokenRefreshTime | Setting::RefresherImage => matches!(location, "ecr" | "gcr"),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.definition();
        write!(f, "{} (params: {})", self.name(), d.params_key)
    }
}

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Params(String),
    /// A chart values file (`--values`), with the key.
    Values(String),
    FunctionConfig(String),
    Default,
}

impl Source {
    /// Whether the operator (or a config file) set the value, as opposed to
    /// the tool's default.
    pub fn is_explicit(&self) -> bool {
        *self != Source::Default
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Params(key) => write!(f, "params file {key}"),
            Source::Values(key) => write!(f, "values file {key}"),
            Source::FunctionConfig(key) => write!(f, "function config {key}"),
            Source::Default => f.write_str("default"),
        }
    }
}
