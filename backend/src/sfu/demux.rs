//! Which room and peer each media datagram belongs to, and the task that reads the socket and hands
//! datagrams to their rooms.
//!
//! A datagram belongs to a peer either by its source address (once known) or, for a STUN binding
//! request, by the ICE username `<our ufrag>:<their ufrag>`. The first STUN check of a client thus
//! teaches the table its address; DTLS, RTP and RTCP from that address follow. Both lookups are one
//! hash-map access, and the table's lock is taken once per batch read from the socket, not per
//! datagram. Datagrams go to a room in one message per batch.
//!
//! Invariants:
//! - The reader never waits for a room: a room whose queue is full loses the batch, counted as
//!   `room_busy` in [`Drops`]; nothing else stalls.
//! - Only a STUN request naming a registered ufrag teaches an address, and a peer learns at most
//!   [`ADDRESSES_PER_PEER`] of them: datagrams from unknown sources never grow the table.
//! - Addresses are held only here, in memory, while the peer exists; they are never logged.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use str0m::ice::StunMessage;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use treff_shared::ParticipantId;

use super::udp::{Drops, RecvBatch};

/// A datagram on its way to the room task that owns its peer.
#[derive(Debug)]
pub struct Datagram {
    /// When it was read.
    pub at: Instant,
    /// The peer it belongs to.
    pub peer: ParticipantId,
    /// Sender's address.
    pub source: SocketAddr,
    /// The bytes.
    pub data: Vec<u8>,
}

/// A room's queue of datagram batches.
pub type Inbox = mpsc::Sender<Vec<Datagram>>;

/// Addresses one peer may be reached from (a client checks from each of its candidates that reach
/// us: IPv4 and IPv6, Wi-Fi and cable); more are not learnt.
pub const ADDRESSES_PER_PEER: usize = 8;

#[derive(Clone)]
struct Route {
    room: Inbox,
    peer: ParticipantId,
    ufrag: Arc<str>,
}

#[derive(Default)]
struct Table {
    by_ufrag: HashMap<Arc<str>, (Route, usize)>,
    by_addr: HashMap<SocketAddr, Route>,
}

/// Which room task gets which datagram. Cloned cheaply; rooms register and remove their peers.
#[derive(Clone, Default)]
pub struct Routes(Arc<Mutex<Table>>);

impl Routes {
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        // Every critical section leaves the maps consistent (single inserts and removes), so a
        // poisoned lock is safe to keep using.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Routes STUN for `ufrag`, and later traffic from the addresses it uses, to `peer` in `room`.
    pub fn register(&self, ufrag: Arc<str>, room: Inbox, peer: ParticipantId) {
        let route = Route {
            room,
            peer,
            ufrag: ufrag.clone(),
        };
        self.table().by_ufrag.insert(ufrag, (route, 0));
    }

    /// Forgets a peer and every address learnt for it.
    pub fn remove(&self, ufrag: &str) {
        let mut t = self.table();
        if let Some((_, learnt)) = t.by_ufrag.remove(ufrag)
            && learnt > 0
        {
            t.by_addr.retain(|_, r| &*r.ufrag != ufrag);
        }
    }

    /// Number of peers routed (for tests and the purge check).
    pub fn peers(&self) -> usize {
        self.table().by_ufrag.len()
    }

    /// Number of addresses learnt (for the test that unknown sources do not grow the table).
    pub fn addresses(&self) -> usize {
        self.table().by_addr.len()
    }

    /// Sorts a batch of datagrams into per-room batches (appended to `out`), counting what belongs
    /// to no peer.
    fn route<'a>(
        &self,
        datagrams: impl Iterator<Item = (SocketAddr, &'a [u8])>,
        at: Instant,
        out: &mut Vec<(Inbox, Vec<Datagram>)>,
        drops: &Drops,
    ) {
        let mut t = self.table();
        for (source, data) in datagrams {
            let Some(route) = t.lookup(source, data) else {
                drops
                    .unrouted
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                continue;
            };
            let datagram = Datagram {
                at,
                peer: route.peer,
                source,
                data: data.to_vec(),
            };
            match out
                .iter_mut()
                .find(|(room, _)| room.same_channel(&route.room))
            {
                Some((_, batch)) => batch.push(datagram),
                None => out.push((route.room.clone(), vec![datagram])),
            }
        }
    }
}

impl Table {
    fn lookup(&mut self, source: SocketAddr, data: &[u8]) -> Option<Route> {
        if let Some(route) = self.by_addr.get(&source) {
            return Some(route.clone());
        }
        let stun = StunMessage::parse(data).ok()?;
        if !stun.is_binding_request() {
            return None;
        }
        let (ours, _theirs) = stun.split_username()?;
        let (route, learnt) = self.by_ufrag.get_mut(ours)?;
        let route = route.clone();
        if *learnt < ADDRESSES_PER_PEER {
            *learnt += 1;
            self.by_addr.insert(source, route.clone());
        }
        Some(route)
    }
}

/// Reads the socket forever and hands each batch of datagrams to its rooms.
pub async fn run(socket: Arc<UdpSocket>, routes: Routes, drops: Arc<Drops>) {
    let mut batch = RecvBatch::default();
    let mut per_room = Vec::new();
    loop {
        if let Err(e) = batch.recv(&socket).await {
            // ICMP errors from a peer that went away surface here on Linux; keep reading.
            tracing::debug!(error = %e, "udp receive error");
            continue;
        }
        routes.route(batch.datagrams(), Instant::now(), &mut per_room, &drops);
        for (room, datagrams) in per_room.drain(..) {
            let n = datagrams.len() as u64;
            if room.try_send(datagrams).is_err() {
                drops
                    .room_busy
                    .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}
