// The users section: invite, change roles, resend invitations, remove.

import { api, query } from "./api.js";
import { state, refresh } from "./state.js";
import { h, field, select, form, button, table, serverPager, badge, notify, confirmAction, subtitle } from "./ui.js";

export async function renderUsers(ui) {
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
