//! A JSON Schema check for the subset our documents use (type, properties, required,
//! additionalProperties: false, enum, min/maxLength, minimum/maximum, format: date,
//! items, min/maxItems), so a body or a model's output can be checked against the same
//! schema the OpenAPI document shows. Each problem names its field (`a.b[2]`).

use serde_json::Value;

use crate::platform::error::FieldError;

pub fn validate(value: &Value, schema: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check(value, schema, "", &mut errors);
    errors
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
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn check(value: &Value, schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
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
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            let names: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            errors.push(FieldError::new(
                field,
                format!("must be one of {}", names.join(", ")),
            ));
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
            if schema["format"] == "date" && crate::platform::fields::parse_date(s).is_none() {
                errors.push(FieldError::new(field, "must be a date YYYY-MM-DD"));
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
                errors.push(FieldError::new(
                    field,
                    format!("must have at most {} items", schema["maxItems"]),
                ));
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
            fields(json!({"text": "a", "items": [{"n": -1}, {}, {}]})),
            ["items", "items[0].n", "items[1].n", "items[2].n"]
        );
        assert_eq!(fields(json!([1])), ["body"]);
    }
}
