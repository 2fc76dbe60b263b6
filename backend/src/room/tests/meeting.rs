//! Joining, leaving, the grace period and the end of a conference, hands and reactions.

use super::*;

#[tokio::test]
async fn a_full_room_refuses_and_nobody_else_notices() {
    let (mut room, _d) = room(1).await;
    let (_, mut a_rx) = join(&mut room, "Anna");
    drain(&mut a_rx);
    let (refused, _) = join(&mut room, "Ben");
    assert_eq!(refused, Err(ErrorCode::RoomFull));
    assert!(drain(&mut a_rx).is_empty());
}

#[tokio::test]
async fn leaving_tells_the_others_and_removes_the_route() {
    let (mut room, _d) = room(20).await;
    let (a, mut a_rx) = join(&mut room, "Anna");
    let (b, _b_rx) = join(&mut room, "Ben");
    let (a, b) = (a.expect("joins"), b.expect("joins"));
    assert_eq!(room.media.routes.peers(), 2);
    drain(&mut a_rx);
    say(&mut room, b, ClientMsg::Leave);
    let to_a = drain(&mut a_rx);
    assert!(to_a.contains(&ServerMsg::ParticipantLeft { id: b }));
    assert_eq!(room.media.routes.peers(), 1);
    socket_gone(&mut room, Instant::now(), a, Gone::Closed);
    assert!(room.is_empty());
    assert_eq!(room.media.routes.peers(), 0);
}

#[tokio::test]
async fn the_end_removes_the_routes_of_everyone_still_present() {
    let (mut room, _d) = room(20).await;
    let (a, _a_rx) = join(&mut room, "Anna");
    let (b, _b_rx) = join(&mut room, "Ben");
    a.expect("joins");
    b.expect("joins");
    let routes = room.media.routes.clone();
    assert_eq!(routes.peers(), 2);
    room.end(Instant::now());
    assert_eq!(routes.peers(), 0);
    assert_eq!(routes.addresses(), 0);
}

#[tokio::test]
async fn media_state_is_relayed_with_the_stamped_sender() {
    let (mut room, _d) = room(20).await;
    let (a, _a_rx) = join(&mut room, "Anna");
    let (_b, mut b_rx) = join(&mut room, "Ben");
    let a = a.expect("joins");
    drain(&mut b_rx);
    say(
        &mut room,
        a,
        ClientMsg::SetMedia {
            mic: true,
            cam: false,
            screen: false,
        },
    );
    assert_eq!(
        drain(&mut b_rx),
        vec![ServerMsg::MediaState {
            id: a,
            mic: true,
            cam: false,
            screen: false,
        }]
    );
}

#[tokio::test]
async fn an_empty_room_keeps_the_conference_for_the_grace_period_only() {
    let (mut room, _d) = room(20).await;
    let grace = Duration::from_millis(room.limits.empty_room_grace_ms);
    let t0 = Instant::now();
    let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
    let a = a.expect("joins");
    say_at(&mut room, t0, a, chat("before the reload", None));
    drain(&mut a_rx);
    // A reload: the socket drops, the same person comes back within the grace period.
    socket_gone(&mut room, t0, a, Gone::Closed);
    assert!(!room.is_over(t0));
    assert!(!room.is_over(t0 + grace - Duration::from_millis(1)));
    let t1 = t0 + grace - Duration::from_millis(1);
    let (a2, mut a2_rx) = join_at(&mut room, t1, "Anna");
    let a2 = a2.expect("joins");
    assert!(!room.is_over(t1));
    assert_eq!(history(&drain(&mut a2_rx)), ["before the reload"]);
    // Gone again: the grace period starts over, and when it runs out the conference is over.
    socket_gone(&mut room, t1, a2, Gone::Closed);
    assert!(!room.is_over(t1));
    assert_eq!(room.grace_deadline(), Some(t1 + grace));
    assert!(!room.is_over(t1 + grace - Duration::from_millis(1)));
    assert!(room.is_over(t1 + grace));
    let started = room.started.0;
    let receipt = room.end(t1 + grace);
    assert_eq!(receipt.messages, 1);
    assert_eq!(receipt.participants, 2);
    assert_eq!(
        receipt.ended_at_ms - receipt.started_at_ms,
        u64::try_from((t1 + grace - started).as_millis()).expect("small")
    );
}

#[tokio::test]
async fn the_last_to_leave_ends_the_conference_and_sees_the_receipt() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
    let (b, mut b_rx) = join_at(&mut room, t0, "Ben");
    let (a, b) = (a.expect("joins"), b.expect("joins"));
    say_at(&mut room, t0, a, chat("one", None));
    say_at(&mut room, t0, b, chat("two", Some(a)));
    say_at(&mut room, t0, b, ClientMsg::Leave);
    assert!(!room.is_over(t0), "Anna is still here");
    say_at(&mut room, t0, a, ClientMsg::Leave);
    assert!(
        room.is_over(t0),
        "no grace period after the last one left by choice"
    );
    let receipt = room.end(t0 + Duration::from_secs(5));
    let ended: Vec<_> = drain(&mut a_rx)
        .into_iter()
        .filter_map(|m| match m {
            ServerMsg::Ended { receipt, .. } => Some(receipt),
            _ => None,
        })
        .collect();
    assert_eq!(
        ended,
        std::slice::from_ref(&receipt),
        "Anna, the last, sees the receipt"
    );
    assert!(
        !drain(&mut b_rx)
            .iter()
            .any(|m| matches!(m, ServerMsg::Ended { .. })),
        "Ben had left before the end"
    );
    assert_eq!((receipt.messages, receipt.participants), (2, 2));
    assert_eq!(receipt.ended_at_ms - receipt.started_at_ms, 5000);
}

#[tokio::test]
async fn hands_queue_in_the_order_raised_and_everyone_sees_them() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let [(a, mut a_rx), (b, mut b_rx)] = anna_and_ben(&mut room, t0);
    let hands = |msgs: Vec<ServerMsg>| -> Vec<(ParticipantId, Option<u64>)> {
        msgs.into_iter()
            .filter_map(|m| match m {
                ServerMsg::Hand { id, raised_at_ms } => Some((id, raised_at_ms)),
                _ => None,
            })
            .collect()
    };
    let start = room.wall_ms(t0);
    say_at(
        &mut room,
        t0 + Duration::from_secs(1),
        b,
        ClientMsg::RaiseHand { raised: true },
    );
    say_at(
        &mut room,
        t0 + Duration::from_secs(2),
        a,
        ClientMsg::RaiseHand { raised: true },
    );
    // Raising again keeps Ben's place.
    say_at(
        &mut room,
        t0 + Duration::from_secs(3),
        b,
        ClientMsg::RaiseHand { raised: true },
    );
    let expected = [
        (b, Some(start + 1000)),
        (a, Some(start + 2000)),
        (b, Some(start + 1000)),
    ];
    assert_eq!(hands(drain(&mut a_rx)), expected);
    assert_eq!(
        hands(drain(&mut b_rx)),
        expected,
        "the raiser gets the echo too"
    );
    let (_, mut c_rx) = join_at(&mut room, t0 + Duration::from_secs(4), "Carl");
    let joined = drain(&mut c_rx);
    let listed: Vec<_> = joined
        .iter()
        .find_map(|m| match m {
            ServerMsg::Joined { participants, .. } => Some(
                participants
                    .iter()
                    .map(|p| (p.id, p.hand))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .expect("Joined");
    assert_eq!(
        listed[..2],
        [(a, Some(start + 2000)), (b, Some(start + 1000))]
    );
    say_at(&mut room, t0, b, ClientMsg::RaiseHand { raised: false });
    assert_eq!(hands(drain(&mut a_rx)), [(b, None)]);
}

#[tokio::test]
async fn reactions_reach_everyone_and_a_flood_is_refused() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
    let (_, mut b_rx) = join_at(&mut room, t0, "Ben");
    let a = a.expect("joins");
    drain(&mut a_rx);
    drain(&mut b_rx);
    let burst = room.limits.reactions_burst;
    for _ in 0..=burst {
        say_at(
            &mut room,
            t0,
            a,
            ClientMsg::React {
                reaction: treff_shared::Reaction::Clap,
            },
        );
    }
    let reacted = |msgs: &[ServerMsg]| {
        msgs.iter()
            .filter(|m| matches!(m, ServerMsg::Reacted { id, reaction: treff_shared::Reaction::Clap } if *id == a))
            .count()
    };
    let to_b = drain(&mut b_rx);
    assert_eq!(reacted(&to_b), burst as usize);
    let to_a = drain(&mut a_rx);
    assert_eq!(
        reacted(&to_a),
        burst as usize,
        "the sender sees their own reaction"
    );
    assert_eq!(errors(&to_a), [ErrorCode::ReactionRateLimited]);
    assert!(errors(&to_b).is_empty());
}

// ---- moderation: the permission table, passwords, lock, lobby, removal ----
