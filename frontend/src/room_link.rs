//! Meeting links: making a fresh room id and reading one from what a person pasted.
//!
//! A room id is the only secret guarding a meeting (R1), so it comes from `crypto.getRandomValues`,
//! the browser's CSPRNG, and never from a seeded or time-based generator.

use treff_shared::RoomId;
use treff_shared::ids::ROOM_ID_RANDOM_BYTES;

/// Makes the id of a new meeting from 128 random bits. `None` only if the browser has no Web Crypto,
/// in which case refusing is safer than a guessable id.
pub fn new_room_id() -> Option<RoomId> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0u8; ROOM_ID_RANDOM_BYTES];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(RoomId::from_random(bytes))
}

/// The path of a meeting's page.
pub fn meeting_path(room: &RoomId) -> String {
    format!("/m/{}", room.as_str())
}

/// Reads a meeting from a pasted link (`https://host/m/<id>`, `/m/<id>`, with or without query or
/// fragment) or a bare id.
pub fn parse_join_input(input: &str) -> Option<RoomId> {
    let input = input.trim();
    let candidate = match input.rfind("/m/") {
        Some(at) => &input[at + 3..],
        None => input,
    };
    // A link may carry a query, a fragment or a trailing slash; the id is what comes before them.
    let candidate = candidate.split(['?', '#', '/']).next().unwrap_or(candidate);
    RoomId::parse(candidate).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "q83vEjRWeJCrze8SNFZ4kA";

    #[test]
    fn links_and_bare_ids_are_understood() {
        for input in [
            ID.to_owned(),
            format!("  {ID} "),
            format!("https://treff.example/m/{ID}"),
            format!("https://treff.example/m/{ID}/"),
            format!("https://treff.example/m/{ID}?x=1#y"),
            format!("/m/{ID}"),
        ] {
            assert_eq!(
                parse_join_input(&input).map(|r| r.as_str().to_owned()),
                Some(ID.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn junk_is_refused() {
        assert!(parse_join_input("").is_none());
        assert!(parse_join_input("hello").is_none());
        assert!(parse_join_input("https://treff.example/m/").is_none());
        assert!(parse_join_input("https://treff.example/").is_none());
    }
}
