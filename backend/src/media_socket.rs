//! The one UDP socket that carries the media of every room, and the table that routes its datagrams.
//!
//! A datagram belongs to a peer either by its source address (once known) or, for STUN, by the ICE
//! username: `<our ufrag>:<their ufrag>`. The first STUN check of a browser thus teaches the table its
//! address; DTLS, RTP and RTCP from that address follow. The reader never waits for a room: a room
//! whose queue is full loses the datagram, as UDP may anyway, and nothing else stalls.
//!
//! Addresses are held only in this table, in memory, for as long as the peer exists; they are never
//! logged.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use str0m::ice::StunMessage;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// A datagram on its way to the room task that owns its peer.
#[derive(Debug)]
pub struct Datagram {
    /// When it was read.
    pub at: Instant,
    /// The ufrag of the peer it belongs to.
    pub ufrag: Arc<str>,
    /// Sender's address.
    pub source: SocketAddr,
    /// Our socket's address.
    pub destination: SocketAddr,
    /// The bytes.
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Table {
    by_ufrag: HashMap<Arc<str>, mpsc::Sender<Datagram>>,
    by_addr: HashMap<SocketAddr, Arc<str>>,
}

/// Which room task gets which datagram. Cloned cheaply; rooms register and remove their peers.
#[derive(Clone, Default)]
pub struct Routes(Arc<Mutex<Table>>);

impl Routes {
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        // A panic elsewhere while holding the lock leaves the maps consistent (each operation is a
        // single insert or remove), so a poisoned lock is safe to keep using.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Routes STUN for `ufrag`, and later traffic from the addresses it uses, to `room`.
    pub fn register(&self, ufrag: Arc<str>, room: mpsc::Sender<Datagram>) {
        self.table().by_ufrag.insert(ufrag, room);
    }

    /// Forgets a peer and every address learnt for it.
    pub fn remove(&self, ufrag: &str) {
        let mut t = self.table();
        t.by_ufrag.remove(ufrag);
        t.by_addr.retain(|_, u| &**u != ufrag);
    }

    /// Number of peers routed (for tests and the purge check).
    pub fn peers(&self) -> usize {
        self.table().by_ufrag.len()
    }

    /// Finds the room queue and peer ufrag for a datagram from `source`.
    fn lookup(
        &self,
        source: SocketAddr,
        data: &[u8],
    ) -> Option<(Arc<str>, mpsc::Sender<Datagram>)> {
        let mut t = self.table();
        if let Some(ufrag) = t.by_addr.get(&source) {
            let room = t.by_ufrag.get(ufrag)?.clone();
            return Some((ufrag.clone(), room));
        }
        let stun = StunMessage::parse(data).ok()?;
        if !stun.is_binding_request() {
            return None;
        }
        let (ours, _theirs) = stun.split_username()?;
        let (ufrag, room) = t.by_ufrag.get_key_value(ours)?;
        let (ufrag, room) = (ufrag.clone(), room.clone());
        t.by_addr.insert(source, ufrag.clone());
        Some((ufrag, room))
    }
}

/// Reads the socket forever and hands each datagram to its room.
pub async fn demux(socket: Arc<UdpSocket>, routes: Routes) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    // Larger than any datagram WebRTC sends (str0m's MTU is 1150; browsers stay below 1500).
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, source) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            // ICMP errors from a peer that went away surface here on Linux; keep reading.
            Err(e) => {
                tracing::debug!(error = %e, "udp receive error");
                continue;
            }
        };
        let data = &buf[..n];
        let Some((ufrag, room)) = routes.lookup(source, data) else {
            continue;
        };
        let datagram = Datagram {
            at: Instant::now(),
            ufrag,
            source,
            destination: local,
            data: data.to_vec(),
        };
        // A full room queue drops the datagram rather than stalling every other room.
        let _ = room.try_send(datagram);
    }
}
