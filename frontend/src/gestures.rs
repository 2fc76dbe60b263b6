//! Raised hands and reactions as this participant holds them: the order in which hands are taken,
//! and the reactions floating over the tiles for a moment.
//!
//! Invariants:
//! - A hand's state changes only on the server's `Hand` message (our own one as its echo), and its
//!   position comes from the server's `raised_at_ms`, so every participant sees the same queue.
//! - A reaction is shown only when the server sent it (`Reacted`, our own as its echo: a reaction the
//!   server's rate limit dropped never shows), and goes away by itself after [`REACTION_SHOWN`].

use std::time::Duration;

use treff_shared::{ParticipantId, Reaction};

use crate::i18n::Texts;
use crate::session::Member;

/// How long a reaction floats over its tile; the CSS animation `.tile-reaction` lasts as long.
pub const REACTION_SHOWN: Duration = Duration::from_secs(4);

/// A participant in the order of the participants panel, with their place in the hand queue.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RosterRow {
    /// The participant.
    pub member: Member,
    /// `Some(1)` for the first raised hand, `Some(2)` for the next, ...; `None` while the hand is down.
    pub hand_position: Option<usize>,
}

/// Everyone in the panel's order: raised hands first, earliest first, then the others in joining
/// order (`members` is in joining order; it also breaks ties between hands raised in the same ms).
pub fn roster(members: &[Member]) -> Vec<RosterRow> {
    let mut sorted: Vec<&Member> = members.iter().collect();
    // Stable: equal keys keep the joining order.
    sorted.sort_by_key(|m| match m.hand {
        Some(raised_at) => (0, raised_at),
        None => (1, 0),
    });
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, m)| RosterRow {
            member: m.clone(),
            hand_position: m.hand.map(|_| i + 1),
        })
        .collect()
}

/// A reaction on its way over a tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatingReaction {
    /// Tells apart several reactions of one participant in flight at once (rendering key, and which
    /// one to remove when its time is up).
    pub key: u64,
    /// Who reacted.
    pub from: ParticipantId,
    /// With what.
    pub reaction: Reaction,
}

/// Something another participant did that a screen reader announces (sighted people see it on the
/// tile).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Announcement {
    /// They raised their hand.
    HandRaised {
        /// Their name.
        name: String,
    },
    /// They reacted.
    Reacted {
        /// Their name.
        name: String,
        /// With what.
        reaction: Reaction,
    },
}

impl Announcement {
    /// The sentence to announce.
    pub fn text(&self, t: &Texts) -> String {
        match self {
            Self::HandRaised { name } => t.hand_raised_by(name),
            Self::Reacted { name, reaction } => t.reacted_by(name, *reaction),
        }
    }
}

/// The reaction's wire name (`thumbs_up`), used in test ids: the protocol's own spelling, so the UI
/// never keeps a second list of names.
pub fn reaction_name(reaction: Reaction) -> String {
    // A unit variant encodes as a JSON string: `"thumbs_up"`.
    crate::json::encode(&reaction)
        .ok()
        .and_then(|text| Some(text.strip_prefix('"')?.strip_suffix('"')?.to_owned()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, hand: Option<u64>) -> Member {
        Member {
            id: ParticipantId(id),
            name: format!("P{id}"),
            mic: false,
            cam: false,
            hand,
            screen: false,
            away: false,
            withheld: false,
        }
    }

    fn order(rows: &[RosterRow]) -> Vec<(u64, Option<usize>)> {
        rows.iter()
            .map(|r| (r.member.id.0, r.hand_position))
            .collect()
    }

    #[test]
    fn raised_hands_come_first_in_the_order_they_were_raised() {
        let members = [
            member(1, None),
            member(2, Some(2_000)),
            member(3, None),
            member(4, Some(1_000)),
        ];
        assert_eq!(
            order(&roster(&members)),
            [(4, Some(1)), (2, Some(2)), (1, None), (3, None)]
        );
    }

    #[test]
    fn hands_raised_in_the_same_millisecond_keep_the_joining_order() {
        let members = [member(5, Some(7)), member(3, Some(7)), member(1, None)];
        assert_eq!(
            order(&roster(&members)),
            [(5, Some(1)), (3, Some(2)), (1, None)]
        );
    }

    #[test]
    fn nobody_has_a_position_while_all_hands_are_down() {
        let members = [member(1, None), member(2, None)];
        assert_eq!(order(&roster(&members)), [(1, None), (2, None)]);
    }

    #[test]
    fn reaction_names_are_the_wire_names() {
        assert_eq!(reaction_name(Reaction::ThumbsUp), "thumbs_up");
        assert_eq!(reaction_name(Reaction::Celebrate), "celebrate");
    }
}
