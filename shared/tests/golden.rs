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
        hand: Some(1_795_000_000_500),
        moderator: true,
        screen: false,
        away: false,
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
            moderator_key: Some("k3y".into()),
            password: None,
        },
        r#"{"type":"Join","room":"AAECAwQFBgcICQoLDA0ODw","name":"Anna","mic":false,"cam":false,
            "moderator_key":"k3y","password":null}"#,
    );
    // Key and password may be left out.
    let plain: ClientMsg = serde_json::from_str(
        r#"{"type":"Join","room":"AAECAwQFBgcICQoLDA0ODw","name":"A","mic":false,"cam":false}"#,
    )
    .expect("parses");
    assert!(matches!(
        plain,
        ClientMsg::Join {
            moderator_key: None,
            password: None,
            ..
        }
    ));
    check(
        ClientMsg::Resume {
            room: room(),
            id: ParticipantId(1),
            secret: "r3sume".into(),
        },
        r#"{"type":"Resume","room":"AAECAwQFBgcICQoLDA0ODw","id":1,"secret":"r3sume"}"#,
    );
    let p2 = ParticipantId(2);
    for (action, json) in [
        (
            ModeratorAction::MakeModerator { id: p2 },
            r#"{"action":"MakeModerator","id":2}"#,
        ),
        (
            ModeratorAction::Mute { id: p2 },
            r#"{"action":"Mute","id":2}"#,
        ),
        (ModeratorAction::MuteAll, r#"{"action":"MuteAll"}"#),
        (
            ModeratorAction::StopVideo { id: p2 },
            r#"{"action":"StopVideo","id":2}"#,
        ),
        (
            ModeratorAction::AskToUnmute { id: p2 },
            r#"{"action":"AskToUnmute","id":2}"#,
        ),
        (
            ModeratorAction::Remove { id: p2, ban: true },
            r#"{"action":"Remove","id":2,"ban":true}"#,
        ),
        (ModeratorAction::EndForAll, r#"{"action":"EndForAll"}"#),
        (
            ModeratorAction::SetLock { locked: true },
            r#"{"action":"SetLock","locked":true}"#,
        ),
        (
            ModeratorAction::SetLobby { enabled: true },
            r#"{"action":"SetLobby","enabled":true}"#,
        ),
        (
            ModeratorAction::SetPassword {
                password: Some("pw".into()),
            },
            r#"{"action":"SetPassword","password":"pw"}"#,
        ),
        (
            ModeratorAction::Admit { id: p2 },
            r#"{"action":"Admit","id":2}"#,
        ),
        (
            ModeratorAction::Deny { id: p2 },
            r#"{"action":"Deny","id":2}"#,
        ),
    ] {
        check(action.clone(), json);
        check(
            ClientMsg::Moderate { action },
            &format!(r#"{{"type":"Moderate","action":{json}}}"#),
        );
    }
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
            screen: true,
        },
        r#"{"type":"SetMedia","mic":true,"cam":false,"screen":true}"#,
    );
    check(ClientMsg::Leave, r#"{"type":"Leave"}"#);
    check(ClientMsg::MyData, r#"{"type":"MyData"}"#);
    check(
        ClientMsg::Rename {
            name: "Anna B.".into(),
        },
        r#"{"type":"Rename","name":"Anna B."}"#,
    );
    check(
        ClientMsg::EraseMessage { id: MessageId(7) },
        r#"{"type":"EraseMessage","id":7}"#,
    );
    check(
        ClientMsg::Tiles {
            tiles: vec![TileSize {
                participant: ParticipantId(2),
                kind: TrackKind::Screen,
                width: 1600,
                height: 900,
                featured: false,
            }],
        },
        r#"{"type":"Tiles","tiles":[{"participant":2,"kind":"screen","width":1600,"height":900}]}"#,
    );
    check(
        ClientMsg::Tiles {
            tiles: vec![TileSize {
                participant: ParticipantId(3),
                kind: TrackKind::Video,
                width: 1280,
                height: 720,
                featured: true,
            }],
        },
        r#"{"type":"Tiles","tiles":[{"participant":3,"kind":"video","width":1280,"height":720,"featured":true}]}"#,
    );
    check(
        ClientMsg::RaiseHand { raised: true },
        r#"{"type":"RaiseHand","raised":true}"#,
    );
    for (reaction, name) in [
        (Reaction::ThumbsUp, "thumbs_up"),
        (Reaction::Clap, "clap"),
        (Reaction::Laugh, "laugh"),
        (Reaction::Heart, "heart"),
        (Reaction::Surprised, "surprised"),
        (Reaction::Celebrate, "celebrate"),
    ] {
        check(
            ClientMsg::React { reaction },
            &format!(r#"{{"type":"React","reaction":"{name}"}}"#),
        );
    }
    check(
        ClientMsg::Chat {
            text: "Hallo".into(),
            to: Some(ParticipantId(2)),
            attachment: Some(attachment_id()),
        },
        r#"{"type":"Chat","text":"Hallo","to":2,"attachment":"CQkJCQkJCQkJCQkJCQkJCQ"}"#,
    );
    // `to` and `attachment` may be left out for a plain message to everyone.
    let plain: ClientMsg = serde_json::from_str(r#"{"type":"Chat","text":"Hi"}"#).expect("parses");
    assert_eq!(
        plain,
        ClientMsg::Chat {
            text: "Hi".into(),
            to: None,
            attachment: None
        }
    );
}

fn attachment_id() -> AttachmentId {
    AttachmentId::from_random([9; 16])
}

fn message() -> ChatMessage {
    ChatMessage {
        id: MessageId(3),
        from: ParticipantId(1),
        name: "Anna".into(),
        to: None,
        text: "Hallo".into(),
        sent_at_ms: 1_795_000_000_000,
        attachment: Some(Attachment {
            id: attachment_id(),
            name: "plan.pdf".into(),
            size: 1234,
        }),
    }
}

const MESSAGE_JSON: &str = r#"{"id":3,"from":1,"name":"Anna","to":null,"text":"Hallo","sent_at_ms":1795000000000,
    "attachment":{"id":"CQkJCQkJCQkJCQkJCQkJCQ","name":"plan.pdf","size":1234}}"#;

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
            chat: vec![message()],
            token: HttpToken("t0ken".into()),
            settings: RoomSettings {
                locked: false,
                lobby: true,
                password: false,
            },
            recording: None,
            resume: "r3sume".into(),
            resume_window_ms: 60_000,
            ice_servers: vec![],
        },
        &format!(
            r#"{{"type":"Joined","you":1,"participants":[{{"id":1,"name":"Anna","mic":false,"cam":true,"hand":1795000000500,"moderator":true,"screen":false,"away":false}}],
            "chat":[{MESSAGE_JSON}],"token":"t0ken","settings":{{"locked":false,"lobby":true,"password":false}},"recording":null,
            "resume":"r3sume","resume_window_ms":60000}}"#
        ),
    );
    // With the operator's TURN server: its entry as RTCPeerConnection's iceServers takes it.
    check(
        ServerMsg::Joined {
            you: ParticipantId(1),
            participants: vec![],
            chat: vec![],
            token: HttpToken("t0ken".into()),
            settings: RoomSettings::default(),
            recording: None,
            resume: "r3sume".into(),
            resume_window_ms: 60_000,
            ice_servers: vec![IceServer {
                urls: vec!["turn:turn.example.org:3478?transport=udp".into()],
                username: "1800003600:1".into(),
                credential: "6RyTNTcDpTXJB2eP2qqhCS4uVSw=".into(),
            }],
        },
        r#"{"type":"Joined","you":1,"participants":[],"chat":[],"token":"t0ken",
            "settings":{"locked":false,"lobby":false,"password":false},"recording":null,"resume":"r3sume",
            "resume_window_ms":60000,"ice_servers":[{"urls":["turn:turn.example.org:3478?transport=udp"],
            "username":"1800003600:1","credential":"6RyTNTcDpTXJB2eP2qqhCS4uVSw="}]}"#,
    );
    check(ServerMsg::Waiting, r#"{"type":"Waiting"}"#);
    check(
        ServerMsg::Knocking {
            participant: anna(),
        },
        r#"{"type":"Knocking","participant":{"id":1,"name":"Anna","mic":false,"cam":true,"hand":1795000000500,"moderator":true,"screen":false,"away":false}}"#,
    );
    check(
        ServerMsg::KnockEnded {
            id: ParticipantId(3),
        },
        r#"{"type":"KnockEnded","id":3}"#,
    );
    check(
        ServerMsg::RoleChanged {
            id: ParticipantId(3),
            moderator: true,
        },
        r#"{"type":"RoleChanged","id":3,"moderator":true}"#,
    );
    check(
        ServerMsg::Settings {
            settings: RoomSettings {
                locked: true,
                lobby: false,
                password: true,
            },
        },
        r#"{"type":"Settings","settings":{"locked":true,"lobby":false,"password":true}}"#,
    );
    check(
        ServerMsg::TurnedOff {
            mic: true,
            cam: false,
        },
        r#"{"type":"TurnedOff","mic":true,"cam":false}"#,
    );
    check(ServerMsg::UnmuteAsked, r#"{"type":"UnmuteAsked"}"#);
    check(
        ServerMsg::Removed { banned: true },
        r#"{"type":"Removed","banned":true}"#,
    );
    check(
        ServerMsg::Chat { message: message() },
        &format!(r#"{{"type":"Chat","message":{MESSAGE_JSON}}}"#),
    );
    check(
        ServerMsg::Ended {
            receipt: DeletionReceipt {
                started_at_ms: 1_795_000_000_000,
                ended_at_ms: 1_795_000_600_000,
                participants: 3,
                messages: 12,
                files: 2,
                bytes: 4096,
            },
            restarting: true,
        },
        r#"{"type":"Ended","receipt":{"started_at_ms":1795000000000,"ended_at_ms":1795000600000,
            "participants":3,"messages":12,"files":2,"bytes":4096},"restarting":true}"#,
    );
    // Written before `restarting` existed: an ordinary end.
    let older: ServerMsg = serde_json::from_str(
        r#"{"type":"Ended","receipt":{"started_at_ms":1,"ended_at_ms":2,"participants":1,
            "messages":0,"files":0,"bytes":0}}"#,
    )
    .expect("parses");
    assert!(matches!(
        older,
        ServerMsg::Ended {
            restarting: false,
            ..
        }
    ));
    check(
        ApiError {
            code: ErrorCode::FileTooLarge,
            message: "too large".into(),
        },
        r#"{"code":"file_too_large","message":"too large"}"#,
    );
    check(
        ServerMsg::ParticipantJoined {
            participant: anna(),
        },
        r#"{"type":"ParticipantJoined","participant":{"id":1,"name":"Anna","mic":false,"cam":true,"hand":1795000000500,"moderator":true,"screen":false,"away":false}}"#,
    );
    check(
        ServerMsg::Hand {
            id: ParticipantId(2),
            raised_at_ms: None,
        },
        r#"{"type":"Hand","id":2,"raised_at_ms":null}"#,
    );
    check(
        ServerMsg::Reacted {
            id: ParticipantId(2),
            reaction: Reaction::ThumbsUp,
        },
        r#"{"type":"Reacted","id":2,"reaction":"thumbs_up"}"#,
    );
    check(
        ServerMsg::ParticipantLeft {
            id: ParticipantId(2),
        },
        r#"{"type":"ParticipantLeft","id":2}"#,
    );
    check(
        ServerMsg::Connection {
            id: ParticipantId(2),
            away: true,
        },
        r#"{"type":"Connection","id":2,"away":true}"#,
    );
    check(
        ServerMsg::MediaState {
            id: ParticipantId(2),
            mic: true,
            cam: true,
            screen: false,
        },
        r#"{"type":"MediaState","id":2,"mic":true,"cam":true,"screen":false}"#,
    );
    check(
        ServerMsg::Offer {
            sdp: "v=0\r\n".into(),
            publish: PublishMids {
                audio: "0".into(),
                video: "1".into(),
                screen: "2".into(),
            },
            tracks: vec![RemoteTrack {
                mid: "3".into(),
                participant: ParticipantId(1),
                kind: TrackKind::Screen,
            }],
        },
        r#"{"type":"Offer","sdp":"v=0\r\n","publish":{"audio":"0","video":"1","screen":"2"},
            "tracks":[{"mid":"3","participant":1,"kind":"screen"}]}"#,
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
fn meeting_api() {
    check(
        treff_shared::meeting::CreateMeeting {
            organiser_password: Some("pw".into()),
        },
        r#"{"organiser_password":"pw"}"#,
    );
    check(
        treff_shared::meeting::NewMeeting {
            room: room(),
            moderator_key: "k3y".into(),
        },
        r#"{"room":"AAECAwQFBgcICQoLDA0ODw","moderator_key":"k3y"}"#,
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
        (ErrorCode::ChatEmpty, "chat_empty"),
        (ErrorCode::ChatTooLong, "chat_too_long"),
        (ErrorCode::ChatRateLimited, "chat_rate_limited"),
        (ErrorCode::ChatFull, "chat_full"),
        (ErrorCode::UnknownRecipient, "unknown_recipient"),
        (ErrorCode::UnknownAttachment, "unknown_attachment"),
        (ErrorCode::Unauthorized, "unauthorized"),
        (ErrorCode::NotFound, "not_found"),
        (ErrorCode::FileTooLarge, "file_too_large"),
        (ErrorCode::StorageFull, "storage_full"),
        (ErrorCode::UploadQuota, "upload_quota"),
        (ErrorCode::TooManyConnections, "too_many_connections"),
        (ErrorCode::BadUpload, "bad_upload"),
        (ErrorCode::ReactionRateLimited, "reaction_rate_limited"),
        (ErrorCode::NotModerator, "not_moderator"),
        (ErrorCode::UnknownParticipant, "unknown_participant"),
        (ErrorCode::RoomLocked, "room_locked"),
        (ErrorCode::PasswordRequired, "password_required"),
        (ErrorCode::WrongPassword, "wrong_password"),
        (ErrorCode::TooManyAttempts, "too_many_attempts"),
        (ErrorCode::EntryDenied, "entry_denied"),
        (ErrorCode::Banned, "banned"),
        (ErrorCode::UnknownMeeting, "unknown_meeting"),
        (
            ErrorCode::OrganiserPasswordRequired,
            "organiser_password_required",
        ),
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
        r#"{"type":"Chat","text":"x","from":1}"#,
        r#"{"type":"Chat","text":"x","attachment":"../../etc/passwd"}"#,
    ] {
        assert!(
            serde_json::from_str::<ClientMsg>(bad).is_err(),
            "accepted {bad:?}"
        );
    }
}

#[test]
fn recording_messages() {
    use treff_shared::recording::*;
    check(
        ClientMsg::Recording {
            action: RecordingAction::Propose,
        },
        r#"{"type":"Recording","action":{"action":"Propose"}}"#,
    );
    check(
        ClientMsg::Consent {
            consent: Consent::No,
        },
        r#"{"type":"Consent","consent":"no"}"#,
    );
    check(
        ServerMsg::Recording {
            recording: Some(RecordingState {
                capturing: false,
                answers: vec![ConsentAnswer {
                    id: ParticipantId(1),
                    consent: Consent::Yes,
                }],
                since_ms: 1_795_000_000_000,
            }),
            event: RecordingEvent::Arrived {
                id: ParticipantId(2),
            },
        },
        r#"{"type":"Recording","recording":{"capturing":false,"answers":[{"id":1,"consent":"yes"}],
            "since_ms":1795000000000},"event":{"event":"Arrived","id":2}}"#,
    );
    check(
        ServerMsg::Recording {
            recording: None,
            event: RecordingEvent::Stopped { by: None },
        },
        r#"{"type":"Recording","recording":null,"event":{"event":"Stopped","by":null}}"#,
    );
    check(
        ServerMsg::RecordingJob {
            id: "r1".into(),
            job: JobState::Processing { percent: 42 },
        },
        r#"{"type":"RecordingJob","id":"r1","job":{"state":"Processing","percent":42}}"#,
    );
    check(
        ServerMsg::MyData {
            data: MyData {
                id: ParticipantId(1),
                name: "Anna".into(),
                moderator: true,
                conference_started_at_ms: 1_795_000_000_000,
                log: vec![
                    LogEntry {
                        at_ms: 1_795_000_000_100,
                        event: LogEvent::Join,
                        browser: Some("Firefox 128.0".into()),
                        os: Some("Linux".into()),
                        address: Some("192.0.2.7".into()),
                        referrer: None,
                    },
                    LogEntry {
                        at_ms: 1_795_000_000_900,
                        event: LogEvent::Leave,
                        browser: None,
                        os: None,
                        address: None,
                        referrer: None,
                    },
                ],
                messages: Vec::new(),
                recording_answer: Some(Consent::Yes),
                notice_version: "2026-12".into(),
                log_on_hold: false,
            },
        },
        r#"{"type":"MyData","data":{"id":1,"name":"Anna","moderator":true,
            "conference_started_at_ms":1795000000000,
            "log":[{"at_ms":1795000000100,"event":"join","browser":"Firefox 128.0","os":"Linux",
                    "address":"192.0.2.7","referrer":null},
                   {"at_ms":1795000000900,"event":"leave","browser":null,"os":null,"address":null,
                    "referrer":null}],
            "messages":[],"recording_answer":"yes","notice_version":"2026-12","log_on_hold":false}}"#,
    );
    check(
        ServerMsg::Renamed {
            id: ParticipantId(1),
            name: "Anna B.".into(),
        },
        r#"{"type":"Renamed","id":1,"name":"Anna B."}"#,
    );
    check(
        ServerMsg::MessageErased { id: MessageId(7) },
        r#"{"type":"MessageErased","id":7}"#,
    );
    check(
        ServerMsg::Layers {
            active: vec![Layer::Low, Layer::High],
        },
        r#"{"type":"Layers","active":["low","high"]}"#,
    );
    check(
        ServerMsg::LastN {
            without_video: vec![ParticipantId(4), ParticipantId(7)],
        },
        r#"{"type":"LastN","without_video":[4,7]}"#,
    );
    check(
        JobState::Done {
            recording: RecordingSummary {
                id: "r1".into(),
                started_at_ms: 1,
                duration_ms: 2,
                expires_at_ms: 3,
                files: vec![RecordingFile {
                    name: "chat.txt".into(),
                    bytes: 4,
                }],
            },
        },
        r#"{"state":"Done","recording":{"id":"r1","started_at_ms":1,"duration_ms":2,
            "expires_at_ms":3,"files":[{"name":"chat.txt","bytes":4}]}}"#,
    );
    check(JobState::Discarded, r#"{"state":"Discarded"}"#);
    check(RecordingStatus { recording: true }, r#"{"recording":true}"#);
    for (code, name) in [
        (ErrorCode::RecordingExists, "recording_exists"),
        (ErrorCode::NoRecording, "no_recording"),
        (ErrorCode::RecordingUnavailable, "recording_unavailable"),
        (ErrorCode::UnknownMessage, "unknown_message"),
    ] {
        check(code, &format!("\"{name}\""));
    }
}
