//! Which room and peer each media datagram belongs to, and the task that reads the socket and hands
//! datagrams to their rooms.
//!
//! A datagram belongs to a peer either by its source address (once known) or, for a STUN binding
//! request, by the ICE username `<our ufrag>:<their ufrag>`. The first STUN check of a client thus
//! teaches the table its address; DTLS, RTP and RTCP from that address follow. Both lookups are one
//! hash-map access, and the table's lock is taken once per batch read from the socket, not per
//! datagram. Datagrams go to a room in one message per batch.
//!
//! Connections on the media TCP port ([`super::tcp`]) are bound to their peer here too, by their first
//! STUN check; the room sends to them through [`Routes::send_tcp`].
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
use str0m::net::Protocol;
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
    /// UDP, or a connection on the media TCP port.
    pub proto: Protocol,
    /// The bytes.
    pub data: Vec<u8>,
}

/// A room's queue of datagram batches.
pub type Inbox = mpsc::Sender<Vec<Datagram>>;

/// Addresses one peer may be reached from (a client checks from each of its candidates that reach
/// us: IPv4 and IPv6, Wi-Fi and cable); more are not learnt.
pub const ADDRESSES_PER_PEER: usize = 8;
/// TCP connections one peer may hold (a client opens one per local candidate pair that reaches the
/// TCP port); more are refused.
pub const CONNECTIONS_PER_PEER: usize = 4;

#[derive(Clone)]
struct Route {
    room: Inbox,
    peer: ParticipantId,
    ufrag: Arc<str>,
}

/// A registered peer and what it has learnt.
struct Known {
    route: Route,
    /// UDP source addresses learnt (never more than [`ADDRESSES_PER_PEER`]).
    addresses: usize,
    /// TCP connections bound (never more than [`CONNECTIONS_PER_PEER`]).
    connections: usize,
}

/// A TCP connection bound to a peer: where the room's packets for it go.
struct Link {
    ufrag: Arc<str>,
    writer: mpsc::Sender<Vec<u8>>,
}

#[derive(Default)]
struct Table {
    by_ufrag: HashMap<Arc<str>, Known>,
    by_addr: HashMap<SocketAddr, Route>,
    /// TCP connections by the client's address (ip and port: one entry per connection).
    by_conn: HashMap<SocketAddr, Link>,
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
        self.table().by_ufrag.insert(
            ufrag,
            Known {
                route,
                addresses: 0,
                connections: 0,
            },
        );
    }

    /// Forgets a peer, every address learnt for it and its TCP connections (which then close).
    pub fn remove(&self, ufrag: &str) {
        let mut t = self.table();
        if let Some(known) = t.by_ufrag.remove(ufrag) {
            if known.addresses > 0 {
                t.by_addr.retain(|_, r| &*r.ufrag != ufrag);
            }
            if known.connections > 0 {
                t.by_conn.retain(|_, l| &*l.ufrag != ufrag);
            }
        }
    }

    /// Binds the TCP connection from `remote` to the peer its first packet names (a STUN binding
    /// request for a registered ufrag with a free connection slot); the room's packets for it then
    /// go to `writer`. Returns the peer's room and id, or `None` (the connection is to be closed).
    pub fn bind_tcp(
        &self,
        remote: SocketAddr,
        first: &[u8],
        writer: mpsc::Sender<Vec<u8>>,
    ) -> Option<(Inbox, ParticipantId)> {
        let mut t = self.table();
        if t.by_conn.contains_key(&remote) {
            return None;
        }
        let known = with_binding_request_ufrag(first, |ours| t.by_ufrag.get_mut(ours))?;
        if known.connections >= CONNECTIONS_PER_PEER {
            return None;
        }
        known.connections += 1;
        let route = known.route.clone();
        t.by_conn.insert(
            remote,
            Link {
                ufrag: route.ufrag.clone(),
                writer,
            },
        );
        Some((route.room, route.peer))
    }

    /// The TCP connection from `remote` has closed: its slot is free again.
    pub fn unbind_tcp(&self, remote: SocketAddr) {
        let mut t = self.table();
        if let Some(link) = t.by_conn.remove(&remote)
            && let Some(known) = t.by_ufrag.get_mut(&link.ufrag)
        {
            known.connections = known.connections.saturating_sub(1);
        }
    }

    /// Hands each packet to its TCP connection's task, framed, without waiting: a full queue or a
    /// closed connection counts as dropped.
    pub fn send_tcp(&self, packets: &mut Vec<(SocketAddr, Vec<u8>)>, drops: &Drops) {
        if packets.is_empty() {
            return;
        }
        let t = self.table();
        for (to, packet) in packets.drain(..) {
            let sent = match (t.by_conn.get(&to), super::tcp::frame(&packet)) {
                (Some(link), Some(framed)) => link.writer.try_send(framed),
                _ => {
                    drops
                        .send_failed
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    continue;
                }
            };
            match sent {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    drops
                        .send_buffer_full
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    drops
                        .send_failed
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }

    /// Number of TCP connections bound (for tests).
    pub fn connections(&self) -> usize {
        self.table().by_conn.len()
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
                proto: Protocol::Udp,
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
        let known = with_binding_request_ufrag(data, |ours| self.by_ufrag.get_mut(ours))?;
        let route = known.route.clone();
        if known.addresses < ADDRESSES_PER_PEER {
            known.addresses += 1;
            self.by_addr.insert(source, route.clone());
        }
        Some(route)
    }
}

/// `find(our ufrag)`, if `data` is a STUN binding request (its username is `<our ufrag>:<their
/// ufrag>`).
fn with_binding_request_ufrag<T>(data: &[u8], find: impl FnOnce(&str) -> Option<T>) -> Option<T> {
    let stun = StunMessage::parse(data).ok()?;
    if !stun.is_binding_request() {
        return None;
    }
    let (ours, _theirs) = stun.split_username()?;
    find(ours)
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

#[cfg(test)]
mod tests {
    //! Hostile datagrams at the demux (issue 12): garbage, truncated and well-formed STUN with
    //! random usernames, DTLS- and RTP-looking bytes, from any source. Nothing panics, nothing from
    //! an unknown source is routed, and the address table grows only by STUN checks that name a
    //! registered ufrag, at most `ADDRESSES_PER_PEER` per peer.
    use super::*;
    use proptest::prelude::*;

    const OURS: &str = "ourufrag";

    /// A STUN binding request (RFC 5389) with `username` and nothing else (no integrity: the demux
    /// routes by the name, str0m checks the integrity).
    fn binding_request(username: &str, transaction: [u8; 12]) -> Vec<u8> {
        let name = username.as_bytes();
        let padded = name.len().div_ceil(4) * 4;
        let mut m = Vec::with_capacity(20 + 4 + padded);
        m.extend_from_slice(&0x0001u16.to_be_bytes());
        m.extend_from_slice(&u16::try_from(4 + padded).expect("short").to_be_bytes());
        m.extend_from_slice(&0x2112_A442u32.to_be_bytes());
        m.extend_from_slice(&transaction);
        m.extend_from_slice(&0x0006u16.to_be_bytes());
        m.extend_from_slice(&u16::try_from(name.len()).expect("short").to_be_bytes());
        m.extend_from_slice(name);
        m.resize(20 + 4 + padded, 0);
        m
    }

    /// One hostile datagram: raw bytes, or a binding request naming a random or our ufrag, or a
    /// truncated one, or bytes that start like DTLS (20–63) or RTP (128–191).
    fn datagram() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..1500),
            ("[a-z0-9]{0,12}:[a-z0-9]{0,12}", any::<[u8; 12]>())
                .prop_map(|(name, t)| binding_request(&name, t)),
            ("[a-z0-9]{0,8}", any::<[u8; 12]>())
                .prop_map(|(theirs, t)| binding_request(&format!("{OURS}:{theirs}"), t)),
            (any::<[u8; 12]>(), 0usize..30).prop_map(|(t, cut)| {
                let mut m = binding_request(&format!("{OURS}:x"), t);
                m.truncate(cut);
                m
            }),
            (20u8..64, prop::collection::vec(any::<u8>(), 0..200))
                .prop_map(|(first, rest)| { std::iter::once(first).chain(rest).collect() }),
            (128u8..192, prop::collection::vec(any::<u8>(), 0..200))
                .prop_map(|(first, rest)| { std::iter::once(first).chain(rest).collect() }),
        ]
    }

    fn source() -> impl Strategy<Value = SocketAddr> {
        (any::<[u8; 4]>(), 1u16..).prop_map(|(ip, port)| SocketAddr::from((ip, port)))
    }

    proptest! {
        #![proptest_config(crate::sfu::property_config(500))]

        #[test]
        fn hostile_datagrams_never_panic_and_grow_the_table_only_by_a_known_ufrag(
            batch in prop::collection::vec((source(), datagram()), 1..200),
        ) {
            let routes = Routes::default();
            let (room, _inbox) = mpsc::channel(1);
            routes.register(Arc::from(OURS), room, ParticipantId(1));
            let drops = Drops::default();
            let mut out = Vec::new();
            routes.route(
                batch.iter().map(|(s, d)| (*s, d.as_slice())),
                Instant::now(),
                &mut out,
                &drops,
            );
            // What may be routed: checks naming our ufrag, and what follows from their sources.
            let naming_us = |d: &[u8]| {
                StunMessage::parse(d).ok().is_some_and(|m| {
                    m.is_binding_request() && m.split_username().is_some_and(|(o, _)| o == OURS)
                })
            };
            let mut taught: Vec<SocketAddr> = Vec::new();
            let mut may_route = 0u64;
            for (source, data) in &batch {
                if taught.contains(source) {
                    may_route += 1;
                } else if naming_us(data) {
                    may_route += 1;
                    if taught.len() < ADDRESSES_PER_PEER {
                        taught.push(*source);
                    }
                }
            }
            let routed: u64 = out.iter().map(|(_, b)| b.len() as u64).sum();
            prop_assert_eq!(routed, may_route);
            prop_assert_eq!(
                drops.unrouted.load(std::sync::atomic::Ordering::Relaxed),
                batch.len() as u64 - routed
            );
            prop_assert_eq!(routes.addresses(), taught.len());
            prop_assert!(routes.addresses() <= ADDRESSES_PER_PEER);
            prop_assert!(out.iter().flat_map(|(_, b)| b).all(|d| d.peer == ParticipantId(1)));
        }
    }
}
