//! The session's raised hands and reactions: sent over the socket, shown when the server echoes
//! them (see the invariants of [`crate::gestures`]).

use leptos::prelude::*;
use treff_shared::{ClientMsg, ParticipantId, Reaction};

use super::{Phase, Session};
use crate::gestures::{Announcement, FloatingReaction, REACTION_SHOWN};

impl Session {
    /// The person pressed "raise hand": raise it, or lower it if it is up.
    pub fn toggle_hand(&self) {
        // Before `Joined` the server would refuse, and a refusal while connecting ends the join.
        if self.ui.phase.get_untracked() != Phase::Joined {
            return;
        }
        let Some(me) = self.ui.me.get_untracked() else {
            return;
        };
        let raised = self
            .ui
            .members
            .with_untracked(|ms| ms.iter().any(|m| m.id == me && m.hand.is_some()));
        self.send(&ClientMsg::RaiseHand { raised: !raised });
    }

    /// The person chose a reaction.
    pub fn react(&self, reaction: Reaction) {
        if self.ui.phase.get_untracked() == Phase::Joined {
            self.send(&ClientMsg::React { reaction });
        }
    }

    /// Someone's hand went up or down (ours included: the UI changes on the server's echo).
    pub(super) fn on_hand(&self, id: ParticipantId, raised_at_ms: Option<u64>) {
        let mut raised_by = None;
        self.ui.update_member(id, |m| {
            if m.hand.is_none() && raised_at_ms.is_some() {
                raised_by = Some(m.name.clone());
            }
            m.hand = raised_at_ms;
        });
        if let Some(name) = raised_by {
            self.announce_from(id, Announcement::HandRaised { name });
        }
    }

    /// Someone reacted: their tile shows it for [`REACTION_SHOWN`].
    pub(super) fn on_reacted(&self, id: ParticipantId, reaction: Reaction) {
        let Some(name) = self
            .ui
            .members
            .with_untracked(|ms| ms.iter().find(|m| m.id == id).map(|m| m.name.clone()))
        else {
            return;
        };
        let key = self.reaction_seq.get() + 1;
        self.reaction_seq.set(key);
        let reactions = self.ui.reactions;
        reactions.update(|rs| {
            rs.push(FloatingReaction {
                key,
                from: id,
                reaction,
            })
        });
        set_timeout(
            // The room may be gone by then, and the signal with it.
            move || {
                let _ = reactions.try_update(|rs| rs.retain(|r| r.key != key));
            },
            REACTION_SHOWN,
        );
        self.announce_from(id, Announcement::Reacted { name, reaction });
    }

    /// Announces what another participant did; what the person did themselves needs no telling.
    fn announce_from(&self, id: ParticipantId, announcement: Announcement) {
        if self.ui.me.get_untracked() != Some(id) {
            self.ui.announcement.set(Some(announcement));
        }
    }
}
