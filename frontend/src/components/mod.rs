//! The pieces of the meeting page, one component per file.

pub mod device_select;
pub mod icons;
pub mod left;
pub mod media_toggle;
pub mod prejoin;
pub mod room;
pub mod stages;
pub mod tile;
