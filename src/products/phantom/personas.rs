//! Personas: who the noise pretends to be. CRUD, LLM generation and rotation.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::D1Database;

use super::{noise, scheduler, settings};
use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::text;
use crate::platform::fields::{free_text_schema, nullable_schema, read_object, text_schema};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, page_of, Doc};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Persona {
    pub id: String,
    pub name: String,
    pub age: u32,
    pub occupation: String,
    pub location: String,
    pub interests: Vec<String>,
    pub shopping_style: String,
    pub description: String,
    pub is_active: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    name: String,
    age: i64,
    occupation: String,
    location: String,
    interests: String,
    shopping_style: String,
    description: String,
    #[serde(deserialize_with = "crate::platform::db::flag")]
    is_active: bool,
    created_at: String,
    updated_at: String,
}

impl From<Row> for Persona {
    fn from(r: Row) -> Self {
        Persona {
            id: r.id,
            name: r.name,
            age: r.age as u32,
            occupation: r.occupation,
            location: r.location,
            interests: serde_json::from_str(&r.interests).unwrap_or_default(),
            shopping_style: r.shopping_style,
            description: r.description,
            is_active: r.is_active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The writable fields of a persona, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonaFields {
    pub name: Option<String>,
    pub age: Option<u32>,
    pub occupation: Option<String>,
    pub location: Option<String>,
    pub interests: Option<Vec<String>>,
    pub shopping_style: Option<String>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
}

impl PersonaFields {
    /// Parses a JSON object. `full` requires every field a new persona needs.
    pub fn parse(v: &Value, full: bool) -> Result<Self, Vec<FieldError>> {
        read_object(
            v,
            "persona",
            READ_ONLY,
            REQUIRED,
            full,
            |f: &mut PersonaFields, k, v, e| {
                match k {
                    "name" => f.name = text(v, k, 100, e),
                    "occupation" => f.occupation = text(v, k, 100, e),
                    "location" => f.location = text(v, k, 120, e),
                    "shopping_style" => f.shopping_style = text(v, k, 60, e),
                    "description" => match v.as_str() {
                        Some(s) if s.chars().count() <= 2000 => {
                            f.description = Some(s.trim().to_string())
                        }
                        _ => e.push(FieldError::new(
                            k,
                            "must be a string of at most 2000 characters",
                        )),
                    },
                    "age" => match v.as_u64() {
                        Some(a) if (13..=100).contains(&a) => f.age = Some(a as u32),
                        _ => e.push(FieldError::new(k, "must be an integer from 13 to 100")),
                    },
                    "interests" => match v.as_array().filter(|a| (1..=20).contains(&a.len())) {
                        Some(items) => {
                            let mut list = Vec::with_capacity(items.len());
                            for (i, item) in items.iter().enumerate() {
                                if let Some(t) = text(item, &format!("interests[{i}]"), 50, e) {
                                    list.push(t.to_lowercase());
                                }
                            }
                            list.dedup();
                            f.interests = Some(list);
                        }
                        None => e.push(FieldError::new(k, "must be a list of 1 to 20 interests")),
                    },
                    "is_active" => match v.as_bool() {
                        Some(b) => f.is_active = Some(b),
                        None => e.push(FieldError::new(k, "must be a boolean")),
                    },
                    _ => return false,
                }
                true
            },
        )
    }
}

/// Schema check of an LLM-made persona (the same rules as a client's).
pub fn validate_generated(v: Value) -> Result<Value, String> {
    PersonaFields::parse(&v, true).map(|_| v).map_err(|e| {
        e.iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

const COLUMNS: &str = "id, name, age, occupation, location, interests, shopping_style, description, is_active, created_at, updated_at";

/// The writable columns of a persona, in [`COLUMNS`] order after `id`: shared by the
/// INSERT (`?2`–`?9`) and the UPDATE (`?1`–`?8`).
fn writable(p: &Persona) -> Result<[JsValue; 8], ApiError> {
    Ok([
        p.name.as_str().into(),
        f64::from(p.age).into(),
        p.occupation.as_str().into(),
        p.location.as_str().into(),
        serde_json::to_string(&p.interests)?.into(),
        p.shopping_style.as_str().into(),
        p.description.as_str().into(),
        f64::from(u8::from(p.is_active)).into(),
    ])
}

pub async fn find(db: &D1Database, user_id: &str, id: &str) -> Result<Option<Persona>, ApiError> {
    let row: Option<Row> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM phantom_personas WHERE id = ?1 AND user_id = ?2"
        ))
        .bind(&[id.into(), user_id.into()])?
        .first(None)
        .await?;
    Ok(row.map(Persona::from))
}

async fn get_owned(db: &D1Database, caller: &Caller, id: &str) -> Result<Persona, ApiError> {
    find(db, &caller.user_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("persona"))
}

/// Active personas of a user in rotation order.
pub async fn active(db: &D1Database, user_id: &str) -> Result<Vec<Persona>, ApiError> {
    let rows: Vec<Row> = db
        .prepare(format!("SELECT {COLUMNS} FROM phantom_personas WHERE user_id = ?1 AND is_active = 1 ORDER BY id"))
        .bind(&[user_id.into()])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(Persona::from).collect())
}

/// The persona the noise currently speaks as: the chosen one while it is active, else the
/// first active one.
pub async fn current(
    db: &D1Database,
    user_id: &str,
    chosen: Option<&str>,
) -> Result<Option<Persona>, ApiError> {
    Ok(pick(active(db, user_id).await?, chosen))
}

/// The persona noise is made as: the chosen one while it is active, else the first active
/// one (of `all`, the user's active personas).
pub fn pick(all: Vec<Persona>, chosen: Option<&str>) -> Option<Persona> {
    chosen
        .and_then(|c| all.iter().find(|p| p.id == c).cloned())
        .or_else(|| all.into_iter().next())
}

/// The user's settings and the persona noise is made as, read at once.
pub async fn settings_and_current(
    db: &D1Database,
    user_id: &str,
) -> Result<(settings::SettingsRow, Option<Persona>), ApiError> {
    let (row, all) = futures::try_join!(settings::load_for(db, user_id), active(db, user_id))?;
    let persona = pick(all, row.active_persona_id.as_deref());
    Ok((row, persona))
}

/// Inserts a persona; the first one of a user becomes active and starts the scheduler.
async fn insert(ctx: &Ctx, caller: &Caller, f: PersonaFields) -> Result<Persona, ApiError> {
    let db = ctx.d1()?;
    let now = ids::now_rfc3339();
    let p = Persona {
        id: ids::new_id()?,
        name: f.name.unwrap_or_default(),
        age: f.age.unwrap_or(30),
        occupation: f.occupation.unwrap_or_default(),
        location: f.location.unwrap_or_default(),
        interests: f.interests.unwrap_or_default(),
        shopping_style: f.shopping_style.unwrap_or_else(|| "research-heavy".into()),
        description: f.description.unwrap_or_default(),
        is_active: f.is_active.unwrap_or(true),
        created_at: now.clone(),
        updated_at: now,
    };
    let insert = db.prepare(format!(
        "INSERT INTO phantom_personas ({COLUMNS}, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))
    .bind(
        &[
            vec![p.id.as_str().into()],
            writable(&p)?.to_vec(),
            vec![
                p.created_at.as_str().into(),
                p.updated_at.as_str().into(),
                caller.user_id.as_str().into(),
            ],
        ]
        .concat(),
)?;
    scheduler::write_and_sync(&ctx.env, &db, &caller.user_id, vec![insert]).await?;
    Ok(p)
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let fields = PersonaFields::parse(&body, true).map_err(ApiError::Validation)?;
    let p = insert(&ctx, &caller, fields).await?;
    http::json(201, &p)
}

#[derive(Deserialize, Default)]
struct GenerateBody {
    hint: Option<String>,
}

pub async fn generate(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: GenerateBody = ctx.json().await?;
    if body.hint.as_ref().is_some_and(|h| h.chars().count() > 500) {
        return Err(ApiError::validation(
            "hint",
            "must be at most 500 characters",
        ));
    }
    let mut seed_bytes = [0u8; 8];
    ids::random_bytes(&mut seed_bytes)?;
    let task = super::ai::Task {
        feature: "persona",
        instructions:
            "Invent one realistic person. JSON object with: name (string), age (integer 18-80), \
            occupation, location (\"City, Region, Country\"), interests (3-5 lower-case hobbies), \
            shopping_style, description (two sentences)."
                .into(),
        context: json!({"hint": body.hint}),
        seed: u64::from_le_bytes(seed_bytes),
        validate: validate_generated,
    };
    let value = super::ai::generate(&ctx.env, &ctx.config.llm, &caller.user_id, &task).await?;
    let fields = PersonaFields::parse(&value, true)
        .map_err(|_| ApiError::UpstreamFailed("invalid persona".into()))?;
    let p = insert(&ctx, &caller, fields).await?;
    http::json(201, &p)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let page = ctx.page()?;
    let rows: Vec<Row> = ctx
        .d1()?
        .prepare(format!(
            "SELECT {COLUMNS} FROM phantom_personas WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .bind(&[
            caller.user_id.as_str().into(),
            page.after.as_deref().unwrap_or("").into(),
            f64::from(page.fetch()).into(),
        ])?
        .all()
        .await?
        .results()?;
    let items: Vec<Persona> = rows.into_iter().map(Persona::from).collect();
    http::json(200, &page.respond(items, |p| &p.id))
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let p = get_owned(&ctx.d1()?, &caller, ctx.param("id")).await?;
    http::json(200, &p)
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = PersonaFields::parse(&body, false).map_err(ApiError::Validation)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let mut p = get_owned(&db, &caller, ctx.param("id")).await?;
    if let Some(v) = f.name {
        p.name = v;
    }
    if let Some(v) = f.age {
        p.age = v;
    }
    if let Some(v) = f.occupation {
        p.occupation = v;
    }
    if let Some(v) = f.location {
        p.location = v;
    }
    if let Some(v) = f.interests {
        p.interests = v;
    }
    if let Some(v) = f.shopping_style {
        p.shopping_style = v;
    }
    if let Some(v) = f.description {
        p.description = v;
    }
    if let Some(v) = f.is_active {
        p.is_active = v;
    }
    p.updated_at = ids::now_rfc3339();
    let update = db.prepare(
        "UPDATE phantom_personas SET name = ?1, age = ?2, occupation = ?3, location = ?4, interests = ?5, \
         shopping_style = ?6, description = ?7, is_active = ?8, updated_at = ?9 WHERE id = ?10 AND user_id = ?11",
    )
    .bind(
        &[
            writable(&p)?.to_vec(),
            vec![
                p.updated_at.as_str().into(),
                p.id.as_str().into(),
                caller.user_id.as_str().into(),
            ],
        ]
        .concat(),
)?;
    scheduler::write_and_sync(&ctx.env, &db, &caller.user_id, vec![update]).await?;
    http::json(200, &p)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = caller.clone();
    let db = ctx.d1()?;
    let delete = db
        .prepare("DELETE FROM phantom_personas WHERE id = ?1 AND user_id = ?2")
        .bind(&[ctx.param("id").into(), caller.user_id.as_str().into()])?;
    let results = scheduler::write_and_sync(&ctx.env, &db, &caller.user_id, vec![delete]).await?;
    match results.first() {
        Some(r) if crate::platform::db::changes(r)? > 0 => http::no_content(),
        _ => Err(ApiError::not_found("persona")),
    }
}

/// Moves to the next active persona and records a `persona_rotate` event. Returns
/// `None` when there is no active persona.
pub async fn rotate(db: &D1Database, user_id: &str) -> Result<Option<(Persona, Value)>, ApiError> {
    let (row, all) = futures::try_join!(settings::load_for(db, user_id), active(db, user_id))?;
    if all.is_empty() {
        return Ok(None);
    }
    // The current persona is the chosen one, or the first active one (as `current` says).
    let i = row
        .active_persona_id
        .as_deref()
        .and_then(|c| all.iter().position(|p| p.id == c))
        .unwrap_or(0);
    let next = &all[(i + 1) % all.len()];
    let now = ids::now_rfc3339();
    let payload = json!({
        "from": row.active_persona_id,
        "to": next.id,
        "persona_name": next.name,
    });
    let event = noise::NewEvent {
        event_type: "persona_rotate",
        persona_id: Some(next.id.clone()),
        payload,
    };
    let mut stmts = vec![
        settings::save_statement(db, user_id, &row.settings)?,
        db.prepare("UPDATE phantom_settings SET active_persona_id = ?1, rotated_at = ?2 WHERE user_id = ?3")
            .bind(&[next.id.as_str().into(), now.as_str().into(), user_id.into()])?,
    ];
    let (stmt, stored) = noise::insert_statement(db, user_id, &event)?;
    stmts.push(stmt);
    crate::platform::db::write(db, stmts).await?;
    Ok(Some((next.clone(), stored)))
}

pub async fn rotate_now(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let (persona, event) = rotate(&ctx.d1()?, &caller.user_id).await?.ok_or_else(|| {
        ApiError::Conflict("no active persona to rotate to; create one first".into())
    })?;
    http::json(200, &json!({"active_persona": persona, "event": event}))
}

// ------------------------------------------------------------------ OpenAPI

pub fn schema() -> Value {
    json!({"title": "Persona", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true},
        "name": crate::platform::fields::example(text_schema(100), "Camille Martin"),
        "age": {"type": "integer", "minimum": 13, "maximum": 100, "examples": [34]},
        "occupation": crate::platform::fields::example(text_schema(100), "architect"),
        "location": crate::platform::fields::example(text_schema(120), "Lyon, Auvergne-Rhône-Alpes, FR"),
        "interests": {"type": "array", "items": text_schema(50), "minItems": 1, "maxItems": 20},
        "shopping_style": crate::platform::fields::example(text_schema(60), "bargain hunter"),
        "description": {"type": "string", "maxLength": 2000},
        "is_active": {"type": "boolean", "default": true, "description": "in the rotation"},
        "created_at": {"type": "string", "format": "date-time", "readOnly": true},
        "updated_at": {"type": "string", "format": "date-time", "readOnly": true}
    }})
}

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &["id", "created_at", "updated_at"];
/// Fields a create must have.
const REQUIRED: &[&str] = &["name", "age", "occupation", "location", "interests"];

fn create_body() -> Value {
    body(schema(), REQUIRED, READ_ONLY)
}

fn update_body() -> Value {
    body(schema(), &[], READ_ONLY)
}

pub const CREATE_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Create a persona",
    description: "Required: name, age, occupation, location, interests. The first persona becomes the active one \
        and starts the user's scheduler (when enabled).",
    request: Some(create_body),
    response: (201, schema),
};
pub const GENERATE_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Generate a persona with the LLM broker",
    description:
        "`{hint?}` steers the result (e.g. \"likes coffee\"). Validated like a client's persona; \
        502 upstream_failed when the model cannot produce a valid one in 3 tries.",
    request: Some(
        || json!({"type": "object", "additionalProperties": false, "properties": {"hint": nullable_schema(free_text_schema(500))}}),
    ),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "List personas",
    description: "Paginated: limit, cursor.",
    request: None,
    response: (200, || page_of(schema())),
};
pub const GET_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Get a persona",
    description: "",
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Update a persona",
    description: "Partial update.",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Delete a persona",
    description: "Its events keep existing without it.",
    request: None,
    response: (204, no_body),
};
pub const ROTATE_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Rotate to the next active persona now",
    description: "Returns the new active persona and the `persona_rotate` event it emitted. 409 when no persona is active.",
    request: None,
    response: (200, || json!({"type": "object", "properties": {"active_persona": schema(), "event": noise::event_schema()}})),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_persona_needs_core_fields() {
        let errs = PersonaFields::parse(&json!({"name": "Ann"}), true).expect_err("missing");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["age", "occupation", "location", "interests"]);
    }

    #[test]
    fn fields_are_checked() {
        let errs = PersonaFields::parse(
            &crate::schema!({"name": "", "age": 7, "interests": [], "is_active": "yes", "favourite": 1}),
            false,
        )
        .expect_err("bad");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["name", "age", "interests", "is_active", "favourite"] {
            assert!(fields.contains(&f), "{f}");
        }
        let ok = PersonaFields::parse(
            &crate::schema!({"interests": [" Coffee ", "coffee", "hiking"]}),
            false,
        )
        .expect("ok");
        assert_eq!(
            ok.interests,
            Some(vec!["coffee".to_string(), "hiking".into()])
        );
    }

    #[test]
    fn offline_personas_pass_validation() {
        for seed in 0..50 {
            let v = crate::products::phantom::offline::generate("persona", seed, &json!({}))
                .expect("persona");
            assert!(validate_generated(v).is_ok(), "seed {seed}");
        }
    }
}
