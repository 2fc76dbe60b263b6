//! Creating a meeting over HTTP: `POST` [`MEETINGS_PATH`] with a [`CreateMeeting`] body answers
//! `201` with a [`NewMeeting`]: the meeting's id and its moderator key. The moderator link puts the
//! key in the URL fragment (`/m/<id>#mod=<key>`), which browsers never send to a server.
//! With organiser protection on, a missing or wrong organiser password is `403` with
//! `ErrorCode::OrganiserPasswordRequired`.

use serde::{Deserialize, Serialize};

use crate::ids::RoomId;

/// Where meetings are created.
pub const MEETINGS_PATH: &str = "/api/meetings";

/// The request body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateMeeting {
    /// The organiser password, when the server asks for one.
    #[serde(default)]
    pub organiser_password: Option<String>,
}

/// The answer: a new meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    /// The meeting's id (its link is `/m/<id>`).
    pub room: RoomId,
    /// The moderator key (the moderator link is `/m/<id>#mod=<key>`).
    pub moderator_key: String,
}
