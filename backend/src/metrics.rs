//! What the operator's Prometheus scrapes from `/metrics` (see [`crate::monitoring`]): conferences,
//! participants and peers open, what the media path forwarded and dropped, recording jobs, uploads,
//! limit refusals, CPU time and the build.
//!
//! Counts only. No label ever carries a name, a meeting id, an address or a text someone typed:
//! every label value is a fixed word of this module (an ICE state, a job state, a refusal reason).
//!
//! The handles are clones of shared atomics, updated where things happen: the room holds the guard
//! that counts its conference, each participant the guards that count them and their peer (a
//! participant keeps one peer for life), so a gauge cannot
//! drift from what is open whichever way it ends. What already has its own counter (the media
//! path's [`Drops`]) or belongs to the process (CPU time, memory) is read when scraped.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use treff_shared::ErrorCode;

use crate::sfu::Drops;

/// One label: its name and one of this module's fixed values.
type Label = [(&'static str, &'static str); 1];

/// ICE connection states a peer is counted in (str0m's, in its own words).
pub const ICE_STATES: [&str; 5] = ["new", "checking", "connected", "completed", "disconnected"];

/// Where a recording job is, from the first yes to its output.
pub const JOB_STATES: [&str; 3] = ["capturing", "queued", "processing"];

/// How a recording job ended.
pub const JOB_OUTCOMES: [&str; 3] = ["done", "failed", "discarded"];

/// The limits a refusal is counted under: the refusing `ErrorCode`'s wire name, or for a socket
/// closed over a limit, what it broke.
pub const REFUSALS: [&str; 14] = [
    "room_full",
    "server_full",
    "too_many_connections",
    "chat_too_long",
    "chat_rate_limited",
    "chat_full",
    "reaction_rate_limited",
    "too_many_attempts",
    "file_too_large",
    "storage_full",
    "upload_quota",
    "message_rate",
    "message_too_big",
    "send_queue_full",
];

/// The server's counters. Cheap to clone: every clone updates the same values.
#[derive(Clone, Debug)]
pub struct Metrics {
    conferences: Gauge,
    participants: Gauge,
    peers: Family<Label, Gauge>,
    forwarded_packets: Counter,
    forwarded_bytes: Counter,
    uploads: Counter,
    upload_bytes: Counter,
    refusals: Family<Label, Counter>,
    recording_jobs: Family<Label, Gauge>,
    recordings_ended: Family<Label, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Self {
            conferences: Gauge::default(),
            participants: Gauge::default(),
            peers: Family::default(),
            forwarded_packets: Counter::default(),
            forwarded_bytes: Counter::default(),
            uploads: Counter::default(),
            upload_bytes: Counter::default(),
            refusals: Family::default(),
            recording_jobs: Family::default(),
            recordings_ended: Family::default(),
        };
        // Every series from the start, at zero: a dashboard shows "0", not "no data".
        for state in ICE_STATES {
            let _ = metrics.peers.get_or_create(&[("state", state)]);
        }
        for state in JOB_STATES {
            let _ = metrics.recording_jobs.get_or_create(&[("state", state)]);
        }
        for outcome in JOB_OUTCOMES {
            let _ = metrics
                .recordings_ended
                .get_or_create(&[("outcome", outcome)]);
        }
        for reason in REFUSALS {
            let _ = metrics.refusals.get_or_create(&[("reason", reason)]);
        }
        metrics
    }
}

impl Metrics {
    /// Counts an open conference until the guard is dropped.
    pub fn conference(&self) -> Held {
        Held::new(self.conferences.clone())
    }

    /// Counts a participant (present or away for a while) until the guard is dropped.
    pub fn participant(&self) -> Held {
        Held::new(self.participants.clone())
    }

    /// Counts a peer in its ICE state ("new" at first) until the guard is dropped.
    pub fn peer(&self) -> InState {
        InState::new(self.peers.clone(), "state", &ICE_STATES)
    }

    /// Counts a recording job ("capturing" at first) until the guard is dropped; its end goes to
    /// [`Metrics::recording_ended`].
    pub fn recording_job(&self) -> InState {
        InState::new(self.recording_jobs.clone(), "state", &JOB_STATES)
    }

    /// A recording job ended with `outcome`, one of [`JOB_OUTCOMES`].
    pub fn recording_ended(&self, outcome: &'static str) {
        debug_assert!(JOB_OUTCOMES.contains(&outcome), "{outcome}");
        self.recordings_ended
            .get_or_create(&[("outcome", outcome)])
            .inc();
    }

    /// Media packets forwarded to receivers (handed to their peers for sending: what the socket
    /// then fails to send is counted in the drops), and their RTP payload bytes.
    pub fn forwarded(&self, packets: u64, bytes: u64) {
        self.forwarded_packets.inc_by(packets);
        self.forwarded_bytes.inc_by(bytes);
    }

    /// An attachment of `bytes` was stored.
    pub fn uploaded(&self, bytes: u64) {
        self.uploads.inc();
        self.upload_bytes.inc_by(bytes);
    }

    /// Someone was told `code`: counted when it is a limit's refusal (a full room, a rate, a
    /// quota), not for mistakes such as a wrong password or an unknown meeting.
    pub fn refused(&self, code: ErrorCode) {
        if let Some(reason) = refusal_reason(code) {
            self.refuse(reason);
        }
    }

    /// A WebSocket was closed with `close_code`: counted when a limit closed it.
    pub fn closed(&self, close_code: u16) {
        let reason = match close_code {
            treff_shared::close_code::RATE_LIMITED => "message_rate",
            1009 => "message_too_big",
            _ => return,
        };
        self.refuse(reason);
    }

    /// A participant was dropped because their connection did not take messages fast enough
    /// (`Limits::ws_send_queue` full).
    pub fn send_queue_full(&self) {
        self.refuse("send_queue_full");
    }

    fn refuse(&self, reason: &'static str) {
        debug_assert!(REFUSALS.contains(&reason), "{reason}");
        self.refusals.get_or_create(&[("reason", reason)]).inc();
    }

    /// The registry `/metrics` encodes: these counters, the media path's `drops`, the process's
    /// CPU time and memory, and the build.
    pub fn registry(&self, drops: Arc<Drops>) -> Registry {
        let mut r = Registry::default();
        r.register(
            "treff_conferences",
            "Conferences open",
            self.conferences.clone(),
        );
        r.register(
            "treff_participants",
            "Participants in open conferences (present, or away while they may resume)",
            self.participants.clone(),
        );
        r.register(
            "treff_peers",
            "Media connections by ICE connection state",
            self.peers.clone(),
        );
        r.register(
            "treff_forwarded_packets",
            "RTP packets the SFU forwarded to receivers (failed sends are in the drops)",
            self.forwarded_packets.clone(),
        );
        r.register(
            "treff_forwarded_payload_bytes",
            "RTP payload bytes the SFU forwarded to receivers",
            self.forwarded_bytes.clone(),
        );
        r.register(
            "treff_uploads",
            "Chat attachments stored",
            self.uploads.clone(),
        );
        r.register(
            "treff_upload_bytes",
            "Bytes of chat attachments stored (before encryption)",
            self.upload_bytes.clone(),
        );
        r.register(
            "treff_refusals",
            "Requests refused by a limit, per reason",
            self.refusals.clone(),
        );
        r.register(
            "treff_recording_jobs",
            "Recording jobs by state",
            self.recording_jobs.clone(),
        );
        r.register(
            "treff_recording_jobs_ended",
            "Recording jobs ended, per outcome",
            self.recordings_ended.clone(),
        );
        r.register(
            "treff_build",
            "The running build",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        r.register_collector(Box::new(MediaDrops(drops)));
        r.register_collector(Box::new(Process));
        r
    }
}

/// The reason a refusal with `code` is counted under, if it is a limit's.
fn refusal_reason(code: ErrorCode) -> Option<&'static str> {
    Some(match code {
        ErrorCode::RoomFull => "room_full",
        ErrorCode::ServerFull => "server_full",
        ErrorCode::TooManyConnections => "too_many_connections",
        ErrorCode::ChatTooLong => "chat_too_long",
        ErrorCode::ChatRateLimited => "chat_rate_limited",
        ErrorCode::ChatFull => "chat_full",
        ErrorCode::ReactionRateLimited => "reaction_rate_limited",
        ErrorCode::TooManyAttempts => "too_many_attempts",
        ErrorCode::FileTooLarge => "file_too_large",
        ErrorCode::StorageFull => "storage_full",
        ErrorCode::UploadQuota => "upload_quota",
        _ => return None,
    })
}

/// Counts one thing in a gauge while it exists.
#[derive(Debug)]
pub struct Held(Gauge);

impl Held {
    fn new(gauge: Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Counts one thing in the gauge of its current state while it exists.
#[derive(Debug)]
pub struct InState {
    family: Family<Label, Gauge>,
    label: &'static str,
    /// The states it may be in, the first the one it starts in.
    states: &'static [&'static str],
    state: &'static str,
}

impl InState {
    fn new(
        family: Family<Label, Gauge>,
        label: &'static str,
        states: &'static [&'static str],
    ) -> Self {
        let state = states[0];
        family.get_or_create(&[(label, state)]).inc();
        Self {
            family,
            label,
            states,
            state,
        }
    }

    /// Moves it to `state`, one of the words it was made with (another would start a new series).
    pub fn enter(&mut self, state: &'static str) {
        debug_assert!(self.states.contains(&state), "{state}");
        if state != self.state {
            self.family.get_or_create(&[(self.label, self.state)]).dec();
            self.family.get_or_create(&[(self.label, state)]).inc();
            self.state = state;
        }
    }
}

impl Drop for InState {
    fn drop(&mut self) {
        self.family.get_or_create(&[(self.label, self.state)]).dec();
    }
}

/// The media path's drop counters, read at each scrape.
#[derive(Debug)]
struct MediaDrops(Arc<Drops>);

impl Collector for MediaDrops {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let [unrouted, room_busy, send_buffer_full, send_failed] = self.0.snapshot();
        let mut family = encoder.encode_descriptor(
            "treff_media_dropped_datagrams",
            "Media datagrams dropped, per reason",
            None,
            MetricType::Counter,
        )?;
        for (reason, n) in [
            ("unrouted", unrouted),
            ("room_busy", room_busy),
            ("send_buffer_full", send_buffer_full),
            ("send_failed", send_failed),
        ] {
            ConstCounter::new(n).encode(family.encode_family(&[("reason", reason)])?)?;
        }
        Ok(())
    }
}

/// The process's CPU time and resident memory, from `/proc/self/stat`.
#[derive(Debug)]
struct Process;

impl Collector for Process {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let Some(usage) = ProcessUsage::read() else {
            // Not Linux, or /proc not mounted: the series are missing rather than wrong.
            return Ok(());
        };
        let cpu = ConstCounter::new(usage.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "CPU time the server used, user and system, in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let rss = ConstGauge::new(usage.resident_bytes);
        rss.encode(encoder.encode_descriptor(
            "process_resident_memory_bytes",
            "Resident memory of the server, in bytes",
            None,
            rss.metric_type(),
        )?)
    }
}

/// What `/proc/self/stat` says about the process.
#[derive(Debug, PartialEq)]
struct ProcessUsage {
    cpu_seconds: f64,
    resident_bytes: i64,
}

impl ProcessUsage {
    fn read() -> Option<Self> {
        use nix::unistd::{SysconfVar, sysconf};
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let ticks = sysconf(SysconfVar::CLK_TCK).ok()??;
        let page = sysconf(SysconfVar::PAGE_SIZE).ok()??;
        Self::parse(&stat, ticks, page)
    }

    /// Reads `utime`, `stime` (clock ticks) and `rss` (pages), fields 14, 15 and 24 of proc(5).
    /// They are counted after the command name's closing parenthesis: the name may hold spaces.
    fn parse(stat: &str, ticks_per_second: i64, page_size: i64) -> Option<Self> {
        let after_name = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // After the name, field 3 (state) comes first.
        let field = |n: usize| fields.get(n - 3)?.parse::<i64>().ok();
        let ticks = field(14)? + field(15)?;
        Some(Self {
            cpu_seconds: ticks as f64 / ticks_per_second as f64,
            resident_bytes: field(24)? * page_size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(metrics: &Metrics, drops: Arc<Drops>) -> String {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &metrics.registry(drops))
            .expect("encodes");
        text
    }

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn guards_count_while_they_live_whichever_way_they_go() {
        let m = Metrics::default();
        let drops = Arc::new(Drops::default());
        let conference = m.conference();
        let (alice, bob) = (m.participant(), m.participant());
        let mut peer = m.peer();
        peer.enter("checking");
        peer.enter("connected");
        let text = scrape(&m, drops.clone());
        assert_eq!(value(&text, "treff_conferences"), Some(1.0));
        assert_eq!(value(&text, "treff_participants"), Some(2.0));
        assert_eq!(value(&text, "treff_peers{state=\"connected\"}"), Some(1.0));
        assert_eq!(value(&text, "treff_peers{state=\"new\"}"), Some(0.0));
        assert_eq!(value(&text, "treff_peers{state=\"checking\"}"), Some(0.0));
        drop((alice, peer));
        let text = scrape(&m, drops.clone());
        assert_eq!(value(&text, "treff_participants"), Some(1.0));
        assert_eq!(value(&text, "treff_peers{state=\"connected\"}"), Some(0.0));
        drop((bob, conference));
        let text = scrape(&m, drops);
        assert_eq!(value(&text, "treff_conferences"), Some(0.0));
        assert_eq!(value(&text, "treff_participants"), Some(0.0));
    }

    #[test]
    fn limits_are_counted_per_reason_and_mistakes_are_not() {
        let m = Metrics::default();
        m.refused(ErrorCode::RoomFull);
        m.refused(ErrorCode::RoomFull);
        m.refused(ErrorCode::WrongPassword);
        m.refused(ErrorCode::UnknownMeeting);
        m.closed(treff_shared::close_code::RATE_LIMITED);
        m.closed(treff_shared::close_code::MALFORMED);
        let text = scrape(&m, Arc::default());
        assert_eq!(
            value(&text, "treff_refusals_total{reason=\"room_full\"}"),
            Some(2.0)
        );
        assert_eq!(
            value(&text, "treff_refusals_total{reason=\"message_rate\"}"),
            Some(1.0)
        );
        let counted: f64 = text
            .lines()
            .filter(|l| l.starts_with("treff_refusals_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert_eq!(counted, 3.0, "{text}");
        // Every reason the counter can carry is listed, so dashboards know them all.
        for reason in REFUSALS {
            assert!(text.contains(&format!("treff_refusals_total{{reason=\"{reason}\"}}")));
        }
    }

    #[test]
    fn drops_jobs_uploads_and_the_build_are_in_the_scrape() {
        let m = Metrics::default();
        let drops = Arc::new(Drops::default());
        drops
            .room_busy
            .fetch_add(7, std::sync::atomic::Ordering::Relaxed);
        let mut job = m.recording_job();
        job.enter("processing");
        m.uploaded(1000);
        m.forwarded(3, 3600);
        let text = scrape(&m, drops);
        assert_eq!(
            value(
                &text,
                "treff_media_dropped_datagrams_total{reason=\"room_busy\"}"
            ),
            Some(7.0)
        );
        assert_eq!(
            value(&text, "treff_recording_jobs{state=\"processing\"}"),
            Some(1.0)
        );
        assert_eq!(value(&text, "treff_uploads_total"), Some(1.0));
        assert_eq!(value(&text, "treff_upload_bytes_total"), Some(1000.0));
        assert_eq!(value(&text, "treff_forwarded_packets_total"), Some(3.0));
        assert!(text.contains(&format!(
            "treff_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(
            value(&text, "process_cpu_seconds_total").is_some_and(|s| s >= 0.0),
            "{text}"
        );
        assert!(value(&text, "process_resident_memory_bytes").is_some_and(|b| b > 0.0));
        drop(job);
        m.recording_ended("done");
        let text = scrape(&m, Arc::default());
        assert_eq!(
            value(&text, "treff_recording_jobs{state=\"processing\"}"),
            Some(0.0)
        );
        assert_eq!(
            value(&text, "treff_recording_jobs_ended_total{outcome=\"done\"}"),
            Some(1.0)
        );
    }

    #[test]
    fn proc_stat_is_read_after_the_command_name() {
        // A command name with spaces and a parenthesis must not shift the fields.
        let stat = "4242 (tre ff) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 9 0 \
                    100 123456789 3000 18446744073709551615";
        assert_eq!(
            ProcessUsage::parse(stat, 100, 4096),
            Some(ProcessUsage {
                cpu_seconds: 4.0,
                resident_bytes: 3000 * 4096
            })
        );
        assert_eq!(ProcessUsage::parse("garbage", 100, 4096), None);
    }
}
