//! GCR / Artifact Registry: the service-account JWT-bearer flow (RFC 7523):
//! an RS256 assertion signed with the key, POSTed to the key's `token_uri`,
//! then the registry login probe as `oauth2accesstoken` with the access token.
//!
//! RS256 is done with ring (already in the tree through rustls), so no JWT
//! crate is needed for one fixed header and claim set.

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::docker_v2;
use super::report::{Class, Report};
use super::transport::{Request, Transport};
use super::{clock, Options};

/// The OAuth scope requested. Container Registry was shut down on
/// 2025-03-18 and gcr.io is now served by Artifact Registry, which authorises
/// with IAM on `cloud-platform` tokens; the old `devstorage.read_write` scope
/// (what Deis's refresher asked for, right for GCS-backed GCR) is not among
/// the scopes Artifact Registry documents. docker-credential-gcr and
/// registry-creds ask for `cloud-platform` too.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// The token endpoints Google's keys name. Any other `token_uri` would make
/// this tool send a signed assertion to whoever the key file points at.
const GOOGLE_TOKEN_URIS: &[&str] = &[
    "https://oauth2.googleapis.com/token",
    "https://accounts.google.com/o/oauth2/token",
];

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The key fields the flow needs.
struct Key {
    client_email: String,
    private_key: String,
    private_key_id: String,
    token_uri: String,
    project_id: String,
}

fn parse_key(json: &str) -> Result<Key, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|_| "the key is not valid JSON".to_string())?;
    let field = |name: &str| v.get(name).and_then(|s| s.as_str()).unwrap_or("").to_owned();
    let key = Key {
        client_email: field("client_email"),
        private_key: field("private_key"),
        private_key_id: field("private_key_id"),
        token_uri: field("token_uri"),
        project_id: field("project_id"),
    };
    if key.client_email.is_empty() || key.private_key.is_empty() {
        return Err("the key lacks client_email or private_key".into());
    }
    Ok(key)
}

/// The DER inside a `-----BEGIN PRIVATE KEY-----` PEM block.
fn pkcs8_der(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .split("-----BEGIN PRIVATE KEY-----")
        .nth(1)?
        .split("-----END PRIVATE KEY-----")
        .next()?;
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact).ok()
}

/// The signed assertion `header.claims.signature`.
fn assertion(key: &Key, audience: &str, now: i64) -> Result<String, String> {
    let der = pkcs8_der(&key.private_key)
        .ok_or_else(|| "the private_key is not a PKCS#8 PEM block (-----BEGIN PRIVATE KEY-----)".to_string())?;
    let pair = RsaKeyPair::from_pkcs8(&der).map_err(|e| format!("the private_key is not a usable RSA key ({e})"))?;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key.private_key_id});
    let claims = serde_json::json!({
        "iss": key.client_email,
        "scope": SCOPE,
        "aud": audience,
        "iat": now,
        "exp": now + 3600,
    });
    let signing_input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let mut signature = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "signing the assertion failed".to_string())?;
    Ok(format!("{signing_input}.{}", B64URL.encode(signature)))
}

/// Verify a GCR / Artifact Registry service-account key.
pub fn verify(transport: &Transport, report: &mut Report, key_json: &str, hostname: &str, options: &Options) {
    let key = match parse_key(key_json) {
        Ok(k) => k,
        Err(why) => {
            report.add("access token", Class::Refused, why);
            return;
        }
    };
    let token_uri = if key.token_uri.is_empty() {
        GOOGLE_TOKEN_URIS[0].to_owned()
    } else {
        key.token_uri.clone()
    };
    let allowed = GOOGLE_TOKEN_URIS.contains(&token_uri.as_str())
        || options.allow_token_uri.as_deref() == Some(token_uri.as_str());
    if !allowed {
        report.add(
            "access token",
            Class::Refused,
            format!("the key's token_uri {token_uri:?} is not Google's: refused before sending anything (a key file must not make this tool send signed assertions elsewhere; --allow-token-uri allows one, for testing)"),
        );
        return;
    }
    let assertion = match assertion(&key, &token_uri, clock::now()) {
        Ok(a) => a,
        Err(why) => {
            report.add("access token", Class::Refused, why);
            return;
        }
    };
    report.add_secret(&assertion);
    let form = format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}");
    let request = Request::new("POST", &token_uri)
        .body("application/x-www-form-urlencoded", form.into_bytes())
        .plain_http_ok(options.allow_token_uri.as_deref() == Some(token_uri.as_str()));
    let Some(reply) = docker_v2::send_or_report(transport, report, "access token", request, Some("the token endpoint"))
    else {
        return;
    };
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
    let text = |k: &str| json.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    if reply.status != 200 {
        let (error, description) = (text("error"), text("error_description"));
        let description: String = description.chars().take(200).collect();
        let lower = description.to_ascii_lowercase();
        let class = if lower.contains("reasonable timeframe") || lower.contains("iat") || lower.contains("too early") {
            Class::ClockSkew
        } else if matches!(
            error.as_str(),
            "invalid_grant" | "unauthorized_client" | "invalid_client"
        ) {
            Class::CredentialsRejected
        } else if error == "invalid_scope" {
            Class::PermissionDenied
        } else {
            Class::UnexpectedResponse
        };
        report.add(
            "access token",
            class,
            format!(
                "{token_uri} answered {} {error}: {description} (service account {})",
                reply.status, key.client_email
            ),
        );
        return;
    }
    let access_token = text("access_token");
    if access_token.is_empty() {
        report.add(
            "access token",
            Class::UnexpectedResponse,
            format!("{token_uri} answered 200 without an access_token"),
        );
        return;
    }
    report.add_secret(&access_token);
    report.add(
        "access token",
        Class::TokenIssued,
        format!(
            "{token_uri} issued an access token for {} (scope cloud-platform, expires in {}s)",
            key.client_email,
            json.get("expires_in").and_then(serde_json::Value::as_i64).unwrap_or(0)
        ),
    );
    let host = if hostname.is_empty() { "gcr.io" } else { hostname };
    let base = options
        .registry_endpoint
        .clone()
        .unwrap_or_else(|| format!("https://{host}"));
    let project = if key.project_id.is_empty() {
        "project"
    } else {
        key.project_id.as_str()
    };
    docker_v2::probe(
        transport,
        report,
        &docker_v2::Target {
            plain_http_ok: base.starts_with("http://") && options.registry_endpoint.is_some(),
            base,
            username: "oauth2accesstoken",
            password: &access_token,
            repository: format!("{project}/{}", super::PROBE_REPOSITORY),
            push_check: false,
        },
    );
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
        assert!(assertion(&key, "aud", 0).unwrap_err().contains("PKCS#8"));
        assert!(parse_key("{}").is_err() && parse_key("nope").is_err());
    }
}
