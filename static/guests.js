// The guests section: the guests of a space, their workbook grants, magic links, removal.

import { api, query, allPages } from "./api.js";
import { state, refresh, currentEnv } from "./state.js";
import { h, field, select, form, button, table, pageLocally, notify, confirmAction, subtitle } from "./ui.js";

export async function renderGuests(ui) {
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
    button("Send a magic link", async () => {
      await api("POST", "/v1/invitations", [{ guestId: g.id, spaceId: space.id, fromName: state.user.name }]);
      notify(`Sent ${g.email} a magic link to ${space.name}${state.isAdmin ? " (see the outbox)" : ""}.`);
    }, { "aria-label": `Send a magic link to ${g.email}` }),
    button("Remove from space", async () => {
      if (!(await confirmAction(`Remove ${g.email} from ${space.name}? Their other spaces stay.`, "Remove"))) return;
      await api("DELETE", `/v1/guests/${encodeURIComponent(g.id)}?${query({ spaceId: space.id })}`);
      notify(`Removed ${g.email} from ${space.name}.`);
      refresh();
    }, { class: "danger small", "aria-label": `Remove from space ${space.name}: ${g.email}` }),
    button("Remove entirely", async () => {
      if (!(await confirmAction(`Remove the guest ${g.email} from every space? Their links and tokens stop working.`, "Remove guest"))) return;
      await api("DELETE", `/v1/guests/${encodeURIComponent(g.id)}`);
      notify(`Removed the guest ${g.email}.`);
      refresh();
    }, { class: "danger small", "aria-label": `Remove entirely: the guest ${g.email}` }),
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
