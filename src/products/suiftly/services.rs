//! Services and tiers. `seal` is live; `grpc` and `graphql` are coming soon. Enabling
//! charges the tier's monthly base for the current month (once a month), an upgrade
//! charges the difference at once, a downgrade applies at the next month's rollover.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use super::customers::{self, Customer};
use super::escrow;
use super::pricing::{month_key, TierName, Tiers};
use crate::platform::auth::Caller;
use crate::platform::db::parse_closed;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{page_of, Doc, Param};

pub const SERVICE_TYPES: &[&str] = &["seal", "grpc", "graphql"];

/// The `{type}` of a service's routes.
pub const SERVICE_TYPE: Param = Param {
    name: "type",
    required: true,
    description: "The service type.",
    schema: || serde_json::json!({"type": "string", "enum": SERVICE_TYPES}),
};
pub const LIVE: &[&str] = &["seal"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub service_type: String,
    pub status: &'static str,
    pub tier: String,
    pub next_tier: Option<String>,
    pub is_enabled: bool,
    pub suspended_reason: Option<String>,
    pub config: Value,
    pub enabled_at: Option<String>,
    pub pricing: Value,
}

#[derive(Deserialize)]
pub struct Row {
    pub service_type: String,
    pub tier: String,
    pub next_tier: Option<String>,
    #[serde(deserialize_with = "crate::platform::db::flag")]
    pub is_enabled: bool,
    pub suspended_reason: Option<String>,
    pub config: String,
    pub enabled_at: Option<String>,
}

pub fn parse_type(s: &str) -> Result<&'static str, ApiError> {
    SERVICE_TYPES
        .iter()
        .find(|t| **t == s)
        .copied()
        .ok_or_else(|| ApiError::not_found("service"))
}

fn view(tiers: &Tiers, service_type: &str, row: Option<Row>) -> Result<Service, ApiError> {
    let status = if LIVE.contains(&service_type) {
        "live"
    } else {
        "coming_soon"
    };
    let tier = Seen::of(row.as_ref())?.tier;
    let t = tiers.get(tier);
    Ok(Service {
        service_type: service_type.to_string(),
        status,
        next_tier: row.as_ref().and_then(|r| r.next_tier.clone()),
        is_enabled: row.as_ref().is_some_and(|r| r.is_enabled),
        suspended_reason: row.as_ref().and_then(|r| r.suspended_reason.clone()),
        config: row
            .as_ref()
            .and_then(|r| serde_json::from_str(&r.config).ok())
            .unwrap_or_else(|| json!({})),
        enabled_at: row.as_ref().and_then(|r| r.enabled_at.clone()),
        pricing: json!({"monthly_usd_cents": t.monthly_usd_cents, "per_1000_requests_usd_cents": t.per_1000_requests_usd_cents,
                        "rate_limit_rps": t.rate_limit_rps}),
        tier: tier.as_str().to_string(),
    })
}

pub async fn row(
    db: &D1Database,
    customer_id: i64,
    service_type: &str,
) -> Result<Option<Row>, ApiError> {
    Ok(
        select_row(db, escrow::Whose::Customer(customer_id), service_type)?
            .first(None)
            .await?,
    )
}

/// A service's row, read by the caller's user id (beside the read of their customer).
pub async fn row_of_user(
    db: &D1Database,
    user_id: &str,
    service_type: &str,
) -> Result<Option<Row>, ApiError> {
    Ok(select_row(db, escrow::Whose::User(user_id), service_type)?
        .first(None)
        .await?)
}

fn select_row(
    db: &D1Database,
    whose: escrow::Whose<'_>,
    service_type: &str,
) -> Result<D1PreparedStatement, ApiError> {
    let (who, bind) = whose.sql();
    Ok(db
        .prepare(format!(
            "SELECT service_type, tier, next_tier, is_enabled, suspended_reason, config, enabled_at FROM suiftly_services \
             WHERE customer_id = {who} AND service_type = ?2"
        ))
        .bind(&[bind, service_type.into()])?)
}

/// The row a batch read back as its last result.
fn last_row(results: &[worker::D1Result]) -> Result<Option<Row>, ApiError> {
    Ok(match results.last() {
        Some(r) => r.results::<Row>()?.pop(),
        None => None,
    })
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let rows = async {
        let rows: Vec<Row> = db
            .prepare(format!(
                "SELECT service_type, tier, next_tier, is_enabled, suspended_reason, config, enabled_at FROM suiftly_services \
                 WHERE customer_id = {}",
                customers::MINE
            ))
            .bind(&[caller.user_id.as_str().into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(rows)
    };
    // The customer (404 for a user who is none) and every service row, read at once.
    let (_, mut rows) = futures::try_join!(customers::of_caller(&db, &caller), rows)?;
    let mut items = Vec::new();
    for t in SERVICE_TYPES {
        let row = rows
            .iter()
            .position(|r| r.service_type == *t)
            .map(|i| rows.swap_remove(i));
        items.push(view(
            &crate::products::suiftly::settings::of(&ctx.config)?.tiers,
            t,
            row,
        )?);
    }
    http::json(200, &json!({"items": items, "next_cursor": null}))
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = parse_type(ctx.param("type"))?;
    let db = ctx.d1()?;
    let (_, row) = futures::try_join!(
        customers::of_caller(&db, &caller),
        row_of_user(&db, &caller.user_id, t)
    )?;
    http::json(
        200,
        &view(
            &crate::products::suiftly::settings::of(&ctx.config)?.tiers,
            t,
            row,
        )?,
    )
}

fn require_live(t: &str) -> Result<(), ApiError> {
    if LIVE.contains(&t) {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!("{t} is coming soon")))
    }
}

/// The most expensive tier already charged for this service this month, if any.
/// The tier of a service already charged this month (the highest, when upgraded), from
/// the charges' idempotency keys. Read by the caller's user id, beside their customer.
async fn charged_tier(
    db: &D1Database,
    tiers: &Tiers,
    user_id: &str,
    service_type: &str,
    month: &str,
) -> Result<Option<TierName>, ApiError> {
    #[derive(Deserialize)]
    struct K {
        idempotency_key: String,
        prefix: String,
    }
    let rest = format!("{service_type}:{month}:");
    let keys: Vec<K> = db
        .prepare(format!(
            "SELECT idempotency_key, 'tier:' || customer_id || ':' || ?2 AS prefix FROM suiftly_escrow_transactions \
             WHERE customer_id = {} AND substr(idempotency_key, 1, length('tier:' || customer_id || ':' || ?2)) \
             = 'tier:' || customer_id || ':' || ?2",
            customers::MINE
        ))
        .bind(&[user_id.into(), rest.as_str().into()])?
        .all()
        .await?
        .results()?;
    Ok(keys
        .iter()
        .filter_map(|k| {
            k.idempotency_key
                .strip_prefix(&k.prefix)
                .and_then(TierName::parse)
        })
        .max_by_key(|t| tiers.get(*t).monthly_usd_cents))
}

/// The tier-charge key of a month: enabling, upgrading and rollover share it, so a tier is
/// paid at most once per month.
pub fn tier_key(customer_id: i64, service_type: &str, month: &str, tier: TierName) -> String {
    format!(
        "tier:{customer_id}:{service_type}:{month}:{}",
        tier.as_str()
    )
}

/// What reaching `tier` this month still costs (the monthly base minus what was paid).
/// What reaching `tier` costs this month given the tier already `paid` (charged this
/// month), and the idempotency key of that charge.
fn cost_to_reach(
    tiers: &Tiers,
    c: &Customer,
    paid: Option<TierName>,
    service_type: &str,
    tier: TierName,
) -> (i64, String) {
    let month = month_key(crate::platform::ids::now().date_naive());
    let paid = paid.map_or(0, |t| tiers.get(t).monthly_usd_cents);
    let cost = (tiers.get(tier).monthly_usd_cents - paid).max(0);
    (cost, tier_key(c.customer_id, service_type, &month, tier))
}

/// The caller's customer, one service's row and the tier it was charged for this month:
/// read at once (one round trip).
async fn read_service(
    db: &D1Database,
    tiers: &Tiers,
    caller: &Caller,
    t: &str,
) -> Result<(Customer, Option<Row>, Option<TierName>), ApiError> {
    let month = month_key(crate::platform::ids::now().date_naive());
    futures::try_join!(
        customers::of_caller(db, caller),
        row_of_user(db, &caller.user_id, t),
        charged_tier(db, tiers, &caller.user_id, t, &month)
    )
}

#[derive(Deserialize)]
struct ConfigBody {
    tier: String,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// A service row as read before a write: every write below is conditional on it still
/// being so, and a write that finds it changed is priced again from a fresh read.
struct Seen {
    tier: TierName,
    enabled: bool,
}

impl Seen {
    fn of(row: Option<&Row>) -> Result<Self, ApiError> {
        Ok(match row {
            None => Seen {
                tier: TierName::Starter,
                enabled: false,
            },
            Some(r) => Seen {
                tier: parse_closed(
                    &r.tier,
                    TierName::parse,
                    "suiftly_services",
                    &r.service_type,
                )?,
                enabled: r.is_enabled,
            },
        })
    }
}

/// Attempts at a write whose read keeps changing under it before answering 409.
const ATTEMPTS: usize = 8;

fn busy() -> ApiError {
    ApiError::Conflict("the service is being changed by another request; try again".into())
}

/// Upserts the service row only while it is as `seen` (a missing row counts as starter,
/// disabled): `ON CONFLICT … DO UPDATE … WHERE` changes no row otherwise.
fn upsert_if_unchanged(
    db: &D1Database,
    customer_id: i64,
    service_type: &str,
    seen: &Seen,
    set: &str,
    values: [JsValue; 4],
) -> Result<D1PreparedStatement, ApiError> {
    let [tier, next_tier, config, enabled_at] = values;
    Ok(db
        .prepare(format!(
            "INSERT INTO suiftly_services (customer_id, service_type, tier, next_tier, config, is_enabled, enabled_at) \
             VALUES (?1, ?2, ?3, ?4, COALESCE(?5, '{{}}'), ?6 IS NOT NULL, ?6) \
             ON CONFLICT (customer_id, service_type) DO UPDATE SET {set} \
             WHERE suiftly_services.tier = ?7 AND suiftly_services.is_enabled = ?8"
        ))
        .bind(&[
            (customer_id as f64).into(),
            service_type.into(),
            tier,
            next_tier,
            config,
            enabled_at,
            seen.tier.as_str().into(),
            f64::from(u8::from(seen.enabled)).into(),
        ])?)
}

pub async fn put_config(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = parse_type(ctx.param("type"))?;
    let body: ConfigBody = ctx.json().await?;
    let tier = TierName::parse(&body.tier)
        .ok_or_else(|| ApiError::validation("tier", "must be starter, pro or enterprise"))?;
    let config = Value::Object(body.rest).to_string();
    if config.len() > 4096 {
        return Err(ApiError::validation(
            "config",
            "must be at most 4096 bytes of JSON",
        ));
    }
    require_live(t)?;
    let tiers = crate::products::suiftly::settings::of(&ctx.config)?.tiers;
    let db = ctx.d1()?;
    let price = |x: TierName| tiers.get(x).monthly_usd_cents;
    for _ in 0..ATTEMPTS {
        // One round trip to read, one to write and read the service back.
        let (c, current, paid) = read_service(&db, &tiers, &caller, t).await?;
        let seen = Seen::of(current.as_ref())?;
        let (new_tier, next_tier) = if seen.enabled && price(tier) < price(seen.tier) {
            // A downgrade waits for the next month.
            (seen.tier, Some(tier))
        } else {
            (tier, None)
        };
        let write = upsert_if_unchanged(
            &db,
            c.customer_id,
            t,
            &seen,
            "tier = excluded.tier, next_tier = excluded.next_tier, config = excluded.config",
            [
                new_tier.as_str().into(),
                crate::platform::db::nullable(next_tier.map(|n| n.as_str())),
                config.as_str().into(),
                JsValue::NULL,
            ],
        )?;
        let upgrade = seen.enabled && price(tier) > price(seen.tier);
        let cost = if upgrade {
            let (cost, key) = cost_to_reach(&tiers, &c, paid, t, tier);
            c.check(cost)?;
            (cost > 0).then_some((cost, key))
        } else {
            None
        };
        let read_back = select_row(&db, escrow::Whose::Customer(c.customer_id), t)?;
        let (outcome, results) = match cost {
            // The upgrade and its charge, against the tier stored now: any interleaving of
            // upgrades costs what the final tier costs.
            Some((cost, key)) => {
                escrow::debit_then(
                    &db,
                    &c,
                    cost,
                    &key,
                    &format!("{t} upgrade to {}", tier.as_str()),
                    write,
                    vec![read_back],
                )
                .await?
            }
            None => written(&db, write, read_back).await?,
        };
        match outcome {
            escrow::Debit::Lost => continue,
            // This tier was already paid this month: switch to it without a charge.
            escrow::Debit::AlreadyCharged => continue,
            escrow::Debit::Applied => {
                return http::json(200, &view(&tiers, t, last_row(&results)?)?)
            }
        }
    }
    Err(busy())
}

/// A conditional write with no charge, and the service read back in the same batch.
async fn written(
    db: &D1Database,
    write: D1PreparedStatement,
    read_back: D1PreparedStatement,
) -> Result<(escrow::Debit, Vec<worker::D1Result>), ApiError> {
    let results = db.batch(vec![write, read_back]).await?;
    match results.first() {
        Some(r) if crate::platform::db::changes(r)? > 0 => Ok((escrow::Debit::Applied, results)),
        _ => Ok((escrow::Debit::Lost, Vec::new())),
    }
}

pub async fn enable(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = parse_type(ctx.param("type"))?;
    require_live(t)?;
    let tiers = crate::products::suiftly::settings::of(&ctx.config)?.tiers;
    let db = ctx.d1()?;
    for _ in 0..ATTEMPTS {
        // One round trip to read, one to write and read the service back.
        let (c, current, paid) = read_service(&db, &tiers, &caller, t).await?;
        let seen = Seen::of(current.as_ref())?;
        if seen.enabled {
            return http::json(200, &view(&tiers, t, current)?);
        }
        let write = upsert_if_unchanged(
            &db,
            c.customer_id,
            t,
            &seen,
            "is_enabled = 1, enabled_at = excluded.enabled_at, disabled_at = NULL",
            [
                seen.tier.as_str().into(),
                JsValue::NULL,
                JsValue::NULL,
                ids::now_rfc3339().into(),
            ],
        )?;
        let (cost, key) = cost_to_reach(&tiers, &c, paid, t, seen.tier);
        c.check(cost)?;
        let read_back = select_row(&db, escrow::Whose::Customer(c.customer_id), t)?;
        let (outcome, results) = if cost > 0 {
            escrow::debit_then(
                &db,
                &c,
                cost,
                &key,
                &format!("{t} {} monthly base", seen.tier.as_str()),
                write,
                vec![read_back],
            )
            .await?
        } else {
            written(&db, write, read_back).await?
        };
        if outcome == escrow::Debit::Applied {
            return http::json(200, &view(&tiers, t, last_row(&results)?)?);
        }
    }
    Err(busy())
}

pub async fn disable(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = parse_type(ctx.param("type"))?;
    require_live(t)?;
    let db = ctx.d1()?;
    // The customer beside the write and its read-back (a user with no customer matches
    // nothing, and answers 404): one round trip.
    let write = async {
        let results = db
            .batch(vec![
                db.prepare(format!(
                    "UPDATE suiftly_services SET is_enabled = 0, disabled_at = ?3 WHERE customer_id = {} AND service_type = ?2",
                    customers::MINE
                ))
                .bind(&[caller.user_id.as_str().into(), t.into(), ids::now_rfc3339().into()])?,
                select_row(&db, escrow::Whose::User(&caller.user_id), t)?,
            ])
            .await?;
        last_row(&results)
    };
    let (_, row) = futures::try_join!(customers::of_caller(&db, &caller), write)?;
    http::json(
        200,
        &view(
            &crate::products::suiftly::settings::of(&ctx.config)?.tiers,
            t,
            row,
        )?,
    )
}

pub fn schema() -> Value {
    json!({"title": "Service", "type": "object", "properties": {
        "service_type": {"type": "string", "enum": SERVICE_TYPES},
        "status": {"type": "string", "enum": ["live", "coming_soon"]},
        "tier": {"type": "string", "enum": ["starter", "pro", "enterprise"]},
        "next_tier": {"type": ["string", "null"], "description": "a downgrade taking effect at the next month"},
        "is_enabled": {"type": "boolean"},
        "suspended_reason": {"type": ["string", "null"], "enum": ["insufficient_balance", "monthly_limit_exceeded", null]},
        "config": {"type": "object"},
        "pricing": {"type": "object"}}})
}

pub const LIST_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Services",
    description: "seal (live), grpc and graphql (coming_soon).",
    request: None,
    response: (200, || page_of(schema())),
};
pub const GET_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[SERVICE_TYPE],
    summary: "One service",
    description: "",
    request: None,
    response: (200, schema),
};
pub const CONFIG_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[SERVICE_TYPE],
    summary: "Choose the tier and settings of a service",
    description: "`{tier, …}`; other fields are kept as the service's config. On an enabled service an upgrade charges \
        the difference to the new monthly base now (402 insufficient_balance / monthly_limit_exceeded when it cannot), \
        a downgrade is recorded as next_tier and applies at the next month.",
    request: Some(|| crate::schema!({"type": "object", "required": ["tier"], "properties": {"tier": {"type": "string", "enum": ["starter", "pro", "enterprise"]}}})),
    response: (200, schema),
};
pub const ENABLE_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[SERVICE_TYPE],
    summary: "Enable a service",
    description: "Charges the tier's monthly base for the current month (once per month) after the seed's checks: \
        402 insufficient_balance {current_balance_usd, estimated_cost_usd, required_deposit_usd} or \
        monthly_limit_exceeded {max_monthly_usd, current_month_charged_usd, estimated_cost_usd, remaining_authorization_usd}.",
    request: None,
    response: (200, schema),
};
pub const DISABLE_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[SERVICE_TYPE],
    summary: "Disable a service",
    description: "No refund; its keys leave the vault at the next vault run.",
    request: None,
    response: (200, schema),
};
