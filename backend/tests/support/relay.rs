//! A UDP relay with a bottleneck between a test participant and the SFU: the slow home downlink of
//! the adaptive-video tests. The participant's offers are rewritten to name the relay as the
//! server's candidate ([`Relay::rewrite`]); everything from the participant goes on at once, and
//! everything towards it waits its turn on a link of [`Relay::set_rate`] bits per second with a
//! queue of [`QUEUE`], beyond which packets are dropped, as a router's buffer drops them. The SFU
//! sees the delay grow and the losses, as it would on a real link.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long a packet may wait for the link before it is dropped.
pub const QUEUE: Duration = Duration::from_millis(200);

/// The relay; its tasks end when it is dropped.
#[derive(Debug)]
pub struct Relay {
    /// Where the participant sends (the candidate its offers name).
    outer_addr: SocketAddr,
    /// The server's UDP address, learnt from the first offer rewritten.
    server: Arc<StdMutex<Option<SocketAddr>>>,
    /// The downlink's rate in bits per second (`u64::MAX`: no limit).
    rate: Arc<AtomicU64>,
    /// Packets towards the participant dropped because the queue was full.
    dropped: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<()>>,
}

impl Relay {
    /// A relay on loopback whose downlink carries `rate` bits per second.
    pub async fn start(rate: u64) -> Arc<Self> {
        let outer = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind relay"));
        let inner = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind relay"));
        let outer_addr = outer.local_addr().expect("relay address");
        let server = Arc::new(StdMutex::new(None));
        let client = Arc::new(StdMutex::new(None));
        let rate = Arc::new(AtomicU64::new(rate));
        let dropped = Arc::new(AtomicU64::new(0));
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        let tasks = vec![
            tokio::spawn(upstream(
                Arc::clone(&outer),
                Arc::clone(&inner),
                Arc::clone(&server),
                Arc::clone(&client),
            )),
            tokio::spawn(bottleneck(
                Arc::clone(&inner),
                Arc::clone(&rate),
                Arc::clone(&dropped),
                queue_tx,
            )),
            tokio::spawn(deliver(outer, client, queue_rx)),
        ];
        Arc::new(Self {
            outer_addr,
            server,
            rate,
            dropped,
            tasks,
        })
    }

    /// The downlink carries `rate` bits per second from now on (`u64::MAX`: no limit).
    pub fn set_rate(&self, rate: u64) {
        self.rate.store(rate, Ordering::Relaxed);
    }

    /// Packets dropped at the full queue so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// `offer` with the relay as the server's only candidate: its UDP candidates name the relay's
    /// address (the server's is kept for forwarding), its TCP ones are left out.
    pub fn rewrite(&self, offer: &str) -> String {
        let mut out = String::with_capacity(offer.len());
        for line in offer.split("\r\n").filter(|l| !l.is_empty()) {
            let fields: Vec<&str> = line.split(' ').collect();
            let candidate = line.starts_with("a=candidate:") && fields.len() > 5;
            if candidate && fields[2].eq_ignore_ascii_case("tcp") {
                continue;
            }
            if candidate && let Ok(server) = format!("{}:{}", fields[4], fields[5]).parse() {
                *self.server.lock().expect("not poisoned") = Some(server);
                let mut fields = fields;
                let ip = self.outer_addr.ip().to_string();
                let port = self.outer_addr.port().to_string();
                fields[4] = &ip;
                fields[5] = &port;
                out.push_str(&fields.join(" "));
            } else {
                out.push_str(line);
            }
            out.push_str("\r\n");
        }
        out
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Participant → server, at once; notes where the participant sends from.
async fn upstream(
    outer: Arc<UdpSocket>,
    inner: Arc<UdpSocket>,
    server: Arc<StdMutex<Option<SocketAddr>>>,
    client: Arc<StdMutex<Option<SocketAddr>>>,
) {
    let mut buf = vec![0u8; 2048];
    while let Ok((len, from)) = outer.recv_from(&mut buf).await {
        *client.lock().expect("not poisoned") = Some(from);
        let to = *server.lock().expect("not poisoned");
        if let Some(to) = to {
            let _ = inner.send_to(&buf[..len], to).await;
        }
    }
}

/// Server → participant: each packet leaves when the link has sent those before it, or is dropped
/// when that would be more than [`QUEUE`] away.
async fn bottleneck(
    inner: Arc<UdpSocket>,
    rate: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
    queue: mpsc::UnboundedSender<(Instant, Vec<u8>)>,
) {
    let mut buf = vec![0u8; 2048];
    let mut link_free = Instant::now();
    while let Ok((len, _)) = inner.recv_from(&mut buf).await {
        let now = Instant::now();
        let start = link_free.max(now);
        if start - now > QUEUE {
            dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        // On the wire with IP and UDP headers (28 bytes).
        let bits = (len as u64 + 28) * 8;
        let rate = rate.load(Ordering::Relaxed).max(1);
        link_free = start + Duration::from_nanos(bits.saturating_mul(1_000_000_000) / rate);
        if queue.send((link_free, buf[..len].to_vec())).is_err() {
            return;
        }
    }
}

/// Hands each packet to the participant when the link has carried it.
async fn deliver(
    outer: Arc<UdpSocket>,
    client: Arc<StdMutex<Option<SocketAddr>>>,
    mut queue: mpsc::UnboundedReceiver<(Instant, Vec<u8>)>,
) {
    while let Some((at, packet)) = queue.recv().await {
        tokio::time::sleep_until(at).await;
        let to = *client.lock().expect("not poisoned");
        if let Some(to) = to {
            let _ = outer.send_to(&packet, to).await;
        }
    }
}
