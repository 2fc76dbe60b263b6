//! The session's chat traffic: messages in and out over the socket, attachments up and down over
//! `/api`.
//!
//! The browser checks text, recipient and file size with the same [`Limits`] as the server before
//! anything leaves, so the person hears at once; the server checks again, and its refusals arrive as
//! `ServerMsg::Error` and are shown in the same place. A message the server refused goes back into
//! the composer (if that is empty), so a rate limit does not lose what someone typed.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use treff_shared::limits::ChatTextError;
use treff_shared::{
    Attachment, AttachmentId, ChatMessage, ClientMsg, ErrorCode, Limits, ParticipantId,
};
use web_sys::File;

use super::Session;
use crate::attachments::{self, ApiFailure, Upload};
use crate::chat::{ChatEntry, ChatProblem, UploadProgress};
use crate::save_file;

/// The server's refusals of a `ClientMsg::Chat`, shown by the composer rather than over the room.
pub(super) fn is_chat_refusal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::ChatEmpty
            | ErrorCode::ChatTooLong
            | ErrorCode::ChatRateLimited
            | ErrorCode::ChatFull
            | ErrorCode::UnknownRecipient
            | ErrorCode::UnknownAttachment
    )
}

/// What to tell the person about a failed `/api` request.
fn problem_of(failure: ApiFailure, no_answer: ChatProblem) -> ChatProblem {
    match failure {
        ApiFailure::Refused(code) => ChatProblem::Refused(code),
        ApiFailure::NoAnswer => no_answer,
    }
}

impl Session {
    /// Messages from the server: the history in `Joined`, or one new message.
    pub(super) fn on_chat(&self, messages: impl IntoIterator<Item = ChatMessage>) {
        let me = self.ui.me.get_untracked();
        let entries: Vec<ChatEntry> = self.ui.members.with_untracked(|members| {
            let name_of =
                |id: ParticipantId| members.iter().find(|m| m.id == id).map(|m| m.name.clone());
            messages
                .into_iter()
                .map(|m| ChatEntry::new(m, me, name_of))
                .collect()
        });
        for _ in entries.iter().filter(|e| e.own) {
            self.unanswered_chat.borrow_mut().pop_front();
        }
        self.ui.chat.receive(entries);
    }

    /// The server refused our oldest unanswered chat message.
    pub(super) fn on_chat_refused(&self, code: ErrorCode) {
        let text = self.unanswered_chat.borrow_mut().pop_front();
        if let Some(text) = text {
            self.restore_draft(text);
        }
        self.ui.chat.problem.set(Some(ChatProblem::Refused(code)));
    }

    /// Sends the composer's text to the chosen recipient (or everyone).
    pub fn send_chat(&self) {
        if self.closed.get() {
            return;
        }
        if let Some((text, to)) = self.take_draft(false) {
            self.send_chat_message(text, to, None);
        }
    }

    /// Uploads `file`, then sends it with the composer's text (possibly empty) to the recipient
    /// chosen now: text and recipient are taken when the upload starts, so the person can write on.
    pub fn send_file(self: &Rc<Self>, file: File) {
        let chat = self.ui.chat;
        // One upload at a time: the composer offers no second one while a file is on its way.
        if self.closed.get() || self.upload.borrow().is_some() {
            return;
        }
        let Some(token) = self.token.borrow().clone() else {
            return;
        };
        // A file's size is a whole number of bytes; the cast loses nothing.
        if file.size() as u64 > Limits::default().attachment_max_bytes {
            chat.problem
                .set(Some(ChatProblem::Refused(ErrorCode::FileTooLarge)));
            return;
        }
        let Some((text, to)) = self.take_draft(true) else {
            return;
        };

        let progress = chat.upload;
        progress.set(Some(UploadProgress {
            sent: 0,
            total: file.size() as u64,
        }));
        let on_progress = move |sent, total| {
            // The room may be gone by the time the browser reports.
            let _ = progress.try_set(Some(UploadProgress { sent, total }));
        };
        let upload = match Upload::start(&token, &file, on_progress) {
            Ok(upload) => Rc::new(upload),
            Err(e) => {
                web_sys::console::error_2(&"treff: cannot start the upload".into(), &e);
                progress.set(None);
                self.restore_draft(text);
                chat.problem.set(Some(ChatProblem::UploadFailed));
                return;
            }
        };
        *self.upload.borrow_mut() = Some(upload.clone());

        let session = self.clone();
        spawn_local(async move {
            let outcome = upload.outcome().await;
            session.upload.borrow_mut().take();
            if session.closed.get() {
                return;
            }
            chat.upload.set(None);
            match outcome {
                Ok(attachment) => session.send_chat_message(text, to, Some(attachment.id)),
                Err(failure) => {
                    session.restore_draft(text);
                    chat.problem
                        .set(Some(problem_of(failure, ChatProblem::UploadFailed)));
                }
            }
        });
    }

    /// Fetches an attachment with the participant's credential and hands it to the person as a
    /// download; never opens or shows it.
    pub fn download(self: &Rc<Self>, attachment: Attachment) {
        let Some(token) = self.token.borrow().clone() else {
            return;
        };
        let session = self.clone();
        spawn_local(async move {
            let saved = attachments::download(&token, &attachment.id)
                .await
                .and_then(|blob| {
                    save_file::save(&blob, &attachment.name).map_err(|e| {
                        web_sys::console::error_2(&"treff: cannot save the file".into(), &e);
                        ApiFailure::NoAnswer
                    })
                });
            if session.closed.get() {
                return;
            }
            if let Err(failure) = saved {
                session
                    .ui
                    .chat
                    .problem
                    .set(Some(problem_of(failure, ChatProblem::DownloadFailed)));
            }
        });
    }

    /// Checks the composer's text and recipient for a message (with a file, the text may be empty)
    /// and takes the text out of the composer. `None` when there is nothing to send or the check
    /// refused; a refusal is shown.
    fn take_draft(&self, has_attachment: bool) -> Option<(String, Option<ParticipantId>)> {
        let chat = self.ui.chat;
        let to = chat.recipient.with_untracked(|r| r.as_ref().map(|r| r.id));
        if let Some(to) = to {
            let present = self.ui.me.get_untracked() != Some(to)
                && self
                    .ui
                    .members
                    .with_untracked(|ms| ms.iter().any(|m| m.id == to));
            if !present {
                chat.problem
                    .set(Some(ChatProblem::Refused(ErrorCode::UnknownRecipient)));
                return None;
            }
        }
        let checked = chat
            .draft
            .with_untracked(|d| Limits::default().check_chat_text(d, has_attachment));
        match checked {
            Ok(text) => {
                chat.draft.set(String::new());
                chat.problem.set(None);
                Some((text, to))
            }
            // Enter in an empty composer: nothing to send and nothing worth a message.
            Err(ChatTextError::Empty) => None,
            Err(ChatTextError::TooLong) => {
                chat.problem
                    .set(Some(ChatProblem::Refused(ErrorCode::ChatTooLong)));
                None
            }
        }
    }

    fn send_chat_message(
        &self,
        text: String,
        to: Option<ParticipantId>,
        attachment: Option<AttachmentId>,
    ) {
        self.unanswered_chat.borrow_mut().push_back(text.clone());
        self.send(&ClientMsg::Chat {
            text,
            to,
            attachment,
        });
    }

    /// Puts a text that did not go out back into the composer, unless the person typed anew.
    fn restore_draft(&self, text: String) {
        let draft = self.ui.chat.draft;
        if draft.with_untracked(|d| d.trim().is_empty()) {
            draft.set(text);
        }
    }
}
