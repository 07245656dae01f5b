//! Goal progress, 0–100: the mean of the parts the goal has, each a share from 0 to 1.
//! - criteria: met ÷ all success criteria;
//! - tasks: done ÷ all tasks linked by `goal_id`;
//! - metrics: the mean over linked metrics that have a target of their progress toward it
//!   (from the first logged value, in the metric's direction; reached = 1; no logs = 0);
//! - habits: the mean over linked habits of their consistency over the goal's window:
//!   done ÷ due days from the later of the goal's and the habit's start to the earlier of
//!   today and the goal's target date (today only once done).
//!
//! A part with nothing in it (no criteria, no linked tasks…) is left out rather than
//! counted as 0; a goal with no parts at all is at 0.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::habits::Schedule;
use super::metrics::{self, Direction, Log};

/// Rounds to one decimal, as progress is shown.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        None
    } else {
        Some(xs.iter().sum::<f64>() / xs.len() as f64)
    }
}

/// Share of `part` in `whole`, or `None` when there is nothing to count.
pub fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

/// Progress from the parts (each 0–1 or absent), as 0–100 with one decimal.
pub fn progress(parts: &[Option<f64>]) -> f64 {
    let present: Vec<f64> = parts.iter().flatten().map(|p| p.clamp(0.0, 1.0)).collect();
    mean(&present).map_or(0.0, |m| round1(m * 100.0))
}

/// A metric's part: `None` without a target, 0 with a target and no logs yet.
pub fn metric_score(logs: &[Log], target: Option<f64>, dir: Direction) -> Option<f64> {
    target?;
    Some(metrics::progress(logs, target, dir).unwrap_or(0.0) / 100.0)
}

/// A habit's consistency over a goal's window, or `None` when no day was due in it yet.
pub fn habit_consistency(
    schedule: &Schedule,
    habit_start: NaiveDate,
    done: &HashSet<NaiveDate>,
    goal_start: NaiveDate,
    goal_target: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<f64> {
    let from = goal_start.max(habit_start);
    let to = goal_target.map_or(today, |t| t.min(today));
    let (mut due, mut hit) = (0u32, 0u32);
    let mut day = from;
    while day <= to {
        if schedule.is_due(day, habit_start) {
            let did = done.contains(&day);
            if did || day != today {
                due += 1;
                hit += u32::from(did);
            }
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    share(hit, due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn progress_is_the_mean_of_present_parts() {
        assert_eq!(progress(&[]), 0.0);
        assert_eq!(progress(&[None, None]), 0.0);
        assert_eq!(progress(&[Some(0.5), None, Some(1.0)]), 75.0);
        assert_eq!(progress(&[Some(1.0 / 3.0)]), 33.3);
        assert_eq!(progress(&[Some(2.0 / 3.0)]), 66.7);
        assert_eq!(progress(&[Some(1.5)]), 100.0, "parts are capped at 1");
    }

    #[test]
    fn shares_skip_empty_parts() {
        assert_eq!(share(0, 0), None);
        assert_eq!(share(1, 4), Some(0.25));
    }

    #[test]
    fn metric_score_needs_a_target_and_starts_at_zero() {
        let logs = [
            Log {
                date: d(2026, 1, 1),
                value: 80.0,
            },
            Log {
                date: d(2026, 1, 8),
                value: 77.5,
            },
        ];
        assert_eq!(metric_score(&logs, None, Direction::Lower), None);
        assert_eq!(metric_score(&[], Some(70.0), Direction::Lower), Some(0.0));
        assert_eq!(
            metric_score(&logs, Some(70.0), Direction::Lower),
            Some(0.25)
        );
        assert_eq!(
            metric_score(&logs, Some(90.0), Direction::Higher),
            Some(0.0)
        );
    }

    #[test]
    fn habit_consistency_counts_due_days_inside_the_goal_window() {
        let start = d(2026, 3, 1);
        let done: HashSet<NaiveDate> = [d(2026, 3, 1), d(2026, 3, 2), d(2026, 3, 4)].into();
        // Goal from Mar 2; today Mar 5 not done yet: due Mar 2, 3, 4 → 2 of 3.
        let c = habit_consistency(
            &Schedule::Daily,
            start,
            &done,
            d(2026, 3, 2),
            None,
            d(2026, 3, 5),
        );
        assert_eq!(c.map(round1_pct), Some(66.7));
        // Target Mar 3 closes the window: Mar 2, 3 → 1 of 2.
        let c = habit_consistency(
            &Schedule::Daily,
            start,
            &done,
            d(2026, 3, 2),
            Some(d(2026, 3, 3)),
            d(2026, 3, 5),
        );
        assert_eq!(c, Some(0.5));
        // Today counts once done.
        let c = habit_consistency(
            &Schedule::Daily,
            start,
            &done,
            d(2026, 3, 4),
            None,
            d(2026, 3, 4),
        );
        assert_eq!(c, Some(1.0));
        // Nothing due yet (a goal starting today, today open).
        assert_eq!(
            habit_consistency(
                &Schedule::Daily,
                start,
                &done,
                d(2026, 3, 5),
                None,
                d(2026, 3, 5)
            ),
            None
        );
    }

    #[test]
    fn habit_consistency_skips_days_not_due_and_handles_leap_day() {
        // Every 2 days from Feb 27 2028: due Feb 27, Feb 29, Mar 2.
        let start = d(2028, 2, 27);
        let done: HashSet<NaiveDate> = [d(2028, 2, 27), d(2028, 2, 29), d(2028, 3, 1)].into();
        let c = habit_consistency(
            &Schedule::EveryNDays(2),
            start,
            &done,
            start,
            None,
            d(2028, 3, 2),
        );
        assert_eq!(
            c,
            Some(1.0),
            "Mar 2 is today and still open; Mar 1 was not due"
        );
        // A habit starting after the goal counts from its own start.
        let c = habit_consistency(
            &Schedule::Daily,
            d(2028, 3, 1),
            &done,
            start,
            None,
            d(2028, 3, 2),
        );
        assert_eq!(c, Some(1.0));
    }

    #[test]
    fn habit_consistency_across_a_dst_change_and_with_single_or_no_logs() {
        // 2026-03-29 is 23 hours long in Europe; it is still one due day.
        let start = d(2026, 3, 28);
        let done: HashSet<NaiveDate> = [d(2026, 3, 28), d(2026, 3, 29), d(2026, 3, 30)].into();
        let c = habit_consistency(&Schedule::Daily, start, &done, start, None, d(2026, 3, 31));
        assert_eq!(c, Some(1.0), "3 of 3, today open");
        let one: HashSet<NaiveDate> = [d(2026, 3, 29)].into();
        let c = habit_consistency(&Schedule::Daily, start, &one, start, None, d(2026, 3, 31));
        assert_eq!(c.map(round1_pct), Some(33.3));
        let c = habit_consistency(
            &Schedule::Daily,
            start,
            &HashSet::new(),
            start,
            None,
            d(2026, 3, 31),
        );
        assert_eq!(c, Some(0.0));
        // A goal whose target passed stops counting at the target.
        let c = habit_consistency(
            &Schedule::Daily,
            start,
            &done,
            start,
            Some(d(2026, 3, 29)),
            d(2026, 4, 30),
        );
        assert_eq!(c, Some(1.0));
    }

    fn round1_pct(x: f64) -> f64 {
        round1(x * 100.0)
    }
}
