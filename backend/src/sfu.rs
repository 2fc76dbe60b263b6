//! The SFU side of one participant: a str0m `Rtc` (ICE-lite, DTLS-SRTP, Opus and VP8 only) and the
//! negotiation state of the tracks it sends and receives.
//!
//! Invariants:
//! - The server is always the offerer: there is at most one offer in flight (`pending`), and changes
//!   made meanwhile wait for the answer. So there is never glare, even when three people join at once.
//! - Every participant publishes on exactly three m-lines created in the first offer (`publish`:
//!   audio, camera and screen, recvonly on our side; the screen one stays silent until they share). Every other participant's publish m-line becomes one sendonly
//!   m-line here (`outgoing`), and is stopped (and later recycled by str0m) when its owner leaves.
//! - Media is forwarded without decoding: str0m depacketises a codec frame and we write the same bytes
//!   to each receiver, which repacketises them with that receiver's negotiated payload type, SSRC and
//!   sequence numbers. Only Opus and VP8 are offered, so every receiver can take every sender's frames.
//! - Nothing here logs addresses, SDP or names (operational logs hold no personal data).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::crypto::CryptoProvider;
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, IceCreds, Input, Output, Rtc};
use treff_shared::{ParticipantId, PublishMids, RemoteTrack, ServerMsg, TrackKind};

/// A browser-published track: whose it is and the m-line it arrives on at the owner's peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The participant who publishes it.
    pub owner: ParticipantId,
    /// Its m-line on the owner's peer.
    pub mid: Mid,
    /// Audio or video.
    pub kind: TrackKind,
}

/// Something a peer produced that the room must pass to other peers.
#[derive(Debug)]
pub enum PeerEvent {
    /// A media frame arrived on one of this peer's publish m-lines.
    Media(Box<MediaData>),
    /// A receiver asks for a keyframe of `source` (PLI or FIR from the browser).
    KeyframeRequest {
        /// The track whose sender must produce a keyframe.
        source: Source,
        /// PLI or FIR, passed on as it came.
        kind: KeyframeRequestKind,
    },
}

/// Why an answer was refused.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// An answer arrived while no offer was outstanding.
    #[error("no offer is waiting for an answer")]
    Unexpected,
    /// The SDP text did not parse or str0m refused it; the peer goes on.
    #[error("the SDP answer was not accepted")]
    Invalid,
    /// str0m refused the answer to the first offer: the peer has no publish m-lines and cannot recover.
    #[error("the SDP answer to the first offer was refused")]
    Fatal,
}

/// Negotiation state of one outgoing (server → browser) m-line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutState {
    /// To be added in the next offer.
    ToOpen,
    /// Offered, answer outstanding.
    Negotiating(Mid),
    /// Negotiated: media flows.
    Open(Mid),
    /// Its owner left: to be stopped in the next offer.
    ToStop(Mid),
    /// Stop offered, answer outstanding; dropped when the answer comes.
    Stopping(Mid),
}

#[derive(Debug)]
struct TrackOut {
    source: Source,
    state: OutState,
    /// The owner left while this m-line was being negotiated: stop it once the answer is in.
    orphaned: bool,
}

/// How long after a keyframe request for a track another one is passed on: browsers send PLIs in
/// bursts when several receivers start at once, and one keyframe serves them all.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(300);

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
        [
            (self.audio, TrackKind::Audio),
            (self.video, TrackKind::Video),
            (self.screen, TrackKind::Screen),
        ]
        .into_iter()
        .find_map(|(m, kind)| (m == mid).then_some(kind))
    }
}

/// One participant's WebRTC connection to the SFU.
pub struct Peer {
    rtc: Rtc,
    ufrag: Arc<str>,
    publish: Option<Publish>,
    /// The first offer (with the publish m-lines) was answered.
    publish_negotiated: bool,
    outgoing: Vec<TrackOut>,
    pending: Option<SdpPendingOffer>,
    last_keyframe_request: Vec<(Mid, Instant)>,
}

impl Peer {
    /// A new peer that announces `candidate` (the shared UDP socket's public address) as its only
    /// ICE candidate. `ufrag` must be unique on the server: the UDP demux routes STUN by it.
    pub fn new(
        now: Instant,
        candidate: SocketAddr,
        ufrag: Arc<str>,
        pass: String,
        crypto: Arc<CryptoProvider>,
    ) -> Self {
        let mut rtc = Rtc::builder()
            .set_crypto_provider(crypto)
            .set_ice_lite(true)
            .set_local_ice_credentials(IceCreds {
                ufrag: ufrag.to_string(),
                pass,
            })
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(now);
        match Candidate::host(candidate, "udp") {
            Ok(c) => {
                rtc.add_local_candidate(c);
            }
            // Only an unusable configured address gets here; the peer then never connects and the
            // participant still has signalling. Logged without the address.
            Err(e) => tracing::error!(error = %e, "media candidate refused"),
        }
        Self {
            rtc,
            ufrag,
            publish: None,
            publish_negotiated: false,
            outgoing: Vec::new(),
            pending: None,
            last_keyframe_request: Vec::new(),
        }
    }

    /// The ICE username fragment that identifies this peer's UDP traffic.
    pub fn ufrag(&self) -> &Arc<str> {
        &self.ufrag
    }

    /// The m-lines this peer publishes on, once the first offer was made.
    pub fn publish_mids(&self) -> Option<Publish> {
        self.publish
    }

    /// False once the connection failed for good.
    pub fn is_alive(&self) -> bool {
        self.rtc.is_alive()
    }

    /// Schedules another participant's audio, camera and screen (their publish m-lines) to be sent
    /// here.
    pub fn add_publisher(&mut self, owner: ParticipantId, publish: Publish) {
        for (mid, kind) in [
            (publish.audio, TrackKind::Audio),
            (publish.video, TrackKind::Video),
            (publish.screen, TrackKind::Screen),
        ] {
            let source = Source { owner, mid, kind };
            self.outgoing.push(TrackOut {
                source,
                state: OutState::ToOpen,
                orphaned: false,
            });
        }
    }

    /// Schedules every track of `owner` to be stopped (they left).
    pub fn remove_owner(&mut self, owner: ParticipantId) {
        self.outgoing.retain_mut(|t| {
            if t.source.owner != owner {
                return true;
            }
            match t.state {
                OutState::ToOpen => return false,
                OutState::Negotiating(_) => t.orphaned = true,
                OutState::Open(m) => t.state = OutState::ToStop(m),
                OutState::ToStop(_) | OutState::Stopping(_) => {}
            }
            true
        });
    }

    /// Makes an offer if something changed and no offer is in flight.
    pub fn negotiate(&mut self) -> Option<ServerMsg> {
        if self.pending.is_some() {
            return None;
        }
        let mut api = self.rtc.sdp_api();
        let publish = match self.publish {
            Some(p) => p,
            None => {
                let mut recv = |kind| api.add_media(kind, Direction::RecvOnly, None, None, None);
                Publish {
                    audio: recv(MediaKind::Audio),
                    video: recv(MediaKind::Video),
                    screen: recv(MediaKind::Video),
                }
            }
        };
        for t in &mut self.outgoing {
            match t.state {
                OutState::ToOpen => {
                    let kind = match t.source.kind {
                        TrackKind::Audio => MediaKind::Audio,
                        TrackKind::Video | TrackKind::Screen => MediaKind::Video,
                    };
                    // The stream id groups one participant's audio and video for the browser's
                    // lip sync; it is the participant id, never the name.
                    let stream = t.source.owner.to_string();
                    let mid = api.add_media(kind, Direction::SendOnly, Some(stream), None, None);
                    t.state = OutState::Negotiating(mid);
                }
                OutState::ToStop(mid) => {
                    api.stop_media(mid);
                    t.state = OutState::Stopping(mid);
                }
                _ => {}
            }
        }
        if !api.has_changes() {
            return None;
        }
        let (offer, pending) = api.apply()?;
        self.publish = Some(publish);
        self.pending = Some(pending);
        let tracks = self
            .outgoing
            .iter()
            .filter_map(|t| match t.state {
                OutState::Negotiating(mid) | OutState::Open(mid) => Some(RemoteTrack {
                    mid: mid.to_string(),
                    participant: t.source.owner,
                    kind: t.source.kind,
                }),
                _ => None,
            })
            .collect();
        Some(ServerMsg::Offer {
            sdp: offer.to_sdp_string(),
            publish: PublishMids {
                audio: publish.audio.to_string(),
                video: publish.video.to_string(),
                screen: publish.screen.to_string(),
            },
            tracks,
        })
    }

    /// Applies the browser's answer to the outstanding offer. Returns the video sources that just
    /// became receivable here, so the room can ask their owners for a keyframe (a picture at once).
    ///
    /// An answer that does not parse leaves the offer outstanding (the browser may still send a good
    /// one). An answer str0m refuses ends that offer: its changes go back to be offered again, except
    /// for the very first offer, without which this peer has no publish m-lines ([`AnswerError::Fatal`]).
    pub fn accept_answer(&mut self, sdp: &str) -> Result<Vec<Source>, AnswerError> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|_| AnswerError::Invalid)?;
        let pending = self.pending.take().ok_or(AnswerError::Unexpected)?;
        if self.rtc.sdp_api().accept_answer(pending, answer).is_err() {
            return Err(self.abandon_offer());
        }
        self.publish_negotiated = true;
        let mut opened = Vec::new();
        self.outgoing.retain_mut(|t| match t.state {
            OutState::Negotiating(mid) if t.orphaned => {
                t.state = OutState::ToStop(mid);
                true
            }
            OutState::Negotiating(mid) => {
                t.state = OutState::Open(mid);
                if t.source.kind != TrackKind::Audio {
                    opened.push(t.source);
                }
                true
            }
            OutState::Stopping(_) => false,
            _ => true,
        });
        Ok(opened)
    }

    /// str0m dropped the refused offer's changes: schedule them again for the next offer.
    fn abandon_offer(&mut self) -> AnswerError {
        self.outgoing.retain_mut(|t| match t.state {
            OutState::Negotiating(_) if t.orphaned => false,
            OutState::Negotiating(_) => {
                t.state = OutState::ToOpen;
                true
            }
            OutState::Stopping(mid) => {
                t.state = OutState::ToStop(mid);
                true
            }
            _ => true,
        });
        if self.publish_negotiated {
            AnswerError::Invalid
        } else {
            AnswerError::Fatal
        }
    }

    /// Feeds one UDP datagram that the demux routed here by its ICE ufrag or source address.
    pub fn receive(
        &mut self,
        at: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        data: &[u8],
    ) {
        let Ok(contents) = data.try_into() else {
            return; // Not STUN, DTLS, RTP or RTCP: ignore, as the socket is public.
        };
        let input = Input::Receive(
            at,
            Receive {
                proto: Protocol::Udp,
                source,
                destination,
                contents,
            },
        );
        if let Err(e) = self.rtc.handle_input(input) {
            tracing::debug!(error = %e, "peer input refused");
        }
    }

    /// Drives the peer's timers, sends its datagrams with `send` and collects what other peers need.
    /// Returns when the peer next wants to be woken.
    pub fn poll(
        &mut self,
        now: Instant,
        send: &mut dyn FnMut(SocketAddr, &[u8]),
        events: &mut Vec<PeerEvent>,
    ) -> Instant {
        if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
            tracing::debug!(error = %e, "peer timeout handling failed");
        }
        loop {
            if !self.rtc.is_alive() {
                return now + Duration::from_secs(1);
            }
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => return t,
                Ok(Output::Transmit(t)) => send(t.destination, &t.contents),
                Ok(Output::Event(e)) => self.on_event(now, e, events),
                Err(e) => {
                    tracing::info!(error = %e, "peer failed, disconnecting its media");
                    self.rtc.disconnect();
                }
            }
        }
    }

    fn on_event(&mut self, now: Instant, event: Event, events: &mut Vec<PeerEvent>) {
        match event {
            Event::MediaData(data) => {
                let Some(kind) = self.publish.and_then(|p| p.kind_of(data.mid)) else {
                    return;
                };
                if !data.contiguous && kind != TrackKind::Audio {
                    // Lost packets we could not recover: ask the publisher for a fresh keyframe so
                    // the receivers' decoders recover (throttled below).
                    self.request_keyframe(now, data.mid, KeyframeRequestKind::Pli);
                }
                events.push(PeerEvent::Media(Box::new(data)));
            }
            Event::KeyframeRequest(req) => {
                let source = self.outgoing.iter().find_map(|t| match t.state {
                    OutState::Open(mid) if mid == req.mid => Some(t.source),
                    _ => None,
                });
                if let Some(source) = source {
                    events.push(PeerEvent::KeyframeRequest {
                        source,
                        kind: req.kind,
                    });
                }
            }
            Event::IceConnectionStateChange(state) => {
                tracing::debug!(?state, "ice state");
                if state == IceConnectionState::Disconnected {
                    // The browser stopped its consent checks (tab closed or network gone). The
                    // WebSocket decides whether the participant is still there; media just pauses.
                }
            }
            _ => {}
        }
    }

    /// Writes another participant's frame to this peer, if it receives that track.
    pub fn forward(&mut self, owner: ParticipantId, data: &MediaData) {
        let Some(mid) = self.outgoing.iter().find_map(|t| match t.state {
            OutState::Open(mid) if t.source.owner == owner && t.source.mid == data.mid => Some(mid),
            _ => None,
        }) else {
            return;
        };
        let Some(writer) = self.rtc.writer(mid) else {
            return;
        };
        let Some(pt) = writer.match_params(data.params) else {
            return;
        };
        if let Err(e) = writer.write(pt, data.network_time, data.time, data.data.clone()) {
            tracing::debug!(error = %e, "forwarding a frame failed");
        }
    }

    /// Asks this peer's browser for a keyframe on one of its publish m-lines, at most once per
    /// [`KEYFRAME_REQUEST_INTERVAL`].
    pub fn request_keyframe(&mut self, now: Instant, mid: Mid, kind: KeyframeRequestKind) {
        match self
            .last_keyframe_request
            .iter_mut()
            .find(|(m, _)| *m == mid)
        {
            Some((_, at)) if now.duration_since(*at) < KEYFRAME_REQUEST_INTERVAL => return,
            Some((_, at)) => *at = now,
            None => self.last_keyframe_request.push((mid, now)),
        }
        if let Some(mut writer) = self.rtc.writer(mid) {
            // Fails only while nothing is received on the m-line yet (camera off): nothing to refresh.
            let _ = writer.request_keyframe(None, kind);
        }
    }
}
