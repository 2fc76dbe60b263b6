//! Recording: every present participant's consent, the recording's state as everyone sees it, the
//! output job the moderator watches, and the HTTP API of finished recordings (R5, R6).
//!
//! A meeting is captured only while every participant present has said yes to being recorded; no
//! answer counts as no. Whoever said no, withdrew, or has just joined without answering pauses the
//! capture for everyone until they say yes or leave.
//!
//! Finished recordings are listed, downloaded and deleted through `/api/meetings/<room>/recordings`
//! with the moderator key in the `Authorization` header ([`MODERATOR_AUTH_SCHEME`]), never in a
//! URL.

use serde::{Deserialize, Serialize};

use crate::ids::ParticipantId;

/// A participant's answer about being recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// "Record me."
    Yes,
    /// "Do not record me" (also how a yes is withdrawn).
    No,
}

/// One present participant's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentAnswer {
    /// Who.
    pub id: ParticipantId,
    /// Their answer.
    pub consent: Consent,
}

/// The recording of a meeting as everyone sees it, while it exists (running or paused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingState {
    /// Capture runs: every participant present said yes.
    pub capturing: bool,
    /// The answers of those present; anyone present who is not listed has not answered, which
    /// counts as no.
    pub answers: Vec<ConsentAnswer>,
    /// When the recording was proposed (server time, ms since the Unix epoch).
    pub since_ms: u64,
}

/// What a moderator does with a recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", deny_unknown_fields)]
pub enum RecordingAction {
    /// Propose a recording: everyone present is asked. Nothing is captured before all said yes.
    Propose,
    /// Stop the recording; what was captured is turned into the output files.
    Stop,
}

/// What changed about the recording (the UI announces it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", deny_unknown_fields)]
pub enum RecordingEvent {
    /// A moderator proposed a recording; everyone is asked.
    Proposed {
        /// The moderator.
        by: ParticipantId,
    },
    /// A participant answered (a `No` after a `Yes` is a withdrawal).
    Answered {
        /// Who.
        id: ParticipantId,
        /// Their answer.
        consent: Consent,
    },
    /// Someone joined while the recording exists; until they say yes, capture is paused.
    Arrived {
        /// Who.
        id: ParticipantId,
    },
    /// Someone left; their answer no longer counts.
    Departed {
        /// Who.
        id: ParticipantId,
    },
    /// The recording stopped: by a moderator, or (`by: None`) because the meeting ended.
    Stopped {
        /// The moderator who stopped it.
        by: Option<ParticipantId>,
    },
}

/// Where a stopped recording's output job stands (sent to the moderators).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", deny_unknown_fields)]
pub enum JobState {
    /// Waiting for the jobs before it (one runs at a time).
    Queued,
    /// ffmpeg is at work.
    Processing {
        /// How far, 0 to 100.
        percent: u8,
    },
    /// The files are ready.
    Done {
        /// The recording, as the recordings list shows it.
        recording: RecordingSummary,
    },
    /// It failed; the raw tracks are removed all the same.
    Failed {
        /// Why, in English, without names or paths.
        reason: String,
    },
    /// Capture never ran (not everyone present said yes at any time), so there is no recording:
    /// everything of it, its chat text and consent record included, was deleted.
    Discarded,
}

/// A finished recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingSummary {
    /// Its id (random, in the API's paths).
    pub id: String,
    /// When capture first ran (ms since the Unix epoch).
    pub started_at_ms: u64,
    /// How long the output is (paused spans cut out), in milliseconds.
    pub duration_ms: u64,
    /// When it will be deleted automatically (ms since the Unix epoch).
    pub expires_at_ms: u64,
    /// Its files.
    pub files: Vec<RecordingFile>,
}

/// One file of a recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingFile {
    /// One of [`OUTPUT_FILES`].
    pub name: String,
    /// Its size.
    pub bytes: u64,
}

/// The files of every recording, in the order they are listed: video with everyone's audio, the
/// audio alone, the chat text, and the record of who consented when.
pub const OUTPUT_FILES: [&str; 4] = ["recording.mp4", "audio.m4a", "chat.txt", "consent.json"];

/// The `Authorization` scheme of the recordings API: `Authorization: Moderator <key>`.
pub const MODERATOR_AUTH_SCHEME: &str = "Moderator";

/// The path of a meeting's recordings list (`GET`).
pub fn recordings_path(room: &str) -> String {
    format!("/api/meetings/{room}/recordings")
}

/// Whether a recording exists in the meeting now: what the pre-join page tells a newcomer. Anyone
/// with the link may ask (joining would tell them anyway); it says nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingStatus {
    /// A recording exists (running or paused).
    pub recording: bool,
}

/// The path of [`RecordingStatus`] (`GET`, no credential).
pub fn recording_status_path(room: &str) -> String {
    format!("/api/meetings/{room}/recordings/status")
}

/// The path of one recording (`DELETE`) or, with a file name, of one of its files (`GET`).
pub fn recording_path(room: &str, recording: &str, file: Option<&str>) -> String {
    match file {
        Some(file) => format!("/api/meetings/{room}/recordings/{recording}/{file}"),
        None => format!("/api/meetings/{room}/recordings/{recording}"),
    }
}
