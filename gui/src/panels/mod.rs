//! The panels around the diagram. Each reads the app's view and pushes [`Intent`]s; none of
//! them changes the world itself.
//!
//! [`Intent`]: crate::app::Intent

pub mod cards;
pub mod console;
pub mod help;
pub mod ledger;
pub mod lesson;
pub mod menu;
pub mod settings;
pub mod toolbar;
