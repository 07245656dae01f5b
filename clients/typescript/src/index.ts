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
