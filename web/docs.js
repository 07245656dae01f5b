// The API reference at /docs, served by the worker itself: renders /openapi.json
// (operations by tag, their parameters, bodies and answers, with examples) and sends any
// operation from the page with the access token or API key typed at the top. No
// dependencies, and nothing loads from anywhere but this API.
"use strict";

const main = document.getElementById("ops");
const auth = { bearer: document.getElementById("bearer"), apiKey: document.getElementById("apikey") };
const METHODS = ["get", "post", "put", "patch", "delete"];
let doc;

// An element: el("p", {class: "x", onclick: f}, "text", child…).
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "value") e.value = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== undefined && k !== null && k !== false) e.append(k);
  return e;
}

// Text with `code` spans, in paragraphs (the document's descriptions use backticks).
function prose(text) {
  return (text || "").split(/\n\s*\n/).filter((p) => p.trim()).map((p) =>
    el("p", {}, p.split(/(`[^`]+`)/).map((s) => (s.startsWith("`") && s.endsWith("`") && s.length > 1 ? el("code", {}, s.slice(1, -1)) : s))));
}

const refName = (s) => s.$ref.split("/").pop();
const resolve = (s) => {
  for (let i = 0; s && s.$ref && i < 20; i++) s = doc.components.schemas[refName(s)];
  return s || {};
};

// A schema as an indented type signature: `{ title: string (1–200 chars) … }`.
function signature(schema, indent = "", seen = new Set()) {
  if (!schema || typeof schema !== "object") return "any";
  if (schema.$ref) {
    const name = refName(schema);
    if (seen.has(name)) return name;
    const inner = signature(resolve(schema), indent, new Set(seen).add(name));
    return inner.startsWith("{") ? `${name} ${inner}` : inner;
  }
  const alts = schema.anyOf || schema.oneOf;
  if (alts) return alts.map((s) => signature(s, indent, seen)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ") + notes(schema, true);
  const types = [].concat(schema.type || []);
  const nullable = types.includes("null") ? " | null" : "";
  const type = types.filter((t) => t !== "null");
  if (type.includes("object") || schema.properties) {
    const props = Object.entries(schema.properties || {});
    if (!props.length) return `object${nullable}${notes(schema)}`;
    const required = new Set(schema.required || []);
    const inner = indent + "  ";
    const lines = props.map(([name, s]) => {
      const r = resolve(s);
      const comment = r.description && !s.$ref ? `  // ${r.description.replace(/\s+/g, " ")}` : "";
      return `${inner}${name}${required.has(name) ? "" : "?"}: ${signature(s, inner, seen)}${comment}`;
    });
    if (schema.additionalProperties && typeof schema.additionalProperties === "object")
      lines.push(`${inner}[key: string]: ${signature(schema.additionalProperties, inner, seen)}`);
    return `{\n${lines.join("\n")}\n${indent}}${nullable}`;
  }
  if (type.includes("array")) {
    const items = schema.prefixItems
      ? `[${schema.prefixItems.map((s) => signature(s, indent, seen)).join(", ")}]`
      : `${signature(schema.items, indent, seen)}[]`;
    return `${items}${nullable}${notes(schema)}`;
  }
  return `${type.join(" | ") || "any"}${nullable}${notes(schema)}`;
}

// Constraints and defaults of a scalar, in brackets: `(1–200 chars, default "medium")`.
function notes(s, enumOnly = false) {
  const n = [];
  const range = (lo, hi, unit) => (lo !== undefined && hi !== undefined ? `${lo}–${hi}${unit}` : lo !== undefined ? `≥ ${lo}${unit}` : hi !== undefined ? `≤ ${hi}${unit}` : null);
  if (!enumOnly) {
    n.push(range(s.minLength, s.maxLength, " chars"), range(s.minimum, s.maximum, ""), range(s.minItems, s.maxItems, " items"));
    if (s.format) n.push(s.format);
    else if (s.pattern) n.push(`pattern ${s.pattern}`);
    if (s.uniqueItems) n.push("unique");
  }
  if (s.default !== undefined) n.push(`default ${JSON.stringify(s.default)}`);
  const shown = n.filter(Boolean);
  return shown.length ? ` (${shown.join(", ")})` : "";
}

function jsonOf(content) {
  const [type, media] = Object.entries(content || {})[0] || [];
  return type ? { type, schema: media.schema, example: media.example } : null;
}

function security(op) {
  const schemes = (op.security || []).map((r) => Object.keys(r)[0]);
  return schemes.length ? `Needs one of: ${schemes.join(", ")}` : "Public";
}

// One operation: its summary line, what it takes and answers, and a form to send it.
function operation(path, method, op) {
  const params = op.parameters || [];
  const body = op.requestBody && jsonOf(op.requestBody.content);
  const inputs = {};
  const paramRows = params.map((p) => {
    const s = p.schema || {};
    const input = el("input", { name: p.name, autocomplete: "off", placeholder: s.default !== undefined ? String(s.default) : p.in, "aria-label": p.name });
    inputs[p.name] = { input, where: p.in };
    return el("tr", {}, el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " *") : ""),
      el("td", {}, p.in), el("td", {}, el("code", {}, signature(s))), el("td", {}, p.description || ""), el("td", {}, input));
  });
  const textarea = body && el("textarea", { rows: Math.min(18, 3 + JSON.stringify(body.example ?? {}, null, 2).split("\n").length), spellcheck: "false", "aria-label": "request body" });
  if (textarea) textarea.value = JSON.stringify(fresh(body.example ?? {}), null, 2);
  const result = el("div", { class: "result" });
  const send = el("button", { type: "submit", class: "send" }, "Send");

  const responses = Object.entries(op.responses || {}).map(([code, r]) => {
    const c = jsonOf(r.content);
    return el("div", { class: "response" },
      el("h4", {}, el("span", { class: `code c${code[0]}` }, code), " ", r.description || ""),
      c && c.schema ? el("pre", { class: "schema" }, signature(c.schema)) : null,
      c && c.example !== undefined ? el("details", {}, el("summary", {}, "Example"), el("pre", {}, JSON.stringify(c.example, null, 2))) : null);
  });

  const form = el("form", {
    class: "try",
    onsubmit: async (ev) => {
      ev.preventDefault();
      let url = path;
      const query = new URLSearchParams();
      for (const [name, { input, where }] of Object.entries(inputs)) {
        if (where === "path") url = url.replace(`{${name}}`, encodeURIComponent(input.value));
        else if (input.value !== "") query.append(name, input.value);
      }
      if ([...query].length) url += `?${query}`;
      const headers = {};
      if (auth.bearer.value.trim()) headers.Authorization = `Bearer ${auth.bearer.value.trim()}`;
      if (auth.apiKey.value.trim()) headers["X-API-Key"] = auth.apiKey.value.trim();
      if (textarea) headers["Content-Type"] = body.type;
      send.disabled = true;
      const started = performance.now();
      try {
        const r = await fetch(url, { method: method.toUpperCase(), headers, body: textarea ? textarea.value : undefined });
        const text = await r.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON: as sent */ }
        const ms = Math.round(performance.now() - started);
        result.replaceChildren(
          el("div", { class: "status" }, el("span", { class: `code c${String(r.status)[0]}` }, String(r.status)), ` ${r.statusText} · ${ms} ms`,
            r.headers.get("X-Request-ID") ? ` · request ${r.headers.get("X-Request-ID")}` : ""),
          el("pre", { class: "body" }, shown || "(no body)"));
      } catch (e) {
        result.replaceChildren(el("div", { class: "status" }, `Failed: ${e}`));
      } finally {
        send.disabled = false;
      }
    },
  },
  paramRows.length ? el("table", { class: "params" }, el("thead", {}, el("tr", {}, ["Parameter", "In", "Type", "", "Value"].map((h) => el("th", {}, h)))), el("tbody", {}, paramRows)) : null,
  body ? el("div", { class: "body-in" },
    el("h4", {}, `Body (${body.type})`, op.requestBody.required ? el("span", { class: "req" }, " *") : ""),
    el("div", { class: "cols" }, el("pre", { class: "schema" }, signature(body.schema)), textarea)) : null,
  el("div", { class: "actions" }, send, el("span", { class: "sec" }, security(op))),
  result);

  const id = `op-${op.operationId}`;
  const details = el("details", {
    class: `op ${method}`, id,
    ontoggle: () => { if (details.open) history.replaceState(null, "", `#${id}`); },
  },
  el("summary", {}, el("span", { class: `method ${method}` }, method.toUpperCase()), el("code", { class: "path" }, path), el("span", { class: "summary" }, op.summary || "")),
  el("div", { class: "inner" }, prose(op.description), form, el("h4", {}, "Answers"), responses));
  details.dataset.search = `${method} ${path} ${op.summary || ""} ${op.operationId}`.toLowerCase();
  return details;
}

function render() {
  document.title = `${doc.info.title} ${doc.info.version} reference`;
  document.getElementById("title").textContent = doc.info.title;
  document.getElementById("version").textContent = `${doc.info.version} · OpenAPI ${doc.openapi}`;
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS.filter((m) => item[m])) {
      const tag = (item[method].tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, item[method]));
    }
  }
  main.replaceChildren(
    el("section", { class: "intro" }, prose(doc.info.description), el("p", {}, "The document itself: ", el("a", { href: main.dataset.openapi }, main.dataset.openapi))),
    ...[...byTag].map(([tag, ops]) => el("section", { class: "tag", id: `tag-${tag}` }, el("h2", {}, tag, el("span", { class: "count" }, ` ${ops.length}`)), ops)));
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target && target.tagName === "DETAILS") { target.open = true; target.scrollIntoView(); }
}

// The credentials stay in this tab (sessionStorage) across reloads, never longer.
for (const [name, input] of Object.entries(auth)) {
  input.value = sessionStorage.getItem(`docs.${name}`) || "";
  input.addEventListener("input", () => sessionStorage.setItem(`docs.${name}`, input.value));
}
document.querySelector("form.auth").addEventListener("submit", (e) => e.preventDefault());
document.getElementById("filter").addEventListener("input", (e) => {
  const words = e.target.value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const op of main.querySelectorAll("details.op")) op.hidden = !words.every((w) => op.dataset.search.includes(w));
  for (const tag of main.querySelectorAll("section.tag")) tag.hidden = !tag.querySelector("details.op:not([hidden])");
});

fetch(main.dataset.openapi)
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${main.dataset.openapi} answered ${r.status}`))))
  .then((d) => { doc = d; render(); })
  .catch((e) => main.replaceChildren(el("p", { class: "error" }, `Could not load the API document: ${e.message}`)));

// An example sent as is must work more than once: every `email` in it gets a fresh local
// part (an address signed up with before would answer 409).
function fresh(value) {
  if (Array.isArray(value)) return value.map(fresh);
  if (!value || typeof value !== "object") return value;
  const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => {
    if (k !== "email" || typeof v !== "string" || !v.includes("@")) return [k, fresh(v)];
    const at = v.lastIndexOf("@");
    return [k, `${v.slice(0, at)}-${stamp}${v.slice(at)}`];
  }));
}
