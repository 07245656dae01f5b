//! Money's settings: the worker's (Knot, AI, the card catalogue) and each user's (home
//! currency, monthly budget).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::cards::{self, CardRates};
use crate::platform::auth::Caller;
use crate::platform::config::{parse_bool, parse_int, Config, Stage};
use crate::platform::db::nullable;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::object;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, Doc};

/// The worker's Money settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `FEATURE_KNOT`: real accounts through Knot (else the demo history).
    pub feature_knot: bool,
    /// `FEATURE_AI`: general questions go to the configured model (else offline replies).
    pub feature_ai: bool,
    /// `KNOT_BASE_URL`: `https://development.knotapi.com` or `https://production.knotapi.com`.
    pub knot_base_url: String,
    pub knot_client_id: Option<String>,
    pub knot_secret: Option<String>,
    /// `KNOT_WEBHOOK_SECRET`, else `KNOT_SECRET` (Knot signs webhooks with the API secret).
    pub knot_webhook_secret: Option<String>,
    /// First retry delay for Knot calls (`KNOT_RETRY_BASE_MS`, 500 ms, doubling).
    pub knot_retry_base_ms: u64,
    /// `MONEY_CARD_CATALOG` (JSON), else the built-in catalogue.
    pub catalogue: Vec<CardRates>,
}

pub const KNOT_ATTEMPTS: u32 = 4;

impl Settings {
    pub fn parse(
        raw: &dyn Fn(&str) -> Option<String>,
        _stage: &Stage,
        errors: &mut Vec<String>,
    ) -> Self {
        let feature_knot = parse_bool(errors, "FEATURE_KNOT", raw("FEATURE_KNOT"), false);
        let secret = |name: &str| raw(name).filter(|v| !v.trim().is_empty());
        let knot_client_id = secret("KNOT_CLIENT_ID");
        let knot_secret = secret("KNOT_SECRET");
        if feature_knot && (knot_client_id.is_none() || knot_secret.is_none()) {
            errors.push("KNOT_CLIENT_ID and KNOT_SECRET are required with FEATURE_KNOT=true (wrangler secret put)".into());
        }
        let knot_base_url = raw("KNOT_BASE_URL")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "https://development.knotapi.com".into())
            .trim_end_matches('/')
            .to_string();
        if !knot_base_url.starts_with("https://") && !knot_base_url.starts_with("http://") {
            errors.push(format!(
                "KNOT_BASE_URL={knot_base_url:?} must be an http(s) URL"
            ));
        }
        let catalogue = match raw("MONEY_CARD_CATALOG").filter(|v| !v.trim().is_empty()) {
            None => cards::default_catalogue(),
            Some(json) => cards::parse_catalogue(&json).unwrap_or_else(|e| {
                errors.push(format!("MONEY_CARD_CATALOG: {e}"));
                cards::default_catalogue()
            }),
        };
        Settings {
            feature_knot,
            feature_ai: parse_bool(errors, "FEATURE_AI", raw("FEATURE_AI"), false),
            knot_webhook_secret: secret("KNOT_WEBHOOK_SECRET").or_else(|| knot_secret.clone()),
            knot_base_url,
            knot_client_id,
            knot_secret,
            knot_retry_base_ms: parse_int(
                errors,
                "KNOT_RETRY_BASE_MS",
                raw("KNOT_RETRY_BASE_MS"),
                500,
                0..=30_000,
            ) as u64,
            catalogue,
        }
    }

    pub fn of(config: &Config) -> Result<&Settings, ApiError> {
        config.product::<Settings>()
    }

    /// Knot's development environment (sample data can be generated there).
    pub fn knot_is_development(&self) -> bool {
        !self.knot_base_url.contains("production.knotapi.com")
    }
}

pub const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserSettings {
    pub home_currency: String,
    pub monthly_budget_cents: Option<i64>,
}

pub async fn of_user(db: &D1Database, user_id: &str) -> Result<UserSettings, ApiError> {
    let row: Option<UserSettings> = db
        .prepare(
            "SELECT home_currency, monthly_budget_cents FROM money_settings WHERE user_id = ?1",
        )
        .bind(&[user_id.into()])?
        .first(None)
        .await?;
    Ok(row.unwrap_or(UserSettings {
        home_currency: "USD".into(),
        monthly_budget_cents: None,
    }))
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(200, &of_user(&ctx.d1()?, &caller.user_id).await?)
}

pub async fn patch(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let fields = object(&body)?;
    let db = ctx.d1()?;
    let mut s = of_user(&db, &caller.user_id).await?;
    let mut errors = Vec::new();
    for (k, v) in fields {
        match k.as_str() {
            "home_currency" => match v.as_str().filter(|c| CURRENCIES.contains(c)) {
                Some(c) => s.home_currency = c.into(),
                None => errors.push(FieldError::new(
                    k,
                    format!("must be one of {}", CURRENCIES.join(", ")),
                )),
            },
            "monthly_budget_cents" => match v {
                Value::Null => s.monthly_budget_cents = None,
                v => match v
                    .as_i64()
                    .filter(|c| (1..=super::rules::amounts::MAX_CENTS).contains(c))
                {
                    Some(c) => s.monthly_budget_cents = Some(c),
                    None => errors.push(FieldError::new(
                        k,
                        "must be null or whole cents from 1 to 1000000000",
                    )),
                },
            },
            _ => errors.push(FieldError::new(k, "is not a setting")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    db.prepare(
        "INSERT INTO money_settings (user_id, home_currency, monthly_budget_cents, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (user_id) DO UPDATE SET home_currency = ?2, monthly_budget_cents = ?3, updated_at = ?4",
    )
    .bind(&[
        caller.user_id.as_str().into(),
        s.home_currency.as_str().into(),
        nullable(s.monthly_budget_cents.map(|c| c as f64)),
        ids::now_rfc3339().into(),
    ])?
    .run()
    .await?;
    http::json(200, &s)
}

fn schema() -> Value {
    json!({"title": "MoneySettings", "type": "object", "required": ["home_currency", "monthly_budget_cents"], "properties": {
        "home_currency": {"type": "string", "enum": CURRENCIES, "default": "USD",
            "description": "Totals, insights and tracker answers count transactions in this currency."},
        "monthly_budget_cents": {"type": ["integer", "null"], "minimum": 1, "maximum": 1_000_000_000}
    }})
}

pub const GET_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Money settings",
    description: "",
    request: None,
    response: (200, schema),
};
pub const PATCH_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Change Money settings",
    description: "Partial update; unknown fields are 422.",
    request: Some(|| body(schema(), &[], &[])),
    response: (200, schema),
};
