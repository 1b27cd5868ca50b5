// The secrets section: an environment's or a space's secrets, masked until revealed.

import { api, query, allPages } from "./api.js";
import { refresh, currentEnv } from "./state.js";
import { h, field, select, form, button, table, pageLocally, when, notify, confirmAction, masked, subtitle } from "./ui.js";

export async function renderSecrets(ui) {
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
