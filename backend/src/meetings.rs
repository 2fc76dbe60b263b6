//! Who may create meetings and who moderates them, without keeping a list of meetings.
//!
//! A moderator link is `/m/<room>#mod=<key>` where `key` is an HMAC-SHA256 of the room id under the
//! server's meeting secret: the server can check any key without remembering the meeting, and the key
//! sits in the URL fragment, which browsers never send in a request (so it is in no access log).
//! Meetings the server creates ([`MeetingKeys::create`]) carry a tag in their id as well; with
//! organiser protection on (an argon2 hash of the organiser password in the configuration), the
//! server opens only those.
//!
//! The meeting secret comes from the configuration (links then survive restarts) or is drawn at
//! start-up (links made before a restart lose their moderator powers; the meeting still opens).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use treff_shared::RoomId;

type HmacSha256 = Hmac<Sha256>;

/// Random bytes of a created meeting's id, before its tag.
const RANDOM: usize = 16;
/// Bytes of the tag that marks an id as created by this server (64 bits: forging one takes 2^64
/// tries, each a join attempt over the network).
const TAG: usize = 8;

/// The server's meeting secret and what it proves.
#[derive(Clone)]
pub struct MeetingKeys {
    secret: [u8; 32],
}

impl std::fmt::Debug for MeetingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MeetingKeys(..)")
    }
}

impl MeetingKeys {
    /// Keys from a configured secret.
    pub fn new(secret: [u8; 32]) -> Self {
        Self { secret }
    }

    /// Keys from a fresh random secret.
    pub fn random() -> Self {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).expect("the OS random source is available");
        Self { secret }
    }

    fn mac(&self, purpose: &[u8], data: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(purpose);
        mac.update(data);
        mac
    }

    /// A new meeting: its id (random, tagged) and its moderator key.
    pub fn create(&self) -> (RoomId, String) {
        let mut bytes = [0u8; RANDOM + TAG];
        getrandom::fill(&mut bytes[..RANDOM]).expect("the OS random source is available");
        let tag = self
            .mac(b"meeting", &bytes[..RANDOM])
            .finalize()
            .into_bytes();
        bytes[RANDOM..].copy_from_slice(&tag[..TAG]);
        let room = RoomId::parse(&URL_SAFE_NO_PAD.encode(bytes)).expect("32 URL-safe characters");
        let key = self.moderator_key(&room);
        (room, key)
    }

    /// Whether this server created meeting `room`.
    pub fn created(&self, room: &RoomId) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(room.as_str()) else {
            return false;
        };
        bytes.len() == RANDOM + TAG
            && self
                .mac(b"meeting", &bytes[..RANDOM])
                .verify_truncated_left(&bytes[RANDOM..])
                .is_ok()
    }

    /// The moderator key of meeting `room`.
    pub fn moderator_key(&self, room: &RoomId) -> String {
        URL_SAFE_NO_PAD.encode(
            self.mac(b"moderator", room.as_str().as_bytes())
                .finalize()
                .into_bytes(),
        )
    }

    /// Whether `key` is the moderator key of `room` (compared in constant time).
    pub fn is_moderator_key(&self, room: &RoomId, key: &str) -> bool {
        let Ok(key) = URL_SAFE_NO_PAD.decode(key) else {
            return false;
        };
        self.mac(b"moderator", room.as_str().as_bytes())
            .verify_slice(&key)
            .is_ok()
    }
}

/// Hashes a password for keeping in memory or in the configuration (argon2id, PHC string).
pub fn hash_password(password: &str, params: argon2::Params) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password with valid parameters")
        .to_string()
}

/// Whether `password` matches a PHC hash made by [`hash_password`] (or `argon2` elsewhere).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Parameters for meeting passwords, which are checked inside the room task: a light argon2id (8 MiB,
/// one pass, a few milliseconds) so a join attempt does not stall the room's media. Guessing is
/// slowed by the room's growing delay between wrong attempts, not by the hash.
pub fn meeting_password_params() -> argon2::Params {
    argon2::Params::new(8 * 1024, 1, 1, None).expect("valid argon2 parameters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_meetings_are_recognised_and_others_are_not() {
        let keys = MeetingKeys::random();
        let (room, key) = keys.create();
        assert!(keys.created(&room));
        assert!(keys.is_moderator_key(&room, &key));
        let other = MeetingKeys::random();
        assert!(!other.created(&room), "another server's secret");
        assert!(!other.is_moderator_key(&room, &key));
        let made_up = RoomId::from_random([7; 16]);
        assert!(!keys.created(&made_up));
        assert!(
            !keys.is_moderator_key(&made_up, &key),
            "a key is bound to its room"
        );
        assert!(!keys.is_moderator_key(&room, "not base64!"));
    }

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("geheim", meeting_password_params());
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("geheim"));
        assert!(verify_password("geheim", &hash));
        assert!(!verify_password("Geheim", &hash));
        assert!(!verify_password("geheim", "not a hash"));
    }
}
