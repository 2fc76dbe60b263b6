//! For moderators: the output jobs of recordings stopped in this meeting, with their progress and,
//! once done, a download button per file (the download carries the moderator key in a header).

use leptos::prelude::*;
use treff_shared::JobState;

use crate::chat::human_size;
use crate::i18n::{ModerationTexts, rec_texts, texts};
use crate::recording::recording_ctx;

/// The list of jobs (nothing while there are none).
#[component]
pub fn RecordingJobs() -> impl IntoView {
    let rt = rec_texts();
    let t = texts();
    let Some(ctx) = recording_ctx() else {
        return ().into_any();
    };
    let jobs = ctx.ui.jobs;
    let row = move |(id, job): (String, JobState)| {
        // For tests and styling: the job's stage, which the text below says in words.
        let stage = match &job {
            JobState::Queued => "queued",
            JobState::Processing { .. } => "processing",
            JobState::Failed { .. } => "failed",
            JobState::Done { .. } => "done",
            JobState::Discarded => "discarded",
        };
        let recording_id = id.clone();
        let body = match job {
            JobState::Queued => view! { <span>{rt.job_queued}</span> }.into_any(),
            JobState::Processing { percent } => view! {
                <span>{ModerationTexts::fill(rt.job_processing, &percent.to_string())}</span>
                <progress max="100" value=percent.to_string() data-testid="recording-progress"></progress>
            }
            .into_any(),
            JobState::Failed { .. } => view! { <span role="alert">{rt.job_failed}</span> }.into_any(),
            JobState::Discarded => view! { <span>{rt.job_discarded}</span> }.into_any(),
            JobState::Done { recording } => {
                let files = recording.files.into_iter().map(|f| {
                    let (id, name) = (id.clone(), f.name.clone());
                    let label = format!("{} ({})", f.name, human_size(f.bytes, t.decimal_separator));
                    view! {
                        <button
                            type="button"
                            data-testid="recording-download"
                            data-file=f.name.clone()
                            on:click=move |_| ctx.download.run((id.clone(), name.clone()))
                        >
                            {label}
                        </button>
                    }
                });
                view! {
                    <span>{rt.job_done}</span>
                    {files.collect_view()}
                }
                .into_any()
            }
        };
        view! {
            <li class="recording-job" data-testid="recording-job" data-state=stage data-recording-id=recording_id>
                {body}
            </li>
        }
    };
    view! {
        <Show when=move || jobs.with(|j| !j.is_empty())>
            <ul class="recording-jobs" aria-label=rt.bar_label>
                {move || jobs.get().into_iter().map(row).collect_view()}
            </ul>
        </Show>
    }
    .into_any()
}
