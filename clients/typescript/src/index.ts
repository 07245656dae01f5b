// A typed client for edge-api: every path, body and answer of /openapi.json as types.
//   import { connect } from "./src/index.ts";
//   const api = connect("http://127.0.0.1:8787", { token });
//   const { data, error } = await api.GET("/api/os/tasks", { params: { query: { limit: 50 } } });
import createClient from "openapi-fetch";
import type { paths } from "./schema.ts";

export type { paths, components } from "./schema.ts";

export interface Credentials {
  /** An access token (Authorization: Bearer). */
  token?: string;
  /** An API key (X-API-Key), for scripts and browser extensions. */
  apiKey?: string;
}

export function connect(baseUrl: string, credentials: Credentials = {}) {
  const headers: Record<string, string> = {};
  if (credentials.token) headers["Authorization"] = `Bearer ${credentials.token}`;
  if (credentials.apiKey) headers["X-API-Key"] = credentials.apiKey;
  return createClient<paths>({ baseUrl, headers });
}

// ---- streamed answers (Accept: text/event-stream) ----

/** One server-sent event: its name and its JSON data. */
export interface ServerEvent<Name extends string = string, Data = unknown> {
  event: Name;
  data: Data;
}

type Answer<P extends keyof paths, S extends number> = paths[P] extends {
  post: { responses: { [K in S]: { content: { "application/json": infer T } } } };
}
  ? T
  : never;

/** `error {code, message}`: the last event of a stream that failed (nothing was stored). */
export type ErrorEvent = ServerEvent<"error", { code: string; message: string }>;
/** `delta {text}`: answer text as it is written. */
export type DeltaEvent = ServerEvent<"delta", { text: string }>;

/** The events of `POST /api/assistant/chat`, in order: `conversation`, then `tool_call` /
 * `tool_result` per tool run, `delta`s, then `done` (the JSON answer) or `error`. */
export type AssistantEvent =
  | ServerEvent<"conversation", { conversation_id: string }>
  | ServerEvent<"tool_call", { tool: string; arguments: unknown }>
  | ServerEvent<"tool_result", { tool: string; result: Record<string, unknown> }>
  | DeltaEvent
  | ServerEvent<"done", Answer<"/api/assistant/chat", 200>>
  | ErrorEvent;

/** The events of `POST /api/money/chats/{id}/messages`: `thinking` per stage, `delta`s,
 * then `done` (`{message}`, the JSON answer) or `error`. */
export type MoneyEvent =
  | ServerEvent<"thinking", { stage: string }>
  | DeltaEvent
  | ServerEvent<"done", Answer<"/api/money/chats/{id}/messages", 201>>
  | ErrorEvent;

/** The events of a `text/event-stream` body as they arrive (comments such as
 * `: keep-alive` skipped). */
export async function* readEvents<E extends ServerEvent>(body: ReadableStream<Uint8Array>): AsyncGenerator<E> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let name = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        if (line === "") {
          if (data.length) yield { event: name || "message", data: JSON.parse(data.join("\n")) } as E;
          name = "";
          data = [];
        } else if (line.startsWith("event:")) {
          name = line.slice(6).trim();
        } else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** POSTs `body` to `path` asking for events and yields them as they arrive. An answer
 * that is not a stream (401, 404, 409, 422…) throws with its error envelope. Aborting
 * `signal` closes the stream, and the server stops the turn and stores nothing. */
export async function* streamEvents<E extends ServerEvent>(
  baseUrl: string,
  path: string,
  body: unknown,
  credentials: Credentials = {},
  signal?: AbortSignal,
): AsyncGenerator<E> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "text/event-stream" };
  if (credentials.token) headers["Authorization"] = `Bearer ${credentials.token}`;
  if (credentials.apiKey) headers["X-API-Key"] = credentials.apiKey;
  const response = await fetch(new URL(path, baseUrl), { method: "POST", headers, body: JSON.stringify(body), signal });
  if (!response.ok || !response.body || !response.headers.get("content-type")?.startsWith("text/event-stream")) {
    throw new Error(`${response.status}: ${await response.text()}`);
  }
  yield* readEvents<E>(response.body);
}

/** One Assistant turn, streamed. */
export function streamChat(
  baseUrl: string,
  body: { message: string; conversation_id?: string | null },
  credentials: Credentials,
  signal?: AbortSignal,
): AsyncGenerator<AssistantEvent> {
  return streamEvents<AssistantEvent>(baseUrl, "/api/assistant/chat", body, credentials, signal);
}

/** One Money chat message, streamed. */
export function streamMoneyMessage(
  baseUrl: string,
  chatId: string,
  body: { content: string },
  credentials: Credentials,
  signal?: AbortSignal,
): AsyncGenerator<MoneyEvent> {
  const path = `/api/money/chats/${encodeURIComponent(chatId)}/messages`;
  return streamEvents<MoneyEvent>(baseUrl, path, body, credentials, signal);
}
