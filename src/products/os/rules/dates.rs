//! Dates in words, relative to the user's today: "today", "tomorrow", "friday", "next
//! week", "in 3 days", ISO dates; and the date phrase at the end of a sentence.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

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
pub fn date_phrase(s: &str, today: NaiveDate) -> Option<NaiveDate> {
    let s = s.trim().to_lowercase();
    let s = s
        .strip_prefix("on ")
        .or_else(|| s.strip_prefix("by "))
        .or_else(|| s.strip_prefix("due "))
        .unwrap_or(&s)
        .trim();
    match s {
        "today" | "tonight" | "this evening" | "this morning" => return Some(today),
        "tomorrow" | "tmrw" | "tomorrow morning" | "tomorrow evening" => {
            return Some(today + Duration::days(1))
        }
        "yesterday" => return Some(today - Duration::days(1)),
        "next week" => return Some(today + Duration::days(7)),
        "day after tomorrow" | "the day after tomorrow" => return Some(today + Duration::days(2)),
        _ => {}
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
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
        return Some(today + Duration::days(if ahead == 0 { 7 } else { ahead }));
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
            "day" => Some(today + Duration::days(n)),
            "week" => Some(today + Duration::days(7 * n)),
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
        assert_eq!(take_date("call mom on friday", today), ("call mom".into(), NaiveDate::from_ymd_opt(2026, 11, 27)));
        assert_eq!(take_date("buy milk", today), ("buy milk".into(), None));
    }
}
