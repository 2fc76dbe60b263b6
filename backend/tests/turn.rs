//! TURN credentials against a real TURN server: Debian's coturn (`turnserver`, installed by the test
//! command), started on loopback with the secret the Treff server shares. A participant's `Joined`
//! carries a credential coturn accepts (an allocation succeeds with it); one whose lifetime has
//! passed, or one made with another secret, is refused; and without a TURN server configured,
//! `Joined` names no ICE server at all (R9).

mod support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use support::*;
use tokio::net::UdpSocket;
use treff::turn::Turn;
use treff_shared::IceServer;
use webrtc::turn::client::{Client, ClientConfig};

const SECRET: &str = "shared-with-coturn";
const REALM: &str = "treff.test";

/// coturn on a loopback port of its own, killed when dropped.
struct Coturn {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Coturn {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // A free port: bound and released (coturn binds it a moment later; nothing else here races).
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("a free UDP port")
            .port();
        let child = Command::new("turnserver")
            .args([
                "-n", // no configuration file
                "--use-auth-secret",
                &format!("--static-auth-secret={SECRET}"),
                &format!("--realm={REALM}"),
                "--listening-ip=127.0.0.1",
                &format!("--listening-port={port}"),
                "--relay-ip=127.0.0.1",
                "--min-port=49400",
                "--max-port=49500",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                "--fingerprint",
                &format!("--pidfile={}", dir.path().join("pid").display()),
                &format!("--db={}", dir.path().join("turndb").display()),
                "--log-file=stdout",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "coturn's turnserver is not installed: `cargo xtask test` installs it (Debian package coturn)",
            );
        Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _dir: dir,
        }
    }

    /// Allocates a relay with `username`/`password`: `Ok` with its address, or coturn's refusal.
    async fn allocate(&self, username: &str, password: &str) -> Result<SocketAddr, String> {
        let conn = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let client = Client::new(ClientConfig {
            stun_serv_addr: self.addr.to_string(),
            turn_serv_addr: self.addr.to_string(),
            username: username.into(),
            password: password.into(),
            realm: REALM.into(),
            software: String::new(),
            rto_in_ms: 0,
            conn: Arc::new(conn),
            vnet: None,
        })
        .await
        .map_err(|e| e.to_string())?;
        client.listen().await.map_err(|e| e.to_string())?;
        let result = client.allocate().await;
        let relayed = match result {
            Ok(relay) => {
                use webrtc::util::Conn;
                relay.local_addr().map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        let _ = client.close().await;
        relayed
    }

    /// Waits until coturn answers (its first allocation with a good credential succeeds).
    async fn wait_ready(&self, server: &IceServer) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match self.allocate(&server.username, &server.credential).await {
                Ok(_) => return,
                Err(e) if tokio::time::Instant::now() > deadline => {
                    panic!("coturn did not come up within 10 s: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server with `turn`, and the `Joined` of one participant in a new room.
async fn joined_with(turn: Option<Turn>) -> (TestServer, Joined) {
    let server = start(treff::Config {
        turn,
        ..treff::Config::ephemeral()
    })
    .await;
    let mut anna = WsClient::connect_hello(&server).await;
    let joined = anna.join_full(&new_room(), "Anna", false, false).await;
    (server, joined)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joined_carries_a_credential_coturn_accepts_until_it_expires() {
    let coturn = Coturn::start();
    let url = format!("turn:{}?transport=udp", coturn.addr);
    let ttl = Duration::from_secs(3);
    let (server, joined) = joined_with(Some(Turn::new(vec![url.clone()], SECRET, ttl))).await;

    let [ice] = joined.ice_servers.as_slice() else {
        panic!("one ICE server in Joined: {:?}", joined.ice_servers)
    };
    assert_eq!(ice.urls, [url]);
    let (expiry, user) = ice.username.split_once(':').expect("<expiry>:<user>");
    assert_eq!(
        user,
        joined.id.to_string(),
        "the user is the opaque participant id"
    );
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let expiry: u64 = expiry.parse().expect("Unix seconds");
    assert!(
        (now + 2..=now + 3).contains(&expiry),
        "expires after the TTL: {expiry} vs now {now}"
    );

    coturn.wait_ready(ice).await;
    let relay = coturn
        .allocate(&ice.username, &ice.credential)
        .await
        .expect("coturn allocates a relay with the fresh credential");
    assert_eq!(relay.ip().to_string(), "127.0.0.1");

    // Another secret's credential for the same username: refused.
    let forged = treff::turn::credential(b"not-the-secret", &ice.username);
    let refused = coturn.allocate(&ice.username, &forged).await;
    assert!(
        refused.is_err(),
        "a credential of another secret is refused"
    );

    // Once its lifetime has passed, the same credential is refused.
    tokio::time::sleep(Duration::from_secs(expiry - now + 1)).await;
    let refused = coturn.allocate(&ice.username, &ice.credential).await;
    assert!(
        refused.is_err(),
        "an expired credential is refused, got a relay at {refused:?}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_turn_server_joined_names_no_ice_server() {
    let (server, joined) = joined_with(None).await;
    assert_eq!(joined.ice_servers, []);
    server.shutdown().await;
}
