//! Operational logs never hold personal data (DESIGN.md, "Data lifecycle"): no display names, no room
//! ids (they are the secret in the meeting link), no client addresses, no SDP, no ICE credentials, no
//! chat text, no file names or contents, no tokens.
//!
//! This binary captures every log record of the process, at TRACE for the server and DEBUG for the
//! libraries it uses (str0m included), runs a realistic session with real WebRTC peers (a recording
//! with its output job and download included), and searches the capture for everything personal the
//! session handled. Only the test client's own WebRTC stack
//! (webrtc-rs and its crates) is left out: its logs describe the client, not the server.

mod recording_support;
mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{
    Clip, JoinOptions, MEDIA, Publish, STEP, WebrtcParticipant, WsClient, new_meeting, poll_until,
    recording_file, start_default,
};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;
use tracing_subscriber::fmt::MakeWriter;
use treff_shared::attachment::{FILE_NAME_HEADER, UPLOAD_PATH, download_path};
use treff_shared::{
    Attachment, ClientMsg, Consent, RecordingAction, ServerMsg, TrackKind, close_code,
};

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// Installs the process-wide subscriber (and, like the server binary, the `log` bridge).
fn capture_logs() -> Capture {
    let capture = Capture::default();
    // The client's WebRTC stack (webrtc-rs) logs through `log` under these targets (a target
    // directive matches by prefix: `webrtc` covers `webrtc_ice` etc.). The server's stack is str0m,
    // `is` (its ICE), `dimpl` (its DTLS) and `sctp_proto`: none of them is switched off.
    let client_only = [
        "webrtc",
        "interceptor",
        "rtp",
        "rtcp",
        "sdp",
        "stun",
        "turn",
        "dtls",
    ]
    .map(|t| format!(",{t}=off"))
    .concat();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
            "debug,treff=trace{client_only}"
        )))
        .with_writer(capture.clone())
        .with_ansi(false)
        .without_time()
        .try_init()
        .expect("the only subscriber of this test binary");
    capture
}

/// `a=<attr>:<value>` values of an SDP.
fn sdp_values<'a>(sdp: &'a str, attr: &str) -> Vec<&'a str> {
    let prefix = format!("a={attr}:");
    sdp.lines()
        .filter_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .map(str::trim)
        .collect()
}

/// Ports of the host candidates in an SDP (`a=candidate:<f> <c> udp <prio> <ip> <port> typ ...`).
fn candidate_ports(sdp: &str) -> Vec<u16> {
    sdp_values(sdp, "candidate")
        .into_iter()
        .filter_map(|c| c.split_whitespace().nth(5)?.parse().ok())
        .collect()
}

/// Every SDP this participant's peer connection holds: the server's offer and its own answer.
async fn sdps(p: &WebrtcParticipant) -> Vec<String> {
    let mut all = Vec::new();
    for d in [
        p.pc.local_description().await,
        p.pc.remote_description().await,
        p.pc.current_local_description().await,
        p.pc.current_remote_description().await,
    ]
    .into_iter()
    .flatten()
    {
        all.push(d.sdp);
    }
    assert!(all.len() >= 2, "[{}] has an offer and an answer", p.name);
    all
}

/// The ports in `<ip>:<port>` after every occurrence of `ip` in `log`.
fn ports_after(log: &str, ip: &str) -> BTreeSet<u16> {
    let pattern = format!("{ip}:");
    log.match_indices(&pattern)
        .filter_map(|(at, _)| {
            let rest = &log[at + pattern.len()..];
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            rest[..end].parse().ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operational_logs_hold_no_personal_data() {
    const ANNA: &str = "Zyxwvu Privatname";
    const BEN: &str = "Qoppaq Geheimling";
    const MALLORY: &str = "Xaverius Vertraulich";
    const CORDULA: &str = "Cordula Schweigsam";
    const CHAT: &str = "Diagnose Plaudertext öffentlich";
    const PRIVATE: &str = "Flüsterbotschaft nur für Anna";
    const FILE_NAME: &str = "Geheimakte-Quirlig.pdf";
    // What the session log (R7) keeps of Cordula's requests, which must stay out of the logs.
    const AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    const REFERRER: &str = "https://intranet.example/Verborgenheitsseite";
    const FILE_CONTENT: &[u8] = b"Inhalt der Geheimakte, streng vertraulich";
    const RECORDED: &str = "Mitschnittsatz Quasselwort";

    let log = capture_logs();
    let server = start_default().await;
    let recordings_dir = server.recordings_dir().display().to_string();
    let server_ports = [server.http_addr.port(), server.media_addr.port()];
    let meeting = new_meeting(&server).await;
    let room = meeting.room.clone();

    // Two real peers exchange audio and video (real VP8 and Opus: they are recorded below); Anna
    // is the moderator.
    let (video, audio) = recording_support::quiet_media(2_000);
    let clip = Clip::new(video, audio);
    let options = JoinOptions {
        clip: Some(clip),
        ..Publish::BOTH.into()
    };
    let mut anna = WebrtcParticipant::join_with(
        &server,
        &room,
        ANNA,
        JoinOptions {
            moderator_key: Some(meeting.moderator_key.clone()),
            ..options.clone()
        },
    )
    .await;
    let mut ben = WebrtcParticipant::join_with(&server, &room, BEN, options).await;
    for (rx, from) in [(&ben, anna.id), (&anna, ben.id)] {
        for kind in [TrackKind::Audio, TrackKind::Video] {
            rx.wait_until(
                MEDIA,
                &format!("{} to receive {kind:?} from {from}", rx.name),
                |p| p.packets_from(from, kind) > 30,
            )
            .await;
        }
    }

    let a = anna.id;
    anna.send(&ClientMsg::SetMedia {
        mic: false,
        cam: true,
        screen: false,
    })
    .await;
    ben.wait_event("MediaState(Anna)", |m| match m {
        ServerMsg::MediaState { id, .. } if *id == a => Some(()),
        _ => None,
    })
    .await;

    // A third one joins and sends a malformed message that carries its name and the room id.
    let mut mallory = WsClient::connect_hello(&server).await;
    let mallory_port = match mallory.ws.get_ref() {
        MaybeTlsStream::Plain(tcp) => tcp.local_addr().expect("local address").port(),
        _ => unreachable!("plain ws://"),
    };
    let (m, _) = mallory.join(&room, MALLORY, false, false).await;
    mallory
        .send_raw(Message::text(format!(
            r#"{{"type":"Join","room":"{room}","name":"{MALLORY}","mic":tru"#
        )))
        .await;
    mallory
        .expect_close_code(close_code::MALFORMED, "malformed Join")
        .await;
    ben.wait_event("ParticipantLeft(Mallory)", |msg| match msg {
        ServerMsg::ParticipantLeft { id } if *id == m => Some(()),
        _ => None,
    })
    .await;

    // Chat to everyone and privately, and an attachment uploaded, sent and downloaded.
    let mut cordula = WsClient::connect_hello(&server).await;
    let c = cordula.join_full(&room, CORDULA, false, false).await;
    for (text, to) in [(CHAT, None), (PRIVATE, Some(a))] {
        cordula
            .send(&ClientMsg::Chat {
                text: text.into(),
                to,
                attachment: None,
            })
            .await;
    }
    let mut browser = reqwest::header::HeaderMap::new();
    browser.insert("user-agent", AGENT.parse().expect("a header"));
    browser.insert("referer", REFERRER.parse().expect("a header"));
    let http = reqwest::Client::builder()
        .default_headers(browser)
        .build()
        .expect("a client");
    let base = format!("http://{}", server.http_addr);
    let file: Attachment = http
        .post(format!("{base}{UPLOAD_PATH}"))
        .bearer_auth(&c.token.0)
        .header(FILE_NAME_HEADER, FILE_NAME)
        .body(FILE_CONTENT)
        .send()
        .await
        .expect("uploads")
        .json()
        .await
        .expect("an attachment");
    cordula
        .send(&ClientMsg::Chat {
            text: String::new(),
            to: None,
            attachment: Some(file.id.clone()),
        })
        .await;
    let mut messages = 0;
    anna.wait_event("Cordula's three messages", |m| {
        messages += usize::from(matches!(m, ServerMsg::Chat { .. }));
        (messages == 3).then_some(())
    })
    .await;
    let downloaded = http
        .get(format!("{base}{}", download_path(&file.id)))
        .bearer_auth(&c.token.0)
        .send()
        .await
        .expect("downloads")
        .bytes()
        .await
        .expect("a body");
    assert_eq!(downloaded.as_ref(), FILE_CONTENT);
    // "My data" serialises her log entries, messages and name for her, and for nobody's log.
    cordula.send(&ClientMsg::MyData).await;
    let mine = cordula
        .recv_until("MyData", |m| match m {
            ServerMsg::MyData { data } => Some(data.clone()),
            _ => None,
        })
        .await;
    assert_eq!(mine.log.len(), 3, "join, upload, download");
    cordula.send(&ClientMsg::Leave).await;
    anna.wait_event("ParticipantLeft(Cordula)", |msg| match msg {
        ServerMsg::ParticipantLeft { id } if *id == c.id => Some(()),
        _ => None,
    })
    .await;

    // A recording on both yeses, a chat line in it, its output job, and a download of its chat.
    anna.send(&ClientMsg::Recording {
        action: RecordingAction::Propose,
    })
    .await;
    for p in [&mut anna, &mut ben] {
        // Each answers the proposal once it has it: Ben's socket is not Anna's, and a "yes" that
        // overtook the proposal would be refused (there was no recording yet).
        p.wait_event("the proposal", |m| {
            matches!(
                m,
                ServerMsg::Recording {
                    recording: Some(_),
                    ..
                }
            )
            .then_some(())
        })
        .await;
        p.send(&ClientMsg::Consent {
            consent: Consent::Yes,
        })
        .await;
    }
    anna.wait_capturing(true).await;
    ben.send(&ClientMsg::Chat {
        text: RECORDED.into(),
        to: None,
        attachment: None,
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    anna.send(&ClientMsg::Recording {
        action: RecordingAction::Stop,
    })
    .await;
    let recording = anna.wait_recording_done().await.id;
    let key = Some(meeting.moderator_key.as_str());
    let chat_txt = recording_file(&server, &meeting, &recording, "chat.txt", key)
        .await
        .text()
        .await
        .expect("a body");
    assert!(chat_txt.contains(RECORDED), "the recorded chat: {chat_txt}");

    // What the peers exchanged: the secrets of their SDPs and the clients' media ports.
    let mut sdp_texts = sdps(&anna).await;
    sdp_texts.extend(sdps(&ben).await);
    let mut credentials = BTreeSet::new();
    let mut client_ports = BTreeSet::from([mallory_port]);
    for sdp in &sdp_texts {
        credentials.extend(sdp_values(sdp, "ice-ufrag").into_iter().map(String::from));
        credentials.extend(sdp_values(sdp, "ice-pwd").into_iter().map(String::from));
        client_ports.extend(
            candidate_ports(sdp)
                .into_iter()
                .filter(|p| !server_ports.contains(p)),
        );
    }
    assert!(
        credentials.len() >= 4,
        "ufrag and password of both sides of both peers: {credentials:?}"
    );
    assert!(
        client_ports.len() >= 3,
        "the clients' media ports and Mallory's TCP port: {client_ports:?}"
    );

    anna.leave().await;
    ben.leave().await;
    poll_until(
        STEP,
        "the room to end after both left",
        || log.text().contains("conference ended"),
        || log.text(),
    )
    .await;
    server.shutdown().await;

    let text = log.text();
    for expected in [
        "participant joined",
        "closing a websocket for a protocol fault",
        "participant left",
        "conference ended",
        "a recording is ready",
        "str0m",
    ] {
        assert!(
            text.contains(expected),
            "the capture works: it holds {expected:?}; {} bytes captured",
            text.len()
        );
    }

    let room_id = room.as_str();
    let mut forbidden: Vec<(String, String)> = vec![
        ("the room id".into(), room_id.into()),
        ("the start of the room id".into(), room_id[..10].into()),
        ("an SDP line".into(), "a=ice-".into()),
        ("an SDP line".into(), "a=fingerprint".into()),
        ("an SDP line".into(), "a=candidate".into()),
        ("an SDP line".into(), "m=audio".into()),
        ("an SDP line".into(), "m=video".into()),
        ("an ICE candidate".into(), " typ host".into()),
        ("an ICE candidate".into(), " typ srflx".into()),
        ("an ICE candidate".into(), " typ relay".into()),
        ("an IPv6 loopback address".into(), "[::1]:".into()),
    ];
    let token = c.token.0.clone();
    let secret = token.split_once('.').expect("room.secret").1.to_owned();
    forbidden.extend([
        ("a chat message".into(), CHAT.into()),
        ("a private chat message".into(), PRIVATE.into()),
        ("part of a chat message".into(), "Plaudertext".into()),
        ("a file name".into(), FILE_NAME.into()),
        ("a User-Agent".into(), "Firefox/128".into()),
        ("a browser version".into(), "Firefox 128".into()),
        ("a referrer".into(), "Verborgenheitsseite".into()),
        ("part of a file name".into(), "Geheimakte".into()),
        ("a token".into(), token),
        ("a token's secret".into(), secret[..16].to_owned()),
        ("a recorded chat message".into(), RECORDED.into()),
        (
            "part of a recorded chat message".into(),
            "Quasselwort".into(),
        ),
        ("the moderator key".into(), meeting.moderator_key.clone()),
        ("a recording's id".into(), recording.clone()),
        ("the recordings directory".into(), recordings_dir),
        ("a recording's file".into(), ".ivf".into()),
        ("a recording's file".into(), ".ogg".into()),
        ("a recording's file".into(), "recording.mp4".into()),
    ]);
    for name in [ANNA, BEN, MALLORY, CORDULA] {
        forbidden.push((format!("the name {name:?}"), name.into()));
        for word in name.split_whitespace() {
            forbidden.push((format!("part of the name {name:?}"), word.into()));
        }
    }
    for c in &credentials {
        forbidden.push(("an ICE ufrag or password".into(), c.clone()));
    }
    for port in ports_after(&text, "127.0.0.1") {
        if !server_ports.contains(&port) {
            let client = if client_ports.contains(&port) {
                "a client's address"
            } else {
                "an address that is not the server's"
            };
            forbidden.push((client.into(), format!("127.0.0.1:{port}")));
        }
    }

    let mut leaks = Vec::new();
    for (what, needle) in &forbidden {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(needle.as_str()))
            .collect();
        if let Some(first) = lines.first() {
            let shown: String = first.chars().take(400).collect();
            leaks.push(format!(
                "{what} ({needle:?}) in {} line(s), e.g.: {shown}",
                lines.len()
            ));
        }
    }
    if !leaks.is_empty() {
        let dump = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("log_privacy.log");
        let saved = match std::fs::write(&dump, &text) {
            Ok(()) => format!("the whole capture is in {}", dump.display()),
            Err(e) => format!("the capture could not be saved to {}: {e}", dump.display()),
        };
        panic!(
            "operational logs hold personal data ({} bytes captured; {saved}):\n{}",
            text.len(),
            leaks.join("\n")
        );
    }
}
