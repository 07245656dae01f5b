//! Metric analytics and milestones over dated logs (one value per date).
//!
//! - velocity: units per day, least-squares slope over the last 14 logs;
//! - acceleration: velocity of the second half of those logs minus the first half's;
//! - progress: 0–100 from the first value toward the target, in the metric's direction;
//! - streak: consecutive logged days ending today (or yesterday, while today is open);
//! - milestones: target_reached, streak_7/30/100, improvement_10/25/50 (relative to the
//!   first log, in the metric's direction).

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Log {
    pub date: NaiveDate,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Higher,
    Lower,
}

const WINDOW: usize = 14;

/// Least-squares slope of value over days; `None` below two logs or on one single day.
pub fn slope(logs: &[Log]) -> Option<f64> {
    if logs.len() < 2 {
        return None;
    }
    let x0 = logs[0].date;
    let xs: Vec<f64> = logs
        .iter()
        .map(|l| (l.date - x0).num_days() as f64)
        .collect();
    let n = logs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = logs.iter().map(|l| l.value).sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = xs
        .iter()
        .zip(logs)
        .map(|(x, l)| (x - mx) * (l.value - my))
        .sum();
    Some(sxy / sxx)
}

fn recent(logs: &[Log]) -> &[Log] {
    &logs[logs.len().saturating_sub(WINDOW)..]
}

pub fn velocity(logs: &[Log]) -> Option<f64> {
    slope(recent(logs))
}

pub fn acceleration(logs: &[Log]) -> Option<f64> {
    let r = recent(logs);
    if r.len() < 4 {
        return None;
    }
    let (a, b) = r.split_at(r.len() / 2);
    Some(slope(b)? - slope(a)?)
}

pub fn progress(logs: &[Log], target: Option<f64>, dir: Direction) -> Option<f64> {
    let (first, last, target) = (logs.first()?.value, logs.last()?.value, target?);
    let reached = match dir {
        Direction::Higher => last >= target,
        Direction::Lower => last <= target,
    };
    if reached {
        return Some(100.0);
    }
    let span = target - first;
    if span == 0.0 {
        return Some(0.0);
    }
    let p = (last - first) / span * 100.0;
    Some((p.clamp(0.0, 100.0) * 10.0).round() / 10.0)
}

pub fn streak(logs: &[Log], today: NaiveDate) -> u32 {
    let mut dates: Vec<NaiveDate> = logs.iter().map(|l| l.date).collect();
    crate::platform::sort::sort(&mut dates);
    dates.dedup();
    let Some(&last) = dates.last() else { return 0 };
    if (today - last).num_days() > 1 {
        return 0;
    }
    let mut n = 1;
    for w in dates.windows(2).rev() {
        if (w[1] - w[0]).num_days() == 1 {
            n += 1;
        } else {
            break;
        }
    }
    n
}

/// Milestones the logs have reached, with the points each pays (once).
pub fn milestones(
    logs: &[Log],
    target: Option<f64>,
    dir: Direction,
    today: NaiveDate,
) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    if let (Some(first), Some(last)) = (logs.first(), logs.last()) {
        if target.is_some() && progress(logs, target, dir) == Some(100.0) {
            out.push(("target_reached", 50));
        }
        if first.value != 0.0 {
            let gain = match dir {
                Direction::Higher => (last.value - first.value) / first.value.abs(),
                Direction::Lower => (first.value - last.value) / first.value.abs(),
            };
            for (kind, pct, pts) in [
                ("improvement_10", 0.10, 10),
                ("improvement_25", 0.25, 25),
                ("improvement_50", 0.50, 50),
            ] {
                if gain >= pct - 1e-9 {
                    out.push((kind, pts));
                }
            }
        }
    }
    let s = streak(logs, today);
    for (kind, days, pts) in [
        ("streak_7", 7, 20),
        ("streak_30", 30, 50),
        ("streak_100", 100, 100),
    ] {
        if s >= days {
            out.push((kind, pts));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_logs_or_target_panic() {
        let mut g = crate::platform::text::arbitrary::Gen::new(40);
        for _ in 0..5_000 {
            let mut day = g.below(40_000) as i64;
            let logs: Vec<Log> = (0..g.below(20))
                .map(|_| {
                    day += g.below(3) as i64;
                    Log {
                        date: d(day - 20_000),
                        value: g.float(),
                    }
                })
                .collect();
            let target = (g.below(3) > 0).then(|| g.float());
            for dir in [Direction::Higher, Direction::Lower] {
                let _ = (
                    velocity(&logs),
                    acceleration(&logs),
                    progress(&logs, target, dir),
                );
                let _ = milestones(&logs, target, dir, d(day - 20_000));
            }
        }
    }

    fn d(day: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + chrono::Duration::days(day)
    }

    fn logs(values: &[(i64, f64)]) -> Vec<Log> {
        values
            .iter()
            .map(|(day, v)| Log {
                date: d(*day),
                value: *v,
            })
            .collect()
    }

    #[test]
    fn velocity_is_units_per_day() {
        let l = logs(&[(0, 10.0), (2, 14.0), (4, 18.0)]);
        assert_eq!(velocity(&l), Some(2.0));
        assert_eq!(velocity(&logs(&[(0, 1.0)])), None, "single log");
        assert_eq!(velocity(&[]), None, "no logs");
    }

    #[test]
    fn velocity_uses_the_last_14_logs() {
        let mut l: Vec<(i64, f64)> = (0..10).map(|i| (i, 100.0)).collect(); // flat, old
        l.extend((10..24).map(|i| (i, i as f64))); // rising 1/day, recent
        assert_eq!(
            velocity(&logs(&l)).map(|v| (v * 1000.0).round() / 1000.0),
            Some(1.0)
        );
    }

    #[test]
    fn acceleration_compares_halves() {
        let l = logs(&[(0, 0.0), (1, 1.0), (2, 2.0), (3, 5.0), (4, 8.0), (5, 11.0)]);
        assert_eq!(acceleration(&l), Some(2.0), "1/day then 3/day");
        assert_eq!(acceleration(&logs(&[(0, 0.0), (1, 1.0), (2, 2.0)])), None);
    }

    #[test]
    fn progress_respects_direction() {
        assert_eq!(
            progress(&logs(&[(0, 80.0), (5, 77.0)]), Some(70.0), Direction::Lower),
            Some(30.0)
        );
        assert_eq!(
            progress(&logs(&[(0, 80.0), (5, 69.0)]), Some(70.0), Direction::Lower),
            Some(100.0)
        );
        assert_eq!(
            progress(
                &logs(&[(0, 10.0), (5, 15.0)]),
                Some(20.0),
                Direction::Higher
            ),
            Some(50.0)
        );
        assert_eq!(
            progress(&logs(&[(0, 10.0), (5, 5.0)]), Some(20.0), Direction::Higher),
            Some(0.0),
            "going backwards"
        );
        assert_eq!(progress(&logs(&[(0, 10.0)]), None, Direction::Higher), None);
    }

    #[test]
    fn streak_counts_back_from_today_or_yesterday() {
        let l = logs(&[(0, 1.0), (1, 1.0), (3, 1.0), (4, 1.0), (5, 1.0)]);
        assert_eq!(streak(&l, d(5)), 3);
        assert_eq!(streak(&l, d(6)), 3, "today still open");
        assert_eq!(streak(&l, d(7)), 0, "yesterday missed");
        assert_eq!(streak(&[], d(0)), 0);
    }

    #[test]
    fn milestones_follow_direction_and_thresholds() {
        let weight = logs(&[(0, 100.0), (1, 89.0)]);
        let kinds: Vec<&str> = milestones(&weight, Some(90.0), Direction::Lower, d(1))
            .iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(kinds, vec!["target_reached", "improvement_10"]);
        let week: Vec<(i64, f64)> = (0..7).map(|i| (i, 1.0)).collect();
        let kinds: Vec<&str> = milestones(&logs(&week), None, Direction::Higher, d(6))
            .iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(kinds, vec!["streak_7"]);
        let doubled = logs(&[(0, 10.0), (30, 15.0)]);
        let kinds: Vec<&str> = milestones(&doubled, None, Direction::Higher, d(30))
            .iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(
            kinds,
            vec!["improvement_10", "improvement_25", "improvement_50"]
        );
    }
}
