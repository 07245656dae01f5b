//! The rows the AI helpers read, loaded once per call and scoped to the caller.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Deserialize;

use super::Cx;
use crate::platform::error::ApiError;
use crate::platform::fields::parse_date;
use crate::products::os::rules::metrics::Log;

#[derive(Debug, Clone, Deserialize)]
pub struct Metric {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub target: Option<f64>,
    pub direction: String,
}

pub async fn metrics(cx: &Cx<'_>) -> Result<Vec<Metric>, ApiError> {
    Ok(cx
        .db
        .prepare("SELECT id, name, unit, target, direction FROM os_metrics WHERE user_id = ?1 ORDER BY id")
        .bind(&[cx.caller.user_id.as_str().into()])?
        .all()
        .await?
        .results()?)
}

pub async fn metric(cx: &Cx<'_>, id: &str) -> Result<Metric, ApiError> {
    let row: Option<Metric> = cx
        .db
        .prepare("SELECT id, name, unit, target, direction FROM os_metrics WHERE id = ?1 AND user_id = ?2")
        .bind(&[id.into(), cx.caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("metric"))
}

/// Every metric's logs by metric id, oldest first.
pub async fn metric_logs(cx: &Cx<'_>) -> Result<HashMap<String, Vec<Log>>, ApiError> {
    #[derive(Deserialize)]
    struct R {
        metric_id: String,
        date: String,
        value: f64,
    }
    let rows: Vec<R> = cx
        .db
        .prepare(
            "SELECT metric_id, date, value FROM os_metric_logs WHERE user_id = ?1 ORDER BY date",
        )
        .bind(&[cx.caller.user_id.as_str().into()])?
        .all()
        .await?
        .results()?;
    let mut out: HashMap<String, Vec<Log>> = HashMap::new();
    for r in rows {
        if let Some(date) = parse_date(&r.date) {
            out.entry(r.metric_id).or_default().push(Log {
                date,
                value: r.value,
            });
        }
    }
    Ok(out)
}

/// Every habit's done days by habit id, in order.
pub async fn habit_days(cx: &Cx<'_>) -> Result<HashMap<String, Vec<NaiveDate>>, ApiError> {
    #[derive(Deserialize)]
    struct R {
        habit_id: String,
        date: String,
    }
    let rows: Vec<R> = cx
        .db
        .prepare("SELECT habit_id, date FROM os_habit_logs WHERE user_id = ?1 ORDER BY date")
        .bind(&[cx.caller.user_id.as_str().into()])?
        .all()
        .await?
        .results()?;
    let mut out: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    for r in rows {
        if let Some(d) = parse_date(&r.date) {
            out.entry(r.habit_id).or_default().push(d);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub id: String,
    pub date: String,
    pub content: String,
}

/// Logbook entries from `from` to `to` (inclusive), oldest first.
pub async fn entries(cx: &Cx<'_>, from: NaiveDate, to: NaiveDate) -> Result<Vec<Entry>, ApiError> {
    Ok(cx
        .db
        .prepare("SELECT id, date, content FROM os_logbook WHERE user_id = ?1 AND date >= ?2 AND date <= ?3 ORDER BY date, id LIMIT 2000")
        .bind(&[cx.caller.user_id.as_str().into(), from.to_string().into(), to.to_string().into()])?
        .all()
        .await?
        .results()?)
}

pub async fn entry(cx: &Cx<'_>, id: &str) -> Result<Entry, ApiError> {
    let row: Option<Entry> = cx
        .db
        .prepare("SELECT id, date, content FROM os_logbook WHERE id = ?1 AND user_id = ?2")
        .bind(&[id.into(), cx.caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("logbook entry"))
}

#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: String,
    pub start_date: String,
    pub target_date: Option<String>,
}

pub async fn projects(cx: &Cx<'_>) -> Result<Vec<Project>, ApiError> {
    Ok(cx
        .db
        .prepare("SELECT id, name, description, start_date, target_date FROM os_projects WHERE user_id = ?1 ORDER BY id")
        .bind(&[cx.caller.user_id.as_str().into()])?
        .all()
        .await?
        .results()?)
}

pub async fn project(cx: &Cx<'_>, id: &str) -> Result<Project, ApiError> {
    projects(cx)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found("project"))
}

/// Values by date (one per date) for pairing series.
pub fn by_date(logs: &[Log]) -> BTreeMap<NaiveDate, f64> {
    logs.iter().map(|l| (l.date, l.value)).collect()
}
