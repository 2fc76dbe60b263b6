//! Janus VideoRoom client over Janus's WebSocket transport (subprotocol `janus-protocol`).
//!
//! One session per participant (one socket, like a browser): `create` a session, `attach`
//! `janus.plugin.videoroom`, then a publisher `join`s as `publisher` and `publish`es with an offer
//! (Janus answers), and a receiver attaches another handle, `join`s as `subscriber` to the feeds
//! it wants (Janus offers) and `start`s with its answer. A keepalive every 20 s holds the session
//! (Janus drops it after 60 s of silence). Replies are matched by transaction: an asynchronous
//! request gets an `ack` first and its `event` later, both with the request's transaction.

use crate::media::Tally;
use crate::peer::{self, Outgoing, Sources, Tasks};
use crate::treff::Publishing;
use anyhow::{Context, Result, anyhow, bail};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Pending = Arc<StdMutex<HashMap<String, oneshot::Sender<Value>>>>;

const PLUGIN: &str = "janus.plugin.videoroom";
/// How long a request may take on a loaded machine.
const STEP: Duration = Duration::from_secs(15);
/// Keepalive period; Janus's default session timeout is 60 s.
const KEEPALIVE: Duration = Duration::from_secs(20);

/// One Janus session on its own WebSocket.
pub struct Session {
    id: u64,
    sink: Arc<Mutex<SplitSink<Ws, Message>>>,
    pending: Pending,
    tasks: Tasks,
}

fn transaction() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl Session {
    /// Connects to Janus's WebSocket transport and creates a session.
    pub async fn connect(ws: SocketAddr) -> Result<Self> {
        let mut request = format!("ws://{ws}/").into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("janus-protocol"),
        );
        let (socket, _) = tokio::time::timeout(STEP, tokio_tungstenite::connect_async(request))
            .await
            .context("Janus WebSocket handshake timed out")??;
        let (sink, mut stream) = socket.split();
        let pending: Pending = Arc::default();
        let tasks = Tasks::default();
        let reader_pending = Arc::clone(&pending);
        tasks.spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                    continue;
                };
                if v["janus"] == "ack" {
                    continue;
                }
                let Some(tx) = v["transaction"].as_str() else {
                    // webrtcup, media, slowlink, hangup: nothing to wait for.
                    continue;
                };
                let waiter = reader_pending.lock().ok().and_then(|mut p| p.remove(tx));
                if let Some(waiter) = waiter {
                    let _ = waiter.send(v);
                }
            }
        });
        let mut session = Self {
            id: 0,
            sink: Arc::new(Mutex::new(sink)),
            pending,
            tasks,
        };
        let created = session.request(json!({"janus": "create"})).await?;
        session.id = created["data"]["id"]
            .as_u64()
            .ok_or_else(|| anyhow!("create: no session id in {created}"))?;
        let sink = Arc::clone(&session.sink);
        let id = session.id;
        session.tasks.spawn(async move {
            let mut tick = tokio::time::interval(KEEPALIVE);
            tick.tick().await;
            loop {
                tick.tick().await;
                let msg =
                    json!({"janus": "keepalive", "session_id": id, "transaction": transaction()});
                if sink
                    .lock()
                    .await
                    .send(Message::text(msg.to_string()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        Ok(session)
    }

    /// Sends a request with a fresh transaction and waits for its reply (not the `ack`).
    async fn request(&self, mut body: Value) -> Result<Value> {
        let t = transaction();
        body["transaction"] = json!(t);
        if self.id != 0 {
            body["session_id"] = json!(self.id);
        }
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .map_err(|_| anyhow!("poisoned"))?
            .insert(t.clone(), tx);
        self.sink
            .lock()
            .await
            .send(Message::text(body.to_string()))
            .await?;
        let reply = tokio::time::timeout(STEP, rx)
            .await
            .with_context(|| format!("no reply from Janus to {}", body["janus"]))??;
        if reply["janus"] == "error" {
            bail!("Janus refused {}: {}", body["janus"], reply["error"]);
        }
        Ok(reply)
    }

    /// Attaches a VideoRoom handle.
    pub async fn attach(&self) -> Result<u64> {
        let r = self
            .request(json!({"janus": "attach", "plugin": PLUGIN}))
            .await?;
        r["data"]["id"]
            .as_u64()
            .ok_or_else(|| anyhow!("attach: no handle id in {r}"))
    }

    /// Sends a plugin message (with an optional JSEP) and returns the plugin's reply and JSEP.
    pub async fn message(
        &self,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
    ) -> Result<(Value, Value)> {
        let mut m = json!({"janus": "message", "handle_id": handle, "body": body.clone()});
        if let Some(jsep) = jsep {
            m["jsep"] = jsep;
        }
        let r = self.request(m).await?;
        let data = r["plugindata"]["data"].clone();
        if data.get("error").is_some() {
            bail!("VideoRoom refused {}: {}", body["request"], data["error"]);
        }
        Ok((data, r["jsep"].clone()))
    }

    /// Destroys the session (Janus hangs up its peer connections) and ends the socket.
    pub async fn destroy(self) {
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            self.request(json!({"janus": "destroy"})),
        )
        .await;
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = self.sink.lock().await.close().await;
        })
        .await;
        self.tasks.abort_all();
    }
}

/// Creates a VideoRoom room for the bench: many publishers, a high bitrate cap, VP8 and Opus.
pub async fn create_room(control: &Session, handle: u64, room: u64) -> Result<()> {
    control
        .message(
            handle,
            json!({
                "request": "create",
                "room": room,
                "permanent": false,
                "publishers": 200,
                "bitrate": 4_000_000,
                "videocodec": "vp8",
                "audiocodec": "opus",
                "notify_joining": false,
            }),
            None,
        )
        .await?;
    Ok(())
}

/// Destroys a room made by [`create_room`].
pub async fn destroy_room(control: &Session, handle: u64, room: u64) -> Result<()> {
    control
        .message(handle, json!({"request": "destroy", "room": room}), None)
        .await?;
    Ok(())
}

/// A Janus participant: a publisher, a subscriber, or both (two peer connections then, as in
/// Janus's own demos).
pub struct Participant {
    session: Session,
    pcs: Vec<Arc<RTCPeerConnection>>,
    tasks: Tasks,
    outgoing: Option<Outgoing>,
    /// The publisher's feed id, when publishing.
    pub feed: Option<u64>,
    /// Whose video arrived.
    pub sources: Sources,
    /// Janus's media address: our peer connections gather a candidate there too.
    media_ip: IpAddr,
}

impl Participant {
    /// Connects; with `publishing`, joins `room` as a publisher and publishes Opus and VP8.
    pub async fn join(
        ws: SocketAddr,
        media_ip: IpAddr,
        room: u64,
        name: &str,
        publishing: Option<Publishing>,
        tally: &Arc<Tally>,
    ) -> Result<Self> {
        let session = Session::connect(ws).await?;
        let mut me = Self {
            session,
            pcs: Vec::new(),
            tasks: Tasks::default(),
            outgoing: None,
            feed: None,
            sources: Sources::default(),
            media_ip,
        };
        // Everyone joins as a publisher, as in Janus's own VideoRoom demo: that is what makes a
        // participant present in the room, whether or not it publishes.
        let handle = me.session.attach().await?;
        let (joined, _) = me
            .session
            .message(
                handle,
                json!({"request": "join", "ptype": "publisher", "room": room, "display": name}),
                None,
            )
            .await?;
        me.feed = Some(
            joined["id"]
                .as_u64()
                .ok_or_else(|| anyhow!("publisher join: no id in {joined}"))?,
        );
        if let Some(p) = publishing {
            me.publish(handle, p, tally).await?;
        }
        Ok(me)
    }

    async fn publish(&mut self, handle: u64, p: Publishing, tally: &Arc<Tally>) -> Result<()> {
        let pc = peer::new_peer_connection(Some(self.media_ip), false).await?;
        let outgoing = peer::new_outgoing(crate::treff::new_room().as_str(), false);
        peer::add_sendonly(
            &pc,
            Arc::clone(&outgoing.audio),
            &outgoing.control,
            &self.tasks,
        )
        .await?;
        peer::add_sendonly(
            &pc,
            Arc::clone(&outgoing.video),
            &outgoing.control,
            &self.tasks,
        )
        .await?;
        let offer = pc.create_offer(None).await.context("create_offer")?;
        let sdp = peer::set_local_and_gather(&pc, offer).await?;
        let (_, jsep) = self
            .session
            .message(
                handle,
                json!({"request": "publish", "audio": true, "video": true}),
                Some(json!({"type": "offer", "sdp": sdp})),
            )
            .await?;
        let answer = jsep["sdp"]
            .as_str()
            .ok_or_else(|| anyhow!("publish: no answer from Janus"))?;
        tracing::debug!("publisher offer:\n{sdp}\nJanus's answer:\n{answer}");
        pc.set_remote_description(RTCSessionDescription::answer(answer.to_owned())?)
            .await
            .context("set_remote_description(answer)")?;
        // Janus refuses subscribers ("No such feed") until the publisher's transport is up.
        let deadline = tokio::time::Instant::now() + STEP;
        while pc.connection_state() != RTCPeerConnectionState::Connected {
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "the publisher's connection to Janus did not come up ({})",
                    pc.connection_state()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.tasks.spawn(outgoing.publish(p, tally));
        self.outgoing = Some(outgoing);
        self.pcs.push(pc);
        Ok(())
    }

    /// Subscribes to `feeds` of `room` on one peer connection (Janus offers, we answer).
    pub async fn subscribe(&mut self, room: u64, feeds: &[u64], tally: &Arc<Tally>) -> Result<()> {
        let handle = self.session.attach().await?;
        let streams: Vec<Value> = feeds.iter().map(|f| json!({"feed": f})).collect();
        let (_, jsep) = self
            .session
            .message(
                handle,
                json!({"request": "join", "ptype": "subscriber", "room": room, "streams": streams}),
                None,
            )
            .await?;
        let offer = jsep["sdp"]
            .as_str()
            .ok_or_else(|| anyhow!("subscriber join: no offer from Janus"))?;
        let pc = peer::new_peer_connection(Some(self.media_ip), false).await?;
        peer::count_incoming(&pc, tally, &self.sources, &self.tasks);
        pc.set_remote_description(RTCSessionDescription::offer(offer.to_owned())?)
            .await
            .context("set_remote_description(offer)")?;
        let answer = pc.create_answer(None).await.context("create_answer")?;
        let sdp = peer::set_local_and_gather(&pc, answer).await?;
        self.session
            .message(
                handle,
                json!({"request": "start"}),
                Some(json!({"type": "answer", "sdp": sdp})),
            )
            .await?;
        self.pcs.push(pc);
        Ok(())
    }

    /// Stops sending, destroys the session and closes the peer connections.
    pub async fn leave(self) {
        if let Some(o) = &self.outgoing {
            o.control.running.store(false, Ordering::Relaxed);
        }
        self.tasks.abort_all();
        self.session.destroy().await;
        for pc in self.pcs {
            let _ = tokio::time::timeout(Duration::from_secs(5), pc.close()).await;
        }
    }
}
