//! The webrtc-rs side of a generated participant, the same for Treff and Janus: a peer connection
//! on loopback, the Opus and VP8 tracks a publisher writes RTP to, and the receive path that counts
//! every decrypted packet (see [`crate::media::count_track`]).
//!
//! Set up as `backend/tests/support/mod.rs` does (loopback candidates only, no mDNS, Opus 111 and
//! VP8 96 with the feedback a browser offers), with one deliberate difference: of the default
//! interceptors only the RTCP reports are registered. NACK and TWCC would make the generator
//! retransmit and run congestion control, which would cost its one core and hide loss from the
//! loss column; the SFUs under test still see receiver and sender reports as from a browser.

use crate::media::{FULL, LAYERS, SendControl, Tally, count_track};
use crate::treff::Publishing;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use webrtc::api::APIBuilder;
use webrtc::api::interceptor_registry::configure_rtcp_reports;
use webrtc::api::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice_transport::ice_connection_state::RTCIceConnectionState;
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtp_transceiver::rtp_codec::{
    RTCRtpCodecCapability, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RTPCodecType,
};
use webrtc::rtp_transceiver::rtp_sender::RTCRtpSender;
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;
use webrtc::rtp_transceiver::{RTCPFeedback, RTCRtpTransceiver, RTCRtpTransceiverInit};
use webrtc::track::track_local::TrackLocal;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;
use webrtc::track::track_remote::TrackRemote;

/// How long ICE gathering may take (loopback only: it is immediate unless the generator is stuck).
const GATHER: Duration = Duration::from_secs(10);

/// Opus as browsers offer it.
pub fn opus_codec() -> RTCRtpCodecCapability {
    RTCRtpCodecCapability {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

/// VP8 with the feedback browsers offer.
pub fn vp8_codec() -> RTCRtpCodecCapability {
    let fb = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    };
    RTCRtpCodecCapability {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: vec![
            fb("goog-remb", ""),
            fb("ccm", "fir"),
            fb("nack", ""),
            fb("nack", "pli"),
        ],
    }
}

/// A new peer connection that only gathers a loopback host candidate, and one on `also` if given
/// (Janus's media address, see [`crate::process::janus_media_ip`]). A `simulcast` one can send
/// the rid (and mid) header extensions that tell simulcast layers apart.
pub async fn new_peer_connection(
    also: Option<IpAddr>,
    simulcast: bool,
) -> Result<Arc<RTCPeerConnection>> {
    let mut media = MediaEngine::default();
    media.register_codec(
        RTCRtpCodecParameters {
            capability: opus_codec(),
            payload_type: 111,
            ..Default::default()
        },
        RTPCodecType::Audio,
    )?;
    media.register_codec(
        RTCRtpCodecParameters {
            capability: vp8_codec(),
            payload_type: 96,
            ..Default::default()
        },
        RTPCodecType::Video,
    )?;
    if simulcast {
        for uri in [
            webrtc::sdp::extmap::SDES_MID_URI,
            webrtc::sdp::extmap::SDES_RTP_STREAM_ID_URI,
        ] {
            let extension = RTCRtpHeaderExtensionCapability {
                uri: uri.to_owned(),
            };
            media.register_header_extension(extension, RTPCodecType::Video, None)?;
        }
    }
    let registry = configure_rtcp_reports(Registry::new());
    let mut settings = SettingEngine::default();
    settings.set_include_loopback_candidate(true);
    settings.set_ip_filter(Box::new(move |ip| ip.is_loopback() || Some(ip) == also));
    settings.set_network_types(vec![NetworkType::Udp4]);
    settings.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);
    let api = APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .build();
    let pc = api
        .new_peer_connection(RTCConfiguration::default())
        .await
        .context("new RTCPeerConnection")?;
    Ok(Arc::new(pc))
}

/// A publisher's two tracks and the switches of its send loop.
pub struct Outgoing {
    /// The Opus track.
    pub audio: Arc<TrackLocalStaticRTP>,
    /// The VP8 track (the lowest simulcast layer when there are several).
    pub video: Arc<TrackLocalStaticRTP>,
    /// The upper simulcast layers, if it sends them.
    pub layers: Vec<Arc<TrackLocalStaticRTP>>,
    /// Keyframe requests and the stop switch.
    pub control: Arc<SendControl>,
}

impl Outgoing {
    /// Sends `p`'s media on these tracks until the stop switch is cleared (spawn it).
    pub fn publish(&self, p: Publishing, tally: &Arc<Tally>) -> impl Future<Output = ()> + use<> {
        let videos = if self.layers.is_empty() {
            vec![(Arc::clone(&self.video), FULL)]
        } else {
            std::iter::once(&self.video)
                .chain(&self.layers)
                .cloned()
                .zip(LAYERS)
                .collect()
        };
        crate::media::publish(
            Arc::clone(&self.audio),
            videos,
            p.source,
            p.fanout,
            Arc::clone(tally),
            Arc::clone(&self.control),
        )
    }
}

/// Waits, before a renegotiation, until webrtc-rs has started its transports after the first answer.
/// webrtc-rs 0.17 hands its ICE agent the remote credentials only then, in a task of its own; an offer
/// applied earlier is taken for an ICE restart by the remote, and the answer carries new credentials
/// that Treff refuses (see `transports_started` in the backend's test support, which found it). The
/// agent has the credentials before it starts checking, so any state but `New` will do.
pub async fn transports_started(pc: &RTCPeerConnection) -> Result<()> {
    let started = async {
        while pc.ice_connection_state() == RTCIceConnectionState::New {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), started)
        .await
        .context("ICE did not start within 5 s of the first answer")
}

/// Adds a send-only transceiver for `track`, reads its RTCP (PLI/FIR ask for a key frame) and
/// returns the transceiver.
pub async fn add_sendonly(
    pc: &Arc<RTCPeerConnection>,
    track: Arc<TrackLocalStaticRTP>,
    control: &Arc<SendControl>,
    tasks: &Tasks,
) -> Result<Arc<RTCRtpTransceiver>> {
    let t = pc
        .add_transceiver_from_track(
            track as Arc<dyn TrackLocal + Send + Sync>,
            Some(RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Sendonly,
                send_encodings: vec![],
            }),
        )
        .await
        .context("add a sendonly transceiver")?;
    spawn_rtcp_reader(tasks, t.sender().await, Arc::clone(control));
    Ok(t)
}

/// New tracks for a publisher (not yet on a peer connection): the video as one track, or as the
/// simulcast [`LAYERS`] (`video` the lowest, `layers` the others; see [`add_layers`]).
pub fn new_outgoing(stream_id: &str, simulcast: bool) -> Outgoing {
    let control = Arc::new(SendControl::default());
    control.running.store(true, Ordering::Relaxed);
    let video = |rid: &str| {
        let (id, stream) = ("video".to_owned(), stream_id.to_owned());
        Arc::new(match rid {
            "" => TrackLocalStaticRTP::new(vp8_codec(), id, stream),
            rid => TrackLocalStaticRTP::new_with_rid(vp8_codec(), id, rid.to_owned(), stream),
        })
    };
    let (lowest, upper) = if simulcast {
        (
            LAYERS[0].rid,
            LAYERS[1..].iter().map(|l| video(l.rid)).collect(),
        )
    } else {
        ("", Vec::new())
    };
    Outgoing {
        audio: Arc::new(TrackLocalStaticRTP::new(
            opus_codec(),
            "audio".into(),
            stream_id.into(),
        )),
        video: video(lowest),
        layers: upper,
        control,
    }
}

/// Puts the upper simulcast layers of `outgoing` on the camera's transceiver.
pub async fn add_layers(transceiver: &RTCRtpTransceiver, outgoing: &Outgoing) -> Result<()> {
    let sender = transceiver.sender().await;
    for layer in &outgoing.layers {
        sender
            .add_encoding(Arc::clone(layer) as Arc<dyn TrackLocal + Send + Sync>)
            .await
            .context("add a simulcast layer")?;
    }
    Ok(())
}

fn spawn_rtcp_reader(tasks: &Tasks, sender: Arc<RTCRtpSender>, control: Arc<SendControl>) {
    tasks.spawn(async move {
        while let Ok((packets, _)) = sender.read_rtcp().await {
            for p in packets {
                let any = p.as_any();
                if any.downcast_ref::<PictureLossIndication>().is_some()
                    || any.downcast_ref::<FullIntraRequest>().is_some()
                {
                    control.want_keyframe.store(true, Ordering::Relaxed);
                }
            }
        }
    });
}

/// Sources (publisher numbers) whose video a participant has received, for the readiness check.
pub type Sources = Arc<Mutex<BTreeSet<u16>>>;

/// Counts every track the peer receives into `tally`, and notes whose video arrived in `sources`.
pub fn count_incoming(
    pc: &Arc<RTCPeerConnection>,
    tally: &Arc<Tally>,
    sources: &Sources,
    tasks: &Tasks,
) {
    let tally = Arc::clone(tally);
    let sources = Arc::clone(sources);
    let tasks = tasks.clone();
    pc.on_track(Box::new(
        move |track: Arc<TrackRemote>, _receiver, _transceiver| {
            let tally = Arc::clone(&tally);
            let sources = Arc::clone(&sources);
            let video = track.kind() == RTPCodecType::Video;
            tasks.spawn(count_track(track, tally, move |source| {
                if video && let Ok(mut s) = sources.lock() {
                    s.insert(source);
                }
            }));
            Box::pin(async {})
        },
    ));
}

/// Sets the local description and waits for ICE gathering: the SDP then carries the candidate
/// (neither SFU needs trickled candidates from us).
pub async fn set_local_and_gather(
    pc: &RTCPeerConnection,
    desc: webrtc::peer_connection::sdp::session_description::RTCSessionDescription,
) -> Result<String> {
    let mut gathered = pc.gathering_complete_promise().await;
    pc.set_local_description(desc)
        .await
        .context("set_local_description")?;
    tokio::time::timeout(GATHER, gathered.recv())
        .await
        .context("ICE gathering did not complete")?;
    Ok(pc
        .local_description()
        .await
        .context("no local description")?
        .sdp)
}

/// The tasks of one participant, aborted together when it goes.
#[derive(Clone, Default)]
pub struct Tasks(Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>);

impl Tasks {
    /// Spawns `fut` and keeps its handle.
    pub fn spawn(&self, fut: impl std::future::Future<Output = ()> + Send + 'static) {
        let h = tokio::spawn(fut);
        if let Ok(mut v) = self.0.lock() {
            v.push(h);
        }
    }

    /// Aborts every task.
    pub fn abort_all(&self) {
        if let Ok(mut v) = self.0.lock() {
            for h in v.drain(..) {
                h.abort();
            }
        }
    }
}
