//! The pieces of the meeting page, one component per file.

pub mod chat_composer;
pub mod chat_message;
pub mod chat_panel;
pub mod chat_toggle;
pub mod deletion_receipt;
pub mod device_select;
pub mod icons;
pub mod left;
pub mod media_toggle;
pub mod prejoin;
pub mod room;
pub mod stages;
pub mod tile;
