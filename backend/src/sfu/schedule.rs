//! When each peer of a room must be polled: the room polls a peer only when it needs it, so the cost
//! of a packet does not grow with the number of people in the room.
//!
//! A peer needs a poll after input was handed to it, after something was written to it (a packet to
//! forward, a keyframe request, an offer), or when its own timeout is due (str0m's timers: RTCP
//! reports, NACKs, DTLS and ICE). The first two mark it *ready*; the timeout goes into a binary heap
//! of deadlines, and the room sleeps until the earliest one.
//!
//! Invariants:
//! - Every key has at most one *live* deadline, the earliest one asked for; older heap entries for
//!   the same key are stale and skipped when they come up (lazy deletion). A later deadline than the
//!   live one is not pushed: the earlier entry fires, the peer is polled a little early and reports
//!   its real timeout again. So the heap holds about two entries per key, never a backlog.
//! - A key is in the ready list at most once.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::Hash;
use std::time::Instant;

/// Deadlines and ready marks for the peers of one room, by key.
#[derive(Debug)]
pub struct Schedule<K> {
    heap: BinaryHeap<Reverse<(Instant, K)>>,
    /// The live deadline of each key that has one.
    live: HashMap<K, Instant>,
    ready: Vec<K>,
    ready_set: HashSet<K>,
}

impl<K: Copy + Ord + Hash> Default for Schedule<K> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            live: HashMap::new(),
            ready: Vec::new(),
            ready_set: HashSet::new(),
        }
    }
}

impl<K: Copy + Ord + Hash> Schedule<K> {
    /// The peer wants to be polled again at `at` (its `Output::Timeout`).
    pub fn wake_at(&mut self, key: K, at: Instant) {
        match self.live.get(&key) {
            Some(&live) if live <= at => {}
            _ => {
                self.live.insert(key, at);
                self.heap.push(Reverse((at, key)));
            }
        }
    }

    /// The peer must be polled in this round (input arrived, or something was written to it).
    pub fn mark_ready(&mut self, key: K) {
        if self.ready_set.insert(key) {
            self.ready.push(key);
        }
    }

    /// Moves every key whose deadline is due at `now` to the ready list.
    pub fn collect_due(&mut self, now: Instant) {
        while let Some(Reverse((at, key))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            if self.live.get(&key) == Some(&at) {
                self.live.remove(&key);
                self.mark_ready(key);
            }
        }
    }

    /// Takes the ready keys, in the order they became ready. Polling them may make others ready:
    /// call again until it is empty.
    pub fn take_ready(&mut self) -> Vec<K> {
        self.ready_set.clear();
        std::mem::take(&mut self.ready)
    }

    /// The earliest live deadline, if any key has one.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        // Drop stale entries from the top, so the room does not wake for nothing.
        while let Some(Reverse((at, key))) = self.heap.peek().copied() {
            if self.live.get(&key) == Some(&at) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    /// Forgets a key (its peer is gone). Its heap entries become stale.
    pub fn remove(&mut self, key: K) {
        self.live.remove(&key);
        if self.ready_set.remove(&key) {
            self.ready.retain(|k| *k != key);
        }
    }

    /// Heap entries, live and stale (for the test that the heap stays small).
    #[cfg(test)]
    pub fn heap_len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ms(base: Instant, n: u64) -> Instant {
        base + Duration::from_millis(n)
    }

    #[test]
    fn only_due_and_ready_keys_are_taken() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        for key in 0..40u32 {
            s.wake_at(key, ms(t0, 100 + u64::from(key)));
        }
        s.mark_ready(7);
        s.mark_ready(7);
        assert_eq!(s.take_ready(), vec![7], "ready once, nothing else due");
        s.collect_due(ms(t0, 102));
        assert_eq!(s.take_ready(), vec![0, 1, 2]);
        assert_eq!(s.next_deadline(), Some(ms(t0, 103)));
    }

    #[test]
    fn an_earlier_deadline_replaces_a_later_one_and_the_stale_entry_is_skipped() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        s.wake_at(1u32, ms(t0, 500));
        s.wake_at(1, ms(t0, 10));
        s.collect_due(ms(t0, 10));
        assert_eq!(s.take_ready(), vec![1]);
        // The 500 ms entry is stale: the key has no live deadline now.
        s.collect_due(ms(t0, 600));
        assert!(s.take_ready().is_empty());
        assert_eq!(s.next_deadline(), None);
    }

    #[test]
    fn a_later_deadline_keeps_the_live_one_and_the_heap_stays_small() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        // A peer polled a thousand times, always reporting a timeout 50 ms ahead.
        for n in 0..1000 {
            s.wake_at(1u32, ms(t0, n + 50));
        }
        assert_eq!(s.heap_len(), 1);
        assert_eq!(s.next_deadline(), Some(ms(t0, 50)));
    }

    #[test]
    fn a_removed_key_is_never_taken() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        s.wake_at(1u32, ms(t0, 5));
        s.mark_ready(2);
        s.mark_ready(1);
        s.remove(1);
        s.collect_due(ms(t0, 10));
        assert_eq!(s.take_ready(), vec![2]);
    }
}
