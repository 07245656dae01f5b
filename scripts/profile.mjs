// A CPU profile of the worker under wrangler dev, through its inspector (Chrome DevTools
// protocol): samples for `seconds` while something else loads the worker, then prints
// the functions with the most self time and, per top-level stage, the inclusive time.
// Usage: node scripts/profile.mjs <inspector-port> <seconds> [out.cpuprofile]
// The port is workerd's own inspector (wrangler's proxy on 9229 does not pass profiler
// calls through): the workerd process started with --inspector-addr=127.0.0.1:0 listens on
// it (`ss -ltnp | grep workerd`; its /json lists "core:user:edge-api"). Start wrangler dev
// with NAMES=1 in its environment so the wasm it builds keeps its functions' names.
import { writeFileSync } from "node:fs";

const [port, seconds = "10", out] = process.argv.slice(2);
const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
const worker = process.env.WORKER ?? "edge-api";
const target = targets.find((t) => t.id === (process.env.TARGET ?? `core:user:${worker}`));
if (!target) throw new Error(`no worker ${worker} behind the inspector on port ${port}`);
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
let next = 0;
const pending = new Map();
ws.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id !== undefined && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
};
const call = (method, params = {}) =>
  new Promise((ok) => { const id = ++next; pending.set(id, ok); ws.send(JSON.stringify({ id, method, params })); });

// workerd's inspector sometimes drops the first message of a new session while the
// isolate is busy: ask again until it answers.
const answered = (method, ms) =>
  Promise.race([call(method).then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);
let enabled = false;
for (let i = 0; i < 10 && !enabled; i++) enabled = await answered("Profiler.enable", 1000);
if (!enabled) throw new Error("the inspector did not answer Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 50 });
await call("Profiler.start");
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const { result } = await call("Profiler.stop");
ws.close();
const profile = result.profile;
if (out) writeFileSync(out, JSON.stringify(profile));

// Self time per node from the samples and their time deltas.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const name = (n) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}`.trim();
const selfByName = new Map();
for (const [id, t] of self) {
  const k = name(byId.get(id));
  selfByName.set(k, (selfByName.get(k) ?? 0) + t);
}
// Inclusive time per function name (counted once per sample even when recursive).
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map();
profile.samples.forEach((id, i) => {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = name(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
});
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
const pct = (t) => ((100 * t) / total).toFixed(1).padStart(5) + " %";
console.log(`sampled ${(total / 1000).toFixed(0)} ms`);
console.log("self time:");
for (const [k, t] of top(selfByName, Number(process.env.TOP ?? 30))) console.log(`  ${pct(t)}  ${k}`);
console.log("inclusive time:");
for (const [k, t] of top(incl, Number(process.env.TOP ?? 30))) console.log(`  ${pct(t)}  ${k}`);
