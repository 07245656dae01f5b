//! Browsing plans: a persona's scripted session (`plan_data.steps[]`) the extension runs.
//! `GET /plans/next` hands out the oldest pending plan and marks it `in_progress` in one
//! statement, so two pollers never get the same plan.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::personas;
use crate::platform::auth::Caller;
use crate::platform::db::nullable;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{page_of, Doc};

pub const ACTIONS: &[&str] = &["search", "visit", "scroll", "click", "shop"];
const STATUSES: &[&str] = &["pending", "in_progress", "completed"];

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: String,
    pub persona_id: Option<String>,
    pub status: String,
    pub plan_data: Value,
    pub result: Option<Value>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    persona_id: Option<String>,
    status: String,
    plan_data: String,
    result: Option<String>,
    created_at: String,
    started_at: Option<String>,
    completed_at: Option<String>,
}

impl From<Row> for Plan {
    fn from(r: Row) -> Self {
        Plan {
            id: r.id,
            persona_id: r.persona_id,
            status: r.status,
            plan_data: serde_json::from_str(&r.plan_data).unwrap_or(Value::Null),
            result: r.result.and_then(|s| serde_json::from_str(&s).ok()),
            created_at: r.created_at,
            started_at: r.started_at,
            completed_at: r.completed_at,
        }
    }
}

const COLUMNS: &str =
    "id, persona_id, status, plan_data, result, created_at, started_at, completed_at";

/// Checks plan data: 1–50 steps, each `{action, query|url, dwell_seconds}` as the action needs.
pub fn validate_plan(v: Value) -> Result<Value, String> {
    let steps = v["steps"].as_array().ok_or("steps must be an array")?;
    if !(1..=50).contains(&steps.len()) {
        return Err("steps must have 1 to 50 entries".into());
    }
    for (i, s) in steps.iter().enumerate() {
        let action = s["action"]
            .as_str()
            .ok_or(format!("steps[{i}].action missing"))?;
        if !ACTIONS.contains(&action) {
            return Err(format!(
                "steps[{i}].action {action:?} is not one of {ACTIONS:?}"
            ));
        }
        match action {
            "search" if s["query"].as_str().is_none_or(|q| q.trim().is_empty()) => {
                return Err(format!("steps[{i}].query required for search"));
            }
            "visit" | "click" | "shop"
                if !s["url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://")) =>
            {
                return Err(format!("steps[{i}].url must be an http(s) URL"));
            }
            _ => {}
        }
        if !s["dwell_seconds"]
            .as_u64()
            .is_some_and(|d| (1..=3600).contains(&d))
        {
            return Err(format!("steps[{i}].dwell_seconds must be 1 to 3600"));
        }
    }
    Ok(v)
}

#[derive(Deserialize)]
struct GenerateBody {
    persona_id: String,
}

pub async fn generate(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: GenerateBody = ctx.json().await?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let persona = personas::find(&db, &caller.user_id, &body.persona_id)
        .await?
        .ok_or_else(|| ApiError::not_found("persona"))?;
    let mut seed = [0u8; 8];
    ids::random_bytes(&mut seed)?;
    let task = super::ai::Task {
        feature: "plan",
        instructions: "Plan one realistic browsing session for this persona. JSON object {\"steps\": [...]} with 6-12 \
            steps, each {\"action\": search|visit|scroll|click|shop, \"query\" (for search) or \"url\" (https, for \
            visit/click/shop), \"dwell_seconds\": integer}."
            .into(),
        context: json!({"persona": persona}),
        seed: u64::from_le_bytes(seed),
        validate: validate_plan,
    };
    let data = super::ai::generate(&ctx.env, &ctx.config.llm, &caller.user_id, &task).await?;
    let plan = Plan {
        id: ids::new_id()?,
        persona_id: Some(persona.id),
        status: "pending".into(),
        plan_data: data,
        result: None,
        created_at: ids::now_rfc3339(),
        started_at: None,
        completed_at: None,
    };
    db.prepare(
        "INSERT INTO phantom_plans (id, user_id, persona_id, status, plan_data, created_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?5)",
    )
    .bind(&[
        plan.id.as_str().into(),
        caller.user_id.as_str().into(),
        nullable(plan.persona_id.as_deref()),
        plan.plan_data.to_string().into(),
        plan.created_at.as_str().into(),
    ])?
    .run()
    .await?;
    http::json(201, &plan)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let status = ctx.query_param("status");
    if let Some(s) = status.as_deref() {
        if !STATUSES.contains(&s) {
            return Err(ApiError::validation(
                "status",
                "must be pending, in_progress or completed",
            ));
        }
    }
    let page = ctx.page()?;
    let rows: Vec<Row> = ctx
        .d1()?
        .prepare(format!(
            "SELECT {COLUMNS} FROM phantom_plans WHERE user_id = ?1 AND (?2 IS NULL OR status = ?2) AND id > ?3 \
             ORDER BY id LIMIT ?4"
        ))
        .bind(&[
            caller.user_id.as_str().into(),
            nullable(status.as_deref()),
            page.after.as_deref().unwrap_or("").into(),
            f64::from(page.fetch()).into(),
        ])?
        .all()
        .await?
        .results()?;
    let items: Vec<Plan> = rows.into_iter().map(Plan::from).collect();
    http::json(200, &page.respond(items, |p| &p.id))
}

async fn take_next(db: &D1Database, user_id: &str) -> Result<Option<Plan>, ApiError> {
    let row: Option<Row> = db
        .prepare(format!(
            "UPDATE phantom_plans SET status = 'in_progress', started_at = ?1 WHERE id = ( \
               SELECT id FROM phantom_plans WHERE user_id = ?2 AND status = 'pending' ORDER BY id LIMIT 1) \
             RETURNING {COLUMNS}"
        ))
        .bind(&[ids::now_rfc3339().into(), user_id.into()])?
        .first(None)
        .await?;
    Ok(row.map(Plan::from))
}

pub async fn next(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    match take_next(&ctx.d1()?, &caller.user_id).await? {
        Some(plan) => http::json(200, &plan),
        None => http::no_content(),
    }
}

#[derive(Deserialize)]
struct CompleteBody {
    #[serde(default)]
    result: Value,
}

pub async fn complete(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: CompleteBody = ctx.json().await?;
    if !(body.result.is_object() || body.result.is_null()) {
        return Err(ApiError::validation("result", "must be an object"));
    }
    let caller = caller.clone();
    let db = ctx.d1()?;
    let row: Option<Row> = db
        .prepare(format!(
            "UPDATE phantom_plans SET status = 'completed', completed_at = ?1, result = ?2 \
             WHERE id = ?3 AND user_id = ?4 AND status != 'completed' RETURNING {COLUMNS}"
        ))
        .bind(&[
            ids::now_rfc3339().into(),
            body.result.to_string().into(),
            ctx.param("id").into(),
            caller.user_id.as_str().into(),
        ])?
        .first(None)
        .await?;
    if let Some(r) = row {
        return http::json(200, &Plan::from(r));
    }
    let exists: Option<String> = db
        .prepare("SELECT id FROM phantom_plans WHERE id = ?1 AND user_id = ?2")
        .bind(&[ctx.param("id").into(), caller.user_id.as_str().into()])?
        .first(Some("id"))
        .await?;
    match exists {
        Some(_) => Err(ApiError::Conflict("plan is already completed".into())),
        None => Err(ApiError::not_found("plan")),
    }
}

fn plan_schema() -> Value {
    json!({"title": "Plan", "type": "object", "properties": {
        "id": {"type": "string"}, "persona_id": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": STATUSES},
        "plan_data": {"type": "object", "properties": {"steps": {"type": "array", "items": {"type": "object", "properties": {
            "action": {"type": "string", "enum": ACTIONS}, "query": {"type": "string"}, "url": {"type": "string"},
            "dwell_seconds": {"type": "integer"}}}}}},
        "result": {"type": ["object", "null"]},
        "created_at": {"type": "string"}, "started_at": {"type": ["string", "null"]}, "completed_at": {"type": ["string", "null"]}
    }})
}

pub const GENERATE_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Generate a browsing plan for a persona",
    description: "`{persona_id}`; the LLM broker writes the steps, which are validated.",
    request: Some(
        || crate::schema!({"type": "object", "required": ["persona_id"], "properties": {"persona_id": {"type": "string"}}}),
    ),
    response: (201, plan_schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "List plans",
    description: "`?status=pending|in_progress|completed`, paginated.",
    request: None,
    response: (200, || page_of(plan_schema())),
};
pub const NEXT_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Take the oldest pending plan",
    description: "Marks it in_progress atomically; 204 when none is pending. Because it changes state, it needs \
        `Authorization: Bearer` or `X-API-Key`; the cookie alone answers 401.",
    request: None,
    response: (200, || {
        let mut s = plan_schema();
        s["x-no-content"] = json!("No plan is pending");
        s
    }),
};
pub const COMPLETE_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Report a plan done",
    description: "`{result}` (object) is stored; completing twice → 409.",
    request: Some(
        || crate::schema!({"type": "object", "properties": {"result": {"type": "object"}}}),
    ),
    response: (200, plan_schema),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_validation() {
        assert!(validate_plan(
            crate::schema!({"steps": [{"action": "search", "query": "x", "dwell_seconds": 5}]})
        )
        .is_ok());
        assert!(validate_plan(json!({"steps": []})).is_err());
        assert!(
            validate_plan(crate::schema!({"steps": [{"action": "fly", "dwell_seconds": 5}]}))
                .is_err()
        );
        assert!(validate_plan(crate::schema!({"steps": [{"action": "visit", "url": "javascript:alert(1)", "dwell_seconds": 5}]})).is_err());
        assert!(validate_plan(
            crate::schema!({"steps": [{"action": "scroll", "dwell_seconds": 0}]})
        )
        .is_err());
    }

    #[test]
    fn offline_plans_pass_validation() {
        for seed in 0..50 {
            let v = crate::products::phantom::offline::generate(
                "plan",
                seed,
                &crate::schema!({"persona": {"interests": ["coffee", "unknown hobby"]}}),
            )
            .expect("plan");
            assert!(validate_plan(v).is_ok(), "seed {seed}");
        }
    }
}
