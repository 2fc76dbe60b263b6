//! The conference's own access log (R7 of the privacy notice): who joined, uploaded, downloaded and
//! left, when, with which browser and operating system, from which address, coming from which page.
//!
//! Invariants:
//! - An entry holds exactly the fields the notice lists ([`LogEntry`]) and the participant it is
//!   about. The User-Agent header is reduced to browser and system with their versions at once; the
//!   raw header is not kept. The internet provider is not looked up: that would need a third party.
//! - It lives in the room task's memory only and goes with the [`Room`](super::Room): when the
//!   conference ends, it is gone, unless an operator put it on hold for a security incident (see
//!   `hold.rs`). It is never written to the operational log.
//! - Requests that belong to no conference (the home page, static files, creating a meeting) are
//!   not logged with any personal data at all: only a conference has a session log.
//! - It is bounded by `Limits::session_log_max_entries`; entries beyond are counted, not kept.
//! - "My data" ([`SessionLog::of`]) gives a participant their own entries and nobody else's.

use std::net::IpAddr;

use treff_shared::{LogEntry, LogEvent, ParticipantId};

use crate::holds::HoldMeta;

/// What a request tells about the one who made it: the facts a log entry may keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    /// The client address as the server sees it, or as its trusted proxy reports it.
    pub addr: Option<IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The `Referer` header.
    pub referrer: Option<String>,
}

/// Longest browser or system description kept; a User-Agent header can be kilobytes long.
const DESCRIPTION_MAX_CHARS: usize = 80;
/// Longest referrer kept.
const REFERRER_MAX_CHARS: usize = 512;

/// A conference's session log.
#[derive(Debug)]
pub struct SessionLog {
    entries: Vec<(ParticipantId, LogEntry)>,
    max_entries: usize,
    /// Entries not kept because the log was full.
    omitted: u64,
    /// The incident hold an operator put on it, if any.
    hold: Option<HoldMeta>,
}

impl SessionLog {
    /// An empty log that keeps at most `max_entries`.
    pub fn new(max_entries: usize) -> Self {
        Self {
            entries: Vec::new(),
            max_entries,
            omitted: 0,
            hold: None,
        }
    }

    /// Records that `who` did `event` at `at_ms`, with what `client` (the request's facts) says;
    /// `None` for events no request carries (a dropped connection).
    pub fn record(
        &mut self,
        at_ms: u64,
        who: ParticipantId,
        event: LogEvent,
        client: Option<&Client>,
    ) {
        if self.entries.len() >= self.max_entries {
            self.omitted += 1;
            return;
        }
        let (browser, os) = client
            .and_then(|c| c.user_agent.as_deref())
            .map_or((None, None), describe);
        let entry = LogEntry {
            at_ms,
            event,
            browser,
            os,
            address: client.and_then(|c| c.addr).map(|a| a.to_string()),
            referrer: client
                .and_then(|c| c.referrer.as_deref())
                .map(|r| truncate(r, REFERRER_MAX_CHARS)),
        };
        self.entries.push((who, entry));
    }

    /// The entries about `who`, oldest first.
    pub fn of(&self, who: ParticipantId) -> Vec<LogEntry> {
        self.entries
            .iter()
            .filter(|(id, _)| *id == who)
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// Every entry, oldest first, with whom it is about (for a hold).
    pub fn entries(&self) -> &[(ParticipantId, LogEntry)] {
        &self.entries
    }

    /// The incident hold on this log, if an operator put one.
    pub fn hold(&self) -> Option<&HoldMeta> {
        self.hold.as_ref()
    }

    /// Puts the log on hold: it is written to the holds store, and again at the end.
    pub fn set_hold(&mut self, meta: HoldMeta) {
        self.hold = Some(meta);
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries not kept because the log was full.
    pub fn omitted(&self) -> u64 {
        self.omitted
    }
}

/// Browser and operating system, each with its version, from a User-Agent header (woothee's
/// patterns). Either is `None` when the header does not say.
fn describe(user_agent: &str) -> (Option<String>, Option<String>) {
    let Some(ua) = woothee::parser::Parser::new().parse(user_agent) else {
        return (None, None);
    };
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    let join = |name: &str, version: &str| {
        let text = if known(version) {
            format!("{name} {version}")
        } else {
            name.to_string()
        };
        truncate(&text, DESCRIPTION_MAX_CHARS)
    };
    let browser = known(ua.name).then(|| join(ua.name, ua.version));
    let os = known(ua.os).then(|| join(ua.os, &ua.os_version));
    (browser, os)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ParticipantId = ParticipantId(1);
    const B: ParticipantId = ParticipantId(2);

    fn firefox() -> Client {
        Client {
            addr: Some("192.0.2.7".parse().expect("address")),
            user_agent: Some(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
                    .into(),
            ),
            referrer: Some("https://intranet.example/meetings".into()),
        }
    }

    #[test]
    fn an_entry_holds_the_listed_fields_from_the_request() {
        let mut log = SessionLog::new(10);
        log.record(1_000, A, LogEvent::Join, Some(&firefox()));
        assert_eq!(
            log.of(A),
            vec![LogEntry {
                at_ms: 1_000,
                event: LogEvent::Join,
                browser: Some("Firefox 128.0".into()),
                os: Some("Windows 10 NT 10.0".into()),
                address: Some("192.0.2.7".into()),
                referrer: Some("https://intranet.example/meetings".into()),
            }]
        );
    }

    #[test]
    fn browsers_and_systems_are_named_with_their_versions() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36",
                Some("Chrome 131.0.0.0"),
                Some("Linux"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                Some("Safari 17.5"),
                Some("iPhone 17.5"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.6778.81 Mobile Safari/537.36",
                Some("Chrome 131.0.6778.81"),
                Some("Android 14"),
            ),
            ("webrtc-rs test participant", None, None),
        ];
        for (ua, browser, os) in cases {
            let (b, o) = describe(ua);
            assert_eq!((b.as_deref(), o.as_deref()), (browser, os), "{ua}");
        }
    }

    #[test]
    fn a_huge_header_is_cut_and_a_leave_carries_no_request() {
        let mut log = SessionLog::new(10);
        let client = Client {
            user_agent: Some(format!("Mozilla/5.0 Firefox/{}", "9".repeat(5000))),
            referrer: Some("x".repeat(5000)),
            ..firefox()
        };
        log.record(1, A, LogEvent::Download, Some(&client));
        log.record(2, A, LogEvent::Leave, None);
        let entries = log.of(A);
        assert!(
            entries[0]
                .browser
                .as_ref()
                .is_some_and(|b| b.chars().count() <= DESCRIPTION_MAX_CHARS)
        );
        assert_eq!(
            entries[0].referrer.as_ref().map(|r| r.chars().count()),
            Some(REFERRER_MAX_CHARS)
        );
        assert_eq!(
            entries[1],
            LogEntry {
                at_ms: 2,
                event: LogEvent::Leave,
                browser: None,
                os: None,
                address: None,
                referrer: None,
            }
        );
    }

    #[test]
    fn each_participant_gets_only_their_own_entries_and_the_log_is_bounded() {
        let mut log = SessionLog::new(3);
        log.record(1, A, LogEvent::Join, Some(&firefox()));
        log.record(2, B, LogEvent::Join, None);
        log.record(3, A, LogEvent::Upload, Some(&firefox()));
        log.record(4, B, LogEvent::Download, None);
        assert_eq!(
            log.of(A).iter().map(|e| e.at_ms).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(log.of(B).iter().map(|e| e.at_ms).collect::<Vec<_>>(), [2]);
        assert_eq!((log.len(), log.omitted()), (3, 1));
    }
}
