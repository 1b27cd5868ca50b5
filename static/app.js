// Latchkey admin page. Plain JavaScript the browser runs as is: no build step, no framework,
// nothing fetched from outside this origin. It talks to the same server's /v1 API with the
// signed-in user's access token, which lives in sessionStorage and never in a URL.
"use strict";

const TOKEN_KEY = "latchkey.token";
const ENV_KEY = "latchkey.environment";

const state = {
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

const TOPICS = [
  "api-key:created", "api-key:deleted", "api-key:rotated", "auth:login-failed",
  "auth:login-succeeded", "auth:login-throttled", "environment:created", "environment:updated",
  "guest:deleted", "guest:invited", "guest:link-redeemed", "guest:token-issued", "pat:created",
  "pat:deleted", "secret:created", "secret:deleted", "secret:updated", "space:archived",
  "space:created", "space:guestAdded", "space:guestRemoved", "space:unarchived", "user:deleted",
  "user:invite-resent", "user:invited", "user:password-set", "user:role-changed",
  "workbook:created",
];

const GRACES = [["0", "Old key: stop now"], ["3600", "Old key: 1 more hour"], ["86400", "Old key: 24 more hours"]];

// ---------------------------------------------------------------------------------------------
// DOM helpers

const $ = (selector) => document.querySelector(selector);
let lastId = 0;
const newId = (prefix) => `${prefix}-${++lastId}`;

/** Builds an element. `on…` props become listeners; `value`/`checked` are set as properties. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  const late = {};
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "value" || key === "checked") late[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child != null && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return Object.assign(el, late);
}

/** A labelled form control. */
function field(label, control, hint) {
  control.id ||= newId("field");
  return h("div", { class: "field" },
    h("label", { for: control.id }, label), control, hint && h("small", { class: "hint" }, hint));
}

function select(props, options, value) {
  return h("select", { id: newId("select"), ...props, value },
    options.map(([v, label]) => h("option", { value: v }, label)));
}

/** A form whose submit runs `onSubmit(formData, form)`, showing the server's error on failure. */
function form(label, fields, submitLabel, onSubmit) {
  const el = h("form", { class: "inline-form", "aria-label": label, novalidate: true },
    fields, h("div", { class: "field submit" }, h("button", { type: "submit" }, submitLabel)));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!el.reportValidity()) return;
    const button = el.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await onSubmit(new FormData(el), el);
    } catch (error) {
      notify(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

/** A button whose click runs `handler`, disabled meanwhile; errors are shown, not thrown. */
function button(label, handler, props = {}) {
  const el = h("button", { type: "button", class: "secondary small", ...props }, label);
  el.addEventListener("click", async () => {
    el.disabled = true;
    try {
      await handler(el);
    } catch (error) {
      notify(error.message, "error");
    } finally {
      el.disabled = false;
    }
  });
  return el;
}

function table(label, columns, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", { class: "list", "aria-label": label },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h("tbody", {}, rows.map((row) => h("tr", { "data-id": row.id, class: row.rowClass },
        columns.map((c) => h("td", { "data-label": c.label, class: c.class }, h("div", { class: "cell" }, c.cell(row)))))))));
}

/** Previous / next controls; `pageCount` may be unknown (the audit log has none). */
function pager(label, { page, pageCount, hasNext }, onPage) {
  if (page <= 1 && !hasNext) return null;
  return h("nav", { class: "pager", "aria-label": `${label} pages` },
    h("button", { type: "button", class: "secondary small", disabled: page <= 1, onclick: () => onPage(page - 1) }, "‹ Previous"),
    h("span", { class: "page" }, pageCount ? `Page ${page} of ${pageCount}` : `Page ${page}`),
    h("button", { type: "button", class: "secondary small", disabled: !hasNext, onclick: () => onPage(page + 1) }, "Next ›"));
}

/** Pages a list the server answers whole. */
function pageLocally(label, items, ui, size = 10) {
  const pageCount = Math.max(1, Math.ceil(items.length / size));
  ui.page = Math.min(Math.max(1, ui.page || 1), pageCount);
  const controls = pager(label, { page: ui.page, pageCount, hasNext: ui.page < pageCount }, (p) => {
    ui.page = p;
    refresh();
  });
  return { items: items.slice((ui.page - 1) * size, ui.page * size), controls };
}

function serverPager(label, ui, pagination) {
  const pageCount = pagination?.pageCount || 1;
  return pager(label, { page: ui.page, pageCount, hasNext: ui.page < pageCount }, (p) => {
    ui.page = p;
    refresh();
  });
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

function when(iso) {
  return iso ? h("time", { datetime: iso, title: iso }, dateFormat.format(new Date(iso))) : "—";
}

function fromNow(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return relativeFormat.format(Math.round(seconds), "second");
}

function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

// ---------------------------------------------------------------------------------------------
// Feedback: toasts, the confirm dialog, copying

function notify(message, kind = "ok") {
  const toasts = $("#toasts");
  const toast = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" },
    h("span", {}, message),
    h("button", { type: "button", class: "close", "aria-label": "Dismiss", onclick: () => toast.remove() }, "×"));
  toasts.append(toast);
  while (toasts.children.length > 3) toasts.firstElementChild.remove();
  setTimeout(() => toast.remove(), kind === "error" ? 12000 : 6000);
}

/** An in-page confirmation; resolves true when the person confirms. */
function confirmAction(message, actionLabel = "Delete") {
  const dialog = $("#confirm");
  $("#confirm-text").textContent = message;
  $("#confirm-ok").textContent = actionLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    $("#confirm-cancel").focus();
  });
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No async clipboard (plain http on another host, or permission refused): the old way.
    const area = h("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    if (!copied) {
      notify(`Could not copy ${what}; reveal it and copy it by hand.`, "error");
      return;
    }
  }
  notify(`Copied ${what} to the clipboard.`);
}

function copyButton(text, what) {
  return button("Copy", () => copy(text, what), { "aria-label": `Copy ${what}` });
}

/** A value shown as dots until revealed, with reveal and copy buttons. */
function masked(value, what, prefix = "") {
  const hidden = `${prefix}${"•".repeat(12)}`;
  const code = h("code", { class: "secret masked" }, hidden);
  const toggle = h("button", { type: "button", class: "secondary small", "aria-pressed": "false", "aria-label": `Reveal ${what}` }, "Reveal");
  toggle.addEventListener("click", () => {
    const show = toggle.getAttribute("aria-pressed") !== "true";
    code.textContent = show ? value : hidden;
    code.classList.toggle("masked", !show);
    toggle.setAttribute("aria-pressed", String(show));
    toggle.setAttribute("aria-label", `${show ? "Hide" : "Reveal"} ${what}`);
    toggle.textContent = show ? "Hide" : "Reveal";
  });
  return h("span", { class: "value" }, code, h("span", { class: "buttons" }, toggle, copyButton(value, what)));
}

// ---------------------------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(status, message, key) {
    super(message);
    this.status = status;
    this.key = key;
  }
}

/** Calls the API with the session's token; throws ApiError with the server's message. */
async function api(method, path, body) {
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
    signOut(`Your session has ended (${message}). Sign in again.`, "error");
  }
  throw new ApiError(response.status, message, first?.key);
}

/** A query string from the given parameters, leaving out empty ones. */
function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v != null && v !== "");
  return new URLSearchParams(pairs.map(([k, v]) => [k, String(v)])).toString();
}

async function allPages(path, params = {}) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const res = await api("GET", `${path}?${query({ ...params, pageSize: 100, pageNumber: page })}`);
    items.push(...res.data);
    if (!res.pagination || page >= res.pagination.pageCount || !res.data.length) return items;
  }
}

/** The environment picked in the header; sections that need one fail with a clear message. */
function currentEnv() {
  const env = state.envs.find((e) => e.id === state.envId);
  if (!env) throw new Error("This account has no environments. Create one with POST /v1/environments.");
  return env;
}
const envName = (id) => state.envs.find((e) => e.id === id)?.name || id;

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
    state.envId = event.target.value;
    sessionStorage.setItem(ENV_KEY, state.envId);
    for (const id of ["keys", "spaces", "guests", "secrets"]) delete state.ui[id];
    refresh();
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
  { id: "keys", title: "API keys", admin: true, render: renderKeys },
  { id: "tokens", title: "Access tokens", render: renderTokens },
  { id: "users", title: "Users", admin: true, render: renderUsers },
  { id: "spaces", title: "Spaces", render: renderSpaces },
  { id: "guests", title: "Guests", render: renderGuests },
  { id: "secrets", title: "Secrets", admin: true, render: renderSecrets },
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

const refresh = () => route();

async function renderSection(section) {
  showOnly("app-view");
  if (state.section !== section.id && state.ui.tokens) state.ui.tokens.fresh = null; // shown once
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

function subtitle(...parts) {
  return h("p", { class: "subtitle" }, ...parts);
}

// ---------------------------------------------------------------------------------------------
// Sections, one render function each. Each answers the nodes below the section's heading.

async function renderKeys(ui) {
  const env = currentEnv();
  const { data: keys } = await api("GET", `/v1/auth/api-keys?${query({ environmentId: env.id })}`);
  const expiring = keys.filter((k) => k.state === "expiring");
  const label = (k) => `${k.type === "SECRET" ? "secret" : "publishable"} key ${k.id}`;

  const create = form("Create an API key", [
    field("Type", select({ name: "type" }, [["SECRET", "Secret key (sk_…)"], ["PUBLISHABLE", "Publishable key (pk_…)"]])),
  ], "Create key", async (data) => {
    const type = data.get("type");
    const { data: [key] } = await api("POST", `/v1/auth/api-key?${query({ environmentId: env.id, type })}`);
    ui.highlight = key.id;
    notify(`Created a ${type.toLowerCase()} key in ${env.name}.`);
    refresh();
  });

  const rotate = (k) => {
    const grace = select({ "aria-label": `When the old ${label(k)} stops working` }, GRACES, "3600");
    return h("span", { class: "rotate" }, grace,
      button("Rotate", async () => {
        const seconds = Number(grace.value);
        if (seconds === 0 && !(await confirmAction(`Rotate ${label(k)} and stop it now? Anything still using it fails at once.`, "Rotate now"))) return;
        const { data } = await api("POST", `/v1/latchkey/api-keys/${encodeURIComponent(k.id)}/rotate`, { expiresInSeconds: seconds });
        ui.highlight = data.key.id;
        notify(seconds
          ? `Rotated: the new key is listed; the old one works until ${dateFormat.format(new Date(data.previous.expiresAt))}.`
          : "Rotated: the new key is listed; the old one no longer works.");
        refresh();
      }));
  };

  const remove = (k) => button("Delete", async () => {
    if (!(await confirmAction(`Delete the ${label(k)}? Anything using it stops working at once.`))) return;
    await api("DELETE", `/v1/auth/api-key?${query({ environmentId: env.id, key: k.id })}`);
    notify(`Deleted the ${label(k)}.`);
    refresh();
  }, { class: "danger small", "aria-label": `Delete ${label(k)}` });

  const rows = keys.map((k) => ({ ...k, rowClass: k.id === ui.highlight ? "highlight" : null }));
  const { items, controls } = pageLocally("API keys", rows, ui, 10);
  return [
    subtitle("Keys of the ", h("strong", {}, env.name), " environment. Secret keys reach everything in it; publishable keys only what they are allowed."),
    expiring.length && h("div", { class: "notice warn", role: "note" },
      h("strong", {}, `${expiring.length} ${expiring.length === 1 ? "key is" : "keys are"} expiring: `),
      h("ul", {}, expiring.map((k) => h("li", {}, `${label(k)} stops working ${fromNow(k.expiresAt)} (`, when(k.expiresAt), ")")))),
    create,
    table("API keys", [
      { label: "Type", cell: (k) => badge(k.type === "SECRET" ? "Secret" : "Publishable", k.type === "SECRET" ? "secret-key" : "") },
      { label: "Key", class: "key", cell: (k) => [
        k.rawKey ? masked(k.rawKey, label(k), k.rawKey.slice(0, 3)) : "—",
        h("small", { class: "id" }, k.id), h("small", { class: "muted block" }, "created ", when(k.createdAt))] },
      { label: "State", cell: (k) => (k.state === "expiring"
        ? [badge("Expiring", "warn"), h("small", { class: "muted block" }, "stops ", fromNow(k.expiresAt))]
        : badge("Active", "ok")) },
      { label: "Actions", class: "actions", cell: (k) => [k.state === "active" && rotate(k), remove(k)] },
    ], items, "This environment has no keys. Create one above."),
    controls,
  ];
}

async function renderTokens(ui) {
  const { data: pats } = await api("GET", "/v1/auth/personal-access-tokens");
  pats.sort((a, b) => b.createdAt.localeCompare(a.createdAt));

  const create = form("Create a personal access token", [
    field("Name", h("input", { name: "name", required: true, maxlength: 256, placeholder: "e.g. CI deploy", autocomplete: "off" })),
  ], "Create token", async (data, el) => {
    const name = data.get("name").trim();
    const { data: created } = await api("POST", "/v1/auth/personal-access-tokens", { name });
    ui.fresh = { token: created.token, name: created.personalAccessToken.name };
    ui.page = 1;
    el.reset();
    notify(`Created the token "${name}". Copy it now.`);
    refresh();
  });

  const fresh = ui.fresh && h("div", { class: "once", role: "region", "aria-label": "New token" },
    h("p", {}, h("strong", {}, "Copy this token now: it will not be shown again. "),
      `If you lose "${ui.fresh.name}", delete it and create another.`),
    h("div", { class: "value" }, h("code", { class: "secret token", "data-testid": "new-token" }, ui.fresh.token),
      copyButton(ui.fresh.token, "the new token")),
    button("Done, I have copied it", () => {
      ui.fresh = null;
      refresh();
    }, { class: "small" }));

  const { items, controls } = pageLocally("Tokens", pats, ui, 10);
  return [
    subtitle("Personal access tokens act as you (", state.user.email, ") from scripts and tools. Send one as ", h("code", {}, "Authorization: Bearer pat_…"), "."),
    ...yourSignIn(),
    create,
    fresh,
    table("Personal access tokens", [
      { label: "Name", cell: (t) => [h("strong", {}, t.name), h("small", { class: "id" }, t.id)] },
      { label: "Created", cell: (t) => when(t.createdAt) },
      { label: "Last used", cell: (t) => (t.lastUsedAt ? when(t.lastUsedAt) : h("span", { class: "muted" }, "never")) },
      { label: "Actions", class: "actions", cell: (t) => button("Delete", async () => {
        if (!(await confirmAction(`Delete the token "${t.name}"? Anything using it stops working at once.`))) return;
        await api("DELETE", `/v1/auth/personal-access-tokens/${encodeURIComponent(t.id)}`);
        notify(`Deleted the token "${t.name}".`);
        refresh();
      }, { class: "danger small", "aria-label": `Delete token ${t.name}` }) },
    ], items, "You have no personal access tokens."),
    controls,
  ];
}

/** Your own sign-in: change the password (the other sessions end), or end every session. */
function yourSignIn() {
  const change = form("Change password", [
    field("Current password", h("input", { name: "current", type: "password", required: true, autocomplete: "current-password" })),
    field("New password", h("input", { name: "password", type: "password", required: true, minlength: 8, maxlength: 1024, autocomplete: "new-password" })),
  ], "Change password", async (data, el) => {
    await api("POST", "/v1/latchkey/password", { currentPassword: data.get("current"), password: data.get("password") });
    el.reset();
    notify("Changed your password. Your other sessions are signed out.");
  });
  const everywhere = button("Sign out everywhere", async () => {
    if (!(await confirmAction("Sign out every session of yours, this one included?", "Sign out everywhere"))) return;
    await api("POST", "/v1/latchkey/logout?everywhere=true");
    signOut("Signed out everywhere.");
  }, { class: "danger small" });
  return [change, h("p", { class: "muted" }, "Signed in somewhere you should not be? ", everywhere)];
}

async function renderUsers(ui) {
  ui.page ||= 1;
  const account = state.me.accountId;
  const roles = [["us_rol_member", "Member"], ["us_rol_admin", "Administrator"]];
  const res = await api("GET", `/v1/users?${query({ pageSize: 20, pageNumber: ui.page })}`);

  const invite = form("Invite a user", [
    field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "off" })),
    field("Name", h("input", { name: "name", required: true, autocomplete: "off" })),
    field("Role", select({ name: "role" }, roles)),
  ], "Invite", async (data, el) => {
    const email = data.get("email").trim();
    await api("POST", "/v1/users/invite", {
      email, name: data.get("name").trim(), actorRoles: [{ roleId: data.get("role"), resourceId: account }],
    });
    el.reset();
    notify(`Invited ${email}. The invitation with the set-password link is in the outbox.`);
    refresh();
  });

  const roleSelect = (u) => {
    const self = u.id === state.me.id;
    const el = select({ "aria-label": `Role of ${u.email}`, disabled: self, title: self ? "You cannot change your own role" : null },
      roles, u.actorRoles?.[0]?.roleId || (u.role === "Administrator" ? "us_rol_admin" : "us_rol_member"));
    el.addEventListener("change", async () => {
      const previous = el.value === "us_rol_admin" ? "us_rol_member" : "us_rol_admin";
      el.disabled = true;
      try {
        await api("POST", `/v1/users/${encodeURIComponent(u.id)}/roles`, { roleId: el.value, resourceId: account });
        notify(`${u.email} is now ${el.value === "us_rol_admin" ? "an Administrator" : "a Member"}.`);
      } catch (error) {
        el.value = previous;
        notify(error.message, "error");
      } finally {
        el.disabled = false;
      }
    });
    return el;
  };

  return [
    subtitle("People who sign in to this account. Administrators can do everything; Members manage spaces, guests and their own tokens."),
    invite,
    table("Users", [
      { label: "Name", cell: (u) => [h("strong", {}, u.name), u.id === state.me.id && [" ", badge("you")]] },
      { label: "Email", cell: (u) => u.email },
      { label: "Role", cell: roleSelect },
      { label: "Status", cell: (u) => (u.hasPassword ? badge("Active", "ok") : [badge("Invited", "warn"), " ",
        button("Resend invitation", async () => {
          await api("POST", `/v1/users/${encodeURIComponent(u.id)}/resend-invite`);
          notify(`Sent ${u.email} a new invitation (see the outbox).`);
        })]) },
      { label: "Actions", class: "actions", cell: (u) => button("Remove", async () => {
        if (!(await confirmAction(`Remove ${u.email} from the account? Their tokens stop working.`, "Remove"))) return;
        await api("DELETE", `/v1/users/${encodeURIComponent(u.id)}`);
        notify(`Removed ${u.email}.`);
        refresh();
      }, { class: "danger small", disabled: u.id === state.me.id, "aria-label": `Remove ${u.email}` }) },
    ], res.data, "No users."),
    serverPager("Users", ui, res.pagination),
  ];
}

async function renderSpaces(ui) {
  const env = currentEnv();
  ui.page ||= 1;
  const res = await api("GET", `/v1/spaces?${query({
    environmentId: env.id, pageSize: 10, pageNumber: ui.page, archived: ui.archived ? "true" : null,
  })}`);

  const create = form("Create a space", [
    field("Name", h("input", { name: "name", required: true, maxlength: 256, autocomplete: "off" })),
  ], "Create space", async (data, el) => {
    const { data: space } = await api("POST", "/v1/spaces", { name: data.get("name").trim(), environmentId: env.id });
    el.reset();
    ui.open = { id: space.id, name: space.name };
    notify(`Created the space "${space.name}" in ${env.name}.`);
    refresh();
  });

  const archivedToggle = h("label", { class: "check" },
    h("input", { type: "checkbox", checked: !!ui.archived, onchange: (e) => {
      ui.archived = e.target.checked;
      ui.page = 1;
      refresh();
    } }), " Show archived spaces");

  const setArchived = (s, archive) => button(archive ? "Archive" : "Unarchive", async () => {
    await api("POST", `/v1/spaces/${encodeURIComponent(s.id)}/${archive ? "archive" : "unarchive"}`);
    notify(`${archive ? "Archived" : "Unarchived"} the space "${s.name}".`);
    refresh();
  }, { "aria-label": `${archive ? "Archive" : "Unarchive"} space ${s.name}` });

  const openWorkbooks = (s) => button(ui.open?.id === s.id ? "Hide workbooks" : "Workbooks", () => {
    ui.open = ui.open?.id === s.id ? null : { id: s.id, name: s.name };
    refresh();
  }, { "aria-expanded": String(ui.open?.id === s.id), "aria-label": `Workbooks of space ${s.name}` });

  return [
    subtitle("Spaces of the ", h("strong", {}, env.name), " environment. Guests are given access to spaces, or to some of their workbooks."),
    create,
    archivedToggle,
    table(ui.archived ? "Archived spaces" : "Spaces", [
      { label: "Name", cell: (s) => [h("strong", {}, s.name), h("small", { class: "id" }, s.id)] },
      { label: "Workbooks", cell: (s) => String(s.workbooksCount ?? 0) },
      { label: ui.archived ? "Archived" : "Created", cell: (s) => when(ui.archived ? s.archivedAt : s.createdAt) },
      { label: "Actions", class: "actions", cell: (s) => [openWorkbooks(s), setArchived(s, !s.archivedAt)] },
    ], res.data, ui.archived ? "No archived spaces." : "No spaces yet. Create one above."),
    serverPager("Spaces", ui, res.pagination),
    ui.open && (await workbooksPanel(ui)),
  ];
}

async function workbooksPanel(ui) {
  const space = ui.open;
  let workbooks;
  try {
    ({ data: workbooks } = await api("GET", `/v1/workbooks?${query({ spaceId: space.id })}`));
  } catch (error) {
    ui.open = null; // the space is gone or out of reach; say so and close the panel
    notify(error.message, "error");
    return null;
  }
  return h("section", { class: "panel", "aria-label": `Workbooks of ${space.name}` },
    h("h2", {}, `Workbooks in ${space.name}`),
    form(`Add a workbook to ${space.name}`, [
      field("Workbook name", h("input", { name: "name", required: true, maxlength: 256, autocomplete: "off" })),
    ], "Add workbook", async (data, el) => {
      const { data: wb } = await api("POST", "/v1/workbooks", { name: data.get("name").trim(), spaceId: space.id });
      el.reset();
      notify(`Added the workbook "${wb.name}" to ${space.name}.`);
      refresh();
    }),
    table("Workbooks", [
      { label: "Name", cell: (w) => h("strong", {}, w.name) },
      { label: "Id", cell: (w) => h("code", {}, w.id) },
      { label: "Created", cell: (w) => when(w.createdAt) },
    ], workbooks, "No workbooks in this space."));
}

async function renderGuests(ui) {
  const env = currentEnv();
  const spaces = await allPages("/v1/spaces", { environmentId: env.id });
  if (!spaces.length) {
    return [subtitle("There are no spaces in ", h("strong", {}, env.name), " yet. ", h("a", { href: "#/spaces" }, "Create a space"), " first: guests are added to spaces.")];
  }
  if (!spaces.some((s) => s.id === ui.spaceId)) ui.spaceId = spaces[0].id;
  const space = spaces.find((s) => s.id === ui.spaceId);
  const [{ data: guests }, { data: workbooks }] = await Promise.all([
    api("GET", `/v1/guests?${query({ spaceId: space.id })}`),
    api("GET", `/v1/workbooks?${query({ spaceId: space.id })}`),
  ]);
  const workbookName = (id) => workbooks.find((w) => w.id === id)?.name || id;

  const picker = field("Space", select({ onchange: (e) => {
    ui.spaceId = e.target.value;
    ui.page = 1;
    refresh();
  } }, spaces.map((s) => [s.id, s.name]), space.id));

  const workbookChoices = workbooks.length
    ? h("fieldset", { class: "choices" }, h("legend", {}, "Only these workbooks (leave all unchecked for the whole space)"),
      workbooks.map((w) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "workbook", value: w.id }), ` ${w.name}`)))
    : h("p", { class: "hint" }, "This space has no workbooks: the guest gets the whole space. ", h("a", { href: "#/spaces" }, "Add workbooks"), " to grant less.");

  const add = form(`Add a guest to ${space.name}`, [
    field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "off" })),
    field("Name", h("input", { name: "name", required: true, autocomplete: "off" })),
    workbookChoices,
  ], "Add guest", async (data, el) => {
    const email = data.get("email").trim();
    const chosen = data.getAll("workbook");
    const grant = chosen.length ? { id: space.id, workbooks: chosen.map((id) => ({ id })) } : { id: space.id };
    await api("POST", "/v1/guests", [{ environmentId: env.id, email, name: data.get("name").trim(), spaces: [grant] }]);
    el.reset();
    notify(`Added ${email} to ${space.name}${chosen.length ? ` (${chosen.length} workbook${chosen.length > 1 ? "s" : ""})` : ""}.`);
    refresh();
  });

  const access = (g) => {
    const grant = g.spaces.find((s) => s.id === space.id);
    const here = grant?.workbooks ? `Workbooks: ${grant.workbooks.map((w) => workbookName(w.id)).join(", ")}` : "Whole space";
    const others = g.spaces.length - 1;
    return [here, others > 0 && h("small", { class: "muted" }, ` and ${others} other space${others > 1 ? "s" : ""}`)];
  };

  const actions = (g) => [
    button("Send magic link", async () => {
      await api("POST", "/v1/invitations", [{ guestId: g.id, spaceId: space.id, fromName: state.user.name }]);
      notify(`Sent ${g.email} a magic link to ${space.name}${state.isAdmin ? " (see the outbox)" : ""}.`);
    }, { "aria-label": `Send a magic link to ${g.email}` }),
    button("Remove from space", async () => {
      if (!(await confirmAction(`Remove ${g.email} from ${space.name}? Their other spaces stay.`, "Remove"))) return;
      await api("DELETE", `/v1/guests/${encodeURIComponent(g.id)}?${query({ spaceId: space.id })}`);
      notify(`Removed ${g.email} from ${space.name}.`);
      refresh();
    }, { class: "danger small", "aria-label": `Remove ${g.email} from ${space.name}` }),
    button("Remove entirely", async () => {
      if (!(await confirmAction(`Remove the guest ${g.email} from every space? Their links and tokens stop working.`, "Remove guest"))) return;
      await api("DELETE", `/v1/guests/${encodeURIComponent(g.id)}`);
      notify(`Removed the guest ${g.email}.`);
      refresh();
    }, { class: "danger small", "aria-label": `Remove guest ${g.email} entirely` }),
  ];

  const { items, controls } = pageLocally("Guests", guests, ui, 10);
  return [
    subtitle("Guests of a space in ", h("strong", {}, env.name), ". They sign in through magic links; they cannot open this page."),
    h("div", { class: "toolbar" }, picker),
    add,
    table(`Guests of ${space.name}`, [
      { label: "Name", cell: (g) => h("strong", {}, g.name) },
      { label: "Email", cell: (g) => g.email },
      { label: "Access", cell: access },
      { label: "Actions", class: "actions", cell: actions },
    ], items, `No guests in ${space.name} yet.`),
    controls,
  ];
}

async function renderSecrets(ui) {
  const env = currentEnv();
  const spaces = await allPages("/v1/spaces", { environmentId: env.id });
  if (ui.spaceId && !spaces.some((s) => s.id === ui.spaceId)) ui.spaceId = "";
  const { data: secrets } = await api("GET", `/v1/secrets?${query({ environmentId: env.id, spaceId: ui.spaceId })}`);
  const spaceName = (id) => spaces.find((s) => s.id === id)?.name || id;
  const scopeLabel = ui.spaceId ? `the space ${spaceName(ui.spaceId)}` : `the ${env.name} environment`;

  const scope = field("Scope", select({ onchange: (e) => {
    ui.spaceId = e.target.value;
    ui.page = 1;
    refresh();
  } }, [["", `Whole environment (${env.name})`], ...spaces.map((s) => [s.id, `Space: ${s.name}`])], ui.spaceId || ""));

  const write = (name, value, environmentId, spaceId) =>
    api("POST", "/v1/secrets", { name, value, environmentId, ...(spaceId ? { spaceId } : {}) });

  const add = form(`Add a secret to ${scopeLabel}`, [
    field("Name", h("input", { name: "name", required: true, maxlength: 1024, autocomplete: "off" })),
    field("Value", h("input", { name: "value", type: "password", required: true, maxlength: 1024, autocomplete: "new-password" })),
  ], "Add secret", async (data, el) => {
    const name = data.get("name").trim();
    await write(name, data.get("value"), env.id, ui.spaceId);
    el.reset();
    notify(`Saved the secret ${name} in ${scopeLabel}.`);
    refresh();
  });

  const valueCell = (s) => {
    if (ui.editing !== s.id) return masked(s.value, `value of ${s.name}`);
    const edit = form(`New value of ${s.name}`, [
      field("New value", h("input", { name: "value", type: "password", required: true, maxlength: 1024, autocomplete: "new-password" })),
    ], "Save", async (data) => {
      await write(s.name, data.get("value"), s.environmentId, s.spaceId);
      ui.editing = null;
      notify(`Changed the secret ${s.name}.`);
      refresh();
    });
    edit.classList.add("compact");
    edit.append(button("Cancel", () => {
      ui.editing = null;
      refresh();
    }));
    return edit;
  };

  const { items, controls } = pageLocally("Secrets", secrets, ui, 10);
  return [
    subtitle("Secrets for listeners and jobs. A space's secret replaces the environment's secret of the same name."),
    h("div", { class: "toolbar" }, scope),
    add,
    table("Secrets", [
      { label: "Name", cell: (s) => h("strong", {}, s.name) },
      { label: "Value", class: "key", cell: valueCell },
      { label: "Scope", cell: (s) => (s.spaceId ? `Space: ${spaceName(s.spaceId)}` : "Environment") },
      { label: "Updated", cell: (s) => when(s.updatedAt) },
      { label: "Actions", class: "actions", cell: (s) => [
        ui.editing !== s.id && button("Change", () => {
          ui.editing = s.id;
          refresh();
        }, { "aria-label": `Change ${s.name}` }),
        button("Delete", async () => {
          if (!(await confirmAction(`Delete the secret ${s.name}${s.spaceId ? ` of ${spaceName(s.spaceId)}` : ` of ${env.name}`}?`))) return;
          await api("DELETE", `/v1/secrets/${encodeURIComponent(s.id)}`);
          notify(`Deleted the secret ${s.name}.`);
          refresh();
        }, { class: "danger small", "aria-label": `Delete ${s.name}` }),
      ] },
    ], items, `No secrets in ${scopeLabel}.`),
    controls,
  ];
}

async function renderAudit(ui) {
  const size = 20;
  ui.filters ||= { environmentId: "", topic: "", since: "" };
  ui.page ||= 1;
  if (ui.page === 1) ui.until = null; // page 1 reads the newest; later pages keep its snapshot
  const f = ui.filters;
  const [{ data: events }, people] = await Promise.all([
    api("GET", `/v1/events?${query({
      environmentId: f.environmentId, topic: f.topic, since: f.since && new Date(f.since).toISOString(),
      until: ui.until, pageSize: size, pageNumber: ui.page, includeAcknowledged: "true",
    })}`),
    ui.people || allPages("/v1/users").then((users) => new Map(users.map((u) => [u.id, u.email]))),
  ]);
  ui.people = people;
  if (ui.page === 1 && events.length) ui.until = events[0].createdAt;

  const topics = h("datalist", { id: "audit-topics" }, TOPICS.map((t) => h("option", { value: t })));
  const filters = form("Filter the audit log", [
    field("Environment", select({ name: "environmentId" }, [["", "All environments"], ...state.envs.map((e) => [e.id, e.name])], f.environmentId)),
    field("Topic", h("input", { name: "topic", list: "audit-topics", value: f.topic, placeholder: "any topic", autocomplete: "off" })),
    field("Since", h("input", { name: "since", type: "datetime-local", value: f.since })),
    topics,
  ], "Apply filters", (data) => {
    ui.filters = { environmentId: data.get("environmentId"), topic: data.get("topic").trim(), since: data.get("since") };
    ui.page = 1;
    refresh();
  });
  filters.querySelector(".submit").append(button("Reset", () => {
    ui.filters = null;
    ui.page = 1;
    refresh();
  }));

  const actor = (id) => (id ? people.get(id) || id : "—");
  return [
    subtitle("Every change and sign-in, newest first."),
    filters,
    table("Audit events", [
      { label: "Time", cell: (e) => when(e.createdAt) },
      { label: "Topic", cell: (e) => h("code", {}, e.topic) },
      { label: "Environment", cell: (e) => (e.context?.environmentId ? envName(e.context.environmentId) : "—") },
      { label: "Actor", cell: (e) => actor(e.context?.actorId) },
      { label: "Details", class: "details", cell: (e) => (Object.keys(e.payload || {}).length
        ? h("details", {}, h("summary", {}, "Payload"), h("pre", {}, JSON.stringify(e.payload, null, 2)))
        : "—") },
    ], events, ui.page > 1 ? "No more events." : "No events match these filters."),
    pager("Audit log", { page: ui.page, hasNext: events.length === size }, (p) => {
      ui.page = p;
      refresh();
    }),
  ];
}

async function renderOutbox(ui) {
  ui.page ||= 1;
  const res = await api("GET", `/v1/latchkey/outbox?${query({ pageSize: 10, pageNumber: ui.page })}`);
  const mails = res.data.length
    ? h("ul", { class: "mails", "aria-label": "Mails" }, res.data.map((m) => h("li", { class: "mail" },
      h("div", { class: "mail-head" },
        h("strong", { class: "subject" }, m.subject),
        h("span", { class: "muted" }, "to ", h("span", { class: "to" }, m.to), " · ", when(m.createdAt))),
      h("details", {}, h("summary", {}, "Message"), h("pre", { class: "body" }, m.body)))))
    : h("p", { class: "empty" }, "Nothing was sent yet.");
  return [
    subtitle("Latchkey does not send email: invitations and magic links are kept here, newest first, for you to pass on."),
    mails,
    serverPager("Outbox", ui, res.pagination),
  ];
}

// ---------------------------------------------------------------------------------------------

wireStaticForms();
window.addEventListener("hashchange", route);
route();
