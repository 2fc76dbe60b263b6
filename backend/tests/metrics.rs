//! The operator's listener: `/metrics` counts a meeting while it runs and after it ends without
//! naming anyone, `/readyz` fails when the state directory cannot be written, the listener is not
//! on the public port, and the shipped Grafana dashboard asks only for series the server gives.

mod support;

use reqwest::StatusCode;
use support::{Publish, WebrtcParticipant};
use treff_shared::{ClientMsg, ErrorCode, Limits, TrackKind};

/// GETs `path` from the server's operator listener.
async fn monitor(server: &treff::Server, path: &str) -> reqwest::Response {
    let addr = server.metrics_addr.expect("the listener is on in tests");
    reqwest::get(format!("http://{addr}{path}"))
        .await
        .expect("the operator listener answers")
}

async fn scrape(server: &treff::Server) -> String {
    let response = monitor(server, "/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()["content-type"].to_str().expect("ascii");
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    response.text().await.expect("a body")
}

/// The value of one series (`name{labels}` exactly as printed), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Polls the scrape until `series` has `expected` (gauges follow the rooms' tasks a moment later).
async fn until(server: &treff::Server, series: &str, expected: f64) -> String {
    until_sum(server, &[series], expected).await
}

/// Polls the scrape until the values of `series` add up to `expected`.
async fn until_sum(server: &treff::Server, series: &[&str], expected: f64) -> String {
    let sum = |text: &str| -> f64 { series.iter().filter_map(|s| value(text, s)).sum() };
    for _ in 0..100 {
        let text = scrape(server).await;
        if sum(&text) == expected {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let text = scrape(server).await;
    panic!("{series:?} never added up to {expected}:\n{text}");
}

/// A peer whose media flows: ICE connected, or (ICE-lite, once the client nominated) completed.
const MEDIA_FLOWS: [&str; 2] = [
    "treff_peers{state=\"connected\"}",
    "treff_peers{state=\"completed\"}",
];

#[tokio::test]
async fn health_and_readiness_and_readyz_fails_when_the_state_dir_cannot_be_written() {
    let config = treff::Config::ephemeral();
    let state_dir = config.state_dir.clone();
    let server = support::start(config).await;
    let health = monitor(&server, "/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    let ready = monitor(&server, "/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body = ready.text().await.expect("a body");
    for check in [
        "ok media socket read",
        "ok not shutting down",
        "ok state directory writable",
        "ok attachment directory writable",
        "ok recordings directory writable",
        "ok ffmpeg found",
    ] {
        assert!(body.contains(check), "{check} in:\n{body}");
    }

    // The state directory goes (a wiped /var/lib/treff, a full or read-only disk all look alike to
    // the probe, which writes a file): not ready, and the answer says what.
    std::fs::remove_dir_all(&state_dir).expect("remove the state directory");
    let ready = monitor(&server, "/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = ready.text().await.expect("a body");
    assert!(body.contains("FAILED state directory writable"), "{body}");
    assert!(body.contains("ok media socket read"), "{body}");
    assert!(
        !body.contains(state_dir.to_str().expect("utf-8")),
        "fixed words, no paths: {body}"
    );
    // Alive all the same.
    assert_eq!(monitor(&server, "/healthz").await.status(), StatusCode::OK);
    std::fs::create_dir_all(&state_dir).expect("state directory back");
    assert_eq!(monitor(&server, "/readyz").await.status(), StatusCode::OK);

    // Not on the public port: there, these paths are 404 (not the app's page, which a probe pointed
    // at the wrong port would take for "healthy").
    for path in ["/metrics", "/healthz", "/readyz"] {
        let public = reqwest::get(format!("http://{}{path}", server.http_addr))
            .await
            .expect("answers");
        assert_eq!(public.status(), StatusCode::NOT_FOUND, "{path}");
        let body = public.text().await.expect("a body");
        assert!(body.contains("operator listener"), "{path}: {body}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_taken_metrics_port_stops_the_start_with_a_reason() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let mut config = treff::Config::ephemeral();
    config.metrics = Some(taken.local_addr().expect("bound"));
    let dirs = [config.attachment_dir.clone(), config.state_dir.clone()];
    let error = match treff::Server::start(config).await {
        Ok(_) => panic!("a server on a taken metrics port"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("the metrics listener cannot bind"),
        "{error}"
    );
    assert!(error.contains("metrics = \"off\""), "{error}");
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn a_switched_off_listener_is_not_bound() {
    let mut config = treff::Config::ephemeral();
    config.metrics = None;
    let server = support::start(config).await;
    assert_eq!(server.metrics_addr, None);
    server.shutdown().await;
}

#[tokio::test]
async fn a_meeting_is_counted_while_it_runs_and_after_it_ends_without_naming_anyone() {
    let mut config = treff::Config::ephemeral();
    config.limits = Limits {
        room_max_participants: 2,
        empty_room_grace_ms: 0,
        resume_window_ms: 0,
        ..Limits::default()
    };
    let server = support::start(config).await;
    let before = scrape(&server).await;
    assert_eq!(value(&before, "treff_conferences"), Some(0.0));
    assert!(
        value(&before, "process_cpu_seconds_total").is_some(),
        "{before}"
    );
    assert!(value(&before, "process_resident_memory_bytes").is_some_and(|b| b > 1e6));

    let room = support::new_room();
    let mut ingrid = support::WsClient::connect_hello(&server).await;
    let joined = ingrid
        .join_full(&room, "Ingrid Vertraulich", true, true)
        .await;
    let mut jakob = support::WsClient::connect_hello(&server).await;
    jakob.join(&room, "Jakob Geheim", false, false).await;
    // The room is full: the third is refused, and that is counted by its reason.
    let mut karla = support::WsClient::connect_hello(&server).await;
    karla
        .send(&ClientMsg::Join {
            room: room.clone(),
            name: "Karla Privat".into(),
            mic: false,
            cam: false,
            moderator_key: None,
            password: None,
        })
        .await;
    karla
        .recv_until("Error(RoomFull)", |m| match m {
            treff_shared::ServerMsg::Error { code, .. } => Some(*code == ErrorCode::RoomFull),
            _ => None,
        })
        .await;
    let secret_file = "Gehaltsliste-Vertraulich.pdf";
    let upload = support::Api::new(&server)
        .upload(Some(&joined.token), secret_file, vec![7; 12_345])
        .await;
    assert_eq!(upload.status(), StatusCode::CREATED);

    let during = until(&server, "treff_participants", 2.0).await;
    assert_eq!(value(&during, "treff_conferences"), Some(1.0));
    let peers: f64 = during
        .lines()
        .filter(|l| l.starts_with("treff_peers{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(peers, 2.0, "{during}");
    assert_eq!(
        value(&during, "treff_refusals_total{reason=\"room_full\"}"),
        Some(1.0)
    );
    assert_eq!(value(&during, "treff_uploads_total"), Some(1.0));
    assert_eq!(value(&during, "treff_upload_bytes_total"), Some(12_345.0));
    assert!(during.contains("treff_build_info{version="), "{during}");
    // CPU time is sampled at the clock tick (10 ms): a test this short may still read 0 (the
    // browser test, seconds of video later, reads more).
    assert!(
        value(&during, "process_cpu_seconds_total").is_some(),
        "{during}"
    );
    for personal in [
        "Ingrid",
        "Jakob",
        "Karla",
        secret_file,
        room.as_str(),
        joined.token.0.as_str(),
        "127.0.0.1",
    ] {
        assert!(!during.contains(personal), "{personal:?} in:\n{during}");
    }

    ingrid.send(&ClientMsg::Leave).await;
    jakob.send(&ClientMsg::Leave).await;
    let after = until(&server, "treff_conferences", 0.0).await;
    let after = if value(&after, "treff_participants") == Some(0.0) {
        after
    } else {
        until(&server, "treff_participants", 0.0).await
    };
    for line in after.lines().filter(|l| l.starts_with("treff_peers{")) {
        assert!(line.ends_with(" 0"), "no peer is left: {line}");
    }
    // Counters keep what happened.
    assert_eq!(value(&after, "treff_uploads_total"), Some(1.0));
    assert_eq!(
        value(&after, "treff_refusals_total{reason=\"room_full\"}"),
        Some(1.0)
    );
    drop(karla);
    server.shutdown().await;
}

#[tokio::test]
async fn media_is_counted_by_peer_state_and_forwarded_packets() {
    let server = support::start_default().await;
    let room = support::new_room();
    let anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::BOTH).await;
    let ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::BOTH).await;
    ben.wait_until(support::MEDIA, "Ben receives Anna's video", |b| {
        b.packets_from(anna.id, TrackKind::Video) > 30
    })
    .await;
    let text = until_sum(&server, &MEDIA_FLOWS, 2.0).await;
    let received =
        ben.packets_from(anna.id, TrackKind::Video) + ben.packets_from(anna.id, TrackKind::Audio);
    let forwarded = value(&text, "treff_forwarded_packets_total").expect("forwarded");
    // Both ways, and at least what Ben has counted so far from Anna.
    assert!(
        forwarded >= received as f64,
        "{forwarded} < {received}:\n{text}"
    );
    // Every forwarded packet has a payload (3-byte Opus frames at the least).
    assert!(
        value(&text, "treff_forwarded_payload_bytes_total").is_some_and(|b| b >= forwarded * 3.0)
    );
    anna.leave().await;
    ben.leave().await;
    let after = until(&server, "treff_participants", 0.0).await;
    for line in after.lines().filter(|l| l.starts_with("treff_peers{")) {
        assert!(line.ends_with(" 0"), "no peer is left in any state: {line}");
    }
    assert!(value(&after, "treff_forwarded_packets_total").is_some_and(|n| n >= forwarded));
    server.shutdown().await;
}

/// Every series the dashboard's queries name, as the server prints it (a counter with `_total`).
fn dashboard_series() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packaging/grafana-dashboard.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the dashboard is shipped"))
            .expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut series: Vec<String> = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_owned))
        .flat_map(|expr| {
            expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("treff_") || w.starts_with("process_"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    series.sort();
    series.dedup();
    series
}

#[tokio::test]
async fn the_grafana_dashboard_asks_only_for_series_the_server_gives() {
    let series = dashboard_series();
    assert!(
        series.len() >= 10,
        "the dashboard shows the metrics: {series:?}"
    );
    let server = support::start_default().await;
    let text = scrape(&server).await;
    for name in &series {
        let given = text.lines().any(|l| {
            l.strip_prefix(name.as_str())
                .is_some_and(|rest| rest.starts_with([' ', '{']))
        });
        assert!(
            given,
            "the dashboard asks for {name}, which /metrics lacks:\n{text}"
        );
    }
    server.shutdown().await;
}
