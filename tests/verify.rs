//! `workflow-registry verify` against real peers on 127.0.0.1, each started
//! and stopped here: Debian's docker-registry (CNCF Distribution 2.8) with
//! htpasswd, with token auth (tests/peers/token_server.py) and with TLS from a
//! private CA; moto_server with signature checking on for ECR; and a Google
//! token endpoint built on google-auth's own JWT verifier
//! (tests/peers/google_token.py), which records the scope it is asked for;
//! and a registry that misbehaves on purpose (tests/peers/hostile_registry.py):
//! it names a second listener in its upload Location, a redirect or its token
//! realm, and echoes the credentials it receives in its error bodies. Peers
//! come from scripts/setup-peers.sh; a missing one is a loud skip, and a
//! failure under CI.
//!
//! Expectations come from how each peer is set up here (which user it knows,
//! which CA signed it), never from the code under test.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A peer process, killed and reaped when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(port: u16, child: &mut Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("peer on port {port} exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("peer on port {port} did not start");
}

fn start(mut cmd: Command, port: u16) -> Peer {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    wait_for(port, &mut child);
    Peer(child)
}

/// The peers' Python (target/peers/venv), if it has every module the peers use.
fn python() -> Option<PathBuf> {
    let python = common::peer("venv/bin/python")?;
    let ok = Command::new(&python)
        .args(["-c", "import moto, google.auth, jwt, cryptography, boto3"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    common::skip(
        &common::test_name(),
        "target/peers/venv lacks moto, google-auth, PyJWT, cryptography or boto3",
        "run scripts/setup-peers.sh",
    );
    None
}

fn tools(names: &[&str]) -> bool {
    names.iter().all(|n| common::tool_on_path(n).is_some())
}

fn sh(cmd: &str, dir: &Path) {
    let status = Command::new("sh").arg("-c").arg(cmd).current_dir(dir).status().unwrap();
    assert!(status.success(), "{cmd}");
}

/// An htpasswd file (bcrypt, the only format the registry reads) with these users.
fn htpasswd(dir: &Path, users: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("htpasswd");
    let mut text = String::new();
    for (user, password) in users {
        // bcrypt reads 72 bytes, and so does the registry when it compares
        // (htpasswd refuses longer passwords, such as a key JSON).
        let password = &password[..password.len().min(72)];
        let out = Command::new("htpasswd")
            .args(["-Bbn", user, password])
            .output()
            .unwrap();
        assert!(out.status.success());
        text.push_str(common::text(&out.stdout).trim());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Start docker-registry on a free port with this `auth:` (and `tls:`) block.
fn registry(dir: &Path, auth: &str, tls: &str) -> (Peer, u16) {
    let port = free_port();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let config = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: not-a-secret-test-only\n{tls}{auth}",
        dir.join("data").display()
    );
    let path = dir.join("config.yml");
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new("docker-registry");
    cmd.arg("serve").arg(&path);
    (start(cmd, port), port)
}

fn basic_registry(dir: &Path, users: &[(&str, &str)]) -> (Peer, u16) {
    let file = htpasswd(dir, users);
    registry(
        dir,
        &format!(
            "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
            file.display()
        ),
        "",
    )
}

/// The secrets every run here must keep out of its output.
const SECRETS: &[&str] = &[
    "testpass-9f2c",
    "wrongpass-77ab",
    "tokpass",
    "pullpass",
    "123456789012-auth-token",
    "ya29.fake-access-token-5d1e",
    "tok-Zq8vR2mLx7TgW4pN",
    "collected-Zq8vR2mLx7TgW4pN",
    "PRIVATE KEY",
];

/// The `user:password` pairs sent as Basic credentials here.
const PAIRS: &[(&str, &str)] = &[
    ("testuser", "testpass-9f2c"),
    ("testuser", "wrongpass-77ab"),
    ("tokuser", "tokpass"),
    ("pullonly", "pullpass"),
    ("AWS", "123456789012-auth-token"),
    ("oauth2accesstoken", "ya29.fake-access-token-5d1e-rw"),
    ("oauth2accesstoken", "ya29.fake-access-token-5d1e-cp"),
];

/// Every form a secret takes on the wire or in an echo: itself, base64
/// (standard and URL-safe, padded or not) and percent-encoded.
fn forms(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let percent: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    vec![
        secret.to_owned(),
        STANDARD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        percent,
    ]
}

/// Fail when `text` holds any form of any secret or credential pair used here.
fn assert_no_secret(text: &str, context: &str) {
    let extra = EXTRA_SECRETS.lock().unwrap().clone();
    let secrets = SECRETS
        .iter()
        .map(|s| (*s).to_owned())
        .chain(PAIRS.iter().map(|(u, p)| format!("{u}:{p}")))
        .chain(extra);
    for secret in secrets {
        for form in forms(&secret) {
            assert!(
                !text.contains(&form),
                "a secret leaked, as {form:?}, into {context}:\n{text}"
            );
        }
    }
}

fn verify(env: &[(&str, String)], args: &[&str]) -> (Output, Value) {
    let mut all = vec!["verify", "--output", "json"];
    all.extend_from_slice(args);
    let out = common::binary(env).args(&all).output().unwrap();
    let (stdout, stderr) = (common::text(&out.stdout), common::text(&out.stderr));
    assert_no_secret(&format!("{stdout}\n{stderr}"), &format!("verify {args:?}"));
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out, json)
}

static EXTRA_SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn results(json: &Value) -> Vec<String> {
    json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["result"].as_str().unwrap().to_owned())
        .collect()
}

fn has(json: &Value, result: &str) -> bool {
    results(json).iter().any(|r| r == result)
}

fn detail(json: &Value, result: &str) -> String {
    json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["result"] == result)
        .map(|s| s["detail"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn off_cluster(host: &str, user: &str, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("REGISTRY_LOCATION", "off-cluster".into()),
        ("REGISTRY_HOSTNAME", host.into()),
        ("REGISTRY_ORGANIZATION", "deis".into()),
        ("REGISTRY_USERNAME", user.into()),
        ("REGISTRY_PASSWORD", password.into()),
    ]
}

#[test]
fn off_cluster_basic_good_wrong_and_missing_credentials() {
    if !tools(&["docker-registry", "htpasswd"]) {
        return;
    }
    let dir = common::scratch("verify-basic");
    let (_registry, port) = basic_registry(&dir, &[("testuser", "testpass-9f2c")]);
    let host = format!("127.0.0.1:{port}");

    let (out, json) = verify(
        &off_cluster(&host, "testuser", "testpass-9f2c"),
        &["--insecure-registry", "--push-check"],
    );
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    assert_eq!(
        results(&json),
        ["reachable", "credentials_accepted", "push_allowed", "information"],
        "{json:#}"
    );
    assert_eq!(json["passed"], true);

    let (out, json) = verify(
        &off_cluster(&host, "testuser", "wrongpass-77ab"),
        &["--insecure-registry"],
    );
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    assert!(has(&json, "credentials_rejected"), "{json:#}");
    let (out, json) = verify(&off_cluster(&host, "nobody", "testpass-9f2c"), &["--insecure-registry"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(has(&json, "credentials_rejected"), "{json:#}");

    // Missing credentials: refused as configuration (exit 2) before any request.
    let out = common::binary(&off_cluster(&host, "testuser", ""))
        .args(["verify", "--insecure-registry"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(common::text(&out.stderr).contains("REGISTRY_PASSWORD"));
    assert!(out.stdout.is_empty());

    // Plain http is used only when the operator marks the registry insecure:
    // without the mark, https is spoken to the http port and fails.
    let (out, json) = verify(&off_cluster(&host, "testuser", "testpass-9f2c"), &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(!json["passed"].as_bool().unwrap());

    // The table for people says the same.
    let out = common::binary(&off_cluster(&host, "testuser", "testpass-9f2c"))
        .args(["verify", "--insecure-registry"])
        .output()
        .unwrap();
    let table = common::text(&out.stdout);
    assert!(
        table.contains("credentials accepted") && table.contains("verified:"),
        "{table}"
    );
}

#[test]
fn off_cluster_unreachable_and_anonymous_registries() {
    if !tools(&["docker-registry"]) {
        return;
    }
    let closed = free_port();
    let (out, json) = verify(
        &off_cluster(&format!("127.0.0.1:{closed}"), "u", "testpass-9f2c"),
        &["--insecure-registry"],
    );
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(results(&json), ["unreachable"]);

    let dir = common::scratch("verify-anon");
    let (_registry, port) = registry(&dir, "", "");
    let env = off_cluster(&format!("127.0.0.1:{port}"), "u", "testpass-9f2c");
    let (out, json) = verify(&env, &["--insecure-registry"]);
    assert_eq!(out.status.code(), Some(4), "anonymous access proves nothing: {json:#}");
    assert_eq!(results(&json), ["anonymous_access"]);
    assert!(json["verdict"].as_str().unwrap().contains("not proven"));
}

/// A token-auth registry and its token server (on another port: another
/// host to `verify`), sharing a signing key; the registry's port and the
/// token server's origin.
fn token_registry(dir: &Path, python: &Path) -> (Peer, Peer, u16, String) {
    sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2 -subj /CN=test-token-issuer 2>/dev/null",
        dir,
    );
    let token_port = free_port();
    let mut cmd = Command::new(python);
    cmd.arg(common::root().join("tests/peers/token_server.py"))
        .arg(token_port.to_string())
        .arg(dir.join("token.key"))
        .arg(dir.join("token.crt"));
    let token_server = start(cmd, token_port);
    let auth = format!(
        "auth:\n  token:\n    realm: http://127.0.0.1:{token_port}/auth\n    service: test-registry\n    issuer: test-token-issuer\n    rootcertbundle: {}\n",
        dir.join("token.crt").display()
    );
    let (registry, port) = registry(dir, &auth, "");
    (registry, token_server, port, format!("http://127.0.0.1:{token_port}"))
}

#[test]
fn off_cluster_bearer_token_flow_and_push_scope() {
    if !tools(&["docker-registry", "openssl"]) {
        return;
    }
    let Some(python) = python() else { return };
    let dir = common::scratch("verify-bearer");
    let (_registry, _tokens, port, realm) = token_registry(&dir, &python);
    let host = format!("127.0.0.1:{port}");

    // The token service is on another host: it gets the credentials only
    // when the operator names it.
    let (out, json) = verify(&off_cluster(&host, "tokuser", "tokpass"), &["--insecure-registry"]);
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    assert_eq!(results(&json), ["reachable", "credentials_withheld"], "{json:#}");

    let (out, json) = verify(
        &off_cluster(&host, "tokuser", "tokpass"),
        &["--insecure-registry", "--push-check", "--token-realm", &realm],
    );
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    assert_eq!(
        results(&json),
        [
            "reachable",
            "token_issued",
            "credentials_accepted",
            "push_allowed",
            "information"
        ],
        "{json:#}"
    );
    assert!(detail(&json, "reachable").contains("Bearer"));

    // A user the token server grants only `pull`: logs in, may not push.
    let (out, json) = verify(
        &off_cluster(&host, "pullonly", "pullpass"),
        &["--insecure-registry", "--push-check", "--token-realm", &realm],
    );
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    assert!(
        has(&json, "credentials_accepted") && has(&json, "no_push_permission"),
        "{json:#}"
    );

    let (out, json) = verify(
        &off_cluster(&host, "tokuser", "wrongpass-77ab"),
        &["--insecure-registry", "--token-realm", &realm],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(has(&json, "credentials_rejected"), "{json:#}");
}

/// A registry with htpasswd (testuser) and TLS from a private CA: the
/// registry, its port and the CA file.
fn tls_registry(dir: &Path) -> (Peer, u16, String) {
    // A CA and a leaf (not a self-signed CA: webpki refuses a CA as end entity).
    sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj '/CN=Workflow Test Root CA/O=verify-tests' 2>/dev/null \
         && openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=127.0.0.1 2>/dev/null \
         && printf 'basicConstraints=CA:FALSE\\nsubjectAltName=IP:127.0.0.1\\nkeyUsage=digitalSignature,keyEncipherment\\nextendedKeyUsage=serverAuth\\n' > leaf.ext \
         && openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out leaf.crt -days 2 -extfile leaf.ext 2>/dev/null",
        dir,
    );
    let file = htpasswd(dir, &[("testuser", "testpass-9f2c")]);
    let tls = format!(
        "  tls:\n    certificate: {}\n    key: {}\n",
        dir.join("leaf.crt").display(),
        dir.join("leaf.key").display()
    );
    let (registry, port) = registry(
        dir,
        &format!(
            "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
            file.display()
        ),
        &tls,
    );
    (registry, port, dir.join("ca.crt").display().to_string())
}

#[test]
fn tls_from_a_private_ca_is_trusted_only_with_the_ca_file() {
    if !tools(&["docker-registry", "htpasswd", "openssl"]) {
        return;
    }
    let dir = common::scratch("verify-tls");
    let (_registry, port, ca) = tls_registry(&dir);
    let env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "testpass-9f2c");

    let (out, json) = verify(&env, &[]);
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    assert_eq!(results(&json), ["tls_untrusted"]);
    let why = detail(&json, "tls_untrusted");
    assert!(
        why.contains("CN=Workflow Test Root CA") && why.contains("O=verify-tests"),
        "{why}"
    );

    let (out, json) = verify(&env, &["--ca-file", &ca]);
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    assert!(has(&json, "credentials_accepted"));

    // The same through the environment variable.
    let mut with_env = env.clone();
    with_env.push(("WORKFLOW_REGISTRY_CA_FILE", ca));
    assert_eq!(verify(&with_env, &[]).0.status.code(), Some(0));
}

#[test]
fn https_proxy_is_used_and_no_proxy_bypasses_it() {
    if !tools(&["docker-registry", "htpasswd", "openssl"]) {
        return;
    }
    let Some(python) = python() else { return };
    let dir = common::scratch("verify-proxy");
    let (_registry, port, ca) = tls_registry(&dir);
    let proxy_port = free_port();
    let log = dir.join("proxy.log");
    std::fs::write(&log, "").unwrap();
    let mut cmd = Command::new(&python);
    cmd.arg(common::root().join("tests/peers/connect_proxy.py"))
        .arg(proxy_port.to_string())
        .arg(&log);
    let _proxy = start(cmd, proxy_port);
    let mut env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "testpass-9f2c");
    env.push(("HTTPS_PROXY", format!("http://127.0.0.1:{proxy_port}")));

    let (out, json) = verify(&env, &["--ca-file", &ca]);
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    let tunnels = std::fs::read_to_string(&log).unwrap();
    assert!(tunnels.contains(&format!("CONNECT 127.0.0.1:{port}")), "{tunnels:?}");

    env.push(("NO_PROXY", "127.0.0.1".into()));
    let (out, json) = verify(&env, &["--ca-file", &ca]);
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        tunnels,
        "NO_PROXY was not honoured"
    );
}

#[test]
fn a_server_that_never_answers_times_out_within_the_bound() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = std::thread::spawn(move || {
        let conns: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(20));
        drop(conns);
    });
    let start = Instant::now();
    let (out, json) = verify(
        &off_cluster(&format!("127.0.0.1:{port}"), "u", "testpass-9f2c"),
        &["--insecure-registry", "--timeout", "1"],
    );
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(results(&json), ["unreachable"], "{json:#}");
    assert!(detail(&json, "unreachable").contains("timed out"), "{json:#}");
    assert!(start.elapsed() < Duration::from_secs(8), "{:?}", start.elapsed());
}

fn ecr_env(access: &str, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("REGISTRY_LOCATION", "ecr".into()),
        ("ECR_ACCESS_KEY", access.into()),
        ("ECR_SECRET_KEY", secret.into()),
        ("ECR_REGION", "us-west-2".into()),
    ]
}

#[test]
fn ecr_against_moto_with_signature_checking() {
    if !tools(&["docker-registry", "htpasswd"]) {
        return;
    }
    let Some(python) = python() else { return };
    let moto_server = python.with_file_name("moto_server");
    let port = free_port();
    let mut cmd = Command::new(&moto_server);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    let _moto = start(cmd, port);
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = Command::new(&python)
        .arg(common::root().join("tests/peers/moto_iam.py"))
        .arg(&endpoint)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let keys: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = |who: &str, i: usize| keys[who][i].as_str().unwrap().to_owned();
    EXTRA_SECRETS.lock().unwrap().extend([key("ok", 1), key("none", 1)]);

    // The registry accepts exactly what moto mints: AWS / <account>-auth-token.
    let dir = common::scratch("verify-ecr");
    let (_registry, reg_port) = basic_registry(&dir, &[("AWS", "123456789012-auth-token")]);
    let registry_url = format!("http://127.0.0.1:{reg_port}");
    let test_args = [
        "--test-ecr-endpoint",
        &endpoint,
        "--test-registry-endpoint",
        &registry_url,
    ];

    let (out, json) = verify(&ecr_env(&key("ok", 0), &key("ok", 1)), &test_args);
    // moto's token always expired on 2015-01-01: reported, hence exit 4.
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    assert_eq!(
        results(&json),
        ["token_issued", "token_expired", "reachable", "credentials_accepted"],
        "{json:#}"
    );
    assert!(detail(&json, "token_expired").contains("2015-01-01 00:00:00 UTC"));
    // moto takes the region of proxyEndpoint from the signature's scope.
    assert!(detail(&json, "token_issued").contains("us-west-2"));

    let wrong_secret = format!("{}x", &key("ok", 1)[..39]);
    let (out, json) = verify(&ecr_env(&key("ok", 0), &wrong_secret), &test_args);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(results(&json), ["credentials_rejected"], "{json:#}");
    assert!(detail(&json, "credentials_rejected").contains("SignatureDoesNotMatch"));

    let (out, json) = verify(&ecr_env("AKIAZZZZZZZZZZZZZZZZ", &key("ok", 1)), &test_args);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        detail(&json, "credentials_rejected").contains("InvalidClientTokenId"),
        "{json:#}"
    );

    let (out, json) = verify(&ecr_env(&key("none", 0), &key("none", 1)), &test_args);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(results(&json), ["permission_denied"], "{json:#}");
    assert!(detail(&json, "permission_denied").contains("ecr:GetAuthorizationToken"));

    // Empty keys (IAM role): says what could not be checked, proves nothing.
    let (out, json) = verify(&ecr_env("", ""), &test_args);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(results(&json), ["not_checked", "information"], "{json:#}");
    let why = detail(&json, "not_checked");
    assert!(
        why.contains("instance role") && why.contains("IRSA") && why.contains("Pod Identity"),
        "{why}"
    );
    let how = detail(&json, "information");
    assert!(
        how.contains("169.254.169.254") && how.contains("HttpTokens") && how.contains("hop limit"),
        "{how}"
    );

    // The endpoint override is for loopback only.
    let out = common::binary(&ecr_env(&key("ok", 0), &key("ok", 1)))
        .args(["verify", "--test-ecr-endpoint", "https://ecr.example.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A throwaway service-account key whose token_uri is `token_uri`.
fn gcr_key(dir: &Path, name: &str, token_uri: &str) -> String {
    sh(
        &format!("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out {name}.pem 2>/dev/null && openssl pkey -in {name}.pem -pubout -out {name}.pub"),
        dir,
    );
    let pem = std::fs::read_to_string(dir.join(format!("{name}.pem"))).unwrap();
    serde_json::json!({
        "type": "service_account",
        "project_id": "verify-tests",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": "deis@verify-tests.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    })
    .to_string()
}

fn google_endpoint(python: &Path, dir: &Path, public_key: &Path, skew: i64) -> (Peer, String, PathBuf) {
    let port = free_port();
    let log = dir.join(format!("requests-{port}.log"));
    std::fs::write(&log, "").unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(common::root().join("tests/peers/google_token.py"))
        .arg(port.to_string())
        .arg(public_key)
        .arg("ya29.fake-access-token-5d1e")
        .arg(&log)
        .arg(skew.to_string());
    (start(cmd, port), format!("http://127.0.0.1:{port}/token"), log)
}

fn gcr_env(key_json: &str) -> Vec<(&'static str, String)> {
    vec![("REGISTRY_LOCATION", "gcr".into()), ("GCR_KEY_JSON", key_json.into())]
}

#[test]
fn gcr_jwt_bearer_against_a_google_auth_verifier() {
    if !tools(&["docker-registry", "htpasswd", "openssl"]) {
        return;
    }
    let Some(python) = python() else { return };
    let dir = common::scratch("verify-gcr");
    let placeholder = "http://127.0.0.1:1/token";
    let good = gcr_key(&dir, "good", placeholder);
    let other = gcr_key(&dir, "other", placeholder);
    let (_google, token_uri, requests) = google_endpoint(&python, &dir, &dir.join("good.pub"), 0);
    let (good, other) = (
        good.replace(placeholder, &token_uri),
        other.replace(placeholder, &token_uri),
    );
    EXTRA_SECRETS.lock().unwrap().extend([good.clone(), other.clone()]);
    // `other` signs with a different private key under the same key id. The
    // registry takes tokens of the stock refresher's scope only.
    let (_registry, reg_port) = basic_registry(&dir, &[("oauth2accesstoken", "ya29.fake-access-token-5d1e-rw")]);
    let registry_url = format!("http://127.0.0.1:{reg_port}");
    let args = [
        "--allow-token-uri",
        &token_uri,
        "--test-registry-endpoint",
        &registry_url,
    ];

    let (out, json) = verify(&gcr_env(&good), &args);
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    assert_eq!(
        results(&json),
        ["token_issued", "reachable", "credentials_accepted"],
        "{json:#}"
    );
    assert!(detail(&json, "credentials_accepted").contains("oauth2accesstoken"));
    // The token proven is one of the refresher's own scope, and no other was asked for.
    assert_eq!(
        scopes(&requests),
        ["https://www.googleapis.com/auth/devstorage.read_write"]
    );
    assert!(
        detail(&json, "token_issued").contains("devstorage.read_write"),
        "{json:#}"
    );

    let (out, json) = verify(&gcr_env(&other), &args);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(results(&json), ["credentials_rejected"], "{json:#}");
    assert!(detail(&json, "credentials_rejected").contains("Invalid JWT Signature"));

    // A foreign token_uri, or the peer's without the explicit allowance:
    // refused before any request.
    let before = std::fs::read_to_string(&requests).unwrap().lines().count();
    let foreign = gcr_key(&dir, "foreign", "https://token.example.com/token");
    let (out, json) = verify(&gcr_env(&foreign), &args);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(results(&json), ["refused"], "{json:#}");
    assert!(detail(&json, "refused").contains("https://token.example.com/token"));
    let (out, json) = verify(&gcr_env(&good), &["--test-registry-endpoint", &registry_url]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(results(&json), ["refused"], "{json:#}");
    assert_eq!(std::fs::read_to_string(&requests).unwrap().lines().count(), before);

    // The endpoint's clock two hours ahead of ours: the assertion is stale there.
    let (_skewed, skewed_uri, _) = google_endpoint(&python, &dir, &dir.join("good.pub"), 7200);
    let skewed_key = good.replace(&token_uri, &skewed_uri);
    let (out, json) = verify(&gcr_env(&skewed_key), &["--allow-token-uri", &skewed_uri]);
    assert_eq!(out.status.code(), Some(4));
    assert!(has(&json, "clock_skew"), "{json:#}");
    assert!(detail(&json, "clock_skew").contains("7200s behind"), "{json:#}");
}

/// The scopes the Google token endpoint was asked for, in order.
fn scopes(requests: &Path) -> Vec<String> {
    std::fs::read_to_string(requests)
        .unwrap()
        .lines()
        .map(|l| l.split_once(' ').map_or("", |(_, scope)| scope).to_owned())
        .collect()
}

#[test]
fn gcr_proves_the_refreshers_scope_and_names_cloud_platform_only_as_information() {
    if !tools(&["docker-registry", "htpasswd", "openssl"]) {
        return;
    }
    let Some(python) = python() else { return };
    let dir = common::scratch("verify-gcr-scope");
    let placeholder = "http://127.0.0.1:1/token";
    let key = gcr_key(&dir, "good", placeholder);
    let (_google, token_uri, requests) = google_endpoint(&python, &dir, &dir.join("good.pub"), 0);
    let key = key.replace(placeholder, &token_uri);
    EXTRA_SECRETS.lock().unwrap().push(key.clone());
    // A registry that takes cloud-platform tokens only: what a verification
    // of cloud-platform would call verified, while the refresher's tokens
    // (devstorage.read_write) are refused.
    let (_registry, reg_port) = basic_registry(&dir, &[("oauth2accesstoken", "ya29.fake-access-token-5d1e-cp")]);
    let registry_url = format!("http://127.0.0.1:{reg_port}");
    let (out, json) = verify(
        &gcr_env(&key),
        &[
            "--allow-token-uri",
            &token_uri,
            "--test-registry-endpoint",
            &registry_url,
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    assert_eq!(
        results(&json),
        ["token_issued", "reachable", "credentials_rejected", "information"],
        "{json:#}"
    );
    assert_eq!(json["passed"], false);
    let info = detail(&json, "information");
    assert!(
        info.contains("cloud-platform") && info.contains("accepted") && info.contains("_json_key"),
        "{info}"
    );
    assert_eq!(
        scopes(&requests),
        [
            "https://www.googleapis.com/auth/devstorage.read_write",
            "https://www.googleapis.com/auth/cloud-platform"
        ]
    );
}

/// A Workflow manifest the filter configures.
fn manifest() -> String {
    common::read(&common::root().join("testdata/fixtures/helm4.on-cluster.yaml"))
}

#[test]
fn pipeline_opt_in_verifies_before_writing() {
    if !tools(&["docker-registry", "htpasswd"]) {
        return;
    }
    let dir = common::scratch("verify-pipeline");
    let (_registry, port) = basic_registry(&dir, &[("testuser", "testpass-9f2c")]);
    let host = format!("127.0.0.1:{port}");
    let input = manifest();
    let with = |password: &str, extra: &[(&'static str, &str)]| {
        let mut env = off_cluster(&host, "testuser", password);
        env.push(("WORKFLOW_REGISTRY_INSECURE_REGISTRY", "1".into()));
        env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        env
    };
    let run = |env: &[(&'static str, String)], args: &[&str]| {
        let out = common::run(common::binary(env).args(args), &input);
        let (stdout, stderr) = (common::text(&out.stdout), common::text(&out.stderr));
        // Standard output holds the registry Secret, whose data is base64 of
        // the credentials by design: only the raw values are checked there.
        assert_no_secret(&stderr, "the pipeline's standard error");
        for secret in SECRETS {
            assert!(!stdout.contains(secret), "{secret} in the pipeline's output");
        }
        out
    };

    // Off by default: no request, output written even with a wrong password.
    let out = run(&with("wrongpass-77ab", &[]), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stdout.is_empty());

    // The environment variable and the flag: nothing written, exit 4.
    let out = run(&with("wrongpass-77ab", &[("WORKFLOW_REGISTRY_VERIFY", "1")]), &[]);
    assert_eq!(out.status.code(), Some(4), "{}", common::text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(common::text(&out.stderr).contains("credentials rejected"));
    let out = run(&with("wrongpass-77ab", &[]), &["--verify"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());

    // Good credentials: verified, then written.
    let out = run(&with("testpass-9f2c", &[("WORKFLOW_REGISTRY_VERIFY", "1")]), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    let written = common::text(&out.stdout);
    assert!(
        written.contains("registry-secret") && written.contains("off-cluster"),
        "{written}"
    );

    // The KRM function: an error result, the items unchanged, exit 4.
    let items: String = input
        .split("\n---")
        .filter(|d| d.contains("kind:"))
        .take(1)
        .map(|d| {
            d.trim_start_matches("---")
                .trim()
                .lines()
                .map(|l| format!("  {l}\n"))
                .collect::<String>()
        })
        .collect();
    let list = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {}",
        items.trim_start()
    );
    let out = common::run(
        common::binary(&with("wrongpass-77ab", &[("WORKFLOW_REGISTRY_VERIFY", "1")])).args(["--mode", "krm"]),
        &list,
    );
    assert_eq!(out.status.code(), Some(4), "{}", common::text(&out.stderr));
    let stdout = common::text(&out.stdout);
    assert!(
        stdout.contains("severity: error") && stdout.contains("credentials rejected"),
        "{stdout}"
    );
    assert!(!stdout.contains("registry-secret"), "{stdout}");
}

/// A misbehaving registry (tests/peers/hostile_registry.py) in `mode`, with
/// its request log; `other` is the port of the listener it points at.
fn hostile(dir: &Path, mode: &str, other: u16, status: u16) -> Option<(Peer, u16, PathBuf)> {
    let python = common::tool_on_path("python3")?;
    let port = free_port();
    let log = dir.join(format!("{mode}-{port}.log"));
    std::fs::write(&log, "").unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(common::root().join("tests/peers/hostile_registry.py"))
        .args([port.to_string(), mode.to_owned()])
        .arg(&log)
        .args([other.to_string(), status.to_string()]);
    Some((start(cmd, port), port, log))
}

/// The requests a peer logged that carried an `Authorization` header.
fn authorized_requests(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter(|l| l.split(' ').nth(2).is_some_and(|auth| !auth.is_empty()))
        .map(str::to_owned)
        .collect()
}

#[test]
fn credentials_go_to_no_host_that_a_location_redirect_or_realm_names() {
    let dir = common::scratch("verify-elsewhere");
    for mode in ["location", "redirect", "realm"] {
        let Some((_collector, other, collected)) = hostile(&dir, "collector", 0, 0) else {
            return;
        };
        let Some((_registry, port, _)) = hostile(&dir, mode, other, 0) else {
            return;
        };
        let env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "testpass-9f2c");
        let (out, json) = verify(&env, &["--insecure-registry", "--push-check"]);
        assert_eq!(out.status.code(), Some(4), "{mode}: {json:#}");
        assert!(has(&json, "credentials_withheld"), "{mode}: {json:#}");
        let why = detail(&json, "credentials_withheld");
        assert!(why.contains(&format!("http://127.0.0.1:{other}")), "{mode}: {why}");
        assert_eq!(
            authorized_requests(&collected),
            Vec::<String>::new(),
            "{mode}: the other host received credentials"
        );
        if mode == "location" {
            // The login and the upload were proven; only the cancel was not sent.
            assert!(
                has(&json, "credentials_accepted") && has(&json, "push_allowed"),
                "{json:#}"
            );
        }
    }
}

#[test]
fn an_upload_location_on_another_host_is_not_contacted_even_without_credentials() {
    let dir = common::scratch("verify-open");
    let Some((_collector, other, collected)) = hostile(&dir, "collector", 0, 0) else {
        return;
    };
    let Some((_registry, port, _)) = hostile(&dir, "open", other, 0) else {
        return;
    };
    let env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "testpass-9f2c");
    let (out, json) = verify(&env, &["--insecure-registry", "--push-check"]);
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    assert_eq!(results(&json), ["anonymous_access", "push_allowed"], "{json:#}");
    assert!(detail(&json, "push_allowed").contains("not cancelled"), "{json:#}");
    assert_eq!(
        std::fs::read_to_string(&collected).unwrap(),
        "",
        "the other host was contacted"
    );
}

#[test]
fn a_token_realm_on_another_host_gets_the_credentials_only_when_the_operator_names_it() {
    let dir = common::scratch("verify-realm");
    let Some((_collector, other, collected)) = hostile(&dir, "collector", 0, 0) else {
        return;
    };
    let Some((_registry, port, _)) = hostile(&dir, "realm", other, 0) else {
        return;
    };
    let env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "testpass-9f2c");
    let realm = format!("http://127.0.0.1:{other}");
    let (out, json) = verify(&env, &["--insecure-registry", "--token-realm", &realm]);
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    assert_eq!(
        results(&json),
        ["reachable", "token_issued", "credentials_accepted", "information"],
        "{json:#}"
    );
    assert_eq!(authorized_requests(&collected).len(), 1);

    // The same through the environment; another port is still another host.
    let mut with_env = env.clone();
    with_env.push((
        "WORKFLOW_REGISTRY_TOKEN_REALM",
        format!("http://127.0.0.1:{}", free_port()),
    ));
    let (out, json) = verify(&with_env, &["--insecure-registry"]);
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    assert_eq!(results(&json), ["reachable", "credentials_withheld"], "{json:#}");
    assert_eq!(authorized_requests(&collected).len(), 1);

    // Not a URL: a usage error naming the flag and the variable, nothing contacted.
    let mut bad = env.clone();
    bad.push(("WORKFLOW_REGISTRY_TOKEN_REALM", "gitlab.example.com".into()));
    let out = common::binary(&bad)
        .args(["verify", "--insecure-registry"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = common::text(&out.stderr);
    assert!(
        stderr.contains("WORKFLOW_REGISTRY_TOKEN_REALM") && stderr.contains("--token-realm"),
        "{stderr}"
    );
    assert_eq!(authorized_requests(&collected).len(), 1);
}

#[test]
fn credentials_a_registry_echoes_are_printed_in_no_form() {
    let dir = common::scratch("verify-echo");
    for (mode, status) in [
        ("echo", 401),
        ("echo", 403),
        ("echo", 404),
        ("echo", 500),
        ("echo-bearer", 401),
    ] {
        let Some((_registry, port, log)) = hostile(&dir, mode, 0, status) else {
            return;
        };
        let host = format!("127.0.0.1:{port}");
        let mut env = off_cluster(&host, "testuser", "testpass-9f2c");
        // JSON (checked by `verify`), the table, and the pipeline's report on
        // standard error and in the log file.
        let (out, json) = verify(&env, &["--insecure-registry", "--push-check"]);
        assert_eq!(out.status.code(), Some(4), "{mode} {status}: {json:#}");
        assert!(
            authorized_requests(&log).iter().any(|r| r.contains("GET /v2/")),
            "{mode}: the echo was never provoked"
        );
        let table = common::binary(&env)
            .args(["verify", "--insecure-registry", "--push-check"])
            .output()
            .unwrap();
        assert_no_secret(&common::text(&table.stdout), "the table");
        assert_no_secret(&common::text(&table.stderr), "standard error");
        let log_file = dir.join(format!("pipeline-{port}.log"));
        env.extend([
            ("WORKFLOW_REGISTRY_VERIFY", "1".to_owned()),
            ("WORKFLOW_REGISTRY_INSECURE_REGISTRY", "1".to_owned()),
            ("WORKFLOW_REGISTRY_LOG", log_file.display().to_string()),
        ]);
        let piped = common::run(&mut common::binary(&env), &manifest());
        assert_eq!(piped.status.code(), Some(4));
        assert_no_secret(&common::text(&piped.stderr), "the pipeline's standard error");
        assert_no_secret(&std::fs::read_to_string(&log_file).unwrap(), "the log file");
    }
}

#[test]
fn a_credential_too_short_to_scrub_is_refused_before_anything_is_contacted() {
    // A 3-character password cannot be told from ordinary text in what a
    // server answers, so an echo of it could not be masked.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut env = off_cluster(&host, "testuser", "p4s");
    let out = common::binary(&env)
        .args(["verify", "--insecure-registry"])
        .output()
        .unwrap();
    let stderr = common::text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("REGISTRY_PASSWORD is shorter than 4 characters") && stderr.contains("nothing was contacted"),
        "{stderr}"
    );
    assert!(!stderr.contains("p4s"), "{stderr}");
    env.extend([
        ("WORKFLOW_REGISTRY_VERIFY", "1".to_owned()),
        ("WORKFLOW_REGISTRY_INSECURE_REGISTRY", "1".to_owned()),
    ]);
    let piped = common::run(&mut common::binary(&env), &manifest());
    assert_eq!(piped.status.code(), Some(2), "{}", common::text(&piped.stderr));
    assert!(piped.stdout.is_empty());
    let accepted = listener.accept();
    assert!(accepted.is_err(), "the registry was contacted");
    // Four characters are scrubbed and verified as usual (nothing listens now: unreachable).
    drop(listener);
    let env = off_cluster(&host, "testuser", "p4ss");
    let out = common::binary(&env)
        .args(["verify", "--insecure-registry"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", common::text(&out.stderr));
}

#[test]
fn an_echo_cut_to_200_characters_leaks_no_part_of_a_secret() {
    use base64::Engine;
    let dir = common::scratch("verify-cut");
    let Some((_registry, port, _)) = hostile(&dir, "cut", 0, 0) else {
        return;
    };
    let env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "testpass-9f2c");
    // The first 6 characters of the password and the first 15 of the
    // base64 of testuser:testpass-9f2c are what a cut before the scrub left.
    let encoded = base64::engine::general_purpose::STANDARD.encode("testuser:testpass-9f2c");
    let leaks = ["testpa".to_owned(), encoded[..15].to_owned()];
    let (out, json) = verify(&env, &["--insecure-registry"]);
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    let rejected = detail(&json, "credentials_rejected");
    assert!(
        rejected.contains("UNAUTHORIZED x") && rejected.contains("DENIED y"),
        "{rejected}"
    );
    let table = common::binary(&env)
        .args(["verify", "--insecure-registry"])
        .output()
        .unwrap();
    let table = common::text(&table.stdout);
    for leak in &leaks {
        assert!(!rejected.contains(leak.as_str()), "{leak} in {rejected}");
        assert!(!table.contains(leak.as_str()), "{leak} in {table}");
    }
}

#[test]
fn a_sigv4_signature_the_ecr_api_echoes_is_not_printed() {
    let dir = common::scratch("verify-ecr-echo");
    let Some((_api, port, log)) = hostile(&dir, "ecr-echo", 0, 0) else {
        return;
    };
    let env = ecr_env("AKIAABCDEFGHIJKLMNOP", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY");
    let endpoint = format!("http://127.0.0.1:{port}");
    let (out, json) = verify(&env, &["--test-ecr-endpoint", &endpoint]);
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    let table = common::binary(&env)
        .args(["verify", "--test-ecr-endpoint", &endpoint])
        .output()
        .unwrap();
    let sent = std::fs::read_to_string(&log).unwrap();
    let signatures: Vec<&str> = sent.lines().filter_map(|l| l.split("Signature=").nth(1)).collect();
    assert_eq!(signatures.len(), 2, "{sent}");
    let shown = format!("{json}\n{}", common::text(&table.stdout));
    assert!(shown.contains("SignatureDoesNotMatch"), "{shown}");
    for signature in signatures {
        assert_eq!(signature.len(), 64, "{sent}");
        assert!(
            !shown.contains(signature),
            "the signature {signature} was printed:\n{shown}"
        );
    }
}

#[test]
fn plain_http_to_an_allowed_token_uri_needs_a_loopback_host() {
    if !tools(&["openssl"]) {
        return;
    }
    let dir = common::scratch("verify-token-uri-loopback");
    let Some((_collector, port, collected)) = hostile(&dir, "collector", 0, 0) else {
        return;
    };
    // An IPv4-mapped address reaches 127.0.0.1, but is not loopback to the
    // rule --test-registry-endpoint follows.
    let token_uri = format!("http://[::ffff:127.0.0.1]:{port}/token");
    let key = gcr_key(&dir, "mapped", &token_uri);
    let registry = format!("http://127.0.0.1:{}", free_port());
    let out = common::binary(&gcr_env(&key))
        .args([
            "verify",
            "--allow-token-uri",
            &token_uri,
            "--test-registry-endpoint",
            &registry,
        ])
        .output()
        .unwrap();
    let stderr = common::text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--allow-token-uri") && stderr.contains("loopback"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&collected).unwrap(),
        "",
        "the assertion went over plain http"
    );
}

#[test]
fn a_password_a_redirect_puts_in_its_host_is_not_printed_in_lower_case() {
    let dir = common::scratch("verify-redirect-host");
    let Some((_registry, port, _)) = hostile(&dir, "redirect-host", free_port(), 0) else {
        return;
    };
    let env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "Hunter2-Secret-PASS");
    let (out, json) = verify(&env, &["--insecure-registry"]);
    assert_eq!(out.status.code(), Some(4), "{json:#}");
    let withheld = detail(&json, "credentials_withheld");
    assert!(
        withheld.contains("a redirect to http://(redacted).localhost:"),
        "{json:#}"
    );
    let table = common::binary(&env)
        .args(["verify", "--insecure-registry"])
        .output()
        .unwrap();
    let shown = format!("{json}\n{}", common::text(&table.stdout)).to_ascii_lowercase();
    assert!(!shown.contains("hunter2-secret-pass"), "{shown}");
}

#[test]
fn artifact_registry_off_cluster_recipe_is_verified_like_any_registry() {
    if !tools(&["docker-registry", "htpasswd", "openssl"]) {
        return;
    }
    let dir = common::scratch("verify-ar");
    let key = gcr_key(&dir, "ar", "https://oauth2.googleapis.com/token");
    EXTRA_SECRETS.lock().unwrap().push(key.clone());
    let (_registry, port) = basic_registry(&dir, &[("_json_key", &key)]);
    let mut env = off_cluster(&format!("127.0.0.1:{port}"), "_json_key", &key);
    env.retain(|(k, _)| *k != "REGISTRY_ORGANIZATION");
    env.push(("REGISTRY_ORGANIZATION", "verify-tests/workflow".into()));
    let (out, json) = verify(&env, &["--insecure-registry", "--push-check"]);
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    assert!(
        has(&json, "credentials_accepted") && has(&json, "push_allowed"),
        "{json:#}"
    );
    assert!(
        detail(&json, "push_allowed").contains("verify-tests/workflow/"),
        "{json:#}"
    );
}

#[test]
fn platform_warnings_name_what_every_node_needs() {
    if !tools(&["docker-registry", "htpasswd", "openssl"]) {
        return;
    }
    let dir = common::scratch("verify-platform");
    let (_plain, port) = basic_registry(&dir, &[("testuser", "testpass-9f2c")]);
    let env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "testpass-9f2c");
    let (out, json) = verify(&env, &["--insecure-registry"]);
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    assert!(detail(&json, "information").contains("insecure-registries"), "{json:#}");

    let tls_dir = common::scratch("verify-platform-tls");
    let (_tls, port, ca) = tls_registry(&tls_dir);
    let env = off_cluster(&format!("127.0.0.1:{port}"), "testuser", "testpass-9f2c");
    let (out, json) = verify(&env, &["--ca-file", &ca]);
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    let info = detail(&json, "information");
    assert!(info.contains("every node") && info.contains("CA"), "{info}");
}

/// `check`'s standard error for this configuration, and its exit status.
fn check(env: &[(&str, String)]) -> (Option<i32>, String) {
    let out = common::binary(env).arg("check").output().unwrap();
    (out.status.code(), common::text(&out.stderr))
}

#[test]
fn check_points_registries_of_2026_at_what_reaches_them() {
    // Artifact Registry with location gcr: valid, but the builder's image
    // names cannot reach it; the warning gives the off-cluster recipe.
    let mut gcr = common::location_env("gcr");
    gcr.push(("GCR_HOSTNAME", "europe-west1-docker.pkg.dev".into()));
    let (status, stderr) = check(&gcr);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("GCR_HOSTNAME") && stderr.contains("off-cluster") && stderr.contains("_json_key"),
        "{stderr}"
    );

    // The off-cluster recipe itself: the organization must be <project>/<repository>.
    let ar = |organization: &str, password: &str| {
        let mut env = off_cluster("europe-west1-docker.pkg.dev", "_json_key", password);
        env.retain(|(k, _)| *k != "REGISTRY_ORGANIZATION");
        env.push(("REGISTRY_ORGANIZATION", organization.into()));
        check(&env)
    };
    let (status, stderr) = ar("my-project/workflow", r#"{"type": "service_account"}"#);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(!stderr.contains("REGISTRY_ORGANIZATION"), "{stderr}");
    let (status, stderr) = ar("my-project", r#"{"type": "service_account"}"#);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("REGISTRY_ORGANIZATION") && stderr.contains("<project>/<repository>"),
        "{stderr}"
    );
    // A key pasted as it is stored (several lines): refused with the way out.
    let (status, stderr) = ar("my-project/workflow", "{\n  \"type\": \"service_account\"\n}");
    assert_eq!(status, Some(2), "{stderr}");
    assert!(
        stderr.contains("REGISTRY_PASSWORD") && stderr.contains("jq -c"),
        "{stderr}"
    );
    assert!(!stderr.contains("service_account"), "{stderr}");

    // A GitLab group/project: one level deeper than a namespace.
    let mut gitlab = off_cluster("registry.gitlab.com", "gitlab+deploy-token-1", "testpass-9f2c");
    gitlab.retain(|(k, _)| *k != "REGISTRY_ORGANIZATION");
    gitlab.push(("REGISTRY_ORGANIZATION", "group/project".into()));
    let (status, stderr) = check(&gitlab);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("REGISTRY_ORGANIZATION") && stderr.contains("--push-check"),
        "{stderr}"
    );
    // A Harbor robot account's `$` is an ordinary character.
    let harbor = off_cluster("harbor.example.com", "robot$workflow+deis", "testpass-9f2c");
    let (status, stderr) = check(&harbor);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(!stderr.contains("REGISTRY_USERNAME"), "{stderr}");
}
