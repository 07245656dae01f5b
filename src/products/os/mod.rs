//! Personal OS (SPEC §4, seed 001), first slice: tasks with dependencies and points, the
//! wallet and rewards, habits with streaks, and the user's time zone. Goals, metrics,
//! projects, logbook, knowledge vault, export/import and the AI helpers come later.

pub mod habits;
pub mod rules;
pub mod settings;
pub mod tasks;
pub mod wallet;

use crate::platform::error::{ApiError, FieldError};
use serde_json::Value;

/// A trimmed string of 1..=max characters.
pub(crate) fn text(
    v: &Value,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match v.as_str().map(str::trim) {
        Some(s) if !s.is_empty() && s.chars().count() <= max => Some(s.to_string()),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("must be a non-empty string of at most {max} characters"),
            ));
            None
        }
    }
}

/// `YYYY-MM-DD`.
pub(crate) fn date(
    v: &Value,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<chrono::NaiveDate> {
    match v
        .as_str()
        .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    {
        Some(d) => Some(d),
        None => {
            errors.push(FieldError::new(field, "must be a date YYYY-MM-DD"));
            None
        }
    }
}

pub(crate) fn object(v: &Value) -> Result<&serde_json::Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| ApiError::validation("body", "must be a JSON object"))
}
