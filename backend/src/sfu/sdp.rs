//! The last touches on every offer the SFU sends, so that clients other than browsers accept it.
//!
//! str0m writes an offer for a peer that trickles: its one candidate only in the first m-section,
//! `a=ice-options:trickle`, no `a=end-of-candidates`, and `a=msid`/`a=ssrc` lines on every
//! m-section, also on those where we only receive. Our server is ICE-lite and knows all its
//! candidates when it offers, so the offer says so in every m-section of the BUNDLE group, as
//! RFC 8839 (§5.1, "end-of-candidates") and RFC 8843 (§7.1.2) expect of a non-trickling offerer:
//!
//! - every bundled m-section carries the server's candidates and `a=end-of-candidates`;
//! - no `a=ice-options:trickle` anywhere;
//! - no `a=msid`, `a=ssrc` or `a=ssrc-group` on a `recvonly` m-section (RFC 8830 §2: msid names
//!   what the offerer sends).
//!
//! Answers get one touch ([`conform_answer`]): the camera m-line is offered with simulcast, and some
//! clients (webrtc-rs among them) answer every offered rid with `a=rid:… send` and `a=simulcast`
//! while they send one stream without a rid, announced by its `a=ssrc`. str0m would then expect
//! rids and drop every packet. Where an answer's m-section announces exactly one stream by `a=ssrc`
//! and also rids, the rids go: the section says what the client really sends, one stream, which the
//! SFU takes as the camera's only (best) layer. Browsers that simulcast announce no single `a=ssrc`
//! beside their rids, and keep them.
//!
//! The edit works on the text, line by line, and never adds a line str0m would not understand in
//! the answer: str0m matches answers against its own session state, not against this text.
//! [`violations`] states the same rules as checks; the tests run it on every offer Treff makes.

/// Applies the rules above to an offer written by str0m.
pub fn conform_offer(sdp: &str) -> String {
    let (session, sections) = split(sdp);
    let bundle = bundle_mids(&session);
    // str0m puts its candidates into the first m-section only: they are the candidates of the
    // whole BUNDLE transport, so every bundled m-section gets the same ones.
    let candidates: Vec<&str> = sections
        .iter()
        .map(|s| s.iter().copied().filter(|l| l.starts_with("a=candidate:")))
        .find_map(|mut c| {
            c.next()
                .map(|first| std::iter::once(first).chain(c).collect())
        })
        .unwrap_or_default();

    let mut out = String::with_capacity(sdp.len() + sections.len() * 128);
    for line in &session {
        if !is_trickle(line) {
            push_line(&mut out, line);
        }
    }
    for section in &sections {
        let bundled = mid_of(section).is_some_and(|m| bundle.contains(&m));
        let recvonly = section.contains(&"a=recvonly");
        for line in section {
            let dropped = is_trickle(line)
                || line.starts_with("a=candidate:")
                || *line == "a=end-of-candidates"
                || (recvonly && is_send_description(line));
            if !dropped {
                push_line(&mut out, line);
            }
        }
        if bundled {
            for c in &candidates {
                push_line(&mut out, c);
            }
            push_line(&mut out, "a=end-of-candidates");
        }
    }
    out
}

/// Drops the rids of answer m-sections that announce one stream by `a=ssrc` (see the module header).
pub fn conform_answer(sdp: &str) -> String {
    let (session, sections) = split(sdp);
    let mut out = String::with_capacity(sdp.len());
    for line in &session {
        push_line(&mut out, line);
    }
    for section in &sections {
        let single = main_ssrcs(section) == 1;
        for line in section {
            let rid = line.starts_with("a=rid:") || line.starts_with("a=simulcast:");
            if !(single && rid) {
                push_line(&mut out, line);
            }
        }
    }
    out
}

/// Whether an answer takes the transport-wide sequence number extension: only then does the client
/// send the feedback the downlink estimate is made of (`sfu::estimate`).
pub fn gives_transport_feedback(answer: &str) -> bool {
    answer
        .lines()
        .any(|l| l.starts_with("a=extmap:") && l.contains("transport-wide-cc"))
}

/// How many streams an m-section announces by `a=ssrc`, not counting retransmission streams (the
/// second SSRC of each `a=ssrc-group:FID`).
fn main_ssrcs(section: &[&str]) -> usize {
    let mut ssrcs: Vec<&str> = section
        .iter()
        .filter_map(|l| l.strip_prefix("a=ssrc:")?.split(' ').next())
        .collect();
    ssrcs.sort_unstable();
    ssrcs.dedup();
    let repairs: Vec<&str> = section
        .iter()
        .filter_map(|l| l.strip_prefix("a=ssrc-group:FID "))
        .filter_map(|group| group.split(' ').nth(1))
        .collect();
    ssrcs.retain(|s| !repairs.contains(s));
    ssrcs.len()
}

/// What is wrong with an offer by the rules above (empty when it conforms).
pub fn violations(sdp: &str) -> Vec<String> {
    let (session, sections) = split(sdp);
    let bundle = bundle_mids(&session);
    let mut found = Vec::new();
    if session.iter().any(|l| is_trickle(l)) {
        found.push("session-level a=ice-options:trickle".to_owned());
    }
    let mut seen = Vec::new();
    for section in &sections {
        let Some(mid) = mid_of(section) else {
            found.push(format!("an m-section without a=mid: {:?}", section.first()));
            continue;
        };
        if seen.contains(&mid) {
            found.push(format!("mid {mid} is used twice"));
        }
        seen.push(mid);
        if section.iter().any(|l| is_trickle(l)) {
            found.push(format!("mid {mid}: a=ice-options:trickle"));
        }
        if bundle.contains(&mid) {
            let bundle_only = section.contains(&"a=bundle-only");
            let has_candidate = section.iter().any(|l| l.starts_with("a=candidate:"));
            if !bundle_only && !has_candidate {
                found.push(format!("mid {mid}: bundled but no candidate"));
            }
            if !section.contains(&"a=end-of-candidates") {
                found.push(format!("mid {mid}: no a=end-of-candidates"));
            }
        }
        if section.contains(&"a=recvonly") && section.iter().any(|l| is_send_description(l)) {
            found.push(format!("mid {mid}: msid or ssrc on a recvonly m-section"));
        }
    }
    found
}

/// The session lines, and the lines of each m-section (from its `m=` line on), without line ends.
fn split(sdp: &str) -> (Vec<&str>, Vec<Vec<&str>>) {
    let mut session = Vec::new();
    let mut sections: Vec<Vec<&str>> = Vec::new();
    for line in sdp.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        if line.starts_with("m=") {
            sections.push(vec![line]);
        } else if let Some(section) = sections.last_mut() {
            section.push(line);
        } else {
            session.push(line);
        }
    }
    (session, sections)
}

fn bundle_mids<'a>(session: &[&'a str]) -> Vec<&'a str> {
    session
        .iter()
        .find_map(|l| l.strip_prefix("a=group:BUNDLE"))
        .map(|mids| mids.split_whitespace().collect())
        .unwrap_or_default()
}

fn mid_of<'a>(section: &[&'a str]) -> Option<&'a str> {
    section.iter().find_map(|l| l.strip_prefix("a=mid:"))
}

fn is_trickle(line: &str) -> bool {
    line.strip_prefix("a=ice-options:")
        .is_some_and(|opts| opts.split_whitespace().any(|o| o == "trickle"))
}

/// Lines that describe what the offerer sends on an m-section.
fn is_send_description(line: &str) -> bool {
    line.starts_with("a=msid:") || line.starts_with("a=ssrc:") || line.starts_with("a=ssrc-group:")
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of a str0m offer: candidate in the first section only, trickle everywhere, msid
    /// and ssrc on a recvonly section.
    const STR0M_OFFER: &str = "v=0\r\n\
        o=str0m-0.25.0 1 2 IN IP4 0.0.0.0\r\n\
        s=-\r\n\
        t=0 0\r\n\
        a=group:BUNDLE 0 1 2\r\n\
        a=ice-lite\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
        c=IN IP4 0.0.0.0\r\n\
        a=candidate:1 1 udp 2130706175 127.0.0.1 10000 typ host\r\n\
        a=ice-ufrag:abc\r\n\
        a=ice-pwd:def\r\n\
        a=ice-options:trickle\r\n\
        a=mid:0\r\n\
        a=recvonly\r\n\
        a=msid:s t\r\n\
        a=ssrc:1 cname:x\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
        c=IN IP4 0.0.0.0\r\n\
        a=ice-options:trickle\r\n\
        a=mid:1\r\n\
        a=sendonly\r\n\
        a=msid:s2 t2\r\n\
        a=ssrc:2 cname:y\r\n\
        m=video 0 UDP/TLS/RTP/SAVPF 96\r\n\
        c=IN IP4 0.0.0.0\r\n\
        a=mid:9\r\n\
        a=inactive\r\n";

    #[test]
    fn str0ms_offer_breaks_the_rules_and_the_edit_fixes_them() {
        let before = violations(STR0M_OFFER);
        assert!(
            before
                .iter()
                .any(|v| v.contains("mid 1: bundled but no candidate")),
            "{before:?}"
        );
        assert!(before.iter().any(|v| v.contains("trickle")), "{before:?}");
        assert!(
            before.iter().any(|v| v.contains("mid 0: msid or ssrc")),
            "{before:?}"
        );

        let after = conform_offer(STR0M_OFFER);
        assert_eq!(violations(&after), Vec::<String>::new(), "{after}");
        // The sendonly section keeps what it sends; the rejected one (not bundled) gets nothing.
        assert!(after.contains("a=msid:s2 t2\r\na=ssrc:2 cname:y\r\n"));
        let rejected = after
            .split("m=video 0")
            .nth(1)
            .expect("the rejected section stays");
        assert!(!rejected.contains("a=candidate") && !rejected.contains("end-of-candidates"));
        assert_eq!(
            after.matches("a=candidate:").count(),
            2,
            "one per bundled section"
        );
    }

    #[test]
    fn an_answer_that_sends_one_stream_loses_its_rids_and_a_simulcast_answer_keeps_them() {
        let section = |ssrcs: &str| {
            format!(
                "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n\
                 a=mid:1\r\n\
                 a=sendonly\r\n\
                 a=rid:q send\r\n\
                 a=rid:h send\r\n\
                 a=rid:f send\r\n\
                 a=simulcast:send q;h;f\r\n\
                 {ssrcs}"
            )
        };
        let head = "v=0\r\ns=-\r\nt=0 0\r\n";
        // webrtc-rs: one stream and its retransmissions, announced by a=ssrc.
        let single = "a=ssrc-group:FID 11 12\r\na=ssrc:11 cname:x\r\na=ssrc:11 msid:s t\r\n\
                      a=ssrc:12 cname:x\r\n";
        let answer = format!("{head}{}", section(single));
        let conformed = conform_answer(&answer);
        assert!(!conformed.contains("a=rid") && !conformed.contains("a=simulcast"));
        assert!(conformed.contains("a=ssrc:11 msid:s t\r\na=ssrc:12 cname:x\r\n"));
        // A browser: rids and no a=ssrc (or one per layer): kept as it is.
        for ssrcs in [
            "",
            "a=ssrc:1 cname:x\r\na=ssrc:2 cname:x\r\na=ssrc:3 cname:x\r\n",
        ] {
            let answer = format!("{head}{}", section(ssrcs));
            assert_eq!(conform_answer(&answer), answer);
        }
    }

    #[test]
    fn the_edit_is_idempotent() {
        let once = conform_offer(STR0M_OFFER);
        assert_eq!(conform_offer(&once), once);
    }

    #[test]
    fn a_repeated_mid_is_a_violation() {
        let twice = STR0M_OFFER.replace("a=mid:9", "a=mid:1");
        assert!(
            violations(&twice)
                .iter()
                .any(|v| v == "mid 1 is used twice")
        );
    }
}
