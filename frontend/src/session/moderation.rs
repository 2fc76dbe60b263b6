//! The session's side of moderation: the moderator's actions go out as `Moderate`; the lobby, roles,
//! room settings, requests to unmute and removal come in. Nothing here ever switches a device on
//! for someone else: a moderator's request to unmute only shows a prompt, and only the person's own
//! click (see [`Session::accept_unmute`]) switches the microphone on.

use leptos::prelude::*;
use treff_shared::{ClientMsg, ModeratorAction, ParticipantInfo, RoomSettings, ServerMsg};

use super::{Phase, Session};
use crate::media::Device;

impl Session {
    /// Sends a moderator action (the server refuses it unless we are a moderator).
    pub fn moderate(&self, action: ModeratorAction) {
        if self.ui.phase.get_untracked() == Phase::Joined {
            self.send(&ClientMsg::Moderate { action });
        }
    }

    /// The person answers a moderator's request to unmute by switching their microphone on.
    pub fn accept_unmute(self: &std::rc::Rc<Self>) {
        self.ui.moderation.unmute_asked.set(false);
        if !self.ui.mic.get_untracked() {
            self.set_device(Device::Mic, true);
        }
    }

    /// The person gives up waiting in the lobby: the socket closes, which withdraws the knock.
    pub fn leave_lobby(&self) {
        if self.ui.phase.get_untracked() == Phase::Waiting {
            self.finish(None);
        }
    }

    /// Roles and settings from `Joined`.
    pub(super) fn on_joined_moderation(
        &self,
        participants: &[ParticipantInfo],
        settings: RoomSettings,
    ) {
        let m = self.ui.moderation;
        m.moderators.set(
            participants
                .iter()
                .filter(|p| p.moderator)
                .map(|p| p.id)
                .collect(),
        );
        m.settings.set(settings);
    }

    /// A newcomer's role from `ParticipantJoined`.
    pub(super) fn on_participant_role(&self, participant: &ParticipantInfo) {
        if participant.moderator {
            self.ui.moderation.moderators.update(|m| {
                m.insert(participant.id);
            });
        }
    }

    /// The moderation messages (lobby, roles, settings, requests, removal).
    pub(super) fn on_moderation(&self, msg: ServerMsg) {
        let ui = self.ui;
        let m = ui.moderation;
        match msg {
            ServerMsg::Waiting if ui.phase.get_untracked() == Phase::Connecting => {
                ui.phase.set(Phase::Waiting);
            }
            ServerMsg::Knocking { participant } => m.knocking.update(|k| {
                k.retain(|p| p.id != participant.id);
                k.push(participant);
            }),
            ServerMsg::KnockEnded { id } => m.knocking.update(|k| k.retain(|p| p.id != id)),
            ServerMsg::RoleChanged { id, moderator } => m.moderators.update(|set| {
                if moderator {
                    set.insert(id);
                } else {
                    set.remove(&id);
                }
            }),
            ServerMsg::Settings { settings } => m.settings.set(settings),
            ServerMsg::UnmuteAsked if !ui.mic.get_untracked() => m.unmute_asked.set(true),
            ServerMsg::Removed { banned } => {
                ui.phase.set(Phase::Removed { banned });
                self.shutdown();
            }
            _ => {}
        }
    }

    /// A moderator switched our devices off: tell the person (the devices are already off).
    pub(super) fn on_turned_off(&self, mic: bool, cam: bool) {
        let m = self.ui.moderation;
        if mic {
            m.unmute_asked.set(false);
        }
        m.turned_off.set(Some((mic, cam)));
    }
}
