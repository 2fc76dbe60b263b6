//! Whether the client at the other end of a WebSocket still lives: the server pings every
//! `Limits::ws_ping_interval_ms`, and a socket from which nothing (no message, no pong) came for
//! `Limits::peer_timeout_ms` is dead: its session ends, and a joined participant leaves, so the
//! others see a vanished laptop go instead of a frozen tile. TCP alone notices a half-open
//! connection only after many minutes.
//!
//! Pure logic over instants, so its tests run in simulated time; the session drives it.

use std::time::{Duration, Instant};

/// What is due now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Send a ping.
    Ping,
    /// Nothing came for the whole timeout: the client is gone.
    Dead,
}

/// The liveness of one socket.
#[derive(Debug)]
pub struct Liveness {
    last_heard: Instant,
    next_ping: Instant,
    interval: Duration,
    timeout: Duration,
}

impl Liveness {
    /// A socket opened at `now`.
    pub fn new(now: Instant, interval: Duration, timeout: Duration) -> Self {
        Self {
            last_heard: now,
            next_ping: now + interval,
            interval,
            timeout,
        }
    }

    /// Something (a message, a pong) came at `now`.
    pub fn heard(&mut self, now: Instant) {
        self.last_heard = now;
    }

    /// When [`Liveness::poll`] has something to say next.
    pub fn deadline(&self) -> Instant {
        self.next_ping.min(self.last_heard + self.timeout)
    }

    /// What is due at `now`, if anything; a ping is due once per interval.
    pub fn poll(&mut self, now: Instant) -> Option<Due> {
        if now >= self.last_heard + self.timeout {
            return Some(Due::Dead);
        }
        if now >= self.next_ping {
            self.next_ping = now + self.interval;
            return Some(Due::Ping);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn a_silent_client_is_pinged_then_dead_at_the_timeout() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, 10 * S, 30 * S);
        assert_eq!(l.deadline(), t0 + 10 * S);
        assert_eq!(l.poll(t0 + 9 * S), None);
        assert_eq!(l.poll(t0 + 10 * S), Some(Due::Ping));
        assert_eq!(l.poll(t0 + 10 * S), None, "one ping per interval");
        assert_eq!(l.poll(t0 + 20 * S), Some(Due::Ping));
        assert_eq!(l.deadline(), t0 + 30 * S);
        assert_eq!(l.poll(t0 + 29 * S), None);
        assert_eq!(l.poll(t0 + 30 * S), Some(Due::Dead));
    }

    #[test]
    fn anything_heard_keeps_it_alive() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, 10 * S, 30 * S);
        for k in 1..=10 {
            let now = t0 + k * 25 * S;
            // A pong (or any message) every 25 s: pinged, never dead.
            assert_ne!(l.poll(now), Some(Due::Dead), "at {}", k * 25);
            l.heard(now);
        }
        assert_eq!(l.poll(t0 + 250 * S + 30 * S), Some(Due::Dead));
    }
}
