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

/// A JSON literal with nothing computed in it (a schema, mostly), kept in the module as its
/// text and parsed when used: `serde_json::json!` turns each key and value into code,
/// several times the size of the text (and the text compresses better). Anything with a
/// Rust value inside stays `json!`. A literal that is not valid JSON (a trailing comma, a
/// Rust-only escape) fails the unit tests that build the document.
#[macro_export]
macro_rules! schema {
    ($($t:tt)+) => {
        $crate::platform::openapi::literal(stringify!($($t)+))
    };
}

/// What [`schema!`] expands to.
pub fn literal(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            debug_assert!(false, "schema! literal is not JSON ({e}): {text}");
            Value::Null
        }
    }
}

/// The schema of a 204 answer's (absent) body.
pub fn no_body() -> serde_json::Value {
    crate::schema!({"type": "null"})
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
                // (Not `readOnly`: that would say a client must not send it.)
                crate::schema!({"description": "Read-only: accepted and ignored, so an object read may be sent back."}),
            );
        }
    }
    schema["additionalProperties"] = serde_json::Value::Bool(false);
    // The body is its own named type: `TaskCreate` (with required fields), `TaskUpdate`.
    if let Some(title) = schema["title"].as_str() {
        let kind = if required.is_empty() {
            "Update"
        } else {
            "Create"
        };
        schema["title"] = serde_json::json!(format!("{title}{kind}"));
    }
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
    document().0
}

/// The document, and the titles of schemas that could not be named because another
/// schema already has that title (a test keeps this empty).
pub fn document() -> (Value, Vec<String>) {
    let mut paths = Map::new();
    for route in router::routes().filter(|r| !matches!(r.auth, Auth::DevOnly | Auth::Page)) {
        let item = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(route.method.to_lowercase(), operation(route));
        }
    }
    // Every schema with a `title` becomes a named component (`Task`, `TaskCreate`…), so a
    // generated client gets real types.
    let mut named = platform_schemas();
    let mut clashes = Vec::new();
    for item in paths.values_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            // (`get_mut`, not indexing: indexing a missing key would add it as null.)
            for part in ["requestBody", "responses"] {
                if let Some(v) = op.get_mut(part) {
                    name_schemas(v, &mut named, &mut clashes);
                }
            }
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
    let doc = json!({
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
            "schemas": named,
        }
    });
    (doc, clashes)
}

/// The platform's own named schemas.
fn platform_schemas() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "Error".into(),
        crate::schema!({
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
        }),
    );
    m
}

/// An instance of `schema`: its own `examples`, `default`, `const` or first `enum` value
/// where it has one, else built from its type and bounds (a request leaves read-only
/// fields out). Schemathesis sends request examples, so each is proven to be accepted.
pub fn example_of(schema: &Value, request: bool) -> Value {
    if let Some(v) = schema["examples"]
        .get(0)
        .or(schema.get("const"))
        .or(schema.get("default"))
    {
        return v.clone();
    }
    if let Some(v) = schema["enum"].get(0) {
        return v.clone();
    }
    if let Some(first) = schema["anyOf"].get(0) {
        if first.get("properties").is_some() || first.get("type").is_some() {
            return example_of(first, request);
        }
        // Alternatives that only say which field is required: give that one.
        if let Some(name) = first["required"][0].as_str() {
            let mut out = Map::new();
            out.insert(
                name.into(),
                example_of(&schema["properties"][name], request),
            );
            return Value::Object(out);
        }
    }
    // A request leaves optional references and dates empty where it may.
    let nullable = schema["type"]
        .as_array()
        .is_some_and(|ts| ts.iter().any(|t| t == "null"));
    if request && nullable {
        return Value::Null;
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "null",
    };
    match kind {
        "object" => {
            let mut out = Map::new();
            for (k, p) in schema["properties"].as_object().into_iter().flatten() {
                // A request leaves out what is read-only (marked, or an ignored field
                // that is only described).
                let ignored = p
                    .as_object()
                    .is_some_and(|o| o.keys().all(|k| k == "description"));
                if request && (p["readOnly"] == true || ignored) {
                    continue;
                }
                let id_like = (k == "id" || k.ends_with("_id")) && p["type"] == "string";
                let v = if id_like && p.get("examples").is_none() {
                    json!("01a214cd-2f6b-70f4-9832-bd2655c735d4")
                } else {
                    example_of(p, request)
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        "array" => {
            // A request sends the fewest items it may; an answer shows one.
            let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
            let n = if request { min } else { min.max(1) };
            let item = example_of(&schema["items"], request);
            Value::Array(vec![item; n])
        }
        "integer" | "number" => {
            let min = schema["minimum"].as_i64().unwrap_or(0);
            let max = schema["maximum"].as_i64().unwrap_or(i64::MAX);
            json!(min.max(1).min(max))
        }
        "boolean" => json!(true),
        "string" => json!(example_text(schema)),
        _ => Value::Null,
    }
}

/// A string the schema accepts.
fn example_text(schema: &Value) -> String {
    let pattern = schema["pattern"].as_str().unwrap_or("");
    let text = match (schema["format"].as_str(), pattern) {
        (Some("date"), _) => "2026-03-14".to_string(),
        (Some("date-time"), _) => "2026-03-14T09:30:00.000Z".to_string(),
        (Some("email"), _) => "ada@example.com".to_string(),
        (Some("uri"), _) => "https://example.com/".to_string(),
        (_, "^0x[0-9a-fA-F]{64}$") => format!("0x{}", "ab".repeat(32)),
        (_, "^[0-9]{4}$") => "4242".to_string(),
        _ => "example".to_string(),
    };
    let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
    let max = schema["maxLength"].as_u64().unwrap_or(u64::MAX) as usize;
    text.chars()
        .cycle()
        .take(text.chars().count().max(min).min(max))
        .collect()
}

/// Moves each schema with a `title` under `named` and puts a `$ref` in its place (inner
/// ones first); a title already taken by a different schema is left in place and listed.
fn name_schemas(schema: &mut Value, named: &mut Map<String, Value>, clashes: &mut Vec<String>) {
    match schema {
        Value::Object(o) => {
            for v in o.values_mut() {
                name_schemas(v, named, clashes);
            }
        }
        Value::Array(items) => {
            for v in items {
                name_schemas(v, named, clashes);
            }
        }
        _ => return,
    }
    let Some(title) = schema["title"].as_str().map(str::to_string) else {
        return;
    };
    if !(schema.get("properties").is_some() || schema.get("anyOf").is_some()) {
        return;
    }
    match named.get(&title) {
        Some(existing) if existing != schema => clashes.push(title),
        _ => {
            let reference = json!({"$ref": format!("#/components/schemas/{title}")});
            named.insert(title, std::mem::replace(schema, reference));
        }
    }
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
    // `x-event-stream`: the route also answers `200 text/event-stream` when asked, with
    // these events (name → schema of its `data`).
    let events = schema
        .as_object_mut()
        .and_then(|o| o.remove("x-event-stream"));
    let media = schema["contentMediaType"]
        .as_str()
        .unwrap_or("application/json")
        .to_string();
    // A 204 has no body, so it declares no content.
    let success = if status == 204 {
        json!({"description": route.doc.summary})
    } else if media == "application/json" {
        let example = example_of(&schema, false);
        json!({"description": route.doc.summary, "content": { media: {"schema": schema, "example": example} }})
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
    if let Some(Value::Object(events)) = events {
        let one_of: Vec<Value> = events
            .into_iter()
            .map(|(name, data)| {
                json!({"type": "object", "required": ["event", "data"], "properties": {
                    "event": {"const": name}, "data": data}})
            })
            .collect();
        let stream = json!({"schema": {"type": "string",
            "description": "Server-sent events: each `event: <name>` and one `data: <JSON>` line, then a blank line; \
                `: keep-alive` comments every 15 s while nothing else is sent. The events and their data are in \
                `x-events`.",
            "x-events": {"oneOf": one_of}}});
        if status == 200 {
            op["responses"]["200"]["content"]["text/event-stream"] = stream;
        } else {
            op["responses"]["200"] = json!({"description": "The same, streamed (`Accept: text/event-stream`)",
                "content": {"text/event-stream": stream}});
        }
    }
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
            crate::schema!({"name": "limit", "in": "query", "required": false, "description": "Items per page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}),
            crate::schema!({"name": "cursor", "in": "query", "required": false,
                "description": "The `next_cursor` of the previous page.", "schema": {"type": "string", "maxLength": 512,
                    "pattern": "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$"}}),
            crate::schema!({"name": "q", "in": "query", "required": false,
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
        Auth::User => {
            op["security"] = crate::schema!([{"bearer": []}, {"cookie": []}, {"apiKey": []}])
        }
        Auth::UserByHeader => op["security"] = json!([{"bearer": []}, {"apiKey": []}]),
        Auth::Session => op["security"] = json!([{"bearer": []}, {"cookie": []}]),
        Auth::Gateway => op["security"] = json!([{"gatewayToken": []}]),
        Auth::Public | Auth::DevOnly | Auth::Page => {}
    }
    if let Some(body) = route.doc.request {
        let mut body = body();
        dates_with_years(&mut body);
        // A body without required fields (or alternatives) may be left out: it reads as `{}`.
        let required = body["required"].as_array().is_some_and(|r| !r.is_empty())
            || body.get("anyOf").is_some();
        let example = example_of(&body, true);
        op["requestBody"] = json!({
            "required": required,
            "content": {"application/json": {"schema": body, "example": example}}
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
