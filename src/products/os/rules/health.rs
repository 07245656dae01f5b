//! Project health from completion against elapsed time and overdue tasks:
//! - with a target date: `elapsed` = share of the start→target span gone by (0–1) and
//!   `completion` = done ÷ all tasks; **off_track** when completion trails elapsed by more
//!   than 0.3, when 3+ tasks are overdue, or when the target passed with work left;
//!   **at_risk** when it trails by more than 0.1 or any task is overdue; else **on_track**;
//! - without one: 0 overdue on_track, 1–2 at_risk, 3+ off_track;
//! - with no tasks yet there is nothing to trail: on_track, or at_risk once the target passed.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    pub total: u32,
    pub done: u32,
    pub overdue: u32,
    pub start: NaiveDate,
    pub target: Option<NaiveDate>,
    pub today: NaiveDate,
}

pub fn completion(i: &Input) -> f64 {
    if i.total == 0 {
        0.0
    } else {
        f64::from(i.done) / f64::from(i.total)
    }
}

pub fn elapsed(i: &Input) -> Option<f64> {
    let target = i.target?;
    let span = (target - i.start).num_days();
    if span <= 0 {
        return Some(1.0);
    }
    Some(((i.today - i.start).num_days() as f64 / span as f64).clamp(0.0, 1.0))
}

pub fn health(i: &Input) -> &'static str {
    if i.total == 0 {
        return if i.target.is_some_and(|t| i.today > t) {
            "at_risk"
        } else {
            "on_track"
        };
    }
    let c = completion(i);
    match elapsed(i) {
        None => match i.overdue {
            0 => "on_track",
            1 | 2 => "at_risk",
            _ => "off_track",
        },
        Some(e) => {
            let finished = i.total > 0 && i.done == i.total;
            let past_target = i.target.is_some_and(|t| i.today > t);
            if (past_target && !finished) || c < e - 0.3 || i.overdue >= 3 {
                "off_track"
            } else if c < e - 0.1 || i.overdue > 0 {
                "at_risk"
            } else {
                "on_track"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + chrono::Duration::days(day)
    }

    fn input(total: u32, done: u32, overdue: u32, today: i64, target: Option<i64>) -> Input {
        Input {
            total,
            done,
            overdue,
            start: d(0),
            target: target.map(d),
            today: d(today),
        }
    }

    #[test]
    fn completion_against_time() {
        assert_eq!(health(&input(10, 5, 0, 50, Some(100))), "on_track");
        assert_eq!(
            health(&input(10, 3, 0, 50, Some(100))),
            "at_risk",
            "0.3 vs 0.5"
        );
        assert_eq!(
            health(&input(10, 1, 0, 50, Some(100))),
            "off_track",
            "0.1 vs 0.5"
        );
        assert_eq!(
            health(&input(10, 9, 0, 101, Some(100))),
            "off_track",
            "target passed, work left"
        );
        assert_eq!(
            health(&input(10, 10, 0, 150, Some(100))),
            "on_track",
            "finished late is done"
        );
    }

    #[test]
    fn overdue_tasks_weigh_in() {
        assert_eq!(health(&input(10, 5, 1, 50, Some(100))), "at_risk");
        assert_eq!(health(&input(10, 5, 3, 50, Some(100))), "off_track");
        assert_eq!(health(&input(4, 0, 0, 10, None)), "on_track");
        assert_eq!(health(&input(4, 0, 2, 10, None)), "at_risk");
        assert_eq!(health(&input(4, 0, 3, 10, None)), "off_track");
    }

    #[test]
    fn empty_projects_and_degenerate_spans() {
        assert_eq!(completion(&input(0, 0, 0, 0, None)), 0.0);
        assert_eq!(elapsed(&input(0, 0, 0, 0, Some(0))), Some(1.0));
        assert_eq!(
            health(&input(0, 0, 0, 0, Some(100))),
            "on_track",
            "day one, nothing planned yet"
        );
    }
}
