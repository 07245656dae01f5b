//! Linking tasks, metrics and habits to a goal (and unlinking them); each link write
//! refreshes the goal's cached progress in the same batch.

use worker::{D1Database, D1PreparedStatement};

use crate::platform::auth::Caller;
use crate::platform::db::{batch_or_404, nullable};
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{no_body, Doc};
use crate::products::os::{habits, metrics, settings, tasks};

use super::progress::*;
use super::*;

pub async fn link_task(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = caller.clone();
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let (g, t, mut links) = futures::try_join!(
        find(&db, &caller, id),
        tasks::find(&db, &caller, ctx.param("item_id")),
        links_of(&db, &caller.user_id, Some(id))
    )?;
    let mut stmts = vec![db
        .prepare("UPDATE os_tasks SET goal_id = ?1, updated_at = ?2 WHERE id = ?3 AND user_id = ?4")
        .bind(&[
            g.id.as_str().into(),
            ids::now_rfc3339().into(),
            t.id.as_str().into(),
            caller.user_id.as_str().into(),
        ])?];
    stmts.extend(refresh(
        &db,
        &caller.user_id,
        &[Some(&g.id), t.goal_id.as_deref()],
    )?);
    let mut links = links.remove(&g.id).unwrap_or_default();
    if !links.tasks.contains(&t.id) {
        links.tasks.push(t.id.clone());
        crate::platform::sort::sort(&mut links.tasks);
    }
    http::json(
        200,
        &write_then_view(&db, &caller, &g.id, stmts, links).await?,
    )
}

pub async fn unlink_task(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let goal = ctx.param("id");
    let mut stmts = vec![db
        .prepare(
            "UPDATE os_tasks SET goal_id = NULL, updated_at = ?1 WHERE id = ?2 AND user_id = ?3 AND goal_id = ?4",
        )
        .bind(&[
            ids::now_rfc3339().into(),
            ctx.param("item_id").into(),
            caller.user_id.as_str().into(),
            goal.into(),
        ])?];
    stmts.extend(refresh(&db, &caller.user_id, &[Some(goal)])?);
    unlinked(&db, stmts).await
}

pub(super) async fn unlinked(
    db: &D1Database,
    stmts: Vec<D1PreparedStatement>,
) -> Result<Response, ApiError> {
    batch_or_404(db, stmts, "link").await?;
    http::no_content()
}

/// `POST /goals/{id}/metrics/{item_id}` and `…/habits/{item_id}`: the goal, the item and
/// the goal's links read at once, then the link and the goal's refresh written and the
/// goal read back in one batch.
pub(super) async fn link_item(
    ctx: Ctx,
    caller: Caller,
    kind: &'static str,
) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let item = ctx.param("item_id");
    let (g, mut links, score) = if kind == "metric" {
        let (g, links, score) = futures::try_join!(
            find(&db, &caller, id),
            links_of(&db, &caller.user_id, Some(id)),
            metrics::score(&db, &caller, item)
        )?;
        (g, links, score)
    } else {
        let (g, links, habit, today) = futures::try_join!(
            find(&db, &caller, id),
            links_of(&db, &caller.user_id, Some(id)),
            habits::days(&db, &caller, item),
            settings::today(&db, &caller.user_id)
        )?;
        let (start, target) = g.window(today);
        let score = habit.consistency(start, target, today);
        (g, links, score)
    };
    let mut stmts = vec![db
        .prepare(
            "INSERT INTO os_goal_links (goal_id, user_id, kind, item_id, score) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (goal_id, kind, item_id) DO UPDATE SET score = excluded.score",
        )
        .bind(&[
            g.id.as_str().into(),
            caller.user_id.as_str().into(),
            kind.into(),
            item.into(),
            nullable(score),
        ])?];
    stmts.extend(refresh(&db, &caller.user_id, &[Some(&g.id)])?);
    let mut links = links.remove(&g.id).unwrap_or_default();
    let list = if kind == "metric" {
        &mut links.metrics
    } else {
        &mut links.habits
    };
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
        crate::platform::sort::sort(list);
    }
    http::json(
        200,
        &write_then_view(&db, &caller, &g.id, stmts, links).await?,
    )
}

pub(super) async fn unlink_item(
    ctx: Ctx,
    caller: Caller,
    kind: &'static str,
) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let goal = ctx.param("id");
    let mut stmts = vec![db
        .prepare(
            "DELETE FROM os_goal_links WHERE goal_id = ?1 AND user_id = ?2 AND kind = ?3 AND item_id = ?4",
        )
        .bind(&[
            goal.into(),
            caller.user_id.as_str().into(),
            kind.into(),
            ctx.param("item_id").into(),
        ])?];
    stmts.extend(refresh(&db, &caller.user_id, &[Some(goal)])?);
    unlinked(&db, stmts).await
}

pub async fn link_metric(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    link_item(ctx, caller, "metric").await
}
pub async fn unlink_metric(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    unlink_item(ctx, caller, "metric").await
}
pub async fn link_habit(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    link_item(ctx, caller, "habit").await
}
pub async fn unlink_habit(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    unlink_item(ctx, caller, "habit").await
}

pub const LINK_TASK_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Link a task to a goal",
    description: "Sets the task's goal_id (moving it from any other goal); both goals' progress is refreshed.",
    request: None,
    response: (200, schema),
};
pub const UNLINK_TASK_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Unlink a task from a goal",
    description: "404 when the task is not linked to this goal.",
    request: None,
    response: (204, no_body),
};
pub const LINK_METRIC_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Link a metric to a goal",
    description: "Its progress toward its target becomes part of the goal's progress. Linking twice is a no-op.",
    request: None,
    response: (200, schema),
};
pub const UNLINK_METRIC_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Unlink a metric from a goal",
    description: "",
    request: None,
    response: (204, no_body),
};
pub const LINK_HABIT_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Link a habit to a goal",
    description: "Its consistency over the goal's window becomes part of the goal's progress. Linking twice is a no-op.",
    request: None,
    response: (200, schema),
};
pub const UNLINK_HABIT_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Unlink a habit from a goal",
    description: "",
    request: None,
    response: (204, no_body),
};
