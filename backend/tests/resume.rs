//! Resuming after a dropped socket and ICE restarts, over real WebSockets with webrtc-rs peers:
//! media flows again without a leave and a join, a wrong or expired secret is refused, and a second
//! socket resuming the same participant replaces the first.

mod support;

use std::time::Duration;

use support::{MEDIA, Publish, STEP, WebrtcParticipant, WsClient, new_room, start, start_default};
use treff::admin::{AdminCommand, AdminResponse, request};
use treff_shared::{ErrorCode, ParticipantId, ServerMsg, TrackKind, close_code};

/// Waits until `rx` has received more than `n` video packets from `from`.
async fn video_beyond(rx: &WebrtcParticipant, from: ParticipantId, n: u64, what: &str) {
    rx.wait_until(MEDIA, what, |p| p.packets_from(from, TrackKind::Video) > n)
        .await;
}

/// The `a=ice-ufrag` of the latest offer `p` answered.
fn latest_ufrag(p: &WebrtcParticipant) -> String {
    let offer = p.latest_offer().expect("an offer was answered");
    offer
        .sdp
        .lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .expect("an ice-ufrag")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_resumes_and_media_flows_again_without_a_leave() {
    let server = start_default().await;
    let room = new_room();
    let mut anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::BOTH).await;
    let mut ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::BOTH).await;
    video_beyond(&ben, anna.id, 30, "Ben receives Anna's video").await;
    let ufrag = latest_ufrag(&ben);

    let seen = anna.event_names().len();
    ben.drop_socket().await;
    anna.wait_event("Ben reconnecting", |m| match m {
        ServerMsg::Connection { id, away: true } if *id == ben.id => Some(()),
        _ => None,
    })
    .await;
    ben.resume(&server, &room).await.expect("Ben resumes");
    anna.wait_event("Ben back", |m| match m {
        ServerMsg::Connection { id, away: false } if *id == ben.id => Some(()),
        _ => None,
    })
    .await;
    // Renegotiated with an ICE restart, and media flows both ways again.
    ben.wait_until(STEP, "Ben answers the ICE restart", |b| {
        latest_ufrag(b) != ufrag
    })
    .await;
    let (to_ben, to_anna) = (
        ben.packets_from(anna.id, TrackKind::Video),
        anna.packets_from(ben.id, TrackKind::Video),
    );
    video_beyond(
        &ben,
        anna.id,
        to_ben + 30,
        "Ben receives Anna's video after resuming",
    )
    .await;
    video_beyond(
        &anna,
        ben.id,
        to_anna + 30,
        "Anna receives Ben's video after resuming",
    )
    .await;
    let since = anna.event_names().split_off(seen);
    assert!(
        !since
            .iter()
            .any(|e| e.starts_with("ParticipantLeft") || e.starts_with("ParticipantJoined")),
        "no leave and no join: {since:?}"
    );
    anna.assert_no_errors();
    ben.assert_no_errors();
    ben.close().await;
    anna.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ice_restart_brings_media_back_on_new_credentials() {
    let config = treff::Config::ephemeral();
    let state = config.state_dir.clone();
    let server = start(config).await;
    let room = new_room();
    let anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::BOTH).await;
    let ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::BOTH).await;
    video_beyond(&ben, anna.id, 30, "Ben receives Anna's video").await;
    let ufrag = latest_ufrag(&ben);
    let answer = request(
        &state,
        AdminCommand::IceRestart {
            meeting: room.clone(),
        },
    )
    .await
    .expect("the admin socket answers");
    assert!(matches!(answer, AdminResponse::Done(_)), "{answer:?}");
    ben.wait_until(STEP, "Ben answers the ICE restart", |b| {
        latest_ufrag(b) != ufrag
    })
    .await;
    let before = ben.packets_from(anna.id, TrackKind::Video);
    video_beyond(&ben, anna.id, before + 30, "video after the ICE restart").await;
    ben.assert_no_errors();
    ben.close().await;
    anna.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_and_a_second_resume_replaces_the_first_socket() {
    let server = start_default().await;
    let room = new_room();
    let mut first = WsClient::connect_hello(&server).await;
    let joined = first.join_full(&room, "Anna", false, false).await;

    let mut wrong = WsClient::connect_hello(&server).await;
    assert_eq!(
        wrong.resume(&room, joined.id, "not-the-secret").await.err(),
        Some(ErrorCode::ResumeRefused)
    );
    assert_eq!(
        wrong
            .resume(&new_room(), joined.id, &joined.resume)
            .await
            .err(),
        Some(ErrorCode::ResumeRefused),
        "no such meeting"
    );
    // The refused socket may still join normally.
    wrong.join(&room, "Ben", false, false).await;

    let mut second = WsClient::connect_hello(&server).await;
    let again = second
        .resume(&room, joined.id, &joined.resume)
        .await
        .expect("a live participant's socket is replaced");
    assert_eq!(again.id, joined.id);
    assert_ne!(again.resume, joined.resume);
    first
        .expect_close_code(close_code::REPLACED, "the replaced socket is closed")
        .await;

    // A socket closed in trouble is answered at once, although its participant stays (away) for
    // the whole window: the client must learn it is closed to start resuming.
    let mut cara = WsClient::connect_hello(&server).await;
    cara.join(&room, "Cara", false, false).await;
    cara.close_in_trouble().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_window_the_participant_leaves_and_cannot_resume() {
    let mut config = treff::Config::ephemeral();
    config.limits.resume_window_ms = 300;
    let server = start(config).await;
    let room = new_room();
    let mut anna = WsClient::connect_hello(&server).await;
    anna.join(&room, "Anna", false, false).await;
    let mut ben = WsClient::connect_hello(&server).await;
    let joined = ben.join_full(&room, "Ben", false, false).await;
    // A close of trouble (the page's network went away): completed at once, Ben may resume.
    ben.close_in_trouble().await;
    anna.recv_until("Ben reconnecting", |m| match m {
        ServerMsg::Connection { id, away: true } if *id == joined.id => Some(()),
        _ => None,
    })
    .await;
    anna.recv_until_within(Duration::from_secs(3), "Ben leaves", |m| match m {
        ServerMsg::ParticipantLeft { id } if *id == joined.id => Some(()),
        _ => None,
    })
    .await;
    let mut again = WsClient::connect_hello(&server).await;
    assert_eq!(
        again.resume(&room, joined.id, &joined.resume).await.err(),
        Some(ErrorCode::ResumeRefused)
    );
}
