// The access tokens section: your personal access tokens, shown once when created, and your own sign-in
// (change the password, sign out everywhere).

import { api } from "./api.js";
import { state, refresh, endSession } from "./state.js";
import { h, field, form, button, table, pageLocally, when, notify, confirmAction, copyButton, subtitle } from "./ui.js";

export async function renderTokens(ui) {
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
    endSession("Signed out everywhere.");
  }, { class: "danger small" });
  return [change, h("p", { class: "muted" }, "Signed in somewhere you should not be? ", everywhere)];
}
