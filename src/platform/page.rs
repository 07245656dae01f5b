//! Lists: `?limit=` and `?cursor=` ([`Page`]), the `?q=` search ([`Search`]), and the
//! query of a page of the caller's rows ([`PageQuery`]).

use serde::Serialize;
use serde_json::Value;

use crate::platform::db::bind_json;
use crate::platform::error::ApiError;

/// `?q=` of a list request: a substring search that ignores ASCII case, the way SQLite's
/// `lower()` does, so SQL filters (`instr(lower(name), ?) > 0` bound to [`Search::as_str`])
/// and in-memory ones ([`Search::matches`]) agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

impl Search {
    pub const MAX_CHARS: usize = 100;

    /// Absent or blank → `None`; longer than 100 characters → 422.
    pub fn parse(q: Option<&str>) -> Result<Option<Search>, ApiError> {
        match q {
            Some(q) if q.chars().count() > Self::MAX_CHARS => {
                Err(ApiError::validation("q", "must be at most 100 characters"))
            }
            _ => Ok(q
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(|q| Search(q.to_ascii_lowercase()))),
        }
    }

    /// The needle, lowercased.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, text: &str) -> bool {
        text.to_ascii_lowercase().contains(&self.0)
    }
}

/// `?limit=` (default 50, 1–200) and `?cursor=` (opaque) of a list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    /// The id after which the page starts.
    pub after: Option<String>,
}

impl Page {
    pub const DEFAULT: u32 = 50;
    pub const MAX: u32 = 200;

    /// `?limit=`: `default` when absent, else 1–200.
    pub fn parse_limit(limit: Option<&str>, default: u32) -> Result<u32, ApiError> {
        match limit {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=Self::MAX).contains(n))
                .ok_or_else(|| ApiError::validation("limit", "must be an integer from 1 to 200")),
        }
    }

    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = Self::parse_limit(limit, Self::DEFAULT)?;
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(
                cursor_bytes(c)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .ok_or_else(|| ApiError::validation("cursor", "must be base64url"))?,
            ),
        };
        Ok(Self { limit, after })
    }

    /// The page of `items` (sorted by id) after the cursor that `keep` accepts, for lists
    /// assembled in memory; answer it with [`Page::respond`].
    pub fn window<T>(
        &self,
        mut items: Vec<T>,
        id_of: impl Fn(&T) -> &str,
        keep: impl Fn(&T) -> bool,
    ) -> Vec<T> {
        items.retain(|t| self.after.as_deref().is_none_or(|a| id_of(t) > a) && keep(t));
        items.truncate(self.fetch() as usize);
        items
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> u32 {
        self.limit + 1
    }

    /// `{"items": [...], "next_cursor": …}` from up to `limit + 1` rows ordered by id.
    pub fn respond<T: Serialize>(&self, mut rows: Vec<T>, id_of: impl Fn(&T) -> &str) -> Value {
        let next = if rows.len() > self.limit as usize {
            rows.truncate(self.limit as usize);
            rows.last()
                .map(|r| crate::platform::crypto::b64url_encode(id_of(r).as_bytes()))
        } else {
            None
        };
        serde_json::json!({ "items": rows, "next_cursor": next })
    }
}

/// The bytes of a cursor: unpadded base64url as the document's pattern allows it (any
/// length but 1 mod 4; the unused low bits of the last character are ignored), so every
/// cursor the document allows reads as a position — one this API never made simply
/// starts the page after that key.
fn cursor_bytes(c: &str) -> Option<Vec<u8>> {
    if c.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(c.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in c.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A page of the caller's rows: `{select} WHERE user_id = ?1 AND id > {cursor}
/// [AND each given filter] ORDER BY id LIMIT {limit + 1}`. A filter is a condition with
/// one `?`, added (and bound) only when its value is given, so every list reads the same
/// way: `PageQuery::new(..).filter("status = ?", status).search(&["title"], q).fetch(..)`.
pub struct PageQuery {
    select: String,
    conditions: Vec<String>,
    binds: Vec<Value>,
    /// The item keys of a page [`PageQuery::render`] writes, in the select's order.
    keys: Vec<&'static str>,
}

/// The items of a list that only renders rows ([`PageQuery::items`]): each item's keys and
/// the SQL of its value, in order. A value whose text holds JSON is wrapped in `json(..)`,
/// so SQLite writes it as JSON rather than as a string.
pub struct Items {
    pub table: &'static str,
    pub columns: &'static [(&'static str, &'static str)],
}

impl PageQuery {
    pub fn new(select: impl Into<String>) -> Self {
        Self {
            select: select.into(),
            conditions: Vec::new(),
            binds: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// A page that [`PageQuery::render`] writes as it is: SQLite writes each row as one
    /// JSON array of the item's values (`json_array`), and the keys are added in one pass.
    /// One of the keys is `id`, which the next page's cursor is made of.
    pub fn items(items: &Items) -> Self {
        let values: Vec<&str> = items.columns.iter().map(|(_, sql)| *sql).collect();
        let mut page = Self::new(format!(
            "SELECT json_array({}) FROM {}",
            values.join(", "),
            items.table
        ));
        page.keys = items.columns.iter().map(|(key, _)| *key).collect();
        page
    }

    /// `condition` (one `?`) when `value` is given.
    pub fn filter<V: Into<Value>>(mut self, condition: &str, value: Option<V>) -> Self {
        if let Some(v) = value {
            let n = 3 + self.binds.len();
            self.conditions
                .push(format!("({})", condition.replace('?', &format!("?{n}"))));
            self.binds.push(v.into());
        }
        self
    }

    /// The `?q=` search: any of `columns` contains the needle, ignoring ASCII case.
    pub fn search(self, columns: &[&str], search: Option<&Search>) -> Self {
        let any = columns
            .iter()
            .map(|c| format!("instr(lower({c}), ?) > 0"))
            .collect::<Vec<_>>()
            .join(" OR ");
        self.filter(&any, search.map(|s| s.as_str().to_string()))
    }

    /// The query and its binds; the page's size is the last bind, `?{limit}`.
    fn build(
        &mut self,
        caller: &crate::platform::auth::Caller,
        page: &Page,
    ) -> (String, Vec<Value>) {
        let limit = 3 + self.binds.len();
        let mut sql = format!("{} WHERE user_id = ?1 AND id > ?2", self.select);
        for c in &self.conditions {
            sql.push_str(" AND ");
            sql.push_str(c);
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ?{limit}"));
        let mut binds = vec![
            Value::from(caller.user_id.as_str()),
            Value::from(page.after.as_deref().unwrap_or("")),
        ];
        binds.append(&mut self.binds);
        binds.push(Value::from(page.fetch()));
        (sql, binds)
    }

    pub async fn fetch<T: serde::de::DeserializeOwned>(
        mut self,
        db: &worker::D1Database,
        caller: &crate::platform::auth::Caller,
        page: &Page,
    ) -> Result<Vec<T>, crate::platform::error::ApiError> {
        let (sql, binds) = self.build(caller, page);
        Ok(bind_json(db.prepare(sql), &binds)?.all().await?.results()?)
    }

    /// The whole answer of a list made with [`PageQuery::items`],
    /// `{"items": [...], "next_cursor": …}`, as JSON text. The rows never become Rust or
    /// JavaScript values one by one: D1 answers one text per row (the row as a JSON array,
    /// written by SQLite), JavaScript joins them into one text that is copied into Rust
    /// once as UTF-8, and [`write_items`] gives each value its key without decoding it.
    pub async fn render(
        mut self,
        db: &worker::D1Database,
        caller: &crate::platform::auth::Caller,
        page: &Page,
    ) -> Result<Vec<u8>, crate::platform::error::ApiError> {
        use wasm_bindgen::JsCast;
        let (sql, binds) = self.build(caller, page);
        // A list's statements are few (one per set of filters given) and sent on every
        // request of it: JavaScript keeps each as a string.
        let sql = wasm_bindgen::intern(&sql);
        let stmt = bind_json(db.prepare(sql), &binds)?;
        // `[["[…]"], ["[…]"], …]`: one more row than shown, to know whether another page
        // follows.
        let query = stmt.inner().raw().map_err(worker::Error::from)?;
        let rows = crate::platform::promise::settled(&query)
            .await
            .map_err(worker::Error::from)?;
        let rows: js_sys::Array = rows
            .dyn_into()
            .map_err(|_| ApiError::internal("D1 answered rows that are not an array"))?;
        let more = rows.length() > page.limit;
        if more {
            rows.pop();
        }
        let text = utf8(&rows.flat(1).join(","));
        let mut body = Vec::with_capacity(text.len() * 2 + 64);
        body.extend_from_slice(b"{\"items\":[");
        let last_id = write_items(&text, &self.keys, &mut body)
            .map_err(|e| ApiError::internal(format!("a list's rows: {e}")))?;
        body.extend_from_slice(b"],\"next_cursor\":");
        match (more, last_id) {
            (true, Some(id)) => {
                body.push(b'"');
                body.extend_from_slice(
                    crate::platform::crypto::b64url_encode(id.as_bytes()).as_bytes(),
                );
                body.push(b'"');
            }
            (true, None) => return Err(ApiError::internal("a list's items have no id")),
            (false, _) => body.extend_from_slice(b"null"),
        }
        body.push(b'}');
        Ok(body)
    }
}

/// The items of a list from its rows as SQLite writes them, JSON arrays joined by commas
/// (`["a","Read",2],["b","Write",null]`, or nothing): each row is written to `out` as an
/// object with `keys` in order (`{"id":"a","title":"Read","effort":2}`), objects separated
/// by commas, every value copied as it is. Returns the last row's `id`. One pass, copying
/// whole values: a page is a few thousand values and this runs on every list request.
fn write_items(text: &[u8], keys: &[&str], out: &mut Vec<u8>) -> Result<Option<String>, String> {
    // What comes before each value (`{"id":`, `,"title":`), written once into one buffer.
    let mut prefixes = Vec::with_capacity(keys.len() * 16);
    let mut ends = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        prefixes.push(if i == 0 { b'{' } else { b',' });
        prefixes.push(b'"');
        prefixes.extend_from_slice(key.as_bytes());
        prefixes.extend_from_slice(b"\":");
        ends.push(prefixes.len());
    }
    let Some(last) = keys.len().checked_sub(1) else {
        return Err("a list has no keys".into());
    };
    let id_at = keys.iter().position(|k| *k == "id");
    let mut s = Scan { text, at: 0 };
    let mut last_id = None;
    let mut rows = 0usize;
    while s.at < text.len() {
        if rows > 0 {
            s.need(b',')?;
            out.push(b',');
        }
        rows += 1;
        s.need(b'[')?;
        let mut from = 0;
        for (i, &end) in ends.iter().enumerate() {
            out.extend_from_slice(&prefixes[from..end]);
            from = end;
            let value = s.value()?;
            out.extend_from_slice(value);
            if id_at == Some(i) {
                last_id = Some(value);
            }
            s.need(if i == last { b']' } else { b',' })?;
        }
        out.push(b'}');
    }
    last_id
        .map(|id| serde_json::from_slice::<String>(id).map_err(|e| e.to_string()))
        .transpose()
}

/// A cursor over compact JSON text (as SQLite's JSON functions write it). Plain loops over
/// indices: at the release build's size-first optimisation, iterator adaptors and
/// word-at-a-time tricks are left as calls, and this ran 2.4 times slower under V8.
struct Scan<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    #[inline(always)]
    fn eat(&mut self, b: u8) -> bool {
        if self.at < self.text.len() && self.text[self.at] == b {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `b`, or fails: the text is not rows as SQLite writes them.
    #[inline(always)]
    fn need(&mut self, b: u8) -> Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    #[inline(never)]
    #[cold]
    fn error(&self) -> String {
        format!("unexpected text at byte {}", self.at)
    }

    /// The next value's text: a string, an array or object, or a literal.
    #[inline(always)]
    fn value(&mut self) -> Result<&'a [u8], String> {
        let text = self.text;
        let start = self.at;
        let n = text.len();
        if start >= n {
            return Err(self.error());
        }
        let mut i = start;
        match text[i] {
            b'"' => match string_len(&text[start..]) {
                Some(len) => i += len,
                None => return Err(self.error()),
            },
            b'[' | b'{' => match nested_len(&text[start..]) {
                Some(len) => i += len,
                None => return Err(self.error()),
            },
            _ => {
                while i < n && text[i] != b',' && text[i] != b']' && text[i] != b'}' {
                    i += 1;
                }
                if i == start {
                    return Err(self.error());
                }
            }
        }
        self.at = i;
        Ok(&text[start..i])
    }
}

/// The length of the array or object `text` starts with.
fn nested_len(text: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    loop {
        match text.get(i)? {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => i += string_len(&text[i..])? - 1,
            _ => {}
        }
        i += 1;
    }
}

/// The length of the string token `text` starts with, quotes included.
#[inline(always)]
fn string_len(text: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < text.len() {
        match text[i] {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// `text` as UTF-8 in a Rust buffer: JavaScript's `TextEncoder` writes it straight into
/// wasm memory (`encodeInto`), with no buffer of its own in between.
fn utf8(text: &js_sys::JsString) -> Vec<u8> {
    // A UTF-16 unit takes at most 3 bytes of UTF-8 (a surrogate pair, 2 units, takes 4).
    let room = text.length() as usize * 3;
    let mut buf: Vec<u8> = Vec::with_capacity(room);
    // SAFETY: the view covers `buf`'s capacity, which nothing else uses while
    // `encodeInto` (which allocates nothing in wasm) writes into it, and is dropped before
    // `buf` is touched again; `set_len` covers only the bytes it reports written, at most
    // `room`.
    let written = unsafe {
        let view = js_sys::Uint8Array::view_mut_raw(buf.as_mut_ptr(), room);
        let written = UTF8.with(|encoder| encoder.encode_into(text, &view).written()) as usize;
        buf.set_len(written.min(room));
        written
    };
    debug_assert!(written <= room);
    buf
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The platform's `TextEncoder`, taking a JavaScript string as it is.
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(
        this: &Utf8Encoder,
        text: &js_sys::JsString,
        into: &js_sys::Uint8Array,
    ) -> Encoded;

    /// What `encodeInto` answers: `{read, written}`.
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

thread_local! {
    static UTF8: Utf8Encoder = Utf8Encoder::new();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ignores_blank_and_ascii_case() {
        assert_eq!(Search::parse(None), Ok(None));
        assert_eq!(Search::parse(Some("  ")), Ok(None));
        let s = Search::parse(Some(" ReAd ")).expect("valid").expect("some");
        assert_eq!(s.as_str(), "read");
        assert!(s.matches("Reading list"));
        assert!(s.matches("SPEED READ"));
        assert!(!s.matches("write"));
        let e = Search::parse(Some(&"x".repeat(101))).expect_err("too long");
        assert_eq!(
            e,
            ApiError::validation("q", "must be at most 100 characters")
        );
        assert!(Search::parse(Some(&"é".repeat(100))).is_ok());
    }

    fn items(text: &str, keys: &[&str]) -> Result<(String, Option<String>), String> {
        let mut out = Vec::new();
        let last = write_items(text.as_bytes(), keys, &mut out)?;
        Ok((String::from_utf8(out).expect("utf-8"), last))
    }

    #[test]
    fn rows_become_objects_with_their_keys() {
        // Rows as SQLite's json_array writes them, joined by commas.
        let rows = [
            serde_json::json!(["a\"1", "Read, \"then\" [write]", 2, null, ["b", "c"], "[1]"]),
            serde_json::json!(["b", "é\\n{", -1.5e3, true, [], {"k": "}"}]),
        ]
        .map(|r| r.to_string())
        .join(",");
        let keys = ["id", "title", "effort", "due", "deps", "tags"];
        let (text, last) = items(&rows, &keys).expect("rows");
        let objects: Value = serde_json::from_str(&format!("[{text}]")).expect("valid JSON");
        assert_eq!(
            objects,
            serde_json::json!([
                {"id": "a\"1", "title": "Read, \"then\" [write]", "effort": 2, "due": null,
                 "deps": ["b", "c"], "tags": "[1]"},
                {"id": "b", "title": "é\\n{", "effort": -1500.0, "due": true, "deps": [],
                 "tags": {"k": "}"}},
            ])
        );
        assert_eq!(last.as_deref(), Some("b"));
        // Values are copied as SQLite wrote them, byte for byte.
        let (text, _) =
            items(r#"["x",[1,[2,"]"],{"k":"}"}],1.0e+20]"#, &["id", "v", "n"]).expect("nested");
        assert_eq!(text, r#"{"id":"x","v":[1,[2,"]"],{"k":"}"}],"n":1.0e+20}"#);
    }

    #[test]
    fn no_rows_and_broken_text() {
        assert_eq!(items("", &["id"]), Ok((String::new(), None)));
        // A list without an id column has no cursor to give.
        assert_eq!(items("[1]", &["n"]), Ok(("{\"n\":1}".into(), None)));
        assert!(items("[1]", &[]).is_err());
        for broken in [
            "[",
            r#"["a""#,
            r#"["a","b"]"#,
            r#"[]"#,
            r#"["a"]["b"]"#,
            r#"["a"],"#,
            r#"["a]"#,
            r#"[["a"]"#,
            r#"["a"] "#,
        ] {
            assert!(items(broken, &["id"]).is_err(), "{broken}");
        }
        // The id is decoded from its JSON string.
        assert_eq!(
            items(r#"["a\u00e9\"b"]"#, &["id"]).map(|(_, id)| id),
            Ok(Some("aé\"b".to_string()))
        );
    }

    #[test]
    fn pages_parse_and_link() {
        assert_eq!(
            Page::parse(None, None),
            Ok(Page {
                limit: 50,
                after: None
            })
        );
        assert!(Page::parse(Some("0"), None).is_err());
        assert!(Page::parse(Some("201"), None).is_err());
        assert!(Page::parse(Some("x"), None).is_err());
        assert!(Page::parse(None, Some("%%%")).is_err());
        assert!(Page::parse(None, Some("abcde")).is_err());
        // Non-canonical last characters still read as a position.
        assert_eq!(cursor_bytes("00"), Some(vec![0xd3]));
        assert_eq!(cursor_bytes("QUJD"), Some(b"ABC".to_vec()));
        assert_eq!(cursor_bytes("QUI"), Some(b"AB".to_vec()));
        let page = Page::parse(Some("2"), None).expect("page");
        let v = page.respond(vec!["a".to_string(), "b".into(), "c".into()], |s| {
            s.as_str()
        });
        assert_eq!(v["items"], serde_json::json!(["a", "b"]));
        let cursor = v["next_cursor"].as_str().expect("more");
        assert_eq!(
            Page::parse(Some("2"), Some(cursor))
                .expect("p")
                .after
                .as_deref(),
            Some("b")
        );
        let last = page.respond(vec!["d".to_string()], |s| s.as_str());
        assert!(last["next_cursor"].is_null());
    }
}
