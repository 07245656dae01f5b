//! Personal OS (docs/personal-os.md): tasks with dependencies and points, goals with cached
//! progress, the wallet and rewards, habits, metrics, projects, the logbook, the knowledge
//! vault (courses, flashcards, skills), settings, and export/import.

pub mod ai;
pub mod courses;
pub mod flashcards;
pub mod goals;
pub mod habits;
pub mod logbook;
pub mod metrics;
pub mod projects;
pub mod rules;
pub mod settings;
pub mod skills;
pub mod tasks;
pub mod transfer;
pub mod wallet;

pub(crate) use crate::platform::fields::{
    date, free_text, nullable_date, nullable_text, object, one_of, text,
};

use crate::platform::product::{Product, Route};
use crate::route;

pub static PRODUCT: Product = Product {
    name: "os",
    title: "Personal OS",
    routes: ROUTES,
    settings: None,
    jobs: None,
    crons: &[],
    listener: None,
};

static ROUTES: &[Route] = &[
    route!(GET "/api/os/settings", User, settings::get, settings::GET_DOC),
    route!(PATCH "/api/os/settings", User, settings::patch, settings::PATCH_DOC),
    route!(POST "/api/os/tasks", User, tasks::create, tasks::CREATE_DOC),
    route!(GET "/api/os/tasks", User, tasks::list, tasks::LIST_DOC),
    route!(GET "/api/os/tasks/{id}", User, tasks::get, tasks::GET_DOC),
    route!(PATCH "/api/os/tasks/{id}", User, tasks::update, tasks::UPDATE_DOC),
    route!(DELETE "/api/os/tasks/{id}", User, tasks::delete, tasks::DELETE_DOC),
    route!(POST "/api/os/tasks/{id}/complete", User, tasks::complete, tasks::COMPLETE_DOC),
    route!(POST "/api/os/tasks/{id}/dependencies/{dep_id}", User, tasks::add_dependency, tasks::ADD_DEP_DOC),
    route!(DELETE "/api/os/tasks/{id}/dependencies/{dep_id}", User, tasks::remove_dependency, tasks::REMOVE_DEP_DOC),
    route!(POST "/api/os/goals", User, goals::create, goals::CREATE_DOC),
    route!(GET "/api/os/goals", User, goals::list, goals::LIST_DOC),
    route!(GET "/api/os/goals/{id}", User, goals::get, goals::GET_DOC),
    route!(PATCH "/api/os/goals/{id}", User, goals::update, goals::UPDATE_DOC),
    route!(DELETE "/api/os/goals/{id}", User, goals::delete, goals::DELETE_DOC),
    route!(GET "/api/os/goals/{id}/progress", User, goals::progress, goals::PROGRESS_DOC),
    route!(POST "/api/os/goals/{id}/tasks/{item_id}", User, goals::link_task, goals::LINK_TASK_DOC),
    route!(DELETE "/api/os/goals/{id}/tasks/{item_id}", User, goals::unlink_task, goals::UNLINK_TASK_DOC),
    route!(POST "/api/os/goals/{id}/metrics/{item_id}", User, goals::link_metric, goals::LINK_METRIC_DOC),
    route!(DELETE "/api/os/goals/{id}/metrics/{item_id}", User, goals::unlink_metric, goals::UNLINK_METRIC_DOC),
    route!(POST "/api/os/goals/{id}/habits/{item_id}", User, goals::link_habit, goals::LINK_HABIT_DOC),
    route!(DELETE "/api/os/goals/{id}/habits/{item_id}", User, goals::unlink_habit, goals::UNLINK_HABIT_DOC),
    route!(GET "/api/os/wallet", User, wallet::get, wallet::WALLET_DOC),
    route!(POST "/api/os/rewards", User, wallet::create_reward, wallet::CREATE_REWARD_DOC),
    route!(GET "/api/os/rewards", User, wallet::list_rewards, wallet::LIST_REWARDS_DOC),
    route!(GET "/api/os/rewards/{id}", User, wallet::get_reward, wallet::GET_REWARD_DOC),
    route!(PATCH "/api/os/rewards/{id}", User, wallet::update_reward, wallet::UPDATE_REWARD_DOC),
    route!(DELETE "/api/os/rewards/{id}", User, wallet::delete_reward, wallet::DELETE_REWARD_DOC),
    route!(POST "/api/os/rewards/{id}/redeem", User, wallet::redeem, wallet::REDEEM_DOC),
    route!(POST "/api/os/habits", User, habits::create, habits::CREATE_DOC),
    route!(GET "/api/os/habits", User, habits::list, habits::LIST_DOC),
    route!(GET "/api/os/habits/today", User, habits::today, habits::TODAY_DOC),
    route!(GET "/api/os/habits/{id}", User, habits::get, habits::GET_DOC),
    route!(PATCH "/api/os/habits/{id}", User, habits::update, habits::UPDATE_DOC),
    route!(DELETE "/api/os/habits/{id}", User, habits::delete, habits::DELETE_DOC),
    route!(POST "/api/os/habits/{id}/logs", User, habits::log, habits::LOG_DOC),
    route!(DELETE "/api/os/habits/{id}/logs/{date}", User, habits::unlog, habits::UNLOG_DOC),
    route!(POST "/api/os/metrics", User, metrics::create, metrics::CREATE_DOC),
    route!(GET "/api/os/metrics", User, metrics::list, metrics::LIST_DOC),
    route!(GET "/api/os/metrics/{id}", User, metrics::get, metrics::GET_DOC),
    route!(PATCH "/api/os/metrics/{id}", User, metrics::update, metrics::UPDATE_DOC),
    route!(DELETE "/api/os/metrics/{id}", User, metrics::delete, metrics::DELETE_DOC),
    route!(POST "/api/os/metrics/{id}/logs", User, metrics::log, metrics::LOG_DOC),
    route!(GET "/api/os/metrics/{id}/logs", User, metrics::logs, metrics::LOGS_DOC),
    route!(GET "/api/os/metrics/{id}/analytics", User, metrics::analytics, metrics::ANALYTICS_DOC),
    route!(POST "/api/os/flashcards", User, flashcards::create, flashcards::CREATE_DOC),
    route!(GET "/api/os/flashcards", User, flashcards::list, flashcards::LIST_DOC),
    route!(GET "/api/os/flashcards/due", User, flashcards::due, flashcards::DUE_DOC),
    route!(GET "/api/os/flashcards/{id}", User, flashcards::get, flashcards::GET_DOC),
    route!(PATCH "/api/os/flashcards/{id}", User, flashcards::update, flashcards::UPDATE_DOC),
    route!(DELETE "/api/os/flashcards/{id}", User, flashcards::delete, flashcards::DELETE_DOC),
    route!(POST "/api/os/flashcards/{id}/review", User, flashcards::review, flashcards::REVIEW_DOC),
    route!(POST "/api/os/courses", User, courses::create, courses::CREATE_DOC),
    route!(GET "/api/os/courses", User, courses::list, courses::LIST_DOC),
    route!(GET "/api/os/courses/{id}", User, courses::get, courses::GET_DOC),
    route!(PATCH "/api/os/courses/{id}", User, courses::update, courses::UPDATE_DOC),
    route!(DELETE "/api/os/courses/{id}", User, courses::delete, courses::DELETE_DOC),
    route!(POST "/api/os/courses/{id}/modules", User, courses::add_module, courses::ADD_MODULE_DOC),
    route!(PATCH "/api/os/courses/{id}/modules/{module_id}", User, courses::update_module, courses::UPDATE_MODULE_DOC),
    route!(DELETE "/api/os/courses/{id}/modules/{module_id}", User, courses::delete_module, courses::DELETE_MODULE_DOC),
    route!(POST "/api/os/skills", User, skills::create, skills::CREATE_DOC),
    route!(GET "/api/os/skills", User, skills::list, skills::LIST_DOC),
    route!(GET "/api/os/skills/{id}", User, skills::get, skills::GET_DOC),
    route!(PATCH "/api/os/skills/{id}", User, skills::update, skills::UPDATE_DOC),
    route!(DELETE "/api/os/skills/{id}", User, skills::delete, skills::DELETE_DOC),
    route!(POST "/api/os/skills/{id}/prerequisites/{req_id}", User, skills::add_prerequisite, skills::ADD_PREREQ_DOC),
    route!(DELETE "/api/os/skills/{id}/prerequisites/{req_id}", User, skills::remove_prerequisite, skills::REMOVE_PREREQ_DOC),
    route!(GET "/api/os/export", User, transfer::export, transfer::EXPORT_DOC),
    route!(POST "/api/os/import", User, transfer::import, transfer::IMPORT_DOC),
    route!(POST "/api/os/projects", User, projects::create, projects::CREATE_DOC),
    route!(GET "/api/os/projects", User, projects::list, projects::LIST_DOC),
    route!(GET "/api/os/projects/{id}", User, projects::get, projects::GET_DOC),
    route!(PATCH "/api/os/projects/{id}", User, projects::update, projects::UPDATE_DOC),
    route!(DELETE "/api/os/projects/{id}", User, projects::delete, projects::DELETE_DOC),
    route!(POST "/api/os/logbook", User, logbook::create, logbook::CREATE_DOC),
    route!(GET "/api/os/logbook", User, logbook::list, logbook::LIST_DOC),
    route!(GET "/api/os/logbook/{id}", User, logbook::get, logbook::GET_DOC),
    route!(PATCH "/api/os/logbook/{id}", User, logbook::update, logbook::UPDATE_DOC),
    route!(DELETE "/api/os/logbook/{id}", User, logbook::delete, logbook::DELETE_DOC),
    ai::ai_route!(ai::tasks::PARSE),
    ai::ai_route!(ai::tasks::BREAKDOWN),
    ai::ai_route!(ai::tasks::PRIORITIZE),
    ai::ai_route!(ai::tasks::ESTIMATE),
    ai::ai_route!(ai::tasks::CATEGORIZE),
    ai::ai_route!(ai::tasks::SCHEDULE),
    ai::ai_route!(ai::tasks::SUMMARIZE),
    ai::ai_route!(ai::goals::REFINE),
    ai::ai_route!(ai::goals::CRITERIA),
    ai::ai_route!(ai::goals::CASCADE),
    ai::ai_route!(ai::goals::FORECAST),
    ai::ai_route!(ai::goals::OBSTACLES),
    ai::ai_route!(ai::goals::ALIGN),
    ai::ai_route!(ai::goals::REVIEW),
    ai::ai_route!(ai::metrics::PATTERNS),
    ai::ai_route!(ai::metrics::ANOMALIES),
    ai::ai_route!(ai::metrics::CORRELATIONS),
    ai::ai_route!(ai::metrics::PREDICT),
    ai::ai_route!(ai::metrics::TARGETS),
    ai::ai_route!(ai::metrics::INSIGHTS),
    ai::ai_route!(ai::habits::DESIGN),
    ai::ai_route!(ai::habits::STACK),
    ai::ai_route!(ai::habits::RECOVERY),
    ai::ai_route!(ai::habits::OPTIMIZE),
    ai::ai_route!(ai::habits::DIFFICULTY),
    ai::ai_route!(ai::habits::INSIGHTS),
    ai::ai_route!(ai::projects::PLAN),
    ai::ai_route!(ai::projects::HEALTH),
    ai::ai_route!(ai::projects::STATUS),
    ai::ai_route!(ai::logbook::SUMMARIZE),
    ai::ai_route!(ai::logbook::THEMES),
    ai::ai_route!(ai::logbook::SENTIMENT),
    ai::ai_route!(ai::logbook::REFLECT),
    ai::ai_route!(ai::logbook::EXTRACT_TASKS),
    ai::ai_route!(ai::logbook::LINK),
];
