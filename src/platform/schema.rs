//! A JSON Schema check for the subset our documents use (type, properties, required,
//! additionalProperties: false, enum, const, anyOf, min/maxLength, the [`PATTERNS`] we
//! write, minimum/maximum, format: date, items, min/maxItems, uniqueItems), so a body or
//! a model's output can be checked against the same schema the OpenAPI document shows.
//! Each problem names its field (`a.b[2]`).

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use crate::platform::error::FieldError;
use crate::platform::fields;

pub fn validate(value: &Value, schema: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check(value, schema, "", &mut errors);
    errors.truncate(MAX_PROBLEMS);
    errors
}

/// Problems reported at most: past these the check stops, so a body of a million bad
/// items costs no more than one of a hundred (and its 422 stays small).
pub const MAX_PROBLEMS: usize = 100;

thread_local! {
    /// Route body schemas, built once per isolate (keyed by their builder).
    static DOCUMENTED: RefCell<Vec<(usize, Rc<Value>)>> = const { RefCell::new(Vec::new()) };
}

/// [`validate`] against a route's documented body schema, built once per isolate.
pub fn validate_documented(value: &Value, schema: fn() -> Value) -> Vec<FieldError> {
    let key = schema as usize;
    let built = DOCUMENTED.with(|cache| {
        let mut cache = cache.borrow_mut();
        match cache.iter().find(|(k, _)| *k == key) {
            Some((_, s)) => Rc::clone(s),
            None => {
                let s = Rc::new(schema());
                cache.push((key, Rc::clone(&s)));
                s
            }
        }
    });
    validate(value, &built)
}

/// Whether a string matches a pattern.
pub type Matcher = fn(&str) -> bool;

/// Every `pattern` our schemas write, with the check it stands for (a test walks the
/// OpenAPI document to prove no other pattern is used).
pub const PATTERNS: &[(&str, Matcher)] = &[
    ("\\S", |s| !fields::trim_blank(s).is_empty()),
    (fields::DATE_PATTERN, |s| fields::parse_date(s).is_some()),
    ("^0x[0-9a-fA-F]{64}$", |s| {
        s.len() == 66 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
    }),
    ("^[A-Za-z0-9_-]+$", |s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }),
    ("^[Hh][Tt][Tt][Pp][Ss]?://", |s| {
        let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
        l.starts_with("http://") || l.starts_with("https://")
    }),
    ("^[0-9]{4}$", |s| {
        s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
    }),
];

/// Whether `s` matches a pattern of [`PATTERNS`]; `None` for one it does not know.
pub fn matches_pattern(pattern: &str, s: &str) -> Option<bool> {
    PATTERNS
        .iter()
        .find(|(p, _)| *p == pattern)
        .map(|(_, ok)| ok(s))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_ok(value: &Value, t: &str) -> bool {
    match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.as_f64().is_some_and(|x| x.fract() == 0.0),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// Checks `value` against `schema`, in time linear in the size of both: each keyword looks
/// at each value once (`uniqueItems` through a hash set), an array over its `maxItems` is
/// not looked into, and the walk stops at [`MAX_PROBLEMS`].
fn check(value: &Value, schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    if errors.len() >= MAX_PROBLEMS {
        return;
    }
    let field = if path.is_empty() { "body" } else { path };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| type_ok(value, t)) {
        errors.push(FieldError::new(
            field,
            format!("must be {}", types.join(" or ")),
        ));
        return;
    }
    if let Some(options) = schema["anyOf"].as_array() {
        let fits = |option: &Value| {
            let mut e = Vec::new();
            check(value, option, path, &mut e);
            e.is_empty()
        };
        if !options.iter().any(fits) {
            // One message for the alternatives: "needs task_id or title" when each asks
            // for a field, else the schema's own description of the shapes it takes.
            let named: Option<Vec<&str>> = options
                .iter()
                .map(|o| match o["required"].as_array().map(Vec::as_slice) {
                    Some([name]) if o.as_object().is_some_and(|m| m.len() == 1) => name.as_str(),
                    _ => None,
                })
                .collect();
            let message = match (named, schema["description"].as_str()) {
                (Some(names), _) => format!("needs {}", names.join(" or ")),
                (None, Some(d)) => format!("must be {d}"),
                (None, None) => "matches none of the shapes it may take".into(),
            };
            errors.push(FieldError::new(field, message));
            return;
        }
    }
    if schema.get("const").is_some_and(|c| c != value) {
        errors.push(FieldError::new(
            field,
            format!("must be {}", schema["const"]),
        ));
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            let message = match schema["description"].as_str() {
                // A long list (time zones) is named by what it is, not spelled out.
                Some(d) if options.len() > 20 => format!("must be a known value: {d}"),
                _ => {
                    let names: Vec<String> = options.iter().map(|o| o.to_string()).collect();
                    format!("must be one of {}", names.join(", "))
                }
            };
            errors.push(FieldError::new(field, message));
        }
    }
    match value {
        Value::String(s) => {
            let n = s.chars().count() as u64;
            if schema["minLength"].as_u64().is_some_and(|min| n < min) {
                errors.push(FieldError::new(
                    field,
                    format!("must have at least {} characters", schema["minLength"]),
                ));
            }
            if schema["maxLength"].as_u64().is_some_and(|max| n > max) {
                errors.push(FieldError::new(
                    field,
                    format!("must have at most {} characters", schema["maxLength"]),
                ));
            }
            if schema["format"] == "date" && fields::parse_date(s).is_none() {
                errors.push(FieldError::new(
                    field,
                    "must be a date YYYY-MM-DD between 1970 and 2100",
                ));
            } else if let Some(p) = schema["pattern"].as_str() {
                if matches_pattern(p, s) == Some(false) {
                    errors.push(FieldError::new(field, pattern_message(p)));
                }
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if schema["minimum"].as_f64().is_some_and(|min| x < min) {
                errors.push(FieldError::new(
                    field,
                    format!("must be at least {}", schema["minimum"]),
                ));
            }
            if schema["maximum"].as_f64().is_some_and(|max| x > max) {
                errors.push(FieldError::new(
                    field,
                    format!("must be at most {}", schema["maximum"]),
                ));
            }
        }
        Value::Array(items) => {
            if schema["minItems"]
                .as_u64()
                .is_some_and(|min| (items.len() as u64) < min)
            {
                errors.push(FieldError::new(
                    field,
                    format!("must have at least {} items", schema["minItems"]),
                ));
            }
            if schema["maxItems"]
                .as_u64()
                .is_some_and(|max| (items.len() as u64) > max)
            {
                // Too many already: what the items hold does not matter.
                errors.push(FieldError::new(
                    field,
                    format!("must have at most {} items", schema["maxItems"]),
                ));
                return;
            }
            if schema["uniqueItems"] == true && !all_distinct(items) {
                errors.push(FieldError::new(field, "must not repeat an item"));
            }
            if let Some(prefix) = schema["prefixItems"].as_array() {
                for (i, (item, s)) in items.iter().zip(prefix).enumerate() {
                    check(
                        item,
                        s,
                        &format!("{field}[{i}]").replacen("body[", "[", 1),
                        errors,
                    );
                }
            }
            if schema["items"].is_object() {
                for (i, item) in items.iter().enumerate() {
                    check(
                        item,
                        &schema["items"],
                        &format!("{field}[{i}]").replacen("body[", "[", 1),
                        errors,
                    );
                }
            }
        }
        Value::Object(map) => {
            let props = schema["properties"].as_object();
            for r in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !map.contains_key(r) {
                    errors.push(FieldError::new(join(path, r), "is required"));
                }
            }
            for (k, v) in map {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => check(v, s, &join(path, k), errors),
                    None if schema["additionalProperties"] == false => {
                        errors.push(FieldError::new(join(path, k), "is not a known field"))
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
}

/// Whether no two items are equal as JSON values, in one pass: each item's text (object
/// keys sorted, numbers as read) goes into a set. Whole numbers were made integers when the
/// body was read, so `1` and `1.0` are one value here as in JSON Schema.
fn all_distinct(items: &[Value]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    items.iter().all(|item| seen.insert(item.to_string()))
}

fn pattern_message(pattern: &str) -> String {
    match pattern {
        "\\S" => "must not be blank".into(),
        p => format!("must match {p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn problems_name_their_fields() {
        let schema = json!({"type": "object", "required": ["text"], "additionalProperties": false, "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 5},
            "days": {"type": "integer", "enum": [7, 30]},
            "when": {"type": ["string", "null"], "format": "date"},
            "items": {"type": "array", "maxItems": 2, "items": {"type": "object", "required": ["n"], "properties": {"n": {"type": "number", "minimum": 0}}}}
        }});
        assert!(validate(
            &json!({"text": "abc", "days": 7, "when": null, "items": [{"n": 1.5}]}),
            &schema
        )
        .is_empty());
        let fields = |v: Value| {
            validate(&v, &schema)
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(json!({})), ["text"]);
        assert_eq!(fields(json!({"text": "toolong"})), ["text"]);
        assert_eq!(
            fields(json!({"text": "a", "days": 8, "x": 1})),
            ["days", "x"]
        );
        assert_eq!(fields(json!({"text": "a", "when": "2026-02-30"})), ["when"]);
        assert_eq!(
            fields(json!({"text": "a", "items": [{"n": -1}, {}]})),
            ["items[0].n", "items[1].n"]
        );
        // Past maxItems the items are not looked into.
        assert_eq!(
            fields(json!({"text": "a", "items": [{"n": -1}, {}, {}]})),
            ["items"]
        );
        assert_eq!(fields(json!([1])), ["body"]);
    }

    #[test]
    fn alternatives_constants_patterns_and_repeats() {
        let schema = json!({"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}], "properties": {
            "a": {"type": "string", "pattern": "\\S"}, "b": {"const": 1},
            "c": {"type": "array", "uniqueItems": true, "items": {"type": "integer"}},
            "d": {"type": "string", "format": "date"}}});
        let fields = |v: Value| {
            validate(&v, &schema)
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert!(fields(json!({"a": "x"})).is_empty());
        assert!(fields(json!({"b": 1, "c": [1, 2], "d": "2100-12-31"})).is_empty());
        assert_eq!(fields(json!({})), ["body"]);
        assert_eq!(validate(&json!({}), &schema)[0].message, "needs a or b");
        assert_eq!(fields(json!({"a": " \u{feff}\t"})), ["a"]);
        // U+0085 is not white space to JSON Schema's `\S`.
        assert!(fields(json!({"a": "\u{85}"})).is_empty());
        assert_eq!(fields(json!({"b": 2})), ["b"]);
        assert_eq!(fields(json!({"a": "x", "c": [1, 1]})), ["c"]);
        assert_eq!(fields(json!({"a": "x", "d": "1969-12-31"})), ["d"]);
        // JSON Schema's integer is a whole number, however it is written.
        assert!(fields(json!({"a": "x", "c": [1.0, 2]})).is_empty());
        assert_eq!(fields(json!({"a": "x", "c": [1.5]})), ["c[0]"]);
    }

    /// The worst body the 1 MiB limit lets through, for every keyword, is checked in
    /// linear time: well under a second here (natively, unoptimised), where the pairwise
    /// `uniqueItems` took half a minute.
    #[test]
    fn the_largest_body_is_checked_in_linear_time() {
        let mib = crate::platform::config::MAX_BODY_BYTES;
        let distinct: Vec<Value> = (0..mib / 8).map(|i| json!(format!("{i:x}"))).collect();
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "uniqueItems",
                json!({"type": "array", "uniqueItems": true}),
                Value::Array(distinct.clone()),
            ),
            (
                "uniqueItems under maxItems",
                json!({"type": "array", "maxItems": 100, "uniqueItems": true, "items": {"type": "integer"}}),
                Value::Array(distinct.clone()),
            ),
            (
                "items",
                json!({"type": "array", "items": {"type": "integer", "enum": [1, 2]}}),
                Value::Array(distinct.clone()),
            ),
            (
                "objects",
                json!({"type": "array", "uniqueItems": true, "items": {"type": "object", "additionalProperties": false, "required": ["a"], "properties": {"a": {"type": "string", "format": "date"}}}}),
                Value::Array((0..mib / 16).map(|i| json!({"b": i})).collect()),
            ),
            (
                "maxLength and pattern",
                json!({"type": "object", "properties": {"s": {"type": "string", "maxLength": 10, "pattern": "\\S"}}}),
                json!({"s": " ".repeat(mib)}),
            ),
            (
                "properties",
                json!({"type": "object", "additionalProperties": false, "properties": {"a": {"type": "string"}}}),
                Value::Object((0..mib / 10).map(|i| (format!("k{i}"), json!(i))).collect()),
            ),
            (
                "anyOf",
                json!({"type": "array", "items": {"anyOf": [{"type": "string", "format": "date"}, {"type": "integer", "minimum": 0}]}}),
                Value::Array(distinct),
            ),
        ];
        for (name, schema, body) in cases {
            let started = std::time::Instant::now();
            let problems = validate(&body, &schema);
            let took = started.elapsed();
            assert!(problems.len() <= MAX_PROBLEMS, "{name}");
            assert!(
                took < std::time::Duration::from_millis(2_000),
                "{name}: {took:?}"
            );
        }
    }

    #[test]
    fn every_pattern_matches_what_it_says() {
        let date = crate::platform::fields::DATE_PATTERN;
        assert_eq!(matches_pattern(date, "2026-02-28"), Some(true));
        assert_eq!(matches_pattern(date, "1969-12-31"), Some(false));
        assert_eq!(matches_pattern("^[0-9]{4}$", "1234"), Some(true));
        assert_eq!(matches_pattern("^[0-9]{4}$", "12345"), Some(false));
        assert_eq!(
            matches_pattern("^[Hh][Tt][Tt][Pp][Ss]?://", "HTTPS://x"),
            Some(true)
        );
        assert_eq!(
            matches_pattern("^[Hh][Tt][Tt][Pp][Ss]?://", "ftp://x"),
            Some(false)
        );
        assert_eq!(matches_pattern("^[A-Za-z0-9_-]+$", "a-b_C9"), Some(true));
        assert_eq!(matches_pattern("^[A-Za-z0-9_-]+$", "a b"), Some(false));
        assert_eq!(
            matches_pattern("^0x[0-9a-fA-F]{64}$", &format!("0x{}", "ab".repeat(32))),
            Some(true)
        );
        assert_eq!(matches_pattern("^x+$", "x"), None);
    }
}
