//! Who is speaking, from audio levels sampled a few times a second.
//!
//! Each sample gives every audible participant a level: the RMS of what the browser played (or, for
//! ourselves, captured) since the previous sample, from the `totalAudioEnergy` /
//! `totalSamplesDuration` counters of `getStats`, so a short sound between two samples still counts.
//!
//! Invariants:
//! - The highlight (`speaking`) goes to the loudest participant above [`THRESHOLD`] and stays on them
//!   for [`HOLD_MS`] after they were last heard, so pauses between words do not make it blink.
//! - The featured participant of speaker view (`active`) changes only when someone else has been the
//!   loudest for [`SWITCH_SAMPLES`] samples in a row, and stays on the last speaker through silence.

use treff_shared::ParticipantId;

/// RMS level (0..1) above which a participant counts as speaking. Silence with noise suppression is
/// around 0.001; speech and the test's beep are far above 0.01.
pub const THRESHOLD: f64 = 0.01;
/// How long the highlight stays after the participant was last heard.
pub const HOLD_MS: f64 = 1_500.0;
/// How many samples in a row someone else must be the loudest before speaker view switches to them.
pub const SWITCH_SAMPLES: u32 = 2;
/// How often the levels are sampled.
pub const SAMPLE_MS: u64 = 300;

/// Audio counters of one participant at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Energy {
    /// `totalAudioEnergy`.
    pub energy: f64,
    /// `totalSamplesDuration` in seconds.
    pub duration: f64,
}

/// The RMS level between two readings of the same counters; `None` without new audio.
pub fn level(before: Energy, after: Energy) -> Option<f64> {
    let duration = after.duration - before.duration;
    let energy = after.energy - before.energy;
    (duration > 0.0 && energy >= 0.0).then(|| (energy / duration).sqrt())
}

/// The speaking state, fed one sample at a time.
#[derive(Debug, Default)]
pub struct SpeakerTracker {
    speaking: Option<(ParticipantId, f64)>,
    active: Option<ParticipantId>,
    candidate: Option<(ParticipantId, u32)>,
}

impl SpeakerTracker {
    /// Takes the levels of one sample (taken at `now_ms`).
    pub fn sample(&mut self, levels: &[(ParticipantId, f64)], now_ms: f64) {
        let loudest = levels
            .iter()
            .filter(|(_, l)| *l >= THRESHOLD)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| *id);
        match loudest {
            Some(id) => {
                self.speaking = Some((id, now_ms));
                if self.active.is_none() {
                    self.active = Some(id);
                }
                if self.active == Some(id) {
                    self.candidate = None;
                } else {
                    let count = match self.candidate {
                        Some((c, n)) if c == id => n + 1,
                        _ => 1,
                    };
                    if count >= SWITCH_SAMPLES {
                        self.active = Some(id);
                        self.candidate = None;
                    } else {
                        self.candidate = Some((id, count));
                    }
                }
            }
            None => {
                self.candidate = None;
                if self
                    .speaking
                    .is_some_and(|(_, heard)| now_ms - heard > HOLD_MS)
                {
                    self.speaking = None;
                }
            }
        }
    }

    /// Who is highlighted as speaking now.
    pub fn speaking(&self) -> Option<ParticipantId> {
        self.speaking.map(|(id, _)| id)
    }

    /// Who speaker view features.
    pub fn active(&self) -> Option<ParticipantId> {
        self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ParticipantId = ParticipantId(1);
    const B: ParticipantId = ParticipantId(2);

    #[test]
    fn level_is_the_rms_between_two_readings() {
        let a = Energy {
            energy: 1.0,
            duration: 2.0,
        };
        let b = Energy {
            energy: 1.25,
            duration: 3.0,
        };
        assert_eq!(level(a, b), Some(0.5));
        assert_eq!(level(b, b), None);
    }

    #[test]
    fn the_loudest_above_the_threshold_speaks_and_the_highlight_holds_briefly() {
        let mut t = SpeakerTracker::default();
        t.sample(&[(A, 0.001), (B, 0.002)], 0.0);
        assert_eq!(t.speaking(), None);
        t.sample(&[(A, 0.2), (B, 0.05)], 300.0);
        assert_eq!(t.speaking(), Some(A));
        assert_eq!(t.active(), Some(A));
        t.sample(&[(A, 0.0), (B, 0.0)], 600.0);
        assert_eq!(t.speaking(), Some(A), "held through a pause");
        t.sample(&[], 300.0 + HOLD_MS + 1.0);
        assert_eq!(t.speaking(), None);
        assert_eq!(t.active(), Some(A), "speaker view keeps the last speaker");
    }

    #[test]
    fn speaker_view_switches_only_after_repeated_samples() {
        let mut t = SpeakerTracker::default();
        t.sample(&[(A, 0.2)], 0.0);
        t.sample(&[(B, 0.3)], 300.0);
        assert_eq!(t.speaking(), Some(B));
        assert_eq!(t.active(), Some(A), "one sample is not enough");
        t.sample(&[(A, 0.3)], 600.0);
        t.sample(&[(B, 0.3)], 900.0);
        assert_eq!(t.active(), Some(A), "the count restarts");
        t.sample(&[(B, 0.3)], 1_200.0);
        assert_eq!(t.active(), Some(B));
    }
}
