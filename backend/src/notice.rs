//! The privacy notice at `/privacy`, in German and English: the structure of the organisation's
//! notice (contacts, purpose and legal bases, recipients, retention, rights), with the operator's
//! `[privacy]` details filled in and Treff's own facts (what the session log holds, how long
//! recordings are kept) taken from the running configuration.
//!
//! Rendered once at start-up from the templates in `backend/templates/` (askama, HTML-escaped) and
//! served as plain HTML: it works without the UI's script, prints well, and costs the UI's bundle
//! nothing. The language is `?lang=de|en`, else the first German or English entry of
//! `Accept-Language` (the UI's own rule), else German.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use treff_shared::PrivacyNotice;

use crate::http::AppState;

#[derive(Template)]
#[template(path = "notice.de.html")]
struct German<'a> {
    n: &'a PrivacyNotice,
    recording_retention_days: Option<u32>,
    css: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "notice.en.html")]
struct English<'a> {
    n: &'a PrivacyNotice,
    recording_retention_days: Option<u32>,
    css: Option<&'a str>,
}

/// The notice in both languages, rendered.
#[derive(Debug)]
pub struct Pages {
    german: String,
    english: String,
}

impl Pages {
    /// Renders `notice`; recordings are kept `recording_retention_days` (`None`: switched off).
    /// `index_html` is the UI's page, whose stylesheet the notice uses too.
    pub fn render(
        notice: &PrivacyNotice,
        recording_retention_days: Option<u32>,
        index_html: &str,
    ) -> Result<Self, askama::Error> {
        let css = stylesheet(index_html);
        Ok(Self {
            german: German {
                n: notice,
                recording_retention_days,
                css,
            }
            .render()?,
            english: English {
                n: notice,
                recording_retention_days,
                css,
            }
            .render()?,
        })
    }

    /// The page in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::De => &self.german,
            Lang::En => &self.english,
        }
    }
}

/// The notice's languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// German, the default and the authoritative version.
    De,
    /// English.
    En,
}

impl Lang {
    /// The first German or English entry of an `Accept-Language` header, else German.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        for range in header.unwrap_or_default().split(',') {
            let tag = range
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("en") {
                return Self::En;
            }
            if tag.starts_with("de") {
                return Self::De;
            }
        }
        Self::De
    }

    fn tag(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }
}

/// `?lang=`.
#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<Lang>,
}

/// `GET /privacy`.
pub async fn page(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang.unwrap_or_else(|| {
        Lang::from_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_LANGUAGE,
                HeaderValue::from_static(lang.tag()),
            ),
            (header::VARY, HeaderValue::from_static("accept-language")),
        ],
        state.notice.get(lang).to_string(),
    )
        .into_response()
}

/// The `href` of the UI's stylesheet link in `index.html` (Trunk names it by its hash).
fn stylesheet(index_html: &str) -> Option<&str> {
    index_html.split("<link").skip(1).find_map(|tag| {
        let tag = tag.split('>').next()?;
        if !tag.contains("rel=\"stylesheet\"") {
            return None;
        }
        let (_, rest) = tag.split_once("href=\"")?;
        rest.split('"').next()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::example_privacy;

    #[test]
    fn both_languages_carry_the_operators_details_escaped() {
        let mut notice = example_privacy();
        notice.controller.name = "Verein <Nord> & Süd e.V.".into();
        let index = r#"<link rel="icon" href="data:,"/><link rel="stylesheet" href="/style-1a2b.css" integrity="x"/>"#;
        let pages = Pages::render(&notice, Some(7), index).expect("renders");
        for lang in [Lang::De, Lang::En] {
            let page = pages.get(lang);
            assert!(
                page.contains("Verein &#60;Nord&#62; &#38; Süd e.V.")
                    || page.contains("Verein &lt;Nord&gt; &amp; Süd e.V."),
                "{page}"
            );
            assert!(!page.contains("<Nord>"));
            for detail in [
                "datenschutz@itm-systems.com",
                "Brackeler Hellweg 144",
                "§ 53 KDG",
                "Art. 6 Abs. 1 lit. g) KDG",
                "§ 48 KDG",
                "§ 29 KDG",
                "2026-12",
                "href=\"/style-1a2b.css\"",
            ] {
                assert!(page.contains(detail), "{lang:?} lacks {detail}");
            }
        }
        assert!(
            pages
                .get(Lang::De)
                .contains("nach 7 Tagen automatisch gelöscht")
        );
        assert!(
            pages
                .get(Lang::En)
                .contains("deleted automatically after 7 days")
        );
        assert!(pages.get(Lang::De).contains("höchstens 30 Tage"));
    }

    #[test]
    fn switched_off_recording_and_no_processors_are_said_so() {
        let mut notice = example_privacy();
        notice.processors = None;
        let pages = Pages::render(&notice, None, "").expect("renders");
        assert!(pages.get(Lang::De).contains("Aufzeichnung abgeschaltet"));
        assert!(pages.get(Lang::En).contains("recording is switched off"));
        assert!(!pages.get(Lang::De).contains("Auftragsverarbeitung"));
        assert!(!pages.get(Lang::De).contains("stylesheet"));
    }

    #[test]
    fn the_language_is_the_first_german_or_english_preference() {
        let of = |h| Lang::from_accept_language(Some(h));
        assert_eq!(of("en-GB,en;q=0.9,de;q=0.8"), Lang::En);
        assert_eq!(of("de-DE,de;q=0.9,en;q=0.8"), Lang::De);
        assert_eq!(of("fr-FR, en;q=0.5"), Lang::En);
        assert_eq!(of("fr-FR"), Lang::De);
        assert_eq!(Lang::from_accept_language(None), Lang::De);
    }
}
