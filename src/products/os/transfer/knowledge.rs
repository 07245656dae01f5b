//! Import checks of the knowledge vault: courses, flashcards and skills.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::check::{without, Import};
use super::tables;
use crate::platform::error::ApiError;
use crate::platform::ids;
use crate::products::os::rules::skills as skill_rules;
use crate::products::os::{courses, date, flashcards, skills, text};

/// Courses and their modules.
pub(super) fn courses(x: &mut Import) -> Result<(), ApiError> {
    // Courses and modules.
    let (mut out, mut modules_out) = (Vec::new(), Vec::new());
    for (i, r) in x.rows("courses").iter().enumerate() {
        let p = format!("courses[{i}]");
        let f =
            x.c.fields(&p, courses::Fields::parse(&without(r, &["modules"]), true));
        let id = x.new_id("course", r);
        let modules = x.c.list(r.get("modules"), &format!("{p}.modules"));
        if modules.len() > courses::MAX_MODULES {
            x.c.fail(
                format!("{p}.modules"),
                format!("at most {} modules", courses::MAX_MODULES),
            );
        }
        for (j, m) in modules.iter().enumerate() {
            let mp = format!("{p}.modules[{j}]");
            let mut e = Vec::new();
            let title = text(&m["title"], "title", 200, &mut e);
            x.c.nested(&mp, e);
            let position = x.c.int(
                m.get("position"),
                &format!("{mp}.position"),
                1..=10_000,
                j as i64 + 1,
            );
            let done =
                x.c.optional_timestamp(m.get("completed_at"), &format!("{mp}.completed_at"));
            let created =
                x.c.timestamp(m.get("created_at"), &format!("{mp}.created_at"), &x.now);
            modules_out.push(
                json!({"id": ids::new_id()?, "course_id": id, "title": title, "position": position,
                "completed_at": done, "created_at": created}),
            );
        }
        let Some(f) = f else { continue };
        let (created, updated) = x.c.times(r, &p, &x.now);
        out.push(
            json!({"id": id, "title": f.title, "description": f.description.unwrap_or_default(),
            "url": f.url.flatten(),
            "created_at": created,
            "updated_at": updated}),
        );
    }
    x.plan.counts.insert("courses".into(), out.len().into());
    x.plan.table(&tables::COURSES, out);
    x.plan.table(&tables::COURSE_MODULES, modules_out);
    Ok(())
}

/// Flashcards with their SM-2 state.
pub(super) fn flashcards(x: &mut Import) -> Result<(), ApiError> {
    // Flashcards with their SM-2 state.
    let mut out = Vec::new();
    for (i, r) in x.rows("flashcards").iter().enumerate() {
        let p = format!("flashcards[{i}]");
        let state = [
            "id",
            "repetitions",
            "interval_days",
            "ease",
            "due_on",
            "created_at",
            "updated_at",
        ];
        let f = x.c.parsed(&p, flashcards::parse(&without(r, &state), true));
        let repetitions = x.c.int(
            r.get("repetitions"),
            &format!("{p}.repetitions"),
            0..=10_000,
            0,
        );
        let interval = x.c.int(
            r.get("interval_days"),
            &format!("{p}.interval_days"),
            0..=36_500,
            0,
        );
        let ease = match r.get("ease") {
            None => 2.5,
            Some(v) => match v.as_f64().filter(|e| (1.3..=10.0).contains(e)) {
                Some(e) => e,
                None => {
                    x.c.fail(format!("{p}.ease"), "must be a number from 1.3 to 10");
                    2.5
                }
            },
        };
        let mut e = Vec::new();
        let due = r
            .get("due_on")
            .map_or(Some(x.today), |d| date(d, "due_on", &mut e));
        x.c.nested(&p, e);
        let (Some(f), Some(due)) = (f, due) else {
            continue;
        };
        let (created, updated) = x.c.times(r, &p, &x.now);
        out.push(json!({"id": x.new_id("flashcard", r), "front": f.front, "back": f.back, "deck": f.deck.flatten(),
            "repetitions": repetitions, "interval_days": interval, "ease": ease, "due_on": due.to_string(),
            "created_at": created,
            "updated_at": updated}));
    }
    x.plan.counts.insert("flashcards".into(), out.len().into());
    x.plan.table(&tables::FLASHCARDS, out);
    Ok(())
}

/// Skills: the tree is acyclic and respects the level locks.
pub(super) fn skills(x: &mut Import) -> Result<(), ApiError> {
    // Skills: the tree must be acyclic and respect the level locks.
    let (mut out, mut prereqs_out) = (Vec::new(), Vec::new());
    let mut levels: HashMap<String, i64> = HashMap::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut seen_edges: HashSet<(String, String)> = HashSet::new();
    for (i, r) in x.rows("skills").iter().enumerate() {
        let p = format!("skills[{i}]");
        let Some(f) = x.c.fields(&p, skills::Fields::parse(r, true)) else {
            continue;
        };
        let (level, max) = (f.level.unwrap_or(0), f.max_level.unwrap_or(5));
        if level > max {
            x.c.fail(
                format!("{p}.level"),
                format!("must not exceed max_level ({max})"),
            );
        }
        let id = x.new_id("skill", r);
        levels.insert(id.clone(), level);
        for (j, old) in
            x.c.list(r.get("prerequisites"), &format!("{p}.prerequisites"))
                .iter()
                .enumerate()
        {
            match old.as_str().and_then(|o| x.ids.get("skill", o)).cloned() {
                None => x.c.fail(
                    format!("{p}.prerequisites[{j}]"),
                    "is not a skill of this document",
                ),
                Some(req) => {
                    if seen_edges.insert((id.clone(), req.clone())) {
                        prereqs_out.push(json!({"skill_id": id, "requires_id": req}));
                        edges.push((id.clone(), req));
                    }
                }
            }
        }
        let (created, updated) = x.c.times(r, &p, &x.now);
        out.push(
            json!({"id": id, "name": f.name, "description": f.description.unwrap_or_default(),
            "level": level, "max_level": max,
            "created_at": created,
            "updated_at": updated}),
        );
    }
    if let Err(why) = skill_rules::check_tree(&levels, &edges) {
        x.c.fail("skills", why);
    }
    x.plan.counts.insert("skills".into(), out.len().into());
    x.plan.table(&tables::SKILLS, out);
    x.plan.table(&tables::SKILL_PREREQUISITES, prereqs_out);
    Ok(())
}
