//! Last-N: in a large room each participant receives the cameras of only the last few who spoke,
//! as Jitsi does; everyone's voice still reaches everyone.
//!
//! - **Who spoke.** Browsers mark every Opus packet with its level (the RFC 6464 header extension);
//!   a packet at [`LOUD`] or above counts as speech, and [`Speakers`] keeps when each participant
//!   last spoke. Only that instant is kept, in memory, and it goes when they leave (the
//!   data-lifecycle table of DESIGN.md).
//! - **Who is shown.** In a room of more than `Limits::last_n_above` people, each receiver gets
//!   `Limits::last_n` cameras ([`LastN::withheld`]): the one it shows large (speaker view's featured
//!   tile) first, then those shown already who spoke within [`KEEP_AFTER_SPEAKING`] (so that two
//!   people talking in turn do not make the tiles swap with every sentence), then the others by
//!   how lately they spoke; people who have not spoken yet by the order they joined.
//! - **What it does.** A withheld camera is chosen no layer for that receiver (`room::layers`): it
//!   is not forwarded, and once nobody receives a layer, dynacast pauses it at the publisher. The
//!   receiver is told whose cameras it does not get (`ServerMsg::LastN`), and its tile says so
//!   instead of showing a frozen picture.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use treff_shared::{Limits, ParticipantId};

/// The audio level, in dBov (0 the loudest, −127 silence), from which an Opus packet counts as
/// speech: a voice at a normal distance is −20 to −40, a quiet room below −60.
pub const LOUD: i8 = -50;
/// Someone shown who spoke within this long keeps their place against a newer speaker.
pub const KEEP_AFTER_SPEAKING: Duration = Duration::from_secs(3);

/// When each participant last spoke.
#[derive(Debug, Default)]
pub struct Speakers {
    last: HashMap<ParticipantId, Instant>,
}

impl Speakers {
    /// An audio packet of `level` dBov from `id` arrived `at`.
    pub fn heard(&mut self, id: ParticipantId, level: i8, at: Instant) {
        if level >= LOUD {
            self.last.insert(id, at);
        }
    }

    /// They left: when they spoke is forgotten.
    pub fn forget(&mut self, id: ParticipantId) {
        self.last.remove(&id);
    }

    /// When `id` last spoke, if ever.
    pub fn last_spoke(&self, id: ParticipantId) -> Option<Instant> {
        self.last.get(&id).copied()
    }

    /// `ids` (in the order they joined) with the latest speaker first, and those who never spoke
    /// after all who did, in the order given.
    fn ranked(&self, ids: &[ParticipantId]) -> Vec<ParticipantId> {
        let mut ranked = ids.to_vec();
        // Stable: equal keys (never spoke) keep the join order.
        ranked.sort_by_key(|id| std::cmp::Reverse(self.last_spoke(*id)));
        ranked
    }
}

/// The choice for one receiver at one moment.
pub struct LastN<'a> {
    /// `last_n` and `last_n_above`.
    pub limits: &'a Limits,
    /// Who spoke when.
    pub speakers: &'a Speakers,
    /// Participants in the room, the receiver included.
    pub room_size: usize,
    /// Now.
    pub now: Instant,
}

impl LastN<'_> {
    /// The cameras to withhold from a receiver: `cameras` are the others' cameras that are on, in
    /// the order their owners joined; `featured` the one it shows large, if any; `before` what it
    /// was withheld until now.
    pub fn withheld(
        &self,
        cameras: &[ParticipantId],
        featured: Option<ParticipantId>,
        before: &HashSet<ParticipantId>,
    ) -> HashSet<ParticipantId> {
        if self.room_size <= self.limits.last_n_above || cameras.len() <= self.limits.last_n {
            return HashSet::new();
        }
        let ranked = self.speakers.ranked(cameras);
        let spoke_lately = |id: &ParticipantId| {
            self.speakers
                .last_spoke(*id)
                .is_some_and(|t| self.now.saturating_duration_since(t) < KEEP_AFTER_SPEAKING)
        };
        let keeps_place = |id: &&ParticipantId| !before.contains(*id) && spoke_lately(id);
        let featured = featured.filter(|f| cameras.contains(f));
        let mut shown: Vec<ParticipantId> = Vec::with_capacity(self.limits.last_n);
        for id in featured
            .iter()
            .chain(ranked.iter().filter(keeps_place))
            .chain(&ranked)
        {
            if shown.len() == self.limits.last_n {
                break;
            }
            if !shown.contains(id) {
                shown.push(*id);
            }
        }
        cameras
            .iter()
            .filter(|id| !shown.contains(id))
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u64) -> Vec<ParticipantId> {
        (1..=n).map(ParticipantId).collect()
    }

    fn set(ids: &[u64]) -> HashSet<ParticipantId> {
        ids.iter().copied().map(ParticipantId).collect()
    }

    fn limits(last_n: usize, above: usize) -> Limits {
        Limits {
            last_n,
            last_n_above: above,
            ..Limits::default()
        }
    }

    #[test]
    fn a_room_up_to_the_threshold_gets_every_camera() {
        let (limits, speakers, now) = (limits(2, 4), Speakers::default(), Instant::now());
        let choice = LastN {
            limits: &limits,
            speakers: &speakers,
            room_size: 4,
            now,
        };
        assert!(choice.withheld(&ids(3), None, &set(&[])).is_empty());
        let larger = LastN {
            room_size: 5,
            ..choice
        };
        assert_eq!(larger.withheld(&ids(4), None, &set(&[])), set(&[3, 4]));
    }

    #[test]
    fn the_last_speakers_are_shown_and_nobody_who_spoke_by_join_order() {
        let (limits, mut speakers, t0) = (limits(2, 2), Speakers::default(), Instant::now());
        let cameras = ids(5);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let choose = |speakers: &Speakers, now: Instant, before: &HashSet<ParticipantId>| {
            LastN {
                limits: &limits,
                speakers,
                room_size: 6,
                now,
            }
            .withheld(&cameras, None, before)
        };
        assert_eq!(choose(&speakers, t0, &set(&[])), set(&[3, 4, 5]));
        speakers.heard(ParticipantId(5), -30, at(0));
        speakers.heard(ParticipantId(4), -90, at(10));
        assert_eq!(
            choose(&speakers, at(20), &set(&[3, 4, 5])),
            set(&[2, 3, 4]),
            "5 spoke (4's packet was silence): 5 and the first to join"
        );
        speakers.heard(ParticipantId(4), -20, at(5_000));
        assert_eq!(
            choose(&speakers, at(5_000), &set(&[2, 3, 4])),
            set(&[1, 2, 3]),
            "4 spoke, 5 before: the two last speakers"
        );
        speakers.forget(ParticipantId(5));
        assert_eq!(speakers.last_spoke(ParticipantId(5)), None, "gone on leave");
    }

    #[test]
    fn someone_shown_who_spoke_lately_keeps_their_place_and_the_featured_tile_is_always_received() {
        let (limits, mut speakers, t0) = (limits(1, 2), Speakers::default(), Instant::now());
        let cameras = ids(3);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let choose = |speakers: &Speakers, now, featured, before: &HashSet<ParticipantId>| {
            LastN {
                limits: &limits,
                speakers,
                room_size: 4,
                now,
            }
            .withheld(&cameras, featured, before)
        };
        speakers.heard(ParticipantId(2), -30, at(0));
        let shown_2 = choose(&speakers, at(0), None, &set(&[2, 3]));
        assert_eq!(shown_2, set(&[1, 3]));
        // 3 starts talking while 2 still does: 2 keeps the place.
        speakers.heard(ParticipantId(3), -30, at(1_000));
        speakers.heard(ParticipantId(2), -30, at(1_500));
        speakers.heard(ParticipantId(3), -30, at(2_000));
        assert_eq!(choose(&speakers, at(2_000), None, &shown_2), set(&[1, 3]));
        // 2 has been quiet for the keep: the newer speaker takes over.
        assert_eq!(
            choose(&speakers, at(1_500) + KEEP_AFTER_SPEAKING, None, &shown_2),
            set(&[1, 2])
        );
        // The featured tile is received whoever spoke; a camera that is off is not featured.
        let featured = Some(ParticipantId(1));
        assert_eq!(
            choose(&speakers, at(2_000), featured, &shown_2),
            set(&[2, 3])
        );
        assert_eq!(
            choose(&speakers, at(2_000), Some(ParticipantId(9)), &shown_2),
            set(&[1, 3])
        );
    }
}
