//! Money: a chat-first personal finance assistant. Linked accounts and their transactions
//! (Knot TransactionLink when `FEATURE_KNOT=true`, a deterministic demo history otherwise),
//! chats whose assistant recommends cards, splits bills to the cent and answers spending
//! questions from the stored transactions, groups with pending invites, and insights
//! computed by each user's scheduler.

pub mod accounts;
pub mod chats;
pub mod groups;
pub mod insights;
pub mod knot;
pub mod orchestrator;
pub mod rules;
pub mod settings;
pub mod transactions;

use futures::future::LocalBoxFuture;
use worker::Env;

use crate::platform::config::Config;
use crate::platform::error::ApiError;
use crate::platform::product::{CronJob, Event, JobCtx, Product, Route};
use crate::route;

pub static PRODUCT: Product = Product {
    name: "money",
    title: "Money",
    routes: ROUTES,
    settings: Some(|raw, stage, errors| Box::new(settings::Settings::parse(raw, stage, errors))),
    jobs: Some(|env, user_id, kind, slot| run_job(env, user_id, kind, slot)),
    crons: &[CronJob {
        name: "retention",
        run: |c| Box::pin(retention(c)),
    }],
    listener: Some(listen),
};

static ROUTES: &[Route] = &[
    route!(POST "/api/money/onboarding/start", User, accounts::start, accounts::START_DOC),
    route!(POST "/api/money/onboarding/complete", User, accounts::complete, accounts::COMPLETE_DOC),
    route!(GET "/api/money/accounts", User, accounts::list, accounts::LIST_DOC),
    route!(DELETE "/api/money/accounts/{id}", User, accounts::unlink, accounts::UNLINK_DOC),
    route!(POST "/api/money/accounts/{id}/sync", User, accounts::sync_now, accounts::SYNC_DOC),
    route!(GET "/api/money/transactions", User, transactions::list, transactions::LIST_DOC),
    route!(GET "/api/money/chats", User, chats::list, chats::LIST_DOC),
    route!(POST "/api/money/chats", User, chats::create, chats::CREATE_DOC),
    route!(GET "/api/money/chats/{id}", User, chats::get, chats::GET_DOC),
    route!(POST "/api/money/chats/{id}/messages", User, chats::post_message, chats::MESSAGE_DOC),
    route!(GET "/api/money/groups", User, groups::list, groups::LIST_DOC),
    route!(POST "/api/money/groups", User, groups::create, groups::CREATE_DOC),
    route!(GET "/api/money/groups/{id}", User, groups::get, groups::GET_DOC),
    route!(GET "/api/money/insights", User, insights::get, insights::GET_DOC),
    route!(GET "/api/money/insights/summary", User, insights::summary, insights::SUMMARY_DOC),
    route!(GET "/api/money/settings", User, settings::get, settings::GET_DOC),
    route!(PATCH "/api/money/settings", User, settings::patch, settings::PATCH_DOC),
    route!(POST "/api/money/webhooks/knot", Public, knot::webhook, knot::WEBHOOK_DOC),
];

/// The user's scheduler jobs: `sync` (queued by onboarding and Knot webhooks), `daily`
/// (a sync when Knot is on, then insights) and `insights`.
fn run_job<'a>(
    env: &'a Env,
    user_id: &'a str,
    kind: &'a str,
    _slot: i64,
) -> LocalBoxFuture<'a, Result<String, ApiError>> {
    Box::pin(async move {
        let config = crate::platform::config::Config::from_env(env)
            .map_err(|p| ApiError::internal(p.join("; ")))?;
        let db = crate::platform::bindings::db(env)?;
        let settings = settings::Settings::of(&config)?;
        let mut outcome = Vec::new();
        if kind == "sync" || (kind == "daily" && settings.feature_knot) {
            outcome.push(knot::sync_user(&db, settings, user_id).await?);
        }
        outcome.push(insights::refresh(&db, user_id).await?);
        Ok(outcome.join("; "))
    })
}

/// Pending group invites to an address become memberships once its owner proves it.
fn listen(
    db: &worker::D1Database,
    _config: &Config,
    event: &Event<'_>,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    match event {
        Event::EmailVerified { user_id, email } => {
            Ok(vec![groups::claim_invites(db, user_id, email)?])
        }
        Event::WalletSignedIn { .. } => Ok(Vec::new()),
    }
}

/// Queues a one-shot job of the user's scheduler now, plus the daily refresh.
pub async fn queue(env: &Env, user_id: &str, kind: &str) -> Result<(), ApiError> {
    use crate::platform::scheduler::{JobChanges, JobSpec, SchedulerClient};
    let now = crate::platform::ids::now_ms() as i64;
    let changes = JobChanges {
        upsert: vec![
            JobSpec {
                kind: format!("money:{kind}"),
                every_ms: 0,
                jitter_pct: 0,
                first_run_at: now,
            },
            JobSpec {
                kind: "money:daily".into(),
                every_ms: 86_400_000,
                jitter_pct: 10,
                first_run_at: now + 86_400_000,
            },
        ],
        remove: Vec::new(),
    };
    SchedulerClient::for_user(env, user_id)?
        .change(&changes)
        .await
}

/// Knot webhook bodies after a day (a replay is refused by its timestamp after 10 minutes
/// anyway) and Knot sessions after 30 days.
async fn retention(ctx: &JobCtx) -> Result<String, ApiError> {
    let now = crate::platform::ids::now();
    let day = crate::platform::ids::rfc3339(now - chrono::Duration::days(1));
    let month = crate::platform::ids::rfc3339(now - chrono::Duration::days(30));
    crate::platform::cron::prune(
        ctx,
        &[
            ("Knot webhooks", "DELETE FROM money_knot_webhooks WHERE body_hash IN (SELECT body_hash FROM money_knot_webhooks \
              WHERE received_at < ?1 LIMIT ?2)", day.as_str().into()),
            ("Knot sessions", "DELETE FROM money_knot_sessions WHERE session_id IN (SELECT session_id FROM money_knot_sessions \
              WHERE created_at < ?1 LIMIT ?2)", month.as_str().into()),
        ],
    )
    .await
}
