//! Shutting the server down while meetings run: every conference ends the normal way (its receipt,
//! counting its purged files, reaches its participants), every participant is told the server is
//! restarting (close code 1001), no attachment file is left, and it all takes less than 5 s.

mod support;

use std::time::{Duration, Instant};

use support::{Api, WsClient, new_room};
use treff_shared::{ServerMsg, close_code};

#[tokio::test]
async fn a_shutdown_ends_every_conference_tells_everyone_and_leaves_no_file() {
    let config = treff::Config::ephemeral();
    let dirs = [
        config.attachment_dir.clone(),
        config.state_dir.clone(),
        config.recordings_dir.clone().expect("a recordings dir"),
    ];
    // Not the tests' wrapper: its clean-up would remove the attachment directory we look into.
    let server = treff::Server::start(config).await.expect("starts");
    let mut anna = WsClient::connect_hello(&server).await;
    let joined = anna.join_full(&new_room(), "Anna", false, false).await;
    let mut ben = WsClient::connect_hello(&server).await;
    ben.join_full(&new_room(), "Ben", false, false).await;
    let upload = Api::new(&server)
        .upload(Some(&joined.token), "minutes.txt", b"the minutes".to_vec())
        .await;
    assert!(upload.status().is_success(), "{}", upload.status());
    let files = |dir: &std::path::Path| walk(dir).into_iter().filter(|p| p.is_file()).count();
    assert_eq!(files(&dirs[0]), 1, "the attachment is on disk");

    // The clients read while the server shuts down, as browsers do: the server waits for their
    // sockets to close (up to a deadline), so a client that never answers would cost it time.
    let started = Instant::now();
    let shutdown = tokio::spawn(server.shutdown());
    for (mut who, files_purged) in [(anna, 1), (ben, 0)] {
        let receipt = who
            .recv_until("the deletion receipt", |m| match m {
                ServerMsg::Ended {
                    receipt,
                    restarting: true,
                } => Some(receipt.clone()),
                _ => None,
            })
            .await;
        assert_eq!(receipt.files, files_purged);
        who.expect_close_code(close_code::GOING_AWAY, "the server is restarting")
            .await;
        // Gone, as a browser's socket is once it has the close frame.
        drop(who);
    }
    shutdown.await.expect("shut down");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "the shutdown took {took:?}");
    assert_eq!(files(&dirs[0]), 0, "no attachment file is left");
    assert!(!dirs[1].join(treff::admin::SOCKET).exists());
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Every path below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}
