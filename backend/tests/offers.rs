//! Every offer Treff makes in a scripted meeting, checked by an independent parser (Mozilla's
//! `webrtc-sdp`, as Firefox uses it) and by the rules for clients that are not browsers: candidates
//! and `a=end-of-candidates` in every bundled m-section, no trickle from an ICE-lite server, no
//! `a=msid`/`a=ssrc` where we only receive, mids unique. And a client that answered its screen
//! m-line `inactive` can still share later.

mod support;

use support::{MEDIA, Publish, SCREEN_SUFFIX, WebrtcParticipant, new_room, start_default};
use treff_shared::{ClientMsg, ParticipantId, TrackKind};
use webrtc_sdp::attribute_type::{SdpAttribute, SdpAttributeGroupSemantic};

/// Checks one offer with `webrtc-sdp`; returns what is wrong.
fn check_offer(sdp: &str) -> Vec<String> {
    let session = match webrtc_sdp::parse_sdp(sdp, true) {
        Ok(s) => s,
        Err(e) => return vec![format!("webrtc-sdp refuses it: {e}")],
    };
    let mut wrong = treff::sfu::sdp::violations(sdp);
    let bundle: Vec<String> = session
        .attribute
        .iter()
        .find_map(|a| match a {
            SdpAttribute::Group(g) if matches!(g.semantics, SdpAttributeGroupSemantic::Bundle) => {
                Some(g.tags.clone())
            }
            _ => None,
        })
        .unwrap_or_default();
    let trickle = |a: &SdpAttribute| matches!(a, SdpAttribute::IceOptions(o) if o.iter().any(|o| o == "trickle"));
    if session.attribute.iter().any(trickle) {
        wrong.push("session-level ice-options:trickle".into());
    }
    if !session
        .attribute
        .iter()
        .any(|a| matches!(a, SdpAttribute::IceLite))
    {
        wrong.push("no a=ice-lite".into());
    }
    let mut mids = Vec::new();
    for media in &session.media {
        let attrs = media.get_attributes();
        let Some(mid) = attrs.iter().find_map(|a| match a {
            SdpAttribute::Mid(m) => Some(m.clone()),
            _ => None,
        }) else {
            wrong.push("an m-section without a mid".into());
            continue;
        };
        if mids.contains(&mid) {
            wrong.push(format!("mid {mid} twice"));
        }
        mids.push(mid.clone());
        if attrs.iter().any(trickle) {
            wrong.push(format!("{mid}: ice-options:trickle"));
        }
        if bundle.contains(&mid) {
            let candidates = attrs
                .iter()
                .filter(|a| matches!(a, SdpAttribute::Candidate(_)))
                .count();
            let bundle_only = attrs.iter().any(|a| matches!(a, SdpAttribute::BundleOnly));
            if candidates == 0 && !bundle_only {
                wrong.push(format!("{mid}: bundled without a candidate"));
            }
            if !attrs
                .iter()
                .any(|a| matches!(a, SdpAttribute::EndOfCandidates))
            {
                wrong.push(format!("{mid}: no end-of-candidates"));
            }
        } else if media.get_port() != 0 {
            wrong.push(format!("{mid}: outside BUNDLE but not rejected"));
        }
        if attrs.iter().any(|a| matches!(a, SdpAttribute::Recvonly))
            && attrs
                .iter()
                .any(|a| matches!(a, SdpAttribute::Msid(_) | SdpAttribute::Ssrc(_)))
        {
            wrong.push(format!("{mid}: msid or ssrc on a recvonly m-section"));
        }
    }
    wrong
}

fn assert_offers_conform(p: &WebrtcParticipant) {
    let offers = p.offers();
    assert!(!offers.is_empty(), "[{}] answered no offer", p.name);
    for (n, offer) in offers.iter().enumerate() {
        let wrong = check_offer(&offer.sdp);
        assert!(
            wrong.is_empty(),
            "[{}] offer {n} breaks the rules: {wrong:?}\n{}",
            p.name,
            offer.sdp
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_offer_of_a_meeting_parses_and_follows_the_rules() {
    let server = start_default().await;
    let room = new_room();
    let mut anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::BOTH).await;
    let mut ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::NOTHING).await;
    let cleo = WebrtcParticipant::join(&server, &room, "Cleo", Publish::BOTH).await;
    let (a, c) = (anna.id, cleo.id);
    let has = |o: &support::OfferInfo, who: ParticipantId, kind: TrackKind| {
        o.tracks
            .iter()
            .any(|t| t.participant == who && t.kind == kind)
    };
    ben.wait_offer("with Anna's and Cleo's cameras", |o| {
        has(o, a, TrackKind::Video) && has(o, c, TrackKind::Video)
    })
    .await;

    // Anna's camera goes off (her m-line at Ben goes inactive) and on again.
    for cam in [false, true] {
        anna.send(&ClientMsg::SetMedia {
            mic: true,
            cam,
            screen: false,
        })
        .await;
        ben.wait_offer("following Anna's camera", |o| {
            has(o, a, TrackKind::Video) == cam
        })
        .await;
    }
    // Ben shares his screen (answered inactive so far) and stops.
    ben.start_sharing().await;
    anna.wait_offer("with Ben's screen", |o| has(o, ben.id, TrackKind::Screen))
        .await;
    ben.send(&ClientMsg::SetMedia {
        mic: false,
        cam: false,
        screen: false,
    })
    .await;
    anna.wait_offer("without Ben's screen", |o| {
        !has(o, ben.id, TrackKind::Screen)
    })
    .await;
    // Cleo leaves; Dan joins.
    cleo.leave().await;
    ben.wait_offer("without Cleo", |o| {
        !o.tracks.iter().any(|t| t.participant == c)
    })
    .await;
    let mut dan = WebrtcParticipant::join(&server, &room, "Dan", Publish::BOTH).await;
    ben.wait_offer("with Dan", |o| has(o, dan.id, TrackKind::Video))
        .await;
    dan.wait_offer("with Anna's camera", |o| has(o, a, TrackKind::Video))
        .await;

    for p in [&anna, &ben, &dan] {
        assert_offers_conform(p);
        p.assert_no_errors();
    }
    eprintln!(
        "offers checked: Anna {}, Ben {}, Dan {}",
        anna.offers().len(),
        ben.offers().len(),
        dan.offers().len()
    );
    anna.close().await;
    ben.close().await;
    dan.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_answered_inactive_can_be_shared_later() {
    let server = start_default().await;
    let room = new_room();
    let anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::NOTHING).await;
    let mut ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::NOTHING).await;
    let a = anna.id;
    anna.start_sharing().await;
    ben.wait_offer("with Anna's screen", |o| {
        o.tracks
            .iter()
            .any(|t| t.participant == a && t.kind == TrackKind::Screen)
    })
    .await;
    ben.wait_until(MEDIA, "Anna's screen to arrive at Ben", |b| {
        b.packets_from(a, TrackKind::Screen) > 30
    })
    .await;
    let mids = ben.mids_of(a, TrackKind::Screen);
    let got = ben
        .received_on(&mids[0])
        .expect("the screen's mid received");
    let sources = got.sources.lock().expect("not poisoned").clone();
    assert_eq!(
        sources.into_iter().collect::<Vec<_>>(),
        vec![format!("Anna{SCREEN_SUFFIX}")],
        "Ben's screen m-line carries Anna's screen and nothing else"
    );
    anna.assert_no_errors();
    ben.assert_no_errors();
    anna.close().await;
    ben.close().await;
    server.shutdown().await;
}
