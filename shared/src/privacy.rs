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
    /// Came back on a new connection after the old one dropped (`Resume`).
    Resume,
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
    /// The version of the privacy notice the server runs under (`/privacy`).
    pub notice_version: String,
    /// Whether an operator has put this conference's session log on hold for a security incident:
    /// then it is kept past the end of the conference, encrypted, until the hold ends.
    pub log_on_hold: bool,
}

/// The operator's part of the privacy notice: who is responsible, whom to ask, on which legal bases,
/// under which law. The `[privacy]` table of the server's TOML file; Treff renders it at `/privacy`
/// with the notice's structure, and "My data" names its version. Everything Treff itself does
/// (what it logs, when it deletes) comes from the software, not from here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyNotice {
    /// The notice's version, shown on the page and in "My data" (e.g. `2026-12`).
    pub version: String,
    /// The date it applies from, as written on the page (e.g. `1. Dezember 2026`).
    pub date: String,
    /// The data-protection law the notice is given under, e.g. `KDG` or `DSGVO`.
    pub law: String,
    /// The controller (the organisation running the server).
    pub controller: Contact,
    /// The data-protection officer.
    pub dpo: Contact,
    /// The supervisory authority participants may complain to.
    pub authority: Authority,
    /// The legal bases of the processing.
    pub legal_bases: LegalBases,
    /// Where the law grants each right of the data subject.
    pub rights: Rights,
    /// Under which provision IT service providers who maintain the server are bound by a
    /// processing contract (e.g. `§ 29 KDG`); absent when nobody but the controller maintains it.
    #[serde(default)]
    pub processors: Option<String>,
    /// Longest time, in days, an operator may keep a conference's session log for a security
    /// incident (the default of a hold, too).
    #[serde(default = "default_incident_hold_days")]
    pub incident_hold_days: u32,
}

fn default_incident_hold_days() -> u32 {
    30
}

/// A postal and electronic contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// The organisation's or person's name.
    pub name: String,
    /// Postal address, one line per entry.
    pub address: Vec<String>,
    /// The person to address (e.g. `Geschäftsführer: …`).
    #[serde(default)]
    pub person: Option<String>,
    /// Telephone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail address.
    pub email: String,
}

/// The supervisory authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// Its name.
    pub name: String,
    /// Postal address, one line per entry.
    pub address: Vec<String>,
}

/// The legal bases of the processing, as the law cites them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBases {
    /// For the controller's employees (e.g. `§ 53 KDG`).
    pub employees: String,
    /// For other participants within a contract (e.g. `Art. 6 Abs. 1 lit. c) KDG`).
    pub contract: String,
    /// For everyone else, and for what the service needs beyond that: the legitimate interest in
    /// holding conferences effectively (e.g. `Art. 6 Abs. 1 lit. g) KDG`).
    pub legitimate_interest: String,
}

/// Where the law grants each right.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rights {
    /// Access (e.g. `§ 17 KDG`).
    pub access: String,
    /// Rectification.
    pub rectification: String,
    /// Erasure.
    pub erasure: String,
    /// Restriction of processing.
    pub restriction: String,
    /// Data portability.
    pub portability: String,
    /// Objection.
    pub objection: String,
    /// Complaint to the supervisory authority.
    pub complaint: String,
}
