// The environments section: list, create, switch to, change (name, production, guest sign-in
// methods, guests inviting guests, allowed browser origins) and delete with a confirmation that
// names what goes with the environment.

import { api } from "./api.js";
import { environmentsChanged, refresh, state } from "./state.js";
import { badge, button, confirmAction, field, form, h, notify, subtitle, table, when } from "./ui.js";

const METHODS = [["magic_link", "Magic link (a single-use link mailed to the guest)"], ["shared_link", "Shared link (anyone with the space's link may join)"]];
const methodName = (m) => (m === "magic_link" ? "Magic link" : m === "shared_link" ? "Shared link" : m);

export async function renderEnvironments(ui) {
  const create = form("Create an environment", [
    field("Name", h("input", { name: "name", required: true, maxlength: 256, autocomplete: "off", placeholder: "e.g. production" })),
    h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", name: "isProd" }), " Production environment")),
  ], "Create environment", async (data, el) => {
    const { data: env } = await api("POST", "/v1/environments", { name: data.get("name").trim(), isProd: data.get("isProd") === "on" });
    el.reset();
    notify(`Created the environment "${env.name}" with a secret and a publishable key.`);
    environmentsChanged();
  });

  const actions = (e) => [
    e.id !== state.envId && button("Switch to", () => {
      notify(`Switched to ${e.name}.`);
      environmentsChanged(e.id);
    }, { "aria-label": `Switch to ${e.name}` }),
    button(ui.open === e.id ? "Hide settings" : "Settings", () => {
      ui.open = ui.open === e.id ? null : e.id;
      refresh();
    }, { "aria-expanded": String(ui.open === e.id), "aria-label": `${ui.open === e.id ? "Hide settings" : "Settings"} of ${e.name}` }),
    button("Delete", () => removeEnvironment(e), { class: "danger small", "aria-label": `Delete ${e.name}` }),
  ];

  const open = state.envs.find((e) => e.id === ui.open);
  return [
    subtitle("Each environment has its own keys, spaces, guests and secrets. When you are ready to launch, create a production environment and swap out your keys."),
    create,
    table("Environments", [
      { label: "Name", cell: (e) => [h("strong", {}, e.name), e.id === state.envId && [" ", badge("current")], h("small", { class: "id" }, e.id)] },
      { label: "Kind", cell: (e) => (e.isProd ? badge("Production", "secret-key") : badge("Development")) },
      { label: "Guests sign in with", cell: (e) => (e.guestAuthentication.length ? e.guestAuthentication.map(methodName).join(", ") : "nothing (guests cannot sign in)") },
      { label: "Guests may invite", cell: (e) => (e.guestsCanInvite ? "Yes" : "No") },
      { label: "Created", cell: (e) => when(e.createdAt) },
      { label: "Actions", class: "actions", cell: actions },
    ], state.envs, "No environments yet. Create one above."),
    open && settings(open),
  ];
}

/** The settings panel of one environment: one form, saved with one PATCH. */
function settings(env) {
  const methods = h("fieldset", { class: "choices" }, h("legend", {}, "Guests sign in with"),
    METHODS.map(([value, label]) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "guestAuthentication", value, checked: env.guestAuthentication.includes(value) }), ` ${label}`)));
  const origins = h("textarea", { name: "allowedOrigins", rows: 3, autocomplete: "off", spellcheck: "false" });
  origins.value = (env.allowedOrigins || []).join("\n");
  const edit = form(`Settings of ${env.name}`, [
    field("Name", h("input", { name: "name", required: true, maxlength: 256, autocomplete: "off", value: env.name })),
    h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", name: "isProd", checked: env.isProd }), " Production environment")),
    methods,
    h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", name: "guestsCanInvite", checked: env.guestsCanInvite }), " Guests may invite other guests")),
    field("Allowed browser origins (one per line)", origins, "Pages on these origins may use the publishable key and space tokens. Write each as scheme, host and port, as a browser sends it in its Origin header."),
  ], "Save settings", async (data) => {
    const body = {
      name: data.get("name").trim(),
      isProd: data.get("isProd") === "on",
      guestAuthentication: data.getAll("guestAuthentication"),
      guestsCanInvite: data.get("guestsCanInvite") === "on",
      allowedOrigins: data.get("allowedOrigins").split(/\s+/).filter(Boolean),
    };
    await api("PATCH", `/v1/environments/${encodeURIComponent(env.id)}`, body);
    notify(`Saved the settings of ${body.name}.`);
    environmentsChanged();
  });
  edit.classList.add("stacked");
  return h("section", { class: "panel", "aria-label": `Settings of ${env.name}` }, h("h2", {}, `Settings of ${env.name}`), edit);
}

/** Deletes an environment after a confirmation that counts what goes with it. */
async function removeEnvironment(env) {
  const { data } = await api("GET", `/v1/latchkey/overview?environmentId=${encodeURIComponent(env.id)}`);
  const c = data.contents;
  const n = (count, one, many) => `${count} ${count === 1 ? one : many}`;
  const what = [n(c.apiKeys, "API key", "API keys"), n(c.spaces, "space", "spaces"), n(c.guests, "guest", "guests"),
    n(c.secrets, "secret", "secrets"), n(c.agents, "agent", "agents"), n(c.guides, "guide", "guides")].join(", ");
  const message = `Delete the environment ${env.name}${env.isProd ? " (production)" : ""}? Its ${what} are deleted with it, and anything using its keys stops working at once.`;
  if (!(await confirmAction(message, "Delete environment"))) return;
  await api("DELETE", `/v1/environments/${encodeURIComponent(env.id)}`);
  notify(`Deleted the environment ${env.name}.`);
  environmentsChanged();
}
