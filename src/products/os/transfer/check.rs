//! The checker's state while an import document is read: errors named by path, old ids
//! mapped to new ones, and the rows planned for each table.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::tables::Table;
use crate::platform::error::{ApiError, FieldError};
use crate::products::os::rules::habits::Schedule;

/// Errors listed at most, so a broken document gets a readable answer.
const MAX_ERRORS: usize = 50;

/// Collects the errors of the whole document, each named by its path
/// (`tasks[3].priority`).
#[derive(Default)]
pub(super) struct Check {
    pub errors: Vec<FieldError>,
}

impl Check {
    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(FieldError::new(field, message));
        }
    }

    pub fn nested(&mut self, prefix: &str, errors: Vec<FieldError>) {
        for e in errors {
            self.fail(format!("{prefix}.{}", e.field), e.message);
        }
    }

    /// The value of a parser answering `ApiError::Validation`, or its errors recorded.
    pub fn parsed<T>(&mut self, prefix: &str, r: Result<T, ApiError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(ApiError::Validation(e)) => {
                self.nested(prefix, e);
                None
            }
            Err(other) => {
                self.fail(prefix, other.message());
                None
            }
        }
    }

    pub fn fields<T>(&mut self, prefix: &str, r: Result<T, Vec<FieldError>>) -> Option<T> {
        self.parsed(prefix, r.map_err(ApiError::Validation))
    }

    pub fn list<'a>(&mut self, v: Option<&'a Value>, field: &str) -> &'a [Value] {
        match v {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.fail(field, "must be a list");
                &[]
            }
        }
    }

    pub fn timestamp(&mut self, v: Option<&Value>, field: &str, now: &str) -> String {
        match v {
            None | Some(Value::Null) => now.to_string(),
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 40 => s.clone(),
            Some(_) => {
                self.fail(field, "must be a timestamp string");
                now.to_string()
            }
        }
    }

    /// A row's `created_at` and `updated_at`, kept as exported (now when absent).
    pub fn times(&mut self, r: &Value, p: &str, now: &str) -> (String, String) {
        (
            self.timestamp(r.get("created_at"), &format!("{p}.created_at"), now),
            self.timestamp(r.get("updated_at"), &format!("{p}.updated_at"), now),
        )
    }

    pub fn optional_timestamp(&mut self, v: Option<&Value>, field: &str) -> Value {
        match v {
            None | Some(Value::Null) => Value::Null,
            Some(_) => Value::String(self.timestamp(v, field, "")),
        }
    }

    pub fn int(
        &mut self,
        v: Option<&Value>,
        field: &str,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
    ) -> i64 {
        match v {
            None => default,
            Some(n) => match n.as_i64().filter(|n| range.contains(n)) {
                Some(n) => n,
                None => {
                    self.fail(
                        field,
                        format!(
                            "must be an integer from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    );
                    default
                }
            },
        }
    }
}

/// An object without the keys the section's parser does not take.
pub(super) fn without(v: &Value, keys: &[&str]) -> Value {
    let mut m: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
    for k in keys {
        m.remove(*k);
    }
    Value::Object(m)
}

/// Old id → new id, per kind of entity.
#[derive(Default)]
pub(super) struct Ids {
    pub by_kind: HashMap<&'static str, HashMap<String, String>>,
    pub any: HashMap<String, String>,
}

impl Ids {
    pub fn get(&self, kind: &str, old: &str) -> Option<&String> {
        self.by_kind.get(kind).and_then(|m| m.get(old))
    }
}

pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    crate::platform::fields::parse_date(s)
}

/// The checked document: rows per table, with new ids.
#[derive(Default)]
pub(super) struct Plan {
    pub tables: Vec<(&'static Table, Vec<Value>)>,
    pub goals: Vec<String>,
    pub counts: Map<String, Value>,
}

impl Plan {
    pub fn table(&mut self, table: &'static Table, rows: Vec<Value>) {
        self.tables.push((table, rows));
    }
}

/// Everything the section checks share: the document's lists, the new ids, the plan, and
/// what one section computes for a later one (metric scores and habit logs for goals).
pub(super) struct Import<'a> {
    pub c: Check,
    pub ids: Ids,
    pub plan: Plan,
    pub now: String,
    pub today: NaiveDate,
    pub lists: HashMap<&'static str, &'a [Value]>,
    pub metric_scores: HashMap<String, Option<f64>>,
    pub habit_data: HashMap<String, (Schedule, NaiveDate, HashSet<NaiveDate>)>,
}

impl<'a> Import<'a> {
    /// The rows of a section (`ledger` for the wallet's).
    pub fn rows(&self, section: &str) -> &'a [Value] {
        self.lists.get(section).copied().unwrap_or(&[])
    }

    /// The new id of a row of `kind`.
    pub fn new_id(&self, kind: &str, r: &Value) -> String {
        self.ids
            .get(kind, r["id"].as_str().unwrap_or_default())
            .cloned()
            .unwrap_or_default()
    }
}
