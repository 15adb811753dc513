//! The checks of every setting that need no manifest (docs/configuration.md):
//! every problem is collected, each names its setting and source, and no
//! message ever contains a secret value.

use std::net::Ipv6Addr;

use super::resolve::Resolved;
use super::setting::{Setting, Source};
use super::{gcr_key, suggest, Location, Problem, Problems, Secret, Settings, Warning};
use crate::names;
use crate::platform::contract::{self, LocationKind};
use crate::platform::image::Image;

/// Turn resolved values into settings, or report every problem at once.
pub fn validate(resolved: &Resolved) -> Result<(Settings, Vec<Warning>), Problems> {
    let mut v = Validator {
        r: resolved,
        out: Problems::new(Vec::new()),
    };
    v.out.warnings = resolved.warnings.clone();
    let location = v.location();
    v.conflicts();
    let settings = Settings {
        token_refresh_time: v.token_refresh_time(location.as_ref()),
        secret_prefix: v.secret_prefix(),
        refresher_image: v.refresher_image(),
        location: location.unwrap_or(Location::OnCluster),
        sources: (resolved.values.iter())
            .map(|(s, (_, source, _))| (*s, source.clone()))
            .filter(|(_, source)| source.is_explicit())
            .collect(),
    };
    match v.out.problems.is_empty() {
        true => Ok((settings, v.out.warnings)),
        false => Err(v.out),
    }
}

/// What `check` says besides [`validate`]'s warnings: a refresh time needs a
/// refresher that fixed the published ones' bug (else the manifest's decides).
pub fn check_warnings(settings: &Settings) -> Vec<Warning> {
    let advice = contract::DEIS.location_advice(settings.location.kind());
    let mut warnings: Vec<Warning> = advice.into_iter().map(Warning::general).collect();
    let time = &settings.token_refresh_time;
    if time.is_empty() || !settings.location.needs_token_refresher() {
        return warnings;
    }
    let why = "every published refresher (v1.0.0 to v1.2.2) fails with it";
    let message = match &settings.refresher_image {
        Some(image) => format!("{time} is set for {image}: {why}; make sure this image has fixed that"),
        None => format!(
            "{time} is set and no refresher image is configured: {why}, so the filter refuses it unless the \
             manifest's own refresher is a build that has fixed that"
        ),
    };
    warnings.push(Warning::about(Setting::TokenRefreshTime, message));
    warnings
}

struct Validator<'r> {
    r: &'r Resolved,
    out: Problems,
}

impl Validator<'_> {
    fn is_set(&self, s: Setting) -> bool {
        !self.r.value(s).is_empty()
    }

    fn problem(&mut self, setting: Setting, message: impl Into<String>) {
        self.out.problems.push(Problem {
            setting: Some(setting),
            source: Some(self.r.source(setting)).filter(Source::is_explicit),
            message: message.into(),
        });
    }

    fn warn(&mut self, setting: Setting, message: impl Into<String>) {
        self.out.warnings.push(Warning::about(setting, message));
    }

    /// `found "x", expected ...`; a secret is never echoed.
    fn expected(&mut self, s: Setting, what: &str) {
        let message = format!("{}, expected {what}", self.found(s));
        self.problem(s, message);
    }

    fn found(&self, s: Setting) -> String {
        match s.definition().secret {
            true => "the value given".into(),
            false => format!("found {:?}", self.r.value(s)),
        }
    }

    fn location(&mut self) -> Option<Location> {
        let name = self.r.value(Setting::Location).to_owned();
        if name.contains(char::is_control) {
            self.problem(Setting::Location, "contains a control character (a line break?)");
            return None;
        }
        if let Some(deis) = self.r.deis_registry_location.clone().filter(|deis| *deis != name) {
            if !self.r.is_explicit(Setting::Location) {
                let message = format!(
                    "DEIS_REGISTRY_LOCATION={deis:?} is set but REGISTRY_LOCATION is not: Workflow (and this tool) \
                     read REGISTRY_LOCATION, so this would silently render {name}; rename the variable"
                );
                self.problem(Setting::Location, message);
                return None;
            }
            self.out.warnings.push(Warning::general(format!(
                "DEIS_REGISTRY_LOCATION={deis:?} is ignored: REGISTRY_LOCATION ({name}) decides"
            )));
        }
        let kind = LocationKind::named(&name);
        if self.r.drycc_values && kind.is_some_and(|k| !contract::DRYCC.locations.contains(&k)) {
            let why = contract::DRYCC_LOCATIONS;
            let message = format!("found {name:?} with Drycc Workflow's values file: {why}");
            self.problem(Setting::Location, message);
            return None;
        }
        match kind {
            Some(LocationKind::OnCluster) => Some(Location::OnCluster),
            Some(LocationKind::OffCluster) => self.off_cluster(),
            Some(LocationKind::Ecr) => self.ecr(),
            Some(LocationKind::Gcr) => self.gcr(),
            None => {
                let names = LocationKind::names();
                let hint = suggest::closest(&name, &names).map_or(String::new(), |s| format!("; did you mean {s:?}?"));
                let message = format!("found {name:?}, expected one of {}{hint}", names.join(", "));
                self.problem(Setting::Location, message);
                None
            }
        }
    }

    /// Strip a scheme and trailing slashes (with a warning: Workflow's builder
    /// breaks on a scheme), then check `host[:port]`.
    fn hostname(&mut self, s: Setting) -> String {
        let raw = self.r.value(s).to_owned();
        if raw.contains('@') {
            let why = "contains `@` (the value is not shown, as it may hold a password): a registry hostname takes \
                       no user or password; give them in REGISTRY_USERNAME and REGISTRY_PASSWORD";
            self.problem(s, why);
            return String::new();
        }
        let host = normalise_host(&raw);
        if host != raw {
            let message = format!("{raw:?} was normalised to {host:?}: registry hostnames take no scheme or trailing slash (Workflow's builder builds invalid image names from them)");
            self.warn(s, message);
        }
        if !(host.is_empty() || is_host_port(&host) || (s == Setting::Hostname && is_docker_hub(&host))) {
            self.problem(s, format!("found {host:?}, expected host or host:port (no scheme, no path; a namespace goes in REGISTRY_ORGANIZATION)"));
        }
        host
    }

    /// A line break or escape inside a credential is a paste error that
    /// the registry would reject much later (the value is never shown).
    fn no_control_characters(&mut self, s: Setting) {
        if self.r.value(s).contains(char::is_control) {
            let why = "contains a control character (a line break or tab inside the value?)";
            self.problem(s, why);
        }
    }

    /// Two config files that disagree about a setting the location uses.
    fn conflicts(&mut self) {
        let location = self.r.value(Setting::Location).to_owned();
        for c in self.r.conflicts.iter().filter(|c| c.setting.applies_to(&location)) {
            let hide = |value: &str| c.setting.definition().secret || (c.setting.is_host() && value.contains('@'));
            let shown = |(value, source): &(String, Source)| match hide(value) {
                true => source.to_string(),
                false => format!("{source} ({value:?})"),
            };
            // Named by the setting alone: the message names both sources.
            self.out.problems.push(Problem {
                setting: Some(c.setting),
                source: None,
                message: format!(
                    "{} and {} disagree; config files share one level of precedence, so keep the value in one of \
                     them (or decide with the environment variable)",
                    shown(&c.first),
                    shown(&c.second)
                ),
            });
        }
    }

    fn off_cluster(&mut self) -> Option<Location> {
        let mut hostname = self.hostname(Setting::Hostname);
        if is_docker_hub(&hostname) && !hostname.is_empty() {
            let message = format!("{hostname:?} is understood as Docker Hub and written empty, as Workflow expects (kubelet pulls failed with \"docker.io\")");
            self.warn(Setting::Hostname, message);
            hostname.clear();
        }
        let organization = self.r.value(Setting::Organization).to_owned();
        // Several levels (the README's registry recipes): the builder pushes `<host>/<organization>/<app>`,
        // which only some registries nest; Artifact Registry needs exactly `<project>/<repository>`.
        let (levels, artifact) = (organization.split('/').count(), hostname.ends_with("-docker.pkg.dev"));
        if hostname.is_empty() && organization.is_empty() {
            let why = "is required for Docker Hub (empty REGISTRY_HOSTNAME): images would be pushed as /<app>";
            self.problem(Setting::Organization, why);
        } else if !organization.is_empty() && !is_repository_path(&organization) {
            let what = "a Docker repository path: lowercase letters and digits, separated by `.`, `_`, `-` or `/`";
            self.expected(Setting::Organization, what);
        } else if artifact && levels != 2 {
            let message = format!("found {organization:?}: Artifact Registry stores images at {hostname}/<project>/<repository>/<image>, so the organization must be <project>/<repository>");
            self.warn(Setting::Organization, message);
        } else if levels > 1 && !artifact {
            let message = format!("{organization:?} has {levels} levels: apps are pushed as <host>/{organization}/<app>, which GitLab (group/project) accepts and Docker Hub refuses; `workflow-registry verify --push-check` proves whether this registry does");
            self.warn(Setting::Organization, message);
        }
        for s in [Setting::Username, Setting::Password] {
            if !self.is_set(s) {
                self.problem(s, "is required for off-cluster");
            }
        }
        let username = self.r.value(Setting::Username).to_owned();
        if username == "_json_key" && self.r.value(Setting::Password).contains(char::is_control) {
            let why = "contains a line break: with _json_key, give the service-account key JSON on one line (jq -c . key.json)";
            self.problem(Setting::Password, why);
        } else {
            self.no_control_characters(Setting::Password);
        }
        if username.contains(|c: char| c.is_control() || c == ':') {
            self.expected(Setting::Username, "a user name without control characters or `:`");
        }
        if matches!(username.as_str(), "AWS" | "oauth2accesstoken") {
            let message = format!("{username:?} is the user of a short-lived token (ECR/GCR): an off-cluster credential is never refreshed, so pushes and pulls fail when it expires; use REGISTRY_LOCATION=ecr or gcr");
            self.warn(Setting::Username, message);
        }
        Some(Location::OffCluster {
            hostname,
            organization,
            username,
            password: Secret::new(self.r.value(Setting::Password)),
        })
    }

    fn ecr(&mut self) -> Option<Location> {
        let region = self.r.value(Setting::EcrRegion).to_owned();
        if !is_aws_region(&region) {
            self.expected(Setting::EcrRegion, "an AWS region such as us-west-2");
        } else if !self.r.is_explicit(Setting::EcrRegion) {
            let message = format!("is not set: using Workflow's default {region}; the registry must be in that region");
            self.warn(Setting::EcrRegion, message);
        }
        let keys = [Setting::EcrAccessKey, Setting::EcrSecretKey];
        for (set, missing) in [(keys[0], keys[1]), (keys[1], keys[0])] {
            if self.is_set(set) && !self.is_set(missing) {
                let why = format!("{} is set (or leave both empty to use the node's IAM role)", set.name());
                self.problem(missing, format!("is required when {why}"));
            }
        }
        let [access, secret] = keys.map(|k| self.r.value(k).to_owned());
        self.no_control_characters(Setting::EcrSecretKey);
        let key_id = (16..=128).contains(&access.len()) && access.chars().all(|c| c.is_ascii_alphanumeric());
        if access.starts_with("ASIA") {
            self.problem(Setting::EcrAccessKey, "is a temporary (STS) key, which needs a session token that registry-secret cannot carry: use a long-lived AKIA key, or leave both keys empty to use the IAM role");
        } else if !access.is_empty() && !key_id {
            let why = "does not look like an AWS access key id (16 to 128 letters and digits, such as AKIA...)";
            self.problem(Setting::EcrAccessKey, why);
        }
        let registry_id = self.r.value(Setting::EcrRegistryId).to_owned();
        if !registry_id.is_empty() && !is_account_id(&registry_id) {
            self.expected(Setting::EcrRegistryId, "a 12-digit AWS account id");
        }
        let hostname = self.hostname(Setting::EcrHostname);
        if !hostname.is_empty() {
            let why = "is set, but Workflow's docs say to leave it empty (registry-token-refresher#11)";
            self.warn(Setting::EcrHostname, why);
            match parse_ecr_host(&hostname) {
                None => {
                    let message = format!("found {hostname:?}, expected <account>.dkr.ecr.<region>.amazonaws.com");
                    self.problem(Setting::EcrHostname, message);
                }
                Some((account, host_region)) => {
                    if !registry_id.is_empty() && account != registry_id {
                        let message = format!("names account {account} but ECR_REGISTRY_ID is {registry_id}");
                        self.problem(Setting::EcrHostname, message);
                    }
                    if host_region != region {
                        let message = format!("names region {host_region} but ECR_REGION is {region}");
                        self.problem(Setting::EcrHostname, message);
                    }
                }
            }
        }
        Some(Location::Ecr {
            access_key: Secret::new(access),
            secret_key: Secret::new(secret),
            region,
            registry_id,
            hostname,
        })
    }

    fn gcr(&mut self) -> Option<Location> {
        let hostname = self.hostname(Setting::GcrHostname);
        if !hostname.is_empty() && !is_gcr_host(&hostname) {
            self.problem(Setting::GcrHostname, format!("found {hostname:?}, expected gcr.io, us.gcr.io, eu.gcr.io, asia.gcr.io or <location>-docker.pkg.dev"));
        } else if hostname.ends_with("-docker.pkg.dev") {
            let message = format!("{hostname:?} is Artifact Registry, which location gcr cannot push to: the builder names images {hostname}/<project_id>/<app>, and Artifact Registry needs {hostname}/<project>/<repository>/<image>. Use location off-cluster: REGISTRY_HOSTNAME={hostname} REGISTRY_ORGANIZATION=<project>/<repository> REGISTRY_USERNAME=_json_key REGISTRY_PASSWORD=\"$(jq -c . key.json)\" (the README's registry recipes)");
            self.warn(Setting::GcrHostname, message);
        }
        if !self.is_set(Setting::GcrKeyJson) {
            let why = "is required for gcr: the service-account key as JSON, base64 of it, or @path/to/key.json";
            self.problem(Setting::GcrKeyJson, why);
            return None;
        }
        let (key, _, base) = &self.r.values[&Setting::GcrKeyJson];
        let key = gcr_key::decode(key, base);
        let key_json = Secret::new(key.map_err(|why| self.problem(Setting::GcrKeyJson, why)).ok()?);
        Some(Location::Gcr { key_json, hostname })
    }

    /// Minutes below the token's lifetime, never with a stock refresher image
    /// (each release panics on a value, v1.0.0 ignores it): the transform's rules.
    fn token_refresh_time(&mut self, location: Option<&Location>) -> String {
        let value = self.r.value(Setting::TokenRefreshTime).to_owned();
        let Some(location) = location.filter(|_| !value.is_empty()) else {
            return value;
        };
        let Some(lifetime) = location.kind().token_lifetime_minutes() else {
            let message = format!("is ignored: {} has no token refresher", location.name());
            self.warn(Setting::TokenRefreshTime, message);
            return value;
        };
        match contract::refresher_interval(&value) {
            Some(minutes) if minutes >= lifetime => self.problem(
                Setting::TokenRefreshTime,
                format!(
                    "{minutes} minutes is not below the {lifetime}-minute lifetime of {} tokens: apps would pull \
                     with expired tokens",
                    location.name()
                ),
            ),
            Some(_) => {}
            None => self.expected(
                Setting::TokenRefreshTime,
                &format!("a positive whole number of minutes (below {lifetime}; the refresher's ticker panics on 0)"),
            ),
        }
        let image = self.r.value(Setting::RefresherImage).to_owned();
        if self.r.is_explicit(Setting::RefresherImage) && contract::is_stock_refresher(&image) {
            let message = format!(
                "{value:?} cannot work with the configured refresher image {image} (from {}): \
                 registry-token-refresher v1.0.1 to v1.2.2 reads it with strconv.ParseInt into an int64 \
                 (pkg/config.go) and then asserts .(int) in GetRefreshTime (pkg/credentials/ecr.go, gcr.go), so it \
                 panics at start, and v1.0.0 ignores it; leave it empty (tokens are refreshed at the provider's \
                 default), or configure an image that has fixed this",
                self.r.source(Setting::RefresherImage)
            );
            self.problem(Setting::TokenRefreshTime, message);
        }
        value
    }

    /// Pull secrets are named `<prefix>-<location>`, which must be a Secret name
    /// (a DNS-1123 subdomain). `None`: no prefix set (the chart's stays).
    fn secret_prefix(&mut self) -> Option<String> {
        let prefix = self.r.value(Setting::SecretPrefix).to_owned();
        let location = match LocationKind::named(self.r.value(Setting::Location)) {
            Some(l) if l != LocationKind::OnCluster => l.name(),
            // The longest name, so the prefix fits whatever the location becomes.
            _ => LocationKind::OffCluster.name(),
        };
        let name = format!("{prefix}-{location}");
        if !names::is_dns_subdomain(&name) {
            let message = format!(
                "{}, which makes the pull secret name {name:?}: expected a prefix that makes it a Kubernetes \
                 name (lowercase letters, digits, `-` and `.`, each `.`-separated part starting and ending \
                 with a letter or digit, 253 characters in all)",
                self.found(Setting::SecretPrefix)
            );
            self.problem(Setting::SecretPrefix, message);
        }
        self.r.is_explicit(Setting::SecretPrefix).then_some(prefix)
    }

    /// `None` when the operator set no image (the transform then follows the platform).
    fn refresher_image(&mut self) -> Option<String> {
        let image = Some(self.r.value(Setting::RefresherImage).to_owned()).filter(|i| !i.is_empty())?;
        if !is_image_reference(&image) {
            let what = format!("an image reference such as {}", contract::STOCK_REFRESHERS[0].1);
            self.expected(Setting::RefresherImage, &what);
        }
        Some(image)
    }
}

/// Docker Hub however written, in any case.
fn is_docker_hub(host: &str) -> bool {
    // Docker Hub speaks HTTPS only: `docker.io:443` is Docker Hub too.
    let host = host.to_ascii_lowercase().replacen(":443", "", 1);
    matches!(
        host.as_str(),
        "" | "docker.io" | "index.docker.io" | "registry-1.docker.io" | "index.docker.io/v1"
    )
}

/// `host` or `host:port`, host being a DNS name, IPv4 or `[IPv6]`.
fn is_host_port(s: &str) -> bool {
    let (host, port) = match s.strip_prefix('[') {
        // After `]` only nothing or `:port` may follow.
        Some(rest) => match rest.split_once(']') {
            Some((ip6, tail)) if ip6.parse::<Ipv6Addr>().is_ok() && (tail.is_empty() || tail.starts_with(':')) => {
                ("x", tail.strip_prefix(':'))
            }
            _ => return false,
        },
        None => s.rsplit_once(':').map_or((s, None), |(h, p)| (h, Some(p))),
    };
    let port_ok = port.is_none_or(|p| p.len() <= 5 && digits::<u16>(p).is_some_and(|n| n > 0));
    port_ok && names::is_host_name(host)
}

/// A registry host without scheme and trailing slashes (what `check` shows and the Secret gets).
pub fn normalise_host(raw: &str) -> String {
    let host = raw.strip_prefix("https://").unwrap_or(raw);
    let host = host.strip_prefix("http://").unwrap_or(host);
    host.trim_end_matches('/').to_owned()
}

/// An image reference, `[host[:port]/]path[:tag][@digest]` (`distribution/reference`).
fn is_image_reference(s: &str) -> bool {
    let image = Image::parse(s);
    let alg_byte = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b);
    let digest_ok = image.digest.is_none_or(|d| {
        d.split_once(':').is_some_and(|(alg, hex)| {
            let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
            !alg.is_empty() && alg.bytes().all(alg_byte) && hex_ok
        })
    });
    let tag_ok = image.tag.is_none_or(|t| {
        (1..=128).contains(&t.len())
            && t.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    });
    digest_ok && tag_ok && image.host.is_none_or(is_host_port) && is_repository_path(image.path)
}

/// Docker's repository path grammar: components of `[a-z0-9]+` joined by
/// `.`, `_`, `__` or any number of `-`, components separated by `/`.
fn is_repository_path(s: &str) -> bool {
    s.split('/').all(|component| {
        let bytes = component.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if bytes.is_empty() || !alnum(&bytes[0]) || !alnum(&bytes[bytes.len() - 1]) {
            return false;
        }
        component
            .split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            .filter(|sep| !sep.is_empty())
            .all(|sep| matches!(sep, "." | "_" | "__") || sep.chars().all(|c| c == '-'))
    })
}

fn is_aws_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (number, words) = parts.split_last().expect("split yields a part");
    let word = |w: &&str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase());
    words.len() >= 2 && words[0].len() == 2 && words.iter().all(word) && digits::<u8>(number).is_some()
}

/// A number in digits only: `parse` alone would take `+2`.
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok()).flatten()
}

/// `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` → (account, region).
fn parse_ecr_host(host: &str) -> Option<(&str, &str)> {
    let host = host.strip_suffix(".cn").unwrap_or(host);
    let rest = host.strip_suffix(".amazonaws.com")?;
    let (account, rest) = rest.split_once('.')?;
    let region = rest.strip_prefix("dkr.ecr.").or(rest.strip_prefix("dkr.ecr-fips."))?;
    (is_account_id(account) && is_aws_region(region)).then_some((account, region))
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_gcr_host(host: &str) -> bool {
    let byte_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    let location = host.strip_suffix("-docker.pkg.dev").unwrap_or_default();
    matches!(host, "gcr.io" | "us.gcr.io" | "eu.gcr.io" | "asia.gcr.io")
        || (!location.is_empty() && location.bytes().all(byte_ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_helpers() {
        for ok in [
            "quay.io",
            "myregistry.azurecr.io",
            "localhost:5000",
            "10.0.0.1:443",
            "[::1]:5000",
        ] {
            assert!(is_host_port(ok), "{ok}");
        }
        for bad in [
            "quay.io/org",
            "host:0",
            "host:99999",
            "host:+80",
            "-x.io",
            "a b",
            "[::1]\nevil: true",
            "[::1]x",
            "[::1]:",
            "quay.io:",
        ] {
            assert!(!is_host_port(bad), "{bad}");
        }
        for ok in [
            "quay.io/deis/registry-token-refresher:v1.1.3",
            "hephy/registry-token-refresher:v1.2.2",
            "localhost:5000/x/y",
            "registry-token-refresher",
            "x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_image_reference(ok), "{ok}");
        }
        for bad in ["quay.io/x:", "a b", "Quay/x", "x:y\nz", "x/y@sha256:zz", "/x", "x//y"] {
            assert!(!is_image_reference(bad), "{bad}");
        }
        for ok in ["deis", "my-org", "a.b_c", "team/sub", "a__b", "a---b"] {
            assert!(is_repository_path(ok), "{ok}");
        }
        for bad in ["Deis", "-a", "a-", "a//b", "a..b", "a b"] {
            assert!(!is_repository_path(bad), "{bad}");
        }
        for ok in ["us-west-2", "eu-central-1", "us-gov-west-1", "ap-southeast-3"] {
            assert!(is_aws_region(ok), "{ok}");
        }
        for bad in [
            "us-west",
            "US-WEST-2",
            "uswest2",
            "europe-west1",
            "us-west-+2",
            "us-west-",
        ] {
            assert!(!is_aws_region(bad), "{bad}");
        }
        assert_eq!(
            parse_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(("123456789012", "eu-west-1"))
        );
        assert!(is_gcr_host("europe-docker.pkg.dev") && !is_gcr_host("docker.pkg.dev") && !is_gcr_host("quay.io"));
    }
}
