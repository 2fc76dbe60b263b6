//! Moderation: the permission table, media that no action turns on, password, lock, lobby, bans.

use super::*;

/// A room with moderator Anna (by her link) and participants Ben and Carl, mic and camera on.
async fn moderated() -> (
    Room,
    mpsc::Receiver<Vec<Datagram>>,
    [(ParticipantId, mpsc::Receiver<Outgoing>); 3],
) {
    let (mut room, d) = room(20).await;
    let key = test_keys().moderator_key(&room.id);
    let t0 = Instant::now();
    let on = |r: &mut JoinRequest| {
        r.mic = true;
        r.cam = true;
    };
    let (a, a_rx) = join_with(&mut room, t0, "Anna", |r| {
        on(r);
        r.moderator_key = Some(key);
    });
    let (b, b_rx) = join_with(&mut room, t0, "Ben", |r| {
        on(r);
        r.client.addr = Some([10, 0, 0, 2].into());
    });
    let (c, c_rx) = join_with(&mut room, t0, "Carl", on);
    let people = [
        (a.expect("joins"), a_rx),
        (b.expect("joins"), b_rx),
        (c.expect("joins"), c_rx),
    ];
    assert!(
        room.is_moderator(people[0].0),
        "the moderator link makes a moderator"
    );
    assert!(!room.is_moderator(people[1].0));
    (room, d, people)
}

fn every_action(target: ParticipantId) -> Vec<ModeratorAction> {
    vec![
        ModeratorAction::MakeModerator { id: target },
        ModeratorAction::Mute { id: target },
        ModeratorAction::MuteAll,
        ModeratorAction::StopVideo { id: target },
        ModeratorAction::AskToUnmute { id: target },
        ModeratorAction::Remove {
            id: target,
            ban: true,
        },
        ModeratorAction::EndForAll,
        ModeratorAction::SetLock { locked: true },
        ModeratorAction::SetLobby { enabled: true },
        ModeratorAction::SetPassword {
            password: Some("x".into()),
        },
        ModeratorAction::Admit { id: target },
        ModeratorAction::Deny { id: target },
    ]
}

fn media_of(room: &Room, id: ParticipantId) -> (bool, bool) {
    let p = &room.participants[&id].info;
    (p.mic, p.cam)
}

#[tokio::test]
async fn every_moderator_action_is_refused_from_a_non_moderator() {
    let (mut room, _d, [(_, _), (b, mut b_rx), (c, mut c_rx)]) = moderated().await;
    drain(&mut b_rx);
    drain(&mut c_rx);
    for action in every_action(c) {
        say(
            &mut room,
            b,
            ClientMsg::Moderate {
                action: action.clone(),
            },
        );
        assert_eq!(
            errors(&drain(&mut b_rx)),
            [ErrorCode::NotModerator],
            "{action:?}"
        );
        assert!(drain(&mut c_rx).is_empty(), "{action:?} reached nobody");
    }
    assert_eq!(media_of(&room, c), (true, true));
    assert!(!room.is_moderator(c));
    assert_eq!(room.access.settings(), RoomSettings::default());
    assert!(!room.is_over(Instant::now()), "the meeting goes on");
}

#[tokio::test]
async fn no_moderator_action_turns_anyones_media_on() {
    let (mut room, _d, [(a, mut a_rx), (b, mut b_rx), (c, mut c_rx)]) = moderated().await;
    // Everyone's microphone off, Carl's camera off.
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::MuteAll,
        },
    );
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::StopVideo { id: c },
        },
    );
    assert_eq!(media_of(&room, b), (false, true));
    assert_eq!(media_of(&room, c), (false, false));
    assert_eq!(
        media_of(&room, a),
        (true, true),
        "mute-all spares the moderator"
    );
    let turned_off = |msgs: Vec<ServerMsg>| {
        msgs.into_iter()
            .filter(|m| matches!(m, ServerMsg::TurnedOff { .. }))
            .count()
    };
    assert_eq!(turned_off(drain(&mut b_rx)), 1);
    assert_eq!(turned_off(drain(&mut c_rx)), 2);
    drain(&mut a_rx);
    // Whatever else the moderator does, nobody's device comes back on (Remove, EndForAll and
    // Deny are left out: they end someone's presence, which is tested below).
    for action in every_action(b) {
        if matches!(
            action,
            ModeratorAction::Remove { .. }
                | ModeratorAction::EndForAll
                | ModeratorAction::Deny { .. }
        ) {
            continue;
        }
        let before = [media_of(&room, b), media_of(&room, c)];
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: action.clone(),
            },
        );
        let after = [media_of(&room, b), media_of(&room, c)];
        for ((mic0, cam0), (mic1, cam1)) in before.into_iter().zip(after) {
            assert!(mic0 || !mic1, "{action:?} switched a microphone on");
            assert!(cam0 || !cam1, "{action:?} switched a camera on");
        }
    }
    assert_eq!(
        media_of(&room, b),
        (false, false),
        "StopVideo was among them"
    );
    assert!(
        drain(&mut b_rx).contains(&ServerMsg::UnmuteAsked),
        "the moderator can ask"
    );
    // Only Ben himself switches his microphone on again.
    say(
        &mut room,
        b,
        ClientMsg::SetMedia {
            mic: true,
            cam: false,
            screen: false,
        },
    );
    assert_eq!(media_of(&room, b), (true, false));
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_guessing_is_slowed_down() {
    let (mut room, _d, [(a, _a_rx), _, _]) = moderated().await;
    let t0 = Instant::now();
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::SetPassword {
                password: Some("richtig".into()),
            },
        },
    );
    assert!(room.access.settings().password);
    let attempt = |room: &mut Room, at: Instant, pw: Option<&str>| {
        join_with(room, at, "Gast", |r| r.password = pw.map(str::to_owned)).0
    };
    assert_eq!(
        attempt(&mut room, t0, None),
        Err(ErrorCode::PasswordRequired)
    );
    for _ in 0..crate::room::moderation::FREE_ATTEMPTS {
        assert_eq!(
            attempt(&mut room, t0, Some("falsch")),
            Err(ErrorCode::WrongPassword)
        );
    }
    // Past the free attempts every wrong one makes the next wait: 1 s, then 2 s, ...
    assert_eq!(
        attempt(&mut room, t0, Some("falsch")),
        Err(ErrorCode::WrongPassword)
    );
    assert_eq!(
        attempt(&mut room, t0 + Duration::from_millis(900), Some("richtig")),
        Err(ErrorCode::TooManyAttempts),
        "even the right password waits"
    );
    let t1 = t0 + Duration::from_secs(1);
    assert_eq!(
        attempt(&mut room, t1, Some("falsch")),
        Err(ErrorCode::WrongPassword)
    );
    assert_eq!(
        attempt(&mut room, t1 + Duration::from_millis(1900), Some("richtig")),
        Err(ErrorCode::TooManyAttempts)
    );
    attempt(&mut room, t1 + Duration::from_secs(2), Some("richtig"))
        .expect("in with the right one");
    // The moderator link needs no password.
    let key = test_keys().moderator_key(&room.id);
    join_with(&mut room, t1, "Moderatorin", |r| {
        r.moderator_key = Some(key)
    })
    .0
    .expect("in");
}

#[tokio::test]
async fn a_locked_room_refuses_newcomers_but_not_a_moderator_link() {
    let (mut room, _d, [(a, _a_rx), _, _]) = moderated().await;
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::SetLock { locked: true },
        },
    );
    assert_eq!(join(&mut room, "Dora").0, Err(ErrorCode::RoomLocked));
    let forged = "AAAA".to_owned();
    assert_eq!(
        join_with(&mut room, Instant::now(), "Eve", |r| r.moderator_key =
            Some(forged))
        .0,
        Err(ErrorCode::RoomLocked),
        "a made-up key is no key"
    );
    let key = test_keys().moderator_key(&room.id);
    join_with(&mut room, Instant::now(), "Mod", |r| {
        r.moderator_key = Some(key)
    })
    .0
    .expect("in");
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::SetLock { locked: false },
        },
    );
    join(&mut room, "Dora").0.expect("unlocked");
}

#[tokio::test]
async fn the_lobby_admits_and_denies_and_tells_the_moderators() {
    let (mut room, _d, [(a, mut a_rx), _, _]) = moderated().await;
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::SetLobby { enabled: true },
        },
    );
    drain(&mut a_rx);
    let (d, mut d_rx) = join(&mut room, "Dora");
    let d = d.expect("waits");
    assert_eq!(drain(&mut d_rx), [ServerMsg::Waiting]);
    assert!(!room.participants.contains_key(&d), "not in the room yet");
    assert!(matches!(
        drain(&mut a_rx).as_slice(),
        [ServerMsg::Knocking { participant }] if participant.id == d && participant.name == "Dora"
    ));
    // Messages of someone waiting do nothing.
    say(
        &mut room,
        d,
        ClientMsg::Chat {
            text: "let me in".into(),
            to: None,
            attachment: None,
        },
    );
    assert!(room.chat.is_empty());
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::Admit { id: d },
        },
    );
    assert!(
        drain(&mut d_rx)
            .iter()
            .any(|m| matches!(m, ServerMsg::Joined { you, .. } if *you == d))
    );
    assert!(drain(&mut a_rx).contains(&ServerMsg::KnockEnded { id: d }));

    let (e, mut e_rx) = join(&mut room, "Emil");
    let e = e.expect("waits");
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::Deny { id: e },
        },
    );
    let to_e: Vec<_> = std::iter::from_fn(|| e_rx.try_recv().ok()).collect();
    assert!(to_e.iter().any(|o| matches!(
        o,
        Outgoing::Msg(ServerMsg::Error {
            code: ErrorCode::EntryDenied,
            ..
        })
    )));
    assert!(
        to_e.iter()
            .any(|o| matches!(o, Outgoing::Close(f) if *f == Fault::DENIED))
    );
    assert!(!room.participants.contains_key(&e));

    // Someone who gives up waiting disappears from the moderators' list.
    let (f, _f_rx) = join(&mut room, "Fritz");
    let f = f.expect("waits");
    drain(&mut a_rx);
    socket_gone(&mut room, Instant::now(), f, Gone::Dropped);
    assert_eq!(drain(&mut a_rx), [ServerMsg::KnockEnded { id: f }]);
}

#[tokio::test]
async fn a_removed_and_banned_participant_stays_out_and_end_for_all_ends_it() {
    let (mut room, _d, [(a, mut a_rx), (b, mut b_rx), (_, mut c_rx)]) = moderated().await;
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::Remove { id: b, ban: true },
        },
    );
    let to_b: Vec<_> = std::iter::from_fn(|| b_rx.try_recv().ok()).collect();
    assert!(
        to_b.iter()
            .any(|o| matches!(o, Outgoing::Msg(ServerMsg::Removed { banned: true })))
    );
    assert!(
        to_b.iter()
            .any(|o| matches!(o, Outgoing::Close(f) if *f == Fault::REMOVED))
    );
    assert!(!room.participants.contains_key(&b));
    let from_bens_address = |r: &mut JoinRequest| r.client.addr = Some([10, 0, 0, 2].into());
    assert_eq!(
        join_with(&mut room, Instant::now(), "Ben again", from_bens_address).0,
        Err(ErrorCode::Banned)
    );
    drain(&mut a_rx);
    drain(&mut c_rx);
    say(
        &mut room,
        a,
        ClientMsg::Moderate {
            action: ModeratorAction::EndForAll,
        },
    );
    assert!(
        room.is_over(Instant::now()),
        "ended although people are present"
    );
    let receipt = room.end(Instant::now());
    for rx in [&mut a_rx, &mut c_rx] {
        assert!(drain(rx).contains(&ServerMsg::Ended {
            receipt: receipt.clone(),
            restarting: false,
        }));
    }
}
