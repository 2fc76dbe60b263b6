//! Golden JSON for every message: the wire format is a contract with browsers that may run an older
//! build, so a change to it must show up here as a failing test, not slip through a round trip.

use serde::{Serialize, de::DeserializeOwned};
use std::fmt::Debug;
use treff_shared::*;

/// Serialises `msg`, compares with `golden` (whitespace-insensitive JSON equality) and parses it back.
fn check<T: Serialize + DeserializeOwned + PartialEq + Debug>(msg: T, golden: &str) {
    let json = serde_json::to_value(&msg).expect("serialisable");
    let expected: serde_json::Value = serde_json::from_str(golden).expect("golden is JSON");
    assert_eq!(json, expected, "wire format changed for {msg:?}");
    let back: T = serde_json::from_str(golden).expect("golden parses");
    assert_eq!(back, msg);
}

fn room() -> RoomId {
    RoomId::parse("AAECAwQFBgcICQoLDA0ODw").expect("valid id")
}

fn anna() -> ParticipantInfo {
    ParticipantInfo {
        id: ParticipantId(1),
        name: "Anna".into(),
        mic: false,
        cam: true,
    }
}

#[test]
fn client_messages() {
    check(
        ClientMsg::Hello { protocol: 1 },
        r#"{"type":"Hello","protocol":1}"#,
    );
    check(
        ClientMsg::Join {
            room: room(),
            name: "Anna".into(),
            mic: false,
            cam: false,
        },
        r#"{"type":"Join","room":"AAECAwQFBgcICQoLDA0ODw","name":"Anna","mic":false,"cam":false}"#,
    );
    check(
        ClientMsg::Answer {
            sdp: "v=0\r\n".into(),
        },
        r#"{"type":"Answer","sdp":"v=0\r\n"}"#,
    );
    check(
        ClientMsg::SetMedia {
            mic: true,
            cam: false,
        },
        r#"{"type":"SetMedia","mic":true,"cam":false}"#,
    );
    check(ClientMsg::Leave, r#"{"type":"Leave"}"#);
}

#[test]
fn server_messages() {
    check(
        ServerMsg::Welcome { protocol: 1 },
        r#"{"type":"Welcome","protocol":1}"#,
    );
    check(
        ServerMsg::Joined {
            you: ParticipantId(1),
            participants: vec![anna()],
        },
        r#"{"type":"Joined","you":1,"participants":[{"id":1,"name":"Anna","mic":false,"cam":true}]}"#,
    );
    check(
        ServerMsg::ParticipantJoined {
            participant: anna(),
        },
        r#"{"type":"ParticipantJoined","participant":{"id":1,"name":"Anna","mic":false,"cam":true}}"#,
    );
    check(
        ServerMsg::ParticipantLeft {
            id: ParticipantId(2),
        },
        r#"{"type":"ParticipantLeft","id":2}"#,
    );
    check(
        ServerMsg::MediaState {
            id: ParticipantId(2),
            mic: true,
            cam: true,
        },
        r#"{"type":"MediaState","id":2,"mic":true,"cam":true}"#,
    );
    check(
        ServerMsg::Offer {
            sdp: "v=0\r\n".into(),
            publish: PublishMids {
                audio: "0".into(),
                video: "1".into(),
            },
            tracks: vec![RemoteTrack {
                mid: "2".into(),
                participant: ParticipantId(1),
                kind: TrackKind::Video,
            }],
        },
        r#"{"type":"Offer","sdp":"v=0\r\n","publish":{"audio":"0","video":"1"},
            "tracks":[{"mid":"2","participant":1,"kind":"video"}]}"#,
    );
    check(
        ServerMsg::Error {
            code: ErrorCode::RoomFull,
            message: "room is full".into(),
        },
        r#"{"type":"Error","code":"room_full","message":"room is full"}"#,
    );
}

#[test]
fn every_error_code_has_a_stable_name() {
    for (code, name) in [
        (ErrorCode::RoomFull, "room_full"),
        (ErrorCode::ServerFull, "server_full"),
        (ErrorCode::InvalidName, "invalid_name"),
        (ErrorCode::AlreadyJoined, "already_joined"),
        (ErrorCode::NotJoined, "not_joined"),
        (ErrorCode::InvalidSdp, "invalid_sdp"),
    ] {
        check(code, &format!("\"{name}\""));
    }
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    for bad in [
        "",
        "{}",
        r#"{"type":"Nope"}"#,
        r#"{"type":"Hello"}"#,
        r#"{"type":"Hello","protocol":1,"extra":true}"#,
        r#"{"type":"Join","room":"short","name":"A","mic":false,"cam":false}"#,
        "[1,2,3]",
    ] {
        assert!(
            serde_json::from_str::<ClientMsg>(bad).is_err(),
            "accepted {bad:?}"
        );
    }
}
