//! One module per route.

pub mod home;
pub mod meeting;
pub mod not_found;
pub mod recordings;
