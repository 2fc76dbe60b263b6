//! The strings of "My data" (R10 of the privacy notice), in German and English.

use leptos::prelude::*;
use treff_shared::LogEvent;

use super::Lang;

/// The "My data" strings of one language.
pub struct PrivacyTexts {
    /// The control-bar button and the dialog's heading.
    pub my_data: &'static str,
    /// Under the heading: what the dialog shows.
    pub intro: &'static str,
    /// While the server's answer is on its way.
    pub loading: &'static str,
    /// Label: display name.
    pub name: &'static str,
    /// Label: role.
    pub role: &'static str,
    /// Role value.
    pub moderator: &'static str,
    /// Role value.
    pub participant: &'static str,
    /// Label: when the conference started.
    pub started: &'static str,
    /// Heading of the session-log table.
    pub log: &'static str,
    /// What the session log is and how long it lives.
    pub log_note: &'static str,
    /// Session-log events: joined, uploaded, downloaded, left, reconnected.
    pub events: [&'static str; 5],
    /// Column headings of the session log: time, event, browser, system, address, referrer.
    pub columns: [&'static str; 6],
    /// Heading of the own chat messages.
    pub messages: &'static str,
    /// Addressee of a public message.
    pub to_everyone: &'static str,
    /// Addressee of a private message.
    pub privately: &'static str,
    /// Nothing in a list.
    pub none: &'static str,
    /// Label: the recording answer.
    pub recording: &'static str,
    /// The button that answers "no" to the recording from "My data" (objection, restriction).
    pub object: &'static str,
    /// Recording answer values: yes, no, none given.
    pub answers: [&'static str; 3],
    /// The download button.
    pub download: &'static str,
    /// Label of the name field (rectification).
    pub rename_label: &'static str,
    /// The button that saves a new name.
    pub rename_save: &'static str,
    /// The button on one's own chat message that erases it for everyone.
    pub erase_message: &'static str,
    /// The close button.
    pub close: &'static str,
    /// Heading of the privacy status.
    pub status_title: &'static str,
    /// How media travels.
    pub media_encrypted: &'static str,
    /// How chat and signalling travel, over HTTPS.
    pub tls_on: &'static str,
    /// How chat and signalling travel, without HTTPS.
    pub tls_off: &'static str,
    /// No recording exists.
    pub no_recording: &'static str,
    /// A recording captures; `{}`: who said yes.
    pub recording_running: &'static str,
    /// A recording waits for answers; `{}`: who said yes so far.
    pub recording_waiting: &'static str,
    /// The session log goes with the meeting.
    pub log_until_end: &'static str,
    /// The session log is on an incident hold.
    pub log_on_hold: &'static str,
    /// Nobody else is involved.
    pub no_third_party: &'static str,
    /// Link to the notice; `{}`: its version.
    pub notice_version: &'static str,
}

impl PrivacyTexts {
    /// The name of a session-log event.
    pub fn event(&self, event: LogEvent) -> &'static str {
        self.events[match event {
            LogEvent::Join => 0,
            LogEvent::Upload => 1,
            LogEvent::Download => 2,
            LogEvent::Leave => 3,
            LogEvent::Resume => 4,
        }]
    }
}

const PRIVACY_DE: PrivacyTexts = PrivacyTexts {
    my_data: "Meine Daten",
    intro: "Alles, was der Server in diesem Moment über Sie gespeichert hat. Es wird gelöscht, wenn die Besprechung endet.",
    loading: "Wird geladen …",
    name: "Anzeigename",
    role: "Rolle",
    moderator: "Moderation",
    participant: "Teilnahme",
    started: "Besprechung begonnen",
    log: "Sitzungsprotokoll",
    log_note: "Der Server protokolliert Zugriffe dieser Besprechung nur im Arbeitsspeicher und löscht das Protokoll, wenn sie endet.",
    events: [
        "Beitritt",
        "Datei hochgeladen",
        "Datei heruntergeladen",
        "Verlassen",
        "Wieder verbunden",
    ],
    columns: [
        "Zeit",
        "Ereignis",
        "Browser",
        "Betriebssystem",
        "IP-Adresse",
        "Referrer",
    ],
    messages: "Meine Chatnachrichten",
    to_everyone: "an alle",
    privately: "privat",
    none: "keine",
    recording: "Meine Antwort zur Aufzeichnung",
    object: "Der Aufzeichnung widersprechen",
    answers: ["Ja", "Nein", "keine Antwort"],
    download: "Als JSON herunterladen",
    rename_label: "Anzeigenamen ändern",
    rename_save: "Namen speichern",
    erase_message: "Nachricht für alle löschen",
    close: "Schließen",
    status_title: "Datenschutz in dieser Besprechung",
    media_encrypted: "Ton, Bild und Bildschirmfreigabe: verschlüsselt übertragen (DTLS-SRTP).",
    tls_on: "Chat und Steuerung: verschlüsselt übertragen (TLS).",
    tls_off: "Chat und Steuerung: ohne TLS übertragen, denn diese Seite wurde nicht über HTTPS geladen.",
    no_recording: "Aufzeichnung: keine.",
    recording_running: "Aufzeichnung läuft; zugestimmt haben: {}.",
    recording_waiting: "Aufzeichnung vorgeschlagen; sie beginnt erst, wenn alle zustimmen. Zugestimmt haben: {}.",
    log_until_end: "Sitzungsprotokoll: wird gelöscht, wenn die Besprechung endet.",
    log_on_hold: "Sitzungsprotokoll: wegen eines Sicherheitsvorfalls gesichert; es wird verschlüsselt aufbewahrt, bis die Sicherung endet.",
    no_third_party: "Keine Dritten: Alles läuft auf dem Server dieser Organisation, nichts wird von anderswo geladen.",
    notice_version: "Datenschutzinformation (Version {})",
};

const PRIVACY_EN: PrivacyTexts = PrivacyTexts {
    my_data: "My data",
    intro: "Everything the server holds about you right now. It is deleted when the meeting ends.",
    loading: "Loading …",
    name: "Display name",
    role: "Role",
    moderator: "Moderator",
    participant: "Participant",
    started: "Meeting started",
    log: "Session log",
    log_note: "The server logs this meeting's requests in memory only and deletes the log when the meeting ends.",
    events: [
        "Joined",
        "Uploaded a file",
        "Downloaded a file",
        "Left",
        "Reconnected",
    ],
    columns: [
        "Time",
        "Event",
        "Browser",
        "Operating system",
        "IP address",
        "Referrer",
    ],
    messages: "My chat messages",
    to_everyone: "to everyone",
    privately: "private",
    none: "none",
    recording: "My answer about recording",
    object: "Object to the recording",
    answers: ["Yes", "No", "no answer"],
    download: "Download as JSON",
    rename_label: "Change display name",
    rename_save: "Save name",
    erase_message: "Delete message for everyone",
    close: "Close",
    status_title: "Privacy in this meeting",
    media_encrypted: "Audio, video and screen share: encrypted in transit (DTLS-SRTP).",
    tls_on: "Chat and signalling: encrypted in transit (TLS).",
    tls_off: "Chat and signalling: not encrypted by TLS, because this page was not loaded over HTTPS.",
    no_recording: "Recording: none.",
    recording_running: "Recording is running; agreed: {}.",
    recording_waiting: "Recording proposed; it starts only when everyone agrees. Agreed so far: {}.",
    log_until_end: "Session log: deleted when the meeting ends.",
    log_on_hold: "Session log: kept for a security incident; it is stored encrypted until the hold ends.",
    no_third_party: "No third party: everything runs on this organisation's server, nothing is loaded from elsewhere.",
    notice_version: "Privacy notice (version {})",
};

/// The "My data" strings of the active language.
pub fn privacy_texts() -> &'static PrivacyTexts {
    match use_context::<Lang>().unwrap_or(Lang::De) {
        Lang::De => &PRIVACY_DE,
        Lang::En => &PRIVACY_EN,
    }
}
