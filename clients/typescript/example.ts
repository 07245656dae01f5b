// Signs up, adds a task and lists the tasks, with the typed client; then one Assistant
// turn streamed as it is written.
//   node example.ts http://127.0.0.1:8787
import { connect, streamChat } from "./src/index.ts";

const base = process.argv[2] ?? "http://127.0.0.1:8787";
const anonymous = connect(base);
const signup = await anonymous.POST("/api/auth/signup", {
  body: { email: `client${Date.now()}@example.com`, password: "correct horse battery" },
});
if (!signup.data) throw new Error(`signup failed: ${JSON.stringify(signup.error)}`);

const api = connect(base, { token: signup.data.access_token });
const created = await api.POST("/api/os/tasks", { body: { title: "Typed task", priority: "high" } });
if (!created.data) throw new Error(`create failed: ${JSON.stringify(created.error)}`);

const { data, error } = await api.GET("/api/os/tasks", { params: { query: { limit: 10 } } });
if (!data) throw new Error(`list failed: ${JSON.stringify(error)}`);
let reply = "";
const events: string[] = [];
for await (const e of streamChat(base, { message: "what's pending?" }, { token: signup.data.access_token })) {
  events.push(e.event);
  if (e.event === "delta") reply += e.data.text;
  if (e.event === "done" && e.data.reply !== reply) throw new Error("the deltas are the reply");
  if (e.event === "error") throw new Error(e.data.message);
}
console.log(JSON.stringify({ created: created.data.id, titles: data.items.map((t) => t.title), events: [...new Set(events)], reply }));
