//! An incident hold on this conference's session log (R7: "longer only for a security incident"):
//! an operator's `treff admin hold` reaches the room, which writes its log to the server's
//! [`Holds`](crate::holds::Holds) at once and again, complete, when the conference ends. Without a
//! hold the log goes with the room like everything else.

use std::time::{Duration, Instant, SystemTime};

use crate::holds::{HeldLog, HoldMeta};

use super::Room;

impl Room {
    /// `Command::Hold`: puts the session log on hold for `duration` (the maximum when `None`).
    /// A second hold while one exists answers the existing one.
    pub(super) fn hold(
        &mut self,
        reason: String,
        duration: Option<Duration>,
    ) -> Result<HoldMeta, String> {
        let holds = self
            .holds
            .clone()
            .ok_or_else(|| "this server keeps no holds".to_string())?;
        if let Some(existing) = self.session_log.hold()
            && holds.is_held(&existing.id)
        {
            return Ok(existing.clone());
        }
        let meta = holds
            .new_hold(reason, duration, SystemTime::now())
            .map_err(|e| e.to_string())?;
        holds
            .hold(&self.held_log(&meta, None), SystemTime::now())
            .map_err(|e| e.to_string())?;
        self.session_log.set_hold(meta.clone());
        tracing::info!("a conference's session log was put on hold for an incident");
        Ok(meta)
    }

    /// At the end: a held log is written once more, complete, if the hold still exists.
    pub(super) fn seal_hold(&mut self, now: Instant) {
        let (Some(holds), Some(meta)) = (self.holds.clone(), self.session_log.hold().cloned())
        else {
            return;
        };
        let log = self.held_log(&meta, Some(self.wall_ms(now)));
        if let Err(e) = holds.update(&log) {
            tracing::error!(error = %e, "could not write a held session log at the conference's end");
        }
    }

    fn held_log(&self, meta: &HoldMeta, ended_at_ms: Option<u64>) -> HeldLog {
        HeldLog {
            hold: meta.clone(),
            conference_started_at_ms: self.wall_ms(self.started.0),
            conference_ended_at_ms: ended_at_ms,
            entries: self.session_log.entries().to_vec(),
            omitted: self.session_log.omitted(),
        }
    }

    /// Whether the session log is on hold right now (a released or expired hold is not).
    pub(super) fn log_on_hold(&self) -> bool {
        match (&self.holds, self.session_log.hold()) {
            (Some(holds), Some(meta)) => holds.is_held(&meta.id),
            _ => false,
        }
    }
}
