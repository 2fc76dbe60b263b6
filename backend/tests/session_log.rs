//! The session log (R7) through the real server: the fields come from the real requests (the
//! WebSocket upgrade, uploads, downloads), a trusted proxy's `X-Forwarded-For` is believed and an
//! untrusted one's is not, "My data" shows a participant their own entries, and the log goes with
//! the conference.

mod support;

use reqwest::header::{HeaderMap, HeaderValue};
use support::{Api, WsClient, new_room, own_origin, start, try_connect_with};
use treff_shared::{Attachment, ClientMsg, LogEvent, MyData, ServerMsg};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const REFERRER: &str = "https://intranet.example/calendar";

/// A browser's headers, sent through a proxy that names `forwarded_for` as the client.
fn browser_headers(forwarded_for: &str) -> [(&'static str, String); 3] {
    [
        ("User-Agent", FIREFOX.to_owned()),
        ("Referer", REFERRER.to_owned()),
        ("X-Forwarded-For", format!("10.9.8.7, {forwarded_for}")),
    ]
}

async fn connect_as_browser(server: &treff::Server, forwarded_for: &str) -> WsClient {
    let origin = own_origin(server.http_addr);
    let extra = browser_headers(forwarded_for);
    let mut headers: Vec<(&'static str, &str)> = vec![("Origin", &origin)];
    headers.extend(extra.iter().map(|(n, v)| (*n, v.as_str())));
    let mut c = try_connect_with(server.http_addr, &headers)
        .await
        .expect("the upgrade succeeds");
    c.hello().await;
    c
}

fn api_as_browser(server: &treff::Server, forwarded_for: &str) -> Api {
    let mut headers = HeaderMap::new();
    for (name, value) in browser_headers(forwarded_for) {
        headers.insert(name, HeaderValue::from_str(&value).expect("a header value"));
    }
    Api::with_headers(server, headers)
}

async fn my_data(c: &mut WsClient) -> MyData {
    c.send(&ClientMsg::MyData).await;
    c.recv_until("MyData", |m| match m {
        ServerMsg::MyData { data } => Some(data.clone()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn joins_and_files_are_logged_with_the_requests_fields_behind_a_trusted_proxy() {
    let mut config = treff::Config::ephemeral();
    config.trusted_proxies = vec!["127.0.0.1".parse().expect("address")];
    let server = start(config).await;
    let room = new_room();
    let mut anna = connect_as_browser(&server, "203.0.113.5").await;
    let joined = anna.join_full(&room, "Anna", false, false).await;

    let api = api_as_browser(&server, "203.0.113.5");
    let upload = api
        .upload(Some(&joined.token), "minutes.txt", b"minutes".to_vec())
        .await;
    assert!(upload.status().is_success(), "{}", upload.status());
    let file: Attachment = upload.json().await.expect("the attachment");
    let download = api.download(Some(&joined.token), &file).await;
    assert!(download.status().is_success());

    let data = my_data(&mut anna).await;
    assert_eq!(data.name, "Anna");
    let events: Vec<_> = data.log.iter().map(|e| e.event).collect();
    assert_eq!(
        events,
        [LogEvent::Join, LogEvent::Upload, LogEvent::Download]
    );
    for entry in &data.log {
        assert_eq!(
            entry.address.as_deref(),
            Some("203.0.113.5"),
            "the last hop the trusted proxy names"
        );
        assert_eq!(entry.browser.as_deref(), Some("Firefox 128.0"));
        assert_eq!(entry.os.as_deref(), Some("Linux"));
        assert_eq!(entry.referrer.as_deref(), Some(REFERRER));
        assert!(entry.at_ms >= data.conference_started_at_ms);
    }
}

#[tokio::test]
async fn an_untrusted_forwarded_for_is_ignored_and_the_log_goes_with_the_conference() {
    let server = start(treff::Config::ephemeral()).await;
    let room = new_room();
    let mut anna = connect_as_browser(&server, "203.0.113.5").await;
    anna.join(&room, "Anna", false, false).await;
    let first = my_data(&mut anna).await;
    assert_eq!(
        first.log[0].address.as_deref(),
        Some("127.0.0.1"),
        "no proxy is trusted: the peer's own address"
    );
    // The last one leaves: the conference ends at once, and its log with it.
    anna.send(&ClientMsg::Leave).await;
    anna.expect_close_code(1000, "a Leave closes normally")
        .await;

    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mut ben = WsClient::connect_hello(&server).await;
    ben.join(&room, "Ben", false, false).await;
    let data = my_data(&mut ben).await;
    assert!(
        data.conference_started_at_ms > first.conference_started_at_ms,
        "a new conference (a new room task, a new log) under the same link"
    );
    assert_eq!(
        data.log.iter().map(|e| e.event).collect::<Vec<_>>(),
        [LogEvent::Join]
    );
    assert_eq!(data.log[0].browser, None, "this client sent no User-Agent");
}
