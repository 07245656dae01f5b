//! Dates in words, relative to the user's today: "today", "tomorrow", "friday", "next
//! week", "in 3 days", ISO dates; and the date phrase at the end of a sentence.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::platform::fields::{days_after, parse_date};

/// Removes a date phrase at the end ("tomorrow", "on friday", "in 3 days", "by 2026-12-01")
/// and returns it as a date.
pub fn take_date(s: &str, today: NaiveDate) -> (String, Option<NaiveDate>) {
    let words: Vec<&str> = s.split_whitespace().collect();
    // The longest tail that reads as a date, optionally after "on", "by", "due", "for".
    for take in (1..=words.len().min(4)).rev() {
        let tail = words[words.len() - take..].join(" ");
        if let Some(d) = date_phrase(&tail, today) {
            let mut head = &words[..words.len() - take];
            while let Some((last, before)) = head.split_last() {
                if ["on", "by", "due", "for", "at", "before", "until"]
                    .contains(&last.to_lowercase().as_str())
                {
                    head = before;
                } else {
                    break;
                }
            }
            return (head.join(" "), Some(d));
        }
    }
    (s.to_string(), None)
}

/// A date in words, relative to `today`: today, tonight, tomorrow, yesterday, a weekday
/// (the next one after today), next week (a week from today), in N days/weeks, or an ISO date.
/// Only dates the API takes (years 1970–2100) are read: any other is no date.
pub fn date_phrase(s: &str, today: NaiveDate) -> Option<NaiveDate> {
    let s = s.trim().to_lowercase();
    let after = |n: i64| days_after(today, n);
    let s = s
        .strip_prefix("on ")
        .or_else(|| s.strip_prefix("by "))
        .or_else(|| s.strip_prefix("due "))
        .unwrap_or(&s)
        .trim();
    match s {
        "today" | "tonight" | "this evening" | "this morning" => return Some(today),
        "tomorrow" | "tmrw" | "tomorrow morning" | "tomorrow evening" => return after(1),
        "yesterday" => return after(-1),
        "next week" => return after(7),
        "day after tomorrow" | "the day after tomorrow" => return after(2),
        _ => {}
    }
    if let Some(d) = parse_date(s) {
        return Some(d);
    }
    let day = s
        .strip_prefix("next ")
        .or_else(|| s.strip_prefix("this "))
        .unwrap_or(s);
    if let Some(w) = weekday(day) {
        let ahead = (7 + w.num_days_from_monday() as i64
            - today.weekday().num_days_from_monday() as i64)
            % 7;
        return after(if ahead == 0 { 7 } else { ahead });
    }
    let n_words: Vec<&str> = s.split_whitespace().collect();
    if let ["in", n, unit] = n_words.as_slice() {
        let n: i64 = match *n {
            "a" | "an" | "one" => 1,
            "two" => 2,
            "three" => 3,
            "four" => 4,
            "five" => 5,
            other => other.parse().ok().filter(|n| (0..=3650).contains(n))?,
        };
        return match unit.trim_end_matches('s') {
            "day" => after(n),
            "week" => after(7 * n),
            _ => None,
        };
    }
    None
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_date_phrase_is_taken_off() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        assert_eq!(
            take_date("call mom on friday", today),
            ("call mom".into(), NaiveDate::from_ymd_opt(2026, 11, 27))
        );
        assert_eq!(take_date("buy milk", today), ("buy milk".into(), None));
        // A date the API does not take is no date.
        assert_eq!(take_date("x 262143-12-31", today).1, None);
        let last = NaiveDate::from_ymd_opt(2100, 12, 31).expect("date");
        assert_eq!(date_phrase("tomorrow", last), None);
        assert_eq!(
            date_phrase(
                "in 3650 weeks",
                NaiveDate::from_ymd_opt(2050, 1, 1).expect("date")
            ),
            None
        );
    }

    #[test]
    fn no_phrase_panics() {
        let mut g = crate::platform::text::arbitrary::Gen::new(4);
        let words = [
            "on ",
            "by ",
            "in ",
            " days",
            " weeks",
            "next ",
            "friday",
            "tomorrow",
            "2100-12-31",
            "3650",
        ];
        for _ in 0..20_000 {
            let s = g.text(&words, 8);
            for today in [
                NaiveDate::from_ymd_opt(1970, 1, 1),
                NaiveDate::from_ymd_opt(2100, 12, 31),
            ]
            .into_iter()
            .flatten()
            {
                let _ = take_date(&s, today);
                let _ = date_phrase(&s, today);
            }
        }
    }
}
