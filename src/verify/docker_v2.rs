//! The Docker Registry HTTP API v2 login probe: `GET /v2/` without
//! credentials, then answer its `WWW-Authenticate` challenge (`Basic`, or
//! `Bearer` through the token realm) and try again; optionally start a blob
//! upload and cancel it to prove push access without leaving anything behind.
//! Every registry location ends here (ECR and GCR with their minted tokens).

use base64::Engine;

use super::report::{Class, Report};
use super::transport::{Reply, Request, Transport, TransportError};

/// Where to log in, and as whom.
pub struct Target<'a> {
    /// `https://host[:port]` (or `http://` for a registry marked insecure).
    pub base: String,
    pub plain_http_ok: bool,
    pub username: &'a str,
    pub password: &'a str,
    /// `<organization>/<probe>`: the repository named in token scopes and
    /// used by the push check.
    pub repository: String,
    pub push_check: bool,
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
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("basic") {
        Challenge::Basic
    } else if scheme.eq_ignore_ascii_case("bearer") {
        match get("realm") {
            Some(realm) => Challenge::Bearer {
                realm,
                service: get("service"),
            },
            None => Challenge::Other(header.to_owned()),
        }
    } else {
        Challenge::Other(scheme.to_owned())
    }
}

/// `k="v", k2=v2` with commas allowed inside quotes.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
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
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
}

/// Percent-encode a query value (RFC 3986 unreserved characters kept).
pub fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The class of a transport failure.
fn transport_class(e: &TransportError) -> Class {
    match e {
        TransportError::Unreachable { .. } => Class::Unreachable,
        TransportError::Untrusted { .. } => Class::TlsUntrusted,
        TransportError::Tls { .. } => Class::TlsFailed,
        TransportError::PlainHttp { .. } => Class::Refused,
    }
}

/// Send `request`. A transport failure is reported as `step` and gives
/// `None`; with `peer`, a clock far from that peer's is reported too.
pub fn send_or_report(
    transport: &Transport,
    report: &mut Report,
    step: &str,
    request: Request<'_>,
    peer: Option<&str>,
) -> Option<Reply> {
    match transport.send(request) {
        Ok(reply) => {
            if let Some(who) = peer {
                note_skew(report, &reply, who);
            }
            Some(reply)
        }
        Err(e) => {
            report.add(step, transport_class(&e), e.to_string());
            None
        }
    }
}

/// Report a clock far from the server's (signatures and tokens are time-bound).
fn note_skew(report: &mut Report, reply: &Reply, who: &str) {
    if let Some(diff) = reply.skew() {
        let direction = if diff > 0 { "ahead of" } else { "behind" };
        report.add(
            "clock",
            Class::ClockSkew,
            format!(
                "this machine's clock is {}s {direction} {who}'s (Date header): signed requests and tokens are refused beyond a few minutes",
                diff.abs()
            ),
        );
    }
}

/// Run the login probe (and the push check) against `target`.
pub fn probe(transport: &Transport, report: &mut Report, target: &Target<'_>) {
    let v2 = format!("{}/v2/", target.base);
    let request = Request::new("GET", &v2).plain_http_ok(target.plain_http_ok);
    let Some(anonymous) = send_or_report(transport, report, "registry", request, Some("the registry")) else {
        return;
    };
    let auth = match anonymous.status {
        200 => {
            report.add(
                "registry login",
                Class::AnonymousAccess,
                format!(
                    "{v2} answered 200 without credentials: this proves nothing about them{}",
                    if target.push_check {
                        ""
                    } else {
                        " (add --push-check to test them through a write)"
                    }
                ),
            );
            None
        }
        401 => {
            let challenge = parse_challenge(anonymous.header("www-authenticate").unwrap_or(""));
            report.add(
                "registry",
                Class::Reachable,
                format!("{v2} answered 401 with a {} challenge", scheme_name(&challenge)),
            );
            match login(transport, report, target, &challenge, &v2) {
                Some(auth) => Some(auth),
                None => return,
            }
        }
        404 => {
            report.add(
                "registry",
                Class::UnexpectedResponse,
                format!("{v2} answered 404: not a Docker Registry v2 API (is the hostname right?)"),
            );
            return;
        }
        status => {
            report.add(
                "registry",
                Class::UnexpectedResponse,
                format!("{v2} answered {status}{}", error_summary(&anonymous.body)),
            );
            return;
        }
    };
    if target.push_check {
        push_check(transport, report, target, auth);
    }
}

fn scheme_name(c: &Challenge) -> String {
    match c {
        Challenge::Basic => "Basic".into(),
        Challenge::Bearer { .. } => "Bearer (token)".into(),
        Challenge::Other(s) if s.is_empty() => "missing".into(),
        Challenge::Other(s) => format!("{s:?}"),
    }
}

/// Answer a challenge with the credentials and try `url` again with `GET`;
/// the `Authorization` value that worked, or `None` after reporting why not.
fn login(
    transport: &Transport,
    report: &mut Report,
    target: &Target<'_>,
    challenge: &Challenge,
    url: &str,
) -> Option<String> {
    let auth = match challenge {
        Challenge::Basic => basic(target.username, target.password),
        Challenge::Bearer { realm, service } => bearer_token(transport, report, target, realm, service.as_deref())?,
        Challenge::Other(scheme) => {
            report.add(
                "registry login",
                Class::UnexpectedResponse,
                format!("the registry asks for an authentication scheme this tool does not speak: {scheme:?}"),
            );
            return None;
        }
    };
    let request = Request::new("GET", url)
        .header("authorization", auth.clone())
        .plain_http_ok(target.plain_http_ok);
    let reply = send_or_report(transport, report, "registry login", request, None)?;
    let user = target.username;
    match reply.status {
        200 => {
            report.add(
                "registry login",
                Class::CredentialsAccepted,
                format!("{url} answered 200 to user {user:?}"),
            );
            Some(auth)
        }
        401 | 403 if reply.body.to_ascii_lowercase().contains("token has expired") => {
            report.add(
                "registry login",
                Class::TokenExpired,
                format!("{url} answered {}: the authorization token has expired", reply.status),
            );
            None
        }
        401 | 403 => {
            report.add(
                "registry login",
                Class::CredentialsRejected,
                format!(
                    "{url} answered {} to user {user:?}{}",
                    reply.status,
                    error_summary(&reply.body)
                ),
            );
            None
        }
        status => {
            report.add(
                "registry login",
                Class::UnexpectedResponse,
                format!("{url} answered {status}{}", error_summary(&reply.body)),
            );
            None
        }
    }
}

/// `GET <realm>?service=…&scope=repository:<repo>:pull,push` with the
/// credentials; `Bearer <token>`, or `None` after reporting why not.
fn bearer_token(
    transport: &Transport,
    report: &mut Report,
    target: &Target<'_>,
    realm: &str,
    service: Option<&str>,
) -> Option<String> {
    let mut url = realm.to_owned();
    let mut sep = if realm.contains('?') { '&' } else { '?' };
    if let Some(service) = service {
        url.push_str(&format!("{sep}service={}", encode_query(service)));
        sep = '&';
    }
    url.push_str(&format!(
        "{sep}scope={}",
        encode_query(&format!("repository:{}:pull,push", target.repository))
    ));
    let request = Request::new("GET", &url)
        .header("authorization", basic(target.username, target.password))
        .plain_http_ok(target.plain_http_ok);
    let reply = send_or_report(transport, report, "token", request, Some("the token server"))?;
    match reply.status {
        200 => {
            let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
            let token = json
                .get("token")
                .or_else(|| json.get("access_token"))
                .and_then(|t| t.as_str())
                .filter(|t| !t.is_empty());
            match token {
                Some(token) => {
                    report.add_secret(token);
                    report.add(
                        "token",
                        Class::TokenIssued,
                        format!("{realm} issued a token for user {:?}", target.username),
                    );
                    Some(format!("Bearer {token}"))
                }
                None => {
                    report.add(
                        "token",
                        Class::UnexpectedResponse,
                        format!("{realm} answered 200 without a token"),
                    );
                    None
                }
            }
        }
        401 | 403 => {
            report.add(
                "token",
                Class::CredentialsRejected,
                format!(
                    "{realm} answered {} to user {:?}{}",
                    reply.status,
                    target.username,
                    error_summary(&reply.body)
                ),
            );
            None
        }
        status => {
            report.add(
                "token",
                Class::UnexpectedResponse,
                format!("{realm} answered {status}{}", error_summary(&reply.body)),
            );
            None
        }
    }
}

/// `POST /v2/<repo>/blobs/uploads/`, then `DELETE` the upload it opened.
fn push_check(transport: &Transport, report: &mut Report, target: &Target<'_>, auth: Option<String>) {
    let url = format!("{}/v2/{}/blobs/uploads/", target.base, target.repository);
    let post = |auth: Option<&String>| {
        let mut req = Request::new("POST", &url).plain_http_ok(target.plain_http_ok);
        if let Some(a) = auth {
            req = req.header("authorization", a.clone());
        }
        transport.send(req)
    };
    let mut reply = match post(auth.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            report.add("push check", transport_class(&e), e.to_string());
            return;
        }
    };
    if auth.is_none() && reply.status == 401 {
        // Anonymous reads, authenticated writes: the credentials meet the challenge here.
        let challenge = parse_challenge(reply.header("www-authenticate").unwrap_or(""));
        let auth = match &challenge {
            Challenge::Basic => basic(target.username, target.password),
            Challenge::Bearer { realm, service } => {
                match bearer_token(transport, report, target, realm, service.as_deref()) {
                    Some(a) => a,
                    None => return,
                }
            }
            Challenge::Other(s) => {
                report.add(
                    "push check",
                    Class::UnexpectedResponse,
                    format!("unknown challenge {s:?}"),
                );
                return;
            }
        };
        reply = match post(Some(&auth)) {
            Ok(r) => r,
            Err(e) => {
                report.add("push check", transport_class(&e), e.to_string());
                return;
            }
        };
        if reply.status == 401 && matches!(challenge, Challenge::Basic) {
            report.add(
                "registry login",
                Class::CredentialsRejected,
                format!("{url} answered 401 to user {:?}", target.username),
            );
            return;
        }
        if reply.status == 202 {
            report.add(
                "registry login",
                Class::CredentialsAccepted,
                format!("{url} accepted user {:?}", target.username),
            );
        }
    }
    match reply.status {
        202 => {
            let location = reply.header("location").unwrap_or_default().to_owned();
            let cancel = if location.starts_with("http://") || location.starts_with("https://") {
                location
            } else {
                format!("{}{location}", target.base)
            };
            let mut req = Request::new("DELETE", &cancel).plain_http_ok(target.plain_http_ok);
            if let Some(a) = &auth {
                req = req.header("authorization", a.clone());
            }
            let cancelled = matches!(transport.send(req), Ok(r) if (200..300).contains(&r.status));
            report.add(
                "push check",
                Class::PushAllowed,
                if cancelled {
                    format!(
                        "started a blob upload in {} and cancelled it (nothing left behind)",
                        target.repository
                    )
                } else {
                    format!(
                        "started a blob upload in {}; cancelling it failed, the registry discards it when it expires",
                        target.repository
                    )
                },
            );
        }
        401 | 403 => report.add(
            "push check",
            Class::NoPushPermission,
            format!(
                "{url} answered {}: user {:?} may not push to {}{}",
                reply.status,
                target.username,
                target.repository,
                error_summary(&reply.body)
            ),
        ),
        status => report.add(
            "push check",
            Class::UnexpectedResponse,
            format!("{url} answered {status}{}", error_summary(&reply.body)),
        ),
    }
}

/// The registry's error codes (`{"errors":[{"code":…,"message":…}]}`), never
/// the raw body (which could echo anything).
pub fn error_summary(body: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let codes: Vec<String> = json
        .get("errors")
        .and_then(|e| e.as_array())
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| {
                    let code = e.get("code")?.as_str()?;
                    let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
                    Some(format!("{code} {message}").trim().chars().take(200).collect())
                })
                .collect()
        })
        .unwrap_or_default();
    if codes.is_empty() {
        String::new()
    } else {
        format!(" ({})", codes.join("; "))
    }
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
    fn query_encoding() {
        assert_eq!(
            encode_query("repository:deis/probe:pull,push"),
            "repository%3Adeis%2Fprobe%3Apull%2Cpush"
        );
    }

    #[test]
    fn error_summary_reads_codes_only() {
        let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":"secret-echo"}]}"#;
        assert_eq!(error_summary(body), " (UNAUTHORIZED authentication required)");
        assert_eq!(error_summary("<html>secret-echo</html>"), "");
    }
}
