//! A receiver's downlink estimate: str0m's send-side bandwidth estimation (Google congestion
//! control over transport-wide congestion control feedback), set up and read for the room's layer
//! choice (`room::layers`).
//!
//! - Every peer starts with [`INITIAL_ESTIMATE`]: enough for a call of a few at full quality, and
//!   the estimator probes upwards within its first second of feedback when more is wanted.
//! - The room tells each peer the estimate it would need to send everything at its best
//!   ([`Downlink::want`]: the best layer of every video shown and the voices, over the share of
//!   the estimate the layer choice gives out); the estimator probes towards it. While a
//!   video gets less than its best, the room also names a minimum: what the next step up would
//!   take. str0m pads up to it (within the estimate), so the link is used and the estimate can grow;
//!   an estimate only measures what is sent. Once per hold of the layer choice the room makes the
//!   estimator probe for the desired rate ([`Downlink::probe`]), which str0m only does by itself
//!   when that rate rises.
//! - The estimate comes back as `Event::EgressBitrateEstimate` ([`Downlink::estimate`]); only while
//!   the estimator can probe does it say anything about the link.
//! - With estimation on, str0m paces what it sends at the estimate (a little above). A client
//!   that gives no feedback (no transport-wide sequence numbers in its answer: some non-browser
//!   clients, the load generator's receivers) would be held at the initial estimate for ever, its
//!   packets queued for seconds; for it, the pacer is opened wide ([`Downlink::answered`]) and the
//!   layer choice goes by tile sizes alone.

use std::time::Instant;

use str0m::Rtc;
use str0m::bwe::{Bitrate, BweKind};

use super::sdp;

/// The estimate a peer starts with, in bits per second (before any feedback).
pub const INITIAL_ESTIMATE: u64 = 2_500_000;
/// Changes of the asked bitrates smaller than this are not passed on.
const RESOLUTION: u64 = 50_000;
/// The pacing for a peer without feedback: far above anything one receiver gets, so nothing waits.
const UNPACED: Bitrate = Bitrate::gbps(10);

/// One peer's side of the estimation.
#[derive(Debug, Default)]
pub struct Downlink {
    /// The client answered without transport-wide feedback: its pacer is open, no estimate.
    without_feedback: bool,
    /// The minimum and desired bitrates last asked for ([`Downlink::want`]).
    asked: Option<(u64, u64)>,
}

impl Downlink {
    /// The estimator's set-up for a new peer's `Rtc`.
    pub fn configure(config: str0m::RtcConfig) -> str0m::RtcConfig {
        config.enable_bwe(Some(Bitrate::bps(INITIAL_ESTIMATE)))
    }

    /// An answer of the client was accepted: without transport-wide feedback in it, nothing will
    /// ever correct the initial estimate, so the pacer stops holding packets back.
    pub fn answered(&mut self, rtc: &mut Rtc, answer: &str) {
        if !self.without_feedback && !sdp::gives_transport_feedback(answer) {
            self.without_feedback = true;
            rtc.bwe().reset(UNPACED);
        }
    }

    /// The room would send this peer `desired` bits per second if the downlink allowed, and wants
    /// the link kept filled to `minimum` (padding where media does not fill it). Changes of less
    /// than [`RESOLUTION`] are not passed on: measured rates wobble, and each call re-arms str0m's
    /// timers.
    pub fn want(&mut self, rtc: &mut Rtc, minimum: u64, desired: u64) {
        let same = |a: u64, b: u64| a.abs_diff(b) < RESOLUTION;
        let unchanged = self
            .asked
            .is_some_and(|(m, d)| same(m, minimum) && same(d, desired));
        if self.without_feedback || unchanged {
            return;
        }
        self.asked = Some((minimum, desired));
        rtc.bwe()
            .set_bitrate(Bitrate::bps(minimum), Bitrate::bps(desired));
    }

    /// Makes the estimator probe the link now for what was last asked ([`Downlink::want`]). str0m
    /// probes when the desired bitrate rises (an allocation probe), not while it stays put: a
    /// receiver held below its best by an old estimate would wait for str0m's stagnation probe,
    /// 15 s and more. So the desired bitrate dips to the minimum for one timeout and comes back.
    pub fn probe(&mut self, rtc: &mut Rtc, now: Instant) {
        let Some((minimum, desired)) = self.asked.filter(|_| !self.without_feedback) else {
            return;
        };
        if desired <= minimum {
            return;
        }
        rtc.bwe()
            .set_bitrate(Bitrate::bps(minimum), Bitrate::bps(minimum));
        super::peer::handle_timeout(rtc, now);
        rtc.bwe()
            .set_bitrate(Bitrate::bps(minimum), Bitrate::bps(desired));
    }

    /// What an estimate event says about the downlink in bits per second: `None` while the
    /// estimator cannot probe (nothing sent with feedback yet), when the last value is stale.
    pub fn estimate(&self, event: &BweKind) -> Option<u64> {
        match event {
            BweKind::Twcc {
                estimate,
                can_probe: true,
            } if !self.without_feedback => Some(estimate.as_u64()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtc() -> Rtc {
        Downlink::configure(Rtc::builder()).build(Instant::now())
    }

    #[test]
    fn an_estimate_counts_only_while_the_estimator_can_probe() {
        let downlink = Downlink::default();
        let probing = BweKind::Twcc {
            estimate: Bitrate::kbps(800),
            can_probe: true,
        };
        let stale = BweKind::Twcc {
            estimate: Bitrate::kbps(800),
            can_probe: false,
        };
        assert_eq!(downlink.estimate(&probing), Some(800_000));
        assert_eq!(downlink.estimate(&stale), None);
    }

    #[test]
    fn a_client_without_feedback_has_no_estimate_and_is_not_asked_for_a_rate() {
        let mut rtc = rtc();
        let mut downlink = Downlink::default();
        downlink.answered(&mut rtc, "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
        assert!(downlink.without_feedback);
        downlink.want(&mut rtc, 0, 1_000_000);
        assert_eq!(downlink.asked, None);
        let event = BweKind::Twcc {
            estimate: Bitrate::kbps(800),
            can_probe: true,
        };
        assert_eq!(downlink.estimate(&event), None);
    }

    #[test]
    fn a_client_with_feedback_keeps_its_estimator_and_only_real_changes_are_passed_on() {
        let mut rtc = rtc();
        let mut downlink = Downlink::default();
        let answer = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
            a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n";
        downlink.answered(&mut rtc, answer);
        assert!(!downlink.without_feedback);
        downlink.want(&mut rtc, 0, 1_000_000);
        downlink.want(&mut rtc, 0, 1_030_000);
        assert_eq!(
            downlink.asked,
            Some((0, 1_000_000)),
            "a wobble is not passed on"
        );
        downlink.want(&mut rtc, 300_000, 1_000_000);
        assert_eq!(downlink.asked, Some((300_000, 1_000_000)));
    }
}
