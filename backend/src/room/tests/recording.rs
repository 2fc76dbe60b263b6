//! Recording on everyone's yes (R5): the consent rules as a table, a table of every action of
//! everyone that shows nobody is recorded without their own yes, and, with real media in the
//! simulated network, that a paused capture receives nothing.

use std::sync::Mutex;

use treff_shared::{Consent, RecordingAction, RecordingEvent, RecordingState};

use super::net::Net;
use super::*;
use crate::recording::capture::{CaptureHandle, CaptureMsg, JobNotifier, Recorder};

/// A recorder that keeps the receiving end of every capture, for the test to read.
#[derive(Default)]
pub(super) struct TestRecorder {
    captures: Mutex<Vec<mpsc::Receiver<CaptureMsg>>>,
}

impl Recorder for TestRecorder {
    fn start(
        &self,
        _room: &RoomId,
        _notify: JobNotifier,
    ) -> std::io::Result<(String, CaptureHandle)> {
        let (handle, rx) = CaptureHandle::channel();
        let mut captures = self.captures.lock().expect("not poisoned");
        captures.push(rx);
        Ok((format!("rec{}", captures.len()), handle))
    }
}

impl TestRecorder {
    /// Everything the latest capture received so far.
    pub(super) fn received(&self) -> Vec<CaptureMsg> {
        let mut captures = self.captures.lock().expect("not poisoned");
        let rx = captures.last_mut().expect("a capture was started");
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }
}

/// The marks of a capture's messages: `R` resume, `P` pause, `S` stop.
fn marks(msgs: &[CaptureMsg]) -> String {
    msgs.iter()
        .filter_map(|m| match m {
            CaptureMsg::Resume { .. } => Some('R'),
            CaptureMsg::Pause { .. } => Some('P'),
            CaptureMsg::Stop { .. } => Some('S'),
            _ => None,
        })
        .collect()
}

/// The latest recording state a participant was told.
fn latest_state(msgs: &[ServerMsg]) -> Option<Option<RecordingState>> {
    msgs.iter().rev().find_map(|m| match m {
        ServerMsg::Recording { recording, .. } => Some(recording.clone()),
        ServerMsg::Joined { recording, .. } => Some(recording.clone()),
        _ => None,
    })
}

/// A room with a recorder, a moderator (by link) and `others`, all joined at `now`.
pub(super) async fn recorded_room(
    now: Instant,
    others: &[&str],
) -> (
    Room,
    Arc<TestRecorder>,
    Vec<(ParticipantId, mpsc::Receiver<Outgoing>)>,
) {
    let recorder = Arc::new(TestRecorder::default());
    let (mut room, _d) = room_with(20, Some(recorder.clone())).await;
    let key = test_keys().moderator_key(&room.id);
    let mut people = Vec::new();
    let (m, m_rx) = join_with(&mut room, now, "Mo", |r| r.moderator_key = Some(key));
    people.push((m.expect("joins"), m_rx));
    for name in others {
        let (id, rx) = join_at(&mut room, now, name);
        people.push((id.expect("joins"), rx));
    }
    (room, recorder, people)
}

pub(super) fn record(room: &mut Room, now: Instant, from: ParticipantId, action: RecordingAction) {
    say_at(room, now, from, ClientMsg::Recording { action });
}

pub(super) fn answer(room: &mut Room, now: Instant, from: ParticipantId, consent: Consent) {
    say_at(room, now, from, ClientMsg::Consent { consent });
}

#[tokio::test]
async fn capture_runs_only_while_everyone_present_said_yes() {
    let t0 = Instant::now();
    let (mut room, recorder, mut people) = recorded_room(t0, &["Anna", "Ben"]).await;
    let [mo, anna, ben] = [people[0].0, people[1].0, people[2].0];
    let at = |s: u64| t0 + Duration::from_secs(s);
    let capturing = |room: &Room| room.recording_state().is_some_and(|s| s.capturing);

    enum Step<'a> {
        Propose(ParticipantId),
        Answer(ParticipantId, Consent),
        Join(&'a str),
        Leave(ParticipantId),
    }
    use Consent::{No, Yes};
    use Step::*;
    let mut cleo = None;
    #[rustfmt::skip]
    let table: Vec<(Step, bool, &str)> = vec![
        (Propose(mo),        false, "proposed: nobody has answered"),
        (Answer(anna, Yes),  false, "one yes is not everyone"),
        (Answer(ben, Yes),   false, "the moderator's own yes is needed too"),
        (Answer(mo, Yes),    true,  "everyone present said yes"),
        (Join("Cleo"),       false, "a newcomer without an answer pauses it"),
        (Answer(mo, Yes),    false, "nobody can answer for the newcomer"),
        (Leave(ParticipantId(999)), false, "nobody's leaving that is not here changes anything"),
        (Answer(ben, No),    false, "a withdrawal pauses (Cleo has not answered either)"),
        (Answer(ben, Yes),   false, "Cleo still has not answered: no answer counts as no"),
        (Answer(ben, No),    false, "Ben withdraws again"),
        (Leave(ben),         false, "Ben left, but Cleo has not answered"),
        (Answer(anna, No),   false, "Anna says no"),
        (Answer(anna, Yes),  false, "Anna says yes again; Cleo is still the one missing"),
    ];
    for (n, (step, expected, why)) in table.into_iter().enumerate() {
        let now = at(n as u64 + 1);
        match step {
            Propose(by) => record(&mut room, now, by, RecordingAction::Propose),
            Answer(who, consent) => answer(&mut room, now, who, consent),
            Join(name) => {
                let (id, rx) = join_at(&mut room, now, name);
                cleo = Some(id.expect("joins"));
                people.push((cleo.expect("set"), rx));
            }
            Leave(who) => say_at(&mut room, now, who, ClientMsg::Leave),
        }
        assert_eq!(capturing(&room), expected, "step {n}: {why}");
    }
    // Cleo, the only one missing, says yes: it runs; then the only objector leaves.
    let cleo = cleo.expect("Cleo joined");
    answer(&mut room, at(20), cleo, Yes);
    assert!(capturing(&room), "everyone present said yes");
    answer(&mut room, at(21), cleo, No);
    assert!(!capturing(&room));
    say_at(&mut room, at(22), cleo, ClientMsg::Leave);
    assert!(
        capturing(&room),
        "the leaving of the only objector resumes it"
    );

    // The capture heard exactly the transitions: run, pause (Cleo came), run, pause, run.
    assert_eq!(marks(&recorder.received()), "RPRPR");
    // Everyone present sees who said what.
    let (_, mo_rx) = &mut people[0];
    let state = latest_state(&drain(mo_rx))
        .flatten()
        .expect("a recording exists");
    assert!(state.capturing);
    let answered: Vec<_> = state.answers.iter().map(|a| (a.id, a.consent)).collect();
    assert_eq!(answered, vec![(mo, Yes), (anna, Yes)]);

    record(&mut room, at(30), mo, RecordingAction::Stop);
    assert!(room.recording_state().is_none());
    // The stop mark is sent on a task of its own (it must not be lost to a full queue).
    tokio::task::yield_now().await;
    assert_eq!(marks(&recorder.received()), "S");
}

#[tokio::test]
async fn a_newcomer_is_asked_in_joined_and_only_moderators_propose_or_stop() {
    let t0 = Instant::now();
    let (mut room, _recorder, mut people) = recorded_room(t0, &["Anna"]).await;
    let (mo, anna) = (people[0].0, people[1].0);
    record(&mut room, t0, anna, RecordingAction::Propose);
    assert_eq!(
        errors(&drain(&mut people[1].1)),
        vec![ErrorCode::NotModerator]
    );
    assert!(room.recording_state().is_none());
    answer(&mut room, t0, anna, Consent::Yes);
    assert_eq!(
        errors(&drain(&mut people[1].1)),
        vec![ErrorCode::NoRecording]
    );

    record(&mut room, t0, mo, RecordingAction::Propose);
    record(&mut room, t0, mo, RecordingAction::Propose);
    assert_eq!(
        errors(&drain(&mut people[0].1)),
        vec![ErrorCode::RecordingExists]
    );
    let (ben, mut ben_rx) = join_at(&mut room, t0, "Ben");
    let to_ben = drain(&mut ben_rx);
    let state = match &to_ben[0] {
        ServerMsg::Joined { recording, .. } => recording.clone(),
        other => panic!("Joined first, got {other:?}"),
    };
    assert!(
        state.is_some_and(|s| !s.capturing),
        "Ben learns of the recording at once"
    );
    let told_anna = drain(&mut people[1].1);
    assert!(told_anna.iter().any(|m| matches!(
        m,
        ServerMsg::Recording { event: RecordingEvent::Arrived { id }, .. } if Ok(*id) == ben
    )));
    record(&mut room, t0, anna, RecordingAction::Stop);
    assert!(room.recording_state().is_some(), "Anna is no moderator");
}

#[tokio::test]
async fn ending_the_meeting_for_all_stops_the_recording_and_tells_everyone() {
    let t0 = Instant::now();
    let (mut room, recorder, mut people) = recorded_room(t0, &["Anna"]).await;
    let (mo, anna) = (people[0].0, people[1].0);
    record(&mut room, t0, mo, RecordingAction::Propose);
    answer(&mut room, t0, mo, Consent::Yes);
    answer(&mut room, t0, anna, Consent::Yes);
    assert!(room.recording_state().is_some_and(|s| s.capturing));
    say_at(
        &mut room,
        t0,
        mo,
        ClientMsg::Moderate {
            action: ModeratorAction::EndForAll,
        },
    );
    assert!(room.is_over(t0));
    room.end(t0);
    tokio::task::yield_now().await;
    assert_eq!(marks(&recorder.received()), "RS", "captured, then stopped");
    let to_anna = drain(&mut people[1].1);
    assert!(
        to_anna.iter().any(|m| matches!(
            m,
            ServerMsg::Recording {
                recording: None,
                event: RecordingEvent::Stopped { by: None },
            }
        )),
        "Anna is told the recording stopped with the meeting"
    );
}

#[tokio::test]
async fn no_action_of_anyone_records_someone_without_their_own_yes() {
    // Zoe never says yes. Everyone else tries everything they can; after every action, capture
    // does not run while Zoe is present, and Zoe's answer is never a yes.
    let t0 = Instant::now();
    let (mut room, _recorder, people) = recorded_room(t0, &["Anna", "Zoe"]).await;
    let (mo, anna, zoe) = (people[0].0, people[1].0, people[2].0);
    record(&mut room, t0, mo, RecordingAction::Propose);
    let moderator_actions = |target: ParticipantId| -> Vec<ClientMsg> {
        let mut actions: Vec<ClientMsg> = [
            ModeratorAction::MakeModerator { id: target },
            ModeratorAction::Mute { id: target },
            ModeratorAction::MuteAll,
            ModeratorAction::StopVideo { id: target },
            ModeratorAction::AskToUnmute { id: target },
            ModeratorAction::SetLock { locked: true },
            ModeratorAction::SetLock { locked: false },
            ModeratorAction::SetLobby { enabled: true },
            ModeratorAction::SetLobby { enabled: false },
            ModeratorAction::SetPassword { password: None },
        ]
        .into_iter()
        .map(|action| ClientMsg::Moderate { action })
        .collect();
        actions.extend([
            ClientMsg::Recording {
                action: RecordingAction::Stop,
            },
            ClientMsg::Recording {
                action: RecordingAction::Propose,
            },
            ClientMsg::Consent {
                consent: Consent::Yes,
            },
            ClientMsg::SetMedia {
                mic: true,
                cam: true,
                screen: true,
            },
            ClientMsg::RaiseHand { raised: true },
            chat("please record Zoe", None),
            chat("Zoe, say yes", Some(target)),
        ]);
        actions
    };
    let mut tried = 0;
    for actor in [mo, anna] {
        for msg in moderator_actions(zoe) {
            let now = t0 + Duration::from_millis(tried);
            say_at(&mut room, now, actor, msg);
            tried += 1;
            let state = room.recording_state();
            if let Some(state) = &state {
                assert!(
                    !state.capturing,
                    "action {tried} of {actor}: capture runs while Zoe is present"
                );
                assert!(
                    !state
                        .answers
                        .iter()
                        .any(|a| a.id == zoe && a.consent == Consent::Yes),
                    "action {tried} of {actor}: Zoe's answer became yes"
                );
            }
            // Keep a recording in place for the next action.
            if state.is_none() {
                record(&mut room, now, mo, RecordingAction::Propose);
            }
        }
    }
    assert!(tried >= 30, "{tried} actions tried");
    // Anna makes herself and the moderator yes: still nothing without Zoe.
    answer(&mut room, t0, anna, Consent::Yes);
    answer(&mut room, t0, mo, Consent::Yes);
    assert!(room.recording_state().is_some_and(|s| !s.capturing));
    // Only Zoe's own yes starts it.
    answer(&mut room, t0, zoe, Consent::Yes);
    assert!(room.recording_state().is_some_and(|s| s.capturing));
}

/// The moderator `mo` proposes a recording in `net`.
fn propose_in(net: &mut Net, mo: usize) {
    net.say(
        mo,
        ClientMsg::Recording {
            action: RecordingAction::Propose,
        },
    );
}

/// Client `who` of `net` answers.
fn answer_in(net: &mut Net, who: usize, consent: Consent) {
    net.say(who, ClientMsg::Consent { consent });
}

#[tokio::test]
async fn a_paused_capture_receives_no_media_and_no_chat() {
    let recorder = Arc::new(TestRecorder::default());
    let mut net = Net::with_recorder(10, Some(recorder.clone())).await;
    let mo = net.join_moderator("Mo", true, true);
    let anna = net.join("Anna", true, true);
    net.connect_all();
    let second = Duration::from_secs(1);
    let count = |msgs: &[CaptureMsg]| {
        let rtp = msgs
            .iter()
            .filter(|m| matches!(m, CaptureMsg::Rtp(_)))
            .count();
        let chat = msgs
            .iter()
            .filter(|m| matches!(m, CaptureMsg::Chat { .. }))
            .count();
        (rtp, chat)
    };

    propose_in(&mut net, mo);
    answer_in(&mut net, anna, Consent::Yes);
    net.publish(anna, second, true);
    net.say(anna, chat("before everyone said yes", None));
    let before = recorder.received();
    assert_eq!(
        count(&before),
        (0, 0),
        "nothing before the moderator's yes too"
    );

    answer_in(&mut net, mo, Consent::Yes);
    net.publish(anna, second, true);
    net.say(anna, chat("while it runs", None));
    let to_mo = net.clients[mo].id;
    net.say(anna, chat("a private word", Some(to_mo)));
    let running = recorder.received();
    let (rtp, chat_lines) = count(&running);
    assert!(
        rtp >= 50,
        "Anna's audio and video reach the capture: {rtp} packets"
    );
    assert_eq!(
        chat_lines, 1,
        "the public message only, never the private one"
    );
    assert!(marks(&running).starts_with('R'));
    // Her camera's keyframe was asked for when capture started: video arrived.
    assert!(running.iter().any(|m| matches!(
        m,
        CaptureMsg::Rtp(p) if p.kind == TrackKind::Video
    )));

    answer_in(&mut net, anna, Consent::No);
    net.publish(anna, second, true);
    net.say(mo, chat("after Anna withdrew", None));
    let paused = recorder.received();
    assert_eq!(marks(&paused), "P");
    assert_eq!(count(&paused), (0, 0), "a paused capture receives nothing");
}

#[tokio::test]
async fn a_packet_that_arrived_before_the_last_yes_is_not_captured_though_handled_after_it() {
    let recorder = Arc::new(TestRecorder::default());
    let mut net = Net::with_recorder(10, Some(recorder.clone())).await;
    let mo = net.join_moderator("Mo", true, false);
    let anna = net.join("Anna", true, false);
    net.connect_all();
    propose_in(&mut net, mo);
    answer_in(&mut net, anna, Consent::Yes);
    net.publish(anna, Duration::from_secs(1), false);
    assert!(recorder.received().is_empty(), "nothing before Mo's yes");

    // Anna's packet reaches the server's socket; Mo's yes reaches the room a millisecond later,
    // before the socket's batch with her packet does.
    let early = net.audio_datagrams(anna);
    assert!(!early.is_empty(), "Anna's frame went out");
    net.now += Duration::from_millis(1);
    answer_in(&mut net, mo, Consent::Yes);
    net.room.datagrams(early);
    let at_resume = recorder.received();
    assert_eq!(marks(&at_resume), "R");
    assert!(
        !at_resume.iter().any(|m| matches!(m, CaptureMsg::Rtp(_))),
        "the packet of the paused span is not captured"
    );

    net.publish(anna, Duration::from_secs(1), false);
    let rtp = recorder
        .received()
        .iter()
        .filter(|m| matches!(m, CaptureMsg::Rtp(_)))
        .count();
    assert!(rtp >= 40, "what she sends after the yes is: {rtp} packets");
}
