//! `POST /mcp`: the assistant's tools as an MCP server over Streamable HTTP, stateless.
//!
//! Revision 2026-07-28 is stateless by design: every request carries its protocol version
//! and client capabilities in `params._meta` (mirrored in the `MCP-Protocol-Version`,
//! `Mcp-Method` and `Mcp-Name` headers), `server/discover` tells what we speak, and results
//! carry `resultType`. Older clients (2025-11-25, 2025-06-18, 2025-03-26) open with
//! `initialize`; they get the revision they ask for (or our newest of theirs) and an
//! `Mcp-Session-Id` that nothing is kept behind: every request is served on its own.
//! There is no server stream: `GET /mcp` answers 405.

use serde_json::{json, Map, Value};

use super::prompts::{self, PromptError};
use super::resources::{self, ReadError};
use super::tools::{self, ToolError};
use crate::platform::auth::Caller;
use crate::platform::crypto::b64_decode;
use crate::platform::error::ApiError;
use crate::platform::http::{Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::Doc;

pub const MODERN: &str = "2026-07-28";
/// Handshake revisions, newest first.
pub const LEGACY: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;
const RESOURCE_NOT_FOUND: i64 = -32002;
const HEADER_MISMATCH: i64 = -32020;
const UNSUPPORTED_VERSION: i64 = -32022;

const VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

const INSTRUCTIONS: &str = "Tools over the signed-in user's Personal OS: add, list, complete, update and delete \
    tasks; log and list habits; report a goal's progress. Dates are YYYY-MM-DD in the user's time zone. \
    list_tasks numbers its items; use their ids with the other tools.";

fn supported() -> Vec<&'static str> {
    std::iter::once(MODERN)
        .chain(LEGACY.iter().copied())
        .collect()
}

fn capabilities() -> Value {
    crate::schema!({"tools": {"listChanged": false}, "resources": {"listChanged": false, "subscribe": false},
        "prompts": {"listChanged": false}, "completions": {}})
}

/// The parameter a request's `Mcp-Name` header must repeat, by method (2026-07-28).
fn named_by(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

fn server_info() -> Value {
    json!({"name": "edge-api", "title": "Personal OS assistant", "version": env!("CARGO_PKG_VERSION")})
}

/// A JSON-RPC error and the HTTP status it travels with.
struct RpcError {
    status: u16,
    code: i64,
    message: String,
    data: Option<Value>,
}

impl RpcError {
    fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            data: None,
        }
    }
}

/// The revision a request is served under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    Modern,
    /// A handshake revision (one of [`LEGACY`]).
    Legacy(&'static str),
}

pub async fn post(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    if let Some(origin) = ctx.header("Origin") {
        // The server's own origin (a page it serves, a same-origin client) or an allowed one.
        let own = crate::platform::http::origin(&ctx.public_url())
            .is_some_and(|o| o.eq_ignore_ascii_case(&origin));
        if !own && !ctx.config.cors_origins.allows(&origin) {
            return reply(
                Value::Null,
                Err(RpcError::new(403, INVALID_REQUEST, "Origin not allowed")),
                None,
            );
        }
    }
    let bytes = ctx.body_bytes().await?;
    let frame: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => {
            return reply(
                Value::Null,
                Err(RpcError::new(
                    400,
                    PARSE_ERROR,
                    "Parse error: the body is not JSON",
                )),
                None,
            )
        }
    };
    let Some(msg) = frame.as_object() else {
        let why = if frame.is_array() {
            "Invalid Request: batches are not supported; send one message per POST"
        } else {
            "Invalid Request: expected a JSON-RPC object"
        };
        return reply(
            Value::Null,
            Err(RpcError::new(400, INVALID_REQUEST, why)),
            None,
        );
    };
    let id = msg.get("id").cloned();
    let id_ok = matches!(&id, Some(Value::String(_)))
        || id.as_ref().is_some_and(|v| v.is_i64() || v.is_u64());
    let echo = if id_ok {
        id.clone().unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    if msg.get("jsonrpc") != Some(&json!("2.0")) {
        return reply(
            echo,
            Err(RpcError::new(
                400,
                INVALID_REQUEST,
                "Invalid Request: jsonrpc must be \"2.0\"",
            )),
            None,
        );
    }
    let Some(method) = msg.get("method").and_then(Value::as_str) else {
        if msg.contains_key("result") || msg.contains_key("error") {
            return accepted(); // a response to nothing we asked: nothing to do
        }
        return reply(
            echo,
            Err(RpcError::new(
                400,
                INVALID_REQUEST,
                "Invalid Request: method must be a string",
            )),
            None,
        );
    };
    if id.is_none() {
        return accepted(); // notifications (initialized, cancelled) need no answer
    }
    if !id_ok {
        return reply(
            Value::Null,
            Err(RpcError::new(
                400,
                INVALID_REQUEST,
                "Invalid Request: id must be a string or an integer",
            )),
            None,
        );
    }
    let params = match msg.get("params") {
        None => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => {
            return reply(
                echo,
                Err(RpcError::new(
                    400,
                    INVALID_PARAMS,
                    "Invalid params: params must be an object",
                )),
                None,
            )
        }
    };
    let header = |name: &str| ctx.header(name);

    if method == "initialize" {
        let asked = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let version = LEGACY
            .iter()
            .copied()
            .find(|v| *v == asked)
            .unwrap_or(LEGACY[0]);
        let result = json!({
            "protocolVersion": version,
            "capabilities": capabilities(),
            "serverInfo": server_info(),
            "instructions": INSTRUCTIONS,
        });
        let session = ids::hex(&{
            let mut b = [0u8; 16];
            ids::random_bytes(&mut b)?;
            b
        });
        return reply(echo, Ok(result), Some(session));
    }

    let era = match era(method, &params, &header) {
        Ok(e) => e,
        Err(e) => return reply(echo, Err(e), None),
    };
    let db = ctx.d1()?;
    let result = match method {
        "server/discover" => Ok(json!({
            "supportedVersions": supported(),
            "capabilities": capabilities(),
            "serverInfo": server_info(),
            "instructions": INSTRUCTIONS,
            "ttlMs": 3_600_000,
            "cacheScope": "public",
        })),
        "ping" => Ok(json!({})),
        "tools/list" => {
            let rich = era == Era::Modern || era >= Era::Legacy("2025-06-18");
            let list: Vec<Value> = tools::TOOLS
                .iter()
                .map(|t| {
                    let mut v = json!({"name": t.name, "description": t.description, "inputSchema": (t.input)()});
                    if rich {
                        v["title"] = json!(t.title);
                        v["outputSchema"] = (t.output)();
                        v["annotations"] = t.annotations();
                    }
                    v
                })
                .collect();
            let mut result = json!({ "tools": list });
            if era == Era::Modern {
                result["ttlMs"] = json!(300_000);
                result["cacheScope"] = json!("private");
            }
            Ok(result)
        }
        "tools/call" => call(&db, &caller, &params, era).await,
        "resources/list" => {
            let cursor = params.get("cursor").and_then(Value::as_str);
            resources::list(&db, &caller, cursor)
                .await
                .map_err(internal)
                .map(|r| cached(r, era, LIVE))
        }
        "resources/templates/list" => Ok(cached(resources::templates(), era, LISTS)),
        "resources/read" => match params.get("uri").and_then(Value::as_str) {
            None => Err(RpcError::new(
                200,
                INVALID_PARAMS,
                "Invalid params: uri must be a string",
            )),
            Some(uri) => resources::read(&db, &caller, uri)
                .await
                .map(|r| cached(r, era, LIVE))
                .map_err(|e| match e {
                    ReadError::NotFound => RpcError {
                        data: Some(json!({ "uri": uri })),
                        ..RpcError::new(200, RESOURCE_NOT_FOUND, "Resource not found")
                    },
                    ReadError::Internal(e) => internal(e),
                }),
        },
        "prompts/list" => Ok(cached(prompts::list(), era, LISTS)),
        "prompts/get" => prompt(&db, &caller, &params).await,
        "completion/complete" => completion(&db, &caller, &params).await,
        _ => Err(RpcError::new(
            if era == Era::Modern { 404 } else { 200 },
            METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )),
    };
    let result = result.map(|mut r| {
        if era == Era::Modern {
            r["resultType"] = json!("complete");
            r["_meta"] = json!({ SERVER_INFO_KEY: server_info() });
        }
        r
    });
    reply(echo, result, None)
}

impl PartialOrd for Era {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        let rank = |e: &Era| match e {
            Era::Modern => MODERN,
            Era::Legacy(v) => v,
        };
        Some(rank(self).cmp(rank(other)))
    }
}

/// Which revision a (non-`initialize`) request speaks: a `_meta` protocol version makes it
/// a stateless one, whose headers must agree with its body; without one, the
/// `MCP-Protocol-Version` header of a handshake client (absent: 2025-03-26).
fn era(
    method: &str,
    params: &Map<String, Value>,
    header: &dyn Fn(&str) -> Option<String>,
) -> Result<Era, RpcError> {
    let unsupported = |requested: &str| RpcError {
        status: 400,
        code: UNSUPPORTED_VERSION,
        message: "Unsupported protocol version".into(),
        data: Some(json!({"supported": supported(), "requested": requested})),
    };
    let meta = params.get("_meta").and_then(Value::as_object);
    let declared = meta
        .and_then(|m| m.get(VERSION_KEY))
        .and_then(Value::as_str);
    let Some(version) = declared else {
        let version = header("MCP-Protocol-Version").unwrap_or_else(|| "2025-03-26".into());
        return match LEGACY.iter().find(|v| **v == version) {
            Some(v) => Ok(Era::Legacy(v)),
            None if version == MODERN => Err(RpcError::new(
                400,
                HEADER_MISMATCH,
                format!("Header mismatch: MCP-Protocol-Version is {MODERN} but params._meta has no {VERSION_KEY}"),
            )),
            None => Err(unsupported(&version)),
        };
    };
    if let Some(v) = LEGACY.iter().find(|v| **v == version) {
        return Ok(Era::Legacy(v));
    }
    if version != MODERN {
        return Err(unsupported(version));
    }
    let mismatch =
        |what: String| RpcError::new(400, HEADER_MISMATCH, format!("Header mismatch: {what}"));
    match header("MCP-Protocol-Version") {
        Some(h) if h == version => {}
        Some(h) => {
            return Err(mismatch(format!(
                "MCP-Protocol-Version is {h:?}, the body says {version:?}"
            )))
        }
        None => {
            return Err(mismatch(
                "the MCP-Protocol-Version header is required".into(),
            ))
        }
    }
    match header("Mcp-Method") {
        Some(h) if h == method => {}
        Some(h) => {
            return Err(mismatch(format!(
                "Mcp-Method is {h:?}, the body says {method:?}"
            )))
        }
        None => return Err(mismatch("the Mcp-Method header is required".into())),
    }
    if let Some(key) = named_by(method) {
        let name = params.get(key).and_then(Value::as_str).unwrap_or("");
        match header("Mcp-Name").map(|h| decode_header(&h)) {
            Some(Some(h)) if h == name => {}
            Some(_) => {
                return Err(mismatch(format!(
                    "Mcp-Name does not match the {key} {name:?}"
                )))
            }
            None => {
                return Err(mismatch(format!(
                    "the Mcp-Name header is required for {method}"
                )))
            }
        }
    }
    if !meta
        .and_then(|m| m.get(CAPABILITIES_KEY))
        .is_some_and(Value::is_object)
    {
        return Err(RpcError::new(
            400,
            INVALID_PARAMS,
            format!("Invalid params: _meta must carry {CAPABILITIES_KEY}"),
        ));
    }
    Ok(Era::Modern)
}

/// A header value, decoding the `=?base64?…?=` form.
fn decode_header(h: &str) -> Option<String> {
    match h
        .strip_prefix("=?base64?")
        .and_then(|s| s.strip_suffix("?="))
    {
        Some(b64) => b64_decode(b64).and_then(|b| String::from_utf8(b).ok()),
        None => Some(h.to_string()),
    }
}

/// A platform failure: logged, answered as an internal error.
fn internal(e: ApiError) -> RpcError {
    worker::console_error!(
        "{}",
        json!({"msg": "mcp request failed", "error": e.to_string()})
    );
    RpcError::new(500, INTERNAL_ERROR, "Internal error")
}

/// A result with how long a 2026-07-28 client may keep it (for this user only): the
/// server's own lists for 5 minutes, the user's data ([`LIVE`]) not at all.
fn cached(mut result: Value, era: Era, ttl_ms: u32) -> Value {
    if era == Era::Modern {
        result["ttlMs"] = json!(ttl_ms);
        result["cacheScope"] = json!("private");
    }
    result
}

const LISTS: u32 = 300_000;
const LIVE: u32 = 0;

fn prompt_error(e: PromptError) -> RpcError {
    match e {
        PromptError::NotFound(m) | PromptError::Invalid(m) => {
            RpcError::new(200, INVALID_PARAMS, format!("Invalid params: {m}"))
        }
        PromptError::Internal(e) => internal(e),
    }
}

async fn prompt(
    db: &worker::D1Database,
    caller: &Caller,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err(RpcError::new(
            200,
            INVALID_PARAMS,
            "Invalid params: name must be a string",
        ));
    };
    let args = match params.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) if a.values().all(Value::is_string) => a.clone(),
        Some(_) => {
            return Err(RpcError::new(
                200,
                INVALID_PARAMS,
                "Invalid params: arguments must map names to strings",
            ))
        }
    };
    prompts::get(db, caller, name, &args)
        .await
        .map_err(prompt_error)
}

/// `completion/complete {ref: {type: ref/prompt, name}, argument: {name, value}}`.
async fn completion(
    db: &worker::D1Database,
    caller: &Caller,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let reference = params.get("ref").unwrap_or(&Value::Null);
    let argument = params.get("argument").unwrap_or(&Value::Null);
    let (Some(kind), Some(arg), Some(typed)) = (
        reference["type"].as_str(),
        argument["name"].as_str(),
        argument["value"].as_str(),
    ) else {
        return Err(RpcError::new(
            200,
            INVALID_PARAMS,
            "Invalid params: ref {type, name|uri} and argument {name, value} are required",
        ));
    };
    match kind {
        "ref/prompt" => {
            let name = reference["name"].as_str().unwrap_or("");
            prompts::complete(db, caller, name, arg, typed)
                .await
                .map_err(prompt_error)
        }
        // Resource templates take an id, which is not worth guessing at.
        "ref/resource" => Ok(json!({"completion": {"values": [], "total": 0, "hasMore": false}})),
        other => Err(RpcError::new(
            200,
            INVALID_PARAMS,
            format!("Invalid params: unknown ref type {other:?}"),
        )),
    }
}

async fn call(
    db: &worker::D1Database,
    caller: &Caller,
    params: &Map<String, Value>,
    era: Era,
) -> Result<Value, RpcError> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err(RpcError::new(
            200,
            INVALID_PARAMS,
            "Invalid params: name must be a string",
        ));
    };
    if tools::find(name).is_none() {
        return Err(RpcError::new(
            200,
            INVALID_PARAMS,
            format!("Unknown tool: {name}"),
        ));
    }
    let args = match params.get("arguments") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            return Err(RpcError::new(
                200,
                INVALID_PARAMS,
                "Invalid params: arguments must be an object",
            ))
        }
    };
    let structured = era == Era::Modern || era >= Era::Legacy("2025-06-18");
    match tools::call(db, caller, name, &args).await {
        Ok(v) => {
            let mut r =
                json!({"content": [{"type": "text", "text": v.to_string()}], "isError": false});
            if structured {
                r["structuredContent"] = v;
            }
            Ok(r)
        }
        Err(ToolError::Internal(e)) => {
            worker::console_error!(
                "{}",
                json!({"msg": "mcp tool failed", "tool": name, "error": e.to_string()})
            );
            Err(RpcError::new(500, INTERNAL_ERROR, "Internal error"))
        }
        Err(e) => {
            let mut text = e.message();
            if let ToolError::Refused { candidates, .. } = &e {
                if !candidates.is_empty() {
                    text.push_str(&format!(
                        " Candidates: {}",
                        Value::Array(candidates.clone())
                    ));
                }
            }
            Ok(json!({"content": [{"type": "text", "text": text}], "isError": true}))
        }
    }
}

fn reply(
    id: Value,
    outcome: Result<Value, RpcError>,
    session: Option<String>,
) -> Result<Response, ApiError> {
    let (status, body) = match outcome {
        Ok(result) => (200, json!({"jsonrpc": "2.0", "id": id, "result": result})),
        Err(e) => {
            let mut error = json!({"code": e.code, "message": e.message});
            if let Some(d) = e.data {
                error["data"] = d;
            }
            (
                e.status,
                json!({"jsonrpc": "2.0", "id": id, "error": error}),
            )
        }
    };
    let mut resp = crate::platform::http::json(status, &body)?;
    if let Some(s) = session {
        resp.set_header("Mcp-Session-Id", s);
    }
    Ok(resp)
}

fn accepted() -> Result<Response, ApiError> {
    Ok(Response::empty(202))
}

// ---- OpenAPI ----

fn frame_schema() -> Value {
    crate::schema!({"type": "object", "required": ["jsonrpc", "method"], "properties": {
        "jsonrpc": {"const": "2.0"},
        "id": {"type": ["string", "integer"], "description": "Absent for a notification (answered 202)."},
        "method": {"type": "string", "examples": ["server/discover", "tools/list", "tools/call", "resources/read", "prompts/get", "initialize", "ping"]},
        "params": {"type": "object"}
    }, "examples": [{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "add_task", "arguments": {"title": "buy milk", "due_date": "2026-11-26"},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}}]})
}

fn answer_schema() -> Value {
    crate::schema!({"type": "object", "required": ["jsonrpc", "id"], "properties": {
        "jsonrpc": {"const": "2.0"}, "id": {"type": ["string", "integer", "null"]},
        "result": {"type": "object"},
        "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "integer"}, "message": {"type": "string"}, "data": {}}}
    }})
}

pub const DOC: Doc = Doc {
    tag: "assistant",
    params: &[],
    summary: "MCP server (Streamable HTTP)",
    description: "The assistant's tools for MCP clients, one JSON-RPC message per POST, answered with one JSON \
        object. Protocol revision 2026-07-28 (stateless: `server/discover`, protocol version and client \
        capabilities in `params._meta`, the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers matching \
        the body, results with `resultType`) and the `initialize` handshake of 2025-11-25, 2025-06-18 and \
        2025-03-26. Methods: server/discover, initialize, ping, tools/list, tools/call, resources/list, \
        resources/templates/list, resources/read (`task://{id}`, `goal://{id}`, `habit://{id}`, `logbook://{id}`), prompts/list, \
        prompts/get (`plan_my_day`, `weekly_review`), completion/complete. Errors: -32700 parse error, -32600 \
        invalid request (400), -32601 unknown method (404 under 2026-07-28), -32602 invalid params, -32002 \
        resource not found, -32020 header mismatch and -32022 unsupported protocol version (400, with \
        `data.supported`). A tool that refuses answers a result with `isError: true`. Authenticated with Bearer \
        or `X-API-Key` (401 with `WWW-Authenticate: Bearer` otherwise); an `Origin` other than the server's own \
        or one in CORS_ORIGINS gets 403. GET answers 405: there is no server stream.",
    request: Some(frame_schema),
    response: (200, || {
        let mut s = answer_schema();
        s["x-error-schema"] = answer_schema();
        s["x-no-content"] = crate::schema!({"202": "A notification (a frame without `id`) was accepted; there is no answer"});
        s
    }),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn modern(method: &str) -> Map<String, Value> {
        let mut p = Map::new();
        p.insert(
            "_meta".into(),
            json!({VERSION_KEY: MODERN, CAPABILITIES_KEY: {}}),
        );
        if method == "tools/call" {
            p.insert("name".into(), json!("add_task"));
        }
        p
    }

    #[test]
    fn eras_come_from_meta_or_the_header() {
        let headers = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_string())
            }
        };
        let good = headers(&[
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "add_task"),
        ]);
        assert_eq!(
            era("tools/call", &modern("tools/call"), &good).ok(),
            Some(Era::Modern)
        );
        let b64 = headers(&[
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "=?base64?YWRkX3Rhc2s=?="),
        ]);
        assert_eq!(
            era("tools/call", &modern("tools/call"), &b64).ok(),
            Some(Era::Modern)
        );
        let wrong = headers(&[
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/list"),
        ]);
        assert_eq!(
            era("tools/call", &modern("tools/call"), &wrong)
                .err()
                .map(|e| e.code),
            Some(HEADER_MISMATCH)
        );
        let none = headers(&[]);
        assert_eq!(
            era("tools/list", &Map::new(), &none).ok(),
            Some(Era::Legacy("2025-03-26"))
        );
        let old = headers(&[("MCP-Protocol-Version", "2025-06-18")]);
        assert_eq!(
            era("tools/list", &Map::new(), &old).ok(),
            Some(Era::Legacy("2025-06-18"))
        );
        let future = headers(&[("MCP-Protocol-Version", "2099-01-01")]);
        let e = era("tools/list", &Map::new(), &future).expect_err("refused");
        assert_eq!((e.status, e.code), (400, UNSUPPORTED_VERSION));
        assert_eq!(e.data.expect("data")["supported"][0], MODERN);
        let mut p = Map::new();
        p.insert(
            "_meta".into(),
            json!({VERSION_KEY: "1900-01-01", CAPABILITIES_KEY: {}}),
        );
        assert_eq!(
            era("tools/list", &p, &none).err().map(|e| e.code),
            Some(UNSUPPORTED_VERSION)
        );
        let mut p = Map::new();
        p.insert("_meta".into(), json!({VERSION_KEY: MODERN}));
        let list = headers(&[
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/list"),
        ]);
        assert_eq!(
            era("tools/list", &p, &list).err().map(|e| e.code),
            Some(INVALID_PARAMS)
        );
        assert!(Era::Legacy("2025-11-25") >= Era::Legacy("2025-06-18"));
        assert!(Era::Legacy("2025-03-26") < Era::Legacy("2025-06-18"));
    }
}
