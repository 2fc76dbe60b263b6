//! The HTTP side of chat attachments: paths, headers, the upload's answer and file-name hygiene.
//!
//! A file is uploaded with `POST` [`UPLOAD_PATH`] (raw body, `Content-Length` required) and fetched
//! with `GET` [`download_path`]. Both carry `Authorization: Bearer <HttpToken>` from `Joined`, so only a
//! present participant of that conference can upload, and only those the message was addressed to can
//! download. The file name travels percent-encoded in [`FILE_NAME_HEADER`], never in the URL, so
//! neither the room id nor the name reaches a request line (and so no proxy's access log).

use serde::{Deserialize, Serialize};

use crate::ids::AttachmentId;
use crate::protocol::ErrorCode;

/// Where files are uploaded.
pub const UPLOAD_PATH: &str = "/api/attachments";

/// Header with the uploaded file's name, percent-encoded UTF-8.
pub const FILE_NAME_HEADER: &str = "x-treff-file-name";

/// Longest stored file name, in characters.
pub const FILE_NAME_MAX_CHARS: usize = 120;

/// Where an attachment is downloaded.
pub fn download_path(id: &AttachmentId) -> String {
    format!("{UPLOAD_PATH}/{id}")
}

/// An uploaded file as chat messages show it (and as the upload answers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// Its id, for the download path and for `ClientMsg::Chat`.
    pub id: AttachmentId,
    /// The sanitised file name (see [`sanitize_file_name`]).
    pub name: String,
    /// Size in bytes (of the plaintext).
    pub size: u64,
}

/// The body of an `/api` error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// Machine-readable reason; the UI translates it.
    pub code: ErrorCode,
    /// English explanation for developers.
    pub message: String,
}

/// A file name that is safe to store, show and put into `Content-Disposition`: no path, no control or
/// quoting characters, no leading dot (hidden files), at most [`FILE_NAME_MAX_CHARS`] characters with
/// the extension kept; `"attachment"` if nothing is left.
pub fn sanitize_file_name(name: &str) -> String {
    // Only the last path component: browsers send bare names, but a crafted client may not.
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*' | ';') {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Leading dots and white space go together: trimming them one after the other would leave the
    // dot of ". .bashrc" (found by `cargo xtask bench fuzz`).
    let cleaned = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    if cleaned.is_empty() {
        return "attachment".to_owned();
    }
    if cleaned.chars().count() <= FILE_NAME_MAX_CHARS {
        return cleaned.to_owned();
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 10 => (stem, ext),
        _ => (cleaned, ""),
    };
    let keep = FILE_NAME_MAX_CHARS - ext.chars().count() - usize::from(!ext.is_empty());
    let stem: String = stem.chars().take(keep).collect();
    // The cut may end in white space; a name never does (and sanitising twice changes nothing).
    let stem = stem.trim_end();
    if ext.is_empty() {
        stem.to_owned()
    } else {
        format!("{stem}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_quotes() {
        assert_eq!(sanitize_file_name("Bericht 2026.pdf"), "Bericht 2026.pdf");
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\a\\x.txt"), "x.txt");
        assert_eq!(sanitize_file_name("a\"b\r\nc.txt"), "a_b__c.txt");
        assert_eq!(sanitize_file_name(".bashrc"), "bashrc");
        assert_eq!(sanitize_file_name(". .bashrc"), "bashrc");
        assert_eq!(sanitize_file_name(" .\u{2003}..x.txt"), "x.txt");
        assert_eq!(sanitize_file_name(" .. "), "attachment");
        assert_eq!(sanitize_file_name(""), "attachment");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.docx", "ä".repeat(300));
        let s = sanitize_file_name(&long);
        assert_eq!(s.chars().count(), FILE_NAME_MAX_CHARS);
        assert!(s.ends_with(".docx"));
    }

    #[test]
    fn a_cut_never_ends_a_name_in_white_space() {
        // Found by the property test: the 120th character was a space.
        let long = format!(
            "{} tail of a very long name",
            "a".repeat(FILE_NAME_MAX_CHARS - 1)
        );
        let s = sanitize_file_name(&long);
        assert_eq!(s, "a".repeat(FILE_NAME_MAX_CHARS - 1));
        assert_eq!(sanitize_file_name(&s), s);
    }
}
