//! Checks of JSON input fields shared by the products; each failure names its field.

use crate::platform::error::{ApiError, FieldError};
use serde_json::Value;

/// Trims what JSON Schema's `\s` calls white space (ECMAScript's: see [`is_schema_space`]),
/// so a field the document requires to match `\S` is refused exactly when it is blank.
pub fn trim_blank(s: &str) -> &str {
    s.trim_matches(is_schema_space)
}

/// ECMAScript's `\s`, which JSON Schema patterns use: Unicode's space separators, the
/// line terminators, tab, vertical tab, form feed and the byte-order mark — not U+0085,
/// which Rust's `char::is_whitespace` counts.
fn is_schema_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// A string of at most `max` characters that is not blank, stored trimmed; documented
/// by [`text_schema`].
pub fn text(v: &Value, field: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    match v.as_str() {
        Some(s) if s.chars().count() <= max && !trim_blank(s).is_empty() => {
            Some(trim_blank(s).to_string())
        }
        _ => {
            errors.push(FieldError::new(
                field,
                format!("must be a non-empty string of at most {max} characters"),
            ));
            None
        }
    }
}

/// The JSON Schema of what [`text`] accepts.
pub fn text_schema(max: usize) -> Value {
    serde_json::json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S"})
}

/// The JSON Schema of what [`free_text`] accepts.
pub fn free_text_schema(max: usize) -> Value {
    serde_json::json!({"type": "string", "maxLength": max})
}

/// `schema`, also allowing `null` (the `nullable_*` readers: null clears the field).
pub fn nullable_schema(mut schema: Value) -> Value {
    if let Some(t) = schema["type"].as_str() {
        schema["type"] = serde_json::json!([t, "null"]);
    }
    schema
}

/// `schema` with an example value.
pub fn example(mut schema: Value, value: impl Into<Value>) -> Value {
    schema["examples"] = Value::Array(vec![value.into()]);
    schema
}

/// The JSON Schema of a [`date`]: `format: date` and the [`YEARS`] in [`DATE_PATTERN`].
pub fn date_schema() -> Value {
    serde_json::json!({"type": "string", "format": "date", "pattern": DATE_PATTERN})
}

/// `YYYY-MM-DD` with a year in [`YEARS`], as a pattern the document can carry.
pub const DATE_PATTERN: &str =
    "^(?:19[7-9][0-9]|20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$";

/// Years a date may have: far enough for any plan, near enough that date arithmetic
/// (streaks, schedules, forecasts) stays small and every client can show it.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2100;

/// `days` after `from`, when that is still a date of [`YEARS`] (`None` past the last one,
/// where a computed date is not one the API can answer with).
pub fn days_after(from: chrono::NaiveDate, days: i64) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    chrono::Duration::try_days(days)
        .and_then(|d| from.checked_add_signed(d))
        .filter(|d| YEARS.contains(&d.year()))
}

/// The last date of [`YEARS`].
pub fn last_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(*YEARS.end(), 12, 31).unwrap_or(chrono::NaiveDate::MAX)
}

/// `YYYY-MM-DD` with a year in [`YEARS`].
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| YEARS.contains(&d.year()))
}

/// `YYYY-MM-DD`, years 1970–2100.
pub fn date(v: &Value, field: &str, errors: &mut Vec<FieldError>) -> Option<chrono::NaiveDate> {
    match v.as_str().and_then(parse_date) {
        Some(d) => Some(d),
        None => {
            errors.push(FieldError::new(
                field,
                "must be a date YYYY-MM-DD between 1970 and 2100",
            ));
            None
        }
    }
}

/// Whether `s` is an absolute http(s) URL with a host (no user info, no white space or
/// control characters).
pub fn is_http_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    host.is_some_and(|h| !h.is_empty() && !h.starts_with(':') && !h.contains('@'))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An absolute `http://` or `https://` URL of at most `max` characters, with a host and
/// no spaces or control characters: anything a browser would run (`javascript:`,
/// `data:`) or resolve locally (`file:`) is refused before it is stored.
pub fn http_url(
    v: &Value,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let ok = |s: &str| s.chars().count() <= max && is_http_url(s);
    match v.as_str().map(str::trim) {
        Some(s) if ok(s) => Some(s.to_string()),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("must be an http(s) URL of at most {max} characters"),
            ));
            None
        }
    }
}

/// `null` (clears the field) or an [`http_url`].
pub fn nullable_http_url(
    v: &Value,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    if v.is_null() {
        Some(None)
    } else {
        http_url(v, field, max, errors).map(Some)
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

/// Reads a JSON object into `T` field by field. `field(&mut t, key, value, errors)`
/// handles the keys it knows and answers `false` for the others, which are refused as
/// "is not a {what} field" unless `ignored` lists them (read-only fields a client may
/// send back). With `full` (a create), each of `required` must be there.
pub fn read_object<T: Default>(
    v: &Value,
    what: &str,
    ignored: &[&str],
    required: &[&str],
    full: bool,
    mut field: impl FnMut(&mut T, &str, &Value, &mut Vec<FieldError>) -> bool,
) -> Result<T, Vec<FieldError>> {
    let Some(obj) = v.as_object() else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    let mut errors = Vec::new();
    let mut t = T::default();
    for (k, val) in obj {
        if !field(&mut t, k, val, &mut errors) && !ignored.contains(&k.as_str()) {
            errors.push(FieldError::new(
                k.as_str(),
                format!("is not a {what} field"),
            ));
        }
    }
    if full {
        for name in required {
            require(obj.contains_key(*name), name, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(t)
    } else {
        Err(errors)
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
    fn days_after_stays_within_the_years() {
        let d = |s: &str| parse_date(s).expect("a date");
        assert_eq!(days_after(d("2100-12-30"), 1), Some(d("2100-12-31")));
        assert_eq!(days_after(d("2100-12-30"), 2), None);
        assert_eq!(days_after(d("2026-12-07"), i64::MAX), None);
        assert_eq!(days_after(d("1970-01-02"), -1), Some(d("1970-01-01")));
        assert_eq!(days_after(d("1970-01-01"), -1), None);
        assert_eq!(last_date(), d("2100-12-31"));
    }

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
    fn urls_are_http_or_https_only() {
        let mut e = Vec::new();
        for good in [
            "https://example.com/a?b#c",
            "http://localhost:8787/x",
            "HTTPS://Example.com",
        ] {
            assert!(
                http_url(&json!(good), "url", 100, &mut e).is_some(),
                "{good}"
            );
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>",
            "file:///etc/passwd",
            "https://",
            "https://user@evil.example",
            "//example.com",
            "https://exa mple.com",
            "https://example.com/a\nb",
        ] {
            assert!(http_url(&json!(bad), "url", 100, &mut e).is_none(), "{bad}");
        }
        assert!(http_url(
            &json!(format!("https://a.b/{}", "x".repeat(100))),
            "url",
            100,
            &mut e
        )
        .is_none());
        assert_eq!(
            nullable_http_url(&json!(null), "url", 10, &mut e),
            Some(None)
        );
    }

    #[test]
    fn dates_are_between_1970_and_2100() {
        assert!(parse_date("1970-01-01").is_some());
        assert!(parse_date("2100-12-31").is_some());
        assert!(parse_date("1969-12-31").is_none());
        assert!(parse_date("2101-01-01").is_none());
        assert!(parse_date("+10000-01-01").is_none());
        assert!(parse_date("2024-02-30").is_none());
        let mut e = Vec::new();
        assert!(date(&json!("9999-01-01"), "due_date", &mut e).is_none());
        assert_eq!(e[0].field, "due_date");
    }

    #[test]
    fn read_object_refuses_unknown_fields_and_requires_on_create() {
        #[derive(Default, Debug, PartialEq)]
        struct F {
            name: Option<String>,
        }
        let read = |v: Value, full| {
            read_object(
                &v,
                "thing",
                &["id"],
                &["name"],
                full,
                |f: &mut F, k, v, e| {
                    match k {
                        "name" => f.name = text(v, k, 10, e),
                        _ => return false,
                    }
                    true
                },
            )
        };
        assert_eq!(
            read(json!({"name": "a", "id": "x"}), true),
            Ok(F {
                name: Some("a".into())
            })
        );
        assert_eq!(read(json!({}), false), Ok(F::default()));
        assert_eq!(
            read(json!({}), true),
            Err(vec![FieldError::new("name", "is required")])
        );
        assert_eq!(
            read(json!({"name": "", "colour": 1}), true),
            Err(vec![
                FieldError::new("colour", "is not a thing field"),
                FieldError::new(
                    "name",
                    "must be a non-empty string of at most 10 characters"
                ),
            ])
        );
        assert_eq!(
            read(json!([1]), true).map_err(|e| e[0].field.clone()),
            Err("body".into())
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
