//! Streamed answers, read as they arrive: [`SseReader`] cuts a provider's bytes into
//! server-sent events (every backend streams SSE: OpenAI-compatible `data:` chunks ending
//! in `[DONE]`, Anthropic's named `message_start` … `message_stop` events, Gemini's
//! `streamGenerateContent?alt=sse` chunks, Workers AI's `data:` chunks), and
//! [`Assembler`] turns each provider's events into text pieces as they come and, at the
//! end, the whole [`Reply`]: tool calls whose arguments arrived in pieces are put back
//! together. Plain logic, no runtime types: both are unit-tested natively.

use serde_json::Value;

use super::{arguments, Reply, ToolCall};

/// The longest line and the most text (bytes) one answer may bring; past them the stream
/// is refused rather than buffered without bound.
pub const MAX_LINE: usize = 1 << 20;
pub const MAX_TEXT: usize = 1 << 20;

/// One server-sent event: its `event:` name (empty when none was sent) and its `data:`
/// lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Cuts bytes into [`SseEvent`]s, whatever the chunk boundaries: a line is only read once
/// its `\n` has arrived, so a character split across chunks is whole when decoded.
#[derive(Debug, Default)]
pub struct SseReader {
    buf: Vec<u8>,
    event: String,
    data: Option<String>,
}

impl SseReader {
    /// Reads `chunk`, appending the events it completes to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), String> {
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(i) = self.buf[start..].iter().position(|b| *b == b'\n') {
            let end = start + i;
            let line = self.buf[start..end]
                .strip_suffix(b"\r")
                .unwrap_or(&self.buf[start..end]);
            let line = String::from_utf8_lossy(line).into_owned();
            self.line(&line, out);
            start = end + 1;
        }
        self.buf.drain(..start);
        if self.buf.len() > MAX_LINE {
            return Err(format!("a line of the stream exceeds {MAX_LINE} bytes"));
        }
        Ok(())
    }

    /// The stream ended: an event whose blank line never came is still read.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let line = String::from_utf8_lossy(&rest).into_owned();
            self.line(line.trim_end_matches('\r'), out);
        }
        self.line("", out);
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push(SseEvent {
                    event: std::mem::take(&mut self.event),
                    data,
                });
            }
            self.event.clear();
            return;
        }
        if line.starts_with(':') {
            return; // a comment (keep-alive)
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {}
        }
    }
}

/// The providers' streaming dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenAi,
    Anthropic,
    Gemini,
    WorkersAi,
}

/// A tool call as its pieces arrive.
#[derive(Debug, Default)]
struct Partial {
    /// The provider's position for it (OpenAI `index`, Anthropic block `index`).
    index: i64,
    id: String,
    name: String,
    /// Argument text so far, or the whole arguments when they came at once.
    text: String,
    whole: Option<Value>,
}

/// Puts a streamed answer together.
#[derive(Debug)]
pub struct Assembler {
    dialect: Dialect,
    text: String,
    calls: Vec<Partial>,
    /// The provider said the answer is complete (`[DONE]`, `message_stop`, a finish reason).
    complete: bool,
    pub finish_reason: Option<String>,
    pub usage: Option<Value>,
}

impl Assembler {
    pub fn new(dialect: Dialect) -> Self {
        Assembler {
            dialect,
            text: String::new(),
            calls: Vec::new(),
            complete: false,
            finish_reason: None,
            usage: None,
        }
    }

    /// Reads one event; `Ok(Some(text))` is text the answer gained. An error event, or
    /// data that is not what the dialect sends, is an error.
    pub fn event(&mut self, ev: &SseEvent) -> Result<Option<String>, String> {
        let data = ev.data.trim();
        if data == "[DONE]" && matches!(self.dialect, Dialect::OpenAi | Dialect::WorkersAi) {
            self.complete = true;
            return Ok(None);
        }
        if ev.event == "ping" || data.is_empty() {
            return Ok(None);
        }
        let v: Value = serde_json::from_str(data)
            .map_err(|_| format!("a {:?} stream event is not JSON", self.dialect))?;
        if ev.event == "error" || v["type"] == "error" || v["error"].is_object() {
            let message = v["error"]["message"].as_str().unwrap_or("an error event");
            return Err(format!("the provider stopped: {message}"));
        }
        let text = match self.dialect {
            Dialect::OpenAi => self.openai(&v),
            Dialect::Anthropic => self.anthropic(&v),
            Dialect::Gemini => self.gemini(&v),
            Dialect::WorkersAi => self.workers_ai(&v),
        };
        match text {
            Some(t) if !t.is_empty() => {
                if self.text.len() + t.len() > MAX_TEXT {
                    return Err(format!("the answer exceeds {MAX_TEXT} bytes"));
                }
                self.text.push_str(&t);
                Ok(Some(t))
            }
            _ => Ok(None),
        }
    }

    fn call_at(&mut self, index: i64) -> &mut Partial {
        let at = match self.calls.iter().position(|c| c.index == index) {
            Some(at) => at,
            None => {
                self.calls.push(Partial {
                    index,
                    ..Partial::default()
                });
                self.calls.len() - 1
            }
        };
        &mut self.calls[at]
    }

    /// `choices[0].delta.{content, tool_calls[{index, id, function: {name, arguments}}]}`,
    /// `finish_reason`, and `usage` in the last chunk.
    fn openai(&mut self, v: &Value) -> Option<String> {
        if v["usage"].is_object() {
            self.usage = Some(v["usage"].clone());
        }
        let choice = &v["choices"][0];
        if let Some(r) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(r.to_string());
        }
        for d in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let index = d["index"].as_i64().unwrap_or(0);
            let call = self.call_at(index);
            if let Some(id) = d["id"].as_str() {
                call.id = id.to_string();
            }
            if let Some(n) = d["function"]["name"].as_str() {
                call.name.push_str(n);
            }
            if let Some(a) = d["function"]["arguments"].as_str() {
                call.text.push_str(a);
            }
        }
        choice["delta"]["content"].as_str().map(str::to_string)
    }

    /// `message_start`, `content_block_start` (text or `tool_use {id, name}`),
    /// `content_block_delta` (`text_delta` or `input_json_delta`), `message_delta`
    /// (`stop_reason`, usage), `message_stop`.
    fn anthropic(&mut self, v: &Value) -> Option<String> {
        let index = v["index"].as_i64().unwrap_or(0);
        match v["type"].as_str().unwrap_or_default() {
            "message_start" => {
                self.usage = Some(v["message"]["usage"].clone());
                None
            }
            "content_block_start" if v["content_block"]["type"] == "tool_use" => {
                let block = &v["content_block"];
                let call = self.call_at(index);
                call.id = block["id"].as_str().unwrap_or_default().to_string();
                call.name = block["name"].as_str().unwrap_or_default().to_string();
                None
            }
            "content_block_start" => v["content_block"]["text"].as_str().map(str::to_string),
            "content_block_delta" => match v["delta"]["type"].as_str() {
                Some("text_delta") => v["delta"]["text"].as_str().map(str::to_string),
                Some("input_json_delta") => {
                    let piece = v["delta"]["partial_json"].as_str().unwrap_or_default();
                    self.call_at(index).text.push_str(piece);
                    None
                }
                _ => None,
            },
            "message_delta" => {
                if let Some(r) = v["delta"]["stop_reason"].as_str() {
                    self.finish_reason = Some(r.to_string());
                }
                if v["usage"].is_object() {
                    self.usage = Some(v["usage"].clone());
                }
                None
            }
            "message_stop" => {
                self.complete = true;
                None
            }
            _ => None,
        }
    }

    /// Each chunk is a whole `GenerateContentResponse`: `candidates[0].content.parts[]`
    /// (`text`, or a whole `functionCall {name, args}`), `finishReason` on the last one.
    fn gemini(&mut self, v: &Value) -> Option<String> {
        if v["usageMetadata"].is_object() {
            self.usage = Some(v["usageMetadata"].clone());
        }
        let candidate = &v["candidates"][0];
        let mut text = String::new();
        for p in candidate["content"]["parts"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(t) = p["text"].as_str() {
                text.push_str(t);
            }
            if p["functionCall"].is_object() {
                let name = p["functionCall"]["name"].as_str().unwrap_or_default();
                let index = self.calls.len() as i64;
                self.calls.push(Partial {
                    index,
                    // Gemini has no call ids; results are matched by name and order.
                    id: format!("{name}_{index}"),
                    name: name.to_string(),
                    text: String::new(),
                    whole: Some(p["functionCall"]["args"].clone()),
                });
            }
        }
        if let Some(r) = candidate["finishReason"].as_str() {
            self.finish_reason = Some(r.to_string());
            self.complete = true;
        }
        Some(text)
    }

    /// `{response}` text pieces, whole `tool_calls [{name, arguments}]`, `usage`, then `[DONE]`.
    fn workers_ai(&mut self, v: &Value) -> Option<String> {
        if v["usage"].is_object() {
            self.usage = Some(v["usage"].clone());
        }
        for c in v["tool_calls"].as_array().into_iter().flatten() {
            let index = self.calls.len() as i64;
            self.calls.push(Partial {
                index,
                id: format!("call_{index}"),
                name: c["name"].as_str().unwrap_or_default().to_string(),
                text: String::new(),
                whole: Some(c["arguments"].clone()),
            });
        }
        v["response"].as_str().map(str::to_string)
    }

    /// The whole answer, once the stream has ended; an answer the provider never said was
    /// complete (the connection dropped) is an error.
    pub fn finish(self) -> Result<Reply, String> {
        if !self.complete {
            return Err("the stream ended before the answer was complete".into());
        }
        let tool_calls = self
            .calls
            .into_iter()
            .enumerate()
            .map(|(i, c)| ToolCall {
                id: if c.id.is_empty() {
                    format!("call_{i}")
                } else {
                    c.id
                },
                name: c.name,
                arguments: c
                    .whole
                    .map_or_else(|| arguments(&Value::String(c.text)), |w| arguments(&w)),
            })
            .collect();
        Ok(Reply {
            content: self.text,
            tool_calls,
        })
    }
}

/// Passes a round's text on the way a finished reply reads it: trimmed. Leading
/// whitespace is dropped and trailing whitespace held back until more text follows it, so
/// what was passed on is exactly the trimmed text.
#[derive(Debug, Default)]
pub struct Trimmed {
    started: bool,
    held: String,
}

impl Trimmed {
    /// The part of `piece` that can be passed on now (may be empty).
    pub fn push(&mut self, piece: &str) -> String {
        let piece = if self.started {
            piece
        } else {
            piece.trim_start()
        };
        let body = piece.trim_end();
        if body.is_empty() {
            if self.started {
                self.held.push_str(piece);
            }
            return String::new();
        }
        self.started = true;
        let out = std::mem::take(&mut self.held) + body;
        self.held.push_str(&piece[body.len()..]);
        out
    }

    /// Whether any text was passed on.
    pub fn started(&self) -> bool {
        self.started
    }
}

/// `text` in the pieces the offline backend streams: word by word, each with the
/// whitespace after it.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn events(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut r = SseReader::default();
        let mut out = Vec::new();
        for c in chunks {
            r.feed(c, &mut out).expect("fits");
        }
        r.finish(&mut out);
        out
    }

    fn replay(dialect: Dialect, stream: &str, cut: usize) -> (Vec<String>, Result<Reply, String>) {
        let bytes = stream.as_bytes();
        let mut r = SseReader::default();
        let mut a = Assembler::new(dialect);
        let mut out = Vec::new();
        let mut texts = Vec::new();
        for chunk in bytes.chunks(cut.max(1)) {
            r.feed(chunk, &mut out).expect("fits");
            for ev in out.drain(..) {
                if let Some(t) = a.event(&ev).expect("event") {
                    texts.push(t);
                }
            }
        }
        r.finish(&mut out);
        for ev in out.drain(..) {
            if let Some(t) = a.event(&ev).expect("event") {
                texts.push(t);
            }
        }
        (texts, a.finish())
    }

    #[test]
    fn sse_lines_events_comments_and_crlf() {
        let e = events(&[
            b"event: a\r\ndata: 1\r\n",
            b"data: 2\r\n\r\n: keep-alive\n\ndata:x\n\n",
        ]);
        assert_eq!(
            e,
            vec![
                SseEvent {
                    event: "a".into(),
                    data: "1\n2".into()
                },
                SseEvent {
                    event: String::new(),
                    data: "x".into()
                }
            ]
        );
        // A character split across chunks, and a last event without its blank line.
        let e = events(&[b"data: caf\xc3", b"\xa9\n\ndata: end"]);
        assert_eq!(e[0].data, "café");
        assert_eq!(e[1].data, "end");
        let mut r = SseReader::default();
        assert!(r.feed(&vec![b'a'; MAX_LINE + 1], &mut Vec::new()).is_err());
    }

    const OPENAI: &str = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo ✓\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"add_task\",\"arguments\":\"\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"title\\\": \\\"mi\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"lk\\\"}\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}\n\n",
        "data: [DONE]\n\n"
    );

    #[test]
    fn openai_text_and_tool_calls_in_pieces_at_any_chunk_size() {
        for cut in [1, 2, 3, 7, 64, 10_000] {
            let (texts, reply) = replay(Dialect::OpenAi, OPENAI, cut);
            assert_eq!(texts.concat(), "Hello ✓", "cut {cut}");
            let reply = reply.expect("complete");
            assert_eq!(reply.content, "Hello ✓");
            assert_eq!(
                reply.tool_calls,
                vec![ToolCall {
                    id: "c1".into(),
                    name: "add_task".into(),
                    arguments: json!({"title": "milk"})
                }]
            );
        }
        // Cut before [DONE]: the answer is not complete.
        let dropped = &OPENAI[..OPENAI
            .find("data: {\"choices\":[{\"index\":0,\"delta\":{},")
            .unwrap_or(0)];
        assert!(replay(Dialect::OpenAi, dropped, 5).1.is_err());
    }

    #[test]
    fn anthropic_blocks_and_input_json_deltas() {
        let stream = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: ping\ndata: {\"type\":\"ping\"}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"On it\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"tu1\",\"name\":\"log_habit\",\"input\":{}}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"name\\\":\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\" \\\"read\\\"}\"}}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        );
        let (texts, reply) = replay(Dialect::Anthropic, stream, 4);
        assert_eq!(texts, vec!["On it"]);
        let reply = reply.expect("complete");
        assert_eq!(reply.tool_calls[0].id, "tu1");
        assert_eq!(reply.tool_calls[0].arguments, json!({"name": "read"}));
        let err = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let mut a = Assembler::new(Dialect::Anthropic);
        let mut out = Vec::new();
        let mut r = SseReader::default();
        r.feed(err.as_bytes(), &mut out).expect("fits");
        assert_eq!(
            a.event(&out[0]),
            Err("the provider stopped: Overloaded".into())
        );
    }

    #[test]
    fn gemini_chunks_and_whole_function_calls() {
        let stream = concat!(
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Sure\"}]}}]}\r\n\r\n",
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\", done.\"},{\"functionCall\":{\"name\":\"list_tasks\",\"args\":{\"status\":\"all\"}}}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"totalTokenCount\":9}}\r\n\r\n"
        );
        let (texts, reply) = replay(Dialect::Gemini, stream, 9);
        assert_eq!(texts.concat(), "Sure, done.");
        let reply = reply.expect("complete");
        assert_eq!(reply.tool_calls[0].id, "list_tasks_0");
        assert_eq!(reply.tool_calls[0].arguments, json!({"status": "all"}));
        assert!(replay(Dialect::Gemini, &stream[..80], 9).1.is_err());
    }

    #[test]
    fn workers_ai_pieces() {
        let stream = "data: {\"response\":\"a\"}\n\ndata: {\"response\":\"b\",\"usage\":{\"total_tokens\":2}}\n\ndata: [DONE]\n\n";
        let (texts, reply) = replay(Dialect::WorkersAi, stream, 3);
        assert_eq!(texts, vec!["a", "b"]);
        assert_eq!(reply.expect("complete").content, "ab");
    }

    #[test]
    fn junk_is_an_error_not_a_panic() {
        let mut a = Assembler::new(Dialect::OpenAi);
        let ev = |d: &str| SseEvent {
            event: String::new(),
            data: d.into(),
        };
        assert!(a.event(&ev("{not json")).is_err());
        for d in [
            "null",
            "[]",
            "1e999",
            "\"x\"",
            "{\"choices\":5}",
            "{\"choices\":[{\"delta\":{\"tool_calls\":[1,{\"index\":-9}]}}]}",
        ] {
            for dialect in [
                Dialect::OpenAi,
                Dialect::Anthropic,
                Dialect::Gemini,
                Dialect::WorkersAi,
            ] {
                let _ = Assembler::new(dialect).event(&ev(d));
            }
        }
    }

    #[test]
    fn trimmed_passes_on_exactly_the_trimmed_text() {
        let cases: &[&[&str]] = &[
            &["  Hel", "lo ", " ", "world", "  \n"],
            &["\n", " ", "x"],
            &["   "],
            &["a", " ", "b", " "],
            &["İ ", "ẞ\u{212a} ", " é"],
        ];
        for pieces in cases {
            let mut t = Trimmed::default();
            let passed: String = pieces.iter().map(|p| t.push(p)).collect();
            assert_eq!(passed, pieces.concat().trim(), "{pieces:?}");
        }
    }

    #[test]
    fn words_keep_every_character() {
        for s in ["Added “buy milk”.  Due tomorrow.\n", "", "one", " İİ ẞ "] {
            assert_eq!(words(s).collect::<String>(), s);
        }
        assert_eq!(words("a b").collect::<Vec<_>>(), vec!["a ", "b"]);
    }
}
