//! `treff-loadgen`: measures Treff's SFU from outside, and Janus VideoRoom beside it in the same run.
//!
//! It starts the release server as its own process pinned to core 0 and pins itself to core 1,
//! then runs the rows of [`scenario`] with webrtc-rs participants (the independent WebRTC stack):
//! publishers send synthesised Opus and VP8 RTP, receivers decrypt and count packets and complete
//! frames. It prints one table row per scenario and server. Its numbers are figures, not
//! assertions. `cargo xtask bench sfu` builds and runs it.
//!
//! Layout:
//! - `scenario`: the rows and how one is run; `report`: the table.
//! - `treff`: Treff's signalling client; `janus`: the Janus VideoRoom client.
//! - `peer`: the webrtc-rs peer connection both use; `media`: the synthesised RTP and the counters.
//! - `measure`: CPU and memory from `/proc` and `getrusage`; `process`: starting the servers, pinning.

mod janus;
mod measure;
mod media;
mod peer;
mod process;
mod report;
mod scenario;
mod treff;

use anyhow::{Context, Result};
use clap::Parser;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;

/// Room limit of the bench's Treff config: enough for the largest row (1 + 160).
const BENCH_ROOM_LIMIT: usize = 200;

/// Load generator for Treff's SFU, with Janus VideoRoom beside it.
#[derive(Parser, Debug)]
#[command(name = "treff-loadgen", version)]
struct Args {
    /// Measured seconds per row.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Warm-up seconds per row, after media flows and before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// The short subset: 1to10, 1to40, idle-40 (10 s each) and rooms-10x5 (5 s).
    #[arg(long)]
    quick: bool,
    /// Only these rows (comma-separated names, e.g. `1to40,idle-40`).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip Janus.
    #[arg(long)]
    no_janus: bool,
    /// The soak instead of the table: 10 rooms of 4 (everyone publishing) against Treff for this
    /// many minutes, with RSS, CPU, packets, loss and errors printed every minute.
    #[arg(long)]
    soak: Option<u64>,
    /// Print the rows as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// The release Treff server binary.
    #[arg(long, default_value = "target/release/treff")]
    treff_bin: PathBuf,
    /// The Janus binary.
    #[arg(long, default_value = "/usr/bin/janus")]
    janus_bin: PathBuf,
}

/// 16 random-looking bytes: `RandomState` is keyed randomly per process and per call.
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x6c6f_6164);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error,treff_loadgen=warn")),
        )
        .init();
    let args = Args::parse();
    let pinning = process::Pinning::decide();
    // Before the runtime exists, so every thread it starts inherits the core.
    pinning.pin_generator().context("pin the generator")?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if pinning.generator.is_some() {
        // One core: one worker, no threads competing for it.
        runtime.worker_threads(1);
    }
    let runtime = runtime.enable_all().build()?;
    runtime.block_on(run(args, pinning))
}

/// How long the server may take to give memory back after its last room ended.
const FINAL_SETTLE: std::time::Duration = std::time::Duration::from_secs(15);

async fn run(args: Args, pinning: process::Pinning) -> Result<()> {
    if let Some(minutes) = args.soak {
        return soak(&args, pinning, minutes).await;
    }
    let rows = scenario::select(
        scenario::rows(args.quick, args.seconds, args.warmup),
        &args.only,
    )?;
    let dir = process::TempDir::new("treff-loadgen")?;
    eprintln!(
        "treff-loadgen: {} rows, server on core {:?}, generator on core {:?}",
        rows.len(),
        pinning.server,
        pinning.generator
    );
    let mut results = Vec::new();
    let mut summaries = Vec::new();

    let servers: &[&str] = if args.no_janus {
        &["treff"]
    } else {
        &["treff", "janus"]
    };
    for &server in servers {
        let mut process = match server {
            "treff" => process::start_treff(&args.treff_bin, &dir.0, pinning, BENCH_ROOM_LIMIT)?,
            _ => process::start_janus(&args.janus_bin, &dir.0, pinning)?,
        };
        // Let it settle before the idle figure.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let mut summary = report::ServerSummary {
            server: server.into(),
            idle_rss_mb: measure::mb(measure::process_rss(process.pid)?),
            idle_anon_mb: measure::mb(measure::process_anon(process.pid)?),
            ..Default::default()
        };
        // Its figures are not a row; a failure shows in the rows that follow.
        let _ = scenario::run(
            &scenario::Target::of(server, &process),
            &scenario::warm_up(),
        )
        .await;
        tokio::time::sleep(FINAL_SETTLE).await;
        summary.warm_rss_mb = measure::process_rss(process.pid).map_or(0.0, measure::mb);
        summary.warm_anon_mb = measure::process_anon(process.pid).map_or(0.0, measure::mb);
        for sc in rows
            .iter()
            .filter(|sc| server == "treff" || !sc.treff_only())
        {
            eprintln!("treff-loadgen: {server} {} ...", sc.name);
            let r = match scenario::run(&scenario::Target::of(server, &process), sc).await {
                Ok(r) => r,
                Err(e) => scenario::failed(server, sc, &e),
            };
            eprintln!(
                "treff-loadgen:   {:.1} µs/pkt, {:.0} pkt/s, loss {:.2} %, CPU {:.1} %, gen {:.0} %{}",
                r.us_per_packet.unwrap_or(0.0),
                r.packets_per_second,
                r.loss_pct.unwrap_or(0.0),
                r.server_cpu_pct,
                r.generator_cpu_pct,
                r.failures
                    .first()
                    .map(|f| format!(", {} failures, first: {f}", r.failures.len()))
                    .unwrap_or_default()
            );
            results.push(r);
            if !process.alive() {
                eprintln!(
                    "treff-loadgen: {server} died; its log:\n{}",
                    process::tail(&process.log)
                );
                break;
            }
        }
        // The allocator gives freed pages back after a delay (jemalloc's decay: 10 s).
        tokio::time::sleep(FINAL_SETTLE).await;
        summary.final_rss_mb = measure::process_rss(process.pid).map_or(0.0, measure::mb);
        summary.final_anon_mb = measure::process_anon(process.pid).map_or(0.0, measure::mb);
        report::viewers_per_core(&mut summary, &results);
        summaries.push(summary);
        // What the server warned about (Janus's start-up notes about disabled plugins aside).
        let log = std::fs::read_to_string(&process.log).unwrap_or_default();
        let warnings: Vec<&str> = log
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("has been disabled"))
            .filter(|l| server == "treff" || l.contains("[WARN]") || l.contains("[ERR]"))
            .collect();
        if !warnings.is_empty() {
            eprintln!(
                "treff-loadgen: {server} logged {} warnings; the last:\n{}",
                warnings.len(),
                warnings[warnings.len().saturating_sub(8)..].join("\n")
            );
        }
        drop(process);
    }

    // Rows side by side: each row's Treff line, then its Janus line.
    results.sort_by_key(|r| {
        (
            rows.iter()
                .position(|s| s.name == r.row)
                .unwrap_or(usize::MAX),
            r.server != "treff",
        )
    });
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "rows": results,
                "servers": summaries,
                "bench_room_limit": BENCH_ROOM_LIMIT,
            }))?
        );
    } else {
        print!("{}", report::render(&results, &summaries, BENCH_ROOM_LIMIT));
    }
    Ok(())
}

/// The soak: one long row of 10 rooms × 4 against Treff (see [`scenario::soak`]), then its verdict.
async fn soak(args: &Args, pinning: process::Pinning, minutes: u64) -> Result<()> {
    let dir = process::TempDir::new("treff-soak")?;
    let mut process = process::start_treff(&args.treff_bin, &dir.0, pinning, BENCH_ROOM_LIMIT)?;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let sc = scenario::soak(minutes, args.warmup);
    eprintln!("treff-loadgen: soak, {} for {minutes} min ...", sc.name);
    let r = scenario::run(&scenario::Target::Treff(&process), &sc).await?;
    print!(
        "{}",
        report::render(std::slice::from_ref(&r), &[], BENCH_ROOM_LIMIT)
    );
    if !process.alive() {
        eprintln!(
            "treff-loadgen: treff died; its log:\n{}",
            process::tail(&process.log)
        );
    }
    println!(
        "soak: {} errors{}",
        r.failures.len(),
        r.failures
            .first()
            .map(|f| format!(", the first: {f}"))
            .unwrap_or_default()
    );
    Ok(())
}
