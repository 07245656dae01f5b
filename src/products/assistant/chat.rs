//! `POST /api/assistant/chat`: one turn of a conversation. The history comes from D1, the
//! answer from a model that calls the tools (up to [`MAX_STEPS`] rounds), or with the
//! offline backend from the deterministic reading of `intent`. Nothing of a turn is stored
//! until it has an answer; then the user's message, the tool calls and the reply are
//! written in one batch. A turn holds its conversation while it runs (another turn on it
//! is 409). Asked for `text/event-stream`, the turn is answered as events while it runs:
//! `conversation`, `tool_call` / `tool_result` as each tool runs, `delta` text as the
//! reply is written, then `done` (the JSON answer) or `error`.

use chrono::NaiveDate;
use serde_json::{json, Value};
use worker::D1Database;

use super::conversations::{self, Conversation, Stored};
use super::intent::{self, Intent, Target};
use super::tools::{self, ToolError};
use super::Settings;
use crate::platform::auth::Caller;
use crate::platform::config::LlmBackend;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::{object, text};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::llm::stream::{words, Trimmed};
use crate::platform::llm::{self, Message, Outcome, Request, ToolCall};
use crate::platform::openapi::Doc;
use crate::platform::sse::{self, Events};
use crate::products::os::settings as os_settings;

/// Rounds of model → tool calls → results before the agent stops.
pub const MAX_STEPS: usize = 5;
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// What a turn did: each round's text and tool calls with their results, then the reply;
/// and where its progress goes when it is streamed.
#[derive(Default)]
struct Turn {
    rounds: Vec<(String, Vec<(ToolCall, Value)>)>,
    reply: String,
    events: Option<Events>,
}

impl Turn {
    fn calls(&self) -> impl Iterator<Item = &(ToolCall, Value)> {
        self.rounds.iter().flat_map(|(_, calls)| calls)
    }

    /// Runs a tool and records the call with its result (a refusal as `{error}`); only a
    /// platform failure is an error of the turn.
    async fn run(
        &mut self,
        db: &D1Database,
        caller: &Caller,
        call: ToolCall,
    ) -> Result<Result<Value, ToolError>, ApiError> {
        self.send(
            "tool_call",
            json!({"tool": call.name, "arguments": call.arguments}),
        );
        let outcome = tools::call(db, caller, &call.name, &call.arguments).await;
        if let Err(ToolError::Internal(e)) = outcome {
            return Err(e);
        }
        let recorded = match &outcome {
            Ok(v) => v.clone(),
            Err(e) => e.to_json(),
        };
        self.send(
            "tool_result",
            json!({"tool": call.name, "result": recorded}),
        );
        match self.rounds.last_mut() {
            Some((_, calls)) => calls.push((call, recorded)),
            None => self.rounds.push((String::new(), vec![(call, recorded)])),
        }
        Ok(outcome)
    }

    fn send(&self, event: &str, data: Value) {
        if let Some(e) = &self.events {
            e.send(event, &data);
        }
    }

    /// Sends reply text as it is written.
    fn delta(&self, text: &str) {
        if !text.is_empty() {
            self.send("delta", json!({ "text": text }));
        }
    }

    /// The client of a streamed turn has gone away: the turn stops and stores nothing.
    fn abandoned(&self) -> bool {
        self.events.as_ref().is_some_and(Events::gone)
    }

    fn stored(&self, message: &str, at: &str) -> Vec<Stored> {
        let mut out = vec![Stored::user(message, at)];
        for (text, calls) in &self.rounds {
            let made: Vec<ToolCall> = calls.iter().map(|(c, _)| c.clone()).collect();
            out.push(Stored::assistant(text, &made, at));
            out.extend(calls.iter().map(|(c, r)| Stored::tool(c, r, at)));
        }
        out.push(Stored::assistant(&self.reply, &[], at));
        out
    }
}

struct Input {
    conversation_id: Option<String>,
    message: String,
}

fn parse(body: &Value) -> Result<Input, ApiError> {
    let obj = object(body)?;
    let mut errors = Vec::new();
    for k in obj.keys() {
        if !["conversation_id", "message"].contains(&k.as_str()) {
            errors.push(FieldError::new(k, "is not a field of a chat message"));
        }
    }
    let message = match obj.get("message") {
        Some(v) => text(v, "message", MAX_MESSAGE_CHARS, &mut errors),
        None => {
            errors.push(FieldError::new("message", "is required"));
            None
        }
    };
    let conversation_id = match obj.get("conversation_id") {
        None | Some(Value::Null) => None,
        Some(v) => text(v, "conversation_id", 64, &mut errors),
    };
    match message {
        Some(message) if errors.is_empty() => Ok(Input {
            conversation_id,
            message,
        }),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// A turn ready to run: its conversation (held, unless new), the history and the day.
struct Begun {
    input: Input,
    conversation: Conversation,
    is_new: bool,
    history: Vec<Stored>,
    today: NaiveDate,
    tz: String,
    now: String,
}

pub async fn chat(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let input = parse(&body)?;
    let window = Settings::of(&ctx.config)?.history_messages;
    let db = ctx.d1()?;
    let now = ids::now_rfc3339();
    // The conversation (held for this turn), its history and the user's zone, read at
    // once (one round trip).
    let read = async {
        match &input.conversation_id {
            Some(id) => {
                let (c, history) = futures::join!(
                    conversations::hold(&db, &caller, id),
                    conversations::history(&db, &caller, id, window)
                );
                let mut c = c?;
                let history = match history {
                    Ok(h) => h,
                    Err(e) => return Err(release(&db, &caller, &Some(c.id), e).await),
                };
                c.updated_at = now.clone();
                Ok::<_, ApiError>((c, false, history))
            }
            None => Ok((
                Conversation {
                    id: ids::new_id()?,
                    title: input.message.chars().take(80).collect(),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                },
                true,
                Vec::new(),
            )),
        }
    };
    let (read, tz) = futures::join!(read, os_settings::timezone(&db, &caller.user_id));
    let (conversation, is_new, history) = read?;
    let today = tz.and_then(|tz| Ok((os_settings::today_in(&tz)?, tz)));
    let (today, tz) = match today {
        Ok(t) => t,
        Err(e) => {
            let held = (!is_new).then(|| conversation.id.clone());
            return Err(release(&db, &caller, &held, e).await);
        }
    };
    let begun = Begun {
        input,
        conversation,
        is_new,
        history,
        today,
        tz,
        now,
    };

    if sse::wanted(&ctx) {
        let (env, config) = (ctx.env.clone(), ctx.config.clone());
        return sse::respond(&ctx, move |events| async move {
            events.send(
                "conversation",
                &json!({"conversation_id": begun.conversation.id}),
            );
            let answer = run(&env, &config, &db, &caller, begun, Some(events.clone())).await?;
            events.send("done", &answer);
            Ok(())
        });
    }
    let answer = run(&ctx.env, &ctx.config, &db, &caller, begun, None).await?;
    http::json(200, &answer)
}

/// Frees the conversation a failed turn held, and passes its error on.
async fn release(db: &D1Database, caller: &Caller, held: &Option<String>, e: ApiError) -> ApiError {
    if let Some(id) = held {
        if let Err(r) = conversations::release(db, caller, id).await {
            return r;
        }
    }
    e
}

/// Runs a begun turn and stores it; its answer is `{conversation_id, reply, tool_calls}`.
/// A turn that fails (or whose client went away) stores nothing and frees the
/// conversation; the tools it ran keep their effect.
async fn run(
    env: &worker::Env,
    config: &crate::platform::config::Config,
    db: &D1Database,
    caller: &Caller,
    begun: Begun,
    events: Option<Events>,
) -> Result<Value, ApiError> {
    let held = (!begun.is_new).then(|| begun.conversation.id.clone());
    let turn = async {
        let turn = Turn {
            events,
            ..Turn::default()
        };
        let turn = if config.llm.backend == LlmBackend::Offline {
            let turn = offline(
                turn,
                db,
                caller,
                &begun.history,
                &begun.input.message,
                begun.today,
            )
            .await?;
            words(&turn.reply).for_each(|w| turn.delta(w));
            turn
        } else {
            let mut messages = vec![Message::system(system_prompt(begun.today, &begun.tz))];
            messages.extend(begun.history.iter().map(Stored::to_llm));
            messages.push(Message::user(&begun.input.message));
            with_model(turn, env, &config.llm, db, caller, messages).await?
        };
        if turn.abandoned() {
            return Err(ApiError::BadRequest(
                "the client closed the stream before the turn ended".into(),
            ));
        }
        Ok(turn)
    };
    let turn = match turn.await {
        Ok(t) => t,
        Err(e) => return Err(release(db, caller, &held, e).await),
    };
    let stored = turn.stored(&begun.input.message, &begun.now);
    let written = async {
        db.batch(conversations::append(
            db,
            caller,
            &begun.conversation,
            begun.is_new,
            &stored,
        )?)
        .await?;
        Ok::<_, ApiError>(())
    };
    if let Err(e) = written.await {
        return Err(release(db, caller, &held, e).await);
    }
    let calls: Vec<Value> = turn
        .calls()
        .map(|(c, r)| json!({"tool": c.name, "arguments": c.arguments, "result": r}))
        .collect();
    Ok(json!({"conversation_id": begun.conversation.id, "reply": turn.reply, "tool_calls": calls}))
}

fn system_prompt(today: NaiveDate, tz: &str) -> String {
    format!(
        "You are the assistant of Personal OS, the user's task, habit and goal manager. Today is {today} \
         ({weekday}) in the user's time zone {tz}. Act with the tools: add, list, complete, update and delete \
         tasks, log habits, report goal progress. Never invent ids: find them with list_tasks or list_habits. \
         When a tool answers with an error, fix the call or ask the user. Dates are YYYY-MM-DD. Answer in one \
         or two short sentences.",
        weekday = today.format("%A")
    )
}

/// The tool-calling loop: the model answers or calls tools; their results (errors too) go
/// back to it, up to [`MAX_STEPS`] rounds. Streamed, each round's text goes out as it is
/// written, trimmed as the reply is; so the `delta`s after the last `tool_result` are the
/// reply.
async fn with_model(
    mut turn: Turn,
    env: &worker::Env,
    cfg: &crate::platform::config::LlmConfig,
    db: &D1Database,
    caller: &Caller,
    mut messages: Vec<Message>,
) -> Result<Turn, ApiError> {
    let defs = tools::defs();
    let no_offline = || Err("the chat agent answers offline itself".to_string());
    for _ in 0..MAX_STEPS {
        if turn.abandoned() {
            return Err(ApiError::BadRequest(
                "the client closed the stream before the turn ended".into(),
            ));
        }
        let req = Request {
            feature: "chat",
            user_id: &caller.user_id,
            messages: messages.clone(),
            tools: &defs,
            output: None,
            offline: &no_offline,
        };
        let trimmed = std::cell::RefCell::new(Trimmed::default());
        let outcome = match &turn.events {
            Some(events) => {
                let on_text = |t: &str| turn.delta(&trimmed.borrow_mut().push(t));
                llm::complete_streaming(env, cfg, &req, Some(&events.signal()), &on_text).await?
            }
            None => llm::complete(env, cfg, &req).await?,
        };
        let Outcome::Reply(reply) = outcome else {
            return Err(ApiError::internal("chat asked for no JSON output"));
        };
        if reply.tool_calls.is_empty() {
            turn.reply = if reply.content.trim().is_empty() {
                turn.delta("Done.");
                "Done.".into()
            } else {
                reply.content.trim().to_string()
            };
            return Ok(turn);
        }
        messages.push(Message::assistant(&reply.content, reply.tool_calls.clone()));
        turn.rounds.push((reply.content.clone(), Vec::new()));
        for call in reply.tool_calls {
            let result = match turn.run(db, caller, call.clone()).await? {
                Ok(v) => v,
                Err(e) => e.to_json(),
            };
            messages.push(Message::tool(&call, &result));
        }
    }
    let done: Vec<String> = turn.calls().map(|(c, _)| c.name.clone()).collect();
    turn.reply = format!(
        "I stopped after {MAX_STEPS} rounds of tool calls without a final answer. Tools run: {}.",
        done.join(", ")
    );
    turn.delta(&turn.reply);
    Ok(turn)
}

// ---- the offline backend ----

async fn offline(
    mut turn: Turn,
    db: &D1Database,
    caller: &Caller,
    history: &[Stored],
    message: &str,
    today: NaiveDate,
) -> Result<Turn, ApiError> {
    let call = |name: &str, args: Value| ToolCall {
        id: format!("call_{}", name),
        name: name.to_string(),
        arguments: args,
    };
    turn.reply = match intent::parse(message, today) {
        Intent::Help => intent::HELP.to_string(),
        Intent::Add {
            title,
            due_date,
            priority,
        } => {
            let mut args = json!({ "title": title });
            if let Some(d) = due_date {
                args["due_date"] = json!(d.to_string());
            }
            if let Some(p) = priority {
                args["priority"] = json!(p);
            }
            match turn.run(db, caller, call("add_task", args)).await? {
                Ok(v) => format!("Added {}.", describe_task(&v["task"])),
                Err(e) => refused(&e),
            }
        }
        Intent::List { status, q } => {
            let mut args = json!({ "status": status });
            if let Some(q) = &q {
                args["q"] = json!(q);
            }
            match turn.run(db, caller, call("list_tasks", args)).await? {
                Ok(v) => listing(&v, status, q.as_deref()),
                Err(e) => refused(&e),
            }
        }
        Intent::Complete(target) => {
            let args = match target {
                Target::Title(t) => Ok(json!({ "title": t })),
                other => listed(history, &other).map(|id| json!({ "task_id": id })),
            };
            match args {
                Err(why) => why,
                Ok(args) => match turn.run(db, caller, call("complete_task", args)).await? {
                    Ok(v) => {
                        let points = v["points_awarded"].as_i64().unwrap_or(0);
                        if points > 0 {
                            format!("Done: {}. +{points} points.", quoted(&v["task"]["title"]))
                        } else {
                            format!(
                                "Done: {} (its points were paid the first time it was completed).",
                                quoted(&v["task"]["title"])
                            )
                        }
                    }
                    Err(e) => refused(&e),
                },
            }
        }
        Intent::Rename { target, title } => {
            update(
                &mut turn,
                db,
                caller,
                history,
                &target,
                json!({ "title": title }),
            )
            .await?
        }
        Intent::Move { target, due_date } => {
            let change = json!({ "due_date": due_date.to_string() });
            update(&mut turn, db, caller, history, &target, change).await?
        }
        Intent::Reprioritize { target, priority } => {
            update(
                &mut turn,
                db,
                caller,
                history,
                &target,
                json!({ "priority": priority }),
            )
            .await?
        }
        Intent::Delete(target) => match pick(db, caller, history, &target, false).await? {
            Err(why) => why,
            Ok(id) => match turn
                .run(db, caller, call("delete_task", json!({ "task_id": id })))
                .await?
            {
                Ok(v) => format!("Deleted {}.", quoted(&v["deleted"]["title"])),
                Err(e) => refused(&e),
            },
        },
        Intent::LogHabit { name, date } => {
            let args = json!({"name": name, "date": date.to_string()});
            match turn.run(db, caller, call("log_habit", args)).await? {
                Ok(v) => {
                    let h = &v["habit"];
                    let streak = h["current_streak"].as_u64().unwrap_or(0);
                    format!(
                        "Logged {} for {}. Current streak: {streak} day{}.",
                        quoted(&h["name"]),
                        if date == today {
                            "today".to_string()
                        } else {
                            date.to_string()
                        },
                        if streak == 1 { "" } else { "s" }
                    )
                }
                Err(e) => refused(&e),
            }
        }
        Intent::ListHabits => match turn.run(db, caller, call("list_habits", json!({}))).await? {
            Ok(v) => habits_listing(&v),
            Err(e) => refused(&e),
        },
        Intent::Goal { title } => {
            match turn
                .run(db, caller, call("goal_progress", json!({ "title": title })))
                .await?
            {
                Ok(v) => goal_report(&v),
                Err(e) => refused(&e),
            }
        }
    };
    Ok(turn)
}

/// Runs `update_task` on the task `target` names, with `change`.
async fn update(
    turn: &mut Turn,
    db: &D1Database,
    caller: &Caller,
    history: &[Stored],
    target: &Target,
    change: Value,
) -> Result<String, ApiError> {
    let id = match pick(db, caller, history, target, true).await? {
        Ok(id) => id,
        Err(why) => return Ok(why),
    };
    let mut args = change.clone();
    args["task_id"] = json!(id);
    let call = ToolCall {
        id: "call_update_task".into(),
        name: "update_task".into(),
        arguments: args,
    };
    Ok(match turn.run(db, caller, call).await? {
        Ok(v) => {
            let t = &v["task"];
            if change.get("title").is_some() {
                format!("Renamed to {}.", quoted(&t["title"]))
            } else if change.get("due_date").is_some() {
                format!(
                    "Moved {} to {}.",
                    quoted(&t["title"]),
                    t["due_date"].as_str().unwrap_or("no date")
                )
            } else {
                format!(
                    "{} is now {} priority.",
                    quoted(&t["title"]),
                    t["priority"].as_str().unwrap_or("")
                )
            }
        }
        Err(e) => refused(&e),
    })
}

/// The id of the task `target` names: from the last listing, given, or found by title
/// (several matches answer with the candidates and change nothing).
async fn pick(
    db: &D1Database,
    caller: &Caller,
    history: &[Stored],
    target: &Target,
    open_only: bool,
) -> Result<Result<String, String>, ApiError> {
    match target {
        Target::Title(title) => match tools::resolve_task(db, caller, title, open_only).await {
            Ok(t) => Ok(Ok(t.id)),
            Err(ToolError::Internal(e)) => Err(e),
            Err(e) => Ok(Err(refused(&e))),
        },
        other => Ok(listed(history, other)),
    }
}

/// An id given, or item `n` of the last `list_tasks` in this conversation.
fn listed(history: &[Stored], target: &Target) -> Result<String, String> {
    match target {
        Target::Id(id) => Ok(id.clone()),
        Target::Title(t) => Err(format!("Which task is {t:?}?")),
        Target::Index(n) => {
            let last = history
                .iter()
                .rev()
                .filter(|m| m.role == "tool" && m.tool_name.as_deref() == Some("list_tasks"))
                .find_map(|m| serde_json::from_str::<Value>(&m.content).ok());
            let Some(listing) = last else {
                return Err(format!(
                    "There is no numbered list in this conversation yet, so I don't know which task {n} is. \
                     Ask “what's pending?” first."
                ));
            };
            listing["tasks"]
                .as_array()
                .and_then(|items| items.iter().find(|t| t["n"].as_u64() == Some(*n as u64)))
                .and_then(|t| t["id"].as_str())
                .map(str::to_string)
                .ok_or_else(|| {
                    format!(
                        "The last list had {} item(s); there is no item {n}.",
                        listing["count"].as_u64().unwrap_or(0)
                    )
                })
        }
    }
}

fn quoted(v: &Value) -> String {
    format!("“{}”", v.as_str().unwrap_or(""))
}

fn describe_task(t: &Value) -> String {
    let mut s = quoted(&t["title"]);
    if let Some(d) = t["due_date"].as_str() {
        s.push_str(&format!(", due {d}"));
    }
    if let Some(p) = t["priority"].as_str().filter(|p| *p != "medium") {
        s.push_str(&format!(", {p} priority"));
    }
    s
}

fn refused(e: &ToolError) -> String {
    let mut s = format!("I couldn't do that: {}.", e.message().trim_end_matches('.'));
    if let ToolError::Refused { candidates, .. } = e {
        for c in candidates {
            let name = c["title"]
                .as_str()
                .or_else(|| c["name"].as_str())
                .unwrap_or("");
            s.push_str(&format!("\n• {name} ({})", c["id"].as_str().unwrap_or("")));
        }
    }
    s
}

fn listing(v: &Value, status: &str, q: Option<&str>) -> String {
    let items = v["tasks"].as_array().cloned().unwrap_or_default();
    let heading = match (q, status) {
        (Some(q), _) => format!("Tasks about “{q}”"),
        (None, "completed") => "Completed tasks".into(),
        (None, "all") => "Your tasks".into(),
        _ => "Your open tasks".into(),
    };
    if items.is_empty() {
        return match q {
            Some(q) => format!("Nothing about “{q}”."),
            None if status == "completed" => "Nothing completed yet.".into(),
            None => "Nothing pending. 🎉".into(),
        };
    }
    let lines: Vec<String> = items
        .iter()
        .map(|t| {
            let mut line = format!("{}. {}", t["n"], t["title"].as_str().unwrap_or(""));
            if let Some(d) = t["due_date"].as_str() {
                line.push_str(&format!(" — due {d}"));
            }
            if t["status"] == "done" && status != "completed" {
                line.push_str(" ✓");
            }
            line
        })
        .collect();
    format!("{heading}:\n{}", lines.join("\n"))
}

fn habits_listing(v: &Value) -> String {
    let items = v["habits"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return "You have no habits yet.".into();
    }
    let lines: Vec<String> = items
        .iter()
        .map(|h| {
            format!(
                "• {} — streak {}{}",
                h["name"].as_str().unwrap_or(""),
                h["current_streak"],
                if h["done_today"] == true {
                    ", done today"
                } else if h["due_today"] == true {
                    ", due today"
                } else {
                    ""
                }
            )
        })
        .collect();
    format!("Your habits:\n{}", lines.join("\n"))
}

fn goal_report(v: &Value) -> String {
    let g = &v["goal"];
    let b = &v["breakdown"];
    let mut s = format!("{} is at {}%.", quoted(&g["title"]), v["progress"]);
    if b["tasks"]["total"].as_u64().unwrap_or(0) > 0 {
        s.push_str(&format!(
            " Tasks: {} of {} done.",
            b["tasks"]["done"], b["tasks"]["total"]
        ));
    }
    if b["criteria"]["total"].as_u64().unwrap_or(0) > 0 {
        s.push_str(&format!(
            " Criteria: {} of {} met.",
            b["criteria"]["met"], b["criteria"]["total"]
        ));
    }
    if let Some(t) = g["target_date"].as_str() {
        s.push_str(&format!(" Target date: {t}."));
    }
    s
}

// ---- OpenAPI ----

fn request_schema() -> Value {
    json!({"type": "object", "required": ["message"], "additionalProperties": false, "properties": {
        "conversation_id": {"type": ["string", "null"], "minLength": 1, "maxLength": 64,
            "description": "Continue this conversation; omit to start one."},
        "message": {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE_CHARS, "pattern": "\\S",
            "examples": ["add buy milk tomorrow"]}
    }})
}

fn response_schema() -> Value {
    let answer = crate::schema!({"type": "object", "required": ["conversation_id", "reply", "tool_calls"], "properties": {
        "conversation_id": {"type": "string"},
        "reply": {"type": "string"},
        "tool_calls": {"type": "array", "items": {"type": "object", "required": ["tool", "arguments", "result"],
            "properties": {"tool": {"type": "string"}, "arguments": {}, "result": {"type": "object",
                "description": "The tool's output, or {error, candidates?} when it refused."}}}}
    }});
    let mut events = crate::schema!({
        "conversation": {"type": "object", "required": ["conversation_id"], "properties": {"conversation_id": {"type": "string"}}},
        "tool_call": {"type": "object", "required": ["tool", "arguments"], "properties": {"tool": {"type": "string"}, "arguments": {}}},
        "tool_result": {"type": "object", "required": ["tool", "result"], "properties": {"tool": {"type": "string"}, "result": {"type": "object"}}}
    });
    events["delta"] = sse::delta_schema();
    events["done"] = answer.clone();
    events["error"] = sse::error_schema();
    let mut schema = answer;
    schema["x-event-stream"] = events;
    schema
}

pub const CHAT_DOC: Doc = Doc {
    tag: "assistant",
    params: &[],
    summary: "Send a chat message",
    description: "One turn: the assistant reads the conversation's history, acts with its tools on the caller's \
        Personal OS (tasks, habits, goals) and answers. With a configured model it calls tools for up to 5 rounds; \
        with the offline backend (the default) it understands plain requests such as “add buy milk tomorrow”, \
        “what's pending?”, “done with 2”, “move call mom to monday”, “I read today”. The user's message, the tool \
        calls and the reply are stored together once the turn has an answer; a model that fails answers 502 \
        `upstream_failed` and the conversation is unchanged. 404 for another user's conversation_id; 409 while \
        another turn of the same conversation is running.\n\n\
        With `Accept: text/event-stream` the turn is answered as server-sent events while it runs: `conversation` \
        first, `tool_call` and `tool_result` as each tool runs, `delta` with the reply's text as it is written (the \
        deltas after the last `tool_result` put together are `done.reply`; text a model writes before calling a \
        tool comes as deltas before that tool's `tool_call`), then `done` (the JSON answer) or `error` \
        (`{code, message}`; nothing of the turn is stored).",
    request: Some(request_schema),
    response: (200, response_schema),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_bodies_are_checked() {
        assert!(parse(&json!({"message": "add milk"})).is_ok());
        assert!(parse(&crate::schema!({"message": "hi", "conversation_id": null})).is_ok());
        let fields = |v: Value| match parse(&v) {
            Err(ApiError::Validation(e)) => e.into_iter().map(|f| f.field).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(fields(json!({"message": "   "})), ["message"]);
        assert_eq!(fields(json!({"message": "x".repeat(4001)})), ["message"]);
        assert_eq!(fields(json!({})), ["message"]);
        assert_eq!(
            fields(json!({"message": 5, "conversation_id": 3})),
            ["message", "conversation_id"]
        );
        assert_eq!(fields(json!({"message": "hi", "mood": "happy"})), ["mood"]);
        assert!(parse(&json!({"message": "x".repeat(4000)})).is_ok());
    }

    #[test]
    fn numbers_refer_to_the_last_listing() {
        let listing = |ids: &[&str]| {
            let tasks: Vec<Value> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| json!({"n": i + 1, "id": id, "title": id}))
                .collect();
            let call = ToolCall {
                id: "c".into(),
                name: "list_tasks".into(),
                arguments: json!({}),
            };
            Stored::tool(&call, &json!({"count": ids.len(), "tasks": tasks}), "t")
        };
        let history = vec![
            Stored::user("what's pending", "t"),
            listing(&["a", "b"]),
            listing(&["x", "y", "z"]),
        ];
        assert_eq!(listed(&history, &Target::Index(2)), Ok("y".into()));
        assert!(listed(&history, &Target::Index(4)).is_err());
        assert!(listed(&[], &Target::Index(1)).is_err());
    }
}
