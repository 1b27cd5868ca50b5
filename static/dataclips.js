// The data clips section: the clips of the picked environment and their guests (added from the
// guests of the clip's space, removed one by one).

import { api, allPages, query } from "./api.js";
import { currentEnv, refresh } from "./state.js";
import { button, confirmAction, field, form, h, notify, select, subtitle, table, when } from "./ui.js";

export async function renderDataClips(ui) {
  const env = currentEnv();
  const [listed, spaces] = await Promise.all([
    api("GET", "/v1/data-clips"),
    allPages("/v1/spaces", { environmentId: env.id }),
  ]);
  const clips = listed.data.map((c) => c.data).filter((c) => c.environmentId === env.id);
  const spaceName = (id) => spaces.find((s) => s.id === id)?.name || id;
  if (ui.open && !clips.some((c) => c.id === ui.open)) ui.open = null;
  const open = clips.find((c) => c.id === ui.open);
  const toggle = (c) => button(ui.open === c.id ? "Hide guests" : "Guests", () => {
    ui.open = ui.open === c.id ? null : c.id;
    refresh();
  }, { "aria-expanded": String(ui.open === c.id), "aria-label": `${ui.open === c.id ? "Hide guests" : "Guests"} of the clip ${c.name}` });
  return [
    subtitle("Data clips of ", h("strong", {}, env.name), ": a few records of a sheet, shared with guests who need not see the rest."),
    table("Data clips", [
      { label: "Name", cell: (c) => [h("strong", {}, c.name), h("small", { class: "id" }, c.id)] },
      { label: "Space", cell: (c) => spaceName(c.spaceId) },
      { label: "Status", cell: (c) => c.status },
      { label: "Records", cell: (c) => String(c.recordIds?.length ?? 0) },
      { label: "Guests", cell: (c) => String(c.collaborators?.length ?? 0) },
      { label: "Created", cell: (c) => when(c.createdAt) },
      { label: "Actions", class: "actions", cell: toggle },
    ], clips, "No data clips in this environment. They are created through the API (POST /v1/data-clips)."),
    open && (await clipGuests(open)),
  ];
}

async function clipGuests(clip) {
  const [{ data: guests }, { data: spaceGuests }] = await Promise.all([
    api("GET", `/v1/latchkey/data-clips/${encodeURIComponent(clip.id)}/guests`),
    api("GET", `/v1/guests?${query({ spaceId: clip.spaceId })}`),
  ]);
  const candidates = spaceGuests.filter((g) => !guests.some((c) => c.id === g.id));
  const add = candidates.length
    ? form(`Add a guest to the clip ${clip.name}`, [
      field("Guest", select({ name: "guestId" }, candidates.map((g) => [g.id, `${g.name} <${g.email}>`]))),
    ], "Add guest", async (data) => {
      await api("POST", `/v1/latchkey/data-clips/${encodeURIComponent(clip.id)}/guests`, { guestId: data.get("guestId") });
      notify(`Added the guest to the clip ${clip.name}.`);
      refresh();
    })
    : h("p", { class: "hint" }, "Every guest of this clip's space is already a guest of the clip.");
  return h("section", { class: "panel", "aria-label": `Guests of the clip ${clip.name}` },
    h("h2", {}, `Guests of ${clip.name}`),
    add,
    table(`Guests of the clip ${clip.name}`, [
      { label: "Name", cell: (g) => h("strong", {}, g.name) },
      { label: "Email", cell: (g) => g.email },
      { label: "Actions", class: "actions", cell: (g) => button("Remove", async () => {
        if (!(await confirmAction(`Remove ${g.email} from the clip ${clip.name}? Their other access stays.`, "Remove"))) return;
        await api("DELETE", `/v1/latchkey/data-clips/${encodeURIComponent(clip.id)}/guests/${encodeURIComponent(g.id)}`);
        notify(`Removed ${g.email} from the clip ${clip.name}.`);
        refresh();
      }, { class: "danger small", "aria-label": `Remove ${g.email} from the clip` }) },
    ], guests, "This clip has no guests."));
}
