//! Benchmark: upload and download throughput of one attachment of the maximum size (25 MiB by
//! default) through the real server on loopback: HTTP, encryption at rest and the room's
//! authorisation included. Prints figures; asserts only that the bytes came back unchanged.
//!
//! Run: `cargo run -p treff --example attachment_throughput [-- <MiB> <rounds>]` (also part of
//! `cargo xtask bench`). Dependencies are optimised even in the dev profile (see the workspace
//! `Cargo.toml`), so the cipher runs at full speed; add `--release` to optimise Treff's own code too.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use support::{WsClient, new_room, start};
use treff_shared::attachment::{FILE_NAME_HEADER, UPLOAD_PATH, download_path};
use treff_shared::{Attachment, ClientMsg, Limits};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mib: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(Limits::default().attachment_max_bytes / (1024 * 1024));
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let size = mib * 1024 * 1024;

    let server = start(treff::Config::ephemeral()).await;
    let base = format!("http://{}", server.http_addr);
    let http = reqwest::Client::new();
    let data: Vec<u8> = (0..size)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();

    let mut up = Vec::new();
    let mut down = Vec::new();
    for _ in 0..rounds {
        // A fresh conference per round, so the per-conference limit never interferes.
        let room = new_room();
        let mut anna = WsClient::connect_hello(&server).await;
        let a = anna.join_full(&room, "Anna", false, false).await;
        let started = Instant::now();
        let response = http
            .post(format!("{base}{UPLOAD_PATH}"))
            .bearer_auth(&a.token.0)
            .header(FILE_NAME_HEADER, "bench.bin")
            .body(data.clone())
            .send()
            .await
            .expect("uploads");
        assert_eq!(
            response.status(),
            reqwest::StatusCode::CREATED,
            "upload refused"
        );
        let file: Attachment = response.json().await.expect("attachment");
        up.push(started.elapsed().as_secs_f64());

        let started = Instant::now();
        let body = http
            .get(format!("{base}{}", download_path(&file.id)))
            .bearer_auth(&a.token.0)
            .send()
            .await
            .expect("downloads")
            .bytes()
            .await
            .expect("body");
        down.push(started.elapsed().as_secs_f64());
        assert!(
            body.as_ref() == data.as_slice(),
            "the download differs from the upload"
        );
        anna.send(&ClientMsg::Leave).await;
    }
    let report = |what: &str, secs: &mut Vec<f64>| {
        secs.sort_by(f64::total_cmp);
        let median = secs[secs.len() / 2];
        let mbps = |s: f64| mib as f64 / s;
        println!(
            "{what:<8} {mib} MiB x {rounds}: median {:.0} ms = {:.0} MiB/s (best {:.0} MiB/s, worst {:.0} MiB/s)",
            median * 1000.0,
            mbps(median),
            mbps(secs[0]),
            mbps(secs[secs.len() - 1]),
        );
    };
    report("upload", &mut up);
    report("download", &mut down);
    server.shutdown().await;
}
