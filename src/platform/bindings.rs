//! The bindings a request uses, opened once per request (docs/development.md, "Round trips
//! and read replicas"):
//!
//! - **One D1 session** (`withSession`), so reads may be served by a replica near the user
//!   while the user still reads their own writes: `first-unconstrained` for a request that
//!   only reads, `first-primary` for one that writes, or the bookmark the client sent back
//!   (`X-D1-Bookmark`, or the `d1_bookmark` cookie). The session's bookmark after the
//!   request is answered in `X-D1-Bookmark`. `D1_SESSIONS` turns it off; it is off by
//!   default in development, where D1 has no replicas and making a bookmark costs the
//!   local D1 about 0.2 ms of CPU per query (measured: docs/development.md).
//! - **A meter** (when `SERVER_TIMING` is on): every D1 statement or batch and every KV
//!   read goes through it, and the answer's `Server-Timing` says how many sequential round
//!   trips each made and how long they took. Calls that overlap count as one round trip.
//!
//! Both are plain JavaScript objects standing in for the runtime's (`prepare`, `batch`,
//! `get`, …), set on a per-request copy of `env`, so every store function reaches them
//! through the `D1Database` and `KvStore` it already takes. Cron jobs and the Durable
//! Object use the bindings as they are (the primary).

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::Env;

/// What a request opened: its `env` (with the session and the meter on it), and the
/// handles to read back at the end.
pub struct Opened {
    pub env: Env,
    state: JsValue,
}

/// How a request's D1 session starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start<'a> {
    /// A request that only reads: any replica.
    Reads,
    /// A request that writes: the primary.
    Writes,
    /// After the client's own earlier request: at least as fresh as that bookmark.
    After(&'a str),
}

impl Start<'_> {
    fn arg(&self) -> &str {
        match self {
            Start::Reads => "first-unconstrained",
            Start::Writes => "first-primary",
            Start::After(b) => b,
        }
    }
}

/// A bookmark as D1 writes them (hex groups joined by `-`); anything else sent is
/// ignored, never passed to D1.
pub fn is_bookmark(s: &str) -> bool {
    (1..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Opens the request's session (when `start` is given) and meter (when `metered`) on a
/// copy of `env`; with neither, `env` is used as it is.
pub fn open(env: &Env, start: Option<&Start<'_>>, metered: bool) -> Opened {
    let (arg, fallback) = match start {
        Some(Start::After(b)) => (*b, "first-primary"),
        Some(other) => (other.arg(), other.arg()),
        None => ("", ""),
    };
    if arg.is_empty() && !metered {
        return Opened {
            env: env.clone(),
            state: JsValue::UNDEFINED,
        };
    }
    let state = open_request(env, arg, fallback, metered);
    let env = js_sys::Reflect::get(&state, &JsValue::from_str("env"))
        .map(|e| e.unchecked_into::<Env>())
        .unwrap_or_else(|_| env.clone());
    Opened { env, state }
}

impl Opened {
    /// The D1 session's bookmark after what the request did, if D1 gave one.
    pub fn bookmark(&self) -> Option<String> {
        if self.state.is_undefined() {
            return None;
        }
        bookmark_of(&self.state).filter(|b| is_bookmark(b))
    }

    /// The `Server-Timing` value: D1 and KV round trips and their time, and the request's
    /// own time (`app`, ms, all of it); `None` when not metered.
    pub fn server_timing(&self, total_ms: f64) -> Option<String> {
        if self.state.is_undefined() {
            return None;
        }
        let m = meter_of(&self.state)?;
        let [d1, d1_ms, kv, kv_ms, writes, writes_ms] =
            [0, 1, 2, 3, 4, 5].map(|i| m.get(i).copied().unwrap_or(0.0));
        let mut out = format!(
            "d1;desc=\"{d1}\";dur={d1_ms:.1}, kv;desc=\"{kv}\";dur={kv_ms:.1}, app;dur={total_ms:.1}"
        );
        if writes > 0.0 {
            out.push_str(&format!(", kvw;desc=\"{writes}\";dur={writes_ms:.1}"));
        }
        Some(out)
    }

    /// Sequential D1 round trips so far (0 when not metered).
    pub fn d1_round_trips(&self) -> u32 {
        if self.state.is_undefined() {
            return 0;
        }
        meter_of(&self.state)
            .and_then(|m| m.first().copied())
            .unwrap_or(0.0) as u32
    }
}

#[wasm_bindgen(inline_js = r#"
class Meter {
  constructor() { this.n = [0, 0, 0, 0, 0, 0]; this.live = [0, 0, 0]; this.since = [0, 0, 0]; }
  // kind 0: D1, 1: KV read, 2: KV write. A call that starts while none of its kind is in
  // flight begins a new round trip; the time counted is while any is in flight.
  track(kind, promise) {
    if (this.live[kind]++ === 0) { this.n[kind * 2]++; this.since[kind] = performance.now(); }
    const done = () => { if (--this.live[kind] === 0) this.n[kind * 2 + 1] += performance.now() - this.since[kind]; };
    return Promise.resolve(promise).finally(done);
  }
}
class Statement {
  constructor(s, m) { this.s = s; this.m = m; }
  bind(...v) { return new Statement(this.s.bind(...v), this.m); }
  first(c) { return this.m.track(0, this.s.first(c)); }
  all() { return this.m.track(0, this.s.all()); }
  run() { return this.m.track(0, this.s.run()); }
  raw(o) { return this.m.track(0, this.s.raw(o)); }
}
class Database {
  constructor(d, m) { this.d = d; this.m = m; }
  prepare(q) { return new Statement(this.d.prepare(q), this.m); }
  batch(list) { return this.m.track(0, this.d.batch(list.map((s) => (s instanceof Statement ? s.s : s)))); }
  exec(q) { return this.m.track(0, this.d.exec(q)); }
}
class Store {
  constructor(k, m) { this.k = k; this.m = m; }
  get(key, o) { return this.m.track(1, this.k.get(key, o)); }
  getWithMetadata(key, o) { return this.m.track(1, this.k.getWithMetadata(key, o)); }
  put(key, v, o) { return this.m.track(2, this.k.put(key, v, o)); }
  delete(key) { return this.m.track(2, this.k.delete(key)); }
  list(o) { return this.m.track(1, this.k.list(o)); }
}
function session(db, arg, fallback) {
  if (!arg || !db || typeof db.withSession !== "function") return null;
  try { return db.withSession(arg); } catch { try { return db.withSession(fallback); } catch { return null; } }
}
export function open_request(env, arg, fallback, metered) {
  const s = session(env.DB, arg, fallback);
  if (s === null && !metered) return { env, session: null, meter: null };
  const m = metered ? new Meter() : null;
  const own = Object.create(env);
  const db = s ?? env.DB;
  Object.defineProperty(own, "DB", { value: m ? new Database(db, m) : db });
  if (m) {
    for (const name of ["SESSIONS", "CACHE"]) {
      if (env[name]) Object.defineProperty(own, name, { value: new Store(env[name], m) });
    }
  }
  return { env: own, session: s, meter: m };
}
export function bookmark_of(state) {
  try { return state.session ? state.session.getBookmark() ?? undefined : undefined; } catch { return undefined; }
}
export function meter_of(state) {
  return state.meter ? Float64Array.from(state.meter.n) : undefined;
}
"#)]
extern "C" {
    fn open_request(env: &Env, arg: &str, fallback: &str, metered: bool) -> JsValue;
    fn bookmark_of(state: &JsValue) -> Option<String>;
    fn meter_of(state: &JsValue) -> Option<Vec<f64>>;
}

/// The `DB` binding of `env` as the `D1Database` the stores take: the runtime's own, or a
/// request's session standing in for it (same `prepare` and `batch`).
pub fn db(env: &Env) -> Result<worker::D1Database, crate::platform::error::ApiError> {
    let db = js_sys::Reflect::get(env, &wasm_bindgen::intern("DB").into())
        .map_err(worker::Error::from)?;
    if db.is_undefined() {
        return Err(crate::platform::error::ApiError::internal(
            "the DB binding is missing",
        ));
    }
    Ok(db.unchecked_into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bookmarks_reach_d1() {
        assert!(is_bookmark(
            "0000000a-00000002-00004f8b-6c0e8b3f0dd7c6e0f5d2a5a07b4ec5ba"
        ));
        assert!(!is_bookmark(""));
        assert!(!is_bookmark("first-primary"));
        assert!(!is_bookmark("x; DROP TABLE users"));
        assert!(!is_bookmark(&"a".repeat(257)));
        assert_eq!(Start::After("00-1").arg(), "00-1");
        assert_eq!(Start::Reads.arg(), "first-unconstrained");
    }
}
