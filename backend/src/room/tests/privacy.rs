//! The session log (R7) and "My data" (R10): what is recorded about whom, and who may see it.

use super::recording::{answer, record, recorded_room};
use super::*;
use crate::recording::capture::CaptureMsg;
use treff_shared::{Consent, LogEntry, MessageId, MyData, RecordingAction};

fn browser_at(addr: [u8; 4]) -> Client {
    Client {
        addr: Some(addr.into()),
        user_agent: Some(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
                .into(),
        ),
        referrer: Some("https://intranet.example/calendar".into()),
    }
}

/// What the room answers `who` on `ClientMsg::MyData`.
fn my_data(room: &mut Room, who: ParticipantId, rx: &mut mpsc::Receiver<Outgoing>) -> MyData {
    drain(rx);
    say(room, who, ClientMsg::MyData);
    let answers: Vec<MyData> = drain(rx)
        .into_iter()
        .filter_map(|m| match m {
            ServerMsg::MyData { data } => Some(data),
            _ => None,
        })
        .collect();
    assert_eq!(answers.len(), 1, "one answer to one question");
    answers.into_iter().next().expect("one")
}

#[tokio::test]
async fn the_session_log_holds_the_listed_fields_of_joins_files_and_leaves() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let anna = browser_at([192, 0, 2, 7]);
    let (a, mut a_rx) = join_with(&mut room, t0, "Anna", |r| r.client = anna.clone());
    let a = a.expect("joins");
    let secret = token_secret(&drain(&mut a_rx));
    let file = upload_as(&mut room, &secret, &anna, b"minutes").await;
    download_as(&mut room, &secret, &anna, &file.id).expect("her own file");
    let (b, _b_rx) = join_with(&mut room, t0, "Ben", |r| {
        r.client = browser_at([198, 51, 100, 9])
    });
    let b = b.expect("joins");
    say(&mut room, b, ClientMsg::Leave);

    let entry = |event| LogEntry {
        at_ms: 0,
        event,
        browser: Some("Firefox 128.0".into()),
        os: Some("Windows 10 NT 10.0".into()),
        address: Some("192.0.2.7".into()),
        referrer: Some("https://intranet.example/calendar".into()),
    };
    let without_time = |entries: Vec<LogEntry>| {
        entries
            .into_iter()
            .map(|e| {
                assert!(
                    e.at_ms >= room.wall_ms(t0),
                    "stamped with the server's clock"
                );
                LogEntry { at_ms: 0, ..e }
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_time(room.session_log.of(a)),
        [
            entry(LogEvent::Join),
            entry(LogEvent::Upload),
            entry(LogEvent::Download)
        ]
    );
    let ben = without_time(room.session_log.of(b));
    assert_eq!(
        ben.iter().map(|e| e.event).collect::<Vec<_>>(),
        [LogEvent::Join, LogEvent::Leave]
    );
    assert_eq!(ben[0].address.as_deref(), Some("198.51.100.9"));
    assert_eq!(
        (ben[1].browser.as_ref(), ben[1].address.as_ref()),
        (None, None),
        "a leave carries no request"
    );
    assert_eq!(room.session_log.len(), 5, "nothing else was recorded");
}

#[tokio::test]
async fn a_lobby_visit_is_logged_as_a_join_and_a_leave() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let key = test_keys().moderator_key(&room.id);
    let (m, _m_rx) = join_with(&mut room, t0, "Mo", |r| r.moderator_key = Some(key));
    let m = m.expect("joins");
    say(
        &mut room,
        m,
        ClientMsg::Moderate {
            action: ModeratorAction::SetLobby { enabled: true },
        },
    );
    let (w, _w_rx) = join_at(&mut room, t0, "Wanda");
    let w = w.expect("waits");
    say(&mut room, w, ClientMsg::Leave);
    assert_eq!(
        room.session_log
            .of(w)
            .iter()
            .map(|e| e.event)
            .collect::<Vec<_>>(),
        [LogEvent::Join, LogEvent::Leave]
    );
}

#[tokio::test]
async fn my_data_is_about_the_asker_only_and_built_from_the_rooms_state() {
    let t0 = Instant::now();
    let (mut room, _recorder, mut people) = recorded_room(t0, &["Anna", "Ben"]).await;
    let (mo, _) = people[0];
    let (b, mut b_rx) = people.pop().expect("Ben");
    let (a, mut a_rx) = people.pop().expect("Anna");
    record(&mut room, t0, mo, RecordingAction::Propose);
    answer(&mut room, t0, a, Consent::Yes);
    say_at(&mut room, t0, a, chat("hello all", None));
    say_at(&mut room, t0, a, chat("just for Ben", Some(b)));
    say_at(&mut room, t0, b, chat("Ben's own words", None));

    let anna = my_data(&mut room, a, &mut a_rx);
    assert_eq!(
        (anna.id, anna.name.as_str(), anna.moderator),
        (a, "Anna", false)
    );
    assert_eq!(anna.conference_started_at_ms, room.wall_ms(room.started.0));
    assert_eq!(
        anna.messages
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>(),
        ["hello all", "just for Ben"],
        "her public and private messages, nothing of Ben's"
    );
    assert_eq!(anna.recording_answer, Some(Consent::Yes));
    assert_eq!(
        anna.log.iter().map(|e| e.event).collect::<Vec<_>>(),
        [LogEvent::Join]
    );

    let ben = my_data(&mut room, b, &mut b_rx);
    assert_eq!(
        ben.messages
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>(),
        ["Ben's own words"]
    );
    assert_eq!(ben.recording_answer, None, "Ben has not answered");
    assert!(
        drain(&mut a_rx).is_empty(),
        "Anna hears nothing of Ben's question"
    );
}

/// The `Renamed` and `MessageErased` notices among `msgs`.
fn notices(msgs: &[ServerMsg]) -> Vec<ServerMsg> {
    msgs.iter()
        .filter(|m| {
            matches!(
                m,
                ServerMsg::Renamed { .. } | ServerMsg::MessageErased { .. }
            )
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_rename_reaches_everyone_at_once_and_the_past_messages_too() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let [(a, mut a_rx), (_b, mut b_rx)] = anna_and_ben(&mut room, t0);
    say_at(&mut room, t0, a, chat("hello", None));
    drain(&mut a_rx);
    drain(&mut b_rx);

    say(
        &mut room,
        a,
        ClientMsg::Rename {
            name: "  Anna B.  ".into(),
        },
    );
    let renamed = ServerMsg::Renamed {
        id: a,
        name: "Anna B.".into(),
    };
    assert_eq!(notices(&drain(&mut a_rx)), std::slice::from_ref(&renamed));
    assert_eq!(notices(&drain(&mut b_rx)), [renamed]);
    let (_c, mut c_rx) = join_at(&mut room, t0, "Carl");
    let history = history_messages(&drain(&mut c_rx));
    assert_eq!(
        history.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["Anna B."],
        "the history carries the new name"
    );

    say(&mut room, a, ClientMsg::Rename { name: "   ".into() });
    assert_eq!(errors(&drain(&mut a_rx)), [ErrorCode::InvalidName]);
    assert!(notices(&drain(&mut b_rx)).is_empty());
    assert_eq!(
        room.participants[&a].info.name, "Anna B.",
        "a refused name changes nothing"
    );
}

#[tokio::test]
async fn an_erased_message_leaves_every_view_the_history_and_its_file_the_disk() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
    let a = a.expect("joins");
    let secret = token_secret(&drain(&mut a_rx));
    let [(b, mut b_rx), (_c, mut c_rx)] = ["Ben", "Carl"].map(|name| {
        let (id, rx) = join_at(&mut room, t0, name);
        (id.expect("joins"), rx)
    });
    let file = upload(&mut room, &secret, b"the minutes").await;
    let path = room
        .attachments
        .dir()
        .expect("a directory")
        .join(file.id.as_str());
    assert!(path.exists());
    let with_file = ClientMsg::Chat {
        text: "minutes attached".into(),
        to: None,
        attachment: Some(file.id.clone()),
    };
    say_at(&mut room, t0, a, with_file);
    say_at(&mut room, t0, a, chat("for Ben only", Some(b)));
    let ids: Vec<MessageId> = room.chat.sent_by(a).iter().map(|m| m.id).collect();
    for rx in [&mut a_rx, &mut b_rx, &mut c_rx] {
        drain(rx);
    }

    say(&mut room, b, ClientMsg::EraseMessage { id: ids[0] });
    assert_eq!(
        errors(&drain(&mut b_rx)),
        [ErrorCode::UnknownMessage],
        "only the author erases"
    );
    assert!(path.exists());

    say(&mut room, a, ClientMsg::EraseMessage { id: ids[0] });
    let erased = ServerMsg::MessageErased { id: ids[0] };
    for rx in [&mut a_rx, &mut b_rx, &mut c_rx] {
        assert_eq!(notices(&drain(rx)), std::slice::from_ref(&erased));
    }
    assert!(!path.exists(), "the file is deleted at once");
    assert_eq!(
        may_download(&mut room, &secret, &file.id),
        Err(ErrorCode::NotFound)
    );

    say(&mut room, a, ClientMsg::EraseMessage { id: ids[1] });
    assert_eq!(
        notices(&drain(&mut b_rx)),
        [ServerMsg::MessageErased { id: ids[1] }]
    );
    assert!(
        notices(&drain(&mut c_rx)).is_empty(),
        "Carl never saw the private one"
    );
    let (_d, mut d_rx) = join_at(&mut room, t0, "Dora");
    assert!(
        history(&drain(&mut d_rx)).is_empty(),
        "a late joiner gets neither"
    );
    assert!(my_data(&mut room, a, &mut a_rx).messages.is_empty());
}

#[tokio::test]
async fn a_rename_reaches_a_running_recording() {
    let t0 = Instant::now();
    let (mut room, recorder, people) = recorded_room(t0, &["Anna"]).await;
    let [mo, a] = [people[0].0, people[1].0];
    record(&mut room, t0, mo, RecordingAction::Propose);
    answer(&mut room, t0, mo, Consent::Yes);
    answer(&mut room, t0, a, Consent::Yes);
    let names = |msgs: Vec<CaptureMsg>| -> Vec<String> {
        msgs.into_iter()
            .filter_map(|m| match m {
                CaptureMsg::Person { name, .. } => Some(name),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        names(recorder.received()),
        ["Mo", "Anna"],
        "capture runs, with both names"
    );
    say(
        &mut room,
        a,
        ClientMsg::Rename {
            name: "Anna B.".into(),
        },
    );
    assert_eq!(
        names(recorder.received()),
        ["Anna B."],
        "the recording gets the new name"
    );
}

/// An empty holds store of its own for one test (a maximum of 30 days), and its directory.
fn fresh_holds(name: &str) -> (std::path::PathBuf, Arc<Holds>) {
    let dir = std::env::temp_dir().join(format!("treff-room-holds-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let holds = Arc::new(Holds::open(&dir, 30).expect("holds"));
    (dir, holds)
}

#[tokio::test]
async fn a_hold_keeps_the_session_log_past_the_end_until_it_expires() {
    let (dir, holds) = fresh_holds("kept");
    let (mut room, _d) = room_holding(holds.clone()).await;
    let t0 = Instant::now();
    let (a, mut a_rx) = join_with(&mut room, t0, "Anna", |r| {
        r.client = browser_at([192, 0, 2, 7])
    });
    let a = a.expect("joins");
    assert!(!my_data(&mut room, a, &mut a_rx).log_on_hold);
    let (reply, mut answer) = oneshot::channel();
    let hour = Duration::from_secs(3600);
    room.command(
        t0,
        Command::Hold {
            reason: "reported intrusion".into(),
            duration: Some(hour),
            reply,
        },
    );
    let meta = answer.try_recv().expect("answered").expect("held");
    assert!(my_data(&mut room, a, &mut a_rx).log_on_hold);
    // What happens after the hold is kept too: it is written again at the end.
    let (b, _b_rx) = join_with(&mut room, t0, "Ben", |r| {
        r.client = browser_at([198, 51, 100, 9])
    });
    let b = b.expect("joins");
    say(&mut room, b, ClientMsg::Leave);
    let started = room.wall_ms(room.started.0);
    let end = t0 + Duration::from_secs(5);
    let ended = room.wall_ms(end);
    room.end(end);

    let held = holds
        .export(&meta.id, SystemTime::now())
        .expect("kept past the end");
    assert_eq!(held.conference_started_at_ms, started);
    assert_eq!(held.conference_ended_at_ms, Some(ended));
    let seen: Vec<(ParticipantId, LogEvent, Option<String>)> = held
        .entries
        .iter()
        .map(|(who, e)| (*who, e.event, e.address.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (a, LogEvent::Join, Some("192.0.2.7".into())),
            (b, LogEvent::Join, Some("198.51.100.9".into())),
            (b, LogEvent::Leave, None),
        ]
    );
    // Expiry (simulated time): gone from disk, nothing left to export.
    assert_eq!(
        holds.sweep(SystemTime::now() + hour + Duration::from_secs(1)),
        1
    );
    assert!(holds.export(&meta.id, SystemTime::now()).is_err());
    assert_eq!(
        std::fs::read_dir(dir.join("holds")).expect("dir").count(),
        0
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn without_a_hold_nothing_of_the_session_log_outlives_the_conference() {
    let (dir, holds) = fresh_holds("none");
    let (mut room, _d) = room_holding(holds.clone()).await;
    let t0 = Instant::now();
    let (a, _a_rx) = join_with(&mut room, t0, "Anna", |r| {
        r.client = browser_at([192, 0, 2, 7])
    });
    say(&mut room, a.expect("joins"), ClientMsg::Leave);
    assert_eq!(room.session_log.len(), 2);
    room.end(t0);
    assert!(holds.list().is_empty());
    assert_eq!(
        std::fs::read_dir(dir.join("holds")).expect("dir").count(),
        0
    );
    std::fs::remove_dir_all(dir).ok();
}
