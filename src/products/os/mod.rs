//! Personal OS (SPEC §4, seed 001), so far: tasks with dependencies and points, the
//! wallet and rewards, habits with streaks, metrics with milestones and analytics,
//! flashcards with SM-2, projects with health, the logbook, and the user's time zone.
//! Goals, courses, skills, export/import and the AI helpers come later.

pub mod courses;
pub mod flashcards;
pub mod goals;
pub mod habits;
pub mod logbook;
pub mod metrics;
pub mod projects;
pub mod rules;
pub mod settings;
pub mod skills;
pub mod tasks;
pub mod wallet;

pub(crate) use crate::platform::fields::{date, object, text};
