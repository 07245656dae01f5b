//! D1 helpers shared by every store, and the typed row layer: D1 hands back numbers as
//! JavaScript numbers; row structs declare integer columns as `i64` (serde reads a safe
//! integer directly, and refuses anything else), money as integer cents, and 0/1 columns as
//! `bool` through [`flag`]. Closed sets are parsed once with [`parse_closed`], where an
//! unknown value is an internal error naming the row, never a silent default.

use serde::{Deserialize, Deserializer};
use wasm_bindgen::JsValue;

/// A 0/1 column as `bool`: `#[serde(deserialize_with = "crate::platform::db::flag")]`.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match i64::deserialize(d)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(serde::de::Error::custom(format!(
            "a 0/1 column holds {other}"
        ))),
    }
}

/// Parses a closed-set value read from `table` row `id`; an unknown one is an internal
/// error that names the row (logged with the request id), never a default.
pub fn parse_closed<T>(
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
    table: &str,
    id: impl std::fmt::Display,
) -> Result<T, crate::platform::error::ApiError> {
    parse(value).ok_or_else(|| {
        crate::platform::error::ApiError::internal(format!(
            "{table} row {id} holds unknown value {value:?}"
        ))
    })
}

/// A bindable value for an optional column: SQL NULL for `None` (D1 rejects `undefined`).
pub fn nullable<T: Into<JsValue>>(v: Option<T>) -> JsValue {
    v.map(Into::into).unwrap_or(JsValue::NULL)
}

/// Binds `params` to `stmt` in one call into JavaScript: the binds go as one JSON text (as
/// UTF-8 bytes, which skips the lookup `&str` arguments make in wasm-bindgen's cache of
/// interned strings), parsed and spread into `bind` there. (The `worker` crate's
/// `bind(&[JsValue])` makes a call to create each string or number and another to put
/// each value in the arguments.) For the statements most requests run (a list's page, a
/// task written).
/// Integers must be safe ones (|n| < 2^53), as with `bind`; `null` binds SQL NULL.
pub fn bind_json(
    stmt: worker::D1PreparedStatement,
    params: &[serde_json::Value],
) -> Result<worker::D1PreparedStatement, crate::platform::error::ApiError> {
    let binds = serde_json::to_vec(params)?;
    Ok(bind_json_text(stmt.inner(), &binds)
        .map_err(worker::Error::from)?
        .into())
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
const utf8 = new TextDecoder();
export function bind_json_text(stmt, binds) {
  return stmt.bind(...JSON.parse(utf8.decode(binds)));
}
"#)]
extern "C" {
    /// `stmt.bind(...JSON.parse(binds))`.
    #[wasm_bindgen(catch)]
    fn bind_json_text(
        stmt: &worker::worker_sys::types::D1PreparedStatement,
        binds: &[u8],
    ) -> Result<worker::worker_sys::types::D1PreparedStatement, JsValue>;
}

/// Rows a write changed.
pub fn changes(r: &worker::D1Result) -> Result<usize, crate::platform::error::ApiError> {
    Ok(r.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

/// Runs a write scoped to the caller (`… WHERE id = ? AND user_id = ?`); when it touched
/// nothing the row is missing or not theirs, which answers 404 either way.
pub async fn run_or_404(
    stmt: worker::D1PreparedStatement,
    what: &str,
) -> Result<(), crate::platform::error::ApiError> {
    if changes(&stmt.run().await?)? == 0 {
        return Err(crate::platform::error::ApiError::not_found(what));
    }
    Ok(())
}

/// `DELETE FROM {table} WHERE id = {id param} AND user_id = {caller}` → 204, or 404 when
/// there was no such row of the caller's.
pub async fn delete_owned(
    ctx: &crate::platform::http::Ctx,
    caller: &crate::platform::auth::Caller,
    table: &'static str,
    what: &str,
) -> Result<crate::platform::http::Response, crate::platform::error::ApiError> {
    let stmt = ctx
        .d1()?
        .prepare(format!(
            "DELETE FROM {table} WHERE id = ?1 AND user_id = ?2"
        ))
        .bind(&[ctx.param("id").into(), caller.user_id.as_str().into()])?;
    run_or_404(stmt, what).await?;
    crate::platform::http::no_content()
}

/// Runs the writes of one change together: a batch (one transaction) when there are
/// several, a plain run when there is one (the same effect, without the batch's
/// transaction and its rows written back for every statement).
pub async fn write(
    db: &worker::D1Database,
    mut stmts: Vec<worker::D1PreparedStatement>,
) -> Result<(), crate::platform::error::ApiError> {
    if stmts.len() == 1 {
        if let Some(only) = stmts.pop() {
            let run = only.inner().run().map_err(worker::Error::from)?;
            crate::platform::promise::settled(&run)
                .await
                .map_err(worker::Error::from)?;
        }
    } else if !stmts.is_empty() {
        db.batch(stmts).await?;
    }
    Ok(())
}

/// Runs a batch whose first statement is a write scoped to the caller; when that touched
/// nothing the row is missing or not theirs: 404. (The statements after it are scoped the
/// same way, so they find nothing to change either.)
pub async fn batch_or_404(
    db: &worker::D1Database,
    stmts: Vec<worker::D1PreparedStatement>,
    what: &str,
) -> Result<Vec<worker::D1Result>, crate::platform::error::ApiError> {
    let results = db.batch(stmts).await?;
    match results.first() {
        Some(r) if changes(r)? > 0 => Ok(results),
        _ => Err(crate::platform::error::ApiError::not_found(what)),
    }
}
