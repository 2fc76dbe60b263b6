//! The chat as this participant holds it: the messages they may see, the composer's state, and the
//! chat's plain-text forms (file sizes, the `.txt` transcript).
//!
//! Invariants:
//! - A message enters [`ChatUi::entries`] only when the server sent it (our own ones as the server's
//!   echo), so the list shows exactly what the server accepted and stamped, never a local guess.
//! - Message text, names and file names are only ever rendered as text (Leptos text nodes, a plain
//!   `.txt`): never as HTML, never as a link, never fetched, so a URL in a message stays inert.
//! - Everything here lives in this page's memory only and is gone with the room component; the
//!   transcript is built in the browser and never sent anywhere.

use leptos::prelude::*;
use treff_shared::{Attachment, ChatMessage, ErrorCode, Limits, MessageId, ParticipantId};
use web_sys::File;

use crate::i18n::Texts;

/// The reactive chat state of a room, all `Copy` signal handles; made (with `default`, all empty)
/// inside the room component so the signals are owned by it.
#[derive(Clone, Copy, Default)]
pub struct ChatUi {
    /// The messages this participant may see, in the server's order.
    pub entries: RwSignal<Vec<ChatEntry>>,
    /// The chat panel is open.
    pub open: RwSignal<bool>,
    /// Messages of others that arrived while the panel was closed.
    pub unread: RwSignal<usize>,
    /// The text in the composer.
    pub draft: RwSignal<String>,
    /// Who the next message goes to: `None` for everyone.
    pub recipient: RwSignal<Option<Recipient>>,
    /// What went wrong with the latest message, upload or download, shown by the composer.
    pub problem: RwSignal<Option<ChatProblem>>,
    /// The running upload, while there is one.
    pub upload: RwSignal<Option<UploadProgress>>,
}

impl ChatUi {
    /// A participant's new name on their messages.
    pub fn rename(&self, id: ParticipantId, name: &str) {
        self.entries.update(|entries| {
            for e in entries.iter_mut().filter(|e| e.message.from == id) {
                e.message.name = name.to_owned();
            }
        });
    }

    /// Its author erased a message: it goes from the list.
    pub fn erase(&self, id: MessageId) {
        self.entries
            .update(|entries| entries.retain(|e| e.message.id != id));
    }

    /// Adds messages from the server; counts those of others as unread while the panel is closed.
    /// A message already held (same id) is not added twice.
    pub fn receive(&self, messages: impl IntoIterator<Item = ChatEntry>) {
        let open = self.open.get_untracked();
        let mut unread = 0;
        self.entries.update(|entries| {
            for entry in messages {
                if entries.iter().any(|e| e.message.id == entry.message.id) {
                    continue;
                }
                if !entry.own {
                    unread += 1;
                }
                entries.push(entry);
            }
        });
        if !open && unread > 0 {
            self.unread.update(|n| *n += unread);
        }
    }

    /// Opens or closes the panel; opening marks everything as read.
    pub fn set_open(&self, open: bool) {
        self.open.set(open);
        if open {
            self.unread.set(0);
        }
    }
}

/// What the chat components ask of the session.
#[derive(Clone, Copy)]
pub struct ChatActions {
    /// Send the draft to the chosen recipient.
    pub send: Callback<()>,
    /// Upload a file, then send it with the draft to the chosen recipient.
    pub send_file: Callback<File>,
    /// Fetch an attachment and hand it to the person as a download.
    pub download: Callback<Attachment>,
    /// Erase one of our own messages for everyone.
    pub erase: Callback<MessageId>,
}

/// The chosen addressee of private messages. The name is kept so the composer can still say who
/// it was after they left (and the browser refuses to send to them, rather than to everyone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// Their id.
    pub id: ParticipantId,
    /// Their name when chosen.
    pub name: String,
}

/// How far an upload is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UploadProgress {
    /// Bytes sent so far.
    pub sent: u64,
    /// Bytes in all.
    pub total: u64,
}

/// A problem shown under the composer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatProblem {
    /// Refused, by the server (over the socket or `/api`) or already by the browser's own check of
    /// the same limits.
    Refused(ErrorCode),
    /// The upload got no answer (network, or aborted).
    UploadFailed,
    /// The download got no answer (network).
    DownloadFailed,
}

impl ChatProblem {
    /// The message to show. Limits are the defaults: the browser knows no others, and a server
    /// configured with other ones still says so with its own refusal.
    pub fn text(self, t: &Texts) -> String {
        let limits = Limits::default();
        match self {
            Self::Refused(ErrorCode::ChatTooLong) => format!(
                "{} {}",
                t.err_chat_too_long,
                t.chat_max_chars_hint
                    .replace("{max}", &limits.chat_max_chars.to_string())
            ),
            Self::Refused(ErrorCode::FileTooLarge) => format!(
                "{} {}",
                t.err_file_too_large,
                t.chat_max_size_hint.replace(
                    "{max}",
                    &human_size(limits.attachment_max_bytes, t.decimal_separator)
                )
            ),
            Self::Refused(code) => t.error(code).to_owned(),
            Self::UploadFailed => t.chat_upload_failed.to_owned(),
            Self::DownloadFailed => t.chat_download_failed.to_owned(),
        }
    }
}

/// Who a private message went to, from this participant's point of view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivateTo {
    /// To us.
    You,
    /// From us to someone else, by their name when it was sent (`None` if they had already left).
    Other(Option<String>),
}

impl PrivateTo {
    /// "private to Bob", "private to you".
    pub fn label(&self, t: &Texts) -> String {
        match self {
            Self::You => t.chat_private_to_you.to_owned(),
            Self::Other(name) => t.private_to(name.as_deref().unwrap_or(t.chat_someone)),
        }
    }
}

/// A message as this participant holds it: the server's message plus what it means to us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatEntry {
    /// The message as the server stamped it.
    pub message: ChatMessage,
    /// We sent it.
    pub own: bool,
    /// `Some` for a private message.
    pub private: Option<PrivateTo>,
}

impl ChatEntry {
    /// Reads a server message for participant `me`; `name_of` tells the names of those present,
    /// so a private message names its recipient even after they left.
    pub fn new(
        message: ChatMessage,
        me: Option<ParticipantId>,
        name_of: impl Fn(ParticipantId) -> Option<String>,
    ) -> Self {
        let own = Some(message.from) == me;
        let private = message.to.map(|to| {
            if Some(to) == me {
                PrivateTo::You
            } else {
                PrivateTo::Other(name_of(to))
            }
        });
        Self {
            message,
            own,
            private,
        }
    }
}

/// A file size for people: `512 B`, `200 KB`, `1,5 MB` (binary multiples, one decimal below ten).
///
/// Integer arithmetic in tenths of the unit, rounded half up: exact, and it keeps Rust's float
/// formatting out of the wasm every participant downloads (6.7 kB brotli, see the README).
pub fn human_size(bytes: u64, decimal_separator: char) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut divisor: u64 = 1024;
    while bytes / divisor >= 1024 && unit + 1 < UNITS.len() {
        divisor *= 1024;
        unit += 1;
    }
    // Sizes are far below 2^60 bytes, so ten times one fits in a u64.
    let rounded = |scale: u64| (bytes.saturating_mul(scale) + divisor / 2) / divisor;
    if bytes < 10 * divisor {
        let tenths = rounded(10);
        format!(
            "{}{decimal_separator}{} {}",
            tenths / 10,
            tenths % 10,
            UNITS[unit]
        )
    } else {
        format!("{} {}", rounded(1), UNITS[unit])
    }
}

/// The chat as a plain-text file: a heading with the meeting's date, then one line per message,
/// `[HH:MM] Name: text`, private messages and attachments marked. `clock` gives a message's local
/// `HH:MM`.
pub fn transcript(
    entries: &[ChatEntry],
    t: &Texts,
    date: &str,
    clock: impl Fn(u64) -> String,
) -> String {
    let mut out = format!(
        "{}\n{}\n\n",
        t.chat_transcript_title,
        t.transcript_date(date)
    );
    for entry in entries {
        let m = &entry.message;
        out.push_str(&format!("[{}] {}", clock(m.sent_at_ms), m.name));
        if let Some(private) = &entry.private {
            out.push_str(&format!(" ({})", private.label(t)));
        }
        out.push(':');
        if !m.text.is_empty() {
            // Continuation lines are indented, so no text can pass for a message line of its own
            // (those start with "[").
            out.push(' ');
            out.push_str(&m.text.replace('\n', "\n    "));
        }
        if let Some(a) = &m.attachment {
            out.push_str(&format!(
                " [{}: {}, {}]",
                t.chat_file,
                a.name,
                human_size(a.size, t.decimal_separator)
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{DE, EN};
    use treff_shared::{Attachment, AttachmentId, MessageId};

    fn message(id: u64, from: u64, to: Option<u64>, text: &str) -> ChatMessage {
        ChatMessage {
            id: MessageId(id),
            from: ParticipantId(from),
            name: format!("P{from}"),
            to: to.map(ParticipantId),
            text: text.to_owned(),
            sent_at_ms: id * 60_000,
            attachment: None,
        }
    }

    fn names(id: ParticipantId) -> Option<String> {
        (id.0 == 2).then(|| "Bob".to_owned())
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(0, '.'), "0 B");
        assert_eq!(human_size(1023, '.'), "1023 B");
        assert_eq!(human_size(1536, ','), "1,5 KB");
        assert_eq!(human_size(200 * 1024, '.'), "200 KB");
        assert_eq!(human_size(25 * 1024 * 1024, ','), "25 MB");
        // Rounding to tenths below ten, to whole units above, and the unit chosen before rounding.
        assert_eq!(human_size(1024 * 1024 - 1, '.'), "1024 KB");
        assert_eq!(human_size(10 * 1024 - 52, '.'), "9.9 KB");
        assert_eq!(human_size(10 * 1024 - 51, '.'), "10.0 KB");
        assert_eq!(
            human_size(3 * 1024 * 1024 * 1024 * 1024 * 1024, '.'),
            "3072 TB"
        );
    }

    #[test]
    fn private_messages_know_their_direction() {
        let me = Some(ParticipantId(1));
        let sent = ChatEntry::new(message(1, 1, Some(2), "hi"), me, names);
        assert!(sent.own);
        assert_eq!(sent.private, Some(PrivateTo::Other(Some("Bob".to_owned()))));
        let received = ChatEntry::new(message(2, 2, Some(1), "hi"), me, names);
        assert!(!received.own);
        assert_eq!(received.private, Some(PrivateTo::You));
        let public = ChatEntry::new(message(3, 2, None, "hi"), me, names);
        assert_eq!(public.private, None);
    }

    #[test]
    fn the_transcript_has_one_line_per_message_and_no_forged_lines() {
        let me = Some(ParticipantId(1));
        let mut with_file = message(3, 2, None, "");
        with_file.attachment = Some(Attachment {
            id: AttachmentId::from_random([1; 16]),
            name: "Bericht.pdf".to_owned(),
            size: 1536,
        });
        let entries = [
            ChatEntry::new(message(1, 1, None, "Hallo\n[00:09] P9: forged"), me, names),
            ChatEntry::new(message(2, 1, Some(2), "psst"), me, names),
            ChatEntry::new(with_file, me, names),
        ];
        let clock = |ms: u64| format!("00:{:02}", ms / 60_000);
        assert_eq!(
            transcript(&entries, &EN, "1 May 2026", clock),
            "Treff – chat transcript\nMeeting on 1 May 2026\n\n\
             [00:01] P1: Hallo\n    [00:09] P9: forged\n\
             [00:02] P1 (private to Bob): psst\n\
             [00:03] P2: [file: Bericht.pdf, 1.5 KB]\n"
        );
        assert!(
            transcript(&entries, &DE, "1.5.2026", clock).contains("[Datei: Bericht.pdf, 1,5 KB]")
        );
    }
}
