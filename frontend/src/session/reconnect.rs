//! Staying in the meeting when the signalling socket drops (Wi-Fi switch, laptop lid, a proxy's idle
//! timeout): the session opens new sockets with a growing pause and jitter, and on each sends
//! `Resume` with the secret from the latest `Joined` instead of `Join`, until the server takes it
//! back as the same participant or the resume window has passed. Meanwhile the room stays on screen
//! with a "reconnecting" line and a button to give up; camera, microphone and the peer connection
//! stay as they are (the server renegotiates with an ICE restart).
//!
//! The secret lives in this session's memory only: never in storage, never in a URL.

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use treff_shared::{ClientMsg, close_code};

use super::{LostReason, Phase, Session};
use crate::backoff::pause_ms;

/// What resuming needs, from the latest `Joined`.
pub struct ResumeTicket {
    secret: String,
    window_ms: u64,
}

/// A resuming under way.
pub struct Reconnecting {
    /// When the socket dropped (`Date.now()`, ms).
    since_ms: f64,
    /// Tries so far.
    tries: u32,
}

/// Whether a socket closed with `code` may be resumed: not when the server ended it on purpose
/// (conference over, restart, outdated page, replaced by another socket).
fn resumable(code: u16) -> bool {
    !matches!(
        code,
        1000 | close_code::GOING_AWAY | close_code::UNSUPPORTED_PROTOCOL | close_code::REPLACED
    )
}

impl Session {
    /// The socket closed unasked with `code`. Returns true when the session resumes (then the
    /// close needs nothing else): it was in the room, holds a resume secret, the close was no
    /// goodbye, and the resume window is still open.
    pub(super) fn try_reconnect(self: &Rc<Self>, code: u16) -> bool {
        if !resumable(code) || self.ui.phase.get_untracked() != Phase::Joined {
            return false;
        }
        let Some(window_ms) = self.resume.borrow().as_ref().map(|r| r.window_ms) else {
            return false;
        };
        let now = js_sys::Date::now();
        let (tries, left_ms) = {
            let mut reconnect = self.reconnect.borrow_mut();
            let state = reconnect.get_or_insert(Reconnecting {
                since_ms: now,
                tries: 0,
            });
            // Past the window the server has let us go: join anew instead.
            let left_ms = state.since_ms + window_ms as f64 - now;
            if left_ms <= 0.0 {
                return false;
            }
            state.tries += 1;
            (state.tries, left_ms)
        };
        drop(self.ws.borrow_mut().take());
        self.ui.reconnecting.set(Some(tries));
        let pause = f64::from(pause_ms(tries - 1, js_sys::Math::random()));
        let session = Rc::downgrade(self);
        spawn_local(async move {
            // No try after the window: its end is where the page gives up.
            TimeoutFuture::new(pause.min(left_ms) as u32).await;
            let Some(s) = session.upgrade() else {
                return;
            };
            if s.closed.get() || s.reconnect.borrow().is_none() {
                return;
            }
            if pause >= left_ms {
                // The lost-connection page takes over (and rejoins anew once it can).
                s.ui.phase.set(Phase::Lost(LostReason::Connection));
                s.shutdown();
                return;
            }
            if !s.open_socket() {
                // The browser refused to open one (offline): the next try follows.
                s.try_reconnect(1006);
            }
        });
        true
    }

    /// After `Welcome` on a socket that replaces a dropped one: asks to be the same participant
    /// again. False if this is no resuming (then the caller joins).
    pub(super) fn send_resume(&self) -> bool {
        if self.reconnect.borrow().is_none() {
            return false;
        }
        let (Some(id), Some(secret)) = (
            self.ui.me.get_untracked(),
            self.resume.borrow().as_ref().map(|r| r.secret.clone()),
        ) else {
            return false;
        };
        self.send(&ClientMsg::Resume {
            room: self.room.clone(),
            id,
            secret,
        });
        true
    }

    /// A `Joined` arrived (entering, or back after resuming): keeps its resume secret for next time.
    pub(super) fn resumed(&self, secret: String, window_ms: u64) {
        *self.resume.borrow_mut() = Some(ResumeTicket { secret, window_ms });
        self.reconnect.borrow_mut().take();
        self.ui.reconnecting.set(None);
    }

    /// The person stops waiting for the connection to come back.
    pub fn give_up(&self) {
        self.finish(None);
    }
}
