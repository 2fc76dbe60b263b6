//! Attachments over HTTP against the real server: upload and download by participants, refusal for
//! anyone else, 413 before an oversized body is read, and after the end: 404, no file left, and what
//! was on disk was never the plaintext.

mod support;

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use support::{Api, STEP, WsClient, new_room, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use treff_shared::attachment::{FILE_NAME_HEADER, UPLOAD_PATH};
use treff_shared::{ApiError, Attachment, ClientMsg, ErrorCode, HttpToken, ServerMsg};

/// Bytes that cannot be mistaken for anything else, in or out of a file.
fn content(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn code_of(r: reqwest::Response) -> (StatusCode, ErrorCode) {
    let status = r.status();
    let body: ApiError = r.json().await.expect("an ApiError body");
    (status, body.code)
}

/// Every file under the attachment directory, with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("readable");
                found.push((path, bytes));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_upload_and_download_and_nobody_else_can() {
    let config = treff::Config::ephemeral();
    let dir = config.attachment_dir.clone();
    let server = start(config).await;
    let api = Api::new(&server);
    let room = new_room();
    let mut anna = WsClient::connect_hello(&server).await;
    let a = anna.join_full(&room, "Anna", false, false).await;
    let mut ben = WsClient::connect_hello(&server).await;
    let b = ben.join_full(&room, "Ben", false, false).await;
    let mut other = WsClient::connect_hello(&server).await;
    let o = other.join_full(&new_room(), "Olga", false, false).await;

    let data = content(300 * 1024 + 17);
    let response = api
        .upload(Some(&a.token), "Protokoll%20%C3%84.pdf", data.clone())
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let file: Attachment = response.json().await.expect("the attachment");
    assert_eq!(
        (file.name.as_str(), file.size),
        ("Protokoll Ä.pdf", data.len() as u64)
    );

    // On disk, while the conference runs: one file, encrypted.
    let stored = files_under(&dir);
    assert_eq!(stored.len(), 1, "one file on disk");
    assert!(stored[0].0.ends_with(file.id.as_str()));
    assert!(
        !stored[0].1.windows(32).any(|w| w == &data[1000..1032]),
        "the plaintext is not on disk"
    );

    // Not sent yet: only Anna may read it.
    assert_eq!(
        code_of(api.download(Some(&b.token), &file).await).await.0,
        StatusCode::NOT_FOUND
    );
    anna.send(&ClientMsg::Chat {
        text: "das Protokoll".into(),
        to: None,
        attachment: Some(file.id.clone()),
    })
    .await;
    let got = ben
        .recv_until("the message with the file", |m| match m {
            ServerMsg::Chat { message } => message.attachment.clone(),
            _ => None,
        })
        .await;
    assert_eq!(got, file);

    let response = api.download(Some(&b.token), &file).await;
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "sandbox");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"Protokoll _.pdf\"; filename*=UTF-8''Protokoll%20%C3%84.pdf"
    );
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        data.as_slice()
    );

    // Without a token, with a made-up one, with another conference's token.
    assert_eq!(
        code_of(api.download(None, &file).await).await,
        (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized)
    );
    let room_part = a.token.0.split_once('.').expect("room.secret").0;
    let forged = HttpToken(format!("{room_part}.not-a-secret"));
    assert_eq!(
        code_of(api.download(Some(&forged), &file).await).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        code_of(api.download(Some(&o.token), &file).await).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        code_of(api.upload(None, "x", b"x".to_vec()).await).await,
        (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized)
    );
    drop(other);

    // The end: Ben leaves, Anna leaves last; the conference is deleted. Anna waits
    // for Ben's leave: the two sockets are read concurrently, so without the wait
    // her Leave may be handled first and she is not the last one.
    ben.send(&ClientMsg::Leave).await;
    anna.recv_until("ParticipantLeft(Ben)", |m| match m {
        ServerMsg::ParticipantLeft { id } if *id == b.id => Some(()),
        _ => None,
    })
    .await;
    anna.send(&ClientMsg::Leave).await;
    let receipt = anna
        .recv_until("the deletion receipt", |m| match m {
            ServerMsg::Ended { receipt, .. } => Some(receipt.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        (receipt.files, receipt.bytes, receipt.messages),
        (1, data.len() as u64, 1)
    );
    assert_eq!(
        code_of(api.download(Some(&a.token), &file).await).await.0,
        StatusCode::NOT_FOUND,
        "after the end"
    );
    assert_eq!(files_under(&dir), [], "no file of the conference left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_upload_is_refused_before_its_body_is_read() {
    let server = start(treff::Config::ephemeral()).await;
    let limit = treff_shared::Limits::default().attachment_max_bytes;
    let room = new_room();
    let mut anna = WsClient::connect_hello(&server).await;
    let a = anna.join_full(&room, "Anna", false, false).await;

    // Raw HTTP, so the test controls how much of the body is sent: the headers promise one byte
    // over the limit, and only 64 KiB follow. The answer must come anyway.
    let mut tcp = tokio::net::TcpStream::connect(server.http_addr)
        .await
        .expect("connects");
    let head = format!(
        "POST {UPLOAD_PATH} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Length: {}\r\n{FILE_NAME_HEADER}: big.bin\r\n\r\n",
        server.http_addr,
        a.token.0,
        limit + 1
    );
    tcp.write_all(head.as_bytes()).await.expect("sent");
    tcp.write_all(&vec![0u8; 64 * 1024]).await.expect("sent");
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(STEP, tcp.read(&mut answer))
        .await
        .expect("answered while most of the body is still unsent")
        .expect("readable");
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("file_too_large"), "{answer}");

    // Without Content-Length (a streamed body): 411, nothing stored.
    let api = Api::new(&server);
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(vec![1u8; 10])]);
    let response = api
        .http
        .post(format!("{}{UPLOAD_PATH}", api.base))
        .bearer_auth(&a.token.0)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::LENGTH_REQUIRED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_left_by_a_crash_are_removed_at_start_up() {
    let config = treff::Config::ephemeral();
    let dir = config.attachment_dir.clone();
    let leftover = dir.join("conf-AAAAAAAAAAAAAAAAAAAAAA");
    std::fs::create_dir_all(&leftover).expect("made");
    std::fs::write(
        leftover.join("BBBBBBBBBBBBBBBBBBBBBB"),
        b"ciphertext of a crashed run",
    )
    .expect("written");
    let unrelated = dir.join("README");
    std::fs::write(&unrelated, b"not ours").expect("written");
    let server = start(config).await;
    assert!(
        !leftover.exists(),
        "the crashed run's conference directory is gone"
    );
    assert!(unrelated.exists(), "nothing else is touched");
    server.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}
