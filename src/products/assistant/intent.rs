//! The offline backend's understanding of plain language: one message → one [`Intent`],
//! deterministic, with dates read relative to the user's today. Pure Rust, no worker
//! types, so every phrase it knows is unit-tested natively.

use chrono::NaiveDate;

use crate::platform::text::{after, fold, stem};
use crate::products::os::rules::dates::{date_phrase, take_date};

/// Which task a message means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Item `n` (from 1) of the last listing in the conversation.
    Index(usize),
    /// A task id as the API gives it.
    Id(String),
    /// Words of a title.
    Title(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Add {
        title: String,
        due_date: Option<NaiveDate>,
        priority: Option<&'static str>,
    },
    /// `status`: all, pending or completed.
    List {
        status: &'static str,
        q: Option<String>,
    },
    Complete(Target),
    Rename {
        target: Target,
        title: String,
    },
    Move {
        target: Target,
        due_date: NaiveDate,
    },
    Reprioritize {
        target: Target,
        priority: &'static str,
    },
    Delete(Target),
    LogHabit {
        name: String,
        date: NaiveDate,
    },
    ListHabits,
    Goal {
        title: String,
    },
    Help,
}

/// What the offline assistant understands, for its answer to anything else.
pub const HELP: &str = "I can manage your tasks, habits and goals. Try:\n\
    • “add buy milk tomorrow” or “remind me to call mom on friday at high priority”\n\
    • “what's pending?”, “show completed”, “anything about milk?”\n\
    • “mark buy milk done” or “done with 2” (item 2 of the last list)\n\
    • “rename 2 to buy oat milk”, “move call mom to monday”, “make 1 urgent”\n\
    • “delete buy milk”\n\
    • “I read today”, “show my habits”\n\
    • “how is my marathon goal going?”";

pub fn parse(message: &str, today: NaiveDate) -> Intent {
    let text = message
        .trim()
        .trim_end_matches(['?', '!', '.', ' '])
        .trim()
        .to_string();
    // Keywords are found in `lower` and cut from `text`: the same offsets (see `fold`).
    let lower = fold(&text);
    let rest = |prefix_len: usize| after(&text, prefix_len).trim().to_string();

    if lower.is_empty()
        || ["help", "what can you do", "what can i say", "commands"].contains(&lower.as_str())
    {
        return Intent::Help;
    }

    // Habits and goals first: their words ("goal", "habits") are unambiguous.
    if lower.contains("habit")
        && ["list", "show", "my", "what", "which", "how are"]
            .iter()
            .any(|p| lower.starts_with(p))
    {
        return Intent::ListHabits;
    }
    if let Some(title) = goal_title(&lower) {
        return Intent::Goal { title };
    }

    for prefix in [
        "remind me to ",
        "remind me ",
        "add a task to ",
        "add task ",
        "add ",
        "create a task to ",
        "create task ",
        "create ",
        "new task ",
        "new task: ",
        "todo ",
        "todo: ",
        "i need to ",
        "i have to ",
        "i must ",
    ] {
        if lower.starts_with(prefix) {
            return add(&rest(prefix.len()), today);
        }
    }

    // Completing: "mark X done", "done with X", "complete X", "X is done".
    if let Some(body) = lower.strip_prefix("mark ") {
        for end in [
            " as done",
            " done",
            " as complete",
            " complete",
            " as completed",
            " completed",
            " as finished",
            " finished",
        ] {
            if let Some(x) = body.strip_suffix(end) {
                return Intent::Complete(target(&original(&text, &lower, x)));
            }
        }
    }
    for prefix in [
        "done with ",
        "i'm done with ",
        "im done with ",
        "i am done with ",
        "finished ",
        "i finished ",
        "i've finished ",
        "i completed ",
        "complete ",
        "finish ",
        "check off ",
        "tick off ",
        "cross off ",
    ] {
        if lower.starts_with(prefix) {
            return Intent::Complete(target(&rest(prefix.len())));
        }
    }
    let asks = ["what", "show", "list", "which", "anything", "is "]
        .iter()
        .any(|p| lower.starts_with(p));
    for suffix in [" is done", " is finished", " is complete", " done"] {
        if let Some(x) = lower.strip_suffix(suffix) {
            if !x.is_empty() && !asks {
                return Intent::Complete(target(&original(&text, &lower, x)));
            }
        }
    }

    if let Some(body) = lower.strip_prefix("rename ") {
        if let Some((x, y)) = body.split_once(" to ") {
            return Intent::Rename {
                target: target(&original(&text, &lower, x)),
                title: strip_quotes(&original(&text, &lower, y)),
            };
        }
    }
    for prefix in ["move ", "reschedule ", "postpone ", "push "] {
        if let Some(body) = lower.strip_prefix(prefix) {
            for sep in [" to ", " until ", " for ", " on "] {
                if let Some((x, when)) = body.rsplit_once(sep) {
                    if let Some(due_date) = date_phrase(when, today) {
                        return Intent::Move {
                            target: target(&original(&text, &lower, x)),
                            due_date,
                        };
                    }
                }
            }
        }
    }
    for prefix in ["make ", "set ", "mark "] {
        if let Some(body) = lower.strip_prefix(prefix) {
            let (words, priority) = take_priority(body);
            if let Some(priority) = priority {
                let x = words.trim_end_matches(" to").trim_end_matches(" as").trim();
                if !x.is_empty() {
                    return Intent::Reprioritize {
                        target: target(&original(&text, &lower, x)),
                        priority,
                    };
                }
            }
        }
    }
    for prefix in [
        "delete ",
        "remove ",
        "drop ",
        "cancel ",
        "forget ",
        "get rid of ",
    ] {
        if lower.starts_with(prefix) {
            return Intent::Delete(target(&rest(prefix.len())));
        }
    }

    if let Some(intent) = list(&lower) {
        return intent;
    }

    // "I read today", "I meditated yesterday", "log yoga", "did my workout".
    for prefix in [
        "log habit ",
        "log ",
        "i did my ",
        "i did ",
        "did my ",
        "did ",
    ] {
        if lower.starts_with(prefix) {
            return log_habit(&rest(prefix.len()), today);
        }
    }
    if let Some(body) = lower.strip_prefix("i ") {
        let (name, date) = take_date(body, today);
        let name = name.trim_start_matches("went ").trim();
        if !name.is_empty() && name.split_whitespace().count() <= 4 {
            return Intent::LogHabit {
                name: name.to_string(),
                date: date.unwrap_or(today),
            };
        }
    }
    Intent::Help
}

/// The part of `text` (original case) that `part` (a slice of `lower`, its [`fold`]) stands
/// for: the same offsets; were `part` not a slice of `lower`, its own words are used.
fn original(text: &str, lower: &str, part: &str) -> String {
    let (base, at) = (lower.as_ptr() as usize, part.as_ptr() as usize);
    if text.len() == lower.len() && at >= base && at + part.len() <= base + lower.len() {
        if let Some(s) = text.get(at - base..at - base + part.len()) {
            return s.trim().to_string();
        }
    }
    part.trim().to_string()
}

fn strip_quotes(s: &str) -> String {
    s.trim_matches(['"', '\'', '“', '”', '‘', '’'])
        .trim()
        .to_string()
}

fn target(words: &str) -> Target {
    let w = strip_quotes(words);
    let lower = w.to_lowercase();
    let bare = lower
        .trim_start_matches("the ")
        .trim_start_matches("task ")
        .trim_start_matches("item ")
        .trim_start_matches("number ")
        .trim_start_matches("no. ")
        .trim_start_matches('#')
        .trim();
    if let Ok(n) = bare.parse::<usize>() {
        if n > 0 {
            return Target::Index(n);
        }
    }
    if looks_like_id(bare) {
        return Target::Id(bare.to_string());
    }
    let title = w
        .strip_prefix("the task ")
        .or_else(|| w.strip_prefix("The task "))
        .or_else(|| w.strip_prefix("task "))
        .unwrap_or(&w);
    Target::Title(strip_quotes(title))
}

/// A UUID as the API issues them.
fn looks_like_id(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn add(body: &str, today: NaiveDate) -> Intent {
    let (words, priority) = take_priority(body);
    let (words, due_date) = take_date(&words, today);
    let mut title = words.trim().to_string();
    for tail in [
        " to my list",
        " to my tasks",
        " to the list",
        " to my todo list",
        " to my to-do list",
    ] {
        if fold(&title).ends_with(tail) {
            title = title
                .get(..title.len() - tail.len())
                .unwrap_or(&title)
                .to_string();
        }
    }
    let title = strip_quotes(title.trim_start_matches("a task to ").trim());
    if title.is_empty() {
        return Intent::Help;
    }
    Intent::Add {
        title,
        due_date,
        priority,
    }
}

fn list(lower: &str) -> Option<Intent> {
    for prefix in [
        "anything about ",
        "anything on ",
        "tasks about ",
        "find ",
        "search for ",
        "search ",
        "look for ",
        "what about ",
    ] {
        if let Some(q) = lower.strip_prefix(prefix) {
            let q = strip_quotes(q.trim_start_matches("my ").trim());
            if !q.is_empty() {
                return Some(Intent::List {
                    status: "all",
                    q: Some(q),
                });
            }
        }
    }
    let asks = [
        "what",
        "show",
        "list",
        "which",
        "anything",
        "any ",
        "my ",
        "pending",
        "completed",
        "open",
        "tasks",
        "todo",
        "to do",
        "give me",
    ]
    .iter()
    .any(|p| lower.starts_with(p));
    let about_tasks = [
        "pending",
        "task",
        "todo",
        "to do",
        "to-do",
        "completed",
        "done",
        "finished",
        "open",
        "list",
        "due",
        "left",
        "agenda",
        "plate",
        "everything",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if !(asks && about_tasks) {
        return None;
    }
    let status = if ["completed", "done", "finished"]
        .iter()
        .any(|w| lower.contains(w))
    {
        "completed"
    } else if lower.contains("all") || lower.contains("everything") {
        "all"
    } else {
        "pending"
    };
    Some(Intent::List { status, q: None })
}

fn log_habit(body: &str, today: NaiveDate) -> Intent {
    let (name, date) = take_date(&body.to_lowercase(), today);
    let name = name.trim().trim_start_matches("my ").trim().to_string();
    if name.is_empty() {
        return Intent::Help;
    }
    Intent::LogHabit {
        name,
        date: date.unwrap_or(today),
    }
}

/// "how is my marathon goal going", "goal progress for marathon", "progress on marathon".
fn goal_title(lower: &str) -> Option<String> {
    let clean = |s: &str| {
        let s = s.trim();
        let s = s
            .strip_prefix("my ")
            .or_else(|| s.strip_prefix("the "))
            .unwrap_or(s);
        Some(strip_quotes(s.trim())).filter(|s| !s.is_empty())
    };
    for prefix in [
        "goal progress for ",
        "goal progress on ",
        "progress on ",
        "progress of ",
        "progress for ",
        "how am i doing on ",
        "how am i doing with ",
        "how is the goal ",
        "how's the goal ",
    ] {
        if let Some(t) = lower.strip_prefix(prefix) {
            return clean(t.trim_end_matches(" goal"));
        }
    }
    let (before, _) = lower.split_once(" goal")?;
    for prefix in [
        "how is ",
        "how's ",
        "hows ",
        "how are ",
        "what about ",
        "status of ",
        "show ",
    ] {
        if let Some(t) = before.strip_prefix(prefix) {
            return clean(t);
        }
    }
    None
}

/// Removes a priority phrase ("at high priority", "urgent", "priority low") and returns it.
fn take_priority(s: &str) -> (String, Option<&'static str>) {
    let lower = fold(s);
    for (level, name) in [
        ("urgent", "urgent"),
        ("high", "high"),
        ("medium", "medium"),
        ("normal", "medium"),
        ("low", "low"),
    ] {
        for phrase in [
            format!(" at {level} priority"),
            format!(" with {level} priority"),
            format!(" as {level} priority"),
            format!(" {level} priority"),
            format!(" with priority {level}"),
            format!(" priority {level}"),
            format!(" priority: {level}"),
            format!(", {level} priority"),
            format!(" ({level})"),
            format!(" as {level}"),
            format!(" {level}"),
        ] {
            if level != "urgent" && phrase == format!(" {level}") {
                continue; // "buy low-fat milk" is not a priority
            }
            if let Some(at) = lower.find(&phrase) {
                let out = format!(
                    "{}{}",
                    s.get(..at).unwrap_or(""),
                    after(s, at + phrase.len())
                );
                return (out.trim().to_string(), Some(name));
            }
        }
    }
    if lower.starts_with("urgent ") {
        return (after(s, "urgent ".len()).to_string(), Some("urgent"));
    }
    (s.to_string(), None)
}

/// Whether a habit called `habit` is what `said` names: the same words ignoring case and
/// simple endings ("read" ~ "Read 20 pages", "meditated" ~ "Meditate", "running" ~ "Run").
pub fn habit_matches(said: &str, habit: &str) -> bool {
    let said = said.to_lowercase();
    let habit = habit.to_lowercase();
    if said == habit || habit.contains(&said) {
        return true;
    }
    let stems: Vec<String> = habit.split_whitespace().map(stem).collect();
    said.split_whitespace()
        .map(stem)
        .filter(|w| w.len() >= 3 && !["the", "and", "for", "did", "went"].contains(&w.as_str()))
        .any(|w| stems.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Wednesday.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn adds_with_dates_and_priorities() {
        assert_eq!(
            parse("add buy milk tomorrow", today()),
            Intent::Add {
                title: "buy milk".into(),
                due_date: Some(d("2026-11-26")),
                priority: None
            }
        );
        assert_eq!(
            parse("remind me to call mom on friday at high priority", today()),
            Intent::Add {
                title: "call mom".into(),
                due_date: Some(d("2026-11-27")),
                priority: Some("high")
            }
        );
        assert_eq!(
            parse("Add Pay rent by 2026-12-01", today()),
            Intent::Add {
                title: "Pay rent".into(),
                due_date: Some(d("2026-12-01")),
                priority: None
            }
        );
        assert_eq!(
            parse("create renew passport in 3 days", today()),
            Intent::Add {
                title: "renew passport".into(),
                due_date: Some(d("2026-11-28")),
                priority: None
            }
        );
        assert_eq!(
            parse("add book dentist next week urgent", today()),
            Intent::Add {
                title: "book dentist".into(),
                due_date: Some(d("2026-12-02")),
                priority: Some("urgent")
            }
        );
        assert_eq!(
            parse("add buy low-fat milk", today()),
            Intent::Add {
                title: "buy low-fat milk".into(),
                due_date: None,
                priority: None
            }
        );
        assert_eq!(parse("add", today()), Intent::Help);
    }

    #[test]
    fn dates_read_relative_to_today() {
        let t = today();
        assert_eq!(date_phrase("today", t), Some(t));
        assert_eq!(
            date_phrase("wednesday", t),
            Some(d("2026-12-02")),
            "next one, not today"
        );
        assert_eq!(date_phrase("next monday", t), Some(d("2026-11-30")));
        assert_eq!(date_phrase("on sunday", t), Some(d("2026-11-29")));
        assert_eq!(date_phrase("in 2 weeks", t), Some(d("2026-12-09")));
        assert_eq!(date_phrase("in a day", t), Some(d("2026-11-26")));
        assert_eq!(date_phrase("2027-01-31", t), Some(d("2027-01-31")));
        assert_eq!(date_phrase("2027-02-30", t), None);
        assert_eq!(date_phrase("someday", t), None);
    }

    #[test]
    fn lists_and_searches() {
        let t = today();
        let pending = Intent::List {
            status: "pending",
            q: None,
        };
        assert_eq!(parse("what's pending?", t), pending);
        assert_eq!(parse("show my tasks", t), pending);
        assert_eq!(
            parse("show completed", t),
            Intent::List {
                status: "completed",
                q: None
            }
        );
        assert_eq!(
            parse("list all tasks", t),
            Intent::List {
                status: "all",
                q: None
            }
        );
        assert_eq!(
            parse("anything about milk?", t),
            Intent::List {
                status: "all",
                q: Some("milk".into())
            }
        );
    }

    #[test]
    fn completes_by_title_number_or_id() {
        let t = today();
        assert_eq!(
            parse("mark buy milk done", t),
            Intent::Complete(Target::Title("buy milk".into()))
        );
        assert_eq!(parse("done with 2", t), Intent::Complete(Target::Index(2)));
        assert_eq!(parse("complete #3", t), Intent::Complete(Target::Index(3)));
        assert_eq!(
            parse("Call Mom is done", t),
            Intent::Complete(Target::Title("Call Mom".into()))
        );
        let id = "0192f0c4-6a1e-7d3b-9c2a-0123456789ab";
        assert_eq!(
            parse(&format!("complete {id}"), t),
            Intent::Complete(Target::Id(id.into()))
        );
    }

    #[test]
    fn updates_and_deletes() {
        let t = today();
        assert_eq!(
            parse("rename 2 to Buy oat milk", t),
            Intent::Rename {
                target: Target::Index(2),
                title: "Buy oat milk".into()
            }
        );
        assert_eq!(
            parse("move call mom to monday", t),
            Intent::Move {
                target: Target::Title("call mom".into()),
                due_date: d("2026-11-30")
            }
        );
        assert_eq!(
            parse("make 1 urgent", t),
            Intent::Reprioritize {
                target: Target::Index(1),
                priority: "urgent"
            }
        );
        assert_eq!(
            parse("set pay rent to high priority", t),
            Intent::Reprioritize {
                target: Target::Title("pay rent".into()),
                priority: "high"
            }
        );
        assert_eq!(
            parse("delete buy milk", t),
            Intent::Delete(Target::Title("buy milk".into()))
        );
    }

    #[test]
    fn habits_goals_and_help() {
        let t = today();
        assert_eq!(
            parse("I read today", t),
            Intent::LogHabit {
                name: "read".into(),
                date: t
            }
        );
        assert_eq!(
            parse("I meditated yesterday", t),
            Intent::LogHabit {
                name: "meditated".into(),
                date: d("2026-11-24")
            }
        );
        assert_eq!(parse("show my habits", t), Intent::ListHabits);
        assert_eq!(
            parse("How is my marathon goal going?", t),
            Intent::Goal {
                title: "marathon".into()
            }
        );
        assert_eq!(
            parse("progress on learn spanish", t),
            Intent::Goal {
                title: "learn spanish".into()
            }
        );
        assert_eq!(parse("what is the meaning of life", t), Intent::Help);
        assert_eq!(
            parse("show done", t),
            Intent::List {
                status: "completed",
                q: None
            }
        );
        assert_eq!(parse("sing me a song", t), Intent::Help);
    }

    /// Words the parser looks for, so random messages reach its every branch.
    const VOCAB: &[&str] = &[
        "add ",
        "remind me to ",
        "todo: ",
        "i need to ",
        "mark ",
        " done",
        " as done",
        "done with ",
        "complete ",
        "rename ",
        " to ",
        "move ",
        " until ",
        " on ",
        "make ",
        "set ",
        " urgent",
        " at high priority",
        " priority low",
        "(low)",
        "delete ",
        "what's pending",
        "show ",
        "completed",
        "all",
        "anything about ",
        "log ",
        "i ",
        "did my ",
        "today",
        "tomorrow",
        "next week",
        "friday",
        "in 3 days",
        "2026-12-01",
        "how is my ",
        " goal",
        "progress on ",
        "habits",
        "help",
        " to my list",
        "task ",
        "#2",
        "1",
        "0192f0c4-6a1e-7d3b-9c2a-0123456789ab",
    ];

    #[test]
    fn no_message_panics() {
        let t = today();
        for m in [
            "add tas\u{212a}K x",
            "rename 1 to \u{212a}elvin",
            "add İİİ urgent",
            "add ẞẞ urgent",
            "remind me to call İlker urgent",
            "add meeting with İpek at high priority",
            "mark \u{212a}\u{212a} done",
            "add x to my lis\u{212a}",
        ] {
            let _ = parse(m, t);
        }
        assert_eq!(
            parse("remind me to call İlker urgent", t),
            Intent::Add {
                title: "call İlker".into(),
                due_date: None,
                priority: Some("urgent")
            }
        );
        assert_eq!(
            parse("rename 1 to \u{212a}elvin", t),
            Intent::Rename {
                target: Target::Index(1),
                title: "\u{212a}elvin".into()
            }
        );
        // Every tricky character at every position of sentences the parser knows.
        for base in [
            "add buy milk tomorrow urgent",
            "rename 2 to oat milk",
            "mark call mom done",
            "move x to friday",
        ] {
            for c in crate::platform::text::arbitrary::TRICKY {
                for (i, _) in base.char_indices().chain([(base.len(), ' ')]) {
                    let m = format!("{}{c}{}", &base[..i], &base[i..]);
                    let _ = parse(&m, t);
                }
            }
        }
        // And random messages built from its words and hard characters.
        let mut g = crate::platform::text::arbitrary::Gen::new(33);
        for _ in 0..RANDOM_MESSAGES {
            let m = g.text(VOCAB, 10);
            let _ = parse(&m, t);
            let _ = habit_matches(&m, &g.text(VOCAB, 4));
        }
    }

    /// How many random messages the property test parses.
    const RANDOM_MESSAGES: usize = 50_000;

    #[test]
    fn habit_names_match_loosely_but_not_wrongly() {
        assert!(habit_matches("read", "Read 20 pages"));
        assert!(habit_matches("meditated", "Meditate"));
        assert!(habit_matches("went running", "Run 5k"));
        assert!(!habit_matches("read", "Run 5k"));
        assert!(!habit_matches("did the", "Do the dishes"));
    }
}
