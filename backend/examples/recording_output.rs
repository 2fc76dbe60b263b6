//! Benchmark: the recording output job on a 2-minute meeting of 3 people (cameras 640x360 at
//! 25 fps, microphones) with a screen share (1280x720 at 5 fps) over its second half. Synthesises
//! the raw capture with ffmpeg and Treff's track writers (not timed), renders it, and prints the
//! wall time, the CPU time of ffmpeg (getrusage of children) and both against real time.
//!
//! Run: `cargo run --release -p treff --example recording_output [-- <seconds>]`.

#[path = "../tests/recording_support/mod.rs"]
mod recording_support;

use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use recording_support::{TempDir, meeting};
use treff::recording::output::render;

fn children_cpu() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let tv = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
    };
    tv(usage.user_time()) + tv(usage.system_time())
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(120);
    let duration_ms = seconds * 1000;
    let dir = TempDir::new("bench-output");
    let (raw, out) = (dir.sub("raw"), dir.sub("out"));

    let t = Instant::now();
    let manifest = meeting(
        &raw,
        &["Anna", "Ben", "Chris"],
        duration_ms,
        duration_ms / 2,
    );
    println!(
        "fixtures: {} segments, {seconds} s, made in {:.1} s (not counted)",
        manifest.segments.len(),
        t.elapsed().as_secs_f64()
    );

    let cpu0 = children_cpu();
    let t = Instant::now();
    let rendered = render(&raw, &manifest, &out, |_| {}).expect("render");
    let wall = t.elapsed();
    let cpu = children_cpu() - cpu0;

    let real = Duration::from_millis(rendered.duration_ms);
    println!(
        "cores: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for (name, bytes) in &rendered.files {
        println!("{name}: {:.1} MB", *bytes as f64 / 1e6);
    }
    println!(
        "wall time: {:.1} s for {:.0} s of recording: {:.2}x faster than real time",
        wall.as_secs_f64(),
        real.as_secs_f64(),
        real.as_secs_f64() / wall.as_secs_f64()
    );
    println!(
        "CPU time (ffmpeg): {:.1} s: {:.2} CPU-seconds per second of recording",
        cpu.as_secs_f64(),
        cpu.as_secs_f64() / real.as_secs_f64()
    );
}
