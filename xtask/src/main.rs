//! `cargo xtask <command>`: Treff's one developer entry point (the cargo-xtask convention).
//!
//! A fresh Debian machine with Rust needs only `cargo xtask run` (build and start the server) and
//! `cargo xtask test` (everything CI checks). Every tool is installed on first use and skipped when
//! present, so a second run costs nothing but the checks.
//!
//! Layout: `main.rs` parses the command line and strings the steps together, `setup.rs` installs the
//! toolchain and test dependencies, `step.rs` runs processes and reports their outcome, `fuzz.rs`
//! runs the property targets long.
//!
//! Only `std`: this crate is compiled on every `cargo xtask` call, so every dependency is paid for
//! again and again.

mod fuzz;
mod setup;
mod step;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use step::{Result, announce, cargo, run};

const USAGE: &str = "\
usage: cargo xtask <command> [-- <args>]

commands:
  setup        install the wasm32 target, trunk, wasm-bindgen-cli and wasm-opt (skips what is present)
  setup-test   setup, plus Chromium, ffmpeg (apt) and the e2e npm packages
  build-ui     build the web UI into dist/ (trunk build --release --offline)
  package      the Debian package: the UI, then the release server with the UI in it (cargo deb);
               prints where the .deb is
  run          build everything in release mode and start the server; args go to the server
  test         everything CI checks: fmt, clippy, cargo test (server and UI), the UI, the Playwright suite;
               args after `--` go to Playwright (e.g. `cargo xtask test -- two.spec.ts`)
  e2e          only build and run the Playwright suite (args go to Playwright)
  bench        build and run the benchmarks (join latency, attachment throughput), printing figures
  bench fuzz   the property targets of every parser at the boundary, one per core, with many cases
               (default 200000, or `-- 1000000`) or for a time each (`-- 10m`), printing cases per second
  stress       run the media integration tests (backend/tests/media.rs) many times in a row (default 50,
               or `cargo xtask stress -- 200`), reporting every failure; exits non-zero if any failed
  bench soak   10 rooms of 4 webrtc-rs participants against the release server for a while (default
               1 minute, or `cargo xtask bench soak -- 30`): RSS, CPU, packets, loss and errors every minute
  bench sfu    the SFU load bench: release server and treff-loadgen, Janus beside it (installs Debian's
               janus once); args after `--` go to treff-loadgen (e.g. `cargo xtask bench sfu -- --quick`)
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    // `cargo xtask test -- two.spec.ts` arrives as `test -- two.spec.ts`: the `--` only separates.
    let rest: Vec<String> = args.skip_while(|a| a == "--").collect();
    let root = workspace_root();

    let outcome = match command.as_str() {
        "setup" => setup::toolchain(&root),
        "setup-test" => setup::test_dependencies(&root),
        "build-ui" => build_ui(&root),
        "package" => package(&root).map(|deb| println!("{}", deb.display())),
        "run" => run_server(&root, &rest),
        "test" => timed(|| test(&root, &rest)),
        "e2e" => timed(|| e2e(&root, &rest)),
        "bench" => bench(&root, &rest),
        "stress" => timed(|| stress(&root, &rest)),
        "" | "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nerror: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root, wherever `cargo xtask` was called from: every step runs there.
///
/// `cargo run` sets `CARGO_MANIFEST_DIR` for the program it runs, which names this checkout even
/// when the binary it runs was built from another one: with a shared `CARGO_TARGET_DIR`, cargo
/// does not copy a fresh build to `target/debug/xtask` again, so that file can come from a
/// different clone, and its compile-time path would send every step to that clone.
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.clone(), Path::to_path_buf)
}

/// Where cargo puts its builds: `CARGO_TARGET_DIR` if set (a shared, warm target), else `target/`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Runs `f` and prints how long it took, failed or not: CI time on two cores is worth watching.
fn timed(f: impl FnOnce() -> Result<()>) -> Result<()> {
    let start = Instant::now();
    let outcome = f();
    let verdict = if outcome.is_ok() { "passed" } else { "FAILED" };
    println!("\n==> {verdict}, total time {}", step::elapsed(start));
    outcome
}

fn build_ui(root: &Path) -> Result<()> {
    // `--offline`: Trunk must not fetch wasm-bindgen, wasm-opt or anything else from GitHub; `setup`
    // put the exact wasm-bindgen CLI on the PATH and binaryen's wasm-opt (npm) in tools/, whose
    // `.bin` goes first on the PATH here so that Trunk finds the version Trunk.toml asks for.
    let tools_bin = root.join("tools/node_modules/.bin");
    if !tools_bin.join("wasm-opt").exists() {
        return Err(
            "tools/node_modules has no wasm-opt: run `cargo xtask setup` first".to_string(),
        );
    }
    let mut path = vec![tools_bin];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(path).map_err(|e| format!("cannot extend PATH: {e}"))?;
    run(
        "building the web UI into dist/ (trunk build --release --offline)",
        Command::new("trunk")
            .args(["build", "--release", "--offline"])
            .env("PATH", path)
            .current_dir(root),
    )
}

/// Builds the Debian package (`cargo deb`, metadata in `backend/Cargo.toml`): the UI first, since
/// the release binary embeds it. Returns the package's path.
fn package(root: &Path) -> Result<PathBuf> {
    setup::toolchain(root)?;
    setup::cargo_deb(root)?;
    build_ui(root)?;
    let deb = target_dir(root).join("debian/treff.deb");
    run(
        "building the Debian package (cargo deb -p treff: the release server with the UI in it)",
        cargo(root)
            .args(["deb", "-p", "treff", "--output"])
            .arg(&deb),
    )?;
    Ok(deb)
}

fn run_server(root: &Path, server_args: &[String]) -> Result<()> {
    setup::toolchain(root)?;
    build_ui(root)?;
    run(
        "building the server (cargo build --release -p treff)",
        cargo(root).args(["build", "--release", "-p", "treff"]),
    )?;
    let http = http_address(server_args).replace("127.0.0.1", "localhost");
    announce(&format!(
        "starting Treff: open http://{http} (Ctrl-C stops it)"
    ));
    let bin = root.join("target/release/treff");
    // exec, not spawn: Ctrl-C and the exit status belong to the server, not to a waiting xtask.
    use std::os::unix::process::CommandExt;
    let error = Command::new(&bin)
        .args(server_args)
        .current_dir(root)
        .exec();
    Err(format!("cannot start {}: {error}", bin.display()))
}

/// The HTTP address the server will listen on, for the banner: flag, then environment, then default.
fn http_address(server_args: &[String]) -> String {
    let mut args = server_args.iter();
    while let Some(arg) = args.next() {
        if let Some(value) = arg.strip_prefix("--http=") {
            return value.to_string();
        }
        if arg == "--http"
            && let Some(value) = args.next()
        {
            return value.clone();
        }
    }
    std::env::var("TREFF_HTTP").unwrap_or_else(|_| "127.0.0.1:8080".to_string())
}

fn test(root: &Path, playwright_args: &[String]) -> Result<()> {
    setup::test_dependencies(root)?;
    run(
        "checking formatting (cargo fmt --all --check)",
        cargo(root).args(["fmt", "--all", "--check"]),
    )?;
    // The frontend is linted for its real target, wasm32, where its browser code paths are; the
    // host pass leaves it out rather than lint it twice.
    run(
        "linting the host crates (cargo clippy --workspace --exclude treff-frontend --all-targets)",
        cargo(root).args([
            "clippy",
            "--workspace",
            "--exclude",
            "treff-frontend",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run(
        "linting the frontend (cargo clippy -p treff-frontend --target wasm32-unknown-unknown)",
        cargo(root).args([
            "clippy",
            "-p",
            "treff-frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run(
        "running the Rust tests (cargo test)",
        cargo(root).arg("test"),
    )?;
    // The frontend's unit tests (transcript, sizes, links) are plain Rust and run on the host; only
    // its browser code needs wasm32, and that is what the Playwright suite covers. A run of its own
    // rather than `--workspace`: one build for all would unify dependency features with the
    // frontend's and rebuild the server's dependencies for the e2e build below.
    run(
        "running the frontend's unit tests on the host (cargo test -p treff-frontend)",
        cargo(root).args(["test", "-p", "treff-frontend"]),
    )?;
    e2e_after_setup(root, playwright_args, &[])
}

fn e2e(root: &Path, playwright_args: &[String]) -> Result<()> {
    setup::test_dependencies(root)?;
    e2e_after_setup(root, playwright_args, &[])
}

/// Runs the media integration tests `args[0]` times (default 50) in a row, so a flaky one shows.
fn stress(root: &Path, args: &[String]) -> Result<()> {
    let runs = number_arg(args, 50, "stress takes a number of runs")?;
    run(
        "building the media tests (cargo test -p treff --test media --no-run)",
        cargo(root).args(["test", "-p", "treff", "--test", "media", "--no-run"]),
    )?;
    // A failing test prints what it logged: the server's info lines (a peer that failed, an answer
    // that was refused) then come with the report, unless the caller asked for other logs.
    let logs = std::env::var("RUST_LOG").unwrap_or_else(|_| "treff=info".to_owned());
    let mut failed = Vec::new();
    for n in 1..=runs {
        let ok = cargo(root)
            .args(["test", "-q", "-p", "treff", "--test", "media"])
            .env("RUST_LOG", &logs)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?
            .success();
        println!("run {n}/{runs}: {}", if ok { "passed" } else { "FAILED" });
        if !ok {
            failed.push(n);
        }
    }
    println!("\n{} of {runs} runs failed {failed:?}", failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {runs} runs failed", failed.len()))
    }
}

/// The first argument other than `--` as a number, or `default` when there is none.
fn number_arg(args: &[String], default: u64, what: &str) -> Result<u64> {
    args.iter()
        .find(|a| *a != "--")
        .map_or(Ok(default), |n| n.parse::<u64>())
        .map_err(|e| format!("{what}: {e}"))
}

fn bench(root: &Path, args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("fuzz") {
        return fuzz::bench(root, fuzz::Budget::parse(&args[1..])?);
    }
    if args.first().map(String::as_str) == Some("soak") {
        let minutes = number_arg(&args[1..], 1, "bench soak takes a number of minutes")?;
        return bench_sfu(
            root,
            &["--no-janus".into(), "--soak".into(), minutes.to_string()],
        );
    }
    if args.first().map(String::as_str) == Some("sfu") {
        // `bench sfu -- --quick` arrives as `sfu -- --quick`.
        let rest: Vec<String> = args[1..]
            .iter()
            .skip_while(|a| *a == "--")
            .cloned()
            .collect();
        return bench_sfu(root, &rest);
    }
    let playwright_args = args;
    setup::test_dependencies(root)?;
    e2e_after_setup(
        root,
        playwright_args,
        &["--config", "playwright.bench.config.ts"],
    )?;
    // Release: the figure is what a deployed server does (the cipher's generic code is compiled in
    // Treff's crate, so a debug build would measure the debug build, at a fiftieth of the speed).
    run(
        "measuring attachment throughput (25 MiB up and down, release build)",
        cargo(root).args([
            "run",
            "--release",
            "-p",
            "treff",
            "--example",
            "attachment_throughput",
        ]),
    )
}

/// The SFU bench: builds the release server and the load generator, installs Janus unless
/// `--no-janus`, and runs `treff-loadgen` with `args`. The generator starts the server itself (as
/// its own process, pinned to a core), so nothing else of Treff needs to run.
fn bench_sfu(root: &Path, args: &[String]) -> Result<()> {
    let with_janus = !args.iter().any(|a| a == "--no-janus");
    if with_janus {
        setup::janus()?;
    }
    // Release: the figures are what a deployed server does. Two builds, not one with both `-p`:
    // together cargo would unify the two packages' dependency features and rebuild the server's
    // dependencies (tokio, str0m) differently from `cargo build --release -p treff`.
    run(
        "building the server (cargo build --release -p treff)",
        cargo(root).args(["build", "--release", "-p", "treff"]),
    )?;
    run(
        "building the load generator (cargo build --release -p treff-loadgen)",
        cargo(root).args(["build", "--release", "-p", "treff-loadgen"]),
    )?;
    let release = target_dir(root).join("release");
    let mut command = Command::new(release.join("treff-loadgen"));
    command
        .arg("--treff-bin")
        .arg(release.join("treff"))
        .args(args)
        .current_dir(root);
    if with_janus {
        command.args(["--janus-bin", setup::JANUS_BIN]);
    }
    run("running the SFU load bench (treff-loadgen)", &mut command)
}

/// Builds the UI and the debug server and runs Playwright on them. The server is built with its tests
/// (`--tests`): that resolves dependency features as `cargo test` does, so after `cargo test` this is
/// a no-op, where a plain `cargo build -p treff` would recompile tokio, axum and str0m (3 minutes).
fn e2e_after_setup(root: &Path, playwright_args: &[String], config: &[&str]) -> Result<()> {
    // The suite's package spec installs this .deb into a temporary root and runs its binary, which
    // carries the UI: so the package is built (with the UI) before the browser tests.
    let deb = package(root)?;
    // The same package selection as `cargo test` (the default members), not `-p treff`: cargo
    // unifies dependency features over the packages it builds, so `-p treff` alone rebuilt tokio,
    // webrtc-rs and the server with other features (9 minutes on a cold machine). After `cargo
    // test` this build finds everything fresh.
    run(
        "building the server for the browser tests (cargo build --tests)",
        cargo(root).args(["build", "--tests"]),
    )?;
    let e2e_dir = root.join("e2e");
    run(
        "running the browser tests (npx playwright test)",
        Command::new("npx")
            // `--no-install`: npx must never fetch a package that package-lock.json did not pin.
            .args(["--no-install", "playwright", "test"])
            .args(config)
            .args(playwright_args)
            .env("TREFF_BIN", target_dir(root).join("debug/treff"))
            .env("TREFF_DEB", &deb)
            .env("TREFF_UI_DIR", root.join("dist"))
            .env("TREFF_E2E_NGINX", setup::nginx_bin())
            .current_dir(e2e_dir),
    )
}
