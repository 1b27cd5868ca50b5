// The webhooks section: the picked environment's endpoints (create, edit, turn on and off,
// rotate an endpoint's own secret, delete with a confirmation), the `whsec_…` signing secrets
// receivers verify with, and each endpoint's delivery log with "send a test event" and
// "redeliver".

import { api } from "./api.js";
import { currentEnv, refresh } from "./state.js";
import { badge, button, confirmAction, copyButton, field, form, h, masked, notify, subtitle, table, when } from "./ui.js";

const BASE = "/v1/latchkey/webhooks";
const path = (...parts) => [BASE, ...parts.map(encodeURIComponent)].join("/");
const splitTopics = (text) => text.split(/[\s,]+/).filter(Boolean);
const GRACES = [["0", "at once"], ["3600", "after 1 hour"], ["86400", "after 24 hours"]];

export async function renderWebhooks(ui) {
  const env = currentEnv();
  const [{ data: hooks }, { data: secrets }] = await Promise.all([
    api("GET", `${BASE}?environmentId=${encodeURIComponent(env.id)}`),
    api("GET", `${BASE}/signing-secrets?environmentId=${encodeURIComponent(env.id)}`),
  ]);
  if (ui.open && !hooks.some((w) => w.id === ui.open)) ui.open = null;
  if (ui.editing && !hooks.some((w) => w.id === ui.editing)) ui.editing = null;
  if (ui.fresh && !hooks.some((w) => w.id === ui.fresh.id)) ui.fresh = null;
  const open = hooks.find((w) => w.id === ui.open);
  const editing = hooks.find((w) => w.id === ui.editing);
  return [
    subtitle("Latchkey sends the audit events of ", env.name, " to these endpoints, signed as the ",
      "Standard Webhooks",
      " specification says (", h("code", {}, "webhook-id"), ", ", h("code", {}, "webhook-timestamp"), ", ",
      h("code", {}, "webhook-signature"), "), retried until they answer 2xx."),
    signingSecrets(secrets, env),
    createForm(ui, env),
    fresh(ui),
    table("Webhook endpoints", [
      { label: "Endpoint", cell: (w) => [h("strong", { class: "block url" }, w.url), w.description && h("span", { class: "block" }, w.description), h("small", { class: "id" }, w.id)] },
      { label: "Topics", cell: (w) => w.topics.map((t) => h("code", { class: "block" }, t)) },
      { label: "State", cell: stateCell },
      { label: "Signed with", cell: (w) => (w.signing === "endpoint" ? "Its own secret" : "The secret keys") },
      { label: "Pending", cell: (w) => String(w.pending) },
      { label: "Actions", class: "actions", cell: (w) => actions(w, ui) },
    ], hooks, `No webhook endpoints in ${env.name}. Add one above.`),
    editing && editPanel(editing, ui),
    open && (await deliveriesPanel(open)),
  ];
}

/** Enabled or not, in words (and why it was turned off), never by colour alone. */
function stateCell(w) {
  if (w.enabled) return badge("Enabled", "ok");
  return [badge("Disabled", "warn"), w.disabledReason && h("small", { class: "block" }, w.disabledReason)];
}

/** The `whsec_…` secrets derived from the environment's active secret keys. */
function signingSecrets(secrets, env) {
  return h("section", { class: "notice", "aria-label": "Signing secrets" },
    h("h2", {}, "Signing secret for receivers"),
    h("p", {}, "Endpoints without a secret of their own are signed with this secret, derived from the secret key of ", env.name,
      ". Give it to the receiver's Standard Webhooks library. While two secret keys overlap in a rotation, deliveries carry both signatures."),
    secrets.length
      ? h("ul", { class: "secrets" }, secrets.map((s) => h("li", {}, h("small", { class: "block muted" }, `From the key ${s.keyId}`),
        masked(s.secret, `signing secret of key ${s.keyId}`, "whsec_"))))
      : h("p", { class: "muted" }, "This environment has no active secret key, so nothing can be signed with one."));
}

function createForm(ui, env) {
  return form("Add a webhook endpoint", [
    field("Endpoint URL", h("input", { name: "url", type: "url", required: true, maxlength: 2000, autocomplete: "off" }),
      "An https:// address that answers 2xx; redirects are not followed."),
    field("Topics", h("input", { name: "topics", required: true, autocomplete: "off", spellcheck: "false", placeholder: "space:*, user:created" }),
      "Separated by commas or spaces: * for everything, domain:* for a topic domain, or exact topics."),
    field("Description", h("input", { name: "description", maxlength: 500, autocomplete: "off" })),
    h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", name: "ownSecret" }), " A secret of its own (shown once)")),
  ], "Add endpoint", async (data, el) => {
    const body = {
      environmentId: env.id,
      url: data.get("url").trim(),
      topics: splitTopics(data.get("topics")),
      description: data.get("description").trim(),
      ownSecret: data.get("ownSecret") === "on",
    };
    const { data: hook } = await api("POST", BASE, body);
    ui.fresh = hook.secret ? { secret: hook.secret, url: hook.url, id: hook.id } : null;
    el.reset();
    notify(`Added the endpoint ${hook.url}.${hook.secret ? " Copy its secret now." : ""}`);
    refresh();
  });
}

/** An endpoint's own secret, in the one answer that carries it. */
function fresh(ui) {
  if (!ui.fresh) return null;
  return h("div", { class: "once", role: "region", "aria-label": "New endpoint secret" },
    h("p", {}, h("strong", {}, "Copy this secret now: it will not be shown again. "),
      `Deliveries to ${ui.fresh.url} are signed with it; rotate it if it is lost.`),
    h("div", { class: "value" }, h("code", { class: "secret token", "data-testid": "new-webhook-secret" }, ui.fresh.secret),
      copyButton(ui.fresh.secret, "the endpoint's secret")),
    button("Done, I have copied it", () => {
      ui.fresh = null;
      refresh();
    }, { class: "small" }));
}

function actions(w, ui) {
  const shown = ui.open === w.id;
  return [
    button(shown ? "Hide deliveries" : "Deliveries", () => {
      ui.open = shown ? null : w.id;
      refresh();
    }, { "aria-expanded": String(shown), "aria-label": `${shown ? "Hide deliveries" : "Deliveries"} of ${w.url}` }),
    button("Send a test event", () => sendTest(w, ui), { "aria-label": `Send a test event to ${w.url}` }),
    button(w.enabled ? "Disable" : "Enable", async () => {
      await api("PATCH", path(w.id), { enabled: !w.enabled });
      notify(`${w.enabled ? "Disabled" : "Enabled"} the endpoint ${w.url}.`);
      refresh();
    }, { "aria-label": `${w.enabled ? "Disable" : "Enable"} ${w.url}` }),
    button("Edit", () => {
      ui.editing = ui.editing === w.id ? null : w.id;
      refresh();
    }, { "aria-expanded": String(ui.editing === w.id), "aria-label": `Edit ${w.url}` }),
    rotateControl(w, ui),
    button("Delete", async () => {
      const pending = w.pending ? ` Its ${w.pending} pending ${w.pending === 1 ? "delivery is" : "deliveries are"} dropped.` : "";
      if (!(await confirmAction(`Delete the webhook endpoint ${w.url}, with its delivery log?${pending}`))) return;
      await api("DELETE", path(w.id));
      notify(`Deleted the endpoint ${w.url}.`);
      refresh();
    }, { class: "danger small", "aria-label": `Delete ${w.url}` }),
  ];
}

/** A new own secret; the previous one may keep signing for a while, so receivers switch over. */
function rotateControl(w, ui) {
  const grace = h("select", { "aria-label": `When the old secret of ${w.url} stops signing` },
    GRACES.map(([v, label]) => h("option", { value: v }, `Old secret stops ${label}`)));
  const what = w.signing === "endpoint" ? "Rotate secret" : "Give it its own secret";
  return h("span", { class: "rotate" }, w.signing === "endpoint" && grace, button(what, async () => {
    const message = w.signing === "endpoint"
      ? `Rotate the secret of ${w.url}? The new secret is shown once; the old one stops signing ${GRACES.find(([v]) => v === grace.value)[1]}.`
      : `Sign deliveries to ${w.url} with a secret of its own instead of the secret keys? It is shown once.`;
    if (!(await confirmAction(message, what))) return;
    const graceSeconds = w.signing === "endpoint" ? Number(grace.value) : 0;
    const { data: hook } = await api("POST", `${path(w.id)}/rotate-secret`, { graceSeconds });
    ui.fresh = { secret: hook.secret, url: hook.url, id: hook.id };
    notify(`New secret for ${hook.url}. Copy it now.`);
    refresh();
  }, { "aria-label": `${what}: ${w.url}` }));
}

/** What a message queued for a disabled endpoint does meanwhile. */
const waits = (w) => (w.enabled ? "" : " It waits until the endpoint is enabled again.");

async function sendTest(w, ui) {
  const { data: delivery } = await api("POST", `${path(w.id)}/test`);
  ui.open = w.id;
  notify(`Queued a test event for ${w.url} (delivery ${delivery.id}).${waits(w)}`);
  refresh();
}

function editPanel(w, ui) {
  const edit = form(`Edit ${w.url}`, [
    field("Endpoint URL", h("input", { name: "url", type: "url", required: true, maxlength: 2000, autocomplete: "off", value: w.url })),
    field("Topics", h("input", { name: "topics", required: true, autocomplete: "off", spellcheck: "false", value: w.topics.join(", ") }),
      "Separated by commas or spaces."),
    field("Description", h("input", { name: "description", maxlength: 500, autocomplete: "off", value: w.description })),
  ], "Save endpoint", async (data) => {
    const body = { url: data.get("url").trim(), topics: splitTopics(data.get("topics")), description: data.get("description").trim() };
    await api("PATCH", path(w.id), body);
    ui.editing = null;
    notify(`Saved the endpoint ${body.url}.`);
    refresh();
  });
  edit.append(button("Cancel", () => {
    ui.editing = null;
    refresh();
  }));
  return h("section", { class: "panel", "aria-label": `Edit ${w.url}` }, h("h2", {}, `Edit ${w.url}`), edit);
}

const STATUS = { delivered: ["Delivered", "ok"], pending: ["Pending", "warn"], failed: ["Failed", "danger"] };

/** The newest attempt: the HTTP status (or the error) and how long it took. */
function lastAnswer(d) {
  const a = d.log[d.log.length - 1];
  if (!a) return h("span", { class: "muted" }, "not tried yet");
  const answer = a.status ? `HTTP ${a.status}` : `no answer${a.error ? `: ${a.error}` : ""}`;
  return [h("span", { class: "block" }, answer), h("small", { class: "block muted" }, `${a.latencyMs} ms, `, when(a.at))];
}

async function deliveriesPanel(w) {
  const { data: deliveries } = await api("GET", `${path(w.id, "deliveries")}?pageSize=50`);
  const label = `Deliveries to ${w.url}`;
  return h("section", { class: "panel", "aria-label": label },
    h("h2", {}, label),
    h("div", { class: "toolbar" },
      button("Reload the deliveries", () => refresh(), { "aria-label": `Reload the deliveries to ${w.url}` })),
    table(label, [
      { label: "Delivery", cell: (d) => [h("code", { class: "block" }, d.id), h("small", { class: "id" }, d.messageId)] },
      { label: "Topic", cell: (d) => h("code", {}, d.topic) },
      { label: "Status", cell: (d) => badge(...(STATUS[d.status] || [d.status])) },
      { label: "Attempts", cell: (d) => String(d.attempts) },
      { label: "Last answer", cell: lastAnswer },
      { label: "Next retry", cell: (d) => (d.nextAttemptAt ? when(d.nextAttemptAt) : "—") },
      { label: "Created", cell: (d) => when(d.createdAt) },
      { label: "Actions", class: "actions", cell: (d) => button("Redeliver", async () => {
        const { data: again } = await api("POST", `${path(w.id, "deliveries", d.id)}/redeliver`);
        notify(`Queued ${d.topic} again for ${w.url} (delivery ${again.id}, same webhook-id).${waits(w)}`);
        refresh();
      }, { "aria-label": `Redeliver ${d.id}` }) },
    ], deliveries, "Nothing delivered yet. Send a test event to try the endpoint."));
}
