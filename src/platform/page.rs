//! Lists: `?limit=` and `?cursor=` ([`Page`]), the `?q=` search ([`Search`]), and the
//! query of a page of the caller's rows ([`PageQuery`]).

use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::JsValue;

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
    binds: Vec<JsValue>,
}

impl PageQuery {
    pub fn new(select: impl Into<String>) -> Self {
        Self {
            select: select.into(),
            conditions: Vec::new(),
            binds: Vec::new(),
        }
    }

    /// `condition` (one `?`) when `value` is given.
    pub fn filter<V: Into<JsValue>>(mut self, condition: &str, value: Option<V>) -> Self {
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
    fn build(self, caller: &crate::platform::auth::Caller, page: &Page) -> (String, Vec<JsValue>) {
        let limit = 3 + self.binds.len();
        let mut sql = format!("{} WHERE user_id = ?1 AND id > ?2", self.select);
        for c in &self.conditions {
            sql.push_str(" AND ");
            sql.push_str(c);
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ?{limit}"));
        let mut binds = vec![
            JsValue::from(caller.user_id.as_str()),
            JsValue::from(page.after.as_deref().unwrap_or("")),
        ];
        binds.extend(self.binds);
        binds.push(JsValue::from(f64::from(page.fetch())));
        (sql, binds)
    }

    pub async fn fetch<T: serde::de::DeserializeOwned>(
        self,
        db: &worker::D1Database,
        caller: &crate::platform::auth::Caller,
        page: &Page,
    ) -> Result<Vec<T>, crate::platform::error::ApiError> {
        let (sql, binds) = self.build(caller, page);
        Ok(db.prepare(sql).bind(&binds)?.all().await?.results()?)
    }

    /// The whole answer of a list, `{"items": [...], "next_cursor": …}`, as JSON text
    /// that SQLite writes: the select yields one column, each row as a JSON object whose
    /// members include `"id"` (`json_object('id', id, ...)`). Lists that only render rows
    /// answer this way, so their rows never become Rust values: the page's objects are
    /// joined into one text in JavaScript and copied into Rust once, as UTF-8 bytes.
    pub async fn render(
        self,
        db: &worker::D1Database,
        caller: &crate::platform::auth::Caller,
        page: &Page,
    ) -> Result<Vec<u8>, crate::platform::error::ApiError> {
        use wasm_bindgen::JsCast;
        #[derive(serde::Deserialize)]
        struct Head {
            id: String,
        }
        let (sql, binds) = self.build(caller, page);
        // Plain rows (one more than shown, to know whether another page follows): the
        // simplest statement for SQLite to plan, which workerd does on every call.
        let stmt = db.prepare(sql).bind(&binds)?;
        let query = stmt.inner().raw().map_err(worker::Error::from)?;
        let rows = wasm_bindgen_futures::JsFuture::from(query)
            .await
            .map_err(worker::Error::from)?;
        let rows: js_sys::Array = rows
            .dyn_into()
            .map_err(|_| ApiError::internal("D1 answered rows that are not an array"))?;
        let more = rows.length() > page.limit;
        if more {
            rows.pop();
        }
        // The cursor is the last shown row's id, read from its object.
        let next = if more {
            let last = rows
                .get(rows.length().saturating_sub(1))
                .dyn_into::<js_sys::Array>()
                .ok()
                .and_then(|row| row.get(0).as_string())
                .ok_or_else(|| ApiError::internal("a list row is not one JSON text"))?;
            let head: Head = serde_json::from_str(&last)
                .map_err(|e| ApiError::internal(format!("a list row: {e}")))?;
            Some(crate::platform::crypto::b64url_encode(head.id.as_bytes()))
        } else {
            None
        };
        // Each row is `[object]`, so joining the rows joins the objects; TextEncoder
        // writes the text as UTF-8 in native code (wasm-bindgen's string copy walks it
        // one character at a time in JavaScript).
        let items = UTF8.with(|encoder| encoder.encode(&rows.join(",")).to_vec());
        let next = serde_json::to_vec(&next)?;
        let mut body = Vec::with_capacity(items.len() + next.len() + 28);
        body.extend_from_slice(b"{\"items\":[");
        body.extend_from_slice(&items);
        body.extend_from_slice(b"],\"next_cursor\":");
        body.extend_from_slice(&next);
        body.push(b'}');
        Ok(body)
    }
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
