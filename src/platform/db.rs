//! D1 helpers shared by every store.

use wasm_bindgen::JsValue;

/// A bindable value for an optional column: SQL NULL for `None` (D1 rejects `undefined`).
pub fn nullable<T: Into<JsValue>>(v: Option<T>) -> JsValue {
    v.map(Into::into).unwrap_or(JsValue::NULL)
}
