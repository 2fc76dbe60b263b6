//! TURN credentials for the operator's own TURN server, made from a secret shared with it (the "TURN
//! REST API" convention, coturn's `use-auth-secret`): the username is `<expiry>:<user>` (expiry in Unix
//! seconds) and the password is base64(HMAC-SHA1(secret, username)). The TURN server checks the HMAC
//! and refuses a username whose expiry has passed, so a credential seen in a page is worth nothing
//! after its lifetime, and no static password is ever handed out.
//!
//! Without a configured TURN server there are no ICE servers at all: browsers contact nobody the
//! operator did not set up (R9).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use treff_shared::IceServer;

/// The operator's TURN server: where it is, the secret shared with it, how long credentials live.
#[derive(Clone)]
pub struct Turn {
    /// `turn:` / `turns:` URLs handed to browsers as they are.
    pub urls: Vec<String>,
    secret: Vec<u8>,
    /// How long a credential is valid after it was made.
    pub ttl: Duration,
}

impl std::fmt::Debug for Turn {
    // Never the secret, e.g. in a printed configuration.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn")
            .field("urls", &self.urls)
            .field("secret", &"<redacted>")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Turn {
    pub fn new(urls: Vec<String>, secret: &str, ttl: Duration) -> Self {
        Self {
            urls,
            secret: secret.as_bytes().to_vec(),
            ttl,
        }
    }

    /// The ICE server entry for `user` (an opaque id, never a name), valid from `now` for the TTL.
    pub fn ice_server(&self, user: &str, now: SystemTime) -> IceServer {
        let expiry = now
            .checked_add(self.ttl)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let username = format!("{expiry}:{user}");
        IceServer {
            urls: self.urls.clone(),
            credential: credential(&self.secret, &username),
            username,
        }
    }
}

/// base64(HMAC-SHA1(secret, username)): the password the TURN server expects for `username`.
pub fn credential(secret: &[u8], username: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `url` names a TURN server (`turn:` or `turns:`): STUN alone would only reveal the
/// browser's address to a server that relays nothing, and the SFU needs no STUN (it is ICE-lite).
pub fn is_turn_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("turn:") || lower.starts_with("turns:")) && url.len() > "turns:".len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(ttl: Duration) -> Turn {
        Turn::new(
            vec!["turn:turn.example.org:3478?transport=udp".into()],
            "north",
            ttl,
        )
    }

    #[test]
    fn the_username_carries_the_expiry_and_the_user() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let server = turn(Duration::from_secs(3600)).ice_server("p7", now);
        assert_eq!(server.username, "1800003600:p7");
        assert_eq!(server.urls, ["turn:turn.example.org:3478?transport=udp"]);
    }

    #[test]
    fn the_password_is_the_hmac_of_the_username() {
        // Checked with: printf %s '1800003600:p7' | openssl dgst -sha1 -hmac north -binary | base64
        assert_eq!(
            credential(b"north", "1800003600:p7"),
            "6RyTNTcDpTXJB2eP2qqhCS4uVSw="
        );
        let server = turn(Duration::from_secs(3600))
            .ice_server("p7", UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        assert_eq!(server.credential, credential(b"north", &server.username));
    }

    #[test]
    fn another_secret_or_another_expiry_gives_another_password() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let a = turn(Duration::from_secs(3600)).ice_server("p7", now);
        let b = turn(Duration::from_secs(3601)).ice_server("p7", now);
        let c = Turn::new(a.urls.clone(), "south", Duration::from_secs(3600)).ice_server("p7", now);
        assert_ne!(a.credential, b.credential);
        assert_ne!(a.credential, c.credential);
    }

    #[test]
    fn only_turn_urls_are_taken() {
        for ok in [
            "turn:t.example:3478",
            "turns:t.example:5349?transport=tcp",
            "TURN:1.2.3.4",
        ] {
            assert!(is_turn_url(ok), "{ok}");
        }
        for bad in ["stun:stun.example:3478", "turn:", "https://t.example", ""] {
            assert!(!is_turn_url(bad), "{bad}");
        }
    }

    #[test]
    fn the_secret_is_not_printed() {
        assert!(!format!("{:?}", turn(Duration::from_secs(1))).contains("north"));
    }
}
