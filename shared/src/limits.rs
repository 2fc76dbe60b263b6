//! Every limit of the system in one place, each default with the reason for its value.
//!
//! The server enforces them at the transport (WebSocket message and frame size, queue lengths, rates)
//! and not only in handlers; the browser uses the same numbers to refuse bad input before sending it.
//! They can be overridden in the server's TOML file under `[limits]`.

use serde::{Deserialize, Serialize};

/// The limits, with documented defaults. Durations are whole milliseconds so the TOML stays plain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest WebSocket message the server accepts, in bytes. The biggest message is an SDP answer:
    /// about 1 KiB per m-line, two m-lines per participant, so 256 KiB carries a full room with room to
    /// spare while bounding what one socket can make the server buffer.
    pub ws_max_message_bytes: usize,
    /// Largest single WebSocket frame, in bytes. Equal to the message limit: browsers do not fragment.
    pub ws_max_frame_bytes: usize,
    /// Messages queued towards one client before it counts as too slow and is disconnected: a slow
    /// client is dropped, never waited for, so it cannot stall the room task.
    pub ws_send_queue: usize,
    /// Client messages per second one socket may send (averaged over a second, bursts up to this many).
    /// A person's clicks and the SDP exchange stay far below; a flood is closed.
    pub ws_messages_per_second: u32,
    /// WebSocket connections the server holds at once: every room full (`max_rooms` ×
    /// `room_max_participants` would be 4000) is not a real load for one small server, 2000 sockets
    /// are (each holds a queue and a task); beyond it new ones get 503 and nobody else notices.
    pub ws_max_connections: usize,
    /// WebSocket connections from one client address at once: an office behind one NAT address
    /// fills a meeting (20) and then some; one machine cannot take the whole server's share.
    pub ws_max_connections_per_address: usize,
    /// How often the server pings every WebSocket, in milliseconds: well below the idle timeouts of
    /// proxies (nginx: 60 s), and often enough to notice a dead client within `peer_timeout_ms`.
    pub ws_ping_interval_ms: u64,
    /// A socket from which nothing (no message, no pong) came for this long, in milliseconds, is
    /// dead: a joined participant leaves and the others see it. A Wi-Fi hiccup is shorter; a laptop
    /// closed mid-meeting is noticed within 30 s instead of after TCP's many minutes.
    pub peer_timeout_ms: u64,
    /// How long a participant whose socket dropped stays in the meeting as "reconnecting", in
    /// milliseconds: a Wi-Fi switch, a laptop lid or a proxy's idle timeout is over within a minute,
    /// and the person comes back as themselves (same tile, chat, hand, recording answer). Longer
    /// keeps a vanished participant's tile around for nothing. 0: no resume, a drop is a leave.
    pub resume_window_ms: u64,
    /// Time a new socket has to send `Hello` and `Join`, in milliseconds. Bounds idle sockets.
    pub join_timeout_ms: u64,
    /// Longest display name, in characters (Unicode scalar values). Long enough for any real name,
    /// short enough to fit a tile.
    pub name_max_chars: usize,
    /// Participants in one room. Every participant receives every other one's audio and video, so
    /// forwarding grows with the square of this number; 20 keeps a 2-core server below saturation.
    pub room_max_participants: usize,
    /// Cameras each participant receives in a large room (last-N): those who spoke last, and the
    /// one they show large. The others' tiles show their name until they speak; their voices are
    /// always heard. Eight tiles fill a laptop screen; the downlink and the browser's decoders stay
    /// at what a meeting of nine takes, however many more join.
    pub last_n: usize,
    /// Last-N applies in rooms of more than this many participants: below, a grid shows everyone
    /// large enough to recognise, and every camera is received.
    pub last_n_above: usize,
    /// Rooms the server holds at once: bounds memory and UDP load against someone opening rooms in a loop.
    pub max_rooms: usize,
    /// Longest chat message, in characters. A long paragraph fits; a pasted document belongs in an
    /// attachment.
    pub chat_max_chars: usize,
    /// Chat messages one participant may send in a burst before the rate applies.
    pub chat_burst: u32,
    /// Chat messages one participant may send per minute on average: a fast typist stays below it,
    /// a script flooding everyone's screen does not.
    pub chat_messages_per_minute: u32,
    /// Messages a conference's chat holds. Everything stays in memory until the end (R8), and a late
    /// joiner receives it all at once, so it is bounded; a real meeting stays far below.
    pub chat_history_max_messages: usize,
    /// Largest attachment, in bytes (25 MiB): documents and photos, not videos.
    pub attachment_max_bytes: u64,
    /// All attachments of one conference together, in bytes (200 MiB): bounds the temp directory per
    /// meeting.
    pub conference_attachments_max_bytes: u64,
    /// All attachments one participant uploads to a conference together, in bytes (100 MiB): half
    /// the conference's budget, so one participant cannot use up everyone's.
    pub participant_attachments_max_bytes: u64,
    /// Reactions one participant may send in a burst, and per minute on average: enough to applaud,
    /// not enough to bury everyone's screen in emoji.
    pub reactions_burst: u32,
    /// See `reactions_burst`.
    pub reactions_per_minute: u32,
    /// How long an empty room is kept before the conference ends, in milliseconds. A page reload or
    /// a short network loss of the last participant must not end the meeting and delete its chat.
    pub empty_room_grace_ms: u64,
    /// Entries a conference's session log holds (R7: joins, leaves, uploads, downloads, each about
    /// 200 bytes). It lives in memory until the end, so it is bounded; a 20-person meeting that
    /// shares files busily stays far below. Entries beyond it are counted, not kept.
    pub session_log_max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            ws_max_message_bytes: 256 * 1024,
            ws_max_frame_bytes: 256 * 1024,
            ws_send_queue: 256,
            ws_messages_per_second: 50,
            ws_max_connections: 2000,
            ws_max_connections_per_address: 50,
            ws_ping_interval_ms: 10_000,
            peer_timeout_ms: 30_000,
            resume_window_ms: 60_000,
            join_timeout_ms: 10_000,
            name_max_chars: 64,
            room_max_participants: 20,
            last_n: 8,
            last_n_above: 10,
            max_rooms: 200,
            chat_max_chars: 4000,
            chat_burst: 10,
            chat_messages_per_minute: 60,
            chat_history_max_messages: 5000,
            attachment_max_bytes: 25 * 1024 * 1024,
            conference_attachments_max_bytes: 200 * 1024 * 1024,
            participant_attachments_max_bytes: 100 * 1024 * 1024,
            empty_room_grace_ms: 60_000,
            session_log_max_entries: 10_000,
            reactions_burst: 5,
            reactions_per_minute: 30,
        }
    }
}

/// Why a display name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// Nothing but white space.
    Empty,
    /// More than [`Limits::name_max_chars`] characters.
    TooLong,
    /// Control characters (line breaks, escapes) that could forge lines in a chat transcript.
    ControlCharacter,
}

/// Why a chat message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatTextError {
    /// Nothing but white space and no attachment.
    Empty,
    /// More than [`Limits::chat_max_chars`] characters.
    TooLong,
}

impl Limits {
    /// Checks a chat message's text and returns it with surrounding white space and carriage returns
    /// removed. Line breaks and tabs stay; other control characters are dropped, since they could
    /// forge lines or colours in a transcript. An empty text is fine when a file is attached.
    pub fn check_chat_text(
        &self,
        text: &str,
        has_attachment: bool,
    ) -> Result<String, ChatTextError> {
        let text: String = text
            .trim()
            .chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .collect();
        if text.is_empty() && !has_attachment {
            return Err(ChatTextError::Empty);
        }
        if text.chars().count() > self.chat_max_chars {
            return Err(ChatTextError::TooLong);
        }
        Ok(text)
    }

    /// Checks a display name (R2: participants choose their own) and returns it trimmed.
    pub fn check_name(&self, name: &str) -> Result<String, NameError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.chars().count() > self.name_max_chars {
            return Err(NameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(NameError::ControlCharacter);
        }
        Ok(name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        let l = Limits::default();
        assert_eq!(l.check_name("  Anna  "), Ok("Anna".to_owned()));
        assert_eq!(l.check_name("   "), Err(NameError::Empty));
        assert_eq!(l.check_name(&"x".repeat(65)), Err(NameError::TooLong));
        assert_eq!(
            l.check_name(&"ä".repeat(64)).map(|n| n.chars().count()),
            Ok(64)
        );
        assert_eq!(l.check_name("a\nb"), Err(NameError::ControlCharacter));
    }

    #[test]
    fn chat_text_is_trimmed_and_checked() {
        let l = Limits::default();
        assert_eq!(
            l.check_chat_text("  hi\r\nyou \u{1b}[31m ", false),
            Ok("hi\nyou [31m".to_owned())
        );
        assert_eq!(l.check_chat_text(" \n ", false), Err(ChatTextError::Empty));
        assert_eq!(l.check_chat_text("", true), Ok(String::new()));
        assert_eq!(
            l.check_chat_text(&"x".repeat(4001), false),
            Err(ChatTextError::TooLong)
        );
        assert_eq!(
            l.check_chat_text(&"ü".repeat(4000), false)
                .map(|t| t.chars().count()),
            Ok(4000)
        );
    }

    #[test]
    fn limits_read_partially_from_toml_like_json() {
        let l: Limits = serde_json::from_str(r#"{"room_max_participants": 3}"#).expect("valid");
        assert_eq!(l.room_max_participants, 3);
        assert_eq!(l.name_max_chars, Limits::default().name_max_chars);
        assert!(serde_json::from_str::<Limits>(r#"{"no_such_limit": 1}"#).is_err());
    }
}
