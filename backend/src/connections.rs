//! How many WebSocket connections the server holds, in total and per client address: over
//! `Limits::ws_max_connections` or `Limits::ws_max_connections_per_address` a new socket is refused
//! (503 with `ErrorCode::TooManyConnections`) before it is upgraded, and nobody else notices.
//!
//! A [`Slot`] is taken before the upgrade and lives as long as the session; dropping it gives the
//! place back. The counts are in memory only; the addresses are keys of a map, never logged, and an
//! address leaves the map with its last connection.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use treff_shared::Limits;

/// The counts, shared by every `/ws` request. Cheap to clone.
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Mutex<Counts>>,
    max: usize,
    max_per_address: usize,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// One connection's place; given back when dropped.
pub struct Slot {
    inner: Arc<Mutex<Counts>>,
    addr: Option<IpAddr>,
}

impl Connections {
    /// No connections yet, with the limits of `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self {
            inner: Arc::default(),
            max: limits.ws_max_connections,
            max_per_address: limits.ws_max_connections_per_address,
        }
    }

    /// A place for a connection from `addr` (`None`: behind a trusted proxy that named nobody,
    /// counted in the total only), or `None` when a limit is reached.
    pub fn acquire(&self, addr: Option<IpAddr>) -> Option<Slot> {
        let mut counts = lock(&self.inner);
        if counts.total >= self.max {
            return None;
        }
        if let Some(addr) = addr {
            let n = counts.per_address.entry(addr).or_default();
            if *n >= self.max_per_address {
                return None;
            }
            *n += 1;
        }
        counts.total += 1;
        Some(Slot {
            inner: self.inner.clone(),
            addr,
        })
    }

    /// Connections held now, and addresses they come from.
    pub fn held(&self) -> (usize, usize) {
        let counts = lock(&self.inner);
        (counts.total, counts.per_address.len())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = lock(&self.inner);
        counts.total -= 1;
        if let Some(addr) = self.addr
            && let Some(n) = counts.per_address.get_mut(&addr)
        {
            *n -= 1;
            if *n == 0 {
                counts.per_address.remove(&addr);
            }
        }
    }
}

fn lock(inner: &Mutex<Counts>) -> std::sync::MutexGuard<'_, Counts> {
    // Every critical section is a few integer updates: a poisoned lock is still consistent.
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_limits_hold_and_places_come_back() {
        let limits = Limits {
            ws_max_connections: 3,
            ws_max_connections_per_address: 2,
            ..Limits::default()
        };
        let c = Connections::new(&limits);
        let a: IpAddr = "192.0.2.1".parse().expect("address");
        let b: IpAddr = "192.0.2.2".parse().expect("address");
        let a1 = c.acquire(Some(a)).expect("first");
        let a2 = c.acquire(Some(a)).expect("second");
        assert!(c.acquire(Some(a)).is_none(), "a third from one address");
        let b1 = c.acquire(Some(b)).expect("another address");
        assert!(c.acquire(None).is_none(), "the total is reached");
        drop(a1);
        let a3 = c.acquire(Some(a)).expect("a place came back");
        assert_eq!(c.held(), (3, 2));
        drop((a2, a3, b1));
        assert_eq!(c.held(), (0, 0), "no address stays behind");
    }
}
