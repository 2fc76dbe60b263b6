//! What someone sees after leaving: a confirmation, a way back in, and a way home; when the
//! conference ended while they were in it, that it ended and the deletion receipt.

use leptos::prelude::*;
use treff_shared::DeletionReceipt;

use crate::components::auto_rejoin::AutoRejoin;
use crate::components::deletion_receipt::DeletionReceiptView;
use crate::i18n::texts;

/// The "you left the meeting" / "the meeting has ended" view.
#[component]
pub fn Left(
    /// The server's receipt when the conference ended (and was deleted) while this participant was
    /// in it; `None` after leaving a meeting that goes on.
    receipt: Option<DeletionReceipt>,
    /// The conference ended because the server is restarting: said, so nobody wonders.
    restarting: bool,
    /// Called when the person wants to enter the same meeting again.
    on_rejoin: Callback<()>,
) -> impl IntoView {
    let t = texts();
    let ended = if receipt.is_some() { "true" } else { "false" };
    let (title, text) = if receipt.is_some() {
        (t.ended_title, t.ended_text)
    } else {
        (t.left_title, t.left_text)
    };
    view! {
        <main class="page-card" data-testid="left-page" data-ended=ended>
            <h1 data-testid=(ended == "true").then_some("ended-page")>{title}</h1>
            <p>{text}</p>
            {restarting.then(|| view! {
                <p data-testid="server-restarting">{t.server_going_away}</p>
                <AutoRejoin on_back=on_rejoin />
            })}
            {receipt.map(|receipt| view! { <DeletionReceiptView receipt /> })}
            <button type="button" class="primary" data-testid="rejoin" on:click=move |_| on_rejoin.run(())>
                {t.rejoin}
            </button>
            <a href="/" data-testid="home-link">
                {t.back_home}
            </a>
        </main>
    }
}
