//! Personal OS's rules, in plain Rust with no worker types: points, dependency cycles,
//! habit schedules, streaks and strength, metric analytics, goal progress, project health,
//! SM-2 and the skill tree's levels.

pub mod dates;
pub mod goals;
pub mod graph;
pub mod habits;
pub mod health;
pub mod metrics;
pub mod points;
pub mod skills;
pub mod sm2;
