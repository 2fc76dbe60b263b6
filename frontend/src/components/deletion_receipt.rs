//! The deletion receipt at the end of a conference: what the server deleted, in counts and times
//! only (no names, no text, no file names), so a participant can see the purge happened.

use leptos::prelude::*;
use treff_shared::DeletionReceipt;

use crate::chat::human_size;
use crate::i18n::texts;
use crate::local_time;

/// The receipt as a definition list.
#[component]
pub fn DeletionReceiptView(
    /// The server's receipt.
    receipt: DeletionReceipt,
) -> impl IntoView {
    let t = texts();
    let when = |ms: u64| local_time::date_time_text(ms, t.locale);
    view! {
        <section class="receipt" data-testid="deletion-receipt" aria-labelledby="receipt-title">
            <h2 id="receipt-title">{t.receipt_title}</h2>
            <dl>
                <dt>{t.receipt_started}</dt>
                <dd>
                    <time datetime=local_time::iso(receipt.started_at_ms)>{when(receipt.started_at_ms)}</time>
                </dd>
                <dt>{t.receipt_ended}</dt>
                <dd>
                    <time datetime=local_time::iso(receipt.ended_at_ms)>{when(receipt.ended_at_ms)}</time>
                </dd>
                <dt>{t.receipt_participants}</dt>
                <dd data-testid="receipt-participants">{receipt.participants}</dd>
                <dt>{t.receipt_messages}</dt>
                <dd data-testid="receipt-messages">{receipt.messages}</dd>
                <dt>{t.receipt_files}</dt>
                <dd data-testid="receipt-files">{receipt.files}</dd>
                <dt>{t.receipt_bytes}</dt>
                <dd>
                    <span data-testid="receipt-bytes">{receipt.bytes}</span>
                    {format!(
                        " {} ({})",
                        t.receipt_bytes_unit,
                        human_size(receipt.bytes, t.decimal_separator),
                    )}
                </dd>
            </dl>
        </section>
    }
}
