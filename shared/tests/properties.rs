//! Property tests of what the server parses from untrusted clients (issue 12, hostile input): the
//! `ClientMsg` JSON of every WebSocket message, meeting ids from links and tokens, and the file names
//! of uploads. For any input: no panic; what is accepted is well-formed and round-trips; file names
//! come out safe to show and to store.
//!
//! Each property runs `PROPTEST_CASES` cases (default 2000 here, a few seconds); the bench command
//! `cargo xtask bench fuzz` runs them far longer.

use proptest::prelude::*;
use treff_shared::attachment::FILE_NAME_MAX_CHARS;
use treff_shared::ids::{ROOM_ID_MAX_LEN, ROOM_ID_MIN_LEN};
use treff_shared::{ClientMsg, RoomId, sanitize_file_name};

/// Valid messages of every shape a client sends: the seeds that mutations start from.
const SEEDS: &[&str] = &[
    r#"{"type":"Hello","protocol":1}"#,
    r#"{"type":"Join","room":"AAECAwQFBgcICQoLDA0ODw","name":"Anna","mic":false,"cam":false}"#,
    r#"{"type":"Answer","sdp":"v=0\r\n"}"#,
    r#"{"type":"SetMedia","mic":true,"cam":false,"screen":true}"#,
    r#"{"type":"Leave"}"#,
    r#"{"type":"MyData"}"#,
    r#"{"type":"Rename","name":"Anna B."}"#,
    r#"{"type":"EraseMessage","id":7}"#,
    r#"{"type":"RaiseHand","raised":true}"#,
    r#"{"type":"Chat","text":"Hallo","to":2,"attachment":"CQkJCQkJCQkJCQkJCQkJCQ"}"#,
    r#"{"type":"Recording","action":{"action":"Propose"}}"#,
    r#"{"type":"Consent","consent":"no"}"#,
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(2000),
        // A failure is reported with the input that shows it; no regression file in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A seed with up to eight random edits: a byte replaced, inserted or removed.
fn mutated() -> impl Strategy<Value = String> {
    let edit = (any::<usize>(), 0u8..3, any::<char>());
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(edit, 0..8),
    )
        .prop_map(|(seed, edits)| {
            let mut chars: Vec<char> = seed.chars().collect();
            for (at, kind, c) in edits {
                let at = at % (chars.len() + 1);
                match kind {
                    0 if at < chars.len() => chars[at] = c,
                    1 => chars.insert(at, c),
                    _ if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => {}
                }
            }
            chars.into_iter().collect()
        })
}

/// Accepted messages survive a round trip unchanged: the server's reading is the only reading.
fn round_trips(text: &str) -> Result<(), TestCaseError> {
    if let Ok(msg) = serde_json::from_str::<ClientMsg>(text) {
        let again = serde_json::to_string(&msg).expect("a parsed message serialises");
        let back: ClientMsg = serde_json::from_str(&again).expect("its own output parses");
        prop_assert_eq!(back, msg);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_is_a_message_or_an_error_never_a_panic(text in ".{0,300}") {
        round_trips(&text)?;
    }

    #[test]
    fn mutated_messages_are_refused_or_round_trip(text in mutated()) {
        round_trips(&text)?;
    }

    #[test]
    fn a_meeting_id_is_url_safe_and_of_bounded_length(text in "[A-Za-z0-9_=+/-]{0,70}|.{0,70}") {
        let valid = (ROOM_ID_MIN_LEN..=ROOM_ID_MAX_LEN).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        match RoomId::parse(&text) {
            Ok(id) => {
                prop_assert!(valid, "accepted {text:?}");
                prop_assert_eq!(id.as_str(), text.as_str());
            }
            Err(_) => prop_assert!(!valid, "refused {text:?}"),
        }
    }

    #[test]
    fn sanitised_file_names_are_safe_bounded_and_stable(name in ".{0,400}") {
        let clean = sanitize_file_name(&name);
        prop_assert!(!clean.is_empty());
        prop_assert!(clean.chars().count() <= FILE_NAME_MAX_CHARS, "{} chars", clean.chars().count());
        prop_assert!(!clean.starts_with('.'), "{clean:?}");
        prop_assert!(
            !clean.chars().any(|c| c.is_control() || "/\\\"<>:|?*;".contains(c)),
            "{clean:?}"
        );
        prop_assert_eq!(clean.trim(), clean.as_str());
        prop_assert_eq!(sanitize_file_name(&clean), clean.clone(), "sanitising twice changes nothing");
    }
}
