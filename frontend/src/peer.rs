//! The one RTCPeerConnection to the server's SFU.
//!
//! Invariants:
//! - The server always offers; this side only answers ([`Peer::answer`]), so there is never glare.
//! - `iceServers` holds at most the operator's own TURN server, with the short-lived credential from
//!   `Joined`; without one it is empty: no STUN, the browser talks to nobody but the (ICE-lite)
//!   server (R9). No `icecandidate` is ever sent: the server learns our address (or our relay's)
//!   from our own connectivity checks, and our candidate list would only reveal local addresses.
//! - Which participant a receiving m-line carries is known only from the offer's `tracks` list, so the
//!   routes of an offer are installed before its `setRemoteDescription`: `track` events fire during
//!   that call and must be routed by the offer that created them, even if a later offer reuses the mid.
//! - The camera is sent as the simulcast layers the server offers to receive (rids of
//!   [`Layer::ALL`]), each scaled down and capped as [`Layer`] says; only the layers the server last
//!   said someone watches are active (`ServerMsg::Layers`, dynacast). The screen is one encoding,
//!   capped at [`SCREEN_MAX_BITRATE`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Reflect};
use treff_shared::{
    IceServer, Layer, ParticipantId, PublishMids, RemoteTrack, SCREEN_MAX_BITRATE, TrackKind,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaStreamTrack, RtcConfiguration, RtcIceServer, RtcPeerConnection, RtcPeerConnectionState,
    RtcRtpEncodingParameters, RtcRtpSender, RtcRtpTransceiver, RtcRtpTransceiverDirection,
    RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

use crate::speaker::Energy;

/// Where a remote track belongs.
pub type Route = (ParticipantId, TrackKind);

/// The peer connection and the handlers attached to it.
pub struct Peer {
    pc: RtcPeerConnection,
    /// mid -> owner, from the offer being (or last) applied.
    routes: Rc<RefCell<HashMap<String, Route>>>,
    /// Our publishing m-lines, from the latest offer.
    publish: RefCell<Option<PublishMids>>,
    /// The camera layers someone watches (`None`: not told yet, all of them).
    camera_layers: RefCell<Option<Vec<Layer>>>,
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
    _on_state: Closure<dyn FnMut()>,
}

impl Peer {
    /// Creates the connection with `ice_servers` (from `Joined`). `on_track` gets every remote track
    /// with its owner (it may be called again for a track it already has: it must be idempotent);
    /// `on_failed` is called when ICE/DTLS fails for good.
    pub fn new(
        ice_servers: &[IceServer],
        on_track: impl Fn(Route, MediaStreamTrack) + 'static,
        on_failed: impl Fn() + 'static,
    ) -> Result<Self, JsValue> {
        let servers: Array = ice_servers
            .iter()
            .map(|server| {
                let entry = RtcIceServer::new();
                let urls: Array = server.urls.iter().map(|u| JsValue::from_str(u)).collect();
                entry.set_urls(&urls);
                entry.set_username(&server.username);
                entry.set_credential(&server.credential);
                JsValue::from(entry)
            })
            .collect();
        let config = RtcConfiguration::new();
        config.set_ice_servers(&servers);
        let pc = RtcPeerConnection::new_with_configuration(&config)?;

        let routes: Rc<RefCell<HashMap<String, Route>>> = Rc::default();
        let on_track = Rc::new(on_track);

        let track_routes = routes.clone();
        let on_track_cb = on_track.clone();
        let on_track_closure = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |e: RtcTrackEvent| {
            let Some(mid) = e.transceiver().mid() else {
                return;
            };
            let route = track_routes.borrow().get(&mid).copied();
            if let Some(route) = route {
                on_track_cb(route, e.track());
            }
        });
        pc.set_ontrack(Some(on_track_closure.as_ref().unchecked_ref()));

        let state_pc = pc.clone();
        let on_state = Closure::<dyn FnMut()>::new(move || {
            if state_pc.connection_state() == RtcPeerConnectionState::Failed {
                on_failed();
            }
        });
        pc.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));

        Ok(Self {
            pc,
            routes,
            publish: RefCell::default(),
            camera_layers: RefCell::default(),
            _on_track: on_track_closure,
            _on_state: on_state,
        })
    }

    /// Applies one server offer and returns the SDP of our answer.
    ///
    /// `local` gives the current microphone or camera track (or none): it is asked after the remote
    /// description is set, so a device switched on while the offer was in flight is still published.
    /// `on_route` is called for every receiving transceiver of this offer, because a reused mid does
    /// not always fire a new `track` event.
    pub async fn answer(
        &self,
        sdp: &str,
        publish: &PublishMids,
        tracks: &[RemoteTrack],
        local: &dyn Fn(TrackKind) -> Option<MediaStreamTrack>,
        on_route: &dyn Fn(Route, MediaStreamTrack),
    ) -> Result<String, JsValue> {
        *self.routes.borrow_mut() = tracks
            .iter()
            .map(|t| (t.mid.clone(), (t.participant, t.kind)))
            .collect();

        let offer = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        offer.set_sdp(sdp);
        JsFuture::from(self.pc.set_remote_description(&offer)).await?;

        *self.publish.borrow_mut() = Some(publish.clone());
        // Our senders: switched on or off once the answer is set (below).
        let mut senders = Vec::new();
        for transceiver in self.transceivers() {
            // An m-line the server rejected (port 0) leaves a stopped transceiver behind; touching
            // it throws, and it carries nothing any more.
            if transceiver.direction() == RtcRtpTransceiverDirection::Stopped {
                continue;
            }
            let Some(mid) = transceiver.mid() else {
                continue;
            };
            let publishing = if mid == publish.audio {
                Some(TrackKind::Audio)
            } else if mid == publish.video {
                Some(TrackKind::Video)
            } else if mid == publish.screen {
                Some(TrackKind::Screen)
            } else {
                None
            };
            match publishing {
                Some(kind) => {
                    set_direction(&transceiver, RtcRtpTransceiverDirection::Sendonly)?;
                    let track = local(kind);
                    // A failed replaceTrack only costs this device's picture or sound, not the answer.
                    if let Err(e) =
                        JsFuture::from(transceiver.sender().replace_track(track.as_ref())).await
                    {
                        web_sys::console::warn_2(&"treff: replaceTrack failed".into(), &e);
                    }
                    senders.push((transceiver.sender(), kind));
                }
                None => {
                    set_direction(&transceiver, RtcRtpTransceiverDirection::Recvonly)?;
                    let route = self.routes.borrow().get(&mid).copied();
                    if let Some(route) = route {
                        on_route(route, transceiver.receiver().track());
                    }
                }
            }
        }

        let answer: RtcSessionDescriptionInit = JsFuture::from(self.pc.create_answer())
            .await?
            .unchecked_into();
        JsFuture::from(self.pc.set_local_description(&answer)).await?;
        for (sender, kind) in senders {
            self.sync_encodings(&sender, kind).await;
        }
        self.pc
            .local_description()
            .map(|d| d.sdp())
            .ok_or_else(|| JsValue::from_str("no local description after setLocalDescription"))
    }

    /// Puts `track` (or nothing) on the publishing m-line `mid` at once, without renegotiation.
    /// Does nothing before the first offer created that m-line: [`Peer::answer`] attaches it then.
    pub async fn publish(&self, mid: &str, track: Option<&MediaStreamTrack>) {
        let Some(transceiver) = self.transceivers().into_iter().find(|t| {
            t.direction() != RtcRtpTransceiverDirection::Stopped && t.mid().as_deref() == Some(mid)
        }) else {
            return;
        };
        let sender = transceiver.sender();
        if let Err(e) = JsFuture::from(sender.replace_track(track)).await {
            web_sys::console::warn_2(&"treff: replaceTrack failed".into(), &e);
        }
        if let Some(kind) = self.publish_kind(mid) {
            self.sync_encodings(&sender, kind).await;
        }
    }

    /// The server says which layers of our camera someone watches: the others pause.
    pub async fn set_camera_layers(&self, active: Vec<Layer>) {
        *self.camera_layers.borrow_mut() = Some(active);
        let mid = self.publish.borrow().as_ref().map(|p| p.video.clone());
        let camera = self
            .transceivers()
            .into_iter()
            .find(|t| t.direction() != RtcRtpTransceiverDirection::Stopped && t.mid() == mid);
        if let Some(transceiver) = camera {
            self.sync_encodings(&transceiver.sender(), TrackKind::Video)
                .await;
        }
    }

    /// Which of our tracks the publishing m-line `mid` carries.
    fn publish_kind(&self, mid: &str) -> Option<TrackKind> {
        let publish = self.publish.borrow();
        let p = publish.as_ref()?;
        TrackKind::ALL.into_iter().find(|kind| {
            mid == match kind {
                TrackKind::Audio => &p.audio,
                TrackKind::Video => &p.video,
                TrackKind::Screen => &p.screen,
            }
        })
    }

    /// Sets the encodings of our sender of `kind`: on while it has a track, off while it has none.
    /// Off matters: Firefox keeps encoding (about one frame a second) after `replaceTrack(null)`
    /// unless its encodings are inactive, so a camera turned off would still send pictures. The
    /// camera's simulcast layers get their scale and bitrate cap, and only those someone watches
    /// are on; the screen gets its cap. The track is read anew after each change, because it may
    /// come or go while `setParameters` runs (a camera opening during an answer). A failure costs
    /// only that, so it is logged, not raised.
    async fn sync_encodings(&self, sender: &RtcRtpSender, kind: TrackKind) {
        for _ in 0..3 {
            let has_track = sender.track().is_some();
            let parameters = sender.get_parameters();
            let Some(encodings) = parameters.get_encodings() else {
                return;
            };
            let mut changed = false;
            for encoding in encodings.iter() {
                let encoding: RtcRtpEncodingParameters = encoding.unchecked_into();
                let layer = encoding.get_rid().and_then(|rid| Layer::from_rid(&rid));
                let watched = match (layer, self.camera_layers.borrow().as_ref()) {
                    (Some(layer), Some(active)) => active.contains(&layer),
                    _ => true,
                };
                let active = has_track && watched;
                if encoding.get_active() != Some(active) {
                    encoding.set_active(active);
                    changed = true;
                }
                let (scale, bitrate) = match (kind, layer) {
                    (TrackKind::Video, Some(l)) => (Some(l.scale_down() as f32), l.max_bitrate()),
                    (TrackKind::Screen, _) => (None, SCREEN_MAX_BITRATE),
                    _ => continue,
                };
                if let Some(scale) = scale
                    && encoding.get_scale_resolution_down_by() != Some(scale)
                {
                    encoding.set_scale_resolution_down_by(scale);
                    changed = true;
                }
                if encoding.get_max_bitrate() != Some(bitrate) {
                    encoding.set_max_bitrate(bitrate);
                    changed = true;
                }
            }
            if !changed {
                return;
            }
            if let Err(e) = JsFuture::from(sender.set_parameters_with_parameters(&parameters)).await
            {
                web_sys::console::warn_2(&"treff: setParameters failed".into(), &e);
            }
        }
    }

    /// The audio counters of every voice we receive (by owner) and of our own microphone (`None`),
    /// published on `own_mid`. A stream without counters yet (no audio played or captured) is left
    /// out.
    pub async fn audio_energies(
        &self,
        own_mid: Option<&str>,
    ) -> Vec<(Option<ParticipantId>, Energy)> {
        let mut readings = Vec::new();
        for transceiver in self.transceivers() {
            if transceiver.direction() == RtcRtpTransceiverDirection::Stopped {
                continue;
            }
            let Some(mid) = transceiver.mid() else {
                continue;
            };
            let (owner, stats, stats_type) = if own_mid == Some(mid.as_str()) {
                (None, transceiver.sender().get_stats(), "media-source")
            } else {
                match self.routes.borrow().get(&mid) {
                    Some((owner, TrackKind::Audio)) => (
                        Some(*owner),
                        transceiver.receiver().get_stats(),
                        "inbound-rtp",
                    ),
                    _ => continue,
                }
            };
            let Ok(report) = JsFuture::from(stats).await else {
                continue;
            };
            if let Some(energy) = audio_energy(&report, stats_type) {
                readings.push((owner, energy));
            }
        }
        readings
    }

    fn transceivers(&self) -> Vec<RtcRtpTransceiver> {
        self.pc
            .get_transceivers()
            .iter()
            .filter_map(|t| t.dyn_into::<RtcRtpTransceiver>().ok())
            .collect()
    }

    /// Detaches the handlers and closes the connection; idempotent.
    pub fn close(&self) {
        self.pc.set_ontrack(None);
        self.pc.set_onconnectionstatechange(None);
        self.pc.close();
    }
}

/// `totalAudioEnergy` and `totalSamplesDuration` of the first audio entry of type `stats_type` in a
/// stats report.
fn audio_energy(report: &JsValue, stats_type: &str) -> Option<Energy> {
    let number = |entry: &JsValue, key: &str| Reflect::get(entry, &key.into()).ok()?.as_f64();
    let text = |entry: &JsValue, key: &str| Reflect::get(entry, &key.into()).ok()?.as_string();
    let mut found = None;
    report
        .unchecked_ref::<js_sys::Map>()
        .for_each(&mut |entry, _| {
            if found.is_none()
                && text(&entry, "type").as_deref() == Some(stats_type)
                && text(&entry, "kind").as_deref() == Some("audio")
            {
                found = Some(Energy {
                    energy: number(&entry, "totalAudioEnergy").unwrap_or(0.0),
                    duration: number(&entry, "totalSamplesDuration").unwrap_or(0.0),
                });
            }
        });
    found
}

/// Sets a transceiver's direction through `Reflect`, which turns the setter's exception (a transceiver
/// stopped meanwhile) into an error instead of an exception unwinding through wasm.
fn set_direction(
    transceiver: &RtcRtpTransceiver,
    direction: RtcRtpTransceiverDirection,
) -> Result<(), JsValue> {
    Reflect::set(transceiver, &"direction".into(), &direction.into()).map(|_| ())
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.close();
    }
}
