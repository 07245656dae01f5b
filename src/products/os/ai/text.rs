//! Words the AI helpers read without a model: significant tokens, shared-word scores,
//! themes, a sentiment lexicon, action items and areas. Pure and unit-tested.

use std::collections::BTreeMap;

const STOP: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "done",
    "for",
    "from",
    "get",
    "got",
    "had",
    "has",
    "have",
    "he",
    "her",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "me",
    "more",
    "my",
    "need",
    "no",
    "not",
    "of",
    "on",
    "one",
    "or",
    "our",
    "out",
    "over",
    "really",
    "she",
    "should",
    "so",
    "some",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "they",
    "this",
    "to",
    "today",
    "too",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "which",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yesterday",
    "tomorrow",
    "week",
    "day",
    "bit",
    "lot",
    "things",
    "thing",
    "still",
    "went",
    "going",
    "make",
    "made",
];

/// Lowercase words of 3+ letters that carry meaning, in order.
pub fn tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| w.len() >= 3 && !STOP.contains(w) && !w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

/// Share of `a`'s distinct words also in `b` (0–1).
pub fn overlap(a: &str, b: &str) -> f64 {
    let mut ta = tokens(a);
    crate::platform::sort::sort(&mut ta);
    ta.dedup();
    if ta.is_empty() {
        return 0.0;
    }
    let tb = tokens(b);
    ta.iter()
        .filter(|w| tb.iter().any(|x| x == *w || stem(x) == stem(w)))
        .count() as f64
        / ta.len() as f64
}

fn stem(w: &str) -> &str {
    for s in ["ing", "ed", "es", "s"] {
        if w.len() > s.len() + 3 {
            if let Some(x) = w.strip_suffix(s) {
                return x;
            }
        }
    }
    w
}

/// Words used across several texts, with the number of texts using each (most first).
pub fn themes(texts: &[&str], min_texts: usize) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for t in texts {
        let mut seen = tokens(t);
        crate::platform::sort::sort(&mut seen);
        seen.dedup();
        for w in seen {
            *counts.entry(w).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> = counts
        .into_iter()
        .filter(|(_, n)| *n >= min_texts)
        .collect();
    crate::platform::sort::sort_by(&mut v, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

const POSITIVE: &[&str] = &[
    "good",
    "great",
    "happy",
    "glad",
    "calm",
    "productive",
    "proud",
    "excited",
    "love",
    "enjoyed",
    "fun",
    "relaxed",
    "grateful",
    "energized",
    "progress",
    "win",
    "won",
    "success",
    "better",
    "best",
    "nice",
    "focused",
    "rested",
    "accomplished",
    "peaceful",
    "hopeful",
    "confident",
];
const NEGATIVE: &[&str] = &[
    "bad",
    "sad",
    "tired",
    "stressed",
    "angry",
    "anxious",
    "worried",
    "frustrated",
    "sick",
    "awful",
    "terrible",
    "exhausted",
    "lonely",
    "upset",
    "overwhelmed",
    "failed",
    "worse",
    "worst",
    "hate",
    "annoyed",
    "bored",
    "lost",
    "stuck",
    "hurt",
    "drained",
];

/// Lexicon sentiment of a text from −1 to 1 (0 without any scored word), with the counts.
pub fn sentiment(text: &str) -> (f64, usize, usize) {
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut pos = 0;
    let mut neg = 0;
    for (i, w) in words.iter().enumerate() {
        let polarity: i8 = if POSITIVE.contains(&w.as_str()) {
            1
        } else if NEGATIVE.contains(&w.as_str()) {
            -1
        } else {
            continue;
        };
        let negated = i > 0 && ["not", "never", "no"].contains(&words[i - 1].as_str());
        if (polarity > 0) != negated {
            pos += 1;
        } else {
            neg += 1;
        }
    }
    let total = pos + neg;
    let score = if total == 0 {
        0.0
    } else {
        (pos as f64 - neg as f64) / total as f64
    };
    (score, pos, neg)
}

/// Sentences that ask for an action ("need to call the bank", "TODO: renew passport",
/// "remember to water plants"), as task titles.
pub fn action_items(text: &str) -> Vec<String> {
    const CUES: &[&str] = &[
        "need to ",
        "needs to ",
        "have to ",
        "must ",
        "should ",
        "remember to ",
        "don't forget to ",
        "todo:",
        "todo ",
        "to do:",
        "to-do:",
        "plan to ",
        "going to ",
        "i'll ",
        "i will ",
    ];
    let mut out = Vec::new();
    for sentence in text.split(['.', '\n', ';', '!', '?']) {
        // Cues are found in the folded copy and cut from the sentence: the same offsets.
        let lower = crate::platform::text::fold(sentence);
        for cue in CUES {
            if let Some(at) = lower.find(cue) {
                let rest = crate::platform::text::after(sentence, at + cue.len())
                    .trim()
                    .trim_start_matches(':')
                    .trim();
                let words: Vec<&str> = rest.split_whitespace().take(12).collect();
                if words.len() >= 2 {
                    let title = crate::platform::text::cut(
                        &crate::platform::text::capitalize(&words.join(" ")),
                        200,
                    );
                    if !out.contains(&title) {
                        out.push(title);
                    }
                }
                break;
            }
        }
    }
    out
}

/// An area for a task from its words (work, home, health, finance, learning, social,
/// errands), or `None`.
pub fn area_of(text: &str) -> Option<&'static str> {
    const AREAS: &[(&str, &[&str])] = &[
        (
            "work",
            &[
                "meeting",
                "report",
                "client",
                "deadline",
                "email",
                "presentation",
                "project",
                "review",
                "deploy",
                "invoice",
                "boss",
                "office",
                "slides",
            ],
        ),
        (
            "health",
            &[
                "doctor", "dentist", "gym", "run", "workout", "yoga", "meditate", "pharmacy",
                "sleep", "walk", "therapy", "checkup",
            ],
        ),
        (
            "finance",
            &[
                "bank",
                "tax",
                "taxes",
                "rent",
                "bill",
                "bills",
                "budget",
                "insurance",
                "pay",
                "invest",
                "mortgage",
            ],
        ),
        (
            "home",
            &[
                "clean",
                "laundry",
                "dishes",
                "groceries",
                "cook",
                "garden",
                "repair",
                "fix",
                "plants",
                "vacuum",
                "kitchen",
            ],
        ),
        (
            "learning",
            &[
                "read", "study", "course", "learn", "practice", "book", "lesson", "homework",
                "research",
            ],
        ),
        (
            "social",
            &[
                "call", "mom", "dad", "friend", "birthday", "party", "dinner", "visit", "family",
                "gift",
            ],
        ),
        (
            "errands",
            &[
                "buy",
                "pick",
                "return",
                "post",
                "mail",
                "drop",
                "order",
                "renew",
                "passport",
                "appointment",
            ],
        ),
    ];
    let words = tokens(text);
    AREAS
        .iter()
        .map(|(area, keys)| {
            (
                area,
                words
                    .iter()
                    .filter(|w| keys.contains(&w.as_str()) || keys.contains(&stem(w)))
                    .count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(a, _)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_themes_and_overlap() {
        assert_eq!(tokens("I went for a RUN in the park, 5k!"), ["run", "park"]);
        let t = themes(
            &[
                "Long run in the park",
                "Park walk with Sam",
                "Run club tonight",
            ],
            2,
        );
        assert_eq!(t, [("park".to_string(), 2), ("run".to_string(), 2)]);
        assert!(overlap("Run a marathon", "marathon training plan") > 0.4);
        assert_eq!(overlap("", "anything"), 0.0);
    }

    #[test]
    fn sentiment_counts_and_negation() {
        assert_eq!(
            sentiment("Great day, very productive and happy"),
            (1.0, 3, 0)
        );
        assert_eq!(sentiment("Tired and stressed").0, -1.0);
        assert_eq!(sentiment("not happy").0, -1.0);
        assert_eq!(sentiment("Nothing much").0, 0.0);
    }

    #[test]
    fn no_text_panics() {
        assert_eq!(
            action_items("İ need to écrire le rapport"),
            ["Écrire le rapport"]
        );
        let words = [
            "need to ",
            "TODO:",
            "remember to ",
            "don't forget to ",
            "not ",
            "happy",
            "tired",
            "running",
            "meeting",
            ". ",
            "\n",
        ];
        let mut g = crate::platform::text::arbitrary::Gen::new(36);
        for _ in 0..20_000 {
            let a = g.text(&words, 12);
            let b = g.text(&words, 12);
            let _ = (
                tokens(&a),
                overlap(&a, &b),
                sentiment(&a),
                action_items(&a),
                area_of(&a),
            );
            let _ = themes(&[&a, &b], 1);
        }
    }

    #[test]
    fn action_items_and_areas() {
        let items = action_items("Good meeting. Need to send the report to Ana. Remember to water the plants!\nTODO: renew passport");
        assert_eq!(
            items,
            [
                "Send the report to Ana",
                "Water the plants",
                "Renew passport"
            ]
        );
        assert_eq!(area_of("Call mom about the party"), Some("social"));
        assert_eq!(area_of("Pay the rent and taxes"), Some("finance"));
        assert_eq!(area_of("zzz"), None);
    }
}
