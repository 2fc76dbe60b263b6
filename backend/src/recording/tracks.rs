//! Track files of a raw capture, written as the media arrives, without transcoding: VP8 frames
//! reassembled from RTP payloads ([`Vp8Depacketizer`]) into IVF ([`IvfWriter`]), and Opus packets
//! into Ogg ([`OggOpusWriter`], RFC 7845).
//!
//! Invariants:
//! - A VP8 frame is handed out only when it is whole: it began with a packet that starts
//!   partition 0, and every packet up to its end (the marker bit, or the next frame's timestamp)
//!   arrived in sequence. A frame with a gap is dropped, never written half.
//! - IVF frame times are milliseconds (time base 1/1000) relative to the segment's start; Ogg
//!   granule positions are 48 kHz samples relative to it, so the renderer places every frame and
//!   sample at the segment's `start_ms` plus its own time.
//! - A file is complete only after `finish` (IVF frame count patched, Ogg end-of-stream page
//!   written); a writer dropped without it leaves a file that players still read.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use ogg::writing::{PacketWriteEndInfo, PacketWriter};

/// One reassembled VP8 frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vp8Frame {
    /// RTP timestamp of the frame (90 kHz).
    pub timestamp: u32,
    /// An intra frame: decodable on its own.
    pub keyframe: bool,
    /// The VP8 frame, payload descriptors removed.
    pub data: Vec<u8>,
}

/// Reassembles VP8 frames from the RTP payloads of one track (RFC 7741).
#[derive(Debug, Default)]
pub struct Vp8Depacketizer {
    /// The frame being assembled: its timestamp and bytes so far.
    current: Option<(u32, Vec<u8>)>,
    /// Sequence number of the last packet seen.
    last_seq: Option<u64>,
    /// Frames completed but not yet handed out (two can complete on one packet when a sender
    /// leaves out the marker bit).
    ready: VecDeque<Vp8Frame>,
}

/// What the VP8 payload descriptor (RFC 7741 §4.2) says about a packet.
struct Descriptor {
    /// Start of a VP8 partition.
    start: bool,
    /// Partition index.
    partition: u8,
    /// Length of the descriptor: where the VP8 payload begins.
    len: usize,
}

fn descriptor(payload: &[u8]) -> Option<Descriptor> {
    let first = *payload.first()?;
    let mut len = 1;
    if first & 0x80 != 0 {
        // X: the extension byte with I, L, T and K.
        let ext = *payload.get(len)?;
        len += 1;
        if ext & 0x80 != 0 {
            // I: PictureID, 7 or (M bit) 15 bits.
            let pid = *payload.get(len)?;
            len += if pid & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            // L: TL0PICIDX.
            len += 1;
        }
        if ext & 0x30 != 0 {
            // T or K: one byte with TID, Y and KEYIDX.
            len += 1;
        }
    }
    (payload.len() > len).then_some(Descriptor {
        start: first & 0x10 != 0,
        partition: first & 0x07,
        len,
    })
}

impl Vp8Depacketizer {
    /// Takes the next packet of the track (its extended sequence number, RTP timestamp, marker
    /// bit and payload) and returns a frame when one is complete.
    pub fn push(
        &mut self,
        seq: u64,
        rtp_ts: u32,
        marker: bool,
        payload: &[u8],
    ) -> Option<Vp8Frame> {
        self.packet(seq, rtp_ts, marker, payload);
        self.ready.pop_front()
    }

    fn packet(&mut self, seq: u64, rtp_ts: u32, marker: bool, payload: &[u8]) {
        let in_order = match self.last_seq {
            Some(last) if seq <= last => return, // a duplicate or a late packet
            Some(last) => seq == last + 1,
            None => true,
        };
        self.last_seq = Some(seq);
        if !in_order {
            // A packet was lost: whatever frame it belonged to is incomplete.
            self.current = None;
        }
        if let Some((ts, _)) = &self.current
            && *ts != rtp_ts
        {
            // A new timestamp without a marker before it: the frame before is complete.
            self.complete();
        }
        let Some(d) = descriptor(payload) else {
            self.current = None;
            return;
        };
        let data = &payload[d.len..];
        match &mut self.current {
            Some((_, bytes)) => bytes.extend_from_slice(data),
            None if d.start && d.partition == 0 => self.current = Some((rtp_ts, data.to_vec())),
            // The middle of a frame whose start is missing.
            None => return,
        }
        if marker {
            self.complete();
        }
    }

    fn complete(&mut self) {
        if let Some((timestamp, data)) = self.current.take() {
            // VP8 payload header (RFC 7741 §4.3): P, the inverse key frame flag, is bit 0.
            let keyframe = data.first().is_some_and(|b| b & 0x01 == 0);
            self.ready.push_back(Vp8Frame {
                timestamp,
                keyframe,
                data,
            });
        }
    }
}

/// Width and height of a VP8 key frame (RFC 6386 §9.1), when `frame` is one.
pub fn vp8_size(frame: &[u8]) -> Option<(u16, u16)> {
    if frame.len() < 10 || frame[0] & 0x01 != 0 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff;
    let height = u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff;
    Some((width, height))
}

/// IVF header length.
const IVF_HEADER: usize = 32;

/// Writes VP8 frames into an IVF file with a time base of 1/1000 (frame times in milliseconds).
/// The picture size in the header comes from the first key frame.
pub struct IvfWriter {
    out: BufWriter<File>,
    frames: u32,
    size_known: bool,
}

impl IvfWriter {
    /// Creates the file (0600) and writes a header whose size and frame count are filled in later.
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut out = BufWriter::new(create_private(path)?);
        let mut header = [0u8; IVF_HEADER];
        header[0..4].copy_from_slice(b"DKIF");
        header[4..6].copy_from_slice(&0u16.to_le_bytes()); // version
        header[6..8].copy_from_slice(&(IVF_HEADER as u16).to_le_bytes());
        header[8..12].copy_from_slice(b"VP80");
        // Width and height (12..16) wait for the first key frame.
        header[16..20].copy_from_slice(&1000u32.to_le_bytes()); // time base denominator
        header[20..24].copy_from_slice(&1u32.to_le_bytes()); // time base numerator
        // Frame count (24..28) is patched by `finish`; 28..32 unused.
        out.write_all(&header)?;
        Ok(Self {
            out,
            frames: 0,
            size_known: false,
        })
    }

    /// Appends a frame at `pts_ms` milliseconds after the segment's start.
    pub fn write_frame(&mut self, pts_ms: u64, data: &[u8]) -> io::Result<()> {
        if !self.size_known
            && let Some((width, height)) = vp8_size(data)
        {
            self.patch(12, &[width.to_le_bytes(), height.to_le_bytes()].concat())?;
            self.size_known = true;
        }
        let len = u32::try_from(data.len()).map_err(io::Error::other)?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&pts_ms.to_le_bytes())?;
        self.out.write_all(data)?;
        self.frames += 1;
        Ok(())
    }

    /// Patches the frame count into the header and flushes the file.
    pub fn finish(mut self) -> io::Result<()> {
        let frames = self.frames.to_le_bytes();
        self.patch(24, &frames)?;
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }

    /// Overwrites header bytes at `offset`, then returns to the end of the file.
    fn patch(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.out.flush()?;
        let file = self.out.get_mut();
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(bytes)?;
        file.seek(SeekFrom::End(0))?;
        Ok(())
    }
}

/// Serial number of the one logical stream in each Ogg file.
const OGG_SERIAL: u32 = 0x5472_6566; // "Tref"

/// A page is closed after about this much audio (48 kHz samples), so that a player seeks finely
/// and a file cut off by a crash loses little.
const PAGE_SAMPLES: u64 = 48_000;

/// Writes Opus packets into an Ogg file (RFC 7845): the `OpusHead` and `OpusTags` headers on
/// pages of their own, then the audio, the last page flagged end-of-stream.
///
/// Pre-skip is 0: the capture starts in the middle of a running stream, and every sample
/// belongs where its granule position puts it. A jump in granule positions (the sender paused,
/// discontinuous transmission, lost packets) ends a page, so that the packet after it is timed by
/// its own page's granule position, not counted back from the one before.
pub struct OggOpusWriter {
    writer: PacketWriter<'static, BufWriter<File>>,
    /// The packet written last, held back so that `finish` can flag its page end-of-stream.
    pending: Option<(Vec<u8>, u64)>,
    /// Granule position at the end of the last page.
    page_start: u64,
    /// An audio packet was written (the pending packet is no longer the tags).
    audio: bool,
}

impl OggOpusWriter {
    /// Creates the file (0600) and writes the two header pages for `channels` channels.
    pub fn create(path: &Path, channels: u8) -> io::Result<Self> {
        let mut writer = PacketWriter::new(BufWriter::new(create_private(path)?));
        let mut head = Vec::with_capacity(19);
        head.extend_from_slice(b"OpusHead");
        head.push(1); // version
        head.push(channels);
        head.extend_from_slice(&0u16.to_le_bytes()); // pre-skip
        head.extend_from_slice(&48_000u32.to_le_bytes()); // input sample rate (informational)
        head.extend_from_slice(&0i16.to_le_bytes()); // output gain
        head.push(0); // channel mapping family 0: mono or stereo
        writer.write_packet(head, OGG_SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        let vendor = b"treff";
        let mut tags = Vec::with_capacity(16 + vendor.len());
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes()); // no user comments
        Ok(Self {
            writer,
            // The tags are held back like a packet: with no audio at all they end the stream.
            pending: Some((tags, 0)),
            page_start: 0,
            audio: false,
        })
    }

    /// Appends a packet whose last sample is at `granule_48k` (48 kHz samples since the
    /// segment's start).
    pub fn write_packet(&mut self, granule_48k: u64, data: &[u8]) -> io::Result<()> {
        if let Some((prev, prev_granule)) = self.pending.take() {
            // The tags end their page: audio starts on a page of its own (RFC 7845 §3).
            let headers_done = !self.audio;
            let gap = prev_granule + opus_samples(data) != granule_48k;
            let full = granule_48k.saturating_sub(self.page_start) >= PAGE_SAMPLES;
            let end = if headers_done || gap || full {
                self.page_start = prev_granule;
                PacketWriteEndInfo::EndPage
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            self.writer
                .write_packet(prev, OGG_SERIAL, end, prev_granule)?;
        }
        self.pending = Some((data.to_vec(), granule_48k));
        self.audio = true;
        Ok(())
    }

    /// Writes the last packet on a page flagged end-of-stream and flushes the file.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some((last, granule)) = self.pending.take() {
            self.writer
                .write_packet(last, OGG_SERIAL, PacketWriteEndInfo::EndStream, granule)?;
        }
        let mut out = self.writer.into_inner();
        out.flush()?;
        out.get_ref().sync_data()
    }
}

/// Samples (48 kHz) in an Opus packet, from its TOC byte (RFC 6716 §3.1): frame length by
/// configuration, times the frame count. 960 (20 ms) when the packet is too short to tell.
pub fn opus_samples(packet: &[u8]) -> u64 {
    let Some(&toc) = packet.first() else {
        return 960;
    };
    let config = toc >> 3;
    // Frame length in 48 kHz samples: SILK 10/20/40/60 ms, hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
    let per_frame: u64 = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        12..=15 => [480, 960][usize::from(config % 2)],
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    };
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => packet.get(1).map_or(1, |b| u64::from(b & 0x3f)),
    };
    per_frame * frames
}

/// Creates (or truncates) a file only its owner can read.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload descriptor with X, I (15-bit PictureID), L and T/K set, then `vp8`.
    fn extended(start: bool, pid: u8, vp8: &[u8]) -> Vec<u8> {
        let mut p = vec![
            0x80 | if start { 0x10 } else { 0 } | pid,
            0xf0,
            0x80 | 0x12,
            0x34,
            7,
            0x40,
        ];
        p.extend_from_slice(vp8);
        p
    }

    /// The shortest descriptor (no extensions), then `vp8`.
    fn plain(start: bool, vp8: &[u8]) -> Vec<u8> {
        let mut p = vec![if start { 0x10 } else { 0 }];
        p.extend_from_slice(vp8);
        p
    }

    #[test]
    fn frames_complete_on_the_marker_and_the_descriptor_is_removed() {
        let mut d = Vp8Depacketizer::default();
        assert_eq!(
            d.push(10, 900, false, &extended(true, 0, &[0x10, 1, 2])),
            None
        );
        assert_eq!(d.push(11, 900, false, &extended(false, 0, &[3, 4])), None);
        let frame = d.push(12, 900, true, &plain(false, &[5])).expect("frame");
        assert_eq!(frame.timestamp, 900);
        assert!(frame.keyframe, "P bit 0 is a key frame");
        assert_eq!(frame.data, vec![0x10, 1, 2, 3, 4, 5]);
        let delta = d
            .push(13, 3900, true, &plain(true, &[0x11, 9]))
            .expect("frame");
        assert!(!delta.keyframe, "P bit 1 is an inter frame");
        assert_eq!(delta.data, vec![0x11, 9]);
    }

    #[test]
    fn descriptor_extensions_are_parsed_one_by_one() {
        // X with only I (7-bit PictureID).
        let mut d = Vp8Depacketizer::default();
        let f = d
            .push(1, 0, true, &[0x90, 0x80, 0x05, 0x10, 0xaa])
            .expect("frame");
        assert_eq!(f.data, vec![0x10, 0xaa]);
        // X with only L.
        let f = d
            .push(2, 1, true, &[0x90, 0x40, 0x01, 0x10, 0xbb])
            .expect("frame");
        assert_eq!(f.data, vec![0x10, 0xbb]);
        // X with only K.
        let f = d
            .push(3, 2, true, &[0x90, 0x10, 0x21, 0x10, 0xcc])
            .expect("frame");
        assert_eq!(f.data, vec![0x10, 0xcc]);
        // X with no extension at all.
        let f = d
            .push(4, 3, true, &[0x90, 0x00, 0x10, 0xdd])
            .expect("frame");
        assert_eq!(f.data, vec![0x10, 0xdd]);
    }

    #[test]
    fn a_frame_with_a_sequence_gap_is_dropped_and_the_next_one_kept() {
        let mut d = Vp8Depacketizer::default();
        assert_eq!(d.push(1, 100, false, &plain(true, &[0x10, 1])), None);
        // Packet 2 is lost.
        assert_eq!(d.push(3, 100, true, &plain(false, &[3])), None);
        let next = d
            .push(4, 200, true, &plain(true, &[0x11, 4]))
            .expect("next frame");
        assert_eq!(next.timestamp, 200);
        assert_eq!(next.data, vec![0x11, 4]);
    }

    #[test]
    fn a_frame_whose_start_is_missing_is_dropped() {
        let mut d = Vp8Depacketizer::default();
        // Not a start of partition 0: S bit clear, or a later partition.
        assert_eq!(d.push(1, 100, true, &plain(false, &[1])), None);
        assert_eq!(d.push(2, 200, true, &[0x11, 0x10, 2]), None);
        assert!(d.push(3, 300, true, &plain(true, &[0x10, 3])).is_some());
    }

    #[test]
    fn a_timestamp_change_completes_a_frame_without_marker() {
        let mut d = Vp8Depacketizer::default();
        assert_eq!(d.push(1, 100, false, &plain(true, &[0x10, 1])), None);
        let first = d
            .push(2, 200, false, &plain(true, &[0x11, 2]))
            .expect("first");
        assert_eq!((first.timestamp, first.data), (100, vec![0x10, 1]));
        // This packet completes frame 200 (new timestamp) and frame 300 (marker) at once.
        let second = d
            .push(3, 300, true, &plain(true, &[0x11, 3]))
            .expect("second");
        assert_eq!(second.timestamp, 200);
        let third = d
            .push(4, 400, false, &plain(true, &[0x11, 4]))
            .expect("third, a packet late");
        assert_eq!(third.timestamp, 300);
    }

    #[test]
    fn duplicates_and_late_packets_are_ignored() {
        let mut d = Vp8Depacketizer::default();
        assert_eq!(d.push(5, 100, false, &plain(true, &[0x10, 1])), None);
        assert_eq!(d.push(5, 100, false, &plain(true, &[0x10, 1])), None);
        assert_eq!(d.push(4, 100, false, &plain(false, &[9])), None);
        let f = d.push(6, 100, true, &plain(false, &[2])).expect("frame");
        assert_eq!(f.data, vec![0x10, 1, 2]);
    }

    #[test]
    fn opus_packet_lengths_follow_the_toc_byte() {
        assert_eq!(opus_samples(&[0xfc]), 960); // CELT FB 20 ms, one frame
        assert_eq!(opus_samples(&[0x79]), 2 * 960); // hybrid FB 20 ms, two frames
        assert_eq!(opus_samples(&[0x0b, 0x03]), 3 * 960); // SILK NB 20 ms, code 3, three frames
        assert_eq!(opus_samples(&[0xfb, 0x03]), 3 * 960); // code 3, three frames
        assert_eq!(opus_samples(&[]), 960);
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("treff-tracks-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn ivf_header_carries_size_time_base_and_frame_count() {
        let dir = temp_dir("ivf");
        let path = dir.join("a.ivf");
        let mut w = IvfWriter::create(&path).expect("create");
        // A key frame header for 640x360: frame tag, start code, sizes.
        let key = [
            0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01, 0xff,
        ];
        w.write_frame(0, &key).expect("write");
        w.write_frame(40, &[0x11, 0, 0, 1]).expect("write");
        w.finish().expect("finish");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(&bytes[0..4], b"DKIF");
        assert_eq!(&bytes[8..12], b"VP80");
        assert_eq!(u16::from_le_bytes([bytes[12], bytes[13]]), 640);
        assert_eq!(u16::from_le_bytes([bytes[14], bytes[15]]), 360);
        assert_eq!(&bytes[16..24], &[0xe8, 0x03, 0, 0, 1, 0, 0, 0]);
        assert_eq!(
            u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]),
            2
        );
        // Second frame: size 4, pts 40.
        let second = IVF_HEADER + 12 + key.len();
        assert_eq!(&bytes[second..second + 4], &4u32.to_le_bytes());
        assert_eq!(&bytes[second + 4..second + 12], &40u64.to_le_bytes());
        assert_eq!(bytes.len(), second + 12 + 4);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).expect("clean up");
    }

    #[test]
    fn ogg_pages_have_headers_granules_and_an_end_of_stream() {
        let dir = temp_dir("ogg");
        let path = dir.join("a.ogg");
        let mut w = OggOpusWriter::create(&path, 2).expect("create");
        // 20 ms CELT packets; a gap of one second after the fifth.
        let mut granule = 0;
        for i in 0..10u64 {
            granule += 960;
            if i == 5 {
                granule += 48_000;
            }
            w.write_packet(granule, &[0xfc, i as u8]).expect("write");
        }
        w.finish().expect("finish");

        // The ogg crate's reader checks every page's CRC.
        let mut r = ogg::PacketReader::new(File::open(&path).expect("open"));
        let head = r.read_packet_expected().expect("head");
        assert!(head.data.starts_with(b"OpusHead"));
        assert_eq!(head.data[9], 2, "channels");
        assert!(head.first_in_stream() && head.last_in_page());
        let tags = r.read_packet_expected().expect("tags");
        assert!(tags.data.starts_with(b"OpusTags"));
        assert!(tags.last_in_page(), "the tags have a page of their own");
        let mut packets = Vec::new();
        while let Some(p) = r.read_packet().expect("packet") {
            packets.push(p);
        }
        assert_eq!(packets.len(), 10);
        assert_eq!(
            packets[4].absgp_page(),
            5 * 960,
            "the page before the gap ends at it"
        );
        assert!(packets[4].last_in_page());
        assert_eq!(packets[5].absgp_page(), 6 * 960 + 48_000);
        assert!(
            packets[5].last_in_page(),
            "the packet after the gap has its own page time"
        );
        let last = packets.last().expect("last");
        assert!(last.last_in_stream(), "end of stream on the last page");
        assert_eq!(last.absgp_page(), 10 * 960 + 48_000);
        std::fs::remove_dir_all(dir).expect("clean up");
    }

    #[test]
    fn an_ogg_file_without_audio_still_ends_its_stream() {
        let dir = temp_dir("ogg-empty");
        let path = dir.join("a.ogg");
        OggOpusWriter::create(&path, 1)
            .expect("create")
            .finish()
            .expect("finish");
        let mut r = ogg::PacketReader::new(File::open(&path).expect("open"));
        r.read_packet_expected().expect("head");
        let tags = r.read_packet_expected().expect("tags");
        assert!(tags.last_in_stream());
        std::fs::remove_dir_all(dir).expect("clean up");
    }
}
