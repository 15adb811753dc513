//! HTTP for `verify` (docs/verify.md, "Transport"): TLS always verified, no
//! redirects and no retries (a retried login can lock an account), proxies
//! as ureq reads them. [`Origin`] decides where credentials may go.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct};
use ureq::http::{self, Method};
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use super::clock;
use super::report::Class;
use crate::files;

/// The most of a response body read: a hostile server must not exhaust memory.
const BODY_LIMIT: u64 = 256 * 1024;

/// Scheme, host and port: what credentials are bound to (docs/verify.md, "Where credentials go").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of an absolute `http(s)://` URL; `None` for anything else,
    /// and for a URL with user information (`https://user@host`).
    pub fn of(url: &str) -> Option<Origin> {
        let uri: http::Uri = url.parse().ok()?;
        let https = match uri.scheme_str()? {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        let authority = uri.authority().filter(|a| !a.as_str().contains('@'))?;
        let host = authority.host().to_ascii_lowercase();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        Some(Origin { https, host, port })
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Whether the host is a loopback address: the only place the test
    /// overrides may point, and plain http to an allowed token URI may go.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (scheme, default) = if self.https { ("https", 443) } else { ("http", 80) };
        write!(f, "{scheme}://{}", self.host)?;
        if self.port != default {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// RFC 3986's unreserved characters stay; everything else is encoded.
pub(super) const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn encode_query(s: &str) -> String {
    utf8_percent_encode(s, QUERY).to_string()
}

/// An HTTP answer, whatever its status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    /// The first value of a header (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// How far the local clock is from the server's `Date`, if too far.
    pub fn skew(&self) -> Option<i64> {
        let diff = clock::now() - clock::parse_http_date(self.header("date")?)?;
        (diff.abs() > clock::MAX_SKEW_SECONDS).then_some(diff)
    }
}

/// One request; a body goes with a `content-type` among the headers.
pub struct Request<'a> {
    pub method: Method,
    pub url: &'a str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    /// The operator allowed plain http for this URL.
    pub plain_http_ok: bool,
}

pub struct Transport {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Transport {
    /// Trusts the system's roots and `ca_file`'s; an unreadable CA file is an error (exit 2).
    pub fn new(ca_file: Option<&Path>, timeout: Duration) -> Result<Self, String> {
        let mut roots = rustls_native_certs::load_native_certs().certs;
        if let Some(path) = ca_file {
            // Bounded, and never a FIFO or a device: a CA file named by mistake
            // must not hang `helm install` or exhaust memory.
            let pem = files::read_bytes(path, files::Kind::CaFile).map_err(|e| format!("the CA file: {e}"))?;
            let native = roots.len();
            roots.extend(CertificateDer::pem_slice_iter(&pem).flatten());
            if roots.len() == native {
                return Err(format!("the CA file {} holds no PEM certificate", path.display()));
            }
        }
        let roots = roots.iter().map(|der| Certificate::from_der(der).to_owned()).collect();
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::Specific(Arc::new(roots)))
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        let t = Some(timeout);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .tls_config(tls)
            .timeout_connect(t)
            .timeout_recv_response(t)
            .timeout_recv_body(t)
            .timeout_send_body(t)
            .timeout_global(Some(timeout * 3))
            .user_agent(concat!("workflow-registry/", env!("CARGO_PKG_VERSION"), " (verify)"))
            .build()
            .into();
        Ok(Transport { agent, timeout })
    }

    /// Send one request, once; no HTTP answer is an error, classified.
    pub fn send(&self, req: Request<'_>) -> Result<Reply, (Class, String)> {
        let url = req.url;
        let origin = Origin::of(url).ok_or_else(|| unreachable(url, "not an http(s) URL"))?;
        if !origin.https && !req.plain_http_ok {
            let why = "refused (use https, or mark the registry insecure with --insecure-registry)";
            return Err((Class::Refused, format!("{url} is plain http: {why}")));
        }
        let mut builder = http::Request::builder().method(req.method).uri(url);
        for (name, value) in &req.headers {
            builder = builder.header(*name, value.as_str());
        }
        let sent = match req.body {
            Some(bytes) => builder.body(bytes).map(|r| self.agent.run(r)),
            None => builder.body(()).map(|r| self.agent.run(r)),
        };
        let sent = sent.map_err(|e| unreachable(url, e))?;
        let mut response = sent.map_err(|e| self.classify(url, e))?;
        let body = response.body_mut().with_config().limit(BODY_LIMIT).read_to_string();
        Ok(Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: body.unwrap_or_default(),
        })
    }

    fn classify(&self, url: &str, e: ureq::Error) -> (Class, String) {
        let tls = |e: &rustls::Error| match e {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                let issuer = self.issuer_of(url).unwrap_or_else(|| "an unknown issuer".into());
                let detail = format!("{url} presents a certificate chain issued by {issuer}, which this machine does not trust (give its CA with --ca-file; every node's container runtime must trust it too)");
                (Class::TlsUntrusted, detail)
            }
            other => (Class::TlsFailed, format!("TLS with {url} failed: {other}")),
        };
        match e {
            ureq::Error::Rustls(ref r) => tls(r),
            ureq::Error::Io(ref io) => match io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(r) => tls(r),
                None => unreachable(url, io),
            },
            ureq::Error::HostNotFound => unreachable(url, "host not found"),
            ureq::Error::ConnectionFailed => unreachable(url, "connection failed"),
            ureq::Error::Timeout(t) => unreachable(url, format!("timed out ({t})")),
            other => unreachable(url, other),
        }
    }

    /// Connect once more, without a proxy, only to read who issued the
    /// server's certificate; given up (no issuer) beyond the timeout.
    fn issuer_of(&self, url: &str) -> Option<String> {
        let until = Instant::now() + self.timeout;
        let proxied =
            ureq::Proxy::try_from_env().is_some_and(|p| url.parse::<http::Uri>().is_ok_and(|uri| !p.is_no_proxy(&uri)));
        let origin = Origin::of(url).filter(|o| o.https && !proxied)?;
        let host = origin.host.trim_start_matches('[').trim_end_matches(']');
        let seen = Arc::new(OnceLock::new());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(RecordIssuer { seen: seen.clone() }))
            .with_no_client_auth();
        let name = ServerName::try_from(host.to_owned()).ok()?;
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
        let addr = (host, origin.port).to_socket_addrs().ok()?.next()?;
        let sock = TcpStream::connect_timeout(&addr, self.timeout).ok()?;
        // The verifier always refuses, so the handshake ends in an error by design.
        let _ = conn.complete_io(&mut Deadline { sock, until });
        issuer_name(seen.get()?)
    }
}

/// A socket whose reads and writes all end by one deadline, so a peer that
/// drips its bytes cannot stretch the exchange beyond it.
struct Deadline {
    sock: TcpStream,
    until: Instant,
}

impl Deadline {
    fn left(&self) -> io::Result<Duration> {
        let left = self.until.saturating_duration_since(Instant::now());
        let passed = || io::Error::new(io::ErrorKind::TimedOut, "the deadline passed");
        (!left.is_zero()).then_some(left).ok_or_else(passed)
    }
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.set_read_timeout(Some(self.left()?))?;
        self.sock.read(buf)
    }
}

impl Write for Deadline {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock.set_write_timeout(Some(self.left()?))?;
        self.sock.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

fn unreachable(url: &str, why: impl std::fmt::Display) -> (Class, String) {
    (Class::Unreachable, format!("cannot reach {url}: {why}"))
}

/// A verifier that trusts nothing and remembers the end-entity certificate.
#[derive(Debug)]
struct RecordIssuer {
    seen: Arc<OnceLock<Vec<u8>>>,
}

type Signature = Result<HandshakeSignatureValid, rustls::Error>;

impl ServerCertVerifier for RecordIssuer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let _ = self.seen.set(end_entity.to_vec());
        Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
    }

    fn verify_tls12_signature(&self, _: &[u8], _: &CertificateDer<'_>, _: &DigitallySignedStruct) -> Signature {
        Err(rustls::Error::General("issuer probe only".into()))
    }

    fn verify_tls13_signature(&self, _: &[u8], _: &CertificateDer<'_>, _: &DigitallySignedStruct) -> Signature {
        Err(rustls::Error::General("issuer probe only".into()))
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        let provider = rustls::crypto::ring::default_provider();
        provider.signature_verification_algorithms.supported_schemes()
    }
}

/// One DER element: (tag, content, rest).
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81..=0x84 => {
            let (bytes, rest) = rest.split_at_checked(usize::from(first & 0x7f))?;
            (bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)), rest)
        }
        _ => return None,
    };
    let (content, rest) = rest.split_at_checked(len)?;
    Some((tag, content, rest))
}

/// The issuer of a DER certificate as `CN=…, O=…, OU=…`: webpki parses the
/// certificate, this walks its issuer Name (SETs of OID and value).
pub fn issuer_name(cert: &[u8]) -> Option<String> {
    let der = CertificateDer::from(cert);
    let cert = webpki::EndEntityCert::try_from(&der).ok()?;
    let mut names = cert.issuer();
    let mut parts = Vec::new();
    while let Some((_, set, next)) = tlv(names) {
        names = next;
        let (_, attribute, _) = tlv(set)?;
        let (_, oid, value) = tlv(attribute)?;
        let (_, value, _) = tlv(value)?;
        let label = match oid {
            [0x55, 0x04, 0x03] => "CN",
            [0x55, 0x04, 0x0a] => "O",
            [0x55, 0x04, 0x0b] => "OU",
            _ => continue,
        };
        parts.push(format!("{label}={}", String::from_utf8_lossy(value)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_and_truncation_never_panic() {
        assert_eq!(tlv(&[0x30, 0x01, 0xff]), Some((0x30, &[0xff][..], &[][..])));
        assert_eq!(
            tlv(&[0x30, 0x81, 0x01, 0xaa, 0xbb]),
            Some((0x30, &[0xaa][..], &[0xbb][..]))
        );
        assert_eq!(tlv(&[0x30, 0x05, 0x00]), None);
        assert_eq!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        for n in 0..40 {
            let junk: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
            let _ = issuer_name(&junk);
        }
    }

    #[test]
    fn naming_the_issuer_ends_by_the_timeout_however_slowly_the_server_drips() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut peer, _) = listener.accept().unwrap();
            // A TLS record header announcing 16 KiB, then one byte every 100 ms.
            let mut drip = peer.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
            while drip.is_ok() {
                std::thread::sleep(Duration::from_millis(100));
                drip = peer.write_all(&[0]);
            }
        });
        let transport = Transport::new(None, Duration::from_secs(1)).unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        let start = Instant::now();
        std::thread::spawn(move || {
            let _ = done.send(transport.issuer_of(&format!("https://127.0.0.1:{port}/v2/")));
        });
        let issuer = finished.recv_timeout(Duration::from_secs(10));
        assert_eq!(issuer, Ok(None), "after {:?}", start.elapsed());
        assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    }

    #[test]
    fn query_encoding() {
        assert_eq!(
            encode_query("repository:deis/probe:pull,push"),
            "repository%3Adeis%2Fprobe%3Apull%2Cpush"
        );
        assert_eq!(encode_query("a-b.c_d~é"), "a-b.c_d~%C3%A9");
    }

    #[test]
    fn origins_bind_scheme_host_and_port() {
        let o = |u: &str| Origin::of(u).map(|o| o.to_string());
        assert_eq!(o("https://Quay.IO/v2/"), Some("https://quay.io".into()));
        assert_eq!(Origin::of("https://quay.io:443/x"), Origin::of("https://quay.io"));
        assert_ne!(Origin::of("http://quay.io"), Origin::of("https://quay.io"));
        assert_ne!(Origin::of("https://quay.io:8443"), Origin::of("https://quay.io"));
        assert_eq!(o("http://127.0.0.1:5000/v2/"), Some("http://127.0.0.1:5000".into()));
        assert_eq!(o("http://[::1]:80/x"), Some("http://[::1]".into()));
        for bad in [
            "ftp://quay.io",
            "quay.io/v2/",
            "/v2/",
            "https://user@quay.io",
            "https://u:p@quay.io/",
        ] {
            assert_eq!(Origin::of(bad), None, "{bad}");
        }
        assert!(Origin::of("http://[::1]:80").unwrap().is_loopback());
        assert!(!Origin::of("http://127.0.0.1.evil.com").unwrap().is_loopback());
    }

    #[test]
    fn loopback_urls() {
        let is_loopback_url = |url: &str| Origin::of(url).is_some_and(|o| o.is_loopback());
        for ok in [
            "http://127.0.0.1:5056",
            "https://localhost/",
            "http://[::1]:80/x",
            "http://127.1.2.3",
        ] {
            assert!(is_loopback_url(ok), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "https://api.ecr.us-west-2.amazonaws.com",
            "http://127.0.0.1.evil.com",
            "http://user@127.0.0.1",
            "ftp://127.0.0.1",
            "127.0.0.1:5000",
        ] {
            assert!(!is_loopback_url(bad), "{bad}");
        }
    }
}
