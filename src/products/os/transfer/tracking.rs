//! Import checks of tracking: metrics, habits and the logbook.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::check::{parse_date, without, Import};
use super::tables;
use super::MILESTONES;
use crate::platform::error::{ApiError, FieldError};
use crate::products::os::rules::goals::metric_score;
use crate::products::os::rules::habits::Schedule;
use crate::products::os::rules::metrics::Log;
use crate::products::os::{date, habits, logbook, metrics, text};

/// Metrics with their logs and milestones (before goals, whose links score them).
pub(super) fn metrics(x: &mut Import) -> Result<(), ApiError> {
    // Metrics with logs and milestones (before goals, whose links score them).
    let (mut out, mut logs_out, mut ms_out) = (Vec::new(), Vec::new(), Vec::new());
    for (i, r) in x.rows("metrics").iter().enumerate() {
        let p = format!("metrics[{i}]");
        let f = x.c.parsed(&p, metrics::parse(&without(r, &["logs"]), true));
        let id = x.new_id("metric", r);
        let mut logs = Vec::new();
        for (j, l) in
            x.c.list(r.get("logs"), &format!("{p}.logs"))
                .iter()
                .enumerate()
        {
            let day = l["date"].as_str().and_then(parse_date);
            match (day, l["value"].as_f64().filter(|v| v.is_finite())) {
                (Some(d), Some(v)) if logs.iter().all(|x: &Log| x.date != d) => {
                    logs.push(Log { date: d, value: v });
                    logs_out.push(json!({"metric_id": id, "date": d.to_string(), "value": v, "created_at": x.now}));
                }
                (Some(_), Some(_)) => x.c.fail(format!("{p}.logs[{j}].date"), "is repeated"),
                _ => x.c.fail(
                    format!("{p}.logs[{j}]"),
                    "must be {date: YYYY-MM-DD, value: number}",
                ),
            }
        }
        let mut kinds = HashSet::new();
        for (j, m) in
            x.c.list(r.get("milestones"), &format!("{p}.milestones"))
                .iter()
                .enumerate()
        {
            let field = format!("{p}.milestones[{j}]");
            match m["kind"].as_str().filter(|k| MILESTONES.contains(k)) {
                Some(k) if kinds.insert(k) => {
                    let at = x.c.timestamp(
                        m.get("achieved_at"),
                        &format!("{field}.achieved_at"),
                        &x.now,
                    );
                    ms_out.push(json!({"metric_id": id, "kind": k, "achieved_at": at}));
                }
                Some(_) => x.c.fail(field, "is repeated"),
                None => x.c.fail(
                    format!("{field}.kind"),
                    format!("must be one of {}", MILESTONES.join(", ")),
                ),
            }
        }
        let Some(f) = f else { continue };
        crate::platform::sort::sort_by_key(&mut logs, |l| l.date);
        let direction = f.direction.unwrap_or_else(|| "higher".into());
        let target = f.target.flatten();
        x.metric_scores.insert(
            id.clone(),
            metric_score(&logs, target, metrics::direction(&direction)),
        );
        let (created, updated) = x.c.times(r, &p, &x.now);
        out.push(
            json!({"id": id, "name": f.name, "unit": f.unit.unwrap_or_default(), "target": target,
            "direction": direction,
            "created_at": created,
            "updated_at": updated}),
        );
    }
    x.plan.counts.insert("metrics".into(), out.len().into());
    x.plan.table(&tables::METRICS, out);
    x.plan.table(&tables::METRIC_LOGS, logs_out);
    x.plan.table(&tables::METRIC_MILESTONES, ms_out);
    Ok(())
}

/// Habits with their logged days.
pub(super) fn habits(x: &mut Import) -> Result<(), ApiError> {
    // Habits with their logged days.
    let (mut out, mut logs_out) = (Vec::new(), Vec::new());
    for (i, r) in x.rows("habits").iter().enumerate() {
        let p = format!("habits[{i}]");
        let mut e = Vec::new();
        let name = match r.get("name") {
            Some(n) => text(n, "name", 100, &mut e),
            None => {
                e.push(FieldError::new("name", "is required"));
                None
            }
        };
        let schedule = match r.get("schedule") {
            None => Some(Schedule::Daily),
            Some(s) => habits::parse_schedule(s).map_err(|x| e.push(x)).ok(),
        };
        let start = match r.get("start_date") {
            None => Some(x.today),
            Some(v) => date(v, "start_date", &mut e),
        };
        x.c.nested(&p, e);
        let (Some(name), Some(schedule), Some(start)) = (name, schedule, start) else {
            continue;
        };
        let id = x.new_id("habit", r);
        let mut done = HashSet::new();
        for (j, d) in
            x.c.list(r.get("logs"), &format!("{p}.logs"))
                .iter()
                .enumerate()
        {
            match d.as_str().and_then(parse_date) {
                Some(d) if d >= start => {
                    if done.insert(d) {
                        logs_out.push(
                            json!({"habit_id": id, "date": d.to_string(), "created_at": x.now}),
                        );
                    }
                }
                Some(_) => {
                    x.c.fail(format!("{p}.logs[{j}]"), "is before the habit's start_date")
                }
                None => {
                    x.c.fail(format!("{p}.logs[{j}]"), "must be a date YYYY-MM-DD")
                }
            }
        }
        let (created, updated) = x.c.times(r, &p, &x.now);
        out.push(
            json!({"id": id, "name": name, "schedule": habits::schedule_json(&schedule).to_string(),
            "start_date": start.to_string(),
            "created_at": created,
            "updated_at": updated}),
        );
        x.habit_data.insert(id, (schedule, start, done));
    }
    x.plan.counts.insert("habits".into(), out.len().into());
    x.plan.table(&tables::HABITS, out);
    x.plan.table(&tables::HABIT_LOGS, logs_out);
    Ok(())
}

/// Logbook entries: links to entities outside the document are dropped, as when read.
pub(super) fn logbook(x: &mut Import) -> Result<(), ApiError> {
    // Logbook: links to entities outside the document are dropped, as when read.
    let mut out = Vec::new();
    for (i, r) in x.rows("logbook").iter().enumerate() {
        let p = format!("logbook[{i}]");
        let mut e = Vec::new();
        let day = r.get("date").and_then(|d| date(d, "date", &mut e));
        let content = r
            .get("content")
            .and_then(|t| text(t, "content", 20_000, &mut e));
        if r.get("date").is_none() {
            e.push(FieldError::new("date", "is required"));
        }
        if r.get("content").is_none() {
            e.push(FieldError::new("content", "is required"));
        }
        x.c.nested(&p, e);
        let links = x.c.parsed(&p, logbook::parse_links(r.get("links")));
        let (Some(day), Some(content), Some(links)) = (day, content, links) else {
            continue;
        };
        let kept: Vec<Value> = links
            .iter()
            .filter_map(|(kind, old)| {
                x.ids
                    .get(kind, old)
                    .map(|new| json!({"type": kind, "id": new}))
            })
            .collect();
        out.push(
            json!({"id": x.new_id("logbook", r), "date": day.to_string(), "content": content,
            "links": Value::Array(kept).to_string(),
            "created_at": x.c.timestamp(r.get("created_at"), &format!("{p}.created_at"), &x.now)}),
        );
    }
    x.plan.counts.insert("logbook".into(), out.len().into());
    x.plan.table(&tables::LOGBOOK, out);
    Ok(())
}
