//! HTTPS in the binary (issue 13): a test CA made here (rcgen) signs the server's certificates; the
//! server answers over HTTPS with HSTS, its HTTP listener only redirects, and a renewed certificate
//! is served to new connections without a restart, while a pair that does not load is refused and
//! the one in use kept.

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use support::start;
use tokio::time::Instant;
use treff::tls::TlsFiles;

/// A throw-away certificate authority.
struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

/// A leaf certificate and its key, PEM.
struct Leaf {
    cert: String,
    key: String,
}

impl TestCa {
    fn new() -> Self {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Treff test CA");
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        Self {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A certificate for `localhost` and 127.0.0.1, with `name` as its common name (so tests can
    /// tell two apart).
    fn leaf(&self, name: &str) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

/// Writes a pair where the server reads it (cert first: a renewal is not atomic either).
fn install(dir: &Path, cert: &str, key: &str) -> TlsFiles {
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        check_every: Duration::from_millis(100),
    };
    std::fs::write(&files.cert, cert).expect("write cert");
    std::fs::write(&files.key, key).expect("write key");
    files
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("treff-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A client that trusts only the test CA, reaches `localhost` at `addr`, opens a new connection
/// per request (a renewal shows on new connections) and follows no redirect.
fn client(ca: &TestCa, addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).expect("CA pem"))
        .resolve("localhost", addr)
        .pool_max_idle_per_host(0)
        .tls_info(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The DER of the certificate the server presented on a fresh connection.
async fn served_certificate(ca: &TestCa, addr: SocketAddr) -> Vec<u8> {
    let response = client(ca, addr)
        .get(format!("https://localhost:{}/privacy", addr.port()))
        .send()
        .await
        .expect("HTTPS answers");
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("a peer certificate")
        .to_vec()
}

/// Waits until fresh connections are served the certificate `pem` (`what`, for the failure).
async fn served_within_5s(ca: &TestCa, addr: SocketAddr, pem: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while served_certificate(ca, addr).await != der_of(pem) {
        assert!(
            Instant::now() < deadline,
            "{what} was not served within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The certificate of a PEM text, as DER.
fn der_of(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("base64 in PEM")
}

async fn tls_server(name: &str, ca: &TestCa) -> (support::TestServer, TlsFiles, PathBuf) {
    let dir = temp_dir(name);
    let first = ca.leaf("first");
    let files = install(&dir, &first.cert, &first.key);
    let config = treff::Config {
        tls: Some(files.clone()),
        ..treff::Config::ephemeral()
    };
    (start(config).await, files, dir)
}

#[tokio::test]
async fn https_serves_with_hsts_and_plain_http_only_redirects() {
    let ca = TestCa::new();
    let (server, _files, dir) = tls_server("serve", &ca).await;
    let https = server.https_addr.expect("HTTPS is on");

    let page = client(&ca, https)
        .get(format!("https://localhost:{}/privacy", https.port()))
        .send()
        .await
        .expect("HTTPS answers");
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()
            .get("strict-transport-security")
            .map(|v| v.to_str().expect("ascii")),
        Some("max-age=31536000")
    );

    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!(
            "http://localhost:{}/m/abc?lang=de",
            server.http_addr.port()
        ))
        .send()
        .await
        .expect("HTTP answers");
    assert_eq!(plain.status(), 308, "HTTP redirects permanently");
    assert_eq!(
        plain
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("ascii")),
        Some(format!("https://localhost:{}/m/abc?lang=de", https.port()).as_str())
    );
    assert!(
        plain.headers().get("strict-transport-security").is_none(),
        "HSTS means nothing over HTTP"
    );
    drop(server);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart_and_a_broken_pair_is_refused() {
    let ca = TestCa::new();
    let (server, files, dir) = tls_server("reload", &ca).await;
    let https = server.https_addr.expect("HTTPS is on");
    let first = served_certificate(&ca, https).await;

    // The renewal: both files replaced.
    let renewed = ca.leaf("renewed");
    install(&dir, &renewed.cert, &renewed.key);
    served_within_5s(&ca, https, &renewed.cert, "the renewed certificate").await;
    assert_ne!(first, der_of(&renewed.cert));

    // Half a renewal: a new certificate beside the old key does not load; the renewed pair stays.
    let next = ca.leaf("next");
    std::fs::write(&files.cert, &next.cert).expect("write cert");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        served_certificate(&ca, https).await,
        der_of(&renewed.cert),
        "a certificate without its key is not taken"
    );
    // Its key arrives: now it loads.
    std::fs::write(&files.key, &next.key).expect("write key");
    served_within_5s(&ca, https, &next.cert, "the completed pair").await;
    drop(server);
    std::fs::remove_dir_all(dir).ok();
}
