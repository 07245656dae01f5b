//! One description of each table a Personal OS export holds, used by export (which
//! reads the exported columns of the user's rows) and import (which writes every column
//! for the new rows) alike.

/// A table of the export document.
pub struct Table {
    pub name: &'static str,
    /// Columns import writes; the first [`Table::exported`] of them are also exported.
    pub columns: &'static [&'static str],
    pub exported: usize,
    /// Whether the table has its own `user_id` column (import sets it; export filters on it).
    pub user: bool,
    /// The export's `ORDER BY`.
    pub order: &'static str,
}

impl Table {
    /// The export query of the user's rows (`?1` is the user id).
    pub fn export_sql(&self) -> String {
        let cols = self.columns[..self.exported].join(", ");
        if self.user {
            format!(
                "SELECT {cols} FROM {} WHERE user_id = ?1 ORDER BY {}",
                self.name, self.order
            )
        } else {
            // Milestones belong to a metric, and through it to the user.
            let cols = self.columns[..self.exported]
                .iter()
                .map(|c| format!("s.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "SELECT {cols} FROM {} AS s JOIN os_metrics AS m ON m.id = s.metric_id \
                 WHERE m.user_id = ?1 ORDER BY {}",
                self.name, self.order
            )
        }
    }
}

macro_rules! table {
    ($ident:ident, $name:literal, [$($col:literal),+ $(,)?], exported: $n:expr, user: $user:expr, order: $order:literal) => {
        pub const $ident: Table = Table {
            name: $name,
            columns: &[$($col),+],
            exported: $n,
            user: $user,
            order: $order,
        };
    };
}

table!(TASKS, "os_tasks", ["id", "title", "description", "status", "priority", "area", "effort", "due_date",
    "project_id", "goal_id", "completed_at", "created_at", "updated_at"], exported: 13, user: true, order: "id");
table!(TASK_DEPENDENCIES, "os_task_dependencies", ["task_id", "depends_on_id"], exported: 2, user: true,
    order: "task_id, depends_on_id");
table!(GOALS, "os_goals", ["id", "title", "description", "status", "start_date", "target_date", "success_criteria",
    "progress", "created_at", "updated_at"], exported: 10, user: true, order: "id");
table!(GOAL_LINKS, "os_goal_links", ["goal_id", "kind", "item_id", "score"], exported: 3, user: true,
    order: "goal_id, kind, item_id");
table!(METRICS, "os_metrics", ["id", "name", "unit", "target", "direction", "created_at", "updated_at"],
    exported: 7, user: true, order: "id");
table!(METRIC_LOGS, "os_metric_logs", ["metric_id", "date", "value", "created_at"], exported: 3, user: true,
    order: "metric_id, date");
table!(METRIC_MILESTONES, "os_metric_milestones", ["metric_id", "kind", "achieved_at"], exported: 3, user: false,
    order: "s.metric_id, s.kind");
table!(HABITS, "os_habits", ["id", "name", "schedule", "start_date", "created_at", "updated_at"], exported: 6,
    user: true, order: "id");
table!(HABIT_LOGS, "os_habit_logs", ["habit_id", "date", "created_at"], exported: 2, user: true,
    order: "habit_id, date");
table!(PROJECTS, "os_projects", ["id", "name", "description", "start_date", "target_date", "created_at",
    "updated_at"], exported: 7, user: true, order: "id");
table!(LOGBOOK, "os_logbook", ["id", "date", "content", "links", "created_at"], exported: 5, user: true,
    order: "date, id");
table!(REWARDS, "os_rewards", ["id", "name", "cost", "description", "created_at"], exported: 5, user: true,
    order: "id");
table!(LEDGER, "os_wallet_ledger", ["id", "delta", "reason", "source_type", "source_id", "idempotency_key",
    "created_at"], exported: 7, user: true, order: "id");
table!(COURSES, "os_courses", ["id", "title", "description", "url", "created_at", "updated_at"], exported: 6,
    user: true, order: "id");
table!(COURSE_MODULES, "os_course_modules", ["id", "course_id", "title", "position", "completed_at", "created_at"],
    exported: 6, user: true, order: "course_id, position, id");
table!(FLASHCARDS, "os_flashcards", ["id", "front", "back", "deck", "repetitions", "interval_days", "ease",
    "due_on", "created_at", "updated_at"], exported: 10, user: true, order: "id");
table!(SKILLS, "os_skills", ["id", "name", "description", "level", "max_level", "created_at", "updated_at"],
    exported: 7, user: true, order: "id");
table!(SKILL_PREREQUISITES, "os_skill_prerequisites", ["skill_id", "requires_id"], exported: 2, user: true,
    order: "skill_id, requires_id");

/// Every table, in the order export reads them.
pub const ALL: &[&Table] = &[
    &TASKS,
    &TASK_DEPENDENCIES,
    &GOALS,
    &GOAL_LINKS,
    &METRICS,
    &METRIC_LOGS,
    &METRIC_MILESTONES,
    &HABITS,
    &HABIT_LOGS,
    &PROJECTS,
    &LOGBOOK,
    &REWARDS,
    &LEDGER,
    &COURSES,
    &COURSE_MODULES,
    &FLASHCARDS,
    &SKILLS,
    &SKILL_PREREQUISITES,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_reads_the_exported_columns_of_the_users_rows() {
        assert_eq!(
            METRIC_LOGS.export_sql(),
            "SELECT metric_id, date, value FROM os_metric_logs WHERE user_id = ?1 ORDER BY metric_id, date"
        );
        assert!(METRIC_MILESTONES
            .export_sql()
            .contains("JOIN os_metrics AS m ON m.id = s.metric_id"));
        for t in ALL {
            assert!(t.exported <= t.columns.len(), "{}", t.name);
        }
    }
}
