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
const expected = ["add_task", "complete_task", "delete_task", "goal_progress", "list_habits", "list_tasks", "log_habit", "update_task"];

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
  return { task_id: task.id, tools: tools.length, listed: listed.structuredContent.count };
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
