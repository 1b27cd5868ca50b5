// The API keys section: an environment's keys, created, revealed, rotated with a grace period and deleted.

import { api, query } from "./api.js";
import { refresh, currentEnv } from "./state.js";
import { h, field, select, form, button, table, pageLocally, dateFormat, when, fromNow, badge, notify, confirmAction, masked, subtitle } from "./ui.js";

const GRACES = [["0", "Old key: stop now"], ["3600", "Old key: 1 more hour"], ["86400", "Old key: 24 more hours"]];

export async function renderKeys(ui) {
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
