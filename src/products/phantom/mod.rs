//! Phantom (docs/phantom.md): personas, browsing plans, decoy noise events a browser
//! extension polls, rotating browser fingerprints, fake form data, and the per-user
//! scheduler loops that keep the noise coming.

pub mod ai;
pub mod fingerprint;
pub mod noise;
pub mod offline;
pub mod personas;
pub mod plans;
pub mod profile;
pub mod scheduler;
pub mod settings;
pub mod status;
pub mod words;

use crate::platform::config::{parse_int, Stage};
use crate::platform::error::ApiError;
use crate::platform::product::{CronJob, JobCtx, Product, Route};
use crate::route;

pub static PRODUCT: Product = Product {
    name: "phantom",
    title: "Phantom",
    routes: ROUTES,
    settings: Some(|raw, stage, errors| Box::new(Limits::parse(raw, stage, errors))),
    jobs: Some(|env, user_id, kind, slot| Box::pin(scheduler::run_job(env, user_id, kind, slot))),
    crons: &[CronJob {
        name: "retention",
        run: |c| Box::pin(retention(c)),
    }],
    listener: None,
};

static ROUTES: &[Route] = &[
    route!(POST "/api/phantom/personas", User, personas::create, personas::CREATE_DOC),
    route!(GET "/api/phantom/personas", User, personas::list, personas::LIST_DOC),
    route!(POST "/api/phantom/personas/generate", User, personas::generate, personas::GENERATE_DOC),
    route!(GET "/api/phantom/personas/{id}", User, personas::get, personas::GET_DOC),
    route!(PATCH "/api/phantom/personas/{id}", User, personas::update, personas::UPDATE_DOC),
    route!(DELETE "/api/phantom/personas/{id}", User, personas::delete, personas::DELETE_DOC),
    route!(POST "/api/phantom/persona/rotate", User, personas::rotate_now, personas::ROTATE_DOC),
    route!(POST "/api/phantom/plans/generate", User, plans::generate, plans::GENERATE_DOC),
    route!(GET "/api/phantom/plans", User, plans::list, plans::LIST_DOC),
    route!(GET "/api/phantom/plans/next", UserByHeader, plans::next, plans::NEXT_DOC),
    route!(POST "/api/phantom/plans/{id}/complete", User, plans::complete, plans::COMPLETE_DOC),
    route!(GET "/api/phantom/noise", UserByHeader, noise::pending, noise::PENDING_DOC),
    route!(GET "/api/phantom/noise/{event_type}", UserByHeader, noise::pending_of_type, noise::PENDING_TYPE_DOC),
    route!(GET "/api/phantom/fingerprint", User, profile::get_fingerprint, profile::FINGERPRINT_DOC),
    route!(GET "/api/phantom/form-data", User, profile::form_data, profile::FORM_DATA_DOC),
    route!(GET "/api/phantom/status", User, status::get, status::DOC),
    route!(GET "/api/phantom/settings", User, settings::get, settings::GET_DOC),
    route!(PATCH "/api/phantom/settings", User, settings::patch, settings::PATCH_DOC),
    route!(POST "/api/phantom/scheduler/run-now", User, scheduler::run_now, scheduler::RUN_NOW_DOC),
];

/// Phantom's settings of this worker.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Undelivered noise events kept per user (`PHANTOM_MAX_BACKLOG`); loops skip while
    /// it is reached.
    pub max_backlog: i64,
}

impl Limits {
    fn parse(
        raw: &dyn Fn(&str) -> Option<String>,
        _stage: &Stage,
        errors: &mut Vec<String>,
    ) -> Self {
        Limits {
            max_backlog: parse_int(
                errors,
                "PHANTOM_MAX_BACKLOG",
                raw("PHANTOM_MAX_BACKLOG"),
                500,
                10..=100_000,
            ),
        }
    }

    pub fn of(config: &crate::platform::config::Config) -> Result<&Limits, ApiError> {
        config.product::<Limits>()
    }
}

const DELIVERED_NOISE_KEEP_DAYS: i64 = 7;

/// Delivered noise events and cycle records after 7 days.
async fn retention(ctx: &JobCtx) -> Result<String, ApiError> {
    let cutoff = crate::platform::ids::rfc3339(
        crate::platform::ids::now() - chrono::Duration::days(DELIVERED_NOISE_KEEP_DAYS),
    );
    crate::platform::cron::prune(
        ctx,
        &[
            ("delivered noise events",
             "DELETE FROM noise_events WHERE id IN (SELECT id FROM noise_events WHERE delivered = 1 AND created_at < ?1 LIMIT ?2)",
             cutoff.as_str().into()),
            ("phantom cycles",
             "DELETE FROM phantom_cycles WHERE rowid IN (SELECT rowid FROM phantom_cycles WHERE created_at < ?1 LIMIT ?2)",
             cutoff.as_str().into()),
        ],
    )
    .await
}
