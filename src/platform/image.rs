//! Container image references, known by what they name, not how they are spelled: Docker Hub with
//! or without `docker.io`, `index.docker.io` or `registry-1.docker.io`, hosts in any case.

/// A parsed image reference, borrowing the text it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image<'a> {
    /// The registry host as written (`None`: Docker Hub, implied).
    pub host: Option<&'a str>,
    /// The repository path as written, without host, tag or digest.
    pub path: &'a str,
    /// After the `:` that follows the last `/`.
    pub tag: Option<&'a str>,
    /// After the `@`.
    pub digest: Option<&'a str>,
}

const DOCKER_HUB: &str = "docker.io";

impl<'a> Image<'a> {
    pub fn parse(text: &'a str) -> Image<'a> {
        let (without_digest, digest) = text.split_once('@').map_or((text, None), |(n, d)| (n, Some(d)));
        // A `:` after the last `/` is a tag; one before it belongs to a port.
        let slash = without_digest.rfind('/').map_or(0, |i| i + 1);
        let (named, tag) = match without_digest[slash..].split_once(':') {
            Some((name, tag)) => (&without_digest[..slash + name.len()], Some(tag)),
            None => (without_digest, None),
        };
        // Docker's rule: the first component is a host if it has a `.` or `:`, or is `localhost`.
        let (host, path) = match named.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (Some(first), rest),
            _ => (None, named),
        };
        Image {
            host,
            path,
            tag,
            digest,
        }
    }

    /// The registry, lowercased, without HTTPS's default port or a final dot (`quay.io.:443` is
    /// `quay.io`), Docker Hub's aliases as `docker.io`.
    pub fn registry(&self) -> String {
        let host = self.host.map_or_else(|| DOCKER_HUB.to_owned(), str::to_ascii_lowercase);
        let host = host.strip_suffix(":443").unwrap_or(&host);
        match host.strip_suffix('.').unwrap_or(host) {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_owned(),
            host => host.to_owned(),
        }
    }

    /// The repository's last component (`builder` in `quay.io/deis/builder:v2`).
    pub fn name(&self) -> &'a str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    /// The component before the name (`deis` in `quay.io/deis/builder:v2`).
    pub fn org(&self) -> Option<&'a str> {
        self.path.rsplit('/').nth(1)
    }

    /// `registry/org/name` as one comparable string.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.registry(), self.path)
    }

    /// Whether the image is `org/name` of one of `orgs`, from any registry or mirror path.
    pub fn is(&self, orgs: &[&str], name: &str) -> bool {
        self.name() == name && self.org().is_some_and(|o| orgs.contains(&o))
    }

    /// `name:tag` beside this repository (same registry and path prefix as written).
    pub fn sibling(&self, name: &str, tag: &str) -> String {
        let host = self.host.map(|h| format!("{h}/")).unwrap_or_default();
        let dir = &self.path[..self.path.len() - self.name().len()];
        format!("{host}{dir}{name}:{tag}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_however_written_and_hosts_in_any_case() {
        for text in [
            "hephy/registry-token-refresher:v1.2.2",
            "docker.io/hephy/registry-token-refresher:canary",
            "DOCKER.IO/hephy/registry-token-refresher",
            "index.docker.io/hephy/registry-token-refresher:latest",
            "registry-1.docker.io/hephy/registry-token-refresher@sha256:ab",
            "docker.io:443/hephy/registry-token-refresher:v1.2.2",
            "Index.Docker.IO.:443/hephy/registry-token-refresher",
        ] {
            assert_eq!(
                Image::parse(text).repository(),
                "docker.io/hephy/registry-token-refresher",
                "{text}"
            );
        }
        assert_eq!(Image::parse("Quay.IO/deis/builder:v1").registry(), "quay.io");
        assert_eq!(Image::parse("quay.io:443/deis/builder:v1").registry(), "quay.io");
        assert_eq!(Image::parse("quay.io:8443/deis/builder:v1").registry(), "quay.io:8443");
        assert_eq!(Image::parse("localhost:5000/x/builder:v1").registry(), "localhost:5000");
        assert_eq!(Image::parse("hephy:5000/deis/builder").org(), Some("deis"));
    }

    #[test]
    fn names_orgs_and_siblings() {
        let i = Image::parse("mirror.example.com/hub/hephy/builder:v2.23.0@sha256:ab");
        assert!(i.is(&["deis", "hephy"], "builder"));
        assert!(!i.is(&["deis"], "builder"));
        assert_eq!(
            i.sibling("registry-token-refresher", "v1.2.2"),
            "mirror.example.com/hub/hephy/registry-token-refresher:v1.2.2"
        );
        assert_eq!(Image::parse("builder").org(), None);
        assert_eq!(
            Image::parse("quay.io/deis/builder").sibling("x", "t"),
            "quay.io/deis/x:t"
        );
    }
}
