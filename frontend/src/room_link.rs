//! Meeting links: the path of a meeting and reading one from what a person pasted. New meetings
//! (and their ids) come from the server (see [`crate::meetings_api`]).

use treff_shared::RoomId;

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
