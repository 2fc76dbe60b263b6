//! A conference's chat (R3): the history, who may see which message, and the per-participant rate.
//!
//! Sans-IO: the room calls it with the time and the already stamped sender; it answers with the
//! message to deliver or the user error for the sender. Invariants:
//! - The sender, their name and the time come from the room, never from the client.
//! - A private message is visible to its sender and its addressee only, in history too.
//! - Everything here is memory only and goes with the conference (R8); only the count of messages
//!   outlives it, in the deletion receipt.

use std::collections::HashMap;
use std::time::Instant;

use crate::rate::TokenBucket;
use treff_shared::limits::ChatTextError;
use treff_shared::{Attachment, ChatMessage, ErrorCode, Limits, MessageId, ParticipantId};

/// A message to file, with everything the room already checked.
pub struct Post<'a> {
    /// The stamped sender.
    pub from: ParticipantId,
    /// The sender's current name.
    pub name: &'a str,
    /// The addressee (present in the room, checked by the room), or `None` for everyone.
    pub to: Option<ParticipantId>,
    /// The attachment, already claimed by the room for this message.
    pub attachment: Option<Attachment>,
    /// Server wall time, milliseconds since the Unix epoch.
    pub sent_at_ms: u64,
}

/// The chat of one conference.
pub struct Chat {
    limits: Limits,
    messages: Vec<ChatMessage>,
    /// The next message's id: ids are never reused, also after an erasure.
    next_id: u64,
    rates: HashMap<ParticipantId, TokenBucket>,
}

impl Chat {
    /// An empty chat.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            messages: Vec::new(),
            next_id: 1,
            rates: HashMap::new(),
        }
    }

    /// Checks text, rate and capacity without filing anything (so the room can claim an attachment
    /// only for a message that will be accepted).
    pub fn check(
        &mut self,
        now: Instant,
        from: ParticipantId,
        text: &str,
        has_attachment: bool,
    ) -> Result<String, ErrorCode> {
        let text = self
            .limits
            .check_chat_text(text, has_attachment)
            .map_err(|e| match e {
                ChatTextError::Empty => ErrorCode::ChatEmpty,
                ChatTextError::TooLong => ErrorCode::ChatTooLong,
            })?;
        if self.messages.len() >= self.limits.chat_history_max_messages {
            return Err(ErrorCode::ChatFull);
        }
        let (burst, per_minute) = (self.limits.chat_burst, self.limits.chat_messages_per_minute);
        let bucket = self
            .rates
            .entry(from)
            .or_insert_with(|| TokenBucket::new(now, burst, f64::from(per_minute) / 60.0));
        if !bucket.take(now) {
            return Err(ErrorCode::ChatRateLimited);
        }
        Ok(text)
    }

    /// Files a message whose text passed [`Chat::check`] and returns it as delivered.
    pub fn post(&mut self, post: Post<'_>, checked_text: String) -> ChatMessage {
        let id = MessageId(self.next_id);
        self.next_id += 1;
        let message = ChatMessage {
            id,
            from: post.from,
            name: post.name.to_owned(),
            to: post.to,
            text: checked_text,
            sent_at_ms: post.sent_at_ms,
            attachment: post.attachment,
        };
        self.messages.push(message.clone());
        message
    }

    /// The history `viewer` may see: everything to everyone, and their own private conversations.
    pub fn visible_to(&self, viewer: ParticipantId) -> Vec<ChatMessage> {
        self.messages
            .iter()
            .filter(|m| may_see(m, viewer))
            .cloned()
            .collect()
    }

    /// The messages `author` sent (to everyone or privately), oldest first.
    pub fn sent_by(&self, author: ParticipantId) -> Vec<ChatMessage> {
        self.messages
            .iter()
            .filter(|m| m.from == author)
            .cloned()
            .collect()
    }

    /// `author` renamed themselves: their messages carry the new name (rectification, R10).
    pub fn rename(&mut self, author: ParticipantId, name: &str) {
        for m in self.messages.iter_mut().filter(|m| m.from == author) {
            m.name = name.to_owned();
        }
    }

    /// Erases `author`'s message `id` from the history and returns it (its audience is told, its
    /// file deleted), or `UnknownMessage` if `author` wrote no such message.
    pub fn erase(
        &mut self,
        id: MessageId,
        author: ParticipantId,
    ) -> Result<ChatMessage, ErrorCode> {
        let at = self
            .messages
            .iter()
            .position(|m| m.id == id && m.from == author)
            .ok_or(ErrorCode::UnknownMessage)?;
        Ok(self.messages.remove(at))
    }

    /// The participant left: their rate state goes (their messages stay, as in any chat).
    pub fn forget(&mut self, id: ParticipantId) {
        self.rates.remove(&id);
    }

    /// Messages held.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// True when nobody wrote anything yet.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// Whether `viewer` may see `m`.
pub fn may_see(m: &ChatMessage, viewer: ParticipantId) -> bool {
    m.to.is_none_or(|to| to == viewer || m.from == viewer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const A: ParticipantId = ParticipantId(1);
    const B: ParticipantId = ParticipantId(2);
    const C: ParticipantId = ParticipantId(3);

    fn send(
        chat: &mut Chat,
        now: Instant,
        from: ParticipantId,
        to: Option<ParticipantId>,
        text: &str,
    ) -> Result<ChatMessage, ErrorCode> {
        let checked = chat.check(now, from, text, false)?;
        let post = Post {
            from,
            name: "x",
            to,
            attachment: None,
            sent_at_ms: 0,
        };
        Ok(chat.post(post, checked))
    }

    #[test]
    fn private_messages_stay_between_the_two() {
        let mut chat = Chat::new(Limits::default());
        let now = Instant::now();
        send(&mut chat, now, A, None, "hello all").expect("sent");
        send(&mut chat, now, A, Some(B), "psst").expect("sent");
        let texts = |v: ParticipantId| -> Vec<String> {
            chat.visible_to(v).into_iter().map(|m| m.text).collect()
        };
        assert_eq!(texts(A), ["hello all", "psst"]);
        assert_eq!(texts(B), ["hello all", "psst"]);
        assert_eq!(texts(C), ["hello all"]);
    }

    #[test]
    fn the_rate_allows_a_burst_then_refills_with_time() {
        let limits = Limits {
            chat_burst: 3,
            chat_messages_per_minute: 60,
            ..Limits::default()
        };
        let mut chat = Chat::new(limits);
        let t0 = Instant::now();
        for _ in 0..3 {
            send(&mut chat, t0, A, None, "x").expect("within the burst");
        }
        assert_eq!(
            send(&mut chat, t0, A, None, "x"),
            Err(ErrorCode::ChatRateLimited)
        );
        // Another participant has a bucket of their own.
        send(&mut chat, t0, B, None, "y").expect("B is not limited by A");
        // 60 per minute: one more after a second.
        assert_eq!(
            send(&mut chat, t0 + Duration::from_millis(500), A, None, "x"),
            Err(ErrorCode::ChatRateLimited)
        );
        send(&mut chat, t0 + Duration::from_millis(1600), A, None, "x").expect("refilled");
    }

    #[test]
    fn length_and_capacity_are_limited() {
        let limits = Limits {
            chat_max_chars: 5,
            chat_history_max_messages: 2,
            ..Limits::default()
        };
        let mut chat = Chat::new(limits);
        let now = Instant::now();
        assert_eq!(
            send(&mut chat, now, A, None, "toolong"),
            Err(ErrorCode::ChatTooLong)
        );
        assert_eq!(
            send(&mut chat, now, A, None, "   "),
            Err(ErrorCode::ChatEmpty)
        );
        send(&mut chat, now, A, None, "one").expect("sent");
        send(&mut chat, now, A, None, "two").expect("sent");
        assert_eq!(
            send(&mut chat, now, A, None, "three"),
            Err(ErrorCode::ChatFull)
        );
        assert_eq!(chat.len(), 2);
    }
}
