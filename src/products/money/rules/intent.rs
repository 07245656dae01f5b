//! What a chat message asks, read deterministically: a card recommendation, a split, a
//! spending question (tracker), or anything else (general).

use chrono::{Datelike, Duration, NaiveDate};

use super::amounts::{self, AmountError};
use super::CATEGORIES;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Card { category: Option<&'static str> },
    Split(SplitAsk),
    Tracker(TrackerAsk),
    General,
}

impl Ask {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Card { .. } => "card",
            Self::Split(_) => "split",
            Self::Tracker(_) => "tracker",
            Self::General => "general",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitAsk {
    pub amount: Result<i64, AmountError>,
    pub people: People,
    /// "2:1": one weight per person, in order.
    pub weights: Option<Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum People {
    /// Named, in the order stated; "You" is the one asking.
    Named(Vec<String>),
    /// "three ways" with nobody named.
    Ways(usize),
    /// "with the group": the chat's group members.
    Group,
    Nobody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerAsk {
    pub category: Option<&'static str>,
    pub period: Period,
    /// "vs last month": the same question for the period before.
    pub compare: bool,
    /// "top merchants": a ranking instead of one total.
    pub top_merchants: bool,
    /// "vs last month?" alone: the chat's previous spending question, compared.
    pub follow_up: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Today,
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
    ThisYear,
    LastDays(u32),
    Month { year: i32, month: u32 },
}

impl Period {
    /// A stable name, stored with an answer so a follow-up can ask about the same period.
    pub fn key(self) -> String {
        match self {
            Self::Today => "today".into(),
            Self::ThisWeek => "this_week".into(),
            Self::LastWeek => "last_week".into(),
            Self::ThisMonth => "this_month".into(),
            Self::LastMonth => "last_month".into(),
            Self::ThisYear => "this_year".into(),
            Self::LastDays(n) => format!("last_days:{n}"),
            Self::Month { year, month } => format!("month:{year}-{month:02}"),
        }
    }

    pub fn from_key(key: &str) -> Option<Period> {
        Some(match key {
            "today" => Self::Today,
            "this_week" => Self::ThisWeek,
            "last_week" => Self::LastWeek,
            "this_month" => Self::ThisMonth,
            "last_month" => Self::LastMonth,
            "this_year" => Self::ThisYear,
            other => {
                if let Some(n) = other.strip_prefix("last_days:") {
                    Self::LastDays(n.parse().ok().filter(|n| (1..=366).contains(n))?)
                } else {
                    let (y, m) = other.strip_prefix("month:")?.split_once('-')?;
                    Self::Month {
                        year: y
                            .parse()
                            .ok()
                            .filter(|y| crate::platform::fields::YEARS.contains(y))?,
                        month: m.parse().ok().filter(|m| (1..=12).contains(m))?,
                    }
                }
            }
        })
    }

    /// `[from, to)` and a label, relative to `today`.
    pub fn range(self, today: NaiveDate) -> (NaiveDate, NaiveDate, String) {
        let month_start = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today);
        let next_month = |y: i32, m: u32| {
            if m == 12 {
                month_start(y + 1, 1)
            } else {
                month_start(y, m + 1)
            }
        };
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        match self {
            Self::Today => (today, today + Duration::days(1), "today".into()),
            Self::ThisWeek => (monday, today + Duration::days(1), "this week".into()),
            Self::LastWeek => (monday - Duration::days(7), monday, "last week".into()),
            Self::ThisMonth => (
                month_start(today.year(), today.month()),
                today + Duration::days(1),
                today.format("%B %Y").to_string(),
            ),
            Self::LastMonth => {
                let this = month_start(today.year(), today.month());
                let prev = this - Duration::days(1);
                (
                    month_start(prev.year(), prev.month()),
                    this,
                    prev.format("%B %Y").to_string(),
                )
            }
            Self::ThisYear => (
                month_start(today.year(), 1),
                today + Duration::days(1),
                today.year().to_string(),
            ),
            Self::LastDays(n) => (
                today - Duration::days(i64::from(n) - 1),
                today + Duration::days(1),
                format!("the last {n} days"),
            ),
            Self::Month { year, month } => {
                let from = month_start(year, month);
                (
                    from,
                    next_month(year, month),
                    from.format("%B %Y").to_string(),
                )
            }
        }
    }

    /// The period just before (for "vs last month").
    pub fn previous(self, today: NaiveDate) -> Period {
        let (from, _, _) = self.range(today);
        let before = from - Duration::days(1);
        match self {
            Self::Today => Self::Month {
                year: before.year(),
                month: before.month(),
            },
            Self::ThisWeek => Self::LastWeek,
            Self::LastDays(n) => Self::LastDays(n),
            _ => Self::Month {
                year: before.year(),
                month: before.month(),
            },
        }
    }
}

pub fn read(message: &str, today: NaiveDate) -> Ask {
    let lower = message.to_lowercase();
    let has = |w: &str| lower.contains(w);
    if has("split") || has("divide") || has("go halves") || has("share the") {
        return Ask::Split(split(&lower));
    }
    if has("card")
        && ["which", "what", "best", "use", "recommend", "should"]
            .iter()
            .any(|w| has(w))
    {
        return Ask::Card {
            category: category(&lower),
        };
    }
    let compare = has("vs ") || has("vs.") || has("versus") || has("compared") || has("than last");
    let spend = [
        "spend",
        "spent",
        "spending",
        "how much",
        "top merchant",
        "where did my money",
        "total",
    ]
    .iter()
    .any(|w| has(w));
    if spend || compare {
        return Ask::Tracker(TrackerAsk {
            category: category(&lower),
            period: period(&lower, today),
            compare,
            top_merchants: has("top merchant")
                || has("where did my money")
                || has("biggest merchant"),
            follow_up: !spend,
        });
    }
    Ask::General
}

fn category(lower: &str) -> Option<&'static str> {
    const SYNONYMS: &[(&str, &str)] = &[
        ("restaurant", "dining"),
        ("eating out", "dining"),
        ("takeout", "dining"),
        ("food delivery", "dining"),
        ("coffee", "dining"),
        ("grocer", "groceries"),
        ("supermarket", "groceries"),
        ("gas", "transport"),
        ("rides", "transport"),
        ("commut", "transport"),
        ("flight", "travel"),
        ("hotel", "travel"),
        ("subscription", "subscriptions"),
        ("streaming", "subscriptions"),
        ("online shopping", "shopping"),
        ("amazon", "shopping"),
    ];
    CATEGORIES
        .iter()
        .copied()
        .find(|c| *c != "other" && lower.contains(c))
        .or_else(|| {
            SYNONYMS
                .iter()
                .find(|(w, _)| lower.contains(w))
                .map(|(_, c)| *c)
        })
}

fn period(lower: &str, today: NaiveDate) -> Period {
    let has = |w: &str| lower.contains(w);
    if has("last month")
        && !has("vs last month")
        && !has("than last month")
        && !has("compared to last month")
    {
        return Period::LastMonth;
    }
    if has("today") {
        return Period::Today;
    }
    if has("last week") {
        return Period::LastWeek;
    }
    if has("this week") {
        return Period::ThisWeek;
    }
    if has("this year") {
        return Period::ThisYear;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for w in words.windows(3) {
        if w[0] == "last" && w[2].starts_with("day") {
            if let Ok(n) = w[1].parse::<u32>() {
                return Period::LastDays(n.clamp(1, 366));
            }
        }
    }
    const MONTHS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    for (i, w) in words.iter().enumerate() {
        if let Some(m) = MONTHS
            .iter()
            .position(|name| name == w || (w.len() == 3 && name.starts_with(w)))
        {
            let month = m as u32 + 1;
            let year = words
                .get(i + 1)
                .and_then(|y| y.parse::<i32>().ok())
                .filter(|y| (1970..=2100).contains(y))
                .unwrap_or(if month > today.month() {
                    today.year() - 1
                } else {
                    today.year()
                });
            return Period::Month { year, month };
        }
    }
    Period::ThisMonth
}

fn number_word(w: &str) -> Option<usize> {
    Some(match w {
        "two" | "both" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        other => other.parse().ok().filter(|n| (1..=100).contains(n))?,
    })
}

fn split(lower: &str) -> SplitAsk {
    let tokens: Vec<String> = lower
        .split_whitespace()
        .map(|t| {
            t.trim_end_matches(['?', '!', ',', ';'])
                .trim_end_matches('.')
                .to_string()
        })
        .collect();
    let mut amount = Err(AmountError::NotAnAmount);
    let mut weights = None;
    let mut ways = None;
    for (i, t) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).map(String::as_str).unwrap_or("");
        if t.contains(':') && t.split(':').all(|p| p.parse::<u32>().is_ok()) {
            weights = Some(t.split(':').filter_map(|p| p.parse().ok()).collect());
            continue;
        }
        if ["ways", "way", "people", "persons"].contains(&next) {
            if let Some(n) = number_word(t) {
                ways = Some(n);
                continue;
            }
        }
        let looks = t
            .trim_start_matches('-')
            .trim_start_matches(['$', '€', '£'])
            .trim_start_matches('-');
        if amount.is_err()
            && looks
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '.')
        {
            amount = amounts::positive_cents(t);
        }
    }
    let text = lower.trim().trim_end_matches(['?', '!', '.']);
    let people = people(text, ways);
    SplitAsk {
        amount,
        people,
        weights,
    }
}

fn people(text: &str, ways: Option<usize>) -> People {
    let group_words = ["the group", "everyone", "my group", "the team", "all of us"];
    if group_words.iter().any(|g| text.contains(g)) {
        return People::Group;
    }
    let (lead, rest) = if let Some(i) = text.find(" between ") {
        (false, &text[i + 9..])
    } else if let Some(i) = text.find(" among ") {
        (false, &text[i + 7..])
    } else if let Some(i) = text.find(" with ") {
        (true, &text[i + 6..])
    } else {
        return match ways {
            Some(n) if n >= 1 => People::Ways(n),
            _ => People::Nobody,
        };
    };
    let stop = [" by ", " for ", " on ", " at "];
    let end = stop
        .iter()
        .filter_map(|s| rest.find(s))
        .min()
        .unwrap_or(rest.len());
    let mut names: Vec<String> = Vec::new();
    if lead {
        names.push("You".into());
    }
    for part in rest[..end]
        .replace(" and ", ",")
        .replace(" & ", ",")
        .split(',')
    {
        let name = part
            .split_whitespace()
            .filter(|w| {
                !w.contains(':')
                    && !["ways", "way", "equally", "evenly", "please"].contains(w)
                    && number_word(w).is_none()
                    && !w.starts_with(['$', '€', '£'])
            })
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() || ["nobody", "no one", "noone"].contains(&name.as_str()) {
            continue;
        }
        let name = if ["me", "i", "myself"].contains(&name.as_str()) {
            "You".to_string()
        } else {
            name.split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.len() <= usize::from(lead) {
        return match ways {
            Some(n) => People::Ways(n),
            None => People::Nobody,
        };
    }
    People::Named(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_message_panics() {
        let words = [
            "split ",
            "$84.50",
            "€12",
            "1,200",
            "-5",
            "three ways",
            " between ",
            " with ",
            " among ",
            " and ",
            "me",
            "2:1",
            "4294967295:4294967295",
            "which card",
            "dining",
            "how much",
            "spent",
            "last month",
            "vs last month",
            "last 99999999999 days",
            "march 2100",
            "january 1969",
            "top merchants",
            "the group",
        ];
        let mut g = crate::platform::text::arbitrary::Gen::new(42);
        for _ in 0..30_000 {
            let m = g.text(&words, 12);
            for today in [
                today(),
                NaiveDate::from_ymd_opt(1970, 1, 1).expect("date"),
                NaiveDate::from_ymd_opt(2100, 12, 31).expect("date"),
            ] {
                if let Ask::Tracker(t) = read(&m, today) {
                    let _ = (
                        t.period.range(today),
                        t.period.previous(today),
                        Period::from_key(&t.period.key()),
                    );
                }
            }
            let _ = super::super::amounts::positive_cents(&m);
            let _ = Period::from_key(&m);
        }
        // A stored key only ever names a period `read` can produce.
        assert_eq!(Period::from_key("last_days:4294967295"), None);
        assert_eq!(Period::from_key("month:-262144-01"), None);
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
    }

    fn split_of(s: &str) -> SplitAsk {
        match read(s, today()) {
            Ask::Split(a) => a,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn splits_read_amounts_people_and_shares() {
        let a = split_of("split $84.50 with Sam and Ana");
        assert_eq!(a.amount, Ok(8450));
        assert_eq!(
            a.people,
            People::Named(vec!["You".into(), "Sam".into(), "Ana".into()])
        );
        let a = split_of("split 90 2:1 with Sam");
        assert_eq!((a.amount, a.weights), (Ok(9000), Some(vec![2, 1])));
        assert_eq!(a.people, People::Named(vec!["You".into(), "Sam".into()]));
        let a = split_of("split $100.00 three ways");
        assert_eq!((a.amount, a.people), (Ok(10_000), People::Ways(3)));
        let a = split_of("split $0.01 two ways");
        assert_eq!((a.amount, a.people), (Ok(1), People::Ways(2)));
        let a = split_of("split 60 between Ana, me and Leo");
        assert_eq!(
            a.people,
            People::Named(vec!["Ana".into(), "You".into(), "Leo".into()])
        );
        assert_eq!(split_of("split $30 with the group").people, People::Group);
        assert_eq!(split_of("split $30").people, People::Nobody);
        assert_eq!(split_of("split $30 with nobody").people, People::Nobody);
        assert_eq!(
            split_of("split $10.005 with Sam").amount,
            Err(AmountError::TooPrecise)
        );
        assert_eq!(
            split_of("split -$5 with Sam").amount,
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            split_of("split $0 with Sam").amount,
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            split_of("split 10000000.01 with Sam").amount,
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn cards_and_trackers_are_told_apart() {
        assert_eq!(
            read("which card for groceries?", today()),
            Ask::Card {
                category: Some("groceries")
            }
        );
        assert_eq!(
            read("what card should I use for restaurants", today()),
            Ask::Card {
                category: Some("dining")
            }
        );
        let t = |s: &str| match read(s, today()) {
            Ask::Tracker(t) => t,
            other => panic!("{s}: {other:?}"),
        };
        let a = t("how much did I spend on dining this month?");
        assert_eq!(
            (a.category, a.period, a.compare),
            (Some("dining"), Period::ThisMonth, false)
        );
        let a = t("how much on dining vs last month?");
        assert_eq!((a.period, a.compare), (Period::ThisMonth, true));
        let a = t("top merchants in October");
        assert!(a.top_merchants);
        assert_eq!(
            a.period,
            Period::Month {
                year: 2026,
                month: 10
            }
        );
        assert_eq!(
            t("spending in december").period,
            Period::Month {
                year: 2025,
                month: 12
            }
        );
        assert_eq!(t("what did I spend last month").period, Period::LastMonth);
        assert_eq!(t("spent in the last 7 days").period, Period::LastDays(7));
        assert_eq!(read("hello there", today()), Ask::General);
        let f = t("vs last month?");
        assert!(f.follow_up && f.compare);
        for p in [
            Period::LastDays(7),
            Period::Month {
                year: 2026,
                month: 3,
            },
            Period::ThisWeek,
        ] {
            assert_eq!(Period::from_key(&p.key()), Some(p));
        }
    }

    #[test]
    fn periods_have_exact_ranges() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(Period::ThisMonth.range(today()).0, d("2026-11-01"));
        assert_eq!(Period::ThisMonth.range(today()).1, d("2026-11-26"));
        let (from, to, label) = Period::LastMonth.range(today());
        assert_eq!(
            (from, to, label.as_str()),
            (d("2026-10-01"), d("2026-11-01"), "October 2026")
        );
        assert_eq!(
            Period::ThisMonth.previous(today()),
            Period::Month {
                year: 2026,
                month: 10
            }
        );
        assert_eq!(Period::ThisWeek.range(today()).0, d("2026-11-23"));
        assert_eq!(
            Period::Month {
                year: 2026,
                month: 12
            }
            .range(today())
            .1,
            d("2027-01-01")
        );
    }
}
