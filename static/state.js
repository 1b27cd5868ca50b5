// The page's shared state, and what any module may ask of the page as a whole: draw the current
// section again (`refresh`), end the session (`endSession`), or read the environments again
// (`environmentsChanged`). They are events that app.js listens to, so neither the sections nor
// api.js import the router or the session code.

export const ENV_KEY = "latchkey.environment";

export const state = {
  me: null, // GET /v1/latchkey/whoami of the signed-in user
  user: null, // their user record (name, email)
  isAdmin: false,
  envs: [],
  envId: null,
  ui: {}, // per-section view state (page, filters), kept across re-renders
  section: null,
  renderId: 0,
  acceptToken: null,
};

/** The page's own events: "refresh" (draw the current section again) and "signout". */
export const events = new EventTarget();

/** Draws the current section again from the server. */
export const refresh = () => events.dispatchEvent(new Event("refresh"));

/** Ends the session on this page and shows the sign-in form with `message`. */
export const endSession = (message, kind = "ok") =>
  events.dispatchEvent(new CustomEvent("signout", { detail: { message, kind } }));

/** Reads the environments again (after one was created, changed or deleted) and, with `select`,
 * switches to that one. */
export const environmentsChanged = (select = null) =>
  events.dispatchEvent(new CustomEvent("environments", { detail: { select } }));

/** The environment picked in the header; sections that need one fail with a clear message. */
export function currentEnv() {
  const env = state.envs.find((e) => e.id === state.envId);
  if (!env) throw new Error("This account has no environments. Create one with POST /v1/environments.");
  return env;
}
export const envName = (id) => state.envs.find((e) => e.id === id)?.name || id;
