//! Real media through the SFU: webrtc-rs participants publish synthetic Opus and VP8, the server
//! forwards RTP to the others on the m-lines its offers attribute to the sender, renegotiates when
//! people come and go, and forwards keyframe requests back to the publisher.

mod support;

use std::time::Duration;
use support::{MEDIA, OfferInfo, Publish, STEP, WebrtcParticipant, new_room, start_default};
use tokio::time::Instant;
use treff_shared::{ParticipantId, ServerMsg, TrackKind};

/// Packets that prove a stream flows: about 1 s of audio (50 pps) or 2 s of video (30 fps).
const ENOUGH: u64 = 50;

fn offers_tracks_of(o: &OfferInfo, who: ParticipantId) -> bool {
    o.tracks
        .iter()
        .any(|t| t.participant == who && t.kind == TrackKind::Audio)
        && o.tracks
            .iter()
            .any(|t| t.participant == who && t.kind == TrackKind::Video)
}

/// The offer's bookkeeping is consistent: one audio and one video m-line per other participant,
/// none for the receiver itself, no mid used twice, publish mids apart from track mids.
fn check_offer(o: &OfferInfo, me: ParticipantId, others: &[ParticipantId]) {
    assert_ne!(o.publish.audio, o.publish.video, "publish mids differ");
    let mut mids: Vec<&str> = o.tracks.iter().map(|t| t.mid.as_str()).collect();
    mids.sort();
    mids.dedup();
    assert_eq!(
        mids.len(),
        o.tracks.len(),
        "no mid carries two tracks: {o:?}"
    );
    for t in &o.tracks {
        assert_ne!(
            t.participant, me,
            "an offer never sends me my own media: {o:?}"
        );
        assert!(
            t.mid != o.publish.audio && t.mid != o.publish.video,
            "a track mid is also a publish mid: {o:?}"
        );
    }
    for &p in others {
        for kind in [TrackKind::Audio, TrackKind::Video] {
            let n = o
                .tracks
                .iter()
                .filter(|t| t.participant == p && t.kind == kind)
                .count();
            assert_eq!(n, 1, "exactly one {kind:?} m-line for {p}: {o:?}");
        }
    }
}

/// Waits until `rx` has received more than `n` packets of `kind` from `from`.
async fn wait_packets(rx: &WebrtcParticipant, from: &WebrtcParticipant, kind: TrackKind, n: u64) {
    rx.wait_until_beside(
        MEDIA,
        &format!(
            "{} to receive > {n} {kind:?} packets from {}",
            rx.name, from.name
        ),
        |p| p.packets_from(from.id, kind) > n,
        &[from],
    )
    .await;
}

/// The video m-line `rx` has for `from` carried frames of `from` only (by their `TREFF-SRC` tag).
fn assert_video_source(rx: &WebrtcParticipant, from: ParticipantId, from_name: &str) {
    let mids = rx.mids_of(from, TrackKind::Video);
    assert_eq!(mids.len(), 1, "one video mid for {from_name}: {mids:?}");
    let got = rx
        .received_on(&mids[0])
        .unwrap_or_else(|| panic!("nothing arrived on {}\n{}", mids[0], rx.reception_report()));
    assert_eq!(got.kind, TrackKind::Video, "the video mid carries video");
    let sources = got.sources.lock().expect("not poisoned").clone();
    assert_eq!(
        sources.into_iter().collect::<Vec<_>>(),
        vec![from_name.to_owned()],
        "{}'s video mid {} carries {from_name}'s frames only\n{}",
        rx.name,
        mids[0],
        rx.reception_report()
    );
    for mid in rx.mids_of(from, TrackKind::Audio) {
        if let Some(r) = rx.received_on(&mid) {
            assert_eq!(
                r.kind,
                TrackKind::Audio,
                "the audio mid {mid} carries audio"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_and_video_are_forwarded_on_the_attributed_mids() {
    let server = start_default().await;
    let room = new_room();
    let mut anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::BOTH).await;
    let mut ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::BOTH).await;
    let (a, b) = (anna.id, ben.id);

    let offer = ben
        .wait_offer("with Anna's audio and video", |o| offers_tracks_of(o, a))
        .await;
    check_offer(&offer, b, &[a]);
    let offer = anna
        .wait_offer("with Ben's audio and video", |o| offers_tracks_of(o, b))
        .await;
    check_offer(&offer, a, &[b]);

    wait_packets(&ben, &anna, TrackKind::Video, ENOUGH).await;
    wait_packets(&ben, &anna, TrackKind::Audio, ENOUGH).await;
    wait_packets(&anna, &ben, TrackKind::Video, ENOUGH).await;
    wait_packets(&anna, &ben, TrackKind::Audio, ENOUGH).await;

    // Everything that arrived arrived on attributed m-lines: nothing on a stray mid.
    for (rx, from) in [(&ben, a), (&anna, b)] {
        for kind in [TrackKind::Audio, TrackKind::Video] {
            assert_eq!(
                rx.packets_not_from(from, kind),
                0,
                "{kind:?} arrived on m-lines not attributed to the only other participant\n{}",
                rx.reception_report()
            );
        }
    }
    assert_video_source(&ben, a, "Anna");
    assert_video_source(&anna, b, "Ben");
    eprintln!("{}\n{}", anna.reception_report(), ben.reception_report());
    anna.assert_no_errors();
    ben.assert_no_errors();

    anna.close().await;
    ben.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_joiners_get_existing_media_and_departures_renegotiate() {
    let server = start_default().await;
    let room = new_room();
    let anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::BOTH).await;
    // Ben only watches: his publish m-lines are answered inactive.
    let mut ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::NOTHING).await;
    let a = anna.id;
    ben.wait_offer("with Anna's tracks", |o| offers_tracks_of(o, a))
        .await;
    wait_packets(&ben, &anna, TrackKind::Video, ENOUGH).await;

    // Cleo comes later: her first offer already carries Anna's (and Ben's) tracks...
    let mut cleo = WebrtcParticipant::join(&server, &room, "Cleo", Publish::BOTH).await;
    let c = cleo.id;
    let offer = cleo
        .wait_offer("with Anna's tracks", |o| offers_tracks_of(o, a))
        .await;
    check_offer(&offer, c, &[a]);
    wait_packets(&cleo, &anna, TrackKind::Video, ENOUGH).await;
    wait_packets(&cleo, &anna, TrackKind::Audio, ENOUGH).await;
    assert_video_source(&cleo, a, "Anna");

    // ...and Ben, already connected, is renegotiated to receive Cleo.
    ben.wait_event("ParticipantJoined(Cleo)", |m| match m {
        ServerMsg::ParticipantJoined { participant } if participant.id == c => Some(()),
        _ => None,
    })
    .await;
    let offer = ben
        .wait_offer("with Cleo's tracks", |o| offers_tracks_of(o, c))
        .await;
    check_offer(&offer, ben.id, &[a, c]);
    wait_packets(&ben, &cleo, TrackKind::Video, ENOUGH).await;
    wait_packets(&ben, &cleo, TrackKind::Audio, ENOUGH).await;
    assert_video_source(&ben, c, "Cleo");
    // Anna's media to Ben kept flowing through the renegotiation.
    let before = ben.packets_from(a, TrackKind::Video);
    wait_packets(&ben, &anna, TrackKind::Video, before + 15).await;

    // Anna leaves: both get ParticipantLeft and a new offer without her tracks.
    let (ben_offers, cleo_offers) = (ben.offers_answered(), cleo.offers_answered());
    anna.leave().await;
    for rx in [&mut ben, &mut cleo] {
        rx.wait_event("ParticipantLeft(Anna)", |m| match m {
            ServerMsg::ParticipantLeft { id } if *id == a => Some(()),
            _ => None,
        })
        .await;
    }
    let offer = ben
        .wait_offer("after Anna left, without her tracks", |o| {
            !o.tracks.iter().any(|t| t.participant == a)
        })
        .await;
    check_offer(&offer, ben.id, &[c]);
    let offer = cleo
        .wait_offer("after Anna left, without her tracks", |o| {
            !o.tracks.iter().any(|t| t.participant == a)
        })
        .await;
    assert!(
        offer.tracks.iter().all(|t| t.participant != a),
        "Cleo's latest offer drops Anna"
    );
    assert!(
        ben.offers_answered() > ben_offers && cleo.offers_answered() > cleo_offers,
        "a departure triggers a new offer to everyone left"
    );

    // Media between the remaining two still flows after that renegotiation.
    let before = ben.packets_from(c, TrackKind::Video);
    wait_packets(&ben, &cleo, TrackKind::Video, before + 15).await;

    ben.assert_no_errors();
    cleo.assert_no_errors();
    ben.close().await;
    cleo.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_loss_indication_reaches_the_publisher() {
    let server = start_default().await;
    let room = new_room();
    let anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::BOTH).await;
    let mut ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::NOTHING).await;
    let a = anna.id;
    ben.wait_offer("with Anna's tracks", |o| offers_tracks_of(o, a))
        .await;
    wait_packets(&ben, &anna, TrackKind::Video, 30).await;

    let mid = ben.mids_of(a, TrackKind::Video).remove(0);
    let ssrc = ben
        .received_on(&mid)
        .map(|r| r.ssrc.load(std::sync::atomic::Ordering::Relaxed))
        .expect("Anna's video arrived at Ben") as u32;
    assert_ne!(ssrc, 0, "the received video track has an SSRC");

    // The server may ask Anna for key frames by itself (when Ben joined): wait until that settles,
    // so that a rise afterwards is Ben's request.
    let requests = || anna.plis_received(TrackKind::Video) + anna.firs_received(TrackKind::Video);
    let settle_deadline = Instant::now() + Duration::from_secs(6);
    let mut last = requests();
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(1200) {
        assert!(
            Instant::now() < settle_deadline,
            "Anna keeps receiving keyframe requests nobody sent ({last} so far)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = requests();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        }
    }
    eprintln!("keyframe requests Anna got before Ben's PLI: {last}");
    let before_pli = anna.plis_received(TrackKind::Video);
    let before_fir = anna.firs_received(TrackKind::Video);

    // Ben asks; the SFU may rate-limit keyframe requests, so ask again every 500 ms, within STEP.
    let deadline = Instant::now() + STEP;
    let mut sent = 0;
    while requests() == last {
        assert!(
            Instant::now() < deadline,
            "Anna saw no PLI/FIR within {STEP:?} after Ben sent {sent} PLIs for SSRC {ssrc}\n{}",
            anna.reception_report()
        );
        ben.send_pli(ssrc).await;
        sent += 1;
        let step_end = Instant::now() + Duration::from_millis(500);
        while requests() == last && Instant::now() < step_end {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!(
        "keyframe request forwarded after {sent} PLI(s): Anna got PLI +{}, FIR +{}; requests her \
         senders saw for another of her SSRCs (compound RTCP): {}",
        anna.plis_received(TrackKind::Video) - before_pli,
        anna.firs_received(TrackKind::Video) - before_fir,
        anna.foreign_requests()
    );
    assert_eq!(
        anna.plis_received(TrackKind::Audio),
        0,
        "no PLI is sent to an audio sender"
    );

    anna.assert_no_errors();
    ben.assert_no_errors();
    anna.close().await;
    ben.close().await;
    server.shutdown().await;
}
