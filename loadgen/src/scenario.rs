//! The scenarios (rows of the table) and how one row is run against one server.
//!
//! Rows: one publisher to N receivers (`1toN`), the same while a recording captures everything
//! (`1toN-rec`, Treff only: everyone says yes before the window, the output job runs after it and
//! is waited for, so it never overlaps another row), ten rooms of five where everyone publishes
//! (`rooms-10x5`), an idle room of 40 with no media (`idle-40`), and the simulcast downlink rows:
//! rooms of 10 and 20 where everyone publishes one layer (`rooms-1x20`), three layers received
//! at the best (`sim-20`), and three layers with every receiver reporting its tiles (`sim-20-tiles`,
//! Treff only). A row: join everyone
//! (publishers first), wait until every receiver gets video from every publisher it should, warm
//! up, then measure for the row's seconds: the server's CPU time and peak RSS, the generator's own
//! CPU time, and the tally of packets and frames whose send time lies in the window. Then everyone
//! leaves and the server's RSS is read again once the rooms have ended.

use crate::janus;
use crate::measure;
use crate::media::Tally;
use crate::peer::Sources;
use crate::process::ServerProcess;
use crate::treff::{self, Publishing};
use anyhow::{Result, anyhow};
use futures_util::StreamExt;
use futures_util::stream;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use treff_shared::{ClientMsg, ParticipantId, TileSize, TrackKind};

/// Joins in flight at once: a real meeting fills over seconds, not all in one instant.
const JOIN_CONCURRENCY: usize = 4;
/// Time for packets sent at the end of the window to arrive before the counters are read.
const DRAIN: Duration = Duration::from_secs(1);
/// Time for the server to end the rooms and free them before RSS is read again.
const SETTLE: Duration = Duration::from_secs(3);

/// What a row does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One room: one publisher, this many receivers.
    Fanout(usize),
    /// As `Fanout`, while a recording of the room captures (Treff only).
    Recorded(usize),
    /// This many rooms of this many participants, each publishing to the others.
    Rooms(usize, usize),
    /// One room of this many participants, no media.
    Idle(usize),
    /// One room of this many, everyone publishing the camera as three simulcast layers
    /// ([`crate::media::LAYERS`]); with `tiles`, everyone reports the others' tiles at their size
    /// in a 1280 × 720 tile view (Treff only: the downlink rows of simulcast).
    Simulcast {
        /// Participants.
        size: usize,
        /// Receivers report their tiles (else they get every camera's best layer).
        tiles: bool,
    },
}

/// The window whose tile view the simulcast rows' receivers report, in device pixels.
const TILE_VIEW: (u32, u32) = (1280, 720);

/// The tile size of `n` tiles in [`TILE_VIEW`], laid out as the UI does.
fn tile_size(n: usize) -> (u32, u32) {
    let (cols, rows) = treff_shared::grid_shape(n);
    (TILE_VIEW.0 / cols as u32, TILE_VIEW.1 / rows as u32)
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name in the table and for `--only`.
    pub name: String,
    /// What it does.
    pub shape: Shape,
    /// Measured seconds.
    pub seconds: u64,
    /// Warm-up seconds before measuring.
    pub warmup: u64,
    /// Print a line of figures every minute of the window (the soak).
    pub every_minute: bool,
}

impl Scenario {
    fn new(shape: Shape, seconds: u64, warmup: u64) -> Self {
        let name = match shape {
            Shape::Fanout(n) => format!("1to{n}"),
            Shape::Recorded(n) => format!("1to{n}-rec"),
            Shape::Rooms(r, s) => format!("rooms-{r}x{s}"),
            Shape::Idle(n) => format!("idle-{n}"),
            Shape::Simulcast { size, tiles } => {
                format!("sim-{size}{}", if tiles { "-tiles" } else { "" })
            }
        };
        Self {
            name,
            shape,
            seconds,
            warmup,
            every_minute: false,
        }
    }

    /// Participants in the row.
    pub fn participants(&self) -> usize {
        match self.shape {
            Shape::Fanout(n) | Shape::Recorded(n) => n + 1,
            Shape::Rooms(r, s) => r * s,
            Shape::Idle(n) | Shape::Simulcast { size: n, .. } => n,
        }
    }

    /// Whether only Treff runs it (Janus's VideoRoom has no consent-gated recording to compare).
    pub fn treff_only(&self) -> bool {
        matches!(self.shape, Shape::Recorded(_) | Shape::Simulcast { .. })
    }
}

/// The rows to run: everything, or the `--quick` subset (10 s each, the rooms row 5 s).
pub fn rows(quick: bool, seconds: u64, warmup: u64) -> Vec<Scenario> {
    if quick {
        let warmup = warmup.min(2);
        vec![
            Scenario::new(Shape::Fanout(10), 10, warmup),
            Scenario::new(Shape::Recorded(10), 10, warmup),
            Scenario::new(Shape::Fanout(40), 10, warmup),
            Scenario::new(Shape::Idle(40), 10, warmup),
            Scenario::new(Shape::Rooms(10, 5), 5, warmup),
        ]
    } else {
        let mut rows: Vec<Scenario> = [1, 5, 10, 20, 40, 80, 160]
            .into_iter()
            .map(|n| Scenario::new(Shape::Fanout(n), seconds, warmup))
            .collect();
        // Recording beside the default room size.
        rows.insert(4, Scenario::new(Shape::Recorded(20), seconds, warmup));
        rows.push(Scenario::new(Shape::Rooms(10, 5), seconds, warmup));
        rows.push(Scenario::new(Shape::Idle(40), seconds, warmup));
        rows.extend(simulcast_rows(seconds, warmup));
        rows
    }
}

/// The downlink rows of simulcast: rooms of 10 and 20 with one layer per camera (no simulcast),
/// with three and every receiver at the best, and with three and tiles reported.
pub fn simulcast_rows(seconds: u64, warmup: u64) -> Vec<Scenario> {
    let mut rows = Vec::new();
    for size in [10, 20] {
        rows.push(Scenario::new(Shape::Rooms(1, size), seconds, warmup));
        for tiles in [false, true] {
            rows.push(Scenario::new(
                Shape::Simulcast { size, tiles },
                seconds,
                warmup,
            ));
        }
    }
    rows
}

/// A short 1to1 call before the idle figures are taken again: it pages in the server's media code
/// (several MB of the binary that an idle server never ran), so that comparing the memory after all
/// rows with this warm idle figure shows what the rooms kept, not what code they ran.
pub fn warm_up() -> Scenario {
    Scenario::new(Shape::Fanout(1), 2, 1)
}

/// The soak (`--soak`): 10 rooms of 4, everyone publishing, for `minutes`, a line every minute.
pub fn soak(minutes: u64, warmup: u64) -> Scenario {
    Scenario {
        name: "soak-10x4".into(),
        every_minute: true,
        ..Scenario::new(Shape::Rooms(10, 4), minutes.max(1) * 60, warmup)
    }
}

/// Which server a row runs against.
pub enum Target<'a> {
    /// Treff at this HTTP address.
    Treff(&'a ServerProcess),
    /// Janus at this WebSocket address.
    Janus(&'a ServerProcess),
}

impl<'a> Target<'a> {
    /// The target for the server named `server` (`treff` or `janus`).
    pub fn of(server: &str, process: &'a ServerProcess) -> Self {
        if server == "treff" {
            Self::Treff(process)
        } else {
            Self::Janus(process)
        }
    }

    fn process(&self) -> &ServerProcess {
        match self {
            Target::Treff(p) | Target::Janus(p) => p,
        }
    }
}

/// The figures of one row against one server.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RowResult {
    /// `treff` or `janus`.
    pub server: String,
    /// The row's name.
    pub row: String,
    /// Participants in the row.
    pub participants: usize,
    /// Receivers that got video from every publisher they should, of all receivers.
    pub ready: usize,
    /// Receivers in the row.
    pub receivers: usize,
    /// Measured wall time, seconds.
    pub seconds: f64,
    /// Server CPU, percent of one core.
    pub server_cpu_pct: f64,
    /// Of that, the recording's capture thread (recorded rows), percent of one core.
    pub capture_cpu_pct: Option<f64>,
    /// Server CPU per forwarded packet, microseconds (`None` without packets).
    pub us_per_packet: Option<f64>,
    /// Packets received per second, all receivers together.
    pub packets_per_second: f64,
    /// Packets the publishers sent per second (each once).
    pub sent_per_second: f64,
    /// Packets that should have arrived but did not, percent.
    pub loss_pct: Option<f64>,
    /// Simulcast rows: video payload each receiver got, Mbit/s (mean over receivers).
    pub video_downlink_mbps: Option<f64>,
    /// Simulcast rows: what each would get at every camera's best layer, Mbit/s.
    pub best_layers_mbps: Option<f64>,
    /// Video frames that did not arrive complete, summed over receivers.
    pub frames_lost: u64,
    /// Video frames that should have arrived complete.
    pub frames_expected: u64,
    /// Added latency, median, ms.
    pub p50_ms: Option<f64>,
    /// Added latency, 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Server RSS when the row started, MB.
    pub rss_before_mb: f64,
    /// Peak server RSS during the window, MB.
    pub rss_peak_mb: f64,
    /// (peak - before) / participants, MB.
    pub rss_per_participant_mb: f64,
    /// Server RSS after everyone left and the rooms ended, MB.
    pub rss_after_mb: f64,
    /// The generator's own CPU, percent of its core.
    pub generator_cpu_pct: f64,
    /// The generator used more than 90 % of its core: the row is not the server's figure.
    pub generator_saturated: bool,
    /// Packets that carried no trailer of ours (should be 0).
    pub foreign_packets: u64,
    /// Joins, negotiations or subscriptions that failed.
    pub failures: Vec<String>,
}

impl RowResult {
    /// Whether the row counts for "viewers per core": all receivers served, loss under 0.5 %,
    /// the generator not saturated.
    pub fn holds(&self) -> bool {
        self.ready == self.receivers
            && self.receivers > 0
            && !self.generator_saturated
            && self.loss_pct.is_some_and(|l| l < 0.5)
            && self.failures.is_empty()
    }
}

/// A joined participant of either server.
enum Member {
    Treff(treff::Participant),
    Janus(janus::Participant),
}

impl Member {
    fn sources(&self) -> &Sources {
        match self {
            Member::Treff(p) => &p.sources,
            Member::Janus(p) => &p.sources,
        }
    }

    /// Negotiation failures of a Treff participant (offers it could not answer).
    fn errors(&self) -> Vec<String> {
        match self {
            Member::Treff(p) => p.errors.lock().map(|e| e.clone()).unwrap_or_default(),
            Member::Janus(_) => Vec::new(),
        }
    }

    async fn leave(self) {
        match self {
            Member::Treff(p) => p.leave().await,
            Member::Janus(p) => p.leave().await,
        }
    }
}

/// One participant to create: its room, whether it publishes, which sources it should receive.
struct Plan {
    room: usize,
    name: String,
    publishing: Option<Publishing>,
    expects: Vec<u16>,
}

fn plan(shape: Shape) -> (usize, Vec<Plan>) {
    let mut plans = Vec::new();
    let mut next_source = 0u16;
    let (rooms, size, publishers) = match shape {
        Shape::Fanout(n) | Shape::Recorded(n) => (1, n + 1, 1),
        Shape::Rooms(r, s) => (r, s, s),
        Shape::Idle(n) => (1, n, 0),
        Shape::Simulcast { size, .. } => (1, size, size),
    };
    let simulcast = matches!(shape, Shape::Simulcast { .. });
    for room in 0..rooms {
        let sources: Vec<u16> = (0..publishers)
            .map(|_| {
                next_source += 1;
                next_source - 1
            })
            .collect();
        for i in 0..size {
            let publishing = sources.get(i).map(|&source| Publishing {
                source,
                fanout: (size - 1) as u64,
                simulcast,
            });
            let expects = if publishers == 0 {
                Vec::new()
            } else {
                sources
                    .iter()
                    .copied()
                    .filter(|s| Some(*s) != publishing.map(|p| p.source))
                    .collect()
            };
            plans.push(Plan {
                room,
                name: format!("bench-{room}-{i}"),
                publishing,
                expects,
            });
        }
    }
    (rooms, plans)
}

/// Runs one row against one server.
pub async fn run(target: &Target<'_>, sc: &Scenario) -> Result<RowResult> {
    let pid = target.process().pid;
    let addr = target.process().addr;
    let media_ip = target
        .process()
        .media_ip
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let tally = Tally::new();
    let rss_before = measure::process_rss(pid)?;
    let (room_count, plans) = plan(sc.shape);
    let mut failures = Vec::new();

    // Rooms: Treff's exist when someone joins (a recorded row's is created, for its moderator
    // key: the publisher moderates); Janus's are created by a control session.
    let recorded = matches!(sc.shape, Shape::Recorded(_));
    let meeting = match target {
        Target::Treff(_) if recorded => Some(treff::create_meeting(addr).await?),
        _ => None,
    };
    let treff_rooms: Vec<_> = (0..room_count)
        .map(|_| {
            meeting
                .as_ref()
                .map_or_else(treff::new_room, |m| m.room.clone())
        })
        .collect();
    let moderator_key = meeting.as_ref().map(|m| m.moderator_key.clone());
    let janus_rooms: Vec<u64> = (0..room_count)
        .map(|_| {
            let b = crate::random_bytes();
            u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], 0, 0])
        })
        .collect();
    let control = match target {
        Target::Janus(_) => {
            let session = janus::Session::connect(addr).await?;
            let handle = session.attach().await?;
            for &room in &janus_rooms {
                janus::create_room(&session, handle, room).await?;
            }
            Some((session, handle))
        }
        Target::Treff(_) => None,
    };

    // Publishers first, then everyone else.
    let (first, rest): (Vec<&Plan>, Vec<&Plan>) =
        plans.iter().partition(|p| p.publishing.is_some());
    let mut members: Vec<(Member, &Plan)> = Vec::new();
    let mut feeds: Vec<Vec<(u16, u64)>> = vec![Vec::new(); room_count];
    for batch in [first, rest] {
        let joined: Vec<(Result<Member>, &Plan)> = stream::iter(batch)
            .map(|p| {
                let tally = Arc::clone(&tally);
                let treff_room = treff_rooms[p.room].clone();
                let janus_room = janus_rooms[p.room];
                let key = moderator_key.clone().filter(|_| p.publishing.is_some());
                async move {
                    let m = match target {
                        Target::Treff(_) => treff::Participant::join(
                            addr,
                            &treff_room,
                            &p.name,
                            key,
                            p.publishing,
                            &tally,
                        )
                        .await
                        .map(Member::Treff),
                        Target::Janus(_) => janus::Participant::join(
                            addr,
                            media_ip,
                            janus_room,
                            &p.name,
                            p.publishing,
                            &tally,
                        )
                        .await
                        .map(Member::Janus),
                    };
                    (m, p)
                }
            })
            .buffer_unordered(JOIN_CONCURRENCY)
            .collect()
            .await;
        for (m, p) in joined {
            match m {
                Ok(m) => {
                    if let (Member::Janus(j), Some(pb)) = (&m, p.publishing)
                        && let Some(feed) = j.feed
                    {
                        feeds[p.room].push((pb.source, feed));
                    }
                    members.push((m, p));
                }
                Err(e) => failures.push(format!("{}: join: {e:#}", p.name)),
            }
        }
    }

    // Janus: every member subscribes to the feeds of its room it should receive.
    if matches!(target, Target::Janus(_)) {
        let mut subscribed: Vec<(Member, &Plan)> = Vec::new();
        let results: Vec<(Member, &Plan, Option<String>)> = stream::iter(members.drain(..))
            .map(|(mut m, p)| {
                let tally = Arc::clone(&tally);
                let room = janus_rooms[p.room];
                let want: Vec<u64> = feeds[p.room]
                    .iter()
                    .filter(|(s, _)| p.expects.contains(s))
                    .map(|&(_, f)| f)
                    .collect();
                async move {
                    let mut error = None;
                    if let Member::Janus(j) = &mut m
                        && !want.is_empty()
                        && let Err(e) = j.subscribe(room, &want, &tally).await
                    {
                        error = Some(format!("{}: subscribe: {e:#}", p.name));
                    }
                    (m, p, error)
                }
            })
            .buffer_unordered(JOIN_CONCURRENCY)
            .collect()
            .await;
        for (m, p, e) in results {
            failures.extend(e);
            subscribed.push((m, p));
        }
        members = subscribed;
    }

    // Ready: every receiver has video from every source it expects.
    let receivers = plans.iter().filter(|p| !p.expects.is_empty()).count();
    let ready_count = |members: &[(Member, &Plan)]| {
        members
            .iter()
            .filter(|(m, p)| {
                !p.expects.is_empty()
                    && m.sources()
                        .lock()
                        .is_ok_and(|s| p.expects.iter().all(|e| s.contains(e)))
            })
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(20 + plans.len() as u64 / 4);
    while ready_count(&members) < receivers && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ready = ready_count(&members);

    let moderator = members.iter().find_map(|(m, p)| match m {
        Member::Treff(t) if recorded && p.publishing.is_some() => Some(t),
        _ => None,
    });
    if let Some(m) = moderator {
        failures.extend(
            start_recording(m)
                .await
                .err()
                .map(|e| format!("recording: {e:#}")),
        );
    }

    if let Shape::Simulcast { size, tiles: true } = sc.shape {
        failures.extend(report_tiles(&members, size).await);
    }

    tokio::time::sleep(Duration::from_secs(sc.warmup)).await;

    // The window.
    let cpu0 = measure::process_cpu(pid)?;
    let capture_cpu = || {
        recorded
            .then(|| measure::threads_cpu(pid, CAPTURE_THREAD))
            .transpose()
    };
    let capture0 = capture_cpu()?;
    let gen0 = measure::own_cpu();
    let wall0 = Instant::now();
    tally.open();
    let mut rss_peak = measure::process_rss(pid)?;
    let end = wall0 + Duration::from_secs(sc.seconds);
    let mut minutes = Minutes::new(pid, &tally)?;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(500).min(end - Instant::now())).await;
        rss_peak = rss_peak.max(measure::process_rss(pid).unwrap_or(0));
        if sc.every_minute && minutes.due() {
            let errors: usize = members.iter().map(|(m, _)| m.errors().len()).sum();
            minutes.report(&tally, errors)?;
        }
    }
    tally.close();
    let cpu1 = measure::process_cpu(pid)?;
    let capture1 = capture_cpu()?;
    let gen1 = measure::own_cpu();
    let wall = wall0.elapsed().as_secs_f64();
    tokio::time::sleep(DRAIN).await;
    if let Some(m) = moderator {
        failures.extend(
            stop_recording(m)
                .await
                .err()
                .map(|e| format!("recording: {e:#}")),
        );
    }

    for (m, p) in &members {
        failures.extend(
            m.errors()
                .into_iter()
                .map(|e| format!("{}: negotiation: {e}", p.name)),
        );
    }
    // Everyone leaves; the rooms end.
    let _: Vec<()> = stream::iter(members.into_iter().map(|(m, _)| m.leave()))
        .buffer_unordered(16)
        .collect()
        .await;
    if let Some((session, handle)) = control {
        for &room in &janus_rooms {
            if let Err(e) = janus::destroy_room(&session, handle, room).await {
                failures.push(format!("destroy room: {e:#}"));
            }
        }
        session.destroy().await;
    }
    tokio::time::sleep(SETTLE).await;
    let rss_after = measure::process_rss(pid)?;

    let received = tally.received_packets.load(Ordering::Relaxed);
    let expected = tally.expected_packets.load(Ordering::Relaxed);
    let frames_expected = tally.expected_frames.load(Ordering::Relaxed);
    let frames_received = tally.received_frames.load(Ordering::Relaxed);
    let server_cpu = cpu1.saturating_sub(cpu0);
    let generator_cpu_pct = gen1.saturating_sub(gen0).as_secs_f64() / wall * 100.0;
    let per_receiver_mbps = |bytes: &AtomicU64| {
        let bits = bytes.load(Ordering::Relaxed) as f64 * 8.0;
        bits / receivers.max(1) as f64 / wall / 1e6
    };
    let simulcast = matches!(sc.shape, Shape::Simulcast { .. });
    let tiles = matches!(sc.shape, Shape::Simulcast { tiles: true, .. });
    Ok(RowResult {
        server: match target {
            Target::Treff(_) => "treff".into(),
            Target::Janus(_) => "janus".into(),
        },
        row: sc.name.clone(),
        participants: sc.participants(),
        ready,
        receivers,
        seconds: wall,
        server_cpu_pct: server_cpu.as_secs_f64() / wall * 100.0,
        capture_cpu_pct: capture0
            .zip(capture1)
            .map(|(a, b)| b.saturating_sub(a).as_secs_f64() / wall * 100.0),
        us_per_packet: (received > 0).then(|| server_cpu.as_micros() as f64 / received as f64),
        packets_per_second: received as f64 / wall,
        sent_per_second: tally.sent_packets.load(Ordering::Relaxed) as f64 / wall,
        // With tiles reported, receivers get less than the best layers on purpose: no loss figure.
        loss_pct: (expected > 0 && !tiles)
            .then(|| expected.saturating_sub(received) as f64 / expected as f64 * 100.0),
        video_downlink_mbps: simulcast.then(|| per_receiver_mbps(&tally.received_video_bytes)),
        best_layers_mbps: simulcast.then(|| per_receiver_mbps(&tally.expected_video_bytes)),
        frames_lost: frames_expected.saturating_sub(frames_received),
        frames_expected,
        p50_ms: tally.latency.quantile_ms(0.5),
        p99_ms: tally.latency.quantile_ms(0.99),
        rss_before_mb: measure::mb(rss_before),
        rss_peak_mb: measure::mb(rss_peak),
        rss_per_participant_mb: measure::mb(rss_peak.saturating_sub(rss_before))
            / sc.participants() as f64,
        rss_after_mb: measure::mb(rss_after),
        generator_cpu_pct,
        generator_saturated: generator_cpu_pct > 90.0,
        foreign_packets: tally.foreign_packets.load(Ordering::Relaxed),
        failures,
    })
}

/// Every Treff member of a simulcast row reports the others' cameras at the tile size of a room of
/// `size` in tile view. Returns the failures.
async fn report_tiles(members: &[(Member, &Plan)], size: usize) -> Vec<String> {
    let ids: Vec<ParticipantId> = members
        .iter()
        .filter_map(|(m, _)| match m {
            Member::Treff(t) => Some(t.id),
            Member::Janus(_) => None,
        })
        .collect();
    let (width, height) = tile_size(size);
    let mut failures = Vec::new();
    for (m, p) in members {
        let Member::Treff(t) = m else {
            continue;
        };
        let tiles = ids
            .iter()
            .filter(|id| **id != t.id)
            .map(|&participant| TileSize {
                participant,
                kind: TrackKind::Video,
                width,
                height,
                featured: false,
            })
            .collect();
        if let Err(e) = t.send(&ClientMsg::Tiles { tiles }).await {
            failures.push(format!("{}: tiles: {e:#}", p.name));
        }
    }
    failures
}

/// The soak's line every minute: the server's RSS (and its growth since the end of the first
/// minute), its CPU over the minute, the packets receivers got in it, the loss, the errors so far.
struct Minutes {
    pid: u32,
    started: Instant,
    n: u64,
    cpu: Duration,
    received: u64,
    expected: u64,
    first_rss: Option<u64>,
}

impl Minutes {
    fn new(pid: u32, tally: &Tally) -> Result<Self> {
        Ok(Self {
            pid,
            started: Instant::now(),
            n: 0,
            cpu: measure::process_cpu(pid)?,
            received: tally.received_packets.load(Ordering::Relaxed),
            expected: tally.expected_packets.load(Ordering::Relaxed),
            first_rss: None,
        })
    }

    fn due(&self) -> bool {
        self.started.elapsed() >= Duration::from_secs(60 * (self.n + 1))
    }

    fn report(&mut self, tally: &Tally, errors: usize) -> Result<()> {
        self.n += 1;
        let rss = measure::process_rss(self.pid)?;
        let first = *self.first_rss.get_or_insert(rss);
        let cpu = measure::process_cpu(self.pid)?;
        let received = tally.received_packets.load(Ordering::Relaxed);
        let expected = tally.expected_packets.load(Ordering::Relaxed);
        let (got, wanted) = (received - self.received, expected - self.expected);
        eprintln!(
            "soak minute {:>3}: RSS {:>6.1} MB ({:+.1} % since minute 1), CPU {:>5.1} %, {} packets \
             received, loss {:.2} %, {errors} errors",
            self.n,
            measure::mb(rss),
            measure::percent_over(rss as f64, first as f64),
            cpu.saturating_sub(self.cpu).as_secs_f64() / 60.0 * 100.0,
            got,
            wanted.saturating_sub(got) as f64 / wanted.max(1) as f64 * 100.0,
        );
        (self.cpu, self.received, self.expected) = (cpu, received, expected);
        Ok(())
    }
}

/// The name of Treff's capture thread (`recording::jobs::CAPTURE_THREAD` in the backend).
const CAPTURE_THREAD: &str = "treff-capture";

/// How long capture may take to start (everyone's yes) and the output job to end.
const RECORDING_START: Duration = Duration::from_secs(20);
const OUTPUT_JOB: Duration = Duration::from_secs(300);

/// The moderator proposes a recording (everyone says yes by themselves); returns once capture runs.
async fn start_recording(moderator: &treff::Participant) -> Result<()> {
    moderator
        .send(&treff_shared::ClientMsg::Recording {
            action: treff_shared::RecordingAction::Propose,
        })
        .await?;
    let seen = &moderator.recording;
    wait_for(RECORDING_START, || seen.capturing.load(Ordering::Relaxed))
        .await
        .map_err(|_| anyhow!("capture did not start within {RECORDING_START:?}"))
}

/// Checks that capture ran through the window, stops the recording and waits for its output job
/// to end, so that its ffmpeg does not run into the next row.
async fn stop_recording(moderator: &treff::Participant) -> Result<()> {
    let seen = &moderator.recording;
    let ran = seen.capturing.load(Ordering::Relaxed);
    moderator
        .send(&treff_shared::ClientMsg::Recording {
            action: treff_shared::RecordingAction::Stop,
        })
        .await?;
    let started = Instant::now();
    wait_for(OUTPUT_JOB, || seen.job_ended.load(Ordering::Relaxed))
        .await
        .map_err(|_| anyhow!("the output job did not end within {OUTPUT_JOB:?}"))?;
    eprintln!(
        "treff-loadgen:   the recording's output job ended {:.1} s after the stop",
        started.elapsed().as_secs_f64()
    );
    if !ran {
        return Err(anyhow!("capture paused during the window"));
    }
    Ok(())
}

/// Polls `done` every 100 ms until it holds or `within` passed.
async fn wait_for(within: Duration, done: impl Fn() -> bool) -> Result<(), ()> {
    let deadline = Instant::now() + within;
    while !done() {
        if Instant::now() >= deadline {
            return Err(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// A failed row: the error in place of figures.
pub fn failed(server: &str, sc: &Scenario, e: &anyhow::Error) -> RowResult {
    RowResult {
        server: server.into(),
        row: sc.name.clone(),
        participants: sc.participants(),
        failures: vec![format!("row failed: {e:#}")],
        ..RowResult::default()
    }
}

/// Rows named in `--only`, in table order; an unknown name is an error.
pub fn select(rows: Vec<Scenario>, only: &[String]) -> Result<Vec<Scenario>> {
    if only.is_empty() {
        return Ok(rows);
    }
    for name in only {
        if !rows.iter().any(|r| &r.name == name) {
            let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
            return Err(anyhow!("no row `{name}`; rows: {}", names.join(", ")));
        }
    }
    Ok(rows
        .into_iter()
        .filter(|r| only.contains(&r.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_give_each_receiver_the_sources_of_its_room() {
        let (rooms, plans) = plan(Shape::Fanout(3));
        assert_eq!(rooms, 1);
        assert_eq!(plans.len(), 4);
        assert_eq!(plans[0].publishing.map(|p| p.fanout), Some(3));
        assert!(plans[1..].iter().all(|p| p.expects == [0]));

        let (rooms, plans) = plan(Shape::Rooms(2, 3));
        assert_eq!(rooms, 2);
        assert!(plans.iter().all(|p| p.publishing.is_some()));
        assert_eq!(plans[4].expects, [3, 5]);

        let (_, plans) = plan(Shape::Idle(5));
        assert!(
            plans
                .iter()
                .all(|p| p.expects.is_empty() && p.publishing.is_none())
        );

        // Simulcast rows: everyone publishes three layers to the other three.
        let (_, plans) = plan(Shape::Simulcast {
            size: 4,
            tiles: true,
        });
        assert!(
            plans
                .iter()
                .all(|p| p.publishing.is_some_and(|p| p.simulcast && p.fanout == 3))
        );
        assert_eq!(plans[1].expects, [0, 2, 3]);
    }

    #[test]
    fn a_tile_view_is_as_square_as_the_ui_lays_it_out() {
        // Room of 20: 5 × 4 tiles of 256 × 180, under the low layer's 320.
        assert_eq!(tile_size(20), (256, 180));
        assert_eq!(tile_size(10), (320, 240));
        assert_eq!(tile_size(2), (640, 720));
        assert_eq!(tile_size(1), (1280, 720));
    }

    #[test]
    fn only_selects_known_rows() {
        let rows = rows(false, 20, 3);
        // 1toN for 7 sizes, 1to20-rec, rooms-10x5, idle-40; per simulcast room size (10, 20) one
        // layer, the best layers and tiles.
        assert_eq!(rows.len(), 16);
        let picked = select(rows.clone(), &["idle-40".into(), "1to5".into()]).expect("known");
        assert_eq!(picked.len(), 2);
        assert!(select(rows, &["1to7".into()]).is_err());
    }
}
