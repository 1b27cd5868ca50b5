// The API: one fetch wrapper that sends the session's token and turns the server's JSON errors
// into ApiError, and the query-string and paging helpers every section uses. A 401 on a signed-in
// call ends the session through state.js's `endSession` event.

import { endSession } from "./state.js";

export const TOKEN_KEY = "latchkey.token";

export class ApiError extends Error {
  constructor(status, message, key) {
    super(message);
    this.status = status;
    this.key = key;
  }
}

/** Calls the API with the session's token; throws ApiError with the server's message. */
export async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `The server could not be reached (${error.message}).`);
  }
  const json = await response.json().catch(() => null);
  if (response.ok) return json;
  const first = json?.errors?.[0];
  let message = first?.message || `The server answered ${response.status} ${response.statusText}.`;
  const retryAfter = response.headers.get("Retry-After");
  if (response.status === 429 && retryAfter) message += ` Try again in ${retryAfter} seconds.`;
  if (response.status === 401 && token && path !== "/v1/auth") {
    endSession(`Your session has ended (${message}). Sign in again.`, "error");
  }
  throw new ApiError(response.status, message, first?.key);
}

/** A query string from the given parameters, leaving out empty ones. */
export function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v != null && v !== "");
  return new URLSearchParams(pairs.map(([k, v]) => [k, String(v)])).toString();
}

export async function allPages(path, params = {}) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const res = await api("GET", `${path}?${query({ ...params, pageSize: 100, pageNumber: page })}`);
    items.push(...res.data);
    if (!res.pagination || page >= res.pagination.pageCount || !res.data.length) return items;
  }
}
