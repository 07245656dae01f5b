//! Personal OS (SPEC §4, seed 001), first slice: tasks with dependencies and points, the
//! wallet and rewards, habits with streaks, and the user's time zone. Goals, metrics,
//! projects, logbook, knowledge vault, export/import and the AI helpers come later.

pub mod habits;
pub mod rules;
pub mod settings;
pub mod tasks;
pub mod wallet;

pub(crate) use crate::platform::fields::{date, object, text};
