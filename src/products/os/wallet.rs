//! The points wallet and rewards. Every point change is a ledger row with a reason and a
//! source; the balance is the ledger's sum. Redeeming never takes it below zero: the
//! check and the deduction are one statement.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::{object, text};
use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::{free_text_schema, text_schema};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, page_of, Doc};
use crate::platform::page::PageQuery;

/// A user's points: the sum of their ledger.
const BALANCE: &str =
    "SELECT COALESCE(SUM(delta), 0) AS b FROM os_wallet_ledger WHERE user_id = ?1";

pub async fn balance(db: &D1Database, user_id: &str) -> Result<i64, ApiError> {
    let b: Option<i64> = db
        .prepare(BALANCE)
        .bind(&[user_id.into()])?
        .first(Some("b"))
        .await?;
    Ok(b.unwrap_or(0))
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    id: String,
    delta: i64,
    reason: String,
    source_type: String,
    source_id: Option<String>,
    created_at: String,
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let page = ctx.page()?;
    let rows = async {
        let rows: Vec<Entry> = db
            .prepare(
                "SELECT id, delta, reason, source_type, source_id, created_at FROM os_wallet_ledger \
                 WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )
            .bind(&[
                caller.user_id.as_str().into(),
                page.after.as_deref().unwrap_or("").into(),
                f64::from(page.fetch()).into(),
            ])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(rows)
    };
    // The page and the balance, read at once.
    let (rows, balance) = futures::try_join!(rows, balance(&db, &caller.user_id))?;
    let items: Vec<Value> = rows
        .iter()
        .map(|e| {
            json!({"id": e.id, "delta": e.delta, "reason": e.reason, "source_type": e.source_type,
                        "source_id": e.source_id, "created_at": e.created_at})
        })
        .collect();
    let listed = page.respond(items, |v| v["id"].as_str().unwrap_or(""));
    http::json(
        200,
        &json!({"balance": balance, "ledger": listed["items"], "next_cursor": listed["next_cursor"]}),
    )
}

#[derive(Debug, Serialize)]
pub struct Reward {
    pub id: String,
    pub name: String,
    pub cost: i64,
    pub description: String,
    pub created_at: String,
}

#[derive(Deserialize)]
struct RewardRow {
    id: String,
    name: String,
    cost: i64,
    description: String,
    created_at: String,
}

impl From<RewardRow> for Reward {
    fn from(r: RewardRow) -> Self {
        Reward {
            id: r.id,
            name: r.name,
            cost: r.cost,
            description: r.description,
            created_at: r.created_at,
        }
    }
}

pub fn parse_reward(v: &Value) -> Result<(String, i64, String), ApiError> {
    let obj = object(v)?;
    let mut e = Vec::new();
    let name = match obj.get("name") {
        Some(n) => text(n, "name", 100, &mut e),
        None => {
            e.push(FieldError::new("name", "is required"));
            None
        }
    };
    let cost = match obj.get("cost").and_then(Value::as_i64) {
        Some(c) if (1..=1_000_000).contains(&c) => Some(c),
        _ => {
            e.push(FieldError::new(
                "cost",
                "must be an integer from 1 to 1000000 points",
            ));
            None
        }
    };
    let description = match obj.get("description") {
        None => Some(String::new()),
        Some(d) => d
            .as_str()
            .filter(|s| s.chars().count() <= 1000)
            .map(str::to_string)
            .or_else(|| {
                e.push(FieldError::new(
                    "description",
                    "must be a string of at most 1000 characters",
                ));
                None
            }),
    };
    match (name, cost, description) {
        (Some(n), Some(c), Some(d)) if e.is_empty() => Ok((n, c, d)),
        _ => Err(ApiError::Validation(e)),
    }
}

pub async fn create_reward(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let (name, cost, description) = parse_reward(&body)?;
    let r = Reward {
        id: ids::new_id()?,
        name,
        cost,
        description,
        created_at: ids::now_rfc3339(),
    };
    ctx.d1()?
        .prepare("INSERT INTO os_rewards (id, user_id, name, cost, description, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(&[
            r.id.as_str().into(),
            caller.user_id.as_str().into(),
            r.name.as_str().into(),
            (r.cost as f64).into(),
            r.description.as_str().into(),
            r.created_at.as_str().into(),
        ])?
        .run()
        .await?;
    http::json(201, &r)
}

pub async fn list_rewards(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let max_cost = match ctx.query_param("max_cost").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse::<u32>()
                .map_err(|_| ApiError::validation("max_cost", "must be a non-negative integer"))?,
        ),
    };
    let rows: Vec<RewardRow> =
        PageQuery::new("SELECT id, name, cost, description, created_at FROM os_rewards")
            .search(&["name"], search.as_ref())
            .filter("cost <= ?", max_cost.map(f64::from))
            .fetch(&ctx.d1()?, &caller, &page)
            .await?;
    let items: Vec<Reward> = rows.into_iter().map(Reward::from).collect();
    http::json(200, &page.respond(items, |r| &r.id))
}

async fn find_reward(ctx: &Ctx, caller: &Caller) -> Result<Reward, ApiError> {
    let row: Option<RewardRow> = ctx
        .d1()?
        .prepare("SELECT id, name, cost, description, created_at FROM os_rewards WHERE id = ?1 AND user_id = ?2")
        .bind(&[ctx.param("id").into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.map(Reward::from)
        .ok_or_else(|| ApiError::not_found("reward"))
}

pub async fn get_reward(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(200, &find_reward(&ctx, &caller).await?)
}

/// Partial update of `{name, cost, description}`; past redemptions keep the cost they paid.
pub async fn update_reward(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let patch = object(&body)?;
    let mut unknown = Vec::new();
    for k in patch.keys() {
        if !matches!(
            k.as_str(),
            "name" | "cost" | "description" | "id" | "created_at"
        ) {
            unknown.push(FieldError::new(k.as_str(), "is not a reward field"));
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::Validation(unknown));
    }
    let current = find_reward(&ctx, &caller).await?;
    let mut merged = serde_json::to_value(&current)?;
    for (k, v) in patch {
        merged[k] = v.clone();
    }
    let (name, cost, description) = parse_reward(&merged)?;
    let r = Reward {
        name,
        cost,
        description,
        ..current
    };
    ctx.d1()?
        .prepare("UPDATE os_rewards SET name = ?1, cost = ?2, description = ?3 WHERE id = ?4 AND user_id = ?5")
        .bind(&[
            r.name.as_str().into(),
            (r.cost as f64).into(),
            r.description.as_str().into(),
            r.id.as_str().into(),
            caller.user_id.as_str().into(),
        ])?
        .run()
        .await?;
    http::json(200, &r)
}

pub async fn delete_reward(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::delete_owned(&ctx, &caller, "os_rewards", "reward").await
}

pub async fn redeem(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let reward = find_reward(&ctx, &caller).await?;
    let user = caller.user_id.clone();
    let db = ctx.d1()?;
    // The conditional debit and the balance after it, in one batch (one round trip).
    let results = db
        .batch(vec![
            db.prepare(
                "INSERT INTO os_wallet_ledger (id, user_id, delta, reason, source_type, source_id, created_at) \
                 SELECT ?1, ?2, -?3, ?4, 'reward', ?5, ?6 \
                 WHERE (SELECT COALESCE(SUM(delta), 0) FROM os_wallet_ledger WHERE user_id = ?2) >= ?3",
            )
            .bind(&[
                ids::new_id()?.into(),
                user.as_str().into(),
                (reward.cost as f64).into(),
                format!("redeemed reward: {}", reward.name).into(),
                reward.id.as_str().into(),
                ids::now_rfc3339().into(),
            ])?,
            db.prepare(BALANCE).bind(&[user.as_str().into()])?,
        ])
        .await?;
    #[derive(Deserialize)]
    struct B {
        b: i64,
    }
    let (Some(debit), Some(after)) = (results.first(), results.get(1)) else {
        return Err(ApiError::internal("redeem: short batch"));
    };
    let balance = after.results::<B>()?.pop().map_or(0, |b| b.b);
    if crate::platform::db::changes(debit)? == 0 {
        return Err(ApiError::Conflict(format!(
            "{} points needed, {balance} available",
            reward.cost
        )));
    }
    http::json(200, &json!({"reward": reward, "balance": balance}))
}

fn reward_schema() -> Value {
    json!({"title": "Reward", "type": "object", "properties": {"id": {"type": "string", "readOnly": true}, "name": crate::platform::fields::example(text_schema(100), "Movie night"),
        "cost": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "description": "Points."},
        "description": free_text_schema(1000), "created_at": {"type": "string", "format": "date-time", "readOnly": true}}})
}

/// Fields a client may send back but that are not written.
const REWARD_READ_ONLY: &[&str] = &["id", "created_at"];

fn create_reward_body() -> Value {
    body(reward_schema(), &["name", "cost"], REWARD_READ_ONLY)
}

fn update_reward_body() -> Value {
    body(reward_schema(), &[], REWARD_READ_ONLY)
}

pub const WALLET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Points balance and ledger",
    description: "`{balance, ledger, next_cursor}`: the balance is the sum of the ledger; each entry has delta, reason, \
        source_type and source_id. The ledger is paginated (limit, cursor).",
    request: None,
    response: (200, || crate::schema!({"type": "object", "properties": {"balance": {"type": "integer"}, "ledger": {"type": "array"}}})),
};
pub const CREATE_REWARD_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Create a reward",
    description: "`{name, cost, description?}`.",
    request: Some(create_reward_body),
    response: (201, reward_schema),
};
pub const LIST_REWARDS_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "List rewards",
    description:
        "Filters: q (in the name, ignoring ASCII case), max_cost (e.g. the wallet balance, to list \
        what can be redeemed now); paginated.",
    request: None,
    response: (200, || page_of(reward_schema())),
};
pub const GET_REWARD_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a reward",
    description: "",
    request: None,
    response: (200, reward_schema),
};
pub const UPDATE_REWARD_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a reward",
    description:
        "Partial update of `{name, cost, description}`; past redemptions keep what they cost.",
    request: Some(update_reward_body),
    response: (200, reward_schema),
};
pub const DELETE_REWARD_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a reward",
    description: "",
    request: None,
    response: (204, no_body),
};
pub const REDEEM_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Redeem a reward",
    description: "Deducts its cost from the wallet; 409 when the balance would go below zero.",
    request: None,
    response: (
        200,
        || json!({"type": "object", "properties": {"reward": reward_schema(), "balance": {"type": "integer"}}}),
    ),
};
