//! Synthesised media and what receivers make of it.
//!
//! Senders: Opus at 50 packets/s (20 ms frames, ~100 bytes) and VP8 at 30 frames/s of
//! [`VIDEO_PACKETS_PER_FRAME`] packets each, with valid VP8 payload descriptors (RFC 7741, with a
//! 15-bit PictureID as browsers send it) and a key frame every 2 s (and on PLI/FIR) whose first
//! packet carries a valid key-frame header (frame tag, start code, 640x360). Packets are built here
//! and written as RTP, so the generator controls sequence numbers, timestamps and the marker bit.
//!
//! Every payload ends with a [`Trailer`]: source, packet index and count in the frame, frame number
//! and the send time in microseconds on the generator's own clock ([`now_us`]). Receivers (in the
//! same process, so on the same clock) read it to compute the added latency, to tell complete video
//! frames from incomplete ones, and to count only packets sent inside the measurement window. The
//! SFU under test forwards payloads untouched, so the trailer arrives as it was sent.
//!
//! Invariant: expected counts are added by the sender per receiver of its media ([`Tally::fanout`]),
//! received counts by each receiver, both only for packets whose send time lies in the window.

use bytes::{BufMut, Bytes, BytesMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use webrtc::rtp::header::Header;
use webrtc::rtp::packet::Packet;
use webrtc::track::track_local::TrackLocalWriter;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;

/// Packets per VP8 frame, as in the measurements.
pub const VIDEO_PACKETS_PER_FRAME: u8 = 3;
/// RTP payload bytes of a VP8 packet: close to the usual 1200-byte RTP MTU, so that three of them
/// make a realistic frame (≈0.85 Mbit/s at 30 fps; 1.5 Mbit/s in three packets would need 2 kB
/// packets, beyond any path MTU).
pub const VIDEO_PAYLOAD_BYTES: usize = 1150;
/// RTP payload bytes of an Opus packet (a 20 ms frame at ~40 kbit/s).
pub const AUDIO_PAYLOAD_BYTES: usize = 100;
/// A key frame every 60 frames: every 2 s at 30 fps.
const KEYFRAME_INTERVAL: u64 = 60;
/// Frame duration of the video at 30 fps.
pub const VIDEO_FRAME: Duration = Duration::from_micros(33_333);
/// Frame duration of the audio.
pub const AUDIO_FRAME: Duration = Duration::from_millis(20);

const MAGIC: [u8; 2] = *b"TB";
/// Bytes of the trailer at the end of every payload.
pub const TRAILER_LEN: usize = 18;

/// What the end of every synthesised payload says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// The publishing participant, numbered by the scenario.
    pub source: u16,
    /// Index of this packet in its frame.
    pub index: u8,
    /// Packets in its frame.
    pub count: u8,
    /// Frame number on this track.
    pub frame: u32,
    /// Send time, microseconds since [`now_us`]'s epoch.
    pub sent_us: u64,
}

impl Trailer {
    fn put(&self, b: &mut BytesMut) {
        b.put_slice(&MAGIC);
        b.put_u16_le(self.source);
        b.put_u8(self.index);
        b.put_u8(self.count);
        b.put_u32_le(self.frame);
        b.put_u64_le(self.sent_us);
    }

    /// Reads the trailer at the end of `payload`, if it is one of ours.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let t = payload.get(payload.len().checked_sub(TRAILER_LEN)?..)?;
        if t[..2] != MAGIC {
            return None;
        }
        let u16_at = |i: usize| u16::from_le_bytes([t[i], t[i + 1]]);
        let mut frame = [0u8; 4];
        frame.copy_from_slice(&t[6..10]);
        let mut sent = [0u8; 8];
        sent.copy_from_slice(&t[10..18]);
        Some(Self {
            source: u16_at(2),
            index: t[4],
            count: t[5],
            frame: u32::from_le_bytes(frame),
            sent_us: u64::from_le_bytes(sent),
        })
    }
}

/// Microseconds since the first call in this process: the one clock of senders and receivers.
pub fn now_us() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Filler bytes that do not compress to nothing (a real encoder's output is high-entropy).
fn fill(b: &mut BytesMut, until: usize, seed: u64) {
    let mut x = seed | 1;
    while b.len() < until {
        // xorshift64: cheap and good enough to look like coded data.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b.put_u8(x.to_le_bytes()[0]);
    }
}

/// An Opus payload of [`AUDIO_PAYLOAD_BYTES`]: TOC byte (CELT full band, 20 ms, mono, one frame),
/// coded-looking bytes, trailer.
pub fn opus_payload(source: u16, frame: u32, sent_us: u64) -> Bytes {
    let mut b = BytesMut::with_capacity(AUDIO_PAYLOAD_BYTES);
    b.put_u8(0xf8);
    fill(&mut b, AUDIO_PAYLOAD_BYTES - TRAILER_LEN, u64::from(frame));
    Trailer {
        source,
        index: 0,
        count: 1,
        frame,
        sent_us,
    }
    .put(&mut b);
    b.freeze()
}

/// One layer of the video a publisher sends: packets per frame and payload bytes of each.
#[derive(Clone, Copy, Debug)]
pub struct LayerShape {
    /// Its rid, when it is a simulcast layer.
    pub rid: &'static str,
    /// Packets per frame.
    pub packets: u8,
    /// Payload bytes of each packet.
    pub bytes: usize,
}

/// The single-layer video of the SFU rows: [`VIDEO_PACKETS_PER_FRAME`] packets of
/// [`VIDEO_PAYLOAD_BYTES`].
pub const FULL: LayerShape = LayerShape {
    rid: "",
    packets: VIDEO_PACKETS_PER_FRAME,
    bytes: VIDEO_PAYLOAD_BYTES,
};

/// The camera's simulcast layers of the downlink rows, lowest first (Treff's rids): about 0.11,
/// 0.55 and 1.4 Mbit/s at 30 fps, near the caps Treff's browsers use for 320, 640 and 1280 wide.
pub const LAYERS: [LayerShape; 3] = [
    LayerShape {
        rid: "q",
        packets: 1,
        bytes: 450,
    },
    LayerShape {
        rid: "h",
        packets: 2,
        bytes: VIDEO_PAYLOAD_BYTES,
    },
    LayerShape {
        rid: "f",
        packets: 5,
        bytes: VIDEO_PAYLOAD_BYTES,
    },
];

/// What the packets of one video frame share. [`VideoFrame::payload`] makes one packet of it:
/// payload descriptor (X, N=0, S on the first packet, PID 0; I with a 15-bit PictureID), then for
/// the first packet the VP8 frame header (a key frame's with start code and dimensions),
/// coded-looking bytes, trailer.
#[derive(Clone, Copy)]
struct VideoFrame {
    source: u16,
    frame: u32,
    key: bool,
    picture_id: u16,
    sent_us: u64,
}

impl VideoFrame {
    /// Packet `index` of this frame in a layer of `shape`.
    fn payload(&self, index: u8, shape: &LayerShape) -> Bytes {
        let Self {
            source,
            frame,
            key,
            picture_id,
            sent_us,
        } = *self;
        let mut b = BytesMut::with_capacity(shape.bytes);
        let start = index == 0;
        b.put_u8(0x80 | if start { 0x10 } else { 0 });
        b.put_u8(0x80);
        b.put_u16(0x8000 | (picture_id & 0x7fff));
        if start {
            // The first partition's size: a plausible part of the frame.
            let first_partition: u32 = 600;
            // Frame tag: bit 0 = inter frame (0 for a key frame), version 0, show_frame, partition size.
            let tag = u32::from(!key) | (1 << 4) | (first_partition << 5);
            b.put_slice(&tag.to_le_bytes()[..3]);
            if key {
                b.put_slice(&[0x9d, 0x01, 0x2a]);
                b.put_u16_le(640);
                b.put_u16_le(360);
            }
        }
        fill(
            &mut b,
            shape.bytes - TRAILER_LEN,
            u64::from(frame) << 8 | u64::from(index),
        );
        Trailer {
            source,
            index,
            count: shape.packets,
            frame,
            sent_us,
        }
        .put(&mut b);
        b.freeze()
    }
}

/// Latency histogram: 20 µs buckets up to 100 ms, then 1 ms buckets up to 2 s, then one overflow.
pub struct Histogram {
    buckets: Vec<AtomicU64>,
}

const FINE: u64 = 5000;
const COARSE: u64 = 1900;

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: (0..=FINE + COARSE).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Histogram {
    /// Records one latency in microseconds.
    pub fn record(&self, us: u64) {
        let i = if us < FINE * 20 {
            us / 20
        } else {
            FINE + ((us - FINE * 20) / 1000).min(COARSE)
        };
        let i = usize::try_from(i).unwrap_or(self.buckets.len() - 1);
        self.buckets[i.min(self.buckets.len() - 1)].fetch_add(1, Ordering::Relaxed);
    }

    /// The `q` quantile (0..1) in milliseconds (upper edge of its bucket), `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        // Rounding up is the point: the rank of the q-th sample.
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let i = i as u64;
                let upper_us = if i < FINE {
                    (i + 1) * 20
                } else {
                    FINE * 20 + (i - FINE + 1) * 1000
                };
                return Some(upper_us as f64 / 1000.0);
            }
        }
        None
    }
}

/// The counters of one scenario row, shared by all its senders and receivers.
#[derive(Default)]
pub struct Tally {
    /// Measurement window in [`now_us`] time: `[start, end)`; `u64::MAX` until set.
    window: [AtomicU64; 2],
    /// Packets that should arrive: each packet sent in the window, once per receiver of it.
    pub expected_packets: AtomicU64,
    /// Video frames that should arrive complete, counted like `expected_packets`.
    pub expected_frames: AtomicU64,
    /// Packets sent in the window (once, not per receiver).
    pub sent_packets: AtomicU64,
    /// RTP packets receivers read (decrypted by webrtc-rs) whose send time is in the window.
    pub received_packets: AtomicU64,
    /// Complete VP8 frames receivers got (all packets of the frame, the last with the marker bit).
    pub received_frames: AtomicU64,
    /// Packets received outside any trailer (not ours): should stay 0.
    pub foreign_packets: AtomicU64,
    /// Added latency of every packet counted in `received_packets`.
    pub latency: Histogram,
    /// Video payload bytes that should arrive if every receiver gets every publisher's best layer,
    /// counted like `expected_packets`.
    pub expected_video_bytes: AtomicU64,
    /// Video payload bytes of the packets counted in `received_packets`.
    pub received_video_bytes: AtomicU64,
}

impl Tally {
    /// A fresh tally with no window yet.
    pub fn new() -> Arc<Self> {
        let t = Self::default();
        t.window[0].store(u64::MAX, Ordering::Relaxed);
        t.window[1].store(u64::MAX, Ordering::Relaxed);
        Arc::new(t)
    }

    /// Opens the window now.
    pub fn open(&self) -> u64 {
        let now = now_us();
        self.window[0].store(now, Ordering::Relaxed);
        now
    }

    /// Closes the window now.
    pub fn close(&self) -> u64 {
        let now = now_us();
        self.window[1].store(now, Ordering::Relaxed);
        now
    }

    /// Whether a packet sent at `sent_us` counts.
    pub fn in_window(&self, sent_us: u64) -> bool {
        sent_us >= self.window[0].load(Ordering::Relaxed)
            && sent_us < self.window[1].load(Ordering::Relaxed)
    }

    /// A sender sent a packet at `sent_us` that `fanout` receivers should get.
    pub fn sent(&self, sent_us: u64, fanout: u64, completes_frame: bool) {
        if self.in_window(sent_us) {
            self.sent_packets.fetch_add(1, Ordering::Relaxed);
            self.expected_packets.fetch_add(fanout, Ordering::Relaxed);
            if completes_frame {
                self.expected_frames.fetch_add(fanout, Ordering::Relaxed);
            }
        }
    }
}

impl Tally {
    /// A sender sent, at `sent_us`, video that receivers should get `bytes` of in all.
    pub fn sent_video_bytes(&self, sent_us: u64, bytes: u64) {
        if self.in_window(sent_us) {
            self.expected_video_bytes
                .fetch_add(bytes, Ordering::Relaxed);
        }
    }
}

/// What one receiving track remembers between packets to tell complete frames.
#[derive(Default)]
pub struct FrameTracker {
    frame: Option<u32>,
    seen: u32,
}

impl FrameTracker {
    /// Notes a packet; `true` if it completed its frame (all packets seen, this one the marker).
    pub fn packet(&mut self, t: &Trailer, marker: bool) -> bool {
        if self.frame != Some(t.frame) {
            self.frame = Some(t.frame);
            self.seen = 0;
        }
        self.seen |= 1 << u32::from(t.index.min(31));
        let all = if t.count >= 32 {
            u32::MAX
        } else {
            (1u32 << t.count) - 1
        };
        marker && self.seen == all
    }
}

/// Reads a remote track until it ends, counting into `tally`. `sources` learns whose media this is.
pub async fn count_track(
    track: Arc<webrtc::track::track_remote::TrackRemote>,
    tally: Arc<Tally>,
    on_source: impl Fn(u16) + Send + 'static,
) {
    let video = track.kind() == webrtc::rtp_transceiver::rtp_codec::RTPCodecType::Video;
    let mut frames = FrameTracker::default();
    let mut known_source = None;
    while let Ok((packet, _)) = track.read_rtp().await {
        let Some(t) = Trailer::parse(&packet.payload) else {
            tally.foreign_packets.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        if known_source != Some(t.source) {
            known_source = Some(t.source);
            on_source(t.source);
        }
        let complete = video && frames.packet(&t, packet.header.marker);
        if tally.in_window(t.sent_us) {
            tally.received_packets.fetch_add(1, Ordering::Relaxed);
            if video {
                let bytes = packet.payload.len() as u64;
                tally
                    .received_video_bytes
                    .fetch_add(bytes, Ordering::Relaxed);
            }
            tally.latency.record(now_us().saturating_sub(t.sent_us));
            if complete {
                tally.received_frames.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Switches of a publisher's media loop.
#[derive(Default)]
pub struct SendControl {
    /// Set by a PLI/FIR: the next video frame is a key frame.
    pub want_keyframe: AtomicBool,
    /// Cleared to stop sending.
    pub running: AtomicBool,
}

/// Sends Opus, and VP8 on each video track in its layer's shape (one track, or the simulcast
/// layers lowest first), until `control.running` is cleared. `fanout` is how many receivers get
/// this publisher's media: the expected counts are those of its best (last) layer, which every
/// receiver gets unless it asks for less.
pub async fn publish(
    audio: Arc<TrackLocalStaticRTP>,
    videos: Vec<(Arc<TrackLocalStaticRTP>, LayerShape)>,
    source: u16,
    fanout: u64,
    tally: Arc<Tally>,
    control: Arc<SendControl>,
) {
    let audio_ssrc = 0x1000_0000 | u32::from(source);
    // webrtc-rs writes each track's own SSRC; this one is for the record.
    let video_ssrc = 0x2000_0000 | u32::from(source);
    let mut v_seqs = vec![0u16; videos.len()];
    let mut audio_tick = tokio::time::interval(AUDIO_FRAME);
    audio_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut video_tick = tokio::time::interval(VIDEO_FRAME);
    video_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut a_seq = 0u16;
    let (mut a_frame, mut v_frame) = (0u32, 0u32);
    // A fixed random-looking start, as RFC 3550 asks.
    let (a_ts0, v_ts0) = (0x1234_5678u32, 0x0765_4321u32);
    while control.running.load(Ordering::Relaxed) {
        tokio::select! {
            _ = audio_tick.tick() => {
                let sent_us = now_us();
                let packet = Packet {
                    header: Header {
                        version: 2,
                        marker: false,
                        payload_type: 111,
                        sequence_number: a_seq,
                        timestamp: a_ts0.wrapping_add(a_frame.wrapping_mul(960)),
                        ssrc: audio_ssrc,
                        ..Default::default()
                    },
                    payload: opus_payload(source, a_frame, sent_us),
                };
                // Before the transport is up a write goes nowhere; that is fine.
                if audio.write_rtp(&packet).await.is_ok() {
                    tally.sent(sent_us, fanout, false);
                }
                a_seq = a_seq.wrapping_add(1);
                a_frame = a_frame.wrapping_add(1);
            }
            _ = video_tick.tick() => {
                let sent_us = now_us();
                let key = u64::from(v_frame).is_multiple_of(KEYFRAME_INTERVAL)
                    || control.want_keyframe.swap(false, Ordering::Relaxed);
                let frame = VideoFrame {
                    source,
                    frame: v_frame,
                    key,
                    // Truncation is the point: the PictureID wraps at 15 bits.
                    picture_id: (v_frame & 0x7fff) as u16,
                    sent_us,
                };
                let best = videos.len().saturating_sub(1);
                for (layer, ((video, shape), v_seq)) in videos.iter().zip(&mut v_seqs).enumerate() {
                    for index in 0..shape.packets {
                        let last = index + 1 == shape.packets;
                        let packet = Packet {
                            header: Header {
                                version: 2,
                                marker: last,
                                payload_type: 96,
                                sequence_number: *v_seq,
                                timestamp: v_ts0.wrapping_add(v_frame.wrapping_mul(3000)),
                                ssrc: video_ssrc,
                                ..Default::default()
                            },
                            payload: frame.payload(index, shape),
                        };
                        if video.write_rtp(&packet).await.is_ok() && layer == best {
                            tally.sent(sent_us, fanout, last);
                            tally.sent_video_bytes(sent_us, fanout * shape.bytes as u64);
                        }
                        *v_seq = v_seq.wrapping_add(1);
                    }
                }
                v_frame = v_frame.wrapping_add(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trailer_round_trips_and_payloads_have_their_sizes() {
        let frame = VideoFrame {
            source: 7,
            frame: 42,
            key: true,
            picture_id: 42,
            sent_us: 123_456,
        };
        let p = frame.payload(0, &FULL);
        assert_eq!(p.len(), VIDEO_PAYLOAD_BYTES);
        // Descriptor: X and S set, I with the M bit; then a key frame's tag and start code.
        assert_eq!(&p[..2], &[0x90, 0x80]);
        assert_eq!(p[4] & 1, 0, "key frame: P bit clear");
        assert_eq!(&p[7..10], &[0x9d, 0x01, 0x2a]);
        let t = Trailer::parse(&p).expect("a trailer");
        assert_eq!(
            t,
            Trailer {
                source: 7,
                index: 0,
                count: VIDEO_PACKETS_PER_FRAME,
                frame: 42,
                sent_us: 123_456
            }
        );
        let a = opus_payload(1, 2, 3);
        assert_eq!(a.len(), AUDIO_PAYLOAD_BYTES);
        assert_eq!(Trailer::parse(&a).map(|t| t.sent_us), Some(3));
        assert_eq!(Trailer::parse(b"too short"), None);
    }

    #[test]
    fn a_frame_is_complete_only_with_all_packets_and_the_marker() {
        let mut f = FrameTracker::default();
        let t = |frame, index| Trailer {
            source: 0,
            index,
            count: 3,
            frame,
            sent_us: 0,
        };
        assert!(!f.packet(&t(1, 0), false));
        assert!(!f.packet(&t(1, 1), false));
        assert!(f.packet(&t(1, 2), true));
        assert!(!f.packet(&t(2, 0), false));
        assert!(!f.packet(&t(2, 2), true), "packet 1 of frame 2 was lost");
    }

    #[test]
    fn quantiles_come_from_the_buckets() {
        let h = Histogram::default();
        for us in [100, 200, 300, 400, 150_000] {
            h.record(us);
        }
        assert_eq!(h.quantile_ms(0.5), Some(0.32));
        assert_eq!(h.quantile_ms(0.99), Some(151.0));
        assert_eq!(Histogram::default().quantile_ms(0.5), None);
    }
}
