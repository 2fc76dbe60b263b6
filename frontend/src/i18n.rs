//! Every user-visible string of the UI, in German and English.
//!
//! Components never hard-code text (aria-labels and error messages included): they read the [`Texts`] of
//! the active language from context with [`texts`]. German is the default; English is chosen when the
//! browser prefers it (see [`Lang::detect`]). Adding a string means adding a field here, so the compiler
//! makes sure both languages have it.

use leptos::prelude::*;
use treff_shared::ErrorCode;

/// The languages the UI speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// German, the default.
    De,
    /// English.
    En,
}

impl Lang {
    /// Picks the language from `navigator.languages`: the first entry that is German or English wins,
    /// so a German browser that also lists English stays German and a French one that lists English
    /// gets English; everything else falls back to German.
    pub fn detect() -> Self {
        let Some(window) = web_sys::window() else {
            return Self::De;
        };
        let navigator = window.navigator();
        let mut prefs: Vec<String> = navigator
            .languages()
            .iter()
            .filter_map(|v| v.as_string())
            .collect();
        // Older engines fill only `navigator.language`.
        if prefs.is_empty() {
            prefs.extend(navigator.language());
        }
        Self::from_preferences(prefs.iter().map(String::as_str))
    }

    /// The pure part of [`Lang::detect`].
    pub fn from_preferences<'a>(prefs: impl IntoIterator<Item = &'a str>) -> Self {
        for pref in prefs {
            let pref = pref.to_ascii_lowercase();
            if pref.starts_with("en") {
                return Self::En;
            }
            if pref.starts_with("de") {
                return Self::De;
            }
        }
        Self::De
    }

    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }

    /// The strings of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Self::De => &DE,
            Self::En => &EN,
        }
    }
}

/// The strings of one language.
pub struct Texts {
    /// Document title.
    pub doc_title: &'static str,
    /// Product name shown in headers.
    pub app_name: &'static str,

    // Home page.
    /// One line under the product name.
    pub home_tagline: &'static str,
    /// Button that opens a fresh meeting.
    pub new_meeting: &'static str,
    /// Label of the link/id input.
    pub join_label: &'static str,
    /// Placeholder of the link/id input.
    pub join_placeholder: &'static str,
    /// Button that goes to the typed meeting.
    pub join_submit: &'static str,
    /// The typed text is neither a meeting link nor an id.
    pub join_invalid: &'static str,
    /// Footer link to the privacy notice.
    pub privacy_link: &'static str,

    // Meeting page.
    /// Heading when the URL holds no valid meeting id.
    pub invalid_room_title: &'static str,
    /// Explanation under it.
    pub invalid_room_text: &'static str,
    /// Link back to the home page.
    pub back_home: &'static str,

    // Pre-join.
    /// Heading of the pre-join screen.
    pub prejoin_title: &'static str,
    /// Label of the display name input.
    pub name_label: &'static str,
    /// The name is longer than the limit.
    pub name_too_long: &'static str,
    /// The name has control characters.
    pub name_control: &'static str,
    /// Checkbox: keep the name in localStorage.
    pub remember_name: &'static str,
    /// Microphone (toggle label).
    pub mic: &'static str,
    /// Camera (toggle label).
    pub cam: &'static str,
    /// Label of the microphone device select.
    pub mic_select: &'static str,
    /// Label of the camera device select.
    pub cam_select: &'static str,
    /// The browser's default device (option of a select).
    pub default_device: &'static str,
    /// Fallback label of a microphone before permission reveals its name.
    pub unnamed_mic: &'static str,
    /// Fallback label of a camera before permission reveals its name.
    pub unnamed_cam: &'static str,
    /// Accessible name of the camera preview.
    pub preview_label: &'static str,
    /// Shown in place of the preview while the camera is off.
    pub preview_off: &'static str,
    /// The button that enters the meeting.
    pub join_button: &'static str,
    /// Heading of the privacy summary.
    pub privacy_summary_title: &'static str,
    /// The privacy summary's bullet points.
    pub privacy_points: [&'static str; 4],
    /// Link from the summary to the full notice.
    pub privacy_more: &'static str,

    // Device errors.
    /// The user or the browser refused access.
    pub media_denied: &'static str,
    /// No such device.
    pub media_not_found: &'static str,
    /// The device is busy (another program).
    pub media_in_use: &'static str,
    /// Any other getUserMedia failure.
    pub media_failed: &'static str,

    // Room.
    /// Shown while the signalling connection is being set up.
    pub connecting: &'static str,
    /// Leave button.
    pub leave: &'static str,
    /// Appended to one's own name on the own tile.
    pub you_suffix: &'static str,
    /// Accessible name of the tile grid.
    pub participants_label: &'static str,
    /// Accessible name of the control bar.
    pub controls_label: &'static str,
    /// State icon: microphone on.
    pub mic_is_on: &'static str,
    /// State icon: microphone off.
    pub mic_is_off: &'static str,
    /// State icon: camera on.
    pub cam_is_on: &'static str,
    /// State icon: camera off.
    pub cam_is_off: &'static str,
    /// Heading when the socket closed unexpectedly.
    pub connection_lost: &'static str,
    /// Explanation under it.
    pub connection_lost_text: &'static str,
    /// The server speaks another protocol version: the cached page is outdated.
    pub outdated_page: &'static str,
    /// The server is shutting down.
    pub server_going_away: &'static str,
    /// The media connection (ICE/DTLS) failed.
    pub media_connection_failed: &'static str,
    /// Rejoin button (after connection loss or leaving).
    pub rejoin: &'static str,
    /// Button that returns from a refused join to the pre-join screen.
    pub back: &'static str,
    /// Button that hides an error banner.
    pub dismiss: &'static str,

    // Server error codes.
    /// `room_full`.
    pub err_room_full: &'static str,
    /// `server_full`.
    pub err_server_full: &'static str,
    /// `invalid_name`.
    pub err_invalid_name: &'static str,
    /// `already_joined`.
    pub err_already_joined: &'static str,
    /// `not_joined`.
    pub err_not_joined: &'static str,
    /// `invalid_sdp`.
    pub err_invalid_sdp: &'static str,

    // Left page.
    /// Heading after leaving.
    pub left_title: &'static str,
    /// Explanation under it.
    pub left_text: &'static str,

    // Privacy page.
    /// Heading of the privacy page.
    pub privacy_title: &'static str,
    /// Placeholder paragraphs until the operator puts the full notice here.
    pub privacy_placeholder: [&'static str; 2],

    // Not found page.
    /// Heading of the 404 page.
    pub not_found_title: &'static str,
    /// Explanation under it.
    pub not_found_text: &'static str,
}

impl Texts {
    /// The translation of a server error code.
    pub fn error(&self, code: ErrorCode) -> &'static str {
        match code {
            ErrorCode::RoomFull => self.err_room_full,
            ErrorCode::ServerFull => self.err_server_full,
            ErrorCode::InvalidName => self.err_invalid_name,
            ErrorCode::AlreadyJoined => self.err_already_joined,
            ErrorCode::NotJoined => self.err_not_joined,
            ErrorCode::InvalidSdp => self.err_invalid_sdp,
        }
    }
}

/// German (formal address, as in the operator's privacy notice).
pub const DE: Texts = Texts {
    doc_title: "Treff – Videokonferenz",
    app_name: "Treff",
    home_tagline: "Videokonferenzen ohne Konto und ohne Dritte.",
    new_meeting: "Neues Meeting",
    join_label: "Meeting-Link oder Meeting-ID",
    join_placeholder: "Link einfügen oder ID eingeben",
    join_submit: "Beitreten",
    join_invalid: "Das ist kein gültiger Meeting-Link.",
    privacy_link: "Datenschutz",
    invalid_room_title: "Ungültiger Meeting-Link",
    invalid_room_text: "Dieser Link führt zu keinem Meeting. Bitte prüfen Sie, ob er vollständig ist.",
    back_home: "Zur Startseite",
    prejoin_title: "Bereit zum Beitreten?",
    name_label: "Ihr Name",
    name_too_long: "Der Name ist zu lang.",
    name_control: "Der Name enthält unzulässige Zeichen.",
    remember_name: "Namen auf diesem Gerät merken",
    mic: "Mikrofon",
    cam: "Kamera",
    mic_select: "Mikrofon auswählen",
    cam_select: "Kamera auswählen",
    default_device: "Standardgerät",
    unnamed_mic: "Mikrofon",
    unnamed_cam: "Kamera",
    preview_label: "Kameravorschau",
    preview_off: "Die Kamera ist aus.",
    join_button: "Meeting beitreten",
    privacy_summary_title: "Datenschutz in Kürze",
    privacy_points: [
        "Verarbeitet werden Ihr Name, Bild und Ton (nur solange Sie sie einschalten), der Chat und technische Verbindungsdaten wie die IP-Adresse.",
        "Aufgezeichnet wird nur, wenn alle Anwesenden ausdrücklich zustimmen.",
        "Namen und Chat werden gelöscht, sobald das Meeting endet.",
        "Keine Daten an Dritte: alles läuft über diesen Server.",
    ],
    privacy_more: "Vollständige Datenschutzinformation",
    media_denied: "Der Zugriff auf das Gerät wurde verweigert. Bitte erlauben Sie ihn in den Einstellungen des Browsers.",
    media_not_found: "Das Gerät wurde nicht gefunden.",
    media_in_use: "Das Gerät wird gerade von einem anderen Programm benutzt.",
    media_failed: "Das Gerät konnte nicht gestartet werden.",
    connecting: "Verbindung wird aufgebaut …",
    leave: "Verlassen",
    you_suffix: "(Sie)",
    participants_label: "Teilnehmende",
    controls_label: "Steuerung",
    mic_is_on: "Mikrofon an",
    mic_is_off: "Mikrofon aus",
    cam_is_on: "Kamera an",
    cam_is_off: "Kamera aus",
    connection_lost: "Verbindung verloren",
    connection_lost_text: "Die Verbindung zum Server wurde unterbrochen.",
    outdated_page: "Diese Seite ist veraltet. Bitte laden Sie sie neu.",
    server_going_away: "Der Server wird gerade neu gestartet.",
    media_connection_failed: "Die Verbindung für Bild und Ton ist fehlgeschlagen.",
    rejoin: "Erneut beitreten",
    back: "Zurück",
    dismiss: "Schließen",
    err_room_full: "Dieses Meeting ist voll.",
    err_server_full: "Der Server ist ausgelastet. Bitte versuchen Sie es später noch einmal.",
    err_invalid_name: "Dieser Name ist nicht zulässig.",
    err_already_joined: "Sie sind diesem Meeting bereits beigetreten.",
    err_not_joined: "Sie sind diesem Meeting nicht beigetreten.",
    err_invalid_sdp: "Bild und Ton konnten nicht ausgehandelt werden.",
    left_title: "Sie haben das Meeting verlassen.",
    left_text: "Ihr Name und Ihre Daten in diesem Meeting werden gelöscht, sobald es endet.",
    privacy_title: "Datenschutzinformation",
    privacy_placeholder: [
        "An dieser Stelle steht die vollständige Datenschutzinformation des Betreibers dieses Servers.",
        "Der Betreiber ergänzt hier, wer verantwortlich ist, welche Daten zu welchem Zweck verarbeitet werden und welche Rechte Sie haben.",
    ],
    not_found_title: "Seite nicht gefunden",
    not_found_text: "Diese Seite gibt es nicht.",
};

/// English.
pub const EN: Texts = Texts {
    doc_title: "Treff – video meetings",
    app_name: "Treff",
    home_tagline: "Video meetings without accounts or third parties.",
    new_meeting: "New meeting",
    join_label: "Meeting link or ID",
    join_placeholder: "Paste a link or type an ID",
    join_submit: "Join",
    join_invalid: "That is not a valid meeting link.",
    privacy_link: "Privacy",
    invalid_room_title: "Invalid meeting link",
    invalid_room_text: "This link does not lead to a meeting. Please check that it is complete.",
    back_home: "Back to the home page",
    prejoin_title: "Ready to join?",
    name_label: "Your name",
    name_too_long: "The name is too long.",
    name_control: "The name contains characters that are not allowed.",
    remember_name: "Remember my name on this device",
    mic: "Microphone",
    cam: "Camera",
    mic_select: "Choose microphone",
    cam_select: "Choose camera",
    default_device: "Default device",
    unnamed_mic: "Microphone",
    unnamed_cam: "Camera",
    preview_label: "Camera preview",
    preview_off: "The camera is off.",
    join_button: "Join meeting",
    privacy_summary_title: "Privacy at a glance",
    privacy_points: [
        "We process your name, picture and sound (only while you turn them on), the chat, and technical connection data such as your IP address.",
        "Nothing is recorded unless everyone present expressly agrees.",
        "Names and chat are deleted when the meeting ends.",
        "No data goes to third parties: everything runs through this server.",
    ],
    privacy_more: "Full privacy notice",
    media_denied: "Access to the device was denied. Please allow it in your browser's settings.",
    media_not_found: "The device was not found.",
    media_in_use: "The device is in use by another program.",
    media_failed: "The device could not be started.",
    connecting: "Connecting …",
    leave: "Leave",
    you_suffix: "(you)",
    participants_label: "Participants",
    controls_label: "Meeting controls",
    mic_is_on: "Microphone on",
    mic_is_off: "Microphone off",
    cam_is_on: "Camera on",
    cam_is_off: "Camera off",
    connection_lost: "Connection lost",
    connection_lost_text: "The connection to the server was interrupted.",
    outdated_page: "This page is outdated. Please reload it.",
    server_going_away: "The server is restarting.",
    media_connection_failed: "The audio and video connection failed.",
    rejoin: "Rejoin",
    back: "Back",
    dismiss: "Dismiss",
    err_room_full: "This meeting is full.",
    err_server_full: "The server is busy. Please try again later.",
    err_invalid_name: "This name is not allowed.",
    err_already_joined: "You have already joined this meeting.",
    err_not_joined: "You have not joined this meeting.",
    err_invalid_sdp: "Audio and video could not be negotiated.",
    left_title: "You left the meeting.",
    left_text: "Your name and your data in this meeting are deleted when it ends.",
    privacy_title: "Privacy notice",
    privacy_placeholder: [
        "The full privacy notice of the operator of this server goes here.",
        "The operator adds who is responsible, which data is processed for which purpose, and what your rights are.",
    ],
    not_found_title: "Page not found",
    not_found_text: "This page does not exist.",
};

/// The active language's strings, provided by the app root.
pub fn texts() -> &'static Texts {
    use_context::<Lang>().unwrap_or(Lang::De).texts()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_german_or_english_preference_wins() {
        assert_eq!(Lang::from_preferences(["en-US"]), Lang::En);
        assert_eq!(Lang::from_preferences(["de-DE", "en-US"]), Lang::De);
        assert_eq!(Lang::from_preferences(["fr-FR", "en-GB"]), Lang::En);
        assert_eq!(Lang::from_preferences(["fr-FR"]), Lang::De);
        assert_eq!(Lang::from_preferences([]), Lang::De);
    }
}
