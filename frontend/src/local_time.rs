//! Server times (Unix milliseconds) shown in the browser's own time zone.
//!
//! The server stamps every chat message and the deletion receipt with its clock; only the browser
//! knows the participant's time zone, so the conversion happens here and nowhere else.

use js_sys::Date;
use wasm_bindgen::JsValue;

fn date(ms: u64) -> Date {
    // Milliseconds since 1970 stay far below 2^53 for the next 285,000 years: exact as f64.
    Date::new(&JsValue::from_f64(ms as f64))
}

/// `HH:MM`, 24-hour, local: the time beside a chat message and in the transcript.
pub fn clock(ms: u64) -> String {
    let d = date(ms);
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// `YYYY-MM-DD`, local: for file names, which must not depend on the language.
pub fn file_date(ms: u64) -> String {
    let d = date(ms);
    format!(
        "{:04}-{:02}-{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}

/// The date in the language's usual form (`1.5.2026`, `01/05/2026`).
pub fn date_text(ms: u64, locale: &str) -> String {
    date(ms)
        .to_locale_date_string(locale, &JsValue::UNDEFINED)
        .into()
}

/// Date and time in the language's usual form.
pub fn date_time_text(ms: u64, locale: &str) -> String {
    date(ms)
        .to_locale_string(locale, &JsValue::UNDEFINED)
        .into()
}

/// The machine-readable form for `<time datetime>` (ISO 8601, UTC).
pub fn iso(ms: u64) -> String {
    date(ms).to_iso_string().into()
}

/// Now, in Unix milliseconds by the browser's clock.
pub fn now_ms() -> u64 {
    // `Date.now()` is a non-negative whole number of milliseconds: the cast loses nothing.
    Date::now() as u64
}
