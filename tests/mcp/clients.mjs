// Connects the official MCP TypeScript clients to a running server with an API key, as a
// desktop client would: @modelcontextprotocol/client 2.x pinned to the stateless
// 2026-07-28 revision (server/discover, per-request _meta), and @modelcontextprotocol/sdk
// 1.x with the initialize handshake. Each lists the tools and calls add_task and
// list_tasks; prints one JSON line per client and exits non-zero on any failure.
//
//   node tests/mcp/clients.mjs http://127.0.0.1:8787 <api key>

import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error("usage: node tests/mcp/clients.mjs <base url> <api key>");
  process.exit(2);
}
const url = new URL("/mcp", base);
const requestInit = { headers: { "X-API-Key": key } };
const expected = ["add_task", "complete_task", "delete_task", "fetch", "goal_progress", "list_habits", "list_tasks", "log_habit", "search", "update_task"];

async function exercise(client, label) {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), expected, `${label}: tool names`);
  const add = tools.find((t) => t.name === "add_task");
  assert.deepEqual(add.inputSchema.required, ["title"], `${label}: add_task input schema`);

  const title = `${label} task ${Date.now()}`;
  const added = await client.callTool({ name: "add_task", arguments: { title, due_date: "2030-01-02", priority: "high" } });
  assert.equal(added.isError, false, `${label}: add_task failed: ${JSON.stringify(added.content)}`);
  const task = added.structuredContent.task;
  assert.equal(task.title, title);
  assert.equal(task.priority, "high");
  assert.equal(JSON.parse(added.content[0].text).task.id, task.id, `${label}: text content carries the same result`);

  const listed = await client.callTool({ name: "list_tasks", arguments: { q: label } });
  assert.equal(listed.isError, false);
  const found = listed.structuredContent.tasks.find((t) => t.id === task.id);
  assert.ok(found, `${label}: list_tasks finds the task it added`);

  const refused = await client.callTool({ name: "delete_task", arguments: { task_id: "no-such-task" } });
  assert.equal(refused.isError, true, `${label}: a refused call is a result with isError`);
  assert.equal(tools.find((t) => t.name === "list_tasks").annotations.readOnlyHint, true, `${label}: annotations`);
  assert.equal(tools.find((t) => t.name === "delete_task").annotations.destructiveHint, true);

  // Resources: the task just added is listed and read as JSON; templates name the kinds.
  const { resources } = await client.listResources();
  const uri = `task://${task.id}`;
  assert.ok(resources.some((r) => r.uri === uri && r.name === title), `${label}: resources/list has the task`);
  const read = await client.readResource({ uri });
  assert.equal(JSON.parse(read.contents[0].text).id, task.id, `${label}: resources/read`);
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate).sort(), ["goal://{id}", "habit://{id}", "logbook://{id}", "task://{id}"]);

  // search and fetch, as ChatGPT's connectors call them.
  const searched = await client.callTool({ name: "search", arguments: { query: title.toUpperCase() } });
  assert.ok(searched.structuredContent.results.some((r) => r.id === uri && r.title === title), `${label}: search`);
  const fetched = await client.callTool({ name: "fetch", arguments: { id: uri } });
  assert.equal(fetched.structuredContent.title, title, `${label}: fetch`);
  assert.equal(JSON.parse(fetched.structuredContent.text).id, task.id);
  assert.equal(fetched.structuredContent.metadata.kind, "task");
  const unknown = await client.callTool({ name: "fetch", arguments: { id: "task://no-such-task" } });
  assert.equal(unknown.isError, true, `${label}: fetch of an unknown id is refused`);
  const missing = await client.readResource({ uri: "task://no-such-task" }).then(() => null, (e) => e);
  assert.ok(missing && /not found/i.test(String(missing.message)), `${label}: an unknown resource is an error`);

  // Prompts, and the completion of plan_my_day's focus from the tasks' areas.
  const { prompts } = await client.listPrompts();
  assert.deepEqual(prompts.map((p) => p.name).sort(), ["plan_my_day", "weekly_review"]);
  const plan = await client.getPrompt({ name: "plan_my_day", arguments: { focus: "work" } });
  assert.ok(plan.messages[0].content.text.includes(title), `${label}: the plan lists the open task`);
  const review = await client.getPrompt({ name: "weekly_review" });
  assert.ok(review.messages[0].content.text.includes("Done in the last seven days"));
  await client.callTool({ name: "add_task", arguments: { title: `${label} area task`, area: "workshop" } });
  const completed = await client.complete({ ref: { type: "ref/prompt", name: "plan_my_day" }, argument: { name: "focus", value: "WORK" } });
  assert.ok(completed.completion.values.includes("workshop"), `${label}: completion ${JSON.stringify(completed)}`);
  return { task_id: task.id, tools: tools.length, listed: listed.structuredContent.count, resources: resources.length,
    prompts: prompts.length, completions: completed.completion.values };
}

const modern = new Client({ name: "edge-api-test", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
await modern.connect(new StreamableHTTPClientTransport(url, { requestInit }));
assert.equal(modern.getNegotiatedProtocolVersion(), "2026-07-28");
assert.equal(modern.getProtocolEra(), "modern");
const m = await exercise(modern, "modern");
console.log(JSON.stringify({ client: "@modelcontextprotocol/client", protocol: modern.getNegotiatedProtocolVersion(), ...m }));
await modern.close();

const legacy = new LegacyClient({ name: "edge-api-test-legacy", version: "1.0.0" });
const legacyTransport = new LegacyTransport(url, { requestInit });
await legacy.connect(legacyTransport);
assert.ok(legacyTransport.sessionId, "legacy: an Mcp-Session-Id was issued");
const l = await exercise(legacy, "legacy");
console.log(JSON.stringify({ client: "@modelcontextprotocol/sdk", protocol: legacyTransport.protocolVersion ?? legacy.getServerVersion()?.name, session: Boolean(legacyTransport.sessionId), ...l }));
await legacy.close();
