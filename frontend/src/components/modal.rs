//! Keeps a modal `<dialog>` in step with an `open` signal: set the signal to open it with
//! `showModal` (the rest of the page goes inert, Escape closes it natively); the dialog's `close`
//! event resets the signal, so it stays right however the dialog closed.

use leptos::html;
use leptos::prelude::*;

/// Opens and closes `dialog` as `open` says. `what` names the dialog in a console error.
pub fn follow_open(dialog: NodeRef<html::Dialog>, open: RwSignal<bool>, what: &'static str) {
    Effect::new(move |_| {
        let wanted = open.get();
        let Some(dialog) = dialog.get() else {
            return;
        };
        if wanted && !dialog.open() {
            if let Err(e) = dialog.show_modal() {
                web_sys::console::error_3(&"treff: cannot open a dialog:".into(), &what.into(), &e);
                open.set(false);
            }
        } else if !wanted && dialog.open() {
            dialog.close();
        }
    });
}
