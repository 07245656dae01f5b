//! Import checks of planning: projects, goals and tasks.

use std::collections::HashSet;

use serde_json::json;

use super::check::{parse_date, without, Check, Import};
use super::tables;
use crate::platform::error::ApiError;
use crate::products::os::rules::goals::habit_consistency;
use crate::products::os::rules::graph;
use crate::products::os::{goals, projects, tasks};

/// Projects.
pub(super) fn projects(x: &mut Import) -> Result<(), ApiError> {
    // Projects.
    let mut out = Vec::new();
    for (i, r) in x.rows("projects").iter().enumerate() {
        let p = format!("projects[{i}]");
        let Some(f) = x.c.parsed(&p, projects::parse(r, true)) else {
            continue;
        };
        let start = f.start_date.unwrap_or_else(|| x.today.to_string());
        let target = f.target_date.flatten();
        if target.as_deref().is_some_and(|t| t < start.as_str()) {
            x.c.fail(format!("{p}.target_date"), "must not be before start_date");
        }
        let (created, updated) = x.c.times(r, &p, &x.now);
        out.push(json!({"id": x.new_id("project", r), "name": f.name, "description": f.description.unwrap_or_default(),
            "start_date": start, "target_date": target,
            "created_at": created,
            "updated_at": updated}));
    }
    x.plan.counts.insert("projects".into(), out.len().into());
    x.plan.table(&tables::PROJECTS, out);
    Ok(())
}

/// Goals and their metric and habit links.
pub(super) fn goals(x: &mut Import) -> Result<(), ApiError> {
    // Goals and their metric and habit links.
    let (mut out, mut links_out) = (Vec::new(), Vec::new());
    for (i, r) in x.rows("goals").iter().enumerate() {
        let p = format!("goals[{i}]");
        let Some(f) = x.c.fields(
            &p,
            goals::Fields::parse(&without(r, &["metrics", "habits"]), true),
        ) else {
            continue;
        };
        let id = x.new_id("goal", r);
        let start = f.start_date.unwrap_or_else(|| x.today.to_string());
        let target = f.target_date.flatten();
        if target.as_deref().is_some_and(|t| t < start.as_str()) {
            x.c.fail(format!("{p}.target_date"), "must not be before start_date");
        }
        let window = (
            parse_date(&start).unwrap_or(x.today),
            target.as_deref().and_then(parse_date),
        );
        for kind in ["metric", "habit"] {
            let key = format!("{kind}s");
            let mut seen = HashSet::new();
            for (j, old) in
                x.c.list(r.get(key.as_str()), &format!("{p}.{key}"))
                    .iter()
                    .enumerate()
            {
                let Some(item) = old.as_str().and_then(|o| x.ids.get(kind, o)).cloned() else {
                    x.c.fail(
                        format!("{p}.{key}[{j}]"),
                        format!("is not a {kind} of this document"),
                    );
                    continue;
                };
                if !seen.insert(item.clone()) {
                    continue;
                }
                let score = if kind == "metric" {
                    x.metric_scores.get(&item).copied().flatten()
                } else {
                    x.habit_data.get(&item).and_then(|(s, hs, done)| {
                        habit_consistency(s, *hs, done, window.0, window.1, x.today)
                    })
                };
                links_out
                    .push(json!({"goal_id": id, "kind": kind, "item_id": item, "score": score}));
            }
        }
        let (created, updated) = x.c.times(r, &p, &x.now);
        out.push(json!({"id": id, "title": f.title, "description": f.description.unwrap_or_default(),
            "status": f.status.unwrap_or_else(|| "active".into()), "start_date": start, "target_date": target,
            "success_criteria": serde_json::to_string(&f.success_criteria.unwrap_or_default())?, "progress": 0,
            "created_at": created,
            "updated_at": updated}));
        x.plan.goals.push(id);
    }
    x.plan.counts.insert("goals".into(), out.len().into());
    x.plan.table(&tables::GOALS, out);
    x.plan.table(&tables::GOAL_LINKS, links_out);
    Ok(())
}

/// Tasks and their dependencies: the whole graph is checked at once (linear), not one search per edge.
pub(super) fn tasks(x: &mut Import) -> Result<(), ApiError> {
    // Tasks and their dependencies (acyclic).
    let (mut out, mut deps_out) = (Vec::new(), Vec::new());
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut edge_fields: Vec<String> = Vec::new();
    let mut seen_edges: HashSet<(String, String)> = HashSet::new();
    for (i, r) in x.rows("tasks").iter().enumerate() {
        let p = format!("tasks[{i}]");
        let Some(f) = x.c.fields(&p, tasks::TaskFields::parse(r, true)) else {
            continue;
        };
        let id = x.new_id("task", r);
        let ids = &x.ids;
        let link =
            |kind: &str, field: &str, v: Option<Option<String>>, c: &mut Check| -> Option<String> {
                let old = v.flatten()?;
                let new = ids.get(kind, &old).cloned();
                if new.is_none() {
                    c.fail(
                        format!("{p}.{field}"),
                        format!("is not a {kind} of this document"),
                    );
                }
                new
            };
        let project = link("project", "project_id", f.project_id, &mut x.c);
        let goal = link("goal", "goal_id", f.goal_id, &mut x.c);
        for (j, old) in
            x.c.list(r.get("depends_on"), &format!("{p}.depends_on"))
                .iter()
                .enumerate()
        {
            let field = format!("{p}.depends_on[{j}]");
            match old.as_str().and_then(|o| x.ids.get("task", o)).cloned() {
                None => x.c.fail(field, "is not a task of this document"),
                Some(dep) => {
                    if seen_edges.insert((id.clone(), dep.clone())) {
                        deps_out.push(json!({"task_id": id, "depends_on_id": dep}));
                        edges.push((id.clone(), dep));
                        edge_fields.push(field);
                    }
                }
            }
        }
        let (created, updated) = x.c.times(r, &p, &x.now);
        out.push(json!({"id": id, "title": f.title, "description": f.description.unwrap_or_default(),
            "status": f.status.unwrap_or_else(|| "todo".into()), "priority": f.priority.unwrap_or_else(|| "medium".into()),
            "area": f.area.flatten(), "effort": f.effort.unwrap_or(1), "due_date": f.due_date.flatten(),
            "project_id": project, "goal_id": goal,
            "completed_at": x.c.optional_timestamp(r.get("completed_at"), &format!("{p}.completed_at")),
            "created_at": created,
            "updated_at": updated}));
    }
    // The whole dependency graph at once (linear), not one search per edge.
    if let Some(i) = graph::cycle_edge(&edges) {
        x.c.fail(edge_fields[i].clone(), "closes a dependency cycle");
    }
    x.plan.counts.insert("tasks".into(), out.len().into());
    x.plan.table(&tables::TASKS, out);
    x.plan.table(&tables::TASK_DEPENDENCIES, deps_out);
    Ok(())
}
