//! Which simulcast layer of each video every receiver gets, and which layers each publisher sends.
//!
//! A camera arrives in up to three layers ([`Layer`]); every receiver gets exactly one of them per
//! video it shows, or none:
//! - **Tile size.** The client reports the size of its video tiles (`ClientMsg::Tiles`); a tile gets
//!   the smallest layer at least as wide as it ([`desired`]), a tile not shown gets nothing. Until a
//!   client reports, it gets every video at the best layer (clients that are not Treff's UI).
//! - **What the publisher sends.** Browsers leave out the upper layers of a small camera picture, and
//!   drop one when their uplink is short: a layer counts as sent while its packets come
//!   ([`SEEN_WINDOW`]), and the choice falls to the best layer sent below the one wanted (or the
//!   lowest above it).
//! - **The receiver's downlink.** When an estimate of it is known (`sfu::estimate`: str0m's
//!   bandwidth estimation from the client's transport-wide feedback), the videos are served in order
//!   of importance (screens, then the largest tiles) within it ([`allocate`]), each at the best layer
//!   that still fits; the most important gets at least its lowest. Only [`ESTIMATE_SHARE`] percent
//!   of the estimate is shared out: keyframes come in bursts and retransmissions on top. Going down
//!   happens at once; going up waits a [`Hold`] after a squeeze and needs a quarter more room than
//!   the layer's rate, so the choice does not swing with every estimate. A layer's rate is what it measurably takes
//!   ([`Meter`]: a still picture's full layer takes a fraction of its cap), its cap until measured.
//!   Each receiver's estimator is asked to probe for what the best layers would take with that
//!   quarter to spare, so that a receiver held down finds out when its link has room again; once
//!   per hold it is made to probe at once ([`Hold::may_probe`]), as str0m by itself probes only
//!   when the rate asked for rises.
//!
//! - **Last-N.** In a large room a receiver gets only the cameras of the last few who spoke
//!   (`room::last_n`); the others are chosen no layer, as a tile not shown.
//!
//! The switch itself (at a keyframe of the new layer) is the SFU's (`sfu::simulcast`).
//!
//! **Dynacast.** A layer of a camera nobody receives (and the recording does not take) is paused at
//! the publisher: the room sends it `ServerMsg::Layers` with the wanted layers whenever that set
//! changes, and the client switches the other encodings off. An unwatched camera costs no uplink.
//!
//! The choice runs when a client's tiles change, after every answer (new m-lines), and every
//! [`CHOICE_INTERVAL`] while any video flows.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use treff_shared::{Layer, ParticipantId, SCREEN_MAX_BITRATE, ServerMsg, TileSize, TrackKind};

use super::Room;
use super::last_n::LastN;
use crate::sfu::Source;
use crate::sfu::simulcast::LayerSwitch;
use str0m::media::KeyframeRequestKind;

/// How often the choice runs while video flows (estimates move, layers come and go).
pub const CHOICE_INTERVAL: Duration = Duration::from_millis(500);
/// A layer whose last packet is older than this is no longer sent.
pub const SEEN_WINDOW: Duration = Duration::from_millis(1500);
/// After the downlink forced a receiver down, no layer of it goes up again for this long.
pub const UPGRADE_HOLD: Duration = Duration::from_secs(4);
/// The longest the hold grows to after steps up that the link could not carry.
pub const MAX_UPGRADE_HOLD: Duration = Duration::from_secs(32);
/// The share of a receiver's estimate, in percent, that its videos and voices may take.
pub const ESTIMATE_SHARE: u64 = 85;
/// What a receiver's microphones take of its downlink, per voice (Opus with its overhead).
const AUDIO_RATE: u64 = 40_000;
/// What a packet takes on the wire besides its payload: RTP header and extensions, SRTP tag, UDP
/// and IP (the estimate counts them).
const PACKET_OVERHEAD: u64 = 50;

/// The layer a tile of `width` device pixels needs: the smallest at least as wide (the best one for
/// wider tiles), or none for a tile that is not shown.
pub fn desired(tile: &TileSize) -> Option<Layer> {
    if tile.width == 0 || tile.height == 0 {
        return None;
    }
    if tile.kind == TrackKind::Screen {
        return Some(Layer::High);
    }
    Layer::ALL
        .into_iter()
        .find(|l| l.width() >= tile.width)
        .or(Some(Layer::High))
}

/// The bitrate a layer of a kind of video takes at most.
pub fn rate(kind: TrackKind, layer: Layer) -> u64 {
    match kind {
        TrackKind::Screen => u64::from(SCREEN_MAX_BITRATE),
        _ => u64::from(layer.max_bitrate()),
    }
}

/// One video a receiver gets, as the allocation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// Camera or screen.
    pub kind: TrackKind,
    /// The layer its tile needs (`None`: not shown).
    pub desired: Option<Layer>,
    /// Its tile's area in device pixels: the larger, the more important.
    pub area: u64,
    /// The layers its publisher sends now (by `Layer as usize`).
    pub sent: [bool; 3],
    /// The layer the receiver gets now, or is switching to.
    pub current: Option<Layer>,
    /// What each layer takes, in bits per second (by `Layer as usize`).
    pub rates: [u64; 3],
}

impl Want {
    /// The rates of a kind of video's layers at their caps (before any are measured).
    pub fn capped(kind: TrackKind) -> [u64; 3] {
        Layer::ALL.map(|l| rate(kind, l))
    }

    fn rate(&self, layer: Layer) -> u64 {
        self.rates[layer as usize]
    }

    /// Whether `layer` fits in `left` (`None`: no limit known). Going up from the current layer
    /// needs a quarter more room than the layer's rate, so a layer is not taken and dropped again
    /// at once, and is not allowed at all while `may_upgrade` is false.
    fn fits(&self, layer: Layer, left: Option<u64>, may_upgrade: bool) -> bool {
        let up = self.current.is_some_and(|c| layer > c);
        if up && !may_upgrade {
            return false;
        }
        let cost = self.rate(layer);
        let needed = if up { cost + cost / 4 } else { cost };
        left.is_none_or(|l| needed <= l)
    }

    /// What its best layer takes, with room to go up to it (nothing for a video not shown).
    fn room_for_best(&self) -> u64 {
        let best = self.ladder().first().map_or(0, |l| self.rate(*l));
        best + best / 4
    }

    /// The layers it could get, best first: those sent up to the desired one, else the lowest sent
    /// above it, else (nothing sent yet: the publisher is starting) the desired one itself.
    fn ladder(&self) -> Vec<Layer> {
        let Some(desired) = self.desired else {
            return Vec::new();
        };
        let below: Vec<Layer> = Layer::ALL
            .into_iter()
            .rev()
            .filter(|l| *l <= desired && self.sent[*l as usize])
            .collect();
        if !below.is_empty() {
            return below;
        }
        let above = Layer::ALL
            .into_iter()
            .find(|l| *l > desired && self.sent[*l as usize]);
        vec![above.unwrap_or(desired)]
    }
}

/// The outcome of [`allocate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The layer of each want, in the order given.
    pub layers: Vec<Option<Layer>>,
    /// The downlink made at least one video go below what it had and could otherwise have.
    pub squeezed: bool,
    /// What the layers chosen take, in bits per second.
    pub total: u64,
    /// How much more the smallest step up would need (its rate with room to spare, less what the
    /// video takes now), if any video is below its best.
    pub next_step: Option<u64>,
}

/// Chooses the layer of every video a receiver gets. `budget` is what its downlink has for video in
/// bits per second (`None`: unknown, every video gets its best); `may_upgrade` is false while
/// [`UPGRADE_HOLD`] runs.
///
/// Two passes in order of importance, as Jitsi's allocator does: first every video its lowest layer
/// (the most important one even when that does not fit), so that a short downlink shows everyone
/// small before it shows anyone sharp; then each in turn the best layer that fits in what is left.
pub fn allocate(wants: &[Want], budget: Option<u64>, may_upgrade: bool) -> Allocation {
    let mut order: Vec<usize> = (0..wants.len()).collect();
    // Screens first, then the largest tiles; stable, so equal tiles keep the caller's order.
    order.sort_by_key(|&i| (wants[i].kind != TrackKind::Screen, u64::MAX - wants[i].area));
    let ladders: Vec<Vec<Layer>> = wants.iter().map(Want::ladder).collect();
    let mut left = budget;
    let mut layers = vec![None; wants.len()];
    let take = |left: &mut Option<u64>, rate: u64| {
        if let Some(l) = left.as_mut() {
            *l = l.saturating_sub(rate);
        }
    };
    let mut first = true;
    for &i in &order {
        let Some(&lowest) = ladders[i].last() else {
            continue;
        };
        // The most important video is never dropped for the downlink, only lowered.
        if std::mem::take(&mut first) || wants[i].fits(lowest, left, may_upgrade) {
            layers[i] = Some(lowest);
            take(&mut left, wants[i].rate(lowest));
        }
    }
    for &i in &order {
        let Some(lowest) = layers[i] else {
            continue;
        };
        let want = &wants[i];
        let room = left.map(|l| l + want.rate(lowest));
        let better = ladders[i]
            .iter()
            .copied()
            .find(|l| want.fits(*l, room, may_upgrade))
            .unwrap_or(lowest);
        layers[i] = Some(better);
        left = room;
        take(&mut left, want.rate(better));
    }

    let mut squeezed = false;
    let mut total = 0;
    let mut next_step = None;
    for (i, want) in wants.iter().enumerate() {
        let ladder = &ladders[i];
        let Some(&best) = ladder.first() else {
            continue;
        };
        let chosen = layers[i];
        let could = want.current.map_or(best, |c| c.min(best));
        if chosen.is_none_or(|c| c < could) {
            squeezed = true;
        }
        let taken = chosen.map_or(0, |c| want.rate(c));
        total += taken;
        // The next layer up on its ladder (best first): the one before the chosen, or its lowest.
        let up = match chosen.and_then(|c| ladder.iter().position(|l| *l == c)) {
            Some(at) => at.checked_sub(1).map(|i| ladder[i]),
            None => ladder.last().copied(),
        };
        if let Some(up) = up {
            let step = (want.rate(up) + want.rate(up) / 4).saturating_sub(taken);
            next_step = Some(next_step.map_or(step, |s: u64| s.min(step)));
        }
    }
    Allocation {
        layers,
        squeezed,
        total,
        next_step,
    }
}

/// The bitrates a publisher's videos take, measured over the last two windows of at least
/// [`CHOICE_INTERVAL`] (by `Layer as usize` for the camera's layers, then the screen).
#[derive(Debug, Default)]
pub struct Meter {
    /// Bytes of the window running and of the one before.
    bytes: [u64; 4],
    before: [u64; 4],
    /// When the running window started, and how long the one before lasted.
    started: Option<Instant>,
    span_before: Duration,
    /// The rates in bits per second (`None`: nothing came in the last two windows).
    rates: [Option<u64>; 4],
}

impl Meter {
    fn slot(kind: TrackKind, layer: Layer) -> Option<usize> {
        match kind {
            TrackKind::Audio => None,
            TrackKind::Video => Some(layer as usize),
            TrackKind::Screen => Some(3),
        }
    }

    /// A packet of `payload` bytes of `kind` and `layer` came.
    pub fn add(&mut self, kind: TrackKind, layer: Layer, payload: usize) {
        if let Some(i) = Self::slot(kind, layer) {
            self.bytes[i] += payload as u64 + PACKET_OVERHEAD;
        }
    }

    /// Closes the running window if it lasted long enough, and updates the rates.
    fn tick(&mut self, now: Instant) {
        let started = *self.started.get_or_insert(now);
        let span = now.saturating_duration_since(started);
        if span < CHOICE_INTERVAL {
            return;
        }
        let total = span + self.span_before;
        for i in 0..4 {
            let bits = (self.bytes[i] + self.before[i]) * 8;
            let rate = u64::try_from(u128::from(bits) * 1_000_000 / total.as_micros().max(1));
            self.rates[i] = rate.ok().filter(|r| *r > 0);
        }
        self.before = std::mem::take(&mut self.bytes);
        self.span_before = span;
        self.started = Some(now);
    }

    /// What each layer of `kind` takes: measured, else its cap.
    fn rates(&self, kind: TrackKind) -> [u64; 3] {
        let capped = Want::capped(kind);
        Layer::ALL.map(|l| {
            Self::slot(kind, l)
                .and_then(|i| self.rates[i])
                .unwrap_or(capped[l as usize])
        })
    }
}

/// When a receiver may go up again after its downlink forced it down: [`UPGRADE_HOLD`] after the last
/// squeeze; doubled (up to [`MAX_UPGRADE_HOLD`]) each time a step up was followed by a squeeze
/// within twice that, because a link that cannot carry the step should not be tried every few
/// seconds (each try congests it, and every picture stands still for a moment); back to
/// [`UPGRADE_HOLD`] once a step up held that long.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hold {
    squeezed_at: Option<Instant>,
    upgraded_at: Option<Instant>,
    /// The hold now (`None`: [`UPGRADE_HOLD`]).
    length: Option<Duration>,
    /// When the estimator was last made to probe the link.
    probed_at: Option<Instant>,
}

impl Hold {
    fn length(&self) -> Duration {
        self.length.unwrap_or(UPGRADE_HOLD)
    }

    /// Whether the receiver may go up at `now`.
    pub fn may_upgrade(&mut self, now: Instant) -> bool {
        let since = |t: Instant| now.saturating_duration_since(t);
        if let Some(up) = self.upgraded_at
            && since(up) >= 2 * UPGRADE_HOLD
            && self.squeezed_at.is_none_or(|s| s < up)
        {
            self.length = None;
        }
        self.squeezed_at.is_none_or(|t| since(t) >= self.length())
    }

    /// Whether the estimator should probe the link at `now` for a video below its best: once per
    /// hold, and not while the receiver is held down (a probe then would only congest the link).
    pub fn may_probe(&mut self, now: Instant) -> bool {
        let due = self
            .probed_at
            .is_none_or(|t| now.saturating_duration_since(t) >= self.length());
        if due && self.may_upgrade(now) {
            self.probed_at = Some(now);
            return true;
        }
        false
    }

    /// The downlink forced the receiver down at `now`.
    pub fn squeezed(&mut self, now: Instant) {
        if self
            .upgraded_at
            .is_some_and(|up| now.saturating_duration_since(up) < 2 * UPGRADE_HOLD)
        {
            self.length = Some((2 * self.length()).min(MAX_UPGRADE_HOLD));
            self.upgraded_at = None;
        }
        self.squeezed_at = Some(now);
    }

    /// The receiver went up at `now`.
    pub fn upgraded(&mut self, now: Instant) {
        self.upgraded_at = Some(now);
    }
}

/// What the room knows about one participant's layers, as publisher and as receiver.
#[derive(Debug, Default)]
pub struct Layers {
    /// When a packet of each layer of their camera last came (by `Layer as usize`).
    seen: [Option<Instant>; 3],
    /// The camera layers we last told them to send (`None`: never told, all are on).
    told: Option<[bool; 3]>,
    /// Their tiles, once they reported them: (owner, kind) → tile.
    tiles: Option<HashMap<(ParticipantId, TrackKind), TileSize>>,
    /// Their downlink estimate in bits per second, if known.
    pub estimate: Option<u64>,
    /// When they may go up again after the downlink forced them down.
    hold: Hold,
    /// The layer of their camera the recording takes: the best one sent.
    pub record: LayerSwitch,
    /// What their videos take.
    pub meter: Meter,
    /// Whose cameras last-N withholds from them (`room::last_n`), as they were last told.
    withheld: HashSet<ParticipantId>,
}

impl Layers {
    /// A packet of `layer` of their camera came.
    pub fn seen(&mut self, layer: Layer, at: Instant) {
        self.seen[layer as usize] = Some(at);
    }

    /// Their camera went off: what it sent says nothing about what it will send.
    pub fn camera_off(&mut self) {
        self.seen = [None; 3];
    }

    /// Dynacast: the camera layers someone receives are `wanted`; returns what to tell the
    /// publisher (the layers to keep on) if that changed.
    fn tell(&mut self, mut wanted: [bool; 3], now: Instant) -> Option<Vec<Layer>> {
        // A layer not seen since the camera went on stays on until it is: paused before it ever
        // came, it would never count as sent, and nobody would ever ask for it.
        for layer in Layer::ALL {
            wanted[layer as usize] |= self.seen[layer as usize].is_none();
        }
        // Never told means all on.
        let before = self.told.unwrap_or([true; 3]);
        if before == wanted {
            return None;
        }
        // A layer resumed counts as sent while it has time to come back: otherwise the next choice
        // would find it missing, take a lower one, and pause it again.
        for layer in Layer::ALL {
            if wanted[layer as usize] && !before[layer as usize] {
                self.seen(layer, now);
            }
        }
        self.told = Some(wanted);
        Some(
            Layer::ALL
                .into_iter()
                .filter(|l| wanted[*l as usize])
                .collect(),
        )
    }

    /// The camera they show large, if they reported one.
    fn featured(&self) -> Option<ParticipantId> {
        let tiles = self.tiles.as_ref()?.values();
        tiles
            .filter(|t| t.featured && t.kind == TrackKind::Video)
            .map(|t| t.participant)
            .next()
    }

    /// Last-N withholds `withheld` from them now; returns what to tell them if that changed.
    fn tell_withheld(&mut self, withheld: HashSet<ParticipantId>) -> Option<ServerMsg> {
        if withheld == self.withheld {
            return None;
        }
        let mut without_video: Vec<ParticipantId> = withheld.iter().copied().collect();
        without_video.sort();
        self.withheld = withheld;
        Some(ServerMsg::LastN { without_video })
    }

    /// The layers their camera sends now: those seen lately, and those we paused after seeing them
    /// (they come back when asked).
    fn sent(&self, now: Instant) -> [bool; 3] {
        let mut sent = [false; 3];
        for layer in Layer::ALL {
            let i = layer as usize;
            let paused = self.told.is_some_and(|t| !t[i]);
            sent[i] = self.seen[i]
                .is_some_and(|at| paused || now.saturating_duration_since(at) < SEEN_WINDOW);
        }
        sent
    }
}

impl Room {
    /// A client reported its tiles: the choice runs again at once.
    pub(super) fn tiles(&mut self, now: Instant, from: ParticipantId, tiles: Vec<TileSize>) {
        let cap = 2 * self.limits.room_max_participants;
        let Some(p) = self.participants.get_mut(&from) else {
            return;
        };
        let tiles = tiles
            .into_iter()
            .take(cap)
            .map(|t| ((t.participant, t.kind), t))
            .collect();
        p.layers.tiles = Some(tiles);
        self.choose_layers(now);
    }

    /// Runs the choice for every receiver, and tells publishers which layers are wanted.
    pub(super) fn choose_layers(&mut self, now: Instant) {
        self.plane.layers_at = Some(now + CHOICE_INTERVAL);
        let sent: HashMap<ParticipantId, [bool; 3]> = self
            .participants
            .iter_mut()
            .map(|(id, p)| {
                p.layers.meter.tick(now);
                (*id, p.layers.sent(now))
            })
            .collect();
        let rates: HashMap<(ParticipantId, TrackKind), [u64; 3]> = self
            .participants
            .iter()
            .flat_map(|(id, p)| {
                [TrackKind::Video, TrackKind::Screen]
                    .map(|kind| ((*id, kind), p.layers.meter.rates(kind)))
            })
            .collect();
        // Per publisher, the camera layers someone gets or switches to.
        let mut wanted: HashMap<ParticipantId, [bool; 3]> =
            sent.keys().map(|id| (*id, [false; 3])).collect();
        // Whose cameras are on, in the order they joined (ids grow with every join).
        let cameras: Vec<ParticipantId> = self
            .participants
            .iter()
            .filter(|(_, p)| p.info.cam)
            .map(|(id, _)| *id)
            .collect();
        let last_n = LastN {
            limits: &self.limits,
            speakers: &self.plane.speakers,
            room_size: self.participants.len(),
            now,
        };
        let mut told_withheld = Vec::new();
        let mut any_video = false;
        for (id, p) in self.participants.iter_mut() {
            let others: Vec<ParticipantId> = cameras.iter().filter(|c| *c != id).copied().collect();
            let withheld = last_n.withheld(&others, p.layers.featured(), &p.layers.withheld);
            if let Some(msg) = p.layers.tell_withheld(withheld) {
                told_withheld.push((*id, msg));
            }
            let sources: Vec<Source> = p
                .peer
                .lines()
                .slots()
                .iter()
                .filter_map(|s| s.agreed)
                .filter(|s| s.kind != TrackKind::Audio)
                .collect();
            let wants: Vec<Want> = sources
                .iter()
                .map(|source| {
                    let tile = p
                        .layers
                        .tiles
                        .as_ref()
                        .map(|t| t.get(&(source.owner, source.kind)));
                    let layers = p.peer.layers_of(*source);
                    Want {
                        kind: source.kind,
                        desired: match tile {
                            _ if source.kind == TrackKind::Video
                                && p.layers.withheld.contains(&source.owner) =>
                            {
                                None
                            }
                            None => Some(Layer::High),
                            Some(tile) => tile.and_then(desired),
                        },
                        area: tile
                            .flatten()
                            .map_or(0, |t| u64::from(t.width) * u64::from(t.height)),
                        sent: match source.kind {
                            TrackKind::Video => {
                                sent.get(&source.owner).copied().unwrap_or_default()
                            }
                            // Screens are one layer.
                            _ => [false, false, true],
                        },
                        current: layers.and_then(|l| l.target()),
                        rates: rates
                            .get(&(source.owner, source.kind))
                            .copied()
                            .unwrap_or_else(|| Want::capped(source.kind)),
                    }
                })
                .collect();
            let may_upgrade = p.layers.hold.may_upgrade(now);
            let voices = p.peer.lines().slots().iter();
            let voices = voices.filter(|s| s.agreed.is_some_and(|a| a.kind == TrackKind::Audio));
            let audio = voices.count() as u64 * AUDIO_RATE;
            let budget = p
                .layers
                .estimate
                .map(|e| (e * ESTIMATE_SHARE / 100).saturating_sub(audio));
            let allocation = allocate(&wants, budget, may_upgrade);
            if p.layers.estimate.is_some() {
                if allocation.squeezed {
                    p.layers.hold.squeezed(now);
                }
                let up = |(w, l): (&Want, &Option<Layer>)| w.current.is_some_and(|c| *l > Some(c));
                if wants.iter().zip(&allocation.layers).any(up) {
                    p.layers.hold.upgraded(now);
                }
            }
            // The estimator probes for the estimate the best layers would need (only
            // ESTIMATE_SHARE percent of it is shared out: asked for what they take, it settled
            // below that and a featured tile on a fast link stayed at the middle layer); and while
            // a video is below its best, padding keeps the link filled up to the next step
            // (within the estimate), which is how the estimate finds out that the link has room.
            let best: u64 = wants.iter().map(Want::room_for_best).sum();
            let minimum = allocation
                .next_step
                .map_or(0, |s| allocation.total + audio + s);
            p.peer
                .want_bitrate(minimum, (best + audio) * 100 / ESTIMATE_SHARE);
            // str0m probes by itself only when the desired rate rises; a receiver held below its
            // best by an old estimate would otherwise wait for its stagnation probe (15 s and more).
            if p.layers.estimate.is_some()
                && allocation.next_step.is_some()
                && p.layers.hold.may_probe(now)
            {
                p.peer.probe_downlink(now);
                self.plane.schedule.mark_ready(*id);
            }
            for (source, layer) in sources.iter().zip(allocation.layers) {
                any_video = true;
                p.peer.set_layer(*source, layer);
                if source.kind != TrackKind::Video {
                    continue;
                }
                let switch = p.peer.layers_of(*source).unwrap_or_default();
                for l in [switch.current(), switch.target()].into_iter().flatten() {
                    if let Some(w) = wanted.get_mut(&source.owner) {
                        w[l as usize] = true;
                    }
                }
            }
        }
        // The recording takes every camera at the best layer sent.
        let recording = self.recording.is_some();
        let mut keyframes = Vec::new();
        for (id, p) in self.participants.iter_mut() {
            let best = Layer::ALL.into_iter().rev().find(|l| sent[id][*l as usize]);
            let target = (recording && p.info.cam).then(|| best.unwrap_or(Layer::High));
            p.layers.record.set_target(target);
            let switch = p.layers.record;
            for l in [switch.current(), switch.target()].into_iter().flatten() {
                any_video = true;
                if let Some(w) = wanted.get_mut(id) {
                    w[l as usize] = true;
                }
            }
            if let Some(layer) = switch.awaited() {
                keyframes.push((*id, layer));
            }
        }
        for (owner, layer) in keyframes {
            let source = Source {
                owner,
                kind: TrackKind::Video,
            };
            self.request_keyframe(now, source, layer, KeyframeRequestKind::Pli);
        }
        if !any_video {
            self.plane.layers_at = None;
        }
        for (id, msg) in told_withheld {
            self.send(id, msg);
        }
        for (id, w) in wanted {
            let told = self
                .participants
                .get_mut(&id)
                .and_then(|p| p.layers.tell(w, now));
            if let Some(active) = told {
                self.send(id, ServerMsg::Layers { active });
            }
        }
    }

    /// When the choice must run next, if video flows.
    pub(super) fn layers_deadline(&self) -> Option<Instant> {
        self.plane.layers_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Layer::*;

    const ALL_SENT: [bool; 3] = [true, true, true];

    fn tile(kind: TrackKind, width: u32, height: u32) -> TileSize {
        TileSize {
            participant: ParticipantId(1),
            kind,
            width,
            height,
            featured: false,
        }
    }

    fn camera(desired: Option<Layer>, area: u64, current: Option<Layer>) -> Want {
        Want {
            kind: TrackKind::Video,
            desired,
            area,
            sent: ALL_SENT,
            current,
            rates: Want::capped(TrackKind::Video),
        }
    }

    #[test]
    fn a_tile_gets_the_smallest_layer_as_wide_as_it() {
        let cam = TrackKind::Video;
        for (width, height, layer) in [
            (0, 0, None),
            (320, 0, None),
            (1, 1, Some(Low)),
            (320, 180, Some(Low)),
            (321, 180, Some(Medium)),
            (640, 360, Some(Medium)),
            (641, 360, Some(High)),
            (1280, 720, Some(High)),
            (3840, 2160, Some(High)),
        ] {
            assert_eq!(
                desired(&tile(cam, width, height)),
                layer,
                "{width}×{height}"
            );
        }
        assert_eq!(desired(&tile(TrackKind::Screen, 200, 100)), Some(High));
        assert_eq!(desired(&tile(TrackKind::Screen, 0, 100)), None);
    }

    #[test]
    fn without_an_estimate_every_tile_gets_its_layer_and_hidden_ones_nothing() {
        let wants = [
            camera(Some(Low), 100, None),
            camera(None, 0, Some(High)),
            camera(Some(High), 900, Some(Low)),
        ];
        let a = allocate(&wants, None, true);
        assert_eq!(a.layers, vec![Some(Low), None, Some(High)]);
        assert!(!a.squeezed);
    }

    #[test]
    fn a_layer_the_publisher_does_not_send_falls_to_the_best_sent_below_or_the_lowest_above() {
        let mut w = camera(Some(High), 1, None);
        for (sent, layer) in [
            ([true, true, false], Medium),
            ([true, false, false], Low),
            ([false, false, true], High),
        ] {
            w.sent = sent;
            assert_eq!(allocate(&[w], None, true).layers, vec![Some(layer)]);
        }
        let mut small = camera(Some(Low), 1, None);
        small.sent = [false, true, true];
        assert_eq!(allocate(&[small], None, true).layers, vec![Some(Medium)]);
        // Nothing sent yet (the camera is starting): the wanted layer, to switch to when it comes.
        small.sent = [false; 3];
        assert_eq!(allocate(&[small], None, true).layers, vec![Some(Low)]);
    }

    #[test]
    fn the_downlink_is_shared_by_importance_and_the_first_video_is_never_dropped() {
        let screen = Want {
            kind: TrackKind::Screen,
            desired: Some(High),
            area: 10,
            sent: [false, false, true],
            current: Some(High),
            rates: Want::capped(TrackKind::Screen),
        };
        let big = camera(Some(High), 1000, Some(High));
        let small = camera(Some(Low), 100, Some(Low));
        // Table: budget → (screen, big camera, small camera).
        for (budget, layers, squeezed) in [
            (10_000_000, [Some(High), Some(High), Some(Low)], false),
            // 2.5 M screen + 0.4 M big at Medium + 0.12 M small.
            (3_100_000, [Some(High), Some(Medium), Some(Low)], true),
            (2_800_000, [Some(High), Some(Low), Some(Low)], true),
            (2_650_000, [Some(High), Some(Low), None], true),
            (2_500_000, [Some(High), None, None], true),
            // Not even the screen fits: it still comes, the rest does not.
            (300_000, [Some(High), None, None], true),
        ] {
            let a = allocate(&[screen, big, small], Some(budget), true);
            assert_eq!(a.layers, layers.to_vec(), "budget {budget}");
            assert_eq!(a.squeezed, squeezed, "budget {budget}");
        }
        // Without a screen, a camera is first: lowered to its lowest, never dropped.
        let a = allocate(&[small, big], Some(50_000), true);
        assert_eq!(a.layers, vec![None, Some(Low)]);
    }

    #[test]
    fn a_short_downlink_shows_everyone_small_before_anyone_sharp() {
        let a = camera(Some(High), 1000, None);
        let b = camera(Some(High), 900, None);
        // 500 k: Medium for the first would leave too little for the second's Low.
        assert_eq!(
            allocate(&[a, b], Some(500_000), true).layers,
            vec![Some(Low), Some(Low)]
        );
        // 700 k: both at Low first, then the first up to Medium with what is left.
        assert_eq!(
            allocate(&[a, b], Some(700_000), true).layers,
            vec![Some(Medium), Some(Low)]
        );
    }

    #[test]
    fn the_allocation_says_what_it_takes_and_what_the_next_step_up_would_need() {
        let big = camera(Some(High), 1000, Some(High));
        let small = camera(Some(Low), 100, Some(Low));
        // Room for everything: there is no step up to make.
        let a = allocate(&[big, small], Some(10_000_000), true);
        assert_eq!((a.total, a.next_step), (1_620_000, None));
        // The big tile held at Low: its next step is Medium with a quarter to spare, 500 k, of
        // which Low's 120 k are already sent.
        let a = allocate(&[big, small], Some(300_000), true);
        assert_eq!(a.layers, vec![Some(Low), Some(Low)]);
        assert_eq!((a.total, a.next_step), (240_000, Some(380_000)));
        // The small one dropped: bringing it back at Low is the smaller step.
        let a = allocate(&[big, small], Some(150_000), true);
        assert_eq!(a.layers, vec![Some(Low), None]);
        assert_eq!((a.total, a.next_step), (120_000, Some(150_000)));
    }

    #[test]
    fn going_up_needs_room_to_spare_and_waits_out_the_hold() {
        let at_medium = camera(Some(High), 1000, Some(Medium));
        // 1.5 M fits in 1.6 M, but going up needs 1.875 M.
        assert_eq!(
            allocate(&[at_medium], Some(1_600_000), true).layers,
            vec![Some(Medium)]
        );
        assert_eq!(
            allocate(&[at_medium], Some(1_920_000), true).layers,
            vec![Some(High)]
        );
        // During the hold it stays, however much room there is...
        assert_eq!(
            allocate(&[at_medium], Some(10_000_000), false).layers,
            vec![Some(Medium)]
        );
        // ...but going down still happens at once, and staying needs no spare room.
        assert_eq!(
            allocate(&[at_medium], Some(300_000), false).layers,
            vec![Some(Low)]
        );
        let at_high = camera(Some(High), 1000, Some(High));
        assert_eq!(
            allocate(&[at_high], Some(1_600_000), false).layers,
            vec![Some(High)]
        );
    }

    #[test]
    fn a_step_up_the_link_cannot_carry_doubles_the_hold_and_one_that_holds_resets_it() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut hold = Hold::default();
        assert!(hold.may_upgrade(t0));
        hold.squeezed(t0);
        assert!(!hold.may_upgrade(t0 + s(3)));
        assert!(hold.may_upgrade(t0 + s(4)));
        // Up at 4 s, squeezed again at 6 s: the next try waits 8 s, then 16 s, up to 32 s.
        hold.upgraded(t0 + s(4));
        hold.squeezed(t0 + s(6));
        assert!(!hold.may_upgrade(t0 + s(13)));
        assert!(hold.may_upgrade(t0 + s(14)));
        let mut at = s(14);
        for expected in [16, 32, 32] {
            hold.upgraded(t0 + at);
            hold.squeezed(t0 + at + s(1));
            at += s(1);
            assert!(
                !hold.may_upgrade(t0 + at + s(expected - 1)),
                "hold {expected} s"
            );
            assert!(hold.may_upgrade(t0 + at + s(expected)), "hold {expected} s");
            at += s(expected);
        }
        // A squeeze long after a step up (the link changed, not the step) does not double it...
        hold.upgraded(t0 + at);
        assert!(
            hold.may_upgrade(t0 + at + s(8)),
            "a step that held resets the hold"
        );
        hold.squeezed(t0 + at + s(9));
        assert!(hold.may_upgrade(t0 + at + s(13)), "back to 4 s");
    }

    #[test]
    fn the_downlink_is_probed_once_per_hold_and_not_while_held() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut hold = Hold::default();
        assert!(hold.may_probe(t0), "a video below its best: probe at once");
        assert!(!hold.may_probe(at(1)), "not again within the hold");
        assert!(hold.may_probe(at(4)), "again after a hold");
        hold.squeezed(at(5));
        assert!(
            !hold.may_probe(at(8)),
            "not while held down after a squeeze"
        );
        assert!(hold.may_probe(at(9)), "once the hold is over");
        assert!(!hold.may_probe(at(10)));
    }

    #[test]
    fn an_estimate_swinging_around_a_threshold_does_not_swing_the_layer() {
        // Simulated time: the estimate alternates around High's rate (1.5 M) every choice; the
        // receiver goes down once and stays down until the estimate has room for High to spare.
        let mut current = Some(High);
        let mut squeezed_at: Option<Duration> = None;
        let mut switches = 0;
        for step in 0..40u32 {
            let now = CHOICE_INTERVAL * step;
            let estimate = match step {
                0..20 if step % 2 == 0 => 1_400_000,
                0..20 => 1_600_000,
                _ => 2_500_000,
            };
            let may_upgrade = squeezed_at.is_none_or(|t| now - t >= UPGRADE_HOLD);
            let a = allocate(
                &[camera(Some(High), 1, current)],
                Some(estimate),
                may_upgrade,
            );
            if a.squeezed {
                squeezed_at = Some(now);
            }
            if a.layers[0] != current {
                switches += 1;
                current = a.layers[0];
            }
            if step == 19 {
                assert_eq!(
                    current,
                    Some(Medium),
                    "down, and staying down while it swings"
                );
            }
        }
        assert_eq!(current, Some(High), "back up once the estimate held");
        assert_eq!(switches, 2);
    }

    #[test]
    fn layers_are_shared_out_by_what_they_measurably_take_and_by_their_caps_until_then() {
        let t0 = Instant::now();
        let mut meter = Meter::default();
        meter.tick(t0);
        // Half a second of a still picture's full layer: 25 packets of 700 bytes, 300 kbit/s on
        // the wire; and a microphone, which is not metered.
        for _ in 0..25 {
            meter.add(TrackKind::Video, High, 700);
            meter.add(TrackKind::Audio, High, 100);
        }
        meter.tick(t0 + CHOICE_INTERVAL);
        let rates = meter.rates(TrackKind::Video);
        assert_eq!(rates, [120_000, 400_000, 300_000], "measured, else the cap");
        assert_eq!(
            meter.rates(TrackKind::Screen),
            Want::capped(TrackKind::Screen)
        );
        // At its cap the full layer would not fit in 400 kbit/s; as it is, it does.
        let at_cap = camera(Some(High), 1, None);
        let measured = Want { rates, ..at_cap };
        assert_eq!(
            allocate(&[at_cap], Some(400_000), true).layers,
            vec![Some(Medium)]
        );
        assert_eq!(
            allocate(&[measured], Some(400_000), true).layers,
            vec![Some(High)]
        );
        // The next window half as full: the rate over both.
        for _ in 0..12 {
            meter.add(TrackKind::Video, High, 700);
        }
        meter.tick(t0 + 2 * CHOICE_INTERVAL);
        assert_eq!(meter.rates(TrackKind::Video)[2], 222_000);
        // A window too short changes nothing; two empty ones bring back the cap.
        meter.tick(t0 + 2 * CHOICE_INTERVAL + CHOICE_INTERVAL / 2);
        assert_eq!(meter.rates(TrackKind::Video)[2], 222_000);
        meter.tick(t0 + 3 * CHOICE_INTERVAL);
        meter.tick(t0 + 4 * CHOICE_INTERVAL);
        assert_eq!(
            meter.rates(TrackKind::Video),
            Want::capped(TrackKind::Video)
        );
    }

    #[test]
    fn dynacast_pauses_a_layer_when_its_last_receiver_goes_and_resumes_it_when_one_comes() {
        let t0 = Instant::now();
        let mut l = Layers::default();
        // Not told while all layers are wanted (the default), nor while one was never seen.
        assert_eq!(l.tell([true; 3], t0), None);
        l.seen(Low, t0);
        l.seen(Medium, t0);
        assert_eq!(l.tell([true, false, false], t0), Some(vec![Low, High]));
        l.seen(High, t0);
        let t1 = t0 + CHOICE_INTERVAL;
        assert_eq!(l.tell([true, false, false], t1), Some(vec![Low]));
        assert_eq!(l.tell([true, false, false], t1), None, "told once");
        // The last receiver of Low goes: nothing is sent.
        assert_eq!(l.tell([false; 3], t1), Some(vec![]));
        // Long after, paused layers still count as sent (they come back when asked)...
        let later = t1 + 10 * SEEN_WINDOW;
        assert_eq!(l.sent(later), [true; 3]);
        // ...and one resumed counts as sent while it has time to come back, then not any more.
        assert_eq!(l.tell([false, false, true], later), Some(vec![High]));
        assert_eq!(l.sent(later + SEEN_WINDOW / 2), [true, true, true]);
        assert_eq!(
            l.sent(later + SEEN_WINDOW),
            [true, true, false],
            "it never came"
        );
    }

    #[test]
    fn layers_sent_are_those_seen_lately_or_paused_by_us() {
        let t0 = Instant::now();
        let mut l = Layers::default();
        l.seen(Low, t0);
        l.seen(High, t0);
        assert_eq!(l.sent(t0), [true, false, true]);
        assert_eq!(l.sent(t0 + SEEN_WINDOW), [false; 3], "stopped coming");
        l.told = Some([true, false, false]);
        assert_eq!(
            l.sent(t0 + SEEN_WINDOW),
            [false, false, true],
            "paused by us"
        );
        l.camera_off();
        assert_eq!(l.sent(t0), [false; 3]);
    }
}
