//! Scheduler and noise settings per user, with the seed's names and defaults, and the
//! active-hours rule.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::openapi::Doc;
use crate::platform::{ids, tz};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub enabled: bool,
    /// Minutes between search cycles.
    pub search_interval: u32,
    /// Minutes between browsing cycles.
    pub browsing_interval: u32,
    /// Minutes between shopping cycles.
    pub shop_interval: u32,
    /// `[start_hour, end_hour]` in `timezone`; `[22, 6]` runs across midnight.
    pub active_hours: [u32; 2],
    pub timezone: String,
    pub max_concurrent: u32,
    pub searches_per_cycle: u32,
    pub pages_per_cycle: u32,
    pub products_per_cycle: u32,
    pub persona_rotation_hours: u32,
    /// Minutes a fingerprint lives before it rotates.
    pub fingerprint_rotation_interval: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: true,
            search_interval: 10,
            browsing_interval: 15,
            shop_interval: 30,
            active_hours: [8, 22],
            timezone: "UTC".into(),
            max_concurrent: 3,
            searches_per_cycle: 5,
            pages_per_cycle: 8,
            products_per_cycle: 3,
            persona_rotation_hours: 4,
            fingerprint_rotation_interval: 30,
        }
    }
}

/// Whether `hour` (0–23) falls inside `[start, end)`, wrapping past midnight when start > end.
pub fn in_active_hours(hour: u32, [start, end]: [u32; 2]) -> bool {
    if start < end {
        (start..end).contains(&hour)
    } else {
        hour >= start || hour < end
    }
}

fn int_in(v: &Value, field: &str, lo: u64, hi: u64, errors: &mut Vec<FieldError>) -> Option<u32> {
    match v.as_u64() {
        Some(n) if (lo..=hi).contains(&n) => Some(n as u32),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("must be an integer from {lo} to {hi}"),
            ));
            None
        }
    }
}

/// Applies a partial update (`PATCH` body) to `current`, checking every field; unknown
/// fields and bad values are all reported. `tz_valid` says whether a zone name exists.
pub fn apply_patch(
    current: &Settings,
    patch: &Value,
    tz_valid: impl Fn(&str) -> bool,
) -> Result<Settings, Vec<FieldError>> {
    let Some(obj) = patch.as_object() else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    let mut s = current.clone();
    let mut errors = Vec::new();
    for (key, v) in obj {
        let e = &mut errors;
        match key.as_str() {
            "enabled" => match v.as_bool() {
                Some(b) => s.enabled = b,
                None => e.push(FieldError::new(key, "must be a boolean")),
            },
            "search_interval" => {
                s.search_interval = int_in(v, key, 1, 1440, e).unwrap_or(s.search_interval)
            }
            "browsing_interval" => {
                s.browsing_interval = int_in(v, key, 1, 1440, e).unwrap_or(s.browsing_interval)
            }
            "shop_interval" => {
                s.shop_interval = int_in(v, key, 1, 1440, e).unwrap_or(s.shop_interval)
            }
            "max_concurrent" => {
                s.max_concurrent = int_in(v, key, 1, 10, e).unwrap_or(s.max_concurrent)
            }
            "searches_per_cycle" => {
                s.searches_per_cycle = int_in(v, key, 1, 50, e).unwrap_or(s.searches_per_cycle)
            }
            "pages_per_cycle" => {
                s.pages_per_cycle = int_in(v, key, 1, 50, e).unwrap_or(s.pages_per_cycle)
            }
            "products_per_cycle" => {
                s.products_per_cycle = int_in(v, key, 1, 50, e).unwrap_or(s.products_per_cycle)
            }
            "persona_rotation_hours" => {
                s.persona_rotation_hours =
                    int_in(v, key, 1, 168, e).unwrap_or(s.persona_rotation_hours)
            }
            "fingerprint_rotation_interval" => {
                s.fingerprint_rotation_interval =
                    int_in(v, key, 1, 1440, e).unwrap_or(s.fingerprint_rotation_interval)
            }
            "active_hours" => {
                let pair: Option<Vec<u64>> = v
                    .as_array()
                    .and_then(|a| a.iter().map(Value::as_u64).collect());
                match pair.as_deref() {
                    // start > end runs across midnight; start == end is around the clock.
                    Some(&[start, end]) if start <= 24 && end <= 24 => {
                        s.active_hours = [(start % 24) as u32, end as u32];
                    }
                    _ => e.push(FieldError::new(
                        key,
                        "must be [start_hour, end_hour], hours 0–24 ([22, 6] runs across midnight, [0, 0] all day)",
                    )),
                }
            }
            "timezone" => match v.as_str() {
                Some(t) if tz_valid(t) => s.timezone = t.to_string(),
                _ => e.push(FieldError::new(
                    key,
                    "must be an IANA time zone such as Europe/Paris",
                )),
            },
            other => e.push(FieldError::new(other, "is not a setting")),
        }
    }
    if errors.is_empty() {
        Ok(s)
    } else {
        Err(errors)
    }
}

/// The settings row of a user: settings, active persona, last rotation.
#[derive(Debug, Clone)]
pub struct SettingsRow {
    pub settings: Settings,
    pub active_persona_id: Option<String>,
    pub rotated_at: Option<String>,
}

pub async fn load(db: &D1Database, caller: &Caller) -> Result<SettingsRow, ApiError> {
    load_for(db, &caller.user_id).await
}

/// For the scheduler, which acts for a user without a request.
pub async fn load_for(db: &D1Database, user_id: &str) -> Result<SettingsRow, ApiError> {
    Ok(row_from(select_statement(db, user_id)?.first(None).await?))
}

/// The stored settings row of a user, for [`row_from`].
#[derive(Deserialize)]
pub struct Stored {
    settings: String,
    active_persona_id: Option<String>,
    rotated_at: Option<String>,
}

/// The statement that reads a user's settings row (see [`row_from`]).
pub fn select_statement(
    db: &D1Database,
    user_id: &str,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare("SELECT settings, active_persona_id, rotated_at FROM phantom_settings WHERE user_id = ?1")
        .bind(&[user_id.into()])?)
}

/// A user's settings from their stored row (the seed's defaults without one).
pub fn row_from(row: Option<Stored>) -> SettingsRow {
    match row {
        Some(r) => SettingsRow {
            settings: serde_json::from_str(&r.settings).unwrap_or_default(),
            active_persona_id: r.active_persona_id,
            rotated_at: r.rotated_at,
        },
        None => SettingsRow {
            settings: Settings::default(),
            active_persona_id: None,
            rotated_at: None,
        },
    }
}

/// The statement that stores a user's settings (keeps the active persona).
pub fn save_statement(
    db: &D1Database,
    user_id: &str,
    s: &Settings,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "INSERT INTO phantom_settings (user_id, settings, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        )
        .bind(&[user_id.into(), serde_json::to_string(s)?.into(), ids::now_rfc3339().into()])?)
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let row = load(&ctx.d1()?, &caller).await?;
    http::json(200, &row.settings)
}

pub async fn patch(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let row = load(&db, &caller).await?;
    let next = apply_patch(&row.settings, &body, tz::is_valid).map_err(ApiError::Validation)?;
    super::scheduler::write_and_sync(
        &ctx.env,
        &db,
        &caller.user_id,
        vec![save_statement(&db, &caller.user_id, &next)?],
    )
    .await?;
    http::json(200, &next)
}

pub fn schema() -> Value {
    json!({"title": "PhantomSettings", "type": "object", "additionalProperties": false, "properties": {
        "enabled": {"type": "boolean", "default": true},
        "search_interval": {"type": "integer", "minimum": 1, "maximum": 1440, "default": 10, "description": "minutes"},
        "browsing_interval": {"type": "integer", "minimum": 1, "maximum": 1440, "default": 15, "description": "minutes"},
        "shop_interval": {"type": "integer", "minimum": 1, "maximum": 1440, "default": 30, "description": "minutes"},
        "active_hours": {"type": "array", "minItems": 2, "maxItems": 2, "default": [8, 22],
            "items": {"type": "integer", "minimum": 0, "maximum": 24},
            "description": "[start_hour, end_hour) in `timezone`, hours 0–24 (24 is midnight); [22, 6] spans midnight, \
                [0, 0] is all day"},
        "timezone": tz::schema(),
        "max_concurrent": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
        "searches_per_cycle": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
        "pages_per_cycle": {"type": "integer", "minimum": 1, "maximum": 50, "default": 8},
        "products_per_cycle": {"type": "integer", "minimum": 1, "maximum": 50, "default": 3},
        "persona_rotation_hours": {"type": "integer", "minimum": 1, "maximum": 168, "default": 4},
        "fingerprint_rotation_interval": {"type": "integer", "minimum": 1, "maximum": 1440, "default": 30, "description": "minutes"}
    }})
}

pub const GET_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Scheduler and noise settings",
    description: "The seed's settings with their defaults until changed.",
    request: None,
    response: (200, schema),
};

pub const PATCH_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Change settings",
    description: "Partial update; every field is range-checked (422 names each bad one). Enabling starts the \
        scheduler loops (once a persona exists); disabling stops them.",
    request: Some(schema),
    response: (200, schema),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn tz_ok(t: &str) -> bool {
        t == "UTC" || t == "Europe/Paris"
    }

    #[test]
    fn active_hours_plain_and_across_midnight() {
        assert!(in_active_hours(8, [8, 22]));
        assert!(!in_active_hours(22, [8, 22]));
        assert!(!in_active_hours(7, [8, 22]));
        assert!(in_active_hours(23, [22, 6]));
        assert!(in_active_hours(0, [22, 6]));
        assert!(in_active_hours(5, [22, 6]));
        assert!(!in_active_hours(6, [22, 6]));
        assert!(!in_active_hours(12, [22, 6]));
        assert!((0..24).all(|h| in_active_hours(h, [0, 24])));
    }

    #[test]
    fn patch_updates_only_named_fields() {
        let s = apply_patch(
            &Settings::default(),
            &crate::schema!({"search_interval": 3, "timezone": "Europe/Paris"}),
            tz_ok,
        )
        .expect("valid");
        assert_eq!(s.search_interval, 3);
        assert_eq!(s.timezone, "Europe/Paris");
        assert_eq!(s.browsing_interval, 15);
    }

    #[test]
    fn patch_reports_every_bad_field() {
        let errs = apply_patch(
            &Settings::default(),
            &crate::schema!({"search_interval": 0, "active_hours": [10, 25], "timezone": "Mars/Base", "colour": "red", "enabled": "yes"}),
            tz_ok,
        )
        .expect_err("five problems");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "search_interval",
            "active_hours",
            "timezone",
            "colour",
            "enabled",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn active_hours_bounds() {
        let ok = |v: Value| {
            apply_patch(&Settings::default(), &json!({"active_hours": v}), tz_ok).is_ok()
        };
        assert!(ok(json!([0, 24])));
        assert!(ok(json!([22, 6])));
        assert!(ok(json!([0, 0])));
        assert!(in_active_hours(3, [7, 7]));
        assert!(ok(json!([24, 2])), "24 is midnight");
        assert!(!ok(json!([5, 25])));
        assert!(!ok(json!([22, 24, 1])));
        assert!(!ok(json!([-1, 5])));
        assert!(!ok(json!(["8", "22"])));
    }
}
