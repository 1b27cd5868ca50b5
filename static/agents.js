// The agents section: the agents of every environment (stored, never run), deleted with a
// confirmation.

import { api, allPages } from "./api.js";
import { envName, refresh } from "./state.js";
import { button, confirmAction, h, notify, pageLocally, subtitle, table, when } from "./ui.js";

export async function renderAgents(ui) {
  const agents = await allPages("/v1/agents");
  agents.sort((a, b) => envName(a.environmentId).localeCompare(envName(b.environmentId)) || a.slug.localeCompare(b.slug));
  const remove = (a) => button("Delete", async () => {
    if (!(await confirmAction(`Delete the agent ${a.slug} of ${envName(a.environmentId)}, with every version of it?`))) return;
    await api("DELETE", `/v1/agents/${encodeURIComponent(a.id)}`);
    notify(`Deleted the agent ${a.slug}.`);
    refresh();
  }, { class: "danger small", "aria-label": `Delete agent ${a.slug}` });
  const { items, controls } = pageLocally("Agents", agents, ui, 20);
  return [
    subtitle("Agents deployed with ", h("code", {}, "npx flatfile deploy"), ", in every environment. Latchkey stores them and their versions; it does not run them."),
    table("Agents", [
      { label: "Slug", cell: (a) => [h("strong", {}, a.slug), h("small", { class: "id" }, a.id)] },
      { label: "Environment", cell: (a) => envName(a.environmentId) },
      { label: "Version", cell: (a) => String(a.currentVersion ?? "—") },
      { label: "Updated", cell: (a) => when(a.updatedAt) },
      { label: "Actions", class: "actions", cell: remove },
    ], items, "No agents in any environment."),
    controls,
  ];
}
