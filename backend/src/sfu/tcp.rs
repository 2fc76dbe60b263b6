//! ICE over TCP (RFC 6544, the server's side passive): one listening port for all meetings, like the
//! UDP socket, for participants whose network drops UDP. Each connection carries one client's STUN,
//! DTLS and SRTP, every packet framed by a 16-bit length (RFC 4571). Browsers prefer UDP when both
//! work, so this costs nothing where UDP gets through.
//!
//! Invariants:
//! - A connection is bound to a peer by its first frame: a STUN binding request naming a registered
//!   ufrag (as the UDP demux learns an address). Anything else first, or nothing within
//!   [`FIRST_CHECK_WITHIN`], closes it, and nothing else notices. At most [`UNBOUND_MAX`]
//!   connections wait for their first frame at a time; a peer holds at most
//!   [`super::demux::CONNECTIONS_PER_PEER`] bound ones.
//! - A room never waits for a connection: packets for one whose queue is full are dropped and
//!   counted (`send_buffer_full` in [`Drops`]); the connection's own task does the writing.
//! - When the peer goes (its ufrag is unrouted), its connections close.
//! - Memory per connection is bounded: at most one partial frame plus one read is buffered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::net::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};

use super::demux::{Datagram, Routes};
use super::udp::Drops;

/// How long a new connection may take to send its first STUN check.
pub const FIRST_CHECK_WITHIN: Duration = Duration::from_secs(5);
/// Connections waiting for their first frame at once; more are closed at once (a flood of idle
/// connections must not exhaust the server's file descriptors).
pub const UNBOUND_MAX: usize = 256;
/// Packets queued for sending on one connection; the room drops beyond it.
const QUEUE: usize = 512;
/// One read: a DTLS flight or a burst of RTP.
const READ_BUFFER: usize = 64 * 1024;

/// RFC 4571's framing of one packet: its length as 16 bits, big-endian, then the packet. `None` for
/// a packet too long to frame (WebRTC's stay far below 64 KiB).
pub fn frame(packet: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(packet.len()).ok()?;
    let mut framed = Vec::with_capacity(2 + packet.len());
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(packet);
    Some(framed)
}

/// Cuts a byte stream into RFC 4571 frames, whatever the reads split or join.
#[derive(Debug, Default)]
pub struct Deframer {
    buffer: Vec<u8>,
    /// Where the next frame starts in `buffer` (consumed bytes are dropped on the next push, not
    /// per frame, so a read holding many frames is not copied many times).
    start: usize,
}

impl Deframer {
    /// Adds what one read returned.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes held for frames not yet complete.
    pub fn buffered(&self) -> usize {
        self.buffer.len() - self.start
    }

    /// The next complete frame's packet, if there is one.
    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
        let rest = &self.buffer[self.start..];
        let header: [u8; 2] = rest.get(..2)?.try_into().ok()?;
        let len = usize::from(u16::from_be_bytes(header));
        let packet = rest.get(2..2 + len)?.to_vec();
        self.start += 2 + len;
        Some(packet)
    }
}

/// Binds the media TCP port; `[::]` takes IPv4 too (see [`super::udp::dual_stack`]).
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    super::udp::dual_stack(&socket, addr)?;
    // As the standard library's listener does: a restarted server rebinds at once.
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

/// Accepts connections on the media TCP port forever, each in a task of its own.
pub async fn run(listener: TcpListener, routes: Routes, drops: Arc<Drops>) {
    let unbound = Arc::new(Semaphore::new(UNBOUND_MAX));
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok((stream, remote)) => (stream, super::udp::canonical(remote)),
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted: keep going.
                tracing::debug!(error = %e, "tcp accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(waiting) = unbound.clone().try_acquire_owned() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            remote,
            routes.clone(),
            drops.clone(),
            waiting,
        ));
    }
}

/// One connection: binds it to a peer by its first frame, then passes every frame to the peer's
/// room and writes what the room sends it, until either side ends it.
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    routes: Routes,
    drops: Arc<Drops>,
    waiting: tokio::sync::OwnedSemaphorePermit,
) {
    let (mut reader, mut writer) = stream.into_split();
    let (sender, mut outgoing) = mpsc::channel::<Vec<u8>>(QUEUE);
    let mut sender = Some(sender);
    let mut waiting = Some(waiting);
    let mut bound = None;
    let mut frames = Deframer::default();
    let mut buffer = vec![0u8; READ_BUFFER];
    let first_check = tokio::time::sleep(FIRST_CHECK_WITHIN);
    tokio::pin!(first_check);
    'connection: loop {
        tokio::select! {
            read = reader.read(&mut buffer) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                frames.push(&buffer[..n]);
                let at = Instant::now();
                let mut batch = Vec::new();
                while let Some(packet) = frames.next_frame() {
                    if bound.is_none() {
                        let Some(writer) = sender.take() else { break 'connection };
                        bound = routes.bind_tcp(remote, &packet, writer);
                        if bound.is_none() {
                            // Not a check naming a peer: garbage, or a peer that has gone.
                            break 'connection;
                        }
                        waiting = None;
                    }
                    if let Some((_, peer)) = &bound {
                        batch.push(Datagram { at, peer: *peer, source: remote, proto: Protocol::Tcp, data: packet });
                    }
                }
                if let (Some((room, _)), false) = (&bound, batch.is_empty()) {
                    let n = batch.len() as u64;
                    if room.try_send(batch).is_err() {
                        // Lost as a UDP datagram would be; ICE and SRTP recover.
                        drops.room_busy.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            packet = outgoing.recv(), if bound.is_some() => {
                // `None`: the peer was unrouted (it left): close.
                let Some(framed) = packet else { break };
                if writer.write_all(&framed).await.is_err() {
                    break;
                }
            }
            () = &mut first_check, if bound.is_none() => break,
        }
    }
    drop(waiting);
    if bound.is_some() {
        routes.unbind_tcp(remote);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::sfu::property_config(500))]

        /// Frames split across reads and several in one read come out whole and in order.
        #[test]
        fn frames_survive_any_split_of_the_stream(
            packets in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..1500), 1..20),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
        ) {
            let stream: Vec<u8> = packets.iter().flat_map(|p| frame(p).expect("short")).collect();
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
            at.push(0);
            at.push(stream.len());
            at.sort_unstable();
            let mut frames = Deframer::default();
            let mut out = Vec::new();
            for w in at.windows(2) {
                frames.push(&stream[w[0]..w[1]]);
                while let Some(p) = frames.next_frame() {
                    out.push(p);
                }
            }
            prop_assert_eq!(out, packets);
            prop_assert!(frames.next_frame().is_none());
        }

        /// Whatever a hostile client sends, in whatever reads: no panic, and no more is held than
        /// one frame's worth (the length says at most 65,535 bytes follow).
        #[test]
        fn any_bytes_hold_at_most_one_frame(
            reads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..3000), 1..60),
        ) {
            let mut frames = Deframer::default();
            for read in &reads {
                frames.push(read);
                while frames.next_frame().is_some() {}
                prop_assert!(frames.buffered() < 2 + 65_535);
            }
        }
    }

    #[test]
    fn a_packet_too_long_for_16_bits_is_not_framed() {
        assert!(frame(&[0; 65_535]).is_some());
        assert!(frame(&[0; 65_536]).is_none());
    }
}
