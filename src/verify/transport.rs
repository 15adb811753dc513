//! HTTP for `verify`: TLS verification always on (the system's roots plus an
//! optional CA file), `HTTPS_PROXY`/`NO_PROXY` honoured (ureq reads them),
//! bounded timeouts, no redirects and no retries (a retried login can lock an
//! account), plain `http://` only where the caller says the operator allowed
//! it. Failures are classified for the report; an untrusted chain is named
//! by its issuer.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use super::clock;

/// The most of a response body read: registry and token answers are small,
/// and a hostile server must not exhaust memory.
const BODY_LIMIT: u64 = 256 * 1024;

/// How `verify` talks to servers.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// PEM file of extra CA certificates (a private registry's CA).
    pub ca_file: Option<std::path::PathBuf>,
    /// Connect and read timeout.
    pub timeout: Duration,
}

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    #[error("cannot reach {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("{url} presents a certificate chain issued by {issuer}, which this machine does not trust (give its CA with --ca-file)")]
    Untrusted { url: String, issuer: String },
    #[error("TLS with {url} failed: {why}")]
    Tls { url: String, why: String },
    #[error("{url} is plain http: refused (use https, or mark the registry insecure with --insecure-registry)")]
    PlainHttp { url: String },
}

/// An HTTP answer, whatever its status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: String,
    /// The server's `Date`, epoch seconds.
    pub date: Option<i64>,
}

impl Reply {
    /// The first value of a header (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How far the local clock is from the server's, when it is beyond what
    /// signatures tolerate.
    pub fn skew(&self) -> Option<i64> {
        let diff = clock::now() - self.date?;
        (diff.abs() > clock::MAX_SKEW_SECONDS).then_some(diff)
    }
}

/// A request: method, URL, headers, optional body with its content type.
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<(&'a str, Vec<u8>)>,
    /// The operator allowed plain http for this URL.
    pub plain_http_ok: bool,
}

impl<'a> Request<'a> {
    pub fn new(method: &'a str, url: &'a str) -> Self {
        Request {
            method,
            url,
            headers: Vec::new(),
            body: None,
            plain_http_ok: false,
        }
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, content_type: &'a str, body: Vec<u8>) -> Self {
        self.body = Some((content_type, body));
        self
    }

    pub fn plain_http_ok(mut self, ok: bool) -> Self {
        self.plain_http_ok = ok;
        self
    }
}

/// The configured HTTP client.
pub struct Transport {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Transport {
    /// Build the client; a CA file that cannot be read is an error (exit 2).
    pub fn new(options: &TransportOptions) -> Result<Self, String> {
        let mut roots: Vec<Certificate<'static>> = rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        if let Some(path) = &options.ca_file {
            roots.extend(read_ca_file(path)?);
        }
        let roots = Arc::new(roots);
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::Specific(roots))
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        let t = Some(options.timeout);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .tls_config(tls)
            .timeout_connect(t)
            .timeout_recv_response(t)
            .timeout_recv_body(t)
            .timeout_send_body(t)
            .timeout_global(Some(options.timeout * 3))
            .user_agent(concat!("workflow-registry/", env!("CARGO_PKG_VERSION"), " (verify)"))
            .build()
            .into();
        Ok(Transport {
            agent,
            timeout: options.timeout,
        })
    }

    /// Send one request, once.
    pub fn send(&self, req: Request<'_>) -> Result<Reply, TransportError> {
        let url = req.url;
        if url.starts_with("http://") && !req.plain_http_ok {
            return Err(TransportError::PlainHttp { url: url.into() });
        }
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(TransportError::Unreachable {
                url: url.into(),
                why: "not an http(s) URL".into(),
            });
        }
        let result = match (req.method, req.body) {
            ("GET", _) => {
                let mut b = self.agent.get(url);
                for (n, v) in &req.headers {
                    b = b.header(*n, v.as_str());
                }
                b.call()
            }
            ("DELETE", _) => {
                let mut b = self.agent.delete(url);
                for (n, v) in &req.headers {
                    b = b.header(*n, v.as_str());
                }
                b.call()
            }
            (_, body) => {
                let mut b = self.agent.post(url);
                for (n, v) in &req.headers {
                    b = b.header(*n, v.as_str());
                }
                match body {
                    Some((content_type, bytes)) => b.header("content-type", content_type).send(&bytes[..]),
                    None => b.send_empty(),
                }
            }
        };
        match result {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let headers: Vec<(String, String)> = response
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(BODY_LIMIT)
                    .read_to_string()
                    .unwrap_or_default();
                let date = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("date"))
                    .and_then(|(_, v)| clock::parse_http_date(v));
                Ok(Reply {
                    status,
                    headers,
                    body,
                    date,
                })
            }
            Err(e) => Err(self.classify(url, e)),
        }
    }

    fn classify(&self, url: &str, e: ureq::Error) -> TransportError {
        let unreachable = |why: String| TransportError::Unreachable { url: url.into(), why };
        let tls = |e: &rustls::Error| match e {
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => TransportError::Untrusted {
                url: url.into(),
                issuer: self.issuer_of(url).unwrap_or_else(|| "an unknown issuer".into()),
            },
            other => TransportError::Tls {
                url: url.into(),
                why: other.to_string(),
            },
        };
        match e {
            ureq::Error::Rustls(ref r) => tls(r),
            ureq::Error::Io(ref io) => match io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(r) => tls(r),
                None => unreachable(io.to_string()),
            },
            ureq::Error::HostNotFound => unreachable("host not found".into()),
            ureq::Error::ConnectionFailed => unreachable("connection failed".into()),
            ureq::Error::Timeout(t) => unreachable(format!("timed out ({t})")),
            other => unreachable(other.to_string()),
        }
    }

    /// Connect once more, without a proxy, only to read who issued the
    /// server's certificate: the handshake is abandoned at the certificate.
    fn issuer_of(&self, url: &str) -> Option<String> {
        let proxied = ureq::Proxy::try_from_env()
            .is_some_and(|p| url.parse::<ureq::http::Uri>().is_ok_and(|uri| !p.is_no_proxy(&uri)));
        if proxied {
            return None;
        }
        let authority = url.strip_prefix("https://")?.split('/').next()?;
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse().ok()?),
            _ => (authority, 443u16),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let seen = Arc::new(Mutex::new(None));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(RecordIssuer { seen: seen.clone() }))
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.to_owned()).ok()?;
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
        let addr = (host, port).to_socket_addrs().ok()?.next()?;
        let mut sock = TcpStream::connect_timeout(&addr, self.timeout).ok()?;
        sock.set_read_timeout(Some(self.timeout)).ok()?;
        sock.set_write_timeout(Some(self.timeout)).ok()?;
        // The verifier always refuses, so this ends in an error by design.
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        let _ = tls.write_all(b"");
        let _ = tls.read(&mut [0u8; 1]);
        let der = seen.lock().ok()?.take()?;
        issuer_name(&der)
    }
}

fn read_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(format!("the CA file {} holds no PEM certificate", path.display()));
    }
    Ok(certs)
}

/// A verifier that trusts nothing and remembers the end-entity certificate.
#[derive(Debug)]
struct RecordIssuer {
    seen: Arc<Mutex<Option<Vec<u8>>>>,
}

impl rustls::client::danger::ServerCertVerifier for RecordIssuer {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.as_ref().to_vec());
        }
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ))
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("issuer probe only".into()))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("issuer probe only".into()))
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One DER element: (tag, content, rest).
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest
            .get(..n)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest.get(n..)?)
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// The issuer of a DER certificate as `CN=…, O=…` (the attributes people read).
pub fn issuer_name(cert: &[u8]) -> Option<String> {
    let (_, certificate, _) = tlv(cert)?;
    let (_, tbs, _) = tlv(certificate)?;
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag == 0xa0 {
        rest = tlv(rest)?.2; // the version was explicit: skip the serial too
    }
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let (_, mut issuer, _) = tlv(rest)?;
    let mut parts = Vec::new();
    while let Some((_, set, next)) = tlv(issuer) {
        issuer = next;
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
}
