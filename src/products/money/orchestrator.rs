//! The assistant behind `POST /chats/{id}/messages`: reads what is asked (card, split,
//! tracker, general), runs that stage on the user's own data, and answers with the words,
//! the stages it ran (`thinking`), an `action` and the numbers behind it (`drawer_data`).
//! Every figure comes from the stored transactions or exact integer arithmetic; a question
//! about data the user has not linked is answered as such, never with invented numbers.

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};
use worker::D1Database;

use super::accounts;
use super::chats::Chat;
use super::groups;
use super::rules::amounts::format as money;
use super::rules::cards;
use super::rules::insights::{totals, Tx};
use super::rules::intent::{self, Ask, People, SplitAsk, TrackerAsk};
use super::rules::{category_of, split};
use super::settings::{self, Settings};
use super::transactions;
use crate::platform::auth::Caller;
use crate::platform::config::{Config, LlmBackend};
use crate::platform::error::ApiError;
use crate::platform::llm::stream::Trimmed;
use crate::platform::llm::{self, Message, Outcome, Request};
use crate::platform::sse::Events;

pub struct Answer {
    pub content: String,
    pub thinking: Vec<String>,
    pub action: Option<Value>,
    pub drawer_data: Option<Value>,
}

impl Answer {
    fn text(content: impl Into<String>, thinking: &Stages) -> Self {
        Answer {
            content: content.into(),
            thinking: thinking.list.clone(),
            action: None,
            drawer_data: None,
        }
    }
}

/// The stages an answer runs, in order (its `thinking`); each also goes out as a
/// `thinking {stage}` event as it starts when the answer is streamed.
pub struct Stages {
    list: Vec<String>,
    events: Option<Events>,
    /// Text went out as `delta`s.
    streamed: std::cell::Cell<bool>,
}

impl Stages {
    pub fn new(events: Option<Events>) -> Self {
        Stages {
            list: Vec::new(),
            events,
            streamed: std::cell::Cell::new(false),
        }
    }

    /// Whether the answer's text already went out as it was written.
    pub fn streamed(&self) -> bool {
        self.streamed.get()
    }

    /// The client of a streamed answer has gone away.
    pub fn abandoned(&self) -> bool {
        self.events.as_ref().is_some_and(Events::gone)
    }

    fn push(&mut self, stage: impl Into<String>) {
        let stage = stage.into();
        if let Some(e) = &self.events {
            e.send("thinking", &json!({ "stage": stage }));
        }
        self.list.push(stage);
    }

    /// Streams answer text.
    pub fn delta(&self, text: &str) {
        if let (Some(e), false) = (&self.events, text.is_empty()) {
            e.send("delta", &json!({ "text": text }));
            self.streamed.set(true);
        }
    }
}

pub const HELP: &str = "I can recommend one of your cards (“which card for groceries?”), split a bill to the cent \
    (“split $84.50 with Sam and Ana”, “split 90 2:1 with Sam”, “split $100 three ways”) and answer spending questions \
    from your transactions (“how much did I spend on dining this month?”, “vs last month?”, “top merchants in October”).";

/// Answers `content`; `thinking` says which stages ran (and streams them when asked).
/// Rule-made answers are whole at once; a model's general answer streams as `delta`s.
pub async fn answer(
    env: &worker::Env,
    config: &Config,
    db: &D1Database,
    caller: &Caller,
    chat: &Chat,
    content: &str,
    thinking: &mut Stages,
) -> Result<Answer, ApiError> {
    let group_id = chat.group_id.as_deref();
    let today = crate::platform::ids::now().date_naive();
    let ask = intent::read(content, today);
    thinking.push(format!("detect intent: {} (rules)", ask.name()));
    match ask {
        // A split the message does not pin down is answered with what is missing, as a
        // person would, not refused: the conversation goes on.
        Ask::Split(a) => match split_bill(db, caller, group_id, a, thinking).await {
            Err(ApiError::Validation(problems)) => {
                let why: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
                thinking.push("split: not enough to compute it, ask back");
                Ok(Answer::text(
                    format!("I can't split that yet: {}.", why.join("; ")),
                    thinking,
                ))
            }
            other => other,
        },
        Ask::Card { category } => card(db, config, caller, content, category, thinking).await,
        Ask::Tracker(mut t) => {
            let mut merchant = None;
            if t.follow_up {
                // "vs last month?": the chat's last spending question, compared.
                let last: Option<String> = db
                    .prepare(
                        "SELECT action FROM money_messages WHERE chat_id = ?1 AND role = 'assistant' \
                         AND action ->> 'type' = 'tracker' ORDER BY seq DESC LIMIT 1",
                    )
                    .bind(&[chat.id.as_str().into()])?
                    .first(Some("action"))
                    .await?;
                let last: Value = last
                    .and_then(|a| serde_json::from_str(&a).ok())
                    .unwrap_or(Value::Null);
                if let Some(p) = last["period"].as_str().and_then(intent::Period::from_key) {
                    t.period = p;
                }
                t.category = t.category.or_else(|| {
                    last["category"]
                        .as_str()
                        .and_then(|c| super::rules::CATEGORIES.iter().copied().find(|k| *k == c))
                });
                merchant = last["merchant"].as_str().map(str::to_string);
                thinking.push("follow-up of the last spending question");
            }
            tracker(db, caller, content, t, merchant, today, thinking).await
        }
        Ask::General => {
            let settings = Settings::of(config)?;
            if settings.feature_ai && config.llm.backend != LlmBackend::Offline {
                thinking.push("general: ask the model");
                let offline = || Ok(Outcome::Json(Value::Null));
                let req = Request {
                    feature: "money chat",
                    user_id: &caller.user_id,
                    messages: vec![
                        Message::system(format!(
                            "You are a personal finance assistant. Never state amounts, balances or figures: the \
                             app computes those. Answer briefly. What the app can do: {HELP}"
                        )),
                        Message::user(content),
                    ],
                    tools: &[],
                    output: None,
                    offline: &offline,
                };
                let trimmed = std::cell::RefCell::new(Trimmed::default());
                let outcome = match &thinking.events {
                    Some(events) => {
                        let on_text = |t: &str| thinking.delta(&trimmed.borrow_mut().push(t));
                        llm::complete_streaming(
                            env,
                            &config.llm,
                            &req,
                            Some(&events.signal()),
                            &on_text,
                        )
                        .await?
                    }
                    None => llm::complete(env, &config.llm, &req).await?,
                };
                let text = match outcome {
                    Outcome::Reply(r) if !r.content.trim().is_empty() => {
                        r.content.trim().to_string()
                    }
                    _ => {
                        thinking.delta(HELP);
                        HELP.to_string()
                    }
                };
                Ok(Answer::text(text, thinking))
            } else {
                thinking.push("general: offline reply");
                Ok(Answer::text(HELP, thinking))
            }
        }
    }
}

fn refuse(message: impl Into<String>) -> ApiError {
    ApiError::validation("content", message)
}

async fn split_bill(
    db: &D1Database,
    caller: &Caller,
    group_id: Option<&str>,
    a: SplitAsk,
    thinking: &mut Stages,
) -> Result<Answer, ApiError> {
    let total = a
        .amount
        .map_err(|e| refuse(format!("the amount to split {}", e.message())))?;
    thinking.push(format!("parse amount: {total} cents"));
    let names: Vec<String> = match a.people {
        People::Named(n) => n,
        People::Ways(k) if (2..=100).contains(&k) => std::iter::once("You".to_string())
            .chain((2..=k).map(|i| format!("Person {i}")))
            .collect(),
        People::Ways(_) => return Err(refuse("a split needs 2 to 100 people")),
        People::Group => {
            let gid = group_id.ok_or_else(|| {
                refuse(
                    "this chat has no group: name the people, as in “split $30 with Sam and Ana”",
                )
            })?;
            groups::members(db, gid)
                .await?
                .iter()
                .map(|m| {
                    if m.user_id.as_deref() == Some(caller.user_id.as_str()) {
                        "You".to_string()
                    } else {
                        m.display()
                    }
                })
                .collect()
        }
        People::Nobody => return Err(refuse(
            "say who to split with, as in “split $30 with Sam and Ana” or “split $30 three ways”",
        )),
    };
    if names.len() > 100 {
        return Err(refuse("a split needs 2 to 100 people"));
    }
    thinking.push(format!("resolve people: {}", names.len()));
    let weights = match &a.weights {
        Some(w) if w.len() != names.len() => {
            return Err(refuse(format!(
                "{} shares given for {} people",
                w.len(),
                names.len()
            )))
        }
        Some(w) if w.contains(&0) => return Err(refuse("every share must be at least 1")),
        Some(w) => w.clone(),
        None => vec![1; names.len()],
    };
    let shares = split::split(total, &weights).ok_or_else(|| refuse("nobody to split with"))?;
    thinking.push("compute shares (remainder cents to the first named)");
    let currency = settings::of_user(db, &caller.user_id).await?.home_currency;
    let how = match &a.weights {
        Some(w) => format!(
            "by shares {}",
            w.iter().map(u32::to_string).collect::<Vec<_>>().join(":")
        ),
        None => format!("{} ways", names.len()),
    };
    let parts: Vec<String> = names
        .iter()
        .zip(&shares)
        .map(|(n, s)| format!("{n} {}", money(*s)))
        .collect();
    Ok(Answer {
        content: format!(
            "Split {} {currency} {how}: {}.",
            money(total),
            parts.join(", ")
        ),
        thinking: thinking.list.clone(),
        action: Some(
            json!({"type": "split", "total_cents": total, "currency": currency, "participants": names, "weights": weights}),
        ),
        drawer_data: Some(json!({
            "total_cents": total, "currency": currency,
            "shares": names.iter().zip(&shares).zip(&weights)
                .map(|((n, s), w)| json!({"name": n, "amount_cents": s, "weight": w})).collect::<Vec<_>>(),
        })),
    })
}

/// The user's merchants a message names (longest first).
fn merchants_named(txs: &[Tx], lower: &str) -> Vec<String> {
    let mut names: Vec<String> = txs.iter().map(|t| t.merchant.clone()).collect();
    crate::platform::sort::sort_by_key(&mut names, |n| std::cmp::Reverse(n.len()));
    names.dedup();
    names
        .into_iter()
        .filter(|m| m.len() >= 3 && lower.contains(&m.to_lowercase()))
        .collect()
}

async fn card(
    db: &D1Database,
    config: &Config,
    caller: &Caller,
    content: &str,
    category: Option<&'static str>,
    thinking: &mut Stages,
) -> Result<Answer, ApiError> {
    let linked = accounts::all(db, &caller.user_id).await?;
    thinking.push(format!("load linked cards: {}", linked.len()));
    if linked.is_empty() {
        return Ok(Answer::text(
            "You haven't linked a card yet, so I can't compare rewards. Link your accounts in onboarding first.",
            thinking,
        ));
    }
    let today = crate::platform::ids::now().date_naive();
    let category = match category {
        Some(c) => c,
        None => {
            let recent = transactions::between(
                db,
                &caller.user_id,
                today - Duration::days(400),
                today + Duration::days(1),
            )
            .await?;
            merchants_named(&recent, &content.to_lowercase())
                .first()
                .map_or("other", |m| category_of(m))
        }
    };
    thinking.push(format!("category: {category}"));
    let catalogue = &Settings::of(config)?.catalogue;
    let names: Vec<String> = linked.iter().map(|a| a.name.clone()).collect();
    let Some((best, rate)) = cards::best(catalogue, &names, category) else {
        return Ok(Answer::text("You haven't linked a card yet.", thinking));
    };
    thinking.push("rank cards by reward rate");
    let account = linked.iter().find(|a| a.name == best);
    let last4 = account.and_then(|a| a.last4.clone());
    let what = if category == "other" {
        "everyday purchases".to_string()
    } else {
        category.to_string()
    };
    let ranked: Vec<Value> = linked
        .iter()
        .map(|a| json!({"account_id": a.id, "name": a.name, "last4": a.last4, "rate_bps": cards::best(catalogue, std::slice::from_ref(&a.name), category).map_or(100, |(_, r)| r)}))
        .collect();
    Ok(Answer {
        content: format!(
            "Use your {best}{} for {what}: it earns {} back, the best of your {} linked card{}.",
            last4
                .as_deref()
                .map(|l| format!(" (•• {l})"))
                .unwrap_or_default(),
            cards::percent(rate),
            linked.len(),
            if linked.len() == 1 { "" } else { "s" }
        ),
        thinking: thinking.list.clone(),
        action: Some(
            json!({"type": "card", "account_id": account.map(|a| a.id.clone()), "card": best, "category": category, "rate_bps": rate}),
        ),
        drawer_data: Some(
            json!({"category": category, "recommended": {"account_id": account.map(|a| a.id.clone()), "name": best, "last4": last4, "rate_bps": rate}, "cards": ranked}),
        ),
    })
}

async fn tracker(
    db: &D1Database,
    caller: &Caller,
    content: &str,
    t: TrackerAsk,
    earlier_merchant: Option<String>,
    today: NaiveDate,
    thinking: &mut Stages,
) -> Result<Answer, ApiError> {
    let linked = accounts::all(db, &caller.user_id).await?;
    thinking.push(format!("load linked accounts: {}", linked.len()));
    if linked.is_empty() {
        return Ok(Answer::text(
            "You haven't linked any accounts yet, so I have no spending to show. Link them in onboarding first.",
            thinking,
        ));
    }
    let currency = settings::of_user(db, &caller.user_id).await?.home_currency;
    let (from, to, label) = t.period.range(today);
    let previous = t.compare.then(|| t.period.previous(today).range(today));
    let earliest = previous.as_ref().map_or(from, |p| p.0.min(from));
    let txs = transactions::between(db, &caller.user_id, earliest, to).await?;
    thinking.push(format!(
        "period: {label} ({from} to {})",
        to - Duration::days(1)
    ));
    let lower = content.to_lowercase();
    let merchant = merchants_named(&txs, &lower)
        .into_iter()
        .next()
        .or(earlier_merchant);
    let chosen: Vec<Tx> = txs
        .into_iter()
        .filter(|x| t.category.is_none_or(|c| x.category == c))
        .filter(|x| merchant.as_ref().is_none_or(|m| x.merchant == *m))
        .collect();
    let in_period = |x: &&Tx| x.date >= from && x.date < to && x.currency == currency;
    let count = chosen.iter().filter(in_period).count();
    let (total, by_category, by_merchant) = totals(&chosen, &currency, from, to);
    thinking.push(format!("sum {count} transactions in {currency}"));
    let what = match (&merchant, t.category) {
        (Some(m), _) => format!(" at {m}"),
        (None, Some(c)) => format!(" on {c}"),
        (None, None) => String::new(),
    };
    let mut content = format!(
        "You spent {} {currency}{what} in {label} ({count} transaction{}).",
        money(total),
        if count == 1 { "" } else { "s" }
    );
    let mut drawer = json!({
        "total_cents": total, "currency": currency, "count": count,
        "period": {"label": label, "from": from.to_string(), "to": (to - Duration::days(1)).to_string()},
        "category": t.category, "merchant": merchant,
        "by_category": by_category.iter().map(|(c, v)| json!({"category": c, "total_cents": v})).collect::<Vec<_>>(),
    });
    if let Some((pfrom, pto, plabel)) = previous {
        let (before, _, _) = totals(&chosen, &currency, pfrom, pto);
        let change = total - before;
        thinking.push(format!("compare with {plabel}"));
        content.push_str(&format!(
            " {plabel}: {} — {} {}.",
            money(before),
            money(change.abs()),
            if change >= 0 { "more" } else { "less" }
        ));
        drawer["previous"] = json!({"label": plabel, "from": pfrom.to_string(), "to": (pto - Duration::days(1)).to_string(),
            "total_cents": before, "change_cents": change});
    }
    if t.top_merchants {
        thinking.push("rank merchants");
        let top: Vec<&(String, i64)> = by_merchant.iter().take(5).collect();
        let lines: Vec<String> = top
            .iter()
            .enumerate()
            .map(|(i, (m, c))| format!("{}. {m} {}", i + 1, money(*c)))
            .collect();
        content = format!("Top merchants in {label}: {}.", lines.join(", "));
        drawer["merchants"] = top
            .iter()
            .map(|(m, c)| json!({"merchant": m, "total_cents": c}))
            .collect();
    }
    Ok(Answer {
        content,
        thinking: thinking.list.clone(),
        action: Some(
            json!({"type": "tracker", "period": t.period.key(), "category": t.category, "merchant": merchant}),
        ),
        drawer_data: Some(drawer),
    })
}
