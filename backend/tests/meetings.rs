//! Creating meetings and moderator links against the real server: a created meeting's moderator key
//! makes its bearer a moderator; with organiser protection only the organiser password creates
//! meetings and only created meetings open.

mod support;

use reqwest::StatusCode;
use support::{WsClient, create_meeting, new_room, start};
use treff_shared::meeting::NewMeeting;
use treff_shared::{ApiError, ClientMsg, ErrorCode, ParticipantInfo, RoomId, ServerMsg};

/// Joins with an optional moderator key; the participants list, or the refusal.
async fn join(
    server: &treff::Server,
    room: &RoomId,
    key: Option<&str>,
) -> Result<Vec<ParticipantInfo>, ErrorCode> {
    let mut c = WsClient::connect_hello(server).await;
    c.send(&ClientMsg::Join {
        room: room.clone(),
        name: "Orga".into(),
        mic: false,
        cam: false,
        moderator_key: key.map(str::to_owned),
        password: None,
    })
    .await;
    let result = c
        .recv_until("Joined or Error", |m| match m {
            ServerMsg::Joined { participants, .. } => Some(Ok(participants.clone())),
            ServerMsg::Error { code, .. } => Some(Err(*code)),
            _ => None,
        })
        .await;
    c.send(&ClientMsg::Leave).await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_moderator_link_makes_a_moderator_and_nothing_else_does() {
    let server = start(treff::Config::ephemeral()).await;
    let response = create_meeting(&server, None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let meeting: NewMeeting = response.json().await.expect("a meeting");
    let me = |list: Vec<ParticipantInfo>| list.last().cloned().expect("me");
    assert!(
        me(join(&server, &meeting.room, Some(&meeting.moderator_key))
            .await
            .expect("in"))
        .moderator
    );
    assert!(!me(join(&server, &meeting.room, None).await.expect("in")).moderator);
    let other = create_meeting(&server, None)
        .await
        .json::<NewMeeting>()
        .await
        .expect("a meeting");
    assert!(
        !me(join(&server, &meeting.room, Some(&other.moderator_key))
            .await
            .expect("in"))
        .moderator,
        "another meeting's key"
    );
    // Without organiser protection any well-formed id opens a meeting, just without a moderator.
    assert!(!me(join(&server, &new_room(), None).await.expect("in")).moderator);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organiser_protection_needs_the_password_and_opens_only_created_meetings() {
    let mut config = treff::Config::ephemeral();
    config.organiser_password_hash = Some(treff::meetings::hash_password(
        "Orga-Passwort",
        treff::meetings::meeting_password_params(),
    ));
    let server = start(config).await;
    for wrong in [None, Some("falsch")] {
        let response = create_meeting(&server, wrong).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let body: ApiError = response.json().await.expect("an ApiError");
        assert_eq!(body.code, ErrorCode::OrganiserPasswordRequired);
    }
    let meeting: NewMeeting = create_meeting(&server, Some("Orga-Passwort"))
        .await
        .json()
        .await
        .expect("a meeting");
    assert_eq!(
        join(&server, &new_room(), None).await,
        Err(ErrorCode::UnknownMeeting)
    );
    join(&server, &meeting.room, None)
        .await
        .expect("a created meeting opens");
}
