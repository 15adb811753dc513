//! Configuration: where each setting comes from (flags, environment, params
//! file or function config, defaults), and the checks that turn those raw
//! strings into [`Settings`] an operator can trust.

pub mod file;
mod gcr_key;
mod resolve;
mod secret;
pub mod setting;
pub mod suggest;
mod validate;

use std::fmt;

use crate::platform::contract::LocationKind;

pub use file::File;
pub use resolve::{env_problems, env_value, process_env, resolve, EnvLookup, Inputs, Resolved, KUSTOMIZE_ROOT};
pub use secret::Secret;
pub use setting::{FileKind, Setting, Source, DEFINITIONS};
pub use validate::{check_warnings, normalise_host, validate};

/// Fully validated settings: everything the transform needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub location: Location,
    /// Prefix of the apps' pull secrets (`<prefix>-<location>`). `None`: the
    /// operator set none, so the chart's own prefix (or the default) stands.
    pub secret_prefix: Option<String>,
    /// Minutes, or empty for the provider default.
    pub token_refresh_time: String,
    /// `None`: the operator set none, so the image follows the platform (the
    /// input's own refresher, else Hephy's or Deis's).
    pub refresher_image: Option<String>,
    /// Where each explicitly set value came from, for messages.
    pub sources: std::collections::BTreeMap<Setting, Source>,
}

impl Settings {
    pub fn source(&self, setting: Setting) -> Source {
        self.sources.get(&setting).cloned().unwrap_or(Source::Default)
    }
}

/// Where the platform's images live, with what each location needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    OnCluster,
    OffCluster {
        hostname: String,
        organization: String,
        username: String,
        password: Secret,
    },
    Ecr {
        access_key: Secret,
        secret_key: Secret,
        region: String,
        registry_id: String,
        hostname: String,
    },
    Gcr {
        key_json: Secret,
        hostname: String,
    },
}

impl Location {
    pub fn kind(&self) -> LocationKind {
        match self {
            Location::OnCluster => LocationKind::OnCluster,
            Location::OffCluster { .. } => LocationKind::OffCluster,
            Location::Ecr { .. } => LocationKind::Ecr,
            Location::Gcr { .. } => LocationKind::Gcr,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    pub fn needs_token_refresher(&self) -> bool {
        self.kind().needs_token_refresher()
    }

    /// The `registry-secret` data (key, plain value), every key of the location
    /// present. Empty for on-cluster, which has no such secret.
    pub fn secret_data(&self) -> Vec<(&'static str, &str)> {
        match self {
            Location::OnCluster => vec![],
            Location::OffCluster {
                hostname,
                organization,
                username,
                password,
            } => vec![
                ("hostname", hostname),
                ("organization", organization),
                ("username", username),
                ("password", password.expose()),
            ],
            Location::Ecr {
                access_key,
                secret_key,
                region,
                registry_id,
                hostname,
            } => vec![
                ("accesskey", access_key.expose()),
                ("secretkey", secret_key.expose()),
                ("region", region),
                ("registryid", registry_id),
                ("hostname", hostname),
            ],
            Location::Gcr { key_json, hostname } => vec![("key.json", key_json.expose()), ("hostname", hostname)],
        }
    }
}

/// A configuration problem: setting, source and what is wrong, never a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub setting: Option<Setting>,
    pub source: Option<Source>,
    pub message: String,
}

impl Problem {
    pub fn general(message: impl Into<String>) -> Self {
        Problem {
            setting: None,
            source: None,
            message: message.into(),
        }
    }

    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        self.message = format!("{prefix}{}", self.message);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Named by where the value was set (a file's key), never a variable nobody set.
        match (&self.setting, &self.source) {
            (_, Some(src)) => write!(f, "{src}: {}", self.message),
            (Some(s), None) => write!(f, "{s}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// A warning: never fatal, never with a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub setting: Option<Setting>,
    pub message: String,
}

impl Warning {
    pub fn about(setting: Setting, message: impl Into<String>) -> Self {
        Warning {
            setting: Some(setting),
            message: message.into(),
        }
    }

    pub fn general(message: impl Into<String>) -> Self {
        Warning {
            setting: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.setting {
            Some(s) => write!(f, "{}: {}", s.name(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Every configuration problem, with the warnings found on the way (an operator wants both at once).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}\n", self.lines().join("\n"))]
pub struct Problems {
    pub problems: Vec<Problem>,
    pub warnings: Vec<Warning>,
}

impl Problems {
    pub fn new(problems: Vec<Problem>) -> Self {
        Problems {
            problems,
            warnings: Vec::new(),
        }
    }

    /// `invalid configuration (N problems):`, then `  - problem` each. A
    /// problem stays one line whatever it holds: the caller escapes each.
    pub fn lines(&self) -> Vec<String> {
        let n = self.problems.len();
        let headline = format!("invalid configuration ({n} problem{}):", if n == 1 { "" } else { "s" });
        let problems = self.problems.iter().map(|p| format!("  - {p}"));
        std::iter::once(headline).chain(problems).collect()
    }
}
