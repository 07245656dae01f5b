//! Metric helpers: patterns, anomalies, correlations, predict, targets, insights.

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{json, Value};

use super::data::{self, Metric};
use super::{id, list, object, stats, Cx, Draft, Feature};
use crate::platform::error::ApiError;
use crate::products::os::rules::metrics::Log;

pub static FEATURES: &[Feature] = &[
    PATTERNS,
    ANOMALIES,
    CORRELATIONS,
    PREDICT,
    TARGETS,
    INSIGHTS,
];

const TABLES: &[&str] = &["os_metrics", "os_metric_logs", "os_habits", "os_habit_logs"];
/// Shared dates a correlation needs.
pub const MIN_PAIRS: usize = 7;
/// |robust z| above this is an anomaly.
pub const Z_LIMIT: f64 = 3.5;

fn metric_input() -> Value {
    object(&[("metric_id", id())], &["metric_id"])
}

async fn load(cx: &Cx<'_>, input: &Value) -> Result<(Metric, Vec<Log>), ApiError> {
    let id = input["metric_id"].as_str().unwrap_or("");
    let (m, mut logs) = futures::try_join!(data::metric(cx, id), data::metric_logs(cx))?;
    let logs = logs.remove(&m.id).unwrap_or_default();
    Ok((m, logs))
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Mean by weekday (Monday first) and the least-squares slope per day.
pub fn patterns(logs: &[Log]) -> (Vec<Option<f64>>, Option<f64>) {
    let by_day: Vec<Option<f64>> = (0..7)
        .map(|d| {
            stats::mean(
                &logs
                    .iter()
                    .filter(|l| l.date.weekday().num_days_from_monday() == d)
                    .map(|l| l.value)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let first = logs.first().map(|l| l.date);
    let xs: Vec<f64> = logs
        .iter()
        .map(|l| first.map_or(0.0, |f| (l.date - f).num_days() as f64))
        .collect();
    let ys: Vec<f64> = logs.iter().map(|l| l.value).collect();
    (by_day, stats::linear_fit(&xs, &ys).map(|(_, b)| b))
}

// ---- patterns ----

pub const PATTERNS: Feature = Feature {
    path: "/api/os/ai/metrics/patterns",
    area: "metrics",
    name: "patterns",
    summary: "Weekday and trend patterns",
    prompt: "Describe the weekday pattern and the trend from the computed means and slope.",
    input: metric_input,
    output: || {
        object(
            &[
                ("best_day", crate::schema!({"type": ["string", "null"]})),
                ("worst_day", crate::schema!({"type": ["string", "null"]})),
                (
                    "trend",
                    crate::schema!({"type": "string", "enum": ["rising", "falling", "flat", "unknown"]}),
                ),
                ("description", crate::schema!({"type": "string"})),
            ],
            &["best_day", "worst_day", "trend", "description"],
        )
    },
    computed: || {
        object(
            &[
                ("n", crate::schema!({"type": "integer"})),
                ("weekday_means", crate::schema!({"type": "object"})),
                (
                    "slope_per_day",
                    crate::schema!({"type": ["number", "null"]}),
                ),
            ],
            &["n", "weekday_means", "slope_per_day"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(run_patterns(cx, input)),
    apply: None,
};

fn trend_of(slope: Option<f64>, logs: &[Log]) -> &'static str {
    let scale = stats::mean(&logs.iter().map(|l| l.value.abs()).collect::<Vec<_>>())
        .unwrap_or(0.0)
        .max(1e-9);
    match slope {
        None => "unknown",
        Some(s) if s.abs() * 30.0 < scale * 0.02 => "flat",
        Some(s) if s > 0.0 => "rising",
        Some(_) => "falling",
    }
}

fn best_worst(
    by_day: &[Option<f64>],
    higher: bool,
) -> (Option<&'static str>, Option<&'static str>) {
    let known: Vec<(usize, f64)> = by_day
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    let max = known
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| WEEKDAYS[*i]);
    let min = known
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| WEEKDAYS[*i]);
    if higher {
        (max, min)
    } else {
        (min, max)
    }
}

async fn run_patterns(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (m, logs) = load(cx, input).await?;
    let (by_day, slope) = patterns(&logs);
    let (best, worst) = best_worst(&by_day, m.direction == "higher");
    let trend = trend_of(slope, &logs);
    let means: serde_json::Map<String, Value> = WEEKDAYS
        .iter()
        .zip(&by_day)
        .map(|(d, v)| (d.to_string(), json!(v.map(|v| stats::round(v, 3)))))
        .collect();
    Ok(Draft {
        computed: json!({"n": logs.len(), "weekday_means": means, "slope_per_day": slope.map(|s| stats::round(s, 4))}),
        result: json!({"best_day": best, "worst_day": worst, "trend": trend,
            "description": match best { Some(b) => format!("{} is {trend}; {b} is usually your best day.", m.name), None => format!("{} has no logs yet.", m.name) }}),
    })
}

// ---- anomalies ----

pub const ANOMALIES: Feature = Feature {
    path: "/api/os/ai/metrics/anomalies",
    area: "metrics",
    name: "anomalies",
    summary: "Outliers by robust z-score",
    prompt: "Describe the outliers found; keep their dates and values.",
    input: metric_input,
    output: || {
        object(
            &[
                (
                    "anomalies",
                    list(object(
                        &[
                            ("date", crate::schema!({"type": "string", "format": "date"})),
                            ("value", crate::schema!({"type": "number"})),
                            ("z", crate::schema!({"type": "number"})),
                            (
                                "direction",
                                crate::schema!({"type": "string", "enum": ["high", "low"]}),
                            ),
                        ],
                        &["date", "value", "z", "direction"],
                    )),
                ),
                ("note", crate::schema!({"type": "string"})),
            ],
            &["anomalies", "note"],
        )
    },
    computed: || {
        object(
            &[
                ("n", crate::schema!({"type": "integer"})),
                ("median", crate::schema!({"type": ["number", "null"]})),
                ("mad", crate::schema!({"type": ["number", "null"]})),
                ("threshold", crate::schema!({"type": "number"})),
            ],
            &["n", "median", "mad", "threshold"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(run_anomalies(cx, input)),
    apply: None,
};

async fn run_anomalies(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (m, logs) = load(cx, input).await?;
    let values: Vec<f64> = logs.iter().map(|l| l.value).collect();
    let median = stats::median(&values);
    let mad = median
        .and_then(|md| stats::median(&values.iter().map(|v| (v - md).abs()).collect::<Vec<_>>()));
    let found: Vec<Value> = match stats::robust_z(&values) {
        Some(z) => logs.iter().zip(z).filter(|(_, z)| z.abs() > Z_LIMIT)
            .map(|(l, z)| json!({"date": l.date.to_string(), "value": l.value, "z": stats::round(z, 2), "direction": if z > 0.0 { "high" } else { "low" }})).collect(),
        None => Vec::new(),
    };
    let note = if values.len() < 5 {
        format!(
            "{} has {} log(s): too few to call anything unusual.",
            m.name,
            values.len()
        )
    } else if mad == Some(0.0) {
        "Most values are identical, so nothing stands out by a robust z-score.".into()
    } else {
        format!(
            "{} unusual value(s) among {} logs (|robust z| > {Z_LIMIT}).",
            found.len(),
            values.len()
        )
    };
    Ok(Draft {
        computed: json!({"n": values.len(), "median": median, "mad": mad, "threshold": Z_LIMIT}),
        result: json!({"anomalies": found, "note": note}),
    })
}

// ---- correlations ----

pub const CORRELATIONS: Feature = Feature {
    path: "/api/os/ai/metrics/correlations",
    area: "metrics",
    name: "correlations",
    summary: "Pearson and Spearman with other metrics and habits",
    prompt: "Describe the strongest correlations found; keep every coefficient and n.",
    input: metric_input,
    output: || {
        object(
            &[
                (
                    "pairs",
                    list(object(
                        &[
                            (
                                "kind",
                                crate::schema!({"type": "string", "enum": ["metric", "habit"]}),
                            ),
                            ("id", crate::schema!({"type": "string"})),
                            ("name", crate::schema!({"type": "string"})),
                            ("n", crate::schema!({"type": "integer"})),
                            ("pearson", crate::schema!({"type": ["number", "null"]})),
                            ("spearman", crate::schema!({"type": ["number", "null"]})),
                            ("reason", crate::schema!({"type": ["string", "null"]})),
                        ],
                        &["kind", "id", "name", "n", "pearson", "spearman", "reason"],
                    )),
                ),
                ("summary", crate::schema!({"type": "string"})),
            ],
            &["pairs", "summary"],
        )
    },
    computed: || {
        object(
            &[
                ("min_pairs", crate::schema!({"type": "integer"})),
                ("compared", crate::schema!({"type": "integer"})),
            ],
            &["min_pairs", "compared"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(run_correlations(cx, input)),
    apply: None,
};

/// Pearson and Spearman on paired values, or why not (fewer than [`MIN_PAIRS`], no variance).
pub fn correlate(xs: &[f64], ys: &[f64]) -> (Option<f64>, Option<f64>, Option<String>) {
    if xs.len() < MIN_PAIRS {
        return (
            None,
            None,
            Some(format!(
                "only {} shared date(s); {MIN_PAIRS} are needed",
                xs.len()
            )),
        );
    }
    match (stats::pearson(xs, ys), stats::spearman(xs, ys)) {
        (Some(p), s) => (
            Some(stats::round(p, 4)),
            s.map(|s| stats::round(s, 4)),
            None,
        ),
        _ => (None, None, Some("one of the series does not vary".into())),
    }
}

async fn run_correlations(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let id = input["metric_id"].as_str().unwrap_or("");
    // Every read at once: the metric, all logs, all metrics, habit days and habits.
    let (m, all_logs, metrics, days, habits) = futures::try_join!(
        data::metric(cx, id),
        data::metric_logs(cx),
        data::metrics(cx),
        data::habit_days(cx),
        crate::products::os::habits::all(cx.db, cx.caller)
    )?;
    let logs = all_logs.get(&m.id).cloned().unwrap_or_default();
    let mine = data::by_date(&logs);
    let mut pairs = Vec::new();
    for other in metrics.into_iter().filter(|o| o.id != m.id) {
        let theirs = data::by_date(all_logs.get(&other.id).map_or(&[][..], |l| l.as_slice()));
        let (xs, ys): (Vec<f64>, Vec<f64>) = mine
            .iter()
            .filter_map(|(d, v)| theirs.get(d).map(|w| (*v, *w)))
            .unzip();
        let (p, s, reason) = correlate(&xs, &ys);
        pairs.push(json!({"kind": "metric", "id": other.id, "name": other.name, "n": xs.len(), "pearson": p, "spearman": s, "reason": reason}));
    }
    // A habit pairs each logged date of the metric with 1 (done that day) or 0, from the
    // habit's start.
    for h in habits {
        let done: std::collections::HashSet<NaiveDate> = days
            .get(&h.id)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let start = crate::platform::fields::parse_date(&h.start_date).unwrap_or(cx.today);
        let (xs, ys): (Vec<f64>, Vec<f64>) = mine
            .iter()
            .filter(|(d, _)| **d >= start)
            .map(|(d, v)| (*v, if done.contains(d) { 1.0 } else { 0.0 }))
            .unzip();
        let (p, s, reason) = correlate(&xs, &ys);
        pairs.push(json!({"kind": "habit", "id": h.id, "name": h.name, "n": xs.len(), "pearson": p, "spearman": s, "reason": reason}));
    }
    let strongest = pairs
        .iter()
        .filter(|p| p["pearson"].is_number())
        .max_by(|a, b| {
            a["pearson"]
                .as_f64()
                .unwrap_or(0.0)
                .abs()
                .total_cmp(&b["pearson"].as_f64().unwrap_or(0.0).abs())
        });
    let summary = match strongest {
        Some(p) => format!(
            "{} moves most with {} (Pearson {}, n = {}).",
            m.name,
            p["name"].as_str().unwrap_or(""),
            p["pearson"],
            p["n"]
        ),
        None => format!(
            "Nothing shares {MIN_PAIRS} or more dates with {} yet.",
            m.name
        ),
    };
    Ok(Draft {
        computed: json!({"min_pairs": MIN_PAIRS, "compared": pairs.len()}),
        result: json!({"pairs": pairs, "summary": summary}),
    })
}

// ---- predict ----

pub const PREDICT: Feature = Feature {
    path: "/api/os/ai/metrics/predict",
    area: "metrics",
    name: "predict",
    summary: "Forecast to a date and when the target is reached",
    prompt: "Explain the linear and recent-trend forecasts and the target date; keep the numbers.",
    input: || {
        object(
            &[
                ("metric_id", id()),
                ("date", crate::schema!({"type": "string", "format": "date"})),
            ],
            &["metric_id"],
        )
    },
    output: || {
        object(
            &[
                ("date", crate::schema!({"type": "string", "format": "date"})),
                ("linear", crate::schema!({"type": ["number", "null"]})),
                ("recent_trend", crate::schema!({"type": ["number", "null"]})),
                (
                    "target_reached_on",
                    crate::schema!({"type": ["string", "null"]}),
                ),
                ("explanation", crate::schema!({"type": "string"})),
            ],
            &[
                "date",
                "linear",
                "recent_trend",
                "target_reached_on",
                "explanation",
            ],
        )
    },
    computed: || {
        object(
            &[
                ("n", crate::schema!({"type": "integer"})),
                (
                    "slope_per_day",
                    crate::schema!({"type": ["number", "null"]}),
                ),
                ("intercept", crate::schema!({"type": ["number", "null"]})),
                (
                    "recent_slope_per_day",
                    crate::schema!({"type": ["number", "null"]}),
                ),
                ("last_value", crate::schema!({"type": ["number", "null"]})),
                ("target", crate::schema!({"type": ["number", "null"]})),
            ],
            &["n", "slope_per_day"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(run_predict(cx, input)),
    apply: None,
};

/// An intercept and a slope per day, when there are two points or more.
type Line = Option<(f64, f64)>;

/// The line through the logs (x = days since the first), and the one through the last 7.
fn fits(logs: &[Log]) -> (Line, Line, Option<NaiveDate>) {
    let first = logs.first().map(|l| l.date);
    let x = |d: NaiveDate| first.map_or(0.0, |f| (d - f).num_days() as f64);
    let xs: Vec<f64> = logs.iter().map(|l| x(l.date)).collect();
    let ys: Vec<f64> = logs.iter().map(|l| l.value).collect();
    let recent = logs.len().saturating_sub(7);
    (
        stats::linear_fit(&xs, &ys),
        stats::linear_fit(&xs[recent..], &ys[recent..]),
        first,
    )
}

/// The day the line `a + b·x` (x = days since `first`) reaches `target`, when that is from
/// `today` to ten years after it; `None` otherwise. The crossing is computed as a float and
/// checked before it becomes a number of days, so no slope — however small, large or
/// extreme its inputs — can overflow the date arithmetic.
fn reach_date(
    first: NaiveDate,
    today: NaiveDate,
    a: f64,
    b: f64,
    target: f64,
) -> Option<NaiveDate> {
    const HORIZON_DAYS: i64 = 3650;
    let x = ((target - a) / b).ceil();
    let last_x = (today - first).num_days().saturating_add(HORIZON_DAYS) as f64;
    if !(x.is_finite() && x > 0.0 && x < last_x) {
        return None;
    }
    crate::platform::fields::days_after(first, x as i64).filter(|d| *d >= today)
}

async fn run_predict(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (m, logs) = load(cx, input).await?;
    let at = input["date"]
        .as_str()
        .and_then(crate::platform::fields::parse_date)
        .unwrap_or(cx.today + Duration::days(30));
    let (all, recent, first) = fits(&logs);
    let x_at = first.map_or(0.0, |f| (at - f).num_days() as f64);
    let linear = all.map(|(a, b)| stats::round(a + b * x_at, 3));
    let recent_v = recent.map(|(a, b)| stats::round(a + b * x_at, 3));
    let reached = match (m.target, all, first, logs.last()) {
        (Some(t), Some((a, b)), Some(f), Some(last)) => {
            let done = if m.direction == "higher" {
                last.value >= t
            } else {
                last.value <= t
            };
            if done {
                Some(last.date)
            } else {
                reach_date(f, cx.today, a, b, t)
            }
        }
        _ => None,
    };
    Ok(Draft {
        computed: json!({"n": logs.len(), "slope_per_day": all.map(|f| stats::round(f.1, 5)), "intercept": all.map(|f| stats::round(f.0, 5)),
            "recent_slope_per_day": recent.map(|f| stats::round(f.1, 5)), "last_value": logs.last().map(|l| l.value), "target": m.target}),
        result: json!({"date": at.to_string(), "linear": linear, "recent_trend": recent_v, "target_reached_on": reached.map(|d| d.to_string()),
            "explanation": match linear { Some(v) => format!("On {at}, {} is forecast at {v} by the overall line{}.", m.name,
                recent_v.map(|r| format!(" and {r} by the last week's trend")).unwrap_or_default()), None => "At least two logs are needed for a forecast.".into() }}),
    })
}

// ---- targets ----

pub const TARGETS: Feature = Feature {
    path: "/api/os/ai/metrics/targets",
    area: "metrics",
    name: "targets",
    summary: "A realistic next target",
    prompt: "Explain the suggested next target from the recent history.",
    input: metric_input,
    output: || {
        object(
            &[
                ("next_target", crate::schema!({"type": ["number", "null"]})),
                ("why", crate::schema!({"type": "string"})),
            ],
            &["next_target", "why"],
        )
    },
    computed: || {
        object(
            &[
                ("n", crate::schema!({"type": "integer"})),
                (
                    "recent_median",
                    crate::schema!({"type": ["number", "null"]}),
                ),
                ("recent_p75", crate::schema!({"type": ["number", "null"]})),
                ("recent_p25", crate::schema!({"type": ["number", "null"]})),
                (
                    "current_target",
                    crate::schema!({"type": ["number", "null"]}),
                ),
            ],
            &["n"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(run_targets(cx, input)),
    apply: None,
};

async fn run_targets(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (m, logs) = load(cx, input).await?;
    let recent: Vec<f64> = logs.iter().rev().take(30).map(|l| l.value).collect();
    let (med, p75, p25) = (
        stats::median(&recent),
        stats::percentile(&recent, 75.0),
        stats::percentile(&recent, 25.0),
    );
    // The value reached on a good day (top quarter, or bottom for "lower is better").
    let next = if m.direction == "higher" { p75 } else { p25 };
    Ok(Draft {
        computed: json!({"n": recent.len(), "recent_median": med, "recent_p75": p75, "recent_p25": p25, "current_target": m.target}),
        result: json!({"next_target": next.map(|v| stats::round(v, 2)), "why": match next {
            Some(v) => format!("Your last {} logs reach {} on a good day (a quarter of them do); aim there next.", recent.len(), stats::round(v, 2)),
            None => "Log a few values first.".into() }}),
    })
}

// ---- insights ----

pub const INSIGHTS: Feature = Feature {
    path: "/api/os/ai/metrics/insights",
    area: "metrics",
    name: "insights",
    summary: "A summary of patterns, outliers and trend",
    prompt: "Summarize the metric's patterns, outliers and trend in a few sentences.",
    input: metric_input,
    output: || {
        object(
            &[
                ("summary", crate::schema!({"type": "string"})),
                ("highlights", list(crate::schema!({"type": "string"}))),
            ],
            &["summary", "highlights"],
        )
    },
    computed: || {
        object(
            &[
                ("n", crate::schema!({"type": "integer"})),
                ("trend", crate::schema!({"type": "string"})),
                (
                    "slope_per_day",
                    crate::schema!({"type": ["number", "null"]}),
                ),
                ("anomalies", crate::schema!({"type": "integer"})),
                ("last_value", crate::schema!({"type": ["number", "null"]})),
                ("mean", crate::schema!({"type": ["number", "null"]})),
            ],
            &["n", "trend"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(run_insights(cx, input)),
    apply: None,
};

async fn run_insights(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (m, logs) = load(cx, input).await?;
    let values: Vec<f64> = logs.iter().map(|l| l.value).collect();
    let (by_day, slope) = patterns(&logs);
    let trend = trend_of(slope, &logs);
    let anomalies =
        stats::robust_z(&values).map_or(0, |z| z.iter().filter(|z| z.abs() > Z_LIMIT).count());
    let (best, _) = best_worst(&by_day, m.direction == "higher");
    let mean = stats::mean(&values);
    let mut highlights = vec![format!("Trend: {trend}")];
    if let Some(b) = best {
        highlights.push(format!("Best day: {b}"));
    }
    highlights.push(format!("{anomalies} unusual value(s)"));
    Ok(Draft {
        computed: json!({"n": values.len(), "trend": trend, "slope_per_day": slope.map(|s| stats::round(s, 4)), "anomalies": anomalies, "last_value": values.last(), "mean": mean.map(|v| stats::round(v, 3))}),
        result: json!({"summary": format!("{} over {} log(s): {trend}, averaging {}.", m.name, values.len(), mean.map_or("—".to_string(), |v| stats::round(v, 2).to_string())), "highlights": highlights}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::platform::fields::parse_date(s).expect("a date")
    }

    #[test]
    fn a_forecast_never_overflows_the_calendar() {
        let (first, today) = (d("2026-12-01"), d("2026-12-07"));
        // Two logs 10 and 10.0000001 a day apart, target 100: the crossing is ~900 million
        // days away, which chrono cannot even hold; it is no date.
        assert_eq!(reach_date(first, today, 10.0, 1e-7, 100.0), None);
        assert_eq!(reach_date(first, today, 0.0, 0.001, 1e6), None);
        assert_eq!(reach_date(first, today, 0.0, 1.0, 1e300), None);
        assert_eq!(reach_date(first, today, 0.0, -1.0, 10.0), None);
        assert_eq!(
            reach_date(first, today, 0.0, 1.0, 30.0),
            Some(d("2026-12-31"))
        );
        let mut g = crate::platform::text::arbitrary::Gen::new(38);
        for _ in 0..50_000 {
            let first = d("1970-01-01") + Duration::days(g.below(47_000) as i64);
            let _ = reach_date(first, today, g.float(), g.float(), g.float());
        }
    }

    #[test]
    fn fits_take_any_logs() {
        let mut g = crate::platform::text::arbitrary::Gen::new(39);
        for _ in 0..5_000 {
            let mut date = d("1970-01-01") + Duration::days(g.below(40_000) as i64);
            let logs: Vec<Log> = (0..g.below(20))
                .map(|_| {
                    date = crate::platform::fields::days_after(date, g.below(400) as i64)
                        .unwrap_or(date);
                    Log {
                        date,
                        value: g.float(),
                    }
                })
                .collect();
            let (all, recent, _) = fits(&logs);
            let _ = (all, recent, patterns(&logs));
        }
    }
}
