//! The token refresher's decisions: which container of its pod it is, the
//! image the output runs, the intervals that image can parse, and exactly
//! the access its calls need (`boot.go`, `pkg/secrets.go`, `pkg/config.go`
//! of deis/registry-token-refresher and its Hephy fork).

use serde_json::{json, Value as Json};

use super::plan::Planner;
use crate::config::Setting;
use crate::manifest::{Body, Container, Pod};
use crate::platform::contract::{self as k, Role, DEIS};
use crate::platform::image::Image;
use crate::platform::{Error, Object};

/// The refresher container of its pod (docs/semantics.md, "The refresher"):
/// the one with a sign, else the only one. Every sign counts, not the first
/// found: the edits (a configured image of another name) must not move the
/// choice on the next run, and each sign survives them on the one chosen.
pub fn container(pod: &Pod) -> Result<Option<&Container>, String> {
    let (image, name) = (k::REFRESHER_IMAGE_NAME, k::REFRESHER);
    let (minutes, seconds) = (k::TOKEN_REFRESH_VAR, k::NAMESPACE_REFRESH_VAR);
    let main: Vec<&Container> = pod.containers.iter().filter(|c| !c.init).collect();
    let signs = |c: &&Container| {
        c.image.as_deref().is_some_and(|i| Image::parse(i).name() == image)
            || c.declares(minutes)
            || c.declares(seconds)
            || c.name == name
    };
    let found: Vec<&Container> = main.iter().copied().filter(signs).collect();
    let rule = format!("runs a */{image} image, declares {minutes} or {seconds}, or is named {name}");
    let unclear = "cannot tell which container is the token refresher";
    match (found.as_slice(), main.as_slice()) {
        ([c], _) => Ok(Some(c)),
        ([], []) => Ok(None),
        ([], [only]) => Ok(Some(only)),
        ([], _) => Err(format!("{unclear}: none {rule}")),
        (several, _) => {
            let names: Vec<String> = several.iter().map(|c| format!("{:?}", c.name)).collect();
            let names = names.join(", ");
            Err(format!(
                "{unclear}: each of {names} {rule}; keep one refresher container"
            ))
        }
    }
}

/// The image the output's refresher runs: the configured one, else the
/// input refresher's, else the published refresher of the organisation
/// (and registry, or mirror) Workflow's own images come from, else Deis's.
pub fn image(p: &mut Planner<'_, '_, '_>, input: Option<&str>) -> String {
    if let Some(image) = p.settings.refresher_image.as_deref().or(input) {
        return image.to_owned();
    }
    let model = p.model;
    let derived = [Role::Builder, Role::Controller]
        .into_iter()
        .flat_map(|role| model.workflows(role))
        .filter_map(|o| o.resource.pod())
        .flat_map(|pod| pod.containers.iter())
        .filter_map(|c| c.image.as_deref().map(Image::parse))
        .find_map(|i| {
            let org = i.org()?;
            let (_, _, tag) = k::STOCK_REFRESHERS.iter().find(|(o, _, _)| *o == org)?;
            let why = format!("the published refresher beside Workflow's {}", i.repository());
            i.is(&[org], i.name())
                .then(|| (i.sibling(k::REFRESHER_IMAGE_NAME, tag), why))
        });
    let default = || (k::STOCK_REFRESHERS[0].1.to_owned(), "the default".to_owned());
    let (image, why) = derived.unwrap_or_else(default);
    p.notes.push(format!("refresher image {image} ({why})"));
    image
}

/// The refresh time (minutes) the output's refresher gets: the configured
/// one, else the input refresher's, refused as docs/semantics.md ("The
/// refresher", intervals) says when its image cannot run with it.
pub fn refresh_time(
    p: &mut Planner<'_, '_, '_>,
    input: Option<(&Object<'_, '_>, &Container)>,
    image: &str,
) -> Result<String, Error> {
    let (settings, var) = (p.settings, k::TOKEN_REFRESH_VAR);
    let configured = &settings.token_refresh_time;
    let input = input.and_then(|(o, c)| Some((o, c, c.env_text(var).filter(|v| !v.is_empty())?)));
    let value = match input {
        _ if !configured.is_empty() => configured.clone(),
        Some((_, _, value)) => value.to_owned(),
        None => return Ok(String::new()),
    };
    let source = settings.source(Setting::TokenRefreshTime);
    let refuse = |m: String| match input {
        Some((o, c, _)) if configured.is_empty() => o.error(&o.resource.container_path(c), format!("{var}: {m}")),
        _ => Error::Config(format!("{var} (from {source}): {m}")),
    };
    let lifetime = settings.location.kind().token_lifetime_minutes().unwrap_or(u32::MAX);
    if k::is_stock_refresher(image) {
        return Err(refuse(format!(
            "{value:?} cannot work with {image}: registry-token-refresher v1.0.1 to v1.2.2 reads it with \
             strconv.ParseInt into an int64 (pkg/config.go) and then asserts .(int) in GetRefreshTime \
             (pkg/credentials/ecr.go, gcr.go), so the refresher panics at start, and v1.0.0 ignores it; leave it \
             empty (tokens are refreshed at the provider's default), or set REGISTRY_TOKEN_REFRESHER_IMAGE to an \
             image that has fixed this"
        )));
    }
    match k::refresher_interval(&value) {
        Some(minutes) if minutes < lifetime => {
            p.warnings.push(format!(
                "{var}={value} is set for {image}: every published refresher (v1.0.0 to v1.2.2) fails with it \
                 (pkg/config.go int64 vs .(int) in pkg/credentials); make sure this image has fixed that"
            ));
            Ok(value)
        }
        Some(minutes) => Err(refuse(format!(
            "{minutes} minutes is not below the lifetime of a {} token ({lifetime} minutes): apps would pull with \
             expired tokens",
            settings.location.name()
        ))),
        None => Err(refuse(format!(
            "{value:?} is not a positive whole number of minutes (the refresher's ticker panics on 0)"
        ))),
    }
}

/// Seconds between the refresher's scans for app namespaces: the input's
/// value when set, else Workflow's `5`; `boot.go` stops at start on `5s`
/// and busy-loops on `0` or less.
pub fn namespace_refresh(o: &Object<'_, '_>, c: &Container) -> Result<String, Error> {
    match c.env_text(k::NAMESPACE_REFRESH_VAR).filter(|v| !v.is_empty()) {
        None => Ok(k::NAMESPACE_REFRESH_SECONDS.to_owned()),
        Some(v) if k::refresher_interval(v).is_some() => Ok(v.to_owned()),
        Some(v) => {
            let (var, default) = (k::NAMESPACE_REFRESH_VAR, k::NAMESPACE_REFRESH_SECONDS);
            let message = format!(
                "{var}={v:?} is not a positive whole number of seconds: the refresher stops at start on text and \
                 lists namespaces without pause on 0; write {default}"
            );
            Err(o.error(&o.resource.container_path(c), message))
        }
    }
}

/// Whether the pod gets a ServiceAccount token, without which the refresher
/// cannot reach the API: the pod's setting wins over its account's.
pub fn gets_token(pod: &Pod, account: Option<&Object<'_, '_>>) -> bool {
    let account = account.and_then(|a| match a.resource.body {
        Body::ServiceAccount { automount } => automount,
        _ => None,
    });
    pod.automount.or(account) != Some(false)
}

/// Exactly the calls the refresher makes: it lists namespaces, creates its
/// pull secret in each, and updates it by name.
pub fn rules(location: &str, prefix: &str) -> Json {
    json!([
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "resourceNames": [format!("{prefix}-{location}")],
            "verbs": ["update"],
        },
    ])
}

pub fn binding(namespace: &str) -> (Json, Json) {
    let role = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": k::REFRESHER_RBAC});
    let subjects = json!([{"kind": "ServiceAccount", "name": k::REFRESHER, "namespace": namespace}]);
    (role, subjects)
}

/// The refresher's mount of `registry-secret`, where it reads it.
pub fn creds_mount() -> Json {
    json!({"name": k::REGISTRY_SECRET, "mountPath": k::CREDS_PATH, "readOnly": true})
}

pub fn creds_volume() -> Json {
    json!({"name": k::REGISTRY_SECRET, "secret": {"secretName": k::REGISTRY_SECRET}})
}

/// The refresher's variables: location, prefix, and its two intervals.
pub fn env<'v>(location: &'v str, prefix: &'v str, seconds: &'v str, minutes: &'v str) -> [(&'static str, &'v str); 4] {
    [
        (DEIS.location_var, location),
        (DEIS.prefix_var, prefix),
        (k::NAMESPACE_REFRESH_VAR, seconds),
        (k::TOKEN_REFRESH_VAR, minutes),
    ]
}
