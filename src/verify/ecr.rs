//! ECR: `GetAuthorizationToken` signed with AWS Signature Version 4 for the
//! configured region, the token decoded from `AWS:<password>`, its expiry
//! checked, then the registry login probe with it.
//!
//! SigV4 is written here on ring's HMAC-SHA256 and SHA-256 (ring is already
//! in the tree through rustls): one fixed JSON POST needs about 40 lines, while
//! the aws-sigv4 crate brings about 70 crates for the same signature.

use base64::Engine;
use ring::{digest, hmac};

use super::docker_v2;
use super::report::{Class, Report};
use super::transport::{Request, Transport};
use super::{clock, Options};

const TARGET: &str = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The ECR settings `verify` needs.
pub struct Ecr<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
    pub registry_id: &'a str,
    pub hostname: &'a str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

/// The SigV4 signing key for a day, region and service.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// The `Authorization` header of a `POST /` to `host` with these headers
/// (content-type, host, x-amz-date, x-amz-target are signed).
fn authorization(access: &str, secret: &str, region: &str, host: &str, amz_date: &str, body: &[u8]) -> String {
    let date = amz_date.get(..8).unwrap_or_default();
    let signed_headers = "content-type;host;x-amz-date;x-amz-target";
    let canonical = format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\nx-amz-date:{amz_date}\nx-amz-target:{TARGET}\n\n{signed_headers}\n{}",
        sha256_hex(body)
    );
    let scope = format!("{date}/{region}/ecr/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let signature = hex(&hmac_sha256(
        &signing_key(secret, date, region, "ecr"),
        to_sign.as_bytes(),
    ));
    format!("AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={signed_headers}, Signature={signature}")
}

/// The ECR API endpoint of a region.
fn api_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://api.ecr.{region}.{suffix}")
}

/// The error code in an AWS error body: JSON `__type` (real ECR) or XML
/// `<Code>` (moto), and its message.
fn aws_error(body: &str) -> (String, String) {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        let code = json.get("__type").and_then(|t| t.as_str()).unwrap_or("");
        let code = code.rsplit('#').next().unwrap_or(code);
        let message = json
            .get("message")
            .or_else(|| json.get("Message"))
            .and_then(|m| m.as_str())
            .unwrap_or("");
        return (code.to_owned(), message.to_owned());
    }
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body.get(start..)?.find(&format!("</{name}>"))? + start;
        body.get(start..end).map(str::to_owned)
    };
    (tag("Code").unwrap_or_default(), tag("Message").unwrap_or_default())
}

/// Verify ECR credentials.
pub fn verify(transport: &Transport, report: &mut Report, ecr: &Ecr<'_>, options: &Options) {
    if ecr.access_key.is_empty() {
        report.add(
            "ECR token",
            Class::NotChecked,
            "no access keys are configured: the token refresher will use the node's IAM role, which exists only inside the cluster; neither the role's permission (ecr:GetAuthorizationToken) nor the registry login can be checked from here",
        );
        return;
    }
    let endpoint = options.ecr_endpoint.clone().unwrap_or_else(|| api_endpoint(ecr.region));
    let host = endpoint
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let body = if ecr.registry_id.is_empty() {
        b"{}".to_vec()
    } else {
        format!("{{\"registryIds\":[\"{}\"]}}", ecr.registry_id).into_bytes()
    };
    let amz_date = clock::amz_date(clock::now());
    let request = Request::new("POST", &endpoint)
        .header("x-amz-date", amz_date.clone())
        .header("x-amz-target", TARGET)
        .header(
            "authorization",
            authorization(ecr.access_key, ecr.secret_key, ecr.region, &host, &amz_date, &body),
        )
        .body(CONTENT_TYPE, body)
        .plain_http_ok(options.ecr_endpoint.is_some());
    let Some(reply) = docker_v2::send_or_report(transport, report, "ECR token", request, Some("the ECR API")) else {
        return;
    };
    if reply.status != 200 {
        let (code, message) = aws_error(&reply.body);
        let message: String = message.chars().take(200).collect();
        let (class, why) = match code.as_str() {
            "InvalidClientTokenId" | "UnrecognizedClientException" => {
                (Class::CredentialsRejected, "AWS does not know this access key id")
            }
            "SignatureDoesNotMatch" | "InvalidSignatureException"
                if message.contains("expired") || message.contains("not yet current") =>
            {
                (
                    Class::ClockSkew,
                    "the signature's time is too far from AWS's: fix this machine's clock",
                )
            }
            "SignatureDoesNotMatch" | "InvalidSignatureException" => (
                Class::CredentialsRejected,
                "the secret key does not match the access key",
            ),
            "AccessDenied" | "AccessDeniedException" => (
                Class::PermissionDenied,
                "the key is valid but its policy does not allow ecr:GetAuthorizationToken",
            ),
            _ => (Class::UnexpectedResponse, "unexpected answer"),
        };
        report.add(
            "ECR token",
            class,
            format!(
                "{endpoint} answered {} {code}: {why}{}",
                reply.status,
                if message.is_empty() {
                    String::new()
                } else {
                    format!(" ({message})")
                }
            ),
        );
        return;
    }
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
    let data = json.get("authorizationData").and_then(|d| d.get(0));
    let token = data.and_then(|d| d.get("authorizationToken")).and_then(|t| t.as_str());
    let proxy = data.and_then(|d| d.get("proxyEndpoint")).and_then(|t| t.as_str());
    let decoded = token
        .and_then(|t| base64::engine::general_purpose::STANDARD.decode(t).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        report.add(
            "ECR token",
            Class::UnexpectedResponse,
            format!("{endpoint} answered 200 without a token of the form base64(AWS:<password>)"),
        );
        return;
    };
    report.add_secret(password);
    if let Some(t) = token {
        report.add_secret(t);
    }
    report.add(
        "ECR token",
        Class::TokenIssued,
        format!(
            "GetAuthorizationToken in {} returned a token for user {user:?}",
            ecr.region
        ),
    );
    match data
        .and_then(|d| d.get("expiresAt"))
        .and_then(serde_json::Value::as_f64)
    {
        Some(expires) if (expires as i64) <= clock::now() => report.add(
            "token expiry",
            Class::TokenExpired,
            format!(
                "the token expired at {} (before it could be used)",
                clock::human(expires as i64)
            ),
        ),
        Some(expires) => report.add(
            "token expiry",
            Class::TokenIssued,
            format!(
                "valid until {} (ECR tokens last 12 hours; the refresher renews them)",
                clock::human(expires as i64)
            ),
        ),
        None => report.add("token expiry", Class::UnexpectedResponse, "the answer has no expiresAt"),
    }
    let base = match (&options.registry_endpoint, ecr.hostname, proxy) {
        (Some(test), _, _) => test.clone(),
        (None, host, _) if !host.is_empty() => format!("https://{host}"),
        (None, _, Some(proxy)) => proxy.trim_end_matches('/').to_owned(),
        (None, _, None) => {
            report.add(
                "registry",
                Class::UnexpectedResponse,
                "the answer has no proxyEndpoint to log in to",
            );
            return;
        }
    };
    docker_v2::probe(
        transport,
        report,
        &docker_v2::Target {
            plain_http_ok: base.starts_with("http://") && options.registry_endpoint.is_some(),
            base,
            username: user,
            password,
            repository: super::PROBE_REPOSITORY.into(),
            push_check: false,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // "Examples of how to derive a signing key for Signature Version 4" (AWS docs).
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn aws_errors_in_json_and_xml() {
        assert_eq!(
            aws_error(r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"bad"}"#),
            ("UnrecognizedClientException".into(), "bad".into())
        );
        assert_eq!(
            aws_error("<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>no</Message></Error></Errors></ErrorResponse>"),
            ("AccessDenied".into(), "no".into())
        );
        assert_eq!(aws_error("<Code>"), (String::new(), String::new()));
        assert_eq!(
            api_endpoint("cn-north-1"),
            "https://api.ecr.cn-north-1.amazonaws.com.cn"
        );
    }
}
