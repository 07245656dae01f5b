//! D1 helpers shared by every store.

use wasm_bindgen::JsValue;

/// A bindable value for an optional column: SQL NULL for `None` (D1 rejects `undefined`).
pub fn nullable<T: Into<JsValue>>(v: Option<T>) -> JsValue {
    v.map(Into::into).unwrap_or(JsValue::NULL)
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
