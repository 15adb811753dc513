//! GCR / Artifact Registry: the service-account JWT-bearer flow (RFC 7523)
//! as the stock refresher runs it, then the registry login as
//! `oauth2accesstoken` (docs/verify.md, "gcr: the refresher's scope"). RS256
//! is done with ring (already in the tree through rustls): no JWT crate for
//! one fixed header and claim set.

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls::pki_types::{pem::PemObject, PrivatePkcs8KeyDer};
use ureq::http::Method;

use super::docker_v2;
use super::report::{Class, Report, Step};
use super::transport::{Request, Transport};
use super::{clock, Options};

/// The stock refresher's scope: the one the platform's pulls and pushes carry.
pub const REFRESHER_SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_write";

/// Asked for only to explain a refusal of the refresher's token.
const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";

/// The token endpoints Google's keys name. Any other `token_uri` would make
/// this tool send a signed assertion to whoever the key file points at.
const GOOGLE_TOKEN_URIS: &[&str] = &[
    "https://oauth2.googleapis.com/token",
    "https://accounts.google.com/o/oauth2/token",
];

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

struct Key {
    client_email: String,
    private_key: String,
    private_key_id: String,
    /// Google's when the key names none.
    token_uri: String,
    /// `project` when the key names none.
    project_id: String,
}

fn parse_key(json: &str) -> Result<Key, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|_| "the key is not valid JSON".to_string())?;
    let field = |name: &str, or: &str| v[name].as_str().filter(|s| !s.is_empty()).unwrap_or(or).to_owned();
    let key = Key {
        client_email: field("client_email", ""),
        private_key: field("private_key", ""),
        private_key_id: field("private_key_id", ""),
        token_uri: field("token_uri", GOOGLE_TOKEN_URIS[0]),
        project_id: field("project_id", "project"),
    };
    if key.client_email.is_empty() || key.private_key.is_empty() {
        return Err("the key lacks client_email or private_key".into());
    }
    Ok(key)
}

/// The signed assertion `header.claims.signature`, for the key's `token_uri`.
fn assertion(key: &Key, scope: &str, now: i64) -> Result<String, String> {
    let der = PrivatePkcs8KeyDer::from_pem_slice(key.private_key.as_bytes())
        .map_err(|_| "the private_key is not a PKCS#8 PEM block (-----BEGIN PRIVATE KEY-----)".to_string())?;
    let pair = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
        .map_err(|e| format!("the private_key is not a usable RSA key ({e})"))?;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key.private_key_id});
    let claims = serde_json::json!({
        "iss": key.client_email,
        "scope": scope,
        "aud": key.token_uri,
        "iat": now,
        "exp": now + 3600,
    });
    let (header, claims) = (B64URL.encode(header.to_string()), B64URL.encode(claims.to_string()));
    let signing_input = format!("{header}.{claims}");
    let mut signature = vec![0u8; pair.public().modulus_len()];
    let rng = SystemRandom::new();
    pair.sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut signature)
        .map_err(|_| "signing the assertion failed".to_string())?;
    Ok(format!("{signing_input}.{}", B64URL.encode(signature)))
}

pub fn verify(transport: &Transport, report: &mut Report, key_json: &str, hostname: &str, options: &Options) {
    let Ok(key) = parse_key(key_json).map_err(|why| report.add(Step::AccessToken, Class::Refused, why)) else {
        return;
    };
    report.secret(&key.private_key);
    let token_uri = key.token_uri.as_str();
    let test_uri = options.allow_token_uri.as_deref() == Some(token_uri);
    if !GOOGLE_TOKEN_URIS.contains(&token_uri) && !test_uri {
        let detail = format!("the key's token_uri {token_uri:?} is not Google's: refused before sending anything (a key file must not make this tool send signed assertions elsewhere; --allow-token-uri allows one, for testing)");
        return report.add(Step::AccessToken, Class::Refused, detail);
    }
    let Some(token) = mint(transport, report, &key, options, REFRESHER_SCOPE) else {
        return;
    };
    docker_v2::probe(transport, report, &target(&key, hostname, options, &token));
    if report.steps.last().map(|s| s.result) != Some(Class::CredentialsRejected) {
        return;
    }
    // The registry refused the refresher's token: would a `cloud-platform`
    // one pass? Only the verdict is reported; the trial's steps are not.
    let mut trial = Report::new(report.location);
    let accepted = mint(transport, &mut trial, &key, options, CLOUD_PLATFORM).is_some_and(|token| {
        docker_v2::probe(transport, &mut trial, &target(&key, hostname, options, &token));
        trial.passed
    });
    let detail = if accepted {
        "a cloud-platform token for the same key is accepted where the refresher's devstorage.read_write token is refused: the stock refresher cannot serve this registry; use location off-cluster with username _json_key and the key as password (README, \"Artifact Registry\")"
    } else {
        "a cloud-platform token for the same key is refused too: the service account may not use this registry (Artifact Registry: roles/artifactregistry.writer on the repository)"
    };
    report.add(Step::AccessToken, Class::Information, detail);
}

/// Mint an access token for `scope`; `None` after reporting why not.
fn mint(transport: &Transport, report: &mut Report, key: &Key, options: &Options, scope: &str) -> Option<String> {
    let token_uri = key.token_uri.as_str();
    let assertion = assertion(key, scope, clock::now())
        .map_err(|why| report.add(Step::AccessToken, Class::Refused, why))
        .ok()?;
    report.secret(&assertion);
    let form = format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}");
    let request = Request {
        method: Method::POST,
        url: token_uri,
        headers: vec![("content-type", "application/x-www-form-urlencoded".into())],
        body: Some(form.into_bytes()),
        // Only a token_uri that --allow-token-uri names may be plain http.
        plain_http_ok: options.allow_token_uri.as_deref() == Some(token_uri),
    };
    let reply = docker_v2::send_or_report(transport, report, Step::AccessToken, request)?;
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
    let text = |k: &str| json[k].as_str().unwrap_or("").to_owned();
    let email = &key.client_email;
    if reply.status != 200 {
        let (error, description) = (text("error"), report.scrubbed(&text("error_description"), 200));
        let lower = description.to_ascii_lowercase();
        let clock = ["reasonable timeframe", "iat", "too early"]
            .iter()
            .any(|s| lower.contains(s));
        let class = match error.as_str() {
            _ if clock => Class::ClockSkew,
            "invalid_grant" | "unauthorized_client" | "invalid_client" => Class::CredentialsRejected,
            "invalid_scope" => Class::PermissionDenied,
            _ => Class::UnexpectedResponse,
        };
        let status = reply.status;
        let detail = format!("{token_uri} answered {status} {error}: {description} (service account {email})");
        report.add(Step::AccessToken, class, detail);
        return None;
    }
    let access_token = text("access_token");
    if access_token.is_empty() {
        let detail = format!("{token_uri} answered 200 without an access_token");
        report.add(Step::AccessToken, Class::UnexpectedResponse, detail);
        return None;
    }
    report.credentials("oauth2accesstoken", &access_token);
    let scope = match scope {
        REFRESHER_SCOPE => "devstorage.read_write, the stock refresher's",
        _ => "cloud-platform",
    };
    let expires_in = json["expires_in"].as_i64().unwrap_or(0);
    let detail = format!("{token_uri} issued an access token for {email} (scope {scope}; expires in {expires_in}s)");
    report.add(Step::AccessToken, Class::TokenIssued, detail);
    Some(access_token)
}

/// The login as `oauth2accesstoken`, in `<project>/` as the builder names images.
fn target<'t>(key: &Key, hostname: &str, options: &Options, access_token: &'t str) -> docker_v2::Target<'t> {
    let host = if hostname.is_empty() { "gcr.io" } else { hostname };
    let test = options.registry_endpoint.as_deref();
    docker_v2::Target {
        plain_http_ok: test.is_some_and(|t| t.starts_with("http://")),
        base: test.map_or_else(|| format!("https://{host}"), str::to_owned),
        username: "oauth2accesstoken",
        password: access_token,
        repository: format!("{}/{}", key.project_id, super::PROBE_REPOSITORY),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_a_pkcs8_block_is_refused_not_panicked() {
        let key = Key {
            client_email: "a@b".into(),
            private_key: "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n".into(),
            private_key_id: "x".into(),
            token_uri: String::new(),
            project_id: String::new(),
        };
        assert!(assertion(&key, REFRESHER_SCOPE, 0).unwrap_err().contains("PKCS#8"));
        assert!(parse_key("{}").is_err() && parse_key("nope").is_err());
    }
}
