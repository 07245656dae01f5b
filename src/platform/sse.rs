//! Server-sent events: a route that a client asks for `text/event-stream` answers
//! `200 text/event-stream` at once and writes `event: <name>` + `data: <json>` events as
//! its work goes on. The work runs after the answer has started (the runtime keeps the
//! request alive for it); an error it ends with is sent as an `error` event carrying the
//! error envelope's `code` and `message`. While nothing else is written a `: keep-alive`
//! comment goes out every 15 s. When the client goes away the stream's [`Events::signal`]
//! is aborted, which cancels the outbound requests given it (a model's streamed answer).

use serde_json::{json, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::worker_sys::web_sys;

use crate::platform::error::ApiError;
use crate::platform::http::{Ctx, Response};

pub const CONTENT_TYPE: &str = "text/event-stream; charset=utf-8";
pub const KEEP_ALIVE_MS: u32 = 15_000;

/// Whether the request asks for events (`Accept` names `text/event-stream`).
pub fn wanted(ctx: &Ctx) -> bool {
    ctx.header("Accept")
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/event-stream"))
}

/// The text of one event.
pub fn format(name: &str, data: &Value) -> String {
    // serde_json never writes a raw newline, so the data is one `data:` line.
    format!("event: {name}\ndata: {data}\n\n")
}

/// Where a streamed route writes its events.
#[derive(Clone)]
pub struct Events {
    state: JsValue,
}

impl Events {
    /// Writes one event; after the client has gone this does nothing.
    pub fn send(&self, name: &str, data: &Value) {
        sse_write(&self.state, &format(name, data));
    }

    /// The client has gone away (the stream was cancelled).
    pub fn gone(&self) -> bool {
        self.signal().aborted()
    }

    /// Aborted when the client goes away: give it to outbound requests.
    pub fn signal(&self) -> worker::AbortSignal {
        worker::AbortSignal::from(sse_signal(&self.state))
    }
}

/// Answers `200 text/event-stream` now and runs `work` with the stream; its error, if it
/// ends with one, is the last event, then the stream closes.
pub fn respond<F, Fut>(ctx: &Ctx, work: F) -> Result<Response, ApiError>
where
    F: FnOnce(Events) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<(), ApiError>> + 'static,
{
    let opened = sse_open(KEEP_ALIVE_MS).map_err(|e| ApiError::internal(format!("{e:?}")))?;
    let readable: web_sys::ReadableStream = js_sys::Reflect::get(&opened, &JsValue::from(0))
        .map_err(|e| ApiError::internal(format!("{e:?}")))?
        .into();
    let state = js_sys::Reflect::get(&opened, &JsValue::from(1))
        .map_err(|e| ApiError::internal(format!("{e:?}")))?;
    let events = Events { state };
    let request_id = ctx.request_id.clone();
    ctx.in_background("event stream", async move {
        let outcome = work(events.clone()).await;
        if let Err(e) = &outcome {
            if let ApiError::Internal(cause) = e {
                worker::console_error!(
                    "{}",
                    json!({"level": "error", "request_id": request_id, "msg": cause})
                );
            }
            events.send("error", &json!({"code": e.code(), "message": e.message()}));
        }
        sse_close(&events.state);
        Ok(())
    });
    Ok(Response::streamed(200, CONTENT_TYPE, readable)
        .with_header("Cache-Control", "no-cache")
        .with_header("X-Accel-Buffering", "no"))
}

/// `delta {text}`: text of the answer as it is written.
pub fn delta_schema() -> Value {
    crate::schema!({"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}})
}

/// `error {code, message}`: the error envelope's fields; the last event of a failed stream.
pub fn error_schema() -> Value {
    crate::schema!({"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}}})
}

#[wasm_bindgen(inline_js = r#"
const enc = new TextEncoder();
function stop(s, gone) {
  if (s.closed) return;
  s.closed = true;
  clearInterval(s.timer);
  if (gone) s.ctrl.abort();
}
export function sse_open(keepAliveMs) {
  const { readable, writable } = new TransformStream();
  const s = { writer: writable.getWriter(), ctrl: new AbortController(), closed: false, timer: undefined };
  // The writable side errors when the client cancels the readable side.
  s.writer.closed.catch(() => stop(s, true));
  s.timer = setInterval(() => sse_write(s, ": keep-alive\n\n"), keepAliveMs);
  return [readable, s];
}
export function sse_write(s, text) {
  if (s.closed) return;
  s.writer.write(enc.encode(text)).catch(() => stop(s, true));
}
export function sse_close(s) {
  if (s.closed) return;
  stop(s, false);
  s.writer.close().catch(() => {});
}
export function sse_signal(s) {
  return s.ctrl.signal;
}
"#)]
extern "C" {
    /// `[readable, state]`: a stream the answer reads and the state its writes go through.
    #[wasm_bindgen(catch)]
    fn sse_open(keep_alive_ms: u32) -> Result<JsValue, JsValue>;
    fn sse_write(state: &JsValue, text: &str);
    fn sse_close(state: &JsValue);
    fn sse_signal(state: &JsValue) -> web_sys::AbortSignal;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_one_data_line_whatever_the_text() {
        let e = format(
            "delta",
            &json!({"text": "two\nlines\r\nand \u{2028} and \"quotes\""}),
        );
        assert_eq!(e.matches('\n').count(), 3, "{e}");
        assert!(e.starts_with("event: delta\ndata: {"));
        assert!(e.ends_with("}\n\n"));
    }
}
