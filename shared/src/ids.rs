//! Id newtypes. A room id is the secret in a meeting link (R1), so it must be unguessable: at least
//! 128 random bits, URL-safe. Participant ids are assigned by the server and only unique per room.
//! Attachment ids and HTTP tokens are random too; tokens and room ids never show in `Debug` output.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Random bytes in a freshly made room id: 128 bits, the floor DESIGN.md's R1 sets.
pub const ROOM_ID_RANDOM_BYTES: usize = 16;
/// 16 bytes in unpadded base64url are 22 characters; shorter ids cannot carry 128 bits.
pub const ROOM_ID_MIN_LEN: usize = 22;
/// Upper bound so an id can never be used to smuggle a large payload into a URL or a map key.
pub const ROOM_ID_MAX_LEN: usize = 64;

/// The id of a meeting, as it appears in its link `/m/<id>`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomId(String);

/// Why a string is not a room id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomIdError {
    /// Fewer than [`ROOM_ID_MIN_LEN`] or more than [`ROOM_ID_MAX_LEN`] characters.
    Length,
    /// A character outside the URL-safe base64 alphabet.
    Alphabet,
}

impl fmt::Display for RoomIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length => write!(
                f,
                "a meeting id has {ROOM_ID_MIN_LEN} to {ROOM_ID_MAX_LEN} characters"
            ),
            Self::Alphabet => write!(f, "a meeting id uses only A-Z, a-z, 0-9, '-' and '_'"),
        }
    }
}

impl std::error::Error for RoomIdError {}

impl RoomId {
    /// Makes the id of a new meeting from 16 bytes of a cryptographic random source.
    pub fn from_random(bytes: [u8; ROOM_ID_RANDOM_BYTES]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Checks a string someone typed, pasted or sent.
    pub fn parse(s: &str) -> Result<Self, RoomIdError> {
        if !(ROOM_ID_MIN_LEN..=ROOM_ID_MAX_LEN).contains(&s.len()) {
            return Err(RoomIdError::Length);
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(RoomIdError::Alphabet);
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as it appears in a link.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoomId {
    type Error = RoomIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RoomId> for String {
    fn from(id: RoomId) -> Self {
        id.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Deliberately not the id itself: room ids are secrets and must not reach operational logs.
impl fmt::Debug for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RoomId(..)")
    }
}

/// A participant's id, assigned by the server, unique within one room for the room's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParticipantId(pub u64);

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// Random bytes in an attachment id: as unguessable as a room id, though ids alone never authorise.
pub const ATTACHMENT_ID_RANDOM_BYTES: usize = 16;

/// An uploaded file's id, random and meaningless outside its conference. It names the file on disk and
/// in the download path; downloading also needs the participant's credential.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttachmentId(String);

impl AttachmentId {
    /// An id from 16 bytes of a cryptographic random source.
    pub fn from_random(bytes: [u8; ATTACHMENT_ID_RANDOM_BYTES]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Checks an id from a path or a message: exactly the shape [`AttachmentId::from_random`] makes,
    /// so it is always safe as a file name.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == ROOM_ID_MIN_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(s.to_owned()))
    }

    /// The id as it appears in a path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AttachmentId {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or("an attachment id is 22 characters of URL-safe base64")
    }
}

impl From<AttachmentId> for String {
    fn from(id: AttachmentId) -> Self {
        id.0
    }
}

impl fmt::Display for AttachmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AttachmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttachmentId({})", self.0)
    }
}

/// The credential a participant's browser shows on `/api` requests (attachments): issued at join,
/// valid only while that participant is in the conference. It names its room and carries a random
/// secret; it travels in the `Authorization` header, never in a URL, and `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HttpToken(pub String);

impl fmt::Debug for HttpToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpToken(..)")
    }
}

/// Chat message ids, assigned by the room in order, unique within one conference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_id_has_128_bits_and_parses_back() {
        let id = RoomId::from_random([0xAB; ROOM_ID_RANDOM_BYTES]);
        assert_eq!(id.as_str().len(), ROOM_ID_MIN_LEN);
        assert_eq!(RoomId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn short_or_strange_ids_are_refused() {
        assert_eq!(RoomId::parse("abc"), Err(RoomIdError::Length));
        assert_eq!(RoomId::parse(&"a".repeat(65)), Err(RoomIdError::Length));
        assert_eq!(
            RoomId::parse("aaaaaaaaaaaaaaaaaaaa/../"),
            Err(RoomIdError::Alphabet)
        );
    }

    #[test]
    fn attachment_ids_are_checked_to_be_safe_file_names() {
        let id = AttachmentId::from_random([9; ATTACHMENT_ID_RANDOM_BYTES]);
        assert_eq!(AttachmentId::parse(id.as_str()), Some(id));
        assert_eq!(AttachmentId::parse("../../../../etc/passwd/x"), None);
        assert_eq!(AttachmentId::parse("short"), None);
    }

    #[test]
    fn debug_does_not_reveal_the_id() {
        let id = RoomId::from_random([7; ROOM_ID_RANDOM_BYTES]);
        assert!(!format!("{id:?}").contains(id.as_str()));
    }
}
