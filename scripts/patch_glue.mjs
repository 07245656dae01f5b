// Post-build step of scripts/build.sh: two changes to the JavaScript glue worker-build
// 0.8.7 and wasm-bindgen generate, each measured under load (see docs/development.md).
//
// 1. The default export is a `WorkerEntrypoint` class behind a Proxy, so every request
//    constructs an entrypoint, wraps it in a new Proxy, and wraps `fetch` in another Proxy
//    and an extra async function (and under `wrangler dev` the dev middleware subclasses
//    that Proxy per request too). It becomes a plain module handler object
//    `{ fetch, scheduled }` calling the same wasm exports, with the same panic recovery:
//    before each call, reinstantiate the module if a previous call hit a
//    WebAssembly.RuntimeError (a Rust panic), and mark any such error as critical.
//    Durable Object classes keep their generated wrappers.
// 2. Rust futures are woken through the runtime's `queueMicrotask`, which workerd
//    implements in C++ with a new function wrapper per call (about 3 % of the worker's CPU
//    on a list request). A resolved promise's `then` queues the same microtask natively;
//    an error thrown by the woken task is still marked critical and still reported.
//
// The generated file is minified, so its names change from build to build: the patterns
// below match its shape, and the build fails when one does not match exactly once (a new
// worker-build or wasm-bindgen version then needs this step reviewed, rather than
// shipping unchanged).
// Usage: node scripts/patch_glue.mjs build/index.js
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
let js = readFileSync(file, "utf8");
const id = "[A-Za-z_$][\\w$]*";
const esc = (name) => name.replace(/\$/g, "\\$&");

function one(re, what) {
  const found = [...js.matchAll(new RegExp(re, "g"))];
  if (found.length !== 1) {
    console.error(`patch_glue: ${what}: expected 1 match in ${file}, found ${found.length}`);
    process.exit(1);
  }
  return found[0];
}

// The reinitialise-after-panic check and the critical-error marker.
const [, reinit] = one(`function (${id})\\(\\)\\{${id}\\.criticalError&&\\(console\\.log\\("Reinitializing Wasm application"\\)`, "reinit check");
const [, critical] = one(`function (${id})\\((${id})\\)\\{\\2 instanceof WebAssembly\\.RuntimeError`, "critical marker");
// The entrypoint class and the wasm exports its methods call.
const cls = one(
  `var (${id})=class extends ${id}\\{\\};\\1\\.prototype\\.fetch=function\\((${id})\\)\\{return (${id})\\.call\\(this,\\2,this\\.env,this\\.ctx\\)\\};` +
    `\\1\\.prototype\\.scheduled=function\\((${id})\\)\\{return (${id})\\.call\\(this,\\4,this\\.env,this\\.ctx\\)\\};`,
  "entrypoint class",
);
const [, klass, , fetchExport, , scheduledExport] = cls;
// `X=new Proxy(Class, handler)`, exported as default.
const proxied = one(`(${id})=new Proxy\\(${esc(klass)},(${id})\\)`, "default export's Proxy");
const [proxyExpr, exported] = proxied;
one(`${esc(exported)} as default\\b`, "default export");

// Parameter names longer than any the minifier gives out, so they shadow none it uses.
const params = ["event", "environment", "context", "error"];
for (const name of [reinit, critical, fetchExport, scheduledExport]) {
  if (params.includes(name)) {
    console.error(`patch_glue: the generated code names a function ${name}`);
    process.exit(1);
  }
}
const call = (name, fn) =>
  `async ${name}(event,environment,context){${reinit}();` +
  `try{return await ${fn}(event,environment,context)}catch(error){throw ${critical}(error),error}}`;
const handler = `${exported}={${call("fetch", fetchExport)},${call("scheduled", scheduledExport)}}`;
js = js.replace(proxyExpr, handler);

// The import that queues the futures' microtask: `__wbg_queueMicrotask_<hash>:function(x){queueMicrotask(x)}`.
const [queueImport, queueParam] = one(`__wbg_queueMicrotask_[0-9a-f]+:function\\((${id})\\)\\{queueMicrotask\\(\\1\\)\\}`, "queueMicrotask import");
const queued = queueImport.replace(
  `{queueMicrotask(${queueParam})}`,
  `{Promise.resolve().then(${queueParam}).catch(error=>{${critical}(error);throw error})}`,
);
js = js.replace(queueImport, queued);
writeFileSync(file, js);
