//! The skill tree: skills with levels and prerequisites, by the rules of `rules::skills`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::{graph, skills as rules};
use super::{free_text, object, text};
use crate::platform::auth::Caller;
use crate::platform::db::changes;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::{read_object, text_schema};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, page_of, Doc};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub description: String,
    pub level: i64,
    pub max_level: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, description, level, max_level, created_at, updated_at";

/// All the caller's skills and prerequisite edges (skill → required skill): the tree is
/// small, and levels, locks and tiers need all of it.
pub struct Tree {
    pub skills: Vec<Row>,
    pub edges: Vec<(String, String)>,
}

impl Tree {
    pub async fn load(db: &D1Database, user_id: &str) -> Result<Tree, ApiError> {
        #[derive(Deserialize)]
        struct E {
            skill_id: String,
            requires_id: String,
        }
        let r = db
            .batch(vec![
                db.prepare(format!(
                    "SELECT {COLUMNS} FROM os_skills WHERE user_id = ?1 ORDER BY id"
                ))
                .bind(&[user_id.into()])?,
                db.prepare(
                    "SELECT skill_id, requires_id FROM os_skill_prerequisites WHERE user_id = ?1 \
                     ORDER BY skill_id, requires_id",
                )
                .bind(&[user_id.into()])?,
            ])
            .await?;
        let (Some(s), Some(e)) = (r.first(), r.get(1)) else {
            return Err(ApiError::internal("skill tree: short batch"));
        };
        Ok(Tree {
            skills: s.results()?,
            edges: e
                .results::<E>()?
                .into_iter()
                .map(|e| (e.skill_id, e.requires_id))
                .collect(),
        })
    }

    fn get(&self, id: &str) -> Result<&Row, ApiError> {
        self.skills
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| ApiError::not_found("skill"))
    }

    fn level(&self, id: &str) -> i64 {
        self.skills
            .iter()
            .find(|s| s.id == id)
            .map_or(0, |s| s.level)
    }

    fn requires(&self, id: &str) -> Vec<&str> {
        self.edges
            .iter()
            .filter(|(s, _)| s == id)
            .map(|(_, r)| r.as_str())
            .collect()
    }

    fn required_by(&self, id: &str) -> Vec<&str> {
        self.edges
            .iter()
            .filter(|(_, r)| r == id)
            .map(|(s, _)| s.as_str())
            .collect()
    }

    fn levels(&self, ids: &[&str]) -> Vec<i64> {
        ids.iter().map(|i| self.level(i)).collect()
    }

    pub fn views(&self) -> Vec<Value> {
        let ids: Vec<&str> = self.skills.iter().map(|s| s.id.as_str()).collect();
        let tiers = rules::tiers(&ids, &self.edges);
        self.skills
            .iter()
            .map(|s| {
                let requires = self.requires(&s.id);
                json!({
                    "id": s.id, "name": s.name, "description": s.description,
                    "level": s.level, "max_level": s.max_level,
                    "prerequisites": requires,
                    "unlocked": rules::unlocked(&self.levels(&requires)),
                    "tier": tiers.get(&s.id).copied().unwrap_or(0),
                    "created_at": s.created_at, "updated_at": s.updated_at,
                })
            })
            .collect()
    }

    fn view(&self, id: &str) -> Result<Value, ApiError> {
        self.views()
            .into_iter()
            .find(|v| v["id"] == id)
            .ok_or_else(|| ApiError::not_found("skill"))
    }
}

/// The writable skill fields, checked.
#[derive(Debug, Default)]
pub struct Fields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub level: Option<i64>,
    pub max_level: Option<i64>,
}

impl Fields {
    pub fn parse(v: &Value, full: bool) -> Result<Self, Vec<FieldError>> {
        read_object(
            v,
            "skill",
            READ_ONLY,
            REQUIRED,
            full,
            |f: &mut Fields, k, v, e| {
                match k {
                    "name" => f.name = text(v, k, 100, e),
                    "description" => f.description = free_text(v, k, 2000, e),
                    "level" => match v.as_i64() {
                        Some(l) if (0..=100).contains(&l) => f.level = Some(l),
                        _ => e.push(FieldError::new(k, "must be an integer from 0 to 100")),
                    },
                    "max_level" => match v.as_i64() {
                        Some(l) if (1..=100).contains(&l) => f.max_level = Some(l),
                        _ => e.push(FieldError::new(k, "must be an integer from 1 to 100")),
                    },
                    _ => return false,
                }
                true
            },
        )
    }
}

fn check_level(level: i64, max: i64) -> Result<(), ApiError> {
    if level > max {
        return Err(ApiError::validation(
            "level",
            format!("must not exceed max_level ({max})"),
        ));
    }
    Ok(())
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = Fields::parse(&body, true).map_err(ApiError::Validation)?;
    let (level, max) = (f.level.unwrap_or(0), f.max_level.unwrap_or(5));
    check_level(level, max)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    db.prepare(format!(
        "INSERT INTO os_skills ({COLUMNS}, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)"
    ))
    .bind(&[
        id.as_str().into(),
        f.name.unwrap_or_default().into(),
        f.description.unwrap_or_default().into(),
        (level as f64).into(),
        (max as f64).into(),
        now.into(),
        caller.user_id.as_str().into(),
    ])?
    .run()
    .await?;
    http::json(201, &Tree::load(&db, &caller.user_id).await?.view(&id)?)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let items = page.window(
        Tree::load(&ctx.d1()?, &caller.user_id).await?.views(),
        |v: &Value| v["id"].as_str().unwrap_or(""),
        |v| {
            search
                .as_ref()
                .is_none_or(|s| s.matches(v["name"].as_str().unwrap_or("")))
        },
    );
    http::json(
        200,
        &page.respond(items, |v| v["id"].as_str().unwrap_or("")),
    )
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(
        200,
        &Tree::load(&ctx.d1()?, &caller.user_id)
            .await?
            .view(ctx.param("id"))?,
    )
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    object(&body)?;
    let f = Fields::parse(&body, false).map_err(ApiError::Validation)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let mut tree = Tree::load(&db, &caller.user_id).await?;
    let s = tree.get(ctx.param("id"))?.clone();
    let level = f.level.unwrap_or(s.level);
    let max = f.max_level.unwrap_or(s.max_level);
    check_level(level, max)?;
    if level != s.level {
        rules::level_change(
            level,
            &tree.levels(&tree.requires(&s.id)),
            &tree.levels(&tree.required_by(&s.id)),
        )
        .map_err(|why| ApiError::Conflict(why.into()))?;
    }
    let was = s.level;
    let updated = Row {
        name: f.name.unwrap_or(s.name),
        description: f.description.unwrap_or(s.description),
        level,
        max_level: max,
        updated_at: ids::now_rfc3339(),
        ..s
    };
    // The level moves only from the value read, so a concurrent change answers 409
    // instead of breaking the lock rules.
    let r = db
        .prepare(
            "UPDATE os_skills SET name = ?1, description = ?2, level = ?3, max_level = ?4, updated_at = ?5 \
             WHERE id = ?6 AND user_id = ?7 AND level = ?8",
        )
        .bind(&[
            updated.name.as_str().into(),
            updated.description.as_str().into(),
            (updated.level as f64).into(),
            (updated.max_level as f64).into(),
            updated.updated_at.as_str().into(),
            updated.id.as_str().into(),
            caller.user_id.as_str().into(),
            (was as f64).into(),
        ])?
        .run()
        .await?;
    if changes(&r)? == 0 {
        return Err(ApiError::Conflict(
            "the skill changed meanwhile; read it again".into(),
        ));
    }
    // The tree as it now is: the one read, with this skill as written.
    let id = updated.id.clone();
    if let Some(slot) = tree.skills.iter_mut().find(|x| x.id == id) {
        *slot = updated;
    }
    http::json(200, &tree.view(&id)?)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::delete_owned(&ctx, &caller, "os_skills", "skill").await
}

pub async fn add_prerequisite(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = caller.clone();
    let db = ctx.d1()?;
    let mut tree = Tree::load(&db, &caller.user_id).await?;
    let skill = tree.get(ctx.param("id"))?;
    let required = tree.get(ctx.param("req_id"))?;
    if graph::would_cycle(&tree.edges, &skill.id, &required.id) {
        return Err(ApiError::Rule {
            code: "prerequisite_cycle",
            message: format!(
                "{} already requires, directly or not, {}",
                required.id, skill.id
            ),
        });
    }
    if skill.level > 0 && required.level < 1 {
        return Err(ApiError::Conflict(
            "the skill is already above level 0 and the prerequisite has not reached level 1"
                .into(),
        ));
    }
    db.prepare(
        "INSERT OR IGNORE INTO os_skill_prerequisites (user_id, skill_id, requires_id) VALUES (?1, ?2, ?3)",
    )
    .bind(&[
        caller.user_id.as_str().into(),
        skill.id.as_str().into(),
        required.id.as_str().into(),
    ])?
    .run()
    .await?;
    // The tree as it now is: the one read, with this edge (once).
    let edge = (skill.id.clone(), required.id.clone());
    let id = edge.0.clone();
    if !tree.edges.contains(&edge) {
        tree.edges.push(edge);
        crate::platform::sort::sort(&mut tree.edges);
    }
    http::json(201, &tree.view(&id)?)
}

pub async fn remove_prerequisite(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::run_or_404(
        ctx.d1()?
            .prepare(
                "DELETE FROM os_skill_prerequisites WHERE user_id = ?1 AND skill_id = ?2 AND requires_id = ?3",
            )
            .bind(&[
                caller.user_id.as_str().into(),
                ctx.param("id").into(),
                ctx.param("req_id").into(),
            ])?,
        "prerequisite",
    )
    .await?;
    http::no_content()
}

pub fn schema() -> Value {
    json!({"title": "Skill", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true}, "name": crate::platform::fields::example(text_schema(100), "Spanish"),
        "description": {"type": "string", "maxLength": 2000},
        "level": {"type": "integer", "minimum": 0, "maximum": 100, "default": 0},
        "max_level": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
        "prerequisites": {"type": "array", "items": {"type": "string"}, "readOnly": true},
        "unlocked": {"type": "boolean", "readOnly": true},
        "tier": {"type": "integer", "minimum": 0, "readOnly": true}}})
}

const RULES: &str = "A skill is unlocked when every prerequisite has reached level 1; only unlocked skills go above \
    level 0 (409 otherwise), and a prerequisite cannot drop to 0 while a skill requiring it is above 0 (409). `tier` \
    is 0 without prerequisites, else 1 + the highest tier among them.";

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &[
    "id",
    "prerequisites",
    "unlocked",
    "tier",
    "created_at",
    "updated_at",
];
/// Fields a create must have.
const REQUIRED: &[&str] = &["name"];

fn create_body() -> Value {
    body(schema(), REQUIRED, READ_ONLY)
}

fn update_body() -> Value {
    body(schema(), &[], READ_ONLY)
}

pub const CREATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Create a skill",
    description: "`{name, description?, level? (0), max_level? (5)}`; level ≤ max_level.",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "The skill tree",
    description: "Every skill with its level, lock and tier (rules as in GET /skills/{id}). Filter: q (in the name, \
        ignoring ASCII case); paginated.",
    request: None,
    response: (
        200,
        || page_of(schema()),
    ),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a skill",
    description: RULES,
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a skill or its level",
    description: RULES,
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a skill",
    description: "Its prerequisite links, both ways, go with it.",
    request: None,
    response: (204, no_body),
};
pub const ADD_PREREQ_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Make a skill require another",
    description: "422 `prerequisite_cycle` when the other skill already requires this one, directly or not; 409 when \
        this skill is above level 0 and the other has not reached level 1.",
    request: None,
    response: (201, schema),
};
pub const REMOVE_PREREQ_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Remove a prerequisite",
    description: "",
    request: None,
    response: (204, no_body),
};
