//! End-to-end tests: the real worker under `wrangler dev` (workerd, local D1, KV and
//! Durable Objects), driven over HTTP like a client. One file per product.

// The tests run natively, where chrono's clock is the system's (the worker's own code
// reads time through `platform::ids::now`).
#![allow(clippy::disallowed_methods)]

mod assistant;
mod attacks;
mod auth;
mod fake_http;
mod fake_knot;
mod fake_llm;
mod fake_mail;
mod fake_stream;
mod fake_sui;
mod harness;
mod money;
mod newcomer;
mod os;
mod os_ai;
mod os_filters;
mod os_goals;
mod os_transfer;
mod os_vault;
mod phantom;
mod platform;
mod readme;
mod security;
mod streaming;
mod suiftly;

use harness::Test;

fn main() {
    let mut tests: Vec<Test> = Vec::new();
    tests.extend(platform::tests());
    tests.extend(auth::tests());
    tests.extend(phantom::tests());
    tests.extend(suiftly::tests());
    tests.extend(os::tests());
    tests.extend(os_goals::tests());
    tests.extend(os_filters::tests());
    tests.extend(os_vault::tests());
    tests.extend(os_transfer::tests());
    tests.extend(os_ai::tests());
    tests.extend(security::tests());
    tests.extend(attacks::tests());
    tests.extend(assistant::tests());
    tests.extend(money::tests());
    tests.extend(streaming::tests());
    tests.extend(newcomer::tests());
    tests.extend(readme::tests());
    harness::main(tests);
}
