//! The signalling WebSocket to `/ws` on the page's own origin.
//!
//! A thin wrapper over `web_sys::WebSocket` rather than gloo-net's stream: the room needs the close
//! code (to tell an outdated page from a lost connection) and a close that detaches every handler at
//! once, so a socket closed on purpose (leave, unmount) never reports itself as "connection lost".
//! Messages are JSON text of `ClientMsg` / `ServerMsg`; anything else from the server is reported as
//! [`WsEvent::Undecodable`] and ignored by the caller.

use treff_shared::{ClientMsg, ServerMsg};
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What the socket reports, in the order it happened.
#[derive(Debug)]
pub enum WsEvent {
    /// The socket is open; `Hello` may be sent.
    Open,
    /// A server message.
    Message(ServerMsg),
    /// A text that is not a `ServerMsg` of this protocol version.
    Undecodable,
    /// The socket closed without us asking for it.
    Closed {
        /// The WebSocket close code (see `treff_shared::close_code`).
        code: u16,
    },
}

/// An open (or opening) signalling socket. Closing it detaches the handlers first; dropping it closes it.
pub struct Signalling {
    ws: WebSocket,
    // Kept alive as long as the socket may call them; dropped (after detaching) in `close`.
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

/// `ws://host/ws` or `wss://host/ws`, following the page's own scheme so TLS is never downgraded.
fn url() -> Result<String, JsValue> {
    let location = web_sys::window()
        .ok_or_else(|| JsValue::from_str("no window"))?
        .location();
    let scheme = if location.protocol()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Ok(format!("{scheme}://{}/ws", location.host()?))
}

impl Signalling {
    /// Opens the socket; every event goes to `on_event`.
    pub fn connect(on_event: impl Fn(WsEvent) + 'static) -> Result<Self, JsValue> {
        let ws = WebSocket::new(&url()?)?;
        let on_event = std::rc::Rc::new(on_event);

        let cb = on_event.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || cb(WsEvent::Open));
        let cb = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let event = e
                .data()
                .as_string()
                .and_then(|text| crate::json::decode_tagged::<ServerMsg>(&text, "type"))
                .map_or(WsEvent::Undecodable, WsEvent::Message);
            cb(event);
        });
        let cb = on_event;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            cb(WsEvent::Closed { code: e.code() });
        });

        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // No onerror: a failing socket always fires `close` right after, which carries the code.

        Ok(Self {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends a message. A socket that is not open drops it: the close event reports that state.
    pub fn send(&self, msg: &ClientMsg) {
        if self.ws.ready_state() != WebSocket::OPEN {
            return;
        }
        match crate::json::encode(msg) {
            Ok(text) => {
                if let Err(e) = self.ws.send_with_str(&text) {
                    web_sys::console::warn_2(&"treff: send failed".into(), &e);
                }
            }
            // Serialising our own enum cannot fail; log rather than panic if it ever does.
            Err(e) => web_sys::console::error_1(&format!("treff: encode failed: {e}").into()),
        }
    }

    fn detach_and_close(&self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        // Closing an already closed socket is a no-op; an error here has no remedy.
        let _ = self.ws.close_with_code(1000);
    }
}

impl Drop for Signalling {
    fn drop(&mut self) {
        self.detach_and_close();
    }
}
