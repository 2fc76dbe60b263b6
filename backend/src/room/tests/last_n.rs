//! Last-N in a real room: who speaks decides whose camera a receiver gets, by packets received.

use super::net::Net;
use super::*;

#[tokio::test]
async fn in_a_large_room_a_receiver_gets_the_camera_of_who_spoke_and_every_voice() {
    let mut net = Net::new(5).await;
    // A room of four above a threshold of two, one camera each: as a room of 20 with eight.
    net.room.limits.last_n = 1;
    net.room.limits.last_n_above = 2;
    let anna = net.join("Anna", true, true);
    let ben = net.join("Ben", true, true);
    let cleo = net.join("Cleo", true, true);
    let dora = net.join("Dora", false, false);
    net.connect_all();
    // Anna and Cleo are quiet, Ben speaks.
    net.clients[anna].audio_level = Some(-90);
    net.clients[cleo].audio_level = Some(-90);
    net.clients[ben].audio_level = Some(-30);
    let publishers = [anna, ben, cleo];
    net.publish_all(&publishers, Duration::from_secs(3), true);
    let [anna_id, ben_id, cleo_id] = publishers.map(|i| net.clients[i].id);

    let [anna_got, ben_got, cleo_got] = frames_received(&mut net, dora, &publishers);
    eprintln!(
        "in 2 s Dora got [audio, video]: Anna {anna_got:?}, Ben {ben_got:?}, Cleo {cleo_got:?}"
    );
    assert!(ben_got[1] >= 50, "Ben's camera reaches Dora: {ben_got:?}");
    assert_eq!(anna_got[1], 0, "Anna's camera is withheld");
    assert_eq!(cleo_got[1], 0, "Cleo's camera is withheld");
    for got in [anna_got, ben_got, cleo_got] {
        assert!(got[0] >= 90, "every voice reaches Dora: {got:?}");
    }
    let told: Vec<&ServerMsg> = net.clients[dora]
        .messages
        .iter()
        .filter(|m| matches!(m, ServerMsg::LastN { .. }))
        .collect();
    assert_eq!(
        told.last(),
        Some(&&ServerMsg::LastN {
            without_video: vec![anna_id, cleo_id]
        }),
        "Dora is told whose cameras she does not get: {told:?}"
    );

    // Ben falls silent and Cleo speaks: after Ben's keep, Cleo's camera takes his place.
    net.clients[ben].audio_level = Some(-90);
    net.clients[cleo].audio_level = Some(-30);
    net.publish_all(&publishers, Duration::from_secs(4), true);
    let [anna_got, ben_got, cleo_got] = frames_received(&mut net, dora, &publishers);
    assert!(
        cleo_got[1] >= 50,
        "Cleo's camera reaches Dora: {cleo_got:?}"
    );
    assert_eq!([anna_got[1], ben_got[1]], [0, 0]);
    assert!(net.room.plane.speakers.last_spoke(cleo_id).is_some());

    // Cleo leaves: when she spoke is forgotten with her.
    net.leave(cleo);
    net.run(Duration::from_millis(100));
    assert_eq!(net.room.plane.speakers.last_spoke(cleo_id), None);
    assert!(net.room.plane.speakers.last_spoke(ben_id).is_some());
}

/// The [audio, video] frames `receiver` gets from each of `publishers` while they publish for 2 s.
fn frames_received<const N: usize>(
    net: &mut Net,
    receiver: usize,
    publishers: &[usize; N],
) -> [[u64; 2]; N] {
    let counts = |net: &Net| {
        publishers.map(|p| {
            let from = net.clients[p].id;
            let got = &net.clients[receiver].received;
            [TrackKind::Audio, TrackKind::Video].map(|k| got.get(&(from, k)).copied().unwrap_or(0))
        })
    };
    let before = counts(net);
    net.publish_all(publishers, Duration::from_secs(2), true);
    let after = counts(net);
    std::array::from_fn(|i| [0, 1].map(|k| after[i][k] - before[i][k]))
}
