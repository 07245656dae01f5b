//! Checks of JSON input fields shared by the products; each failure names its field.

use crate::platform::error::{ApiError, FieldError};
use serde_json::Value;

/// A trimmed string of 1..=max characters.
pub fn text(v: &Value, field: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
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
pub fn date(v: &Value, field: &str, errors: &mut Vec<FieldError>) -> Option<chrono::NaiveDate> {
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

pub fn object(v: &Value) -> Result<&serde_json::Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| ApiError::validation("body", "must be a JSON object"))
}

/// A string of at most `max` characters, empty allowed (descriptions).
pub fn free_text(
    v: &Value,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match v.as_str() {
        Some(s) if s.chars().count() <= max => Some(s.to_string()),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("must be a string of at most {max} characters"),
            ));
            None
        }
    }
}

/// `YYYY-MM-DD` or null: `Some(None)` clears the field.
pub fn nullable_date(
    v: &Value,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    if v.is_null() {
        Some(None)
    } else {
        date(v, field, errors).map(|d| Some(d.to_string()))
    }
}

/// `null` (clears the field) or a [`text`].
pub fn nullable_text(
    v: &Value,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    if v.is_null() {
        Some(None)
    } else {
        text(v, field, max, errors).map(Some)
    }
}

/// One of the `allowed` strings.
pub fn one_of(
    v: &Value,
    field: &str,
    allowed: &[&str],
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match v.as_str().filter(|s| allowed.contains(s)) {
        Some(s) => Some(s.to_string()),
        None => {
            errors.push(FieldError::new(
                field,
                format!("must be one of {}", allowed.join(", ")),
            ));
            None
        }
    }
}

/// Records `field` as missing when a full body lacks it and no other error names it.
pub fn require(present: bool, field: &str, errors: &mut Vec<FieldError>) {
    if !present && !errors.iter().any(|e| e.field == field) {
        errors.push(FieldError::new(field, "is required"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_of_names_the_choices() {
        let mut e = Vec::new();
        let allowed = &["higher", "lower"];
        assert_eq!(
            one_of(&json!("lower"), "direction", allowed, &mut e),
            Some("lower".into())
        );
        assert_eq!(one_of(&json!("Lower"), "direction", allowed, &mut e), None);
        assert_eq!(one_of(&json!(1), "direction", allowed, &mut e), None);
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0],
            FieldError::new("direction", "must be one of higher, lower")
        );
    }

    #[test]
    fn nullable_text_clears_on_null_only() {
        let mut e = Vec::new();
        assert_eq!(nullable_text(&json!(null), "url", 10, &mut e), Some(None));
        assert_eq!(
            nullable_text(&json!(" a "), "url", 10, &mut e),
            Some(Some("a".into()))
        );
        assert_eq!(nullable_text(&json!(""), "url", 10, &mut e), None);
        assert_eq!(
            nullable_text(&json!("x".repeat(11)), "url", 10, &mut e),
            None
        );
        assert_eq!(e.len(), 2);
    }
}
