//! The printed table (Markdown, so it can be pasted into the README as it is) and the summary
//! lines under it: viewers per core, memory after all rooms vs the idle server, the Treff/Janus
//! ratio per row, and what each row's notes mean.

use crate::measure;
use crate::scenario::RowResult;
use std::fmt::Write as _;

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.digits$}"))
}

/// What a server looked like before any row and after all of them.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ServerSummary {
    /// `treff` or `janus`.
    pub server: String,
    /// RSS of the idle server before the first row, MB.
    pub idle_rss_mb: f64,
    /// RSS after the last row's rooms ended, MB.
    pub final_rss_mb: f64,
    /// The anonymous part (heap, stacks) of the idle RSS, MB.
    pub idle_anon_mb: f64,
    /// RSS once idle again after a warm-up call (`scenario::warm_up`), MB.
    pub warm_rss_mb: f64,
    /// The anonymous part of the warm idle RSS, MB.
    pub warm_anon_mb: f64,
    /// The anonymous part of the final RSS, MB.
    pub final_anon_mb: f64,
    /// Largest `1toN` row that held (all served, loss < 0.5 %, generator not saturated).
    pub largest_held: Option<usize>,
    /// That N extrapolated to a full core: N × 100 / CPU %.
    pub viewers_per_core: Option<f64>,
}

/// Fills in the viewers-per-core figure of `summary` from the server's rows.
pub fn viewers_per_core(summary: &mut ServerSummary, rows: &[RowResult]) {
    let best = rows
        .iter()
        .filter(|r| r.server == summary.server && r.row.starts_with("1to") && r.holds())
        .filter_map(|r| {
            r.row
                .trim_start_matches("1to")
                .parse::<usize>()
                .ok()
                .map(|n| (n, r))
        })
        .max_by_key(|(n, _)| *n);
    if let Some((n, r)) = best {
        summary.largest_held = Some(n);
        summary.viewers_per_core =
            (r.server_cpu_pct > 0.0).then(|| n as f64 * 100.0 / r.server_cpu_pct);
    }
}

/// One note per row: what makes the figure not count, or failures.
fn note(r: &RowResult) -> String {
    let mut notes = Vec::new();
    if r.generator_saturated {
        notes.push(format!(
            "GENERATOR SATURATED ({:.0} %): does not count",
            r.generator_cpu_pct
        ));
    }
    if r.receivers > 0 && r.ready < r.receivers {
        notes.push(format!(
            "only {}/{} receivers got media",
            r.ready, r.receivers
        ));
    }
    if r.foreign_packets > 0 {
        notes.push(format!("{} foreign packets", r.foreign_packets));
    }
    if !r.failures.is_empty() {
        notes.push(format!(
            "{} failures, first: {}",
            r.failures.len(),
            r.failures[0]
        ));
    }
    notes.join("; ")
}

/// The table and summary as printed.
pub fn render(rows: &[RowResult], summaries: &[ServerSummary], room_limit: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| row | server | µs/pkt | fwd pkt/s | loss % | frames lost | p50 ms | p99 ms | CPU % | RSS/part MB | RSS after MB | gen CPU % | notes |"
    );
    let _ = writeln!(
        out,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {:.1} | {:.2} | {:.1} | {:.0} | {} |",
            r.row,
            r.server,
            opt(r.us_per_packet, 1),
            r.packets_per_second,
            opt(r.loss_pct, 2),
            if r.frames_expected > 0 {
                format!("{}/{}", r.frames_lost, r.frames_expected)
            } else {
                "–".into()
            },
            opt(r.p50_ms, 2),
            opt(r.p99_ms, 2),
            r.server_cpu_pct,
            r.rss_per_participant_mb,
            r.rss_after_mb,
            r.generator_cpu_pct,
            note(r)
        );
    }
    let _ = writeln!(out);
    // Treff/Janus per row.
    let ratios: Vec<String> = rows
        .iter()
        .filter(|r| r.server == "treff")
        .filter_map(|t| {
            let j = rows
                .iter()
                .find(|j| j.server == "janus" && j.row == t.row)?;
            let ratio = match (t.us_per_packet, j.us_per_packet) {
                (Some(a), Some(b)) if b > 0.0 => format!(
                    "{}: Treff/Janus µs per packet {:.2} (Janus {:.1}× Treff's cost)",
                    t.row,
                    a / b,
                    b / a
                ),
                _ if j.server_cpu_pct > 0.0 => format!(
                    "{}: Treff/Janus CPU {:.2} ({:.1} % vs {:.1} %)",
                    t.row,
                    t.server_cpu_pct / j.server_cpu_pct,
                    t.server_cpu_pct,
                    j.server_cpu_pct
                ),
                _ => return None,
            };
            Some(ratio)
        })
        .collect();
    if !ratios.is_empty() {
        let _ = writeln!(out, "Treff/Janus per row (below 1: Treff is cheaper):");
        for r in ratios {
            let _ = writeln!(out, "- {r}");
        }
        let _ = writeln!(out);
    }
    // Recording vs not, same load (Treff): the whole server, and the forwarding without the
    // capture thread (which writes the files).
    for rec in rows.iter().filter(|r| r.row.ends_with("-rec")) {
        let plain = rec.row.trim_end_matches("-rec");
        let Some(p) = rows
            .iter()
            .find(|p| p.server == rec.server && p.row == plain)
        else {
            continue;
        };
        let change = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:+.0} %", measure::percent_over(a, b)),
            _ => "–".into(),
        };
        let capture = rec.capture_cpu_pct.unwrap_or(0.0);
        let forwarding = rec
            .us_per_packet
            .map(|us| us * (1.0 - capture / rec.server_cpu_pct.max(f64::EPSILON)));
        let _ = writeln!(
            out,
            "Recording: {} vs {plain}: µs per packet {} vs {} ({}); without the capture thread \
             ({capture:.1} % of a core) {} ({}); CPU {:.1} % vs {:.1} %\n",
            rec.row,
            opt(rec.us_per_packet, 1),
            opt(p.us_per_packet, 1),
            change(rec.us_per_packet, p.us_per_packet),
            opt(forwarding, 1),
            change(forwarding, p.us_per_packet),
            rec.server_cpu_pct,
            p.server_cpu_pct
        );
    }
    // Simulcast: each room size without simulcast, at the best layers, and with tiles reported.
    for tiles in rows.iter().filter(|r| r.row.ends_with("-tiles")) {
        let all = tiles.row.trim_end_matches("-tiles");
        let Some(best) = rows
            .iter()
            .find(|r| r.server == tiles.server && r.row == all)
        else {
            continue;
        };
        let single = format!("rooms-1x{}", tiles.participants);
        let single = rows
            .iter()
            .find(|r| r.server == tiles.server && r.row == single);
        let _ = writeln!(
            out,
            "Simulcast, room of {}: video downlink per receiver {} Mbit/s with tiles reported (tile view) \
             vs {} Mbit/s at every camera's best layer ({} Mbit/s sent at it); µs per forwarded packet {} \
             with tiles, {} at the best layers, {} without simulcast\n",
            tiles.participants,
            opt(tiles.video_downlink_mbps, 2),
            opt(best.video_downlink_mbps, 2),
            opt(best.best_layers_mbps, 2),
            opt(tiles.us_per_packet, 1),
            opt(best.us_per_packet, 1),
            opt(single.and_then(|s| s.us_per_packet), 1),
        );
    }
    for s in summaries {
        let _ = writeln!(
            out,
            "{}: idle RSS {:.1} MB, {:.1} MB after a warm-up call, after all rows {:.1} MB ({:+.0} % of the warm idle); \
             anonymous (heap, stacks) {:.1} MB, {:.1} MB warm, after all rows {:.1} MB; viewers per core: {}",
            s.server,
            s.idle_rss_mb,
            s.warm_rss_mb,
            s.final_rss_mb,
            measure::percent_over(s.final_rss_mb, s.warm_rss_mb),
            s.idle_anon_mb,
            s.warm_anon_mb,
            s.final_anon_mb,
            match (s.largest_held, s.viewers_per_core) {
                (Some(n), Some(v)) => format!(
                    "{v:.0} (1to{n} held with loss < 0.5 %, extrapolated to 100 % of a core)"
                ),
                _ => "– (no 1toN row held with loss < 0.5 %)".into(),
            }
        );
    }
    let _ = writeln!(
        out,
        "\nRows above 20 participants use a bench-only room limit ({room_limit}; the default is 20), and as many\n\
         sockets from one address (all come from loopback; the default is 50).\n\
         µs/pkt: server CPU time in the window / packets counted at the receivers. fwd pkt/s: packets the\n\
         receivers decrypted per second. loss %: packets sent in the window that no receiver got.\n\
         frames lost: VP8 frames not received complete (all packets, marker bit), over all receivers.\n\
         p50/p99: added latency from send to receive on the generator's clock. CPU %: of one core.\n\
         RSS/part: (peak RSS - RSS before the row) / participants. RSS after: once everyone left.\n\
         gen CPU %: the generator's own core; above 90 % the row is the generator's limit, not the server's."
    );
    out
}
