//! The stages of a meeting page: the pre-join screen, then the room, then the "you left" (or "the
//! meeting has ended") view, all on the same URL.
//!
//! Which of them shows is a signal of this component, not a route, so the meeting link stays the one
//! thing people share and a reload always lands on the pre-join screen (privacy by default again).

use leptos::prelude::*;
use treff_shared::{DeletionReceipt, RoomId};

use crate::components::left::Left;
use crate::components::prejoin::PreJoin;
use crate::components::room::Room;
use crate::session::JoinSettings;

/// Where the person is on the meeting page.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// Choosing name and devices; `Some` when coming back with earlier choices.
    PreJoin(Option<JoinSettings>),
    /// In the room. `attempt` makes every (re)join a fresh room component, hence a fresh session.
    Room {
        settings: JoinSettings,
        attempt: u32,
    },
    /// Left on purpose, or the conference ended (then with the server's deletion receipt).
    Left {
        settings: JoinSettings,
        attempt: u32,
        receipt: Option<DeletionReceipt>,
        /// The conference ended because the server is restarting.
        restarting: bool,
    },
}

/// The meeting page for a valid room id.
#[component]
pub fn MeetingStages(
    /// The meeting from the URL.
    room: RoomId,
) -> impl IntoView {
    let stage = RwSignal::new(Stage::PreJoin(None));

    let on_join = Callback::new(move |settings: JoinSettings| {
        stage.set(Stage::Room {
            settings,
            attempt: 0,
        });
    });
    let on_back = Callback::new(move |()| {
        stage.update(|s| {
            if let Stage::Room { settings, .. } = s {
                *s = Stage::PreJoin(Some(settings.clone()));
            }
        });
    });
    let on_left = Callback::new(
        move |(receipt, restarting): (Option<DeletionReceipt>, bool)| {
            stage.update(|s| {
                if let Stage::Room { settings, attempt } = s {
                    *s = Stage::Left {
                        settings: settings.clone(),
                        attempt: *attempt,
                        receipt,
                        restarting,
                    };
                }
            });
        },
    );
    // After a connection loss the person continues as they were (mic and camera included).
    let on_rejoin_lost = Callback::new(move |settings: JoinSettings| {
        stage.update(|s| {
            if let Stage::Room { attempt, .. } = s {
                *s = Stage::Room {
                    settings,
                    attempt: *attempt + 1,
                };
            }
        });
    });
    // Coming back after leaving on purpose is a new join: privacy defaults, mic and camera off.
    let on_rejoin_left = Callback::new(move |()| {
        stage.update(|s| {
            if let Stage::Left {
                settings, attempt, ..
            } = s
            {
                *s = Stage::Room {
                    settings: JoinSettings {
                        mic: false,
                        cam: false,
                        ..settings.clone()
                    },
                    attempt: *attempt + 1,
                };
            }
        });
    });

    move || match stage.get() {
        Stage::PreJoin(initial) => {
            view! { <PreJoin room=room.clone() initial on_join /> }.into_any()
        }
        Stage::Room { settings, .. } => view! {
            <Room
                room=room.clone()
                settings
                on_left
                on_rejoin=on_rejoin_lost
                on_back
            />
        }
        .into_any(),
        Stage::Left {
            receipt,
            restarting,
            ..
        } => view! { <Left receipt restarting on_rejoin=on_rejoin_left /> }.into_any(),
    }
}
