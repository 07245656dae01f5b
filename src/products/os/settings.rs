//! Personal OS settings: the user's IANA time zone, which decides what "today" is for
//! habits.

use serde::Deserialize;
use serde_json::json;
use worker::D1Database;

use crate::platform::auth::Caller;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::openapi::Doc;
use crate::platform::{ids, tz};

pub async fn timezone(db: &D1Database, user_id: &str) -> Result<String, ApiError> {
    let tz: Option<String> = db
        .prepare("SELECT timezone FROM os_settings WHERE user_id = ?1")
        .bind(&[user_id.into()])?
        .first(Some("timezone"))
        .await?;
    Ok(tz.unwrap_or_else(|| "UTC".into()))
}

/// Today's date in the user's time zone.
pub async fn today(db: &D1Database, user_id: &str) -> Result<chrono::NaiveDate, ApiError> {
    today_in(&timezone(db, user_id).await?)
}

/// Today's date in the time zone `zone`.
pub fn today_in(zone: &str) -> Result<chrono::NaiveDate, ApiError> {
    tz::local(zone, crate::platform::ids::now_ms() as i64)
        .and_then(|t| t.date())
        .ok_or_else(|| ApiError::internal(format!("cannot read local time in {zone}")))
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let zone = timezone(&ctx.d1()?, &caller.user_id).await?;
    http::json(200, &json!({"timezone": zone}))
}

#[derive(Deserialize)]
struct Patch {
    timezone: String,
}

pub async fn patch(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: Patch = ctx.json().await?;
    if !tz::is_valid(&body.timezone) {
        return Err(ApiError::validation(
            "timezone",
            "must be an IANA time zone such as Europe/Paris",
        ));
    }
    ctx.d1()?
        .prepare(
            "INSERT INTO os_settings (user_id, timezone, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at",
        )
        .bind(&[caller.user_id.as_str().into(), body.timezone.as_str().into(), ids::now_rfc3339().into()])?
        .run()
        .await?;
    http::json(200, &json!({"timezone": body.timezone}))
}

fn schema() -> serde_json::Value {
    json!({"title": "OsSettings", "type": "object", "required": ["timezone"], "additionalProperties": false,
        "properties": {"timezone": tz::schema()}})
}

pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Personal OS settings",
    description: "The time zone habits use for \"today\".",
    request: None,
    response: (200, schema),
};
pub const PATCH_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Set the time zone",
    description: "`{timezone}` (IANA, checked).",
    request: Some(schema),
    response: (200, schema),
};
