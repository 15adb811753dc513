//! The token refresher: which container of its pod it is, which image the
//! output runs, and whether that image can start with the refresh time.

use crate::manifest::Container;

pub const DEIS_IMAGE: &str = "quay.io/deis/registry-token-refresher:v1.1.3";
pub const HEPHY_IMAGE: &str = "hephy/registry-token-refresher:v1.2.2";
const REPOSITORY: &str = "registry-token-refresher";
/// Variables only the refresher declares.
const OWN_VARS: [&str; 2] = ["DEIS_TOKEN_REFRESH_TIME", "DEIS_NAMESPACE_REFRESH_TIME"];

/// `registry/org/name:tag` (or `@digest`) as (path components, tag).
fn parts(image: &str) -> (Vec<&str>, Option<&str>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    // A `:` after the last `/` is a tag; one before it belongs to a registry port.
    let slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match without_digest[slash..].split_once(':') {
        Some((name, tag)) => (&without_digest[..slash + name.len()], Some(tag)),
        None => (without_digest, None),
    };
    (path.split('/').collect(), tag)
}

/// Whether an image is a registry-token-refresher, from any registry or org.
pub fn is_refresher_image(image: &str) -> bool {
    parts(image).0.last() == Some(&REPOSITORY)
}

/// Whether an image comes from Hephy (`hephy/...`, `quay.io/hephy/...`).
pub fn is_hephy_image(image: &str) -> bool {
    let (path, _) = parts(image);
    path.len() >= 2 && path.get(path.len() - 2) == Some(&"hephy")
}

/// A published Deis or Hephy refresher, v1.0.0 to v1.2.2: every one of them
/// fails with a non-empty `DEIS_TOKEN_REFRESH_TIME`.
pub fn is_stock_image(image: &str) -> bool {
    let (path, tag) = parts(image);
    let repository = path.join("/");
    let stock_repository = [
        "quay.io/deis/registry-token-refresher",
        "deis/registry-token-refresher",
        "docker.io/deis/registry-token-refresher",
        "hephy/registry-token-refresher",
        "docker.io/hephy/registry-token-refresher",
    ]
    .contains(&repository.as_str());
    let version = tag
        .and_then(|t| t.strip_prefix('v'))
        .map(|t| t.split('.').map(str::parse::<u32>).collect::<Result<Vec<_>, _>>());
    stock_repository
        && matches!(version, Some(Ok(v)) if matches!(v.as_slice(), [1, minor, patch] if (*minor, *patch) <= (2, 2)))
}

/// The refresher container of a refresher Deployment: by image, else by the
/// variables only it declares, else by its name, else the only container.
/// `Err` when the pod has several candidates and none of these tells.
pub fn container(all: &[Container<'_, '_>]) -> Result<Option<usize>, String> {
    let main: Vec<(usize, &Container<'_, '_>)> = all.iter().enumerate().filter(|(_, c)| !c.init).collect();
    let by = |pred: &dyn Fn(&Container<'_, '_>) -> bool| main.iter().find(|(_, c)| pred(c)).map(|(i, _)| *i);
    Ok(by(&|c| c.image().is_some_and(|i| is_refresher_image(&i)))
        .or_else(|| by(&|c| OWN_VARS.iter().any(|v| c.declares(v))))
        .or_else(|| by(&|c| c.name == super::REFRESHER)))
    .and_then(|found| match (found, main.as_slice()) {
        (Some(i), _) => Ok(Some(i)),
        (None, []) => Ok(None),
        (None, [(i, _)]) => Ok(Some(*i)),
        (None, _) => Err(format!(
            "cannot tell which container is the token refresher: none runs a */{REPOSITORY} image, declares \
             DEIS_TOKEN_REFRESH_TIME or is named {}",
            super::REFRESHER
        )),
    })
}

/// The refresh-time rule of SPEC 1.2, for the image the output runs:
/// `Err` (a configuration error) with a stock image, a warning with another.
pub fn check_refresh_time(image: &str, minutes: &str, origin: &str) -> Result<Option<String>, String> {
    if minutes.is_empty() {
        return Ok(None);
    }
    if is_stock_image(image) {
        return Err(format!(
            "DEIS_TOKEN_REFRESH_TIME={minutes} (from {origin}) cannot work with {image}: registry-token-refresher \
             v1.0.1 to v1.2.2 reads it with strconv.ParseInt into an int64 (pkg/config.go) and then asserts .(int) \
             in GetRefreshTime (pkg/credentials/ecr.go, gcr.go), so the refresher panics at start, and v1.0.0 \
             ignores it; leave DEIS_TOKEN_REFRESH_TIME empty (tokens are refreshed at the provider's default), or \
             set REGISTRY_TOKEN_REFRESHER_IMAGE to an image that has fixed this"
        ));
    }
    Ok(Some(format!(
        "DEIS_TOKEN_REFRESH_TIME={minutes} is set for {image}: every published refresher (v1.0.0 to v1.2.2) fails \
         with it (pkg/config.go int64 vs .(int) in pkg/credentials); make sure this image has fixed that"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_images_are_every_published_deis_and_hephy_tag() {
        for image in [
            "quay.io/deis/registry-token-refresher:v1.0.0",
            "quay.io/deis/registry-token-refresher:v1.1.3",
            "deis/registry-token-refresher:v1.0.4",
            "hephy/registry-token-refresher:v1.2.2",
            "hephy/registry-token-refresher:v1.2.0",
        ] {
            assert!(is_stock_image(image), "{image}");
        }
        for image in [
            "hephy/registry-token-refresher:v1.2.3",
            "hephy/registry-token-refresher:v2.0.0",
            "example.com/me/registry-token-refresher:v1.1.3",
            "hephy/registry-token-refresher:canary",
            "hephy/registry-token-refresher",
        ] {
            assert!(!is_stock_image(image), "{image}");
        }
    }

    #[test]
    fn image_names() {
        assert!(is_refresher_image(
            "localhost:5000/x/registry-token-refresher:v1@sha256:ab"
        ));
        assert!(!is_refresher_image("hephy/registry-token-refresher-x:v1"));
        assert!(is_hephy_image("hephy/builder:v2.13.7"));
        assert!(is_hephy_image("quay.io/hephy/controller:v2.22.0"));
        assert!(!is_hephy_image("quay.io/deis/builder:v2.13.7"));
        assert!(!is_hephy_image("hephy:5000/deis/builder"));
    }

    #[test]
    fn refresh_time_is_an_error_with_stock_images_only() {
        assert_eq!(check_refresh_time(DEIS_IMAGE, "", "x"), Ok(None));
        let e = check_refresh_time(HEPHY_IMAGE, "30", "DEIS_TOKEN_REFRESH_TIME").unwrap_err();
        assert!(e.contains("pkg/config.go") && e.contains("GetRefreshTime"), "{e}");
        assert!(check_refresh_time("me/registry-token-refresher:fixed", "30", "x")
            .unwrap()
            .is_some());
    }
}
