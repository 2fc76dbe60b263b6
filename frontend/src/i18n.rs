//! Every user-visible string of the UI, in German and English.
//!
//! Components never hard-code text (aria-labels and error messages included): they read the [`Texts`] of
//! the active language from context with [`texts`]. German is the default; English is chosen when the
//! browser prefers it (see [`Lang::detect`]). Adding a string means adding a field here, so the compiler
//! makes sure both languages have it.

use leptos::prelude::*;
use treff_shared::{ErrorCode, Reaction};

use crate::shortcuts::Shortcut;

mod privacy;
pub use privacy::privacy_texts;

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
    /// The room's heading, for screen readers only (they navigate by headings).
    pub room_title: &'static str,
    /// Leave button.
    pub leave: &'static str,
    /// Appended to one's own name on the own tile.
    pub you_suffix: &'static str,
    /// Accessible name of the tile grid.
    pub tiles_label: &'static str,
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
    /// Coming back by itself; `{}`: the number of the try.
    pub rejoining: &'static str,
    /// The button that stops coming back by itself.
    pub rejoin_stop: &'static str,
    /// The socket dropped and the page is resuming; `{}`: the number of the try.
    pub reconnecting: &'static str,
    /// The button that stops resuming and leaves.
    pub reconnect_give_up: &'static str,
    /// On the tile of someone whose connection dropped.
    pub tile_reconnecting: &'static str,
    /// On a tile whose camera the server does not send now (last-N, in a large meeting).
    pub tile_video_paused: &'static str,
    /// The media connection (ICE/DTLS) failed.
    pub media_connection_failed: &'static str,
    /// Rejoin button (after connection loss or leaving).
    pub rejoin: &'static str,
    /// Button that returns from a refused join to the pre-join screen.
    pub back: &'static str,
    /// Button that hides an error banner.
    pub dismiss: &'static str,
    /// Shown between the click on "leave" and the server's goodbye.
    pub leaving: &'static str,

    // Chat.
    /// The chat's name: toggle button label and panel heading.
    pub chat: &'static str,
    /// Added to the toggle's accessible name while messages are unread; `{n}` is their count.
    pub chat_unread: &'static str,
    /// Button that closes the chat panel.
    pub chat_close: &'static str,
    /// Shown in an empty chat.
    pub chat_empty: &'static str,
    /// Label of the message text area.
    pub chat_input_label: &'static str,
    /// Placeholder of the message text area (how Enter works).
    pub chat_input_placeholder: &'static str,
    /// The send button.
    pub chat_send: &'static str,
    /// Label of the recipient select.
    pub chat_recipient_label: &'static str,
    /// The recipient "everyone" (a message to the whole meeting).
    pub chat_everyone: &'static str,
    /// Appended to a chosen private recipient who has left since.
    pub chat_recipient_left: &'static str,
    /// The attach button.
    pub chat_attach: &'static str,
    /// Accessible name of the upload progress bar.
    pub chat_uploading: &'static str,
    /// Shown over the panel while a file is dragged onto it.
    pub chat_drop_hint: &'static str,
    /// The transcript download button.
    pub chat_export: &'static str,
    /// Marks a private message we sent; `{name}` is the recipient.
    pub chat_private_to: &'static str,
    /// Marks a private message we received.
    pub chat_private_to_you: &'static str,
    /// Stands in for a private recipient whose name is no longer known.
    pub chat_someone: &'static str,
    /// Accessible name of an attachment's download button; `{name}` and `{size}` are the file's.
    pub chat_download_file: &'static str,
    /// The word for an attachment in the transcript (`[file: name, size]`).
    pub chat_file: &'static str,
    /// First line of the transcript.
    pub chat_transcript_title: &'static str,
    /// Second line of the transcript; `{date}` is the meeting's date.
    pub chat_transcript_date: &'static str,
    /// The upload failed without an answer from the server (network).
    pub chat_upload_failed: &'static str,
    /// The download failed without an answer from the server (network).
    pub chat_download_failed: &'static str,
    /// Added to "too long"; `{max}` is the limit in characters.
    pub chat_max_chars_hint: &'static str,
    /// Added to "file too large"; `{max}` is the limit as a size.
    pub chat_max_size_hint: &'static str,
    /// The decimal separator of file sizes.
    pub decimal_separator: char,
    /// The BCP 47 locale for dates and times.
    pub locale: &'static str,

    // Raised hands, reactions, participants panel, keyboard shortcuts.
    /// The raise-hand toggle.
    pub raise_hand: &'static str,
    /// The hand on a tile.
    pub hand_raised: &'static str,
    /// The hand in the participants panel; `{n}` is its place in the queue.
    pub hand_position: &'static str,
    /// Announced when someone raises their hand; `{name}` is theirs.
    pub hand_raised_by: &'static str,
    /// The reactions button and its menu.
    pub reactions: &'static str,
    /// Announced when someone reacts; `{name}` is theirs, `{reaction}` the reaction's name.
    pub reacted_by: &'static str,
    /// 👍
    pub reaction_thumbs_up: &'static str,
    /// 👏
    pub reaction_clap: &'static str,
    /// 😂
    pub reaction_laugh: &'static str,
    /// ❤️
    pub reaction_heart: &'static str,
    /// 😮
    pub reaction_surprised: &'static str,
    /// 🎉
    pub reaction_celebrate: &'static str,
    /// The participants panel: its toggle and its heading.
    pub participants: &'static str,
    /// Button that closes the participants panel.
    pub participants_close: &'static str,
    /// The help button and the help dialog's heading.
    pub keyboard_shortcuts: &'static str,
    /// Under the list of shortcuts: when they do not work.
    pub shortcuts_hint: &'static str,
    /// Button that closes the help dialog.
    pub help_close: &'static str,
    /// Shortcut M.
    pub shortcut_mic: &'static str,
    /// Shortcut V.
    pub shortcut_cam: &'static str,
    /// Shortcut R.
    pub shortcut_hand: &'static str,
    /// Shortcut C.
    pub shortcut_chat: &'static str,
    /// Shortcut P.
    pub shortcut_participants: &'static str,
    /// Shortcut ?.
    pub shortcut_help: &'static str,

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
    /// `chat_empty`.
    pub err_chat_empty: &'static str,
    /// `chat_too_long`.
    pub err_chat_too_long: &'static str,
    /// `chat_rate_limited`.
    pub err_chat_rate_limited: &'static str,
    /// `chat_full`.
    pub err_chat_full: &'static str,
    /// `unknown_recipient`.
    pub err_unknown_recipient: &'static str,
    /// `unknown_attachment`.
    pub err_unknown_attachment: &'static str,
    /// `unauthorized` (HTTP 401).
    pub err_unauthorized: &'static str,
    /// `not_found` (HTTP 404).
    pub err_not_found: &'static str,
    /// `file_too_large` (HTTP 413).
    pub err_file_too_large: &'static str,
    /// `storage_full` (HTTP 413).
    pub err_storage_full: &'static str,
    /// `ErrorCode::UploadQuota`.
    pub err_upload_quota: &'static str,
    /// `ErrorCode::TooManyConnections`.
    pub err_too_many_connections: &'static str,
    /// `bad_upload` (HTTP 400/411).
    pub err_bad_upload: &'static str,
    /// `reaction_rate_limited`.
    pub err_reaction_rate_limited: &'static str,
    /// `not_moderator`.
    pub err_not_moderator: &'static str,
    /// `unknown_participant`.
    pub err_unknown_participant: &'static str,
    /// `room_locked`.
    pub err_room_locked: &'static str,
    /// `password_required`.
    pub err_password_required: &'static str,
    /// `wrong_password`.
    pub err_wrong_password: &'static str,
    /// `too_many_attempts`.
    pub err_too_many_attempts: &'static str,
    /// `entry_denied`.
    pub err_entry_denied: &'static str,
    /// `banned`.
    pub err_banned: &'static str,
    /// `unknown_meeting`.
    pub err_unknown_meeting: &'static str,
    /// `organiser_password_required`.
    pub err_organiser_password_required: &'static str,
    /// `recording_exists`.
    pub err_recording_exists: &'static str,
    /// `no_recording`.
    pub err_no_recording: &'static str,
    /// `recording_unavailable`.
    pub err_recording_unavailable: &'static str,
    /// `UnknownMessage`: a message to erase that is gone or not one's own.
    pub err_unknown_message: &'static str,

    // Left page.
    /// Heading after leaving.
    pub left_title: &'static str,
    /// Explanation under it.
    pub left_text: &'static str,
    /// Heading when the conference ended (and was deleted) while this participant was in it.
    pub ended_title: &'static str,
    /// Explanation under it.
    pub ended_text: &'static str,
    /// Heading of the deletion receipt.
    pub receipt_title: &'static str,
    /// Receipt: when the conference started.
    pub receipt_started: &'static str,
    /// Receipt: when it ended.
    pub receipt_ended: &'static str,
    /// Receipt: how many joins.
    pub receipt_participants: &'static str,
    /// Receipt: chat messages deleted.
    pub receipt_messages: &'static str,
    /// Receipt: files deleted.
    pub receipt_files: &'static str,
    /// Receipt: bytes deleted.
    pub receipt_bytes: &'static str,
    /// Unit after the byte count.
    pub receipt_bytes_unit: &'static str,

    // Not found page.
    /// Heading of the 404 page.
    pub not_found_title: &'static str,
    /// Explanation under it.
    pub not_found_text: &'static str,

    // Screen sharing and views.
    /// The screen-sharing toggle.
    pub share_screen: &'static str,
    /// The speaker-view toggle (pressed: speaker view; not pressed: tile view).
    pub speaker_view: &'static str,
    /// Accessible name of the area with the shared screens.
    pub presentations_label: &'static str,
    /// Caption of a shared screen; `{}` is the sharer's name.
    pub screen_of: &'static str,
    /// Caption of our own shared screen.
    pub own_screen: &'static str,
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
            ErrorCode::ChatEmpty => self.err_chat_empty,
            ErrorCode::ChatTooLong => self.err_chat_too_long,
            ErrorCode::ChatRateLimited => self.err_chat_rate_limited,
            ErrorCode::ChatFull => self.err_chat_full,
            ErrorCode::UnknownRecipient => self.err_unknown_recipient,
            ErrorCode::UnknownAttachment => self.err_unknown_attachment,
            ErrorCode::Unauthorized => self.err_unauthorized,
            ErrorCode::NotFound => self.err_not_found,
            ErrorCode::FileTooLarge => self.err_file_too_large,
            ErrorCode::StorageFull => self.err_storage_full,
            ErrorCode::UploadQuota => self.err_upload_quota,
            ErrorCode::TooManyConnections => self.err_too_many_connections,
            ErrorCode::BadUpload => self.err_bad_upload,
            ErrorCode::ReactionRateLimited => self.err_reaction_rate_limited,
            ErrorCode::NotModerator => self.err_not_moderator,
            ErrorCode::UnknownParticipant => self.err_unknown_participant,
            ErrorCode::RoomLocked => self.err_room_locked,
            ErrorCode::PasswordRequired => self.err_password_required,
            ErrorCode::WrongPassword => self.err_wrong_password,
            ErrorCode::TooManyAttempts => self.err_too_many_attempts,
            ErrorCode::EntryDenied => self.err_entry_denied,
            ErrorCode::Banned => self.err_banned,
            ErrorCode::UnknownMeeting => self.err_unknown_meeting,
            ErrorCode::OrganiserPasswordRequired => self.err_organiser_password_required,
            ErrorCode::RecordingExists => self.err_recording_exists,
            ErrorCode::NoRecording => self.err_no_recording,
            ErrorCode::RecordingUnavailable => self.err_recording_unavailable,
            ErrorCode::UnknownMessage => self.err_unknown_message,
            // Handled by joining anew (see `session::reconnect`); never shown as such.
            ErrorCode::ResumeRefused => self.connection_lost_text,
        }
    }

    /// The name of a reaction (its button's label).
    pub fn reaction(&self, reaction: Reaction) -> &'static str {
        match reaction {
            Reaction::ThumbsUp => self.reaction_thumbs_up,
            Reaction::Clap => self.reaction_clap,
            Reaction::Laugh => self.reaction_laugh,
            Reaction::Heart => self.reaction_heart,
            Reaction::Surprised => self.reaction_surprised,
            Reaction::Celebrate => self.reaction_celebrate,
        }
    }

    /// What a keyboard shortcut does.
    pub fn shortcut(&self, shortcut: Shortcut) -> &'static str {
        match shortcut {
            Shortcut::Mic => self.shortcut_mic,
            Shortcut::Cam => self.shortcut_cam,
            Shortcut::Hand => self.shortcut_hand,
            Shortcut::Chat => self.shortcut_chat,
            Shortcut::Participants => self.shortcut_participants,
            Shortcut::Help => self.shortcut_help,
        }
    }

    /// "Hand raised, number 2".
    pub fn hand_position(&self, position: usize) -> String {
        self.hand_position.replace("{n}", &position.to_string())
    }

    /// "Alice raised their hand".
    pub fn hand_raised_by(&self, name: &str) -> String {
        self.hand_raised_by.replace("{name}", name)
    }

    /// "Alice reacted: Applause".
    pub fn reacted_by(&self, name: &str, reaction: Reaction) -> String {
        self.reacted_by
            .replace("{name}", name)
            .replace("{reaction}", self.reaction(reaction))
    }

    /// The mark of a private message we sent to `name`.
    pub fn private_to(&self, name: &str) -> String {
        self.chat_private_to.replace("{name}", name)
    }

    /// "3 unread".
    pub fn unread(&self, count: usize) -> String {
        self.chat_unread.replace("{n}", &count.to_string())
    }

    /// The accessible name of an attachment's download button.
    pub fn download_file(&self, name: &str, size: &str) -> String {
        self.chat_download_file
            .replace("{name}", name)
            .replace("{size}", size)
    }

    /// The transcript's date line.
    pub fn transcript_date(&self, date: &str) -> String {
        self.chat_transcript_date.replace("{date}", date)
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
    room_title: "Meeting",
    leave: "Verlassen",
    you_suffix: "(Sie)",
    tiles_label: "Videokacheln",
    controls_label: "Steuerung",
    mic_is_on: "Mikrofon an",
    mic_is_off: "Mikrofon aus",
    cam_is_on: "Kamera an",
    cam_is_off: "Kamera aus",
    connection_lost: "Verbindung verloren",
    connection_lost_text: "Die Verbindung zum Server wurde unterbrochen.",
    outdated_page: "Diese Seite ist veraltet. Bitte laden Sie sie neu.",
    server_going_away: "Der Server wird gerade neu gestartet.",
    rejoining: "Sobald der Server wieder erreichbar ist, treten Sie dem Meeting wieder bei (Versuch {}) …",
    rejoin_stop: "Nicht automatisch wieder beitreten",
    reconnecting: "Die Verbindung ist unterbrochen und wird wiederhergestellt (Versuch {}) …",
    reconnect_give_up: "Aufgeben und Meeting verlassen",
    tile_reconnecting: "Verbindung wird wiederhergestellt …",
    tile_video_paused: "Video pausiert, bis die Person spricht",
    media_connection_failed: "Die Verbindung für Bild und Ton ist fehlgeschlagen.",
    rejoin: "Erneut beitreten",
    back: "Zurück",
    dismiss: "Schließen",
    leaving: "Sie verlassen das Meeting …",
    chat: "Chat",
    chat_unread: "{n} ungelesen",
    chat_close: "Chat schließen",
    chat_empty: "Noch keine Nachrichten. Der Chat wird gelöscht, sobald das Meeting endet.",
    chat_input_label: "Nachricht",
    chat_input_placeholder: "Nachricht schreiben (Enter sendet, Umschalt+Enter für eine neue Zeile)",
    chat_send: "Senden",
    chat_recipient_label: "An",
    chat_everyone: "Alle",
    chat_recipient_left: "(hat das Meeting verlassen)",
    chat_attach: "Datei anhängen",
    chat_uploading: "Datei wird hochgeladen",
    chat_drop_hint: "Datei hier ablegen, um sie zu senden",
    chat_export: "Chat herunterladen (.txt)",
    chat_private_to: "privat an {name}",
    chat_private_to_you: "privat an Sie",
    chat_someone: "jemanden",
    chat_download_file: "{name} herunterladen ({size})",
    chat_file: "Datei",
    chat_transcript_title: "Treff – Chatverlauf",
    chat_transcript_date: "Meeting vom {date}",
    chat_upload_failed: "Die Datei konnte nicht hochgeladen werden.",
    chat_download_failed: "Die Datei konnte nicht heruntergeladen werden.",
    chat_max_chars_hint: "Erlaubt sind höchstens {max} Zeichen.",
    chat_max_size_hint: "Erlaubt sind höchstens {max}.",
    decimal_separator: ',',
    locale: "de-DE",
    raise_hand: "Hand heben",
    hand_raised: "Hand gehoben",
    hand_position: "Hand gehoben, Nr. {n}",
    hand_raised_by: "{name} hat die Hand gehoben.",
    reactions: "Reaktionen",
    reacted_by: "{name} reagiert: {reaction}",
    reaction_thumbs_up: "Daumen hoch",
    reaction_clap: "Applaus",
    reaction_laugh: "Lachen",
    reaction_heart: "Herz",
    reaction_surprised: "Überrascht",
    reaction_celebrate: "Feiern",
    participants: "Teilnehmende",
    participants_close: "Liste der Teilnehmenden schließen",
    keyboard_shortcuts: "Tastenkürzel",
    shortcuts_hint: "Die Kürzel wirken nicht, solange Sie in ein Feld schreiben.",
    help_close: "Schließen",
    shortcut_mic: "Mikrofon ein/aus",
    shortcut_cam: "Kamera ein/aus",
    shortcut_hand: "Hand heben/senken",
    shortcut_chat: "Chat öffnen/schließen",
    shortcut_participants: "Liste der Teilnehmenden öffnen/schließen",
    shortcut_help: "Diese Hilfe anzeigen",
    err_room_full: "Dieses Meeting ist voll.",
    err_server_full: "Der Server ist ausgelastet. Bitte versuchen Sie es später noch einmal.",
    err_invalid_name: "Dieser Name ist nicht zulässig.",
    err_already_joined: "Sie sind diesem Meeting bereits beigetreten.",
    err_not_joined: "Sie sind diesem Meeting nicht beigetreten.",
    err_invalid_sdp: "Bild und Ton konnten nicht ausgehandelt werden.",
    err_chat_empty: "Die Nachricht ist leer.",
    err_chat_too_long: "Die Nachricht ist zu lang.",
    err_chat_rate_limited: "Sie senden zu viele Nachrichten. Bitte warten Sie einen Moment.",
    err_chat_full: "Der Chat dieses Meetings ist voll.",
    err_unknown_recipient: "Diese Person ist nicht mehr im Meeting.",
    err_unknown_attachment: "Die Datei ist nicht mehr verfügbar. Bitte hängen Sie sie erneut an.",
    err_unauthorized: "Sie sind nicht mehr in diesem Meeting.",
    err_not_found: "Die Datei gibt es nicht mehr.",
    err_file_too_large: "Die Datei ist zu groß.",
    err_storage_full: "Der Speicher für Dateien in diesem Meeting ist voll.",
    err_upload_quota: "Sie haben in diesem Meeting so viele Dateien geteilt, wie eine Person darf.",
    err_too_many_connections: "Der Server ist gerade voll. Bitte versuchen Sie es gleich noch einmal.",
    err_bad_upload: "Die Datei konnte nicht angenommen werden.",
    err_reaction_rate_limited: "Sie senden zu viele Reaktionen. Bitte warten Sie einen Moment.",
    err_not_moderator: "Nur eine Moderatorin oder ein Moderator darf das.",
    err_unknown_participant: "Diese Person ist nicht im Meeting.",
    err_room_locked: "Dieses Meeting ist gesperrt: Niemand kann mehr beitreten.",
    err_password_required: "Dieses Meeting braucht ein Passwort.",
    err_wrong_password: "Das Passwort ist falsch.",
    err_too_many_attempts: "Zu viele falsche Passwörter. Bitte warten Sie einen Moment, bevor Sie es erneut versuchen.",
    err_entry_denied: "Eine Moderatorin oder ein Moderator hat Sie nicht eingelassen.",
    err_banned: "Sie wurden aus diesem Meeting entfernt und können nicht erneut beitreten.",
    err_unknown_meeting: "Dieses Meeting gibt es auf diesem Server nicht.",
    err_organiser_password_required: "Zum Anlegen eines Meetings ist das Passwort für Organisierende nötig.",
    err_recording_exists: "Es gibt bereits eine Aufnahme.",
    err_no_recording: "Es gibt keine Aufnahme.",
    err_recording_unavailable: "Aufnahmen sind auf diesem Server ausgeschaltet.",
    err_unknown_message: "Diese Nachricht gibt es nicht mehr.",
    left_title: "Sie haben das Meeting verlassen.",
    left_text: "Ihr Name und Ihre Daten in diesem Meeting werden gelöscht, sobald es endet.",
    ended_title: "Das Meeting ist beendet.",
    ended_text: "Namen, Chat und Dateien dieses Meetings wurden vom Server gelöscht.",
    receipt_title: "Löschbestätigung",
    receipt_started: "Beginn",
    receipt_ended: "Ende und Löschung",
    receipt_participants: "Teilnahmen",
    receipt_messages: "Gelöschte Nachrichten",
    receipt_files: "Gelöschte Dateien",
    receipt_bytes: "Gelöschte Datenmenge",
    receipt_bytes_unit: "Byte",
    not_found_title: "Seite nicht gefunden",
    not_found_text: "Diese Seite gibt es nicht.",
    share_screen: "Bildschirm teilen",
    speaker_view: "Sprecheransicht",
    presentations_label: "Geteilte Bildschirme",
    screen_of: "Bildschirm von {}",
    own_screen: "Ihr geteilter Bildschirm",
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
    room_title: "Meeting",
    leave: "Leave",
    you_suffix: "(you)",
    tiles_label: "Video tiles",
    controls_label: "Meeting controls",
    mic_is_on: "Microphone on",
    mic_is_off: "Microphone off",
    cam_is_on: "Camera on",
    cam_is_off: "Camera off",
    connection_lost: "Connection lost",
    connection_lost_text: "The connection to the server was interrupted.",
    outdated_page: "This page is outdated. Please reload it.",
    server_going_away: "The server is restarting.",
    rejoining: "You will rejoin the meeting as soon as the server answers again (try {}) …",
    rejoin_stop: "Do not rejoin by myself",
    reconnecting: "The connection dropped and is being restored (try {}) …",
    reconnect_give_up: "Give up and leave the meeting",
    tile_reconnecting: "Reconnecting …",
    tile_video_paused: "Video paused until they speak",
    media_connection_failed: "The audio and video connection failed.",
    rejoin: "Rejoin",
    back: "Back",
    dismiss: "Dismiss",
    leaving: "Leaving the meeting …",
    chat: "Chat",
    chat_unread: "{n} unread",
    chat_close: "Close chat",
    chat_empty: "No messages yet. The chat is deleted when the meeting ends.",
    chat_input_label: "Message",
    chat_input_placeholder: "Write a message (Enter sends, Shift+Enter starts a new line)",
    chat_send: "Send",
    chat_recipient_label: "To",
    chat_everyone: "Everyone",
    chat_recipient_left: "(has left the meeting)",
    chat_attach: "Attach a file",
    chat_uploading: "Uploading the file",
    chat_drop_hint: "Drop a file here to send it",
    chat_export: "Download chat (.txt)",
    chat_private_to: "private to {name}",
    chat_private_to_you: "private to you",
    chat_someone: "someone",
    chat_download_file: "Download {name} ({size})",
    chat_file: "file",
    chat_transcript_title: "Treff – chat transcript",
    chat_transcript_date: "Meeting on {date}",
    chat_upload_failed: "The file could not be uploaded.",
    chat_download_failed: "The file could not be downloaded.",
    chat_max_chars_hint: "At most {max} characters are allowed.",
    chat_max_size_hint: "At most {max} is allowed.",
    decimal_separator: '.',
    locale: "en-GB",
    raise_hand: "Raise hand",
    hand_raised: "Hand raised",
    hand_position: "Hand raised, number {n}",
    hand_raised_by: "{name} raised their hand.",
    reactions: "Reactions",
    reacted_by: "{name} reacted: {reaction}",
    reaction_thumbs_up: "Thumbs up",
    reaction_clap: "Applause",
    reaction_laugh: "Laughter",
    reaction_heart: "Heart",
    reaction_surprised: "Surprised",
    reaction_celebrate: "Celebration",
    participants: "Participants",
    participants_close: "Close participants",
    keyboard_shortcuts: "Keyboard shortcuts",
    shortcuts_hint: "Shortcuts do not work while you are typing in a field.",
    help_close: "Close",
    shortcut_mic: "Microphone on/off",
    shortcut_cam: "Camera on/off",
    shortcut_hand: "Raise/lower hand",
    shortcut_chat: "Open/close chat",
    shortcut_participants: "Open/close participants",
    shortcut_help: "Show this help",
    err_room_full: "This meeting is full.",
    err_server_full: "The server is busy. Please try again later.",
    err_invalid_name: "This name is not allowed.",
    err_already_joined: "You have already joined this meeting.",
    err_not_joined: "You have not joined this meeting.",
    err_invalid_sdp: "Audio and video could not be negotiated.",
    err_chat_empty: "The message is empty.",
    err_chat_too_long: "The message is too long.",
    err_chat_rate_limited: "You are sending too many messages. Please wait a moment.",
    err_chat_full: "This meeting's chat is full.",
    err_unknown_recipient: "This person is no longer in the meeting.",
    err_unknown_attachment: "The file is no longer available. Please attach it again.",
    err_unauthorized: "You are no longer in this meeting.",
    err_not_found: "The file no longer exists.",
    err_file_too_large: "The file is too large.",
    err_storage_full: "The file storage of this meeting is full.",
    err_upload_quota: "You have shared as many files in this meeting as one person may.",
    err_too_many_connections: "The server is full right now. Please try again in a moment.",
    err_bad_upload: "The file could not be accepted.",
    err_reaction_rate_limited: "You are sending too many reactions. Please wait a moment.",
    err_not_moderator: "Only a moderator may do that.",
    err_unknown_participant: "This person is not in the meeting.",
    err_room_locked: "This meeting is locked: nobody new can join.",
    err_password_required: "This meeting needs a password.",
    err_wrong_password: "The password is wrong.",
    err_too_many_attempts: "Too many wrong passwords. Please wait a moment before trying again.",
    err_entry_denied: "A moderator did not let you in.",
    err_banned: "You were removed from this meeting and cannot rejoin it.",
    err_unknown_meeting: "This server has no such meeting.",
    err_organiser_password_required: "Creating a meeting needs the organiser password.",
    err_recording_exists: "There is a recording already.",
    err_no_recording: "There is no recording.",
    err_recording_unavailable: "Recording is switched off on this server.",
    err_unknown_message: "This message no longer exists.",
    left_title: "You left the meeting.",
    left_text: "Your name and your data in this meeting are deleted when it ends.",
    ended_title: "The meeting has ended.",
    ended_text: "The names, chat and files of this meeting have been deleted from the server.",
    receipt_title: "Deletion receipt",
    receipt_started: "Started",
    receipt_ended: "Ended and deleted",
    receipt_participants: "Joins",
    receipt_messages: "Messages deleted",
    receipt_files: "Files deleted",
    receipt_bytes: "Data deleted",
    receipt_bytes_unit: "bytes",
    not_found_title: "Page not found",
    not_found_text: "This page does not exist.",
    share_screen: "Share screen",
    speaker_view: "Speaker view",
    presentations_label: "Shared screens",
    screen_of: "{}'s screen",
    own_screen: "Your shared screen",
};

/// The active language's strings, provided by the app root.
pub fn texts() -> &'static Texts {
    use_context::<Lang>().unwrap_or(Lang::De).texts()
}

/// The strings of moderation, the lobby and meeting access, in one language.
pub struct ModerationTexts {
    /// Heading of the organiser-password form on the home page.
    pub organiser_password_label: &'static str,
    /// Its submit button.
    pub organiser_password_submit: &'static str,
    /// Creating a meeting failed for another reason.
    pub new_meeting_failed: &'static str,
    /// Role badge.
    pub moderator: &'static str,
    /// The moderator menu's button.
    pub moderator_menu: &'static str,
    /// Mute everyone.
    pub mute_all: &'static str,
    /// Lock the meeting.
    pub lock: &'static str,
    /// Unlock the meeting.
    pub unlock: &'static str,
    /// Switch the lobby on.
    pub lobby_on: &'static str,
    /// Switch the lobby off.
    pub lobby_off: &'static str,
    /// Label of the meeting-password input.
    pub meeting_password: &'static str,
    /// Set the password.
    pub set_password: &'static str,
    /// Clear the password.
    pub clear_password: &'static str,
    /// End the meeting for all.
    pub end_for_all: &'static str,
    /// Confirmation question for ending the meeting.
    pub end_for_all_confirm: &'static str,
    /// Confirm button of a confirmation.
    pub confirm: &'static str,
    /// Cancel button of a confirmation.
    pub cancel: &'static str,
    /// Copy the participant link.
    pub copy_link: &'static str,
    /// Copy the moderator link.
    pub copy_moderator_link: &'static str,
    /// Confirmation after copying.
    pub copied: &'static str,
    /// Copying failed: the link to copy by hand follows.
    pub copy_failed: &'static str,
    /// Accessible name of a participant's moderator actions; `{}` is the name.
    pub actions_for: &'static str,
    /// Mute a participant.
    pub action_mute: &'static str,
    /// Stop a participant's video.
    pub action_stop_video: &'static str,
    /// Ask a participant to unmute.
    pub action_ask_unmute: &'static str,
    /// Make a participant moderator.
    pub action_make_moderator: &'static str,
    /// Remove a participant.
    pub action_remove: &'static str,
    /// Remove and ban a participant.
    pub action_ban: &'static str,
    /// Confirmation question for removing; `{}` is the name.
    pub remove_confirm: &'static str,
    /// Confirmation question for removing with a ban; `{}` is the name.
    pub ban_confirm: &'static str,
    /// Heading of the lobby section.
    pub lobby_title: &'static str,
    /// Badge text: people waiting; `{}` is the count.
    pub lobby_waiting: &'static str,
    /// Admit a newcomer.
    pub admit: &'static str,
    /// Deny a newcomer.
    pub deny: &'static str,
    /// Accessible name of admit/deny buttons; `{}` is the name.
    pub knock_of: &'static str,
    /// Room state indicator: locked.
    pub state_locked: &'static str,
    /// Room state indicator: lobby on.
    pub state_lobby: &'static str,
    /// Room state indicator: password set.
    pub state_password: &'static str,
    /// Accessible name of the room state indicators.
    pub state_label: &'static str,
    /// The waiting screen's heading.
    pub waiting_title: &'static str,
    /// The waiting screen's text.
    pub waiting_text: &'static str,
    /// Leave the lobby.
    pub waiting_leave: &'static str,
    /// The removed page's heading.
    pub removed_title: &'static str,
    /// Its text.
    pub removed_text: &'static str,
    /// Its text when banned.
    pub banned_text: &'static str,
    /// The password form's heading on a refused join.
    pub password_title: &'static str,
    /// The password input's label.
    pub password_label: &'static str,
    /// Retry joining with the password.
    pub password_submit: &'static str,
    /// The prompt of a moderator's request to unmute.
    pub unmute_asked: &'static str,
    /// Its button: switch the microphone on.
    pub unmute_now: &'static str,
    /// Its dismissal.
    pub not_now: &'static str,
    /// Notice: a moderator switched the microphone off.
    pub turned_off_mic: &'static str,
    /// Notice: a moderator switched the camera off.
    pub turned_off_cam: &'static str,
    /// Notice: a moderator switched microphone and camera off.
    pub turned_off_both: &'static str,
}

impl ModerationTexts {
    /// Fills the `{}` of a pattern.
    pub fn fill(pattern: &str, value: &str) -> String {
        pattern.replacen("{}", value, 1)
    }
}

const MOD_DE: ModerationTexts = ModerationTexts {
    organiser_password_label: "Organisationspasswort",
    organiser_password_submit: "Meeting erstellen",
    new_meeting_failed: "Das Meeting konnte nicht erstellt werden. Bitte später erneut versuchen.",
    moderator: "Moderation",
    moderator_menu: "Moderation",
    mute_all: "Alle stummschalten",
    lock: "Meeting sperren",
    unlock: "Meeting entsperren",
    lobby_on: "Warteraum einschalten",
    lobby_off: "Warteraum ausschalten",
    meeting_password: "Meeting-Passwort",
    set_password: "Passwort setzen",
    clear_password: "Passwort entfernen",
    end_for_all: "Meeting für alle beenden",
    end_for_all_confirm: "Das Meeting für alle beenden? Namen, Chat und Dateien werden sofort gelöscht.",
    confirm: "Bestätigen",
    cancel: "Abbrechen",
    copy_link: "Teilnahmelink kopieren",
    copy_moderator_link: "Moderationslink kopieren",
    copied: "Link kopiert.",
    copy_failed: "Kopieren nicht möglich. Der Link:",
    actions_for: "Moderation für {}",
    action_mute: "Stummschalten",
    action_stop_video: "Video stoppen",
    action_ask_unmute: "Um Einschalten des Mikrofons bitten",
    action_make_moderator: "Zur Moderation machen",
    action_remove: "Entfernen",
    action_ban: "Entfernen und sperren",
    remove_confirm: "{} aus dem Meeting entfernen?",
    ban_confirm: "{} entfernen und für dieses Meeting sperren?",
    lobby_title: "Warteraum",
    lobby_waiting: "{} warten",
    admit: "Einlassen",
    deny: "Ablehnen",
    knock_of: "{} im Warteraum",
    state_locked: "Gesperrt",
    state_lobby: "Warteraum",
    state_password: "Passwort",
    state_label: "Zugang zum Meeting",
    waiting_title: "Warteraum",
    waiting_text: "Die Moderation lässt Sie gleich herein.",
    waiting_leave: "Verlassen",
    removed_title: "Sie wurden aus dem Meeting entfernt.",
    removed_text: "Eine Moderatorin oder ein Moderator hat Sie entfernt.",
    banned_text: "Eine Moderatorin oder ein Moderator hat Sie entfernt; Sie können diesem Meeting nicht wieder beitreten.",
    password_title: "Dieses Meeting hat ein Passwort.",
    password_label: "Passwort",
    password_submit: "Mit Passwort beitreten",
    unmute_asked: "Die Moderation bittet Sie, Ihr Mikrofon einzuschalten.",
    unmute_now: "Mikrofon einschalten",
    not_now: "Nicht jetzt",
    turned_off_mic: "Die Moderation hat Ihr Mikrofon ausgeschaltet.",
    turned_off_cam: "Die Moderation hat Ihre Kamera ausgeschaltet.",
    turned_off_both: "Die Moderation hat Ihr Mikrofon und Ihre Kamera ausgeschaltet.",
};

const MOD_EN: ModerationTexts = ModerationTexts {
    organiser_password_label: "Organiser password",
    organiser_password_submit: "Create meeting",
    new_meeting_failed: "The meeting could not be created. Please try again later.",
    moderator: "Moderator",
    moderator_menu: "Moderator",
    mute_all: "Mute everyone",
    lock: "Lock meeting",
    unlock: "Unlock meeting",
    lobby_on: "Turn lobby on",
    lobby_off: "Turn lobby off",
    meeting_password: "Meeting password",
    set_password: "Set password",
    clear_password: "Clear password",
    end_for_all: "End meeting for all",
    end_for_all_confirm: "End the meeting for everyone? Names, chat and files are deleted at once.",
    confirm: "Confirm",
    cancel: "Cancel",
    copy_link: "Copy participant link",
    copy_moderator_link: "Copy moderator link",
    copied: "Link copied.",
    copy_failed: "Could not copy. The link:",
    actions_for: "Moderation for {}",
    action_mute: "Mute",
    action_stop_video: "Stop video",
    action_ask_unmute: "Ask to unmute",
    action_make_moderator: "Make moderator",
    action_remove: "Remove",
    action_ban: "Remove and ban",
    remove_confirm: "Remove {} from the meeting?",
    ban_confirm: "Remove {} and ban them from this meeting?",
    lobby_title: "Lobby",
    lobby_waiting: "{} waiting",
    admit: "Admit",
    deny: "Deny",
    knock_of: "{} in the lobby",
    state_locked: "Locked",
    state_lobby: "Lobby",
    state_password: "Password",
    state_label: "Meeting access",
    waiting_title: "Lobby",
    waiting_text: "The moderator will let you in shortly.",
    waiting_leave: "Leave",
    removed_title: "You were removed from the meeting.",
    removed_text: "A moderator removed you.",
    banned_text: "A moderator removed you; you cannot join this meeting again.",
    password_title: "This meeting has a password.",
    password_label: "Password",
    password_submit: "Join with password",
    unmute_asked: "The moderator asks you to unmute your microphone.",
    unmute_now: "Unmute",
    not_now: "Not now",
    turned_off_mic: "A moderator turned your microphone off.",
    turned_off_cam: "A moderator turned your camera off.",
    turned_off_both: "A moderator turned your microphone and camera off.",
};

/// The moderation strings of the active language.
pub fn mod_texts() -> &'static ModerationTexts {
    match use_context::<Lang>().unwrap_or(Lang::De) {
        Lang::De => &MOD_DE,
        Lang::En => &MOD_EN,
    }
}

/// The strings of recording and consent, in one language. `{}` marks where a name or number goes
/// (see [`ModerationTexts::fill`]).
pub struct RecordingTexts {
    /// The indicator while capture runs.
    pub running: &'static str,
    /// The indicator while the recording exists but capture is paused.
    pub paused: &'static str,
    /// How many answers are missing before it runs ("{}": the number).
    pub waiting_for: &'static str,
    /// Label of the recording bar (a region).
    pub bar_label: &'static str,
    /// The question, as the dialog's heading.
    pub question: &'static str,
    /// What the question means.
    pub question_text: &'static str,
    /// "Record me."
    pub yes: &'static str,
    /// "Do not record me."
    pub no: &'static str,
    /// Closing the question without answering.
    pub later: &'static str,
    /// Our own answer: yes.
    pub you_yes: &'static str,
    /// Our own answer: no.
    pub you_no: &'static str,
    /// Our own answer: none yet.
    pub you_none: &'static str,
    /// Withdraw our yes.
    pub withdraw: &'static str,
    /// Give our yes (after a no).
    pub agree: &'static str,
    /// A participant's answer in the participants panel: yes.
    pub answer_yes: &'static str,
    /// ... no.
    pub answer_no: &'static str,
    /// ... none.
    pub answer_none: &'static str,
    /// Moderator: propose a recording.
    pub propose: &'static str,
    /// Moderator: stop it.
    pub stop: &'static str,
    /// Event: "{}" proposed a recording.
    pub proposed_by: &'static str,
    /// Event: "{}" agreed.
    pub agreed: &'static str,
    /// Event: "{}" said no (or withdrew).
    pub declined: &'static str,
    /// Event: "{}" joined and has not answered.
    pub arrived: &'static str,
    /// Event: "{}" left.
    pub departed: &'static str,
    /// Event: "{}" stopped the recording.
    pub stopped_by: &'static str,
    /// Event: the recording stopped with the meeting.
    pub stopped: &'static str,
    /// Pre-join: a recording exists.
    pub prejoin_notice: &'static str,
    /// Output job: queued.
    pub job_queued: &'static str,
    /// Output job: processing ("{}": percent).
    pub job_processing: &'static str,
    /// Output job: failed.
    pub job_failed: &'static str,
    /// Output job: ready, heading of its downloads.
    pub job_done: &'static str,
    /// Output job: capture never ran, so nothing was kept.
    pub job_discarded: &'static str,
    /// The recordings page's title.
    pub page_title: &'static str,
    /// The link to it from a moderator's pre-join page.
    pub page_link: &'static str,
    /// Nothing recorded.
    pub page_empty: &'static str,
    /// The page needs the moderator link.
    pub page_unauthorized: &'static str,
    /// Loading failed.
    pub page_failed: &'static str,
    /// Column: when.
    pub col_started: &'static str,
    /// Column: length.
    pub col_duration: &'static str,
    /// Column: deleted on.
    pub col_expires: &'static str,
    /// Column: files.
    pub col_files: &'static str,
    /// Delete now.
    pub delete_now: &'static str,
    /// Its confirmation.
    pub delete_confirm: &'static str,
    /// What a recording contains and how long it is kept.
    pub page_note: &'static str,
}

const REC_DE: RecordingTexts = RecordingTexts {
    running: "Aufnahme läuft",
    paused: "Aufnahme pausiert",
    waiting_for: "wartet auf {} Zustimmung(en)",
    bar_label: "Aufnahme",
    question: "Möchten Sie aufgenommen werden?",
    question_text: "Die Moderation möchte dieses Meeting aufnehmen (Video, Ton, Bildschirm und öffentlicher Chat). Aufgenommen wird nur, solange alle Anwesenden zustimmen. Ohne Antwort wird nicht aufgenommen. Sie können Ihre Zustimmung jederzeit zurückziehen.",
    yes: "Mich aufnehmen",
    no: "Mich nicht aufnehmen",
    later: "Später entscheiden",
    you_yes: "Sie: zugestimmt",
    you_no: "Sie: abgelehnt",
    you_none: "Sie: noch keine Antwort",
    withdraw: "Zustimmung zurückziehen",
    agree: "Zustimmen",
    answer_yes: "Aufnahme: ja",
    answer_no: "Aufnahme: nein",
    answer_none: "Aufnahme: keine Antwort",
    propose: "Aufnahme vorschlagen",
    stop: "Aufnahme beenden",
    proposed_by: "{} schlägt eine Aufnahme vor.",
    agreed: "{} stimmt der Aufnahme zu.",
    declined: "{} möchte nicht aufgenommen werden.",
    arrived: "{} ist dazugekommen; die Aufnahme wartet auf die Antwort.",
    departed: "{} hat das Meeting verlassen.",
    stopped_by: "{} hat die Aufnahme beendet.",
    stopped: "Die Aufnahme wurde beendet.",
    prejoin_notice: "In diesem Meeting gibt es eine Aufnahme. Nach dem Beitreten werden Sie gefragt, ob Sie aufgenommen werden möchten; vor Ihrer Zustimmung wird nichts von Ihnen aufgenommen.",
    job_queued: "Aufnahme wartet auf die Verarbeitung",
    job_processing: "Aufnahme wird verarbeitet: {} %",
    job_failed: "Die Verarbeitung der Aufnahme ist fehlgeschlagen.",
    job_done: "Aufnahme fertig:",
    job_discarded: "Es wurde nichts aufgenommen, weil nie alle zugestimmt haben; es wurde nichts gespeichert.",
    page_title: "Aufnahmen dieses Meetings",
    page_link: "Aufnahmen dieses Meetings",
    page_empty: "Keine Aufnahmen.",
    page_unauthorized: "Diese Seite ist nur über den Moderationslink erreichbar.",
    page_failed: "Die Aufnahmen konnten nicht geladen werden.",
    col_started: "Beginn",
    col_duration: "Länge",
    col_expires: "Wird gelöscht am",
    col_files: "Dateien",
    delete_now: "Jetzt löschen",
    delete_confirm: "Diese Aufnahme jetzt endgültig löschen?",
    page_note: "Jede Aufnahme besteht aus einem Video (MP4), dem Ton (M4A), dem öffentlichen Chat (Text) und dem Nachweis, wer wann zugestimmt hat (JSON). Sie wird nach Ablauf der Aufbewahrungsfrist automatisch gelöscht.",
};

const REC_EN: RecordingTexts = RecordingTexts {
    running: "Recording",
    paused: "Recording paused",
    waiting_for: "waiting for {} answer(s)",
    bar_label: "Recording",
    question: "Do you want to be recorded?",
    question_text: "The moderator would like to record this meeting (video, sound, shared screens and the public chat). It is recorded only while everyone present agrees. Without an answer nothing is recorded. You can withdraw your consent at any time.",
    yes: "Record me",
    no: "Do not record me",
    later: "Decide later",
    you_yes: "You: agreed",
    you_no: "You: declined",
    you_none: "You: no answer yet",
    withdraw: "Withdraw my consent",
    agree: "Agree",
    answer_yes: "Recording: yes",
    answer_no: "Recording: no",
    answer_none: "Recording: no answer",
    propose: "Propose a recording",
    stop: "Stop the recording",
    proposed_by: "{} proposes to record this meeting.",
    agreed: "{} agrees to be recorded.",
    declined: "{} does not want to be recorded.",
    arrived: "{} joined; the recording waits for their answer.",
    departed: "{} left the meeting.",
    stopped_by: "{} stopped the recording.",
    stopped: "The recording stopped.",
    prejoin_notice: "This meeting has a recording. After joining you will be asked whether you want to be recorded; nothing of you is recorded before you agree.",
    job_queued: "The recording waits to be processed",
    job_processing: "The recording is being processed: {} %",
    job_failed: "Processing the recording failed.",
    job_done: "Recording ready:",
    job_discarded: "Nothing was recorded, as not everyone agreed at any time; nothing was kept.",
    page_title: "Recordings of this meeting",
    page_link: "Recordings of this meeting",
    page_empty: "No recordings.",
    page_unauthorized: "This page opens only with the moderator link.",
    page_failed: "The recordings could not be loaded.",
    col_started: "Started",
    col_duration: "Length",
    col_expires: "Deleted on",
    col_files: "Files",
    delete_now: "Delete now",
    delete_confirm: "Delete this recording for good now?",
    page_note: "Each recording consists of a video (MP4), the sound (M4A), the public chat (text) and the record of who agreed when (JSON). It is deleted automatically when its retention period ends.",
};

/// The recording strings of the active language.
pub fn rec_texts() -> &'static RecordingTexts {
    match use_context::<Lang>().unwrap_or(Lang::De) {
        Lang::De => &REC_DE,
        Lang::En => &REC_EN,
    }
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
