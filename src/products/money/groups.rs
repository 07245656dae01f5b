//! Groups: the creator and the members named by email. A registered email joins at once;
//! any other is a pending invite that becomes a membership when that email signs up. Only
//! members see a group (and its chats).

use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use worker::D1Database;

use crate::platform::auth::users::Email;
use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::{object, text};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{page_of, Doc};
use crate::platform::page::PageQuery;

pub const MAX_MEMBERS: usize = 50;

#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    pub email: String,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub joined_at: Option<String>,
}

impl Member {
    /// What a split calls this member.
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) if !n.trim().is_empty() => n.clone(),
            _ => self
                .email
                .split('@')
                .next()
                .unwrap_or(&self.email)
                .to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Row {
    id: String,
    owner_id: String,
    name: String,
    created_at: String,
}

/// The members of a group in the order they were named (the creator first).
pub async fn members(db: &D1Database, group_id: &str) -> Result<Vec<Member>, ApiError> {
    Ok(select_members(db, group_id)?.all().await?.results()?)
}

fn select_members(
    db: &D1Database,
    group_id: &str,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "SELECT m.email, m.user_id, u.name, m.joined_at FROM money_group_members m \
             LEFT JOIN users u ON u.id = m.user_id WHERE m.group_id = ?1 ORDER BY m.position",
        )
        .bind(&[group_id.into()])?)
}

/// The members of every group the caller is in, by group id, each in the order named.
async fn members_of_mine(
    db: &D1Database,
    caller: &Caller,
) -> Result<HashMap<String, Vec<Member>>, ApiError> {
    #[derive(Deserialize)]
    struct M {
        group_id: String,
        #[serde(flatten)]
        member: Member,
    }
    let rows: Vec<M> = db
        .prepare(
            "SELECT m.group_id, m.email, m.user_id, u.name, m.joined_at FROM money_group_members m \
             LEFT JOIN users u ON u.id = m.user_id WHERE m.group_id IN \
             (SELECT group_id FROM money_group_members WHERE user_id = ?1) ORDER BY m.group_id, m.position",
        )
        .bind(&[caller.user_id.as_str().into()])?
        .all()
        .await?
        .results()?;
    let mut out: HashMap<String, Vec<Member>> = HashMap::new();
    for r in rows {
        out.entry(r.group_id).or_default().push(r.member);
    }
    Ok(out)
}

/// A group the caller is a member of (404 otherwise).
async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Row, ApiError> {
    let row: Option<Row> = db
        .prepare(
            "SELECT g.id, g.owner_id, g.name, g.created_at FROM money_groups g WHERE g.id = ?1 AND EXISTS \
             (SELECT 1 FROM money_group_members m WHERE m.group_id = g.id AND m.user_id = ?2)",
        )
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("group"))
}

/// Whether the caller is a member of the group (chats use it).
pub async fn is_member(db: &D1Database, caller: &Caller, id: &str) -> Result<bool, ApiError> {
    Ok(find(db, caller, id).await.is_ok())
}

fn view(g: &Row, members: &[Member]) -> Value {
    json!({
        "id": g.id, "name": g.name, "owner_id": g.owner_id, "created_at": g.created_at,
        "members": members.iter().map(|m| json!({
            "email": m.email, "user_id": m.user_id, "name": m.name,
            "status": if m.user_id.is_some() { "member" } else { "pending" }, "joined_at": m.joined_at,
        })).collect::<Vec<_>>(),
    })
}

/// The statement that makes the pending invites to `email` memberships of `user_id`,
/// only while `email` is `user_id`'s verified address (so it may run in the batch that
/// verifies it, and does nothing when that batch's token turned out used).
pub fn claim_invites(
    db: &D1Database,
    user_id: &str,
    email: &str,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE money_group_members SET user_id = ?1, joined_at = ?2 WHERE email = ?3 AND user_id IS NULL \
             AND EXISTS (SELECT 1 FROM users WHERE id = ?1 AND lower(email) = ?3 AND email_verified_at IS NOT NULL)",
        )
        .bind(&[user_id.into(), ids::now_rfc3339().into(), email.to_lowercase().into()])?)
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let fields = object(&body)?;
    let mut errors = Vec::new();
    for k in fields.keys() {
        if !["name", "members"].contains(&k.as_str()) {
            errors.push(FieldError::new(k, "is not a field of a group"));
        }
    }
    let name = match fields.get("name") {
        Some(v) => text(v, "name", 100, &mut errors),
        None => {
            errors.push(FieldError::new("name", "is required"));
            None
        }
    };
    let mut emails: Vec<String> = Vec::new();
    match fields.get("members").map(|m| m.as_array()) {
        None => {}
        Some(Some(list)) if list.len() <= MAX_MEMBERS => {
            for (i, m) in list.iter().enumerate() {
                match m.as_str().map(Email::parse) {
                    Some(Ok(e)) => {
                        let e = e.as_str().to_lowercase();
                        if !emails.contains(&e) {
                            emails.push(e);
                        }
                    }
                    _ => errors.push(FieldError::new(
                        format!("members[{i}]"),
                        "must be an email address",
                    )),
                }
            }
        }
        Some(_) => errors.push(FieldError::new(
            "members",
            format!("must be a list of at most {MAX_MEMBERS} emails"),
        )),
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let db = ctx.d1()?;
    #[derive(Deserialize)]
    struct U {
        id: String,
        email: String,
    }
    let me = async {
        let me: Option<U> = db
            .prepare("SELECT id, COALESCE(email, id || '@wallet.invalid') AS email FROM users WHERE id = ?1")
            .bind(&[caller.user_id.as_str().into()])?
            .first(None)
            .await?;
        me.ok_or_else(|| ApiError::Unauthorized("unknown user".into()))
    };
    let known = async {
        let known: Vec<U> = db
            .prepare(
                "SELECT id, lower(email) AS email FROM users WHERE lower(email) IN (SELECT value FROM json_each(?1)) \
                 AND is_active = 1 AND email_verified_at IS NOT NULL",
            )
            .bind(&[serde_json::to_string(&emails)?.into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(known)
    };
    // The caller and the verified accounts among the addresses, read at once.
    let (me, known) = futures::try_join!(me, known)?;
    let my_email = me.email.to_lowercase();
    emails.retain(|e| *e != my_email);
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    let mut stmts = vec![
        db.prepare("INSERT INTO money_groups (id, owner_id, name, created_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(&[id.as_str().into(), me.id.as_str().into(), name.as_str().into(), now.as_str().into()])?,
        db.prepare("INSERT INTO money_group_members (group_id, email, user_id, position, joined_at) VALUES (?1, ?2, ?3, 0, ?4)")
            .bind(&[id.as_str().into(), my_email.as_str().into(), me.id.as_str().into(), now.as_str().into()])?,
    ];
    for (i, e) in emails.iter().enumerate() {
        let user = known.iter().find(|u| u.email == *e).map(|u| u.id.as_str());
        stmts.push(
            db.prepare("INSERT INTO money_group_members (group_id, email, user_id, position, joined_at) VALUES (?1, ?2, ?3, ?4, ?5)")
                .bind(&[
                    id.as_str().into(),
                    e.as_str().into(),
                    crate::platform::db::nullable(user),
                    ((i + 1) as f64).into(),
                    crate::platform::db::nullable(user.map(|_| now.as_str())),
                ])?,
        );
    }
    // Written, and its members read back, in one batch.
    stmts.push(select_members(&db, &id)?);
    let results = db.batch(stmts).await?;
    let members: Vec<Member> = match results.last() {
        Some(r) => r.results()?,
        None => Vec::new(),
    };
    let g = Row {
        id,
        owner_id: me.id,
        name,
        created_at: now,
    };
    http::json(201, &view(&g, &members))
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let db = ctx.d1()?;
    // Groups the caller is a member of, shaped so the page query scopes them by user.
    let query = PageQuery::new(
        "SELECT id, owner_id, name, created_at FROM (SELECT g.id, g.owner_id, g.name, g.created_at, m.user_id \
         FROM money_groups g JOIN money_group_members m ON m.group_id = g.id)",
    );
    // The page and the members of every group of the caller's, read at once.
    let (rows, mut members): (Vec<Row>, _) = futures::try_join!(
        query.fetch(&db, &caller, &page),
        members_of_mine(&db, &caller)
    )?;
    let items: Vec<Value> = rows
        .iter()
        .map(|g| view(g, &members.remove(&g.id).unwrap_or_default()))
        .collect();
    http::json(
        200,
        &page.respond(items, |v| v["id"].as_str().unwrap_or("")),
    )
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let id = ctx.param("id");
    // The group (404 unless the caller is a member) and its members, read at once; the
    // members are answered only once the group is found to be the caller's.
    let (g, members) = futures::try_join!(find(&db, &caller, id), members(&db, id))?;
    http::json(200, &view(&g, &members))
}

pub fn schema() -> Value {
    crate::schema!({"title": "Group", "type": "object", "required": ["id", "name", "owner_id", "members", "created_at"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "owner_id": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "members": {"type": "array", "items": {"type": "object", "properties": {
            "email": {"type": "string", "format": "email"}, "user_id": {"type": ["string", "null"]},
            "name": {"type": ["string", "null"]}, "status": {"type": "string", "enum": ["member", "pending"]},
            "joined_at": {"type": ["string", "null"]}}}}
    }})
}

pub const CREATE_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Create a group",
    description: "`{name, members: [email]}`: the creator is the first member; accounts whose address is verified join \
        at once, every other address is a pending invite that becomes a membership when its owner verifies it (the \
        verification link mailed at sign-up, or a password reset) — signing up with an address is not enough.",
    request: Some(|| json!({"type": "object", "required": ["name"], "additionalProperties": false, "properties": {
        "name": crate::platform::fields::example(crate::platform::fields::text_schema(100), "Flatmates"),
        "members": {"type": "array", "maxItems": MAX_MEMBERS, "items": {"type": "string", "format": "email"},
            "examples": [["sam@example.com", "ana@example.com"]]}}})),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "List my groups",
    description: "Groups the caller is a member of; paginated.",
    request: None,
    response: (200, || page_of(schema())),
};
pub const GET_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Get a group",
    description: "404 for a group the caller is not a member of.",
    request: None,
    response: (200, schema),
};
