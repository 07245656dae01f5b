//! The one error type every handler returns, and its JSON envelope (docs/platform.md):
//! `{"error": {"code", "message", "request_id", "details"}}`.

use serde_json::{json, Map, Value};

/// One invalid input field, named the way the client sent it (`email`, `logs[3].status_code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    BadRequest(String),
    Validation(Vec<FieldError>),
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    MethodNotAllowed(Vec<&'static str>),
    Conflict(String),
    PayloadTooLarge(usize),
    RateLimited {
        retry_after_secs: u64,
    },
    InsufficientBalance(Value),
    MonthlyLimitExceeded(Value),
    UpstreamFailed(String),
    /// 503: a setting the operator must fix (named, never its value).
    Misconfigured(Vec<String>),
    /// 422 with a rule-specific code (`dependency_cycle`) instead of `validation_failed`.
    Rule {
        code: &'static str,
        message: String,
    },
    /// Logged with the request id; the client only sees "internal error".
    Internal(String),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        Self::Internal(context.to_string())
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Validation(_) | Self::Rule { .. } => 422,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge(_) => 413,
            Self::RateLimited { .. } => 429,
            Self::InsufficientBalance(_) | Self::MonthlyLimitExceeded(_) => 402,
            Self::UpstreamFailed(_) => 502,
            Self::Misconfigured(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Validation(_) => "validation_failed",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::InsufficientBalance(_) => "insufficient_balance",
            Self::MonthlyLimitExceeded(_) => "monthly_limit_exceeded",
            Self::UpstreamFailed(_) => "upstream_failed",
            Self::Misconfigured(_) => "misconfigured",
            Self::Rule { code, .. } => code,
            Self::Internal(_) => "internal",
        }
    }

    /// What the client may read. Internal causes never leave the worker.
    pub fn message(&self) -> String {
        match self {
            Self::BadRequest(m)
            | Self::Unauthorized(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::UpstreamFailed(m)
            | Self::Rule { message: m, .. } => m.clone(),
            Self::Validation(fields) => match fields.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => format!("{} fields are invalid", fields.len()),
            },
            Self::MethodNotAllowed(_) => "method not allowed on this route".into(),
            Self::PayloadTooLarge(limit) => format!("request body exceeds {limit} bytes"),
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests, retry in {retry_after_secs} s")
            }
            Self::InsufficientBalance(_) => "insufficient balance for this operation".into(),
            Self::MonthlyLimitExceeded(_) => "monthly spending limit would be exceeded".into(),
            Self::Misconfigured(settings) => format!(
                "the server is misconfigured and refuses requests until the operator fixes: {}",
                settings.join(", ")
            ),
            Self::Internal(_) => "internal error".into(),
        }
    }

    pub fn details(&self) -> Value {
        match self {
            Self::Validation(fields) => {
                let mut map = Map::new();
                for f in fields {
                    map.entry(f.field.clone())
                        .or_insert_with(|| Value::String(f.message.clone()));
                }
                json!({ "fields": map })
            }
            Self::MethodNotAllowed(allow) => json!({ "allow": allow }),
            Self::PayloadTooLarge(limit) => json!({ "limit_bytes": limit }),
            Self::RateLimited { retry_after_secs } => {
                json!({ "retry_after_seconds": retry_after_secs })
            }
            Self::InsufficientBalance(d) | Self::MonthlyLimitExceeded(d) => d.clone(),
            Self::Misconfigured(settings) => json!({ "settings": settings }),
            _ => json!({}),
        }
    }

    pub fn envelope(&self, request_id: &str) -> Value {
        json!({
            "error": {
                "code": self.code(),
                "message": self.message(),
                "request_id": request_id,
                "details": self.details(),
            }
        })
    }

    /// Headers the status code calls for (`Allow`, `Retry-After`).
    pub fn extra_headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::MethodNotAllowed(allow) => vec![("Allow", allow.join(", "))],
            Self::Unauthorized(_) => vec![("WWW-Authenticate", "Bearer".into())],
            Self::RateLimited { retry_after_secs } => {
                vec![("Retry-After", retry_after_secs.to_string())]
            }
            _ => Vec::new(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Internal(cause) => write!(f, "internal: {cause}"),
            other => write!(f, "{}: {}", other.code(), other.message()),
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        let text = e.to_string();
        // D1 reports constraint failures as text; a UNIQUE violation is the caller's conflict.
        if text.contains("UNIQUE constraint failed") {
            return Self::Conflict(conflict_message(&text));
        }
        Self::Internal(text)
    }
}

impl From<worker::kv::KvError> for ApiError {
    fn from(e: worker::kv::KvError) -> Self {
        Self::Internal(format!("kv: {e}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("json: {e}"))
    }
}

/// `UNIQUE constraint failed: users.email` → "email already exists".
fn conflict_message(text: &str) -> String {
    text.split("UNIQUE constraint failed:")
        .nth(1)
        .and_then(|cols| cols.split([',', ' ', ')', ':']).find(|c| !c.is_empty()))
        .and_then(|col| col.split('.').nth(1))
        .map(|col| format!("{col} already exists"))
        .unwrap_or_else(|| "resource already exists".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_code_message_request_id_details() {
        let e = ApiError::validation("email", "must look like an email");
        let v = e.envelope("req-1");
        assert_eq!(v["error"]["code"], "validation_failed");
        assert_eq!(v["error"]["request_id"], "req-1");
        assert_eq!(
            v["error"]["details"]["fields"]["email"],
            "must look like an email"
        );
        assert_eq!(e.status(), 422);
    }

    #[test]
    fn internal_never_leaks_its_cause() {
        let e = ApiError::internal("D1_ERROR: no such table: secrets");
        assert_eq!(e.message(), "internal error");
        assert!(!e.envelope("r").to_string().contains("secrets"));
    }

    #[test]
    fn unique_violation_names_the_column() {
        assert_eq!(
            conflict_message("D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT"),
            "email already exists"
        );
        assert_eq!(conflict_message("weird"), "resource already exists");
    }

    #[test]
    fn rate_limit_sets_retry_after() {
        let e = ApiError::RateLimited {
            retry_after_secs: 17,
        };
        assert_eq!(e.extra_headers(), vec![("Retry-After", "17".to_string())]);
        assert_eq!(e.status(), 429);
    }
}
