// The spaces section: an environment's spaces, archiving, and a space's workbooks.

import { api, query } from "./api.js";
import { refresh, currentEnv } from "./state.js";
import { h, field, form, button, table, serverPager, when, notify, subtitle } from "./ui.js";

export async function renderSpaces(ui) {
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
  }, { "aria-expanded": String(ui.open?.id === s.id), "aria-label": `${ui.open?.id === s.id ? "Hide workbooks" : "Workbooks"} of space ${s.name}` });

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
