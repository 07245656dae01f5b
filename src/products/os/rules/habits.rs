//! Habit schedules, streaks and strength over calendar dates (the user's local dates, so
//! DST never moves a day).
//!
//! - Schedules: `daily`, `weekdays` (ISO days 1 = Monday … 7 = Sunday) or `every_n_days`
//!   counted from the habit's start date.
//! - Streaks count consecutive *due* days that were done; days the habit is not due are
//!   skipped. Today, while not yet done, does not break the current streak.
//! - Strength is an exponential moving average over due days, like Loop Habit Tracker:
//!   `s = s·m + done·(1 − m)` with `m = 0.5^(1/13)`, so a perfect habit reaches ≈ 80 %
//!   after 30 due days, and a miss costs about 5 % of what was built.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Daily,
    Weekdays(Vec<u32>),
    EveryNDays(u32),
}

impl Schedule {
    pub fn is_due(&self, day: NaiveDate, start: NaiveDate) -> bool {
        if day < start {
            return false;
        }
        match self {
            Schedule::Daily => true,
            Schedule::Weekdays(days) => days.contains(&day.weekday().number_from_monday()),
            Schedule::EveryNDays(n) => (day - start).num_days() % i64::from((*n).max(1)) == 0,
        }
    }
}

pub const STRENGTH_MULTIPLIER: f64 = 0.948_078_592_3; // 0.5^(1/13)

#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub current_streak: u32,
    pub best_streak: u32,
    /// 0–100.
    pub strength: f64,
    pub due_today: bool,
    pub done_today: bool,
}

pub fn stats(
    schedule: &Schedule,
    start: NaiveDate,
    done: &HashSet<NaiveDate>,
    today: NaiveDate,
) -> Stats {
    let mut best = 0u32;
    let mut run = 0u32;
    let mut strength = 0.0f64;
    let mut day = start;
    while day <= today {
        if schedule.is_due(day, start) {
            let hit = done.contains(&day);
            if hit {
                run += 1;
                best = best.max(run);
            } else if day != today {
                run = 0;
            }
            // Today counts once done; an open today does not lower the average yet.
            if hit || day != today {
                strength = strength * STRENGTH_MULTIPLIER
                    + if hit { 1.0 - STRENGTH_MULTIPLIER } else { 0.0 };
            }
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    Stats {
        current_streak: run,
        best_streak: best,
        strength: (strength * 1000.0).round() / 10.0,
        due_today: schedule.is_due(today, start),
        done_today: done.contains(&today),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn range(from: NaiveDate, days: i64) -> HashSet<NaiveDate> {
        (0..days)
            .map(|i| from + chrono::Duration::days(i))
            .collect()
    }

    #[test]
    fn perfect_daily_habit_reaches_about_80_after_30_days() {
        let start = d(2026, 1, 1);
        let s = stats(&Schedule::Daily, start, &range(start, 30), d(2026, 1, 30));
        assert_eq!(s.current_streak, 30);
        assert_eq!(s.best_streak, 30);
        assert!((79.0..=81.0).contains(&s.strength), "{}", s.strength);
    }

    #[test]
    fn an_open_today_keeps_the_streak_a_miss_breaks_it() {
        let start = d(2026, 3, 1);
        let done = range(start, 5); // Mar 1–5
        assert_eq!(
            stats(&Schedule::Daily, start, &done, d(2026, 3, 6)).current_streak,
            5
        );
        let later = stats(&Schedule::Daily, start, &done, d(2026, 3, 7));
        assert_eq!(later.current_streak, 0, "Mar 6 was missed");
        assert_eq!(later.best_streak, 5);
    }

    #[test]
    fn streaks_skip_days_the_habit_is_not_due() {
        // Mon/Wed/Fri from Monday 2026-03-02; done every due day for two weeks.
        let start = d(2026, 3, 2);
        let sched = Schedule::Weekdays(vec![1, 3, 5]);
        let done: HashSet<NaiveDate> = range(start, 14)
            .into_iter()
            .filter(|day| sched.is_due(*day, start))
            .collect();
        let s = stats(&sched, start, &done, d(2026, 3, 15)); // a Sunday
        assert_eq!(s.current_streak, 6);
        assert!(!s.due_today);
    }

    #[test]
    fn every_n_days_counts_from_the_start() {
        let start = d(2026, 1, 1);
        let sched = Schedule::EveryNDays(3);
        assert!(sched.is_due(d(2026, 1, 4), start));
        assert!(!sched.is_due(d(2026, 1, 5), start));
        assert!(
            !sched.is_due(d(2025, 12, 29), start),
            "never before the start"
        );
    }

    #[test]
    fn leap_day_and_month_ends_are_ordinary_days() {
        let start = d(2028, 2, 27);
        let done = range(start, 4); // Feb 27, 28, 29, Mar 1
        let s = stats(&Schedule::Daily, start, &done, d(2028, 3, 1));
        assert_eq!(s.current_streak, 4);
        assert!(
            Schedule::Weekdays(vec![2]).is_due(d(2028, 2, 29), start),
            "Feb 29, 2028 is a Tuesday"
        );
    }

    #[test]
    fn dst_change_days_are_one_day_each() {
        // Europe springs forward on Sunday 2026-03-29 (a 23-hour day) and falls back on
        // Sunday 2026-10-25 (25 hours); the US on 2026-03-08 and 2026-11-01. Days here are
        // the user's calendar dates, so each of those is exactly one due day.
        for (from, change) in [
            (d(2026, 3, 27), d(2026, 3, 29)),
            (d(2026, 10, 23), d(2026, 10, 25)),
            (d(2026, 3, 6), d(2026, 3, 8)),
        ] {
            let done = range(from, 5);
            let s = stats(
                &Schedule::Daily,
                from,
                &done,
                from + chrono::Duration::days(4),
            );
            assert_eq!(s.current_streak, 5, "through {change}");
            let sunday = Schedule::Weekdays(vec![7]);
            assert!(sunday.is_due(change, from), "{change} is a Sunday");
            assert!(!sunday.is_due(change.succ_opt().expect("next day"), from));
        }
        // every_n_days counts calendar days across the change.
        assert!(Schedule::EveryNDays(2).is_due(d(2026, 3, 30), d(2026, 3, 28)));
    }

    #[test]
    fn empty_and_single_logs() {
        let start = d(2026, 5, 1);
        let none = stats(&Schedule::Daily, start, &HashSet::new(), d(2026, 5, 10));
        assert_eq!(
            (none.current_streak, none.best_streak, none.strength),
            (0, 0, 0.0)
        );
        let one = stats(
            &Schedule::Daily,
            start,
            &[d(2026, 5, 10)].into_iter().collect(),
            d(2026, 5, 10),
        );
        assert_eq!(one.current_streak, 1);
        assert!(one.done_today && one.due_today);
        assert!(one.strength > 0.0 && one.strength < 10.0);
    }

    #[test]
    fn a_miss_costs_a_little_not_everything() {
        let start = d(2026, 1, 1);
        let mut done = range(start, 60);
        let full = stats(&Schedule::Daily, start, &done, d(2026, 3, 1)).strength;
        done.remove(&d(2026, 2, 28));
        let missed = stats(&Schedule::Daily, start, &done, d(2026, 3, 1)).strength;
        assert!(missed < full && missed > full - 10.0, "{missed} vs {full}");
    }
}
