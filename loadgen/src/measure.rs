//! What the bench measures from outside: a server's CPU time (`utime + stime` of
//! `/proc/<pid>/stat`, all its threads, and of named threads under `/proc/<pid>/task`) and resident memory (`VmRSS` of `/proc/<pid>/status`), and
//! the generator's own CPU time (`getrusage(RUSAGE_SELF)`), so a row can say when the generator,
//! not the server, was the limit.

use anyhow::{Context, Result, anyhow};
use std::time::Duration;

/// Clock ticks per second of the `/proc` CPU counters (100 on Linux).
fn ticks_per_second() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|t| u64::try_from(t).ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// CPU time (user + system) a process has used so far, all threads included.
pub fn process_cpu(pid: u32) -> Result<Duration> {
    stat_cpu(&format!("/proc/{pid}/stat"))
}

/// CPU time the threads of a process named `name` have used so far (those alive now).
pub fn threads_cpu(pid: u32, name: &str) -> Result<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let dir = task?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() == name {
            // A thread that ended between the listing and the read counts as nothing.
            total += stat_cpu(&dir.join("stat").to_string_lossy()).unwrap_or_default();
        }
    }
    Ok(total)
}

/// `utime + stime` of a `/proc` `stat` file.
fn stat_cpu(path: &str) -> Result<Duration> {
    let stat = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow!("unexpected {path}"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime field 15.
    let utime: u64 = fields.get(11).context("utime")?.parse()?;
    let stime: u64 = fields.get(12).context("stime")?.parse()?;
    let ticks = ticks_per_second();
    Ok(Duration::from_micros((utime + stime) * 1_000_000 / ticks))
}

/// Resident memory of a process in bytes: everything mapped in, the binary's code pages included.
pub fn process_rss(pid: u32) -> Result<u64> {
    status_bytes(pid, "VmRSS")
}

/// The anonymous part of [`process_rss`]: heap, stacks and allocator caches, without the code and
/// other file pages (which the kernel drops by itself under memory pressure).
pub fn process_anon(pid: u32) -> Result<u64> {
    status_bytes(pid, "RssAnon")
}

fn status_bytes(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("read /proc/{pid}/status"))?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status"))?;
    Ok(kb * 1024)
}

/// CPU time (user + system) the generator itself has used so far.
pub fn own_cpu() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_SELF)
        .map(|u| {
            let us = |t: nix::sys::time::TimeVal| {
                Duration::from_secs(u64::try_from(t.tv_sec()).unwrap_or(0))
                    + Duration::from_micros(u64::try_from(t.tv_usec()).unwrap_or(0))
            };
            us(u.user_time()) + us(u.system_time())
        })
        .unwrap_or_default()
}

/// Bytes as MB with one decimal, as the table prints them.
pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// How far `value` is above `base`, in percent (0 without a base).
pub fn percent_over(value: f64, base: f64) -> f64 {
    if base > 0.0 {
        (value / base - 1.0) * 100.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_process() {
        let pid = std::process::id();
        assert!(process_rss(pid).expect("rss") > 0);
        assert!(process_anon(pid).expect("anon") <= process_rss(pid).expect("rss"));
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(30) {}
        assert!(process_cpu(pid).is_ok());
        assert!(own_cpu() > Duration::ZERO);
    }
}
