//! What one outgoing m-line does to the RTP packets it forwards: the receiver sees one continuous
//! stream per m-line, whoever's packets it carries and whatever the SFU left out.
//!
//! The SFU forwards packets, not frames (str0m's RTP mode): a packet of a publisher goes out to
//! each receiver as it came, with the receiver's own SSRC (str0m's send stream), and sequence
//! numbers and timestamps moved by a per-m-line offset. The offsets change only at a *resync*:
//! the first packet, a new source (another participant on a recycled m-line, or the publisher's
//! new SSRC), or after the SFU skipped packets on purpose (a device switched off, or video waiting
//! for a keyframe). Then the next packet continues right after the last one sent, so the receiver
//! sees no loss and asks for no retransmissions of packets that will never come, and its RTP clock
//! moves on by the wall-clock time that passed.
//!
//! Video starts and resumes only at a keyframe: a decoder fed the middle of a picture sequence shows
//! garbage. Packets older than the resync point (late retransmissions) are dropped.
//!
//! Between resyncs a gap in the publisher's sequence numbers is passed on as a gap: that is real
//! network loss, and the receiver's NACK is answered from str0m's send buffer once the publisher's
//! retransmission arrives.
//!
//! VP8's picture id and TL0PICIDX (RFC 7741 §4.2) continue across resyncs the same way
//! ([`Forwarder::rewrite_vp8`]): every simulcast layer and every publisher counts its own, and a
//! receiver that sees them jump back after a switch takes the new layer's frames for ones it
//! already had. Chromium then drops them ("already received") and shows a frozen picture until
//! its own keyframe request, three seconds later.

use std::time::Instant;

/// The incoming side of one packet, as the forwarder needs it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming {
    /// The publisher's SSRC.
    pub ssrc: u32,
    /// Extended (64-bit, rollover-free) sequence number.
    pub seq: u64,
    /// RTP timestamp.
    pub timestamp: u32,
    /// When it arrived.
    pub at: Instant,
    /// The first packet of a keyframe (always false for audio, which needs none).
    pub keyframe_start: bool,
}

/// Sequence number and timestamp for the outgoing packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing {
    /// Extended sequence number on the receiver's stream.
    pub seq: u64,
    /// RTP timestamp on the receiver's stream.
    pub timestamp: u32,
}

#[derive(Debug, Clone, Copy)]
struct Last {
    seq: u64,
    timestamp: u32,
    at: Instant,
}

/// The rewriting state of one outgoing m-line.
#[derive(Debug)]
pub struct Forwarder {
    /// RTP clock rate of the m-line's codec (48 kHz Opus, 90 kHz video).
    clock_rate: u32,
    /// Whether packets may start (or resume) only at a keyframe.
    video: bool,
    /// The incoming SSRC and the offsets in use; `None` until the next resync.
    mapping: Option<Mapping>,
    last: Option<Last>,
    /// The VP8 ids of the newest frame sent, if any.
    last_vp8: Option<Vp8Ids>,
}

/// A VP8 frame's picture id (15 bits) and TL0PICIDX, or the offsets added to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Vp8Ids {
    picture_id: u16,
    tl0: u8,
}

/// Picture ids count modulo 2^15.
const PICTURE_ID_MASK: u16 = 0x7fff;

impl Vp8Ids {
    fn add(self, offset: Vp8Ids) -> Vp8Ids {
        Vp8Ids {
            picture_id: self.picture_id.wrapping_add(offset.picture_id) & PICTURE_ID_MASK,
            tl0: self.tl0.wrapping_add(offset.tl0),
        }
    }

    /// The offsets that turn `self` into `to`.
    fn to(self, to: Vp8Ids) -> Vp8Ids {
        Vp8Ids {
            picture_id: to.picture_id.wrapping_sub(self.picture_id) & PICTURE_ID_MASK,
            tl0: to.tl0.wrapping_sub(self.tl0),
        }
    }

    /// Whether `self` is a later (or the same) frame than `other`, in serial-number order.
    fn not_before(self, other: Vp8Ids) -> bool {
        self.picture_id.wrapping_sub(other.picture_id) & PICTURE_ID_MASK <= PICTURE_ID_MASK / 2
    }
}

/// What a VP8 RTP payload descriptor (RFC 7741 §4.2) says, and where its fields are.
#[derive(Debug, Clone, Copy)]
struct Vp8Descriptor {
    /// The packet starts a frame: S bit set, partition 0.
    frame_start: bool,
    /// Offset of the picture id and whether it has 15 bits (else 7).
    picture_id: Option<(usize, bool)>,
    /// Offset of TL0PICIDX.
    tl0: Option<usize>,
    /// Offset of the VP8 payload header, right after the descriptor.
    header: usize,
}

impl Vp8Descriptor {
    /// Walks `payload`'s descriptor; `None` when it is cut short.
    fn parse(payload: &[u8]) -> Option<Vp8Descriptor> {
        let first = *payload.first()?;
        let mut d = Vp8Descriptor {
            frame_start: first & 0x10 != 0 && first & 0x07 == 0,
            picture_id: None,
            tl0: None,
            header: 1,
        };
        if first & 0x80 != 0 {
            let x = *payload.get(1)?;
            d.header = 2;
            if x & 0x80 != 0 {
                // Picture id: one byte, or two when its M bit is set.
                let long = payload.get(d.header)? & 0x80 != 0;
                d.picture_id = Some((d.header, long));
                d.header += if long { 2 } else { 1 };
            }
            if x & 0x40 != 0 {
                d.tl0 = Some(d.header);
                d.header += 1;
            }
            if x & 0x30 != 0 {
                d.header += 1; // TID / KEYIDX
            }
        }
        // Every field found lies before the header: present if the descriptor is.
        (payload.len() >= d.header).then_some(d)
    }

    /// The descriptor of `payload` if it carries a picture id or TL0PICIDX.
    fn with_ids(payload: &[u8]) -> Option<Vp8Descriptor> {
        Self::parse(payload).filter(|d| d.picture_id.is_some() || d.tl0.is_some())
    }

    fn read(&self, payload: &[u8]) -> Vp8Ids {
        let picture_id = match self.picture_id {
            Some((at, true)) => {
                u16::from_be_bytes([payload[at], payload[at + 1]]) & PICTURE_ID_MASK
            }
            Some((at, false)) => u16::from(payload[at] & 0x7f),
            None => 0,
        };
        let tl0 = self.tl0.map_or(0, |at| payload[at]);
        Vp8Ids { picture_id, tl0 }
    }

    fn write(&self, payload: &mut [u8], ids: Vp8Ids) {
        match self.picture_id {
            Some((at, true)) => {
                let [high, low] = ids.picture_id.to_be_bytes();
                payload[at] = 0x80 | high;
                payload[at + 1] = low;
            }
            // A 7-bit picture id keeps its size: the low bits of the same count.
            Some((at, false)) => payload[at] = (ids.picture_id & 0x7f) as u8,
            None => {}
        }
        if let Some(at) = self.tl0 {
            payload[at] = ids.tl0;
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Mapping {
    ssrc: u32,
    /// The first incoming sequence number of this mapping; anything older is stale.
    first_seq: u64,
    /// Added to the incoming sequence number (wrapping in u64 arithmetic).
    seq_offset: u64,
    /// Added to the incoming timestamp (wrapping).
    ts_offset: u32,
    /// Added to the incoming VP8 ids; set by the mapping's first VP8 packet.
    vp8_offset: Option<Vp8Ids>,
}

/// The first outgoing sequence number: small, so the SRTP rollover counter starts at 0 as a
/// receiver expects without signalling (RFC 3711 §3.3.1).
const FIRST_SEQ: u64 = 1;

impl Forwarder {
    /// A forwarder for an m-line whose codec runs at `clock_rate`.
    pub fn new(clock_rate: u32, video: bool) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            video,
            mapping: None,
            last: None,
            last_vp8: None,
        }
    }

    /// Whether the next packet must be a keyframe (video waiting to start or resume).
    pub fn wants_keyframe(&self) -> bool {
        self.video && self.mapping.is_none()
    }

    /// The SFU skips packets from now on (device off, source gone): the next packet resyncs.
    pub fn pause(&mut self) {
        self.mapping = None;
    }

    /// Maps an incoming packet, or `None` if it must not be sent (stale, or video waiting for a
    /// keyframe).
    pub fn forward(&mut self, p: &Incoming) -> Option<Outgoing> {
        let mapping = match self.mapping {
            Some(m) if m.ssrc == p.ssrc => {
                if p.seq < m.first_seq {
                    return None;
                }
                m
            }
            // A new source or a new SSRC of the same source: a resync.
            _ => {
                if self.video && !p.keyframe_start {
                    self.mapping = None;
                    return None;
                }
                let m = self.resync(p);
                self.mapping = Some(m);
                m
            }
        };
        let out = Outgoing {
            seq: p.seq.wrapping_add(mapping.seq_offset),
            timestamp: p.timestamp.wrapping_add(mapping.ts_offset),
        };
        if self.last.is_none_or(|l| out.seq > l.seq) {
            self.last = Some(Last {
                seq: out.seq,
                timestamp: out.timestamp,
                at: p.at,
            });
        }
        Some(out)
    }

    /// Offsets that put `p` right after the last packet sent.
    fn resync(&self, p: &Incoming) -> Mapping {
        let (seq, timestamp) = match self.last {
            None => (FIRST_SEQ, p.timestamp),
            Some(last) => {
                let elapsed = p.at.saturating_duration_since(last.at);
                let ticks = (elapsed.as_secs_f64() * f64::from(self.clock_rate)).round();
                // At least one tick: a receiver treats an unchanged timestamp as the same frame.
                let ticks = (ticks.min(f64::from(u32::MAX / 2)) as u32).max(1);
                (last.seq + 1, last.timestamp.wrapping_add(ticks))
            }
        };
        Mapping {
            ssrc: p.ssrc,
            first_seq: p.seq,
            seq_offset: seq.wrapping_sub(p.seq),
            ts_offset: timestamp.wrapping_sub(p.timestamp),
            vp8_offset: None,
        }
    }

    /// The VP8 payload that [`Forwarder::forward`] just let through, with its picture id and
    /// TL0PICIDX moved by the mapping's offsets; `None` when they stay as they are (no copy). The
    /// first VP8 packet after a resync (a keyframe) gets the ids right after the newest frame
    /// sent: the next picture, and the next TL0 picture.
    pub fn rewrite_vp8(&mut self, payload: &[u8]) -> Option<Vec<u8>> {
        let (Some(mapping), Some(fields)) =
            (self.mapping.as_mut(), Vp8Descriptor::with_ids(payload))
        else {
            return None;
        };
        let incoming = fields.read(payload);
        let last = self.last_vp8;
        let offset = *mapping.vp8_offset.get_or_insert_with(|| match last {
            None => Vp8Ids::default(),
            Some(last) => incoming.to(Vp8Ids {
                picture_id: last.picture_id.wrapping_add(1) & PICTURE_ID_MASK,
                tl0: last.tl0.wrapping_add(1),
            }),
        });
        let out = incoming.add(offset);
        if last.is_none_or(|l| out.not_before(l)) {
            self.last_vp8 = Some(out);
        }
        (offset != Vp8Ids::default()).then(|| {
            let mut rewritten = payload.to_vec();
            fields.write(&mut rewritten, out);
            rewritten
        })
    }
}

/// Whether a VP8 RTP payload (RFC 7741) starts a keyframe: the first packet of a frame (S bit set,
/// partition 0) whose VP8 payload header has the P bit clear.
pub fn vp8_keyframe_start(payload: &[u8]) -> bool {
    Vp8Descriptor::parse(payload).is_some_and(|d| {
        d.frame_start
            && payload
                .get(d.header)
                .is_some_and(|header| header & 0x01 == 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn packet(ssrc: u32, seq: u64, timestamp: u32, at: Instant, key: bool) -> Incoming {
        Incoming {
            ssrc,
            seq,
            timestamp,
            at,
            keyframe_start: key,
        }
    }

    #[test]
    fn a_stream_passes_with_fixed_offsets_and_real_gaps_stay_gaps() {
        let t0 = Instant::now();
        let mut f = Forwarder::new(48_000, false);
        let a = f
            .forward(&packet(9, 5000, 100, t0, false))
            .expect("audio needs no keyframe");
        assert_eq!(
            a,
            Outgoing {
                seq: 1,
                timestamp: 100
            }
        );
        let b = f.forward(&packet(9, 5001, 1060, t0, false)).expect("next");
        assert_eq!(
            b,
            Outgoing {
                seq: 2,
                timestamp: 1060
            }
        );
        // 5002 lost on the network: the receiver sees the gap and may NACK it.
        let c = f
            .forward(&packet(9, 5003, 2980, t0, false))
            .expect("after a loss");
        assert_eq!(c.seq, 4);
        // The retransmission of 5002 comes late and keeps its place.
        let late = f
            .forward(&packet(9, 5002, 2020, t0, false))
            .expect("retransmission");
        assert_eq!(late.seq, 3);
    }

    #[test]
    fn a_pause_and_a_new_source_continue_the_stream_without_a_gap() {
        let t0 = Instant::now();
        let mut f = Forwarder::new(90_000, true);
        assert!(
            f.forward(&packet(1, 10, 0, t0, false)).is_none(),
            "video waits for a keyframe"
        );
        assert!(f.wants_keyframe());
        let first = f.forward(&packet(1, 11, 3000, t0, true)).expect("keyframe");
        assert_eq!(first.seq, FIRST_SEQ);
        f.forward(&packet(1, 12, 3000, t0, false))
            .expect("rest of the frame");
        f.pause();
        assert!(f.wants_keyframe());
        // Another participant's camera on the same m-line, 2 s later.
        let later = t0 + Duration::from_secs(2);
        assert!(f.forward(&packet(2, 70_000, 9, later, false)).is_none());
        let switched = f
            .forward(&packet(2, 70_001, 9, later, true))
            .expect("its keyframe");
        assert_eq!(switched.seq, FIRST_SEQ + 2, "no gap in sequence numbers");
        assert_eq!(
            switched.timestamp,
            3000 + 180_000,
            "the RTP clock ran on for 2 s"
        );
        // A late packet of the new source from before its keyframe is stale.
        assert!(f.forward(&packet(2, 69_999, 0, later, false)).is_none());
    }

    #[test]
    fn sequence_numbers_and_timestamps_wrap() {
        let t0 = Instant::now();
        let mut f = Forwarder::new(90_000, false);
        let a = f
            .forward(&packet(1, 3, u32::MAX - 10, t0, false))
            .expect("first");
        let b = f
            .forward(&packet(1, 4, 20, t0, false))
            .expect("wrapped timestamp");
        assert_eq!(b.timestamp.wrapping_sub(a.timestamp), 31);
        assert_eq!(b.seq, a.seq + 1);
    }

    /// A VP8 payload with a 15-bit picture id and TL0PICIDX (X, I, L and T set), S=1, and a VP8
    /// header that is a keyframe's or not.
    fn vp8(picture_id: u16, tl0: u8, key: bool) -> Vec<u8> {
        let [high, low] = picture_id.to_be_bytes();
        vec![
            0x90,
            0xe0,
            0x80 | high,
            low,
            tl0,
            0x20,
            if key { 0x10 } else { 0x11 },
        ]
    }

    fn ids(payload: &[u8]) -> (u16, u8) {
        let ids = Vp8Descriptor::with_ids(payload)
            .expect("fields")
            .read(payload);
        (ids.picture_id, ids.tl0)
    }

    #[test]
    fn vp8_picture_ids_continue_across_a_switch_of_layer() {
        let t0 = Instant::now();
        let mut f = Forwarder::new(90_000, true);
        let send = |f: &mut Forwarder, ssrc, seq, payload: Vec<u8>| {
            let key = vp8_keyframe_start(&payload);
            f.forward(&packet(ssrc, seq, 0, t0, key))?;
            Some(ids(&f.rewrite_vp8(&payload).unwrap_or(payload)))
        };
        // The first layer passes unchanged.
        assert_eq!(
            send(&mut f, 1, 10, vp8(20_000, 200, true)),
            Some((20_000, 200))
        );
        assert_eq!(
            send(&mut f, 1, 11, vp8(20_001, 200, false)),
            Some((20_001, 200))
        );
        // A switch to a layer whose counters are far behind: they continue after the last sent.
        f.pause();
        assert_eq!(send(&mut f, 2, 500, vp8(7, 3, true)), Some((20_002, 201)));
        assert_eq!(send(&mut f, 2, 501, vp8(8, 4, false)), Some((20_003, 202)));
        // A retransmission keeps its ids and does not move the newest back.
        assert_eq!(send(&mut f, 2, 500, vp8(7, 3, true)), Some((20_002, 201)));
        assert_eq!(send(&mut f, 2, 502, vp8(9, 4, false)), Some((20_004, 202)));
        assert_eq!(
            send(&mut f, 2, 499, vp8(6, 3, false)),
            None,
            "before the resync: stale"
        );
        // Both counters wrap.
        f.pause();
        assert_eq!(
            send(&mut f, 3, 9, vp8(PICTURE_ID_MASK, 255, true)),
            Some((20_005, 203))
        );
        f.pause();
        f.last_vp8 = Some(Vp8Ids {
            picture_id: PICTURE_ID_MASK,
            tl0: 255,
        });
        assert_eq!(send(&mut f, 4, 1, vp8(100, 100, true)), Some((0, 0)));
        assert_eq!(send(&mut f, 4, 2, vp8(101, 100, false)), Some((1, 0)));
    }

    #[test]
    fn vp8_descriptors_without_ids_or_truncated_are_left_alone() {
        let mut f = Forwarder::new(90_000, true);
        let t0 = Instant::now();
        f.forward(&packet(1, 1, 0, t0, true)).expect("keyframe");
        for payload in [
            vec![0x10, 0x50, 0x01],
            vec![0x90, 0x80],
            vec![0x90, 0x40],
            // A 15-bit picture id without its second byte; a TL0PICIDX cut off.
            vec![0x90, 0x80, 0x85],
            vec![0x90, 0xc0, 0x05],
            vec![],
        ] {
            assert_eq!(f.rewrite_vp8(&payload), None, "{payload:?}");
        }
        // A 7-bit picture id keeps its size.
        f.last_vp8 = Some(Vp8Ids {
            picture_id: 300,
            tl0: 0,
        });
        f.pause();
        f.forward(&packet(2, 1, 0, t0, true)).expect("keyframe");
        let short = f.rewrite_vp8(&[0x90, 0x80, 0x05, 0x10]);
        assert_eq!(short, Some(vec![0x90, 0x80, (301 & 0x7f) as u8, 0x10]));
    }

    #[test]
    fn vp8_keyframes_are_recognised_through_the_descriptor() {
        // S=1, PID=0, no extension; VP8 header P=0: keyframe.
        assert!(vp8_keyframe_start(&[0x10, 0x50, 0x01]));
        // P=1: interframe.
        assert!(!vp8_keyframe_start(&[0x10, 0x51, 0x01]));
        // Not the start of a partition.
        assert!(!vp8_keyframe_start(&[0x00, 0x50]));
        // X=1 with a 15-bit picture id, TL0PICIDX and TID: header at byte 6.
        assert!(vp8_keyframe_start(&[
            0x90, 0xe0, 0x80, 0x01, 0x07, 0x20, 0x10
        ]));
        assert!(!vp8_keyframe_start(&[
            0x90, 0xe0, 0x80, 0x01, 0x07, 0x20, 0x11
        ]));
        // Truncated.
        assert!(!vp8_keyframe_start(&[0x90, 0x80]));
        assert!(!vp8_keyframe_start(&[]));
    }
}
