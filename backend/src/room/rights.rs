//! A participant's rights over their own data while the conference runs (R10 of the privacy
//! notice): access and portability ("My data"), rectification (rename, R2) and erasure of their own
//! chat messages and files.
//!
//! Invariants:
//! - Every action is about the participant the session stamped, never about anyone a client names:
//!   nobody can see, rename or erase anyone else's data.
//! - "My data" is built from the room task's own state (the participant, the session log, the chat,
//!   the recording's answers), never from anything the client sends.
//! - An erased message is gone from the history that late joiners get, from every present view
//!   (`MessageErased` to everyone who could see it) and its file from the disk, at once.

use treff_shared::{ErrorCode, MessageId, MyData, ParticipantId, ServerMsg};

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
            notice_version: self.notice_version.to_string(),
            log_on_hold: self.log_on_hold(),
        };
        self.send(who, ServerMsg::MyData { data });
    }

    /// `ClientMsg::Rename`: `who` takes a new display name, which everyone sees at once, also on
    /// their past messages.
    pub(super) fn rename(&mut self, who: ParticipantId, name: &str) -> Result<(), ErrorCode> {
        let name = self
            .limits
            .check_name(name)
            .map_err(|_| ErrorCode::InvalidName)?;
        let p = self
            .participants
            .get_mut(&who)
            .ok_or(ErrorCode::NotJoined)?;
        p.info.name.clone_from(&name);
        self.chat.rename(who, &name);
        self.recording_renamed(who, &name);
        self.broadcast(ServerMsg::Renamed { id: who, name });
        Ok(())
    }

    /// `ClientMsg::EraseMessage`: `who` erases their own message `id` for everyone.
    pub(super) fn erase_message(
        &mut self,
        who: ParticipantId,
        id: MessageId,
    ) -> Result<(), ErrorCode> {
        let message = self.chat.erase(id, who)?;
        if let Some(file) = &message.attachment {
            self.attachments.abort_upload(&file.id);
        }
        for viewer in self.chat_audience(&message) {
            self.send(viewer, ServerMsg::MessageErased { id });
        }
        Ok(())
    }
}
