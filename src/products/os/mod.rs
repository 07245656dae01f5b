//! Personal OS (SPEC §4, seed 001): tasks with dependencies and points, goals with cached
//! progress, the wallet and rewards, habits, metrics, projects, the logbook, the knowledge
//! vault (courses, flashcards, skills), settings, and export/import. The AI helpers come
//! later.

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
pub mod transfer;
pub mod wallet;

pub(crate) use crate::platform::fields::{
    date, free_text, nullable_date, nullable_text, object, one_of, require, text,
};
