//! Recording on the client: the recording as everyone sees it (running or paused, who answered
//! what), the person's own answer, and for moderators the output jobs and the recordings API.
//!
//! Invariants:
//! - Only the person's own click answers for them ([`RecordingCtx::consent`]); nothing here answers
//!   on anyone's behalf, and closing the question without an answer leaves them unanswered, which
//!   counts as no.
//! - The moderator key for the recordings API comes from the page's URL fragment and travels only
//!   in the `Authorization` header of a `fetch`, never in a URL.

use leptos::prelude::*;
use treff_shared::recording::{
    MODERATOR_AUTH_SCHEME, recording_path, recording_status_path, recordings_path,
};
use treff_shared::{
    Consent, JobState, ParticipantId, RecordingAction, RecordingEvent, RecordingState,
    RecordingSummary, RoomId,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestCache, RequestInit, Response};

/// The reactive recording state of a room, all `Copy` signal handles.
#[derive(Clone, Copy)]
pub struct RecordingUi {
    /// The recording, while one exists.
    pub state: RwSignal<Option<RecordingState>>,
    /// What happened last, with the name of whom it concerns (shown in the recording bar and read
    /// by screen readers).
    pub last_event: RwSignal<Option<(RecordingEvent, String)>>,
    /// The question "record me?" is open.
    pub asking: RwSignal<bool>,
    /// Output jobs of recordings stopped in this meeting (moderators only), newest last.
    pub jobs: RwSignal<Vec<(String, JobState)>>,
}

impl Default for RecordingUi {
    fn default() -> Self {
        Self {
            state: RwSignal::new(None),
            last_event: RwSignal::new(None),
            asking: RwSignal::new(false),
            jobs: RwSignal::new(Vec::new()),
        }
    }
}

impl RecordingUi {
    /// `id`'s answer, if a recording exists and they gave one (tracks the signal).
    pub fn answer_of(&self, id: ParticipantId) -> Option<Consent> {
        self.state.with(|s| {
            s.as_ref()?
                .answers
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.consent)
        })
    }

    /// Takes in a new state and event: the question opens for us when our answer is missing.
    pub fn update(
        &self,
        me: Option<ParticipantId>,
        state: Option<RecordingState>,
        event: Option<(RecordingEvent, String)>,
    ) {
        let unanswered = state
            .as_ref()
            .is_some_and(|s| me.is_some_and(|me| !s.answers.iter().any(|a| a.id == me)));
        // Asked when we join into a recording, when one is proposed, and when we arrive.
        let asks_us = match event.as_ref().map(|(e, _)| *e) {
            None | Some(RecordingEvent::Proposed { .. }) => true,
            Some(RecordingEvent::Arrived { id }) => Some(id) == me,
            Some(_) => false,
        };
        if state.is_none() {
            self.asking.set(false);
        } else if unanswered && asks_us {
            self.asking.set(true);
        }
        self.state.set(state);
        if event.is_some() {
            self.last_event.set(event);
        }
    }

    /// Records a job's progress.
    pub fn job(&self, id: String, job: JobState) {
        self.jobs
            .update(|jobs| match jobs.iter_mut().find(|(j, _)| *j == id) {
                Some((_, state)) => *state = job,
                None => jobs.push((id, job)),
            });
    }
}

/// What the recording controls need, provided as context by the room.
#[derive(Clone, Copy)]
pub struct RecordingCtx {
    /// Our own id once joined.
    pub me: RwSignal<Option<ParticipantId>>,
    /// The recording state.
    pub ui: RecordingUi,
    /// A moderator proposes or stops a recording.
    pub act: Callback<RecordingAction>,
    /// The person's own answer.
    pub consent: Callback<Consent>,
    /// A moderator downloads a file of a finished recording: (recording id, file name).
    pub download: Callback<(String, String)>,
}

impl RecordingCtx {
    /// Our own answer (tracks the signals).
    pub fn my_answer(&self) -> Option<Consent> {
        self.me.get().and_then(|me| self.ui.answer_of(me))
    }
}

/// The recording context of the room this component is in.
pub fn recording_ctx() -> Option<RecordingCtx> {
    use_context::<RecordingCtx>()
}

/// Why a recordings request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiFailure {
    /// The moderator key is missing or wrong.
    Unauthorized,
    /// Network or server error.
    Failed,
}

/// The finished recordings of a meeting.
pub async fn list(room: &RoomId, key: &str) -> Result<Vec<RecordingSummary>, ApiFailure> {
    let response = request("GET", &recordings_path(room.as_str()), key).await?;
    let text = JsFuture::from(response.text().map_err(|_| ApiFailure::Failed)?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or(ApiFailure::Failed)?;
    crate::json::decode(&text).ok_or(ApiFailure::Failed)
}

/// Downloads one file of a recording and offers it to the person as a file.
pub async fn download(room: &RoomId, key: &str, id: &str, file: &str) -> Result<(), ApiFailure> {
    let path = recording_path(room.as_str(), id, Some(file));
    let response = request("GET", &path, key).await?;
    let blob = JsFuture::from(response.blob().map_err(|_| ApiFailure::Failed)?)
        .await
        .map_err(|_| ApiFailure::Failed)?;
    let blob: web_sys::Blob = blob.dyn_into().map_err(|_| ApiFailure::Failed)?;
    crate::save_file::save(&blob, file).map_err(|_| ApiFailure::Failed)
}

/// Deletes a recording now.
pub async fn delete(room: &RoomId, key: &str, id: &str) -> Result<(), ApiFailure> {
    request("DELETE", &recording_path(room.as_str(), id, None), key)
        .await
        .map(|_| ())
}

/// Whether a recording exists in the running meeting (the pre-join page tells the person).
pub async fn exists(room: &RoomId) -> bool {
    let path = recording_status_path(room.as_str());
    let Ok(response) = fetch("GET", &path, None).await else {
        return false;
    };
    if !response.ok() {
        return false;
    }
    let Ok(text) = response.text() else {
        return false;
    };
    JsFuture::from(text)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .and_then(|t| crate::json::decode::<treff_shared::recording::RecordingStatus>(&t))
        .is_some_and(|s| s.recording)
}

async fn request(method: &str, path: &str, key: &str) -> Result<Response, ApiFailure> {
    let response = fetch(method, path, Some(key)).await.map_err(|e| {
        web_sys::console::error_2(&"treff: recordings request failed".into(), &e);
        ApiFailure::Failed
    })?;
    match response.status() {
        200..=299 => Ok(response),
        401 => Err(ApiFailure::Unauthorized),
        _ => Err(ApiFailure::Failed),
    }
}

async fn fetch(method: &str, path: &str, key: Option<&str>) -> Result<Response, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let headers = Headers::new()?;
    if let Some(key) = key {
        headers.set("Authorization", &format!("{MODERATOR_AUTH_SCHEME} {key}"))?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    init.set_cache(RequestCache::NoStore);
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init)).await?;
    response.dyn_into::<Response>()
}
