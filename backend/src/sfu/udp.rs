//! The one UDP socket that carries the media of every room: bound with buffers sized by the
//! configuration, read with `recvmmsg` and written with `sendmmsg`, so a system call moves a batch of
//! datagrams instead of one.
//!
//! What cannot be sent (the socket's send buffer is full, or the kernel refuses a destination) is
//! counted in [`Drops`], never silently lost and never waited for: a room task must not stall on a
//! slow network.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg};
use std::io::{IoSlice, IoSliceMut};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams moved by one system call at most.
pub const BATCH: usize = 32;
/// Larger than any datagram WebRTC sends (str0m's MTU is 1150; browsers stay below 1500).
const DATAGRAM_MAX: usize = 2048;

/// Binds the media socket with `buffer` bytes of kernel send and receive buffer each. The kernel
/// may grant less (Linux caps it at `net.core.rmem_max`/`wmem_max`): that is logged as a warning,
/// because a too small receive buffer loses media in bursts. `[::]` binds dual-stack (see
/// [`dual_stack`]).
pub fn bind(addr: SocketAddr, buffer: usize) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    dual_stack(&socket, addr)?;
    socket.set_recv_buffer_size(buffer)?;
    socket.set_send_buffer_size(buffer)?;
    // Linux reports twice the granted size (the kernel's bookkeeping share); halve it to compare.
    let granted_recv = socket.recv_buffer_size()? / 2;
    let granted_send = socket.send_buffer_size()? / 2;
    if granted_recv < buffer || granted_send < buffer {
        tracing::warn!(
            asked = buffer,
            receive = granted_recv,
            send = granted_send,
            "the OS grants the media socket smaller buffers than configured; raise \
             net.core.rmem_max and net.core.wmem_max (sysctl) to avoid losing media in bursts"
        );
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// What was dropped, per reason. Shared by the demux and every room; counts only, no addresses.
#[derive(Debug, Default)]
pub struct Drops {
    /// Datagrams from a source no peer is known by (not a STUN check for a known ICE ufrag).
    pub unrouted: AtomicU64,
    /// Datagrams whose room was too busy to take them (its queue was full).
    pub room_busy: AtomicU64,
    /// Datagrams not sent because the socket's send buffer was full.
    pub send_buffer_full: AtomicU64,
    /// Datagrams the kernel refused to send (e.g. an unreachable destination).
    pub send_failed: AtomicU64,
}

impl Drops {
    /// The counters, in a fixed order: unrouted, room busy, send buffer full, send failed.
    pub fn snapshot(&self) -> [u64; 4] {
        [
            &self.unrouted,
            &self.room_busy,
            &self.send_buffer_full,
            &self.send_failed,
        ]
        .map(|c| c.load(Ordering::Relaxed))
    }

    /// Logs the counts of the last `every` whenever something was dropped, until the task is
    /// aborted. Counts only: nothing that names a participant or an address.
    pub async fn report(self: std::sync::Arc<Self>, every: Duration) {
        let mut last = self.snapshot();
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let now = self.snapshot();
            let d = |i: usize| now[i] - last[i];
            if (1..4).any(|i| d(i) > 0) {
                tracing::warn!(
                    seconds = every.as_secs(),
                    unrouted = d(0),
                    room_busy = d(1),
                    send_buffer_full = d(2),
                    send_failed = d(3),
                    "media datagrams dropped"
                );
            } else if d(0) > 0 {
                // Datagrams nobody is known by: stray traffic on a public port, not media lost.
                tracing::info!(
                    seconds = every.as_secs(),
                    unrouted = d(0),
                    "media datagrams from unknown sources ignored"
                );
            }
            last = now;
        }
    }
}

/// Datagrams a room produced while it was driven, sent together when it is done (and the packets
/// for peers connected over TCP, handed to their connections).
#[derive(Debug, Default)]
pub struct SendBatch {
    items: Vec<(SocketAddr, Vec<u8>)>,
    tcp: Vec<(SocketAddr, Vec<u8>)>,
}

impl SendBatch {
    /// Queues one datagram.
    pub fn push(&mut self, to: SocketAddr, data: Vec<u8>) {
        self.items.push((to, data));
    }

    /// Queues one packet for the TCP connection from `to`.
    pub fn push_tcp(&mut self, to: SocketAddr, data: Vec<u8>) {
        self.tcp.push((to, data));
    }

    /// Hands the queued TCP packets to their connections (see [`super::Routes::send_tcp`]).
    pub fn flush_tcp(&mut self, routes: &super::Routes, drops: &Drops) {
        routes.send_tcp(&mut self.tcp, drops);
    }

    /// Datagrams queued.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether none are queued.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sends everything queued, [`BATCH`] datagrams per system call, without waiting: what the
    /// socket cannot take now is counted as dropped. Empties the batch.
    pub fn flush(&mut self, socket: &UdpSocket, drops: &Drops) {
        let mut rest = &self.items[..];
        while !rest.is_empty() {
            let chunk = &rest[..rest.len().min(BATCH)];
            // Straight to the non-blocking socket, not through tokio's readiness: the room never
            // waits for the socket to become writable, it counts what does not fit.
            match send_chunk(socket, chunk) {
                // sendmmsg sends a prefix of the chunk; the rest goes in the next call, which
                // reports why it stopped if it stopped for a reason.
                Ok(sent) => rest = &rest[sent.max(1)..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    drops
                        .send_buffer_full
                        .fetch_add(rest.len() as u64, Ordering::Relaxed);
                    break;
                }
                // The first datagram of the chunk was refused (sendmmsg reports the error of the
                // first message only): skip it and go on with the rest.
                Err(_) => {
                    drops.send_failed.fetch_add(1, Ordering::Relaxed);
                    rest = &rest[1..];
                }
            }
        }
        self.items.clear();
    }
}

fn send_chunk(socket: &UdpSocket, chunk: &[(SocketAddr, Vec<u8>)]) -> io::Result<usize> {
    let addrs: Vec<Option<SockaddrStorage>> = chunk
        .iter()
        .map(|(to, _)| Some(SockaddrStorage::from(*to)))
        .collect();
    let slices: Vec<[IoSlice<'_>; 1]> = chunk.iter().map(|(_, d)| [IoSlice::new(d)]).collect();
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(chunk.len(), None);
    let sent = sendmmsg(
        socket.as_raw_fd(),
        &mut headers,
        &slices,
        &addrs,
        [],
        MsgFlags::empty(),
    )
    .map_err(io::Error::from)?;
    Ok(sent.count())
}

/// Buffers for reading a batch of datagrams.
pub struct RecvBatch {
    bufs: Vec<Vec<u8>>,
    got: Vec<(usize, SocketAddr)>,
}

impl Default for RecvBatch {
    fn default() -> Self {
        Self {
            bufs: vec![vec![0u8; DATAGRAM_MAX]; BATCH],
            got: Vec::with_capacity(BATCH),
        }
    }
}

impl RecvBatch {
    /// Waits until the socket is readable and reads up to [`BATCH`] datagrams.
    pub async fn recv(&mut self, socket: &UdpSocket) -> io::Result<()> {
        loop {
            socket.readable().await?;
            let Self { bufs, got } = self;
            match socket.try_io(Interest::READABLE, || recv_into(socket, bufs, got)) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The datagrams of the last [`RecvBatch::recv`]: sender and bytes.
    pub fn datagrams(&self) -> impl Iterator<Item = (SocketAddr, &[u8])> {
        self.got
            .iter()
            .zip(&self.bufs)
            .map(|(&(len, from), buf)| (from, &buf[..len]))
    }
}

fn recv_into(
    socket: &UdpSocket,
    bufs: &mut [Vec<u8>],
    got: &mut Vec<(usize, SocketAddr)>,
) -> io::Result<()> {
    got.clear();
    let mut slices: Vec<[IoSliceMut<'_>; 1]> =
        bufs.iter_mut().map(|b| [IoSliceMut::new(b)]).collect();
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(slices.len(), None);
    let results = recvmmsg(
        socket.as_raw_fd(),
        &mut headers,
        slices.iter_mut(),
        MsgFlags::MSG_DONTWAIT,
        None,
    )
    .map_err(io::Error::from)?;
    for msg in results {
        // A datagram without an IP source address cannot come from a peer; its slot stays empty.
        let from = msg.address.and_then(|a| to_socket_addr(&a));
        got.push((
            msg.bytes,
            from.unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0))),
        ));
    }
    Ok(())
}

fn to_socket_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    a.as_sockaddr_in6()
        .map(|v6| canonical(SocketAddr::V6((*v6).into())))
}

/// An unspecified IPv6 address (`[::]`) takes IPv4 too (dual-stack), whatever the system's
/// `net.ipv6.bindv6only` says: one port for every participant, as the candidates announce it.
pub fn dual_stack(socket: &socket2::Socket, addr: SocketAddr) -> io::Result<()> {
    if let SocketAddr::V6(v6) = addr
        && v6.ip().is_unspecified()
    {
        socket.set_only_v6(false)?;
    }
    Ok(())
}

/// An IPv4 peer of a dual-stack socket as what it is: `::ffff:192.0.2.7` is `192.0.2.7`. Every
/// address the SFU keys by (demux, TCP connections, str0m's candidate pairs) is in this form, so a
/// participant has one address whichever socket family saw them; sending to an IPv4 address from a
/// dual-stack socket needs no mapping back (Linux takes an IPv4 destination there).
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(v4.into(), v6.port()),
            None => addr,
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_peer_of_a_dual_stack_socket_is_known_by_its_ipv4_address() {
        let addr = |s: &str| s.parse::<SocketAddr>().expect("addr");
        assert_eq!(
            canonical(addr("[::ffff:192.0.2.7]:5000")),
            addr("192.0.2.7:5000")
        );
        assert_eq!(
            canonical(addr("[2001:db8::7]:5000")),
            addr("[2001:db8::7]:5000")
        );
        assert_eq!(canonical(addr("[::1]:5000")), addr("[::1]:5000"));
        assert_eq!(canonical(addr("192.0.2.7:5000")), addr("192.0.2.7:5000"));
    }

    #[tokio::test]
    async fn a_dual_stack_socket_reads_ipv4_senders_as_ipv4() {
        let server = bind("[::]:0".parse().expect("addr"), 1 << 20).expect("bind [::]");
        let port = server.local_addr().expect("addr").port();
        let v4 = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind v4");
        let v6 = tokio::net::UdpSocket::bind("[::1]:0")
            .await
            .expect("bind v6");
        v4.send_to(b"four", ("127.0.0.1", port))
            .await
            .expect("send v4");
        v6.send_to(b"six", ("::1", port)).await.expect("send v6");
        let mut batch = RecvBatch::default();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            batch.recv(&server).await.expect("recv");
            seen.extend(batch.datagrams().map(|(from, data)| (from, data.to_vec())));
        }
        seen.sort();
        assert_eq!(
            seen,
            [
                (v4.local_addr().expect("addr"), b"four".to_vec()),
                (v6.local_addr().expect("addr"), b"six".to_vec()),
            ]
        );
    }

    #[tokio::test]
    async fn a_batch_goes_out_and_comes_in_whole() {
        let a = bind("127.0.0.1:0".parse().expect("addr"), 1 << 20).expect("bind a");
        let b = bind("127.0.0.1:0".parse().expect("addr"), 1 << 20).expect("bind b");
        let to = b.local_addr().expect("addr");
        let drops = Drops::default();
        let mut batch = SendBatch::default();
        for n in 0..(BATCH * 2 + 5) {
            batch.push(to, vec![n as u8; 100 + n]);
        }
        batch.flush(&a, &drops);
        assert!(batch.is_empty());
        assert_eq!(drops.snapshot(), [0; 4]);

        let mut rx = RecvBatch::default();
        let mut got = Vec::new();
        while got.len() < BATCH * 2 + 5 {
            tokio::time::timeout(Duration::from_secs(5), rx.recv(&b))
                .await
                .expect("datagrams arrive")
                .expect("recv");
            for (from, data) in rx.datagrams() {
                assert_eq!(from, a.local_addr().expect("addr"));
                got.push(data.to_vec());
            }
        }
        for (n, d) in got.iter().enumerate() {
            assert_eq!(
                d,
                &vec![n as u8; 100 + n],
                "datagram {n} intact and in order"
            );
        }
    }

    #[tokio::test]
    async fn an_unsendable_datagram_is_counted_and_the_rest_still_go() {
        let a = bind("127.0.0.1:0".parse().expect("addr"), 1 << 20).expect("bind a");
        let b = bind("127.0.0.1:0".parse().expect("addr"), 1 << 20).expect("bind b");
        let drops = Drops::default();
        let mut batch = SendBatch::default();
        // An IPv6 destination on an IPv4 socket: the kernel refuses it.
        batch.push("[::1]:9".parse().expect("addr"), vec![1]);
        batch.push(b.local_addr().expect("addr"), vec![2]);
        batch.flush(&a, &drops);
        assert_eq!(drops.send_failed.load(Ordering::Relaxed), 1);
        let mut rx = RecvBatch::default();
        tokio::time::timeout(Duration::from_secs(5), rx.recv(&b))
            .await
            .expect("the good datagram arrives")
            .expect("recv");
        assert_eq!(
            rx.datagrams().map(|(_, d)| d.to_vec()).collect::<Vec<_>>(),
            [vec![2]]
        );
    }
}
