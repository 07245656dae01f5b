//! The OpenAPI 3.1 document: each route's [`Doc`] (written beside its handler), the
//! building blocks route docs share, and the document built from every route.

use serde_json::{json, Map, Value};

use crate::platform::fields;
use crate::platform::product::{Auth, Route};
use crate::platform::router;

/// The OpenAPI text of a route.
pub struct Doc {
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// Parameters described beyond the defaults: one named like a `{segment}` of the path
    /// describes that path parameter; any other is a query parameter (a list's `limit`,
    /// `cursor` and `q` are added to every list).
    pub params: &'static [Param],
    /// JSON Schema of the request body, when the route takes one.
    pub request: Option<fn() -> serde_json::Value>,
    /// Success status and JSON Schema of its body.
    pub response: (u16, fn() -> serde_json::Value),
}

/// A parameter of a route.
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub description: &'static str,
    pub schema: fn() -> serde_json::Value,
}

/// The schema of a 204 answer's (absent) body.
pub fn no_body() -> serde_json::Value {
    serde_json::json!({"type": "null"})
}

/// A request body from a resource's schema and the lists its parser reads with
/// (`fields::read_object`): the `read_only` fields are accepted and ignored, those marked
/// `readOnly` only are left out, `required` are required, and nothing else is accepted —
/// so the document says what the parser takes.
pub fn body(
    mut schema: serde_json::Value,
    required: &[&str],
    read_only: &[&str],
) -> serde_json::Value {
    if let Some(props) = schema["properties"].as_object_mut() {
        props.retain(|k, v| {
            !read_only.contains(&k.as_str())
                && v.get("readOnly") != Some(&serde_json::Value::Bool(true))
        });
        // The parser skips these when a client sends an object back as it was read.
        for k in read_only {
            props.insert(
                k.to_string(),
                serde_json::json!({"readOnly": true, "description": "Read-only: ignored when sent."}),
            );
        }
    }
    schema["additionalProperties"] = serde_json::Value::Bool(false);
    match schema.as_object_mut() {
        Some(o) if required.is_empty() => {
            o.remove("required");
        }
        _ => schema["required"] = serde_json::json!(required),
    }
    schema
}

/// The schema of a page of a list: `{items: [item], next_cursor}`.
pub fn page_of(item: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": item},
        "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."}}})
}

/// The OpenAPI 3.1 document of every route in the table.
pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for route in router::routes().filter(|r| r.auth != Auth::DevOnly) {
        let item = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(route.method.to_lowercase(), operation(route));
        }
    }
    let titles: Vec<&str> = crate::platform::product::all()
        .iter()
        .map(|p| p.title)
        .collect();
    let description = format!(
        "Backend of {}. Errors always use the `Error` envelope; lists take `limit` (≤ 200) and `cursor`.",
        titles.join(", ")
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "edge-api",
            "version": env!("CARGO_PKG_VERSION"),
            "description": description
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "Access token from signup, login, refresh or wallet verify."},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "access_token",
                    "description": "The same access token as an HttpOnly cookie. State-changing requests must send JSON or come from an allowed origin."},
                "gatewayToken": {"type": "apiKey", "in": "header", "name": "X-Gateway-Token",
                    "description": "A trusted gateway's shared secret (GATEWAY_TOKEN)."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                    "description": "`ek_live_…` key from POST /api/auth/api-keys."}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "request_id", "details"],
                            "properties": {
                                "code": {"type": "string", "enum": [
                                    "bad_request", "validation_failed", "unauthorized", "forbidden",
                                    "not_found", "method_not_allowed", "conflict", "payload_too_large",
                                    "rate_limited", "insufficient_balance", "monthly_limit_exceeded",
                                    "upstream_failed", "misconfigured", "internal", "dependency_cycle", "prerequisite_cycle",
                                    "unknown_transaction", "transaction_failed", "wrong_sender", "wrong_recipient",
                                    "wrong_coin", "amount_too_small", "amount_mismatch"]},
                                "message": {"type": "string"},
                                "request_id": {"type": "string"},
                                "details": {"type": "object"}
                            }
                        }
                    }
                }
            }
        }
    })
}

fn operation(route: &Route) -> Value {
    let params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let what = match name {
                "id" => "The id of the resource, as its create or list answer gave it.".to_string(),
                other => format!(
                    "The id of the {}.",
                    other.trim_end_matches("_id").replace('_', " ")
                ),
            };
            match route.doc.params.iter().find(|p| p.name == name) {
                Some(p) => {
                    let mut schema = (p.schema)();
                    dates_with_years(&mut schema);
                    json!({"name": name, "in": "path", "required": true, "description": p.description, "schema": schema})
                }
                None => json!({"name": name, "in": "path", "required": true, "description": what,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 128}}),
            }
        })
        .collect();
    let (status, schema) = route.doc.response;
    let mut schema = schema();
    dates_with_years(&mut schema);
    // Two notes a response schema may carry for the document, taken off it here:
    // `x-no-content` (a 204 the route also answers, and when; or `{status: when}` for others) and `x-error-schema` (error
    // bodies of the route's own protocol, answered besides the platform's envelope).
    let no_content = schema
        .as_object_mut()
        .and_then(|o| o.remove("x-no-content"));
    let own_errors = schema
        .as_object_mut()
        .and_then(|o| o.remove("x-error-schema"));
    let media = schema["contentMediaType"]
        .as_str()
        .unwrap_or("application/json")
        .to_string();
    // A 204 has no body, so it declares no content.
    let success = if status == 204 {
        json!({"description": route.doc.summary})
    } else {
        json!({"description": route.doc.summary, "content": { media: {"schema": schema} }})
    };
    let mut op = json!({
        "operationId": operation_id(route),
        "tags": [route.doc.tag],
        "summary": route.doc.summary,
        "description": route.doc.description,
        "responses": {
            status.to_string(): success,
            "default": {
                "description": "Error envelope",
                "content": {"application/json": {"schema": match own_errors {
                    Some(own) => json!({"anyOf": [{"$ref": "#/components/schemas/Error"}, own]}),
                    None => json!({"$ref": "#/components/schemas/Error"}),
                }}}
            }
        }
    });
    match no_content {
        Some(Value::String(when)) => op["responses"]["204"] = json!({ "description": when }),
        Some(Value::Object(statuses)) => {
            for (status, when) in statuses {
                op["responses"][status] = json!({ "description": when });
            }
        }
        _ => {}
    }
    // Every paged list takes the same query parameters.
    let mut params = params;
    if route.method == "GET"
        && op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
            ["next_cursor"]
            .is_object()
    {
        params.extend([
            json!({"name": "limit", "in": "query", "required": false, "description": "Items per page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}),
            json!({"name": "cursor", "in": "query", "required": false,
                "description": "The `next_cursor` of the previous page.", "schema": {"type": "string", "maxLength": 512,
                    "pattern": "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$"}}),
            json!({"name": "q", "in": "query", "required": false,
                "description": "Words to search for (ignoring ASCII case), where the list supports it.",
                "schema": {"type": "string", "maxLength": 100}}),
        ]);
    }
    let in_path = |name: &str| route.path.contains(&format!("{{{name}}}"));
    for p in route.doc.params.iter().filter(|p| !in_path(p.name)) {
        let mut schema = (p.schema)();
        dates_with_years(&mut schema);
        let list = schema["type"] == "array";
        let mut param = json!({"name": p.name, "in": "query", "required": p.required,
            "description": p.description, "schema": schema});
        if list {
            // `?fields=a,b`: one comma-separated value.
            param["style"] = json!("form");
            param["explode"] = json!(false);
        }
        params.push(param);
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    match route.auth {
        Auth::User => op["security"] = json!([{"bearer": []}, {"cookie": []}, {"apiKey": []}]),
        Auth::UserByHeader => op["security"] = json!([{"bearer": []}, {"apiKey": []}]),
        Auth::Session => op["security"] = json!([{"bearer": []}, {"cookie": []}]),
        Auth::Gateway => op["security"] = json!([{"gatewayToken": []}]),
        Auth::Public | Auth::DevOnly => {}
    }
    if let Some(body) = route.doc.request {
        let mut body = body();
        dates_with_years(&mut body);
        // A body without required fields (or alternatives) may be left out: it reads as `{}`.
        let required = body["required"].as_array().is_some_and(|r| !r.is_empty())
            || body.get("anyOf").is_some();
        op["requestBody"] = json!({
            "required": required,
            "content": {"application/json": {"schema": body}}
        });
    }
    op
}

/// Every `format: date` is a [`fields::parse_date`] date, whose years the format alone
/// cannot say: each gets [`fields::DATE_PATTERN`].
fn dates_with_years(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("date")
                && !map.contains_key("pattern")
            {
                map.insert("pattern".into(), fields::DATE_PATTERN.into());
            }
            map.values_mut().for_each(dates_with_years);
        }
        Value::Array(items) => items.iter_mut().for_each(dates_with_years),
        _ => {}
    }
}

fn operation_id(route: &Route) -> String {
    let mut id = route.method.to_lowercase();
    for seg in route.path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        id.extend(
            seg.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .map(|c| c.to_ascii_lowercase()),
        );
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every keyword and pattern a request body uses is one the body check enforces, so
    /// the document never promises a rule the API does not keep.
    #[test]
    fn request_bodies_use_only_what_the_check_enforces() {
        const KNOWN: &[&str] = &[
            "type",
            "properties",
            "required",
            "additionalProperties",
            "enum",
            "const",
            "anyOf",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "items",
            "minItems",
            "maxItems",
            "uniqueItems",
            "prefixItems",
            // Annotations.
            "description",
            "default",
            "examples",
            "readOnly",
            "title",
        ];
        fn walk(v: &Value, at: &str, problems: &mut Vec<String>) {
            let Some(o) = v.as_object() else { return };
            for (k, child) in o {
                if !KNOWN.contains(&k.as_str()) {
                    problems.push(format!("{at}: {k}"));
                }
                match k.as_str() {
                    "properties" => {
                        for (name, p) in child.as_object().into_iter().flatten() {
                            walk(p, &format!("{at}.{name}"), problems);
                        }
                    }
                    "items" | "additionalProperties" => walk(child, at, problems),
                    "anyOf" | "prefixItems" => {
                        for c in child.as_array().into_iter().flatten() {
                            walk(c, at, problems);
                        }
                    }
                    "pattern" => {
                        let p = child.as_str().unwrap_or("");
                        if crate::platform::schema::matches_pattern(p, "").is_none() {
                            problems.push(format!("{at}: pattern {p}"));
                        }
                    }
                    _ => {}
                }
            }
        }
        let doc = openapi_document();
        let mut problems = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let body = &op["requestBody"]["content"]["application/json"]["schema"];
                walk(body, &format!("{method} {path}"), &mut problems);
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn operation_ids_are_unique_per_shape() {
        let r = |method: &'static str, path: &'static str| Route {
            method,
            path,
            auth: Auth::Public,
            handler: crate::platform::product::Handler::Anyone(|_| {
                Box::pin(async { Err(crate::platform::error::ApiError::internal("test")) })
            }),
            doc: Doc {
                tag: "t",
                params: &[],
                summary: "",
                description: "",
                request: None,
                response: (200, no_body),
            },
        };
        assert_eq!(
            operation_id(&r("GET", "/api/os/tasks/{id}")),
            "get_api_os_tasks_id"
        );
        assert_ne!(
            operation_id(&r("GET", "/api/os/tasks")),
            operation_id(&r("POST", "/api/os/tasks"))
        );
    }
}
