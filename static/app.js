// Latchkey admin page. Plain JavaScript modules the browser runs as they are: no build step, no
// framework, nothing fetched from outside this origin. It talks to the same server's /v1 API with
// the signed-in user's access token, which lives in sessionStorage and never in a URL.
//
// This module is the page itself: the session (sign in, whoami, sign out, accepting an
// invitation) and the router. Each section is a module of its own with one render function;
// api.js is the fetch wrapper, ui.js the DOM helpers, state.js the shared state and the two
// events ("refresh", "signout") through which sections and api.js reach back here.

import { api, allPages, TOKEN_KEY } from "./api.js";
import { ENV_KEY, events, state } from "./state.js";
import { $, badge, h, notify } from "./ui.js";
import { renderOverview } from "./overview.js";
import { renderEnvironments } from "./environments.js";
import { renderKeys } from "./keys.js";
import { renderTokens } from "./tokens.js";
import { renderUsers } from "./users.js";
import { renderSpaces } from "./spaces.js";
import { renderGuests } from "./guests.js";
import { renderSecrets } from "./secrets.js";
import { renderAgents } from "./agents.js";
import { renderDataClips } from "./dataclips.js";
import { renderWebhooks } from "./webhooks.js";
import { renderAudit } from "./audit.js";
import { renderOutbox } from "./outbox.js";

// ---------------------------------------------------------------------------------------------
// Session: sign in, whoami, sign out, accepting an invitation

function showOnly(id) {
  for (const view of ["signin-view", "accept-view", "app-view"]) $(`#${view}`).hidden = view !== id;
  $("#session").hidden = id !== "app-view";
}

function showSignIn(message, kind = "ok", email = "") {
  showOnly("signin-view");
  document.title = "Sign in · Latchkey admin";
  const error = $("#signin-error");
  error.hidden = !(message && kind === "error");
  error.textContent = kind === "error" ? message || "" : "";
  if (message && kind !== "error") notify(message);
  if (email) $("#signin-email").value = email;
  (email ? $("#signin-password") : $("#signin-email")).focus();
}

function signOut(message, kind = "ok") {
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, { me: null, user: null, isAdmin: false, envs: [], ui: {}, section: null });
  state.renderId += 1;
  $("#view").replaceChildren();
  if (!location.hash.startsWith("#/accept")) history.replaceState(null, "", "#/");
  showSignIn(message, kind);
}

async function openSession() {
  const { data: me } = await api("GET", "/v1/latchkey/whoami");
  if (!me.valid) return signOut(`Sign in again: ${me.message}`, "error");
  if (me.kind !== "user") {
    const what = { guest: "Guest tokens", environment: "API keys", space: "Space tokens" }[me.kind] || "Only user tokens";
    return signOut(`${what} cannot open the admin page. Sign in with a user's email and password.`, "error");
  }
  const [{ data: user }, envs] = await Promise.all([
    api("GET", `/v1/users/${encodeURIComponent(me.id)}`),
    allPages("/v1/environments"),
  ]);
  Object.assign(state, { me, user, envs, isAdmin: me.role === "Administrator" });
  const saved = sessionStorage.getItem(ENV_KEY);
  state.envId = envs.some((e) => e.id === saved) ? saved : envs[0]?.id;
  renderChrome();
  route();
}

/** Makes `id` the environment the sections show; their per-environment view state starts over. */
function selectEnvironment(id) {
  state.envId = id;
  sessionStorage.setItem(ENV_KEY, state.envId);
  for (const section of ["overview", "keys", "spaces", "guests", "secrets", "data-clips", "webhooks"]) delete state.ui[section];
}

/** Reads the environments again after a change; keeps the current one unless it is gone. */
async function reloadEnvironments(select) {
  state.envs = await allPages("/v1/environments");
  const keep = [select, state.envId].find((id) => id && state.envs.some((e) => e.id === id));
  if (keep !== state.envId) selectEnvironment(keep || state.envs[0]?.id);
  renderChrome();
  route();
}

function renderChrome() {
  const envSelect = $("#env-select");
  envSelect.replaceChildren(...state.envs.map((e) => h("option", { value: e.id }, e.isProd ? `${e.name} (production)` : e.name)));
  envSelect.value = state.envId;
  $("#who").replaceChildren(
    h("span", { class: "who-name", title: state.user.name }, state.user.email),
    badge(state.me.role, state.isAdmin ? "admin" : ""));
  $("#nav").replaceChildren(...visibleSections().map((s) =>
    h("a", { href: `#/${s.id}`, "data-section": s.id }, s.title)));
}

function wireStaticForms() {
  $("#signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const submit = form.querySelector("button");
    const error = $("#signin-error");
    error.hidden = true;
    submit.disabled = true;
    try {
      const res = await api("POST", "/v1/auth", { email: form.email.value.trim(), password: form.password.value });
      sessionStorage.setItem(TOKEN_KEY, res.accessToken);
      form.password.value = "";
      await openSession();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });

  $("#accept-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const error = $("#accept-error");
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
    };
    error.hidden = true;
    if (!state.acceptToken) return fail("This link has no token. Open the link from the invitation again.");
    if (form.password.value.length < 8) return fail("Choose a password of at least 8 characters.");
    if (form.password.value !== form.repeat.value) return fail("The two passwords differ.");
    try {
      const { data } = await api("POST", "/v1/latchkey/password", { token: state.acceptToken, password: form.password.value });
      state.acceptToken = null;
      form.reset();
      history.replaceState(null, "", "#/");
      if (state.me) {
        notify(`Password set for ${data.email}.`);
        route();
      } else {
        showSignIn(`Password set for ${data.email}. Sign in with it now.`, "ok", data.email);
      }
    } catch (e) {
      fail(e.message);
    }
  });

  $("#sign-out").addEventListener("click", async () => {
    // Ends this session on the server too; the page signs out whatever the answer.
    await api("POST", "/v1/latchkey/logout").catch(() => {});
    signOut("Signed out.");
  });
  $("#env-select").addEventListener("change", (event) => {
    selectEnvironment(event.target.value);
    route();
  });
  $("#confirm-ok").addEventListener("click", () => $("#confirm").close("ok"));
  $("#confirm-cancel").addEventListener("click", () => $("#confirm").close("cancel"));
}

function showAccept(token) {
  if (token) {
    state.acceptToken = token;
    history.replaceState(null, "", "#/accept"); // the link token leaves the address bar at once
  }
  showOnly("accept-view");
  document.title = "Choose your password · Latchkey admin";
  $("#accept-error").hidden = !!state.acceptToken;
  $("#accept-error").textContent = state.acceptToken ? "" : "This link has no token. Open the link from the invitation again.";
  $("#accept-password").focus();
}

// ---------------------------------------------------------------------------------------------
// Routing

const SECTIONS = [
  { id: "overview", title: "Overview", admin: true, render: renderOverview },
  { id: "environments", title: "Environments", admin: true, render: renderEnvironments },
  { id: "keys", title: "API keys", admin: true, render: renderKeys },
  { id: "tokens", title: "Access tokens", render: renderTokens },
  { id: "users", title: "Users", admin: true, render: renderUsers },
  { id: "spaces", title: "Spaces", render: renderSpaces },
  { id: "guests", title: "Guests", render: renderGuests },
  { id: "secrets", title: "Secrets", admin: true, render: renderSecrets },
  { id: "agents", title: "Agents", admin: true, render: renderAgents },
  { id: "data-clips", title: "Data clips", admin: true, render: renderDataClips },
  { id: "webhooks", title: "Webhooks", admin: true, render: renderWebhooks },
  { id: "audit", title: "Audit log", admin: true, render: renderAudit },
  { id: "outbox", title: "Outbox", admin: true, render: renderOutbox },
];

const visibleSections = () => SECTIONS.filter((s) => state.isAdmin || !s.admin);

let opening = null;

function route() {
  const [path, params] = location.hash.replace(/^#\/?/, "").split("?");
  if (path === "accept") return showAccept(new URLSearchParams(params).get("token"));
  if (!state.me) {
    if (!sessionStorage.getItem(TOKEN_KEY)) return showSignIn();
    opening ||= openSession()
      .catch((e) => signOut(e.message, "error"))
      .finally(() => { opening = null; });
    return opening;
  }
  const section = SECTIONS.find((s) => s.id === path);
  if (!section) return location.replace(`#/${visibleSections()[0].id}`);
  return renderSection(section);
}



async function renderSection(section) {
  showOnly("app-view");
  if (state.section !== section.id && state.ui.tokens) state.ui.tokens.fresh = null; // shown once
  if (state.section !== section.id && state.ui.webhooks) state.ui.webhooks.fresh = null;
  state.section = section.id;
  document.title = `${section.title} · Latchkey admin`;
  for (const link of $("#nav").children) {
    if (link.dataset.section === section.id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const view = $("#view");
  const heading = h("h1", {}, section.title);
  if (section.admin && !state.isAdmin) {
    view.replaceChildren(heading, h("p", { class: "notice" }, "Only Administrators can open this section."));
    return;
  }
  const id = ++state.renderId;
  view.setAttribute("aria-busy", "true");
  try {
    const content = await section.render((state.ui[section.id] ||= {}));
    if (id === state.renderId) view.replaceChildren(heading, ...content.filter(Boolean));
  } catch (error) {
    if (id === state.renderId && state.me) {
      view.replaceChildren(heading, h("p", { class: "form-error", role: "alert" }, error.message));
    }
  } finally {
    if (id === state.renderId) view.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------------

wireStaticForms();
events.addEventListener("refresh", () => route());
events.addEventListener("signout", (event) => signOut(event.detail.message, event.detail.kind));
events.addEventListener("environments", (event) => {
  reloadEnvironments(event.detail.select).catch((error) => notify(error.message, "error"));
});
window.addEventListener("hashchange", route);
route();
