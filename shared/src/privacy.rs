//! What the server tells a participant about themselves (R7, R10 of the privacy notice): the entries
//! of the conference's session log and the "My data" answer.
//!
//! The session log holds exactly the fields the notice lists (browser and operating system with
//! their versions, the client address, the time, the referrer, what happened) and nothing else. It
//! lives in the room task's memory and goes with the conference.

use serde::{Deserialize, Serialize};

use crate::{ChatMessage, Consent, ParticipantId};

/// What a session-log entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogEvent {
    /// Joined the conference (or its lobby).
    Join,
    /// Uploaded a chat attachment.
    Upload,
    /// Downloaded a chat attachment.
    Download,
    /// Left the conference (by choice, by a closed connection or by a moderator).
    Leave,
}

/// One entry of a conference's session log. The client fields come from the request that caused
/// it; a `Leave` has none (no request carries it when a connection just drops).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// When, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened.
    pub event: LogEvent,
    /// Browser and version as the User-Agent header names them, e.g. `Firefox 128.0`.
    pub browser: Option<String>,
    /// Operating system and version, e.g. `Windows 10 NT 10.0`.
    pub os: Option<String>,
    /// The client address as the server sees it (or as its trusted proxy reports it).
    pub address: Option<String>,
    /// The `Referer` header, if the browser sent one (Treff's own pages ask it not to).
    pub referrer: Option<String>,
}

/// Everything the server holds about one participant right now, built from the room's own state
/// (never from the client's copy).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MyData {
    /// Their id in this conference.
    pub id: ParticipantId,
    /// Their display name.
    pub name: String,
    /// Whether they moderate.
    pub moderator: bool,
    /// When the conference started, milliseconds since the Unix epoch.
    pub conference_started_at_ms: u64,
    /// Their entries of the session log, oldest first.
    pub log: Vec<LogEntry>,
    /// The chat messages they sent (to everyone or privately), with their attachments.
    pub messages: Vec<ChatMessage>,
    /// Their answer to the recording, while a recording exists and they answered.
    pub recording_answer: Option<Consent>,
}
