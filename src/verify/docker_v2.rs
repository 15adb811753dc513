//! The Docker Registry HTTP API v2 login probe, and the push check (a blob
//! upload started and cancelled), that every location ends with
//! (docs/verify.md, "Per location"). Credentials go only to the registry's
//! origin or a named token realm (docs/verify.md, "Where credentials go").

use base64::Engine;
use ureq::http::Method;

use super::report::{Class, Report, Step};
use super::transport::{encode_query, Origin, Reply, Request, Transport};

/// Where to log in, and as whom.
#[derive(Default)]
pub struct Target<'a> {
    /// `https://host[:port]` (or `http://` for a registry marked insecure).
    pub base: String,
    pub plain_http_ok: bool,
    pub username: &'a str,
    pub password: &'a str,
    /// Named in token scopes and used by the push check.
    pub repository: String,
    pub push_check: bool,
    /// Token services on another origin that may receive the credentials.
    pub realms: Vec<Origin>,
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer { realm: String, service: Option<String> },
    Other(String),
}

/// Parse `Basic realm="x"` or `Bearer realm="…",service="…",scope="a,b"`.
pub fn parse_challenge(header: &str) -> Challenge {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    let params = parse_params(params);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if scheme.eq_ignore_ascii_case("basic") {
        Challenge::Basic
    } else if let (true, Some(realm)) = (scheme.eq_ignore_ascii_case("bearer"), get("realm")) {
        Challenge::Bearer {
            realm,
            service: get("service"),
        }
    } else {
        Challenge::Other(scheme.to_owned())
    }
}

/// `k="v", k2=v2` with commas allowed inside quotes; keys in lower case.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ',' || c.is_whitespace()).is_some() {}
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = chars.by_ref().take_while(|c| *c != ',').collect();
        }
        out.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
}

fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// Send `request`; a transport failure is reported as `step` (`None`), and
/// a skewed clock where signatures or tokens depend on it.
pub fn send_or_report(transport: &Transport, report: &mut Report, step: Step, request: Request<'_>) -> Option<Reply> {
    let peer = match step {
        Step::Registry => Some("the registry"),
        Step::Token => Some("the token server"),
        Step::EcrToken => Some("the ECR API"),
        Step::AccessToken => Some("the token endpoint"),
        _ => None,
    };
    let sent = transport.send(request);
    let reply = sent.map_err(|(class, detail)| report.add(step, class, detail)).ok()?;
    if let (Some(peer), Some(diff)) = (peer, reply.skew()) {
        let direction = if diff > 0 { "ahead of" } else { "behind" };
        let detail = format!("this machine's clock is {}s {direction} {peer}'s (Date header): signed requests and tokens are refused beyond a few minutes", diff.abs());
        report.add(Step::Clock, Class::ClockSkew, detail);
    }
    Some(reply)
}

/// Run the login probe (and the push check) against `target`.
pub fn probe(transport: &Transport, report: &mut Report, target: &Target<'_>) {
    report.credentials(target.username, target.password);
    let Some(registry) = Origin::of(&target.base) else {
        let detail = format!("{} is not an http(s) URL", target.base);
        return report.add(Step::Registry, Class::Refused, detail);
    };
    let mut probe = Probe {
        transport,
        report,
        target,
        registry,
    };
    if let Some(auth) = probe.login().filter(|_| target.push_check) {
        probe.push_check(auth);
    }
}

/// One login probe: where it may send the credentials, and what it found.
struct Probe<'p, 'a> {
    transport: &'p Transport,
    report: &'p mut Report,
    target: &'p Target<'a>,
    registry: Origin,
}

impl Probe<'_, '_> {
    /// `GET /v2/`, then again with the answer to its challenge. `None` when
    /// the probe ends here; else the `Authorization` that worked, if needed.
    fn login(&mut self) -> Option<Option<String>> {
        let v2 = format!("{}/v2/", self.target.base);
        let anonymous = self.send(Step::Registry, Method::GET, &v2, None)?;
        match anonymous.status {
            200 => {
                let hint = match self.target.push_check {
                    true => "",
                    false => " (add --push-check to test them through a write)",
                };
                let detail = format!("{v2} answered 200 without credentials: this proves nothing about them{hint}");
                self.report.add(Step::RegistryLogin, Class::AnonymousAccess, detail);
                return Some(None);
            }
            401 => {}
            _ => return self.unexpected(Step::Registry, &v2, &anonymous, false),
        }
        let challenge = parse_challenge(anonymous.header("www-authenticate").unwrap_or(""));
        let scheme = match &challenge {
            Challenge::Basic => "Basic".into(),
            Challenge::Bearer { .. } => "Bearer (token)".into(),
            Challenge::Other(s) if s.is_empty() => "missing".into(),
            Challenge::Other(s) => format!("{s:?}"),
        };
        let detail = format!("{v2} answered 401 with a {scheme} challenge");
        self.report.add(Step::Registry, Class::Reachable, detail);
        let auth = self.answer(Step::RegistryLogin, &challenge)?;
        let reply = self.send(Step::RegistryLogin, Method::GET, &v2, Some(&auth))?;
        match reply.status {
            200 => {
                let detail = format!("{v2} answered 200 to user {:?}", self.target.username);
                self.report.add(Step::RegistryLogin, Class::CredentialsAccepted, detail);
                Some(Some(auth))
            }
            401 | 403 if reply.body.to_ascii_lowercase().contains("token has expired") => {
                let detail = format!("{v2} answered {}: the authorization token has expired", reply.status);
                self.report.add(Step::RegistryLogin, Class::TokenExpired, detail);
                None
            }
            401 | 403 => self.rejected(Step::RegistryLogin, &v2, &reply),
            _ => self.unexpected(Step::RegistryLogin, &v2, &reply, true),
        }
    }

    /// A request to `url` with `auth`, if `url` is the registry's origin (or
    /// for the token step a named realm's): the only place an `Authorization`
    /// header is attached. Elsewhere nothing is sent, not even without
    /// credentials (a registry must not aim this machine at any host it
    /// likes); credentials withheld are reported.
    fn request<'u>(&mut self, step: Step, method: Method, url: &'u str, auth: Option<&str>) -> Option<Request<'u>> {
        let origin = Origin::of(url);
        let realm_ok = step == Step::Token && origin.as_ref().is_some_and(|o| self.target.realms.contains(o));
        if origin.as_ref() == Some(&self.registry) || realm_ok {
            let headers = auth.map(|auth| ("authorization", auth.to_owned()));
            return Some(Request {
                method,
                url,
                headers: headers.into_iter().collect(),
                body: None,
                plain_http_ok: self.target.plain_http_ok,
            });
        }
        if auth.is_some() {
            let (shown, registry) = (self.report.scrubbed_url(&shown(origin)), &self.registry);
            let mut detail = format!("{shown} is not the registry ({registry}): the credentials were not sent there");
            if step == Step::Token {
                detail += &format!("; if it is the registry's own token service, name it with --token-realm {shown}");
            }
            self.report.add(step, Class::CredentialsWithheld, detail);
        }
        None
    }

    /// [`Probe::request`], sent; a transport failure is reported as `step`.
    fn send(&mut self, step: Step, method: Method, url: &str, auth: Option<&str>) -> Option<Reply> {
        let request = self.request(step, method, url, auth)?;
        send_or_report(self.transport, self.report, step, request)
    }

    /// The `Authorization` that answers `challenge`; `None` after reporting.
    fn answer(&mut self, step: Step, challenge: &Challenge) -> Option<String> {
        match challenge {
            Challenge::Basic => Some(basic(self.target.username, self.target.password)),
            Challenge::Bearer { realm, service } => self.bearer_token(realm, service.as_deref()),
            Challenge::Other(scheme) => {
                let detail =
                    format!("the registry asks for an authentication scheme this tool does not speak: {scheme:?}");
                self.report.add(step, Class::UnexpectedResponse, detail);
                None
            }
        }
    }

    /// `GET <realm>?service=…&scope=repository:<repo>:pull,push` with the
    /// credentials; `Bearer <token>`, or `None` after reporting why not.
    fn bearer_token(&mut self, realm: &str, service: Option<&str>) -> Option<String> {
        let scope = format!("repository:{}:pull,push", self.target.repository);
        let service = service.map_or(String::new(), |s| format!("service={}&", encode_query(s)));
        let separator = if realm.contains('?') { '&' } else { '?' };
        let url = format!("{realm}{separator}{service}scope={}", encode_query(&scope));
        let auth = basic(self.target.username, self.target.password);
        let reply = self.send(Step::Token, Method::GET, &url, Some(&auth))?;
        match reply.status {
            200 => {}
            401 | 403 => return self.rejected(Step::Token, realm, &reply),
            _ => return self.unexpected(Step::Token, realm, &reply, true),
        }
        let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
        let token = ["token", "access_token"]
            .iter()
            .find_map(|k| json[k].as_str().filter(|t| !t.is_empty()));
        let Some(token) = token else {
            let detail = format!("{realm} answered 200 without a token");
            self.report.add(Step::Token, Class::UnexpectedResponse, detail);
            return None;
        };
        self.report.secret(token);
        let detail = format!("{realm} issued a token for user {:?}", self.target.username);
        self.report.add(Step::Token, Class::TokenIssued, detail);
        Some(format!("Bearer {token}"))
    }

    /// `POST /v2/<repo>/blobs/uploads/`, then `DELETE` the upload it opened.
    fn push_check(&mut self, mut auth: Option<String>) -> Option<()> {
        let url = format!("{}/v2/{}/blobs/uploads/", self.target.base, self.target.repository);
        let mut reply = self.send(Step::PushCheck, Method::POST, &url, auth.as_deref())?;
        let user = self.target.username;
        if auth.is_none() && reply.status == 401 {
            // Anonymous reads, authenticated writes: the credentials meet the challenge here.
            let challenge = parse_challenge(reply.header("www-authenticate").unwrap_or(""));
            let answer = self.answer(Step::PushCheck, &challenge)?;
            reply = self.send(Step::PushCheck, Method::POST, &url, Some(&answer))?;
            match (reply.status, &challenge) {
                (401, Challenge::Basic) => {
                    let detail = format!("{url} answered 401 to user {user:?}");
                    self.report.add(Step::RegistryLogin, Class::CredentialsRejected, detail);
                    return None;
                }
                (202, _) => {
                    let detail = format!("{url} accepted user {user:?}");
                    self.report.add(Step::RegistryLogin, Class::CredentialsAccepted, detail);
                }
                _ => {}
            }
            auth = Some(answer);
        }
        let repository = &self.target.repository;
        match reply.status {
            202 => self.cancel(&url, &reply, auth.as_deref()),
            401 | 403 => {
                let (status, summary) = (reply.status, error_summary(self.report, &reply.body));
                let detail = format!("{url} answered {status}: user {user:?} may not push to {repository}{summary}");
                self.report.add(Step::PushCheck, Class::NoPushPermission, detail);
            }
            _ => return self.unexpected(Step::PushCheck, &url, &reply, auth.is_some()),
        }
        Some(())
    }

    /// Cancel the upload `started` opened, only on the registry's origin ([`Probe::request`]).
    fn cancel(&mut self, url: &str, started: &Reply, auth: Option<&str>) {
        let location = resolve(url, started.header("location").unwrap_or_default());
        let request = self.request(Step::PushCheck, Method::DELETE, &location, auth);
        let outcome = match request.map(|r| self.transport.send(r)) {
            None => "it was not cancelled: the registry named another host for it",
            Some(Ok(r)) if (200..300).contains(&r.status) => "cancelled it (nothing left behind)",
            Some(_) => "cancelling it failed, the registry discards it when it expires",
        };
        let detail = format!("started a blob upload in {}; {outcome}", self.target.repository);
        self.report.add(Step::PushCheck, Class::PushAllowed, detail);
    }

    /// Report `url`'s refusal of the credentials; always `None`.
    fn rejected<T>(&mut self, step: Step, url: &str, reply: &Reply) -> Option<T> {
        let (status, summary) = (reply.status, error_summary(self.report, &reply.body));
        let detail = format!("{url} answered {status} to user {:?}{summary}", self.target.username);
        self.report.add(step, Class::CredentialsRejected, detail);
        None
    }

    /// Report an answer the flow does not expect; always `None`. A redirect
    /// (never followed) away from the registry withholds the credentials.
    fn unexpected<T>(&mut self, step: Step, url: &str, reply: &Reply, carried_credentials: bool) -> Option<T> {
        let status = reply.status;
        let mut class = Class::UnexpectedResponse;
        let detail = match reply.header("location").filter(|_| (300..400).contains(&status)) {
            Some(to) => {
                let origin = Origin::of(&resolve(url, to));
                if carried_credentials && origin.as_ref() != Some(&self.registry) {
                    class = Class::CredentialsWithheld;
                }
                let (to, registry) = (self.report.scrubbed_url(&shown(origin)), &self.registry);
                let why = format!("redirects are not followed, and credentials go only to the registry, {registry}");
                format!("{url} answered {status}, a redirect to {to}: not followed ({why})")
            }
            None if status == 404 && step == Step::Registry => {
                format!("{url} answered 404: not a Docker Registry v2 API (is the hostname right?)")
            }
            None => format!("{url} answered {status}{}", error_summary(self.report, &reply.body)),
        };
        self.report.add(step, class, detail);
        None
    }
}

fn shown(origin: Option<Origin>) -> String {
    origin.map_or_else(|| "a URL that is not plain http(s)".into(), |o| o.to_string())
}

/// `reference` (a `Location`) resolved against the URL it answered.
fn resolve(url: &str, reference: &str) -> String {
    let origin_end = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[origin_end..].find('/').map_or(url.len(), |i| origin_end + i);
    if has_scheme(reference) {
        reference.to_owned()
    } else if let Some(network_path) = reference.strip_prefix("//") {
        format!("{}{network_path}", &url[..origin_end])
    } else if reference.starts_with('/') {
        format!("{}{reference}", &url[..path_start])
    } else {
        match url.rfind('/').filter(|i| *i >= path_start) {
            Some(i) => format!("{}{reference}", &url[..=i]),
            None => format!("{url}/{reference}"),
        }
    }
}

/// Whether `reference` starts with a URI scheme (RFC 3986: a letter, then
/// letters, digits, `+`, `-` or `.`, then `:`): only then is it absolute,
/// whatever its query holds.
fn has_scheme(reference: &str) -> bool {
    let scheme = reference.split_once(':').map_or("", |(scheme, _)| scheme);
    let scheme_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.');
    scheme.starts_with(|c: char| c.is_ascii_alphabetic()) && scheme.chars().all(scheme_char)
}

/// The registry's error codes (`{"errors":[{"code":…,"message":…}]}`), never
/// the raw body (which could echo anything); each scrubbed of the secrets
/// `report` knows before it is cut to 200 characters.
pub fn error_summary(report: &Report, body: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let errors = json["errors"].as_array().into_iter().flatten();
    let codes: Vec<String> = errors
        .filter_map(|e| {
            let line = format!("{} {}", e["code"].as_str()?, e["message"].as_str().unwrap_or(""));
            Some(report.scrubbed(line.trim(), 200))
        })
        .collect();
    let summary = (!codes.is_empty()).then(|| format!(" ({})", codes.join("; ")));
    summary.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(parse_challenge(r#"Basic realm="basic-realm""#), Challenge::Basic);
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#
            ),
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            }
        );
        assert_eq!(
            parse_challenge("bearer realm=http://x/auth"),
            Challenge::Bearer {
                realm: "http://x/auth".into(),
                service: None
            }
        );
        assert_eq!(parse_challenge(""), Challenge::Other(String::new()));
        assert!(matches!(parse_challenge("Bearer service=x"), Challenge::Other(_)));
        assert!(matches!(parse_challenge("Negotiate"), Challenge::Other(_)));
    }

    #[test]
    fn locations_resolve_against_the_url_they_answered() {
        let url = "https://r.example:5000/v2/deis/p/blobs/uploads/";
        assert_eq!(resolve(url, "/v2/x/uploads/1"), "https://r.example:5000/v2/x/uploads/1");
        assert_eq!(resolve(url, "https://elsewhere/u"), "https://elsewhere/u");
        assert_eq!(resolve(url, "//elsewhere:1/u"), "https://elsewhere:1/u");
        assert_eq!(
            resolve(url, "1?_state=x"),
            "https://r.example:5000/v2/deis/p/blobs/uploads/1?_state=x"
        );
        assert_eq!(resolve("https://r.example", "u"), "https://r.example/u");
        // A "://" in the query does not make a reference absolute; a scheme does.
        assert_eq!(
            resolve(url, "/v2/up/1?next=http://x"),
            "https://r.example:5000/v2/up/1?next=http://x"
        );
        assert_eq!(
            resolve(url, "1?next=https://evil.example/"),
            "https://r.example:5000/v2/deis/p/blobs/uploads/1?next=https://evil.example/"
        );
        assert_eq!(resolve(url, "HTTP://elsewhere/u"), "HTTP://elsewhere/u");
        assert_eq!(resolve(url, "a+b.c-d:x"), "a+b.c-d:x");
        assert_eq!(
            Origin::of(&resolve(url, "//evil.example/u")),
            Origin::of("https://evil.example")
        );
    }

    #[test]
    fn error_summary_reads_codes_only() {
        let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":"secret-echo"}]}"#;
        let report = Report::new("off-cluster");
        assert_eq!(error_summary(&report, body), " (UNAUTHORIZED authentication required)");
        assert_eq!(error_summary(&report, "<html>secret-echo</html>"), "");
    }
}
