//! Lists: `?limit=` and `?cursor=` ([`Page`]), the `?q=` search ([`Search`]), and the
//! query of a page of the caller's rows ([`PageQuery`]).

use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::JsValue;

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
    json: &'static [&'static str],
}

impl PageQuery {
    pub fn new(select: impl Into<String>) -> Self {
        Self {
            select: select.into(),
            conditions: Vec::new(),
            binds: Vec::new(),
            json: &[],
        }
    }

    /// Columns holding JSON text (`json_group_array(..)`), which [`PageQuery::render`]
    /// writes as JSON rather than as strings.
    pub fn json(mut self, columns: &'static [&'static str]) -> Self {
        self.json = columns;
        self
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
    fn build(self, caller: &crate::platform::auth::Caller, page: &Page) -> (String, Vec<Value>) {
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
        binds.extend(self.binds);
        binds.push(Value::from(page.fetch()));
        (sql, binds)
    }

    pub async fn fetch<T: serde::de::DeserializeOwned>(
        self,
        db: &worker::D1Database,
        caller: &crate::platform::auth::Caller,
        page: &Page,
    ) -> Result<Vec<T>, crate::platform::error::ApiError> {
        let (sql, binds) = self.build(caller, page);
        Ok(bind_json(db.prepare(sql), &binds)?.all().await?.results()?)
    }

    /// The whole answer of a list, `{"items": [...], "next_cursor": …}`, as JSON text,
    /// for lists that only render rows: each row becomes an object keyed by the select's
    /// column names (one of them `id`), and the columns named by [`PageQuery::json`]
    /// hold JSON text that is written as it is. The rows never become Rust values: D1's
    /// plain rows are written as one text by `JSON.stringify`, copied into Rust once as
    /// UTF-8, and given their keys by [`write_items`] without decoding a value.
    pub async fn render(
        self,
        db: &worker::D1Database,
        caller: &crate::platform::auth::Caller,
        page: &Page,
    ) -> Result<Vec<u8>, crate::platform::error::ApiError> {
        use wasm_bindgen::JsCast;
        let json = self.json;
        let (sql, binds) = self.build(caller, page);
        // A list's statements are few (one per set of filters given) and sent on every
        // request of it: JavaScript keeps each as a string.
        let sql = wasm_bindgen::intern(&sql);
        // Plain rows (one more than shown, to know whether another page follows) after a
        // row of column names: the simplest statement for SQLite to plan, which workerd
        // does on every call.
        let stmt = bind_json(db.prepare(sql), &binds)?;
        let query = WITH_NAMES
            .with(|names| stmt.inner().unchecked_ref::<D1Statement>().raw_rows(names))
            .map_err(worker::Error::from)?;
        let rows = wasm_bindgen_futures::JsFuture::from(query)
            .await
            .map_err(worker::Error::from)?;
        let rows: js_sys::Array = rows
            .dyn_into()
            .map_err(|_| ApiError::internal("D1 answered rows that are not an array"))?;
        let more = rows.length() > page.limit + 1;
        if more {
            rows.pop();
        }
        let text = js_sys::JSON::stringify(&rows).map_err(worker::Error::from)?;
        let text = UTF8.with(|encoder| encoder.encode(&text).to_vec());
        let mut body = Vec::with_capacity(text.len() * 2 + 64);
        body.extend_from_slice(b"{\"items\":[");
        let last_id = write_items(&text, json, &mut body)
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
            (true, None) => return Err(ApiError::internal("a list's select has no id column")),
            (false, _) => body.extend_from_slice(b"null"),
        }
        body.push(b'}');
        Ok(body)
    }
}

/// The items of a list from `JSON.stringify` of D1's raw rows with their column names
/// first, `[["id","title",...],["a","Read",...],...]`: each row is written to `out` as
/// `{"id":"a","title":"Read",...}`, objects separated by commas, every value copied as
/// it is except those of the `json` columns, text holding JSON that is written unquoted.
/// Returns the last row's `id`. One pass, copying whole values: a page is a few
/// thousand values and this runs on every list request.
fn write_items(text: &[u8], json: &[&str], out: &mut Vec<u8>) -> Result<Option<String>, String> {
    let mut s = Scan { text, at: 0 };
    s.need(b'[')?;
    if s.eat(b']') {
        return Ok(None);
    }
    // Each column's key with what comes before it (`{"id":`, `,"title":`), whether it
    // holds JSON text, and whether it is the id.
    let mut columns: Vec<(Vec<u8>, bool, bool)> = Vec::new();
    s.need(b'[')?;
    loop {
        let name = s.value()?;
        let bare = name
            .strip_prefix(b"\"")
            .and_then(|n| n.strip_suffix(b"\""))
            .ok_or("a column name is not a string")?;
        let mut key = vec![if columns.is_empty() { b'{' } else { b',' }];
        key.extend_from_slice(name);
        key.push(b':');
        columns.push((
            key,
            json.iter().any(|j| j.as_bytes() == bare),
            bare == b"id",
        ));
        if !s.eat(b',') {
            break;
        }
    }
    s.need(b']')?;
    let last = columns.len() - 1;
    let mut last_id = None;
    let mut rows = 0usize;
    while s.eat(b',') {
        s.need(b'[')?;
        if rows > 0 {
            out.push(b',');
        }
        rows += 1;
        for (i, (key, is_json, is_id)) in columns.iter().enumerate() {
            out.extend_from_slice(key);
            let value = s.value()?;
            if *is_json && value.first() == Some(&b'"') {
                unquote(value, out)?;
            } else {
                out.extend_from_slice(value);
            }
            if *is_id {
                last_id = Some(value);
            }
            s.need(if i == last { b']' } else { b',' })?;
        }
        out.push(b'}');
    }
    s.need(b']')?;
    last_id
        .map(|id| serde_json::from_slice::<String>(id).map_err(|e| e.to_string()))
        .transpose()
}

/// Writes the text a JSON string token holds: the common escapes (`\"`, `\\`, `\/`) are
/// undone here, any other (controls, `\u`) through serde_json. An empty text is `null`.
fn unquote(token: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    // `token` is a whole string token from `Scan::value`: two quotes at least.
    let inner = &token[1..token.len() - 1];
    if inner.is_empty() {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    let mut rest = inner;
    let start = out.len();
    while let Some(at) = rest.iter().position(|&b| b == b'\\') {
        out.extend_from_slice(&rest[..at]);
        match rest.get(at + 1) {
            Some(&b @ (b'"' | b'\\' | b'/')) => out.push(b),
            _ => {
                out.truncate(start);
                let text: String = serde_json::from_slice(token).map_err(|e| e.to_string())?;
                out.extend_from_slice(text.as_bytes());
                return Ok(());
            }
        }
        rest = &rest[at + 2..];
    }
    out.extend_from_slice(rest);
    Ok(())
}

/// A cursor over compact JSON text (as `JSON.stringify` writes it). Plain loops over
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

    /// Consumes `b`, or fails: the text is not what D1's rows stringify to.
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

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The platform's `TextEncoder`, taking a JavaScript string as it is.
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    #[wasm_bindgen(method, js_class = "TextEncoder")]
    fn encode(this: &Utf8Encoder, text: &js_sys::JsString) -> js_sys::Uint8Array;

    /// A D1 prepared statement, for the `raw` options the worker crate does not take.
    type D1Statement;
    /// `statement.raw(options)`: the rows as arrays.
    #[wasm_bindgen(method, catch, js_name = raw)]
    fn raw_rows(this: &D1Statement, options: &js_sys::Object) -> Result<js_sys::Promise, JsValue>;
}

thread_local! {
    static UTF8: Utf8Encoder = Utf8Encoder::new();
    /// `{columnNames: true}`, the options of every [`raw_rows`] call.
    static WITH_NAMES: js_sys::Object = {
        let options = js_sys::Object::new();
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&options, &"columnNames".into(), &JsValue::TRUE);
        options
    };
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

    fn items(text: &str, json: &[&str]) -> Result<(String, Option<String>), String> {
        let mut out = Vec::new();
        let last = write_items(text.as_bytes(), json, &mut out)?;
        Ok((String::from_utf8(out).expect("utf-8"), last))
    }

    #[test]
    fn rows_become_objects_keyed_by_column() {
        let rows = serde_json::json!([
            ["id", "title", "effort", "due", "deps", "tags"],
            [
                "a\"1",
                "Read, \"then\" [write]",
                2,
                null,
                "[\"b\",\"c\"]",
                "[1]"
            ],
            ["b", "é\\n{", -1.5e3, true, "[]", null],
        ]);
        let (text, last) = items(&rows.to_string(), &["deps"]).expect("rows");
        let objects: Value = serde_json::from_str(&format!("[{text}]")).expect("valid JSON");
        assert_eq!(
            objects,
            serde_json::json!([
                {"id": "a\"1", "title": "Read, \"then\" [write]", "effort": 2, "due": null,
                 "deps": ["b", "c"], "tags": "[1]"},
                {"id": "b", "title": "é\\n{", "effort": -1500.0, "due": true, "deps": [], "tags": null},
            ])
        );
        assert_eq!(last.as_deref(), Some("b"));
        // Nested values (D1 writes blobs as arrays of bytes) are copied whole.
        let (text, _) =
            items(r#"[["id","blob"],["x",[1,[2,"]"],{"k":"}"}]]]"#, &[]).expect("nested");
        assert_eq!(text, r#"{"id":"x","blob":[1,[2,"]"],{"k":"}"}]}"#);
    }

    #[test]
    fn no_rows_and_broken_text() {
        assert_eq!(items("[]", &[]), Ok((String::new(), None)));
        assert_eq!(items(r#"[["id"]]"#, &[]), Ok((String::new(), None)));
        assert_eq!(items(r#"[["n"],[1]]"#, &[]), Ok(("{\"n\":1}".into(), None)));
        // An empty JSON text is written as null, not as nothing.
        assert_eq!(
            items(r#"[["j"],[""]]"#, &["j"]),
            Ok(("{\"j\":null}".into(), None))
        );
        for broken in [
            "",
            "[",
            r#"[["id"],["a"]"#,
            r#"[["id"],["a","b"]]"#,
            r#"[["id"],[]]"#,
            r#"[[1],["a"]]"#,
            r#"[["id"],["a]]"#,
            r#"[["id"],[["a"]]"#,
        ] {
            assert!(items(broken, &[]).is_err(), "{broken}");
        }
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
