//! The SFU: media from each participant to every other, through one UDP socket (or one TCP port
//! where UDP is blocked), never decoded.
//!
//! Layout (the packet path, in the order a packet takes it):
//! - [`udp`]: the socket, bound with configured buffers; `recvmmsg`/`sendmmsg` batches; [`Drops`],
//!   the per-reason count of everything not delivered.
//! - [`demux`]: the route table (ICE ufrag or learnt source address → room and peer) and the task
//!   that reads the socket and hands each room its datagrams, one message per batch.
//! - [`tcp`]: ICE over TCP for networks that drop UDP: the media TCP port, its connections bound
//!   to peers through the same route table, RFC 4571 framing.
//! - [`peer`]: one participant's str0m `Rtc` (RTP mode): it decrypts, answers RTCP, and emits the
//!   publisher's RTP packets; as a receiver it takes packets to forward and encrypts them.
//! - [`estimate`]: the receiver's downlink estimate (str0m's bandwidth estimation) that the layer
//!   choice shares out.
//! - [`simulcast`]: per outgoing m-line, which layer of a simulcast camera it forwards, and the
//!   switch to another at a keyframe of it.
//! - [`forward`]: per outgoing m-line, the rewriting that makes one continuous stream out of what
//!   it carries (sequence numbers, timestamps, start at a keyframe).
//! - [`schedule`]: which peers of a room need a poll now, and when the next one is due.
//! - [`lines`]: which m-lines a peer has and what each carries (the outgoing pool, recycled).
//! - [`sdp`]: the last touches on each offer for clients that are not browsers.
//!
//! The room task (`room::media`) strings them together: a batch of datagrams arrives, each goes to
//! its peer (`Peer::receive`, which polls it at once); each RTP packet from a publisher is written
//! to every receiver that has an open m-line for it (`Peer::forward`), and those receivers are
//! marked ready; then every ready or due peer is polled once, whatever number of packets it got,
//! and all the datagrams they produced go out in one `sendmmsg` batch. A packet thus costs one
//! decryption, one encryption per receiver and a share of two system calls, and a peer with
//! nothing to do costs nothing.

pub mod demux;
pub mod estimate;
pub mod forward;
pub mod lines;
pub mod peer;
pub mod schedule;
pub mod sdp;
pub mod simulcast;
pub mod tcp;
pub mod udp;

pub use demux::{Datagram, Inbox, Routes};
pub use lines::{Publish, Source};
pub use peer::{AnswerError, Candidates, Forwarded, Peer, PeerEvent, ReceivedDatagram};
pub use udp::{Drops, SendBatch};

/// The property tests' configuration: `PROPTEST_CASES` cases (`cargo xtask bench fuzz` sets many),
/// else `default`; no failure files in the source tree (a failure prints its input).
#[cfg(test)]
pub(crate) fn property_config(default: u32) -> proptest::prelude::ProptestConfig {
    proptest::prelude::ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(default),
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    }
}
