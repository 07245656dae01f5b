//! Points for completing a task: `base(priority) × effort`, with base low 5, medium 10,
//! high 20, urgent 30 and effort 1–5 (so 5 to 150 points). Paid once per task.

pub fn base(priority: &str) -> i64 {
    match priority {
        "low" => 5,
        "high" => 20,
        "urgent" => 30,
        _ => 10,
    }
}

pub fn for_task(priority: &str, effort: i64) -> i64 {
    base(priority) * effort.clamp(1, 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_covers_the_range() {
        assert_eq!(for_task("low", 1), 5);
        assert_eq!(for_task("medium", 3), 30);
        assert_eq!(for_task("high", 2), 40);
        assert_eq!(for_task("urgent", 5), 150);
        assert_eq!(for_task("urgent", 9), 150, "effort is clamped");
    }
}
