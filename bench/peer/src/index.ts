// The baseline `make bench` measures edge-api against: the authenticated 50-row task
// list and task creation as a team would write them in Hono in an afternoon. Same schema,
// same D1 database, same access tokens (HS256, issuer and audience checked), same answers.
import { Hono } from "hono";
import { verify } from "hono/jwt";

type Env = { DB: D1Database; JWT_SECRET: string; JWT_ISSUER: string; JWT_AUDIENCE: string };
type Vars = { userId: string };

const app = new Hono<{ Bindings: Env; Variables: Vars }>();

const SELECT_TASKS = `SELECT id, title, description, status, priority, area, effort, due_date,
  project_id, goal_id, completed_at, created_at, updated_at,
  (SELECT json_group_array(depends_on_id) FROM (SELECT depends_on_id FROM os_task_dependencies d
   WHERE d.task_id = os_tasks.id ORDER BY depends_on_id)) AS depends_on FROM os_tasks`;

app.get("/health", (c) => c.json({ status: "ok" }));

const error = (code: string, message: string) => ({ error: { code, message } });

app.use("/api/*", async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  try {
    const claims = await verify(token, c.env.JWT_SECRET, {
      alg: "HS256",
      iss: c.env.JWT_ISSUER,
      aud: c.env.JWT_AUDIENCE,
    });
    c.set("userId", String(claims.sub));
  } catch {
    return c.json(error("unauthorized", "invalid or expired access token"), 401);
  }
  await next();
});

app.get("/api/os/tasks", async (c) => {
  const limit = Math.min(Math.max(Number(c.req.query("limit") ?? 50) || 50, 1), 200);
  const { results } = await c.env.DB.prepare(`${SELECT_TASKS} WHERE user_id = ?1 ORDER BY id LIMIT ?2`)
    .bind(c.get("userId"), limit + 1)
    .all<Record<string, unknown>>();
  const more = results.length > limit;
  const items = results.slice(0, limit).map((r) => ({ ...r, depends_on: JSON.parse(String(r.depends_on)) }));
  const next_cursor = more ? btoa(String(items[items.length - 1].id)).replace(/=+$/, "") : null;
  return c.json({ items, next_cursor });
});

const PRIORITIES = ["low", "medium", "high", "urgent"];

app.post("/api/os/tasks", async (c) => {
  let body: Record<string, unknown>;
  try {
    body = await c.req.json();
  } catch {
    return c.json(error("bad_request", "body is not JSON"), 400);
  }
  const title = typeof body.title === "string" ? body.title.trim() : "";
  const priority = body.priority ?? "medium";
  const effort = body.effort ?? 1;
  if (!title || title.length > 200 || !PRIORITIES.includes(String(priority)) ||
      !Number.isInteger(effort) || (effort as number) < 1 || (effort as number) > 5) {
    return c.json(error("validation_failed", "title, priority or effort is invalid"), 422);
  }
  const now = new Date().toISOString();
  const task = {
    id: crypto.randomUUID(),
    title,
    description: typeof body.description === "string" ? body.description : "",
    status: "todo",
    priority,
    area: typeof body.area === "string" ? body.area.toLowerCase() : null,
    effort,
    due_date: null,
    project_id: null,
    goal_id: null,
    completed_at: null,
    depends_on: [],
    created_at: now,
    updated_at: now,
  };
  await c.env.DB.prepare(
    `INSERT INTO os_tasks (id, title, description, status, priority, area, effort, due_date,
      project_id, goal_id, completed_at, created_at, updated_at, user_id)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL, NULL, NULL, ?8, ?9, ?10)`,
  )
    .bind(task.id, task.title, task.description, task.status, task.priority, task.area, task.effort,
      now, now, c.get("userId"))
    .run();
  return c.json(task, 201);
});

export default app;
