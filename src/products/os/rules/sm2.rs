//! SM-2 spaced repetition (SuperMemo 2): ease starts at 2.5 and never drops below 1.3;
//! intervals are 1 day, 6 days, then the previous interval × ease; a grade below 3 starts
//! the card over (repetitions 0, interval 1).

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Card {
    pub repetitions: u32,
    pub interval_days: u32,
    pub ease: f64,
}

/// A new card's ease (the column's default too).
pub const START_EASE: f64 = 2.5;

impl Default for Card {
    fn default() -> Self {
        Self {
            repetitions: 0,
            interval_days: 0,
            ease: START_EASE,
        }
    }
}

pub const EASE_FLOOR: f64 = 1.3;

/// The card after a review graded 0–5.
pub fn review(card: Card, grade: u8) -> Card {
    let q = f64::from(grade.min(5));
    let (repetitions, interval_days) = if grade < 3 {
        (0, 1)
    } else {
        let interval = match card.repetitions {
            0 => 1,
            1 => 6,
            _ => (f64::from(card.interval_days) * card.ease).round() as u32,
        };
        (card.repetitions + 1, interval)
    };
    let ease = (card.ease + (0.1 - (5.0 - q) * (0.08 + (5.0 - q) * 0.02))).max(EASE_FLOOR);
    Card {
        repetitions,
        interval_days,
        ease: (ease * 1000.0).round() / 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_go_1_6_then_multiply() {
        let c = review(Card::default(), 5);
        assert_eq!((c.repetitions, c.interval_days), (1, 1));
        assert_eq!(c.ease, 2.6);
        let c = review(c, 4);
        assert_eq!((c.repetitions, c.interval_days), (2, 6));
        assert_eq!(c.ease, 2.6);
        let c = review(c, 4);
        assert_eq!(
            (c.repetitions, c.interval_days),
            (3, 16),
            "6 × 2.6 = 15.6 → 16"
        );
    }

    #[test]
    fn a_failed_grade_resets_and_ease_has_a_floor() {
        let mut c = Card {
            repetitions: 5,
            interval_days: 40,
            ease: 1.4,
        };
        c = review(c, 1);
        assert_eq!((c.repetitions, c.interval_days), (0, 1));
        assert_eq!(c.ease, EASE_FLOOR, "1.4 − 0.54 is floored at 1.3");
        assert_eq!(review(c, 0).ease, EASE_FLOOR);
    }

    #[test]
    fn grade_three_passes_but_lowers_ease() {
        let c = review(Card::default(), 3);
        assert_eq!(c.repetitions, 1);
        assert_eq!(c.ease, 2.36);
    }
}
