//! The m-lines of one peer and what each carries: the three it publishes on, and a pool of
//! outgoing m-lines for the other participants' tracks.
//!
//! The SDP of a session can never lose an m-line (RFC 8829 §5.2.2), so an offer that made one for
//! every track ever seen would grow with every join, leave and camera switch. Instead:
//!
//! - An outgoing m-line exists only for a track that is switched on. A track that goes off (its
//!   owner left, or switched it off) has its m-line set `inactive`; a later track of the same media
//!   kind takes over an inactive m-line (`sendonly` again) before a new one is added. So the number
//!   of m-lines is the largest number of tracks received at once, not the number of tracks ever.
//! - An m-line is never handed from one track to another within one offer: it goes `inactive` in one
//!   offer and carries the new track from a later one, so the receiver can never attribute the new
//!   track's packets to the old owner.
//! - Each m-line belongs to a *group* (its `a=msid` stream id, opaque: never a name or id): a
//!   participant's audio and video are put in one group where possible, because browsers only
//!   synchronise lips and voice within one stream.
//! - Mids are str0m's, unique in the session (str0m 0.25 checks them against the session and the
//!   pending offer); `sdp::violations` checks every offer again in the tests.
//!
//! All of this is bookkeeping in front of str0m's `SdpApi`: [`Lines::plan`] decides, the peer applies
//! the plan to str0m, and [`Lines::answered`] or [`Lines::refused`] close the round.

use str0m::media::{MediaKind, Mid};
use treff_shared::{ParticipantId, TrackKind};

use super::forward::Forwarder;
use super::simulcast::LayerSwitch;

/// Another participant's track, as this peer receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    /// The participant who publishes it.
    pub owner: ParticipantId,
    /// Microphone, camera or screen.
    pub kind: TrackKind,
}

impl Source {
    /// The SDP media kind that carries it.
    pub fn media(&self) -> MediaKind {
        media_of(self.kind)
    }
}

/// The SDP media kind of a track kind.
pub fn media_of(kind: TrackKind) -> MediaKind {
    match kind {
        TrackKind::Audio => MediaKind::Audio,
        TrackKind::Video | TrackKind::Screen => MediaKind::Video,
    }
}

/// The m-lines a participant publishes on (recvonly on our side), made in its first offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish {
    /// Microphone.
    pub audio: Mid,
    /// Camera.
    pub video: Mid,
    /// Shared screen.
    pub screen: Mid,
}

impl Publish {
    /// The kind of track arriving on `mid`, if it is one of these.
    pub fn kind_of(&self, mid: Mid) -> Option<TrackKind> {
        TrackKind::ALL.into_iter().find(|k| self.mid(*k) == mid)
    }

    /// The m-line of a kind of track.
    pub fn mid(&self, kind: TrackKind) -> Mid {
        match kind {
            TrackKind::Audio => self.audio,
            TrackKind::Video => self.video,
            TrackKind::Screen => self.screen,
        }
    }
}

/// One outgoing (server → browser) m-line.
#[derive(Debug)]
pub struct Slot {
    /// Its mid.
    pub mid: Mid,
    /// Audio or video: the pool it belongs to.
    pub media: MediaKind,
    /// Its group (the opaque `a=msid` stream id is derived from it).
    pub group: u32,
    /// What it carries as both sides last agreed (`sendonly`), or `None` (`inactive`).
    pub agreed: Option<Source>,
    /// Its part in the offer in flight: what it will carry once answered.
    pub offered: Option<Option<Source>>,
    /// str0m's session has it (false while the offer that adds it is unanswered).
    pub known: bool,
    /// str0m's local direction for it is `sendonly` (it can differ from `agreed` after a refused
    /// answer, because str0m applies direction changes when the offer is made).
    pub local_sending: bool,
    /// Sequence number and timestamp rewriting for what it carries.
    pub forwarder: Forwarder,
    /// Which simulcast layer of its video it forwards (audio has one, [`Layer::High`]).
    ///
    /// [`Layer::High`]: treff_shared::Layer::High
    pub layers: LayerSwitch,
}

impl Slot {
    /// The source it carries in the offer in flight, or as agreed.
    pub fn target(&self) -> Option<Source> {
        self.offered.unwrap_or(self.agreed)
    }
}

/// What to do to str0m's session for one offer.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Set these known m-lines to `sendonly` (true) or `inactive` (false).
    pub directions: Vec<(Mid, bool)>,
    /// Set these known m-lines to the other direction and back, so that str0m offers a direction
    /// it already has locally but the remote never agreed to (after a refused answer).
    pub flips: Vec<(Mid, bool)>,
    /// Add a `sendonly` m-line for each: its media kind and group; the peer reports the new mid
    /// back with [`Lines::added`].
    pub additions: Vec<(Source, u32)>,
}

impl Plan {
    /// Nothing to offer.
    pub fn is_empty(&self) -> bool {
        self.directions.is_empty() && self.flips.is_empty() && self.additions.is_empty()
    }
}

/// The outgoing m-lines of one peer.
#[derive(Debug, Default)]
pub struct Lines {
    slots: Vec<Slot>,
    next_group: u32,
}

impl Lines {
    /// All outgoing m-lines, in the order they were made.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The m-line that carries `source` as agreed, for forwarding.
    pub fn open_mut(&mut self, source: Source) -> Option<&mut Slot> {
        self.slots
            .iter_mut()
            .find(|s| s.agreed == Some(source) && s.offered.is_none_or(|o| o == Some(source)))
    }

    /// The m-line `mid` (a receiver's keyframe request names the mid).
    pub fn slot(&self, mid: Mid) -> Option<&Slot> {
        self.slots.iter().find(|s| s.mid == mid)
    }

    /// The m-line that carries `source` as agreed.
    pub fn agreed(&self, source: Source) -> Option<&Slot> {
        self.slots.iter().find(|s| s.agreed == Some(source))
    }

    /// Decides the next offer: `wanted` are the tracks this peer should receive now. Call only
    /// when no offer is in flight.
    pub fn plan(&mut self, wanted: &[Source]) -> Plan {
        debug_assert!(self.slots.iter().all(|s| s.offered.is_none()));
        let mut targets: Vec<Option<Source>> = self
            .slots
            .iter()
            .map(|s| s.agreed.filter(|a| wanted.contains(a)))
            .collect();
        let mut additions = Vec::new();
        for &source in wanted {
            if targets.contains(&Some(source)) {
                continue;
            }
            match self.free_slot_for(source, &targets) {
                Some(i) => targets[i] = Some(source),
                None => {
                    let group = self.group_for(source.owner, &targets, &additions);
                    additions.push((source, group));
                }
            }
        }
        let mut plan = Plan {
            additions,
            ..Plan::default()
        };
        for (slot, target) in self.slots.iter_mut().zip(targets) {
            let sending = target.is_some();
            if target != slot.agreed {
                slot.offered = Some(target);
            }
            if sending != slot.local_sending {
                plan.directions.push((slot.mid, sending));
                slot.local_sending = sending;
            } else if sending != slot.agreed.is_some() {
                plan.flips.push((slot.mid, sending));
            }
        }
        plan
    }

    /// An inactive m-line for `source`: of its media kind, not targeted in this plan, and
    /// preferably in the group of another of its owner's m-lines.
    fn free_slot_for(&self, source: Source, targets: &[Option<Source>]) -> Option<usize> {
        let free: Vec<usize> = (0..self.slots.len())
            .filter(|&i| {
                let s = &self.slots[i];
                s.media == source.media() && s.agreed.is_none() && targets[i].is_none()
            })
            .collect();
        let owner_groups: Vec<u32> = self
            .slots
            .iter()
            .zip(targets)
            .filter(|(_, t)| t.is_some_and(|t| t.owner == source.owner))
            .map(|(s, _)| s.group)
            .collect();
        let group_unused = |g: u32| {
            self.slots
                .iter()
                .zip(targets)
                .all(|(s, t)| s.group != g || t.is_none())
        };
        free.iter()
            .copied()
            .find(|&i| owner_groups.contains(&self.slots[i].group))
            .or_else(|| {
                free.iter()
                    .copied()
                    .find(|&i| group_unused(self.slots[i].group))
            })
            .or_else(|| free.first().copied())
    }

    /// The group for a new m-line of `owner`: one of theirs, else a fresh one.
    fn group_for(
        &mut self,
        owner: ParticipantId,
        targets: &[Option<Source>],
        additions: &[(Source, u32)],
    ) -> u32 {
        let existing = self
            .slots
            .iter()
            .zip(targets)
            .find(|(_, t)| t.is_some_and(|t| t.owner == owner))
            .map(|(s, _)| s.group)
            .or_else(|| {
                additions
                    .iter()
                    .find(|(s, _)| s.owner == owner)
                    .map(|(_, g)| *g)
            });
        existing.unwrap_or_else(|| {
            self.next_group += 1;
            self.next_group
        })
    }

    /// Records an m-line the peer added to the offer for `source`.
    pub fn added(&mut self, mid: Mid, source: Source, group: u32, forwarder: Forwarder) {
        self.slots.push(Slot {
            mid,
            media: source.media(),
            group,
            agreed: None,
            offered: Some(Some(source)),
            known: false,
            local_sending: true,
            forwarder,
            layers: LayerSwitch::default(),
        });
    }

    /// The answer to the offer in flight was accepted. Returns the sources that now flow (each
    /// wants a keyframe of its publisher, for video).
    pub fn answered(&mut self) -> Vec<Source> {
        let mut opened = Vec::new();
        for slot in &mut self.slots {
            slot.known = true;
            let Some(target) = slot.offered.take() else {
                continue;
            };
            // Whatever it carried before, the receiver's stream continues from here on.
            slot.forwarder.pause();
            slot.layers = LayerSwitch::default();
            slot.agreed = target;
            opened.extend(target);
        }
        opened
    }

    /// The answer was refused: str0m dropped the offer's new m-lines but kept its direction
    /// changes; the next plan offers again what is still wanted.
    pub fn refused(&mut self) {
        self.slots.retain(|s| s.known);
        for slot in &mut self.slots {
            slot.offered = None;
        }
    }

    /// Number of m-lines (outgoing only).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// The opaque `a=msid` stream id of a group.
pub fn stream_id(group: u32) -> String {
    format!("g{group}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(owner: u64, kind: TrackKind) -> Source {
        Source {
            owner: ParticipantId(owner),
            kind,
        }
    }

    /// Applies a plan the way the peer does, with made-up mids, and answers it.
    fn offer_and_answer(lines: &mut Lines, wanted: &[Source], next_mid: &mut u32) -> Plan {
        let plan = lines.plan(wanted);
        for &(source, group) in &plan.additions {
            *next_mid += 1;
            let mid = Mid::from(next_mid.to_string().as_str());
            lines.added(mid, source, group, Forwarder::new(90_000, true));
        }
        lines.answered();
        plan
    }

    #[test]
    fn join_and_leave_cycles_reuse_the_m_lines() {
        let mut lines = Lines::default();
        let mut mids = 0;
        let anna = [src(1, TrackKind::Audio), src(1, TrackKind::Video)];
        offer_and_answer(&mut lines, &anna, &mut mids);
        assert_eq!(lines.len(), 2);
        for n in 0..10 {
            let ben = src(10 + n, TrackKind::Video);
            let both = [anna[0], anna[1], src(10 + n, TrackKind::Audio), ben];
            offer_and_answer(&mut lines, &both, &mut mids);
            offer_and_answer(&mut lines, &anna, &mut mids);
        }
        assert_eq!(lines.len(), 4, "Anna's two plus one Ben at a time");
        let carrying = lines.slots().iter().filter(|s| s.agreed.is_some()).count();
        assert_eq!(carrying, 2);
    }

    #[test]
    fn a_switched_off_track_goes_inactive_and_its_m_line_is_not_reused_in_the_same_offer() {
        let mut lines = Lines::default();
        let mut mids = 0;
        let cam_a = src(1, TrackKind::Video);
        let cam_b = src(2, TrackKind::Video);
        offer_and_answer(&mut lines, &[cam_a], &mut mids);
        // Anna's camera goes off while Ben's comes on: Ben gets a new m-line now...
        let plan = offer_and_answer(&mut lines, &[cam_b], &mut mids);
        assert_eq!(plan.directions.len(), 1, "Anna's m-line goes inactive");
        assert_eq!(plan.additions.len(), 1);
        // ...and a later camera takes over Anna's inactive one.
        let cam_c = src(3, TrackKind::Video);
        let plan = offer_and_answer(&mut lines, &[cam_b, cam_c], &mut mids);
        assert!(plan.additions.is_empty());
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn audio_and_video_of_one_owner_share_a_group() {
        let mut lines = Lines::default();
        let mut mids = 0;
        offer_and_answer(&mut lines, &[src(1, TrackKind::Audio)], &mut mids);
        offer_and_answer(
            &mut lines,
            &[
                src(1, TrackKind::Audio),
                src(1, TrackKind::Video),
                src(2, TrackKind::Audio),
            ],
            &mut mids,
        );
        let group = |source| {
            lines
                .slots()
                .iter()
                .find(|s| s.agreed == Some(source))
                .map(|s| s.group)
        };
        assert_eq!(
            group(src(1, TrackKind::Audio)),
            group(src(1, TrackKind::Video))
        );
        assert_ne!(
            group(src(1, TrackKind::Audio)),
            group(src(2, TrackKind::Audio))
        );
    }

    #[test]
    fn a_refused_answer_drops_new_lines_and_offers_unagreed_directions_again() {
        let mut lines = Lines::default();
        let mut mids = 0;
        offer_and_answer(&mut lines, &[src(1, TrackKind::Video)], &mut mids);
        // The camera goes off and a voice comes on, in one offer whose answer is refused.
        let voice = src(2, TrackKind::Audio);
        let plan = lines.plan(&[voice]);
        assert_eq!((plan.directions.len(), plan.additions.len()), (1, 1));
        lines.added(Mid::from("new"), voice, 9, Forwarder::new(48_000, false));
        lines.refused();
        assert_eq!(
            lines.len(),
            1,
            "the added line is gone with the refused offer"
        );
        // str0m already holds `inactive` locally: the next plan flips to offer it again.
        let plan = lines.plan(&[]);
        assert!(plan.directions.is_empty());
        assert_eq!(plan.flips, vec![(lines.slots()[0].mid, false)]);
    }
}
