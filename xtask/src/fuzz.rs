//! `cargo xtask bench fuzz`: the property targets of every parser at the boundary, run long.
//!
//! The test command runs each target with a few thousand cases; this runs the same proptest targets
//! in a release build either with a number of cases each (`-- 1000000`) or for a time each
//! (`-- 10m`), and prints cases per second. proptest has no clock of its own, so a timed run first
//! calibrates: it runs the target with a growing number of cases until a run takes a few seconds,
//! then sizes the real run from that rate. The targets run side by side, one per core, each pinned
//! to its own core with `taskset` where there is one, so a 10-minute run of seven targets takes 40
//! minutes on two cores, not 70.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::step::{Result, announce, cargo, on_path, run};

/// One target: package, cargo test target (or `--lib`), test-name filter, what it feeds.
struct Target {
    package: &'static str,
    test: &'static str,
    filter: &'static str,
    what: &'static str,
}

const TARGETS: [Target; 7] = [
    Target {
        package: "treff-shared",
        test: "--test=properties",
        filter: "any_text",
        what: "ClientMsg JSON, any text",
    },
    Target {
        package: "treff-shared",
        test: "--test=properties",
        filter: "mutated_messages",
        what: "ClientMsg JSON, mutated messages",
    },
    Target {
        package: "treff-shared",
        test: "--test=properties",
        filter: "a_meeting_id",
        what: "meeting ids",
    },
    Target {
        package: "treff-shared",
        test: "--test=properties",
        filter: "sanitised_file_names",
        what: "upload file names",
    },
    Target {
        package: "treff",
        test: "--lib",
        filter: "hostile_datagrams",
        what: "UDP demux, batches of up to 200 datagrams",
    },
    Target {
        package: "treff",
        test: "--lib",
        filter: "mangled_answers",
        what: "SDP answers through the peer",
    },
    Target {
        package: "treff",
        test: "--lib",
        filter: "any_bytes_hold_at_most_one_frame",
        what: "ICE-TCP framing, any bytes in any reads",
    },
];

/// How long each target runs: a number of cases, or a time.
#[derive(Clone, Copy)]
pub enum Budget {
    Cases(u64),
    Time(Duration),
}

impl Budget {
    /// `200000` (cases) or `10m` / `90s` (time per target); 200,000 cases when absent.
    pub fn parse(args: &[String]) -> Result<Self> {
        let Some(arg) = args.iter().find(|a| *a != "--") else {
            return Ok(Self::Cases(200_000));
        };
        let number = |digits: &str| {
            digits
                .parse::<u64>()
                .map_err(|e| format!("bench fuzz takes cases (200000) or a time (10m, 90s): {e}"))
        };
        if let Some(minutes) = arg.strip_suffix('m') {
            Ok(Self::Time(Duration::from_secs(number(minutes)? * 60)))
        } else if let Some(seconds) = arg.strip_suffix('s') {
            Ok(Self::Time(Duration::from_secs(number(seconds)?)))
        } else {
            Ok(Self::Cases(number(arg)?))
        }
    }
}

/// What one target did.
struct Outcome {
    what: &'static str,
    cases: u64,
    seconds: f64,
    /// `None` when every case passed; else the test's output.
    failure: Option<String>,
}

/// Builds the targets, runs them one per core and prints a line per target.
pub fn bench(root: &Path, budget: Budget) -> Result<()> {
    let mut built: Vec<(&str, &str)> = Vec::new();
    for target in &TARGETS {
        if built.contains(&(target.package, target.test)) {
            continue;
        }
        built.push((target.package, target.test));
        run(
            &format!("building {} {} (release)", target.package, target.test),
            cargo(root).args([
                "test",
                "--release",
                "--no-run",
                "-p",
                target.package,
                target.test,
            ]),
        )?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    announce(&match budget {
        Budget::Cases(n) => format!("{n} cases per target, {cores} at a time"),
        Budget::Time(t) => format!("{} s per target, {cores} at a time", t.as_secs()),
    });
    let next = Mutex::new(TARGETS.iter());
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for core in 0..cores {
            let (next, outcomes) = (&next, &outcomes);
            scope.spawn(move || {
                // Take the next target until none is left (a poisoned lock is another worker's
                // panic: stop too).
                while let Some(target) = next.lock().ok().and_then(|mut it| it.next()) {
                    let outcome = run_target(root, target, budget, core, cores);
                    println!("{}", summary(&outcome));
                    if let Ok(mut all) = outcomes.lock() {
                        all.push(outcome);
                    }
                }
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap_or_default();
    println!();
    for outcome in &outcomes {
        println!("{}", summary(outcome));
    }
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
    for outcome in &failed {
        println!(
            "\n--- {} ---\n{}",
            outcome.what,
            outcome.failure.as_deref().unwrap_or_default()
        );
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} fuzz target(s) found a failure", failed.len()))
    }
}

fn summary(o: &Outcome) -> String {
    format!(
        "fuzz {}: {} cases in {:.1} s = {:.0} cases/s, {}",
        o.what,
        o.cases,
        o.seconds,
        o.cases as f64 / o.seconds,
        if o.failure.is_some() {
            "FAILED"
        } else {
            "0 failures"
        }
    )
}

/// Runs one target within its budget, calibrating first for a timed budget.
fn run_target(root: &Path, target: &Target, budget: Budget, core: usize, cores: usize) -> Outcome {
    let cases = match budget {
        Budget::Cases(n) => n,
        Budget::Time(time) => {
            // Grow the trial until it takes 3 s, long enough that start-up is noise.
            let mut trial = 1_000;
            loop {
                let outcome = run_cases(root, target, trial, core, cores);
                if outcome.failure.is_some() {
                    return outcome;
                }
                if outcome.seconds >= 3.0 || trial >= 1 << 40 {
                    let rate = trial as f64 / outcome.seconds;
                    break (rate * time.as_secs_f64()).max(1.0) as u64;
                }
                trial *= 4;
            }
        }
    };
    run_cases(root, target, cases, core, cores)
}

/// One `cargo test` of the target with `PROPTEST_CASES=cases`, pinned to `core` when there is more
/// than one and `taskset` exists.
fn run_cases(root: &Path, target: &Target, cases: u64, core: usize, cores: usize) -> Outcome {
    let mut command = if cores > 1 && on_path("taskset") {
        let mut pinned = Command::new("taskset");
        pinned
            .args(["-c", &core.to_string()])
            .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(root);
        pinned
    } else {
        cargo(root)
    };
    command
        .args([
            "test",
            "--release",
            "-q",
            "-p",
            target.package,
            target.test,
            target.filter,
        ])
        .env("PROPTEST_CASES", cases.to_string());
    let started = Instant::now();
    let failure = match command.output() {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )),
        Err(e) => Some(format!("cannot start cargo: {e}")),
    };
    Outcome {
        what: target.what,
        cases,
        seconds: started.elapsed().as_secs_f64(),
        failure,
    }
}
