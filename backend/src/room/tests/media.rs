//! The room's media plane: offers and answers, which m-lines each peer gets, polling.

use super::net::{Net, STEP};
use super::*;

#[tokio::test]
async fn a_newcomer_gets_everyone_and_everyone_gets_the_newcomer() {
    let (mut room, _d) = room(20).await;
    let (a, mut a_rx) = join(&mut room, "Anna");
    let a = a.expect("joins");
    let first = drain(&mut a_rx);
    assert!(
        matches!(&first[0], ServerMsg::Joined { you, participants, .. } if *you == a && participants.len() == 1)
    );
    let (sdp, tracks) = offers(&first)[0];
    assert!(tracks.is_empty(), "alone: nothing to receive");
    assert!(
        sdp.contains("a=ice-lite") && sdp.contains("a=recvonly"),
        "publish m-lines offered"
    );
    assert!(sdp.contains("VP8") && sdp.contains("opus") && !sdp.contains("H264"));

    let (b, mut b_rx) = join(&mut room, "Ben");
    let b = b.expect("joins");
    let to_b = drain(&mut b_rx);
    assert!(matches!(&to_b[0], ServerMsg::Joined { participants, .. } if participants.len() == 2));
    let (_, tracks) = offers(&to_b)[0];
    let mut kinds: Vec<_> = tracks
        .iter()
        .filter(|t| t.participant == a)
        .map(|t| t.kind)
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [TrackKind::Video],
        "B receives A's camera, the one track A has on (no m-line for a microphone or screen \
         that is off)"
    );
    let to_a = drain(&mut a_rx);
    assert!(to_a.iter().any(|m| matches!(m, ServerMsg::ParticipantJoined { participant } if participant.id == b && participant.name == "Ben")));
    // A's first offer is still unanswered: A's renegotiation for B waits for that answer.
    assert!(offers(&to_a).is_empty(), "one offer in flight at a time");
}

#[tokio::test]
async fn a_garbage_answer_is_a_user_error_and_the_offer_stays_open() {
    let (mut room, _d) = room(20).await;
    let (a, mut a_rx) = join(&mut room, "Anna");
    let a = a.expect("joins");
    let offer = drain(&mut a_rx).pop().expect("an offer");
    for _ in 0..2 {
        let garbage = ClientMsg::Answer {
            sdp: "garbage".into(),
        };
        say(&mut room, a, garbage);
        expect_only_invalid_sdp(&mut a_rx);
    }
    let good = ClientMsg::Answer {
        sdp: answer_for(&offer),
    };
    say(&mut room, a, good);
    assert!(drain(&mut a_rx).is_empty(), "the real answer is taken");
    // Negotiation goes on: a newcomer's tracks reach A in a new offer.
    let (b, _b_rx) = join(&mut room, "Ben");
    let b = b.expect("joins");
    let msgs = drain(&mut a_rx);
    assert!(
        offers(&msgs)
            .iter()
            .any(|(_, tracks)| tracks.iter().any(|t| t.participant == b)),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn an_answer_without_an_offer_is_a_user_error() {
    let (mut room, _d) = room(20).await;
    let (a, mut a_rx) = join(&mut room, "Anna");
    let a = a.expect("joins");
    let offer = drain(&mut a_rx).pop().expect("an offer");
    let answer = answer_for(&offer);
    say(
        &mut room,
        a,
        ClientMsg::Answer {
            sdp: answer.clone(),
        },
    );
    say(&mut room, a, ClientMsg::Answer { sdp: answer });
    expect_only_invalid_sdp(&mut a_rx);
    assert!(!room.is_empty());
}

// ---- chat, the grace period and the purge, in simulated time ----

/// Number of m-lines in the latest offer a client answered.
fn m_lines(net: &Net, client: usize) -> usize {
    let (sdp, _) = net.clients[client].offers.last().expect("an offer");
    sdp.lines().filter(|l| l.starts_with("m=")).count()
}

#[tokio::test]
async fn a_peer_with_nothing_to_do_is_not_polled() {
    const N: usize = 40;
    let mut net = Net::new(N).await;
    net.join("Publisher", true, false);
    for n in 1..N {
        net.join(&format!("Receiver {n}"), false, false);
    }
    net.connect_all();
    net.run(Duration::from_secs(2));

    // Idle: only the peers' own timers wake them. str0m's pacer (on with bandwidth estimation,
    // `sfu::estimate`) asks for one every 40 ms, 25 a second; ICE and RTCP add a few. What must not
    // happen is a poll of every peer for every other peer's wake-up: 40 × that.
    let before = net.room.polls();
    net.run(Duration::from_secs(5));
    let idle = net.room.polls() - before;
    let idle_per_peer_second = idle as f64 / N as f64 / 5.0;
    eprintln!("idle: {idle} polls in 5 s, {idle_per_peer_second:.1} per peer and second");
    assert!(
        idle_per_peer_second < 50.0,
        "idle peers are polled {idle_per_peer_second:.1} times a second"
    );

    // One publisher: each packet costs a poll of the publisher and of each receiver, not of every
    // peer for every wake-up.
    let received = |net: &Net| -> u64 {
        net.clients
            .iter()
            .map(|c| c.received.values().sum::<u64>())
            .sum()
    };
    let (polls_before, received_before) = (net.room.polls(), received(&net));
    let seconds = 2;
    let frames = net.publish(0, Duration::from_secs(seconds), false);
    let delivered = received(&net) - received_before;
    let polls = net.room.polls() - polls_before;
    let timer_polls = idle * seconds / 5;
    let per_frame = (polls.saturating_sub(timer_polls)) as f64 / frames as f64;
    eprintln!("{frames} frames, {delivered} delivered, {polls} polls, {per_frame:.1} per frame");
    assert!(
        frames >= 90,
        "the publisher sent {frames} frames in {seconds} s"
    );
    assert!(
        delivered as f64 >= 0.95 * (frames * (N as u64 - 1)) as f64,
        "every receiver gets the frames: {delivered} of {}",
        frames * (N as u64 - 1)
    );
    // Each receiver is polled for the frame it gets, and for its own RTCP (reports, transport-wide
    // feedback); its pacer's timeouts due within the timer's grain are handled in the same poll
    // (`sfu::peer`): about 2 N here. O(N²) would be N² = 1600.
    assert!(
        per_frame <= 3.0 * N as f64,
        "{per_frame:.1} polls per frame in a room of {N}: O(N) is about {N}, O(N²) {}",
        N * N
    );
}

#[tokio::test]
async fn offers_do_not_grow_with_joins_and_leaves() {
    let settle = Duration::from_millis(500);
    let mut fresh = Net::new(20).await;
    for name in ["Anna", "Ben", "Cleo"] {
        fresh.join(name, true, true);
        fresh.run(settle);
    }
    let fresh_lines = m_lines(&fresh, 0);
    assert_eq!(
        fresh_lines,
        3 + 2 + 2,
        "Anna's publish m-lines plus two tracks of each other"
    );

    let mut cycled = Net::new(20).await;
    for name in ["Anna", "Ben"] {
        cycled.join(name, true, true);
        cycled.run(settle);
    }
    let mut after_leaving = Vec::new();
    for _ in 0..10 {
        let cleo = cycled.join("Cleo", true, true);
        cycled.run(settle);
        cycled.leave(cleo);
        cycled.run(settle);
        after_leaving.push(m_lines(&cycled, 0));
    }
    assert!(
        after_leaving.iter().all(|&n| n == fresh_lines),
        "Cleo's m-lines go inactive and are taken again, never added: {after_leaving:?}"
    );
    cycled.join("Cleo", true, true);
    cycled.run(settle);
    assert_eq!(m_lines(&cycled, 0), fresh_lines);
    let (_, tracks) = cycled.clients[0].offers.last().expect("an offer");
    assert_eq!(tracks.len(), 4, "Ben's and Cleo's microphone and camera");
}

#[tokio::test]
async fn a_frame_of_many_packets_is_not_held_back_by_the_pacer() {
    let mut net = Net::new(2).await;
    let publisher = net.join("Anna", false, true);
    let receiver = net.join("Ben", false, false);
    net.connect_all();
    // The camera flows (small frames) before the big one.
    net.publish(publisher, Duration::from_secs(2), true);
    net.run(Duration::from_millis(200));
    let anna = net.clients[publisher].id;
    let frames = |net: &Net| {
        net.clients[receiver]
            .received
            .get(&(anna, TrackKind::Video))
            .copied()
            .unwrap_or(0)
    };
    // A keyframe of 8 KB: seven or eight packets, which str0m's pacer lets out one per timeout,
    // asking for the next a microsecond later. Left to the room's timer, this frame took 24 steps
    // (120 ms); paced at a little above the initial estimate it takes about 10 ms.
    let before = frames(&net);
    assert!(before > 0, "Ben gets Anna's camera");
    net.frame_size = 8_000;
    assert!(net.video_frame(publisher, true), "Anna publishes");
    let mut steps = 0;
    while frames(&net) == before {
        assert!(steps < 40, "the keyframe did not arrive within 200 ms");
        net.step();
        steps += 1;
    }
    eprintln!("an 8 KB keyframe arrived after {steps} steps of {STEP:?}");
    assert!(
        steps <= 4,
        "the keyframe took {steps} steps of {STEP:?}: the pacer holds packets back"
    );
}
