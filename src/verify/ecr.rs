//! ECR: `GetAuthorizationToken` signed with AWS Signature Version 4 for the
//! region, the token (`AWS:<password>`) and its expiry checked, then the
//! registry login with it. Without keys: docs/verify.md, "ecr with the node's
//! role". SigV4 is written on ring (already in the tree through rustls): one
//! fixed POST needs 40 lines, the aws-sigv4 crate brings 70 crates.

use base64::Engine;
use ring::{digest, hmac};
use ureq::http::Method;

use super::docker_v2;
use super::report::{Class, Report, Step};
use super::transport::{Reply, Request, Transport};
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

/// What `GetAuthorizationToken` returned.
struct Minted {
    user: String,
    password: String,
    proxy_endpoint: Option<String>,
    expires_at: Option<i64>,
}

/// Verify ECR credentials: mint a token, check its expiry, log in with it.
pub fn verify(transport: &Transport, report: &mut Report, ecr: &Ecr<'_>, options: &Options) {
    if ecr.access_key.is_empty() {
        return node_role(report);
    }
    let endpoint = options.ecr_endpoint.clone().unwrap_or_else(|| api_endpoint(ecr.region));
    let request = signed_request(report, ecr, &endpoint, options.ecr_endpoint.is_some());
    let Some(reply) = docker_v2::send_or_report(transport, report, Step::EcrToken, request) else {
        return;
    };
    if reply.status != 200 {
        return refused(report, &endpoint, &reply);
    }
    let Some(minted) = decode(&reply.body) else {
        let detail = format!("{endpoint} answered 200 without a token of the form base64(AWS:<password>)");
        return report.add(Step::EcrToken, Class::UnexpectedResponse, detail);
    };
    report.credentials(&minted.user, &minted.password);
    let (region, user) = (ecr.region, &minted.user);
    let detail = format!("GetAuthorizationToken in {region} returned a token for user {user:?}");
    report.add(Step::EcrToken, Class::TokenIssued, detail);
    check_expiry(report, minted.expires_at);
    let test = options.registry_endpoint.as_deref();
    let named = (!ecr.hostname.is_empty()).then(|| format!("https://{}", ecr.hostname));
    let proxy = minted.proxy_endpoint.map(|p| p.trim_end_matches('/').to_owned());
    let Some(base) = test.map(str::to_owned).or(named).or(proxy) else {
        let detail = "the answer has no proxyEndpoint to log in to";
        return report.add(Step::Registry, Class::UnexpectedResponse, detail);
    };
    let target = docker_v2::Target {
        plain_http_ok: test.is_some_and(|t| t.starts_with("http://")),
        base,
        username: &minted.user,
        password: &minted.password,
        repository: super::PROBE_REPOSITORY.into(),
        ..Default::default()
    };
    docker_v2::probe(transport, report, &target);
}

/// Empty keys: the refresher's credential chain ends at the node's instance
/// role, read with IMDSv1 only (docs/verify.md, "ecr with the node's role").
fn node_role(report: &mut Report) {
    let why = "no access keys: the token refresher will use the node's instance role, read from the EC2 metadata service; it cannot use IRSA (web identity) or EKS Pod Identity: its fixed credential chain (keys, environment, shared file, instance role; aws-sdk-go v1.0.x) has neither; the role exists only on the nodes, so neither its permission (ecr:GetAuthorizationToken) nor the login can be checked from here";
    report.add(Step::EcrToken, Class::NotChecked, why);
    let how = "check that pods reach the node role as the refresher does (IMDSv1, no token): kubectl run imds-check --rm -i --restart=Never --image=curlimages/curl -- curl -s -m 5 http://169.254.169.254/latest/meta-data/iam/security-credentials/ ; a role name: reachable; 401: the nodes require IMDSv2 (HttpTokens=required), which this SDK does not speak: allow HttpTokens=optional or set keys; a timeout: the metadata service is blocked for pods. The hop limit (HttpPutResponseHopLimit, 2 or more for pods) governs IMDSv2 only; aws ec2 describe-instances --query 'Reservations[].Instances[].MetadataOptions' shows both";
    report.add(Step::Platform, Class::Information, how);
}

/// The SigV4-signed `GetAuthorizationToken` POST (plain http only to a test
/// endpoint), its content-type, host, x-amz-date and x-amz-target signed.
fn signed_request<'e>(report: &mut Report, ecr: &Ecr<'_>, endpoint: &'e str, test: bool) -> Request<'e> {
    let host = endpoint.split_once("://").map_or("", |(_, rest)| rest);
    let host = host.split('/').next().unwrap_or_default();
    let body = match ecr.registry_id {
        "" => serde_json::json!({}),
        id => serde_json::json!({ "registryIds": [id] }),
    };
    let body = body.to_string().into_bytes();
    let amz_date = clock::amz_date(clock::now());
    let date = amz_date.get(..8).unwrap_or_default();
    let signed_headers = "content-type;host;x-amz-date;x-amz-target";
    let (access_key, region, body_hash) = (ecr.access_key, ecr.region, sha256_hex(&body));
    let canonical = format!("POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\nx-amz-date:{amz_date}\nx-amz-target:{TARGET}\n\n{signed_headers}\n{body_hash}");
    let scope = format!("{date}/{region}/ecr/aws4_request");
    let canonical_hash = sha256_hex(canonical.as_bytes());
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{canonical_hash}");
    let key = signing_key(ecr.secret_key, date, region, "ecr");
    let signature = hex(&hmac_sha256(&key, to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    );
    // The signature opens GetAuthorizationToken to whoever replays it within
    // minutes: it and the header that carries it are secrets as well.
    report.secret(&authorization);
    report.secret(&signature);
    Request {
        method: Method::POST,
        url: endpoint,
        headers: vec![
            ("x-amz-date", amz_date),
            ("x-amz-target", TARGET.into()),
            ("authorization", authorization),
            ("content-type", CONTENT_TYPE.into()),
        ],
        body: Some(body),
        plain_http_ok: test,
    }
}

/// Report why the ECR API refused (JSON `__type` from ECR, XML `<Code>` from moto).
fn refused(report: &mut Report, endpoint: &str, reply: &Reply) {
    let (code, message) = aws_error(&reply.body);
    let message = report.scrubbed(&message, 200);
    let skew = message.contains("expired") || message.contains("not yet current");
    let (class, why) = match code.as_str() {
        "InvalidClientTokenId" | "UnrecognizedClientException" => {
            (Class::CredentialsRejected, "AWS does not know this access key id")
        }
        "SignatureDoesNotMatch" | "InvalidSignatureException" if skew => (
            Class::ClockSkew,
            "the signature's time is too far from AWS's: fix this machine's clock",
        ),
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
    let message = Some(message).filter(|m| !m.is_empty()).map(|m| format!(" ({m})"));
    let message = message.unwrap_or_default();
    let detail = format!("{endpoint} answered {} {code}: {why}{message}", reply.status);
    report.add(Step::EcrToken, class, detail);
}

/// The token in a `GetAuthorizationToken` answer.
fn decode(body: &str) -> Option<Minted> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    let data = &json["authorizationData"][0];
    let token = base64::engine::general_purpose::STANDARD.decode(data["authorizationToken"].as_str()?);
    let decoded = String::from_utf8(token.ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some(Minted {
        user: user.to_owned(),
        password: password.to_owned(),
        proxy_endpoint: data["proxyEndpoint"].as_str().map(str::to_owned),
        // Real ECR sends fractional epoch seconds.
        expires_at: data["expiresAt"].as_f64().map(|e| e as i64),
    })
}

fn check_expiry(report: &mut Report, expires_at: Option<i64>) {
    let Some(t) = expires_at else {
        let detail = "the answer has no expiresAt";
        return report.add(Step::TokenExpiry, Class::UnexpectedResponse, detail);
    };
    let at = clock::human(t);
    if t <= clock::now() {
        let detail = format!("the token expired at {at} (before it could be used)");
        report.add(Step::TokenExpiry, Class::TokenExpired, detail);
    } else {
        let detail = format!("valid until {at} (ECR tokens last 12 hours; the refresher renews them)");
        report.add(Step::TokenExpiry, Class::TokenIssued, detail);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    tag.as_ref().to_vec()
}

/// The SigV4 signing key for a day, region and service.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let parts = [date, region, service, "aws4_request"];
    let first = format!("AWS4{secret}").into_bytes();
    parts.iter().fold(first, |key, part| hmac_sha256(&key, part.as_bytes()))
}

fn api_endpoint(region: &str) -> String {
    let china = if region.starts_with("cn-") { ".cn" } else { "" };
    format!("https://api.ecr.{region}.amazonaws.com{china}")
}

/// The error code in an AWS error body and its message.
fn aws_error(body: &str) -> (String, String) {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        let text = |k: &str| json[k].as_str();
        let code = text("__type").and_then(|t| t.rsplit('#').next()).unwrap_or_default();
        let message = text("message").or(text("Message")).unwrap_or_default();
        return (code.to_owned(), message.to_owned());
    }
    let tag = |name: &str| {
        let (_, text) = body.split_once(&format!("<{name}>"))?;
        text.split_once(&format!("</{name}>")).map(|(text, _)| text.to_owned())
    };
    (tag("Code").unwrap_or_default(), tag("Message").unwrap_or_default())
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

    #[test]
    fn tokens_decode_from_base64_of_aws_and_password() {
        let body = r#"{"authorizationData":[{"authorizationToken":"QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu",
            "expiresAt":1420070400.5,"proxyEndpoint":"https://123456789012.dkr.ecr.us-west-2.amazonaws.com"}]}"#;
        let minted = decode(body).unwrap();
        assert_eq!(
            (minted.user.as_str(), minted.password.as_str()),
            ("AWS", "123456789012-auth-token")
        );
        assert_eq!(minted.expires_at, Some(1_420_070_400));
        assert!(decode(r#"{"authorizationData":[{"authorizationToken":"bm9jb2xvbg=="}]}"#).is_none());
        assert!(decode("[]").is_none());
    }
}
