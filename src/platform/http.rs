//! The request pipeline every route goes through: request id, config, CORS, routing
//! (404/405), body limit, JSON in and out, the error envelope and one log line.

use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use worker::worker_sys::web_sys;
use worker::Env;

use crate::platform::auth::{self, Credentials};
use crate::platform::config::{Config, CorsOrigins, MAX_BODY_BYTES};
use crate::platform::error::ApiError;
use crate::platform::ids;
pub use crate::platform::page::{Page, Search};
use crate::platform::product::{Auth, Handler};
pub use crate::platform::response::Response;
use crate::platform::router::{self, Match};

/// What a handler gets: the request, the bindings, the parsed config and the path
/// parameters of its route.
pub struct Ctx {
    /// The request as the runtime handed it over: headers and the body are read from it
    /// only when asked for (the `worker` crate's own `Request` also builds its `cf`
    /// object, which no route reads).
    pub req: web_sys::Request,
    pub env: Env,
    pub config: Rc<Config>,
    pub request_id: String,
    pub params: Vec<(&'static str, String)>,
    /// The request's URL as the runtime serialized it (read once: each read is a call
    /// into JavaScript and a copy).
    url: String,
    /// The query string's pairs, decoded by the first [`Ctx::query_param`].
    query: std::cell::OnceCell<Vec<(String, String)>>,
    /// The JSON Schema the route documents for its body: [`Ctx::json`] refuses a body
    /// that does not match it, so the document is what is enforced.
    body_schema: Option<fn() -> Value>,
    /// The runtime's context of this request: work it runs after the answer.
    exec: Rc<worker::Context>,
    /// The request declared a `Content-Length` (checked against the body limit before the
    /// route runs).
    declared_length: bool,
}

impl Ctx {
    /// Runs `work` after the answer has gone out (the runtime keeps the request alive for
    /// it); a failure is logged with the request id.
    pub fn in_background(
        &self,
        what: &'static str,
        work: impl std::future::Future<Output = Result<(), ApiError>> + 'static,
    ) {
        let request_id = self.request_id.clone();
        let promise = wasm_bindgen_futures::future_to_promise(async move {
            if let Err(e) = work.await {
                worker::console_error!(
                    "{}",
                    serde_json::json!({"level": "error", "request_id": request_id,
                        "msg": format!("{what}: {e}")})
                );
            }
            Ok(wasm_bindgen::JsValue::UNDEFINED)
        });
        if let Err(e) = self.exec.as_ref().as_ref().wait_until(&promise) {
            worker::console_error!(
                "{}",
                serde_json::json!({"level": "error", "request_id": self.request_id,
                    "msg": format!("{what}: waitUntil refused: {e:?}")})
            );
        }
    }

    /// The worker's public origin: `PUBLIC_URL`, else the request's own.
    pub fn public_url(&self) -> String {
        if let Some(u) = &self.config.public_url {
            return u.clone();
        }
        origin(&self.url).unwrap_or_default().to_string()
    }

    /// The host (and port, when not the scheme's default) the request was sent to.
    pub fn authority(&self) -> Option<&str> {
        origin(&self.url)
            .and_then(|o| o.split_once("://"))
            .map(|(_, a)| a)
    }

    /// A form-encoded body (an HTML form's POST), at most 1 MiB, as its pairs.
    pub async fn form(&mut self) -> Result<Vec<(String, String)>, ApiError> {
        let bytes = self.body_bytes().await?;
        Ok(form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect())
    }

    /// A path parameter declared in the route (`/tasks/{id}` → `param("id")`).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The `DB` binding. Read as it is: `Env::d1` also asks the binding for its
    /// constructor's name and copies it into Rust, three more calls into JavaScript on
    /// every request, to tell a D1 database from another kind of binding of that name.
    pub fn d1(&self) -> Result<worker::D1Database, ApiError> {
        crate::platform::bindings::db(&self.env)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.req.headers(), name)
    }

    /// Reads the body (at most 1 MiB) and parses it as `T`: malformed JSON → 400; a body
    /// that breaks the route's documented schema, or a missing or mistyped field → 422
    /// naming each field.
    pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        from_value(self.json_value().await?)
    }

    /// [`Ctx::json`] for a handler that reads the checked body as JSON itself (the
    /// `fields` readers): the parsed value as it is, not rebuilt through a typed shape.
    pub async fn json_value(&mut self) -> Result<Value, ApiError> {
        let bytes = self.body_bytes().await?;
        let value = parse_object(&bytes)?;
        if let Some(schema) = self.body_schema {
            let problems = crate::platform::schema::validate_documented(&value, schema);
            if !problems.is_empty() {
                return Err(ApiError::Validation(problems));
            }
        }
        Ok(value)
    }

    /// The body, read as it arrives and refused (413) as soon as it passes 1 MiB: a
    /// chunked body has no length to check first, and nothing larger than the limit is
    /// ever held, in JavaScript or here.
    pub async fn body_bytes(&mut self) -> Result<Vec<u8>, ApiError> {
        let js_error = |e| ApiError::from(worker::Error::from(e));
        let promise = read_body(&self.req, MAX_BODY_BYTES as u32, self.declared_length);
        let read = crate::platform::promise::settled(&promise)
            .await
            .map_err(js_error)?;
        if read.is_null() {
            return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
        }
        use wasm_bindgen::JsCast;
        Ok(read.unchecked_into::<js_sys::Uint8Array>().to_vec())
    }

    /// One query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query
            .get_or_init(|| {
                // The runtime's URL is already serialized (WHATWG), so its query is the
                // text between `?` and `#`, decoded the way `Url::query_pairs` decodes it
                // without parsing the whole URL.
                let query = self.url.split_once('?').map_or("", |(_, q)| q);
                let query = query.split_once('#').map_or(query, |(q, _)| q);
                form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// A list filter that must be one of `allowed`: absent or empty → `None`, anything
    /// else → 422 naming it.
    pub fn filter_one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        let Some(v) = self.query_param(name).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let mut errors = Vec::new();
        crate::platform::fields::one_of(&Value::String(v), name, allowed, &mut errors)
            .map(Some)
            .ok_or(ApiError::Validation(errors))
    }

    /// The `?q=` search of a list request, if any.
    pub fn search(&self) -> Result<Option<Search>, ApiError> {
        Search::parse(self.query_param("q").as_deref())
    }

    /// The page a list request asks for (and a check of `?q=`, which every page takes).
    pub fn page(&self) -> Result<Page, ApiError> {
        self.search()?;
        Page::parse(
            self.query_param("limit").as_deref(),
            self.query_param("cursor").as_deref(),
        )
    }
}

/// The path of a serialized URL, as sent (percent-encoded): after the host, before `?`.
/// The runtime's URLs are absolute with a special scheme, so the path always starts at
/// the first `/` after `://` and never holds a raw `?` or `#`.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].to_string()
}

/// A JSON body as a value: it must be an object (no body reads as `{}`), and a whole
/// number written with a fraction or an exponent reads as that integer. Syntax errors are
/// the client's malformed request (400); a body that is not an object is a 422.
fn parse_object(bytes: &[u8]) -> Result<Value, ApiError> {
    // No body is the empty object: a body whose fields are all optional may be left out
    // (the document marks such bodies not required); one with required fields names them.
    // (Only no body at all: a body of white space is not JSON, so it is malformed.)
    let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { bytes };
    // Every body of this API is an object: `[..]` or `"x"` is the wrong type, not a
    // positional struct.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Err(ApiError::validation("body", "must be a JSON object")),
            Err(e) => Err(ApiError::BadRequest(format!("malformed JSON: {e}"))),
        };
    }
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    whole_numbers_as_integers(&mut value);
    Ok(value)
}

/// JSON has one number type: `1.0` is the integer 1 to JSON Schema, so a whole number
/// sent with a fraction or an exponent reads as that integer wherever one is expected.
fn whole_numbers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(x) = n
                .as_f64()
                .filter(|x| x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15)
            {
                *v = Value::from(x as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// `T` from a parsed body (its strings moved, not copied); a shape error names its field
/// (422).
fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        field_error(path, strip_position(&e.into_inner().to_string()))
    })
}

/// Maps a serde message at `path` to the field it concerns.
fn field_error(path: String, message: String) -> ApiError {
    // "missing field `email`" is reported at the parent; name the field itself.
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let field = match (missing, path.as_str()) {
        (Some(name), "." | "") => name.to_string(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_string(),
        (None, p) => p.to_string(),
    };
    let message = if missing.is_some() {
        "is required".to_string()
    } else {
        message
    };
    ApiError::validation(field, message)
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    Response::json(status, body)
}

/// A response whose body is already JSON text.
pub fn raw_json(status: u16, body: impl Into<Vec<u8>>) -> Result<Response, ApiError> {
    Ok(Response::json_text(status, body))
}

pub fn no_content() -> Result<Response, ApiError> {
    Ok(Response::empty(204))
}

/// Accepts the caller's `X-Request-ID` when it is short and plain, else makes one.
pub fn request_id(incoming: Option<String>) -> String {
    match incoming {
        Some(id) if is_sane_request_id(&id) => id,
        _ => ids::new_id().unwrap_or_else(|_| "unknown".into()),
    }
}

pub fn is_sane_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

const CORS_ALLOW_HEADERS: &str =
    "Content-Type, Authorization, X-API-Key, X-Request-ID, X-Gateway-Token, If-None-Match, X-D1-Bookmark";
const CORS_EXPOSE_HEADERS: &str = "X-Request-ID, Retry-After, ETag, X-D1-Bookmark, Server-Timing";

/// Strings sent to JavaScript on most requests: interned once per isolate (wasm-bindgen's
/// `enable-interning`), each is then passed as a string JavaScript already holds instead
/// of being copied out of wasm memory and decoded again on every call.
const INTERNED: &[&str] = &[
    "X-Request-ID",
    "Origin",
    "Authorization",
    "X-API-Key",
    "Cookie",
    "Content-Type",
    "Content-Length",
    "application/json",
    "DB",
    "SESSIONS",
];

/// Interns [`INTERNED`]; called once when the isolate starts.
pub fn intern_strings() {
    for s in INTERNED {
        wasm_bindgen::intern(s);
    }
}

/// Entry point for every HTTP request.
pub async fn serve(
    req: web_sys::Request,
    env: Env,
    exec: worker::Context,
) -> worker::Result<web_sys::Response> {
    let config = Config::cached(&env);
    // The client's D1 bookmark is only looked for when requests open D1 sessions.
    let sessions = config.as_ref().is_ok_and(|c| c.d1_sessions);
    let Head {
        method,
        url,
        request_id: sent_id,
        origin,
        content_length,
        authorization,
        bookmark,
    } = Head::parse(&read_head(&req, sessions));
    let request_id = request_id(sent_id);
    let path = path_of(&url);

    // Invalid configuration is always worth a line.
    let log_requests = config.as_ref().map_or(true, |c| c.log_requests);
    let server_timing = config.as_ref().is_ok_and(|c| c.server_timing);
    // Read only for the log line and Server-Timing: the clock is one call into JavaScript.
    let started = (log_requests || server_timing).then(|| ids::now_ms() as f64);
    let (route_label, user_id, result, cors, opened, via) = match config {
        Err(problems) => {
            worker::console_error!(
                "{}",
                serde_json::json!({"level": "error", "request_id": request_id,
                    "msg": "invalid configuration", "problems": problems})
            );
            let err = ApiError::Misconfigured(crate::platform::config::settings_named(&problems));
            (path.clone(), None, Err(err), None, None, None)
        }
        Ok(config) => {
            let cors = origin
                .as_deref()
                .filter(|o| config.cors_origins.allows(o))
                .map(|o| (o.to_string(), config.cors_origins.clone()));
            let incoming = Incoming {
                url,
                request_id: &request_id,
                method: &method,
                path: &path,
                origin: origin.as_deref(),
                content_length: content_length.as_deref(),
                authorization,
                bookmark: bookmark.as_deref(),
                exec: Rc::new(exec),
            };
            let d = dispatch(req, env, config, incoming).await;
            (d.label, d.user_id, d.result, cors, d.opened, d.via)
        }
    };

    let mut resp = match result {
        Ok(r) => r,
        Err(err) => {
            if let ApiError::Internal(cause) = &err {
                worker::console_error!(
                    "{}",
                    serde_json::json!({"level": "error", "request_id": request_id,
                        "route": route_label, "msg": cause})
                );
            }
            error_response(&err, &request_id)
        }
    };
    let status = resp.status_code();
    if let Some((origin, origins)) = cors {
        apply_cors(&mut resp, origin, &origins);
    }
    let now = started.map(|_| ids::now_ms() as f64);
    if let Some(o) = &opened {
        if let Some(b) = o.bookmark() {
            // Cookie-based clients get it back as a cookie; every client in the header.
            if via == Some(auth::Via::Cookie) {
                resp.append_header(
                    "Set-Cookie",
                    format!(
                        "d1_bookmark={b}; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax"
                    ),
                );
            }
            resp.set_header("X-D1-Bookmark", b);
        }
    }
    if let (true, Some(started), Some(now)) = (server_timing, started, now) {
        let total = now - started;
        let timing = opened
            .as_ref()
            .and_then(|o| o.server_timing(total))
            .unwrap_or_else(|| {
                format!("d1;desc=\"0\";dur=0.0, kv;desc=\"0\";dur=0.0, app;dur={total:.1}")
            });
        resp.set_header("Server-Timing", timing);
    }

    if let (true, Some(started), Some(now)) = (log_requests, started, now) {
        let latency_ms = now - started;
        worker::console_log!(
            "{}",
            serde_json::json!({
                "request_id": request_id, "method": method, "route": route_label,
                "status": status, "latency_ms": latency_ms, "user_id": user_id,
            })
        );
    }
    resp.into_runtime(&request_id).map_err(worker::Error::from)
}

/// `scheme://host[:port]` of an absolute URL as the runtime serialises a request's (host
/// lower-cased, a default port left out), or `None` when it is not one.
pub fn origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (!scheme.is_empty() && end > 0).then(|| &url[..scheme.len() + 3 + end])
}

/// A request header's value; an invalid name reads as absent.
fn header(headers: &web_sys::Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

/// What [`serve`] read of a request before routing it.
struct Incoming<'a> {
    url: String,
    request_id: &'a str,
    method: &'a str,
    path: &'a str,
    origin: Option<&'a str>,
    content_length: Option<&'a str>,
    authorization: Option<String>,
    /// `X-D1-Bookmark`, or the `d1_bookmark` cookie.
    bookmark: Option<&'a str>,
    exec: Rc<worker::Context>,
}

/// What [`dispatch`] did with a request.
struct Dispatched {
    /// The route's path pattern (or the path, unrouted), for the log line.
    label: String,
    user_id: Option<String>,
    via: Option<auth::Via>,
    result: Result<Response, ApiError>,
    /// The request's D1 session and meter, once it was routed.
    opened: Option<crate::platform::bindings::Opened>,
}

impl Dispatched {
    fn early(label: &str, result: Result<Response, ApiError>) -> Self {
        Dispatched {
            label: label.to_string(),
            user_id: None,
            via: None,
            result,
            opened: None,
        }
    }
}

/// What every request needs before it is routed. The runtime hands each item over in a
/// call into JavaScript of its own (`headers`, then `get` for each header, `method`,
/// `url`), with a copy of each string; [`read_head`] reads them all in one call.
#[derive(Debug, PartialEq)]
struct Head {
    /// The method as sent, in upper case: the `worker` crate maps methods it does not
    /// know (QUERY, PURGE) to GET, which would serve them as reads.
    method: String,
    url: String,
    request_id: Option<String>,
    origin: Option<String>,
    content_length: Option<String>,
    authorization: Option<String>,
    /// `X-D1-Bookmark`, else the `d1_bookmark` cookie.
    bookmark: Option<String>,
}

/// What [`read_head`] writes for a header the request does not have: a header's value
/// never holds NUL (nor a line break, which separates the items).
const ABSENT: &str = "\0";

impl Head {
    fn parse(text: &str) -> Self {
        let mut items = text
            .splitn(7, '\n')
            .map(|item| (item != ABSENT).then(|| item.to_string()));
        let mut next = || items.next().flatten();
        // Struct fields are evaluated in the order written: the items' order.
        Head {
            method: next().unwrap_or_default().to_ascii_uppercase(),
            url: next().unwrap_or_default(),
            request_id: next(),
            origin: next(),
            content_length: next(),
            authorization: next(),
            bookmark: next(),
        }
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export async function read_body(req, limit, declared) {
  const body = req.body;
  if (body === null) return new Uint8Array(0);
  // A declared length (already checked against the limit) is the body's length: HTTP's
  // framing ends the body there, so it is read in one piece.
  if (declared) return new Uint8Array(await req.arrayBuffer());
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Left unread: the answer goes out and the runtime closes the connection after it.
      reader.releaseLock();
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
"#)]
extern "C" {
    /// The request's body as bytes, read chunk by chunk; `null` (the stream cancelled) as
    /// soon as it passes `limit` bytes.
    fn read_body(req: &web_sys::Request, limit: u32, declared: bool) -> js_sys::Promise;
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function read_head(req, sessions) {
  const headers = req.headers;
  const get = (name) => headers.get(name) ?? "\0";
  let bookmark = sessions ? headers.get("X-D1-Bookmark") : "\0";
  if (bookmark === null) {
    const m = /(?:^|;\s*)d1_bookmark=([0-9a-fA-F-]{1,256})(?:;|$)/.exec(headers.get("Cookie") ?? "");
    bookmark = m ? m[1] : "\0";
  }
  return `${req.method}\n${req.url}\n${get("X-Request-ID")}\n${get("Origin")}\n` +
    `${get("Content-Length")}\n${get("Authorization")}\n${bookmark.replace(/\n/g, "")}`;
}
"#)]
extern "C" {
    /// The request's method, URL, X-Request-ID, Origin, Content-Length, Authorization and
    /// D1 bookmark (only looked for with `sessions`), one per line (`\0` for an absent
    /// header): see [`Head::parse`].
    fn read_head(req: &web_sys::Request, sessions: bool) -> String;
}

async fn dispatch(
    req: web_sys::Request,
    env: Env,
    config: Rc<Config>,
    incoming: Incoming<'_>,
) -> Dispatched {
    let Incoming {
        url,
        request_id,
        method,
        path,
        origin,
        content_length,
        authorization,
        bookmark,
        exec,
    } = incoming;
    if method == "OPTIONS" {
        let allowed = origin.is_some_and(|o| config.cors_origins.allows(o));
        let result = if allowed {
            preflight()
        } else {
            Err(ApiError::Forbidden("origin not allowed".into()))
        };
        return Dispatched::early(path, result);
    }

    let table = match router::get() {
        Ok(t) => t,
        Err(why) => return Dispatched::early(path, Err(ApiError::internal(why))),
    };
    let (route, params) = match table.find(method, path) {
        Match::Found(route, params) => (route, params),
        Match::WrongMethod(allow) => {
            return Dispatched::early(path, Err(ApiError::MethodNotAllowed(allow)))
        }
        Match::NotFound => {
            return Dispatched::early(
                path,
                Err(ApiError::NotFound(format!("no route for {path}"))),
            )
        }
    };
    let label = route.path;
    if route.auth == Auth::DevOnly && config.stage.is_production() {
        return Dispatched::early(
            label,
            Err(ApiError::NotFound(format!("no route for {path}"))),
        );
    }

    // A GET or HEAD body is never read, so only other methods have their size checked.
    let reads_body = !matches!(method, "GET" | "HEAD");
    let declared = reads_body
        .then_some(content_length)
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    let declared_length = declared.is_some();
    if let Some(len) = declared {
        if len > MAX_BODY_BYTES {
            return Dispatched::early(label, Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES)));
        }
    }

    // The request's D1 session (a replica for reads, the primary for writes, or as fresh
    // as the client's bookmark) and meter, on its own copy of env.
    let start = match bookmark.filter(|b| crate::platform::bindings::is_bookmark(b)) {
        Some(b) => crate::platform::bindings::Start::After(b),
        None if reads_body => crate::platform::bindings::Start::Writes,
        None => crate::platform::bindings::Start::Reads,
    };
    let opened = crate::platform::bindings::open(
        &env,
        config.d1_sessions.then_some(&start),
        config.server_timing,
    );
    let env = opened.env.clone();
    let done = |user_id: Option<String>, via, result| Dispatched {
        label: label.to_string(),
        user_id,
        via,
        result,
        opened: Some(opened),
    };

    let caller = if matches!(route.auth, Auth::User | Auth::UserByHeader | Auth::Session) {
        // Read only the headers authentication will look at (each read crosses into JS):
        // a Bearer token wins over an API key, which wins over the cookie, and only a
        // cookie's request has its Content-Type checked.
        let api_key = authorization
            .is_none()
            .then(|| header(&req.headers(), "X-API-Key"))
            .flatten();
        let cookie = (authorization.is_none() && api_key.is_none())
            .then(|| header(&req.headers(), "Cookie"))
            .flatten();
        let content_type = cookie
            .is_some()
            .then(|| header(&req.headers(), "Content-Type"))
            .flatten();
        let creds = Credentials {
            authorization: authorization.as_deref(),
            api_key: api_key.as_deref(),
            cookie: cookie.as_deref(),
            method,
            content_type: content_type.as_deref(),
            origin,
        };
        match auth::authenticate(&env, &config, &creds).await {
            Ok(c) => {
                // A credential the route's kind of caller may not use.
                let refusal = match (route.auth, c.via) {
                    (Auth::Session, auth::Via::ApiKey) => Some(
                        "this route is about a session: send its access token; an API key has none (revoke the key instead)",
                    ),
                    (Auth::UserByHeader, auth::Via::Cookie) => Some(
                        "this request changes state: send Authorization: Bearer or X-API-Key, not only the cookie",
                    ),
                    _ => None,
                };
                if let Some(why) = refusal {
                    return done(None, None, Err(ApiError::Unauthorized(why.into())));
                }
                Some(c)
            }
            Err(e) => return done(None, None, Err(e)),
        }
    } else {
        None
    };
    if route.auth == Auth::Gateway {
        let token = header(&req.headers(), "X-Gateway-Token");
        if let Err(e) = auth::check_gateway(&config, token.as_deref()) {
            return done(None, None, Err(e));
        }
    }
    let user_id = caller.as_ref().map(|c| c.user_id.clone());
    let via = caller.as_ref().map(|c| c.via);

    let ctx = Ctx {
        req,
        env,
        config,
        request_id: request_id.to_string(),
        params,
        url,
        query: std::cell::OnceCell::new(),
        body_schema: route.doc.request,
        exec,
        declared_length,
    };
    let result = match (route.handler, caller) {
        (Handler::User(handler), Some(caller)) => handler(ctx, caller).await,
        (Handler::Anyone(handler), _) => handler(ctx).await,
        (Handler::User(_), None) => Err(ApiError::internal(format!(
            "{} {} takes a user but its route is {:?}",
            route.method, route.path, route.auth
        ))),
    };
    done(user_id, via, result)
}

fn preflight() -> Result<Response, ApiError> {
    let mut resp = Response::empty(204);
    resp.set_header(
        "Access-Control-Allow-Methods",
        "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    );
    resp.set_header("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    resp.set_header("Access-Control-Max-Age", "600");
    Ok(resp)
}

fn apply_cors(resp: &mut Response, origin: String, origins: &CorsOrigins) {
    match origins {
        CorsOrigins::Any => {
            resp.set_header("Access-Control-Allow-Origin", "*");
            resp.set_header("Timing-Allow-Origin", "*");
        }
        CorsOrigins::List(_) => {
            resp.set_header("Timing-Allow-Origin", origin.clone());
            resp.set_header("Access-Control-Allow-Origin", origin);
            resp.set_header("Access-Control-Allow-Credentials", "true");
            resp.append_header("Vary", "Origin");
        }
    }
    resp.set_header("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
}

fn error_response(err: &ApiError, request_id: &str) -> Response {
    let mut resp = Response::json_text(err.status(), err.envelope(request_id).to_string());
    for (name, value) in err.extra_headers() {
        resp.set_header(name, value);
    }
    resp
}

impl From<ApiError> for worker::Error {
    fn from(e: ApiError) -> Self {
        worker::Error::RustError(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_a_url() {
        assert_eq!(
            origin("https://api.example.com/a/b?c#d"),
            Some("https://api.example.com")
        );
        assert_eq!(
            origin("http://127.0.0.1:8787"),
            Some("http://127.0.0.1:8787")
        );
        assert_eq!(
            origin("http://127.0.0.1:8787?x=1"),
            Some("http://127.0.0.1:8787")
        );
        assert_eq!(origin("https:///x"), None);
        assert_eq!(origin("://x"), None);
        assert_eq!(origin("no url"), None);
        assert_eq!(origin("hé://ü/"), Some("hé://ü"));
    }

    /// A body as [`Ctx::json`] reads it, without the route's schema.
    fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
        from_value(parse_object(bytes)?)
    }

    #[test]
    fn whole_numbers_read_as_integers() {
        let v: Value =
            parse_json(br#"{"a": 1.0, "b": [2e2, 1.5], "c": {"d": -0.0}}"#).expect("parses");
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": [200, 1.5], "c": {"d": 0}})
        );
        #[derive(serde::Deserialize)]
        struct Cents {
            amount: i64,
        }
        let c: Cents = parse_json(br#"{"amount": 431.0}"#).expect("an integer");
        assert_eq!(c.amount, 431);
    }
    use serde::Deserialize;

    #[test]
    fn the_path_is_what_lies_between_the_host_and_the_query() {
        assert_eq!(
            path_of("http://127.0.0.1:8787/api/os/tasks?limit=50"),
            "/api/os/tasks"
        );
        assert_eq!(path_of("https://api.example.com/"), "/");
        assert_eq!(path_of("https://api.example.com"), "/");
        assert_eq!(path_of("https://api.example.com/a%20b/c#frag"), "/a%20b/c");
        assert_eq!(path_of("https://api.example.com/x?next=/y"), "/x");
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Signup {
        email: String,
        age: Option<u8>,
        tags: Vec<String>,
    }

    #[test]
    fn malformed_json_is_bad_request() {
        let e = parse_json::<Signup>(b"{\"email\": ").expect_err("truncated");
        assert_eq!(e.status(), 400);
        // No body reads as `{}`: the required fields are named.
        let e = parse_json::<Signup>(b"").expect_err("empty");
        assert_eq!(e, ApiError::validation("email", "is required"));
    }

    #[test]
    fn missing_field_names_the_field() {
        let e = parse_json::<Signup>(br#"{"tags": []}"#).expect_err("missing email");
        assert_eq!(e, ApiError::validation("email", "is required"));
    }

    #[test]
    fn wrong_type_names_the_path() {
        let e =
            parse_json::<Signup>(br#"{"email": "a@b.c", "tags": ["x", 3]}"#).expect_err("bad tag");
        match e {
            ApiError::Validation(f) => assert_eq!(f[0].field, "tags[1]"),
            other => panic!("unexpected {other:?}"),
        }
        let e = parse_json::<Signup>(br#"{"email": "a@b.c", "tags": [], "age": 300}"#)
            .expect_err("age out of u8");
        assert_eq!(e.status(), 422);
    }

    #[test]
    fn non_object_body_is_422_on_body() {
        let e = parse_json::<Signup>(b"[1,2]").expect_err("array");
        match e {
            ApiError::Validation(f) => assert_eq!(f[0].field, "body"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_request_head_is_read_from_one_text() {
        let head = Head::parse(
            "post\nhttps://api.example/api/os/tasks?x=1\n\0\nhttps://app.example\n57\nBearer a.b.c\n00-ab",
        );
        assert_eq!(
            head,
            Head {
                method: "POST".into(),
                url: "https://api.example/api/os/tasks?x=1".into(),
                request_id: None,
                origin: Some("https://app.example".into()),
                content_length: Some("57".into()),
                authorization: Some("Bearer a.b.c".into()),
                bookmark: Some("00-ab".into()),
            }
        );
        // An empty header is there (and empty), not absent.
        let head = Head::parse("GET\nhttps://api.example/health\n\n\0\n\0\n\0");
        assert_eq!(head.request_id.as_deref(), Some(""));
        assert_eq!(
            (head.origin, head.content_length, head.authorization),
            (None, None, None)
        );
        // A short text leaves the rest absent; a stray line break stays in the last item.
        assert_eq!(Head::parse("GET").url, "");
        assert_eq!(Head::parse("GET\nu\n\0").bookmark, None);
        assert_eq!(
            Head::parse("GET\nu\n\0\n\0\n\0\nBearer x\ny\nz")
                .bookmark
                .as_deref(),
            Some("y\nz")
        );
    }

    #[test]
    fn request_ids_are_checked() {
        assert!(is_sane_request_id("abc-123_x.y:z"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("has space"));
        assert!(!is_sane_request_id(&"a".repeat(129)));
        assert_eq!(request_id(Some("client-id-1".into())), "client-id-1");
        assert_ne!(request_id(Some("bad id\n".into())), "bad id\n");
    }
}
