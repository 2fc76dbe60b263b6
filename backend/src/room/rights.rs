//! A participant's rights over their own data while the conference runs (R10 of the privacy
//! notice): access and portability through "My data".
//!
//! Invariants:
//! - The answer is built from the room task's own state (the participant, the session log, the chat,
//!   the recording's answers), never from anything the client sends, and only about the participant
//!   who asks: nobody can ask about anyone else, since the session stamps who asks.

use treff_shared::{MyData, ParticipantId, ServerMsg};

use super::Room;

impl Room {
    /// Answers `ClientMsg::MyData`: everything the server holds about `who` right now.
    pub(super) fn my_data(&mut self, who: ParticipantId) {
        let Some(p) = self.participants.get(&who) else {
            return;
        };
        let data = MyData {
            id: who,
            name: p.info.name.clone(),
            moderator: p.info.moderator,
            conference_started_at_ms: self.wall_ms(self.started.0),
            log: self.session_log.of(who),
            messages: self.chat.sent_by(who),
            recording_answer: self.recording_answer_of(who),
        };
        self.send(who, ServerMsg::MyData { data });
    }
}
